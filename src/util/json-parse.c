/* json-parse.c — strict RFC 8259 parser into a flat node array.
 *
 * One pass over the input, no recursion: an explicit stack holds the open
 * containers. Strings are scanned with SSE2 (a byte that is a quote, a
 * backslash, a control character or non-ASCII stops the fast path), from a
 * bitmap of such bytes kept for a 64-byte window; non-ASCII bytes are
 * validated as UTF-8 where they appear, so a CloudTrail record that is all
 * ASCII never pays for validation. Numbers are validated and kept as text;
 * conversion happens when someone asks.
 *
 * Every read of the input is bounded by `end`; the input needs no padding.
 */
#include "util/json.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "util/err.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

const rip_json_limits rip_json_default_limits = {
    .max_size = (size_t)256 << 20,
    .max_depth = 256,
    .max_members = 4u << 20,
    .max_nodes = 32u << 20,
};

void rip_json_doc_init(rip_json_doc *d, const rip_json_limits *lim)
{
    memset(d, 0, sizeof(*d));
    d->limits = lim ? *lim : rip_json_default_limits;
    rip_arena_init(&d->arena, 0);
}

void rip_json_doc_release(rip_json_doc *d)
{
    if (!d)
        return;
    free(d->nodes);
    free(d->stack);
    rip_arena_release(&d->arena);
    d->nodes = NULL;
    d->stack = NULL;
    d->count = d->alloc = d->stack_alloc = 0;
    d->src = NULL;
    d->srclen = 0;
}

/* ---- errors ---- */

static int fail(rip_json_error *err, const char *src, const char *at, int code,
                const char *msg)
{
    if (!err)
        return code;
    err->code = code;
    err->offset = (size_t)(at - src);
    uint32_t line = 1, col = 1;
    for (const char *q = src; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    err->line = line;
    err->column = col;
    snprintf(err->msg, sizeof(err->msg), "%s", msg);
    return code;
}

/* ---- character classes ---- */

/* 1 for JSON whitespace: space, tab, line feed, carriage return. */
static const uint8_t ws_table[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && ws_table[(uint8_t)*p])
        p++;
    return p;
}

/* As skip_ws(), counting the line feeds skipped (only whitespace between
 * tokens can hold one: strings cannot). Compact JSON never enters the loop. */
static inline const char *skip_ws_nl(const char *p, const char *end, uint32_t *nl)
{
    while (p < end && ws_table[(uint8_t)*p]) {
        *nl += *p == '\n';
        p++;
    }
    return p;
}

/* Validates one UTF-8 sequence starting at p (whose first byte is >= 0x80).
 * Returns its length, or 0 if it is not valid UTF-8 (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF). */
static inline size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF) {
        if (avail < 2 || (p[1] & 0xC0) != 0x80)
            return 0;
        return 2;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if (c == 0xE0 && p[1] < 0xA0)
            return 0;   /* overlong */
        if (c == 0xED && p[1] > 0x9F)
            return 0;   /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && p[1] < 0x90)
            return 0;   /* overlong */
        if (c == 0xF4 && p[1] > 0x8F)
            return 0;   /* above U+10FFFF */
        return 4;
    }
    return 0;
}

static inline int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Scans from p (inside a string) to the first byte that needs attention:
 * '"', '\\', a control character (< 0x20) or a non-ASCII byte (>= 0x80).
 * Returns end if there is none. */
static inline const char *scan_plain(const char *p, const char *end)
{
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* Signed compare: 0x00-0x1F and 0x80-0xFF are both "less than 0x20". */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                              _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (p < end) {
        uint8_t c = (uint8_t)*p;
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80)
            return p;
        p++;
    }
    return end;
}

#if defined(__SSE2__)
/* Bit i set when byte i of the 64 at p needs attention (as in scan_plain()).
 * The caller guarantees 64 readable bytes at p. */
static inline uint64_t special_mask64(const char *p)
{
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    uint64_t mask = 0;
    for (int i = 0; i < 4; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                              _mm_cmpeq_epi8(v, bslash)),
                                 _mm_cmplt_epi8(v, space));
        mask |= (uint64_t)(unsigned)_mm_movemask_epi8(m) << (16 * i);
    }
    return mask;
}
#endif

