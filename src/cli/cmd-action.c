/* cmd-action.c — `riposte action`: list, describe and run response actions
 * against AWS (src/cloud/actions.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cloud/action-safety.h"
#include "cloud/actions.h"
#include "cloud/aws-accounts.h"
#include "cloud/aws-creds.h"
#include "util/err.h"
#include "util/json.h"

void cmd_action_usage(FILE *out)
{
    fputs("usage: riposte action list [--json]\n"
          "       riposte action show NAME\n"
          "       riposte action run NAME [--param KEY=VALUE]... [--dry-run]\n"
          "                          [--profile P] [--region R] [--protect-tag KEY=VALUE]\n"
          "                          [--role-arn ARN [--external-id ID]]\n"
          "                          [--config FILE --account ID]\n"
          "                          [--max-destructive-per-hour N] [--state-dir DIR]\n"
          "                          [--verbose]\n"
          "\n"
          "Response actions call AWS to contain an incident: disable a key, quarantine an\n"
          "instance, block public access... Each action first reads the current state: if the\n"
          "work is already done the run is a no-op that says so, so running it twice is safe.\n"
          "After the change it reads the state again to verify it.\n"
          "\n"
          "  list             the actions, one per line (--json: with their parameters)\n"
          "  show NAME        what NAME does, its parameters and its undo\n"
          "  run NAME         run it; prints one JSON object: status (done, noop, dry-run,\n"
          "                   refused, failed), message, every mutating call, facts, verified\n"
          "\n"
          "options of run:\n"
          "  --param K=V      an action parameter (repeat); see 'riposte action show NAME'\n"
          "  --dry-run        read the state and list the calls it would make; change nothing\n"
          "  --profile P      AWS profile from ~/.aws/config and ~/.aws/credentials\n"
          "  --region R       AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the\n"
          "                   profile's region, then us-east-1)\n"
          "  --role-arn ARN   assume this role first (another account), with\n"
          "  --external-id ID the external id its trust policy requires\n"
          "  --protect-tag K=V  resources with this tag refuse destructive actions\n"
          "                   (default riposte:protected=true; IAM users and roles, EC2\n"
          "                   resources, S3 buckets through their bucket tagging)\n"
          "  --config FILE    riposte.yaml; only its 'accounts:' list is read: id, role_arn,\n"
          "                   external_id, regions (the first is the default region),\n"
          "                   allow (glob patterns of the actions allowed there) and\n"
          "                   max_destructive_per_hour\n"
          "  --account ID     act in this account of the config: assume its role_arn (with\n"
          "                   its external_id), check its allow list and its regions\n"
          "  --max-destructive-per-hour N\n"
          "                   blast-radius cap: at most N destructive actions (those marked\n"
          "                   [destructive] in 'action list') per account in any hour,\n"
          "                   counted across runs; 0 turns the cap off (default 10)\n"
          "  --state-dir DIR  where the hourly count is kept, in destructive-actions.log\n"
          "                   (default $XDG_STATE_HOME/riposte, else ~/.local/state/riposte)\n"
          "  --verbose        log each HTTP call (method, URL, status, request id) to stderr;\n"
          "                   credentials and signatures are never printed\n"
          "\n"
          "Credentials come from the AWS SDK chain: environment, profiles (assume-role,\n"
          "credential_process, web identity), container and EC2 instance credentials.\n"
          "AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> point riposte at other endpoints;\n"
          "the profile's endpoint_url, max_attempts and retry_mode apply as in the AWS CLI.\n"
          "SSO (IAM Identity Center) profiles are not supported: use credential_process.\n"
          "\n"
          "examples:\n"
          "  riposte action run iam.disable_access_key --param user=alice \\\n"
          "      --param access_key_id=AKIAIOSFODNN7EXAMPLE --dry-run\n"
          "  riposte action run ec2.quarantine_instance --param instance_id=i-0abc --region eu-west-1\n"
          "\n"
          "exit status: 0 done, no-op or dry run; 1 failed, refused or not verified; 2 usage.\n",
          out);
}

static void list_actions(bool json)
{
    if (!json) {
        for (size_t i = 0; i < rip_nactions; i++)
            printf("%-32s %s%s\n", rip_actions[i]->name, rip_actions[i]->description,
                   rip_actions[i]->destructive ? " [destructive]" : "");
        return;
    }
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < rip_nactions; i++) {
        const rip_action *a = rip_actions[i];
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "name");
        rip_jw_str(&w, a->name);
        rip_jw_key(&w, "description");
        rip_jw_str(&w, a->description);
        rip_jw_key(&w, "destructive");
        rip_jw_bool(&w, a->destructive);
        rip_jw_key(&w, "dry_run");
        rip_jw_str(&w, a->dry_run);
        rip_jw_key(&w, "undo");
        rip_jw_str(&w, a->undo);
        rip_jw_key(&w, "params");
        rip_jw_arr_begin(&w);
        for (const rip_action_param *p = a->params; p && p->name; p++) {
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "name");
            rip_jw_str(&w, p->name);
            rip_jw_key(&w, "required");
            rip_jw_bool(&w, p->required);
            rip_jw_key(&w, "help");
            rip_jw_str(&w, p->help);
            rip_jw_obj_end(&w);
        }
        rip_jw_arr_end(&w);
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    if (rip_jw_finish(&w) == 0)
        printf("%s\n", b.ptr);
    rip_buf_release(&b);
}

static int show_action(const char *name)
{
    const rip_action *a = rip_action_find(name);
    if (!a)
        return rip_cli_error("unknown action '%s'; see 'riposte action list'", name);
    printf("%s — %s\n\n", a->name, a->description);
    printf("a run would: %s\n", a->dry_run);
    printf("destructive: %s (refused on resources with the protected tag; counts toward the "
           "hourly cap)\n",
           a->destructive ? "yes" : "no");
    printf("undo: %s\n\nparameters:\n", a->undo ? a->undo : "none");
    for (const rip_action_param *p = a->params; p && p->name; p++)
        printf("  %-16s %s%s\n", p->name, p->help, p->required ? " (required)" : "");
    return RIP_EXIT_OK;
}

static void log_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "riposte: aws: %s\n", line);
}

static int run_action(int argc, char **argv)
{
    const char *name = NULL, *profile = NULL, *region = NULL, *protect = NULL;
    const char *role_arn = NULL, *external_id = NULL;
    const char *config = NULL, *account = NULL, *state_dir = NULL, *max_destr = NULL;
    bool dry = false, verbose = false;
    const rip_action *a;
    char *params[RIP_ACTION_MAX_PARAMS];
    size_t np = 0;

    for (int i = 0; i < argc; i++) {
        const char *s = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--dry-run")) {
            dry = true;
        } else if (!strcmp(s, "--verbose") || !strcmp(s, "-v")) {
            verbose = true;
        } else if (!strcmp(s, "--param") || !strcmp(s, "-p")) {
            if (!val || !strchr(val, '='))
                return rip_cli_error("'--param' expects KEY=VALUE");
            if (np >= RIP_ACTION_MAX_PARAMS)
                return rip_cli_error("too many '--param' (at most %d)", RIP_ACTION_MAX_PARAMS);
            params[np++] = argv[++i];
        } else if (!strncmp(s, "--param=", 8)) {
            if (!strchr(s + 8, '=') || np >= RIP_ACTION_MAX_PARAMS)
                return rip_cli_error("'--param' expects KEY=VALUE");
            params[np++] = argv[i] + 8;
        } else if (!strcmp(s, "--profile") || !strcmp(s, "--region") ||
                   !strcmp(s, "--protect-tag") || !strcmp(s, "--role-arn") ||
                   !strcmp(s, "--external-id") || !strcmp(s, "--config") ||
                   !strcmp(s, "--account") || !strcmp(s, "--state-dir") ||
                   !strcmp(s, "--max-destructive-per-hour")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--config"))
                config = val;
            else if (!strcmp(s, "--account"))
                account = val;
            else if (!strcmp(s, "--state-dir"))
                state_dir = val;
            else if (!strcmp(s, "--max-destructive-per-hour"))
                max_destr = val;
            else if (!strcmp(s, "--profile"))
                profile = val;
            else if (!strcmp(s, "--region"))
                region = val;
            else if (!strcmp(s, "--role-arn"))
                role_arn = val;
            else if (!strcmp(s, "--external-id"))
                external_id = val;
            else
                protect = val;
            i++;
        } else if (s[0] == '-') {
            return rip_cli_error("unknown option '%s' for 'action run'; see 'riposte action --help'", s);
        } else if (!name) {
            name = s;
        } else {
            return rip_cli_error("unexpected argument '%s'", s);
        }
    }
    if (!name)
        return rip_cli_error("'action run' needs an action name; see 'riposte action list'");
    a = rip_action_find(name);
    if (!a)
        return rip_cli_error("unknown action '%s'; see 'riposte action list'", name);

    /* Safety limits and the account. */
    int max_destructive = RIP_ACTION_DEFAULT_MAX_DESTRUCTIVE;
    if (max_destr) {
        char *end;
        long n = strtol(max_destr, &end, 10);
        if (!*max_destr || *end || n < 0 || n > 100000)
            return rip_cli_error("'--max-destructive-per-hour' expects a number from 0 (no cap) "
                                 "to 100000, got '%s'", max_destr);
        max_destructive = (int)n;
    }
    rip_aws_accounts accounts = { 0 };
    const rip_aws_account *acct = NULL;
    if (account && !config)
        return rip_cli_error("'--account' needs '--config FILE' with an 'accounts:' list");
    if (config) {
        char err[1024];
        if (rip_aws_accounts_load(&accounts, config, err, sizeof(err)) < 0)
            return rip_cli_error("config %s", err);
        if (!account) {
            size_t n = accounts.n;
            rip_aws_accounts_release(&accounts);
            return rip_cli_error("'--config' needs '--account ID' to pick one of its %zu "
                                 "account%s", n, n == 1 ? "" : "s");
        }
        acct = rip_aws_accounts_find(&accounts, account);
        if (!acct) {
            rip_aws_accounts_release(&accounts);
            return rip_cli_error("account '%s' is not in the accounts list of '%s'", account,
                                 config);
        }
        if (!role_arn && acct->role_arn[0]) {
            role_arn = acct->role_arn;
            external_id = acct->external_id[0] ? acct->external_id : NULL;
        }
        if (acct->max_destructive >= 0 && !max_destr)
            max_destructive = acct->max_destructive;
        if (region && *region && acct->nregions) {
            bool found = false;
            for (size_t i = 0; i < acct->nregions; i++)
                found |= !strcmp(acct->regions[i], region);
            if (!found) {
                int rc = rip_cli_error("config '%s' line %u: region '%s' is not among the "
                                       "regions of account '%s'", config, acct->line, region,
                                       account);
                rip_aws_accounts_release(&accounts);
                return rc;
            }
        }
        if ((!region || !*region) && acct->nregions)
            region = acct->regions[0];
    }
    char state_buf[4096];
    if (!state_dir && a->destructive && max_destructive > 0) {
        if (rip_action_state_dir(state_buf, sizeof(state_buf)) < 0) {
            rip_aws_accounts_release(&accounts);
            return rip_cli_error("cannot keep the hourly count of destructive actions: set "
                                 "XDG_STATE_HOME or HOME, or pass '--state-dir DIR'");
        }
        state_dir = state_buf;
    }

    char region_buf[64] = "";
    if (!region || !*region)
        region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    if ((!region || !*region) &&
        rip_aws_config_get(profile, "region", region_buf, sizeof(region_buf)) == 0)
        region = region_buf;

    rip_aws_creds_provider prov;
    rip_aws_client client;
    rip_action_ctx ctx;
    int exit_code = RIP_EXIT_OK;
    if (external_id && !role_arn) {
        rip_aws_accounts_release(&accounts);
        return rip_cli_error("'--external-id' needs '--role-arn'");
    }
    rip_aws_creds_provider_init(&prov, profile, region);
    prov.assume_role_arn = role_arn;
    prov.external_id = external_id;
    int client_rc = rip_aws_client_init(&client, region);
    if (client_rc < 0) {
        rip_aws_accounts_release(&accounts);
        return rip_cli_error("%s", rip_aws_client_init_error(client_rc));
    }
    client.provider = &prov;
    if (verbose) {
        client.log = log_stderr;
        prov.log = log_stderr;
    }
    rip_action_ctx_init(&ctx, a, &client, dry);
    ctx.max_destructive = max_destructive;
    ctx.state_dir = state_dir;
    if (acct) {
        ctx.account = acct->id;
        if (acct->has_allow) {
            ctx.allow = acct->allow;
            ctx.nallow = acct->nallow;
        }
    }
    char profile_err[512];
    if (rip_aws_client_use_profile(&client, profile, profile_err, sizeof(profile_err)) < 0) {
        exit_code = rip_cli_error("%s", profile_err);
        goto out;
    }
    char protect_buf[256];
    if (protect) {
        const char *eq = strchr(protect, '=');
        if (!eq || eq == protect || strlen(protect) >= sizeof(protect_buf)) {
            exit_code = rip_cli_error("'--protect-tag' expects KEY=VALUE");
            goto out;
        }
        snprintf(protect_buf, sizeof(protect_buf), "%s", protect);
        protect_buf[eq - protect] = '\0';
        ctx.protect_key = protect_buf;
        ctx.protect_value = protect_buf + (eq - protect) + 1;
    }
    for (size_t i = 0; i < np; i++) {
        char *eq = strchr(params[i], '=');
        *eq = '\0';
        int rc = rip_action_ctx_param(&ctx, params[i], eq + 1);
        if (rc == RIP_EINVAL) {
            exit_code = rip_cli_error("action '%s' has no parameter '%s'; see 'riposte action "
                                      "show %s'", name, params[i], name);
            goto out;
        }
        if (rc < 0) {
            exit_code = rip_cli_error("too many parameters");
            goto out;
        }
    }

    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    int rc = rip_action_run(&ctx, &w);
    if (rip_jw_finish(&w) == 0)
        printf("%s\n", b.ptr);
    rip_buf_release(&b);
    if (rc < 0) {
        rip_cli_error("action '%s' %s: %s", name, ctx.refused ? "refused" : "failed",
                      ctx.message);
        exit_code = RIP_EXIT_PARTIAL;
    }
out:
    rip_action_ctx_release(&ctx);
    rip_aws_client_release(&client);
    rip_aws_creds_provider_release(&prov);
    rip_aws_accounts_release(&accounts);
    return exit_code;
}

int cmd_action(int argc, char **argv)
{
    if (argc < 2)
        return rip_cli_error("'action' needs a subcommand: list, show or run; see "
                             "'riposte action --help'");
    const char *sub = argv[1];
    if (!strcmp(sub, "list")) {
        bool json = argc > 2 && !strcmp(argv[2], "--json");
        list_actions(json);
        return RIP_EXIT_OK;
    }
    if (!strcmp(sub, "show")) {
        if (argc < 3)
            return rip_cli_error("'action show' needs an action name");
        return show_action(argv[2]);
    }
    if (!strcmp(sub, "run"))
        return run_action(argc - 2, argv + 2);
    return rip_cli_error("unknown subcommand 'action %s'; see 'riposte action --help'", sub);
}
