/* test-sigma.c — the Sigma engine: modifiers, wildcards, conditions,
 * logsource, dotted paths, error messages, and the SigmaHQ corpus.
 *
 * Events are built directly from small JSON records (rip_json_parse) so the
 * test does not depend on the decoders. Match cases are a table: a
 * detection block (indented as under `detection:`), an event, and whether
 * the rule must fire.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma.h"
#include "tap.h"
#include "util/err.h"
#include "util/json.h"

/* One CloudTrail-shaped record most cases run against. */
static const char base_event[] =
    "{\"eventVersion\":\"1.08\","
    "\"userIdentity\":{\"type\":\"AssumedRole\","
    "\"arn\":\"arn:aws:sts::123456789012:assumed-role/Admin/alice\","
    "\"accessKeyId\":\"ASIAEXAMPLE\","
    "\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\",\"userName\":\"Admin\"}}},"
    "\"eventTime\":\"2024-01-01T00:00:00Z\","
    "\"eventSource\":\"iam.amazonaws.com\","
    "\"eventName\":\"CreateAccessKey\","
    "\"awsRegion\":\"us-east-1\","
    "\"sourceIPAddress\":\"203.0.113.7\","
    "\"userAgent\":\"aws-cli/2.0 S3 Browser\","
    "\"requestParameters\":{\"userName\":\"bob\",\"policy\":\"{\\\"Effect\\\":\\\"Allow\\\"}\","
    "\"count\":5,\"tags\":[\"red\",\"blue\"]},"
    "\"responseElements\":{\"accessKey\":{\"userName\":\"bob\",\"status\":\"Active\"}},"
    "\"errorCode\":null,"
    "\"readOnly\":false,"
    "\"items\":[{\"name\":\"x1\",\"port\":22},{\"name\":\"x2\",\"port\":443}],"
    "\"ipv6\":\"2001:db8::1\","
    "\"payload\":\"aGVsbG8gd29ybGQ=\","
    "\"blob\":\"eHh4aGVsbG8gd29ybGR5eQ==\","
    "\"path\":\"C:\\\\temp\\\\a*b?\","
    "\"owner\":\"BOB\","
    "\"note\":\"line one\\nline two\","
    "\"literal\":\"5\"}";

typedef struct mcase {
    const char *name;
    const char *det;      /* the detection block */
    int expect;           /* 1 hit, 0 no hit */
} mcase;

