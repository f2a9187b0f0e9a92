/* cmd-inventory.c — `riposte inventory`: sync (an AWS snapshot into the
 * database), list and show. The snapshot is src/cloud/inventory-aws.c, its
 * storage and JSON form src/inventory/asset.c; this file parses options,
 * sets up the AWS client as `riposte action run` does, and prints. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/safe-text.h"
#include "cloud/aws-accounts.h"
#include "cloud/aws-creds.h"
#include "cloud/inventory-aws.h"
#include "inventory/asset.h"
#include "inventory/graph.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"

void cmd_inventory_usage(FILE *out)
{
    fputs(
"usage: riposte inventory sync [--account A] [--region R] [--profile P] [--config FILE]\n"
"                              [--db FILE] [--verbose]\n"
"       riposte inventory list [--type T] [--account A] [--region R]\n"
"                              [--format text|jsonl] [--db FILE]\n"
"       riposte inventory show ID [--format text|json] [--db FILE]\n"
"       riposte inventory graph ID [--format text|dot|svg] [--db FILE]\n"
"\n"
"The asset inventory: what riposte knows about an account's instances,\n"
"security groups, subnets, VPCs, network ACLs, IAM users, roles, access\n"
"keys, buckets and CloudTrail trails, and how they relate (instance ->\n"
"security groups, subnet, VPC, role; security group and subnet -> VPC;\n"
"network ACL -> VPC, subnets; user <-> access keys; user and role ->\n"
"attached policies; trail -> bucket). 'sync' takes a snapshot through the\n"
"AWS APIs (read only: Describe, List, Get) and stores it; assets gone since\n"
"the last snapshot of the same account and region are removed (IAM and S3\n"
"are listed per account). The AWS client's credential chain, profile and\n"
"endpoint overrides (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) apply.\n"
"Between snapshots, 'riposte ingest' keeps it current from CloudTrail\n"
"events (RunInstances, AuthorizeSecurityGroupIngress, CreateAccessKey,\n"
"PutBucketAcl, StopLogging, ...; see 'riposte ingest --help').\n"
"\n"
"'graph' shows the topology around an asset: what it sits in (security\n"
"groups with rules open to the world flagged, subnet, VPC, role, ...),\n"
"what points at it, and the other instances behind the same open group;\n"
"as indented text, Graphviz dot, or SVG laid out by Graphviz.\n"
"\n"
"options:\n"
"  --account A      sync: the account to snapshot; with --config, its entry's\n"
"                   role_arn and first region are used, else the credentials\n"
"                   must belong to A. list: only this account\n"
"  --region R       sync: the region (default: AWS_REGION, AWS_DEFAULT_REGION,\n"
"                   the profile's region, then us-east-1). list: only R\n"
"                   (IAM assets are in region 'global')\n"
"  --profile P      sync: the AWS profile\n"
"  --config FILE    sync: riposte's configuration with an 'accounts:' list\n"
"  --type T         list: only assets of type T: instance, security_group,\n"
"                   subnet, vpc, network_acl, user, role, access_key,\n"
"                   bucket, trail\n"
"  --format FMT     list: text (default) or jsonl, one JSON object per asset\n"
"                   with id, type, cloud, account, region, arn, name, tags,\n"
"                   relations ([{type, id}]), detail and updated;\n"
"                   show: text (default) or json;\n"
"                   graph: text (default), dot or svg\n"
"  --db FILE        the database (default: $RIPOSTE_DB, else riposte.db)\n"
"  --verbose        sync: log every AWS call to stderr\n"
"\n"
"examples:\n"
"  riposte inventory sync --region eu-west-1\n"
"  riposte inventory list --type instance\n"
"  riposte inventory list --format jsonl | jq 'select(.detail.open_to_world)'\n"
"  riposte inventory show i-0abc1234\n"
"  riposte inventory graph i-0abc1234 --format svg > i-0abc1234.svg\n"
"\n"
"exit status: 0 done; 1 sync: some listings failed (the others were stored),\n"
"show, graph: no such asset; 2 usage error, AWS or database error.\n", out);
}

/* Options shared by the subcommands; each takes the ones it knows. */
typedef struct inv_opts {
    const char *account, *region, *profile, *config, *db, *type, *format, *id;
    bool verbose;
} inv_opts;

