/* scan-output.c — text, jsonl and OCSF forms of a rule hit. */
#include "cli/scan-output.h"

#include <inttypes.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string.h>

#include "config.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

int rip_scan_format_parse(const char *s, rip_scan_format *out)
{
    if (!strcmp(s, "text"))
        *out = RIP_SCAN_TEXT;
    else if (!strcmp(s, "jsonl") || !strcmp(s, "json"))
        *out = RIP_SCAN_JSONL;
    else if (!strcmp(s, "ocsf"))
        *out = RIP_SCAN_OCSF;
    else
        return RIP_EINVAL;
    return 0;
}

/* Who did it, as one string: ARN, else user, else principal id. */
static rip_slice event_actor(const rip_event *ev)
{
    if (ev->actor.arn.ptr)
        return ev->actor.arn;
    if (ev->actor.user.ptr)
        return ev->actor.user;
    return ev->actor.principal_id;
}

/* What happened: the API call, or the finding type. */
static rip_slice event_name(const rip_event *ev)
{
    if (ev->kind == RIP_EVENT_FINDING && ev->finding.type.ptr)
        return ev->finding.type;
    return ev->action.name;
}

/* At most this many bytes of one field are shown; longer ones end in "...". */
#define SAFE_MAX 512

/* Writes s at o with control bytes replaced, so a hostile record cannot
 * drive the terminal; "-" when absent. o has room for SAFE_MAX + 3 bytes.
 * Returns the end of what was written. */
static char *put_safe(char *o, rip_slice s)
{
    if (!s.ptr) {
        *o++ = '-';
        return o;
    }
    size_t n = s.len > SAFE_MAX ? SAFE_MAX : s.len, i = 0;
#if defined(__SSE2__)
    /* Clean 16-byte blocks (no byte below 0x20 and none at or above 0x7f;
     * the signed compare catches both) are copied at once. */
    const __m128i lo = _mm_set1_epi8(0x20), del = _mm_set1_epi8(0x7f);
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s.ptr + i));
        __m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, lo), _mm_cmpeq_epi8(v, del));
        if (_mm_movemask_epi8(bad))
            break;
        _mm_storeu_si128((__m128i *)(void *)(o + i), v);
        i += 16;
    }
#endif
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        o[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    o += n;
    if (n < s.len) {
        memcpy(o, "...", 3);
        o += 3;
    }
    return o;
}

static char *put(char *o, const char *s, size_t n)
{
    memcpy(o, s, n);
    return o + n;
}

/* Appends s as put_safe() writes it. */
static void add_safe(rip_buf *b, rip_slice s)
{
    if (rip_buf_grow(b, SAFE_MAX + 3) < 0)
        return;
    char *o = put_safe(b->ptr + b->len, s);
    *o = '\0';
    b->len = (size_t)(o - b->ptr);
}

static void add_time(rip_buf *b, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    if (ns)
        rip_buf_adds(b, rip_time_format(ns, t));
    else
        rip_buf_adds(b, "-");
}

static void jw_time(rip_jw *w, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    if (ns)
        rip_jw_str(w, rip_time_format(ns, t));
    else
        rip_jw_null(w);
}

static void jw_opt(rip_jw *w, const char *key, rip_slice s)
{
    if (!s.ptr)
        return;
    rip_jw_key(w, key);
    rip_jw_slice(w, s);
}

static void jw_rule_obj(rip_jw *w, const rip_sigma_meta *m)
{
    rip_jw_obj_begin(w);
    rip_jw_key(w, "id");
    rip_jw_str(w, m->id);
    rip_jw_key(w, "name");
    rip_jw_str(w, m->name);
    rip_jw_key(w, "title");
    rip_jw_str(w, m->title);
    rip_jw_key(w, "level");
    rip_jw_str(w, m->level ? rip_sigma_level_name(m->level) : NULL);
    rip_jw_key(w, "tags");
    rip_jw_arr_begin(w);
    for (uint32_t i = 0; i < m->tags.n; i++)
        rip_jw_str(w, m->tags.v[i]);
    rip_jw_arr_end(w);
    rip_jw_key(w, "path");
    rip_jw_str(w, m->path);
    rip_jw_obj_end(w);
}

void rip_scan_fmt_cache_init(rip_scan_fmt_cache *c)
{
    for (size_t i = 0; i < RIP_SCAN_FMT_CACHE_RULES; i++) {
        c->meta[i] = NULL;
        rip_buf_init(&c->rule[i], 0);
    }
    rip_buf_init(&c->path, 0);
    rip_buf_init(&c->qpath, 0);
}

