/* action-s3-public-access.c — s3.block_public_access (one bucket) and
 * s3.account_block_public_access (the account, through S3 Control): all
 * four Block Public Access settings on. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

#define PAB_BODY \
    "<PublicAccessBlockConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">" \
    "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls>" \
    "<BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>" \
    "</PublicAccessBlockConfiguration>"

/* 1 when all four flags are true in body, else 0. */
static int all_on(const rip_aws_response *resp, char *state, size_t cap)
{
    rip_aws_xml x;
    rip_aws_xml_init(&x);
    int on = 0;
    if (rip_aws_xml_parse(&x, resp->body.ptr, resp->body.len, NULL) == 0) {
        static const char *const f[] = { "BlockPublicAcls", "IgnorePublicAcls",
                                         "BlockPublicPolicy", "RestrictPublicBuckets" };
        on = 1;
        size_t n = 0;
        for (int i = 0; i < 4; i++) {
            const char *v = rip_aws_xml_text(x.root, f[i], "false");
            if (strcmp(v, "true"))
                on = 0;
            n += (size_t)snprintf(state + n, cap > n ? cap - n : 0, "%s%s=%s", i ? "," : "", f[i], v);
        }
    }
    rip_aws_xml_release(&x);
    return on;
}

/* ---- bucket ---- */

static const rip_action_param bucket_params[] = {
    { "bucket", "bucket name", true },
    { NULL, NULL, false },
};

static int bucket_state(rip_action_ctx *ctx)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    int rc = rip_aws_s3_path(&path, act_param(ctx, "bucket"), NULL);
    if (rc == 0)
        rc = act_rest(ctx, "s3", "GetPublicAccessBlock", "GET", path.ptr, "publicAccessBlock=",
                      NULL, 0, NULL, false, &resp, "NoSuchPublicAccessBlockConfiguration");
    int on = 0;
    strcpy(ctx->slot[0], "none");
    if (rc == 0)
        on = all_on(&resp, ctx->slot[0], sizeof(ctx->slot[0]));
    else if (rc == RIP_ENOTFOUND)
        rc = 0;
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    return rc < 0 ? rc : on;
}

static int bucket_check(rip_action_ctx *ctx)
{
    int rc = bucket_state(ctx);
    if (rc < 0)
        return rc;
    act_fact(ctx, "public_access_block_before", ctx->slot[0]);
    if (rc == 1) {
        act_note(ctx, "already done: bucket '%s' blocks all public access",
                 act_param(ctx, "bucket"));
        return 1;
    }
    return s3_protected(ctx, act_param(ctx, "bucket"));
}

static int bucket_run(rip_action_ctx *ctx)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    static const rip_aws_header h[] = { { "Content-Type", "application/xml" } };
    int rc = rip_aws_s3_path(&path, act_param(ctx, "bucket"), NULL);
    if (rc == 0)
        rc = act_rest(ctx, "s3", "PutPublicAccessBlock", "PUT", path.ptr, "publicAccessBlock=", h,
                      1, PAB_BODY, true, &resp, NULL);
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    if (rc == 0)
        act_note(ctx, "bucket '%s' now blocks all public access", act_param(ctx, "bucket"));
    return rc;
}

static int bucket_verify(rip_action_ctx *ctx)
{
    int rc = bucket_state(ctx);
    return rc < 0 ? rc : rc == 1 ? 0 : RIP_EIO;
}

const rip_action rip_action_s3_block_public_access = {
    .name = "s3.block_public_access",
    .description = "turn on all four S3 Block Public Access settings for a bucket",
    .params = bucket_params,
    .dry_run = "put a PublicAccessBlock configuration with every flag true on the bucket",
    /* Blocking public access can take a public website down. */
    .destructive = true,
    .check = bucket_check,
    .run = bucket_run,
    .verify = bucket_verify,
    .undo = NULL,
};

/* ---- account ---- */

static const rip_action_param account_params[] = {
    { "account_id", "AWS account id (default: the caller's, from sts GetCallerIdentity)", false },
    { NULL, NULL, false },
};

