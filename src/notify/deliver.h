/* deliver.h — the notification outbox delivered to its channels.
 *
 * Notify steps and escalations queue rows in the store's `notifications`
 * table in the transaction of the step (respond/engine.c). This module
 * sends them, by the row's channel name, to a configured Slack, PagerDuty,
 * webhook or email channel, and records each try on the row.
 *
 * Invariants
 *   - Delivery is at least once: a row is marked delivered after its
 *     channel accepted it, so a crash in between sends it again. Receivers
 *     can deduplicate (PagerDuty by its dedup key "riposte-incident-<id>",
 *     webhooks by the notification id in the body).
 *   - A failed try is never dropped: attempts and last_error are kept on
 *     the row (errors never hold a URL, token or key), the next try waits
 *     rip_notify_backoff_ns(attempts) after the last one, and when the
 *     RIP_NOTIFY_FAIL_LIMIT-th try fails an incident timeline entry of kind
 *     "notification_failed" says so (once). Tries go on after that at the
 *     longest backoff, so a channel that comes back still gets the message.
 *     An email refused permanently (SMTP 5xx: rip_email_send() returns
 *     RIP_EINVAL) counts as the RIP_NOTIFY_FAIL_LIMIT-th try at once: the
 *     timeline entry comes with the first refusal, and the row waits the
 *     long backoffs from there, still kept and still tried.
 *   - The store is used from the calling thread only (store.h).
 */
#ifndef RIPOSTE_NOTIFY_DELIVER_H
#define RIPOSTE_NOTIFY_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "notify/email.h"
#include "notify/pagerduty.h"
#include "notify/slack.h"
#include "notify/webhook.h"
#include "store/store.h"

#define RIP_NOTIFY_FAIL_LIMIT 5
#define RIP_NOTIFY_BACKOFF_FIRST_NS (30LL * 1000000000LL)    /* after the 1st failure */
#define RIP_NOTIFY_BACKOFF_MAX_NS (3600LL * 1000000000LL)    /* at most an hour */

typedef enum rip_notify_kind {
    RIP_NOTIFY_SLACK = 1,
    RIP_NOTIFY_PAGERDUTY,
    RIP_NOTIFY_WEBHOOK,
    RIP_NOTIFY_EMAIL,
} rip_notify_kind;

/* "slack", "pagerduty", "webhook", "email"; "?" otherwise. */
const char *rip_notify_kind_name(rip_notify_kind k);

/* A named channel: what a notify step's `channel:` names. Borrowed. */
typedef struct rip_notify_channel {
    const char *name;               /* "default", "secops", "oncall" */
    rip_notify_kind kind;
    const rip_slack_cfg *slack;     /* kind slack: posts to slack->channel, */
    const char *slack_channel;      /* or to this channel when not NULL */
    const rip_pagerduty_cfg *pagerduty;
    const rip_webhook_cfg *webhook;
    const rip_email_cfg *email;
} rip_notify_channel;

typedef struct rip_notify_channels {
    const rip_notify_channel *v;
    size_t n;
    /* The channel a row's "default" means: the one of this name; NULL: the
     * one named "default", else the first. */
    const char *default_name;
    /* Optional: taken around every use of the store and released while a
     * channel is called, so that a slow channel never holds the store (the
     * daemon's store lock). NULL: the caller holds what it needs. */
    void (*lock)(void *ud);
    void (*unlock)(void *ud);
    void *lock_ud;
} rip_notify_channels;

typedef struct rip_notify_stats {
    uint64_t tried;        /* rows sent this call */
    uint64_t delivered;    /* of them, accepted by their channel */
    uint64_t failed;       /* of them, not (kept for a later try) */
    uint64_t deferred;     /* pending rows skipped: their backoff runs */
    uint64_t reported;     /* timeline entries "notification_failed" added */
} rip_notify_stats;

/* The wait after a row's attempts-th failed try: 30 s doubled per further
 * failure, at most an hour. 0 for attempts 0. */
int64_t rip_notify_backoff_ns(uint32_t attempts);

/* Sends at most max pending rows (0: all) whose backoff has run out at
 * now_ns (0: the clock), oldest first, and records each try. A row whose
 * channel is not configured fails like any other try (its error says so).
 * Returns 0 and fills *out (when non-NULL) whatever the channels said —
 * their failures are on the rows — or a store error (RIP_EIO, RIP_ENOMEM)
 * with rip_store_errmsg() saying why; the rows tried before it stay
 * marked. */
int rip_notify_deliver(rip_store *st, const rip_notify_channels *ch, int64_t now_ns,
                       size_t max, rip_notify_stats *out);

/* Sends one notification to channel c now, without the store: for `riposte
 * notify test` and the like. The arguments are a row's. 0 or the channel's
 * error (RIP_EINVAL, RIP_ERANGE, RIP_EIO) with err saying why. */
int rip_notify_send(const rip_notify_channel *c, const rip_store_notification_row *row,
                    int64_t now_ns, char *err, size_t errcap);

#endif
