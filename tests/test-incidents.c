/* test-incidents.c — findings folded into incidents (src/correlate) and the
 * store's incident API (store.h "findings and incidents").
 *
 * 1. Folding, one rule at a time: each link kind joins findings, the window
 *    (from the incident's last activity) expires, a source IP alone does not
 *    link (with a role it does), a finding that ties two incidents merges
 *    them, severity is the highest, the timeline is append-only, folding the
 *    same finding twice changes nothing; merge rules from YAML; status and
 *    phase move together; GuardDuty findings pass through explained.
 * 2. The Done-when test of issue 4: every Stratus Red Team detonation in
 *    ../shared/corpus/cloudtrail/stratus_red_team/detonation-logs, ingested
 *    into one fresh database with riposte's own rules, is exactly one
 *    incident: as many incidents as techniques with findings, and no
 *    incident holds events of two technique files.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "correlate/detector.h"
#include "correlate/entity.h"
#include "correlate/explain.h"
#include "correlate/finding.h"
#include "correlate/fold.h"
#include "correlate/incident.h"
#include "detect/sigma.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "store/store.h"
#include "tap.h"
#include "util/err.h"

#define MIN ((int64_t)60 * 1000000000)
#define T0 ((int64_t)1780000000 * 1000000000)   /* 2026-05-28 */

static char tmpdir[256];
static int dbn;

static rip_store *fresh_store(char *path, size_t n)
{
    rip_store *st = NULL;
    snprintf(path, n, "%s/db-%d.db", tmpdir, ++dbn);
    if (rip_store_open(path, NULL, &st, NULL) < 0)
        return NULL;
    return st;
}

/* A finding with the given key, severity, time and entities ("kind=value"
 * strings, NULL-terminated). */
static void mk(rip_finding *f, const char *key, const char *sev, int64_t t, ...)
{
    va_list ap;
    rip_finding_init(f);
    f->key = strdup(key);
    f->source = strdup("sigma");
    f->rule_id = strdup("test-rule");
    f->title = malloc(64);
    snprintf(f->title, 64, "finding %s", key);
    f->severity = strdup(sev);
    f->time_ns = t;
    f->cloud = strdup("aws");
    va_start(ap, t);
    for (const char *e; (e = va_arg(ap, const char *)) != NULL;) {
        char kind[32];
        const char *eq = strchr(e, '=');
        rip_entity_kind k;
        snprintf(kind, sizeof(kind), "%.*s", (int)(eq - e), e);
        if (rip_entity_kind_parse(kind, &k) == 0)
            rip_entity_set_add(&f->entities, k, rip_slice_cstr(eq + 1));
    }
    va_end(ap);
}

/* Folds one finding in its own transaction; returns the incident id (0 on
 * failure or when not folded). */
static int64_t fold(rip_store *st, const rip_merge_rules *r, rip_finding *f, rip_fold_result *out)
{
    rip_fold_result res;
    int rc = rip_store_begin(st);
    if (rc == 0)
        rc = rip_fold_finding(st, r, f, 0, &res);
    if (rc == 0)
        rc = rip_store_commit(st);
    else
        rip_store_rollback(st);
    rip_finding_release(f);
    if (rc) {
        tap_diag("fold failed: %s", rip_store_errmsg(st));
        return 0;
    }
    if (out)
        *out = res;
    return res.incident_id;
}

typedef struct count_ud {
    size_t n, open;
} count_ud;

static int on_count(void *ud, const rip_store_incident_row *r)
{
    count_ud *c = ud;
    c->n++;
    if (strcmp(r->status, "merged"))
        c->open++;
    return 0;
}

static count_ud count_incidents(rip_store *st)
{
    count_ud c = { 0, 0 };
    rip_store_list_incidents(st, NULL, on_count, &c);
    return c;
}