/* As scan_plain(), for the parser's hot path. Most CloudTrail strings are
 * 5-40 bytes, so several share one 64-byte stretch: the parser keeps the
 * bitmap of special bytes for the window [*wbase, *wbase + 64) in *wmask and
 * answers from it with a shift and a tzcnt while p stays inside, instead of
 * a fresh load, compare and movemask per string. Which bytes are special does
 * not depend on where strings start, so one window serves every string in
 * it. A new window is taken at p when p leaves the old one or nothing special
 * is left in it; with fewer than 64 bytes to end, scan_plain() (which never
 * reads past end) answers. */
static inline const char *scan_plain_win(const char *p, const char *end,
                                         const char **wbase, uint64_t *wmask)
{
#if defined(__SSE2__)
    size_t off = (size_t)(p - *wbase);
    if (likely(off < 64)) {
        uint64_t m = *wmask >> off;
        if (likely(m))
            return p + __builtin_ctzll(m);
    }
    if (likely(end - p >= 64)) {
        uint64_t m = special_mask64(p);
        *wbase = p;
        *wmask = m;
        if (likely(m))
            return p + __builtin_ctzll(m);
        return scan_plain(p + 64, end);
    }
#else
    (void)wbase;
    (void)wmask;
#endif
    return scan_plain(p, end);
}

/* Parses a string body starting after the opening quote (or anywhere inside
 * it, on a byte that is not yet validated). On success returns the position
 * of the closing quote and sets *escaped when it saw an escape. On failure
 * returns NULL and sets *errat / *errmsg / *errcode. The parser calls it only
 * when scan_plain() stopped on something other than the closing quote, so it
 * is kept out of line (the common string costs no call). */
static __attribute__((noinline)) const char *scan_string(const char *p, const char *end, int *escaped,
                               const char **errat, const char **errmsg, int *errcode)
{
    for (;;) {
        p = scan_plain(p, end);
        if (unlikely(p >= end)) {
            *errat = end;
            *errmsg = "unterminated string";
            *errcode = RIP_ETRUNC;
            return NULL;
        }
        uint8_t c = (uint8_t)*p;
        if (likely(c == '"'))
            return p;
        if (c == '\\') {
            *escaped = 1;
            if (end - p < 2) {
                *errat = end;
                *errmsg = "unterminated escape sequence in string";
                *errcode = RIP_ETRUNC;
                return NULL;
            }
            switch (p[1]) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p += 2;
                continue;
            case 'u':
                if (end - p < 6) {
                    *errat = end;
                    *errmsg = "unterminated \\u escape in string";
                    *errcode = RIP_ETRUNC;
                    return NULL;
                }
                for (int i = 2; i < 6; i++) {
                    if (hexval((uint8_t)p[i]) < 0) {
                        *errat = p + i;
                        *errmsg = "expected 4 hexadecimal digits after \\u";
                        *errcode = RIP_ESYNTAX;
                        return NULL;
                    }
                }
                p += 6;
                continue;
            default:
                *errat = p + 1;
                *errmsg = "invalid escape: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX";
                *errcode = RIP_ESYNTAX;
                return NULL;
            }
        }
        if (c < 0x20) {
            *errat = p;
            *errmsg = "control character in string: must be escaped";
            *errcode = RIP_ESYNTAX;
            return NULL;
        }
        size_t n = utf8_seq((const uint8_t *)p, (const uint8_t *)end);
        if (unlikely(n == 0)) {
            *errat = p;
            *errmsg = "invalid UTF-8 in string";
            *errcode = RIP_EUTF8;
            return NULL;
        }
        p += n;
    }
}

/* Validates a number starting at p. Returns the position after it, or NULL
 * with *errat set. *is_int is 1 when it has no fraction or exponent. */
