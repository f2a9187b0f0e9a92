/* decode-aws.c — CloudTrail records, GuardDuty findings (API camelCase
 * shape) and Security Hub findings (ASFF) into rip_event. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "normalize/decode-private.h"
#include "util/arena.h"

#define MAX_RESOURCES 4096   /* per record; further ones are dropped */

/* Room for up to n resources (capped at MAX_RESOURCES: the rest of a
 * record's resources are dropped). *cap receives the room actually
 * allocated; callers must not write past it. */
static rip_resource *alloc_resources(rip_rec *r, uint32_t n, uint32_t *cap)
{
    if (n > MAX_RESOURCES)
        n = MAX_RESOURCES;
    *cap = n;
    return n ? rip_arena_calloc(&r->dec->arena, n, sizeof(rip_resource)) : NULL;
}

/* ---- CloudTrail ---- */

/* The top-level CloudTrail fields riposte reads, found in one pass over the
 * record's keys (a record has ~25 keys; looking each field up on its own
 * would walk them ~15 times). */
enum {
    CT_EVENT_TIME, CT_EVENT_ID, CT_AWS_REGION, CT_USER_IDENTITY, CT_RECIPIENT_ACCOUNT,
    CT_ADDITIONAL_DATA, CT_EVENT_SOURCE, CT_EVENT_NAME, CT_READ_ONLY, CT_ERROR_CODE,
    CT_ERROR_MESSAGE, CT_SOURCE_IP, CT_USER_AGENT, CT_RESOURCES, CT__COUNT
};

static const char *const ct_names[CT__COUNT] = {
    [CT_EVENT_TIME] = "eventTime", [CT_EVENT_ID] = "eventID", [CT_AWS_REGION] = "awsRegion",
    [CT_USER_IDENTITY] = "userIdentity", [CT_RECIPIENT_ACCOUNT] = "recipientAccountId",
    [CT_ADDITIONAL_DATA] = "additionalEventData", [CT_EVENT_SOURCE] = "eventSource",
    [CT_EVENT_NAME] = "eventName", [CT_READ_ONLY] = "readOnly", [CT_ERROR_CODE] = "errorCode",
    [CT_ERROR_MESSAGE] = "errorMessage", [CT_SOURCE_IP] = "sourceIPAddress",
    [CT_USER_AGENT] = "userAgent", [CT_RESOURCES] = "resources",
};

static int ct_field_id(const char *k, size_t len)
{
#define CT_IS(id) (memcmp(k, ct_names[id], len) == 0 ? (id) : -1)
    switch (len) {
    case 7: return CT_IS(CT_EVENT_ID);
    case 8: return CT_IS(CT_READ_ONLY);
    case 9:
        switch (k[0]) {
        case 'e': return k[5] == 'T' ? CT_IS(CT_EVENT_TIME) : k[5] == 'N' ? CT_IS(CT_EVENT_NAME)
                                                                          : CT_IS(CT_ERROR_CODE);
        case 'a': return CT_IS(CT_AWS_REGION);
        case 'u': return CT_IS(CT_USER_AGENT);
        case 'r': return CT_IS(CT_RESOURCES);
        default: return -1;
        }
    case 11: return CT_IS(CT_EVENT_SOURCE);
    case 12: return k[0] == 'u' ? CT_IS(CT_USER_IDENTITY) : CT_IS(CT_ERROR_MESSAGE);
    case 15: return CT_IS(CT_SOURCE_IP);
    case 18: return CT_IS(CT_RECIPIENT_ACCOUNT);
    case 19: return CT_IS(CT_ADDITIONAL_DATA);
    default: return -1;
    }
#undef CT_IS
}

