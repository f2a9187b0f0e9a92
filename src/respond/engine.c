/* engine.c — the run engine (engine.h). */
#include "respond/engine.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/actions.h"
#include "correlate/incident.h"
#include "respond/run-context.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/json.h"

#define NS_PER_S INT64_C(1000000000)

struct rip_engine {
    rip_engine_opts o;
    char msg[1024];
};

static int64_t now_ns(rip_engine *e)
{
    if (e->o.clock)
        return e->o.clock(e->o.clock_ud);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static const char *actor(const rip_engine *e)
{
    return e->o.actor ? e->o.actor : "riposte";
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(rip_engine *e, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return rc;
}

static int store_fail(rip_engine *e, int rc)
{
    return fail(e, rc, "%s", rip_store_errmsg(e->o.st));
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void logf_(rip_engine *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rip_vlogf(e->o.log, e->o.log_ud, NULL, fmt, ap);
    va_end(ap);
}

rip_engine *rip_engine_new(const rip_engine_opts *o)
{
    rip_engine *e = calloc(1, sizeof(*e));
    if (e)
        e->o = *o;
    return e;
}

void rip_engine_free(rip_engine *e)
{
    free(e);
}

const char *rip_engine_errmsg(const rip_engine *e)
{
    return e->msg;
}

static bool terminal(const char *state)
{
    return !strcmp(state, "succeeded") || !strcmp(state, "failed") ||
           !strcmp(state, "skipped") || !strcmp(state, "cancelled") ||
           !strcmp(state, "timed_out");
}

/* ---- the one place a step changes state ---- */

typedef struct change {
    const char *audit;         /* audit action: planned, executing, executed, ... */
    const char *timeline;      /* timeline kind, or NULL: none */
    const char *text;          /* for people (timeline text, log line) */
    const char *detail;        /* JSON for the audit entry and the timeline */
} change;

static void target(char *buf, size_t cap, int64_t run, const char *step)
{
    if (step)
        snprintf(buf, cap, "run %" PRId64 " step %s", run, step);
    else
        snprintf(buf, cap, "run %" PRId64, run);
}

/* The audit entry and the timeline entry of a change, inside the caller's
 * transaction. */
static int record(rip_engine *e, const rip_store_run *run, const char *step, const char *who,
                  const change *c, int64_t t)
{
    char tg[128];
    target(tg, sizeof(tg), run->id, step);
    rip_store_audit_new a = { .time_ns = t, .actor = who, .action = c->audit, .target = tg,
                              .detail = c->detail };
    int rc = rip_store_audit_append(e->o.st, &a, NULL);
    if (rc)
        return rc;
    if (c->timeline && run->incident_id) {
        rip_store_timeline_entry te = { .time_ns = t, .kind = c->timeline, .actor = who,
                                        .text = c->text, .detail = c->detail };
        rc = rip_store_timeline_append(e->o.st, run->incident_id, &te, NULL);
        if (rc)
            return rc;
    }
    logf_(e, "run %" PRId64 "%s%s: %s", run->id, step ? " step " : "", step ? step : "",
          c->text);
    return 0;
}

/* Changes step (u->state, compare-and-set on u->expect) and records c, all
 * in one transaction; extra (may be NULL) adds writes to it. */
static int step_change(rip_engine *e, const rip_store_run *run, const char *step,
                       rip_store_step_set *u, const char *who, const change *c,
                       int (*extra)(rip_engine *, void *), void *extra_ud)
{
    rip_store *st = e->o.st;
    int64_t t = now_ns(e);
    u->now_ns = t;
    int rc = rip_store_begin(st);
    if (rc)
        return store_fail(e, rc);
    rc = rip_store_step_update(st, run->id, step, u);
    if (!rc)
        rc = record(e, run, step, who, c, t);
    if (!rc && extra)
        rc = extra(e, extra_ud);
    if (!rc)
        rc = rip_store_commit(st);
    if (rc) {
        rip_store_rollback(st);
        return store_fail(e, rc);
    }
    return 0;
}

/* A detail object {"run","incident","playbook","step",...extra}. */
static char *detail(const rip_store_run *run, const char *step, const char *k1, const char *v1,
                    const char *k2, const char *raw2)
{
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "run");
    rip_jw_i64(&w, run->id);
    rip_jw_key(&w, "incident");
    rip_jw_i64(&w, run->incident_id);
    rip_jw_key(&w, "playbook");
    rip_jw_str(&w, run->playbook);
    rip_jw_key(&w, "dry_run");
    rip_jw_bool(&w, run->dry_run != 0);
    if (step) {
        rip_jw_key(&w, "step");
        rip_jw_str(&w, step);
    }
    if (k1) {
        rip_jw_key(&w, k1);
        rip_jw_str(&w, v1);
    }
    if (k2 && raw2) {
        rip_jw_key(&w, k2);
        rip_jw_raw(&w, raw2, strlen(raw2));
    }
    rip_jw_obj_end(&w);
    if (rip_jw_finish(&w)) {
        rip_buf_release(&b);
        return NULL;
    }
    return b.ptr;
}

/* ---- starting runs ---- */

/* inc's assets' tags from the inventory into *t (strings in ar), or NULL
 * when they cannot be read: then the run goes on without them (logged). */
static const rip_incident_tags *read_tags(rip_engine *e, const rip_store_incident *inc,
                                          rip_arena *ar, rip_incident_tags *t)
{
    if (rip_incident_tags_read(e->o.st, inc, ar, t) == 0)
        return t;
    logf_(e, "incident %" PRId64 ": its assets' tags could not be read: %s", inc->row.id,
          rip_store_errmsg(e->o.st));
    return NULL;
}

int rip_engine_start(rip_engine *e, const rip_playbook *pb, int64_t incident, bool dry_run,
                     int64_t *run_id, int *created)
{
    rip_store *st = e->o.st;
    rip_store_incident *inc = NULL;
    rip_buf ctx = RIP_BUF_INIT;
    rip_store_step_new *steps = NULL;
    char (*keys)[160] = NULL;
    char *det = NULL;
    int made = 0;
    e->msg[0] = '\0';

    int rc = rip_store_incident_get(st, incident, &inc);
    if (rc)
        return store_fail(e, rc);
    rip_arena tag_arena;
    rip_arena_init(&tag_arena, 1u << 20);
    rip_incident_tags *tagbuf = malloc(sizeof(*tagbuf));
    const rip_incident_tags *tags = tagbuf ? read_tags(e, inc, &tag_arena, tagbuf) : NULL;
    rip_run_trigger trig;
    rc = rip_run_match(pb, inc, tags, &trig);
    if (!rc && !trig.matches && inc->nfindings) {
        /* Started by hand: the oldest finding stands for the trigger. */
        trig.finding_id = inc->findings[0].id;
        trig.time_ns = inc->findings[0].time_ns;
    }
    if (!rc)
        rc = rip_run_context(st, inc, &trig, tags, &ctx);
    rip_arena_release(&tag_arena);
    free(tagbuf);
    tags = NULL;
    if (!rc && e->o.approve_all && ctx.len && ctx.ptr[ctx.len - 1] == '}') {
        /* Every action of this run waits for a press (a route's mode). */
        static const char tail[] = ",\"approve_all\":true}";
        ctx.len--;
        rc = rip_buf_add(&ctx, tail, sizeof(tail) - 1) ? RIP_ENOMEM : 0;
    }
    if (rc) {
        rc = rc == RIP_ENOMEM ? fail(e, rc, "out of memory") : store_fail(e, rc);
        goto out;
    }
    steps = calloc(pb->nsteps ? pb->nsteps : 1, sizeof(*steps));
    keys = calloc(pb->nsteps ? pb->nsteps : 1, sizeof(*keys));
    if (!steps || !keys) {
        rc = fail(e, RIP_ENOMEM, "out of memory");
        goto out;
    }
    /* Steps in run order; the idempotency key names the incident, the
     * playbook, the kind of run and the step: the same for every try. */
    for (size_t i = 0; i < pb->nsteps; i++) {
        const rip_pb_step *sd = &pb->steps[pb->order[i]];
        snprintf(keys[i], sizeof(keys[i]), "riposte:%" PRId64 ":%s:%s:%s", incident, pb->name,
                 dry_run ? "dry" : "live", sd->id);
        steps[i] = (rip_store_step_new){
            .step = sd->id,
            .kind = sd->kind == RIP_PB_STEP_NOTIFY ? "notify" : "action",
            .action = sd->kind == RIP_PB_STEP_ACTION ? sd->action : NULL,
            .idempotency_key = keys[i],
        };
    }
    rc = rip_store_begin(st);
    if (rc) {
        rc = store_fail(e, rc);
        goto out;
    }
    rip_store_run_new rn = {
        .incident_id = incident,
        .playbook = pb->name,
        .dry_run = dry_run,
        .state = "running",
        .context = ctx.ptr,
        .detected_ns = trig.time_ns,
        .steps = steps,
        .nsteps = pb->nsteps,
        .now_ns = now_ns(e),
    };
    rc = rip_store_run_create(st, &rn, run_id, &made);
    if (!rc && made) {
        rip_store_run shell = { .id = *run_id, .incident_id = incident,
                                .playbook = (char *)pb->name, .dry_run = dry_run };
        rip_buf names = RIP_BUF_INIT;
        for (size_t i = 0; i < pb->nsteps; i++)
            if (rip_buf_addf(&names, "%s%s", i ? ", " : "", steps[i].step))
                rc = RIP_ENOMEM;
        char text[1024];
        snprintf(text, sizeof(text), "%splaybook %s started: %s", dry_run ? "dry run of " : "",
                 pb->name, names.ptr ? names.ptr : "");
        det = detail(&shell, NULL, "steps", names.ptr ? names.ptr : "", "context", ctx.ptr);
        rip_buf_release(&names);
        change c = { "planned", "action_planned", text, det };
        if (!rc && !det)
            rc = RIP_ENOMEM;
        if (!rc)
            rc = record(e, &shell, NULL, actor(e), &c, rn.now_ns);
    }
    if (!rc)
        rc = rip_store_commit(st);
    if (rc) {
        rip_store_rollback(st);
        rc = rc == RIP_ENOMEM ? fail(e, rc, "out of memory") : store_fail(e, rc);
        goto out;
    }
    if (created)
        *created = made;
out:
    free(det);
    free(keys);
    free(steps);
    rip_buf_release(&ctx);
    rip_store_incident_free(inc);
    return rc;
}

int rip_engine_start_matching(rip_engine *e, int64_t incident, bool dry_run, size_t *started)
{
    rip_store_incident *inc = NULL;
    size_t n = 0;
    int rc = rip_store_incident_get(e->o.st, incident, &inc);
    if (rc)
        return store_fail(e, rc);
    /* A merged or closed incident takes no new runs. */
    bool closed = !strcmp(inc->row.status, "resolved") || !strcmp(inc->row.status, "merged") ||
                  !strcmp(inc->row.status, "false_positive");
    rip_arena tag_arena;
    rip_arena_init(&tag_arena, 1u << 20);
    rip_incident_tags *tagbuf = closed ? NULL : malloc(sizeof(*tagbuf));
    const rip_incident_tags *tags = tagbuf ? read_tags(e, inc, &tag_arena, tagbuf) : NULL;
    for (size_t i = 0; !closed && !rc && i < rip_playbook_count(e->o.playbooks); i++) {
        const rip_playbook *pb = rip_playbook_at(e->o.playbooks, i);
        rip_run_trigger t;
        rc = rip_run_match(pb, inc, tags, &t);
        if (rc || !t.matches)
            continue;
        int64_t run;
        int made = 0;
        rc = rip_engine_start(e, pb, incident, dry_run, &run, &made);
        n += made ? 1 : 0;
    }
    rip_store_incident_free(inc);
    rip_arena_release(&tag_arena);
    free(tagbuf);
    if (started)
        *started = n;
    return rc;
}

/* ---- templates against a run ---- */

typedef struct resolver {
    rip_json_doc *ctx;
    const rip_store_run *run;
    bool approve_all;          /* the run's context says every action waits */
} resolver;

/* The approval a step needs in its run: its own, or, in a run started with
 * every action under approval (rip_engine_opts.approve_all, a route's mode
 * approve), the responders' with the defaults of docs/PLAYBOOKS.md. */
static const rip_pb_approval *step_approval(const rip_pb_step *sd, bool approve_all)
{
    static const char *who[] = { "role:responder", "role:admin" };
    static const rip_pb_approval all = {
        .required = true, .who = { who, 2 }, .timeout_s = 3600,
        .on_timeout = RIP_PB_TIMEOUT_REJECT,
    };
    if (sd->approval.required || !approve_all || sd->kind != RIP_PB_STEP_ACTION)
        return &sd->approval;
    return &all;
}

static bool context_approve_all(rip_json_doc *ctx)
{
    const rip_json_node *n = rip_json_get(rip_json_root(ctx), "approve_all");
    return n && rip_json_is(n, RIP_JSON_TRUE);
}

static const rip_store_step_row *find_step(const rip_store_run *run, const char *id)
{
    for (size_t i = 0; i < run->nsteps; i++)
        if (!strcmp(run->steps[i].step, id))
            return &run->steps[i];
    return NULL;
}

static int put_node(rip_json_doc *d, const rip_json_node *n, rip_buf *out)
{
    if (!n || rip_json_is(n, RIP_JSON_NULL))
        return 0;
    if (rip_json_is(n, RIP_JSON_STRING)) {
        rip_slice s = rip_json_str(d, n);
        return s.ptr && rip_buf_add(out, s.ptr, s.len) ? RIP_ENOMEM : 0;
    }
    return rip_buf_add(out, n->ptr, n->len) ? RIP_ENOMEM : 0;
}

static int resolve(void *ud, const char *const *p, size_t np, rip_buf *out)
{
    resolver *r = ud;
    if (!strcmp(p[0], "incident")) {
        const rip_json_node *n = rip_json_root(r->ctx);
        for (size_t i = 1; i < np && n; i++)
            n = rip_json_get(n, p[i]);
        return put_node(r->ctx, n, out);
    }
    if (!strcmp(p[0], "steps") && np >= 3) {
        const rip_store_step_row *s = find_step(r->run, p[1]);
        if (!s)
            return 0;
        if (!strcmp(p[2], "status"))
            return rip_buf_add(out, s->state, strlen(s->state)) ? RIP_ENOMEM : 0;
        if (np == 4 && !strcmp(p[2], "outputs") && s->result) {
            rip_json_doc d;
            rip_json_doc_init(&d, NULL);
            int rc = 0;
            if (rip_json_parse(&d, s->result, strlen(s->result), NULL) == 0)
                rc = put_node(&d, rip_json_path(rip_json_root(&d), "facts") ?
                                      rip_json_get(rip_json_path(rip_json_root(&d), "facts"), p[3])
                                      : NULL, out);
            rip_json_doc_release(&d);
            return rc;
        }
    }
    return 0;
}

/* ---- working a run ---- */

static int set_run_state(rip_engine *e, const rip_store_run *run, const char *state,
                         bool ended, int (*extra)(rip_engine *, void *), void *extra_ud)
{
    if (!strcmp(run->state, state))
        return 0;
    int64_t t = now_ns(e);
    rip_store *st = e->o.st;
    int rc = rip_store_begin(st);
    if (!rc)
        rc = rip_store_run_set_state(st, run->id, state, ended ? t : 0, t);
    if (!rc && ended) {
        char text[256];
        snprintf(text, sizeof(text), "%splaybook %s %s", run->dry_run ? "dry run of " : "",
                 run->playbook, state);
        char *det = detail(run, NULL, "state", state, NULL, NULL);
        change c = { "run_finished", "run_finished", text, det };
        rc = det ? record(e, run, NULL, actor(e), &c, t) : RIP_ENOMEM;
        free(det);
    }
    if (!rc && extra)
        rc = extra(e, extra_ud);
    if (!rc)
        rc = rip_store_commit(st);
    if (rc) {
        rip_store_rollback(st);
        return store_fail(e, rc);
    }
    return 0;
}

/* The run ended: contained when it is real and an action step did its
 * work (done or already done) and none failed. */
/* Whether the run's end contains its incident: a live run whose action
 * step did its work (done or already done), nothing failed, and the
 * incident still at `detected`. */
static bool contains(rip_engine *e, const rip_store_run *run, bool any_failed)
{
    if (run->dry_run || any_failed || !run->incident_id)
        return false;
    bool acted = false;
    for (size_t i = 0; i < run->nsteps; i++)
        if (!strcmp(run->steps[i].kind, "action") && !strcmp(run->steps[i].state, "succeeded"))
            acted = true;
    if (!acted)
        return false;
    rip_store_incident *inc = NULL;
    if (rip_store_incident_get(e->o.st, run->incident_id, &inc))
        return false;
    bool detected = !strcmp(inc->row.phase, "detected");
    rip_store_incident_free(inc);
    return detected;
}

/* The incident's phase moves to contained (in the run's end transaction). */
static int phase_in_tx(rip_engine *e, void *ud)
{
    const rip_store_run *run = ud;
    int64_t t = now_ns(e);
    rip_store_incident_set s = { .phase = "contained", .now_ns = t };
    int rc = rip_store_incident_update(e->o.st, run->incident_id, &s);
    if (!rc) {
        char text[256];
        snprintf(text, sizeof(text), "phase contained: playbook %s succeeded (run %" PRId64 ")",
                 run->playbook, run->id);
        char *det = detail(run, NULL, "phase", "contained", NULL, NULL);
        change c = { "phase_change", "status_change", text, det };
        rc = det ? record(e, run, NULL, actor(e), &c, t) : RIP_ENOMEM;
        free(det);
    }
    return rc;
}

typedef struct notify_write {
    const rip_store_run *run;
    const char *step, *channel, *severity, *message;
} notify_write;

static int write_notification(rip_engine *e, void *ud)
{
    notify_write *n = ud;
    rip_store_notification no = { .incident_id = n->run->incident_id, .run_id = n->run->id,
                                  .step = n->step, .channel = n->channel,
                                  .severity = n->severity, .message = n->message,
                                  .now_ns = now_ns(e) };
    return rip_store_put_notification(e->o.st, &no, NULL);
}

typedef struct escalation {
    const rip_store_run *run;
    const char *step, *why;
} escalation;

/* "riposte needs a person": the audit and timeline entries and a critical
 * notification, inside the transaction of the step change that calls for
 * it (step_change's extra), so that neither is ever without the other. */
static int escalate_in_tx(rip_engine *e, void *ud)
{
    const escalation *x = ud;
    const rip_store_run *run = x->run;
    char msg[1024];
    snprintf(msg, sizeof(msg), "riposte needs a person: run %" PRId64 " (playbook %s, incident %"
             PRId64 ") step %s: %s", run->id, run->playbook, run->incident_id, x->step, x->why);
    char *det = detail(run, x->step, "reason", x->why, NULL, NULL);
    change c = { "escalated", "escalated", msg, det };
    int rc = det ? record(e, run, x->step, actor(e), &c, now_ns(e)) : RIP_ENOMEM;
    if (!rc && !run->dry_run) {
        notify_write nw = { run, x->step, "default", "critical", msg };
        rc = write_notification(e, &nw);
    }
    free(det);
    return rc;
}

static int run_notify(rip_engine *e, const rip_store_run *run, const rip_pb_step *sd,
                      resolver *r)
{
    rip_buf msg = RIP_BUF_INIT;
    int rc = rip_pb_template_render(sd->notify_message, resolve, r, &msg);
    if (rc) {
        rip_buf_release(&msg);
        return fail(e, rc, "run %" PRId64 " step %s: cannot render its message", run->id,
                    sd->id);
    }
    const char *sev = rip_severity_name(sd->notify_severity);
    const char *chan = sd->notify_channel ? sd->notify_channel : "default";
    rip_buf res = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &res);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "channel");
    rip_jw_str(&w, chan);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, sev);
    rip_jw_key(&w, "message");
    rip_jw_str(&w, msg.ptr ? msg.ptr : "");
    rip_jw_key(&w, "queued");
    rip_jw_bool(&w, !run->dry_run);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    char *det = rc ? NULL : detail(run, sd->id, "channel", chan, "result", res.ptr);
    if (!det) {
        rip_buf_release(&msg);
        rip_buf_release(&res);
        return fail(e, RIP_ENOMEM, "out of memory");
    }
    char text[1200];
    snprintf(text, sizeof(text), "%s to %s (%s): %s", run->dry_run ? "would notify" : "notified",
             chan, sev, msg.ptr ? msg.ptr : "");
    rip_store_step_set u;
    rip_store_step_set_init(&u, "succeeded");
    u.expect = "pending";
    u.result = res.ptr;
    u.attempts = 1;
    u.started_ns = u.ended_ns = now_ns(e);
    change c = { "notified", "notification", text, det };
    notify_write nw = { run, sd->id, chan, sev, msg.ptr ? msg.ptr : "" };
    rc = step_change(e, run, sd->id, &u, actor(e), &c, run->dry_run ? NULL : write_notification,
                     &nw);
    free(det);
    rip_buf_release(&msg);
    rip_buf_release(&res);
    return rc;
}

