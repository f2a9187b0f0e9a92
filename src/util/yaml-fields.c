/* yaml-fields.c — typed values out of a yaml-tree, problems to a callback. */
#include "util/yaml-fields.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* ---- files ---- */

int yf_read_file(const char *path, size_t max, rip_buf *out, char *err, size_t errlen)
{
    rip_buf_init(out, max);
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot open: %s", strerror(e));
        return e == ENOENT ? RIP_ENOENT : RIP_EIO;
    }
    char chunk[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rip_buf_add(out, chunk, n) < 0) {
            snprintf(err, errlen, "file is larger than %zu bytes", max);
            rc = RIP_ELIMIT;
            break;
        }
    if (rc == 0 && ferror(f)) {
        snprintf(err, errlen, "read error");
        rc = RIP_EIO;
    }
    fclose(f);
    explicit_bzero(chunk, sizeof(chunk));
    return rc;
}

/* ---- problems ---- */

static void problem(yf_ctx *c, bool warning, uint32_t line, const char *key, const char *fmt,
                    va_list ap) __attribute__((format(printf, 5, 0)));

static void problem(yf_ctx *c, bool warning, uint32_t line, const char *key, const char *fmt,
                    va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    if (c->fn) {
        yf_problem p = { line, key ? key : "", text, warning };
        c->fn(c->ud, &p);
    }
}

void yf_err(yf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem(c, false, line, key, fmt, ap);
    va_end(ap);
}

void yf_warn(yf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    problem(c, true, line, key, fmt, ap);
    va_end(ap);
}

void yf_message(char *out, size_t cap, const char *what, const char *file, uint32_t line,
                const char *key, const char *text)
{
    if (line && key && *key)
        snprintf(out, cap, "%s '%s' line %u: %s: %s", what, file, line, key, text);
    else if (line)
        snprintf(out, cap, "%s '%s' line %u: %s", what, file, line, text);
    else if (key && *key)
        snprintf(out, cap, "%s '%s': %s: %s", what, file, key, text);
    else
        snprintf(out, cap, "%s '%s': %s", what, file, text);
}

/* ---- structure ---- */

const char *yf_kind_name(const yt_node *n)
{
    return n->kind == YT_MAP ? "a map" : n->kind == YT_SEQ ? "a list" : "a string";
}

void yf_join(char *out, size_t cap, const char *const *names, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && names[i] && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "", names[i]);
}

size_t yf_count(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

const yt_node *yf_get(const yt_node *map, const char *key)
{
    for (uint32_t i = 0; map && map->kind == YT_MAP && i < map->n; i++)
        if (!strcmp(map->kids[2 * i]->str, key))
            return map->kids[2 * i + 1];
    return NULL;
}

const char *yf_path(yf_ctx *c, const char *base, const char *key)
{
    char buf[YF_PATH_MAX];
    if (base && *base)
        snprintf(buf, sizeof(buf), "%s.%s", base, key);
    else
        snprintf(buf, sizeof(buf), "%s", key);
    const char *r = rip_arena_strndup(c->a, buf, strlen(buf));
    if (!r)
        c->nomem = true;
    return r ? r : key;
}

void yf_check_keys(yf_ctx *c, const yt_node *map, const char *path,
                   const char *const *allowed, const char *what)
{
    for (uint32_t i = 0; i < map->n; i++) {
        const yt_node *k = map->kids[2 * i];
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++)
            ok = !strcmp(*a, k->str);
        if (ok)
            continue;
        char want[512];
        yf_join(want, sizeof(want), allowed, yf_count(allowed));
        if (what)
            yf_err(c, k->line, path, "unknown key '%s' for %s (expected %s)", k->str, what, want);
        else
            yf_err(c, k->line, path, "unknown key '%s' (expected %s)", k->str, want);
    }
}

static const yt_node *section(yf_ctx *c, const yt_node *v, const char *path, yt_kind kind)
{
    if (yt_is_null(v))
        return NULL;
    if (v->kind != kind) {
        yf_err(c, v->line, path, "expected %s, found %s", kind == YT_MAP ? "a map" : "a list",
               yf_kind_name(v));
        return NULL;
    }
    return v;
}

const yt_node *yf_map_section(yf_ctx *c, const yt_node *v, const char *path,
                              const char *const *keys)
{
    const yt_node *m = section(c, v, path, YT_MAP);
    if (m && keys)
        yf_check_keys(c, m, path, keys, NULL);
    return m;
}

const yt_node *yf_list_section(yf_ctx *c, const yt_node *v, const char *path)
{
    return section(c, v, path, YT_SEQ);
}

/* ---- values ---- */

const char *yf_scalar(yf_ctx *c, const yt_node *v, const char *path)
{
    if (v->kind != YT_SCALAR) {
        yf_err(c, v->line, path, "expected a string, found %s", yf_kind_name(v));
        return NULL;
    }
    if (yt_is_null(v) || (c->str_max && v->len == 0)) {
        yf_err(c, v->line, path, "expected a value, found nothing");
        return NULL;
    }
    if (c->str_max && (v->len > c->str_max || strlen(v->str) != v->len)) {
        yf_err(c, v->line, path, "value is longer than %zu bytes or holds a NUL", c->str_max);
        return NULL;
    }
    return v->str;
}

