/* store-schema.h — the schema's migrations, private to the store back ends.
 *
 * Invariants: migrations[] is ordered by version, versions are 1, 2, 3, ...
 * with no gap, and a released migration is never edited: a change to the
 * schema is a new row. docs/SCHEMA.md describes the result, table by table.
 * The SQL is the SQLite dialect; a PostgreSQL back end will carry its own
 * table with the same versions and the same tables and columns.
 */
#ifndef RIPOSTE_STORE_SCHEMA_H
#define RIPOSTE_STORE_SCHEMA_H

#include <stddef.h>

typedef struct rip_store_migration {
    int version;
    const char *name;          /* recorded in schema_migrations.name */
    const char *sql;           /* one or more statements */
} rip_store_migration;

extern const rip_store_migration rip_store_migrations[];
extern const size_t rip_store_nmigrations;

#endif
