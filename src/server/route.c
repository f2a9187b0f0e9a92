/* route.c — an incident's routing facts (its assets' tags from the
 * inventory) and its Slack message kept on its timeline (route.h). */
#include "server/route.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "correlate/incident.h"
#include "inventory/tags.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

int rip_route_facts_build(rip_store *st, const rip_store_incident *inc, rip_route_facts *f)
{
    memset(f, 0, sizeof(*f));
    rip_arena_init(&f->arena, 1u << 20);
    f->sub.finding_types = f->types;
    f->sub.tags = f->tags;
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *fr = &inc->findings[i];
        const char *type = fr->rule_id && f->sub.nfinding_types < RIP_ROUTE_MAX_TYPES
                               ? rip_arena_strndup(&f->arena, fr->rule_id, strlen(fr->rule_id))
                               : NULL;
        if (type)
            f->types[f->sub.nfinding_types++] = type;
        if (!f->sub.account && fr->account)
            f->sub.account = rip_arena_strndup(&f->arena, fr->account, strlen(fr->account));
    }
    f->sub.severity = rip_severity_rank(inc->row.severity);
    if (inc->row.owner)
        f->sub.owner = rip_arena_strndup(&f->arena, inc->row.owner, strlen(inc->row.owner));
    rip_incident_tags *t = rip_arena_alloc(&f->arena, sizeof(*t));
    if (!t)
        return RIP_ENOMEM;
    int rc = rip_incident_tags_read(st, inc, &f->arena, t);
    for (size_t i = 0; i < t->n && i < RIP_ROUTE_MAX_TAGS; i++)
        f->tags[f->sub.ntags++] = (rip_route_tag){ t->v[i].key, t->v[i].value };
    f->assets = t->assets;
    f->itags = t;
    return rc;
}

void rip_route_facts_release(rip_route_facts *f)
{
    if (f)
        rip_arena_release(&f->arena);
}

bool rip_route_slack_message(const rip_store_incident *inc, char *channel, size_t channel_cap,
                             char *ts, size_t ts_cap)
{
    bool found = false;
    for (size_t i = 0; i < inc->ntimeline; i++) {
        const rip_store_timeline_row *t = &inc->timeline[i];
        if (!t->kind || strcmp(t->kind, "notification") || !t->detail ||
            !strstr(t->detail, "\"slack_ts\""))
            continue;
        rip_json_doc d;
        rip_json_doc_init(&d, NULL);
        if (rip_json_parse(&d, t->detail, strlen(t->detail), NULL) == 0) {
            const rip_json_node *root = rip_json_root(&d);
            const rip_json_node *c = rip_json_get(root, "slack_channel");
            const rip_json_node *m = rip_json_get(root, "slack_ts");
            rip_slice cs = c ? rip_json_str(&d, c) : RIP_SLICE_NULL;
            rip_slice ms = m ? rip_json_str(&d, m) : RIP_SLICE_NULL;
            if (cs.ptr && ms.ptr && cs.len < channel_cap && ms.len < ts_cap) {
                snprintf(channel, channel_cap, "%.*s", (int)cs.len, cs.ptr);
                snprintf(ts, ts_cap, "%.*s", (int)ms.len, ms.ptr);
                found = true;   /* the newest wins: keep looking */
            }
        }
        rip_json_doc_release(&d);
    }
    return found;
}

int rip_route_slack_record(rip_store *st, int64_t incident, const char *channel,
                           const char *ts)
{
    rip_buf detail = RIP_BUF_INIT, text = RIP_BUF_INIT;
    rip_buf_adds(&detail, "{\"channel\":\"slack\",\"slack_channel\":");
    rip_json_quote(&detail, channel, strlen(channel));
    rip_buf_adds(&detail, ",\"slack_ts\":");
    rip_json_quote(&detail, ts, strlen(ts));
    rip_buf_addc(&detail, '}');
    rip_buf_addf(&text, "Slack message posted (channel %.64s, ts %.32s)", channel, ts);
    int rc = detail.ptr && text.ptr ? 0 : RIP_ENOMEM;
    if (!rc) {
        rip_store_timeline_entry e = { .kind = "notification", .actor = "riposte",
                                       .text = text.ptr, .detail = detail.ptr };
        rc = rip_store_timeline_append(st, incident, &e, NULL);
    }
    rip_buf_release(&detail);
    rip_buf_release(&text);
    return rc;
}