void rip_scan_fmt_cache_release(rip_scan_fmt_cache *c)
{
    for (size_t i = 0; i < RIP_SCAN_FMT_CACHE_RULES; i++)
        rip_buf_release(&c->rule[i]);
    rip_buf_release(&c->path);
    rip_buf_release(&c->qpath);
    rip_scan_fmt_cache_init(c);
}

/* "rule":{…}, from the cache when it holds m. */
static void jw_rule(rip_jw *w, const rip_sigma_meta *m, rip_scan_fmt_cache *c)
{
    rip_jw_key(w, "rule");
    if (!c) {
        jw_rule_obj(w, m);
        return;
    }
    size_t i = ((uintptr_t)m >> 4) % RIP_SCAN_FMT_CACHE_RULES;
    if (c->meta[i] != m) {
        c->meta[i] = NULL;
        rip_buf_reset(&c->rule[i]);
        rip_jw r;
        rip_jw_init(&r, &c->rule[i]);
        jw_rule_obj(&r, m);
        if (rip_jw_finish(&r) < 0) {
            jw_rule_obj(w, m);
            return;
        }
        c->meta[i] = m;
    }
    rip_jw_raw(w, c->rule[i].ptr, c->rule[i].len);
}

static void jw_event(rip_jw *w, const rip_event *ev)
{
    rip_jw_key(w, "event");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "id");
    rip_jw_slice(w, ev->id);
    rip_jw_key(w, "time");
    jw_time(w, ev->time_ns);
    rip_jw_key(w, "name");
    rip_jw_slice(w, event_name(ev));
    rip_jw_key(w, "actor");
    rip_jw_slice(w, event_actor(ev));
    rip_jw_key(w, "source_ip");
    rip_jw_slice(w, ev->source.ip);
    rip_jw_key(w, "account");
    rip_jw_slice(w, ev->account);
    rip_jw_key(w, "region");
    rip_jw_slice(w, ev->region);
    rip_jw_key(w, "cloud");
    rip_jw_str(w, rip_cloud_name(ev->cloud));
    rip_jw_key(w, "format");
    rip_jw_str(w, rip_format_name(ev->format));
    jw_opt(w, "service", ev->action.service);
    jw_opt(w, "access_key", ev->actor.access_key);
    jw_opt(w, "user_agent", ev->source.user_agent);
    jw_opt(w, "error_code", ev->action.error_code);
    rip_jw_obj_end(w);
}

static void jw_input(rip_jw *w, const char *path, uint64_t index, rip_scan_fmt_cache *c)
{
    rip_jw_key(w, "input");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "path");
    size_t pl = path ? strlen(path) : 0;
    if (c && path && !(c->path.len == pl && !memcmp(c->path.ptr, path, pl))) {
        rip_buf_reset(&c->path);
        rip_buf_reset(&c->qpath);
        if (rip_buf_add(&c->path, path, pl) < 0 || rip_json_quote(&c->qpath, path, pl) < 0) {
            rip_buf_reset(&c->path);
            rip_buf_reset(&c->qpath);
        }
    }
    if (c && path && c->qpath.len)
        rip_jw_raw(w, c->qpath.ptr, c->qpath.len);
    else
        rip_jw_str(w, path);
    rip_jw_key(w, "index");
    rip_jw_u64(w, index);
    rip_jw_obj_end(w);
}

static int ocsf_severity_id(rip_sigma_level l)
{
    switch (l) {
    case RIP_SIGMA_LEVEL_INFORMATIONAL: return 1;
    case RIP_SIGMA_LEVEL_LOW: return 2;
    case RIP_SIGMA_LEVEL_MEDIUM: return 3;
    case RIP_SIGMA_LEVEL_HIGH: return 4;
    case RIP_SIGMA_LEVEL_CRITICAL: return 5;
    default: return 0;
    }
}

static const char *const ocsf_severity_names[] = {
    "Unknown", "Informational", "Low", "Medium", "High", "Critical",
};

