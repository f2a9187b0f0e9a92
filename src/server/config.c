/* config.c — reads riposte.yaml (docs/CONFIG.md) into a rip_config and
 * checks all of it, reporting every problem with its file, line and key.
 * See config.h for the invariants. Built on the respond layer's YAML tree
 * (respond/yaml-tree.h), in the same manner as the playbook loader. */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "cloud/action-safety.h"
#include "correlate/incident.h"
#include "respond/playbook.h"
#include "respond/yaml-tree.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/err.h"

#define CF_KEY_MAX 256
#define CF_ARENA_CAP ((size_t)64 << 20)
#define CF_STR_MAX 4096              /* any one string value */

struct rip_config_priv {
    rip_arena arena;
};

/* One file being read. */
typedef struct cf_ctx {
    rip_config *cfg;
    rip_arena *a;
    const char *file;
    char dir[4096];            /* the file's folder, "" for the current one */
    const rip_config_opts *opts;
    rip_config_diag_fn fn;
    void *ud;
    unsigned nerr;
    bool limit;                /* a limit was hit: RIP_ELIMIT */
    bool nomem;
    uint32_t pb_line;          /* playbook problems are reported at this line */
    struct cf_diag *diags;     /* held until the end, then reported by line */
    size_t ndiags, adiags;
} cf_ctx;

/* A problem found, held so that all of them are reported in line order
 * (sections are read in the order their references need, not the file's). */
typedef struct cf_diag {
    size_t seq;                /* the order found: sorting keeps it within a line */
    uint32_t line;
    bool warning;
    char *key, *text;
} cf_diag;

#define CF_MAX_HELD 4096

static const char *const sync_names[] = { "normal", "full" };
static const char *const source_kind_names[] = { "sqs", "http" };
static const char *const channel_kind_names[] = { "slack", "pagerduty", "webhook", "email" };
static const char *const route_mode_names[] = { "auto", "approve" };
static const char *const role_names[] = { "viewer", "responder", "admin" };

const char *rip_config_sync_name(rip_config_sync v)
{
    return (unsigned)v < 2 ? sync_names[v] : "?";
}

const char *rip_source_kind_name(rip_source_kind v)
{
    return (unsigned)v < 2 ? source_kind_names[v] : "?";
}

const char *rip_channel_kind_name(rip_channel_kind v)
{
    return (unsigned)v < 4 ? channel_kind_names[v] : "?";
}

const char *rip_route_mode_name(rip_route_mode v)
{
    return (unsigned)v < 2 ? route_mode_names[v] : "?";
}

/* ---- problems ---- */

static void cf_report(cf_ctx *c, uint32_t line, const char *key, const char *text, bool warning)
{
    char msg[1536];
    if (line && key && *key)
        snprintf(msg, sizeof(msg), "config '%s' line %u: %s: %s", c->file, line, key, text);
    else if (line)
        snprintf(msg, sizeof(msg), "config '%s' line %u: %s", c->file, line, text);
    else if (key && *key)
        snprintf(msg, sizeof(msg), "config '%s': %s: %s", c->file, key, text);
    else
        snprintf(msg, sizeof(msg), "config '%s': %s", c->file, text);
    if (c->fn) {
        rip_config_diag d = { c->file, line, key ? key : "", text, msg, warning };
        c->fn(c->ud, &d);
    }
}

static void cf_err(cf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Holds a problem for cf_flush(). Past CF_MAX_HELD (or out of memory) the
 * problem is only counted. */
static void cf_hold(cf_ctx *c, uint32_t line, const char *key, const char *text, bool warning)
{
    if (!warning)
        c->nerr++;
    if (c->ndiags >= CF_MAX_HELD)
        return;
    if (c->ndiags == c->adiags) {
        size_t na = c->adiags ? c->adiags * 2 : 16;
        cf_diag *nd = realloc(c->diags, na * sizeof(*nd));
        if (!nd)
            return;
        c->diags = nd;
        c->adiags = na;
    }
    cf_diag *d = &c->diags[c->ndiags];
    d->seq = c->ndiags;
    d->line = line;
    d->warning = warning;
    d->key = strdup(key ? key : "");
    d->text = strdup(text);
    if (!d->key || !d->text) {
        free(d->key);
        free(d->text);
        return;
    }
    c->ndiags++;
}

static void cf_err(cf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cf_hold(c, line, key, text, false);
}

static void cf_warn(cf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void cf_warn(cf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    cf_hold(c, line, key, text, true);
}

static int diag_cmp(const void *a, const void *b)
{
    const cf_diag *x = a, *y = b;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Reports the held problems in line order: the first
 * RIP_CONFIG_MAX_ERRORS - 1 errors (with the warnings among them), then one
 * "too many errors" if there were more. Frees them. */
static void cf_flush(cf_ctx *c)
{
    if (c->ndiags)
        qsort(c->diags, c->ndiags, sizeof(*c->diags), diag_cmp);
    unsigned errors = 0;
    bool stop = false;
    for (size_t i = 0; i < c->ndiags; i++) {
        cf_diag *d = &c->diags[i];
        if (!stop && !d->warning && ++errors == RIP_CONFIG_MAX_ERRORS && c->nerr > errors) {
            cf_report(c, d->line, d->key, "too many errors; the rest are not shown", false);
            stop = true;
        } else if (!stop) {
            cf_report(c, d->line, d->key, d->text, d->warning);
        }
        free(d->key);
        free(d->text);
    }
    free(c->diags);
    c->diags = NULL;
    c->ndiags = c->adiags = 0;
}

static const char *kind_name(const yt_node *n)
{
    return n->kind == YT_MAP ? "a map" : n->kind == YT_SEQ ? "a list" : "a string";
}

/* ---- small readers ---- */

static void join(char *out, size_t cap, const char *const *names, size_t n)
{
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && names[i] && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "", names[i]);
}

static size_t count_names(const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    return n;
}

/* Checks that every key of map is in allowed (NULL-terminated); what, when
 * set, names the kind of thing ("an sqs source") in the message. */
static void check_keys(cf_ctx *c, const yt_node *map, const char *path,
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
        join(want, sizeof(want), allowed, count_names(allowed));
        if (what)
            cf_err(c, k->line, path, "unknown key '%s' for %s (expected %s)", k->str, what, want);
        else
            cf_err(c, k->line, path, "unknown key '%s' (expected %s)", k->str, want);
    }
}

static const yt_node *map_get(const yt_node *map, const char *key)
{
    for (uint32_t i = 0; map && map->kind == YT_MAP && i < map->n; i++)
        if (!strcmp(map->kids[2 * i]->str, key))
            return map->kids[2 * i + 1];
    return NULL;
}

static const char *key_path(cf_ctx *c, const char *base, const char *key)
{
    char buf[CF_KEY_MAX];
    if (base && *base)
        snprintf(buf, sizeof(buf), "%s.%s", base, key);
    else
        snprintf(buf, sizeof(buf), "%s", key);
    const char *r = rip_arena_strndup(c->a, buf, strlen(buf));
    return r ? r : key;
}

static char *dup(cf_ctx *c, const char *s)
{
    char *r = rip_arena_strndup(c->a, s, strlen(s));
    if (!r)
        c->nomem = true;
    return r;
}

/* A map section; NULL (with an error) when v is something else. A null
 * value (the key with nothing after it) is an empty section: NULL, no
 * error, *empty set. */
static const yt_node *section(cf_ctx *c, const yt_node *v, const char *path)
{
    if (yt_is_null(v))
        return NULL;
    if (v->kind != YT_MAP) {
        cf_err(c, v->line, path, "expected a map, found %s", kind_name(v));
        return NULL;
    }
    return v;
}

/* A string value; NULL (with an error) when it is not a non-empty scalar
 * of at most CF_STR_MAX bytes. */
static const char *scalar(cf_ctx *c, const yt_node *v, const char *path)
{
    if (v->kind != YT_SCALAR) {
        cf_err(c, v->line, path, "expected a string, found %s", kind_name(v));
        return NULL;
    }
    if (yt_is_null(v) || v->len == 0) {
        cf_err(c, v->line, path, "expected a value, found nothing");
        return NULL;
    }
    if (v->len > CF_STR_MAX || strlen(v->str) != v->len) {
        cf_err(c, v->line, path, "value is longer than %d bytes or holds a NUL", CF_STR_MAX);
        return NULL;
    }
    return v->str;
}

/* A string or a list of strings (at least one). 0 or -1 (reported). */
static int strs(cf_ctx *c, const yt_node *v, const char *path, rip_config_strs *out)
{
    if (v->kind == YT_SCALAR) {
        const char *s = scalar(c, v, path);
        if (!s)
            return -1;
        out->v = rip_arena_alloc(c->a, sizeof(*out->v));
        if (!out->v)
            return c->nomem = true, -1;
        out->v[0] = s;
        out->n = 1;
        return 0;
    }
    if (v->kind != YT_SEQ) {
        cf_err(c, v->line, path, "expected a string or a list of strings, found a map");
        return -1;
    }
    if (v->n == 0) {
        cf_err(c, v->line, path, "expected at least one item, found an empty list");
        return -1;
    }
    const char **items = rip_arena_calloc(c->a, v->n, sizeof(*items));
    if (!items)
        return c->nomem = true, -1;
    int rc = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        items[i] = scalar(c, v->kids[i], path);
        if (!items[i])
            rc = -1;
    }
    if (rc == 0) {
        out->v = items;
        out->n = v->n;
    }
    return rc;
}

