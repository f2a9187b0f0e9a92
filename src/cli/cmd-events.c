/* cmd-events.c — `riposte events`: decode logs into normalized events. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "util/err.h"

#define OUT_FLUSH_AT (64 * 1024)

void cmd_events_usage(FILE *out)
{
    fputs(
"usage: riposte events [--format jsonl|text] [--no-raw] PATH...\n"
"\n"
"Decode security logs into riposte's normalized events and print them, one\n"
"per line. The format of each input is recognized from its content:\n"
"\n"
"  CloudTrail     log files as S3 delivers them ({\"Records\":[...]}, gzipped\n"
"                 or not), single records, JSON arrays, one record per line;\n"
"                 Insights and service events; digest files are skipped\n"
"  EventBridge    events: \"AWS API Call via CloudTrail\", \"GuardDuty Finding\",\n"
"                 \"Security Hub Findings - Imported\" / \"- Custom Action\";\n"
"                 other detail-types are kept as generic events\n"
"  GuardDuty      findings in the API's camelCase shape: one, an array, or\n"
"                 {\"findings\":[...]}\n"
"  Security Hub   ASFF findings: one, an array, {\"Findings\":[...]}\n"
"  GCP            Cloud Audit Log entries: one, an array, one per line, or\n"
"                 Pub/Sub push messages (base64 message.data)\n"
"  SNS / SQS      notifications and Lambda batches carrying any of the above\n"
"\n"
"PATH is a file, a folder (read recursively, in name order: *.json, *.jsonl,\n"
"*.ndjson and *.gz files), or - for standard input. Gzipped input is\n"
"recognized by its magic bytes. Files are read whole, up to 1 GiB each\n"
"(and 1 GiB once inflated).\n"
"\n"
"options:\n"
"  --format jsonl   one JSON object per event: time, cloud, kind, format, id,\n"
"                   account, region, actor, action, source, resources,\n"
"                   finding, and \"raw\", the original record (default)\n"
"  --format text    one readable line per event\n"
"  --no-raw         leave \"raw\" (and \"envelope\") out of jsonl\n"
"  -h, --help       show this help\n"
"\n"
"A record that cannot be decoded is reported on standard error with its file,\n"
"record number (and line and column for JSON errors) and the reason; the rest\n"
"of the file is still decoded. The counts are printed at the end.\n"
"\n"
"examples:\n"
"  riposte events examples/data\n"
"  riposte events --format text 123456789012_CloudTrail_us-east-1_20240501T0000Z_x.json.gz\n"
"  aws s3 cp s3://trail-bucket/AWSLogs/ . --recursive && riposte events AWSLogs\n"
"  gcloud logging read 'logName:cloudaudit' --format=json | riposte events -\n"
"\n"
"exit status:\n"
"  0  every record was decoded\n"
"  1  some records were rejected (or some paths unreadable)\n"
"  2  nothing usable was decoded, or a usage error\n",
          out);
}

typedef struct events_ctx {
    bool text;
    bool raw;
    rip_buf out;
    rip_buf line;
    int write_err;
} events_ctx;

static int flush_out(events_ctx *c)
{
    if (c->out.len && fwrite(c->out.ptr, 1, c->out.len, stdout) != c->out.len)
        c->write_err = 1;
    rip_buf_reset(&c->out);
    return c->write_err ? RIP_EIO : 0;
}

static int on_event(void *ud, const rip_event *ev)
{
    events_ctx *c = ud;
    int r;

    if (c->text) {
        r = rip_event_write_text(&c->out, ev);
    } else {
        rip_jw w;
        rip_buf_reset(&c->line);
        rip_jw_init(&w, &c->line);
        rip_event_write_json(&w, ev, c->raw);
        r = rip_jw_finish(&w);
        if (r == 0)
            r = rip_buf_add(&c->out, c->line.ptr, c->line.len);
    }
    if (r == 0)
        r = rip_buf_addc(&c->out, '\n');
    if (r < 0)
        return r;
    if (c->out.len >= OUT_FLUSH_AT)
        return flush_out(c);
    return 0;
}

static void on_error(void *ud, const rip_decode_error *e)
{
    /* Keep stdout and stderr in order when both go to a terminal. */
    flush_out(ud);
    rip_buf line = RIP_BUF_INIT;
    rip_cli_format_decode_error(&line, e);
    fputs(line.ptr, stderr);
    rip_buf_release(&line);
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

