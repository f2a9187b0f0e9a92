/* cmd-replay.c — `riposte replay`: the whole pipeline over recorded logs.
 * Decode, detect and correlate into a scratch database (what `riposte
 * ingest` does), then start the matching playbooks on every incident and
 * work them (what `riposte respond` does), dry-run unless --apply; print
 * the incidents, the steps each playbook would take and the times. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/respond-cli.h"
#include "cli/safe-text.h"
#include "util/err.h"
#include "util/json.h"

#define MAX_ARGS 256

void cmd_replay_usage(FILE *out)
{
    fputs("usage: riposte replay [--rules PATH]... [--playbooks PATH]... [--apply]\n"
          "                      [--db FILE] [--format text|jsonl] [options] PATH...\n"
          "\n"
          "Runs riposte over recorded logs as if they arrived live: decodes and stores\n"
          "the events, detects (riposte's own rules or --rules), folds findings into\n"
          "incidents, then starts every playbook whose trigger matches an incident and\n"
          "works it. Without --apply every run is a dry run: the steps are planned with\n"
          "their parameters filled in from the incident, approvals are noted and planned\n"
          "as granted, and nothing in the cloud is read or changed.\n"
          "\n"
          "For each incident it prints the playbooks started and their steps, and the\n"
          "times:\n"
          "  event -> detection     from the incident's first event to the event that\n"
          "                         completed the playbook's trigger (log time: how long\n"
          "                         the activity ran before it was detectable)\n"
          "  detection -> containment  from the run's start to the end of its first\n"
          "                         action step (riposte's own time; with --apply,\n"
          "                         including the cloud's API calls)\n"
          "\n"
          "options:\n"
          "  --rules PATH     Sigma rules (repeat); default: riposte's own\n"
          "  --apply          live runs: call AWS (approval steps then wait for\n"
          "                   'riposte approve' against the --db database)\n"
          "  --db FILE        keep the replay's database here (default: a scratch file,\n"
          "                   removed at the end); it must not exist yet\n"
          "  --format jsonl   one JSON object per run instead of text\n",
          out);
    rip_respond_cli_usage_common(out);
    fputs("\nexit status: 0 done; 1 some records were rejected or a run failed;\n"
          "2 usage, unreadable input or database errors.\n",
          out);
}

static void fmt_dur(int64_t ns, char *buf, size_t cap)
{
    if (ns < 0)
        snprintf(buf, cap, "-");
    else if (ns < 1000000)
        snprintf(buf, cap, "%.3f ms", (double)ns / 1e6);
    else if (ns < INT64_C(10000000000))
        snprintf(buf, cap, "%.1f ms", (double)ns / 1e6);
    else
        snprintf(buf, cap, "%" PRId64 " s", ns / 1000000000);
}

/* The params object of a step's intent, as "k=v k=v", made safe. */
static void intent_params(const char *intent, rip_buf *out)
{
    if (!intent)
        return;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, intent, strlen(intent), NULL) == 0) {
        const rip_json_node *p = rip_json_get(rip_json_root(&d), "params");
        if (p && rip_json_is(p, RIP_JSON_OBJECT))
            RIP_JSON_EACH(k, p) {
                rip_slice ks = rip_json_str(&d, k), vs = rip_json_str(&d, k + 1);
                if (out->len)
                    rip_buf_add(out, " ", 1);
                rip_text_add(out, ks.ptr, ks.len, 64, 0);
                rip_buf_add(out, "=", 1);
                rip_text_add(out, vs.ptr, vs.len, 200, 0);
            }
    }
    rip_json_doc_release(&d);
}

static void result_field(const char *result, const char *key, rip_buf *out, size_t max)
{
    if (!result)
        return;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, result, strlen(result), NULL) == 0) {
        const rip_json_node *m = rip_json_get(rip_json_root(&d), key);
        if (m && rip_json_is(m, RIP_JSON_STRING)) {
            rip_slice s = rip_json_str(&d, m);
            rip_text_add(out, s.ptr, s.len, max, 0);
        }
    }
    rip_json_doc_release(&d);
}

/* First action step's end, relative to the run's start; -1 when none. */
static int64_t containment_ns(const rip_store_run *run)
{
    for (size_t i = 0; i < run->nsteps; i++) {
        const rip_store_step_row *s = &run->steps[i];
        if (!strcmp(s->kind, "action") && !strcmp(s->state, "succeeded") && s->ended_ns)
            return s->ended_ns - run->started_ns;
    }
    return -1;
}