static inline const char *scan_number(const char *p, const char *end, int *is_int,
                                      const char **errat, const char **errmsg)
{
    const char *q = p;
    int integer = 1;
    if (*q == '-')
        q++;
    if (q >= end || (uint8_t)(*q - '0') > 9) {
        *errat = q;
        *errmsg = "expected a digit in number";
        return NULL;
    }
    if (*q == '0') {
        q++;
    } else {
        while (q < end && (uint8_t)(*q - '0') <= 9)
            q++;
    }
    if (q < end && *q == '.') {
        integer = 0;
        q++;
        if (q >= end || (uint8_t)(*q - '0') > 9) {
            *errat = q;
            *errmsg = "expected a digit after the decimal point";
            return NULL;
        }
        while (q < end && (uint8_t)(*q - '0') <= 9)
            q++;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        integer = 0;
        q++;
        if (q < end && (*q == '+' || *q == '-'))
            q++;
        if (q >= end || (uint8_t)(*q - '0') > 9) {
            *errat = q;
            *errmsg = "expected a digit in the exponent";
            return NULL;
        }
        while (q < end && (uint8_t)(*q - '0') <= 9)
            q++;
    }
    *is_int = integer;
    return q;
}

static int grow_nodes(rip_json_doc *d)
{
    if (d->alloc >= d->limits.max_nodes)
        return RIP_ELIMIT;
    uint64_t na = d->alloc ? (uint64_t)d->alloc * 2 : 1024;
    if (na > d->limits.max_nodes)
        na = d->limits.max_nodes;
    rip_json_node *nn = realloc(d->nodes, (size_t)na * sizeof(*nn));
    if (!nn)
        return RIP_ENOMEM;
    d->nodes = nn;
    d->alloc = (uint32_t)na;
    return 0;
}

static int grow_stack(rip_json_doc *d)
{
    /* 64-bit: max_depth * 2 + 2 wraps for a caller's max_depth >= 2^31. */
    uint64_t na = d->stack_alloc ? (uint64_t)d->stack_alloc * 2 : 64;
    if (na > (uint64_t)d->limits.max_depth * 2 + 2)
        na = (uint64_t)d->limits.max_depth * 2 + 2;
    if (na > UINT32_MAX - 1)
        na = UINT32_MAX - 1;
    uint32_t *ns = realloc(d->stack, (size_t)na * sizeof(*ns));
    if (!ns)
        return RIP_ENOMEM;
    d->stack = ns;
    d->stack_alloc = (uint32_t)na;
    return 0;
}

/* The stack holds two words per open container: its node index and the
 * member count its parent had when it was opened. */
