/* test-decode.c — format sniffing and decoding (src/normalize), time
 * parsing (util/timeutil), base64 (util/base64), gunzip (sources/input),
 * and the whole corpus: every file under ../shared/corpus/{cloudtrail,
 * eventbridge,guardduty,securityhub_asff,gcp_audit} and the `log` of every
 * line of panther_labelled_events decode with zero errors and as many events
 * as records, except the inputs listed in `exceptions` below with why. */
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "normalize/decode.h"
#include "sources/input.h"
#include "tap.h"
#include "util/base64.h"
#include "util/err.h"
#include "util/timeutil.h"

/* ---- a decoder that records what it saw ---- */

#define MAX_SEEN 64

typedef struct seen_event {
    rip_event_kind kind;
    rip_format format;
    int64_t time_ns;
    char id[96], account[32], region[32], user[96], arn[160], access_key[48], issuer[160];
    char service[64], name[96], error_code[48], ip[48], label[16], ftype[128], res0[96];
    double severity;
    int mfa, read_only;
    uint32_t nres;
} seen_event;

typedef struct seen {
    seen_event ev[MAX_SEEN];
    int n;
    char last_error[300];
    uint64_t last_index, last_line, last_column;
} seen;

static void cp(char *dst, size_t size, rip_slice s)
{
    size_t n = s.len < size - 1 ? s.len : size - 1;
    if (s.ptr)
        memcpy(dst, s.ptr, n);
    dst[s.ptr ? n : 0] = '\0';
}

static int on_event(void *ud, const rip_event *ev)
{
    seen *s = ud;
    if (!ev->raw)
        return RIP_EINVAL;
    if (s->n >= MAX_SEEN)
        return 0;
    seen_event *e = &s->ev[s->n++];
    memset(e, 0, sizeof(*e));
    e->kind = ev->kind;
    e->format = ev->format;
    e->time_ns = ev->time_ns;
    cp(e->id, sizeof(e->id), ev->id);
    cp(e->account, sizeof(e->account), ev->account);
    cp(e->region, sizeof(e->region), ev->region);
    cp(e->user, sizeof(e->user), ev->actor.user);
    cp(e->arn, sizeof(e->arn), ev->actor.arn);
    cp(e->access_key, sizeof(e->access_key), ev->actor.access_key);
    cp(e->issuer, sizeof(e->issuer), ev->actor.session_issuer);
    cp(e->service, sizeof(e->service), ev->action.service);
    cp(e->name, sizeof(e->name), ev->action.name);
    cp(e->error_code, sizeof(e->error_code), ev->action.error_code);
    cp(e->ip, sizeof(e->ip), ev->source.ip);
    cp(e->label, sizeof(e->label), ev->finding.severity_label);
    cp(e->ftype, sizeof(e->ftype), ev->finding.type);
    if (ev->nresources)
        cp(e->res0, sizeof(e->res0), ev->resources[0].id);
    e->severity = ev->finding.severity;
    e->mfa = ev->actor.mfa;
    e->read_only = ev->action.read_only;
    e->nres = ev->nresources;
    return 0;
}

static void on_error(void *ud, const rip_decode_error *err)
{
    seen *s = ud;
    snprintf(s->last_error, sizeof(s->last_error), "%s", err->reason);
    s->last_index = err->index;
    s->last_line = err->line;
    s->last_column = err->column;
}

/* Decodes text with a fresh decoder; returns the stats. */
static rip_decode_stats run(seen *s, const char *text, size_t len, int *rc)
{
    rip_decoder dec;
    memset(s, 0, sizeof(*s));
    rip_decoder_init(&dec, on_event, on_error, s, NULL);
    int r = rip_decode_buffer(&dec, "t.json", text, len);
    if (rc)
        *rc = r;
    rip_decode_stats st = dec.stats;
    rip_decoder_release(&dec);
    return st;
}

static rip_decode_stats runs(seen *s, const char *text)
{
    return run(s, text, strlen(text), NULL);
}

/* ---- time ---- */

static void test_time(void)
{
    static const struct { const char *in; int64_t ns; int rc; } cases[] = {
        { "1970-01-01T00:00:00Z", 0, 0 },
        { "2024-02-29T12:34:56Z", INT64_C(1709210096) * 1000000000, 0 },
        { "2024-02-29t12:34:56z", INT64_C(1709210096) * 1000000000, 0 },
        { "2024-02-29 12:34:56", INT64_C(1709210096) * 1000000000, 0 },
        { "2024-02-29T12:34:56.5Z", INT64_C(1709210096) * 1000000000 + 500000000, 0 },
        { "2024-02-29T12:34:56.123456789Z", INT64_C(1709210096123456789), 0 },
        { "2024-02-29T12:34:56.1234567891234Z", INT64_C(1709210096123456789), 0 },
        { "2024-02-29T14:34:56+02:00", INT64_C(1709210096) * 1000000000, 0 },
        { "2024-02-29T07:04:56-0530", INT64_C(1709210096) * 1000000000, 0 },
        { "2024-02-29T13:34:56+01", INT64_C(1709210096) * 1000000000, 0 },
        { "2016-12-31T23:59:60Z", INT64_C(1483228800) * 1000000000, 0 },
        { "1969-12-31T23:59:59.75Z", -250000000, 0 },
        { "2023-02-29T00:00:00Z", 0, RIP_ERANGE },
        { "2024-13-01T00:00:00Z", 0, RIP_ERANGE },
        { "2024-01-01T24:00:00Z", 0, RIP_ERANGE },
        { "2300-01-01T00:00:00Z", 0, RIP_ERANGE },
        { "2024-01-01", 0, RIP_ESYNTAX },
        { "2024-01-01T00:00Z", 0, RIP_ESYNTAX },
        { "2024-01-01T00:00:00.Z", 0, RIP_ESYNTAX },
        { "2024-01-01T00:00:00Zjunk", 0, RIP_ESYNTAX },
        { "redacted", 0, RIP_ESYNTAX },
        { "", 0, RIP_ESYNTAX },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ns = 42;
        int rc = rip_time_parse(cases[i].in, strlen(cases[i].in), &ns);
        if (cases[i].rc == 0)
            CHECK(rc == 0 && ns == cases[i].ns, "time parse '%s' -> %lld (got rc %d, %lld)",
                  cases[i].in, (long long)cases[i].ns, rc, (long long)ns);
        else
            CHECK(rc == cases[i].rc && ns == 42, "time parse '%s' rejected with %s (got %d)",
                  cases[i].in, rip_errname(cases[i].rc), rc);
    }
    char buf[RIP_TIME_FMT_MAX];
    CHECK(!strcmp(rip_time_format(INT64_C(1709210096) * 1000000000 + 500000000, buf),
                  "2024-02-29T12:34:56.5Z"), "time format with fraction: %s", buf);
    CHECK(!strcmp(rip_time_format(0, buf), "1970-01-01T00:00:00Z"), "time format epoch: %s", buf);
    CHECK(!strcmp(rip_time_format(-250000000, buf), "1969-12-31T23:59:59.75Z"),
          "time format before epoch: %s", buf);
}

