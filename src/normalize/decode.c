/* decode.c — input sniffing, containers and envelopes; hands each record to
 * the per-format decoders (decode-aws.c, decode-gcp.c).
 *
 * Shapes, outermost first:
 *   gzip            -> gunzip, then as below
 *   one JSON value  -> array of records | object (container or record)
 *   NDJSON          -> each line one value, as above; a bad line is one error
 * Object records are classified by their keys (classify()). Containers:
 *   {"Records":[...]} (CloudTrail S3 objects; also SNS/SQS Lambda batches),
 *   {"Findings":[...]} / {"findings":[...]} (ASFF or GuardDuty exports),
 *   EventBridge events (Security Hub ones carry detail.findings[]),
 *   SNS notifications and SQS messages (JSON in a string), Pub/Sub push
 *   (base64 JSON in message.data).
 */
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "normalize/decode-private.h"
#include "sources/input.h"
#include "util/base64.h"
#include "util/err.h"
#include "util/timeutil.h"

#define MAX_CONTAINER_DEPTH 4
#define RECORD_ARENA_CAP ((size_t)64 << 20)

/* ---- helpers shared with the format decoders ---- */

static bool key_eq_ci(const rip_json_node *k, const char *key, size_t klen)
{
    if (k->len != klen || (k->flags & RIP_JSON_F_ESCAPED))
        return false;
    for (size_t i = 0; i < klen; i++) {
        unsigned char a = (unsigned char)k->ptr[i], b = (unsigned char)key[i];
        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return false;
    }
    return true;
}

void rip_rec_fields(const rip_rec *r, const rip_json_node *obj, const char *const *names,
                    const uint8_t *lens, size_t n, const rip_json_node **out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    if (!rip_json_is(obj, RIP_JSON_OBJECT))
        return;
    if (r->ci) {
        for (size_t i = 0; i < n; i++)
            out[i] = rip_rec_get(r, obj, names[i]);
        return;
    }
    RIP_JSON_EACH(k, obj) {
        bool esc = (k->flags & RIP_JSON_F_ESCAPED) != 0;
        for (size_t i = 0; i < n; i++) {
            if (out[i])
                continue;
            if (esc ? rip_json_str_eq(k, names[i])
                    : (k->len == lens[i] && k->ptr[0] == names[i][0] &&
                       rip_json_bytes_eq(k->ptr, names[i], lens[i]))) {
                out[i] = k + 1;
                break;
            }
        }
    }
}

const rip_json_node *rip_rec_get(const rip_rec *r, const rip_json_node *obj, const char *key)
{
    if (!rip_json_is(obj, RIP_JSON_OBJECT))
        return NULL;
    const rip_json_node *n = rip_json_get(obj, key);
    if (n || !r->ci)
        return n;
    size_t klen = strlen(key);
    RIP_JSON_EACH(k, obj) {
        if (key_eq_ci(k, key, klen))
            return k + 1;
    }
    return NULL;
}

const rip_json_node *rip_rec_path(const rip_rec *r, const rip_json_node *obj, const char *path)
{
    char key[64];
    while (obj && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        obj = rip_rec_get(r, obj, key);
        path += n + (dot ? 1 : 0);
    }
    return obj;
}

rip_slice rip_rec_node_str(const rip_rec *r, const rip_json_node *n)
{
    if (!n)
        return RIP_SLICE_NULL;
    if (n->type == RIP_JSON_STRING)
        return n->flags & RIP_JSON_F_ESCAPED ? rip_json_str(r->doc, n) : rip_slice_make(n->ptr, n->len);
    if (n->type == RIP_JSON_NUMBER)
        return rip_slice_make(n->ptr, n->len);
    return RIP_SLICE_NULL;
}

rip_slice rip_rec_str(const rip_rec *r, const rip_json_node *obj, const char *key)
{
    return rip_rec_node_str(r, rip_rec_get(r, obj, key));
}

rip_slice rip_rec_pstr(const rip_rec *r, const rip_json_node *obj, const char *path)
{
    return rip_rec_node_str(r, rip_rec_path(r, obj, path));
}

int8_t rip_rec_tri(const rip_rec *r, const rip_json_node *n)
{
    if (!n)
        return -1;
    if (n->type == RIP_JSON_TRUE)
        return 1;
    if (n->type == RIP_JSON_FALSE)
        return 0;
    rip_slice s = rip_rec_node_str(r, n);
    if (rip_slice_eq(s, "true") || rip_slice_eq(s, "True"))
        return 1;
    if (rip_slice_eq(s, "false") || rip_slice_eq(s, "False"))
        return 0;
    return -1;
}

rip_slice rip_rec_tail(rip_slice s)
{
    if (!s.ptr)
        return s;
    for (size_t i = s.len; i > 0; i--)
        if (s.ptr[i - 1] == '/')
            return rip_slice_make(s.ptr + i, s.len - i);
    for (size_t i = s.len; i > 0; i--)
        if (s.ptr[i - 1] == ':')
            return rip_slice_make(s.ptr + i, s.len - i);
    return s;
}

const char *rip_rec_excerpt(rip_slice s, char *buf, size_t size)
{
    size_t n = 0, max = size > 4 ? size - 4 : 0;
    for (size_t i = 0; i < s.len && n < max; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        buf[n++] = (c < 0x20 || c >= 0x7f || c == '\'') ? '?' : (char)c;
    }
    if (n < s.len && size >= 4) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    if (size)
        buf[n < size ? n : size - 1] = '\0';
    return buf;
}

