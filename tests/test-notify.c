/* test-notify.c — src/notify: Slack request signatures (checked against
 * Slack's published vector in ../shared/corpus/slack), block_actions
 * parsing (the corpus payloads), Block Kit messages (limits, escaping),
 * the Slack, PagerDuty and webhook clients, and the outbox delivery with
 * its backoff and timeline entry.
 *
 * No network: Slack and PagerDuty cannot be reached from the machines the
 * tests run on, so a tiny HTTP server in this process (a thread with a
 * listening socket on 127.0.0.1:0) stands in for them. It records every
 * request and answers from a script of canned responses. */
#include <arpa/inet.h>
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
#include <openssl/hmac.h>

#include "notify/deliver.h"
#include "notify/pagerduty.h"
#include "notify/slack.h"
#include "notify/webhook.h"
#include "store/store.h"
#include "tap.h"
#include "util/err.h"
#include "util/json.h"

/* ---- the stand-in server ---- */

#define MAX_ROUTES 16
#define MAX_REQS 64

typedef struct route {
    char path[128];        /* prefix of the request target */
    int status;
    char headers[256];     /* extra header lines, each ending in \r\n */
    char body[2048];
    int times;             /* -1: forever */
} route;

typedef struct req {
    char target[512];
    char *headers;         /* the header block (malloc'ed) */
    char *body;            /* malloc'ed, NUL-terminated */
    size_t body_len;
} req;

typedef struct server {
    int fd, port;
    pthread_t th;
    pthread_mutex_t mu;
    volatile int stop;
    route routes[MAX_ROUTES];
    size_t nroutes;
    req reqs[MAX_REQS];
    size_t nreqs;
} server;

static server srv;

static void serve_one(server *s, int c)
{
    size_t cap = 1 << 20, have = 0;
    char *buf = malloc(cap + 1);
    char *end = NULL;
    while (buf && !(end = memmem(buf, have, "\r\n\r\n", 4))) {
        ssize_t r = recv(c, buf + have, cap - have, 0);
        if (r <= 0)
            goto out;
        have += (size_t)r;
    }
    if (!buf)
        return;
    size_t hlen = (size_t)(end - buf) + 4;
    buf[have] = '\0';
    size_t clen = 0;
    char *cl = strcasestr(buf, "\r\ncontent-length:");
    if (cl && cl < end)
        clen = strtoul(cl + 17, NULL, 10);
    while (have < hlen + clen && have < cap) {
        ssize_t r = recv(c, buf + have, cap - have, 0);
        if (r <= 0)
            goto out;
        have += (size_t)r;
    }
    char target[512] = "";
    sscanf(buf, "%*s %511s", target);
    pthread_mutex_lock(&s->mu);
    if (s->nreqs < MAX_REQS) {
        req *q = &s->reqs[s->nreqs++];
        snprintf(q->target, sizeof(q->target), "%s", target);
        q->headers = strndup(buf, hlen);
        q->body = strndup(buf + hlen, clen);
        q->body_len = clen;
    }
    route *r = NULL;
    for (size_t i = 0; i < s->nroutes && !r; i++)
        if (s->routes[i].times != 0 &&
            !strncmp(target, s->routes[i].path, strlen(s->routes[i].path)))
            r = &s->routes[i];
    char out[4096];
    int n;
    if (r) {
        if (r->times > 0)
            r->times--;
        n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n%s",
                     r->status, strlen(r->body), r->headers, r->body);
    } else {
        n = snprintf(out, sizeof(out), "HTTP/1.1 404 X\r\nContent-Length: 9\r\n"
                                       "Connection: close\r\n\r\nnot_found");
    }
    pthread_mutex_unlock(&s->mu);
    (void)!send(c, out, (size_t)n, MSG_NOSIGNAL);
out:
    free(buf);
}

static void *server_main(void *ud)
{
    server *s = ud;
    while (!s->stop) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        serve_one(s, c);
        close(c);
    }
    return NULL;
}

static int server_start(server *s)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        listen(s->fd, 16) < 0 || getsockname(s->fd, (struct sockaddr *)&sa, &sl) < 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    return pthread_create(&s->th, NULL, server_main, s) ? -1 : 0;
}

static void server_clear(server *s)
{
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->nreqs; i++) {
        free(s->reqs[i].headers);
        free(s->reqs[i].body);
    }
    s->nreqs = 0;
    s->nroutes = 0;
    pthread_mutex_unlock(&s->mu);
}

static void server_stop(server *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    close(s->fd);
    server_clear(s);
    pthread_mutex_destroy(&s->mu);
}

static void add_route(const char *path, int status, const char *headers, const char *body,
                      int times)
{
    pthread_mutex_lock(&srv.mu);
    route *r = &srv.routes[srv.nroutes++];
    snprintf(r->path, sizeof(r->path), "%s", path);
    r->status = status;
    snprintf(r->headers, sizeof(r->headers), "%s", headers ? headers : "");
    snprintf(r->body, sizeof(r->body), "%s", body);
    r->times = times;
    pthread_mutex_unlock(&srv.mu);
}

static size_t nreqs(void)
{
    pthread_mutex_lock(&srv.mu);
    size_t n = srv.nreqs;
    pthread_mutex_unlock(&srv.mu);
    return n;
}

/* The request i (the server is idle between calls, so no lock is needed
 * to read one that was recorded). */
static const req *request(size_t i)
{
    return i < nreqs() ? &srv.reqs[i] : NULL;
}

/* The value of header name in q, copied into out ("" when absent). */
static const char *header(const req *q, const char *name, char *out, size_t cap)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    out[0] = '\0';
    const char *p = q ? strcasestr(q->headers, pat) : NULL;
    if (p) {
        p += strlen(pat);
        while (*p == ' ')
            p++;
        snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
    }
    return out;
}

static char base[128];

static const char *url(const char *path)
{
    static char u[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(u[k], sizeof(u[k]), "%s%s", base, path);
    return u[k];
}

/* ---- helpers ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p) {
        p[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return p;
}

/* A string member's decoded value, copied (NULL when absent). */
static char *jstr(rip_json_doc *d, const rip_json_node *n, const char *path)
{
    const rip_json_node *v = rip_json_path(n, path);
    if (!rip_json_is(v, RIP_JSON_STRING))
        return NULL;
    rip_slice s = rip_json_str(d, v);
    return strndup(s.ptr, s.len);
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static void hmac_hex(const char *key, const char *msg, size_t len, char out[65])
{
    unsigned char mac[32];
    unsigned int ml = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)msg, len, mac, &ml);
    for (unsigned i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", mac[i]);
}

/* Form-encodes text as Slack does: payload=<percent-encoded>. */
static char *form_payload(const char *json)
{
    size_t n = strlen(json);
    char *out = malloc(8 + 3 * n + 1), *p = out;
    memcpy(p, "payload=", 8);
    p += 8;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)json[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~')
            *p++ = (char)c;
        else
            p += sprintf(p, "%%%02X", c);
    }
    *p = '\0';
    return out;
}

/* ---- 1. Slack signatures ---- */

