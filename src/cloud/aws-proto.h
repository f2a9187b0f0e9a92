/* aws-proto.h — the AWS wire protocols riposte's actions need, on top of
 * rip_aws_send():
 *   - query (IAM, STS: Action=…&Version=… form body, XML response with
 *     <member> lists) and its EC2 flavour (same request shape, <item> lists,
 *     <Response><Errors> error shape);
 *   - JSON 1.0 / 1.1 (X-Amz-Target: Service.Operation, JSON body and
 *     response; CloudTrail, SQS, SSM, Logs);
 *   - REST-XML (S3: method + path + query, XML bodies);
 *   - REST-JSON (GuardDuty, Security Hub: method + path, JSON bodies).
 * Every response body is parsed with a limit (rip_aws_xml / rip_json).
 */
#ifndef RIPOSTE_CLOUD_AWS_PROTO_H
#define RIPOSTE_CLOUD_AWS_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud/aws-http.h"
#include "cloud/aws-xml.h"
#include "util/buf.h"
#include "util/json.h"

/* A query-protocol parameter list, serialized as it grows. */
typedef struct rip_aws_params {
    rip_buf body;   /* "Action=X&Version=Y&K=V…", form-encoded */
    int err;        /* sticky: first failure */
} rip_aws_params;

/* Starts a list with Action and Version. */
void rip_aws_params_init(rip_aws_params *p, const char *action, const char *version);
void rip_aws_params_release(rip_aws_params *p);
/* Adds key=value (both encoded here). Errors are sticky. */
void rip_aws_params_add(rip_aws_params *p, const char *key, const char *value);
/* Adds a key built with printf ("GroupId.%d"). */
void rip_aws_params_addk(rip_aws_params *p, const char *value, const char *keyfmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Query / EC2 protocol call: POST the form to service's endpoint, parse
 * the XML response into *x (its root is the <OperationResponse>). 0 or
 * RIP_E* with *err filled (see rip_aws_send). */
int rip_aws_query(rip_aws_client *c, const char *service, rip_aws_params *p,
                  rip_aws_xml *x, rip_aws_error *err);

/* JSON 1.0/1.1 call: target "CloudTrail_20131101.StartLogging",
 * json_version "1.1". body NULL means "{}". On success the response is
 * parsed into *doc (which borrows resp->body: keep resp alive). */
int rip_aws_json_call(rip_aws_client *c, const char *service, const char *json_version,
                      const char *target, const char *body, size_t body_len,
                      rip_aws_response *resp, rip_json_doc *doc, rip_aws_error *err);

/* REST call (REST-XML or REST-JSON): path and query already encoded;
 * content_type may be NULL. The raw response is left in resp. */
int rip_aws_rest(rip_aws_client *c, const char *service, const char *method, const char *path,
                 const char *query, const rip_aws_header *headers, size_t nheaders,
                 const char *body, size_t body_len, rip_aws_response *resp, rip_aws_error *err);

/* S3 object or bucket path: "/bucket" or "/bucket/key" with the key
 * URI-encoded ('/' kept) — path-style addressing. */
int rip_aws_s3_path(rip_buf *out, const char *bucket, const char *key);

#endif
