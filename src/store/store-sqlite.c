/* store-sqlite.c — the SQLite back end of store.h.
 *
 * Two connections per store: rdb (the caller's: migrations, queries) and
 * wdb (the writer thread's: every event write). WAL lets queries read
 * committed batches while the writer appends the next one.
 *
 * Group commit: producers append compact copies of their events ("records",
 * below) to the fill batch under st->mu. The writer thread waits until the
 * fill batch is full, old (batch_ms) or flushed, swaps it with the drained
 * one, writes it in one transaction (BEGIN IMMEDIATE ... COMMIT) through
 * prepared statements it reuses, and only then publishes durable_seq and
 * calls on_durable. At most two batches exist: the one being written and
 * the one filling; a producer that finds the filling one full waits.
 *
 * A write error is sticky: the failed batch is rolled back, never reported
 * durable, and every later put or flush returns the error.
 */
#include "store/store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store-int.h"
#include "store/store-schema.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/timeutil.h"

/* ---- records: an event copied out of its borrowed document ---- */

enum rec_field {
    RF_ID, RF_ACCOUNT, RF_REGION,
    RF_ACTOR_TYPE, RF_ACTOR_ARN, RF_PRINCIPAL_ID, RF_USER, RF_ACCESS_KEY, RF_SESSION_ISSUER,
    RF_SERVICE, RF_ACTION, RF_ERROR_CODE, RF_ERROR_MESSAGE,
    RF_SOURCE_IP, RF_USER_AGENT, RF_DETAIL_TYPE,
    RF_FINDING_TYPE, RF_FINDING_SEVERITY_LABEL, RF_FINDING_TITLE,
    RF_RAW, RF_ENVELOPE,
    RF__COUNT
};

#define SPAN_ABSENT UINT32_MAX

#ifndef RIP_STORE_PAGE_SIZE
#define RIP_STORE_PAGE_SIZE 16384
#endif

/* Batch caps and caches (docs/SCHEMA.md "Durability"). Measured with
 * bench/ingest.sh on 1M events: every commit rewrites each index page its
 * events touched (nearly all leaf pages of the per-key indexes once the
 * database is large), and every checkpoint copies them once more, so
 * fewer, bigger commits and rarer checkpoints cut the bytes written per
 * event by almost half; a page cache that holds the indexes stops them
 * being read back from the file for every batch. */
#define DEFAULT_BATCH_EVENTS 131072
#define DEFAULT_BATCH_BYTES ((size_t)256 << 20)
#define DEFAULT_CACHE_MIB 512
#define READER_CACHE_MIB_MAX 128       /* the caller's connection */
#define WAL_AUTOCHECKPOINT_PAGES 65536 /* 1 GiB of 16 KiB pages */
#define WAL_SIZE_LIMIT ((int64_t)64 << 20)  /* what the WAL shrinks back to */
#define MMAP_SIZE ((int64_t)2 << 30)   /* SQLite's usual ceiling is just below */
/* With background_checkpoint: the checkpoint thread is woken once the WAL
 * holds this many frames (16 MiB of 16 KiB pages, SQLite's own default of
 * 1000 frames rounded). */
#define BG_CHECKPOINT_FRAMES 1024

typedef struct rec_span {
    uint32_t off;          /* from the record's start; SPAN_ABSENT: no value */
    uint32_t len;
} rec_span;

/* A record in a batch buffer: this header, then nres * 3 spans (type, id,
 * arn of each resource), then the bytes the spans point at; padded to 8. */
typedef struct rec_head {
    uint32_t size;
    uint32_t nres;
    int64_t time_ns;
    double severity;
    uint8_t cloud, kind, format;
    int8_t mfa, read_only, is_finding;
    rec_span f[RF__COUNT];
} rec_head;

typedef struct batch {
    rip_buf buf;           /* records back to back */
    uint32_t count;
    uint64_t first_seq, last_seq;
    struct timespec opened; /* CLOCK_MONOTONIC of the first record */
} batch;

struct rip_store {
    char *path;
    rip_store_options opt;
    sqlite3 *rdb;
    sqlite3 *wdb;
    sqlite3_stmt *ins_event, *ins_raw, *ins_resource;   /* wdb's, writer thread only */
    struct rip_store_sqlc *sqlc;   /* rdb's kept statements (store-sql.c) */
    char qmsg[512];        /* last failure of a caller-side call */
    const char *last;      /* qmsg or wmsg: what rip_store_errmsg() shows */

    pthread_mutex_t mu;    /* guards everything below */
    pthread_cond_t cv_work;     /* writer: something to do */
    pthread_cond_t cv_space;    /* producers: fill batch has room */
    pthread_cond_t cv_durable;  /* flushers: durable_seq moved */
    pthread_t thread;
    bool started, closing;
    batch batches[2];
    batch *fill, *drain;
    uint64_t next_seq;     /* last sequence number handed out */
    uint64_t durable_seq;
    uint64_t acked_seq;    /* durable and on_durable has returned for it */
    uint64_t flush_seq;    /* close the batch holding this seq at once */
    int werr;              /* sticky writer error */
    char wmsg[512];        /* written once, before werr is set */
    rip_store_stats stats;

    /* background_checkpoint: the checkpoint thread and its connection. */
    sqlite3 *cdb;
    pthread_t ckpt_thread;
    bool ckpt_started;
    pthread_mutex_t ckpt_mu;    /* guards the two below */
    pthread_cond_t cv_ckpt;
    bool ckpt_wanted, ckpt_stop;
};

/* ---- small helpers ---- */

static void set_msg(char *dst, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *dst, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, n, fmt, ap);
    va_end(ap);
}

