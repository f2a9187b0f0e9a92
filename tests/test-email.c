/* test-email.c — src/notify/email.c: the message riposte mails (headers,
 * encoded subjects, Message-ID and threading, quoted-printable body, line
 * lengths, header injection from event fields), the SMTP client through
 * libcurl, and the outbox delivering to an email channel (4xx retried,
 * 5xx on the incident's timeline at once).
 *
 * No network: a real mail relay cannot be reached from the machines the
 * tests run on, so a tiny SMTP server in this process (a thread with a
 * listening socket on 127.0.0.1:0) stands in for one. It records the
 * commands and the message it receives and answers from a script. */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "notify/deliver.h"
#include "notify/email.h"
#include "store/store.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- the stand-in SMTP server ---- */

typedef struct smtp_script {
    const char *ehlo_extra;    /* extra "250-" lines, e.g. "AUTH PLAIN LOGIN" */
    int auth, mail, rcpt, data;   /* reply codes; 0: the usual success */
    int rcpt_fail_index;       /* with rcpt: only this RCPT (0-based) fails; -1: all */
} smtp_script;

typedef struct smtp_srv {
    int fd, port;
    pthread_t th;
    pthread_mutex_t mu;
    volatile int stop;
    smtp_script sc;
    rip_buf log;               /* every command line received, '\n'-separated */
    rip_buf data;              /* the DATA of the last transaction, as on the wire */
    rip_buf auth;              /* decoded "user\npass" */
    int sessions;
} smtp_srv;

static smtp_srv ss;

typedef struct conn {
    int fd;
    char buf[1 << 16];
    size_t have;
} conn;

/* One CRLF-terminated line into out (without CRLF); -1 on close or timeout. */
static int get_line(conn *c, char *out, size_t cap)
{
    for (;;) {
        char *e = memmem(c->buf, c->have, "\r\n", 2);
        if (e) {
            size_t n = (size_t)(e - c->buf);
            size_t k = n < cap - 1 ? n : cap - 1;
            memcpy(out, c->buf, k);
            out[k] = '\0';
            memmove(c->buf, e + 2, c->have - n - 2);
            c->have -= n + 2;
            return 0;
        }
        if (c->have == sizeof(c->buf))
            return -1;
        struct pollfd p = { c->fd, POLLIN, 0 };
        if (poll(&p, 1, 5000) <= 0)
            return -1;
        ssize_t r = recv(c->fd, c->buf + c->have, sizeof(c->buf) - c->have, 0);
        if (r <= 0)
            return -1;
        c->have += (size_t)r;
    }
}

static void put(conn *c, const char *s)
{
    (void)!send(c->fd, s, strlen(s), MSG_NOSIGNAL);
}

static void reply(conn *c, int code, int dflt, const char *text)
{
    char line[256];
    snprintf(line, sizeof(line), "%d %s\r\n", code ? code : dflt, text);
    put(c, line);
}

static void b64dec(const char *s, rip_buf *out)
{
    unsigned char tmp[1024];
    size_t n = strlen(s);
    if (n > 1000)
        return;
    int k = EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)n);
    if (k < 0)
        return;
    while (n && s[n - 1] == '=') {   /* EVP_DecodeBlock counts the padding */
        k--;
        n--;
    }
    rip_buf_add(out, tmp, (size_t)k);
}

static void serve_session(smtp_srv *s, int fd)
{
    conn *c = calloc(1, sizeof(*c));
    if (!c)
        return;
    c->fd = fd;
    char line[4096];
    int rcpts = 0;
    put(c, "220 fake.test ESMTP\r\n");
    while (get_line(c, line, sizeof(line)) == 0) {
        pthread_mutex_lock(&s->mu);
        rip_buf_adds(&s->log, line);
        rip_buf_addc(&s->log, '\n');
        smtp_script sc = s->sc;
        pthread_mutex_unlock(&s->mu);
        if (!strncasecmp(line, "EHLO", 4)) {
            char ehlo[256];
            snprintf(ehlo, sizeof(ehlo), "250-fake.test\r\n%s%s%s250 8BITMIME\r\n",
                     sc.ehlo_extra ? "250-" : "", sc.ehlo_extra ? sc.ehlo_extra : "",
                     sc.ehlo_extra ? "\r\n" : "");
            put(c, ehlo);
        } else if (!strncasecmp(line, "AUTH PLAIN", 10)) {
            char resp[4096] = "";
            if (line[10] == ' ')
                snprintf(resp, sizeof(resp), "%s", line + 11);
            else {
                put(c, "334 \r\n");
                if (get_line(c, resp, sizeof(resp)))
                    break;
            }
            rip_buf raw = RIP_BUF_INIT;
            b64dec(resp, &raw);
            /* authzid NUL user NUL pass */
            const char *u = memchr(raw.ptr, '\0', raw.len);
            pthread_mutex_lock(&s->mu);
            rip_buf_reset(&s->auth);
            if (u) {
                rip_buf_adds(&s->auth, u + 1);
                rip_buf_addc(&s->auth, '\n');
                rip_buf_adds(&s->auth, u + 1 + strlen(u + 1) + 1);
            }
            pthread_mutex_unlock(&s->mu);
            rip_buf_release(&raw);
            reply(c, sc.auth, 235, sc.auth >= 400 ? "5.7.8 no" : "2.7.0 ok");
        } else if (!strncasecmp(line, "AUTH LOGIN", 10)) {
            char u[1024], p[1024];
            put(c, "334 VXNlcm5hbWU6\r\n");
            if (get_line(c, u, sizeof(u)))
                break;
            put(c, "334 UGFzc3dvcmQ6\r\n");
            if (get_line(c, p, sizeof(p)))
                break;
            pthread_mutex_lock(&s->mu);
            rip_buf_reset(&s->auth);
            b64dec(u, &s->auth);
            rip_buf_addc(&s->auth, '\n');
            b64dec(p, &s->auth);
            pthread_mutex_unlock(&s->mu);
            reply(c, sc.auth, 235, "2.7.0 ok");
        } else if (!strncasecmp(line, "MAIL FROM:", 10)) {
            rcpts = 0;
            reply(c, sc.mail, 250, sc.mail >= 400 ? "no" : "ok");
        } else if (!strncasecmp(line, "RCPT TO:", 8)) {
            int fail = sc.rcpt && (sc.rcpt_fail_index < 0 || sc.rcpt_fail_index == rcpts);
            rcpts++;
            reply(c, fail ? sc.rcpt : 0, 250, fail ? "no such user" : "ok");
        } else if (!strcasecmp(line, "DATA")) {
            put(c, "354 go on\r\n");
            rip_buf d = RIP_BUF_INIT;
            int ok = 0;
            while (get_line(c, line, sizeof(line)) == 0) {
                if (!strcmp(line, ".")) {
                    ok = 1;
                    break;
                }
                rip_buf_adds(&d, line);
                rip_buf_add(&d, "\r\n", 2);
            }
            pthread_mutex_lock(&s->mu);
            rip_buf_reset(&s->data);
            rip_buf_add(&s->data, d.ptr, d.len);
            pthread_mutex_unlock(&s->mu);
            rip_buf_release(&d);
            if (!ok)
                break;
            reply(c, sc.data, 250, "queued");
        } else if (!strcasecmp(line, "QUIT")) {
            put(c, "221 bye\r\n");
            break;
        } else if (!strcasecmp(line, "RSET") || !strcasecmp(line, "NOOP")) {
            put(c, "250 ok\r\n");
        } else {
            put(c, "502 unknown\r\n");
        }
    }
    free(c);
}

