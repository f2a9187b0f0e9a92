/* apply.c — CloudTrail events applied to the inventory. See apply.h.
 *
 * A table maps an event name to a handler. A handler reads what the event
 * says (requestParameters, responseElements), loads the assets it names
 * (load()), changes their tags, relations or detail JSON, and puts them
 * back (save()). Detail changes rewrite one member of the stored JSON
 * object at a time (detail_set()), so whatever a snapshot wrote and the
 * event does not speak of is kept.
 *
 * Every string a handler keeps lives in the per-event arena; the event's
 * own strings borrow its document (normalize/event.h) and are copied.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/apply.h"
#include "inventory/asset.h"
#include "util/arena.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

/* Past these an event is not applied (counted as ignored): a security
 * group with more rules, a rule with more ranges, an asset with more
 * relations than any AWS quota allows is not a real one. */
#define MAX_RULES 1024
#define MAX_RANGES 1024
#define MAX_RELS 4096

/* What handlers return besides 0 and RIP_E*: the event did not apply. */
enum { NOT_APPLIED = 1, STALE = 2 };

typedef struct ctx {
    rip_store *st;
    const rip_event *ev;
    rip_json_doc *doc;
    const rip_json_node *req, *resp;
    const char *account, *region, *event_id;
    int64_t time_ns;
    rip_arena arena;
    int changed;               /* assets saved */
    int stale;                 /* assets skipped as older */
} ctx;

/* One asset as loaded and as it will be saved. */
typedef struct cur {
    const char *type, *id;
    bool found;
    const char *region, *arn, *name, *tags, *detail;
    int64_t updated_ns;
    rip_store_asset_rel *rels;
    size_t nrels, caprels;
} cur;

/* ---- strings out of the event ---- */

static const char *dup_slice(ctx *c, rip_slice s)
{
    return s.ptr ? rip_arena_strndup(&c->arena, s.ptr, s.len) : NULL;
}

/* The string at a dotted path under n, copied; NULL when absent, not a
 * string or empty. */
static const char *str_at(ctx *c, const rip_json_node *n, const char *path)
{
    const rip_json_node *v = path ? rip_json_path(n, path) : n;
    if (!rip_json_is(v, RIP_JSON_STRING) || v->len == 0)
        return NULL;
    return dup_slice(c, rip_json_str(c->doc, v));
}

/* Array elements of "x.items" as CloudTrail writes EC2 lists; a lone
 * object is a list of one. */
static const rip_json_node *items(const rip_json_node *n, const char *path)
{
    const rip_json_node *v = rip_json_path(n, path);
    const rip_json_node *it = rip_json_get(v, "items");
    return it ? it : v;
}

/* The elements of a list node: an array's, or a lone object as a list of
 * one. */
static const rip_json_node *first_item(const rip_json_node *l)
{
    if (rip_json_is(l, RIP_JSON_ARRAY))
        return l->skip > 1 ? l + 1 : NULL;
    return rip_json_is(l, RIP_JSON_OBJECT) ? l : NULL;
}

static const rip_json_node *next_item(const rip_json_node *l, const rip_json_node *e)
{
    if (!rip_json_is(l, RIP_JSON_ARRAY) || e + e->skip >= l + l->skip)
        return NULL;
    return e + e->skip;
}

