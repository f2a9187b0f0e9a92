/* actions.c — the action table, the run driver and shared helpers. */
#include "cloud/actions.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/action-impl.h"
#include "cloud/action-safety.h"
#include "cloud/aws-creds.h"
#include "util/err.h"

extern const rip_action rip_action_iam_disable_access_key;
extern const rip_action rip_action_iam_enable_access_key;
extern const rip_action rip_action_iam_delete_login_profile;
extern const rip_action rip_action_iam_attach_deny_all;
extern const rip_action rip_action_iam_detach_deny_all;
extern const rip_action rip_action_ec2_quarantine_instance;
extern const rip_action rip_action_ec2_unquarantine_instance;
extern const rip_action rip_action_ec2_snapshot_volumes;
extern const rip_action rip_action_ec2_stop_instance;
extern const rip_action rip_action_ec2_terminate_instance;
extern const rip_action rip_action_ec2_tag;
extern const rip_action rip_action_ec2_revoke_sg_rule;
extern const rip_action rip_action_ec2_nacl_deny_ip;
extern const rip_action rip_action_s3_block_public_access;
extern const rip_action rip_action_s3_private_acl;
extern const rip_action rip_action_cloudtrail_start_logging;
extern const rip_action rip_action_iam_revoke_sessions;
extern const rip_action rip_action_s3_account_block_public_access;
extern const rip_action rip_action_securityhub_set_workflow_status;

const rip_action *const rip_actions[] = {
    &rip_action_iam_disable_access_key,
    &rip_action_iam_enable_access_key,
    &rip_action_iam_delete_login_profile,
    &rip_action_iam_attach_deny_all,
    &rip_action_iam_detach_deny_all,
    &rip_action_iam_revoke_sessions,
    &rip_action_ec2_quarantine_instance,
    &rip_action_ec2_unquarantine_instance,
    &rip_action_ec2_snapshot_volumes,
    &rip_action_ec2_stop_instance,
    &rip_action_ec2_terminate_instance,
    &rip_action_ec2_tag,
    &rip_action_ec2_revoke_sg_rule,
    &rip_action_ec2_nacl_deny_ip,
    &rip_action_s3_block_public_access,
    &rip_action_s3_private_acl,
    &rip_action_s3_account_block_public_access,
    &rip_action_cloudtrail_start_logging,
    &rip_action_securityhub_set_workflow_status,
};
const size_t rip_nactions = sizeof(rip_actions) / sizeof(rip_actions[0]);

const rip_action *rip_action_find(const char *name)
{
    for (size_t i = 0; i < rip_nactions; i++)
        if (!strcmp(rip_actions[i]->name, name))
            return rip_actions[i];
    return NULL;
}

void rip_action_ctx_init(rip_action_ctx *ctx, const rip_action *a, rip_aws_client *c,
                         bool dry_run)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->action = a;
    ctx->client = c;
    ctx->dry_run = dry_run;
    ctx->protect_key = "riposte:protected";
    ctx->protect_value = "true";
    rip_buf_init(&ctx->calls, 1u << 20);
    rip_buf_init(&ctx->facts, 1u << 16);
}

void rip_action_ctx_release(rip_action_ctx *ctx)
{
    if (!ctx)
        return;
    rip_buf_release(&ctx->calls);
    rip_buf_release(&ctx->facts);
}

int rip_action_ctx_param(rip_action_ctx *ctx, const char *key, const char *value)
{
    bool known = false;
    for (const rip_action_param *p = ctx->action->params; p && p->name; p++)
        if (!strcmp(p->name, key))
            known = true;
    if (!known)
        return RIP_EINVAL;
    for (size_t i = 0; i < ctx->nparams; i++)
        if (!strcmp(ctx->keys[i], key)) {
            ctx->values[i] = value;
            return 0;
        }
    if (ctx->nparams >= RIP_ACTION_MAX_PARAMS)
        return RIP_ELIMIT;
    ctx->keys[ctx->nparams] = key;
    ctx->values[ctx->nparams++] = value;
    return 0;
}