static const mcase cases[] = {
    /* plain equality, case-insensitive by default */
    { "equality", "  sel:\n    eventName: CreateAccessKey\n  condition: sel\n", 1 },
    { "equality is case-insensitive", "  sel:\n    eventName: createaccesskey\n  condition: sel\n", 1 },
    { "equality false", "  sel:\n    eventName: CreateAccessKeys\n  condition: sel\n", 0 },
    { "list is OR", "  sel:\n    eventName: [Nope, CreateAccessKey]\n  condition: sel\n", 1 },
    { "list is OR false", "  sel:\n    eventName: [Nope, Nada]\n  condition: sel\n", 0 },
    { "map is AND", "  sel:\n    eventName: CreateAccessKey\n    awsRegion: us-east-1\n  condition: sel\n", 1 },
    { "map is AND false", "  sel:\n    eventName: CreateAccessKey\n    awsRegion: eu-west-1\n  condition: sel\n", 0 },
    { "list of maps is OR", "  sel:\n    - eventName: Nope\n    - awsRegion: us-east-1\n  condition: sel\n", 1 },
    { "list of maps false", "  sel:\n    - eventName: Nope\n    - awsRegion: eu-west-1\n  condition: sel\n", 0 },
    /* wildcards and escapes */
    { "star", "  sel:\n    eventName: Create*Key\n  condition: sel\n", 1 },
    { "star false", "  sel:\n    eventName: Delete*Key\n  condition: sel\n", 0 },
    { "qmark", "  sel:\n    eventName: CreateAcce?sKey\n  condition: sel\n", 1 },
    { "qmark needs one char", "  sel:\n    eventName: CreateAccess?Key\n  condition: sel\n", 0 },
    { "two stars", "  sel:\n    userAgent: '*cli*Browser'\n  condition: sel\n", 1 },
    { "escaped star is literal", "  sel:\n    path: 'C:\\temp\\a\\*b\\?'\n  condition: sel\n", 1 },
    { "escaped star false", "  sel:\n    path: 'C:\\temp\\a\\*c*'\n  condition: sel\n", 0 },
    { "escaped backslash", "  sel:\n    path: 'C:\\\\temp*'\n  condition: sel\n", 1 },
    { "lone star matches any value", "  sel:\n    awsRegion: '*'\n  condition: sel\n", 1 },
    { "lone star needs the field", "  sel:\n    nothere: '*'\n  condition: sel\n", 0 },
    /* contains / startswith / endswith */
    { "contains", "  sel:\n    userAgent|contains: s3 browser\n  condition: sel\n", 1 },
    { "contains false", "  sel:\n    userAgent|contains: TruffleHog\n  condition: sel\n", 0 },
    { "contains with wildcard inside", "  sel:\n    userAgent|contains: 'cli*S3'\n  condition: sel\n", 1 },
    { "startswith", "  sel:\n    userAgent|startswith: AWS-CLI\n  condition: sel\n", 1 },
    { "startswith false", "  sel:\n    userAgent|startswith: Browser\n  condition: sel\n", 0 },
    { "endswith", "  sel:\n    userAgent|endswith: browser\n  condition: sel\n", 1 },
    { "endswith false", "  sel:\n    userAgent|endswith: aws\n  condition: sel\n", 0 },
    { "contains all", "  sel:\n    userAgent|contains|all: [cli, Browser]\n  condition: sel\n", 1 },
    { "contains all false", "  sel:\n    userAgent|contains|all: [cli, Chrome]\n  condition: sel\n", 0 },
    { "cased", "  sel:\n    owner|cased: BOB\n  condition: sel\n", 1 },
    { "cased false", "  sel:\n    owner|cased: bob\n  condition: sel\n", 0 },
    { "cased contains false", "  sel:\n    userAgent|contains|cased: s3 browser\n  condition: sel\n", 0 },
    /* re */
    { "re", "  sel:\n    userIdentity.arn|re: '.+:assumed-role/Admin/.+'\n  condition: sel\n", 1 },
    { "re is unanchored", "  sel:\n    userIdentity.arn|re: 'role/Ad'\n  condition: sel\n", 1 },
    { "re is case-sensitive", "  sel:\n    userIdentity.arn|re: 'ROLE/admin'\n  condition: sel\n", 0 },
    { "re|i", "  sel:\n    userIdentity.arn|re|i: 'ROLE/admin'\n  condition: sel\n", 1 },
    { "re|m", "  sel:\n    note|re|m: '^line two$'\n  condition: sel\n", 1 },
    { "re without m", "  sel:\n    note|re: '^line two$'\n  condition: sel\n", 0 },
    { "re|s", "  sel:\n    note|re|s: 'one.line'\n  condition: sel\n", 1 },
    { "re without s", "  sel:\n    note|re: 'one.line'\n  condition: sel\n", 0 },
    /* re: the literal prefilter (bytes every match contains) never hides a match */
    { "re byte made optional by ?", "  sel:\n    userAgent|re: 'aws-cliX?/2'\n  condition: sel\n", 1 },
    { "re byte made optional by *", "  sel:\n    userAgent|re: 'S3 BrowserZ*$'\n  condition: sel\n", 1 },
    { "re byte repeated zero times", "  sel:\n    userAgent|re: 'cliX{0}/2'\n  condition: sel\n", 1 },
    { "re byte repeated by +", "  sel:\n    userAgent|re: 'aw+s-cli'\n  condition: sel\n", 1 },
    { "re escaped punctuation", "  sel:\n    userAgent|re: 'aws-cli/2\\.0'\n  condition: sel\n", 1 },
    { "re escaped punctuation false", "  sel:\n    userAgent|re: 'cli/2\\.1'\n  condition: sel\n", 0 },
    { "re inline caseless", "  sel:\n    userAgent|re: 'cli(?i)/2.0 s3 BROWSER'\n  condition: sel\n", 1 },
    { "re alternation", "  sel:\n    userAgent|re: 'TruffleHog|Browser'\n  condition: sel\n", 1 },
    { "re escape with a meaning", "  sel:\n    userAgent|re: 'cli/\\d\\.0 S3'\n  condition: sel\n", 1 },
    { "re class before the literal", "  sel:\n    userAgent|re: '[a-z]+-cli/2'\n  condition: sel\n", 1 },
    { "re literal absent", "  sel:\n    userIdentity.arn|re: '.+:assumed-role/Adminx'\n  condition: sel\n", 0 },
    { "re|i with the literal in another case", "  sel:\n    userAgent|re|i: 'AWS-CLI/2'\n  condition: sel\n", 1 },
    /* cidr */
    { "cidr v4", "  sel:\n    sourceIPAddress|cidr: 203.0.113.0/24\n  condition: sel\n", 1 },
    { "cidr v4 false", "  sel:\n    sourceIPAddress|cidr: 198.51.100.0/24\n  condition: sel\n", 0 },
    { "cidr v4 odd prefix", "  sel:\n    sourceIPAddress|cidr: 203.0.112.0/23\n  condition: sel\n", 1 },
    { "cidr v6", "  sel:\n    ipv6|cidr: '2001:db8::/32'\n  condition: sel\n", 1 },
    { "cidr v6 false", "  sel:\n    ipv6|cidr: '2001:db9::/32'\n  condition: sel\n", 0 },
    { "cidr family mismatch", "  sel:\n    ipv6|cidr: 0.0.0.0/0\n  condition: sel\n", 0 },
    { "cidr on a non-address", "  sel:\n    eventName|cidr: 0.0.0.0/0\n  condition: sel\n", 0 },
    /* base64 */
    { "base64", "  sel:\n    payload|base64: hello world\n  condition: sel\n", 1 },
    { "base64 false", "  sel:\n    payload|base64: hello there\n  condition: sel\n", 0 },
    { "base64 contains", "  sel:\n    blob|base64|contains: xxxhello\n  condition: sel\n", 1 },
    { "base64offset contains (offset 0)", "  sel:\n    payload|base64offset|contains: hello\n  condition: sel\n", 1 },
    { "base64offset contains (offset 3)", "  sel:\n    blob|base64offset|contains: hello world\n  condition: sel\n", 1 },
    { "base64offset contains (offset 6)", "  sel:\n    payload|base64offset|contains: world\n  condition: sel\n", 1 },
    { "base64offset contains (offset 1)", "  sel:\n    payload|base64offset|contains: ello\n  condition: sel\n", 1 },
    { "base64offset contains (offset 2)", "  sel:\n    payload|base64offset|contains: llo w\n  condition: sel\n", 1 },
    { "base64offset false", "  sel:\n    payload|base64offset|contains: planet\n  condition: sel\n", 0 },
    /* exists, null */
    { "exists true", "  sel:\n    awsRegion|exists: true\n  condition: sel\n", 1 },
    { "exists true false", "  sel:\n    nothere|exists: true\n  condition: sel\n", 0 },
    { "exists false", "  sel:\n    nothere|exists: false\n  condition: sel\n", 1 },
    { "exists false false", "  sel:\n    awsRegion|exists: false\n  condition: sel\n", 0 },
    { "null matches JSON null", "  sel:\n    errorCode: null\n  condition: sel\n", 1 },
    { "null matches absent", "  sel:\n    errorMessage: null\n  condition: sel\n", 1 },
    { "null false", "  sel:\n    awsRegion: null\n  condition: sel\n", 0 },
    { "quoted 'null' is a string", "  sel:\n    errorCode: 'null'\n  condition: sel\n", 0 },
    { "JSON null is not a value", "  sel:\n    errorCode|contains: '*'\n  condition: sel\n", 0 },
    { "null or value", "  sel:\n    awsRegion: [null, us-east-1]\n  condition: sel\n", 1 },
    /* numbers and booleans by their text; comparisons */
    { "number by text", "  sel:\n    requestParameters.count: 5\n  condition: sel\n", 1 },
    { "boolean by text", "  sel:\n    readOnly: false\n  condition: sel\n", 1 },
    { "gt", "  sel:\n    requestParameters.count|gt: 4\n  condition: sel\n", 1 },
    { "gt false", "  sel:\n    requestParameters.count|gt: 5\n  condition: sel\n", 0 },
    { "gte", "  sel:\n    requestParameters.count|gte: 5\n  condition: sel\n", 1 },
    { "lt", "  sel:\n    requestParameters.count|lt: 5.5\n  condition: sel\n", 1 },
    { "lt false", "  sel:\n    requestParameters.count|lt: 5\n  condition: sel\n", 0 },
    { "lte", "  sel:\n    requestParameters.count|lte: 5\n  condition: sel\n", 1 },
    { "lte on a numeric string", "  sel:\n    literal|lte: 5\n  condition: sel\n", 1 },
    { "gt on text is false", "  sel:\n    eventName|gt: 0\n  condition: sel\n", 0 },
    /* fieldref */
    { "fieldref", "  sel:\n    requestParameters.userName|fieldref: responseElements.accessKey.userName\n  condition: sel\n", 1 },
    { "fieldref false", "  sel:\n    requestParameters.userName|fieldref: awsRegion\n  condition: sel\n", 0 },
    { "fieldref missing field", "  sel:\n    requestParameters.userName|fieldref: nothere\n  condition: sel\n", 0 },
    { "fieldref endswith", "  sel:\n    owner|fieldref|endswith: requestParameters.userName\n  condition: sel\n", 1 },
    /* dotted paths, arrays, object text */
    { "dotted path", "  sel:\n    userIdentity.sessionContext.sessionIssuer.type: Role\n  condition: sel\n", 1 },
    { "dotted path false", "  sel:\n    userIdentity.sessionContext.sessionIssuer.type: User\n  condition: sel\n", 0 },
    { "path through an array", "  sel:\n    items.name: x2\n  condition: sel\n", 1 },
    { "path through an array false", "  sel:\n    items.name: x3\n  condition: sel\n", 0 },
    { "number inside an array", "  sel:\n    items.port|gte: 400\n  condition: sel\n", 1 },
    { "array of strings: any element", "  sel:\n    requestParameters.tags: blue\n  condition: sel\n", 1 },
    { "object contains (JSON text)", "  sel:\n    requestParameters|contains: '\"userName\":\"bob\"'\n  condition: sel\n", 1 },
    { "object contains false", "  sel:\n    requestParameters|contains: alice\n  condition: sel\n", 0 },
    { "object contains all", "  sel:\n    requestParameters|contains|all: ['\"red\"', 'blue', 'policy']\n  condition: sel\n", 1 },
    { "escaped string decoded", "  sel:\n    requestParameters.policy: '{\"Effect\":\"Allow\"}'\n  condition: sel\n", 1 },
    { "path into a string is absent", "  sel:\n    eventName.x|exists: false\n  condition: sel\n", 1 },
    /* keywords */
    { "keyword", "  kw:\n    - S3 Browser\n  condition: kw\n", 1 },
    { "keyword is case-insensitive", "  kw:\n    - s3 browser\n  condition: kw\n", 1 },
    { "keyword false", "  kw:\n    - TruffleHog\n  condition: kw\n", 0 },
    { "keyword list is OR", "  kw:\n    - nope\n    - assumed-role/Admin\n  condition: kw\n", 1 },
    { "keyword with wildcard", "  kw:\n    - 'assumed*alice'\n  condition: kw\n", 1 },
    { "keyword in an escaped string", "  kw:\n    - '\"Effect\":\"Allow\"'\n  condition: kw\n", 1 },
    { "keyword and selection", "  sel:\n    eventName: CreateAccessKey\n  kw:\n    - ASIAEXAMPLE\n  condition: sel and kw\n", 1 },
    /* conditions */
    { "not", "  sel:\n    eventName: Nope\n  condition: not sel\n", 1 },
    { "and not", "  sel:\n    eventName: CreateAccessKey\n  f:\n    awsRegion: us-east-1\n  condition: sel and not f\n", 0 },
    { "or", "  a:\n    eventName: Nope\n  b:\n    awsRegion: us-east-1\n  condition: a or b\n", 1 },
    { "and binds tighter than or", "  a:\n    eventName: CreateAccessKey\n  b:\n    awsRegion: nope\n  c:\n    owner: nope\n  condition: a or b and c\n", 1 },
    { "parentheses", "  a:\n    eventName: CreateAccessKey\n  b:\n    awsRegion: nope\n  c:\n    owner: nope\n  condition: (a or b) and c\n", 0 },
    { "not binds tighter than and", "  a:\n    eventName: Nope\n  b:\n    awsRegion: nope\n  condition: not a and b\n", 0 },
    { "not of parentheses", "  a:\n    eventName: Nope\n  b:\n    awsRegion: us-east-1\n  condition: not (a and b)\n", 1 },
    { "double not", "  a:\n    eventName: CreateAccessKey\n  condition: not not a\n", 1 },
    { "1 of pattern", "  sel_a:\n    eventName: Nope\n  sel_b:\n    awsRegion: us-east-1\n  condition: 1 of sel_*\n", 1 },
    { "1 of pattern false", "  sel_a:\n    eventName: Nope\n  sel_b:\n    awsRegion: nope\n  other:\n    owner: bob\n  condition: 1 of sel_*\n", 0 },
    { "all of pattern", "  sel_a:\n    eventName: CreateAccessKey\n  sel_b:\n    awsRegion: us-east-1\n  condition: all of sel_*\n", 1 },
    { "all of pattern false", "  sel_a:\n    eventName: CreateAccessKey\n  sel_b:\n    awsRegion: nope\n  condition: all of sel_*\n", 0 },
    { "1 of them", "  a:\n    eventName: Nope\n  b:\n    owner: bob\n  condition: 1 of them\n", 1 },
    { "all of them", "  a:\n    eventName: CreateAccessKey\n  b:\n    owner: nope\n  condition: all of them\n", 0 },
    { "them skips _names", "  a:\n    eventName: CreateAccessKey\n  _b:\n    owner: nope\n  condition: all of them\n", 1 },
    { "selection and not 1 of filter", "  selection:\n    eventName: CreateAccessKey\n  filter_main_a:\n    awsRegion: eu-west-1\n  filter_main_b:\n    owner: alice\n  condition: selection and not 1 of filter_main_*\n", 1 },
    { "list of conditions is OR", "  a:\n    eventName: Nope\n  b:\n    owner: bob\n  condition:\n    - a\n    - b\n", 1 },
};

