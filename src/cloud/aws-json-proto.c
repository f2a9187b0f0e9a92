/* aws-json-proto.c — AWS JSON 1.0/1.1 protocol. See aws-proto.h. */
#include <stdio.h>
#include <string.h>

#include "cloud/aws-proto.h"
#include "util/err.h"

int rip_aws_json_call(rip_aws_client *c, const char *service, const char *json_version,
                      const char *target, const char *body, size_t body_len,
                      rip_aws_response *resp, rip_json_doc *doc, rip_aws_error *err)
{
    char ctype[64];
    snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s", json_version);
    rip_aws_header h[] = { { "Content-Type", ctype }, { "X-Amz-Target", target } };
    if (!body) {
        body = "{}";
        body_len = 2;
    }
    rip_aws_request r = {
        .service = service, .method = "POST", .path = "/",
        .headers = h, .nheaders = 2, .body = body, .body_len = body_len,
    };
    int rc = rip_aws_send(c, &r, resp, err);
    if (rc < 0)
        return rc;
    const char *src = resp->body.len ? resp->body.ptr : "{}";
    size_t len = resp->body.len ? resp->body.len : 2;
    rip_json_error je;
    rc = rip_json_parse(doc, src, len, &je);
    if (rc < 0) {
        memset(err, 0, sizeof(*err));
        err->status = resp->status;
        snprintf(err->request_id, sizeof(err->request_id), "%s", resp->request_id);
        snprintf(err->message, sizeof(err->message), "unreadable %s response: %s at line %u",
                 service, je.msg, je.line);
    }
    return rc;
}