/* "90", "90s", "15m", "2h", "1d" → seconds in min..max. 0 or -1. */
static int duration(cf_ctx *c, const yt_node *v, const char *path, uint32_t min, uint32_t max,
                    uint32_t *out)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (end == s || !isdigit((unsigned char)s[0]) || errno)
        goto bad;
    if (*end) {
        if (end[1])
            goto bad;
        switch (*end) {
        case 's': mul = 1; break;
        case 'm': mul = 60; break;
        case 'h': mul = 3600; break;
        case 'd': mul = 86400; break;
        default: goto bad;
        }
    }
    if (n > max || n * mul > max || n * mul < min) {
        cf_err(c, v->line, path, "duration '%s' is out of range (%us to %us)", s, min, max);
        return -1;
    }
    *out = (uint32_t)(n * mul);
    return 0;
bad:
    cf_err(c, v->line, path, "expected a duration such as 90s, 15m, 2h or 1d, found '%s'", s);
    return -1;
}

static void fmt_size(char *out, size_t cap, size_t n)
{
    if (n && n % ((size_t)1 << 20) == 0)
        snprintf(out, cap, "%zuMiB", n >> 20);
    else if (n && n % 1024 == 0)
        snprintf(out, cap, "%zuKiB", n >> 10);
    else
        snprintf(out, cap, "%zu bytes", n);
}

/* "65536", "64KiB", "64K", "1MiB", "1M" → bytes in min..max. 0 or -1. */
static int size(cf_ctx *c, const yt_node *v, const char *path, size_t min, size_t max,
                size_t *out)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (end == s || !isdigit((unsigned char)s[0]) || errno)
        goto bad;
    if (!strcmp(end, "") || !strcmp(end, "B"))
        mul = 1;
    else if (!strcmp(end, "K") || !strcmp(end, "KiB"))
        mul = 1024;
    else if (!strcmp(end, "M") || !strcmp(end, "MiB"))
        mul = (unsigned long long)1 << 20;
    else
        goto bad;
    if (n > max || n * mul > max || n * mul < min) {
        char lo[32], hi[32];
        fmt_size(lo, sizeof(lo), min);
        fmt_size(hi, sizeof(hi), max);
        cf_err(c, v->line, path, "size '%s' is out of range (%s to %s)", s, lo, hi);
        return -1;
    }
    *out = (size_t)(n * mul);
    return 0;
bad:
    cf_err(c, v->line, path, "expected a size such as 1MiB, 16KiB or 65536, found '%s'", s);
    return -1;
}

static int number(cf_ctx *c, const yt_node *v, const char *path, long min, long max, long *out)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    char *end;
    errno = 0;
    long n = strtol(s, &end, 10);
    if (end == s || *end || errno || !isdigit((unsigned char)s[s[0] == '-'])) {
        cf_err(c, v->line, path, "expected a number from %ld to %ld, found '%s'", min, max, s);
        return -1;
    }
    if (n < min || n > max) {
        cf_err(c, v->line, path, "%ld is out of range (%ld to %ld)", n, min, max);
        return -1;
    }
    *out = n;
    return 0;
}

static int boolean(cf_ctx *c, const yt_node *v, const char *path, bool *out)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE")) {
        *out = true;
        return 0;
    }
    if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE")) {
        *out = false;
        return 0;
    }
    cf_err(c, v->line, path, "expected true or false, found '%s'", s);
    return -1;
}

/* One of names (count of them); noun names the thing ("kind"). */
static int pick(cf_ctx *c, const yt_node *v, const char *path, const char *noun,
                const char *const *names, int count, int *out)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    for (int i = 0; i < count; i++)
        if (!strcmp(names[i], s)) {
            *out = i;
            return 0;
        }
    char want[256];
    join(want, sizeof(want), names, (size_t)count);
    cf_err(c, v->line, path, "unknown %s '%s' (expected %s)", noun, s, want);
    return -1;
}

/* A name: letters, digits, '-', '_', '.', 1..RIP_CONFIG_NAME_MAX. */
static bool is_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RIP_CONFIG_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static const char *name(cf_ctx *c, const yt_node *v, const char *path)
{
    const char *s = scalar(c, v, path);
    if (s && !is_name(s)) {
        cf_err(c, v->line, path, "'%s' is not a name (letters, digits, '-', '_', '.'; at most "
               "%d)", s, RIP_CONFIG_NAME_MAX);
        return NULL;
    }
    return s;
}

static const char *url(cf_ctx *c, const yt_node *v, const char *path, const char *const *schemes)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return NULL;
    for (const char *const *p = schemes; *p; p++) {
        size_t n = strlen(*p);
        if (!strncmp(s, *p, n) && s[n] && s[n] != '/')
            return s;
    }
    char want[128];
    join(want, sizeof(want), schemes, count_names(schemes));
    cf_err(c, v->line, path, "expected a URL starting with %s, found '%s'", want, s);
    return NULL;
}

static const char *const http_schemes[] = { "https://", "http://", NULL };

/* A relative path is relative to the configuration file's folder. */
static const char *resolve_path(cf_ctx *c, const char *p)
{
    if (p[0] == '/' || !c->dir[0] || strstr(p, "://"))
        return p;
    char buf[8192];
    snprintf(buf, sizeof(buf), "%s/%s", c->dir, p);
    return dup(c, buf);
}

static bool is_env_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s) || strlen(s) > 255)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

/* A secret given inline (KEY) or by environment variable (KEY_env). The
 * value is never part of a message. inline_ok: false for secrets that may
 * only come from the environment. 0 (set or absent) or -1 (reported). */
static int secret(cf_ctx *c, const yt_node *m, const char *path, const char *key,
                  bool inline_ok, rip_config_secret_ref *out)
{
    char envkey[64];
    snprintf(envkey, sizeof(envkey), "%s_env", key);
    const yt_node *iv = inline_ok ? map_get(m, key) : NULL;
    const yt_node *ev = map_get(m, envkey);
    if (iv && ev) {
        cf_err(c, ev->kline, key_path(c, path, envkey), "give '%s' or '%s', not both", key,
               envkey);
        return -1;
    }
    if (iv) {
        const char *s = scalar(c, iv, key_path(c, path, key));
        if (!s)
            return -1;
        cf_warn(c, iv->kline, key_path(c, path, key),
                "secret written in the file; prefer '%s' (the name of an environment variable)",
                envkey);
        out->value = s;
        out->env = NULL;
        return 0;
    }
    if (!ev)
        return 0;
    const char *kp = key_path(c, path, envkey);
    const char *var = scalar(c, ev, kp);
    if (!var)
        return -1;
    if (!is_env_name(var)) {
        cf_err(c, ev->line, kp, "'%s' is not the name of an environment variable "
               "(letters, digits, '_')", var);
        return -1;
    }
    const char *val = rip_config_secret(c->cfg, NULL, var);
    if (!val) {
        const char *set = getenv(var);
        cf_err(c, ev->line, kp, "environment variable '%s' is %s", var,
               set ? "empty" : "not set");
        return -1;
    }
    out->value = val;
    out->env = var;
    return 0;
}