/* "action": NAME, "params": {rendered values} (vals holds them at offs). */
static void write_call(rip_jw *w, const rip_pb_step *sd, const rip_buf *vals, const size_t *offs)
{
    rip_jw_key(w, "action");
    rip_jw_str(w, sd->action);
    rip_jw_key(w, "params");
    rip_jw_obj_begin(w);
    for (size_t i = 0; i < sd->nparams; i++) {
        rip_jw_key(w, sd->params[i].key);
        rip_jw_str(w, vals->ptr + offs[i]);
    }
    rip_jw_obj_end(w);
}

/* Renders sd's parameters into the intent object and keys/values. */
static int render_params(rip_engine *e, const rip_store_run *run, const rip_pb_step *sd,
                         resolver *r, rip_buf *vals, size_t *offs, rip_buf *intent,
                         const rip_store_step_row *row)
{
    for (size_t i = 0; i < sd->nparams; i++) {
        offs[i] = vals->len;
        int rc = rip_pb_template_render(sd->params[i].value, resolve, r, vals);
        if (!rc && rip_buf_add(vals, "", 1))
            rc = RIP_ENOMEM;
        if (rc)
            return fail(e, rc, "run %" PRId64 " step %s: cannot render parameter %s", run->id,
                        sd->id, sd->params[i].key);
    }
    rip_jw w;
    rip_jw_init(&w, intent);
    rip_jw_obj_begin(&w);
    write_call(&w, sd, vals, offs);
    rip_jw_key(&w, "idempotency_key");
    rip_jw_str(&w, row->idempotency_key);
    rip_jw_key(&w, "attempt");
    rip_jw_u64(&w, row->attempts + 1);
    rip_jw_key(&w, "dry_run");
    rip_jw_bool(&w, run->dry_run != 0);
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w) ? fail(e, RIP_ENOMEM, "out of memory") : 0;
}

