/* email.c — notifications as RFC 5322 messages over SMTP (email.h).
 *
 * Building: the text is written first (UTF-8, '\n' line breaks, every
 * value from the store cleaned of control characters and invalid UTF-8
 * and cut to a size), then quoted-printable encoded into CRLF lines. The
 * headers are built from the configuration (addresses checked), numbers,
 * and one cleaned text, the subject.
 *
 * Sending: libcurl's SMTP (MAIL FROM, RCPT TO per recipient, DATA from a
 * read callback; libcurl appends the final "." line and escapes a "." at
 * the start of a line itself). SMTP reply codes decide what a failure
 * means: 4xx is worth a retry, 5xx is not. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloud/curl-load.h"
#include "notify/email.h"
#include "notify/http.h"
#include "util/base64.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define LINE_SOFT 78             /* headers are folded here when they can be */
#define QP_LINE 76               /* RFC 2045: encoded lines at most 76 */
#define MAX_FINDINGS 20
#define MAX_ENTITIES 50
#define MAX_STEPS 50
#define CUT_TITLE 300
#define CUT_MESSAGE 8000
#define CUT_EXPLANATION 1000
#define CUT_VALUE 300
#define CUT_RESULT 400

const char *rip_email_starttls_name(rip_email_starttls v)
{
    switch (v) {
    case RIP_EMAIL_STARTTLS_DEFAULT: return "default";
    case RIP_EMAIL_STARTTLS_REQUIRED: return "required";
    case RIP_EMAIL_STARTTLS_TRY: return "try";
    case RIP_EMAIL_STARTTLS_OFF: return "off";
    }
    return "?";
}

/* ---- addresses ---- */

int rip_email_address_ok(const char *a)
{
    if (!a)
        return 0;
    size_t n = strlen(a);
    const char *at = strchr(a, '@');
    if (!n || n > RIP_EMAIL_ADDRESS_MAX || !at || at == a || strchr(at + 1, '@') || !at[1] ||
        at[1] == '.' || a[n - 1] == '.' || a[0] == '.' || at[-1] == '.')
        return 0;
    for (const char *p = a; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"(),:;<>[\\]", ch))
            return 0;
        if (p > at && !(ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
                        (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return 0;
        if (ch == '.' && p[1] == '.')
            return 0;
    }
    return 1;
}

/* The host of an smtp[s]:// URL, without brackets, into out. */
static void url_host(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p || !cap)
        return;
    p += 3;
    const char *end = p + strcspn(p, "/?#");
    const char *at = memchr(p, '@', (size_t)(end - p));
    if (at)
        p = at + 1;
    const char *h = p, *he;
    if (*p == '[') {
        h = p + 1;
        he = memchr(h, ']', (size_t)(end - h));
        if (!he)
            return;
    } else {
        he = memchr(p, ':', (size_t)(end - p));
        if (!he)
            he = end;
    }
    size_t n = (size_t)(he - h);
    if (n >= cap)
        return;
    memcpy(out, h, n);
    out[n] = '\0';
}

rip_email_starttls rip_email_starttls_effective(const rip_email_cfg *c)
{
    if (c->starttls != RIP_EMAIL_STARTTLS_DEFAULT)
        return c->starttls;
    char host[256];
    url_host(c->smtp_url, host, sizeof(host));
    /* 127.0.0.0/8 as numbers only: "127.mail.example" is a name like any. */
    int v4_loop = !strncmp(host, "127.", 4) && strspn(host, "0123456789.") == strlen(host);
    if (!strcasecmp(host, "localhost") || !strcmp(host, "::1") || v4_loop)
        return RIP_EMAIL_STARTTLS_OFF;
    return RIP_EMAIL_STARTTLS_REQUIRED;
}

