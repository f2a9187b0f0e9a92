/* fold.c — merge rules and folding findings into incidents (fold.h). */
#include "correlate/fold.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <yaml.h>

#include "correlate/incident.h"
#include "sources/input.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

/* ---- merge rules ---- */

static const char *const mode_names[] = {
    [RIP_LINK_IGNORE] = "ignore", [RIP_LINK_SUPPORT] = "support", [RIP_LINK_LINK] = "link",
};

const char *rip_link_mode_name(rip_link_mode m)
{
    return (unsigned)m <= RIP_LINK_LINK ? mode_names[m] : "?";
}

void rip_merge_rules_default(rip_merge_rules *r)
{
    memset(r, 0, sizeof(*r));
    r->mode[RIP_ENTITY_ACCESS_KEY] = RIP_LINK_LINK;
    r->mode[RIP_ENTITY_PRINCIPAL] = RIP_LINK_LINK;
    r->mode[RIP_ENTITY_ROLE] = RIP_LINK_SUPPORT;
    r->mode[RIP_ENTITY_INSTANCE] = RIP_LINK_LINK;
    r->mode[RIP_ENTITY_BUCKET] = RIP_LINK_LINK;
    r->mode[RIP_ENTITY_SECURITY_GROUP] = RIP_LINK_LINK;
    r->mode[RIP_ENTITY_SOURCE_IP] = RIP_LINK_SUPPORT;
    r->window_ns = RIP_MERGE_WINDOW_DEFAULT;
    r->min_severity = 0;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* "90", "90s", "10m", "1h", "2d", "1w" -> nanoseconds. 0 or RIP_ESYNTAX /
 * RIP_ERANGE. */
static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    int64_t unit = 1000000000;
    if (end == s || errno || v < 0)
        return RIP_ESYNTAX;
    if (!strcmp(end, "") || !strcmp(end, "s"))
        unit = 1000000000;
    else if (!strcmp(end, "m"))
        unit = (int64_t)60 * 1000000000;
    else if (!strcmp(end, "h"))
        unit = (int64_t)3600 * 1000000000;
    else if (!strcmp(end, "d"))
        unit = (int64_t)86400 * 1000000000;
    else if (!strcmp(end, "w"))
        unit = (int64_t)7 * 86400 * 1000000000;
    else
        return RIP_ESYNTAX;
    if (v > RIP_MERGE_WINDOW_MAX / unit)
        return RIP_ERANGE;
    *out = (int64_t)v * unit;
    return 0;
}

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static unsigned long line_of(yaml_node_t *n)
{
    return n ? (unsigned long)n->start_mark.line + 1 : 0;
}