const char *act_param(const rip_action_ctx *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->nparams; i++)
        if (!strcmp(ctx->keys[i], name))
            return ctx->values[i] && *ctx->values[i] ? ctx->values[i] : NULL;
    return NULL;
}

int act_fail(rip_action_ctx *ctx, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
    va_end(ap);
    return rc;
}

void act_note(rip_action_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
    va_end(ap);
}

int act_refuse(rip_action_ctx *ctx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
    va_end(ap);
    ctx->refused = true;
    return 1;
}

void act_fact(rip_action_ctx *ctx, const char *key, const char *value)
{
    if (ctx->facts.len)
        rip_buf_addc(&ctx->facts, ',');
    rip_json_quote(&ctx->facts, key, strlen(key));
    rip_buf_addc(&ctx->facts, ':');
    rip_json_quote(&ctx->facts, value ? value : "", value ? strlen(value) : 0);
}

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Writes a form body "a=b&c=d" as a JSON object, decoded. */
static void form_to_json(rip_buf *out, const char *form)
{
    rip_buf k = RIP_BUF_INIT, v = RIP_BUF_INIT;
    bool first = true;
    rip_buf_addc(out, '{');
    for (const char *p = form; *p;) {
        size_t l = strcspn(p, "&");
        const char *eq = memchr(p, '=', l);
        size_t kl = eq ? (size_t)(eq - p) : l;
        rip_buf_reset(&k);
        rip_buf_reset(&v);
        for (int pass = 0; pass < 2; pass++) {
            const char *s = pass ? (eq ? eq + 1 : p + l) : p;
            size_t n = pass ? (eq ? l - kl - 1 : 0) : kl;
            rip_buf *o = pass ? &v : &k;
            for (size_t i = 0; i < n; i++) {
                if (s[i] == '%' && i + 2 < n && hexv(s[i + 1]) >= 0 && hexv(s[i + 2]) >= 0) {
                    rip_buf_addc(o, (char)(hexv(s[i + 1]) << 4 | hexv(s[i + 2])));
                    i += 2;
                } else {
                    rip_buf_addc(o, s[i]);
                }
            }
        }
        if (strcmp(k.ptr, "Action") && strcmp(k.ptr, "Version")) {
            if (!first)
                rip_buf_addc(out, ',');
            first = false;
            rip_json_quote(out, k.ptr, k.len);
            rip_buf_addc(out, ':');
            rip_json_quote(out, v.ptr, v.len);
        }
        p += l;
        if (*p == '&')
            p++;
    }
    rip_buf_addc(out, '}');
    rip_buf_release(&k);
    rip_buf_release(&v);
}

static void record(rip_action_ctx *ctx, const char *service, const char *op, const char *form,
                   const char *extra_json)
{
    if (ctx->calls.len)
        rip_buf_addc(&ctx->calls, ',');
    rip_buf_adds(&ctx->calls, "{\"service\":");
    rip_json_quote(&ctx->calls, service, strlen(service));
    rip_buf_adds(&ctx->calls, ",\"operation\":");
    rip_json_quote(&ctx->calls, op, strlen(op));
    rip_buf_adds(&ctx->calls, ",\"params\":");
    if (form)
        form_to_json(&ctx->calls, form);
    else
        rip_buf_adds(&ctx->calls, extra_json ? extra_json : "{}");
    rip_buf_addf(&ctx->calls, ",\"made\":%s}", ctx->dry_run ? "false" : "true");
}

static int aws_failed(rip_action_ctx *ctx, int rc, const char *service, const char *op)
{
    rip_aws_error *e = &ctx->last_error;
    if (e->code[0] || e->status)
        return act_fail(ctx, rc, "%s %s failed: %s%s%s (HTTP %ld, request id %s)", service, op,
                        e->code, e->message[0] ? ": " : "", e->message, e->status,
                        e->request_id[0] ? e->request_id : "-");
    return act_fail(ctx, rc, "%s %s failed: %s", service, op,
                    e->message[0] ? e->message : rip_strerror(rc));
}

