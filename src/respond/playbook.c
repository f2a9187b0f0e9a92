/* playbook.c — reads playbook YAML into the model and checks it all:
 * keys, actions and their parameters, template expressions, approvals and
 * the order of the steps. See playbook.h for the invariants and
 * docs/PLAYBOOKS.md for the format. */
#include "respond/playbook.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/actions.h"
#include "correlate/entity.h"
#include "correlate/incident.h"
#include "sources/input.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/yaml-fields.h"

struct rip_playbook_set {
    rip_arena arena;
    rip_playbook **v;
    size_t n, alloc;
    rip_pb_diag_fn fn;
    void *ud;
    unsigned errors;
};

/* One file being read. */
typedef struct pb_ctx {
    rip_playbook_set *set;
    rip_arena *a;
    const char *file;
    yf_ctx yf;                 /* the value readers: problems go to pb_problem() */
    unsigned nerr;
    int limit;                 /* a limit was hit: RIP_ELIMIT */
} pb_ctx;

/* A steps.ID reference found in a step's expressions. */
typedef struct pb_ref {
    const char *id;
    uint32_t line;
    const char *key;
} pb_ref;

typedef struct pb_refs {
    pb_ref v[RIP_PB_MAX_STEPS * 4];
    size_t n;
} pb_refs;

static const char *const on_timeout_names[] = { "reject", "approve", "escalate" };
static const char *const on_failure_names[] = { "abort", "continue", "escalate" };
static const char *const step_kind_names[] = { "action", "notify" };

const char *rip_pb_on_timeout_name(rip_pb_on_timeout v)
{
    return (unsigned)v < 3 ? on_timeout_names[v] : "?";
}

const char *rip_pb_on_failure_name(rip_pb_on_failure v)
{
    return (unsigned)v < 3 ? on_failure_names[v] : "?";
}

const char *rip_pb_step_kind_name(rip_pb_step_kind v)
{
    return (unsigned)v < 2 ? step_kind_names[v] : "?";
}

/* ---- problems ---- */

static void pb_report(rip_playbook_set *s, const char *file, uint32_t line, const char *key,
                      const char *text)
{
    char msg[1536];
    s->errors++;
    yf_message(msg, sizeof(msg), "playbook", file, line, key, text);
    if (s->fn) {
        rip_pb_diag d = { file, line, key ? key : "", text, msg };
        s->fn(s->ud, &d);
    }
}

/* Counts a problem and reports the first RIP_PB_MAX_ERRORS - 1 of them,
 * then one "too many errors". */
static void pb_problem(void *ud, const yf_problem *p)
{
    pb_ctx *c = ud;
    c->nerr++;
    if (c->nerr > RIP_PB_MAX_ERRORS)
        return;
    if (c->nerr == RIP_PB_MAX_ERRORS) {
        pb_report(c->set, c->file, p->line, p->key, "too many errors; the rest are not shown");
        return;
    }
    pb_report(c->set, c->file, p->line, p->key, p->text);
}

/* ---- small readers ---- */

static int strs(pb_ctx *c, const yt_node *v, const char *path, rip_pb_strs *out)
{
    return yf_strs(&c->yf, v, path, &out->v, &out->n);
}

static int severity(pb_ctx *c, const yt_node *v, const char *path, int *out)
{
    const char *s = yf_scalar(&c->yf, v, path);
    if (!s)
        return -1;
    int r = rip_severity_rank(s);
    if (r < 0) {
        yf_err(&c->yf, v->line, path,
               "unknown severity '%s' (expected informational, low, medium, high or critical)", s);
        return -1;
    }
    *out = r;
    return 0;
}

static bool is_ident(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > RIP_PB_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

/* ---- expressions ---- */

static const char *const incident_fields[] = {
    "id", "title", "severity", "account", "region", "status", "phase", "finding_type",
    "rule_id", "user_name", "role_name", NULL,
};

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-' || ch == ':' || ch == '/';
}

/* Checks the reference s[0..n) (spaces around allowed). On success, a
 * steps.ID reference's id is copied to step (stepcap bytes; "" otherwise).
 * 0 or RIP_ESYNTAX with err. */
