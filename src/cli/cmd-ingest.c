/* cmd-ingest.c — `riposte ingest`: decode logs, store their events, detect
 * and fold findings into incidents.
 *
 * Pipeline per event: decode (normalize/decode.h) -> the store's
 * group-committed writer (store/store.h) -> ingest_detect(): Sigma rules
 * compiled once, Sigma correlations, GuardDuty and Security Hub findings
 * passed through, findings folded into incidents (correlate/detector.h).
 * Findings are written after the events they name are durable, in one
 * transaction per batch of findings. The summary is printed only after
 * rip_store_flush(), so every event it counts as stored is durable.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "correlate/detector.h"
#include "correlate/fold.h"
#include "detect/sigma.h"
#include "inventory/apply.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "store/store.h"
#include "util/err.h"

void cmd_ingest_usage(FILE *out)
{
    fputs(
"usage: riposte ingest [--db FILE] [--rules PATH]... [--correlation FILE]\n"
"                      [--no-detect] [--no-inventory] [--progress]\n"
"                      [--sync normal|full] PATH...\n"
"\n"
"Decode security logs and store their events in riposte's database, where\n"
"'riposte investigate', incidents and reports find them. The inputs are the\n"
"ones 'riposte events' reads: CloudTrail log files (gzipped or not, S3\n"
"objects, NDJSON), EventBridge events, GuardDuty and Security Hub findings,\n"
"GCP audit log entries. PATH is a file, a folder (read recursively) or -.\n"
"\n"
"As events are stored they are checked: riposte's own Sigma rules (or the\n"
"--rules you give) and their correlations turn matching events into\n"
"findings; GuardDuty and Security Hub findings are findings already. Each\n"
"finding carries a plain-language explanation, and findings that share an\n"
"entity (access key, principal, instance, bucket, security group; a role\n"
"or source IP only together with another) within an hour of an incident's\n"
"activity fold into that incident: one attacker session is one incident.\n"
"See them with 'riposte incident list'.\n"
"\n"
"Every event is stored once: an event whose provider id (CloudTrail eventID,\n"
"finding id, GCP insertId) is already in the database is counted as a\n"
"duplicate and changes nothing. Ingesting the same files again, or after an\n"
"interrupted run, is therefore safe: it only adds what is missing.\n"
"\n"
"Events are written in batches (one transaction per few thousand events or\n"
"per 5 ms); an event counts as stored once its batch has committed. If riposte\n"
"is killed, every committed batch is kept; run the same command again to\n"
"finish.\n"
"\n"
"options:\n"
"  --rules PATH     Sigma rule file or folder (repeatable); without it\n"
"                   riposte's own rules are used\n"
"  --correlation FILE\n"
"                   merge rules for folding findings into incidents (YAML):\n"
"                     window: 1h          # how near an incident's activity\n"
"                     min_severity: low   # fold only findings from this level\n"
"                     entities:           # link | support | ignore per kind\n"
"                       access_key: link  # one shared value links\n"
"                       source_ip: support  # links with another support kind\n"
"                   kinds: access_key, principal, role, instance, bucket,\n"
"                   security_group, source_ip (defaults: link, except role\n"
"                   and source_ip: support)\n"
"  --no-detect      store events only: no rules, findings or incidents\n"
"  --no-inventory   do not apply CloudTrail events to the asset inventory\n"
"                   (by default a successful RunInstances, TerminateInstances,\n"
"                   AuthorizeSecurityGroupIngress, CreateAccessKey,\n"
"                   UpdateAccessKey, PutBucketAcl, PutBucketPublicAccessBlock,\n"
"                   StopLogging, ... updates the assets it names, unless the\n"
"                   inventory already knows something newer)\n"
"  --db FILE        the database (default: $RIPOSTE_DB, else riposte.db in\n"
"                   the current directory); created and migrated if needed.\n"
"                   It is a plain SQLite file: 'sqlite3 FILE' opens it\n"
"                   (docs/SCHEMA.md describes the tables)\n"
"  --progress       print a line on standard error after every committed\n"
"                   batch: how many events are durable so far\n"
"  --sync normal    durable when the process dies (default; WAL, fsync at\n"
"                   checkpoints)\n"
"  --sync full      also durable when the machine loses power (fsync on\n"
"                   every commit; slower)\n"
"  -h, --help       show this help\n"
"\n"
"Standard output sums up: files read, events decoded, stored (new),\n"
"duplicates (already there), skipped and errors; then findings (new, and\n"
"already stored) and incidents (opened, joined, merged). Ingesting the same\n"
"files again adds no finding and no incident. Records that cannot be\n"
"decoded are reported on standard error with file and position.\n"
"\n"
"examples:\n"
"  riposte ingest --db incidents.db AWSLogs/\n"
"  riposte ingest --rules sigma/rules/cloud/aws --correlation merge.yml logs/\n"
"  RIPOSTE_DB=/var/lib/riposte/riposte.db riposte ingest trail.json.gz\n"
"  sqlite3 riposte.db \"SELECT time, action, source_ip FROM events WHERE access_key = 'AKIA...'\"\n"
"\n"
"exit status:\n"
"  0  every record was decoded and stored\n"
"  1  some records were rejected (or some paths unreadable); the rest is stored\n"
"  2  the database could not be opened or written, nothing usable, or usage\n",
          out);
}

typedef struct ingest_ctx {
    rip_store *store;
    int store_err;          /* first put error: stops decoding */
    int detect_err;         /* first detection error: stops decoding */
    bool progress;
    rip_detector *detector; /* NULL with --no-detect */
    const char *path;       /* the input being decoded */
    bool inventory;         /* apply events to the inventory (not --no-inventory) */
    int inventory_err;      /* first inventory error: inventory updates stop */
    rip_inventory_apply_stats inv;
} ingest_ctx;

