/* server.c — the daemon (server.h). */
#include "server/server.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/actions.h"
#include "correlate/detector.h"
#include "correlate/incident.h"
#include "normalize/decode.h"
#include "notify/deliver.h"
#include "notify/slack.h"
#include "respond/engine.h"
#include "respond/run-context.h"
#include "server/http.h"
#include "server/route.h"
#include "server/source-sns.h"
#include "server/source-sqs.h"
#include "store/store.h"
#include "util/err.h"
#include "util/log.h"
#include "util/json.h"

#define NS INT64_C(1000000000)
#define MAX_JOBS 65536
#define MAX_MESSAGES 4096
#define MAX_STEPS_SHOWN RIP_SLACK_MAX_STEPS
#define NBUCKETS 12

static const double bucket_s[NBUCKETS] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                           0.1,   0.25,   0.5,   1,    5,     30 };

typedef struct histogram {
    atomic_ullong counts[NBUCKETS + 1];
    atomic_ullong total;
    _Atomic double sum;
} histogram;

typedef enum job_kind { JOB_INCIDENT = 0, JOB_DECIDE } job_kind;

typedef struct job {
    job_kind kind;
    int64_t incident;          /* JOB_INCIDENT */
    int64_t received_ns;       /* when the request that caused it arrived */
    int64_t run;               /* JOB_DECIDE */
    char step[128];
    int approve;
    char slack_user[32], channel[32], ts[32];
} job;

/* The Slack message riposte posted for an incident. */
typedef struct message {
    int64_t incident;
    char channel[64], ts[32];
} message;

