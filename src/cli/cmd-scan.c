/* cmd-scan.c — `riposte scan`: hunt through log files with Sigma rules.
 *
 * Files are decoded and matched by worker threads, each with its own
 * decoder and matcher over one shared, read-only compiled ruleset. A file's
 * output (hits on stdout, record errors on stderr) is buffered and flushed
 * in the order the files were named, so the output does not depend on the
 * number of threads. Correlation rules see the hits of the rules they
 * reference in event-time order (src/detect/correlate.h) on the main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "cli/scan-output.h"
#include "config.h"
#include "detect/correlate.h"
#include "detect/sigma.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define SCAN_MAX_THREADS 64

/* Observations for correlations made by a worker, fed in file order. */
typedef struct obs_list {
    rip_corr_obs **v;     /* each one malloc'ed block with its strings */
    size_t n, alloc;
} obs_list;

typedef struct scan_file {
    rip_buf out;          /* formatted hits */
    obs_list obs;
    rip_buf err;          /* record errors, already formatted */
    uint64_t events, hits, errors, bytes;
    int read_err;         /* could not read the file */
    int done;             /* the worker published its last piece */
} scan_file;

typedef struct scan_ctx {
    rip_input_list inputs;
    scan_file *files;
    atomic_size_t next;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    const rip_sigma_ruleset *rs;
    rip_corr_engine *corr;   /* NULL when no rule correlates */
    rip_scan_format format;
    rip_sigma_level min_level;
    int with_raw;
    int threaded;        /* workers run on their own threads */
    size_t draining;     /* the file the main thread waits on (under lock) */
    /* Drained output buffers handed back to workers, so a buffer's memory
     * is reused from file to file instead of regrown (under lock). */
    rip_buf spare[8];
    int nspare;
    struct corr_out *co; /* correlation output (main thread) */
    size_t max_file;     /* a document read whole */
    size_t max_record;   /* one NDJSON line */
} scan_ctx;

typedef struct scan_worker {
    scan_ctx *ctx;
    rip_decoder dec;
    rip_sigma_matcher *matcher;
    rip_buf data;
    /* What this worker produced for the current file since it last
     * published (see scan_publish()). */
    rip_buf out, err;
    obs_list obs;
    scan_file *cur;
    const char *path;
    int failed;           /* out of memory or similar: stop */
    /* Where the current document's output started, for on_rollback(). */
    struct {
        size_t out, err, obs;
        uint64_t events, hits, errors, regex_errors;
    } mark;
    uint64_t regex_rolled_back;   /* regex errors of dropped deliveries */
    rip_scan_fmt_cache fmt;       /* what every hit line repeats */
} scan_worker;

void cmd_scan_usage(FILE *out)
{
    fputs(
"usage: riposte scan [--rules PATH]... [--placeholders FILE] [--format text|jsonl|ocsf]\n"
"                    [--min-level LEVEL] [--threads N] [--raw] PATH...\n"
"\n"
"Hunt through cloud logs with Sigma rules and print every hit.\n"
"\n"
"PATH is a file, a folder (read recursively: *.json, *.jsonl, *.ndjson and\n"
"their .gz forms) or '-' for standard input. Formats are recognized by\n"
"content and may be mixed: CloudTrail S3 objects (gzipped or not), NDJSON,\n"
"EventBridge events, GuardDuty findings, Security Hub ASFF, GCP audit logs.\n"
"\n"
"options:\n"
"  --rules PATH         Sigma rule file or folder (repeatable). Without it,\n"
"                       riposte's own rules (built into the binary) are used.\n"
"  --placeholders FILE  values for rules using the 'expand' modifier (YAML map\n"
"                       of placeholder name to a list of values)\n"
"  --format FMT         text (default): one line per hit and a summary;\n"
"                       jsonl: one JSON object per hit;\n"
"                       ocsf: one OCSF Detection Finding (class 2004) per hit\n"
"  --min-level LEVEL    only report hits of rules at or above LEVEL\n"
"                       (informational, low, medium, high, critical)\n"
"  --threads N          decode and match with N threads (default 1)\n"
"  --raw                jsonl: include the original record of each hit\n"
"\n"
"exit status (grep style): 0 no hit, 1 at least one hit, 2 an error (a rule\n"
"that does not load, a path that cannot be read, a usage error). Records\n"
"that cannot be decoded are reported on stderr with file and index and do\n"
"not stop the scan.\n"
"\n"
"examples:\n"
"  riposte scan ~/cloudtrail/AWSLogs/                 # riposte's rules\n"
"  riposte scan --rules sigma/rules/cloud/aws --format jsonl logs/ > hits.jsonl\n"
"  riposte scan --min-level high --threads 2 s3-export/\n", out);
}