static void *smtp_main(void *ud)
{
    smtp_srv *s = ud;
    while (!s->stop) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_mutex_lock(&s->mu);
        s->sessions++;
        pthread_mutex_unlock(&s->mu);
        serve_session(s, c);
        close(c);
    }
    return NULL;
}

static int smtp_start(smtp_srv *s)
{
    memset(s, 0, sizeof(*s));
    rip_buf_init(&s->log, 0);
    rip_buf_init(&s->data, 0);
    rip_buf_init(&s->auth, 0);
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(s->fd, 16) < 0 || getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    return pthread_create(&s->th, NULL, smtp_main, s) ? -1 : 0;
}

/* A new script; forgets what was received. */
static void smtp_reset(const smtp_script *sc)
{
    pthread_mutex_lock(&ss.mu);
    ss.sc = *sc;
    rip_buf_reset(&ss.log);
    rip_buf_reset(&ss.data);
    rip_buf_reset(&ss.auth);
    ss.sessions = 0;
    pthread_mutex_unlock(&ss.mu);
}

static void smtp_stop(smtp_srv *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->fd);
    rip_buf_release(&s->log);
    rip_buf_release(&s->data);
    rip_buf_release(&s->auth);
    pthread_mutex_destroy(&s->mu);
}

/* ---- helpers: reading a message back ---- */

/* The header block (up to the blank line) and the body. */
static void split_msg(const char *m, rip_buf *hdr, rip_buf *body)
{
    const char *e = strstr(m, "\r\n\r\n");
    if (!e) {
        rip_buf_adds(hdr, m);
        return;
    }
    rip_buf_add(hdr, m, (size_t)(e - m) + 2);
    rip_buf_adds(body, e + 4);
}

/* The unfolded value of header name ("" when absent). */
static void hval(const char *hdr, const char *name, char *out, size_t cap)
{
    out[0] = '\0';
    size_t nl = strlen(name), k = 0;
    for (const char *p = hdr; *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e)
            break;
        if ((size_t)(e - p) > nl && !strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            for (;;) {
                while (v < e && (*v == ' ' || *v == '\t'))
                    v++;
                while (v < e && k + 1 < cap)
                    out[k++] = *v++;
                p = e + 2;
                if (*p != ' ' && *p != '\t')
                    break;
                e = strstr(p, "\r\n");
                if (!e)
                    break;
                if (k + 1 < cap)
                    out[k++] = ' ';
                v = p;
            }
            out[k] = '\0';
            return;
        }
        p = e + 2;
    }
}

/* RFC 2047 B words of a Subject value decoded and joined (whitespace
 * between two encoded-words is dropped, as RFC 2047 6.2 says). */
static void decode_2047(const char *v, rip_buf *out)
{
    const char *p = v;
    int prev_word = 0;
    while (*p) {
        const char *w = strstr(p, "=?UTF-8?B?");
        if (!w) {
            rip_buf_adds(out, p);
            return;
        }
        int only_space = 1;
        for (const char *q = p; q < w; q++)
            only_space &= *q == ' ';
        if (!(prev_word && only_space))
            rip_buf_add(out, p, (size_t)(w - p));
        const char *e = strstr(w + 10, "?=");
        if (!e)
            return;
        char enc[128];
        snprintf(enc, sizeof(enc), "%.*s", (int)(e - w - 10), w + 10);
        b64dec(enc, out);
        prev_word = 1;
        p = e + 2;
    }
}

static int hexv(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Quoted-printable CRLF lines back to text with '\n' line breaks. */
static void decode_qp(const char *b, rip_buf *out)
{
    for (const char *p = b; *p;) {
        if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
            p += 3;
        } else if (p[0] == '=' && hexv(p[1]) >= 0 && hexv(p[2]) >= 0) {
            rip_buf_addc(out, (char)(hexv(p[1]) * 16 + hexv(p[2])));
            p += 3;
        } else if (p[0] == '\r' && p[1] == '\n') {
            rip_buf_addc(out, '\n');
            p += 2;
        } else {
            rip_buf_addc(out, *p++);
        }
    }
}

/* Every line of m ends in CRLF (no bare CR or LF), is at most max octets,
 * and (with ascii) is 7-bit. Returns the longest line. */
static size_t lines_ok(const char *m, size_t max, int ascii, int *ok)
{
    size_t longest = 0, col = 0;
    *ok = 1;
    for (const char *p = m; *p; p++) {
        if (*p == '\r') {
            if (p[1] != '\n')
                *ok = 0;
            if (col > longest)
                longest = col;
            col = 0;
            p++;
            continue;
        }
        if (*p == '\n' || (ascii && (unsigned char)*p > 0x7e))
            *ok = 0;
        col++;
    }
    if (col)
        *ok = 0;   /* a last line without CRLF */
    if (longest > max)
        *ok = 0;
    return longest;
}

/* Does any header line (not a continuation) start with name? */
static int has_header_line(const char *hdr, const char *name)
{
    size_t n = strlen(name);
    if (!strncasecmp(hdr, name, n))
        return 1;
    for (const char *p = strstr(hdr, "\r\n"); p; p = strstr(p + 2, "\r\n"))
        if (!strncasecmp(p + 2, name, n))
            return 1;
    return 0;
}

/* Every header line is "Name: value" with a token name, or a continuation. */
static int headers_well_formed(const char *hdr)
{
    for (const char *p = hdr; *p;) {
        const char *e = strstr(p, "\r\n");
        if (!e)
            return 0;
        if (*p != ' ' && *p != '\t') {
            const char *q = p;
            while (q < e && *q > 32 && *q < 127 && *q != ':')
                q++;
            if (q == p || q >= e || *q != ':')
                return 0;
        }
        for (const char *q = p; q < e; q++)
            if ((unsigned char)*q < 32 && *q != '\t')
                return 0;
        p = e + 2;
    }
    return 1;
}