static void test_verify(void)
{
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("slack verify: Slack's signing vector # ../shared/corpus not found (set "
                 "RIPOSTE_CORPUS)");
        return;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/slack/signing_vector_slack_docs.json", corpus);
    size_t vlen = 0, rawlen = 0;
    char *vec = read_file(path, &vlen);
    snprintf(path, sizeof(path), "%s/slack/signing_vector_raw_body.txt", corpus);
    char *raw = read_file(path, &rawlen);
    if (!CHECK(vec && raw, "slack verify: the corpus vector and raw body are readable")) {
        free(vec);
        free(raw);
        return;
    }
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_json_error je;
    CHECK(rip_json_parse(&d, vec, vlen, &je) == 0, "slack verify: the vector is JSON");
    const rip_json_node *root = rip_json_root(&d);
    char *secret = jstr(&d, root, "signing_secret");
    char *ts = jstr(&d, root, "headers.X-Slack-Request-Timestamp");
    char *sig = jstr(&d, root, "headers.X-Slack-Signature");
    char *body = jstr(&d, root, "raw_body");
    if (!secret || !ts || !sig || !body) {
        CHECK(0, "slack verify: the vector has a secret, a timestamp, a signature, a body");
        goto out;
    }
    /* The .txt is the same body, byte for byte (perhaps with a newline). */
    while (rawlen && (raw[rawlen - 1] == '\n' || raw[rawlen - 1] == '\r'))
        raw[--rawlen] = '\0';
    CHECK(rawlen == strlen(body) && !memcmp(raw, body, rawlen),
          "slack verify: signing_vector_raw_body.txt is the vector's raw_body");

    int64_t t = strtoll(ts, NULL, 10);
    char why[160];
    CHECK(rip_slack_verify(secret, ts, sig, raw, rawlen, t + 10, why, sizeof(why)) == 0,
          "slack verify: Slack's documented request verifies");
    CHECK(rip_slack_verify(secret, ts, sig, raw, rawlen, t + 300, why, sizeof(why)) == 0,
          "slack verify: 300 s after its timestamp is still in the window");
    int rc = rip_slack_verify("8f742231b10e8888abcd99yyyzzz85a6", ts, sig, raw, rawlen, t,
                              why, sizeof(why));
    CHECK(rc == RIP_EINVAL && strstr(why, "does not match"),
          "slack verify: a wrong secret is refused (%s)", why);
    raw[40] ^= 1;
    rc = rip_slack_verify(secret, ts, sig, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL, "slack verify: a flipped body byte is refused");
    raw[40] ^= 1;
    char bad[80];
    snprintf(bad, sizeof(bad), "%s", sig);
    bad[20] = bad[20] == 'a' ? 'b' : 'a';
    rc = rip_slack_verify(secret, ts, bad, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL && !strstr(why, bad + 3) && !strstr(why, secret),
          "slack verify: a flipped signature digit is refused, and why quotes neither "
          "signature nor secret");
    snprintf(bad, sizeof(bad), "v0=%s", sig + 3);
    for (char *p = bad + 3; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 32);
    CHECK(rip_slack_verify(secret, ts, bad, raw, rawlen, t, why, sizeof(why)) == RIP_EINVAL,
          "slack verify: the signature in uppercase hex is not Slack's");
    rc = rip_slack_verify(secret, ts, sig, raw, rawlen, t + 301, why, sizeof(why));
    CHECK(rc == RIP_ERANGE && strstr(why, "stale timestamp"),
          "slack verify: 301 s late is a stale timestamp (%s)", why);
    rc = rip_slack_verify(secret, ts, sig, raw, rawlen, t - 301, why, sizeof(why));
    CHECK(rc == RIP_ERANGE && strstr(why, "stale timestamp"),
          "slack verify: 301 s in the future is refused too (%s)", why);
    rc = rip_slack_verify(secret, NULL, sig, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL && strstr(why, "X-Slack-Request-Timestamp"),
          "slack verify: a missing timestamp header is refused (%s)", why);
    rc = rip_slack_verify(secret, ts, "", raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL && strstr(why, "X-Slack-Signature"),
          "slack verify: a missing signature header is refused (%s)", why);
    rc = rip_slack_verify(secret, "15314x0618", sig, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL, "slack verify: a malformed timestamp is refused");
    snprintf(bad, sizeof(bad), "v1=%s", sig + 3);
    rc = rip_slack_verify(secret, ts, bad, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL, "slack verify: another version prefix is refused");
    rc = rip_slack_verify(secret, ts, "v0=abc", raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL, "slack verify: a short signature is refused");
    /* The timestamp is signed: moving it invalidates the signature. */
    char ts2[32];
    snprintf(ts2, sizeof(ts2), "%" PRId64, t + 1);
    rc = rip_slack_verify(secret, ts2, sig, raw, rawlen, t, why, sizeof(why));
    CHECK(rc == RIP_EINVAL, "slack verify: a changed timestamp breaks the signature");
    CHECK(rip_slack_verify("", ts, sig, raw, rawlen, t, why, sizeof(why)) == RIP_EINVAL,
          "slack verify: no secret configured verifies nothing");

    /* A block_actions body signed here, independently of src/notify. */
    snprintf(path, sizeof(path), "%s/slack/block_actions_http_body__bolt_python_style.txt",
             corpus);
    size_t blen = 0;
    char *form = read_file(path, &blen);
    if (form) {
        char base_s[80000], hex[65], sigh[80];
        int n = snprintf(base_s, sizeof(base_s), "v0:%s:%s", "1700000000", form);
        hmac_hex("s3cr3t-signing", base_s, (size_t)n, hex);
        snprintf(sigh, sizeof(sigh), "v0=%s", hex);
        CHECK(rip_slack_verify("s3cr3t-signing", "1700000000", sigh, form, blen,
                               1700000000 + 5, why, sizeof(why)) == 0,
              "slack verify: an interaction body signed with OpenSSL's HMAC verifies");
        free(form);
    }
out:
    free(secret);
    free(ts);
    free(sig);
    free(body);
    rip_json_doc_release(&d);
    free(vec);
    free(raw);
}

/* ---- 2. block_actions callbacks ---- */