#define EACH_ITEM(e, list)                                                    \
    for (const rip_json_node *e##_l = (list), *e = first_item(e##_l); e;      \
         e = next_item(e##_l, e))

/* A JSON boolean, or the strings "true"/"false" (CloudTrail writes both). */
static int bool_at(const rip_json_node *n, const char *key)
{
    const rip_json_node *v = rip_json_get(n, key);
    if (!v)
        return -1;
    if (v->type == RIP_JSON_TRUE || v->type == RIP_JSON_FALSE)
        return v->type == RIP_JSON_TRUE;
    if (v->type == RIP_JSON_STRING)
        return rip_json_str_eq(v, "true") ? 1 : rip_json_str_eq(v, "false") ? 0 : -1;
    return -1;
}

/* ---- loading and saving assets ---- */

typedef struct load_ud {
    ctx *c;
    cur *a;
} load_ud;

static const char *adup(ctx *c, const char *s)
{
    return s ? rip_arena_strndup(&c->arena, s, strlen(s)) : NULL;
}

static int on_row(void *ud, const rip_store_asset_row *r)
{
    load_ud *l = ud;
    cur *a = l->a;
    ctx *c = l->c;
    if (a->found)
        return 0;   /* one per (account, type, id): the unique key */
    a->found = true;
    a->region = adup(c, r->region);
    a->arn = adup(c, r->arn);
    a->name = adup(c, r->name);
    a->tags = adup(c, r->tags);
    a->detail = adup(c, r->detail);
    a->updated_ns = r->updated_ns;
    a->caprels = r->nrels + 8;
    a->rels = rip_arena_calloc(&c->arena, a->caprels, sizeof(*a->rels));
    if (!a->rels)
        return RIP_ENOMEM;
    for (size_t i = 0; i < r->nrels; i++) {
        a->rels[i].target_type = adup(c, r->rels[i].target_type);
        a->rels[i].target_id = adup(c, r->rels[i].target_id);
        if (!a->rels[i].target_type || !a->rels[i].target_id)
            return RIP_ENOMEM;
    }
    a->nrels = r->nrels;
    return 0;
}

/* Loads asset (type, id) of the event's account into *a (found or not).
 * Returns 0, STALE when the stored asset is newer than the event, or
 * RIP_E*. */
static int load(ctx *c, const char *type, const char *id, cur *a)
{
    memset(a, 0, sizeof(*a));
    a->type = type;
    a->id = id;
    rip_store_asset_filter f = { .type = type, .resource_id = id, .account = c->account };
    load_ud l = { c, a };
    int rc = rip_store_list_assets(c->st, &f, on_row, &l);
    if (rc < 0)
        return rc;
    if (a->found && a->updated_ns > c->time_ns) {
        c->stale++;
        return STALE;
    }
    return 0;
}

static int add_rel(ctx *c, cur *a, const char *type, const char *id)
{
    if (!type || !id || !*id)
        return 0;
    for (size_t i = 0; i < a->nrels; i++)
        if (!strcmp(a->rels[i].target_type, type) && !strcmp(a->rels[i].target_id, id))
            return 0;
    if (a->nrels >= MAX_RELS)
        return RIP_ELIMIT;
    if (a->nrels == a->caprels) {
        size_t ncap = a->caprels ? a->caprels * 2 : 8;
        rip_store_asset_rel *n = rip_arena_calloc(&c->arena, ncap, sizeof(*n));
        if (!n)
            return RIP_ENOMEM;
        if (a->nrels)
            memcpy(n, a->rels, a->nrels * sizeof(*n));
        a->rels = n;
        a->caprels = ncap;
    }
    a->rels[a->nrels].target_type = type;
    a->rels[a->nrels].target_id = id;
    a->nrels++;
    return 0;
}

static int save(ctx *c, cur *a)
{
    rip_store_asset sa = {
        .cloud = "aws", .account = c->account,
        .region = a->region ? a->region : c->region,
        .type = a->type, .resource_id = a->id, .arn = a->arn, .name = a->name,
        .tags = a->tags ? a->tags : "{}", .detail = a->detail, .updated_ns = c->time_ns,
        .rels = a->rels, .nrels = a->nrels,
        .last_event_id = c->event_id, .last_event_ns = c->time_ns,
    };
    int rc = rip_store_put_asset(c->st, &sa, NULL);
    if (rc == 0)
        c->changed++;
    return rc;
}

/* ---- detail JSON edits ---- */

/* Finishes a writer into an arena copy; NULL on failure. */
static const char *jw_take(ctx *c, rip_jw *w, rip_buf *b)
{
    const char *out = NULL;
    if (rip_jw_finish(w) == 0)
        out = rip_arena_strndup(&c->arena, b->ptr, b->len);
    rip_buf_release(b);
    return out;
}

/* *detail with member key set to the JSON text value (or removed when
 * value is NULL); the other members keep their order. 0 or RIP_E*. */
static int detail_set(ctx *c, const char **detail, const char *key, const char *value)
{
    rip_json_doc d;
    rip_buf b;
    rip_jw w;
    bool done = false;
    rip_json_doc_init(&d, NULL);
    rip_buf_init(&b, 64u << 20);
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    if (*detail && rip_json_parse(&d, *detail, strlen(*detail), NULL) == 0 &&
        rip_json_is(rip_json_root(&d), RIP_JSON_OBJECT)) {
        RIP_JSON_EACH(k, rip_json_root(&d)) {
            rip_slice name = rip_json_str(&d, k);
            bool same = name.len == strlen(key) && !memcmp(name.ptr, key, name.len);
            if (same && (done || !value))
                continue;
            rip_jw_keyn(&w, name.ptr, name.len);
            if (same) {
                rip_jw_raw(&w, value, strlen(value));
                done = true;
            } else {
                rip_jw_node(&w, &d, k + 1);
            }
        }
    }
    if (!done && value) {
        rip_jw_key(&w, key);
        rip_jw_raw(&w, value, strlen(value));
    }
    rip_jw_obj_end(&w);
    const char *out = jw_take(c, &w, &b);
    rip_json_doc_release(&d);
    if (!out)
        return RIP_ENOMEM;
    *detail = out;
    return 0;
}

static int detail_set_str(ctx *c, const char **detail, const char *key, const char *v)
{
    rip_buf b = RIP_BUF_INIT;
    int rc = v ? rip_json_quote(&b, v, strlen(v)) : rip_buf_adds(&b, "null");
    if (rc == 0)
        rc = detail_set(c, detail, key, b.ptr);
    rip_buf_release(&b);
    return rc;
}

static int detail_set_bool(ctx *c, const char **detail, const char *key, int v)
{
    return detail_set(c, detail, key, v < 0 ? "null" : v ? "true" : "false");
}

/* A member of the stored detail, parsed into d; NULL when absent. */
static const rip_json_node *detail_get(rip_json_doc *d, const char *detail, const char *path)
{
    if (!detail || rip_json_parse(d, detail, strlen(detail), NULL) < 0)
        return NULL;
    return rip_json_path(rip_json_root(d), path);
}

static const char *event_time(ctx *c)
{
    char t[RIP_TIME_FMT_MAX];
    return adup(c, rip_time_format(c->time_ns, t));
}

/* ---- EC2 instances ---- */

static int tags_from_ec2(ctx *c, const rip_json_node *tagset, cur *a)
{
    rip_buf b;
    rip_jw w;
    rip_buf_init(&b, 1u << 20);
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    EACH_ITEM(t, items(tagset, "tagSet")) {
        const char *k = str_at(c, t, "key"), *v = str_at(c, t, "value");
        if (!k)
            continue;
        rip_jw_key(&w, k);
        rip_jw_str(&w, v ? v : "");
        if (!strcmp(k, "Name") && v)
            a->name = v;
    }
    rip_jw_obj_end(&w);
    a->tags = jw_take(c, &w, &b);
    return a->tags ? 0 : RIP_ENOMEM;
}

static int run_instances(ctx *c)
{
    int rc = 0;
    EACH_ITEM(in, items(c->resp, "instancesSet")) {
        const char *id = str_at(c, in, "instanceId");
        cur a;
        if (!id)
            continue;
        if ((rc = load(c, "instance", id, &a)) == STALE)
            continue;
        if (rc < 0)
            return rc;
        char arn[512];
        snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:instance/%s", c->region, c->account, id);
        a.region = c->region;
        a.arn = adup(c, arn);
        a.nrels = 0;
        if ((rc = tags_from_ec2(c, in, &a)) < 0)
            return rc;
        EACH_ITEM(g, items(in, "groupSet"))
            if ((rc = add_rel(c, &a, "security_group", str_at(c, g, "groupId"))) < 0)
                return rc;
        const char *subnet = str_at(c, in, "subnetId"), *vpc = str_at(c, in, "vpcId");
        const char *profile = str_at(c, in, "iamInstanceProfile.arn");
        if ((rc = add_rel(c, &a, "subnet", subnet)) < 0 || (rc = add_rel(c, &a, "vpc", vpc)) < 0 ||
            (rc = add_rel(c, &a, "instance_profile", profile)) < 0)
            return rc;

        rip_buf b;
        rip_jw w;
        rip_buf_init(&b, 16u << 20);
        rip_jw_init(&w, &b);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "state");
        rip_jw_str(&w, str_at(c, in, "instanceState.name"));
        rip_jw_key(&w, "instance_type");
        rip_jw_str(&w, str_at(c, in, "instanceType"));
        rip_jw_key(&w, "image_id");
        rip_jw_str(&w, str_at(c, in, "imageId"));
        rip_jw_key(&w, "launch_time");
        rip_jw_str(&w, event_time(c));
        rip_jw_key(&w, "availability_zone");
        rip_jw_str(&w, str_at(c, in, "placement.availabilityZone"));
        rip_jw_key(&w, "private_ip");
        rip_jw_str(&w, str_at(c, in, "privateIpAddress"));
        rip_jw_key(&w, "public_ip");
        rip_jw_str(&w, str_at(c, in, "ipAddress"));
        rip_jw_key(&w, "key_name");
        rip_jw_str(&w, str_at(c, in, "keyName"));
        rip_jw_key(&w, "subnet_id");
        rip_jw_str(&w, subnet);
        rip_jw_key(&w, "vpc_id");
        rip_jw_str(&w, vpc);
        rip_jw_key(&w, "instance_profile");
        rip_jw_str(&w, profile);
        rip_jw_key(&w, "security_groups");
        rip_jw_arr_begin(&w);
        EACH_ITEM(g, items(in, "groupSet")) {
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "id");
            rip_jw_str(&w, str_at(c, g, "groupId"));
            rip_jw_key(&w, "name");
            rip_jw_str(&w, str_at(c, g, "groupName"));
            rip_jw_obj_end(&w);
        }
        rip_jw_arr_end(&w);
        rip_jw_key(&w, "volumes");
        rip_jw_arr_begin(&w);
        rip_jw_arr_end(&w);
        rip_jw_obj_end(&w);
        if (!(a.detail = jw_take(c, &w, &b)))
            return RIP_ENOMEM;
        if ((rc = save(c, &a)) < 0)
            return rc;
    }
    return 0;
}