/* ---- base64 ---- */

static void test_base64(void)
{
    rip_buf b = RIP_BUF_INIT;
    CHECK(rip_base64_decode("aGVsbG8=", 8, &b) == 0 && !strcmp(b.ptr, "hello"), "base64 padded");
    rip_buf_reset(&b);
    CHECK(rip_base64_decode("aGVsbG8", 7, &b) == 0 && !strcmp(b.ptr, "hello"), "base64 unpadded");
    rip_buf_reset(&b);
    CHECK(rip_base64_decode("-_8", 3, &b) == 0 && b.len == 2 &&
          (unsigned char)b.ptr[0] == 0xfb && (unsigned char)b.ptr[1] == 0xff, "base64 url-safe");
    rip_buf_reset(&b);
    CHECK(rip_base64_decode("aGV sbG8=", 9, &b) == RIP_ESYNTAX && b.len == 0, "base64 rejects a space");
    CHECK(rip_base64_decode("a=GV", 4, &b) == RIP_ESYNTAX, "base64 rejects inner padding");
    CHECK(rip_base64_decode("aGVsb", 5, &b) == RIP_ESYNTAX, "base64 rejects a lone 6-bit tail");
    CHECK(rip_base64_decode("", 0, &b) == 0 && b.len == 0, "base64 empty");
    rip_buf_release(&b);
}

/* ---- gunzip ---- */

static size_t gz(const char *text, size_t len, char *out, size_t cap)
{
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(6);
    size_t n = libdeflate_gzip_compress(c, text, len, out, cap);
    libdeflate_free_compressor(c);
    return n;
}

static void test_gunzip(void)
{
    char a[512], b[512], both[1024];
    const char *ta = "{\"Records\":[{\"eventName\":\"A\",\"eventTime\":\"2024-01-01T00:00:00Z\"}]}\n";
    const char *tb = "{\"Records\":[{\"eventName\":\"B\",\"eventTime\":\"2024-01-01T00:00:01Z\"}]}\n";
    size_t na = gz(ta, strlen(ta), a, sizeof(a)), nb = gz(tb, strlen(tb), b, sizeof(b));
    rip_buf out = RIP_BUF_INIT;

    CHECK(na > 0 && nb > 0, "libdeflate compresses test data");
    CHECK(rip_input_gunzip(a, na, 1 << 20, &out) == 0 && !strcmp(out.ptr, ta), "gunzip one member");
    memcpy(both, a, na);
    memcpy(both + na, b, nb);
    rip_buf_reset(&out);
    CHECK(rip_input_gunzip(both, na + nb, 1 << 20, &out) == 0 && out.len == strlen(ta) + strlen(tb) &&
          !memcmp(out.ptr + strlen(ta), tb, strlen(tb)), "gunzip two concatenated members");
    memset(both + na + nb, 0, 16);
    rip_buf_reset(&out);
    CHECK(rip_input_gunzip(both, na + nb + 16, 1 << 20, &out) == 0, "gunzip ignores zero padding");
    rip_buf_reset(&out);
    int rc = rip_input_gunzip(a, na - 5, 1 << 20, &out);
    CHECK(rc < 0 && out.len == 0, "gunzip truncated member fails (%s), output untouched",
          rip_errname(rc));
    rc = rip_input_gunzip(a, 12, 1 << 20, &out);
    CHECK(rc == RIP_ETRUNC, "gunzip of a cut header is RIP_ETRUNC (%s)", rip_errname(rc));
    rc = rip_input_gunzip(a, na, 10, &out);
    CHECK(rc == RIP_ELIMIT && out.len == 0, "gunzip past max_out is RIP_ELIMIT (%s)", rip_errname(rc));
    memcpy(both, a, na);
    memcpy(both + na, "junk", 4);
    rc = rip_input_gunzip(both, na + 4, 1 << 20, &out);
    CHECK(rc == RIP_ESYNTAX, "gunzip with trailing garbage is RIP_ESYNTAX (%s)", rip_errname(rc));
    memcpy(both, a, na);
    both[na - 6] ^= 0x55;   /* CRC32 */
    rc = rip_input_gunzip(both, na, 1 << 20, &out);
    CHECK(rc == RIP_ESYNTAX, "gunzip with a bad checksum is RIP_ESYNTAX (%s)", rip_errname(rc));

    /* A bomb: 64 MiB of zeros compresses to ~64 KiB; the decoder's cap stops it. */
    size_t big = (size_t)64 << 20;
    char *zeros = calloc(1, big), *bomb = malloc(1 << 20);
    size_t nbomb = gz(zeros, big, bomb, 1 << 20);
    rip_decoder dec;
    seen *s = calloc(1, sizeof(*s));
    rip_decoder_init(&dec, on_event, on_error, s, NULL);
    dec.max_inflated = 1 << 20;
    rc = rip_decode_buffer(&dec, "bomb.gz", bomb, nbomb);
    CHECK(nbomb > 0 && rc == RIP_EFORMAT && dec.stats.errors == 1 && strstr(s->last_error, "inflates"),
          "decoder caps inflated size: %s", s->last_error);
    rip_decoder_release(&dec);

    /* Gzipped multi-member CloudTrail through the decoder. */
    memcpy(both, a, na);
    memcpy(both + na, b, nb);
    rip_decode_stats st = run(s, both, na + nb, &rc);
    CHECK(rc == 0 && st.decoded == 2 && st.errors == 0 && !strcmp(s->ev[1].name, "B"),
          "decoder gunzips multi-member CloudTrail (%llu events)", (unsigned long long)st.decoded);
    free(s);
    free(zeros);
    free(bomb);
    rip_buf_release(&out);
}

