/* apply.h — keeping the inventory current between snapshots by applying
 * CloudTrail events as they are ingested.
 *
 * Invariants
 *   - Only successful AWS API calls change anything: an event with an
 *     error code, a finding, or an action not in the table in apply.c is
 *     ignored (counted, never an error).
 *   - An event never overrides newer knowledge: an asset whose updated_ns
 *     (the snapshot or event that last wrote it) is later than the event's
 *     time is left as it is (counted as stale). Replaying old logs over a
 *     fresh snapshot changes nothing; replaying them into an empty
 *     inventory builds what they show.
 *   - Every asset an event changes records the event's provider id and
 *     time (assets.last_event_id, last_event_ns) and takes the event's time
 *     as its updated_ns, so the next snapshot of its scope still prunes it
 *     when it is gone.
 *   - One event is applied in one transaction on the store's own
 *     connection (store.h: not inside another rip_store_begin()).
 *   - Library code: nothing is printed.
 */
#ifndef RIPOSTE_INVENTORY_APPLY_H
#define RIPOSTE_INVENTORY_APPLY_H

#include <stdint.h>

#include "normalize/event.h"
#include "store/store.h"

typedef struct rip_inventory_apply_stats {
    uint64_t applied;          /* events that changed one asset or more */
    uint64_t stale;            /* events older than what the inventory knows */
    uint64_t ignored;          /* failed calls, other actions, unusable records */
} rip_inventory_apply_stats;

/* Applies one event to the inventory in st. Returns 0 (applied, stale or
 * ignored: see stats, which may be NULL), or a store error (RIP_EIO,
 * RIP_ENOMEM, ...) with rip_store_errmsg() set; nothing is changed then. */
int rip_inventory_apply(rip_store *st, const rip_event *ev, rip_inventory_apply_stats *stats);

/* Whether an action name is one rip_inventory_apply() acts on (for tests
 * and docs). */
int rip_inventory_apply_handles(const char *action);

/* The action names, comma-separated (for docs and --help). Static. */
const char *rip_inventory_apply_actions(void);

#endif