static rip_json_doc doc;

static void ev_init(rip_event *ev, const char *json, rip_format fmt)
{
    rip_json_error err;
    memset(ev, 0, sizeof(*ev));
    if (rip_json_parse(&doc, json, strlen(json), &err) < 0) {
        printf("# bad test JSON: %s\n", err.msg);
        exit(2);
    }
    ev->doc = &doc;
    ev->raw = rip_json_root(&doc);
    ev->format = fmt;
    ev->kind = fmt == RIP_FORMAT_GUARDDUTY || fmt == RIP_FORMAT_ASFF ? RIP_EVENT_FINDING
                                                                    : RIP_EVENT_API_CALL;
}

typedef struct diags {
    char text[8][512];
    int n, errors;
} diags;

static void on_diag(void *ud, const rip_sigma_diag *d)
{
    diags *ds = ud;
    if (!d->warning)
        ds->errors++;
    if (ds->n < 8)
        snprintf(ds->text[ds->n++], sizeof(ds->text[0]), "%s", d->text);
}

static int count_hit(void *ud, const rip_sigma_hit *h, const rip_event *ev)
{
    (void)ev;
    if (h->report)
        (*(int *)ud)++;
    return 0;
}

/* Loads yaml, compiles, matches ev: 1 hit, 0 none, -1 load error. */
static int run_rule(const char *yaml, const rip_event *ev, diags *ds)
{
    diags local = { 0 };
    if (!ds)
        ds = &local;
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, ds);
    const char *vals[] = { "203.0.113.0/24", "198.51.100.*" };
    rip_sigma_add_placeholder(rs, "%office_ips%", vals, 2);
    rip_sigma_add_placeholder(rs, "office_nets", vals, 1);
    int rc = rip_sigma_load_buffer(rs, "t.yml", yaml, strlen(yaml));
    if (rc == 0)
        rc = rip_sigma_compile(rs);
    int hits = 0;
    if (rc == 0 && rip_sigma_rule_count(rs) > 0) {
        rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
        rc = rip_sigma_match(m, ev, count_hit, &hits);
        rip_sigma_matcher_free(m);
    }
    rip_sigma_ruleset_free(rs);
    if (rc < 0) {
        for (int i = 0; i < ds->n; i++)
            printf("#   %s\n", ds->text[i]);
        return -1;
    }
    return hits > 0;
}

