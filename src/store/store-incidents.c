/* store-incidents.c — findings and incidents in the SQLite back end
 * (store.h "findings and incidents").
 *
 * Every call runs on the store's caller-side connection (store-int.h), the
 * one queries use; the event writer thread has its own. Statements are
 * prepared per call: findings and incident changes are rare next to events.
 * The SQL is the portable subset docs/SCHEMA.md promises: upserts are
 * `INSERT ... ON CONFLICT ... DO NOTHING / DO UPDATE` with `excluded` and
 * CASE (SQLite 3.24+ and PostgreSQL alike), no SQLite-only functions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

/* Steps a statement that returns no row. */

static int invalid(rip_store *st, const char *what)
{
    return rip_store_sqlite_fail(st, RIP_EINVAL, what);
}

int rip_store_begin(rip_store *st)
{
    /* IMMEDIATE: take the write lock now, so a transaction that reads and
     * then writes never fails half-way on a lock upgrade. */
    return rip_store_sql_exec(st, "BEGIN IMMEDIATE", "starting a transaction");
}

int rip_store_commit(rip_store *st)
{
    return rip_store_sql_exec(st, "COMMIT", "committing");
}

void rip_store_rollback(rip_store *st)
{
    sqlite3 *db = rip_store_sqlite_db(st);
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- findings ---- */

int rip_store_put_finding(rip_store *st, const rip_store_finding *f, int64_t *id, int *created)
{
    sqlite3 *db = rip_store_sqlite_db(st);
    sqlite3_stmt *ins = NULL, *sel = NULL, *link = NULL;
    int64_t fid = 0;
    int is_new = 0, rc;

    if (!f || !f->key || !f->source || !f->title || !f->severity)
        return invalid(st, "a finding needs a key, a source, a title and a severity");
    if (f->nevents && (!f->event_ids || !f->cloud))
        return invalid(st, "a finding's member events need a cloud and provider ids");
    rc = rip_store_sql_prep(st,
        "INSERT INTO findings (finding_key, source, rule_id, title, severity, severity_score,"
        " event_id, time_ns, account, region, explanation, detail, created_ns)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
        " (SELECT id FROM events WHERE cloud = ?7 AND provider_id = ?8),"
        " ?9, ?10, ?11, ?12, ?13, ?14)"
        " ON CONFLICT (finding_key) DO NOTHING", &ins, "storing a finding");
    if (rc)
        goto out;
    rip_store_sql_bind_str(ins, 1, f->key);
    rip_store_sql_bind_str(ins, 2, f->source);
    rip_store_sql_bind_str(ins, 3, f->rule_id);
    rip_store_sql_bind_str(ins, 4, f->title);
    rip_store_sql_bind_str(ins, 5, f->severity);
    if (f->severity_score >= 0)
        sqlite3_bind_double(ins, 6, f->severity_score);
    else
        sqlite3_bind_null(ins, 6);
    rip_store_sql_bind_str(ins, 7, f->nevents ? f->cloud : NULL);
    rip_store_sql_bind_str(ins, 8, f->nevents ? f->event_ids[0] : NULL);
    sqlite3_bind_int64(ins, 9, f->time_ns);
    rip_store_sql_bind_str(ins, 10, f->account);
    rip_store_sql_bind_str(ins, 11, f->region);
    rip_store_sql_bind_str(ins, 12, f->explanation);
    rip_store_sql_bind_str(ins, 13, f->detail);
    sqlite3_bind_int64(ins, 14, rip_store_sql_now(0));
    rc = rip_store_sql_done(st, ins, "storing a finding");
    if (rc)
        goto out;
    if (sqlite3_changes(db) > 0) {
        fid = sqlite3_last_insert_rowid(db);
        is_new = 1;
    } else {
        rc = rip_store_sql_prep(st, "SELECT id FROM findings WHERE finding_key = ?1", &sel,
                  "reading a finding");
        if (rc)
            goto out;
        rip_store_sql_bind_str(sel, 1, f->key);
        int r = sqlite3_step(sel);
        if (r != SQLITE_ROW) {
            rc = rip_store_sqlite_fail(st, RIP_EIO, "reading a finding");
            goto out;
        }
        fid = sqlite3_column_int64(sel, 0);
    }
    if (is_new && f->nevents) {
        rc = rip_store_sql_prep(st,
            "INSERT INTO finding_events (finding_id, event_id)"
            " SELECT ?1, id FROM events WHERE cloud = ?2 AND provider_id = ?3"
            " ON CONFLICT (finding_id, event_id) DO NOTHING", &link,
            "linking a finding to its events");
        if (rc)
            goto out;
        for (size_t i = 0; i < f->nevents; i++) {
            sqlite3_reset(link);
            sqlite3_bind_int64(link, 1, fid);
            rip_store_sql_bind_str(link, 2, f->cloud);
            rip_store_sql_bind_str(link, 3, f->event_ids[i]);
            rc = rip_store_sql_done(st, link, "linking a finding to its events");
            if (rc)
                goto out;
        }
    }
    *id = fid;
    *created = is_new;
out:
    rip_store_sql_end(st, ins);
    rip_store_sql_end(st, sel);
    rip_store_sql_end(st, link);
    return rc;
}

static int count_rows(rip_store *st, const char *sql, uint64_t *count, const char *what)
{
    sqlite3_stmt *s = NULL;
    int rc = rip_store_sql_prep(st, sql, &s, what);
    if (rc == 0) {
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
            *count = (uint64_t)sqlite3_column_int64(s, 0);
        else
            rc = rip_store_sqlite_fail(st, RIP_EIO, what);
    }
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_count_findings(rip_store *st, uint64_t *count)
{
    return count_rows(st, "SELECT COUNT(*) FROM findings", count, "counting findings");
}

/* ---- incidents ---- */

int rip_store_incident_create(rip_store *st, const rip_store_incident_new *n, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (!n || !n->title || !n->severity)
        return invalid(st, "an incident needs a title and a severity");
    rc = rip_store_sql_prep(st,
        "INSERT INTO incidents (title, severity, status, phase, owner, first_seen_ns,"
        " last_seen_ns, created_ns, updated_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        &s, "creating an incident");
    if (rc)
        return rc;
    rip_store_sql_bind_str(s, 1, n->title);
    rip_store_sql_bind_str(s, 2, n->severity);
    rip_store_sql_bind_str(s, 3, n->status ? n->status : "open");
    rip_store_sql_bind_str(s, 4, n->phase ? n->phase : "detected");
    rip_store_sql_bind_str(s, 5, n->owner);
    sqlite3_bind_int64(s, 6, n->first_seen_ns);
    sqlite3_bind_int64(s, 7, n->last_seen_ns);
    sqlite3_bind_int64(s, 8, rip_store_sql_now(n->now_ns));
    rc = rip_store_sql_done(st, s, "creating an incident");
    if (rc == 0)
        *id = sqlite3_last_insert_rowid(rip_store_sqlite_db(st));
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_incident_update(rip_store *st, int64_t id, const rip_store_incident_set *u)
{
    /* Each column is set to itself unless a value is given: one statement
     * for every combination of changes. */
    static const char sql[] =
        "UPDATE incidents SET"
        " title = COALESCE(?2, title),"
        " severity = COALESCE(?3, severity),"
        " status = COALESCE(?4, status),"
        " phase = COALESCE(?5, phase),"
        " owner = COALESCE(?6, owner),"
        " first_seen_ns = COALESCE(?7, first_seen_ns),"
        " last_seen_ns = COALESCE(?8, last_seen_ns),"
        " merged_into = COALESCE(?9, merged_into),"
        " updated_ns = ?10"
        " WHERE id = ?1";
    sqlite3_stmt *s = NULL;
    int rc;

    if (!u)
        return invalid(st, "no change given");
    rc = rip_store_sql_prep(st, sql, &s, "updating an incident");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    rip_store_sql_bind_str(s, 2, u->title);
    rip_store_sql_bind_str(s, 3, u->severity);
    rip_store_sql_bind_str(s, 4, u->status);
    rip_store_sql_bind_str(s, 5, u->phase);
    rip_store_sql_bind_str(s, 6, u->owner);
    if (u->first_seen_ns)
        sqlite3_bind_int64(s, 7, u->first_seen_ns);
    else
        sqlite3_bind_null(s, 7);
    if (u->last_seen_ns)
        sqlite3_bind_int64(s, 8, u->last_seen_ns);
    else
        sqlite3_bind_null(s, 8);
    if (u->merged_into)
        sqlite3_bind_int64(s, 9, u->merged_into);
    else
        sqlite3_bind_null(s, 9);
    sqlite3_bind_int64(s, 10, rip_store_sql_now(u->now_ns));
    rc = rip_store_sql_done(st, s, "updating an incident");
    if (rc == 0 && sqlite3_changes(rip_store_sqlite_db(st)) == 0) {
        char what[64];
        snprintf(what, sizeof(what), "incident %" PRId64, id);
        rc = rip_store_sqlite_fail(st, RIP_ENOTFOUND, what);
    }
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_incident_add_entity(rip_store *st, int64_t incident, const char *type,
                                  const char *value, int64_t time_ns)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (!type || !value)
        return invalid(st, "an entity needs a type and a value");
    rc = rip_store_sql_prep(st,
        "INSERT INTO incident_entities (incident_id, type, value, first_seen_ns, last_seen_ns)"
        " VALUES (?1, ?2, ?3, ?4, ?4)"
        " ON CONFLICT (incident_id, type, value) DO UPDATE SET"
        " first_seen_ns = CASE WHEN excluded.first_seen_ns < incident_entities.first_seen_ns"
        "   THEN excluded.first_seen_ns ELSE incident_entities.first_seen_ns END,"
        " last_seen_ns = CASE WHEN excluded.last_seen_ns > incident_entities.last_seen_ns"
        "   THEN excluded.last_seen_ns ELSE incident_entities.last_seen_ns END",
        &s, "adding an entity");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, incident);
    rip_store_sql_bind_str(s, 2, type);
    rip_store_sql_bind_str(s, 3, value);
    sqlite3_bind_int64(s, 4, time_ns);
    rc = rip_store_sql_done(st, s, "adding an entity");
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_incident_add_finding(rip_store *st, int64_t incident, int64_t finding,
                                   int64_t now_ns)
{
    sqlite3_stmt *s = NULL;
    int rc = rip_store_sql_prep(st,
        "INSERT INTO incident_findings (incident_id, finding_id, added_ns) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (incident_id, finding_id) DO NOTHING", &s, "adding a finding");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, incident);
    sqlite3_bind_int64(s, 2, finding);
    sqlite3_bind_int64(s, 3, rip_store_sql_now(now_ns));
    rc = rip_store_sql_done(st, s, "adding a finding to an incident");
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_timeline_append(rip_store *st, int64_t incident, const rip_store_timeline_entry *e,
                              int64_t *entry_id)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (!e || !e->kind || !e->text)
        return invalid(st, "a timeline entry needs a kind and a text");
    /* Selecting the incident's row refuses an entry for no incident. */
    rc = rip_store_sql_prep(st,
        "INSERT INTO incident_timeline (incident_id, time_ns, kind, actor, text, detail)"
        " SELECT id, ?2, ?3, ?4, ?5, ?6 FROM incidents WHERE id = ?1",
        &s, "appending to a timeline");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, incident);
    sqlite3_bind_int64(s, 2, rip_store_sql_now(e->time_ns));
    rip_store_sql_bind_str(s, 3, e->kind);
    rip_store_sql_bind_str(s, 4, e->actor);
    rip_store_sql_bind_str(s, 5, e->text);
    rip_store_sql_bind_str(s, 6, e->detail);
    rc = rip_store_sql_done(st, s, "appending to a timeline");
    if (rc == 0 && sqlite3_changes(rip_store_sqlite_db(st)) == 0) {
        char what[64];
        snprintf(what, sizeof(what), "incident %" PRId64, incident);
        rc = rip_store_sqlite_fail(st, RIP_ENOTFOUND, what);
    }
    if (rc == 0 && entry_id)
        *entry_id = sqlite3_last_insert_rowid(rip_store_sqlite_db(st));
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_incidents_with_entity(rip_store *st, const char *type, const char *value,
                                    int64_t from_ns, int64_t until_ns, int64_t *ids,
                                    size_t max, size_t *n)
{
    sqlite3_stmt *s = NULL;
    size_t k = 0;
    int rc;

    if (!type || !value)
        return invalid(st, "an entity needs a type and a value");
    rc = rip_store_sql_prep(st,
        "SELECT i.id FROM incident_entities e JOIN incidents i ON i.id = e.incident_id"
        " WHERE e.type = ?1 AND e.value = ?2"
        " AND i.status NOT IN ('resolved', 'false_positive', 'merged')"
        " AND i.last_seen_ns >= ?3 AND i.first_seen_ns <= ?4"
        " ORDER BY i.id LIMIT ?5", &s, "finding incidents by entity");
    if (rc)
        return rc;
    rip_store_sql_bind_str(s, 1, type);
    rip_store_sql_bind_str(s, 2, value);
    sqlite3_bind_int64(s, 3, from_ns);
    sqlite3_bind_int64(s, 4, until_ns);
    sqlite3_bind_int64(s, 5, (sqlite3_int64)max);
    for (;;) {
        int r = sqlite3_step(s);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = rip_store_sqlite_fail(st, RIP_EIO, "finding incidents by entity");
            goto out;
        }
        if (k < max)
            ids[k++] = sqlite3_column_int64(s, 0);
    }
    *n = k;
out:
    rip_store_sql_end(st, s);
    return rc;
}

/* ---- reading incidents ---- */

#define INCIDENT_COLUMNS                                                              \
    "i.id, i.title, i.severity, i.status, i.phase, i.owner, i.first_seen_ns,"        \
    " i.last_seen_ns, i.created_ns, i.updated_ns, i.merged_into,"                     \
    " (SELECT COUNT(*) FROM incident_findings f WHERE f.incident_id = i.id),"         \
    " (SELECT COUNT(*) FROM incident_entities e WHERE e.incident_id = i.id)"

static const char *col_cstr(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

static void incident_row(sqlite3_stmt *s, rip_store_incident_row *row)
{
    row->id = sqlite3_column_int64(s, 0);
    row->title = col_cstr(s, 1);
    row->severity = col_cstr(s, 2);
    row->status = col_cstr(s, 3);
    row->phase = col_cstr(s, 4);
    row->owner = col_cstr(s, 5);
    row->first_seen_ns = sqlite3_column_int64(s, 6);
    row->last_seen_ns = sqlite3_column_int64(s, 7);
    row->created_ns = sqlite3_column_int64(s, 8);
    row->updated_ns = sqlite3_column_int64(s, 9);
    row->merged_into = sqlite3_column_int64(s, 10);
    row->nfindings = (uint64_t)sqlite3_column_int64(s, 11);
    row->nentities = (uint64_t)sqlite3_column_int64(s, 12);
}

int rip_store_list_incidents(rip_store *st, const rip_store_incident_filter *f,
                             rip_store_incident_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    rip_buf sql = RIP_BUF_INIT;
    int rc, n = 0;

    if (!fn)
        return invalid(st, "no callback");
    rc = rip_buf_adds(&sql, "SELECT " INCIDENT_COLUMNS " FROM incidents i WHERE 1 = 1");
    if (rc == 0 && f && f->id)
        rc = rip_buf_addf(&sql, " AND i.id = ?%d", ++n);
    if (rc == 0 && f && f->status)
        rc = rip_buf_addf(&sql, " AND i.status = ?%d", ++n);
    if (rc == 0)
        rc = rip_buf_adds(&sql, " ORDER BY i.last_seen_ns DESC, i.id DESC");
    if (rc == 0 && f && f->limit)
        rc = rip_buf_addf(&sql, " LIMIT ?%d", ++n);
    if (rc) {
        rc = rip_store_sqlite_fail(st, rc, "building a query");
        goto out;
    }
    rc = rip_store_sql_prep(st, sql.ptr, &s, "listing incidents");
    if (rc)
        goto out;
    n = 0;
    if (f && f->id)
        sqlite3_bind_int64(s, ++n, f->id);
    if (f && f->status)
        rip_store_sql_bind_str(s, ++n, f->status);
    if (f && f->limit)
        sqlite3_bind_int64(s, ++n, f->limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)f->limit);
    for (;;) {
        int r = sqlite3_step(s);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = rip_store_sqlite_fail(st, RIP_EIO, "listing incidents");
            goto out;
        }
        rip_store_incident_row row;
        incident_row(s, &row);
        rc = fn(ud, &row);
        if (rc < 0)
            goto out;
        rc = 0;
    }
out:
    rip_store_sql_end(st, s);
    rip_buf_release(&sql);
    return rc;
}

/* A growable array (malloc'ed while loading, copied into the arena at the
 * end). */
typedef struct vec {
    void *v;
    size_t n, alloc, size;
} vec;

static void *vec_push(vec *a)
{
    if (a->n == a->alloc) {
        size_t na = a->alloc ? a->alloc * 2 : 16;
        void *nv = realloc(a->v, na * a->size);
        if (!nv)
            return NULL;
        a->v = nv;
        a->alloc = na;
    }
    void *p = (char *)a->v + a->n * a->size;
    memset(p, 0, a->size);
    a->n++;
    return p;
}

/* Copies a's elements into the arena; NULL when empty or out of memory
 * (*ok tells which). */
static void *vec_to_arena(rip_arena *ar, const vec *a, int *ok)
{
    if (!a->n)
        return NULL;
    void *p = rip_arena_alloc(ar, a->n * a->size);
    if (!p) {
        *ok = 0;
        return NULL;
    }
    memcpy(p, a->v, a->n * a->size);
    return p;
}

/* A column's text copied into the arena; NULL for SQL NULL. *ok is cleared
 * when memory runs out. */

void rip_store_incident_free(rip_store_incident *inc)
{
    if (!inc)
        return;
    rip_arena_release(inc->arena);
    free(inc->arena);
    free(inc);
}

static int load_events(rip_store *st, rip_arena *ar, rip_store_finding_row *fr, int *ok)
{
    sqlite3_stmt *s = NULL;
    vec ids = { .size = sizeof(const char *) }, rows = { .size = sizeof(int64_t) };
    int rc = rip_store_sql_prep(st,
        "SELECT e.cloud, e.provider_id, e.id FROM finding_events fe"
        " JOIN events e ON e.id = fe.event_id WHERE fe.finding_id = ?1"
        " ORDER BY e.time_ns, e.id", &s, "reading a finding's events");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, fr->id);
    for (;;) {
        int r = sqlite3_step(s);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = rip_store_sqlite_fail(st, RIP_EIO, "reading a finding's events");
            goto out;
        }
        const char **pid = vec_push(&ids);
        int64_t *prow = vec_push(&rows);
        if (!pid || !prow) {
            rc = RIP_ENOMEM;
            goto out;
        }
        if (!fr->cloud)
            fr->cloud = rip_store_sql_col_dup(ar, s, 0, ok);
        *pid = rip_store_sql_col_dup(ar, s, 1, ok);
        *prow = sqlite3_column_int64(s, 2);
    }
    fr->event_ids = vec_to_arena(ar, &ids, ok);
    fr->event_rowids = vec_to_arena(ar, &rows, ok);
    fr->nevents = ids.n;
