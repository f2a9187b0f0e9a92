/* store.h — riposte's memory: one SQL schema behind this interface, with an
 * SQLite back end (store-sqlite.c, WAL) now and room for PostgreSQL later.
 * The schema is documented table by table in docs/SCHEMA.md.
 *
 * Invariants
 *   - Callers never write SQL. Every read and write the rest of riposte
 *     needs is a function here; the back end owns its SQL and its schema
 *     migrations, which are applied on open (versioned, each in its own
 *     transaction, recorded in the schema_migrations table).
 *   - Writes of events are group-committed by one writer thread per store:
 *     rip_store_put_event() copies what it needs out of the borrowed event
 *     into the open batch and returns the event's sequence number at once.
 *     A batch closes when it holds batch_events events (or batch_bytes
 *     bytes) or batch_ms milliseconds after its first event, whichever
 *     comes first, and is written in one transaction. An event is durable
 *     once rip_store_durable_seq() >= its sequence number; the on_durable
 *     callback reports the same, after every commit. Nothing is reported
 *     durable before its transaction has committed.
 *   - Durability (docs/SCHEMA.md "Durability"): in the default mode a
 *     committed batch survives the process being killed at any moment; with
 *     sync_full it also survives the machine losing power.
 *   - Events are deduplicated by (cloud, provider event id): putting an event
 *     that is already stored changes nothing, and it is counted as a
 *     duplicate. A record without a provider id is keyed by the SHA-256 of
 *     its original text ("sha256:<hex>"), so re-ingesting it also stores
 *     nothing new.
 *   - Sequence numbers start at 1 for each opened store and count every put
 *     (duplicates included); they are not event ids.
 *   - Thread use: rip_store_put_event(), rip_store_flush() and
 *     rip_store_durable_seq() may be called from any number of threads.
 *     Queries and the other functions use the store's own read connection:
 *     one thread at a time.
 *   - Nothing here prints. A failure returns a RIP_E* code and leaves a
 *     description in rip_store_errmsg().
 */
#ifndef RIPOSTE_STORE_STORE_H
#define RIPOSTE_STORE_STORE_H

#include <stdint.h>

#include "normalize/event.h"
#include "util/slice.h"

typedef struct rip_store rip_store;

/* Called from the writer thread after each commit, with the highest
 * sequence number that is now durable. Must not call back into the store's
 * write functions (rip_store_flush() would deadlock). Keep it short: the
 * next batch waits for it. */
typedef void (*rip_store_durable_fn)(void *ud, uint64_t durable_seq);

typedef struct rip_store_options {
    unsigned batch_events;     /* events per batch at most (default 131072) */
    unsigned batch_ms;         /* a batch closes this long after its first
                                  event (default 5 ms) */
    size_t batch_bytes;        /* bytes per batch at most (default 256 MiB) */
    unsigned busy_timeout_ms;  /* wait for another writer (default 10000) */
    unsigned cache_mib;        /* the writer's page cache (default 512); the
                                  caller's connection uses at most 128 */
    int sync_full;             /* 1: fsync on every commit (power-loss safe) */
    int read_only;             /* 1: no writes, no migrations; the schema must
                                  be current */
    int background_checkpoint; /* 1: a thread of the store's own copies the
                                  WAL into the database (PASSIVE checkpoints,
                                  their fsyncs included) once it passes
                                  16 MiB, so the caller's commits never wait
                                  for one and the writer's only when the WAL
                                  reaches 1 GiB (under steady writes the WAL
                                  cannot restart before; see docs/SCHEMA.md);
                                  for a daemon, whose commits are on the way
                                  from an alert to its containment. 0:
                                  commits checkpoint as they go (SQLite's
                                  default) */
    rip_store_durable_fn on_durable;  /* may be NULL */
    void *ud;
} rip_store_options;

/* The defaults above. */
void rip_store_options_init(rip_store_options *o);

/* The database a command uses: flag when non-NULL, else $RIPOSTE_DB when set
 * and not empty, else "riposte.db" (in the current directory). The result
 * is flag, the environment's string, or a static string: not owned. */
const char *rip_store_path(const char *flag);

