/* sigma-match.c — matching one event against a compiled ruleset.
 *
 * Invariants
 *   - A field is resolved at most once per event: the field cache holds, per
 *     interned field id, the values the dotted path reaches in ev->raw and
 *     their text, stamped with the event's epoch (no clearing per event).
 *   - A selection is evaluated at most once per rule evaluation (memo
 *     stamped the same way), however often the condition names it.
 *   - A JSON null is the same as an absent field: it matches only `null`
 *     and `exists: false`.
 *   - Path steps through arrays fan out: `a.b` on {"a":[{"b":1},{"b":2}]}
 *     yields both values, and a field matches when any value does. A final
 *     array or object is one more value whose text is its JSON text, so
 *     string modifiers see `requestParameters` as the JSON it is.
 *   - Nothing here allocates per field on the hot path; decoded strings
 *     with escapes and multi-valued fields use the matcher's arena, reset
 *     per event.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma-int.h"
#include "util/buf.h"
#include "util/err.h"

#define F(c) (unsigned char)(((c) >= 'A' && (c) <= 'Z') ? (c) + 32 : (c))
#define R4(b) F(b), F((b) + 1), F((b) + 2), F((b) + 3)
#define R16(b) R4(b), R4((b) + 4), R4((b) + 8), R4((b) + 12)
#define R64(b) R16(b), R16((b) + 16), R16((b) + 32), R16((b) + 48)
const unsigned char sg_fold[256] = { R64(0), R64(64), R64(128), R64(192) };
#undef F
#undef R4
#undef R16
#undef R64

typedef struct sg_val {
    const rip_json_node *n;
    rip_slice text;
} sg_val;

typedef struct sg_fentry {
    uint32_t epoch;
    uint32_t n;
    sg_val *v;             /* &one when n <= 1 */
    sg_val one;
} sg_fentry;

struct rip_sigma_matcher {
    const rip_sigma_ruleset *rs;
    const rip_event *ev;
    uint32_t epoch;
    sg_fentry *fc;         /* per field id */
    sg_fentry kw;          /* keyword texts of the event */
    rip_arena arena;       /* per event */
    bool arena_used;
    pcre2_match_data *md;
    pcre2_match_context *mctx;   /* the match limit for rule regexes */
    uint32_t *selstamp;
    uint8_t *selres;
    uint32_t selepoch;
    rip_buf tmp;
    rip_sigma_match_stats stats;
};

/* ------------------------------------------------------------------ */
/* byte-level matching                                                 */

static bool fold_eq(const char *a, const char *lit, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sg_fold[(unsigned char)a[i]] != (unsigned char)lit[i])
            return false;
    return true;
}

/* Case-insensitive substring search. The next position of each case of the
 * literal's first byte is remembered and searched again only once passed,
 * so the haystack is scanned once per case: linear, whatever the input
 * (a rescan per candidate was quadratic on "XXXX..." against "xb"). */
static bool fold_contains(const char *h, size_t hn, const char *lit, size_t ln)
{
    if (ln == 0)
        return true;
    if (ln > hn)
        return false;
    unsigned char c0 = (unsigned char)lit[0];
    unsigned char up = (c0 >= 'a' && c0 <= 'z') ? (unsigned char)(c0 - 32) : c0;
    const char *end = h + hn - ln + 1;
    const char *p = h;
    const char *q1 = NULL, *q2 = NULL;
    bool q1_gone = false, q2_gone = up == c0;
    while (p < end) {
        if (!q1_gone && (!q1 || q1 < p)) {
            q1 = memchr(p, c0, (size_t)(end - p));
            q1_gone = q1 == NULL;
        }
        if (!q2_gone && (!q2 || q2 < p)) {
            q2 = memchr(p, up, (size_t)(end - p));
            q2_gone = q2 == NULL;
        }
        const char *q = q1_gone ? (q2_gone ? NULL : q2)
                                : (q2_gone || q1 < q2 ? q1 : q2);
        if (!q)
            return false;
        if (fold_eq(q + 1, lit + 1, ln - 1))
            return true;
        p = q + 1;
    }
    return false;
}