static char *rule_text(const char *product, const char *service, const char *det)
{
    static char buf[8192];
    snprintf(buf, sizeof(buf),
             "title: test rule\nid: 00000000-0000-0000-0000-000000000001\n"
             "logsource:\n  product: %s\n  service: %s\nlevel: high\ndetection:\n%s",
             product, service, det);
    return buf;
}

static void test_cases(void)
{
    rip_event ev;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ev_init(&ev, base_event, RIP_FORMAT_CLOUDTRAIL);
        int got = run_rule(rule_text("aws", "cloudtrail", cases[i].det), &ev, NULL);
        CHECK(got == cases[i].expect, "match: %s (expected %s, got %s)", cases[i].name,
              cases[i].expect ? "hit" : "no hit", got < 0 ? "load error" : got ? "hit" : "no hit");
    }
}

static void test_expand(void)
{
    rip_event ev;
    ev_init(&ev, base_event, RIP_FORMAT_CLOUDTRAIL);
    const char *det = "  sel:\n    sourceIPAddress|expand|cidr: '%office_nets%'\n  condition: sel\n";
    CHECK(run_rule(rule_text("aws", "cloudtrail", det), &ev, NULL) == 1, "expand: placeholder values");
    det = "  sel:\n    sourceIPAddress|expand: '%office_ips%'\n  condition: not sel\n";
    CHECK(run_rule(rule_text("aws", "cloudtrail", det), &ev, NULL) == 1,
          "expand: plain values with wildcards (no match)");
    det = "  sel:\n    sourceIPAddress|expand: '%nope%'\n  condition: sel\n";
    diags ds = { 0 };
    int got = run_rule(rule_text("aws", "cloudtrail", det), &ev, &ds);
    CHECK(got < 0 && ds.n && strstr(ds.text[0], "line 9: placeholder '%nope%' is not defined"),
          "expand: undefined placeholder is an error naming the line (%s)", ds.n ? ds.text[0] : "");
}