/* "KEY=VALUE" into key and value. 0 or -1. */
static int protect_tag(cf_ctx *c, const yt_node *v, const char *path, const char **key,
                       const char **value)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || strlen(s) > 256) {
        cf_err(c, v->line, path, "expected KEY=VALUE such as riposte:protected=true, found '%s'",
               s);
        return -1;
    }
    char *k = rip_arena_strndup(c->a, s, (size_t)(eq - s));
    if (!k)
        return c->nomem = true, -1;
    *key = k;
    *value = eq + 1;
    return 0;
}

static bool is_region(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 31)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && s[i] != '-')
            return false;
    return true;
}

static const char *region(cf_ctx *c, const yt_node *v, const char *path)
{
    const char *s = scalar(c, v, path);
    if (s && !is_region(s)) {
        cf_err(c, v->line, path, "'%s' is not an AWS region (such as us-east-1)", s);
        return NULL;
    }
    return s;
}

/* 64 hex digits → 32 bytes. The value is not echoed: a token pasted in
 * by mistake must not end up in a log. */
static int sha256_hex(cf_ctx *c, const yt_node *v, const char *path, unsigned char out[32])
{
    const char *s = scalar(c, v, path);
    if (!s)
        return -1;
    bool ok = strlen(s) == 64;
    for (size_t i = 0; ok && i < 64; i++)
        ok = isxdigit((unsigned char)s[i]) != 0;
    if (!ok) {
        cf_err(c, v->line, path, "expected the 64 hex digits of a SHA-256 (riposte config "
               "hash-token prints them), found %zu characters", strlen(s));
        return -1;
    }
    for (size_t i = 0; i < 32; i++) {
        char byte[3] = { s[2 * i], s[2 * i + 1], 0 };
        out[i] = (unsigned char)strtoul(byte, NULL, 16);
    }
    return 0;
}

/* The path of list item i: "routes.NAME" when the item has a usable name
 * under namekey, else "routes[i]". */
static const char *item_path(cf_ctx *c, const char *base, const yt_node *item, const char *namekey,
                             uint32_t i)
{
    const yt_node *n = map_get(item, namekey);
    char buf[CF_KEY_MAX];
    if (n && n->kind == YT_SCALAR && is_name(n->str))
        snprintf(buf, sizeof(buf), "%s.%s", base, n->str);
    else
        snprintf(buf, sizeof(buf), "%s[%u]", base, i);
    const char *r = rip_arena_strndup(c->a, buf, strlen(buf));
    return r ? r : base;
}

/* A list section: its node, or NULL (empty, or an error reported). */
static const yt_node *list_section(cf_ctx *c, const yt_node *v, const char *path)
{
    if (yt_is_null(v))
        return NULL;
    if (v->kind != YT_SEQ) {
        cf_err(c, v->line, path, "expected a list, found %s", kind_name(v));
        return NULL;
    }
    return v;
}

/* A list item that must be a map. */
static bool item_map(cf_ctx *c, const yt_node *v, const char *path, const char *what)
{
    if (v->kind == YT_MAP)
        return true;
    cf_err(c, v->line, path, "%s is a map, found %s", what, kind_name(v));
    return false;
}

/* ---- sections ---- */

static int parse_listen(cf_ctx *c, const yt_node *v, const char *path)
{
    rip_config_server *s = &c->cfg->server;
    const char *str = scalar(c, v, path);
    if (!str)
        return -1;
    const char *host = str, *colon;
    size_t hlen;
    if (str[0] == '[') {
        const char *close = strchr(str, ']');
        if (!close || close[1] != ':')
            goto bad;
        host = str + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(str, ':');
        if (!colon)
            goto bad;
        hlen = (size_t)(colon - str);
        if (memchr(str, ':', hlen))
            goto bad;      /* an IPv6 address needs brackets */
    }
    if (hlen == 0)
        goto bad;
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!isdigit((unsigned char)colon[1]) || *end || errno || port == 0 || port > 65535)
        goto bad;
    char *h = rip_arena_strndup(c->a, host, hlen);
    if (!h)
        return c->nomem = true, -1;
    s->listen = str;
    s->listen_host = h;
    s->listen_port = (uint16_t)port;
    return 0;
bad:
    cf_err(c, v->line, path, "expected HOST:PORT such as 127.0.0.1:8088 or [::1]:8088, found '%s'",
           str);
    return -1;
}

static const char *readable_file(cf_ctx *c, const yt_node *v, const char *path)
{
    const char *s = scalar(c, v, path);
    if (!s)
        return NULL;
    const char *p = resolve_path(c, s);
    if (!p)
        return NULL;
    struct stat st;
    if (stat(p, &st) != 0) {
        cf_err(c, v->line, path, "cannot read '%s': %s", p, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        cf_err(c, v->line, path, "'%s' is not a file", p);
        return NULL;
    }
    return p;
}

static void parse_server(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = {
        "listen", "tls_cert", "tls_key", "max_body", "max_header", "max_connections",
        "connection_timeout", "drain_timeout", NULL,
    };
    rip_config_server *s = &c->cfg->server;
    const yt_node *m = section(c, v, "server"), *x;
    if (!m)
        return;
    check_keys(c, m, "server", keys, NULL);
    if ((x = map_get(m, "listen")))
        parse_listen(c, x, "server.listen");
    const yt_node *cert = map_get(m, "tls_cert"), *key = map_get(m, "tls_key");
    if (cert)
        s->tls_cert = readable_file(c, cert, "server.tls_cert");
    if (key)
        s->tls_key = readable_file(c, key, "server.tls_key");
    if (cert && !key)
        cf_err(c, cert->kline, "server.tls_cert", "needs server.tls_key (give both or neither)");
    if (key && !cert)
        cf_err(c, key->kline, "server.tls_key", "needs server.tls_cert (give both or neither)");
    if ((x = map_get(m, "max_body")))
        size(c, x, "server.max_body", 1024, RIP_CONFIG_MAX_BODY_CAP, &s->max_body);
    if ((x = map_get(m, "max_header")))
        size(c, x, "server.max_header", 1024, RIP_CONFIG_MAX_HEADER_CAP, &s->max_header);
    long n;
    if ((x = map_get(m, "max_connections")) &&
        number(c, x, "server.max_connections", 1, 65536, &n) == 0)
        s->max_connections = (uint32_t)n;
    if ((x = map_get(m, "connection_timeout")))
        duration(c, x, "server.connection_timeout", 1, 3600, &s->connection_timeout_s);
    if ((x = map_get(m, "drain_timeout")))
        duration(c, x, "server.drain_timeout", 1, 3600, &s->drain_timeout_s);
}

static void parse_store(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "path", "sync", NULL };
    const yt_node *m = section(c, v, "store"), *x;
    if (!m)
        return;
    check_keys(c, m, "store", keys, NULL);
    const char *s;
    if ((x = map_get(m, "path")) && (s = scalar(c, x, "store.path")))
        c->cfg->store.path = resolve_path(c, s);
    int k;
    if ((x = map_get(m, "sync")) && pick(c, x, "store.sync", "value", sync_names, 2, &k) == 0)
        c->cfg->store.sync = (rip_config_sync)k;
}

static void parse_aws(cf_ctx *c, const yt_node *v, const yt_node **protect)
{
    static const char *const keys[] = { "profile", "region", "endpoint_url", "protect_tag", NULL };
    rip_config_aws *aws = &c->cfg->aws;
    const yt_node *m = section(c, v, "aws"), *x;
    if (!m)
        return;
    check_keys(c, m, "aws", keys, NULL);
    if ((x = map_get(m, "profile")))
        aws->profile = scalar(c, x, "aws.profile");
    if ((x = map_get(m, "region")))
        aws->region = region(c, x, "aws.region");
    if ((x = map_get(m, "endpoint_url")))
        aws->endpoint_url = url(c, x, "aws.endpoint_url", http_schemes);
    if ((x = map_get(m, "protect_tag"))) {
        *protect = x;
        protect_tag(c, x, "aws.protect_tag", &c->cfg->safety.protect_key,
                    &c->cfg->safety.protect_value);
    }
}