static size_t utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static bool glob_match(const int16_t *g, uint32_t gn, const char *t, size_t tn, bool cased)
{
    size_t pi = 0, ti = 0, star = SIZE_MAX, mark = 0;
    while (ti < tn) {
        unsigned char c = (unsigned char)t[ti];
        if (pi < gn && g[pi] == SG_GLOB_STAR) {
            star = pi++;
            mark = ti;
            continue;
        }
        if (pi < gn && g[pi] == SG_GLOB_QMARK) {
            size_t l = utf8_len(c);
            pi++;
            ti += l > tn - ti ? tn - ti : l;
            continue;
        }
        if (pi < gn && g[pi] == (cased ? c : sg_fold[c])) {
            pi++;
            ti++;
            continue;
        }
        if (star == SIZE_MAX)
            return false;
        pi = star + 1;
        ti = ++mark;
    }
    while (pi < gn && g[pi] == SG_GLOB_STAR)
        pi++;
    return pi == gn;
}

static bool ip_in(const sg_pat *p, rip_slice t)
{
    char buf[64];
    unsigned char addr[16];
    if (t.len == 0 || t.len >= sizeof(buf))
        return false;
    memcpy(buf, t.ptr, t.len);
    buf[t.len] = '\0';
    if (inet_pton(p->family == 4 ? AF_INET : AF_INET6, buf, addr) != 1)
        return false;
    uint32_t full = p->bits / 8, rest = p->bits % 8;
    if (memcmp(addr, p->addr, full) != 0)
        return false;
    if (rest) {
        unsigned char mask = (unsigned char)(0xFF << (8 - rest));
        if ((addr[full] & mask) != (p->addr[full] & mask))
            return false;
    }
    return true;
}

static bool num_of(const sg_val *v, double *out)
{
    if (v->n && v->n->type == RIP_JSON_NUMBER)
        return rip_json_f64(v->n, out) == 0;
    if (!v->n || v->n->type != RIP_JSON_STRING || v->text.len == 0 || v->text.len >= 64)
        return false;
    char buf[64], *end;
    memcpy(buf, v->text.ptr, v->text.len);
    buf[v->text.len] = '\0';
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || errno)
        return false;
    *out = d;
    return true;
}

static bool text_match(rip_sigma_matcher *m, const sg_pat *p, const sg_val *v)
{
    rip_slice t = v->text;
    switch (p->type) {
    case PM_ANY:
        return true;
    case PM_EQ:
        return t.len == p->len &&
               (p->cased ? memcmp(t.ptr, p->lit, p->len) == 0 : fold_eq(t.ptr, p->lit, p->len));
    case PM_PREFIX:
        return t.len >= p->len &&
               (p->cased ? memcmp(t.ptr, p->lit, p->len) == 0 : fold_eq(t.ptr, p->lit, p->len));
    case PM_SUFFIX: {
        const char *s = t.ptr + t.len - p->len;
        return t.len >= p->len &&
               (p->cased ? memcmp(s, p->lit, p->len) == 0 : fold_eq(s, p->lit, p->len));
    }
    case PM_CONTAINS:
        if (p->cased)
            return p->len == 0 || (t.len >= p->len && memmem(t.ptr, t.len, p->lit, p->len));
        return fold_contains(t.ptr, t.len, p->lit, p->len);
    case PM_GLOB:
        return glob_match(p->glob, p->glen, t.ptr, t.len, p->cased);
    case PM_RE: {
        /* A subject without the bytes every match contains cannot match. */
        if (p->relit_len && (t.len < p->relit_len || !memmem(t.ptr, t.len, p->relit, p->relit_len)))
            return false;
        int rc = pcre2_match(p->re, (PCRE2_SPTR)(t.ptr ? t.ptr : ""), t.len, 0, 0, m->md, m->mctx);
        if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
            m->stats.regex_errors++;   /* undecided (match limit): counted and reported */
        return rc >= 0;
    }
    case PM_CIDR:
        return v->n && v->n->type == RIP_JSON_STRING && ip_in(p, t);
    case PM_NUM: {
        double d;
        if (!num_of(v, &d))
            return false;
        switch (p->cmp) {
        case RIP_SIGMA_CMP_GT: return d > p->num;
        case RIP_SIGMA_CMP_GTE: return d >= p->num;
        case RIP_SIGMA_CMP_LT: return d < p->num;
        case RIP_SIGMA_CMP_LTE: return d <= p->num;
        default: return d == p->num;
        }
    }
    default:
        return false;
    }
}

