/* test-engine.c — the run engine's state machines without a cloud: runs
 * started from incidents made of GuardDuty findings, steps planned (no
 * AWS client), approvals granted, refused, rejected and timed out on a
 * clock the test moves, `when` conditions, templates, compare-and-set step
 * changes, and the audit chain (checked, then tampered with through
 * SQLite directly). The same engine against moto, with kill -9, is
 * tests/integration/test-playbooks.py. */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "correlate/detector.h"
#include "normalize/decode.h"
#include "respond/engine.h"
#include "respond/playbook.h"
#include "store/store.h"
#include "tap.h"
#include "util/err.h"
#include "util/json.h"

static char tmpdir[256];
static int64_t fake_now = INT64_C(1795000000) * 1000000000;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return fake_now;
}

typedef struct feed {
    rip_store *st;
    rip_detector *det;
} feed;

static int on_event(void *ud, const rip_event *ev)
{
    feed *f = ud;
    int rc = rip_store_put_event(f->st, ev, NULL);
    return rc ? rc : rip_detector_event(f->det, ev, "test");
}

/* A GuardDuty finding; each n is its own incident (own instance, own
 * hour). */
static void gd(feed *f, int n, const char *type, const char *extra)
{
    char buf[2048];
    snprintf(buf, sizeof(buf),
             "{\"schemaVersion\":\"2.0\",\"accountId\":\"111122223333\",\"region\":\"us-east-1\","
             "\"id\":\"gd-%d\",\"type\":\"%s\",\"severity\":8,\"title\":\"t%d\","
             "\"createdAt\":\"2026-11-01T%02d:00:00Z\",\"updatedAt\":\"2026-11-01T%02d:05:00Z\","
             "\"resource\":{\"resourceType\":\"Instance\",\"instanceDetails\":"
             "{\"instanceId\":\"i-%04d\",\"networkInterfaces\":[{\"securityGroups\":"
             "[{\"groupId\":\"sg-%04d\"}]}]}%s},\"service\":{\"archived\":false,"
             "\"action\":{\"actionType\":\"NETWORK_CONNECTION\",\"networkConnectionAction\":"
             "{\"remoteIpDetails\":{\"ipAddressV4\":\"198.51.100.%d\"}}}}}",
             n, type, n, n * 2, n * 2, n, n, extra, n);
    rip_decoder dec;
    rip_decoder_init(&dec, on_event, NULL, f, NULL);
    CHECK(rip_decode_buffer(&dec, "gd.json", buf, strlen(buf)) == 0, "finding %d decoded", n);
    rip_decoder_release(&dec);
}

static const rip_store_step_row *step_of(const rip_store_run *r, const char *id)
{
    for (size_t i = 0; i < r->nsteps; i++)
        if (!strcmp(r->steps[i].step, id))
            return &r->steps[i];
    return NULL;
}

static const char *state_of(rip_store *st, int64_t run, const char *step, char *buf, size_t cap)
{
    rip_store_run *r = NULL;
    buf[0] = '\0';
    if (rip_store_run_get(st, run, &r) == 0) {
        const rip_store_step_row *s = step ? step_of(r, step) : NULL;
        snprintf(buf, cap, "%s", step ? (s ? s->state : "?") : r->state);
        if (s && !strcmp(step, "notify") && s->result) {
            size_t n = strlen(buf);
            snprintf(buf + n, cap - n, " %s", s->result);
        }
    }
    rip_store_run_free(r);
    return buf;
}

typedef struct runs_seen {
    int64_t ids[16];
    char pb[16][64];
    size_t n;
} runs_seen;

static int on_run(void *ud, const rip_store_run_row *row)
{
    runs_seen *s = ud;
    if (s->n < 16) {
        s->ids[s->n] = row->id;
        snprintf(s->pb[s->n], sizeof(s->pb[0]), "%s", row->playbook);
        s->n++;
    }
    return 0;
}

static int64_t run_for(rip_store *st, int64_t incident)
{
    runs_seen s = { .n = 0 };
    rip_store_run_filter f = { .incident_id = incident, .dry_run = -1 };
    rip_store_list_runs(st, &f, on_run, &s);
    return s.n == 1 ? s.ids[0] : 0;
}

