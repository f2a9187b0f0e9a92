/* ingest-bench.c — how fast events become durable in the store, against the
 * fastest plain loader of the same rows into the same schema, and how fast
 * the investigate queries answer over the result.
 *
 *   ingest-bench [-n EVENTS] [-q QUERIES] [-d DIR] [-Q] [-o STEPS]
 *
 * -Q with -d: only the queries, over DIR/store.db of an earlier run.
 * -o: only these of plain,bound,store,e2e,queries (comma-separated; default
 *     all).
 * -x: SQL run on the plain loader's database before it loads, to measure
 *     what one part of the schema costs (e.g. -x 'DROP INDEX events_time');
 *     repeatable: one plain load per -x, in turn, over the same rows.
 *
 * 1. Generates EVENTS (default 1,000,000) CloudTrail records as NDJSON in
 *    memory: IAM users and assumed-role sessions, access keys, source IPs,
 *    regions, errors, resources; each record about 1 KB like real ones.
 * 2. Decodes them once (rip_decoder) into self-contained rows in memory.
 * 3. plain loader: one connection, one prepared INSERT per table (events,
 *    event_raw, event_resources), one transaction, no acknowledgements, into
 *    a new database with the store's schema, pragmas and indexes.
 * 3b. bound: the plain load again with journal_mode=OFF and
 *    synchronous=OFF: what SQLite does with these rows and this schema when
 *    nothing needs to survive anything, an upper bound for any durable
 *    loader on the same machine.
 * 4. store: the same rows through rip_store_put_event() (group commit, an
 *    acknowledgement per batch through on_durable) and rip_store_flush(), into
 *    another new database. The ratio store / plain is printed.
 * 5. end to end: decode + store, as `riposte ingest` does, into a third one.
 * 6. investigate: QUERIES (default 1000) random access keys, principals and
 *    source IPs through rip_store_query_events(); p50/p99/max latency of
 *    a first page of the newest 1000 rows (what a paged investigate shows),
 *    cold and then warm, and of reading every row of the entity.
 *
 * Each load prints its wall time, the CPU time of all its threads (user and
 * system) per event, and the bytes it wrote and read through system calls:
 * on a shared machine wall time follows the neighbours' load, CPU time and
 * bytes much less.
 *
 * Prints figures; asserts nothing. bench/ingest.sh runs it.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "normalize/decode.h"
#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/timeutil.h"

#define N_USERS 1500
#define N_ROLES 500
#define N_KEYS_PER_USER 2
#define N_IPS 40000
/* Rows in the first page of an investigation (newest first). */
#define INVESTIGATE_PAGE 1000

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* 0..n-1, skewed toward small values (a few busy principals, a long tail). */
static unsigned skewed(unsigned n)
{
    double u = (double)(next_rand() >> 11) / 9007199254740992.0;
    unsigned v = (unsigned)(u * u * n);
    return v < n ? v : n - 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a step cost: wall time and the CPU time of every thread, user and
 * system. On a shared machine the wall time moves with the neighbours'
 * load much more than the CPU time does. */
typedef struct meter {
    double wall, user, sys;
    double wrote, read;        /* bytes through write/pwrite and read/pread */
} meter;

/* wchar and rchar of /proc/self/io; 0 where there is no such file. */
static void io_bytes(double *wrote, double *rd)
{
    char line[128];
    FILE *f = fopen("/proc/self/io", "r");
    *wrote = *rd = 0;
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long v;
        if (sscanf(line, "wchar: %llu", &v) == 1)
            *wrote = (double)v;
        else if (sscanf(line, "rchar: %llu", &v) == 1)
            *rd = (double)v;
    }
    fclose(f);
}

static meter meter_now(void)
{
    meter m = { now_s(), 0, 0, 0, 0 };
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    m.user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    m.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    io_bytes(&m.wrote, &m.read);
    return m;
}

/* "12.34 s, CPU 10.00 s user + 2.00 s sys = 12.0 us/event, wrote 3.1 GB,
 * read 0.2 GB" since m0. */
static const char *meter_fmt(char *out, size_t n, const meter *m0, uint64_t events)
{
    meter m = meter_now();
    double user = m.user - m0->user, sys = m.sys - m0->sys;
    snprintf(out, n, "%.2f s, CPU %.2f s user + %.2f s sys = %.1f us/event, wrote %.2f GB,"
             " read %.2f GB", m.wall - m0->wall, user, sys,
             events ? (user + sys) * 1e6 / (double)events : 0.0, (m.wrote - m0->wrote) / 1e9,
             (m.read - m0->read) / 1e9);
    return out;
}

