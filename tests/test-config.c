/* test-config.c — the configuration of `riposte serve` (src/server/config.h):
 * the example file is valid and reads as written (and `riposte action
 * --config` still reads its accounts); each kind of error gives exactly its
 * message; secrets never appear in `riposte config check`'s output; users
 * are found by the hash of their token; routes pick the owning team. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloud/aws-accounts.h"
#include "respond/playbook.h"
#include "server/config.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"

#define SRC RIPOSTE_SOURCE_ROOT
#define EXAMPLE SRC "/examples/riposte.yaml"

typedef struct msgs {
    rip_buf all;               /* one message per line; warnings start "warning: " */
    unsigned errors, warnings;
} msgs;

static void on_diag(void *ud, const rip_config_diag *d)
{
    msgs *m = ud;
    rip_buf_addf(&m->all, "%s%s\n", d->warning ? "warning: " : "", d->message);
    if (d->warning)
        m->warnings++;
    else
        m->errors++;
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

static void example_env(void)
{
    setenv("RIPOSTE_SLACK_BOT_TOKEN", "xoxb-example-bot-token-4242", 1);
    setenv("RIPOSTE_SLACK_SIGNING_SECRET", "example-signing-secret-4242", 1);
    setenv("RIPOSTE_PAGERDUTY_ROUTING_KEY", "example-routing-key-4242", 1);
}

/* Stands in for the CLI's built-in set (tests do not link src/cli). */
static int shipped_playbooks(rip_playbook_set *s)
{
    return rip_playbook_load_path(s, SRC "/playbooks");
}

static rip_config *load_example(msgs *m)
{
    rip_config *cfg = NULL;
    rip_config_opts opts = { .builtin_playbooks = shipped_playbooks };
    int rc = rip_config_load_with(EXAMPLE, &opts, &cfg, on_diag, m);
    return rc == 0 ? cfg : NULL;
}

static void test_example(void)
{
    msgs m = { 0 };
    rip_buf_init(&m.all, 0);
    example_env();
    rip_config *cfg = load_example(&m);
    tap_check(cfg && m.errors == 0 && m.warnings == 0, "examples/riposte.yaml is valid, no "
              "warning%s%s", m.all.len ? ": " : "", m.all.ptr);
    if (!cfg) {
        rip_buf_release(&m.all);
        return;
    }
    tap_check(!strcmp(cfg->server.listen_host, "127.0.0.1") && cfg->server.listen_port == 8088 &&
              cfg->server.max_body == 1u << 20 && cfg->server.max_header == 16u << 10 &&
              cfg->server.max_connections == 256 && cfg->server.connection_timeout_s == 30 &&
              cfg->server.drain_timeout_s == 20 && !cfg->server.tls_cert,
              "server section read as written");
    tap_check(!strcmp(cfg->store.path, "/var/lib/riposte/riposte.db") &&
              cfg->store.sync == RIP_CONFIG_SYNC_FULL, "store section read");
    tap_check(cfg->accounts.n == 1 && !strcmp(cfg->accounts.v[0].id, "111122223333") &&
              cfg->accounts.v[0].nregions == 2 && cfg->accounts.v[0].max_destructive == 5 &&
              cfg->accounts.v[0].nallow == 5 && !strcmp(cfg->accounts.v[0].allow[0], "iam.*"),
              "accounts read into the cloud layer's model");
    tap_check(cfg->nsources == 2 && cfg->sources[0].kind == RIP_SOURCE_SQS &&
              cfg->sources[0].wait_s == 20 && cfg->sources[0].visibility_timeout_s == 300 &&
              cfg->sources[1].kind == RIP_SOURCE_HTTP, "sources read");
    const rip_channel_config *sec = rip_config_channel(cfg, "security");
    const rip_channel_config *pd = rip_config_channel(cfg, "oncall");
    tap_check(sec && sec->kind == RIP_CHANNEL_SLACK &&
              !strcmp(sec->bot_token.value, "xoxb-example-bot-token-4242") &&
              !strcmp(sec->bot_token.env, "RIPOSTE_SLACK_BOT_TOKEN") &&
              !strcmp(sec->api_base, "https://slack.com/api") && pd &&
              pd->kind == RIP_CHANNEL_PAGERDUTY &&
              !strcmp(pd->routing_key.value, "example-routing-key-4242") &&
              !rip_config_channel(cfg, "nope"), "channels and their env secrets resolved");
    tap_check(cfg->nroutes == 3 && cfg->routes[2].is_default &&
              cfg->routes[0].mode == RIP_ROUTE_APPROVE && cfg->routes[0].nchannels == 2 &&
              cfg->routes[0].channels[0] == pd && cfg->playbook_set &&
              rip_playbook_count(cfg->playbook_set) == 8,
              "routes resolved to channels; riposte's own playbooks loaded");
    tap_check(cfg->safety.max_destructive_per_hour == 10 && !cfg->safety.dry_run &&
              !strcmp(cfg->safety.protect_key, "riposte:protected") &&
              !strcmp(cfg->safety.protect_value, "true"), "safety section read");

    /* Routes: every matching route in file order; the default otherwise. */
    const rip_config_route *out[8];
    rip_route_tag payments[] = { { "team", "payments-api" } };
    const char *types[] = { "CryptoCurrency:EC2/BitcoinTool.B!DNS" };
    rip_route_subject s = { "111122223333", types, 1, 4, payments, 1, NULL };
    size_t n = rip_config_routes_for(cfg, &s, out, 8);
    tap_check(n == 2 && !strcmp(out[0]->name, "critical") && !strcmp(out[1]->name, "payments"),
              "a critical incident on a payments asset goes to both routes");
    s.severity = 2;
    n = rip_config_routes_for(cfg, &s, out, 8);
    tap_check(n == 1 && !strcmp(out[0]->name, "payments") && !strcmp(out[0]->team, "payments"),
              "the owning team comes from the asset's tag");
    s.ntags = 0;
    n = rip_config_routes_for(cfg, &s, out, 8);
    tap_check(n == 1 && out[0]->is_default, "anything else goes to the default route");
    s.severity = 1;
    s.ntags = 1;
    n = rip_config_routes_for(cfg, &s, out, 8);
    tap_check(n == 1 && out[0]->is_default, "below a route's severity_min: the default route");

    /* Users: found by the hash of what they present, never by the hash itself. */
    const rip_config_user *u = rip_config_user_by_token(cfg, "example-token-alice");
    tap_check(u && !strcmp(u->name, "alice") && rip_config_user_can(u, RIP_ROLE_RESPONDER),
              "a token finds its user; admin can do what a responder can");
    u = rip_config_user_by_token(cfg, "example-token-ci");
    tap_check(u && !strcmp(u->name, "ci") && rip_config_user_can(u, RIP_ROLE_VIEWER) &&
              !rip_config_user_can(u, RIP_ROLE_RESPONDER), "a viewer cannot respond");
    tap_check(!rip_config_user_by_token(cfg, "example-token-alicf") &&
              !rip_config_user_by_token(cfg, "") &&
              !rip_config_user_by_token(cfg, "10fe24a75b300e787dcd965dd547e18d561b688877428161"
                                             "ebdde3149430bdba"),
              "a wrong token, an empty one and the stored hash itself find no user");
    u = rip_config_user_by_slack(cfg, "U0G9QF9C6");
    tap_check(u && !strcmp(u->name, "bob") && !rip_config_user_by_slack(cfg, "U000"),
              "users by Slack id");
    const rip_config_event_key *k = rip_config_event_key_by_key(cfg, "example-eventbridge-key");
    tap_check(k && !strcmp(k->name, "eventbridge") &&
              !rip_config_event_key_by_key(cfg, "example-token-alice"),
              "event keys by the hash of the key");
    rip_config_free(cfg);

    /* `riposte action --config` reads the same file (it ignores other sections). */
    rip_aws_accounts acc = { 0 };
    char err[512] = "";
    int rc = rip_aws_accounts_load(&acc, EXAMPLE, err, sizeof(err));
    tap_check(rc == 0 && acc.n == 1 && !strcmp(acc.v[0].id, "111122223333") &&
              !strcmp(acc.v[0].external_id, "riposte-prod"),
              "cloud/aws-accounts.c still reads the example's accounts%s%s", *err ? ": " : "",
              err);
    rip_aws_accounts_release(&acc);
    rip_buf_release(&m.all);
}

/* One kind of error: the text and the exact messages (errors and warnings). */
typedef struct err_case {
    const char *name;
    const char *yaml;
    const char *want;
} err_case;

#define F "config 'case.yaml' line "

static const err_case cases[] = {
    { "unknown key at the top",
      "srever:\n  listen: 127.0.0.1:1\n",
      F "1: unknown key 'srever' (expected server, store, accounts, aws, sources, channels, "
        "routes, playbooks, safety, users, api)\n" },
    { "unknown key in a section",
      "server:\n  listen: 127.0.0.1:1\n  max_bdy: 1MiB\n",
      F "3: server: unknown key 'max_bdy' (expected listen, tls_cert, tls_key, max_body, "
        "max_header, max_connections, connection_timeout, drain_timeout)\n" },
    { "unknown key for a channel kind",
      "channels:\n  hook:\n    kind: webhook\n    url: https://h.example/x\n"
      "    routing_key_env: PD\n",
      F "5: channels.hook: unknown key 'routing_key_env' for a webhook channel (expected kind, "
        "url, secret, secret_env)\n" },
    { "unknown channel kind",
      "channels:\n  oncall:\n    kind: pagerdutty\n",
      F "3: channels.oncall.kind: unknown kind 'pagerdutty' (expected slack, pagerduty, webhook, "
        "email)\n" },
    { "bad duration",
      "server:\n  drain_timeout: 20 seconds\n  connection_timeout: 2d\n",
      F "2: server.drain_timeout: expected a duration such as 90s, 15m, 2h or 1d, found "
        "'20 seconds'\n"
      F "3: server.connection_timeout: duration '2d' is out of range (1s to 3600s)\n" },
    { "bad size and over the body cap",
      "server:\n  max_body: 32MiB\n  max_header: lots\n",
      F "2: server.max_body: size '32MiB' is out of range (1KiB to 16MiB)\n"
      F "3: server.max_header: expected a size such as 1MiB, 16KiB or 65536, found 'lots'\n" },
    { "bad listen address",
      "server:\n  listen: 8088\n",
      F "2: server.listen: expected HOST:PORT such as 127.0.0.1:8088 or [::1]:8088, found "
        "'8088'\n" },
    { "unknown channel in a route",
      "channels:\n  sec:\n    kind: webhook\n    url: https://h.example/x\n"
      "routes:\n  - name: all\n    default: true\n    channels: [sec, pager]\n",
      F "8: routes.all.channels: unknown channel 'pager' (channels: sec)\n" },
    { "unknown playbook in a route (riposte's own not given: path)",
      "playbooks:\n  path: " SRC "/playbooks\n"
      "routes:\n  - name: all\n    default: true\n    playbooks: [crypto-mining, root-account-used]\n",
      F "6: routes.all.playbooks: unknown playbook 'crypto-mining' (not in " SRC "/playbooks)\n" },
    { "missing secret env var",
      "channels:\n  pd:\n    kind: pagerduty\n    routing_key_env: RIPOSTE_TEST_UNSET_VAR\n",
      F "4: channels.pd.routing_key_env: environment variable 'RIPOSTE_TEST_UNSET_VAR' is not "
        "set\n" },
    { "secret inline and by env",
      "channels:\n  pd:\n    kind: pagerduty\n    routing_key: abc\n"
      "    routing_key_env: RIPOSTE_TEST_SET_VAR\n",
      F "5: channels.pd.routing_key_env: give 'routing_key' or 'routing_key_env', not both\n" },
    { "TLS cert without key",
      "server:\n  tls_cert: " EXAMPLE "\n",
      F "2: server.tls_cert: needs server.tls_key (give both or neither)\n" },
    { "TLS files must exist",
      "server:\n  tls_cert: /nonexistent/cert.pem\n  tls_key: " EXAMPLE "\n",
      F "2: server.tls_cert: cannot read '/nonexistent/cert.pem': No such file or directory\n" },
    { "bad account id",
      "accounts:\n  - id: \"12345\"\n  - id: \"111122223333\"\n    external_id: x\n",
      F "2: accounts[0].id: expected a 12-digit account id, found '12345'\n"
      F "4: accounts.111122223333.external_id: needs 'role_arn'\n" },
    { "duplicate account",
      "accounts:\n  - id: \"111122223333\"\n  - id: \"111122223333\"\n",
      F "3: accounts.111122223333: account '111122223333' is listed twice (first on line 2)\n" },
    { "bad role",
      "users:\n  - name: eve\n    roles: [viewer, superuser]\n    slack_id: U123\n",
      F "3: users.eve.roles: unknown role 'superuser' (expected viewer, responder, admin)\n" },
    { "a token instead of its hash is not echoed",
      "users:\n  - name: eve\n    roles: admin\n    token_sha256: my-secret-token\n",
      F "4: users.eve.token_sha256: expected the 64 hex digits of a SHA-256 (riposte config "
        "hash-token prints them), found 15 characters\n" },
    { "duplicate names",
      "channels:\n  c:\n    kind: webhook\n    url: https://h.example/x\n"
      "routes:\n  - name: r\n    match: {severity_min: high}\n    channels: c\n"
      "  - name: r\n    match: {severity_min: low}\n    channels: c\n"
      "users:\n  - {name: al, roles: admin, slack_id: U1}\n  - {name: al, roles: admin, slack_id: U2}\n",
      F "9: routes[1].name: duplicate route name 'r' (first on line 6)\n"
      F "14: users[1].name: duplicate user name 'al' (first on line 13)\n" },
    { "two default routes, a default with match, a route without either",
      "channels:\n  c:\n    kind: webhook\n    url: https://h.example/x\n"
      "routes:\n  - {name: a, default: true, channels: c}\n"
      "  - {name: b, default: true, channels: c, match: {owner: x}}\n"
      "  - {name: d, channels: c}\n",
      F "7: routes.b.match: a default route has no 'match': it catches what no other route "
        "matched\n"
      F "7: routes.b: a second default route (the first is 'a' on line 6)\n"
      F "8: routes.d: a route needs 'match' or 'default: true'\n" },
    { "source limits",
      "sources:\n  - {kind: sqs, name: q, queue_url: https://sqs.example/q, wait: 30s, "
      "max_messages: 11}\n  - {kind: http, name: h, region: us-east-1}\n",
      F "2: sources.q.wait: duration '30s' is out of range (0s to 20s)\n"
      F "2: sources.q.max_messages: 11 is out of range (1 to 10)\n"
      F "3: sources.h: unknown key 'region' for an http source (expected kind, name, "
        "backoff_max)\n" },
    { "inline secrets are warnings",
      "channels:\n  s:\n    kind: slack\n    webhook_url: https://hooks.example/T/B/x\n",
      "warning: " F "2: channels.s: no 'signing_secret': button presses from Slack will be "
        "refused\n"
      "warning: " F "4: channels.s.webhook_url: secret written in the file; prefer "
        "'webhook_url_env' (the name of an environment variable)\n" },
    { "email channel",
      "channels:\n  m:\n    kind: email\n    smtp_url: smtp://u:pw@mail.example:587\n"
      "    from: \"a b@example.com\"\n    to: [ok@example.com, x@@example.com]\n"
      "    username_env: RIPOSTE_TEST_SET_VAR\n    starttls: sometimes\n"
      "    subject_prefix: \"x\\ty\"\n",
      F "2: channels.m: give both 'username_env' and 'password_env', or neither\n"
      F "4: channels.m.smtp_url: no credentials in the URL: use 'username_env' and "
        "'password_env'\n"
      F "5: channels.m.from: 'a b@example.com' is not an email address\n"
      F "6: channels.m.to: 'x@@example.com' is not an email address\n"
      F "8: channels.m.starttls: unknown starttls policy 'sometimes' (expected required, try, "
        "off)\n"
      F "9: channels.m.subject_prefix: at most 64 bytes of text on one line\n" },
    { "email: starttls off with a password is a warning",
      "channels:\n  m:\n    kind: email\n    smtp_url: smtp://mail.example.com:25\n"
      "    from: r@example.com\n    to: s@example.com\n    username_env: RIPOSTE_TEST_SET_VAR\n"
      "    password_env: RIPOSTE_TEST_SET_VAR\n    starttls: off\n"
      "  local:\n    kind: email\n    smtp_url: smtp://127.0.0.1:25\n"
      "    from: r@example.com\n    to: s@example.com\n    username_env: RIPOSTE_TEST_SET_VAR\n"
      "    password_env: RIPOSTE_TEST_SET_VAR\n    starttls: off\n",
      "warning: " F "9: channels.m.starttls: 'off' sends the SMTP password unencrypted over "
        "the network\n" },
    { "protect_tag",
      "aws:\n  protect_tag: novalue\n",
      F "2: aws.protect_tag: expected KEY=VALUE such as riposte:protected=true, found "
        "'novalue'\n" },
    { "malformed YAML",
      "server:\n  listen: [\n",
      F "3: invalid YAML: did not find expected node content while parsing a flow node\n" },
    { "a section of the wrong shape",
      "routes:\n  name: x\nusers: admin\n",
      F "2: routes: expected a list, found a map\n"
      F "3: users: expected a list, found a string\n" },
};

static void test_errors(void)
{
    setenv("RIPOSTE_TEST_SET_VAR", "set-value", 1);
    unsetenv("RIPOSTE_TEST_UNSET_VAR");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        msgs m = { 0 };
        rip_buf_init(&m.all, 0);
        rip_config *cfg = NULL;
        int rc = rip_config_load_text("case.yaml", cases[i].yaml, strlen(cases[i].yaml), NULL,
                                      &cfg, on_diag, &m);
        bool want_valid = m.errors == 0 && strstr(cases[i].want, "warning: ") == cases[i].want;
        bool ok = want_valid ? rc == 0 && cfg : rc < 0 && !cfg;
        tap_check(ok && !strcmp(m.all.ptr, cases[i].want), "%s%s%s%s%s", cases[i].name,
                  ok ? "" : ": wrong result code", strcmp(m.all.ptr, cases[i].want) ? "\n# got:\n"
                                                                                  : "",
                  strcmp(m.all.ptr, cases[i].want) ? m.all.ptr : "",
                  strcmp(m.all.ptr, cases[i].want) ? "# want:\n" : "");
        if (strcmp(m.all.ptr, cases[i].want))
            tap_diag("%s", cases[i].want);
        rip_config_free(cfg);
        rip_buf_release(&m.all);
    }
}

