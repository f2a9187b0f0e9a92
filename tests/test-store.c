/* test-store.c — the store: schema and migrations, insert and dedup, group
 * commit acknowledgements, re-ingest, the forensic queries. Checks what the
 * store wrote through a second, plain SQLite connection, not through the
 * store's own reading of it. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "normalize/decode.h"
#include "store/store-schema.h"
#include "store/store.h"
#include "tap.h"
#include "util/err.h"

static char dir[] = "/tmp/riposte-test-store-XXXXXX";

static const char *db_path(const char *name)
{
    static char path[4][512];
    static int n;
    char *p = path[n++ & 3];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

/* ---- independent reads ---- */

static long long sql_int(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    long long v = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    else
        tap_diag("sql_int(%s): %s", sql, db ? sqlite3_errmsg(db) : "no db");
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static int sql_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        tap_diag("sql_exec: %s", sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc;
}

/* True when EXPLAIN QUERY PLAN of sql names index. */
static int plan_uses(const char *path, const char *sql, const char *index)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    char q[1024];
    int found = 0;
    snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK)
        while (sqlite3_step(s) == SQLITE_ROW) {
            const char *d = (const char *)sqlite3_column_text(s, 3);
            if (d && strstr(d, index))
                found = 1;
        }
    sqlite3_finalize(s);
    sqlite3_close(db);
    return found;
}

/* ---- hand-made events ---- */

typedef struct fake {
    rip_json_doc doc;
    char json[1024];
    rip_resource res[2];
    rip_event ev;
} fake;

typedef struct fake_spec {
    const char *id;
    int64_t time_ns;
    const char *key, *arn, *issuer, *ip, *resource_id, *resource_arn;
} fake_spec;

static const rip_event *fake_event(fake *f, const fake_spec *sp)
{
    memset(&f->ev, 0, sizeof(f->ev));
    snprintf(f->json, sizeof(f->json),
             "{\"eventID\":\"%s\",\"eventName\":\"GetObject\",\"note\":\"caf\\u00e9\"}",
             sp->id ? sp->id : "");
    rip_json_doc_init(&f->doc, NULL);
    if (rip_json_parse(&f->doc, f->json, strlen(f->json), NULL) != 0)
        abort();
    rip_event *ev = &f->ev;
    ev->time_ns = sp->time_ns;
    ev->cloud = RIP_CLOUD_AWS;
    ev->kind = RIP_EVENT_API_CALL;
    ev->format = RIP_FORMAT_CLOUDTRAIL;
    ev->id = rip_slice_cstr(sp->id);
    ev->account = RIP_SLICE_LIT("111122223333");
    ev->region = RIP_SLICE_LIT("us-east-1");
    ev->actor.type = RIP_SLICE_LIT("AssumedRole");
    ev->actor.arn = rip_slice_cstr(sp->arn);
    ev->actor.access_key = rip_slice_cstr(sp->key);
    ev->actor.session_issuer = rip_slice_cstr(sp->issuer);
    ev->actor.mfa = -1;
    ev->action.service = RIP_SLICE_LIT("s3.amazonaws.com");
    ev->action.name = RIP_SLICE_LIT("GetObject");
    ev->action.read_only = 1;
    ev->source.ip = rip_slice_cstr(sp->ip);
    ev->source.user_agent = RIP_SLICE_LIT("aws-cli/2.15.0");
    if (sp->resource_id || sp->resource_arn) {
        f->res[0].type = RIP_SLICE_LIT("AWS::S3::Bucket");
        f->res[0].id = rip_slice_cstr(sp->resource_id);
        f->res[0].arn = rip_slice_cstr(sp->resource_arn);
        ev->resources = f->res;
        ev->nresources = 1;
    }
    ev->doc = &f->doc;
    ev->raw = rip_json_root(&f->doc);
    return ev;
}

static void fake_release(fake *f)
{
    rip_json_doc_release(&f->doc);
}

static int put_spec(rip_store *st, const fake_spec *sp, uint64_t *seq)
{
    fake f;
    int rc = rip_store_put_event(st, fake_event(&f, sp), seq);
    fake_release(&f);
    return rc;
}

static rip_store *open_db(const char *path, const rip_store_options *o)
{
    rip_store *st = NULL;
    rip_store_error err;
    int rc = rip_store_open(path, o, &st, &err);
    if (rc)
        tap_diag("open '%s': %s: %s", path, rip_errname(rc), err.msg);
    return st;
}

/* ---- schema ---- */