static int ref_check(const char *s, size_t n, char *step, size_t stepcap, char *err,
                     size_t errlen)
{
    char parts[5][128];
    size_t np = 0;
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (step && stepcap)
        step[0] = '\0';
    if (n == 0) {
        snprintf(err, errlen, "empty expression");
        return RIP_ESYNTAX;
    }
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && name_char(s[j]))
            j++;
        if (j == i || (j < n && s[j] != '.')) {
            snprintf(err, errlen, "bad expression '%.*s' (expected a dotted name such as "
                     "incident.entities.access_key)", (int)n, s);
            return RIP_ESYNTAX;
        }
        if (np == 5 || j - i >= sizeof(parts[0])) {
            snprintf(err, errlen, "expression '%.*s' is too long", (int)n, s);
            return RIP_ESYNTAX;
        }
        memcpy(parts[np], s + i, j - i);
        parts[np++][j - i] = '\0';
        i = j + 1;
    }
    if (!strcmp(parts[0], "incident")) {
        if (np == 2)
            for (const char *const *f = incident_fields; *f; f++)
                if (!strcmp(*f, parts[1]))
                    return 0;
        if (np == 3 && !strcmp(parts[1], "entities")) {
            rip_entity_kind k;
            if (rip_entity_kind_parse(parts[2], &k) == 0)
                return 0;
            snprintf(err, errlen, "unknown entity '%s' in '%.*s' (expected access_key, "
                     "principal, role, instance, bucket, security_group or source_ip)",
                     parts[2], (int)n, s);
            return RIP_ESYNTAX;
        }
        if (np == 3 && (!strcmp(parts[1], "resource_tags") || !strcmp(parts[1], "facts")))
            return 0;
        snprintf(err, errlen, "unknown incident field in '%.*s' (expected incident.FIELD, "
                 "incident.entities.KIND, incident.facts.KEY or incident.resource_tags.KEY)", (int)n, s);
        return RIP_ESYNTAX;
    }
    if (!strcmp(parts[0], "steps")) {
        if ((np == 4 && !strcmp(parts[2], "outputs")) ||
            (np == 3 && !strcmp(parts[2], "status"))) {
            if (step && stepcap)
                snprintf(step, stepcap, "%s", parts[1]);
            return 0;
        }
        snprintf(err, errlen, "bad step reference '%.*s' (expected steps.ID.outputs.NAME or "
                 "steps.ID.status)", (int)n, s);
        return RIP_ESYNTAX;
    }
    snprintf(err, errlen, "unknown expression root '%s' (expected incident or steps)", parts[0]);
    return RIP_ESYNTAX;
}

typedef int (*ref_fn)(void *ud, const char *step);

/* Walks every ${{ }} of t: checks each and reports step references to fn. */
static int template_walk(const char *t, char *err, size_t errlen, ref_fn fn, void *ud)
{
    size_t count = 0;
    for (const char *p = strstr(t, "${{"); p; p = strstr(p, "${{")) {
        const char *q = strstr(p + 3, "}}");
        if (!q) {
            snprintf(err, errlen, "unterminated '${{' (expected '}}')");
            return RIP_ESYNTAX;
        }
        if (++count > RIP_PB_MAX_TEMPLATES) {
            snprintf(err, errlen, "more than %d expressions in one value", RIP_PB_MAX_TEMPLATES);
            return RIP_ESYNTAX;
        }
        char step[128];
        int rc = ref_check(p + 3, (size_t)(q - p - 3), step, sizeof(step), err, errlen);
        if (rc < 0)
            return rc;
        if (step[0] && fn)
            fn(ud, step);
        p = q + 2;
    }
    return 0;
}

int rip_pb_template_check(const char *t, char *err, size_t errlen)
{
    return template_walk(t, err, errlen, NULL, NULL);
}

/* ---- evaluation (the run engine's side of the syntax above) ---- */

/* Splits the reference s[0..n) into its dotted names, spaces around it
 * ignored. The number of names, or 0 when it is not a reference. */
static size_t ref_split(const char *s, size_t n, char parts[5][128])
{
    size_t np = 0, i = 0;
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (!n)
        return 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && name_char(s[j]))
            j++;
        if (j == i || (j < n && s[j] != '.') || np == 5 || j - i >= 128)
            return 0;
        memcpy(parts[np], s + i, j - i);
        parts[np++][j - i] = '\0';
        i = j + 1;
    }
    return np;
}

static int resolve(const char *s, size_t n, rip_pb_resolve_fn fn, void *ud, rip_buf *out)
{
    char parts[5][128];
    const char *pv[5];
    size_t np = ref_split(s, n, parts);
    if (!np)
        return RIP_ESYNTAX;
    for (size_t i = 0; i < np; i++)
        pv[i] = parts[i];
    return fn(ud, pv, np, out);
}

int rip_pb_template_render(const char *t, rip_pb_resolve_fn fn, void *ud, rip_buf *out)
{
    const char *p = t;
    for (const char *q = strstr(p, "${{"); q; q = strstr(p, "${{")) {
        const char *e = strstr(q + 3, "}}");
        if (!e)
            return RIP_ESYNTAX;
        if (rip_buf_add(out, p, (size_t)(q - p)))
            return RIP_ENOMEM;
        int rc = resolve(q + 3, (size_t)(e - q - 3), fn, ud, out);
        if (rc < 0)
            return rc;
        p = e + 2;
    }
    return rip_buf_add(out, p, strlen(p)) ? RIP_ENOMEM : 0;
}

/* A condition taken apart: REF, REF == 'text' or REF != 'text', bare or
 * inside ${{ }}. */
typedef struct cond_parts {
    const char *ref;           /* not trimmed */
    size_t refn;
    const char *lit;           /* the text between the quotes; NULL: none */
    size_t litn;
    bool neg;                  /* != */
} cond_parts;