static void test_limits(void)
{
    /* Every problem is reported, up to RIP_CONFIG_MAX_ERRORS. */
    rip_buf y;
    rip_buf_init(&y, 0);
    rip_buf_adds(&y, "server:\n");
    for (int i = 0; i < 80; i++)
        rip_buf_addf(&y, "  k%d: 1\n", i);
    msgs m = { 0 };
    rip_buf_init(&m.all, 0);
    rip_config *cfg = NULL;
    int rc = rip_config_load_text("case.yaml", y.ptr, y.len, NULL, &cfg, on_diag, &m);
    tap_check(rc == RIP_EINVAL && !cfg && m.errors == RIP_CONFIG_MAX_ERRORS &&
              strstr(m.all.ptr, "line 51: server: too many errors; the rest are not shown\n"),
              "80 errors: 49 shown, then 'too many errors'");
    rip_buf_release(&m.all);

    rip_buf_reset(&y);
    for (size_t i = 0; i <= RIP_CONFIG_FILE_MAX / 16; i++)
        rip_buf_adds(&y, "# padding line.\n");
    rip_buf_init(&m.all, 0);
    rc = rip_config_load_text("big.yaml", y.ptr, y.len, NULL, &cfg, on_diag, &m);
    tap_check(rc == RIP_ELIMIT && !strcmp(m.all.ptr, "config 'big.yaml': file is larger than "
                                          "1048576 bytes\n"), "a file over 1 MiB is refused");
    rip_buf_release(&m.all);
    rip_buf_release(&y);

    rip_buf_init(&m.all, 0);
    rc = rip_config_load_text("empty.yaml", "", 0, NULL, &cfg, on_diag, &m);
    tap_check(rc == 0 && cfg && !strcmp(cfg->server.listen, "127.0.0.1:8088") &&
              cfg->server.max_body == 1u << 20 && !strcmp(cfg->store.path, "riposte.db") &&
              cfg->safety.max_destructive_per_hour == 10 && cfg->nroutes == 0,
              "an empty file is every default");
    rip_config_free(cfg);
    rip_buf_release(&m.all);
}