static void test_schema(void)
{
    const char *path = db_path("schema.db");
    rip_store *st = open_db(path, NULL);
    int version = -1, rc;
    CHECK(st, "schema: a new database opens");
    if (!st)
        return;
    rc = rip_store_schema_version(st, &version);
    CHECK(rc == 0 && version == rip_store_schema_latest(),
          "schema: version %d is the latest (%d)", version, rip_store_schema_latest());
    rip_store_close(st);

    static const char *const tables[] = {
        "events", "event_resources", "findings", "incidents", "incident_entities",
        "incident_findings", "incident_timeline", "playbook_runs", "approvals", "assets",
        "exposures", "audit_log", "schema_migrations",
    };
    int missing = 0;
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 tables[i]);
        if (sql_int(path, sql) != 1) {
            tap_diag("missing table %s", tables[i]);
            missing++;
        }
    }
    CHECK(missing == 0, "schema: every table exists");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN"
                        " ('events_access_key', 'events_actor_arn',"
                        " 'events_session_issuer', 'events_source_ip',"
                        " 'event_resources_resource_id', 'event_resources_arn')") == 6 &&
              sql_int(path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_time'") == 0,
          "schema: the forensic indexes exist, events_time no more (version 10)");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM schema_migrations") ==
              (long long)rip_store_nmigrations,
          "schema: schema_migrations has one row per migration");
    CHECK(sql_int(path, "PRAGMA user_version") == rip_store_schema_latest(),
          "schema: user_version follows the migrations");
    CHECK(sql_int(path, "PRAGMA journal_mode = WAL") >= 0 &&
              sql_int(path, "SELECT COUNT(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'") == 1,
          "schema: the database is in WAL mode");

    /* Opening again applies nothing twice. */
    st = open_db(path, NULL);
    rip_store_close(st);
    CHECK(sql_int(path, "SELECT COUNT(*) FROM schema_migrations") ==
              (long long)rip_store_nmigrations,
          "schema: reopening applies no migration twice");

    /* The append-only timeline refuses updates. */
    CHECK(sql_exec(path, "INSERT INTO incidents (title, severity, created_ns, updated_ns)"
                         " VALUES ('t', 'high', 1, 1);"
                         "INSERT INTO incident_timeline (incident_id, time_ns, kind, text)"
                         " VALUES (1, 1, 'note', 'x')") == SQLITE_OK &&
              sql_exec(path, "UPDATE incident_timeline SET text = 'y'") != SQLITE_OK &&
              sql_exec(path, "DELETE FROM incident_timeline") != SQLITE_OK,
          "schema: incident_timeline is append-only");
}

static void test_migrate_old(void)
{
    const char *path = db_path("old.db");
    char sql[600];
    /* A database at version 1, as an older riposte left it, with two events,
     * one of them naming two resources. */
    int rc = sql_exec(path, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
                            " name TEXT NOT NULL, applied_ns BIGINT NOT NULL)");
    if (rc == SQLITE_OK)
        rc = sql_exec(path, rip_store_migrations[0].sql);
    snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations VALUES (1, '%s', 1);"
                               "INSERT INTO events (cloud, provider_id, kind, format, raw,"
                               " ingested_ns) VALUES ('aws', 'old-1', 'api_call', 'cloudtrail',"
                               " '{}', 1), ('aws', 'old-2', 'api_call', 'cloudtrail',"
                               " '{\"x\":2}', 1);"
                               "INSERT INTO event_resources (event_id, type, resource_id, arn)"
                               " VALUES (2, 'AWS::S3::Bucket', 'b1', 'arn:aws:s3:::b1'),"
                               " (2, 'AWS::S3::Bucket', 'b2', NULL),"
                               " (1, 'X', 'x1', 'arn:aws:x:::y1'), (1, 'X', NULL, 'arn:x')",
             rip_store_migrations[0].name);
    if (rc == SQLITE_OK)
        rc = sql_exec(path, sql);
    CHECK(rc == SQLITE_OK, "migrate: a version 1 database was made");

    rip_store_options ro;
    rip_store_options_init(&ro);
    ro.read_only = 1;
    rip_store *st = NULL;
    rip_store_error err;
    CHECK(rip_store_open(path, &ro, &st, &err) == RIP_EFORMAT && !st,
          "migrate: read-only open of an old schema fails (%s)", err.msg);

    st = open_db(path, NULL);
    int version = 0;
    CHECK(st && rip_store_schema_version(st, &version) == 0 &&
              version == rip_store_schema_latest(),
          "migrate: version 1 is migrated to %d on open", rip_store_schema_latest());
    rip_store_close(st);
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events WHERE provider_id = 'old-1'") == 1 &&
              sql_int(path, "SELECT COUNT(*) FROM incidents") == 0,
          "migrate: old rows are kept, new tables exist");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events e JOIN event_raw x ON x.event_id = e.id"
                        " WHERE e.provider_id = 'old-2' AND x.raw = '{\"x\":2}'") == 1 &&
              sql_int(path, "SELECT COUNT(*) FROM pragma_table_info('events')"
                            " WHERE name IN ('raw', 'envelope')") == 0,
          "migrate: raw records move to event_raw (version 7)");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM event_resources WHERE event_id = 2 AND"
                        " ((position = 0 AND resource_id = 'b1' AND arn = 'arn:aws:s3:::b1') OR"
                        " (position = 1 AND resource_id = 'b2' AND arn IS NULL))") == 2,
          "migrate: event resources keep their order as positions (version 7)");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM event_resources WHERE arn_indexed = 1") == 2 &&
              sql_int(path, "SELECT COUNT(*) FROM event_resources WHERE event_id = 1 AND"
                            " arn_indexed = 1") == 2,
          "migrate: ARNs that do not end in their resource id are marked (version 10)");

    /* A schema newer than this riposte is refused. */
    sql_exec(path, "INSERT INTO schema_migrations VALUES (999, 'future', 1)");
    st = NULL;
    rc = rip_store_open(path, NULL, &st, &err);
    CHECK(rc == RIP_EFORMAT && !st && strstr(err.msg, "newer"),
          "migrate: a newer schema is refused: %s", err.msg);
}