static void key_of(char *out, size_t n, unsigned user, unsigned k)
{
    snprintf(out, n, "AKIA%08u%08u", user, k);
}

static void ip_of(char *out, size_t n, unsigned i)
{
    snprintf(out, n, "%u.%u.%u.%u", 11 + i % 200, (i / 200) % 250, (i * 7) % 251, 1 + i % 253);
}

/* The calls, with how often each comes (per 100 records) and what it names.
 * Real trails are mostly management calls without a `resources` list: in
 * ../shared/corpus, 13 of 310 Stratus Red Team records (4%) and 49 of 453
 * Panther CloudTrail records (11%) carry one, 0.16 and 0.19 resources per
 * record. Here 16% do (S3 data events name the object and its bucket, KMS
 * the key, AssumeRole the role): 0.25 resources per record, a little more
 * than the corpus. */
enum { RES_NONE, RES_S3, RES_KMS, RES_ROLE };
static const struct call {
    const char *src, *name;
    int ro, weight, res;
} calls[] = {
    { "s3.amazonaws.com", "GetObject", 1, 6, RES_S3 },
    { "s3.amazonaws.com", "PutObject", 0, 3, RES_S3 },
    { "kms.amazonaws.com", "Decrypt", 1, 4, RES_KMS },
    { "sts.amazonaws.com", "AssumeRole", 0, 3, RES_ROLE },
    { "ec2.amazonaws.com", "DescribeInstances", 1, 20, RES_NONE },
    { "ec2.amazonaws.com", "DescribeVolumes", 1, 14, RES_NONE },
    { "ec2.amazonaws.com", "RunInstances", 0, 2, RES_NONE },
    { "iam.amazonaws.com", "ListUsers", 1, 10, RES_NONE },
    { "iam.amazonaws.com", "CreateAccessKey", 0, 1, RES_NONE },
    { "sts.amazonaws.com", "GetCallerIdentity", 1, 15, RES_NONE },
    { "lambda.amazonaws.com", "ListFunctions20150331", 1, 10, RES_NONE },
    { "logs.amazonaws.com", "CreateLogStream", 0, 12, RES_NONE },
};

static const struct call *pick_call(void)
{
    unsigned w = (unsigned)(next_rand() % 100);
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        if (w < (unsigned)calls[i].weight)
            return &calls[i];
        w -= (unsigned)calls[i].weight;
    }
    return &calls[0];
}

/* requestParameters, and the resources list with its leading comma, of
 * record i making call c. */
static void call_parts(const struct call *c, uint64_t i, const char *region, char *params,
                       size_t np, char *res, size_t nr)
{
    unsigned b = (unsigned)(i % 300);
    res[0] = '\0';
    switch (c->res) {
    case RES_S3:
        snprintf(params, np, "{\"bucketName\":\"bucket-%u\",\"key\":\"reports/2024/05/%" PRIu64
                 ".parquet\",\"Host\":\"bucket-%u.s3.%s.amazonaws.com\"}", b, i, b, region);
        snprintf(res, nr, ",\"resources\":[{\"type\":\"AWS::S3::Object\",\"ARN\":"
                 "\"arn:aws:s3:::bucket-%u/reports/2024/05/%" PRIu64 ".parquet\"},{\"accountId\":"
                 "\"123456789012\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::bucket-%u\"}]",
                 b, i, b);
        break;
    case RES_KMS:
        snprintf(params, np, "{\"encryptionContext\":{\"aws:lambda:FunctionArn\":"
                 "\"arn:aws:lambda:%s:123456789012:function:fn-%u\"},\"encryptionAlgorithm\":"
                 "\"SYMMETRIC_DEFAULT\"}", region, b);
        snprintf(res, nr, ",\"resources\":[{\"accountId\":\"123456789012\",\"type\":"
                 "\"AWS::KMS::Key\",\"ARN\":\"arn:aws:kms:%s:123456789012:key/%08x-0000-4000-8000-"
                 "%012x\"}]", region, b, b);
        break;
    case RES_ROLE:
        snprintf(params, np, "{\"roleArn\":\"arn:aws:iam::123456789012:role/role-%u\","
                 "\"roleSessionName\":\"session-%" PRIu64 "\",\"durationSeconds\":3600}", b, i % 7);
        snprintf(res, nr, ",\"resources\":[{\"accountId\":\"123456789012\",\"type\":"
                 "\"AWS::IAM::Role\",\"ARN\":\"arn:aws:iam::123456789012:role/role-%u\"}]", b);
        break;
    default:
        snprintf(params, np, "{\"maxResults\":1000,\"filterSet\":{\"items\":[{\"name\":"
                 "\"tag:team\",\"valueSet\":{\"items\":[{\"value\":\"payments-%u\"}]}}]}}", b);
        break;
    }
}