static void report_ex(rip_decoder *dec, const char *path, uint64_t index, uint64_t line,
                      uint64_t column, int whole)
{
    dec->stats.errors++;
    if (!dec->on_error)
        return;
    rip_decode_error e = {
        .path = path, .index = index, .line = line, .column = column, .reason = dec->reason,
        .whole_input = whole,
    };
    dec->on_error(dec->ud, &e);
}

static void report(rip_decoder *dec, const char *path, uint64_t index, uint64_t line,
                   uint64_t column)
{
    report_ex(dec, path, index, line, column, 0);
}

int rip_rec_fail(rip_rec *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->dec->reason, sizeof(r->dec->reason), fmt, ap);
    va_end(ap);
    report(r->dec, r->path, r->index, r->line, 0);
    rip_arena_reset(&r->dec->arena);
    return 0;
}

int rip_rec_time(rip_rec *r, const rip_json_node *obj, const char *key, int64_t *ns)
{
    return rip_rec_time_node(r, rip_rec_get(r, obj, key), key, ns);
}

int rip_rec_time_node(rip_rec *r, const rip_json_node *n, const char *key, int64_t *ns)
{
    char ex[48];
    int64_t t;
    if (!n || n->type == RIP_JSON_NULL)
        return 0;
    if (n->type != RIP_JSON_STRING) {
        rip_rec_fail(r, "%s is not a string", key);
        return 1;
    }
    rip_slice s = rip_json_str(r->doc, n);
    if (!s.ptr || rip_time_parse(s.ptr, s.len, &t) < 0) {
        rip_rec_fail(r, "invalid %s '%s': expected an RFC 3339 date-time", key,
                     rip_rec_excerpt(rip_slice_make(n->ptr, n->len), ex, sizeof(ex)));
        return 1;
    }
    *ns = t;
    return 0;
}

int rip_rec_emit(rip_rec *r, rip_event *ev)
{
    rip_decoder *dec = r->dec;
    int rc = dec->on_event ? dec->on_event(dec->ud, ev) : 0;
    dec->stats.decoded++;
    rip_arena_reset(&dec->arena);
    return rc < 0 ? rc : 0;
}

void rip_rec_event_init(const rip_rec *r, rip_event *ev, const rip_json_node *raw)
{
    memset(ev, 0, sizeof(*ev));
    ev->actor.mfa = -1;
    ev->action.read_only = -1;
    ev->doc = r->doc;
    ev->raw = raw;
    ev->envelope = r->envelope;
    ev->input_index = r->index;
}

/* ---- classification ---- */

typedef enum rec_class {
    C_UNKNOWN,
    C_EVENTBRIDGE,
    C_EB_PATTERN,
    C_DETAIL_ONLY,
    C_RECORDS,
    C_FINDINGS,
    C_PUBSUB,
    C_SNS,
    C_SNS_RECORD,
    C_SQS_RECORD,
    C_DIGEST,
    C_S3_NOTIFICATION,
    C_ASFF,
    C_GUARDDUTY,
    C_GUARDDUTY_PASCAL,
    C_GCP,
    C_GCP_CI,
    C_CLOUDTRAIL,
    C_CLOUDTRAIL_CI,
    C_CONFIG_RULE,
} rec_class;

/* Classification reads each top-level key once: keys that matter set a bit,
 * then the rules below look at bits (and at a value where needed). */
enum {
    K00_detail_type,
    K01_source,
    K02_Records,
    K03_Findings,
    K04_findings,
    K05_message,
    K06_Type,
    K07_Message,
    K08_Sns,
    K09_eventSource,
    K10_body,
    K11_s3,
    K12_digestStartTime,
    K13_digestEndTime,
    K14_configRuleName,
    K15_invokingEvent,
    K16_detail,
    K17_eventName,
    K18_protoPayload,
    K19_SchemaVersion,
    K20_ProductArn,
    K21_GeneratorId,
    K22_AwsAccountId,
    K23_Types,
    K24_type,
    K25_schemaVersion,
    K26_severity,
    K27_id,
    K28_arn,
    K29_service,
    K30_resource,
    K31_updatedAt,
    K32_Resource,
    K33_Service,
    K34_AccountId,
    K35_Id,
    K36_logName,
    K37_insertId,
    K38_protopayload,
    K39_logname,
    K40_insertid,
    K41_eventVersion,
    K42_userIdentity,
    K43_eventname,
    K44_eventsource,
    K__COUNT
};

typedef struct key_name {
    const char *name;
    uint8_t len;
    uint8_t id;
} key_name;

static const key_name class_keys[] = {
    { "detail-type", 11, K00_detail_type },
    { "source", 6, K01_source },
    { "Records", 7, K02_Records },
    { "Findings", 8, K03_Findings },
    { "findings", 8, K04_findings },
    { "message", 7, K05_message },
    { "Type", 4, K06_Type },
    { "Message", 7, K07_Message },
    { "Sns", 3, K08_Sns },
    { "eventSource", 11, K09_eventSource },
    { "body", 4, K10_body },
    { "s3", 2, K11_s3 },
    { "digestStartTime", 15, K12_digestStartTime },
    { "digestEndTime", 13, K13_digestEndTime },
    { "configRuleName", 14, K14_configRuleName },
    { "invokingEvent", 13, K15_invokingEvent },
    { "detail", 6, K16_detail },
    { "eventName", 9, K17_eventName },
    { "protoPayload", 12, K18_protoPayload },
    { "SchemaVersion", 13, K19_SchemaVersion },
    { "ProductArn", 10, K20_ProductArn },
    { "GeneratorId", 11, K21_GeneratorId },
    { "AwsAccountId", 12, K22_AwsAccountId },
    { "Types", 5, K23_Types },
    { "type", 4, K24_type },
    { "schemaVersion", 13, K25_schemaVersion },
    { "severity", 8, K26_severity },
    { "id", 2, K27_id },
    { "arn", 3, K28_arn },
    { "service", 7, K29_service },
    { "resource", 8, K30_resource },
    { "updatedAt", 9, K31_updatedAt },
    { "Resource", 8, K32_Resource },
    { "Service", 7, K33_Service },
    { "AccountId", 9, K34_AccountId },
    { "Id", 2, K35_Id },
    { "logName", 7, K36_logName },
    { "insertId", 8, K37_insertId },
    { "protopayload", 12, K38_protopayload },
    { "logname", 7, K39_logname },
    { "insertid", 8, K40_insertid },
    { "eventVersion", 12, K41_eventVersion },
    { "userIdentity", 12, K42_userIdentity },
    { "eventname", 9, K43_eventname },
    { "eventsource", 11, K44_eventsource },
};

