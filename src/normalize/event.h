/* event.h — the one event model every input becomes (DESIGN.md "Normalize").
 *
 * Invariants
 *   - An event borrows: every rip_slice points into the parsed JSON document
 *     it came from (zero-copy, or the document's arena for strings with
 *     escapes), into static strings, or into the decode batch's arena. An
 *     event is valid only during the callback that receives it; a consumer
 *     that keeps one copies what it needs (rip_event_write_json()).
 *   - An absent value is RIP_SLICE_NULL (ptr NULL). Tri-state flags use
 *     -1 for unknown, 0 false, 1 true.
 *   - time_ns is nanoseconds since the Unix epoch, UTC. A time that is
 *     present but cannot be parsed makes the record an error; a record that
 *     carries no time at all (partial records, e.g. rule-test fixtures)
 *     still decodes, with time_ns 0, which writers show as absent.
 */
#ifndef RIPOSTE_NORMALIZE_EVENT_H
#define RIPOSTE_NORMALIZE_EVENT_H

#include <stdint.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/slice.h"

typedef enum rip_cloud {
    RIP_CLOUD_UNKNOWN = 0,
    RIP_CLOUD_AWS,
    RIP_CLOUD_GCP,
} rip_cloud;

/* What kind of record this is. */
typedef enum rip_event_kind {
    RIP_EVENT_API_CALL = 1,   /* CloudTrail record, GCP audit log entry */
    RIP_EVENT_FINDING,        /* GuardDuty finding, Security Hub ASFF finding */
    RIP_EVENT_GENERIC,        /* EventBridge event of a detail-type we do not model */
} rip_event_kind;

/* Which wire format the record was decoded from. */
typedef enum rip_format {
    RIP_FORMAT_UNKNOWN = 0,
    RIP_FORMAT_CLOUDTRAIL,         /* a CloudTrail record (any container) */
    RIP_FORMAT_EVENTBRIDGE,        /* an EventBridge envelope (generic detail) */
    RIP_FORMAT_GUARDDUTY,          /* a GuardDuty finding (API shape) */
    RIP_FORMAT_ASFF,               /* a Security Hub finding */
    RIP_FORMAT_GCP_AUDIT,          /* a GCP Cloud Audit Log entry */
    RIP_FORMAT_AWS_CONFIG,         /* an AWS Config rule invocation (generic) */
    RIP_FORMAT__COUNT
} rip_format;

const char *rip_cloud_name(rip_cloud c);          /* "aws", "gcp", "unknown" */
const char *rip_event_kind_name(rip_event_kind k); /* "api_call", "finding", "generic" */
const char *rip_format_name(rip_format f);        /* "cloudtrail", "eventbridge", ... */

typedef struct rip_resource {
    rip_slice type;   /* "AWS::EC2::Instance", "AwsS3Bucket", "Instance", "gce_instance" */
    rip_slice id;     /* instance id, bucket name, resource name */
    rip_slice arn;    /* ARN or full resource name when known */
} rip_resource;

typedef struct rip_event {
    int64_t time_ns;
    rip_cloud cloud;
    rip_event_kind kind;
    rip_format format;
    rip_slice id;              /* provider event id: eventID, finding id, insertId */
    rip_slice account;         /* AWS account id, GCP project id */
    rip_slice region;          /* AWS region, GCP location */

    struct {
        rip_slice type;        /* IAMUser, AssumedRole, Root, AWSService, serviceAccount, user */
        rip_slice arn;         /* ARN or principal email */
        rip_slice principal_id;
        rip_slice user;        /* user name (or session name) */
        rip_slice access_key;  /* access key id */
        rip_slice session_issuer; /* ARN of the role/user that issued the session */
        int8_t mfa;            /* -1 unknown, 0 no, 1 yes */
    } actor;

    struct {
        rip_slice service;     /* "iam.amazonaws.com", "compute.googleapis.com", "guardduty" */
        rip_slice name;        /* eventName, methodName, finding type */
        int8_t read_only;      /* -1 unknown */
        rip_slice error_code;
        rip_slice error_message;
    } action;

    struct {
        rip_slice ip;
        rip_slice user_agent;
    } source;

    rip_resource *resources;   /* batch arena */
    uint32_t nresources;

    struct {                   /* kind == RIP_EVENT_FINDING only */
        rip_slice type;        /* "Recon:EC2/PortProbeUnprotectedPort", ASFF Types[0] */
        double severity;       /* 0..10; ASFF Normalized/10 when only that is given */
        rip_slice severity_label; /* "LOW", "MEDIUM", "HIGH", "CRITICAL", "INFORMATIONAL" */
        rip_slice title;
        rip_slice description;
        rip_slice generator;   /* ASFF GeneratorId / ProductArn; GuardDuty "guardduty" */
    } finding;

    rip_slice detail_type;     /* EventBridge detail-type when the record came in one */
    rip_json_doc *doc;         /* the document the record lives in */
    const rip_json_node *raw;  /* the original record (inner record, not the envelope) */
    const rip_json_node *envelope; /* the EventBridge/SNS/Pub/Sub envelope, or NULL */
    rip_json_doc *envelope_doc;    /* the document envelope lives in (differs from
                                      doc when the record was embedded in a string) */
    uint64_t input_index;      /* 0-based index of the record in its input
                                  (the same numbering as decode errors) */
} rip_event;

/* Writes ev as one compact JSON object (the jsonl form of `riposte events`):
 * "time" (RFC 3339) and "time_ns", "cloud", "kind", "format", then the
 * normalized fields that are present (absent ones are left out, not null),
 * "finding" for findings, and with with_raw "raw" = the original record's
 * exact text (and "envelope" when it came in one). Errors are sticky in w. */
void rip_event_write_json(rip_jw *w, const rip_event *ev, int with_raw);
/* Appends one readable line (no newline) for the text form: time, cloud,
 * format, account, region, then actor/action/source for API calls or
 * severity/type/title for findings. Control bytes in values are written as
 * '?', so a hostile record cannot drive the terminal. 0 or RIP_E*. */
int rip_event_write_text(rip_buf *out, const rip_event *ev);

#endif
