/* store-sql.c — the small SQLite helpers the newer back-end files share
 * (store-int.h): prepare, step, exec, bind and copy a column, each failure
 * reported through rip_store_sqlite_fail(). */
#include <time.h>

#include "store/store-int.h"
#include "util/arena.h"
#include "util/err.h"

int rip_store_sql_prep(rip_store *st, const char *sql, sqlite3_stmt **s, const char *what)
{
    int rc = rip_store_sqlite_map(sqlite3_prepare_v2(rip_store_sqlite_db(st), sql, -1, s, NULL));
    return rc ? rip_store_sqlite_fail(st, rc, what) : 0;
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