/* Start, Stop, Terminate: the new state of instances riposte knows. */
static int instance_state(ctx *c)
{
    int rc = 0;
    EACH_ITEM(in, items(c->resp, "instancesSet")) {
        const char *id = str_at(c, in, "instanceId");
        const char *state = str_at(c, in, "currentState.name");
        cur a;
        if (!id || !state)
            continue;
        if ((rc = load(c, "instance", id, &a)) == STALE || (rc == 0 && !a.found))
            continue;
        if (rc < 0 || (rc = detail_set_str(c, &a.detail, "state", state)) < 0 ||
            (rc = save(c, &a)) < 0)
            return rc;
    }
    return 0;
}

/* ---- security group rules ---- */

typedef struct strv {
    const char **v;
    size_t n, cap;
} strv;

typedef struct rule {
    const char *proto;
    bool has_from, has_to;
    int64_t from, to;
    strv cidrs, v6, groups;
} rule;

typedef struct rules {
    rule *v;
    size_t n, cap;
} rules;

static int strv_add(ctx *c, strv *s, const char *x)
{
    if (!x)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x))
            return 0;
    if (s->n >= MAX_RANGES)
        return RIP_ELIMIT;
    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        const char **n = rip_arena_alloc(&c->arena, ncap * sizeof(*n));
        if (!n)
            return RIP_ENOMEM;
        if (s->n)
            memcpy(n, s->v, s->n * sizeof(*n));
        s->v = n;
        s->cap = ncap;
    }
    s->v[s->n++] = x;
    return 0;
}

static void strv_del(strv *s, const char *x)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], x)) {
            memmove(&s->v[i], &s->v[i + 1], (s->n - i - 1) * sizeof(*s->v));
            s->n--;
            return;
        }
}

static rule *rules_add(ctx *c, rules *r)
{
    if (r->n >= MAX_RULES)
        return NULL;
    if (r->n == r->cap) {
        size_t ncap = r->cap ? r->cap * 2 : 8;
        rule *n = rip_arena_calloc(&c->arena, ncap, sizeof(*n));
        if (!n)
            return NULL;
        if (r->n)
            memcpy(n, r->v, r->n * sizeof(*n));
        r->v = n;
        r->cap = ncap;
    }
    rule *x = &r->v[r->n++];
    memset(x, 0, sizeof(*x));
    return x;
}

static bool same_ports(const rule *a, const rule *b)
{
    return !strcmp(a->proto, b->proto) && a->has_from == b->has_from &&
           a->has_to == b->has_to && (!a->has_from || a->from == b->from) &&
           (!a->has_to || a->to == b->to);
}