/* ---- shapes ---- */

#define CT_ROLE \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"principalId\":\"AROA1:s\"," \
    "\"arn\":\"arn:aws:sts::111122223333:assumed-role/deploy/s\",\"accountId\":\"111122223333\"," \
    "\"accessKeyId\":\"ASIAX\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\"," \
    "\"arn\":\"arn:aws:iam::111122223333:role/deploy\",\"userName\":\"deploy\"}," \
    "\"attributes\":{\"mfaAuthenticated\":\"true\"}}},\"eventTime\":\"2024-05-01T10:00:00Z\"," \
    "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutBucketPolicy\",\"awsRegion\":\"eu-west-1\"," \
    "\"sourceIPAddress\":\"203.0.113.5\",\"userAgent\":\"aws-cli/2\",\"readOnly\":false," \
    "\"errorCode\":\"AccessDenied\",\"errorMessage\":\"no\",\"eventID\":\"e-1\"," \
    "\"recipientAccountId\":\"111122223333\",\"resources\":[{\"type\":\"AWS::S3::Bucket\"," \
    "\"ARN\":\"arn:aws:s3:::payroll\"}]}"

#define CT_MIN(name) "{\"eventName\":\"" name "\",\"eventSource\":\"iam.amazonaws.com\",\"eventTime\":\"2024-05-01T10:00:00Z\"}"

#define GD_FINDING(sev) \
    "{\"schemaVersion\":\"2.0\",\"accountId\":\"111122223333\",\"region\":\"us-east-1\",\"id\":\"gd1\"," \
    "\"type\":\"Recon:EC2/Portscan\",\"severity\":" sev ",\"title\":\"t\",\"updatedAt\":\"2024-05-01T10:00:00.5Z\"," \
    "\"resource\":{\"resourceType\":\"Instance\",\"instanceDetails\":{\"instanceId\":\"i-0abc\"}}," \
    "\"service\":{\"action\":{\"portProbeAction\":{\"portProbeDetails\":[{\"remoteIpDetails\":{\"ipAddressV4\":\"198.51.100.9\"}}]}}}}"

#define ASFF_FINDING(id) \
    "{\"SchemaVersion\":\"2018-10-08\",\"Id\":\"" id "\",\"ProductArn\":\"arn:aws:securityhub:us-east-1::product/aws/securityhub\"," \
    "\"GeneratorId\":\"security-control/S3.2\",\"AwsAccountId\":\"111122223333\",\"Types\":[\"Software and Configuration Checks\"]," \
    "\"UpdatedAt\":\"2024-05-01T10:00:00Z\",\"Severity\":{\"Normalized\":70},\"Title\":\"S3.2\"," \
    "\"Resources\":[{\"Type\":\"AwsS3Bucket\",\"Id\":\"arn:aws:s3:::payroll\",\"Region\":\"us-east-1\"}]}"

#define GCP_ENTRY \
    "{\"insertId\":\"x1\",\"logName\":\"projects/p1/logs/cloudaudit.googleapis.com%2Factivity\"," \
    "\"timestamp\":\"2024-05-01T10:00:00.123456Z\",\"resource\":{\"type\":\"gce_instance\",\"labels\":{\"project_id\":\"p1\",\"zone\":\"us-central1-a\"}}," \
    "\"protoPayload\":{\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.delete\"," \
    "\"status\":{\"code\":7,\"message\":\"denied\"},\"resourceName\":\"projects/p1/zones/us-central1-a/instances/vm1\"," \
    "\"authenticationInfo\":{\"principalEmail\":\"bot@p1.iam.gserviceaccount.com\"}," \
    "\"requestMetadata\":{\"callerIp\":\"203.0.113.7\",\"callerSuppliedUserAgent\":\"gcloud\"}}}"