/* ---- the content the tests mail ---- */

static rip_store_finding_row findings[2];
static rip_store_entity entities[3];
static rip_store_step_row steps[3];
static rip_store_incident incident;
static rip_store_run run;
static rip_store_notification_row row;

static void fill(void)
{
    memset(findings, 0, sizeof(findings));
    findings[0] = (rip_store_finding_row){
        .id = 1, .source = "guardduty",
        .rule_id = "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
        .title = "API called from a known malicious IP", .severity = "high",
        .time_ns = INT64_C(1700000000) * 1000000000, .account = "123456789012",
        .region = "us-east-1",
        .explanation = "Access key AKIAEXAMPLE of dev-alice called ListBuckets from 198.51.100.7.",
    };
    findings[1] = findings[0];
    findings[1].rule_id = "sigma:iam-console-login";
    findings[1].title = "Console login without MFA";
    findings[1].explanation = NULL;
    entities[0] = (rip_store_entity){ "access_key", "AKIAEXAMPLE", 1, 2 };
    entities[1] = (rip_store_entity){ "principal", "dev-alice", 1, 2 };
    entities[2] = (rip_store_entity){ "source_ip", "198.51.100.7", 1, 2 };
    memset(&incident, 0, sizeof(incident));
    incident.row = (rip_store_incident_row){
        .id = 42, .title = "Root key used from a new country", .severity = "high",
        .status = "open", .phase = "detected", .first_seen_ns = INT64_C(1700000000) * 1000000000,
        .last_seen_ns = INT64_C(1700000600) * 1000000000, .nfindings = 2, .nentities = 3,
    };
    incident.findings = findings;
    incident.nfindings = 2;
    incident.entities = entities;
    incident.nentities = 3;
    memset(steps, 0, sizeof(steps));
    steps[0] = (rip_store_step_row){ .step = "disable-key", .kind = "action",
                                     .action = "iam.disable_access_key", .state = "succeeded",
                                     .result = "{\"message\":\"access key AKIAEXAMPLE is "
                                               "Inactive\"}" };
    steps[1] = (rip_store_step_row){ .step = "terminate", .kind = "action",
                                     .action = "ec2.terminate_instance",
                                     .state = "waiting_approval" };
    steps[2] = (rip_store_step_row){ .step = "notify", .kind = "notify", .state = "succeeded" };
    memset(&run, 0, sizeof(run));
    run.id = 7;
    run.incident_id = 42;
    run.playbook = "compromised-access-key";
    run.state = "waiting";
    run.steps = steps;
    run.nsteps = 3;
    row = (rip_store_notification_row){
        .id = 9, .incident_id = 42, .run_id = 7, .step = "notify", .channel = "default",
        .severity = "high", .message = "Access key AKIAEXAMPLE of dev-alice was disabled.",
        .created_ns = 1,
    };
}

static const char *const two_to[] = { "secops@example.com", "oncall@example.org" };

static rip_email_cfg cfg_for(const char *url)
{
    return (rip_email_cfg){ .smtp_url = url, .from = "alerts@Example.COM", .to = two_to,
                            .nto = 2 };
}

/* ---- 1. the message ---- */

