/* slack-blocks.c — Block Kit bodies for chat.postMessage and chat.update
 * (slack.h).
 *
 * Invariants: every text goes through add_text(), which escapes mrkdwn and
 * cuts to the block's limit in characters (UTF-8 code points; an escape
 * such as "&amp;" counts as its five characters, so the cut is safe
 * whichever way Slack counts, and never splits an escape or a character).
 * A failed build leaves the caller's buffer as it was. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "notify/slack.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

/* The next unit of s at i: its bytes (*blen) and the text it becomes
 * (*rep, NULL: the bytes themselves) counting *chars characters. */
static void next_unit(const unsigned char *s, size_t i, int esc, size_t *blen,
                      const char **rep, size_t *chars)
{
    unsigned char c = s[i];
    *rep = NULL;
    *blen = 1;
    *chars = 1;
    if (esc && (c == '&' || c == '<' || c == '>')) {
        *rep = c == '&' ? "&amp;" : c == '<' ? "&lt;" : "&gt;";
        *chars = strlen(*rep);
        return;
    }
    size_t n = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 1;
    if (c >= 0xf5)
        n = 1;
    for (size_t k = 1; k < n; k++)
        if ((s[i + k] & 0xc0) != 0x80)   /* stops at the NUL too */
            return;                       /* invalid: one byte, one character */
    *blen = n;
}

/* Appends s (NULL: "") to out, mrkdwn-escaped when esc, cut to max
 * characters with "…" at the end when cut. */
static int add_text(rip_buf *out, const char *s, size_t max, int esc)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t total = 0, blen, chars;
    const char *rep;
    for (size_t i = 0; u[i]; i += blen) {
        next_unit(u, i, esc, &blen, &rep, &chars);
        total += chars;
    }
    size_t limit = total <= max ? total : max ? max - 1 : 0;
    size_t start = out->len, used = 0;
    int rc = 0;
    for (size_t i = 0; u[i] && !rc; i += blen) {
        next_unit(u, i, esc, &blen, &rep, &chars);
        if (used + chars > limit)
            break;
        used += chars;
        rc = rep ? rip_buf_adds(out, rep) : rip_buf_add(out, u + i, blen);
    }
    if (!rc && total > max && max)
        rc = rip_buf_adds(out, "\xe2\x80\xa6");
    if (rc && out->alloc) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    return rc;
}

int rip_slack_mrkdwn_escape(const char *text, size_t max, rip_buf *out)
{
    return add_text(out, text, max, 1);
}

/* Writes one string value built by add_text(). */
static void jw_text(rip_jw *w, rip_buf *tmp, const char *s, size_t max, int esc)
{
    rip_buf_reset(tmp);
    int rc = add_text(tmp, s, max, esc);
    if (rc && !w->err)
        w->err = rc;
    rip_jw_strn(w, tmp->ptr, tmp->len);
}

static void jw_textobj(rip_jw *w, rip_buf *tmp, const char *type, const char *s, size_t max)
{
    int md = !strcmp(type, "mrkdwn");
    rip_jw_obj_begin(w);
    rip_jw_key(w, "type");
    rip_jw_str(w, type);
    rip_jw_key(w, "text");
    jw_text(w, tmp, s, max, md);
    if (!md) {
        rip_jw_key(w, "emoji");
        rip_jw_bool(w, true);
    }
    rip_jw_obj_end(w);
}

static void upper(char *dst, size_t cap, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < cap; i++)
        dst[i] = (char)toupper((unsigned char)s[i]);
    dst[i] = '\0';
}

/* A context block with one mrkdwn element; text is already mrkdwn. */
static void context_block(rip_jw *w, const char *text)
{
    rip_jw_obj_begin(w);
    rip_jw_key(w, "type");
    rip_jw_str(w, "context");
    rip_jw_key(w, "elements");
    rip_jw_arr_begin(w);
    rip_jw_obj_begin(w);
    rip_jw_key(w, "type");
    rip_jw_str(w, "mrkdwn");
    rip_jw_key(w, "text");
    rip_jw_str(w, text);
    rip_jw_obj_end(w);
    rip_jw_arr_end(w);
    rip_jw_obj_end(w);
}

static void button(rip_jw *w, rip_buf *tmp, const char *text, const char *action_id,
                   const char *value, const char *style)
{
    rip_jw_obj_begin(w);
    rip_jw_key(w, "type");
    rip_jw_str(w, "button");
    rip_jw_key(w, "text");
    jw_textobj(w, tmp, "plain_text", text, RIP_SLACK_BUTTON_TEXT_MAX);
    rip_jw_key(w, "action_id");
    rip_jw_str(w, action_id);
    rip_jw_key(w, "value");
    rip_jw_str(w, value);
    if (style) {
        rip_jw_key(w, "style");
        rip_jw_str(w, style);
    }
    rip_jw_obj_end(w);
}

