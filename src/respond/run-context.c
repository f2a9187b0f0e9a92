/* run-context.c — an incident as a playbook run sees it (run-context.h). */
#include "respond/run-context.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/entity.h"
#include "correlate/incident.h"
#include "normalize/decode.h"
#include "util/err.h"
#include "util/json.h"

#define MAX_TAGS 64
#define NFACTS 6

static int is_provider(const rip_store_finding_row *f)
{
    return f->source && (!strcmp(f->source, "guardduty") || !strcmp(f->source, "securityhub"));
}

/* The rule tags in a finding's detail ({"rule": {"tags": [...]}}), copied
 * into tags (up to max); returns how many. */
static size_t detail_tags(const char *detail, char **tags, size_t max)
{
    size_t n = 0;
    if (!detail)
        return 0;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, detail, strlen(detail), NULL) == 0) {
        const rip_json_node *arr = rip_json_path(rip_json_root(&d), "rule.tags");
        if (arr && rip_json_is(arr, RIP_JSON_ARRAY))
            RIP_JSON_EACH(t, arr) {
                if (n == max || !rip_json_is(t, RIP_JSON_STRING))
                    continue;
                rip_slice s = rip_json_str(&d, t);
                if (s.ptr && (tags[n] = strndup(s.ptr, s.len)))
                    n++;
            }
    }
    rip_json_doc_release(&d);
    return n;
}

/* Does pb's trigger match findings [from, to) of inc? */
static int match_findings(const rip_playbook *pb, const rip_store_incident *inc,
                          const rip_pb_kv *rtags, size_t nrtags, size_t from, size_t to, int *out)
{
    size_t n = to - from;
    const char **types = calloc(n ? n : 1, sizeof(char *));
    const char **rules = calloc(n ? n : 1, sizeof(char *));
    char *tags[MAX_TAGS];
    size_t ntypes = 0, nrules = 0, ntags = 0;
    const char *account = NULL;
    if (!types || !rules) {
        free(types);
        free(rules);
        return RIP_ENOMEM;
    }
    for (size_t i = from; i < to; i++) {
        const rip_store_finding_row *f = &inc->findings[i];
        if (f->rule_id) {
            if (is_provider(f))
                types[ntypes++] = f->rule_id;
            else
                rules[nrules++] = f->rule_id;
        }
        if (!account && f->account)
            account = f->account;
        if (!is_provider(f))
            ntags += detail_tags(f->detail, tags + ntags, MAX_TAGS - ntags);
    }
    rip_pb_subject sub = {
        .finding_types = types,
        .nfinding_types = ntypes,
        .rule_ids = rules,
        .nrule_ids = nrules,
        .tags = (const char *const *)tags,
        .ntags = ntags,
        .severity = rip_severity_rank(inc->row.severity),
        .account = account,
        .resource_tags = rtags,
        .nresource_tags = nrtags,
    };
    *out = rip_playbook_matches(pb, &sub);
    for (size_t i = 0; i < ntags; i++)
        free(tags[i]);
    free(types);
    free(rules);
    return 0;
}

int rip_run_match(const rip_playbook *pb, const rip_store_incident *inc,
                  const rip_incident_tags *tags, rip_run_trigger *out)
{
    memset(out, 0, sizeof(*out));
    rip_pb_kv rtags[RIP_INCIDENT_TAGS_MAX];
    size_t nrtags = 0;
    for (size_t i = 0; tags && i < tags->n; i++)
        rtags[nrtags++] = (rip_pb_kv){ tags->v[i].key, tags->v[i].value, 0 };
    int m = 0, rc = match_findings(pb, inc, rtags, nrtags, 0, inc->nfindings, &m);
    if (rc || !m)
        return rc;
    out->matches = 1;
    /* The oldest finding that matches alone (findings are by time). */
    for (size_t i = 0; i < inc->nfindings; i++) {
        rc = match_findings(pb, inc, rtags, nrtags, i, i + 1, &m);
        if (rc)
            return rc;
        if (m) {
            out->finding_id = inc->findings[i].id;
            out->time_ns = inc->findings[i].time_ns;
            return 0;
        }
    }
    /* Only the findings together match (a selector and a filter met by
     * different findings): the newest one completed the match. */
    if (inc->nfindings) {
        out->finding_id = inc->findings[inc->nfindings - 1].id;
        out->time_ns = inc->findings[inc->nfindings - 1].time_ns;
    }
    return 0;
}

