/* action-ec2-nacl-deny-ip.c — ec2.nacl_deny_ip: deny an attacker's address
 * in both directions on the network ACL of a subnet (given directly or as
 * the subnet of an instance). Each entry takes the highest free rule number
 * below the lowest allow rule, so it is evaluated before every allow. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "ip", "attacker IPv4/IPv6 address or CIDR", true },
    { "subnet_id", "subnet whose network ACL gets the entry (or give instance_id)", false },
    { "instance_id", "instance whose subnet's network ACL gets the entry", false },
    { NULL, NULL, false },
};

/* slot[0] subnet, slot[1] acl id, slot[2] cidr, slot[3] "ingress,egress"
 * flags of existing deny entries ("10" = ingress present), slot[4]/slot[5]
 * rule numbers to use for ingress/egress. */
static int read_state(rip_action_ctx *ctx)
{
    const char *ip = act_param(ctx, "ip");
    bool v6 = strchr(ip, ':') != NULL;
    if (strchr(ip, '/'))
        snprintf(ctx->slot[2], sizeof(ctx->slot[2]), "%s", ip);
    else
        snprintf(ctx->slot[2], sizeof(ctx->slot[2]), "%s/%s", ip, v6 ? "128" : "32");
    const char *subnet = act_param(ctx, "subnet_id");
    int rc;
    rip_aws_xml x;
    if (!subnet) {
        const char *inst = act_param(ctx, "instance_id");
        const rip_aws_xml_node *n;
        if (!inst)
            return act_fail(ctx, RIP_EINVAL, "give 'subnet_id' or 'instance_id'");
        rip_aws_xml_init(&x);
        rc = ec2_describe_instance(ctx, inst, &x, &n);
        if (rc == 0)
            snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s", rip_aws_xml_text(n, "subnetId", ""));
        rip_aws_xml_release(&x);
        if (rc < 0)
            return rc;
        if (!ctx->slot[0][0])
            return act_fail(ctx, RIP_EINVAL, "instance '%s' has no subnet", inst);
    } else {
        snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%s", subnet);
    }
    rip_aws_params p;
    rip_aws_params_init(&p, "DescribeNetworkAcls", EC2_VERSION);
    rip_aws_params_add(&p, "Filter.1.Name", "association.subnet-id");
    rip_aws_params_add(&p, "Filter.1.Value.1", ctx->slot[0]);
    rip_aws_xml_init(&x);
    rc = act_query(ctx, "ec2", &p, false, &x);
    rip_aws_params_release(&p);
    const rip_aws_xml_node *acl = rip_aws_xml_path(x.root, "networkAclSet/item");
    if (rc == 0 && !acl)
        rc = act_fail(ctx, RIP_ENOTFOUND, "no network ACL associated with subnet '%s'",
                      ctx->slot[0]);
    if (rc < 0) {
        rip_aws_xml_release(&x);
        return rc;
    }
    snprintf(ctx->slot[1], sizeof(ctx->slot[1]), "%s", rip_aws_xml_text(acl, "networkAclId", ""));
    strcpy(ctx->slot[3], "00");
    for (int dir = 0; dir < 2; dir++) {
        const char *eg = dir ? "true" : "false";
        long min_allow = 32767;
        unsigned char used[32768];
        memset(used, 0, sizeof(used));
        for (const rip_aws_xml_node *e = rip_aws_xml_path(acl, "entrySet/item"); e;
             e = rip_aws_xml_next_same(e)) {
            if (strcmp(rip_aws_xml_text(e, "egress", ""), eg))
                continue;
            long num = strtol(rip_aws_xml_text(e, "ruleNumber", "0"), NULL, 10);
            if (num > 0 && num < 32768)
                used[num] = 1;
            const char *action = rip_aws_xml_text(e, "ruleAction", "");
            const char *cidr = rip_aws_xml_text(e, v6 ? "ipv6CidrBlock" : "cidrBlock", "");
            if (!strcmp(action, "deny") && !strcmp(cidr, ctx->slot[2]) &&
                !strcmp(rip_aws_xml_text(e, "protocol", ""), "-1"))
                ctx->slot[3][dir] = '1';
            if (!strcmp(action, "allow") && num < min_allow)
                min_allow = num;
        }
        long pick = 0;
        for (long n = min_allow - 1; n >= 1; n--)
            if (!used[n]) {
                pick = n;
                break;
            }
        snprintf(ctx->slot[4 + dir], sizeof(ctx->slot[4]), "%ld", pick);
    }
    rip_aws_xml_release(&x);
    return 0;
}

static int check(rip_action_ctx *ctx)
{
    int rc = read_state(ctx);
    if (rc < 0)
        return rc;
    act_fact(ctx, "subnet_id", ctx->slot[0]);
    act_fact(ctx, "network_acl_id", ctx->slot[1]);
    if (!strcmp(ctx->slot[3], "11")) {
        act_note(ctx, "already done: network ACL %s already denies %s both ways", ctx->slot[1],
                 ctx->slot[2]);
        return 1;
    }
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    bool v6 = strchr(ctx->slot[2], ':') != NULL;
    for (int dir = 0; dir < 2; dir++) {
        if (ctx->slot[3][dir] == '1')
            continue;
        if (!strcmp(ctx->slot[4 + dir], "0"))
            return act_fail(ctx, RIP_ELIMIT, "network ACL %s has no free rule number below its "
                            "first allow rule", ctx->slot[1]);
        rip_aws_params p;
        rip_aws_params_init(&p, "CreateNetworkAclEntry", EC2_VERSION);
        rip_aws_params_add(&p, "NetworkAclId", ctx->slot[1]);
        rip_aws_params_add(&p, "RuleNumber", ctx->slot[4 + dir]);
        rip_aws_params_add(&p, "Protocol", "-1");
        rip_aws_params_add(&p, "RuleAction", "deny");
        rip_aws_params_add(&p, "Egress", dir ? "true" : "false");
        rip_aws_params_add(&p, v6 ? "Ipv6CidrBlock" : "CidrBlock", ctx->slot[2]);
        int rc = act_query(ctx, "ec2", &p, true, NULL);
        rip_aws_params_release(&p);
        if (rc < 0)
            return rc;
        act_fact(ctx, dir ? "egress_rule_number" : "ingress_rule_number", ctx->slot[4 + dir]);
    }
    act_note(ctx, "network ACL %s now denies %s in both directions", ctx->slot[1], ctx->slot[2]);
    return 0;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = read_state(ctx);
    return rc < 0 ? rc : strcmp(ctx->slot[3], "11") ? RIP_EIO : 0;
}

const rip_action rip_action_ec2_nacl_deny_ip = {
    .name = "ec2.nacl_deny_ip",
    .description = "deny an IP address on a subnet's network ACL, inbound and outbound",
    .params = params,
    .dry_run = "add deny entries for the address to the subnet's network ACL, numbered "
               "below its first allow rule",
    .destructive = false,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
