/* json-write.c — streaming compact JSON writer.
 *
 * The writer keeps one flag per open container ("no item yet") to place
 * commas; errors are sticky. Strings are written as valid JSON whatever the
 * input: control characters, quotes, backslashes and DEL are escaped, and
 * bytes that are not valid UTF-8 become U+FFFD.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"

enum { JW_EMPTY = 1, JW_OBJECT = 2 };

void rip_jw_init(rip_jw *w, rip_buf *out)
{
    w->out = out;
    w->err = 0;
    w->depth = 0;
    w->after_key = false;
    w->state[0] = JW_EMPTY;
}

static inline void jw_set_err(rip_jw *w, int r)
{
    if (r < 0 && !w->err)
        w->err = r;
}

/* Emits the separator before a value (is_key 0) or a key (is_key 1), and
 * refuses a value without a key in an object or a key in an array. */
static inline void jw_sep_kind(rip_jw *w, int is_key)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    uint8_t *st = &w->state[w->depth];
    if (w->depth == 0) {
        /* Top level: a second value is a caller error (jsonl callers reinit). */
        if (!(*st & JW_EMPTY))
            jw_set_err(w, RIP_EINVAL);
        *st &= (uint8_t)~JW_EMPTY;
        return;
    }
    if (((*st & JW_OBJECT) != 0) != (is_key != 0)) {
        jw_set_err(w, RIP_EINVAL);
        return;
    }
    if (*st & JW_EMPTY)
        *st &= (uint8_t)~JW_EMPTY;
    else
        jw_set_err(w, rip_buf_addc(w->out, ','));
}

static inline void jw_sep(rip_jw *w)
{
    jw_sep_kind(w, 0);
}

static void jw_open(rip_jw *w, char c)
{
    if (w->err)
        return;
    jw_sep(w);
    if (w->err)
        return;
    if (w->depth >= RIP_JW_MAX_DEPTH) {
        jw_set_err(w, RIP_ELIMIT);
        return;
    }
    jw_set_err(w, rip_buf_addc(w->out, c));
    w->depth++;
    w->state[w->depth] = (uint8_t)(JW_EMPTY | (c == '{' ? JW_OBJECT : 0));
}

static void jw_close(rip_jw *w, char c)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->after_key ||
        ((w->state[w->depth] & JW_OBJECT) != 0) != (c == '}')) {
        jw_set_err(w, RIP_EINVAL);
        return;
    }
    w->depth--;
    jw_set_err(w, rip_buf_addc(w->out, c));
}

void rip_jw_obj_begin(rip_jw *w) { jw_open(w, '{'); }
void rip_jw_obj_end(rip_jw *w) { jw_close(w, '}'); }
void rip_jw_arr_begin(rip_jw *w) { jw_open(w, '['); }
void rip_jw_arr_end(rip_jw *w) { jw_close(w, ']'); }

/* 1 when the byte must be escaped or looked at (non-ASCII). */
static const uint8_t quote_special[256] = {
    [0x00] = 1, [0x01] = 1, [0x02] = 1, [0x03] = 1, [0x04] = 1, [0x05] = 1,
    [0x06] = 1, [0x07] = 1, [0x08] = 1, [0x09] = 1, [0x0a] = 1, [0x0b] = 1,
    [0x0c] = 1, [0x0d] = 1, [0x0e] = 1, [0x0f] = 1, [0x10] = 1, [0x11] = 1,
    [0x12] = 1, [0x13] = 1, [0x14] = 1, [0x15] = 1, [0x16] = 1, [0x17] = 1,
    [0x18] = 1, [0x19] = 1, [0x1a] = 1, [0x1b] = 1, [0x1c] = 1, [0x1d] = 1,
    [0x1e] = 1, [0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x7f] = 1,
    [0x80 ... 0xff] = 1,
};

