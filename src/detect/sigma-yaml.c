/* sigma-yaml.c — YAML text → a tree of scalars, sequences and maps that
 * keeps every node's line and column, built from libyaml's event stream.
 *
 * Only what rules need: anchors and aliases are rejected (no alias bombs),
 * tags are ignored, keys must be scalars and unique. Limits: nesting
 * SG_MAX_YAML_DEPTH, nodes per stream SG_MAX_YAML_NODES, keys per map
 * SG_MAX_MAP_KEYS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "detect/sigma-int.h"
#include "util/err.h"

typedef struct sy_frame {
    sy_node *node;
    sy_node **kids;
    uint32_t n, alloc;
} sy_frame;

typedef struct sy_state {
    rip_arena *a;
    sy_frame stack[SG_MAX_YAML_DEPTH + 1];
    uint32_t depth;
    uint32_t nodes;
    sy_node **docs;
    uint32_t ndocs, docalloc;
    char *err;
    size_t errlen;
    uint32_t errline;
} sy_state;

static int sy_fail(sy_state *st, int code, uint32_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int sy_fail(sy_state *st, int code, uint32_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->err, st->errlen, fmt, ap);
    va_end(ap);
    st->errline = line;
    return code;
}

static sy_node *sy_new(sy_state *st, sy_kind kind, const yaml_mark_t *mark)
{
    sy_node *n = rip_arena_calloc(st->a, 1, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = (uint8_t)kind;
    n->line = (uint32_t)mark->line + 1;
    n->col = (uint32_t)mark->column + 1;
    return n;
}

/* Adds child to the innermost open container, or makes it a document. */
static int sy_attach(sy_state *st, sy_node *child)
{
    if (st->depth == 0) {
        if (st->ndocs == st->docalloc) {
            uint32_t na = st->docalloc ? st->docalloc * 2 : 4;
            sy_node **nd = realloc(st->docs, na * sizeof(*nd));
            if (!nd)
                return RIP_ENOMEM;
            st->docs = nd;
            st->docalloc = na;
        }
        st->docs[st->ndocs++] = child;
        return 0;
    }
    sy_frame *f = &st->stack[st->depth - 1];
    if (f->node->kind == SY_MAP) {
        if (f->n % 2 == 0) {
            if (child->kind != SY_SCALAR)
                return sy_fail(st, RIP_ESYNTAX, child->line,
                               "expected a plain key, found a %s",
                               child->kind == SY_MAP ? "map" : "list");
            if (f->n / 2 >= SG_MAX_MAP_KEYS)
                return sy_fail(st, RIP_ELIMIT, child->line,
                               "more than %d keys in one map", SG_MAX_MAP_KEYS);
            for (uint32_t i = 0; i < f->n; i += 2)
                if (f->kids[i]->len == child->len &&
                    memcmp(f->kids[i]->str, child->str, child->len) == 0)
                    return sy_fail(st, RIP_ESYNTAX, child->line,
                                   "duplicate key '%s' (first on line %u)",
                                   child->str, f->kids[i]->line);
        }
    } else if (f->n >= SG_MAX_VALUES) {
        return sy_fail(st, RIP_ELIMIT, child->line,
                       "more than %d items in one list", SG_MAX_VALUES);
    }
    if (f->n == f->alloc) {
        uint32_t na = f->alloc ? f->alloc * 2 : 8;
        sy_node **nk = realloc(f->kids, na * sizeof(*nk));
        if (!nk)
            return RIP_ENOMEM;
        f->kids = nk;
        f->alloc = na;
    }
    f->kids[f->n++] = child;
    return 0;
}

static int sy_open(sy_state *st, sy_node *n)
{
    if (st->depth >= SG_MAX_YAML_DEPTH)
        return sy_fail(st, RIP_ELIMIT, n->line, "nesting deeper than %d levels",
                       SG_MAX_YAML_DEPTH);
    int rc = sy_attach(st, n);
    if (rc < 0)
        return rc;
    sy_frame *f = &st->stack[st->depth++];
    f->node = n;
    f->n = 0;
    return 0;
}

static int sy_close(sy_state *st)
{
    sy_frame *f = &st->stack[--st->depth];
    sy_node *n = f->node;
    uint32_t count = f->n;
    if (count) {
        n->kids = rip_arena_alloc(st->a, count * sizeof(*n->kids));
        if (!n->kids)
            return RIP_ENOMEM;
        memcpy(n->kids, f->kids, count * sizeof(*n->kids));
    }
    n->n = n->kind == SY_MAP ? count / 2 : count;
    return 0;
}