int cmd_events(int argc, char **argv)
{
    events_ctx ctx = { .text = false, .raw = true };
    rip_input_list inputs;
    rip_decoder dec;
    rip_buf data;
    uint64_t files = 0, unreadable = 0;
    int a, rc, exit_code = RIP_EXIT_OK;
    bool opts = true;

    rip_input_list_init(&inputs);
    rip_buf_init(&ctx.out, 0);
    rip_buf_init(&ctx.line, 0);
    rip_buf_init(&data, 0);
    rip_decoder_init(&dec, on_event, on_error, &ctx, NULL);

    for (a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (opts && !strcmp(arg, "--")) {
            opts = false;
            continue;
        }
        if (opts && (!strcmp(arg, "--format") || !strncmp(arg, "--format=", 9))) {
            const char *v = arg[8] == '=' ? arg + 9 : (a + 1 < argc ? argv[++a] : NULL);
            if (!v) {
                exit_code = rip_cli_error("--format needs a value: jsonl or text");
                goto out;
            }
            if (!strcmp(v, "jsonl") || !strcmp(v, "json")) {
                ctx.text = false;
            } else if (!strcmp(v, "text")) {
                ctx.text = true;
            } else {
                exit_code = rip_cli_error("unknown format '%s'; expected jsonl or text", v);
                goto out;
            }
            continue;
        }
        if (opts && !strcmp(arg, "--no-raw")) {
            ctx.raw = false;
            continue;
        }
        if (opts && arg[0] == '-' && arg[1]) {
            exit_code = rip_cli_error("unknown option '%s'; see 'riposte events --help'", arg);
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
        fputs("usage: riposte events [--format jsonl|text] [--no-raw] PATH...\n", stderr);
        exit_code = RIP_EXIT_ERROR;
        goto out;
    }

    for (size_t i = 0; i < inputs.count; i++) {
        const rip_input *in = &inputs.items[i];
        if (in->err) {
            flush_out(&ctx);
            rip_cli_warn("cannot read '%s': %s", in->path, rip_strerror(in->err));
            unreadable++;
            continue;
        }
        rip_buf_reset(&data);
        rc = rip_input_read(in->path, RIP_INPUT_DEFAULT_MAX_FILE, &data);
        if (rc < 0) {
            flush_out(&ctx);
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
        if (rc < 0 && rc != RIP_EFORMAT) {
            flush_out(&ctx);
            if (ctx.write_err)
                break;
            rip_cli_warn("'%s': %s", in->path, rip_strerror(rc));
            unreadable++;
        }
    }
    flush_out(&ctx);
    if (fflush(stdout) != 0 || ctx.write_err) {
        exit_code = rip_cli_error("cannot write the events to standard output");
        goto out;
    }

    fprintf(stderr, "riposte: %llu %s read, %llu %s decoded, %llu skipped, %llu %s\n",
            (unsigned long long)files, plural(files, "file", "files"),
            (unsigned long long)dec.stats.decoded, plural(dec.stats.decoded, "event", "events"),
            (unsigned long long)dec.stats.skipped,
            (unsigned long long)(dec.stats.errors + unreadable),
            plural(dec.stats.errors + unreadable, "error", "errors"));
    if (dec.stats.errors + unreadable == 0)
        exit_code = RIP_EXIT_OK;
    else if (dec.stats.decoded == 0)
        exit_code = RIP_EXIT_ERROR;
    else
        exit_code = RIP_EXIT_PARTIAL;
out:
    rip_decoder_release(&dec);
    rip_buf_release(&data);
    rip_buf_release(&ctx.out);
    rip_buf_release(&ctx.line);
    rip_input_list_release(&inputs);
    return exit_code;
}
