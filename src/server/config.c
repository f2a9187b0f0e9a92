/* config.c — reads riposte.yaml (docs/CONFIG.md) into a rip_config and
 * checks all of it, reporting every problem with its file, line and key.
 * See config.h for the invariants. Built on util/yaml-tree.h and the value
 * readers of util/yaml-fields.h, which the playbook loader shares. */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "cloud/action-safety.h"
#include "correlate/incident.h"
#include "respond/playbook.h"
#include "server/sns.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/yaml-fields.h"

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
    yf_ctx yf;                 /* the value readers: problems go to cf_problem() */
    char dir[4096];            /* the file's folder, "" for the current one */
    const rip_config_opts *opts;
    rip_config_diag_fn fn;
    void *ud;
    unsigned nerr;
    bool limit;                /* a limit was hit: RIP_ELIMIT */
    uint32_t pb_line;          /* playbook problems are reported at this line */
    const yt_node *aws_protect; /* aws.protect_tag, when given */
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
static const char *const source_kind_names[] = { "sqs", "http", "sns" };
static const char *const channel_kind_names[] = { "slack", "pagerduty", "webhook", "email" };
static const char *const route_mode_names[] = { "auto", "approve" };
static const char *const role_names[] = { "viewer", "responder", "admin" };

const char *rip_config_sync_name(rip_config_sync v)
{
    return (unsigned)v < 2 ? sync_names[v] : "?";
}

const char *rip_source_kind_name(rip_source_kind v)
{
    return (unsigned)v < 3 ? source_kind_names[v] : "?";
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
    yf_message(msg, sizeof(msg), "config", c->file, line, key, text);
    if (c->fn) {
        rip_config_diag d = { c->file, line, key ? key : "", text, msg, warning };
        c->fn(c->ud, &d);
    }
}

/* Holds a problem for cf_flush(). Past CF_MAX_HELD (or out of memory) the
 * problem is only counted. */