int rip_email_message_id(const char *from, int64_t incident_id, int64_t notification_id,
                         char *out, size_t cap, char *thread, size_t thread_cap)
{
    char dom[128];
    size_t k = 0;
    const char *at = from ? strrchr(from, '@') : NULL;
    for (const char *p = at ? at + 1 : ""; *p && k + 1 < sizeof(dom); p++) {
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '-')
            dom[k++] = (char)ch;
        else if (ch >= 'A' && ch <= 'Z')
            dom[k++] = (char)(ch - 'A' + 'a');
    }
    dom[k] = '\0';
    const char *d = k && dom[0] != '.' && dom[k - 1] != '.' ? dom : "riposte.invalid";
    int n;
    if (incident_id)
        n = snprintf(out, cap, "<riposte.incident-%" PRId64 ".notification-%" PRId64 "@%s>",
                     incident_id, notification_id, d);
    else
        n = snprintf(out, cap, "<riposte.notification-%" PRId64 "@%s>", notification_id, d);
    if (n < 0 || (size_t)n >= cap)
        return RIP_ELIMIT;
    if (thread && thread_cap) {
        thread[0] = '\0';
        if (incident_id) {
            n = snprintf(thread, thread_cap, "<riposte.incident-%" PRId64 "@%s>", incident_id, d);
            if (n < 0 || (size_t)n >= thread_cap)
                return RIP_ELIMIT;
        }
    }
    return 0;
}

/* ---- text ---- */

/* The length of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point, or 0 when it is not one (overlong, surrogate, > U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xe0) == 0xc0) {
        len = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        len = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Appends s cleaned: valid UTF-8 kept, an invalid byte becomes '?', a
 * control character (C0, DEL, C1, U+2028/2029) a space — except that with
 * multiline a line break (LF, CRLF, lone CR) stays one '\n' and a tab
 * stays. At most max bytes of s's text are kept, cut on a character, and
 * "..." marks a cut. */
static int add_clean(rip_buf *b, const char *s, size_t max, int multiline)
{
    if (!s)
        return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), used = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc;) {
        uint32_t cp = 0;
        size_t len = utf8_seq(p + i, n - i, &cp);
        if (used + (len ? len : 1) > max) {
            rc = rip_buf_adds(b, "...");
            break;
        }
        if (!len) {
            rc = rip_buf_addc(b, '?');
            i++, used++;
            continue;
        }
        if (cp == '\r' || cp == '\n') {
            if (cp == '\r' && i + 1 < n && p[i + 1] == '\n')
                i++;
            rc = rip_buf_addc(b, multiline ? '\n' : ' ');
        } else if (cp == '\t') {
            rc = rip_buf_addc(b, multiline ? '\t' : ' ');
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
                   cp == 0x2029) {
            rc = rip_buf_addc(b, ' ');
        } else {
            rc = rip_buf_add(b, p + i, len);
        }
        i += len;
        used += len;
    }
    return rc;
}

/* A name from the store (severity, status, phase) as it may be shown in
 * a header: [a-z_] only, at most 16, else "unknown". */
static const char *sev_name(const char *s)
{
    if (!s || !*s || strlen(s) > 16)
        return "unknown";
    for (const char *p = s; *p; p++)
        if ((*p < 'a' || *p > 'z') && *p != '_')
            return "unknown";
    return s;
}

static void fmt_time(int64_t ns, char out[RIP_TIME_FMT_MAX])
{
    if (ns > 0)
        rip_time_format(ns, out);
    else
        snprintf(out, RIP_TIME_FMT_MAX, "-");
}

/* A step result's "message" (JSON), cleaned onto b; nothing when none. */
static int add_result_message(rip_buf *b, const char *result)
{
    if (!result)
        return 0;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    int rc = 0;
    if (rip_json_parse(&d, result, strlen(result), NULL) == 0) {
        const rip_json_node *m = rip_json_get(rip_json_root(&d), "message");
        rip_slice ms = rip_json_is(m, RIP_JSON_STRING) ? rip_json_str(&d, m) : RIP_SLICE_NULL;
        if (ms.ptr && ms.len) {
            char *t = strndup(ms.ptr, ms.len);
            rc = t ? rip_buf_adds(b, ": ") : RIP_ENOMEM;
            if (!rc)
                rc = add_clean(b, t, CUT_RESULT, 0);
            free(t);
        }
    }
    rip_json_doc_release(&d);
    return rc;
}

