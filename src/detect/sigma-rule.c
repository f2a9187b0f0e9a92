/* sigma-rule.c — one YAML document → one rule: metadata, logsource,
 * selections with their modifiers compiled into patterns, conditions, and
 * correlation (v2) or aggregation (v1) definitions.
 *
 * Modifiers are a table (sg_modifiers): each row names a modifier, says
 * what it does and has the setup function that records it in the field's
 * sg_modstate. Values are then turned into patterns by value_patterns()
 * according to that state. The first problem in a rule is reported with
 * the line of the offending node and the rule is rejected.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "detect/sigma-int.h"
#include "util/err.h"

typedef struct rparse {
    rip_sigma_ruleset *rs;
    rip_arena *a;
    const char *path;
    rip_sigma_rule *r;
} rparse;

/* Reports an error at node n and evaluates to RIP_ESYNTAX. */
#define RFAIL(rp, n, ...) \
    (sg_diag((rp)->rs, (rp)->path, (n) ? (n)->line : 0, (n) ? (n)->col : 0, false, __VA_ARGS__), \
     RIP_ESYNTAX)

static const char *kind_name(const sy_node *n)
{
    if (!n)
        return "nothing";
    if (n->kind == SY_MAP)
        return "a map";
    if (n->kind == SY_SEQ)
        return "a list";
    return sy_is_null(n) ? "null" : "a value";
}

/* ------------------------------------------------------------------ */
/* metadata                                                            */

static int meta_str(rparse *rp, const sy_node *doc, const char *key, const char **out)
{
    const sy_node *v = sy_get(doc, key);
    if (!v || sy_is_null(v))
        return 0;
    if (v->kind != SY_SCALAR)
        return RFAIL(rp, v, "expected a string for '%s', found %s", key, kind_name(v));
    *out = v->str;
    return 0;
}

static int meta_list(rparse *rp, const sy_node *doc, const char *key, rip_sigma_strs *out)
{
    const sy_node *v = sy_get(doc, key);
    if (!v || sy_is_null(v))
        return 0;
    if (v->kind == SY_SCALAR) {
        const char **arr = rip_arena_alloc(rp->a, sizeof(*arr));
        if (!arr)
            return RIP_ENOMEM;
        arr[0] = v->str;
        out->v = arr;
        out->n = 1;
        return 0;
    }
    if (v->kind != SY_SEQ)
        return RFAIL(rp, v, "expected a list of strings for '%s', found %s", key, kind_name(v));
    const char **arr = rip_arena_calloc(rp->a, v->n ? v->n : 1, sizeof(*arr));
    if (!arr)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < v->n; i++) {
        const sy_node *e = v->kids[i];
        if (e->kind != SY_SCALAR)
            return RFAIL(rp, e, "expected a string in '%s', found %s", key, kind_name(e));
        arr[i] = e->str;
    }
    out->v = arr;
    out->n = v->n;
    return 0;
}

static const char *const level_names[] = {
    [RIP_SIGMA_LEVEL_NONE] = "",
    [RIP_SIGMA_LEVEL_INFORMATIONAL] = "informational",
    [RIP_SIGMA_LEVEL_LOW] = "low",
    [RIP_SIGMA_LEVEL_MEDIUM] = "medium",
    [RIP_SIGMA_LEVEL_HIGH] = "high",
    [RIP_SIGMA_LEVEL_CRITICAL] = "critical",
};

const char *rip_sigma_level_name(rip_sigma_level l)
{
    if ((unsigned)l >= sizeof(level_names) / sizeof(level_names[0]))
        return "";
    return level_names[l];
}

int rip_sigma_level_parse(const char *s, rip_sigma_level *out)
{
    for (int i = RIP_SIGMA_LEVEL_INFORMATIONAL; i <= RIP_SIGMA_LEVEL_CRITICAL; i++) {
        if (strcasecmp(s, level_names[i]) == 0) {
            *out = (rip_sigma_level)i;
            return 0;
        }
    }
    return RIP_EINVAL;
}

/* ------------------------------------------------------------------ */
/* logsource                                                           */

#define FMT_BIT(f) (1u << (f))

/* Which riposte inputs a logsource admits. */
static const struct logsource_row {
    const char *product;
    const char *service;      /* NULL: any service (or none) */
    uint32_t formats;
} logsource_table[] = {
    { "aws", "cloudtrail", FMT_BIT(RIP_FORMAT_CLOUDTRAIL) },
    { "aws", "guardduty", FMT_BIT(RIP_FORMAT_GUARDDUTY) },
    { "aws", "securityhub", FMT_BIT(RIP_FORMAT_ASFF) },
    { "gcp", "gcp.audit", FMT_BIT(RIP_FORMAT_GCP_AUDIT) },
    { "gcp", "audit", FMT_BIT(RIP_FORMAT_GCP_AUDIT) },
};

/* Field names of the Sigma rule corpus that are not paths into the record
 * riposte keeps, mapped to the path (a small processing pipeline). A
 * mapping whose `from` ends in '.' renames a prefix. */
static const struct fieldmap_row {
    const char *product;
    const char *from;
    const char *to;
} fieldmap_table[] = {
    { "gcp", "gcp.audit.method_name", "protoPayload.methodName" },
    { "gcp", "gcp.audit.resource_name", "protoPayload.resourceName" },
    { "gcp", "gcp.audit.service_name", "protoPayload.serviceName" },
    { "gcp", "gcp.audit.authentication_info.principal_email",
      "protoPayload.authenticationInfo.principalEmail" },
    { "gcp", "data.", "" },          /* Pub/Sub log sink envelope: the entry is `data` */
    { "aws", "src_ip", "sourceIPAddress" },
};

static int logsource_parse(rparse *rp, const sy_node *doc)
{
    rip_sigma_rule *r = rp->r;
    const sy_node *ls = sy_get(doc, "logsource");
    if (!ls)
        return RFAIL(rp, doc, "missing 'logsource' (expected product and service)");
    if (ls->kind != SY_MAP)
        return RFAIL(rp, ls, "expected a map for 'logsource', found %s", kind_name(ls));
    int rc;
    if ((rc = meta_str(rp, ls, "product", &r->meta.product)) < 0 ||
        (rc = meta_str(rp, ls, "service", &r->meta.service)) < 0 ||
        (rc = meta_str(rp, ls, "category", &r->meta.category)) < 0)
        return rc;
    const char *prod = r->meta.product, *svc = r->meta.service;
    r->formats = 0;
    for (size_t i = 0; prod && i < sizeof(logsource_table) / sizeof(logsource_table[0]); i++) {
        const struct logsource_row *row = &logsource_table[i];
        if (strcasecmp(prod, row->product) != 0)
            continue;
        if (svc ? strcasecmp(svc, row->service) == 0 : !r->meta.category)
            r->formats |= row->formats;
    }
    if (!r->formats)
        sg_diag(rp->rs, rp->path, ls->line, ls->col, true,
                "logsource '%s/%s%s%s' matches no input riposte reads; the rule never fires",
                prod ? prod : "", svc ? svc : "", r->meta.category ? "/" : "",
                r->meta.category ? r->meta.category : "");
    return 0;
}

