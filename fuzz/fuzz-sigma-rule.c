/* fuzz-sigma-rule.c — YAML text → Sigma rules: load, compile, and match one
 * fixed CloudTrail record against whatever loaded. Must never crash, leak
 * or hang, whatever the text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record[] =
    "{\"eventName\":\"CreateAccessKey\",\"eventSource\":\"iam.amazonaws.com\","
    "\"userIdentity\":{\"type\":\"Root\",\"arn\":\"arn:aws:iam::1:root\"},"
    "\"sourceIPAddress\":\"203.0.113.7\",\"errorCode\":null,"
    "\"requestParameters\":{\"userName\":\"bob\",\"n\":5,\"list\":[\"a\",{\"b\":\"c\\u0041\"}]}}";

static int on_hit(void *ud, const rip_sigma_hit *h, const rip_event *ev)
{
    (void)h, (void)ev;
    (*(int *)ud)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(NULL, NULL);
    if (!rs)
        return 0;
    const char *vals[] = { "10.0.0.0/8", "x*y" };
    rip_sigma_add_placeholder(rs, "ph", vals, 2);
    rip_sigma_load_buffer(rs, "fuzz.yml", (const char *)data, size);
    if (rip_sigma_compile(rs) >= 0 || rip_sigma_rule_count(rs) > 0) {
        rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
        rip_json_doc doc;
        rip_json_doc_init(&doc, NULL);
        if (m && rip_json_parse(&doc, record, sizeof(record) - 1, NULL) == 0) {
            rip_event ev;
            memset(&ev, 0, sizeof(ev));
            ev.doc = &doc;
            ev.raw = rip_json_root(&doc);
            ev.kind = RIP_EVENT_API_CALL;
            int hits = 0;
            for (int f = RIP_FORMAT_CLOUDTRAIL; f < RIP_FORMAT__COUNT; f++) {
                ev.format = (rip_format)f;
                rip_sigma_match(m, &ev, on_hit, &hits);
            }
        }
        rip_json_doc_release(&doc);
        rip_sigma_matcher_free(m);
    }
    rip_sigma_ruleset_free(rs);
    return 0;
}