static void test_interaction(void)
{
    rip_slack_interaction in;
    char why[200];
    int rc;
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("slack interaction: the corpus payloads # ../shared/corpus not found");
    } else {
        char path[4200];
        size_t len = 0;
        snprintf(path, sizeof(path),
                 "%s/slack/block_actions_http_body__bolt_python_style.txt", corpus);
        char *form = read_file(path, &len);
        while (form && len && (form[len - 1] == '\n' || form[len - 1] == '\r'))
            form[--len] = '\0';
        rc = form ? rip_slack_parse_interaction(form, len, &in, why, sizeof(why)) : -1;
        CHECK(rc == 0 && !strcmp(in.type, "block_actions") && !strcmp(in.user_id, "W111") &&
                  !strcmp(in.user_name, "primary-owner") && !strcmp(in.team_id, "T111") &&
                  !strcmp(in.channel_id, "C111") && !strcmp(in.message_ts, "111.222") &&
                  !strcmp(in.response_url,
                          "https://hooks.slack.com/actions/T111/111/random-value") &&
                  !strcmp(in.action_id, "a") && !strcmp(in.value, "click_me_123"),
              "slack interaction: bolt-python's form body parses (%s)", rc ? why : "ok");
        free(form);

        snprintf(path, sizeof(path),
                 "%s/slack/block_actions_payload__bolt_python_test_block_actions.json", corpus);
        char *json = read_file(path, NULL);
        char *enc = json ? form_payload(json) : NULL;
        rip_slack_interaction in2;
        rc = enc ? rip_slack_parse_interaction(enc, strlen(enc), &in2, why, sizeof(why)) : -1;
        CHECK(rc == 0 && !memcmp(&in, &in2, sizeof(in)),
              "slack interaction: its JSON, form-encoded here, parses to the same fields");
        free(json);
        free(enc);

        snprintf(path, sizeof(path),
                 "%s/slack/block_actions_payload__slack_docs_example.json", corpus);
        json = read_file(path, NULL);
        enc = json ? form_payload(json) : NULL;
        rc = enc ? rip_slack_parse_interaction(enc, strlen(enc), &in, why, sizeof(why)) : -1;
        CHECK(rc == 0 && !strcmp(in.user_id, "UA8RXUSPL") &&
                  !strcmp(in.user_name, "jtorrance") && !strcmp(in.team_id, "T9TK3CUKW") &&
                  !strcmp(in.channel_id, "CBR2V3XEX") &&
                  !strcmp(in.message_ts, "1548261231.000200") &&
                  !strcmp(in.action_id, "WaXA") && !strcmp(in.value, "click_me_123") &&
                  !strncmp(in.response_url, "https://hooks.slack.com/actions/AABA1ABCD/", 42),
              "slack interaction: Slack's documented example parses (%s)", rc ? why : "ok");
        free(json);
        free(enc);
    }

    /* Shapes refused, each with a reason naming the field. */
    struct {
        const char *json;
        int rc;
        const char *why;
        const char *name;
    } cases[] = {
        { "{\"type\":\"view_submission\",\"user\":{\"id\":\"U1\"}}", RIP_ETYPE,
          "not block_actions", "another interaction type" },
        { "{\"type\":\"block_actions\",\"actions\":[{\"action_id\":\"a\"}]}", RIP_EINVAL,
          "'user.id' is missing", "no user" },
        { "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[]}", RIP_EINVAL,
          "'actions'", "no action" },
        { "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"actions\":[{}]}", RIP_EINVAL,
          "'actions[0].action_id' is missing", "an action without action_id" },
        { "{\"type\":\"block_actions\",\"user\":{\"id\":7},\"actions\":[{\"action_id\":\"a\"}]}",
          RIP_EINVAL, "'user.id' is not a string", "a number for a string" },
        { "{\"type\":\"block_actions\",\"user\":{\"id\":\"U\\u00001\"},"
          "\"actions\":[{\"action_id\":\"a\"}]}", RIP_EINVAL, "NUL", "a NUL byte in an id" },
        { "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"token\":\"sekrit-token\","
          "\"actions\":[{\"action_id\":\"a\",\"value\":3}]}", RIP_EINVAL,
          "'actions[0].value' is not a string", "a value that is not a string" },
        { "[1,2]", RIP_EINVAL, "not a JSON object", "an array payload" },
        { "{\"type\":", RIP_ETRUNC, "not JSON", "truncated JSON" },
        { "{\"type\":x}", RIP_ESYNTAX, "not JSON", "bad JSON" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *enc = form_payload(cases[i].json);
        why[0] = '\0';
        rc = rip_slack_parse_interaction(enc, strlen(enc), &in, why, sizeof(why));
        CHECK(rc == cases[i].rc && strstr(why, cases[i].why) && !strstr(why, "sekrit"),
              "slack interaction: %s is refused: %s", cases[i].name, why);
        free(enc);
    }

    /* Limits: a field longer than its buffer, the body past 64 KiB. */
    char big[400];
    char aid[301];
    memset(aid, 'x', 300);
    aid[300] = '\0';
    snprintf(big, sizeof(big),
             "{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},"
             "\"actions\":[{\"action_id\":\"%s\"}]}", aid);
    char *enc = form_payload(big);
    rc = rip_slack_parse_interaction(enc, strlen(enc), &in, why, sizeof(why));
    CHECK(rc == RIP_ELIMIT && strstr(why, "'actions[0].action_id' is longer than 255"),
          "slack interaction: an action_id over 255 bytes is refused: %s", why);
    free(enc);
    size_t hl = 70 * 1024;
    char *huge = malloc(hl + 1);
    memcpy(huge, "payload=", 8);
    memset(huge + 8, 'a', hl - 8);
    huge[hl] = '\0';
    rc = rip_slack_parse_interaction(huge, hl, &in, why, sizeof(why));
    CHECK(rc == RIP_ELIMIT && strstr(why, "65536"),
          "slack interaction: a body over 64 KiB is refused: %s", why);
    free(huge);

    const char *bodies[][2] = {
        { "token=x&team_id=T1", "no 'payload' field" },
        { "payload=%7", "bad %-escape" },
        { "payload=%zz", "bad %-escape" },
        { "payload=%7B%7D&payload=%7B%7D", "two 'payload' fields" },
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        rc = rip_slack_parse_interaction(bodies[i][0], strlen(bodies[i][0]), &in, why,
                                         sizeof(why));
        CHECK(rc == RIP_EINVAL && strstr(why, bodies[i][1]),
              "slack interaction: '%s' is refused: %s", bodies[i][0], why);
    }
    /* Other form fields around the payload, and '+' for a space. */
    const char *mixed = "x=1&payload=%7B%22type%22%3A%22block_actions%22%2C%22user%22%3A%7B"
                        "%22id%22%3A%22U9%22%2C%22name%22%3A%22a+b%22%7D%2C%22actions%22%3A%5B"
                        "%7B%22action_id%22%3A%22riposte_approve%22%2C%22value%22%3A%2212%3A"
                        "disable-key%22%7D%5D%7D&y=2";
    rc = rip_slack_parse_interaction(mixed, strlen(mixed), &in, why, sizeof(why));
    CHECK(rc == 0 && !strcmp(in.user_name, "a b") && !strcmp(in.value, "12:disable-key") &&
              !strcmp(in.channel_id, "") && !strcmp(in.message_ts, ""),
          "slack interaction: fields around the payload, '+' as a space, absent fields ''");

    int64_t run = 0;
    char step[64];
    CHECK(rip_slack_parse_button_value("12:disable-key", &run, step, sizeof(step)) == 0 &&
              run == 12 && !strcmp(step, "disable-key"),
          "slack button value: 'RUN:STEP' splits");
    CHECK(rip_slack_parse_button_value("12:a:b", &run, step, sizeof(step)) == 0 &&
              !strcmp(step, "a:b"), "slack button value: the step keeps later colons");
    const char *badv[] = { "x:y", ":y", "12:", "12", "0:a", "-1:a", "99999999999999999999:a" };
    int all = 1;
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++)
        all &= rip_slack_parse_button_value(badv[i], &run, step, sizeof(step)) == RIP_EINVAL;
    CHECK(all, "slack button value: malformed values are refused");
    CHECK(rip_slack_parse_button_value("1:abcdef", &run, step, 4) == RIP_ELIMIT,
          "slack button value: a step longer than its buffer is refused");
}

/* ---- 3. Block Kit messages ---- */

static const rip_json_node *block(const rip_json_node *root, uint32_t i)
{
    return rip_json_at(rip_json_get(root, "blocks"), i);
}

