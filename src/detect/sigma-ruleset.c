/* sigma-ruleset.c — rule files and folders, placeholders, diagnostics,
 * field interning, and compile: correlation references and the dispatch
 * tables that send an event only to the rules that can match it.
 *
 * Dispatch: for each rule admitting CloudTrail records, the condition is
 * analysed for the set of literal eventName values (else eventSource
 * values) without which it cannot be true. Rules with such a set are listed
 * under each value (lowercased) in by_name / by_source; the others go to
 * always[format]. An AND needs only one constrained side, an OR needs all,
 * a NOT constrains nothing. The sets are a filter: the rule is still
 * evaluated in full.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma-int.h"
#include "sources/input.h"
#include "util/err.h"

/* ------------------------------------------------------------------ */
/* string table                                                        */

/* ASCII 'A'-'Z' to lowercase in each byte of w, as sg_fold[] does byte by
 * byte (bytes >= 0x80 are left alone). */
static inline uint64_t fold8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t seven = w & ~high;
    uint64_t ge_a = seven + (0x80 - 'A') * ones;       /* high bit: byte >= 'A' */
    uint64_t gt_z = seven + (0x80 - 'Z' - 1) * ones;   /* high bit: byte > 'Z' */
    return w | (((ge_a & ~gt_z & ~w) & high) >> 2);
}

/* Eight bytes at a time: this hashes every event's eventName and
 * eventSource for dispatch. fold: hash the key as if lowercased. */
static uint32_t strhash(const char *s, size_t len, bool fold)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ (fold ? fold8(w) : w)) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
    }
    if (i < len) {
        uint64_t w = 0;
        memcpy(&w, s + i, len - i);
        h = (h ^ (fold ? fold8(w) : w)) * 0xFF51AFD7ED558CCDu;
        h ^= h >> 32;
    }
    h *= 0xC4CEB9FE1A85EC53u;
    return (uint32_t)(h >> 32);
}

int sg_strtab_put(sg_strtab *t, const char *key, uint32_t val)
{
    if ((t->n + 1) * 2 > t->cap) {
        uint32_t nc = t->cap ? t->cap * 2 : 64;
        const char **nk = calloc(nc, sizeof(*nk));
        uint32_t *nv = calloc(nc, sizeof(*nv));
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return RIP_ENOMEM;
        }
        for (uint32_t i = 0; i < t->cap; i++) {
            if (!t->keys[i])
                continue;
            uint32_t h = strhash(t->keys[i], strlen(t->keys[i]), false) & (nc - 1);
            while (nk[h])
                h = (h + 1) & (nc - 1);
            nk[h] = t->keys[i];
            nv[h] = t->vals[i];
        }
        free(t->keys);
        free(t->vals);
        t->keys = nk;
        t->vals = nv;
        t->cap = nc;
    }
    uint32_t h = strhash(key, strlen(key), false) & (t->cap - 1);
    while (t->keys[h]) {
        if (strcmp(t->keys[h], key) == 0) {
            t->vals[h] = val;
            return 0;
        }
        h = (h + 1) & (t->cap - 1);
    }
    t->keys[h] = key;
    t->vals[h] = val;
    t->n++;
    return 0;
}

uint32_t sg_strtab_get(const sg_strtab *t, const char *key, size_t len, bool fold)
{
    if (!t->cap)
        return UINT32_MAX;
    uint32_t h = strhash(key, len, fold) & (t->cap - 1);
    while (t->keys[h]) {
        const char *k = t->keys[h];
        size_t i = 0;
        if (fold) {
            while (i < len && k[i] && k[i] == (char)sg_fold[(unsigned char)key[i]])
                i++;
        } else {
            while (i < len && k[i] && k[i] == key[i])
                i++;
        }
        if (i == len && k[i] == '\0')
            return t->vals[h];
        h = (h + 1) & (t->cap - 1);
    }
    return UINT32_MAX;
}

void sg_strtab_release(sg_strtab *t)
{
    free(t->keys);
    free(t->vals);
    memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------ */
/* ruleset basics                                                      */

void sg_diag(rip_sigma_ruleset *rs, const char *path, uint32_t line, uint32_t col,
             bool warning, const char *fmt, ...)
{
    char msg[768], text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!warning)
        rs->nerrors++;
    if (!rs->diag)
        return;
    if (line)
        snprintf(text, sizeof(text), "'%s' line %u: %s%s", path, line, warning ? "warning: " : "", msg);
    else
        snprintf(text, sizeof(text), "'%s': %s%s", path, warning ? "warning: " : "", msg);
    rip_sigma_diag d = { path, line, col, warning, msg, text };
    rs->diag(rs->ud, &d);
}

