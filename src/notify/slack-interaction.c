/* slack-interaction.c — a block_actions callback's form body → the fields
 * riposte acts on (slack.h).
 *
 * The body is URL-encoded form data; its `payload` field is the URL-encoded
 * JSON Slack documents. Everything is bounded: the body (64 KiB), the JSON
 * (its size, depth, members and nodes) and each field (its buffer in
 * rip_slack_interaction). A value is copied only when it fits; nothing is
 * cut. Errors name fields, never values (the payload carries a
 * verification token). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify/slack.h"
#include "util/err.h"
#include "util/json.h"

static int fail(int rc, char *why, size_t cap, const char *fmt, const char *arg)
{
    if (cap)
        snprintf(why, cap, fmt, arg);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Form-decodes s[0..n) ('+' is a space, %XX a byte) into out. */
static int form_decode(const char *s, size_t n, rip_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n)
                return RIP_EINVAL;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return RIP_EINVAL;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        int rc = rip_buf_addc(out, c);
        if (rc)
            return rc;
    }
    return 0;
}

/* Copies the string at path (first of two paths) into dst[cap]. Absent or
 * null leaves dst "" (required: RIP_EINVAL); not a string, RIP_EINVAL. */
static int field(rip_json_doc *d, const rip_json_node *root, const char *path,
                 const char *alt, int required, char *dst, size_t cap, char *why,
                 size_t whycap)
{
    const rip_json_node *n = rip_json_path(root, path);
    const char *name = path;
    if ((!n || n->type == RIP_JSON_NULL) && alt) {
        n = rip_json_path(root, alt);
        if (n && n->type != RIP_JSON_NULL)
            name = alt;
    }
    if (!n || n->type == RIP_JSON_NULL) {
        if (required)
            return fail(RIP_EINVAL, why, whycap, "payload field '%s' is missing", path);
        dst[0] = '\0';
        return 0;
    }
    if (n->type != RIP_JSON_STRING)
        return fail(RIP_EINVAL, why, whycap, "payload field '%s' is not a string", name);
    rip_slice v = rip_json_str(d, n);
    if (!v.ptr)
        return fail(RIP_ENOMEM, why, whycap, "out of memory reading '%s'", name);
    if (v.len >= cap) {
        if (whycap)
            snprintf(why, whycap, "payload field '%s' is longer than %zu bytes", name,
                     cap - 1);
        return RIP_ELIMIT;
    }
    if (memchr(v.ptr, '\0', v.len))
        return fail(RIP_EINVAL, why, whycap, "payload field '%s' holds a NUL byte", name);
    if (required && v.len == 0)
        return fail(RIP_EINVAL, why, whycap, "payload field '%s' is empty", name);
    memcpy(dst, v.ptr, v.len);
    dst[v.len] = '\0';
    return 0;
}

