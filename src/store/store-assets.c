/* store-assets.c — assets and their relations in the SQLite back end
 * (store.h "assets and their relations").
 *
 * Every call runs on the store's caller-side connection (store-int.h).
 * The SQL is the portable subset docs/SCHEMA.md promises: the upsert is
 * `INSERT ... ON CONFLICT ... DO UPDATE` with `excluded`, optional filters
 * are `(? IS NULL OR col = ?)`, no SQLite-only functions. An asset's
 * relations are replaced as a whole on every put, so a snapshot never
 * leaves a stale edge behind on an asset it saw.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/err.h"

/* Relations read for one asset at most (an instance has a handful). */
#define MAX_RELS 4096

static const char *col_str(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

int rip_store_put_asset(rip_store *st, const rip_store_asset *a, int64_t *id)
{
    sqlite3_stmt *ins = NULL, *sel = NULL, *del = NULL, *rel = NULL;
    int64_t aid = 0;
    int rc;

    if (!a || !a->cloud || !a->account || !a->type || !a->resource_id ||
        (a->nrels && !a->rels))
        return rip_store_sqlite_fail(st, RIP_EINVAL,
                                     "an asset needs a cloud, an account, a type and an id");
    for (size_t i = 0; i < a->nrels; i++)
        if (!a->rels[i].target_type || !a->rels[i].target_id)
            return rip_store_sqlite_fail(st, RIP_EINVAL, "an asset relation needs a type and an id");
    rc = rip_store_sql_prep(st,
        "INSERT INTO assets (cloud, account, region, type, resource_id, arn, name, tags, detail,"
        " updated_ns, last_event_id, last_event_ns)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        " ON CONFLICT (cloud, account, type, resource_id) DO UPDATE SET"
        " region = excluded.region, arn = excluded.arn, name = excluded.name,"
        " tags = excluded.tags, detail = excluded.detail, updated_ns = excluded.updated_ns,"
        " last_event_id = COALESCE(excluded.last_event_id, assets.last_event_id),"
        " last_event_ns = COALESCE(excluded.last_event_ns, assets.last_event_ns)",
        &ins, "storing an asset");
    if (rc)
        goto out;
    rip_store_sql_bind_str(ins, 1, a->cloud);
    rip_store_sql_bind_str(ins, 2, a->account);
    rip_store_sql_bind_str(ins, 3, a->region);
    rip_store_sql_bind_str(ins, 4, a->type);
    rip_store_sql_bind_str(ins, 5, a->resource_id);
    rip_store_sql_bind_str(ins, 6, a->arn);
    rip_store_sql_bind_str(ins, 7, a->name);
    rip_store_sql_bind_str(ins, 8, a->tags);
    rip_store_sql_bind_str(ins, 9, a->detail);
    sqlite3_bind_int64(ins, 10, a->updated_ns ? a->updated_ns : rip_store_sql_now(0));
    rip_store_sql_bind_str(ins, 11, a->last_event_id);
    if (a->last_event_ns)
        sqlite3_bind_int64(ins, 12, a->last_event_ns);
    else
        sqlite3_bind_null(ins, 12);
    if ((rc = rip_store_sql_done(st, ins, "storing an asset")))
        goto out;

    rc = rip_store_sql_prep(st, "SELECT id FROM assets WHERE cloud = ?1 AND account = ?2 AND type = ?3"
                  " AND resource_id = ?4", &sel, "finding an asset");
    if (rc)
        goto out;
    rip_store_sql_bind_str(sel, 1, a->cloud);
    rip_store_sql_bind_str(sel, 2, a->account);
    rip_store_sql_bind_str(sel, 3, a->type);
    rip_store_sql_bind_str(sel, 4, a->resource_id);
    if (sqlite3_step(sel) != SQLITE_ROW) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "finding the asset just stored");
        goto out;
    }
    aid = sqlite3_column_int64(sel, 0);

    rc = rip_store_sql_prep(st, "DELETE FROM asset_relations WHERE asset_id = ?1", &del,
              "replacing an asset's relations");
    if (rc)
        goto out;
    sqlite3_bind_int64(del, 1, aid);
    if ((rc = rip_store_sql_done(st, del, "replacing an asset's relations")))
        goto out;
    if (a->nrels) {
        rc = rip_store_sql_prep(st, "INSERT INTO asset_relations (asset_id, target_type, target_id)"
                      " VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING", &rel,
                  "storing an asset relation");
        if (rc)
            goto out;
        for (size_t i = 0; i < a->nrels && rc == 0; i++) {
            sqlite3_reset(rel);
            sqlite3_bind_int64(rel, 1, aid);
            rip_store_sql_bind_str(rel, 2, a->rels[i].target_type);
            rip_store_sql_bind_str(rel, 3, a->rels[i].target_id);
            rc = rip_store_sql_done(st, rel, "storing an asset relation");
        }
        if (rc)
            goto out;
    }
    if (id)
        *id = aid;
