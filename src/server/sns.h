/* sns.h — Amazon SNS messages as an HTTP(S) subscription receives them:
 * reading one, the string SNS signs, checking the signature, and the URL
 * patterns that say which certificates and confirmation links riposte may
 * fetch. Nothing here touches the network (the endpoint that fetches and
 * acts is source-sns.h), so all of it is tested and fuzzed offline.
 *
 * Invariants
 *   - A parsed message is complete for its type: Type, MessageId, TopicArn,
 *     Message, Timestamp (a valid date-time), SignatureVersion, Signature
 *     and SigningCertURL always; Token and SubscribeURL for
 *     SubscriptionConfirmation and UnsubscribeConfirmation. Every field is
 *     a JSON string, given once; Subject may also be null (absent).
 *   - Fields other than Message and Subject hold no control character (so
 *     a TopicArn, a URL or a Token can be compared, matched and logged as C
 *     strings without surprises); Message and Subject are kept byte-exact,
 *     NULs included, because the signature covers them.
 *   - Every field is a NUL-terminated copy owned by the message (its own
 *     arena): the request body may be freed after rip_sns_parse().
 *   - The canonical string is AWS's documented one ("Verifying the
 *     signatures of Amazon SNS messages"): "Key\nValue\n" for, in this
 *     order, Message, MessageId, Subject (only when present), Timestamp,
 *     TopicArn, Type for a Notification; Message, MessageId, SubscribeURL,
 *     Timestamp, Token, TopicArn, Type for the two confirmations.
 *   - Verification fails closed: any problem (certificate, key type,
 *     signature encoding, version, digest) gives the same RIP_EINVAL; the
 *     reason is only for the caller's log.
 *
 * Limits: fields other than Message and Subject are at most
 * RIP_SNS_FIELD_MAX bytes (URLs RIP_SNS_URL_MAX), the decoded signature at
 * most 1024 bytes (RSA 8192), the JSON nesting RIP_SNS_MAX_DEPTH and its
 * nodes RIP_SNS_MAX_NODES; past any of them the message is refused as
 * malformed.
 */
#ifndef RIPOSTE_SERVER_SNS_H
#define RIPOSTE_SERVER_SNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/slice.h"

#define RIP_SNS_FIELD_MAX 4096
#define RIP_SNS_URL_MAX 2048
#define RIP_SNS_MAX_DEPTH 16
#define RIP_SNS_MAX_NODES 65536
#define RIP_SNS_PATTERN_MAX 512

typedef enum rip_sns_type {
    RIP_SNS_NOTIFICATION = 0,
    RIP_SNS_SUBSCRIPTION_CONFIRMATION,
    RIP_SNS_UNSUBSCRIBE_CONFIRMATION,
} rip_sns_type;

/* "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation";
 * "?" for anything else. Static. */
const char *rip_sns_type_name(rip_sns_type t);

typedef struct rip_sns_message {
    rip_sns_type type;
    int signature_version;      /* 1 (SHA1withRSA), 2 (SHA256withRSA); 0: another
                                   value, which rip_sns_verify() refuses */
    int64_t timestamp_ns;       /* Timestamp, parsed */
    bool has_subject;
    /* The fields, NUL-terminated, owned by the message. Absent: {NULL, 0}. */
    rip_slice type_text, message, message_id, subject, timestamp, topic_arn, token,
        subscribe_url, unsubscribe_url, signature_version_text, signature, signing_cert_url;
    rip_arena arena_;           /* private */
} rip_sns_message;

/* Sets up an empty message. */
void rip_sns_message_init(rip_sns_message *m);
/* Frees what the message owns; it may be parsed into again. Accepts NULL. */
void rip_sns_message_release(rip_sns_message *m);

/* Reads the JSON body of an SNS POST (len bytes, need not be
 * NUL-terminated). header_type is the x-amz-sns-message-type header or
 * NULL; when given it must name the body's Type. Returns 0 and fills m
 * (released and refilled), or RIP_ESYNTAX (not a JSON object), RIP_EFORMAT
 * (a field missing, given twice, of the wrong type, too long, with a
 * control character, or a Type that is none of the three), RIP_ENOMEM; why
 * then names what was wrong ("'TopicArn' is missing"), without quoting the
 * body's values. m is left empty on failure. */
int rip_sns_parse(rip_sns_message *m, const char *body, size_t len, const char *header_type,
                  char *why, size_t whylen);

/* Appends to out the canonical string of m (see the invariants). 0, or
 * RIP_ELIMIT / RIP_ENOMEM (out's cap or memory: out is as it was). */
int rip_sns_canonical(const rip_sns_message *m, rip_buf *out);

/* Checks that pem (pem_len bytes) is a PEM X.509 certificate with an RSA
 * public key, valid at now_s (seconds since the epoch: notBefore <= now <=
 * notAfter). 0, or RIP_EINVAL with why; RIP_ENOENT when libcrypto, which
 * parses the certificate, cannot be loaded (why says so: util/crypto-load.h). */
int rip_sns_cert_check(const char *pem, size_t pem_len, int64_t now_s, char *why,
                       size_t whylen);

/* Verifies m's Signature (base64) over its canonical string with the key
 * of the certificate pem, which must pass rip_sns_cert_check() at now_s:
 * RSASSA-PKCS1-v1_5 with SHA-1 for SignatureVersion 1, SHA-256 for 2.
 * 0 when it holds; RIP_EINVAL for every failure (why says which, for the
 * log); RIP_ENOMEM; RIP_ENOENT when libcrypto cannot be loaded (why says
 * so). */
int rip_sns_verify(const rip_sns_message *m, const char *pem, size_t pem_len, int64_t now_s,
                   char *why, size_t whylen);

/* URL patterns: which URLs riposte may fetch (SigningCertURL, SubscribeURL).
 *
 * A URL is accepted for matching only when it is strictly
 * "http(s)://HOST[:PORT]/REST": HOST of letters, digits, '-' and '.' in
 * non-empty labels (no user info, no IPv6 literal, no percent sign), PORT
 * of 1 to 5 digits, REST of printable ASCII without '\' or spaces, the
 * whole at most RIP_SNS_URL_MAX bytes. A pattern has the same shape;
 * '*' and '?' are wildcards. In the scheme and host (compared without
 * regard to case) '*' matches any run of characters within one DNS label
 * — never a '.' or ':' — and '?' one such character, so the default
 * "https://sns.*.amazonaws.com/" followed by '*' accepts
 * "https://sns.us-east-1.amazonaws.com/x.pem" but not
 * "https://sns.us-east-1.amazonaws.com.evil.com/x.pem" nor
 * "https://sns.a.s3.amazonaws.com/x.pem". In the rest '*' matches
 * anything. */

/* The default patterns: https://sns.REGION.amazonaws.com/... and
 * https://sns.REGION.amazonaws.com.cn/...; NULL-terminated, static. */
extern const char *const rip_sns_default_url_patterns[];

/* true when url (len bytes) is well formed (above) and matches one of the
 * n patterns. */
bool rip_sns_url_allowed(const char *url, size_t len, const char *const *patterns, size_t n);

/* Checks that pattern has the shape of a URL pattern. 0, or RIP_EINVAL
 * with why ("expected http:// or https://"). */
int rip_sns_pattern_check(const char *pattern, char *why, size_t whylen);

/* Writes into out (cap bytes, NUL-terminated) the part of url a log may
 * show: its scheme, host and path, without the query (a SubscribeURL
 * carries the subscription's token there) or fragment, and with anything
 * but printable ASCII replaced by '?'. Returns out. */
char *rip_sns_url_for_log(const char *url, char *out, size_t cap);

#endif
