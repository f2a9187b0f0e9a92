/* route.c — an incident's routing facts (its assets' tags from the
 * inventory) and its Slack message kept on its timeline (route.h). */
#include "server/route.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "correlate/incident.h"
#include "inventory/graph.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* A tag value longer than this is cut: routes match team and owner names. */
#define MAX_TAG_VALUE 256

/* The owners an asset points at (an access key's user): their tags count
 * as the asset's, since keys themselves rarely carry any. */
#define MAX_OWNERS 8

typedef struct tag_ctx {
    rip_route_facts *f;
    bool found;
    int err;
    rip_topo_root owners[MAX_OWNERS];
    size_t nowners;
} tag_ctx;

static bool have_tag(const rip_route_facts *f, const char *k, size_t kl, const char *v, size_t vl)
{
    for (size_t i = 0; i < f->sub.ntags; i++)
        if (strlen(f->tags[i].key) == kl && !memcmp(f->tags[i].key, k, kl) &&
            strlen(f->tags[i].value) == vl && !memcmp(f->tags[i].value, v, vl))
            return true;
    return false;
}

static int on_asset(void *ud, const rip_store_asset_row *row)
{
    tag_ctx *c = ud;
    rip_route_facts *f = c->f;
    c->found = true;
    for (size_t i = 0; i < row->nrels && c->nowners < MAX_OWNERS; i++) {
        const rip_store_asset_rel *r = &row->rels[i];
        if (strcmp(row->type, "access_key") || !r->target_type || !r->target_id ||
            (strcmp(r->target_type, "user") && strcmp(r->target_type, "role")))
            continue;
        const char *t = rip_arena_strndup(&f->arena, r->target_type, strlen(r->target_type));
        const char *id = rip_arena_strndup(&f->arena, r->target_id, strlen(r->target_id));
        if (!t || !id)
            return c->err = RIP_ENOMEM;
        c->owners[c->nowners++] = (rip_topo_root){ t, id };
    }
    if (!row->tags)
        return 0;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, row->tags, strlen(row->tags), NULL) == 0) {
        RIP_JSON_EACH(k, rip_json_root(&d)) {
            rip_slice key = rip_json_str(&d, k);
            rip_slice val = rip_json_str(&d, k + 1);
            if (!key.ptr || !val.ptr || f->sub.ntags == RIP_ROUTE_MAX_TAGS)
                continue;
            size_t vl = val.len < MAX_TAG_VALUE ? val.len : MAX_TAG_VALUE;
            if (have_tag(f, key.ptr, key.len, val.ptr, vl))
                continue;
            const char *ks = rip_arena_strndup(&f->arena, key.ptr, key.len);
            const char *vs = rip_arena_strndup(&f->arena, val.ptr, vl);
            if (!ks || !vs) {
                c->err = RIP_ENOMEM;
                break;
            }
            f->tags[f->sub.ntags++] = (rip_route_tag){ ks, vs };
        }
    }
    rip_json_doc_release(&d);
    return c->err;
}

int rip_route_facts_build(rip_store *st, const rip_store_incident *inc, rip_route_facts *f)
{
    memset(f, 0, sizeof(*f));
    rip_arena_init(&f->arena, 1u << 20);
    f->sub.finding_types = f->types;
    f->sub.tags = f->tags;
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *fr = &inc->findings[i];
        if (fr->rule_id && f->sub.nfinding_types < RIP_ROUTE_MAX_TYPES)
            f->types[f->sub.nfinding_types++] = rip_arena_strndup(&f->arena, fr->rule_id,
                                                                  strlen(fr->rule_id));
        if (!f->sub.account && fr->account)
            f->sub.account = rip_arena_strndup(&f->arena, fr->account, strlen(fr->account));
    }
    f->sub.severity = rip_severity_rank(inc->row.severity);
    if (inc->row.owner)
        f->sub.owner = rip_arena_strndup(&f->arena, inc->row.owner, strlen(inc->row.owner));
    int rc = 0;
    for (size_t i = 0; i < inc->nentities && !rc && f->assets < RIP_ROUTE_MAX_ASSETS; i++) {
        char name[256];
        rip_topo_root root;
        if (!rip_topo_root_for_entity(inc->entities[i].type, inc->entities[i].value, name,
                                      sizeof(name), &root))
            continue;
        tag_ctx c = { .f = f };
        rip_store_asset_filter flt = { .type = root.type, .resource_id = root.id };
        rc = rip_store_list_assets(st, &flt, on_asset, &c);
        if (!rc)
            rc = c.err;
        if (c.found)
            f->assets++;
        size_t nowners = c.nowners;
        for (size_t k = 0; k < nowners && !rc; k++) {
            rip_store_asset_filter of = { .type = c.owners[k].type,
                                          .resource_id = c.owners[k].id };
            rc = rip_store_list_assets(st, &of, on_asset, &c);
            if (!rc)
                rc = c.err;
        }
    }
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