static void int_at(const rip_json_node *n, const char *key, bool *has, int64_t *v)
{
    const rip_json_node *x = rip_json_get(n, key);
    *has = x && x->type == RIP_JSON_NUMBER && rip_json_i64(x, v) == 0;
}

/* Rules as stored in the detail by the snapshot (inventory-aws.c
 * sg_rule()): {protocol, from_port, to_port, cidrs, ipv6_cidrs, groups}. */
static int rules_from_detail(ctx *c, rip_json_doc *d, const rip_json_node *arr, rules *out)
{
    if (!rip_json_is(arr, RIP_JSON_ARRAY))
        return 0;
    RIP_JSON_EACH(e, arr) {
        rule *r = rules_add(c, out);
        if (!r)
            return RIP_ELIMIT;
        const rip_json_node *p = rip_json_get(e, "protocol");
        r->proto = rip_json_is(p, RIP_JSON_STRING) ? dup_slice(c, rip_json_str(d, p)) : "-1";
        if (!r->proto)
            return RIP_ENOMEM;
        int_at(e, "from_port", &r->has_from, &r->from);
        int_at(e, "to_port", &r->has_to, &r->to);
        static const char *const keys[] = { "cidrs", "ipv6_cidrs", "groups" };
        strv *lists[] = { &r->cidrs, &r->v6, &r->groups };
        for (int k = 0; k < 3; k++) {
            const rip_json_node *l = rip_json_get(e, keys[k]);
            if (!rip_json_is(l, RIP_JSON_ARRAY))
                continue;
            RIP_JSON_EACH(x, l) {
                int rc = rip_json_is(x, RIP_JSON_STRING)
                             ? strv_add(c, lists[k], dup_slice(c, rip_json_str(d, x))) : 0;
                if (rc < 0)
                    return rc;
            }
        }
    }
    return 0;
}

static int rule_ranges(ctx *c, const rip_json_node *p, rule *r)
{
    int rc = 0;
    EACH_ITEM(x, items(p, "ipRanges"))
        if ((rc = strv_add(c, &r->cidrs, str_at(c, x, "cidrIp"))) < 0)
            return rc;
    EACH_ITEM(x, items(p, "ipv6Ranges"))
        if ((rc = strv_add(c, &r->v6, str_at(c, x, "cidrIpv6"))) < 0)
            return rc;
    EACH_ITEM(x, items(p, "groups"))
        if ((rc = strv_add(c, &r->groups, str_at(c, x, "groupId"))) < 0)
            return rc;
    return 0;
}

static int rule_head(ctx *c, const rip_json_node *p, rule *r)
{
    const rip_json_node *proto = rip_json_get(p, "ipProtocol");
    if (rip_json_is(proto, RIP_JSON_NUMBER))
        r->proto = dup_slice(c, (rip_slice){ proto->ptr, proto->len });
    else
        r->proto = str_at(c, p, "ipProtocol");
    if (!r->proto)
        r->proto = "-1";
    if (!strcmp(r->proto, "-1") || !strcmp(r->proto, "all"))
        r->proto = "-1";
    else {
        int_at(p, "fromPort", &r->has_from, &r->from);
        int_at(p, "toPort", &r->has_to, &r->to);
    }
    return 0;
}

/* The rules an Authorize/Revoke event names: ipPermissions.items, or the
 * flat form (ipProtocol, fromPort, toPort, cidrIp / cidrIpv6 /
 * sourceSecurityGroupId at the top of requestParameters). */
static int rules_from_event(ctx *c, rules *out)
{
    int rc;
    EACH_ITEM(p, items(c->req, "ipPermissions")) {
        if (!rip_json_get(p, "ipProtocol"))
            continue;
        rule *r = rules_add(c, out);
        if (!r)
            return RIP_ELIMIT;
        if ((rc = rule_head(c, p, r)) < 0 || (rc = rule_ranges(c, p, r)) < 0)
            return rc;
    }
    if (out->n == 0 && rip_json_get(c->req, "ipProtocol")) {
        rule *r = rules_add(c, out);
        if (!r)
            return RIP_ELIMIT;
        if ((rc = rule_head(c, c->req, r)) < 0 ||
            (rc = strv_add(c, &r->cidrs, str_at(c, c->req, "cidrIp"))) < 0 ||
            (rc = strv_add(c, &r->v6, str_at(c, c->req, "cidrIpv6"))) < 0 ||
            (rc = strv_add(c, &r->groups, str_at(c, c->req, "sourceSecurityGroupId"))) < 0)
            return rc;
    }
    return 0;
}

static bool rule_world(const rule *r)
{
    for (size_t i = 0; i < r->cidrs.n; i++)
        if (rip_asset_cidr_world(r->cidrs.v[i]))
            return true;
    for (size_t i = 0; i < r->v6.n; i++)
        if (rip_asset_cidr_world(r->v6.v[i]))
            return true;
    return false;
}

static const char *rules_json(ctx *c, const rules *rs, bool *world)
{
    rip_buf b;
    rip_jw w;
    rip_buf_init(&b, 16u << 20);
    rip_jw_init(&w, &b);
    rip_jw_arr_begin(&w);
    *world = false;
    for (size_t i = 0; i < rs->n; i++) {
        const rule *r = &rs->v[i];
        bool open = rule_world(r);
        *world |= open;
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "protocol");
        rip_jw_str(&w, r->proto);
        rip_jw_key(&w, "from_port");
        if (r->has_from)
            rip_jw_i64(&w, r->from);
        else
            rip_jw_null(&w);
        rip_jw_key(&w, "to_port");
        if (r->has_to)
            rip_jw_i64(&w, r->to);
        else
            rip_jw_null(&w);
        static const char *const keys[] = { "cidrs", "ipv6_cidrs", "groups" };
        const strv *lists[] = { &r->cidrs, &r->v6, &r->groups };
        for (int k = 0; k < 3; k++) {
            rip_jw_key(&w, keys[k]);
            rip_jw_arr_begin(&w);
            for (size_t j = 0; j < lists[k]->n; j++)
                rip_jw_str(&w, lists[k]->v[j]);
            rip_jw_arr_end(&w);
        }
        rip_jw_key(&w, "open_to_world");
        rip_jw_bool(&w, open);
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    return jw_take(c, &w, &b);
}

