/* slack-verify.c — Slack's v0 request signature (slack.h).
 *
 * The signed text is "v0:" + the X-Slack-Request-Timestamp header + ":" +
 * the raw body, exactly as received (before any URL decoding). The expected
 * header is computed in full and compared in constant time over a fixed
 * length, so the time taken does not say how much of a guess was right. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "notify/slack.h"
#include "util/digest.h"
#include "util/err.h"

static int fail(int rc, char *why, size_t cap, const char *msg)
{
    if (cap)
        snprintf(why, cap, "%s", msg);
    return rc;
}

int rip_slack_verify(const char *signing_secret, const char *timestamp_hdr,
                     const char *signature_hdr, const char *body, size_t len,
                     int64_t now_s, char *why, size_t cap)
{
    if (!signing_secret || !*signing_secret)
        return fail(RIP_EINVAL, why, cap, "no signing secret configured");
    if (!timestamp_hdr || !*timestamp_hdr)
        return fail(RIP_EINVAL, why, cap, "missing X-Slack-Request-Timestamp");
    if (!signature_hdr || !*signature_hdr)
        return fail(RIP_EINVAL, why, cap, "missing X-Slack-Signature");
    if (!body && len)
        return fail(RIP_EINVAL, why, cap, "no body");

    /* The timestamp: decimal seconds, at most 12 digits. */
    size_t tlen = strlen(timestamp_hdr);
    int64_t ts = 0;
    if (tlen > 12)
        return fail(RIP_EINVAL, why, cap, "malformed X-Slack-Request-Timestamp");
    for (size_t i = 0; i < tlen; i++) {
        if (!isdigit((unsigned char)timestamp_hdr[i]))
            return fail(RIP_EINVAL, why, cap, "malformed X-Slack-Request-Timestamp");
        ts = ts * 10 + (timestamp_hdr[i] - '0');
    }
    /* ts is at most 12 digits, so ts ± 300 cannot overflow; now_s may be anything. */
    if (now_s > ts + RIP_SLACK_MAX_SKEW_S || now_s < ts - RIP_SLACK_MAX_SKEW_S)
        return fail(RIP_ERANGE, why, cap, now_s > ts ? "stale timestamp"
                                                     : "stale timestamp (in the future)");

    /* "v0=" and 64 hex digits, nothing else. */
    if (strlen(signature_hdr) != 67 || strncmp(signature_hdr, "v0=", 3))
        return fail(RIP_EINVAL, why, cap, "malformed X-Slack-Signature");

    unsigned char mac[RIP_SHA256_SIZE];
    int rc = RIP_EINVAL;
    rip_hmac_sha256_ctx ctx;
    rip_hmac_sha256_init(&ctx, signing_secret, strlen(signing_secret));
    rip_hmac_sha256_update(&ctx, "v0:", 3);
    rip_hmac_sha256_update(&ctx, timestamp_hdr, tlen);
    rip_hmac_sha256_update(&ctx, ":", 1);
    rip_hmac_sha256_update(&ctx, body, len);
    rip_hmac_sha256_final(&ctx, mac);
    char expect[67] = "v0=";
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < RIP_SHA256_SIZE; i++) {
        expect[3 + 2 * i] = hex[mac[i] >> 4];
        expect[4 + 2 * i] = hex[mac[i] & 15];
    }
    /* Slack sends lowercase hex; an uppercase copy is not the signature. */
    if (rip_ct_memcmp(expect, signature_hdr, 67) != 0) {
        rc = fail(RIP_EINVAL, why, cap, "signature does not match");
        goto out;
    }
    rc = 0;
out:
    rip_wipe(mac, sizeof(mac));
    rip_wipe(expect, sizeof(expect));
    return rc;
}