enum { OPT_SYNC = 1, OPT_LIST = 2, OPT_SHOW = 4, OPT_GRAPH = 8 };

static const struct {
    const char *name;
    unsigned subs;
    size_t off;
} value_opts[] = {
    { "--account", OPT_SYNC | OPT_LIST, offsetof(inv_opts, account) },
    { "--region", OPT_SYNC | OPT_LIST, offsetof(inv_opts, region) },
    { "--profile", OPT_SYNC, offsetof(inv_opts, profile) },
    { "--config", OPT_SYNC, offsetof(inv_opts, config) },
    { "--db", OPT_SYNC | OPT_LIST | OPT_SHOW | OPT_GRAPH, offsetof(inv_opts, db) },
    { "--type", OPT_LIST, offsetof(inv_opts, type) },
    { "--format", OPT_LIST | OPT_SHOW | OPT_GRAPH, offsetof(inv_opts, format) },
};

static int parse(int argc, char **argv, unsigned sub, inv_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        bool known = false;
        if (!strcmp(s, "--verbose") || !strcmp(s, "-v")) {
            if (!(sub & OPT_SYNC))
                return rip_cli_error("'%s' is an option of 'inventory sync' only", s);
            o->verbose = true;
            continue;
        }
        for (size_t k = 0; k < sizeof(value_opts) / sizeof(value_opts[0]); k++) {
            size_t n = strlen(value_opts[k].name);
            const char *val;
            if (!strcmp(s, value_opts[k].name)) {
                if (i + 1 >= argc)
                    return rip_cli_error("'%s' needs a value", s);
                val = argv[++i];
            } else if (!strncmp(s, value_opts[k].name, n) && s[n] == '=') {
                val = s + n + 1;
            } else {
                continue;
            }
            if (!(value_opts[k].subs & sub))
                return rip_cli_error("option '%s' does not apply to 'inventory %s'; see "
                                     "'riposte inventory --help'", value_opts[k].name, argv[0]);
            *(const char **)((char *)o + value_opts[k].off) = val;
            known = true;
            break;
        }
        if (known)
            continue;
        if (s[0] == '-' && s[1])
            return rip_cli_error("unknown option '%s' for 'inventory %s'; see 'riposte "
                                 "inventory --help'", s, argv[0]);
        if ((sub & (OPT_SHOW | OPT_GRAPH)) && !o->id) {
            o->id = s;
            continue;
        }
        return rip_cli_error("unexpected argument '%s'", s);
    }
    return 0;
}

static int open_store(const char *db_flag, rip_store **st)
{
    rip_store_error err;
    const char *db = rip_store_path(db_flag);
    if (rip_store_open(db, NULL, st, &err) < 0)
        return rip_cli_error("cannot open database '%s': %s", db, err.msg);
    return 0;
}

static void log_stderr(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "riposte: aws: %s\n", line);
}

/* ---- sync ---- */