static int slack_user_id(const char *u)
{
    size_t n = u ? strlen(u) : 0;
    if (n == 0 || n > 24)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isupper((unsigned char)u[i]) && !isdigit((unsigned char)u[i]))
            return 0;
    return 1;
}

/* The context line that replaces a decided step's buttons (mrkdwn). */
static int result_line(const rip_slack_result *r, const char *label, rip_buf *out)
{
    char when[RIP_TIME_FMT_MAX];
    int rc = rip_buf_adds(out, "*");
    if (!rc)
        rc = add_text(out, label, 200, 1);
    if (!rc)
        rc = rip_buf_addf(out, "*: %s by ", r->approved ? "Approved" : "Rejected");
    if (!rc && slack_user_id(r->user_id))
        rc = rip_buf_addf(out, "<@%s>", r->user_id);
    else if (!rc)
        rc = add_text(out, r->user_id ? r->user_id : "someone", 64, 1);
    if (!rc)
        rc = rip_buf_addf(out, " at %s", rip_time_format(r->time_ns, when));
    if (!rc && r->message && *r->message) {
        rc = rip_buf_adds(out, ": ");
        if (!rc)
            rc = add_text(out, r->message,
                          out->len < 2000 ? RIP_SLACK_SECTION_MAX - out->len : 1000, 1);
    }
    return rc;
}

static const rip_slack_result *find_result(const rip_slack_step *s,
                                           const rip_slack_result *res, size_t nres)
{
    for (size_t i = 0; i < nres; i++)
        if (res[i].run_id == s->run_id && res[i].step_id &&
            !strcmp(res[i].step_id, s->step_id))
            return &res[i];
    return NULL;
}

static int build(const rip_slack_incident *inc, const rip_slack_result *res, size_t nres,
                 rip_buf *json)
{
    if (!inc || !inc->title || (inc->nsteps && !inc->steps))
        return RIP_EINVAL;
    for (size_t i = 0; i < inc->nsteps; i++)
        if (!inc->steps[i].step_id || !*inc->steps[i].step_id)
            return RIP_EINVAL;

    size_t start = json->len;
    rip_buf tmp = RIP_BUF_INIT, line = RIP_BUF_INIT;
    char sev[32], head[64], value[RIP_SLACK_BUTTON_VALUE_MAX + 32];
    upper(sev, sizeof(sev), inc->severity ? inc->severity : "unknown");
    rip_jw w;
    rip_jw_init(&w, json);
    rip_jw_obj_begin(&w);
    if (inc->channel) {
        rip_jw_key(&w, "channel");
        rip_jw_str(&w, inc->channel);
    }

    /* The fallback text (notifications, screen readers): mrkdwn. */
    rip_buf_reset(&line);
    int rc = rip_buf_addf(&line, "%s incident #%" PRId64 ": ", sev, inc->id);
    if (!rc)
        rc = add_text(&line, inc->title, RIP_SLACK_SECTION_MAX - line.len, 1);
    if (rc && !w.err)
        w.err = rc;
    rip_jw_key(&w, "text");
    rip_jw_strn(&w, line.ptr, line.len);

    rip_jw_key(&w, "blocks");
    rip_jw_arr_begin(&w);

    /* header: "HIGH · title" in plain text. */
    snprintf(head, sizeof(head), "%s \xc2\xb7 ", sev);
    rip_buf_reset(&line);
    rc = rip_buf_adds(&line, head);
    if (!rc)
        rc = rip_buf_adds(&line, inc->title);
    if (rc && !w.err)
        w.err = rc;
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "type");
    rip_jw_str(&w, "header");
    rip_jw_key(&w, "text");
    jw_textobj(&w, &tmp, "plain_text", line.ptr, RIP_SLACK_HEADER_MAX);
    rip_jw_obj_end(&w);

    /* section: what happened. */
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "type");
    rip_jw_str(&w, "section");
    rip_jw_key(&w, "text");
    jw_textobj(&w, &tmp, "mrkdwn",
               inc->what && *inc->what ? inc->what : "No explanation recorded.",
               RIP_SLACK_WHAT_MAX);
    rip_jw_obj_end(&w);

    /* fields: what the incident is about. */
    const struct { const char *name, *value; } fields[] = {
        { "Account", inc->account },       { "Region", inc->region },
        { "Principal", inc->principal },   { "Access key", inc->access_key },
        { "Instance", inc->instance },     { "Source IP", inc->source_ip },
    };
    size_t nfields = 0;
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        nfields += fields[i].value && *fields[i].value;
    if (nfields) {
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "type");
        rip_jw_str(&w, "section");
        rip_jw_key(&w, "fields");
        rip_jw_arr_begin(&w);
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (!fields[i].value || !*fields[i].value)
                continue;
            rip_buf_reset(&line);
            rc = rip_buf_addf(&line, "*%s*\n", fields[i].name);
            if (!rc)
                rc = add_text(&line, fields[i].value, RIP_SLACK_FIELD_MAX - line.len, 1);
            if (rc && !w.err)
                w.err = rc;
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "type");
            rip_jw_str(&w, "mrkdwn");
            rip_jw_key(&w, "text");
            rip_jw_strn(&w, line.ptr, line.len);
            rip_jw_obj_end(&w);
        }
        rip_jw_arr_end(&w);
        rip_jw_obj_end(&w);
    }

    char ctx[96];
    snprintf(ctx, sizeof(ctx), "riposte \xc2\xb7 incident *#%" PRId64 "*", inc->id);
    context_block(&w, ctx);

    /* One actions block per step (action_ids are unique per block), or the
     * decision that replaced its buttons. */
    size_t shown = inc->nsteps < RIP_SLACK_MAX_STEPS ? inc->nsteps : RIP_SLACK_MAX_STEPS;
    for (size_t i = 0; i < shown && !w.err; i++) {
        const rip_slack_step *s = &inc->steps[i];
        const char *label = s->label && *s->label ? s->label : s->step_id;
        const rip_slack_result *r = find_result(s, res, nres);
        if (r) {
            rip_buf_reset(&line);
            rc = result_line(r, label, &line);
            if (rc && !w.err)
                w.err = rc;
            context_block(&w, line.ptr);
            continue;
        }
        int n = snprintf(value, sizeof(value), "%" PRId64 ":%s", s->run_id, s->step_id);
        if (n < 0 || (size_t)n > RIP_SLACK_BUTTON_VALUE_MAX) {
            if (!w.err)
                w.err = RIP_ELIMIT;
            break;
        }
        rip_buf_reset(&line);
        rc = rip_buf_adds(&line, "Approve: ");
        if (!rc)
            rc = rip_buf_adds(&line, label);
        if (rc && !w.err)
            w.err = rc;
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "type");
        rip_jw_str(&w, "actions");
        rip_jw_key(&w, "elements");
        rip_jw_arr_begin(&w);
        button(&w, &tmp, line.ptr, RIP_SLACK_ACTION_APPROVE, value,
               s->destructive ? "danger" : "primary");
        button(&w, &tmp, "Reject", RIP_SLACK_ACTION_REJECT, value, NULL);
        rip_jw_arr_end(&w);
        rip_jw_obj_end(&w);
    }
    if (inc->nsteps > shown) {
        snprintf(ctx, sizeof(ctx), "%zu more steps: see `riposte runs show`",
                 inc->nsteps - shown);
        context_block(&w, ctx);
    }
    rip_jw_arr_end(&w);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    rip_buf_release(&tmp);
    rip_buf_release(&line);
    if (rc && json->alloc) {
        json->len = start;
        json->ptr[start] = '\0';
    }
    return rc;
}

