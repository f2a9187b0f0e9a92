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

#endif