static void test_shapes(void)
{
    seen *s = calloc(1, sizeof(*s));
    rip_decode_stats st;
    int rc;

    st = runs(s, CT_ROLE);
    seen_event *e = &s->ev[0];
    CHECK(st.decoded == 1 && st.errors == 0, "single CloudTrail record");
    CHECK(e->kind == RIP_EVENT_API_CALL && e->format == RIP_FORMAT_CLOUDTRAIL &&
          e->time_ns == INT64_C(1714557600) * 1000000000, "CloudTrail kind, format, time");
    CHECK(!strcmp(e->user, "deploy") && !strcmp(e->issuer, "arn:aws:iam::111122223333:role/deploy") &&
          !strcmp(e->access_key, "ASIAX") && e->mfa == 1, "CloudTrail role actor: user from sessionIssuer, issuer, key, mfa");
    CHECK(!strcmp(e->service, "s3.amazonaws.com") && !strcmp(e->name, "PutBucketPolicy") &&
          e->read_only == 0 && !strcmp(e->error_code, "AccessDenied"), "CloudTrail action fields");
    CHECK(!strcmp(e->ip, "203.0.113.5") && !strcmp(e->account, "111122223333") &&
          !strcmp(e->region, "eu-west-1") && !strcmp(e->id, "e-1"), "CloudTrail source, account, region, id");
    CHECK(e->nres == 1 && !strcmp(e->res0, "payroll"), "CloudTrail resources[] (id from ARN: %s)", e->res0);

    st = runs(s, "{\"Records\":[" CT_MIN("A") "," CT_MIN("B") "," CT_MIN("C") "]}");
    CHECK(st.decoded == 3 && !strcmp(s->ev[2].name, "C"), "{\"Records\":[...]}");
    st = runs(s, "[" CT_MIN("A") "," CT_MIN("B") "]");
    CHECK(st.decoded == 2, "JSON array of records");
    st = runs(s, "{\"Records\":[]}");
    CHECK(st.decoded == 0 && st.errors == 0, "empty Records is not an error");
    st = runs(s, "  \n");
    CHECK(st.decoded == 0 && st.errors == 0, "blank input is not an error");
    st = runs(s, "\xEF\xBB\xBF" CT_MIN("A"));
    CHECK(st.decoded == 1, "UTF-8 BOM skipped");

    st = runs(s, CT_MIN("A") "\n" CT_MIN("B") "\r\n\n" CT_MIN("C") "\n");
    CHECK(st.decoded == 3 && st.errors == 0, "NDJSON (with CRLF and blank line)");
    st = runs(s, CT_MIN("A") "\n{\"eventName\": \"B\", oops}\n" CT_MIN("C") "\n" CT_MIN("D"));
    CHECK(st.decoded == 3 && st.errors == 1 && s->last_index == 1 && s->last_line == 2 &&
          s->last_column == 20 && !strcmp(s->ev[2].name, "D"),
          "NDJSON bad line in the middle: reported (record %llu line %llu col %llu: %s), rest decoded",
          (unsigned long long)s->last_index, (unsigned long long)s->last_line,
          (unsigned long long)s->last_column, s->last_error);
    st = runs(s, "{\"eventName\": \"A\",\n" CT_MIN("B") "\n" CT_MIN("C"));
    CHECK(st.decoded == 2 && st.errors == 1 && s->last_line == 1, "NDJSON bad first line");
    st = run(s, "{\n  \"eventName\": \"A\",\n  oops\n}\n", 29, &rc);
    CHECK(st.errors == 1 && rc == RIP_EFORMAT && s->last_line == 3,
          "malformed pretty JSON: one error at line %llu", (unsigned long long)s->last_line);
    st = runs(s, "{\"eventName\":\"A\",\"eventTime\":\"yesterday\"}");
    CHECK(st.errors == 1 && strstr(s->last_error, "invalid eventTime 'yesterday'"),
          "unparseable eventTime rejected: %s", s->last_error);
    st = runs(s, "{\"eventName\":\"A\"}");
    CHECK(st.decoded == 1 && s->ev[0].time_ns == 0, "record without a time decodes with time 0");
    st = run(s, "{\"hello\":\"world\"}", 17, &rc);
    CHECK(st.errors == 1 && rc == RIP_EFORMAT && strstr(s->last_error, "unrecognized"),
          "unknown object: %s", s->last_error);
    st = runs(s, "[" CT_MIN("A") ",42," CT_MIN("B") "]");
    CHECK(st.decoded == 2 && st.errors == 1 && s->last_index == 1, "non-object array element");
    st = runs(s, "{\"eventname\":\"GetRecords\",\"eventsource\":\"dynamodb.amazonaws.com\","
                 "\"eventtime\":\"2023-01-10 21:04:02\",\"awsregion\":\"eu-west-1\"}");
    CHECK(st.decoded == 1 && !strcmp(s->ev[0].name, "GetRecords") && !strcmp(s->ev[0].region, "eu-west-1") &&
          s->ev[0].time_ns != 0, "lower-cased data-lake CloudTrail keys");
    st = runs(s, "{\"eventVersion\":\"1.0\",\"awsAccountId\":\"1\",\"digestStartTime\":\"2024-01-01T00:00:00Z\","
                 "\"digestEndTime\":\"2024-01-01T01:00:00Z\",\"logFiles\":[]}");
    CHECK(st.decoded == 0 && st.skipped == 1 && st.errors == 0, "CloudTrail digest file skipped");
    st = runs(s, "{\"eventVersion\":\"1.08\",\"eventTime\":\"2024-05-01T10:00:00Z\",\"eventSource\":\"ec2.amazonaws.com\","
                 "\"eventName\":\"RunInstances\",\"eventType\":\"AwsCloudTrailInsight\",\"insightDetails\":{\"state\":\"Start\"}}");
    CHECK(st.decoded == 1, "CloudTrail Insights event");

    /* EventBridge */
    st = runs(s, "{\"version\":\"0\",\"id\":\"eb1\",\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.s3\","
                 "\"account\":\"111122223333\",\"time\":\"2024-05-01T10:00:01Z\",\"region\":\"eu-west-1\",\"detail\":" CT_MIN("CreateBucket") "}");
    CHECK(st.decoded == 1 && s->ev[0].format == RIP_FORMAT_CLOUDTRAIL && !strcmp(s->ev[0].name, "CreateBucket") &&
          !strcmp(s->ev[0].account, "111122223333") && !strcmp(s->ev[0].region, "eu-west-1"),
          "EventBridge CloudTrail: detail decoded, envelope fills account/region");
    st = runs(s, "{\"version\":\"0\",\"id\":\"eb2\",\"detail-type\":\"GuardDuty Finding\",\"source\":\"aws.guardduty\","
                 "\"account\":\"111122223333\",\"time\":\"2024-05-01T10:00:01Z\",\"region\":\"us-east-1\",\"detail\":" GD_FINDING("5") "}");
    CHECK(st.decoded == 1 && s->ev[0].format == RIP_FORMAT_GUARDDUTY && !strcmp(s->ev[0].label, "MEDIUM"),
          "EventBridge GuardDuty Finding");
    st = runs(s, "{\"version\":\"0\",\"id\":\"eb3\",\"detail-type\":\"Security Hub Findings - Imported\",\"source\":\"aws.securityhub\","
                 "\"account\":\"111122223333\",\"time\":\"2024-05-01T10:00:01Z\",\"region\":\"us-east-1\","
                 "\"detail\":{\"findings\":[" ASFF_FINDING("f1") "," ASFF_FINDING("f2") "]}}");
    CHECK(st.decoded == 2 && s->ev[1].format == RIP_FORMAT_ASFF && !strcmp(s->ev[1].id, "f2"),
          "EventBridge Security Hub Findings - Imported: one event per finding");
    st = runs(s, "{\"version\":\"0\",\"id\":\"eb4\",\"detail-type\":\"Security Hub Findings - Custom Action\",\"source\":\"aws.securityhub\","
                 "\"account\":\"1\",\"time\":\"2024-05-01T10:00:01Z\",\"region\":\"us-east-1\","
                 "\"detail\":{\"actionName\":\"x\",\"findings\":[" ASFF_FINDING("f1") "]}}");
    CHECK(st.decoded == 1, "EventBridge Security Hub Findings - Custom Action");
    st = runs(s, "{\"version\":\"0\",\"id\":\"eb5\",\"detail-type\":\"EC2 Instance State-change Notification\",\"source\":\"aws.ec2\","
                 "\"account\":\"1\",\"time\":\"2024-05-01T10:00:01Z\",\"region\":\"us-east-1\","
                 "\"resources\":[\"arn:aws:ec2:us-east-1:1:instance/i-1\"],\"detail\":{\"state\":\"stopped\"}}");
    CHECK(st.decoded == 1 && s->ev[0].kind == RIP_EVENT_GENERIC && !strcmp(s->ev[0].res0, "i-1") &&
          !strcmp(s->ev[0].service, "aws.ec2"), "EventBridge unknown detail-type kept as generic");
    st = runs(s, "{\"source\":[\"aws.guardduty\"],\"detail-type\":[\"GuardDuty Finding\"],\"detail\":{\"severity\":[4,5]}}");
    CHECK(st.errors == 1 && strstr(s->last_error, "pattern"), "EventBridge event pattern rejected: %s", s->last_error);

    /* GuardDuty */
    static const struct { const char *sev, *label; } bands[] = {
        { "1", "LOW" }, { "3.9", "LOW" }, { "4", "MEDIUM" }, { "6.9", "MEDIUM" },
        { "7", "HIGH" }, { "8.9", "HIGH" }, { "9", "CRITICAL" }, { "10", "CRITICAL" },
    };
    for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++) {
        char text[1024];
        snprintf(text, sizeof(text), GD_FINDING("%s"), bands[i].sev);
        st = runs(s, text);
        CHECK(st.decoded == 1 && !strcmp(s->ev[0].label, bands[i].label),
              "GuardDuty severity %s is %s (got %s)", bands[i].sev, bands[i].label, s->ev[0].label);
    }
    st = runs(s, GD_FINDING("8"));
    e = &s->ev[0];
    CHECK(e->kind == RIP_EVENT_FINDING && !strcmp(e->ftype, "Recon:EC2/Portscan") && !strcmp(e->res0, "i-0abc") &&
          !strcmp(e->ip, "198.51.100.9") && e->severity == 8.0, "GuardDuty fields: type, instance, actor IP");
    st = runs(s, "{\"findings\":[" GD_FINDING("2") "," GD_FINDING("3") "]}");
    CHECK(st.decoded == 2 && s->ev[0].format == RIP_FORMAT_GUARDDUTY, "{\"findings\":[GuardDuty...]}");
    st = runs(s, "[" GD_FINDING("2") "]");
    CHECK(st.decoded == 1, "array of GuardDuty findings");
    st = runs(s, "{\"detail\":{\"AccountId\":\"1\",\"Id\":\"x\",\"Type\":\"Recon:EC2/Portscan\",\"Resource\":{}}}");
    CHECK(st.errors == 1 && strstr(s->last_error, "PascalCase"), "boto3 PascalCase GuardDuty rejected");
    st = runs(s, GD_FINDING("\"high\""));
    CHECK(st.errors == 1, "GuardDuty non-numeric severity rejected");

    /* ASFF */
    st = runs(s, ASFF_FINDING("f1"));
    e = &s->ev[0];
    CHECK(st.decoded == 1 && e->format == RIP_FORMAT_ASFF && !strcmp(e->label, "HIGH") && e->severity == 7.0 &&
          !strcmp(e->res0, "payroll") && !strcmp(e->region, "us-east-1"), "single ASFF finding");
    st = runs(s, "{\"Findings\":[" ASFF_FINDING("a") "," ASFF_FINDING("b") "," ASFF_FINDING("c") "]}");
    CHECK(st.decoded == 3, "{\"Findings\":[...]}");

    /* GCP */
    st = runs(s, GCP_ENTRY);
    e = &s->ev[0];
    CHECK(st.decoded == 1 && e->format == RIP_FORMAT_GCP_AUDIT && !strcmp(e->account, "p1") &&
          !strcmp(e->region, "us-central1-a") && !strcmp(e->name, "v1.compute.instances.delete") &&
          !strcmp(e->error_code, "PERMISSION_DENIED") && !strcmp(e->ip, "203.0.113.7") &&
          !strcmp(e->arn, "bot@p1.iam.gserviceaccount.com") && !strcmp(e->res0, "vm1") && e->read_only == 0,
          "GCP audit entry fields");
    st = runs(s, "[" GCP_ENTRY "," GCP_ENTRY "]");
    CHECK(st.decoded == 2, "array of GCP entries");
    st = runs(s, GCP_ENTRY "\n" GCP_ENTRY "\n");
    CHECK(st.decoded == 2, "NDJSON GCP entries");
    {
        rip_buf b64 = RIP_BUF_INIT, msg = RIP_BUF_INIT;
        static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = (const unsigned char *)GCP_ENTRY;
        size_t n = strlen(GCP_ENTRY);
        for (size_t i = 0; i < n; i += 3) {
            unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
            rip_buf_addc(&b64, tbl[v >> 18 & 63]);
            rip_buf_addc(&b64, tbl[v >> 12 & 63]);
            rip_buf_addc(&b64, i + 1 < n ? tbl[v >> 6 & 63] : '=');
            rip_buf_addc(&b64, i + 2 < n ? tbl[v & 63] : '=');
        }
        rip_buf_addf(&msg, "{\"message\":{\"data\":\"%s\",\"messageId\":\"1\",\"publishTime\":\"2024-05-01T10:00:01Z\"},"
                           "\"subscription\":\"projects/p1/subscriptions/s\"}", b64.ptr);
        st = runs(s, msg.ptr);
        CHECK(st.decoded == 1 && s->ev[0].format == RIP_FORMAT_GCP_AUDIT && !strcmp(s->ev[0].id, "x1"),
              "Pub/Sub push envelope with base64 data");
        rip_buf_reset(&msg);
        rip_buf_adds(&msg, "{\"message\":{\"data\":\"not base64!\"},\"subscription\":\"s\"}");
        st = runs(s, msg.ptr);
        CHECK(st.errors == 1 && strstr(s->last_error, "base64"), "Pub/Sub bad base64 rejected");
        rip_buf_release(&b64);
        rip_buf_release(&msg);
    }

    /* SNS / SQS carrying JSON in a string */
    st = runs(s, "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"Message\":\"{\\\"eventName\\\":\\\"A\\\"}\"}");
    CHECK(st.decoded == 1 && !strcmp(s->ev[0].name, "A"), "SNS notification with a JSON Message");
    st = runs(s, "{\"Records\":[{\"EventSource\":\"aws:sns\",\"Sns\":{\"Message\":\"{\\\"eventName\\\":\\\"A\\\"}\"}},"
                 "{\"eventSource\":\"aws:sqs\",\"body\":\"[{\\\"eventName\\\":\\\"B\\\"},{\\\"eventName\\\":\\\"C\\\"}]\"}]}");
    CHECK(st.decoded == 3 && !strcmp(s->ev[2].name, "C"), "SNS and SQS Lambda records");
    free(s);
}