rip_sigma_ruleset *rip_sigma_ruleset_new(rip_sigma_diag_fn diag, void *ud)
{
    rip_sigma_ruleset *rs = calloc(1, sizeof(*rs));
    if (!rs)
        return NULL;
    rip_arena_init(&rs->arena, 0);
    rs->diag = diag;
    rs->ud = ud;
    rs->f_event_name = rs->f_event_source = UINT32_MAX;
    return rs;
}

void rip_sigma_ruleset_free(rip_sigma_ruleset *rs)
{
    if (!rs)
        return;
    for (uint32_t i = 0; i < rs->nres; i++)
        pcre2_code_free(rs->res[i]);
    free(rs->res);
    free(rs->rules);
    free(rs->ph);
    free(rs->fields);
    sg_strtab_release(&rs->fieldtab);
    sg_strtab_release(&rs->by_name);
    sg_strtab_release(&rs->by_source);
    for (uint32_t i = 0; i < RIP_FORMAT__COUNT; i++)
        free(rs->always[i].v);
    for (uint32_t i = 0; i < rs->nlists; i++)
        free(rs->lists[i].v);
    free(rs->lists);
    rip_arena_release(&rs->arena);
    free(rs);
}

uint32_t rip_sigma_rule_count(const rip_sigma_ruleset *rs)
{
    return rs->n;
}

const rip_sigma_rule *rip_sigma_rule_at(const rip_sigma_ruleset *rs, uint32_t i)
{
    return i < rs->n ? rs->rules[i] : NULL;
}

const rip_sigma_meta *rip_sigma_rule_meta(const rip_sigma_rule *r)
{
    return &r->meta;
}

uint32_t rip_sigma_error_count(const rip_sigma_ruleset *rs)
{
    return rs->nerrors;
}

int sg_keep_regex(rip_sigma_ruleset *rs, pcre2_code *re)
{
    if (rs->nres == rs->resalloc) {
        uint32_t na = rs->resalloc ? rs->resalloc * 2 : 16;
        pcre2_code **nv = realloc(rs->res, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        rs->res = nv;
        rs->resalloc = na;
    }
    rs->res[rs->nres++] = re;
    return 0;
}

uint32_t sg_field_intern(rip_sigma_ruleset *rs, const char *path)
{
    size_t plen = strlen(path);
    uint32_t id = sg_strtab_get(&rs->fieldtab, path, plen, false);
    if (id != UINT32_MAX)
        return id;
    if (rs->nfields == rs->falloc) {
        uint32_t na = rs->falloc ? rs->falloc * 2 : 32;
        sg_field *nf = realloc(rs->fields, na * sizeof(*nf));
        if (!nf)
            return UINT32_MAX;
        rs->fields = nf;
        rs->falloc = na;
    }
    sg_field *f = &rs->fields[rs->nfields];
    char *p = rip_arena_strndup(&rs->arena, path, plen);
    if (!p)
        return UINT32_MAX;
    uint32_t nseg = 1;
    for (size_t i = 0; i < plen; i++)
        nseg += path[i] == '.';
    f->path = p;
    f->seg = rip_arena_alloc(&rs->arena, nseg * sizeof(*f->seg));
    f->seglen = rip_arena_alloc(&rs->arena, nseg * sizeof(*f->seglen));
    if (!f->seg || !f->seglen)
        return UINT32_MAX;
    f->nseg = 0;
    const char *s = p;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        f->seg[f->nseg] = s;
        f->seglen[f->nseg++] = (uint32_t)l;
        if (!dot)
            break;
        s = dot + 1;
    }
    if (sg_strtab_put(&rs->fieldtab, p, rs->nfields) < 0)
        return UINT32_MAX;
    return rs->nfields++;
}

/* ------------------------------------------------------------------ */
/* placeholders                                                        */

const sg_placeholder *sg_placeholder_find(const rip_sigma_ruleset *rs, const char *name, size_t len)
{
    for (uint32_t i = 0; i < rs->nph; i++)
        if (strlen(rs->ph[i].name) == len && memcmp(rs->ph[i].name, name, len) == 0)
            return &rs->ph[i];
    return NULL;
}

