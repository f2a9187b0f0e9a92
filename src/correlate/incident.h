/* incident.h — the incident model's names and the changes people make:
 * severity, status and NIST phase, notes and assignments, each recorded in
 * the incident's append-only timeline with who made it.
 *
 * Severity      informational < low < medium < high < critical
 * Status        open, acknowledged, resolved, false_positive, and merged
 *               (set by correlation only: the incident was folded into
 *               another, incidents.merged_into says which)
 * Phase (NIST)  detected, contained, eradicated, recovered, closed
 *
 * Status and phase move together where they must: closing the phase
 * resolves the incident; resolving it (or calling it a false positive)
 * closes the phase; reopening (status open, or a phase other than closed on
 * a resolved incident) brings back the other. A merged incident takes no
 * changes but notes.
 */
#ifndef RIPOSTE_CORRELATE_INCIDENT_H
#define RIPOSTE_CORRELATE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define RIP_SEVERITY_COUNT 5

/* 0 (informational) .. 4 (critical), or -1 for an unknown name. */
int rip_severity_rank(const char *name);
/* The name of rank 0..4 ("informational" for anything else). */
const char *rip_severity_name(int rank);
/* A 0..10 score as a name: < 1 informational, < 4 low, < 7 medium, < 9
 * high, else critical (GuardDuty's bands). */
const char *rip_severity_from_score(double score);

typedef enum rip_state_kind {
    RIP_STATE_UNKNOWN = 0,
    RIP_STATE_STATUS,          /* a status name a person may set */
    RIP_STATE_PHASE,           /* a phase name */
} rip_state_kind;

/* Which of the two a name is (merged is not one a person may set). */
rip_state_kind rip_incident_state_kind(const char *name);

/* The names, NULL-terminated, for help texts and messages. */
extern const char *const rip_incident_statuses[];
extern const char *const rip_incident_phases[];

/* Sets a status or a phase (rip_incident_state_kind() says which) on
 * incident id, with the other following as described above, and appends a
 * status_change entry by who. *changed (when non-NULL) is 0 when the
 * incident already was in that state (nothing is recorded). One
 * transaction. 0, RIP_EINVAL (unknown name; or the incident was merged),
 * RIP_ENOTFOUND, RIP_EIO; rip_store_errmsg() says why. */
int rip_incident_set_state(rip_store *st, int64_t id, const char *state, const char *who,
                           int64_t now_ns, int *changed);

/* Appends a note by who. 0, RIP_EINVAL (empty text), RIP_ENOTFOUND, RIP_EIO. */
int rip_incident_note(rip_store *st, int64_t id, const char *text, const char *who,
                      int64_t now_ns);

/* Sets the owner to owner and appends an assigned entry by who. One
 * transaction. 0, RIP_EINVAL, RIP_ENOTFOUND, RIP_EIO. */
int rip_incident_assign(rip_store *st, int64_t id, const char *owner, const char *who,
                        int64_t now_ns);

#endif