/* ---- corpus ---- */

/* Expected events, counted from the JSON tree without the decoder: the
 * length of Records / Findings / findings / detail.findings, else one. */
static uint64_t expected_in_record(const rip_json_node *o)
{
    static const char *const arrays[] = { "Records", "Findings", "findings" };
    if (!rip_json_is(o, RIP_JSON_OBJECT))
        return 1;
    for (size_t i = 0; i < 3; i++) {
        const rip_json_node *a = rip_json_get(o, arrays[i]);
        if (rip_json_is(a, RIP_JSON_ARRAY))
            return rip_json_count(a);
    }
    const rip_json_node *dt = rip_json_get(o, "detail-type");
    if (rip_json_str_eq(dt, "Security Hub Findings - Imported") ||
        rip_json_str_eq(dt, "Security Hub Findings - Custom Action"))
        return rip_json_count(rip_json_path(o, "detail.findings"));
    return 1;
}

static uint64_t expected_events(const rip_json_node *root)
{
    uint64_t n = 0;
    if (!rip_json_is(root, RIP_JSON_ARRAY))
        return expected_in_record(root);
    RIP_JSON_EACH(el, root)
        n += expected_in_record(el);
    return n;
}

/* Inputs that are not events a user would feed, with the outcome the
 * decoder must give them. Matched by path suffix or folder. */