static void generate(rip_buf *out, uint64_t n)
{
    static const char *const regions[] = { "us-east-1", "us-east-1", "us-west-2", "eu-west-1",
                                           "ap-southeast-2", "eu-central-1" };
    const int64_t t0 = 1714521600000000000;   /* 2024-05-01T00:00:00Z */
    for (uint64_t i = 0; i < n; i++) {
        char tbuf[RIP_TIME_FMT_MAX], key[32], ip[32], ident[900], err[200] = "";
        char params[400], res[400];
        int64_t t = t0 + (int64_t)(i * 2592000ull / n) * 1000000000ll + (int64_t)(next_rand() % 1000) * 1000000;
        const struct call *c = pick_call();
        const char *region = regions[next_rand() % 6];
        call_parts(c, i, region, params, sizeof(params), res, sizeof(res));
        ip_of(ip, sizeof(ip), skewed(N_IPS));
        if (next_rand() % 3) {
            unsigned u = skewed(N_USERS);
            key_of(key, sizeof(key), u, (unsigned)(next_rand() % N_KEYS_PER_USER));
            snprintf(ident, sizeof(ident),
                     "{\"type\":\"IAMUser\",\"principalId\":\"AIDA%016u\",\"arn\":"
                     "\"arn:aws:iam::123456789012:user/user-%u\",\"accountId\":\"123456789012\","
                     "\"accessKeyId\":\"%s\",\"userName\":\"user-%u\"}",
                     u, u, key, u);
        } else {
            unsigned r = skewed(N_ROLES);
            snprintf(key, sizeof(key), "ASIA%08u%08u", r, (unsigned)(i / 3600));
            snprintf(ident, sizeof(ident),
                     "{\"type\":\"AssumedRole\",\"principalId\":\"AROA%016u:session-%u\","
                     "\"arn\":\"arn:aws:sts::123456789012:assumed-role/role-%u/session-%u\","
                     "\"accountId\":\"123456789012\",\"accessKeyId\":\"%s\",\"sessionContext\":"
                     "{\"sessionIssuer\":{\"type\":\"Role\",\"principalId\":\"AROA%016u\",\"arn\":"
                     "\"arn:aws:iam::123456789012:role/role-%u\",\"accountId\":\"123456789012\","
                     "\"userName\":\"role-%u\"},\"attributes\":{\"creationDate\":"
                     "\"2024-05-01T00:00:00Z\",\"mfaAuthenticated\":\"false\"}}}",
                     r, r % 7, r, r % 7, key, r, r, r);
        }
        if (next_rand() % 20 == 0)
            snprintf(err, sizeof(err),
                     "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"User is not authorized to"
                     " perform: %s\",", c->name);
        rip_buf_addf(out,
            "{\"eventVersion\":\"1.09\",\"userIdentity\":%s,\"eventTime\":\"%s\","
            "\"eventSource\":\"%s\",\"eventName\":\"%s\",\"awsRegion\":\"%s\","
            "\"sourceIPAddress\":\"%s\",\"userAgent\":\"aws-cli/2.15.%u Python/3.11.6 Linux/6.1"
            " exe/x86_64.amzn.2023 prompt/off command/%s\",%s\"requestParameters\":%s,"
            "\"responseElements\":null,\"additionalEventData\":{\"bytesTransferredIn\":0,"
            "\"bytesTransferredOut\":%u},\"requestID\":\"%016" PRIX64 "\",\"eventID\":"
            "\"%08" PRIx64 "-%04x-4%03x-8%03x-%012" PRIx64 "\",\"readOnly\":%s%s,"
            "\"eventType\":\"AwsApiCall\",\"managementEvent\":%s,"
            "\"recipientAccountId\":\"123456789012\",\"eventCategory\":\"%s\",\"tlsDetails\":"
            "{\"tlsVersion\":\"TLSv1.3\",\"cipherSuite\":\"TLS_AES_128_GCM_SHA256\","
            "\"clientProvidedHostHeader\":\"%.*s.%s.amazonaws.com\"}}\n",
            ident, rip_time_format(t, tbuf), c->src, c->name, region, ip,
            (unsigned)(i % 30), c->name, err, params, (unsigned)(next_rand() % 100000), next_rand(),
            next_rand() & 0xffffffffu, (unsigned)(next_rand() & 0xffff), (unsigned)(next_rand() & 0xfff),
            (unsigned)(next_rand() & 0xfff), (uint64_t)(next_rand() & 0xffffffffffffull),
            c->ro ? "true" : "false", res, c->res == RES_S3 ? "false" : "true",
            c->res == RES_S3 ? "Data" : "Management", (int)(strchr(c->src, '.') - c->src), c->src, region);
    }
}

