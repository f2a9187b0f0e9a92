/* aws-http.h — the AWS client: endpoints, SigV4 signing, libcurl transport,
 * the SDK's standard retry mode and AWS error shapes.
 *
 * Invariants
 *   - One client owns one CURL easy handle, so consecutive calls reuse the
 *     connection. A client is not thread-safe: one per thread.
 *   - Every response body is capped (max_response); a bigger one fails with
 *     RIP_ELIMIT and is never retried.
 *   - Nothing secret reaches the log hook or a rip_aws_error: lines name the
 *     method, URL, status, request id and AWS error code/message only, and
 *     messages are scrubbed of the secret key, session token and signature.
 *   - Library code: never prints; verbose lines go to the log hook.
 *
 * Retries (AWS SDKs "standard" mode, 2026 behaviour): at most max_attempts
 * (3, or AWS_MAX_ATTEMPTS); retried are transport errors, 500/502/503/504,
 * 429 and the throttling / transient error codes; the delay is
 * random(0,1) * min(base * 2^(attempt-1), 20 s) with base 1 s for
 * throttling and 50 ms otherwise, x-amz-retry-after honoured; a retry quota
 * of 500 tokens costs 5 per throttling retry and 14 per other retry, and a
 * success returns the cost (or 1 token when no retry was needed).
 */
#ifndef RIPOSTE_CLOUD_AWS_HTTP_H
#define RIPOSTE_CLOUD_AWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cloud/aws-sigv4.h"
#include "util/buf.h"

typedef struct rip_aws_creds rip_aws_creds;
typedef struct rip_aws_creds_provider rip_aws_creds_provider;

/* Why a call failed. Filled on failure only (like rip_json_error). */
typedef struct rip_aws_error {
    long status;            /* HTTP status, 0 when no response */
    char code[128];         /* AWS error code ("NoSuchEntity"), or "" */
    char message[512];      /* AWS message or transport error, scrubbed */
    char request_id[128];   /* x-amzn-RequestId / RequestId, or "" */
    int attempts;
} rip_aws_error;

typedef struct rip_aws_request {
    const char *service;        /* endpoint id: "ec2", "iam", "sts", "s3", "s3control", "cloudtrail" */
    const char *signing_name;   /* NULL: service ("s3control" signs as "s3") */
    const char *method;
    const char *path;           /* wire path, already URI-encoded ("/" when NULL) */
    const char *query;          /* wire query without '?', or NULL */
    const rip_aws_header *headers;  /* extra headers (Content-Type, X-Amz-Target) */
    size_t nheaders;
    const char *body;
    size_t body_len;
    bool anonymous;             /* send unsigned (AssumeRoleWithWebIdentity) */
    const char *host_prefix;    /* "123456789012." for s3control on AWS endpoints */
} rip_aws_request;

typedef struct rip_aws_response {
    long status;
    rip_buf body;
    char request_id[128];
    char content_type[128];
} rip_aws_response;

void rip_aws_response_init(rip_aws_response *r);
void rip_aws_response_release(rip_aws_response *r);

typedef void (*rip_aws_log_fn)(void *ctx, const char *line);

typedef enum rip_aws_retry_mode {
    RIP_AWS_RETRY_STANDARD = 0,   /* the default; "adaptive" runs as this */
    RIP_AWS_RETRY_LEGACY,         /* no retry quota */
} rip_aws_retry_mode;

typedef struct rip_aws_client {
    void *curl;                         /* CURL *, owned */
    char region[64];
    rip_aws_creds_provider *provider;   /* borrowed; NULL: static creds or anonymous */
    const rip_aws_creds *creds;         /* borrowed static credentials, preferred */
    long timeout_ms;                    /* whole transfer, default 30 s */
    long connect_timeout_ms;            /* default 5 s */
    int max_attempts;
    int quota;                          /* retry tokens left */
    size_t max_response;                /* default 64 MiB */
    rip_aws_log_fn log;                 /* verbose hook, or NULL */
    void *log_ctx;
    unsigned seed;                      /* jitter */
    void (*sleep_ms)(long ms);          /* test hook; NULL: nanosleep */
    char endpoint_url[512];             /* the profile's endpoint_url, or "" */
    rip_aws_retry_mode retry_mode;
    /* A second connection with the same settings, for a read made at the
     * same time as one on this client (act_both in src/cloud/actions.c);
     * made on first use by rip_aws_client_sibling, kept (so its
     * connection is reused), freed with this client. */
    struct rip_aws_client *sibling;
} rip_aws_client;

