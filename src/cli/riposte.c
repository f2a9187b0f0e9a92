/* riposte.c — entry point: global options and the command table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "normalize/decode.h"
#include "util/buf.h"
#include "config.h"

static const rip_command commands[] = {
    { "events", "decode security logs into normalized events", cmd_events, cmd_events_usage },
    { "scan", "hunt through logs with Sigma rules (grep-style exit codes)", cmd_scan, cmd_scan_usage },
    { "rules", "validate, list and test Sigma rules", cmd_rules, cmd_rules_usage },
    { "ingest", "decode logs and store their events in the database (deduplicated)", cmd_ingest, cmd_ingest_usage },
    { "incident", "list, show, annotate, assign and progress incidents", cmd_incident, cmd_incident_usage },
    { "action", "list and run response actions against AWS (dry-run, idempotent)", cmd_action, cmd_action_usage },
    { "playbook", "validate, list and show response playbooks", cmd_playbook, cmd_playbook_usage },
    { "respond", "start the matching playbooks on incidents and work their runs", cmd_respond, cmd_respond_usage },
    { "runs", "list playbook runs and show a run's steps", cmd_runs, cmd_runs_usage },
    { "approve", "approve a step that waits for approval", cmd_approve, cmd_approve_usage },
    { "reject", "reject a step that waits for approval", cmd_reject, cmd_reject_usage },
    { "audit", "verify and list the hash-chained audit log", cmd_audit, cmd_audit_usage },
    { "replay", "run the whole pipeline over recorded logs: incidents, planned steps, timings", cmd_replay, cmd_replay_usage },
    { "serve", "run the daemon: events over HTTP, playbooks, Slack buttons, metrics", cmd_serve, cmd_serve_usage },
    { "investigate", "everything one access key, principal, IP or resource did, as sessions", cmd_investigate, cmd_investigate_usage },
    { "report", "an incident's post-mortem report (Markdown or one self-contained HTML file)", cmd_report, cmd_report_usage },
    { "inventory", "snapshot, list and show an account's assets and how they relate", cmd_inventory, cmd_inventory_usage },
    { "config", "check the configuration of 'riposte serve'; hash API tokens for it", cmd_config, cmd_config_usage },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int rip_cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("riposte: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return RIP_EXIT_ERROR;
}

void rip_cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("riposte: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int rip_cli_format_decode_error(rip_buf *out, const struct rip_decode_error *e)
{
    /* Records are numbered from 1 for people (JSON output counts from 0). */
    unsigned long long rec = (unsigned long long)e->index + 1;
    unsigned long long line = (unsigned long long)e->line;
    unsigned long long col = (unsigned long long)e->column;
    if (e->whole_input && e->line)
        return rip_buf_addf(out, "riposte: '%s' line %llu, column %llu: %s\n", e->path, line, col,
                            e->reason);
    if (e->whole_input)
        return rip_buf_addf(out, "riposte: '%s': %s\n", e->path, e->reason);
    if (e->line && e->column)
        return rip_buf_addf(out, "riposte: '%s' record %llu (line %llu, column %llu): %s\n",
                            e->path, rec, line, col, e->reason);
    if (e->line)
        return rip_buf_addf(out, "riposte: '%s' record %llu (line %llu): %s\n", e->path, rec,
                            line, e->reason);
    return rip_buf_addf(out, "riposte: '%s' record %llu: %s\n", e->path, rec, e->reason);
}

static void usage(FILE *out)
{
    fputs("usage: riposte [--version] [--help] <command> [<args>]\n"
          "\n"
          "riposte turns cloud security signals (CloudTrail, GuardDuty, Security Hub,\n"
          "GCP audit logs) into contained incidents.\n"
          "\n"
          "commands:\n", out);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "   %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'riposte <command> --help' explains one command.\n", out);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RIP_EXIT_ERROR;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        if (argc > 2) {
            for (size_t i = 0; i < NCOMMANDS; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    commands[i].usage(stdout);
                    return RIP_EXIT_OK;
                }
            return rip_cli_error("'%s' is not a riposte command; see 'riposte --help'", argv[2]);
        }
        usage(stdout);
        return RIP_EXIT_OK;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "version")) {
        printf("riposte %s\n", RIPOSTE_VERSION);
        return RIP_EXIT_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(commands[i].name, name))
            continue;
        for (int a = 2; a < argc; a++) {
            if (!strcmp(argv[a], "--"))
                break;
            if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
                commands[i].usage(stdout);
                return RIP_EXIT_OK;
            }
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    return rip_cli_error("'%s' is not a riposte command; see 'riposte --help'", name);
}
