/* deliver.c — the notification outbox to Slack, PagerDuty, webhooks and
 * email (deliver.h).
 *
 * One call reads the due rows first (copied into an arena: the network is
 * never touched while a statement is open on the store), then sends them
 * one by one, each try marked in its own transaction together with the
 * timeline entry its failure may call for. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify/deliver.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/json.h"

#define LAST_ERROR_MAX 256
#define STOP_COLLECTING (-1)   /* not a RIP_E* code: the list's callback is full */

const char *rip_notify_kind_name(rip_notify_kind k)
{
    switch (k) {
    case RIP_NOTIFY_SLACK: return "slack";
    case RIP_NOTIFY_PAGERDUTY: return "pagerduty";
    case RIP_NOTIFY_WEBHOOK: return "webhook";
    case RIP_NOTIFY_EMAIL: return "email";
    }
    return "?";
}

int64_t rip_notify_backoff_ns(uint32_t attempts)
{
    if (!attempts)
        return 0;
    int64_t b = RIP_NOTIFY_BACKOFF_FIRST_NS;
    for (uint32_t i = 1; i < attempts && b < RIP_NOTIFY_BACKOFF_MAX_NS; i++)
        b *= 2;
    return b < RIP_NOTIFY_BACKOFF_MAX_NS ? b : RIP_NOTIFY_BACKOFF_MAX_NS;
}

static int64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static const rip_notify_channel *find_channel(const rip_notify_channels *ch, const char *name)
{
    if (!ch || !ch->n || !name)
        return NULL;
    for (size_t i = 0; i < ch->n; i++)
        if (ch->v[i].name && !strcmp(ch->v[i].name, name))
            return &ch->v[i];
    if (strcmp(name, "default"))
        return NULL;
    if (ch->default_name) {
        for (size_t i = 0; i < ch->n; i++)
            if (ch->v[i].name && !strcmp(ch->v[i].name, ch->default_name))
                return &ch->v[i];
        return NULL;
    }
    return &ch->v[0];
}

/* The webhook body, and PagerDuty's custom details: the row as JSON. */
static int row_json(const rip_store_notification_row *row, int64_t now_ns, int with_message,
                    rip_buf *out)
{
    rip_jw w;
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    if (with_message) {
        rip_jw_key(&w, "type");
        rip_jw_str(&w, "riposte.notification");
    }
    rip_jw_key(&w, "notification_id");
    rip_jw_i64(&w, row->id);
    rip_jw_key(&w, "incident_id");
    if (row->incident_id)
        rip_jw_i64(&w, row->incident_id);
    else
        rip_jw_null(&w);
    rip_jw_key(&w, "run_id");
    if (row->run_id)
        rip_jw_i64(&w, row->run_id);
    else
        rip_jw_null(&w);
    rip_jw_key(&w, "step");
    rip_jw_str(&w, row->step);
    rip_jw_key(&w, "channel");
    rip_jw_str(&w, row->channel);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, row->severity);
    if (with_message) {
        rip_jw_key(&w, "message");
        rip_jw_str(&w, row->message);
        rip_jw_key(&w, "created_ns");
        rip_jw_i64(&w, row->created_ns);
        rip_jw_key(&w, "sent_at");
        rip_jw_i64(&w, now_ns / 1000000000LL);
    }
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}