static int parse(rip_json_doc *d, const char *src, size_t len, int prefix,
                 size_t *consumed, rip_json_error *err)
{
    const char *p = src, *end = src + len;
    const char *errat = NULL, *errmsg = NULL;
    int errcode = RIP_ESYNTAX;
    uint32_t depth = 0, newlines = 0;
    /* The innermost open container: its members so far and whether it is an
     * object (kept here, not read back from the node array, on the hot path). */
    uint32_t members = 0;
    bool in_obj = false;
    /* The window of scan_plain_win(): empty until the first string. */
    const char *wbase = src;
    uint64_t wmask = 0;
    int r;

    d->count = 0;
    d->src = NULL;
    d->srclen = 0;
    rip_arena_reset(&d->arena);
    if (err)
        memset(err, 0, sizeof(*err));

    if (len > d->limits.max_size)
        return fail(err, src, src + d->limits.max_size, RIP_ELIMIT,
                    "document larger than the size limit");
    if (!src && len)
        return fail(err, "", "", RIP_EINVAL, "no input");
    if (!d->nodes && (r = grow_nodes(d)) < 0)
        return fail(err, src, src, r, "out of memory");
    if (!d->stack && (r = grow_stack(d)) < 0)
        return fail(err, src, src, r, "out of memory");

    /* Nodes are appended at nn (a pointer bump, no index arithmetic per
     * node); their count is nn - nodes. */
    rip_json_node *nodes = d->nodes, *nn = nodes, *nend = nodes + d->alloc;
    uint32_t *stack = d->stack;
    const uint32_t max_depth = d->limits.max_depth;
    const uint32_t max_members = d->limits.max_members;

#define NEW_NODE(var)                                                   \
    do {                                                                \
        if (unlikely(nn >= nend)) {                                     \
            d->count = (uint32_t)(nn - nodes);                          \
            r = grow_nodes(d);                                          \
            if (r < 0) {                                                \
                errat = p;                                              \
                errcode = r;                                            \
                errmsg = r == RIP_ELIMIT ? "too many values in document (node limit)" \
                                         : "out of memory";             \
                goto error;                                             \
            }                                                           \
            nn = d->nodes + (nn - nodes);                               \
            nodes = d->nodes;                                           \
            nend = nodes + d->alloc;                                    \
        }                                                               \
        var = nn++;                                                     \
    } while (0)

#define ERR(at, code, msg) \
    do { errat = (at); errcode = (code); errmsg = (msg); goto error; } while (0)

    p = skip_ws_nl(p, end, &newlines);
    if (p >= end)
        ERR(p, RIP_ETRUNC, "expected a JSON value, got end of input");

value: {
        rip_json_node *n;
        uint8_t c = (uint8_t)*p;
        /* Strings first, outside the switch: most values are strings, and a
         * compare predicts better than the switch's indirect jump. */
        if (likely(c == '"')) {
            uint8_t vflags = 0;
            const char *q = scan_plain_win(p + 1, end, &wbase, &wmask);
            if (unlikely(q >= end || *q != '"')) {
                int esc = 0;
                q = scan_string(q, end, &esc, &errat, &errmsg, &errcode);
                if (!q)
                    goto error;
                if (esc)
                    vflags = RIP_JSON_F_ESCAPED;
            }
            NEW_NODE(n);
            n->ptr = p + 1;
            n->len = (uint32_t)(q - p - 1);
            n->skip = 1;
            n->type = RIP_JSON_STRING;
            n->flags = vflags;
            p = q + 1;
            goto after_value;
        }
        switch (c) {
        case '{':
        case '[':
            if (unlikely(depth >= max_depth))
                ERR(p, RIP_ELIMIT, "nesting deeper than the depth limit");
            if (unlikely(depth * 2 + 2 > d->stack_alloc)) {
                r = grow_stack(d);
                if (r < 0)
                    ERR(p, r, "out of memory");
                stack = d->stack;
            }
            NEW_NODE(n);
            n->ptr = p;
            n->len = 0;
            n->skip = 1;
            n->type = c == '{' ? RIP_JSON_OBJECT : RIP_JSON_ARRAY;
            n->flags = 0;
            stack[depth * 2] = (uint32_t)(nn - nodes) - 1;
            stack[depth * 2 + 1] = members;   /* the parent's, restored at close */
            members = 1;                      /* members started, counting this first one */
            in_obj = c == '{';
            depth++;
            p = skip_ws_nl(p + 1, end, &newlines);
            if (unlikely(p >= end))
                ERR(p, RIP_ETRUNC, c == '{' ? "unterminated object" : "unterminated array");
            if ((c == '{' && *p == '}') || (c == '[' && *p == ']'))
                goto close;
            if (unlikely(max_members < 1))
                ERR(p, RIP_ELIMIT, "too many members in one array or object (member limit)");
            if (c == '{') {
                if (*p != '"')
                    ERR(p, RIP_ESYNTAX, "expected '\"' to start an object key or '}'");
                goto key;
            }
            goto value;
        case 't':
            if (end - p >= 4 && memcmp(p, "true", 4) == 0) {
                NEW_NODE(n);
                n->type = RIP_JSON_TRUE;
                goto literal4;
            }
            goto literal_bad;
        case 'n':
            if (end - p >= 4 && memcmp(p, "null", 4) == 0) {
                NEW_NODE(n);
                n->type = RIP_JSON_NULL;
                goto literal4;
            }
            goto literal_bad;
        case 'f':
            if (end - p >= 5 && memcmp(p, "false", 5) == 0) {
                NEW_NODE(n);
                n->type = RIP_JSON_FALSE;
                n->ptr = p;
                n->len = 5;
                n->skip = 1;
                n->flags = 0;
                p += 5;
                goto after_value;
            }
            goto literal_bad;
        case '-': case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9': {
            int is_int = 1;
            const char *q = scan_number(p, end, &is_int, &errat, &errmsg);
            if (!q) {
                errcode = errat >= end ? RIP_ETRUNC : RIP_ESYNTAX;
                goto error;
            }
            NEW_NODE(n);
            n->ptr = p;
            n->len = (uint32_t)(q - p);
            n->skip = 1;
            n->type = RIP_JSON_NUMBER;
            n->flags = is_int ? RIP_JSON_F_INT : 0;
            p = q;
            goto after_value;
        }
        default:
            if (c >= 0x80 && utf8_seq((const uint8_t *)p, (const uint8_t *)end) == 0)
                ERR(p, RIP_EUTF8, "invalid UTF-8 outside a string");
            ERR(p, RIP_ESYNTAX, "expected a JSON value");
        }
    literal_bad:
        /* A literal cut short by the end of input is truncation, not a typo. */
        {
            const char *lit = c == 't' ? "true" : c == 'n' ? "null" : "false";
            size_t have = (size_t)(end - p), want = strlen(lit);
            if (have < want && memcmp(p, lit, have) == 0)
                ERR(end, RIP_ETRUNC, "unexpected end of input in a literal");
            ERR(p, RIP_ESYNTAX, "expected a JSON value");
        }
    literal4:
        n->ptr = p;
        n->len = 4;
        n->skip = 1;
        n->flags = 0;
        p += 4;
        goto after_value;
    }