/* ---- writes ---- */

static void test_insert_dedup(void)
{
    const char *path = db_path("dedup.db");
    rip_store *st = open_db(path, NULL);
    uint64_t s1 = 0, s2 = 0, s3 = 0;
    rip_store_stats stats;
    if (!CHECK(st, "dedup: open"))
        return;
    fake_spec a = { "ev-a", 1700000000000000000, "AKIAA", "arn:aws:iam::111122223333:user/a",
                    NULL, "203.0.113.7", "bucket-a", "arn:aws:s3:::bucket-a" };
    fake_spec b = { "ev-b", 1700000001000000000, "AKIAB", "arn:aws:iam::111122223333:user/b",
                    NULL, "203.0.113.8", NULL, NULL };
    int rc = put_spec(st, &a, &s1);
    rc |= put_spec(st, &b, &s2);
    rc |= put_spec(st, &a, &s3);
    CHECK(rc == 0 && s1 == 1 && s2 == 2 && s3 == 3, "dedup: puts return sequence 1, 2, 3");
    CHECK(rip_store_flush(st) == 0 && rip_store_durable_seq(st) == 3,
          "dedup: flush makes all three durable");
    rip_store_get_stats(st, &stats);
    CHECK(stats.stored == 2 && stats.duplicates == 1 && stats.durable == 3 && stats.put == 3,
          "dedup: 2 stored, 1 duplicate (stats %llu/%llu)", (unsigned long long)stats.stored,
          (unsigned long long)stats.duplicates);
    rip_store_close(st);

    CHECK(sql_int(path, "SELECT COUNT(*) FROM events") == 2, "dedup: two rows in events");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM event_resources r JOIN events e ON e.id ="
                        " r.event_id WHERE e.provider_id = 'ev-a' AND r.resource_id ="
                        " 'bucket-a' AND r.arn = 'arn:aws:s3:::bucket-a'") == 1,
          "dedup: the resource row was written once");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events e JOIN event_raw x ON x.event_id = e.id"
                        " WHERE provider_id = 'ev-a' AND"
                        " access_key = 'AKIAA' AND source_ip = '203.0.113.7' AND read_only = 1"
                        " AND mfa IS NULL AND time = '2023-11-14T22:13:20Z' AND"
                        " x.raw LIKE '{\"eventID\":\"ev-a\"%' AND cloud = 'aws' AND"
                        " format = 'cloudtrail' AND kind = 'api_call'") == 1 &&
              sql_int(path, "SELECT COUNT(*) FROM event_raw") == 2,
          "dedup: normalized columns and the raw record are stored");

    /* A second store on the same file adds nothing for the same events. */
    st = open_db(path, NULL);
    put_spec(st, &a, NULL);
    put_spec(st, &b, NULL);
    rip_store_flush(st);
    rip_store_get_stats(st, &stats);
    rip_store_close(st);
    CHECK(stats.stored == 0 && stats.duplicates == 2 &&
              sql_int(path, "SELECT COUNT(*) FROM events") == 2,
          "dedup: re-put through a new store stores nothing new");

    /* Records without a provider id are keyed by their text. */
    st = open_db(path, NULL);
    fake_spec n = { NULL, 1700000002000000000, NULL, NULL, NULL, NULL, NULL, NULL };
    put_spec(st, &n, NULL);
    put_spec(st, &n, NULL);
    rip_store_flush(st);
    rip_store_get_stats(st, &stats);
    rip_store_close(st);
    CHECK(stats.stored == 1 && stats.duplicates == 1 &&
              sql_int(path, "SELECT COUNT(*) FROM events WHERE provider_id LIKE 'sha256:%'") == 1,
          "dedup: an event without id is stored once, keyed by sha256 of its text");
}

typedef struct ack_probe {
    const char *path;
    _Atomic uint64_t last;
    _Atomic long long rows_seen;   /* rows an independent reader saw at ack time */
    _Atomic int calls;
} ack_probe;

static void probe_ack(void *ud, uint64_t durable)
{
    ack_probe *p = ud;
    p->last = durable;
    p->rows_seen = sql_int(p->path, "SELECT COUNT(*) FROM events");
    p->calls++;
}

static uint64_t wait_durable(rip_store *st, uint64_t want, int ms)
{
    for (int i = 0; i < ms; i++) {
        uint64_t d = rip_store_durable_seq(st);
        if (d >= want)
            return d;
        usleep(1000);
    }
    return rip_store_durable_seq(st);
}