static const char *form_action(const rip_aws_params *p, char *buf, size_t cap)
{
    const char *a = strstr(p->body.ptr, "Action=");
    size_t l = a ? strcspn(a + 7, "&") : 0;
    snprintf(buf, cap, "%.*s", (int)l, a ? a + 7 : "");
    return buf;
}

int act_query_or(rip_action_ctx *ctx, const char *service, rip_aws_params *p, bool mutate,
                 rip_aws_xml *x, const char *ok_code)
{
    char op[128];
    form_action(p, op, sizeof(op));
    if (mutate) {
        record(ctx, service, op, p->body.ptr, NULL);
        if (ctx->dry_run) {
            if (x)
                rip_aws_xml_release(x);
            return 0;
        }
    }
    rip_aws_xml tmp;
    rip_aws_xml_init(&tmp);
    int rc = rip_aws_query(ctx->client, service, p, x ? x : &tmp, &ctx->last_error);
    rip_aws_xml_release(&tmp);
    if (rc < 0 && ok_code && !strcmp(ctx->last_error.code, ok_code))
        return RIP_ENOTFOUND;
    if (rc < 0)
        return aws_failed(ctx, rc, service, op);
    return 0;
}

int act_query(rip_action_ctx *ctx, const char *service, rip_aws_params *p, bool mutate,
              rip_aws_xml *x)
{
    return act_query_or(ctx, service, p, mutate, x, NULL);
}

int act_rest(rip_action_ctx *ctx, const char *service, const char *operation, const char *method,
             const char *path, const char *query, const rip_aws_header *h, size_t nh,
             const char *body, bool mutate, rip_aws_response *resp, const char *ok_code)
{
    if (mutate) {
        rip_buf j = RIP_BUF_INIT;
        rip_buf_adds(&j, "{\"method\":");
        rip_json_quote(&j, method, strlen(method));
        rip_buf_adds(&j, ",\"path\":");
        rip_json_quote(&j, path, strlen(path));
        if (query) {
            rip_buf_adds(&j, ",\"query\":");
            rip_json_quote(&j, query, strlen(query));
        }
        for (size_t i = 0; i < nh; i++) {
            rip_buf_addc(&j, ',');
            rip_json_quote(&j, h[i].name, strlen(h[i].name));
            rip_buf_addc(&j, ':');
            rip_json_quote(&j, h[i].value, strlen(h[i].value));
        }
        if (body) {
            rip_buf_adds(&j, ",\"body\":");
            rip_json_quote(&j, body, strlen(body));
        }
        rip_buf_addc(&j, '}');
        record(ctx, service, operation, NULL, j.ptr);
        rip_buf_release(&j);
        if (ctx->dry_run)
            return 0;
    }
    int rc = rip_aws_rest(ctx->client, service, method, path, query, h, nh, body,
                          body ? strlen(body) : 0, resp, &ctx->last_error);
    if (rc < 0 && ok_code && !strcmp(ctx->last_error.code, ok_code))
        return RIP_ENOTFOUND;
    if (rc < 0)
        return aws_failed(ctx, rc, service, operation);
    return 0;
}

int act_json(rip_action_ctx *ctx, const char *service, const char *target, const char *body,
             bool mutate, rip_aws_response *resp, rip_json_doc *doc, const char *ok_code)
{
    const char *op = strchr(target, '.');
    op = op ? op + 1 : target;
    if (mutate) {
        record(ctx, service, op, NULL, body);
        if (ctx->dry_run)
            return 0;
    }
    int rc = rip_aws_json_call(ctx->client, service, "1.1", target, body, body ? strlen(body) : 0,
                               resp, doc, &ctx->last_error);
    if (rc < 0 && ok_code && !strcmp(ctx->last_error.code, ok_code))
        return RIP_ENOTFOUND;
    if (rc < 0)
        return aws_failed(ctx, rc, service, op);
    return 0;
}

/* ---- EC2 ---- */

