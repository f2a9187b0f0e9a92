/* action-iam-deny-all.c — iam.attach_deny_all and iam.detach_deny_all: an
 * inline policy "riposte-deny-all" denying every action on a user or role. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

#define POLICY_NAME "riposte-deny-all"
#define POLICY_DOC \
    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"RiposteDenyAll\"," \
    "\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\"}]}"

static const rip_action_param params[] = {
    { "user", "IAM user name (or give role)", false },
    { "role", "IAM role name (or give user)", false },
    { NULL, NULL, false },
};

/* kind "User"/"Role" and name, or RIP_EINVAL. */
static int target(rip_action_ctx *ctx, const char **kind, const char **name)
{
    const char *u = act_param(ctx, "user"), *r = act_param(ctx, "role");
    if ((u && r) || (!u && !r))
        return act_fail(ctx, RIP_EINVAL, "give exactly one of 'user' or 'role'");
    *kind = u ? "User" : "Role";
    *name = u ? u : r;
    return 0;
}

static int has_policy(rip_action_ctx *ctx, const char *kind, const char *name)
{
    char op[32];
    rip_aws_params p;
    snprintf(op, sizeof(op), "Get%sPolicy", kind);
    rip_aws_params_init(&p, op, IAM_VERSION);
    rip_aws_params_add(&p, !strcmp(kind, "User") ? "UserName" : "RoleName", name);
    rip_aws_params_add(&p, "PolicyName", POLICY_NAME);
    int rc = act_query_or(ctx, "iam", &p, false, NULL, "NoSuchEntity");
    rip_aws_params_release(&p);
    return rc == RIP_ENOTFOUND ? 0 : rc < 0 ? rc : 1;
}

static const char *kind_word(const char *kind)
{
    return !strcmp(kind, "User") ? "user" : "role";
}

/* Put<Kind>Policy (with the deny-all document) or Delete<Kind>Policy. */
static int policy_call(rip_action_ctx *ctx, const char *verb, const char *kind, const char *name)
{
    char op[32];
    rip_aws_params p;
    bool put = !strcmp(verb, "Put");
    snprintf(op, sizeof(op), "%s%sPolicy", verb, kind);
    rip_aws_params_init(&p, op, IAM_VERSION);
    rip_aws_params_add(&p, !strcmp(kind, "User") ? "UserName" : "RoleName", name);
    rip_aws_params_add(&p, "PolicyName", POLICY_NAME);
    if (put)
        rip_aws_params_add(&p, "PolicyDocument", POLICY_DOC);
    int rc = act_query(ctx, "iam", &p, true, NULL);
    rip_aws_params_release(&p);
    return rc;
}

/* The verification read: 0 when the policy's presence is `want`. */
static int verify_policy(rip_action_ctx *ctx, int want)
{
    const char *kind = "User", *name = "";   /* set by target() */
    int rc = target(ctx, &kind, &name);
    if (rc < 0)
        return rc;
    rc = has_policy(ctx, kind, name);
    return rc == want ? 0 : rc < 0 ? rc : RIP_EIO;
}

static int attach_check(rip_action_ctx *ctx)
{
    const char *kind = "User", *name = "";   /* set by target() */
    int rc = target(ctx, &kind, &name);
    if (rc < 0)
        return rc;
    if ((rc = iam_protected(ctx, kind, name)) != 0)
        return rc;
    rc = has_policy(ctx, kind, name);
    if (rc == 1)
        act_note(ctx, "already done: %s '%s' already has the inline policy '%s'",
                 kind_word(kind), name, POLICY_NAME);
    return rc;
}

static int attach_run(rip_action_ctx *ctx)
{
    const char *kind = "User", *name = "";   /* set by target() */
    int rc = target(ctx, &kind, &name);
    if (rc < 0)
        return rc;
    rc = policy_call(ctx, "Put", kind, name);
    if (rc == 0)
        act_note(ctx, "attached inline deny-all policy '%s' to %s '%s'", POLICY_NAME,
                 kind_word(kind), name);
    return rc;
}

static int attach_verify(rip_action_ctx *ctx)
{
    return verify_policy(ctx, 1);
}

const rip_action rip_action_iam_attach_deny_all = {
    .name = "iam.attach_deny_all",
    .description = "attach an inline policy denying every action to a user or role",
    .params = params,
    .dry_run = "put the inline policy 'riposte-deny-all' (Deny * on *) on the user or role",
    .destructive = true,
    .check = attach_check,
    .run = attach_run,
    .verify = attach_verify,
    .undo = "iam.detach_deny_all",
};

static int detach_check(rip_action_ctx *ctx)
{
    const char *kind = "User", *name = "";   /* set by target() */
    int rc = target(ctx, &kind, &name);
    if (rc < 0)
        return rc;
    rc = has_policy(ctx, kind, name);
    if (rc == 0) {
        act_note(ctx, "already done: no inline policy '%s' on %s '%s'", POLICY_NAME,
                 kind_word(kind), name);
        return 1;
    }
    return rc < 0 ? rc : 0;
}

static int detach_run(rip_action_ctx *ctx)
{
    const char *kind = "User", *name = "";   /* set by target() */
    int rc = target(ctx, &kind, &name);
    if (rc < 0)
        return rc;
    rc = policy_call(ctx, "Delete", kind, name);
    if (rc == 0)
        act_note(ctx, "removed inline policy '%s'", POLICY_NAME);
    return rc;
}

static int detach_verify(rip_action_ctx *ctx)
{
    return verify_policy(ctx, 0);
}

const rip_action rip_action_iam_detach_deny_all = {
    .name = "iam.detach_deny_all",
    .description = "remove riposte's deny-all inline policy (undo of iam.attach_deny_all)",
    .params = params,
    .dry_run = "delete the inline policy 'riposte-deny-all' from the user or role",
    .destructive = false,
    .check = detach_check,
    .run = detach_run,
    .verify = detach_verify,
    .undo = "iam.attach_deny_all",
};