static void test_blocks(void)
{
    rip_slack_step steps[] = {
        { 7, "disable-key", "Disable access key AKIAEXAMPLE", 0 },
        { 7, "terminate", "Terminate i-0abc", 1 },
    };
    rip_slack_incident inc = {
        .channel = "C0SECOPS", .id = 42, .title = "Root key used from a new country",
        .severity = "high",
        .what = "The root user's access key AKIAEXAMPLE called CreateUser from 203.0.113.9 "
                "<!channel> & friends <http://evil.example|click>",
        .account = "111122223333", .region = "us-east-1",
        .principal = "arn:aws:iam::111122223333:root", .access_key = "AKIAEXAMPLE",
        .source_ip = "203.0.113.9", .steps = steps, .nsteps = 2,
    };
    rip_buf b = RIP_BUF_INIT;
    int rc = rip_slack_incident_blocks(&inc, &b);
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_json_error je;
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0,
          "slack blocks: the incident message is JSON");
    const rip_json_node *root = rip_json_root(&d);
    char *s1 = jstr(&d, root, "channel"), *s2 = jstr(&d, root, "text");
    CHECK(s1 && !strcmp(s1, "C0SECOPS") && s2 &&
              !strcmp(s2, "HIGH incident #42: Root key used from a new country"),
          "slack blocks: channel and fallback text (%s)", s2 ? s2 : "-");
    free(s1);
    free(s2);
    CHECK(rip_json_count(rip_json_get(root, "blocks")) == 6,
          "slack blocks: header, section, fields, context and one actions block per step");
    s1 = jstr(&d, block(root, 0), "text.text");
    CHECK(rip_json_str_eq(rip_json_get(block(root, 0), "type"), "header") && s1 &&
              !strcmp(s1, "HIGH \xc2\xb7 Root key used from a new country"),
          "slack blocks: the header is severity and title (%s)", s1 ? s1 : "-");
    free(s1);
    s1 = jstr(&d, block(root, 1), "text.text");
    CHECK(s1 && strstr(s1, "&lt;!channel&gt; &amp; friends &lt;http://evil.example|click&gt;") &&
              !strchr(s1, '<') && !strchr(s1, '>'),
          "slack blocks: what happened is mrkdwn-escaped: no mention or link survives");
    free(s1);
    const rip_json_node *fields = rip_json_get(block(root, 2), "fields");
    s1 = jstr(&d, rip_json_at(fields, 0), "text");
    CHECK(rip_json_count(fields) == 5 && s1 && !strcmp(s1, "*Account*\n111122223333"),
          "slack blocks: five fields, the account first");
    free(s1);
    s1 = jstr(&d, rip_json_at(rip_json_get(block(root, 3), "elements"), 0), "text");
    CHECK(s1 && strstr(s1, "incident *#42*"), "slack blocks: the context names the incident");
    free(s1);
    const rip_json_node *a1 = rip_json_get(block(root, 4), "elements");
    const rip_json_node *a2 = rip_json_get(block(root, 5), "elements");
    char *t = jstr(&d, rip_json_at(a1, 0), "text.text");
    char *v = jstr(&d, rip_json_at(a1, 0), "value");
    char *st1 = jstr(&d, rip_json_at(a1, 0), "style");
    char *st2 = jstr(&d, rip_json_at(a2, 0), "style");
    char *rj = jstr(&d, rip_json_at(a2, 1), "action_id");
    char *rv = jstr(&d, rip_json_at(a2, 1), "value");
    CHECK(rip_json_str_eq(rip_json_get(block(root, 4), "type"), "actions") && t &&
              !strcmp(t, "Approve: Disable access key AKIAEXAMPLE") && v &&
              !strcmp(v, "7:disable-key") &&
              rip_json_str_eq(rip_json_get(rip_json_at(a1, 0), "action_id"),
                              "riposte_approve") &&
              st1 && !strcmp(st1, "primary") && st2 && !strcmp(st2, "danger") && rj &&
              !strcmp(rj, "riposte_reject") && rv && !strcmp(rv, "7:terminate") &&
              !rip_json_get(rip_json_at(a2, 1), "style"),
          "slack blocks: Approve (primary, danger when destructive) and Reject per step, "
          "value RUN:STEP");
    free(t);
    free(v);
    free(st1);
    free(st2);
    free(rj);
    free(rv);

    /* Limits, counted in characters. */
    char title[1200], what[6000], label[400];
    title[0] = '\0';
    for (int i = 0; i < 300; i++)
        strcat(title, "\xc3\xa9");      /* é: 2 bytes, 1 character */
    memset(what, 'w', sizeof(what) - 1);
    what[sizeof(what) - 1] = '\0';
    memset(label, 'l', sizeof(label) - 1);
    label[sizeof(label) - 1] = '\0';
    rip_slack_step one = { 3, "s", label, 0 };
    rip_slack_incident big = { .id = 1, .title = title, .severity = "critical", .what = what,
                               .steps = &one, .nsteps = 1 };
    rip_buf_reset(&b);
    rc = rip_slack_incident_blocks(&big, &b);
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0, "slack blocks: long texts");
    root = rip_json_root(&d);
    s1 = jstr(&d, block(root, 0), "text.text");
    s2 = jstr(&d, block(root, 1), "text.text");
    t = jstr(&d, rip_json_at(rip_json_get(block(root, 3), "elements"), 0), "text.text");
    CHECK(s1 && utf8_chars(s1) == RIP_SLACK_HEADER_MAX &&
              !strcmp(s1 + strlen(s1) - 3, "\xe2\x80\xa6"),
          "slack blocks: the header is cut to 150 characters, on a character boundary, "
          "ending in an ellipsis");
    CHECK(s2 && utf8_chars(s2) == RIP_SLACK_WHAT_MAX,
          "slack blocks: what happened is shortened to %d characters", RIP_SLACK_WHAT_MAX);
    CHECK(t && utf8_chars(t) == RIP_SLACK_BUTTON_TEXT_MAX,
          "slack blocks: a button's text is cut to 75 characters");
    CHECK(rip_json_count(rip_json_get(root, "blocks")) == 4 && !rip_json_get(root, "channel"),
          "slack blocks: no fields block when there are none, no channel when none given");
    free(s1);
    free(s2);
    free(t);

    /* A button value over 2000 is refused, the buffer left as it was. */
    char longstep[2100];
    memset(longstep, 's', sizeof(longstep) - 1);
    longstep[sizeof(longstep) - 1] = '\0';
    rip_slack_step ls = { 3, longstep, NULL, 0 };
    big.steps = &ls;
    rip_buf_reset(&b);
    rip_buf_adds(&b, "keep");
    CHECK(rip_slack_incident_blocks(&big, &b) == RIP_ELIMIT && !strcmp(b.ptr, "keep"),
          "slack blocks: a value past 2000 characters is refused, the buffer unchanged");
    rip_slack_incident notitle = { .id = 1 };
    CHECK(rip_slack_incident_blocks(&notitle, &b) == RIP_EINVAL,
          "slack blocks: an incident needs a title");

    /* More steps than a message holds. */
    rip_slack_step many[25];
    char ids[25][8];
    for (int i = 0; i < 25; i++) {
        snprintf(ids[i], sizeof(ids[i]), "s%d", i);
        many[i] = (rip_slack_step){ 5, ids[i], NULL, 0 };
    }
    rip_slack_incident lots = { .id = 2, .title = "t", .steps = many, .nsteps = 25 };
    rip_buf_reset(&b);
    rc = rip_slack_incident_blocks(&lots, &b);
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0 &&
              rip_json_count(rip_json_get(rip_json_root(&d), "blocks")) == 3 + 20 + 1 &&
              strstr(b.ptr, "5 more steps"),
          "slack blocks: 20 steps get buttons, the rest are counted");

    /* The update after a press. */
    rip_slack_result res = { 7, "disable-key", 1, "U0ALICE", INT64_C(1700000000) * 1000000000,
                             "access key AKIAEXAMPLE is Inactive" };
    rip_buf_reset(&b);
    rc = rip_slack_result_blocks(&inc, &res, 1, &b);
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0,
          "slack result: the update is JSON");
    root = rip_json_root(&d);
    s1 = jstr(&d, rip_json_at(rip_json_get(block(root, 4), "elements"), 0), "text");
    CHECK(rip_json_str_eq(rip_json_get(block(root, 4), "type"), "context") && s1 &&
              strstr(s1, "Approved by <@U0ALICE> at 2023-11-14T22:13:20") &&
              strstr(s1, ": access key AKIAEXAMPLE is Inactive"),
          "slack result: the pressed step's buttons became '%s'", s1 ? s1 : "-");
    free(s1);
    CHECK(rip_json_str_eq(rip_json_get(block(root, 5), "type"), "actions"),
          "slack result: the other step keeps its buttons");
    s1 = jstr(&d, block(root, 0), "text.text");
    CHECK(s1 && strstr(s1, "Root key used"), "slack result: same header");
    free(s1);
    rip_slack_result rej = { 7, "terminate", 0, "U1> <!channel", 0, "not <b>now</b>" };
    rip_slack_result both[] = { res, rej };
    rip_buf_reset(&b);
    rc = rip_slack_result_blocks(&inc, both, 2, &b);
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0, "slack result: two results");
    root = rip_json_root(&d);
    s1 = jstr(&d, rip_json_at(rip_json_get(block(root, 5), "elements"), 0), "text");
    CHECK(s1 && strstr(s1, "Rejected by U1&gt; &lt;!channel at") &&
              strstr(s1, "not &lt;b&gt;now&lt;/b&gt;") && !strstr(s1, "<@"),
          "slack result: a rejection; a user id that is not Slack's is shown escaped: %s",
          s1 ? s1 : "-");
    free(s1);

    rip_buf_reset(&b);
    rc = rip_slack_notification_blocks("C1", "critical", "key <AKIA> & co", 3, 4, "notify",
                                       &b);
    CHECK(rc == 0 && rip_json_parse(&d, b.ptr, b.len, &je) == 0 &&
              strstr(b.ptr, "\"text\":\"key &lt;AKIA&gt; &amp; co\"") &&
              strstr(b.ptr, "incident *#3* \xc2\xb7 run 4 step notify"),
          "slack notification: escaped message and a context line");

    rip_buf_reset(&b);
    CHECK(rip_slack_mrkdwn_escape("a<b>&c", 100, &b) == 0 && !strcmp(b.ptr, "a&lt;b&gt;&amp;c"),
          "slack mrkdwn: & < > escaped");
    rip_buf_reset(&b);
    CHECK(rip_slack_mrkdwn_escape("abc&def", 6, &b) == 0 && !strcmp(b.ptr, "abc\xe2\x80\xa6"),
          "slack mrkdwn: a cut never splits an escape (%s)", b.ptr);
    rip_buf_reset(&b);
    CHECK(rip_slack_mrkdwn_escape("\xff\xfe ok", 100, &b) == 0,
          "slack mrkdwn: invalid UTF-8 passes through (the JSON writer replaces it)");
    rip_json_doc_release(&d);
    rip_buf_release(&b);
}