/* "alice" of arn:aws:iam::1:user/alice (or user/path/alice); "" else. */
static void arn_name(const char *arn, const char *kind, char *out, size_t cap)
{
    out[0] = '\0';
    if (!arn || strncmp(arn, "arn:", 4))
        return;
    const char *res = strrchr(arn, ':');
    if (!res)
        return;
    res++;
    size_t kl = strlen(kind);
    if (strncmp(res, kind, kl) || res[kl] != '/')
        return;
    const char *name = res + kl + 1;
    if (!strcmp(kind, "assumed-role")) {
        /* assumed-role/ROLE/SESSION: the role */
        const char *slash = strchr(name, '/');
        size_t n = slash ? (size_t)(slash - name) : strlen(name);
        snprintf(out, cap, "%.*s", (int)n, name);
        return;
    }
    const char *last = strrchr(name, '/');
    snprintf(out, cap, "%s", last ? last + 1 : name);
}

typedef struct facts {
    const rip_store_finding_row *trigger;   /* its events' entities come first */
    rip_entity_set trig_entities;
    char trail[256];
    char target_user[128], new_access_key[32];
    char iam_user[128];        /* userName of an IAMUser actor (GuardDuty has no ARN) */
    char assumed_role[128];    /* userName of an AssumedRole actor: the role */
    char protocol[16], port[16], cidr[64];
    int world;                 /* the permission found is open to the world */
} facts;

static void copy_str(rip_json_doc *d, const rip_json_node *n, char *out, size_t cap)
{
    if (!n)
        return;
    if (rip_json_is(n, RIP_JSON_STRING)) {
        rip_slice s = rip_json_str(d, n);
        if (s.ptr && s.len < cap) {
            memcpy(out, s.ptr, s.len);
            out[s.len] = '\0';
        }
    } else if (rip_json_is(n, RIP_JSON_NUMBER) && n->len < cap) {
        memcpy(out, n->ptr, n->len);
        out[n->len] = '\0';
    }
}

/* A /0 range is the whole internet whatever address it is written with
 * ("208.236.235.254/0" is 0.0.0.0/0 to AWS): written as AWS keeps it. */
static int world_cidr(char *c, size_t cap)
{
    size_t n = strlen(c);
    if (n < 2 || strcmp(c + n - 2, "/0"))
        return 0;
    snprintf(c, cap, "%s", strchr(c, ':') ? "::/0" : "0.0.0.0/0");
    return 1;
}

static void ingress_facts(rip_json_doc *d, const rip_json_node *rp, facts *fx)
{
    /* The flat form: one rule in requestParameters itself. */
    const rip_json_node *proto = rip_json_get(rp, "ipProtocol");
    if (proto && !fx->world) {
        char cidr[64] = "";
        copy_str(d, rip_json_get(rp, "cidrIp"), cidr, sizeof(cidr));
        int world = world_cidr(cidr, sizeof(cidr));
        if (!fx->protocol[0] || world) {
            copy_str(d, proto, fx->protocol, sizeof(fx->protocol));
            copy_str(d, rip_json_get(rp, "fromPort"), fx->port, sizeof(fx->port));
            if (!strcmp(fx->protocol, "-1"))
                snprintf(fx->protocol, sizeof(fx->protocol), "all");
            snprintf(fx->cidr, sizeof(fx->cidr), "%s", cidr);
            fx->world = world;
        }
    }
    const rip_json_node *items = rip_json_path(rp, "ipPermissions.items");
    if (!items || !rip_json_is(items, RIP_JSON_ARRAY))
        return;
    RIP_JSON_EACH(perm, items) {
        char cidr[64] = "";
        int world = 0;
        const rip_json_node *v4 = rip_json_path(perm, "ipRanges.items");
        const rip_json_node *v6 = rip_json_path(perm, "ipv6Ranges.items");
        if (v4 && rip_json_is(v4, RIP_JSON_ARRAY))
            RIP_JSON_EACH(r, v4) {
                char c[64] = "";
                copy_str(d, rip_json_get(r, "cidrIp"), c, sizeof(c));
                int wc = world_cidr(c, sizeof(c));
                if (!cidr[0] || wc)
                    snprintf(cidr, sizeof(cidr), "%s", c);
                world |= wc;
            }
        if (v6 && rip_json_is(v6, RIP_JSON_ARRAY))
            RIP_JSON_EACH(r, v6) {
                char c[64] = "";
                copy_str(d, rip_json_get(r, "cidrIpv6"), c, sizeof(c));
                int wc = world_cidr(c, sizeof(c));
                if (!cidr[0] || (!world && wc))
                    snprintf(cidr, sizeof(cidr), "%s", c);
                world |= wc;
            }
        if (fx->protocol[0] && (fx->world || !world))
            continue;
        fx->protocol[0] = fx->port[0] = '\0';
        copy_str(d, rip_json_get(perm, "ipProtocol"), fx->protocol, sizeof(fx->protocol));
        copy_str(d, rip_json_get(perm, "fromPort"), fx->port, sizeof(fx->port));
        if (!strcmp(fx->protocol, "-1"))
            snprintf(fx->protocol, sizeof(fx->protocol), "all");
        snprintf(fx->cidr, sizeof(fx->cidr), "%s", cidr);
        fx->world = world;
    }
}