out:
    rip_store_sql_end(st, ins);
    rip_store_sql_end(st, sel);
    rip_store_sql_end(st, del);
    rip_store_sql_end(st, rel);
    return rc;
}

#define PRUNE_SCOPE                                                                   \
    " FROM assets WHERE cloud = ?1 AND type = ?2 AND (?3 IS NULL OR account = ?3)"    \
    " AND (?4 IS NULL OR region = ?4) AND updated_ns < ?5"                            \
    " AND id NOT IN (SELECT asset_id FROM exposures WHERE asset_id IS NOT NULL)"

static void bind_scope(sqlite3_stmt *s, const char *cloud, const char *account,
                       const char *region, const char *type, int64_t before_ns)
{
    rip_store_sql_bind_str(s, 1, cloud);
    rip_store_sql_bind_str(s, 2, type);
    rip_store_sql_bind_str(s, 3, account);
    rip_store_sql_bind_str(s, 4, region);
    sqlite3_bind_int64(s, 5, before_ns);
}

int rip_store_prune_assets(rip_store *st, const char *cloud, const char *account,
                           const char *region, const char *type, int64_t before_ns,
                           uint64_t *removed)
{
    sqlite3_stmt *rels = NULL, *del = NULL;
    int rc;
    if (!cloud || !type)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "pruning assets needs a cloud and a type");
    rc = rip_store_sql_prep(st, "DELETE FROM asset_relations WHERE asset_id IN (SELECT id" PRUNE_SCOPE ")",
              &rels, "pruning asset relations");
    if (rc)
        goto out;
    bind_scope(rels, cloud, account, region, type, before_ns);
    if ((rc = rip_store_sql_done(st, rels, "pruning asset relations")))
        goto out;
    rc = rip_store_sql_prep(st, "DELETE" PRUNE_SCOPE, &del, "pruning assets");
    if (rc)
        goto out;
    bind_scope(del, cloud, account, region, type, before_ns);
    if ((rc = rip_store_sql_done(st, del, "pruning assets")))
        goto out;
    if (removed)
        *removed = (uint64_t)sqlite3_changes(rip_store_sqlite_db(st));
out:
    rip_store_sql_end(st, rels);
    rip_store_sql_end(st, del);
    return rc;
}

/* Reads the relations of asset id into arena-backed storage. */
static int read_rels(rip_store *st, sqlite3_stmt *q, int64_t id, rip_arena *ar,
                     rip_store_asset_rel **out, size_t *n)
{
    size_t cap = 0, len = 0;
    rip_store_asset_rel *v = NULL;
    int r;
    sqlite3_reset(q);
    sqlite3_bind_int64(q, 1, id);
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        if (len == MAX_RELS)
            return rip_store_sqlite_fail(st, RIP_ELIMIT, "reading asset relations");
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            rip_store_asset_rel *nv = rip_arena_alloc(ar, ncap * sizeof(*nv));
            if (!nv)
                return rip_store_sqlite_fail(st, RIP_ENOMEM, "reading asset relations");
            if (len)
                memcpy(nv, v, len * sizeof(*nv));
            v = nv;
            cap = ncap;
        }
        const char *t = col_str(q, 0), *i = col_str(q, 1);
        v[len].target_type = rip_arena_strndup(ar, t ? t : "", t ? strlen(t) : 0);
        v[len].target_id = rip_arena_strndup(ar, i ? i : "", i ? strlen(i) : 0);
        if (!v[len].target_type || !v[len].target_id)
            return rip_store_sqlite_fail(st, RIP_ENOMEM, "reading asset relations");
        len++;
    }
    if (r != SQLITE_DONE) {
        int rc = rip_store_sqlite_map(r);
        return rip_store_sqlite_fail(st, rc ? rc : RIP_EIO, "reading asset relations");
    }
    *out = v;
    *n = len;
    return 0;
}