/* 0, or RIP_ESYNTAX when what follows == or != is not one quoted text. */
static int cond_split(const char *t, cond_parts *out)
{
    size_t n = strlen(t);
    const char *s = t;
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n >= 5 && !strncmp(s, "${{", 3) && !strncmp(s + n - 2, "}}", 2)) {
        s += 3;
        n -= 5;
    }
    cond_parts p = { s, n, NULL, 0, false };
    for (size_t i = 0; i + 1 < n; i++)
        if ((s[i] == '=' || s[i] == '!') && s[i + 1] == '=') {
            const char *r = s + i + 2;
            size_t rn = n - i - 2;
            while (rn && *r == ' ')
                r++, rn--;
            while (rn && r[rn - 1] == ' ')
                rn--;
            if (rn < 2 || (r[0] != '\'' && r[0] != '"') || r[rn - 1] != r[0] ||
                memchr(r + 1, r[0], rn - 2))
                return RIP_ESYNTAX;
            p = (cond_parts){ s, i, r + 1, rn - 2, s[i] == '!' };
            break;
        }
    *out = p;
    return 0;
}

int rip_pb_condition_eval(const char *t, rip_pb_resolve_fn fn, void *ud, bool *out)
{
    cond_parts p;
    if (cond_split(t, &p) < 0)
        return RIP_ESYNTAX;
    rip_buf v = RIP_BUF_INIT;
    int rc = resolve(p.ref, p.refn, fn, ud, &v);
    if (rc < 0) {
        rip_buf_release(&v);
        return rc;
    }
    if (p.lit) {
        bool eq = v.len == p.litn && (!p.litn || !memcmp(v.ptr, p.lit, p.litn));
        *out = p.neg ? !eq : eq;
    } else {
        *out = v.len > 0;
    }
    rip_buf_release(&v);
    return 0;
}

typedef struct ref_sink {
    pb_ctx *c;
    pb_refs *refs;
    uint32_t line;
    const char *key;
} ref_sink;

static int sink_ref(void *ud, const char *step)
{
    ref_sink *r = ud;
    if (r->refs->n == sizeof(r->refs->v) / sizeof(r->refs->v[0]))
        return 0;
    const char *id = rip_arena_strndup(r->c->a, step, strlen(step));
    if (!id)
        return RIP_ENOMEM;
    r->refs->v[r->refs->n++] = (pb_ref){ id, r->line, r->key };
    return 0;
}

static void template(pb_ctx *c, const char *t, uint32_t line, const char *key, pb_refs *refs)
{
    char err[512];
    ref_sink sink = { c, refs, line, key };
    if (template_walk(t, err, sizeof(err), sink_ref, &sink) < 0)
        yf_err(&c->yf, line, key, "%s", err);
}

/* when: REF, REF == 'text', REF != 'text', bare or inside ${{ }}. */
static void condition(pb_ctx *c, const char *t, uint32_t line, const char *key, pb_refs *refs)
{
    char err[512];
    cond_parts p;
    if (cond_split(t, &p) < 0) {
        yf_err(&c->yf, line, key, "bad condition '%s' (expected REF == 'text' or "
               "REF != 'text')", t);
        return;
    }
    char step[128];
    if (ref_check(p.ref, p.refn, step, sizeof(step), err, sizeof(err)) < 0) {
        yf_err(&c->yf, line, key, "%s", err);
        return;
    }
    if (step[0]) {
        ref_sink sink = { c, refs, line, key };
        sink_ref(&sink, step);
    }
}

/* ---- trigger ---- */

static void parse_trigger(pb_ctx *c, const yt_node *v, rip_pb_trigger *tr)
{
    static const char *const keys[] = {
        "finding_types", "rule_ids", "tags", "min_severity", "accounts", "resource_tags", NULL,
    };
    tr->min_severity = -1;
    if (v->kind != YT_MAP) {
        yf_err(&c->yf, v->line, "trigger", "expected a map, found %s", yf_kind_name(v));
        return;
    }
    yf_check_keys(&c->yf, v, "trigger", keys, NULL);
    const yt_node *x;
    if ((x = yf_get(v, "finding_types")))
        strs(c, x, "trigger.finding_types", &tr->finding_types);
    if ((x = yf_get(v, "rule_ids")))
        strs(c, x, "trigger.rule_ids", &tr->rule_ids);
    if ((x = yf_get(v, "tags")))
        strs(c, x, "trigger.tags", &tr->tags);
    if ((x = yf_get(v, "accounts")))
        strs(c, x, "trigger.accounts", &tr->accounts);
    if ((x = yf_get(v, "min_severity")))
        severity(c, x, "trigger.min_severity", &tr->min_severity);
    if ((x = yf_get(v, "resource_tags"))) {
        if (x->kind != YT_MAP || x->n == 0) {
            yf_err(&c->yf, x->line, "trigger.resource_tags",
                   "expected a map of tag: value, found %s",
                   x->kind == YT_MAP ? "an empty map" : yf_kind_name(x));
        } else {
            tr->resource_tags = rip_arena_calloc(c->a, x->n, sizeof(*tr->resource_tags));
            if (tr->resource_tags) {
                for (uint32_t i = 0; i < x->n; i++) {
                    const yt_node *val = x->kids[2 * i + 1];
                    const char *s = yf_scalar(&c->yf, val, "trigger.resource_tags");
                    tr->resource_tags[i] = (rip_pb_kv){ x->kids[2 * i]->str, s, val->line };
                }
                tr->nresource_tags = x->n;
            }
        }
    }
    if (!tr->finding_types.n && !tr->rule_ids.n && !tr->tags.n &&
        !yf_get(v, "finding_types") && !yf_get(v, "rule_ids") &&
        !yf_get(v, "tags"))
        yf_err(&c->yf, v->kline, "trigger",
               "a trigger needs finding_types, rule_ids or tags (else it matches every incident)");
}