static const struct exception {
    const char *match;       /* substring of the path */
    uint64_t events;         /* expected events */
    int errors_per_record;   /* 1: every record is an error */
    const char *reason_has;  /* expected in the error reason */
    const char *why;
} exceptions[] = {
    { "cloudtrail/stratus_red_team/INDEX.json", 0, 1, "unrecognized",
      "Stratus's index of techniques (metadata), not CloudTrail records" },
    { "guardduty/awsdocs_guardduty_user_guide/eventbridge_event_pattern__", 0, 1, "pattern",
      "EventBridge rule patterns (filters), not events" },
    { "securityhub_asff/awsdocs_securityhub_user_guide/securityhub-cwe-all-findings__1.json", 0, 1, "pattern",
      "EventBridge rule pattern, not an event" },
    { "securityhub_asff/awsdocs_securityhub_user_guide/securityhub-cwe-custom-actions__", 0, 1, "pattern",
      "EventBridge rule patterns, not events" },
    { "guardduty/guardduty_soar_blu371ck/", 0, 1, "PascalCase",
      "boto3-parsed findings (PascalCase keys), not a wire format (guardduty/SOURCE.txt)" },
};

typedef struct counter {
    uint64_t events, errors;
    char reason[300];
} counter;

static int count_event(void *ud, const rip_event *ev)
{
    counter *c = ud;
    c->events++;
    return ev->raw ? 0 : RIP_EINVAL;
}

static void count_error(void *ud, const rip_decode_error *e)
{
    counter *c = ud;
    c->errors++;
    snprintf(c->reason, sizeof(c->reason), "record %llu: %s", (unsigned long long)e->index + 1, e->reason);
}

static void test_corpus_folders(const char *corpus)
{
    static const char *const dirs[] = { "cloudtrail", "eventbridge", "guardduty", "securityhub_asff", "gcp_audit" };
    rip_input_list list;
    rip_buf data = RIP_BUF_INIT;
    rip_json_doc doc;
    uint64_t files = 0, events = 0, excepted = 0, failed = 0;

    rip_input_list_init(&list);
    rip_json_doc_init(&doc, NULL);
    for (size_t i = 0; i < 5; i++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/%s", corpus, dirs[i]);
        CHECK(rip_input_expand(&list, path) == 0, "expand corpus folder %s", dirs[i]);
    }
    for (size_t i = 0; i < list.count; i++) {
        const char *p = list.items[i].path;
        counter c = { 0 };
        rip_decoder dec;
        const struct exception *ex = NULL;

        for (size_t k = 0; k < sizeof(exceptions) / sizeof(exceptions[0]); k++)
            if (strstr(p, exceptions[k].match))
                ex = &exceptions[k];
        rip_buf_reset(&data);
        if (!CHECK(list.items[i].err == 0 && rip_input_read(p, (size_t)1 << 30, &data) == 0, "read %s", p)) {
            failed++;
            continue;
        }
        if (!CHECK(rip_json_parse(&doc, data.ptr, data.len, NULL) == 0, "%s is one JSON document", p)) {
            failed++;
            continue;
        }
        const rip_json_node *root = rip_json_root(&doc);
        uint64_t want = expected_events(root);
        uint64_t records = rip_json_is(root, RIP_JSON_ARRAY) ? rip_json_count(root) : 1;

        rip_decoder_init(&dec, count_event, count_error, &c, NULL);
        rip_decode_buffer(&dec, p, data.ptr, data.len);
        const char *rel = p + strlen(corpus) + 1;
        files++;
        if (ex) {
            excepted++;
            if (!CHECK(c.events == ex->events && c.errors == records && strstr(c.reason, ex->reason_has),
                       "%s: %llu events, %llu errors as expected (%s) [%s]", rel,
                       (unsigned long long)c.events, (unsigned long long)c.errors, ex->why, c.reason))
                failed++;
        } else {
            if (!CHECK(c.errors == 0 && c.events == want && dec.stats.decoded == want,
                       "%s: %llu events (expected %llu), %llu errors%s%s", rel,
                       (unsigned long long)c.events, (unsigned long long)want,
                       (unsigned long long)c.errors, c.errors ? ": " : "", c.reason))
                failed++;
            events += c.events;
        }
        rip_decoder_release(&dec);
    }
    tap_diag("corpus folders: %llu files, %llu events, %llu expected rejections, %llu failures",
             (unsigned long long)files, (unsigned long long)events, (unsigned long long)excepted,
             (unsigned long long)failed);
    CHECK(files >= 250, "corpus folders hold at least 250 data files (%llu)", (unsigned long long)files);
    rip_json_doc_release(&doc);
    rip_buf_release(&data);
    rip_input_list_release(&list);
}