static void test_link_kinds(void)
{
    static const char *const kinds[] = {
        "access_key=AKIAKEY1", "principal=arn:aws:iam::1:user/mallory", "instance=i-0abc",
        "bucket=loot-bucket", "security_group=sg-0123",
    };
    char path[512];
    rip_merge_rules r;
    rip_merge_rules_default(&r);
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        rip_store *st = fresh_store(path, sizeof(path));
        rip_finding a, b;
        char k1[64], k2[64];
        snprintf(k1, sizeof(k1), "k%zu-a", i);
        snprintf(k2, sizeof(k2), "k%zu-b", i);
        mk(&a, k1, "low", T0, kinds[i], "source_ip=198.51.100.1", NULL);
        mk(&b, k2, "low", T0 + 20 * MIN, kinds[i], "source_ip=198.51.100.2", NULL);
        int64_t ia = fold(st, &r, &a, NULL), ib = fold(st, &r, &b, NULL);
        CHECK(ia && ia == ib && count_incidents(st).n == 1,
              "fold: two findings sharing %s 20 minutes apart are one incident", kinds[i]);
        rip_store_close(st);
    }
}

static void test_window(void)
{
    char path[512];
    rip_merge_rules r;
    rip_merge_rules_default(&r);
    rip_store *st = fresh_store(path, sizeof(path));
    rip_finding f;
    mk(&f, "w1", "low", T0, "access_key=AKIAW", NULL);
    int64_t i1 = fold(st, &r, &f, NULL);
    mk(&f, "w2", "low", T0 + 50 * MIN, "access_key=AKIAW", NULL);
    int64_t i2 = fold(st, &r, &f, NULL);
    mk(&f, "w3", "low", T0 + 100 * MIN, "access_key=AKIAW", NULL);
    int64_t i3 = fold(st, &r, &f, NULL);
    CHECK(i1 && i1 == i2 && i2 == i3,
          "window: measured from the incident's last activity (0, 50, 100 min: one incident)");
    mk(&f, "w4", "low", T0 + 161 * MIN, "access_key=AKIAW", NULL);
    int64_t i4 = fold(st, &r, &f, NULL);
    CHECK(i4 && i4 != i3, "window: a finding 61 minutes after the last activity opens a new "
          "incident");
    mk(&f, "w5", "low", T0 - 30 * MIN, "access_key=AKIAW", NULL);
    int64_t i5 = fold(st, &r, &f, NULL);
    CHECK(i5 == i1, "window: a late finding 30 minutes before the first joins too");
    rip_store_close(st);

    st = fresh_store(path, sizeof(path));
    r.window_ns = 5 * MIN;
    mk(&f, "n1", "low", T0, "access_key=AKIAN", NULL);
    i1 = fold(st, &r, &f, NULL);
    mk(&f, "n2", "low", T0 + 10 * MIN, "access_key=AKIAN", NULL);
    i2 = fold(st, &r, &f, NULL);
    CHECK(i1 && i2 && i1 != i2, "window: a 5-minute window keeps findings 10 minutes apart apart");
    rip_store_close(st);
}

static void test_source_ip(void)
{
    char path[512];
    rip_merge_rules r;
    rip_merge_rules_default(&r);
    rip_store *st = fresh_store(path, sizeof(path));
    rip_finding f;
    mk(&f, "ip1", "low", T0, "source_ip=203.0.113.7", "access_key=AKIA1", NULL);
    int64_t i1 = fold(st, &r, &f, NULL);
    mk(&f, "ip2", "low", T0 + MIN, "source_ip=203.0.113.7", "access_key=AKIA2", NULL);
    int64_t i2 = fold(st, &r, &f, NULL);
    CHECK(i1 && i2 && i1 != i2, "source_ip: a shared IP alone does not link (NAT, VPN)");
    mk(&f, "ip3", "low", T0 + 2 * MIN, "source_ip=203.0.113.8",
       "role=arn:aws:iam::1:role/app", "principal=arn:aws:sts::1:assumed-role/app/s1", NULL);
    int64_t i3 = fold(st, &r, &f, NULL);
    mk(&f, "ip4", "low", T0 + 3 * MIN, "source_ip=203.0.113.8",
       "role=arn:aws:iam::1:role/app", "principal=arn:aws:sts::1:assumed-role/app/s2", NULL);
    int64_t i4 = fold(st, &r, &f, NULL);
    CHECK(i3 && i3 == i4 && i3 != i1 && i3 != i2,
          "source_ip: the same IP and the same role (two sessions) link");
    mk(&f, "ip5", "low", T0 + 4 * MIN, "source_ip=192.0.2.1",
       "role=arn:aws:iam::1:role/app", "principal=arn:aws:sts::1:assumed-role/app/s3", NULL);
    int64_t i5 = fold(st, &r, &f, NULL);
    CHECK(i5 && i5 != i3, "role: a role alone (a new session from elsewhere) does not link");
    CHECK(count_incidents(st).n == 4, "source_ip: 4 incidents in all");
    rip_store_close(st);
}