static int sg_rules(ctx *c, const char *list, bool authorize)
{
    const char *id = str_at(c, c->req, "groupId");
    rules have = { 0 }, ev = { 0 };
    rip_json_doc d;
    cur a;
    bool world = false;
    int rc;
    if (!id)
        return NOT_APPLIED;
    if ((rc = load(c, "security_group", id, &a)) != 0)
        return rc;
    if ((rc = rules_from_event(c, &ev)) < 0)
        return rc;
    if (ev.n == 0)
        return NOT_APPLIED;
    rip_json_doc_init(&d, NULL);
    rc = rules_from_detail(c, &d, detail_get(&d, a.detail, list), &have);
    rip_json_doc_release(&d);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < ev.n; i++) {
        rule *e = &ev.v[i], *r = NULL;
        for (size_t k = 0; k < have.n && !r; k++)
            if (same_ports(&have.v[k], e))
                r = &have.v[k];
        if (authorize) {
            if (!r) {
                if (!(r = rules_add(c, &have)))
                    return RIP_ELIMIT;
                *r = *e;
                continue;
            }
            for (size_t j = 0; j < e->cidrs.n && rc == 0; j++)
                rc = strv_add(c, &r->cidrs, e->cidrs.v[j]);
            for (size_t j = 0; j < e->v6.n && rc == 0; j++)
                rc = strv_add(c, &r->v6, e->v6.v[j]);
            for (size_t j = 0; j < e->groups.n && rc == 0; j++)
                rc = strv_add(c, &r->groups, e->groups.v[j]);
            if (rc < 0)
                return rc;
        } else if (r) {
            for (size_t j = 0; j < e->cidrs.n; j++)
                strv_del(&r->cidrs, e->cidrs.v[j]);
            for (size_t j = 0; j < e->v6.n; j++)
                strv_del(&r->v6, e->v6.v[j]);
            for (size_t j = 0; j < e->groups.n; j++)
                strv_del(&r->groups, e->groups.v[j]);
            if (!r->cidrs.n && !r->v6.n && !r->groups.n) {
                size_t k = (size_t)(r - have.v);
                memmove(&have.v[k], &have.v[k + 1], (have.n - k - 1) * sizeof(*have.v));
                have.n--;
            }
        }
    }
    const char *json = rules_json(c, &have, &world);
    if (!json)
        return RIP_ENOMEM;
    if (!a.found) {
        char arn[512];
        snprintf(arn, sizeof(arn), "arn:aws:ec2:%s:%s:security-group/%s", c->region,
                 c->account, id);
        a.region = c->region;
        a.arn = adup(c, arn);
    }
    if ((rc = detail_set(c, &a.detail, list, json)) < 0)
        return rc;
    if (!strcmp(list, "ingress") && (rc = detail_set_bool(c, &a.detail, "open_to_world", world)) < 0)
        return rc;
    return save(c, &a);
}

static int sg_authorize_in(ctx *c) { return sg_rules(c, "ingress", true); }
static int sg_revoke_in(ctx *c) { return sg_rules(c, "ingress", false); }
static int sg_authorize_out(ctx *c) { return sg_rules(c, "egress", true); }
static int sg_revoke_out(ctx *c) { return sg_rules(c, "egress", false); }

/* ---- IAM users and access keys ---- */

static int create_user(ctx *c)
{
    const char *name = str_at(c, c->resp, "user.userName");
    cur a;
    int rc;
    if (!name)
        name = str_at(c, c->req, "userName");
    if (!name)
        return NOT_APPLIED;
    if ((rc = load(c, "user", name, &a)) != 0)
        return rc;
    a.region = "global";
    a.name = name;
    a.arn = str_at(c, c->resp, "user.arn");
    if ((rc = detail_set_str(c, &a.detail, "user_id", str_at(c, c->resp, "user.userId"))) < 0 ||
        (rc = detail_set_str(c, &a.detail, "path", str_at(c, c->resp, "user.path"))) < 0 ||
        (rc = detail_set_str(c, &a.detail, "create_date", event_time(c))) < 0)
        return rc;
    return save(c, &a);
}

static int delete_of(ctx *c, const char *type, const char *id)
{
    cur a;
    int removed = 0, rc;
    if (!id)
        return NOT_APPLIED;
    if ((rc = load(c, type, id, &a)) != 0)
        return rc;
    if (!a.found)
        return NOT_APPLIED;
    if ((rc = rip_store_delete_asset(c->st, "aws", c->account, type, id, &removed)) < 0)
        return rc;
    c->changed += removed;
    return 0;
}

static int delete_user(ctx *c)
{
    return delete_of(c, "user", str_at(c, c->req, "userName"));
}