static void parse_safety(cf_ctx *c, const yt_node *v, const yt_node *aws_protect)
{
    static const char *const keys[] = { "max_destructive_per_hour", "protect_tag", "dry_run",
                                        NULL };
    rip_config_safety *s = &c->cfg->safety;
    const yt_node *m = section(c, v, "safety"), *x;
    if (!m)
        return;
    check_keys(c, m, "safety", keys, NULL);
    long n;
    if ((x = map_get(m, "max_destructive_per_hour")) &&
        number(c, x, "safety.max_destructive_per_hour", 0, 100000, &n) == 0)
        s->max_destructive_per_hour = (int)n;
    if ((x = map_get(m, "protect_tag"))) {
        if (aws_protect)
            cf_err(c, x->kline, "safety.protect_tag", "protect_tag is also set in aws (line %u); "
                   "give it once", aws_protect->kline);
        else
            protect_tag(c, x, "safety.protect_tag", &s->protect_key, &s->protect_value);
    }
    if ((x = map_get(m, "dry_run")))
        boolean(c, x, "safety.dry_run", &s->dry_run);
}

/* Copies s into out[cap] or reports that it does not fit. */
static int copy_to(cf_ctx *c, const yt_node *v, const char *path, const char *s, char *out,
                   size_t cap)
{
    if (strlen(s) >= cap) {
        cf_err(c, v->line, path, "longer than %zu characters", cap - 1);
        return -1;
    }
    memcpy(out, s, strlen(s) + 1);
    return 0;
}

static bool is_account_id(const char *s)
{
    if (strlen(s) != 12)
        return false;
    for (; *s; s++)
        if (!isdigit((unsigned char)*s))
            return false;
    return true;
}

/* One entry of accounts: the keys and rules of cloud/aws-accounts.c, plus
 * an optional name for people. */
static void parse_account(cf_ctx *c, const yt_node *m, uint32_t idx, rip_aws_account *a,
                          const char **namep)
{
    static const char *const keys[] = {
        "id", "name", "role_arn", "external_id", "regions", "allow",
        "max_destructive_per_hour", NULL,
    };
    const yt_node *idn = map_get(m, "id");
    const char *path = idn && idn->kind == YT_SCALAR && is_account_id(idn->str)
                           ? item_path(c, "accounts", m, "id", idx)
                           : item_path(c, "accounts", m, "", idx);
    memset(a, 0, sizeof(*a));
    a->max_destructive = -1;
    a->line = m->line;
    if (!item_map(c, m, path, "an account"))
        return;
    check_keys(c, m, path, keys, NULL);
    const yt_node *x, *role = map_get(m, "role_arn"), *ext = map_get(m, "external_id");
    const char *s;
    if (!(x = map_get(m, "id"))) {
        cf_err(c, m->line, path, "an account needs 'id' (its 12-digit account id)");
    } else if ((s = scalar(c, x, key_path(c, path, "id")))) {
        if (!is_account_id(s))
            cf_err(c, x->line, key_path(c, path, "id"), "expected a 12-digit account id, found "
                   "'%s'", s);
        else
            memcpy(a->id, s, 13);
    }
    if ((x = map_get(m, "name")))
        *namep = scalar(c, x, key_path(c, path, "name"));
    if (role && (s = scalar(c, role, key_path(c, path, "role_arn")))) {
        if (strncmp(s, "arn:", 4))
            cf_err(c, role->line, key_path(c, path, "role_arn"), "expected an ARN "
                   "(arn:aws:iam::ID:role/NAME), found '%s'", s);
        else
            copy_to(c, role, key_path(c, path, "role_arn"), s, a->role_arn, sizeof(a->role_arn));
    }
    if (ext && (s = scalar(c, ext, key_path(c, path, "external_id")))) {
        copy_to(c, ext, key_path(c, path, "external_id"), s, a->external_id,
                sizeof(a->external_id));
        if (!role)
            cf_err(c, ext->kline, key_path(c, path, "external_id"), "needs 'role_arn'");
    }
    rip_config_strs l = { 0 };
    if ((x = map_get(m, "regions")) && strs(c, x, key_path(c, path, "regions"), &l) == 0) {
        if (l.n > RIP_AWS_ACCOUNT_MAX_LIST)
            cf_err(c, x->line, key_path(c, path, "regions"), "more than %d regions",
                   RIP_AWS_ACCOUNT_MAX_LIST);
        for (size_t i = 0; i < l.n && i < RIP_AWS_ACCOUNT_MAX_LIST; i++) {
            if (!is_region(l.v[i]))
                cf_err(c, x->line, key_path(c, path, "regions"), "'%s' is not an AWS region "
                       "(such as us-east-1)", l.v[i]);
            else
                memcpy(a->regions[a->nregions++], l.v[i], strlen(l.v[i]) + 1);
        }
    }
    memset(&l, 0, sizeof(l));
    if ((x = map_get(m, "allow"))) {
        a->has_allow = true;
        if (x->kind == YT_SEQ && x->n == 0) {
            /* an empty allow list: nothing is allowed */
        } else if (strs(c, x, key_path(c, path, "allow"), &l) == 0) {
            if (l.n > RIP_AWS_ACCOUNT_MAX_LIST)
                cf_err(c, x->line, key_path(c, path, "allow"), "more than %d patterns",
                       RIP_AWS_ACCOUNT_MAX_LIST);
            for (size_t i = 0; i < l.n && i < RIP_AWS_ACCOUNT_MAX_LIST; i++)
                if (copy_to(c, x, key_path(c, path, "allow"), l.v[i], a->allow_buf[a->nallow],
                            sizeof(a->allow_buf[0])) == 0) {
                    a->allow[a->nallow] = a->allow_buf[a->nallow];
                    a->nallow++;
                }
        }
    }
    long n;
    if ((x = map_get(m, "max_destructive_per_hour")) &&
        number(c, x, key_path(c, path, "max_destructive_per_hour"), 0, 100000, &n) == 0)
        a->max_destructive = (int)n;
}

static void parse_accounts(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = list_section(c, v, "accounts");
    if (!l || l->n == 0)
        return;
    if (l->n > RIP_AWS_MAX_ACCOUNTS) {
        cf_err(c, l->line, "accounts", "more than %d accounts", RIP_AWS_MAX_ACCOUNTS);
        c->limit = true;
        return;
    }
    rip_aws_accounts *acc = &c->cfg->accounts;
    acc->v = calloc(l->n, sizeof(*acc->v));
    c->cfg->account_names = rip_arena_calloc(c->a, l->n, sizeof(char *));
    if (!acc->v || !c->cfg->account_names) {
        c->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        rip_aws_account *a = &acc->v[i];
        parse_account(c, l->kids[i], i, a, &c->cfg->account_names[i]);
        for (uint32_t j = 0; a->id[0] && j < i; j++)
            if (!strcmp(acc->v[j].id, a->id))
                cf_err(c, a->line, key_path(c, "accounts", a->id),
                       "account '%s' is listed twice (first on line %u)", a->id,
                       acc->v[j].line);
        acc->n = i + 1;
    }
}

/* Reports a name used twice in a list. */
static void check_dup(cf_ctx *c, const char *what, const char *base, uint32_t i, const char *nm,
                      uint32_t line, const char *prev_name, uint32_t prev_line)
{
    if (nm && prev_name && !strcmp(nm, prev_name)) {
        char p[CF_KEY_MAX];
        snprintf(p, sizeof(p), "%s[%u].name", base, i);
        cf_err(c, line, key_path(c, "", p), "duplicate %s name '%s' (first on line %u)", what, nm,
               prev_line);
    }
}