/* The action's result for a run without a client: the plan. */
static int plan_result(const rip_action *a, const rip_pb_step *sd, const rip_buf *vals,
                       const size_t *offs, rip_buf *out)
{
    rip_jw w;
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    write_call(&w, sd, vals, offs);
    rip_jw_key(&w, "dry_run");
    rip_jw_bool(&w, true);
    rip_jw_key(&w, "status");
    rip_jw_str(&w, "planned");
    rip_jw_key(&w, "message");
    rip_jw_str(&w, a ? a->dry_run : "");
    rip_jw_key(&w, "facts");
    rip_jw_obj_begin(&w);
    rip_jw_obj_end(&w);
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}

/* verify: the result's fact must equal the rendered template. */
static bool verified(const rip_pb_step *sd, const char *result, resolver *r, char *why,
                     size_t cap)
{
    if (!sd->verify_fact)
        return true;
    rip_buf want = RIP_BUF_INIT;
    rip_json_doc d;
    bool ok = false;
    rip_json_doc_init(&d, NULL);
    if (rip_pb_template_render(sd->verify_equals, resolve, r, &want) == 0 &&
        rip_json_parse(&d, result, strlen(result), NULL) == 0) {
        const rip_json_node *f = rip_json_path(rip_json_root(&d), "facts");
        const rip_json_node *v = f ? rip_json_get(f, sd->verify_fact) : NULL;
        rip_buf got = RIP_BUF_INIT;
        if (v && put_node(&d, v, &got) == 0)
            ok = got.len == want.len && (!got.len || !memcmp(got.ptr, want.ptr, got.len));
        snprintf(why, cap, "verify: fact %s is '%.*s', expected '%.*s'", sd->verify_fact,
                 (int)(got.len > 200 ? 200 : got.len), got.ptr ? got.ptr : "",
                 (int)(want.len > 200 ? 200 : want.len), want.ptr ? want.ptr : "");
        rip_buf_release(&got);
    }
    rip_json_doc_release(&d);
    rip_buf_release(&want);
    return ok;
}

