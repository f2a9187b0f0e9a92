/* action-cloudtrail-start-logging.c — cloudtrail.start_logging: restart a
 * trail that an attacker stopped (JSON 1.1: GetTrailStatus, StartLogging). */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

#define TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."

static const rip_action_param params[] = {
    { "trail", "trail name or ARN", true },
    { NULL, NULL, false },
};

static int body_for(rip_action_ctx *ctx, rip_buf *b)
{
    rip_jw w;
    rip_jw_init(&w, b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "Name");
    rip_jw_str(&w, act_param(ctx, "trail"));
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}

/* 1 when logging, 0 when not, <0 on error. */
static int is_logging(rip_action_ctx *ctx)
{
    rip_buf b = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_json_doc d;
    rip_aws_response_init(&resp);
    rip_json_doc_init(&d, NULL);
    int rc = body_for(ctx, &b);
    if (rc == 0)
        rc = act_json(ctx, "cloudtrail", TARGET "GetTrailStatus", b.ptr, false, &resp, &d,
                      "TrailNotFoundException");
    if (rc == RIP_ENOTFOUND)
        rc = act_fail(ctx, RIP_ENOTFOUND, "trail '%s' not found", act_param(ctx, "trail"));
    int on = 0;
    if (rc == 0) {
        const rip_json_node *n = rip_json_get(rip_json_root(&d), "IsLogging");
        on = n && n->type == RIP_JSON_TRUE;
    }
    rip_json_doc_release(&d);
    rip_aws_response_release(&resp);
    rip_buf_release(&b);
    return rc < 0 ? rc : on;
}

static int check(rip_action_ctx *ctx)
{
    int rc = is_logging(ctx);
    if (rc == 1)
        act_note(ctx, "already done: trail '%s' is logging", act_param(ctx, "trail"));
    return rc;
}

static int run(rip_action_ctx *ctx)
{
    rip_buf b = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_json_doc d;
    rip_aws_response_init(&resp);
    rip_json_doc_init(&d, NULL);
    int rc = body_for(ctx, &b);
    if (rc == 0)
        rc = act_json(ctx, "cloudtrail", TARGET "StartLogging", b.ptr, true, &resp, &d, NULL);
    rip_json_doc_release(&d);
    rip_aws_response_release(&resp);
    rip_buf_release(&b);
    if (rc == 0)
        act_note(ctx, "trail '%s' logging restarted", act_param(ctx, "trail"));
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = is_logging(ctx);
    return rc < 0 ? rc : rc == 1 ? 0 : RIP_EIO;
}

const rip_action rip_action_cloudtrail_start_logging = {
    .name = "cloudtrail.start_logging",
    .description = "restart logging on a CloudTrail trail (StartLogging)",
    .params = params,
    .dry_run = "call StartLogging on the trail",
    .destructive = false,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