static int inventory_sync(int argc, char **argv)
{
    inv_opts o;
    rip_aws_accounts accounts = { 0 };
    const rip_aws_account *acct = NULL;
    const char *role_arn = NULL, *external_id = NULL;
    char region_buf[64] = "", account[32] = "", errmsg[1024], profile_err[512];
    rip_aws_creds_provider prov;
    rip_aws_client client;
    rip_aws_error aerr;
    rip_asset_set set;
    rip_store *st = NULL;
    rip_inventory_save_stats stats;
    int exit_code = RIP_EXIT_OK, rc;

    if (parse(argc, argv, OPT_SYNC, &o))
        return RIP_EXIT_ERROR;
    if (o.config) {
        if (!o.account)
            return rip_cli_error("'--config' needs '--account ID' to pick one of its accounts");
        if (rip_aws_accounts_load(&accounts, o.config, errmsg, sizeof(errmsg)) < 0)
            return rip_cli_error("config %s", errmsg);
        acct = rip_aws_accounts_find(&accounts, o.account);
        if (!acct) {
            rip_aws_accounts_release(&accounts);
            return rip_cli_error("account '%s' is not in the accounts list of '%s'", o.account,
                                 o.config);
        }
        if (acct->role_arn[0]) {
            role_arn = acct->role_arn;
            external_id = acct->external_id[0] ? acct->external_id : NULL;
        }
        if ((!o.region || !*o.region) && acct->nregions)
            o.region = acct->regions[0];
    }
    if (!o.region || !*o.region)
        o.region = getenv("AWS_REGION");
    if (!o.region || !*o.region)
        o.region = getenv("AWS_DEFAULT_REGION");
    if ((!o.region || !*o.region) &&
        rip_aws_config_get(o.profile, "region", region_buf, sizeof(region_buf)) == 0)
        o.region = region_buf;

    rip_aws_creds_provider_init(&prov, o.profile, o.region);
    prov.assume_role_arn = role_arn;
    prov.external_id = external_id;
    int client_rc = rip_aws_client_init(&client, o.region);
    if (client_rc < 0) {
        rip_aws_accounts_release(&accounts);
        return rip_cli_error("%s", rip_aws_client_init_error(client_rc));
    }
    client.provider = &prov;
    if (o.verbose) {
        client.log = log_stderr;
        prov.log = log_stderr;
    }
    rip_asset_set_init(&set, 0);
    if (rip_aws_client_use_profile(&client, o.profile, profile_err, sizeof(profile_err)) < 0) {
        exit_code = rip_cli_error("%s", profile_err);
        goto out;
    }
    rc = rip_inventory_aws_account(&client, account, sizeof(account), &aerr);
    if (rc < 0) {
        exit_code = rip_cli_error("cannot tell which account the credentials belong to: sts "
                                  "GetCallerIdentity: %s%s%s", aerr.code,
                                  aerr.code[0] ? ": " : "", aerr.message);
        goto out;
    }
    if (o.account && strcmp(o.account, account)) {
        exit_code = rip_cli_error("the credentials belong to account '%s', not '%s'", account,
                                  o.account);
        goto out;
    }
    rc = rip_inventory_aws_snapshot(&client, account, &set, errmsg, sizeof(errmsg));
    if (rc == RIP_ENOMEM || rc == RIP_ELIMIT) {
        exit_code = rip_cli_error("inventory of account '%s' region '%s': %s", account,
                                  client.region, errmsg);
        goto out;
    }
    if (rc < 0) {
        rip_cli_warn("inventory of account '%s' region '%s' is incomplete: %s", account,
                     client.region, errmsg);
        exit_code = RIP_EXIT_PARTIAL;
    }
    if (open_store(o.db, &st)) {
        exit_code = RIP_EXIT_ERROR;
        goto out;
    }
    rc = rip_inventory_save(st, &set, account, client.region, 0, &stats);
    if (rc < 0) {
        exit_code = rip_cli_error("cannot store the inventory in '%s': %s",
                                  rip_store_path(o.db), rip_store_errmsg(st));
        goto out;
    }
    printf("inventory: account %s region %s:", account, client.region);
    for (int t = 0; t < RIP_ASSET_NTYPES; t++)
        printf("%s %llu %s", t ? "," : "", (unsigned long long)stats.stored[t],
               rip_asset_type_name((rip_asset_type)t));
    printf("; %llu removed\n", (unsigned long long)stats.removed);
out:
    if (rip_store_close(st) < 0 && exit_code == RIP_EXIT_OK)
        exit_code = rip_cli_error("closing the database failed");
    rip_asset_set_release(&set);
    rip_aws_client_release(&client);
    rip_aws_creds_provider_release(&prov);
    rip_aws_accounts_release(&accounts);
    return exit_code;
}

