/* pagerduty.h — PagerDuty Events API v2: trigger, acknowledge and resolve
 * an alert keyed by the riposte incident (docs/NOTIFY.md).
 *
 * Invariants: the routing key is a secret and never appears in an error
 * text (errors say "pagerduty: …"); one incident is one alert, because
 * every event for it carries the dedup key "riposte-incident-<id>".
 */
#ifndef RIPOSTE_NOTIFY_PAGERDUTY_H
#define RIPOSTE_NOTIFY_PAGERDUTY_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

#define RIP_PAGERDUTY_URL_DEFAULT "https://events.pagerduty.com/v2/enqueue"
#define RIP_PAGERDUTY_SUMMARY_MAX 1024   /* the API's limit, in characters */

typedef struct rip_pagerduty_cfg {
    const char *url;            /* NULL: RIP_PAGERDUTY_URL_DEFAULT */
    const char *routing_key;    /* the integration key: secret */
    long timeout_ms;            /* 0: 10 s */
    long retry_budget_ms;       /* sleep allowed to honour 429 Retry-After */
} rip_pagerduty_cfg;

/* One event. Strings are borrowed for the call. */
typedef struct rip_pagerduty_event_in {
    const char *action;         /* "trigger", "acknowledge" or "resolve" */
    const char *dedup_key;      /* rip_pagerduty_dedup_key() */
    const char *summary;        /* trigger: required; cut to 1024 characters */
    const char *severity;       /* riposte's severity name (mapped) */
    const char *source;         /* trigger: the affected system; NULL: "riposte" */
    const char *custom_details; /* JSON text (an object); NULL: none */
} rip_pagerduty_event_in;

/* PagerDuty's severity for one of riposte's: critical → critical, high →
 * error, medium → warning, low and informational (and anything else) →
 * info. Static. */
const char *rip_pagerduty_severity(const char *riposte_severity);

/* Writes "riposte-incident-<id>" into out. 0 or RIP_ELIMIT. */
int rip_pagerduty_dedup_key(int64_t incident_id, char *out, size_t cap);

/* Appends the Events v2 body for ev to json (the caller's buffer):
 * {"routing_key","event_action","dedup_key","client":"riposte","payload":
 * {"summary","source","severity","custom_details"}} (payload for trigger
 * only). 0, RIP_EINVAL (unknown action, missing key or summary, custom
 * details not a JSON object), or the buffer's error; json is unchanged on
 * failure. */
int rip_pagerduty_body(const rip_pagerduty_cfg *c, const rip_pagerduty_event_in *ev,
                       rip_buf *json);

/* Sends ev. Returns 0 when PagerDuty accepted it (202); RIP_ERANGE when
 * rate limited (429) past the retry budget; RIP_EINVAL for a request it
 * refused (400, other 4xx: err carries its message, scrubbed of the key)
 * or a bad ev; RIP_EIO for no response or a 5xx. */
int rip_pagerduty_event(const rip_pagerduty_cfg *c, const rip_pagerduty_event_in *ev,
                        char *err, size_t errcap);

#endif