int ec2_describe_instance(rip_action_ctx *ctx, const char *id, rip_aws_xml *x,
                          const rip_aws_xml_node **inst)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "DescribeInstances", EC2_VERSION);
    rip_aws_params_add(&p, "InstanceId.1", id);
    int rc = act_query_or(ctx, "ec2", &p, false, x, "InvalidInstanceID.NotFound");
    rip_aws_params_release(&p);
    if (rc == RIP_ENOTFOUND)
        return act_fail(ctx, RIP_ENOTFOUND, "instance '%s' not found", id);
    if (rc < 0)
        return rc;
    const rip_aws_xml_node *n =
        rip_aws_xml_path(x->root, "reservationSet/item/instancesSet/item");
    if (!n)
        return act_fail(ctx, RIP_ENOTFOUND, "instance '%s' not found", id);
    *inst = n;
    return 0;
}

const char *ec2_tag(const rip_aws_xml_node *item, const char *key)
{
    const rip_aws_xml_node *t = rip_aws_xml_path(item, "tagSet/item");
    for (; t; t = rip_aws_xml_next_same(t))
        if (!strcmp(rip_aws_xml_text(t, "key", ""), key))
            return rip_aws_xml_text(t, "value", "");
    return NULL;
}

int ec2_protected(rip_action_ctx *ctx, const rip_aws_xml_node *item, const char *what)
{
    const char *v = ec2_tag(item, ctx->protect_key);
    if (v && !strcmp(v, ctx->protect_value))
        return act_refuse(ctx, "refused: %s carries the protected tag %s=%s", what,
                          ctx->protect_key, ctx->protect_value);
    return 0;
}

void ec2_groups(const rip_aws_xml_node *inst, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (const rip_aws_xml_node *g = rip_aws_xml_path(inst, "groupSet/item"); g;
         g = rip_aws_xml_next_same(g)) {
        int w = snprintf(out + n, cap - n, "%s%s", n ? "," : "",
                         rip_aws_xml_text(g, "groupId", ""));
        if (w < 0 || (size_t)w >= cap - n)
            break;
        n += (size_t)w;
    }
}

/* ---- IAM ---- */

int iam_protected(rip_action_ctx *ctx, const char *kind, const char *name)
{
    rip_aws_params p;
    rip_aws_xml x;
    char op[32];
    snprintf(op, sizeof(op), "List%sTags", kind);
    rip_aws_params_init(&p, op, IAM_VERSION);
    rip_aws_params_add(&p, !strcmp(kind, "User") ? "UserName" : "RoleName", name);
    rip_aws_xml_init(&x);
    int rc = act_query_or(ctx, "iam", &p, false, &x, "NoSuchEntity");
    rip_aws_params_release(&p);
    if (rc == RIP_ENOTFOUND) {
        rip_aws_xml_release(&x);
        return act_fail(ctx, RIP_ENOTFOUND, "%s '%s' not found", !strcmp(kind, "User") ? "user" : "role",
                        name);
    }
    if (rc == 0) {
        char path[64];
        snprintf(path, sizeof(path), "List%sTagsResult/Tags/member", kind);
        for (const rip_aws_xml_node *t = rip_aws_xml_path(x.root, path); t;
             t = rip_aws_xml_next_same(t))
            if (!strcmp(rip_aws_xml_text(t, "Key", ""), ctx->protect_key) &&
                !strcmp(rip_aws_xml_text(t, "Value", ""), ctx->protect_value))
                rc = act_refuse(ctx, "refused: %s '%s' carries the protected tag %s=%s",
                                !strcmp(kind, "User") ? "user" : "role", name, ctx->protect_key,
                                ctx->protect_value);
    }
    rip_aws_xml_release(&x);
    return rc;
}

/* ---- two reads at once ---- */

typedef struct both_arg {
    rip_action_ctx *ctx;         /* the copy b runs on */
    int (*b)(rip_action_ctx *);
    int rc;
} both_arg;

static void *both_main(void *p)
{
    both_arg *w = p;
    w->rc = w->b(w->ctx);
    return NULL;
}

static void side_from(act_side *side, int rc, const rip_action_ctx *c)
{
    side->rc = rc;
    side->refused = c->refused;
    snprintf(side->message, sizeof(side->message), "%s", c->message);
    side->last_error = c->last_error;
}