static int count_audit(void *ud, const rip_store_audit_row *row)
{
    int *n = ud;
    if (!strcmp(row->action, "approval_refused") || !strcmp(row->action, "escalated"))
        n[0]++;
    n[1]++;
    return 0;
}

static int resolve_test(void *ud, const char *const *p, size_t np, rip_buf *out)
{
    (void)ud;
    if (np == 3 && !strcmp(p[1], "entities") && !strcmp(p[2], "instance"))
        return rip_buf_add(out, "i-1", 3) ? RIP_ENOMEM : 0;
    if (np == 3 && !strcmp(p[0], "steps") && !strcmp(p[2], "status"))
        return rip_buf_add(out, "failed", 6) ? RIP_ENOMEM : 0;
    return 0;
}

static void test_templates(void)
{
    rip_buf b = RIP_BUF_INIT;
    CHECK(rip_pb_template_render("x ${{ incident.entities.instance }} y ${{incident.facts.none}}!",
                                 resolve_test, NULL, &b) == 0 &&
              b.ptr && !strcmp(b.ptr, "x i-1 y !"),
          "template: references replaced, unknown ones empty ('%s')", b.ptr ? b.ptr : "");
    rip_buf_release(&b);
    bool v = true;
    CHECK(rip_pb_condition_eval("${{ incident.facts.none }}", resolve_test, NULL, &v) == 0 && !v,
          "condition: an empty reference is false");
    CHECK(rip_pb_condition_eval("incident.entities.instance", resolve_test, NULL, &v) == 0 && v,
          "condition: a set reference is true");
    CHECK(rip_pb_condition_eval("steps.a.status == 'failed'", resolve_test, NULL, &v) == 0 && v,
          "condition: == compares");
    CHECK(rip_pb_condition_eval("steps.a.status != \"failed\"", resolve_test, NULL, &v) == 0 &&
              !v, "condition: != compares");
    CHECK(rip_pb_condition_eval("steps.a.status == failed", resolve_test, NULL, &v) ==
              RIP_ESYNTAX, "condition: an unquoted literal is a syntax error");
}

/* trigger.resource_tags and ${{ incident.resource_tags.KEY }} read the
 * inventory: incident 5 (a port probe on i-0005) matches a playbook that
 * wants env=prod* only once the inventory holds i-0005 with that tag. */