#define B(k) ((uint64_t)1 << (k))

typedef struct key_set {
    uint64_t bits;
    const rip_json_node *val[K__COUNT];
} key_set;

/* class_keys grouped by length, built once: a key is compared only with
 * the few names of its own length. */
#define KEY_MAX_LEN 24
static uint8_t keys_by_len[KEY_MAX_LEN][8];
static uint8_t nkeys_by_len[KEY_MAX_LEN];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static void keys_index(void)
{
    for (uint8_t i = 0; i < sizeof(class_keys) / sizeof(class_keys[0]); i++) {
        uint8_t len = class_keys[i].len;
        if (len < KEY_MAX_LEN && nkeys_by_len[len] < 8)
            keys_by_len[len][nkeys_by_len[len]++] = i;
    }
}

static void key_set_fill(key_set *ks, const rip_json_node *o)
{
    pthread_once(&keys_once, keys_index);
    ks->bits = 0;
    RIP_JSON_EACH(k, o) {
        bool esc = (k->flags & RIP_JSON_F_ESCAPED) != 0;
        size_t n = esc ? sizeof(class_keys) / sizeof(class_keys[0])
                       : (k->len < KEY_MAX_LEN ? nkeys_by_len[k->len] : 0);
        for (size_t j = 0; j < n; j++) {
            const key_name *kn = esc ? &class_keys[j] : &class_keys[keys_by_len[k->len][j]];
            if (esc ? rip_json_str_eq(k, kn->name)
                    : (kn->name[0] == k->ptr[0] && rip_json_bytes_eq(kn->name, k->ptr, kn->len))) {
                if (!(ks->bits & B(kn->id))) {
                    ks->bits |= B(kn->id);
                    ks->val[kn->id] = k + 1;
                }
                break;
            }
        }
    }
}

static bool ks_has(const key_set *ks, int id)
{
    return (ks->bits & B(id)) != 0;
}

static bool ks_is(const key_set *ks, int id, rip_json_type t)
{
    return ks_has(ks, id) && ks->val[id]->type == t;
}

static const rip_json_node *ks_get(const key_set *ks, int id)
{
    return ks_has(ks, id) ? ks->val[id] : NULL;
}

static bool has_type(const rip_json_node *o, const char *k, rip_json_type t)
{
    return rip_json_is(rip_json_get(o, k), t);
}

static rec_class classify(const rip_json_node *o)
{
    key_set ks;
    key_set_fill(&ks, o);
    const rip_json_node *n = ks_get(&ks, K00_detail_type);
    if (n) {
        if (n->type == RIP_JSON_ARRAY || ks_is(&ks, K01_source, RIP_JSON_ARRAY))
            return C_EB_PATTERN;
        if (n->type == RIP_JSON_STRING)
            return C_EVENTBRIDGE;
    }
    if (ks_is(&ks, K02_Records, RIP_JSON_ARRAY))
        return C_RECORDS;
    if (ks_is(&ks, K03_Findings, RIP_JSON_ARRAY) || ks_is(&ks, K04_findings, RIP_JSON_ARRAY))
        return C_FINDINGS;
    n = ks_get(&ks, K05_message);
    if (rip_json_is(n, RIP_JSON_OBJECT) && has_type(n, "data", RIP_JSON_STRING))
        return C_PUBSUB;
    if (rip_json_str_eq(ks_get(&ks, K06_Type), "Notification") && ks_is(&ks, K07_Message, RIP_JSON_STRING))
        return C_SNS;
    if (ks_is(&ks, K08_Sns, RIP_JSON_OBJECT))
        return C_SNS_RECORD;
    if (rip_json_str_eq(ks_get(&ks, K09_eventSource), "aws:sqs") && ks_is(&ks, K10_body, RIP_JSON_STRING))
        return C_SQS_RECORD;
    if (rip_json_str_eq(ks_get(&ks, K09_eventSource), "aws:s3") && ks_is(&ks, K11_s3, RIP_JSON_OBJECT))
        return C_S3_NOTIFICATION;
    if (ks_has(&ks, K12_digestStartTime) && ks_has(&ks, K13_digestEndTime))
        return C_DIGEST;
    if (ks_has(&ks, K14_configRuleName) && ks_is(&ks, K15_invokingEvent, RIP_JSON_STRING))
        return C_CONFIG_RULE;
    if (ks_is(&ks, K16_detail, RIP_JSON_OBJECT) && !ks_has(&ks, K17_eventName) && !ks_has(&ks, K18_protoPayload))
        return C_DETAIL_ONLY;
    if ((ks_has(&ks, K19_SchemaVersion) &&
         (ks_has(&ks, K20_ProductArn) || ks_has(&ks, K21_GeneratorId) || ks_has(&ks, K22_AwsAccountId))) ||
        (ks_has(&ks, K20_ProductArn) && ks_has(&ks, K23_Types)))
        return C_ASFF;
    if (ks_is(&ks, K24_type, RIP_JSON_STRING) &&
        (ks_has(&ks, K25_schemaVersion) ||
         (ks_has(&ks, K26_severity) && (ks_has(&ks, K27_id) || ks_has(&ks, K28_arn)) &&
          (ks_has(&ks, K29_service) || ks_has(&ks, K30_resource) || ks_has(&ks, K31_updatedAt)))))
        return C_GUARDDUTY;
    if (ks_is(&ks, K06_Type, RIP_JSON_STRING) && !ks_has(&ks, K24_type) &&
        (ks_has(&ks, K32_Resource) || ks_has(&ks, K33_Service)) &&
        (ks_has(&ks, K34_AccountId) || ks_has(&ks, K19_SchemaVersion) || ks_has(&ks, K35_Id)))
        return C_GUARDDUTY_PASCAL;
    if (ks_is(&ks, K18_protoPayload, RIP_JSON_OBJECT) || (ks_has(&ks, K36_logName) && ks_has(&ks, K37_insertId)))
        return C_GCP;
    if (ks_is(&ks, K38_protopayload, RIP_JSON_OBJECT) || (ks_has(&ks, K39_logname) && ks_has(&ks, K40_insertid)))
        return C_GCP_CI;
    if (ks_has(&ks, K17_eventName) || ks_has(&ks, K09_eventSource) ||
        (ks_has(&ks, K41_eventVersion) && ks_has(&ks, K42_userIdentity)))
        return C_CLOUDTRAIL;
    if (ks_has(&ks, K43_eventname) || ks_has(&ks, K44_eventsource))
        return C_CLOUDTRAIL_CI;
    return C_UNKNOWN;
}