/* ---- rows: decoded events copied out of the decoder ---- */

typedef struct row {
    rip_event ev;
    rip_json_node raw;   /* an OBJECT node whose text is the copied record */
} row;

typedef struct rows {
    row *v;
    size_t n, alloc;
    rip_arena arena;
} rows;

static rip_slice dup_slice(rip_arena *a, rip_slice s)
{
    if (!s.ptr)
        return s;
    char *p = rip_arena_strndup(a, s.ptr, s.len);
    if (!p)
        abort();
    return (rip_slice){ p, s.len };
}

static int keep_row(void *ud, const rip_event *ev)
{
    rows *r = ud;
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? 2 * r->alloc : 1 << 16;
        r->v = realloc(r->v, r->alloc * sizeof(*r->v));
        if (!r->v)
            abort();
    }
    row *w = &r->v[r->n++];
    rip_arena *a = &r->arena;
    rip_event *e = &w->ev;
    *e = *ev;
    e->id = dup_slice(a, ev->id);
    e->account = dup_slice(a, ev->account);
    e->region = dup_slice(a, ev->region);
    e->actor.type = dup_slice(a, ev->actor.type);
    e->actor.arn = dup_slice(a, ev->actor.arn);
    e->actor.principal_id = dup_slice(a, ev->actor.principal_id);
    e->actor.user = dup_slice(a, ev->actor.user);
    e->actor.access_key = dup_slice(a, ev->actor.access_key);
    e->actor.session_issuer = dup_slice(a, ev->actor.session_issuer);
    e->action.service = dup_slice(a, ev->action.service);
    e->action.name = dup_slice(a, ev->action.name);
    e->action.error_code = dup_slice(a, ev->action.error_code);
    e->action.error_message = dup_slice(a, ev->action.error_message);
    e->source.ip = dup_slice(a, ev->source.ip);
    e->source.user_agent = dup_slice(a, ev->source.user_agent);
    e->detail_type = dup_slice(a, ev->detail_type);
    memset(&e->finding, 0, sizeof(e->finding));
    e->resources = NULL;
    if (ev->nresources) {
        e->resources = rip_arena_alloc(a, ev->nresources * sizeof(rip_resource));
        if (!e->resources)
            abort();
        for (uint32_t i = 0; i < ev->nresources; i++) {
            e->resources[i].type = dup_slice(a, ev->resources[i].type);
            e->resources[i].id = dup_slice(a, ev->resources[i].id);
            e->resources[i].arn = dup_slice(a, ev->resources[i].arn);
        }
    }
    rip_slice raw = dup_slice(a, rip_json_text(ev->raw));
    w->raw = (rip_json_node){ .ptr = raw.ptr, .len = (uint32_t)raw.len, .skip = 1,
                              .type = RIP_JSON_OBJECT };
    e->doc = NULL;
    e->raw = NULL;   /* set once r->v stops moving: fix_rows() */
    e->envelope = NULL;
    return 0;
}

static void fix_rows(rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        r->v[i].ev.raw = &r->v[i].raw;
}

/* ---- the plain loader ---- */

/* The store's rule for event_resources.arn_indexed (store-sqlite.c
 * arn_indexed(), migration 10): 1 when the ARN does not end with '/' or ':'
 * followed by the resource id. */
static int arn_indexed(rip_slice id, rip_slice arn)
{
    if (!arn.ptr)
        return 0;
    if (!id.ptr || arn.len <= id.len)
        return 1;
    char sep = arn.ptr[arn.len - id.len - 1];
    return (sep != '/' && sep != ':') ||
           (id.len && memcmp(arn.ptr + arn.len - id.len, id.ptr, id.len) != 0);
}

