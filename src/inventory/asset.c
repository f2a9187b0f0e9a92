/* asset.c — the asset model, its storage and its JSON form. See asset.h. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inventory/asset.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

static const struct {
    const char *name;
    bool global;
} types[RIP_ASSET_NTYPES] = {
    [RIP_ASSET_INSTANCE] = { "instance", false },
    [RIP_ASSET_SECURITY_GROUP] = { "security_group", false },
    [RIP_ASSET_SUBNET] = { "subnet", false },
    [RIP_ASSET_VPC] = { "vpc", false },
    [RIP_ASSET_NETWORK_ACL] = { "network_acl", false },
    [RIP_ASSET_USER] = { "user", true },
    [RIP_ASSET_ROLE] = { "role", true },
    [RIP_ASSET_ACCESS_KEY] = { "access_key", true },
    [RIP_ASSET_BUCKET] = { "bucket", true },
    [RIP_ASSET_TRAIL] = { "trail", false },
};

const char *rip_asset_type_name(rip_asset_type t)
{
    return (unsigned)t < RIP_ASSET_NTYPES ? types[t].name : "?";
}

bool rip_asset_type_global(rip_asset_type t)
{
    return (unsigned)t < RIP_ASSET_NTYPES && types[t].global;
}

int rip_asset_type_parse(const char *name, rip_asset_type *out)
{
    for (int i = 0; i < RIP_ASSET_NTYPES; i++)
        if (name && !strcmp(name, types[i].name)) {
            *out = (rip_asset_type)i;
            return 0;
        }
    return RIP_EINVAL;
}

const char *rip_asset_type_names(void)
{
    return "instance, security_group, subnet, vpc, network_acl, user, role, access_key, "
           "bucket, trail";
}

void rip_asset_set_init(rip_asset_set *s, size_t max_assets)
{
    memset(s, 0, sizeof(*s));
    rip_arena_init(&s->arena, 0);
    s->max_assets = max_assets ? max_assets : RIP_ASSET_DEFAULT_MAX;
}

void rip_asset_set_release(rip_asset_set *s)
{
    if (!s)
        return;
    rip_arena_release(&s->arena);
    s->first = s->last = NULL;
    s->n = 0;
}

const char *rip_asset_strdup(rip_asset_set *s, const char *str)
{
    return str ? rip_arena_strndup(&s->arena, str, strlen(str)) : NULL;
}

rip_asset *rip_asset_add(rip_asset_set *s, rip_asset_type type, const char *id,
                         const char *region, int *rc)
{
    if (s->n >= s->max_assets) {
        *rc = RIP_ELIMIT;
        return NULL;
    }
    rip_asset *a = rip_arena_calloc(&s->arena, 1, sizeof(*a));
    if (a) {
        a->type = type;
        a->id = rip_asset_strdup(s, id ? id : "");
        a->region = rip_asset_strdup(s, region ? region : "global");
    }
    if (!a || !a->id || !a->region) {
        *rc = RIP_ENOMEM;
        return NULL;
    }
    if (s->last)
        s->last->next = a;
    else
        s->first = a;
    s->last = a;
    s->n++;
    return a;
}

int rip_asset_add_tag(rip_asset_set *s, rip_asset *a, const char *key, const char *value)
{
    rip_asset_tag *t = rip_arena_calloc(&s->arena, 1, sizeof(*t));
    if (!t)
        return RIP_ENOMEM;
    t->key = rip_asset_strdup(s, key ? key : "");
    t->value = rip_asset_strdup(s, value ? value : "");
    if (!t->key || !t->value)
        return RIP_ENOMEM;
    if (a->tags_last)
        a->tags_last->next = t;
    else
        a->tags = t;
    a->tags_last = t;
    return 0;
}

int rip_asset_add_rel(rip_asset_set *s, rip_asset *a, const char *type, const char *id)
{
    if (!type || !id || !*id)
        return 0;
    for (const rip_asset_rel *r = a->rels; r; r = r->next)
        if (!strcmp(r->type, type) && !strcmp(r->id, id))
            return 0;
    rip_asset_rel *r = rip_arena_calloc(&s->arena, 1, sizeof(*r));
    if (!r)
        return RIP_ENOMEM;
    r->type = rip_asset_strdup(s, type);
    r->id = rip_asset_strdup(s, id);
    if (!r->type || !r->id)
        return RIP_ENOMEM;
    if (a->rels_last)
        a->rels_last->next = r;
    else
        a->rels = r;
    a->rels_last = r;
    a->nrels++;
    return 0;
}

int rip_asset_set_detail(rip_asset_set *s, rip_asset *a, const char *json, size_t len)
{
    char *d = rip_arena_strndup(&s->arena, json, len);
    if (!d)
        return RIP_ENOMEM;
    a->detail = d;
    return 0;
}

/* Whether a principal value is everyone: "*", {"AWS": "*"} or an array
 * holding "*". */