/* ---- steps ---- */

static void parse_approval(pb_ctx *c, const yt_node *v, const char *path, rip_pb_approval *ap)
{
    static const char *const keys[] = { "who", "timeout", "on_timeout", NULL };
    ap->required = true;
    ap->timeout_s = 3600;
    ap->on_timeout = RIP_PB_TIMEOUT_REJECT;
    if (v->kind != YT_MAP) {
        yf_err(&c->yf, v->line, path, "expected a map with who, timeout and on_timeout, found %s",
               yf_kind_name(v));
        return;
    }
    yf_check_keys(&c->yf, v, path, keys, NULL);
    const yt_node *x;
    const char *kp = yf_path(&c->yf, path, "who");
    if (!(x = yf_get(v, "who"))) {
        yf_err(&c->yf, v->kline, path,
               "missing key 'who' (roles or chat user ids who may approve)");
    } else if (strs(c, x, kp, &ap->who) == 0) {
        for (size_t i = 0; i < ap->who.n; i++) {
            const char *w = ap->who.v[i];
            const char *colon = strchr(w, ':');
            bool ok = colon && colon[1] &&
                      ((colon - w == 4 && !strncmp(w, "role", 4)) ||
                       (colon - w == 5 && !strncmp(w, "slack", 5)));
            for (const char *p = colon ? colon + 1 : w; ok && *p; p++)
                if (!name_char(*p) || *p == ':' || *p == '/')
                    ok = false;
            if (!ok)
                yf_err(&c->yf, x->kind == YT_SEQ ? x->kids[i]->line : x->line, kp,
                       "approver '%s' is not role:NAME or slack:USERID", w);
        }
    }
    if ((x = yf_get(v, "timeout")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "timeout"), 1,
                    RIP_PB_APPROVAL_TIMEOUT_MAX, &ap->timeout_s);
    int e;
    if ((x = yf_get(v, "on_timeout")) && yf_pick(&c->yf, x, yf_path(&c->yf, path, "on_timeout"),
                                                 "value", on_timeout_names, 3, &e) == 0)
        ap->on_timeout = (rip_pb_on_timeout)e;
}

static void parse_params(pb_ctx *c, const yt_node *v, const char *path, const rip_action *act,
                         rip_pb_step *st, pb_refs *refs)
{
    if (v->kind != YT_MAP) {
        yf_err(&c->yf, v->line, path, "expected a map of parameter: value, found %s",
               yf_kind_name(v));
        return;
    }
    st->params = rip_arena_calloc(c->a, v->n ? v->n : 1, sizeof(*st->params));
    if (!st->params)
        return;
    for (uint32_t i = 0; i < v->n; i++) {
        const yt_node *k = v->kids[2 * i], *val = v->kids[2 * i + 1];
        const char *kp = yf_path(&c->yf, path, k->str);
        if (act) {
            bool known = false;
            for (const rip_action_param *p = act->params; p && p->name; p++)
                if (!strcmp(p->name, k->str))
                    known = true;
            if (!known) {
                char want[512];
                size_t w = 0;
                want[0] = '\0';
                for (const rip_action_param *p = act->params; p && p->name; p++)
                    w += (size_t)snprintf(want + w, sizeof(want) - w, "%s%s",
                                          p == act->params ? "" : ", ", p->name);
                yf_err(&c->yf, k->line, path,
                       "unknown parameter '%s' for action '%s' (expected %s)", k->str, act->name,
                       want);
                continue;
            }
        }
        const char *s = yf_scalar(&c->yf, val, kp);
        if (!s)
            continue;
        template(c, s, val->line, kp, refs);
        st->params[st->nparams++] = (rip_pb_kv){ k->str, s, val->line };
    }
}

static void parse_notify(pb_ctx *c, const yt_node *v, const char *path, rip_pb_step *st,
                         pb_refs *refs)
{
    static const char *const keys[] = { "channel", "severity", "message", NULL };
    st->notify_channel = "default";
    st->notify_severity = 2;
    if (v->kind != YT_MAP) {
        yf_err(&c->yf, v->line, path, "expected a map with channel, severity and message, found %s",
               yf_kind_name(v));
        return;
    }
    yf_check_keys(&c->yf, v, path, keys, NULL);
    const yt_node *x;
    if ((x = yf_get(v, "channel"))) {
        const char *kp = yf_path(&c->yf, path, "channel");
        const char *s = yf_scalar(&c->yf, x, kp);
        if (s && !is_ident(s))
            yf_err(&c->yf, x->line, kp,
                   "bad channel '%s' (expected lowercase letters, digits, - and _)", s);
        else if (s)
            st->notify_channel = s;
    }
    if ((x = yf_get(v, "severity")))
        severity(c, x, yf_path(&c->yf, path, "severity"), &st->notify_severity);
    if (!(x = yf_get(v, "message"))) {
        yf_err(&c->yf, v->kline, path, "missing key 'message'");
    } else {
        const char *kp = yf_path(&c->yf, path, "message");
        if ((st->notify_message = yf_scalar(&c->yf, x, kp)))
            template(c, st->notify_message, x->line, kp, refs);
    }
}