int rip_notify_send(const rip_notify_channel *c, const rip_store_notification_row *row,
                    int64_t now_ns, char *err, size_t errcap)
{
    rip_buf body = RIP_BUF_INIT;
    int rc = RIP_EINVAL;
    if (!now_ns)
        now_ns = clock_ns();
    switch (c->kind) {
    case RIP_NOTIFY_SLACK: {
        if (!c->slack) {
            snprintf(err, errcap, "slack channel '%s' has no configuration", c->name);
            break;
        }
        const char *to = c->slack_channel ? c->slack_channel : c->slack->channel;
        rc = rip_slack_notification_blocks(to, row->severity, row->message, row->incident_id,
                                           row->run_id, row->step, &body);
        if (rc) {
            snprintf(err, errcap, "slack: cannot build the message: %s", rip_strerror(rc));
            break;
        }
        rc = rip_slack_post(c->slack, body.ptr, NULL, 0, NULL, 0, err, errcap);
        break;
    }
    case RIP_NOTIFY_PAGERDUTY: {
        if (!c->pagerduty) {
            snprintf(err, errcap, "pagerduty channel '%s' has no configuration", c->name);
            break;
        }
        char key[64];
        if (row->incident_id)
            rip_pagerduty_dedup_key(row->incident_id, key, sizeof(key));
        else
            snprintf(key, sizeof(key), "riposte-notification-%" PRId64, row->id);
        rc = row_json(row, now_ns, 0, &body);
        if (rc) {
            snprintf(err, errcap, "pagerduty: %s", rip_strerror(rc));
            break;
        }
        /* An incident's life from its routes (server/route.h): opened
         * triggers, acknowledged acknowledges, contained and resolved
         * resolve the page; everything else triggers. */
        const char *action = "trigger";
        if (row->step && !strncmp(row->step, "incident:", 9)) {
            const char *what = row->step + 9;
            if (!strcmp(what, "acknowledged"))
                action = "acknowledge";
            else if (!strcmp(what, "contained") || !strcmp(what, "resolved"))
                action = "resolve";
        }
        rip_pagerduty_event_in ev = { action, key, row->message, row->severity, "riposte",
                                      body.ptr };
        rc = rip_pagerduty_event(c->pagerduty, &ev, err, errcap);
        break;
    }
    case RIP_NOTIFY_WEBHOOK:
        if (!c->webhook) {
            snprintf(err, errcap, "webhook channel '%s' has no configuration", c->name);
            break;
        }
        rc = row_json(row, now_ns, 1, &body);
        if (rc) {
            snprintf(err, errcap, "webhook: %s", rip_strerror(rc));
            break;
        }
        rc = rip_webhook_post(c->webhook, body.ptr, body.len, now_ns / 1000000000LL, err,
                              errcap);
        break;
    case RIP_NOTIFY_EMAIL: {
        if (!c->email) {
            snprintf(err, errcap, "email channel '%s' has no configuration", c->name);
            break;
        }
        rip_email_content m = { row, NULL, NULL };
        rc = rip_email_notify(c->email, &m, now_ns / 1000000000LL, err, errcap);
        break;
    }
    default:
        snprintf(err, errcap, "channel '%s' has an unknown kind", c->name);
        break;
    }
    rip_buf_release(&body);
    return rc;
}

typedef struct collect {
    rip_arena *ar;
    rip_store_notification_row *rows;
    size_t n, alloc, max;
    int64_t now;
    uint64_t deferred;
    int oom;
} collect;

static const char *dup(rip_arena *ar, const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *p = rip_arena_strndup(ar, s, strlen(s));
    if (!p)
        *ok = 0;
    return p;
}

static int on_row(void *ud, const rip_store_notification_row *row)
{
    collect *c = ud;
    if (row->attempts &&
        row->last_attempt_ns + rip_notify_backoff_ns(row->attempts) > c->now) {
        c->deferred++;
        return 0;
    }
    if (c->n == c->alloc) {
        size_t na = c->alloc ? c->alloc * 2 : 16;
        rip_store_notification_row *nr = realloc(c->rows, na * sizeof(*nr));
        if (!nr) {
            c->oom = 1;
            return RIP_ENOMEM;
        }
        c->rows = nr;
        c->alloc = na;
    }
    int ok = 1;
    rip_store_notification_row r = *row;
    r.step = dup(c->ar, row->step, &ok);
    r.channel = dup(c->ar, row->channel, &ok);
    r.severity = dup(c->ar, row->severity, &ok);
    r.message = dup(c->ar, row->message, &ok);
    r.last_error = NULL;
    if (!ok) {
        c->oom = 1;
        return RIP_ENOMEM;
    }
    c->rows[c->n++] = r;
    return c->max && c->n >= c->max ? STOP_COLLECTING : 0;
}

/* Marks one try, and on the FAIL_LIMIT-th failure adds the timeline entry,
 * in one transaction. A permanent failure counts as the FAIL_LIMIT-th. */
