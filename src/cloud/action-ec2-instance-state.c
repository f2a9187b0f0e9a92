/* action-ec2-instance-state.c — ec2.stop_instance and
 * ec2.terminate_instance. Both refuse protected instances; terminate also
 * refuses an instance with termination protection (disableApiTermination). */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "instance_id", "EC2 instance id (i-…)", true },
    { NULL, NULL, false },
};

/* slot[0] = state name. */
static int read_state(rip_action_ctx *ctx, bool guard)
{
    rip_aws_xml x;
    const rip_aws_xml_node *inst;
    rip_aws_xml_init(&x);
    int rc = ec2_describe_instance(ctx, act_param(ctx, "instance_id"), &x, &inst);
    if (rc == 0) {
        snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s",
                 rip_aws_xml_text(inst, "instanceState/name", ""));
        if (guard)
            rc = ec2_protected(ctx, inst, "the instance");
    }
    rip_aws_xml_release(&x);
    return rc;
}

static int change(rip_action_ctx *ctx, const char *op)
{
    rip_aws_params p;
    rip_aws_params_init(&p, op, EC2_VERSION);
    rip_aws_params_add(&p, "InstanceId.1", act_param(ctx, "instance_id"));
    int rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    return rc;
}

static int stop_check(rip_action_ctx *ctx)
{
    int rc = read_state(ctx, false);
    if (rc != 0)
        return rc;
    act_fact(ctx, "state_before", ctx->slot[0]);
    if (!strcmp(ctx->slot[0], "stopped") || !strcmp(ctx->slot[0], "stopping")) {
        act_note(ctx, "already done: instance '%s' is %s", act_param(ctx, "instance_id"),
                 ctx->slot[0]);
        return 1;
    }
    if (!strcmp(ctx->slot[0], "terminated") || !strcmp(ctx->slot[0], "shutting-down"))
        return act_fail(ctx, RIP_EINVAL, "instance '%s' is %s", act_param(ctx, "instance_id"),
                        ctx->slot[0]);
    return read_state(ctx, true);
}

static int stop_run(rip_action_ctx *ctx)
{
    int rc = change(ctx, "StopInstances");
    if (rc == 0)
        act_note(ctx, "stopping instance '%s'", act_param(ctx, "instance_id"));
    return rc;
}

static int stop_verify(rip_action_ctx *ctx)
{
    int rc = read_state(ctx, false);
    if (rc < 0)
        return rc;
    return !strcmp(ctx->slot[0], "stopped") || !strcmp(ctx->slot[0], "stopping") ? 0 : RIP_EIO;
}

const rip_action rip_action_ec2_stop_instance = {
    .name = "ec2.stop_instance",
    .description = "stop an instance (StopInstances); its EBS volumes are kept",
    .params = params,
    .dry_run = "stop the instance",
    .destructive = true,
    .check = stop_check,
    .run = stop_run,
    .verify = stop_verify,
    .undo = NULL,
};

static int term_check(rip_action_ctx *ctx)
{
    const char *id = act_param(ctx, "instance_id");
    int rc = read_state(ctx, false);
    if (rc != 0)
        return rc;
    act_fact(ctx, "state_before", ctx->slot[0]);
    if (!strcmp(ctx->slot[0], "terminated") || !strcmp(ctx->slot[0], "shutting-down")) {
        act_note(ctx, "already done: instance '%s' is %s", id, ctx->slot[0]);
        return 1;
    }
    if ((rc = read_state(ctx, true)) != 0)
        return rc;
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "DescribeInstanceAttribute", EC2_VERSION);
    rip_aws_params_add(&p, "InstanceId", id);
    rip_aws_params_add(&p, "Attribute", "disableApiTermination");
    rip_aws_xml_init(&x);
    rc = act_query(ctx, "ec2", &p, false, &x);
    rip_aws_params_release(&p);
    if (rc == 0 && !strcmp(rip_aws_xml_text(x.root, "disableApiTermination/value", ""), "true"))
        rc = act_refuse(ctx, "refused: instance '%s' has termination protection on", id);
    rip_aws_xml_release(&x);
    return rc;
}

static int term_run(rip_action_ctx *ctx)
{
    int rc = change(ctx, "TerminateInstances");
    if (rc == 0)
        act_note(ctx, "terminating instance '%s'", act_param(ctx, "instance_id"));
    return rc;
}

static int term_verify(rip_action_ctx *ctx)
{
    int rc = read_state(ctx, false);
    if (rc < 0)
        return rc;
    return !strcmp(ctx->slot[0], "terminated") || !strcmp(ctx->slot[0], "shutting-down")
               ? 0 : RIP_EIO;
}

const rip_action rip_action_ec2_terminate_instance = {
    .name = "ec2.terminate_instance",
    .description = "terminate an instance (never one with termination protection on)",
    .params = params,
    .dry_run = "terminate the instance; snapshot its volumes first if you need evidence",
    .destructive = true,
    .check = term_check,
    .run = term_run,
    .verify = term_verify,
    .undo = NULL,
};
