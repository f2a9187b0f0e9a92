/* json.h — riposte's one JSON module: a strict RFC 8259 parser into a flat,
 * arena-backed tree with zero-copy strings, and a streaming writer.
 *
 * Tree invariants
 *   - A parsed document is an array of nodes in document order (pre-order).
 *     Node 0 is the root. A node's subtree is the `skip` nodes starting at
 *     it, so the next sibling of n is n + n->skip; the first child of a
 *     container is n + 1 (if n->len > 0).
 *   - An object's children are its keys; each key node is immediately
 *     followed by its value node, and the key's skip covers key and value.
 *     Element counts are not stored: rip_json_count() walks them.
 *     So `for (k = obj + 1; k < obj + obj->skip; k += k->skip)` walks the
 *     members and k + 1 is each value.
 *   - String and number nodes point into the caller's input (zero-copy):
 *     ptr/len are the raw bytes between the quotes (escapes not decoded) or
 *     the number's text; a container's ptr/len span its brackets. The input must outlive the document's use.
 *     rip_json_str() decodes escapes lazily into the document's arena.
 *   - The input was fully validated: grammar, UTF-8 (strings and whole
 *     document), limits. A document exists only after a successful parse.
 *
 * Limits: document size, nesting depth, members per container and total
 * nodes, each with an error naming byte offset, line and column.
 */
#ifndef RIPOSTE_UTIL_JSON_H
#define RIPOSTE_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/slice.h"

typedef enum rip_json_type {
    RIP_JSON_NULL = 1,
    RIP_JSON_FALSE,
    RIP_JSON_TRUE,
    RIP_JSON_NUMBER,
    RIP_JSON_STRING,
    RIP_JSON_ARRAY,
    RIP_JSON_OBJECT,
} rip_json_type;

enum {
    RIP_JSON_F_ESCAPED = 1 << 0,  /* string contains backslash escapes */
    RIP_JSON_F_KEY     = 1 << 1,  /* string is an object key */
    RIP_JSON_F_INT     = 1 << 2,  /* number has no fraction or exponent */
};

typedef struct rip_json_node {
    const char *ptr;   /* STRING: raw bytes after the opening quote; NUMBER and
                          literals: their text; ARRAY/OBJECT: the opening bracket */
    uint32_t len;      /* bytes of that text (STRING: between the quotes;
                          ARRAY/OBJECT: from opening to closing bracket) */
    uint32_t skip;     /* nodes in this subtree, itself included (key: key+value) */
    uint8_t type;      /* rip_json_type */
    uint8_t flags;     /* RIP_JSON_F_* */
} rip_json_node;

typedef struct rip_json_limits {
    size_t max_size;        /* bytes of input */
    uint32_t max_depth;     /* nesting of arrays/objects */
    uint32_t max_members;   /* elements of one array or members of one object */
    uint32_t max_nodes;     /* nodes in one document */
} rip_json_limits;

/* 256 MiB, depth 256, 4M members per container, 32M nodes. */
extern const rip_json_limits rip_json_default_limits;

typedef struct rip_json_error {
    int code;            /* RIP_ESYNTAX, RIP_EUTF8, RIP_ELIMIT, RIP_ETRUNC, RIP_ENOMEM */
    size_t offset;       /* byte offset of the problem in the input */
    uint32_t line;       /* 1-based */
    uint32_t column;     /* 1-based, in bytes */
    char msg[160];       /* "expected ',' or '}' after object member" */
} rip_json_error;

typedef struct rip_json_doc {
    rip_json_node *nodes;    /* owned; reused across parses */
    uint32_t count;
    uint32_t alloc;
    uint32_t *stack;         /* owned; container indices while parsing */
    uint32_t stack_alloc;
    const char *src;         /* borrowed input of the last successful parse */
    size_t srclen;
    uint32_t newlines;       /* line feeds inside the last parsed value (in the
                                whitespace between its tokens; not the trailing one) */
    rip_json_limits limits;
    rip_arena arena;         /* decoded strings; reset by every parse */
} rip_json_doc;

/* Sets up an empty document; lim NULL means rip_json_default_limits.
 * A document may be parsed into many times; storage is reused. */
void rip_json_doc_init(rip_json_doc *d, const rip_json_limits *lim);
/* Frees everything the document owns. Accepts NULL. */
void rip_json_doc_release(rip_json_doc *d);

/* Parses exactly one JSON value surrounded by optional whitespace.
 * Returns 0 and fills d, or a negative RIP_E* code and fills *err (if
 * non-NULL). Invalidates every node and decoded string of the previous
 * parse. The input is borrowed: it must outlive the use of the tree. */
int rip_json_parse(rip_json_doc *d, const char *src, size_t len, rip_json_error *err);

/* As rip_json_parse(), but stops after the first value and its trailing
 * whitespace; *consumed is set to the bytes used. For concatenated values. */
int rip_json_parse_prefix(rip_json_doc *d, const char *src, size_t len,
                          size_t *consumed, rip_json_error *err);

/* Root of the last successful parse, or NULL. */
static inline const rip_json_node *rip_json_root(const rip_json_doc *d)
{
    return d->count ? d->nodes : NULL;
}

static inline bool rip_json_is(const rip_json_node *n, rip_json_type t)
{
    return n && n->type == t;
}

/* Elements of an array or members of an object; 0 for other nodes. */
uint32_t rip_json_count(const rip_json_node *n);

/* Iterate array elements or object keys (value of key k is k + 1). On a
 * leaf node the loop runs zero times (a leaf's skip is 1). */