key: {
        /* p is at the opening quote of a key. */
        uint8_t kflags = RIP_JSON_F_KEY;
        const char *q = scan_plain_win(p + 1, end, &wbase, &wmask);
        if (unlikely(q >= end || *q != '"')) {
            int esc = 0;
            q = scan_string(q, end, &esc, &errat, &errmsg, &errcode);
            if (!q)
                goto error;
            if (esc)
                kflags |= RIP_JSON_F_ESCAPED;
        }
        rip_json_node *n;
        NEW_NODE(n);
        n->ptr = p + 1;
        n->len = (uint32_t)(q - p - 1);
        n->skip = 2;   /* fixed up when the value is a container */
        n->type = RIP_JSON_STRING;
        n->flags = kflags;
        p = q + 1;
        if (likely(p < end && *p == ':')) {
            p++;
        } else {
            p = skip_ws_nl(p, end, &newlines);
            if (p >= end)
                ERR(p, RIP_ETRUNC, "expected ':' after object key, got end of input");
            if (*p != ':')
                ERR(p, RIP_ESYNTAX, "expected ':' after object key");
            p++;
        }
        if (unlikely(p >= end || ws_table[(uint8_t)*p]))
            p = skip_ws_nl(p, end, &newlines);
        if (unlikely(p >= end))
            ERR(p, RIP_ETRUNC, "expected a value after ':', got end of input");
        goto value;
    }

after_value:
    if (depth == 0)
        goto done;
    {
        if (unlikely(p >= end || ws_table[(uint8_t)*p])) {
            p = skip_ws_nl(p, end, &newlines);
            if (p >= end)
                ERR(p, RIP_ETRUNC, in_obj ? "unterminated object" : "unterminated array");
        }
        if (in_obj) {
            if (likely(*p == ',')) {
                p++;
                if (unlikely(p >= end || *p != '"')) {
                    p = skip_ws_nl(p, end, &newlines);
                    if (p >= end)
                        ERR(p, RIP_ETRUNC, "unterminated object");
                    if (*p != '"')
                        ERR(p, RIP_ESYNTAX, "expected '\"' to start an object key");
                }
                if (unlikely(++members > max_members))
                    ERR(p, RIP_ELIMIT, "too many members in one array or object (member limit)");
                goto key;
            }
            if (*p == '}')
                goto close;
            ERR(p, RIP_ESYNTAX, "expected ',' or '}' after object member");
        }
        if (likely(*p == ',')) {
            p++;
            if (unlikely(p >= end || ws_table[(uint8_t)*p]))
                p = skip_ws_nl(p, end, &newlines);
            if (p >= end)
                ERR(p, RIP_ETRUNC, "unterminated array");
            if (unlikely(++members > max_members))
                ERR(p, RIP_ELIMIT, "too many members in one array or object (member limit)");
            goto value;
        }
        if (*p == ']')
            goto close;
        ERR(p, RIP_ESYNTAX, "expected ',' or ']' after array element");
    }

close: {
        /* p is at the closing bracket of the innermost container. */
        depth--;
        uint32_t idx = stack[depth * 2];
        rip_json_node *n = &nodes[idx];
        if ((n->type == RIP_JSON_OBJECT) != (*p == '}'))
            ERR(p, RIP_ESYNTAX, n->type == RIP_JSON_OBJECT ? "expected '}' to close object"
                                                           : "expected ']' to close array");
        n->skip = (uint32_t)(nn - nodes) - idx;
        n->len = (uint32_t)(p + 1 - n->ptr);
        members = stack[depth * 2 + 1];
        in_obj = depth > 0 && nodes[stack[(depth - 1) * 2]].type == RIP_JSON_OBJECT;
        if (in_obj)
            nodes[idx - 1].skip = n->skip + 1;
        p++;
        goto after_value;
    }