static void cf_problem(void *ud, const yf_problem *p)
{
    cf_ctx *c = ud;
    if (!p->warning)
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
    d->line = p->line;
    d->warning = p->warning;
    d->key = strdup(p->key);
    d->text = strdup(p->text);
    if (!d->key || !d->text) {
        free(d->key);
        free(d->text);
        return;
    }
    c->ndiags++;
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

/* ---- small readers ---- */

static char *dup(cf_ctx *c, const char *s)
{
    char *r = rip_arena_strndup(c->a, s, strlen(s));
    if (!r)
        c->yf.nomem = true;
    return r;
}

static int strs(cf_ctx *c, const yt_node *v, const char *path, rip_config_strs *out)
{
    return yf_strs(&c->yf, v, path, &out->v, &out->n);
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
    const char *s = yf_scalar(&c->yf, v, path);
    if (s && !is_name(s)) {
        yf_err(&c->yf, v->line, path, "'%s' is not a name (letters, digits, '-', '_', '.'; at most "
               "%d)", s, RIP_CONFIG_NAME_MAX);
        return NULL;
    }
    return s;
}

static const char *url(cf_ctx *c, const yt_node *v, const char *path, const char *const *schemes)
{
    const char *s = yf_scalar(&c->yf, v, path);
    if (!s)
        return NULL;
    for (const char *const *p = schemes; *p; p++) {
        size_t n = strlen(*p);
        if (!strncmp(s, *p, n) && s[n] && s[n] != '/')
            return s;
    }
    char want[128];
    yf_join(want, sizeof(want), schemes, yf_count(schemes));
    yf_err(&c->yf, v->line, path, "expected a URL starting with %s, found '%s'", want, s);
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
    const yt_node *iv = inline_ok ? yf_get(m, key) : NULL;
    const yt_node *ev = yf_get(m, envkey);
    if (iv && ev) {
        yf_err(&c->yf, ev->kline, yf_path(&c->yf, path, envkey), "give '%s' or '%s', not both", key,
               envkey);
        return -1;
    }
    if (iv) {
        const char *s = yf_scalar(&c->yf, iv, yf_path(&c->yf, path, key));
        if (!s)
            return -1;
        yf_warn(&c->yf, iv->kline, yf_path(&c->yf, path, key),
                "secret written in the file; prefer '%s' (the name of an environment variable)",
                envkey);
        out->value = s;
        out->env = NULL;
        return 0;
    }
    if (!ev)
        return 0;
    const char *kp = yf_path(&c->yf, path, envkey);
    const char *var = yf_scalar(&c->yf, ev, kp);
    if (!var)
        return -1;
    if (!is_env_name(var)) {
        yf_err(&c->yf, ev->line, kp, "'%s' is not the name of an environment variable "
               "(letters, digits, '_')", var);
        return -1;
    }
    const char *val = rip_config_secret(c->cfg, NULL, var);
    if (!val) {
        const char *set = getenv(var);
        yf_err(&c->yf, ev->line, kp, "environment variable '%s' is %s", var,
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
    const char *s = yf_scalar(&c->yf, v, path);
    if (!s)
        return -1;
    const char *eq = strchr(s, '=');
    if (!eq || eq == s || strlen(s) > 256) {
        yf_err(&c->yf, v->line, path,
               "expected KEY=VALUE such as riposte:protected=true, found '%s'", s);
        return -1;
    }
    char *k = rip_arena_strndup(c->a, s, (size_t)(eq - s));
    if (!k)
        return c->yf.nomem = true, -1;
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
    const char *s = yf_scalar(&c->yf, v, path);
    if (s && !is_region(s)) {
        yf_err(&c->yf, v->line, path, "'%s' is not an AWS region (such as us-east-1)", s);
        return NULL;
    }
    return s;
}

/* 64 hex digits → 32 bytes. The value is not echoed: a token pasted in
 * by mistake must not end up in a log. */
static int sha256_hex(cf_ctx *c, const yt_node *v, const char *path, unsigned char out[32])
{
    const char *s = yf_scalar(&c->yf, v, path);
    if (!s)
        return -1;
    bool ok = strlen(s) == 64;
    for (size_t i = 0; ok && i < 64; i++)
        ok = isxdigit((unsigned char)s[i]) != 0;
    if (!ok) {
        yf_err(&c->yf, v->line, path, "expected the 64 hex digits of a SHA-256 (riposte config "
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
    const yt_node *n = yf_get(item, namekey);
    char buf[YF_PATH_MAX];
    if (n && n->kind == YT_SCALAR && is_name(n->str))
        snprintf(buf, sizeof(buf), "%s.%s", base, n->str);
    else
        snprintf(buf, sizeof(buf), "%s[%u]", base, i);
    const char *r = rip_arena_strndup(c->a, buf, strlen(buf));
    return r ? r : base;
}

/* A list item that must be a map. */
static bool item_map(cf_ctx *c, const yt_node *v, const char *path, const char *what)
{
    if (v->kind == YT_MAP)
        return true;
    yf_err(&c->yf, v->line, path, "%s is a map, found %s", what, yf_kind_name(v));
    return false;
}

/* The value of key in m, or NULL with "WHAT needs 'KEY'" reported at line. */
static const yt_node *need(cf_ctx *c, const yt_node *m, const char *key, uint32_t line,
                           const char *path, const char *what)
{
    const yt_node *x = yf_get(m, key);
    if (!x)
        yf_err(&c->yf, line, path, "%s needs '%s'", what, key);
    return x;
}

/* The start of a list item that is a map with a name (a user, a route): a
 * map, only keys, and its name in *namep ("WHAT needs 'name'"). false
 * (reported) when it is not a map. */
static bool named_item(cf_ctx *c, const yt_node *m, const char *path, const char *what,
                       const char *const *keys, const char **namep)
{
    if (!item_map(c, m, path, what))
        return false;
    yf_check_keys(&c->yf, m, path, keys, NULL);
    const yt_node *x = need(c, m, "name", m->line, path, what);
    if (x)
        *namep = name(c, x, yf_path(&c->yf, path, "name"));
    return true;
}

/* Room for the items of section s (a list or map section, or NULL), size
 * bytes each, zeroed, in the arena: NULL when s is NULL or empty, or out of
 * memory (nomem set). */
static void *section_items(cf_ctx *c, const yt_node *s, size_t size)
{
    if (!s || s->n == 0)
        return NULL;
    void *v = rip_arena_calloc(c->a, s->n, size);
    if (!v)
        c->yf.nomem = true;
    return v;
}

/* ---- sections ---- */

static int parse_listen(cf_ctx *c, const yt_node *v, const char *path)
{
    rip_config_server *s = &c->cfg->server;
    const char *str = yf_scalar(&c->yf, v, path);
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
        return c->yf.nomem = true, -1;
    s->listen = str;
    s->listen_host = h;
    s->listen_port = (uint16_t)port;
    return 0;
bad:
    yf_err(&c->yf, v->line, path,
           "expected HOST:PORT such as 127.0.0.1:8088 or [::1]:8088, found '%s'", str);
    return -1;
}

static const char *readable_file(cf_ctx *c, const yt_node *v, const char *path)
{
    const char *s = yf_scalar(&c->yf, v, path);
    if (!s)
        return NULL;
    const char *p = resolve_path(c, s);
    if (!p)
        return NULL;
    struct stat st;
    if (stat(p, &st) != 0) {
        yf_err(&c->yf, v->line, path, "cannot read '%s': %s", p, strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        yf_err(&c->yf, v->line, path, "'%s' is not a file", p);
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
    const yt_node *m = yf_map_section(&c->yf, v, "server", keys), *x;
    if (!m)
        return;
    if ((x = yf_get(m, "listen")))
        parse_listen(c, x, "server.listen");
    const yt_node *cert = yf_get(m, "tls_cert"), *key = yf_get(m, "tls_key");
    if (cert)
        s->tls_cert = readable_file(c, cert, "server.tls_cert");
    if (key)
        s->tls_key = readable_file(c, key, "server.tls_key");
    if (cert && !key)
        yf_err(&c->yf, cert->kline, "server.tls_cert",
               "needs server.tls_key (give both or neither)");
    if (key && !cert)
        yf_err(&c->yf, key->kline, "server.tls_key",
               "needs server.tls_cert (give both or neither)");
    if ((x = yf_get(m, "max_body")))
        yf_size(&c->yf, x, "server.max_body", 1024, RIP_CONFIG_MAX_BODY_CAP, &s->max_body);
    if ((x = yf_get(m, "max_header")))
        yf_size(&c->yf, x, "server.max_header", 1024, RIP_CONFIG_MAX_HEADER_CAP, &s->max_header);
    long n;
    if ((x = yf_get(m, "max_connections")) &&
        yf_number(&c->yf, x, "server.max_connections", 1, 65536, &n) == 0)
        s->max_connections = (uint32_t)n;
    if ((x = yf_get(m, "connection_timeout")))
        yf_duration(&c->yf, x, "server.connection_timeout", 1, 3600, &s->connection_timeout_s);
    if ((x = yf_get(m, "drain_timeout")))
        yf_duration(&c->yf, x, "server.drain_timeout", 1, 3600, &s->drain_timeout_s);
}

static void parse_store(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "path", "sync", NULL };
    const yt_node *m = yf_map_section(&c->yf, v, "store", keys), *x;
    if (!m)
        return;
    const char *s;
    if ((x = yf_get(m, "path")) && (s = yf_scalar(&c->yf, x, "store.path")))
        c->cfg->store.path = resolve_path(c, s);
    int k;
    if ((x = yf_get(m, "sync")) &&
        yf_pick(&c->yf, x, "store.sync", "value", sync_names, 2, &k) == 0)
        c->cfg->store.sync = (rip_config_sync)k;
}

static void parse_aws(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "profile", "region", "endpoint_url", "protect_tag", NULL };
    rip_config_aws *aws = &c->cfg->aws;
    const yt_node *m = yf_map_section(&c->yf, v, "aws", keys), *x;
    if (!m)
        return;
    if ((x = yf_get(m, "profile")))
        aws->profile = yf_scalar(&c->yf, x, "aws.profile");
    if ((x = yf_get(m, "region")))
        aws->region = region(c, x, "aws.region");
    if ((x = yf_get(m, "endpoint_url")))
        aws->endpoint_url = url(c, x, "aws.endpoint_url", http_schemes);
    if ((x = yf_get(m, "protect_tag"))) {
        c->aws_protect = x;
        protect_tag(c, x, "aws.protect_tag", &c->cfg->safety.protect_key,
                    &c->cfg->safety.protect_value);
    }
}

static void parse_safety(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "max_destructive_per_hour", "protect_tag", "dry_run",
                                        NULL };
    rip_config_safety *s = &c->cfg->safety;
    const yt_node *m = yf_map_section(&c->yf, v, "safety", keys), *x;
    if (!m)
        return;
    long n;
    if ((x = yf_get(m, "max_destructive_per_hour")) &&
        yf_number(&c->yf, x, "safety.max_destructive_per_hour", 0, 100000, &n) == 0)
        s->max_destructive_per_hour = (int)n;
    if ((x = yf_get(m, "protect_tag"))) {
        if (c->aws_protect)
            yf_err(&c->yf, x->kline, "safety.protect_tag",
                   "protect_tag is also set in aws (line %u); give it once", c->aws_protect->kline);
        else
            protect_tag(c, x, "safety.protect_tag", &s->protect_key, &s->protect_value);
    }
    if ((x = yf_get(m, "dry_run")))
        yf_boolean(&c->yf, x, "safety.dry_run", &s->dry_run);
}

/* Copies s into out[cap] or reports that it does not fit. */
static int copy_to(cf_ctx *c, const yt_node *v, const char *path, const char *s, char *out,
                   size_t cap)
{
    if (strlen(s) >= cap) {
        yf_err(&c->yf, v->line, path, "longer than %zu characters", cap - 1);
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
    const yt_node *idn = yf_get(m, "id");
    const char *path = idn && idn->kind == YT_SCALAR && is_account_id(idn->str)
                           ? item_path(c, "accounts", m, "id", idx)
                           : item_path(c, "accounts", m, "", idx);
    memset(a, 0, sizeof(*a));
    a->max_destructive = -1;
    a->line = m->line;
    if (!item_map(c, m, path, "an account"))
        return;
    yf_check_keys(&c->yf, m, path, keys, NULL);
    const yt_node *x, *role = yf_get(m, "role_arn"), *ext = yf_get(m, "external_id");
    const char *s;
    if (!(x = yf_get(m, "id"))) {
        yf_err(&c->yf, m->line, path, "an account needs 'id' (its 12-digit account id)");
    } else if ((s = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "id")))) {
        if (!is_account_id(s))
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "id"),
                   "expected a 12-digit account id, found '%s'", s);
        else
            memcpy(a->id, s, 13);
    }
    if ((x = yf_get(m, "name")))
        *namep = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "name"));
    if (role && (s = yf_scalar(&c->yf, role, yf_path(&c->yf, path, "role_arn")))) {
        if (strncmp(s, "arn:", 4))
            yf_err(&c->yf, role->line, yf_path(&c->yf, path, "role_arn"), "expected an ARN "
                   "(arn:aws:iam::ID:role/NAME), found '%s'", s);
        else
            copy_to(c, role, yf_path(&c->yf, path, "role_arn"), s, a->role_arn,
                    sizeof(a->role_arn));
    }
    if (ext && (s = yf_scalar(&c->yf, ext, yf_path(&c->yf, path, "external_id")))) {
        copy_to(c, ext, yf_path(&c->yf, path, "external_id"), s, a->external_id,
                sizeof(a->external_id));
        if (!role)
            yf_err(&c->yf, ext->kline, yf_path(&c->yf, path, "external_id"), "needs 'role_arn'");
    }
    rip_config_strs l = { 0 };
    if ((x = yf_get(m, "regions")) && strs(c, x, yf_path(&c->yf, path, "regions"), &l) == 0) {
        if (l.n > RIP_AWS_ACCOUNT_MAX_LIST)
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "regions"), "more than %d regions",
                   RIP_AWS_ACCOUNT_MAX_LIST);
        for (size_t i = 0; i < l.n && i < RIP_AWS_ACCOUNT_MAX_LIST; i++) {
            if (!is_region(l.v[i]))
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "regions"),
                       "'%s' is not an AWS region (such as us-east-1)", l.v[i]);
            else
                memcpy(a->regions[a->nregions++], l.v[i], strlen(l.v[i]) + 1);
        }
    }
    memset(&l, 0, sizeof(l));
    if ((x = yf_get(m, "allow"))) {
        a->has_allow = true;
        if (x->kind == YT_SEQ && x->n == 0) {
            /* an empty allow list: nothing is allowed */
        } else if (strs(c, x, yf_path(&c->yf, path, "allow"), &l) == 0) {
            if (l.n > RIP_AWS_ACCOUNT_MAX_LIST)
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "allow"), "more than %d patterns",
                       RIP_AWS_ACCOUNT_MAX_LIST);
            for (size_t i = 0; i < l.n && i < RIP_AWS_ACCOUNT_MAX_LIST; i++)
                if (copy_to(c, x, yf_path(&c->yf, path, "allow"), l.v[i], a->allow_buf[a->nallow],
                            sizeof(a->allow_buf[0])) == 0) {
                    a->allow[a->nallow] = a->allow_buf[a->nallow];
                    a->nallow++;
                }
        }
    }
    long n;
    if ((x = yf_get(m, "max_destructive_per_hour")) &&
        yf_number(&c->yf, x, yf_path(&c->yf, path, "max_destructive_per_hour"), 0, 100000, &n) == 0)
        a->max_destructive = (int)n;
}

