/* correlate.c — streaming windows for Sigma correlations (see correlate.h).
 *
 * State: one hash table from (correlation, group key) to a group; a group
 * holds its observations sorted by event time in a growable array, and sits
 * on an LRU list used to stay within the memory budget. Observation strings
 * are copied into one allocation per observation.
 */
#include "detect/correlate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

typedef struct corr_def {
    const rip_sigma_rule *rule;     /* the correlation (or aggregation) rule */
    const rip_sigma_meta *meta;
    const rip_sigma_correlation *c;
    uint32_t nmembers;              /* referenced rules (>= 1) */
} corr_def;

/* (correlation, member) pairs a rule feeds. */
typedef struct feed {
    uint32_t corr;
    uint32_t member;      /* UINT32_MAX: take it from the hit (v1 `near`) */
} feed;

typedef struct rule_feeds {
    const rip_sigma_rule *rule;
    feed *v;
    uint32_t n, alloc;
} rule_feeds;

typedef struct entry {
    rip_corr_obs obs;               /* strings point into the same block */
    uint64_t value_hash;
} entry;

typedef struct group {
    struct group *hnext;            /* hash chain */
    struct group *lru_prev, *lru_next;
    uint32_t corr;
    uint64_t hash;
    char *key;                      /* owned */
    entry **e;                      /* sorted by time_ns, oldest first */
    uint32_t n, alloc;
    int64_t newest;
    int64_t quiet_until;            /* no new hit before this time (one per burst) */
    size_t bytes;
    /* value_count: how many entries hold each value (by its 64-bit hash), so
     * the distinct count is kept as entries come and go instead of recounted
     * (which was O(entries x distinct) per observation). */
    uint64_t *vhash;
    uint32_t *vcount;
    uint32_t vcap, vused, ndistinct;
} group;

