/* action-ec2-revoke-sg-rule.c — ec2.revoke_sg_rule: remove one ingress
 * rule (protocol, port, IPv4 CIDR) from a security group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "group_id", "security group id (sg-…)", true },
    { "protocol", "tcp, udp, icmp or -1 (all)", true },
    { "port", "port (the rule's from and to port); omit for protocol -1", false },
    { "cidr", "IPv4 CIDR of the rule (0.0.0.0/0)", true },
    { NULL, NULL, false },
};

static const char *proto(const rip_action_ctx *ctx)
{
    const char *p = act_param(ctx, "protocol");
    return !strcmp(p, "all") ? "-1" : p;
}

/* 1 when the rule exists, 0 when not, <0 on error. */
static int has_rule(rip_action_ctx *ctx, bool guard)
{
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "DescribeSecurityGroups", EC2_VERSION);
    rip_aws_params_add(&p, "GroupId.1", act_param(ctx, "group_id"));
    rip_aws_xml_init(&x);
    int rc = act_query_or(ctx, "ec2", &p, false, &x, "InvalidGroup.NotFound");
    rip_aws_params_release(&p);
    if (rc == RIP_ENOTFOUND)
        rc = act_fail(ctx, RIP_ENOTFOUND, "security group '%s' not found",
                      act_param(ctx, "group_id"));
    const char *port = act_param(ctx, "port");
    int found = 0;
    const rip_aws_xml_node *sg = rip_aws_xml_path(x.root, "securityGroupInfo/item");
    if (rc == 0 && guard) {
        rc = ec2_protected(ctx, sg, "the security group");
        if (rc) {
            rip_aws_xml_release(&x);
            return rc == 1 ? 0 : rc;
        }
    }
    for (const rip_aws_xml_node *r = rc == 0 ? rip_aws_xml_path(sg, "ipPermissions/item") : NULL;
         r; r = rip_aws_xml_next_same(r)) {
        const char *rp = rip_aws_xml_text(r, "ipProtocol", "");
        if (strcmp(rp, proto(ctx)))
            continue;
        if (strcmp(proto(ctx), "-1") && port &&
            (strcmp(rip_aws_xml_text(r, "fromPort", ""), port) ||
             strcmp(rip_aws_xml_text(r, "toPort", ""), port)))
            continue;
        for (const rip_aws_xml_node *c = rip_aws_xml_path(r, "ipRanges/item"); c;
             c = rip_aws_xml_next_same(c))
            if (!strcmp(rip_aws_xml_text(c, "cidrIp", ""), act_param(ctx, "cidr")))
                found = 1;
    }
    rip_aws_xml_release(&x);
    return rc < 0 ? rc : found;
}

static int check(rip_action_ctx *ctx)
{
    if (strcmp(proto(ctx), "-1") && !act_param(ctx, "port"))
        return act_fail(ctx, RIP_EINVAL, "parameter 'port' is required for protocol '%s'",
                        proto(ctx));
    int rc = has_rule(ctx, true);
    if (rc < 0 || ctx->refused)
        return rc;
    if (rc == 0) {
        act_note(ctx, "already done: group '%s' has no ingress rule %s %s from %s",
                 act_param(ctx, "group_id"), proto(ctx),
                 act_param(ctx, "port") ? act_param(ctx, "port") : "*", act_param(ctx, "cidr"));
        return 1;
    }
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    rip_aws_params p;
    rip_aws_params_init(&p, "RevokeSecurityGroupIngress", EC2_VERSION);
    rip_aws_params_add(&p, "GroupId", act_param(ctx, "group_id"));
    rip_aws_params_add(&p, "IpPermissions.1.IpProtocol", proto(ctx));
    if (strcmp(proto(ctx), "-1")) {
        rip_aws_params_add(&p, "IpPermissions.1.FromPort", act_param(ctx, "port"));
        rip_aws_params_add(&p, "IpPermissions.1.ToPort", act_param(ctx, "port"));
    }
    rip_aws_params_add(&p, "IpPermissions.1.IpRanges.1.CidrIp", act_param(ctx, "cidr"));
    int rc = act_query(ctx, "ec2", &p, true, NULL);
    rip_aws_params_release(&p);
    if (rc == 0)
        act_note(ctx, "revoked ingress %s %s from %s on group '%s'", proto(ctx),
                 act_param(ctx, "port") ? act_param(ctx, "port") : "*", act_param(ctx, "cidr"),
                 act_param(ctx, "group_id"));
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = has_rule(ctx, false);
    return rc < 0 ? rc : rc ? RIP_EIO : 0;
}

const rip_action rip_action_ec2_revoke_sg_rule = {
    .name = "ec2.revoke_sg_rule",
    .description = "remove one ingress rule (protocol, port, CIDR) from a security group",
    .params = params,
    .dry_run = "revoke the matching ingress rule (RevokeSecurityGroupIngress)",
    .destructive = true,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
