/* asset.h — the inventory's asset model: what a snapshot of a cloud account
 * found, as plain structs, before and after it is stored.
 *
 * Invariants
 *   - A rip_asset_set owns every asset, tag, relation and string it holds in
 *     one arena; nothing is valid after rip_asset_set_release().
 *   - The set has a cap on assets (max_assets); past it rip_asset_add()
 *     fails with RIP_ELIMIT and the snapshot is refused, never truncated.
 *   - Types are names, never numbers, once stored (rip_asset_type_name()).
 *   - Relations point at other assets by (type, provider id); a target may
 *     be a type riposte does not keep ("volume", "instance_profile").
 *   - Nothing here talks to a cloud: src/cloud fills a set (layers may only
 *     reach down), this layer stores it and reads it back.
 */
#ifndef RIPOSTE_INVENTORY_ASSET_H
#define RIPOSTE_INVENTORY_ASSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"
#include "util/json.h"

typedef enum rip_asset_type {
    RIP_ASSET_INSTANCE = 0,
    RIP_ASSET_SECURITY_GROUP,
    RIP_ASSET_SUBNET,
    RIP_ASSET_VPC,
    RIP_ASSET_NETWORK_ACL,
    RIP_ASSET_USER,
    RIP_ASSET_ROLE,
    RIP_ASSET_ACCESS_KEY,
    RIP_ASSET_BUCKET,
    RIP_ASSET_TRAIL,
    RIP_ASSET_NTYPES
} rip_asset_type;

/* "instance", "security_group", ...; "?" for an unknown value. Static. */
const char *rip_asset_type_name(rip_asset_type t);
/* Whether a snapshot of one region sees every asset of the type in the
 * account (IAM, S3: listed once per account) rather than the region's. */
bool rip_asset_type_global(rip_asset_type t);
/* Parses a type name. 0 or RIP_EINVAL. */
int rip_asset_type_parse(const char *name, rip_asset_type *out);
/* The names, comma-separated, for messages ("instance, security_group, ..."). */
const char *rip_asset_type_names(void);

typedef struct rip_asset_tag rip_asset_tag;
struct rip_asset_tag {
    const char *key, *value;
    rip_asset_tag *next;
};

typedef struct rip_asset_rel rip_asset_rel;
struct rip_asset_rel {
    const char *type;          /* target type name */
    const char *id;            /* target provider id */
    rip_asset_rel *next;
};

typedef struct rip_asset rip_asset;
struct rip_asset {
    rip_asset_type type;
    const char *id;            /* provider id: "i-0abc", a user name, a bucket name */
    const char *region;        /* the region, or "global" (IAM) */
    const char *arn, *name;    /* NULL when unknown */
    const char *detail;        /* JSON object text, or NULL */
    rip_asset_tag *tags, *tags_last;
    rip_asset_rel *rels, *rels_last;
    size_t nrels;
    rip_asset *next;
};

typedef struct rip_asset_set {
    rip_arena arena;
    rip_asset *first, *last;
    size_t n, max_assets;
    bool synced[RIP_ASSET_NTYPES];   /* the snapshot listed this type completely */
} rip_asset_set;

#define RIP_ASSET_DEFAULT_MAX 1000000

/* An empty set capped at max_assets (0: RIP_ASSET_DEFAULT_MAX). */
void rip_asset_set_init(rip_asset_set *s, size_t max_assets);
/* Frees everything the set holds. Accepts NULL. */
void rip_asset_set_release(rip_asset_set *s);

/* Appends an asset (strings copied). Returns it, owned by the set, or NULL
 * (*rc set to RIP_ELIMIT past the cap, RIP_ENOMEM). */
rip_asset *rip_asset_add(rip_asset_set *s, rip_asset_type type, const char *id,
                         const char *region, int *rc);
/* Copies a string into the set's arena; NULL stays NULL. */
const char *rip_asset_strdup(rip_asset_set *s, const char *str);
/* Adds a tag / a relation (strings copied; a duplicate relation is kept
 * once). 0 or RIP_ENOMEM. */
int rip_asset_add_tag(rip_asset_set *s, rip_asset *a, const char *key, const char *value);
int rip_asset_add_rel(rip_asset_set *s, rip_asset *a, const char *type, const char *id);
/* Sets the detail JSON text (copied). 0 or RIP_ENOMEM. */
int rip_asset_set_detail(rip_asset_set *s, rip_asset *a, const char *json, size_t len);

/* Whether a bucket policy (JSON text) makes a bucket public, by riposte's
 * own reading: a statement that allows everyone ("Principal": "*" or
 * {"AWS": "*"}) without a Condition. It errs towards "not public" for
 * conditions it does not read; AWS's own verdict (GetBucketPolicyStatus)
 * is better where it can be had. 1 public, 0 not, -1 not a policy. */
int rip_asset_policy_public(const char *text, size_t len);
int rip_asset_policy_node_public(const rip_json_node *policy);

/* Whether a CIDR admits every address: prefix length 0 ("0.0.0.0/0",
 * "::/0", and "203.0.113.7/0", which AWS accepts just the same). */
bool rip_asset_cidr_world(const char *cidr);

/* What rip_inventory_save() did. */
typedef struct rip_inventory_save_stats {
    uint64_t stored[RIP_ASSET_NTYPES];   /* assets put, per type */
    uint64_t removed;                    /* assets gone since the last snapshot */
} rip_inventory_save_stats;

/* Stores the snapshot s of account in region, in one transaction: every
 * asset is put (as cloud "aws"), then, for each type the snapshot listed
 * completely (s->synced), the assets of that scope it did not see are
 * removed (regional types: this region; global types: the account). now_ns
 * stamps the rows (0: the clock). Returns 0, or the store's RIP_E* with
 * rip_store_errmsg() set; nothing is changed on failure. */
int rip_inventory_save(rip_store *st, const rip_asset_set *s, const char *account,
                       const char *region, int64_t now_ns, rip_inventory_save_stats *stats);

/* Appends one stored asset as a JSON object (no newline): id, type, cloud,
 * account, region, arn, name, tags (object), relations ([{type, id}]),
 * detail (object), updated (RFC 3339) and last_event ({id, time} of the
 * event that last changed it, or null). 0 or RIP_E*. */
int rip_inventory_asset_json(rip_buf *out, const rip_store_asset_row *row);

#endif