int rip_merge_rules_load(rip_merge_rules *out, const char *path, char *err, size_t errlen)
{
    rip_merge_rules r;
    rip_buf data = RIP_BUF_INIT;
    yaml_parser_t parser;
    yaml_document_t doc;
    int have_doc = 0, rc;

    set_err(err, errlen, "%s", "");
    rip_merge_rules_default(&r);
    rc = rip_input_read(path, RIP_MERGE_FILE_MAX, &data);
    if (rc < 0) {
        set_err(err, errlen, "%s", rc == RIP_ELIMIT ? "larger than 64 KiB" : rip_strerror(rc));
        rip_buf_release(&data);
        return rc;
    }
    if (!yaml_parser_initialize(&parser)) {
        rip_buf_release(&data);
        return RIP_ENOMEM;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)data.ptr, data.len);
    if (!yaml_parser_load(&parser, &doc)) {
        set_err(err, errlen, "line %lu: %s", (unsigned long)parser.problem_mark.line + 1,
                parser.problem ? parser.problem : "not YAML");
        rc = RIP_ESYNTAX;
        goto out;
    }
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        rc = 0;   /* an empty file: the defaults */
        goto done;
    }
    if (root->type != YAML_MAPPING_NODE) {
        set_err(err, errlen, "line %lu: expected a map of 'window', 'min_severity' and "
                "'entities'", line_of(root));
        rc = RIP_ESYNTAX;
        goto out;
    }
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        yaml_node_t *v = yaml_document_get_node(&doc, p->value);
        const char *key = scalar(k), *val = scalar(v);
        if (key && !strcmp(key, "window")) {
            int64_t ns = 0;
            int r2 = val ? parse_duration(val, &ns) : RIP_ESYNTAX;
            if (r2 || ns <= 0) {
                set_err(err, errlen, "line %lu: 'window' must be a duration from 1s to 30d "
                        "such as 90s, 10m, 1h or 2d, not '%s'", line_of(v), val ? val : "?");
                rc = RIP_ESYNTAX;
                goto out;
            }
            r.window_ns = ns;
        } else if (key && !strcmp(key, "min_severity")) {
            int rank = rip_severity_rank(val);
            if (rank < 0) {
                set_err(err, errlen, "line %lu: 'min_severity' must be informational, low, "
                        "medium, high or critical, not '%s'", line_of(v), val ? val : "?");
                rc = RIP_ESYNTAX;
                goto out;
            }
            r.min_severity = rank;
        } else if (key && !strcmp(key, "entities")) {
            if (!v || v->type != YAML_MAPPING_NODE) {
                set_err(err, errlen, "line %lu: 'entities' must be a map of entity kind to "
                        "link, support or ignore", line_of(v));
                rc = RIP_ESYNTAX;
                goto out;
            }
            for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
                 q < v->data.mapping.pairs.top; q++) {
                yaml_node_t *ek = yaml_document_get_node(&doc, q->key);
                yaml_node_t *ev = yaml_document_get_node(&doc, q->value);
                const char *kname = scalar(ek), *mname = scalar(ev);
                rip_entity_kind kind;
                int m = -1;
                if (!kname || rip_entity_kind_parse(kname, &kind) < 0) {
                    set_err(err, errlen, "line %lu: unknown entity kind '%s' (expected "
                            "access_key, principal, role, instance, bucket, security_group "
                            "or source_ip)", line_of(ek), kname ? kname : "?");
                    rc = RIP_ESYNTAX;
                    goto out;
                }
                for (int i = 0; mname && i <= RIP_LINK_LINK; i++)
                    if (!strcmp(mname, mode_names[i]))
                        m = i;
                if (m < 0) {
                    set_err(err, errlen, "line %lu: entity '%s' must be link, support or "
                            "ignore, not '%s'", line_of(ev), kname, mname ? mname : "?");
                    rc = RIP_ESYNTAX;
                    goto out;
                }
                r.mode[kind] = (rip_link_mode)m;
            }
        } else {
            set_err(err, errlen, "line %lu: unknown key '%s' (expected window, min_severity "
                    "or entities)", line_of(k), key ? key : "?");
            rc = RIP_ESYNTAX;
            goto out;
        }
    }
done:
    *out = r;
out:
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    rip_buf_release(&data);
    return rc;
}

/* ---- folding ---- */

#define MAX_CANDIDATES 32

typedef struct candidate {
    int64_t id;
    unsigned links;            /* shared entities of link kinds */
    unsigned support_kinds;    /* bit per support kind shared */
    size_t why;                /* the entity that names the link (a link
                                  kind when there is one) */
} candidate;

static int popcount(unsigned v)
{
    int n = 0;
    for (; v; v &= v - 1)
        n++;
    return n;
}

static int64_t clock_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

typedef struct head {
    char severity[32];
    int64_t first_ns, last_ns;
    int found;
} head;

static int on_head(void *ud, const rip_store_incident_row *row)
{
    head *h = ud;
    snprintf(h->severity, sizeof(h->severity), "%s", row->severity ? row->severity : "");
    h->first_ns = row->first_seen_ns;
    h->last_ns = row->last_seen_ns;
    h->found = 1;
    return 0;
}

static int read_head(rip_store *st, int64_t id, head *h)
{
    rip_store_incident_filter f = { .id = id };
    memset(h, 0, sizeof(*h));
    int rc = rip_store_list_incidents(st, &f, on_head, h);
    return rc ? rc : h->found ? 0 : RIP_ENOTFOUND;
}

static int timeline(rip_store *st, int64_t incident, int64_t t, const char *kind,
                    const char *text, const char *detail)
{
    rip_store_timeline_entry e = {
        .time_ns = t, .kind = kind, .actor = "riposte", .text = text, .detail = detail,
    };
    return rip_store_timeline_append(st, incident, &e, NULL);
}

/* Moves everything of incident `from` into `into` and marks `from` merged.
 * `why` names the entity that tied them. */