struct rip_server {
    rip_server_deps d;
    rip_config *cfg;
    rip_http_server *http;
    rip_store *st;
    rip_detector *det;
    rip_engine *eng_auto, *eng_approve;
    pthread_mutex_t lock;      /* the store, the detector, the engines, messages */
    pthread_t worker;
    pthread_mutex_t qlock;
    pthread_cond_t qcond;
    job *jobs;
    size_t qhead, qlen;
    int stopping;
    atomic_int draining;
    /* Slack */
    rip_slack_cfg slack;
    int have_slack;
    const char *signing_secret;
    rip_buf tls_cert, tls_key;  /* PEM text, when TLS is on */
    rip_sqs_poller *pollers[16];
    size_t npollers;
    rip_sns_endpoint *sns;     /* POST /v1/sns; NULL without a source of kind sns */
    /* the channels the notification outbox is delivered to */
    rip_notify_channel *nchans;
    rip_slack_cfg *nslack;
    rip_pagerduty_cfg *npd;
    rip_webhook_cfg *nwh;
    rip_email_cfg *nmail;
    rip_notify_channels outbox;
    message messages[MAX_MESSAGES];
    size_t nmessages;
    /* the incidents touched by the batch being committed */
    int64_t *touched;
    size_t ntouched, touched_cap;
    int touched_oom;           /* an incident could not be remembered */
    /* metrics */
    atomic_ullong m_events, m_rejected, m_batches, m_incidents, m_runs, m_slack_posts,
        m_slack_failures, m_interactions_ok, m_interactions_bad, m_actions_ok, m_actions_failed,
        m_approvals_waiting;
    histogram h_detect, h_action;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void slog(rip_server *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rip_vlogf(s->d.log, s->d.log_ud, NULL, fmt, ap);
    va_end(ap);
}

static void observe(histogram *h, double v)
{
    size_t i = 0;
    while (i < NBUCKETS && v > bucket_s[i])
        i++;
    atomic_fetch_add(&h->counts[i], 1);
    atomic_fetch_add(&h->total, 1);
    double old = atomic_load(&h->sum);
    while (!atomic_compare_exchange_weak(&h->sum, &old, old + v))
        ;
}

/* ---- the job queue ---- */

static int push_job(rip_server *s, const job *j)
{
    pthread_mutex_lock(&s->qlock);
    if (s->qlen == MAX_JOBS) {
        pthread_mutex_unlock(&s->qlock);
        return RIP_ELIMIT;
    }
    s->jobs[(s->qhead + s->qlen) % MAX_JOBS] = *j;
    s->qlen++;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    return 0;
}

/* ---- routing ---- */

typedef struct routed {
    rip_route_facts facts;     /* what the routes were matched against */
    bool approve;              /* a route in mode approve */
    const rip_config_route *routes[8];
    size_t nroutes;
    const char *slack_channel; /* the first Slack channel of the routes */
} routed;

/* Matches inc against the routes: its account, finding types, severity,
 * owner and its assets' tags from the inventory (server/route.h). When the
 * incident has no owner yet, the first matching route with a team makes
 * that team its owner (and says so on its timeline). */
static void route_incident(rip_server *s, const rip_store_incident *inc, routed *out)
{
    memset(out, 0, sizeof(*out));
    rip_route_facts *f = &out->facts;
    if (rip_route_facts_build(s->st, inc, f))
        slog(s, "incident %" PRId64 ": its assets' tags are left out of routing: %s",
             inc->row.id, rip_store_errmsg(s->st));
    size_t n = rip_config_routes_for(s->cfg, &f->sub, out->routes, 8);
    out->nroutes = n < 8 ? n : 8;
    const rip_config_route *team = NULL;
    for (size_t i = 0; i < out->nroutes; i++) {
        const rip_config_route *r = out->routes[i];
        if (r->mode == RIP_ROUTE_APPROVE)
            out->approve = true;
        for (size_t k = 0; k < r->nchannels && !out->slack_channel; k++)
            if (r->channels[k]->kind == RIP_CHANNEL_SLACK)
                out->slack_channel = r->channels[k]->name;
        if (!team && r->team)
            team = r;
    }
    if (team && !inc->row.owner) {
        char text[512];
        snprintf(text, sizeof(text), "assigned to %s by route %s%s", team->team, team->name,
                 f->assets ? " (from its assets' tags)" : "");
        rip_store_incident_set set = { .owner = team->team };
        rip_store_timeline_entry te = { .kind = "assigned", .actor = "riposte", .text = text };
        int rc = rip_store_begin(s->st);
        if (!rc)
            rc = rip_store_incident_update(s->st, inc->row.id, &set);
        if (!rc)
            rc = rip_store_timeline_append(s->st, inc->row.id, &te, NULL);
        if (!rc)
            rc = rip_store_commit(s->st);
        if (rc) {
            rip_store_rollback(s->st);
            slog(s, "incident %" PRId64 ": not assigned to %s: %s", inc->row.id, team->team,
                 rip_store_errmsg(s->st));
        } else {
            slog(s, "incident %" PRId64 ": %s", inc->row.id, text);
        }
    }
}

static void routed_release(routed *r)
{
    rip_route_facts_release(&r->facts);
}

/* Queues what is due of incident's life (opened, acknowledged, contained,
 * resolved) for the non-Slack channels of its routes, once each
 * (server/route.h). The caller holds the store lock. */
static void notify_routes(rip_server *s, int64_t incident, const routed *r)
{
    rip_store_incident *inc = NULL;
    if (!r->nroutes || rip_store_incident_get(s->st, incident, &inc))
        return;
    const char *events[4];
    size_t nev = rip_route_events_due(inc, events);
    size_t queued = 0;
    int rc = rip_store_begin(s->st);
    for (size_t i = 0; !rc && i < r->nroutes; i++)
        for (size_t k = 0; !rc && k < r->routes[i]->nchannels; k++) {
            const rip_channel_config *ch = r->routes[i]->channels[k];
            if (ch->kind == RIP_CHANNEL_SLACK)
                continue;   /* Slack has its own message, updated in place */
            for (size_t e = 0; !rc && e < nev; e++)
                if (!rip_route_notified(inc, ch->name, events[e])) {
                    rc = rip_route_notify(s->st, inc, ch->name, events[e]);
                    queued++;
                    /* Seen by the next channel of the same name in another route. */
                    if (!rc) {
                        rip_store_incident_free(inc);
                        inc = NULL;
                        rc = rip_store_incident_get(s->st, incident, &inc);
                    }
                }
        }
    if (!rc && queued)
        rc = rip_store_commit(s->st);
    if (rc) {
        rip_store_rollback(s->st);
        slog(s, "incident %" PRId64 ": notifications for its routes not queued: %s", incident,
             rip_store_errmsg(s->st));
    } else if (!queued) {
        rip_store_rollback(s->st);
    }
    rip_store_incident_free(inc);
}

/* May the routes start playbook name? (a route without a list: any) */
static bool route_allows(const routed *r, const char *name)
{
    if (!r->nroutes)
        return true;
    for (size_t i = 0; i < r->nroutes; i++) {
        const rip_config_strs *p = &r->routes[i]->playbooks;
        if (!p->n)
            return true;
        for (size_t k = 0; k < p->n; k++)
            if (!strcmp(p->v[k], name))
                return true;
    }
    return false;
}

/* ---- the worker: playbooks, Slack ---- */

typedef struct runs_of {
    int64_t ids[32];
    size_t n;
} runs_of;

static int collect_run(void *ud, const rip_store_run_row *row)
{
    runs_of *r = ud;
    if (r->n < 32)
        r->ids[r->n++] = row->id;
    return 0;
}

static message *message_for(rip_server *s, int64_t incident)
{
    for (size_t i = 0; i < s->nmessages; i++)
        if (s->messages[i].incident == incident)
            return &s->messages[i];
    return NULL;
}

/* What a Slack message shows of an incident, and its waiting steps. The
 * strings live in the arena-backed incident and runs the caller frees. */
typedef struct view {
    rip_slack_incident si;
    rip_slack_step steps[MAX_STEPS_SHOWN];
    char labels[MAX_STEPS_SHOWN][160];
    char steps_id[MAX_STEPS_SHOWN][128];
    rip_store_incident *inc;
    rip_store_run *runs[32];
    size_t nruns;
} view;

static void view_free(view *v)
{
    rip_store_incident_free(v->inc);
    for (size_t i = 0; i < v->nruns; i++)
        rip_store_run_free(v->runs[i]);
    memset(v, 0, sizeof(*v));
}

static const char *entity(const rip_store_incident *inc, const char *type)
{
    for (size_t i = 0; i < inc->nentities; i++)
        if (!strcmp(inc->entities[i].type, type))
            return inc->entities[i].value;
    return NULL;
}

/* Loads incident and its runs into v (under the lock); with_all: every
 * step that waited or waits, else only those waiting now. */
static int build_view(rip_server *s, int64_t incident, view *v, bool with_all)
{
    memset(v, 0, sizeof(*v));
    if (rip_store_incident_get(s->st, incident, &v->inc))
        return RIP_EIO;
    runs_of ro = { .n = 0 };
    rip_store_run_filter f = { .incident_id = incident, .dry_run = -1 };
    rip_store_list_runs(s->st, &f, collect_run, &ro);
    const rip_playbook_set *set = s->cfg->playbook_set;
    size_t ns = 0;
    for (size_t i = 0; i < ro.n; i++) {
        if (rip_store_run_get(s->st, ro.ids[i], &v->runs[v->nruns]))
            continue;
        rip_store_run *run = v->runs[v->nruns++];
        const rip_playbook *pb = set ? rip_playbook_find(set, run->playbook) : NULL;
        for (size_t k = 0; k < run->nsteps && ns < MAX_STEPS_SHOWN; k++) {
            const rip_store_step_row *st = &run->steps[k];
            if (strcmp(st->state, "waiting_approval") && !(with_all && st->decided_by))
                continue;
            const char *name = NULL;
            for (size_t j = 0; pb && j < pb->nsteps; j++)
                if (!strcmp(pb->steps[j].id, st->step))
                    name = pb->steps[j].name;
            snprintf(v->labels[ns], sizeof(v->labels[0]), "%s", name ? name : st->action
                                                                 ? st->action : st->step);
            snprintf(v->steps_id[ns], sizeof(v->steps_id[0]), "%s", st->step);
            const rip_action *a = st->action ? rip_action_find(st->action) : NULL;
            v->steps[ns] = (rip_slack_step){ run->id, v->steps_id[ns], v->labels[ns],
                                             a && a->destructive };
            ns++;
        }
    }
    const rip_store_incident *inc = v->inc;
    v->si = (rip_slack_incident){
        .id = inc->row.id,
        .title = inc->row.title,
        .severity = inc->row.severity,
        .what = inc->nfindings ? inc->findings[0].explanation : NULL,
        .account = inc->nfindings ? inc->findings[0].account : NULL,
        .region = inc->nfindings ? inc->findings[0].region : NULL,
        .principal = entity(inc, "principal"),
        .access_key = entity(inc, "access_key"),
        .instance = entity(inc, "instance"),
        .source_ip = entity(inc, "source_ip"),
        .steps = v->steps,
        .nsteps = ns,
    };
    return 0;
}

static void account_actions(rip_server *s, const view *v, int64_t received_ns)
{
    int64_t first_action = 0;
    for (size_t i = 0; i < v->nruns; i++)
        for (size_t k = 0; k < v->runs[i]->nsteps; k++) {
            const rip_store_step_row *st = &v->runs[i]->steps[k];
            if (strcmp(st->kind, "action") || !st->ended_ns || st->ended_ns < received_ns)
                continue;
            if (!strcmp(st->state, "succeeded")) {
                atomic_fetch_add(&s->m_actions_ok, 1);
                if (!first_action || st->started_ns < first_action)
                    first_action = st->started_ns;
            } else if (!strcmp(st->state, "failed")) {
                atomic_fetch_add(&s->m_actions_failed, 1);
            }
        }
    if (first_action && received_ns)
        observe(&s->h_action, (double)(first_action - received_ns) / 1e9);
}

static void work_incident(rip_server *s, const job *j)
{
    pthread_mutex_lock(&s->lock);
    rip_store_incident *inc = NULL;
    if (rip_store_incident_get(s->st, j->incident, &inc)) {
        pthread_mutex_unlock(&s->lock);
        slog(s, "incident %" PRId64 ": %s", j->incident, rip_store_errmsg(s->st));
        return;
    }
    routed r;
    route_incident(s, inc, &r);
    /* The message posted before a restart (or past MAX_MESSAGES) is on the
     * incident's timeline. */
    message posted = { .incident = j->incident };
    bool have_posted = !message_for(s, j->incident) &&
                       rip_route_slack_message(inc, posted.channel, sizeof(posted.channel),
                                               posted.ts, sizeof(posted.ts));
    rip_engine *e = r.approve ? s->eng_approve : s->eng_auto;
    const rip_playbook_set *set = s->cfg->playbook_set;
    bool dry = s->cfg->safety.dry_run || !s->d.client;
    for (size_t i = 0; set && i < rip_playbook_count(set); i++) {
        const rip_playbook *pb = rip_playbook_at(set, i);
        rip_run_trigger t;
        if (!route_allows(&r, pb->name) || rip_run_match(pb, inc, r.facts.itags, &t) ||
            !t.matches)
            continue;
        int64_t run;
        int made = 0;
        if (rip_engine_start(e, pb, j->incident, dry, &run, &made) < 0) {
            slog(s, "incident %" PRId64 ": %s", j->incident, rip_engine_errmsg(e));
            continue;
        }
        if (made) {
            atomic_fetch_add(&s->m_runs, 1);
            slog(s, "incident %" PRId64 ": playbook %s started (run %" PRId64 ", %s)",
                 j->incident, pb->name, run, r.approve ? "each action waits for a press"
                                                       : "automatic");
        }
        if (rip_engine_advance(e, run, NULL) < 0)
            slog(s, "run %" PRId64 ": %s", run, rip_engine_errmsg(e));
    }
    rip_store_incident_free(inc);
    notify_routes(s, j->incident, &r);
    routed_release(&r);
    view v;
    int vrc = build_view(s, j->incident, &v, false);
    pthread_mutex_unlock(&s->lock);
    if (vrc)
        return;
    account_actions(s, &v, j->received_ns);
    atomic_fetch_add(&s->m_approvals_waiting, v.si.nsteps);
    if (s->have_slack && v.si.nsteps) {
        rip_buf body = RIP_BUF_INIT;
        rip_slack_cfg sc = s->slack;
        const rip_channel_config *ch = r.slack_channel
                                           ? rip_config_channel(s->cfg, r.slack_channel) : NULL;
        v.si.channel = ch && ch->channel ? ch->channel : sc.channel;
        char ts[32] = "", chan[64] = "", err[512] = "";
        message *m = message_for(s, j->incident);
        if (!m && have_posted && s->nmessages < MAX_MESSAGES) {
            m = &s->messages[s->nmessages++];
            *m = posted;
        } else if (!m && have_posted) {
            m = &posted;
        }
        int rc = rip_slack_incident_blocks(&v.si, &body);
        if (!rc && m)
            rc = rip_slack_update(&sc, m->channel, m->ts, body.ptr, err, sizeof(err));
        else if (!rc)
            rc = rip_slack_post(&sc, body.ptr, ts, sizeof(ts), chan, sizeof(chan), err,
                                sizeof(err));
        if (rc) {
            atomic_fetch_add(&s->m_slack_failures, 1);
            slog(s, "incident %" PRId64 ": slack: %s", j->incident, err[0] ? err : rip_strerror(rc));
            pthread_mutex_lock(&s->lock);
            rip_store_timeline_entry te = { .kind = "notification_failed", .actor = "riposte",
                                            .text = err[0] ? err : "Slack message not sent" };
            rip_store_timeline_append(s->st, j->incident, &te, NULL);
            pthread_mutex_unlock(&s->lock);
        } else {
            atomic_fetch_add(&s->m_slack_posts, 1);
            if (!m && ts[0]) {
                pthread_mutex_lock(&s->lock);
                if (rip_route_slack_record(s->st, j->incident, chan, ts))
                    slog(s, "incident %" PRId64 ": the Slack message's id is not kept: %s",
                         j->incident, rip_store_errmsg(s->st));
                pthread_mutex_unlock(&s->lock);
            }
            if (!m && ts[0] && s->nmessages < MAX_MESSAGES) {
                m = &s->messages[s->nmessages++];
                m->incident = j->incident;
                snprintf(m->channel, sizeof(m->channel), "%s", chan);
                snprintf(m->ts, sizeof(m->ts), "%s", ts);
            }
            slog(s, "incident %" PRId64 ": Slack message with %zu button%s", j->incident,
                 v.si.nsteps, v.si.nsteps == 1 ? "" : "s");
        }
        rip_buf_release(&body);
    }
    view_free(&v);
}

static void work_decide(rip_server *s, const job *j)
{
    const rip_config_user *u = rip_config_user_by_slack(s->cfg, j->slack_user);
    const char *roles[3];
    size_t nr = 0;
    if (u && (u->roles & RIP_ROLE_ADMIN))
        roles[nr++] = "admin";
    if (u && (u->roles & (RIP_ROLE_RESPONDER | RIP_ROLE_ADMIN)))
        roles[nr++] = "responder";
    if (u)
        roles[nr++] = "viewer";
    char actor[64];
    snprintf(actor, sizeof(actor), "slack:%s", j->slack_user);
    rip_engine_who who = { actor, roles, nr, "slack" };
    pthread_mutex_lock(&s->lock);
    int rc = rip_engine_decide(s->eng_auto, j->run, j->step, &who, j->approve != 0,
                               j->approve ? NULL : "rejected in Slack");
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", rc ? rip_engine_errmsg(s->eng_auto) : "");
    int64_t incident = 0;
    rip_store_run *run = NULL;
    char result[512] = "";
    if (rip_store_run_get(s->st, j->run, &run) == 0) {
        incident = run->incident_id;
        for (size_t k = 0; k < run->nsteps; k++)
            if (!strcmp(run->steps[k].step, j->step)) {
                const char *res = run->steps[k].result;
                snprintf(result, sizeof(result), "%s", run->steps[k].state);
                if (res) {
                    rip_json_doc d;
                    rip_json_doc_init(&d, NULL);
                    if (rip_json_parse(&d, res, strlen(res), NULL) == 0) {
                        const rip_json_node *m = rip_json_get(rip_json_root(&d), "message");
                        rip_slice ms = m ? rip_json_str(&d, m) : RIP_SLICE_NULL;
                        if (ms.ptr)
                            snprintf(result, sizeof(result), "%s: %.*s", run->steps[k].state,
                                     (int)(ms.len > 400 ? 400 : ms.len), ms.ptr);
                    }
                    rip_json_doc_release(&d);
                }
            }
    }
    if (incident && !rc) {
        /* A press may have contained it: its routes' channels hear so. */
        rip_store_incident *inc = NULL;
        if (rip_store_incident_get(s->st, incident, &inc) == 0) {
            routed r;
            route_incident(s, inc, &r);
            rip_store_incident_free(inc);
            notify_routes(s, incident, &r);
            routed_release(&r);
        }
    }
    view v;
    int vrc = incident ? build_view(s, incident, &v, true) : RIP_ENOTFOUND;
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        atomic_fetch_add(&s->m_interactions_bad, 1);
        slog(s, "slack: %s pressed %s on run %" PRId64 " step %s: refused: %s", actor,
             j->approve ? "approve" : "reject", j->run, j->step, msg);
    } else {
        atomic_fetch_add(&s->m_interactions_ok, 1);
        slog(s, "slack: run %" PRId64 " step %s %s by %s: %s", j->run, j->step,
             j->approve ? "approved" : "rejected", actor, result);
    }
    if (!rc && vrc == 0) {
        account_actions(s, &v, j->received_ns);
        if (s->have_slack && j->channel[0] && j->ts[0]) {
            rip_slack_result res = { j->run, j->step, j->approve, j->slack_user, now_ns(),
                                     result };
            rip_buf body = RIP_BUF_INIT;
            char err[512] = "";
            if (rip_slack_result_blocks(&v.si, &res, 1, &body) == 0 &&
                rip_slack_update(&s->slack, j->channel, j->ts, body.ptr, err, sizeof(err)))
                slog(s, "slack: update of the message failed: %s", err);
            rip_buf_release(&body);
        }
    }
    if (vrc == 0)
        view_free(&v);
    rip_store_run_free(run);
}