static void print_run_text(const rip_store_run *run, const rip_store_incident *inc)
{
    char d1[32], d2[32];
    int64_t lag = run->detected_ns && inc->row.first_seen_ns
                      ? run->detected_ns - inc->row.first_seen_ns : -1;
    fmt_dur(lag, d1, sizeof(d1));
    fmt_dur(containment_ns(run), d2, sizeof(d2));
    printf("  playbook %s (run %" PRId64 ", %s): %s\n", run->playbook, run->id,
           run->dry_run ? "dry run" : "live", run->state);
    printf("    event -> detection %s; detection -> containment %s\n", d1, d2);
    for (size_t i = 0; i < run->nsteps; i++) {
        const rip_store_step_row *s = &run->steps[i];
        rip_buf p = RIP_BUF_INIT;
        if (!strcmp(s->kind, "action"))
            intent_params(s->intent, &p);
        else
            result_field(s->result, "message", &p, 300);
        printf("    %-10s %-20s %-28s %s%s%s\n", s->state, s->step,
               s->action ? s->action : "notify", p.ptr ? p.ptr : "",
               s->decided_by ? "  [approval: " : "", s->decided_by ? "needed]" : "");
        rip_buf_release(&p);
    }
}

static void print_run_json(const rip_store_run *run, const rip_store_incident *inc)
{
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "incident");
    rip_jw_i64(&w, inc->row.id);
    rip_jw_key(&w, "title");
    rip_jw_str(&w, inc->row.title);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, inc->row.severity);
    rip_jw_key(&w, "run");
    rip_jw_i64(&w, run->id);
    rip_jw_key(&w, "playbook");
    rip_jw_str(&w, run->playbook);
    rip_jw_key(&w, "state");
    rip_jw_str(&w, run->state);
    rip_jw_key(&w, "dry_run");
    rip_jw_bool(&w, run->dry_run != 0);
    rip_jw_key(&w, "first_event_ns");
    rip_jw_i64(&w, inc->row.first_seen_ns);
    rip_jw_key(&w, "detected_ns");
    rip_jw_i64(&w, run->detected_ns);
    rip_jw_key(&w, "event_to_detection_ns");
    rip_jw_i64(&w, run->detected_ns && inc->row.first_seen_ns
                       ? run->detected_ns - inc->row.first_seen_ns : -1);
    rip_jw_key(&w, "detection_to_containment_ns");
    rip_jw_i64(&w, containment_ns(run));
    rip_respond_cli_steps_json(&w, run);
    rip_jw_key(&w, "event_ids");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < inc->nfindings; i++)
        for (size_t k = 0; k < inc->findings[i].nevents; k++)
            rip_jw_str(&w, inc->findings[i].event_ids[k]);
    rip_jw_arr_end(&w);
    rip_jw_obj_end(&w);
    if (rip_jw_finish(&w) == 0)
        printf("%s\n", b.ptr);
    rip_buf_release(&b);
}

