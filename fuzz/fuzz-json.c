/* fuzz-json.c — the JSON module over arbitrary bytes.
 *
 * With small limits: rip_json_parse(); on success every node is visited,
 * every string decoded three ways (rip_json_str, rip_json_unescape,
 * rip_json_str_eq) and every number converted; the tree is re-serialized
 * with rip_jw_node(), the output must parse again into an equal tree and
 * serialize to the same bytes. rip_json_parse_prefix() must agree with
 * rip_json_parse() and walk concatenated values to the end. Any
 * disagreement abort()s so libFuzzer (and fuzz/replay.c) report it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MUST(cond)            \
    do {                      \
        if (!(cond))          \
            abort();          \
    } while (0)

static const rip_json_limits fuzz_limits = {
    .max_size = 1 << 16, .max_depth = 48, .max_members = 512, .max_nodes = 1 << 13,
};

/* A writer's output may be up to 6 times the input (a raw DEL becomes
 * \u007f), so the re-parse allows more bytes but the same shape. */
static const rip_json_limits reparse_limits = {
    .max_size = 6 << 16, .max_depth = 48, .max_members = 512, .max_nodes = 1 << 13,
};

static void check_error(const rip_json_error *e, int r, size_t size)
{
    MUST(r < 0);
    MUST(e->code == r);
    MUST(e->offset <= size);
    MUST(e->line >= 1 && e->column >= 1);
    MUST(e->msg[0] != '\0');
}

/* Visits every node of the subtree at n, checking the tree's invariants and
 * every accessor. Returns the number of nodes visited. */
static uint32_t walk(rip_json_doc *d, const rip_json_node *n, rip_buf *tmp)
{
    MUST(n->skip >= 1);
    MUST(n->type >= RIP_JSON_NULL && n->type <= RIP_JSON_OBJECT);
    rip_slice text = rip_json_text(n);
    MUST(text.ptr >= d->src && text.ptr + text.len <= d->src + d->srclen);
    switch (n->type) {
    case RIP_JSON_NULL:
        MUST(n->skip == 1 && rip_slice_eq(text, "null"));
        return 1;
    case RIP_JSON_TRUE:
        MUST(n->skip == 1 && rip_slice_eq(text, "true"));
        return 1;
    case RIP_JSON_FALSE:
        MUST(n->skip == 1 && rip_slice_eq(text, "false"));
        return 1;
    case RIP_JSON_NUMBER: {
        MUST(n->skip == 1);
        double f;
        int64_t i;
        int r = rip_json_f64(n, &f);
        MUST(r == 0 || r == RIP_ERANGE);
        r = rip_json_i64(n, &i);
        MUST(r == 0 || r == RIP_ERANGE);
        MUST(r == RIP_ERANGE || (n->flags & RIP_JSON_F_INT));
        return 1;
    }
    case RIP_JSON_STRING: {
        /* A key's skip covers its value too. */
        MUST(n->skip == ((n->flags & RIP_JSON_F_KEY) ? 1 + (n + 1)->skip : 1));
        MUST(text.ptr[0] == '"' && text.ptr[text.len - 1] == '"');
        rip_slice s = rip_json_str(d, n);
        MUST(s.ptr != NULL);
        MUST(s.len <= n->len);
        if (!(n->flags & RIP_JSON_F_ESCAPED))
            MUST(s.ptr == n->ptr && s.len == n->len);
        rip_buf_reset(tmp);
        MUST(rip_json_unescape(n->ptr, n->len, tmp) == 0);
        MUST(rip_slice_eqs(s, rip_slice_make(tmp->ptr, tmp->len)));
        if (!memchr(s.ptr, '\0', s.len)) {
            char *z = malloc(s.len + 1);
            MUST(z != NULL);
            memcpy(z, s.ptr, s.len);
            z[s.len] = '\0';
            MUST(rip_json_str_eq(n, z));
            free(z);
        }
        return 1;
    }
    case RIP_JSON_ARRAY: {
        MUST(text.ptr[0] == '[' && text.ptr[text.len - 1] == ']');
        uint32_t seen = 1, i = 0;
        RIP_JSON_EACH(e, n) {
            MUST(rip_json_at(n, i) == e);
            seen += walk(d, e, tmp);
            i++;
        }
        MUST(rip_json_at(n, i) == NULL);
        MUST(rip_json_count(n) == i);
        MUST((i == 0) == (n->skip == 1));
        MUST(seen == n->skip);
        return seen;
    }
    case RIP_JSON_OBJECT: {
        MUST(text.ptr[0] == '{' && text.ptr[text.len - 1] == '}');
        uint32_t seen = 1, i = 0;
        RIP_JSON_EACH(k, n) {
            MUST(k->type == RIP_JSON_STRING && (k->flags & RIP_JSON_F_KEY));
            MUST(k->skip == 1 + (k + 1)->skip);
            MUST(!((k + 1)->flags & RIP_JSON_F_KEY));
            seen += walk(d, k, tmp) + walk(d, k + 1, tmp);
            /* rip_json_getn finds this key or an earlier duplicate of it. */
            rip_slice key = rip_json_str(d, k);
            const rip_json_node *v = rip_json_getn(n, key.ptr, key.len);
            MUST(v != NULL && v <= k + 1 && ((v - 1)->flags & RIP_JSON_F_KEY));
            MUST(rip_slice_eqs(rip_json_str(d, v - 1), key));
            i++;
        }
        MUST(rip_json_count(n) == i);
        MUST(seen == n->skip);
        return seen;
    }
    }
    abort();
}

