/* actions.h — the catalog of AWS response actions: one row and one file
 * (src/cloud/action-*.c) per action.
 *
 * A run goes: validate parameters -> check (read the current state: is it
 * already done? is the resource protected?) -> dry-run stops here and lists
 * the calls it would make -> run (the mutating calls) -> verify (read the
 * state again). A second run finds the work done and is a no-op that says
 * so. Every mutating call is recorded in the result, made or not.
 *
 * The result is one JSON object (written with rip_jw):
 *   {"action", "params", "dry_run", "status": "done" | "noop" | "dry-run" |
 *    "refused" | "failed", "message", "calls": [{"service","operation",
 *    "params"}...], "facts": {...}, "verified": bool, "undo": "name"}
 * Nothing secret is ever written into it.
 *
 * Safety, in this order: the account's allow list (an action outside it is
 * refused before any call); the protected tag on the resource (each
 * destructive action's check); the blast-radius cap on destructive runs per
 * account per hour (cloud/action-safety.h), taken once check() says there is
 * work to do — a no-op never counts, a dry run reports a refusal but takes
 * no slot.
 */
#ifndef RIPOSTE_CLOUD_ACTIONS_H
#define RIPOSTE_CLOUD_ACTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud/aws-http.h"
#include "util/buf.h"
#include "util/json.h"

#define RIP_ACTION_MAX_PARAMS 16
#define RIP_ACTION_SLOTS 8

typedef struct rip_action_param {
    const char *name;
    const char *help;
    bool required;
} rip_action_param;

typedef struct rip_action_ctx rip_action_ctx;

typedef struct rip_action {
    const char *name;            /* "iam.disable_access_key" */
    const char *description;     /* one line */
    const rip_action_param *params;   /* NULL-name terminated */
    const char *dry_run;         /* what a run would do, in words */
    bool destructive;            /* refused on protected resources */
    /* Reads the current state. Returns 1 when already done (no-op), 0 when
     * work is needed, or a negative RIP_E* with act_fail() called. May call
     * act_refuse() (protected resource). May fill ctx slots for run(). */
    int (*check)(rip_action_ctx *ctx);
    /* Makes the calls (recorded; skipped in dry-run). 0 or RIP_E*. */
    int (*run)(rip_action_ctx *ctx);
    /* Reads the state after run(). 0 when it is as intended. */
    int (*verify)(rip_action_ctx *ctx);
    const char *undo;            /* name of the action that undoes it, or NULL */
} rip_action;

struct rip_action_ctx {
    const rip_action *action;
    rip_aws_client *client;
    bool dry_run;
    const char *protect_key;     /* default "riposte:protected" */
    const char *protect_value;   /* default "true" */
    const char *keys[RIP_ACTION_MAX_PARAMS];
    const char *values[RIP_ACTION_MAX_PARAMS];
    size_t nparams;
    /* results */
    rip_buf calls;               /* JSON array body: {…},{…} */
    rip_buf facts;               /* JSON object body: "k":"v",… */
    char message[1024];
    bool refused;
    rip_aws_error last_error;
    /* safety limits (cloud/action-safety.h), set by the caller after init */
    const char *account;         /* account id acted in; NULL: sts GetCallerIdentity when needed */
    const char *const *allow;    /* allow list (glob patterns), or NULL: every action */
    size_t nallow;
    int max_destructive;         /* destructive runs per hour per account; 0: no cap */
    const char *state_dir;       /* where the hourly count lives; NULL: no cap */
    char account_buf[32];
    /* scratch shared by check/run/verify of one action */
    char slot[RIP_ACTION_SLOTS][2048];
};

/* The table, and its size. */
extern const rip_action *const rip_actions[];
extern const size_t rip_nactions;

/* Row by name, or NULL. */
const rip_action *rip_action_find(const char *name);

/* Sets up ctx for action a (params borrowed). */
void rip_action_ctx_init(rip_action_ctx *ctx, const rip_action *a, rip_aws_client *c,
                         bool dry_run);
void rip_action_ctx_release(rip_action_ctx *ctx);
/* Adds a parameter. 0, RIP_ELIMIT, RIP_EINVAL (unknown name). */
int rip_action_ctx_param(rip_action_ctx *ctx, const char *key, const char *value);

/* Runs the action and writes the result object to w. Returns 0 when the
 * status is done, noop or dry-run; RIP_EINVAL (parameters), RIP_EIO (an AWS
 * call failed or verification failed) or RIP_EINVAL for a refusal
 * (ctx->refused set: protected tag, allow list, cap) — the JSON says which
 * in every case. */
int rip_action_run(rip_action_ctx *ctx, rip_jw *w);

#endif
