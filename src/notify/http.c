/* http.c — the channels' HTTP POST (http.h), their HMAC and the scrubbing
 * of secrets from error texts. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloud/curl-load.h"
#include "notify/http.h"
#include "util/digest.h"
#include "util/err.h"

typedef struct xfer {
    long retry_after_s;
} xfer;

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = sz * n;
    static const char name[] = "retry-after:";
    if (len > sizeof(name) - 1 && !strncasecmp(p, name, sizeof(name) - 1)) {
        size_t i = sizeof(name) - 1;
        while (i < len && (p[i] == ' ' || p[i] == '\t'))
            i++;
        long v = 0;
        size_t digits = 0;
        while (i < len && isdigit((unsigned char)p[i]) && digits < 9) {
            v = v * 10 + (p[i++] - '0');
            digits++;
        }
        /* Seconds only; an HTTP-date counts as a minute. */
        x->retry_after_s = digits ? v : 60;
    } else if (len >= 5 && !strncmp(p, "HTTP/", 5)) {
        x->retry_after_s = -1;   /* a new response (after a 100 Continue) */
    }
    return len;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

int rip_notify_http_post(const rip_notify_http_req *r, rip_notify_http_resp *out,
                         char *err, size_t errcap)
{
    const rip_curl_api *curl = rip_curl();
    if (!curl) {
        snprintf(err, errcap, "%s", rip_curl_load_error());
        return RIP_EIO;
    }
    CURL *cu = curl->easy_init();
    struct curl_slist *hl = NULL;
    int rc = 0;
    if (!cu) {
        snprintf(err, errcap, "cannot start an HTTP transfer");
        return RIP_ENOMEM;
    }
    for (const char *const *h = r->headers; h && *h; h++) {
        struct curl_slist *nl = curl->slist_append(hl, *h);
        if (!nl) {
            rc = RIP_ENOMEM;
            snprintf(err, errcap, "out of memory");
            goto out;
        }
        hl = nl;
    }
    /* libcurl adds "Expect: 100-continue" to large POSTs; servers answer
     * faster without the round trip. */
    struct curl_slist *nl = curl->slist_append(hl, "Expect:");
    if (!nl) {
        rc = RIP_ENOMEM;
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    hl = nl;

    long budget = r->retry_budget_ms > 0 ? r->retry_budget_ms : 0;
    for (int tries = 1;; tries++) {
        xfer x = { -1 };
        rip_curl_sink sink = { &out->body, RIP_NOTIFY_HTTP_MAX_BODY, 0 };
        rip_buf_reset(&out->body);
        curl->easy_reset(cu);
        curl->easy_setopt(cu, CURLOPT_URL, r->url);
        curl->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
        curl->easy_setopt(cu, CURLOPT_TIMEOUT_MS,
                          r->timeout_ms > 0 ? r->timeout_ms : RIP_NOTIFY_TIMEOUT_MS_DEFAULT);
        curl->easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS,
                          r->timeout_ms > 0 ? r->timeout_ms : RIP_NOTIFY_TIMEOUT_MS_DEFAULT);
        curl->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
        curl->easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
        curl->easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
        curl->easy_setopt(cu, CURLOPT_POST, 1L);
        curl->easy_setopt(cu, CURLOPT_POSTFIELDS, r->body ? r->body : "");
        curl->easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->len);
        curl->easy_setopt(cu, CURLOPT_WRITEFUNCTION, rip_curl_sink_write);
        curl->easy_setopt(cu, CURLOPT_WRITEDATA, &sink);
        curl->easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
        curl->easy_setopt(cu, CURLOPT_HEADERDATA, &x);
        CURLcode cc = curl->easy_perform(cu);
        if (sink.too_big) {
            rc = RIP_ELIMIT;
            snprintf(err, errcap, "response body larger than %d bytes",
                     RIP_NOTIFY_HTTP_MAX_BODY);
            goto out;
        }
        if (cc != CURLE_OK) {
            rc = RIP_EIO;
            snprintf(err, errcap, "%s", curl->easy_strerror(cc));
            goto out;
        }
        long status = 0;
        curl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
        out->status = status;
        out->retry_after_s = x.retry_after_s;
        if (status != 429 || x.retry_after_s < 0 || tries >= RIP_NOTIFY_HTTP_MAX_TRIES ||
            x.retry_after_s * 1000 > budget)
            break;
        budget -= x.retry_after_s * 1000;
        sleep_ms(x.retry_after_s * 1000);
    }
out:
    curl->slist_free_all(hl);
    curl->easy_cleanup(cu);
    return rc;
}

int rip_notify_hmac_sha256_hex(const char *key, size_t keylen, const void *data,
                               size_t len, char out[65])
{
    unsigned char mac[RIP_SHA256_SIZE];
    if (keylen > INT32_MAX)
        return RIP_EINVAL;
    rip_hmac_sha256(key, keylen, data, len, mac);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

void rip_notify_scrub(char *s, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (!s || n < 4)
        return;
    char *p;
    while ((p = strstr(s, secret))) {
        memcpy(p, "***", 3);
        memmove(p + 3, p + n, strlen(p + n) + 1);
    }
}
