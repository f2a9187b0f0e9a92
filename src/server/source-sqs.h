/* source-sqs.h — an SQS queue as a source of `riposte serve`.
 *
 * One thread per queue long-polls it (ReceiveMessage, AWS JSON protocol)
 * and hands each message's content to the caller's ingest function:
 *   - an EventBridge event (a rule targeting the queue), or any record
 *     riposte decodes, as it is;
 *   - an S3 event notification (s3:ObjectCreated:*): each object is fetched
 *     (GetObject) and its bytes are ingested (gzipped CloudTrail files
 *     included); s3:TestEvent is dropped;
 *   - either of those wrapped by SNS ({"Type": "Notification", "Message"}).
 * A message is deleted only after ingest said its events are committed. A
 * message that cannot be read (not JSON, an object that is gone) is logged
 * and left to SQS: it comes back after the visibility timeout and goes to
 * the queue's dead-letter queue after its maxReceiveCount. Errors talking to
 * SQS back off, doubling up to backoff_max_s.
 */
#ifndef RIPOSTE_SERVER_SOURCE_SQS_H
#define RIPOSTE_SERVER_SOURCE_SQS_H

#include <stddef.h>
#include <stdint.h>

#include "cloud/aws-http.h"

typedef struct rip_sqs_poller rip_sqs_poller;

/* Stores and detects data (a whole record or file): 0 once its events are
 * committed (a message may then be deleted), else a negative RIP_E*.
 * *events is how many were accepted. Called from the poller's thread. */
typedef int (*rip_sqs_ingest_fn)(void *ud, const char *name, const char *data, size_t len,
                                 size_t *events);

typedef struct rip_sqs_opts {
    const char *name;          /* the source's name, for logs */
    const char *queue_url;
    const char *region;        /* NULL: the environment's */
    const char *profile;       /* NULL: the default chain */
    const char *endpoint_url;  /* NULL: AWS's (tests: moto) */
    uint32_t wait_s;           /* long poll, 0..20 */
    uint32_t max_messages;     /* 1..10 */
    uint32_t visibility_timeout_s;
    uint32_t backoff_max_s;
    rip_sqs_ingest_fn ingest;
    void *ud;
    void (*log)(void *ud, const char *line);
    void *log_ud;
} rip_sqs_opts;

typedef struct rip_sqs_stats {
    uint64_t received, deleted, objects, unreadable, errors;
} rip_sqs_stats;

/* One message's content as a poller reads it, for anything else that
 * receives the same content (the SNS endpoint, source-sns.h, hands its
 * verified Message here). */
typedef struct rip_sqs_content {
    const char *name;          /* the source's name: the data's name, the log's prefix */
    rip_aws_client *client;    /* fetches S3 objects (one thread at a time); NULL: none */
    rip_sqs_ingest_fn ingest;
    void *ud;
    void (*log)(void *ud, const char *line);
    void *log_ud;
    uint64_t objects;          /* out: S3 objects fetched and ingested */
} rip_sqs_content;

/* Ingests body (len bytes) as the list above says: an EventBridge event or
 * any record as it is, each object of an S3 notification fetched and
 * ingested, s3:TestEvent dropped, SNS unwrapped once. 0 when all of it was
 * committed (or needs nothing); else RIP_ESYNTAX (not JSON), RIP_EINVAL (an
 * S3 record without bucket or key), RIP_EIO (GetObject failed, logged), or
 * what ingest returned (RIP_EFORMAT: nothing could be decoded). */
int rip_sqs_ingest_content(rip_sqs_content *c, const char *body, size_t len);

/* Starts polling. 0 and *out, or a negative RIP_E* with err. */
int rip_sqs_start(const rip_sqs_opts *o, rip_sqs_poller **out, char *err, size_t errlen);
void rip_sqs_get_stats(rip_sqs_poller *p, rip_sqs_stats *out);
/* Stops after the poll in progress (at most wait_s) and frees. NULL ok. */
void rip_sqs_stop(rip_sqs_poller *p);

#endif