static void parse_accounts(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = yf_list_section(&c->yf, v, "accounts");
    if (!l || l->n == 0)
        return;
    if (l->n > RIP_AWS_MAX_ACCOUNTS) {
        yf_err(&c->yf, l->line, "accounts", "more than %d accounts", RIP_AWS_MAX_ACCOUNTS);
        c->limit = true;
        return;
    }
    rip_aws_accounts *acc = &c->cfg->accounts;
    acc->v = calloc(l->n, sizeof(*acc->v));
    c->cfg->account_names = rip_arena_calloc(c->a, l->n, sizeof(char *));
    if (!acc->v || !c->cfg->account_names) {
        c->yf.nomem = true;
        return;
    }
    for (uint32_t i = 0; i < l->n; i++) {
        rip_aws_account *a = &acc->v[i];
        parse_account(c, l->kids[i], i, a, &c->cfg->account_names[i]);
        for (uint32_t j = 0; a->id[0] && j < i; j++)
            if (!strcmp(acc->v[j].id, a->id))
                yf_err(&c->yf, a->line, yf_path(&c->yf, "accounts", a->id),
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
        char p[YF_PATH_MAX];
        snprintf(p, sizeof(p), "%s[%u].name", base, i);
        yf_err(&c->yf, line, yf_path(&c->yf, "", p), "duplicate %s name '%s' (first on line %u)",
               what, nm, prev_line);
    }
}

/* The keys of a source of kind sns (POST /v1/sns): the topics it takes,
 * the URLs it may fetch, how old a message may be. */
static void parse_sns_source(cf_ctx *c, const yt_node *m, const char *path,
                             rip_config_source *src)
{
    const yt_node *x;
    char why[256];
    if ((x = need(c, m, "topics", m->line, path, "an sns source")) &&
        strs(c, x, yf_path(&c->yf, path, "topics"), &src->topics) == 0) {
        for (size_t i = 0; i < src->topics.n; i++)
            if (strncmp(src->topics.v[i], "arn:", 4))
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "topics"), "expected a topic "
                       "ARN pattern (arn:aws:sns:REGION:ACCOUNT:NAME, wildcards allowed), "
                       "found '%s'", src->topics.v[i]);
    }
    if ((x = yf_get(m, "cert_url_pattern")) &&
        strs(c, x, yf_path(&c->yf, path, "cert_url_pattern"), &src->cert_url_patterns) == 0) {
        for (size_t i = 0; i < src->cert_url_patterns.n; i++) {
            const char *pat = src->cert_url_patterns.v[i];
            if (rip_sns_pattern_check(pat, why, sizeof(why)))
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "cert_url_pattern"), "%s, found "
                       "'%s'", why, pat);
            else if (!strncasecmp(pat, "http://", 7))
                yf_warn(&c->yf, x->line, yf_path(&c->yf, path, "cert_url_pattern"), "'%s' "
                        "allows plain http: whoever is on the path can replace the "
                        "certificate (for tests only)", pat);
        }
    }
    if ((x = yf_get(m, "max_age")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "max_age"), 60, 7 * 86400,
                    &src->max_age_s);
}