static void test_resource_tags(rip_store *st)
{
    char dir[300], path[400];
    snprintf(dir, sizeof(dir), "%s/pb-tags", tmpdir);
    mkdir(dir, 0700);
    snprintf(path, sizeof(path), "%s/prod-probe.yml", dir);
    FILE *fp = fopen(path, "w");
    if (!fp) {
        CHECK(0, "write %s", path);
        return;
    }
    fputs("name: prod-probe\n"
          "trigger:\n"
          "  finding_types: [\"Recon:EC2/PortProbeUnprotectedPort\"]\n"
          "  resource_tags: {env: \"prod*\"}\n"
          "steps:\n"
          "  - id: tag\n"
          "    action: ec2.tag\n"
          "    params:\n"
          "      resource_id: ${{ incident.entities.instance }}\n"
          "      key: probed-team\n"
          "      value: ${{ incident.resource_tags.team }}\n", fp);
    fclose(fp);
    rip_playbook_set *set = rip_playbook_set_new(NULL, NULL);
    int lrc = rip_playbook_load_path(set, dir);
    CHECK(lrc == 0 && rip_playbook_count(set) == 1, "a playbook with trigger.resource_tags loads");
    rip_engine_opts o = { .st = st, .playbooks = set, .clock = clock_fn };
    rip_engine *e = rip_engine_new(&o);
    size_t started = 9;
    CHECK(rip_engine_start_matching(e, 5, true, &started) == 0 && started == 0,
          "resource_tags: no match while the inventory does not know the instance");
    rip_store_asset a = { .cloud = "aws", .account = "111122223333", .region = "us-east-1",
                          .type = "instance", .resource_id = "i-0005",
                          .tags = "{\"env\":\"development\",\"team\":\"web\"}" };
    CHECK(rip_store_put_asset(st, &a, NULL) == 0, "the instance, tagged env=development");
    CHECK(rip_engine_start_matching(e, 5, true, &started) == 0 && started == 0,
          "resource_tags: no match on env=development");
    a.tags = "{\"env\":\"production\",\"team\":\"web\"}";
    CHECK(rip_store_put_asset(st, &a, NULL) == 0, "the instance, now tagged env=production");
    CHECK(rip_engine_start_matching(e, 5, true, &started) == 0 && started == 1,
          "resource_tags: env=production matches env: prod* (%s)", rip_engine_errmsg(e));
    int64_t r = run_for(st, 5);
    rip_store_run *run = NULL;
    CHECK(r > 0 && rip_store_run_get(st, r, &run) == 0 && run->context &&
              strstr(run->context, "\"resource_tags\":{\"env\":\"production\",\"team\":\"web\"}"),
          "the run's context holds the instance's tags (%s)", run && run->context ? run->context
                                                                                  : "none");
    rip_store_run_free(run);
    char buf[2048];
    CHECK(rip_engine_advance(e, r, NULL) == 0 &&
              strstr(state_of(st, r, "tag", buf, sizeof(buf)), "succeeded"),
          "the dry run plans its step (%s)", buf);
    rip_engine_free(e);
    rip_playbook_set_free(set);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/riposte-engine-%d", (int)getpid());
    mkdir(tmpdir, 0700);
    char db[300];
    snprintf(db, sizeof(db), "%s/e.db", tmpdir);
    test_templates();

    rip_store *st = NULL;
    rip_store_error err;
    if (rip_store_open(db, NULL, &st, &err) != 0) {
        CHECK(0, "store opens: %s", err.msg);
        return tap_done();
    }
    feed f = { st, rip_detector_new(st, NULL, NULL) };
    gd(&f, 1, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "");
    gd(&f, 2, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "");
    gd(&f, 3, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "");
    gd(&f, 4, "UnauthorizedAccess:EC2/SSHBruteForce", "");
    gd(&f, 5, "Recon:EC2/PortProbeUnprotectedPort", "");
    gd(&f, 6, "CryptoCurrency:EC2/BitcoinTool.B!DNS", "");
    CHECK(rip_detector_finish(f.det) == 0, "findings folded into incidents");
    rip_detector_free(f.det);

    rip_playbook_set *set = rip_playbook_set_new(NULL, NULL);
    char pbdir[512];
    snprintf(pbdir, sizeof(pbdir), "%s/playbooks", RIPOSTE_SOURCE_ROOT);
    CHECK(rip_playbook_load_path(set, pbdir) == 0 && rip_playbook_count(set) >= 8,
          "the shipped playbooks load (%zu)", rip_playbook_count(set));
    rip_engine_opts o = { .st = st, .playbooks = set, .clock = clock_fn };
    rip_engine *e = rip_engine_new(&o);
    char buf[2048];

    /* Incidents 1..5 in the order the findings came. */
    size_t started = 0;
    CHECK(rip_engine_start_matching(e, 1, false, &started) == 0 && started == 1,
          "crypto incident: one matching playbook started (%zu)", started);
    CHECK(rip_engine_start_matching(e, 1, false, &started) == 0 && started == 0,
          "starting again adds no run");
    CHECK(rip_engine_start_matching(e, 5, false, &started) == 0 && started == 0,
          "a port probe matches no playbook");
    int64_t r1 = run_for(st, 1);
    CHECK(r1 > 0, "the run is listed for its incident");
    rip_store_run *run = NULL;
    CHECK(rip_store_run_get(st, r1, &run) == 0 && !strcmp(run->playbook, "crypto-mining-instance")
              && run->nsteps == 4 && strstr(run->context, "\"instance\":\"i-0001\""),
          "run: playbook, four steps, the incident's instance in its context");
    rip_store_run_free(run);

    int64_t wake = 0;
    CHECK(rip_engine_advance(e, r1, &wake) == 0, "advance: %s", rip_engine_errmsg(e));
    CHECK(!strcmp(state_of(st, r1, "quarantine", buf, sizeof(buf)), "succeeded") &&
              !strcmp(state_of(st, r1, "snapshot", buf, sizeof(buf)), "succeeded"),
          "quarantine and snapshot planned");
    CHECK(!strcmp(state_of(st, r1, "terminate", buf, sizeof(buf)), "waiting_approval"),
          "terminate waits for approval (%s)", buf);
    CHECK(!strcmp(state_of(st, r1, NULL, buf, sizeof(buf)), "waiting_approval"),
          "the run waits for approval (%s)", buf);
    CHECK(wake == fake_now + INT64_C(4) * 3600 * 1000000000,
          "wake time is the approval deadline (4h)");
    CHECK(!strcmp(state_of(st, r1, "notify", buf, sizeof(buf)), "pending"),
          "notify waits for terminate");

    const char *viewer[] = { "viewer" };
    rip_engine_who who = { "slack:U0NOPE", viewer, 1, "slack" };
    CHECK(rip_engine_decide(e, r1, "terminate", &who, true, NULL) == RIP_EINVAL &&
              strstr(rip_engine_errmsg(e), "may not approve"),
          "a viewer may not approve (%s)", rip_engine_errmsg(e));
    CHECK(!strcmp(state_of(st, r1, "terminate", buf, sizeof(buf)), "waiting_approval"),
          "a refused approval changes nothing");
    CHECK(rip_engine_decide(e, r1, "quarantine", &who, true, NULL) == RIP_ERANGE,
          "a step that is not waiting cannot be decided");
    const char *resp[] = { "responder" };
    rip_engine_who ok_who = { "cli:alice", resp, 1, "cli" };
    CHECK(rip_engine_decide(e, r1, "terminate", &ok_who, true, NULL) == 0,
          "a responder approves: %s", rip_engine_errmsg(e));
    CHECK(!strcmp(state_of(st, r1, "terminate", buf, sizeof(buf)), "succeeded"),
          "the approved step ran at once");
    CHECK(strstr(state_of(st, r1, "notify", buf, sizeof(buf)), "termination succeeded"),
          "notify renders the steps' states (%s)", buf);
    CHECK(!strcmp(state_of(st, r1, NULL, buf, sizeof(buf)), "succeeded"), "the run succeeded");
    rip_store_incident *inc = NULL;
    CHECK(rip_store_incident_get(st, 1, &inc) == 0 && !strcmp(inc->row.phase, "contained"),
          "the incident is contained");
    bool approved_on_timeline = false;
    for (size_t i = 0; inc && i < inc->ntimeline; i++)
        if (strstr(inc->timeline[i].text, "approved by cli:alice"))
            approved_on_timeline = true;
    CHECK(approved_on_timeline, "the approval is on the incident's timeline");
    rip_store_incident_free(inc);

    /* Reject: the step is cancelled, the notify still runs and says so. */
    CHECK(rip_engine_start_matching(e, 2, false, NULL) == 0, "second crypto incident starts");
    int64_t r2 = run_for(st, 2);
    rip_engine_advance(e, r2, NULL);
    CHECK(rip_engine_decide(e, r2, "terminate", &ok_who, false, "it is our render farm") == 0,
          "a responder rejects");
    CHECK(!strcmp(state_of(st, r2, "terminate", buf, sizeof(buf)), "cancelled"),
          "the rejected step is cancelled");
    CHECK(strstr(state_of(st, r2, "notify", buf, sizeof(buf)), "termination cancelled"),
          "notify says cancelled (%s)", buf);

    /* Timeout, on_timeout reject: timed_out after 4h on the clock. */
    CHECK(rip_engine_start_matching(e, 3, false, NULL) == 0, "third crypto incident starts");
    int64_t r3 = run_for(st, 3);
    rip_engine_advance(e, r3, NULL);
    fake_now += INT64_C(3) * 3600 * 1000000000;
    rip_engine_advance(e, r3, NULL);
    CHECK(!strcmp(state_of(st, r3, "terminate", buf, sizeof(buf)), "waiting_approval"),
          "still waiting before the timeout");
    fake_now += INT64_C(3601) * 1000000000;
    rip_engine_advance(e, r3, NULL);
    CHECK(!strcmp(state_of(st, r3, "terminate", buf, sizeof(buf)), "timed_out"),
          "timed out after 4h (%s)", buf);
    CHECK(!strcmp(state_of(st, r3, NULL, buf, sizeof(buf)), "succeeded"),
          "the run still ends (%s)", buf);

    /* Timeout, on_timeout escalate (ssh-brute-force close-ssh, 1h): a
     * person is paged and the step goes on waiting. */
    CHECK(rip_engine_start_matching(e, 4, false, NULL) == 0, "ssh incident starts");
    int64_t r4 = run_for(st, 4);
    rip_engine_advance(e, r4, NULL);
    CHECK(!strcmp(state_of(st, r4, "nacl-deny", buf, sizeof(buf)), "succeeded") &&
              !strcmp(state_of(st, r4, "close-ssh", buf, sizeof(buf)), "waiting_approval"),
          "ssh: NACL deny planned, close-ssh waits");
    fake_now += INT64_C(3601) * 1000000000;
    rip_engine_advance(e, r4, NULL);
    CHECK(!strcmp(state_of(st, r4, "close-ssh", buf, sizeof(buf)), "waiting_approval"),
          "escalated, still waiting");
    int counts[2] = { 0, 0 };
    rip_store_list_audit(st, count_audit, counts);
    CHECK(counts[0] == 2, "the audit log holds the refusal and the escalation (%d)", counts[0]);

    /* Compare-and-set on steps. */
    rip_store_step_set u;
    rip_store_step_set_init(&u, "running");
    u.expect = "pending";
    CHECK(rip_store_step_update(st, r1, "terminate", &u) == RIP_ERANGE,
          "a step change from the wrong state is refused");

    /* A route in mode approve: every action waits for a press. */
    rip_engine_opts o2 = o;
    o2.approve_all = true;
    rip_engine *e2 = rip_engine_new(&o2);
    CHECK(rip_engine_start_matching(e2, 6, false, NULL) == 0, "approve-all run starts");
    int64_t r6 = run_for(st, 6);
    rip_engine_advance(e2, r6, NULL);
    CHECK(!strcmp(state_of(st, r6, "quarantine", buf, sizeof(buf)), "waiting_approval") &&
              !strcmp(state_of(st, r6, "snapshot", buf, sizeof(buf)), "waiting_approval"),
          "approve-all: quarantine and snapshot wait for a press");
    CHECK(rip_engine_decide(e, r6, "quarantine", &ok_who, true, NULL) == 0 &&
              !strcmp(state_of(st, r6, "quarantine", buf, sizeof(buf)), "succeeded"),
          "approve-all: a responder's press runs the step (through any engine)");
    rip_engine_free(e2);

    /* Dry runs plan approvals as granted. */
    CHECK(rip_engine_start_matching(e, 1, true, &started) == 0 && started == 1,
          "a dry run starts beside the live run");
    size_t open = 0;
    CHECK(rip_engine_advance_all(e, NULL, &open) == 0 && open == 2,
          "advance_all: only the escalated ssh run and the approve-all run stay open (%zu)",
          open);

    test_resource_tags(st);

    rip_store_audit_check chk;
    int vrc = rip_store_audit_verify(st, &chk);
    counts[0] = counts[1] = 0;
    rip_store_list_audit(st, count_audit, counts);
    CHECK(vrc == 0 && chk.entries == (uint64_t)counts[1] && strlen(chk.head) == 64,
          "audit chain verifies (%" PRIu64 " of %d entries: %s)", chk.entries, counts[1],
          chk.problem);
    rip_engine_free(e);
    rip_playbook_set_free(set);
    rip_store_close(st);

    /* Tampering, through SQLite itself. */
    sqlite3 *raw = NULL;
    sqlite3_open(db, &raw);
    sqlite3_exec(raw, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory'"
                      " WHERE id = 3", NULL, NULL, NULL);
    sqlite3_close(raw);
    CHECK(rip_store_open(db, NULL, &st, &err) == 0, "reopen");
    vrc = rip_store_audit_verify(st, &chk);
    CHECK(vrc == RIP_EINVAL && chk.bad_id == 3 && strstr(chk.problem, "edited"),
          "an edited entry is found: %s", chk.problem);
    rip_store_close(st);

    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