static bool principal_everyone(const rip_json_node *p)
{
    if (!p)
        return false;
    if (p->type == RIP_JSON_STRING)
        return rip_json_str_eq(p, "*");
    if (p->type == RIP_JSON_ARRAY) {
        RIP_JSON_EACH(e, p)
            if (rip_json_is(e, RIP_JSON_STRING) && rip_json_str_eq(e, "*"))
                return true;
        return false;
    }
    return p->type == RIP_JSON_OBJECT && principal_everyone(rip_json_get(p, "AWS"));
}

static bool statement_public(const rip_json_node *st)
{
    const rip_json_node *eff = rip_json_get(st, "Effect");
    return eff && rip_json_str_eq(eff, "Allow") && !rip_json_get(st, "Condition") &&
           principal_everyone(rip_json_get(st, "Principal"));
}

int rip_asset_policy_node_public(const rip_json_node *policy)
{
    const rip_json_node *st = rip_json_get(policy, "Statement");
    int pub = 0;
    if (!rip_json_is(policy, RIP_JSON_OBJECT))
        return -1;
    if (rip_json_is(st, RIP_JSON_OBJECT))
        return statement_public(st);
    if (rip_json_is(st, RIP_JSON_ARRAY)) {
        RIP_JSON_EACH(e, st)
            pub |= statement_public(e);
    }
    return pub;
}

int rip_asset_policy_public(const char *text, size_t len)
{
    rip_json_doc d;
    int pub = -1;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, text, len, NULL) == 0)
        pub = rip_asset_policy_node_public(rip_json_root(&d));
    rip_json_doc_release(&d);
    return pub;
}

bool rip_asset_cidr_world(const char *cidr)
{
    const char *slash = cidr ? strrchr(cidr, '/') : NULL;
    return slash && !strcmp(slash, "/0");
}

static int64_t clock_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Tags as a JSON object (a repeated key keeps its last value's place as
 * written; AWS never repeats one). */
static int tags_json(rip_buf *out, const rip_asset *a)
{
    rip_jw w;
    rip_buf_reset(out);
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    for (const rip_asset_tag *t = a->tags; t; t = t->next) {
        rip_jw_key(&w, t->key);
        rip_jw_str(&w, t->value);
    }
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}

static int put_one(rip_store *st, const rip_asset *a, const char *account, int64_t now,
                   rip_buf *tags, rip_store_asset_rel *rels)
{
    int rc = tags_json(tags, a);
    if (rc < 0)
        return rc;
    size_t n = 0;
    for (const rip_asset_rel *r = a->rels; r; r = r->next, n++)
        rels[n] = (rip_store_asset_rel){ r->type, r->id };
    rip_store_asset sa = {
        .cloud = "aws", .account = account, .region = a->region,
        .type = rip_asset_type_name(a->type), .resource_id = a->id, .arn = a->arn,
        .name = a->name, .tags = tags->ptr, .detail = a->detail, .updated_ns = now,
        .rels = rels, .nrels = n,
    };
    return rip_store_put_asset(st, &sa, NULL);
}