out:
    free(ids.v);
    free(rows.v);
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_incident_get(rip_store *st, int64_t id, rip_store_incident **out)
{
    sqlite3_stmt *s = NULL;
    rip_store_incident *inc = NULL;
    vec ents = { .size = sizeof(rip_store_entity) };
    vec finds = { .size = sizeof(rip_store_finding_row) };
    vec tl = { .size = sizeof(rip_store_timeline_row) };
    int rc, ok = 1, r;

    inc = calloc(1, sizeof(*inc));
    if (!inc || !(inc->arena = malloc(sizeof(*inc->arena)))) {
        free(inc);
        return rip_store_sqlite_fail(st, RIP_ENOMEM, "loading an incident");
    }
    rip_arena_init(inc->arena, 0);
    rip_arena *ar = inc->arena;

    /* One read transaction, so the parts agree with each other. */
    int own_tx = sqlite3_get_autocommit(rip_store_sqlite_db(st));
    if (own_tx) {
        rc = rip_store_sql_exec(st, "BEGIN", "loading an incident");
        if (rc)
            goto out;
    }

    rc = rip_store_sql_prep(st, "SELECT " INCIDENT_COLUMNS " FROM incidents i WHERE i.id = ?1", &s,
              "loading an incident");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    r = sqlite3_step(s);
    if (r == SQLITE_DONE) {
        char what[64];
        snprintf(what, sizeof(what), "incident %" PRId64, id);
        rc = rip_store_sqlite_fail(st, RIP_ENOTFOUND, what);
        goto out;
    }
    if (r != SQLITE_ROW) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "loading an incident");
        goto out;
    }
    incident_row(s, &inc->row);
    inc->row.title = rip_store_sql_col_dup(ar, s, 1, &ok);
    inc->row.severity = rip_store_sql_col_dup(ar, s, 2, &ok);
    inc->row.status = rip_store_sql_col_dup(ar, s, 3, &ok);
    inc->row.phase = rip_store_sql_col_dup(ar, s, 4, &ok);
    inc->row.owner = rip_store_sql_col_dup(ar, s, 5, &ok);
    rip_store_sql_end(st, s);
    s = NULL;

    rc = rip_store_sql_prep(st, "SELECT type, value, first_seen_ns, last_seen_ns FROM incident_entities"
                  " WHERE incident_id = ?1 ORDER BY type, value", &s, "loading entities");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rip_store_entity *e = vec_push(&ents);
        if (!e) {
            ok = 0;
            break;
        }
        e->type = rip_store_sql_col_dup(ar, s, 0, &ok);
        e->value = rip_store_sql_col_dup(ar, s, 1, &ok);
        e->first_seen_ns = sqlite3_column_int64(s, 2);
        e->last_seen_ns = sqlite3_column_int64(s, 3);
    }
    if (ok && r != SQLITE_DONE) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "loading entities");
        goto out;
    }
    rip_store_sql_end(st, s);
    s = NULL;

    rc = rip_store_sql_prep(st,
        "SELECT f.id, f.finding_key, f.source, f.rule_id, f.title, f.severity,"
        " f.severity_score, f.time_ns, f.account, f.region, f.explanation, f.detail,"
        " m.added_ns FROM incident_findings m JOIN findings f ON f.id = m.finding_id"
        " WHERE m.incident_id = ?1 ORDER BY f.time_ns, f.id", &s, "loading findings");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rip_store_finding_row *f = vec_push(&finds);
        if (!f) {
            ok = 0;
            break;
        }
        f->id = sqlite3_column_int64(s, 0);
        f->key = rip_store_sql_col_dup(ar, s, 1, &ok);
        f->source = rip_store_sql_col_dup(ar, s, 2, &ok);
        f->rule_id = rip_store_sql_col_dup(ar, s, 3, &ok);
        f->title = rip_store_sql_col_dup(ar, s, 4, &ok);
        f->severity = rip_store_sql_col_dup(ar, s, 5, &ok);
        f->severity_score = sqlite3_column_type(s, 6) == SQLITE_NULL
                                ? -1 : sqlite3_column_double(s, 6);
        f->time_ns = sqlite3_column_int64(s, 7);
        f->account = rip_store_sql_col_dup(ar, s, 8, &ok);
        f->region = rip_store_sql_col_dup(ar, s, 9, &ok);
        f->explanation = rip_store_sql_col_dup(ar, s, 10, &ok);
        f->detail = rip_store_sql_col_dup(ar, s, 11, &ok);
        f->added_ns = sqlite3_column_int64(s, 12);
    }
    if (ok && r != SQLITE_DONE) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "loading findings");
        goto out;
    }
    rip_store_sql_end(st, s);
    s = NULL;
    for (size_t i = 0; ok && i < finds.n; i++) {
        rc = load_events(st, ar, (rip_store_finding_row *)finds.v + i, &ok);
        if (rc)
            goto out;
    }

    rc = rip_store_sql_prep(st, "SELECT id, time_ns, kind, actor, text, detail FROM incident_timeline"
                  " WHERE incident_id = ?1 ORDER BY id", &s, "loading the timeline");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, id);
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rip_store_timeline_row *t = vec_push(&tl);
        if (!t) {
            ok = 0;
            break;
        }
        t->id = sqlite3_column_int64(s, 0);
        t->time_ns = sqlite3_column_int64(s, 1);
        t->kind = rip_store_sql_col_dup(ar, s, 2, &ok);
        t->actor = rip_store_sql_col_dup(ar, s, 3, &ok);
        t->text = rip_store_sql_col_dup(ar, s, 4, &ok);
        t->detail = rip_store_sql_col_dup(ar, s, 5, &ok);
    }
    if (ok && r != SQLITE_DONE) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "loading the timeline");
        goto out;
    }

    inc->entities = vec_to_arena(ar, &ents, &ok);
    inc->nentities = ents.n;
    inc->findings = vec_to_arena(ar, &finds, &ok);
    inc->nfindings = finds.n;
    inc->timeline = vec_to_arena(ar, &tl, &ok);
    inc->ntimeline = tl.n;
    if (!ok) {
        rc = rip_store_sqlite_fail(st, RIP_ENOMEM, "loading an incident");
        goto out;
    }
    *out = inc;
    inc = NULL;
