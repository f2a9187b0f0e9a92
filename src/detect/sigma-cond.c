/* sigma-cond.c — Sigma condition strings → condition trees.
 *
 * A small recursive-descent parser over this grammar (lowest precedence
 * first; keywords are lowercase, as the specification writes them):
 *
 *   condition := or [ '|' aggregation ]
 *   or        := and { 'or' and }
 *   and       := not { 'and' not }
 *   not       := 'not' not | primary
 *   primary   := '(' or ')' | quant 'of' ( pattern | 'them' ) | name
 *   quant     := '1' | 'any' | 'all'
 *   aggregation := 'count' '(' [field] ')' [ 'by' field ] op number
 *                | 'near' or                          (Sigma v1 only)
 *   op        := '>' | '>=' | '<' | '<=' | '=' | '=='
 *
 * `1 of x*` becomes the OR of the selections whose names match the pattern
 * (`*` wildcards), `all of` their AND; `them` is every selection whose name
 * does not start with '_'. Names are resolved while parsing, so the tree
 * holds selection indices. Errors name the 1-based byte position and what
 * was expected. Nesting is capped at SG_MAX_COND_DEPTH.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma-int.h"
#include "util/err.h"

typedef enum tok_kind {
    T_END = 0, T_LPAREN, T_RPAREN, T_PIPE, T_WORD, T_OP,
} tok_kind;

typedef struct cparse {
    rip_arena *a;
    const char *s;
    size_t len, pos;
    const char *const *names;
    uint32_t nnames;
    char *err;
    size_t errlen;
    int depth;
    /* current token */
    tok_kind tk;
    size_t tpos, tlen;
} cparse;

static int cfail(cparse *p, size_t pos, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int cfail(cparse *p, size_t pos, const char *fmt, ...)
{
    if (p->err && p->errlen && p->err[0] == '\0') {
        int k = snprintf(p->err, p->errlen, "position %zu: ", pos + 1);
        if (k >= 0 && (size_t)k < p->errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
            va_end(ap);
        }
    }
    return RIP_ESYNTAX;
}

static bool word_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '*' || c == '-' || c == '.' ||
           c == '?' || c == '@' || c == '$' || c == '#';
}

static void next(cparse *p)
{
    while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
        p->pos++;
    p->tpos = p->pos;
    p->tlen = 1;
    if (p->pos >= p->len) {
        p->tk = T_END;
        p->tlen = 0;
        return;
    }
    char c = p->s[p->pos];
    if (c == '(') {
        p->tk = T_LPAREN;
    } else if (c == ')') {
        p->tk = T_RPAREN;
    } else if (c == '|') {
        p->tk = T_PIPE;
    } else if (c == '<' || c == '>' || c == '=') {
        p->tk = T_OP;
        if (p->pos + 1 < p->len && p->s[p->pos + 1] == '=')
            p->tlen = 2;
    } else if (word_char(c)) {
        p->tk = T_WORD;
        size_t e = p->pos;
        while (e < p->len && word_char(p->s[e]))
            e++;
        p->tlen = e - p->pos;
    } else {
        p->tk = T_OP;   /* unknown character: reported by whoever expects something */
        p->tlen = 1;
    }
    p->pos += p->tlen;
}

static bool is_word(const cparse *p, const char *w)
{
    size_t n = strlen(w);
    return p->tk == T_WORD && p->tlen == n && memcmp(p->s + p->tpos, w, n) == 0;
}

/* Describes the current token for "found ..." in messages. */
static const char *tokdesc(const cparse *p, char *buf, size_t n)
{
    if (p->tk == T_END)
        return "end of condition";
    snprintf(buf, n, "'%.*s'", (int)(p->tlen > 40 ? 40 : p->tlen), p->s + p->tpos);
    return buf;
}

static sg_cond *cnode(cparse *p, sg_op op, uint32_t n)
{
    sg_cond *c = rip_arena_calloc(p->a, 1, sizeof(*c));
    if (!c)
        return NULL;
    c->op = (uint8_t)op;
    c->n = n;
    if (n) {
        c->kids = rip_arena_calloc(p->a, n, sizeof(*c->kids));
        if (!c->kids)
            return NULL;
    }
    return c;
}

