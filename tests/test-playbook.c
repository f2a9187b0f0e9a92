/* test-playbook.c — the playbook loader: riposte's own playbooks load and
 * say what they should; every case under tests/playbook-cases/ is rejected
 * with exactly the messages its '# error: ' lines give (adding a case needs
 * no C); limits, matching, and `riposte playbook` as a user runs it. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "respond/playbook.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"

#define SRC RIPOSTE_SOURCE_ROOT

typedef struct msgs {
    rip_buf all;               /* one message per line */
    unsigned n;
} msgs;

static void on_diag(void *ud, const rip_pb_diag *d)
{
    msgs *m = ud;
    rip_buf_addf(&m->all, "%s\n", d->message);
    m->n++;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rip_buf b;
    rip_buf_init(&b, 0);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rip_buf_add(&b, chunk, n);
    fclose(f);
    return rip_buf_take(&b, len);
}

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

static const rip_pb_step *step(const rip_playbook *pb, const char *id)
{
    for (size_t i = 0; i < pb->nsteps; i++)
        if (!strcmp(pb->steps[i].id, id))
            return &pb->steps[i];
    return NULL;
}

/* Position of step id in pb's run order, or -1. */
static long pos(const rip_playbook *pb, const char *id)
{
    for (size_t i = 0; i < pb->nsteps; i++)
        if (!strcmp(pb->steps[pb->order[i]].id, id))
            return (long)i;
    return -1;
}

