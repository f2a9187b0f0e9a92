/* finding.c — findings built from rule hits, correlation hits and provider
 * findings (finding.h). */
#include "correlate/finding.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/explain.h"
#include "correlate/incident.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/json.h"

void rip_finding_init(rip_finding *f)
{
    memset(f, 0, sizeof(*f));
    f->score = -1;
    rip_entity_set_init(&f->entities);
}

void rip_finding_release(rip_finding *f)
{
    free(f->key);
    free(f->source);
    free(f->rule_id);
    free(f->title);
    free(f->severity);
    free(f->account);
    free(f->region);
    free(f->explanation);
    free(f->detail);
    free(f->cloud);
    for (size_t i = 0; i < f->nevents; i++)
        free(f->event_ids[i]);
    free(f->event_ids);
    rip_entity_set_release(&f->entities);
    rip_finding_init(f);
}

/* A malloc'ed copy of a slice (NULL for an absent one); *ok cleared when
 * memory runs out. */
static char *dup_slice(rip_slice s, int *ok)
{
    if (!s.ptr)
        return NULL;
    char *p = malloc(s.len + 1);
    if (!p) {
        *ok = 0;
        return NULL;
    }
    memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return p;
}

static char *dup_str(const char *s, int *ok)
{
    return s ? dup_slice(rip_slice_cstr(s), ok) : NULL;
}

static char *take_buf(rip_buf *b, int *ok)
{
    char *p = rip_buf_take(b, NULL);
    if (!p)
        *ok = 0;
    return p;
}

int rip_finding_event_id(const rip_event *ev, char **out)
{
    int ok = 1;
    if (ev->id.ptr && ev->id.len) {
        char *p = dup_slice(ev->id, &ok);
        if (!ok)
            return RIP_ENOMEM;
        *out = p;
        return 0;
    }
    /* The store's key for a record without an id (store-sqlite.c). */
    rip_slice raw = ev->raw ? rip_json_text(ev->raw) : RIP_SLICE_LIT("{}");
    unsigned char md[RIP_SHA256_SIZE];
    static const char hex[] = "0123456789abcdef";
    rip_sha256(raw.ptr, raw.len, md);
    char *p = malloc(7 + 64 + 1);
    if (!p)
        return RIP_ENOMEM;
    memcpy(p, "sha256:", 7);
    for (unsigned i = 0; i < 32; i++) {
        p[7 + 2 * i] = hex[md[i] >> 4];
        p[8 + 2 * i] = hex[md[i] & 15];
    }
    p[71] = '\0';
    *out = p;
    return 0;
}

static int one_event(rip_finding *f, const rip_event *ev)
{
    f->event_ids = calloc(1, sizeof(*f->event_ids));
    if (!f->event_ids)
        return RIP_ENOMEM;
    int rc = rip_finding_event_id(ev, &f->event_ids[0]);
    if (rc)
        return rc;
    f->nevents = 1;
    return 0;
}

static const char *rule_key(const rip_sigma_meta *m)
{
    return m->id ? m->id : m->name ? m->name : m->title ? m->title : "?";
}

static void jw_rule(rip_jw *w, const rip_sigma_meta *m)
{
    rip_jw_key(w, "rule");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "id");
    rip_jw_str(w, m->id);
    rip_jw_key(w, "name");
    rip_jw_str(w, m->name);
    rip_jw_key(w, "title");
    rip_jw_str(w, m->title);
    rip_jw_key(w, "level");
    rip_jw_str(w, rip_sigma_level_name(m->level));
    rip_jw_key(w, "path");
    rip_jw_str(w, m->path);
    rip_jw_key(w, "tags");
    rip_jw_arr_begin(w);
    for (uint32_t i = 0; i < m->tags.n; i++)
        rip_jw_str(w, m->tags.v[i]);
    rip_jw_arr_end(w);
    rip_jw_obj_end(w);
}

static const char *level_severity(rip_sigma_level l)
{
    switch (l) {
    case RIP_SIGMA_LEVEL_INFORMATIONAL: return "informational";
    case RIP_SIGMA_LEVEL_LOW: return "low";
    case RIP_SIGMA_LEVEL_MEDIUM: return "medium";
    case RIP_SIGMA_LEVEL_HIGH: return "high";
    case RIP_SIGMA_LEVEL_CRITICAL: return "critical";
    case RIP_SIGMA_LEVEL_NONE: break;
    }
    return "low";
}

int rip_finding_from_sigma(rip_finding *f, const rip_sigma_hit *hit, const rip_event *ev)
{
    const rip_sigma_meta *m = hit->meta;
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    int ok = 1, rc;

    rip_finding_init(f);
    rc = one_event(f, ev);
    if (rc)
        goto fail;
    f->source = dup_str("sigma", &ok);
    f->rule_id = dup_str(rule_key(m), &ok);
    f->title = dup_str(m->title ? m->title : rule_key(m), &ok);
    f->severity = dup_str(level_severity(m->level), &ok);
    f->time_ns = ev->time_ns;
    f->account = dup_slice(ev->account, &ok);
    f->region = dup_slice(ev->region, &ok);
    f->cloud = dup_str(rip_cloud_name(ev->cloud), &ok);
    rc = rip_buf_addf(&b, "sigma:%s:%s:%s", rule_key(m), rip_cloud_name(ev->cloud),
                      f->event_ids[0]);
    f->key = rc ? NULL : take_buf(&b, &ok);
    if (rc)
        goto fail;
    rc = rip_explain_sigma(&b, m, ev);
    if (rc)
        goto fail;
    f->explanation = take_buf(&b, &ok);
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    jw_rule(&w, m);
    rip_jw_key(&w, "event");
    rip_jw_str(&w, f->event_ids[0]);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc)
        goto fail;
    f->detail = take_buf(&b, &ok);
    rc = rip_entities_from_event(&f->entities, ev);
    if (rc)
        goto fail;
    if (!ok) {
        rc = RIP_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    rip_buf_release(&b);
    rip_finding_release(f);
    return rc ? rc : RIP_ENOMEM;
}