static void store_lock(void *ud)
{
    pthread_mutex_lock(&((rip_server *)ud)->lock);
}

static void store_unlock(void *ud)
{
    pthread_mutex_unlock(&((rip_server *)ud)->lock);
}

/* Sends what notify steps queued (store notifications) to their channels. */
static void deliver_outbox(rip_server *s)
{
    if (!s->outbox.n)
        return;
    rip_notify_stats ns;
    memset(&ns, 0, sizeof(ns));
    /* The store lock is taken by the delivery around its store calls only
     * (outbox.lock): a slow channel does not hold up ingest. */
    int rc = rip_notify_deliver(s->st, &s->outbox, now_ns(), 50, &ns);
    if (rc)
        slog(s, "notifications: delivery stopped (%s)", rip_strerror(rc));
    if (ns.delivered || ns.failed)
        slog(s, "notifications: %llu delivered, %llu failed (kept for a later try)",
             (unsigned long long)ns.delivered, (unsigned long long)ns.failed);
}

/* The outbox's channels, from the configuration's slack, pagerduty and
 * webhook channels; "default" is the default route's first channel. */
static int setup_outbox(rip_server *s)
{
    size_t n = s->cfg->nchannels;
    s->nchans = calloc(n ? n : 1, sizeof(*s->nchans));
    s->nslack = calloc(n ? n : 1, sizeof(*s->nslack));
    s->npd = calloc(n ? n : 1, sizeof(*s->npd));
    s->nwh = calloc(n ? n : 1, sizeof(*s->nwh));
    s->nmail = calloc(n ? n : 1, sizeof(*s->nmail));
    if (!s->nchans || !s->nslack || !s->npd || !s->nwh || !s->nmail)
        return RIP_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        rip_channel_config *ch = &s->cfg->channels[i];
        rip_notify_channel *c = &s->nchans[k];
        c->name = ch->name;
        if (ch->kind == RIP_CHANNEL_SLACK) {
            s->nslack[i] = (rip_slack_cfg){
                .api_base = ch->api_base,
                .bot_token = rip_config_secret(s->cfg, ch->bot_token.value, ch->bot_token.env),
                .webhook_url = rip_config_secret(s->cfg, ch->webhook_url.value,
                                                 ch->webhook_url.env),
                .channel = ch->channel,
                .retry_budget_ms = 2000,
            };
            c->kind = RIP_NOTIFY_SLACK;
            c->slack = &s->nslack[i];
        } else if (ch->kind == RIP_CHANNEL_PAGERDUTY) {
            s->npd[i] = (rip_pagerduty_cfg){
                .url = ch->url,
                .routing_key = rip_config_secret(s->cfg, ch->routing_key.value,
                                                 ch->routing_key.env),
                .retry_budget_ms = 2000,
            };
            c->kind = RIP_NOTIFY_PAGERDUTY;
            c->pagerduty = &s->npd[i];
        } else if (ch->kind == RIP_CHANNEL_WEBHOOK) {
            s->nwh[i] = (rip_webhook_cfg){
                .url = ch->url,
                .secret = rip_config_secret(s->cfg, ch->secret.value, ch->secret.env),
                .retry_budget_ms = 2000,
            };
            c->kind = RIP_NOTIFY_WEBHOOK;
            c->webhook = &s->nwh[i];
        } else if (ch->kind == RIP_CHANNEL_EMAIL) {
            s->nmail[i] = (rip_email_cfg){
                .smtp_url = ch->smtp_url,
                .from = ch->from,
                .to = (const char *const *)ch->to.v,
                .nto = ch->to.n,
                .username = rip_config_secret(s->cfg, ch->username.value, ch->username.env),
                .password = rip_config_secret(s->cfg, ch->password.value, ch->password.env),
                .starttls = ch->starttls,
                .subject_prefix = ch->subject_prefix,
            };
            c->kind = RIP_NOTIFY_EMAIL;
            c->email = &s->nmail[i];
        } else {
            continue;
        }
        k++;
    }
    s->outbox.v = s->nchans;
    s->outbox.n = k;
    s->outbox.lock = store_lock;
    s->outbox.unlock = store_unlock;
    s->outbox.lock_ud = s;
    for (size_t i = 0; i < s->cfg->nroutes; i++)
        if (s->cfg->routes[i].is_default && s->cfg->routes[i].nchannels)
            s->outbox.default_name = s->cfg->routes[i].channels[0]->name;
    return 0;
}

