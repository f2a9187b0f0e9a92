/* aws-sigv4.h — AWS Signature Version 4 (HMAC-SHA256), header and query
 * (pre-signed URL) flavours, with S3's rules as options.
 *
 * Invariants
 *   - The signer never modifies the caller's request: it returns the
 *     canonical request, the string to sign, the signature and the headers
 *     or query parameters the caller must add (rip_aws_sig_out).
 *   - Input header values are taken as given; the canonical form trims them
 *     and folds runs of spaces, duplicate names are joined with ','.
 *   - Any x-amz-date, x-amz-security-token, x-amz-content-sha256 and
 *     authorization header in the input is ignored: the signer produces its
 *     own.
 *   - Secrets (secret key, derived keys) live only on the stack of
 *     rip_aws_sigv4_sign() and are wiped before it returns. The outputs hold
 *     the session token (it is sent on the wire); callers that log requests
 *     must redact it (see rip_aws_redact() in aws-http.h).
 *
 * SigV4A (RIP_AWS_SIG_V4A): algorithm AWS4-ECDSA-P256-SHA256, the scope has
 * no region, the region set is signed as x-amz-region-set (or the
 * X-Amz-Region-Set query parameter), and the signature is a DER ECDSA P-256
 * signature (randomized) with a key derived from the credentials.
 *
 * Checked byte for byte against corpus/sigv4 (tests/test-sigv4.c); SigV4A
 * signatures are checked with the derived public key.
 */
#ifndef RIPOSTE_CLOUD_AWS_SIGV4_H
#define RIPOSTE_CLOUD_AWS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/buf.h"

#define RIP_AWS_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define RIP_AWS_EMPTY_SHA256 \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Limits on what the signer accepts (a request is built by riposte, but
 * values such as object keys come from outside). */
#define RIP_AWS_SIG_MAX_HEADERS 64
#define RIP_AWS_SIG_MAX_PARAMS 512

typedef struct rip_aws_header {
    const char *name;      /* any case */
    const char *value;     /* NUL-terminated */
} rip_aws_header;

/* Credentials used for one signature. Borrowed. */
typedef struct rip_aws_sig_creds {
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;   /* NULL or "" when absent */
} rip_aws_sig_creds;

enum {
    RIP_AWS_SIG_NORMALIZE_PATH = 1 << 0,  /* remove dot segments and empty segments */
    RIP_AWS_SIG_ENCODE_PATH    = 1 << 1,  /* URI-encode the path (again): all but S3 */
    RIP_AWS_SIG_CONTENT_SHA256 = 1 << 2,  /* add x-amz-content-sha256 (S3, sign_body) */
    RIP_AWS_SIG_OMIT_TOKEN     = 1 << 3,  /* token added after signing, unsigned */
    RIP_AWS_SIG_QUERY          = 1 << 4,  /* pre-signed URL instead of Authorization */
    RIP_AWS_SIG_V4A            = 1 << 5,  /* SigV4A: ECDSA P-256, region set instead of region */
};

/* The default for every service but S3. */
#define RIP_AWS_SIG_DEFAULT (RIP_AWS_SIG_NORMALIZE_PATH | RIP_AWS_SIG_ENCODE_PATH)
/* S3: no normalization, no second encoding, payload hash header. */
#define RIP_AWS_SIG_S3 (RIP_AWS_SIG_CONTENT_SHA256)

typedef struct rip_aws_sig_request {
    const char *method;            /* "GET" */
    const char *path;              /* as sent on the wire ("/a%20b"); "" means "/" */
    const char *query;             /* raw query without '?', or NULL */
    const rip_aws_header *headers; /* must include host */
    size_t nheaders;
    const void *body;              /* hashed unless payload_hash is set */
    size_t body_len;
    const char *payload_hash;      /* NULL: SHA-256 of body; or UNSIGNED-PAYLOAD */
} rip_aws_sig_request;

typedef struct rip_aws_sig_params {
    const char *region;            /* SigV4A: the region set ("us-east-1",
                                      "us-east-1,us-west-2" or "*") */
    const char *service;           /* signing name: "ec2", "s3", "iam" */
    time_t when;                   /* UTC seconds */
    unsigned flags;                /* RIP_AWS_SIG_* */
    long expires;                  /* query signing: X-Amz-Expires seconds */
} rip_aws_sig_params;

typedef struct rip_aws_sig_out {
    rip_buf canonical_request;
    rip_buf string_to_sign;
    char signature[160];           /* lowercase hex: 64 chars (SigV4) or a DER
                                      ECDSA signature of up to 144 (SigV4A) */
    char amz_date[17];             /* 20150830T123600Z */
    char payload_hash[65];         /* as used in the canonical request */
    rip_buf authorization;         /* header mode: the Authorization value */
    rip_buf query;                 /* query mode: the complete query to send
                                      (caller's parameters + X-Amz-*);
                                      header mode: empty */
} rip_aws_sig_out;

void rip_aws_sig_out_init(rip_aws_sig_out *o);
void rip_aws_sig_out_release(rip_aws_sig_out *o);

/* Signs req. Returns 0 and fills *out (previous contents replaced), or
 * RIP_EINVAL (missing field, bad percent-encoding), RIP_ELIMIT (too many
 * headers or parameters), RIP_ENOMEM, RIP_ENOENT (SigV4A only: libcrypto,
 * loaded on demand for ECDSA, cannot be loaded; rip_crypto_load_error() in
 * util/crypto-load.h says why). On failure *out is left empty. */
int rip_aws_sigv4_sign(const rip_aws_sig_request *req, const rip_aws_sig_creds *creds,
                       const rip_aws_sig_params *params, rip_aws_sig_out *out);

/* SigV4A: derives the ECDSA P-256 key pair from an access key id and secret
 * (NIST SP 800-108 counter-mode KDF with HMAC-SHA256 over "AWS4A" + secret,
 * label "AWS4-ECDSA-P256-SHA256", as aws-c-auth and the AWS SDKs do). On
 * success returns 0 and, when wanted, writes the public point's coordinates
 * as 64 lowercase hex digits each into x_hex/y_hex (65 bytes); the private
 * key never leaves the signer. RIP_EINVAL, RIP_ENOMEM, RIP_ENOENT (libcrypto
 * cannot be loaded) otherwise. */
int rip_aws_sigv4a_public_key(const char *access_key_id, const char *secret_access_key,
                              char x_hex[65], char y_hex[65]);

/* SigV4A: checks a hex DER ECDSA signature of SHA-256(string_to_sign)
 * against the public point (hex X, Y). 0 when valid, RIP_EINVAL when not,
 * RIP_ENOENT when libcrypto cannot be loaded. */
int rip_aws_sigv4a_verify(const char *x_hex, const char *y_hex, const char *string_to_sign,
                          size_t sts_len, const char *sig_hex);

/* Appends the AWS URI encoding of s (RFC 3986 unreserved kept; '/' kept when
 * keep_slash). 0 or RIP_E*. */
int rip_aws_uri_encode(rip_buf *out, const char *s, size_t len, bool keep_slash);

/* Lowercase hex SHA-256 of data into hex[65]. */
void rip_aws_sha256_hex(const void *data, size_t len, char hex[65]);

/* Formats t as 20150830T123600Z into buf[17]. */
void rip_aws_amz_date(time_t t, char buf[17]);

#endif