/* Runs (or reconciles, when the step is already `running`) action step
 * sd: intent committed, calls made, result committed. */
static int run_action(rip_engine *e, const rip_store_run *run, const rip_pb_step *sd,
                      const rip_store_step_row *row, resolver *r, bool *failed_final)
{
    rip_buf vals = RIP_BUF_INIT, intent = RIP_BUF_INIT, res = RIP_BUF_INIT;
    size_t offs[RIP_ACTION_MAX_PARAMS];
    char *det = NULL;
    bool reconcile = !strcmp(row->state, "running");
    const rip_action *a = rip_action_find(sd->action);
    int rc;
    *failed_final = false;
    if (sd->nparams > RIP_ACTION_MAX_PARAMS)
        return fail(e, RIP_ELIMIT, "step %s: too many parameters", sd->id);
    rc = render_params(e, run, sd, r, &vals, offs, &intent, row);
    if (rc)
        goto out;

    /* 1. The intent, committed before any call. */
    if (!reconcile) {
        rip_store_step_set u;
        rip_store_step_set_init(&u, "running");
        u.expect = "pending";
        u.attempts = row->attempts + 1;
        u.intent = intent.ptr;
        u.started_ns = now_ns(e);
        det = detail(run, sd->id, "action", sd->action, "intent", intent.ptr);
        if (!det) {
            rc = fail(e, RIP_ENOMEM, "out of memory");
            goto out;
        }
        char text[512];
        snprintf(text, sizeof(text), "%s %s (try %u)", run->dry_run ? "planning" : "executing",
                 sd->action, row->attempts + 1);
        change c = { "executing", NULL, text, det };
        rc = step_change(e, run, sd->id, &u, actor(e), &c, NULL, NULL);
        free(det);
        det = NULL;
        if (rc)
            goto out;
    } else {
        char text[512];
        snprintf(text, sizeof(text), "reconciling %s: the engine stopped during its calls; "
                 "reading the cloud's state before anything is retried", sd->action);
        det = detail(run, sd->id, "action", sd->action, "intent", row->intent);
        rip_store_audit_new an = { .time_ns = now_ns(e), .actor = actor(e),
                                   .action = "reconciling", .detail = det };
        char tg[128];
        target(tg, sizeof(tg), run->id, sd->id);
        an.target = tg;
        logf_(e, "run %" PRId64 " step %s: %s", run->id, sd->id, text);
        rc = det ? rip_store_audit_append(e->o.st, &an, NULL) : RIP_ENOMEM;
        free(det);
        det = NULL;
        if (rc) {
            rc = store_fail(e, rc);
            goto out;
        }
    }

    /* 2. The calls. */
    int arc = 0;
    bool refused = false;
    char message[1024] = "";
    if (!e->o.client || !a) {
        arc = a ? plan_result(a, sd, &vals, offs, &res) : RIP_EINVAL;
        if (!a)
            snprintf(message, sizeof(message), "unknown action '%s'", sd->action);
        else
            snprintf(message, sizeof(message), "not called; it would %s", a->dry_run);
    } else {
        rip_action_ctx ac;
        rip_action_ctx_init(&ac, a, e->o.client, run->dry_run != 0);
        if (e->o.protect_key)
            ac.protect_key = e->o.protect_key;
        if (e->o.protect_value)
            ac.protect_value = e->o.protect_value;
        ac.max_destructive = e->o.max_destructive;
        ac.state_dir = e->o.state_dir;
        for (size_t i = 0; i < sd->nparams && !arc; i++)
            if (vals.ptr[offs[i]])
                arc = rip_action_ctx_param(&ac, sd->params[i].key, vals.ptr + offs[i]);
        long saved = e->o.client->timeout_ms;
        e->o.client->timeout_ms = (long)sd->timeout_s * 1000;
        rip_jw w;
        rip_jw_init(&w, &res);
        if (!arc)
            arc = rip_action_run(&ac, &w);
        if (rip_jw_finish(&w) && !arc)
            arc = RIP_ENOMEM;
        e->o.client->timeout_ms = saved;
        refused = ac.refused;
        snprintf(message, sizeof(message), "%s", ac.message);
        rip_action_ctx_release(&ac);
    }

    /* 3. The result. */
    char why[600] = "";
    bool ok = arc == 0 && res.len;
    if (ok && !run->dry_run && e->o.client && !verified(sd, res.ptr, r, why, sizeof(why)))
        ok = false;
    else if (!ok)
        snprintf(why, sizeof(why), "%s", message[0] ? message : rip_strerror(arc));
    bool retry = !ok && !refused && row->attempts + 1 < sd->retry_attempts;
    rip_store_step_set u;
    int64_t t = now_ns(e);
    rip_store_step_set_init(&u, ok ? "succeeded" : retry ? "pending" : "failed");
    u.expect = "running";
    u.result = res.len ? res.ptr : "{}";
    if (retry) {
        uint32_t shift = row->attempts < 16 ? row->attempts : 16;
        u.not_before_ns = t + (int64_t)sd->retry_backoff_s * NS_PER_S * (INT64_C(1) << shift);
    } else {
        u.ended_ns = t;
    }
    det = detail(run, sd->id, "action", sd->action, "result", u.result);
    if (!det) {
        rc = fail(e, RIP_ENOMEM, "out of memory");
        goto out;
    }
    char text[1400];
    if (ok)
        snprintf(text, sizeof(text), "%s %s: %s", run->dry_run ? "planned" : "executed",
                 sd->action, message[0] ? message : "done");
    else
        snprintf(text, sizeof(text), "%s %s: %s%s", refused ? "refused" : "failed", sd->action,
                 why, retry ? " (will retry)" : "");
    change c = { ok ? (run->dry_run ? "planned_step" : "executed") : retry ? "retry" : "failed",
                 ok ? (run->dry_run ? "action_planned" : "action_taken") : "action_failed", text,
                 det };
    bool escalating = !ok && !retry && sd->on_failure == RIP_PB_FAIL_ESCALATE;
    escalation x = { run, sd->id, "the step failed and its playbook says to escalate" };
    rc = step_change(e, run, sd->id, &u, actor(e), &c, escalating ? escalate_in_tx : NULL, &x);
    *failed_final = !rc && !ok && !retry;
out:
    free(det);
    rip_buf_release(&vals);
    rip_buf_release(&intent);
    rip_buf_release(&res);
    return rc;
}