/* Works every open run (approval timeouts, retries due); returns when the
 * next one is due, 0 when none is. */
static int64_t advance_open(rip_server *s)
{
    int64_t wake = 0;
    size_t open = 0;
    pthread_mutex_lock(&s->lock);
    if (rip_engine_advance_all(s->eng_auto, &wake, &open) < 0)
        slog(s, "runs: %s", rip_engine_errmsg(s->eng_auto));
    pthread_mutex_unlock(&s->lock);
    return wake;
}

static void *worker_main(void *ud)
{
    rip_server *s = ud;
    int64_t next_wake = 0;
    for (;;) {
        pthread_mutex_lock(&s->qlock);
        if (!s->qlen && !s->stopping) {
            /* Idle: the outbox is retried and the open runs are worked
             * (approval deadlines, retries whose backoff is over) every few
             * seconds, or when the next of those is due. */
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t now = (int64_t)until.tv_sec * NS + until.tv_nsec;
            int64_t at = now + 5 * NS;
            if (next_wake > now && next_wake < at)
                at = next_wake;
            until.tv_sec = (time_t)(at / NS);
            until.tv_nsec = (long)(at % NS);
            pthread_cond_timedwait(&s->qcond, &s->qlock, &until);
        }
        if (!s->qlen) {
            int stop = s->stopping;
            pthread_mutex_unlock(&s->qlock);
            if (!stop)
                next_wake = advance_open(s);
            deliver_outbox(s);
            if (stop)
                return NULL;
            continue;
        }
        job j = s->jobs[s->qhead];
        s->qhead = (s->qhead + 1) % MAX_JOBS;
        s->qlen--;
        pthread_mutex_unlock(&s->qlock);
        if (j.kind == JOB_INCIDENT)
            work_incident(s, &j);
        else
            work_decide(s, &j);
        deliver_outbox(s);
    }
}

/* ---- HTTP endpoints ---- */

