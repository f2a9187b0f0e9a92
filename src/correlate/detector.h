/* detector.h — detection and correlation as events are ingested: every
 * event is matched against a compiled Sigma ruleset, Sigma correlations are
 * fed, GuardDuty and Security Hub findings pass through, and the findings
 * are folded into incidents (fold.h) in the store.
 *
 * Order of work: findings wait in a queue until rip_detector_commit(),
 * which first makes the store's events durable (rip_store_flush(), so the
 * findings can link to them), then stores and folds the queued findings in
 * time order, all in one transaction. The queue commits by itself when it
 * holds RIP_DETECTOR_QUEUE_MAX findings; call rip_detector_finish() at the
 * end of the input (closes the correlation windows, commits).
 *
 * Idempotent: a finding's key (finding.h) names its rule and events, so
 * feeding the same events again stores and folds nothing new.
 *
 * A Sigma rule that matches a GuardDuty or Security Hub finding adds no
 * finding of its own: the provider's finding is the finding.
 *
 * Limits: the queue (RIP_DETECTOR_QUEUE_MAX findings), and the entities
 * remembered for correlation members (the last RIP_DETECTOR_CACHE events
 * that fed a correlation; a correlation finding whose events were
 * forgotten gets the entities of those still remembered).
 */
#ifndef RIPOSTE_CORRELATE_DETECTOR_H
#define RIPOSTE_CORRELATE_DETECTOR_H

#include <stdint.h>

#include "correlate/fold.h"
#include "detect/sigma.h"
#include "normalize/event.h"
#include "store/store.h"

#define RIP_DETECTOR_QUEUE_MAX 4096
#define RIP_DETECTOR_CACHE 4096

typedef struct rip_detector rip_detector;

typedef struct rip_detector_stats {
    uint64_t events;           /* events seen */
    uint64_t hits;             /* rule hits that made findings */
    uint64_t correlation_hits;
    uint64_t findings_new;     /* stored for the first time */
    uint64_t findings_known;   /* already stored (re-ingest) */
    uint64_t incidents_new;
    uint64_t incidents_joined; /* findings that joined an existing incident */
    uint64_t incidents_merged;
} rip_detector_stats;

/* A detector writing to st with rules r (copied; NULL: the defaults).
 * rs is a compiled ruleset (NULL: no rules, findings from GuardDuty and
 * Security Hub only); it and st must outlive the detector. NULL when out of
 * memory. */
rip_detector *rip_detector_new(rip_store *st, const rip_sigma_ruleset *rs,
                               const rip_merge_rules *r);
/* Frees the detector; queued findings that were not committed are
 * dropped. Accepts NULL. */
void rip_detector_free(rip_detector *d);

/* Matches ev (after the store accepted it) and queues its findings. path
 * names the input, for correlation reports. 0, or RIP_ENOMEM, or a store
 * error of an automatic commit (rip_store_errmsg()). */
int rip_detector_event(rip_detector *d, const rip_event *ev, const char *path);

/* Flushes the store, then stores and folds the queued findings in one
 * transaction. 0 or the store's RIP_E* (the transaction is rolled back;
 * the findings are dropped from the queue, and a re-ingest recreates them). */
int rip_detector_commit(rip_detector *d);

/* End of input: closes every correlation window, then commits. */
int rip_detector_finish(rip_detector *d);

void rip_detector_get_stats(const rip_detector *d, rip_detector_stats *out);

/* Called after each commit, once per incident that took a new finding in
 * it (opened, joined or merged into), with the commit durable: the daemon
 * starts the matching playbooks there. */
typedef void (*rip_detector_incident_fn)(void *ud, int64_t incident);
void rip_detector_on_incident(rip_detector *d, rip_detector_incident_fn fn, void *ud);

#endif
