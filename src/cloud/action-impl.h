/* action-impl.h — helpers shared by the action files (internal to
 * src/cloud). Every helper that makes an AWS call fills ctx->message via
 * act_fail() when it fails and returns the RIP_E* code. */
#ifndef RIPOSTE_CLOUD_ACTION_IMPL_H
#define RIPOSTE_CLOUD_ACTION_IMPL_H

#include "cloud/actions.h"
#include "cloud/aws-proto.h"
#include "cloud/aws-xml.h"

#define IAM_VERSION "2010-05-08"
#define EC2_VERSION "2016-11-15"
#define STS_VERSION "2011-06-15"

/* Parameter value or NULL. */
const char *act_param(const rip_action_ctx *ctx, const char *name);

/* Sets the message and returns rc (for "return act_fail(...)"). */
int act_fail(rip_action_ctx *ctx, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Sets the message (no-op text, progress). */
void act_note(rip_action_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Marks the run refused (protected resource) and sets the message. */
int act_refuse(rip_action_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records a fact ("previous_groups": "sg-1,sg-2") in the result. */
void act_fact(rip_action_ctx *ctx, const char *key, const char *value);

/* Query/EC2 call. mutate: recorded in "calls" and skipped in dry-run (then
 * *x is left empty: x->root NULL). x may be NULL for mutations. On an AWS
 * error ctx->last_error holds code/message; the helper sets the message
 * "<service> <Action> failed: <code>: <message> (request id …)". */
int act_query(rip_action_ctx *ctx, const char *service, rip_aws_params *p, bool mutate,
              rip_aws_xml *x);
/* As act_query, but an AWS error whose code equals ok_code returns
 * RIP_ENOTFOUND without setting the message (e.g. NoSuchEntity). */
int act_query_or(rip_action_ctx *ctx, const char *service, rip_aws_params *p, bool mutate,
                 rip_aws_xml *x, const char *ok_code);
/* REST call (S3, S3 control). Same recording and error conventions, with
 * ok_code as above (may be NULL). operation names the call for the log. */
int act_rest(rip_action_ctx *ctx, const char *service, const char *operation, const char *method,
             const char *path, const char *query, const rip_aws_header *h, size_t nh,
             const char *body, bool mutate, rip_aws_response *resp, const char *ok_code);
/* JSON 1.1 call. */
int act_json(rip_action_ctx *ctx, const char *service, const char *target, const char *body,
             bool mutate, rip_aws_response *resp, rip_json_doc *doc, const char *ok_code);

/* What the second half of act_both() ended with. */
typedef struct act_side {
    int rc;                      /* b's result */
    bool refused;
    char message[1024];
    rip_aws_error last_error;
} act_side;

/* Runs a(ctx) in this thread and, at the same time, b on a copy of ctx in
 * a second thread whose calls go through the client's sibling connection
 * (rip_aws_client_sibling): two independent reads of the cloud cost one
 * round trip instead of two. b must only read: its calls and facts are
 * appended to ctx's, its slots are dropped. Returns a's result; b's is in
 * side (act_adopt() makes it ctx's). When a second thread or connection
 * cannot be had (or in a dry run without a client), b runs after a here. */
int act_both(rip_action_ctx *ctx, int (*a)(rip_action_ctx *), int (*b)(rip_action_ctx *),
             act_side *side);
/* Makes side's message, refusal and error ctx's; returns side->rc. */
int act_adopt(rip_action_ctx *ctx, const act_side *side);

/* ---- EC2 helpers ---- */

/* The instance's item node in a DescribeInstances response, after calling
 * it for id. RIP_ENOTFOUND (message set) when absent. */
int ec2_describe_instance(rip_action_ctx *ctx, const char *id, rip_aws_xml *x,
                          const rip_aws_xml_node **inst);
/* Value of tag key on an EC2 item node (tagSet), or NULL. */
const char *ec2_tag(const rip_aws_xml_node *item, const char *key);
/* Refuses (returns 1) when the item carries the protected tag. */
int ec2_protected(rip_action_ctx *ctx, const rip_aws_xml_node *item, const char *what);
/* Comma-joined groupSet/item/groupId of an instance item into out. */
void ec2_groups(const rip_aws_xml_node *inst, char *out, size_t cap);

/* IAM: refuses (returns 1) when the user/role carries the protected tag;
 * kind is "User" or "Role". 0 when not protected, <0 on error. */
int iam_protected(rip_action_ctx *ctx, const char *kind, const char *name);

/* S3: refuses (returns 1) when the bucket's tagging carries the protected
 * tag (GetBucketTagging; no tag set means not protected). 0 when not
 * protected, <0 on error (message set). */
int s3_protected(rip_action_ctx *ctx, const char *bucket);

/* The account the run acts in: ctx->account, else sts GetCallerIdentity
 * (cached in ctx->account_buf). NULL on failure (message set). */
const char *act_account(rip_action_ctx *ctx);

#endif