/* ---- 4. the Slack client ---- */

static void test_slack_client(void)
{
    rip_slack_cfg c = { url("/api"), "xoxb-test-token-123", "C0SECOPS", NULL, 5000, 0 };
    char ts[64] = "", ch[64] = "", err[256] = "";
    const char *body = "{\"channel\":\"C0SECOPS\",\"text\":\"hi\"}";

    server_clear(&srv);
    add_route("/api/chat.postMessage", 200, "Content-Type: application/json\r\n",
              "{\"ok\":true,\"channel\":\"C0SECOPS\",\"ts\":\"1700000000.000100\","
              "\"message\":{\"text\":\"hi\"}}", 1);
    int rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    char h[256];
    const req *q = request(0);
    CHECK(rc == 0 && !strcmp(ts, "1700000000.000100") && !strcmp(ch, "C0SECOPS"),
          "slack post: ok, ts and channel read (%s)", rc ? err : "ok");
    CHECK(q && !strcmp(q->target, "/api/chat.postMessage") &&
              !strcmp(header(q, "Authorization", h, sizeof(h)),
                      "Bearer xoxb-test-token-123") &&
              !strncmp(header(q, "Content-Type", h, sizeof(h)), "application/json", 16) &&
              q->body_len == strlen(body) && !memcmp(q->body, body, q->body_len),
          "slack post: POST /chat.postMessage with the bot token and the JSON body");

    add_route("/api/chat.postMessage", 200, NULL,
              "{\"ok\":false,\"error\":\"channel_not_found\"}", 1);
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EINVAL && !strcmp(err, "slack: chat.postMessage: channel_not_found"),
          "slack post: ok:false gives Slack's error: %s", err);

    add_route("/api/chat.postMessage", 200, NULL,
              "{\"ok\":false,\"error\":\"<b>xoxb-test-token-123</b>\"}", 1);
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EINVAL && !strstr(err, "xoxb-test-token-123") && !strchr(err, '<'),
          "slack post: an error code echoing the token is filtered: %s", err);

    add_route("/api/chat.postMessage", 500, NULL, "oops", 1);
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "HTTP 500"), "slack post: a 5xx is RIP_EIO: %s", err);

    add_route("/api/chat.postMessage", 200, NULL, "<html>", 1);
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EIO && strstr(err, "not Slack's JSON"),
          "slack post: a reply that is not JSON: %s", err);

    /* 429: sleep through Retry-After within the budget, else give up. */
    server_clear(&srv);
    add_route("/api/chat.postMessage", 429, "Retry-After: 1\r\n",
              "{\"ok\":false,\"error\":\"ratelimited\"}", 1);
    add_route("/api/chat.postMessage", 200, NULL,
              "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.2\"}", 1);
    c.retry_budget_ms = 3000;
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == 0 && nreqs() == 2 && !strcmp(ts, "1.2"),
          "slack post: a 429 is retried after its Retry-After within the budget");
    add_route("/api/chat.postMessage", 429, "Retry-After: 7\r\n",
              "{\"ok\":false,\"error\":\"ratelimited\"}", 1);
    rc = rip_slack_post(&c, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_ERANGE && strstr(err, "retry after 7 s") && nreqs() == 3,
          "slack post: a Retry-After past the budget is RIP_ERANGE at once: %s", err);
    c.retry_budget_ms = 0;

    /* chat.update: the body's channel and ts are the message's. */
    server_clear(&srv);
    add_route("/api/chat.update", 200, NULL,
              "{\"ok\":true,\"channel\":\"C1\",\"ts\":\"1.2\"}", 1);
    rc = rip_slack_update(&c, "C1", "1.2", "{\"channel\":\"CX\",\"text\":\"t\",\"blocks\":[]}",
                          err, sizeof(err));
    q = request(0);
    CHECK(rc == 0 && q && !strcmp(q->target, "/api/chat.update") &&
              !strcmp(q->body, "{\"channel\":\"C1\",\"ts\":\"1.2\",\"text\":\"t\",\"blocks\":[]}"),
          "slack update: POST /chat.update with channel and ts set (%s)", q ? q->body : err);
    rc = rip_slack_update(&c, "C1", "1.2", "[1]", err, sizeof(err));
    CHECK(rc == RIP_EINVAL, "slack update: a body that is not an object is refused");

    /* Incoming webhook mode: the URL is a secret. */
    rip_slack_cfg w = { NULL, NULL, NULL, url("/services/T000/B000/XXSECRETXX"), 5000, 0 };
    server_clear(&srv);
    add_route("/services/", 200, NULL, "ok", 1);
    strcpy(ts, "junk");
    rc = rip_slack_post(&w, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == 0 && !strcmp(ts, "") && nreqs() == 1 &&
              !strcmp(request(0)->target, "/services/T000/B000/XXSECRETXX") &&
              !strcmp(header(request(0), "Authorization", h, sizeof(h)), ""),
          "slack webhook: POSTs the body to the webhook, no token, no ts");
    add_route("/services/", 404, NULL, "no_service", 1);
    rc = rip_slack_post(&w, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EINVAL && !strcmp(err, "slack webhook: HTTP 404: no_service"),
          "slack webhook: a 404 names the channel, not its URL: %s", err);
    CHECK(rip_slack_update(&w, "C1", "1.2", "{}", err, sizeof(err)) == RIP_EINVAL &&
              strstr(err, "bot token"),
          "slack webhook: chat.update needs a bot token");

    /* Nothing listening. */
    rip_slack_cfg dead = { "http://127.0.0.1:1/api", "xoxb-test-token-123", "C1", NULL, 2000, 0 };
    rc = rip_slack_post(&dead, body, ts, sizeof(ts), ch, sizeof(ch), err, sizeof(err));
    CHECK(rc == RIP_EIO && !strncmp(err, "slack: chat.postMessage: ", 25) &&
              !strstr(err, "127.0.0.1") && !strstr(err, "xoxb"),
          "slack post: no connection is RIP_EIO, without the URL: %s", err);
    rip_slack_cfg none = { 0 };
    CHECK(rip_slack_post(&none, body, NULL, 0, NULL, 0, err, sizeof(err)) == RIP_EINVAL,
          "slack post: neither a token nor a webhook: %s", err);
}

