#include "normalize/event.h"

#include <stdio.h>

#include "util/err.h"
#include "util/timeutil.h"

const char *rip_cloud_name(rip_cloud c)
{
    switch (c) {
    case RIP_CLOUD_AWS:
        return "aws";
    case RIP_CLOUD_GCP:
        return "gcp";
    default:
        return "unknown";
    }
}

const char *rip_event_kind_name(rip_event_kind k)
{
    switch (k) {
    case RIP_EVENT_API_CALL:
        return "api_call";
    case RIP_EVENT_FINDING:
        return "finding";
    case RIP_EVENT_GENERIC:
        return "generic";
    default:
        return "unknown";
    }
}

static const char *const format_names[RIP_FORMAT__COUNT] = {
    [RIP_FORMAT_UNKNOWN] = "unknown",
    [RIP_FORMAT_CLOUDTRAIL] = "cloudtrail",
    [RIP_FORMAT_EVENTBRIDGE] = "eventbridge",
    [RIP_FORMAT_GUARDDUTY] = "guardduty",
    [RIP_FORMAT_ASFF] = "asff",
    [RIP_FORMAT_GCP_AUDIT] = "gcp_audit",
    [RIP_FORMAT_AWS_CONFIG] = "aws_config",
};

const char *rip_format_name(rip_format f)
{
    if ((unsigned)f >= RIP_FORMAT__COUNT)
        return "unknown";
    return format_names[f];
}

/* ---- JSON ---- */

static void kv(rip_jw *w, const char *key, rip_slice v)
{
    if (!rip_slice_present(v))
        return;
    rip_jw_key(w, key);
    rip_jw_slice(w, v);
}

static void kv_tri(rip_jw *w, const char *key, int8_t v)
{
    if (v < 0)
        return;
    rip_jw_key(w, key);
    rip_jw_bool(w, v != 0);
}

void rip_event_write_json(rip_jw *w, const rip_event *ev, int with_raw)
{
    char tbuf[RIP_TIME_FMT_MAX];

    rip_jw_obj_begin(w);
    rip_jw_key(w, "time");
    if (ev->time_ns)
        rip_jw_str(w, rip_time_format(ev->time_ns, tbuf));
    else
        rip_jw_null(w);
    rip_jw_key(w, "time_ns");
    rip_jw_i64(w, ev->time_ns);
    rip_jw_key(w, "cloud");
    rip_jw_str(w, rip_cloud_name(ev->cloud));
    rip_jw_key(w, "kind");
    rip_jw_str(w, rip_event_kind_name(ev->kind));
    rip_jw_key(w, "format");
    rip_jw_str(w, rip_format_name(ev->format));
    kv(w, "id", ev->id);
    kv(w, "account", ev->account);
    kv(w, "region", ev->region);
    kv(w, "detail_type", ev->detail_type);

    rip_jw_key(w, "actor");
    rip_jw_obj_begin(w);
    kv(w, "type", ev->actor.type);
    kv(w, "arn", ev->actor.arn);
    kv(w, "principal_id", ev->actor.principal_id);
    kv(w, "user", ev->actor.user);
    kv(w, "access_key", ev->actor.access_key);
    kv(w, "session_issuer", ev->actor.session_issuer);
    kv_tri(w, "mfa", ev->actor.mfa);
    rip_jw_obj_end(w);

    rip_jw_key(w, "action");
    rip_jw_obj_begin(w);
    kv(w, "service", ev->action.service);
    kv(w, "name", ev->action.name);
    kv_tri(w, "read_only", ev->action.read_only);
    kv(w, "error_code", ev->action.error_code);
    kv(w, "error_message", ev->action.error_message);
    rip_jw_obj_end(w);

    rip_jw_key(w, "source");
    rip_jw_obj_begin(w);
    kv(w, "ip", ev->source.ip);
    kv(w, "user_agent", ev->source.user_agent);
    rip_jw_obj_end(w);

    rip_jw_key(w, "resources");
    rip_jw_arr_begin(w);
    for (uint32_t i = 0; i < ev->nresources; i++) {
        const rip_resource *r = &ev->resources[i];
        rip_jw_obj_begin(w);
        kv(w, "type", r->type);
        kv(w, "id", r->id);
        kv(w, "arn", r->arn);
        rip_jw_obj_end(w);
    }
    rip_jw_arr_end(w);

    if (ev->kind == RIP_EVENT_FINDING) {
        rip_jw_key(w, "finding");
        rip_jw_obj_begin(w);
        kv(w, "type", ev->finding.type);
        rip_jw_key(w, "severity");
        rip_jw_f64(w, ev->finding.severity);
        kv(w, "severity_label", ev->finding.severity_label);
        kv(w, "title", ev->finding.title);
        kv(w, "description", ev->finding.description);
        kv(w, "generator", ev->finding.generator);
        rip_jw_obj_end(w);
    }

    if (with_raw) {
        /* Re-serialized compactly: the record may have been pretty-printed,
         * and one event must stay on one line. */
        if (ev->raw) {
            rip_jw_key(w, "raw");
            rip_jw_node(w, ev->doc, ev->raw);
        }
        if (ev->envelope && ev->envelope != ev->raw) {
            rip_jw_key(w, "envelope");
            rip_jw_node(w, ev->envelope_doc ? ev->envelope_doc : ev->doc, ev->envelope);
        }
    }
    rip_jw_obj_end(w);
}