static void parse_source(cf_ctx *c, const yt_node *m, uint32_t idx, rip_config_source *src)
{
    static const char *const sqs_keys[] = {
        "kind", "name", "queue_url", "region", "wait", "max_messages", "visibility_timeout",
        "backoff_max", NULL,
    };
    static const char *const http_keys[] = { "kind", "name", "backoff_max", NULL };
    const char *path = item_path(c, "sources", m, "name", idx);
    src->line = m->line;
    src->wait_s = 20;
    src->max_messages = 10;
    src->visibility_timeout_s = 300;
    src->backoff_max_s = 300;
    if (!item_map(c, m, path, "a source"))
        return;
    const yt_node *x;
    int kind = -1;
    if (!(x = map_get(m, "kind")))
        cf_err(c, m->line, path, "a source needs 'kind' (sqs or http)");
    else
        pick(c, x, key_path(c, path, "kind"), "kind", source_kind_names, 2, &kind);
    if (kind == RIP_SOURCE_HTTP)
        check_keys(c, m, path, http_keys, "an http source");
    else
        check_keys(c, m, path, sqs_keys, kind == RIP_SOURCE_SQS ? "an sqs source" : NULL);
    src->kind = kind < 0 ? RIP_SOURCE_SQS : (rip_source_kind)kind;
    if (!(x = map_get(m, "name")))
        cf_err(c, m->line, path, "a source needs 'name'");
    else
        src->name = name(c, x, key_path(c, path, "name"));
    if ((x = map_get(m, "backoff_max")))
        duration(c, x, key_path(c, path, "backoff_max"), 1, 3600, &src->backoff_max_s);
    if (kind != RIP_SOURCE_SQS)
        return;
    if (!(x = map_get(m, "queue_url")))
        cf_err(c, m->line, path, "an sqs source needs 'queue_url'");
    else
        src->queue_url = url(c, x, key_path(c, path, "queue_url"), http_schemes);
    if ((x = map_get(m, "region")))
        src->region = region(c, x, key_path(c, path, "region"));
    if ((x = map_get(m, "wait")))
        duration(c, x, key_path(c, path, "wait"), 0, 20, &src->wait_s);
    long n;
    if ((x = map_get(m, "max_messages")) &&
        number(c, x, key_path(c, path, "max_messages"), 1, 10, &n) == 0)
        src->max_messages = (uint32_t)n;
    if ((x = map_get(m, "visibility_timeout")))
        duration(c, x, key_path(c, path, "visibility_timeout"), 0, 43200,
                 &src->visibility_timeout_s);
}

static void parse_sources(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = list_section(c, v, "sources");
    if (!l || l->n == 0)
        return;
    rip_config *cfg = c->cfg;
    cfg->sources = rip_arena_calloc(c->a, l->n, sizeof(*cfg->sources));
    if (!cfg->sources) {
        c->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        parse_source(c, l->kids[i], i, &cfg->sources[i]);
        for (uint32_t j = 0; j < i; j++)
            check_dup(c, "source", "sources", i, cfg->sources[i].name, cfg->sources[i].line,
                      cfg->sources[j].name, cfg->sources[j].line);
        cfg->nsources = i + 1;
    }
}

static void parse_channel(cf_ctx *c, const yt_node *k, const yt_node *m, rip_channel_config *ch)
{
    static const char *const slack_keys[] = {
        "kind", "bot_token", "bot_token_env", "webhook_url", "webhook_url_env", "channel",
        "signing_secret", "signing_secret_env", "api_base", NULL,
    };
    static const char *const pd_keys[] = { "kind", "routing_key", "routing_key_env", "url",
                                           NULL };
    static const char *const webhook_keys[] = { "kind", "url", "secret", "secret_env", NULL };
    static const char *const email_keys[] = { "kind", "smtp_url", "from", "to", "username_env",
                                              "password_env", NULL };
    static const char *const *const kind_keys[] = { slack_keys, pd_keys, webhook_keys,
                                                    email_keys };
    static const char *const kind_what[] = { "a slack channel", "a pagerduty channel",
                                             "a webhook channel", "an email channel" };
    static const char *const smtp_schemes[] = { "smtps://", "smtp://", NULL };
    const char *path = key_path(c, "channels", k->str);
    ch->line = k->line;
    if (!is_name(k->str))
        cf_err(c, k->line, path, "'%s' is not a name (letters, digits, '-', '_', '.'; at most "
               "%d)", k->str, RIP_CONFIG_NAME_MAX);
    ch->name = k->str;
    if (m->kind != YT_MAP) {
        cf_err(c, m->line, path, "a channel is a map with 'kind' and its settings, found %s",
               kind_name(m));
        return;
    }
    const yt_node *x = map_get(m, "kind");
    int kind = -1;
    if (!x) {
        cf_err(c, k->line, path, "a channel needs 'kind' (slack, pagerduty, webhook, email)");
        return;
    }
    if (pick(c, x, key_path(c, path, "kind"), "kind", channel_kind_names, 4, &kind) < 0)
        return;
    ch->kind = (rip_channel_kind)kind;
    check_keys(c, m, path, kind_keys[kind], kind_what[kind]);
    switch (ch->kind) {
    case RIP_CHANNEL_SLACK:
        secret(c, m, path, "bot_token", true, &ch->bot_token);
        secret(c, m, path, "webhook_url", true, &ch->webhook_url);
        secret(c, m, path, "signing_secret", true, &ch->signing_secret);
        if ((x = map_get(m, "channel")))
            ch->channel = scalar(c, x, key_path(c, path, "channel"));
        ch->api_base = "https://slack.com/api";
        if ((x = map_get(m, "api_base")))
            ch->api_base = url(c, x, key_path(c, path, "api_base"), http_schemes);
        if (ch->webhook_url.value && strncmp(ch->webhook_url.value, "https://", 8) &&
            strncmp(ch->webhook_url.value, "http://", 7))
            cf_err(c, k->line, key_path(c, path, "webhook_url"), "expected a URL starting with "
                   "https:// or http://");
        if (!map_get(m, "bot_token") && !map_get(m, "bot_token_env") &&
            !map_get(m, "webhook_url") && !map_get(m, "webhook_url_env"))
            cf_err(c, k->line, path, "a slack channel needs 'bot_token' (with 'channel') or "
                   "'webhook_url'");
        if ((map_get(m, "bot_token") || map_get(m, "bot_token_env")) && !map_get(m, "channel"))
            cf_err(c, k->line, path, "'bot_token' needs 'channel' (where messages go)");
        if (!map_get(m, "signing_secret") && !map_get(m, "signing_secret_env"))
            cf_warn(c, k->line, path, "no 'signing_secret': button presses from Slack will be "
                    "refused");
        break;
    case RIP_CHANNEL_PAGERDUTY:
        if (!map_get(m, "routing_key") && !map_get(m, "routing_key_env"))
            cf_err(c, k->line, path, "a pagerduty channel needs 'routing_key' or "
                   "'routing_key_env'");
        secret(c, m, path, "routing_key", true, &ch->routing_key);
        ch->url = "https://events.pagerduty.com/v2/enqueue";
        if ((x = map_get(m, "url")))
            ch->url = url(c, x, key_path(c, path, "url"), http_schemes);
        break;
    case RIP_CHANNEL_WEBHOOK:
        if (!(x = map_get(m, "url")))
            cf_err(c, k->line, path, "a webhook channel needs 'url'");
        else
            ch->url = url(c, x, key_path(c, path, "url"), http_schemes);
        secret(c, m, path, "secret", true, &ch->secret);
        break;
    case RIP_CHANNEL_EMAIL:
        if (!(x = map_get(m, "smtp_url")))
            cf_err(c, k->line, path, "an email channel needs 'smtp_url'");
        else
            ch->smtp_url = url(c, x, key_path(c, path, "smtp_url"), smtp_schemes);
        if (!(x = map_get(m, "from")))
            cf_err(c, k->line, path, "an email channel needs 'from'");
        else if ((ch->from = scalar(c, x, key_path(c, path, "from"))) && !strchr(ch->from, '@'))
            cf_err(c, x->line, key_path(c, path, "from"), "'%s' is not an email address",
                   ch->from);
        if (!(x = map_get(m, "to"))) {
            cf_err(c, k->line, path, "an email channel needs 'to'");
        } else if (strs(c, x, key_path(c, path, "to"), &ch->to) == 0) {
            for (size_t i = 0; i < ch->to.n; i++)
                if (!strchr(ch->to.v[i], '@'))
                    cf_err(c, x->line, key_path(c, path, "to"), "'%s' is not an email address",
                           ch->to.v[i]);
        }
        secret(c, m, path, "username", false, &ch->username);
        secret(c, m, path, "password", false, &ch->password);
        break;
    }
}