int cmd_replay(int argc, char **argv)
{
    rip_respond_cli c;
    memset(&c, 0, sizeof(c));
    char *ingest_argv[MAX_ARGS];
    int ni = 0;
    bool apply = false, json = false;
    const char *paths[MAX_ARGS];
    size_t np = 0;
    ingest_argv[ni++] = "ingest";
    for (int i = 1; i < argc; i++) {
        int r = rip_respond_cli_option(&c, argc, argv, &i);
        if (r == RIP_EXIT_ERROR)
            return r;
        if (r)
            continue;
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--apply")) {
            apply = true;
        } else if (!strcmp(s, "--rules") || !strcmp(s, "--format")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--format")) {
                if (!strcmp(val, "jsonl"))
                    json = true;
                else if (strcmp(val, "text"))
                    return rip_cli_error("'--format' expects text or jsonl, got '%s'", val);
            } else {
                if (ni + 2 >= MAX_ARGS)
                    return rip_cli_error("too many arguments");
                ingest_argv[ni++] = "--rules";
                ingest_argv[ni++] = argv[i + 1];
            }
            i++;
        } else if (s[0] == '-' && s[1]) {
            return rip_cli_error("unknown option '%s' for 'replay'; see 'riposte replay "
                                 "--help'", s);
        } else {
            if (np == MAX_ARGS - 8)
                return rip_cli_error("too many paths");
            paths[np++] = s;
        }
    }
    if (!np)
        return rip_cli_error("'replay' needs the logs to replay: a file or folder; see "
                             "'riposte replay --help'");
    char scratch_dir[4096] = "", db_buf[4200];
    if (c.db) {
        struct stat sb;
        if (stat(c.db, &sb) == 0)
            return rip_cli_error("'--db %s' exists: replay needs a new database (remove it, "
                                 "or name another)", c.db);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(scratch_dir, sizeof(scratch_dir), "%s/riposte-replay-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(scratch_dir))
            return rip_cli_error("cannot make a scratch folder in '%s': %s",
                                 tmp && *tmp ? tmp : "/tmp", strerror(errno));
        snprintf(db_buf, sizeof(db_buf), "%s/replay.db", scratch_dir);
        c.db = db_buf;
    }
    ingest_argv[ni++] = "--db";
    ingest_argv[ni++] = (char *)c.db;
    for (size_t i = 0; i < np; i++)
        ingest_argv[ni++] = (char *)paths[i];
    ingest_argv[ni] = NULL;

    /* 1. decode, detect, correlate: exactly `riposte ingest`. Its summary
     * goes to standard error here, to keep standard output the replay's. */
    fflush(stdout);
    int saved = dup(1);
    if (json && saved >= 0)
        dup2(2, 1);
    int ingest_rc = cmd_ingest(ni, ingest_argv);
    fflush(stdout);
    if (json && saved >= 0)
        dup2(saved, 1);
    if (saved >= 0)
        close(saved);
    int exit_code = ingest_rc == RIP_EXIT_PARTIAL ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
    rip_id_list incs = { 0 }, runs = { 0 };
    if (ingest_rc >= RIP_EXIT_ERROR) {
        exit_code = ingest_rc;
        goto cleanup;
    }

    /* 2. respond. The engine's own lines would interleave with the report:
     * it stays quiet unless --verbose. */
    if (!c.verbose)
        c.quiet = true;
    if (rip_respond_cli_open(&c, true, apply)) {
        exit_code = RIP_EXIT_ERROR;
        goto cleanup;
    }
    if (rip_store_list_incidents(c.st, NULL, rip_id_list_on_incident, &incs) < 0) {
        exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
        goto cleanup;
    }
    /* Oldest incident first, as they happened. */
    for (size_t i = 0; i < incs.n / 2; i++) {
        int64_t t = incs.v[i];
        incs.v[i] = incs.v[incs.n - 1 - i];
        incs.v[incs.n - 1 - i] = t;
    }
    size_t nruns = 0, nfailed = 0;
    for (size_t i = 0; i < incs.n; i++) {
        if (rip_engine_start_matching(c.engine, incs.v[i], !apply, NULL) < 0) {
            exit_code = rip_cli_error("incident %" PRId64 ": %s", incs.v[i],
                                      rip_engine_errmsg(c.engine));
            goto cleanup;
        }
        runs.n = 0;
        rip_store_run_filter f = { .incident_id = incs.v[i], .dry_run = apply ? 0 : 1 };
        if (rip_store_list_runs(c.st, &f, rip_id_list_on_run, &runs) < 0) {
            exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
            goto cleanup;
        }
        for (size_t k = 0; k < runs.n; k++)
            if (rip_engine_advance(c.engine, runs.v[k], NULL) < 0)
                rip_cli_warn("run %" PRId64 ": %s", runs.v[k], rip_engine_errmsg(c.engine));
        rip_store_incident *inc = NULL;
        if (rip_store_incident_get(c.st, incs.v[i], &inc) < 0) {
            exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
            goto cleanup;
        }
        if (!json) {
            rip_buf t = RIP_BUF_INIT;
            rip_text_adds(&t, inc->row.title, "", 0);
            printf("%sincident %" PRId64 " [%s] %s: %zu finding%s, %s\n", i ? "\n" : "",
                   inc->row.id, inc->row.severity, t.ptr ? t.ptr : "", inc->nfindings,
                   inc->nfindings == 1 ? "" : "s",
                   runs.n ? "playbooks:" : "no playbook matches");
            rip_buf_release(&t);
        }
        for (size_t k = 0; k < runs.n; k++) {
            rip_store_run *run = NULL;
            if (rip_store_run_get(c.st, runs.v[k], &run) < 0)
                continue;
            nruns++;
            nfailed += !strcmp(run->state, "failed");
            if (json)
                print_run_json(run, inc);
            else
                print_run_text(run, inc);
            rip_store_run_free(run);
        }
        rip_store_incident_free(inc);
    }
    if (!json)
        printf("\nreplay: %zu incident%s, %zu playbook run%s (%s), %zu failed\n", incs.n,
               incs.n == 1 ? "" : "s", nruns, nruns == 1 ? "" : "s",
               apply ? "live" : "dry runs", nfailed);
    if (nfailed && exit_code == RIP_EXIT_OK)
        exit_code = RIP_EXIT_PARTIAL;
cleanup:
    rip_respond_cli_close(&c);
    free(incs.v);
    free(runs.v);
    if (scratch_dir[0]) {
        static const char *const sfx[] = { "", "-wal", "-shm", ".engine-lock" };
        for (size_t i = 0; i < 4; i++) {
            char p[4300];
            snprintf(p, sizeof(p), "%s%s", db_buf, sfx[i]);
            unlink(p);
        }
        rmdir(scratch_dir);
    }
    return exit_code;
}