int rip_finding_from_provider(rip_finding *f, const rip_event *ev)
{
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    int ok = 1, rc;
    int gd = ev->format == RIP_FORMAT_GUARDDUTY;

    rip_finding_init(f);
    if (ev->kind != RIP_EVENT_FINDING)
        return RIP_EINVAL;
    rc = one_event(f, ev);
    if (rc)
        goto fail;
    f->source = dup_str(gd ? "guardduty" : "securityhub", &ok);
    f->rule_id = dup_slice(ev->finding.type, &ok);
    if (rip_slice_present(ev->finding.title))
        f->title = dup_slice(ev->finding.title, &ok);
    else if (rip_slice_present(ev->finding.type))
        f->title = dup_slice(ev->finding.type, &ok);
    else
        f->title = dup_str(gd ? "GuardDuty finding" : "Security Hub finding", &ok);
    /* The label when it is one of ours, else the score's band. */
    char label[16] = "";
    rip_slice l = ev->finding.severity_label;
    if (l.ptr && l.len < sizeof(label)) {
        for (size_t i = 0; i < l.len; i++)
            label[i] = (char)tolower((unsigned char)l.ptr[i]);
        label[l.len] = '\0';
    }
    f->severity = dup_str(rip_severity_rank(label) >= 0 ? label
                          : rip_severity_from_score(ev->finding.severity), &ok);
    f->score = ev->finding.severity;
    f->time_ns = ev->time_ns;
    f->account = dup_slice(ev->account, &ok);
    f->region = dup_slice(ev->region, &ok);
    f->cloud = dup_str(rip_cloud_name(ev->cloud), &ok);
    rc = rip_buf_addf(&b, "%s:%s:%s", gd ? "guardduty" : "securityhub",
                      rip_cloud_name(ev->cloud), f->event_ids[0]);
    f->key = rc ? NULL : take_buf(&b, &ok);
    if (rc)
        goto fail;
    rc = rip_explain_provider(&b, ev);
    if (rc)
        goto fail;
    f->explanation = take_buf(&b, &ok);
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "type");
    rip_jw_slice(&w, ev->finding.type);
    rip_jw_key(&w, "generator");
    rip_jw_slice(&w, ev->finding.generator);
    rip_jw_key(&w, "severity");
    rip_jw_f64(&w, ev->finding.severity);
    rip_jw_key(&w, "event");
    rip_jw_str(&w, f->event_ids[0]);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc)
        goto fail;
    f->detail = take_buf(&b, &ok);
    rc = rip_entities_from_event(&f->entities, ev);
    if (rc)
        goto fail;
    if (!ok) {
        rc = RIP_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    rip_buf_release(&b);
    rip_finding_release(f);
    return rc ? rc : RIP_ENOMEM;
}

int rip_finding_from_correlation(rip_finding *f, const rip_corr_hit *hit, const char *cloud)
{
    const rip_sigma_meta *m = hit->meta;
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    size_t n = hit->nobs < RIP_FINDING_MAX_EVENTS ? hit->nobs : RIP_FINDING_MAX_EVENTS;
    int ok = 1, rc = 0;

    rip_finding_init(f);
    f->event_ids = calloc(n ? n : 1, sizeof(*f->event_ids));
    if (!f->event_ids) {
        rc = RIP_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        f->event_ids[i] = dup_str(hit->obs[i]->event_id ? hit->obs[i]->event_id : "", &ok);
        if (!ok)
            goto fail;
        f->nevents++;
    }
    f->source = dup_str("correlation", &ok);
    f->rule_id = dup_str(rule_key(m), &ok);
    f->title = dup_str(m->title ? m->title : rule_key(m), &ok);
    f->severity = dup_str(level_severity(m->level), &ok);
    f->time_ns = hit->first_ns;
    f->cloud = dup_str(cloud, &ok);
    rc = rip_buf_addf(&b, "correlation:%s:%s:%s:%s", rule_key(m), hit->group ? hit->group : "",
                      cloud, n ? f->event_ids[0] : "");
    f->key = rc ? NULL : take_buf(&b, &ok);
    if (rc)
        goto fail;
    rc = rip_explain_correlation(&b, m, hit->group, hit->nobs, hit->first_ns, hit->last_ns);
    if (rc)
        goto fail;
    f->explanation = take_buf(&b, &ok);
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    jw_rule(&w, m);
    rip_jw_key(&w, "group");
    rip_jw_str(&w, hit->group);
    rip_jw_key(&w, "events");
    rip_jw_u64(&w, hit->nobs);
    rip_jw_key(&w, "first_ns");
    rip_jw_i64(&w, hit->first_ns);
    rip_jw_key(&w, "last_ns");
    rip_jw_i64(&w, hit->last_ns);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc)
        goto fail;
    f->detail = take_buf(&b, &ok);
    if (!ok) {
        rc = RIP_ENOMEM;
        goto fail;
    }
    return 0;
fail:
    rip_buf_release(&b);
    rip_finding_release(f);
    return rc ? rc : RIP_ENOMEM;
}