static int timeline_has(const rip_store_incident *inc, const char *kind, const char *needle)
{
    for (size_t i = 0; i < inc->ntimeline; i++)
        if (!strcmp(inc->timeline[i].kind, kind) && strstr(inc->timeline[i].text, needle))
            return 1;
    return 0;
}

static void test_merge_and_severity(void)
{
    char path[512];
    rip_merge_rules r;
    rip_merge_rules_default(&r);
    rip_store *st = fresh_store(path, sizeof(path));
    rip_finding f;
    rip_fold_result res;
    mk(&f, "m1", "low", T0, "access_key=AKIAA", NULL);
    int64_t a = fold(st, &r, &f, NULL);
    mk(&f, "m2", "high", T0 + MIN, "access_key=AKIAB", NULL);
    int64_t b = fold(st, &r, &f, NULL);
    CHECK(a && b && a != b, "merge: two unrelated keys are two incidents");
    mk(&f, "m3", "medium", T0 + 2 * MIN, "access_key=AKIAA", "access_key=AKIAB", NULL);
    int64_t c = fold(st, &r, &f, &res);
    CHECK(c == a && res.merged == 1, "merge: a finding with both keys merges them into the "
          "oldest (%" PRId64 ", merged %zu)", c, res.merged);
    rip_store_incident *ia = NULL, *ib = NULL;
    CHECK(rip_store_incident_get(st, a, &ia) == 0 && rip_store_incident_get(st, b, &ib) == 0,
          "merge: both incidents load");
    if (ia && ib) {
        CHECK(ia->nfindings == 3 && ia->nentities == 2, "merge: the survivor holds 3 findings "
              "and 2 entities (%zu, %zu)", ia->nfindings, ia->nentities);
        CHECK(!strcmp(ia->row.severity, "high") && !strcmp(ia->row.title, "finding m2"),
              "severity: the highest of the findings, title of that finding (%s, '%s')",
              ia->row.severity, ia->row.title);
        CHECK(!strcmp(ib->row.status, "merged") && ib->row.merged_into == a,
              "merge: the other is status merged, merged_into %" PRId64, ib->row.merged_into);
        CHECK(timeline_has(ia, "merged", "merged into this one") &&
              timeline_has(ib, "merged", "merged into incident"),
              "merge: recorded in both timelines");
    }
    rip_store_incident_free(ia);
    rip_store_incident_free(ib);
    mk(&f, "m4", "low", T0 + 3 * MIN, "access_key=AKIAB", NULL);
    int64_t d = fold(st, &r, &f, NULL);
    CHECK(d == a, "merge: a merged incident takes no new findings; its survivor does");
    rip_store_close(st);
}

static int sql_fails(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
    return rc != SQLITE_OK;
}