static void test_shipped(void)
{
    msgs m = { 0 };
    rip_buf_init(&m.all, 0);
    rip_playbook_set *s = rip_playbook_set_new(on_diag, &m);
    int rc = rip_playbook_load_path(s, SRC "/playbooks");
    CHECK(rc == 0 && m.n == 0, "shipped playbooks load without a problem (rc %d)", rc);
    if (m.n)
        tap_diag("%s", m.all.ptr);
    static const char *const names[] = {
        "compromised-access-key", "crypto-mining-instance", "ssh-brute-force",
        "bucket-made-public", "cloudtrail-stopped", "root-account-used",
        "security-group-open-to-world", "iam-backdoor-credentials",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        CHECK(rip_playbook_find(s, names[i]), "shipped playbook '%s' is there", names[i]);
    CHECK(rip_playbook_count(s) == 8, "eight shipped playbooks (%zu)", rip_playbook_count(s));

    const rip_playbook *pb = rip_playbook_find(s, "compromised-access-key");
    if (pb) {
        const rip_pb_step *d = step(pb, "disable-key"), *n = step(pb, "notify");
        CHECK(d && d->kind == RIP_PB_STEP_ACTION &&
              !strcmp(d->action, "iam.disable_access_key") && d->retry_attempts == 3 &&
              d->on_failure == RIP_PB_FAIL_ESCALATE && d->timeout_s == 120,
              "compromised-access-key disables the key, 3 tries, escalates, 2m timeout");
        CHECK(step(pb, "revoke-sessions") &&
              !strcmp(step(pb, "revoke-sessions")->action, "iam.revoke_sessions"),
              "compromised-access-key revokes sessions");
        CHECK(n && n->kind == RIP_PB_STEP_NOTIFY && n->nneeds == 2 &&
              pos(pb, "notify") == 2, "compromised-access-key notifies last");
    }
    pb = rip_playbook_find(s, "crypto-mining-instance");
    if (pb) {
        const rip_pb_step *t = step(pb, "terminate");
        CHECK(t && t->approval.required && t->approval.who.n == 2 &&
              !strcmp(t->approval.who.v[0], "role:responder") &&
              t->approval.timeout_s == 4 * 3600 &&
              t->approval.on_timeout == RIP_PB_TIMEOUT_REJECT,
              "crypto-mining-instance terminates only after approval (4h, else reject)");
        CHECK(pos(pb, "quarantine") < pos(pb, "terminate") &&
              pos(pb, "snapshot") < pos(pb, "terminate") && pos(pb, "terminate") < pos(pb, "notify"),
              "crypto-mining-instance quarantines and snapshots before terminating");
        CHECK(step(pb, "quarantine")->nneeds == 0 && step(pb, "snapshot")->nneeds == 0,
              "quarantine and snapshot need nothing (may run in parallel)");
        CHECK(step(pb, "quarantine")->verify_fact &&
              !strcmp(step(pb, "quarantine")->verify_fact, "isolated"),
              "crypto-mining-instance verifies the quarantine group");
    }
    pb = rip_playbook_find(s, "iam-backdoor-credentials");
    CHECK(pb && step(pb, "disable-new-key") && step(pb, "remove-password") &&
              step(pb, "remove-password")->approval.required &&
              !strcmp(step(pb, "remove-password")->action, "iam.delete_login_profile") &&
              step(pb, "notify") && step(pb, "notify")->nneeds == 2,
          "iam-backdoor-credentials disables the new key, removes the password after approval");
    pb = rip_playbook_find(s, "ssh-brute-force");
    CHECK(pb && step(pb, "nacl-deny") && !strcmp(step(pb, "nacl-deny")->action, "ec2.nacl_deny_ip") &&
          step(pb, "close-ssh") && !strcmp(step(pb, "close-ssh")->action, "ec2.revoke_sg_rule"),
          "ssh-brute-force denies the IP on the NACL and tightens the group");
    pb = rip_playbook_find(s, "bucket-made-public");
    CHECK(pb && step(pb, "block-public-access") &&
          !strcmp(step(pb, "block-public-access")->action, "s3.block_public_access"),
          "bucket-made-public blocks public access");
    pb = rip_playbook_find(s, "cloudtrail-stopped");
    CHECK(pb && step(pb, "restart-logging") &&
          !strcmp(step(pb, "restart-logging")->action, "cloudtrail.start_logging") &&
          step(pb, "notify") && step(pb, "notify")->notify_severity == 4,
          "cloudtrail-stopped restarts logging and notifies at critical");
    pb = rip_playbook_find(s, "root-account-used");
    CHECK(pb && pb->nsteps == 1 && pb->steps[0].kind == RIP_PB_STEP_NOTIFY &&
          pb->steps[0].notify_severity == 4 && !strcmp(pb->steps[0].notify_channel, "oncall"),
          "root-account-used pages on-call at critical");
    pb = rip_playbook_find(s, "security-group-open-to-world");
    CHECK(pb && step(pb, "revoke-rule") &&
          !strcmp(step(pb, "revoke-rule")->action, "ec2.revoke_sg_rule"),
          "security-group-open-to-world revokes the rule");

    /* Triggers: selectors any-of, filters all-of. */
    pb = rip_playbook_find(s, "crypto-mining-instance");
    if (pb) {
        const char *types[] = { "CryptoCurrency:EC2/BitcoinTool.B!DNS" };
        rip_pb_subject sub = { .finding_types = types, .nfinding_types = 1, .severity = 3,
                               .account = "111122223333" };
        CHECK(rip_playbook_matches(pb, &sub) == 1, "a mining finding matches crypto-mining");
        sub.severity = 1;
        CHECK(rip_playbook_matches(pb, &sub) == 0, "below min_severity it does not");
        const char *other[] = { "Recon:EC2/PortProbeUnprotectedPort" };
        sub.severity = 3;
        sub.finding_types = other;
        CHECK(rip_playbook_matches(pb, &sub) == 0, "another finding type does not");
    }
    pb = rip_playbook_find(s, "root-account-used");
    if (pb) {
        const char *ids[] = { "78842097-8a10-5b2b-b7bb-7df513e64ed7" };
        rip_pb_subject sub = { .rule_ids = ids, .nrule_ids = 1, .severity = 4 };
        CHECK(rip_playbook_matches(pb, &sub) == 1, "the root-usage rule id matches root-account-used");
    }
    rip_playbook_set_free(s);
    rip_buf_release(&m.all);
}

/* Every case file: rejected, with exactly its '# error: ' lines. */
static void test_cases(void)
{
    const char *dir = SRC "/tests/playbook-cases";
    DIR *d = opendir(dir);
    if (!CHECK(d, "open %s", dir))
        return;
    struct dirent *e;
    unsigned ncases = 0;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".yml"))
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        size_t len;
        char *text = slurp(path, &len);
        if (!CHECK(text, "read %s", path))
            continue;
        rip_buf want;
        rip_buf_init(&want, 0);
        for (const char *p = text; (p = strstr(p, "# error: ")); ) {
            const char *eol = strchr(p, '\n');
            p += strlen("# error: ");
            rip_buf_add(&want, p, eol ? (size_t)(eol - p) : strlen(p));
            rip_buf_addc(&want, '\n');
            if (!eol)
                break;
            p = eol;
        }
        msgs m = { 0 };
        rip_buf_init(&m.all, 0);
        rip_playbook_set *s = rip_playbook_set_new(on_diag, &m);
        int rc = rip_playbook_load_text(s, e->d_name, text, len);
        CHECK(rc < 0 && rip_playbook_count(s) == 0 && !strcmp(m.all.ptr, want.ptr),
              "case %s: rejected with the expected messages", e->d_name);
        if (strcmp(m.all.ptr, want.ptr))
            tap_diag("want:\n%s# got (rc %d):\n%s", want.ptr, rc, m.all.ptr);
        ncases++;
        rip_playbook_set_free(s);
        rip_buf_release(&m.all);
        rip_buf_release(&want);
        free(text);
    }
    closedir(d);
    CHECK(ncases >= 15, "at least 15 error cases ran (%u)", ncases);
}