static int plain_load(const char *path, const rows *r, const char *pre_sql, double *secs,
                      char *cost, size_t costlen)
{
    rip_store *st = NULL;
    rip_store_error err;
    sqlite3 *db = NULL;
    sqlite3_stmt *ev = NULL, *raw = NULL, *res = NULL;
    int rc = rip_store_open(path, NULL, &st, &err);   /* the same schema */
    if (rc) {
        fprintf(stderr, "ingest-bench: %s: %s\n", path, err.msg);
        return rc;
    }
    rip_store_close(st);
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        /* The store writer's own settings (store-sqlite.c: 512 MiB cache,
         * 2 GiB map, checkpoint at 1 GiB of WAL), so the plain loader is
         * not handicapped by spilling its cache. */
        sqlite3_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
                         " PRAGMA cache_size = -524288; PRAGMA mmap_size = 2147483648;"
                         " PRAGMA wal_autocheckpoint = 65536;",
                     NULL, NULL, NULL) != SQLITE_OK ||
        (pre_sql && sqlite3_exec(db, pre_sql, NULL, NULL, NULL) != SQLITE_OK) ||
        sqlite3_prepare_v2(db,
            "INSERT INTO events (cloud, provider_id, time_ns, time, kind, format, account, region,"
            " actor_type, actor_arn, principal_id, user_name, access_key, session_issuer, mfa,"
            " service, action, read_only, error_code, error_message, source_ip, user_agent,"
            " detail_type, finding_type, finding_severity, finding_severity_label, finding_title,"
            " ingested_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
            " ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, NULL, NULL, NULL, NULL,"
            " ?25)", -1, &ev, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO event_raw (event_id, raw, envelope)"
                               " VALUES (?1, ?2, NULL)", -1, &raw, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO event_resources (event_id, position, type,"
                               " resource_id, arn, arn_indexed) VALUES (?1, ?2, ?3, ?4, ?5,"
                               " ?6)",
                           -1, &res, NULL) != SQLITE_OK) {
        fprintf(stderr, "ingest-bench: plain loader: %s\n", sqlite3_errmsg(db));
        rc = RIP_EIO;
        goto out;
    }
#define BIND(i, s) ((s).ptr ? sqlite3_bind_text(ev, i, (s).ptr, (int)(s).len, SQLITE_STATIC) \
                            : sqlite3_bind_null(ev, i))