/* ---- text ---- */

static int add_safe(rip_buf *out, rip_slice v)
{
    if (!rip_slice_present(v) || v.len == 0)
        return rip_buf_addc(out, '-');
    int r = rip_buf_grow(out, v.len);
    if (r < 0)
        return r;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.ptr[i];
        out->ptr[out->len++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out->ptr[out->len] = '\0';
    return 0;
}

static int add_field(rip_buf *out, rip_slice v)
{
    int r = rip_buf_addc(out, ' ');
    return r < 0 ? r : add_safe(out, v);
}

/* The actor as a person would name it: user name, else ARN, else id. */
static rip_slice actor_label(const rip_event *ev)
{
    if (rip_slice_present(ev->actor.arn))
        return ev->actor.arn;
    if (rip_slice_present(ev->actor.user))
        return ev->actor.user;
    return ev->actor.principal_id;
}

int rip_event_write_text(rip_buf *out, const rip_event *ev)
{
    char tbuf[RIP_TIME_FMT_MAX];
    size_t start = out->len;
    int r;

    r = rip_buf_adds(out, ev->time_ns ? rip_time_format(ev->time_ns, tbuf) : "-");
    if (r == 0)
        r = rip_buf_addf(out, " %s %s", rip_cloud_name(ev->cloud), rip_format_name(ev->format));
    if (r == 0)
        r = add_field(out, ev->account);
    if (r == 0)
        r = add_field(out, ev->region);
    if (r < 0)
        goto fail;

    if (ev->kind == RIP_EVENT_FINDING) {
        rip_slice label = ev->finding.severity_label;
        r = add_field(out, label);
        if (r == 0)
            r = rip_buf_addf(out, " %.1f", ev->finding.severity);
        if (r == 0)
            r = add_field(out, ev->finding.type);
        if (r == 0 && rip_slice_present(ev->finding.title)) {
            r = rip_buf_adds(out, " \"");
            if (r == 0)
                r = add_safe(out, ev->finding.title);
            if (r == 0)
                r = rip_buf_addc(out, '"');
        }
        for (uint32_t i = 0; r == 0 && i < ev->nresources && i < 3; i++) {
            const rip_resource *res = &ev->resources[i];
            r = add_field(out, rip_slice_present(res->id) ? res->id : res->arn);
        }
    } else {
        r = add_field(out, actor_label(ev));
        if (r == 0)
            r = rip_buf_addc(out, ' ');
        if (r == 0)
            r = add_safe(out, ev->action.service);
        if (r == 0)
            r = rip_buf_addc(out, ':');
        if (r == 0)
            r = add_safe(out, ev->kind == RIP_EVENT_GENERIC && !rip_slice_present(ev->action.name)
                                  ? ev->detail_type : ev->action.name);
        if (r == 0)
            r = add_field(out, ev->source.ip);
        if (r == 0 && rip_slice_present(ev->action.error_code)) {
            r = rip_buf_adds(out, " error=");
            if (r == 0)
                r = add_safe(out, ev->action.error_code);
        }
    }
    if (r < 0)
        goto fail;
    return 0;
fail:
    out->len = start;
    out->ptr[start] = '\0';
    return r;
}