static const char *json_type_name(const rip_json_node *n)
{
    switch (n->type) {
    case RIP_JSON_NULL:
        return "null";
    case RIP_JSON_FALSE:
    case RIP_JSON_TRUE:
        return "boolean";
    case RIP_JSON_NUMBER:
        return "number";
    case RIP_JSON_STRING:
        return "string";
    case RIP_JSON_ARRAY:
        return "array";
    default:
        return "object";
    }
}

static int decode_object(rip_rec *r, const rip_json_node *o);
static int decode_value(rip_rec *r, const rip_json_node *v);

/* Element i of a container whose cursor is r: one record. */
static int decode_element(const rip_rec *r, const rip_json_node *el, uint64_t i, bool findings)
{
    rip_rec sub = *r;
    sub.index = r->depth == 0 && r->line == 0 ? i : r->index;
    sub.depth = r->depth + 1;
    if (!rip_json_is(el, RIP_JSON_OBJECT))
        return rip_rec_fail(&sub, "record is a JSON %s, not an object", json_type_name(el));
    if (findings) {
        rec_class c = classify(el);
        rip_event ev;
        rip_rec_event_init(&sub, &ev, el);
        if (c == C_GUARDDUTY || c == C_GUARDDUTY_PASCAL)
            return rip_decode_guardduty(&sub, el, &ev);
        return rip_decode_asff(&sub, el, &ev);
    }
    return decode_object(&sub, el);
}

/* Elements of a container, each a record indexed by its position. */
static int decode_elements(rip_rec *r, const rip_json_node *arr, bool findings)
{
    uint64_t i = 0;
    if (r->depth >= MAX_CONTAINER_DEPTH)
        return rip_rec_fail(r, "containers nested deeper than %d levels", MAX_CONTAINER_DEPTH);
    RIP_JSON_EACH(el, arr) {
        int rc = decode_element(r, el, i, findings);
        if (rc < 0)
            return rc;
        i++;
    }
    return 0;
}

/* JSON carried inside a string (SNS Message, SQS body) or base64
 * (Pub/Sub data) becomes its own document. */
static int decode_embedded(rip_rec *r, const rip_json_node *holder, const rip_json_node *str,
                           bool base64, const char *what)
{
    rip_decoder *dec = r->dec;
    rip_json_error jerr;
    int rc;

    if (r->embedded)
        return rip_rec_fail(r, "%s inside another embedded payload", what);
    rip_buf_reset(&dec->embedded);
    if (base64) {
        rip_slice s = rip_json_str(r->doc, str);
        if (!s.ptr)
            return rip_rec_fail(r, "%s: out of memory", what);
        rc = rip_base64_decode(s.ptr, s.len, &dec->embedded);
        if (rc < 0)
            return rip_rec_fail(r, "%s is not valid base64", what);
    } else {
        rc = rip_json_unescape(str->ptr, str->len, &dec->embedded);
        if (rc < 0)
            return rip_rec_fail(r, "%s: %s", what, rip_strerror(rc));
    }
    rc = rip_json_parse(&dec->inner, dec->embedded.ptr, dec->embedded.len, &jerr);
    if (rc < 0)
        return rip_rec_fail(r, "%s is not JSON: %s at line %u column %u", what, jerr.msg,
                            jerr.line, jerr.column);
    rip_rec sub = *r;
    sub.doc = &dec->inner;
    sub.embedded = true;
    sub.ci = false;
    sub.envelope_doc = r->envelope ? r->envelope_doc : r->doc;
    sub.envelope = r->envelope ? r->envelope : holder;
    return decode_value(&sub, rip_json_root(&dec->inner));
}

static bool is_cloudtrail_detail_type(rip_slice dt)
{
    return rip_slice_eq(dt, "AWS API Call via CloudTrail") ||
           rip_slice_eq(dt, "AWS Console Sign In via CloudTrail") ||
           rip_slice_eq(dt, "AWS Service Event via CloudTrail") ||
           rip_slice_eq(dt, "AWS Insight via CloudTrail");
}