/* Description of a failure to open (no store exists to hold it). */
typedef struct rip_store_error {
    char msg[256];             /* "unable to open database file", ... */
} rip_store_error;

/* Opens (creating it if needed, unless read_only) the database at path,
 * applies the pending schema migrations and sets WAL mode. opt NULL means
 * the defaults. Returns 0 and sets *out (free it with rip_store_close()),
 * or RIP_EIO (cannot open, locked, disk error), RIP_EFORMAT (not a
 * database, or its schema is newer than this riposte), RIP_ENOMEM; err,
 * when non-NULL, then says why. */
int rip_store_open(const char *path, const rip_store_options *opt,
                   rip_store **out, rip_store_error *err);

/* Flushes what is pending, stops the writer and closes. Returns 0 or the
 * first write error (whose events were never reported durable). Accepts
 * NULL. The store is freed in every case. */
int rip_store_close(rip_store *st);

/* The last failure's description ("" when none). Valid until the next call
 * on the store; owned by it. */
const char *rip_store_errmsg(rip_store *st);

/* The schema version in the database (the last applied migration). */
int rip_store_schema_version(rip_store *st, int *version);
/* The newest schema version this riposte knows. */
int rip_store_schema_latest(void);

/* ---- writing events (group commit) ---- */

/* Copies ev into the open batch; ev may be freed as soon as this returns.
 * Blocks while the open batch is full and the previous one is still being
 * written (back pressure: at most two batches exist). Returns 0 and sets *seq (when non-NULL) to the event's
 * sequence number, or the writer's sticky error (RIP_EIO, RIP_ELIMIT for a
 * full disk, RIP_ENOMEM), or RIP_EINVAL on a read-only store. */
int rip_store_put_event(rip_store *st, const rip_event *ev, uint64_t *seq);

/* Highest sequence number whose batch has committed (0: none yet). */
uint64_t rip_store_durable_seq(rip_store *st);

/* Closes the open batch now and waits until every event put before the
 * call is durable and on_durable has been told so. Returns 0 or the
 * writer's sticky error. */
int rip_store_flush(rip_store *st);

typedef struct rip_store_stats {
    uint64_t put;              /* events accepted by rip_store_put_event() */
    uint64_t durable;          /* of them, committed (stored + duplicates) */
    uint64_t stored;           /* new rows in events */
    uint64_t duplicates;       /* already stored: nothing written */
    uint64_t batches;          /* transactions committed */
    uint64_t checkpoints;      /* background checkpoint runs that succeeded
                                  (whole or partial; background_checkpoint) */
    uint64_t checkpoint_errors;  /* …and that failed (retried at the next wake-up) */
} rip_store_stats;

/* A snapshot of the counters; call rip_store_flush() first for final ones. */
void rip_store_get_stats(rip_store *st, rip_store_stats *out);

/* ---- reading events: the forensic questions ---- */

typedef enum rip_store_key {
    RIP_STORE_BY_ACCESS_KEY = 1,  /* events.access_key = value */
    RIP_STORE_BY_PRINCIPAL,       /* events.actor_arn = value or
                                     events.session_issuer = value (a role
                                     ARN finds every session of the role) */
    RIP_STORE_BY_SOURCE_IP,       /* events.source_ip = value */
    RIP_STORE_BY_RESOURCE,        /* an event_resources row with resource_id
                                     = value or arn = value */
} rip_store_key;

/* "access_key", "principal", "source_ip", "resource"; "?" otherwise. */
const char *rip_store_key_name(rip_store_key k);

typedef struct rip_store_query {
    rip_store_key by;
    const char *value;         /* borrowed for the call */
    int64_t since_ns;          /* time_ns >= since_ns; 0: no lower bound */
    int64_t until_ns;          /* time_ns < until_ns; 0: no upper bound */
    uint64_t limit;            /* at most this many rows; 0: all */
    int with_raw;              /* 1: fill row.raw with the original record */
    int newest_first;          /* 1: newest first (time_ns, then id, both
                                  descending): with limit, the most recent
                                  page of a busy entity */
    int64_t after_id;          /* paging: when not 0, only rows that come
                                  after the row (after_time_ns, after_id) in
                                  this query's order, i.e. the next page */
    int64_t after_time_ns;
} rip_store_query;

