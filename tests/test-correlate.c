/* test-correlate.c — Sigma correlations over streaming windows: rules are
 * loaded and matched by the real engine, hits go through rip_corr_extract()
 * and rip_corr_observe() as `riposte scan` does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/correlate.h"
#include "detect/sigma.h"
#include "normalize/event.h"
#include "tap.h"
#include "util/json.h"

#define MIN_NS (60LL * 1000000000LL)

static const char *rules_yaml =
    "title: Run large\n"
    "id: 00000000-0000-0000-0000-000000000001\n"
    "name: base_run\n"
    "logsource: {product: aws, service: cloudtrail}\n"
    "detection:\n"
    "  sel: {eventName: RunInstances}\n"
    "  condition: sel\n"
    "level: low\n"
    "---\n"
    "title: Secret read\n"
    "id: 00000000-0000-0000-0000-000000000002\n"
    "name: base_secret\n"
    "logsource: {product: aws, service: cloudtrail}\n"
    "detection:\n"
    "  sel: {eventName: GetSecretValue}\n"
    "  condition: sel\n"
    "level: low\n"
    "---\n"
    "title: Key created\n"
    "id: 00000000-0000-0000-0000-000000000003\n"
    "name: base_key\n"
    "logsource: {product: aws, service: cloudtrail}\n"
    "detection:\n"
    "  sel: {eventName: CreateAccessKey}\n"
    "  condition: sel\n"
    "level: low\n"
    "---\n"
    "title: Burst\n"
    "id: 00000000-0000-0000-0000-000000000010\n"
    "name: corr_burst\n"
    "correlation:\n"
    "  type: event_count\n"
    "  rules: [base_run]\n"
    "  group-by: [userIdentity.arn]\n"
    "  timespan: 5m\n"
    "  condition: {gte: 3}\n"
    "level: high\n"
    "---\n"
    "title: Many secrets\n"
    "id: 00000000-0000-0000-0000-000000000011\n"
    "name: corr_secrets\n"
    "correlation:\n"
    "  type: value_count\n"
    "  rules: [base_secret]\n"
    "  group-by: [userIdentity.arn]\n"
    "  timespan: 10m\n"
    "  condition: {field: requestParameters.secretId, gte: 3}\n"
    "level: high\n"
    "---\n"
    "title: SES abuse\n"
    "id: 00000000-0000-0000-0000-000000000013\n"
    "logsource: {product: aws, service: cloudtrail}\n"
    "detection:\n"
    "  selection1: {eventSource: ses.amazonaws.com, eventName: UpdateAccountSendingEnabled}\n"
    "  selection2: {eventSource: ses.amazonaws.com, eventName: VerifyEmailIdentity}\n"
    "  timeframe: 5m\n"
    "  condition: selection1 and selection2\n"
    "level: medium\n"
    "---\n"
    "title: Key then launch\n"
    "id: 00000000-0000-0000-0000-000000000012\n"
    "name: corr_ordered\n"
    "correlation:\n"
    "  type: temporal_ordered\n"
    "  rules: [base_key, base_run]\n"
    "  group-by: [sourceIPAddress]\n"
    "  timespan: 10m\n"
    "level: high\n";

typedef struct fired {
    char title[64];
    char group[256];
    size_t nobs;
} fired;

typedef struct harness {
    rip_sigma_ruleset *rs;
    rip_sigma_matcher *m;
    rip_corr_engine *c;
    rip_json_doc doc;
    fired hits[64];
    size_t nhits;
} harness;

static int on_fire(void *ud, const rip_corr_hit *hit)
{
    harness *h = ud;
    if (h->nhits < 64) {
        fired *f = &h->hits[h->nhits++];
        snprintf(f->title, sizeof(f->title), "%s", hit->meta->title);
        snprintf(f->group, sizeof(f->group), "%s", hit->group);
        f->nobs = hit->nobs;
    }
    return 0;
}

static int on_obs(void *ud, const rip_corr_obs *o)
{
    harness *h = ud;
    return rip_corr_observe(h->c, o, on_fire, h);
}

static int on_hit(void *ud, const rip_sigma_hit *hit, const rip_event *ev)
{
    harness *h = ud;
    return rip_corr_extract(h->c, hit, ev, "test", on_obs, h);
}

static void on_diag(void *ud, const rip_sigma_diag *d)
{
    (void)ud;
    tap_diag("diag: %s", d->text);
}

/* Feeds one CloudTrail record at minute t. */
static void feed(harness *h, double minutes, const char *name, const char *arn,
                 const char *ip, const char *secret)
{
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"eventID\":\"e-%s-%.2f\",\"eventName\":\"%s\",\"eventSource\":\"%s\","
             "\"sourceIPAddress\":\"%s\",\"userIdentity\":{\"arn\":\"%s\"},"
             "\"requestParameters\":{\"secretId\":\"%s\"}}",
             name, minutes, name,
             strstr(name, "Sending") || strstr(name, "EmailIdentity") ? "ses.amazonaws.com" : "x.amazonaws.com",
             ip, arn, secret ? secret : "");
    if (rip_json_parse(&h->doc, json, strlen(json), NULL) < 0) {
        CHECK(0, "fixture parses: %s", json);
        return;
    }
    rip_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.cloud = RIP_CLOUD_AWS;
    ev.kind = RIP_EVENT_API_CALL;
    ev.format = RIP_FORMAT_CLOUDTRAIL;
    ev.time_ns = (int64_t)(minutes * (double)MIN_NS) + 1700000000LL * 1000000000LL;
    ev.doc = &h->doc;
    ev.raw = rip_json_root(&h->doc);
    ev.id = rip_json_str(&h->doc, rip_json_get(ev.raw, "eventID"));
    ev.actor.mfa = -1;
    ev.action.read_only = -1;
    rip_sigma_match(h->m, &ev, on_hit, h);
}

