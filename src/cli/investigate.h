/* investigate.h — everything one entity (access key, principal, source IP,
 * resource) did, as a timeline grouped into sessions, and what it left
 * behind that needs cleaning up. `riposte investigate` prints it; `riposte
 * report` uses it for an incident's "left behind" section.
 *
 * Invariants
 *   - Rows are fed oldest first (rip_store_query_events() order). A gap of
 *     more than gap_ns between two consecutive events starts a new session.
 *   - Session and overall summaries (counts, first/last seen, services,
 *     regions, accounts, source IPs, user agents, errors) always cover every
 *     event fed. The event list kept for the timeline is capped at
 *     max_events: past it, events are counted (events_dropped) but not kept.
 *   - A tally keeps at most RIP_INV_TALLY_MAX distinct values; occurrences
 *     of further values are counted in its `other`.
 *   - What the entity left behind is derived from successful calls only (no
 *     error code), from a table of event names and the request/response
 *     fields that name what was created, attached, shared or changed. A
 *     later successful deletion of the same thing in the same investigation
 *     marks it removed. Only named fields are read from the original record:
 *     never secrets, never whole records.
 *   - Every string is owned by the investigation's arena; nothing here
 *     prints. Errors are RIP_E* codes.
 */
#ifndef RIPOSTE_CLI_INVESTIGATE_H
#define RIPOSTE_CLI_INVESTIGATE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/json.h"

#define RIP_INV_DEFAULT_GAP_NS (INT64_C(30) * 60 * 1000000000)
#define RIP_INV_DEFAULT_MAX_EVENTS 100000
#define RIP_INV_TALLY_MAX 64

typedef struct rip_inv_count {
    const char *value;
    uint64_t count;
} rip_inv_count;

/* Distinct values with how often each was seen, in order of first sight. */
typedef struct rip_inv_tally {
    rip_inv_count *items;
    size_t n, alloc;
    uint64_t other;            /* occurrences of values past the cap */
} rip_inv_tally;

typedef struct rip_inv_event {
    int64_t id, time_ns;
    const char *provider_id, *account, *region, *service, *action;
    const char *error_code, *error_message;
    const char *source_ip, *user_agent, *actor_arn, *access_key;
    int read_only;             /* -1 unknown, 0, 1 */
    size_t session;            /* index into sessions */
} rip_inv_event;

typedef struct rip_inv_summary {
    int64_t first_ns, last_ns;
    uint64_t count, errors;
    rip_inv_tally services, regions, accounts, source_ips, user_agents, errors_by_code,
        principals, access_keys;
} rip_inv_summary;

typedef struct rip_inv_session {
    rip_inv_summary sum;
    size_t event_first;        /* its kept events: events[event_first ..] */
    size_t event_count;        /* kept (<= sum.count when the list is capped) */
} rip_inv_session;

/* Something the entity created, attached, shared or changed. */
typedef struct rip_inv_leftover {
    const char *type;          /* "access key", "instance", "security group rule" */
    const char *verb;          /* "created", "attached", "shared", "changed" */
    const char *id;            /* what to look for: AKIA..., i-..., sgr-... */
    const char *on_label;      /* how `on` relates: "for user", "with", "in" */
    const char *on;            /* the user, account(s), group it concerns; NULL */
    const char *detail;        /* e.g. "tcp 22 from 0.0.0.0/0"; NULL */
    const char *hint;          /* how to clean it up, one line */
    int64_t time_ns;
    int64_t event_id;
    const char *provider_id, *action, *account, *region;
    int64_t removed_ns;        /* a later deletion seen here; 0: still there */
    const char *removed_by;    /* that deletion's event name */
} rip_inv_leftover;

typedef struct rip_inv_options {
    int64_t gap_ns;            /* 0: RIP_INV_DEFAULT_GAP_NS */
    size_t max_events;         /* 0: RIP_INV_DEFAULT_MAX_EVENTS */
} rip_inv_options;

/* Things left behind listed at most (a principal that created a million keys
 * is reported with the first ones and a count of the rest). */
#define RIP_INV_MAX_LEFTOVERS 10000

typedef struct rip_investigation {
    int64_t gap_ns;
    size_t max_events;
    rip_inv_summary total;
    rip_inv_event *events;
    size_t nevents, events_alloc;
    uint64_t events_dropped;
    rip_inv_session *sessions;
    size_t nsessions, sessions_alloc;
    rip_inv_leftover *leftovers;
    size_t nleftovers, leftovers_alloc;
    uint64_t leftovers_dropped;  /* past RIP_INV_MAX_LEFTOVERS (counted, not listed) */
    uint32_t *leftover_index;    /* open addressing on (type, id, on): index + 1 */
    size_t leftover_index_cap;
    rip_arena arena;
    rip_json_doc doc;          /* parses the records of calls in the table */
} rip_investigation;

/* Sets up an empty investigation; opt NULL means the defaults. */
void rip_inv_init(rip_investigation *inv, const rip_inv_options *opt);
/* Frees everything it holds. Accepts NULL. */
void rip_inv_release(rip_investigation *inv);

/* Adds one stored event (its raw record, when present, is read for what
 * the call created). Rows must come oldest first. The row is borrowed for
 * the call. 0 or RIP_ENOMEM. */
int rip_inv_add(rip_investigation *inv, const rip_store_event_row *row);

/* Runs q against the store (q->with_raw is forced on) and adds every row.
 * 0, or the store's error (rip_store_errmsg() says why), or RIP_ENOMEM. */
int rip_inv_run(rip_investigation *inv, rip_store *st, const rip_store_query *q);

/* The largest page rip_inv_run_newest() reads. */
#define RIP_INV_PAGE_MAX 1000000

/* What rip_inv_run_newest() read. */
typedef struct rip_inv_page {
    size_t rows;               /* events added */
    int more;                  /* older events match too */
    int64_t oldest_time_ns;    /* the oldest added: the cursor of the next */
    int64_t oldest_id;         /* (older) page, 0 when none was added */
} rip_inv_page;

/* Adds the newest q->limit events matching q (its window, and its cursor
 * after_time_ns/after_id read newest first: only events older than that
 * row), oldest first, so that a busy entity costs one page rather than all
 * it ever did. q->with_raw and q->newest_first are forced on. Fills *page.
 * 0, RIP_EINVAL (no limit, or more than RIP_INV_PAGE_MAX), RIP_ENOMEM, or
 * the store's error (rip_store_errmsg() says why). */
int rip_inv_run_newest(rip_investigation *inv, rip_store *st, const rip_store_query *q,
                       rip_inv_page *page);

/* "iam" for "iam.amazonaws.com", "compute" for "compute.googleapis.com";
 * other names are returned as they are. Points into s. */
const char *rip_inv_short_service(const char *s, size_t *len);

#endif