/* ---- 5. PagerDuty ---- */

static void test_pagerduty(void)
{
    rip_pagerduty_cfg c = { url("/v2/enqueue"), "R0UT1NGKEY0123456789abcdefabcdef", 5000, 0 };
    char key[64], err[256];
    CHECK(rip_pagerduty_dedup_key(42, key, sizeof(key)) == 0 &&
              !strcmp(key, "riposte-incident-42"), "pagerduty: dedup key");
    CHECK(!strcmp(rip_pagerduty_severity("critical"), "critical") &&
              !strcmp(rip_pagerduty_severity("high"), "error") &&
              !strcmp(rip_pagerduty_severity("medium"), "warning") &&
              !strcmp(rip_pagerduty_severity("low"), "info") &&
              !strcmp(rip_pagerduty_severity("informational"), "info") &&
              !strcmp(rip_pagerduty_severity(NULL), "info"),
          "pagerduty: riposte's severities map to PagerDuty's");

    server_clear(&srv);
    add_route("/v2/enqueue", 202, NULL,
              "{\"status\":\"success\",\"message\":\"Event processed\","
              "\"dedup_key\":\"riposte-incident-42\"}", -1);
    char summary[1500];
    memset(summary, 's', sizeof(summary) - 1);
    summary[sizeof(summary) - 1] = '\0';
    rip_pagerduty_event_in ev = { "trigger", key, summary, "high", "aws:111122223333",
                                  "{\"incident_id\":42,\"run\":\"x\"}" };
    int rc = rip_pagerduty_event(&c, &ev, err, sizeof(err));
    const req *q = request(0);
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_json_error je;
    int parsed = q && rip_json_parse(&d, q->body, q->body_len, &je) == 0;
    const rip_json_node *root = parsed ? rip_json_root(&d) : NULL;
    char *rk = parsed ? jstr(&d, root, "routing_key") : NULL;
    char *sm = parsed ? jstr(&d, root, "payload.summary") : NULL;
    CHECK(rc == 0 && parsed && rk && !strcmp(rk, c.routing_key) &&
              rip_json_str_eq(rip_json_get(root, "event_action"), "trigger") &&
              rip_json_str_eq(rip_json_get(root, "dedup_key"), "riposte-incident-42") &&
              rip_json_str_eq(rip_json_path(root, "payload.severity"), "error") &&
              rip_json_str_eq(rip_json_path(root, "payload.source"), "aws:111122223333") &&
              rip_json_is(rip_json_path(root, "payload.custom_details.incident_id"),
                          RIP_JSON_NUMBER) &&
              sm && strlen(sm) == RIP_PAGERDUTY_SUMMARY_MAX,
          "pagerduty: trigger is accepted (202): key, action, dedup key, severity, source, "
          "details, summary cut to 1024 (%s)", rc ? err : "ok");
    free(rk);
    free(sm);

    rip_pagerduty_event_in res = { "resolve", key, NULL, NULL, NULL, NULL };
    rc = rip_pagerduty_event(&c, &res, err, sizeof(err));
    q = request(1);
    parsed = q && rip_json_parse(&d, q->body, q->body_len, &je) == 0;
    CHECK(rc == 0 && parsed &&
              rip_json_str_eq(rip_json_get(rip_json_root(&d), "event_action"), "resolve") &&
              !rip_json_get(rip_json_root(&d), "payload"),
          "pagerduty: resolve carries the dedup key and no payload");
    rip_pagerduty_event_in ack = { "acknowledge", key, NULL, NULL, NULL, NULL };
    CHECK(rip_pagerduty_event(&c, &ack, err, sizeof(err)) == 0, "pagerduty: acknowledge");

    rip_pagerduty_event_in badev = { "snooze", key, "s", "high", NULL, NULL };
    CHECK(rip_pagerduty_event(&c, &badev, err, sizeof(err)) == RIP_EINVAL && nreqs() == 3,
          "pagerduty: an unknown action is refused before sending");
    rip_pagerduty_event_in baddet = { "trigger", key, "s", "high", NULL, "[1]" };
    CHECK(rip_pagerduty_event(&c, &baddet, err, sizeof(err)) == RIP_EINVAL,
          "pagerduty: custom details must be a JSON object");

    server_clear(&srv);
    add_route("/v2/enqueue", 400, NULL,
              "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
              "\"errors\":[\"Length of 'routing_key' is incorrect\"]}", 1);
    rc = rip_pagerduty_event(&c, &ev, err, sizeof(err));
    CHECK(rc == RIP_EINVAL && !strcmp(err, "pagerduty: HTTP 400: Event object is invalid: "
                                           "Length of 'routing_key' is incorrect"),
          "pagerduty: a 400 carries PagerDuty's message: %s", err);
    add_route("/v2/enqueue", 400, NULL,
              "{\"message\":\"bad key R0UT1NGKEY0123456789abcdefabcdef\"}", 1);
    rc = rip_pagerduty_event(&c, &ev, err, sizeof(err));
    CHECK(rc == RIP_EINVAL && !strstr(err, c.routing_key) && strstr(err, "***"),
          "pagerduty: a message echoing the routing key is scrubbed: %s", err);
    add_route("/v2/enqueue", 429, "Retry-After: 30\r\n", "{}", 1);
    rc = rip_pagerduty_event(&c, &ev, err, sizeof(err));
    CHECK(rc == RIP_ERANGE && strstr(err, "retry after 30 s"),
          "pagerduty: 429 is RIP_ERANGE: %s", err);
    add_route("/v2/enqueue", 503, NULL, "{}", 1);
    rc = rip_pagerduty_event(&c, &ev, err, sizeof(err));
    CHECK(rc == RIP_EIO, "pagerduty: a 5xx is RIP_EIO: %s", err);
    rip_json_doc_release(&d);
}

