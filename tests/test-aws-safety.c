/* test-aws-safety.c — the safety limits around actions: the hourly cap's
 * state file (cloud/action-safety.h), allow lists, and the accounts list of
 * the configuration (cloud/aws-accounts.h) with its file:line errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/action-safety.h"
#include "cloud/aws-accounts.h"
#include "tests/tap.h"
#include "util/err.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void budget(void)
{
    char state[400], why[512];
    snprintf(state, sizeof(state), "%s/state/riposte", dir);
    int used;
    time_t next;
    time_t t0 = 1700000000;
    int rc = 0;
    for (int i = 0; i < 3 && rc == 0; i++)
        rc = rip_action_budget_take(state, "111122223333", "ec2.stop_instance", 3, t0 + i * 60,
                                    true, &used, &next, why, sizeof(why));
    CHECK(rc == 0 && used == 2, "three runs under a cap of 3 (%s)", why);
    struct stat st;
    char file[600];
    snprintf(file, sizeof(file), "%s/%s", state, RIP_ACTION_BUDGET_FILE);
    CHECK(stat(state, &st) == 0 && (st.st_mode & 0777) == 0700 && stat(file, &st) == 0 &&
          (st.st_mode & 0777) == 0600, "state dir created 0700, file 0600");
    rc = rip_action_budget_take(state, "111122223333", "iam.disable_access_key", 3, t0 + 200, true,
                                &used, &next, why, sizeof(why));
    CHECK(rc == 1 && used == 3 && next == t0 + RIP_ACTION_BUDGET_WINDOW,
          "fourth run in the hour refused; next slot when the oldest leaves the window");
    rc = rip_action_budget_take(state, "444455556666", "ec2.stop_instance", 3, t0 + 200, true,
                                &used, &next, why, sizeof(why));
    CHECK(rc == 0 && used == 0, "another account has its own count");
    rc = rip_action_budget_take(state, "111122223333", "ec2.stop_instance", 3,
                                t0 + RIP_ACTION_BUDGET_WINDOW + 1, false, &used, &next, why,
                                sizeof(why));
    CHECK(rc == 0 && used == 2, "an hour later the oldest run no longer counts (dry: nothing taken)");
    rc = rip_action_budget_take(state, "111122223333", "ec2.stop_instance", 0, t0 + 300, true,
                                &used, &next, why, sizeof(why));
    CHECK(rc == 0, "cap 0 means no cap");
    /* Old lines are dropped on rewrite. */
    rc = rip_action_budget_take(state, "111122223333", "ec2.tag", 100, t0 + 10 * 3600, false,
                                &used, &next, why, sizeof(why));
    FILE *f = fopen(file, "r");
    char buf[256] = "";
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = '\0';
    CHECK(rc == 0 && used == 0 && n == 0, "lines older than the window are pruned ('%s')", buf);
    /* A damaged file is an error, naming file and line: the run fails closed. */
    f = fopen(file, "w");
    if (f) {
        fprintf(f, "%lld 111122223333 ec2.tag\ngarbage\n", (long long)t0);
        fclose(f);
    }
    rc = rip_action_budget_take(state, "111122223333", "ec2.tag", 10, t0 + 5, true, &used, &next,
                                why, sizeof(why));
    CHECK(rc == RIP_ESYNTAX && strstr(why, "line 2") && strstr(why, RIP_ACTION_BUDGET_FILE),
          "damaged state file: error names file and line (%s)", why);
    rc = rip_action_budget_take(state, "bad account", "ec2.tag", 10, t0, true, &used, &next, why,
                                sizeof(why));
    CHECK(rc == RIP_EINVAL, "an account with a space is refused");

    setenv("XDG_STATE_HOME", "/var/lib/x", 1);
    CHECK(rip_action_state_dir(buf, sizeof(buf)) == 0 && !strcmp(buf, "/var/lib/x/riposte"),
          "state dir from XDG_STATE_HOME");
    unsetenv("XDG_STATE_HOME");
    setenv("HOME", "/home/r", 1);
    CHECK(rip_action_state_dir(buf, sizeof(buf)) == 0 &&
          !strcmp(buf, "/home/r/.local/state/riposte"), "state dir under HOME");
}

