/* test-investigate.c — `riposte investigate` as a user runs it (the real
 * binary, RIPOSTE_EXE, over events stored with `riposte ingest`), and the
 * analysis underneath (cli/investigate.h) fed rows directly: sessions split
 * on gaps, what an entity left behind, each selector, --since/--until,
 * exit codes, terminal safety. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/investigate.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define KEY "AKIATESTKEY000000001"
#define ARN "arn:aws:iam::111122223333:user/mallory"
#define IP "203.0.113.9"

static char tmpdir[256];
static char db[512];

static int run(const char *cmd, rip_buf *out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        if (out)
            rip_buf_add(out, buf, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int investigate(rip_buf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int investigate(rip_buf *out, const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s investigate --db %s %s 2>/dev/null", RIPOSTE_EXE, db, args);
    if (out)
        rip_buf_reset(out);
    return run(cmd, out);
}

/* One CloudTrail record by mallory's key. extra is spliced in as members
 * (requestParameters, responseElements, errorCode, resources...). */
static void record(FILE *f, const char *id, const char *time, const char *source,
                   const char *name, const char *account, const char *region, const char *extra)
{
    fprintf(f,
            "{\"eventVersion\":\"1.08\",\"eventID\":\"%s\",\"eventTime\":\"%s\","
            "\"eventSource\":\"%s\",\"eventName\":\"%s\",\"awsRegion\":\"%s\","
            "\"recipientAccountId\":\"%s\",\"sourceIPAddress\":\"" IP "\","
            "\"userAgent\":\"aws-cli/2.15.0 Python/3.11\","
            "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"" ARN "\",\"userName\":\"mallory\","
            "\"accountId\":\"111122223333\",\"accessKeyId\":\"" KEY "\"}%s%s}\n",
            id, time, source, name, region, account, extra ? "," : "", extra ? extra : "");
}

