/* action-ec2-quarantine.c — ec2.quarantine_instance and
 * ec2.unquarantine_instance.
 *
 * Quarantine swaps all of an instance's security groups for one isolation
 * group "riposte-quarantine" in its VPC (created once, with no ingress and
 * no egress rules, then reused). The previous groups are recorded on the
 * instance itself as the tag riposte:quarantine-previous-groups, so the
 * undo works from any riposte node. */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

#define QGROUP "riposte-quarantine"
#define PREV_TAG "riposte:quarantine-previous-groups"

static const rip_action_param params[] = {
    { "instance_id", "EC2 instance id (i-…)", true },
    { NULL, NULL, false },
};

/* slot[0] vpc, slot[1] current groups, slot[2] quarantine group id or "",
 * slot[3] previous-groups tag or "". */
static int read_state(rip_action_ctx *ctx, bool refuse_protected)
{
    const char *id = act_param(ctx, "instance_id");
    rip_aws_xml x;
    const rip_aws_xml_node *inst;
    rip_aws_xml_init(&x);
    int rc = ec2_describe_instance(ctx, id, &x, &inst);
    if (rc == 0) {
        snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s", rip_aws_xml_text(inst, "vpcId", ""));
        ec2_groups(inst, ctx->slot[1], sizeof(ctx->slot[1]));
        const char *prev = ec2_tag(inst, PREV_TAG);
        snprintf(ctx->slot[3], sizeof(ctx->slot[3]), "%s", prev ? prev : "");
        if (!ctx->slot[0][0])
            rc = act_fail(ctx, RIP_EINVAL, "instance '%s' is not in a VPC", id);
        else if (refuse_protected)
            rc = ec2_protected(ctx, inst, "the instance");
    }
    rip_aws_xml_release(&x);
    if (rc != 0)
        return rc;
    /* The isolation group of this VPC, if it exists. */
    rip_aws_params p;
    rip_aws_params_init(&p, "DescribeSecurityGroups", EC2_VERSION);
    rip_aws_params_add(&p, "Filter.1.Name", "group-name");
    rip_aws_params_add(&p, "Filter.1.Value.1", QGROUP);
    rip_aws_params_add(&p, "Filter.2.Name", "vpc-id");
    rip_aws_params_add(&p, "Filter.2.Value.1", ctx->slot[0]);
    rip_aws_xml_init(&x);
    rc = act_query(ctx, "ec2", &p, false, &x);
    rip_aws_params_release(&p);
    if (rc == 0)
        snprintf(ctx->slot[2], sizeof(ctx->slot[2]), "%s",
                 rip_aws_xml_text(x.root, "securityGroupInfo/item/groupId", ""));
    rip_aws_xml_release(&x);
    return rc;
}

static int q_check(rip_action_ctx *ctx)
{
    int rc = read_state(ctx, true);
    if (rc != 0)
        return rc;
    act_fact(ctx, "vpc_id", ctx->slot[0]);
    act_fact(ctx, "security_groups_before", ctx->slot[1]);
    if (ctx->slot[2][0] && !strcmp(ctx->slot[1], ctx->slot[2])) {
        act_note(ctx, "already done: instance '%s' is already in quarantine group %s",
                 act_param(ctx, "instance_id"), ctx->slot[2]);
        act_fact(ctx, "quarantine_group", ctx->slot[2]);
        act_fact(ctx, "isolated", "true");
        return 1;
    }
    return 0;
}