static void test_group_commit(void)
{
    const char *path = db_path("group.db");
    ack_probe probe = { .path = path };
    rip_store_options o;
    rip_store_options_init(&o);
    o.batch_events = 1000;
    o.batch_ms = 60000;   /* nothing closes by time during this test */
    o.on_durable = probe_ack;
    o.ud = &probe;
    rip_store *st = open_db(path, &o);
    if (!CHECK(st, "group commit: open"))
        return;
    char id[32];
    uint64_t seq = 0;
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof(id), "gc-%d", i);
        fake_spec sp = { id, 1700000000000000000 + i, "AKIAG", NULL, NULL, NULL, NULL, NULL };
        put_spec(st, &sp, &seq);
    }
    usleep(50000);
    CHECK(seq == 10 && rip_store_durable_seq(st) == 0 && probe.calls == 0,
          "group commit: an open batch is not acknowledged");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events") == 0,
          "group commit: an independent reader sees nothing before the commit");
    CHECK(rip_store_flush(st) == 0 && rip_store_durable_seq(st) == 10,
          "group commit: flush commits and acknowledges up to 10");
    CHECK(probe.calls == 1 && probe.last == 10 && probe.rows_seen == 10,
          "group commit: on_durable(10) ran once, when a reader already saw the 10 rows");
    rip_store_close(st);

    /* A batch closes on size without a flush. */
    o.batch_events = 4;
    probe = (ack_probe){ .path = path };
    st = open_db(path, &o);
    for (int i = 0; i < 6; i++) {
        snprintf(id, sizeof(id), "gs-%d", i);
        fake_spec sp = { id, 1700000000000000000 + i, NULL, NULL, NULL, NULL, NULL, NULL };
        put_spec(st, &sp, &seq);
    }
    uint64_t d = wait_durable(st, 4, 2000);
    usleep(50000);
    CHECK(d == 4 && rip_store_durable_seq(st) == 4 && probe.last == 4 && probe.rows_seen == 14,
          "group commit: a full batch (4) commits on its own; the 2 after it wait (durable %llu)",
          (unsigned long long)d);
    rip_store_close(st);
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events") == 16,
          "group commit: close writes what was pending");

    /* A batch closes on time without a flush. */
    o.batch_events = 4096;
    o.batch_ms = 10;
    probe = (ack_probe){ .path = path };
    st = open_db(path, &o);
    fake_spec sp = { "gt-0", 1700000000000000000, NULL, NULL, NULL, NULL, NULL, NULL };
    put_spec(st, &sp, &seq);
    d = wait_durable(st, 1, 2000);
    for (int i = 0; i < 2000 && probe.calls == 0; i++)
        usleep(1000);
    CHECK(d == 1 && probe.rows_seen == 17, "group commit: a lone event commits after batch_ms");
    rip_store_close(st);
}

/* background_checkpoint: a thread of the store copies the WAL into the
 * database once it passes 16 MiB; nothing is lost or doubled on the way. */
/* Puts count events "<prefix>-<from>"... of one key, principal and IP, one
 * nanosecond apart; stops at the first failure and returns its code. */
static int put_run(rip_store *st, const char *prefix, int from, int count, const char *arn,
                   const char *issuer)
{
    char id[32];
    int rc = 0;
    for (int i = from; i < from + count && rc == 0; i++) {
        snprintf(id, sizeof(id), "%s-%d", prefix, i);
        fake_spec sp = { id, 1700000000000000000 + i, "AKIACK", arn, issuer,
                         "198.51.100.7", NULL, NULL };
        rc = put_spec(st, &sp, NULL);
    }
    return rc;
}