static int on_trigger_event(void *ud, const rip_event *ev)
{
    return rip_entities_from_event(ud, ev);
}

/* Is row one of the trigger finding's member events? */
static bool of_trigger(const facts *fx, const rip_store_event_row *row)
{
    const rip_store_finding_row *f = fx->trigger;
    for (size_t i = 0; f && row->provider_id.ptr && i < f->nevents; i++)
        if (strlen(f->event_ids[i]) == row->provider_id.len &&
            !memcmp(f->event_ids[i], row->provider_id.ptr, row->provider_id.len))
            return true;
    return false;
}

static int on_event(void *ud, const rip_store_event_row *row)
{
    facts *fx = ud;
    if (row->raw.ptr && of_trigger(fx, row)) {
        rip_decoder dec;
        rip_decoder_init(&dec, on_trigger_event, NULL, &fx->trig_entities, NULL);
        rip_decode_buffer(&dec, "trigger", row->raw.ptr, row->raw.len);
        rip_decoder_release(&dec);
    }
    if (!fx->iam_user[0] && row->user_name.ptr && row->user_name.len < sizeof(fx->iam_user) &&
        row->actor_type.len == 7 && !memcmp(row->actor_type.ptr, "IAMUser", 7)) {
        memcpy(fx->iam_user, row->user_name.ptr, row->user_name.len);
        fx->iam_user[row->user_name.len] = '\0';
    }
    if (!fx->assumed_role[0] && row->user_name.ptr &&
        row->user_name.len < sizeof(fx->assumed_role) && row->actor_type.len == 11 &&
        !memcmp(row->actor_type.ptr, "AssumedRole", 11)) {
        memcpy(fx->assumed_role, row->user_name.ptr, row->user_name.len);
        fx->assumed_role[row->user_name.len] = '\0';
    }
    if (!row->raw.ptr || !row->action.ptr)
        return 0;
    rip_slice a = row->action;
    int trail_call = (a.len == 11 && !memcmp(a.ptr, "StopLogging", 11)) ||
                     (a.len == 11 && !memcmp(a.ptr, "DeleteTrail", 11)) ||
                     (a.len == 11 && !memcmp(a.ptr, "UpdateTrail", 11));
    int ingress = a.len == 29 && !memcmp(a.ptr, "AuthorizeSecurityGroupIngress", 29);
    int new_key = a.len == 15 && !memcmp(a.ptr, "CreateAccessKey", 15);
    int login = (a.len == 18 && !memcmp(a.ptr, "CreateLoginProfile", 18)) ||
                (a.len == 18 && !memcmp(a.ptr, "UpdateLoginProfile", 18));
    if (!(trail_call && !fx->trail[0]) && !(ingress && !fx->world) &&
        !((new_key || login) && !fx->target_user[0]) && !(new_key && !fx->new_access_key[0]))
        return 0;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, row->raw.ptr, row->raw.len, NULL) == 0) {
        const rip_json_node *rp = rip_json_get(rip_json_root(&d), "requestParameters");
        if (rp && rip_json_is(rp, RIP_JSON_OBJECT)) {
            if (trail_call && !fx->trail[0])
                copy_str(&d, rip_json_get(rp, "name"), fx->trail, sizeof(fx->trail));
            if (ingress)
                ingress_facts(&d, rp, fx);
            if ((new_key || login) && !fx->target_user[0])
                copy_str(&d, rip_json_get(rp, "userName"), fx->target_user,
                         sizeof(fx->target_user));
        }
        if (new_key && !fx->new_access_key[0])
            copy_str(&d, rip_json_path(rip_json_root(&d), "responseElements.accessKey.accessKeyId"),
                     fx->new_access_key, sizeof(fx->new_access_key));
    }
    rip_json_doc_release(&d);
    return 0;
}