struct rip_corr_engine {
    const rip_sigma_ruleset *rs;
    corr_def *defs;
    uint32_t ndefs;
    rule_feeds *feeds;              /* open addressing by rule pointer */
    uint32_t feeds_cap;             /* power of two, 0 when no correlation */
    group **table;
    uint32_t table_cap;             /* power of two */
    uint32_t ngroups;
    group *lru_head, *lru_tail;     /* head = most recently updated */
    size_t budget;
    rip_corr_stats stats;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t hash_str(const char *s)
{
    return hash_bytes(0xcbf29ce484222325ULL, s, strlen(s));
}

static uint32_t ptr_slot(const void *p, uint32_t cap)
{
    uint64_t x = (uint64_t)(uintptr_t)p;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (uint32_t)x & (cap - 1);
}

static rule_feeds *feeds_find(const rip_corr_engine *c, const rip_sigma_rule *r, bool create)
{
    if (!c->feeds_cap)
        return NULL;
    uint32_t i = ptr_slot(r, c->feeds_cap);
    for (;;) {
        rule_feeds *f = &c->feeds[i];
        if (f->rule == r)
            return f;
        if (!f->rule) {
            if (!create)
                return NULL;
            f->rule = r;
            return f;
        }
        i = (i + 1) & (c->feeds_cap - 1);
    }
}

static int feeds_add(rip_corr_engine *c, const rip_sigma_rule *r, uint32_t corr, uint32_t member)
{
    rule_feeds *f = feeds_find(c, r, true);
    if (f->n == f->alloc) {
        uint32_t na = f->alloc ? f->alloc * 2 : 4;
        feed *nv = realloc(f->v, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        f->v = nv;
        f->alloc = na;
    }
    f->v[f->n++] = (feed){ corr, member };
    return 0;
}

rip_corr_engine *rip_corr_new(const rip_sigma_ruleset *rs, size_t budget)
{
    rip_corr_engine *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->rs = rs;
    c->budget = budget ? budget : RIP_CORR_DEFAULT_BUDGET;
    uint32_t nrules = rip_sigma_rule_count(rs);
    uint32_t ndefs = 0;
    for (uint32_t i = 0; i < nrules; i++) {
        const rip_sigma_meta *m = rip_sigma_rule_meta(rip_sigma_rule_at(rs, i));
        if (m->correlation && m->correlation->type != RIP_SIGMA_CORR_NONE)
            ndefs++;
    }
    if (ndefs == 0)
        return c;
    c->defs = calloc(ndefs, sizeof(*c->defs));
    c->feeds_cap = 16;
    while (c->feeds_cap < ndefs * 4)
        c->feeds_cap *= 2;
    c->feeds = calloc(c->feeds_cap, sizeof(*c->feeds));
    c->table_cap = 1024;
    c->table = calloc(c->table_cap, sizeof(*c->table));
    if (!c->defs || !c->feeds || !c->table)
        goto fail;
    for (uint32_t i = 0; i < nrules; i++) {
        const rip_sigma_rule *r = rip_sigma_rule_at(rs, i);
        const rip_sigma_meta *m = rip_sigma_rule_meta(r);
        const rip_sigma_correlation *cr = m->correlation;
        if (!cr || cr->type == RIP_SIGMA_CORR_NONE)
            continue;
        uint32_t idx = c->ndefs++;
        corr_def *d = &c->defs[idx];
        d->rule = r;
        d->meta = m;
        d->c = cr;
        if (m->kind == RIP_SIGMA_AGGREGATION || !cr->resolved || cr->rules.n == 0) {
            /* A v1 aggregation counts its own search's hits; `a | near b`
             * is temporal over the two, told apart by the hit's member. */
            bool near = cr->type == RIP_SIGMA_CORR_TEMPORAL ||
                        cr->type == RIP_SIGMA_CORR_TEMPORAL_ORDERED;
            d->nmembers = near ? (cr->members ? cr->members : 2) : 1;
            if (feeds_add(c, r, idx, near ? UINT32_MAX : 0) < 0)
                goto fail;
            continue;
        }
        d->nmembers = cr->rules.n;
        for (uint32_t k = 0; k < cr->rules.n; k++) {
            if (cr->resolved[k] && feeds_add(c, cr->resolved[k], idx, k) < 0)
                goto fail;
        }
    }
    return c;
fail:
    rip_corr_free(c);
    return NULL;
}

static void group_free(group *g)
{
    for (uint32_t i = 0; i < g->n; i++)
        free(g->e[i]);
    free(g->vhash);
    free(g->vcount);
    free(g->e);
    free(g->key);
    free(g);
}

void rip_corr_free(rip_corr_engine *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->table_cap; i++) {
        group *g = c->table[i];
        while (g) {
            group *next = g->hnext;
            group_free(g);
            g = next;
        }
    }
    free(c->table);
    for (uint32_t i = 0; i < c->feeds_cap; i++)
        free(c->feeds[i].v);
    free(c->feeds);
    free(c->defs);
    free(c);
}

uint32_t rip_corr_count(const rip_corr_engine *c)
{
    return c ? c->ndefs : 0;
}

/* ---- extraction ---- */

/* Appends the value of a dotted field of ev's raw record: a string decoded,
 * anything else as its JSON text. Returns false when the field is absent or
 * null. */
static bool field_value(const rip_event *ev, const char *field, rip_buf *out)
{
    if (!ev->raw)
        return false;
    const rip_json_node *n = rip_json_path(ev->raw, field);
    if (!n || n->type == RIP_JSON_NULL)
        return false;
    if (n->type == RIP_JSON_STRING) {
        rip_slice s = rip_json_str(ev->doc, n);
        if (!s.ptr)
            return false;
        rip_buf_add(out, s.ptr, s.len);
    } else {
        rip_slice t = rip_json_text(n);
        rip_buf_add(out, t.ptr, t.len);
    }
    return true;
}

int rip_corr_extract(const rip_corr_engine *c, const rip_sigma_hit *hit,
                     const rip_event *ev, const char *path,
                     rip_corr_obs_fn fn, void *ud)
{
    const rule_feeds *f = feeds_find(c, hit->rule, false);
    if (!f)
        return 0;
    int ret = 0;
    rip_buf gkey = RIP_BUF_INIT, value = RIP_BUF_INIT;
    rip_buf_init(&gkey, 16384);
    rip_buf_init(&value, 16384);
    for (uint32_t i = 0; i < f->n; i++) {
        const corr_def *d = &c->defs[f->v[i].corr];
        rip_buf_reset(&gkey);
        rip_buf_reset(&value);
        for (uint32_t k = 0; k < d->c->group_by.n; k++) {
            const char *field = d->c->group_by.v[k];
            if (k)
                rip_buf_adds(&gkey, ", ");
            rip_buf_adds(&gkey, field);
            rip_buf_addc(&gkey, '=');
            if (!field_value(ev, field, &gkey))
                rip_buf_adds(&gkey, "(none)");
        }
        const char *val = NULL;
        if (d->c->type == RIP_SIGMA_CORR_VALUE_COUNT && d->c->field) {
            if (!field_value(ev, d->c->field, &value))
                continue;   /* value_count counts present values only */
            val = value.ptr;
        }
        rip_buf id = RIP_BUF_INIT;   /* "" when the event has no id */
        if (ev->id.ptr)
            rip_buf_add(&id, ev->id.ptr, ev->id.len);
        rip_corr_obs obs = {
            .corr = f->v[i].corr,
            .member = f->v[i].member == UINT32_MAX ? hit->member : f->v[i].member,
            .time_ns = ev->time_ns,
            .group = gkey.ptr,
            .value = val,
            .event_id = id.ptr,
            .path = path ? path : "",
            .index = ev->input_index,
        };
        int r = fn(ud, &obs);
        rip_buf_release(&id);
        if (r < 0) {
            ret = r;
            break;
        }
    }
    rip_buf_release(&gkey);
    rip_buf_release(&value);
    return ret;
}

/* ---- state ---- */

static void lru_unlink(rip_corr_engine *c, group *g)
{
    if (g->lru_prev)
        g->lru_prev->lru_next = g->lru_next;
    else
        c->lru_head = g->lru_next;
    if (g->lru_next)
        g->lru_next->lru_prev = g->lru_prev;
    else
        c->lru_tail = g->lru_prev;
    g->lru_prev = g->lru_next = NULL;
}

static void lru_push_front(rip_corr_engine *c, group *g)
{
    g->lru_prev = NULL;
    g->lru_next = c->lru_head;
    if (c->lru_head)
        c->lru_head->lru_prev = g;
    c->lru_head = g;
    if (!c->lru_tail)
        c->lru_tail = g;
}

static void group_remove(rip_corr_engine *c, group *g)
{
    uint32_t slot = (uint32_t)g->hash & (c->table_cap - 1);
    group **pp = &c->table[slot];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = g->hnext;
    lru_unlink(c, g);
    c->stats.bytes -= g->bytes + sizeof(*g) + strlen(g->key) + 1;
    c->ngroups--;
    group_free(g);
}

static int table_grow(rip_corr_engine *c)
{
    uint32_t ncap = c->table_cap * 2;
    group **nt = calloc(ncap, sizeof(*nt));
    if (!nt)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < c->table_cap; i++) {
        group *g = c->table[i];
        while (g) {
            group *next = g->hnext;
            uint32_t s = (uint32_t)g->hash & (ncap - 1);
            g->hnext = nt[s];
            nt[s] = g;
            g = next;
        }
    }
    free(c->table);
    c->table = nt;
    c->table_cap = ncap;
    return 0;
}

