/* tags.c — an incident's assets' tags from the inventory (tags.h). */
#include "inventory/tags.h"

#include <string.h>

#include "inventory/graph.h"
#include "util/err.h"
#include "util/json.h"

/* The owners an access key points at, looked up after it. */
#define MAX_OWNERS 8

typedef struct tag_ctx {
    rip_incident_tags *t;
    rip_arena *ar;
    bool found;
    int err;
    rip_topo_root owners[MAX_OWNERS];
    size_t nowners;
} tag_ctx;

static bool have_tag(const rip_incident_tags *t, const char *k, size_t kl, const char *v,
                     size_t vl)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->v[i].key) == kl && !memcmp(t->v[i].key, k, kl) &&
            strlen(t->v[i].value) == vl && !memcmp(t->v[i].value, v, vl))
            return true;
    return false;
}

static int on_asset(void *ud, const rip_store_asset_row *row)
{
    tag_ctx *c = ud;
    c->found = true;
    for (size_t i = 0; i < row->nrels && c->nowners < MAX_OWNERS; i++) {
        const rip_store_asset_rel *r = &row->rels[i];
        if (strcmp(row->type, "access_key") || !r->target_type || !r->target_id ||
            (strcmp(r->target_type, "user") && strcmp(r->target_type, "role")))
            continue;
        const char *ty = rip_arena_strndup(c->ar, r->target_type, strlen(r->target_type));
        const char *id = rip_arena_strndup(c->ar, r->target_id, strlen(r->target_id));
        if (!ty || !id)
            return c->err = RIP_ENOMEM;
        c->owners[c->nowners++] = (rip_topo_root){ ty, id };
    }
    if (!row->tags)
        return 0;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    if (rip_json_parse(&d, row->tags, strlen(row->tags), NULL) == 0) {
        RIP_JSON_EACH(k, rip_json_root(&d)) {
            rip_slice key = rip_json_str(&d, k);
            rip_slice val = rip_json_str(&d, k + 1);
            if (!key.ptr || !val.ptr || c->t->n == RIP_INCIDENT_TAGS_MAX)
                continue;
            size_t vl = val.len < RIP_INCIDENT_TAG_VALUE_MAX ? val.len
                                                             : RIP_INCIDENT_TAG_VALUE_MAX;
            if (have_tag(c->t, key.ptr, key.len, val.ptr, vl))
                continue;
            const char *ks = rip_arena_strndup(c->ar, key.ptr, key.len);
            const char *vs = rip_arena_strndup(c->ar, val.ptr, vl);
            if (!ks || !vs) {
                c->err = RIP_ENOMEM;
                break;
            }
            c->t->v[c->t->n++] = (rip_asset_tag){ ks, vs };
        }
    }
    rip_json_doc_release(&d);
    return c->err;
}

int rip_incident_tags_read(rip_store *st, const rip_store_incident *inc, rip_arena *ar,
                           rip_incident_tags *out)
{
    memset(out, 0, sizeof(*out));
    int rc = 0;
    for (size_t i = 0; i < inc->nentities && !rc && out->assets < RIP_INCIDENT_TAGS_ASSETS;
         i++) {
        char name[256];
        rip_topo_root root;
        if (!rip_topo_root_for_entity(inc->entities[i].type, inc->entities[i].value, name,
                                      sizeof(name), &root))
            continue;
        tag_ctx c = { .t = out, .ar = ar };
        rip_store_asset_filter f = { .type = root.type, .resource_id = root.id };
        rc = rip_store_list_assets(st, &f, on_asset, &c);
        if (!rc)
            rc = c.err;
        if (c.found)
            out->assets++;
        size_t nowners = c.nowners;
        for (size_t k = 0; k < nowners && !rc; k++) {
            rip_store_asset_filter of = { .type = c.owners[k].type,
                                          .resource_id = c.owners[k].id };
            rc = rip_store_list_assets(st, &of, on_asset, &c);
            if (!rc)
                rc = c.err;
        }
    }
    return rc;
}

const char *rip_incident_tag(const rip_incident_tags *t, const char *key)
{
    for (size_t i = 0; t && i < t->n; i++)
        if (!strcmp(t->v[i].key, key))
            return t->v[i].value;
    return NULL;
}
