/* action-iam-access-key.c — iam.disable_access_key and its undo,
 * iam.enable_access_key (UpdateAccessKey Status=Inactive/Active). */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "user", "IAM user name that owns the key", true },
    { "access_key_id", "access key id (AKIA…/ASIA…)", true },
    { NULL, NULL, false },
};

/* Reads the key's status into slot[0]. */
static int key_status(rip_action_ctx *ctx)
{
    const char *user = act_param(ctx, "user"), *key = act_param(ctx, "access_key_id");
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "ListAccessKeys", IAM_VERSION);
    rip_aws_params_add(&p, "UserName", user);
    rip_aws_xml_init(&x);
    int rc = act_query_or(ctx, "iam", &p, false, &x, "NoSuchEntity");
    rip_aws_params_release(&p);
    if (rc == RIP_ENOTFOUND)
        rc = act_fail(ctx, RIP_ENOTFOUND, "user '%s' not found", user);
    if (rc == 0) {
        rc = act_fail(ctx, RIP_ENOTFOUND, "access key '%s' not found on user '%s'", key, user);
        for (const rip_aws_xml_node *m =
                 rip_aws_xml_path(x.root, "ListAccessKeysResult/AccessKeyMetadata/member");
             m; m = rip_aws_xml_next_same(m))
            if (!strcmp(rip_aws_xml_text(m, "AccessKeyId", ""), key)) {
                snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s",
                         rip_aws_xml_text(m, "Status", ""));
                ctx->message[0] = '\0';
                rc = 0;
            }
    }
    rip_aws_xml_release(&x);
    return rc;
}

static int set_status(rip_action_ctx *ctx, const char *status)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "UpdateAccessKey", IAM_VERSION);
    rip_aws_params_add(&p, "UserName", act_param(ctx, "user"));
    rip_aws_params_add(&p, "AccessKeyId", act_param(ctx, "access_key_id"));
    rip_aws_params_add(&p, "Status", status);
    int rc = act_query(ctx, "iam", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "access key '%s' of user '%s' set %s", act_param(ctx, "access_key_id"),
                 act_param(ctx, "user"), status);
    return rc;
}

static int user_protected(rip_action_ctx *ctx)
{
    return iam_protected(ctx, "User", act_param(ctx, "user"));
}

/* The key's status and the user's protection are read at the same time:
 * this check stands between an alert and the key's disabling. */
static int disable_check(rip_action_ctx *ctx)
{
    act_side prot;
    int rc = act_both(ctx, key_status, user_protected, &prot);
    if (rc < 0)
        return rc;
    if (!strcmp(ctx->slot[0], "Inactive")) {
        act_note(ctx, "already done: access key '%s' is already Inactive",
                 act_param(ctx, "access_key_id"));
        return 1;
    }
    return act_adopt(ctx, &prot);
}

static int disable_run(rip_action_ctx *ctx)
{
    return set_status(ctx, "Inactive");
}

static int disable_verify(rip_action_ctx *ctx)
{
    int rc = key_status(ctx);
    return rc < 0 ? rc : strcmp(ctx->slot[0], "Inactive") ? RIP_EIO : 0;
}

const rip_action rip_action_iam_disable_access_key = {
    .name = "iam.disable_access_key",
    .description = "deactivate an IAM user's access key (UpdateAccessKey Status=Inactive)",
    .params = params,
    .dry_run = "set the access key's status to Inactive; the key stops working at once",
    .destructive = true,
    .check = disable_check,
    .run = disable_run,
    .verify = disable_verify,
    .undo = "iam.enable_access_key",
};

static int enable_check(rip_action_ctx *ctx)
{
    int rc = key_status(ctx);
    if (rc < 0)
        return rc;
    if (!strcmp(ctx->slot[0], "Active")) {
        act_note(ctx, "already done: access key '%s' is already Active",
                 act_param(ctx, "access_key_id"));
        return 1;
    }
    return 0;
}

static int enable_run(rip_action_ctx *ctx)
{
    return set_status(ctx, "Active");
}

static int enable_verify(rip_action_ctx *ctx)
{
    int rc = key_status(ctx);
    return rc < 0 ? rc : strcmp(ctx->slot[0], "Active") ? RIP_EIO : 0;
}

const rip_action rip_action_iam_enable_access_key = {
    .name = "iam.enable_access_key",
    .description = "reactivate an IAM user's access key (undo of iam.disable_access_key)",
    .params = params,
    .dry_run = "set the access key's status to Active",
    .destructive = false,
    .check = enable_check,
    .run = enable_run,
    .verify = enable_verify,
    .undo = "iam.disable_access_key",
};
