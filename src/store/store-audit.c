/* store-audit.c — the hash-chained, append-only audit log (store.h "the
 * audit log").
 *
 * hash(entry) = SHA-256 hex of: prev_hash, then id, time_ns, actor, action,
 * target and detail, each written as "<length>:<bytes>\n" so that no two
 * different entries serialise alike (a NULL target or detail is "-1:\n").
 * The first entry's prev_hash is 64 zeros. audit_head holds the newest
 * (id, hash), written in the same transaction as the entry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

static void add_field(rip_buf *b, const char *v, int *ok)
{
    if (!v) {
        if (rip_buf_add(b, "-1:\n", 4))
            *ok = 0;
        return;
    }
    size_t n = strlen(v);
    if (rip_buf_addf(b, "%zu:", n) || rip_buf_add(b, v, n) || rip_buf_add(b, "\n", 1))
        *ok = 0;
}

/* hex (65 bytes) = the entry's hash. 0 or RIP_ENOMEM / RIP_EIO. */
static int entry_hash(const char *prev, int64_t id, int64_t time_ns, const char *actor,
                      const char *action, const char *target, const char *detail, char *hex)
{
    rip_buf b = RIP_BUF_INIT;
    int ok = 1;
    char num[32];
    add_field(&b, prev, &ok);
    snprintf(num, sizeof(num), "%" PRId64, id);
    add_field(&b, num, &ok);
    snprintf(num, sizeof(num), "%" PRId64, time_ns);
    add_field(&b, num, &ok);
    add_field(&b, actor, &ok);
    add_field(&b, action, &ok);
    add_field(&b, target, &ok);
    add_field(&b, detail, &ok);
    if (!ok) {
        rip_buf_release(&b);
        return RIP_ENOMEM;
    }
    unsigned char md[RIP_SHA256_SIZE];
    rip_sha256(b.ptr, b.len, md);
    rip_buf_release(&b);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int rip_store_audit_append(rip_store *st, const rip_store_audit_new *e, int64_t *id)
{
    sqlite3_stmt *s = NULL;
    int rc, r;
    if (!e || !e->actor || !e->action)
        return rip_store_sqlite_fail(st, RIP_EINVAL, "an audit entry needs an actor and "
                                                     "an action");
    int own_tx = sqlite3_get_autocommit(rip_store_sqlite_db(st));
    if (own_tx && (rc = rip_store_begin(st)))
        return rc;

    char prev[65] = GENESIS;
    int64_t last = 0;
    rc = rip_store_sql_prep(st, "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1", &s,
                            "reading the audit log's head");
    if (rc)
        goto out;
    r = sqlite3_step(s);
    if (r == SQLITE_ROW) {
        last = sqlite3_column_int64(s, 0);
        const unsigned char *h = sqlite3_column_text(s, 1);
        snprintf(prev, sizeof(prev), "%s", h ? (const char *)h : "");
    } else if (r != SQLITE_DONE) {
        rc = rip_store_sqlite_fail(st, RIP_EIO, "reading the audit log's head");
        goto out;
    }
    rip_store_sql_end(st, s);
    s = NULL;

    int64_t nid = last + 1, t = rip_store_sql_now(e->time_ns);
    char hash[65];
    rc = entry_hash(prev, nid, t, e->actor, e->action, e->target, e->detail, hash);
    if (rc) {
        rc = rip_store_sqlite_fail(st, rc, "hashing an audit entry");
        goto out;
    }
    rc = rip_store_sql_prep(st, "INSERT INTO audit_log (id, time_ns, actor, action, target,"
                                " detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                            &s, "appending to the audit log");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, nid);
    sqlite3_bind_int64(s, 2, t);
    rip_store_sql_bind_str(s, 3, e->actor);
    rip_store_sql_bind_str(s, 4, e->action);
    rip_store_sql_bind_str(s, 5, e->target);
    rip_store_sql_bind_str(s, 6, e->detail);
    rip_store_sql_bind_str(s, 7, prev);
    rip_store_sql_bind_str(s, 8, hash);
    rc = rip_store_sql_done(st, s, "appending to the audit log");
    if (rc)
        goto out;
    rip_store_sql_end(st, s);
    s = NULL;
    rc = rip_store_sql_prep(st, "INSERT INTO audit_head (id, last_id, hash) VALUES (1, ?1, ?2)"
                                " ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id,"
                                " hash = excluded.hash", &s, "moving the audit log's head");
    if (rc)
        goto out;
    sqlite3_bind_int64(s, 1, nid);
    rip_store_sql_bind_str(s, 2, hash);
    rc = rip_store_sql_done(st, s, "moving the audit log's head");
    if (!rc && id)
        *id = nid;
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

int rip_store_list_audit(rip_store *st, rip_store_audit_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    int rc = rip_store_sql_prep(st, "SELECT id, time_ns, actor, action, target, detail,"
                                    " prev_hash, hash FROM audit_log ORDER BY id", &s,
                                "reading the audit log");
    if (rc)
        return rc;
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        rip_store_audit_row row = {
            .id = sqlite3_column_int64(s, 0),
            .time_ns = sqlite3_column_int64(s, 1),
            .actor = (const char *)sqlite3_column_text(s, 2),
            .action = (const char *)sqlite3_column_text(s, 3),
            .target = (const char *)sqlite3_column_text(s, 4),
            .detail = (const char *)sqlite3_column_text(s, 5),
            .prev_hash = (const char *)sqlite3_column_text(s, 6),
            .hash = (const char *)sqlite3_column_text(s, 7),
        };
        rc = fn(ud, &row);
        if (rc)
            break;
    }
    if (!rc && r != SQLITE_DONE)
        rc = rip_store_sqlite_fail(st, RIP_EIO, "reading the audit log");
    rip_store_sql_end(st, s);
    return rc;
}

typedef struct verify_ctx {
    rip_store_audit_check *out;
    int64_t expect_id;
    char prev[65];
    int bad;
} verify_ctx;

static int bad(verify_ctx *v, int64_t id, const char *fmt, const char *a)
{
    v->out->bad_id = id;
    snprintf(v->out->problem, sizeof(v->out->problem), fmt, id, a);
    v->bad = 1;
    return 1;   /* stop the walk */
}

static int on_entry(void *ud, const rip_store_audit_row *row)
{
    verify_ctx *v = ud;
    char hash[65];
    if (row->id != v->expect_id) {
        char want[32];
        snprintf(want, sizeof(want), "%" PRId64, v->expect_id);
        return bad(v, row->id, "entry %" PRId64 " follows a gap or is out of order (expected "
                               "entry %s): entries were removed or reordered", want);
    }
    if (!row->prev_hash || strcmp(row->prev_hash, v->prev))
        return bad(v, row->id, "entry %" PRId64 " does not link to the entry before it%s: "
                               "an entry was removed, reordered or edited", "");
    if (entry_hash(row->prev_hash, row->id, row->time_ns, row->actor, row->action,
                   row->target, row->detail, hash))
        return RIP_ENOMEM;
    if (!row->hash || strcmp(row->hash, hash))
        return bad(v, row->id, "entry %" PRId64 " was edited: its hash does not match its "
                               "content%s", "");
    snprintf(v->prev, sizeof(v->prev), "%s", hash);
    v->out->entries++;
    v->expect_id++;
    return 0;
}

int rip_store_audit_verify(rip_store *st, rip_store_audit_check *out)
{
    verify_ctx v = { .out = out, .expect_id = 1 };
    memset(out, 0, sizeof(*out));
    snprintf(v.prev, sizeof(v.prev), "%s", GENESIS);
    int own_tx = sqlite3_get_autocommit(rip_store_sqlite_db(st));
    int rc = own_tx ? rip_store_sql_exec(st, "BEGIN", "verifying the audit log") : 0;
    if (rc)
        return rc;
    rc = rip_store_list_audit(st, on_entry, &v);
    if (rc == 1)
        rc = 0;
    if (!rc && !v.bad) {
        /* The head must name the last entry: removing the newest entries
         * leaves a chain that is valid but shorter than the head says. */
        sqlite3_stmt *s = NULL;
        rc = rip_store_sql_prep(st, "SELECT last_id, hash FROM audit_head WHERE id = 1", &s,
                                "reading the audit log's head");
        if (!rc) {
            int r = sqlite3_step(s);
            int64_t last = v.expect_id - 1;
            if (r == SQLITE_ROW) {
                const unsigned char *h = sqlite3_column_text(s, 1);
                if (sqlite3_column_int64(s, 0) != last || !h ||
                    strcmp((const char *)h, last ? v.prev : "")) {
                    out->bad_id = sqlite3_column_int64(s, 0);
                    snprintf(out->problem, sizeof(out->problem),
                             "the log ends at entry %" PRId64 " but its head names entry %" PRId64
                             ": the newest entries were removed or the head was edited",
                             last, (int64_t)sqlite3_column_int64(s, 0));
                    v.bad = 1;
                }
            } else if (r == SQLITE_DONE) {
                if (last) {
                    out->bad_id = last;
                    snprintf(out->problem, sizeof(out->problem),
                             "the log has %" PRId64 " entries but no head", last);
                    v.bad = 1;
                }
            } else {
                rc = rip_store_sqlite_fail(st, RIP_EIO, "reading the audit log's head");
            }
            rip_store_sql_end(st, s);
        }
    }
    if (own_tx)
        sqlite3_exec(rip_store_sqlite_db(st), "COMMIT", NULL, NULL, NULL);
    if (rc)
        return rc;
    if (v.expect_id > 1 && !v.bad)
        snprintf(out->head, sizeof(out->head), "%s", v.prev);
    return v.bad ? RIP_EINVAL : 0;
}