/* ------------------------------------------------------------------ */
/* field values                                                        */

typedef struct valvec {
    sg_val v[SG_MAX_FIELD_VALUES];
    uint32_t n;
} valvec;

static rip_slice node_text(rip_sigma_matcher *m, const rip_json_node *n)
{
    if (n->type != RIP_JSON_STRING)
        return rip_json_text(n);
    if (!(n->flags & RIP_JSON_F_ESCAPED))
        return (rip_slice){ n->ptr, n->len };
    rip_buf_reset(&m->tmp);
    if (rip_json_unescape(n->ptr, n->len, &m->tmp) < 0)
        return (rip_slice){ n->ptr, n->len };
    char *s = rip_arena_strndup(&m->arena, m->tmp.ptr, m->tmp.len);
    m->arena_used = true;
    if (!s)
        return (rip_slice){ n->ptr, n->len };
    return (rip_slice){ s, m->tmp.len };
}

static void vv_add(rip_sigma_matcher *m, valvec *vv, const rip_json_node *n)
{
    if (vv->n >= SG_MAX_FIELD_VALUES || n->type == RIP_JSON_NULL)
        return;
    vv->v[vv->n].n = n;
    vv->v[vv->n].text = node_text(m, n);
    vv->n++;
}

static void collect(rip_sigma_matcher *m, const sg_field *f, const rip_json_node *n,
                    uint32_t seg, valvec *vv, int depth)
{
    if (vv->n >= SG_MAX_FIELD_VALUES || depth > 64)
        return;
    if (seg == f->nseg) {
        vv_add(m, vv, n);
        if (n->type == RIP_JSON_ARRAY)
            RIP_JSON_EACH(e, n)
                vv_add(m, vv, e);
        return;
    }
    if (n->type == RIP_JSON_OBJECT) {
        const rip_json_node *c = rip_json_getn(n, f->seg[seg], f->seglen[seg]);
        if (c)
            collect(m, f, c, seg + 1, vv, depth + 1);
    } else if (n->type == RIP_JSON_ARRAY) {
        RIP_JSON_EACH(e, n)
            collect(m, f, e, seg, vv, depth + 1);
    }
}

static void entry_fill(rip_sigma_matcher *m, sg_fentry *fe, valvec *vv)
{
    fe->epoch = m->epoch;
    fe->n = vv->n;
    if (vv->n <= 1) {
        if (vv->n)
            fe->one = vv->v[0];
        fe->v = &fe->one;
        return;
    }
    fe->v = rip_arena_alloc(&m->arena, vv->n * sizeof(*fe->v));
    m->arena_used = true;
    if (!fe->v) {           /* out of memory: keep the first value */
        fe->one = vv->v[0];
        fe->v = &fe->one;
        fe->n = 1;
        return;
    }
    memcpy(fe->v, vv->v, vv->n * sizeof(*fe->v));
}

