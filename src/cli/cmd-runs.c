/* cmd-runs.c — `riposte runs`: the playbook runs in the database, and one
 * run's steps. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/respond-cli.h"
#include "cli/safe-text.h"
#include "util/err.h"
#include "util/json.h"

void cmd_runs_usage(FILE *out)
{
    fputs("usage: riposte runs [list] [--incident ID] [--open] [--format text|jsonl] [--db FILE]\n"
          "       riposte runs show RUN [--format text|json] [--db FILE]\n"
          "\n"
          "  list   one line per run: id, incident, playbook, state, steps ended, kind\n"
          "         (--open: only runs that have not ended)\n"
          "  show   a run's steps in the order they run: state, tries, who approved,\n"
          "         what the action did (its message) and the parameters it was given\n"
          "\n"
          "A run's state is running, waiting_approval, succeeded or failed; a step's is\n"
          "pending, waiting_approval, running, succeeded, failed, skipped, cancelled or\n"
          "timed_out (docs/PLAYBOOKS.md \"Running playbooks\").\n",
          out);
}

static void fmt_time(int64_t ns, char *buf, size_t cap)
{
    if (!ns) {
        snprintf(buf, cap, "-");
        return;
    }
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

typedef struct list_ctx {
    bool json;
    size_t n;
} list_ctx;

static int print_run(void *ud, const rip_store_run_row *r)
{
    list_ctx *l = ud;
    l->n++;
    if (l->json) {
        rip_buf b = RIP_BUF_INIT;
        rip_jw w;
        rip_jw_init(&w, &b);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "id");
        rip_jw_i64(&w, r->id);
        rip_jw_key(&w, "incident");
        rip_jw_i64(&w, r->incident_id);
        rip_jw_key(&w, "playbook");
        rip_jw_str(&w, r->playbook);
        rip_jw_key(&w, "state");
        rip_jw_str(&w, r->state);
        rip_jw_key(&w, "dry_run");
        rip_jw_bool(&w, r->dry_run != 0);
        rip_jw_key(&w, "steps");
        rip_jw_u64(&w, r->nsteps);
        rip_jw_key(&w, "steps_ended");
        rip_jw_u64(&w, r->nended);
        rip_jw_key(&w, "started_ns");
        rip_jw_i64(&w, r->started_ns);
        rip_jw_key(&w, "ended_ns");
        if (r->ended_ns)
            rip_jw_i64(&w, r->ended_ns);
        else
            rip_jw_null(&w);
        rip_jw_obj_end(&w);
        if (rip_jw_finish(&w) == 0)
            printf("%s\n", b.ptr);
        rip_buf_release(&b);
        return 0;
    }
    char t[32];
    fmt_time(r->started_ns, t, sizeof(t));
    if (l->n == 1)
        printf("%-5s %-8s %-30s %-17s %-6s %-5s %s\n", "RUN", "INCIDENT", "PLAYBOOK", "STATE",
               "STEPS", "KIND", "STARTED");
    char steps[24];
    snprintf(steps, sizeof(steps), "%u/%u", r->nended, r->nsteps);
    printf("%-5" PRId64 " %-8" PRId64 " %-30s %-17s %-6s %-5s %s\n", r->id, r->incident_id,
           r->playbook, r->state, steps, r->dry_run ? "dry" : "live", t);
    return 0;
}

/* The message of an action's result, for the text view. */
static void result_message(const char *result, char *out, size_t cap)
{
    out[0] = '\0';
    if (!result)
        return;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, result, strlen(result), NULL) == 0) {
        const rip_json_node *root = rip_json_root(&d);
        const rip_json_node *m = rip_json_get(root, "message");
        const rip_json_node *st = rip_json_get(root, "status");
        rip_slice ms = m ? rip_json_str(&d, m) : RIP_SLICE_NULL;
        rip_slice ss = st ? rip_json_str(&d, st) : RIP_SLICE_NULL;
        snprintf(out, cap, "%.*s%s%.*s", (int)ss.len, ss.ptr ? ss.ptr : "",
                 ss.len && ms.len ? ": " : "", (int)(ms.len > 400 ? 400 : ms.len),
                 ms.ptr ? ms.ptr : "");
    }
    rip_json_doc_release(&d);
}