static bool may_approve(const rip_pb_approval *ap, const rip_engine_who *who)
{
    for (size_t j = 0; j < who->nroles; j++)
        if (!strcmp(who->roles[j], "admin"))
            return true;
    for (size_t i = 0; i < ap->who.n; i++) {
        const char *w = ap->who.v[i];
        if (!strncmp(w, "role:", 5)) {
            for (size_t j = 0; j < who->nroles; j++)
                if (!strcmp(w + 5, who->roles[j]))
                    return true;
        } else if (who->actor && !strcmp(w, who->actor)) {
            return true;
        }
    }
    return false;
}

static int cancel_rest(rip_engine *e, const rip_store_run *run, const char *why, bool *progress)
{
    for (size_t i = 0; i < run->nsteps; i++) {
        const rip_store_step_row *s = &run->steps[i];
        if (terminal(s->state) || !strcmp(s->state, "running"))
            continue;
        rip_store_step_set u;
        rip_store_step_set_init(&u, "cancelled");
        u.expect = s->state;
        u.ended_ns = now_ns(e);
        u.reason = why;
        char *det = detail(run, s->step, "reason", why, NULL, NULL);
        char text[512];
        snprintf(text, sizeof(text), "cancelled: %s", why);
        change c = { "cancelled", NULL, text, det };
        int rc = det ? step_change(e, run, s->step, &u, actor(e), &c, NULL, NULL)
                     : fail(e, RIP_ENOMEM, "out of memory");
        free(det);
        if (rc)
            return rc;
        *progress = true;
    }
    return 0;
}