static void ct_fields(const rip_rec *r, const rip_json_node *rec, const rip_json_node *f[CT__COUNT])
{
    memset(f, 0, CT__COUNT * sizeof(*f));
    if (r->ci) {
        for (int i = 0; i < CT__COUNT; i++)
            f[i] = rip_rec_get(r, rec, ct_names[i]);
        return;
    }
    RIP_JSON_EACH(k, rec) {
        int id;
        if (k->flags & RIP_JSON_F_ESCAPED) {
            id = -1;
            for (int i = 0; i < CT__COUNT && id < 0; i++)
                if (rip_json_str_eq(k, ct_names[i]))
                    id = i;
        } else {
            id = ct_field_id(k->ptr, k->len);
        }
        if (id >= 0 && !f[id])
            f[id] = k + 1;
    }
}

int rip_decode_cloudtrail(rip_rec *r, const rip_json_node *rec, rip_event *ev)
{
    const rip_json_node *ui, *n;
    const rip_json_node *f[CT__COUNT];

    ev->cloud = RIP_CLOUD_AWS;
    ev->kind = RIP_EVENT_API_CALL;
    ev->format = RIP_FORMAT_CLOUDTRAIL;
    ct_fields(r, rec, f);
    if (rip_rec_time_node(r, f[CT_EVENT_TIME], "eventTime", &ev->time_ns))
        return 0;

    rip_slice s = rip_rec_node_str(r, f[CT_EVENT_ID]);
    if (rip_slice_present(s))
        ev->id = s;
    s = rip_rec_node_str(r, f[CT_AWS_REGION]);
    if (rip_slice_present(s))
        ev->region = s;

    ui = f[CT_USER_IDENTITY];
    if (rip_json_is(ui, RIP_JSON_OBJECT)) {
        enum { U_TYPE, U_ARN, U_PRINCIPAL, U_KEY, U_USER, U_SESSION, U_INVOKED, U_ACCOUNT, U__N };
        static const char *const un[U__N] = { "type", "arn", "principalId", "accessKeyId",
                                              "userName", "sessionContext", "invokedBy",
                                              "accountId" };
        static const uint8_t ul[U__N] = { 4, 3, 11, 11, 8, 14, 9, 9 };
        const rip_json_node *u[U__N];
        rip_rec_fields(r, ui, un, ul, U__N, u);
        const rip_json_node *sc = u[U_SESSION];
        ev->actor.type = rip_rec_node_str(r, u[U_TYPE]);
        ev->actor.arn = rip_rec_node_str(r, u[U_ARN]);
        ev->actor.principal_id = rip_rec_node_str(r, u[U_PRINCIPAL]);
        ev->actor.access_key = rip_rec_node_str(r, u[U_KEY]);
        ev->actor.user = rip_rec_node_str(r, u[U_USER]);
        if (rip_json_is(sc, RIP_JSON_OBJECT)) {
            static const char *const sn[2] = { "sessionIssuer", "attributes" };
            static const uint8_t sl[2] = { 13, 10 };
            const rip_json_node *sv[2];
            rip_rec_fields(r, sc, sn, sl, 2, sv);
            if (rip_json_is(sv[0], RIP_JSON_OBJECT)) {
                static const char *const in[2] = { "arn", "userName" };
                static const uint8_t il[2] = { 3, 8 };
                const rip_json_node *iv[2];
                rip_rec_fields(r, sv[0], in, il, 2, iv);
                ev->actor.session_issuer = rip_rec_node_str(r, iv[0]);
                if (!rip_slice_present(ev->actor.user))
                    ev->actor.user = rip_rec_node_str(r, iv[1]);
            }
            ev->actor.mfa = rip_rec_tri(r, rip_rec_get(r, sv[1], "mfaAuthenticated"));
        }
        if (!rip_slice_present(ev->actor.user))
            ev->actor.user = rip_rec_node_str(r, u[U_INVOKED]);
        s = rip_rec_node_str(r, u[U_ACCOUNT]);
        if (rip_slice_present(s))
            ev->account = s;
    }
    s = rip_rec_node_str(r, f[CT_RECIPIENT_ACCOUNT]);
    if (rip_slice_present(s))
        ev->account = s;
    if (ev->actor.mfa < 0) {
        /* Console sign-in records say it in additionalEventData. */
        rip_slice used = rip_rec_str(r, f[CT_ADDITIONAL_DATA], "MFAUsed");
        if (rip_slice_eq(used, "Yes"))
            ev->actor.mfa = 1;
        else if (rip_slice_eq(used, "No"))
            ev->actor.mfa = 0;
    }

    ev->action.service = rip_rec_node_str(r, f[CT_EVENT_SOURCE]);
    ev->action.name = rip_rec_node_str(r, f[CT_EVENT_NAME]);
    ev->action.read_only = rip_rec_tri(r, f[CT_READ_ONLY]);
    ev->action.error_code = rip_rec_node_str(r, f[CT_ERROR_CODE]);
    ev->action.error_message = rip_rec_node_str(r, f[CT_ERROR_MESSAGE]);
    ev->source.ip = rip_rec_node_str(r, f[CT_SOURCE_IP]);
    ev->source.user_agent = rip_rec_node_str(r, f[CT_USER_AGENT]);

    n = f[CT_RESOURCES];
    if (rip_json_is(n, RIP_JSON_ARRAY) && n->skip > 1) {
        uint32_t cnt = rip_json_count(n), i = 0, cap = 0;
        rip_resource *res = alloc_resources(r, cnt, &cap);
        if (!res)
            return rip_rec_fail(r, "out of memory for %u resources", cnt);
        RIP_JSON_EACH(el, n) {
            if (i >= cap)
                break;
            if (!rip_json_is(el, RIP_JSON_OBJECT))
                continue;
            res[i].type = rip_rec_str(r, el, "type");
            res[i].arn = rip_rec_str(r, el, "ARN");
            if (rip_slice_present(res[i].arn))
                res[i].id = rip_rec_tail(res[i].arn);
            i++;
        }
        ev->resources = res;
        ev->nresources = i;
    }
    return rip_rec_emit(r, ev);
}

