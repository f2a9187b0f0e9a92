/* tags.h — the tags of the assets an incident involves, from the inventory.
 *
 * Each entity of the incident that names an asset (an instance, a bucket,
 * an access key, a security group, a user or role by its ARN: see
 * rip_topo_root_for_entity in graph.h) is looked up in the assets table
 * (filled by `riposte inventory sync` and by CloudTrail events) and its
 * tags are collected, each (key, value) once. An access key's owner (its
 * user or role, by the key's relation) counts too: keys themselves rarely
 * carry tags, their users do. Routes match these tags (the owning team,
 * server/route.h) and playbooks read them (trigger.resource_tags and
 * `${{ incident.resource_tags.KEY }}`, respond/run-context.h).
 */
#ifndef RIPOSTE_INVENTORY_TAGS_H
#define RIPOSTE_INVENTORY_TAGS_H

#include <stddef.h>

#include "store/store.h"
#include "util/arena.h"

#define RIP_INCIDENT_TAGS_MAX 128
#define RIP_INCIDENT_TAGS_ASSETS 32
/* A value longer than this is cut: tags name teams, owners, environments. */
#define RIP_INCIDENT_TAG_VALUE_MAX 256

typedef struct rip_asset_tag {
    const char *key, *value;
} rip_asset_tag;

typedef struct rip_incident_tags {
    rip_asset_tag v[RIP_INCIDENT_TAGS_MAX];
    size_t n;
    size_t assets;             /* entities found in the inventory */
} rip_incident_tags;

/* Fills out with the tags of the assets inc's entities name (at most
 * RIP_INCIDENT_TAGS_ASSETS entities and RIP_INCIDENT_TAGS_MAX tags; the
 * rest are left out), strings copied into ar. The caller serialises st's
 * use. 0, or the store's RIP_E* / RIP_ENOMEM (out then holds the tags
 * found so far). */
int rip_incident_tags_read(rip_store *st, const rip_store_incident *inc, rip_arena *ar,
                           rip_incident_tags *out);

/* The value of tag key in t, or NULL. */
const char *rip_incident_tag(const rip_incident_tags *t, const char *key);

#endif
