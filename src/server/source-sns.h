/* source-sns.h — POST /v1/sns: an Amazon SNS HTTP(S) subscription as a
 * source of `riposte serve` (sources of kind sns, docs/CONFIG.md).
 *
 * A request is taken in this order, and refused at the first problem:
 *   1. the body is an SNS message (sns.h; else 400 naming what is wrong);
 *   2. its TopicArn matches the topics of an sns source (the first one that
 *      matches gives the rest of the settings);
 *   3. its Timestamp is at most max_age old and at most 5 minutes ahead;
 *   4. its SignatureVersion is 1 or 2, its SigningCertURL (and, for a
 *      SubscriptionConfirmation, its SubscribeURL) matches the source's URL
 *      patterns — a refused URL is never fetched;
 *   5. the certificate (from the cache, else fetched: no redirects, at most
 *      RIP_SNS_CERT_MAX bytes, within the timeout) is an X.509 certificate
 *      valid now, and the signature holds over the canonical string.
 * Refusals at 2 to 5 all answer 403 with the same text (the log and the
 * audit entry say why); a certificate that could not be fetched at all
 * answers 503 (SNS sends again). Only then is it acted on:
 *   - Notification: its Message is ingested as an SQS message's content is
 *     (rip_sqs_ingest_content(): an EventBridge event, a record, or an S3
 *     notification whose objects are fetched); 200 once committed, 400 when
 *     nothing in it could be decoded, 503 when the store failed;
 *   - SubscriptionConfirmation: the SubscribeURL is fetched (GET) to
 *     confirm; 200 when SNS answered 2xx, else 502;
 *   - UnsubscribeConfirmation: recorded; 200.
 *
 * Invariants
 *   - Nothing logged, audited or answered holds a Token or a SubscribeURL's
 *     query (which carries the token); values from the request are shown
 *     only as printable ASCII, truncated.
 *   - The certificate cache holds at most RIP_SNS_CACHE_MAX certificates,
 *     each for at most RIP_SNS_CACHE_TTL_S; only certificates that passed
 *     rip_sns_cert_check() are kept. Requests may come from many threads:
 *     the cache and the S3 client are each behind a mutex, and no lock is
 *     held while a certificate is fetched.
 */
#ifndef RIPOSTE_SERVER_SOURCE_SNS_H
#define RIPOSTE_SERVER_SOURCE_SNS_H

#include <stddef.h>
#include <stdint.h>

#include "server/config.h"
#include "server/sns.h"
#include "server/source-sqs.h"

#define RIP_SNS_CERT_MAX (64 * 1024)
#define RIP_SNS_CACHE_MAX 32
#define RIP_SNS_CACHE_TTL_S 86400
#define RIP_SNS_FUTURE_S 300            /* how far ahead a Timestamp may be */

typedef struct rip_sns_endpoint rip_sns_endpoint;

typedef struct rip_sns_endpoint_opts {
    const rip_config *cfg;      /* borrowed: its sources of kind sns, its aws section (S3) */
    long timeout_ms;            /* each fetch (certificate, confirmation); <= 0: 5000 */
    void (*log)(void *ud, const char *line);
    void *log_ud;
} rip_sns_endpoint_opts;

/* A new endpoint, or NULL when out of memory. Nothing is fetched yet. */
rip_sns_endpoint *rip_sns_endpoint_new(const rip_sns_endpoint_opts *o);
/* Frees it (no request may be in progress). Accepts NULL. */
void rip_sns_endpoint_free(rip_sns_endpoint *e);

typedef struct rip_sns_request {
    const char *message_type;   /* the x-amz-sns-message-type header, or NULL */
    const char *body;
    size_t len;
    const char *remote;         /* the client's address, for the log */
    int64_t now_ns;
    rip_sqs_ingest_fn ingest;   /* stores a Notification's content */
    void *ud;
} rip_sns_request;

/* What became of a request: the caller answers, logs and audits it. */
typedef struct rip_sns_outcome {
    int status;                 /* 200, 400, 403, 502, 503 */
    rip_sns_type type;          /* when the body parsed */
    char error[256];            /* for the client when status != 200 (plain text) */
    char log[768];              /* a line for the log, or "" */
    const char *audit_action;   /* "sns_refused", "sns_subscription_confirmed",
                                   "sns_unsubscribed", or NULL: nothing to audit */
    char audit_detail[768];     /* JSON object text, with audit_action */
} rip_sns_outcome;

/* Takes one POST /v1/sns (see above) and fills out. Thread-safe. */
void rip_sns_endpoint_handle(rip_sns_endpoint *e, const rip_sns_request *r,
                             rip_sns_outcome *out);

/* The certificates fetched so far (for tests and metrics). */
uint64_t rip_sns_endpoint_fetches(rip_sns_endpoint *e);

#endif