static void parse_source(cf_ctx *c, const yt_node *m, uint32_t idx, rip_config_source *src)
{
    static const char *const sqs_keys[] = {
        "kind", "name", "queue_url", "region", "wait", "max_messages", "visibility_timeout",
        "backoff_max", NULL,
    };
    static const char *const http_keys[] = { "kind", "name", "backoff_max", NULL };
    static const char *const sns_keys[] = { "kind", "name", "topics", "cert_url_pattern",
                                            "max_age", NULL };
    const char *path = item_path(c, "sources", m, "name", idx);
    src->line = m->line;
    src->wait_s = 20;
    src->max_messages = 10;
    src->visibility_timeout_s = 300;
    src->backoff_max_s = 300;
    src->max_age_s = 3600;
    if (!item_map(c, m, path, "a source"))
        return;
    const yt_node *x;
    int kind = -1;
    if (!(x = yf_get(m, "kind")))
        yf_err(&c->yf, m->line, path, "a source needs 'kind' (sqs, http or sns)");
    else
        yf_pick(&c->yf, x, yf_path(&c->yf, path, "kind"), "kind", source_kind_names, 3, &kind);
    if (kind == RIP_SOURCE_HTTP)
        yf_check_keys(&c->yf, m, path, http_keys, "an http source");
    else if (kind == RIP_SOURCE_SNS)
        yf_check_keys(&c->yf, m, path, sns_keys, "an sns source");
    else
        yf_check_keys(&c->yf, m, path, sqs_keys, kind == RIP_SOURCE_SQS ? "an sqs source" : NULL);
    src->kind = kind < 0 ? RIP_SOURCE_SQS : (rip_source_kind)kind;
    if ((x = need(c, m, "name", m->line, path, "a source")))
        src->name = name(c, x, yf_path(&c->yf, path, "name"));
    if ((x = yf_get(m, "backoff_max")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "backoff_max"), 1, 3600, &src->backoff_max_s);
    if (kind == RIP_SOURCE_SNS)
        parse_sns_source(c, m, path, src);
    if (kind != RIP_SOURCE_SQS)
        return;
    if ((x = need(c, m, "queue_url", m->line, path, "an sqs source")))
        src->queue_url = url(c, x, yf_path(&c->yf, path, "queue_url"), http_schemes);
    if ((x = yf_get(m, "region")))
        src->region = region(c, x, yf_path(&c->yf, path, "region"));
    if ((x = yf_get(m, "wait")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "wait"), 0, 20, &src->wait_s);
    long n;
    if ((x = yf_get(m, "max_messages")) &&
        yf_number(&c->yf, x, yf_path(&c->yf, path, "max_messages"), 1, 10, &n) == 0)
        src->max_messages = (uint32_t)n;
    if ((x = yf_get(m, "visibility_timeout")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "visibility_timeout"), 0, 43200,
                 &src->visibility_timeout_s);
}

