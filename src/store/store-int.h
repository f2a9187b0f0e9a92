/* store-int.h — what the files of the SQLite back end share; private to
 * src/store (nothing outside it includes this).
 *
 * store-sqlite.c owns struct rip_store; the other back-end files
 * (store-incidents.c) reach its caller-side connection and its error
 * message through these two functions only.
 */
#ifndef RIPOSTE_STORE_INT_H
#define RIPOSTE_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/* The store's caller-side connection (migrations, queries, findings and
 * incidents): one thread at a time. Owned by the store. */
sqlite3 *rip_store_sqlite_db(rip_store *st);

/* Records a failure of a caller-side call for rip_store_errmsg(): "what:
 * <SQLite's message>" when the connection has one for this failure, else
 * "what: <rip_strerror(code)>". Returns code. */
int rip_store_sqlite_fail(rip_store *st, int code, const char *what);

/* Fills row from the current row of s, whose columns are the events
 * table's in this order: id, time_ns, cloud, kind, format, provider_id,
 * account, region, actor_type, actor_arn, principal_id, user_name,
 * access_key, session_issuer, mfa, service, action, read_only, error_code,
 * error_message, source_ip, user_agent, detail_type, raw. The slices
 * borrow from s until its next step. */
void rip_store_sqlite_event_row(sqlite3_stmt *s, rip_store_event_row *row);

/* Maps an SQLite result code to 0 or a RIP_E* code. */
int rip_store_sqlite_map(int rc);

/* Small helpers over the caller-side connection (store-sql.c), for the
 * back-end files written after store-incidents.c. Each reports a failure
 * through rip_store_sqlite_fail() with `what` and returns its RIP_E*. */
struct rip_arena;
/* Prepared statements are kept per store, keyed by the SQL text (the
 * callers' string literals, looked up by address and checked by content):
 * rip_store_sql_prep hands out a kept statement when one is free, else
 * prepares one; rip_store_sql_end resets it and gives it back (or
 * finalizes it when it is not kept). Every rip_store_sql_prep is paired
 * with one rip_store_sql_end, never sqlite3_finalize. */
int rip_store_sql_prep(rip_store *st, const char *sql, sqlite3_stmt **s, const char *what);
/* Ends a statement from rip_store_sql_prep (NULL: nothing). */
void rip_store_sql_end(rip_store *st, sqlite3_stmt *s);
/* Finalizes every kept statement; the store calls it before closing. */
void rip_store_sql_cache_free(rip_store *st);
/* The store's statement cache slot (store-sqlite.c owns the pointer). */
struct rip_store_sqlc;
struct rip_store_sqlc **rip_store_sqlite_sqlc(rip_store *st);
/* Steps a statement that returns no row (a row is accepted and ignored). */
int rip_store_sql_done(rip_store *st, sqlite3_stmt *s, const char *what);
int rip_store_sql_exec(rip_store *st, const char *sql, const char *what);
/* Binds v, or NULL when v is NULL (SQLITE_STATIC: v must outlive the step). */
void rip_store_sql_bind_str(sqlite3_stmt *s, int i, const char *v);
/* Column i copied into ar, or NULL when it is NULL; clears *ok when out of
 * memory. */
const char *rip_store_sql_col_dup(struct rip_arena *ar, sqlite3_stmt *s, int i, int *ok);
/* Wall clock in ns since the epoch; t when t is not 0. */
int64_t rip_store_sql_now(int64_t t);

#endif
