/* test-incident-cli.c — `riposte ingest` making incidents and `riposte
 * incident list/show/note/assign/status` as a user runs them: the real
 * binary (RIPOSTE_EXE), its exit codes and output formats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "tap.h"
#include "util/buf.h"
#include "util/json.h"

static char tmpdir[256];

#define CT(id, time, name, key, user)                                                      \
    "{\"eventVersion\":\"1.08\",\"eventTime\":\"" time "\",\"eventID\":\"" id "\","          \
    "\"eventSource\":\"cloudtrail.amazonaws.com\",\"eventName\":\"" name "\","              \
    "\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"203.0.113.9\","                       \
    "\"recipientAccountId\":\"111122223333\",\"userIdentity\":{\"type\":\"IAMUser\","        \
    "\"arn\":\"arn:aws:iam::111122223333:user/" user "\",\"userName\":\"" user "\","         \
    "\"accessKeyId\":\"" key "\"},\"requestParameters\":{\"name\":\"main\"}}\n"

/* Whether the JSON array at key in obj holds the string s. */
static int array_has(const rip_json_node *obj, const char *key, const char *s)
{
    const rip_json_node *a = rip_json_get(obj, key);
    if (!rip_json_is(a, RIP_JSON_ARRAY))
        return 0;
    RIP_JSON_EACH(el, a)
        if (rip_json_str_eq(el, s))
            return 1;
    return 0;
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-incident-cli-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    char cmd[4096], db[512];
    rip_buf out = RIP_BUF_INIT;
    snprintf(db, sizeof(db), "%s/r.db", tmpdir);

    /* mallory stops logging, then deletes the trail five minutes later: one
     * incident. trent stops logging from the same IP: a shared IP alone
     * does not link, so a second incident. */
    tcli_write(tmpdir, "trail.jsonl",
               CT("e-stop", "2026-11-01T10:00:00Z", "StopLogging", "AKIAEXAMPLEKEY000001", "mallory")
               CT("e-del", "2026-11-01T10:05:00Z", "DeleteTrail", "AKIAEXAMPLEKEY000001", "mallory")
               CT("e-other", "2026-11-01T10:01:00Z", "StopLogging", "AKIAEXAMPLEKEY000002", "trent")
               CT("e-quiet", "2026-11-01T10:02:00Z", "DescribeTrails", "AKIAEXAMPLEKEY000002", "trent"));

    snprintf(cmd, sizeof(cmd), "%s ingest --db %s %s/trail.jsonl", RIPOSTE_EXE, db, tmpdir);
    int rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "3 findings new") && strstr(out.ptr, "2 opened") &&
          strstr(out.ptr, "1 joined"),
          "ingest: 3 findings, 2 incidents, 1 finding joined (exit %d)", rc);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "0 findings new, 3 already stored") &&
          strstr(out.ptr, "0 opened"), "ingest again: nothing new (exit %d)", rc);

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident list --db %s", RIPOSTE_EXE, db);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && tcli_count_lines(&out) == 3 && strstr(out.ptr, "CloudTrail logging stopped"),
          "list: a header and 2 incidents (exit %d)", rc);

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "RIPOSTE_DB=%s %s incident list --format jsonl", db, RIPOSTE_EXE);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && tcli_count_lines(&out) == 2, "list --format jsonl: 2 lines, db from RIPOSTE_DB");
    int mallory = 0;
    {
        rip_json_doc doc;
        rip_json_doc_init(&doc, NULL);
        char *line = out.ptr;
        int good = 0;
        for (char *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
            if (rip_json_parse(&doc, line, (size_t)(nl - line), NULL) < 0)
                continue;
            const rip_json_node *o = rip_json_root(&doc);
            int64_t id = 0;
            rip_json_i64(rip_json_get(o, "id"), &id);
            if (rip_json_get(o, "title") && rip_json_get(o, "severity") &&
                rip_json_get(o, "status") && rip_json_get(o, "phase") &&
                rip_json_get(o, "entities") && rip_json_get(o, "finding_ids"))
                good++;
            if (array_has(o, "event_ids", "e-stop") && array_has(o, "event_ids", "e-del") &&
                !array_has(o, "event_ids", "e-other"))
                mallory = (int)id;
        }
        rip_json_doc_release(&doc);
        CHECK(good == 2, "list --format jsonl: every line has id, title, severity, status, "
              "phase, entities, finding_ids");
        CHECK(mallory > 0, "list --format jsonl: mallory's incident holds e-stop and e-del, not "
              "trent's e-other (incident %d)", mallory);
    }

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident show %d --db %s", RIPOSTE_EXE, mallory, db);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "AKIAEXAMPLEKEY000001") && strstr(out.ptr, "Why it matters") &&
          strstr(out.ptr, "What to check") && strstr(out.ptr, "finding_added"),
          "show: entities, explained findings, timeline (exit %d)", rc);

    snprintf(cmd, sizeof(cmd), "%s incident note %d --db %s --by alice checked with the team",
             RIPOSTE_EXE, mallory, db);
    CHECK(tcli_run(cmd, NULL) == 0, "note: exit 0");
    snprintf(cmd, sizeof(cmd), "%s incident assign %d bob --db %s --by alice", RIPOSTE_EXE,
             mallory, db);
    CHECK(tcli_run(cmd, NULL) == 0, "assign: exit 0");
    snprintf(cmd, sizeof(cmd), "USER=carol %s incident status %d contained --db %s", RIPOSTE_EXE,
             mallory, db);
    CHECK(tcli_run(cmd, NULL) == 0, "status contained: exit 0");
    snprintf(cmd, sizeof(cmd), "%s incident status %d bogus --db %s 2>/dev/null", RIPOSTE_EXE,
             mallory, db);
    CHECK(tcli_run(cmd, NULL) == 2, "status: an unknown status is a usage error (exit 2)");
    snprintf(cmd, sizeof(cmd), "%s incident status 999 resolved --db %s 2>/dev/null",
             RIPOSTE_EXE, db);
    CHECK(tcli_run(cmd, NULL) == 1, "status: an unknown incident exits 1");
    snprintf(cmd, sizeof(cmd), "%s incident show nope --db %s 2>/dev/null", RIPOSTE_EXE, db);
    CHECK(tcli_run(cmd, NULL) == 2, "show: a bad id is a usage error (exit 2)");
    snprintf(cmd, sizeof(cmd), "%s incident show 999 --db %s 2>/dev/null", RIPOSTE_EXE, db);
    CHECK(tcli_run(cmd, NULL) == 1, "show: an unknown incident exits 1");
    snprintf(cmd, sizeof(cmd), "%s incident frobnicate 2>/dev/null", RIPOSTE_EXE);
    CHECK(tcli_run(cmd, NULL) == 2, "incident: an unknown subcommand exits 2");

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident show %d --format json --db %s", RIPOSTE_EXE,
             mallory, db);
    rc = tcli_run(cmd, &out);
    {
        rip_json_doc doc;
        rip_json_doc_init(&doc, NULL);
        int parsed = rc == 0 && rip_json_parse(&doc, out.ptr, out.len, NULL) == 0;
        const rip_json_node *o = parsed ? rip_json_root(&doc) : NULL;
        CHECK(parsed, "show --format json: one JSON object (exit %d)", rc);
        CHECK(o && rip_json_str_eq(rip_json_get(o, "status"), "open") &&
              rip_json_str_eq(rip_json_get(o, "phase"), "contained") &&
              rip_json_str_eq(rip_json_get(o, "owner"), "bob") &&
              rip_json_str_eq(rip_json_get(o, "severity"), "high"),
              "show --format json: status open, phase contained, owner bob, severity high");
        CHECK(o && array_has(o, "event_ids", "e-stop") && array_has(o, "event_ids", "e-del") &&
              rip_json_count(rip_json_get(o, "finding_ids")) == 2,
              "show --format json: finding ids and provider event ids");
        const rip_json_node *tl = o ? rip_json_get(o, "timeline") : NULL;
        int note = 0, assigned = 0, status = 0;
        if (rip_json_is(tl, RIP_JSON_ARRAY))
            RIP_JSON_EACH(e, tl) {
                const rip_json_node *k = rip_json_get(e, "kind"), *a = rip_json_get(e, "actor");
                note |= rip_json_str_eq(k, "note") && rip_json_str_eq(a, "alice");
                assigned |= rip_json_str_eq(k, "assigned") && rip_json_str_eq(a, "alice");
                status |= rip_json_str_eq(k, "status_change") && rip_json_str_eq(a, "carol");
            }
        CHECK(note && assigned && status,
              "show --format json: the timeline records note, assignment, status and who");
        rip_json_doc_release(&doc);
    }

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident list --status open --db %s", RIPOSTE_EXE, db);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && tcli_count_lines(&out) == 3, "list --status open: both incidents");
    snprintf(cmd, sizeof(cmd), "%s incident status %d resolved --db %s >/dev/null", RIPOSTE_EXE,
             mallory, db);
    tcli_run(cmd, NULL);
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident list --status resolved --db %s", RIPOSTE_EXE, db);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && tcli_count_lines(&out) == 2 && strstr(out.ptr, "closed"),
          "list --status resolved: the resolved one, phase closed");

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s incident --help", RIPOSTE_EXE);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "false_positive") && strstr(out.ptr, "eradicated") &&
          strstr(out.ptr, "--db FILE"), "incident --help: statuses, phases, --db");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s ingest --help", RIPOSTE_EXE);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "--correlation") && strstr(out.ptr, "--rules"),
          "ingest --help: teaches --rules and --correlation");

    /* Merge rules from a file: window 1m keeps mallory's two findings
     * (five minutes apart) in two incidents. */
    tcli_write(tmpdir, "merge.yml", "window: 1m\nentities:\n  source_ip: ignore\n");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s ingest --db %s/m.db --correlation %s/merge.yml %s/trail.jsonl",
             RIPOSTE_EXE, tmpdir, tmpdir, tmpdir);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "3 opened"), "ingest --correlation: a 1-minute window "
          "gives 3 incidents");
    tcli_write(tmpdir, "bad.yml", "window: 1h\nlinks: []\n");
    snprintf(cmd, sizeof(cmd), "%s ingest --db %s/b.db --correlation %s/bad.yml %s/trail.jsonl "
             "2>&1", RIPOSTE_EXE, tmpdir, tmpdir, tmpdir);
    rip_buf_reset(&out);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 2 && strstr(out.ptr, "line 2") && strstr(out.ptr, "'links'"),
          "ingest --correlation: an unknown key exits 2 naming its line");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s ingest --no-detect --db %s/n.db %s/trail.jsonl", RIPOSTE_EXE,
             tmpdir, tmpdir);
    rc = tcli_run(cmd, &out);
    CHECK(rc == 0 && !strstr(out.ptr, "findings"), "ingest --no-detect: events only");

    rip_buf_release(&out);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