#define BINDR(i, s) ((s).ptr ? sqlite3_bind_text(res, i, (s).ptr, (int)(s).len, SQLITE_STATIC) \
                             : sqlite3_bind_null(res, i))
    meter m0 = meter_now();
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    for (size_t i = 0; i < r->n; i++) {
        const rip_event *e = &r->v[i].ev;
        char tbuf[RIP_TIME_FMT_MAX];
        sqlite3_bind_text(ev, 1, rip_cloud_name(e->cloud), -1, SQLITE_STATIC);
        BIND(2, e->id);
        sqlite3_bind_int64(ev, 3, e->time_ns);
        sqlite3_bind_text(ev, 4, rip_time_format(e->time_ns, tbuf), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ev, 5, rip_event_kind_name(e->kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(ev, 6, rip_format_name(e->format), -1, SQLITE_STATIC);
        BIND(7, e->account);
        BIND(8, e->region);
        BIND(9, e->actor.type);
        BIND(10, e->actor.arn);
        BIND(11, e->actor.principal_id);
        BIND(12, e->actor.user);
        BIND(13, e->actor.access_key);
        BIND(14, e->actor.session_issuer);
        if (e->actor.mfa < 0)
            sqlite3_bind_null(ev, 15);
        else
            sqlite3_bind_int(ev, 15, e->actor.mfa);
        BIND(16, e->action.service);
        BIND(17, e->action.name);
        if (e->action.read_only < 0)
            sqlite3_bind_null(ev, 18);
        else
            sqlite3_bind_int(ev, 18, e->action.read_only);
        BIND(19, e->action.error_code);
        BIND(20, e->action.error_message);
        BIND(21, e->source.ip);
        BIND(22, e->source.user_agent);
        BIND(23, e->detail_type);
        sqlite3_bind_int64(ev, 25, 1);
        if (sqlite3_step(ev) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(ev);
        sqlite3_int64 id = sqlite3_last_insert_rowid(db);
        rip_slice text = rip_json_text(e->raw);
        sqlite3_bind_int64(raw, 1, id);
        sqlite3_bind_text(raw, 2, text.ptr, (int)text.len, SQLITE_STATIC);
        if (sqlite3_step(raw) != SQLITE_DONE)
            goto fail;
        sqlite3_reset(raw);
        for (uint32_t k = 0; k < e->nresources; k++) {
            sqlite3_bind_int64(res, 1, id);
            sqlite3_bind_int64(res, 2, k);
            BINDR(3, e->resources[k].type);
            BINDR(4, e->resources[k].id);
            BINDR(5, e->resources[k].arn);
            if (arn_indexed(e->resources[k].id, e->resources[k].arn))
                sqlite3_bind_int(res, 6, 1);
            else
                sqlite3_bind_null(res, 6);
            if (sqlite3_step(res) != SQLITE_DONE)
                goto fail;
            sqlite3_reset(res);
        }
    }
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    *secs = now_s() - m0.wall;
    meter_fmt(cost, costlen, &m0, r->n);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "ingest-bench: plain loader: %s\n", sqlite3_errmsg(db));
    rc = RIP_EIO;
out:
    sqlite3_finalize(ev);
    sqlite3_finalize(raw);
    sqlite3_finalize(res);
    sqlite3_close(db);
    return rc;
}

/* ---- the store ---- */

typedef struct acks {
    uint64_t calls, last;
} acks;

static void count_ack(void *ud, uint64_t durable)
{
    acks *a = ud;
    a->calls++;
    a->last = durable;
}

static int store_load(const char *path, const rows *r, double *secs, acks *a, char *cost,
                      size_t costlen)
{
    rip_store *st = NULL;
    rip_store_error err;
    rip_store_options o;
    rip_store_options_init(&o);
    o.on_durable = count_ack;
    o.ud = a;
    int rc = rip_store_open(path, &o, &st, &err);
    if (rc) {
        fprintf(stderr, "ingest-bench: %s: %s\n", path, err.msg);
        return rc;
    }
    meter m0 = meter_now();
    for (size_t i = 0; i < r->n && rc == 0; i++)
        rc = rip_store_put_event(st, &r->v[i].ev, NULL);
    if (rc == 0)
        rc = rip_store_flush(st);
    *secs = now_s() - m0.wall;
    meter_fmt(cost, costlen, &m0, r->n);
    if (rc)
        fprintf(stderr, "ingest-bench: store: %s\n", rip_store_errmsg(st));
    rip_store_close(st);
    return rc;
}

typedef struct e2e {
    rip_store *st;
    int rc;
} e2e;

static int e2e_put(void *ud, const rip_event *ev)
{
    e2e *c = ud;
    c->rc = rip_store_put_event(c->st, ev, NULL);
    return c->rc;
}

/* Decodes the log in pieces of about 16 MB cut at line ends, as files
 * would come (one buffer may not exceed the JSON size limit). */
static int decode_all(rip_decoder *dec, const rip_buf *log)
{
    size_t off = 0;
    while (off < log->len) {
        size_t end = off + ((size_t)16 << 20);
        if (end >= log->len) {
            end = log->len;
        } else {
            const char *nl = memchr(log->ptr + end, '\n', log->len - end);
            end = nl ? (size_t)(nl - log->ptr) + 1 : log->len;
        }
        int rc = rip_decode_buffer(dec, "bench.jsonl", log->ptr + off, end - off);
        if (rc)
            return rc;
        off = end;
    }
    return 0;
}

/* ---- investigate queries ---- */

static int count_row(void *ud, const rip_store_event_row *r)
{
    (void)r;
    ++*(uint64_t *)ud;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* nq queries by key by: all of an entity's rows oldest first (limit 0), or
 * its most recent page of limit rows, as `riposte investigate` shows first. */
static void bench_queries(rip_store *st, rip_store_key by, unsigned nq, uint64_t limit,
                          const char *pass)
{
    double *lat = calloc(nq, sizeof(double));
    uint64_t rows_total = 0, rows_max = 0;
    char value[128];
    if (!lat)
        abort();
    for (unsigned i = 0; i < nq; i++) {
        switch (by) {
        case RIP_STORE_BY_ACCESS_KEY:
            key_of(value, sizeof(value), (unsigned)(next_rand() % N_USERS),
                   (unsigned)(next_rand() % N_KEYS_PER_USER));
            break;
        case RIP_STORE_BY_PRINCIPAL:
            if (i % 2)
                snprintf(value, sizeof(value), "arn:aws:iam::123456789012:user/user-%u",
                         (unsigned)(next_rand() % N_USERS));
            else
                snprintf(value, sizeof(value), "arn:aws:iam::123456789012:role/role-%u",
                         (unsigned)(next_rand() % N_ROLES));
            break;
        default:
            ip_of(value, sizeof(value), (unsigned)(next_rand() % N_IPS));
            break;
        }
        rip_store_query q = { .by = by, .value = value, .limit = limit,
                              .newest_first = limit != 0 };
        uint64_t n = 0;
        double t0 = now_s();
        if (rip_store_query_events(st, &q, count_row, &n) != 0)
            fprintf(stderr, "ingest-bench: query: %s\n", rip_store_errmsg(st));
        lat[i] = (now_s() - t0) * 1e3;
        rows_total += n;
        if (n > rows_max)
            rows_max = n;
    }
    qsort(lat, nq, sizeof(double), cmp_double);
    char what[40];
    if (limit)
        snprintf(what, sizeof(what), "newest %" PRIu64, limit);
    else
        snprintf(what, sizeof(what), "all rows");
    printf("investigate by %-10s %-11s %-4s p50 %7.3f ms  p99 %7.3f ms  max %7.3f ms"
           "   (%u queries, %.0f rows per query on average, %" PRIu64 " at most)\n",
           rip_store_key_name(by), what, pass, lat[nq / 2], lat[(size_t)(nq * 0.99)], lat[nq - 1], nq,
           (double)rows_total / nq, rows_max);
    free(lat);
}

/* Whether name is one of the comma-separated steps. */
static int want(const char *steps, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = steps; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return 1;
        p += len + (end != NULL);
    }
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = 1000000;
    unsigned nq = 1000;
    const char *dir = NULL;
    const char *steps = "plain,bound,store,e2e,queries";
    const char *pre_sql[16] = { NULL };
    size_t npre = 0;
    int opt, queries_only = 0;
    while ((opt = getopt(argc, argv, "n:q:d:Qo:x:")) != -1) {
        switch (opt) {
        case 'Q': queries_only = 1; break;
        case 'o': steps = optarg; break;
        case 'x':
            if (npre == sizeof(pre_sql) / sizeof(pre_sql[0])) {
                fprintf(stderr, "ingest-bench: at most %zu -x\n", npre);
                return 2;
            }
            pre_sql[npre++] = optarg;
            break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 'q': nq = (unsigned)strtoul(optarg, NULL, 10); break;
        case 'd': dir = optarg; break;
        default:
            fprintf(stderr, "usage: ingest-bench [-n EVENTS] [-q QUERIES] [-d DIR] [-Q] [-o STEPS] [-x SQL]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char tmpl[] = "/tmp/riposte-ingest-bench-XXXXXX";
    if (!dir && !(dir = mkdtemp(tmpl))) {
        perror("mkdtemp");
        return 1;
    }
    char plain_db[600], bound_db[600], store_db[600], e2e_db[600];
    snprintf(plain_db, sizeof(plain_db), "%s/plain.db", dir);
    snprintf(bound_db, sizeof(bound_db), "%s/bound.db", dir);
    snprintf(store_db, sizeof(store_db), "%s/store.db", dir);
    snprintf(e2e_db, sizeof(e2e_db), "%s/e2e.db", dir);

    if (queries_only && dir)
        goto queries;
    rip_buf log = RIP_BUF_INIT;
    double t = now_s();
    generate(&log, n);
    printf("generated %" PRIu64 " CloudTrail records, %.0f bytes each on average, in %.1f s (%s)\n",
           n, (double)log.len / (double)n, now_s() - t, dir);

    rows r = { 0 };
    rip_arena_init(&r.arena, 0);
    rip_decoder dec;
    rip_decoder_init(&dec, keep_row, NULL, &r, NULL);
    t = now_s();
    decode_all(&dec, &log);
    double dsecs = now_s() - t;
    rip_decoder_release(&dec);
    fix_rows(&r);
    printf("decode only:          %9.0f events/s  (%" PRIu64 " events, %" PRIu64 " errors)\n",
           (double)r.n / dsecs, dec.stats.decoded, dec.stats.errors);

    double plain_s = 0, store_s = 0;
    char cost[200];
    acks a = { 0 };
    if (want(steps, "plain")) {
        /* One load per -x variant (or one plain load), each into a new file. */
        for (size_t k = 0; k < (npre ? npre : 1); k++) {
            static const char *const sfx[] = { "", "-wal", "-shm" };
            for (size_t j = 0; j < 3; j++) {
                char p[620];
                snprintf(p, sizeof(p), "%s%s", plain_db, sfx[j]);
                unlink(p);
            }
            if (plain_load(plain_db, &r, pre_sql[k], &plain_s, cost, sizeof(cost)) != 0)
                return 1;
            printf("plain loader:         %9.0f events/s  (%s; one INSERT per table,"
                   " one transaction, no acks)%s%s\n", (double)r.n / plain_s, cost,
                   pre_sql[k] ? " after " : "", pre_sql[k] ? pre_sql[k] : "");
        }
    }
    if (want(steps, "bound")) {
        /* What SQLite itself can do with these rows and this schema on
         * this machine, durability aside: the plain load again with no
         * journal and no sync (and its 512 MiB cache, measured faster here
         * than one that holds the whole database, whose pages are then
         * faulted in and written out besides). No durable loader can be
         * faster; it is printed so that the 50k events/s target of issue 4
         * can be read against it. The file is removed at once (it would
         * hold 2 GB for the rest of the run). */
        double bound_s = 0;
        if (plain_load(bound_db, &r, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;",
                       &bound_s, cost, sizeof(cost)) != 0)
            return 1;
        unlink(bound_db);
        printf("bound (no journal):   %9.0f events/s  (%s; the plain loader with journal_mode=OFF,"
               " synchronous=OFF: nothing durable)\n", (double)r.n / bound_s, cost);
    }
    if (want(steps, "store")) {
        if (store_load(store_db, &r, &store_s, &a, cost, sizeof(cost)) != 0)
            return 1;
        printf("store (group commit): %9.0f events/s  (%s; %" PRIu64
               " commits acknowledged, up to seq %" PRIu64 ")\n",
               (double)r.n / store_s, cost, a.calls, a.last);
    }
    if (plain_s > 0 && store_s > 0)
        printf("ratio store / plain:  %9.2f\n", plain_s / store_s);

    /* End to end, as `riposte ingest` runs: decode and store. */
    if (want(steps, "e2e")) {
        rip_store_error err;
        e2e c = { 0 };
        if (rip_store_open(e2e_db, NULL, &c.st, &err) != 0) {
            fprintf(stderr, "ingest-bench: %s: %s\n", e2e_db, err.msg);
            return 1;
        }
        rip_decoder_init(&dec, e2e_put, NULL, &c, NULL);
        meter m0 = meter_now();
        decode_all(&dec, &log);
        int rc = c.rc ? c.rc : rip_store_flush(c.st);
        double secs = now_s() - m0.wall;
        printf("decode + store:       %9.0f events/s  (%s%s)\n",
               (double)dec.stats.decoded / secs,
               meter_fmt(cost, sizeof(cost), &m0, dec.stats.decoded), rc ? "; FAILED" : "");
        rip_decoder_release(&dec);
        rip_store_close(c.st);
    }
    rip_buf_release(&log);
    rip_arena_release(&r.arena);
    free(r.v);

queries:
    if (!want(steps, "queries"))
        return 0;
    rip_store_options ro;
    rip_store_options_init(&ro);
    ro.read_only = 1;
    rip_store *st = NULL;
    rip_store_error err;
    if (rip_store_open(store_db, &ro, &st, &err) != 0) {
        fprintf(stderr, "ingest-bench: %s: %s\n", store_db, err.msg);
        return 1;
    }
    /* A first page of the newest INVESTIGATE_PAGE rows: in a process that has
     * not read the file yet (cold: its memory map and page cache fill as it
     * goes), then again (warm); then every row of each entity, warm. */
    static const struct { uint64_t limit; const char *pass; } runs[] = {
        { INVESTIGATE_PAGE, "cold" }, { INVESTIGATE_PAGE, "warm" }, { 0, "warm" },
    };
    for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
        bench_queries(st, RIP_STORE_BY_ACCESS_KEY, nq, runs[k].limit, runs[k].pass);
        bench_queries(st, RIP_STORE_BY_PRINCIPAL, nq, runs[k].limit, runs[k].pass);
        bench_queries(st, RIP_STORE_BY_SOURCE_IP, nq, runs[k].limit, runs[k].pass);
    }
    rip_store_close(st);
    return 0;
}