static const char *map_field(rparse *rp, const char *name)
{
    const char *prod = rp->r->meta.product;
    if (!prod)
        return name;
    for (size_t i = 0; i < sizeof(fieldmap_table) / sizeof(fieldmap_table[0]); i++) {
        const struct fieldmap_row *row = &fieldmap_table[i];
        if (strcasecmp(prod, row->product) != 0)
            continue;
        size_t fl = strlen(row->from);
        if (row->from[fl - 1] == '.') {
            if (strncmp(name, row->from, fl) == 0 && name[fl]) {
                size_t tl = strlen(row->to), rest = strlen(name + fl);
                char *s = rip_arena_alloc(rp->a, tl + rest + 1);
                if (!s)
                    return NULL;
                memcpy(s, row->to, tl);
                memcpy(s + tl, name + fl, rest + 1);
                return s;
            }
        } else if (strcmp(name, row->from) == 0) {
            return row->to;
        }
    }
    return name;
}

/* ------------------------------------------------------------------ */
/* modifiers                                                           */

typedef enum sg_mt {
    MT_EQ = 0, MT_CONTAINS, MT_STARTS, MT_ENDS, MT_RE, MT_CIDR, MT_NUM, MT_EXISTS,
} sg_mt;

typedef struct sg_modstate {
    uint8_t match;            /* sg_mt */
    const char *match_by;     /* modifier that set match */
    uint8_t cmp;              /* MT_NUM */
    bool all, cased, b64, b64off, expand, fieldref;
    uint32_t re_flags;
} sg_modstate;

typedef struct sg_modifier {
    const char *name;
    const char *description;
    int (*setup)(sg_modstate *st, const struct sg_modifier *self, char *err, size_t errlen);
    uint32_t arg;             /* row-specific: match type, comparison or regex flag */
} sg_modifier;

static int set_match(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    if (st->match != MT_EQ && st->match != self->arg) {
        snprintf(err, errlen, "modifier '%s' cannot be combined with '%s'", self->name, st->match_by);
        return RIP_ESYNTAX;
    }
    st->match = (uint8_t)self->arg;
    st->match_by = self->name;
    return 0;
}

static int mod_string(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    return set_match(st, self, err, errlen);
}

static int mod_num(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    int rc = set_match(st, &(sg_modifier){ self->name, NULL, NULL, MT_NUM }, err, errlen);
    if (rc == 0 && st->cmp && st->cmp != self->arg) {
        snprintf(err, errlen, "modifier '%s' cannot be combined with another comparison", self->name);
        return RIP_ESYNTAX;
    }
    st->cmp = (uint8_t)self->arg;
    return rc;
}

static int mod_re_flag(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    if (st->match != MT_RE) {
        snprintf(err, errlen, "modifier '%s' applies only after 're'", self->name);
        return RIP_ESYNTAX;
    }
    st->re_flags |= self->arg;
    return 0;
}

static int mod_all(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    (void)self, (void)err, (void)errlen;
    st->all = true;
    return 0;
}

static int mod_cased(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    (void)self, (void)err, (void)errlen;
    st->cased = true;
    return 0;
}

static int mod_base64(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    if (st->b64 || st->b64off || st->match != MT_EQ) {
        snprintf(err, errlen, "modifier '%s' must come before contains/startswith/endswith "
                 "and appear once", self->name);
        return RIP_ESYNTAX;
    }
    if (self->arg)
        st->b64off = true;
    else
        st->b64 = true;
    return 0;
}

static int mod_expand(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    (void)self, (void)err, (void)errlen;
    st->expand = true;
    return 0;
}

static int mod_fieldref(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    (void)self, (void)err, (void)errlen;
    st->fieldref = true;
    return 0;
}

static int mod_exists(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    return set_match(st, self, err, errlen);
}

static int mod_reject(sg_modstate *st, const sg_modifier *self, char *err, size_t errlen)
{
    (void)st;
    snprintf(err, errlen, "modifier '%s' does not apply to cloud logs (%s)", self->name,
             self->description);
    return RIP_ESYNTAX;
}

static const sg_modifier sg_modifiers[] = {
    { "contains", "the value appears anywhere in the field", mod_string, MT_CONTAINS },
    { "startswith", "the field starts with the value", mod_string, MT_STARTS },
    { "endswith", "the field ends with the value", mod_string, MT_ENDS },
    { "all", "every value of the list must match (default: any)", mod_all, 0 },
    { "re", "the value is a PCRE2 regular expression, searched unanchored", mod_string, MT_RE },
    { "i", "re: case-insensitive", mod_re_flag, PCRE2_CASELESS },
    { "m", "re: ^ and $ match at line breaks", mod_re_flag, PCRE2_MULTILINE },
    { "s", "re: '.' matches line breaks", mod_re_flag, PCRE2_DOTALL },
    { "cidr", "the field is an IPv4 or IPv6 address inside the network", mod_string, MT_CIDR },
    { "base64", "the value is base64-encoded before matching", mod_base64, 0 },
    { "base64offset", "the value is base64-encoded at each of the three offsets", mod_base64, 1 },
    { "exists", "the field is present (true) or absent (false)", mod_exists, MT_EXISTS },
    { "gt", "the field is a number greater than the value", mod_num, RIP_SIGMA_CMP_GT },
    { "gte", "the field is a number greater than or equal to the value", mod_num, RIP_SIGMA_CMP_GTE },
    { "lt", "the field is a number less than the value", mod_num, RIP_SIGMA_CMP_LT },
    { "lte", "the field is a number less than or equal to the value", mod_num, RIP_SIGMA_CMP_LTE },
    { "fieldref", "the value names another field of the same event to compare with", mod_fieldref, 0 },
    { "expand", "%name% placeholders in the value are replaced by the placeholder's values", mod_expand, 0 },
    { "cased", "match case-sensitively (default: ASCII case-insensitive)", mod_cased, 0 },
    { "windash", "Windows command-line dashes", mod_reject, 0 },
    { "wide", "UTF-16 encoding of Windows logs", mod_reject, 0 },
    { "utf16", "UTF-16 encoding of Windows logs", mod_reject, 0 },
    { "utf16le", "UTF-16 encoding of Windows logs", mod_reject, 0 },
    { "utf16be", "UTF-16 encoding of Windows logs", mod_reject, 0 },
};