/* Reconciles a step left running by an engine that died, if any. */
static int pass_running(rip_engine *e, const rip_store_run *run, const rip_playbook *pb,
                        resolver *r, bool *progress)
{
    for (size_t oi = 0; oi < pb->nsteps; oi++) {
        const rip_pb_step *sd = &pb->steps[pb->order[oi]];
        const rip_store_step_row *row = find_step(run, sd->id);
        if (row && !strcmp(row->state, "running") && sd->kind == RIP_PB_STEP_ACTION) {
            bool ff;
            *progress = true;
            return run_action(e, run, sd, row, r, &ff);
        }
    }
    return 0;
}

/* One pass over the run's steps in order. *progress when a step changed. */
static int pass(rip_engine *e, const rip_store_run *run, const rip_playbook *pb, resolver *r,
                int64_t *wake, bool *progress, bool *abort_run)
{
    int64_t t = now_ns(e);
    for (size_t oi = 0; oi < pb->nsteps; oi++) {
        const rip_pb_step *sd = &pb->steps[pb->order[oi]];
        const rip_store_step_row *row = find_step(run, sd->id);
        if (!row)
            return fail(e, RIP_EINVAL, "run %" PRId64 ": playbook %s has a step '%s' the run "
                        "does not (the playbook changed since the run started)", run->id,
                        pb->name, sd->id);
        if (terminal(row->state))
            continue;
        if (!strcmp(row->state, "running")) {
            bool ff;
            int rc = run_action(e, run, sd, row, r, &ff);
            *progress = true;
            if (!rc && ff && sd->on_failure != RIP_PB_FAIL_CONTINUE)
                *abort_run = true;
            return rc;
        }
        const rip_pb_approval *ap = step_approval(sd, r->approve_all);
        if (!strcmp(row->state, "waiting_approval")) {
            if (row->deadline_ns && t >= row->deadline_ns) {
                rip_store_step_set u;
                const char *on = rip_pb_on_timeout_name(ap->on_timeout);
                char text[256];
                snprintf(text, sizeof(text), "no decision within the approval timeout: %s", on);
                char *det = detail(run, sd->id, "on_timeout", on, NULL, NULL);
                int rc;
                if (!det)
                    return fail(e, RIP_ENOMEM, "out of memory");
                if (ap->on_timeout == RIP_PB_TIMEOUT_ESCALATE) {
                    rip_store_step_set_init(&u, "waiting_approval");
                    u.expect = "waiting_approval";
                    u.deadline_ns = 0;
                    change c = { "approval_timeout", "approval_decided", text, det };
                    escalation x = { run, sd->id, "no approval decision in time" };
                    rc = step_change(e, run, sd->id, &u, actor(e), &c, escalate_in_tx, &x);
                } else {
                    bool yes = ap->on_timeout == RIP_PB_TIMEOUT_APPROVE;
                    rip_store_step_set_init(&u, yes ? "pending" : "timed_out");
                    u.expect = "waiting_approval";
                    u.approved = yes;
                    u.decided_by = "timeout";
                    u.decided_ns = t;
                    if (!yes)
                        u.ended_ns = t;
                    change c = { "approval_timeout", "approval_decided", text, det };
                    rc = step_change(e, run, sd->id, &u, actor(e), &c, NULL, NULL);
                }
                free(det);
                *progress = true;
                return rc;
            }
            if (row->deadline_ns && (!*wake || row->deadline_ns < *wake))
                *wake = row->deadline_ns;
            continue;
        }
        /* pending */
        if (*abort_run)
            continue;
        bool ready = true;
        for (size_t k = 0; k < sd->nneeds; k++) {
            const rip_store_step_row *n = find_step(run, sd->needs[k]);
            if (n && !terminal(n->state))
                ready = false;
        }
        if (!ready)
            continue;
        if (row->not_before_ns > t) {
            if (!*wake || row->not_before_ns < *wake)
                *wake = row->not_before_ns;
            continue;
        }
        if (sd->when && !row->approved) {
            bool yes = false;
            if (rip_pb_condition_eval(sd->when, resolve, r, &yes) < 0)
                return fail(e, RIP_EINVAL, "run %" PRId64 " step %s: cannot evaluate 'when: %s'",
                            run->id, sd->id, sd->when);
            if (!yes) {
                rip_store_step_set u;
                rip_store_step_set_init(&u, "skipped");
                u.expect = "pending";
                u.ended_ns = t;
                u.reason = "condition false";
                char text[512];
                snprintf(text, sizeof(text), "skipped: when %s is false", sd->when);
                char *det = detail(run, sd->id, "when", sd->when, NULL, NULL);
                change c = { "skipped", NULL, text, det };
                int rc = det ? step_change(e, run, sd->id, &u, actor(e), &c, NULL, NULL)
                             : fail(e, RIP_ENOMEM, "out of memory");
                free(det);
                *progress = true;
                return rc;
            }
        }
        if (ap->required && !row->approved) {
            rip_store_step_set u;
            rip_buf who = RIP_BUF_INIT;
            for (size_t k = 0; k < ap->who.n; k++)
                rip_buf_addf(&who, "%s%s", k ? ", " : "", ap->who.v[k]);
            char text[768];
            char *det = detail(run, sd->id, "who", who.ptr ? who.ptr : "", NULL, NULL);
            int rc;
            if (run->dry_run) {
                /* A dry run plans on as if approved. */
                rip_store_step_set_init(&u, "pending");
                u.expect = "pending";
                u.approved = 1;
                u.decided_by = "dry-run";
                u.decided_ns = t;
                snprintf(text, sizeof(text), "needs approval by %s (dry run: planned as approved)",
                         who.ptr ? who.ptr : "");
                change c = { "approval_requested", "approval_requested", text, det };
                rc = det ? step_change(e, run, sd->id, &u, actor(e), &c, NULL, NULL)
                         : fail(e, RIP_ENOMEM, "out of memory");
            } else {
                rip_store_step_set_init(&u, "waiting_approval");
                u.expect = "pending";
                u.deadline_ns = t + (int64_t)ap->timeout_s * NS_PER_S;
                snprintf(text, sizeof(text), "waiting for approval by %s (riposte approve %" PRId64
                         " %s), up to %us, then %s", who.ptr ? who.ptr : "", run->id, sd->id,
                         ap->timeout_s, rip_pb_on_timeout_name(ap->on_timeout));
                change c = { "approval_requested", "approval_requested", text, det };
                rc = det ? step_change(e, run, sd->id, &u, actor(e), &c, NULL, NULL)
                         : fail(e, RIP_ENOMEM, "out of memory");
            }
            free(det);
            rip_buf_release(&who);
            *progress = true;
            return rc;
        }
        int rc;
        bool ff = false;
        if (sd->kind == RIP_PB_STEP_NOTIFY)
            rc = run_notify(e, run, sd, r);
        else
            rc = run_action(e, run, sd, row, r, &ff);
        *progress = true;
        if (!rc && ff && sd->on_failure != RIP_PB_FAIL_CONTINUE)
            *abort_run = true;
        return rc;
    }
    return 0;
}