static const char *good =
    "name: good\n"
    "trigger:\n"
    "  rule_ids: [x]\n"
    "steps:\n"
    "  - id: page\n"
    "    notify:\n"
    "      message: hi\n";

static void test_limits(void)
{
    msgs m = { 0 };
    rip_buf_init(&m.all, 0);
    rip_playbook_set *s = rip_playbook_set_new(on_diag, &m);

    /* Too big a file. */
    size_t big = RIP_PB_FILE_MAX + 1;
    char *data = malloc(big);
    memset(data, '#', big);
    int rc = rip_playbook_load_text(s, "big.yml", data, big);
    free(data);
    CHECK(rc == RIP_ELIMIT && strstr(m.all.ptr, "playbook 'big.yml': file is larger than"),
          "a file over RIP_PB_FILE_MAX is refused");

    /* Too many steps. */
    rip_buf b;
    rip_buf_init(&b, 0);
    rip_buf_adds(&b, "name: many\ntrigger:\n  rule_ids: [x]\nsteps:\n");
    for (int i = 0; i <= RIP_PB_MAX_STEPS; i++)
        rip_buf_addf(&b, "  - id: s%d\n    notify: {message: hi}\n", i);
    rip_buf_reset(&m.all);
    rc = rip_playbook_load_text(s, "many.yml", b.ptr, b.len);
    CHECK(rc == RIP_ELIMIT && strstr(m.all.ptr, "line 4: steps: more than 64 steps"),
          "more than RIP_PB_MAX_STEPS steps is refused");

    /* Too deep. */
    rip_buf_reset(&b);
    rip_buf_adds(&b, "name: deep\ndescription: ");
    for (int i = 0; i < 40; i++)
        rip_buf_addc(&b, '[');
    for (int i = 0; i < 40; i++)
        rip_buf_addc(&b, ']');
    rip_buf_addc(&b, '\n');
    rip_buf_reset(&m.all);
    rc = rip_playbook_load_text(s, "deep.yml", b.ptr, b.len);
    CHECK(rc == RIP_ELIMIT && strstr(m.all.ptr, "nesting deeper than"),
          "nesting past RIP_PB_MAX_DEPTH is refused");
    rip_buf_release(&b);

    /* The same name twice. */
    rip_buf_reset(&m.all);
    rc = rip_playbook_load_text(s, "a.yml", good, strlen(good));
    int rc2 = rip_playbook_load_text(s, "b.yml", good, strlen(good));
    CHECK(rc == 0 && rc2 == RIP_EINVAL &&
          !strcmp(m.all.ptr, "playbook 'b.yml' line 1: name: playbook 'good' is already defined "
                             "in 'a.yml'\n"),
          "a second playbook with the same name is refused");
    CHECK(rip_playbook_count(s) == 1, "only the first is kept");
    rip_playbook_set_free(s);
    rip_buf_release(&m.all);

    char err[256];
    CHECK(rip_pb_template_check("${{ steps.a.outputs.snapshots }} and ${{ incident.id }}", err,
                                sizeof(err)) == 0, "template check: two good expressions");
    CHECK(rip_pb_template_check("${{ env.HOME }}", err, sizeof(err)) == RIP_ESYNTAX &&
          strstr(err, "unknown expression root 'env'"), "template check: unknown root");
    CHECK(rip_pb_template_check("${{ steps.a.outputs }}", err, sizeof(err)) == RIP_ESYNTAX,
          "template check: a step reference needs outputs.NAME or status");
}