/* The OCSF Detection Finding (class 2004) envelope up to finding_info. */
static void ocsf_begin(rip_jw *w, const rip_sigma_meta *m, int64_t time_ns)
{
    int sev = ocsf_severity_id(m->level);
    rip_jw_obj_begin(w);
    rip_jw_key(w, "activity_id");
    rip_jw_i64(w, 1);
    rip_jw_key(w, "activity_name");
    rip_jw_str(w, "Create");
    rip_jw_key(w, "category_uid");
    rip_jw_i64(w, 2);
    rip_jw_key(w, "category_name");
    rip_jw_str(w, "Findings");
    rip_jw_key(w, "class_uid");
    rip_jw_i64(w, 2004);
    rip_jw_key(w, "class_name");
    rip_jw_str(w, "Detection Finding");
    rip_jw_key(w, "type_uid");
    rip_jw_i64(w, 200401);
    rip_jw_key(w, "type_name");
    rip_jw_str(w, "Detection Finding: Create");
    rip_jw_key(w, "severity_id");
    rip_jw_i64(w, sev);
    rip_jw_key(w, "severity");
    rip_jw_str(w, ocsf_severity_names[sev]);
    rip_jw_key(w, "status_id");
    rip_jw_i64(w, 1);
    rip_jw_key(w, "status");
    rip_jw_str(w, "New");
    rip_jw_key(w, "time");
    rip_jw_i64(w, time_ns / 1000000);
    rip_jw_key(w, "message");
    rip_jw_str(w, m->title);
    rip_jw_key(w, "metadata");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "version");
    rip_jw_str(w, "1.3.0");
    rip_jw_key(w, "product");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "name");
    rip_jw_str(w, "riposte");
    rip_jw_key(w, "vendor_name");
    rip_jw_str(w, "riposte");
    rip_jw_key(w, "version");
    rip_jw_str(w, RIPOSTE_VERSION);
    rip_jw_obj_end(w);
    rip_jw_obj_end(w);
}

static void ocsf_analytic(rip_jw *w, const rip_sigma_meta *m)
{
    rip_jw_key(w, "title");
    rip_jw_str(w, m->title);
    if (m->description) {
        rip_jw_key(w, "desc");
        rip_jw_str(w, m->description);
    }
    rip_jw_key(w, "types");
    rip_jw_arr_begin(w);
    for (uint32_t i = 0; i < m->tags.n; i++)
        rip_jw_str(w, m->tags.v[i]);
    rip_jw_arr_end(w);
    rip_jw_key(w, "analytic");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "uid");
    rip_jw_str(w, m->id);
    rip_jw_key(w, "name");
    rip_jw_str(w, m->name ? m->name : m->title);
    rip_jw_key(w, "type_id");
    rip_jw_i64(w, 1);
    rip_jw_key(w, "type");
    rip_jw_str(w, "Rule");
    rip_jw_obj_end(w);
}

static void write_ocsf(rip_jw *w, const rip_sigma_meta *m, const rip_event *ev,
                       const char *path)
{
    ocsf_begin(w, m, ev->time_ns);
    rip_jw_key(w, "finding_info");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "uid");
    {
        rip_buf uid = RIP_BUF_INIT;
        rip_buf_addf(&uid, "%s:%.*s", m->id ? m->id : "", (int)ev->id.len,
                     ev->id.ptr ? ev->id.ptr : "");
        rip_jw_strn(w, uid.ptr, uid.len);
        rip_buf_release(&uid);
    }
    ocsf_analytic(w, m);
    rip_jw_key(w, "first_seen_time");
    rip_jw_i64(w, ev->time_ns / 1000000);
    rip_jw_key(w, "last_seen_time");
    rip_jw_i64(w, ev->time_ns / 1000000);
    rip_jw_key(w, "related_events");
    rip_jw_arr_begin(w);
    rip_jw_obj_begin(w);
    rip_jw_key(w, "uid");
    rip_jw_slice(w, ev->id);
    rip_jw_obj_end(w);
    rip_jw_arr_end(w);
    rip_jw_obj_end(w);

    rip_jw_key(w, "cloud");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "provider");
    rip_jw_str(w, ev->cloud == RIP_CLOUD_GCP ? "GCP" : ev->cloud == RIP_CLOUD_AWS ? "AWS" : "Unknown");
    if (ev->account.ptr) {
        rip_jw_key(w, "account");
        rip_jw_obj_begin(w);
        rip_jw_key(w, "uid");
        rip_jw_slice(w, ev->account);
        rip_jw_obj_end(w);
    }
    jw_opt(w, "region", ev->region);
    rip_jw_obj_end(w);

    if (event_actor(ev).ptr) {
        rip_jw_key(w, "actor");
        rip_jw_obj_begin(w);
        rip_jw_key(w, "user");
        rip_jw_obj_begin(w);
        jw_opt(w, "uid", event_actor(ev));
        jw_opt(w, "name", ev->actor.user);
        jw_opt(w, "type", ev->actor.type);
        jw_opt(w, "credential_uid", ev->actor.access_key);
        rip_jw_obj_end(w);
        rip_jw_obj_end(w);
    }
    if (ev->source.ip.ptr || ev->source.user_agent.ptr) {
        rip_jw_key(w, "src_endpoint");
        rip_jw_obj_begin(w);
        jw_opt(w, "ip", ev->source.ip);
        rip_jw_obj_end(w);
    }
    if (ev->action.name.ptr) {
        rip_jw_key(w, "api");
        rip_jw_obj_begin(w);
        jw_opt(w, "operation", ev->action.name);
        if (ev->action.service.ptr) {
            rip_jw_key(w, "service");
            rip_jw_obj_begin(w);
            jw_opt(w, "name", ev->action.service);
            rip_jw_obj_end(w);
        }
        rip_jw_obj_end(w);
    }
    rip_jw_key(w, "unmapped");
    rip_jw_obj_begin(w);
    jw_input(w, path, ev->input_index, NULL);
    rip_jw_obj_end(w);
    rip_jw_obj_end(w);
}

