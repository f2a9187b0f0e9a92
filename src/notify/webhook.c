/* webhook.c — signed JSON webhooks (webhook.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify/http.h"
#include "notify/webhook.h"
#include "util/err.h"

int rip_webhook_sign(const char *secret, const char *body, size_t len, char out[72])
{
    char hex[65];
    if (!secret || rip_notify_hmac_sha256_hex(secret, strlen(secret), body ? body : "",
                                              body ? len : 0, hex))
        return RIP_EINVAL;
    memcpy(out, "sha256=", 7);
    memcpy(out + 7, hex, 65);
    return 0;
}

int rip_webhook_post(const rip_webhook_cfg *c, const char *body, size_t len,
                     int64_t now_s, char *err, size_t errcap)
{
    if (!c || !c->url || !*c->url || (!body && len)) {
        if (errcap)
            snprintf(err, errcap, "webhook: no URL configured");
        return RIP_EINVAL;
    }
    char sig[72 + 32], ts[64];
    snprintf(ts, sizeof(ts), "X-Riposte-Timestamp: %" PRId64, now_s);
    const char *headers[5] = { "Content-Type: application/json", "User-Agent: riposte", ts,
                               NULL, NULL };
    if (c->secret && *c->secret) {
        char s[72];
        if (rip_webhook_sign(c->secret, body, len, s)) {
            if (errcap)
                snprintf(err, errcap, "webhook: cannot sign the body");
            return RIP_EINVAL;
        }
        snprintf(sig, sizeof(sig), "X-Riposte-Signature: %s", s);
        headers[3] = sig;
    }
    rip_notify_http_resp resp = { 0, -1, RIP_BUF_INIT };
    rip_notify_http_req req = { c->url, headers, body, len, c->timeout_ms,
                                c->retry_budget_ms };
    char herr[160];
    int rc = rip_notify_http_post(&req, &resp, herr, sizeof(herr));
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "webhook: %s", herr);
    } else if (resp.status == 429) {
        rc = RIP_ERANGE;
        if (errcap)
            snprintf(err, errcap, "webhook: rate limited (retry after %ld s)",
                     resp.retry_after_s < 0 ? 0 : resp.retry_after_s);
    } else if (resp.status < 200 || resp.status > 299) {
        /* The receiver's body is not quoted: it is not ours to log. */
        rc = resp.status >= 400 && resp.status < 500 ? RIP_EINVAL : RIP_EIO;
        if (errcap)
            snprintf(err, errcap, "webhook: HTTP %ld", resp.status);
    }
    if (rc && errcap) {
        rip_notify_scrub(err, c->url);
        rip_notify_scrub(err, c->secret);
    }
    rip_buf_release(&resp.body);
    return rc;
}