/* Length of the valid UTF-8 sequence at p, 0 if invalid. */
static size_t utf8_len(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t avail = (size_t)(end - p);
    if (c >= 0xC2 && c <= 0xDF)
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (avail < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (avail < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
            (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return 0;
        return 4;
    }
    return 0;
}

/* Whether any of the 8 bytes in x must be escaped or looked at: below
 * 0x20, '"', '\\', 0x7f, or 0x80 and above (the classic "has a zero byte"
 * test, (v - 0x01…) & ~v & 0x80…, applied to x xor each byte; it may
 * over-report only bytes after a true hit, so "any" is exact). */
static inline int quote_special8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t ctl = (x - ones * 0x20) & ~x;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\'), d = x ^ (ones * 0x7f);
    q = (q - ones) & ~q;
    b = (b - ones) & ~b;
    d = (d - ones) & ~d;
    return ((ctl | q | b | d | x) & highs) != 0;
}

int rip_json_quote(rip_buf *out, const char *s, size_t len)
{
    size_t start_len = out->len;
    int r = rip_buf_grow(out, len + 2);
    if (r < 0)
        return r;
    out->ptr[out->len++] = '"';
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    while (p < end) {
        const uint8_t *q = p;
        while (end - q >= 8) {
            uint64_t x;
            memcpy(&x, q, 8);
            if (quote_special8(x))
                break;
            q += 8;
        }
        while (q < end && !quote_special[*q])
            q++;
        if (q > p && (r = rip_buf_add(out, p, (size_t)(q - p))) < 0)
            goto fail;
        p = q;
        if (p >= end)
            break;
        uint8_t c = *p;
        char esc[8];
        size_t n = 0;
        if (c >= 0x80) {
            size_t k = utf8_len(p, end);
            if (k) {
                r = rip_buf_add(out, p, k);
                p += k;
            } else {
                r = rip_buf_add(out, "\xEF\xBF\xBD", 3);
                p++;
            }
            if (r < 0)
                goto fail;
            continue;
        }
        switch (c) {
        case '"': memcpy(esc, "\\\"", 2); n = 2; break;
        case '\\': memcpy(esc, "\\\\", 2); n = 2; break;
        case '\n': memcpy(esc, "\\n", 2); n = 2; break;
        case '\r': memcpy(esc, "\\r", 2); n = 2; break;
        case '\t': memcpy(esc, "\\t", 2); n = 2; break;
        case '\b': memcpy(esc, "\\b", 2); n = 2; break;
        case '\f': memcpy(esc, "\\f", 2); n = 2; break;
        default:
            n = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", c);
            break;
        }
        if ((r = rip_buf_add(out, esc, n)) < 0)
            goto fail;
        p++;
    }
    if ((r = rip_buf_addc(out, '"')) < 0)
        goto fail;
    return 0;
fail:
    out->len = start_len;
    out->ptr[out->len] = '\0';
    return r;
}

void rip_jw_keyn(rip_jw *w, const char *key, size_t len)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->after_key) {
        jw_set_err(w, RIP_EINVAL);
        return;
    }
    jw_sep_kind(w, 1);
    if (w->err)
        return;
    jw_set_err(w, rip_json_quote(w->out, key, len));
    jw_set_err(w, rip_buf_addc(w->out, ':'));
    w->after_key = true;
}

void rip_jw_key(rip_jw *w, const char *key)
{
    rip_jw_keyn(w, key, strlen(key));
}

void rip_jw_strn(rip_jw *w, const char *s, size_t len)
{
    if (w->err)
        return;
    jw_sep(w);
    jw_set_err(w, rip_json_quote(w->out, s, len));
}

void rip_jw_str(rip_jw *w, const char *s)
{
    if (!s)
        rip_jw_null(w);
    else
        rip_jw_strn(w, s, strlen(s));
}

void rip_jw_slice(rip_jw *w, rip_slice s)
{
    if (!s.ptr)
        rip_jw_null(w);
    else
        rip_jw_strn(w, s.ptr, s.len);
}

void rip_jw_raw(rip_jw *w, const char *json, size_t len)
{
    if (w->err)
        return;
    jw_sep(w);
    jw_set_err(w, rip_buf_add(w->out, json, len));
}

void rip_jw_i64(rip_jw *w, int64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    rip_jw_raw(w, tmp, (size_t)n);
}

void rip_jw_u64(rip_jw *w, uint64_t v)
{
    char tmp[32];
    int n = snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
    rip_jw_raw(w, tmp, (size_t)n);
}

void rip_jw_f64(rip_jw *w, double v)
{
    if (!isfinite(v)) {
        rip_jw_null(w);
        return;
    }
    char tmp[40];
    /* Shortest of %.15g / %.17g that reads back exactly. */
    int n = snprintf(tmp, sizeof(tmp), "%.15g", v);
    if (strtod(tmp, NULL) != v)
        n = snprintf(tmp, sizeof(tmp), "%.17g", v);
    rip_jw_raw(w, tmp, (size_t)n);
}

void rip_jw_bool(rip_jw *w, bool v)
{
    if (v)
        rip_jw_raw(w, "true", 4);
    else
        rip_jw_raw(w, "false", 5);
}

void rip_jw_null(rip_jw *w)
{
    rip_jw_raw(w, "null", 4);
}

void rip_jw_node(rip_jw *w, rip_json_doc *d, const rip_json_node *n)
{
    if (w->err)
        return;
    switch (n->type) {
    case RIP_JSON_NULL: rip_jw_null(w); break;
    case RIP_JSON_TRUE: rip_jw_bool(w, true); break;
    case RIP_JSON_FALSE: rip_jw_bool(w, false); break;
    case RIP_JSON_NUMBER: rip_jw_raw(w, n->ptr, n->len); break;
    case RIP_JSON_STRING: {
        rip_slice s = rip_json_str(d, n);
        if (!s.ptr)
            jw_set_err(w, RIP_ENOMEM);
        else
            rip_jw_strn(w, s.ptr, s.len);
        break;
    }
    case RIP_JSON_ARRAY:
        rip_jw_arr_begin(w);
        RIP_JSON_EACH(e, n)
            rip_jw_node(w, d, e);
        rip_jw_arr_end(w);
        break;
    case RIP_JSON_OBJECT:
        rip_jw_obj_begin(w);
        RIP_JSON_EACH(k, n) {
            rip_slice key = rip_json_str(d, k);
            if (!key.ptr) {
                jw_set_err(w, RIP_ENOMEM);
                break;
            }
            rip_jw_keyn(w, key.ptr, key.len);
            rip_jw_node(w, d, k + 1);
        }
        rip_jw_obj_end(w);
        break;
    default:
        jw_set_err(w, RIP_EINVAL);
        break;
    }
}

int rip_jw_finish(rip_jw *w)
{
    if (w->err)
        return w->err;
    if (w->depth != 0 || w->after_key)
        return RIP_EINVAL;
    return 0;
}
