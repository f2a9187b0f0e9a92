/* test-scan-cli.c — `riposte scan` and `riposte rules` as a user runs them:
 * the real binary (RIPOSTE_EXE), its exit codes, its output formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"
#include "sources/input.h"
#include "util/buf.h"
#include "util/json.h"

static char tmpdir[256];

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-scan-cli-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    char cmd[4096];
    rip_buf out = RIP_BUF_INIT;

    /* Three records: StopLogging (hit: high), DescribeInstances (no hit),
     * and a broken line (reported, not fatal). */
    tcli_write(tmpdir, "trail.jsonl",
               "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventID\":\"e-stop\","
               "\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\","
               "\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"203.0.113.9\",\"recipientAccountId\":\"111122223333\","
               "\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/mallory\","
               "\"userName\":\"mallory\",\"accessKeyId\":\"AKIAEXAMPLEKEY000001\"},\"requestParameters\":{\"name\":\"main\"}}\n"
               "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-01T10:00:01Z\",\"eventID\":\"e-desc\","
               "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"DescribeInstances\","
               "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\"}}\n"
               "{\"eventVersion\":\"1.08\",\"eventName\":\n");
    tcli_write(tmpdir, "quiet.jsonl",
               "{\"eventTime\":\"2026-11-01T10:00:01Z\",\"eventID\":\"e-1\",\"eventSource\":\"ec2.amazonaws.com\","
               "\"eventName\":\"DescribeInstances\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\"}}\n");
    tcli_write(tmpdir, "bad-rule.yml",
               "title: broken\n"
               "logsource: {product: aws, service: cloudtrail}\n"
               "detection:\n"
               "  sel:\n"
               "    eventName|contians: StopLogging\n"
               "  condition: sel\n");

    /* Exit codes: 1 with hits, 0 without, 2 on a usage or rule error. */
    snprintf(cmd, sizeof(cmd), "%s scan %s/trail.jsonl 2>/dev/null", RIPOSTE_EXE, tmpdir);
    rip_buf_reset(&out);
    int rc = tcli_run(cmd, &out);
    CHECK(rc == 1, "scan with a hit exits 1 (got %d)", rc);
    CHECK(strstr(out.ptr, "CloudTrail logging stopped") && strstr(out.ptr, "StopLogging") &&
              strstr(out.ptr, "arn:aws:iam::111122223333:user/mallory"),
          "text output names the rule, the call and the actor");
    CHECK(strstr(out.ptr, "1 hit from") != NULL, "text output ends with a summary");

    /* A hostile record and file name cannot drive the terminal: control
     * bytes and DEL in the fields and the path of a text line become '?'
     * (short fields and long ones, so each copy path meets one). */
    tcli_write(tmpdir, "esc\x1b[31m-a-file-name-long-enough-for-blocks.jsonl",
               "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventID\":\"e-esc\","
               "\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\","
               "\"awsRegion\":\"eu\\u007fwest-1\",\"sourceIPAddress\":\"203\\u0007.0.113.9\","
               "\"recipientAccountId\":\"111122223333\",\"userIdentity\":{\"type\":\"IAMUser\","
               "\"arn\":\"arn:aws:iam::111122223333:user/\\u001b[2Jmallory-with-a-long-name\\u007f-x\"}}\n"
               "{\"eventVersion\":\"1.08\",\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventID\":\"e-del\","
               "\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\","
               "\"userIdentity\":{\"type\":\"IAMUser\","
               "\"arn\":\"arn:aws:iam::111122223333:user/mallory\\u007fzzzzzzz\"}}\n");
    snprintf(cmd, sizeof(cmd), "%s scan '%s/esc\x1b[31m-a-file-name-long-enough-for-blocks.jsonl' "
             "2>/dev/null", RIPOSTE_EXE, tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    size_t ctl = 0;
    for (size_t i = 0; i < out.len; i++)
        if (((unsigned char)out.ptr[i] < 0x20 && out.ptr[i] != '\n') || out.ptr[i] == 0x7f)
            ctl++;
    CHECK(ctl == 0 && strstr(out.ptr, "user/?[2Jmallory-with-a-long-name?-x") &&
              strstr(out.ptr, "from 203?.0.113.9 in 111122223333/eu?west-1") &&
              strstr(out.ptr, "user/mallory?zzzzzzz") &&
              strstr(out.ptr, "esc?[31m-a-file-name-long-enough-for-blocks.jsonl record 1]"),
          "text output: control bytes of the record and the path are shown as '?' (%zu left)",
          ctl);

    snprintf(cmd, sizeof(cmd), "%s scan %s/quiet.jsonl >/dev/null 2>&1", RIPOSTE_EXE, tmpdir);
    rc = tcli_run(cmd, NULL);
    CHECK(rc == 0, "scan without hits exits 0 (got %d)", rc);

    snprintf(cmd, sizeof(cmd), "%s scan --rules %s/bad-rule.yml %s/trail.jsonl 2>&1", RIPOSTE_EXE,
             tmpdir, tmpdir);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 2, "scan with a rule that does not load exits 2 (got %d)", rc);
    CHECK(strstr(out.ptr, "bad-rule.yml' line 5") && strstr(out.ptr, "contians"),
          "the rule error names the file, the line and the modifier");

    snprintf(cmd, sizeof(cmd), "%s scan --format nope %s/trail.jsonl >/dev/null 2>&1", RIPOSTE_EXE,
             tmpdir);
    CHECK(tcli_run(cmd, NULL) == 2, "an unknown --format is a usage error (exit 2)");
    snprintf(cmd, sizeof(cmd), "%s scan %s/missing.json >/dev/null 2>&1", RIPOSTE_EXE, tmpdir);
    CHECK(tcli_run(cmd, NULL) == 2, "a path that does not exist exits 2");

    /* The broken record is reported with its record number, on stderr. */
    snprintf(cmd, sizeof(cmd), "%s scan %s/trail.jsonl 2>&1 >/dev/null", RIPOSTE_EXE, tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    CHECK(strstr(out.ptr, "trail.jsonl' record 3") != NULL,
          "a malformed record is reported as record 3 and the scan goes on");

    /* jsonl: the documented fields. */
    snprintf(cmd, sizeof(cmd), "%s scan --format jsonl %s/trail.jsonl 2>/dev/null", RIPOSTE_EXE,
             tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    char *nl = strchr(out.ptr, '\n');
    int ok = nl && rip_json_parse(&d, out.ptr, (size_t)(nl - out.ptr), NULL) == 0;
    CHECK(ok, "jsonl output is one JSON object per line");
    if (ok) {
        const rip_json_node *r = rip_json_root(&d);
        static const char *const paths[] = {
            "rule.id", "rule.title", "rule.level", "rule.tags", "event.id", "event.time",
            "event.name", "event.actor", "event.source_ip", "event.account", "event.region",
            "input.path", "input.index",
        };
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
            CHECK(rip_json_path(r, paths[i]) != NULL, "jsonl hit has %s", paths[i]);
        CHECK(rip_json_str_eq(rip_json_path(r, "event.id"), "e-stop") &&
                  rip_json_str_eq(rip_json_path(r, "rule.level"), "high"),
              "jsonl hit is the StopLogging event at level high");
        int64_t idx = -1;
        rip_json_i64(rip_json_path(r, "input.index"), &idx);
        CHECK(idx == 0, "input.index counts records from 0 (got %lld)", (long long)idx);
    }

    /* ocsf: Detection Finding class 2004. */
    snprintf(cmd, sizeof(cmd), "%s scan --format ocsf %s/trail.jsonl 2>/dev/null", RIPOSTE_EXE,
             tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    nl = strchr(out.ptr, '\n');
    ok = nl && rip_json_parse(&d, out.ptr, (size_t)(nl - out.ptr), NULL) == 0;
    int64_t cls = 0, sev = 0;
    if (ok) {
        rip_json_i64(rip_json_get(rip_json_root(&d), "class_uid"), &cls);
        rip_json_i64(rip_json_get(rip_json_root(&d), "severity_id"), &sev);
    }
    CHECK(ok && cls == 2004 && sev == 4 &&
              rip_json_path(rip_json_root(&d), "finding_info.analytic.uid") != NULL,
          "ocsf output is a Detection Finding (class_uid 2004, severity_id 4 for high)");
    rip_json_doc_release(&d);

    /* --min-level filters; --threads does not change the output. */
    snprintf(cmd, sizeof(cmd), "%s scan --min-level critical %s/trail.jsonl >/dev/null 2>&1",
             RIPOSTE_EXE, tmpdir);
    CHECK(tcli_run(cmd, NULL) == 0, "--min-level critical hides the high hit (exit 0)");
    if (tap_corpus()) {
        rip_buf one = RIP_BUF_INIT, two = RIP_BUF_INIT;
        snprintf(cmd, sizeof(cmd),
                 "%s scan --format jsonl --rules %s/sigma/rules %s/cloudtrail/stratus_red_team/detonation-logs 2>/dev/null",
                 RIPOSTE_EXE, tap_corpus(), tap_corpus());
        tcli_run(cmd, &one);
        snprintf(cmd, sizeof(cmd),
                 "%s scan --threads 2 --format jsonl --rules %s/sigma/rules %s/cloudtrail/stratus_red_team/detonation-logs 2>/dev/null",
                 RIPOSTE_EXE, tap_corpus(), tap_corpus());
        tcli_run(cmd, &two);
        CHECK(one.len > 0 && one.len == two.len && !memcmp(one.ptr, two.ptr, one.len),
              "--threads 2 prints exactly what one thread prints (%zu hits)", tcli_count_lines(&one));
        /* Every line names its own rule file and input file (the rule
         * object and the quoted path are written once and reused): the
         * rule's file holds its id, the input file holds the event's id. */
        size_t lines = 0, wrong = 0;
        rip_json_doc hd;
        rip_json_doc_init(&hd, NULL);
        for (char *l = one.ptr, *e; (e = strchr(l, '\n')) != NULL; l = e + 1, lines++) {
            if (rip_json_parse(&hd, l, (size_t)(e - l), NULL) != 0) {
                wrong++;
                continue;
            }
            const rip_json_node *r = rip_json_root(&hd);
            static const char *const pairs[2][2] = { { "rule.path", "rule.id" },
                                                     { "input.path", "event.id" } };
            for (int k = 0; k < 2; k++) {
                rip_slice file = rip_json_str(&hd, rip_json_path(r, pairs[k][0]));
                rip_slice id = rip_json_str(&hd, rip_json_path(r, pairs[k][1]));
                char fp[1024], want[256];
                rip_buf text = RIP_BUF_INIT;
                snprintf(fp, sizeof(fp), "%.*s", (int)file.len, file.ptr ? file.ptr : "");
                snprintf(want, sizeof(want), "%.*s", (int)id.len, id.ptr ? id.ptr : "");
                if (!want[0] || rip_input_read(fp, (size_t)64 << 20, &text) < 0 ||
                    !strstr(text.ptr, want)) {
                    if (wrong++ < 3)
                        tap_diag("line %zu: %s '%s' not in %s '%s'", lines + 1, pairs[k][1],
                                 want, pairs[k][0], fp);
                }
                rip_buf_release(&text);
            }
        }
        rip_json_doc_release(&hd);
        CHECK(lines >= 50 && wrong == 0,
              "each of %zu jsonl hits names its own rule file and input file (%zu wrong)", lines,
              wrong);
        /* The rule object is one cached piece: its id, path and title would
         * agree even if the wrong rule's were reused. The text format writes
         * each hit's title afresh, in the same order: line k of both names
         * the same rule. */
        rip_buf text = RIP_BUF_INIT;
        snprintf(cmd, sizeof(cmd),
                 "%s scan --rules %s/sigma/rules %s/cloudtrail/stratus_red_team/detonation-logs 2>/dev/null",
                 RIPOSTE_EXE, tap_corpus(), tap_corpus());
        tcli_run(cmd, &text);
        size_t same = 0, pairs = 0;
        rip_json_doc_init(&hd, NULL);
        for (char *l = one.ptr, *t = text.ptr, *e, *te;
             (e = strchr(l, '\n')) != NULL && (te = strchr(t, '\n')) != NULL;
             l = e + 1, t = te + 1, pairs++) {
            rip_slice title = RIP_SLICE_NULL;
            if (rip_json_parse(&hd, l, (size_t)(e - l), NULL) == 0)
                title = rip_json_str(&hd, rip_json_path(rip_json_root(&hd), "rule.title"));
            *te = '\0';
            char want[300];
            snprintf(want, sizeof(want), "  %.*s  ", (int)title.len, title.ptr ? title.ptr : "");
            if (title.len && strstr(t, want))
                same++;
            *te = '\n';
        }
        rip_json_doc_release(&hd);
        CHECK(pairs == lines && same == lines,
              "line by line, jsonl and text name the same rule (%zu of %zu)", same, lines);
        rip_buf_release(&text);
        rip_buf_release(&one);
        rip_buf_release(&two);
    } else {
        tap_skip("--threads determinism # corpus not found");
    }

    /* Case-insensitive contains: candidates of both cases, in either order,
     * and a long run of the wrong one (the search must stay linear). */
    tcli_write(tmpdir, "xb.yml",
               "title: xb\n"
               "id: 22222222-3333-4444-5555-666666666666\n"
               "logsource: {product: aws, service: cloudtrail}\n"
               "detection:\n"
               "  sel:\n"
               "    userAgent|contains: xb\n"
               "  condition: sel\n");
    {
        char path[512];
        snprintf(path, sizeof(path), "%s/ua.jsonl", tmpdir);
        FILE *f = fopen(path, "w");
        const char *uas[] = { "XXXXXXXXxB", "xxxxXXXX", "aXbq", "XXXX", "xXxXxXXb" };
        for (size_t k = 0; f && k < sizeof(uas) / sizeof(uas[0]); k++)
            fprintf(f, "{\"eventTime\":\"2026-01-01T00:00:0%zuZ\",\"eventID\":\"u%zu\","
                       "\"eventSource\":\"x\",\"eventName\":\"X\",\"userAgent\":\"%s\"}\n",
                    k, k, uas[k]);
        if (f) {
            fputs("{\"eventTime\":\"2026-01-01T00:00:09Z\",\"eventID\":\"long\",\"eventSource\":\"x\","
                  "\"eventName\":\"X\",\"userAgent\":\"", f);
            for (int k = 0; k < 300000; k++)
                fputc('X', f);
            fputs("xB\"}\n", f);
            fclose(f);
        }
    }
    snprintf(cmd, sizeof(cmd), "%s scan --format jsonl --rules %s/xb.yml %s/ua.jsonl 2>/dev/null",
             RIPOSTE_EXE, tmpdir, tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    CHECK(tcli_count_lines(&out) == 4 && strstr(out.ptr, "\"u0\"") && strstr(out.ptr, "\"u2\"") &&
              strstr(out.ptr, "\"u4\"") && strstr(out.ptr, "\"long\"") && !strstr(out.ptr, "\"u1\"") &&
              !strstr(out.ptr, "\"u3\""),
          "contains is case-insensitive over candidates of both cases (%zu hits)", tcli_count_lines(&out));

    /* Correlation windows at the edge of time: a year-long timeframe over
     * events dated 1678 must not wrap the window (UBSan checks it too). */
    tcli_write(tmpdir, "old.yml",
               "title: old burst\n"
               "id: 33333333-4444-5555-6666-777777777777\n"
               "logsource: {product: aws, service: cloudtrail}\n"
               "detection:\n"
               "  sel: {eventName: CreateUser}\n"
               "  timeframe: 365d\n"
               "  condition: sel | count() by userIdentity.arn > 1\n");
    tcli_write(tmpdir, "old.jsonl",
               "{\"eventTime\":\"1678-01-02T00:00:00Z\",\"eventID\":\"o1\",\"eventSource\":\"iam.amazonaws.com\","
               "\"eventName\":\"CreateUser\",\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/a\"}}\n"
               "{\"eventTime\":\"1678-01-03T00:00:00Z\",\"eventID\":\"o2\",\"eventSource\":\"iam.amazonaws.com\","
               "\"eventName\":\"CreateUser\",\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/a\"}}\n");
    snprintf(cmd, sizeof(cmd), "%s scan --format jsonl --rules %s/old.yml %s/old.jsonl 2>&1",
             RIPOSTE_EXE, tmpdir, tmpdir);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 1 && strstr(out.ptr, "\"correlation\"") && !strstr(out.ptr, "runtime error"),
          "a 365-day window over events of 1678 fires once, without overflow (exit %d)", rc);

    /* A regex that backtracks without end on a hostile value stops at the
     * match limit, and the scan says a rule may have missed the event. */
    tcli_write(tmpdir, "redos.yml",
               "title: redos\n"
               "id: 44444444-5555-6666-7777-888888888888\n"
               "logsource: {product: aws, service: cloudtrail}\n"
               "detection:\n"
               "  sel:\n"
               "    userAgent|re: '^(a|aa)+$'\n"
               "  condition: sel\n");
    tcli_write(tmpdir, "redos.jsonl",
               "{\"eventTime\":\"2026-01-01T00:00:00Z\",\"eventID\":\"r\",\"eventSource\":\"x\","
               "\"eventName\":\"X\",\"userAgent\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\"}\n");
    snprintf(cmd, sizeof(cmd), "%s scan --rules %s/redos.yml %s/redos.jsonl 2>&1 >/dev/null",
             RIPOSTE_EXE, tmpdir, tmpdir);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    CHECK(strstr(out.ptr, "match limit") != NULL,
          "a regex stopped at PCRE2's match limit is reported, not silently a miss");

    /* rules: the built-in rules are valid and pass their own test cases. */
    snprintf(cmd, sizeof(cmd), "%s rules validate 2>&1", RIPOSTE_EXE);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, " 0 errors"), "rules validate: built-in rules are valid");
    snprintf(cmd, sizeof(cmd), "%s rules test 2>&1", RIPOSTE_EXE);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0, "rules test: every case kept in riposte's rules passes (exit %d)", rc);
    if (rc != 0)
        tap_diag("%s", out.ptr);
    snprintf(cmd, sizeof(cmd), "%s rules validate %s/bad-rule.yml 2>&1", RIPOSTE_EXE, tmpdir);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 1 && strstr(out.ptr, "line 5"), "rules validate reports a bad rule with its line (exit 1)");
    snprintf(cmd, sizeof(cmd), "%s rules list --format jsonl", RIPOSTE_EXE);
    rip_buf_reset(&out);
    tcli_run(cmd, &out);
    CHECK(tcli_count_lines(&out) >= 30, "rules list shows riposte's rules (%zu)", tcli_count_lines(&out));

    /* A rule test that fails is reported and makes the exit status 1. */
    tcli_write(tmpdir, "wrong-test.yml",
               "title: stop\n"
               "id: 11111111-2222-3333-4444-555555555555\n"
               "logsource: {product: aws, service: cloudtrail}\n"
               "detection:\n"
               "  sel: {eventName: StopLogging}\n"
               "  condition: sel\n"
               "tests:\n"
               "  - name: claims a miss that is a hit\n"
               "    match: false\n"
               "    event: {eventSource: cloudtrail.amazonaws.com, eventName: StopLogging}\n");
    snprintf(cmd, sizeof(cmd), "%s rules test %s/wrong-test.yml 2>&1", RIPOSTE_EXE, tmpdir);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 1 && strstr(out.ptr, "FAILED") && strstr(out.ptr, "line 8"),
          "rules test reports a failing case with its line (exit 1)");

    /* Record-by-record decoding of {"Records":[...]} documents (on by
     * default) against whole-document decoding (RIPOSTE_SCAN_NO_STREAM=1):
     * the same hits, errors and exit status, in the same order, over the
     * corpus, generated S3 objects and documents that go wrong part-way. */
    {
        char sdir[512];
        snprintf(sdir, sizeof(sdir), "%s/stream", tmpdir);
        mkdir(sdir, 0700);
        tcli_write(tmpdir, "stream/good.json",
                   "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"},"
                   "\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventSource\":\"cloudtrail.amazonaws.com\","
                   "\"eventName\":\"StopLogging\",\"eventID\":\"g1\"},\n"
                   "  {\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\"},"
                   "\"eventTime\":\"bad time\",\"eventName\":\"DeleteTrail\"}]}\n");
        tcli_write(tmpdir, "stream/broken.json",
                   "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"},"
                   "\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventSource\":\"cloudtrail.amazonaws.com\","
                   "\"eventName\":\"StopLogging\",\"eventID\":\"b1\"},{\"eventName\":\"DeleteTrail\",]}\n");
        tcli_write(tmpdir, "stream/extra-key.json",
                   "{\"Records\":[{\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"StopLogging\"}],"
                   "\"Records2\":1}\n");
        snprintf(cmd, sizeof(cmd), "cp %s/stream/broken.json %s/stream/broken-gz.json && "
                 "gzip -f %s/stream/broken-gz.json && cp %s/stream/good.json %s/stream/good-gz.json && "
                 "gzip -f %s/stream/good-gz.json", tmpdir, tmpdir, tmpdir, tmpdir, tmpdir, tmpdir);
        tcli_run(cmd, NULL);
        snprintf(cmd, sizeof(cmd), "python3 %s/bench/gen-cloudtrail.py --objects %s/stream/gen --count 3 "
                 ">/dev/null 2>&1", RIPOSTE_SOURCE_ROOT, tmpdir);
        if (tcli_run(cmd, NULL) != 0)
            tap_skip("stream: python3 cannot generate S3 objects; compared without them");
        const char *corpus = tap_corpus();
        char rules[1024] = "", inputs[2048];
        if (corpus) {
            snprintf(rules, sizeof(rules), "--rules %s/sigma/rules", corpus);
            snprintf(inputs, sizeof(inputs), "%s/stream %s/cloudtrail %s/panther_labelled_events",
                     tmpdir, corpus, corpus);
        } else {
            tap_skip("stream: no corpus; compared over generated data only");
            snprintf(inputs, sizeof(inputs), "%s/stream", tmpdir);
        }
        static const char *const formats[] = { "jsonl", "ocsf" };
        for (size_t f = 0; f < 2; f++) {
            rip_buf a = RIP_BUF_INIT, b = RIP_BUF_INIT;
            snprintf(cmd, sizeof(cmd), "RIPOSTE_SCAN_NO_STREAM=1 %s scan %s --format %s %s 2>&1",
                     RIPOSTE_EXE, rules, formats[f], inputs);
            int ra = tcli_run(cmd, &a);
            for (int threads = 1; threads <= 2; threads++) {
                snprintf(cmd, sizeof(cmd), "%s scan %s --format %s --threads %d %s 2>&1",
                         RIPOSTE_EXE, rules, formats[f], threads, inputs);
                rip_buf_reset(&b);
                int rb = tcli_run(cmd, &b);
                CHECK(ra == rb && a.len > 0 && strcmp(a.ptr, b.ptr) == 0,
                      "stream: scan --format %s --threads %d gives the same output record by "
                      "record as whole (%zu lines, exit %d/%d)", formats[f], threads,
                      tcli_count_lines(&a), ra, rb);
            }
            CHECK(strstr(a.ptr, "broken.json") && strstr(a.ptr, "broken-gz.json"),
                  "stream: the documents that break part-way are reported (%s)", formats[f]);
            rip_buf_release(&a);
            rip_buf_release(&b);
        }
    }

    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    tcli_run(cmd, NULL);
    rip_buf_release(&out);
    return tap_done();
}
