/* detector.c — detection and folding during ingest (detector.h). */
#include "correlate/detector.h"

#include <stdlib.h>
#include <string.h>

#include "correlate/entity.h"
#include "correlate/finding.h"
#include "detect/correlate.h"
#include "util/err.h"

/* Entities of an event that fed a correlation, by provider id. */
typedef struct cache_slot {
    char *id;
    rip_entity_set ents;
} cache_slot;

struct rip_detector {
    rip_store *st;
    rip_merge_rules rules;
    rip_sigma_matcher *matcher;     /* NULL without rules */
    rip_corr_engine *corr;          /* NULL without correlations */
    rip_finding *queue;
    size_t nqueue;
    cache_slot cache[RIP_DETECTOR_CACHE];
    size_t cache_next;              /* ring position */
    const rip_event *cur;           /* the event being matched */
    const char *cur_id;             /* its provider id (owned below) */
    char *cur_id_buf;
    int cur_cached;                 /* its entities are in the cache */
    int err;                        /* first error inside a callback */
    rip_detector_stats stats;
    rip_detector_incident_fn on_incident;   /* may be NULL */
    void *on_incident_ud;
};

void rip_detector_on_incident(rip_detector *d, rip_detector_incident_fn fn, void *ud)
{
    d->on_incident = fn;
    d->on_incident_ud = ud;
}

rip_detector *rip_detector_new(rip_store *st, const rip_sigma_ruleset *rs,
                               const rip_merge_rules *r)
{
    rip_detector *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->st = st;
    if (r)
        d->rules = *r;
    else
        rip_merge_rules_default(&d->rules);
    d->queue = calloc(RIP_DETECTOR_QUEUE_MAX, sizeof(*d->queue));
    if (!d->queue)
        goto fail;
    for (size_t i = 0; i < RIP_DETECTOR_CACHE; i++)
        rip_entity_set_init(&d->cache[i].ents);
    if (rs) {
        d->matcher = rip_sigma_matcher_new(rs);
        if (!d->matcher)
            goto fail;
        d->corr = rip_corr_new(rs, 0);
        if (!d->corr)
            goto fail;
        if (rip_corr_count(d->corr) == 0) {
            rip_corr_free(d->corr);
            d->corr = NULL;
        }
    }
    return d;
fail:
    rip_detector_free(d);
    return NULL;
}

void rip_detector_free(rip_detector *d)
{
    if (!d)
        return;
    for (size_t i = 0; d->queue && i < d->nqueue; i++)
        rip_finding_release(&d->queue[i]);
    free(d->queue);
    for (size_t i = 0; i < RIP_DETECTOR_CACHE; i++) {
        free(d->cache[i].id);
        rip_entity_set_release(&d->cache[i].ents);
    }
    rip_corr_free(d->corr);
    rip_sigma_matcher_free(d->matcher);
    free(d->cur_id_buf);
    free(d);
}

void rip_detector_get_stats(const rip_detector *d, rip_detector_stats *out)
{
    *out = d->stats;
}

/* Queues f (ownership moves to the queue); commits first when full. */
static int enqueue(rip_detector *d, rip_finding *f)
{
    if (d->nqueue == RIP_DETECTOR_QUEUE_MAX) {
        int rc = rip_detector_commit(d);
        if (rc) {
            rip_finding_release(f);
            return rc;
        }
    }
    d->queue[d->nqueue++] = *f;
    rip_finding_init(f);
    return 0;
}

/* Remembers the current event's entities for correlation findings. */
static int cache_current(rip_detector *d)
{
    if (d->cur_cached)
        return 0;
    cache_slot *s = &d->cache[d->cache_next];
    free(s->id);
    rip_entity_set_release(&s->ents);
    s->id = strdup(d->cur_id);
    if (!s->id)
        return RIP_ENOMEM;
    int rc = rip_entities_from_event(&s->ents, d->cur);
    if (rc)
        return rc;
    d->cache_next = (d->cache_next + 1) % RIP_DETECTOR_CACHE;
    d->cur_cached = 1;
    return 0;
}

static const rip_entity_set *cache_find(const rip_detector *d, const char *id)
{
    for (size_t k = 0; k < RIP_DETECTOR_CACHE; k++) {
        /* Newest first: members of a hit are recent. */
        size_t i = (d->cache_next + RIP_DETECTOR_CACHE - 1 - k) % RIP_DETECTOR_CACHE;
        if (!d->cache[i].id)
            break;
        if (!strcmp(d->cache[i].id, id))
            return &d->cache[i].ents;
    }
    return NULL;
}