static void test_message(void)
{
    fill();
    rip_email_cfg c = cfg_for("smtp://127.0.0.1:25");
    rip_email_content m = { &row, &incident, &run };
    rip_buf msg = RIP_BUF_INIT, hdr = RIP_BUF_INIT, body = RIP_BUF_INIT, text = RIP_BUF_INIT;
    int rc = rip_email_build(&c, &m, 1700000000, &msg);
    CHECK(rc == 0, "build: a message for a notification with its incident and run (%s)",
          rip_strerror(rc));
    split_msg(msg.ptr, &hdr, &body);
    char v[1024];
    hval(hdr.ptr, "From", v, sizeof(v));
    CHECK(!strcmp(v, "riposte <alerts@Example.COM>"), "build: From (%s)", v);
    hval(hdr.ptr, "To", v, sizeof(v));
    CHECK(!strcmp(v, "secops@example.com, oncall@example.org"), "build: To lists both (%s)", v);
    hval(hdr.ptr, "Subject", v, sizeof(v));
    CHECK(!strcmp(v, "[riposte] HIGH incident #42: Root key used from a new country"),
          "build: Subject names severity, incident and title (%s)", v);
    hval(hdr.ptr, "Date", v, sizeof(v));
    CHECK(!strcmp(v, "Tue, 14 Nov 2023 22:13:20 +0000"), "build: Date in RFC 5322 form (%s)", v);
    hval(hdr.ptr, "Message-ID", v, sizeof(v));
    CHECK(!strcmp(v, "<riposte.incident-42.notification-9@example.com>"),
          "build: Message-ID from the incident, the notification and the sender's domain (%s)",
          v);
    char irt[256], refs[256];
    hval(hdr.ptr, "In-Reply-To", irt, sizeof(irt));
    hval(hdr.ptr, "References", refs, sizeof(refs));
    CHECK(!strcmp(irt, "<riposte.incident-42@example.com>") && !strcmp(refs, irt),
          "build: In-Reply-To and References name the incident's thread (%s)", irt);
    hval(hdr.ptr, "Content-Type", v, sizeof(v));
    char cte[64], mime[16], auto_sub[64], xi[16];
    hval(hdr.ptr, "Content-Transfer-Encoding", cte, sizeof(cte));
    hval(hdr.ptr, "MIME-Version", mime, sizeof(mime));
    hval(hdr.ptr, "Auto-Submitted", auto_sub, sizeof(auto_sub));
    hval(hdr.ptr, "X-Riposte-Incident", xi, sizeof(xi));
    CHECK(!strcmp(v, "text/plain; charset=UTF-8") && !strcmp(cte, "quoted-printable") &&
              !strcmp(mime, "1.0") && !strcmp(auto_sub, "auto-generated") && !strcmp(xi, "42"),
          "build: MIME headers, Auto-Submitted and X-Riposte-Incident");
    int ok;
    size_t longest = lines_ok(msg.ptr, 998, 1, &ok);
    CHECK(ok, "build: every line ends in CRLF, is 7-bit and at most 998 octets (%zu)", longest);
    lines_ok(body.ptr, 76, 1, &ok);
    CHECK(ok && headers_well_formed(hdr.ptr),
          "build: body lines at most 76 (quoted-printable); headers well formed");
    decode_qp(body.ptr, &text);
    CHECK(strstr(text.ptr, "Access key AKIAEXAMPLE of dev-alice was disabled.") &&
              strstr(text.ptr, "Incident #42: Root key used from a new country") &&
              strstr(text.ptr, "Severity: high") &&
              strstr(text.ptr, "- [high] UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom: "
                               "API called from a known malicious IP") &&
              strstr(text.ptr, "account 123456789012, region us-east-1") &&
              strstr(text.ptr, "- access_key: AKIAEXAMPLE") &&
              strstr(text.ptr, "- source_ip: 198.51.100.7") &&
              strstr(text.ptr, "Playbook run 7: compromised-access-key (waiting)") &&
              strstr(text.ptr, "- disable-key (iam.disable_access_key): succeeded: access key "
                               "AKIAEXAMPLE is Inactive") &&
              strstr(text.ptr, "- terminate (ec2.terminate_instance): proposed, waiting for "
                               "approval") &&
              strstr(text.ptr, "riposte incident show 42"),
          "build: the body says what happened, the incident, findings, assets, and the run's "
          "steps");
    if (!strstr(text.ptr, "Playbook run 7"))
        tap_diag("%s", text.ptr);

    /* Message-ID stability: a retry (later, same row) sends the same id. */
    rip_buf again = RIP_BUF_INIT, h2 = RIP_BUF_INIT, b2 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700003600, &again);
    split_msg(again.ptr, &h2, &b2);
    char mid1[256], mid2[256], d2[64];
    hval(hdr.ptr, "Message-ID", mid1, sizeof(mid1));
    hval(h2.ptr, "Message-ID", mid2, sizeof(mid2));
    hval(h2.ptr, "Date", d2, sizeof(d2));
    CHECK(!strcmp(mid1, mid2) && !strcmp(d2, "Tue, 14 Nov 2023 23:13:20 +0000"),
          "build: a retry an hour later has the same Message-ID, a new Date");
    row.id = 10;
    rip_buf next = RIP_BUF_INIT, h3 = RIP_BUF_INIT, b3 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &next);
    split_msg(next.ptr, &h3, &b3);
    char mid3[256], refs3[256];
    hval(h3.ptr, "Message-ID", mid3, sizeof(mid3));
    hval(h3.ptr, "References", refs3, sizeof(refs3));
    CHECK(!strcmp(mid3, "<riposte.incident-42.notification-10@example.com>") &&
              !strcmp(refs3, refs),
          "build: a follow-up has its own Message-ID and the same thread (%s)", mid3);
    row.id = 9;

    /* Without the store: the row alone. */
    rip_email_content bare = { &row, NULL, NULL };
    rip_buf b4 = RIP_BUF_INIT, h4 = RIP_BUF_INIT, bd4 = RIP_BUF_INIT, t4 = RIP_BUF_INIT;
    rc = rip_email_build(&c, &bare, 1700000000, &b4);
    split_msg(b4.ptr, &h4, &bd4);
    decode_qp(bd4.ptr, &t4);
    hval(h4.ptr, "Subject", v, sizeof(v));
    CHECK(rc == 0 && !strcmp(v, "[riposte] HIGH incident #42: Access key AKIAEXAMPLE of "
                                "dev-alice was disabled.") &&
              strstr(t4.ptr, "riposte notification 9, incident 42, run 7, step notify, "
                             "channel default"),
          "build: without the incident the subject is the message's first line (%s)", v);
    row.incident_id = 0;
    rip_buf b5 = RIP_BUF_INIT, h5 = RIP_BUF_INIT, bd5 = RIP_BUF_INIT;
    rip_email_build(&c, &bare, 1700000000, &b5);
    split_msg(b5.ptr, &h5, &bd5);
    hval(h5.ptr, "Message-ID", v, sizeof(v));
    CHECK(!strcmp(v, "<riposte.notification-9@example.com>") &&
              !has_header_line(h5.ptr, "In-Reply-To") && !has_header_line(h5.ptr, "References"),
          "build: a notification of no incident has no thread headers (%s)", v);
    row.incident_id = 42;

    /* A prefix of one's own, or none. */
    c.subject_prefix = "[SecOps]";
    rip_buf b6 = RIP_BUF_INIT, h6 = RIP_BUF_INIT, bd6 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &b6);
    split_msg(b6.ptr, &h6, &bd6);
    hval(h6.ptr, "Subject", v, sizeof(v));
    CHECK(!strncmp(v, "[SecOps] HIGH incident #42", 26), "build: subject_prefix (%s)", v);
    c.subject_prefix = NULL;

    rip_buf *bufs[] = { &msg, &hdr, &body, &text, &again, &h2, &b2, &next, &h3, &b3,
                        &b4, &h4, &bd4, &t4, &b5, &h5, &bd5, &b6, &h6, &bd6 };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        rip_buf_release(bufs[i]);
}

/* ---- 2. encoded subjects ---- */