size_t rip_route_events_due(const rip_store_incident *inc, const char **out)
{
    size_t n = 0;
    const char *phase = inc->row.phase ? inc->row.phase : "";
    const char *status = inc->row.status ? inc->row.status : "";
    out[n++] = "opened";
    if (!strcmp(status, "acknowledged"))
        out[n++] = "acknowledged";
    if (!strcmp(phase, "contained") || !strcmp(phase, "eradicated") ||
        !strcmp(phase, "recovered") || !strcmp(phase, "closed"))
        out[n++] = "contained";
    if (!strcmp(status, "resolved") || !strcmp(status, "false_positive"))
        out[n++] = "resolved";
    return n;
}

bool rip_route_notified(const rip_store_incident *inc, const char *channel, const char *event)
{
    bool found = false;
    for (size_t i = 0; i < inc->ntimeline && !found; i++) {
        const rip_store_timeline_row *t = &inc->timeline[i];
        if (!t->kind || strcmp(t->kind, "notification") || !t->detail ||
            !strstr(t->detail, "\"event\""))
            continue;
        rip_json_doc d;
        rip_json_doc_init(&d, NULL);
        if (rip_json_parse(&d, t->detail, strlen(t->detail), NULL) == 0) {
            const rip_json_node *root = rip_json_get(rip_json_root(&d), "channel");
            const rip_json_node *ev = rip_json_get(rip_json_root(&d), "event");
            rip_slice cs = root ? rip_json_str(&d, root) : RIP_SLICE_NULL;
            rip_slice es = ev ? rip_json_str(&d, ev) : RIP_SLICE_NULL;
            found = cs.ptr && es.ptr && cs.len == strlen(channel) &&
                    !memcmp(cs.ptr, channel, cs.len) && es.len == strlen(event) &&
                    !memcmp(es.ptr, event, es.len);
        }
        rip_json_doc_release(&d);
    }
    return found;
}

int rip_route_notify(rip_store *st, const rip_store_incident *inc, const char *channel,
                     const char *event)
{
    const rip_store_incident_row *r = &inc->row;
    char step[64], msg[768], text[256];
    snprintf(step, sizeof(step), "incident:%s", event);
    const char *what = !strcmp(event, "opened") ? "opened"
                     : !strcmp(event, "contained") ? "contained"
                     : !strcmp(event, "acknowledged") ? "acknowledged" : "resolved";
    snprintf(msg, sizeof(msg), "incident %" PRId64 " %s (%s): %.600s", r->id, what,
             r->severity ? r->severity : "unknown", r->title ? r->title : "");
    snprintf(text, sizeof(text), "%s: notification queued for channel %.64s", event, channel);
    rip_store_notification n = { .incident_id = r->id, .step = step, .channel = channel,
                                 .severity = r->severity ? r->severity : "high",
                                 .message = msg };
    int rc = rip_store_put_notification(st, &n, NULL);
    if (rc)
        return rc;
    rip_buf detail = RIP_BUF_INIT;
    rip_buf_adds(&detail, "{\"channel\":");
    rip_json_quote(&detail, channel, strlen(channel));
    rip_buf_adds(&detail, ",\"event\":");
    rip_json_quote(&detail, event, strlen(event));
    rip_buf_addc(&detail, '}');
    rip_store_timeline_entry e = { .kind = "notification", .actor = "riposte", .text = text,
                                   .detail = detail.ptr };
    rc = detail.ptr ? rip_store_timeline_append(st, r->id, &e, NULL) : RIP_ENOMEM;
    rip_buf_release(&detail);
    return rc;
}