static void parse_step(pb_ctx *c, const yt_node *v, size_t idx, rip_pb_step *st, pb_refs *refs)
{
    static const char *const keys[] = {
        "id", "name", "action", "params", "notify", "when", "approval", "retry", "timeout",
        "on_failure", "verify", "needs", NULL,
    };
    char pbuf[YF_PATH_MAX];
    st->line = v->line;
    st->retry_attempts = 1;
    st->timeout_s = 300;
    snprintf(pbuf, sizeof(pbuf), "steps[%zu]", idx);
    if (v->kind != YT_MAP) {
        yf_err(&c->yf, v->line, pbuf, "expected a map, found %s", yf_kind_name(v));
        return;
    }
    const yt_node *x;
    if (!(x = yf_get(v, "id"))) {
        yf_err(&c->yf, v->line, pbuf, "missing key 'id'");
    } else if ((st->id = yf_scalar(&c->yf, x, yf_path(&c->yf, pbuf, "id")))) {
        if (!is_ident(st->id)) {
            yf_err(&c->yf, x->line, yf_path(&c->yf, pbuf, "id"),
                   "bad step id '%s' (expected up to %d lowercase letters, digits, - and _)",
                   st->id, RIP_PB_ID_MAX);
            st->id = NULL;
        } else {
            snprintf(pbuf, sizeof(pbuf), "steps.%s", st->id);
        }
    }
    const char *path = rip_arena_strndup(c->a, pbuf, strlen(pbuf));
    if (!path)
        return;
    yf_check_keys(&c->yf, v, path, keys, NULL);
    if ((x = yf_get(v, "needs"))) {
        rip_pb_strs n = { 0 };
        const char *kp = yf_path(&c->yf, path, "needs");
        if (strs(c, x, kp, &n) == 0)
            for (size_t i = 0; i < n.n; i++) {
                uint32_t line = x->kind == YT_SEQ ? x->kids[i]->line : x->line;
                ref_sink sink = { c, refs, line, kp };
                sink_ref(&sink, n.v[i]);
            }
    }

    if ((x = yf_get(v, "name")))
        st->name = yf_scalar(&c->yf, x, yf_path(&c->yf, path, "name"));

    const yt_node *action = yf_get(v, "action");
    const yt_node *notify = yf_get(v, "notify");
    const yt_node *params = yf_get(v, "params");
    const rip_action *act = NULL;
    if (action && notify) {
        yf_err(&c->yf, action->kline, path, "a step has 'action' or 'notify', not both");
    } else if (!action && !notify) {
        yf_err(&c->yf, v->line, path, "missing key 'action' or 'notify'");
    } else if (notify) {
        st->kind = RIP_PB_STEP_NOTIFY;
        parse_notify(c, notify, yf_path(&c->yf, path, "notify"), st, refs);
        if (params)
            yf_err(&c->yf, params->line, yf_path(&c->yf, path, "params"),
                   "'params' belongs to an action step");
    } else {
        st->kind = RIP_PB_STEP_ACTION;
        const char *kp = yf_path(&c->yf, path, "action");
        if ((st->action = yf_scalar(&c->yf, action, kp)) && !(act = rip_action_find(st->action)))
            yf_err(&c->yf, action->line, kp, "unknown action '%s' (see 'riposte action list')",
                   st->action);
        if (params)
            parse_params(c, params, yf_path(&c->yf, path, "params"), act, st, refs);
        for (const rip_action_param *p = act ? act->params : NULL; p && p->name; p++) {
            if (!p->required)
                continue;
            bool have = params && params->kind == YT_MAP && yf_get(params, p->name);
            if (!have)
                yf_err(&c->yf, params ? params->kline : action->line,
                       yf_path(&c->yf, path, "params"),
                       "missing parameter '%s' required by action '%s'", p->name, act->name);
        }
    }
    if ((x = yf_get(v, "when"))) {
        const char *kp = yf_path(&c->yf, path, "when");
        if ((st->when = yf_scalar(&c->yf, x, kp)))
            condition(c, st->when, x->line, kp, refs);
    }
    if ((x = yf_get(v, "approval")))
        parse_approval(c, x, yf_path(&c->yf, path, "approval"), &st->approval);
    if ((x = yf_get(v, "retry"))) {
        static const char *const rkeys[] = { "attempts", "backoff", NULL };
        const char *rp = yf_path(&c->yf, path, "retry");
        if (x->kind != YT_MAP) {
            yf_err(&c->yf, x->line, rp, "expected a map with attempts and backoff, found %s",
                   yf_kind_name(x));
        } else {
            yf_check_keys(&c->yf, x, rp, rkeys, NULL);
            const yt_node *y;
            st->retry_backoff_s = 5;
            if ((y = yf_get(x, "attempts"))) {
                const char *kp = yf_path(&c->yf, rp, "attempts");
                const char *s = yf_scalar(&c->yf, y, kp);
                char *end = NULL;
                long n = s ? strtol(s, &end, 10) : 0;
                if (s && (*end || n < 1 || n > RIP_PB_RETRY_MAX))
                    yf_err(&c->yf, y->line, kp,
                           "expected a number of attempts from 1 to %d, found '%s'",
                           RIP_PB_RETRY_MAX, s);
                else if (s)
                    st->retry_attempts = (uint32_t)n;
            }
            if ((y = yf_get(x, "backoff")))
                yf_duration(&c->yf, y, yf_path(&c->yf, rp, "backoff"), 1, 3600,
                            &st->retry_backoff_s);
        }
    }
    if ((x = yf_get(v, "timeout")))
        yf_duration(&c->yf, x, yf_path(&c->yf, path, "timeout"), 1, RIP_PB_TIMEOUT_MAX,
                    &st->timeout_s);
    int e;
    if ((x = yf_get(v, "on_failure")) && yf_pick(&c->yf, x, yf_path(&c->yf, path, "on_failure"),
                                                 "value", on_failure_names, 3, &e) == 0)
        st->on_failure = (rip_pb_on_failure)e;
    if ((x = yf_get(v, "verify"))) {
        static const char *const vkeys[] = { "fact", "equals", NULL };
        const char *vp = yf_path(&c->yf, path, "verify");
        if (st->kind != RIP_PB_STEP_ACTION) {
            yf_err(&c->yf, x->line, vp, "'verify' belongs to an action step");
        } else if (x->kind != YT_MAP) {
            yf_err(&c->yf, x->line, vp, "expected a map with fact and equals, found %s",
                   yf_kind_name(x));
        } else {
            yf_check_keys(&c->yf, x, vp, vkeys, NULL);
            const yt_node *f = yf_get(x, "fact"), *eq = yf_get(x, "equals");
            if (!f || !eq)
                yf_err(&c->yf, x->kline, vp, "missing key '%s'", f ? "equals" : "fact");
            if (f)
                st->verify_fact = yf_scalar(&c->yf, f, yf_path(&c->yf, vp, "fact"));
            if (eq && (st->verify_equals = yf_scalar(&c->yf, eq, yf_path(&c->yf, vp, "equals"))))
                template(c, st->verify_equals, eq->line, yf_path(&c->yf, vp, "equals"), refs);
        }
    }
}