/* ---- 6. webhooks ---- */

static void test_webhook(void)
{
    char sig[72];
    const char *fox = "The quick brown fox jumps over the lazy dog";
    CHECK(rip_webhook_sign("key", fox, strlen(fox), sig) == 0 &&
              !strcmp(sig, "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc"
                           "2d1a3cd8"),
          "webhook: the signature of the well-known HMAC-SHA256 vector");

    rip_webhook_cfg c = { url("/hook/XXSECRETPATHXX"), "whsec-123", 5000, 0 };
    const char *body = "{\"a\":1}";
    char err[256], h[256], hex[65];
    server_clear(&srv);
    add_route("/hook/", 200, NULL, "", 1);
    int rc = rip_webhook_post(&c, body, strlen(body), 1700000000, err, sizeof(err));
    const req *q = request(0);
    hmac_hex("whsec-123", body, strlen(body), hex);
    char want[80];
    snprintf(want, sizeof(want), "sha256=%s", hex);
    CHECK(rc == 0 && q && !strcmp(header(q, "X-Riposte-Signature", h, sizeof(h)), want) &&
              !strcmp(header(q, "X-Riposte-Timestamp", h, sizeof(h)), "1700000000") &&
              !strcmp(q->body, body),
          "webhook: POSTs the body with its HMAC-SHA256 signature and timestamp");
    add_route("/hook/", 500, NULL, "secret stack trace", 1);
    rc = rip_webhook_post(&c, body, strlen(body), 1700000000, err, sizeof(err));
    CHECK(rc == RIP_EIO && !strcmp(err, "webhook: HTTP 500"),
          "webhook: a 5xx names the channel, not its URL or reply: %s", err);
    add_route("/hook/", 410, NULL, "", 1);
    rc = rip_webhook_post(&c, body, strlen(body), 1700000000, err, sizeof(err));
    CHECK(rc == RIP_EINVAL, "webhook: a 4xx is RIP_EINVAL");
    add_route("/hook/", 302, "Location: http://127.0.0.1:1/\r\n", "", 1);
    rc = rip_webhook_post(&c, body, strlen(body), 1700000000, err, sizeof(err));
    CHECK(rc == RIP_EIO && nreqs() == 4, "webhook: a redirect is not followed: %s", err);
    rip_webhook_cfg unsigned_c = { url("/hook/x"), NULL, 5000, 0 };
    add_route("/hook/", 204, NULL, "", 1);
    rc = rip_webhook_post(&unsigned_c, body, strlen(body), 1, err, sizeof(err));
    CHECK(rc == 0 && !*header(request(4), "X-Riposte-Signature", h, sizeof(h)),
          "webhook: without a secret the request is unsigned");
}

/* ---- 7. the outbox ---- */

typedef struct rows {
    rip_store_notification_row r[16];
    char err[16][256];
    size_t n;
} rows;

static int grab(void *ud, const rip_store_notification_row *row)
{
    rows *rs = ud;
    if (rs->n < 16) {
        rs->r[rs->n] = *row;
        snprintf(rs->err[rs->n], sizeof(rs->err[0]), "%s", row->last_error ? row->last_error : "");
        rs->r[rs->n].step = rs->r[rs->n].channel = rs->r[rs->n].severity = NULL;
        rs->r[rs->n].message = rs->r[rs->n].last_error = NULL;
        rs->n++;
    }
    return 0;
}

static int count_timeline(rip_store *st, int64_t inc, const char *kind, char *text, size_t cap)
{
    rip_store_incident *in = NULL;
    int n = 0;
    if (rip_store_incident_get(st, inc, &in) == 0) {
        for (size_t i = 0; i < in->ntimeline; i++)
            if (!strcmp(in->timeline[i].kind, kind)) {
                n++;
                if (text)
                    snprintf(text, cap, "%s", in->timeline[i].text);
            }
    }
    rip_store_incident_free(in);
    return n;
}

static int64_t queue(rip_store *st, int64_t inc, const char *channel, const char *msg)
{
    rip_store_notification n = { inc, 0, "notify", channel, "high", msg, 1 };
    int64_t id = 0;
    rip_store_put_notification(st, &n, &id);
    return id;
}

typedef struct lock_count {
    int held, taken, released;
} lock_count;

static void test_lock(void *ud)
{
    lock_count *l = ud;
    l->held++;
    l->taken++;
}

static void test_unlock(void *ud)
{
    lock_count *l = ud;
    l->held--;
    l->released++;
}