static void test_timeline_and_idempotence(void)
{
    char path[512];
    rip_merge_rules r;
    rip_merge_rules_default(&r);
    rip_store *st = fresh_store(path, sizeof(path));
    rip_finding f;
    rip_fold_result res;
    mk(&f, "t1", "medium", T0, "principal=arn:aws:iam::1:user/eve", NULL);
    int64_t id = fold(st, &r, &f, &res);
    CHECK(id && res.finding_new && res.incident_new, "fold: a first finding opens an incident");
    mk(&f, "t1", "medium", T0, "principal=arn:aws:iam::1:user/eve", NULL);
    int64_t again = fold(st, &r, &f, &res);
    uint64_t nf = 0;
    rip_store_count_findings(st, &nf);
    CHECK(again == 0 && !res.finding_new && nf == 1 && count_incidents(st).n == 1,
          "fold: the same finding again adds no finding and no incident");

    CHECK(rip_incident_note(st, id, "looked at it", "alice", 0) == 0, "note: appended");
    CHECK(rip_incident_assign(st, id, "bob", "alice", 0) == 0, "assign: appended");
    int changed = 0;
    CHECK(rip_incident_set_state(st, id, "contained", "alice", 0, &changed) == 0 && changed,
          "status: phase contained");
    CHECK(rip_incident_set_state(st, id, "resolved", "alice", 0, &changed) == 0 && changed,
          "status: resolved");
    CHECK(rip_incident_set_state(st, id, "resolved", "alice", 0, &changed) == 0 && !changed,
          "status: resolving again records nothing");
    CHECK(rip_incident_set_state(st, id, "nonsense", "alice", 0, NULL) == RIP_EINVAL,
          "status: an unknown name is refused");
    CHECK(rip_incident_set_state(st, 999, "open", "alice", 0, NULL) == RIP_ENOTFOUND,
          "status: an unknown incident is RIP_ENOTFOUND");
    rip_store_incident *inc = NULL;
    CHECK(rip_store_incident_get(st, id, &inc) == 0, "timeline: incident loads");
    if (inc) {
        CHECK(inc->ntimeline == 5, "timeline: finding, note, assignment, 2 status changes (%zu)",
              inc->ntimeline);
        CHECK(!strcmp(inc->row.status, "resolved") && !strcmp(inc->row.phase, "closed") &&
              inc->row.owner && !strcmp(inc->row.owner, "bob"),
              "status: resolving closes the phase (%s, %s)", inc->row.status, inc->row.phase);
        CHECK(inc->ntimeline == 5 && !strcmp(inc->timeline[1].actor, "alice") &&
              !strcmp(inc->timeline[1].kind, "note") &&
              strstr(inc->timeline[4].text, "status open -> resolved"),
              "timeline: entries say who and what, in order");
    }
    rip_store_incident_free(inc);
    CHECK(rip_incident_set_state(st, id, "detected", "carol", 0, &changed) == 0 && changed,
          "status: a phase other than closed reopens");
    inc = NULL;
    if (rip_store_incident_get(st, id, &inc) == 0)
        CHECK(!strcmp(inc->row.status, "open"), "status: reopened (%s)", inc->row.status);
    rip_store_incident_free(inc);
    rip_store_close(st);
    CHECK(sql_fails(path, "UPDATE incident_timeline SET text = 'rewritten'") &&
          sql_fails(path, "DELETE FROM incident_timeline"),
          "timeline: the database refuses UPDATE and DELETE");
}

static void test_rules_yaml(void)
{
    char path[512], err[256];
    rip_merge_rules r;
    snprintf(path, sizeof(path), "%s/merge.yml", tmpdir);
    FILE *fp = fopen(path, "w");
    fputs("# ours\nwindow: 10m\nmin_severity: medium\nentities:\n  source_ip: ignore\n"
          "  role: link\n", fp);
    fclose(fp);
    int rc = rip_merge_rules_load(&r, path, err, sizeof(err));
    CHECK(rc == 0 && r.window_ns == 10 * MIN && r.min_severity == 2 &&
          r.mode[RIP_ENTITY_SOURCE_IP] == RIP_LINK_IGNORE &&
          r.mode[RIP_ENTITY_ROLE] == RIP_LINK_LINK &&
          r.mode[RIP_ENTITY_ACCESS_KEY] == RIP_LINK_LINK,
          "rules: a YAML file overrides window, min_severity and modes (%s)", err);
    fp = fopen(path, "w");
    fputs("window: 1h\nentities:\n  ip: link\n", fp);
    fclose(fp);
    rc = rip_merge_rules_load(&r, path, err, sizeof(err));
    CHECK(rc == RIP_ESYNTAX && strstr(err, "line 3") && strstr(err, "'ip'"),
          "rules: an unknown entity kind names its line (%s)", err);
    fp = fopen(path, "w");
    fputs("window: forever\n", fp);
    fclose(fp);
    rc = rip_merge_rules_load(&r, path, err, sizeof(err));
    CHECK(rc == RIP_ESYNTAX && strstr(err, "line 1"), "rules: a bad window is refused (%s)", err);

    /* min_severity: below it a finding is stored but not folded. */
    char dbp[512];
    rip_store *st = fresh_store(dbp, sizeof(dbp));
    rip_merge_rules_default(&r);
    r.min_severity = rip_severity_rank("medium");
    rip_finding f;
    rip_fold_result res;
    mk(&f, "low1", "low", T0, "access_key=AKIAL", NULL);
    int64_t id = fold(st, &r, &f, &res);
    CHECK(id == 0 && res.finding_new && count_incidents(st).n == 0,
          "rules: a finding below min_severity is stored, not folded");
    rip_store_close(st);
}