int rip_run_context(rip_store *st, const rip_store_incident *inc, const rip_run_trigger *trig,
                    const rip_incident_tags *tags, rip_buf *out)
{
    const rip_store_finding_row *tf = NULL;
    for (size_t i = 0; i < inc->nfindings; i++)
        if (inc->findings[i].id == trig->finding_id)
            tf = &inc->findings[i];
    const char *account = tf ? tf->account : NULL, *region = tf ? tf->region : NULL;
    for (size_t i = 0; i < inc->nfindings && (!account || !region); i++) {
        if (!account)
            account = inc->findings[i].account;
        if (!region)
            region = inc->findings[i].region;
    }
    /* One value per kind: the one seen first. */
    const char *kinds[] = { "access_key", "principal", "role", "instance", "bucket",
                            "security_group", "source_ip" };
    facts fx;
    memset(&fx, 0, sizeof(fx));
    fx.trigger = tf;
    rip_entity_set_init(&fx.trig_entities);
    int rc = rip_store_incident_events(st, inc->row.id, 1, on_event, &fx);
    if (rc) {
        rip_entity_set_release(&fx.trig_entities);
        return rc;
    }
    const rip_store_entity *pick[7] = { 0 };
    const char *tpick[7] = { 0 };
    for (size_t i = 0; i < fx.trig_entities.n; i++)
        for (size_t k = 0; k < 7; k++)
            if (!tpick[k] && !strcmp(rip_entity_kind_name(fx.trig_entities.v[i].kind), kinds[k]))
                tpick[k] = fx.trig_entities.v[i].value;
    for (size_t i = 0; i < inc->nentities; i++) {
        const rip_store_entity *e = &inc->entities[i];
        for (size_t k = 0; k < 7; k++)
            if (!strcmp(e->type, kinds[k]) &&
                (!pick[k] || e->first_seen_ns < pick[k]->first_seen_ns))
                pick[k] = e;
    }
    /* The trigger's own entity first; else the incident's seen first. */
    const char *val[7];
    for (size_t k = 0; k < 7; k++)
        val[k] = tpick[k] ? tpick[k] : pick[k] ? pick[k]->value : NULL;
    char user[256], role[256];
    arn_name(val[1], "user", user, sizeof(user));
    arn_name(val[2], "role", role, sizeof(role));
    if (!role[0])
        arn_name(val[2], "assumed-role", role, sizeof(role));
    if (!role[0])
        arn_name(val[1], "assumed-role", role, sizeof(role));
    if (!user[0] && !val[1])
        snprintf(user, sizeof(user), "%s", fx.iam_user);
    if (!role[0] && !val[2])
        snprintf(role, sizeof(role), "%s", fx.assumed_role);

    rip_jw w;
    char num[32];
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    snprintf(num, sizeof(num), "%" PRId64, inc->row.id);
    rip_jw_key(&w, "id");
    rip_jw_str(&w, num);
    rip_jw_key(&w, "title");
    rip_jw_str(&w, inc->row.title);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, inc->row.severity);
    rip_jw_key(&w, "status");
    rip_jw_str(&w, inc->row.status);
    rip_jw_key(&w, "phase");
    rip_jw_str(&w, inc->row.phase);
    rip_jw_key(&w, "account");
    rip_jw_str(&w, account ? account : "");
    rip_jw_key(&w, "region");
    rip_jw_str(&w, region ? region : "");
    rip_jw_key(&w, "finding_type");
    rip_jw_str(&w, tf && is_provider(tf) && tf->rule_id ? tf->rule_id : "");
    rip_jw_key(&w, "rule_id");
    rip_jw_str(&w, tf && !is_provider(tf) && tf->rule_id ? tf->rule_id : "");
    rip_jw_key(&w, "user_name");
    rip_jw_str(&w, user);
    rip_jw_key(&w, "role_name");
    rip_jw_str(&w, role);
    rip_jw_key(&w, "entities");
    rip_jw_obj_begin(&w);
    for (size_t k = 0; k < 7; k++)
        if (val[k]) {
            rip_jw_key(&w, kinds[k]);
            rip_jw_str(&w, val[k]);
        }
    rip_jw_obj_end(&w);
    rip_jw_key(&w, "facts");
    rip_jw_obj_begin(&w);
    const char *fk[NFACTS] = { "trail", "protocol", "port", "cidr", "target_user",
                               "new_access_key" };
    const char *fv[NFACTS] = { fx.trail, fx.protocol, fx.port, fx.cidr, fx.target_user,
                               fx.new_access_key };
    for (size_t i = 0; i < NFACTS; i++)
        if (fv[i][0]) {
            rip_jw_key(&w, fk[i]);
            rip_jw_str(&w, fv[i]);
        }
    rip_jw_obj_end(&w);
    rip_jw_key(&w, "resource_tags");
    rip_jw_obj_begin(&w);
    for (size_t i = 0; tags && i < tags->n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = !strcmp(tags->v[k].key, tags->v[i].key);
        if (seen)
            continue;   /* the first asset's value of a key */
        rip_jw_key(&w, tags->v[i].key);
        rip_jw_str(&w, tags->v[i].value);
    }
    rip_jw_obj_end(&w);
    rip_jw_key(&w, "trigger");
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "finding");
    rip_jw_i64(&w, trig->finding_id);
    rip_jw_key(&w, "time_ns");
    rip_jw_i64(&w, trig->time_ns);
    rip_jw_key(&w, "source");
    rip_jw_str(&w, tf ? tf->source : "");
    rip_jw_obj_end(&w);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    rip_entity_set_release(&fx.trig_entities);
    return rc;
}