static sg_fentry *field_get(rip_sigma_matcher *m, uint32_t id)
{
    sg_fentry *fe = &m->fc[id];
    if (fe->epoch == m->epoch)
        return fe;
    const sg_field *f = &m->rs->fields[id];
    const rip_json_node *root = m->ev->raw;
    /* fast path: a plain walk through objects */
    const rip_json_node *n = root;
    uint32_t s = 0;
    while (n && s < f->nseg && n->type == RIP_JSON_OBJECT) {
        n = rip_json_getn(n, f->seg[s], f->seglen[s]);
        s++;
    }
    if (!n || (s == f->nseg && n->type != RIP_JSON_ARRAY) ||
        (s < f->nseg && n->type != RIP_JSON_ARRAY)) {
        fe->epoch = m->epoch;
        fe->v = &fe->one;
        fe->n = 0;
        if (n && s == f->nseg && n->type != RIP_JSON_NULL) {
            fe->one.n = n;
            fe->one.text = node_text(m, n);
            fe->n = 1;
        }
        return fe;
    }
    valvec *vv = malloc(sizeof(*vv));
    if (!vv) {
        fe->epoch = m->epoch;
        fe->v = &fe->one;
        fe->n = 0;
        return fe;
    }
    vv->n = 0;
    collect(m, f, root, 0, vv, 0);
    entry_fill(m, fe, vv);
    free(vv);
    return fe;
}

/* Keyword texts: the record's JSON text, plus the decoded text of every
 * string with escapes (whose raw text differs from what a person reads). */
static sg_fentry *keywords_get(rip_sigma_matcher *m)
{
    sg_fentry *fe = &m->kw;
    if (fe->epoch == m->epoch)
        return fe;
    valvec *vv = malloc(sizeof(*vv));
    if (!vv) {
        fe->epoch = m->epoch;
        fe->v = &fe->one;
        fe->one.n = m->ev->raw;
        fe->one.text = rip_json_text(m->ev->raw);
        fe->n = 1;
        return fe;
    }
    vv->n = 1;
    vv->v[0].n = m->ev->raw;
    vv->v[0].text = rip_json_text(m->ev->raw);
    const rip_json_node *end = m->ev->raw + m->ev->raw->skip;
    for (const rip_json_node *n = m->ev->raw; n < end && vv->n < SG_MAX_FIELD_VALUES; n++)
        if (n->type == RIP_JSON_STRING && (n->flags & RIP_JSON_F_ESCAPED))
            vv_add(m, vv, n);
    entry_fill(m, fe, vv);
    free(vv);
    return fe;
}

/* ------------------------------------------------------------------ */
/* items, selections, conditions                                       */

static bool fieldref_match(rip_sigma_matcher *m, const sg_pat *p, const sg_fentry *fe)
{
    const sg_fentry *other = field_get(m, p->ref_field);
    for (uint32_t i = 0; i < fe->n; i++) {
        rip_slice a = fe->v[i].text;
        for (uint32_t j = 0; j < other->n; j++) {
            rip_slice b = other->v[j].text;
            if (b.len > a.len || (p->cmp == PM_EQ && a.len != b.len))
                continue;
            const char *at = a.ptr;
            bool ok;
            if (p->cmp == PM_SUFFIX)
                at = a.ptr + a.len - b.len;
            if (p->cmp == PM_CONTAINS) {
                ok = p->cased ? (b.len == 0 || memmem(a.ptr, a.len, b.ptr, b.len) != NULL)
                              : false;
                if (!p->cased) {
                    for (size_t k = 0; !ok && k + b.len <= a.len; k++) {
                        size_t x = 0;
                        while (x < b.len && sg_fold[(unsigned char)a.ptr[k + x]] ==
                                            sg_fold[(unsigned char)b.ptr[x]])
                            x++;
                        ok = x == b.len;
                    }
                }
            } else if (p->cased) {
                ok = memcmp(at, b.ptr, b.len) == 0;
            } else {
                size_t x = 0;
                while (x < b.len && sg_fold[(unsigned char)at[x]] == sg_fold[(unsigned char)b.ptr[x]])
                    x++;
                ok = x == b.len;
            }
            if (ok)
                return true;
        }
    }
    return false;
}

static bool pat_match(rip_sigma_matcher *m, const sg_pat *p, const sg_fentry *fe)
{
    switch (p->type) {
    case PM_NULL:
        return fe->n == 0;
    case PM_EXISTS:
        return (fe->n > 0) == (p->exists != 0);
    case PM_NEVER:
        return false;
    case PM_FIELDREF:
        return fieldref_match(m, p, fe);
    default:
        for (uint32_t i = 0; i < fe->n; i++)
            if (text_match(m, p, &fe->v[i]))
                return true;
        return false;
    }
}