/* One stored event as the callback sees it. Every slice is borrowed from
 * the back end and valid only during the callback; absent values are
 * RIP_SLICE_NULL. Tri-states: -1 unknown, 0 false, 1 true. */
typedef struct rip_store_event_row {
    int64_t id;                /* events.id */
    int64_t time_ns;           /* 0 when the record carried no time */
    rip_slice cloud, kind, format, provider_id, account, region;
    rip_slice actor_type, actor_arn, principal_id, user_name, access_key,
        session_issuer;
    int mfa;
    rip_slice service, action;
    int read_only;
    rip_slice error_code, error_message, source_ip, user_agent, detail_type;
    rip_slice raw;             /* with_raw only */
} rip_store_event_row;

/* Return a negative value to stop; it is returned by the query. */
typedef int (*rip_store_row_fn)(void *ud, const rip_store_event_row *row);

/* Calls fn for every event matching q, oldest first (time_ns, then id), or
 * newest first with q->newest_first. Rows without a time sort as time 0. To
 * page, pass the last row's time_ns and id as after_time_ns and after_id.
 * With a limit the cost follows the limit, not how busy the entity is: each
 * key's index is read in order and stops after limit rows. Sees every
 * committed batch, not the open one. Returns 0, RIP_EINVAL (no key or
 * value), RIP_EIO, or what fn returned to stop. */
int rip_store_query_events(rip_store *st, const rip_store_query *q,
                           rip_store_row_fn fn, void *ud);

/* Number of rows in events (for summaries and tests). */
int rip_store_count_events(rip_store *st, uint64_t *count);

/* ---- findings and incidents (store-incidents.c) ----
 *
 * What detection found and how src/correlate folded it into incidents
 * (docs/SCHEMA.md "findings" to "incident_timeline", "finding_events").
 * These calls use the store's own connection, like the queries: one thread
 * at a time. Each is atomic on its own; rip_store_begin() and
 * rip_store_commit() group several into one transaction (the correlator
 * writes a finding and everything it changes in an incident in one).
 *
 * Names, never numbers, are stored. The store keeps what it is given; the
 * correlate layer (correlate/incident.h) checks the names:
 *   severity  informational, low, medium, high, critical
 *   status    open, acknowledged, resolved, false_positive, merged
 *             An incident whose status is resolved, false_positive or merged
 *             is closed: rip_store_incidents_with_entity() never returns it,
 *             so it takes no new findings.
 *   phase     detected, contained, eradicated, recovered, closed (NIST)
 *   entity    access_key, principal, role, instance, bucket,
 *             security_group, source_ip
 *   timeline  finding_added, status_change, note, assigned, merged,
 *             action_planned, action_taken, action_failed,
 *             approval_requested, approval_decided, notification,
 *             escalated, run_finished (the last eight from playbook runs),
 *             notification_failed (from delivery)
 * Strings handed in are borrowed for the call. Strings handed out in a
 * callback row are valid during the callback only.
 */

/* A transaction on the store's own connection around the calls below.
 * They do not nest. 0, RIP_EIO (another writer held the database past
 * the busy timeout). rip_store_rollback() undoes everything since begin and
 * accepts a store with no transaction open. */
int rip_store_begin(rip_store *st);
int rip_store_commit(rip_store *st);
void rip_store_rollback(rip_store *st);

/* A finding to store. Required: key, source, title, severity, time_ns. */
typedef struct rip_store_finding {
    const char *key;           /* unique dedup key (findings.finding_key),
                                  e.g. "sigma:<rule id>:<provider event id>" */
    const char *source;        /* sigma, correlation, guardduty, securityhub */
    const char *rule_id;       /* rule id, finding type; NULL: none */
    const char *title;
    const char *severity;      /* a severity name */
    double severity_score;     /* 0..10; negative: none */
    int64_t time_ns;           /* when its activity happened */
    const char *account, *region;  /* NULL: unknown */
    const char *explanation;   /* plain language; NULL: none */
    const char *detail;        /* JSON text; NULL: none */
    const char *cloud;         /* cloud of the member events ("aws") */
    const char *const *event_ids;  /* provider ids of the member events */
    size_t nevents;
} rip_store_finding;