static int record(rip_store *st, const rip_store_notification_row *row,
                  const rip_notify_channel *c, int ok, int permanent, const char *err,
                  int64_t now, rip_notify_stats *s)
{
    uint32_t attempts = row->attempts + 1;
    if (!ok && permanent && attempts < RIP_NOTIFY_FAIL_LIMIT)
        attempts = RIP_NOTIFY_FAIL_LIMIT;
    int rc = rip_store_begin(st);
    if (rc)
        return rc;
    rc = rip_store_mark_notification(st, row->id, ok ? now : 0, attempts, ok ? NULL : err,
                                     now);
    if (!rc && !ok && attempts == RIP_NOTIFY_FAIL_LIMIT && row->incident_id) {
        char text[512];
        char times[48];
        if (permanent)
            snprintf(times, sizeof(times), "was refused (try %u)", row->attempts + 1);
        else
            snprintf(times, sizeof(times), "failed %u times", attempts);
        snprintf(text, sizeof(text),
                 "notification %" PRId64 " to channel '%s'%s%s%s %s: %s; "
                 "riposte keeps trying every hour",
                 row->id, row->channel, c ? " (" : "", c ? rip_notify_kind_name(c->kind) : "",
                 c ? ")" : "", times, err);
        rip_buf det = RIP_BUF_INIT;
        rip_jw w;
        rip_jw_init(&w, &det);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "notification_id");
        rip_jw_i64(&w, row->id);
        rip_jw_key(&w, "run_id");
        if (row->run_id)
            rip_jw_i64(&w, row->run_id);
        else
            rip_jw_null(&w);
        rip_jw_key(&w, "step");
        rip_jw_str(&w, row->step);
        rip_jw_key(&w, "channel");
        rip_jw_str(&w, row->channel);
        rip_jw_key(&w, "attempts");
        rip_jw_u64(&w, row->attempts + 1);
        rip_jw_key(&w, "permanent");
        rip_jw_bool(&w, permanent != 0);
        rip_jw_key(&w, "last_error");
        rip_jw_str(&w, err);
        rip_jw_obj_end(&w);
        rc = rip_jw_finish(&w);
        if (!rc) {
            rip_store_timeline_entry e = { now, "notification_failed", "riposte", text,
                                           det.ptr };
            rc = rip_store_timeline_append(st, row->incident_id, &e, NULL);
            if (!rc)
                s->reported++;
            else if (rc == RIP_ENOTFOUND)
                rc = 0;   /* no such incident: the row still says it all */
        }
        rip_buf_release(&det);
    }
    if (!rc)
        rc = rip_store_commit(st);
    if (rc)
        rip_store_rollback(st);
    return rc;
}

/* An email with what the store knows of the row's incident and run (read
 * under the store lock, sent without it). */
static int send_email(rip_store *st, const rip_notify_channels *ch,
                      const rip_notify_channel *c, const rip_store_notification_row *row,
                      int64_t now, char *err, size_t errcap)
{
    if (!c->email)
        return rip_notify_send(c, row, now, err, errcap);
    rip_store_incident *inc = NULL;
    rip_store_run *run = NULL;
    if (ch->lock)
        ch->lock(ch->lock_ud);
    /* Without them the message still goes, with the row's own text. */
    (void)rip_email_load(st, row, &inc, &run);
    if (ch->unlock)
        ch->unlock(ch->lock_ud);
    rip_email_content m = { row, inc, run };
    int rc = rip_email_notify(c->email, &m, now / 1000000000LL, err, errcap);
    rip_store_incident_free(inc);
    rip_store_run_free(run);
    return rc;
}

int rip_notify_deliver(rip_store *st, const rip_notify_channels *ch, int64_t now_ns,
                       size_t max, rip_notify_stats *out)
{
    rip_arena ar;
    rip_arena_init(&ar, 0);
    rip_notify_stats s = { 0 };
    int64_t now = now_ns ? now_ns : clock_ns();
    collect c = { &ar, NULL, 0, 0, max, now, 0, 0 };
    if (ch->lock)
        ch->lock(ch->lock_ud);
    int rc = rip_store_list_notifications(st, 1, 0, on_row, &c);
    if (ch->unlock)
        ch->unlock(ch->lock_ud);
    if (rc == STOP_COLLECTING)
        rc = 0;
    if (!rc && c.oom)
        rc = RIP_ENOMEM;
    s.deferred = c.deferred;
    for (size_t i = 0; !rc && i < c.n; i++) {
        const rip_store_notification_row *row = &c.rows[i];
        const rip_notify_channel *chan = find_channel(ch, row->channel);
        char err[LAST_ERROR_MAX] = "";
        int sent;
        if (!chan) {
            snprintf(err, sizeof(err), "no channel named '%.64s' is configured", row->channel);
            sent = RIP_ENOTFOUND;
        } else {
            sent = chan->kind == RIP_NOTIFY_EMAIL ? send_email(st, ch, chan, row, now, err,
                                                               sizeof(err))
                                                  : rip_notify_send(chan, row, now, err,
                                                                    sizeof(err));
            if (sent && !*err)
                snprintf(err, sizeof(err), "%s: %s", rip_notify_kind_name(chan->kind),
                         rip_strerror(sent));
        }
        s.tried++;
        if (sent)
            s.failed++;
        else
            s.delivered++;
        if (ch->lock)
            ch->lock(ch->lock_ud);
        /* Email says RIP_EINVAL for a permanent refusal (SMTP 5xx). */
        int permanent = sent == RIP_EINVAL && chan && chan->kind == RIP_NOTIFY_EMAIL;
        rc = record(st, row, chan, !sent, permanent, err, now, &s);
        if (ch->unlock)
            ch->unlock(ch->lock_ud);
    }
    free(c.rows);
    rip_arena_release(&ar);
    if (out)
        *out = s;
    return rc;
}
