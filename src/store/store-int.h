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

/* Maps an SQLite result code to 0 or a RIP_E* code. */
int rip_store_sqlite_map(int rc);

#endif
