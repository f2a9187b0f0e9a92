/* cmd-ingest.c — `riposte ingest`: decode logs and store their events.
 *
 * Pipeline per event: decode (normalize/decode.h) -> ingest_detect() (the
 * hook where detection and correlation will produce findings) -> the store's
 * group-committed writer (store/store.h). The summary is printed only after
 * rip_store_flush(), so every event it counts as stored is durable.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "store/store.h"
#include "util/err.h"

void cmd_ingest_usage(FILE *out)
{
    fputs(
"usage: riposte ingest [--db FILE] [--progress] [--sync normal|full] PATH...\n"
"\n"
"Decode security logs and store their events in riposte's database, where\n"
"'riposte investigate', incidents and reports find them. The inputs are the\n"
"ones 'riposte events' reads: CloudTrail log files (gzipped or not, S3\n"
"objects, NDJSON), EventBridge events, GuardDuty and Security Hub findings,\n"
"GCP audit log entries. PATH is a file, a folder (read recursively) or -.\n"
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
"The last line on standard output sums up: files read, events decoded,\n"
"stored (new), duplicates (already there), skipped and errors. Records that\n"
"cannot be decoded are reported on standard error with file and position.\n"
"\n"
"examples:\n"
"  riposte ingest --db incidents.db AWSLogs/\n"
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
    bool progress;
} ingest_ctx;

/* ingest_detect — the detection hook. Every decoded event passes here right
 * after the store accepted it (seq is its sequence number; it is durable
 * once rip_store_durable_seq() >= seq). This is where Sigma rules will turn
 * events into findings and correlation will fold findings into incidents;
 * for now it produces nothing. Returning a negative RIP_E* stops the
 * ingest. The event is borrowed: valid only during this call. */
static int ingest_detect(ingest_ctx *c, const rip_event *ev, uint64_t seq)
{
    (void)c;
    (void)ev;
    (void)seq;
    return 0;
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
    return ingest_detect(c, ev, seq);
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
    ingest_ctx ctx = { 0 };
    rip_store_options opt;
    rip_store_error serr;
    rip_store_stats stats;
    rip_input_list inputs;
    rip_decoder dec;
    rip_buf data;
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
        fputs("usage: riposte ingest [--db FILE] [--progress] [--sync normal|full] PATH...\n",
              stderr);
        exit_code = RIP_EXIT_ERROR;
        goto out;
    }

    db = rip_store_path(db_flag);
    opt.on_durable = on_durable;
    opt.ud = &ctx;
    rc = rip_store_open(db, &opt, &ctx.store, &serr);
    if (rc < 0) {
        exit_code = rip_cli_error("cannot open database '%s': %s", db, serr.msg);
        goto out;
    }

    for (size_t i = 0; i < inputs.count && !ctx.store_err; i++) {
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
        rc = rip_decode_buffer(&dec, in->path, data.ptr, data.len);
        if (rc < 0 && rc != RIP_EFORMAT && !ctx.store_err) {
            rip_cli_warn("'%s': %s", in->path, rip_strerror(rc));
            unreadable++;
        }
    }
    rip_buf_release(&data);

    rc = ctx.store_err ? ctx.store_err : rip_store_flush(ctx.store);
    rip_store_get_stats(ctx.store, &stats);
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
    if (fflush(stdout) != 0)
        exit_code = RIP_EXIT_ERROR;
    else if (dec.stats.errors + unreadable == 0)
        exit_code = RIP_EXIT_OK;
    else if (dec.stats.decoded == 0)
        exit_code = RIP_EXIT_ERROR;
    else
        exit_code = RIP_EXIT_PARTIAL;
out:
    if (ctx.store) {
        rc = rip_store_close(ctx.store);
        if (rc < 0 && exit_code != RIP_EXIT_ERROR)
            exit_code = rip_cli_error("closing database: %s", rip_strerror(rc));
    }
    rip_decoder_release(&dec);
    rip_buf_release(&data);
    rip_input_list_release(&inputs);
    return exit_code;
}