static void parse_channels(cf_ctx *c, const yt_node *v)
{
    const yt_node *m = section(c, v, "channels");
    if (!m || m->n == 0)
        return;
    rip_config *cfg = c->cfg;
    cfg->channels = rip_arena_calloc(c->a, m->n, sizeof(*cfg->channels));
    if (!cfg->channels) {
        c->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < m->n; i++)
        parse_channel(c, m->kids[2 * i], m->kids[2 * i + 1], &cfg->channels[i]);
    cfg->nchannels = m->n;
}

static void on_playbook_diag(void *ud, const rip_pb_diag *d)
{
    cf_ctx *c = ud;
    cf_err(c, c->pb_line, c->pb_line ? "playbooks.path" : "playbooks", "%s", d->message);
}

static void parse_playbooks(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "path", NULL };
    const yt_node *m = section(c, v, "playbooks"), *x = NULL;
    if (m) {
        check_keys(c, m, "playbooks", keys, NULL);
        const char *s;
        if ((x = map_get(m, "path")) && (s = scalar(c, x, "playbooks.path")))
            c->cfg->playbooks_path = resolve_path(c, s);
    }
    if (!c->cfg->playbooks_path && !(c->opts && c->opts->builtin_playbooks))
        return;
    c->pb_line = x ? x->line : 0;
    rip_playbook_set *set = rip_playbook_set_new(on_playbook_diag, c);
    if (!set) {
        c->nomem = true;
        return;
    }
    int rc = c->cfg->playbooks_path ? rip_playbook_load_path(set, c->cfg->playbooks_path)
                                    : c->opts->builtin_playbooks(set);
    if (rc == RIP_ENOMEM)
        c->nomem = true;
    c->cfg->playbook_set = set;
}

static void parse_users(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "name", "roles", "slack_id", "token_sha256", NULL };
    const yt_node *l = list_section(c, v, "users");
    if (!l || l->n == 0)
        return;
    rip_config *cfg = c->cfg;
    cfg->users = rip_arena_calloc(c->a, l->n, sizeof(*cfg->users));
    if (!cfg->users) {
        c->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        const yt_node *m = l->kids[i], *x;
        rip_config_user *u = &cfg->users[i];
        cfg->nusers = i + 1;
        const char *path = item_path(c, "users", m, "name", i);
        u->line = m->line;
        if (!item_map(c, m, path, "a user"))
            continue;
        check_keys(c, m, path, keys, NULL);
        if (!(x = map_get(m, "name")))
            cf_err(c, m->line, path, "a user needs 'name'");
        else
            u->name = name(c, x, key_path(c, path, "name"));
        rip_config_strs roles = { 0 };
        if (!(x = map_get(m, "roles"))) {
            cf_err(c, m->line, path, "a user needs 'roles' (viewer, responder, admin)");
        } else if (strs(c, x, key_path(c, path, "roles"), &roles) == 0) {
            for (size_t r = 0; r < roles.n; r++) {
                size_t j = 0;
                while (j < 3 && strcmp(roles.v[r], role_names[j]))
                    j++;
                if (j < 3)
                    u->roles |= 1u << j;
                else
                    cf_err(c, x->line, key_path(c, path, "roles"), "unknown role '%s' (expected "
                           "viewer, responder, admin)", roles.v[r]);
            }
        }
        if ((x = map_get(m, "slack_id")) &&
            (u->slack_id = scalar(c, x, key_path(c, path, "slack_id")))) {
            bool ok = (u->slack_id[0] == 'U' || u->slack_id[0] == 'W') && u->slack_id[1] &&
                      strlen(u->slack_id) <= 32;
            for (const char *p = u->slack_id + 1; ok && *p; p++)
                ok = isupper((unsigned char)*p) || isdigit((unsigned char)*p);
            if (!ok) {
                cf_err(c, x->line, key_path(c, path, "slack_id"), "expected a Slack user id "
                       "such as U024BE7LH, found '%s'", u->slack_id);
                u->slack_id = NULL;
            }
        }
        if ((x = map_get(m, "token_sha256")))
            u->has_token = sha256_hex(c, x, key_path(c, path, "token_sha256"),
                                      u->token_sha256) == 0;
        if (!map_get(m, "slack_id") && !map_get(m, "token_sha256"))
            cf_err(c, m->line, path, "a user needs 'token_sha256' or 'slack_id' (or both)");
        for (uint32_t j = 0; j < i; j++) {
            const rip_config_user *p = &cfg->users[j];
            check_dup(c, "user", "users", i, u->name, u->line, p->name, p->line);
            if (u->slack_id && p->slack_id && !strcmp(u->slack_id, p->slack_id))
                cf_err(c, u->line, key_path(c, path, "slack_id"), "slack_id '%s' is also user "
                       "'%s' (line %u)", u->slack_id, p->name ? p->name : "?", p->line);
            if (u->has_token && p->has_token && !memcmp(u->token_sha256, p->token_sha256, 32))
                cf_err(c, u->line, key_path(c, path, "token_sha256"), "the same token as user "
                       "'%s' (line %u)", p->name ? p->name : "?", p->line);
        }
    }
}

static void parse_api(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "event_keys", NULL };
    static const char *const ekeys[] = { "name", "key_sha256", NULL };
    const yt_node *m = section(c, v, "api"), *x;
    if (!m)
        return;
    check_keys(c, m, "api", keys, NULL);
    const yt_node *l = (x = map_get(m, "event_keys")) ? list_section(c, x, "api.event_keys")
                                                       : NULL;
    if (!l || l->n == 0)
        return;
    rip_config *cfg = c->cfg;
    cfg->event_keys = rip_arena_calloc(c->a, l->n, sizeof(*cfg->event_keys));
    if (!cfg->event_keys) {
        c->nomem = true;
        return;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        const yt_node *e = l->kids[i];
        rip_config_event_key *k = &cfg->event_keys[i];
        const char *path = item_path(c, "api.event_keys", e, "name", i);
        k->line = e->line;
        cfg->nevent_keys = i + 1;
        if (!item_map(c, e, path, "an event key"))
            continue;
        check_keys(c, e, path, ekeys, NULL);
        if (!(x = map_get(e, "name")))
            cf_err(c, e->line, path, "an event key needs 'name'");
        else
            k->name = name(c, x, key_path(c, path, "name"));
        if (!(x = map_get(e, "key_sha256")))
            cf_err(c, e->line, path, "an event key needs 'key_sha256' (riposte config "
                   "hash-token prints it)");
        else
            sha256_hex(c, x, key_path(c, path, "key_sha256"), k->key_sha256);
        for (uint32_t j = 0; j < i; j++)
            check_dup(c, "event key", "api.event_keys", i, k->name, k->line,
                      cfg->event_keys[j].name, cfg->event_keys[j].line);
    }
}

static void parse_match(cf_ctx *c, const yt_node *v, const char *path, rip_config_route *r)
{
    static const char *const keys[] = { "accounts", "finding_types", "severity_min", "tags",
                                        "owner", NULL };
    if (v->kind != YT_MAP) {
        cf_err(c, v->line, path, "expected a map, found %s", kind_name(v));
        return;
    }
    check_keys(c, v, path, keys, NULL);
    const yt_node *x;
    if ((x = map_get(v, "accounts")))
        strs(c, x, key_path(c, path, "accounts"), &r->accounts);
    if ((x = map_get(v, "finding_types")))
        strs(c, x, key_path(c, path, "finding_types"), &r->finding_types);
    const char *s;
    if ((x = map_get(v, "severity_min")) && (s = scalar(c, x, key_path(c, path, "severity_min")))) {
        r->severity_min = rip_severity_rank(s);
        if (r->severity_min < 0)
            cf_err(c, x->line, key_path(c, path, "severity_min"), "unknown severity '%s' "
                   "(expected informational, low, medium, high, critical)", s);
    }
    if ((x = map_get(v, "tags"))) {
        const char *tp = key_path(c, path, "tags");
        if (x->kind != YT_MAP || x->n == 0) {
            cf_err(c, x->line, tp, "expected a map of tag keys to patterns (owner: team-a*)");
        } else if ((r->tags = rip_arena_calloc(c->a, x->n, sizeof(*r->tags)))) {
            for (uint32_t i = 0; i < x->n; i++) {
                r->tags[i].key = x->kids[2 * i]->str;
                r->tags[i].glob = scalar(c, x->kids[2 * i + 1], key_path(c, tp, r->tags[i].key));
            }
            r->ntags = x->n;
        } else {
            c->nomem = true;
        }
    }
    if ((x = map_get(v, "owner")))
        r->owner = scalar(c, x, key_path(c, path, "owner"));
    if (v->n == 0)
        cf_err(c, v->line, path, "an empty match; give a criterion, or 'default: true' instead");
}