int rip_store_list_assets(rip_store *st, const rip_store_asset_filter *f,
                          rip_store_asset_fn fn, void *ud)
{
    static const rip_store_asset_filter all = { 0 };
    sqlite3_stmt *q = NULL, *rq = NULL;
    rip_arena ar;
    int rc, r;
    if (!f)
        f = &all;
    rip_arena_init(&ar, 64u << 20);
    rc = rip_store_sql_prep(st,
        "SELECT id, cloud, account, region, type, resource_id, arn, name, tags, detail,"
        " updated_ns, last_event_id, last_event_ns FROM assets WHERE (?1 IS NULL OR type = ?1)"
        " AND (?2 IS NULL OR resource_id = ?2) AND (?3 IS NULL OR account = ?3)"
        " AND (?4 IS NULL OR region = ?4)"
        " AND (?5 IS NULL OR id IN (SELECT asset_id FROM asset_relations"
        " WHERE target_type = ?5 AND target_id = ?6))"
        " ORDER BY type, account, region, resource_id", &q, "listing assets");
    if (rc)
        goto out;
    rc = rip_store_sql_prep(st, "SELECT target_type, target_id FROM asset_relations WHERE asset_id = ?1"
                  " ORDER BY target_type, target_id", &rq, "reading asset relations");
    if (rc)
        goto out;
    rip_store_sql_bind_str(q, 1, f->type);
    rip_store_sql_bind_str(q, 2, f->resource_id);
    rip_store_sql_bind_str(q, 3, f->account);
    rip_store_sql_bind_str(q, 4, f->region);
    rip_store_sql_bind_str(q, 5, f->related_type && f->related_id ? f->related_type : NULL);
    rip_store_sql_bind_str(q, 6, f->related_id);
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        rip_store_asset_row row = {
            .id = sqlite3_column_int64(q, 0),
            .cloud = col_str(q, 1), .account = col_str(q, 2), .region = col_str(q, 3),
            .type = col_str(q, 4), .resource_id = col_str(q, 5), .arn = col_str(q, 6),
            .name = col_str(q, 7), .tags = col_str(q, 8), .detail = col_str(q, 9),
            .updated_ns = sqlite3_column_int64(q, 10),
            .last_event_id = col_str(q, 11),
            .last_event_ns = sqlite3_column_int64(q, 12),
        };
        rip_store_asset_rel *rels = NULL;
        rip_arena_reset(&ar);
        if ((rc = read_rels(st, rq, row.id, &ar, &rels, &row.nrels)))
            goto out;
        row.rels = rels;
        if ((rc = fn(ud, &row)) < 0)
            goto out;
        rc = 0;
    }
    if (r != SQLITE_DONE) {
        rc = rip_store_sqlite_map(r);
        rc = rip_store_sqlite_fail(st, rc ? rc : RIP_EIO, "listing assets");
    }
out:
    rip_store_sql_end(st, q);
    rip_store_sql_end(st, rq);
    rip_arena_release(&ar);
    return rc;
}

int rip_store_count_assets(rip_store *st, uint64_t *count)
{
    sqlite3_stmt *q = NULL;
    int rc = rip_store_sql_prep(st, "SELECT COUNT(*) FROM assets", &q, "counting assets");
    if (rc)
        return rc;
    if (sqlite3_step(q) == SQLITE_ROW)
        *count = (uint64_t)sqlite3_column_int64(q, 0);
    else
        rc = rip_store_sqlite_fail(st, RIP_EIO, "counting assets");
    rip_store_sql_end(st, q);
    return rc;
}

int rip_store_delete_asset(rip_store *st, const char *cloud, const char *account,
                           const char *type, const char *resource_id, int *removed)
{
    static const char *const sql[] = {
        "DELETE FROM asset_relations WHERE asset_id IN (SELECT id FROM assets WHERE cloud = ?1"
        " AND account = ?2 AND type = ?3 AND resource_id = ?4)",
        "DELETE FROM asset_relations WHERE target_type = ?3 AND target_id = ?4"
        " AND asset_id IN (SELECT id FROM assets WHERE cloud = ?1 AND account = ?2)",
        "DELETE FROM assets WHERE cloud = ?1 AND account = ?2 AND type = ?3"
        " AND resource_id = ?4",
    };
    int rc = 0, n = 0;
    if (!cloud || !account || !type || !resource_id)
        return rip_store_sqlite_fail(st, RIP_EINVAL,
                                     "deleting an asset needs a cloud, an account, a type and an id");
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++) {
        sqlite3_stmt *s = NULL;
        if ((rc = rip_store_sql_prep(st, sql[i], &s, "deleting an asset")))
            break;
        rip_store_sql_bind_str(s, 1, cloud);
        rip_store_sql_bind_str(s, 2, account);
        rip_store_sql_bind_str(s, 3, type);
        rip_store_sql_bind_str(s, 4, resource_id);
        rc = rip_store_sql_done(st, s, "deleting an asset");
        if (rc == 0 && i == 2)
            n = sqlite3_changes(rip_store_sqlite_db(st));
        rip_store_sql_end(st, s);
    }
    if (rc == 0 && removed)
        *removed = n > 0;
    return rc;
}