static void reply(rip_http_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reply(rip_http_response *resp, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char tmp[1024];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    resp->status = status;
    rip_buf_add(&resp->body, tmp, strlen(tmp));
}

/* The user a bearer token names, or NULL. */
static const rip_config_user *bearer(rip_server *s, const rip_http_request *req)
{
    const char *h = rip_http_header(req, "Authorization");
    if (!h || strncasecmp(h, "Bearer ", 7))
        return NULL;
    return rip_config_user_by_token(s->cfg, h + 7);
}

typedef struct ingest_ctx {
    rip_server *s;
    size_t events, rejected;
    int err;
    int64_t newest_ns;
} ingest_ctx;

static int on_event(void *ud, const rip_event *ev)
{
    ingest_ctx *c = ud;
    int rc = rip_store_put_event(c->s->st, ev, NULL);
    if (!rc)
        rc = rip_detector_event(c->s->det, ev, "POST /v1/events");
    if (rc) {
        c->err = rc;
        return rc;
    }
    c->events++;
    if (ev->time_ns > c->newest_ns)
        c->newest_ns = ev->time_ns;
    return 0;
}

static void on_reject(void *ud, const rip_decode_error *e)
{
    ingest_ctx *c = ud;
    (void)e;
    c->rejected++;
}

static void on_touched(void *ud, int64_t incident)
{
    rip_server *s = ud;
    if (s->ntouched == s->touched_cap) {
        size_t nc = s->touched_cap ? s->touched_cap * 2 : 64;
        int64_t *nv = realloc(s->touched, nc * sizeof(*nv));
        if (!nv) {
            s->touched_oom = 1;
            return;
        }
        s->touched = nv;
        s->touched_cap = nc;
    }
    s->touched[s->ntouched++] = incident;
}

/* Decodes, stores and detects data under the lock, commits, and queues the
 * incidents that changed. 0 once committed (the caller may acknowledge). */
static int ingest_data(rip_server *s, const char *name, const char *data, size_t len,
                       int64_t received, size_t *events, size_t *rejected, size_t *nincidents)
{
    ingest_ctx c = { .s = s };
    rip_decoder dec;
    char why[512] = "";
    rip_decoder_init(&dec, on_event, on_reject, &c, NULL);
    pthread_mutex_lock(&s->lock);
    s->ntouched = 0;
    s->touched_oom = 0;
    int drc = rip_decode_buffer(&dec, name, data, len);
    int rc = c.err ? c.err : drc < 0 && drc != RIP_EFORMAT ? drc : 0;
    /* Findings are folded in the detector's commit; the events are made
     * durable here in every case (a batch without a finding included):
     * only then may the caller acknowledge. */
    if (!rc)
        rc = rip_detector_commit(s->det);
    if (!rc)
        rc = rip_store_flush(s->st);
    if (!rc && s->touched_oom)
        rc = RIP_ENOMEM;
    int64_t committed = now_ns();
    size_t ntouched = s->ntouched;
    int64_t *touched = ntouched ? malloc(ntouched * sizeof(int64_t)) : NULL;
    if (ntouched && !touched && !rc)
        rc = RIP_ENOMEM;
    if (touched)
        memcpy(touched, s->touched, ntouched * sizeof(int64_t));
    if (rc)
        snprintf(why, sizeof(why), "%s", rc == RIP_ENOMEM ? "out of memory"
                                                          : rip_store_errmsg(s->st));
    pthread_mutex_unlock(&s->lock);
    rip_decoder_release(&dec);
    if (rc) {
        slog(s, "%s: not stored: %s", name, why);
        free(touched);
        return rc;
    }
    atomic_fetch_add(&s->m_events, c.events);
    atomic_fetch_add(&s->m_rejected, c.rejected);
    atomic_fetch_add(&s->m_batches, 1);
    if (c.newest_ns && c.events)
        observe(&s->h_detect, (double)(committed - c.newest_ns) / 1e9);
    for (size_t i = 0; i < ntouched; i++) {
        job j = { .kind = JOB_INCIDENT, .incident = touched[i], .received_ns = received };
        atomic_fetch_add(&s->m_incidents, 1);
        if (push_job(s, &j))
            slog(s, "incident %" PRId64 ": the work queue is full (its playbooks start when "
                 "the daemon restarts or the incident changes)", touched[i]);
    }
    free(touched);
    *events = c.events;
    *rejected = c.rejected;
    *nincidents = ntouched;
    return 0;
}

static int sqs_ingest(void *ud, const char *name, const char *data, size_t len, size_t *events)
{
    size_t rejected = 0, n = 0;
    int rc = ingest_data(ud, name, data, len, now_ns(), events, &rejected, &n);
    if (!rc && !*events && rejected)
        return RIP_EFORMAT;   /* nothing in it could be read: leave it to SQS */
    return rc;
}

/* A POST /v1/sns Notification's content is stored as POST /v1/events
 * stores a body; the counts are the request's. */
typedef struct sns_ctx {
    rip_server *s;
    int64_t received;
    size_t events, rejected, incidents;
} sns_ctx;

static int sns_ingest(void *ud, const char *name, const char *data, size_t len, size_t *events)
{
    sns_ctx *c = ud;
    size_t rejected = 0, n = 0;
    int rc = ingest_data(c->s, name, data, len, c->received, events, &rejected, &n);
    if (rc)
        return rc;
    c->events += *events;
    c->rejected += rejected;
    c->incidents += n;
    return !*events && rejected ? RIP_EFORMAT : 0;
}

/* POST /v1/sns: the message's signature is its authentication; the checks
 * and what each message type does are source-sns.h's. 200 only once a
 * Notification's events are committed. */
static void post_sns(rip_server *s, const rip_http_request *req, rip_http_response *resp)
{
    if (!s->sns) {
        reply(resp, 404, "{\"error\":\"no source of kind sns is configured\"}");
        return;
    }
    sns_ctx c = { .s = s, .received = now_ns() };
    rip_sns_request r = { rip_http_header(req, "x-amz-sns-message-type"), req->body,
                          req->body_len, req->remote, c.received, sns_ingest, &c };
    rip_sns_outcome o;
    rip_sns_endpoint_handle(s->sns, &r, &o);
    if (o.log[0])
        slog(s, "%s", o.log);
    if (o.audit_action) {
        rip_store_audit_new a = { .actor = o.status == 403 ? "sns:unverified" : "sns",
                                  .action = o.audit_action, .target = "POST /v1/sns",
                                  .detail = o.audit_detail };
        pthread_mutex_lock(&s->lock);
        rip_store_audit_append(s->st, &a, NULL);
        pthread_mutex_unlock(&s->lock);
    }
    if (o.status != 200) {
        rip_buf b = RIP_BUF_INIT;
        rip_json_quote(&b, o.error, strlen(o.error));
        reply(resp, o.status, "{\"error\":%s}", b.ptr);
        rip_buf_release(&b);
        return;
    }
    reply(resp, 200, "{\"type\":\"%s\",\"accepted\":%zu,\"rejected\":%zu,\"incidents\":%zu}",
          rip_sns_type_name(o.type), c.events, c.rejected, c.incidents);
}

static void post_events(rip_server *s, const rip_http_request *req, rip_http_response *resp)
{
    const char *key = rip_http_header(req, "X-API-Key");
    const rip_config_user *u = bearer(s, req);
    bool ok = (key && rip_config_event_key_by_key(s->cfg, key)) ||
              (u && rip_config_user_can(u, RIP_ROLE_RESPONDER));
    if (!ok) {
        slog(s, "POST /v1/events from %s refused: no valid API key or responder token",
             req->remote);
        reply(resp, 401, "{\"error\":\"an API key (X-API-Key) or a responder's bearer token "
                         "is required\"}");
        return;
    }
    int64_t received = now_ns();
    size_t events = 0, rejected = 0, nincidents = 0;
    int rc = ingest_data(s, "POST /v1/events", req->body, req->body_len, received, &events,
                         &rejected, &nincidents);
    if (rc) {
        reply(resp, 503, "{\"error\":\"the events could not be stored; send them again\"}");
        return;
    }
    if (!events && rejected) {
        reply(resp, 400, "{\"error\":\"no event could be decoded\",\"rejected\":%zu}",
              rejected);
        return;
    }
    reply(resp, 202, "{\"accepted\":%zu,\"rejected\":%zu,\"incidents\":%zu}", events,
          rejected, nincidents);
}

static void slack_interaction(rip_server *s, const rip_http_request *req,
                              rip_http_response *resp)
{
    char why[256] = "";
    if (!s->signing_secret) {
        reply(resp, 404, "{\"error\":\"no Slack channel with a signing secret\"}");
        return;
    }
    int rc = rip_slack_verify(s->signing_secret, rip_http_header(req, "X-Slack-Request-Timestamp"),
                              rip_http_header(req, "X-Slack-Signature"), req->body,
                              req->body_len, now_ns() / NS, why, sizeof(why));
    if (rc) {
        atomic_fetch_add(&s->m_interactions_bad, 1);
        slog(s, "POST /v1/slack/interactions from %s refused: %s", req->remote, why);
        rip_store_audit_new a = { .actor = "slack:unverified", .action = "interaction_refused",
                                  .target = "POST /v1/slack/interactions", .detail = NULL };
        char det[400];
        snprintf(det, sizeof(det), "{\"remote\":\"%.64s\",\"why\":\"%.200s\"}", req->remote,
                 rc == RIP_ERANGE ? "stale timestamp" : "bad signature");
        a.detail = det;
        pthread_mutex_lock(&s->lock);
        rip_store_audit_append(s->st, &a, NULL);
        pthread_mutex_unlock(&s->lock);
        reply(resp, 401, "{\"error\":\"%s\"}", rc == RIP_ERANGE ? "stale timestamp"
                                                                 : "bad signature");
        return;
    }
    rip_slack_interaction in;
    if (rip_slack_parse_interaction(req->body, req->body_len, &in, why, sizeof(why))) {
        reply(resp, 400, "{\"error\":\"not a block_actions interaction\"}");
        slog(s, "POST /v1/slack/interactions: %s", why);
        return;
    }
    job j = { .kind = JOB_DECIDE, .received_ns = now_ns() };
    if (rip_slack_parse_button_value(in.value, &j.run, j.step, sizeof(j.step))) {
        reply(resp, 400, "{\"error\":\"not a riposte button\"}");
        return;
    }
    j.approve = !strcmp(in.action_id, RIP_SLACK_ACTION_APPROVE);
    if (!j.approve && strcmp(in.action_id, RIP_SLACK_ACTION_REJECT)) {
        reply(resp, 400, "{\"error\":\"unknown action\"}");
        return;
    }
    snprintf(j.slack_user, sizeof(j.slack_user), "%s", in.user_id);
    snprintf(j.channel, sizeof(j.channel), "%s", in.channel_id);
    snprintf(j.ts, sizeof(j.ts), "%s", in.message_ts);
    if (push_job(s, &j)) {
        reply(resp, 503, "{\"error\":\"busy\"}");
        return;
    }
    /* Slack wants an answer within 3 s: the work goes on in the worker. */
    resp->status = 200;
}

static int list_incident(void *ud, const rip_store_incident_row *r)
{
    rip_jw *w = ud;
    rip_jw_obj_begin(w);
    rip_jw_key(w, "id");
    rip_jw_i64(w, r->id);
    rip_jw_key(w, "title");
    rip_jw_str(w, r->title);
    rip_jw_key(w, "severity");
    rip_jw_str(w, r->severity);
    rip_jw_key(w, "status");
    rip_jw_str(w, r->status);
    rip_jw_key(w, "phase");
    rip_jw_str(w, r->phase);
    rip_jw_key(w, "first_seen_ns");
    rip_jw_i64(w, r->first_seen_ns);
    rip_jw_key(w, "last_seen_ns");
    rip_jw_i64(w, r->last_seen_ns);
    rip_jw_obj_end(w);
    return 0;
}

static int list_run(void *ud, const rip_store_run_row *r)
{
    rip_jw *w = ud;
    rip_jw_obj_begin(w);
    rip_jw_key(w, "id");
    rip_jw_i64(w, r->id);
    rip_jw_key(w, "incident");
    rip_jw_i64(w, r->incident_id);
    rip_jw_key(w, "playbook");
    rip_jw_str(w, r->playbook);
    rip_jw_key(w, "state");
    rip_jw_str(w, r->state);
    rip_jw_key(w, "dry_run");
    rip_jw_bool(w, r->dry_run != 0);
    rip_jw_key(w, "steps");
    rip_jw_u64(w, r->nsteps);
    rip_jw_key(w, "steps_ended");
    rip_jw_u64(w, r->nended);
    rip_jw_obj_end(w);
    return 0;
}

static void get_list(rip_server *s, const rip_http_request *req, rip_http_response *resp,
                     bool incidents)
{
    const rip_config_user *u = bearer(s, req);
    if (!u || !rip_config_user_can(u, RIP_ROLE_VIEWER)) {
        reply(resp, 401, "{\"error\":\"a viewer's bearer token is required\"}");
        return;
    }
    rip_jw w;
    rip_jw_init(&w, &resp->body);
    rip_jw_arr_begin(&w);
    pthread_mutex_lock(&s->lock);
    int rc;
    if (incidents) {
        rip_store_incident_filter f = { .limit = 1000 };
        rc = rip_store_list_incidents(s->st, &f, list_incident, &w);
    } else {
        rip_store_run_filter f = { .dry_run = -1 };
        rc = rip_store_list_runs(s->st, &f, list_run, &w);
    }
    pthread_mutex_unlock(&s->lock);
    rip_jw_arr_end(&w);
    if (rc || rip_jw_finish(&w)) {
        resp->body.len = 0;
        reply(resp, 500, "{\"error\":\"the store could not be read\"}");
    }
}

static void post_approval(rip_server *s, const rip_http_request *req, rip_http_response *resp)
{
    const rip_config_user *u = bearer(s, req);
    if (!u || !rip_config_user_can(u, RIP_ROLE_RESPONDER)) {
        reply(resp, 401, "{\"error\":\"a responder's bearer token is required\"}");
        return;
    }
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    int64_t run = 0;
    char step[128] = "", reason[256] = "";
    bool approve = false, okp = false;
    if (rip_json_parse(&d, req->body, req->body_len, NULL) == 0) {
        const rip_json_node *root = rip_json_root(&d);
        const rip_json_node *r = rip_json_get(root, "run"), *st = rip_json_get(root, "step");
        const rip_json_node *ap = rip_json_get(root, "approve"), *re = rip_json_get(root, "reason");
        if (r && rip_json_i64(r, &run) == 0 && st && rip_json_is(st, RIP_JSON_STRING) && ap &&
            (rip_json_is(ap, RIP_JSON_TRUE) || rip_json_is(ap, RIP_JSON_FALSE))) {
            rip_slice ss = rip_json_str(&d, st);
            if (ss.ptr && ss.len < sizeof(step)) {
                memcpy(step, ss.ptr, ss.len);
                okp = true;
            }
            approve = rip_json_is(ap, RIP_JSON_TRUE);
            if (re && rip_json_is(re, RIP_JSON_STRING)) {
                rip_slice rs = rip_json_str(&d, re);
                snprintf(reason, sizeof(reason), "%.*s", (int)(rs.len > 255 ? 255 : rs.len),
                         rs.ptr ? rs.ptr : "");
            }
        }
    }
    rip_json_doc_release(&d);
    if (!okp) {
        reply(resp, 400, "{\"error\":\"expected {\\\"run\\\": N, \\\"step\\\": \\\"ID\\\", "
                         "\\\"approve\\\": true|false, \\\"reason\\\": \\\"...\\\"}\"}");
        return;
    }
    if (!approve && !reason[0]) {
        reply(resp, 400, "{\"error\":\"a rejection needs a reason\"}");
        return;
    }
    const char *roles[3];
    size_t nr = 0;
    if (u->roles & RIP_ROLE_ADMIN)
        roles[nr++] = "admin";
    roles[nr++] = "responder";
    char actor[160];
    snprintf(actor, sizeof(actor), "api:%s", u->name);
    rip_engine_who who = { actor, roles, nr, "api" };
    pthread_mutex_lock(&s->lock);
    int rc = rip_engine_decide(s->eng_auto, run, step, &who, approve, reason[0] ? reason : NULL);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s", rc ? rip_engine_errmsg(s->eng_auto) : "");
    pthread_mutex_unlock(&s->lock);
    if (rc) {
        rip_buf b = RIP_BUF_INIT;
        rip_json_quote(&b, msg, strlen(msg));
        reply(resp, rc == RIP_ENOTFOUND ? 404 : rc == RIP_EINVAL ? 403 : 409, "{\"error\":%s}",
              b.ptr ? b.ptr : "\"\"");
        rip_buf_release(&b);
        return;
    }
    reply(resp, 200, "{\"run\":%" PRId64 ",\"decided\":\"%s\"}", run,
          approve ? "approved" : "rejected");
}

static void hist_text(rip_buf *b, const char *name, const char *help, histogram *h)
{
    rip_buf_addf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long cum = 0;
    for (size_t i = 0; i < NBUCKETS; i++) {
        cum += atomic_load(&h->counts[i]);
        rip_buf_addf(b, "%s_bucket{le=\"%g\"} %llu\n", name, bucket_s[i], cum);
    }
    cum += atomic_load(&h->counts[NBUCKETS]);
    rip_buf_addf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, cum, name,
                 atomic_load(&h->sum), name, (unsigned long long)atomic_load(&h->total));
}