/* Stores f unless a finding with f->key exists. Its member events are
 * linked (finding_events) by (cloud, provider id); a member that is not in
 * events yet is left out, so put findings after rip_store_flush() made
 * their events durable. findings.event_id is the first member found.
 * Returns 0 and sets *id to the finding's id (new or existing) and
 * *created to 1 when it is new, 0 when it existed (nothing changed); or
 * RIP_EINVAL (a required field missing), RIP_EIO, RIP_ENOMEM. */
int rip_store_put_finding(rip_store *st, const rip_store_finding *f,
                          int64_t *id, int *created);

/* Number of rows in findings. */
int rip_store_count_findings(rip_store *st, uint64_t *count);

/* A new incident. Required: title, severity. */
typedef struct rip_store_incident_new {
    const char *title;
    const char *severity;
    const char *status;        /* NULL: "open" */
    const char *phase;         /* NULL: "detected" */
    const char *owner;         /* NULL: unassigned */
    int64_t first_seen_ns, last_seen_ns;
    int64_t now_ns;            /* created_ns and updated_ns; 0: the clock */
} rip_store_incident_new;

/* Creates an incident with no entities, findings or timeline yet. Returns
 * 0 and sets *id, or RIP_EINVAL, RIP_EIO. */
int rip_store_incident_create(rip_store *st, const rip_store_incident_new *n,
                              int64_t *id);

/* Changes to an incident: NULL strings and 0 numbers are left as they are. */
typedef struct rip_store_incident_set {
    const char *title, *severity, *status, *phase, *owner;
    int64_t first_seen_ns, last_seen_ns;
    int64_t merged_into;       /* the incident this one was merged into */
    int64_t now_ns;            /* updated_ns; 0: the clock */
} rip_store_incident_set;

/* Applies s to incident id and sets updated_ns. Records nothing in the
 * timeline (the caller appends what happened). 0, RIP_ENOTFOUND, RIP_EIO. */
int rip_store_incident_update(rip_store *st, int64_t id,
                              const rip_store_incident_set *s);

/* Adds entity (type, value) seen at time_ns to an incident, or widens the
 * entity's first/last seen when it is there already. 0, RIP_EINVAL, RIP_EIO. */
int rip_store_incident_add_entity(rip_store *st, int64_t incident,
                                  const char *type, const char *value,
                                  int64_t time_ns);

/* Makes finding a member of incident (added_ns = now_ns, 0: the clock).
 * Idempotent: 0 whether or not it was a member already. 0, RIP_EIO. */
int rip_store_incident_add_finding(rip_store *st, int64_t incident,
                                   int64_t finding, int64_t now_ns);

/* One timeline entry. Required: kind, text. */
typedef struct rip_store_timeline_entry {
    int64_t time_ns;           /* 0: the clock */
    const char *kind;          /* a timeline kind name */
    const char *actor;         /* who: a user, "riposte", a playbook run */
    const char *text;          /* readable */
    const char *detail;        /* JSON text; NULL: none */
} rip_store_timeline_entry;

/* Appends e to incident's timeline; entries are never changed or removed
 * (the database refuses UPDATE and DELETE on the table). Sets *entry_id
 * when non-NULL. 0, RIP_EINVAL, RIP_ENOTFOUND (no such incident), RIP_EIO. */
int rip_store_timeline_append(rip_store *st, int64_t incident,
                              const rip_store_timeline_entry *e,
                              int64_t *entry_id);

/* The open incidents (status not resolved, false_positive or merged) that
 * hold entity (type, value) and whose activity [first_seen, last_seen]
 * overlaps [from_ns, until_ns]: lowest id first, at most max of them in
 * ids. *n is how many were written. 0, RIP_EIO. */
int rip_store_incidents_with_entity(rip_store *st, const char *type,
                                    const char *value, int64_t from_ns,
                                    int64_t until_ns, int64_t *ids,
                                    size_t max, size_t *n);