/* Maps an SQLite result code to a RIP_E* code. */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_NOMEM:
        return RIP_ENOMEM;
    case SQLITE_FULL:
    case SQLITE_TOOBIG:
        return RIP_ELIMIT;
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
        return RIP_EFORMAT;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return RIP_EINVAL;
    default:
        return RIP_EIO;
    }
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct timespec mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static struct timespec ts_add_ms(struct timespec t, unsigned ms)
{
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static bool ts_before(struct timespec a, struct timespec b)
{
    return a.tv_sec < b.tv_sec || (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

void rip_store_options_init(rip_store_options *o)
{
    memset(o, 0, sizeof(*o));
    o->batch_events = DEFAULT_BATCH_EVENTS;
    o->batch_ms = 5;
    o->batch_bytes = DEFAULT_BATCH_BYTES;
    o->busy_timeout_ms = 10000;
    o->cache_mib = DEFAULT_CACHE_MIB;
}

const char *rip_store_path(const char *flag)
{
    if (flag)
        return flag;
    const char *env = getenv("RIPOSTE_DB");
    if (env && *env)
        return env;
    return "riposte.db";
}

const char *rip_store_key_name(rip_store_key k)
{
    switch (k) {
    case RIP_STORE_BY_ACCESS_KEY: return "access_key";
    case RIP_STORE_BY_PRINCIPAL:  return "principal";
    case RIP_STORE_BY_SOURCE_IP:  return "source_ip";
    case RIP_STORE_BY_RESOURCE:   return "resource";
    }
    return "?";
}

int rip_store_schema_latest(void)
{
    return rip_store_migrations[rip_store_nmigrations - 1].version;
}

const char *rip_store_errmsg(rip_store *st)
{
    return st->last ? st->last : "";
}

/* Records the failure of a caller-side call; returns code. */
static int qfail(rip_store *st, int code, const char *what)
{
    set_msg(st->qmsg, sizeof(st->qmsg), "%s: %s", what,
            st->rdb ? sqlite3_errmsg(st->rdb) : rip_strerror(code));
    st->last = st->qmsg;
    return code;
}

/* ---- for the other files of this back end (store-int.h) ---- */

sqlite3 *rip_store_sqlite_db(rip_store *st)
{
    return st->rdb;
}

struct rip_store_sqlc **rip_store_sqlite_sqlc(rip_store *st)
{
    return &st->sqlc;
}

int rip_store_sqlite_fail(rip_store *st, int code, const char *what)
{
    return qfail(st, code, what);
}

int rip_store_sqlite_map(int rc)
{
    return map_rc(rc);
}

static int exec_sql(sqlite3 *db, const char *sql)
{
    return map_rc(sqlite3_exec(db, sql, NULL, NULL, NULL));
}

/* ---- opening: connections, pragmas, migrations ---- */

/* SQLite counts every allocation under a global mutex unless told not to
 * (about 50 lock/unlock pairs per stored event, 3% of the writer's
 * instructions); riposte reads none of those counters. Only takes effect
 * when it runs before SQLite's first use in the process. */
static pthread_once_t sqlite_once = PTHREAD_ONCE_INIT;

static void sqlite_setup(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

static int open_conn(const char *path, const rip_store_options *o, bool writer,
                     sqlite3 **out, char *msg, size_t msglen)
{
    sqlite3 *db = NULL;
    char sql[300];
    unsigned cache_mib = writer || o->cache_mib < READER_CACHE_MIB_MAX ? o->cache_mib
                                                                       : READER_CACHE_MIB_MAX;
    int flags = SQLITE_OPEN_NOMUTEX |
                (o->read_only ? SQLITE_OPEN_READONLY
                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &db, flags, NULL);
    if (rc != SQLITE_OK) {
        set_msg(msg, msglen, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        rc = rc == SQLITE_CANTOPEN ? RIP_EIO : map_rc(rc);
        goto out;
    }
    sqlite3_extended_result_codes(db, 0);
    sqlite3_busy_timeout(db, (int)o->busy_timeout_ms);
    snprintf(sql, sizeof(sql),
             "PRAGMA cache_size = -%u; PRAGMA synchronous = %s; PRAGMA temp_store = MEMORY;"
             " PRAGMA mmap_size = %" PRId64 ";",
             cache_mib * 1024, o->sync_full ? "FULL" : "NORMAL", MMAP_SIZE);
    rc = exec_sql(db, sql);
    if (rc == 0 && !o->read_only && !writer) {
        /* Both persistent in the file; the writer connection inherits them.
         * The page size only takes on a new, empty file: events are about
         * 1.5 KB with their index entries, and bigger pages mean fewer
         * write calls per committed batch. */
        snprintf(sql, sizeof(sql), "PRAGMA page_size = %u;", RIP_STORE_PAGE_SIZE);
        rc = exec_sql(db, sql);
        if (rc == 0)
            rc = exec_sql(db, "PRAGMA journal_mode = WAL;");
    }
    if (rc == 0 && writer) {
        /* The writer checkpoints as it goes, when the WAL passes 1 GiB,
         * and the file shrinks back to 64 MiB after a checkpoint. */
        snprintf(sql, sizeof(sql),
                 "PRAGMA wal_autocheckpoint = %d; PRAGMA journal_size_limit = %" PRId64 ";",
                 WAL_AUTOCHECKPOINT_PAGES, WAL_SIZE_LIMIT);
        rc = exec_sql(db, sql);
    }
    if (rc) {
        set_msg(msg, msglen, "%s", sqlite3_errmsg(db));
        goto out;
    }
    *out = db;
    db = NULL;
out:
    sqlite3_close(db);
    return rc;
}

static int read_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *s = NULL;
    int v = 0;
    int rc = sqlite3_prepare_v2(db,
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", -1, &s, NULL);
    if (rc != SQLITE_OK) {
        /* No schema_migrations table yet: a new database. */
        if (sqlite3_errmsg(db) && strstr(sqlite3_errmsg(db), "no such table"))
            rc = SQLITE_OK;
        goto out;
    }
    rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) {
        v = sqlite3_column_int(s, 0);
        rc = SQLITE_OK;
    }
out:
    sqlite3_finalize(s);
    if (rc == SQLITE_OK)
        *version = v;
    return map_rc(rc);
}

/* Applies every migration newer than the database, each in its own
 * transaction with its schema_migrations row, so a kill at any moment
 * leaves the schema at a whole version. BEGIN IMMEDIATE makes two
 * processes opening a new file at once apply each migration once. */
static int migrate(sqlite3 *db, char *msg, size_t msglen)
{
    int rc = 0, version = 0;
    sqlite3_stmt *rec = NULL;

    rc = exec_sql(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                      " version INTEGER PRIMARY KEY,"
                      " name TEXT NOT NULL,"
                      " applied_ns BIGINT NOT NULL)");
    if (rc)
        goto fail;
    rc = map_rc(sqlite3_prepare_v2(db,
        "INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)",
        -1, &rec, NULL));
    if (rc)
        goto fail;
    for (size_t i = 0; i < rip_store_nmigrations; i++) {
        const rip_store_migration *m = &rip_store_migrations[i];
        rc = exec_sql(db, "BEGIN IMMEDIATE");
        if (rc)
            goto fail;
        rc = read_version(db, &version);
        if (rc == 0 && version >= m->version) {
            rc = exec_sql(db, "COMMIT");
            if (rc)
                goto fail;
            continue;
        }
        if (rc == 0)
            rc = exec_sql(db, m->sql);
        if (rc == 0) {
            sqlite3_bind_int(rec, 1, m->version);
            sqlite3_bind_text(rec, 2, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_int64(rec, 3, now_ns());
            rc = map_rc(sqlite3_step(rec));
            sqlite3_reset(rec);
        }
        if (rc == 0) {
            char pragma[64];
            snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
            rc = exec_sql(db, pragma);
        }
        if (rc == 0)
            rc = exec_sql(db, "COMMIT");
        if (rc) {
            set_msg(msg, msglen, "schema migration %d (%s): %s", m->version, m->name,
                    sqlite3_errmsg(db));
            exec_sql(db, "ROLLBACK");
            goto out;
        }
    }
    goto out;
fail:
    set_msg(msg, msglen, "schema migrations: %s", sqlite3_errmsg(db));
out:
    sqlite3_finalize(rec);
    return rc;
}

static const char ins_event_sql[] =
    "INSERT INTO events (cloud, provider_id, time_ns, time, kind, format, account, region,"
    " actor_type, actor_arn, principal_id, user_name, access_key, session_issuer, mfa,"
    " service, action, read_only, error_code, error_message, source_ip, user_agent,"
    " detail_type, finding_type, finding_severity, finding_severity_label, finding_title,"
    " ingested_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
    " ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)"
    " ON CONFLICT (cloud, provider_id) DO NOTHING";

static const char ins_raw_sql[] =
    "INSERT INTO event_raw (event_id, raw, envelope) VALUES (?1, ?2, ?3)";

static const char ins_resource_sql[] =
    "INSERT INTO event_resources (event_id, position, type, resource_id, arn, arn_indexed)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

static void store_free(rip_store *st)
{
    sqlite3_finalize(st->ins_event);
    sqlite3_finalize(st->ins_raw);
    sqlite3_finalize(st->ins_resource);
    rip_store_sql_cache_free(st);
    sqlite3_close(st->cdb);
    sqlite3_close(st->wdb);
    sqlite3_close(st->rdb);
    rip_buf_release(&st->batches[0].buf);
    rip_buf_release(&st->batches[1].buf);
    pthread_cond_destroy(&st->cv_work);
    pthread_cond_destroy(&st->cv_space);
    pthread_cond_destroy(&st->cv_durable);
    pthread_cond_destroy(&st->cv_ckpt);
    pthread_mutex_destroy(&st->ckpt_mu);
    pthread_mutex_destroy(&st->mu);
    free(st->path);
    free(st);
}

/* ---- background checkpoints ---- */

/* Called by SQLite after each commit on the caller's and the writer's
 * connections, in place of its automatic checkpoint: wakes the checkpoint
 * thread once the WAL is BG_CHECKPOINT_FRAMES long. The WAL only restarts
 * from its beginning when a transaction begins after a checkpoint copied
 * all of it, which steady writes never leave time for; so past
 * WAL_AUTOCHECKPOINT_PAGES the writer checkpoints itself, inside the
 * commit that got there, as without the thread. The thread has copied
 * nearly every frame by then, so that checkpoint is short, and the WAL
 * stays within 1 GiB. */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
    rip_store *st = ud;
    if (frames >= BG_CHECKPOINT_FRAMES) {
        pthread_mutex_lock(&st->ckpt_mu);
        st->ckpt_wanted = true;
        pthread_cond_signal(&st->cv_ckpt);
        pthread_mutex_unlock(&st->ckpt_mu);
    }
    if (db == st->wdb && frames >= WAL_AUTOCHECKPOINT_PAGES)
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    return SQLITE_OK;
}

/* PASSIVE checkpoints on a connection of its own: they copy what no reader
 * still needs and never block the writer or a reader; a busy or failed one
 * is tried again at the next wake-up. */
static void *ckpt_main(void *arg)
{
    rip_store *st = arg;
    pthread_mutex_lock(&st->ckpt_mu);
    for (;;) {
        while (!st->ckpt_wanted && !st->ckpt_stop)
            pthread_cond_wait(&st->cv_ckpt, &st->ckpt_mu);
        if (st->ckpt_stop)
            break;
        st->ckpt_wanted = false;
        pthread_mutex_unlock(&st->ckpt_mu);
        int log = 0, done = 0;
        int rc = sqlite3_wal_checkpoint_v2(st->cdb, "main", SQLITE_CHECKPOINT_PASSIVE, &log,
                                           &done);
        pthread_mutex_lock(&st->mu);
        if (rc == SQLITE_OK)
            st->stats.checkpoints++;
        else if (rc != SQLITE_BUSY)
            st->stats.checkpoint_errors++;
        pthread_mutex_unlock(&st->mu);
        pthread_mutex_lock(&st->ckpt_mu);
    }
    pthread_mutex_unlock(&st->ckpt_mu);
    return NULL;
}

static int ckpt_start(rip_store *st, char *msg, size_t msglen)
{
    int rc = open_conn(st->path, &st->opt, false, &st->cdb, msg, msglen);
    if (rc)
        return rc;
    sqlite3_wal_hook(st->rdb, wal_hook, st);
    sqlite3_wal_hook(st->wdb, wal_hook, st);
    if (pthread_create(&st->ckpt_thread, NULL, ckpt_main, st) != 0) {
        set_msg(msg, msglen, "cannot start the checkpoint thread");
        return RIP_ENOMEM;
    }
    st->ckpt_started = true;
    return 0;
}

static void ckpt_stop(rip_store *st)
{
    if (!st->ckpt_started)
        return;
    pthread_mutex_lock(&st->ckpt_mu);
    st->ckpt_stop = true;
    pthread_cond_signal(&st->cv_ckpt);
    pthread_mutex_unlock(&st->ckpt_mu);
    pthread_join(st->ckpt_thread, NULL);
    st->ckpt_started = false;
}

int rip_store_open(const char *path, const rip_store_options *opt,
                   rip_store **out, rip_store_error *err)
{
    rip_store *st = NULL;
    pthread_condattr_t ca;
    char msg[256] = "";
    int rc, version = 0;

    st = calloc(1, sizeof(*st));
    if (!st || !(st->path = strdup(path))) {
        free(st);
        st = NULL;
        set_msg(msg, sizeof(msg), "out of memory");
        rc = RIP_ENOMEM;
        goto out;
    }
    if (opt)
        st->opt = *opt;
    else
        rip_store_options_init(&st->opt);
    if (!st->opt.batch_events)
        st->opt.batch_events = DEFAULT_BATCH_EVENTS;
    if (!st->opt.batch_bytes)
        st->opt.batch_bytes = DEFAULT_BATCH_BYTES;
    if (!st->opt.cache_mib)
        st->opt.cache_mib = DEFAULT_CACHE_MIB;
    pthread_mutex_init(&st->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st->cv_work, &ca);
    pthread_cond_init(&st->cv_space, &ca);
    pthread_cond_init(&st->cv_durable, &ca);
    pthread_cond_init(&st->cv_ckpt, NULL);
    pthread_mutex_init(&st->ckpt_mu, NULL);
    pthread_condattr_destroy(&ca);
    rip_buf_init(&st->batches[0].buf, 0);
    rip_buf_init(&st->batches[1].buf, 0);
    st->fill = &st->batches[0];
    st->drain = &st->batches[1];

    pthread_once(&sqlite_once, sqlite_setup);
    rc = open_conn(path, &st->opt, false, &st->rdb, msg, sizeof(msg));
    if (rc)
        goto out;
    if (!st->opt.read_only) {
        rc = migrate(st->rdb, msg, sizeof(msg));
        if (rc)
            goto out;
    }
    rc = read_version(st->rdb, &version);
    if (rc) {
        set_msg(msg, sizeof(msg), "%s", sqlite3_errmsg(st->rdb));
        goto out;
    }
    if (version != rip_store_schema_latest()) {
        set_msg(msg, sizeof(msg),
                version > rip_store_schema_latest()
                    ? "schema version %d is newer than this riposte's (%d)"
                    : "schema version %d is older than this riposte's (%d); open it read-write to migrate",
                version, rip_store_schema_latest());
        rc = RIP_EFORMAT;
        goto out;
    }
    if (!st->opt.read_only) {
        rc = open_conn(path, &st->opt, true, &st->wdb, msg, sizeof(msg));
        if (rc)
            goto out;
        rc = map_rc(sqlite3_prepare_v3(st->wdb, ins_event_sql, -1, SQLITE_PREPARE_PERSISTENT,
                                       &st->ins_event, NULL));
        if (rc == 0)
            rc = map_rc(sqlite3_prepare_v3(st->wdb, ins_raw_sql, -1, SQLITE_PREPARE_PERSISTENT,
                                           &st->ins_raw, NULL));
        if (rc == 0)
            rc = map_rc(sqlite3_prepare_v3(st->wdb, ins_resource_sql, -1,
                                           SQLITE_PREPARE_PERSISTENT, &st->ins_resource, NULL));
        if (rc) {
            set_msg(msg, sizeof(msg), "%s", sqlite3_errmsg(st->wdb));
            goto out;
        }
        if (st->opt.background_checkpoint) {
            rc = ckpt_start(st, msg, sizeof(msg));
            if (rc)
                goto out;
        }
    }
    *out = st;
    st = NULL;
out:
    if (st) {
        ckpt_stop(st);
        store_free(st);
    }
    if (rc && err)
        snprintf(err->msg, sizeof(err->msg), "%s", msg[0] ? msg : rip_strerror(rc));
    return rc;
}

/* ---- the writer thread ---- */

static rip_slice rec_slice(const char *base, rec_span s)
{
    if (s.off == SPAN_ABSENT)
        return RIP_SLICE_NULL;
    return (rip_slice){ base + s.off, s.len };
}

static void bind_slice(sqlite3_stmt *s, int i, rip_slice v)
{
    if (v.ptr)
        sqlite3_bind_text(s, i, v.len ? v.ptr : "", (int)v.len, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void bind_tri(sqlite3_stmt *s, int i, int v)
{
    if (v < 0)
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_int(s, i, v);
}

/* Whether a resource's ARN needs its own entry in event_resources_arn
 * (migration 10): it is present and does not end with '/' or ':' followed
 * by the resource id, so that a query cannot find it as resource_id = a
 * part of the ARN. */
static bool arn_indexed(rip_slice id, rip_slice arn)
{
    if (!arn.ptr)
        return false;
    if (!id.ptr || arn.len <= id.len)
        return true;
    char sep = arn.ptr[arn.len - id.len - 1];
    return (sep != '/' && sep != ':') ||
           (id.len && memcmp(arn.ptr + arn.len - id.len, id.ptr, id.len) != 0);
}

/* Inserts one record; *stored is 1 when a row was added, 0 for a duplicate. */
static int write_record(rip_store *st, const char *base, int64_t ingested, int *stored)
{
    rec_head h;
    memcpy(&h, base, sizeof(h));
    sqlite3_stmt *s = st->ins_event;
    char tbuf[RIP_TIME_FMT_MAX];
    int rc;

    sqlite3_bind_text(s, 1, rip_cloud_name(h.cloud), -1, SQLITE_STATIC);
    bind_slice(s, 2, rec_slice(base, h.f[RF_ID]));
    if (h.time_ns) {
        sqlite3_bind_int64(s, 3, h.time_ns);
        sqlite3_bind_text(s, 4, rip_time_format(h.time_ns, tbuf), -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_bind_null(s, 3);
        sqlite3_bind_null(s, 4);
    }
    sqlite3_bind_text(s, 5, rip_event_kind_name(h.kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, rip_format_name(h.format), -1, SQLITE_STATIC);
    bind_slice(s, 7, rec_slice(base, h.f[RF_ACCOUNT]));
    bind_slice(s, 8, rec_slice(base, h.f[RF_REGION]));
    bind_slice(s, 9, rec_slice(base, h.f[RF_ACTOR_TYPE]));
    bind_slice(s, 10, rec_slice(base, h.f[RF_ACTOR_ARN]));
    bind_slice(s, 11, rec_slice(base, h.f[RF_PRINCIPAL_ID]));
    bind_slice(s, 12, rec_slice(base, h.f[RF_USER]));
    bind_slice(s, 13, rec_slice(base, h.f[RF_ACCESS_KEY]));
    bind_slice(s, 14, rec_slice(base, h.f[RF_SESSION_ISSUER]));
    bind_tri(s, 15, h.mfa);
    bind_slice(s, 16, rec_slice(base, h.f[RF_SERVICE]));
    bind_slice(s, 17, rec_slice(base, h.f[RF_ACTION]));
    bind_tri(s, 18, h.read_only);
    bind_slice(s, 19, rec_slice(base, h.f[RF_ERROR_CODE]));
    bind_slice(s, 20, rec_slice(base, h.f[RF_ERROR_MESSAGE]));
    bind_slice(s, 21, rec_slice(base, h.f[RF_SOURCE_IP]));
    bind_slice(s, 22, rec_slice(base, h.f[RF_USER_AGENT]));
    bind_slice(s, 23, rec_slice(base, h.f[RF_DETAIL_TYPE]));
    bind_slice(s, 24, rec_slice(base, h.f[RF_FINDING_TYPE]));
    if (h.is_finding)
        sqlite3_bind_double(s, 25, h.severity);
    else
        sqlite3_bind_null(s, 25);
    bind_slice(s, 26, rec_slice(base, h.f[RF_FINDING_SEVERITY_LABEL]));
    bind_slice(s, 27, rec_slice(base, h.f[RF_FINDING_TITLE]));
    sqlite3_bind_int64(s, 28, ingested);

    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    if (sqlite3_changes(st->wdb) == 0) {
        *stored = 0;
        return 0;
    }
    sqlite3_int64 id = sqlite3_last_insert_rowid(st->wdb);
    sqlite3_stmt *x = st->ins_raw;
    sqlite3_bind_int64(x, 1, id);
    bind_slice(x, 2, rec_slice(base, h.f[RF_RAW]));
    bind_slice(x, 3, rec_slice(base, h.f[RF_ENVELOPE]));
    rc = sqlite3_step(x);
    sqlite3_reset(x);
    if (rc != SQLITE_DONE)
        return map_rc(rc);
    const rec_span *rs = (const rec_span *)(const void *)(base + sizeof(rec_head));
    for (uint32_t i = 0; i < h.nres; i++) {
        rec_span sp[3];
        memcpy(sp, rs + 3 * i, sizeof(sp));
        sqlite3_stmt *r = st->ins_resource;
        sqlite3_bind_int64(r, 1, id);
        sqlite3_bind_int64(r, 2, i);
        bind_slice(r, 3, rec_slice(base, sp[0]));
        bind_slice(r, 4, rec_slice(base, sp[1]));
        bind_slice(r, 5, rec_slice(base, sp[2]));
        if (arn_indexed(rec_slice(base, sp[1]), rec_slice(base, sp[2])))
            sqlite3_bind_int(r, 6, 1);
        else
            sqlite3_bind_null(r, 6);
        rc = sqlite3_step(r);
        sqlite3_reset(r);
        if (rc != SQLITE_DONE)
            return map_rc(rc);
    }
    *stored = 1;
    return 0;
}

/* Writes a whole batch in one transaction. On failure nothing of it stays. */
static int write_batch(rip_store *st, const batch *b, uint64_t *stored, uint64_t *dups)
{
    uint64_t n_stored = 0, n_dups = 0;
    int64_t ingested = now_ns();
    int rc = exec_sql(st->wdb, "BEGIN IMMEDIATE");
    if (rc)
        goto fail;
    for (size_t off = 0; off < b->buf.len;) {
        const char *base = b->buf.ptr + off;
        uint32_t size;
        int one = 0;
        memcpy(&size, base, sizeof(size));
        rc = write_record(st, base, ingested, &one);
        if (rc)
            goto rollback;
        if (one)
            n_stored++;
        else
            n_dups++;
        off += size;
    }
    rc = exec_sql(st->wdb, "COMMIT");
    if (rc)
        goto rollback;
    *stored = n_stored;
    *dups = n_dups;
    return 0;
rollback:
    set_msg(st->wmsg, sizeof(st->wmsg), "writing events to '%s': %s", st->path,
            sqlite3_errmsg(st->wdb));
    exec_sql(st->wdb, "ROLLBACK");
    return rc;
fail:
    set_msg(st->wmsg, sizeof(st->wmsg), "writing events to '%s': %s", st->path,
            sqlite3_errmsg(st->wdb));
    return rc;
}

static bool batch_full(const rip_store *st, const batch *b)
{
    return b->count >= st->opt.batch_events || b->buf.len >= st->opt.batch_bytes;
}

static void *writer_main(void *arg)
{
    rip_store *st = arg;

    pthread_mutex_lock(&st->mu);
    for (;;) {
        while (st->fill->count == 0 && !st->closing)
            pthread_cond_wait(&st->cv_work, &st->mu);
        if (st->fill->count == 0)
            break;   /* closing and nothing left */
        /* Let the batch grow until it is full, old enough or flushed. */
        struct timespec deadline = ts_add_ms(st->fill->opened, st->opt.batch_ms);
        while (!batch_full(st, st->fill) && !st->closing &&
               st->flush_seq < st->fill->first_seq && ts_before(mono_now(), deadline))
            pthread_cond_timedwait(&st->cv_work, &st->mu, &deadline);

        batch *b = st->fill;
        st->fill = st->drain;
        st->drain = b;
        pthread_cond_broadcast(&st->cv_space);
        pthread_mutex_unlock(&st->mu);

        uint64_t stored = 0, dups = 0;
        int rc = write_batch(st, b, &stored, &dups);

        pthread_mutex_lock(&st->mu);
        if (rc) {
            st->werr = rc;
            pthread_cond_broadcast(&st->cv_durable);
            pthread_cond_broadcast(&st->cv_space);
            break;
        }
        st->durable_seq = b->last_seq;
        st->stats.durable += b->count;
        st->stats.stored += stored;
        st->stats.duplicates += dups;
        st->stats.batches++;
        uint64_t durable = st->durable_seq;
        rip_buf_reset(&b->buf);
        b->count = 0;
        if (st->opt.on_durable) {
            pthread_mutex_unlock(&st->mu);
            st->opt.on_durable(st->opt.ud, durable);
            pthread_mutex_lock(&st->mu);
        }
        st->acked_seq = durable;
        pthread_cond_broadcast(&st->cv_durable);
    }
    pthread_mutex_unlock(&st->mu);
    return NULL;
}

/* ---- producers ---- */

static void put_span(rip_buf *b, size_t start, rec_span *sp, rip_slice v)
{
    if (!v.ptr) {
        sp->off = SPAN_ABSENT;
        sp->len = 0;
        return;
    }
    sp->off = (uint32_t)(b->len - start);
    sp->len = (uint32_t)v.len;
    memcpy(b->ptr + b->len, v.ptr, v.len);
    b->len += v.len;
}

/* "sha256:" + 64 hex digits of the original record: the key of a record
 * that carries no provider event id. */
static int hash_id(rip_slice raw, char out[7 + 64 + 1])
{
    unsigned char md[RIP_SHA256_SIZE];
    static const char hex[] = "0123456789abcdef";
    rip_sha256(raw.ptr, raw.len, md);
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < 32; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[8 + 2 * i] = hex[md[i] & 15];
    }
    out[71] = '\0';
    return 0;
}

/* Appends ev as one record to b; on failure b is as it was. */
static int append_record(rip_buf *b, const rip_event *ev)
{
    rip_slice f[RF__COUNT];
    char idbuf[72];
    rip_slice raw = ev->raw ? rip_json_text(ev->raw) : RIP_SLICE_NULL;
    size_t need, start = b->len;
    rec_head h;
    int rc;

    if (!raw.ptr)
        raw = RIP_SLICE_LIT("{}");
    f[RF_ID] = ev->id;
    if (!ev->id.ptr || ev->id.len == 0) {
        rc = hash_id(raw, idbuf);
        if (rc)
            return rc;
        f[RF_ID] = (rip_slice){ idbuf, 71 };
    }
    f[RF_ACCOUNT] = ev->account;
    f[RF_REGION] = ev->region;
    f[RF_ACTOR_TYPE] = ev->actor.type;
    f[RF_ACTOR_ARN] = ev->actor.arn;
    f[RF_PRINCIPAL_ID] = ev->actor.principal_id;
    f[RF_USER] = ev->actor.user;
    f[RF_ACCESS_KEY] = ev->actor.access_key;
    f[RF_SESSION_ISSUER] = ev->actor.session_issuer;
    f[RF_SERVICE] = ev->action.service;
    f[RF_ACTION] = ev->action.name;
    f[RF_ERROR_CODE] = ev->action.error_code;
    f[RF_ERROR_MESSAGE] = ev->action.error_message;
    f[RF_SOURCE_IP] = ev->source.ip;
    f[RF_USER_AGENT] = ev->source.user_agent;
    f[RF_DETAIL_TYPE] = ev->detail_type;
    bool finding = ev->kind == RIP_EVENT_FINDING;
    f[RF_FINDING_TYPE] = finding ? ev->finding.type : RIP_SLICE_NULL;
    f[RF_FINDING_SEVERITY_LABEL] = finding ? ev->finding.severity_label : RIP_SLICE_NULL;
    f[RF_FINDING_TITLE] = finding ? ev->finding.title : RIP_SLICE_NULL;
    f[RF_RAW] = raw;
    f[RF_ENVELOPE] = ev->envelope ? rip_json_text(ev->envelope) : RIP_SLICE_NULL;

    need = sizeof(rec_head) + (size_t)ev->nresources * 3 * sizeof(rec_span);
    for (int i = 0; i < RF__COUNT; i++)
        need += f[i].len;
    for (uint32_t i = 0; i < ev->nresources; i++)
        need += ev->resources[i].type.len + ev->resources[i].id.len +
                ev->resources[i].arn.len;
    need = (need + 7) & ~(size_t)7;
    if (need >= UINT32_MAX)
        return RIP_ELIMIT;
    rc = rip_buf_grow(b, need);
    if (rc)
        return rc;

    memset(&h, 0, sizeof(h));
    h.size = (uint32_t)need;
    h.nres = ev->nresources;
    h.time_ns = ev->time_ns;
    h.severity = finding ? ev->finding.severity : 0;
    h.cloud = (uint8_t)ev->cloud;
    h.kind = (uint8_t)ev->kind;
    h.format = (uint8_t)ev->format;
    h.mfa = ev->actor.mfa;
    h.read_only = ev->action.read_only;
    h.is_finding = finding;
    b->len += sizeof(rec_head) + (size_t)ev->nresources * 3 * sizeof(rec_span);
    for (int i = 0; i < RF__COUNT; i++)
        put_span(b, start, &h.f[i], f[i]);
    for (uint32_t i = 0; i < ev->nresources; i++) {
        rec_span sp[3];
        put_span(b, start, &sp[0], ev->resources[i].type);
        put_span(b, start, &sp[1], ev->resources[i].id);
        put_span(b, start, &sp[2], ev->resources[i].arn);
        memcpy(b->ptr + start + sizeof(rec_head) + (size_t)i * sizeof(sp), sp, sizeof(sp));
    }
    memcpy(b->ptr + start, &h, sizeof(h));
    memset(b->ptr + b->len, 0, start + need - b->len);
    b->len = start + need;
    b->ptr[b->len] = '\0';
    return 0;
}

static int writer_error(rip_store *st)
{
    st->last = st->wmsg;
    return st->werr;
}

int rip_store_put_event(rip_store *st, const rip_event *ev, uint64_t *seq)
{
    int rc = 0;

    if (!st->wdb) {
        set_msg(st->qmsg, sizeof(st->qmsg), "'%s' is open read-only", st->path);
        st->last = st->qmsg;
        return RIP_EINVAL;
    }
    pthread_mutex_lock(&st->mu);
    if (!st->started) {
        if (pthread_create(&st->thread, NULL, writer_main, st) != 0) {
            set_msg(st->qmsg, sizeof(st->qmsg), "cannot start the writer thread");
            st->last = st->qmsg;
            rc = RIP_ENOMEM;
            goto out;
        }
        st->started = true;
    }
    while (!st->werr && batch_full(st, st->fill))
        pthread_cond_wait(&st->cv_space, &st->mu);
    if (st->werr) {
        rc = writer_error(st);
        goto out;
    }
    rc = append_record(&st->fill->buf, ev);
    if (rc) {
        set_msg(st->qmsg, sizeof(st->qmsg), "copying an event: %s", rip_strerror(rc));
        st->last = st->qmsg;
        goto out;
    }
    batch *b = st->fill;
    uint64_t s = ++st->next_seq;
    st->stats.put++;
    if (b->count++ == 0) {
        b->first_seq = s;
        b->opened = mono_now();
        pthread_cond_signal(&st->cv_work);
    } else if (batch_full(st, b)) {
        pthread_cond_signal(&st->cv_work);
    }
    b->last_seq = s;
    if (seq)
        *seq = s;
out:
    pthread_mutex_unlock(&st->mu);
    return rc;
}

uint64_t rip_store_durable_seq(rip_store *st)
{
    pthread_mutex_lock(&st->mu);
    uint64_t d = st->durable_seq;
    pthread_mutex_unlock(&st->mu);
    return d;
}

int rip_store_flush(rip_store *st)
{
    int rc = 0;
    pthread_mutex_lock(&st->mu);
    uint64_t target = st->next_seq;
    if (st->flush_seq < target)
        st->flush_seq = target;
    pthread_cond_signal(&st->cv_work);
    while (!st->werr && st->acked_seq < target)
        pthread_cond_wait(&st->cv_durable, &st->mu);
    if (st->werr)
        rc = writer_error(st);
    pthread_mutex_unlock(&st->mu);
    return rc;
}

void rip_store_get_stats(rip_store *st, rip_store_stats *out)
{
    pthread_mutex_lock(&st->mu);
    *out = st->stats;
    pthread_mutex_unlock(&st->mu);
}

int rip_store_close(rip_store *st)
{
    int rc = 0;
    if (!st)
        return 0;
    pthread_mutex_lock(&st->mu);
    bool started = st->started;
    st->closing = true;
    pthread_cond_broadcast(&st->cv_work);
    pthread_mutex_unlock(&st->mu);
    if (started)
        pthread_join(st->thread, NULL);
    ckpt_stop(st);
    rc = st->werr;
    store_free(st);
    return rc;
}

/* ---- reading ---- */

int rip_store_schema_version(rip_store *st, int *version)
{
    int rc = read_version(st->rdb, version);
    return rc ? qfail(st, rc, "reading the schema version") : 0;
}

int rip_store_count_events(rip_store *st, uint64_t *count)
{
    sqlite3_stmt *s = NULL;
    int rc = map_rc(sqlite3_prepare_v2(st->rdb, "SELECT COUNT(*) FROM events", -1, &s, NULL));
    if (rc == 0) {
        int r = sqlite3_step(s);
        if (r == SQLITE_ROW)
            *count = (uint64_t)sqlite3_column_int64(s, 0);
        else
            rc = r == SQLITE_DONE ? RIP_EIO : map_rc(r);
    }
    if (rc)
        qfail(st, rc, "counting events");
    sqlite3_finalize(s);
    return rc;
}

static rip_slice col_slice(sqlite3_stmt *s, int i)
{
    const unsigned char *p = sqlite3_column_text(s, i);
    if (!p)
        return RIP_SLICE_NULL;
    return (rip_slice){ (const char *)p, (size_t)sqlite3_column_bytes(s, i) };
}

static int col_tri(sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        return -1;
    return sqlite3_column_int(s, i) != 0;
}

void rip_store_sqlite_event_row(sqlite3_stmt *s, rip_store_event_row *row)
{
    row->id = sqlite3_column_int64(s, 0);
    row->time_ns = sqlite3_column_int64(s, 1);
    row->cloud = col_slice(s, 2);
    row->kind = col_slice(s, 3);
    row->format = col_slice(s, 4);
    row->provider_id = col_slice(s, 5);
    row->account = col_slice(s, 6);
    row->region = col_slice(s, 7);
    row->actor_type = col_slice(s, 8);
    row->actor_arn = col_slice(s, 9);
    row->principal_id = col_slice(s, 10);
    row->user_name = col_slice(s, 11);
    row->access_key = col_slice(s, 12);
    row->session_issuer = col_slice(s, 13);
    row->mfa = col_tri(s, 14);
    row->service = col_slice(s, 15);
    row->action = col_slice(s, 16);
    row->read_only = col_tri(s, 17);
    row->error_code = col_slice(s, 18);
    row->error_message = col_slice(s, 19);
    row->source_ip = col_slice(s, 20);
    row->user_agent = col_slice(s, 21);
    row->detail_type = col_slice(s, 22);
    row->raw = col_slice(s, 23);
}

/* One SELECT of an events query: the columns, the key condition cond (on
 * ?1), the time window and the page cursor. The raw record, when asked
 * for, comes from event_raw by the row's id. */
static int add_query_select(rip_buf *sql, const rip_store_query *q, const char *cond)
{
    int rc = rip_buf_adds(sql,
        "SELECT e.id AS id, e.time_ns AS time_ns, e.cloud, e.kind, e.format, e.provider_id,"
        " e.account, e.region, e.actor_type, e.actor_arn, e.principal_id, e.user_name,"
        " e.access_key, e.session_issuer, e.mfa, e.service, e.action, e.read_only,"
        " e.error_code, e.error_message, e.source_ip, e.user_agent, e.detail_type, ");
    if (rc == 0)
        rc = rip_buf_adds(sql, q->with_raw
                                   ? "(SELECT x.raw FROM event_raw x WHERE x.event_id = e.id)"
                                   : "NULL");
    if (rc == 0)
        rc = rip_buf_addf(sql, " FROM events e WHERE %s", cond);
    /* ?2 since, ?3 until, ?4 cursor time, ?5 cursor id, ?6 limit. */
    if (rc == 0 && q->since_ns)
        rc = rip_buf_adds(sql, " AND e.time_ns >= ?2");
    if (rc == 0 && q->until_ns)
        rc = rip_buf_adds(sql, " AND e.time_ns < ?3");
    if (rc == 0 && q->after_id)
        rc = rip_buf_adds(sql, q->newest_first
                                   ? " AND e.time_ns <= ?4 AND (e.time_ns < ?4 OR e.id < ?5)"
                                   : " AND e.time_ns >= ?4 AND (e.time_ns > ?4 OR e.id > ?5)");
    return rc;
}

/* The order of every events query, (time_ns, id) either way, and its page
 * size. After a compound SELECT it names result columns, so SQLite merges
 * the arms, each read in the order of its own index, and stops at the
 * limit: no sort. */
static int add_query_order(rip_buf *sql, const rip_store_query *q)
{
    const char *desc = q->newest_first ? " DESC" : "";
    int rc = rip_buf_addf(sql, " ORDER BY time_ns%s, id%s", desc, desc);
    if (rc == 0 && q->limit)
        rc = rip_buf_adds(sql, " LIMIT ?6");
    return rc;
}

/* Parts of a value after a '/' or ':' that a resource query tries as
 * resource_id; a value with more separators is looked up by a scan. */
#define RESOURCE_PARTS_MAX 64

/* Where each part of value after a '/' or ':' starts; returns how many,
 * or RESOURCE_PARTS_MAX + 1 when there are more. */
static size_t resource_parts(const char *value, size_t *at)
{
    size_t n = 0;
    for (size_t i = 0; value[i]; i++) {
        if (value[i] != '/' && value[i] != ':')
            continue;
        if (n == RESOURCE_PARTS_MAX)
            return RESOURCE_PARTS_MAX + 1;
        at[n++] = i + 1;
    }
    return n;
}

/* The condition of a resource query (events whose resources have
 * resource_id = ?1 or arn = ?1), in three arms each served by an index:
 * resource_id = ?1; resource_id = one of the parts of ?1 after a '/' or
 * ':' (bound to ?7, ?8, ...) and arn = ?1, which finds every row whose
 * ARN ends with '/' or ':' + its resource_id; and, through the partial
 * index event_resources_arn, the rows whose ARN does not (arn_indexed,
 * migration 10). Sets *nparts to the parts to bind. */
static int add_resource_cond(rip_buf *cond, const char *value, size_t *nparts)
{
    size_t at[RESOURCE_PARTS_MAX];
    size_t n = resource_parts(value, at);
    int rc = rip_buf_adds(cond, "e.id IN (SELECT r.event_id FROM event_resources r"
                                " WHERE r.resource_id = ?1");
    if (rc == 0 && n > RESOURCE_PARTS_MAX) {
        rc = rip_buf_adds(cond, " OR r.arn = ?1)");
        n = 0;
    } else if (rc == 0) {
        if (n) {
            rc = rip_buf_adds(cond, " UNION ALL SELECT r.event_id FROM event_resources r"
                                    " WHERE r.resource_id IN (");
            for (size_t i = 0; i < n && rc == 0; i++)
                rc = rip_buf_addf(cond, "%s?%zu", i ? ", " : "", 7 + i);
            if (rc == 0)
                rc = rip_buf_adds(cond, ") AND r.arn = ?1");
        }
        if (rc == 0)
            rc = rip_buf_adds(cond, " UNION ALL SELECT r.event_id FROM event_resources r"
                                    " WHERE r.arn = ?1 AND r.arn_indexed IS NOT NULL)");
    }
    if (rc == 0)
        *nparts = n;
    return rc;
}

int rip_store_query_events(rip_store *st, const rip_store_query *q,
                           rip_store_row_fn fn, void *ud)
{
    sqlite3_stmt *s = NULL;
    rip_buf sql = RIP_BUF_INIT, cond = RIP_BUF_INIT;
    size_t nparts = 0;
    int rc = 0;

    if (!q || !q->value || !fn) {
        set_msg(st->qmsg, sizeof(st->qmsg), "a query needs a key and a value");
        st->last = st->qmsg;
        return RIP_EINVAL;
    }
    switch (q->by) {
    case RIP_STORE_BY_ACCESS_KEY:
        rc = add_query_select(&sql, q, "e.access_key = ?1");
        break;
    case RIP_STORE_BY_PRINCIPAL:
        /* Two arms, one per index, rather than one OR: with a limit, a role
         * with a million events costs a page, not a million lookups and a
         * sort (tests/test-store.c checks the plan). The second arm leaves
         * out what the first one has. */
        rc = add_query_select(&sql, q, "e.actor_arn = ?1");
        if (rc == 0)
            rc = rip_buf_adds(&sql, " UNION ALL ");
        if (rc == 0)
            rc = add_query_select(&sql, q, "e.session_issuer = ?1 AND e.actor_arn IS NOT ?1");
        break;
    case RIP_STORE_BY_SOURCE_IP:
        rc = add_query_select(&sql, q, "e.source_ip = ?1");
        break;
    case RIP_STORE_BY_RESOURCE:
        rc = add_resource_cond(&cond, q->value, &nparts);
        if (rc == 0)
            rc = add_query_select(&sql, q, cond.ptr);
        break;
    default:
        set_msg(st->qmsg, sizeof(st->qmsg), "unknown query key %d", (int)q->by);
        st->last = st->qmsg;
        rc = RIP_EINVAL;
        goto out;
    }
    if (rc == 0)
        rc = add_query_order(&sql, q);
    if (rc) {
        set_msg(st->qmsg, sizeof(st->qmsg), "building a query: %s", rip_strerror(rc));
        st->last = st->qmsg;
        goto out;
    }

    rc = map_rc(sqlite3_prepare_v2(st->rdb, sql.ptr, (int)sql.len, &s, NULL));
    if (rc) {
        qfail(st, rc, "preparing a query");
        goto out;
    }
    sqlite3_bind_text(s, 1, q->value, -1, SQLITE_STATIC);
    if (q->since_ns)
        sqlite3_bind_int64(s, 2, q->since_ns);
    if (q->until_ns)
        sqlite3_bind_int64(s, 3, q->until_ns);
    if (q->after_id) {
        sqlite3_bind_int64(s, 4, q->after_time_ns);
        sqlite3_bind_int64(s, 5, q->after_id);
    }
    if (q->limit)
        sqlite3_bind_int64(s, 6, q->limit > INT64_MAX ? INT64_MAX : (sqlite3_int64)q->limit);
    if (nparts) {
        size_t at[RESOURCE_PARTS_MAX];
        resource_parts(q->value, at);
        for (size_t i = 0; i < nparts; i++)
            sqlite3_bind_text(s, (int)(7 + i), q->value + at[i], -1, SQLITE_STATIC);
    }

    for (;;) {
        int r = sqlite3_step(s);
        if (r == SQLITE_DONE)
            break;
        if (r != SQLITE_ROW) {
            rc = qfail(st, map_rc(r), "querying events");
            goto out;
        }
        rip_store_event_row row;
        rip_store_sqlite_event_row(s, &row);
        rc = fn(ud, &row);
        if (rc < 0)
            goto out;
        rc = 0;
    }
out:
    sqlite3_finalize(s);
    rip_buf_release(&sql);
    rip_buf_release(&cond);
    return rc;
}