/* Same shape, same decoded strings, same number text. */
static bool same_tree(rip_json_doc *da, const rip_json_node *a, rip_json_doc *db,
                      const rip_json_node *b)
{
    if (a->type != b->type || a->skip != b->skip)
        return false;
    if (a->type == RIP_JSON_NUMBER)
        return a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0;
    if (a->type == RIP_JSON_STRING)
        return rip_slice_eqs(rip_json_str(da, a), rip_json_str(db, b));
    if (a->type != RIP_JSON_ARRAY && a->type != RIP_JSON_OBJECT)
        return true;
    for (uint32_t i = 1; i < a->skip; i++) {
        const rip_json_node *x = a + i, *y = b + i;
        if (x->type != y->type || x->skip != y->skip)
            return false;
        if (x->type == RIP_JSON_STRING || x->type == RIP_JSON_NUMBER)
            if (!same_tree(da, x, db, y))
                return false;
    }
    return true;
}

static void write_doc(rip_json_doc *d, rip_buf *out)
{
    rip_jw w;
    rip_buf_reset(out);
    rip_jw_init(&w, out);
    rip_jw_node(&w, d, rip_json_root(d));
    MUST(rip_jw_finish(&w) == 0);
}

static void check_prefix(rip_json_doc *d, const char *src, size_t size, int whole_ok)
{
    size_t off = 0, consumed = 0;
    rip_json_error e;
    int first = 1;
    /* Concatenated values: a few steps, each must consume something. */
    for (int steps = 0; steps < 16 && off < size; steps++) {
        consumed = (size_t)-1;
        int r = rip_json_parse_prefix(d, src + off, size - off, &consumed, &e);
        if (r < 0) {
            check_error(&e, r, size - off);
            MUST(consumed == (size_t)-1);
            MUST(!(first && whole_ok));
            return;
        }
        MUST(consumed > 0 && consumed <= size - off);
        MUST(rip_json_root(d) != NULL);
        if (first && whole_ok)
            MUST(consumed == size);
        first = 0;
        off += consumed;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = (const char *)data;
    rip_json_doc d, d2;
    rip_buf out = RIP_BUF_INIT, out2 = RIP_BUF_INIT, tmp = RIP_BUF_INIT;
    rip_json_error e;

    rip_json_doc_init(&d, &fuzz_limits);
    rip_json_doc_init(&d2, &reparse_limits);
    int r = rip_json_parse(&d, src, size, &e);
    if (r < 0) {
        check_error(&e, r, size);
        MUST(rip_json_root(&d) == NULL);
        goto prefix;
    }
    const rip_json_node *root = rip_json_root(&d);
    MUST(root != NULL);
    MUST(walk(&d, root, &tmp) == d.count);
    MUST(root->skip == d.count);

    write_doc(&d, &out);
    r = rip_json_parse(&d2, out.ptr, out.len, &e);
    MUST(r == 0);
    MUST(same_tree(&d, root, &d2, rip_json_root(&d2)));
    /* The writer's output is a fixed point. */
    write_doc(&d2, &out2);
    MUST(out.len == out2.len && memcmp(out.ptr, out2.ptr, out.len) == 0);

prefix:
    check_prefix(&d, src, size, r == 0);
    rip_json_doc_release(&d);
    rip_json_doc_release(&d2);
    rip_buf_release(&out);
    rip_buf_release(&out2);
    rip_buf_release(&tmp);
    return 0;
}