static void metrics(rip_server *s, rip_http_response *resp)
{
    rip_buf *b = &resp->body;
    resp->content_type = "text/plain; version=0.0.4";
#define COUNTER(name, help, v)                                                              \
    rip_buf_addf(b, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %llu\n",    \
                 (unsigned long long)atomic_load(&(v)))
    COUNTER("riposte_events_total", "events accepted and stored", s->m_events);
    COUNTER("riposte_events_rejected_total", "records that could not be decoded",
            s->m_rejected);
    COUNTER("riposte_incident_updates_total", "incidents that took new findings",
            s->m_incidents);
    COUNTER("riposte_runs_started_total", "playbook runs started", s->m_runs);
    rip_buf_addf(b, "# HELP riposte_actions_total action steps by outcome\n"
                    "# TYPE riposte_actions_total counter\n"
                    "riposte_actions_total{outcome=\"succeeded\"} %llu\n"
                    "riposte_actions_total{outcome=\"failed\"} %llu\n"
                    "riposte_actions_total{outcome=\"waiting_approval\"} %llu\n",
                 (unsigned long long)atomic_load(&s->m_actions_ok),
                 (unsigned long long)atomic_load(&s->m_actions_failed),
                 (unsigned long long)atomic_load(&s->m_approvals_waiting));
    COUNTER("riposte_slack_messages_total", "Slack messages posted or updated",
            s->m_slack_posts);
    COUNTER("riposte_slack_failures_total", "Slack deliveries that failed",
            s->m_slack_failures);
    rip_buf_addf(b, "# HELP riposte_interactions_total Slack button presses\n"
                    "# TYPE riposte_interactions_total counter\n"
                    "riposte_interactions_total{result=\"accepted\"} %llu\n"
                    "riposte_interactions_total{result=\"refused\"} %llu\n",
                 (unsigned long long)atomic_load(&s->m_interactions_ok),
                 (unsigned long long)atomic_load(&s->m_interactions_bad));
#undef COUNTER
    hist_text(b, "riposte_event_to_detection_seconds",
              "from an event's own time to its detection (commit)", &s->h_detect);
    hist_text(b, "riposte_detection_to_action_seconds",
              "from the request that caused an incident to its first action call", &s->h_action);
}

static void handle(void *ud, const rip_http_request *req, rip_http_response *resp)
{
    rip_server *s = ud;
    bool get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");
    if (!strcmp(req->path, "/healthz") && get)
        reply(resp, 200, "{\"status\":\"ok\"}");
    else if (!strcmp(req->path, "/readyz") && get)
        reply(resp, atomic_load(&s->draining) ? 503 : 200, "{\"ready\":%s}",
              atomic_load(&s->draining) ? "false" : "true");
    else if (!strcmp(req->path, "/metrics") && get)
        metrics(s, resp);
    else if (!strcmp(req->path, "/v1/events") && post)
        post_events(s, req, resp);
    else if (!strcmp(req->path, "/v1/sns") && post)
        post_sns(s, req, resp);
    else if (!strcmp(req->path, "/v1/slack/interactions") && post)
        slack_interaction(s, req, resp);
    else if (!strcmp(req->path, "/v1/incidents") && get)
        get_list(s, req, resp, true);
    else if (!strcmp(req->path, "/v1/runs") && get)
        get_list(s, req, resp, false);
    else if (!strcmp(req->path, "/v1/approvals") && post)
        post_approval(s, req, resp);
    else if (!strcmp(req->path, "/v1/events") || !strcmp(req->path, "/v1/approvals") ||
             !strcmp(req->path, "/v1/slack/interactions") || !strcmp(req->path, "/v1/sns"))
        reply(resp, 405, "{\"error\":\"method not allowed\"}");
    else
        reply(resp, 404, "{\"error\":\"no such endpoint\"}");
}

/* ---- start and stop ---- */

/* Reads a PEM file (at most 1 MiB) into b, NUL-terminated. 0 or -1. */
static int read_pem(const char *path, rip_buf *b)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (!f)
        return -1;
    char chunk[4096];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (b->len + n > ((size_t)1 << 20) || rip_buf_add(b, chunk, n))
            rc = -1;
    if (ferror(f))
        rc = -1;
    fclose(f);
    return rc || !b->len ? -1 : 0;
}