static void test_logsource(void)
{
    rip_event ev;
    const char *det = "  sel:\n    eventName: CreateAccessKey\n  condition: sel\n";
    ev_init(&ev, base_event, RIP_FORMAT_GCP_AUDIT);
    CHECK(run_rule(rule_text("aws", "cloudtrail", det), &ev, NULL) == 0,
          "logsource: an aws/cloudtrail rule does not see GCP events");
    ev_init(&ev, base_event, RIP_FORMAT_CLOUDTRAIL);
    CHECK(run_rule(rule_text("gcp", "gcp.audit", det), &ev, NULL) == 0,
          "logsource: a gcp/gcp.audit rule does not see CloudTrail events");
    ev_init(&ev, "{\"protoPayload\":{\"methodName\":\"storage.buckets.list\","
                 "\"authorizationInfo\":[{\"permission\":\"storage.buckets.list\",\"granted\":true}]}}",
            RIP_FORMAT_GCP_AUDIT);
    CHECK(run_rule(rule_text("gcp", "gcp.audit",
                             "  sel:\n    gcp.audit.method_name: storage.buckets.list\n  condition: sel\n"),
                   &ev, NULL) == 1, "logsource: gcp.audit rule sees GCP events (gcp.audit.method_name mapped)");
    CHECK(run_rule(rule_text("gcp", "gcp.audit",
                             "  sel:\n    data.protoPayload.authorizationInfo.permission: storage.buckets.list\n"
                             "  condition: sel\n"), &ev, NULL) == 1,
          "logsource: data.protoPayload paths reach the log entry, through arrays");
    ev_init(&ev, "{\"type\":\"Recon:EC2/PortProbeUnprotectedPort\",\"severity\":8}", RIP_FORMAT_GUARDDUTY);
    det = "  sel:\n    severity|gte: 7\n  condition: sel\n";
    CHECK(run_rule(rule_text("aws", "guardduty", det), &ev, NULL) == 1,
          "logsource: aws/guardduty sees GuardDuty findings");
    CHECK(run_rule(rule_text("aws", "securityhub", det), &ev, NULL) == 0,
          "logsource: aws/securityhub does not see GuardDuty findings");
    CHECK(run_rule(rule_text("aws", "cloudtrail", det), &ev, NULL) == 0,
          "logsource: aws/cloudtrail does not see findings");
    ev_init(&ev, "{\"Severity\":{\"Label\":\"HIGH\"}}", RIP_FORMAT_ASFF);
    CHECK(run_rule(rule_text("aws", "securityhub", "  sel:\n    Severity.Label: high\n  condition: sel\n"),
                   &ev, NULL) == 1, "logsource: aws/securityhub sees ASFF findings");
    diags ds = { 0 };
    ev_init(&ev, base_event, RIP_FORMAT_CLOUDTRAIL);
    CHECK(run_rule(rule_text("windows", "sysmon", "  sel:\n    eventName: CreateAccessKey\n  condition: sel\n"),
                   &ev, &ds) == 0 && ds.errors == 0 && ds.n == 1 && strstr(ds.text[0], "never fires"),
          "logsource: an unknown logsource loads with a warning and never fires (%s)", ds.n ? ds.text[0] : "");
}

typedef struct ecase {
    const char *name;
    const char *yaml;
    const char *want;     /* substring of the first diagnostic */
} ecase;