/* Panther's rule-test fixtures that are not records of a format riposte
 * reads; everything else must decode to exactly one event. */
static const char *panther_exception(rip_json_doc *d, const rip_json_node *line, const rip_json_node *log)
{
    const rip_json_node *lt = rip_json_get(line, "log_types");
    if (rip_json_is(lt, RIP_JSON_ARRAY)) {
        RIP_JSON_EACH(t, lt)
            if (rip_json_str_eq(t, "AWS.S3ServerAccess"))
                return "Panther's parsed S3 server access log (not a supported wire format)";
    }
    if (rip_json_count(log) == 1 && rip_json_get(log, "methodName"))
        return "fragment holding only methodName, not a log entry";
    static const char *const times[] = { "eventTime", "receiveTimestamp", "timestamp" };
    for (size_t i = 0; i < 3; i++) {
        rip_slice s = rip_json_str(d, rip_json_get(log, times[i]));
        if (s.ptr && (s.len == 0 || s.ptr[0] < '0' || s.ptr[0] > '9'))
            return "time redacted in the fixture";
    }
    return NULL;
}

static void test_corpus_panther(const char *corpus)
{
    static const char *const files[] = {
        "aws_cloudtrail_rules_tests.jsonl", "aws_guardduty_rules_tests.jsonl",
        "aws_securityfinding_rules_tests.jsonl", "aws_s3_rules_tests.jsonl",
        "gcp_audit_rules_tests.jsonl",
    };
    rip_buf data = RIP_BUF_INIT;
    rip_json_doc doc;
    uint64_t lines = 0, events = 0, excepted = 0, bad = 0;

    rip_json_doc_init(&doc, NULL);
    for (size_t f = 0; f < 5; f++) {
        char path[4200];
        snprintf(path, sizeof(path), "%s/panther_labelled_events/%s", corpus, files[f]);
        rip_buf_reset(&data);
        if (!CHECK(rip_input_read(path, (size_t)1 << 30, &data) == 0, "read %s", files[f]))
            continue;
        uint64_t lineno = 0;
        char *p = data.ptr, *end = data.ptr + data.len;
        while (p < end) {
            char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            lineno++;
            if (n == 0) {
                p += 1;
                continue;
            }
            lines++;
            if (rip_json_parse(&doc, p, n, NULL) != 0 || !rip_json_get(rip_json_root(&doc), "log")) {
                CHECK(0, "%s line %llu is a JSON object with a log", files[f], (unsigned long long)lineno);
                bad++;
                p += n + 1;
                continue;
            }
            const rip_json_node *root = rip_json_root(&doc), *log = rip_json_get(root, "log");
            const char *why = panther_exception(&doc, root, log);
            rip_slice text = rip_json_text(log);
            counter c = { 0 };
            rip_decoder dec;
            rip_decoder_init(&dec, count_event, count_error, &c, NULL);
            rip_decode_buffer(&dec, files[f], text.ptr, text.len);
            rip_decoder_release(&dec);
            if (why) {
                excepted++;
                if (c.events != 0 || c.errors != 1) {
                    CHECK(0, "%s line %llu (%s): expected one error, got %llu events %llu errors",
                          files[f], (unsigned long long)lineno, why, (unsigned long long)c.events,
                          (unsigned long long)c.errors);
                    bad++;
                }
            } else if (c.events != 1 || c.errors != 0) {
                CHECK(0, "%s line %llu: expected one event, got %llu events, %llu errors %s", files[f],
                      (unsigned long long)lineno, (unsigned long long)c.events,
                      (unsigned long long)c.errors, c.reason);
                bad++;
            } else {
                events++;
            }
            p += n + 1;
        }
    }
    tap_diag("panther: %llu lines, %llu events, %llu expected rejections", (unsigned long long)lines,
             (unsigned long long)events, (unsigned long long)excepted);
    CHECK(bad == 0 && lines >= 600, "panther: every log decodes to one event or is a listed exception (%llu lines, %llu bad)",
          (unsigned long long)lines, (unsigned long long)bad);
    CHECK(excepted <= 30, "panther: at most 30 listed exceptions (%llu)", (unsigned long long)excepted);
    rip_json_doc_release(&doc);
    rip_buf_release(&data);
}

/* ---- {"Records":[...]} record by record (decode_records_stream) ----
 * The same input decoded with on_rollback set (the stream allowed) and
 * without must give the same events and errors; what was delivered before
 * a rollback is dropped, as `riposte scan` drops it. */

typedef struct stream_run {
    rip_buf text;
    int rollbacks;
    int streamed;     /* events whose document is the record alone */
} stream_run;

static int stream_on_event(void *ud, const rip_event *ev)
{
    stream_run *t = ud;
    rip_buf line = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &line);
    rip_event_write_json(&w, ev, 1);
    (void)rip_jw_finish(&w);
    rip_buf_addf(&t->text, "event %llu %s\n", (unsigned long long)ev->input_index, line.ptr);
    rip_buf_release(&line);
    if (ev->doc && rip_json_root(ev->doc) == ev->raw)
        t->streamed++;
    return 0;
}

static void stream_on_error(void *ud, const rip_decode_error *e)
{
    stream_run *t = ud;
    rip_buf_addf(&t->text, "error %llu %llu %llu %d %s\n", (unsigned long long)e->index,
                 (unsigned long long)e->line, (unsigned long long)e->column, e->whole_input,
                 e->reason);
}

static void stream_on_rollback(void *ud)
{
    stream_run *t = ud;
    rip_buf_reset(&t->text);
    t->streamed = 0;
    t->rollbacks++;
}

static int stream_decode(const char *in, size_t len, bool stream, stream_run *t)
{
    rip_decoder dec;
    rip_decoder_init(&dec, stream_on_event, stream_on_error, t, NULL);
    if (stream)
        dec.on_rollback = stream_on_rollback;
    int rc = rip_decode_buffer(&dec, "t.json", in, len);
    rip_decoder_release(&dec);
    return rc;
}