/* Resolves needs (declared and implied), then orders the steps: a DFS that
 * reports the first cycle it meets. */
static void order_steps(pb_ctx *c, rip_playbook *pb, pb_refs *refs, const size_t *refstep)
{
    size_t ns = pb->nsteps;
    size_t *deg = rip_arena_calloc(c->a, ns, sizeof(*deg));
    size_t **adj = rip_arena_calloc(c->a, ns, sizeof(*adj));
    size_t **edge = rip_arena_calloc(c->a, ns, sizeof(*edge));   /* the ref behind it */
    if (!deg || !adj || !edge)
        return;
    for (size_t s = 0; s < ns; s++) {
        pb->steps[s].needs = rip_arena_calloc(c->a, refs->n ? refs->n : 1, sizeof(char *));
        adj[s] = rip_arena_calloc(c->a, refs->n ? refs->n : 1, sizeof(size_t));
        edge[s] = rip_arena_calloc(c->a, refs->n ? refs->n : 1, sizeof(size_t));
        if (!pb->steps[s].needs || !adj[s] || !edge[s])
            return;
    }
    for (size_t r = 0; r < refs->n; r++) {
        rip_pb_step *st = &pb->steps[refstep[r]];
        size_t t = ns;
        for (size_t j = 0; j < ns; j++)
            if (pb->steps[j].id && !strcmp(pb->steps[j].id, refs->v[r].id))
                t = j;
        if (t == ns) {
            yf_err(&c->yf, refs->v[r].line, refs->v[r].key, "unknown step '%s'", refs->v[r].id);
            continue;
        }
        if (t == refstep[r]) {
            yf_err(&c->yf, refs->v[r].line, refs->v[r].key, "step '%s' cannot need itself",
                   refs->v[r].id);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < st->nneeds; k++)
            if (!strcmp(st->needs[k], refs->v[r].id))
                dup = true;
        if (dup)
            continue;
        st->needs[st->nneeds] = pb->steps[t].id;
        edge[refstep[r]][st->nneeds] = r;
        adj[refstep[r]][st->nneeds++] = t;
        deg[refstep[r]]++;
    }
    if (c->nerr)
        return;
    /* DFS: 0 new, 1 on the path, 2 done; order is post-order (needs first). */
    unsigned char *color = rip_arena_calloc(c->a, ns, 1);
    size_t *stack = rip_arena_calloc(c->a, ns, sizeof(size_t));
    size_t *it = rip_arena_calloc(c->a, ns, sizeof(size_t));
    pb->order = rip_arena_calloc(c->a, ns, sizeof(size_t));
    if (!color || !stack || !it || !pb->order)
        return;
    size_t no = 0;
    for (size_t root = 0; root < ns; root++) {
        if (color[root])
            continue;
        size_t sp = 0;
        stack[sp++] = root;
        color[root] = 1;
        it[root] = 0;
        while (sp) {
            size_t u = stack[sp - 1];
            if (it[u] < deg[u]) {
                size_t w = adj[u][it[u]++];
                if (color[w] == 1) {
                    char cyc[1024];
                    size_t off = 0, from = 0;
                    for (size_t k = 0; k < sp; k++)
                        if (stack[k] == w)
                            from = k;
                    for (size_t k = from; k < sp; k++)
                        off += (size_t)snprintf(cyc + off, off < sizeof(cyc) ? sizeof(cyc) - off : 0,
                                                "%s -> ", pb->steps[stack[k]].id);
                    if (off < sizeof(cyc))
                        snprintf(cyc + off, sizeof(cyc) - off, "%s", pb->steps[w].id);
                    const pb_ref *back = &refs->v[edge[u][it[u] - 1]];
                    yf_err(&c->yf, back->line, back->key, "steps form a cycle: %s", cyc);
                    pb->order = NULL;
                    return;
                }
                if (color[w] == 0) {
                    color[w] = 1;
                    it[w] = 0;
                    stack[sp++] = w;
                }
            } else {
                color[u] = 2;
                pb->order[no++] = u;
                sp--;
            }
        }
    }
}