done:
    d->newlines = newlines;
    p = skip_ws(p, end);
    if (!prefix && p < end)
        ERR(p, RIP_ESYNTAX, "unexpected data after the JSON value");
    d->count = (uint32_t)(nn - nodes);
    d->src = src;
    d->srclen = (size_t)(p - src);
    if (consumed)
        *consumed = (size_t)(p - src);
    return 0;

error:
    d->count = 0;
    return fail(err, src, errat ? errat : p, errcode, errmsg ? errmsg : "syntax error");
#undef NEW_NODE
#undef ERR
}

int rip_json_parse(rip_json_doc *d, const char *src, size_t len, rip_json_error *err)
{
    return parse(d, src, len, 0, NULL, err);
}

int rip_json_parse_prefix(rip_json_doc *d, const char *src, size_t len,
                          size_t *consumed, rip_json_error *err)
{
    return parse(d, src, len, 1, consumed, err);
}

/* ---- access ---- */

uint32_t rip_json_count(const rip_json_node *n)
{
    if (!n || (n->type != RIP_JSON_ARRAY && n->type != RIP_JSON_OBJECT))
        return 0;
    uint32_t c = 0;
    RIP_JSON_EACH(e, n)
        c++;
    return c;
}

/* Decodes one unit of a validated raw string at *pp into out (1-4 bytes);
 * advances *pp. Lone surrogates become U+FFFD. */