int act_both(rip_action_ctx *ctx, int (*a)(rip_action_ctx *), int (*b)(rip_action_ctx *),
             act_side *side)
{
    memset(side, 0, sizeof(*side));
    rip_aws_creds *creds = NULL;
    rip_action_ctx *copy = NULL;
    rip_aws_client *sib = NULL;
    if (ctx->client) {
        creds = calloc(1, sizeof(*creds));
        copy = malloc(sizeof(*copy));
        if (creds && copy && rip_aws_client_creds(ctx->client, creds) == 0)
            sib = rip_aws_client_sibling(ctx->client, creds);
    }
    pthread_t t;
    both_arg w = { .ctx = copy, .b = b };
    bool threaded = false;
    if (sib) {
        *copy = *ctx;
        copy->client = sib;
        rip_buf_init(&copy->calls, 1u << 20);
        rip_buf_init(&copy->facts, 1u << 16);
        copy->message[0] = '\0';
        threaded = pthread_create(&t, NULL, both_main, &w) == 0;
        if (!threaded)
            rip_action_ctx_release(copy);
    }
    int rc = a(ctx);
    if (threaded) {
        pthread_join(t, NULL);
        side_from(side, w.rc, copy);
        if (copy->calls.len) {
            if (ctx->calls.len)
                rip_buf_addc(&ctx->calls, ',');
            rip_buf_add(&ctx->calls, copy->calls.ptr, copy->calls.len);
        }
        if (copy->facts.len) {
            if (ctx->facts.len)
                rip_buf_addc(&ctx->facts, ',');
            rip_buf_add(&ctx->facts, copy->facts.ptr, copy->facts.len);
        }
        rip_action_ctx_release(copy);
        if (ctx->client)
            ctx->client->sibling->creds = NULL;
    } else {
        /* b after a, on ctx itself: keep a's outcome around it. */
        char msg[sizeof(ctx->message)];
        bool refused = ctx->refused;
        rip_aws_error err = ctx->last_error;
        snprintf(msg, sizeof(msg), "%s", ctx->message);
        ctx->message[0] = '\0';
        ctx->refused = false;
        int rb = b(ctx);
        side_from(side, rb, ctx);
        snprintf(ctx->message, sizeof(ctx->message), "%s", msg);
        ctx->refused = refused;
        ctx->last_error = err;
    }
    if (creds)
        rip_aws_creds_wipe(creds);
    free(creds);
    free(copy);
    return rc;
}

int act_adopt(rip_action_ctx *ctx, const act_side *side)
{
    snprintf(ctx->message, sizeof(ctx->message), "%s", side->message);
    ctx->refused = side->refused;
    if (side->rc < 0)
        ctx->last_error = side->last_error;
    return side->rc;
}

/* ---- S3 ---- */

int s3_protected(rip_action_ctx *ctx, const char *bucket)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    int rc = rip_aws_s3_path(&path, bucket, NULL);
    if (rc == 0)
        rc = act_rest(ctx, "s3", "GetBucketTagging", "GET", path.ptr, "tagging=", NULL, 0, NULL,
                      false, &resp, "NoSuchTagSet");
    if (rc == RIP_ENOTFOUND) {
        rc = 0;
    } else if (rc == 0) {
        rip_aws_xml x;
        rip_aws_xml_init(&x);
        if (rip_aws_xml_parse(&x, resp.body.ptr, resp.body.len, NULL) < 0) {
            rc = act_fail(ctx, RIP_EIO, "s3 GetBucketTagging: unreadable response: %s", x.error);
        } else {
            for (const rip_aws_xml_node *t = rip_aws_xml_path(x.root, "TagSet/Tag"); t;
                 t = rip_aws_xml_next_same(t))
                if (!strcmp(rip_aws_xml_text(t, "Key", ""), ctx->protect_key) &&
                    !strcmp(rip_aws_xml_text(t, "Value", ""), ctx->protect_value))
                    rc = act_refuse(ctx, "refused: bucket '%s' carries the protected tag %s=%s",
                                    bucket, ctx->protect_key, ctx->protect_value);
        }
        rip_aws_xml_release(&x);
    }
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    return rc;
}