/* ---- a file ---- */

static int parse_playbook(pb_ctx *c, const yt_node *root, rip_playbook **out)
{
    static const char *const keys[] = { "name", "description", "trigger", "steps", NULL };
    if (!root || root->kind != YT_MAP) {
        yf_err(&c->yf, root ? root->line : 1, "", "expected a map with name, trigger and steps, "
               "found %s", root ? yf_kind_name(root) : "an empty file");
        return RIP_EINVAL;
    }
    rip_playbook *pb = rip_arena_calloc(c->a, 1, sizeof(*pb));
    pb_refs *refs = calloc(1, sizeof(*refs));
    size_t *refstep = calloc(sizeof(refs->v) / sizeof(refs->v[0]), sizeof(size_t));
    int rc = RIP_ENOMEM;
    if (!pb || !refs || !refstep)
        goto out;
    pb->file = rip_arena_strndup(c->a, c->file, strlen(c->file));
    yf_check_keys(&c->yf, root, "", keys, NULL);
    const yt_node *x;
    if (!(x = yf_get(root, "name"))) {
        yf_err(&c->yf, root->line, "", "missing key 'name'");
    } else if ((pb->name = yf_scalar(&c->yf, x, "name")) && !is_ident(pb->name)) {
        yf_err(&c->yf, x->line, "name",
               "bad name '%s' (expected up to %d lowercase letters, digits, - and _)",
               pb->name, RIP_PB_ID_MAX);
    } else if (pb->name) {
        const rip_playbook *other = rip_playbook_find(c->set, pb->name);
        if (other)
            yf_err(&c->yf, x->line, "name", "playbook '%s' is already defined in '%s'", pb->name,
                   other->file);
    }
    if ((x = yf_get(root, "description")))
        pb->description = yf_scalar(&c->yf, x, "description");
    if (!(x = yf_get(root, "trigger")))
        yf_err(&c->yf, root->line, "", "missing key 'trigger'");
    else
        parse_trigger(c, x, &pb->trigger);
    if (!(x = yf_get(root, "steps"))) {
        yf_err(&c->yf, root->line, "", "missing key 'steps'");
    } else if (x->kind != YT_SEQ || x->n == 0) {
        yf_err(&c->yf, x->kline, "steps", "expected a list of steps, found %s",
               x->kind == YT_SEQ ? "an empty list" : yf_kind_name(x));
    } else if (x->n > RIP_PB_MAX_STEPS) {
        yf_err(&c->yf, x->kline, "steps", "more than %d steps", RIP_PB_MAX_STEPS);
        c->limit = 1;
    } else {
        pb->steps = rip_arena_calloc(c->a, x->n, sizeof(*pb->steps));
        if (!pb->steps)
            goto out;
        pb->nsteps = x->n;
        for (uint32_t i = 0; i < x->n; i++) {
            size_t before = refs->n;
            parse_step(c, x->kids[i], i, &pb->steps[i], refs);
            for (size_t r = before; r < refs->n; r++)
                refstep[r] = i;
            for (uint32_t j = 0; j < i; j++)
                if (pb->steps[i].id && pb->steps[j].id &&
                    !strcmp(pb->steps[i].id, pb->steps[j].id))
                    yf_err(&c->yf, pb->steps[i].line, yf_path(&c->yf, "steps", pb->steps[i].id),
                           "duplicate step id '%s' (first on line %u)", pb->steps[i].id,
                           pb->steps[j].line);
        }
        if (c->nerr == 0)
            order_steps(c, pb, refs, refstep);
    }
    rc = c->yf.nomem ? RIP_ENOMEM : c->nerr ? (c->limit ? RIP_ELIMIT : RIP_EINVAL) : 0;
    if (rc == 0)
        *out = pb;
out:
    free(refs);
    free(refstep);
    return rc;
}

rip_playbook_set *rip_playbook_set_new(rip_pb_diag_fn fn, void *ud)
{
    rip_playbook_set *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    rip_arena_init(&s->arena, 0);
    s->fn = fn;
    s->ud = ud;
    return s;
}

void rip_playbook_set_free(rip_playbook_set *s)
{
    if (!s)
        return;
    rip_arena_release(&s->arena);
    free(s->v);
    free(s);
}

