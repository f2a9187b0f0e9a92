/* store-runs.c — playbook runs, their steps, approval decisions and the
 * notification outbox in the SQLite back end (store.h "playbook runs").
 *
 * Statements are prepared per call: a run changes state a handful of times.
 * The SQL is the portable subset docs/SCHEMA.md promises.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

#define RUN_COLUMNS                                                                   \
    "r.id, r.incident_id, r.playbook, r.state, r.dry_run, r.started_ns, r.updated_ns," \
    " r.ended_ns, r.context, r.detected_ns"

int rip_store_run_create(rip_store *st, const rip_store_run_new *n, int64_t *id,
                         int *created)
{
    sqlite3_stmt *s = NULL;
    int rc, r;

    if (!n || !n->playbook || !n->state || !n->context || !n->incident_id)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "a run needs an incident, a playbook, "
                                                     "a state and a context");
    for (size_t i = 0; i < n->nsteps; i++)
        if (!n->steps[i].step || !n->steps[i].kind || !n->steps[i].idempotency_key)
            return rip_store_sqlite_fail(st, RIP_EINVAL, "a step needs an id, a kind and "
                                                         "an idempotency key");
    int64_t now = rip_store_sql_now(n->now_ns);
    int own_tx = sqlite3_get_autocommit(rip_store_sqlite_db(st));
    if (own_tx && (rc = rip_store_begin(st)))
        return rc;

    rc = rip_store_sql_prep(st, "SELECT id FROM playbook_runs WHERE incident_id = ?1"
                                " AND playbook = ?2 AND dry_run = ?3", &s, "finding a run");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, n->incident_id);
    rip_store_sql_bind_str(s, 2, n->playbook);
    sqlite3_bind_int(s, 3, n->dry_run ? 1 : 0);
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        *created = 0;
        goto out;
    }
    if (r != SQLITE_DONE) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "finding a run");
        goto out;
    }
    rip_store_sql_end(st, s);
    s = NULL;

    rc = rip_store_sql_prep(st, "INSERT INTO playbook_runs (incident_id, playbook, state,"
                                " dry_run, started_ns, updated_ns, context, detected_ns)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7)", &s,
                            "starting a run");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, n->incident_id);
    rip_store_sql_bind_str(s, 2, n->playbook);
    rip_store_sql_bind_str(s, 3, n->state);
    sqlite3_bind_int(s, 4, n->dry_run ? 1 : 0);
    sqlite3_bind_int64(s, 5, now);
    rip_store_sql_bind_str(s, 6, n->context);
    if (n->detected_ns)
        sqlite3_bind_int64(s, 7, n->detected_ns);
    else
        sqlite3_bind_null(s, 7);
    rc = rip_store_sql_done(st, s, "starting a run");
    if (rc)
        goto out;
    int64_t run = sqlite3_last_insert_rowid(rip_store_sqlite_db(st));
    rip_store_sql_end(st, s);
    s = NULL;

    rc = rip_store_sql_prep(st, "INSERT INTO run_steps (run_id, step, position, kind, action,"
                                " state, idempotency_key, updated_ns)"
                                " VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)", &s,
                            "adding a run's steps");
    if (rc)
        goto out;
    for (size_t i = 0; i < n->nsteps; i++) {
        const rip_store_step_new *sn = &n->steps[i];
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, run);
        rip_store_sql_bind_str(s, 2, sn->step);
        sqlite3_bind_int(s, 3, (int)i);
        rip_store_sql_bind_str(s, 4, sn->kind);
        rip_store_sql_bind_str(s, 5, sn->action);
        rip_store_sql_bind_str(s, 6, sn->idempotency_key);
        sqlite3_bind_int64(s, 7, now);
        rc = rip_store_sql_done(st, s, "adding a run's steps");
        if (rc)
            goto out;
    }
    *id = run;
    *created = 1;
out:
    rip_store_sql_end(st, s);
    if (own_tx) {
        if (rc)
            rip_store_rollback(st);
        else
            rc = rip_store_commit(st);
    }
    return rc;
}

void rip_store_run_free(rip_store_run *run)
{
    if (!run)
        return;
    if (run->arena) {
        rip_arena_release(run->arena);
        free(run->arena);
    }
    free(run->steps);
    free(run);
}

static int64_t col_i64(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

int rip_store_run_get(rip_store *st, int64_t id, rip_store_run **out)
{
    sqlite3_stmt *s = NULL;
    rip_store_run *run = calloc(1, sizeof(*run));
    int rc, r, ok = 1;

    if (!run || !(run->arena = malloc(sizeof(*run->arena)))) {
        free(run);
        return rip_store_sqlite_fail(st, RIP_ENOMEM, "loading a run");
    }
    rip_arena_init(run->arena, 0);
    rip_arena *ar = run->arena;
    int own_tx = sqlite3_get_autocommit(rip_store_sqlite_db(st));
    if (own_tx && (rc = rip_store_sql_exec(st, "BEGIN", "loading a run")))
        goto out;

    rc = rip_store_sql_prep(st, "SELECT " RUN_COLUMNS " FROM playbook_runs r WHERE r.id = ?1",
                            &s, "loading a run");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        char what[64];
        snprintf(what, sizeof(what), "run %" PRId64, id);
        rc = rip_store_sqlite_fail(st, r == SQLITE_DONE ? RIP_ENOTFOUND : RIP_EIO, what);
        goto out;
    }
    run->id = sqlite3_column_int64(s, 0);
    run->incident_id = col_i64(s, 1);
    run->playbook = rip_store_sql_col_dup(ar, s, 2, &ok);
    run->state = rip_store_sql_col_dup(ar, s, 3, &ok);
    run->dry_run = sqlite3_column_int(s, 4);
    run->started_ns = col_i64(s, 5);
    run->updated_ns = col_i64(s, 6);
    run->ended_ns = col_i64(s, 7);
    run->context = rip_store_sql_col_dup(ar, s, 8, &ok);
    run->detected_ns = col_i64(s, 9);
    rip_store_sql_end(st, s);
    s = NULL;

    rc = rip_store_sql_prep(st, "SELECT step, kind, action, state, position, attempts,"
                                " idempotency_key, intent, result, not_before_ns, deadline_ns,"
                                " approved, decided_by, reason, decided_ns, started_ns,"
                                " ended_ns, updated_ns FROM run_steps WHERE run_id = ?1"
                                " ORDER BY position", &s, "loading a run's steps");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    size_t cap = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (run->nsteps == cap) {
            size_t nc = cap ? cap * 2 : 16;
            rip_store_step_row *ns = realloc(run->steps, nc * sizeof(*ns));
            if (!ns) {
                ok = 0;
                break;
            }
            run->steps = ns;
            cap = nc;
        }
        rip_store_step_row *sr = &run->steps[run->nsteps++];
        memset(sr, 0, sizeof(*sr));
        sr->step = rip_store_sql_col_dup(ar, s, 0, &ok);
        sr->kind = rip_store_sql_col_dup(ar, s, 1, &ok);
        sr->action = rip_store_sql_col_dup(ar, s, 2, &ok);
        sr->state = rip_store_sql_col_dup(ar, s, 3, &ok);
        sr->position = sqlite3_column_int(s, 4);
        sr->attempts = (uint32_t)sqlite3_column_int(s, 5);
        sr->idempotency_key = rip_store_sql_col_dup(ar, s, 6, &ok);
        sr->intent = rip_store_sql_col_dup(ar, s, 7, &ok);
        sr->result = rip_store_sql_col_dup(ar, s, 8, &ok);
        sr->not_before_ns = col_i64(s, 9);
        sr->deadline_ns = col_i64(s, 10);
        sr->approved = sqlite3_column_int(s, 11);
        sr->decided_by = rip_store_sql_col_dup(ar, s, 12, &ok);
        sr->reason = rip_store_sql_col_dup(ar, s, 13, &ok);
        sr->decided_ns = col_i64(s, 14);
        sr->started_ns = col_i64(s, 15);
        sr->ended_ns = col_i64(s, 16);
        sr->updated_ns = col_i64(s, 17);
    }
    if (ok && r != SQLITE_DONE)
        rc = rip_store_sqlite_fail(st, RIP_EIO, "loading a run's steps");
    else if (!ok)
        rc = rip_store_sqlite_fail(st, RIP_ENOMEM, "loading a run");
out:
    rip_store_sql_end(st, s);
    if (own_tx)
        sqlite3_exec(rip_store_sqlite_db(st), "COMMIT", NULL, NULL, NULL);
    if (rc) {
        rip_store_run_free(run);
        return rc;
    }
    *out = run;
    return 0;
}

int rip_store_run_set_state(rip_store *st, int64_t id, const char *state,
                            int64_t ended_ns, int64_t now_ns)
{
    sqlite3_stmt *s = NULL;
    if (!state)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "a run's state is required");
    int rc = rip_store_sql_prep(st, "UPDATE playbook_runs SET state = ?2, updated_ns = ?3,"
                                    " ended_ns = COALESCE(?4, ended_ns) WHERE id = ?1", &s,
                                "changing a run's state");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rip_store_sql_bind_str(s, 2, state);
    sqlite3_bind_int64(s, 3, rip_store_sql_now(now_ns));
    if (ended_ns)
        sqlite3_bind_int64(s, 4, ended_ns);
    else
        sqlite3_bind_null(s, 4);
    rc = rip_store_sql_done(st, s, "changing a run's state");
    if (!rc && sqlite3_changes(rip_store_sqlite_db(st)) == 0)
        rc = rip_store_sqlite_fail(st, RIP_ENOTFOUND, "changing a run's state: no such run");
    rip_store_sql_end(st, s);
    return rc;
}

void rip_store_step_set_init(rip_store_step_set *s, const char *state)
{
    memset(s, 0, sizeof(*s));
    s->state = state;
    s->attempts = -1;
    s->not_before_ns = s->deadline_ns = s->started_ns = s->ended_ns = -1;
    s->approved = -1;
    s->decided_ns = -1;
}

static void bind_keep(sqlite3_stmt *s, int i, int64_t v)
{
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int64(s, i, v);
}

int rip_store_step_update(rip_store *st, int64_t run, const char *step,
                          const rip_store_step_set *u)
{
    sqlite3_stmt *s = NULL;
    if (!u || !u->state || !step)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "a step change needs a step and a state");
    int rc = rip_store_sql_prep(
        st,
        "UPDATE run_steps SET state = ?3, updated_ns = ?4,"
        " attempts = COALESCE(?5, attempts), intent = COALESCE(?6, intent),"
        " result = COALESCE(?7, result), not_before_ns = COALESCE(?8, not_before_ns),"
        " deadline_ns = COALESCE(?9, deadline_ns), started_ns = COALESCE(?10, started_ns),"
        " ended_ns = COALESCE(?11, ended_ns), approved = COALESCE(?12, approved),"
        " decided_by = COALESCE(?13, decided_by), reason = COALESCE(?14, reason),"
        " decided_ns = COALESCE(?15, decided_ns)"
        " WHERE run_id = ?1 AND step = ?2 AND (?16 IS NULL OR state = ?16)",
        &s, "changing a step");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, run);
    rip_store_sql_bind_str(s, 2, step);
    rip_store_sql_bind_str(s, 3, u->state);
    sqlite3_bind_int64(s, 4, rip_store_sql_now(u->now_ns));
    bind_keep(s, 5, u->attempts);
    rip_store_sql_bind_str(s, 6, u->intent);
    rip_store_sql_bind_str(s, 7, u->result);
    bind_keep(s, 8, u->not_before_ns);
    bind_keep(s, 9, u->deadline_ns);
    bind_keep(s, 10, u->started_ns);
    bind_keep(s, 11, u->ended_ns);
    bind_keep(s, 12, u->approved);
    rip_store_sql_bind_str(s, 13, u->decided_by);
    rip_store_sql_bind_str(s, 14, u->reason);
    bind_keep(s, 15, u->decided_ns);
    rip_store_sql_bind_str(s, 16, u->expect);
    rc = rip_store_sql_done(st, s, "changing a step");
    if (!rc && sqlite3_changes(rip_store_sqlite_db(st)) == 0) {
        char what[160];
        snprintf(what, sizeof(what), "run %" PRId64 " step '%.64s'%s%.32s", run, step,
                 u->expect ? ": not in state " : ": no such step", u->expect ? u->expect : "");
        rc = rip_store_sqlite_fail(st, u->expect ? RIP_ERANGE : RIP_ENOTFOUND, what);
    }
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_list_runs(rip_store *st, const rip_store_run_filter *f,
                        rip_store_run_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    /* Only the predicates asked for, so that an incident's runs are read
     * through playbook_runs_once (incident_id first), not by a scan: the
     * daemon asks for them on every incident it touches. */
    char sql[1024];
    int64_t inc = f ? f->incident_id : 0;
    int open = f ? f->open_only : 0, dry = f ? f->dry_run : -1;
    snprintf(sql, sizeof(sql),
             "SELECT r.id, r.incident_id, r.playbook, r.state, r.dry_run, r.started_ns,"
             " r.updated_ns, r.ended_ns,"
             " (SELECT COUNT(*) FROM run_steps x WHERE x.run_id = r.id),"
             " (SELECT COUNT(*) FROM run_steps x WHERE x.run_id = r.id AND x.state IN"
             "  ('succeeded', 'failed', 'skipped', 'cancelled', 'timed_out'))"
             " FROM playbook_runs r WHERE 1 = 1%s%s%s ORDER BY r.id",
             inc ? " AND r.incident_id = ?1" : "", open ? " AND r.ended_ns IS NULL" : "",
             dry >= 0 ? " AND r.dry_run = ?3" : "");
    int rc = rip_store_sql_prep(st, sql, &s, "listing runs");
    if (rc)
        return rc;
    if (inc)
        sqlite3_bind_int64(s, 1, inc);
    if (dry >= 0)
        sqlite3_bind_int(s, 3, dry);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rip_store_run_row row = {
            .id = sqlite3_column_int64(s, 0),
            .incident_id = col_i64(s, 1),
            .playbook = (const char *)sqlite3_column_text(s, 2),
            .state = (const char *)sqlite3_column_text(s, 3),
            .dry_run = sqlite3_column_int(s, 4),
            .started_ns = col_i64(s, 5),
            .updated_ns = col_i64(s, 6),
            .ended_ns = col_i64(s, 7),
            .nsteps = (uint32_t)sqlite3_column_int(s, 8),
            .nended = (uint32_t)sqlite3_column_int(s, 9),
        };
        rc = fn(ud, &row);
        if (rc)
            break;
    }
    if (!rc && r != SQLITE_DONE)
        rc = rip_store_sqlite_fail(st, RIP_EIO, "listing runs");
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_put_decision(rip_store *st, const rip_store_decision *d)
{
    sqlite3_stmt *s = NULL;
    if (!d || !d->step || !d->state || !d->decided_by)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "a decision needs a step, a state and "
                                                     "who decided");
    int rc = rip_store_sql_prep(st, "INSERT INTO approvals (run_id, step, state, requested_ns,"
                                    " decided_ns, decided_by, channel, reason)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s,
                                "recording a decision");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, d->run_id);
    rip_store_sql_bind_str(s, 2, d->step);
    rip_store_sql_bind_str(s, 3, d->state);
    sqlite3_bind_int64(s, 4, d->requested_ns);
    sqlite3_bind_int64(s, 5, rip_store_sql_now(d->decided_ns));
    rip_store_sql_bind_str(s, 6, d->decided_by);
    rip_store_sql_bind_str(s, 7, d->channel);
    rip_store_sql_bind_str(s, 8, d->reason);
    rc = rip_store_sql_done(st, s, "recording a decision");
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_put_notification(rip_store *st, const rip_store_notification *n,
                               int64_t *id)
{
    sqlite3_stmt *s = NULL;
    if (!n || !n->channel || !n->severity || !n->message)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "a notification needs a channel, a "
                                                     "severity and a message");
    int rc = rip_store_sql_prep(st, "INSERT INTO notifications (incident_id, run_id, step,"
                                    " channel, severity, message, created_ns)"
                                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &s,
                                "queueing a notification");
    if (rc)
        return rc;
    bind_keep(s, 1, n->incident_id ? n->incident_id : -1);
    bind_keep(s, 2, n->run_id ? n->run_id : -1);
    rip_store_sql_bind_str(s, 3, n->step);
    rip_store_sql_bind_str(s, 4, n->channel);
    rip_store_sql_bind_str(s, 5, n->severity);
    rip_store_sql_bind_str(s, 6, n->message);
    sqlite3_bind_int64(s, 7, rip_store_sql_now(n->now_ns));
    rc = rip_store_sql_done(st, s, "queueing a notification");
    if (!rc && id)
        *id = sqlite3_last_insert_rowid(rip_store_sqlite_db(st));
    rip_store_sql_end(st, s);
    return rc;
}