/* slot[1] = account id. */
/* An AWS account id is exactly 12 digits. It becomes the host name prefix
 * of the S3 Control endpoint, so anything else could send the signed
 * request (and its session token) to another host. */
static bool is_account_id(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++)
        if (s[n] < '0' || s[n] > '9')
            return false;
    return n == 12;
}

static int account_id(rip_action_ctx *ctx)
{
    if (ctx->slot[1][0])
        return 0;
    const char *given = act_param(ctx, "account_id");
    if (given) {
        if (!is_account_id(given))
            return act_fail(ctx, RIP_EINVAL, "account_id: expected 12 digits, got '%.40s'", given);
        snprintf(ctx->slot[1], sizeof(ctx->slot[1]), "%s", given);
        return 0;
    }
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "GetCallerIdentity", STS_VERSION);
    rip_aws_xml_init(&x);
    int rc = act_query(ctx, "sts", &p, false, &x);
    rip_aws_params_release(&p);
    if (rc == 0)
        snprintf(ctx->slot[1], sizeof(ctx->slot[1]), "%s",
                 rip_aws_xml_text(x.root, "GetCallerIdentityResult/Account", ""));
    rip_aws_xml_release(&x);
    if (rc == 0 && !is_account_id(ctx->slot[1])) {
        rc = act_fail(ctx, RIP_EIO, "sts GetCallerIdentity returned no valid account id");
        ctx->slot[1][0] = '\0';
    }
    return rc;
}

static int account_call(rip_action_ctx *ctx, const char *method, const char *op, bool mutate,
                        rip_aws_response *resp, const char *ok_code)
{
    rip_aws_header h[2] = { { "x-amz-account-id", ctx->slot[1] },
                            { "Content-Type", "application/xml" } };
    /* On AWS endpoints rip_aws_send() puts the account into the host name. */
    return act_rest(ctx, "s3control", op, method, "/v20180820/configuration/publicAccessBlock",
                    NULL, h, mutate ? 2 : 1, mutate ? PAB_BODY : NULL, mutate, resp, ok_code);
}

static int account_state(rip_action_ctx *ctx)
{
    int rc = account_id(ctx);
    if (rc < 0)
        return rc;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    rc = account_call(ctx, "GET", "GetPublicAccessBlock", false, &resp,
                      "NoSuchPublicAccessBlockConfiguration");
    int on = 0;
    strcpy(ctx->slot[0], "none");
    if (rc == 0)
        on = all_on(&resp, ctx->slot[0], sizeof(ctx->slot[0]));
    else if (rc == RIP_ENOTFOUND)
        rc = 0;
    rip_aws_response_release(&resp);
    return rc < 0 ? rc : on;
}

static int account_check(rip_action_ctx *ctx)
{
    int rc = account_state(ctx);
    if (rc < 0)
        return rc;
    act_fact(ctx, "account_id", ctx->slot[1]);
    act_fact(ctx, "public_access_block_before", ctx->slot[0]);
    if (rc == 1)
        act_note(ctx, "already done: account %s blocks all public access", ctx->slot[1]);
    return rc;
}

static int account_run(rip_action_ctx *ctx)
{
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    int rc = account_call(ctx, "PUT", "PutPublicAccessBlock", true, &resp, NULL);
    rip_aws_response_release(&resp);
    if (rc == 0)
        act_note(ctx, "account %s now blocks all S3 public access", ctx->slot[1]);
    return rc;
}

static int account_verify(rip_action_ctx *ctx)
{
    int rc = account_state(ctx);
    return rc < 0 ? rc : rc == 1 ? 0 : RIP_EIO;
}

const rip_action rip_action_s3_account_block_public_access = {
    .name = "s3.account_block_public_access",
    .description = "turn on all four S3 Block Public Access settings for the whole account",
    .params = account_params,
    .dry_run = "put an account-level PublicAccessBlock configuration with every flag true",
    .destructive = false,
    .check = account_check,
    .run = account_run,
    .verify = account_verify,
    .undo = NULL,
};