static group *group_get(rip_corr_engine *c, uint32_t corr, const char *key)
{
    uint64_t h = hash_bytes(hash_str(key), &corr, sizeof(corr));
    uint32_t slot = (uint32_t)h & (c->table_cap - 1);
    for (group *g = c->table[slot]; g; g = g->hnext)
        if (g->hash == h && g->corr == corr && !strcmp(g->key, key))
            return g;
    if (c->ngroups + 1 > c->table_cap && table_grow(c) == 0)
        slot = (uint32_t)h & (c->table_cap - 1);
    group *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    g->key = strdup(key);
    if (!g->key) {
        free(g);
        return NULL;
    }
    g->corr = corr;
    g->hash = h;
    g->newest = INT64_MIN;
    g->quiet_until = INT64_MIN;
    g->hnext = c->table[slot];
    c->table[slot] = g;
    lru_push_front(c, g);
    c->ngroups++;
    c->stats.bytes += sizeof(*g) + strlen(key) + 1;
    return g;
}

static entry *entry_new(const rip_corr_obs *o)
{
    size_t lg = strlen(o->group) + 1, lv = o->value ? strlen(o->value) + 1 : 0;
    size_t li = strlen(o->event_id) + 1, lp = strlen(o->path) + 1;
    entry *e = malloc(sizeof(*e) + lg + lv + li + lp);
    if (!e)
        return NULL;
    char *p = (char *)(e + 1);
    e->obs = *o;
    memcpy(p, o->group, lg);
    e->obs.group = p;
    p += lg;
    if (o->value) {
        memcpy(p, o->value, lv);
        e->obs.value = p;
        e->value_hash = hash_str(o->value);
        p += lv;
    } else {
        e->value_hash = 0;
    }
    memcpy(p, o->event_id, li);
    e->obs.event_id = p;
    p += li;
    memcpy(p, o->path, lp);
    e->obs.path = p;
    return e;
}