/* ingest_inventory — keeps the asset inventory current: a successful API
 * call that changes an asset (inventory/apply.h) updates it. A failure
 * here does not stop the ingest (the events are what matters); it is
 * reported once at the end and the inventory is left for 'riposte inventory
 * sync' to put right. */
static void ingest_inventory(ingest_ctx *c, const rip_event *ev)
{
    if (!c->inventory || c->inventory_err)
        return;
    int rc = rip_inventory_apply(c->store, ev, &c->inv);
    if (rc < 0) {
        c->inventory_err = rc;
        rip_cli_warn("inventory: applying event '%.*s' failed: %s; the inventory is not "
                     "updated from here on (run 'riposte inventory sync')",
                     (int)ev->id.len, ev->id.ptr, rip_store_errmsg(c->store));
    }
}

/* ingest_detect — the detection hook. Every decoded event passes here right
 * after the store accepted it (seq is its sequence number; it is durable
 * once rip_store_durable_seq() >= seq). The detector matches it, queues
 * its findings, and folds them into incidents when its queue commits (it
 * flushes the store first, so the findings' events are durable). Returning
 * a negative RIP_E* stops the ingest. The event is borrowed: valid only
 * during this call. */
static int ingest_detect(ingest_ctx *c, const rip_event *ev, uint64_t seq)
{
    (void)seq;
    if (!c->detector)
        return 0;
    int rc = rip_detector_event(c->detector, ev, c->path);
    if (rc < 0)
        c->detect_err = rc;
    return rc;
}

static int on_event(void *ud, const rip_event *ev)
{
    ingest_ctx *c = ud;
    uint64_t seq = 0;
    int rc = rip_store_put_event(c->store, ev, &seq);
    if (rc < 0) {
        c->store_err = rc;
        return rc;
    }
    ingest_inventory(c, ev);
    return ingest_detect(c, ev, seq);
}

static void on_rule_diag(void *ud, const rip_sigma_diag *d)
{
    unsigned *errors = ud;
    if (!d->warning)
        (*errors)++;
    fprintf(stderr, "riposte: %s%s\n", d->warning ? "warning: " : "", d->text);
}

/* Loads and compiles the rules: riposte's own, or the given paths. Returns
 * the ruleset, or NULL after reporting why. */
static rip_sigma_ruleset *load_rules(const char *const *paths, size_t n)
{
    unsigned errors = 0;
    int failed = 0;
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_rule_diag, &errors);
    if (!rs) {
        rip_cli_error("out of memory");
        return NULL;
    }
    if (n == 0 && rip_cli_load_builtin_rules(rs) < 0)
        failed = 1;
    for (size_t i = 0; i < n; i++) {
        int r = rip_sigma_load_path(rs, paths[i]);
        if (r == RIP_ENOENT || r == RIP_EIO) {
            rip_cli_error("cannot read rules '%s': %s", paths[i], rip_strerror(r));
            failed = 1;
        } else if (r < 0) {
            failed = 1;
        }
    }
    if (rip_sigma_compile(rs) < 0)
        failed = 1;
    if (failed || rip_sigma_rule_count(rs) == 0) {
        if (!failed)
            rip_cli_error("no rules loaded");
        else
            rip_cli_error("fix the rules above (or check them with 'riposte rules validate')");
        rip_sigma_ruleset_free(rs);
        return NULL;
    }
    return rs;
}

static void on_durable(void *ud, uint64_t durable_seq)
{
    ingest_ctx *c = ud;
    if (c->progress)
        fprintf(stderr, "riposte: ingest: %" PRIu64 " events durable\n", durable_seq);
}