/* ---- GuardDuty ---- */

static const char *guardduty_label(double sev)
{
    /* GuardDuty's bands: 1.0-3.9 low, 4.0-6.9 medium, 7.0-8.9 high, 9+ critical. */
    if (sev < 4.0)
        return "LOW";
    if (sev < 7.0)
        return "MEDIUM";
    if (sev < 9.0)
        return "HIGH";
    return "CRITICAL";
}

static bool number_of(const rip_rec *r, const rip_json_node *n, double *out)
{
    if (rip_json_is(n, RIP_JSON_NUMBER))
        return rip_json_f64(n, out) == 0 && isfinite(*out);
    if (rip_json_is(n, RIP_JSON_STRING)) {
        /* Some exporters write numbers as strings ("8.0"). */
        rip_slice s = rip_rec_node_str(r, n);
        char tmp[32];
        if (!s.ptr || s.len == 0 || s.len >= sizeof(tmp))
            return false;
        memcpy(tmp, s.ptr, s.len);
        tmp[s.len] = '\0';
        char *end;
        double v = strtod(tmp, &end);
        if (*end || !isfinite(v))
            return false;
        *out = v;
        return true;
    }
    return false;
}

bool rip_decode_is_pascal_guardduty(const rip_rec *r, const rip_json_node *obj)
{
    (void)r;
    return rip_json_is(rip_json_get(obj, "Type"), RIP_JSON_STRING) &&
           !rip_json_get(obj, "type") && !rip_json_get(obj, "ProductArn") &&
           (rip_json_get(obj, "Resource") || rip_json_get(obj, "Service") ||
            rip_json_get(obj, "AccountId"));
}