static int create_key(ctx *c)
{
    const char *id = str_at(c, c->resp, "accessKey.accessKeyId");
    const char *user = str_at(c, c->resp, "accessKey.userName");
    cur k, u;
    int rc;
    if (!user)
        user = str_at(c, c->req, "userName");
    if (!id || !user)
        return NOT_APPLIED;
    if ((rc = load(c, "access_key", id, &k)) < 0)
        return rc;
    if (rc == 0) {
        k.region = "global";
        k.name = user;
        if ((rc = add_rel(c, &k, "user", user)) < 0 ||
            (rc = detail_set_str(c, &k.detail, "user", user)) < 0 ||
            (rc = detail_set_str(c, &k.detail, "status",
                                 str_at(c, c->resp, "accessKey.status"))) < 0 ||
            (rc = detail_set_str(c, &k.detail, "create_date", event_time(c))) < 0 ||
            (rc = detail_set(c, &k.detail, "last_used", "null")) < 0 || (rc = save(c, &k)) < 0)
            return rc;
    }
    if ((rc = load(c, "user", user, &u)) < 0)
        return rc;
    if (rc == 0 && u.found && ((rc = add_rel(c, &u, "access_key", id)) < 0 || (rc = save(c, &u)) < 0))
        return rc;
    return 0;
}

static int update_key(ctx *c)
{
    const char *id = str_at(c, c->req, "accessKeyId");
    const char *status = str_at(c, c->req, "status");
    const char *user = str_at(c, c->req, "userName");
    cur k;
    int rc;
    if (!id || !status)
        return NOT_APPLIED;
    if ((rc = load(c, "access_key", id, &k)) != 0)
        return rc;
    if (!k.found) {
        /* A key of the caller itself (no userName) is not known by name. */
        if (!user)
            return NOT_APPLIED;
        k.region = "global";
        k.name = user;
        if ((rc = add_rel(c, &k, "user", user)) < 0 ||
            (rc = detail_set_str(c, &k.detail, "user", user)) < 0)
            return rc;
    }
    if ((rc = detail_set_str(c, &k.detail, "status", status)) < 0)
        return rc;
    return save(c, &k);
}

static int delete_key(ctx *c)
{
    return delete_of(c, "access_key", str_at(c, c->req, "accessKeyId"));
}

/* ---- S3 buckets ---- */

/* Recomputes "public" and "blocks_public_access" from the members the
 * snapshot writes: acl_public, public_access_block, policy.public. */
static int bucket_public(ctx *c, const char **detail)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    const rip_json_node *root = NULL;
    if (*detail && rip_json_parse(&d, *detail, strlen(*detail), NULL) == 0)
        root = rip_json_root(&d);
    const rip_json_node *pab = rip_json_get(root, "public_access_block");
    bool acl = rip_json_is(rip_json_get(root, "acl_public"), RIP_JSON_TRUE);
    bool pol = rip_json_is(rip_json_path(root, "policy.public"), RIP_JSON_TRUE);
    bool ignore = rip_json_is(rip_json_get(pab, "ignore_public_acls"), RIP_JSON_TRUE);
    bool restrict_ = rip_json_is(rip_json_get(pab, "restrict_public_buckets"), RIP_JSON_TRUE);
    bool all = rip_json_is(pab, RIP_JSON_OBJECT);
    static const char *const f[] = { "block_public_acls", "ignore_public_acls",
                                     "block_public_policy", "restrict_public_buckets" };
    for (int i = 0; i < 4 && all; i++)
        all = rip_json_is(rip_json_get(pab, f[i]), RIP_JSON_TRUE);
    rip_json_doc_release(&d);
    int rc = detail_set_bool(c, detail, "blocks_public_access", all);
    if (rc == 0)
        rc = detail_set_bool(c, detail, "public", (acl && !ignore) || (pol && !restrict_));
    return rc;
}

/* Loads the bucket named in requestParameters.bucketName; a bucket riposte
 * has not seen is started (the event proves it exists). */
static int load_bucket(ctx *c, cur *a)
{
    const char *name = str_at(c, c->req, "bucketName");
    int rc;
    if (!name)
        return NOT_APPLIED;
    if ((rc = load(c, "bucket", name, a)) != 0)
        return rc;
    if (!a->found) {
        char arn[512];
        snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", name);
        a->region = c->region;
        a->name = name;
        a->arn = adup(c, arn);
    }
    return 0;
}

static bool grantee_public(const char *uri)
{
    return uri && (strstr(uri, "/global/AllUsers") || strstr(uri, "/global/AuthenticatedUsers"));
}

static int put_bucket_acl(ctx *c)
{
    cur a;
    int rc, pub = -1;
    const char *grants = NULL;
    const rip_json_node *canned = rip_json_get(c->req, "x-amz-acl");
    if (rip_json_is(canned, RIP_JSON_ARRAY))
        canned = first_item(canned);
    const char *acl = str_at(c, canned, NULL);
    if (acl)
        pub = !strcmp(acl, "public-read") || !strcmp(acl, "public-read-write") ||
              !strcmp(acl, "authenticated-read");
    const rip_json_node *list = rip_json_path(c->req, "AccessControlPolicy.AccessControlList");
    if (list) {
        rip_buf b;
        rip_jw w;
        rip_buf_init(&b, 16u << 20);
        rip_jw_init(&w, &b);
        rip_jw_arr_begin(&w);
        pub = 0;
        EACH_ITEM(g, rip_json_get(list, "Grant")) {
            const char *uri = str_at(c, g, "Grantee.URI");
            const char *gid = str_at(c, g, "Grantee.ID");
            pub |= grantee_public(uri);
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "grantee");
            rip_jw_str(&w, uri ? uri : gid);
            rip_jw_key(&w, "permission");
            rip_jw_str(&w, str_at(c, g, "Permission"));
            rip_jw_obj_end(&w);
        }
        rip_jw_arr_end(&w);
        if (!(grants = jw_take(c, &w, &b)))
            return RIP_ENOMEM;
    }
    if (pub < 0)
        return NOT_APPLIED;
    if ((rc = load_bucket(c, &a)) != 0)
        return rc;
    if (grants && (rc = detail_set(c, &a.detail, "acl_grants", grants)) < 0)
        return rc;
    if ((rc = detail_set_bool(c, &a.detail, "acl_public", pub)) < 0 ||
        (rc = bucket_public(c, &a.detail)) < 0)
        return rc;
    return save(c, &a);
}