static bool glob_name(const char *pat, size_t plen, const char *s)
{
    /* '*' only; iterative with single backtrack point. */
    size_t pi = 0, si = 0, star = (size_t)-1, mark = 0, slen = strlen(s);
    while (si < slen) {
        if (pi < plen && pat[pi] == '*') {
            star = pi++;
            mark = si;
        } else if (pi < plen && pat[pi] == s[si]) {
            pi++;
            si++;
        } else if (star != (size_t)-1) {
            pi = star + 1;
            si = ++mark;
        } else {
            return false;
        }
    }
    while (pi < plen && pat[pi] == '*')
        pi++;
    return pi == plen;
}

static int parse_or(cparse *p, sg_cond **out);

static int parse_quant(cparse *p, bool all, sg_cond **out)
{
    char tb[64];
    next(p);
    if (!is_word(p, "of"))
        return cfail(p, p->tpos, "expected 'of' after '%s', found %s", all ? "all" : "1",
                     tokdesc(p, tb, sizeof(tb)));
    next(p);
    if (p->tk != T_WORD)
        return cfail(p, p->tpos, "expected a selection pattern or 'them' after 'of', found %s",
                     tokdesc(p, tb, sizeof(tb)));
    bool them = is_word(p, "them");
    const char *pat = p->s + p->tpos;
    size_t plen = p->tlen, at = p->tpos;
    uint32_t count = 0;
    for (uint32_t i = 0; i < p->nnames; i++)
        if (them ? p->names[i][0] != '_' : glob_name(pat, plen, p->names[i]))
            count++;
    if (count == 0) {
        if (them)
            return cfail(p, at, "'them' matches no selection");
        return cfail(p, at, "no selection matches '%.*s'", (int)plen, pat);
    }
    sg_cond *c = cnode(p, all ? CN_AND : CN_OR, count);
    if (!c)
        return RIP_ENOMEM;
    count = 0;
    for (uint32_t i = 0; i < p->nnames; i++) {
        if (them ? p->names[i][0] != '_' : glob_name(pat, plen, p->names[i])) {
            sg_cond *s = cnode(p, CN_SEL, 0);
            if (!s)
                return RIP_ENOMEM;
            s->sel = i;
            c->kids[count++] = s;
        }
    }
    next(p);
    *out = c;
    return 0;
}

static int parse_primary(cparse *p, sg_cond **out)
{
    char tb[64];
    int rc;
    if (p->tk == T_LPAREN) {
        size_t open = p->tpos;
        if (++p->depth > SG_MAX_COND_DEPTH)
            return cfail(p, p->tpos, "condition nested deeper than %d", SG_MAX_COND_DEPTH);
        next(p);
        if ((rc = parse_or(p, out)) < 0)
            return rc;
        if (p->tk != T_RPAREN)
            return cfail(p, p->tpos, "expected ')' to close '(' at position %zu, found %s",
                         open + 1, tokdesc(p, tb, sizeof(tb)));
        p->depth--;
        next(p);
        return 0;
    }
    if (p->tk != T_WORD || is_word(p, "and") || is_word(p, "or") || is_word(p, "of") ||
        is_word(p, "them"))
        return cfail(p, p->tpos, "expected a selection name, '(', 'not', '1 of' or 'all of', found %s",
                     tokdesc(p, tb, sizeof(tb)));
    if (is_word(p, "1") || is_word(p, "any"))
        return parse_quant(p, false, out);
    if (is_word(p, "all"))
        return parse_quant(p, true, out);
    for (uint32_t i = 0; i < p->nnames; i++) {
        if (strlen(p->names[i]) == p->tlen && memcmp(p->names[i], p->s + p->tpos, p->tlen) == 0) {
            sg_cond *c = cnode(p, CN_SEL, 0);
            if (!c)
                return RIP_ENOMEM;
            c->sel = i;
            next(p);
            *out = c;
            return 0;
        }
    }
    if (memchr(p->s + p->tpos, '*', p->tlen))
        return cfail(p, p->tpos, "wildcard '%.*s' needs '1 of' or 'all of'", (int)p->tlen,
                     p->s + p->tpos);
    return cfail(p, p->tpos, "undefined selection '%.*s'", (int)p->tlen, p->s + p->tpos);
}