static const sg_modifier *modifier_find(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof(sg_modifiers) / sizeof(sg_modifiers[0]); i++)
        if (strlen(sg_modifiers[i].name) == len && memcmp(sg_modifiers[i].name, name, len) == 0)
            return &sg_modifiers[i];
    return NULL;
}

/* ------------------------------------------------------------------ */
/* values → patterns                                                   */

typedef struct patvec {
    sg_pat *v;
    uint32_t n, alloc;
} patvec;

static sg_pat *patvec_add(patvec *pv)
{
    if (pv->n == pv->alloc) {
        uint32_t na = pv->alloc ? pv->alloc * 2 : 4;
        sg_pat *nv = realloc(pv->v, na * sizeof(*nv));
        if (!nv)
            return NULL;
        pv->v = nv;
        pv->alloc = na;
    }
    sg_pat *p = &pv->v[pv->n++];
    memset(p, 0, sizeof(*p));
    return p;
}

/* Turns a token string (bytes and SG_GLOB_*) into the cheapest pattern. */
static int pat_from_tokens(rparse *rp, sg_pat *p, int16_t *t, uint32_t n, bool cased)
{
    /* collapse runs of '*' */
    uint32_t w = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (t[i] == SG_GLOB_STAR && w && t[w - 1] == SG_GLOB_STAR)
            continue;
        t[w++] = cased || t[i] < 0 ? t[i] : (int16_t)sg_fold[(unsigned char)t[i]];
    }
    n = w;
    p->cased = cased;
    uint32_t stars = 0, qmarks = 0;
    for (uint32_t i = 0; i < n; i++) {
        stars += t[i] == SG_GLOB_STAR;
        qmarks += t[i] == SG_GLOB_QMARK;
    }
    bool lead = n && t[0] == SG_GLOB_STAR, trail = n && t[n - 1] == SG_GLOB_STAR;
    uint32_t inner = stars - lead - (trail && n > 1 ? 1 : 0);
    if (n && stars == n) {
        p->type = PM_ANY;
        return 0;
    }
    if (qmarks == 0 && inner == 0) {
        uint32_t from = lead, to = n - (trail ? 1 : 0);
        char *s = rip_arena_alloc(rp->a, to - from + 1);
        if (!s)
            return RIP_ENOMEM;
        for (uint32_t i = from; i < to; i++)
            s[i - from] = (char)t[i];
        s[to - from] = '\0';
        p->lit = s;
        p->len = to - from;
        p->type = lead && trail ? PM_CONTAINS : lead ? PM_SUFFIX : trail ? PM_PREFIX : PM_EQ;
        return 0;
    }
    int16_t *g = rip_arena_alloc(rp->a, n * sizeof(*g));
    if (!g)
        return RIP_ENOMEM;
    memcpy(g, t, n * sizeof(*g));
    p->type = PM_GLOB;
    p->glob = g;
    p->glen = n;
    return 0;
}

/* A value's text → tokens; with wild, '*' and '?' are wildcards and '\'
 * escapes '*', '?' and '\' (a '\' before anything else is itself). */
static uint32_t tokenize(const char *s, size_t len, bool wild, int16_t *out)
{
    uint32_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (wild && c == '\\' && i + 1 < len &&
            (s[i + 1] == '*' || s[i + 1] == '?' || s[i + 1] == '\\')) {
            out[n++] = (int16_t)(unsigned char)s[++i];
        } else if (wild && c == '*') {
            out[n++] = SG_GLOB_STAR;
        } else if (wild && c == '?') {
            out[n++] = SG_GLOB_QMARK;
        } else {
            out[n++] = (int16_t)c;
        }
    }
    return n;
}

static int string_pattern(rparse *rp, const sg_modstate *st, const char *s, size_t len,
                          bool wild, bool cased, uint32_t group, patvec *pv)
{
    int16_t *t = malloc((len + 2) * sizeof(*t));
    if (!t)
        return RIP_ENOMEM;
    uint32_t n = 0;
    if (st->match == MT_CONTAINS || st->match == MT_ENDS)
        t[n++] = SG_GLOB_STAR;
    n += tokenize(s, len, wild, t + n);
    if (st->match == MT_CONTAINS || st->match == MT_STARTS)
        t[n++] = SG_GLOB_STAR;
    sg_pat *p = patvec_add(pv);
    int rc = p ? pat_from_tokens(rp, p, t, n, cased) : RIP_ENOMEM;
    if (p)
        p->group = group;
    free(t);
    return rc;
}

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *base64(const unsigned char *in, size_t len, size_t *outlen)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= in[i + 2];
        out[o++] = b64chars[(v >> 18) & 63];
        out[o++] = b64chars[(v >> 12) & 63];
        out[o++] = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < len ? b64chars[v & 63] : '=';
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* base64 / base64offset variants of one string value. */
static int base64_patterns(rparse *rp, const sg_modstate *st, const char *s, size_t len,
                           uint32_t group, patvec *pv)
{
    int rc = 0;
    if (!st->b64off) {
        size_t bl;
        char *b = base64((const unsigned char *)s, len, &bl);
        if (!b)
            return RIP_ENOMEM;
        /* a contained value cannot carry its padding */
        if (st->match == MT_CONTAINS || st->match == MT_STARTS)
            while (bl && b[bl - 1] == '=')
                bl--;
        rc = string_pattern(rp, st, b, bl, false, true, group, pv);
        free(b);
        return rc;
    }
    /* The value shifted by 0, 1 or 2 bytes inside a longer base64 text:
     * encode with that many leading filler bytes, drop the characters the
     * filler influenced, and drop the trailing characters that depend on
     * bytes after the value. */
    static const size_t start_cut[3] = { 0, 2, 3 };
    static const size_t end_cut[3] = { 0, 3, 2 };
    for (size_t off = 0; off < 3 && rc == 0; off++) {
        unsigned char *buf = malloc(len + 3);
        if (!buf)
            return RIP_ENOMEM;
        memset(buf, ' ', off);
        memcpy(buf + off, s, len);
        size_t bl;
        char *b = base64(buf, len + off, &bl);
        free(buf);
        if (!b)
            return RIP_ENOMEM;
        size_t cut_end = end_cut[(len + off) % 3];
        size_t from = start_cut[off];
        size_t to = bl >= cut_end ? bl - cut_end : 0;
        if (to > from) {
            sg_modstate cst = *st;
            if (cst.match == MT_EQ)
                cst.match = MT_CONTAINS;
            rc = string_pattern(rp, &cst, b + from, to - from, false, true, group, pv);
        }
        free(b);
    }
    return rc;
}

