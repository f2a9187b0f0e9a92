/* slack-client.c — chat.postMessage, chat.update and incoming webhooks
 * (slack.h).
 *
 * The Web API answers 200 with {"ok":false,"error":"…"} for most failures,
 * and 429 with Retry-After when rate limited (http.c sleeps through that
 * within the caller's budget). Error texts carry Slack's error code, kept
 * to [a-z0-9_.] so that nothing Slack echoes can smuggle a secret or
 * markup into a log line, and are scrubbed of the token regardless. */
#include <stdio.h>
#include <string.h>

#include "notify/http.h"
#include "notify/slack.h"
#include "util/err.h"
#include "util/json.h"

/* Copies Slack's error code, keeping only [a-z0-9_.], at most 64 bytes. */
static void error_code(const char *p, size_t n, char *dst, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap && k < 64; i++) {
        char c = p[i];
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.')
            dst[k++] = c;
    }
    dst[k] = '\0';
    if (!k)
        snprintf(dst, cap, "unknown_error");
}

static int status_error(const char *who, const rip_notify_http_resp *resp, char *err,
                        size_t errcap)
{
    long st = resp->status;
    if (st == 429) {
        if (errcap)
            snprintf(err, errcap, "%s: rate limited (retry after %ld s)", who,
                     resp->retry_after_s < 0 ? 0 : resp->retry_after_s);
        return RIP_ERANGE;
    }
    char code[80] = "";
    if (resp->body.len)
        error_code(resp->body.ptr, resp->body.len, code, sizeof(code));
    if (errcap)
        snprintf(err, errcap, "%s: HTTP %ld%s%s", who, st, *code ? ": " : "", code);
    return st >= 400 && st < 500 ? RIP_EINVAL : RIP_EIO;
}

static int copy_out(const char *p, size_t n, char *dst, size_t cap)
{
    if (n >= cap)
        return RIP_ELIMIT;
    memcpy(dst, p, n);
    dst[n] = '\0';
    return 0;
}

/* POSTs body to {api_base}/method with the bot token; on success parses
 * {"ok":true,...} and (when ts_out) copies ts and channel. */
static int api_call(const rip_slack_cfg *c, const char *method, const char *body,
                    size_t len, char *ts_out, size_t tscap, char *channel_out,
                    size_t chcap, char *err, size_t errcap)
{
    char who[64];
    snprintf(who, sizeof(who), "slack: %s", method);
    rip_buf url = RIP_BUF_INIT, auth = RIP_BUF_INIT;
    rip_notify_http_resp resp = { 0, -1, RIP_BUF_INIT };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    int rc = rip_buf_addf(&url, "%s/%s",
                          c->api_base && *c->api_base ? c->api_base
                                                      : RIP_SLACK_API_BASE_DEFAULT,
                          method);
    if (!rc)
        rc = rip_buf_addf(&auth, "Authorization: Bearer %s", c->bot_token);
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "%s: out of memory", who);
        goto out;
    }
    const char *headers[] = { "Content-Type: application/json; charset=utf-8", auth.ptr,
                              "User-Agent: riposte", NULL };
    rip_notify_http_req req = { url.ptr, headers, body, len, c->timeout_ms,
                                c->retry_budget_ms };
    char herr[160];
    rc = rip_notify_http_post(&req, &resp, herr, sizeof(herr));
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "%s: %s", who, herr);
        goto out;
    }
    if (resp.status != 200) {
        rc = status_error(who, &resp, err, errcap);
        goto out;
    }
    rip_json_error je;
    const rip_json_node *root = NULL;
    if (rip_json_parse(&d, resp.body.ptr, resp.body.len, &je) ||
        !rip_json_is(root = rip_json_root(&d), RIP_JSON_OBJECT)) {
        rc = RIP_EIO;
        if (errcap)
            snprintf(err, errcap, "%s: the reply is not Slack's JSON", who);
        goto out;
    }
    const rip_json_node *ok = rip_json_get(root, "ok");
    if (!rip_json_is(ok, RIP_JSON_TRUE)) {
        const rip_json_node *e = rip_json_get(root, "error");
        char code[80] = "unknown_error";
        if (rip_json_is(e, RIP_JSON_STRING))
            error_code(e->ptr, e->len, code, sizeof(code));
        rc = !strcmp(code, "ratelimited") ? RIP_ERANGE : RIP_EINVAL;
        if (errcap)
            snprintf(err, errcap, "%s: %s", who, code);
        goto out;
    }
    if (ts_out) {
        const rip_json_node *ts = rip_json_get(root, "ts");
        const rip_json_node *ch = rip_json_get(root, "channel");
        if (!rip_json_is(ts, RIP_JSON_STRING) || !rip_json_is(ch, RIP_JSON_STRING) ||
            (ts->flags | ch->flags) & RIP_JSON_F_ESCAPED) {
            rc = RIP_EIO;
            if (errcap)
                snprintf(err, errcap, "%s: the reply has no ts or channel", who);
            goto out;
        }
        char tsb[64], chb[64];
        if (copy_out(ts->ptr, ts->len, tsb, sizeof(tsb)) ||
            copy_out(ch->ptr, ch->len, chb, sizeof(chb)) ||
            copy_out(tsb, strlen(tsb), ts_out, tscap) ||
            copy_out(chb, strlen(chb), channel_out, chcap)) {
            rc = RIP_ELIMIT;
            if (errcap)
                snprintf(err, errcap, "%s: the reply's ts or channel is too long", who);
            goto out;
        }
    }
