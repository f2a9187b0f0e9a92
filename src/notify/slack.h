/* slack.h — Slack: verifying and parsing interactive callbacks, building
 * Block Kit messages, and posting and updating them (docs/NOTIFY.md).
 *
 * Invariants
 *   - Secrets — the signing secret, the bot token, incoming-webhook URLs,
 *     signatures — never appear in an error text: errors name the channel
 *     ("slack", "slack webhook") and Slack's error code, not the URL.
 *   - Output parameters are written only on success; `why`/`err` buffers
 *     (when cap > 0) are written on failure, always NUL-terminated.
 *   - Everything built here is valid JSON whatever the input bytes
 *     (util/json.h's writer), and every text is cut to Block Kit's limits
 *     (counted in characters, cut on a character boundary, ending in "…").
 *     mrkdwn texts have & < > escaped, so hostile text cannot mention
 *     @channel, link or break the markup; plain_text is sent as it is.
 */
#ifndef RIPOSTE_NOTIFY_SLACK_H
#define RIPOSTE_NOTIFY_SLACK_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* ---- verifying a request from Slack (slack-verify.c) ---- */

#define RIP_SLACK_MAX_SKEW_S 300   /* Slack's 5-minute replay window */

/* Checks a request's X-Slack-Signature against the v0 scheme:
 * "v0=" + hex(HMAC-SHA256(signing_secret, "v0:" + timestamp + ":" + body)),
 * compared in constant time, and that |now_s - timestamp| <= 300 s.
 * Returns 0 when the request is authentic and fresh; RIP_ERANGE for a stale
 * or future timestamp ("stale timestamp"); RIP_EINVAL for a missing or
 * malformed header or a signature that does not match. why (cap > 0) says
 * which, and never quotes the signature or the secret. */
int rip_slack_verify(const char *signing_secret, const char *timestamp_hdr,
                     const char *signature_hdr, const char *body, size_t len,
                     int64_t now_s, char *why, size_t cap);

/* ---- parsing a block_actions callback (slack-interaction.c) ---- */

#define RIP_SLACK_INTERACTION_MAX_BODY (64 * 1024)

/* What riposte reads from a button press. Every field is NUL-terminated; a
 * field the payload does not carry is "". The fields' sizes are the limits:
 * a longer value is refused (RIP_ELIMIT), never cut. */
typedef struct rip_slack_interaction {
    char type[32];              /* "block_actions" */
    char user_id[32];           /* user.id, "U0123ABC" */
    char user_name[96];         /* user.username, else user.name */
    char team_id[32];           /* team.id, else user.team_id */
    char channel_id[32];        /* channel.id, else container.channel_id */
    char message_ts[32];        /* container.message_ts, else message.ts */
    char response_url[512];
    char action_id[256];        /* actions[0].action_id (Slack: 255 at most) */
    char value[2001];           /* actions[0].value (Slack: 2000 at most) */
} rip_slack_interaction;

/* Parses an application/x-www-form-urlencoded body whose `payload` field is
 * the URL-encoded JSON of a block_actions interaction. Verify the body with
 * rip_slack_verify() first: this trusts nothing but checks only shape.
 * Required: type "block_actions", user.id, actions[0].action_id; each field
 * a string within its size. Returns 0 and fills *out; RIP_ELIMIT (body over
 * 64 KiB, a field too long), RIP_EINVAL (no payload, bad URL encoding, a
 * required field missing or not a string), RIP_ETYPE (another interaction
 * type), RIP_ESYNTAX/RIP_ETRUNC/RIP_EUTF8 (the payload is not JSON),
 * RIP_ENOMEM. why
 * (cap > 0) names the field ("payload field 'user.id' is missing"), never
 * a value. */
int rip_slack_parse_interaction(const char *form_body, size_t len,
                                rip_slack_interaction *out, char *why, size_t cap);

/* Splits a riposte button value "RUN:STEP" (rip_slack_incident_blocks())
 * into the run id and the step id. 0, or RIP_EINVAL (not that shape, run
 * not a positive number) or RIP_ELIMIT (step longer than cap - 1). */
int rip_slack_parse_button_value(const char *value, int64_t *run_id, char *step,
                                 size_t cap);

/* ---- Block Kit messages (slack-blocks.c) ---- */

/* Block Kit's limits, in characters. */
#define RIP_SLACK_HEADER_MAX 150
#define RIP_SLACK_SECTION_MAX 3000
#define RIP_SLACK_FIELD_MAX 2000
#define RIP_SLACK_BUTTON_TEXT_MAX 75
#define RIP_SLACK_BUTTON_VALUE_MAX 2000
/* Steps given buttons in one message (one actions block each; a message
 * holds 50 blocks); further steps are counted in a context line. */
#define RIP_SLACK_MAX_STEPS 20
/* The explanation is shortened to this many characters in the message. */
#define RIP_SLACK_WHAT_MAX 600

#define RIP_SLACK_ACTION_APPROVE "riposte_approve"
#define RIP_SLACK_ACTION_REJECT "riposte_reject"