int rip_sigma_add_placeholder(rip_sigma_ruleset *rs, const char *name,
                              const char *const *values, size_t n)
{
    size_t nl = strlen(name);
    if (nl >= 2 && name[0] == '%' && name[nl - 1] == '%') {
        name++;
        nl -= 2;
    }
    if (nl == 0 || n > SG_MAX_EXPANDED)
        return RIP_EINVAL;
    sg_placeholder *ph = (sg_placeholder *)sg_placeholder_find(rs, name, nl);
    if (!ph) {
        if (rs->nph == rs->phalloc) {
            uint32_t na = rs->phalloc ? rs->phalloc * 2 : 8;
            sg_placeholder *nv = realloc(rs->ph, na * sizeof(*nv));
            if (!nv)
                return RIP_ENOMEM;
            rs->ph = nv;
            rs->phalloc = na;
        }
        ph = &rs->ph[rs->nph];
        ph->name = rip_arena_strndup(&rs->arena, name, nl);
        if (!ph->name)
            return RIP_ENOMEM;
        rs->nph++;
    }
    const char **vals = rip_arena_calloc(&rs->arena, n ? n : 1, sizeof(*vals));
    if (!vals)
        return RIP_ENOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(vals[i] = rip_arena_strndup(&rs->arena, values[i], strlen(values[i]))))
            return RIP_ENOMEM;
    ph->vals = vals;
    ph->n = (uint32_t)n;
    return 0;
}

/* A rule or placeholder file, whole, capped at SG_MAX_FILE. */
static int read_file(const char *path, char **out, size_t *outlen)
{
    rip_buf b;
    rip_buf_init(&b, 0);
    int rc = rip_input_read(path, SG_MAX_FILE, &b);
    if (rc < 0) {
        rip_buf_release(&b);
        return rc;
    }
    *out = rip_buf_take(&b, outlen);
    return *out ? 0 : RIP_ENOMEM;
}

int rip_sigma_load_placeholders(rip_sigma_ruleset *rs, const char *path)
{
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len);
    if (rc < 0) {
        sg_diag(rs, path, 0, 0, false, "cannot read placeholder file: %s", rip_strerror(rc));
        return rc;
    }
    rip_arena tmp;
    rip_arena_init(&tmp, 0);
    sy_node **docs = NULL;
    uint32_t ndocs = 0, line = 0;
    char err[256];
    const char **vals = NULL;
    rc = sy_parse(&tmp, data, len, &docs, &ndocs, err, sizeof(err), &line);
    if (rc < 0) {
        sg_diag(rs, path, line, 0, false, "%s", err);
        goto out;
    }
    if (ndocs != 1 || docs[0]->kind != SY_MAP) {
        sg_diag(rs, path, ndocs ? docs[0]->line : 0, 0, false,
                "expected one map from placeholder name to a list of values");
        rc = RIP_ESYNTAX;
        goto out;
    }
    const sy_node *m = docs[0];
    for (uint32_t i = 0; i < m->n && rc == 0; i++) {
        const sy_node *k = m->kids[2 * i], *v = m->kids[2 * i + 1];
        uint32_t n = v->kind == SY_SEQ ? v->n : 1;
        const sy_node *const *items = v->kind == SY_SEQ ? (const sy_node *const *)v->kids
                                                        : (const sy_node *const *)&m->kids[2 * i + 1];
        free(vals);
        vals = calloc(n ? n : 1, sizeof(*vals));
        if (!vals) {
            rc = RIP_ENOMEM;
            break;
        }
        for (uint32_t j = 0; j < n; j++) {
            if (items[j]->kind != SY_SCALAR || sy_is_null(items[j])) {
                sg_diag(rs, path, items[j]->line, items[j]->col, false,
                        "expected a value in placeholder '%s'", k->str);
                rc = RIP_ESYNTAX;
                break;
            }
            vals[j] = items[j]->str;
        }
        if (rc == 0 && (rc = rip_sigma_add_placeholder(rs, k->str, vals, n)) < 0)
            sg_diag(rs, path, k->line, k->col, false, "bad placeholder '%s'", k->str);
    }
out:
    free(vals);
    rip_arena_release(&tmp);
    free(data);
    return rc;
}

/* ------------------------------------------------------------------ */
/* loading                                                             */