static int put_public_access_block(ctx *c)
{
    static const char *const f[] = { "BlockPublicAcls", "IgnorePublicAcls",
                                     "BlockPublicPolicy", "RestrictPublicBuckets" };
    static const char *const k[] = { "block_public_acls", "ignore_public_acls",
                                     "block_public_policy", "restrict_public_buckets" };
    const rip_json_node *cfg = rip_json_get(c->req, "PublicAccessBlockConfiguration");
    cur a;
    int rc;
    if (!rip_json_is(cfg, RIP_JSON_OBJECT))
        return NOT_APPLIED;
    if ((rc = load_bucket(c, &a)) != 0)
        return rc;
    char json[256];
    size_t n = 0;
    json[n++] = '{';
    for (int i = 0; i < 4; i++)
        n += (size_t)snprintf(json + n, sizeof(json) - n, "%s\"%s\":%s", i ? "," : "", k[i],
                              bool_at(cfg, f[i]) == 1 ? "true" : "false");
    snprintf(json + n, sizeof(json) - n, "}");
    if ((rc = detail_set(c, &a.detail, "public_access_block", json)) < 0 ||
        (rc = bucket_public(c, &a.detail)) < 0)
        return rc;
    return save(c, &a);
}

static int delete_public_access_block(ctx *c)
{
    cur a;
    int rc;
    if ((rc = load_bucket(c, &a)) != 0)
        return rc;
    if ((rc = detail_set(c, &a.detail, "public_access_block", "null")) < 0 ||
        (rc = bucket_public(c, &a.detail)) < 0)
        return rc;
    return save(c, &a);
}

static int bucket_policy_to(ctx *c, bool exists, int pub)
{
    cur a;
    int rc;
    char json[96];
    if ((rc = load_bucket(c, &a)) != 0)
        return rc;
    snprintf(json, sizeof(json), "{\"exists\":%s,\"public\":%s,\"source\":%s}",
             exists ? "true" : "false", pub > 0 ? "true" : "false",
             exists ? "\"riposte\"" : "null");
    if ((rc = detail_set(c, &a.detail, "policy", json)) < 0 ||
        (rc = bucket_public(c, &a.detail)) < 0)
        return rc;
    return save(c, &a);
}

static int put_bucket_policy(ctx *c)
{
    const rip_json_node *p = rip_json_get(c->req, "bucketPolicy");
    int pub = -1;
    if (rip_json_is(p, RIP_JSON_OBJECT))
        pub = rip_asset_policy_node_public(p);
    else if (rip_json_is(p, RIP_JSON_STRING)) {
        rip_slice s = rip_json_str(c->doc, p);
        pub = s.ptr ? rip_asset_policy_public(s.ptr, s.len) : -1;
    }
    if (pub < 0)
        return NOT_APPLIED;
    return bucket_policy_to(c, true, pub);
}

static int delete_bucket_policy(ctx *c)
{
    return bucket_policy_to(c, false, 0);
}

static int create_bucket(ctx *c)
{
    cur a;
    int rc;
    if ((rc = load_bucket(c, &a)) != 0)
        return rc;
    if (!a.found && ((rc = detail_set(c, &a.detail, "acl_public", "false")) < 0 ||
                     (rc = bucket_public(c, &a.detail)) < 0))
        return rc;
    return save(c, &a);
}

static int delete_bucket(ctx *c)
{
    return delete_of(c, "bucket", str_at(c, c->req, "bucketName"));
}

/* ---- CloudTrail trails ---- */

/* A trail named by name or ARN ("arn:aws:cloudtrail:R:A:trail/NAME"):
 * its name, and its home region when the ARN tells it. */
static const char *trail_name(ctx *c, const char *v, const char **region)
{
    *region = NULL;
    if (!v || strncmp(v, "arn:", 4))
        return v;
    const char *slash = strstr(v, ":trail/");
    if (!slash)
        return NULL;
    const char *r = v;
    for (int i = 0; i < 3 && r; i++) {
        r = strchr(r, ':');
        r = r ? r + 1 : NULL;
    }
    const char *end = r ? strchr(r, ':') : NULL;
    if (r && end && end > r)
        *region = rip_arena_strndup(&c->arena, r, (size_t)(end - r));
    return adup(c, slash + 7);
}

static int load_trail(ctx *c, const char *v, cur *a)
{
    const char *region;
    const char *name = trail_name(c, v, &region);
    int rc;
    if (!name || !*name)
        return NOT_APPLIED;
    if ((rc = load(c, "trail", name, a)) != 0)
        return rc;
    if (!a->found) {
        a->region = region ? region : c->region;
        a->name = name;
        if (v && !strncmp(v, "arn:", 4))
            a->arn = v;
    }
    return 0;
}

static int trail_logging(ctx *c, bool on)
{
    cur a;
    int rc;
    if ((rc = load_trail(c, str_at(c, c->req, "name"), &a)) != 0)
        return rc;
    if ((rc = detail_set_bool(c, &a.detail, "logging", on)) < 0 ||
        (rc = detail_set_str(c, &a.detail, on ? "start_logging_time" : "stop_logging_time",
                             event_time(c))) < 0)
        return rc;
    return save(c, &a);
}

static int stop_logging(ctx *c) { return trail_logging(c, false); }
static int start_logging(ctx *c) { return trail_logging(c, true); }

