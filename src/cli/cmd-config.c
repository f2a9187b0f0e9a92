/* cmd-config.c — `riposte config`: check the configuration of `riposte
 * serve` (docs/CONFIG.md) and hash API tokens for it.
 *
 *   riposte config check [-q] FILE    exit 0 valid, 1 invalid, 2 unreadable
 *   riposte config hash-token         token on stdin → its SHA-256 in hex
 *
 * The summary `check` prints never shows a secret: a secret is "(set)",
 * with the environment variable it came from. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "correlate/incident.h"
#include "respond/playbook.h"
#include "server/config.h"
#include "util/err.h"

#define TOKEN_MAX 4096

void cmd_config_usage(FILE *out)
{
    fputs("usage: riposte config check [-q] FILE\n"
          "       riposte config hash-token < token\n"
          "\n"
          "check       validate the configuration of 'riposte serve' (docs/CONFIG.md):\n"
          "            every problem is listed as file, line and key; then a summary\n"
          "            of what was read, secrets shown as (set)\n"
          "            exit status: 0 valid, 1 invalid, 2 unreadable\n"
          "  -q, --quiet  no summary, only the problems\n"
          "hash-token  read an API token from standard input (one line) and print the\n"
          "            SHA-256 a user's token_sha256 or an event key's key_sha256 takes,\n"
          "            so that no token is ever written into the file\n", out);
}

typedef struct check_state {
    unsigned errors, warnings;
} check_state;

static void on_diag(void *ud, const rip_config_diag *d)
{
    check_state *s = ud;
    if (d->warning) {
        s->warnings++;
        fprintf(stderr, "riposte: warning: %s\n", d->message);
    } else {
        s->errors++;
        fprintf(stderr, "riposte: %s\n", d->message);
    }
}

static void print_secret(const char *label, const rip_config_secret_ref *r)
{
    if (!r->value)
        return;
    if (r->env)
        printf(", %s (set, from $%s)", label, r->env);
    else
        printf(", %s (set, inline)", label);
}

static void print_strs(const rip_config_strs *l)
{
    for (size_t i = 0; i < l->n; i++)
        printf("%s%s", i ? ", " : "", l->v[i]);
}

static void print_size(size_t n)
{
    if (n % ((size_t)1 << 20) == 0)
        printf("%zuMiB", n >> 20);
    else if (n % 1024 == 0)
        printf("%zuKiB", n >> 10);
    else
        printf("%zu", n);
}

static void summary(const rip_config *cfg)
{
    const rip_config_server *s = &cfg->server;
    printf("config '%s': valid\n", cfg->file);
    printf("server     listen %s, tls %s, max_body ", s->listen, s->tls_cert ? "on" : "off");
    print_size(s->max_body);
    printf(", max_header ");
    print_size(s->max_header);
    printf(", max_connections %u, connection_timeout %us, drain_timeout %us\n",
           s->max_connections, s->connection_timeout_s, s->drain_timeout_s);
    printf("store      %s (sync %s)\n", cfg->store.path, rip_config_sync_name(cfg->store.sync));
    printf("aws        profile %s, region %s, endpoint_url %s\n",
           cfg->aws.profile ? cfg->aws.profile : "-", cfg->aws.region ? cfg->aws.region : "-",
           cfg->aws.endpoint_url ? cfg->aws.endpoint_url : "-");
    printf("safety     max_destructive_per_hour %d, protect_tag %s=%s, dry_run %s\n",
           cfg->safety.max_destructive_per_hour, cfg->safety.protect_key,
           cfg->safety.protect_value, cfg->safety.dry_run ? "true" : "false");
    printf("accounts   %zu\n", cfg->accounts.n);
    for (size_t i = 0; i < cfg->accounts.n; i++) {
        const rip_aws_account *a = &cfg->accounts.v[i];
        printf("  %s", a->id);
        if (cfg->account_names[i])
            printf(" (%s)", cfg->account_names[i]);
        printf(": role %s", a->role_arn[0] ? a->role_arn : "(the caller's credentials)");
        if (a->external_id[0])
            printf(", external_id (set)");
        for (size_t r = 0; r < a->nregions; r++)
            printf("%s%s", r ? ", " : ", regions ", a->regions[r]);
        if (a->has_allow)
            printf(", allow %zu pattern%s", a->nallow, a->nallow == 1 ? "" : "s");
        if (a->max_destructive >= 0)
            printf(", max_destructive_per_hour %d", a->max_destructive);
        putchar('\n');
    }
    printf("sources    %zu\n", cfg->nsources);
    for (size_t i = 0; i < cfg->nsources; i++) {
        const rip_config_source *src = &cfg->sources[i];
        printf("  %s: %s", src->name, rip_source_kind_name(src->kind));
        if (src->kind == RIP_SOURCE_SQS)
            printf(" %s, wait %us, max_messages %u, visibility_timeout %us", src->queue_url,
                   src->wait_s, src->max_messages, src->visibility_timeout_s);
        printf(", backoff_max %us\n", src->backoff_max_s);
    }
    printf("channels   %zu\n", cfg->nchannels);
    for (size_t i = 0; i < cfg->nchannels; i++) {
        const rip_channel_config *ch = &cfg->channels[i];
        printf("  %s: %s", ch->name, rip_channel_kind_name(ch->kind));
        switch (ch->kind) {
        case RIP_CHANNEL_SLACK:
            if (ch->channel)
                printf(" %s", ch->channel);
            printf(", api_base %s", ch->api_base);
            print_secret("bot_token", &ch->bot_token);
            print_secret("webhook_url", &ch->webhook_url);
            print_secret("signing_secret", &ch->signing_secret);
            break;
        case RIP_CHANNEL_PAGERDUTY:
            printf(" %s", ch->url);
            print_secret("routing_key", &ch->routing_key);
            break;
        case RIP_CHANNEL_WEBHOOK:
            printf(" %s", ch->url);
            print_secret("secret", &ch->secret);
            break;
        case RIP_CHANNEL_EMAIL:
            printf(" %s, from %s, to ", ch->smtp_url, ch->from);
            print_strs(&ch->to);
            print_secret("username", &ch->username);
            print_secret("password", &ch->password);
            break;
        }
        putchar('\n');
    }
    if (cfg->playbook_set)
        printf("playbooks  %zu from %s\n", rip_playbook_count(cfg->playbook_set),
               cfg->playbooks_path ? cfg->playbooks_path : "riposte's own");
    else
        printf("playbooks  %s (not loaded)\n", cfg->playbooks_path ? cfg->playbooks_path
                                                                   : "riposte's own");
    printf("routes     %zu\n", cfg->nroutes);
    for (size_t i = 0; i < cfg->nroutes; i++) {
        const rip_config_route *r = &cfg->routes[i];
        printf("  %s:", r->name);
        if (r->is_default)
            printf(" default");
        if (r->accounts.n) {
            printf(" accounts ");
            print_strs(&r->accounts);
        }
        if (r->finding_types.n) {
            printf(" finding_types ");
            print_strs(&r->finding_types);
        }
        if (r->severity_min >= 0)
            printf(" severity >= %s", rip_severity_name(r->severity_min));
        for (size_t t = 0; t < r->ntags; t++)
            printf(" tag %s=%s", r->tags[t].key, r->tags[t].glob);
        if (r->owner)
            printf(" owner %s", r->owner);
        printf(" ->");
        for (size_t c = 0; c < r->nchannels; c++)
            printf("%s%s", c ? ", " : " channels ", r->channels[c]->name);
        if (r->playbooks.n) {
            printf("%s playbooks ", r->nchannels ? ";" : "");
            print_strs(&r->playbooks);
        }
        printf(" (mode %s", rip_route_mode_name(r->mode));
        if (r->team)
            printf(", team %s", r->team);
        printf(")\n");
    }
    printf("users      %zu\n", cfg->nusers);
    for (size_t i = 0; i < cfg->nusers; i++) {
        const rip_config_user *u = &cfg->users[i];
        printf("  %s: roles", u->name);
        static const char *const roles[] = { "viewer", "responder", "admin" };
        for (unsigned r = 0; r < 3; r++)
            if (u->roles & (1u << r))
                printf(" %s", roles[r]);
        if (u->slack_id)
            printf(", slack %s", u->slack_id);
        if (u->has_token)
            printf(", token (set)");
        putchar('\n');
    }
    printf("event keys %zu\n", cfg->nevent_keys);
    for (size_t i = 0; i < cfg->nevent_keys; i++)
        printf("  %s: key (set)\n", cfg->event_keys[i].name);
}

static int config_check(int argc, char **argv)
{
    const char *path = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
            quiet = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return rip_cli_error("config check: unknown option '%s'", argv[i]);
        else if (path)
            return rip_cli_error("config check: one FILE only");
        else
            path = argv[i];
    }
    if (!path)
        return rip_cli_error("config check: which FILE? see 'riposte config --help'");
    check_state st = { 0 };
    rip_config_opts opts = { .builtin_playbooks = rip_cli_load_builtin_playbooks };
    rip_config *cfg = NULL;
    int rc = rip_config_load_with(path, &opts, &cfg, on_diag, &st);
    if (rc == RIP_ENOENT || rc == RIP_EIO)
        return RIP_EXIT_ERROR;
    if (rc == RIP_ENOMEM)
        return rip_cli_error("config '%s': out of memory", path);
    if (rc < 0) {
        rip_cli_error("config '%s' is invalid: %u error%s", path, st.errors,
                      st.errors == 1 ? "" : "s");
        return 1;
    }
    if (!quiet)
        summary(cfg);
    rip_config_free(cfg);
    return RIP_EXIT_OK;
}

static int config_hash_token(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        return rip_cli_error("config hash-token: reads the token from standard input; no "
                             "arguments");
    char tok[TOKEN_MAX + 2];
    size_t n = fread(tok, 1, sizeof(tok) - 1, stdin);
    int rc = RIP_EXIT_ERROR;
    if (n > TOKEN_MAX) {
        rip_cli_error("config hash-token: the token is longer than %d bytes", TOKEN_MAX);
        goto out;
    }
    tok[n] = '\0';
    /* One line: the newline that ends it is not part of the token. */
    if (n && tok[n - 1] == '\n')
        tok[--n] = '\0';
    if (n && tok[n - 1] == '\r')
        tok[--n] = '\0';
    if (!n) {
        rip_cli_error("config hash-token: no token on standard input");
        goto out;
    }
    if (memchr(tok, '\n', n) || strlen(tok) != n) {
        rip_cli_error("config hash-token: the token is one line of text");
        goto out;
    }
    char hex[65];
    if (rip_config_sha256_hex(tok, n, hex) < 0) {
        rip_cli_error("config hash-token: out of memory");
        goto out;
    }
    printf("%s\n", hex);
    rc = RIP_EXIT_OK;
out:
    explicit_bzero(tok, sizeof(tok));
    return rc;
}

int cmd_config(int argc, char **argv)
{
    if (argc < 2) {
        cmd_config_usage(stderr);
        return RIP_EXIT_ERROR;
    }
    if (!strcmp(argv[1], "check"))
        return config_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hash-token"))
        return config_hash_token(argc - 1, argv + 1);
    return rip_cli_error("config: unknown subcommand '%s' (expected check, hash-token)",
                         argv[1]);
}