static int decode_eventbridge(rip_rec *r, const rip_json_node *o)
{
    rip_event base;
    rip_rec sub = *r;
    rip_slice dt = rip_json_str(r->doc, rip_json_get(o, "detail-type"));
    const rip_json_node *detail = rip_json_get(o, "detail");

    if (!sub.envelope) {
        sub.envelope = o;
        sub.envelope_doc = r->doc;
    }
    rip_rec_event_init(&sub, &base, o);
    if (rip_rec_time(&sub, o, "time", &base.time_ns))
        return 0;
    base.account = rip_rec_str(&sub, o, "account");
    base.region = rip_rec_str(&sub, o, "region");
    base.detail_type = dt;

    if (is_cloudtrail_detail_type(dt)) {
        if (!rip_json_is(detail, RIP_JSON_OBJECT))
            return rip_rec_fail(&sub, "'%s' event without a detail object", "AWS API Call via CloudTrail");
        base.raw = detail;
        return rip_decode_cloudtrail(&sub, detail, &base);
    }
    if (rip_slice_eq(dt, "GuardDuty Finding")) {
        if (!rip_json_is(detail, RIP_JSON_OBJECT))
            return rip_rec_fail(&sub, "'GuardDuty Finding' event without a detail object");
        base.raw = detail;
        return rip_decode_guardduty(&sub, detail, &base);
    }
    if (rip_slice_eq(dt, "Security Hub Findings - Imported") ||
        rip_slice_eq(dt, "Security Hub Findings - Custom Action")) {
        const rip_json_node *f = rip_json_get(detail, "findings");
        if (!rip_json_is(f, RIP_JSON_ARRAY))
            return rip_rec_fail(&sub, "Security Hub event without detail.findings[]");
        RIP_JSON_EACH(el, f) {
            rip_event ev = base;
            int rc;
            ev.raw = el;
            if (!rip_json_is(el, RIP_JSON_OBJECT))
                rc = rip_rec_fail(&sub, "detail.findings holds a JSON %s, not an object",
                                  json_type_name(el));
            else
                rc = rip_decode_asff(&sub, el, &ev);
            if (rc < 0)
                return rc;
        }
        return 0;
    }

    /* Any other detail-type: kept whole as a generic event. */
    rip_event ev = base;
    ev.cloud = RIP_CLOUD_AWS;
    ev.kind = RIP_EVENT_GENERIC;
    ev.format = RIP_FORMAT_EVENTBRIDGE;
    ev.raw = o;
    ev.envelope = r->envelope;
    ev.envelope_doc = r->envelope_doc;
    ev.id = rip_rec_str(&sub, o, "id");
    ev.action.service = rip_rec_str(&sub, o, "source");
    ev.action.name = dt;
    const rip_json_node *res = rip_json_get(o, "resources");
    if (rip_json_is(res, RIP_JSON_ARRAY) && res->skip > 1) {
        uint32_t cnt = rip_json_count(res), i = 0;
        if (cnt > 4096)
            cnt = 4096;
        rip_resource *out = rip_arena_calloc(&r->dec->arena, cnt, sizeof(*out));
        if (!out)
            return rip_rec_fail(&sub, "out of memory for %u resources", cnt);
        RIP_JSON_EACH(el, res) {
            if (i >= cnt)
                break;
            rip_slice arn = rip_rec_node_str(&sub, el);
            if (!arn.ptr)
                continue;
            out[i].arn = arn;
            out[i].id = rip_rec_tail(arn);
            i++;
        }
        ev.resources = out;
        ev.nresources = i;
    }
    return rip_rec_emit(&sub, &ev);
}

/* The payload AWS Config hands a custom rule's Lambda: what changed is in
 * invokingEvent, a JSON document inside a string. Kept as a generic event. */
static int decode_config_rule(rip_rec *r, const rip_json_node *o)
{
    rip_decoder *dec = r->dec;
    rip_event ev;
    rip_rec inner = *r;
    rip_json_error jerr;
    const rip_json_node *ie = rip_json_get(o, "invokingEvent");

    rip_rec_event_init(r, &ev, o);
    ev.cloud = RIP_CLOUD_AWS;
    ev.kind = RIP_EVENT_GENERIC;
    ev.format = RIP_FORMAT_AWS_CONFIG;
    ev.account = rip_rec_str(r, o, "accountId");
    ev.action.service = rip_slice_cstr("config.amazonaws.com");
    if (r->embedded)
        return rip_rec_emit(r, &ev);   /* the inner document is in use */
    rip_buf_reset(&dec->embedded);
    if (rip_json_unescape(ie->ptr, ie->len, &dec->embedded) < 0 ||
        rip_json_parse(&dec->inner, dec->embedded.ptr, dec->embedded.len, &jerr) < 0)
        return rip_rec_fail(r, "invokingEvent is not a JSON document");
    inner.doc = &dec->inner;
    const rip_json_node *root = rip_json_root(&dec->inner);
    if (rip_rec_time(&inner, root, "notificationCreationTime", &ev.time_ns))
        return 0;
    ev.action.name = rip_rec_str(&inner, root, "messageType");
    const rip_json_node *ci = rip_json_get(root, "configurationItem");
    if (rip_json_is(ci, RIP_JSON_OBJECT)) {
        rip_resource *res = rip_arena_calloc(&dec->arena, 1, sizeof(*res));
        if (!res)
            return rip_rec_fail(r, "out of memory for resources");
        res->type = rip_rec_str(&inner, ci, "resourceType");
        res->id = rip_rec_str(&inner, ci, "resourceId");
        res->arn = rip_rec_str(&inner, ci, "ARN");
        ev.resources = res;
        ev.nresources = 1;
        ev.region = rip_rec_str(&inner, ci, "awsRegion");
    }
    return rip_rec_emit(r, &ev);
}