static void parse_sources(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = yf_list_section(&c->yf, v, "sources");
    rip_config *cfg = c->cfg;
    if (!(cfg->sources = section_items(c, l, sizeof(*cfg->sources))))
        return;
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
                                              "password_env", "starttls", "subject_prefix",
                                              NULL };
    static const char *const starttls_names[] = { "required", "try", "off" };
    static const char *const *const kind_keys[] = { slack_keys, pd_keys, webhook_keys,
                                                    email_keys };
    static const char *const kind_what[] = { "a slack channel", "a pagerduty channel",
                                             "a webhook channel", "an email channel" };
    static const char *const smtp_schemes[] = { "smtps://", "smtp://", NULL };
    const char *path = yf_path(&c->yf, "channels", k->str);
    ch->line = k->line;
    if (!is_name(k->str))
        yf_err(&c->yf, k->line, path, "'%s' is not a name (letters, digits, '-', '_', '.'; at most "
               "%d)", k->str, RIP_CONFIG_NAME_MAX);
    ch->name = k->str;
    if (m->kind != YT_MAP) {
        yf_err(&c->yf, m->line, path, "a channel is a map with 'kind' and its settings, found %s",
               yf_kind_name(m));
        return;
    }
    const yt_node *x = yf_get(m, "kind");
    int kind = -1;
    if (!x) {
        yf_err(&c->yf, k->line, path, "a channel needs 'kind' (slack, pagerduty, webhook, email)");
        return;
    }
    if (yf_pick(&c->yf, x, yf_path(&c->yf, path, "kind"), "kind", channel_kind_names, 4, &kind) < 0)
        return;
    ch->kind = (rip_channel_kind)kind;
    yf_check_keys(&c->yf, m, path, kind_keys[kind], kind_what[kind]);
    switch (ch->kind) {
    case RIP_CHANNEL_SLACK:
        secret(c, m, path, "bot_token", true, &ch->bot_token);
        secret(c, m, path, "webhook_url", true, &ch->webhook_url);
        secret(c, m, path, "signing_secret", true, &ch->signing_secret);
        if ((x = yf_get(m, "channel")))
            ch->channel = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "channel"));
        ch->api_base = "https://slack.com/api";
        if ((x = yf_get(m, "api_base")))
            ch->api_base = url(c, x, yf_path(&c->yf, path, "api_base"), http_schemes);
        if (ch->webhook_url.value && strncmp(ch->webhook_url.value, "https://", 8) &&
            strncmp(ch->webhook_url.value, "http://", 7))
            yf_err(&c->yf, k->line, yf_path(&c->yf, path, "webhook_url"),
                   "expected a URL starting with https:// or http://");
        if (!yf_get(m, "bot_token") && !yf_get(m, "bot_token_env") && !yf_get(m, "webhook_url") &&
            !yf_get(m, "webhook_url_env"))
            yf_err(&c->yf, k->line, path, "a slack channel needs 'bot_token' (with 'channel') or "
                   "'webhook_url'");
        if ((yf_get(m, "bot_token") || yf_get(m, "bot_token_env")) && !yf_get(m, "channel"))
            yf_err(&c->yf, k->line, path, "'bot_token' needs 'channel' (where messages go)");
        if (!yf_get(m, "signing_secret") && !yf_get(m, "signing_secret_env"))
            yf_warn(&c->yf, k->line, path, "no 'signing_secret': button presses from Slack will be "
                    "refused");
        break;
    case RIP_CHANNEL_PAGERDUTY:
        if (!yf_get(m, "routing_key") && !yf_get(m, "routing_key_env"))
            yf_err(&c->yf, k->line, path, "a pagerduty channel needs 'routing_key' or "
                   "'routing_key_env'");
        secret(c, m, path, "routing_key", true, &ch->routing_key);
        ch->url = "https://events.pagerduty.com/v2/enqueue";
        if ((x = yf_get(m, "url")))
            ch->url = url(c, x, yf_path(&c->yf, path, "url"), http_schemes);
        break;
    case RIP_CHANNEL_WEBHOOK:
        if ((x = need(c, m, "url", k->line, path, "a webhook channel")))
            ch->url = url(c, x, yf_path(&c->yf, path, "url"), http_schemes);
        secret(c, m, path, "secret", true, &ch->secret);
        break;
    case RIP_CHANNEL_EMAIL:
        if ((x = need(c, m, "smtp_url", k->line, path, "an email channel")))
            ch->smtp_url = url(c, x, yf_path(&c->yf, path, "smtp_url"), smtp_schemes);
        const char *host = ch->smtp_url ? strstr(ch->smtp_url, "://") + 3 : NULL;
        if (host && memchr(host, '@', strcspn(host, "/?#")))
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "smtp_url"),
                   "no credentials in the URL: use 'username_env' and 'password_env'");
        if ((x = need(c, m, "from", k->line, path, "an email channel")) &&
            (ch->from = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "from"))) &&
            !rip_email_address_ok(ch->from))
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "from"),
                   "'%s' is not an email address", ch->from);
        if ((x = need(c, m, "to", k->line, path, "an email channel")) &&
            strs(c, x, yf_path(&c->yf, path, "to"), &ch->to) == 0) {
            for (size_t i = 0; i < ch->to.n; i++)
                if (!rip_email_address_ok(ch->to.v[i]))
                    yf_err(&c->yf, x->line, yf_path(&c->yf, path, "to"),
                           "'%s' is not an email address", ch->to.v[i]);
            if (ch->to.n > RIP_EMAIL_MAX_RCPT)
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "to"),
                       "%zu recipients; at most %d", ch->to.n, RIP_EMAIL_MAX_RCPT);
        }
        secret(c, m, path, "username", false, &ch->username);
        secret(c, m, path, "password", false, &ch->password);
        if (!yf_get(m, "username_env") != !yf_get(m, "password_env"))
            yf_err(&c->yf, k->line, path, "give both 'username_env' and 'password_env', or "
                   "neither");
        if ((x = yf_get(m, "starttls"))) {
            int v = 0;
            if (yf_pick(&c->yf, x, yf_path(&c->yf, path, "starttls"), "starttls policy",
                        starttls_names, 3, &v) == 0)
                ch->starttls = (rip_email_starttls)(RIP_EMAIL_STARTTLS_REQUIRED + v);
        }
        if ((x = yf_get(m, "subject_prefix")) &&
            (ch->subject_prefix = yf_scalar(&c->yf, x, yf_path(&c->yf, path,
                                                               "subject_prefix")))) {
            bool bad = strlen(ch->subject_prefix) > 64;
            for (const char *p = ch->subject_prefix; *p; p++)
                bad |= (unsigned char)*p < 0x20 || *p == 0x7f;
            if (bad)
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "subject_prefix"),
                       "at most 64 bytes of text on one line");
        }
        /* (A loopback host is off by default: nothing leaves the machine.) */
        rip_email_cfg loop = { .smtp_url = ch->smtp_url };
        if (ch->smtp_url && ch->password.value && !strncmp(ch->smtp_url, "smtp://", 7) &&
            ch->starttls == RIP_EMAIL_STARTTLS_OFF &&
            rip_email_starttls_effective(&loop) != RIP_EMAIL_STARTTLS_OFF)
            yf_warn(&c->yf, yf_get(m, "starttls")->line, yf_path(&c->yf, path, "starttls"),
                    "'off' sends the SMTP password unencrypted over the network");
        break;
    }
}