static size_t entry_size(const entry *e)
{
    return sizeof(*e) + strlen(e->obs.group) + 1 + (e->obs.value ? strlen(e->obs.value) + 1 : 0) +
           strlen(e->obs.event_id) + 1 + strlen(e->obs.path) + 1;
}

/* Adds delta (+1/-1) to the count of value hash h. 0 or RIP_ENOMEM. */
static int value_count_add(group *g, uint64_t h, int delta)
{
    if (delta > 0 && (g->vused + 1) * 2 > g->vcap) {
        /* Grow and rehash, dropping the values whose count fell to zero. */
        uint32_t ncap = g->vcap ? g->vcap * 2 : 16;
        while (g->ndistinct * 2 + 2 > ncap)
            ncap *= 2;
        uint64_t *nh = calloc(ncap, sizeof(*nh));
        uint32_t *nc = calloc(ncap, sizeof(*nc));
        if (!nh || !nc) {
            free(nh);
            free(nc);
            return RIP_ENOMEM;
        }
        uint32_t used = 0;
        for (uint32_t i = 0; i < g->vcap; i++) {
            if (!g->vcount[i])
                continue;
            uint32_t j = (uint32_t)g->vhash[i] & (ncap - 1);
            while (nc[j])
                j = (j + 1) & (ncap - 1);
            nh[j] = g->vhash[i];
            nc[j] = g->vcount[i];
            used++;
        }
        free(g->vhash);
        free(g->vcount);
        g->vhash = nh;
        g->vcount = nc;
        g->vcap = ncap;
        g->vused = used;
    }
    if (!g->vcap)
        return 0;
    uint32_t j = (uint32_t)h & (g->vcap - 1);
    for (uint32_t probes = 0; probes < g->vcap; probes++, j = (j + 1) & (g->vcap - 1)) {
        if (g->vhash[j] == h && (g->vcount[j] || delta > 0)) {
            if (delta > 0 && g->vcount[j]++ == 0)
                g->ndistinct++;
            else if (delta < 0 && --g->vcount[j] == 0)
                g->ndistinct--;
            return 0;
        }
        if (!g->vcount[j] && g->vhash[j] == 0 && delta > 0) {
            g->vhash[j] = h;
            g->vcount[j] = 1;
            g->vused++;
            g->ndistinct++;
            return 0;
        }
    }
    return 0;
}

/* Removes the first k entries of g. */
static void group_drop_front(rip_corr_engine *c, group *g, uint32_t k)
{
    for (uint32_t i = 0; i < k; i++) {
        if (g->e[i]->obs.value)
            value_count_add(g, g->e[i]->value_hash, -1);
        size_t sz = entry_size(g->e[i]);
        g->bytes -= sz;
        c->stats.bytes -= sz;
        free(g->e[i]);
    }
    memmove(g->e, g->e + k, (g->n - k) * sizeof(*g->e));
    g->n -= k;
}

static bool cmp_holds(rip_sigma_cmp op, int64_t v, int64_t t)
{
    switch (op) {
    case RIP_SIGMA_CMP_GT: return v > t;
    case RIP_SIGMA_CMP_GTE: return v >= t;
    case RIP_SIGMA_CMP_LT: return v < t;
    case RIP_SIGMA_CMP_LTE: return v <= t;
    case RIP_SIGMA_CMP_EQ: return v == t;
    default: return false;
    }
}

static bool is_upper_bound(rip_sigma_cmp op)
{
    return op == RIP_SIGMA_CMP_LT || op == RIP_SIGMA_CMP_LTE;
}