static int create_trail(ctx *c)
{
    const char *arn = str_at(c, c->resp, "trailARN");
    const char *bucket = str_at(c, c->resp, "s3BucketName");
    cur a;
    int rc;
    if ((rc = load_trail(c, arn ? arn : str_at(c, c->req, "name"), &a)) != 0)
        return rc;
    if (!bucket)
        bucket = str_at(c, c->req, "s3BucketName");
    a.nrels = 0;
    if ((rc = add_rel(c, &a, "bucket", bucket)) < 0 ||
        (rc = detail_set_str(c, &a.detail, "s3_bucket", bucket)) < 0 ||
        (rc = detail_set_bool(c, &a.detail, "multi_region",
                              bool_at(c->resp, "isMultiRegionTrail"))) < 0 ||
        (rc = detail_set_bool(c, &a.detail, "log_file_validation",
                              bool_at(c->resp, "logFileValidationEnabled"))) < 0 ||
        (rc = detail_set_bool(c, &a.detail, "logging", 0)) < 0)
        return rc;
    return save(c, &a);
}

static int delete_trail(ctx *c)
{
    const char *region;
    return delete_of(c, "trail", trail_name(c, str_at(c, c->req, "name"), &region));
}

/* ---- the table ---- */

static const struct {
    const char *action;
    int (*apply)(ctx *c);
} handlers[] = {
    { "RunInstances", run_instances },
    { "StartInstances", instance_state },
    { "StopInstances", instance_state },
    { "TerminateInstances", instance_state },
    { "AuthorizeSecurityGroupIngress", sg_authorize_in },
    { "RevokeSecurityGroupIngress", sg_revoke_in },
    { "AuthorizeSecurityGroupEgress", sg_authorize_out },
    { "RevokeSecurityGroupEgress", sg_revoke_out },
    { "CreateUser", create_user },
    { "DeleteUser", delete_user },
    { "CreateAccessKey", create_key },
    { "UpdateAccessKey", update_key },
    { "DeleteAccessKey", delete_key },
    { "CreateBucket", create_bucket },
    { "DeleteBucket", delete_bucket },
    { "PutBucketAcl", put_bucket_acl },
    { "PutBucketPublicAccessBlock", put_public_access_block },
    { "PutPublicAccessBlock", put_public_access_block },
    { "DeleteBucketPublicAccessBlock", delete_public_access_block },
    { "DeletePublicAccessBlock", delete_public_access_block },
    { "PutBucketPolicy", put_bucket_policy },
    { "DeleteBucketPolicy", delete_bucket_policy },
    { "CreateTrail", create_trail },
    { "DeleteTrail", delete_trail },
    { "StartLogging", start_logging },
    { "StopLogging", stop_logging },
};

#define NHANDLERS (sizeof(handlers) / sizeof(handlers[0]))

static int find(const char *p, size_t len)
{
    for (size_t i = 0; i < NHANDLERS; i++)
        if (strlen(handlers[i].action) == len && !memcmp(handlers[i].action, p, len))
            return (int)i;
    return -1;
}

int rip_inventory_apply_handles(const char *action)
{
    return action && find(action, strlen(action)) >= 0;
}

const char *rip_inventory_apply_actions(void)
{
    return "RunInstances, StartInstances, StopInstances, TerminateInstances, "
           "AuthorizeSecurityGroupIngress, RevokeSecurityGroupIngress, "
           "AuthorizeSecurityGroupEgress, RevokeSecurityGroupEgress, CreateUser, DeleteUser, "
           "CreateAccessKey, UpdateAccessKey, DeleteAccessKey, CreateBucket, DeleteBucket, "
           "PutBucketAcl, PutBucketPublicAccessBlock, PutPublicAccessBlock, "
           "DeleteBucketPublicAccessBlock, DeletePublicAccessBlock, PutBucketPolicy, "
           "DeleteBucketPolicy, CreateTrail, DeleteTrail, StartLogging, StopLogging";
}

int rip_inventory_apply(rip_store *st, const rip_event *ev, rip_inventory_apply_stats *stats)
{
    rip_inventory_apply_stats dummy;
    ctx c = { .st = st, .ev = ev, .doc = ev->doc, .time_ns = ev->time_ns };
    int h, rc;
    if (!stats)
        stats = &dummy;
    if (ev->cloud != RIP_CLOUD_AWS || ev->kind != RIP_EVENT_API_CALL || !ev->raw ||
        ev->action.error_code.ptr || !ev->action.name.ptr || !ev->time_ns ||
        !ev->account.len || !ev->id.len ||
        (h = find(ev->action.name.ptr, ev->action.name.len)) < 0) {
        stats->ignored++;
        return 0;
    }
    rip_arena_init(&c.arena, 64u << 20);
    c.account = dup_slice(&c, ev->account);
    c.region = ev->region.len ? dup_slice(&c, ev->region) : "global";
    c.event_id = dup_slice(&c, ev->id);
    c.req = rip_json_get(ev->raw, "requestParameters");
    c.resp = rip_json_get(ev->raw, "responseElements");
    if (!c.account || !c.region || !c.event_id) {
        rc = RIP_ENOMEM;
        goto out;
    }
    if ((rc = rip_store_begin(st)) < 0)
        goto out;
    rc = handlers[h].apply(&c);
    if (rc < 0 && rc != RIP_ELIMIT) {
        rip_store_rollback(st);
        goto out;
    }
    if (rc < 0 || (rc == NOT_APPLIED && !c.changed)) {
        /* Past a limit or nothing usable in the record: nothing written. */
        rip_store_rollback(st);
        stats->ignored++;
        rc = 0;
        goto out;
    }
    if ((rc = rip_store_commit(st)) < 0) {
        rip_store_rollback(st);
        goto out;
    }
    if (c.changed)
        stats->applied++;
    else if (c.stale)
        stats->stale++;
    else
        stats->ignored++;
    rc = 0;
out:
    rip_arena_release(&c.arena);
    return rc;
}
