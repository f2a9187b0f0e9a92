/* finding.h — a finding on its way to the store: what detection saw, built
 * from a Sigma rule hit, a Sigma correlation hit, or a GuardDuty / Security
 * Hub finding passed through, with its explanation and its entities.
 *
 * Invariants
 *   - A rip_finding owns every string and its entity set (malloc'ed), so it
 *     outlives the event it was made from; rip_finding_release() frees them.
 *   - key is the dedup key the store makes unique, chosen so that the same
 *     input always gives the same key (re-ingest adds nothing):
 *       sigma:<rule id>:<cloud>:<provider event id>
 *       correlation:<rule id>:<group>:<cloud>:<first event's provider id>
 *       guardduty:<cloud>:<finding id>, securityhub:<cloud>:<finding id>
 *     A record without a provider id is named as the store names it,
 *     "sha256:" + the SHA-256 of its original text.
 *   - A correlation finding lists at most RIP_FINDING_MAX_EVENTS member
 *     events (the first ones); the rest are counted in detail.
 */
#ifndef RIPOSTE_CORRELATE_FINDING_H
#define RIPOSTE_CORRELATE_FINDING_H

#include <stddef.h>
#include <stdint.h>

#include "correlate/entity.h"
#include "detect/correlate.h"
#include "detect/sigma.h"
#include "normalize/event.h"

#define RIP_FINDING_MAX_EVENTS 1000

typedef struct rip_finding {
    char *key;
    char *source;              /* sigma, correlation, guardduty, securityhub */
    char *rule_id;             /* rule id (or name), finding type; may be NULL */
    char *title;
    char *severity;            /* a severity name (correlate/incident.h) */
    double score;              /* 0..10; -1 when the source gives none */
    int64_t time_ns;
    char *account, *region;    /* may be NULL */
    char *explanation;
    char *detail;              /* JSON text */
    char *cloud;               /* of the member events */
    char **event_ids;          /* provider ids of the member events */
    size_t nevents;
    rip_entity_set entities;
} rip_finding;

/* Zeroes f (an empty finding that rip_finding_release() accepts). */
void rip_finding_init(rip_finding *f);
/* Frees what f owns and zeroes it. Accepts an initialized empty finding. */
void rip_finding_release(rip_finding *f);

/* The provider event id of ev as the store keys it: ev->id, or "sha256:"
 * and the hash of its original text. Writes a NUL-terminated copy into a
 * malloc'ed string in *out. 0 or RIP_ENOMEM. */
int rip_finding_event_id(const rip_event *ev, char **out);

/* Builds f (initialized by the call) from a Sigma rule hit on ev. 0 or
 * RIP_ENOMEM; on failure f is empty. */
int rip_finding_from_sigma(rip_finding *f, const rip_sigma_hit *hit, const rip_event *ev);

/* Builds f from a GuardDuty or Security Hub finding ev (kind FINDING).
 * 0, RIP_EINVAL (ev is not a finding), RIP_ENOMEM. */
int rip_finding_from_provider(rip_finding *f, const rip_event *ev);

/* Builds f from a Sigma correlation hit whose events are in cloud. The
 * entities of its member events are added by the caller (who has seen the
 * events); the finding's own title, severity and key come from the hit.
 * 0 or RIP_ENOMEM. */
int rip_finding_from_correlation(rip_finding *f, const rip_corr_hit *hit, const char *cloud);

#endif