/* Distinct values among entries [from, to). */
static int64_t distinct_values(const group *g, uint32_t from, uint32_t to)
{
    int64_t n = 0;
    for (uint32_t i = from; i < to; i++) {
        bool seen = false;
        for (uint32_t j = from; j < i && !seen; j++)
            seen = g->e[j]->value_hash == g->e[i]->value_hash &&
                   !strcmp(g->e[j]->obs.value, g->e[i]->obs.value);
        if (!seen)
            n++;
    }
    return n;
}

/* For temporal types: do entries [from, to) hold every member (in order for
 * temporal_ordered)? */
static bool temporal_holds(const group *g, const corr_def *d, uint32_t from, uint32_t to)
{
    uint32_t nm = d->nmembers;
    if (d->c->type == RIP_SIGMA_CORR_TEMPORAL_ORDERED) {
        uint32_t want = 0;
        for (uint32_t i = from; i < to && want < nm; i++)
            if (g->e[i]->obs.member == want)
                want++;
        return want == nm;
    }
    for (uint32_t m = 0; m < nm; m++) {
        bool found = false;
        for (uint32_t i = from; i < to && !found; i++)
            found = g->e[i]->obs.member == m;
        if (!found)
            return false;
    }
    return true;
}

/* Judges the window of entries [from, to). */
static bool window_holds(const group *g, const corr_def *d, uint32_t from, uint32_t to)
{
    switch (d->c->type) {
    case RIP_SIGMA_CORR_EVENT_COUNT:
        return cmp_holds(d->c->cmp, (int64_t)(to - from), d->c->threshold);
    case RIP_SIGMA_CORR_VALUE_COUNT:
        return cmp_holds(d->c->cmp,
                         from == 0 && to == g->n ? (int64_t)g->ndistinct : distinct_values(g, from, to),
                         d->c->threshold);
    case RIP_SIGMA_CORR_TEMPORAL:
    case RIP_SIGMA_CORR_TEMPORAL_ORDERED:
        return temporal_holds(g, d, from, to);
    default:
        return false;
    }
}

static int fire_window(rip_corr_engine *c, const corr_def *d, group *g, uint32_t from,
                       uint32_t to, rip_corr_hit_fn fire, void *ud)
{
    const rip_corr_obs **obs = malloc((to - from) * sizeof(*obs) + 1);
    if (!obs)
        return RIP_ENOMEM;
    for (uint32_t i = from; i < to; i++)
        obs[i - from] = &g->e[i]->obs;
    rip_corr_hit hit = {
        .rule = d->rule,
        .meta = d->meta,
        .group = g->key,
        .obs = obs,
        .nobs = to - from,
        .first_ns = g->e[from]->obs.time_ns,
        .last_ns = g->e[to - 1]->obs.time_ns,
    };
    c->stats.hits++;
    int r = fire ? fire(ud, &hit) : 0;
    free(obs);
    return r;
}

/* Event times come from the input (any year the time parser accepts) and
 * timespans from rules (up to ~290 years): window bounds saturate instead
 * of overflowing, so no timestamp can wrap a window around. */
static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_add_overflow(a, b, &r) ? (b > 0 ? INT64_MAX : INT64_MIN) : r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    return __builtin_sub_overflow(a, b, &r) ? (b > 0 ? INT64_MIN : INT64_MAX) : r;
}

static int64_t span_of(const corr_def *d)
{
    /* No timespan: the whole input is one window. */
    return d->c->timespan_ns > 0 ? d->c->timespan_ns : INT64_MAX / 4;
}

/* For upper-bound conditions: judge and drop the windows that closed before
 * `now` (every window anchored at an entry older than now - span). */
static int close_windows(rip_corr_engine *c, const corr_def *d, group *g, int64_t now,
                         rip_corr_hit_fn fire, void *ud)
{
    int64_t span = span_of(d);
    while (g->n > 0 && (now == INT64_MAX || g->e[0]->obs.time_ns < sat_sub(now, span))) {
        int64_t start = g->e[0]->obs.time_ns;
        uint32_t to = 0;
        while (to < g->n && g->e[to]->obs.time_ns <= sat_add(start, span))
            to++;
        if (window_holds(g, d, 0, to)) {
            int r = fire_window(c, d, g, 0, to, fire, ud);
            if (r < 0)
                return r;
            group_drop_front(c, g, to);
        } else {
            group_drop_front(c, g, 1);
        }
    }
    return 0;
}

