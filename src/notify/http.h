/* http.h — the one HTTP POST every channel makes (Slack, PagerDuty,
 * webhooks), through libcurl as the cloud layer loads it (cloud/curl-load.h).
 *
 * Invariants
 *   - Nothing here logs or returns the URL or a header value: URLs of
 *     incoming webhooks and the Authorization header are secrets. An error
 *     text is libcurl's generic description of its code (curl_easy_strerror,
 *     which names no host, path or header), never its error buffer.
 *   - A response body is kept up to RIP_NOTIFY_HTTP_MAX_BODY bytes; past it
 *     the transfer fails (RIP_ELIMIT). Redirects are not followed (a 3xx is
 *     a status like any other), and only http and https are allowed.
 *   - A 429 with a Retry-After within the caller's budget is retried here,
 *     after sleeping that long, at most RIP_NOTIFY_HTTP_MAX_TRIES times.
 */
#ifndef RIPOSTE_NOTIFY_HTTP_H
#define RIPOSTE_NOTIFY_HTTP_H

#include <stddef.h>

#include "util/buf.h"

#define RIP_NOTIFY_HTTP_MAX_BODY (64 * 1024)
#define RIP_NOTIFY_HTTP_MAX_TRIES 3
#define RIP_NOTIFY_TIMEOUT_MS_DEFAULT 10000L

typedef struct rip_notify_http_req {
    const char *url;             /* secret: never logged */
    const char *const *headers;  /* "Name: value" lines; NULL-terminated or NULL */
    const char *body;            /* borrowed */
    size_t len;
    long timeout_ms;             /* whole transfer; <= 0: 10 s */
    long retry_budget_ms;        /* total sleep allowed for 429 Retry-After; 0: none */
} rip_notify_http_req;

typedef struct rip_notify_http_resp {
    long status;                 /* the last response's HTTP status */
    long retry_after_s;          /* its Retry-After in seconds; -1: none */
    rip_buf body;                /* its body (owned: rip_buf_release()) */
} rip_notify_http_resp;

/* POSTs r->body to r->url. Returns 0 when a response came (whatever its
 * status) and fills out (out->body must be an initialised buffer; it is
 * reset first); RIP_EIO when none came (libcurl could not be loaded, no
 * connection, timeout) with why in err ("connection refused: Couldn't
 * connect to server"), RIP_ELIMIT when the response body passed the cap,
 * RIP_ENOMEM. */
int rip_notify_http_post(const rip_notify_http_req *r, rip_notify_http_resp *out,
                         char *err, size_t errcap);

/* Writes the lowercase hex of HMAC-SHA256(key, data) into out (64 digits
 * and a NUL). 0 or RIP_EINVAL (OpenSSL refused). */
int rip_notify_hmac_sha256_hex(const char *key, size_t keylen, const void *data,
                               size_t len, char out[65]);

/* Replaces every occurrence of secret (when not NULL and at least 4 bytes)
 * in the NUL-terminated s with "***", in place. A last defence for error
 * texts that quote a server's reply. */
void rip_notify_scrub(char *s, const char *secret);

#endif
