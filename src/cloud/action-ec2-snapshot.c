/* action-ec2-snapshot.c — ec2.snapshot_volumes: a snapshot of every EBS
 * volume attached to an instance, tagged riposte:incident=<incident>. A
 * volume that already has a snapshot with that tag is skipped. */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

#define INCIDENT_TAG "riposte:incident"

static const rip_action_param params[] = {
    { "instance_id", "EC2 instance id (i-…)", true },
    { "incident", "incident id, written to each snapshot's riposte:incident tag", true },
    { NULL, NULL, false },
};

/* slot[0] = volumes (comma list), slot[1] = volumes still to snapshot. */
static int read_state(rip_action_ctx *ctx)
{
    rip_aws_xml x;
    const rip_aws_xml_node *inst;
    rip_aws_xml_init(&x);
    int rc = ec2_describe_instance(ctx, act_param(ctx, "instance_id"), &x, &inst);
    ctx->slot[0][0] = ctx->slot[1][0] = '\0';
    if (rc == 0) {
        size_t n = 0;
        for (const rip_aws_xml_node *b = rip_aws_xml_path(inst, "blockDeviceMapping/item"); b;
             b = rip_aws_xml_next_same(b)) {
            const char *v = rip_aws_xml_text(b, "ebs/volumeId", "");
            if (*v && n + strlen(v) + 2 < sizeof(ctx->slot[0]))
                n += (size_t)snprintf(ctx->slot[0] + n, sizeof(ctx->slot[0]) - n, "%s%s",
                                      n ? "," : "", v);
        }
    }
    rip_aws_xml_release(&x);
    if (rc < 0)
        return rc;
    /* Snapshots of this incident already taken. */
    rip_aws_params p;
    rip_aws_params_init(&p, "DescribeSnapshots", EC2_VERSION);
    rip_aws_params_add(&p, "Owner.1", "self");
    rip_aws_params_add(&p, "Filter.1.Name", "tag:" INCIDENT_TAG);
    rip_aws_params_add(&p, "Filter.1.Value.1", act_param(ctx, "incident"));
    rip_aws_xml_init(&x);
    rc = act_query(ctx, "ec2", &p, false, &x);
    rip_aws_params_release(&p);
    if (rc == 0) {
        char vols[2048];
        size_t n = 0;
        snprintf(vols, sizeof(vols), "%s", ctx->slot[0]);
        for (char *save = NULL, *v = strtok_r(vols, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
            bool done = false;
            for (const rip_aws_xml_node *s = rip_aws_xml_path(x.root, "snapshotSet/item"); s;
                 s = rip_aws_xml_next_same(s))
                if (!strcmp(rip_aws_xml_text(s, "volumeId", ""), v))
                    done = true;
            if (!done && n + strlen(v) + 2 < sizeof(ctx->slot[1]))
                n += (size_t)snprintf(ctx->slot[1] + n, sizeof(ctx->slot[1]) - n, "%s%s",
                                      n ? "," : "", v);
        }
    }
    rip_aws_xml_release(&x);
    return rc;
}

static int check(rip_action_ctx *ctx)
{
    int rc = read_state(ctx);
    if (rc < 0)
        return rc;
    act_fact(ctx, "volumes", ctx->slot[0]);
    if (!ctx->slot[0][0])
        return act_fail(ctx, RIP_ENOTFOUND, "instance '%s' has no EBS volumes",
                        act_param(ctx, "instance_id"));
    if (!ctx->slot[1][0]) {
        act_note(ctx, "already done: every volume (%s) has a snapshot tagged %s=%s",
                 ctx->slot[0], INCIDENT_TAG, act_param(ctx, "incident"));
        return 1;
    }
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    char vols[2048], ids[2048] = "";
    size_t n = 0;
    snprintf(vols, sizeof(vols), "%s", ctx->slot[1]);
    for (char *save = NULL, *v = strtok_r(vols, ",", &save); v; v = strtok_r(NULL, ",", &save)) {
        char desc[512];
        snprintf(desc, sizeof(desc), "riposte forensic snapshot of %s (instance %s, incident %s)",
                 v, act_param(ctx, "instance_id"), act_param(ctx, "incident"));
        rip_aws_params p;
        rip_aws_xml x;
        rip_aws_params_init(&p, "CreateSnapshot", EC2_VERSION);
        rip_aws_params_add(&p, "VolumeId", v);
        rip_aws_params_add(&p, "Description", desc);
        rip_aws_params_add(&p, "TagSpecification.1.ResourceType", "snapshot");
        rip_aws_params_add(&p, "TagSpecification.1.Tag.1.Key", INCIDENT_TAG);
        rip_aws_params_add(&p, "TagSpecification.1.Tag.1.Value", act_param(ctx, "incident"));
        rip_aws_params_add(&p, "TagSpecification.1.Tag.2.Key", "riposte:instance");
        rip_aws_params_add(&p, "TagSpecification.1.Tag.2.Value", act_param(ctx, "instance_id"));
        rip_aws_xml_init(&x);
        int rc = act_query(ctx, "ec2", &p, true, &x);
        rip_aws_params_release(&p);
        if (rc == 0 && !ctx->dry_run && n + 64 < sizeof(ids))
            n += (size_t)snprintf(ids + n, sizeof(ids) - n, "%s%s", n ? "," : "",
                                  rip_aws_xml_text(x.root, "snapshotId", ""));
        rip_aws_xml_release(&x);
        if (rc < 0)
            return rc;
    }
    if (!ctx->dry_run) {
        act_fact(ctx, "snapshots", ids);
        act_note(ctx, "snapshot started for volumes %s: %s", ctx->slot[1], ids);
    }
    return 0;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = read_state(ctx);
    return rc < 0 ? rc : ctx->slot[1][0] ? RIP_EIO : 0;
}

const rip_action rip_action_ec2_snapshot_volumes = {
    .name = "ec2.snapshot_volumes",
    .description = "snapshot every EBS volume of an instance for forensics, tagged with the incident",
    .params = params,
    .dry_run = "create one snapshot per attached EBS volume tagged riposte:incident",
    .destructive = false,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
