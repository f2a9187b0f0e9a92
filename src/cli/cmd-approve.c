/* cmd-approve.c — `riposte approve` and `riposte reject`: a person's
 * decision on a step waiting for approval, through the same engine
 * function chat and the API use (rip_engine_decide). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/respond-cli.h"
#include "util/err.h"

#define MAX_ROLES 8

static void usage(FILE *out, bool approve)
{
    fprintf(out,
            "usage: riposte %s RUN STEP [--as NAME] [--role ROLE]...%s [options]\n"
            "\n"
            "%s step STEP of run RUN, which must be waiting for approval ('riposte runs\n"
            "show RUN'). The decision, who made it and when go into the run, the incident's\n"
            "timeline and the audit log.%s\n"
            "\n"
            "  --as NAME        who decides (default cli:$USER); a chat user is slack:U…\n"
            "  --role ROLE      a riposte role NAME holds (repeat; default admin). The step's\n"
            "                   approval.who must list role:ROLE or NAME itself; admin may\n"
            "                   decide any step. A refused decision is recorded too.\n"
            "%s",
            approve ? "approve" : "reject", approve ? "" : " --reason TEXT",
            approve ? "Approves" : "Rejects",
            approve ? " The approved step runs at once (with --apply's\n"
                      "AWS options below when the run is live)."
                    : " A rejected step is cancelled; the steps after it go on\n"
                      "and see its status 'cancelled'.",
            approve ? "" : "  --reason TEXT    why (required)\n");
    rip_respond_cli_usage_common(out);
    fputs("\nexit status: 0 decided; 1 refused (who may not decide, or the step is not\n"
          "waiting); 2 usage or database errors.\n", out);
}

void cmd_approve_usage(FILE *out)
{
    usage(out, true);
}

void cmd_reject_usage(FILE *out)
{
    usage(out, false);
}

static int decide(int argc, char **argv, bool approve)
{
    rip_respond_cli c;
    memset(&c, 0, sizeof(c));
    const char *run_arg = NULL, *step = NULL, *as = NULL, *reason = NULL;
    const char *roles[MAX_ROLES];
    size_t nroles = 0;
    for (int i = 1; i < argc; i++) {
        int r = rip_respond_cli_option(&c, argc, argv, &i);
        if (r == RIP_EXIT_ERROR)
            return r;
        if (r)
            continue;
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--as") || !strcmp(s, "--role") || !strcmp(s, "--reason")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--as"))
                as = val;
            else if (!strcmp(s, "--reason"))
                reason = val;
            else if (nroles == MAX_ROLES)
                return rip_cli_error("too many '--role' (at most %d)", MAX_ROLES);
            else
                roles[nroles++] = val;
            i++;
        } else if (s[0] == '-') {
            return rip_cli_error("unknown option '%s'; see 'riposte %s --help'", s,
                                 approve ? "approve" : "reject");
        } else if (!run_arg) {
            run_arg = s;
        } else if (!step) {
            step = s;
        } else {
            return rip_cli_error("unexpected argument '%s'", s);
        }
    }
    if (!run_arg || !step)
        return rip_cli_error("'%s' needs a run id and a step id; see 'riposte runs --open'",
                             approve ? "approve" : "reject");
    if (!approve && (!reason || !*reason))
        return rip_cli_error("'reject' needs '--reason TEXT': say why for the record");
    int64_t run;
    if (rip_respond_cli_run_id(run_arg, &run))
        return RIP_EXIT_ERROR;
    char actor[256];
    if (as) {
        snprintf(actor, sizeof(actor), "%s", as);
    } else {
        const char *u = getenv("USER");
        snprintf(actor, sizeof(actor), "cli:%s", u && *u ? u : "unknown");
    }
    if (!nroles)
        roles[nroles++] = "admin";

    /* The run decides whether AWS is needed: a live run's approved step
     * calls it now. */
    bool live = false;
    {
        rip_store *st = NULL;
        rip_store_error err;
        const char *path = rip_store_path(c.db);
        if (rip_store_open(path, NULL, &st, &err) < 0)
            return rip_cli_error("cannot open database '%s': %s", path, err.msg);
        rip_store_run *r = NULL;
        int rc = rip_store_run_get(st, run, &r);
        if (rc == 0)
            live = !r->dry_run;
        rip_store_run_free(r);
        if (rc) {
            int e = rc == RIP_ENOTFOUND ? (rip_cli_error("no run %s; see 'riposte runs'", run_arg),
                                           RIP_EXIT_PARTIAL)
                                        : rip_cli_error("%s", rip_store_errmsg(st));
            rip_store_close(st);
            return e;
        }
        rip_store_close(st);
    }
    if (rip_respond_cli_open(&c, true, live && approve)) {
        rip_respond_cli_close(&c);
        return RIP_EXIT_ERROR;
    }
    rip_engine_who who = { .actor = actor, .roles = roles, .nroles = nroles, .channel = "cli" };
    int rc = rip_engine_decide(c.engine, run, step, &who, approve, reason);
    int exit_code = RIP_EXIT_OK;
    if (rc == RIP_EINVAL || rc == RIP_ERANGE || rc == RIP_ENOTFOUND) {
        rip_cli_error("%s", rip_engine_errmsg(c.engine));
        exit_code = RIP_EXIT_PARTIAL;
    } else if (rc < 0) {
        exit_code = rip_cli_error("%s", rip_engine_errmsg(c.engine));
    } else {
        printf("run %s step %s %s by %s\n", run_arg, step, approve ? "approved" : "rejected",
               actor);
    }
    rip_respond_cli_close(&c);
    return exit_code;
}

int cmd_approve(int argc, char **argv)
{
    return decide(argc, argv, true);
}

int cmd_reject(int argc, char **argv)
{
    return decide(argc, argv, false);
}