out:
    if (rc && errcap)
        rip_notify_scrub(err, c->bot_token);
    rip_json_doc_release(&d);
    rip_buf_release(&resp.body);
    rip_buf_release(&url);
    /* The header held the token: wipe it before freeing. */
    if (auth.alloc)
        memset(auth.ptr, 0, auth.alloc);
    rip_buf_release(&auth);
    return rc;
}

static int webhook_post(const rip_slack_cfg *c, const char *body, size_t len,
                        char *ts_out, size_t tscap, char *channel_out, size_t chcap,
                        char *err, size_t errcap)
{
    const char *who = "slack webhook";
    rip_notify_http_resp resp = { 0, -1, RIP_BUF_INIT };
    const char *headers[] = { "Content-Type: application/json; charset=utf-8",
                              "User-Agent: riposte", NULL };
    rip_notify_http_req req = { c->webhook_url, headers, body, len, c->timeout_ms,
                                c->retry_budget_ms };
    char herr[160];
    int rc = rip_notify_http_post(&req, &resp, herr, sizeof(herr));
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "%s: %s", who, herr);
    } else if (resp.status != 200) {
        rc = status_error(who, &resp, err, errcap);
    } else if ((tscap && !ts_out) || (chcap && !channel_out)) {
        rc = RIP_EINVAL;
    } else {
        if (tscap)
            ts_out[0] = '\0';
        if (chcap)
            channel_out[0] = '\0';
    }
    if (rc && errcap)
        rip_notify_scrub(err, c->webhook_url);
    rip_buf_release(&resp.body);
    return rc;
}

int rip_slack_post(const rip_slack_cfg *c, const char *body_json, char *ts_out,
                   size_t tscap, char *channel_out, size_t chcap, char *err,
                   size_t errcap)
{
    if (!c || !body_json) {
        if (errcap)
            snprintf(err, errcap, "slack: no configuration or no message");
        return RIP_EINVAL;
    }
    size_t len = strlen(body_json);
    if (c->bot_token && *c->bot_token) {
        char ts[64], ch[64];
        int rc = api_call(c, "chat.postMessage", body_json, len, ts, sizeof(ts), ch,
                          sizeof(ch), err, errcap);
        if (rc)
            return rc;
        if ((ts_out && copy_out(ts, strlen(ts), ts_out, tscap)) ||
            (channel_out && copy_out(ch, strlen(ch), channel_out, chcap))) {
            if (errcap)
                snprintf(err, errcap, "slack: chat.postMessage: ts or channel too long");
            return RIP_ELIMIT;
        }
        return 0;
    }
    if (c->webhook_url && *c->webhook_url)
        return webhook_post(c, body_json, len, ts_out, ts_out ? tscap : 0, channel_out,
                            channel_out ? chcap : 0, err, errcap);
    if (errcap)
        snprintf(err, errcap, "slack: neither a bot token nor a webhook is configured");
    return RIP_EINVAL;
}

int rip_slack_update(const rip_slack_cfg *c, const char *channel, const char *ts,
                     const char *body_json, char *err, size_t errcap)
{
    if (!c || !c->bot_token || !*c->bot_token) {
        if (errcap)
            snprintf(err, errcap, "slack: chat.update needs a bot token "
                                  "(incoming webhooks cannot update messages)");
        return RIP_EINVAL;
    }
    if (!channel || !*channel || !ts || !*ts || !body_json) {
        if (errcap)
            snprintf(err, errcap, "slack: chat.update needs a channel, a ts and a body");
        return RIP_EINVAL;
    }
    /* The body with its channel and ts replaced. */
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_buf body = RIP_BUF_INIT;
    rip_json_error je;
    int rc = rip_json_parse(&d, body_json, strlen(body_json), &je);
    const rip_json_node *root = rc ? NULL : rip_json_root(&d);
    if (!rip_json_is(root, RIP_JSON_OBJECT)) {
        if (errcap)
            snprintf(err, errcap, "slack: chat.update: the body is not a JSON object");
        rc = RIP_EINVAL;
        goto out;
    }
    rip_jw w;
    rip_jw_init(&w, &body);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "channel");
    rip_jw_str(&w, channel);
    rip_jw_key(&w, "ts");
    rip_jw_str(&w, ts);
    RIP_JSON_EACH(k, root) {
        if (rip_json_str_eq(k, "channel") || rip_json_str_eq(k, "ts"))
            continue;
        rip_slice key = rip_json_str(&d, k);
        rip_jw_keyn(&w, key.ptr ? key.ptr : "", key.len);
        rip_jw_node(&w, &d, k + 1);
    }
    rip_jw_obj_end(&w);
    if ((rc = rip_jw_finish(&w))) {
        if (errcap)
            snprintf(err, errcap, "slack: chat.update: cannot build the body");
        goto out;
    }
    rc = api_call(c, "chat.update", body.ptr, body.len, NULL, 0, NULL, 0, err, errcap);
out:
    rip_json_doc_release(&d);
    rip_buf_release(&body);
    return rc;
}