/* {"detail": {...}} with envelope fields missing (test fixtures, Lambda
 * payloads built by hand): the detail says what it is. */
static int decode_detail_only(rip_rec *r, const rip_json_node *o)
{
    const rip_json_node *d = rip_json_get(o, "detail");
    rip_rec sub = *r;
    rip_event ev;
    if (!sub.envelope) {
        sub.envelope = o;
        sub.envelope_doc = r->doc;
    }
    rip_rec_event_init(&sub, &ev, d);
    ev.region = rip_rec_str(&sub, o, "region");
    ev.account = rip_rec_str(&sub, o, "account");
    switch (classify(d)) {
    case C_GUARDDUTY:
    case C_GUARDDUTY_PASCAL:
        return rip_decode_guardduty(&sub, d, &ev);
    case C_ASFF:
        return rip_decode_asff(&sub, d, &ev);
    case C_CLOUDTRAIL:
        return rip_decode_cloudtrail(&sub, d, &ev);
    default:
        return rip_rec_fail(&sub, "object with a 'detail' but no 'detail-type', and the "
                                  "detail is not a CloudTrail record or finding");
    }
}

/* A CloudTrail record as CloudTrail writes it: first key eventVersion,
 * second userIdentity. After a CloudTrail record, a record that starts the
 * same way is one too (S3 notifications also start with eventVersion, but
 * their second key is eventSource), and full classification is skipped. */
static bool looks_like_last_cloudtrail(const rip_rec *r, const rip_json_node *o)
{
    if (r->dec->last_class != C_CLOUDTRAIL || o->skip < 5)
        return false;
    const rip_json_node *k1 = o + 1, *k2 = k1 + k1->skip;
    return k1->len == 12 && k2 < o + o->skip && k2->len == 12 &&
           !((k1->flags | k2->flags) & RIP_JSON_F_ESCAPED) &&
           memcmp(k1->ptr, "eventVersion", 12) == 0 && memcmp(k2->ptr, "userIdentity", 12) == 0;
}

static int decode_object(rip_rec *r, const rip_json_node *o)
{
    rip_event ev;
    rec_class c = looks_like_last_cloudtrail(r, o) ? C_CLOUDTRAIL : classify(o);
    r->dec->last_class = (int)c;

    switch (c) {
    case C_EVENTBRIDGE:
        return decode_eventbridge(r, o);
    case C_EB_PATTERN:
        return rip_rec_fail(r, "an EventBridge event pattern (a rule's filter), not an event");
    case C_DETAIL_ONLY:
        return decode_detail_only(r, o);
    case C_RECORDS:
        return decode_elements(r, rip_json_get(o, "Records"), false);
    case C_FINDINGS: {
        const rip_json_node *f = rip_json_get(o, "Findings");
        if (!rip_json_is(f, RIP_JSON_ARRAY))
            f = rip_json_get(o, "findings");
        return decode_elements(r, f, true);
    }
    case C_PUBSUB:
        return decode_embedded(r, o, rip_json_get(rip_json_get(o, "message"), "data"), true,
                               "Pub/Sub message.data");
    case C_SNS:
        return decode_embedded(r, o, rip_json_get(o, "Message"), false, "SNS Message");
    case C_SNS_RECORD: {
        const rip_json_node *m = rip_json_get(rip_json_get(o, "Sns"), "Message");
        if (!rip_json_is(m, RIP_JSON_STRING))
            return rip_rec_fail(r, "SNS record without a Sns.Message string");
        return decode_embedded(r, o, m, false, "SNS Message");
    }
    case C_SQS_RECORD:
        return decode_embedded(r, o, rip_json_get(o, "body"), false, "SQS body");
    case C_CONFIG_RULE:
        return decode_config_rule(r, o);
    case C_DIGEST:
    case C_S3_NOTIFICATION:
        r->dec->stats.skipped++;
        return 0;
    case C_ASFF:
        rip_rec_event_init(r, &ev, o);
        return rip_decode_asff(r, o, &ev);
    case C_GUARDDUTY:
    case C_GUARDDUTY_PASCAL:
        rip_rec_event_init(r, &ev, o);
        return rip_decode_guardduty(r, o, &ev);
    case C_GCP:
    case C_GCP_CI: {
        rip_rec sub = *r;
        sub.ci = c == C_GCP_CI;
        rip_rec_event_init(&sub, &ev, o);
        return rip_decode_gcp(&sub, o, &ev);
    }
    case C_CLOUDTRAIL:
    case C_CLOUDTRAIL_CI: {
        rip_rec sub = *r;
        sub.ci = c == C_CLOUDTRAIL_CI;
        rip_rec_event_init(&sub, &ev, o);
        return rip_decode_cloudtrail(&sub, o, &ev);
    }
    default:
        return rip_rec_fail(r, "unrecognized record: not CloudTrail, EventBridge, GuardDuty, "
                               "Security Hub (ASFF) or GCP audit log");
    }
}

static int decode_value(rip_rec *r, const rip_json_node *v)
{
    if (rip_json_is(v, RIP_JSON_ARRAY))
        return decode_elements(r, v, false);
    if (rip_json_is(v, RIP_JSON_OBJECT))
        return decode_object(r, v);
    return rip_rec_fail(r, "record is a JSON %s, not an object", json_type_name(v));
}

/* ---- buffers ---- */