static void parse_channels(cf_ctx *c, const yt_node *v)
{
    const yt_node *m = yf_map_section(&c->yf, v, "channels", NULL);
    rip_config *cfg = c->cfg;
    if (!(cfg->channels = section_items(c, m, sizeof(*cfg->channels))))
        return;
    for (uint32_t i = 0; i < m->n; i++)
        parse_channel(c, m->kids[2 * i], m->kids[2 * i + 1], &cfg->channels[i]);
    cfg->nchannels = m->n;
}

static void on_playbook_diag(void *ud, const rip_pb_diag *d)
{
    cf_ctx *c = ud;
    yf_err(&c->yf, c->pb_line, c->pb_line ? "playbooks.path" : "playbooks", "%s", d->message);
}

static void parse_playbooks(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "path", NULL };
    const yt_node *m = yf_map_section(&c->yf, v, "playbooks", keys), *x = NULL;
    if (m) {
        const char *s;
        if ((x = yf_get(m, "path")) && (s = yf_scalar(&c->yf, x, "playbooks.path")))
            c->cfg->playbooks_path = resolve_path(c, s);
    }
    if (!c->cfg->playbooks_path && !(c->opts && c->opts->builtin_playbooks))
        return;
    c->pb_line = x ? x->line : 0;
    rip_playbook_set *set = rip_playbook_set_new(on_playbook_diag, c);
    if (!set) {
        c->yf.nomem = true;
        return;
    }
    int rc = c->cfg->playbooks_path ? rip_playbook_load_path(set, c->cfg->playbooks_path)
                                    : c->opts->builtin_playbooks(set);
    if (rc == RIP_ENOMEM)
        c->yf.nomem = true;
    c->cfg->playbook_set = set;
}

static void parse_users(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "name", "roles", "slack_id", "token_sha256", NULL };
    const yt_node *l = yf_list_section(&c->yf, v, "users");
    rip_config *cfg = c->cfg;
    if (!(cfg->users = section_items(c, l, sizeof(*cfg->users))))
        return;
    for (uint32_t i = 0; i < l->n; i++) {
        const yt_node *m = l->kids[i], *x;
        rip_config_user *u = &cfg->users[i];
        cfg->nusers = i + 1;
        const char *path = item_path(c, "users", m, "name", i);
        u->line = m->line;
        if (!named_item(c, m, path, "a user", keys, &u->name))
            continue;
        rip_config_strs roles = { 0 };
        if (!(x = yf_get(m, "roles"))) {
            yf_err(&c->yf, m->line, path, "a user needs 'roles' (viewer, responder, admin)");
        } else if (strs(c, x, yf_path(&c->yf, path, "roles"), &roles) == 0) {
            for (size_t r = 0; r < roles.n; r++) {
                size_t j = 0;
                while (j < 3 && strcmp(roles.v[r], role_names[j]))
                    j++;
                if (j < 3)
                    u->roles |= 1u << j;
                else
                    yf_err(&c->yf, x->line, yf_path(&c->yf, path, "roles"),
                           "unknown role '%s' (expected viewer, responder, admin)", roles.v[r]);
            }
        }
        if ((x = yf_get(m, "slack_id")) &&
            (u->slack_id = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "slack_id")))) {
            bool ok = (u->slack_id[0] == 'U' || u->slack_id[0] == 'W') && u->slack_id[1] &&
                      strlen(u->slack_id) <= 32;
            for (const char *p = u->slack_id + 1; ok && *p; p++)
                ok = isupper((unsigned char)*p) || isdigit((unsigned char)*p);
            if (!ok) {
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "slack_id"),
                       "expected a Slack user id such as U024BE7LH, found '%s'", u->slack_id);
                u->slack_id = NULL;
            }
        }
        if ((x = yf_get(m, "token_sha256")))
            u->has_token = sha256_hex(c, x, yf_path(&c->yf, path, "token_sha256"),
                                      u->token_sha256) == 0;
        if (!yf_get(m, "slack_id") && !yf_get(m, "token_sha256"))
            yf_err(&c->yf, m->line, path, "a user needs 'token_sha256' or 'slack_id' (or both)");
        for (uint32_t j = 0; j < i; j++) {
            const rip_config_user *p = &cfg->users[j];
            check_dup(c, "user", "users", i, u->name, u->line, p->name, p->line);
            if (u->slack_id && p->slack_id && !strcmp(u->slack_id, p->slack_id))
                yf_err(&c->yf, u->line, yf_path(&c->yf, path, "slack_id"),
                       "slack_id '%s' is also user '%s' (line %u)",
                       u->slack_id, p->name ? p->name : "?", p->line);
            if (u->has_token && p->has_token && !memcmp(u->token_sha256, p->token_sha256, 32))
                yf_err(&c->yf, u->line, yf_path(&c->yf, path, "token_sha256"),
                       "the same token as user '%s' (line %u)", p->name ? p->name : "?", p->line);
        }
    }
}