static int merge(rip_store *st, int64_t into, int64_t from, int64_t now, const char *why)
{
    rip_store_incident *src = NULL;
    rip_buf text = RIP_BUF_INIT, detail = RIP_BUF_INIT;
    rip_jw w;
    head h;
    int rc = rip_store_incident_get(st, from, &src);
    if (rc)
        goto out;
    for (size_t i = 0; rc == 0 && i < src->nentities; i++) {
        rc = rip_store_incident_add_entity(st, into, src->entities[i].type,
                                           src->entities[i].value, src->entities[i].first_seen_ns);
        if (rc == 0)
            rc = rip_store_incident_add_entity(st, into, src->entities[i].type,
                                               src->entities[i].value,
                                               src->entities[i].last_seen_ns);
    }
    for (size_t i = 0; rc == 0 && i < src->nfindings; i++)
        rc = rip_store_incident_add_finding(st, into, src->findings[i].id, now);
    if (rc == 0)
        rc = read_head(st, into, &h);
    if (rc)
        goto out;
    rip_store_incident_set set = { .now_ns = now };
    if (src->row.first_seen_ns < h.first_ns)
        set.first_seen_ns = src->row.first_seen_ns;
    if (src->row.last_seen_ns > h.last_ns)
        set.last_seen_ns = src->row.last_seen_ns;
    if (rip_severity_rank(src->row.severity) > rip_severity_rank(h.severity)) {
        set.severity = src->row.severity;
        set.title = src->row.title;
    }
    rc = rip_store_incident_update(st, into, &set);
    if (rc)
        goto out;
    rip_store_incident_set gone = { .status = "merged", .merged_into = into, .now_ns = now };
    rc = rip_store_incident_update(st, from, &gone);
    if (rc)
        goto out;

    rip_jw_init(&w, &detail);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "into");
    rip_jw_i64(&w, into);
    rip_jw_key(&w, "from");
    rip_jw_i64(&w, from);
    rip_jw_key(&w, "shared");
    rip_jw_str(&w, why);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc == 0)
        rc = rip_buf_addf(&text, "incident %" PRId64 " merged into this one (%zu findings; "
                          "shared %s)", from, src->nfindings, why);
    if (rc == 0)
        rc = timeline(st, into, now, "merged", text.ptr, detail.ptr);
    rip_buf_reset(&text);
    if (rc == 0)
        rc = rip_buf_addf(&text, "merged into incident %" PRId64 " (shared %s)", into, why);
    if (rc == 0)
        rc = timeline(st, from, now, "merged", text.ptr, detail.ptr);
out:
    rip_store_incident_free(src);
    rip_buf_release(&text);
    rip_buf_release(&detail);
    return rc;
}