static void test_background_checkpoint(void)
{
    const char *path = db_path("ckpt.db");
    char arn[400], issuer[400];
    memset(arn, 'a', sizeof(arn) - 1);
    arn[sizeof(arn) - 1] = '\0';
    memcpy(arn, "arn:aws:sts::111122223333:assumed-role/r/", 41);
    memcpy(issuer, arn, sizeof(arn));
    issuer[40] = 'i';
    rip_store_options o;
    rip_store_options_init(&o);
    o.batch_events = 2000;
    o.background_checkpoint = 1;
    rip_store *st = open_db(path, &o);
    if (!CHECK(st, "background checkpoint: open"))
        return;
    rip_store_stats stats = { 0 };
    int n = 0, rc = 0;
    /* Each event is about 1.5 KB with its index entries: a few thousand
     * fill 16 MiB of WAL; stop once the thread has run (or at 60000). */
    while (n < 60000 && rc == 0) {
        rc = put_run(st, "ck", n, 2000, arn, issuer);
        n += 2000;
        if (rc == 0)
            rc = rip_store_flush(st);
        for (int w = 0; w < 200; w++) {   /* up to 1 s for the thread */
            rip_store_get_stats(st, &stats);
            if (stats.checkpoints)
                break;
            usleep(5000);
        }
        if (stats.checkpoints)
            break;
    }
    CHECK(rc == 0 && stats.checkpoints >= 1,
          "background checkpoint: the thread checkpointed (%llu times) after %d events",
          (unsigned long long)stats.checkpoints, n);
    /* The caller's connection writes (as the detector and the engine do)
     * and commits while the thread works: its commit goes through the
     * same hook. */
    rip_store_audit_new ae = { 0, "test", "noted", "background checkpoint", NULL };
    CHECK(rip_store_begin(st) == 0 && rip_store_audit_append(st, &ae, NULL) == 0 &&
              rip_store_commit(st) == 0 &&
              sql_int(path, "SELECT COUNT(*) FROM audit_log WHERE target = "
                            "'background checkpoint'") == 1,
          "background checkpoint: a caller's write commits and is seen");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events WHERE provider_id LIKE 'ck-%'") == n,
          "background checkpoint: an independent reader sees all %d events", n);
    CHECK(rip_store_close(st) == 0, "background checkpoint: close");
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events WHERE provider_id LIKE 'ck-%'") == n &&
              sql_int(path, "SELECT COUNT(DISTINCT provider_id) FROM events") == n,
          "background checkpoint: after close, %d events, none twice", n);
    CHECK(sql_int(path, "SELECT COUNT(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'")
              == 1, "background checkpoint: the file passes integrity_check");

    /* Without the option no such thread runs, however long the WAL gets
     * (as many events again as woke the thread above). */
    rip_store_options_init(&o);
    o.batch_events = 2000;
    st = open_db(path, &o);
    if (st) {
        rc = put_run(st, "cp", 0, n, arn, issuer);
        if (rc == 0)
            rc = rip_store_flush(st);
        usleep(100000);
        rip_store_get_stats(st, &stats);
        CHECK(rc == 0 && stats.checkpoints == 0,
              "background checkpoint: off by default (%d more events, %llu thread runs)", n,
              (unsigned long long)stats.checkpoints);
        rip_store_close(st);
    }
}

typedef struct producer {
    rip_store *st;
    int base, n, err;
} producer;

static void *produce(void *arg)
{
    producer *p = arg;
    char id[32];
    for (int i = 0; i < p->n && !p->err; i++) {
        snprintf(id, sizeof(id), "mt-%d", p->base + i);
        fake_spec sp = { id, 1700000000000000000 + i, "AKIAMT", NULL, NULL, "198.51.100.1",
                         NULL, NULL };
        p->err = put_spec(p->st, &sp, NULL);
    }
    return NULL;
}