int rip_engine_advance(rip_engine *e, int64_t run_id, int64_t *wake_ns)
{
    int64_t wake = 0;
    e->msg[0] = '\0';
    for (int guard = 0; guard < 4 * RIP_PB_MAX_STEPS + 16; guard++) {
        rip_store_run *run = NULL;
        int rc = rip_store_run_get(e->o.st, run_id, &run);
        if (rc)
            return store_fail(e, rc);
        if (run->ended_ns) {
            rip_store_run_free(run);
            return 0;
        }
        const rip_playbook *pb = rip_playbook_find(e->o.playbooks, run->playbook);
        if (!pb) {
            rc = fail(e, RIP_EINVAL, "run %" PRId64 ": playbook '%s' is not loaded (pass the "
                      "folder it is in with --playbooks)", run_id, run->playbook);
            rip_store_run_free(run);
            return rc;
        }
        rip_json_doc ctx;
        rip_json_doc_init(&ctx, NULL);
        if (rip_json_parse(&ctx, run->context ? run->context : "{}",
                           strlen(run->context ? run->context : "{}"), NULL)) {
            rip_json_doc_release(&ctx);
            rip_store_run_free(run);
            return fail(e, RIP_EINVAL, "run %" PRId64 ": its context is not JSON", run_id);
        }
        resolver r = { &ctx, run, context_approve_all(&ctx) };
        /* A run aborts when a step failed for good and its on_failure is
         * not continue. */
        bool abort_run = false, any_failed = false, any_waiting = false, all_done = true;
        for (size_t i = 0; i < run->nsteps; i++) {
            const rip_store_step_row *s = &run->steps[i];
            const rip_pb_step *sd = NULL;
            for (size_t k = 0; k < pb->nsteps; k++)
                if (!strcmp(pb->steps[k].id, s->step))
                    sd = &pb->steps[k];
            if (!strcmp(s->state, "failed")) {
                any_failed = true;
                if (!sd || sd->on_failure != RIP_PB_FAIL_CONTINUE)
                    abort_run = true;
            }
        }
        bool progress = false;
        int64_t w = 0;
        if (abort_run) {
            /* Steps still running (interrupted) are reconciled first; the
             * rest is cancelled. */
            rc = pass_running(e, run, pb, &r, &progress);
            if (!rc && !progress)
                rc = cancel_rest(e, run, "the run was aborted: a step failed", &progress);
        } else {
            rc = pass(e, run, pb, &r, &w, &progress, &abort_run);
        }
        if (!rc && !progress) {
            for (size_t i = 0; i < run->nsteps; i++) {
                if (!terminal(run->steps[i].state))
                    all_done = false;
                if (!strcmp(run->steps[i].state, "waiting_approval"))
                    any_waiting = true;
            }
            if (all_done) {
                bool contain = contains(e, run, any_failed);
                rc = set_run_state(e, run, any_failed ? "failed" : "succeeded", true,
                                   contain ? phase_in_tx : NULL, run);
            } else {
                rc = set_run_state(e, run, any_waiting ? "waiting_approval" : "running", false,
                                   NULL, NULL);
                if (w && (!wake || w < wake))
                    wake = w;
            }
            rip_json_doc_release(&ctx);
            rip_store_run_free(run);
            if (!rc && wake_ns && wake && (!*wake_ns || wake < *wake_ns))
                *wake_ns = wake;
            return rc;
        }
        rip_json_doc_release(&ctx);
        rip_store_run_free(run);
        if (rc)
            return rc;
    }
    return fail(e, RIP_ELIMIT, "run %" PRId64 ": no end after many steps", run_id);
}