static bool item_match(rip_sigma_matcher *m, const sg_item *it)
{
    const sg_fentry *fe = it->field == SG_FIELD_KEYWORDS ? keywords_get(m) : field_get(m, it->field);
    if (!it->all) {
        for (uint32_t k = 0; k < it->npats; k++)
            if (pat_match(m, &it->pats[k], fe))
                return true;
        return false;
    }
    uint32_t k = 0;
    for (uint32_t g = 0; g < it->ngroups; g++) {
        bool found = false;
        for (; k < it->npats && it->pats[k].group == g; k++)
            if (!found && pat_match(m, &it->pats[k], fe))
                found = true;
        if (!found)
            return false;
    }
    return true;
}

static bool sel_match(rip_sigma_matcher *m, const rip_sigma_rule *r, uint32_t si)
{
    if (m->selstamp[si] == m->selepoch)
        return m->selres[si];
    const sg_sel *s = &r->sels[si];
    bool any = false;
    for (uint32_t i = 0; i < s->n && !any; i++) {
        const sg_map *mp = &s->maps[i];
        bool all = true;
        for (uint32_t j = 0; j < mp->n && all; j++)
            all = item_match(m, &mp->items[j]);
        any = all;
    }
    m->selstamp[si] = m->selepoch;
    m->selres[si] = any;
    return any;
}

static bool cond_match(rip_sigma_matcher *m, const rip_sigma_rule *r, const sg_cond *c)
{
    switch (c->op) {
    case CN_SEL:
        return sel_match(m, r, c->sel);
    case CN_AND:
        for (uint32_t i = 0; i < c->n; i++)
            if (!cond_match(m, r, c->kids[i]))
                return false;
        return true;
    case CN_OR:
        for (uint32_t i = 0; i < c->n; i++)
            if (cond_match(m, r, c->kids[i]))
                return true;
        return false;
    case CN_NOT:
        return !cond_match(m, r, c->kids[0]);
    case CN_TRUE:
        return true;
    default:
        return false;
    }
}

/* Starts a new evaluation: selection results memoized before are stale. */
static void sel_epoch_next(rip_sigma_matcher *m)
{
    if (++m->selepoch == 0) {
        memset(m->selstamp, 0, (m->rs->max_sel ? m->rs->max_sel : 1) * sizeof(*m->selstamp));
        m->selepoch = 1;
    }
}

static bool rule_match(rip_sigma_matcher *m, const rip_sigma_rule *r)
{
    sel_epoch_next(m);
    for (uint32_t i = 0; i < r->ncond; i++)
        if (cond_match(m, r, r->conds[i]))
            return true;
    return false;
}

/* ------------------------------------------------------------------ */
/* API                                                                 */

rip_sigma_matcher *rip_sigma_matcher_new(const rip_sigma_ruleset *rs)
{
    if (!rs || !rs->compiled)
        return NULL;
    rip_sigma_matcher *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->rs = rs;
    m->epoch = 1;
    m->fc = calloc(rs->nfields ? rs->nfields : 1, sizeof(*m->fc));
    uint32_t ns = rs->max_sel ? rs->max_sel : 1;
    m->selstamp = calloc(ns, sizeof(*m->selstamp));
    m->selres = calloc(ns, 1);
    m->md = pcre2_match_data_create(1, NULL);
    /* A rule regex on a hostile value is bounded: past the limit the
     * evaluation is undecided, counted in stats.regex_errors. */
    m->mctx = pcre2_match_context_create(NULL);
    if (m->mctx)
        pcre2_set_match_limit(m->mctx, RIP_SIGMA_REGEX_MATCH_LIMIT);
    rip_arena_init(&m->arena, 64u << 20);
    rip_buf_init(&m->tmp, 0);
    if (!m->fc || !m->selstamp || !m->selres || !m->md || !m->mctx) {
        rip_sigma_matcher_free(m);
        return NULL;
    }
    return m;
}

