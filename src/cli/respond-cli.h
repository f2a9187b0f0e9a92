/* respond-cli.h — what the response commands share (respond, runs,
 * approve, reject, replay): the AWS and engine options, loading
 * playbooks, setting up the engine with or without an AWS client, and the
 * lock that keeps one engine per database.
 */
#ifndef RIPOSTE_CLI_RESPOND_CLI_H
#define RIPOSTE_CLI_RESPOND_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cloud/aws-creds.h"
#include "cloud/aws-http.h"
#include "respond/engine.h"
#include "respond/playbook.h"
#include "store/store.h"

#define RIP_RESPOND_MAX_PATHS 64

typedef struct rip_respond_cli {
    /* options */
    const char *db;
    const char *playbooks[RIP_RESPOND_MAX_PATHS];
    size_t nplaybooks;
    const char *profile, *region, *protect, *state_dir, *max_destr;
    bool verbose, quiet;
    /* set up by rip_respond_cli_open() */
    rip_store *st;
    rip_playbook_set *set;
    rip_aws_creds_provider prov;
    rip_aws_client client;
    bool have_client;
    char protect_buf[256];
    const char *protect_key, *protect_value;
    int max_destructive;
    char state_buf[4096];
    int lock_fd;
    rip_engine *engine;
} rip_respond_cli;

/* The help text of the shared options. */
void rip_respond_cli_usage_common(FILE *out);

/* Takes argv[*i] (and its value) when it is a shared option: 1 taken (and
 * *i moved past the value), 0 not shared, RIP_EXIT_ERROR (printed) when
 * its value is missing or bad. */
int rip_respond_cli_option(rip_respond_cli *c, int argc, char **argv, int *i);

/* Opens the database (taking the engine lock beside it when lock), loads
 * the playbooks (riposte's own when none were named), sets up an AWS
 * client when aws, and the engine. 0, or RIP_EXIT_ERROR (printed). */
int rip_respond_cli_open(rip_respond_cli *c, bool lock, bool aws);
void rip_respond_cli_close(rip_respond_cli *c);

/* Parses a run id ("3" or "#3"); 0 or RIP_EXIT_ERROR (printed). */
int rip_respond_cli_run_id(const char *arg, int64_t *id);

/* A growing list of ids (incidents, runs), and store callbacks that fill
 * one. Free v with free(). */
typedef struct rip_id_list {
    int64_t *v;
    size_t n, cap;
} rip_id_list;
/* 0 or RIP_ENOMEM. */
int rip_id_list_push(rip_id_list *l, int64_t id);
int rip_id_list_on_incident(void *ud, const rip_store_incident_row *row);
int rip_id_list_on_run(void *ud, const rip_store_run_row *row);

/* Writes "steps": [...] of run: each step's id, kind, action, state,
 * attempts, idempotency key, who decided and why, times, intent and result
 * (JSON as stored). */
struct rip_jw;
void rip_respond_cli_steps_json(struct rip_jw *w, const rip_store_run *run);

#endif