static void test_threads(void)
{
    const char *path = db_path("threads.db");
    rip_store_options o;
    rip_store_options_init(&o);
    o.batch_events = 256;
    rip_store *st = open_db(path, &o);
    pthread_t t[4];
    producer p[4];
    int err = 0;
    for (int i = 0; i < 4; i++) {
        p[i] = (producer){ st, i * 5000, 5000, 0 };
        pthread_create(&t[i], NULL, produce, &p[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        err |= p[i].err;
    }
    rip_store_stats stats;
    CHECK(err == 0 && rip_store_flush(st) == 0, "threads: 4 producers put 20000 events");
    rip_store_get_stats(st, &stats);
    CHECK(stats.stored == 20000 && rip_store_durable_seq(st) == 20000 && stats.batches >= 20000 / 256,
          "threads: all durable in %llu batches", (unsigned long long)stats.batches);
    rip_store_close(st);
    CHECK(sql_int(path, "SELECT COUNT(DISTINCT provider_id) FROM events") == 20000,
          "threads: 20000 distinct rows");
}

/* ---- re-ingest of the same file through the decoder ---- */

typedef struct decode_ctx {
    rip_store *st;
} decode_ctx;

static int decode_put(void *ud, const rip_event *ev)
{
    decode_ctx *c = ud;
    return rip_store_put_event(c->st, ev, NULL);
}

static void test_reingest(void)
{
    const char *path = db_path("reingest.db");
    rip_buf log = RIP_BUF_INIT;
    for (int i = 0; i < 300; i++)
        rip_buf_addf(&log,
            "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"
            "\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/alice\",\"accountId\":"
            "\"111122223333\",\"accessKeyId\":\"AKIAREINGEST\",\"userName\":\"alice\"},"
            "\"eventTime\":\"2024-05-01T12:%02d:%02dZ\",\"eventSource\":\"s3.amazonaws.com\","
            "\"eventName\":\"ListBuckets\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":"
            "\"192.0.2.10\",\"userAgent\":\"aws-cli/2\",\"requestParameters\":null,"
            "\"responseElements\":null,\"eventID\":\"reingest-%04d\",\"readOnly\":true,"
            "\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}\n",
            i / 60, i % 60, i);
    rip_store_stats stats[2];
    for (int run = 0; run < 2; run++) {
        rip_store *st = open_db(path, NULL);
        decode_ctx c = { st };
        rip_decoder dec;
        rip_decoder_init(&dec, decode_put, NULL, &c, NULL);
        int rc = rip_decode_buffer(&dec, "reingest.jsonl", log.ptr, log.len);
        CHECK(rc == 0 && dec.stats.decoded == 300, "reingest: run %d decoded %llu events", run + 1,
              (unsigned long long)dec.stats.decoded);
        rip_store_flush(st);
        rip_store_get_stats(st, &stats[run]);
        rip_decoder_release(&dec);
        rip_store_close(st);
    }
    CHECK(stats[0].stored == 300 && stats[0].duplicates == 0, "reingest: first run stores 300");
    CHECK(stats[1].stored == 0 && stats[1].duplicates == 300,
          "reingest: second run stores nothing new (%llu stored, %llu duplicates)",
          (unsigned long long)stats[1].stored, (unsigned long long)stats[1].duplicates);
    CHECK(sql_int(path, "SELECT COUNT(*) FROM events WHERE access_key = 'AKIAREINGEST' AND"
                        " user_name = 'alice' AND action = 'ListBuckets'") == 300,
          "reingest: 300 rows with their normalized columns");
    rip_buf_release(&log);
}

/* ---- queries ---- */

typedef struct collect {
    int n;
    char ids[16][32];
    int64_t times[16];
    int raw_ok;
} collect;

static int collect_row(void *ud, const rip_store_event_row *r)
{
    collect *c = ud;
    if (c->n < 16) {
        snprintf(c->ids[c->n], sizeof(c->ids[0]), "%.*s", (int)r->provider_id.len,
                 r->provider_id.ptr);
        c->times[c->n] = r->time_ns;
    }
    if (r->raw.ptr && r->raw.len > 10 && !memcmp(r->raw.ptr, "{\"eventID\"", 10))
        c->raw_ok++;
    c->n++;
    return 0;
}

static int stop_row(void *ud, const rip_store_event_row *r)
{
    (void)r;
    ++*(int *)ud;
    return -42;
}

static collect run_query_q(rip_store *st, const rip_store_query *q)
{
    collect c;
    memset(&c, 0, sizeof(c));
    int rc = rip_store_query_events(st, q, collect_row, &c);
    if (rc) {
        tap_diag("query: %s: %s", rip_errname(rc), rip_store_errmsg(st));
        c.n = -1;
    }
    return c;
}

static collect run_query(rip_store *st, rip_store_key by, const char *value, int64_t since,
                         int64_t until, uint64_t limit)
{
    rip_store_query q = { .by = by, .value = value, .since_ns = since, .until_ns = until,
                          .limit = limit, .with_raw = 1 };
    return run_query_q(st, &q);
}

static void test_queries(void)
{
    const char *path = db_path("query.db");
    rip_store *st = open_db(path, NULL);
    const int64_t t0 = 1714564800000000000;   /* 2024-05-01T12:00:00Z */
    const int64_t s = 1000000000;
    const char *role = "arn:aws:iam::111122223333:role/Admin";
    const char *sess = "arn:aws:sts::111122223333:assumed-role/Admin/mallory";
    /* Put out of time order: the queries must sort. */
    fake_spec specs[] = {
        { "q3", t0 + 3 * s, "AKIAQ1", sess, role, "203.0.113.50", "i-0abc", NULL },
        { "q1", t0 + 1 * s, "AKIAQ1", sess, role, "203.0.113.50", NULL, NULL },
        { "q2", t0 + 2 * s, "AKIAQ1", "arn:aws:iam::111122223333:user/bob", NULL, "198.51.100.9",
          "bucket-x", "arn:aws:s3:::bucket-x" },
        { "q5", t0 + 5 * s, "AKIAQ2", role, NULL, "203.0.113.50", "i-0abc",
          "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc" },
        { "q4", t0 + 4 * s, "AKIAQ2", "arn:aws:iam::111122223333:user/bob", NULL, "198.51.100.9",
          NULL, "arn:aws:s3:::bucket-x" },
        /* An id that is more than the ARN's last part, and one that is not
         * a part of its ARN at all (migration 10: arn_indexed). */
        { "q6", t0 + 6 * s, "AKIAQ9", NULL, NULL, NULL, "logs/2024/a.gz",
          "arn:aws:s3:::bucket-y/logs/2024/a.gz" },
        { "q7", t0 + 7 * s, "AKIAQ9", NULL, NULL, NULL, "sg-1", "arn:aws:ec2:::odd-sg-1" },
    };
    for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
        put_spec(st, &specs[i], NULL);
    rip_store_flush(st);

    collect c = run_query(st, RIP_STORE_BY_ACCESS_KEY, "AKIAQ1", 0, 0, 0);
    CHECK(c.n == 3 && !strcmp(c.ids[0], "q1") && !strcmp(c.ids[1], "q2") &&
              !strcmp(c.ids[2], "q3") && c.raw_ok == 3,
          "query: access key, in time order, with the raw record");
    c = run_query(st, RIP_STORE_BY_ACCESS_KEY, "AKIAQ1", t0 + 2 * s, t0 + 3 * s, 0);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q2"), "query: access key with since/until");
    c = run_query(st, RIP_STORE_BY_PRINCIPAL, sess, 0, 0, 0);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q1") && !strcmp(c.ids[1], "q3"),
          "query: principal ARN of a session");
    c = run_query(st, RIP_STORE_BY_PRINCIPAL, role, 0, 0, 0);
    CHECK(c.n == 3 && !strcmp(c.ids[0], "q1") && !strcmp(c.ids[1], "q3") &&
              !strcmp(c.ids[2], "q5"),
          "query: a role ARN finds its sessions and its own calls");
    c = run_query(st, RIP_STORE_BY_SOURCE_IP, "198.51.100.9", 0, 0, 0);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q2") && !strcmp(c.ids[1], "q4"), "query: source IP");
    c = run_query(st, RIP_STORE_BY_SOURCE_IP, "203.0.113.50", t0 + 2 * s, 0, 0);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q3") && !strcmp(c.ids[1], "q5"),
          "query: source IP since");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "i-0abc", 0, 0, 0);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q3") && !strcmp(c.ids[1], "q5"), "query: resource id");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "arn:aws:s3:::bucket-x", 0, 0, 0);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q2") && !strcmp(c.ids[1], "q4"), "query: resource ARN");
    c = run_query(st, RIP_STORE_BY_RESOURCE,
                  "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc", 0, 0, 0);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q5"), "query: resource ARN ending in its id");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "arn:aws:s3:::bucket-y/logs/2024/a.gz", 0, 0, 0);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q6"), "query: resource ARN ending in a longer id");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "logs/2024/a.gz", 0, 0, 0);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q6"), "query: resource id with slashes");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "arn:aws:ec2:::odd-sg-1", 0, 0, 0);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q7") &&
              sql_int(path, "SELECT COUNT(*) FROM event_resources WHERE arn_indexed = 1") == 2,
          "query: resource ARN that does not end in its id (arn_indexed)");
    c = run_query(st, RIP_STORE_BY_RESOURCE, "a.gz", 0, 0, 0);
    CHECK(c.n == 0, "query: a resource is not found by a part of its id");
    c = run_query(st, RIP_STORE_BY_ACCESS_KEY, "AKIAQ1", 0, 0, 2);
    CHECK(c.n == 2 && !strcmp(c.ids[1], "q2"), "query: limit");
    c = run_query(st, RIP_STORE_BY_ACCESS_KEY, "AKIANONE", 0, 0, 0);
    CHECK(c.n == 0, "query: no match, no rows");

    /* Newest first, a page at a time. */
    rip_store_query pq = { .by = RIP_STORE_BY_ACCESS_KEY, .value = "AKIAQ1", .limit = 2,
                           .newest_first = 1 };
    c = run_query_q(st, &pq);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q3") && !strcmp(c.ids[1], "q2"),
          "query: newest first with a limit is the most recent page");
    pq.after_time_ns = c.times[1];
    pq.after_id = 3;   /* q2 was the third put: events.id 3 */
    c = run_query_q(st, &pq);
    CHECK(c.n == 1 && !strcmp(c.ids[0], "q1"), "query: the next page, newest first");
    pq.newest_first = 0;
    pq.after_time_ns = t0 + 1 * s;
    pq.after_id = 2;   /* q1 */
    c = run_query_q(st, &pq);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q2") && !strcmp(c.ids[1], "q3"),
          "query: the next page, oldest first");
    rip_store_query rq = { .by = RIP_STORE_BY_PRINCIPAL, .value = role, .limit = 2,
                           .newest_first = 1 };
    c = run_query_q(st, &rq);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q5") && !strcmp(c.ids[1], "q3"),
          "query: a role's most recent page merges its calls and its sessions'");
    rq.limit = 0;
    rq.newest_first = 0;
    rq.since_ns = t0 + 2 * s;
    c = run_query_q(st, &rq);
    CHECK(c.n == 2 && !strcmp(c.ids[0], "q3") && !strcmp(c.ids[1], "q5"),
          "query: a role's events since a time");

    int calls = 0;
    rip_store_query q = { .by = RIP_STORE_BY_ACCESS_KEY, .value = "AKIAQ1" };
    CHECK(rip_store_query_events(st, &q, stop_row, &calls) == -42 && calls == 1,
          "query: a callback's negative value stops and is returned");
    q.value = NULL;
    CHECK(rip_store_query_events(st, &q, stop_row, &calls) == RIP_EINVAL,
          "query: no value is RIP_EINVAL");

    uint64_t count = 0;
    CHECK(rip_store_count_events(st, &count) == 0 && count == 7, "query: count_events");
    rip_store_close(st);

    /* The forensic queries are answered from the indexes. */
    CHECK(plan_uses(path, "SELECT * FROM events WHERE access_key = 'x' ORDER BY time_ns, id",
                    "events_access_key"),
          "query: the access key query uses events_access_key");
    CHECK(plan_uses(path, "SELECT * FROM events WHERE (actor_arn = 'x' OR session_issuer = 'x')"
                          " ORDER BY time_ns, id", "events_actor_arn") &&
              plan_uses(path, "SELECT * FROM events WHERE (actor_arn = 'x' OR session_issuer ="
                              " 'x') ORDER BY time_ns, id", "events_session_issuer"),
          "query: the principal query uses events_actor_arn and events_session_issuer");
    CHECK(plan_uses(path, "SELECT * FROM events WHERE actor_arn = 'x'"
                          " ORDER BY time_ns DESC, id DESC LIMIT 5", "events_actor_arn") &&
              !plan_uses(path, "SELECT * FROM events WHERE actor_arn = 'x'"
                               " ORDER BY time_ns DESC, id DESC LIMIT 5", "TEMP B-TREE") &&
              !plan_uses(path, "SELECT * FROM events WHERE session_issuer = 'x'"
                               " AND actor_arn IS NOT 'x' ORDER BY time_ns DESC, id DESC LIMIT 5",
                         "TEMP B-TREE"),
          "query: a principal's most recent page is read in index order, without a sort");
    /* rip_store_query_events()'s form: one UNION ALL ordered on the result,
     * which SQLite runs as a merge of the two index reads. */
    CHECK(!plan_uses(path, "SELECT id AS id, time_ns AS time_ns FROM events WHERE actor_arn = 'x'"
                           " UNION ALL SELECT id AS id, time_ns AS time_ns FROM events WHERE"
                           " session_issuer = 'x' AND actor_arn IS NOT 'x'"
                           " ORDER BY time_ns DESC, id DESC LIMIT 5", "TEMP B-TREE") &&
              plan_uses(path, "SELECT id AS id, time_ns AS time_ns FROM events WHERE"
                              " actor_arn = 'x' UNION ALL SELECT id AS id, time_ns AS time_ns"
                              " FROM events WHERE session_issuer = 'x' AND actor_arn IS NOT 'x'"
                              " ORDER BY time_ns DESC, id DESC LIMIT 5", "MERGE"),
          "query: the principal query merges its two index reads, no sort");
    CHECK(plan_uses(path, "SELECT * FROM events WHERE source_ip = 'x' AND time_ns >= 5"
                          " ORDER BY time_ns, id", "events_source_ip"),
          "query: the source IP query uses events_source_ip");
    /* rip_store_query_events()'s resource form (migration 10): by id, by the
     * parts of an ARN as ids, and the marked ARNs by their partial index. */
    static const char res_sql[] =
        "SELECT * FROM events e WHERE e.id IN (SELECT r.event_id FROM event_resources r"
        " WHERE r.resource_id = 'x' UNION ALL SELECT r.event_id FROM event_resources r"
        " WHERE r.resource_id IN ('a', 'b') AND r.arn = 'x' UNION ALL SELECT r.event_id"
        " FROM event_resources r WHERE r.arn = 'x' AND r.arn_indexed IS NOT NULL)";
    CHECK(plan_uses(path, res_sql, "event_resources_resource_id") &&
              plan_uses(path, res_sql, "event_resources_arn") &&
              !plan_uses(path, res_sql, "SCAN"),
          "query: the resource query uses event_resources_resource_id and _arn, no scan");

    /* Read-only stores answer queries and refuse writes. */
    rip_store_options ro;
    rip_store_options_init(&ro);
    ro.read_only = 1;
    st = open_db(path, &ro);
    c = run_query(st, RIP_STORE_BY_ACCESS_KEY, "AKIAQ2", 0, 0, 0);
    CHECK(st && c.n == 2, "query: a read-only store answers");
    CHECK(put_spec(st, &specs[0], NULL) == RIP_EINVAL, "query: a read-only store refuses puts");
    rip_store_close(st);
}