/* ---- GuardDuty pass-through ---- */

typedef struct gd_ud {
    rip_finding f;
    int made;
} gd_ud;

static int on_gd(void *ud, const rip_event *ev)
{
    gd_ud *g = ud;
    if (rip_finding_from_provider(&g->f, ev) == 0)
        g->made = 1;
    return 0;
}

static void test_guardduty(void)
{
    static const char gd[] =
        "{\"schemaVersion\":\"2.0\",\"accountId\":\"111122223333\",\"region\":\"us-east-1\","
        "\"id\":\"gd-1\",\"type\":\"CryptoCurrency:EC2/BitcoinTool.B!DNS\",\"severity\":8,"
        "\"title\":\"Bitcoin-related domain queried\",\"createdAt\":\"2026-11-01T10:00:00Z\","
        "\"updatedAt\":\"2026-11-01T10:05:00Z\",\"resource\":{\"resourceType\":\"Instance\","
        "\"instanceDetails\":{\"instanceId\":\"i-0miner\",\"networkInterfaces\":"
        "[{\"securityGroups\":[{\"groupId\":\"sg-0web\",\"groupName\":\"web\"}]}]}},"
        "\"service\":{\"archived\":false}}";
    gd_ud g = { .made = 0 };
    rip_decoder dec;
    rip_decoder_init(&dec, on_gd, NULL, &g, NULL);
    rip_decode_buffer(&dec, "gd.json", gd, sizeof(gd) - 1);
    CHECK(g.made, "guardduty: a finding passes through");
    if (g.made) {
        CHECK(!strcmp(g.f.source, "guardduty") && !strcmp(g.f.severity, "high") &&
              !strcmp(g.f.key, "guardduty:aws:gd-1"),
              "guardduty: source, severity, key (%s, %s, %s)", g.f.source, g.f.severity, g.f.key);
        CHECK(strstr(g.f.explanation, "crypto-mining") && strstr(g.f.explanation, "Isolate"),
              "guardduty: explained from the type table");
        CHECK(rip_entity_set_has(&g.f.entities, RIP_ENTITY_INSTANCE, "i-0miner") &&
              rip_entity_set_has(&g.f.entities, RIP_ENTITY_SECURITY_GROUP, "sg-0web"),
              "guardduty: instance and security group are entities");
        rip_finding_release(&g.f);
    }
    rip_decoder_release(&dec);
    const rip_guardduty_type *t =
        rip_explain_guardduty_type(rip_slice_cstr("Trojan:EC2/DNSDataExfiltration"));
    CHECK(t && !strcmp(t->type, "Trojan:EC2/*"), "guardduty: a family matches its prefix row");
    CHECK(rip_explain_guardduty_count() >= 25, "guardduty: the table has %zu types",
          rip_explain_guardduty_count());
}

/* ---- Stratus Red Team: one incident per detonation ---- */

#define MAX_EVENTS 4096

typedef struct stratus {
    rip_store *st;
    rip_detector *det;
    const char *path;
    int file;
    char *ids[MAX_EVENTS];
    int files[MAX_EVENTS];
    size_t n;
    int err;
} stratus;