static void enforce_budget(rip_corr_engine *c, group *keep)
{
    while (c->stats.bytes > c->budget && c->lru_tail && c->lru_tail != keep) {
        group_remove(c, c->lru_tail);
        c->stats.groups_dropped++;
    }
}

int rip_corr_observe(rip_corr_engine *c, const rip_corr_obs *obs,
                     rip_corr_hit_fn fire, void *ud)
{
    if (obs->corr >= c->ndefs)
        return RIP_EINVAL;
    const corr_def *d = &c->defs[obs->corr];
    int64_t span = span_of(d);
    c->stats.observations++;
    group *g = group_get(c, obs->corr, obs->group);
    if (!g)
        return RIP_ENOMEM;
    lru_unlink(c, g);
    lru_push_front(c, g);

    if (g->newest != INT64_MIN && obs->time_ns < sat_sub(g->newest, span)) {
        c->stats.late_dropped++;
        return 0;
    }
    /* Upper bounds: windows that end before this observation are complete. */
    if (is_upper_bound(d->c->cmp) && g->n) {
        int r = close_windows(c, d, g, obs->time_ns, fire, ud);
        if (r < 0)
            return r;
    }
    entry *e = entry_new(obs);
    if (!e)
        return RIP_ENOMEM;
    if (g->n == g->alloc) {
        uint32_t na = g->alloc ? g->alloc * 2 : 8;
        entry **ne = realloc(g->e, na * sizeof(*ne));
        if (!ne) {
            free(e);
            return RIP_ENOMEM;
        }
        g->e = ne;
        g->alloc = na;
    }
    /* Insert in time order (usually at the end). */
    uint32_t pos = g->n;
    while (pos > 0 && g->e[pos - 1]->obs.time_ns > obs->time_ns)
        pos--;
    memmove(g->e + pos + 1, g->e + pos, (g->n - pos) * sizeof(*g->e));
    g->e[pos] = e;
    g->n++;
    if (e->obs.value && value_count_add(g, e->value_hash, +1) < 0)
        return RIP_ENOMEM;
    size_t sz = entry_size(e);
    g->bytes += sz;
    c->stats.bytes += sz;
    if (obs->time_ns > g->newest)
        g->newest = obs->time_ns;

    if (!is_upper_bound(d->c->cmp) || d->c->type == RIP_SIGMA_CORR_TEMPORAL ||
        d->c->type == RIP_SIGMA_CORR_TEMPORAL_ORDERED) {
        /* Drop what fell out of the window of the newest observation. */
        uint32_t old = 0;
        while (old < g->n && g->e[old]->obs.time_ns < sat_sub(g->newest, span))
            old++;
        if (old)
            group_drop_front(c, g, old);
        if (g->n > RIP_CORR_MAX_ENTRIES)
            group_drop_front(c, g, g->n - RIP_CORR_MAX_ENTRIES);
        if (obs->time_ns > g->quiet_until && window_holds(g, d, 0, g->n)) {
            int r = fire_window(c, d, g, 0, g->n, fire, ud);
            /* One hit per burst: the events that fired are spent, and the
             * group stays quiet until a timespan after the last of them. */
            g->quiet_until = sat_add(g->e[g->n - 1]->obs.time_ns, span < INT64_MAX / 4 ? span : 0);
            group_drop_front(c, g, g->n);
            if (r < 0)
                return r;
        }
    } else if (g->n > RIP_CORR_MAX_ENTRIES) {
        group_drop_front(c, g, g->n - RIP_CORR_MAX_ENTRIES);
    }
    enforce_budget(c, g);
    return 0;
}

int rip_corr_flush(rip_corr_engine *c, rip_corr_hit_fn fire, void *ud)
{
    for (uint32_t i = 0; i < c->table_cap; i++) {
        for (group *g = c->table[i]; g; g = g->hnext) {
            const corr_def *d = &c->defs[g->corr];
            if (!is_upper_bound(d->c->cmp) || d->c->type == RIP_SIGMA_CORR_TEMPORAL ||
                d->c->type == RIP_SIGMA_CORR_TEMPORAL_ORDERED)
                continue;
            int r = close_windows(c, d, g, INT64_MAX, fire, ud);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

void rip_corr_get_stats(const rip_corr_engine *c, rip_corr_stats *out)
{
    *out = c->stats;
    out->groups = c->ngroups;
}
