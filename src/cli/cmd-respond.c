/* cmd-respond.c — `riposte respond`: start the playbooks whose triggers
 * match the stored incidents and work every open run until it ends or
 * waits for a person (respond/engine.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/respond-cli.h"
#include "util/err.h"

#define MAX_INCIDENTS 256

void cmd_respond_usage(FILE *out)
{
    fputs("usage: riposte respond [--apply] [--incident ID]... [--max-wait SECONDS]\n"
          "                       [options]\n"
          "\n"
          "Matches every open incident in the database against the playbooks, starts a run\n"
          "of each playbook that matches and has none yet, then works every open run: steps\n"
          "run in the order of their needs, approvals are waited for (riposte approve /\n"
          "reject), failed steps are retried with backoff, and everything is recorded in the\n"
          "incident's timeline and the hash-chained audit log (riposte audit verify).\n"
          "\n"
          "Without --apply the runs are dry runs: each step is planned with its parameters\n"
          "filled in and nothing in the cloud is read or changed. With --apply actions are\n"
          "called in AWS. A run killed at any moment is picked up by the next 'respond':\n"
          "a step interrupted during its calls reads the cloud's state first, so no step\n"
          "acts twice.\n"
          "\n"
          "options:\n"
          "  --apply          act: live runs that call AWS (default: dry runs, no AWS)\n"
          "  --incident ID    only this incident (repeat); default: every open incident\n"
          "  --max-wait S     wait up to S seconds for retries whose backoff is due\n"
          "                   (default 60; 0: do not wait, the next 'respond' goes on)\n",
          out);
    rip_respond_cli_usage_common(out);
    fputs("\n"
          "Only one engine works a database at a time: a second 'respond' waits for the\n"
          "first (a lock file beside the database).\n"
          "\n"
          "examples:\n"
          "  riposte respond --db riposte.db                  # what would the playbooks do?\n"
          "  riposte respond --db riposte.db --apply --incident 12\n"
          "\n"
          "exit status: 0 every run ended well or waits for approval; 1 a run failed;\n"
          "2 usage, database or playbook errors.\n",
          out);
}

typedef struct tally {
    size_t succeeded, failed, waiting, running;
} tally;

static int on_run(void *ud, const rip_store_run_row *row)
{
    tally *t = ud;
    if (!strcmp(row->state, "succeeded"))
        t->succeeded++;
    else if (!strcmp(row->state, "failed"))
        t->failed++;
    else if (!strcmp(row->state, "waiting_approval"))
        t->waiting++;
    else
        t->running++;
    return 0;
}

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cmd_respond(int argc, char **argv)
{
    rip_respond_cli c;
    memset(&c, 0, sizeof(c));
    bool apply = false;
    long max_wait = 60;
    rip_id_list only = { 0 }, all = { 0 };
    for (int i = 1; i < argc; i++) {
        int r = rip_respond_cli_option(&c, argc, argv, &i);
        if (r == RIP_EXIT_ERROR) {
            free(only.v);
            return r;
        }
        if (r)
            continue;
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--apply")) {
            apply = true;
        } else if (!strcmp(s, "--incident") || !strcmp(s, "--max-wait")) {
            if (!val) {
                free(only.v);
                return rip_cli_error("'%s' needs a value", s);
            }
            char *end;
            long long v = strtoll(val[0] == '#' ? val + 1 : val, &end, 10);
            if (*end || v < 0 || (!strcmp(s, "--incident") && v == 0)) {
                free(only.v);
                return rip_cli_error("'%s' expects a number, got '%s'", s, val);
            }
            if (!strcmp(s, "--incident")) {
                if (only.n == MAX_INCIDENTS) {
                    free(only.v);
                    return rip_cli_error("too many '--incident' (at most %d)", MAX_INCIDENTS);
                }
                if (rip_id_list_push(&only, (int64_t)v)) {
                    free(only.v);
                    return rip_cli_error("out of memory");
                }
            } else {
                max_wait = v > 86400 ? 86400 : (long)v;
            }
            i++;
        } else {
            free(only.v);
            return rip_cli_error("unknown option '%s' for 'respond'; see 'riposte respond "
                                 "--help'", s);
        }
    }
    if (rip_respond_cli_open(&c, true, apply)) {
        rip_respond_cli_close(&c);
        free(only.v);
        return RIP_EXIT_ERROR;
    }
    int exit_code = RIP_EXIT_OK;
    rip_id_list *incs = &only;
    if (!only.n) {
        rip_store_incident_filter f = { .status = "open" };
        if (rip_store_list_incidents(c.st, &f, rip_id_list_on_incident, &all) < 0) {
            exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
            goto out;
        }
        f.status = "acknowledged";
        if (rip_store_list_incidents(c.st, &f, rip_id_list_on_incident, &all) < 0) {
            exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
            goto out;
        }
        incs = &all;
    }
    size_t started = 0;
    for (size_t i = 0; i < incs->n; i++) {
        size_t n = 0;
        int src = rip_engine_start_matching(c.engine, incs->v[i], !apply, &n);
        if (src == RIP_ENOTFOUND) {
            exit_code = rip_cli_error("no incident %lld; see 'riposte incident list'",
                                      (long long)incs->v[i]);
            goto out;
        }
        if (src < 0) {
            exit_code = rip_cli_error("incident %lld: %s", (long long)incs->v[i],
                                      rip_engine_errmsg(c.engine));
            goto out;
        }
        started += n;
    }
    int64_t deadline = wall_ns() + (int64_t)max_wait * 1000000000;
    for (;;) {
        int64_t wake = 0;
        size_t open = 0;
        if (rip_engine_advance_all(c.engine, &wake, &open) < 0)
            exit_code = RIP_EXIT_PARTIAL;
        int64_t now = wall_ns();
        if (!open || !wake || wake > deadline)
            break;
        if (wake > now) {
            int64_t d = wake - now;
            struct timespec ts = { (time_t)(d / 1000000000), (long)(d % 1000000000) };
            nanosleep(&ts, NULL);
        }
    }
    tally t = { 0 };
    rip_store_run_filter rf = { .dry_run = apply ? 0 : 1 };
    if (rip_store_list_runs(c.st, &rf, on_run, &t) < 0) {
        exit_code = rip_cli_error("%s", rip_store_errmsg(c.st));
        goto out;
    }
    printf("%s: %zu run%s started; %zu succeeded, %zu failed, %zu waiting for approval, %zu "
           "in progress\n", apply ? "respond" : "respond (dry run)", started,
           started == 1 ? "" : "s", t.succeeded, t.failed, t.waiting, t.running);
    if (t.failed && exit_code == RIP_EXIT_OK)
        exit_code = RIP_EXIT_PARTIAL;
out:
    rip_respond_cli_close(&c);
    free(only.v);
    free(all.v);
    return exit_code;
}