/* The body as text ('\n' lines). */
static int body_text(const rip_email_content *m, rip_buf *t)
{
    const rip_store_notification_row *row = m->row;
    const rip_store_incident *inc = m->incident;
    const rip_store_run *run = m->run;
    int rc = 0;
#define ADD(expr)                                                                           \
    do {                                                                                    \
        if (!rc)                                                                            \
            rc = (expr);                                                                    \
    } while (0)
    ADD(add_clean(t, row->message && *row->message ? row->message : "(no message)",
                  CUT_MESSAGE, 1));
    ADD(rip_buf_adds(t, "\n\n"));
    if (inc) {
        char a[RIP_TIME_FMT_MAX], z[RIP_TIME_FMT_MAX];
        ADD(rip_buf_addf(t, "Incident #%" PRId64 ": ", inc->row.id));
        ADD(add_clean(t, inc->row.title, CUT_TITLE, 0));
        ADD(rip_buf_addf(t, "\nSeverity: %s\nStatus:   %s (%s)\n", sev_name(inc->row.severity),
                         sev_name(inc->row.status), sev_name(inc->row.phase)));
        if (inc->row.owner) {
            ADD(rip_buf_adds(t, "Owner:    "));
            ADD(add_clean(t, inc->row.owner, CUT_VALUE, 0));
            ADD(rip_buf_addc(t, '\n'));
        }
        fmt_time(inc->row.first_seen_ns, a);
        fmt_time(inc->row.last_seen_ns, z);
        ADD(rip_buf_addf(t, "Seen:     %s to %s\n", a, z));
        if (inc->nfindings) {
            ADD(rip_buf_addf(t, "\nFindings (%zu)\n", inc->nfindings));
            for (size_t i = 0; i < inc->nfindings && i < MAX_FINDINGS; i++) {
                const rip_store_finding_row *f = &inc->findings[i];
                ADD(rip_buf_addf(t, "- [%s] ", sev_name(f->severity)));
                if (f->rule_id) {
                    ADD(add_clean(t, f->rule_id, CUT_VALUE, 0));
                    ADD(rip_buf_adds(t, ": "));
                }
                ADD(add_clean(t, f->title, CUT_TITLE, 0));
                fmt_time(f->time_ns, a);
                ADD(rip_buf_adds(t, "\n  "));
                if (f->account) {
                    ADD(rip_buf_adds(t, "account "));
                    ADD(add_clean(t, f->account, CUT_VALUE, 0));
                    ADD(rip_buf_adds(t, ", "));
                }
                if (f->region) {
                    ADD(rip_buf_adds(t, "region "));
                    ADD(add_clean(t, f->region, CUT_VALUE, 0));
                    ADD(rip_buf_adds(t, ", "));
                }
                ADD(rip_buf_addf(t, "at %s\n", a));
                if (f->explanation) {
                    ADD(rip_buf_adds(t, "  "));
                    ADD(add_clean(t, f->explanation, CUT_EXPLANATION, 0));
                    ADD(rip_buf_addc(t, '\n'));
                }
            }
            if (inc->nfindings > MAX_FINDINGS)
                ADD(rip_buf_addf(t, "- and %zu more\n", inc->nfindings - MAX_FINDINGS));
        }
        if (inc->nentities) {
            ADD(rip_buf_adds(t, "\nAssets and entities\n"));
            for (size_t i = 0; i < inc->nentities && i < MAX_ENTITIES; i++) {
                ADD(rip_buf_adds(t, "- "));
                ADD(add_clean(t, inc->entities[i].type, 64, 0));
                ADD(rip_buf_adds(t, ": "));
                ADD(add_clean(t, inc->entities[i].value, CUT_VALUE, 0));
                ADD(rip_buf_addc(t, '\n'));
            }
            if (inc->nentities > MAX_ENTITIES)
                ADD(rip_buf_addf(t, "- and %zu more\n", inc->nentities - MAX_ENTITIES));
        }
    }
    if (run) {
        ADD(rip_buf_addf(t, "\nPlaybook run %" PRId64 ": ", run->id));
        ADD(add_clean(t, run->playbook, CUT_VALUE, 0));
        ADD(rip_buf_adds(t, " ("));
        ADD(add_clean(t, run->state, 64, 0));
        ADD(rip_buf_adds(t, run->dry_run ? ", dry run)\n" : ")\n"));
        for (size_t i = 0; i < run->nsteps && i < MAX_STEPS; i++) {
            const rip_store_step_row *s = &run->steps[i];
            ADD(rip_buf_adds(t, "- "));
            ADD(add_clean(t, s->step, CUT_VALUE, 0));
            if (s->action) {
                ADD(rip_buf_adds(t, " ("));
                ADD(add_clean(t, s->action, CUT_VALUE, 0));
                ADD(rip_buf_addc(t, ')'));
            }
            ADD(rip_buf_adds(t, ": "));
            if (s->state && !strcmp(s->state, "waiting_approval"))
                ADD(rip_buf_adds(t, "proposed, waiting for approval"));
            else
                ADD(add_clean(t, s->state, 64, 0));
            if (s->action)   /* a notify step's result is the message above */
                ADD(add_result_message(t, s->result));
            ADD(rip_buf_addc(t, '\n'));
        }
        if (run->nsteps > MAX_STEPS)
            ADD(rip_buf_addf(t, "- and %zu more steps\n", run->nsteps - MAX_STEPS));
    }
    ADD(rip_buf_addf(t, "\n-- \nriposte notification %" PRId64, row->id));
    if (row->incident_id)
        ADD(rip_buf_addf(t, ", incident %" PRId64, row->incident_id));
    if (row->run_id)
        ADD(rip_buf_addf(t, ", run %" PRId64, row->run_id));
    if (row->step) {
        ADD(rip_buf_adds(t, ", step "));
        ADD(add_clean(t, row->step, CUT_VALUE, 0));
    }
    ADD(rip_buf_adds(t, ", channel "));
    ADD(add_clean(t, row->channel, CUT_VALUE, 0));
    ADD(rip_buf_addf(t, ", severity %s\n", sev_name(row->severity)));
    if (row->incident_id)
        ADD(rip_buf_addf(t, "riposte incident show %" PRId64 "\n", row->incident_id));
#undef ADD
    return rc;
}