/* First remote IP the finding's action names. */
static rip_slice guardduty_remote_ip(rip_rec *r, const rip_json_node *action)
{
    static const char *const paths[] = {
        "awsApiCallAction.remoteIpDetails.ipAddressV4",
        "networkConnectionAction.remoteIpDetails.ipAddressV4",
        "kubernetesApiCallAction.remoteIpDetails.ipAddressV4",
        "rdsLoginAttemptAction.remoteIpDetails.ipAddressV4",
        "awsApiCallAction.remoteIpDetails.ipAddressV6",
        "networkConnectionAction.remoteIpDetails.ipAddressV6",
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        rip_slice s = rip_rec_pstr(r, action, paths[i]);
        if (rip_slice_present(s))
            return s;
    }
    const rip_json_node *pp = rip_rec_path(r, action, "portProbeAction.portProbeDetails");
    if (rip_json_is(pp, RIP_JSON_ARRAY) && pp->skip > 1)
        return rip_rec_pstr(r, pp + 1, "remoteIpDetails.ipAddressV4");
    return RIP_SLICE_NULL;
}

int rip_decode_guardduty(rip_rec *r, const rip_json_node *rec, rip_event *ev)
{
    const rip_json_node *res, *n;
    double sev;

    ev->cloud = RIP_CLOUD_AWS;
    ev->kind = RIP_EVENT_FINDING;
    ev->format = RIP_FORMAT_GUARDDUTY;
    if (rip_decode_is_pascal_guardduty(r, rec))
        return rip_rec_fail(r, "GuardDuty finding with PascalCase keys (boto3-parsed output) "
                               "is not a wire format; feed the API or EventBridge form");
    if (rip_rec_get(r, rec, "updatedAt")) {
        if (rip_rec_time(r, rec, "updatedAt", &ev->time_ns))
            return 0;
    } else if (rip_rec_get(r, rec, "createdAt")) {
        if (rip_rec_time(r, rec, "createdAt", &ev->time_ns))
            return 0;
    }

    rip_slice s = rip_rec_str(r, rec, "id");
    if (rip_slice_present(s))
        ev->id = s;
    s = rip_rec_str(r, rec, "accountId");
    if (rip_slice_present(s))
        ev->account = s;
    s = rip_rec_str(r, rec, "region");
    if (rip_slice_present(s))
        ev->region = s;

    ev->finding.type = rip_rec_str(r, rec, "type");
    if (!rip_slice_present(ev->finding.type))
        return rip_rec_fail(r, "GuardDuty finding without a 'type'");
    ev->finding.title = rip_rec_str(r, rec, "title");
    ev->finding.description = rip_rec_str(r, rec, "description");
    ev->finding.generator = rip_slice_cstr("guardduty");
    n = rip_rec_get(r, rec, "severity");
    if (n) {
        if (!number_of(r, n, &sev) || sev < 0 || sev > 10)
            return rip_rec_fail(r, "GuardDuty severity is not a number from 0 to 10");
        ev->finding.severity = sev;
        ev->finding.severity_label = rip_slice_cstr(guardduty_label(sev));
    }
    ev->action.service = rip_slice_cstr("guardduty");
    ev->action.name = ev->finding.type;

    const rip_json_node *action = rip_rec_path(r, rec, "service.action");
    if (rip_json_is(action, RIP_JSON_OBJECT)) {
        ev->source.ip = guardduty_remote_ip(r, action);
        ev->source.user_agent = rip_rec_pstr(r, action, "awsApiCallAction.userAgent.fullUserAgent");
    }

    res = rip_rec_get(r, rec, "resource");
    if (rip_json_is(res, RIP_JSON_OBJECT)) {
        const rip_json_node *ak = rip_rec_get(r, res, "accessKeyDetails");
        const rip_json_node *buckets = rip_rec_get(r, res, "s3BucketDetails");
        uint32_t nb = rip_json_is(buckets, RIP_JSON_ARRAY) ? rip_json_count(buckets) : 0;
        uint32_t cap = 0;
        rip_resource *out = alloc_resources(r, nb + 5, &cap);
        uint32_t i = 0;
        if (!out)
            return rip_rec_fail(r, "out of memory for resources");
        if (rip_json_is(ak, RIP_JSON_OBJECT)) {
            ev->actor.access_key = rip_rec_str(r, ak, "accessKeyId");
            ev->actor.principal_id = rip_rec_str(r, ak, "principalId");
            ev->actor.user = rip_rec_str(r, ak, "userName");
            ev->actor.type = rip_rec_str(r, ak, "userType");
            if (rip_slice_present(ev->actor.access_key) && i < cap) {
                out[i].type = rip_slice_cstr("AWS::IAM::AccessKey");
                out[i].id = ev->actor.access_key;
                i++;
            }
        }
        static const struct { const char *path, *type; bool arn; } one[] = {
            { "instanceDetails.instanceId", "AWS::EC2::Instance", false },
            { "eksClusterDetails.arn", "AWS::EKS::Cluster", true },
            { "rdsDbInstanceDetails.dbInstanceArn", "AWS::RDS::DBInstance", true },
            { "lambdaDetails.functionArn", "AWS::Lambda::Function", true },
        };
        for (size_t k = 0; k < sizeof(one) / sizeof(one[0]); k++) {
            rip_slice v = rip_rec_pstr(r, res, one[k].path);
            if (!rip_slice_present(v) || i >= cap)
                continue;
            out[i].type = rip_slice_cstr(one[k].type);
            out[i].id = one[k].arn ? rip_rec_tail(v) : v;
            out[i].arn = one[k].arn ? v : RIP_SLICE_NULL;
            i++;
        }
        if (nb) {
            RIP_JSON_EACH(b, buckets) {
                if (i >= cap)
                    break;
                if (!rip_json_is(b, RIP_JSON_OBJECT))
                    continue;
                out[i].type = rip_slice_cstr("AWS::S3::Bucket");
                out[i].id = rip_rec_str(r, b, "name");
                out[i].arn = rip_rec_str(r, b, "arn");
                i++;
            }
        }
        ev->resources = i ? out : NULL;
        ev->nresources = i;
    }
    return rip_rec_emit(r, ev);
}

