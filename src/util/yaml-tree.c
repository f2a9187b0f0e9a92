/* yaml-tree.c — libyaml's event stream folded into a tree with lines. */
#include "util/yaml-tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"

typedef struct yt_frame {
    yt_node *node;
    yt_node **kids;
    uint32_t n, alloc;
} yt_frame;

typedef struct yt_state {
    rip_arena *a;
    const yt_limits *lim;
    yt_frame *stack;
    uint32_t depth;
    uint32_t nodes;
    yt_node *root;
    uint32_t ndocs;
    char *err;
    size_t errlen;
    uint32_t errline;
} yt_state;

static int yt_fail(yt_state *st, int code, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int yt_fail(yt_state *st, int code, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err, st->errlen, fmt, ap);
    va_end(ap);
    st->errline = line;
    return code;
}

static int yt_attach(yt_state *st, yt_node *child)
{
    if (st->depth == 0) {
        if (st->ndocs++)
            return yt_fail(st, RIP_ESYNTAX, child->line, "more than one YAML document");
        st->root = child;
        child->kline = child->line;
        return 0;
    }
    yt_frame *f = &st->stack[st->depth - 1];
    if (f->node->kind == YT_MAP && f->n % 2 == 0) {
        if (child->kind != YT_SCALAR)
            return yt_fail(st, RIP_ESYNTAX, child->line, "expected a plain key, found a %s",
                           child->kind == YT_MAP ? "map" : "list");
        for (uint32_t i = 0; i < f->n; i += 2)
            if (!strcmp(f->kids[i]->str, child->str))
                return yt_fail(st, RIP_ESYNTAX, child->line,
                               "duplicate key '%s' (first on line %u)", child->str,
                               f->kids[i]->line);
    }
    child->kline = f->node->kind == YT_MAP && f->n % 2 ? f->kids[f->n - 1]->line : child->line;
    uint32_t items = f->node->kind == YT_MAP ? f->n / 2 : f->n;
    if (items >= st->lim->max_items && (f->node->kind != YT_MAP || f->n % 2 == 0))
        return yt_fail(st, RIP_ELIMIT, child->line, "more than %u items in one %s",
                       st->lim->max_items, f->node->kind == YT_MAP ? "map" : "list");
    if (f->n == f->alloc) {
        uint32_t na = f->alloc ? f->alloc * 2 : 8;
        yt_node **nk = realloc(f->kids, na * sizeof(*nk));
        if (!nk)
            return RIP_ENOMEM;
        f->kids = nk;
        f->alloc = na;
    }
    f->kids[f->n++] = child;
    return 0;
}

static yt_node *yt_new(yt_state *st, yt_kind kind, const yaml_mark_t *mark)
{
    yt_node *n = rip_arena_calloc(st->a, 1, sizeof(*n));
    if (n) {
        n->kind = kind;
        n->line = (uint32_t)mark->line + 1;
    }
    return n;
}

static int yt_close(yt_state *st)
{
    yt_frame *f = &st->stack[--st->depth];
    yt_node *n = f->node;
    if (f->n) {
        n->kids = rip_arena_alloc(st->a, f->n * sizeof(*n->kids));
        if (!n->kids)
            return RIP_ENOMEM;
        memcpy(n->kids, f->kids, f->n * sizeof(*n->kids));
    }
    n->n = n->kind == YT_MAP ? f->n / 2 : f->n;
    f->n = 0;
    return 0;
}

int yt_parse(rip_arena *a, const char *data, size_t len, const yt_limits *lim,
             yt_node **root, char *err, size_t errlen, uint32_t *errline)
{
    yaml_parser_t p;
    yaml_event_t ev;
    yt_state st;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.a = a;
    st.lim = lim;
    st.err = err;
    st.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    st.stack = calloc(lim->max_depth + 1, sizeof(*st.stack));
    if (!st.stack)
        return RIP_ENOMEM;
    if (!yaml_parser_initialize(&p)) {
        free(st.stack);
        return RIP_ENOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    for (bool done = false; !done && rc == 0;) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = yt_fail(&st, RIP_ESYNTAX, (uint32_t)p.problem_mark.line + 1,
                         "invalid YAML: %s%s%s", p.problem ? p.problem : "syntax error",
                         p.context ? " " : "", p.context ? p.context : "");
            break;
        }
        uint32_t line = (uint32_t)ev.start_mark.line + 1;
        yt_node *n;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.anchor) {
                rc = yt_fail(&st, RIP_ESYNTAX, line, "YAML anchors are not supported");
                break;
            }
            if (++st.nodes > lim->max_nodes) {
                rc = yt_fail(&st, RIP_ELIMIT, line, "more than %u YAML nodes", lim->max_nodes);
                break;
            }
            n = yt_new(&st, YT_SCALAR, &ev.start_mark);
            if (!n) {
                rc = RIP_ENOMEM;
                break;
            }
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            n->len = ev.data.scalar.length;
            n->str = rip_arena_strndup(a, (const char *)ev.data.scalar.value, n->len);
            rc = n->str ? yt_attach(&st, n) : RIP_ENOMEM;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const yaml_char_t *anchor = ev.type == YAML_SEQUENCE_START_EVENT
                ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
            if (anchor) {
                rc = yt_fail(&st, RIP_ESYNTAX, line, "YAML anchors are not supported");
                break;
            }
            if (++st.nodes > lim->max_nodes) {
                rc = yt_fail(&st, RIP_ELIMIT, line, "more than %u YAML nodes", lim->max_nodes);
                break;
            }
            if (st.depth >= lim->max_depth) {
                rc = yt_fail(&st, RIP_ELIMIT, line, "nesting deeper than %u levels",
                             lim->max_depth);
                break;
            }
            n = yt_new(&st, ev.type == YAML_SEQUENCE_START_EVENT ? YT_SEQ : YT_MAP,
                       &ev.start_mark);
            if (!n) {
                rc = RIP_ENOMEM;
                break;
            }
            rc = yt_attach(&st, n);
            if (rc == 0)
                st.stack[st.depth++].node = n;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = yt_close(&st);
            break;
        case YAML_ALIAS_EVENT:
            rc = yt_fail(&st, RIP_ESYNTAX, line, "YAML aliases are not supported");
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    for (uint32_t i = 0; i <= lim->max_depth; i++)
        free(st.stack[i].kids);
    free(st.stack);
    if (rc == 0)
        *root = st.root;
    else if (errline)
        *errline = st.errline;
    if (rc == RIP_ENOMEM && errlen)
        snprintf(err, errlen, "out of memory");
    return rc;
}

bool yt_is_null(const yt_node *n)
{
    if (!n)
        return true;
    if (n->kind != YT_SCALAR || !n->plain)
        return false;
    return n->len == 0 || !strcmp(n->str, "~") || !strcmp(n->str, "null") ||
           !strcmp(n->str, "Null") || !strcmp(n->str, "NULL");
}