/* ---- account and safety ---- */

const char *act_account(rip_action_ctx *ctx)
{
    if (ctx->account && *ctx->account)
        return ctx->account;
    if (ctx->account_buf[0])
        return ctx->account_buf;
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "GetCallerIdentity", STS_VERSION);
    rip_aws_xml_init(&x);
    int rc = act_query(ctx, "sts", &p, false, &x);
    rip_aws_params_release(&p);
    if (rc == 0) {
        const char *a = rip_aws_xml_text(x.root, "GetCallerIdentityResult/Account", "");
        if (*a && strlen(a) < sizeof(ctx->account_buf))
            snprintf(ctx->account_buf, sizeof(ctx->account_buf), "%s", a);
        else
            act_fail(ctx, RIP_EIO, "sts GetCallerIdentity returned no account");
    }
    rip_aws_xml_release(&x);
    return ctx->account_buf[0] ? ctx->account_buf : NULL;
}

/* The allow list: 0, or 1 with the run refused. */
static int allow_check(rip_action_ctx *ctx)
{
    if (!ctx->allow || rip_action_allowed(ctx->action->name, ctx->allow, ctx->nallow))
        return 0;
    char list[512];
    size_t n = 0;
    list[0] = '\0';
    for (size_t i = 0; i < ctx->nallow && n < sizeof(list); i++) {
        int w = snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "", ctx->allow[i]);
        if (w < 0)
            break;
        n += (size_t)w;
    }
    return act_refuse(ctx, "refused: action '%s' is not allowed in account '%s' (allowed: %s)",
                      ctx->action->name, ctx->account ? ctx->account : "?",
                      ctx->nallow ? list : "nothing");
}

/* The blast-radius cap: 0 (slot taken, or dry run under the cap), 1 with
 * the run refused, <0 with the message set (the run fails closed). */
