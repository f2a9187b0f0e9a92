/* entity.h — the things findings share: access keys, principals, roles,
 * instances, buckets, security groups and source IPs.
 *
 * An entity is a kind and a value ("access_key", "AKIA..."). Correlation
 * (fold.h) folds findings that share entities into one incident; which
 * kinds link findings, and how, is the merge rules' business, not this
 * module's. This module only names the kinds and pulls entities out of an
 * event.
 *
 * Invariants
 *   - A set owns its values (malloc'ed copies); it never holds the same
 *     (kind, value) twice, and holds at most RIP_ENTITY_MAX entities (more
 *     are dropped and counted).
 *   - Values are trimmed of nothing and never empty; a value longer than
 *     RIP_ENTITY_VALUE_MAX bytes or holding a control byte is refused (a
 *     truncated value could link unrelated findings).
 */
#ifndef RIPOSTE_CORRELATE_ENTITY_H
#define RIPOSTE_CORRELATE_ENTITY_H

#include <stddef.h>
#include <stdint.h>

#include "normalize/event.h"
#include "util/slice.h"

#define RIP_ENTITY_MAX 64
#define RIP_ENTITY_VALUE_MAX 1024

typedef enum rip_entity_kind {
    RIP_ENTITY_ACCESS_KEY = 0,  /* AKIA..., ASIA... */
    RIP_ENTITY_PRINCIPAL,       /* the actor's ARN; for an assumed role the
                                   session: arn:aws:sts::ACCT:assumed-role/ROLE/SESSION */
    RIP_ENTITY_ROLE,            /* the role that issued a session (its ARN) */
    RIP_ENTITY_INSTANCE,        /* i-... */
    RIP_ENTITY_BUCKET,          /* bucket name */
    RIP_ENTITY_SECURITY_GROUP,  /* sg-... */
    RIP_ENTITY_SOURCE_IP,       /* where the call came from */
    RIP_ENTITY__COUNT
} rip_entity_kind;

/* "access_key", "principal", "role", "instance", "bucket",
 * "security_group", "source_ip"; "?" otherwise. */
const char *rip_entity_kind_name(rip_entity_kind k);
/* Parses a kind name; 0 or RIP_EINVAL. *out written only on success. */
int rip_entity_kind_parse(const char *s, rip_entity_kind *out);

typedef struct rip_entity {
    rip_entity_kind kind;
    char *value;               /* owned by the set */
} rip_entity;

typedef struct rip_entity_set {
    rip_entity v[RIP_ENTITY_MAX];
    size_t n;
    size_t dropped;            /* refused: set full */
} rip_entity_set;

/* An empty set (no allocation). */
void rip_entity_set_init(rip_entity_set *s);
/* Frees every value; the set is empty and usable again. */
void rip_entity_set_release(rip_entity_set *s);
/* Adds (kind, value) unless present or refused (see the invariants): 0, or
 * RIP_ENOMEM. A refused or duplicate value is not an error. */
int rip_entity_set_add(rip_entity_set *s, rip_entity_kind kind, rip_slice value);
/* Adds every entity of src to s. 0 or RIP_ENOMEM. */
int rip_entity_set_merge(rip_entity_set *s, const rip_entity_set *src);
/* 1 when s holds (kind, value). */
int rip_entity_set_has(const rip_entity_set *s, rip_entity_kind kind, const char *value);

/* Adds the entities of ev to s: its access key, principal (and for an
 * assumed role the issuing role), source IP when it is an address (not
 * "ec2.amazonaws.com"), the instances, buckets and security groups among
 * its resources, and from the original record those a CloudTrail call
 * names in requestParameters / responseElements (instanceId, instancesSet,
 * instanceIds, target, bucketName, groupId, groupSet) or a GuardDuty
 * finding names in its network interfaces. ev is only read. 0 or
 * RIP_ENOMEM. */
int rip_entities_from_event(rip_entity_set *s, const rip_event *ev);

#endif