static int setup(harness *h, size_t budget)
{
    memset(h, 0, sizeof(*h));
    rip_json_doc_init(&h->doc, NULL);
    h->rs = rip_sigma_ruleset_new(on_diag, NULL);
    if (!h->rs || rip_sigma_load_buffer(h->rs, "corr.yml", rules_yaml, strlen(rules_yaml)) < 0 ||
        rip_sigma_compile(h->rs) < 0)
        return -1;
    h->m = rip_sigma_matcher_new(h->rs);
    h->c = rip_corr_new(h->rs, budget);
    return h->m && h->c ? 0 : -1;
}

static void teardown(harness *h)
{
    rip_corr_free(h->c);
    rip_sigma_matcher_free(h->m);
    rip_sigma_ruleset_free(h->rs);
    rip_json_doc_release(&h->doc);
}

static size_t count_title(const harness *h, const char *title)
{
    size_t n = 0;
    for (size_t i = 0; i < h->nhits; i++)
        n += !strcmp(h->hits[i].title, title);
    return n;
}

int main(void)
{
    harness h;
    if (!CHECK(setup(&h, 0) == 0, "rules with correlations load and compile"))
        return tap_done();
    CHECK(rip_corr_count(h.c) == 4, "engine has 4 correlations (got %u)", rip_corr_count(h.c));

    /* event_count: 3 launches by A in 2 minutes fire once; B's 2 do not. */
    feed(&h, 0, "RunInstances", "arn:a", "1.1.1.1", NULL);
    feed(&h, 1, "RunInstances", "arn:a", "1.1.1.1", NULL);
    feed(&h, 1.5, "RunInstances", "arn:b", "2.2.2.2", NULL);
    CHECK(count_title(&h, "Burst") == 0, "event_count: 2 events do not reach gte 3");
    feed(&h, 2, "RunInstances", "arn:a", "1.1.1.1", NULL);
    CHECK(count_title(&h, "Burst") == 1, "event_count: third event in the window fires");
    CHECK(h.nhits && strstr(h.hits[h.nhits - 1].group, "arn:a") && h.hits[h.nhits - 1].nobs == 3,
          "event_count: the hit names group arn:a and its 3 events");
    feed(&h, 2.5, "RunInstances", "arn:b", "2.2.2.2", NULL);
    CHECK(count_title(&h, "Burst") == 1, "event_count: group arn:b has only 2");
    feed(&h, 3, "RunInstances", "arn:a", "1.1.1.1", NULL);
    CHECK(count_title(&h, "Burst") == 1, "event_count: the window starts over after a hit");

    /* Spread out: 3 launches 4 minutes apart never share a 5-minute window. */
    feed(&h, 20, "RunInstances", "arn:c", "3.3.3.3", NULL);
    feed(&h, 24, "RunInstances", "arn:c", "3.3.3.3", NULL);
    feed(&h, 28.5, "RunInstances", "arn:c", "3.3.3.3", NULL);
    CHECK(count_title(&h, "Burst") == 1, "event_count: events spread over 8.5 minutes do not fire");

    /* Late but within the window: placed in order and counted. */
    feed(&h, 40, "RunInstances", "arn:d", "4.4.4.4", NULL);
    feed(&h, 43, "RunInstances", "arn:d", "4.4.4.4", NULL);
    feed(&h, 39, "RunInstances", "arn:d", "4.4.4.4", NULL);
    CHECK(count_title(&h, "Burst") == 2, "event_count: an out-of-order event inside the window counts");

    /* value_count: distinct secrets. */
    feed(&h, 50, "GetSecretValue", "arn:e", "5.5.5.5", "db");
    feed(&h, 50.1, "GetSecretValue", "arn:e", "5.5.5.5", "db");
    feed(&h, 50.2, "GetSecretValue", "arn:e", "5.5.5.5", "db");
    CHECK(count_title(&h, "Many secrets") == 0, "value_count: one secret read 3 times does not fire");
    feed(&h, 51, "GetSecretValue", "arn:e", "5.5.5.5", "api");
    feed(&h, 52, "GetSecretValue", "arn:e", "5.5.5.5", "ssh");
    CHECK(count_title(&h, "Many secrets") == 1, "value_count: the third distinct secret fires");
    /* Values that left the window no longer count: two secrets, then a third
     * after the 10-minute window has moved past them. */
    feed(&h, 300, "GetSecretValue", "arn:v", "5.5.5.6", "one");
    feed(&h, 301, "GetSecretValue", "arn:v", "5.5.5.6", "two");
    feed(&h, 320, "GetSecretValue", "arn:v", "5.5.5.6", "three");
    feed(&h, 321, "GetSecretValue", "arn:v", "5.5.5.6", "three");
    CHECK(count_title(&h, "Many secrets") == 1, "value_count: values that left the window are not counted");
    feed(&h, 322, "GetSecretValue", "arn:v", "5.5.5.6", "four");
    feed(&h, 323, "GetSecretValue", "arn:v", "5.5.5.6", "one");
    CHECK(count_title(&h, "Many secrets") == 2, "value_count: three distinct values back inside the window fire");

    /* temporal_ordered: launch before key does not fire; key then launch does. */
    feed(&h, 60, "RunInstances", "arn:f", "9.9.9.9", NULL);
    feed(&h, 61, "CreateAccessKey", "arn:f", "9.9.9.9", NULL);
    CHECK(count_title(&h, "Key then launch") == 0, "temporal_ordered: wrong order does not fire");
    feed(&h, 62, "RunInstances", "arn:f", "9.9.9.9", NULL);
    CHECK(count_title(&h, "Key then launch") == 1, "temporal_ordered: key then launch fires");
    feed(&h, 80, "CreateAccessKey", "arn:g", "8.8.8.8", NULL);
    feed(&h, 95, "RunInstances", "arn:g", "8.8.8.8", NULL);
    CHECK(count_title(&h, "Key then launch") == 1, "temporal_ordered: 15 minutes apart is outside 10m");

    /* v1 `selection1 and selection2` with a timeframe: two different events
     * within 5 minutes, in any order (the eventSource is the same here, so
     * the group is the whole input). */
    feed(&h, 100, "UpdateAccountSendingEnabled", "arn:s", "7.7.7.7", NULL);
    CHECK(count_title(&h, "SES abuse") == 0, "timeframe and-rule: one of the two events does not fire");
    feed(&h, 103, "VerifyEmailIdentity", "arn:s", "7.7.7.7", NULL);
    CHECK(count_title(&h, "SES abuse") == 1, "timeframe and-rule: both events within 5m fire");
    feed(&h, 200, "VerifyEmailIdentity", "arn:s", "7.7.7.7", NULL);
    feed(&h, 210, "UpdateAccountSendingEnabled", "arn:s", "7.7.7.7", NULL);
    CHECK(count_title(&h, "SES abuse") == 1, "timeframe and-rule: 10 minutes apart does not fire");

    rip_corr_stats st;
    rip_corr_get_stats(h.c, &st);
    CHECK(st.observations > 0 && st.groups > 0, "stats count observations (%llu) and groups (%llu)",
          (unsigned long long)st.observations, (unsigned long long)st.groups);
    teardown(&h);

    /* A tiny budget drops old groups instead of growing. */
    if (CHECK(setup(&h, 4096) == 0, "engine with a 4 KiB budget")) {
        char arn[64];
        for (int i = 0; i < 200; i++) {
            snprintf(arn, sizeof(arn), "arn:user-%d", i);
            feed(&h, i * 0.01, "RunInstances", arn, "1.1.1.1", NULL);
        }
        rip_corr_get_stats(h.c, &st);
        CHECK(st.groups_dropped > 0 && st.bytes <= 4096 + 1024,
              "budget: groups dropped (%llu), memory held %zu bytes",
              (unsigned long long)st.groups_dropped, st.bytes);
        teardown(&h);
    }
    return tap_done();
}
