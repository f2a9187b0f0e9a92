/* playbook.h — playbooks as code: the model and its loader (docs/PLAYBOOKS.md).
 *
 * A playbook names a kind of incident (its trigger) and the steps that
 * contain it: actions from the catalog (cloud/actions.h) and notifications,
 * ordered by `needs`; steps that do not need each other may run in
 * parallel. This module reads and checks playbooks; running them is the
 * run engine's business.
 *
 * Invariants
 *   - A loaded playbook is valid: every key is known, every action is in the
 *     catalog, parameters fit the action's schema, every template expression
 *     parses and names a known root, every step a `needs` or an expression
 *     names exists, and the steps have no dependency cycle. A file with any
 *     error adds nothing to the set.
 *   - Everything a set holds (playbooks, strings, lists) lives in the set's
 *     arena and is freed by rip_playbook_set_free(); pointers into it are
 *     valid until then.
 *   - Problems are reported through the set's callback, one per problem, in
 *     git's style: "playbook 'FILE' line N: KEY: what was expected". Library
 *     code prints nothing.
 *
 * Limits (policy when hit: the file is rejected with a message naming the
 * limit): RIP_PB_FILE_MAX bytes per file, RIP_PB_MAX_STEPS steps per
 * playbook, RIP_PB_MAX_DEPTH levels of YAML nesting, RIP_PB_MAX_NODES YAML
 * nodes per file, RIP_PB_MAX_LIST items per list, RIP_PB_MAX_PLAYBOOKS per
 * set, RIP_PB_MAX_ERRORS messages per file (the rest are counted).
 */
#ifndef RIPOSTE_RESPOND_PLAYBOOK_H
#define RIPOSTE_RESPOND_PLAYBOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"

#define RIP_PB_FILE_MAX ((size_t)256 << 10)
#define RIP_PB_MAX_STEPS 64
#define RIP_PB_MAX_DEPTH 12
#define RIP_PB_MAX_NODES 20000
#define RIP_PB_MAX_LIST 256
#define RIP_PB_MAX_PLAYBOOKS 1024
#define RIP_PB_MAX_ERRORS 50
#define RIP_PB_MAX_TEMPLATES 16      /* ${{ }} expressions in one value */
#define RIP_PB_ID_MAX 64             /* playbook names and step ids */
#define RIP_PB_TIMEOUT_MAX (24 * 3600)          /* a step's timeout, seconds */
#define RIP_PB_APPROVAL_TIMEOUT_MAX (7 * 24 * 3600)
#define RIP_PB_RETRY_MAX 10

typedef enum rip_pb_on_timeout {
    RIP_PB_TIMEOUT_REJECT = 0,
    RIP_PB_TIMEOUT_APPROVE,
    RIP_PB_TIMEOUT_ESCALATE,
} rip_pb_on_timeout;

typedef enum rip_pb_on_failure {
    RIP_PB_FAIL_ABORT = 0,
    RIP_PB_FAIL_CONTINUE,
    RIP_PB_FAIL_ESCALATE,
} rip_pb_on_failure;

typedef enum rip_pb_step_kind {
    RIP_PB_STEP_ACTION = 0,
    RIP_PB_STEP_NOTIFY,
} rip_pb_step_kind;

/* "reject", "approve", "escalate"; "abort", "continue", "escalate";
 * "action", "notify". */
const char *rip_pb_on_timeout_name(rip_pb_on_timeout v);
const char *rip_pb_on_failure_name(rip_pb_on_failure v);
const char *rip_pb_step_kind_name(rip_pb_step_kind v);

/* A key and a value (a parameter, a resource tag), with the value's line. */
typedef struct rip_pb_kv {
    const char *key;
    const char *value;         /* parameters: a template (see below) */
    uint32_t line;
} rip_pb_kv;

/* A list of strings. */
typedef struct rip_pb_strs {
    const char **v;
    size_t n;
} rip_pb_strs;

/* Which incidents a playbook is for. The selectors (finding_types, rule_ids,
 * tags) name findings: the incident must hold a finding that any entry of
 * any of them matches. The filters (min_severity, accounts, resource_tags)
 * must all hold. Patterns use shell wildcards (fnmatch: *, ?, [...]). */
typedef struct rip_pb_trigger {
    rip_pb_strs finding_types; /* patterns: "UnauthorizedAccess:EC2/SSHBruteForce*" */
    rip_pb_strs rule_ids;      /* exact rule ids */
    rip_pb_strs tags;          /* patterns over the rules' tags: "attack.t1078*" */
    int min_severity;          /* 0..4 (correlate/incident.h), -1: any */
    rip_pb_strs accounts;      /* patterns over the account id */
    rip_pb_kv *resource_tags;  /* value patterns; n in nresource_tags */
    size_t nresource_tags;
} rip_pb_trigger;

typedef struct rip_pb_approval {
    bool required;
    rip_pb_strs who;           /* "role:NAME" or "slack:USERID" */
    uint32_t timeout_s;        /* default 3600 */
    rip_pb_on_timeout on_timeout;
} rip_pb_approval;

typedef struct rip_pb_step {
    const char *id;
    rip_pb_step_kind kind;
    uint32_t line;             /* where the step starts */
    const char *name;          /* optional words for people */
    const char *action;        /* ACTION: a catalog name */
    rip_pb_kv *params;         /* ACTION: templates; n in nparams */
    size_t nparams;
    const char *notify_channel;   /* NOTIFY: a route name, default "default" */
    int notify_severity;          /* NOTIFY: 0..4 */
    const char *notify_message;   /* NOTIFY: a template */
    const char *when;          /* a condition (see below), or NULL: always */
    rip_pb_approval approval;
    uint32_t retry_attempts;   /* total tries, 1 when no retry */
    uint32_t retry_backoff_s;  /* doubled after each failed try */
    uint32_t timeout_s;        /* default 300 */
    rip_pb_on_failure on_failure;
    const char *verify_fact;   /* ACTION: the result fact that must match, or NULL */
    const char *verify_equals; /* a template */
    const char **needs;        /* step ids, declared and implied by expressions */
    size_t nneeds;
} rip_pb_step;