static int cap_check(rip_action_ctx *ctx)
{
    if (!ctx->action->destructive || !ctx->state_dir || ctx->max_destructive <= 0)
        return 0;
    const char *acct = act_account(ctx);
    if (!acct)
        return ctx->message[0] ? RIP_EIO
                               : act_fail(ctx, RIP_EIO, "cannot tell which account this is");
    int used;
    time_t next;
    char why[512];
    time_t now = time(NULL);
    int rc = rip_action_budget_take(ctx->state_dir, acct, ctx->action->name, ctx->max_destructive,
                                    now, !ctx->dry_run, &used, &next, why, sizeof(why));
    if (rc < 0)
        return act_fail(ctx, rc, "blast-radius cap: %s", why);
    act_fact(ctx, "account", acct);
    if (rc == 1) {
        char when[32];
        struct tm tm;
        gmtime_r(&next, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        return act_refuse(ctx, "refused: blast-radius cap reached: %d destructive action%s in "
                          "account '%s' in the last hour (cap %d per hour); the next is "
                          "allowed at %s", used, used == 1 ? "" : "s", acct,
                          ctx->max_destructive, when);
    }
    return 0;
}

/* ---- driver ---- */

static void write_result(rip_action_ctx *ctx, rip_jw *w, const char *status, bool verified)
{
    const rip_action *a = ctx->action;
    rip_jw_obj_begin(w);
    rip_jw_key(w, "action");
    rip_jw_str(w, a->name);
    rip_jw_key(w, "params");
    rip_jw_obj_begin(w);
    for (size_t i = 0; i < ctx->nparams; i++) {
        rip_jw_key(w, ctx->keys[i]);
        rip_jw_str(w, ctx->values[i]);
    }
    rip_jw_obj_end(w);
    rip_jw_key(w, "dry_run");
    rip_jw_bool(w, ctx->dry_run);
    rip_jw_key(w, "status");
    rip_jw_str(w, status);
    rip_jw_key(w, "message");
    rip_jw_str(w, ctx->message);
    if (ctx->dry_run) {
        rip_jw_key(w, "would");
        rip_jw_str(w, a->dry_run);
    }
    rip_jw_key(w, "calls");
    rip_jw_arr_begin(w);
    if (ctx->calls.len)
        rip_jw_raw(w, ctx->calls.ptr, ctx->calls.len);
    rip_jw_arr_end(w);
    if (ctx->facts.len) {
        rip_buf f = RIP_BUF_INIT;
        rip_buf_addc(&f, '{');
        rip_buf_add(&f, ctx->facts.ptr, ctx->facts.len);
        rip_buf_addc(&f, '}');
        rip_jw_key(w, "facts");
        rip_jw_raw(w, f.ptr, f.len);
        rip_buf_release(&f);
    }
    if (!strcmp(status, "done")) {
        rip_jw_key(w, "verified");
        rip_jw_bool(w, verified);
    }
    if (ctx->last_error.code[0] && !strcmp(status, "failed")) {
        rip_jw_key(w, "error");
        rip_jw_obj_begin(w);
        rip_jw_key(w, "code");
        rip_jw_str(w, ctx->last_error.code);
        rip_jw_key(w, "message");
        rip_jw_str(w, ctx->last_error.message);
        rip_jw_key(w, "request_id");
        rip_jw_str(w, ctx->last_error.request_id);
        rip_jw_key(w, "http_status");
        rip_jw_i64(w, ctx->last_error.status);
        rip_jw_obj_end(w);
    }
    if (a->undo) {
        rip_jw_key(w, "undo");
        rip_jw_str(w, a->undo);
    }
    rip_jw_obj_end(w);
}

int rip_action_run(rip_action_ctx *ctx, rip_jw *w)
{
    const rip_action *a = ctx->action;
    for (const rip_action_param *p = a->params; p && p->name; p++)
        if (p->required && !act_param(ctx, p->name)) {
            act_fail(ctx, RIP_EINVAL, "missing parameter '%s' (%s)", p->name, p->help);
            write_result(ctx, w, "failed", false);
            return RIP_EINVAL;
        }
    if (allow_check(ctx)) {
        write_result(ctx, w, "refused", false);
        return RIP_EINVAL;
    }
    int rc = a->check(ctx);
    if (rc < 0) {
        write_result(ctx, w, "failed", false);
        return rc;
    }
    if (ctx->refused) {
        write_result(ctx, w, "refused", false);
        return RIP_EINVAL;
    }
    if (rc == 1) {
        write_result(ctx, w, "noop", false);
        return 0;
    }
    /* check() may have left a progress note; the cap's refusal replaces it. */
    char note[sizeof(ctx->message)];
    memcpy(note, ctx->message, sizeof(note));
    rc = cap_check(ctx);
    if (rc < 0) {
        write_result(ctx, w, "failed", false);
        return rc;
    }
    if (ctx->refused) {
        write_result(ctx, w, "refused", false);
        return RIP_EINVAL;
    }
    memcpy(ctx->message, note, sizeof(note));
    rc = a->run(ctx);
    if (rc < 0) {
        write_result(ctx, w, "failed", false);
        return rc;
    }
    if (ctx->dry_run) {
        size_t n = 0;
        for (const char *c = ctx->calls.ptr; (c = strstr(c, "\"operation\":")); c++)
            n++;
        act_note(ctx, "dry run: %zu call%s listed, none made; nothing was changed", n,
                 n == 1 ? "" : "s");
        write_result(ctx, w, "dry-run", false);
        return 0;
    }
    char msg[sizeof(ctx->message)];
    memcpy(msg, ctx->message, sizeof(msg));
    rc = a->verify(ctx);
    if (rc < 0) {
        if (!ctx->message[0] || !strcmp(msg, ctx->message))
            act_note(ctx, "verification failed: the state did not change as expected");
        write_result(ctx, w, "failed", false);
        return RIP_EIO;
    }
    memcpy(ctx->message, msg, sizeof(msg));
    write_result(ctx, w, "done", true);
    return 0;
}