int yf_strs(yf_ctx *c, const yt_node *node, const char *path, const char ***v, size_t *n)
{
    if (node->kind == YT_SCALAR) {
        const char *s = yf_scalar(c, node, path);
        if (!s)
            return -1;
        const char **one = rip_arena_alloc(c->a, sizeof(*one));
        if (!one)
            return c->nomem = true, -1;
        one[0] = s;
        *v = one;
        *n = 1;
        return 0;
    }
    if (node->kind != YT_SEQ) {
        yf_err(c, node->line, path, "expected a string or a list of strings, found a map");
        return -1;
    }
    if (node->n == 0) {
        yf_err(c, node->line, path, "expected at least one item, found an empty list");
        return -1;
    }
    const char **items = rip_arena_calloc(c->a, node->n, sizeof(*items));
    if (!items)
        return c->nomem = true, -1;
    int rc = 0;
    for (uint32_t i = 0; i < node->n; i++) {
        items[i] = yf_scalar(c, node->kids[i], path);
        if (!items[i])
            rc = -1;
    }
    if (rc == 0) {
        *v = items;
        *n = node->n;
    }
    return rc;
}

/* A number with a unit: what a duration and a size share. */
typedef struct quantity {
    const char *noun;          /* "duration": "duration '0s' is out of range (...)" */
    const char *examples;      /* "expected a duration such as EXAMPLES, found '...'" */
    const char *const *suffixes;
    const uint64_t *muls;      /* what each suffix multiplies by */
    void (*bound)(char *out, size_t cap, uint64_t n);   /* min and max in messages */
} quantity;

static int read_quantity(yf_ctx *c, const yt_node *v, const char *path, const quantity *q,
                         uint64_t min, uint64_t max, uint64_t *out)
{
    const char *s = yf_scalar(c, v, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    if (end == s || !isdigit((unsigned char)s[0]) || errno)
        goto bad;
    size_t u = 0;
    while (q->suffixes[u] && strcmp(q->suffixes[u], end))
        u++;
    if (!q->suffixes[u])
        goto bad;
    if (n > max / q->muls[u] || n * q->muls[u] < min) {
        char lo[32], hi[32];
        q->bound(lo, sizeof(lo), min);
        q->bound(hi, sizeof(hi), max);
        yf_err(c, v->line, path, "%s '%s' is out of range (%s to %s)", q->noun, s, lo, hi);
        return -1;
    }
    *out = n * q->muls[u];
    return 0;
bad:
    yf_err(c, v->line, path, "expected a %s such as %s, found '%s'", q->noun, q->examples, s);
    return -1;
}

static void seconds_bound(char *out, size_t cap, uint64_t n)
{
    snprintf(out, cap, "%" PRIu64 "s", n);
}

static void size_bound(char *out, size_t cap, uint64_t n)
{
    if (n && n % ((uint64_t)1 << 20) == 0)
        snprintf(out, cap, "%" PRIu64 "MiB", n >> 20);
    else if (n && n % 1024 == 0)
        snprintf(out, cap, "%" PRIu64 "KiB", n >> 10);
    else
        snprintf(out, cap, "%" PRIu64 " bytes", n);
}

int yf_duration(yf_ctx *c, const yt_node *v, const char *path, uint32_t min, uint32_t max,
                uint32_t *out)
{
    static const char *const suffixes[] = { "", "s", "m", "h", "d", NULL };
    static const uint64_t muls[] = { 1, 1, 60, 3600, 86400 };
    static const quantity q = { "duration", "90s, 15m, 2h or 1d", suffixes, muls,
                                seconds_bound };
    uint64_t n;
    if (read_quantity(c, v, path, &q, min, max, &n) < 0)
        return -1;
    *out = (uint32_t)n;
    return 0;
}

int yf_size(yf_ctx *c, const yt_node *v, const char *path, size_t min, size_t max,
            size_t *out)
{
    static const char *const suffixes[] = { "", "B", "K", "KiB", "M", "MiB", NULL };
    static const uint64_t muls[] = { 1, 1, 1024, 1024, 1 << 20, 1 << 20 };
    static const quantity q = { "size", "1MiB, 16KiB or 65536", suffixes, muls, size_bound };
    uint64_t n;
    if (read_quantity(c, v, path, &q, min, max, &n) < 0)
        return -1;
    *out = (size_t)n;
    return 0;
}

int yf_number(yf_ctx *c, const yt_node *v, const char *path, long min, long max, long *out)
{
    const char *s = yf_scalar(c, v, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (end == s || *end || errno || !isdigit((unsigned char)s[s[0] == '-'])) {
        yf_err(c, v->line, path, "expected a number from %ld to %ld, found '%s'", min, max, s);
        return -1;
    }
    if (n < min || n > max) {
        yf_err(c, v->line, path, "%ld is out of range (%ld to %ld)", n, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

int yf_boolean(yf_ctx *c, const yt_node *v, const char *path, bool *out)
{
    static const char *const words[] = { "false", "False", "FALSE", "true", "True", "TRUE" };
    const char *s = yf_scalar(c, v, path);
    if (!s)
        return -1;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (!strcmp(words[i], s)) {
            *out = i >= 3;
            return 0;
        }
    yf_err(c, v->line, path, "expected true or false, found '%s'", s);
    return -1;
}

int yf_pick(yf_ctx *c, const yt_node *v, const char *path, const char *noun,
            const char *const *names, int count, int *out)
{
    const char *s = yf_scalar(c, v, path);
    if (!s)
        return -1;
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], s)) {
            *out = i;
            return 0;
        }
    char want[256];
    yf_join(want, sizeof(want), names, (size_t)count);
    yf_err(c, v->line, path, "unknown %s '%s' (expected %s)", noun, s, want);
    return -1;
}