/* ---- Security Hub (ASFF) ---- */

static const char *asff_label_from_normalized(double n)
{
    if (n < 1)
        return "INFORMATIONAL";
    if (n < 40)
        return "LOW";
    if (n < 70)
        return "MEDIUM";
    if (n < 90)
        return "HIGH";
    return "CRITICAL";
}

/* ASFF sets Normalized from Label as 0/1/40/70/90 when only Label is given. */
static double asff_normalized_from_label(rip_slice label)
{
    if (rip_slice_eq(label, "LOW"))
        return 1;
    if (rip_slice_eq(label, "MEDIUM"))
        return 40;
    if (rip_slice_eq(label, "HIGH"))
        return 70;
    if (rip_slice_eq(label, "CRITICAL"))
        return 90;
    return 0;
}

int rip_decode_asff(rip_rec *r, const rip_json_node *rec, rip_event *ev)
{
    static const char *const times[] = { "UpdatedAt", "CreatedAt", "LastObservedAt",
                                         "FirstObservedAt" };
    const rip_json_node *n;

    ev->cloud = RIP_CLOUD_AWS;
    ev->kind = RIP_EVENT_FINDING;
    ev->format = RIP_FORMAT_ASFF;
    for (size_t k = 0; k < sizeof(times) / sizeof(times[0]); k++) {
        if (rip_rec_get(r, rec, times[k])) {
            if (rip_rec_time(r, rec, times[k], &ev->time_ns))
                return 0;
            break;
        }
    }
    rip_slice s = rip_rec_str(r, rec, "Id");
    if (rip_slice_present(s))
        ev->id = s;
    s = rip_rec_str(r, rec, "AwsAccountId");
    if (rip_slice_present(s))
        ev->account = s;
    s = rip_rec_str(r, rec, "Region");
    if (rip_slice_present(s))
        ev->region = s;

    n = rip_rec_get(r, rec, "Types");
    if (rip_json_is(n, RIP_JSON_ARRAY) && n->skip > 1)
        ev->finding.type = rip_rec_node_str(r, n + 1);
    ev->finding.title = rip_rec_str(r, rec, "Title");
    ev->finding.description = rip_rec_str(r, rec, "Description");
    ev->finding.generator = rip_rec_str(r, rec, "GeneratorId");
    if (!rip_slice_present(ev->finding.generator))
        ev->finding.generator = rip_rec_str(r, rec, "ProductArn");

    const rip_json_node *sev = rip_rec_get(r, rec, "Severity");
    if (rip_json_is(sev, RIP_JSON_OBJECT)) {
        double norm = 0, prod = 0;
        bool has_norm = number_of(r, rip_rec_get(r, sev, "Normalized"), &norm);
        bool has_prod = number_of(r, rip_rec_get(r, sev, "Product"), &prod);
        rip_slice label = rip_rec_str(r, sev, "Label");
        if (has_norm && (norm < 0 || norm > 100))
            return rip_rec_fail(r, "Severity.Normalized is not from 0 to 100");
        if (!has_norm && rip_slice_present(label)) {
            norm = asff_normalized_from_label(label);
            has_norm = true;
        }
        if (!has_norm && has_prod && prod >= 0 && prod <= 10) {
            norm = prod * 10;
            has_norm = true;
        }
        ev->finding.severity = norm / 10.0;
        if (!rip_slice_present(label) && has_norm)
            label = rip_slice_cstr(asff_label_from_normalized(norm));
        ev->finding.severity_label = label;
    }

    ev->action.service = rip_rec_str(r, rec, "ProductName");
    if (!rip_slice_present(ev->action.service)) {
        rip_slice pa = rip_rec_str(r, rec, "ProductArn");
        const char *p = pa.ptr ? memmem(pa.ptr, pa.len, "product/", 8) : NULL;
        ev->action.service = p ? rip_slice_make(p + 8, pa.len - (size_t)(p + 8 - pa.ptr)) : pa;
    }
    ev->action.name = ev->finding.type;
    ev->source.ip = rip_rec_pstr(r, rec, "Network.SourceIpV4");

    n = rip_rec_get(r, rec, "Resources");
    if (rip_json_is(n, RIP_JSON_ARRAY) && n->skip > 1) {
        uint32_t cnt = rip_json_count(n), i = 0, cap = 0;
        rip_resource *res = alloc_resources(r, cnt, &cap);
        if (!res)
            return rip_rec_fail(r, "out of memory for %u resources", cnt);
        RIP_JSON_EACH(el, n) {
            if (i >= cap)
                break;
            if (!rip_json_is(el, RIP_JSON_OBJECT))
                continue;
            rip_slice id = rip_rec_str(r, el, "Id");
            res[i].type = rip_rec_str(r, el, "Type");
            if (rip_slice_starts(id, "arn:")) {
                res[i].arn = id;
                res[i].id = rip_rec_tail(id);
            } else {
                res[i].id = id;
            }
            if (!rip_slice_present(ev->region))
                ev->region = rip_rec_str(r, el, "Region");
            const rip_json_node *key = rip_rec_path(r, el, "Details.AwsIamAccessKey");
            if (rip_json_is(key, RIP_JSON_OBJECT)) {
                if (!rip_slice_present(ev->actor.access_key))
                    ev->actor.access_key = rip_rec_str(r, key, "AccessKeyId");
                if (!rip_slice_present(ev->actor.user))
                    ev->actor.user = rip_rec_str(r, key, "PrincipalName");
                if (!rip_slice_present(ev->actor.principal_id))
                    ev->actor.principal_id = rip_rec_str(r, key, "PrincipalId");
                if (!rip_slice_present(ev->actor.type))
                    ev->actor.type = rip_rec_str(r, key, "PrincipalType");
            }
            i++;
        }
        ev->resources = res;
        ev->nresources = i;
    }
    return rip_rec_emit(r, ev);
}