static void test_subject(void)
{
    fill();
    rip_email_cfg c = cfg_for("smtp://127.0.0.1:25");
    rip_email_content m = { &row, &incident, &run };
    incident.row.title = "Clé root utilisée à Zürich — 東京から";
    rip_buf msg = RIP_BUF_INIT, hdr = RIP_BUF_INIT, body = RIP_BUF_INIT, dec = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &msg);
    split_msg(msg.ptr, &hdr, &body);
    char v[2048];
    hval(hdr.ptr, "Subject", v, sizeof(v));
    decode_2047(v, &dec);
    int ok;
    lines_ok(hdr.ptr, 78, 1, &ok);
    CHECK(!strncmp(v, "=?UTF-8?B?", 10) &&
              !strcmp(dec.ptr, "[riposte] HIGH incident #42: Clé root utilisée à Zürich — "
                               "東京から"),
          "subject: non-ASCII is RFC 2047 encoded and decodes back (%s)", dec.ptr);
    CHECK(ok, "subject: headers stay 7-bit, folded within 78 octets");

    /* Long and multibyte: many words, each whole characters, the text cut. */
    char title[1200] = "";
    for (int i = 0; i < 200; i++)
        strcat(title, "é東");
    incident.row.title = title;
    rip_buf m2 = RIP_BUF_INIT, h2 = RIP_BUF_INIT, b2 = RIP_BUF_INIT, d2 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &m2);
    split_msg(m2.ptr, &h2, &b2);
    hval(h2.ptr, "Subject", v, sizeof(v));
    int words = 0, each_ok = 1;
    for (const char *p = strstr(v, "=?UTF-8?B?"); p; p = strstr(p + 1, "=?UTF-8?B?")) {
        words++;
        const char *e = strstr(p + 10, "?=");
        if (!e || e + 2 - p > 75) {
            each_ok = 0;
            break;
        }
        rip_buf one = RIP_BUF_INIT;
        char enc[128];
        snprintf(enc, sizeof(enc), "%.*s", (int)(e - p - 10), p + 10);
        b64dec(enc, &one);
        /* A word must not end inside a character. */
        size_t n = one.len;
        size_t i = n;
        while (i > 0 && ((unsigned char)one.ptr[i - 1] & 0xc0) == 0x80)
            i--;
        if (i > 0) {
            unsigned char lead = (unsigned char)one.ptr[i - 1];
            size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
            each_ok &= n - (i - 1) == need;
        }
        rip_buf_release(&one);
    }
    decode_2047(v, &d2);
    lines_ok(h2.ptr, 998, 1, &ok);
    CHECK(words >= 5 && each_ok && ok,
          "subject: a long one is several encoded-words of at most 75, none splitting a "
          "character (%d words)", words);
    CHECK(d2.len <= 64 + 40 + RIP_EMAIL_SUBJECT_MAX + 3 && strstr(d2.ptr, "...") &&
              !strncmp(d2.ptr, "[riposte] HIGH incident #42: é東",
                       strlen("[riposte] HIGH incident #42: é東")),
          "subject: the title is cut, marked with '...' (%zu bytes)", d2.len);

    /* A long ASCII subject folds at spaces. */
    incident.row.title = "word word word word word word word word word word word word word "
                         "word word word word word word word word word word word word";
    rip_buf m3 = RIP_BUF_INIT, h3 = RIP_BUF_INIT, b3 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &m3);
    split_msg(m3.ptr, &h3, &b3);
    lines_ok(h3.ptr, 78, 1, &ok);
    hval(h3.ptr, "Subject", v, sizeof(v));
    CHECK(ok && !strstr(v, "=?") && strstr(h3.ptr, "\r\n word"),
          "subject: plain ASCII stays readable, folded at a space within 78");

    /* Text that looks like an encoded-word is encoded itself. */
    incident.row.title = "=?UTF-8?B?SGk=?= trick";
    rip_buf m4 = RIP_BUF_INIT, h4 = RIP_BUF_INIT, b4 = RIP_BUF_INIT, d4 = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &m4);
    split_msg(m4.ptr, &h4, &b4);
    hval(h4.ptr, "Subject", v, sizeof(v));
    decode_2047(v, &d4);
    CHECK(strstr(d4.ptr, "=?UTF-8?B?SGk=?= trick") != NULL,
          "subject: a title that looks encoded is shown as written (%s)", d4.ptr);

    rip_buf *bufs[] = { &msg, &hdr, &body, &dec, &m2, &h2, &b2, &d2, &m3, &h3, &b3,
                        &m4, &h4, &b4, &d4 };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        rip_buf_release(bufs[i]);
}

/* ---- 3. header injection ---- */

static void test_injection(void)
{
    fill();
    rip_email_cfg c = cfg_for("smtp://127.0.0.1:25");
    rip_email_content m = { &row, &incident, &run };
    incident.row.title = "Pwned\r\nBcc: victim@evil.example\r\n\r\nfake body\nX-Evil: 1\rY";
    incident.row.severity = "high\r\nX-Evil: 2";
    incident.row.status = "open\nX-Evil: 3";
    row.severity = "critical\r\nBcc: a@evil.example";
    row.step = "notify\r\nBcc: b@evil.example";
    row.channel = "default\nX-Evil: 4";
    row.message = "line one\r\n.\r\nMAIL FROM:<x@evil.example>\r\n.\nFrom evil\n\x01\x1b[31m"
                  "\xc2\x85next\xe2\x80\xa8sep\xff\xfe end";
    findings[0].rule_id = "rule\r\nBcc: c@evil.example";
    entities[0].value = "AKIA\r\nX-Evil: 5";
    rip_buf msg = RIP_BUF_INIT, hdr = RIP_BUF_INIT, body = RIP_BUF_INIT, text = RIP_BUF_INIT;
    int rc = rip_email_build(&c, &m, 1700000000, &msg);
    split_msg(msg.ptr, &hdr, &body);
    CHECK(rc == 0 && !has_header_line(hdr.ptr, "Bcc") && !has_header_line(hdr.ptr, "X-Evil") &&
              !has_header_line(hdr.ptr, "Y") && !strstr(hdr.ptr, "fake body") &&
              headers_well_formed(hdr.ptr),
          "injection: CR/LF in the title, severity, status, step and channel make no header");
    char v[1024], sev[64];
    hval(hdr.ptr, "Subject", v, sizeof(v));
    hval(hdr.ptr, "X-Riposte-Severity", sev, sizeof(sev));
    CHECK(!strcmp(v, "[riposte] UNKNOWN incident #42: Pwned Bcc: victim@evil.example fake "
                     "body X-Evil: 1 Y") &&
              !strcmp(sev, "unknown"),
          "injection: line breaks in the subject became spaces; a bad severity is 'unknown' "
          "(%s)", v);
    int ok;
    lines_ok(msg.ptr, 998, 1, &ok);
    int dot_or_from = 0;
    for (const char *p = body.ptr; p; p = strstr(p, "\r\n")) {
        if (p != body.ptr)
            p += 2;
        if (*p == '.' || !strncmp(p, "From ", 5))
            dot_or_from = 1;
        if (!*p)
            break;
    }
    CHECK(ok && !dot_or_from && !strstr(msg.ptr, "\r\n.\r\n"),
          "injection: no body line starts with '.' or 'From ': the SMTP end of data cannot be "
          "forged");
    decode_qp(body.ptr, &text);
    CHECK(strstr(text.ptr, "line one\n.\nMAIL FROM:<x@evil.example>\n.\nFrom evil\n") &&
              strstr(text.ptr, "  [31m next sep?? end") && !strchr(text.ptr, '\r') &&
              !strchr(text.ptr, 0x1b),
          "injection: the body keeps the text's lines, control characters are spaces, bad "
          "UTF-8 is '?'");
    CHECK(strstr(text.ptr, "- access_key: AKIA X-Evil: 5") &&
              strstr(text.ptr, "rule Bcc: c@evil.example: ") &&
              strstr(text.ptr, "step notify Bcc: b@evil.example, channel default X-Evil: 4"),
          "injection: one-line fields (entities, rule ids, step, channel) stay on one line");
    if (!strstr(text.ptr, "- access_key: AKIA X-Evil: 5"))
        tap_diag("%s", text.ptr);

    /* The configuration's addresses are checked, never cleaned. */
    const char *bad_to[] = { "ok@example.com", "x@example.com\r\nBcc: y@evil.example" };
    rip_email_cfg bad = cfg_for("smtp://127.0.0.1:25");
    bad.to = bad_to;
    rip_buf none = RIP_BUF_INIT;
    rip_buf_adds(&none, "kept");
    rc = rip_email_build(&bad, &m, 1700000000, &none);
    CHECK(rc == RIP_EINVAL && !strcmp(none.ptr, "kept"),
          "injection: a recipient with CR/LF is refused (RIP_EINVAL), the buffer untouched");
    bad.to = two_to;
    bad.from = "alerts@example.com>\r\nBcc: z@evil.example";
    CHECK(rip_email_build(&bad, &m, 1700000000, &none) == RIP_EINVAL,
          "injection: a sender with CR/LF is refused");
    rip_buf_release(&none);
    rip_buf *bufs[] = { &msg, &hdr, &body, &text };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        rip_buf_release(bufs[i]);
}