static int parse_not(cparse *p, sg_cond **out)
{
    if (!is_word(p, "not"))
        return parse_primary(p, out);
    if (++p->depth > SG_MAX_COND_DEPTH)
        return cfail(p, p->tpos, "condition nested deeper than %d", SG_MAX_COND_DEPTH);
    next(p);
    sg_cond *c = cnode(p, CN_NOT, 1);
    if (!c)
        return RIP_ENOMEM;
    int rc = parse_not(p, &c->kids[0]);
    if (rc < 0)
        return rc;
    p->depth--;
    *out = c;
    return 0;
}

/* Parses a chain of `sub { kw sub }` into one n-ary node. */
static int parse_chain(cparse *p, const char *kw, sg_op op,
                       int (*sub)(cparse *, sg_cond **), sg_cond **out)
{
    sg_cond *first, *kids[64], **more = NULL;
    uint32_t n = 0, alloc = 0;
    int rc = sub(p, &first);
    if (rc < 0)
        return rc;
    if (!is_word(p, kw)) {
        *out = first;
        return 0;
    }
    kids[n++] = first;
    while (is_word(p, kw)) {
        next(p);
        sg_cond *c;
        if ((rc = sub(p, &c)) < 0)
            goto out;
        if (n < 64) {
            kids[n++] = c;
            continue;
        }
        if (n - 64 == alloc) {
            alloc = alloc ? alloc * 2 : 64;
            sg_cond **nm = realloc(more, alloc * sizeof(*nm));
            if (!nm) {
                rc = RIP_ENOMEM;
                goto out;
            }
            more = nm;
        }
        more[n++ - 64] = c;
    }
    sg_cond *node = cnode(p, op, n);
    if (!node) {
        rc = RIP_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++)
        node->kids[i] = i < 64 ? kids[i] : more[i - 64];
    *out = node;
    rc = 0;
out:
    free(more);
    return rc;
}

static int parse_and(cparse *p, sg_cond **out)
{
    return parse_chain(p, "and", CN_AND, parse_not, out);
}

static int parse_or(cparse *p, sg_cond **out)
{
    return parse_chain(p, "or", CN_OR, parse_and, out);
}