static void test_deliver(void)
{
    char dir[128], db[200];
    snprintf(dir, sizeof(dir), "/tmp/riposte-notify-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(db, sizeof(db), "%s/n.db", dir);
    rip_store *st = NULL;
    rip_store_error serr;
    if (!CHECK(rip_store_open(db, NULL, &st, &serr) == 0, "outbox: store opens")) 
        return;
    rip_store_incident_new ni = { "Root key used", "high", NULL, NULL, NULL, 1, 2, 3 };
    int64_t inc = 0;
    rip_store_incident_create(st, &ni, &inc);

    rip_slack_cfg slack = { url("/api"), "xoxb-test-token-123", "C0SECOPS", NULL, 5000, 0 };
    rip_slack_cfg broken = { url("/broken"), "xoxb-broken-token", "C0X", NULL, 5000, 0 };
    rip_pagerduty_cfg pd = { url("/v2/enqueue"), "R0UT1NGKEY0123456789abcdefabcdef", 5000, 0 };
    rip_webhook_cfg wh = { url("/hook/SECRETPATH"), "whsec", 5000, 0 };
    rip_notify_channel chans[] = {
        { "secops", RIP_NOTIFY_SLACK, &slack, NULL, NULL, NULL, NULL },
        { "oncall", RIP_NOTIFY_PAGERDUTY, NULL, NULL, &pd, NULL, NULL },
        { "audit", RIP_NOTIFY_WEBHOOK, NULL, NULL, NULL, &wh, NULL },
        { "broken", RIP_NOTIFY_SLACK, &broken, "C0OTHER", NULL, NULL, NULL },
    };
    lock_count locks = { 0, 0, 0 };
    rip_notify_channels ch = { .v = chans, .n = 4, .default_name = "secops",
                               .lock = test_lock, .unlock = test_unlock, .lock_ud = &locks };

    server_clear(&srv);
    add_route("/api/chat.postMessage", 200, NULL, "{\"ok\":true,\"channel\":\"C0SECOPS\","
                                                  "\"ts\":\"1.1\"}", -1);
    add_route("/v2/enqueue", 202, NULL, "{\"status\":\"success\"}", -1);
    add_route("/hook/", 200, NULL, "", -1);
    add_route("/broken/", 200, NULL, "{\"ok\":false,\"error\":\"invalid_auth\"}", -1);

    int64_t n1 = queue(st, inc, "default", "key <AKIAEXAMPLE> disabled");
    int64_t n2 = queue(st, inc, "oncall", "riposte needs a person");
    int64_t n3 = queue(st, inc, "audit", "audit copy");
    int64_t n4 = queue(st, inc, "nowhere", "lost?");
    int64_t T = INT64_C(1800000000) * 1000000000;
    rip_notify_stats s;
    int rc = rip_notify_deliver(st, &ch, T, 0, &s);
    CHECK(rc == 0 && s.tried == 4 && s.delivered == 3 && s.failed == 1,
          "outbox: three rows delivered, the unconfigured channel failed (%" PRIu64 "/%" PRIu64
          ")", s.delivered, s.tried);
    CHECK(locks.held == 0 && locks.taken == 5 && locks.released == 5,
          "outbox: the store lock is taken for the listing and each mark (5), never across a "
          "send, and always released (%d taken, %d released)", locks.taken, locks.released);
    char h[256];
    const req *q0 = request(0), *q1 = request(1), *q2 = request(2);
    CHECK(nreqs() == 3 && q0 && strstr(q0->body, "\"channel\":\"C0SECOPS\"") &&
              strstr(q0->body, "key &lt;AKIAEXAMPLE&gt; disabled") && q1 &&
              strstr(q1->body, "\"dedup_key\":\"riposte-incident-1\"") && q2 &&
              strstr(q2->body, "\"message\":\"audit copy\"") &&
              *header(q2, "X-Riposte-Signature", h, sizeof(h)),
          "outbox: 'default' went to the default Slack channel, PagerDuty got the incident's "
          "dedup key, the webhook a signed body");

    rows rs = { .n = 0 };
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    int okrows = rs.n == 4;
    for (size_t i = 0; okrows && i < 3; i++)
        okrows = rs.r[i].delivered_ns == T && rs.r[i].attempts == 1 && !*rs.err[i];
    CHECK(okrows && rs.r[3].id == n4 && rs.r[3].delivered_ns == 0 && rs.r[3].attempts == 1 &&
              rs.r[3].last_attempt_ns == T &&
              !strcmp(rs.err[3], "no channel named 'nowhere' is configured"),
          "outbox: rows marked delivered; the failed one keeps attempts and its error (%s)",
          rs.err[3]);
    (void)n1;
    (void)n2;
    (void)n3;

    /* A 500, then success after the backoff. */
    server_clear(&srv);
    add_route("/hook/", 500, NULL, "boom", 1);
    add_route("/hook/", 200, NULL, "", -1);
    int64_t n5 = queue(st, inc, "audit", "second copy");
    int64_t T2 = T + INT64_C(10) * 1000000000;
    rc = rip_notify_deliver(st, &ch, T2, 0, &s);
    /* n4 is still waiting out its backoff (30 s from T). */
    CHECK(rc == 0 && s.tried == 1 && s.failed == 1 && s.deferred == 1,
          "outbox: the webhook's 500 fails the try; the earlier failure waits its backoff");
    rc = rip_notify_deliver(st, &ch, T2 + INT64_C(5) * 1000000000, 0, &s);
    CHECK(rc == 0 && s.tried == 0 && s.deferred == 2, "outbox: nothing is due 5 s later");
    rc = rip_notify_deliver(st, &ch, T2 + INT64_C(31) * 1000000000, 0, &s);
    rs.n = 0;
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    CHECK(rc == 0 && s.delivered == 1 && rs.r[4].id == n5 && rs.r[4].delivered_ns != 0 &&
              rs.r[4].attempts == 2 && !*rs.err[4],
          "outbox: 31 s later the webhook row is delivered on its second try");

    /* A channel that always refuses: five failures put it on the timeline. */
    add_route("/broken/", 200, NULL, "{\"ok\":false,\"error\":\"invalid_auth\"}", -1);
    int64_t n6 = queue(st, inc, "broken", "never arrives");
    int64_t t = T2 + INT64_C(100) * 1000000000;
    int reported = 0;
    for (int i = 0; i < 6; i++) {
        rc = rip_notify_deliver(st, &ch, t, 0, &s);
        reported += (int)s.reported;
        t += INT64_C(3601) * 1000000000;
    }
    rs.n = 0;
    rip_store_list_notifications(st, 1, 0, grab, &rs);
    const rip_store_notification_row *r6 = NULL;
    const char *e6 = "";
    for (size_t i = 0; i < rs.n; i++)
        if (rs.r[i].id == n6) {
            r6 = &rs.r[i];
            e6 = rs.err[i];
        }
    char text[512] = "";
    int nt = count_timeline(st, inc, "notification_failed", text, sizeof(text));
    CHECK(rc == 0 && r6 && r6->attempts == 6 && r6->delivered_ns == 0 &&
              !strcmp(e6, "slack: chat.postMessage: invalid_auth"),
          "outbox: a permanent failure stays pending with its attempts and error (%s)", e6);
    CHECK(nt == 2 && reported == 2 && strstr(text, "failed 5 times") &&
              !strstr(text, "xoxb") && !strstr(text, "/broken"),
          "outbox: the 5th failure of each row added one notification_failed entry: %s", text);
    rs.n = 0;
    rip_store_list_notifications(st, 0, 0, grab, &rs);
    int clean = 1;
    for (size_t i = 0; i < rs.n; i++)
        clean &= !strstr(rs.err[i], "xoxb") && !strstr(rs.err[i], "SECRETPATH") &&
                 !strstr(rs.err[i], "R0UT1NG") && !strstr(rs.err[i], "127.0.0.1");
    CHECK(clean, "outbox: no stored error holds a token, key or URL");

    CHECK(rip_notify_backoff_ns(0) == 0 && rip_notify_backoff_ns(1) == RIP_NOTIFY_BACKOFF_FIRST_NS &&
              rip_notify_backoff_ns(3) == 4 * RIP_NOTIFY_BACKOFF_FIRST_NS &&
              rip_notify_backoff_ns(40) == RIP_NOTIFY_BACKOFF_MAX_NS,
          "outbox: the backoff doubles from 30 s up to an hour");

    /* max bounds a call. */
    server_clear(&srv);
    add_route("/hook/", 200, NULL, "", -1);
    for (int i = 0; i < 3; i++)
        queue(st, inc, "audit", "bulk");
    rc = rip_notify_deliver(st, &ch, t, 2, &s);
    CHECK(rc == 0 && s.tried == 2, "outbox: max bounds the rows sent in one call");
    CHECK(rip_store_mark_notification(st, 999999, 1, 1, NULL, 1) == RIP_ENOTFOUND,
          "outbox: marking a row that does not exist is RIP_ENOTFOUND");

    rip_store_close(st);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
}

int main(void)
{
    if (server_start(&srv)) {
        CHECK(0, "the stand-in HTTP server starts on 127.0.0.1");
        return tap_done();
    }
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", srv.port);
    test_verify();
    test_interaction();
    test_blocks();
    test_slack_client();
    test_pagerduty();
    test_webhook();
    test_deliver();
    server_stop(&srv);
    return tap_done();
}
