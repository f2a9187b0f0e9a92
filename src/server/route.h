/* route.h — what the daemon knows of an incident when it routes it, and
 * what it remembers of the Slack message it posted about it.
 *
 * Routing (docs/CONFIG.md "routes") matches an incident's account, finding
 * types, severity and owner, and the tags of the assets it involves: each
 * entity of the incident that names an asset (an instance, a bucket, an
 * access key, a user or role by its ARN, a security group) is looked up in
 * the inventory (the assets table, filled by `riposte inventory sync` and
 * by CloudTrail events) and its tags are collected. That is how the owning
 * team is found: a route `match: {tags: {team: "payments*"}}` catches the
 * incidents whose assets carry team=payments-api, and its `team:` becomes
 * the incident's owner when it has none.
 *
 * The Slack message of an incident is written to its timeline (kind
 * "notification", detail {"slack_channel": C, "slack_ts": T}) so that a
 * restarted daemon updates the message it posted instead of posting again.
 */
#ifndef RIPOSTE_SERVER_ROUTE_H
#define RIPOSTE_SERVER_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "inventory/tags.h"
#include "server/config.h"
#include "store/store.h"
#include "util/arena.h"

#define RIP_ROUTE_MAX_TYPES 64
#define RIP_ROUTE_MAX_TAGS 128

/* The subject of rip_config_routes_for() for one incident, with the
 * storage its pointers borrow (strings copied into the arena, so the
 * incident may be freed after). */
typedef struct rip_route_facts {
    rip_route_subject sub;
    const char *types[RIP_ROUTE_MAX_TYPES];
    rip_route_tag tags[RIP_ROUTE_MAX_TAGS];
    size_t assets;             /* entities found in the inventory */
    const rip_incident_tags *itags;   /* the same tags, for playbooks (in arena) */
    rip_arena arena;
} rip_route_facts;

/* Fills f for inc: account (the first finding's), finding types (rule ids),
 * severity, owner, and the tags of the assets its entities name
 * (inventory/tags.h; at most RIP_ROUTE_MAX_TAGS tags, the rest are left
 * out). The inventory is read through st (the caller holds what
 * serialises st's use). 0, or the store's RIP_E* (f is still usable: the
 * tags found so far). Release f with rip_route_facts_release(). */
int rip_route_facts_build(rip_store *st, const rip_store_incident *inc, rip_route_facts *f);
void rip_route_facts_release(rip_route_facts *f);

/* The Slack message last posted about inc, from its timeline: copies the
 * channel and ts into the buffers and returns true, or false when none was
 * recorded. */
bool rip_route_slack_message(const rip_store_incident *inc, char *channel, size_t channel_cap,
                             char *ts, size_t ts_cap);

/* Appends the timeline entry that records a Slack message posted about
 * incident (channel id, message ts). 0 or the store's RIP_E*. */
int rip_route_slack_record(rip_store *st, int64_t incident, const char *channel,
                           const char *ts);

/* ---- the routes' other channels (PagerDuty, webhook, email) ----
 *
 * An incident's life is told to the non-Slack channels of its routes
 * through the outbox (notify/deliver.h), one row per event and channel:
 * "opened" when it is first routed, "contained" when its phase reaches
 * contained or later, "acknowledged" and "resolved" when its status says
 * so. The row's step is "incident:EVENT" (PagerDuty: trigger for opened,
 * acknowledge, resolve for contained and resolved, with the incident's
 * dedup key). Each queued event is written to the incident's timeline
 * (kind "notification", detail {"channel": NAME, "event": EVENT}) in the
 * same transaction, which is how it is never queued twice. */

/* The events of inc, in order, that are due (see above); returns how many
 * were written to out (at most 4). */
size_t rip_route_events_due(const rip_store_incident *inc, const char **out);
/* Whether event was already queued for channel (from inc's timeline). */
bool rip_route_notified(const rip_store_incident *inc, const char *channel, const char *event);
/* Queues event for channel and records it on the timeline; call inside a
 * store transaction. 0 or the store's RIP_E*. */
int rip_route_notify(rip_store *st, const rip_store_incident *inc, const char *channel,
                     const char *event);

#endif