static int on_stratus_event(void *ud, const rip_event *ev)
{
    stratus *s = ud;
    int rc = rip_store_put_event(s->st, ev, NULL);
    if (rc == 0)
        rc = rip_detector_event(s->det, ev, s->path);
    if (rc) {
        s->err = rc;
        return rc;
    }
    if (s->n < MAX_EVENTS && ev->id.ptr) {
        s->ids[s->n] = strndup(ev->id.ptr, ev->id.len);
        s->files[s->n++] = s->file;
    }
    return 0;
}

static int file_of(const stratus *s, const char *id)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->ids[i], id))
            return s->files[i];
    return -1;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void on_rule_diag(void *ud, const rip_sigma_diag *d)
{
    (void)ud;
    if (!d->warning)
        tap_diag("rule: %s", d->text);
}

static void ingest_stratus(stratus *s, char **names, int nfiles, const char *dir)
{
    rip_decoder dec;
    rip_buf data = RIP_BUF_INIT;
    rip_decoder_init(&dec, on_stratus_event, NULL, s, NULL);
    for (int i = 0; i < nfiles && !s->err; i++) {
        char p[8192];
        snprintf(p, sizeof(p), "%.4096s/%.1024s", dir, names[i]);
        rip_buf_reset(&data);
        if (rip_input_read(p, RIP_INPUT_DEFAULT_MAX_FILE, &data) < 0)
            continue;
        s->path = p;
        s->file = i;
        rip_decode_buffer(&dec, p, data.ptr, data.len);
    }
    if (!s->err)
        s->err = rip_detector_finish(s->det);
    rip_decoder_release(&dec);
    rip_buf_release(&data);
}

typedef struct ids_ud {
    int64_t ids[4096];
    size_t n;
} ids_ud;

static int on_id(void *ud, const rip_store_incident_row *r)
{
    ids_ud *u = ud;
    if (u->n < 4096)
        u->ids[u->n++] = r->id;
    return 0;
}