static void write_events(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    /* Session 1: 10:00 to 10:25, two accounts and regions. */
    record(f, "e01", "2024-03-01T10:00:00Z", "iam.amazonaws.com", "ListUsers", "111122223333",
           "us-east-1", "\"readOnly\":true");
    record(f, "e02", "2024-03-01T10:05:00Z", "iam.amazonaws.com", "CreateUser", "111122223333",
           "us-east-1",
           "\"requestParameters\":{\"userName\":\"backdoor\"},"
           "\"responseElements\":{\"user\":{\"userName\":\"backdoor\","
           "\"arn\":\"arn:aws:iam::111122223333:user/backdoor\"}}");
    record(f, "e03", "2024-03-01T10:06:00Z", "iam.amazonaws.com", "CreateAccessKey", "111122223333",
           "us-east-1",
           "\"requestParameters\":{\"userName\":\"backdoor\"},"
           "\"responseElements\":{\"accessKey\":{\"accessKeyId\":\"AKIANEWBACKDOORKEY01\","
           "\"status\":\"Active\",\"userName\":\"backdoor\"}}");
    record(f, "e04", "2024-03-01T10:07:00Z", "iam.amazonaws.com", "AttachUserPolicy",
           "111122223333", "us-east-1",
           "\"requestParameters\":{\"userName\":\"backdoor\","
           "\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"}");
    record(f, "e05", "2024-03-01T10:10:00Z", "iam.amazonaws.com", "CreateLoginProfile",
           "111122223333", "us-east-1",
           "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"not authorized\","
           "\"requestParameters\":{\"userName\":\"admin\"}");
    record(f, "e06", "2024-03-01T10:20:00Z", "ec2.amazonaws.com", "RunInstances", "444455556666",
           "eu-west-1",
           "\"requestParameters\":{\"instanceType\":\"p3.16xlarge\"},"
           "\"responseElements\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0aaa\"},"
           "{\"instanceId\":\"i-0bbb\"}]}}");
    record(f, "e07", "2024-03-01T10:25:00Z", "ec2.amazonaws.com", "CreateKeyPair", "444455556666",
           "eu-west-1",
           "\"requestParameters\":{\"keyName\":\"evil\"},"
           "\"responseElements\":{\"keyName\":\"evil\",\"keyFingerprint\":\"aa:bb\"}");
    /* Session 2: 11:00 (a 35-minute pause) to 11:30; the last event comes
     * exactly 30 minutes after the one before, which does not split. */
    record(f, "e08", "2024-03-01T11:00:00Z", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
           "444455556666", "eu-west-1",
           "\"requestParameters\":{\"groupId\":\"sg-0123\"},"
           "\"responseElements\":{\"_return\":true,\"securityGroupRuleSet\":{\"items\":["
           "{\"securityGroupRuleId\":\"sgr-0777\",\"groupId\":\"sg-0123\",\"ipProtocol\":\"tcp\","
           "\"fromPort\":22,\"toPort\":22,\"cidrIpv4\":\"0.0.0.0/0\",\"isEgress\":false}]}}");
    record(f, "e09", "2024-03-01T11:00:30Z", "ec2.amazonaws.com", "ModifySnapshotAttribute",
           "444455556666", "eu-west-1",
           "\"requestParameters\":{\"snapshotId\":\"snap-0999\",\"attributeType\":"
           "\"CREATE_VOLUME_PERMISSION\",\"createVolumePermission\":{\"add\":{\"items\":"
           "[{\"userId\":\"999988887777\"}]}}}");
    record(f, "e10", "2024-03-01T11:00:40Z", "ec2.amazonaws.com", "TerminateInstances",
           "444455556666", "eu-west-1",
           "\"requestParameters\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0bbb\"}]}},"
           "\"responseElements\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0bbb\"}]}}");
    record(f, "e11", "2024-03-01T11:00:50Z", "iam.amazonaws.com", "CreateUser", "111122223333",
           "us-east-1",
           "\"errorCode\":\"EntityAlreadyExists\","
           "\"requestParameters\":{\"userName\":\"ghost\"},"
           "\"responseElements\":{\"user\":{\"userName\":\"ghost\"}}");
    record(f, "e12", "2024-03-01T11:30:50Z", "s3.amazonaws.com", "GetObject", "111122223333",
           "us-east-1",
           "\"readOnly\":true,\"resources\":[{\"type\":\"AWS::S3::Bucket\","
           "\"ARN\":\"arn:aws:s3:::evidence-bucket\"}]");
    /* Someone else, elsewhere: no selector above may find it. */
    fprintf(f,
            "{\"eventVersion\":\"1.08\",\"eventID\":\"other\",\"eventTime\":\"2024-03-01T10:30:00Z\","
            "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"ListBuckets\","
            "\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"198.51.100.1\","
            "\"userAgent\":\"evil\\u001b[31mred\\u0007\","
            "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/alice\","
            "\"accessKeyId\":\"AKIAALICE00000000001\"}}\n");
    fclose(f);
}

/* Parsed jsonl lines of one run. */
typedef struct lines {
    rip_json_doc docs[64];
    size_t n;
} lines;

static void lines_parse(lines *l, rip_buf *out)
{
    char *p = out->ptr;
    l->n = 0;
    while (*p && l->n < 64) {
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        rip_json_doc_init(&l->docs[l->n], NULL);
        if (rip_json_parse(&l->docs[l->n], p, (size_t)(nl - p), NULL) == 0)
            l->n++;
        else
            rip_json_doc_release(&l->docs[l->n]);
        p = nl + 1;
    }
}

static void lines_release(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        rip_json_doc_release(&l->docs[i]);
    l->n = 0;
}

static size_t count_type(lines *l, const char *type)
{
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        n += rip_json_str_eq(rip_json_get(rip_json_root(&l->docs[i]), "type"), type);
    return n;
}

static const rip_json_node *find_line(lines *l, const char *type, const char *key,
                                      const char *value)
{
    for (size_t i = 0; i < l->n; i++) {
        const rip_json_node *r = rip_json_root(&l->docs[i]);
        if (rip_json_str_eq(rip_json_get(r, "type"), type) &&
            (!key || rip_json_str_eq(rip_json_get(r, key), value)))
            return r;
    }
    return NULL;
}

static int64_t num(const rip_json_node *n, const char *key)
{
    int64_t v = -1;
    rip_json_i64(rip_json_path(n, key), &v);
    return v;
}

