/* action-iam-revoke-sessions.c — iam.revoke_sessions: deny everything to
 * sessions of a role whose token was issued before a time, the way the IAM
 * console's "Revoke active sessions" does: an inline policy
 * AWSRevokeOlderSessions with DateLessThan aws:TokenIssueTime. A run whose
 * time is not later than the policy in place is a no-op. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cloud/action-impl.h"
#include "cloud/aws-creds.h"
#include "util/err.h"

#define POLICY_NAME "AWSRevokeOlderSessions"

static const rip_action_param params[] = {
    { "role", "IAM role name", true },
    { "before", "revoke tokens issued before this UTC time (default: now), "
                "e.g. 2024-05-01T12:00:00Z", false },
    { NULL, NULL, false },
};

static int hexv(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* slot[0] = the cut-off in use (ISO), slot[1] = the cut-off requested. */
static int current(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "GetRolePolicy", IAM_VERSION);
    rip_aws_params_add(&p, "RoleName", act_param(ctx, "role"));
    rip_aws_params_add(&p, "PolicyName", POLICY_NAME);
    rip_aws_xml_init(&x);
    int rc = act_query_or(ctx, "iam", &p, false, &x, "NoSuchEntity");
    rip_aws_params_release(&p);
    ctx->slot[0][0] = '\0';
    if (rc == 0) {
        /* IAM returns the document URL-encoded (RFC 3986). */
        const char *enc = rip_aws_xml_text(x.root, "GetRolePolicyResult/PolicyDocument", "");
        rip_buf doc;
        rip_buf_init(&doc, 1u << 20);
        for (const char *c = enc; *c; c++) {
            int hi, lo;
            if (c[0] == '%' && (hi = hexv(c[1])) >= 0 && (lo = hexv(c[2])) >= 0) {
                rip_buf_addc(&doc, (char)(hi << 4 | lo));
                c += 2;
            } else {
                rip_buf_addc(&doc, *c);
            }
        }
        rip_json_doc d;
        rip_json_doc_init(&d, NULL);
        if (rip_json_parse(&d, doc.ptr, doc.len, NULL) == 0) {
            const rip_json_node *st = rip_json_get(rip_json_root(&d), "Statement");
            const rip_json_node *first = rip_json_is(st, RIP_JSON_ARRAY) ? rip_json_at(st, 0) : st;
            const rip_json_node *t = rip_json_path(first, "Condition.DateLessThan");
            t = t ? rip_json_get(t, "aws:TokenIssueTime") : NULL;
            if (rip_json_is(t, RIP_JSON_STRING)) {
                rip_slice v = rip_json_str(&d, t);
                snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%.*s", (int)(v.len < 64 ? v.len : 64),
                         v.ptr);
            }
        }
        rip_json_doc_release(&d);
        rip_buf_release(&doc);
    }
    rip_aws_xml_release(&x);
    return rc == RIP_ENOTFOUND ? 0 : rc;
}

static int check(rip_action_ctx *ctx)
{
    const char *before = act_param(ctx, "before");
    time_t t;
    if (before) {
        if (rip_aws_parse_time(before, &t) < 0)
            return act_fail(ctx, RIP_EINVAL, "parameter 'before': expected a UTC time like "
                            "2024-05-01T12:00:00Z, got '%s'", before);
    } else {
        t = time(NULL);
    }
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ctx->slot[1], sizeof(ctx->slot[1]), "%Y-%m-%dT%H:%M:%SZ", &tm);
    int rc = iam_protected(ctx, "Role", act_param(ctx, "role"));
    if (rc != 0)
        return rc;
    if ((rc = current(ctx)) < 0)
        return rc;
    act_fact(ctx, "revoked_before", ctx->slot[1]);
    time_t have;
    if (ctx->slot[0][0] && rip_aws_parse_time(ctx->slot[0], &have) == 0 && have >= t) {
        act_note(ctx, "already done: role '%s' already denies sessions issued before %s",
                 act_param(ctx, "role"), ctx->slot[0]);
        return 1;
    }
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    char doc[1024];
    snprintf(doc, sizeof(doc),
             "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":[\"*\"],"
             "\"Resource\":[\"*\"],\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"%.40s\"}}}]}",
             ctx->slot[1]);
    rip_aws_params p;
    rip_aws_params_init(&p, "PutRolePolicy", IAM_VERSION);
    rip_aws_params_add(&p, "RoleName", act_param(ctx, "role"));
    rip_aws_params_add(&p, "PolicyName", POLICY_NAME);
    rip_aws_params_add(&p, "PolicyDocument", doc);
    int rc = act_query(ctx, "iam", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "role '%s' now denies every session issued before %s",
                 act_param(ctx, "role"), ctx->slot[1]);
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    char want[64];
    snprintf(want, sizeof(want), "%.40s", ctx->slot[1]);
    int rc = current(ctx);
    return rc < 0 ? rc : strcmp(ctx->slot[0], want) ? RIP_EIO : 0;
}

const rip_action rip_action_iam_revoke_sessions = {
    .name = "iam.revoke_sessions",
    .description = "deny a role's sessions issued before now (console 'revoke active sessions')",
    .params = params,
    .dry_run = "put the inline policy AWSRevokeOlderSessions (Deny * when aws:TokenIssueTime "
               "is before the cut-off) on the role",
    .destructive = true,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