static void test_stratus(void)
{
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("stratus: ../shared/corpus not found");
        return;
    }
    char dir[8192];
    snprintf(dir, sizeof(dir), "%.4000s/cloudtrail/stratus_red_team/detonation-logs", corpus);
    DIR *d = opendir(dir);
    if (!d) {
        tap_skip("stratus: %s not found", dir);
        return;
    }
    char *names[256];
    int nfiles = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL && nfiles < 256;)
        if (strstr(e->d_name, ".json"))
            names[nfiles++] = strdup(e->d_name);
    closedir(d);
    qsort(names, (size_t)nfiles, sizeof(names[0]), cmp_names);
    CHECK(nfiles == 35, "stratus: 35 technique files (%d)", nfiles);

    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_rule_diag, NULL);
    rip_sigma_load_path(rs, RIPOSTE_SOURCE_ROOT "/rules");
    CHECK(rip_sigma_compile(rs) == 0 && rip_sigma_rule_count(rs) > 0,
          "stratus: riposte's own rules compile (%u)", rip_sigma_rule_count(rs));

    /* Why the default merge rules keep the detonations apart, though many
     * ran within the same hour (2024-08-01 12:18 to 13:56, 2024-07-31
     * 12:29 to 13:06, ...): each detonation ran in its own account with
     * its own access key, principal ARN (user/christophe in account N, or
     * an assumed-role session) and source IP, so no linking entity is
     * shared between two files; the source IP is not a link on its own
     * anyway. Within a file, the findings share the attacker's access key
     * and principal (or role session), so each file folds into one. */
    char path[512];
    stratus s;
    memset(&s, 0, sizeof(s));
    s.st = fresh_store(path, sizeof(path));
    s.det = rip_detector_new(s.st, rs, NULL);
    ingest_stratus(&s, names, nfiles, dir);
    CHECK(s.err == 0, "stratus: ingest and detection succeed (%s)",
          s.err ? rip_store_errmsg(s.st) : "ok");
    rip_detector_stats ds;
    rip_detector_get_stats(s.det, &ds);
    tap_diag("stratus: %" PRIu64 " events, %" PRIu64 " findings, %" PRIu64 " incidents, %" PRIu64
             " joined, %" PRIu64 " merged", ds.events, ds.findings_new, ds.incidents_new,
             ds.incidents_joined, ds.incidents_merged);

    ids_ud *u = calloc(1, sizeof(*u));
    rip_store_list_incidents(s.st, NULL, on_id, u);
    int incident_of_file[256];
    for (int i = 0; i < 256; i++)
        incident_of_file[i] = 0;
    int mixed = 0, unknown = 0, split = 0, merged = 0;
    for (size_t i = 0; i < u->n; i++) {
        rip_store_incident *inc = NULL;
        if (rip_store_incident_get(s.st, u->ids[i], &inc) < 0)
            continue;
        if (!strcmp(inc->row.status, "merged"))
            merged++;
        int file = -1;
        for (size_t k = 0; k < inc->nfindings; k++)
            for (size_t m = 0; m < inc->findings[k].nevents; m++) {
                int f = file_of(&s, inc->findings[k].event_ids[m]);
                if (f < 0) {
                    unknown++;
                } else if (file < 0) {
                    file = f;
                } else if (f != file) {
                    if (!mixed)
                        tap_diag("incident %" PRId64 " mixes %s and %s", inc->row.id,
                                 names[file], names[f]);
                    mixed++;
                }
            }
        if (file >= 0) {
            if (incident_of_file[file]) {
                tap_diag("%s is in incidents %d and %" PRId64, names[file],
                         incident_of_file[file], inc->row.id);
                split++;
            }
            incident_of_file[file] = (int)inc->row.id;
        }
        rip_store_incident_free(inc);
    }
    int with_findings = 0;
    for (int i = 0; i < nfiles; i++) {
        if (incident_of_file[i])
            with_findings++;
        else
            tap_diag("no finding: %s", names[i]);
    }
    CHECK(mixed == 0 && unknown == 0, "stratus: no incident mixes events of two technique "
          "files (%d mixed, %d unknown events)", mixed, unknown);
    CHECK(split == 0 && merged == 0, "stratus: no technique is split over two incidents "
          "(%d split, %d merged)", split, merged);
    CHECK((int)u->n == with_findings, "stratus: one incident per technique with findings "
          "(%zu incidents, %d techniques)", u->n, with_findings);
    CHECK(with_findings == 35, "stratus: all 35 detonations produce an incident with riposte's "
          "rules (%d)", with_findings);

    /* Re-ingest: no new finding, no new incident. */
    rip_detector_free(s.det);
    uint64_t nf1 = 0, nf2 = 0;
    rip_store_count_findings(s.st, &nf1);
    s.det = rip_detector_new(s.st, rs, NULL);
    for (size_t i = 0; i < s.n; i++)
        free(s.ids[i]);
    s.n = 0;
    ingest_stratus(&s, names, nfiles, dir);
    rip_detector_get_stats(s.det, &ds);
    rip_store_count_findings(s.st, &nf2);
    ids_ud *u2 = calloc(1, sizeof(*u2));
    rip_store_list_incidents(s.st, NULL, on_id, u2);
    CHECK(s.err == 0 && nf1 == nf2 && u2->n == u->n && ds.findings_new == 0 &&
          ds.incidents_new == 0 && ds.findings_known == nf1,
          "stratus: re-ingest adds no finding (%" PRIu64 " -> %" PRIu64 ") and no incident "
          "(%zu -> %zu)", nf1, nf2, u->n, u2->n);
    free(u);
    free(u2);
    rip_detector_free(s.det);
    rip_store_close(s.st);
    rip_sigma_ruleset_free(rs);
    for (size_t i = 0; i < s.n; i++)
        free(s.ids[i]);
    for (int i = 0; i < nfiles; i++)
        free(names[i]);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-incidents-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    test_link_kinds();
    test_window();
    test_source_ip();
    test_merge_and_severity();
    test_timeline_and_idempotence();
    test_rules_yaml();
    test_guardduty();
    test_stratus();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