/* ---- per-event work (worker threads) ---- */

static void obs_list_release(obs_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->alloc = 0;
}

/* Copies an observation (and its strings) into the current file's list. */
static int on_obs(void *ud, const rip_corr_obs *o)
{
    scan_worker *w = ud;
    obs_list *l = &w->obs;
    size_t lg = strlen(o->group) + 1, lv = o->value ? strlen(o->value) + 1 : 0;
    size_t li = strlen(o->event_id) + 1, lp = strlen(o->path) + 1;
    if (l->n == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 64;
        rip_corr_obs **nv = realloc(l->v, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        l->v = nv;
        l->alloc = na;
    }
    rip_corr_obs *c = malloc(sizeof(*c) + lg + lv + li + lp);
    if (!c)
        return RIP_ENOMEM;
    char *p = (char *)(c + 1);
    *c = *o;
    c->group = memcpy(p, o->group, lg);
    p += lg;
    if (o->value) {
        c->value = memcpy(p, o->value, lv);
        p += lv;
    }
    c->event_id = memcpy(p, o->event_id, li);
    p += li;
    c->path = memcpy(p, o->path, lp);
    l->v[l->n++] = c;
    return 0;
}

static int on_hit(void *ud, const rip_sigma_hit *hit, const rip_event *ev)
{
    scan_worker *w = ud;
    if (w->ctx->corr) {
        int r = rip_corr_extract(w->ctx->corr, hit, ev, w->path, on_obs, w);
        if (r < 0) {
            w->failed = r;
            return r;
        }
    }
    if (!hit->report || hit->meta->level < w->ctx->min_level)
        return 0;
    w->cur->hits++;
    int r = rip_scan_format_hit(&w->out, w->ctx->format, hit->meta, ev,
                                w->path, w->ctx->with_raw, &w->fmt);
    if (r < 0) {
        w->failed = r;
        return r;
    }
    return 0;
}

static int on_event(void *ud, const rip_event *ev)
{
    scan_worker *w = ud;
    w->cur->events++;
    int r = rip_sigma_match(w->matcher, ev, on_hit, w);
    return r < 0 ? r : 0;
}

static void on_error(void *ud, const rip_decode_error *e)
{
    scan_worker *w = ud;
    w->cur->errors++;
    rip_cli_format_decode_error(&w->err, e);
}

/* Remembers where the current document's output starts. */
static void scan_mark(scan_worker *w)
{
    rip_sigma_match_stats ms;
    rip_sigma_matcher_stats(w->matcher, &ms);
    w->mark.out = w->out.len;
    w->mark.err = w->err.len;
    w->mark.obs = w->obs.n;
    w->mark.events = w->cur->events;
    w->mark.hits = w->cur->hits;
    w->mark.errors = w->cur->errors;
    w->mark.regex_errors = ms.regex_errors;
}

/* The decoder delivered part of a document it then decoded again (or
 * rejected) whole: forget what it delivered since scan_mark(). Nothing of
 * it was published: a document's output is published when it is done. */
static void on_rollback(void *ud)
{
    scan_worker *w = ud;
    rip_sigma_match_stats ms;
    w->out.len = w->mark.out;
    w->out.ptr[w->out.len] = '\0';
    w->err.len = w->mark.err;
    w->err.ptr[w->err.len] = '\0';
    for (size_t k = w->mark.obs; k < w->obs.n; k++)
        free(w->obs.v[k]);
    w->obs.n = w->mark.obs;
    w->cur->events = w->mark.events;
    w->cur->hits = w->mark.hits;
    w->cur->errors = w->mark.errors;
    rip_sigma_matcher_stats(w->matcher, &ms);
    w->regex_rolled_back += ms.regex_errors - w->mark.regex_errors;
    w->mark.regex_errors = ms.regex_errors;
}

static void corr_feed(scan_ctx *ctx, obs_list *obs);

/* Writes what a file produced so far, in order: hits, then record errors,
 * then its observations go to the correlation engine (main thread only). */
static void scan_drain(scan_ctx *ctx, rip_buf *out, rip_buf *err, obs_list *obs)
{
    if (out->len) {
        fwrite(out->ptr, 1, out->len, stdout);
        rip_buf_reset(out);
    }
    if (err->len) {
        fflush(stdout);
        fwrite(err->ptr, 1, err->len, stderr);
        rip_buf_reset(err);
    }
    corr_feed(ctx, obs);
}

static void buf_move(rip_buf *to, rip_buf *from)
{
    if (!from->len)
        return;
    if (!to->len) {
        rip_buf tmp = *to;
        *to = *from;
        *from = tmp;
        rip_buf_reset(from);
        return;
    }
    rip_buf_add(to, from->ptr, from->len);
    rip_buf_reset(from);
}

static void obs_move(obs_list *to, obs_list *from)
{
    if (!to->n) {
        obs_list tmp = *to;
        *to = *from;
        *from = tmp;
        return;
    }
    size_t k = 0;
    for (; k < from->n; k++) {
        if (to->n == to->alloc) {
            size_t na = to->alloc * 2;
            rip_corr_obs **nv = realloc(to->v, na * sizeof(*nv));
            if (!nv)
                break;   /* keep the rest in from; it is fed on the next move */
            to->v = nv;
            to->alloc = na;
        }
        to->v[to->n++] = from->v[k];
    }
    memmove(from->v, from->v + k, (from->n - k) * sizeof(*from->v));
    from->n -= k;
}

/* Hands what the worker produced for its file to the main thread (or, with
 * one thread, writes it at once). Called at every chunk and at the end of a
 * file (final), so memory does not grow with a file's size or hits. */
static void scan_publish(scan_worker *w, int final)
{
    scan_ctx *ctx = w->ctx;
    scan_file *f = w->cur;
    if (!ctx->threaded) {
        scan_drain(ctx, &w->out, &w->err, &w->obs);
        if (final)
            f->done = 1;
        return;
    }
    pthread_mutex_lock(&ctx->lock);
    int was_empty = !f->out.len;
    buf_move(&f->out, &w->out);
    if (was_empty && w->out.alloc == 0 && ctx->nspare > 0) {
        /* The worker's buffer went to the file; take a used one back. */
        rip_buf_release(&w->out);
        w->out = ctx->spare[--ctx->nspare];
    }
    buf_move(&f->err, &w->err);
    obs_move(&f->obs, &w->obs);
    if (final)
        f->done = 1;
    /* Wake the main thread only for the file it is waiting on. */
    if ((size_t)(f - ctx->files) == ctx->draining)
        pthread_cond_signal(&ctx->cond);
    pthread_mutex_unlock(&ctx->lock);
}

/* Reads and decodes one input. Gzipped objects and JSON documents are read
 * whole (they are one document); NDJSON is streamed in SCAN_CHUNK pieces cut
 * at line ends, so memory stays flat whatever the file's size. */
#define SCAN_CHUNK ((size_t)1 << 20)

static void scan_one(scan_worker *w, size_t i)
{
    scan_ctx *ctx = w->ctx;
    scan_file *f = &ctx->files[i];
    const rip_input *in = &ctx->inputs.items[i];
    rip_input_reader rd;
    w->cur = f;
    w->path = in->path;
    if (in->err) {
        f->read_err = in->err;
        rip_buf_addf(&w->err, "riposte: cannot read '%s': %s\n", in->path,
                     rip_strerror(in->err));
        scan_publish(w, 1);
        return;
    }
    rip_buf_reset(&w->data);
    int r = rip_input_open(&rd, in->path);
    if (r == 0)
        r = rip_input_read_some(&rd, &w->data, SCAN_CHUNK);
    if (r == 0 && !rd.eof && !rip_input_is_gzip(w->data.ptr, w->data.len) &&
        rip_decode_looks_ndjson(&w->dec, w->data.ptr, w->data.len)) {
        uint64_t index = 0, line = 1;
        for (;;) {
            const char *nl = rd.eof ? w->data.ptr + w->data.len - 1
                                    : memrchr(w->data.ptr, '\n', w->data.len);
            if (!nl && !rd.eof) {
                /* One line longer than what we hold: read on (capped). */
                if (w->data.len >= ctx->max_record) {
                    rip_buf_addf(&w->err, "riposte: '%s' line %llu: longer than %zu bytes; "
                                 "skipping the rest of the file\n", in->path,
                                 (unsigned long long)line, ctx->max_record);
                    f->errors++;
                    break;
                }
                r = rip_input_read_some(&rd, &w->data, SCAN_CHUNK);
                if (r < 0)
                    break;
                continue;
            }
            size_t take = nl ? (size_t)(nl - w->data.ptr) + 1 : w->data.len;
            f->bytes += take;
            int dr = rip_decode_ndjson_chunk(&w->dec, in->path, w->data.ptr, take, &index, &line);
            if (dr < 0) {
                /* Out of memory, or a callback stopped: say so, never skip silently. */
                if (!w->failed)
                    w->failed = dr;
                break;
            }
            scan_publish(w, 0);
            memmove(w->data.ptr, w->data.ptr + take, w->data.len - take);
            w->data.len -= take;
            w->data.ptr[w->data.len] = '\0';
            if (rd.eof && w->data.len == 0)
                break;
            r = rip_input_read_some(&rd, &w->data, SCAN_CHUNK);
            if (r < 0)
                break;
        }
    } else {
        while (r == 0 && !rd.eof) {
            if (w->data.len >= ctx->max_file) {
                r = RIP_ELIMIT;
                break;
            }
            r = rip_input_read_some(&rd, &w->data, SCAN_CHUNK);
        }
        if (r == 0) {
            int gz = rip_input_is_gzip(w->data.ptr, w->data.len);
            scan_mark(w);
            int dr = rip_decode_buffer(&w->dec, in->path, w->data.ptr, w->data.len);
            /* RIP_EFORMAT was already reported record by record. */
            if (dr < 0 && dr != RIP_EFORMAT && !w->failed)
                w->failed = dr;
            /* Throughput is counted in JSON bytes, inflated when gzipped. */
            f->bytes = gz ? w->dec.inflated.len : w->data.len;
        }
    }
    rip_input_close(&rd);
    if (r < 0) {
        f->read_err = r;
        rip_buf_addf(&w->err, "riposte: cannot read '%s': %s\n", in->path, rip_strerror(r));
    } else if (w->failed) {
        f->read_err = w->failed;   /* the exit status says something was lost */
        rip_buf_addf(&w->err, "riposte: '%s': %s; the rest of this file was not scanned\n",
                     in->path, rip_strerror(w->failed));
        w->failed = 0;
    }
    scan_publish(w, 1);
}

static void *worker_main(void *arg)
{
    scan_worker *w = arg;
    scan_ctx *ctx = w->ctx;
    for (;;) {
        size_t i = atomic_fetch_add(&ctx->next, 1);
        if (i >= ctx->inputs.count)
            break;
        scan_one(w, i);
    }
    return NULL;
}

static int worker_init(scan_worker *w, scan_ctx *ctx)
{
    memset(w, 0, sizeof(*w));
    w->ctx = ctx;
    rip_buf_init(&w->data, 0);
    rip_buf_init(&w->out, 0);
    rip_buf_init(&w->err, 0);
    rip_scan_fmt_cache_init(&w->fmt);
    rip_decoder_init(&w->dec, on_event, on_error, w, NULL);
    /* Documents are decoded record by record (see decode.h); the variable
     * turns it off, to compare the two paths. */
    const char *no_stream = getenv("RIPOSTE_SCAN_NO_STREAM");
    if (!no_stream || !*no_stream || !strcmp(no_stream, "0"))
        w->dec.on_rollback = on_rollback;
    w->matcher = rip_sigma_matcher_new(ctx->rs);
    return w->matcher ? 0 : RIP_ENOMEM;
}

static void worker_release(scan_worker *w)
{
    rip_sigma_matcher_free(w->matcher);
    rip_decoder_release(&w->dec);
    rip_buf_release(&w->data);
    rip_buf_release(&w->out);
    rip_buf_release(&w->err);
    obs_list_release(&w->obs);
    rip_scan_fmt_cache_release(&w->fmt);
}

/* ---- rules ---- */

typedef struct diag_state {
    unsigned errors;
} diag_state;

static void on_diag(void *ud, const rip_sigma_diag *d)
{
    diag_state *s = ud;
    if (!d->warning)
        s->errors++;
    fprintf(stderr, "riposte: %s%s\n", d->warning ? "warning: " : "", d->text);
}

/* Loads riposte's built-in rules into rs. 0 or RIP_E*. */
int rip_cli_load_builtin_rules(rip_sigma_ruleset *rs)
{
    int ret = 0;
    for (size_t i = 0; i < rip_builtin_rules_count; i++) {
        char name[512];
        snprintf(name, sizeof(name), "rules/%s", rip_builtin_rules[i].name);
        int r = rip_sigma_load_buffer(rs, name, rip_builtin_rules[i].data,
                                      rip_builtin_rules[i].size);
        if (r < 0 && !ret)
            ret = r;
    }
    return ret;
}

/* ---- correlation (main thread) ---- */

typedef struct corr_out {
    rip_corr_engine *corr;
    rip_scan_format format;
    rip_sigma_level min_level;
    uint64_t hits;
    rip_buf line;
} corr_out;

static int on_corr_hit(void *ud, const rip_corr_hit *hit)
{
    corr_out *o = ud;
    if (hit->meta->level < o->min_level)
        return 0;
    rip_scan_corr_event *evs = calloc(hit->nobs ? hit->nobs : 1, sizeof(*evs));
    if (!evs)
        return RIP_ENOMEM;
    for (size_t i = 0; i < hit->nobs; i++) {
        evs[i].id = hit->obs[i]->event_id;
        evs[i].time_ns = hit->obs[i]->time_ns;
        evs[i].path = hit->obs[i]->path;
        evs[i].index = hit->obs[i]->index;
    }
    rip_buf_reset(&o->line);
    int r = rip_scan_format_corr(&o->line, o->format, hit->meta, hit->group, evs, hit->nobs,
                                 hit->first_ns, hit->last_ns);
    free(evs);
    if (r < 0)
        return r;
    fwrite(o->line.ptr, 1, o->line.len, stdout);
    o->hits++;
    return 0;
}

static void corr_feed(scan_ctx *ctx, obs_list *obs)
{
    for (size_t k = 0; ctx->corr && k < obs->n; k++) {
        int r = rip_corr_observe(ctx->corr, obs->v[k], on_corr_hit, ctx->co);
        if (r < 0) {
            rip_cli_error("correlation: %s", rip_strerror(r));
            break;
        }
    }
    for (size_t k = 0; k < obs->n; k++)
        free(obs->v[k]);
    obs->n = 0;
}

/* ---- progress ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cmd_scan(int argc, char **argv)
{
    const char *rule_paths[256];
    size_t nrule_paths = 0;
    const char *placeholders = NULL;
    const char *paths[4096];
    size_t npaths = 0;
    long threads = 1;
    int ret = RIP_EXIT_ERROR;
    scan_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.format = RIP_SCAN_TEXT;
    ctx.min_level = RIP_SIGMA_LEVEL_NONE;
    ctx.max_file = RIP_INPUT_DEFAULT_MAX_FILE;
    ctx.max_record = rip_json_default_limits.max_size;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = NULL;
#define OPTARG(name)                                                              \
        (!strcmp(a, name) ? (i + 1 < argc ? (val = argv[++i]) : NULL)            \
         : (!strncmp(a, name "=", sizeof(name)) ? (val = a + sizeof(name)) : NULL))
        if (!strcmp(a, "--")) {
            for (i++; i < argc; i++) {
                if (npaths >= sizeof(paths) / sizeof(paths[0]))
                    return rip_cli_error("too many paths (at most %zu); name a folder instead",
                                         sizeof(paths) / sizeof(paths[0]));
                paths[npaths++] = argv[i];
            }
            break;
        } else if (OPTARG("--rules")) {
            if (nrule_paths >= sizeof(rule_paths) / sizeof(rule_paths[0]))
                return rip_cli_error("too many --rules (at most 256)");
            rule_paths[nrule_paths++] = val;
        } else if (OPTARG("--placeholders")) {
            placeholders = val;
        } else if (OPTARG("--format")) {
            if (rip_scan_format_parse(val, &ctx.format) < 0)
                return rip_cli_error("--format: unknown format '%s' (expected text, jsonl or ocsf)", val);
        } else if (OPTARG("--min-level")) {
            if (rip_sigma_level_parse(val, &ctx.min_level) < 0)
                return rip_cli_error("--min-level: unknown level '%s' (expected informational, low, medium, high or critical)", val);
        } else if (OPTARG("--threads")) {
            char *end;
            errno = 0;
            threads = strtol(val, &end, 10);
            if (errno || *end || threads < 1 || threads > SCAN_MAX_THREADS)
                return rip_cli_error("--threads: expected a number from 1 to %d, got '%s'",
                                     SCAN_MAX_THREADS, val);
        } else if (!strcmp(a, "--raw")) {
            ctx.with_raw = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            if (!strcmp(a, "--rules") || !strcmp(a, "--format") || !strcmp(a, "--min-level") ||
                !strcmp(a, "--threads") || !strcmp(a, "--placeholders"))
                return rip_cli_error("option '%s' needs a value", a);
            return rip_cli_error("unknown option '%s'; see 'riposte scan --help'", a);
        } else {
            if (npaths >= sizeof(paths) / sizeof(paths[0]))
                return rip_cli_error("too many paths (at most %zu); name a folder instead",
                                     sizeof(paths) / sizeof(paths[0]));
            paths[npaths++] = a;
        }
#undef OPTARG
    }
    if (npaths == 0) {
        cmd_scan_usage(stderr);
        return RIP_EXIT_ERROR;
    }

    /* Rules. */
    diag_state ds = { 0 };
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, &ds);
    if (!rs)
        return rip_cli_error("out of memory");
    int load_failed = 0;
    if (placeholders && rip_sigma_load_placeholders(rs, placeholders) < 0)
        load_failed = 1;
    if (nrule_paths == 0) {
        if (rip_cli_load_builtin_rules(rs) < 0)
            load_failed = 1;
    }
    for (size_t i = 0; i < nrule_paths; i++) {
        int r = rip_sigma_load_path(rs, rule_paths[i]);
        if (r == RIP_ENOENT || r == RIP_EIO) {
            rip_cli_error("cannot read rules '%s': %s", rule_paths[i], rip_strerror(r));
            load_failed = 1;
        } else if (r < 0) {
            load_failed = 1;
        }
    }
    if (rip_sigma_compile(rs) < 0)
        load_failed = 1;
    if (rip_sigma_rule_count(rs) == 0) {
        rip_cli_error("no rules loaded");
        goto out_rules;
    }
    ctx.rs = rs;
    ctx.corr = rip_corr_new(rs, 0);
    if (!ctx.corr) {
        rip_cli_error("out of memory");
        goto out_rules;
    }
    if (rip_corr_count(ctx.corr) == 0) {
        rip_corr_free(ctx.corr);
        ctx.corr = NULL;
    }
    corr_out co = { .corr = ctx.corr, .format = ctx.format, .min_level = ctx.min_level };
    rip_buf_init(&co.line, 0);
    ctx.co = &co;

    /* Inputs. */
    rip_input_list_init(&ctx.inputs);
    for (size_t i = 0; i < npaths; i++) {
        int r = rip_input_expand(&ctx.inputs, paths[i]);
        if (r < 0) {
            rip_cli_error("cannot list '%s': %s", paths[i], rip_strerror(r));
            goto out_inputs;
        }
    }
    size_t n = ctx.inputs.count;
    ctx.files = calloc(n ? n : 1, sizeof(*ctx.files));
    if (!ctx.files) {
        rip_cli_error("out of memory");
        goto out_inputs;
    }
    for (size_t i = 0; i < n; i++) {
        rip_buf_init(&ctx.files[i].out, 0);
        rip_buf_init(&ctx.files[i].err, 0);
    }
    /* Progress goes to a terminal only: the inputs are sized (one stat each)
     * only then. */
    uint64_t total_bytes = 0;
    int progress = isatty(2);
    for (size_t i = 0; progress && i < n; i++) {
        struct stat st;
        if (strcmp(ctx.inputs.items[i].path, "-") && stat(ctx.inputs.items[i].path, &st) == 0)
            total_bytes += (uint64_t)st.st_size;
    }
    progress = progress && total_bytes > ((uint64_t)64 << 20);

    pthread_mutex_init(&ctx.lock, NULL);
    pthread_cond_init(&ctx.cond, NULL);
    atomic_init(&ctx.next, 0);
    if ((size_t)threads > n && n > 0)
        threads = (long)n;
    scan_worker *workers = calloc((size_t)threads, sizeof(*workers));
    pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
    int nstarted = 0;
    if (!workers || !tids) {
        rip_cli_error("out of memory");
        goto out_threads;
    }
    for (long t = 0; t < threads; t++) {
        if (worker_init(&workers[t], &ctx) < 0) {
            rip_cli_error("out of memory");
            goto out_threads;
        }
    }
    /* Decided before any worker starts: workers read it to know whether to
     * hand their output to the main thread or write it themselves. */
    ctx.threaded = threads > 1;
    if (threads > 1) {
        /* N threads in all: the main thread is worker 0 (it scans files
         * between draining them in order), the others run worker_main. */
        for (long t = 1; t < threads; t++) {
            if (pthread_create(&tids[nstarted], NULL, worker_main, &workers[t]) != 0) {
                rip_cli_error("cannot start thread: %s", strerror(errno));
                break;
            }
            nstarted++;
        }
    }

    /* Flush results in input order; with one thread, do the work here. */
    rip_scan_summary sum;
    memset(&sum, 0, sizeof(sum));
    int read_errors = 0;
    double t0 = now_s(), last_progress = t0;
    uint64_t done_bytes = 0;
    if (ctx.format == RIP_SCAN_OCSF || ctx.format == RIP_SCAN_JSONL)
        setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    rip_buf out = RIP_BUF_INIT, err = RIP_BUF_INIT;
    obs_list obs = { 0 };
    for (size_t i = 0; i < n; i++) {
        scan_file *f = &ctx.files[i];
        if (!ctx.threaded) {
            atomic_store(&ctx.next, i + 1);
            scan_one(&workers[0], i);
        } else {
            /* Drain file i as its worker publishes, until it is done. */
            for (int done = 0; !done;) {
                pthread_mutex_lock(&ctx.lock);
                ctx.draining = i;
                while (!f->done && !f->out.len && !f->err.len && !f->obs.n) {
                    if (atomic_load(&ctx.next) < n) {
                        /* Files are left: scan one instead of sleeping. */
                        pthread_mutex_unlock(&ctx.lock);
                        size_t k = atomic_fetch_add(&ctx.next, 1);
                        if (k < n)
                            scan_one(&workers[0], k);
                        pthread_mutex_lock(&ctx.lock);
                        ctx.draining = i;
                        continue;
                    }
                    pthread_cond_wait(&ctx.cond, &ctx.lock);
                }
                buf_move(&out, &f->out);
                buf_move(&err, &f->err);
                obs_move(&obs, &f->obs);
                done = f->done;
                pthread_mutex_unlock(&ctx.lock);
                scan_drain(&ctx, &out, &err, &obs);
            }
        }
        sum.files++;
        sum.events += f->events;
        sum.hits += f->hits;
        sum.errors += f->errors;
        sum.bytes += f->bytes;
        done_bytes += f->bytes;
        if (f->read_err)
            read_errors++;
        if (ctx.threaded && f->out.alloc) {
            pthread_mutex_lock(&ctx.lock);
            if (ctx.nspare < (int)(sizeof(ctx.spare) / sizeof(ctx.spare[0]))) {
                rip_buf_reset(&f->out);
                ctx.spare[ctx.nspare++] = f->out;
                rip_buf_init(&f->out, 0);
            }
            pthread_mutex_unlock(&ctx.lock);
        }
        rip_buf_release(&f->out);
        rip_buf_release(&f->err);
        if (progress && now_s() - last_progress > 0.25) {
            last_progress = now_s();
            fprintf(stderr, "\rscanning: %zu/%zu files, %.0f MB, %llu hits",
                    i + 1, n, (double)done_bytes / 1e6, (unsigned long long)sum.hits);
        }
    }
    rip_buf_release(&out);
    rip_buf_release(&err);
    obs_list_release(&obs);
    if (progress)
        fputs("\r\033[K", stderr);
    for (int t = 0; t < nstarted; t++)
        pthread_join(tids[t], NULL);
    nstarted = 0;
    if (ctx.corr && rip_corr_flush(ctx.corr, on_corr_hit, &co) < 0)
        rip_cli_error("correlation: out of memory");
    {
        uint64_t regex_errors = 0;
        for (long t = 0; workers && t < threads; t++) {
            rip_sigma_match_stats ms;
            if (workers[t].matcher) {
                rip_sigma_matcher_stats(workers[t].matcher, &ms);
                regex_errors += ms.regex_errors - workers[t].regex_rolled_back;
            }
        }
        if (regex_errors)
            rip_cli_warn("%llu regular-expression evaluations stopped at the match limit (%d steps) "
                         "and counted as no match: a rule may have missed those events",
                         (unsigned long long)regex_errors, RIP_SIGMA_REGEX_MATCH_LIMIT);
    }
    if (ctx.corr) {
        /* Correlation state given up must be said, not only counted. */
        rip_corr_stats cs;
        rip_corr_get_stats(ctx.corr, &cs);
        if (cs.groups_dropped)
            rip_cli_warn("correlation: %llu groups dropped to stay within the memory budget "
                         "(%zu MiB); correlations over them may be missed",
                         (unsigned long long)cs.groups_dropped, (size_t)(RIP_CORR_DEFAULT_BUDGET >> 20));
        if (cs.late_dropped)
            rip_cli_warn("correlation: %llu matches arrived more than a timespan out of event-time "
                         "order and were not counted (give files in time order)",
                         (unsigned long long)cs.late_dropped);
    }
    sum.hits += co.hits;
    sum.seconds = now_s() - t0;
    sum.rules = rip_sigma_rule_count(rs);
    fflush(stdout);
    if (ctx.format == RIP_SCAN_TEXT) {
        rip_buf line = RIP_BUF_INIT;
        rip_scan_format_summary(&line, &sum);
        fputs(line.ptr, stdout);
        rip_buf_release(&line);
    } else if (isatty(2)) {
        rip_buf line = RIP_BUF_INIT;
        rip_scan_format_summary(&line, &sum);
        fputs(line.ptr, stderr);
        rip_buf_release(&line);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        rip_cli_error("cannot write output: %s", strerror(errno));
        ret = RIP_EXIT_ERROR;
    } else if (read_errors || load_failed) {
        ret = RIP_EXIT_ERROR;
    } else {
        ret = sum.hits ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
    }

out_threads:
    for (int t = 0; t < nstarted; t++)
        pthread_join(tids[t], NULL);
    if (workers)
        for (long t = 0; t < threads; t++)
            worker_release(&workers[t]);
    free(workers);
    free(tids);
    pthread_mutex_destroy(&ctx.lock);
    pthread_cond_destroy(&ctx.cond);
    for (size_t i = 0; ctx.files && i < n; i++) {
        rip_buf_release(&ctx.files[i].out);
        rip_buf_release(&ctx.files[i].err);
        obs_list_release(&ctx.files[i].obs);
    }
    free(ctx.files);
    for (int k = 0; k < ctx.nspare; k++)
        rip_buf_release(&ctx.spare[k]);
    rip_buf_release(&co.line);
out_inputs:
    rip_input_list_release(&ctx.inputs);
out_rules:
    rip_corr_free(ctx.corr);
    rip_sigma_ruleset_free(rs);
    return ret;
}
