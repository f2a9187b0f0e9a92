/* test-aws-securityhub.c — securityhub.set_workflow_status, a REST-JSON
 * action, against a scripted loopback server (moto 5 has no
 * BatchUpdateFindings): the GetFindings filter, the BatchUpdateFindings
 * request on the wire (method, path, JSON body, SigV4 scope), the no-op on
 * a second run, the dry run, and an unprocessed finding reported. */
#include <stdlib.h>
#include <string.h>

#include "cloud/actions.h"
#include "cloud/aws-creds.h"
#include "tests/aws-fake-server.h"
#include "tests/tap.h"
#include "util/err.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYTESTSECRET"
#define PRODUCT "arn:aws:securityhub:us-east-1::product/aws/guardduty"

static const rip_aws_creds creds = {
    .access_key_id = "AKIDTESTKEY",
    .secret_access_key = SECRET,
};

#define FINDING(st) \
    "{\"Findings\":[{\"Id\":\"f-1\",\"ProductArn\":\"" PRODUCT "\",\"Workflow\":{\"Status\":\"" st "\"}}]}"

/* Runs the action against a server with routes; returns the rc, the result
 * JSON in out and the server log in *log (malloc'ed). */
static int run_with(fake_route *routes, size_t n, bool dry, rip_buf *out, char **log)
{
    fake_server s;
    *log = NULL;
    if (fake_start(&s, routes, n) < 0)
        return RIP_EIO;
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", s.port);
    setenv("AWS_ENDPOINT_URL_SECURITYHUB", url, 1);
    rip_aws_client c;
    rip_aws_client_init(&c, "us-east-1");
    c.creds = &creds;
    rip_action_ctx ctx;
    rip_action_ctx_init(&ctx, rip_action_find("securityhub.set_workflow_status"), &c, dry);
    rip_action_ctx_param(&ctx, "finding_id", "f-1");
    rip_action_ctx_param(&ctx, "product_arn", PRODUCT);
    rip_action_ctx_param(&ctx, "status", "RESOLVED");
    rip_action_ctx_param(&ctx, "note", "contained by riposte");
    rip_jw w;
    rip_buf_reset(out);
    rip_jw_init(&w, out);
    int rc = rip_action_run(&ctx, &w);
    rip_jw_finish(&w);
    rip_action_ctx_release(&ctx);
    rip_aws_client_release(&c);
    *log = fake_log(&s);
    fake_stop(&s);
    return rc;
}

int main(void)
{
    rip_buf out = RIP_BUF_INIT;
    char *log;
    CHECK(rip_action_find("securityhub.set_workflow_status") != NULL, "action in the table");

    fake_route done[] = {
        { "POST", "/findings", 200, "x-amzn-RequestId: r1\r\n", FINDING("NEW"), 1 },
        { "PATCH", "/findings/batchupdate", 200, NULL,
          "{\"ProcessedFindings\":[{\"Id\":\"f-1\",\"ProductArn\":\"" PRODUCT "\"}],"
          "\"UnprocessedFindings\":[]}", 1 },
        { "POST", "/findings", 200, NULL, FINDING("RESOLVED"), -1 },
    };
    int rc = run_with(done, 3, false, &out, &log);
    CHECK(rc == 0 && strstr(out.ptr, "\"status\":\"done\"") && strstr(out.ptr, "\"verified\":true") &&
          strstr(out.ptr, "\"workflow_status_before\":\"NEW\""), "run: done and verified (%s)",
          out.ptr);
    CHECK(log && strstr(log, "POST /findings HTTP") &&
          strstr(log, "\"Filters\":{\"Id\":[{\"Value\":\"f-1\",\"Comparison\":\"EQUALS\"}],"
                      "\"ProductArn\":[{\"Value\":\"" PRODUCT "\",\"Comparison\":\"EQUALS\"}]}"),
          "GetFindings filters on Id and ProductArn");
    CHECK(log && strstr(log, "PATCH /findings/batchupdate HTTP") &&
          strstr(log, "{\"FindingIdentifiers\":[{\"Id\":\"f-1\",\"ProductArn\":\"" PRODUCT "\"}],"
                      "\"Workflow\":{\"Status\":\"RESOLVED\"},"
                      "\"Note\":{\"Text\":\"contained by riposte\",\"UpdatedBy\":\"riposte\"}}"),
          "BatchUpdateFindings: PATCH /findings/batchupdate with the REST-JSON body");
    CHECK(log && strstr(log, "/us-east-1/securityhub/aws4_request") &&
          strstr(log, "application/json") && !strstr(log, SECRET),
          "signed for securityhub, JSON content type, no secret on the wire");
    free(log);

    fake_route already[] = {
        { "POST", "/findings", 200, NULL, FINDING("RESOLVED"), -1 },
    };
    rc = run_with(already, 1, false, &out, &log);
    CHECK(rc == 0 && strstr(out.ptr, "\"status\":\"noop\"") &&
          strstr(out.ptr, "already done: finding 'f-1' workflow status is RESOLVED") &&
          log && !strstr(log, "PATCH"), "second run: a no-op that says so, no update sent");
    free(log);

    fake_route dry[] = {
        { "POST", "/findings", 200, NULL, FINDING("NOTIFIED"), -1 },
    };
    rc = run_with(dry, 1, true, &out, &log);
    CHECK(rc == 0 && strstr(out.ptr, "\"status\":\"dry-run\"") &&
          strstr(out.ptr, "\"operation\":\"BatchUpdateFindings\"") &&
          strstr(out.ptr, "\"made\":false") && log && !strstr(log, "PATCH"),
          "dry run lists BatchUpdateFindings and sends nothing");
    free(log);

    fake_route unprocessed[] = {
        { "POST", "/findings", 200, NULL, FINDING("NEW"), -1 },
        { "PATCH", "/findings/batchupdate", 200, NULL,
          "{\"ProcessedFindings\":[],\"UnprocessedFindings\":[{\"FindingIdentifier\":{\"Id\":"
          "\"f-1\"},\"ErrorCode\":\"FindingNotFound\",\"ErrorMessage\":\"no such finding\"}]}", -1 },
    };
    rc = run_with(unprocessed, 2, false, &out, &log);
    CHECK(rc < 0 && strstr(out.ptr, "\"status\":\"failed\"") &&
          strstr(out.ptr, "unprocessed: FindingNotFound: no such finding"),
          "an unprocessed finding fails with its error code (%s)", out.ptr);
    free(log);

    fake_route missing[] = {
        { "POST", "/findings", 200, NULL, "{\"Findings\":[]}", -1 },
    };
    rc = run_with(missing, 1, false, &out, &log);
    CHECK(rc < 0 && strstr(out.ptr, "finding 'f-1' not found"), "unknown finding: clear failure");
    free(log);

    fake_route err[] = {
        { "POST", "/findings", 403, "x-amzn-ErrorType: AccessDeniedException:http://internal\r\n",
          "{\"message\":\"not subscribed\"}", -1 },
    };
    rc = run_with(err, 1, false, &out, &log);
    CHECK(rc < 0 && strstr(out.ptr, "\"code\":\"AccessDeniedException\"") &&
          strstr(out.ptr, "securityhub GetFindings failed: AccessDeniedException: not subscribed"),
          "REST-JSON error: code from x-amzn-ErrorType, message from the body (%s)", out.ptr);
    free(log);
    rip_buf_release(&out);
    return tap_done();
}
