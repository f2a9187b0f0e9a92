/* test-report.c — the post-mortem report: rendered from a view filled by
 * hand (content, derived actions and follow-ups, escaping of hostile
 * strings in Markdown and HTML), from a real incident in a store through
 * `riposte report` (RIPOSTE_EXE), and the HTML rendered by headless
 * Chromium to a PNG that must not be blank (tests/check-png.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/report.h"
#include "store/store.h"
#include "tap.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#define T0 (INT64_C(1709287200) * 1000000000)  /* 2024-03-01T10:00:00Z */
#define MIN (INT64_C(60) * 1000000000)

#define EVIL_TITLE "<script>alert(\"pwned\")</script> & 'quotes' *bold* | pipe"
#define EVIL_ENTITY "\"><img src=x onerror=alert(1)>"

static char tmpdir[256];

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

static int write_file(const char *path, const rip_buf *b)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    size_t n = fwrite(b->ptr, 1, b->len, f);
    return fclose(f) == 0 && n == b->len ? 0 : -1;
}

static int read_file(const char *path, rip_buf *b)
{
    FILE *f = fopen(path, "r");
    char buf[65536];
    size_t n;
    if (!f)
        return -1;
    rip_buf_reset(b);
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        rip_buf_add(b, buf, n);
    fclose(f);
    return 0;
}

static const rip_report_entity entities[] = {
    { "principal", "arn:aws:iam::111122223333:user/mallory", T0, T0 + 40 * MIN },
    { "access_key", "AKIATESTKEY000000001", T0, T0 + 40 * MIN },
    { "source_ip", "203.0.113.9", T0, T0 + 40 * MIN },
    { "instance", EVIL_ENTITY, T0 + 20 * MIN, T0 + 20 * MIN },
};

static const char *const f1_events[] = { "e02", "e03", "e04" };
static const char *const f2_events[] = { "e08" };

static const rip_report_finding findings[] = {
    { 1, "riposte-iam-backdoor-user", "sigma", "IAM user created with an access key and admin policy",
      "high",
      "What was seen: mallory created user backdoor, gave it an access key and attached\n"
      "AdministratorAccess within two minutes.\n"
      "Why it matters: a second identity survives the first key being disabled.\n"
      "What to check: CloudTrail for the new key's use; delete the user.",
      "111122223333", "us-east-1", T0 + 5 * MIN, f1_events, 3 },
    { 2, "riposte-sg-open-22", "sigma", "Security group opened SSH to the internet", "medium",
      "What was seen: tcp 22 opened to 0.0.0.0/0 on sg-0123.", "444455556666", "eu-west-1",
      T0 + 60 * MIN, f2_events, 1 },
};

static const rip_report_entry timeline[] = {
    { T0 + 5 * MIN, "riposte", "finding_added", "IAM user created with an access key and admin policy" },
    { T0 + 6 * MIN, "riposte", "status_change", "opened with severity high" },
    { T0 + 7 * MIN, "playbook contain-key run 3", "action_taken",
      "aws.iam.disable_access_key AKIATESTKEY000000001 (account 111122223333)" },
    { T0 + 8 * MIN, "playbook contain-key run 3", "action_failed",
      "aws.iam.delete_login_profile backdoor: AccessDenied" },
    { T0 + 9 * MIN, "alice@example.com", "note", "Talked to mallory: the laptop was stolen." },
    { T0 + 60 * MIN, "riposte", "finding_added", "Security group opened SSH to the internet" },
};

static const rip_report_leftover leftovers[] = {
    { "access key", "created", "AKIANEWBACKDOORKEY01", "for user", "backdoor", NULL,
      "deactivate, then delete the key", T0 + 6 * MIN, 0 },
    { "security group rule", "opened", "sgr-0777", "in", "sg-0123", "tcp 22 from 0.0.0.0/0",
      "revoke the rule", T0 + 60 * MIN, 0 },
    { "instance", "created", "i-0bbb", NULL, NULL, NULL, "terminate the instance",
      T0 + 20 * MIN, T0 + 61 * MIN },
};

