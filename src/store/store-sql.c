/* store-sql.c — the small SQLite helpers the newer back-end files share
 * (store-int.h): prepare, step, exec, bind and copy a column, each failure
 * reported through rip_store_sqlite_fail(). */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-int.h"
#include "util/arena.h"
#include "util/err.h"

/* The kept statements. Parsing and planning a statement costs more than
 * running most of these; the daemon runs the same few hundred for every
 * incident. A slot is busy while a caller holds its statement (a query
 * nested in a loop over the same one gets a statement of its own). */
#define SQLC_CAP 160

typedef struct sqlc_slot {
    const char *key;             /* the caller's SQL pointer; compared, never read */
    sqlite3_stmt *s;
    bool busy;
} sqlc_slot;

struct rip_store_sqlc {
    pthread_mutex_t mu;
    size_t n;
    sqlc_slot v[SQLC_CAP];
};

static struct rip_store_sqlc *sqlc_of(rip_store *st)
{
    struct rip_store_sqlc **p = rip_store_sqlite_sqlc(st);
    if (!*p) {
        struct rip_store_sqlc *c = calloc(1, sizeof(*c));
        if (!c || pthread_mutex_init(&c->mu, NULL)) {
            free(c);
            return NULL;
        }
        *p = c;
    }
    return *p;
}

int rip_store_sql_prep(rip_store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
    struct rip_store_sqlc *c = sqlc_of(st);
    sqlc_slot *same = NULL;
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < c->n; i++) {
            sqlc_slot *e = &c->v[i];
            if (e->key != sql || strcmp(sqlite3_sql(e->s), sql))
                continue;
            if (!e->busy) {
                e->busy = true;
                *s = e->s;
                pthread_mutex_unlock(&c->mu);
                return 0;
            }
            same = e;
        }
        pthread_mutex_unlock(&c->mu);
    }
    int rc = rip_store_sqlite_map(sqlite3_prepare_v2(rip_store_sqlite_db(st), sql, -1, s, NULL));
    if (rc)
        return rip_store_sqlite_fail(st, rc, what);
    if (c && !same) {
        pthread_mutex_lock(&c->mu);
        sqlc_slot *slot = NULL;
        for (size_t i = 0; i < c->n && !slot; i++)
            if (c->v[i].key == sql && !c->v[i].busy)
                slot = &c->v[i];   /* the same buffer, other text: replace */
        if (slot)
            sqlite3_finalize(slot->s);
        else if (c->n < SQLC_CAP)
            slot = &c->v[c->n++];
        if (slot)
            *slot = (sqlc_slot){ .key = sql, .s = *s, .busy = true };
        pthread_mutex_unlock(&c->mu);
    }
    return 0;
}

void rip_store_sql_end(rip_store *st, sqlite3_stmt *s)
{
    if (!s)
        return;
    struct rip_store_sqlc *c = *rip_store_sqlite_sqlc(st);
    if (c) {
        pthread_mutex_lock(&c->mu);
        for (size_t i = 0; i < c->n; i++)
            if (c->v[i].s == s) {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
                c->v[i].busy = false;
                pthread_mutex_unlock(&c->mu);
                return;
            }
        pthread_mutex_unlock(&c->mu);
    }
    sqlite3_finalize(s);
}

void rip_store_sql_cache_free(rip_store *st)
{
    struct rip_store_sqlc **p = rip_store_sqlite_sqlc(st);
    if (!*p)
        return;
    for (size_t i = 0; i < (*p)->n; i++)
        sqlite3_finalize((*p)->v[i].s);
    pthread_mutex_destroy(&(*p)->mu);
    free(*p);
    *p = NULL;
}

int rip_store_sql_done(rip_store *st, sqlite3_stmt *s, const char *what)
{
    int r = sqlite3_step(s);
    if (r == SQLITE_DONE || r == SQLITE_ROW)
        return 0;
    int rc = rip_store_sqlite_map(r);
    return rip_store_sqlite_fail(st, rc ? rc : RIP_EIO, what);
}

int rip_store_sql_exec(rip_store *st, const char *sql, const char *what)
{
    if (!strchr(sql, ';')) {   /* one statement ("BEGIN IMMEDIATE"): a kept one */
        sqlite3_stmt *s;
        int rc = rip_store_sql_prep(st, sql, &s, what);
        if (rc)
            return rc;
        rc = rip_store_sql_done(st, s, what);
        rip_store_sql_end(st, s);
        return rc;
    }
    int rc = rip_store_sqlite_map(sqlite3_exec(rip_store_sqlite_db(st), sql, NULL, NULL, NULL));
    return rc ? rip_store_sqlite_fail(st, rc, what) : 0;
}

void rip_store_sql_bind_str(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

const char *rip_store_sql_col_dup(rip_arena *ar, sqlite3_stmt *s, int i, int *ok)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    if (!t)
        return NULL;
    char *d = rip_arena_strndup(ar, (const char *)t, (size_t)sqlite3_column_bytes(s, i));
    if (!d)
        *ok = 0;
    return d;
}

int64_t rip_store_sql_now(int64_t t)
{
    if (t)
        return t;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}