static size_t decode_unit(const char **pp, const char *end, char out[4])
{
    const char *p = *pp;
    if (*p != '\\') {
        out[0] = *p;
        *pp = p + 1;
        return 1;
    }
    char e = p[1];
    *pp = p + 2;
    switch (e) {
    case 'b': out[0] = '\b'; return 1;
    case 'f': out[0] = '\f'; return 1;
    case 'n': out[0] = '\n'; return 1;
    case 'r': out[0] = '\r'; return 1;
    case 't': out[0] = '\t'; return 1;
    case 'u': break;
    default: out[0] = e; return 1;
    }
    uint32_t cp = 0;
    for (int i = 2; i < 6; i++)
        cp = cp << 4 | (uint32_t)hexval((uint8_t)p[i]);
    *pp = p + 6;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        const char *q = p + 6;
        if (end - q >= 6 && q[0] == '\\' && q[1] == 'u') {
            uint32_t lo = 0;
            int ok = 1;
            for (int i = 2; i < 6; i++) {
                int h = hexval((uint8_t)q[i]);
                if (h < 0)
                    ok = 0;
                lo = lo << 4 | (uint32_t)(h < 0 ? 0 : h);
            }
            if (ok && lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                *pp = q + 6;
            } else {
                cp = 0xFFFD;
            }
        } else {
            cp = 0xFFFD;
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Compares a validated raw string with escapes against lit, decoding as it goes. */
static bool raw_eq_escaped(const char *raw, size_t rawlen, const char *lit, size_t litlen)
{
    const char *p = raw, *end = raw + rawlen;
    size_t i = 0;
    char u[4];
    while (p < end) {
        size_t n = decode_unit(&p, end, u);
        if (i + n > litlen || memcmp(lit + i, u, n) != 0)
            return false;
        i += n;
    }
    return i == litlen;
}

const rip_json_node *rip_json_getn(const rip_json_node *obj, const char *key, size_t keylen)
{
    if (!obj || obj->type != RIP_JSON_OBJECT)
        return NULL;
    if (unlikely(keylen == 0)) {
        RIP_JSON_EACH(k, obj)
            if (k->len == 0)
                return k + 1;
        return NULL;
    }
    /* Length and first byte rule out almost every key before memcmp. */
    const char first = key[0];
    RIP_JSON_EACH(k, obj) {
        if (likely(!(k->flags & RIP_JSON_F_ESCAPED))) {
            if (k->len == keylen && k->ptr[0] == first && rip_json_bytes_eq(k->ptr, key, keylen))
                return k + 1;
        } else if (raw_eq_escaped(k->ptr, k->len, key, keylen)) {
            return k + 1;
        }
    }
    return NULL;
}

const rip_json_node *rip_json_get(const rip_json_node *obj, const char *key)
{
    return rip_json_getn(obj, key, strlen(key));
}

const rip_json_node *rip_json_path(const rip_json_node *n, const char *path)
{
    const char *s = path;
    while (n) {
        const char *dot = strchr(s, '.');
        size_t seg = dot ? (size_t)(dot - s) : strlen(s);
        n = rip_json_getn(n, s, seg);
        if (!dot)
            return n;
        s = dot + 1;
    }
    return NULL;
}

const rip_json_node *rip_json_at(const rip_json_node *arr, uint32_t i)
{
    if (!arr || arr->type != RIP_JSON_ARRAY)
        return NULL;
    RIP_JSON_EACH(e, arr) {
        if (i-- == 0)
            return e;
    }
    return NULL;
}

bool rip_json_str_eq(const rip_json_node *n, const char *lit)
{
    if (!n || n->type != RIP_JSON_STRING)
        return false;
    size_t litlen = strlen(lit);
    if (!(n->flags & RIP_JSON_F_ESCAPED))
        return n->len == litlen && memcmp(n->ptr, lit, litlen) == 0;
    return raw_eq_escaped(n->ptr, n->len, lit, litlen);
}

int rip_json_unescape(const char *raw, size_t len, rip_buf *out)
{
    int r = rip_buf_grow(out, len);
    if (r < 0)
        return r;
    const char *p = raw, *end = raw + len;
    char *o = out->ptr + out->len;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = bs ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(o, p, plain);
        o += plain;
        p += plain;
        if (!bs)
            break;
        char u[4];
        size_t n = decode_unit(&p, end, u);
        memcpy(o, u, n);
        o += n;
    }
    out->len = (size_t)(o - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}

rip_slice rip_json_str(rip_json_doc *d, const rip_json_node *n)
{
    if (!n || n->type != RIP_JSON_STRING)
        return RIP_SLICE_NULL;
    if (!(n->flags & RIP_JSON_F_ESCAPED))
        return (rip_slice){ n->ptr, n->len };
    /* Decoded text is never longer than the raw text. */
    char *o = rip_arena_alloc(&d->arena, (size_t)n->len + 1);
    if (!o)
        return RIP_SLICE_NULL;
    const char *p = n->ptr, *end = n->ptr + n->len;
    size_t w = 0;
    while (p < end) {
        const char *bs = memchr(p, '\\', (size_t)(end - p));
        size_t plain = bs ? (size_t)(bs - p) : (size_t)(end - p);
        memcpy(o + w, p, plain);
        w += plain;
        p += plain;
        if (!bs)
            break;
        char u[4];
        size_t k = decode_unit(&p, end, u);
        memcpy(o + w, u, k);
        w += k;
    }
    o[w] = '\0';
    return (rip_slice){ o, w };
}

int rip_json_i64(const rip_json_node *n, int64_t *out)
{
    if (!n || n->type != RIP_JSON_NUMBER)
        return RIP_ETYPE;
    if (!(n->flags & RIP_JSON_F_INT))
        return RIP_ERANGE;
    const char *p = n->ptr, *end = n->ptr + n->len;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    uint64_t v = 0;
    const uint64_t lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; p < end; p++) {
        uint64_t dgt = (uint64_t)(*p - '0');
        if (v > (lim - dgt) / 10)
            return RIP_ERANGE;
        v = v * 10 + dgt;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

int rip_json_f64(const rip_json_node *n, double *out)
{
    if (!n || n->type != RIP_JSON_NUMBER)
        return RIP_ETYPE;
    char small[64];
    char *tmp = small;
    if (n->len >= sizeof(small)) {
        tmp = malloc((size_t)n->len + 1);
        if (!tmp)
            return RIP_ENOMEM;
    }
    memcpy(tmp, n->ptr, n->len);
    tmp[n->len] = '\0';
    errno = 0;
    double v = strtod(tmp, NULL);
    int r = 0;
    if (errno == ERANGE && isinf(v))
        r = RIP_ERANGE;
    if (tmp != small)
        free(tmp);
    if (r < 0)
        return r;
    *out = v;
    return 0;
}