/* ---- 4. long lines and quoted-printable ---- */

static void test_long_lines(void)
{
    fill();
    rip_email_cfg c = cfg_for("smtp://127.0.0.1:25");
    rip_email_content m = { &row, NULL, NULL };
    size_t n = 6000;
    char *msgtext = malloc(n + 4000);
    if (!msgtext)
        return;
    memset(msgtext, 'a', n);
    msgtext[n] = '\0';
    strcat(msgtext, "\n");
    for (int i = 0; i < 300; i++)
        strcat(msgtext, "ü=");
    strcat(msgtext, "\ntrailing space \nx");
    strcat(msgtext, "\n");
    for (int i = 0; i < 75; i++)
        strcat(msgtext, "b");
    strcat(msgtext, ".dot after a soft break");
    row.message = msgtext;
    rip_buf msg = RIP_BUF_INIT, hdr = RIP_BUF_INIT, body = RIP_BUF_INIT, text = RIP_BUF_INIT;
    int rc = rip_email_build(&c, &m, 1700000000, &msg);
    split_msg(msg.ptr, &hdr, &body);
    int ok;
    size_t longest = lines_ok(body.ptr, 76, 1, &ok);
    CHECK(rc == 0 && ok, "long lines: a 6000-octet line is soft-broken; every line <= 76 (%zu)",
          longest);
    decode_qp(body.ptr, &text);
    CHECK(!strncmp(text.ptr, msgtext, strlen(msgtext)),
          "long lines: the body decodes to the message exactly");
    CHECK(strstr(body.ptr, "trailing space=20\r\n") && strstr(body.ptr, "=C3=BC=3D") &&
              strstr(body.ptr, "=\r\n=2Edot after"),
          "long lines: trailing space, '=' and UTF-8 encoded; a '.' after a soft break too");
    free(msgtext);
    rip_buf *bufs[] = { &msg, &hdr, &body, &text };
    for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++)
        rip_buf_release(bufs[i]);
}

/* ---- 5. addresses and the TLS policy ---- */

static void test_addresses(void)
{
    static const char *const good[] = { "a@b", "alerts@example.com", "first.last+tag@mail.co.uk",
                                        "x_y-z@sub-domain.example", NULL };
    static const char *const bad[] = { "", "a", "@b", "a@", "a@@b", "a@b@c", "a b@c", "a@b c",
                                       "<a@b>", "a@b,c@d", "a@b;c", "a@b.", "a@.b", ".a@b",
                                       "a.@b", "a..b@c", "a@b..c", "\"a\"@b", "a@b\r\nBcc: c",
                                       "a@b\n", "é@b", "a@[127.0.0.1]", "a@b_c", NULL };
    int ok = 1;
    for (size_t i = 0; good[i]; i++)
        if (!rip_email_address_ok(good[i])) {
            ok = 0;
            tap_diag("refused: %s", good[i]);
        }
    for (size_t i = 0; bad[i]; i++)
        if (rip_email_address_ok(bad[i])) {
            ok = 0;
            tap_diag("accepted: %s", bad[i]);
        }
    char lng[300];
    memset(lng, 'a', 250);
    memcpy(lng + 250, "@b.cd", 6);
    CHECK(ok && !rip_email_address_ok(lng) && !rip_email_address_ok(NULL),
          "addresses: plain addr-specs only; at most 254 octets");

    rip_email_cfg c = cfg_for("smtp://127.0.0.1:2525");
    int r1 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtp://localhost";
    int r2 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtp://[::1]:25/ehlo.example";
    int r3 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtp://mail.example.com:587";
    int r4 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtp://127.evil.example";
    int r5 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtp://mail.example.com:587";
    c.starttls = RIP_EMAIL_STARTTLS_TRY;
    int r6 = rip_email_starttls_effective(&c);
    CHECK(r1 == RIP_EMAIL_STARTTLS_OFF && r2 == RIP_EMAIL_STARTTLS_OFF &&
              r3 == RIP_EMAIL_STARTTLS_OFF && r4 == RIP_EMAIL_STARTTLS_REQUIRED &&
              r6 == RIP_EMAIL_STARTTLS_TRY,
          "starttls: required by default, off on a loopback host, or as configured");
    c.starttls = RIP_EMAIL_STARTTLS_DEFAULT;
    c.smtp_url = "smtp://127.0.0.53";
    int r7 = rip_email_starttls_effective(&c);
    c.smtp_url = "smtps://127.0.0.1:465";
    int r8 = rip_email_starttls_effective(&c);
    CHECK(r5 == RIP_EMAIL_STARTTLS_REQUIRED && r7 == RIP_EMAIL_STARTTLS_OFF &&
              r8 == RIP_EMAIL_STARTTLS_OFF,
          "starttls: a name starting with '127.' is not loopback; 127.0.0.53 is");

    fill();
    rip_email_content m = { &row, NULL, NULL };
    rip_buf out = RIP_BUF_INIT;
    rip_email_cfg none = cfg_for("smtp://127.0.0.1:25");
    none.nto = 0;
    const char *many[RIP_EMAIL_MAX_RCPT + 1];
    for (size_t i = 0; i <= RIP_EMAIL_MAX_RCPT; i++)
        many[i] = "a@example.com";
    rip_email_cfg lots = cfg_for("smtp://127.0.0.1:25");
    lots.to = many;
    lots.nto = RIP_EMAIL_MAX_RCPT + 1;
    CHECK(rip_email_build(&none, &m, 1, &out) == RIP_EINVAL &&
              rip_email_build(&lots, &m, 1, &out) == RIP_EINVAL && out.len == 0,
          "build: no recipient, or more than %d, is RIP_EINVAL", RIP_EMAIL_MAX_RCPT);
    rip_buf_release(&out);
}

/* ---- 6. sending over SMTP ---- */

static char smtp_url[128];