int rip_slack_parse_interaction(const char *form_body, size_t len,
                                rip_slack_interaction *out, char *why, size_t cap)
{
    if (!form_body && len)
        return fail(RIP_EINVAL, why, cap, "%s", "no body");
    if (len > RIP_SLACK_INTERACTION_MAX_BODY) {
        if (cap)
            snprintf(why, cap, "interaction body is larger than %d bytes",
                     RIP_SLACK_INTERACTION_MAX_BODY);
        return RIP_ELIMIT;
    }

    /* Find the payload field among the form's fields. */
    const char *p = NULL;
    size_t plen = 0;
    for (size_t i = 0; i < len;) {
        size_t e = i;
        while (e < len && form_body[e] != '&')
            e++;
        if (e - i >= 8 && !memcmp(form_body + i, "payload=", 8)) {
            if (p)
                return fail(RIP_EINVAL, why, cap, "%s", "the body has two 'payload' fields");
            p = form_body + i + 8;
            plen = e - i - 8;
        }
        i = e + 1;
    }
    if (!p)
        return fail(RIP_EINVAL, why, cap, "%s", "the body has no 'payload' field");

    rip_buf json = RIP_BUF_INIT;
    rip_buf_init(&json, RIP_SLACK_INTERACTION_MAX_BODY);
    rip_json_doc d;
    rip_json_limits lim = { RIP_SLACK_INTERACTION_MAX_BODY, 32, 4096, 16384 };
    rip_json_doc_init(&d, &lim);
    rip_slack_interaction r;
    memset(&r, 0, sizeof(r));
    int rc = form_decode(p, plen, &json);
    if (rc) {
        if (rc == RIP_EINVAL)
            fail(rc, why, cap, "%s", "'payload' has a bad %-escape");
        else
            fail(rc, why, cap, "%s", "out of memory");
        goto out;
    }
    rip_json_error je;
    rc = rip_json_parse(&d, json.ptr, json.len, &je);
    if (rc) {
        if (cap)
            snprintf(why, cap, "'payload' is not JSON: line %u column %u: %s", je.line,
                     je.column, je.msg);
        goto out;
    }
    const rip_json_node *root = rip_json_root(&d);
    if (!rip_json_is(root, RIP_JSON_OBJECT)) {
        rc = fail(RIP_EINVAL, why, cap, "%s", "'payload' is not a JSON object");
        goto out;
    }
    if ((rc = field(&d, root, "type", NULL, 1, r.type, sizeof(r.type), why, cap)))
        goto out;
    if (strcmp(r.type, "block_actions")) {
        /* The type is checked to be short and NUL-free above, but it is
         * still text from outside: say only that it is another. */
        rc = fail(RIP_ETYPE, why, cap, "%s", "interaction type is not block_actions");
        goto out;
    }
    const rip_json_node *acts = rip_json_get(root, "actions");
    if (!rip_json_is(acts, RIP_JSON_ARRAY) || rip_json_count(acts) == 0) {
        rc = fail(RIP_EINVAL, why, cap, "%s", "payload field 'actions' is missing or empty");
        goto out;
    }
    const rip_json_node *a0 = rip_json_at(acts, 0);
    if (!rip_json_is(a0, RIP_JSON_OBJECT)) {
        rc = fail(RIP_EINVAL, why, cap, "%s", "payload field 'actions[0]' is not an object");
        goto out;
    }
    if ((rc = field(&d, root, "user.id", NULL, 1, r.user_id, sizeof(r.user_id), why, cap)) ||
        (rc = field(&d, root, "user.username", "user.name", 0, r.user_name,
                    sizeof(r.user_name), why, cap)) ||
        (rc = field(&d, root, "team.id", "user.team_id", 0, r.team_id, sizeof(r.team_id),
                    why, cap)) ||
        (rc = field(&d, root, "channel.id", "container.channel_id", 0, r.channel_id,
                    sizeof(r.channel_id), why, cap)) ||
        (rc = field(&d, root, "container.message_ts", "message.ts", 0, r.message_ts,
                    sizeof(r.message_ts), why, cap)) ||
        (rc = field(&d, root, "response_url", NULL, 0, r.response_url,
                    sizeof(r.response_url), why, cap)))
        goto out;
    if ((rc = field(&d, a0, "action_id", NULL, 1, r.action_id, sizeof(r.action_id), why,
                    cap)) ||
        (rc = field(&d, a0, "value", NULL, 0, r.value, sizeof(r.value), why, cap))) {
        /* Name the field from the payload's root. */
        if (cap && !strncmp(why, "payload field '", 15)) {
            char tmp[256];
            snprintf(tmp, sizeof(tmp), "payload field 'actions[0].%s", why + 15);
            snprintf(why, cap, "%s", tmp);
        }
        goto out;
    }
    *out = r;
out:
    rip_json_doc_release(&d);
    rip_buf_release(&json);
    return rc;
}

int rip_slack_parse_button_value(const char *value, int64_t *run_id, char *step, size_t cap)
{
    if (!value)
        return RIP_EINVAL;
    const char *colon = strchr(value, ':');
    if (!colon || colon == value || colon - value > 18 || !colon[1])
        return RIP_EINVAL;
    int64_t run = 0;
    for (const char *p = value; p < colon; p++) {
        if (!isdigit((unsigned char)*p))
            return RIP_EINVAL;
        run = run * 10 + (*p - '0');
    }
    if (run <= 0)
        return RIP_EINVAL;
    size_t n = strlen(colon + 1);
    if (n >= cap)
        return RIP_ELIMIT;
    memcpy(step, colon + 1, n + 1);
    *run_id = run;
    return 0;
}