static void channel_names(const rip_config *cfg, char *out, size_t cap)
{
    size_t w = 0;
    out[0] = '\0';
    for (size_t i = 0; i < cfg->nchannels && w < cap; i++)
        w += (size_t)snprintf(out + w, cap - w, "%s%s", i ? ", " : "",
                              cfg->channels[i].name ? cfg->channels[i].name : "?");
    if (!cfg->nchannels)
        snprintf(out, cap, "none is defined");
}

static void parse_route(cf_ctx *c, const yt_node *m, uint32_t idx, rip_config_route *r)
{
    static const char *const keys[] = { "name", "default", "match", "channels", "playbooks",
                                        "mode", "team", NULL };
    const char *path = item_path(c, "routes", m, "name", idx);
    r->line = m->line;
    r->severity_min = -1;
    if (!item_map(c, m, path, "a route"))
        return;
    check_keys(c, m, path, keys, NULL);
    const yt_node *x, *match = map_get(m, "match");
    if (!(x = map_get(m, "name")))
        cf_err(c, m->line, path, "a route needs 'name'");
    else
        r->name = name(c, x, key_path(c, path, "name"));
    if ((x = map_get(m, "default")))
        boolean(c, x, key_path(c, path, "default"), &r->is_default);
    if (match && r->is_default)
        cf_err(c, match->kline, key_path(c, path, "match"), "a default route has no 'match': it "
               "catches what no other route matched");
    else if (match)
        parse_match(c, match, key_path(c, path, "match"), r);
    else if (!r->is_default)
        cf_err(c, m->line, path, "a route needs 'match' or 'default: true'");
    rip_config_strs names = { 0 };
    const rip_config *cfg = c->cfg;
    if ((x = map_get(m, "channels")) && strs(c, x, key_path(c, path, "channels"), &names) == 0) {
        r->channels = rip_arena_calloc(c->a, names.n, sizeof(*r->channels));
        if (!r->channels) {
            c->nomem = true;
            return;
        }
        for (size_t i = 0; i < names.n; i++) {
            const rip_channel_config *ch = rip_config_channel(cfg, names.v[i]);
            if (ch) {
                r->channels[r->nchannels++] = ch;
                continue;
            }
            char want[512];
            channel_names(cfg, want, sizeof(want));
            cf_err(c, x->line, key_path(c, path, "channels"), "unknown channel '%s' (channels: "
                   "%s)", names.v[i], want);
        }
    }
    if ((x = map_get(m, "playbooks")) &&
        strs(c, x, key_path(c, path, "playbooks"), &r->playbooks) == 0 && cfg->playbook_set) {
        for (size_t i = 0; i < r->playbooks.n; i++)
            if (!rip_playbook_find(cfg->playbook_set, r->playbooks.v[i]))
                cf_err(c, x->line, key_path(c, path, "playbooks"), "unknown playbook '%s' (not "
                       "in %s)", r->playbooks.v[i],
                       cfg->playbooks_path ? cfg->playbooks_path : "riposte's own playbooks");
    }
    if (!map_get(m, "channels") && !map_get(m, "playbooks"))
        cf_err(c, m->line, path, "a route needs 'channels' or 'playbooks'");
    int k;
    if ((x = map_get(m, "mode")) &&
        pick(c, x, key_path(c, path, "mode"), "mode", route_mode_names, 2, &k) == 0)
        r->mode = (rip_route_mode)k;
    if ((x = map_get(m, "team")))
        r->team = scalar(c, x, key_path(c, path, "team"));
}

static void parse_routes(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = list_section(c, v, "routes");
    if (!l || l->n == 0)
        return;
    rip_config *cfg = c->cfg;
    cfg->routes = rip_arena_calloc(c->a, l->n, sizeof(*cfg->routes));
    if (!cfg->routes) {
        c->nomem = true;
        return;
    }
    const rip_config_route *def = NULL;
    for (uint32_t i = 0; i < l->n; i++) {
        rip_config_route *r = &cfg->routes[i];
        parse_route(c, l->kids[i], i, r);
        cfg->nroutes = i + 1;
        for (uint32_t j = 0; j < i; j++)
            check_dup(c, "route", "routes", i, r->name, r->line, cfg->routes[j].name,
                      cfg->routes[j].line);
        if (r->is_default && def)
            cf_err(c, r->line, item_path(c, "routes", l->kids[i], "name", i),
                   "a second default route (the first is '%s' on line %u)",
                   def->name ? def->name : "?", def->line);
        else if (r->is_default)
            def = r;
    }
}

/* ---- loading ---- */

static void set_defaults(rip_config *cfg)
{
    cfg->server.listen = "127.0.0.1:8088";
    cfg->server.listen_host = "127.0.0.1";
    cfg->server.listen_port = 8088;
    cfg->server.max_body = (size_t)1 << 20;
    cfg->server.max_header = (size_t)16 << 10;
    cfg->server.max_connections = 256;
    cfg->server.connection_timeout_s = 30;
    cfg->server.drain_timeout_s = 20;
    cfg->store.path = "riposte.db";
    cfg->store.sync = RIP_CONFIG_SYNC_NORMAL;
    cfg->safety.max_destructive_per_hour = RIP_ACTION_DEFAULT_MAX_DESTRUCTIVE;
    cfg->safety.protect_key = "riposte:protected";
    cfg->safety.protect_value = "true";
}

static void parse_root(cf_ctx *c, const yt_node *root)
{
    static const char *const keys[] = {
        "server", "store", "accounts", "aws", "sources", "channels", "routes", "playbooks",
        "safety", "users", "api", NULL,
    };
    if (!root)
        return;        /* an empty file: every default */
    if (root->kind != YT_MAP) {
        cf_err(c, root->line, "", "expected a map of sections (server, store, accounts, aws, "
               "sources, channels, routes, playbooks, safety, users, api), found %s",
               kind_name(root));
        return;
    }
    check_keys(c, root, "", keys, NULL);
    const yt_node *x, *aws_protect = NULL;
    if ((x = map_get(root, "server")))
        parse_server(c, x);
    if ((x = map_get(root, "store")))
        parse_store(c, x);
    if ((x = map_get(root, "aws")))
        parse_aws(c, x, &aws_protect);
    if ((x = map_get(root, "safety")))
        parse_safety(c, x, aws_protect);
    if ((x = map_get(root, "accounts")))
        parse_accounts(c, x);
    if ((x = map_get(root, "sources")))
        parse_sources(c, x);
    if ((x = map_get(root, "channels")))
        parse_channels(c, x);
    parse_playbooks(c, map_get(root, "playbooks"));
    if ((x = map_get(root, "users")))
        parse_users(c, x);
    if ((x = map_get(root, "api")))
        parse_api(c, x);
    if ((x = map_get(root, "routes")))
        parse_routes(c, x);
}