static const ecase error_cases[] = {
    { "unknown modifier",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    eventName|contians: x\n  condition: sel\n",
      "'t.yml' line 7: unknown modifier 'contians' on field 'eventName'" },
    { "windash does not apply",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    cmd|windash: -x\n  condition: sel\n",
      "line 7: modifier 'windash' does not apply to cloud logs" },
    { "utf16le does not apply",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    cmd|utf16le|base64: x\n  condition: sel\n",
      "line 7: modifier 'utf16le' does not apply to cloud logs" },
    { "conflicting modifiers",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|contains|startswith: x\n  condition: sel\n",
      "line 7: modifier 'startswith' cannot be combined with 'contains' on field 'a'" },
    { "re flag without re",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|i: x\n  condition: sel\n",
      "line 7: modifier 'i' applies only after 're'" },
    { "bad regex",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|re: '(x'\n  condition: sel\n",
      "line 7: bad regular expression for field 'a'" },
    { "bad cidr",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|cidr:\n      - 10.0.0.0/8\n      - 10.0.0.0/33\n  condition: sel\n",
      "line 9: expected an IPv4 or IPv6 network" },
    { "bad number",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|gt: ten\n  condition: sel\n",
      "line 7: expected a number for field 'a', found 'ten'" },
    { "exists needs a boolean",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a|exists: maybe\n  condition: sel\n",
      "line 7: expected true or false for 'exists'" },
    { "undefined selection",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n  condition: sel and filter\n",
      "line 8: condition 'sel and filter': position 9: undefined selection 'filter'" },
    { "bad condition",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n  condition: sel and\n",
      "line 8: condition 'sel and': position 8: expected a selection name" },
    { "unbalanced parenthesis",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n  condition: (sel\n",
      "position 5: expected ')' to close '(' at position 1" },
    { "pattern matching nothing",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n  condition: 1 of filter_*\n",
      "position 6: no selection matches 'filter_*'" },
    { "missing condition",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n",
      "line 6: missing 'condition' in 'detection'" },
    { "missing title",
      "logsource:\n  product: aws\ndetection:\n  sel:\n    a: x\n  condition: sel\n",
      "line 1: missing 'title'" },
    { "missing logsource",
      "title: t\ndetection:\n  sel:\n    a: x\n  condition: sel\n",
      "missing 'logsource'" },
    { "unknown level",
      "title: t\nlevel: severe\nlogsource:\n  product: aws\ndetection:\n  sel:\n    a: x\n  condition: sel\n",
      "line 2: unknown level 'severe'" },
    { "map as a value",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a:\n      b: c\n  condition: sel\n",
      "line 8: expected a value or a list of values for field 'a', found a map" },
    { "bad YAML",
      "title: t\nlogsource:\n  product: aws\n service: cloudtrail\ndetection:\n",
      "'t.yml' line 4: invalid YAML" },
    { "tab indentation",
      "title: t\ndetection:\n\tsel: x\n",
      "'t.yml' line 3: invalid YAML" },
    { "duplicate key",
      "title: t\nlogsource:\n  product: aws\ndetection:\n  sel:\n    a: x\n    a: y\n  condition: sel\n",
      "line 7: duplicate key 'a' (first on line 6)" },
    { "alias",
      "title: &t t\nname: *t\n",
      "line 1: YAML anchors are not supported" },
    { "not a map",
      "- a\n- b\n",
      "line 1: expected a rule" },
    { "bad correlation type",
      "title: c\ncorrelation:\n  type: counting\n  rules: [a]\n  timespan: 5m\n",
      "line 3: unknown correlation type 'counting'" },
    { "aggregation without timeframe",
      "title: t\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  sel:\n"
      "    a: x\n  condition: sel | count() > 5\n",
      "line 8: an aggregation needs 'timeframe'" },
};

static void test_errors(void)
{
    rip_event ev;
    ev_init(&ev, base_event, RIP_FORMAT_CLOUDTRAIL);
    for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
        diags ds = { 0 };
        int got = run_rule(error_cases[i].yaml, &ev, &ds);
        CHECK(got < 0 && ds.errors > 0 && strstr(ds.text[0], error_cases[i].want),
              "error: %s: %s", error_cases[i].name, ds.n ? ds.text[0] : "(no diagnostic)");
    }
}

static void test_multi_and_correlation(void)
{
    const char *yaml =
        "title: failed logins\nname: failed_login\nid: 11111111-1111-1111-1111-111111111111\n"
        "logsource:\n  product: aws\n  service: cloudtrail\n"
        "detection:\n  sel:\n    eventName: ConsoleLogin\n    responseElements.ConsoleLogin: Failure\n"
        "  condition: sel\n"
        "---\n"
        "title: brute force\nid: 22222222-2222-2222-2222-222222222222\n"
        "correlation:\n  type: event_count\n  rules:\n    - failed_login\n"
        "  group-by:\n    - sourceIPAddress\n  timespan: 10m\n  condition:\n    gte: 10\n"
        "level: high\n"
        "---\n"
        "title: aggregation\nlogsource:\n  product: aws\n  service: cloudtrail\n"
        "detection:\n  sel:\n    eventName: ConsoleLogin\n  timeframe: 30m\n"
        "  condition: sel | count() by sourceIPAddress > 5\n";
    diags ds = { 0 };
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, &ds);
    int rc = rip_sigma_load_buffer(rs, "multi.yml", yaml, strlen(yaml));
    CHECK(rc == 0 && rip_sigma_rule_count(rs) == 3, "multi-document file loads 3 rules (rc %d, %u)",
          rc, rip_sigma_rule_count(rs));
    rc = rip_sigma_compile(rs);
    CHECK(rc == 0, "compile resolves the correlation reference (rc %d)", rc);
    const rip_sigma_meta *c = rip_sigma_rule_meta(rip_sigma_rule_at(rs, 1));
    CHECK(c->kind == RIP_SIGMA_CORRELATION && c->correlation &&
          c->correlation->type == RIP_SIGMA_CORR_EVENT_COUNT &&
          c->correlation->timespan_ns == 600LL * 1000000000 &&
          c->correlation->cmp == RIP_SIGMA_CMP_GTE && c->correlation->threshold == 10 &&
          c->correlation->group_by.n == 1 && c->correlation->resolved &&
          c->correlation->resolved[0] == rip_sigma_rule_at(rs, 0),
          "correlation fields are kept");
    const rip_sigma_meta *a = rip_sigma_rule_meta(rip_sigma_rule_at(rs, 2));
    CHECK(a->kind == RIP_SIGMA_AGGREGATION && a->correlation->type == RIP_SIGMA_CORR_EVENT_COUNT &&
          a->correlation->cmp == RIP_SIGMA_CMP_GT && a->correlation->threshold == 5 &&
          a->correlation->group_by.n == 1 &&
          strcmp(a->correlation->group_by.v[0], "sourceIPAddress") == 0 &&
          a->correlation->timespan_ns == 1800LL * 1000000000,
          "v1 aggregation is translated to event_count");
    rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
    rip_event ev;
    ev_init(&ev, "{\"eventName\":\"ConsoleLogin\",\"responseElements\":{\"ConsoleLogin\":\"Failure\"}}",
            RIP_FORMAT_CLOUDTRAIL);
    int reported = 0;
    int hits = rip_sigma_match(m, &ev, count_hit, &reported);
    CHECK(hits == 2 && reported == 0,
          "rules feeding a correlation (generate: false) and aggregations hit without reporting "
          "(%d hits, %d reported)", hits, reported);
    rip_sigma_matcher_free(m);
    rip_sigma_ruleset_free(rs);

    ds.n = ds.errors = 0;
    rs = rip_sigma_ruleset_new(on_diag, &ds);
    const char *bad = "title: c\ncorrelation:\n  type: temporal\n  rules: [nothere]\n  timespan: 1h\n";
    rip_sigma_load_buffer(rs, "c.yml", bad, strlen(bad));
    rc = rip_sigma_compile(rs);
    CHECK(rc == RIP_ESYNTAX && ds.n && strstr(ds.text[0], "'c.yml' line 1: correlation 'c' refers to rule 'nothere'"),
          "unresolved correlation reference is an error (%s)", ds.n ? ds.text[0] : "");
    rip_sigma_ruleset_free(rs);
}