/* An incident's own columns and its size. */
typedef struct rip_store_incident_row {
    int64_t id;
    const char *title, *severity, *status, *phase;
    const char *owner;         /* NULL: unassigned */
    int64_t first_seen_ns, last_seen_ns, created_ns, updated_ns;
    int64_t merged_into;       /* 0: not merged */
    uint64_t nfindings, nentities;
} rip_store_incident_row;

typedef struct rip_store_incident_filter {
    int64_t id;                /* only this incident; 0: every incident */
    const char *status;        /* only this status; NULL: every status */
    uint64_t limit;            /* at most this many; 0: all */
} rip_store_incident_filter;

/* Return a negative value to stop; it is returned by the list. */
typedef int (*rip_store_incident_fn)(void *ud, const rip_store_incident_row *row);

/* Calls fn for every incident matching f (NULL: all), newest activity
 * first (last_seen_ns descending, then id descending). Strings in row are
 * valid during the callback only. 0, RIP_EIO, or what fn returned. */
int rip_store_list_incidents(rip_store *st, const rip_store_incident_filter *f,
                             rip_store_incident_fn fn, void *ud);

typedef struct rip_store_entity {
    const char *type, *value;
    int64_t first_seen_ns, last_seen_ns;
} rip_store_entity;

typedef struct rip_store_finding_row {
    int64_t id;
    const char *key, *source, *rule_id, *title, *severity;
    double severity_score;     /* negative: none */
    int64_t time_ns;
    const char *account, *region, *explanation, *detail;  /* NULL: none */
    int64_t added_ns;          /* when it joined the incident */
    const char *cloud;         /* of its member events; NULL: none stored */
    const char *const *event_ids;  /* provider ids of its member events, */
    const int64_t *event_rowids;   /* and their events.id, oldest first */
    size_t nevents;
} rip_store_finding_row;

typedef struct rip_store_timeline_row {
    int64_t id, time_ns;
    const char *kind, *actor, *text, *detail;  /* actor, detail NULL: none */
} rip_store_timeline_row;

/* One incident with everything it holds, loaded at once. Entities sorted by
 * type then value; findings by time (then id); timeline in order of entry.
 * Everything lives in one arena owned by the struct. */
typedef struct rip_store_incident {
    rip_store_incident_row row;
    rip_store_entity *entities;
    size_t nentities;
    rip_store_finding_row *findings;
    size_t nfindings;
    rip_store_timeline_row *timeline;
    size_t ntimeline;
    struct rip_arena *arena;   /* private */
} rip_store_incident;

/* Loads incident id. Returns 0 and sets *out (free it with
 * rip_store_incident_free()), RIP_ENOTFOUND, RIP_EIO, RIP_ENOMEM. */
int rip_store_incident_get(rip_store *st, int64_t id, rip_store_incident **out);
/* Frees what rip_store_incident_get() returned. Accepts NULL. */
void rip_store_incident_free(rip_store_incident *inc);

/* Calls fn for every event that is a member of one of incident's findings,
 * once each, oldest first (time_ns, then id), as rip_store_query_events()
 * does (with_raw fills row.raw). 0, RIP_EIO, or what fn returned. */
int rip_store_incident_events(rip_store *st, int64_t incident, int with_raw,
                              rip_store_row_fn fn, void *ud);

/* ---- playbook runs, their steps, notifications (store-runs.c) ----
 *
 * What the run engine (respond/engine.h) keeps (docs/SCHEMA.md
 * "playbook_runs", "run_steps", "notifications"). The store keeps the
 * names it is given; the engine checks them:
 *   run state   running, waiting_approval, succeeded, failed, cancelled
 *   step state  pending, waiting_approval, running, succeeded, failed,
 *               skipped, cancelled, timed_out
 * Like the incident calls these use the caller-side connection; the engine
 * groups a state change and its audit entry with rip_store_begin/commit. */

typedef struct rip_store_step_new {
    const char *step;          /* the playbook's step id */
    const char *kind;          /* "action" or "notify" */
    const char *action;        /* catalog name; NULL for notify */
    const char *idempotency_key;
} rip_store_step_new;