static void test_stream(void)
{
    static const struct {
        const char *name, *in;
        int streamed, rollback;   /* expected: events streamed, a rollback */
    } cases[] = {
        { "compact records",
          "{\"Records\":[{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\"},"
          "\"eventTime\":\"2026-11-01T10:00:00Z\",\"eventName\":\"StopLogging\"},"
          "{\"eventName\":\"DescribeInstances\"}]}", 2, 0 },
        { "pretty-printed records",
          "\n{\n  \"Records\" : [\n    {\n      \"eventName\": \"GetObject\"\n    } ,\n"
          "    { \"eventName\" : \"PutObject\" }\n  ]\n}\n", 2, 0 },
        { "eventName escaped and inside a string value",
          "{\"Records\":[{\"eventName\":\"Stop\\u004cogging\",\"requestParameters\":"
          "{\"s\":\"{\\\"eventName\\\":\\\"StopLogging\\\"}\"}}]}", 1, 0 },
        { "non-object and nested-container elements",
          "{\"Records\":[1,\"x\",{\"Records\":[{\"eventName\":\"nested\"}]},{\"eventName\":\"A\"}]}", 1, 0 },
        { "empty array", "{\"Records\":[]}", 0, 0 },
        { "escaped key (not streamed)", "{\"Reco\\u0072ds\":[{\"eventName\":\"A\"}]}", 0, 0 },
        { "malformed record after good ones",
          "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"B\",\"eventTime\":\"bad\"},"
          "{\"eventName\":\"C\",}]}", 0, 1 },
        { "document cut short", "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":", 0, 1 },
        { "another key after the array",
          "{\"Records\":[{\"eventName\":\"A\"}],\"detail-type\":\"AWS API Call via CloudTrail\","
          "\"detail\":{\"eventName\":\"B\"}}", 0, 1 },
        { "data after the document", "{\"Records\":[{\"eventName\":\"A\"}]} {}", 0, 1 },
        { "invalid UTF-8 in a later record",
          "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"\xff\"}]}", 0, 1 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stream_run a = { RIP_BUF_INIT, 0, 0 }, b = { RIP_BUF_INIT, 0, 0 };
        size_t len = strlen(cases[i].in);
        int ra = stream_decode(cases[i].in, len, false, &a);
        int rb = stream_decode(cases[i].in, len, true, &b);
        CHECK(ra == rb && strcmp(a.text.ptr, b.text.ptr) == 0,
              "stream: %s: same result record by record as whole%s%s%s%s", cases[i].name,
              ra == rb && strcmp(a.text.ptr, b.text.ptr) == 0 ? "" : "\n--- whole:\n",
              ra == rb && strcmp(a.text.ptr, b.text.ptr) == 0 ? "" : a.text.ptr,
              ra == rb && strcmp(a.text.ptr, b.text.ptr) == 0 ? "" : "--- stream:\n",
              ra == rb && strcmp(a.text.ptr, b.text.ptr) == 0 ? "" : b.text.ptr);
        CHECK(b.streamed == cases[i].streamed && b.rollbacks == cases[i].rollback,
              "stream: %s: %d events streamed (want %d), %d rollbacks (want %d)", cases[i].name,
              b.streamed, cases[i].streamed, b.rollbacks, cases[i].rollback);
        CHECK(a.rollbacks == 0 && a.streamed == 0, "stream: %s: not streamed without on_rollback",
              cases[i].name);
        rip_buf_release(&a.text);
        rip_buf_release(&b.text);
    }
}

/* A folder is walked in name order, depth first: regular files with a data
 * name, links to such files (under the link's name), never hidden entries,
 * other names, links to folders or dangling links. */
static void touch(const char *dir, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", dir, rel);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs("{}\n", f);
        fclose(f);
    }
}

static void test_expand_folder(void)
{
    char dir[] = "/tmp/riposte-test-expand-XXXXXX";
    if (!CHECK(mkdtemp(dir) != NULL, "make a temporary folder"))
        return;
    static const char *const dirs[] = { "b", "b/c", "a", ".hidden", "d" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char p[512];
        snprintf(p, sizeof(p), "%s/%s", dir, dirs[i]);
        mkdir(p, 0700);
    }
    static const char *const files[] = {
        "z.json", "b/c/deep.json.gz", "b/y.ndjson", "b/readme.txt", "a/x.jsonl",
        ".hidden/h.json", "b/.h.json", "d/target.json",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        touch(dir, files[i]);
    char p[512], t[512];
    snprintf(t, sizeof(t), "%s/d/target.json", dir);
    snprintf(p, sizeof(p), "%s/link.json", dir);
    int links = symlink(t, p);
    snprintf(t, sizeof(t), "%s/b", dir);
    snprintf(p, sizeof(p), "%s/linkdir.json", dir);
    links |= symlink(t, p);
    snprintf(p, sizeof(p), "%s/dangling.json", dir);
    links |= symlink("/nonexistent/riposte", p);
    CHECK(links == 0, "make the links");

    rip_input_list list;
    rip_input_list_init(&list);
    CHECK(rip_input_expand(&list, dir) == 0, "expand %s", dir);
    static const char *const want[] = {
        "a/x.jsonl", "b/c/deep.json.gz", "b/y.ndjson", "d/target.json", "link.json", "z.json",
    };
    size_t n = sizeof(want) / sizeof(want[0]);
    CHECK(list.count == n, "the walk lists %zu files (got %zu)", n, list.count);
    for (size_t i = 0; i < n && i < list.count; i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, want[i]);
        CHECK(strcmp(list.items[i].path, p) == 0 && list.items[i].err == 0,
              "entry %zu is %s (got %s)", i, want[i], list.items[i].path);
    }
    rip_input_list_release(&list);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "remove %s", dir);
}

int main(void)
{
    test_time();
    test_expand_folder();
    test_stream();
    test_base64();
    test_gunzip();
    test_shapes();
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("corpus decoding # ../shared/corpus not found (set RIPOSTE_CORPUS)");
    } else {
        test_corpus_folders(corpus);
        test_corpus_panther(corpus);
    }
    return tap_done();
}