static void on_error(void *ud, const rip_decode_error *e)
{
    (void)ud;
    if (e->whole_input && e->line)
        rip_cli_warn("'%s' line %" PRIu64 ", column %" PRIu64 ": %s", e->path, e->line,
                     e->column, e->reason);
    else if (e->whole_input)
        rip_cli_warn("'%s': %s", e->path, e->reason);
    else if (e->line)
        rip_cli_warn("'%s' record %" PRIu64 " (line %" PRIu64 "): %s", e->path, e->index + 1,
                     e->line, e->reason);
    else
        rip_cli_warn("'%s' record %" PRIu64 ": %s", e->path, e->index + 1, e->reason);
}

int cmd_ingest(int argc, char **argv)
{
    ingest_ctx ctx = { .inventory = true };
    rip_store_options opt;
    rip_store_error serr;
    rip_store_stats stats;
    rip_input_list inputs;
    rip_decoder dec;
    rip_buf data;
    const char *rule_paths[256];
    size_t nrule_paths = 0;
    const char *correlation = NULL;
    bool detect = true;
    rip_sigma_ruleset *rs = NULL;
    rip_merge_rules merge;
    const char *db_flag = NULL, *db;
    uint64_t files = 0, unreadable = 0;
    int a, rc, exit_code = RIP_EXIT_OK;
    bool opts = true;

    rip_store_options_init(&opt);
    rip_input_list_init(&inputs);
    rip_buf_init(&data, 0);
    rip_decoder_init(&dec, on_event, on_error, &ctx, NULL);

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (opts && !strcmp(arg, "--")) {
            opts = false;
            continue;
        }
        if (opts && (!strcmp(arg, "--db") || !strncmp(arg, "--db=", 5))) {
            db_flag = arg[4] == '=' ? arg + 5 : (a + 1 < argc ? argv[++a] : NULL);
            if (!db_flag || !*db_flag) {
                exit_code = rip_cli_error("--db needs a file name");
                goto out;
            }
            continue;
        }
        if (opts && (!strcmp(arg, "--sync") || !strncmp(arg, "--sync=", 7))) {
            const char *v = arg[6] == '=' ? arg + 7 : (a + 1 < argc ? argv[++a] : NULL);
            if (v && !strcmp(v, "normal")) {
                opt.sync_full = 0;
            } else if (v && !strcmp(v, "full")) {
                opt.sync_full = 1;
            } else {
                exit_code = rip_cli_error("--sync needs 'normal' or 'full'");
                goto out;
            }
            continue;
        }
        if (opts && !strcmp(arg, "--progress")) {
            ctx.progress = true;
            continue;
        }
        if (opts && !strcmp(arg, "--no-detect")) {
            detect = false;
            continue;
        }
        if (opts && !strcmp(arg, "--no-inventory")) {
            ctx.inventory = false;
            continue;
        }
        if (opts && (!strcmp(arg, "--rules") || !strncmp(arg, "--rules=", 8))) {
            const char *v = arg[7] == '=' ? arg + 8 : (a + 1 < argc ? argv[++a] : NULL);
            if (!v || !*v) {
                exit_code = rip_cli_error("--rules needs a file or folder");
                goto out;
            }
            if (nrule_paths == sizeof(rule_paths) / sizeof(rule_paths[0])) {
                exit_code = rip_cli_error("too many --rules (at most 256); name a folder");
                goto out;
            }
            rule_paths[nrule_paths++] = v;
            continue;
        }
        if (opts && (!strcmp(arg, "--correlation") || !strncmp(arg, "--correlation=", 14))) {
            correlation = arg[13] == '=' ? arg + 14 : (a + 1 < argc ? argv[++a] : NULL);
            if (!correlation || !*correlation) {
                exit_code = rip_cli_error("--correlation needs a file");
                goto out;
            }
            continue;
        }
        if (opts && arg[0] == '-' && arg[1]) {
            exit_code = rip_cli_error("unknown option '%s'; see 'riposte ingest --help'", arg);
            goto out;
        }
        rc = rip_input_expand(&inputs, arg);
        if (rc < 0) {
            exit_code = rip_cli_error("cannot list '%s': %s", arg, rip_strerror(rc));
            goto out;
        }
    }
    if (!inputs.count) {
        rip_cli_error("no input; give a file, a folder, or - for standard input");
        fputs("usage: riposte ingest [--db FILE] [--rules PATH]... [--correlation FILE]\n"
              "                      [--no-detect] [--no-inventory] [--progress]\n"
              "                      [--sync normal|full] PATH...\n",
              stderr);
        exit_code = RIP_EXIT_ERROR;
        goto out;
    }

    rip_merge_rules_default(&merge);
    if (correlation && detect) {
        char err[256];
        rc = rip_merge_rules_load(&merge, correlation, err, sizeof(err));
        if (rc < 0) {
            exit_code = rip_cli_error("correlation rules '%s': %s", correlation, err);
            goto out;
        }
    }
    if (detect) {
        rs = load_rules(rule_paths, nrule_paths);
        if (!rs) {
            exit_code = RIP_EXIT_ERROR;
            goto out;
        }
    }

    db = rip_store_path(db_flag);
    opt.on_durable = on_durable;
    opt.ud = &ctx;
    rc = rip_store_open(db, &opt, &ctx.store, &serr);
    if (rc < 0) {
        exit_code = rip_cli_error("cannot open database '%s': %s", db, serr.msg);
        goto out;
    }
    if (detect) {
        ctx.detector = rip_detector_new(ctx.store, rs, &merge);
        if (!ctx.detector) {
            exit_code = rip_cli_error("out of memory");
            goto out;
        }
    }

    for (size_t i = 0; i < inputs.count && !ctx.store_err && !ctx.detect_err; i++) {
        const rip_input *in = &inputs.items[i];
        if (in->err) {
            rip_cli_warn("cannot read '%s': %s", in->path, rip_strerror(in->err));
            unreadable++;
            continue;
        }
        rip_buf_reset(&data);
        rc = rip_input_read(in->path, RIP_INPUT_DEFAULT_MAX_FILE, &data);
        if (rc < 0) {
            if (rc == RIP_ELIMIT)
                rip_cli_warn("cannot read '%s': larger than %zu bytes", in->path,
                             (size_t)RIP_INPUT_DEFAULT_MAX_FILE);
            else
                rip_cli_warn("cannot read '%s': %s", in->path, rip_strerror(rc));
            unreadable++;
            continue;
        }
        files++;
        ctx.path = in->path;
        rc = rip_decode_buffer(&dec, in->path, data.ptr, data.len);
        if (rc < 0 && rc != RIP_EFORMAT && !ctx.store_err && !ctx.detect_err) {
            rip_cli_warn("'%s': %s", in->path, rip_strerror(rc));
            unreadable++;
        }
    }
    rip_buf_release(&data);

    rc = ctx.store_err ? ctx.store_err : rip_store_flush(ctx.store);
    if (rc == 0 && ctx.detect_err)
        rc = ctx.detect_err;
    if (rc == 0 && ctx.detector)
        rc = rip_detector_finish(ctx.detector);
    rip_store_get_stats(ctx.store, &stats);
    if (rc < 0 && ctx.detect_err == RIP_ENOMEM) {
        exit_code = rip_cli_error("detection: out of memory; %" PRIu64 " events were stored",
                                  stats.stored);
        goto out;
    }
    if (rc < 0) {
        exit_code = rip_cli_error("%s; %" PRIu64 " events were stored before the failure",
                                  rip_store_errmsg(ctx.store), stats.stored);
        goto out;
    }
    printf("riposte: ingest: %" PRIu64 " %s read into '%s': %" PRIu64 " events decoded, %" PRIu64
           " stored, %" PRIu64 " duplicates, %" PRIu64 " skipped, %" PRIu64 " %s\n",
           files, files == 1 ? "file" : "files", db, dec.stats.decoded, stats.stored,
           stats.duplicates, dec.stats.skipped, dec.stats.errors + unreadable,
           dec.stats.errors + unreadable == 1 ? "error" : "errors");
    if (ctx.detector) {
        rip_detector_stats ds;
        rip_detector_get_stats(ctx.detector, &ds);
        printf("riposte: ingest: %" PRIu64 " findings new, %" PRIu64 " already stored; "
               "incidents: %" PRIu64 " opened, %" PRIu64 " joined by a finding, %" PRIu64
               " merged\n", ds.findings_new, ds.findings_known, ds.incidents_new,
               ds.incidents_joined, ds.incidents_merged);
    }
    if (ctx.inventory && ctx.inv.applied + ctx.inv.stale)
        printf("riposte: ingest: inventory: %" PRIu64 " %s applied, %" PRIu64
               " older than what the inventory knows\n", ctx.inv.applied,
               ctx.inv.applied == 1 ? "event" : "events", ctx.inv.stale);
    if (fflush(stdout) != 0)
        exit_code = RIP_EXIT_ERROR;
    else if (dec.stats.errors + unreadable == 0)
        exit_code = RIP_EXIT_OK;
    else if (dec.stats.decoded == 0)
        exit_code = RIP_EXIT_ERROR;
    else
        exit_code = RIP_EXIT_PARTIAL;
out:
    rip_detector_free(ctx.detector);
    if (ctx.store) {
        rc = rip_store_close(ctx.store);
        if (rc < 0 && exit_code != RIP_EXIT_ERROR)
            exit_code = rip_cli_error("closing database: %s", rip_strerror(rc));
    }
    rip_sigma_ruleset_free(rs);
    rip_decoder_release(&dec);
    rip_buf_release(&data);
    rip_input_list_release(&inputs);
    return exit_code;
}