void rip_decoder_init(rip_decoder *dec, rip_event_fn on_event, rip_decode_error_fn on_error,
                      void *ud, const rip_json_limits *lim)
{
    memset(dec, 0, sizeof(*dec));
    dec->on_event = on_event;
    dec->on_error = on_error;
    dec->ud = ud;
    dec->limits = lim ? *lim : rip_json_default_limits;
    dec->max_inflated = RIP_INPUT_DEFAULT_MAX_INFLATED;
    rip_json_doc_init(&dec->doc, &dec->limits);
    rip_json_doc_init(&dec->inner, &dec->limits);
    rip_arena_init(&dec->arena, RECORD_ARENA_CAP);
    rip_buf_init(&dec->inflated, 0);
    rip_buf_init(&dec->embedded, dec->limits.max_size);
}

void rip_decoder_release(rip_decoder *dec)
{
    if (!dec)
        return;
    rip_json_doc_release(&dec->doc);
    rip_json_doc_release(&dec->inner);
    rip_arena_release(&dec->arena);
    rip_buf_release(&dec->inflated);
    rip_buf_release(&dec->embedded);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* NDJSON when one of the first three non-blank lines is a complete JSON
 * object (or array) by itself (the first line may be the bad one). A
 * pretty-printed document, malformed or not, has no such line. */
static bool looks_ndjson(rip_decoder *dec, const char *data, size_t len)
{
    size_t pos = 0;
    int lines = 0;
    while (pos < len && lines < 3) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t s = pos;
        while (s < end && is_space(data[s]))
            s++;
        if (s < end) {
            if ((data[s] == '{' || data[s] == '[') &&
                rip_json_parse(&dec->doc, data + s, end - s, NULL) == 0)
                return true;
            lines++;
        }
        pos = end + 1;
    }
    return false;
}

/* NDJSON: one or more values per line. Values are parsed straight through
 * the buffer and newlines are counted in what the parser consumed, so a
 * well-formed file is read once (no line splitting first). A bad value
 * costs the rest of the line it starts on; decoding resumes on the next
 * line. A line cut short cannot swallow the next one silently: JSON
 * strings cannot hold a raw newline, so the parser stops there. */
static int decode_ndjson_at(rip_decoder *dec, const char *path, const char *data, size_t len,
                            uint64_t *indexp, uint64_t *linep)
{
    size_t pos = 0, line_start = 0;
    uint64_t line = *linep, index = *indexp;
    rip_json_error jerr;
    int rc = 0;

    while (pos < len) {
        /* Whitespace between values, counting lines. */
        while (pos < len && is_space(data[pos])) {
            if (data[pos] == '\n') {
                line++;
                line_start = pos + 1;
            }
            pos++;
        }
        if (pos >= len)
            break;
        size_t avail = len - pos, used = 0;
        if (avail > dec->doc.limits.max_size) {
            /* A value must fit the limit; the parser stops at its end. */
            const char *nl = memchr(data + pos, '\n', avail);
            avail = nl ? (size_t)(nl - (data + pos)) : avail;
        }
        rip_rec r = { .dec = dec, .doc = &dec->doc, .path = path, .index = index, .line = line };
        rc = rip_json_parse_prefix(&dec->doc, data + pos, avail, &used, &jerr);
        index++;
        if (rc == RIP_ENOMEM)
            return rc;
        if (rc != 0) {
            const char *nl = memchr(data + pos, '\n', len - pos);
            size_t eol = nl ? (size_t)(nl - data) : len;
            size_t col;
            if (jerr.line == 1) {
                snprintf(dec->reason, sizeof(dec->reason), "invalid JSON: %s", jerr.msg);
                col = pos - line_start + jerr.column;
            } else {
                /* The parser went past the end of the line: the record on
                 * this line is cut short (records never span lines). */
                snprintf(dec->reason, sizeof(dec->reason),
                         "invalid JSON: the record ends with its line before it is complete "
                         "(cut off?)");
                col = eol - line_start + 1;
            }
            report(dec, path, index - 1, line, col);
            pos = eol;   /* the newline is counted by the whitespace loop */
            continue;
        }
        /* The whitespace after the value is left to the loop above, which
         * counts its newlines. */
        rip_slice text = rip_json_text(rip_json_root(&dec->doc));
        size_t vend = (size_t)(text.ptr + text.len - data);
        uint32_t inner_lines = dec->doc.newlines;
        rc = decode_value(&r, rip_json_root(&dec->doc));
        if (rc < 0)
            return rc;
        /* A value written over several lines (not NDJSON, but accepted):
         * the lines it spans still count. */
        line += inner_lines;
        pos = vend;
    }
    *indexp = index;
    *linep = line;
    return 0;
}

static int decode_ndjson(rip_decoder *dec, const char *path, const char *data, size_t len)
{
    uint64_t index = 0, line = 1;
    return decode_ndjson_at(dec, path, data, len, &index, &line);
}

bool rip_decode_looks_ndjson(rip_decoder *dec, const char *data, size_t len)
{
    return looks_ndjson(dec, data, len);
}

int rip_decode_ndjson_chunk(rip_decoder *dec, const char *path, const char *data, size_t len,
                            uint64_t *index, uint64_t *line)
{
    return decode_ndjson_at(dec, path, data, len, index, line);
}

/* True when this buffer produced errors and neither events nor skips. */
static bool nothing_usable(const rip_decoder *dec, const rip_decode_stats *before)
{
    return dec->stats.errors > before->errors && dec->stats.decoded == before->decoded &&
           dec->stats.skipped == before->skipped;
}

