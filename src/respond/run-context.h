/* run-context.h — what a playbook run knows about its incident: the values
 * behind `${{ incident.* }}` (docs/PLAYBOOKS.md "Expressions"), frozen as
 * one JSON object when the run starts so that a run resumed after a crash
 * renders the same parameters.
 *
 *   {"id": "12", "title", "severity", "status", "phase", "account", "region",
 *    "finding_type", "rule_id", "user_name", "role_name",
 *    "entities": {"access_key": "AKIA...", ...},       (one value per kind)
 *    "facts": {"trail", "protocol", "port", "cidr", "target_user",
 *              "new_access_key"},
 *    "resource_tags": {...},
 *    "trigger": {"finding": 7, "time_ns": ..., "source": "guardduty"}}
 *
 * The trigger is the incident's oldest finding that the playbook's trigger
 * matches on its own; account, region, finding_type and rule_id are its.
 * An entity kind takes the trigger finding's own value (its member events
 * decoded again: the instance a GuardDuty finding names, not another the
 * incident also holds); else, with several values, the one seen first. user_name
 * is the principal's IAM user name, or, when the incident has no principal
 * (a GuardDuty finding names the user, not its ARN), the userName of a
 * member event whose actor is an IAMUser; role_name likewise falls back to
 * the userName of an AssumedRole actor (GuardDuty names the role so). Facts come
 * from the member events' records, oldest first, first value wins:
 *   trail     requestParameters.name of a CloudTrail API call (StopLogging,
 *             DeleteTrail, UpdateTrail)
 *   protocol, port, cidr   the first ingress permission of an
 *             AuthorizeSecurityGroupIngress call, preferring one open to
 *             0.0.0.0/0 or ::/0 ("-1" protocol is "all"; any /0 range is
 *             written 0.0.0.0/0 or ::/0, as AWS keeps it)
 *   target_user     requestParameters.userName of CreateAccessKey,
 *             CreateLoginProfile, UpdateLoginProfile (the user acted on)
 *   new_access_key  responseElements.accessKey.accessKeyId of CreateAccessKey
 * Nothing secret is in an incident, so nothing secret is in a context.
 */
#ifndef RIPOSTE_RESPOND_RUN_CONTEXT_H
#define RIPOSTE_RESPOND_RUN_CONTEXT_H

#include <stdint.h>

#include "inventory/tags.h"
#include "respond/playbook.h"
#include "store/store.h"
#include "util/buf.h"

/* What matching found: whether pb's trigger matches the incident, and the
 * finding that triggered it. */
typedef struct rip_run_trigger {
    int matches;
    int64_t finding_id;        /* the oldest matching finding */
    int64_t time_ns;           /* its time: when the activity was detected */
} rip_run_trigger;

/* Matches pb's trigger against the loaded incident inc; tags are its
 * assets' tags (inventory/tags.h) for the trigger's resource_tags filter,
 * NULL when not read (then a playbook with that filter does not match).
 * 0, RIP_ENOMEM. */
int rip_run_match(const rip_playbook *pb, const rip_store_incident *inc,
                  const rip_incident_tags *tags, rip_run_trigger *out);

/* Writes the context of incident inc for a run triggered by finding
 * trig (see rip_run_match) to out, reading member events from st for the
 * facts; resource_tags are tags' (the first value of each key; NULL:
 * none). 0, RIP_EIO (rip_store_errmsg()), RIP_ENOMEM. */
int rip_run_context(rip_store *st, const rip_store_incident *inc,
                    const rip_run_trigger *trig, const rip_incident_tags *tags, rip_buf *out);

#endif