static void allow_lists(void)
{
    const char *const pats[] = { "iam.*", "ec2.quarantine_instance" };
    CHECK(rip_action_allowed("iam.disable_access_key", pats, 2), "glob allows iam.*");
    CHECK(rip_action_allowed("ec2.quarantine_instance", pats, 2), "exact name allowed");
    CHECK(!rip_action_allowed("ec2.terminate_instance", pats, 2), "others refused");
    CHECK(!rip_action_allowed("iam.x", pats, 0), "an empty list allows nothing");
}

static int load(const char *text, rip_aws_accounts *a, char *err, size_t cap)
{
    char path[512];
    write_file("riposte.yaml", text);
    snprintf(path, sizeof(path), "%s/riposte.yaml", dir);
    return rip_aws_accounts_load(a, path, err, cap);
}

static void accounts(void)
{
    rip_aws_accounts a = { 0 };
    char err[1024] = "";
    int rc = load("store: {path: x.db}\n"
                  "accounts:\n"
                  "  - id: \"111122223333\"\n"
                  "    role_arn: arn:aws:iam::111122223333:role/riposte\n"
                  "    external_id: ext-1\n"
                  "    regions: [eu-west-1, us-east-1]\n"
                  "    allow: [\"iam.*\", ec2.tag]\n"
                  "    max_destructive_per_hour: 3\n"
                  "  - id: 444455556666\n"
                  "    regions: us-west-2\n",
                  &a, err, sizeof(err));
    const rip_aws_account *x = rip_aws_accounts_find(&a, "111122223333");
    const rip_aws_account *y = rip_aws_accounts_find(&a, "444455556666");
    CHECK(rc == 0 && a.n == 2 && x && y, "two accounts read (%s)", err);
    CHECK(x && !strcmp(x->role_arn, "arn:aws:iam::111122223333:role/riposte") &&
          !strcmp(x->external_id, "ext-1") && x->nregions == 2 &&
          !strcmp(x->regions[0], "eu-west-1") && x->has_allow && x->nallow == 2 &&
          !strcmp(x->allow[1], "ec2.tag") && x->max_destructive == 3 && x->line == 3,
          "every field of the first account");
    CHECK(y && !y->role_arn[0] && y->nregions == 1 && !strcmp(y->regions[0], "us-west-2") &&
          !y->has_allow && y->max_destructive == -1, "defaults of the second account");
    CHECK(!rip_aws_accounts_find(&a, "999999999999"), "unknown id not found");

    static const struct {
        const char *text;
        const char *want;
    } bad[] = {
        { "accounts:\n  - id: 12345\n", "line 2: 'id' must be a 12-digit account id, got '12345'" },
        { "accounts:\n  - id: \"111122223333\"\n    regoins: [x]\n", "line 3: unknown key 'regoins'" },
        { "accounts:\n  - id: \"111122223333\"\n    external_id: e\n",
          "line 3: 'external_id' needs 'role_arn'" },
        { "accounts:\n  - id: \"111122223333\"\n    role_arn: riposte\n",
          "line 3: 'role_arn' must be an ARN" },
        { "accounts:\n  - id: \"111122223333\"\n  - id: \"111122223333\"\n",
          "line 3: account '111122223333' is listed twice (first at line 2)" },
        { "accounts:\n  - role_arn: arn:aws:iam::1:role/x\n", "line 2: account without 'id'" },
        { "accounts: {id: 1}\n", "line 1: 'accounts' expects a list" },
        { "accounts:\n  - id: \"111122223333\"\n    max_destructive_per_hour: lots\n",
          "line 3: 'max_destructive_per_hour' expects a number" },
        { "accounts:\n  - id: [1]\n", "line 2: 'id' expects a string" },
        { "accounts:\n  - id: \"111122223333\"\n   bad: [\n", "line " },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        rc = load(bad[i].text, &a, err, sizeof(err));
        CHECK(rc < 0 && strstr(err, "riposte.yaml' line") && strstr(err, bad[i].want) && a.n == 0,
              "bad config %zu: '%s' (%s)", i, bad[i].want, err);
    }
    rc = load("store: {}\n", &a, err, sizeof(err));
    CHECK(rc == 0 && a.n == 0, "no accounts key: empty list");
    char path[512];
    snprintf(path, sizeof(path), "%s/missing.yaml", dir);
    rc = rip_aws_accounts_load(&a, path, err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "missing.yaml"), "missing file named (%s)", err);
    rip_aws_accounts_release(&a);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/riposte-safety-XXXXXX");
    if (!mkdtemp(dir)) {
        tap_check(0, "temp dir");
        return tap_done();
    }
    budget();
    allow_lists();
    accounts();
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", dir);
    return tap_done();
}
