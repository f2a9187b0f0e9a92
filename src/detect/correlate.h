/* correlate.h — Sigma correlations evaluated over streaming windows.
 *
 * The matcher says which rules an event hit; this engine turns those hits
 * into correlation hits: event_count, value_count, temporal and
 * temporal_ordered, per group (the values of the group-by fields), within a
 * timespan, in event-time order. The v1 aggregations of older Sigma rules
 * (`| count() by f > N`, `near`) arrive here translated to the same types.
 *
 * Two steps, so that matching can run on many threads and correlation on
 * one: rip_corr_extract() turns a hit into observations (copied strings,
 * safe to queue), rip_corr_observe() feeds one observation to the state.
 *
 * Windows: a group keeps the observations of the last `timespan` of event
 * time (relative to the newest it has seen; observations up to a timespan
 * late are placed in order). gt/gte/eq conditions fire as soon as they hold;
 * then the group starts over and stays quiet until a timespan has passed
 * after the events that fired (one hit per burst, not one per N events). lt/lte
 * conditions are judged when a window closes: when an observation more than
 * a timespan newer arrives, or at rip_corr_flush().
 *
 * Memory: bounded by a budget in bytes (default 64 MiB); past it, the groups
 * updated longest ago are dropped (counted in stats). A group keeps at most
 * RIP_CORR_MAX_ENTRIES observations (older ones are dropped first).
 */
#ifndef RIPOSTE_DETECT_CORRELATE_H
#define RIPOSTE_DETECT_CORRELATE_H

#include <stddef.h>
#include <stdint.h>

#include "detect/sigma.h"
#include "normalize/event.h"

#define RIP_CORR_MAX_ENTRIES 65536
#define RIP_CORR_DEFAULT_BUDGET ((size_t)64 << 20)

typedef struct rip_corr_engine rip_corr_engine;

/* One hit of a rule that a correlation counts, with everything the
 * correlation needs copied out of the event. Strings are owned by whoever
 * made the observation (rip_corr_extract() makes them in one block). */
typedef struct rip_corr_obs {
    uint32_t corr;            /* index of the correlation in the engine */
    uint32_t member;          /* which referenced rule (temporal types) */
    int64_t time_ns;
    const char *group;        /* "f1=v1, f2=v2" ("" without group-by) */
    const char *value;        /* value_count: the counted field's value; else NULL */
    const char *event_id;     /* provider event id, for the report */
    const char *path;         /* input path, for the report */
    uint64_t index;           /* record index in the input */
} rip_corr_obs;

/* A correlation that fired: its rule, the group, and the observations that
 * made it fire, oldest first. Valid during the callback only. */
typedef struct rip_corr_hit {
    const rip_sigma_rule *rule;
    const rip_sigma_meta *meta;
    const char *group;
    const rip_corr_obs *const *obs;
    size_t nobs;
    int64_t first_ns, last_ns;
} rip_corr_hit;

typedef int (*rip_corr_hit_fn)(void *ud, const rip_corr_hit *hit);
typedef int (*rip_corr_obs_fn)(void *ud, const rip_corr_obs *obs);

/* Builds an engine for every correlation and aggregation rule in a compiled
 * ruleset. budget 0 means RIP_CORR_DEFAULT_BUDGET. NULL when out of memory.
 * The ruleset must outlive the engine. */
rip_corr_engine *rip_corr_new(const rip_sigma_ruleset *rs, size_t budget);
void rip_corr_free(rip_corr_engine *c);

/* Number of correlations (0: nothing to do, callers may skip extraction). */
uint32_t rip_corr_count(const rip_corr_engine *c);

/* Turns one matcher hit into zero or more observations (one per
 * correlation that counts hit->rule) and hands each to fn. Reads only the
 * engine's immutable tables: safe on any thread. path names the input. */
int rip_corr_extract(const rip_corr_engine *c, const rip_sigma_hit *hit,
                     const rip_event *ev, const char *path,
                     rip_corr_obs_fn fn, void *ud);

/* Feeds one observation (copied as needed); calls fire for each
 * correlation that fires. 0, or RIP_ENOMEM, or fire's negative value. */
int rip_corr_observe(rip_corr_engine *c, const rip_corr_obs *obs,
                     rip_corr_hit_fn fire, void *ud);

/* Closes every open window (end of input): judges lt/lte conditions. */
int rip_corr_flush(rip_corr_engine *c, rip_corr_hit_fn fire, void *ud);

typedef struct rip_corr_stats {
    uint64_t observations;
    uint64_t hits;
    uint64_t groups;           /* groups alive now */
    uint64_t groups_dropped;   /* dropped to stay within the budget */
    uint64_t late_dropped;     /* observations older than their group's window */
    size_t bytes;              /* memory held now */
} rip_corr_stats;
void rip_corr_get_stats(const rip_corr_engine *c, rip_corr_stats *out);

#endif