typedef struct rip_playbook {
    const char *name;
    const char *description;   /* may be NULL */
    const char *file;          /* the name it was loaded under */
    rip_pb_trigger trigger;
    rip_pb_step *steps;        /* in file order */
    size_t nsteps;
    size_t *order;             /* step indexes, each after all it needs */
} rip_playbook;

/* One problem found while loading. */
typedef struct rip_pb_diag {
    const char *file;
    uint32_t line;             /* 0 when the problem has no line (file size) */
    const char *key;           /* "steps.disable-key.action"; "" for the file */
    const char *text;          /* "unknown action 'iam.nope'" */
    const char *message;       /* all of it: "playbook 'F' line N: KEY: TEXT" */
} rip_pb_diag;

typedef void (*rip_pb_diag_fn)(void *ud, const rip_pb_diag *d);

typedef struct rip_playbook_set rip_playbook_set;

/* A new empty set; fn (may be NULL) hears every problem. NULL when out of
 * memory. The caller frees it with rip_playbook_set_free(). */
rip_playbook_set *rip_playbook_set_new(rip_pb_diag_fn fn, void *ud);
/* Frees the set and every playbook in it. Accepts NULL. */
void rip_playbook_set_free(rip_playbook_set *s);

/* Loads the playbook in data (len bytes, need not be NUL-terminated) under
 * the name file. 0, or RIP_EINVAL when it had errors (each reported),
 * RIP_ELIMIT (a limit, reported), RIP_ENOMEM. */
int rip_playbook_load_text(rip_playbook_set *s, const char *file, const char *data,
                           size_t len);
/* Loads a file, or every *.yml / *.yaml file under a folder (recursively, in
 * name order). 0; RIP_EINVAL or RIP_ELIMIT when a playbook was rejected (the
 * others are kept); RIP_ENOENT or RIP_EIO when the path cannot be read (also
 * reported, with no line). */
int rip_playbook_load_path(rip_playbook_set *s, const char *path);

/* The playbooks, in load order; valid until the set is freed. */
size_t rip_playbook_count(const rip_playbook_set *s);
const rip_playbook *rip_playbook_at(const rip_playbook_set *s, size_t i);
/* By name, or NULL. */
const rip_playbook *rip_playbook_find(const rip_playbook_set *s, const char *name);
/* Problems reported so far. */
unsigned rip_playbook_errors(const rip_playbook_set *s);

/* What a trigger is matched against (all borrowed; NULL / 0 when unknown). */
typedef struct rip_pb_subject {
    const char *const *finding_types;
    size_t nfinding_types;
    const char *const *rule_ids;
    size_t nrule_ids;
    const char *const *tags;
    size_t ntags;
    int severity;              /* 0..4 */
    const char *account;
    const rip_pb_kv *resource_tags;   /* key, value */
    size_t nresource_tags;
} rip_pb_subject;

/* 1 when the playbook's trigger matches sub, else 0. */
int rip_playbook_matches(const rip_playbook *pb, const rip_pb_subject *sub);

/* Template expressions.
 *
 * A template is text with any number of `${{ EXPR }}` in it. EXPR is a
 * reference, a dot path whose first name is its root:
 *   incident.FIELD            id, title, severity, account, region, status,
 *                             phase, finding_type, rule_id, user_name (of the
 *                             principal's ARN), role_name (of the role's ARN)
 *   incident.entities.KIND    access_key, principal, role, instance, bucket,
 *                             security_group, source_ip (correlate/entity.h)
 *   incident.facts.KEY        a value detection recorded (trail, port, ...)
 *   incident.resource_tags.KEY
 *   steps.ID.outputs.NAME     a fact in step ID's result (implies needs: ID)
 *   steps.ID.status           succeeded, failed, skipped, ... (implies needs)
 * A `when` condition is one reference, true when not empty, or a
 * comparison `REF == 'text'` / `REF != 'text'`, written bare or inside
 * `${{ }}`.
 *
 * Checks template t (NUL-terminated): 0, or RIP_ESYNTAX with a reason in
 * err (errlen bytes). Step references are not resolved here. */
int rip_pb_template_check(const char *t, char *err, size_t errlen);

/* Evaluating templates and conditions (the run engine). fn resolves one
 * reference, given as its dotted names (parts[0] is "incident" or
 * "steps"), by appending its value to out; an unknown value is "" (append
 * nothing), not an error. It returns 0 or a negative RIP_E* that stops the
 * evaluation. */
typedef int (*rip_pb_resolve_fn)(void *ud, const char *const *parts, size_t nparts,
                                 rip_buf *out);
/* Appends template t with every ${{ }} replaced by its value. 0,
 * RIP_ESYNTAX (not a checked template), RIP_ENOMEM, or what fn returned. */
int rip_pb_template_render(const char *t, rip_pb_resolve_fn fn, void *ud, rip_buf *out);
/* Evaluates a `when` condition into *out. 0, RIP_ESYNTAX, or fn's error. */
int rip_pb_condition_eval(const char *cond, rip_pb_resolve_fn fn, void *ud, bool *out);

#endif