typedef struct members {
    int m0, m1, reported;
} members;

static int count_members(void *ud, const rip_sigma_hit *h, const rip_event *ev)
{
    members *mb = ud;
    (void)ev;
    if (h->member)
        mb->m1++;
    else
        mb->m0++;
    mb->reported += h->report;
    return 0;
}

static void test_near(void)
{
    const char *yaml =
        "title: near\nlogsource:\n  product: aws\n  service: cloudtrail\n"
        "detection:\n  a:\n    eventName: CreateFunction\n  b:\n    eventName: Invoke\n"
        "  timeframe: 5m\n  condition: a | near b\n";
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(NULL, NULL);
    int rc = rip_sigma_load_buffer(rs, "near.yml", yaml, strlen(yaml));
    rc = rc ? rc : rip_sigma_compile(rs);
    const rip_sigma_meta *mt = rip_sigma_rule_meta(rip_sigma_rule_at(rs, 0));
    CHECK(rc == 0 && mt->kind == RIP_SIGMA_AGGREGATION &&
          mt->correlation->type == RIP_SIGMA_CORR_TEMPORAL &&
          mt->correlation->timespan_ns == 300LL * 1000000000, "near: translated to temporal");
    rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
    rip_event ev;
    members mb = { 0 };
    ev_init(&ev, "{\"eventName\":\"CreateFunction\"}", RIP_FORMAT_CLOUDTRAIL);
    rip_sigma_match(m, &ev, count_members, &mb);
    ev_init(&ev, "{\"eventName\":\"Invoke\"}", RIP_FORMAT_CLOUDTRAIL);
    rip_sigma_match(m, &ev, count_members, &mb);
    ev_init(&ev, "{\"eventName\":\"Other\"}", RIP_FORMAT_CLOUDTRAIL);
    rip_sigma_match(m, &ev, count_members, &mb);
    CHECK(mb.m0 == 1 && mb.m1 == 1 && mb.reported == 0,
          "near: the search is member 0, the near part member 1, neither reports (%d %d %d)",
          mb.m0, mb.m1, mb.reported);
    rip_sigma_matcher_free(m);
    rip_sigma_ruleset_free(rs);
}

static void test_dispatch(void)
{
    /* Many rules keyed on eventName: an event only evaluates the ones that can match. */
    char yaml[65536];
    size_t n = 0;
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
                              "title: r%d\nlogsource:\n  product: aws\n  service: cloudtrail\n"
                              "detection:\n  sel:\n    eventName: Event%d\n  condition: sel\n---\n", i, i);
    n += (size_t)snprintf(yaml + n, sizeof(yaml) - n,
                          "title: src\nlogsource:\n  product: aws\n  service: cloudtrail\n"
                          "detection:\n  sel:\n    eventSource: iam.amazonaws.com\n    eventName|startswith: Event\n"
                          "  condition: sel\n---\n"
                          "title: any\nlogsource:\n  product: aws\n  service: cloudtrail\n"
                          "detection:\n  sel:\n    eventName|contains: '7'\n  condition: sel\n");
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(NULL, NULL);
    int rc = rip_sigma_load_buffer(rs, "d.yml", yaml, n);
    rc = rc ? rc : rip_sigma_compile(rs);
    rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
    rip_event ev;
    ev_init(&ev, "{\"eventName\":\"event77\",\"eventSource\":\"iam.amazonaws.com\"}", RIP_FORMAT_CLOUDTRAIL);
    int hits = rip_sigma_match(m, &ev, NULL, NULL);
    rip_sigma_match_stats st;
    rip_sigma_matcher_stats(m, &st);
    CHECK(rc == 0 && hits == 3 && st.rules_evaluated == 3,
          "dispatch: eventName/eventSource literals route to 3 of 102 rules (%d hits, %llu evaluated)",
          hits, (unsigned long long)st.rules_evaluated);
    rip_sigma_matcher_free(m);
    rip_sigma_ruleset_free(rs);
}

static void test_condition_check(void)
{
    const char *names[] = { "selection", "filter_a", "filter_b" };
    char err[256];
    CHECK(rip_sigma_condition_check("selection and not 1 of filter_*", names, 3, err, sizeof(err)) == 0,
          "condition check: valid");
    CHECK(rip_sigma_condition_check("selection and or filter_a", names, 3, err, sizeof(err)) == RIP_ESYNTAX &&
          strcmp(err, "position 15: expected a selection name, '(', 'not', '1 of' or 'all of', found 'or'") == 0,
          "condition check: error names position and expectation (%s)", err);
    CHECK(rip_sigma_condition_check("selection filter_a", names, 3, err, sizeof(err)) == RIP_ESYNTAX &&
          strstr(err, "position 11: expected 'and', 'or' or the end of the condition"),
          "condition check: missing operator (%s)", err);
    CHECK(rip_sigma_condition_check("filter_*", names, 3, err, sizeof(err)) == RIP_ESYNTAX &&
          strstr(err, "needs '1 of' or 'all of'"), "condition check: bare wildcard (%s)", err);
    char deep[1000];
    memset(deep, '(', 400);
    strcpy(deep + 400, "selection");
    CHECK(rip_sigma_condition_check(deep, names, 3, err, sizeof(err)) == RIP_ESYNTAX &&
          strstr(err, "nested deeper"), "condition check: depth limit (%s)", err);
}

