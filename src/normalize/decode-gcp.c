/* decode-gcp.c — GCP Cloud Audit Log entries (LogEntry with an AuditLog
 * protoPayload) into rip_event. */
#include <string.h>

#include "normalize/decode-private.h"
#include "util/arena.h"

/* google.rpc.Code names, so rules can match "PERMISSION_DENIED". */
static const char *const rpc_codes[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
    "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
    "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

static bool ends_with(rip_slice s, const char *suffix)
{
    size_t k = strlen(suffix);
    return s.ptr && s.len >= k && memcmp(s.ptr + s.len - k, suffix, k) == 0;
}

/* "projects/<id>/logs/..." -> <id>. */
static rip_slice project_of_log_name(rip_slice ln)
{
    if (!rip_slice_starts(ln, "projects/"))
        return RIP_SLICE_NULL;
    const char *p = ln.ptr + 9, *end = ln.ptr + ln.len;
    const char *slash = memchr(p, '/', (size_t)(end - p));
    return rip_slice_make(p, (size_t)((slash ? slash : end) - p));
}

int rip_decode_gcp(rip_rec *r, const rip_json_node *rec, rip_event *ev)
{
    const rip_json_node *pp, *n;

    ev->cloud = RIP_CLOUD_GCP;
    ev->kind = RIP_EVENT_API_CALL;
    ev->format = RIP_FORMAT_GCP_AUDIT;
    if (rip_rec_get(r, rec, "timestamp")) {
        if (rip_rec_time(r, rec, "timestamp", &ev->time_ns))
            return 0;
    } else if (rip_rec_get(r, rec, "receiveTimestamp")) {
        if (rip_rec_time(r, rec, "receiveTimestamp", &ev->time_ns))
            return 0;
    }
    rip_slice s = rip_rec_str(r, rec, "insertId");
    if (rip_slice_present(s))
        ev->id = s;

    rip_slice log_name = rip_rec_str(r, rec, "logName");
    const rip_json_node *res = rip_rec_get(r, rec, "resource");
    rip_slice res_type = RIP_SLICE_NULL;
    if (rip_json_is(res, RIP_JSON_OBJECT)) {
        const rip_json_node *labels = rip_rec_get(r, res, "labels");
        res_type = rip_rec_str(r, res, "type");
        if (rip_json_is(labels, RIP_JSON_OBJECT)) {
            s = rip_rec_str(r, labels, "project_id");
            if (rip_slice_present(s))
                ev->account = s;
            static const char *const loc[] = { "location", "region", "zone" };
            for (size_t k = 0; k < 3 && !rip_slice_present(ev->region); k++)
                ev->region = rip_rec_str(r, labels, loc[k]);
        }
    }
    if (!rip_slice_present(ev->account))
        ev->account = project_of_log_name(log_name);
    if (rip_slice_present(log_name)) {
        /* Admin Activity logs hold only writes; Data Access holds both. */
        if (ends_with(log_name, "%2Factivity") || ends_with(log_name, "/activity"))
            ev->action.read_only = 0;
    }

    pp = rip_rec_get(r, rec, "protoPayload");
    if (!rip_json_is(pp, RIP_JSON_OBJECT))
        return rip_rec_emit(r, ev);

    ev->action.service = rip_rec_str(r, pp, "serviceName");
    ev->action.name = rip_rec_str(r, pp, "methodName");

    const rip_json_node *auth = rip_rec_get(r, pp, "authenticationInfo");
    if (rip_json_is(auth, RIP_JSON_OBJECT)) {
        rip_slice email = rip_rec_str(r, auth, "principalEmail");
        ev->actor.arn = email;
        ev->actor.user = email;
        ev->actor.principal_id = rip_rec_str(r, auth, "principalSubject");
        ev->actor.access_key = rip_rec_str(r, auth, "serviceAccountKeyName");
        if (rip_slice_present(email))
            ev->actor.type = rip_slice_cstr(ends_with(email, ".gserviceaccount.com")
                                                ? "serviceAccount" : "user");
        n = rip_rec_get(r, auth, "serviceAccountDelegationInfo");
        if (rip_json_is(n, RIP_JSON_ARRAY) && n->skip > 1) {
            ev->actor.session_issuer = rip_rec_pstr(r, n + 1, "firstPartyPrincipal.principalEmail");
            if (!rip_slice_present(ev->actor.session_issuer))
                ev->actor.session_issuer = rip_rec_pstr(r, n + 1, "principalSubject");
        }
    }

    const rip_json_node *meta = rip_rec_get(r, pp, "requestMetadata");
    if (rip_json_is(meta, RIP_JSON_OBJECT)) {
        ev->source.ip = rip_rec_str(r, meta, "callerIp");
        ev->source.user_agent = rip_rec_str(r, meta, "callerSuppliedUserAgent");
    }

    const rip_json_node *st = rip_rec_get(r, pp, "status");
    if (rip_json_is(st, RIP_JSON_OBJECT)) {
        int64_t code = 0;
        n = rip_rec_get(r, st, "code");
        if (rip_json_is(n, RIP_JSON_NUMBER) && rip_json_i64(n, &code) == 0 && code != 0) {
            if (code > 0 && (size_t)code < sizeof(rpc_codes) / sizeof(rpc_codes[0]))
                ev->action.error_code = rip_slice_cstr(rpc_codes[code]);
            else
                ev->action.error_code = rip_rec_node_str(r, n);
        }
        if (code != 0 || !rip_json_is(n, RIP_JSON_NUMBER)) {
            s = rip_rec_str(r, st, "message");
            if (s.len)
                ev->action.error_message = s;
        }
    }

    rip_slice rname = rip_rec_str(r, pp, "resourceName");
    if (rip_slice_present(rname)) {
        rip_resource *out = rip_arena_calloc(&r->dec->arena, 1, sizeof(*out));
        if (!out)
            return rip_rec_fail(r, "out of memory for resources");
        out->type = res_type;
        out->id = rip_rec_tail(rname);
        out->arn = rname;
        ev->resources = out;
        ev->nresources = 1;
    }
    return rip_rec_emit(r, ev);
}