static void parse_api(cf_ctx *c, const yt_node *v)
{
    static const char *const keys[] = { "event_keys", NULL };
    static const char *const ekeys[] = { "name", "key_sha256", NULL };
    const yt_node *m = yf_map_section(&c->yf, v, "api", keys), *x;
    if (!m)
        return;
    const yt_node *l = (x = yf_get(m, "event_keys")) ? yf_list_section(&c->yf, x, "api.event_keys")
                                                       : NULL;
    rip_config *cfg = c->cfg;
    if (!(cfg->event_keys = section_items(c, l, sizeof(*cfg->event_keys))))
        return;
    for (uint32_t i = 0; i < l->n; i++) {
        const yt_node *e = l->kids[i];
        rip_config_event_key *k = &cfg->event_keys[i];
        const char *path = item_path(c, "api.event_keys", e, "name", i);
        k->line = e->line;
        cfg->nevent_keys = i + 1;
        if (!named_item(c, e, path, "an event key", ekeys, &k->name))
            continue;
        if (!(x = yf_get(e, "key_sha256")))
            yf_err(&c->yf, e->line, path, "an event key needs 'key_sha256' (riposte config "
                   "hash-token prints it)");
        else
            sha256_hex(c, x, yf_path(&c->yf, path, "key_sha256"), k->key_sha256);
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
        yf_err(&c->yf, v->line, path, "expected a map, found %s", yf_kind_name(v));
        return;
    }
    yf_check_keys(&c->yf, v, path, keys, NULL);
    const yt_node *x;
    if ((x = yf_get(v, "accounts")))
        strs(c, x, yf_path(&c->yf, path, "accounts"), &r->accounts);
    if ((x = yf_get(v, "finding_types")))
        strs(c, x, yf_path(&c->yf, path, "finding_types"), &r->finding_types);
    const char *s;
    if ((x = yf_get(v, "severity_min")) &&
        (s = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "severity_min")))) {
        r->severity_min = rip_severity_rank(s);
        if (r->severity_min < 0)
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "severity_min"), "unknown severity '%s' "
                   "(expected informational, low, medium, high, critical)", s);
    }
    if ((x = yf_get(v, "tags"))) {
        const char *tp = yf_path(&c->yf, path, "tags");
        if (x->kind != YT_MAP || x->n == 0) {
            yf_err(&c->yf, x->line, tp, "expected a map of tag keys to patterns (owner: team-a*)");
        } else if ((r->tags = rip_arena_calloc(c->a, x->n, sizeof(*r->tags)))) {
            for (uint32_t i = 0; i < x->n; i++) {
                r->tags[i].key = x->kids[2 * i]->str;
                r->tags[i].glob =
                    yf_scalar(&c->yf, x->kids[2 * i + 1], yf_path(&c->yf, tp, r->tags[i].key));
            }
            r->ntags = x->n;
        } else {
            c->yf.nomem = true;
        }
    }
    if ((x = yf_get(v, "owner")))
        r->owner = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "owner"));
    if (v->n == 0)
        yf_err(&c->yf, v->line, path,
               "an empty match; give a criterion, or 'default: true' instead");
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
    if (!named_item(c, m, path, "a route", keys, &r->name))
        return;
    const yt_node *x, *match = yf_get(m, "match");
    if ((x = yf_get(m, "default")))
        yf_boolean(&c->yf, x, yf_path(&c->yf, path, "default"), &r->is_default);
    if (match && r->is_default)
        yf_err(&c->yf, match->kline, yf_path(&c->yf, path, "match"),
               "a default route has no 'match': it catches what no other route matched");
    else if (match)
        parse_match(c, match, yf_path(&c->yf, path, "match"), r);
    else if (!r->is_default)
        yf_err(&c->yf, m->line, path, "a route needs 'match' or 'default: true'");
    rip_config_strs names = { 0 };
    const rip_config *cfg = c->cfg;
    if ((x = yf_get(m, "channels")) && strs(c, x, yf_path(&c->yf, path, "channels"), &names) == 0) {
        r->channels = rip_arena_calloc(c->a, names.n, sizeof(*r->channels));
        if (!r->channels) {
            c->yf.nomem = true;
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
            yf_err(&c->yf, x->line, yf_path(&c->yf, path, "channels"),
                   "unknown channel '%s' (channels: %s)", names.v[i], want);
        }
    }
    if ((x = yf_get(m, "playbooks")) &&
        strs(c, x, yf_path(&c->yf, path, "playbooks"), &r->playbooks) == 0 && cfg->playbook_set) {
        for (size_t i = 0; i < r->playbooks.n; i++)
            if (!rip_playbook_find(cfg->playbook_set, r->playbooks.v[i]))
                yf_err(&c->yf, x->line, yf_path(&c->yf, path, "playbooks"),
                       "unknown playbook '%s' (not in %s)",
                       r->playbooks.v[i],
                       cfg->playbooks_path ? cfg->playbooks_path : "riposte's own playbooks");
    }
    if (!yf_get(m, "channels") && !yf_get(m, "playbooks"))
        yf_err(&c->yf, m->line, path, "a route needs 'channels' or 'playbooks'");
    int k;
    if ((x = yf_get(m, "mode")) &&
        yf_pick(&c->yf, x, yf_path(&c->yf, path, "mode"), "mode", route_mode_names, 2, &k) == 0)
        r->mode = (rip_route_mode)k;
    if ((x = yf_get(m, "team")))
        r->team = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "team"));
}

