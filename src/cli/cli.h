/* cli.h — the command table (git.c style): one row and one file per command. */
#ifndef RIPOSTE_CLI_CLI_H
#define RIPOSTE_CLI_CLI_H

#include <stdio.h>

typedef struct rip_command {
    const char *name;
    const char *summary;          /* one line for `riposte --help` */
    int (*run)(int argc, char **argv);  /* argv[0] is the command name */
    void (*usage)(FILE *out);     /* full help for `riposte NAME --help` */
} rip_command;

/* Exit codes shared by commands (grep style where it applies). */
enum {
    RIP_EXIT_OK = 0,
    RIP_EXIT_PARTIAL = 1,   /* events: some records rejected; scan: hits */
    RIP_EXIT_ERROR = 2,     /* usage error or nothing usable */
};

/* Prints "riposte: " + message + newline to stderr; returns RIP_EXIT_ERROR. */
int rip_cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* As rip_cli_error() but returns nothing and keeps going (warnings). */
void rip_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Appends the git-style line for a rejected record (newline included):
 * "riposte: 'x.jsonl' record 3 (line 3, column 14): reason". Records are
 * numbered from 1. 0 or RIP_E*. */
struct rip_buf;
struct rip_decode_error;
int rip_cli_format_decode_error(struct rip_buf *out, const struct rip_decode_error *e);

int cmd_events(int argc, char **argv);
void cmd_events_usage(FILE *out);
/* Loads riposte's built-in rules (compiled into the binary) into rs.
 * 0, or the first RIP_E* a rule file gave (problems go to rs's diagnostics). */
struct rip_sigma_ruleset;
int rip_cli_load_builtin_rules(struct rip_sigma_ruleset *rs);

int cmd_scan(int argc, char **argv);
void cmd_scan_usage(FILE *out);
int cmd_rules(int argc, char **argv);
void cmd_rules_usage(FILE *out);

int cmd_ingest(int argc, char **argv);
void cmd_ingest_usage(FILE *out);

int cmd_action(int argc, char **argv);
void cmd_action_usage(FILE *out);

int cmd_incident(int argc, char **argv);
void cmd_incident_usage(FILE *out);

int cmd_playbook(int argc, char **argv);
void cmd_playbook_usage(FILE *out);
/* Loads riposte's built-in playbooks (compiled into the binary) into s.
 * 0, or the first RIP_E* a playbook gave (problems go to s's callback). */
struct rip_playbook_set;
int rip_cli_load_builtin_playbooks(struct rip_playbook_set *s);

int cmd_investigate(int argc, char **argv);
void cmd_investigate_usage(FILE *out);
int cmd_report(int argc, char **argv);
void cmd_report_usage(FILE *out);

int cmd_inventory(int argc, char **argv);
void cmd_inventory_usage(FILE *out);

/* The run engine's commands (cmd-respond.c, cmd-runs.c, cmd-approve.c,
 * cmd-audit.c, cmd-replay.c; shared parts in respond-cli.h). */
int cmd_respond(int argc, char **argv);
void cmd_respond_usage(FILE *out);
int cmd_runs(int argc, char **argv);
void cmd_runs_usage(FILE *out);
int cmd_approve(int argc, char **argv);
void cmd_approve_usage(FILE *out);
int cmd_reject(int argc, char **argv);
void cmd_reject_usage(FILE *out);
int cmd_audit(int argc, char **argv);
void cmd_audit_usage(FILE *out);
int cmd_replay(int argc, char **argv);
void cmd_replay_usage(FILE *out);

/* `riposte config check` and `hash-token` (cmd-config.c): the
 * configuration of `riposte serve`. */
int cmd_config(int argc, char **argv);
void cmd_config_usage(FILE *out);


int cmd_serve(int argc, char **argv);
void cmd_serve_usage(FILE *out);

#endif