static void test_cli(void)
{
    char cmd[4096], path[] = "/tmp/riposte-test-config-XXXXXX";
    rip_buf out;
    rip_buf_init(&out, 0);

    /* An inline secret and env secrets with values that must not be printed. */
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        tap_check(0, "cannot create a temporary file");
        return;
    }
    fputs("channels:\n"
          "  s:\n    kind: slack\n    bot_token: xoxb-INLINE-SECRET-777\n"
          "    channel: C123\n    signing_secret_env: RIPOSTE_TEST_SIGNING\n"
          "  w:\n    kind: webhook\n    url: https://h.example/x\n    secret_env: RIPOSTE_TEST_HMAC\n"
          "  m:\n    kind: email\n    smtp_url: smtps://mail.example:465\n    from: r@example.com\n"
          "    to: [sec@example.com]\n    username_env: RIPOSTE_TEST_HMAC\n"
          "    password_env: RIPOSTE_TEST_SIGNING\n"
          "routes:\n  - {name: all, default: true, channels: [s, w, m]}\n", f);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "RIPOSTE_TEST_SIGNING=ENV-SIGNING-SECRET-888 "
             "RIPOSTE_TEST_HMAC=ENV-HMAC-SECRET-999 %s config check %s 2>&1", RIPOSTE_EXE, path);
    int rc = run(cmd, &out);
    tap_check(rc == 0 && strstr(out.ptr, "config '") && strstr(out.ptr, "': valid") &&
              strstr(out.ptr, "bot_token (set, inline)") &&
              strstr(out.ptr, "signing_secret (set, from $RIPOSTE_TEST_SIGNING)") &&
              strstr(out.ptr, "warning: config '") && !strstr(out.ptr, "INLINE-SECRET") &&
              !strstr(out.ptr, "ENV-SIGNING") && !strstr(out.ptr, "ENV-HMAC"),
              "config check: valid, secrets shown as (set), never their values");
    if (rc != 0)
        tap_diag("%s", out.ptr);

    /* Invalid: the messages name the variable, never a value. */
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "env -u RIPOSTE_TEST_HMAC RIPOSTE_TEST_SIGNING=ENV-SIGNING-SECRET-888 "
             "%s config check %s 2>&1", RIPOSTE_EXE, path);
    rc = run(cmd, &out);
    tap_check(rc == 1 && strstr(out.ptr, "line 10: channels.w.secret_env: environment variable "
                                         "'RIPOSTE_TEST_HMAC' is not set\n") &&
              strstr(out.ptr, "is invalid: 2 errors\n") && !strstr(out.ptr, "INLINE-SECRET") &&
              !strstr(out.ptr, "ENV-SIGNING"), "config check: invalid exits 1, no secret shown");
    unlink(path);

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s config check /nonexistent/riposte.yaml 2>&1", RIPOSTE_EXE);
    rc = run(cmd, &out);
    tap_check(rc == 2 && strstr(out.ptr, "riposte: config '/nonexistent/riposte.yaml': cannot "
                                         "open: No such file or directory\n"),
              "config check: unreadable exits 2");

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "RIPOSTE_SLACK_BOT_TOKEN=xoxb-example-bot-token-4242 "
             "RIPOSTE_SLACK_SIGNING_SECRET=s RIPOSTE_PAGERDUTY_ROUTING_KEY=k "
             "%s config check -q %s 2>&1", RIPOSTE_EXE, EXAMPLE);
    rc = run(cmd, &out);
    tap_check(rc == 0 && out.len == 0, "config check -q on the example: exit 0, silent");

    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "printf 'example-token-alice\\n' | %s config hash-token",
             RIPOSTE_EXE);
    rc = run(cmd, &out);
    tap_check(rc == 0 && !strcmp(out.ptr, "10fe24a75b300e787dcd965dd547e18d561b688877428161ebdde"
                                          "3149430bdba\n"),
              "config hash-token prints the token's SHA-256 (without its newline)");
    rip_buf_reset(&out);
    snprintf(cmd, sizeof(cmd), "%s config hash-token </dev/null 2>&1", RIPOSTE_EXE);
    tap_check(run(cmd, &out) == 2 && strstr(out.ptr, "no token on standard input"),
              "config hash-token with nothing on stdin exits 2");
    rip_buf_release(&out);
}

int main(void)
{
    test_example();
    test_errors();
    test_limits();
    test_cli();
    return tap_done();
}