/* A proposed step: its buttons carry "RUN:STEP". Strings are borrowed. */
typedef struct rip_slack_step {
    int64_t run_id;
    const char *step_id;
    const char *label;          /* "Disable access key AKIA…"; NULL: step_id */
    int destructive;            /* 1: the Approve button is red (danger) */
} rip_slack_step;

/* An incident as the message shows it; the caller fills it. Strings are
 * borrowed for the call; NULL ones are left out. */
typedef struct rip_slack_incident {
    const char *channel;        /* chat.postMessage's channel; NULL: omitted */
    int64_t id;
    const char *title;
    const char *severity;       /* riposte's name: informational … critical */
    const char *what;           /* the first finding's explanation */
    const char *account, *region, *principal, *access_key, *instance, *source_ip;
    const rip_slack_step *steps;
    size_t nsteps;
} rip_slack_incident;

/* Appends a chat.postMessage body for inc to json (which the caller owns):
 * {"channel", "text" (fallback), "blocks": [header "SEVERITY · title",
 * section (what happened), fields (account, region, principal, access key,
 * instance, source IP), context (incident id, riposte), then per step an
 * actions block with "Approve: <label>" (action_id riposte_approve, style
 * primary or danger, value "RUN:STEP") and "Reject" (riposte_reject)]}.
 * Returns 0; RIP_EINVAL (no title, a step without step_id), RIP_ELIMIT (a
 * button value over 2000), or the buffer's error, after which json holds
 * what it held before. */
int rip_slack_incident_blocks(const rip_slack_incident *inc, rip_buf *json);

/* A decision on one step, for the update after a button press. */
typedef struct rip_slack_result {
    int64_t run_id;
    const char *step_id;
    int approved;               /* 1: approved, 0: rejected */
    const char *user_id;        /* Slack user id "U…": shown as <@U…> */
    int64_t time_ns;            /* when */
    const char *message;        /* the result, or the reason; NULL: none */
} rip_slack_result;

/* As rip_slack_incident_blocks(), but each step with a result in res has
 * its buttons replaced by a context line "Approved by <@U…> at <time>:
 * <message>" (or "Rejected by …"); the other steps keep theirs. The body is
 * for chat.update: pass it to rip_slack_update(). Same returns. */
int rip_slack_result_blocks(const rip_slack_incident *inc, const rip_slack_result *res,
                            size_t nres, rip_buf *json);

/* Appends a chat.postMessage body for one outbox notification: the message
 * (mrkdwn-escaped, cut to 3000) and a context line "riposte · severity ·
 * incident N · run R step S". channel NULL: omitted. 0 or the buffer's
 * error (json unchanged). */
int rip_slack_notification_blocks(const char *channel, const char *severity,
                                  const char *message, int64_t incident_id,
                                  int64_t run_id, const char *step, rip_buf *json);

/* Appends text to out as mrkdwn: & < > escaped, cut to max characters
 * (ending in "…" when cut). 0 or the buffer's error (out unchanged). */
int rip_slack_mrkdwn_escape(const char *text, size_t max, rip_buf *out);

/* ---- the Web API and incoming webhooks (slack-client.c) ---- */

#define RIP_SLACK_API_BASE_DEFAULT "https://slack.com/api"

typedef struct rip_slack_cfg {
    const char *api_base;       /* NULL: https://slack.com/api (tests: a local server) */
    const char *bot_token;      /* xoxb-…: secret */
    const char *channel;        /* the default channel (id or name) */
    const char *webhook_url;    /* incoming webhook: secret; used when there is
                                   no bot_token */
    long timeout_ms;            /* each request; 0: 10 s */
    long retry_budget_ms;       /* how long a call may sleep to honour 429
                                   Retry-After before giving up; 0: never sleep */
} rip_slack_cfg;

/* POSTs body_json (a chat.postMessage body, "channel" included) to
 * {api_base}/chat.postMessage with the bot token, or, without a bot token,
 * to the incoming webhook (which returns no ts: ts_out and channel_out are
 * then ""). Returns 0 and writes the message's ts and channel; RIP_EINVAL
 * (no token nor webhook; Slack said ok:false — err carries its error code,
 * e.g. "slack: chat.postMessage: channel_not_found"; a 4xx), RIP_ERANGE
 * (rate limited past the retry budget), RIP_EIO (no response, a 5xx, a
 * reply that is not Slack's JSON), RIP_ELIMIT (ts or channel longer than
 * its buffer). err (errcap > 0) never holds the token or the webhook URL. */
int rip_slack_post(const rip_slack_cfg *c, const char *body_json, char *ts_out,
                   size_t tscap, char *channel_out, size_t chcap, char *err,
                   size_t errcap);

/* chat.update of the message (channel, ts) with body_json (an object; its
 * "channel" and "ts" are replaced by these). Needs a bot token (incoming
 * webhooks cannot update): else RIP_EINVAL. Other returns as
 * rip_slack_post(). */
int rip_slack_update(const rip_slack_cfg *c, const char *channel, const char *ts,
                     const char *body_json, char *err, size_t errcap);

#endif