static void test_open_errors(void)
{
    rip_store *st = NULL;
    rip_store_error err;
    int rc = rip_store_open("/nonexistent-dir/x/riposte.db", NULL, &st, &err);
    CHECK(rc == RIP_EIO && !st && err.msg[0], "open: a bad path fails with a reason: %s", err.msg);
    const char *path = db_path("notadb.db");
    FILE *f = fopen(path, "w");
    if (f) {
        fputs("this is not an SQLite database, just text long enough to look like a header....."
              "..................................................................................",
              f);
        fclose(f);
    }
    rc = rip_store_open(path, NULL, &st, &err);
    CHECK(rc == RIP_EFORMAT && !st, "open: a file that is not a database is RIP_EFORMAT: %s",
          err.msg);
    CHECK(rip_store_close(NULL) == 0, "close: accepts NULL");
    setenv("RIPOSTE_DB", "/tmp/env.db", 1);
    CHECK(!strcmp(rip_store_path("x.db"), "x.db") && !strcmp(rip_store_path(NULL), "/tmp/env.db"),
          "path: --db wins over RIPOSTE_DB");
    unsetenv("RIPOSTE_DB");
    CHECK(!strcmp(rip_store_path(NULL), "riposte.db"), "path: riposte.db by default");
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_schema();
    test_migrate_old();
    test_insert_dedup();
    test_group_commit();
    test_background_checkpoint();
    test_threads();
    test_reingest();
    test_queries();
    test_open_errors();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