/* Sets up a client for region (NULL: AWS_REGION, AWS_DEFAULT_REGION, then
 * "us-east-1"). Loads libcurl on first use (cloud/curl-load.h). 0,
 * RIP_ENOMEM (curl), or RIP_ENOENT when libcurl cannot be loaded:
 * rip_curl_load_error() then says why. */
int rip_aws_client_init(rip_aws_client *c, const char *region);
/* Returns why rip_aws_client_init() failed with rc, as one line for the
 * user without a prefix ("cannot load libcurl (libcurl.so.4): …"). Static. */
const char *rip_aws_client_init_error(int rc);
/* Frees the curl handle. Accepts NULL. Does not free provider or creds. */
void rip_aws_client_release(rip_aws_client *c);

/* The client's sibling (see above) with this client's current settings
 * copied in, made on first call. Credentials: the sibling signs with
 * *creds (resolved by the caller from this client's static credentials or
 * provider, so the provider is never used from two threads). NULL when it
 * cannot be made (out of memory). Not thread-safe itself: call it before
 * starting the thread that uses the sibling. */
rip_aws_client *rip_aws_client_sibling(rip_aws_client *c, const rip_aws_creds *creds);
/* Resolves the credentials this client would sign with now into *out: its
 * static ones, else its provider's. 0, or RIP_ENOENT / the provider's
 * error (then a request would fail the same way). */
int rip_aws_client_creds(rip_aws_client *c, rip_aws_creds *out);

/* Builds the endpoint base URL (scheme://host[:port][/path], no trailing
 * slash) for service in region: AWS_ENDPOINT_URL_<SERVICE> (EC2, IAM, STS,
 * S3, S3_CONTROL, CLOUDTRAIL…), then AWS_ENDPOINT_URL, then profile_url
 * (the profile's endpoint_url; NULL or "" for none), then the regional AWS
 * endpoint (IAM is global). *custom is set when an override was used.
 * *signing_region is the region to sign with. 0 or RIP_E*. */
int rip_aws_endpoint(const char *service, const char *region, const char *profile_url,
                     rip_buf *url, const char **signing_region, bool *custom);

/* Sends r, signing it with the client's credentials, retrying as above.
 * Returns 0 on a 2xx response and fills *resp (status, body, request id);
 * on failure returns RIP_EIO (transport or AWS error: see err->status and
 * err->code), RIP_ELIMIT (response too big), RIP_ENOENT (no credentials),
 * RIP_EINVAL, RIP_ENOMEM, and fills *err. resp->body is reset first. */
int rip_aws_send(rip_aws_client *c, const rip_aws_request *r, rip_aws_response *resp,
                 rip_aws_error *err);

/* Extracts code, message and request id from an AWS error body (query,
 * EC2, S3 XML shapes; JSON __type/code + message; x-amzn-ErrorType header
 * value when given). Always fills err (fields may stay ""). */
void rip_aws_parse_error(const char *body, size_t len, const char *content_type,
                         const char *error_type_header, rip_aws_error *err);

/* Whether an AWS error code is a throttling one / a transient one. */
bool rip_aws_is_throttling(long status, const char *code);
bool rip_aws_is_transient(long status, const char *code);

/* Replaces every occurrence of needle (if at least 8 bytes) in the
 * NUL-terminated s with "<redacted>", in place within cap bytes. */
void rip_aws_redact(char *s, size_t cap, const char *needle);

#endif