int rip_slack_incident_blocks(const rip_slack_incident *inc, rip_buf *json)
{
    return build(inc, NULL, 0, json);
}

int rip_slack_result_blocks(const rip_slack_incident *inc, const rip_slack_result *res,
                            size_t nres, rip_buf *json)
{
    if (nres && !res)
        return RIP_EINVAL;
    return build(inc, res, nres, json);
}

int rip_slack_notification_blocks(const char *channel, const char *severity,
                                  const char *message, int64_t incident_id,
                                  int64_t run_id, const char *step, rip_buf *json)
{
    size_t start = json->len;
    rip_buf tmp = RIP_BUF_INIT, ctx = RIP_BUF_INIT;
    int rc = rip_buf_addf(&ctx, "riposte \xc2\xb7 ");
    if (!rc)
        rc = add_text(&ctx, severity ? severity : "notice", 32, 1);
    if (!rc && incident_id)
        rc = rip_buf_addf(&ctx, " \xc2\xb7 incident *#%" PRId64 "*", incident_id);
    if (!rc && run_id)
        rc = rip_buf_addf(&ctx, " \xc2\xb7 run %" PRId64, run_id);
    if (!rc && step) {
        rc = rip_buf_adds(&ctx, " step ");
        if (!rc)
            rc = add_text(&ctx, step, 200, 1);
    }
    rip_jw w;
    rip_jw_init(&w, json);
    if (rc)
        w.err = rc;
    rip_jw_obj_begin(&w);
    if (channel) {
        rip_jw_key(&w, "channel");
        rip_jw_str(&w, channel);
    }
    rip_jw_key(&w, "text");
    jw_text(&w, &tmp, message, RIP_SLACK_SECTION_MAX, 1);
    rip_jw_key(&w, "blocks");
    rip_jw_arr_begin(&w);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "type");
    rip_jw_str(&w, "section");
    rip_jw_key(&w, "text");
    jw_textobj(&w, &tmp, "mrkdwn", message, RIP_SLACK_SECTION_MAX);
    rip_jw_obj_end(&w);
    context_block(&w, ctx.ptr);
    rip_jw_arr_end(&w);
    rip_jw_obj_end(&w);
    rc = rip_jw_finish(&w);
    rip_buf_release(&tmp);
    rip_buf_release(&ctx);
    if (rc && json->alloc) {
        json->len = start;
        json->ptr[start] = '\0';
    }
    return rc;
}