int rip_fold_finding(rip_store *st, const rip_merge_rules *r, const rip_finding *f,
                     int64_t now_ns, rip_fold_result *res)
{
    rip_store_finding sf;
    candidate cand[MAX_CANDIDATES];
    size_t ncand = 0;
    rip_buf text = RIP_BUF_INIT, detail = RIP_BUF_INIT, why = RIP_BUF_INIT;
    rip_jw w;
    int64_t fid = 0, t, now = now_ns ? now_ns : clock_now();
    int created = 0, rc;

    memset(res, 0, sizeof(*res));
    memset(&sf, 0, sizeof(sf));
    sf.key = f->key;
    sf.source = f->source;
    sf.rule_id = f->rule_id;
    sf.title = f->title;
    sf.severity = f->severity;
    sf.severity_score = f->score;
    sf.time_ns = f->time_ns ? f->time_ns : now;
    sf.account = f->account;
    sf.region = f->region;
    sf.explanation = f->explanation;
    sf.detail = f->detail;
    sf.cloud = f->cloud;
    sf.event_ids = (const char *const *)f->event_ids;
    sf.nevents = f->nevents;
    rc = rip_store_put_finding(st, &sf, &fid, &created);
    if (rc)
        return rc;
    res->finding_id = fid;
    res->finding_new = created;
    if (!created || rip_severity_rank(f->severity) < r->min_severity)
        return 0;
    t = sf.time_ns;

    /* Open incidents sharing an entity within the window, tallied. */
    for (size_t i = 0; i < f->entities.n; i++) {
        const rip_entity *e = &f->entities.v[i];
        rip_link_mode mode = r->mode[e->kind];
        int64_t ids[MAX_CANDIDATES];
        size_t n = 0;
        if (mode == RIP_LINK_IGNORE)
            continue;
        rc = rip_store_incidents_with_entity(st, rip_entity_kind_name(e->kind), e->value,
                                             t - r->window_ns, t + r->window_ns, ids,
                                             MAX_CANDIDATES, &n);
        if (rc)
            goto out;
        for (size_t k = 0; k < n; k++) {
            size_t c = 0;
            while (c < ncand && cand[c].id != ids[k])
                c++;
            if (c == ncand) {
                if (ncand == MAX_CANDIDATES)
                    continue;
                cand[ncand].id = ids[k];
                cand[ncand].links = 0;
                cand[ncand].support_kinds = 0;
                cand[ncand].why = i;
                ncand++;
            }
            if (mode == RIP_LINK_LINK) {
                if (!cand[c].links)
                    cand[c].why = i;
                cand[c].links++;
            } else {
                cand[c].support_kinds |= 1u << e->kind;
            }
        }
    }
    /* Keep the qualifying ones, lowest id first (ids came sorted per
     * entity, not overall). */
    size_t nq = 0;
    for (size_t c = 0; c < ncand; c++)
        if (cand[c].links > 0 || popcount(cand[c].support_kinds) >= 2)
            cand[nq++] = cand[c];
    for (size_t a = 1; a < nq; a++)
        for (size_t b = a; b > 0 && cand[b - 1].id > cand[b].id; b--) {
            candidate tmp = cand[b];
            cand[b] = cand[b - 1];
            cand[b - 1] = tmp;
        }

    if (nq > 0) {
        const rip_entity *e = &f->entities.v[cand[0].why];
        rc = rip_buf_addf(&why, "%s %s", rip_entity_kind_name(e->kind), e->value);
        if (rc)
            goto out;
    }
    int64_t inc;
    if (nq == 0) {
        rip_store_incident_new n = {
            .title = f->title, .severity = f->severity, .first_seen_ns = t, .last_seen_ns = t,
            .now_ns = now,
        };
        rc = rip_store_incident_create(st, &n, &inc);
        if (rc)
            goto out;
        res->incident_new = 1;
    } else {
        inc = cand[0].id;
        for (size_t c = 1; c < nq; c++) {
            rc = merge(st, inc, cand[c].id, now, why.len ? why.ptr : "an entity");
            if (rc)
                goto out;
            res->merged++;
        }
        head h;
        rc = read_head(st, inc, &h);
        if (rc)
            goto out;
        rip_store_incident_set set = { .now_ns = now };
        if (t < h.first_ns)
            set.first_seen_ns = t;
        if (t > h.last_ns)
            set.last_seen_ns = t;
        if (rip_severity_rank(f->severity) > rip_severity_rank(h.severity)) {
            set.severity = f->severity;
            set.title = f->title;
        }
        rc = rip_store_incident_update(st, inc, &set);
        if (rc)
            goto out;
    }
    res->incident_id = inc;
    rc = rip_store_incident_add_finding(st, inc, fid, now);
    for (size_t i = 0; rc == 0 && i < f->entities.n; i++)
        rc = rip_store_incident_add_entity(st, inc, rip_entity_kind_name(f->entities.v[i].kind),
                                           f->entities.v[i].value, t);
    if (rc)
        goto out;

    rip_jw_init(&w, &detail);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "finding_id");
    rip_jw_i64(&w, fid);
    rip_jw_key(&w, "rule_id");
    rip_jw_str(&w, f->rule_id);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, f->severity);
    rip_jw_key(&w, "recorded_ns");
    rip_jw_i64(&w, now);
    if (!res->incident_new && why.len) {
        rip_jw_key(&w, "shared");
        rip_jw_str(&w, why.ptr);
    }
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    if (rc == 0)
        rc = rip_buf_addf(&text, "%s finding %" PRId64 " (%s): %s", 
                          res->incident_new ? "opened with" : "added", fid, f->severity,
                          f->title);
    if (rc == 0 && !res->incident_new && why.len)
        rc = rip_buf_addf(&text, "; shared %s", why.ptr);
    if (rc == 0)
        rc = timeline(st, inc, t, "finding_added", text.ptr, detail.ptr);
out:
    rip_buf_release(&text);
    rip_buf_release(&detail);
    rip_buf_release(&why);
    return rc;
}