/* Quoted-printable (RFC 2045 6.7) of text with '\n' line breaks, as CRLF
 * lines of at most 76 octets. A '.' or "From " at the start of a line on
 * the wire is encoded too. */
static int add_qp(rip_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\n') {
            rc = rip_buf_add(b, "\r\n", 2);
            col = 0;
            continue;
        }
        int last = i + 1 == n || s[i + 1] == '\n';
        int enc = !((ch >= 33 && ch <= 126 && ch != '=') ||
                    ((ch == ' ' || ch == '\t') && !last));
        if (col == 0 && (ch == '.' || (ch == 'F' && n - i >= 5 && !memcmp(s + i, "From ", 5))))
            enc = 1;
        size_t w = enc ? 3 : 1;
        /* Room for the token, and for a soft break '=' after it unless the
         * line ends right after. */
        if (col + w > (last ? QP_LINE : QP_LINE - 1)) {
            rc = rip_buf_add(b, "=\r\n", 3);
            col = 0;
            if (rc)
                break;
            if (ch == '.' || (ch == 'F' && n - i >= 5 && !memcmp(s + i, "From ", 5)))
                enc = 1, w = 3;
        }
        if (enc) {
            char e[3] = { '=', hex[ch >> 4], hex[ch & 15] };
            rc = rip_buf_add(b, e, 3);
        } else {
            rc = rip_buf_addc(b, (char)ch);
        }
        col += w;
    }
    if (!rc && (!n || s[n - 1] != '\n'))
        rc = rip_buf_add(b, "\r\n", 2);
    return rc;
}

/* ---- headers ---- */

static int is_plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* "Subject: " and text (one line, cleaned), folded: plain ASCII at spaces
 * when a line passes 78, else as RFC 2047 B encoded-words of at most 75
 * characters, each on its own line, cut between UTF-8 characters. */
static int add_subject(rip_buf *b, const char *text)
{
    int rc = rip_buf_adds(b, "Subject:");
    size_t col = 8;
    if (is_plain_ascii(text) && !strstr(text, "=?")) {
        const char *p = text;
        while (!rc && *p) {
            while (*p == ' ')
                p++;
            size_t w = strcspn(p, " ");
            if (!w)
                break;
            if (col > 8 && col + 1 + w > LINE_SOFT) {
                rc = rip_buf_add(b, "\r\n", 2);
                col = 0;
            }
            if (!rc)
                rc = rip_buf_addc(b, ' ');
            if (!rc)
                rc = rip_buf_add(b, p, w);
            col += 1 + w;
            p += w;
        }
        return rc ? rc : rip_buf_add(b, "\r\n", 2);
    }
    /* 45 bytes of text are 60 of base64: " =?UTF-8?B?" + 60 + "?=" is 73;
     * the first word, after "Subject:", takes 39 (52 of base64, 73 too). */
    const unsigned char *p = (const unsigned char *)text;
    size_t n = strlen(text), i = 0;
    int first = 1;
    while (!rc && i < n) {
        size_t take = 0;
        while (i + take < n) {
            uint32_t cp;
            size_t len = utf8_seq(p + i + take, n - i - take, &cp);
            if (!len)
                len = 1;   /* cleaned text has none; be safe anyway */
            if (take + len > (first ? 39u : 45u))
                break;
            take += len;
        }
        char enc[64];
        size_t el = rip_base64_encode(enc, p + i, take);
        if (!first)
            rc = rip_buf_add(b, "\r\n", 2);
        if (!rc)
            rc = rip_buf_adds(b, " =?UTF-8?B?");
        if (!rc)
            rc = rip_buf_add(b, enc, el);
        if (!rc)
            rc = rip_buf_adds(b, "?=");
        first = 0;
        i += take;
    }
    return rc ? rc : rip_buf_add(b, "\r\n", 2);
}

