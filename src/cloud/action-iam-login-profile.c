/* action-iam-login-profile.c — iam.delete_login_profile: remove a user's
 * console password (DeleteLoginProfile). No undo: the password is gone. */
#include <stdio.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "user", "IAM user name", true },
    { NULL, NULL, false },
};

/* 1 when the user has a login profile, 0 when not, <0 on error. */
static int has_profile(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "GetLoginProfile", IAM_VERSION);
    rip_aws_params_add(&p, "UserName", act_param(ctx, "user"));
    int rc = act_query_or(ctx, "iam", &p, false, NULL, "NoSuchEntity");
    rip_aws_params_release(&p);
    return rc == RIP_ENOTFOUND ? 0 : rc < 0 ? rc : 1;
}

static int check(rip_action_ctx *ctx)
{
    int rc = iam_protected(ctx, "User", act_param(ctx, "user"));
    if (rc != 0)
        return rc;
    rc = has_profile(ctx);
    if (rc == 0) {
        act_note(ctx, "already done: user '%s' has no login profile", act_param(ctx, "user"));
        return 1;
    }
    return rc < 0 ? rc : 0;
}

static int run(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "DeleteLoginProfile", IAM_VERSION);
    rip_aws_params_add(&p, "UserName", act_param(ctx, "user"));
    int rc = act_query(ctx, "iam", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "deleted the login profile (console password) of user '%s'",
                 act_param(ctx, "user"));
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = has_profile(ctx);
    return rc == 0 ? 0 : rc < 0 ? rc : RIP_EIO;
}

const rip_action rip_action_iam_delete_login_profile = {
    .name = "iam.delete_login_profile",
    .description = "delete an IAM user's console password (DeleteLoginProfile)",
    .params = params,
    .dry_run = "delete the user's login profile so the console password stops working",
    .destructive = true,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
