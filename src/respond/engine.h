/* engine.h — the run engine: playbooks executed against incidents, exactly
 * once, surviving crashes, with approvals and the audit log
 * (docs/PLAYBOOKS.md "Running playbooks").
 *
 * A run is a row (store playbook_runs) with one row per step (run_steps);
 * both are state machines and every change of a step's state goes through
 * one function (step_change in engine.c), which writes the new state, its
 * audit entry and the incident's timeline entry in one transaction.
 *
 *   step:  pending -> waiting_approval -> pending (approved)
 *                                      -> cancelled (rejected)
 *                                      -> timed_out (no decision, on_timeout reject)
 *          pending -> skipped (when false) | cancelled (run aborted)
 *          pending -> running -> succeeded | failed | pending (retry later)
 *   run:   running <-> waiting_approval -> succeeded | failed
 *
 * Exactly once: before an action's calls the step records its intent (the
 * action, its rendered parameters and an idempotency key) and commits;
 * after them, its result. A step found `running` when the engine works a
 * run again was interrupted between the two: it is reconciled by running
 * the action again, whose first move is to read the cloud's state (every
 * action's check, cloud/actions.h) — work already done is a no-op, so
 * nothing acts twice. One engine works a database at a time (the CLI holds
 * a lock file beside it); the step changes are compare-and-set anyway.
 *
 * Notify steps write their message to the notification outbox in the
 * same transaction as the step's result (the notify layer delivers it).
 *
 * Dry runs (and runs without an AWS client) never change the cloud: with a
 * client an action runs in its dry-run mode (reads state, lists calls);
 * without one it is only planned. Approval steps of a dry run do not wait:
 * they are recorded as needing approval and planned as if approved.
 */
#ifndef RIPOSTE_RESPOND_ENGINE_H
#define RIPOSTE_RESPOND_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloud/aws-http.h"
#include "respond/playbook.h"
#include "store/store.h"

typedef struct rip_engine rip_engine;

typedef struct rip_engine_opts {
    rip_store *st;
    const rip_playbook_set *playbooks;
    rip_aws_client *client;      /* NULL: actions are planned, never called */
    const char *actor;           /* who the engine acts as; NULL: "riposte" */
    /* action safety (cloud/actions.h): */
    const char *protect_key, *protect_value;   /* NULL: the defaults */
    int max_destructive;         /* per account per hour; 0: no cap */
    const char *state_dir;       /* where that count lives; NULL: no cap */
    /* runs started by this engine make every action step wait for an
     * approval (role:responder or role:admin, 1h, then reject) unless the
     * step has its own: a route's `mode: approve` */
    bool approve_all;
    /* the clock, ns since the epoch; NULL: the wall clock */
    int64_t (*clock)(void *ud);
    void *clock_ud;
    /* one line per state change, for people; NULL: silent */
    void (*log)(void *ud, const char *line);
    void *log_ud;
} rip_engine_opts;

/* NULL when out of memory. Everything in o is borrowed. */
rip_engine *rip_engine_new(const rip_engine_opts *o);
void rip_engine_free(rip_engine *e);
/* The last error's message (store or engine), for people. */
const char *rip_engine_errmsg(const rip_engine *e);

/* Starts a run of every playbook whose trigger matches the incident and
 * that has no run (of this dry_run kind) for it yet. *started (may be
 * NULL) counts the new runs. 0, RIP_ENOTFOUND (no incident), RIP_EIO. */
int rip_engine_start_matching(rip_engine *e, int64_t incident, bool dry_run,
                              size_t *started);

/* Starts a run of playbook pb for the incident (whether or not its trigger
 * matches: an operator's choice). *run is the new or existing run;
 * *created (may be NULL) says which. */
int rip_engine_start(rip_engine *e, const rip_playbook *pb, int64_t incident, bool dry_run,
                     int64_t *run, int *created);

/* Works run until it ends or waits (for an approval, a retry's backoff):
 * reconciles interrupted steps, times out approvals, runs every step that
 * can run. *wake_ns (may be NULL) is lowered to when it next has work
 * without a decision (a backoff or an approval deadline), left alone when
 * none. 0, or RIP_ENOTFOUND, RIP_EIO, RIP_EINVAL (its playbook is not
 * loaded). */
int rip_engine_advance(rip_engine *e, int64_t run, int64_t *wake_ns);

/* rip_engine_advance() on every run that has not ended, oldest first.
 * *open (may be NULL) is how many are still open afterwards. A run that
 * fails to advance is reported through the log and the others go on; the
 * first error is returned. */
int rip_engine_advance_all(rip_engine *e, int64_t *wake_ns, size_t *open);

/* Who decides an approval: an actor name ("cli:alice", "slack:U024BE7LH")
 * and the riposte roles it holds. The role admin may approve any step;
 * otherwise the step's approval.who must list "role:R" for one of the
 * roles or the actor itself. */
typedef struct rip_engine_who {
    const char *actor;
    const char *const *roles;
    size_t nroles;
    const char *channel;         /* "cli", "slack", "api" */
} rip_engine_who;

/* Approves or rejects step of run, which must be waiting for approval,
 * then advances the run (an approved step runs now). 0; RIP_ENOTFOUND (no
 * run or step), RIP_ERANGE (the step is not waiting for approval),
 * RIP_EINVAL (who may not approve it; recorded in the audit log as a
 * refusal). The message says which. */
int rip_engine_decide(rip_engine *e, int64_t run, const char *step, const rip_engine_who *who,
                      bool approve, const char *reason);

#endif