static int add_rule(rip_sigma_ruleset *rs, rip_sigma_rule *r)
{
    if (rs->n >= SG_MAX_RULES)
        return RIP_ELIMIT;
    if (rs->n == rs->alloc) {
        uint32_t na = rs->alloc ? rs->alloc * 2 : 64;
        rip_sigma_rule **nv = realloc(rs->rules, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        rs->rules = nv;
        rs->alloc = na;
    }
    r->index = rs->n;
    rs->rules[rs->n++] = r;
    return 0;
}

int rip_sigma_load_buffer(rip_sigma_ruleset *rs, const char *name, const char *data, size_t len)
{
    if (rs->compiled)
        return RIP_EINVAL;
    const char *path = rip_arena_strndup(&rs->arena, name, strlen(name));
    if (!path)
        return RIP_ENOMEM;
    if (len > SG_MAX_FILE) {
        sg_diag(rs, path, 0, 0, false, "rule file larger than %zu bytes", SG_MAX_FILE);
        return RIP_ESYNTAX;
    }
    sy_node **docs = NULL;
    uint32_t ndocs = 0, line = 0;
    char err[256];
    int rc = sy_parse(&rs->arena, data, len, &docs, &ndocs, err, sizeof(err), &line);
    if (rc < 0) {
        sg_diag(rs, path, line, 0, false, "%s", err);
        return rc == RIP_ENOMEM ? rc : RIP_ESYNTAX;
    }
    int result = 0;
    for (uint32_t i = 0; i < ndocs; i++) {
        if (sy_is_null(docs[i]))
            continue;   /* an empty document, e.g. a trailing '---' */
        rip_sigma_rule *r = NULL;
        rc = sg_rule_parse(rs, path, docs[i], &r);
        if (rc == RIP_ENOMEM)
            return rc;
        if (rc < 0) {
            result = RIP_ESYNTAX;
            continue;
        }
        if ((rc = add_rule(rs, r)) < 0) {
            sg_diag(rs, path, r->meta.line, 0, false, "%s", rc == RIP_ELIMIT
                    ? "too many rules in the ruleset" : "out of memory");
            return rc;
        }
    }
    return result;
}

static int load_file(rip_sigma_ruleset *rs, const char *path)
{
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len);
    if (rc < 0) {
        sg_diag(rs, path, 0, 0, false, "cannot read: %s", rc == RIP_ELIMIT
                ? "rule file larger than 4 MiB" : rip_strerror(rc));
        return rc;
    }
    rc = rip_sigma_load_buffer(rs, path, data, len);
    free(data);
    return rc;
}

int rip_sigma_load_path(rip_sigma_ruleset *rs, const char *path)
{
    if (rs->compiled)
        return RIP_EINVAL;
    /* Folders are walked like every other input: sorted, depth-capped,
     * links to folders not followed, *.yml and *.yaml kept. */
    rip_input_list files;
    rip_input_list_init(&files);
    int result = rip_input_expand_names(&files, path, rip_input_is_yaml_name);
    if (result < 0)
        sg_diag(rs, path, 0, 0, false, "cannot list: %s", rip_strerror(result));
    for (size_t i = 0; i < files.count && result != RIP_ENOMEM; i++) {
        const rip_input *in = &files.items[i];
        int rc;
        if (in->err) {
            sg_diag(rs, in->path, 0, 0, false, "cannot read: %s", rip_strerror(in->err));
            rc = in->err;
        } else {
            rc = load_file(rs, in->path);
        }
        if (rc < 0 && (result == 0 || rc == RIP_ENOMEM))
            result = rc;
    }
    rip_input_list_release(&files);
    return result;
}

/* ------------------------------------------------------------------ */
/* compile                                                             */

typedef struct litset {
    bool any;
    const char **v;
    uint32_t n, alloc;
} litset;

static int litset_add(litset *s, const char *lit)
{
    for (uint32_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], lit) == 0)
            return 0;
    if (s->n == s->alloc) {
        uint32_t na = s->alloc ? s->alloc * 2 : 8;
        const char **nv = realloc(s->v, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        s->v = nv;
        s->alloc = na;
    }
    s->v[s->n++] = lit;
    return 0;
}