typedef struct id_list {
    int64_t *v;
    size_t n, cap;
} id_list;

static int collect_run(void *ud, const rip_store_run_row *row)
{
    id_list *l = ud;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        int64_t *nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = row->id;
    return 0;
}

int rip_engine_advance_all(rip_engine *e, int64_t *wake_ns, size_t *open)
{
    id_list l = { 0 };
    rip_store_run_filter f = { .open_only = 1, .dry_run = -1 };
    int rc = rip_store_list_runs(e->o.st, &f, collect_run, &l), first = 0;
    if (rc) {
        free(l.v);
        return rc == RIP_ENOMEM ? fail(e, rc, "out of memory") : store_fail(e, rc);
    }
    for (size_t i = 0; i < l.n; i++) {
        rc = rip_engine_advance(e, l.v[i], wake_ns);
        if (rc) {
            logf_(e, "run %" PRId64 ": %s", l.v[i], e->msg);
            if (!first)
                first = rc;
        }
    }
    free(l.v);
    if (open) {
        l = (id_list){ 0 };
        rc = rip_store_list_runs(e->o.st, &f, collect_run, &l);
        *open = l.n;
        free(l.v);
        if (rc && !first)
            first = store_fail(e, rc);
    }
    return first;
}

static int write_decision(rip_engine *e, void *ud)
{
    return rip_store_put_decision(e->o.st, ud);
}

int rip_engine_decide(rip_engine *e, int64_t run_id, const char *step, const rip_engine_who *who,
                      bool approve, const char *reason)
{
    rip_store_run *run = NULL;
    e->msg[0] = '\0';
    int rc = rip_store_run_get(e->o.st, run_id, &run);
    if (rc)
        return store_fail(e, rc);
    const rip_store_step_row *row = find_step(run, step);
    const rip_playbook *pb = rip_playbook_find(e->o.playbooks, run->playbook);
    const rip_pb_step *sd = NULL;
    for (size_t k = 0; pb && k < pb->nsteps; k++)
        if (!strcmp(pb->steps[k].id, step))
            sd = &pb->steps[k];
    if (!row) {
        rc = fail(e, RIP_ENOTFOUND, "run %" PRId64 " has no step '%s'", run_id, step);
        goto out;
    }
    if (!sd) {
        rc = fail(e, RIP_EINVAL, "run %" PRId64 ": playbook '%s' is not loaded", run_id,
                  run->playbook);
        goto out;
    }
    if (strcmp(row->state, "waiting_approval")) {
        rc = fail(e, RIP_ERANGE, "run %" PRId64 " step %s is %s, not waiting for approval",
                  run_id, step, row->state);
        goto out;
    }
    const char *by = who && who->actor ? who->actor : "unknown";
    int64_t t = now_ns(e);
    bool all = false;
    {
        rip_json_doc ctx;
        rip_json_doc_init(&ctx, NULL);
        if (run->context && rip_json_parse(&ctx, run->context, strlen(run->context), NULL) == 0)
            all = context_approve_all(&ctx);
        rip_json_doc_release(&ctx);
    }
    const rip_pb_approval *ap = step_approval(sd, all);
    if (!who || !may_approve(ap, who)) {
        /* Refused, and the refusal is on the record. */
        char *det = detail(run, step, "by", by, NULL, NULL);
        char tg[128];
        target(tg, sizeof(tg), run_id, step);
        rip_store_audit_new an = { .time_ns = t, .actor = by, .action = "approval_refused",
                                   .target = tg, .detail = det };
        int arc = det ? rip_store_audit_append(e->o.st, &an, NULL) : RIP_ENOMEM;
        free(det);
        rc = fail(e, RIP_EINVAL, "%s may not %s run %" PRId64 " step %s (it needs %s%s)", by,
                  approve ? "approve" : "reject", run_id, step,
                  ap->who.n ? ap->who.v[0] : "role:admin",
                  ap->who.n > 1 ? " or another listed approver" : "");
        if (arc)
            logf_(e, "the refusal could not be recorded: %s", rip_store_errmsg(e->o.st));
        goto out;
    }
    rip_store_step_set u;
    rip_store_step_set_init(&u, approve ? "pending" : "cancelled");
    u.expect = "waiting_approval";
    u.approved = approve ? 1 : 0;
    u.decided_by = by;
    u.decided_ns = t;
    u.reason = reason;
    if (!approve)
        u.ended_ns = t;
    char text[768];
    snprintf(text, sizeof(text), "%s by %s%s%s", approve ? "approved" : "rejected", by,
             reason ? ": " : "", reason ? reason : "");
    char *det = detail(run, step, "by", by, NULL, NULL);
    change c = { approve ? "approved" : "rejected", "approval_decided", text, det };
    rip_store_decision dec = { .run_id = run_id, .step = step,
                               .state = approve ? "approved" : "rejected",
                               .requested_ns = row->updated_ns, .decided_ns = t,
                               .decided_by = by, .channel = who->channel, .reason = reason };
    rc = det ? step_change(e, run, step, &u, by, &c, write_decision, &dec)
             : fail(e, RIP_ENOMEM, "out of memory");
    free(det);
    rip_store_run_free(run);
    run = NULL;
    if (!rc)
        rc = rip_engine_advance(e, run_id, NULL);
out:
    rip_store_run_free(run);
    return rc;
}
