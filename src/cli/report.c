/* report.c — what both report renderers share: the derived parts of the
 * view (actions, follow-ups), the summary sentence and time formatting. */
#include "cli/report.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "util/timeutil.h"

char *rip_report_time(int64_t ns, char out[40])
{
    char t[RIP_TIME_FMT_MAX];
    if (!ns) {
        strcpy(out, "-");
        return out;
    }
    rip_time_format(ns - ns % 1000000000, t);  /* whole seconds */
    /* "2024-03-01T10:00:05Z" -> "2024-03-01 10:00:05 UTC" */
    size_t n = strlen(t);
    if (n >= 20 && t[10] == 'T' && t[n - 1] == 'Z') {
        t[10] = ' ';
        t[n - 1] = 0;
        snprintf(out, 40, "%s UTC", t);
    } else {
        snprintf(out, 40, "%s", t);
    }
    return out;
}

void rip_report_duration(rip_buf *b, int64_t ns)
{
    int64_t s = ns > 0 ? ns / 1000000000 : 0;
    if (s >= 86400)
        rip_buf_addf(b, "%" PRId64 "d %" PRId64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        rip_buf_addf(b, "%" PRId64 "h %02" PRId64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        rip_buf_addf(b, "%" PRId64 "m %02" PRId64 "s", s / 60, s % 60);
    else
        rip_buf_addf(b, "%" PRId64 "s", s);
}

const char *rip_report_kind_label(const char *kind)
{
    static const struct {
        const char *kind, *label;
    } labels[] = {
        { "finding_added", "finding added" },
        { "status_change", "status" },
        { "action_planned", "action planned" },
        { "action_taken", "action taken" },
        { "action_failed", "action failed" },
        { "approval_requested", "approval asked" },
        { "approval_decided", "approval decided" },
        { "notification", "notification" },
        { "escalated", "escalated" },
        { "run_finished", "playbook run ended" },
        { "notification_failed", "notification failed" },
    };
    if (!kind)
        return "entry";
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(labels[i].kind, kind))
            return labels[i].label;
    return kind;
}

const char *rip_report_entity_label(const char *type)
{
    static const struct {
        const char *type, *label;
    } labels[] = {
        { "access_key", "access key" },
        { "principal", "principal" },
        { "role", "role" },
        { "instance", "instance" },
        { "bucket", "bucket" },
        { "security_group", "security group" },
        { "source_ip", "source IP" },
    };
    if (!type)
        return "entity";
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (!strcmp(labels[i].type, type))
            return labels[i].label;
    return type;
}

static const char *arena_printf(rip_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *arena_printf(rip_arena *a, const char *fmt, ...)
{
    rip_buf b = RIP_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = rip_buf_vaddf(&b, fmt, ap);
    va_end(ap);
    const char *out = rc == 0 ? rip_arena_strndup(a, b.ptr, b.len) : NULL;
    rip_buf_release(&b);
    return out;
}

static const char *action_state(const char *kind)
{
    if (!kind)
        return NULL;
    if (!strcmp(kind, "action_planned"))
        return "planned";
    if (!strcmp(kind, "action_taken"))
        return "taken";
    if (!strcmp(kind, "action_failed"))
        return "failed";
    return NULL;
}

static bool is_closed(const rip_report_incident *r)
{
    static const char *const done[] = { "resolved", "false_positive", "merged", "closed" };
    for (size_t i = 0; i < sizeof(done) / sizeof(done[0]); i++)
        if ((r->status && !strcmp(r->status, done[i])) || (r->phase && !strcmp(r->phase, done[i])))
            return true;
    return false;
}

int rip_report_derive(rip_report_incident *r, rip_arena *a)
{
    if (!r->nactions && r->ntimeline) {
        rip_report_action *acts = rip_arena_calloc(a, r->ntimeline, sizeof(*acts));
        size_t n = 0;
        if (!acts)
            return RIP_ENOMEM;
        for (size_t i = 0; i < r->ntimeline; i++) {
            const rip_report_entry *e = &r->timeline[i];
            const char *st = action_state(e->kind);
            if (st)
                acts[n++] = (rip_report_action){ e->time_ns, e->who, st, e->text };
        }
        r->actions = acts;
        r->nactions = n;
    }
    if (r->nfollowups)
        return 0;

    size_t cap = 4 + r->nactions + r->nleftovers + r->nentities;
    rip_report_followup *f = rip_arena_calloc(a, cap, sizeof(*f));
    size_t n = 0, taken = 0;
    if (!f)
        return RIP_ENOMEM;
    for (size_t i = 0; i < r->nactions; i++)
        taken += !strcmp(r->actions[i].state, "taken");
    bool closed = is_closed(r);

    if (!closed && !taken)
        f[n++].text = arena_printf(a, "Contain: no response action has been taken yet (phase %s).",
                                   r->phase ? r->phase : "unknown");
    for (size_t i = 0; i < r->nactions; i++)
        if (!strcmp(r->actions[i].state, "failed"))
            f[n++].text = arena_printf(a, "Failed action, retry it or do it by hand: %s",
                                       r->actions[i].text ? r->actions[i].text : "(no text)");
    for (size_t i = 0; i < r->nleftovers; i++) {
        const rip_report_leftover *l = &r->leftovers[i];
        if (l->removed_ns)
            continue;
        const char *hint = l->hint ? l->hint : "check it and remove it";
        if (l->on)
            f[n++].text = arena_printf(a, "Clean up the %s %s %s %s: %s.", l->what ? l->what : "",
                                       l->id ? l->id : "", l->on_label ? l->on_label : "on",
                                       l->on, hint);
        else
            f[n++].text = arena_printf(a, "Clean up the %s %s: %s.", l->what ? l->what : "",
                                       l->id ? l->id : "", hint);
    }
    for (size_t i = 0; i < r->nentities; i++) {
        const rip_report_entity *e = &r->entities[i];
        if (!e->type || strcmp(e->type, "access_key") || !e->value)
            continue;
        bool handled = false;
        for (size_t k = 0; k < r->nactions && !handled; k++)
            handled = !strcmp(r->actions[k].state, "taken") && r->actions[k].text &&
                      strstr(r->actions[k].text, e->value);
        if (!handled)
            f[n++].text = arena_printf(a, "Deactivate and rotate access key %s; find how it "
                                       "leaked before issuing a new one.", e->value);
    }
    if (!r->owner || !*r->owner)
        f[n++].text = arena_printf(a, "Assign an owner to the incident.");
    if (!closed)
        f[n++].text = arena_printf(a, "Resolve the incident once the items above are done "
                                   "(status %s, phase %s).", r->status ? r->status : "unknown",
                                   r->phase ? r->phase : "unknown");
    for (size_t i = 0; i < n; i++)
        if (!f[i].text)
            return RIP_ENOMEM;
    r->followups = f;
    r->nfollowups = n;
    return 0;
}

/* The entities of one type, "a, b and c" (at most 3, then "and N more"). */
static void add_entities(rip_buf *b, const rip_report_incident *r, const char *type)
{
    size_t n = 0, total = 0;
    for (size_t i = 0; i < r->nentities; i++)
        total += r->entities[i].type && !strcmp(r->entities[i].type, type);
    for (size_t i = 0; i < r->nentities && n < 3; i++) {
        if (!r->entities[i].type || strcmp(r->entities[i].type, type))
            continue;
        if (n)
            rip_buf_adds(b, n + 1 == total || n == 2 ? " and " : ", ");
        rip_buf_adds(b, r->entities[i].value ? r->entities[i].value : "?");
        n++;
    }
    if (total > n)
        rip_buf_addf(b, " and %zu more", total - n);
}

static size_t count_type(const rip_report_incident *r, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nentities; i++)
        n += r->entities[i].type && !strcmp(r->entities[i].type, type);
    return n;
}

int rip_report_summary(const rip_report_incident *r, rip_buf *b)
{
    char t1[40], t2[40];
    size_t taken = 0, failed = 0, open = 0;
    for (size_t i = 0; i < r->nactions; i++) {
        taken += !strcmp(r->actions[i].state, "taken");
        failed += !strcmp(r->actions[i].state, "failed");
    }
    for (size_t i = 0; i < r->nleftovers; i++)
        open += !r->leftovers[i].removed_ns;

    if (r->last_ns > r->first_ns)
        rip_buf_addf(b, "Between %s and %s", rip_report_time(r->first_ns, t1),
                     rip_report_time(r->last_ns, t2));
    else
        rip_buf_addf(b, "At %s", rip_report_time(r->first_ns, t1));
    if (r->last_ns > r->first_ns) {
        rip_buf_adds(b, " (");
        rip_report_duration(b, r->last_ns - r->first_ns);
        rip_buf_addc(b, ')');
    }
    if (count_type(r, "principal")) {
        rip_buf_adds(b, ", ");
        add_entities(b, r, "principal");
    } else if (count_type(r, "access_key")) {
        rip_buf_adds(b, ", an identity");
    } else {
        rip_buf_adds(b, ", activity");
    }
    if (count_type(r, "access_key")) {
        rip_buf_adds(b, " using access key ");
        add_entities(b, r, "access_key");
    }
    if (count_type(r, "source_ip")) {
        rip_buf_adds(b, " from ");
        add_entities(b, r, "source_ip");
    }
    rip_buf_addf(b, " set off %zu %s", r->nfindings, r->nfindings == 1 ? "finding" : "findings");
    if (r->nfindings) {
        rip_buf_adds(b, ", the most telling: ");
        /* The first finding of the highest severity. */
        static const char *const order[] = { "critical", "high", "medium", "low", "informational" };
        const rip_report_finding *best = &r->findings[0];
        for (size_t s = 0; s < 5; s++) {
            bool found = false;
            for (size_t i = 0; i < r->nfindings && !found; i++)
                if (r->findings[i].severity && !strcmp(r->findings[i].severity, order[s])) {
                    best = &r->findings[i];
                    found = true;
                }
            if (found)
                break;
        }
        rip_buf_adds(b, best->title ? best->title : "(untitled)");
    }
    rip_buf_adds(b, ". ");
    if (taken || failed)
        rip_buf_addf(b, "%zu response %s taken%s", taken, taken == 1 ? "action was" : "actions were",
                     failed ? "" : ". ");
    if (failed)
        rip_buf_addf(b, "%s%zu failed. ", taken ? ", " : "", failed);
    if (!taken && !failed)
        rip_buf_adds(b, "No response action has been taken. ");
    if (open)
        rip_buf_addf(b, "%zu %s left behind still %s cleaning up. ", open,
                     open == 1 ? "thing" : "things", open == 1 ? "needs" : "need");
    rip_buf_addf(b, "The incident is %s (phase %s) and %s%s.", r->status ? r->status : "open",
                 r->phase ? r->phase : "detected", r->owner ? "owned by " : "has no owner",
                 r->owner ? r->owner : "");
    return 0;
}

/* "principal a, b; access key K": the entities of one type, values escaped
 * by esc. */
static void entity_list(rip_buf *b, const rip_report_incident *r, const char *type,
                        const char *label, bool *any, rip_report_esc_fn esc)
{
    size_t n = 0;
    for (size_t i = 0; i < r->nentities; i++) {
        const rip_report_entity *e = &r->entities[i];
        if (!e->type || strcmp(e->type, type))
            continue;
        rip_buf_adds(b, n ? ", " : (*any ? "; " : ""));
        if (!n)
            rip_buf_addf(b, "%s ", label);
        esc(b, e->value, 1);
        n++;
        *any = true;
    }
}

static void add_since_start(rip_buf *b, const rip_report_incident *r, int64_t t)
{
    if (r->first_ns && t >= r->first_ns) {
        rip_buf_adds(b, " (");
        rip_report_duration(b, t - r->first_ns);
        rip_buf_adds(b, " after the first activity)");
    }
}

void rip_report_wwwh(const rip_report_incident *r, int part, rip_buf *b, rip_report_esc_fn esc)
{
    char t[40];
    bool any = false;
    switch (part) {
    case RIP_REPORT_WHO:
        entity_list(b, r, "principal", "principal", &any, esc);
        entity_list(b, r, "role", "role", &any, esc);
        entity_list(b, r, "access_key", "access key", &any, esc);
        entity_list(b, r, "source_ip", "from", &any, esc);
        if (!any)
            rip_buf_adds(b, "not known from the findings");
        break;
    case RIP_REPORT_WHAT:
        for (size_t i = 0; i < r->nfindings && i < 5; i++) {
            if (i)
                rip_buf_adds(b, "; ");
            esc(b, r->findings[i].title, 0);
        }
        if (r->nfindings > 5)
            rip_buf_addf(b, "; and %zu more findings", r->nfindings - 5);
        if (!r->nfindings)
            rip_buf_adds(b, "no findings");
        rip_buf_adds(b, ". Assets: ");
        entity_list(b, r, "instance", "instance", &any, esc);
        entity_list(b, r, "bucket", "bucket", &any, esc);
        entity_list(b, r, "security_group", "security group", &any, esc);
        if (!any)
            rip_buf_adds(b, "none named");
        rip_buf_adds(b, ".");
        break;
    case RIP_REPORT_WHEN:
        rip_buf_addf(b, "first seen %s", rip_report_time(r->first_ns, t));
        rip_buf_addf(b, ", last seen %s", rip_report_time(r->last_ns, t));
        if (r->created_ns) {
            rip_buf_addf(b, "; incident opened %s", rip_report_time(r->created_ns, t));
            add_since_start(b, r, r->created_ns);
        }
        for (size_t i = 0; i < r->nactions; i++) {
            if (!r->actions[i].state || strcmp(r->actions[i].state, "taken"))
                continue;
            rip_buf_addf(b, "; first response action %s",
                         rip_report_time(r->actions[i].time_ns, t));
            add_since_start(b, r, r->actions[i].time_ns);
            break;
        }
        rip_buf_adds(b, ".");
        break;
    case RIP_REPORT_HOW:
        if (!r->nactivity)
            rip_buf_adds(b, "see the findings below.");
        for (size_t i = 0; i < r->nactivity; i++) {
            const rip_report_activity *a = &r->activity[i];
            if (i)
                rip_buf_adds(b, " ");
            rip_buf_adds(b, "The ");
            esc(b, rip_report_entity_label(a->entity_type), 0);   /* escaped too: a label may be a raw type */
            rip_buf_adds(b, " ");
            esc(b, a->entity, 1);
            rip_buf_addf(b, " made %" PRIu64 " %s (%" PRIu64 " failed) in %" PRIu64 " %s",
                         a->events, a->events == 1 ? "call" : "calls", a->errors, a->sessions,
                         a->sessions == 1 ? "session" : "sessions");
            if (a->services) {
                rip_buf_adds(b, " to ");
                esc(b, a->services, 0);
            }
            if (a->top_actions) {
                rip_buf_adds(b, ", among them ");
                esc(b, a->top_actions, 0);
            }
            if (a->source_ips) {
                rip_buf_adds(b, ", from ");
                esc(b, a->source_ips, 0);
            }
            if (a->user_agents) {
                rip_buf_adds(b, ", with ");
                esc(b, a->user_agents, 0);
            }
            rip_buf_adds(b, ".");
        }
        break;
    default:
        break;
    }
}