static void parse_routes(cf_ctx *c, const yt_node *v)
{
    const yt_node *l = yf_list_section(&c->yf, v, "routes");
    rip_config *cfg = c->cfg;
    if (!(cfg->routes = section_items(c, l, sizeof(*cfg->routes))))
        return;
    const rip_config_route *def = NULL;
    for (uint32_t i = 0; i < l->n; i++) {
        rip_config_route *r = &cfg->routes[i];
        parse_route(c, l->kids[i], i, r);
        cfg->nroutes = i + 1;
        for (uint32_t j = 0; j < i; j++)
            check_dup(c, "route", "routes", i, r->name, r->line, cfg->routes[j].name,
                      cfg->routes[j].line);
        if (r->is_default && def)
            yf_err(&c->yf, r->line, item_path(c, "routes", l->kids[i], "name", i),
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
    /* Read in the order their references need: safety after aws (protect_tag),
     * routes after channels and playbooks. A section not given is NULL. */
    static const struct {
        const char *name;
        void (*parse)(cf_ctx *c, const yt_node *v);
    } sections[] = {
        { "server", parse_server }, { "store", parse_store }, { "aws", parse_aws },
        { "safety", parse_safety }, { "accounts", parse_accounts }, { "sources", parse_sources },
        { "channels", parse_channels }, { "playbooks", parse_playbooks },
        { "users", parse_users }, { "api", parse_api }, { "routes", parse_routes },
    };
    if (!root)
        return;        /* an empty file: every default */
    if (root->kind != YT_MAP) {
        yf_err(&c->yf, root->line, "", "expected a map of sections (server, store, accounts, aws, "
               "sources, channels, routes, playbooks, safety, users, api), found %s",
               yf_kind_name(root));
        return;
    }
    yf_check_keys(&c->yf, root, "", keys, NULL);
    for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
        sections[i].parse(c, yf_get(root, sections[i].name));
}

int rip_config_load_text(const char *file, const char *data, size_t len,
                         const rip_config_opts *opts, rip_config **out,
                         rip_config_diag_fn fn, void *ud)
{
    cf_ctx c = { .file = file, .opts = opts, .fn = fn, .ud = ud };
    c.yf = (yf_ctx){ .fn = cf_problem, .ud = &c, .str_max = CF_STR_MAX };
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
    c.a = c.yf.a = &priv->arena;
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
    if (c.yf.nomem)
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
    rip_buf b;
    char err[512];
    int rc = yf_read_file(path, RIP_CONFIG_FILE_MAX, &b, err, sizeof(err));
    if (rc < 0) {
        cf_ctx c = { .file = path, .fn = fn, .ud = ud };
        cf_report(&c, 0, "", err, false);
    } else {
        rc = rip_config_load_text(path, b.ptr, b.len, opts, out, fn, ud);
    }
    if (b.alloc)
        rip_wipe(b.ptr, b.len);
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

int rip_config_sha256_hex(const void *data, size_t len, char hex[65])
{
    rip_sha256_hex(data, len, hex);
    return 0;
}

/* The index of the first of n items (size bytes each) whose SHA-256 at
 * offset is the hash of secret, or -1. Every hash is compared, whatever
 * matched before: the time taken does not depend on which item (if any)
 * the secret belongs to. */
static long find_by_hash(const char *secret, const void *items, size_t n, size_t size,
                         size_t offset)
{
    unsigned char md[32];
    if (!secret || !*secret || !n)
        return -1;
    rip_sha256(secret, strlen(secret), md);
    long found = -1;
    for (size_t i = 0; i < n; i++) {
        int diff = rip_ct_memcmp(md, (const unsigned char *)items + i * size + offset, 32);
        if (diff == 0 && found < 0)
            found = (long)i;
    }
    rip_wipe(md, sizeof(md));
    return found;
}

const rip_config_user *rip_config_user_by_token(const rip_config *cfg, const char *token)
{
    if (!cfg)
        return NULL;
    /* A user without a token holds zeros, which no token hashes to. */
    long i = find_by_hash(token, cfg->users, cfg->nusers, sizeof(*cfg->users),
                          offsetof(rip_config_user, token_sha256));
    return i >= 0 && cfg->users[i].has_token ? &cfg->users[i] : NULL;
}

const rip_config_event_key *rip_config_event_key_by_key(const rip_config *cfg, const char *key)
{
    if (!cfg)
        return NULL;
    long i = find_by_hash(key, cfg->event_keys, cfg->nevent_keys, sizeof(*cfg->event_keys),
                          offsetof(rip_config_event_key, key_sha256));
    return i >= 0 ? &cfg->event_keys[i] : NULL;
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