int rip_inventory_save(rip_store *st, const rip_asset_set *s, const char *account,
                       const char *region, int64_t now_ns, rip_inventory_save_stats *stats)
{
    rip_inventory_save_stats out = { 0 };
    rip_buf tags;
    rip_store_asset_rel *rels = NULL;
    size_t maxrels = 0;
    int rc;

    if (!now_ns)
        now_ns = clock_ns();
    for (const rip_asset *a = s->first; a; a = a->next)
        if (a->nrels > maxrels)
            maxrels = a->nrels;
    rels = calloc(maxrels ? maxrels : 1, sizeof(*rels));
    if (!rels)
        return RIP_ENOMEM;
    rip_buf_init(&tags, 1u << 20);
    if ((rc = rip_store_begin(st)) < 0)
        goto out;
    for (const rip_asset *a = s->first; a && rc == 0; a = a->next) {
        rc = put_one(st, a, account, now_ns, &tags, rels);
        if (rc == 0)
            out.stored[a->type]++;
    }
    for (int t = 0; t < RIP_ASSET_NTYPES && rc == 0; t++) {
        uint64_t removed = 0;
        if (!s->synced[t])
            continue;
        rc = rip_store_prune_assets(st, "aws", account,
                                    rip_asset_type_global((rip_asset_type)t) ? NULL : region,
                                    rip_asset_type_name((rip_asset_type)t), now_ns, &removed);
        out.removed += removed;
    }
    if (rc == 0)
        rc = rip_store_commit(st);
    if (rc < 0)
        rip_store_rollback(st);
    else if (stats)
        *stats = out;
out:
    free(rels);
    rip_buf_release(&tags);
    return rc;
}

int rip_inventory_asset_json(rip_buf *out, const rip_store_asset_row *row)
{
    rip_jw w;
    char when[RIP_TIME_FMT_MAX];
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "id");
    rip_jw_str(&w, row->resource_id);
    rip_jw_key(&w, "type");
    rip_jw_str(&w, row->type);
    rip_jw_key(&w, "cloud");
    rip_jw_str(&w, row->cloud);
    rip_jw_key(&w, "account");
    rip_jw_str(&w, row->account);
    rip_jw_key(&w, "region");
    rip_jw_str(&w, row->region);
    rip_jw_key(&w, "arn");
    rip_jw_str(&w, row->arn);
    rip_jw_key(&w, "name");
    rip_jw_str(&w, row->name);
    /* tags and detail were written by rip_inventory_save() and the cloud
     * layer through the JSON writer: valid JSON text. */
    rip_jw_key(&w, "tags");
    if (row->tags && *row->tags)
        rip_jw_raw(&w, row->tags, strlen(row->tags));
    else {
        rip_jw_obj_begin(&w);
        rip_jw_obj_end(&w);
    }
    rip_jw_key(&w, "relations");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < row->nrels; i++) {
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "type");
        rip_jw_str(&w, row->rels[i].target_type);
        rip_jw_key(&w, "id");
        rip_jw_str(&w, row->rels[i].target_id);
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "detail");
    if (row->detail && *row->detail)
        rip_jw_raw(&w, row->detail, strlen(row->detail));
    else
        rip_jw_null(&w);
    rip_jw_key(&w, "updated");
    rip_jw_str(&w, rip_time_format(row->updated_ns, when));
    rip_jw_key(&w, "last_event");
    if (row->last_event_id) {
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "id");
        rip_jw_str(&w, row->last_event_id);
        rip_jw_key(&w, "time");
        if (row->last_event_ns)
            rip_jw_str(&w, rip_time_format(row->last_event_ns, when));
        else
            rip_jw_null(&w);
        rip_jw_obj_end(&w);
    } else {
        rip_jw_null(&w);
    }
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}