static int show_run(rip_store *st, int64_t id, bool json)
{
    rip_store_run *run = NULL;
    int rc = rip_store_run_get(st, id, &run);
    if (rc == RIP_ENOTFOUND) {
        rip_cli_error("no run %" PRId64 "; see 'riposte runs'", id);
        return RIP_EXIT_PARTIAL;
    }
    if (rc)
        return rip_cli_error("%s", rip_store_errmsg(st));
    if (json) {
        rip_buf b = RIP_BUF_INIT;
        rip_jw w;
        rip_jw_init(&w, &b);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "id");
        rip_jw_i64(&w, run->id);
        rip_jw_key(&w, "incident");
        rip_jw_i64(&w, run->incident_id);
        rip_jw_key(&w, "playbook");
        rip_jw_str(&w, run->playbook);
        rip_jw_key(&w, "state");
        rip_jw_str(&w, run->state);
        rip_jw_key(&w, "dry_run");
        rip_jw_bool(&w, run->dry_run != 0);
        rip_jw_key(&w, "detected_ns");
        rip_jw_i64(&w, run->detected_ns);
        rip_jw_key(&w, "started_ns");
        rip_jw_i64(&w, run->started_ns);
        rip_jw_key(&w, "ended_ns");
        rip_jw_i64(&w, run->ended_ns);
        rip_jw_key(&w, "context");
        rip_jw_raw(&w, run->context, strlen(run->context));
        rip_respond_cli_steps_json(&w, run);
        rip_jw_obj_end(&w);
        if (rip_jw_finish(&w) == 0)
            printf("%s\n", b.ptr);
        rip_buf_release(&b);
        rip_store_run_free(run);
        return RIP_EXIT_OK;
    }
    char t1[32], t2[32];
    fmt_time(run->started_ns, t1, sizeof(t1));
    fmt_time(run->ended_ns, t2, sizeof(t2));
    printf("run %" PRId64 ": playbook %s on incident %" PRId64 " (%s)\n", run->id, run->playbook,
           run->incident_id, run->dry_run ? "dry run" : "live");
    printf("state: %s   started %s   ended %s\n\n", run->state, t1, t2);
    for (size_t i = 0; i < run->nsteps; i++) {
        const rip_store_step_row *s = &run->steps[i];
        char msg[600];
        result_message(s->result, msg, sizeof(msg));
        rip_buf safe = RIP_BUF_INIT;
        rip_text_add(&safe, msg, strlen(msg), 0, 0);
        printf("  %-20s %-17s %-28s tries %u%s%s%s%s\n", s->step, s->state,
               s->action ? s->action : "(notify)", s->attempts,
               s->decided_by ? "  decided by " : "", s->decided_by ? s->decided_by : "",
               s->reason ? "  reason: " : "", s->reason ? s->reason : "");
        if (safe.len)
            printf("  %-20s %s\n", "", safe.ptr);
        rip_buf_release(&safe);
    }
    rip_store_run_free(run);
    return RIP_EXIT_OK;
}

int cmd_runs(int argc, char **argv)
{
    const char *db = NULL, *format = NULL, *run_arg = NULL;
    int64_t incident = 0;
    bool open_only = false, show = false;
    int i = 1;
    if (i < argc && !strcmp(argv[i], "list"))
        i++;
    else if (i < argc && !strcmp(argv[i], "show")) {
        show = true;
        i++;
    }
    for (; i < argc; i++) {
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--open")) {
            open_only = true;
        } else if (!strcmp(s, "--db") || !strcmp(s, "--format") || !strcmp(s, "--incident")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--db"))
                db = val;
            else if (!strcmp(s, "--format"))
                format = val;
            else {
                char *end;
                long long v = strtoll(val[0] == '#' ? val + 1 : val, &end, 10);
                if (*end || v <= 0)
                    return rip_cli_error("'--incident' expects an incident id, got '%s'", val);
                incident = v;
            }
            i++;
        } else if (s[0] == '-') {
            return rip_cli_error("unknown option '%s' for 'runs'; see 'riposte runs --help'", s);
        } else if (show && !run_arg) {
            run_arg = s;
        } else {
            return rip_cli_error("unexpected argument '%s'; see 'riposte runs --help'", s);
        }
    }
    bool json = false;
    if (format) {
        if (!strcmp(format, "jsonl") || !strcmp(format, "json"))
            json = true;
        else if (strcmp(format, "text"))
            return rip_cli_error("'--format' expects text or %s, got '%s'",
                                 show ? "json" : "jsonl", format);
    }
    int64_t id = 0;
    if (show && !run_arg)
        return rip_cli_error("'runs show' needs a run id; see 'riposte runs'");
    if (show && rip_respond_cli_run_id(run_arg, &id))
        return RIP_EXIT_ERROR;
    rip_store *st = NULL;
    rip_store_error err;
    const char *path = rip_store_path(db);
    if (rip_store_open(path, NULL, &st, &err) < 0)
        return rip_cli_error("cannot open database '%s': %s", path, err.msg);
    int rc;
    if (show) {
        rc = show_run(st, id, json);
    } else {
        list_ctx l = { json, 0 };
        rip_store_run_filter f = { .incident_id = incident, .open_only = open_only,
                                   .dry_run = -1 };
        rc = rip_store_list_runs(st, &f, print_run, &l) < 0
                 ? rip_cli_error("%s", rip_store_errmsg(st)) : RIP_EXIT_OK;
        if (!rc && !l.n && !json)
            printf("no runs%s; 'riposte respond' starts them\n", open_only ? " open" : "");
    }
    rip_store_close(st);
    return rc;
}