/* Ends one output line: on failure the buffer is put back as it was. */
static int line_done(rip_buf *out, size_t start, int r)
{
    if (r < 0) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return r;
}

int rip_scan_format_hit(rip_buf *out, rip_scan_format fmt, const rip_sigma_meta *meta,
                        const rip_event *ev, const char *path, int with_raw,
                        rip_scan_fmt_cache *cache)
{
    size_t start = out->len;
    int r = 0;
    if (fmt == RIP_SCAN_TEXT) {
        /* No printf on this path: it runs once per hit. The line's longest
         * form is reserved first, then written without further checks. */
        const char *level = meta->level ? rip_sigma_level_name(meta->level) : "-";
        const char *title = meta->title ? meta->title : "(untitled)";
        size_t ll = strlen(level), tl = strlen(title);
        rip_slice p = rip_slice_cstr(path);
        r = rip_buf_grow(out, RIP_TIME_FMT_MAX + 2 + ll + 14 + tl + 2 + 6 * (SAFE_MAX + 3) +
                              4 + 6 + 4 + 1 + 3 + 8 + 20 + 2);
        if (r < 0)
            return line_done(out, start, r);
        char *o = out->ptr + out->len;
        if (ev->time_ns) {
            char t[RIP_TIME_FMT_MAX];
            rip_time_format(ev->time_ns, t);
            o = put(o, t, strlen(t));
        } else {
            *o++ = '-';
        }
        o = put(o, "  ", 2);
        o = put(o, level, ll);
        o = put(o, "              ", ll < 14 ? 14 - ll : 1);
        o = put(o, title, tl);
        o = put(o, "  ", 2);
        o = put_safe(o, event_name(ev));
        o = put(o, " by ", 4);
        o = put_safe(o, event_actor(ev));
        if (ev->source.ip.ptr) {
            o = put(o, " from ", 6);
            o = put_safe(o, ev->source.ip);
        }
        if (ev->account.ptr || ev->region.ptr) {
            o = put(o, " in ", 4);
            o = put_safe(o, ev->account);
            *o++ = '/';
            o = put_safe(o, ev->region);
        }
        o = put(o, "  [", 3);
        o = put_safe(o, p);
        o = put(o, " record ", 8);
        char num[24];
        int nl = 0;
        uint64_t v = ev->input_index + 1;
        do {
            num[sizeof(num) - 1 - nl++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        o = put(o, num + sizeof(num) - nl, (size_t)nl);
        o = put(o, "]\n", 2);
        *o = '\0';
        out->len = (size_t)(o - out->ptr);
    } else {
        rip_jw w;
        rip_jw_init(&w, out);
        if (fmt == RIP_SCAN_OCSF) {
            write_ocsf(&w, meta, ev, path);
        } else {
            rip_jw_obj_begin(&w);
            jw_rule(&w, meta, cache);
            jw_event(&w, ev);
            jw_input(&w, path, ev->input_index, cache);
            if (with_raw && ev->raw) {
                rip_jw_key(&w, "raw");
                rip_slice t = rip_json_text(ev->raw);
                rip_jw_raw(&w, t.ptr, t.len);
            }
            rip_jw_obj_end(&w);
        }
        r = rip_jw_finish(&w);
        if (r == 0)
            r = rip_buf_addc(out, '\n');
    }
    return line_done(out, start, r);
}

int rip_scan_format_corr(rip_buf *out, rip_scan_format fmt, const rip_sigma_meta *meta,
                         const char *group, const rip_scan_corr_event *evs, size_t nevs,
                         int64_t first_ns, int64_t last_ns)
{
    size_t start = out->len;
    int r = 0;
    if (fmt == RIP_SCAN_TEXT) {
        add_time(out, last_ns);
        rip_buf_addf(out, "  %-13s %s  %zu events",
                     meta->level ? rip_sigma_level_name(meta->level) : "-",
                     meta->title ? meta->title : "(untitled)", nevs);
        if (group && *group) {
            rip_buf_adds(out, " for ");
            add_safe(out, rip_slice_cstr(group));
        }
        rip_buf_adds(out, " since ");
        add_time(out, first_ns);
        r = rip_buf_addc(out, '\n');
    } else {
        rip_jw w;
        rip_jw_init(&w, out);
        if (fmt == RIP_SCAN_OCSF) {
            ocsf_begin(&w, meta, last_ns);
            rip_jw_key(&w, "finding_info");
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "uid");
            rip_buf uid = RIP_BUF_INIT;
            rip_buf_addf(&uid, "%s:%s:%" PRId64, meta->id ? meta->id : "", group ? group : "",
                         first_ns);
            rip_jw_strn(&w, uid.ptr, uid.len);
            rip_buf_release(&uid);
            ocsf_analytic(&w, meta);
            rip_jw_key(&w, "first_seen_time");
            rip_jw_i64(&w, first_ns / 1000000);
            rip_jw_key(&w, "last_seen_time");
            rip_jw_i64(&w, last_ns / 1000000);
            rip_jw_key(&w, "related_events");
            rip_jw_arr_begin(&w);
            for (size_t i = 0; i < nevs; i++) {
                rip_jw_obj_begin(&w);
                rip_jw_key(&w, "uid");
                rip_jw_str(&w, evs[i].id);
                rip_jw_obj_end(&w);
            }
            rip_jw_arr_end(&w);
            rip_jw_obj_end(&w);
            rip_jw_key(&w, "unmapped");
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "group");
            rip_jw_str(&w, group);
            rip_jw_obj_end(&w);
            rip_jw_obj_end(&w);
        } else {
            rip_jw_obj_begin(&w);
            jw_rule(&w, meta, NULL);
            rip_jw_key(&w, "correlation");
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "group");
            rip_jw_str(&w, group);
            rip_jw_key(&w, "first_time");
            jw_time(&w, first_ns);
            rip_jw_key(&w, "last_time");
            jw_time(&w, last_ns);
            rip_jw_key(&w, "count");
            rip_jw_u64(&w, nevs);
            rip_jw_obj_end(&w);
            rip_jw_key(&w, "events");
            rip_jw_arr_begin(&w);
            for (size_t i = 0; i < nevs; i++) {
                rip_jw_obj_begin(&w);
                rip_jw_key(&w, "id");
                rip_jw_str(&w, evs[i].id);
                rip_jw_key(&w, "time");
                jw_time(&w, evs[i].time_ns);
                rip_jw_key(&w, "input");
                rip_jw_obj_begin(&w);
                rip_jw_key(&w, "path");
                rip_jw_str(&w, evs[i].path);
                rip_jw_key(&w, "index");
                rip_jw_u64(&w, evs[i].index);
                rip_jw_obj_end(&w);
                rip_jw_obj_end(&w);
            }
            rip_jw_arr_end(&w);
            rip_jw_obj_end(&w);
        }
        r = rip_jw_finish(&w);
        if (r == 0)
            r = rip_buf_addc(out, '\n');
    }
    return line_done(out, start, r);
}

int rip_scan_format_summary(rip_buf *out, const rip_scan_summary *s)
{
    double mb = (double)s->bytes / 1e6;
    int r = rip_buf_addf(out,
                         "%" PRIu64 " hit%s from %u rules over %" PRIu64 " events in %" PRIu64
                         " file%s (%.1f MB, %.2f s, %.0f MB/s)",
                         s->hits, s->hits == 1 ? "" : "s", s->rules, s->events, s->files,
                         s->files == 1 ? "" : "s", mb, s->seconds,
                         s->seconds > 0 ? mb / s->seconds : 0.0);
    if (r == 0 && s->errors)
        r = rip_buf_addf(out, ", %" PRIu64 " record%s rejected", s->errors,
                         s->errors == 1 ? "" : "s");
    if (r == 0)
        r = rip_buf_addc(out, '\n');
    return r;
}
