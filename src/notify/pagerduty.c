/* pagerduty.c — PagerDuty Events API v2 (pagerduty.h).
 *
 * PagerDuty answers 202 {"status":"success","dedup_key":…} when it takes
 * an event, 400 {"status":"invalid event","message":…,"errors":[…]} when it
 * refuses one, 429 when the integration is throttled and 5xx when it is
 * unwell. Its message is quoted in errors only as printable ASCII, cut
 * short and scrubbed of the routing key. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify/http.h"
#include "notify/pagerduty.h"
#include "util/err.h"
#include "util/json.h"

const char *rip_pagerduty_severity(const char *s)
{
    if (!s)
        return "info";
    if (!strcmp(s, "critical"))
        return "critical";
    if (!strcmp(s, "high"))
        return "error";
    if (!strcmp(s, "medium"))
        return "warning";
    return "info";
}

int rip_pagerduty_dedup_key(int64_t incident_id, char *out, size_t cap)
{
    int n = snprintf(out, cap, "riposte-incident-%" PRId64, incident_id);
    return n < 0 || (size_t)n >= cap ? RIP_ELIMIT : 0;
}

/* Appends up to max characters of s (cut on a UTF-8 boundary). */
static int add_cut(rip_buf *b, const char *s, size_t max)
{
    size_t i = 0, chars = 0;
    while (s[i] && chars < max) {
        i++;
        while (((unsigned char)s[i] & 0xc0) == 0x80)
            i++;
        chars++;
    }
    return rip_buf_add(b, s, i);
}

int rip_pagerduty_body(const rip_pagerduty_cfg *c, const rip_pagerduty_event_in *ev,
                       rip_buf *json)
{
    if (!c || !ev || !c->routing_key || !*c->routing_key || !ev->action ||
        !ev->dedup_key || !*ev->dedup_key)
        return RIP_EINVAL;
    int trigger = !strcmp(ev->action, "trigger");
    if (!trigger && strcmp(ev->action, "acknowledge") && strcmp(ev->action, "resolve"))
        return RIP_EINVAL;
    if (trigger && (!ev->summary || !*ev->summary))
        return RIP_EINVAL;

    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_buf summary = RIP_BUF_INIT;
    size_t start = json->len;
    int rc = 0;
    if (trigger && ev->custom_details) {
        rip_json_error je;
        if (rip_json_parse(&d, ev->custom_details, strlen(ev->custom_details), &je) ||
            !rip_json_is(rip_json_root(&d), RIP_JSON_OBJECT)) {
            rc = RIP_EINVAL;
            goto out;
        }
    }
    if (trigger && (rc = add_cut(&summary, ev->summary, RIP_PAGERDUTY_SUMMARY_MAX)))
        goto out;
    rip_jw w;
    rip_jw_init(&w, json);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "routing_key");
    rip_jw_str(&w, c->routing_key);
    rip_jw_key(&w, "event_action");
    rip_jw_str(&w, ev->action);
    rip_jw_key(&w, "dedup_key");
    rip_jw_str(&w, ev->dedup_key);
    rip_jw_key(&w, "client");
    rip_jw_str(&w, "riposte");
    if (trigger) {
        rip_jw_key(&w, "payload");
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "summary");
        rip_jw_strn(&w, summary.ptr, summary.len);
        rip_jw_key(&w, "source");
        rip_jw_str(&w, ev->source && *ev->source ? ev->source : "riposte");
        rip_jw_key(&w, "severity");
        rip_jw_str(&w, rip_pagerduty_severity(ev->severity));
        if (ev->custom_details) {
            rip_jw_key(&w, "custom_details");
            rip_jw_node(&w, &d, rip_json_root(&d));
        }
        rip_jw_obj_end(&w);
    }
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc && json->alloc) {
        json->len = start;
        json->ptr[start] = '\0';
    }
out:
    rip_buf_release(&summary);
    rip_json_doc_release(&d);
    return rc;
}

/* PagerDuty's message (and first error) as printable ASCII, at most 120. */
static void pd_message(const rip_buf *body, char *dst, size_t cap)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_json_error je;
    dst[0] = '\0';
    if (!rip_json_parse(&d, body->ptr, body->len, &je)) {
        const rip_json_node *root = rip_json_root(&d);
        const rip_json_node *m = rip_json_get(root, "message");
        const rip_json_node *e = rip_json_get(root, "errors");
        const rip_json_node *e0 = rip_json_is(e, RIP_JSON_ARRAY) ? rip_json_at(e, 0) : NULL;
        size_t k = 0;
        for (int pass = 0; pass < 2; pass++) {
            const rip_json_node *n = pass ? e0 : m;
            if (!rip_json_is(n, RIP_JSON_STRING))
                continue;
            rip_slice s = rip_json_str(&d, n);
            if (k && k + 2 < cap) {
                dst[k++] = ':';
                dst[k++] = ' ';
            }
            for (size_t i = 0; s.ptr && i < s.len && k + 1 < cap && k < 120; i++)
                dst[k++] = s.ptr[i] >= 0x20 && s.ptr[i] < 0x7f ? s.ptr[i] : '?';
        }
        dst[k] = '\0';
    }
    rip_json_doc_release(&d);
}

int rip_pagerduty_event(const rip_pagerduty_cfg *c, const rip_pagerduty_event_in *ev,
                        char *err, size_t errcap)
{
    rip_buf body = RIP_BUF_INIT;
    rip_notify_http_resp resp = { 0, -1, RIP_BUF_INIT };
    int rc = rip_pagerduty_body(c, ev, &body);
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "pagerduty: %s",
                     rc == RIP_EINVAL ? "an event needs a routing key, an action "
                                        "(trigger, acknowledge, resolve), a dedup key, a "
                                        "summary to trigger, and custom details as a JSON "
                                        "object"
                                      : rip_strerror(rc));
        goto out;
    }
    const char *headers[] = { "Content-Type: application/json", "User-Agent: riposte", NULL };
    rip_notify_http_req req = { c->url && *c->url ? c->url : RIP_PAGERDUTY_URL_DEFAULT,
                                headers, body.ptr, body.len, c->timeout_ms,
                                c->retry_budget_ms };
    char herr[160];
    rc = rip_notify_http_post(&req, &resp, herr, sizeof(herr));
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "pagerduty: %s", herr);
        goto out;
    }
    if (resp.status == 202 || resp.status == 200)
        goto out;
    if (resp.status == 429) {
        rc = RIP_ERANGE;
        if (errcap)
            snprintf(err, errcap, "pagerduty: rate limited (retry after %ld s)",
                     resp.retry_after_s < 0 ? 0 : resp.retry_after_s);
        goto out;
    }
    char msg[128];
    pd_message(&resp.body, msg, sizeof(msg));
    rc = resp.status >= 400 && resp.status < 500 ? RIP_EINVAL : RIP_EIO;
    if (errcap)
        snprintf(err, errcap, "pagerduty: HTTP %ld%s%s", resp.status, *msg ? ": " : "", msg);
out:
    if (rc && errcap)
        rip_notify_scrub(err, c ? c->routing_key : NULL);
    /* The body held the routing key. */
    if (body.alloc)
        memset(body.ptr, 0, body.alloc);
    rip_buf_release(&body);
    rip_buf_release(&resp.body);
    return rc;
}