/* ---- list and show ---- */

typedef struct print_ctx {
    rip_buf line;
    int format;                /* 0 text, 1 json */
    bool detail;               /* show: every field */
    size_t n;
} print_ctx;

static int print_text(print_ctx *p, const rip_store_asset_row *r)
{
    rip_buf *b = &p->line;
    int rc = 0;
    if (!p->detail) {
        rip_buf_addf(b, "%-15s ", r->type);
        rip_text_adds(b, r->resource_id, "-", 0);
        rip_buf_addf(b, "  %s %s  ", r->account ? r->account : "-", r->region ? r->region : "-");
        rip_text_adds(b, r->name, "-", 0);
        return rip_buf_addc(b, '\n');
    }
    if (p->n)
        rip_buf_addc(b, '\n');
    rip_buf_addf(b, "%s ", r->type);
    rip_text_adds(b, r->resource_id, "-", 0);
    rip_buf_adds(b, "\n  name       ");
    rip_text_adds(b, r->name, "-", 0);
    rip_buf_addf(b, "\n  account    %s\n  region     %s\n  arn        ",
                 r->account ? r->account : "-", r->region ? r->region : "-");
    rip_text_adds(b, r->arn, "-", 0);
    rip_buf_adds(b, "\n  tags       ");
    rip_text_adds(b, r->tags, "{}", 0);
    rip_buf_adds(b, "\n  relations  ");
    for (size_t i = 0; i < r->nrels; i++) {
        rip_buf_addf(b, "%s%s ", i ? "\n             " : "", r->rels[i].target_type);
        rip_text_adds(b, r->rels[i].target_id, "", 0);
    }
    if (!r->nrels)
        rip_buf_adds(b, "-");
    rip_buf_adds(b, "\n  detail     ");
    rc = rip_text_adds(b, r->detail, "-", 0);
    if (rc == 0)
        rc = rip_buf_addc(b, '\n');
    return rc;
}

static int print_row(void *ud, const rip_store_asset_row *r)
{
    print_ctx *p = ud;
    int rc;
    rip_buf_reset(&p->line);
    if (p->format) {
        rc = rip_inventory_asset_json(&p->line, r);
        if (rc == 0)
            rc = rip_buf_addc(&p->line, '\n');
    } else {
        rc = print_text(p, r);
    }
    if (rc < 0)
        return rc;
    fwrite(p->line.ptr, 1, p->line.len, stdout);
    p->n++;
    return 0;
}

static int run_query(const inv_opts *o, const rip_store_asset_filter *f, print_ctx *p)
{
    rip_store *st = NULL;
    if (open_store(o->db, &st))
        return RIP_EXIT_ERROR;
    rip_buf_init(&p->line, 64u << 20);
    int rc = rip_store_list_assets(st, f, print_row, p);
    int exit_code = RIP_EXIT_OK;
    if (rc < 0)
        exit_code = rip_cli_error("cannot read the inventory from '%s': %s",
                                  rip_store_path(o->db), rip_store_errmsg(st)[0]
                                      ? rip_store_errmsg(st) : rip_strerror(rc));
    if (fflush(stdout) != 0 && exit_code == RIP_EXIT_OK)
        exit_code = rip_cli_error("cannot write the output");
    rip_buf_release(&p->line);
    rip_store_close(st);
    return exit_code;
}

static int inventory_list(int argc, char **argv)
{
    inv_opts o;
    print_ctx p = { 0 };
    rip_asset_type t;
    if (parse(argc, argv, OPT_LIST, &o))
        return RIP_EXIT_ERROR;
    if (o.type && rip_asset_type_parse(o.type, &t) < 0)
        return rip_cli_error("unknown asset type '%s' (expected one of %s)", o.type,
                             rip_asset_type_names());
    if (o.format && strcmp(o.format, "text") && strcmp(o.format, "jsonl"))
        return rip_cli_error("'--format' expects text or jsonl, got '%s'", o.format);
    p.format = o.format && !strcmp(o.format, "jsonl");
    rip_store_asset_filter f = { .type = o.type, .account = o.account, .region = o.region };
    return run_query(&o, &f, &p);
}