/* ---- corpus ---- */

static int load_dir(const char *corpus, const char *sub, const char *placeholders,
                    uint32_t *nrules, uint32_t *nerrors, uint32_t *nwarn, rip_sigma_ruleset **keep)
{
    char path[8300];
    snprintf(path, sizeof(path), "%s/sigma/%s", corpus, sub);
    diags ds = { 0 };
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, &ds);
    int rc = 0;
    if (placeholders)
        rc = rip_sigma_load_placeholders(rs, placeholders);
    if (rc == 0)
        rc = rip_sigma_load_path(rs, path);
    if (rc == 0)
        rc = rip_sigma_compile(rs);
    *nrules = rip_sigma_rule_count(rs);
    *nerrors = (uint32_t)ds.errors;
    *nwarn = (uint32_t)(ds.n - ds.errors);
    for (int i = 0; i < ds.n; i++)
        printf("#   %s\n", ds.text[i]);
    if (keep)
        *keep = rs;
    else
        rip_sigma_ruleset_free(rs);
    return rc;
}

static void test_corpus(void)
{
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("corpus: ../shared/corpus not found");
        return;
    }
    static const struct { const char *dir; uint32_t want; bool placeholders; } dirs[] = {
        { "rules", 57, false },
        { "rules-placeholder", 1, true },
        { "gcp_audit_rules", 16, false },
        { "unsupported", 8, false },
    };
    char ph[4096];
    snprintf(ph, sizeof(ph), "%s/tests/data/sigma-placeholders.yml", RIPOSTE_SOURCE_ROOT);
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        uint32_t n = 0, errors = 0, warn = 0;
        int rc = load_dir(corpus, dirs[i].dir, dirs[i].placeholders ? ph : NULL, &n, &errors, &warn, NULL);
        CHECK(rc == 0 && n == dirs[i].want && errors == 0 && warn == 0,
              "corpus: sigma/%s: %u rules load and validate (want %u; rc %d, %u errors, %u warnings)",
              dirs[i].dir, n, dirs[i].want, rc, errors, warn);
    }
    uint32_t n = 0, errors = 0, warn = 0;
    int rc = load_dir(corpus, "rules-placeholder", NULL, &n, &errors, &warn, NULL);
    CHECK(rc == RIP_ESYNTAX && errors == 1,
          "corpus: the placeholder rule without a placeholder file is an error");

    const char *paths[2];
    char p1[4200], p2[4200];
    snprintf(p1, sizeof(p1), "%s/sigma/rules", corpus);
    snprintf(p2, sizeof(p2), "%s/sigma/unsupported", corpus);
    paths[0] = p1;
    paths[1] = p2;
    uint32_t nr = 0;
    rc = rip_sigma_validate(paths, 2, NULL, NULL, NULL, &nr);
    CHECK(rc == 0 && nr == 65, "corpus: rip_sigma_validate over two folders (%u rules, rc %d)", nr, rc);

    /* A few SigmaHQ rules against hand-made records. */
    rip_sigma_ruleset *rs = NULL;
    load_dir(corpus, "rules", NULL, &n, &errors, &warn, &rs);
    rip_sigma_matcher *m = rip_sigma_matcher_new(rs);
    static const struct { const char *json; int expect; } probes[] = {
        { "{\"eventName\":\"StopLogging\",\"eventSource\":\"cloudtrail.amazonaws.com\"}",
          1 },
        { "{\"eventName\":\"ConsoleLogin\",\"additionalEventData\":{\"MFAUsed\":\"No\"},"
          "\"responseElements\":{\"ConsoleLogin\":\"Success\"}}", 1 },
        { "{\"eventName\":\"GetCallerIdentity\",\"eventSource\":\"sts.amazonaws.com\","
          "\"userAgent\":\"TruffleHog\"}", 1 },
        { "{\"eventName\":\"CreateAccessKey\",\"eventSource\":\"iam.amazonaws.com\","
          "\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/alice\"},"
          "\"responseElements\":{\"accessKey\":{\"userName\":\"bob\"}}}", 1 },
        { "{\"eventName\":\"DescribeInstances\",\"eventSource\":\"ec2.amazonaws.com\","
          "\"userIdentity\":{\"type\":\"IAMUser\"}}", 0 },
    };
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        rip_event ev;
        ev_init(&ev, probes[i].json, RIP_FORMAT_CLOUDTRAIL);
        int reported = 0;
        int hits = rip_sigma_match(m, &ev, count_hit, &reported);
        CHECK((hits > 0) == (probes[i].expect > 0), "corpus: probe %zu: %d hits (want %s)", i, hits,
              probes[i].expect ? "some" : "none");
    }
    rip_sigma_matcher_free(m);
    rip_sigma_ruleset_free(rs);
}

int main(void)
{
    rip_json_doc_init(&doc, NULL);
    test_cases();
    test_expand();
    test_logsource();
    test_errors();
    test_multi_and_correlation();
    test_near();
    test_dispatch();
    test_condition_check();
    test_corpus();
    rip_json_doc_release(&doc);
    return tap_done();
}