static int parse_agg(cparse *p, sg_agg *agg)
{
    char tb[64];
    int rc;
    if (is_word(p, "near")) {
        next(p);
        agg->near = true;
        if ((rc = parse_or(p, &agg->near_cond)) < 0)
            return rc;
        return 0;
    }
    if (!is_word(p, "count"))
        return cfail(p, p->tpos, "expected 'count' or 'near' after '|', found %s",
                     tokdesc(p, tb, sizeof(tb)));
    next(p);
    if (p->tk != T_LPAREN)
        return cfail(p, p->tpos, "expected '(' after 'count', found %s", tokdesc(p, tb, sizeof(tb)));
    next(p);
    if (p->tk == T_WORD) {
        agg->field = rip_arena_strndup(p->a, p->s + p->tpos, p->tlen);
        if (!agg->field)
            return RIP_ENOMEM;
        next(p);
    }
    if (p->tk != T_RPAREN)
        return cfail(p, p->tpos, "expected ')' after 'count(', found %s", tokdesc(p, tb, sizeof(tb)));
    next(p);
    if (is_word(p, "by")) {
        next(p);
        if (p->tk != T_WORD)
            return cfail(p, p->tpos, "expected a field name after 'by', found %s",
                         tokdesc(p, tb, sizeof(tb)));
        agg->group_by = rip_arena_strndup(p->a, p->s + p->tpos, p->tlen);
        if (!agg->group_by)
            return RIP_ENOMEM;
        next(p);
    }
    if (p->tk != T_OP)
        return cfail(p, p->tpos, "expected '>', '>=', '<', '<=' or '=' after 'count()', found %s",
                     tokdesc(p, tb, sizeof(tb)));
    const char *op = p->s + p->tpos;
    if (p->tlen == 1 && op[0] == '>')
        agg->cmp = RIP_SIGMA_CMP_GT;
    else if (p->tlen == 2 && op[0] == '>')
        agg->cmp = RIP_SIGMA_CMP_GTE;
    else if (p->tlen == 1 && op[0] == '<')
        agg->cmp = RIP_SIGMA_CMP_LT;
    else if (p->tlen == 2 && op[0] == '<')
        agg->cmp = RIP_SIGMA_CMP_LTE;
    else if (op[0] == '=')
        agg->cmp = RIP_SIGMA_CMP_EQ;
    else
        return cfail(p, p->tpos, "expected a comparison, found %s", tokdesc(p, tb, sizeof(tb)));
    next(p);
    if (p->tk != T_WORD || !isdigit((unsigned char)p->s[p->tpos]))
        return cfail(p, p->tpos, "expected a number, found %s", tokdesc(p, tb, sizeof(tb)));
    int64_t v = 0;
    for (size_t i = 0; i < p->tlen; i++) {
        char c = p->s[p->tpos + i];
        if (!isdigit((unsigned char)c) || v > (INT64_MAX - 9) / 10)
            return cfail(p, p->tpos, "expected a number, found %s", tokdesc(p, tb, sizeof(tb)));
        v = v * 10 + (c - '0');
    }
    agg->threshold = v;
    next(p);
    return 0;
}

int sg_cond_parse(rip_arena *a, const char *cond, const char *const *names,
                  uint32_t nnames, sg_cond **out, sg_agg **agg,
                  char *err, size_t errlen)
{
    cparse p;
    char tb[64];
    sg_cond *root = NULL;
    int rc;

    memset(&p, 0, sizeof(p));
    p.a = a;
    p.s = cond;
    p.len = strlen(cond);
    p.names = names;
    p.nnames = nnames;
    p.err = err;
    p.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    if (p.len > SG_MAX_COND_LEN)
        return cfail(&p, SG_MAX_COND_LEN, "condition longer than %d bytes", SG_MAX_COND_LEN);
    next(&p);
    if (p.tk == T_END)
        return cfail(&p, 0, "empty condition");
    if ((rc = parse_or(&p, &root)) < 0)
        return rc;
    sg_agg *ag = NULL;
    if (p.tk == T_PIPE) {
        if (!agg)
            return cfail(&p, p.tpos, "aggregations ('|') are not allowed here");
        ag = rip_arena_calloc(a, 1, sizeof(*ag));
        if (!ag)
            return RIP_ENOMEM;
        next(&p);
        if ((rc = parse_agg(&p, ag)) < 0)
            return rc;
    }
    if (p.tk != T_END) {
        if (p.tk == T_RPAREN)
            return cfail(&p, p.tpos, "unbalanced ')'");
        return cfail(&p, p.tpos, "expected 'and', 'or' or the end of the condition, found %s",
                     tokdesc(&p, tb, sizeof(tb)));
    }
    *out = root;
    if (agg)
        *agg = ag;
    return 0;
}

int rip_sigma_condition_check(const char *cond, const char *const *selections,
                              size_t nselections, char *err, size_t errlen)
{
    rip_arena a;
    sg_cond *c;
    sg_agg *ag;
    char dummy[8];
    if (!err || !errlen) {
        err = dummy;
        errlen = sizeof(dummy);
    }
    if (nselections > SG_MAX_SELECTIONS) {
        snprintf(err, errlen, "more than %d selections", SG_MAX_SELECTIONS);
        return RIP_ELIMIT;
    }
    rip_arena_init(&a, 64u << 20);
    int rc = sg_cond_parse(&a, cond, selections, (uint32_t)nselections, &c, &ag, err, errlen);
    rip_arena_release(&a);
    if (rc == RIP_ENOMEM)
        snprintf(err, errlen, "out of memory");
    return rc;
}