void rip_sigma_matcher_free(rip_sigma_matcher *m)
{
    if (!m)
        return;
    free(m->fc);
    free(m->selstamp);
    free(m->selres);
    if (m->md)
        pcre2_match_data_free(m->md);
    if (m->mctx)
        pcre2_match_context_free(m->mctx);
    rip_arena_release(&m->arena);
    rip_buf_release(&m->tmp);
    free(m);
}

void rip_sigma_matcher_stats(const rip_sigma_matcher *m, rip_sigma_match_stats *out)
{
    *out = m->stats;
}

static const sg_rulelist *lookup(const rip_sigma_matcher *m, const sg_strtab *t, uint32_t field)
{
    const sg_fentry *fe = field_get((rip_sigma_matcher *)m, field);
    if (fe->n != 1 || fe->v[0].n->type != RIP_JSON_STRING || t->n == 0)
        return NULL;
    uint32_t li = sg_strtab_get(t, fe->v[0].text.ptr, fe->v[0].text.len, true);
    return li == UINT32_MAX ? NULL : &m->rs->lists[li];
}

int rip_sigma_match(rip_sigma_matcher *m, const rip_event *ev, rip_sigma_hit_fn hit, void *ud)
{
    const rip_sigma_ruleset *rs = m->rs;
    if (!ev || !ev->raw || (unsigned)ev->format >= RIP_FORMAT__COUNT)
        return 0;
    m->stats.events++;
    m->ev = ev;
    if (++m->epoch == 0) {
        memset(m->fc, 0, (rs->nfields ? rs->nfields : 1) * sizeof(*m->fc));
        m->kw.epoch = 0;
        m->epoch = 1;
    }
    if (m->arena_used) {
        rip_arena_reset(&m->arena);
        m->arena_used = false;
    }

    const sg_rulelist *lists[3] = { &rs->always[ev->format], NULL, NULL };
    if (ev->format == RIP_FORMAT_CLOUDTRAIL) {
        lists[1] = lookup(m, &rs->by_name, rs->f_event_name);
        lists[2] = lookup(m, &rs->by_source, rs->f_event_source);
    }
    uint32_t pos[3] = { 0, 0, 0 };
    int hits = 0;
    for (;;) {
        /* next rule in load order across the three sorted lists */
        uint32_t best = UINT32_MAX;
        int bi = -1;
        for (int k = 0; k < 3; k++) {
            if (lists[k] && pos[k] < lists[k]->n && lists[k]->v[pos[k]] < best) {
                best = lists[k]->v[pos[k]];
                bi = k;
            }
        }
        if (bi < 0)
            break;
        pos[bi]++;
        const rip_sigma_rule *r = rs->rules[best];
        m->stats.rules_evaluated++;
        if (r->nmembers) {
            /* A v1 `a and b` over a timeframe: each selection is a member. */
            sel_epoch_next(m);
            for (uint32_t member = 0; member < r->nmembers; member++) {
                if (!cond_match(m, r, r->members[member]))
                    continue;
                m->stats.hits++;
                hits++;
                if (hit) {
                    rip_sigma_hit h = { r, &r->meta, false, member };
                    int rc = hit(ud, &h, ev);
                    if (rc < 0) {
                        m->ev = NULL;
                        return rc;
                    }
                }
            }
            continue;
        }
        bool main = rule_match(m, r);
        /* the near part shares the selection memo of this evaluation */
        bool near = r->near_cond && cond_match(m, r, r->near_cond);
        for (uint32_t member = 0; member < 2; member++) {
            if (!(member ? near : main))
                continue;
            m->stats.hits++;
            hits++;
            if (hit) {
                rip_sigma_hit h = { r, &r->meta, member ? false : r->report, member };
                int rc = hit(ud, &h, ev);
                if (rc < 0) {
                    m->ev = NULL;
                    return rc;
                }
            }
        }
    }
    m->ev = NULL;
    return hits;
}
