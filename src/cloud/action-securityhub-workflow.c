/* action-securityhub-workflow.c — securityhub.set_workflow_status: sets a
 * Security Hub finding's workflow status (NEW, NOTIFIED, RESOLVED,
 * SUPPRESSED) with BatchUpdateFindings, a REST-JSON call
 * (PATCH /findings/batchupdate). The state is read with GetFindings
 * (POST /findings, filtered on the finding's Id and ProductArn). */
#include <stdio.h>
#include <string.h>

#include "cloud/action-impl.h"
#include "util/err.h"

static const rip_action_param params[] = {
    { "finding_id", "the finding's Id (ASFF)", true },
    { "product_arn", "the finding's ProductArn (ASFF)", true },
    { "status", "NEW, NOTIFIED, RESOLVED or SUPPRESSED", true },
    { "note", "a note recorded on the finding (UpdatedBy riposte)", false },
    { NULL, NULL, false },
};

static const rip_aws_header json_h[] = { { "Content-Type", "application/json" } };

static void identifiers(rip_jw *w, rip_action_ctx *ctx)
{
    rip_jw_obj_begin(w);
    rip_jw_key(w, "Id");
    rip_jw_str(w, act_param(ctx, "finding_id"));
    rip_jw_key(w, "ProductArn");
    rip_jw_str(w, act_param(ctx, "product_arn"));
    rip_jw_obj_end(w);
}

static void string_filter(rip_jw *w, const char *key, const char *value)
{
    rip_jw_key(w, key);
    rip_jw_arr_begin(w);
    rip_jw_obj_begin(w);
    rip_jw_key(w, "Value");
    rip_jw_str(w, value);
    rip_jw_key(w, "Comparison");
    rip_jw_str(w, "EQUALS");
    rip_jw_obj_end(w);
    rip_jw_arr_end(w);
}

/* The finding's workflow status into slot[0]. 0, or RIP_ENOTFOUND / RIP_E*
 * with the message set. */
static int current_status(rip_action_ctx *ctx)
{
    rip_buf body = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &body);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "Filters");
    rip_jw_obj_begin(&w);
    string_filter(&w, "Id", act_param(ctx, "finding_id"));
    string_filter(&w, "ProductArn", act_param(ctx, "product_arn"));
    rip_jw_obj_end(&w);
    rip_jw_key(&w, "MaxResults");
    rip_jw_i64(&w, 1);
    rip_jw_obj_end(&w);
    int rc = rip_jw_finish(&w);
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    if (rc == 0)
        rc = act_rest(ctx, "securityhub", "GetFindings", "POST", "/findings", NULL, json_h, 1,
                      body.ptr, false, &resp, NULL);
    if (rc == 0) {
        rip_json_doc d;
        rip_json_doc_init(&d, NULL);
        if (rip_json_parse(&d, resp.body.ptr, resp.body.len, NULL) < 0) {
            rc = act_fail(ctx, RIP_EIO, "securityhub GetFindings: unreadable response");
        } else {
            const rip_json_node *f = rip_json_at(rip_json_get(rip_json_root(&d), "Findings"), 0);
            const rip_json_node *st = rip_json_path(f, "Workflow.Status");
            rip_slice s = rip_json_str(&d, st);
            if (!f)
                rc = act_fail(ctx, RIP_ENOTFOUND, "finding '%s' not found",
                              act_param(ctx, "finding_id"));
            else
                snprintf(ctx->slot[0], sizeof(ctx->slot[0]), "%.*s", (int)s.len,
                         s.ptr ? s.ptr : "");
        }
        rip_json_doc_release(&d);
    }
    rip_aws_response_release(&resp);
    rip_buf_release(&body);
    return rc;
}

static int check(rip_action_ctx *ctx)
{
    static const char *const ok[] = { "NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED" };
    const char *want = act_param(ctx, "status");
    bool valid = false;
    for (size_t i = 0; i < 4; i++)
        valid |= !strcmp(want, ok[i]);
    if (!valid)
        return act_fail(ctx, RIP_EINVAL, "parameter 'status' is '%s'; expected NEW, NOTIFIED, "
                        "RESOLVED or SUPPRESSED", want);
    int rc = current_status(ctx);
    if (rc < 0)
        return rc;
    act_fact(ctx, "workflow_status_before", ctx->slot[0][0] ? ctx->slot[0] : "(none)");
    if (!strcmp(ctx->slot[0], want)) {
        act_note(ctx, "already done: finding '%s' workflow status is %s",
                 act_param(ctx, "finding_id"), want);
        return 1;
    }
    return 0;
}

static int run(rip_action_ctx *ctx)
{
    rip_buf body = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &body);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "FindingIdentifiers");
    rip_jw_arr_begin(&w);
    identifiers(&w, ctx);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "Workflow");
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "Status");
    rip_jw_str(&w, act_param(ctx, "status"));
    rip_jw_obj_end(&w);
    if (act_param(ctx, "note")) {
        rip_jw_key(&w, "Note");
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "Text");
        rip_jw_str(&w, act_param(ctx, "note"));
        rip_jw_key(&w, "UpdatedBy");
        rip_jw_str(&w, "riposte");
        rip_jw_obj_end(&w);
    }
    rip_jw_obj_end(&w);
    int rc = rip_jw_finish(&w);
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    if (rc == 0)
        rc = act_rest(ctx, "securityhub", "BatchUpdateFindings", "PATCH", "/findings/batchupdate",
                      NULL, json_h, 1, body.ptr, true, &resp, NULL);
    if (rc == 0 && !ctx->dry_run) {
        /* A 200 may still leave the finding unprocessed: say why. */
        rip_json_doc d;
        rip_json_doc_init(&d, NULL);
        if (rip_json_parse(&d, resp.body.ptr, resp.body.len, NULL) == 0) {
            const rip_json_node *u =
                rip_json_at(rip_json_get(rip_json_root(&d), "UnprocessedFindings"), 0);
            if (u) {
                rip_slice code = rip_json_str(&d, rip_json_get(u, "ErrorCode"));
                rip_slice msg = rip_json_str(&d, rip_json_get(u, "ErrorMessage"));
                rc = act_fail(ctx, RIP_EIO, "securityhub BatchUpdateFindings left finding '%s' "
                              "unprocessed: %.*s: %.*s", act_param(ctx, "finding_id"),
                              (int)code.len, code.ptr ? code.ptr : "", (int)msg.len,
                              msg.ptr ? msg.ptr : "");
            }
        }
        rip_json_doc_release(&d);
    }
    if (rc == 0)
        act_note(ctx, "finding '%s' workflow status set to %s (was %s)",
                 act_param(ctx, "finding_id"), act_param(ctx, "status"),
                 ctx->slot[0][0] ? ctx->slot[0] : "(none)");
    rip_aws_response_release(&resp);
    rip_buf_release(&body);
    return rc;
}

static int verify(rip_action_ctx *ctx)
{
    int rc = current_status(ctx);
    return rc < 0 ? rc : strcmp(ctx->slot[0], act_param(ctx, "status")) ? RIP_EIO : 0;
}

const rip_action rip_action_securityhub_set_workflow_status = {
    .name = "securityhub.set_workflow_status",
    .description = "set a Security Hub finding's workflow status (e.g. RESOLVED, SUPPRESSED)",
    .params = params,
    .dry_run = "call BatchUpdateFindings with the finding's Id and ProductArn and the new "
               "workflow status (and note)",
    .destructive = false,
    .check = check,
    .run = run,
    .verify = verify,
    .undo = NULL,
};