typedef struct rip_store_run_new {
    int64_t incident_id;
    const char *playbook;
    int dry_run;
    const char *state;         /* the run's first state */
    const char *context;       /* JSON text: the incident as the templates see it */
    int64_t detected_ns;       /* when what triggered it was detected; 0: unknown */
    const rip_store_step_new *steps;   /* in the order they are listed */
    size_t nsteps;             /* every step starts pending */
    int64_t now_ns;            /* 0: the clock */
} rip_store_run_new;

/* Creates the run and its steps unless a run of (incident, playbook,
 * dry_run) exists. 0 and *id (the new or existing run), *created 1 when
 * new; RIP_EINVAL, RIP_EIO. */
int rip_store_run_create(rip_store *st, const rip_store_run_new *n, int64_t *id,
                         int *created);

typedef struct rip_store_step_row {
    const char *step, *kind, *action, *state;  /* action NULL for notify */
    int position;
    uint32_t attempts;
    const char *idempotency_key;
    const char *intent, *result;  /* JSON text or NULL */
    int64_t not_before_ns, deadline_ns;  /* 0: none */
    int approved;              /* an approval was granted */
    const char *decided_by, *reason;     /* NULL: none */
    int64_t decided_ns, started_ns, ended_ns, updated_ns;
} rip_store_step_row;

typedef struct rip_store_run {
    int64_t id, incident_id;
    const char *playbook, *state, *context;
    int dry_run;
    int64_t detected_ns, started_ns, updated_ns, ended_ns;  /* 0: not yet */
    rip_store_step_row *steps;  /* by position */
    size_t nsteps;
    struct rip_arena *arena;    /* private */
} rip_store_run;

/* Loads run id and its steps. 0 and *out (rip_store_run_free()),
 * RIP_ENOTFOUND, RIP_EIO, RIP_ENOMEM. */
int rip_store_run_get(rip_store *st, int64_t id, rip_store_run **out);
void rip_store_run_free(rip_store_run *run);

/* Sets a run's state (and ended_ns when not 0). 0, RIP_ENOTFOUND, RIP_EIO. */
int rip_store_run_set_state(rip_store *st, int64_t id, const char *state,
                            int64_t ended_ns, int64_t now_ns);

/* Changes to one step. state is required; the others are left alone when
 * NULL / negative. expect (when not NULL) makes it a compare-and-set: the
 * step must be in that state, else RIP_ERANGE and nothing changes. */
typedef struct rip_store_step_set {
    const char *state;
    const char *expect;
    int64_t attempts;          /* < 0: keep */
    const char *intent, *result;
    int64_t not_before_ns, deadline_ns, started_ns, ended_ns;  /* < 0: keep */
    int approved;              /* < 0: keep */
    const char *decided_by, *reason;
    int64_t decided_ns;        /* < 0: keep */
    int64_t now_ns;            /* updated_ns; 0: the clock */
} rip_store_step_set;

/* A set with everything kept: fill in what changes. */
void rip_store_step_set_init(rip_store_step_set *s, const char *state);
int rip_store_step_update(rip_store *st, int64_t run, const char *step,
                          const rip_store_step_set *s);

typedef struct rip_store_run_row {
    int64_t id, incident_id;
    const char *playbook, *state;
    int dry_run;
    int64_t started_ns, updated_ns, ended_ns;
    uint32_t nsteps, nended;   /* steps, and those in an end state */
} rip_store_run_row;

typedef struct rip_store_run_filter {
    int64_t incident_id;       /* 0: every incident */
    int open_only;             /* runs not ended */
    int dry_run;               /* -1 both, 0 real runs, 1 dry runs */
} rip_store_run_filter;

typedef int (*rip_store_run_fn)(void *ud, const rip_store_run_row *row);
/* Calls fn for every run matching f (NULL: all), oldest first. Strings are
 * valid during the callback only. 0, RIP_EIO, or what fn returned. */
int rip_store_list_runs(rip_store *st, const rip_store_run_filter *f,
                        rip_store_run_fn fn, void *ud);

/* An approval decision, kept in approvals (one row per decision). */
typedef struct rip_store_decision {
    int64_t run_id;
    const char *step, *state;  /* approved, rejected, timed_out, escalated */
    int64_t requested_ns, decided_ns;
    const char *decided_by, *channel, *reason;
} rip_store_decision;
int rip_store_put_decision(rip_store *st, const rip_store_decision *d);

