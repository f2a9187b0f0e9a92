/* action-ec2-tag.c — ec2.tag: set one tag on any EC2 resource. */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "resource_id", "EC2 resource id (instance, volume, snapshot, security group…)", true },
    { "key", "tag key", true },
    { "value", "tag value", true },
    { NULL, NULL, false },
};

/* slot[0] = current value, slot[1] = "1" when present. */
static int read_tag(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "DescribeTags", EC2_VERSION);
    rip_aws_params_add(&p, "Filter.1.Name", "resource-id");
    rip_aws_params_add(&p, "Filter.1.Value.1", act_param(ctx, "resource_id"));
    rip_aws_params_add(&p, "Filter.2.Name", "key");
    rip_aws_params_add(&p, "Filter.2.Value.1", act_param(ctx, "key"));
    rip_aws_xml_init(&x);
    int rc = act_query(ctx, "ec2", &p, false, &x);
    rip_aws_params_release(&p);
    ctx->slot[0][0] = ctx->slot[1][0] = '\0';
    if (rc == 0) {
        const rip_aws_xml_node *t = rip_aws_xml_path(x.root, "tagSet/item");
        if (t) {
            snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s", rip_aws_xml_text(t, "value", ""));
            strcpy(ctx->slot[1], "1");
        }
    }
    rip_aws_xml_release(&x);
    return rc;
}

static int check(rip_action_ctx *ctx)
{
    int rc = read_tag(ctx);
    if (rc < 0)
        return rc;
    if (ctx->slot[1][0] && !strcmp(ctx->slot[0], act_param(ctx, "value"))) {
        act_note(ctx, "already done: '%s' already has tag %s=%s", act_param(ctx, "resource_id"),
                 act_param(ctx, "key"), act_param(ctx, "value"));
        return 1;
    }
    if (ctx->slot[1][0])
        act_fact(ctx, "previous_value", ctx->slot[0]);
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "CreateTags", EC2_VERSION);
    rip_aws_params_add(&p, "ResourceId.1", act_param(ctx, "resource_id"));
    rip_aws_params_add(&p, "Tag.1.Key", act_param(ctx, "key"));
    rip_aws_params_add(&p, "Tag.1.Value", act_param(ctx, "value"));
    int rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "tagged '%s' with %s=%s", act_param(ctx, "resource_id"),
                 act_param(ctx, "key"), act_param(ctx, "value"));
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = read_tag(ctx);
    return rc < 0 ? rc : (ctx->slot[1][0] && !strcmp(ctx->slot[0], act_param(ctx, "value"))) ? 0
                                                                                           : RIP_EIO;
}

const rip_action rip_action_ec2_tag = {
    .name = "ec2.tag",
    .description = "set a tag on an EC2 resource (CreateTags)",
    .params = params,
    .dry_run = "create or overwrite the tag on the resource",
    .destructive = false,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