static const rip_report_activity activity[] = {
    { "access_key", "AKIATESTKEY000000001", 12, 1, 2, T0, T0 + 91 * MIN, "iam (6), ec2 (5), s3 (1)",
      "us-east-1 (7), eu-west-1 (5)", "111122223333 (7), 444455556666 (5)", "203.0.113.9",
      "aws-cli/2.15.0 Python/3.11", "CreateUser, CreateAccessKey, RunInstances" },
};

static void fill(rip_report_incident *r, rip_arena *a)
{
    memset(r, 0, sizeof(*r));
    r->id = 7;
    r->title = EVIL_TITLE;
    r->severity = "high";
    r->status = "open";
    r->phase = "contained";
    r->owner = NULL;
    r->first_ns = T0;
    r->last_ns = T0 + 91 * MIN;
    r->created_ns = T0 + 6 * MIN;
    r->generated_ns = T0 + 120 * MIN;
    r->generator = "riposte test";
    r->entities = entities;
    r->nentities = sizeof(entities) / sizeof(entities[0]);
    r->findings = findings;
    r->nfindings = sizeof(findings) / sizeof(findings[0]);
    r->timeline = timeline;
    r->ntimeline = sizeof(timeline) / sizeof(timeline[0]);
    r->leftovers = leftovers;
    r->nleftovers = sizeof(leftovers) / sizeof(leftovers[0]);
    r->activity = activity;
    r->nactivity = 1;
    rip_report_derive(r, a);
}

static int has(const rip_buf *b, const char *s)
{
    return strstr(b->ptr, s) != NULL;
}