out:
    rip_store_sql_end(st, s);
    if (own_tx)
        sqlite3_exec(rip_store_sqlite_db(st), "COMMIT", NULL, NULL, NULL);
    free(ents.v);
    free(finds.v);
    free(tl.v);
    rip_store_incident_free(inc);
    return rc;
}

int rip_store_incident_events(rip_store *st, int64_t incident, int with_raw,
                              rip_store_row_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    int rc;

    if (!fn)
        return invalid(st, "no callback");
    rc = rip_store_sql_prep(st, with_raw
        ? "SELECT e.id, e.time_ns, e.cloud, e.kind, e.format, e.provider_id, e.account,"
          " e.region, e.actor_type, e.actor_arn, e.principal_id, e.user_name, e.access_key,"
          " e.session_issuer, e.mfa, e.service, e.action, e.read_only, e.error_code,"
          " e.error_message, e.source_ip, e.user_agent, e.detail_type,"
          " (SELECT x.raw FROM event_raw x WHERE x.event_id = e.id)"
          " FROM events e WHERE e.id IN (SELECT fe.event_id FROM finding_events fe"
          " JOIN incident_findings m ON m.finding_id = fe.finding_id WHERE m.incident_id = ?1)"
          " ORDER BY e.time_ns, e.id"
        : "SELECT e.id, e.time_ns, e.cloud, e.kind, e.format, e.provider_id, e.account,"
          " e.region, e.actor_type, e.actor_arn, e.principal_id, e.user_name, e.access_key,"
          " e.session_issuer, e.mfa, e.service, e.action, e.read_only, e.error_code,"
          " e.error_message, e.source_ip, e.user_agent, e.detail_type, NULL"
          " FROM events e WHERE e.id IN (SELECT fe.event_id FROM finding_events fe"
          " JOIN incident_findings m ON m.finding_id = fe.finding_id WHERE m.incident_id = ?1)"
          " ORDER BY e.time_ns, e.id",
        &s, "reading an incident's events");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, incident);
    for (;;) {
        int r = sqlite3_step(s);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = rip_store_sqlite_fail(st, RIP_EIO, "reading an incident's events");
            goto out;
        }
        rip_store_event_row row;
        rip_store_sqlite_event_row(s, &row);
        rc = fn(ud, &row);
        if (rc < 0)
            goto out;
        rc = 0;
    }
out:
    rip_store_sql_end(st, s);
    return rc;
}
