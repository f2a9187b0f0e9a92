/* webhook.h — a generic JSON webhook, signed so the receiver can tell it
 * came from riposte (docs/NOTIFY.md).
 *
 * Every POST carries
 *   X-Riposte-Timestamp: <unix seconds>
 *   X-Riposte-Signature: sha256=<hex HMAC-SHA256(secret, body)>
 * The URL and the secret are secrets: errors say "webhook: …".
 */
#ifndef RIPOSTE_NOTIFY_WEBHOOK_H
#define RIPOSTE_NOTIFY_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

typedef struct rip_webhook_cfg {
    const char *url;            /* secret */
    const char *secret;         /* HMAC key; NULL or "": the request is unsigned */
    long timeout_ms;            /* 0: 10 s */
    long retry_budget_ms;       /* sleep allowed to honour 429 Retry-After */
} rip_webhook_cfg;

/* Writes "sha256=" and the hex HMAC-SHA256(secret, body) into out (72
 * bytes: 7 + 64 + NUL). 0 or RIP_EINVAL. */
int rip_webhook_sign(const char *secret, const char *body, size_t len, char out[72]);

/* POSTs body (JSON, len bytes) with the headers above, the timestamp being
 * now_s. Returns 0 on a 2xx; RIP_ERANGE (429 past the retry budget),
 * RIP_EINVAL (a 4xx, or no URL), RIP_EIO (no response, a 5xx or 3xx). */
int rip_webhook_post(const rip_webhook_cfg *c, const char *body, size_t len,
                     int64_t now_s, char *err, size_t errcap);

#endif