/* A notification for the outbox (delivered by the notify layer). */
typedef struct rip_store_notification {
    int64_t incident_id, run_id;   /* 0: none */
    const char *step, *channel, *severity, *message;
    int64_t now_ns;
} rip_store_notification;
int rip_store_put_notification(rip_store *st, const rip_store_notification *n,
                               int64_t *id);

/* ---- the audit log (store-audit.c) ----
 *
 * Append-only and hash-chained: each entry's hash is SHA-256 over the
 * previous entry's hash and every field of its own (length-prefixed), and
 * audit_head keeps the newest (id, hash). rip_store_audit_verify() walks
 * the chain: an edited entry breaks its own hash, a removed or reordered
 * one breaks the next entry's link or the id sequence, and removing the
 * newest entries disagrees with audit_head. Append inside the transaction
 * of the change it records. */

typedef struct rip_store_audit_new {
    int64_t time_ns;           /* 0: the clock */
    const char *actor;         /* "riposte", "cli:alice", "slack:U123" */
    const char *action;        /* planned, approved, rejected, executing,
                                  executed, failed, ... */
    const char *target;        /* "run 3 step disable-key" */
    const char *detail;        /* JSON text; NULL: none */
} rip_store_audit_new;

/* Appends e. 0 and *id (may be NULL), RIP_EINVAL, RIP_EIO. */
int rip_store_audit_append(rip_store *st, const rip_store_audit_new *e, int64_t *id);

typedef struct rip_store_audit_row {
    int64_t id, time_ns;
    const char *actor, *action, *target, *detail, *prev_hash, *hash;
} rip_store_audit_row;
typedef int (*rip_store_audit_fn)(void *ud, const rip_store_audit_row *row);
/* Every entry, oldest first. 0, RIP_EIO, or what fn returned. */
int rip_store_list_audit(rip_store *st, rip_store_audit_fn fn, void *ud);

typedef struct rip_store_audit_check {
    uint64_t entries;          /* entries checked */
    int64_t bad_id;            /* the first entry found wrong; 0: none */
    char problem[256];         /* what is wrong, for people */
    char head[65];             /* the newest hash (hex), "" when empty */
} rip_store_audit_check;
/* Checks the chain. 0 when intact; RIP_EINVAL when not (out says where and
 * what); RIP_EIO. */
int rip_store_audit_verify(rip_store *st, rip_store_audit_check *out);

/* ---- assets and their relations (store-assets.c) ----
 *
 * The inventory (docs/SCHEMA.md "assets", "asset_relations"): one row per
 * (cloud, account, type, resource id), its tags and detail as JSON text,
 * and its relations to other assets by (type, id). The store keeps what it
 * is given; src/inventory names the types and builds the JSON. Same
 * connection and thread rules as findings and incidents: wrap a whole
 * snapshot in rip_store_begin() / rip_store_commit().
 */

/* A relation: this asset points at target_type target_id. */
typedef struct rip_store_asset_rel {
    const char *target_type;   /* "security_group", "subnet", "vpc", "user", ... */
    const char *target_id;     /* provider id ("sg-0abc", a user name) */
} rip_store_asset_rel;

/* An asset to put. Required: cloud, type, resource_id. Tags and detail are
 * JSON text (an object) or NULL. */
typedef struct rip_store_asset {
    const char *cloud, *account, *region, *type, *resource_id, *arn, *name;
    const char *tags;
    const char *detail;
    int64_t updated_ns;        /* 0: now */
    const rip_store_asset_rel *rels;
    size_t nrels;
    /* The event that changed it (its provider id and time), or NULL / 0:
     * a put without one keeps the stored values. */
    const char *last_event_id;
    int64_t last_event_ns;
} rip_store_asset;

/* Inserts a, or updates the row with the same (cloud, account, type,
 * resource_id), and replaces its relations with a->rels. Returns 0 and sets
 * *id (when non-NULL) to the row's id, or RIP_EINVAL, RIP_EIO. */
int rip_store_put_asset(rip_store *st, const rip_store_asset *a, int64_t *id);