int rip_playbook_load_text(rip_playbook_set *s, const char *file, const char *data, size_t len)
{
    pb_ctx c = { .set = s, .a = &s->arena, .file = file };
    c.yf = (yf_ctx){ .a = &s->arena, .fn = pb_problem, .ud = &c };
    if (len > RIP_PB_FILE_MAX) {
        char text[128];
        snprintf(text, sizeof(text), "file is larger than %zu bytes", RIP_PB_FILE_MAX);
        pb_report(s, file, 0, "", text);
        return RIP_ELIMIT;
    }
    if (s->n >= RIP_PB_MAX_PLAYBOOKS) {
        char text[128];
        snprintf(text, sizeof(text), "more than %d playbooks", RIP_PB_MAX_PLAYBOOKS);
        pb_report(s, file, 0, "", text);
        return RIP_ELIMIT;
    }
    /* The model borrows the tree's strings: both live in the set's arena
     * (a rejected file's bytes stay there until the set is freed). */
    yt_limits lim = { RIP_PB_MAX_DEPTH, RIP_PB_MAX_NODES, RIP_PB_MAX_LIST };
    yt_node *root = NULL;
    char err[512];
    uint32_t line = 0;
    int rc = yt_parse(&s->arena, data, len, &lim, &root, err, sizeof(err), &line);
    if (rc < 0) {
        if (rc != RIP_ENOMEM)
            pb_report(s, file, line ? line : 1, "", err);
        goto out;
    }
    rip_playbook *pb = NULL;
    rc = parse_playbook(&c, root, &pb);
    if (rc == 0) {
        if (s->n == s->alloc) {
            size_t na = s->alloc ? s->alloc * 2 : 16;
            rip_playbook **nv = realloc(s->v, na * sizeof(*nv));
            if (!nv) {
                rc = RIP_ENOMEM;
                goto out;
            }
            s->v = nv;
            s->alloc = na;
        }
        s->v[s->n++] = pb;
    }
out:
    return rc;
}

static int read_file(rip_playbook_set *s, const char *path)
{
    rip_buf b;
    char err[512];
    int rc = yf_read_file(path, RIP_PB_FILE_MAX, &b, err, sizeof(err));
    if (rc < 0)
        pb_report(s, path, 0, "", err);
    else
        rc = rip_playbook_load_text(s, path, b.ptr, b.len);
    rip_buf_release(&b);
    return rc;
}

int rip_playbook_load_path(rip_playbook_set *s, const char *path)
{
    /* Folders are walked like every other input (sorted, depth-capped,
     * links to folders not followed), keeping *.yml and *.yaml. */
    rip_input_list files;
    rip_input_list_init(&files);
    int rc = rip_input_expand_names(&files, path, rip_input_is_yaml_name);
    if (rc < 0)
        pb_report(s, path, 0, "", "cannot list: too many files or out of memory");
    for (size_t i = 0; i < files.count; i++) {
        const rip_input *in = &files.items[i];
        int r;
        if (in->err) {
            char text[512];
            snprintf(text, sizeof(text), "cannot open: %s", rip_strerror(in->err));
            pb_report(s, in->path, 0, "", text);
            r = in->err;
        } else {
            r = read_file(s, in->path);
        }
        if (r < 0 && rc == 0)
            rc = r;
    }
    rip_input_list_release(&files);
    return rc;
}

size_t rip_playbook_count(const rip_playbook_set *s)
{
    return s->n;
}

const rip_playbook *rip_playbook_at(const rip_playbook_set *s, size_t i)
{
    return i < s->n ? s->v[i] : NULL;
}

const rip_playbook *rip_playbook_find(const rip_playbook_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i]->name, name))
            return s->v[i];
    return NULL;
}

unsigned rip_playbook_errors(const rip_playbook_set *s)
{
    return s->errors;
}

/* ---- matching ---- */

static bool any_match(const rip_pb_strs *pats, const char *const *vals, size_t nvals, bool glob)
{
    for (size_t i = 0; i < pats->n; i++)
        for (size_t j = 0; j < nvals; j++)
            if (vals[j] && (glob ? fnmatch(pats->v[i], vals[j], 0) == 0
                                 : strcmp(pats->v[i], vals[j]) == 0))
                return true;
    return false;
}

int rip_playbook_matches(const rip_playbook *pb, const rip_pb_subject *sub)
{
    const rip_pb_trigger *t = &pb->trigger;
    /* The selectors name findings: any one of them is enough. */
    bool sel = (t->finding_types.n &&
                any_match(&t->finding_types, sub->finding_types, sub->nfinding_types, true)) ||
               (t->rule_ids.n && any_match(&t->rule_ids, sub->rule_ids, sub->nrule_ids, false)) ||
               (t->tags.n && any_match(&t->tags, sub->tags, sub->ntags, true));
    if (!sel)
        return 0;
    if (t->min_severity >= 0 && sub->severity < t->min_severity)
        return 0;
    if (t->accounts.n && !any_match(&t->accounts, &sub->account, sub->account ? 1 : 0, true))
        return 0;
    for (size_t i = 0; i < t->nresource_tags; i++) {
        bool ok = false;
        for (size_t j = 0; j < sub->nresource_tags && !ok; j++)
            ok = !strcmp(sub->resource_tags[j].key, t->resource_tags[i].key) &&
                 sub->resource_tags[j].value &&
                 fnmatch(t->resource_tags[i].value, sub->resource_tags[j].value, 0) == 0;
        if (!ok)
            return 0;
    }
    return 1;
}