int rip_config_load_text(const char *file, const char *data, size_t len,
                         const rip_config_opts *opts, rip_config **out,
                         rip_config_diag_fn fn, void *ud)
{
    cf_ctx c = { .file = file, .opts = opts, .fn = fn, .ud = ud };
    int rc = 0;
    if (len > RIP_CONFIG_FILE_MAX) {
        char text[128];
        snprintf(text, sizeof(text), "file is larger than %zu bytes", RIP_CONFIG_FILE_MAX);
        cf_report(&c, 0, "", text, false);
        return RIP_ELIMIT;
    }
    rip_config *cfg = calloc(1, sizeof(*cfg));
    struct rip_config_priv *priv = calloc(1, sizeof(*priv));
    if (!cfg || !priv) {
        free(cfg);
        free(priv);
        return RIP_ENOMEM;
    }
    rip_arena_init(&priv->arena, CF_ARENA_CAP);
    cfg->priv = priv;
    c.cfg = cfg;
    c.a = &priv->arena;
    set_defaults(cfg);
    cfg->file = dup(&c, file);
    const char *slash = strrchr(file, '/');
    if (slash && (size_t)(slash - file) < sizeof(c.dir))
        snprintf(c.dir, sizeof(c.dir), "%.*s", (int)(slash == file ? 1 : slash - file), file);
    if (!cfg->file) {
        rc = RIP_ENOMEM;
        goto out;
    }

    yt_limits lim = { RIP_CONFIG_MAX_DEPTH, RIP_CONFIG_MAX_NODES, RIP_CONFIG_MAX_LIST };
    yt_node *root = NULL;
    char err[512];
    uint32_t line = 0;
    rc = yt_parse(c.a, data, len, &lim, &root, err, sizeof(err), &line);
    if (rc < 0) {
        if (rc != RIP_ENOMEM)
            cf_report(&c, line ? line : 1, "", err, false);
        goto out;
    }
    parse_root(&c, root);
    cf_flush(&c);
    if (c.nomem)
        rc = RIP_ENOMEM;
    else if (c.limit)
        rc = RIP_ELIMIT;
    else if (c.nerr)
        rc = RIP_EINVAL;
out:
    if (rc < 0) {
        rip_config_free(cfg);
        return rc;
    }
    *out = cfg;
    return 0;
}

int rip_config_load_with(const char *path, const rip_config_opts *opts, rip_config **out,
                         rip_config_diag_fn fn, void *ud)
{
    cf_ctx c = { .file = path, .fn = fn, .ud = ud };
    FILE *f = fopen(path, "rb");
    if (!f) {
        char text[512];
        int e = errno;
        snprintf(text, sizeof(text), "cannot open: %s", strerror(e));
        cf_report(&c, 0, "", text, false);
        return e == ENOENT ? RIP_ENOENT : RIP_EIO;
    }
    rip_buf b;
    rip_buf_init(&b, RIP_CONFIG_FILE_MAX + 1);
    char chunk[16384];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rip_buf_add(&b, chunk, n) < 0) {
            char text[128];
            snprintf(text, sizeof(text), "file is larger than %zu bytes", RIP_CONFIG_FILE_MAX);
            cf_report(&c, 0, "", text, false);
            rc = RIP_ELIMIT;
            break;
        }
    if (rc == 0 && ferror(f)) {
        cf_report(&c, 0, "", "read error", false);
        rc = RIP_EIO;
    }
    fclose(f);
    if (rc == 0)
        rc = rip_config_load_text(path, b.ptr, b.len, opts, out, fn, ud);
    OPENSSL_cleanse(chunk, sizeof(chunk));
    if (b.alloc)
        OPENSSL_cleanse(b.ptr, b.len);
    rip_buf_release(&b);
    return rc;
}

int rip_config_load(const char *path, rip_config **out, rip_config_diag_fn fn, void *ud)
{
    return rip_config_load_with(path, NULL, out, fn, ud);
}

void rip_config_free(rip_config *cfg)
{
    if (!cfg)
        return;
    rip_playbook_set_free(cfg->playbook_set);
    rip_aws_accounts_release(&cfg->accounts);
    if (cfg->priv) {
        rip_arena_wipe(&cfg->priv->arena);
        rip_arena_release(&cfg->priv->arena);
        free(cfg->priv);
    }
    free(cfg);
}

const char *rip_config_secret(rip_config *cfg, const char *inline_value, const char *env_name)
{
    if (inline_value)
        return inline_value;
    if (!cfg || !cfg->priv || !env_name)
        return NULL;
    const char *v = getenv(env_name);
    if (!v || !*v)
        return NULL;
    return rip_arena_strndup(&cfg->priv->arena, v, strlen(v));
}

/* ---- lookups ---- */

static int sha256(const void *data, size_t len, unsigned char md[32])
{
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
        return RIP_ENOMEM;
    return 0;
}

int rip_config_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    if (sha256(data ? data : "", len, md) < 0)
        return RIP_ENOMEM;
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return 0;
}

const rip_config_user *rip_config_user_by_token(const rip_config *cfg, const char *token)
{
    unsigned char md[32];
    if (!cfg || !token || !*token || sha256(token, strlen(token), md) < 0)
        return NULL;
    const rip_config_user *found = NULL;
    /* Every hash is compared, whatever matched before: the time taken does
     * not depend on which user (if any) the token belongs to. */
    for (size_t i = 0; i < cfg->nusers; i++) {
        const rip_config_user *u = &cfg->users[i];
        int diff = CRYPTO_memcmp(md, u->token_sha256, 32);
        if (u->has_token && diff == 0 && !found)
            found = u;
    }
    OPENSSL_cleanse(md, sizeof(md));
    return found;
}

const rip_config_event_key *rip_config_event_key_by_key(const rip_config *cfg, const char *key)
{
    unsigned char md[32];
    if (!cfg || !key || !*key || sha256(key, strlen(key), md) < 0)
        return NULL;
    const rip_config_event_key *found = NULL;
    for (size_t i = 0; i < cfg->nevent_keys; i++) {
        int diff = CRYPTO_memcmp(md, cfg->event_keys[i].key_sha256, 32);
        if (diff == 0 && !found)
            found = &cfg->event_keys[i];
    }
    OPENSSL_cleanse(md, sizeof(md));
    return found;
}

const rip_config_user *rip_config_user_by_slack(const rip_config *cfg, const char *slack_id)
{
    for (size_t i = 0; cfg && slack_id && i < cfg->nusers; i++)
        if (cfg->users[i].slack_id && !strcmp(cfg->users[i].slack_id, slack_id))
            return &cfg->users[i];
    return NULL;
}

bool rip_config_user_can(const rip_config_user *u, unsigned role)
{
    if (!u)
        return false;
    unsigned at_least = role;
    if (role & RIP_ROLE_VIEWER)
        at_least |= RIP_ROLE_RESPONDER | RIP_ROLE_ADMIN;
    if (role & RIP_ROLE_RESPONDER)
        at_least |= RIP_ROLE_ADMIN;
    return (u->roles & at_least) != 0;
}

const rip_channel_config *rip_config_channel(const rip_config *cfg, const char *name)
{
    for (size_t i = 0; cfg && name && i < cfg->nchannels; i++)
        if (cfg->channels[i].name && !strcmp(cfg->channels[i].name, name))
            return &cfg->channels[i];
    return NULL;
}

static bool glob_any(const rip_config_strs *pats, const char *const *vals, size_t n)
{
    for (size_t i = 0; i < pats->n; i++)
        for (size_t j = 0; j < n; j++)
            if (vals[j] && fnmatch(pats->v[i], vals[j], 0) == 0)
                return true;
    return false;
}

static bool route_matches(const rip_config_route *r, const rip_route_subject *s)
{
    if (r->accounts.n && !glob_any(&r->accounts, &s->account, s->account ? 1 : 0))
        return false;
    if (r->finding_types.n && !glob_any(&r->finding_types, s->finding_types, s->nfinding_types))
        return false;
    if (r->severity_min >= 0 && s->severity < r->severity_min)
        return false;
    for (size_t i = 0; i < r->ntags; i++) {
        bool ok = false;
        for (size_t j = 0; j < s->ntags && !ok; j++)
            ok = s->tags[j].key && s->tags[j].value && !strcmp(s->tags[j].key, r->tags[i].key) &&
                 fnmatch(r->tags[i].glob, s->tags[j].value, 0) == 0;
        if (!ok)
            return false;
    }
    if (r->owner && (!s->owner || fnmatch(r->owner, s->owner, 0) != 0))
        return false;
    return true;
}

size_t rip_config_routes_for(const rip_config *cfg, const rip_route_subject *s,
                             const rip_config_route **out, size_t cap)
{
    size_t n = 0;
    const rip_config_route *def = NULL;
    for (size_t i = 0; cfg && s && i < cfg->nroutes; i++) {
        const rip_config_route *r = &cfg->routes[i];
        if (r->is_default) {
            def = r;
            continue;
        }
        if (!route_matches(r, s))
            continue;
        if (n < cap)
            out[n] = r;
        n++;
    }
    if (n == 0 && def) {
        if (cap)
            out[0] = def;
        n = 1;
    }
    return n;
}
