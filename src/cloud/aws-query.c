/* aws-query.c — query and EC2 protocols, REST helpers. See aws-proto.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cloud/aws-proto.h"
#include "util/err.h"

void rip_aws_params_init(rip_aws_params *p, const char *action, const char *version)
{
    rip_buf_init(&p->body, 1u << 20);
    p->err = 0;
    rip_aws_params_add(p, "Action", action);
    rip_aws_params_add(p, "Version", version);
}

void rip_aws_params_release(rip_aws_params *p)
{
    if (p)
        rip_buf_release(&p->body);
}

void rip_aws_params_add(rip_aws_params *p, const char *key, const char *value)
{
    if (p->err)
        return;
    size_t mark = p->body.len;
    int rc = 0;
    if (p->body.len)
        rc = rip_buf_addc(&p->body, '&');
    if (rc == 0)
        rc = rip_aws_uri_encode(&p->body, key, strlen(key), false);
    if (rc == 0)
        rc = rip_buf_addc(&p->body, '=');
    if (rc == 0 && value)
        rc = rip_aws_uri_encode(&p->body, value, strlen(value), false);
    if (rc < 0) {
        p->body.len = mark;
        p->body.ptr[mark] = '\0';
        p->err = rc;
    }
}

void rip_aws_params_addk(rip_aws_params *p, const char *value, const char *keyfmt, ...)
{
    char key[256];
    va_list ap;
    va_start(ap, keyfmt);
    int n = vsnprintf(key, sizeof(key), keyfmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(key)) {
        if (!p->err)
            p->err = RIP_ELIMIT;
        return;
    }
    rip_aws_params_add(p, key, value);
}

int rip_aws_query(rip_aws_client *c, const char *service, rip_aws_params *p,
                  rip_aws_xml *x, rip_aws_error *err)
{
    rip_aws_response resp;
    int rc;
    if (p->err) {
        memset(err, 0, sizeof(*err));
        snprintf(err->message, sizeof(err->message), "cannot build request: %s",
                 rip_strerror(p->err));
        return p->err;
    }
    static const rip_aws_header h[] = {
        { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
    };
    rip_aws_response_init(&resp);
    rip_aws_request r = {
        .service = service, .method = "POST", .path = "/",
        .headers = h, .nheaders = 1, .body = p->body.ptr, .body_len = p->body.len,
    };
    rc = rip_aws_send(c, &r, &resp, err);
    if (rc == 0) {
        rc = rip_aws_xml_parse(x, resp.body.ptr, resp.body.len, NULL);
        if (rc < 0) {
            memset(err, 0, sizeof(*err));
            err->status = resp.status;
            snprintf(err->request_id, sizeof(err->request_id), "%s", resp.request_id);
            snprintf(err->message, sizeof(err->message), "unreadable %s response: %s", service,
                     x->error);
        }
    }
    rip_aws_response_release(&resp);
    return rc;
}

int rip_aws_rest(rip_aws_client *c, const char *service, const char *method, const char *path,
                 const char *query, const rip_aws_header *headers, size_t nheaders,
                 const char *body, size_t body_len, rip_aws_response *resp, rip_aws_error *err)
{
    rip_aws_request r = {
        .service = service, .method = method, .path = path, .query = query,
        .headers = headers, .nheaders = nheaders, .body = body, .body_len = body_len,
    };
    return rip_aws_send(c, &r, resp, err);
}

int rip_aws_s3_path(rip_buf *out, const char *bucket, const char *key)
{
    int rc = rip_buf_addc(out, '/');
    if (rc == 0)
        rc = rip_aws_uri_encode(out, bucket, strlen(bucket), false);
    if (rc == 0 && key) {
        rc = rip_buf_addc(out, '/');
        if (rc == 0)
            rc = rip_aws_uri_encode(out, key, strlen(key), true);
    }
    return rc;
}