#define RIP_JSON_EACH(c, parent) \
    for (const rip_json_node *c = (parent) + 1; c < (parent) + (parent)->skip; c += c->skip)

/* n bytes of a and b are equal: memcmp() == 0 without the call, for the
 * short keys of records (word compares; both must have n readable bytes). */
static inline bool rip_json_bytes_eq(const char *a, const char *b, size_t n)
{
    if (n >= 8) {
        uint64_t x, y;
        for (size_t i = 0; i + 8 < n; i += 8) {
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        __builtin_memcpy(&x, a + n - 8, 8);
        __builtin_memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t x, y, u, v;
        __builtin_memcpy(&x, a, 4);
        __builtin_memcpy(&y, b, 4);
        __builtin_memcpy(&u, a + n - 4, 4);
        __builtin_memcpy(&v, b + n - 4, 4);
        return x == y && u == v;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Object member by key (exact bytes after decoding), or NULL when absent
 * or obj is not an object. The value node is returned. */
const rip_json_node *rip_json_get(const rip_json_node *obj, const char *key);
const rip_json_node *rip_json_getn(const rip_json_node *obj, const char *key, size_t keylen);
/* Follows a dotted path "a.b.c" through objects; NULL when any step is absent. */
const rip_json_node *rip_json_path(const rip_json_node *n, const char *path);
/* Array element i, or NULL. O(i). (n + 1 for the first child; n->len > 2
 * tells that a container is not empty.) */
const rip_json_node *rip_json_at(const rip_json_node *arr, uint32_t i);

/* Decoded string value: zero-copy when the raw text has no escapes, else
 * decoded into d's arena (valid until the next parse or release). Returns
 * RIP_SLICE_NULL when n is not a string or memory runs out. Lone UTF-16
 * surrogates decode to U+FFFD. The result may contain NUL bytes (\u0000). */
rip_slice rip_json_str(rip_json_doc *d, const rip_json_node *n);
/* Decodes a raw string body into out (appended). raw must be the body of a
 * string node of a parsed document (validated: escapes complete); other text
 * may be read past its end. 0 or RIP_E*. */
int rip_json_unescape(const char *raw, size_t len, rip_buf *out);
/* Compares a string node's decoded value with lit without allocating. */
bool rip_json_str_eq(const rip_json_node *n, const char *lit);

/* Number conversions. 0, RIP_ETYPE (not a number), RIP_ERANGE (does not fit
 * in int64 / is not an integer). */
int rip_json_i64(const rip_json_node *n, int64_t *out);
int rip_json_f64(const rip_json_node *n, double *out);

/* The exact input text of the value n: a string with its quotes, a container
 * from its opening bracket to its closing one. Zero-copy. */
static inline rip_slice rip_json_text(const rip_json_node *n)
{
    if (n->type == RIP_JSON_STRING)
        return (rip_slice){ n->ptr - 1, (size_t)n->len + 2 };
    return (rip_slice){ n->ptr, n->len };
}

/* ---- writer ----
 * A streaming writer appending compact JSON to a rip_buf. Errors are sticky:
 * after the first failure every call is a no-op and rip_jw_finish() returns
 * the error. Strings are escaped; invalid UTF-8 in input strings is written
 * as U+FFFD so the output is always valid JSON. */
#define RIP_JW_MAX_DEPTH 256

typedef struct rip_jw {
    rip_buf *out;
    int err;
    uint32_t depth;
    bool after_key;
    /* Per open container: bit 0 while it has no item yet, bit 1 for an
     * object (so a key in an array, a value without a key in an object and
     * a mismatched close are refused). Index 0 is the top level. */
    uint8_t state[RIP_JW_MAX_DEPTH + 1];
} rip_jw;

void rip_jw_init(rip_jw *w, rip_buf *out);
void rip_jw_obj_begin(rip_jw *w);
void rip_jw_obj_end(rip_jw *w);
void rip_jw_arr_begin(rip_jw *w);
void rip_jw_arr_end(rip_jw *w);
void rip_jw_key(rip_jw *w, const char *key);
void rip_jw_keyn(rip_jw *w, const char *key, size_t len);
void rip_jw_str(rip_jw *w, const char *s);          /* NULL writes null */
void rip_jw_strn(rip_jw *w, const char *s, size_t len);
void rip_jw_slice(rip_jw *w, rip_slice s);          /* absent slice writes null */
void rip_jw_i64(rip_jw *w, int64_t v);
void rip_jw_u64(rip_jw *w, uint64_t v);
void rip_jw_f64(rip_jw *w, double v);               /* non-finite writes null */
void rip_jw_bool(rip_jw *w, bool v);
void rip_jw_null(rip_jw *w);
/* Writes already-valid JSON text verbatim (e.g. rip_json_text()).
 * Strings inside are copied as they were. */
void rip_jw_raw(rip_jw *w, const char *json, size_t len);
/* Re-serializes a parsed subtree compactly (escapes normalized). */
void rip_jw_node(rip_jw *w, rip_json_doc *d, const rip_json_node *n);
/* 0, or the first error: RIP_EINVAL for misuse (containers left open or
 * closed with the wrong bracket, a key in an array, a value without a key
 * in an object, two top-level values), RIP_ELIMIT past RIP_JW_MAX_DEPTH. */
int rip_jw_finish(rip_jw *w);

/* Appends s as a JSON string literal (quotes included) to out. */
int rip_json_quote(rip_buf *out, const char *s, size_t len);

#endif
