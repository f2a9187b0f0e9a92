/* store-notify.c — the notification outbox read and marked by the notify
 * layer, in the SQLite back end (store.h "the notification outbox").
 *
 * Rows are written by store-runs.c (rip_store_put_notification) in the
 * transaction of the step that queues them; here they are only read and
 * marked, never deleted. last_attempt_ns is migration 9.
 */
#include <stdint.h>

#include "store/store-int.h"
#include "store/store.h"
#include "util/err.h"

static int64_t col_i64(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

static const char *col_str(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL
                                                    : (const char *)sqlite3_column_text(s, i);
}

int rip_store_list_notifications(rip_store *st, int pending_only, uint64_t limit,
                                 rip_store_notification_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    int rc = rip_store_sql_prep(st,
        pending_only
            ? "SELECT id, incident_id, run_id, step, channel, severity, message, created_ns,"
              " delivered_ns, last_attempt_ns, attempts, last_error FROM notifications"
              " WHERE delivered_ns IS NULL ORDER BY id LIMIT ?1"
            : "SELECT id, incident_id, run_id, step, channel, severity, message, created_ns,"
              " delivered_ns, last_attempt_ns, attempts, last_error FROM notifications"
              " ORDER BY id LIMIT ?1",
        &s, "reading the notification outbox");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, limit && limit < INT64_MAX ? (int64_t)limit : -1);
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t attempts = sqlite3_column_int64(s, 10);
        rip_store_notification_row row = {
            .id = sqlite3_column_int64(s, 0),
            .incident_id = col_i64(s, 1),
            .run_id = col_i64(s, 2),
            .step = col_str(s, 3),
            .channel = col_str(s, 4),
            .severity = col_str(s, 5),
            .message = col_str(s, 6),
            .created_ns = col_i64(s, 7),
            .delivered_ns = col_i64(s, 8),
            .last_attempt_ns = col_i64(s, 9),
            .attempts = attempts < 0 ? 0 : attempts > UINT32_MAX ? UINT32_MAX
                                                                 : (uint32_t)attempts,
            .last_error = col_str(s, 11),
        };
        if (!row.channel || !row.severity || !row.message) {
            rc = rip_store_sqlite_fail(st, RIP_ENOMEM, "reading the notification outbox");
            goto out;
        }
        rc = fn(ud, &row);
        if (rc < 0)
            goto out;
        rc = 0;
    }
    if (r != SQLITE_DONE)
        rc = rip_store_sqlite_fail(st, RIP_EIO, "reading the notification outbox");
out:
    rip_store_sql_end(st, s);
    return rc;
}

int rip_store_mark_notification(rip_store *st, int64_t id, int64_t delivered_ns,
                                uint32_t attempts, const char *last_error,
                                int64_t attempt_ns)
{
    sqlite3_stmt *s = NULL;
    int rc = rip_store_sql_prep(st, "UPDATE notifications SET delivered_ns = ?2,"
                                    " attempts = ?3, last_error = ?4, last_attempt_ns = ?5"
                                    " WHERE id = ?1", &s, "marking a notification");
    if (rc)
        return rc;
    sqlite3_bind_int64(s, 1, id);
    if (delivered_ns)
        sqlite3_bind_int64(s, 2, delivered_ns);
    else
        sqlite3_bind_null(s, 2);
    sqlite3_bind_int64(s, 3, attempts);
    rip_store_sql_bind_str(s, 4, last_error);
    sqlite3_bind_int64(s, 5, rip_store_sql_now(attempt_ns));
    rc = rip_store_sql_done(st, s, "marking a notification");
    if (!rc && sqlite3_changes(rip_store_sqlite_db(st)) == 0)
        rc = rip_store_sqlite_fail(st, RIP_ENOTFOUND, "marking a notification");
    rip_store_sql_end(st, s);
    return rc;
}