/* "Tue, 14 Nov 2023 22:13:20 +0000" (RFC 5322 3.3), in any locale. */
static void rfc5322_date(int64_t s, char out[40])
{
    static const char *const day[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t t = (time_t)s;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) {
        t = 0;
        gmtime_r(&t, &tm);
    }
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", day[tm.tm_wday % 7],
             tm.tm_mday, mon[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
             tm.tm_sec);
}

/* "To:" and the addresses, folded after a comma when a line passes 78. */
static int add_to(rip_buf *b, const rip_email_cfg *c)
{
    int rc = rip_buf_adds(b, "To:");
    size_t col = 3;
    for (size_t i = 0; !rc && i < c->nto; i++) {
        size_t w = strlen(c->to[i]);
        if (i && col + 2 + w > LINE_SOFT) {
            rc = rip_buf_adds(b, ",\r\n");
            col = 0;
        } else if (i) {
            rc = rip_buf_addc(b, ',');
            col++;
        }
        if (!rc)
            rc = rip_buf_addc(b, ' ');
        if (!rc)
            rc = rip_buf_add(b, c->to[i], w);
        col += 1 + w;
    }
    return rc ? rc : rip_buf_add(b, "\r\n", 2);
}

static int check_cfg(const rip_email_cfg *c)
{
    if (!c || !rip_email_address_ok(c->from) || !c->nto || c->nto > RIP_EMAIL_MAX_RCPT ||
        !c->to)
        return RIP_EINVAL;
    for (size_t i = 0; i < c->nto; i++)
        if (!rip_email_address_ok(c->to[i]))
            return RIP_EINVAL;
    return 0;
}

