/* decode-private.h — shared by the decoders in src/normalize/decode*.c;
 * not part of the public API.
 *
 * A rip_rec is the cursor of one record being decoded: which document and
 * decoder it belongs to, how to name it in errors, and the envelope it came
 * in. Record decoders fill a rip_event that the caller pre-filled with the
 * envelope's values (time, account, region), report a rejected record with
 * rip_rec_fail() and deliver a good one with rip_rec_emit(). They return 0
 * to go on (whether the record was delivered or rejected) or the negative
 * value of a callback that asked to stop.
 */
#ifndef RIPOSTE_NORMALIZE_DECODE_PRIVATE_H
#define RIPOSTE_NORMALIZE_DECODE_PRIVATE_H

#include <stdbool.h>

#include "normalize/decode.h"

typedef struct rip_rec {
    rip_decoder *dec;
    rip_json_doc *doc;               /* the document the nodes live in */
    const char *path;
    uint64_t index;                  /* record index for errors */
    uint64_t line;                   /* NDJSON line, 0 if not line-based */
    bool ci;                         /* keys may be lower-cased (data-lake dumps) */
    bool embedded;                   /* inside an SNS/SQS/Pub/Sub payload */
    unsigned depth;                  /* container nesting */
    const rip_json_node *envelope;   /* outermost envelope, or NULL */
    rip_json_doc *envelope_doc;      /* the document envelope lives in */
} rip_rec;

/* Member of obj by key; with r->ci also matched ignoring ASCII case. */
const rip_json_node *rip_rec_get(const rip_rec *r, const rip_json_node *obj, const char *key);
/* Finds several keys of obj in one pass over its members: out[i] is the
 * value of names[i] (lens[i] its length), or NULL. With r->ci, falls back
 * to rip_rec_get() per name. For hot records where looking each key up on
 * its own would walk the members once per key. */
void rip_rec_fields(const rip_rec *r, const rip_json_node *obj, const char *const *names,
                    const uint8_t *lens, size_t n, const rip_json_node **out);

/* Dotted path through objects ("a.b.c"), with rip_rec_get() at each step. */
const rip_json_node *rip_rec_path(const rip_rec *r, const rip_json_node *obj, const char *path);
/* The decoded string at key (a number gives its text); absent otherwise. */
rip_slice rip_rec_str(const rip_rec *r, const rip_json_node *obj, const char *key);
/* As rip_rec_str() with a dotted path. */
rip_slice rip_rec_pstr(const rip_rec *r, const rip_json_node *obj, const char *path);
/* The string value of node n (a number gives its text), or absent. */
rip_slice rip_rec_node_str(const rip_rec *r, const rip_json_node *n);
/* "true"/"false" strings and JSON booleans: 1/0; anything else -1. */
int8_t rip_rec_tri(const rip_rec *r, const rip_json_node *n);

/* Parses the time at key into *ns when present. 0 when absent (ns left
 * alone) or parsed; otherwise reports the record (named by key) and
 * returns 1: the caller returns 0 without emitting. */
int rip_rec_time(rip_rec *r, const rip_json_node *obj, const char *key, int64_t *ns);
/* As rip_rec_time() for a node already looked up (key names it in errors). */
int rip_rec_time_node(rip_rec *r, const rip_json_node *n, const char *key, int64_t *ns);

/* Reports the record as rejected (stats.errors++). Always returns 0. */
int rip_rec_fail(rip_rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Delivers ev (stats.decoded++), then resets the per-record arena.
 * Returns 0 or the callback's negative value. */
int rip_rec_emit(rip_rec *r, rip_event *ev);

/* A fresh event: tri-states unknown, doc/raw/envelope set from r and raw. */
void rip_rec_event_init(const rip_rec *r, rip_event *ev, const rip_json_node *raw);

/* Last component of an ARN or resource name: after the last '/', else after
 * the last ':'; the whole slice when it has neither. */
rip_slice rip_rec_tail(rip_slice s);
/* Copies a short, printable excerpt of s (for error messages) into buf. */
const char *rip_rec_excerpt(rip_slice s, char *buf, size_t size);

/* Per-format record decoders (decode-aws.c, decode-gcp.c). ev is
 * pre-filled by the caller; the record is rec. */
int rip_decode_cloudtrail(rip_rec *r, const rip_json_node *rec, rip_event *ev);
int rip_decode_guardduty(rip_rec *r, const rip_json_node *rec, rip_event *ev);
int rip_decode_asff(rip_rec *r, const rip_json_node *rec, rip_event *ev);
int rip_decode_gcp(rip_rec *r, const rip_json_node *rec, rip_event *ev);

/* True when obj looks like a GuardDuty finding with boto3's PascalCase keys. */
bool rip_decode_is_pascal_guardduty(const rip_rec *r, const rip_json_node *obj);

#endif