static void test_cli(void)
{
    char path[512], cmd[2048];
    rip_buf out = RIP_BUF_INIT;
    lines l = { 0 };
    int rc;

    snprintf(path, sizeof(path), "%s/trail.jsonl", tmpdir);
    snprintf(db, sizeof(db), "%s/inv.db", tmpdir);
    write_events(path);
    snprintf(cmd, sizeof(cmd), "%s ingest --db %s %s 2>&1", RIPOSTE_EXE, db, path);
    rc = run(cmd, &out);
    if (!CHECK(rc == 0, "riposte ingest stores the generated events (exit %d)", rc)) {
        tap_diag("%s", out.ptr);
        return;
    }

    /* By access key, jsonl. */
    rc = investigate(&out, "--access-key " KEY " --format jsonl");
    CHECK(rc == 0, "--access-key with events exits 0 (got %d)", rc);
    lines_parse(&l, &out);
    const rip_json_node *top = find_line(&l, "investigation", NULL, NULL);
    CHECK(top && num(top, "events") == 12 && num(top, "sessions") == 2,
          "the key made 12 calls in 2 sessions (got %lld in %lld)",
          (long long)(top ? num(top, "events") : -1), (long long)(top ? num(top, "sessions") : -1));
    CHECK(top && rip_json_str_eq(rip_json_get(top, "by"), "access_key") &&
              rip_json_str_eq(rip_json_get(top, "first_seen"), "2024-03-01T10:00:00Z") &&
              rip_json_str_eq(rip_json_get(top, "last_seen"), "2024-03-01T11:30:50Z"),
          "first and last seen span both sessions");
    CHECK(top && num(top, "accounts.111122223333") == 7 && num(top, "accounts.444455556666") == 5 &&
              num(top, "regions.eu-west-1") == 5 && num(top, "regions.us-east-1") == 7,
          "accounts and regions are counted across both");
    const rip_json_node *s1 = find_line(&l, "session", NULL, NULL);
    CHECK(s1 && num(s1, "session") == 1 && num(s1, "events") == 7 && num(s1, "errors") == 1 &&
              num(s1, "error_codes.AccessDenied") == 1 &&
              rip_json_str_eq(rip_json_get(s1, "last_seen"), "2024-03-01T10:25:00Z"),
          "session 1: 7 events to 10:25, one AccessDenied");
    CHECK(s1 && rip_json_get(rip_json_get(s1, "services"), "iam.amazonaws.com") &&
              rip_json_get(rip_json_get(s1, "services"), "ec2.amazonaws.com") &&
              rip_json_get(rip_json_get(s1, "source_ips"), IP) &&
              rip_json_get(rip_json_get(s1, "user_agents"), "aws-cli/2.15.0 Python/3.11"),
          "session 1 lists services, source IPs and user agents");
    size_t nsess = count_type(&l, "session"), nev = count_type(&l, "event");
    CHECK(nsess == 2 && nev == 12, "jsonl has 2 session lines and 12 event lines (%zu, %zu)", nsess,
          nev);
    const rip_json_node *e12 = find_line(&l, "event", "provider_id", "e12");
    CHECK(e12 && num(e12, "session") == 2,
          "an event exactly 30 minutes after the previous one stays in its session");

    const rip_json_node *k = find_line(&l, "left_behind", "id", "AKIANEWBACKDOORKEY01");
    CHECK(k && rip_json_str_eq(rip_json_get(k, "what"), "access key") &&
              rip_json_str_eq(rip_json_get(k, "on"), "backdoor") &&
              rip_json_str_eq(rip_json_get(k, "provider_id"), "e03"),
          "left behind: the access key created for user backdoor (from responseElements)");
    CHECK(find_line(&l, "left_behind", "id", "backdoor") != NULL, "left behind: the user backdoor");
    const rip_json_node *pol = find_line(&l, "left_behind", "what", "policy attachment");
    CHECK(pol && rip_json_str_eq(rip_json_get(pol, "id"), "arn:aws:iam::aws:policy/AdministratorAccess"),
          "left behind: AdministratorAccess attached");
    const rip_json_node *ia = find_line(&l, "left_behind", "id", "i-0aaa");
    const rip_json_node *ib = find_line(&l, "left_behind", "id", "i-0bbb");
    CHECK(ia && ib && rip_json_is(rip_json_get(ia, "removed"), RIP_JSON_NULL) &&
              rip_json_str_eq(rip_json_get(ib, "removed_by"), "TerminateInstances"),
          "both instances of RunInstances are listed; the terminated one says so");
    CHECK(find_line(&l, "left_behind", "id", "evil") != NULL, "left behind: the key pair");
    const rip_json_node *sg = find_line(&l, "left_behind", "id", "sgr-0777");
    CHECK(sg && rip_json_str_eq(rip_json_get(sg, "on"), "sg-0123") &&
              rip_json_str_eq(rip_json_get(sg, "detail"), "tcp 22 from 0.0.0.0/0"),
          "left behind: the security group rule, with what it opens");
    const rip_json_node *snap = find_line(&l, "left_behind", "id", "snap-0999");
    CHECK(snap && rip_json_str_eq(rip_json_get(snap, "on"), "999988887777"),
          "left behind: the snapshot shared with another account");
    CHECK(!find_line(&l, "left_behind", "id", "ghost") && !find_line(&l, "left_behind", "id", "admin"),
          "failed calls leave nothing behind");
    CHECK(count_type(&l, "left_behind") == 8, "8 things left behind (got %zu)",
          count_type(&l, "left_behind"));
    lines_release(&l);

    /* The text output: sessions, the pause, the to-do list. */
    rc = investigate(&out, "--access-key " KEY);
    CHECK(rc == 0 && strstr(out.ptr, "session 1 of 2") && strstr(out.ptr, "session 2 of 2") &&
              strstr(out.ptr, "AccessDenied") && strstr(out.ptr, "left behind: 7 things") &&
              strstr(out.ptr, "access key AKIANEWBACKDOORKEY01 for user backdoor") &&
              strstr(out.ptr, "removed 2024-03-01T11:00:40Z by TerminateInstances"),
          "text output shows both sessions, errors and what is left to clean up");
    if (!strstr(out.ptr, "session 2 of 2"))
        tap_diag("%s", out.ptr);

    /* Each selector. */
    rc = investigate(&out, "--principal " ARN " --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 12, "--principal finds the same 12 events");
    lines_release(&l);
    rc = investigate(&out, "--ip " IP " --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 12 &&
              rip_json_get(rip_json_get(top, "principals"), ARN),
          "--ip finds them too and names the principal");
    lines_release(&l);
    rc = investigate(&out, "--resource arn:aws:s3:::evidence-bucket --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 1 && find_line(&l, "event", "provider_id", "e12"),
          "--resource finds the one event that names the bucket");
    lines_release(&l);
    rc = investigate(&out, "--ip 198.51.100.1");
    CHECK(rc == 0 && !strchr(out.ptr, 0x1b) && !strchr(out.ptr, 0x07) &&
              strstr(out.ptr, "evil?[31mred?"),
          "control bytes from a record are shown as '?' in text output");

    /* --since / --until. */
    rc = investigate(&out, "--access-key " KEY " --since 2024-03-01T10:50:00Z --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 5 && num(top, "sessions") == 1,
          "--since keeps session 2 only (5 events)");
    CHECK(!find_line(&l, "left_behind", "id", "AKIANEWBACKDOORKEY01") &&
              find_line(&l, "left_behind", "id", "sgr-0777"),
          "what is left behind follows the window");
    lines_release(&l);
    rc = investigate(&out, "--access-key " KEY " --until 2024-03-01T10:06:00Z --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 2, "--until is exclusive (2 events before 10:06)");
    lines_release(&l);
    rc = investigate(&out, "--access-key " KEY " --since 2024-03-01 --until 2024-03-02 --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 12, "dates alone are midnight UTC");
    lines_release(&l);

    /* --limit: the newest page, oldest first, and --before the next one. */
    rc = investigate(&out, "--access-key " KEY " --limit 5 --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    const rip_json_node *nb = top ? rip_json_get(top, "next_before") : NULL;
    char before[64] = "";
    if (nb && rip_json_is(nb, RIP_JSON_STRING))
        snprintf(before, sizeof(before), "%.*s", (int)rip_json_text(nb).len - 2,
                 rip_json_text(nb).ptr + 1);
    CHECK(rc == 0 && top && num(top, "events") == 5 && before[0] &&
              rip_json_str_eq(rip_json_get(top, "first_seen"), "2024-03-01T11:00:00Z") &&
              rip_json_str_eq(rip_json_get(top, "last_seen"), "2024-03-01T11:30:50Z") &&
              find_line(&l, "event", "provider_id", "e08") &&
              !find_line(&l, "event", "provider_id", "e07"),
          "--limit 5 shows the newest 5 events (e08..e12) and a cursor (%s)", before);
    lines_release(&l);
    char args[200];
    snprintf(args, sizeof(args), "--access-key " KEY " --limit 5 --before %s --format jsonl",
             before);
    rc = investigate(&out, "%s", args);
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 5 &&
              find_line(&l, "event", "provider_id", "e03") &&
              find_line(&l, "event", "provider_id", "e07") &&
              !find_line(&l, "event", "provider_id", "e08") &&
              !rip_json_is(rip_json_get(top, "next_before"), RIP_JSON_NULL),
          "--before the cursor shows the 5 before them (e03..e07)");
    lines_release(&l);
    rc = investigate(&out, "--access-key " KEY " --limit 12 --format jsonl");
    lines_parse(&l, &out);
    top = find_line(&l, "investigation", NULL, NULL);
    CHECK(rc == 0 && top && num(top, "events") == 12 &&
              rip_json_is(rip_json_get(top, "next_before"), RIP_JSON_NULL),
          "--limit as large as the history: every event, next_before null");
    lines_release(&l);
    rc = investigate(&out, "--access-key " KEY " --limit 5");
    CHECK(rc == 0 && strstr(out.ptr, "the newest 5 events only; older ones: --before "),
          "text output says how to see older events");
    rc = investigate(NULL, "--access-key " KEY " --limit 0");
    CHECK(rc == 2, "--limit 0 is a usage error (got %d)", rc);
    rc = investigate(NULL, "--access-key " KEY " --before 1:2");
    CHECK(rc == 2, "--before without --limit is a usage error (got %d)", rc);
    rc = investigate(NULL, "--access-key " KEY " --limit 5 --before x");
    CHECK(rc == 2, "a --before that is not a cursor is a usage error (got %d)", rc);

    /* Exit codes. */
    rc = investigate(NULL, "--access-key " KEY " --since 24h");
    CHECK(rc == 1, "nothing in the last 24h exits 1 (got %d)", rc);
    rc = investigate(NULL, "--access-key AKIANOBODY0000000000");
    CHECK(rc == 1, "an unknown key exits 1 (got %d)", rc);
    rc = investigate(NULL, "--access-key " KEY " --ip " IP);
    CHECK(rc == 2, "two selectors are a usage error (got %d)", rc);
    rc = investigate(NULL, "--since 1h");
    CHECK(rc == 2, "no selector is a usage error (got %d)", rc);
    rc = investigate(NULL, "--access-key " KEY " --since yesterday");
    CHECK(rc == 2, "a --since that is not a time is a usage error (got %d)", rc);
    rc = investigate(NULL, "--access-key " KEY " --format xml");
    CHECK(rc == 2, "an unknown --format is a usage error (got %d)", rc);
    snprintf(cmd, sizeof(cmd), "%s investigate --db %s/missing.db --access-key " KEY " 2>/dev/null",
             RIPOSTE_EXE, tmpdir);
    rc = run(cmd, NULL);
    CHECK(rc == 2, "a database that does not exist exits 2 (got %d)", rc);
    rip_buf_release(&out);
}

/* ---- the analysis, fed directly ---- */

static rip_store_event_row row_at(int64_t id, int64_t t, const char *action)
{
    rip_store_event_row r;
    memset(&r, 0, sizeof(r));
    r.id = id;
    r.time_ns = t;
    r.action = rip_slice_cstr(action);
    r.service = rip_slice_cstr("ec2.amazonaws.com");
    r.source_ip = rip_slice_cstr(IP);
    r.read_only = -1;
    return r;
}

static void test_unit(void)
{
    const int64_t s = 1000000000, t0 = INT64_C(1709287200) * s;
    rip_investigation inv;
    rip_inv_options opt = { 0 };
    int rc = 0;

    rip_inv_init(&inv, NULL);
    rc |= rip_inv_add(&inv, &(rip_store_event_row){ 0 });  /* no time, nothing else */
    rip_store_event_row r = row_at(1, t0, "DescribeInstances");
    rc |= rip_inv_add(&inv, &r);
    r = row_at(2, t0 + 1800 * s, "DescribeInstances");        /* exactly 30 min */
    rc |= rip_inv_add(&inv, &r);
    r = row_at(3, t0 + 3600 * s + 1, "DescribeInstances");    /* 30 min + 1 ns */
    rc |= rip_inv_add(&inv, &r);
    CHECK(rc == 0 && inv.nsessions == 2 && inv.sessions[0].sum.count == 3 &&
              inv.sessions[1].sum.count == 1,
          "a gap of exactly 30 minutes continues a session, a longer one starts a new one");
    CHECK(inv.total.first_ns == t0 && inv.total.last_ns == t0 + 3600 * s + 1,
          "an event without a time does not move first seen");
    rip_inv_release(&inv);

    opt.max_events = 2;
    opt.gap_ns = 60 * s;
    rip_inv_init(&inv, &opt);
    for (int i = 0; i < 5; i++) {
        r = row_at(i + 1, t0 + i * 120 * s, "RunInstances");
        rip_inv_add(&inv, &r);
    }
    CHECK(inv.nsessions == 5 && inv.nevents == 2 && inv.events_dropped == 3 &&
              inv.total.count == 5,
          "past max_events events are counted, not kept; gap_ns is honoured");
    rip_inv_release(&inv);

    /* A tally stops at RIP_INV_TALLY_MAX distinct values and counts the rest. */
    rip_inv_init(&inv, NULL);
    char ipbuf[32];
    for (int i = 0; i < RIP_INV_TALLY_MAX + 10; i++) {
        snprintf(ipbuf, sizeof(ipbuf), "10.0.%d.%d", i / 256, i % 256);
        r = row_at(i + 1, t0 + i * s, "GetObject");
        r.source_ip = rip_slice_cstr(ipbuf);
        rip_inv_add(&inv, &r);
    }
    CHECK(inv.total.source_ips.n == RIP_INV_TALLY_MAX && inv.total.source_ips.other == 10 &&
              inv.nevents == RIP_INV_TALLY_MAX + 10 &&
              !strcmp(inv.events[RIP_INV_TALLY_MAX + 5].source_ip, "10.0.0.69"),
          "a tally keeps %d values and counts the others; events keep their own values",
          RIP_INV_TALLY_MAX);

    /* A record that is not JSON names nothing. */
    r = row_at(999, t0 + 9999 * s, "CreateKeyPair");
    r.raw = rip_slice_cstr("{not json");
    CHECK(rip_inv_add(&inv, &r) == 0 && inv.nleftovers == 0, "a record that does not parse is skipped");
    rip_inv_release(&inv);
    rip_inv_release(NULL);

    /* Times as people give them. */
    int64_t ns = 0, now = t0;
    CHECK(rip_time_parse_when("24h", 3, now, &ns) == 0 && ns == now - 86400 * s, "'24h' is a day ago");
    CHECK(rip_time_parse_when("7d", 2, now, &ns) == 0 && ns == now - 7 * 86400 * s, "'7d'");
    CHECK(rip_time_parse_when("90m", 3, now, &ns) == 0 && ns == now - 5400 * s, "'90m'");
    CHECK(rip_time_parse_when("2w", 2, now, &ns) == 0 && ns == now - 14 * 86400 * s, "'2w'");
    CHECK(rip_time_parse_when("2024-03-01", 10, now, &ns) == 0 && ns == t0 - 36000 * s,
          "a date alone is midnight UTC");
    CHECK(rip_time_parse_when("2024-03-01T10:00:00Z", 20, now, &ns) == 0 && ns == t0,
          "RFC 3339 passes through");
    CHECK(rip_time_parse_when("7y", 2, now, &ns) == RIP_ESYNTAX &&
              rip_time_parse_when("h", 1, now, &ns) < 0 &&
              rip_time_parse_when("99999999999999999999d", 21, now, &ns) == RIP_ERANGE,
          "unknown units, a unit alone and overflow are refused");
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-investigate-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    test_unit();
    test_cli();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