/* ---- {"Records":[...]} record by record ----
 *
 * A CloudTrail S3 object is one JSON document of a few hundred records.
 * Parsing it whole and then walking it reads every record twice from far
 * away (the document and its nodes are larger than the CPU's caches), so
 * when the caller allows it (on_rollback set) such a document is parsed one
 * element at a time, each element decoded and delivered while it is hot.
 *
 * The result must be the one of the whole-document path, which rejects the
 * whole input when any byte of it is bad. So the stream gives up at the
 * first thing it does not handle exactly like the whole-document path (a
 * syntax error, a limit reached, another key after the array): the caller is
 * told to drop what it received from this buffer (on_rollback), the
 * decoder's own state is put back, and the document is decoded whole, which
 * reports the problem as it always did. Only the shape {"Records":[...]}
 * (whitespace allowed, the key unescaped, no other key) is streamed; that is
 * the shape the whole-document path classifies as C_RECORDS without
 * looking further. */

static const char *skip_json_ws(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p;
}

/* 1 when the buffer was decoded here, 0 when the caller must decode it whole
 * (nothing was delivered, or the caller was told to drop it), or the
 * negative value of a callback. */
static int decode_records_stream(rip_decoder *dec, const char *path, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    const rip_json_limits lim = dec->doc.limits;
    if (!dec->on_rollback || len > lim.max_size || lim.max_depth < 3 || lim.max_members < 1 ||
        lim.max_nodes < 3)
        return 0;
    p = skip_json_ws(p, end);
    if (p >= end || *p != '{')
        return 0;
    p = skip_json_ws(p + 1, end);
    if ((size_t)(end - p) < 9 || memcmp(p, "\"Records\"", 9) != 0)
        return 0;
    p = skip_json_ws(p + 9, end);
    if (p >= end || *p != ':')
        return 0;
    p = skip_json_ws(p + 1, end);
    if (p >= end || *p != '[')
        return 0;
    p = skip_json_ws(p + 1, end);
    if (p >= end)
        return 0;

    rip_decode_stats before = dec->stats;
    int last_class = dec->last_class;
    /* What the whole-document path does before the elements: the root is
     * classified (C_RECORDS), then each element decoded with this cursor. */
    rip_rec r = { .dec = dec, .doc = &dec->doc, .path = path };
    uint64_t i = 0, nodes = 3;   /* the root, its key, the array */
    int rc = 0;
    bool ok = false;
    dec->last_class = C_RECORDS;
    /* An element sits two levels down: the same depth limit, counted from it. */
    dec->doc.limits.max_depth = lim.max_depth - 2;
    if (*p == ']') {
        ok = true;
    } else {
        for (;;) {
            size_t used = 0;
            if (i >= lim.max_members)
                break;
            if (rip_json_parse_prefix(&dec->doc, p, (size_t)(end - p), &used, NULL) < 0)
                break;
            nodes += dec->doc.count;
            if (nodes > lim.max_nodes)
                break;
            rc = decode_element(&r, rip_json_root(&dec->doc), i, false);
            if (rc < 0)
                break;
            i++;
            p += used;   /* past the element and the whitespace after it */
            if (p < end && *p == ',') {
                p = skip_json_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == ']')
                ok = true;
            break;
        }
    }
    dec->doc.limits = lim;
    if (rc < 0)
        return rc;
    if (ok) {
        p = skip_json_ws(p + 1, end);
        if (p < end && *p == '}')
            p = skip_json_ws(p + 1, end);
        else
            ok = false;
        ok = ok && p == end;
    }
    if (!ok) {
        dec->stats = before;
        dec->last_class = last_class;
        if (i > 0)   /* elements were delivered (events or record errors) */
            dec->on_rollback(dec->ud);
        return 0;
    }
    return 1;
}

int rip_decode_buffer(rip_decoder *dec, const char *path, const char *data, size_t len)
{
    rip_decode_stats before = dec->stats;
    rip_json_error jerr;
    int rc;

    if (rip_input_is_gzip(data, len)) {
        rip_buf_reset(&dec->inflated);
        rc = rip_input_gunzip(data, len, dec->max_inflated, &dec->inflated);
        if (rc < 0) {
            if (rc == RIP_ELIMIT)
                snprintf(dec->reason, sizeof(dec->reason),
                         "gzip data inflates to more than %zu bytes", dec->max_inflated);
            else
                snprintf(dec->reason, sizeof(dec->reason), "corrupt or truncated gzip data");
            report_ex(dec, path, 0, 0, 0, 1);
            return RIP_EFORMAT;
        }
        data = dec->inflated.ptr;
        len = dec->inflated.len;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        data += 3;
        len -= 3;
    }
    size_t s = 0;
    while (s < len && is_space(data[s]))
        s++;
    if (s == len)
        return 0;   /* empty input: nothing to decode, nothing wrong */

    rc = decode_records_stream(dec, path, data, len);
    if (rc < 0)
        return rc;
    if (rc > 0)
        return nothing_usable(dec, &before) ? RIP_EFORMAT : 0;
    rc = rip_json_parse(&dec->doc, data, len, &jerr);
    if (rc == 0) {
        rip_rec r = { .dec = dec, .doc = &dec->doc, .path = path };
        rc = decode_value(&r, rip_json_root(&dec->doc));
        if (rc < 0)
            return rc;
        return nothing_usable(dec, &before) ? RIP_EFORMAT : 0;
    }
    if (rc == RIP_ENOMEM)
        return rc;
    if (looks_ndjson(dec, data, len)) {
        rc = decode_ndjson(dec, path, data, len);
        if (rc < 0)
            return rc;
        return nothing_usable(dec, &before) ? RIP_EFORMAT : 0;
    }
    snprintf(dec->reason, sizeof(dec->reason), "invalid JSON: %s", jerr.msg);
    report_ex(dec, path, 0, jerr.line, jerr.column, 1);
    return RIP_EFORMAT;
}