int sy_parse(rip_arena *a, const char *data, size_t len, sy_node ***docs,
             uint32_t *ndocs, char *err, size_t errlen, uint32_t *errline)
{
    yaml_parser_t p;
    yaml_event_t ev;
    sy_state st;
    int rc = 0;

    memset(&st, 0, sizeof(st));
    st.a = a;
    st.err = err;
    st.errlen = errlen;
    if (errlen)
        err[0] = '\0';
    if (!yaml_parser_initialize(&p))
        return RIP_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);

    for (bool done = false; !done && rc == 0;) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = sy_fail(&st, RIP_ESYNTAX, (uint32_t)p.problem_mark.line + 1,
                         "invalid YAML: %s%s%s", p.problem ? p.problem : "syntax error",
                         p.context ? " " : "", p.context ? p.context : "");
            break;
        }
        if (++st.nodes > SG_MAX_YAML_NODES) {
            rc = sy_fail(&st, RIP_ELIMIT, (uint32_t)ev.start_mark.line + 1,
                         "more than %d YAML nodes", SG_MAX_YAML_NODES);
            yaml_event_delete(&ev);
            break;
        }
        sy_node *n;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_SCALAR_EVENT:
            if (ev.data.scalar.anchor) {
                rc = sy_fail(&st, RIP_ESYNTAX, (uint32_t)ev.start_mark.line + 1,
                             "YAML anchors are not supported in rules");
                break;
            }
            n = sy_new(&st, SY_SCALAR, &ev.start_mark);
            if (!n) {
                rc = RIP_ENOMEM;
                break;
            }
            n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
            n->str = rip_arena_strndup(a, (const char *)ev.data.scalar.value,
                                       ev.data.scalar.length);
            n->len = (uint32_t)ev.data.scalar.length;
            if (!n->str)
                rc = RIP_ENOMEM;
            else
                rc = sy_attach(&st, n);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT: {
            const yaml_char_t *anchor = ev.type == YAML_SEQUENCE_START_EVENT
                ? ev.data.sequence_start.anchor : ev.data.mapping_start.anchor;
            if (anchor) {
                rc = sy_fail(&st, RIP_ESYNTAX, (uint32_t)ev.start_mark.line + 1,
                             "YAML anchors are not supported in rules");
                break;
            }
            n = sy_new(&st, ev.type == YAML_SEQUENCE_START_EVENT ? SY_SEQ : SY_MAP,
                       &ev.start_mark);
            rc = n ? sy_open(&st, n) : RIP_ENOMEM;
            break;
        }
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = sy_close(&st);
            break;
        case YAML_ALIAS_EVENT:
            rc = sy_fail(&st, RIP_ESYNTAX, (uint32_t)ev.start_mark.line + 1,
                         "YAML aliases are not supported in rules");
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&p);
    for (uint32_t i = 0; i <= SG_MAX_YAML_DEPTH; i++)
        free(st.stack[i].kids);
    if (rc == 0) {
        sy_node **out = NULL;
        if (st.ndocs) {
            out = rip_arena_alloc(a, st.ndocs * sizeof(*out));
            if (!out)
                rc = RIP_ENOMEM;
            else
                memcpy(out, st.docs, st.ndocs * sizeof(*out));
        }
        if (rc == 0) {
            *docs = out;
            *ndocs = st.ndocs;
        }
    }
    free(st.docs);
    if (rc < 0 && errline)
        *errline = st.errline;
    if (rc == RIP_ENOMEM && errlen)
        snprintf(err, errlen, "out of memory");
    return rc;
}

bool sy_is_null(const sy_node *n)
{
    if (!n || n->kind != SY_SCALAR || !n->plain)
        return false;
    return n->len == 0 || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
           strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0;
}

const sy_node *sy_get(const sy_node *map, const char *key)
{
    if (!map || map->kind != SY_MAP)
        return NULL;
    for (uint32_t i = 0; i < map->n; i++)
        if (strcmp(map->kids[2 * i]->str, key) == 0)
            return map->kids[2 * i + 1];
    return NULL;
}

int sy_bool(const sy_node *n)
{
    if (!n || n->kind != SY_SCALAR || !n->plain)
        return -1;
    if (strcasecmp(n->str, "true") == 0 || strcasecmp(n->str, "yes") == 0)
        return 1;
    if (strcasecmp(n->str, "false") == 0 || strcasecmp(n->str, "no") == 0)
        return 0;
    return -1;
}