static int on_corr_fire(void *ud, const rip_corr_hit *hit)
{
    rip_detector *d = ud;
    rip_finding f;
    const char *cloud = d->cur ? rip_cloud_name(d->cur->cloud) : "aws";
    int rc = rip_finding_from_correlation(&f, hit, cloud);
    if (rc)
        return rc;
    /* The entities of its members (the first 64 suffice: they share the
     * group-by values). */
    for (size_t i = 0; i < hit->nobs && i < 64; i++) {
        const rip_entity_set *es = cache_find(d, hit->obs[i]->event_id);
        if (es && (rc = rip_entity_set_merge(&f.entities, es)) != 0) {
            rip_finding_release(&f);
            return rc;
        }
    }
    d->stats.correlation_hits++;
    return enqueue(d, &f);
}

static int on_obs(void *ud, const rip_corr_obs *o)
{
    rip_detector *d = ud;
    int rc = cache_current(d);
    if (rc)
        return rc;
    return rip_corr_observe(d->corr, o, on_corr_fire, d);
}

static int on_hit(void *ud, const rip_sigma_hit *hit, const rip_event *ev)
{
    rip_detector *d = ud;
    int rc;
    if (d->corr) {
        rc = rip_corr_extract(d->corr, hit, ev, "", on_obs, d);
        if (rc < 0) {
            d->err = rc;
            return rc;
        }
    }
    if (!hit->report || ev->kind == RIP_EVENT_FINDING)
        return 0;
    rip_finding f;
    rc = rip_finding_from_sigma(&f, hit, ev);
    if (rc == 0)
        rc = enqueue(d, &f);
    if (rc) {
        d->err = rc;
        return rc;
    }
    d->stats.hits++;
    return 0;
}

int rip_detector_event(rip_detector *d, const rip_event *ev, const char *path)
{
    int rc = 0;
    (void)path;
    d->stats.events++;
    if (ev->kind == RIP_EVENT_FINDING &&
        (ev->format == RIP_FORMAT_GUARDDUTY || ev->format == RIP_FORMAT_ASFF)) {
        rip_finding f;
        rc = rip_finding_from_provider(&f, ev);
        if (rc == 0)
            rc = enqueue(d, &f);
        if (rc)
            return rc;
    }
    if (!d->matcher)
        return 0;
    free(d->cur_id_buf);
    d->cur_id_buf = NULL;
    rc = rip_finding_event_id(ev, &d->cur_id_buf);
    if (rc)
        return rc;
    d->cur = ev;
    d->cur_id = d->cur_id_buf;
    d->cur_cached = 0;
    d->err = 0;
    rc = rip_sigma_match(d->matcher, ev, on_hit, d);
    d->cur = NULL;
    if (d->err)
        return d->err;
    return rc < 0 ? rc : 0;
}

static int by_time(const void *a, const void *b)
{
    const rip_finding *x = a, *y = b;
    if (x->time_ns != y->time_ns)
        return x->time_ns < y->time_ns ? -1 : 1;
    return strcmp(x->key, y->key);
}

int rip_detector_commit(rip_detector *d)
{
    int rc = 0;
    size_t n = d->nqueue;
    if (n == 0)
        return 0;
    rc = rip_store_flush(d->st);
    if (rc)
        goto out;
    qsort(d->queue, n, sizeof(*d->queue), by_time);
    rc = rip_store_begin(d->st);
    if (rc)
        goto out;
    rip_detector_stats add = { 0 };
    /* The incidents that took a new finding, told after the commit. */
    int64_t *touched = d->on_incident ? calloc(n, sizeof(*touched)) : NULL;
    size_t ntouched = 0;
    for (size_t i = 0; i < n; i++) {
        rip_fold_result res;
        rc = rip_fold_finding(d->st, &d->rules, &d->queue[i], 0, &res);
        if (rc)
            break;
        if (!res.finding_new) {
            add.findings_known++;
            continue;
        }
        if (touched && res.incident_id) {
            size_t k = 0;
            while (k < ntouched && touched[k] != res.incident_id)
                k++;
            if (k == ntouched)
                touched[ntouched++] = res.incident_id;
        }
        add.findings_new++;
        if (res.incident_new)
            add.incidents_new++;
        else if (res.incident_id)
            add.incidents_joined++;
        add.incidents_merged += res.merged;
    }
    if (rc == 0)
        rc = rip_store_commit(d->st);
    if (rc) {
        rip_store_rollback(d->st);
        free(touched);
        goto out;
    }
    for (size_t i = 0; i < ntouched; i++)
        d->on_incident(d->on_incident_ud, touched[i]);
    free(touched);
    d->stats.findings_new += add.findings_new;
    d->stats.findings_known += add.findings_known;
    d->stats.incidents_new += add.incidents_new;
    d->stats.incidents_joined += add.incidents_joined;
    d->stats.incidents_merged += add.incidents_merged;
out:
    for (size_t i = 0; i < n; i++)
        rip_finding_release(&d->queue[i]);
    d->nqueue = 0;
    return rc;
}

int rip_detector_finish(rip_detector *d)
{
    if (d->corr) {
        d->cur = NULL;
        int rc = rip_corr_flush(d->corr, on_corr_fire, d);
        if (rc < 0)
            return rc;
    }
    return rip_detector_commit(d);
}