static void test_send(void)
{
    fill();
    rip_email_cfg c = cfg_for(smtp_url);
    c.username = "mailer-user";
    c.password = "S3cret-SMTP-Passw0rd";
    c.timeout_ms = 5000;
    rip_email_content m = { &row, &incident, &run };
    rip_buf msg = RIP_BUF_INIT;
    rip_email_build(&c, &m, 1700000000, &msg);
    char err[256];

    smtp_script ok_plain = { .ehlo_extra = "AUTH PLAIN", .rcpt_fail_index = -1 };
    smtp_reset(&ok_plain);
    int rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    pthread_mutex_lock(&ss.mu);
    int envelope = strstr(ss.log.ptr, "MAIL FROM:<alerts@Example.COM>") &&
                   strstr(ss.log.ptr, "RCPT TO:<secops@example.com>") &&
                   strstr(ss.log.ptr, "RCPT TO:<oncall@example.org>");
    int same = ss.data.len == msg.len && !memcmp(ss.data.ptr, msg.ptr, msg.len);
    int auth = !strcmp(ss.auth.ptr, "mailer-user\nS3cret-SMTP-Passw0rd");
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == 0, "send: the server took the message (%s)", rc ? err : "ok");
    CHECK(envelope, "send: the envelope: MAIL FROM the sender, RCPT TO each recipient");
    CHECK(same, "send: the server received the message byte for byte");
    CHECK(auth, "send: AUTH PLAIN carried the username and password");

    smtp_script ok_login = { .ehlo_extra = "AUTH LOGIN", .rcpt_fail_index = -1 };
    smtp_reset(&ok_login);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    pthread_mutex_lock(&ss.mu);
    auth = !strcmp(ss.auth.ptr, "mailer-user\nS3cret-SMTP-Passw0rd");
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == 0 && auth, "send: AUTH LOGIN too");

    /* libcurl stuffs a '.' at the start of a line (checked here, though
     * riposte's own messages never have one). */
    const char raw[] = "Subject: dots\r\n\r\nbefore\r\n.\r\n..two\r\nafter\r\n";
    smtp_reset(&ok_plain);
    rc = rip_email_send(&c, raw, sizeof(raw) - 1, err, sizeof(err));
    pthread_mutex_lock(&ss.mu);
    int stuffed = strstr(ss.data.ptr, "\r\n..\r\n...two\r\nafter\r\n") != NULL;
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == 0 && stuffed, "send: libcurl dot-stuffs lines starting with '.'");

    smtp_script s451 = { .rcpt = 451, .rcpt_fail_index = -1 };
    smtp_reset(&s451);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "SMTP 451") && strstr(err, "temporary"),
          "send: 451 at RCPT is RIP_EIO, worth a retry (%s)", err);

    smtp_script s452 = { .rcpt = 452, .rcpt_fail_index = 1 };
    smtp_reset(&s452);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "SMTP 452"),
          "send: one recipient's 452 fails the try (all are sent again) (%s)", err);

    smtp_script s421 = { .data = 421, .rcpt_fail_index = -1 };
    smtp_reset(&s421);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "SMTP 421"), "send: 421 after DATA is RIP_EIO (%s)",
          err);

    smtp_script s550 = { .mail = 550, .rcpt_fail_index = -1 };
    smtp_reset(&s550);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EINVAL && strstr(err, "SMTP 550") && strstr(err, "refused"),
          "send: 550 at MAIL FROM is RIP_EINVAL, permanent (%s)", err);

    smtp_script s554 = { .data = 554, .rcpt_fail_index = -1 };
    smtp_reset(&s554);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EINVAL && strstr(err, "SMTP 554"), "send: 554 after DATA is permanent (%s)",
          err);

    smtp_script s535 = { .ehlo_extra = "AUTH PLAIN", .auth = 535, .rcpt_fail_index = -1 };
    smtp_reset(&s535);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    pthread_mutex_lock(&ss.mu);
    int no_mail = !strstr(ss.log.ptr, "MAIL FROM");
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == RIP_EINVAL && strstr(err, "535") && strstr(err, "login refused") && no_mail,
          "send: a refused login (535) is permanent, nothing sent (%s)", err);
    CHECK(!strstr(err, "S3cret") && !strstr(err, "mailer-user") && !strstr(err, "127.0.0.1"),
          "send: errors hold no password, username or host");

    /* STARTTLS required (explicitly, even on loopback) but not offered:
     * refused before the password or the message is sent. */
    c.starttls = RIP_EMAIL_STARTTLS_REQUIRED;
    smtp_reset(&ok_plain);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    pthread_mutex_lock(&ss.mu);
    int nothing = !strstr(ss.log.ptr, "AUTH") && !strstr(ss.log.ptr, "MAIL FROM") &&
                  ss.auth.len == 0;
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == RIP_EINVAL && strstr(err, "STARTTLS") && nothing,
          "send: starttls required and not offered: permanent, no AUTH, no MAIL (%s)", err);
    c.starttls = RIP_EMAIL_STARTTLS_TRY;
    smtp_reset(&ok_plain);
    rc = rip_email_send(&c, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == 0, "send: starttls try goes on in plain text when not offered");
    c.starttls = RIP_EMAIL_STARTTLS_DEFAULT;

    /* Nothing listening: RIP_EIO. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    char dead[64];
    snprintf(dead, sizeof(dead), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
    close(fd);
    rip_email_cfg d = c;
    d.smtp_url = dead;
    rc = rip_email_send(&d, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EIO && !strstr(err, "127.0.0.1"),
          "send: no server is RIP_EIO, worth a retry (%s)", err);
    d.smtp_url = "http://127.0.0.1:1/";
    rc = rip_email_send(&d, msg.ptr, msg.len, err, sizeof(err));
    CHECK(rc == RIP_EINVAL, "send: only smtp:// and smtps:// URLs (%s)", err);
    rip_buf_release(&msg);
}

/* ---- 7. the outbox to an email channel ---- */

typedef struct rowcopy {
    int64_t id;
    uint32_t attempts;
    int64_t delivered_ns;
    char err[256];
} rowcopy;

typedef struct rows {
    rowcopy r[16];
    size_t n;
} rows;

static int grab(void *ud, const rip_store_notification_row *r)
{
    rows *rs = ud;
    if (rs->n < 16) {
        rowcopy *c = &rs->r[rs->n++];
        c->id = r->id;
        c->attempts = r->attempts;
        c->delivered_ns = r->delivered_ns;
        snprintf(c->err, sizeof(c->err), "%s", r->last_error ? r->last_error : "");
    }
    return 0;
}

static const rowcopy *find_row(const rows *rs, int64_t id)
{
    for (size_t i = 0; i < rs->n; i++)
        if (rs->r[i].id == id)
            return &rs->r[i];
    return NULL;
}