static int inventory_show(int argc, char **argv)
{
    inv_opts o;
    print_ctx p = { .detail = true };
    if (parse(argc, argv, OPT_SHOW, &o))
        return RIP_EXIT_ERROR;
    if (!o.id)
        return rip_cli_error("'inventory show' needs an asset id; see 'riposte inventory list'");
    if (o.format && strcmp(o.format, "text") && strcmp(o.format, "json"))
        return rip_cli_error("'--format' expects text or json, got '%s'", o.format);
    p.format = o.format && !strcmp(o.format, "json");
    rip_store_asset_filter f = { .resource_id = o.id };
    int rc = run_query(&o, &f, &p);
    if (rc == RIP_EXIT_OK && p.n == 0) {
        rip_cli_warn("no asset '%s' in the inventory; see 'riposte inventory list'", o.id);
        return RIP_EXIT_PARTIAL;
    }
    return rc;
}

/* ---- graph ---- */

static int inventory_graph(int argc, char **argv)
{
    inv_opts o;
    rip_store *st = NULL;
    rip_topology t;
    rip_buf out;
    char errmsg[512];
    int exit_code = RIP_EXIT_OK, rc;
    if (parse(argc, argv, OPT_GRAPH, &o))
        return RIP_EXIT_ERROR;
    if (!o.id)
        return rip_cli_error("'inventory graph' needs an asset id; see 'riposte inventory list'");
    if (!o.format)
        o.format = "text";
    if (strcmp(o.format, "text") && strcmp(o.format, "dot") && strcmp(o.format, "svg"))
        return rip_cli_error("'--format' expects text, dot or svg, got '%s'", o.format);
    if (open_store(o.db, &st))
        return RIP_EXIT_ERROR;
    rip_topology_init(&t);
    rip_buf_init(&out, 256u << 20);
    rip_topo_root root = { NULL, o.id };
    rc = rip_topology_build(st, &root, 1, &t);
    if (rc < 0) {
        exit_code = rip_cli_error("cannot read the inventory from '%s': %s",
                                  rip_store_path(o.db), rip_store_errmsg(st));
        goto out;
    }
    if (t.n == 0) {
        rip_cli_warn("no asset '%s' in the inventory; see 'riposte inventory list'", o.id);
        exit_code = RIP_EXIT_PARTIAL;
        goto out;
    }
    if (!strcmp(o.format, "svg"))
        rc = rip_topology_svg(&t, &out, errmsg, sizeof(errmsg));
    else if (!strcmp(o.format, "dot"))
        rc = rip_topology_dot(&t, &out);
    else
        rc = rip_topology_text(&t, &out);
    if (rc < 0) {
        exit_code = rip_cli_error("graph of '%s': %s", o.id,
                                  rc == RIP_EIO && errmsg[0] ? errmsg : rip_strerror(rc));
        goto out;
    }
    if (!strcmp(o.format, "svg"))
        rip_buf_addc(&out, '\n');
    fwrite(out.ptr, 1, out.len, stdout);
    if (fflush(stdout) != 0)
        exit_code = rip_cli_error("cannot write the output");
out:
    rip_buf_release(&out);
    rip_topology_release(&t);
    rip_store_close(st);
    return exit_code;
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
} subs[] = {
    { "sync", inventory_sync },
    { "list", inventory_list },
    { "show", inventory_show },
    { "graph", inventory_graph },
};

int cmd_inventory(int argc, char **argv)
{
    if (argc < 2) {
        cmd_inventory_usage(stderr);
        return RIP_EXIT_ERROR;
    }
    for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(argc - 1, argv + 1);
    return rip_cli_error("'%s' is not an inventory subcommand (sync, list, show, graph); see "
                         "'riposte inventory --help'", argv[1]);
}