static void wipe_buf(rip_buf *b)
{
    if (b->ptr) {
        volatile char *p = b->ptr;
        for (size_t i = 0; i < b->len; i++)
            p[i] = 0;
    }
    rip_buf_release(b);
}

typedef struct recover {
    rip_server *s;
    size_t n;
} recover;

static int recover_incident(void *ud, const rip_store_incident_row *row)
{
    recover *r = ud;
    job j = { .kind = JOB_INCIDENT, .incident = row->id };
    if (push_job(r->s, &j) == 0)
        r->n++;
    return 0;
}

int rip_server_start(const rip_server_deps *deps, rip_server **out, char *err, size_t errlen)
{
    rip_server *s = calloc(1, sizeof(*s));
    if (!s || !(s->jobs = calloc(MAX_JOBS, sizeof(job)))) {
        free(s);
        snprintf(err, errlen, "out of memory");
        return RIP_ENOMEM;
    }
    s->d = *deps;
    s->cfg = deps->cfg;
    rip_buf_init(&s->tls_cert, 0);
    rip_buf_init(&s->tls_key, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->qlock, NULL);
    pthread_cond_init(&s->qcond, NULL);
    rip_store_options so;
    rip_store_options_init(&so);
    so.sync_full = s->cfg->store.sync == RIP_CONFIG_SYNC_FULL;
    /* A daemon runs for weeks beside other work: a smaller page cache than
     * a bulk `riposte ingest` wants keeps its memory bounded and flat. */
    so.cache_mib = 64;
    so.batch_bytes = (size_t)16 << 20;
    so.batch_events = 16384;
    /* Checkpoints (and their fsyncs) run on a thread of their own: inline,
     * one took 30-40 ms of an incident's commit now and then, the p99 of
     * alert-to-action (bench/serve-bench.py). */
    so.background_checkpoint = 1;
    rip_store_error se;
    int rc = rip_store_open(s->cfg->store.path, &so, &s->st, &se);
    if (rc) {
        snprintf(err, errlen, "cannot open database '%s': %s", s->cfg->store.path, se.msg);
        goto fail;
    }
    s->det = rip_detector_new(s->st, deps->rules, NULL);
    if (!s->det) {
        rc = RIP_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    rip_detector_on_incident(s->det, on_touched, s);
    rip_engine_opts eo = {
        .st = s->st,
        .playbooks = s->cfg->playbook_set,
        .client = deps->client,
        .actor = "riposte",
        .protect_key = s->cfg->safety.protect_key,
        .protect_value = s->cfg->safety.protect_value,
        .max_destructive = s->cfg->safety.max_destructive_per_hour,
        .log = deps->log,
        .log_ud = deps->log_ud,
    };
    s->eng_auto = rip_engine_new(&eo);
    eo.approve_all = true;
    s->eng_approve = rip_engine_new(&eo);
    if (!s->eng_auto || !s->eng_approve || !s->cfg->playbook_set) {
        rc = RIP_ENOMEM;
        snprintf(err, errlen, "%s", s->cfg->playbook_set ? "out of memory" : "no playbooks loaded");
        goto fail;
    }
    /* The first Slack channel with a bot token serves messages and presses. */
    for (size_t i = 0; i < s->cfg->nchannels; i++) {
        rip_channel_config *ch = &s->cfg->channels[i];
        if (ch->kind != RIP_CHANNEL_SLACK || s->have_slack)
            continue;
        s->slack.api_base = ch->api_base;
        s->slack.bot_token = rip_config_secret(s->cfg, ch->bot_token.value, ch->bot_token.env);
        s->slack.webhook_url = rip_config_secret(s->cfg, ch->webhook_url.value,
                                                 ch->webhook_url.env);
        s->slack.channel = ch->channel;
        s->slack.timeout_ms = 10000;
        s->slack.retry_budget_ms = 5000;
        s->signing_secret = rip_config_secret(s->cfg, ch->signing_secret.value,
                                              ch->signing_secret.env);
        s->have_slack = s->slack.bot_token || s->slack.webhook_url;
    }
    if (setup_outbox(s)) {
        rc = RIP_ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (pthread_create(&s->worker, NULL, worker_main, s)) {
        rc = RIP_ENOMEM;
        snprintf(err, errlen, "cannot start the worker thread");
        goto fail;
    }
    /* Recovery: an incident acknowledged before a crash may have had its
     * playbooks not started yet, or a run stopped mid-step. Starting is
     * idempotent and advancing reconciles, so every open incident is
     * worked once now. */
    if (deps->listen_fd <= 0) {   /* a fresh start, not a reload */
        recover r = { s, 0 };
        rip_store_incident_filter f = { .status = "open", .limit = 100000 };
        pthread_mutex_lock(&s->lock);
        rip_store_list_incidents(s->st, &f, recover_incident, &r);
        f.status = "acknowledged";
        rip_store_list_incidents(s->st, &f, recover_incident, &r);
        pthread_mutex_unlock(&s->lock);
        if (r.n)
            slog(s, "recovery: %zu open incident%s queued to resume their playbooks", r.n,
                 r.n == 1 ? "" : "s");
    }
    /* TLS: the PEM files are read once here (libmicrohttpd takes them as
     * text); the key is wiped when the server stops. */
    if (s->cfg->server.tls_cert) {
        if (read_pem(s->cfg->server.tls_cert, &s->tls_cert) ||
            read_pem(s->cfg->server.tls_key, &s->tls_key)) {
            rc = RIP_EIO;
            snprintf(err, errlen, "cannot read the TLS certificate or key ('%s', '%s')",
                     s->cfg->server.tls_cert, s->cfg->server.tls_key);
            pthread_mutex_lock(&s->qlock);
            s->stopping = 1;
            pthread_cond_signal(&s->qcond);
            pthread_mutex_unlock(&s->qlock);
            pthread_join(s->worker, NULL);
            goto fail;
        }
    }
    /* POST /v1/sns, when a source of kind sns says which topics it takes. */
    for (size_t i = 0; i < s->cfg->nsources && !s->sns; i++)
        if (s->cfg->sources[i].kind == RIP_SOURCE_SNS) {
            rip_sns_endpoint_opts eo_sns = { .cfg = s->cfg, .timeout_ms = 5000,
                                             .log = deps->log, .log_ud = deps->log_ud };
            if (!(s->sns = rip_sns_endpoint_new(&eo_sns)))
                slog(s, "POST /v1/sns: out of memory; the endpoint answers 404");
        }
    rip_http_opts ho = {
        .host = s->cfg->server.listen_host,
        .port = s->cfg->server.listen_port,
        .max_body = s->cfg->server.max_body,
        .max_header = s->cfg->server.max_header,
        .max_connections = s->cfg->server.max_connections,
        .timeout_s = s->cfg->server.connection_timeout_s,
        .listen_fd = deps->listen_fd,
        .tls_cert_pem = s->tls_cert.len ? s->tls_cert.ptr : NULL,
        .tls_key_pem = s->tls_key.len ? s->tls_key.ptr : NULL,
        .handler = handle,
        .ud = s,
    };
    rc = rip_http_start(&ho, &s->http, err, errlen);
    if (rc) {
        pthread_mutex_lock(&s->qlock);
        s->stopping = 1;
        pthread_cond_signal(&s->qcond);
        pthread_mutex_unlock(&s->qlock);
        pthread_join(s->worker, NULL);
        goto fail;
    }
    /* The queues: events come in from them as from POST /v1/events. */
    for (size_t i = 0; i < s->cfg->nsources && s->npollers < 16; i++) {
        const rip_config_source *src = &s->cfg->sources[i];
        if (src->kind != RIP_SOURCE_SQS)
            continue;
        rip_sqs_opts qo = {
            .name = src->name,
            .queue_url = src->queue_url,
            .region = src->region ? src->region : s->cfg->aws.region,
            .profile = s->cfg->aws.profile,
            .endpoint_url = s->cfg->aws.endpoint_url,
            .wait_s = src->wait_s,
            .max_messages = src->max_messages,
            .visibility_timeout_s = src->visibility_timeout_s,
            .backoff_max_s = src->backoff_max_s,
            .ingest = sqs_ingest,
            .ud = s,
            .log = deps->log,
            .log_ud = deps->log_ud,
        };
        if (rip_sqs_start(&qo, &s->pollers[s->npollers], err, errlen) == 0)
            s->npollers++;
        else
            slog(s, "%s", err);
    }
    *out = s;
    return 0;
fail:
    rip_sns_endpoint_free(s->sns);
    wipe_buf(&s->tls_key);
    rip_buf_release(&s->tls_cert);
    free(s->nchans);
    free(s->nslack);
    free(s->npd);
    free(s->nwh);
    free(s->nmail);
    rip_engine_free(s->eng_auto);
    rip_engine_free(s->eng_approve);
    rip_detector_free(s->det);
    if (s->st)
        rip_store_close(s->st);
    free(s->jobs);
    free(s);
    return rc;
}

uint16_t rip_server_port(const rip_server *s)
{
    return rip_http_port(s->http);
}

static void server_stop(rip_server *s, unsigned drain_ms, int *keep_fd)
{
    atomic_store(&s->draining, 1);
    /* No new events from the queues (a poll in progress ends first). */
    for (size_t i = 0; i < s->npollers; i++)
        rip_sqs_stop(s->pollers[i]);
    if (keep_fd)
        *keep_fd = rip_http_quiesce(s->http);
    rip_http_stop(s->http, drain_ms);
    rip_sns_endpoint_free(s->sns);
    /* The queued work is finished, then the worker ends. */
    pthread_mutex_lock(&s->qlock);
    s->stopping = 1;
    pthread_cond_signal(&s->qcond);
    pthread_mutex_unlock(&s->qlock);
    pthread_join(s->worker, NULL);
    pthread_mutex_lock(&s->lock);
    rip_detector_finish(s->det);
    pthread_mutex_unlock(&s->lock);
    rip_engine_free(s->eng_auto);
    rip_engine_free(s->eng_approve);
    rip_detector_free(s->det);
    rip_store_close(s->st);
    free(s->touched);
    wipe_buf(&s->tls_key);
    rip_buf_release(&s->tls_cert);
    free(s->nchans);
    free(s->nslack);
    free(s->npd);
    free(s->nwh);
    free(s->nmail);
    free(s->jobs);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->qlock);
    pthread_cond_destroy(&s->qcond);
    free(s);
}

void rip_server_stop(rip_server *s, unsigned drain_ms)
{
    if (s)
        server_stop(s, drain_ms, NULL);
}

int rip_server_stop_keep_socket(rip_server *s, unsigned drain_ms)
{
    int fd = -1;
    if (s)
        server_stop(s, drain_ms, &fd);
    return fd;
}