/* Deletes the assets of one snapshot scope that the snapshot did not put
 * (updated_ns < before_ns), with their relations: cloud and type required;
 * account and region NULL mean any. Assets an exposure points at are kept.
 * Returns 0 and sets *removed (when non-NULL), or RIP_EINVAL, RIP_EIO. */
int rip_store_prune_assets(rip_store *st, const char *cloud, const char *account,
                           const char *region, const char *type, int64_t before_ns,
                           uint64_t *removed);

/* One stored asset as a callback sees it. Strings are NUL-terminated (NULL
 * when absent) and valid during the callback only. */
typedef struct rip_store_asset_row {
    int64_t id;
    const char *cloud, *account, *region, *type, *resource_id, *arn, *name;
    const char *tags, *detail;
    int64_t updated_ns;
    const rip_store_asset_rel *rels;   /* sorted by type, then id */
    size_t nrels;
    const char *last_event_id;         /* NULL: no event changed it */
    int64_t last_event_ns;             /* 0: none */
} rip_store_asset_row;

typedef int (*rip_store_asset_fn)(void *ud, const rip_store_asset_row *row);

/* Which assets rip_store_list_assets() reads; NULL fields match anything. */
typedef struct rip_store_asset_filter {
    const char *type;
    const char *resource_id;
    const char *account;
    const char *region;
    /* Only assets with a relation to (related_type, related_id): "what
     * else uses security group sg-1". Both or neither. */
    const char *related_type;
    const char *related_id;
} rip_store_asset_filter;

/* Calls fn for every asset matching f (NULL: all), ordered by type, account,
 * region and resource id. Returns 0, RIP_EIO, RIP_ENOMEM, or what fn
 * returned (negative) to stop. */
int rip_store_list_assets(rip_store *st, const rip_store_asset_filter *f,
                          rip_store_asset_fn fn, void *ud);

/* Number of rows in assets. */
int rip_store_count_assets(rip_store *st, uint64_t *count);

/* Deletes one asset and its relations, and every relation that points at
 * it (target_type, target_id in the same account's assets). *removed (when
 * non-NULL) is 1 when there was one, else 0. 0, RIP_EINVAL, RIP_EIO. */
int rip_store_delete_asset(rip_store *st, const char *cloud, const char *account,
                           const char *type, const char *resource_id, int *removed);

/* ---- the notification outbox, read and marked (store-notify.c) ----
 *
 * The notify layer (notify/deliver.h) reads the rows notify steps and
 * escalations queued with rip_store_put_notification() and marks each
 * try. A row is pending until delivered_ns is set; it is never deleted.
 * Same connection and thread rules as the runs. */

/* One outbox row as the callback sees it. Strings are NUL-terminated and
 * valid during the callback only. */
typedef struct rip_store_notification_row {
    int64_t id;
    int64_t incident_id, run_id;   /* 0: none */
    const char *step;              /* NULL: none */
    const char *channel, *severity, *message;
    int64_t created_ns;
    int64_t delivered_ns;          /* 0: not delivered */
    int64_t last_attempt_ns;       /* 0: never tried */
    uint32_t attempts;             /* tries made, failed ones included */
    const char *last_error;        /* NULL: none */
} rip_store_notification_row;

typedef int (*rip_store_notification_fn)(void *ud, const rip_store_notification_row *row);

/* Calls fn for the outbox rows, oldest first (by id): only the undelivered
 * ones when pending_only; at most limit of them (0: all). 0, RIP_EIO, or
 * what fn returned (negative) to stop. */
int rip_store_list_notifications(rip_store *st, int pending_only, uint64_t limit,
                                 rip_store_notification_fn fn, void *ud);

/* Records a try of notification id made at attempt_ns (0: the clock):
 * delivered_ns when it was delivered (0: it was not), the row's attempts
 * count after this try, and last_error (NULL clears it; the caller keeps
 * secrets out of it). 0, RIP_ENOTFOUND, RIP_EIO. */
int rip_store_mark_notification(rip_store *st, int64_t id, int64_t delivered_ns,
                                uint32_t attempts, const char *last_error,
                                int64_t attempt_ns);

#endif