static int timeline(rip_store *st, int64_t inc, const char *kind, char *text, size_t cap)
{
    rip_store_incident *in = NULL;
    int n = 0;
    if (rip_store_incident_get(st, inc, &in) == 0)
        for (size_t i = 0; i < in->ntimeline; i++)
            if (!strcmp(in->timeline[i].kind, kind)) {
                n++;
                snprintf(text, cap, "%s", in->timeline[i].text);
            }
    rip_store_incident_free(in);
    return n;
}

static void test_deliver(void)
{
    char dir[128], db[200];
    snprintf(dir, sizeof(dir), "/tmp/riposte-email-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(db, sizeof(db), "%s/e.db", dir);
    rip_store *st = NULL;
    rip_store_error serr;
    if (!CHECK(rip_store_open(db, NULL, &st, &serr) == 0, "outbox: store opens"))
        return;
    rip_store_incident_new ni = { "Bucket made public", "critical", NULL, NULL, NULL, 1, 2, 3 };
    int64_t inc = 0;
    rip_store_incident_create(st, &ni, &inc);
    rip_email_cfg ec = cfg_for(smtp_url);
    ec.password = "S3cret-SMTP-Passw0rd";
    ec.username = "mailer-user";
    ec.timeout_ms = 5000;
    rip_notify_channel chans[] = {
        { .name = "mail", .kind = RIP_NOTIFY_EMAIL, .email = &ec },
    };
    rip_notify_channels ch = { .v = chans, .n = 1 };
    int64_t T = INT64_C(1800000000) * 1000000000;

    /* Delivered, with the incident from the store. */
    smtp_script ok = { .ehlo_extra = "AUTH PLAIN", .rcpt_fail_index = -1 };
    smtp_reset(&ok);
    rip_store_notification n1 = { inc, 0, "notify", "default", "critical", "bucket locked", 1 };
    int64_t id1 = 0;
    rip_store_put_notification(st, &n1, &id1);
    rip_notify_stats s;
    int rc = rip_notify_deliver(st, &ch, T, 0, &s);
    pthread_mutex_lock(&ss.mu);
    int titled = strstr(ss.data.ptr, "Subject: [riposte] CRITICAL incident #") &&
                 strstr(ss.data.ptr, ": Bucket made public\r\n");
    pthread_mutex_unlock(&ss.mu);
    CHECK(rc == 0 && s.delivered == 1 && titled,
          "outbox: 'default' goes to the email channel, with the incident's title from the "
          "store");

    /* 451: kept, retried after the backoff, then delivered. */
    smtp_script t451 = { .mail = 451, .rcpt_fail_index = -1 };
    smtp_reset(&t451);
    rip_store_notification n2 = { inc, 0, "notify", "mail", "high", "second", 1 };
    int64_t id2 = 0;
    rip_store_put_notification(st, &n2, &id2);
    rc = rip_notify_deliver(st, &ch, T + 1, 0, &s);
    rows rs = { .n = 0 };
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    const rowcopy *r2 = find_row(&rs, id2);
    char text[512] = "";
    CHECK(rc == 0 && s.failed == 1 && r2 && r2->attempts == 1 && !r2->delivered_ns &&
              strstr(r2->err, "SMTP 451") && timeline(st, inc, "notification_failed", text,
                                                      sizeof(text)) == 0,
          "outbox: a 451 is kept for a retry, not yet on the timeline (%s)", r2 ? r2->err : "");
    smtp_reset(&ok);
    rc = rip_notify_deliver(st, &ch, T + 1 + RIP_NOTIFY_BACKOFF_FIRST_NS, 0, &s);
    rs.n = 0;
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    r2 = find_row(&rs, id2);
    CHECK(rc == 0 && s.delivered == 1 && r2 && r2->delivered_ns && r2->attempts == 2,
          "outbox: after the backoff the 451'd row is delivered on its second try");

    /* 550: on the timeline at once, and still kept. */
    smtp_script p550 = { .rcpt = 550, .rcpt_fail_index = -1 };
    smtp_reset(&p550);
    rip_store_notification n3 = { inc, 0, "notify", "mail", "high", "third", 1 };
    int64_t id3 = 0;
    rip_store_put_notification(st, &n3, &id3);
    int64_t T3 = T + INT64_C(100) * 1000000000;
    rc = rip_notify_deliver(st, &ch, T3, 0, &s);
    rs.n = 0;
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    const rowcopy *r3 = find_row(&rs, id3);
    int nt = timeline(st, inc, "notification_failed", text, sizeof(text));
    CHECK(rc == 0 && s.failed == 1 && s.reported == 1 && nt == 1 &&
              strstr(text, "(email) was refused (try 1): email: SMTP 550"),
          "outbox: a 550 is on the incident's timeline at once: %s", text);
    CHECK(r3 && !r3->delivered_ns && r3->attempts == RIP_NOTIFY_FAIL_LIMIT &&
              strstr(r3->err, "SMTP 550"),
          "outbox: the refused row is kept pending, counted at the fail limit (%u)",
          r3 ? r3->attempts : 0);
    rc = rip_notify_deliver(st, &ch, T3 + 1, 0, &s);
    CHECK(rc == 0 && s.tried == 0 && s.deferred == 1,
          "outbox: it then waits the long backoff");
    rc = rip_notify_deliver(st, &ch, T3 + rip_notify_backoff_ns(RIP_NOTIFY_FAIL_LIMIT) + 1, 0,
                            &s);
    nt = timeline(st, inc, "notification_failed", text, sizeof(text));
    CHECK(rc == 0 && s.tried == 1 && s.failed == 1 && s.reported == 0 && nt == 1,
          "outbox: refused again later: tried, but no second timeline entry");
    smtp_reset(&ok);
    rc = rip_notify_deliver(st, &ch, T3 + INT64_C(7200) * 1000000000, 0, &s);
    rs.n = 0;
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    r3 = find_row(&rs, id3);
    CHECK(rc == 0 && s.delivered == 1 && r3 && r3->delivered_ns,
          "outbox: when the server takes it, the refused row is delivered: nothing lost");
    int clean = 1;
    for (size_t i = 0; i < rs.n; i++)
        clean &= !strstr(rs.r[i].err, "S3cret") && !strstr(rs.r[i].err, "mailer-user");
    CHECK(clean && !strstr(text, "S3cret"), "outbox: no stored error holds the password");

    rip_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
}

int main(void)
{
    test_message();
    test_subject();
    test_injection();
    test_long_lines();
    test_addresses();
    if (smtp_start(&ss)) {
        CHECK(0, "the stand-in SMTP server starts on 127.0.0.1");
        return tap_done();
    }
    snprintf(smtp_url, sizeof(smtp_url), "smtp://127.0.0.1:%d", ss.port);
    test_send();
    test_deliver();
    smtp_stop(&ss);
    return tap_done();
}