static int cidr_parse(const char *s, sg_pat *p)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t al = slash ? (size_t)(slash - s) : strlen(s);
    if (al == 0 || al >= sizeof(buf))
        return RIP_EINVAL;
    memcpy(buf, s, al);
    buf[al] = '\0';
    int maxbits;
    if (inet_pton(AF_INET, buf, p->addr) == 1) {
        p->family = 4;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
        p->family = 6;
        maxbits = 128;
    } else {
        return RIP_EINVAL;
    }
    long bits = maxbits;
    if (slash) {
        char *end;
        errno = 0;
        if (!isdigit((unsigned char)slash[1]))
            return RIP_EINVAL;
        bits = strtol(slash + 1, &end, 10);
        if (errno || *end || bits < 0 || bits > maxbits)
            return RIP_EINVAL;
    }
    p->bits = (uint8_t)bits;
    return 0;
}

typedef struct strvec {
    char **v;
    uint32_t n, alloc;
} strvec;

static int strvec_push(rparse *rp, const sy_node *vn, strvec *sv, const char *a, size_t al,
                       const char *b, size_t bl)
{
    if (sv->n >= SG_MAX_EXPANDED)
        return RFAIL(rp, vn, "expansion of '%s' yields more than %d values", vn->str,
                     SG_MAX_EXPANDED);
    if (sv->n == sv->alloc) {
        uint32_t na = sv->alloc ? sv->alloc * 2 : 8;
        char **nv = realloc(sv->v, na * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        sv->v = nv;
        sv->alloc = na;
    }
    char *s = rip_arena_alloc(rp->a, al + bl + 1);
    if (!s)
        return RIP_ENOMEM;
    memcpy(s, a, al);
    memcpy(s + al, b, bl);
    s[al + bl] = '\0';
    sv->v[sv->n++] = s;
    return 0;
}

/* Replaces the %name% placeholders of rest (left to right) and appends every
 * resulting string, prefixed by done, to sv. Placeholder values are not
 * expanded again. */
static int expand_value(rparse *rp, const sy_node *vn, const char *done, size_t dlen,
                        const char *rest, size_t rlen, strvec *sv)
{
    const char *p1 = memchr(rest, '%', rlen);
    const char *p2 = p1 ? memchr(p1 + 1, '%', rlen - (size_t)(p1 + 1 - rest)) : NULL;
    if (!p2)
        return strvec_push(rp, vn, sv, done, dlen, rest, rlen);
    const sg_placeholder *ph = sg_placeholder_find(rp->rs, p1 + 1, (size_t)(p2 - p1 - 1));
    if (!ph)
        return RFAIL(rp, vn, "placeholder '%.*s' is not defined (give a placeholder file)",
                     (int)(p2 - p1 + 1), p1);
    size_t pre = (size_t)(p1 - rest);
    for (uint32_t i = 0; i < ph->n; i++) {
        size_t vl = strlen(ph->vals[i]);
        char *buf = malloc(dlen + pre + vl + 1);
        if (!buf)
            return RIP_ENOMEM;
        memcpy(buf, done, dlen);
        memcpy(buf + dlen, rest, pre);
        memcpy(buf + dlen + pre, ph->vals[i], vl);
        int rc = expand_value(rp, vn, buf, dlen + pre + vl, p2 + 1,
                              rlen - (size_t)(p2 + 1 - rest), sv);
        free(buf);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The longest run of literal bytes that every match of the regex re must
 * contain, found conservatively: 0 unless the regex is case-sensitive and
 * has no alternation; the scan stops at the first group, class, counted
 * repeat or escape it does not understand, and a byte made optional by a
 * following '?' or '*' is not counted. The matcher skips PCRE2 when the
 * subject does not contain the run (it could not match). Writes at most
 * cap bytes to out; returns their number. */
static size_t re_required_literal(const char *re, size_t len, uint32_t flags, char *out,
                                  size_t cap)
{
    char run[128];
    size_t n = 0, best = 0;
    if ((flags & (PCRE2_CASELESS | PCRE2_EXTENDED | PCRE2_EXTENDED_MORE)) ||
        memchr(re, '|', len))
        return 0;
    if (cap > sizeof(run))
        cap = sizeof(run);
#define COMMIT() do { if (n > best) { memcpy(out, run, n); best = n; } n = 0; } while (0)
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)re[i];
        if (c == '*' || c == '?') {
            if (n)
                n--;           /* the byte before may be absent */
            COMMIT();
        } else if (c == '+') {
            COMMIT();          /* the byte before is there at least once */
        } else if (c == '.' || c == '^' || c == '$') {
            COMMIT();
        } else if (c == '\\' && i + 1 < len && (unsigned char)re[i + 1] < 0x80 &&
                   (unsigned char)re[i + 1] > 0x20 && !isalnum((unsigned char)re[i + 1])) {
            /* An escaped punctuation character stands for itself. */
            if (n == cap)
                COMMIT();
            run[n++] = re[++i];
        } else if (c > 0x20 && c < 0x7f && c != '\\' && c != '(' && c != ')' && c != '[' &&
                   c != ']' && c != '{' && c != '}') {
            if (n == cap)
                COMMIT();
            run[n++] = (char)c;
        } else {
            /* A group, class, counted repeat, escape with a meaning or a
             * byte outside printable ASCII: stop here. A '{' may make the
             * byte before it optional. */
            if (c == '{' && n)
                n--;
            break;
        }
    }
    COMMIT();
#undef COMMIT
    return best;
}

/* One string (after expansion) → patterns per the modifier state. */
static int one_string(rparse *rp, const sg_modstate *st, const sy_node *vn, const char *field,
                      const char *s, uint32_t group, patvec *pv)
{
    size_t len = strlen(s);
    sg_pat *p;
    switch (st->match) {
    case MT_RE: {
        if (len > SG_MAX_REGEX)
            return RFAIL(rp, vn, "regular expression for field '%s' longer than %d bytes",
                         field, SG_MAX_REGEX);
        int ecode;
        PCRE2_SIZE eoff;
        uint32_t flags = st->re_flags | PCRE2_UTF | PCRE2_MATCH_INVALID_UTF;
        pcre2_code *re = pcre2_compile((PCRE2_SPTR)s, len, flags, &ecode, &eoff, NULL);
        if (!re) {
            char msg[160];
            pcre2_get_error_message(ecode, (PCRE2_UCHAR *)msg, sizeof(msg));
            return RFAIL(rp, vn, "bad regular expression for field '%s' at offset %zu: %s",
                         field, (size_t)eoff, msg);
        }
        if (sg_keep_regex(rp->rs, re) < 0) {
            pcre2_code_free(re);
            return RIP_ENOMEM;
        }
        if (!(p = patvec_add(pv)))
            return RIP_ENOMEM;
        p->type = PM_RE;
        p->re = re;
        p->cased = true;
        p->group = group;
        char lit[128];
        size_t ln = re_required_literal(s, len, flags, lit, sizeof(lit));
        if (ln) {
            char *l = rip_arena_alloc(rp->a, ln);
            if (!l)
                return RIP_ENOMEM;
            memcpy(l, lit, ln);
            p->relit = l;
            p->relit_len = (uint32_t)ln;
        }
        return 0;
    }
    case MT_CIDR:
        if (!(p = patvec_add(pv)))
            return RIP_ENOMEM;
        if (cidr_parse(s, p) < 0)
            return RFAIL(rp, vn, "expected an IPv4 or IPv6 network like 10.0.0.0/8 for "
                         "field '%s', found '%s'", field, s);
        p->type = PM_CIDR;
        p->group = group;
        return 0;
    case MT_NUM: {
        char *end;
        errno = 0;
        double d = strtod(s, &end);
        if (len == 0 || *end || errno || !isfinite(d))
            return RFAIL(rp, vn, "expected a number for field '%s', found '%s'", field, s);
        if (!(p = patvec_add(pv)))
            return RIP_ENOMEM;
        p->type = PM_NUM;
        p->num = d;
        p->cmp = st->cmp;
        p->group = group;
        return 0;
    }
    default:
        break;
    }
    if (st->b64 || st->b64off)
        return base64_patterns(rp, st, s, len, group, pv);
    return string_pattern(rp, st, s, len, true, st->cased, group, pv);
}

/* The values of one `field|mods:` key → an item. */
static int item_parse(rparse *rp, const sy_node *key, const sy_node *val, sg_item *it)
{
    const char *spec = key->str;
    const char *bar = strchr(spec, '|');
    size_t flen = bar ? (size_t)(bar - spec) : strlen(spec);
    char *fname = rip_arena_strndup(rp->a, spec, flen);
    if (!fname)
        return RIP_ENOMEM;
    it->name = fname;

    sg_modstate st;
    memset(&st, 0, sizeof(st));
    st.match_by = "";
    while (bar) {
        const char *m = bar + 1;
        bar = strchr(m, '|');
        size_t ml = bar ? (size_t)(bar - m) : strlen(m);
        const sg_modifier *mod = modifier_find(m, ml);
        if (!mod)
            return RFAIL(rp, key, "unknown modifier '%.*s' on field '%s'", (int)ml, m, fname);
        char err[200];
        if (mod->setup(&st, mod, err, sizeof(err)) < 0)
            return RFAIL(rp, key, "%s on field '%s'", err, fname);
    }
    if (st.fieldref && (st.match == MT_RE || st.match == MT_CIDR || st.match == MT_NUM ||
                        st.match == MT_EXISTS || st.b64 || st.b64off || st.expand))
        return RFAIL(rp, key, "modifier 'fieldref' cannot be combined with '%s' on field '%s'",
                     st.b64 || st.b64off ? "base64" : st.expand ? "expand" : st.match_by, fname);
    if ((st.b64 || st.b64off) && st.match != MT_EQ && st.match != MT_CONTAINS &&
        st.match != MT_STARTS && st.match != MT_ENDS)
        return RFAIL(rp, key, "modifier 'base64' cannot be combined with '%s' on field '%s'",
                     st.match_by, fname);

    if (flen == 0) {
        it->field = SG_FIELD_KEYWORDS;
        if (st.match == MT_EQ)
            st.match = MT_CONTAINS;
    } else {
        const char *path = map_field(rp, fname);
        if (!path)
            return RIP_ENOMEM;
        it->field = sg_field_intern(rp->rs, path);
        if (it->field == UINT32_MAX)
            return RIP_ENOMEM;
    }
    it->all = st.all;

    /* the list of values */
    const sy_node *one[1] = { val };
    const sy_node *const *vals = one;
    uint32_t nvals = 1;
    if (val->kind == SY_SEQ) {
        vals = (const sy_node *const *)val->kids;
        nvals = val->n;
    } else if (val->kind == SY_MAP) {
        return RFAIL(rp, val, "expected a value or a list of values for field '%s', found a map",
                     fname);
    }
    if (nvals > SG_MAX_VALUES)
        return RFAIL(rp, val, "more than %d values for field '%s'", SG_MAX_VALUES, fname);
    it->ngroups = nvals;

    patvec pv = { 0 };
    int rc = 0;
    for (uint32_t g = 0; g < nvals && rc == 0; g++) {
        const sy_node *vn = vals[g];
        if (vn->kind != SY_SCALAR) {
            rc = RFAIL(rp, vn, "expected a value for field '%s', found %s", fname, kind_name(vn));
            break;
        }
        sg_pat *p;
        if (st.match == MT_EXISTS) {
            int b = sy_bool(vn);
            if (b < 0) {
                rc = RFAIL(rp, vn, "expected true or false for 'exists' on field '%s', found '%s'",
                           fname, vn->str);
                break;
            }
            if (!(p = patvec_add(&pv))) {
                rc = RIP_ENOMEM;
                break;
            }
            p->type = PM_EXISTS;
            p->exists = (uint8_t)b;
            p->group = g;
            continue;
        }
        if (sy_is_null(vn)) {
            if (!(p = patvec_add(&pv))) {
                rc = RIP_ENOMEM;
                break;
            }
            p->type = PM_NULL;
            p->group = g;
            continue;
        }
        if (it->field == SG_FIELD_KEYWORDS && (st.match == MT_CIDR || st.match == MT_NUM)) {
            rc = RFAIL(rp, key, "modifier '%s' needs a field name", st.match_by);
            break;
        }
        if (st.fieldref) {
            if (!(p = patvec_add(&pv))) {
                rc = RIP_ENOMEM;
                break;
            }
            const char *path = map_field(rp, vn->str);
            p->type = PM_FIELDREF;
            p->cmp = st.match == MT_CONTAINS ? PM_CONTAINS : st.match == MT_STARTS ? PM_PREFIX
                   : st.match == MT_ENDS ? PM_SUFFIX : PM_EQ;
            p->cased = st.cased;
            p->group = g;
            p->ref_field = path ? sg_field_intern(rp->rs, path) : UINT32_MAX;
            if (p->ref_field == UINT32_MAX)
                rc = RIP_ENOMEM;
            continue;
        }
        if (st.expand) {
            strvec sv = { 0 };
            uint32_t pct = 0;
            for (uint32_t k = 0; k < vn->len; k++)
                pct += vn->str[k] == '%';
            if (pct > 32) {
                rc = RFAIL(rp, vn, "more than 16 placeholders in one value of field '%s'", fname);
                break;
            }
            rc = expand_value(rp, vn, "", 0, vn->str, vn->len, &sv);
            for (uint32_t k = 0; rc == 0 && k < sv.n; k++)
                rc = one_string(rp, &st, vn, fname, sv.v[k], g, &pv);
            if (rc == 0 && sv.n == 0) {
                if (!(p = patvec_add(&pv)))
                    rc = RIP_ENOMEM;
                else {
                    p->type = PM_NEVER;
                    p->group = g;
                }
            }
            free(sv.v);
            continue;
        }
        rc = one_string(rp, &st, vn, fname, vn->str, g, &pv);
    }
    if (rc == 0 && pv.n) {
        it->pats = rip_arena_alloc(rp->a, pv.n * sizeof(*it->pats));
        if (!it->pats)
            rc = RIP_ENOMEM;
        else
            memcpy(it->pats, pv.v, pv.n * sizeof(*it->pats));
        it->npats = pv.n;
    }
    free(pv.v);
    return rc;
}

static int map_parse(rparse *rp, const sy_node *m, sg_map *out)
{
    if (m->n == 0)
        return RFAIL(rp, m, "empty map in a selection");
    out->items = rip_arena_calloc(rp->a, m->n, sizeof(*out->items));
    if (!out->items)
        return RIP_ENOMEM;
    out->n = m->n;
    for (uint32_t i = 0; i < m->n; i++) {
        int rc = item_parse(rp, m->kids[2 * i], m->kids[2 * i + 1], &out->items[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* A list of plain values: keywords, searched anywhere in the record. */
static int keywords_parse(rparse *rp, const sy_node *list, sg_map *out)
{
    out->items = rip_arena_calloc(rp->a, 1, sizeof(*out->items));
    if (!out->items)
        return RIP_ENOMEM;
    out->n = 1;
    sy_node key = { .kind = SY_SCALAR, .line = list->line, .col = list->col, .str = "", .len = 0 };
    return item_parse(rp, &key, list, &out->items[0]);
}

static int selection_parse(rparse *rp, const sy_node *name, const sy_node *v, sg_sel *sel)
{
    sel->name = name->str;
    sel->line = name->line;
    int rc;
    if (v->kind == SY_MAP) {
        sel->maps = rip_arena_calloc(rp->a, 1, sizeof(*sel->maps));
        if (!sel->maps)
            return RIP_ENOMEM;
        sel->n = 1;
        return map_parse(rp, v, &sel->maps[0]);
    }
    if (v->kind == SY_SCALAR) {
        if (sy_is_null(v))
            return RFAIL(rp, v, "selection '%s' is empty (expected a map or a list)", name->str);
        sy_node *kids[1] = { (sy_node *)v };
        sy_node list = { .kind = SY_SEQ, .line = v->line, .col = v->col, .kids = kids, .n = 1 };
        sel->maps = rip_arena_calloc(rp->a, 1, sizeof(*sel->maps));
        if (!sel->maps)
            return RIP_ENOMEM;
        sel->n = 1;
        return keywords_parse(rp, &list, &sel->maps[0]);
    }
    /* a list: maps are alternatives; plain values together are keywords */
    if (v->n == 0)
        return RFAIL(rp, v, "selection '%s' is an empty list", name->str);
    uint32_t nmaps = 0, nscalars = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        if (v->kids[i]->kind == SY_MAP)
            nmaps++;
        else if (v->kids[i]->kind == SY_SCALAR)
            nscalars++;
        else
            return RFAIL(rp, v->kids[i], "expected a map or a value in selection '%s', found a list",
                         name->str);
    }
    sel->maps = rip_arena_calloc(rp->a, nmaps + (nscalars ? 1 : 0), sizeof(*sel->maps));
    if (!sel->maps)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < v->n; i++) {
        if (v->kids[i]->kind != SY_MAP)
            continue;
        if ((rc = map_parse(rp, v->kids[i], &sel->maps[sel->n++])) < 0)
            return rc;
    }
    if (nscalars) {
        sy_node **kids = rip_arena_alloc(rp->a, nscalars * sizeof(*kids));
        if (!kids)
            return RIP_ENOMEM;
        uint32_t k = 0;
        for (uint32_t i = 0; i < v->n; i++)
            if (v->kids[i]->kind == SY_SCALAR)
                kids[k++] = v->kids[i];
        sy_node list = { .kind = SY_SEQ, .line = v->line, .col = v->col, .kids = kids, .n = k };
        if ((rc = keywords_parse(rp, &list, &sel->maps[sel->n++])) < 0)
            return rc;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* time spans and correlations                                         */

static int timespan_parse(const char *s, int64_t *ns)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0]))
        return RIP_EINVAL;
    long long v = strtoll(s, &end, 10);
    if (errno || v <= 0 || end[0] == '\0' || end[1] != '\0')
        return RIP_EINVAL;
    int64_t unit;
    switch (end[0]) {
    case 's': unit = 1; break;
    case 'm': unit = 60; break;
    case 'h': unit = 3600; break;
    case 'd': unit = 86400; break;
    case 'w': unit = 7 * 86400; break;
    default: return RIP_EINVAL;
    }
    if (v > INT64_MAX / 1000000000 / unit)
        return RIP_ERANGE;
    *ns = (int64_t)v * unit * 1000000000;
    return 0;
}

static const struct { const char *name; rip_sigma_corr_type type; } corr_types[] = {
    { "event_count", RIP_SIGMA_CORR_EVENT_COUNT },
    { "value_count", RIP_SIGMA_CORR_VALUE_COUNT },
    { "temporal", RIP_SIGMA_CORR_TEMPORAL },
    { "temporal_ordered", RIP_SIGMA_CORR_TEMPORAL_ORDERED },
};

static const struct { const char *name; rip_sigma_cmp cmp; } cmp_names[] = {
    { "gt", RIP_SIGMA_CMP_GT }, { "gte", RIP_SIGMA_CMP_GTE }, { "lt", RIP_SIGMA_CMP_LT },
    { "lte", RIP_SIGMA_CMP_LTE }, { "eq", RIP_SIGMA_CMP_EQ },
};

static int correlation_parse(rparse *rp, const sy_node *c)
{
    rip_sigma_correlation *co = &rp->r->corr;
    int rc;
    if (c->kind != SY_MAP)
        return RFAIL(rp, c, "expected a map for 'correlation', found %s", kind_name(c));
    const sy_node *t = sy_get(c, "type");
    if (!t || t->kind != SY_SCALAR)
        return RFAIL(rp, t ? t : c, "expected 'type' in 'correlation' (event_count, value_count, "
                     "temporal or temporal_ordered)");
    for (size_t i = 0; i < sizeof(corr_types) / sizeof(corr_types[0]); i++)
        if (strcmp(t->str, corr_types[i].name) == 0)
            co->type = corr_types[i].type;
    if (!co->type)
        return RFAIL(rp, t, "unknown correlation type '%s' (expected event_count, value_count, "
                     "temporal or temporal_ordered)", t->str);
    if ((rc = meta_list(rp, c, "rules", &co->rules)) < 0)
        return rc;
    if (co->rules.n == 0)
        return RFAIL(rp, c, "expected 'rules' in 'correlation': the names or ids of the rules "
                     "it correlates");
    if ((rc = meta_list(rp, c, "group-by", &co->group_by)) < 0)
        return rc;
    const sy_node *ts = sy_get(c, "timespan");
    if (!ts)
        ts = sy_get(c, "timeframe");
    if (!ts || ts->kind != SY_SCALAR || timespan_parse(ts->str, &co->timespan_ns) < 0)
        return RFAIL(rp, ts ? ts : c, "expected 'timespan' in 'correlation' like 5m, 1h or 30s");
    const sy_node *g = sy_get(c, "generate");
    co->generate = g ? sy_bool(g) == 1 : false;
    if (g && sy_bool(g) < 0)
        return RFAIL(rp, g, "expected true or false for 'generate'");
    const sy_node *cond = sy_get(c, "condition");
    if (co->type == RIP_SIGMA_CORR_TEMPORAL || co->type == RIP_SIGMA_CORR_TEMPORAL_ORDERED) {
        if (!cond)
            return 0;
    } else if (!cond) {
        return RFAIL(rp, c, "expected 'condition' in '%s' correlation, like {gte: 10}", t->str);
    }
    if (cond->kind != SY_MAP)
        return RFAIL(rp, cond, "expected a map for the correlation 'condition', like {gte: 10}");
    for (uint32_t i = 0; i < cond->n; i++) {
        const sy_node *k = cond->kids[2 * i], *v = cond->kids[2 * i + 1];
        if (strcmp(k->str, "field") == 0) {
            if (v->kind != SY_SCALAR)
                return RFAIL(rp, v, "expected a field name for 'field'");
            co->field = v->str;
            continue;
        }
        size_t j;
        for (j = 0; j < sizeof(cmp_names) / sizeof(cmp_names[0]); j++)
            if (strcmp(k->str, cmp_names[j].name) == 0)
                break;
        if (j == sizeof(cmp_names) / sizeof(cmp_names[0]))
            return RFAIL(rp, k, "unknown correlation condition '%s' (expected gt, gte, lt, lte, "
                         "eq or field)", k->str);
        char *end;
        errno = 0;
        long long n = v->kind == SY_SCALAR ? strtoll(v->str, &end, 10) : 0;
        if (v->kind != SY_SCALAR || errno || *end || v->len == 0)
            return RFAIL(rp, v, "expected a whole number for '%s'", k->str);
        if (co->cmp)
            return RFAIL(rp, k, "more than one comparison in the correlation condition");
        co->cmp = cmp_names[j].cmp;
        co->threshold = n;
    }
    if (!co->cmp && co->type != RIP_SIGMA_CORR_TEMPORAL &&
        co->type != RIP_SIGMA_CORR_TEMPORAL_ORDERED)
        return RFAIL(rp, cond, "expected a comparison (gt, gte, lt, lte or eq) in the condition");
    if (co->type == RIP_SIGMA_CORR_VALUE_COUNT && !co->field)
        return RFAIL(rp, cond, "a value_count correlation needs 'field' in its condition");
    return 0;
}

/* ------------------------------------------------------------------ */
/* detection                                                           */

static int detection_parse(rparse *rp, const sy_node *det)
{
    rip_sigma_rule *r = rp->r;
    int rc;
    if (det->kind != SY_MAP)
        return RFAIL(rp, det, "expected a map for 'detection', found %s", kind_name(det));
    const sy_node *cond = NULL, *timeframe = NULL;
    uint32_t nsel = 0;
    for (uint32_t i = 0; i < det->n; i++) {
        const char *k = det->kids[2 * i]->str;
        if (strcmp(k, "condition") == 0)
            cond = det->kids[2 * i + 1];
        else if (strcmp(k, "timeframe") == 0)
            timeframe = det->kids[2 * i + 1];
        else
            nsel++;
    }
    if (!cond)
        return RFAIL(rp, det, "missing 'condition' in 'detection'");
    if (nsel == 0)
        return RFAIL(rp, det, "no selections in 'detection'");
    if (nsel > SG_MAX_SELECTIONS)
        return RFAIL(rp, det, "more than %d selections", SG_MAX_SELECTIONS);
    r->sels = rip_arena_calloc(rp->a, nsel, sizeof(*r->sels));
    const char **names = rip_arena_calloc(rp->a, nsel, sizeof(*names));
    if (!r->sels || !names)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < det->n; i++) {
        const sy_node *k = det->kids[2 * i];
        if (k->str == NULL || strcmp(k->str, "condition") == 0 || strcmp(k->str, "timeframe") == 0)
            continue;
        if (k->len == 0)
            return RFAIL(rp, k, "empty selection name");
        names[r->nsel] = k->str;
        if ((rc = selection_parse(rp, k, det->kids[2 * i + 1], &r->sels[r->nsel])) < 0)
            return rc;
        r->nsel++;
    }

    const sy_node *one[1] = { cond };
    const sy_node *const *conds = one;
    uint32_t ncond = 1;
    if (cond->kind == SY_SEQ) {
        conds = (const sy_node *const *)cond->kids;
        ncond = cond->n;
        if (ncond == 0)
            return RFAIL(rp, cond, "empty list of conditions");
    } else if (cond->kind != SY_SCALAR || sy_is_null(cond)) {
        return RFAIL(rp, cond, "expected a condition string or a list of them, found %s",
                     kind_name(cond));
    }
    r->conds = rip_arena_calloc(rp->a, ncond, sizeof(*r->conds));
    if (!r->conds)
        return RIP_ENOMEM;
    for (uint32_t i = 0; i < ncond; i++) {
        const sy_node *c = conds[i];
        if (c->kind != SY_SCALAR)
            return RFAIL(rp, c, "expected a condition string, found %s", kind_name(c));
        char err[256];
        sg_agg *agg = NULL;
        rc = sg_cond_parse(rp->a, c->str, names, r->nsel, &r->conds[i], &agg, err, sizeof(err));
        if (rc == RIP_ENOMEM)
            return rc;
        if (rc < 0)
            return RFAIL(rp, c, "condition '%s': %s", c->str, err);
        if (agg) {
            if (ncond > 1)
                return RFAIL(rp, c, "an aggregation ('|') must be the only condition");
            r->meta.kind = RIP_SIGMA_AGGREGATION;
            r->report = false;
            if (agg->near) {
                r->corr.type = RIP_SIGMA_CORR_TEMPORAL;
                r->corr.members = 2;
                r->near_cond = agg->near_cond;
            } else {
                r->corr.type = agg->field ? RIP_SIGMA_CORR_VALUE_COUNT : RIP_SIGMA_CORR_EVENT_COUNT;
                r->corr.field = agg->field;
                r->corr.cmp = agg->cmp;
                r->corr.threshold = agg->threshold;
                if (agg->group_by) {
                    const char **gb = rip_arena_alloc(rp->a, sizeof(*gb));
                    if (!gb)
                        return RIP_ENOMEM;
                    gb[0] = agg->group_by;
                    r->corr.group_by.v = gb;
                    r->corr.group_by.n = 1;
                }
            }
            if (!timeframe && !agg->near)
                return RFAIL(rp, c, "an aggregation needs 'timeframe' in 'detection'");
        }
    }
    r->ncond = ncond;
    if (timeframe) {
        if (timeframe->kind != SY_SCALAR ||
            timespan_parse(timeframe->str, &r->corr.timespan_ns) < 0)
            return RFAIL(rp, timeframe, "expected a time span like 5m, 1h or 30s for 'timeframe'");
    }
    if (timeframe && r->meta.kind == RIP_SIGMA_DETECTION) {
        /* Sigma v1 `sel1 and sel2` with a timeframe (and no aggregation)
         * means: both kinds of event within the timeframe, in any order.
         * Translated to a temporal correlation over the selections; the
         * stored condition becomes their OR, so dispatch sees every member. */
        sg_cond *c = r->conds[0];
        bool all_sel = ncond == 1 && c->op == CN_AND && c->n >= 2;
        for (uint32_t k = 0; all_sel && k < c->n; k++)
            all_sel = c->kids[k]->op == CN_SEL;
        if (!all_sel) {
            sg_diag(rp->rs, rp->path, timeframe->line, timeframe->col, true,
                    "'timeframe' without an aggregation is ignored unless the condition is "
                    "'selection and selection ...' (read as events within the timeframe)");
        } else {
            r->members = c->kids;
            r->nmembers = c->n;
            c->op = CN_OR;
            r->meta.kind = RIP_SIGMA_AGGREGATION;
            r->report = false;
            r->corr.type = RIP_SIGMA_CORR_TEMPORAL;
            r->corr.members = c->n;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */

int sg_rule_parse(rip_sigma_ruleset *rs, const char *path, const sy_node *doc,
                  rip_sigma_rule **out)
{
    rparse rp = { rs, &rs->arena, path, NULL };
    int rc;
    if (doc->kind != SY_MAP)
        return RFAIL(&rp, doc, "expected a rule (a map with title, logsource and detection), "
                     "found %s", kind_name(doc));
    rip_sigma_rule *r = rip_arena_calloc(rp.a, 1, sizeof(*r));
    if (!r)
        return RIP_ENOMEM;
    rp.r = r;
    r->meta.path = path;
    r->meta.line = doc->n ? doc->kids[0]->line : doc->line;
    r->meta.kind = RIP_SIGMA_DETECTION;
    r->report = true;
    r->dispatch_field = UINT32_MAX;

    const sy_node *action = sy_get(doc, "action");
    if (action)
        return RFAIL(&rp, action, "rule collections ('action: %s') are not supported: write one "
                     "complete rule per document", action->kind == SY_SCALAR ? action->str : "?");
    if ((rc = meta_str(&rp, doc, "title", &r->meta.title)) < 0 ||
        (rc = meta_str(&rp, doc, "id", &r->meta.id)) < 0 ||
        (rc = meta_str(&rp, doc, "name", &r->meta.name)) < 0 ||
        (rc = meta_str(&rp, doc, "status", &r->meta.status)) < 0 ||
        (rc = meta_str(&rp, doc, "description", &r->meta.description)) < 0 ||
        (rc = meta_str(&rp, doc, "author", &r->meta.author)) < 0 ||
        (rc = meta_str(&rp, doc, "date", &r->meta.date)) < 0 ||
        (rc = meta_str(&rp, doc, "modified", &r->meta.modified)) < 0 ||
        (rc = meta_list(&rp, doc, "tags", &r->meta.tags)) < 0 ||
        (rc = meta_list(&rp, doc, "references", &r->meta.references)) < 0 ||
        (rc = meta_list(&rp, doc, "falsepositives", &r->meta.falsepositives)) < 0 ||
        (rc = meta_list(&rp, doc, "fields", &r->meta.fields)) < 0)
        return rc;
    if (!r->meta.title)
        return RFAIL(&rp, doc, "missing 'title'");
    const char *level = NULL;
    if ((rc = meta_str(&rp, doc, "level", &level)) < 0)
        return rc;
    if (level && rip_sigma_level_parse(level, &r->meta.level) < 0)
        return RFAIL(&rp, sy_get(doc, "level"), "unknown level '%s' (expected informational, low, "
                     "medium, high or critical)", level);

    const sy_node *det = sy_get(doc, "detection");
    const sy_node *corr = sy_get(doc, "correlation");
    if (det && corr)
        return RFAIL(&rp, corr, "a rule has either 'detection' or 'correlation', not both");
    if (corr) {
        r->meta.kind = RIP_SIGMA_CORRELATION;
        if ((rc = correlation_parse(&rp, corr)) < 0)
            return rc;
        r->meta.correlation = &r->corr;
        r->report = true;
        *out = r;
        return 0;
    }
    if (!det)
        return RFAIL(&rp, doc, "missing 'detection' (or 'correlation')");
    if ((rc = logsource_parse(&rp, doc)) < 0)
        return rc;
    if ((rc = detection_parse(&rp, det)) < 0)
        return rc;
    if (r->meta.kind == RIP_SIGMA_AGGREGATION)
        r->meta.correlation = &r->corr;
    *out = r;
    return 0;
}