static int q_run(rip_action_ctx *ctx)
{
    const char *id = act_param(ctx, "instance_id");
    rip_aws_params p;
    rip_aws_xml x;
    int rc;
    if (!ctx->slot[2][0]) {
        rip_aws_params_init(&p, "CreateSecurityGroup", EC2_VERSION);
        rip_aws_params_add(&p, "GroupName", QGROUP);
        rip_aws_params_add(&p, "GroupDescription",
                           "riposte isolation group: no inbound, no outbound");
        rip_aws_params_add(&p, "VpcId", ctx->slot[0]);
        rip_aws_xml_init(&x);
        rc = act_query(ctx, "ec2", &p, true, &x);
        rip_aws_params_release(&p);
        snprintf(ctx->slot[2], sizeof(ctx->slot[2]), "%s",
                 ctx->dry_run ? "<new riposte-quarantine group>"
                              : rip_aws_xml_text(x.root, "groupId", ""));
        rip_aws_xml_release(&x);
        if (rc < 0)
            return rc;
        if (!ctx->slot[2][0])
            return act_fail(ctx, RIP_EIO, "CreateSecurityGroup returned no group id");
        /* A new VPC group allows all egress: remove that rule. */
        rip_aws_params_init(&p, "RevokeSecurityGroupEgress", EC2_VERSION);
        rip_aws_params_add(&p, "GroupId", ctx->slot[2]);
        rip_aws_params_add(&p, "IpPermissions.1.IpProtocol", "-1");
        rip_aws_params_add(&p, "IpPermissions.1.IpRanges.1.CidrIp", "0.0.0.0/0");
        rc = act_query_or(ctx, "ec2", &p, true, NULL, "InvalidPermission.NotFound");
        rip_aws_params_release(&p);
        if (rc < 0 && rc != RIP_ENOTFOUND)
            return rc;
    }
    /* Record the previous groups (unless a previous quarantine already did). */
    if (!ctx->slot[3][0] || strcmp(ctx->slot[1], ctx->slot[2])) {
        rip_aws_params_init(&p, "CreateTags", EC2_VERSION);
        rip_aws_params_add(&p, "ResourceId.1", id);
        rip_aws_params_add(&p, "Tag.1.Key", PREV_TAG);
        rip_aws_params_add(&p, "Tag.1.Value", ctx->slot[1]);
        rc = act_query(ctx, "ec2", &p, true, NULL);
        rip_aws_params_release(&p);
        if (rc < 0)
            return rc;
    }
    rip_aws_params_init(&p, "ModifyInstanceAttribute", EC2_VERSION);
    rip_aws_params_add(&p, "InstanceId", id);
    rip_aws_params_add(&p, "GroupId.1", ctx->slot[2]);
    rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0) {
        act_fact(ctx, "quarantine_group", ctx->slot[2]);
        act_note(ctx, "instance '%s' moved to quarantine group %s (previous groups %s recorded "
                 "in tag %s)", id, ctx->slot[2], ctx->slot[1], PREV_TAG);
    }
    return rc;
}

static int q_verify(rip_action_ctx *ctx)
{
    char want[2048];
    snprintf(want, sizeof(want), "%s", ctx->slot[2]);
    int rc = read_state(ctx, false);
    if (rc < 0)
        return rc;
    if (strcmp(ctx->slot[1], want))
        return RIP_EIO;
    /* The fact a playbook's verify reads: the instance's only group is
     * the quarantine group, as read back just now. */
    act_fact(ctx, "isolated", "true");
    return 0;
}

const rip_action rip_action_ec2_quarantine_instance = {
    .name = "ec2.quarantine_instance",
    .description = "isolate an instance: swap all its security groups for an empty one",
    .params = params,
    .dry_run = "create (once per VPC) the security group 'riposte-quarantine' with no rules, "
               "tag the instance with its current groups, and make that group its only one",
    .destructive = true,
    .check = q_check,
    .run = q_run,
    .verify = q_verify,
    .undo = "ec2.unquarantine_instance",
};

static int u_check(rip_action_ctx *ctx)
{
    int rc = read_state(ctx, false);
    if (rc != 0)
        return rc;
    if (!ctx->slot[3][0]) {
        act_note(ctx, "already done: instance '%s' carries no %s tag (not quarantined by riposte)",
                 act_param(ctx, "instance_id"), PREV_TAG);
        return 1;
    }
    act_fact(ctx, "security_groups_before", ctx->slot[1]);
    act_fact(ctx, "restore_groups", ctx->slot[3]);
    return 0;
}

static int u_run(rip_action_ctx *ctx)
{
    const char *id = act_param(ctx, "instance_id");
    rip_aws_params p;
    rip_aws_params_init(&p, "ModifyInstanceAttribute", EC2_VERSION);
    rip_aws_params_add(&p, "InstanceId", id);
    char groups[2048];
    snprintf(groups, sizeof(groups), "%s", ctx->slot[3]);
    int i = 1;
    for (char *save = NULL, *g = strtok_r(groups, ",", &save); g; g = strtok_r(NULL, ",", &save))
        rip_aws_params_addk(&p, g, "GroupId.%d", i++);
    int rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc < 0)
        return rc;
    rip_aws_params_init(&p, "DeleteTags", EC2_VERSION);
    rip_aws_params_add(&p, "ResourceId.1", id);
    rip_aws_params_add(&p, "Tag.1.Key", PREV_TAG);
    rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "instance '%s' restored to security groups %s", id, ctx->slot[3]);
    return rc;
}

static int u_verify(rip_action_ctx *ctx)
{
    char want[2048];
    snprintf(want, sizeof(want), "%s", ctx->slot[3]);
    int rc = read_state(ctx, false);
    if (rc < 0)
        return rc;
    return strcmp(ctx->slot[1], want) || ctx->slot[3][0] ? RIP_EIO : 0;
}

const rip_action rip_action_ec2_unquarantine_instance = {
    .name = "ec2.unquarantine_instance",
    .description = "undo ec2.quarantine_instance: restore the recorded security groups",
    .params = params,
    .dry_run = "set the instance's security groups back to those recorded in its "
               "riposte:quarantine-previous-groups tag, then remove the tag",
    .destructive = false,
    .check = u_check,
    .run = u_run,
    .verify = u_verify,
    .undo = "ec2.quarantine_instance",
};