static void litset_free(litset *s)
{
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* Literal values field must have for map m to match; any when unconstrained. */
static int map_req(rip_sigma_ruleset *rs, const sg_map *m, uint32_t field, litset *out)
{
    for (uint32_t i = 0; i < m->n; i++) {
        const sg_item *it = &m->items[i];
        if (it->field != field || it->npats == 0 || (it->all && it->ngroups > 1))
            continue;
        bool ok = true;
        for (uint32_t k = 0; k < it->npats && ok; k++)
            ok = it->pats[k].type == PM_EQ;
        if (!ok)
            continue;
        for (uint32_t k = 0; k < it->npats; k++) {
            const sg_pat *p = &it->pats[k];
            char *lit = rip_arena_strndup(&rs->arena, p->lit, p->len);
            if (!lit)
                return RIP_ENOMEM;
            for (uint32_t j = 0; j < p->len; j++)
                lit[j] = (char)sg_fold[(unsigned char)lit[j]];
            if (strlen(lit) != p->len) {   /* NUL inside: cannot be a hash key */
                out->any = true;
                return 0;
            }
            if (litset_add(out, lit) < 0)
                return RIP_ENOMEM;
        }
        return 0;
    }
    out->any = true;
    return 0;
}

static int cond_req(rip_sigma_ruleset *rs, const rip_sigma_rule *r, const sg_cond *c,
                    uint32_t field, litset *out)
{
    int rc = 0;
    switch (c->op) {
    case CN_SEL: {
        const sg_sel *s = &r->sels[c->sel];
        for (uint32_t i = 0; i < s->n && !out->any && rc == 0; i++)
            rc = map_req(rs, &s->maps[i], field, out);
        return rc;
    }
    case CN_OR:
        for (uint32_t i = 0; i < c->n && !out->any && rc == 0; i++)
            rc = cond_req(rs, r, c->kids[i], field, out);
        return rc;
    case CN_AND: {
        litset best = { .any = true };
        for (uint32_t i = 0; i < c->n && rc == 0; i++) {
            litset s = { 0 };
            rc = cond_req(rs, r, c->kids[i], field, &s);
            if (rc == 0 && !s.any && (best.any || s.n < best.n)) {
                litset_free(&best);
                best = s;
            } else {
                litset_free(&s);
            }
        }
        if (rc == 0 && best.any)
            out->any = true;
        for (uint32_t i = 0; rc == 0 && !best.any && i < best.n; i++)
            rc = litset_add(out, best.v[i]);
        litset_free(&best);
        return rc;
    }
    default:
        out->any = true;
        return 0;
    }
}

static int list_add(sg_rulelist *l, uint32_t rule)
{
    if (l->n && l->v[l->n - 1] == rule)
        return 0;
    if (l->n == l->alloc) {
        uint32_t na = l->alloc ? l->alloc * 2 : 4;
        uint32_t *nv = realloc(l->v, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        l->v = nv;
        l->alloc = na;
    }
    l->v[l->n++] = rule;
    return 0;
}

static int tab_add(rip_sigma_ruleset *rs, sg_strtab *t, const char *key, uint32_t rule)
{
    uint32_t li = sg_strtab_get(t, key, strlen(key), false);
    if (li == UINT32_MAX) {
        if (rs->nlists == rs->listalloc) {
            uint32_t na = rs->listalloc ? rs->listalloc * 2 : 64;
            sg_rulelist *nv = realloc(rs->lists, na * sizeof(*nv));
            if (!nv)
                return RIP_ENOMEM;
            rs->lists = nv;
            rs->listalloc = na;
        }
        li = rs->nlists++;
        memset(&rs->lists[li], 0, sizeof(rs->lists[li]));
        if (sg_strtab_put(t, key, li) < 0)
            return RIP_ENOMEM;
    }
    return list_add(&rs->lists[li], rule);
}

static int dispatch_rule(rip_sigma_ruleset *rs, rip_sigma_rule *r)
{
    int rc = 0;
    for (uint32_t f = 0; f < RIP_FORMAT__COUNT && rc == 0; f++) {
        if (!(r->formats & (1u << f)))
            continue;
        if (f != RIP_FORMAT_CLOUDTRAIL) {
            rc = list_add(&rs->always[f], r->index);
            continue;
        }
        uint32_t fields[2] = { rs->f_event_name, rs->f_event_source };
        sg_strtab *tabs[2] = { &rs->by_name, &rs->by_source };
        bool placed = false;
        for (int k = 0; k < 2 && !placed && rc == 0; k++) {
            litset s = { 0 };
            for (uint32_t c = 0; c < r->ncond && !s.any && rc == 0; c++)
                rc = cond_req(rs, r, r->conds[c], fields[k], &s);
            if (r->near_cond && !s.any && rc == 0)   /* near hits are delivered too */
                rc = cond_req(rs, r, r->near_cond, fields[k], &s);
            if (rc == 0 && !s.any && s.n) {
                for (uint32_t i = 0; i < s.n && rc == 0; i++)
                    rc = tab_add(rs, tabs[k], s.v[i], r->index);
                r->dispatch_field = fields[k];
                placed = true;
            }
            litset_free(&s);
        }
        if (rc == 0 && !placed)
            rc = list_add(&rs->always[f], r->index);
    }
    return rc;
}

static const rip_sigma_rule *find_ref(const rip_sigma_ruleset *rs, const char *ref)
{
    for (uint32_t i = 0; i < rs->n; i++) {
        const rip_sigma_rule *r = rs->rules[i];
        if ((r->meta.name && strcmp(r->meta.name, ref) == 0) ||
            (r->meta.id && strcmp(r->meta.id, ref) == 0))
            return r;
    }
    return NULL;
}

int rip_sigma_compile(rip_sigma_ruleset *rs)
{
    if (rs->compiled)
        return RIP_EINVAL;
    int result = 0;
    rs->f_event_name = sg_field_intern(rs, "eventName");
    rs->f_event_source = sg_field_intern(rs, "eventSource");
    if (rs->f_event_name == UINT32_MAX || rs->f_event_source == UINT32_MAX)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < rs->n; i++) {
        rip_sigma_rule *r = rs->rules[i];
        if (r->nsel > rs->max_sel)
            rs->max_sel = r->nsel;
        if (r->meta.kind != RIP_SIGMA_CORRELATION)
            continue;
        const rip_sigma_rule **res = rip_arena_calloc(&rs->arena, r->corr.rules.n,
                                                      sizeof(*res));
        if (!res)
            return RIP_ENOMEM;
        for (uint32_t k = 0; k < r->corr.rules.n; k++) {
            const char *ref = r->corr.rules.v[k];
            res[k] = find_ref(rs, ref);
            if (!res[k]) {
                sg_diag(rs, r->meta.path, r->meta.line, 0, false,
                        "correlation '%s' refers to rule '%s', which is not loaded",
                        r->meta.title, ref);
                result = RIP_ESYNTAX;
            } else if (res[k] == r) {
                sg_diag(rs, r->meta.path, r->meta.line, 0, false,
                        "correlation '%s' refers to itself", r->meta.title);
                res[k] = NULL;
                result = RIP_ESYNTAX;
            } else if (!r->corr.generate) {
                ((rip_sigma_rule *)res[k])->report = false;
            }
        }
        r->corr.resolved = res;
    }
    for (uint32_t i = 0; i < rs->n; i++) {
        rip_sigma_rule *r = rs->rules[i];
        if (r->meta.kind == RIP_SIGMA_CORRELATION)
            continue;
        int rc = dispatch_rule(rs, r);
        if (rc < 0)
            return rc;
    }
    for (uint32_t i = 0; i < rs->nres; i++)
        pcre2_jit_compile(rs->res[i], PCRE2_JIT_COMPLETE);   /* falls back to the interpreter */
    rs->compiled = true;
    return result;
}

int rip_sigma_validate(const char *const *paths, size_t npaths, const char *placeholders,
                       rip_sigma_diag_fn diag, void *ud, uint32_t *nrules)
{
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(diag, ud);
    if (!rs)
        return RIP_ENOMEM;
    int result = 0, rc;
    if (placeholders && (rc = rip_sigma_load_placeholders(rs, placeholders)) < 0)
        result = rc;
    for (size_t i = 0; i < npaths && result != RIP_ENOMEM; i++) {
        rc = rip_sigma_load_path(rs, paths[i]);
        if (rc < 0 && (result == 0 || result == RIP_ESYNTAX))
            result = rc;
    }
    if (result != RIP_ENOMEM) {
        rc = rip_sigma_compile(rs);
        if (rc < 0 && result == 0)
            result = rc;
    }
    if (nrules)
        *nrules = rs->n;
    rip_sigma_ruleset_free(rs);
    return result;
}