int rip_email_build(const rip_email_cfg *c, const rip_email_content *m, int64_t now_s,
                    rip_buf *out)
{
    if (!m || !m->row || check_cfg(c))
        return RIP_EINVAL;
    const rip_store_notification_row *row = m->row;
    const rip_store_incident *inc = m->incident;
    int64_t incident_id = inc ? inc->row.id : row->incident_id;
    rip_buf msg = RIP_BUF_INIT, text = RIP_BUF_INIT, subj = RIP_BUF_INIT;
    char mid[200], thread[200], date[40];
    int rc = rip_email_message_id(c->from, incident_id, row->id, mid, sizeof(mid), thread,
                                  sizeof(thread));
    if (rc)
        goto out;
    rfc5322_date(now_s, date);

    /* The subject: prefix, severity, incident and its title (or the
     * message's first line). */
    const char *prefix = c->subject_prefix ? c->subject_prefix
                                           : RIP_EMAIL_SUBJECT_PREFIX_DEFAULT;
    char sev[20];
    snprintf(sev, sizeof(sev), "%s", sev_name(inc ? inc->row.severity : row->severity));
    for (char *p = sev; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    rc = add_clean(&subj, prefix, 64, 0);
    if (!rc && subj.len)
        rc = rip_buf_addc(&subj, ' ');
    if (!rc)
        rc = rip_buf_adds(&subj, sev);
    if (!rc && incident_id)
        rc = rip_buf_addf(&subj, " incident #%" PRId64, incident_id);
    if (!rc)
        rc = rip_buf_adds(&subj, ": ");
    if (!rc) {
        /* The title whole (on one line), or the message's first line. */
        const char *what = inc && inc->row.title ? inc->row.title : row->message;
        size_t len = !what ? 0 : what == row->message ? strcspn(what, "\r\n") : strlen(what);
        char *first = len ? strndup(what, len) : NULL;
        if (len && !first)
            rc = RIP_ENOMEM;
        else
            rc = add_clean(&subj, first ? first : "notification", RIP_EMAIL_SUBJECT_MAX, 0);
        free(first);
    }
    if (!rc)
        rc = body_text(m, &text);

    if (!rc)
        rc = rip_buf_addf(&msg, "From: riposte <%s>\r\n", c->from);
    if (!rc)
        rc = add_to(&msg, c);
    if (!rc)
        rc = add_subject(&msg, subj.ptr);
    if (!rc)
        rc = rip_buf_addf(&msg, "Date: %s\r\nMessage-ID: %s\r\n", date, mid);
    if (!rc && thread[0])
        rc = rip_buf_addf(&msg, "In-Reply-To: %s\r\nReferences: %s\r\n", thread, thread);
    if (!rc)
        rc = rip_buf_adds(&msg, "MIME-Version: 1.0\r\n"
                                "Content-Type: text/plain; charset=UTF-8\r\n"
                                "Content-Transfer-Encoding: quoted-printable\r\n"
                                "Auto-Submitted: auto-generated\r\n");
    if (!rc && incident_id)
        rc = rip_buf_addf(&msg, "X-Riposte-Incident: %" PRId64 "\r\n", incident_id);
    if (!rc)
        rc = rip_buf_addf(&msg, "X-Riposte-Notification: %" PRId64 "\r\n"
                                "X-Riposte-Severity: %s\r\n\r\n",
                          row->id, sev_name(row->severity));
    if (!rc)
        rc = add_qp(&msg, text.ptr, text.len);
    if (!rc)
        rc = rip_buf_add(out, msg.ptr, msg.len);
out:
    rip_buf_release(&msg);
    rip_buf_release(&text);
    rip_buf_release(&subj);
    return rc;
}

/* ---- sending ---- */

typedef struct reader {
    const char *p;
    size_t len, off;
} reader;

static size_t on_read(char *dst, size_t sz, size_t n, void *ud)
{
    reader *r = ud;
    size_t want = sz * n, left = r->len - r->off;
    if (want > left)
        want = left;
    memcpy(dst, r->p + r->off, want);
    r->off += want;
    return want;
}

/* Discards whatever libcurl would print of the server's replies. */
static size_t on_write(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

int rip_email_send(const rip_email_cfg *c, const char *msg, size_t len, char *err,
                   size_t errcap)
{
    char dummy[1];
    if (!errcap) {
        err = dummy;
        errcap = sizeof(dummy);
    }
    err[0] = '\0';
    if (check_cfg(c) || !c->smtp_url ||
        (strncmp(c->smtp_url, "smtp://", 7) && strncmp(c->smtp_url, "smtps://", 8)) ||
        (!msg && len)) {
        snprintf(err, errcap, "email: needs an smtp:// or smtps:// URL, a sender and 1 to %d "
                 "recipients, each a plain address", RIP_EMAIL_MAX_RCPT);
        return RIP_EINVAL;
    }
    const rip_curl_api *curl = rip_curl();
    if (!curl) {
        snprintf(err, errcap, "email: %s", rip_curl_load_error());
        return RIP_EIO;
    }
    CURL *cu = curl->easy_init();
    if (!cu) {
        snprintf(err, errcap, "email: cannot start an SMTP transfer");
        return RIP_ENOMEM;
    }
    struct curl_slist *rcpt = NULL;
    int rc = 0;
    char addr[RIP_EMAIL_ADDRESS_MAX + 3];
    for (size_t i = 0; i < c->nto; i++) {
        snprintf(addr, sizeof(addr), "<%s>", c->to[i]);
        struct curl_slist *nl = curl->slist_append(rcpt, addr);
        if (!nl) {
            rc = RIP_ENOMEM;
            snprintf(err, errcap, "email: out of memory");
            goto out;
        }
        rcpt = nl;
    }
    char from[RIP_EMAIL_ADDRESS_MAX + 3];
    snprintf(from, sizeof(from), "<%s>", c->from);
    long timeout = c->timeout_ms > 0 ? c->timeout_ms : RIP_EMAIL_TIMEOUT_MS_DEFAULT;
    reader r = { msg ? msg : "", len, 0 };
    curl->easy_setopt(cu, CURLOPT_URL, c->smtp_url);
    curl->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(cu, CURLOPT_TIMEOUT_MS, timeout);
    curl->easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, timeout < 10000 ? timeout : 10000L);
    curl->easy_setopt(cu, CURLOPT_MAIL_FROM, from);
    curl->easy_setopt(cu, CURLOPT_MAIL_RCPT, rcpt);
    curl->easy_setopt(cu, CURLOPT_UPLOAD, 1L);
    curl->easy_setopt(cu, CURLOPT_READFUNCTION, on_read);
    curl->easy_setopt(cu, CURLOPT_READDATA, &r);
    curl->easy_setopt(cu, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl->easy_setopt(cu, CURLOPT_WRITEFUNCTION, on_write);
    rip_email_starttls tls = rip_email_starttls_effective(c);
    if (!strncmp(c->smtp_url, "smtp://", 7))
        curl->easy_setopt(cu, CURLOPT_USE_SSL,
                          tls == RIP_EMAIL_STARTTLS_OFF   ? (long)CURLUSESSL_NONE
                          : tls == RIP_EMAIL_STARTTLS_TRY ? (long)CURLUSESSL_TRY
                                                          : (long)CURLUSESSL_ALL);
    if (c->username && *c->username) {
        curl->easy_setopt(cu, CURLOPT_USERNAME, c->username);
        curl->easy_setopt(cu, CURLOPT_PASSWORD, c->password ? c->password : "");
    }
    CURLcode cc = curl->easy_perform(cu);
    long code = 0;
    curl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &code);
    if (cc == CURLE_OK)
        goto out;
    const char *why = curl->easy_strerror(cc);
    if (cc == CURLE_USE_SSL_FAILED) {
        rc = RIP_EINVAL;
        snprintf(err, errcap, "email: the server does not offer STARTTLS (starttls: required)");
    } else if (code >= 400 && code <= 499) {
        rc = RIP_EIO;
        snprintf(err, errcap, "email: SMTP %ld, a temporary failure (%s)", code, why);
    } else if (cc == CURLE_LOGIN_DENIED) {
        rc = RIP_EINVAL;
        snprintf(err, errcap, "email: SMTP %ld, login refused", code);
    } else if (code >= 500 && code <= 599) {
        rc = RIP_EINVAL;
        snprintf(err, errcap, "email: SMTP %ld, refused (%s)", code, why);
    } else if (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL) {
        rc = RIP_EINVAL;
        snprintf(err, errcap, "email: %s", why);
    } else {
        rc = RIP_EIO;
        snprintf(err, errcap, "email: %s", why);
    }
out:
    if (rc) {
        rip_notify_scrub(err, c->password);
        rip_notify_scrub(err, c->username);
    }
    curl->slist_free_all(rcpt);
    curl->easy_cleanup(cu);
    return rc;
}

int rip_email_notify(const rip_email_cfg *c, const rip_email_content *m, int64_t now_s,
                     char *err, size_t errcap)
{
    rip_buf msg = RIP_BUF_INIT;
    int rc = rip_email_build(c, m, now_s, &msg);
    if (rc) {
        if (errcap)
            snprintf(err, errcap, "email: cannot build the message: %s",
                     rc == RIP_EINVAL ? "the sender and 1 to 100 recipients must be plain "
                                        "addresses"
                                      : rip_strerror(rc));
    } else {
        rc = rip_email_send(c, msg.ptr, msg.len, err, errcap);
    }
    rip_buf_release(&msg);
    return rc;
}

int rip_email_load(rip_store *st, const rip_store_notification_row *row,
                   rip_store_incident **inc, rip_store_run **run)
{
    *inc = NULL;
    *run = NULL;
    rip_store_incident *i = NULL;
    rip_store_run *r = NULL;
    int rc = 0;
    if (row->incident_id) {
        rc = rip_store_incident_get(st, row->incident_id, &i);
        if (rc == RIP_ENOTFOUND)
            rc = 0;
    }
    if (!rc && row->run_id) {
        rc = rip_store_run_get(st, row->run_id, &r);
        if (rc == RIP_ENOTFOUND)
            rc = 0;
    }
    if (rc) {
        rip_store_incident_free(i);
        rip_store_run_free(r);
        return rc;
    }
    *inc = i;
    *run = r;
    return 0;
}