static void test_cli(void)
{
    char cmd[2048];
    rip_buf out;
    rip_buf_init(&out, 0);
    snprintf(cmd, sizeof(cmd), "%s playbook validate 2>&1", RIPOSTE_EXE);
    int rc = run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "8 playbooks valid, 0 errors"),
          "playbook validate (built-in set) exits 0");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook validate %s/playbooks 2>&1", RIPOSTE_EXE, SRC);
    CHECK(run(cmd, &out) == 0, "playbook validate playbooks/ exits 0");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook validate %s/tests/playbook-cases/cycle.yml 2>&1",
             RIPOSTE_EXE, SRC);
    rc = run(cmd, &out);
    CHECK(rc == 1 && strstr(out.ptr, "riposte: playbook '" SRC "/tests/playbook-cases/cycle.yml'"
                                     " line 13: steps.b.notify.message: steps form a cycle: a -> c -> b -> a\n"),
          "playbook validate on a bad file exits 1 with file, line and key");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook validate /nonexistent/pb.yml 2>&1", RIPOSTE_EXE);
    CHECK(run(cmd, &out) == 2, "playbook validate on a missing path exits 2");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook list 2>&1", RIPOSTE_EXE);
    rc = run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "crypto-mining-instance") &&
          strstr(out.ptr, "root-account-used"), "playbook list exits 0 and lists them");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook list --format jsonl 2>&1", RIPOSTE_EXE);
    rc = run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "{\"name\":\"bucket-made-public\""),
          "playbook list --format jsonl exits 0");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook show crypto-mining-instance 2>&1", RIPOSTE_EXE);
    rc = run(cmd, &out);
    CHECK(rc == 0 && strstr(out.ptr, "approval:   role:responder, role:admin within 14400s, else reject"),
          "playbook show exits 0 and shows the approval");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook show no-such-playbook 2>&1", RIPOSTE_EXE);
    CHECK(run(cmd, &out) == 2 && strstr(out.ptr, "riposte: no playbook 'no-such-playbook'"),
          "playbook show of an unknown name exits 2");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s playbook frobnicate 2>&1", RIPOSTE_EXE);
    CHECK(run(cmd, &out) == 2, "an unknown subcommand exits 2");
    rip_buf_release(&out);
}

int main(void)
{
    test_shipped();
    test_cases();
    test_limits();
    test_cli();
    return tap_done();
}
