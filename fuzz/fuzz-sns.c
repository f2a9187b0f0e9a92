/* fuzz-sns.c — bytes as the body of POST /v1/sns → rip_sns_parse() (with
 * and without the message-type header), the canonical string of what
 * parsed, the URL checks over its URLs, and rip_sns_verify() with a
 * certificate that is not one (it must fail, never crash). The same bytes
 * also go through the URL matcher and the pattern check as a URL and as a
 * pattern. Must never crash, leak or read out of bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/sns.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const headers[] = { NULL, "Notification", "SubscriptionConfirmation" };
    const char *const *pats = rip_sns_default_url_patterns;
    char why[256], shown[128];
    rip_sns_message m;
    rip_sns_message_init(&m);
    for (size_t h = 0; h < 3; h++) {
        if (rip_sns_parse(&m, (const char *)data, size, headers[h], why, sizeof(why)))
            continue;
        rip_buf canon;
        rip_buf_init(&canon, 1 << 20);
        rip_sns_canonical(&m, &canon);
        rip_buf_release(&canon);
        rip_sns_url_allowed(m.signing_cert_url.ptr, m.signing_cert_url.len, pats, 2);
        rip_sns_url_allowed(m.subscribe_url.ptr, m.subscribe_url.len, pats, 2);
        rip_sns_url_for_log(m.subscribe_url.ptr, shown, sizeof(shown));
        rip_sns_verify(&m, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                       strlen("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
                       1700000000, why, sizeof(why));
    }
    rip_sns_message_release(&m);

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    rip_sns_url_allowed(s, size, pats, 2);
    if (rip_sns_pattern_check(s, why, sizeof(why)) == 0) {
        const char *one[] = { s };
        rip_sns_url_allowed("https://sns.us-east-1.amazonaws.com/x.pem",
                            strlen("https://sns.us-east-1.amazonaws.com/x.pem"), one, 1);
        rip_sns_url_allowed(s, size, one, 1);
    }
    rip_sns_url_for_log(s, shown, sizeof(shown));
    free(s);
    return 0;
}