static void test_view(rip_buf *html)
{
    rip_arena a;
    rip_report_incident r;
    rip_buf md = RIP_BUF_INIT;
    rip_arena_init(&a, 0);
    fill(&r, &a);

    /* Derived parts. */
    CHECK(r.nactions == 2 && !strcmp(r.actions[0].state, "taken") &&
              !strcmp(r.actions[1].state, "failed") &&
              !strcmp(r.actions[0].who, "playbook contain-key run 3"),
          "actions come from the timeline's action entries, with who did them");
    int failed = 0, cleanup = 0, owner = 0, sg = 0, removed = 0, rotate = 0;
    for (size_t i = 0; i < r.nfollowups; i++) {
        const char *t = r.followups[i].text;
        failed += strstr(t, "delete_login_profile") != NULL;
        cleanup += strstr(t, "AKIANEWBACKDOORKEY01 for user backdoor") != NULL;
        sg += strstr(t, "sgr-0777") != NULL;
        removed += strstr(t, "i-0bbb") != NULL;
        owner += strstr(t, "owner") != NULL;
        rotate += strstr(t, "AKIATESTKEY000000001") != NULL;
    }
    CHECK(failed == 1 && cleanup == 1 && sg == 1 && owner == 1,
          "follow-ups: the failed action, each leftover still there, an owner to assign");
    CHECK(removed == 0 && rotate == 0,
          "no follow-up for what was removed or for the key a taken action disabled");

    /* Markdown. */
    CHECK(rip_report_md(&r, &md) == 0, "the Markdown report renders");
    CHECK(has(&md, "# Incident 7: ") && has(&md, "## Summary") && has(&md, "## Who, what, when, how") &&
              has(&md, "## Timeline") && has(&md, "## Entities") && has(&md, "## Findings") &&
              has(&md, "## Left behind") && has(&md, "## Actions taken") &&
              has(&md, "## Open follow-ups"),
          "Markdown has every section");
    CHECK(has(&md, "- **Who:** principal arn:aws:iam::111122223333:user/mallory; access key "
                   "AKIATESTKEY000000001; from 203.0.113.9"),
          "who: principal, key and source IP");
    CHECK(has(&md, "> What was seen: mallory created user backdoor") &&
              has(&md, "> Why it matters:") && has(&md, "Events: e02, e03, e04"),
          "findings carry their explanation and member events");
    CHECK(has(&md, "| playbook contain\\-key run 3 |") || has(&md, "| playbook contain-key run 3 |"),
          "actions say who took them");
    CHECK(has(&md, "- [ ] "), "follow-ups are a task list");
    CHECK(!has(&md, "<script") && !has(&md, "<img") &&
              has(&md, "&lt;script&gt;alert(\"pwned\")&lt;/script&gt; &amp; 'quotes' \\*bold\\* \\| pipe"),
          "Markdown escapes HTML, emphasis and table pipes in hostile strings");

    /* HTML. */
    rip_buf_reset(html);
    CHECK(rip_report_html(&r, html) == 0, "the HTML report renders");
    CHECK(!strncmp(html->ptr, "<!DOCTYPE html>", 15) && has(html, "</html>\n") &&
              has(html, "<meta charset=\"utf-8\">"),
          "HTML is one whole document");
    CHECK(has(html, "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt; &amp; &#39;quotes&#39;"),
          "the title is escaped (< > & \" ')");
    CHECK(has(html, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") && !has(html, "<img"),
          "an entity value cannot open a tag or leave an attribute");
    CHECK(!has(html, "<script") && !has(html, "javascript:") && !has(html, "src=\"") &&
              !has(html, "href=") && !has(html, "url(") && !has(html, "@import") &&
              !has(html, "<link"),
          "no scripts and nothing loaded from outside the file");
    CHECK(has(html, "Content-Security-Policy") && has(html, "default-src 'none'"),
          "a Content-Security-Policy forbids loading anything");
    CHECK(has(html, "<style>") && has(html, "@media print"), "inline CSS with print styles");
    CHECK(has(html, "id=\"summary\"") && has(html, "id=\"wwwh\"") && has(html, "id=\"timeline\"") &&
              has(html, "id=\"findings\"") && has(html, "id=\"entities\"") &&
              has(html, "id=\"left-behind\"") && has(html, "id=\"actions\"") &&
              has(html, "id=\"follow-ups\""),
          "HTML has every section");
    CHECK(has(html, "class=\"badge sev-high\"") && has(html, "finding sev-medium"),
          "severity picks a fixed class");
    CHECK(has(html, "Talked to mallory: the laptop was stolen."), "timeline notes are there");

    /* Hostile severity and control bytes. */
    r.severity = "high\" onmouseover=\"x";
    r.title = "bell\a esc\x1b[2J c1\xc2\x9b bad\xff end";
    rip_buf_reset(&md);
    rip_report_html(&r, &md);
    CHECK(has(&md, "class=\"badge sev-unknown\"") && !has(&md, "onmouseover=\""),
          "an unknown severity gets the 'unknown' class; its text is escaped");
    CHECK(!memchr(md.ptr, 0x07, md.len) && !memchr(md.ptr, 0x1b, md.len) &&
              !strstr(md.ptr, "\xc2\x9b") && !memchr(md.ptr, 0xff, md.len) &&
              has(&md, "bell? esc?[2J c1? bad? end"),
          "control bytes, C1 controls and bad UTF-8 become '?'");
    rip_buf_release(&md);
    rip_arena_release(&a);
}

/* A real incident in a store, rendered by `riposte report`. */
static void test_store(void)
{
    char path[512], dbp[512], cmd[2048];
    rip_buf out = RIP_BUF_INIT;
    rip_store *st = NULL;
    int64_t inc = 0, fid = 0;
    int created = 0, rc;

    snprintf(path, sizeof(path), "%s/trail.jsonl", tmpdir);
    snprintf(dbp, sizeof(dbp), "%s/report.db", tmpdir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fputs("{\"eventID\":\"r01\",\"eventTime\":\"2024-03-01T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
          "\"eventName\":\"CreateUser\",\"awsRegion\":\"us-east-1\",\"recipientAccountId\":\"111122223333\","
          "\"sourceIPAddress\":\"203.0.113.9\",\"userAgent\":\"aws-cli/2.15.0\","
          "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/mallory\","
          "\"accessKeyId\":\"AKIATESTKEY000000001\"},\"requestParameters\":{\"userName\":\"backdoor\"},"
          "\"responseElements\":{\"user\":{\"userName\":\"backdoor\"}}}\n"
          "{\"eventID\":\"r02\",\"eventTime\":\"2024-03-01T10:01:00Z\",\"eventSource\":\"iam.amazonaws.com\","
          "\"eventName\":\"CreateAccessKey\",\"awsRegion\":\"us-east-1\",\"recipientAccountId\":\"111122223333\","
          "\"sourceIPAddress\":\"203.0.113.9\",\"userAgent\":\"aws-cli/2.15.0\","
          "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/mallory\","
          "\"accessKeyId\":\"AKIATESTKEY000000001\"},\"requestParameters\":{\"userName\":\"backdoor\"},"
          "\"responseElements\":{\"accessKey\":{\"accessKeyId\":\"AKIANEWBACKDOORKEY01\","
          "\"userName\":\"backdoor\",\"status\":\"Active\"}}}\n", f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "%s ingest --db %s %s >/dev/null 2>&1", RIPOSTE_EXE, dbp, path);
    rc = run(cmd, NULL);
    if (!CHECK(rc == 0, "riposte ingest stores the incident's events (exit %d)", rc))
        return;

    /* The incident, written through the store API as the correlator would. */
    rc = rip_store_open(dbp, NULL, &st, NULL);
    const char *const ev[] = { "r01", "r02" };
    rip_store_finding fnd = {
        .key = "test:backdoor", .source = "sigma", .rule_id = "riposte-iam-backdoor-user",
        .title = "IAM user <b>created</b> with an access key", .severity = "high",
        .severity_score = -1, .time_ns = T0, .account = "111122223333", .region = "us-east-1",
        .explanation = "What was seen: a user and a key for it.\nWhy it matters: persistence.",
        .cloud = "aws", .event_ids = ev, .nevents = 2,
    };
    rip_store_incident_new n = { .title = EVIL_TITLE, .severity = "high",
                                 .first_seen_ns = T0, .last_seen_ns = T0 + MIN, .now_ns = T0 + 2 * MIN };
    rip_store_timeline_entry e1 = { T0 + 2 * MIN, "finding_added", "riposte",
                                    "IAM user created with an access key", NULL };
    rip_store_timeline_entry e2 = { T0 + 3 * MIN, "action_taken", "alice",
                                    "disabled AKIATESTKEY000000001", NULL };
    if (rc == 0)
        rc = rip_store_put_finding(st, &fnd, &fid, &created);
    if (rc == 0)
        rc = rip_store_incident_create(st, &n, &inc);
    if (rc == 0)
        rc = rip_store_incident_add_finding(st, inc, fid, T0 + 2 * MIN);
    if (rc == 0)
        rc = rip_store_incident_add_entity(st, inc, "access_key", "AKIATESTKEY000000001", T0);
    if (rc == 0)
        rc = rip_store_incident_add_entity(st, inc, "principal", EVIL_ENTITY, T0);
    if (rc == 0)
        rc = rip_store_timeline_append(st, inc, &e1, NULL);
    if (rc == 0)
        rc = rip_store_timeline_append(st, inc, &e2, NULL);
    if (!CHECK(rc == 0, "an incident is stored through the store API (%s)",
               rc ? (st ? rip_store_errmsg(st) : rip_strerror(rc)) : "ok")) {
        rip_store_close(st);
        return;
    }
    rip_store_close(st);

    snprintf(cmd, sizeof(cmd), "%s report --db %s %lld 2>&1", RIPOSTE_EXE, dbp, (long long)inc);
    rc = run(cmd, &out);
    CHECK(rc == 0 && has(&out, "# Incident ") && has(&out, "&lt;script&gt;") &&
              has(&out, "IAM user &lt;b&gt;created&lt;/b&gt; with an access key") &&
              has(&out, "Events: r01, r02") && has(&out, "AKIANEWBACKDOORKEY01") &&
              has(&out, "| alice | taken | disabled AKIATESTKEY000000001 |"),
          "riposte report: Markdown from the store, with findings, member events, actions and "
          "what the key left behind (exit %d)", rc);
    if (rc != 0 || !has(&out, "AKIANEWBACKDOORKEY01"))
        tap_diag("%s", out.ptr);
    CHECK(!has(&out, "\"responseElements\"") && !has(&out, "\"userIdentity\""),
          "no raw record is copied into the report");

    snprintf(path, sizeof(path), "%s/store-report.html", tmpdir);
    snprintf(cmd, sizeof(cmd), "%s report --db %s %lld -o %s 2>&1", RIPOSTE_EXE, dbp,
             (long long)inc, path);
    rip_buf_reset(&out);
    rc = run(cmd, &out);
    read_file(path, &out);
    CHECK(rc == 0 && !strncmp(out.ptr, "<!DOCTYPE html>", 15) &&
              has(&out, "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;") && !has(&out, "<img") &&
              !has(&out, "<script"),
          "-o FILE.html writes the escaped HTML report");

    snprintf(cmd, sizeof(cmd), "%s report --db %s 999 >/dev/null 2>&1", RIPOSTE_EXE, dbp);
    rc = run(cmd, NULL);
    CHECK(rc == 1, "an incident that does not exist exits 1 (got %d)", rc);
    snprintf(cmd, sizeof(cmd), "%s report --db %s %lld --format pdf >/dev/null 2>&1", RIPOSTE_EXE,
             dbp, (long long)inc);
    CHECK(run(cmd, NULL) == 2, "an unknown --format exits 2");
    snprintf(cmd, sizeof(cmd), "%s report --db %s abc >/dev/null 2>&1", RIPOSTE_EXE, dbp);
    CHECK(run(cmd, NULL) == 2, "an id that is not a number exits 2");
    rip_buf_release(&out);
}

/* The browser check: Chromium renders the HTML to a PNG that is
 * the window's size and not blank. */
static void test_chromium(const rip_buf *html)
{
    char page[512], png[512], cmd[4096];
    rip_buf out = RIP_BUF_INIT;
    if (run("command -v chromium >/dev/null 2>&1", NULL) != 0) {
        tap_skip("HTML report in headless Chromium # chromium is not installed "
                 "(scripts/install-deps installs Debian's chromium)");
        return;
    }
    snprintf(page, sizeof(page), "%s/report.html", tmpdir);
    snprintf(png, sizeof(png), "%s/report.png", tmpdir);
    if (!CHECK(write_file(page, html) == 0, "the HTML report is written to %s", page))
        return;
    snprintf(cmd, sizeof(cmd),
             "profile=$(mktemp -d) && timeout 90 chromium --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--no-first-run --disable-quic --user-data-dir=\"$profile\" --screenshot=%s "
             "--window-size=1200,1600 file://%s >/dev/null 2>&1; rc=$?; rm -rf \"$profile\"; "
             "exit $rc",
             png, page);
    int rc = run(cmd, NULL);
    struct stat sb;
    if (!CHECK(rc == 0 && stat(png, &sb) == 0 && sb.st_size > 0,
               "headless Chromium renders the report to a PNG (exit %d)", rc))
        return;
    snprintf(cmd, sizeof(cmd), "python3 %s/tests/check-png.py %s 1200 1600 2>&1",
             RIPOSTE_SOURCE_ROOT, png);
    rc = run(cmd, &out);
    CHECK(rc == 0, "the screenshot is 1200x1600 and not blank: %.*s", (int)strcspn(out.ptr, "\n"),
          out.ptr);
    /* Kept for a person to look at when RIPOSTE_KEEP_REPORT names a folder. */
    const char *keep = getenv("RIPOSTE_KEEP_REPORT");
    if (keep && *keep) {
        snprintf(cmd, sizeof(cmd), "cp %s %s %s/", page, png, keep);
        if (run(cmd, NULL) == 0)
            tap_diag("report and screenshot copied to %s", keep);
    }
    rip_buf_release(&out);
}

int main(void)
{
    rip_buf html = RIP_BUF_INIT;
    char cmd[512];
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-report-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    test_view(&html);
    test_store();
    test_chromium(&html);
    rip_buf_release(&html);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
