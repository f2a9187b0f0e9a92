/* action-s3-private-acl.c — s3.private_acl: replace a bucket ACL that grants
 * anything to AllUsers or AuthenticatedUsers with the canned "private". */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "bucket", "bucket name", true },
    { NULL, NULL, false },
};

/* 1 when the ACL has a public grant (listed into slot[0]), 0 if not. */
static int public_grants(rip_action_ctx *ctx)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    int rc = rip_aws_s3_path(&path, act_param(ctx, "bucket"), NULL);
    if (rc == 0)
        rc = act_rest(ctx, "s3", "GetBucketAcl", "GET", path.ptr, "acl=", NULL, 0, NULL, false,
                      &resp, NULL);
    int found = 0;
    ctx->slot[0][0] = '\0';
    if (rc == 0) {
        rip_aws_xml x;
        rip_aws_xml_init(&x);
        if (rip_aws_xml_parse(&x, resp.body.ptr, resp.body.len, NULL) < 0) {
            rc = act_fail(ctx, RIP_ESYNTAX, "unreadable GetBucketAcl response: %s", x.error);
        } else {
            size_t n = 0;
            for (const rip_aws_xml_node *g = rip_aws_xml_path(x.root, "AccessControlList/Grant");
                 g; g = rip_aws_xml_next_same(g)) {
                const char *uri = rip_aws_xml_text(g, "Grantee/URI", "");
                if (strstr(uri, "/global/AllUsers") || strstr(uri, "/global/AuthenticatedUsers")) {
                    found = 1;
                    const char *who = strrchr(uri, '/') + 1;
                    int w = snprintf(ctx->slot[0] + n, sizeof(ctx->slot[0]) - n, "%s%s:%s",
                                     n ? "," : "", who, rip_aws_xml_text(g, "Permission", ""));
                    if (w > 0 && (size_t)w < sizeof(ctx->slot[0]) - n)
                        n += (size_t)w;
                }
            }
        }
        rip_aws_xml_release(&x);
    }
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    return rc < 0 ? rc : found;
}

static int check(rip_action_ctx *ctx)
{
    int rc = public_grants(ctx);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        act_note(ctx, "already done: bucket '%s' ACL grants nothing to AllUsers or "
                 "AuthenticatedUsers", act_param(ctx, "bucket"));
        return 1;
    }
    act_fact(ctx, "public_grants_before", ctx->slot[0]);
    return s3_protected(ctx, act_param(ctx, "bucket"));
}

static int run(rip_action_ctx *ctx)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    static const rip_aws_header h[] = { { "x-amz-acl", "private" } };
    int rc = rip_aws_s3_path(&path, act_param(ctx, "bucket"), NULL);
    if (rc == 0)
        rc = act_rest(ctx, "s3", "PutBucketAcl", "PUT", path.ptr, "acl=", h, 1, NULL, true, &resp,
                      NULL);
    rip_aws_response_release(&resp);
    rip_buf_release(&path);
    if (rc == 0)
        act_note(ctx, "bucket '%s' ACL set to private (removed %s)", act_param(ctx, "bucket"),
                 ctx->slot[0]);
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = public_grants(ctx);
    return rc < 0 ? rc : rc ? RIP_EIO : 0;
}

const rip_action rip_action_s3_private_acl = {
    .name = "s3.private_acl",
    .description = "reset a bucket ACL that grants public access to the canned ACL 'private'",
    .params = params,
    .dry_run = "put the canned ACL 'private' on the bucket (owner full control only)",
    /* Removing public grants can take a public website down. */
    .destructive = true,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
