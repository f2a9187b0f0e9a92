/* aws-http.c — endpoints, signing, libcurl, retries, errors. See aws-http.h. */
#include "cloud/aws-http.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cloud/curl-load.h"

#include "cloud/aws-creds.h"
#include "cloud/aws-xml.h"
#include "util/crypto-load.h"
#include "util/err.h"
#include "util/log.h"
#include "util/json.h"

#define MAX_BACKOFF_MS 20000L
#define QUOTA_INITIAL 500
#define COST_THROTTLE 5
#define COST_OTHER 14

void rip_aws_response_init(rip_aws_response *r)
{
    memset(r, 0, sizeof(*r));
    rip_buf_init(&r->body, 64u << 20);
}

void rip_aws_response_release(rip_aws_response *r)
{
    if (r)
        rip_buf_release(&r->body);
}

static void copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap)
        len = cap - 1;
    memcpy(dst, src, len);
    dst[len] = '\0';
}

int rip_aws_client_init(rip_aws_client *c, const char *region)
{
    memset(c, 0, sizeof(*c));
    const rip_curl_api *curl = rip_curl();
    if (!curl)
        return RIP_ENOENT;
    c->curl = curl->easy_init();
    if (!c->curl)
        return RIP_ENOMEM;
    if (!region || !*region)
        region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    if (!region || !*region)
        region = "us-east-1";
    snprintf(c->region, sizeof(c->region), "%s", region);
    c->timeout_ms = 30000;
    c->connect_timeout_ms = 5000;
    c->max_attempts = 3;
    const char *ma = getenv("AWS_MAX_ATTEMPTS");
    if (ma && atoi(ma) > 0 && atoi(ma) <= 10)
        c->max_attempts = atoi(ma);
    c->quota = QUOTA_INITIAL;
    c->max_response = 64u << 20;
    c->seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)c;
    return 0;
}

const char *rip_aws_client_init_error(int rc)
{
    if (rc == RIP_ENOENT && *rip_curl_load_error())
        return rip_curl_load_error();
    return "cannot set up the HTTP client";
}

void rip_aws_client_release(rip_aws_client *c)
{
    if (!c)
        return;
    if (c->curl)
        rip_curl()->easy_cleanup(c->curl);  /* loaded: the handle came from it */
    c->curl = NULL;
    if (c->sibling) {
        rip_aws_client_release(c->sibling);
        free(c->sibling);
        c->sibling = NULL;
    }
}

rip_aws_client *rip_aws_client_sibling(rip_aws_client *c, const rip_aws_creds *creds)
{
    if (!c->sibling) {
        rip_aws_client *s = malloc(sizeof(*s));
        if (!s || rip_aws_client_init(s, c->region) < 0) {
            free(s);
            return NULL;
        }
        c->sibling = s;
    }
    rip_aws_client *s = c->sibling;
    snprintf(s->region, sizeof(s->region), "%s", c->region);
    s->provider = NULL;
    s->creds = creds;
    s->timeout_ms = c->timeout_ms;
    s->connect_timeout_ms = c->connect_timeout_ms;
    s->max_attempts = c->max_attempts;
    s->max_response = c->max_response;
    s->log = c->log;
    s->log_ctx = c->log_ctx;
    s->sleep_ms = c->sleep_ms;
    snprintf(s->endpoint_url, sizeof(s->endpoint_url), "%s", c->endpoint_url);
    s->retry_mode = c->retry_mode;
    return s;
}

int rip_aws_client_creds(rip_aws_client *c, rip_aws_creds *out)
{
    if (c->creds) {
        *out = *c->creds;
        return 0;
    }
    if (c->provider)
        return rip_aws_creds_get(c->provider, time(NULL), out);
    return RIP_ENOENT;
}

/* ---- endpoints ---- */

int rip_aws_endpoint(const char *service, const char *region, const char *profile_url,
                     rip_buf *url, const char **signing_region, bool *custom)
{
    char env[96];
    size_t n = 0;
    const char *id = !strcmp(service, "s3control") ? "s3_control" : service;
    n = (size_t)snprintf(env, sizeof(env), "AWS_ENDPOINT_URL_");
    for (const char *p = id; *p && n + 1 < sizeof(env); p++)
        env[n++] = (*p == '-' || *p == ' ') ? '_' : (char)toupper((unsigned char)*p);
    env[n] = '\0';
    const char *ignore = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    const char *v = NULL;
    if (!ignore || strcasecmp(ignore, "true")) {
        v = getenv(env);
        if (!v || !*v)
            v = getenv("AWS_ENDPOINT_URL");
        if (!v || !*v)
            v = profile_url;
    }
    rip_buf_reset(url);
    *signing_region = region;
    if (v && *v) {
        size_t l = strlen(v);
        while (l > 0 && v[l - 1] == '/')
            l--;
        *custom = true;
        if (!strcmp(service, "iam"))
            *signing_region = "us-east-1";
        return rip_buf_add(url, v, l);
    }
    *custom = false;
    const char *dns = strncmp(region, "cn-", 3) ? "amazonaws.com" : "amazonaws.com.cn";
    if (!strcmp(service, "iam")) {
        if (!strncmp(region, "cn-", 3)) {
            *signing_region = "cn-north-1";
            return rip_buf_adds(url, "https://iam.cn-north-1.amazonaws.com.cn");
        }
        if (!strncmp(region, "us-gov-", 7)) {
            *signing_region = "us-gov-west-1";
            return rip_buf_adds(url, "https://iam.us-gov.amazonaws.com");
        }
        *signing_region = "us-east-1";
        return rip_buf_adds(url, "https://iam.amazonaws.com");
    }
    if (!strcmp(service, "s3control"))
        return rip_buf_addf(url, "https://s3-control.%s.%s", region, dns);
    return rip_buf_addf(url, "https://%s.%s.%s", service, region, dns);
}

/* ---- errors ---- */

bool rip_aws_is_throttling(long status, const char *code)
{
    static const char *const codes[] = {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException",
        "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
        "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
        "EC2ThrottledException",
    };
    if (status == 429)
        return true;
    for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i]))
            return true;
    return false;
}

bool rip_aws_is_transient(long status, const char *code)
{
    static const char *const codes[] = {
        "RequestTimeout", "RequestTimeoutException", "InternalError", "InternalFailure",
        "ServiceUnavailable", "IDPCommunicationError",
    };
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return true;
    for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i]))
            return true;
    return false;
}

void rip_aws_redact(char *s, size_t cap, const char *needle)
{
    static const char mark[] = "<redacted>";
    size_t nl = needle ? strlen(needle) : 0;
    if (nl < 8 || !s)
        return;
    char *p;
    while ((p = strstr(s, needle))) {
        size_t tail = strlen(p + nl);
        size_t newlen = (size_t)(p - s) + sizeof(mark) - 1 + tail;
        if (newlen + 1 > cap) {
            /* No room: cut the text at the secret. */
            *p = '\0';
            return;
        }
        memmove(p + sizeof(mark) - 1, p + nl, tail + 1);
        memcpy(p, mark, sizeof(mark) - 1);
    }
    /* A message cut to fit its buffer may end in the first part of a secret
     * (a session token is longer than the message field): redact a tail of
     * 16 or more characters that is the start of the needle. */
    size_t sl = strlen(s);
    for (size_t i = 0; i + 16 <= sl; i++) {
        size_t rest = sl - i;
        if (rest < nl && memcmp(s + i, needle, rest) == 0) {
            if (i + sizeof(mark) <= cap)
                memcpy(s + i, mark, sizeof(mark));
            else
                s[i] = '\0';
            return;
        }
    }
}

void rip_aws_parse_error(const char *body, size_t len, const char *content_type,
                         const char *error_type_header, rip_aws_error *err)
{
    err->code[0] = err->message[0] = '\0';
    size_t i = 0;
    while (i < len && isspace((unsigned char)body[i]))
        i++;
    if (i < len && body[i] == '<') {
        rip_aws_xml x;
        rip_aws_xml_init(&x);
        if (rip_aws_xml_parse(&x, body, len, NULL) == 0) {
            const rip_aws_xml_node *e = rip_aws_xml_find(x.root, "Error");
            const rip_aws_xml_node *c = rip_aws_xml_find(e ? e : x.root, "Code");
            const rip_aws_xml_node *m = rip_aws_xml_find(e ? e : x.root, "Message");
            const rip_aws_xml_node *r = rip_aws_xml_find(x.root, "RequestId");
            if (!r)
                r = rip_aws_xml_find(x.root, "RequestID");
            if (c)
                copy_str(err->code, sizeof(err->code), c->text, c->text_len);
            if (m)
                copy_str(err->message, sizeof(err->message), m->text, m->text_len);
            if (r && r->text_len && !err->request_id[0])
                copy_str(err->request_id, sizeof(err->request_id), r->text, r->text_len);
        }
        rip_aws_xml_release(&x);
    } else if (i < len && body[i] == '{') {
        rip_json_doc d;
        rip_json_limits lim = rip_json_default_limits;
        lim.max_size = 1u << 20;
        rip_json_doc_init(&d, &lim);
        if (rip_json_parse(&d, body, len, NULL) == 0) {
            const rip_json_node *root = rip_json_root(&d);
            const rip_json_node *t = rip_json_get(root, "__type");
            if (!t)
                t = rip_json_get(root, "code");
            if (!t)
                t = rip_json_get(root, "Code");
            const rip_json_node *m = rip_json_get(root, "message");
            if (!m)
                m = rip_json_get(root, "Message");
            if (!m)
                m = rip_json_get(root, "errorMessage");
            if (rip_json_is(t, RIP_JSON_STRING)) {
                rip_slice s = rip_json_str(&d, t);
                copy_str(err->code, sizeof(err->code), s.ptr, s.len);
            }
            if (rip_json_is(m, RIP_JSON_STRING)) {
                rip_slice s = rip_json_str(&d, m);
                copy_str(err->message, sizeof(err->message), s.ptr, s.len);
            }
        }
        rip_json_doc_release(&d);
    }
    (void)content_type;
    if (!err->code[0] && error_type_header && *error_type_header)
        snprintf(err->code, sizeof(err->code), "%s", error_type_header);
    /* "aws.protocoltests#FooError:http://..." -> "FooError" */
    char *colon = strchr(err->code, ':');
    if (colon)
        *colon = '\0';
    char *hash = strrchr(err->code, '#');
    if (hash)
        memmove(err->code, hash + 1, strlen(hash + 1) + 1);
}

/* ---- transport ---- */

typedef struct xfer {
    char request_id[128];
    char content_type[128];
    char error_type[128];
    long retry_after_ms;
} xfer;

static void header_value(const char *line, size_t n, size_t namelen, char *out, size_t cap)
{
    const char *v = line + namelen;
    size_t l = n - namelen;
    while (l && (*v == ' ' || *v == '\t')) {
        v++;
        l--;
    }
    while (l && (v[l - 1] == '\r' || v[l - 1] == '\n' || v[l - 1] == ' '))
        l--;
    copy_str(out, cap, v, l);
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;
    static const struct { const char *name; size_t off; } want[] = {
        { "x-amzn-requestid:", offsetof(xfer, request_id) },
        { "x-amz-request-id:", offsetof(xfer, request_id) },
        { "content-type:", offsetof(xfer, content_type) },
        { "x-amzn-errortype:", offsetof(xfer, error_type) },
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t l = strlen(want[i].name);
        if (n > l && !strncasecmp(p, want[i].name, l))
            header_value(p, n, l, (char *)x + want[i].off, 128);
    }
    if (n > 18 && !strncasecmp(p, "x-amz-retry-after:", 18)) {
        char v[32];
        header_value(p, n, 18, v, sizeof(v));
        char *end;
        long ms = strtol(v, &end, 10);
        if (end != v && *end == '\0' && ms >= 0)
            x->retry_after_ms = ms;
    }
    return n;
}

static void logf_(rip_aws_client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(rip_aws_client *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rip_vlogf(c->log, c->log_ctx, NULL, fmt, ap);
    va_end(ap);
}

static void sleep_ms(rip_aws_client *c, long ms)
{
    if (c->sleep_ms) {
        c->sleep_ms(ms);
        return;
    }
    if (ms <= 0)
        return;
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool url_safe_char(char ch)
{
    return isalnum((unsigned char)ch) || strchr("-._~/:%[]@!$&'()*+,;=?", ch);
}

int rip_aws_send(rip_aws_client *c, const rip_aws_request *r, rip_aws_response *resp,
                 rip_aws_error *err)
{
    rip_buf base = RIP_BUF_INIT, url = RIP_BUF_INIT, hostb = RIP_BUF_INIT;
    rip_aws_creds creds;
    rip_aws_sig_out sig;
    const rip_curl_api *curl = rip_curl();  /* loaded when c->curl is set */
    struct curl_slist *hl = NULL;
    const char *signing_region;
    bool custom;
    int rc;
    char curl_err[CURL_ERROR_SIZE];
    const char *scrub[3] = { NULL, NULL, NULL };

    memset(err, 0, sizeof(*err));
    memset(&creds, 0, sizeof(creds));
    rip_aws_sig_out_init(&sig);
    rip_buf_reset(&resp->body);
    resp->status = 0;
    resp->request_id[0] = resp->content_type[0] = '\0';
    resp->body.cap = c->max_response;

    if (!r->service || !r->method || !c->curl) {
        rc = RIP_EINVAL;
        snprintf(err->message, sizeof(err->message), "invalid request");
        goto out;
    }
    const char *path = r->path && *r->path ? r->path : "/";
    for (const char *p = path; *p; p++)
        if (!url_safe_char(*p)) {
            rc = RIP_EINVAL;
            snprintf(err->message, sizeof(err->message), "path is not URI-encoded");
            goto out;
        }
    if ((rc = rip_aws_endpoint(r->service, c->region, c->endpoint_url, &base, &signing_region,
                               &custom)) < 0)
        goto out;
    /* scheme://[prefix]host[:port][basepath] + path [+ ? query] */
    const char *hs = strstr(base.ptr, "://");
    if (!hs) {
        rc = RIP_EINVAL;
        snprintf(err->message, sizeof(err->message), "endpoint URL '%s' has no scheme", base.ptr);
        goto out;
    }
    hs += 3;
    size_t hlen = strcspn(hs, "/");
    const char *basepath = hs + hlen;
    const char *prefix = !custom && r->host_prefix ? r->host_prefix : "";
    char acct[160] = "";
    if (!custom && !r->host_prefix && !strcmp(r->service, "s3control")) {
        /* S3 Control: {account}.s3-control.{region}.amazonaws.com */
        for (size_t i = 0; i < r->nheaders; i++)
            if (!strcasecmp(r->headers[i].name, "x-amz-account-id"))
                snprintf(acct, sizeof(acct), "%.64s.", r->headers[i].value);
        prefix = acct;
    }
    if ((rc = rip_buf_addf(&hostb, "%s%.*s", prefix, (int)hlen, hs)) < 0 ||
        (rc = rip_buf_addf(&url, "%.*s%s%s%s", (int)(hs - base.ptr), base.ptr, hostb.ptr,
                           basepath, path)) < 0)
        goto out;
    if (r->query && *r->query && (rc = rip_buf_addf(&url, "?%s", r->query)) < 0)
        goto out;
    /* Strip the default port from the Host header value, as clients do. */
    size_t hb = hostb.len;
    if (hb > 3 && !strcmp(hostb.ptr + hb - 3, ":80") && !strncmp(base.ptr, "http:", 5))
        hostb.ptr[hostb.len -= 3] = '\0';
    if (hb > 4 && !strcmp(hostb.ptr + hb - 4, ":443") && !strncmp(base.ptr, "https:", 6))
        hostb.ptr[hostb.len -= 4] = '\0';

    /* The signed path includes the endpoint's base path. */
    rip_buf sigpath = RIP_BUF_INIT;
    if ((rc = rip_buf_addf(&sigpath, "%s%s", basepath, path)) < 0)
        goto out;

    int attempt = 0;
    int acquired = 0;
    for (;;) {
        attempt++;
        err->attempts = attempt;
        if (hl)
            curl->slist_free_all(hl);
        hl = NULL;
        rip_buf_reset(&resp->body);

        const char *signing = r->signing_name ? r->signing_name : r->service;
        if (!strcmp(signing, "s3control"))
            signing = "s3";
        bool is_s3 = !strcmp(signing, "s3");
        rip_aws_header hdrs[RIP_AWS_SIG_MAX_HEADERS];
        size_t nh = 0;
        hdrs[nh++] = (rip_aws_header){ "Host", hostb.ptr };
        for (size_t i = 0; i < r->nheaders && nh < RIP_AWS_SIG_MAX_HEADERS - 1; i++)
            hdrs[nh++] = r->headers[i];

        char line[8192];
        for (size_t i = 1; i < nh; i++) {
            snprintf(line, sizeof(line), "%s: %s", hdrs[i].name, hdrs[i].value);
            hl = curl->slist_append(hl, line);
        }
        if (!r->anonymous) {
            if (c->creds) {
                creds = *c->creds;
            } else if (c->provider) {
                rc = rip_aws_creds_get(c->provider, time(NULL), &creds);
                if (rc < 0) {
                    snprintf(err->message, sizeof(err->message), "no credentials: %.480s",
                             c->provider->error[0] ? c->provider->error : rip_strerror(rc));
                    rip_buf_release(&sigpath);
                    rc = rc == RIP_ENOENT ? RIP_ENOENT : rc;
                    goto out;
                }
            } else {
                rc = RIP_ENOENT;
                snprintf(err->message, sizeof(err->message), "no credentials");
                rip_buf_release(&sigpath);
                goto out;
            }
            scrub[0] = creds.secret_access_key;
            scrub[1] = creds.session_token;
            rip_aws_sig_request sr = {
                .method = r->method, .path = sigpath.ptr, .query = r->query,
                .headers = hdrs, .nheaders = nh, .body = r->body, .body_len = r->body_len,
                .payload_hash = NULL,
            };
            rip_aws_sig_creds sc = { creds.access_key_id, creds.secret_access_key,
                                     creds.session_token };
            rip_aws_sig_params sp = { signing_region, signing, time(NULL),
                                      is_s3 ? RIP_AWS_SIG_S3 : RIP_AWS_SIG_DEFAULT, 0 };
            rc = rip_aws_sigv4_sign(&sr, &sc, &sp, &sig);
            if (rc < 0) {
                snprintf(err->message, sizeof(err->message), "cannot sign request: %s",
                         rc == RIP_ENOENT && *rip_crypto_load_error()
                             ? rip_crypto_load_error() : rip_strerror(rc));
                rip_buf_release(&sigpath);
                goto out;
            }
            scrub[2] = sig.signature;
            snprintf(line, sizeof(line), "X-Amz-Date: %s", sig.amz_date);
            hl = curl->slist_append(hl, line);
            if (creds.session_token[0]) {
                snprintf(line, sizeof(line), "X-Amz-Security-Token: %s", creds.session_token);
                hl = curl->slist_append(hl, line);
            }
            if (is_s3) {
                snprintf(line, sizeof(line), "X-Amz-Content-SHA256: %s", sig.payload_hash);
                hl = curl->slist_append(hl, line);
            }
            snprintf(line, sizeof(line), "Authorization: %s", sig.authorization.ptr);
            hl = curl->slist_append(hl, line);
        }
        hl = curl->slist_append(hl, "Expect:");
        hl = curl->slist_append(hl, "User-Agent: riposte/0.1");
        if (!hl) {
            rc = RIP_ENOMEM;
            rip_buf_release(&sigpath);
            goto out;
        }

        xfer x;
        memset(&x, 0, sizeof(x));
        x.retry_after_ms = -1;
        rip_curl_sink sink = { &resp->body, 0, 0 };   /* the body's own cap */
        CURL *cu = c->curl;
        curl->easy_reset(cu);
        curl->easy_setopt(cu, CURLOPT_URL, url.ptr);
        curl->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
        curl->easy_setopt(cu, CURLOPT_TIMEOUT_MS, c->timeout_ms);
        curl->easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
        curl->easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
        curl->easy_setopt(cu, CURLOPT_WRITEFUNCTION, rip_curl_sink_write);
        curl->easy_setopt(cu, CURLOPT_WRITEDATA, &sink);
        curl->easy_setopt(cu, CURLOPT_HEADERFUNCTION, on_header);
        curl->easy_setopt(cu, CURLOPT_HEADERDATA, &x);
        curl->easy_setopt(cu, CURLOPT_ERRORBUFFER, curl_err);
        curl->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
        curl->easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->max_response);
        if (!strcmp(r->method, "GET")) {
            curl->easy_setopt(cu, CURLOPT_HTTPGET, 1L);
        } else if (!strcmp(r->method, "HEAD")) {
            curl->easy_setopt(cu, CURLOPT_NOBODY, 1L);
        } else {
            curl->easy_setopt(cu, CURLOPT_CUSTOMREQUEST, r->method);
            curl->easy_setopt(cu, CURLOPT_POSTFIELDS, r->body ? r->body : "");
            curl->easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
        }
        curl_err[0] = '\0';
        logf_(c, "%s %s %s (attempt %d)", r->service, r->method, url.ptr, attempt);
        CURLcode cc = curl->easy_perform(cu);
        long status = 0;
        curl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
        resp->status = status;
        err->status = status;
        snprintf(resp->request_id, sizeof(resp->request_id), "%s", x.request_id);
        snprintf(resp->content_type, sizeof(resp->content_type), "%s", x.content_type);
        snprintf(err->request_id, sizeof(err->request_id), "%s", x.request_id);

        bool throttle = false, retryable = false, timeout = false;
        if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            rc = RIP_ELIMIT;
            snprintf(err->message, sizeof(err->message), "response larger than %zu bytes",
                     c->max_response);
            logf_(c, "-> response too large");
            rip_buf_release(&sigpath);
            goto out;
        }
        if (cc != CURLE_OK) {
            rc = RIP_EIO;
            err->status = 0;
            snprintf(err->message, sizeof(err->message), "%s",
                     curl_err[0] ? curl_err : curl->easy_strerror(cc));
            retryable = true;
            timeout = cc == CURLE_OPERATION_TIMEDOUT;
            logf_(c, "-> transport error: %s", err->message);
        } else if (status >= 200 && status < 300) {
            logf_(c, "-> %ld (%zu bytes, request id %s)", status, resp->body.len,
                  x.request_id[0] ? x.request_id : "-");
            c->quota += acquired ? acquired : 1;
            if (c->quota > QUOTA_INITIAL)
                c->quota = QUOTA_INITIAL;
            rc = 0;
            rip_buf_release(&sigpath);
            goto out;
        } else {
            rc = RIP_EIO;
            rip_aws_parse_error(resp->body.ptr, resp->body.len, x.content_type, x.error_type, err);
            snprintf(resp->request_id, sizeof(resp->request_id), "%s", err->request_id);
            if (!err->code[0])
                snprintf(err->code, sizeof(err->code), "HTTP%ld", status);
            for (int s = 0; s < 3; s++)
                rip_aws_redact(err->message, sizeof(err->message), scrub[s]);
            throttle = rip_aws_is_throttling(status, err->code);
            retryable = throttle || rip_aws_is_transient(status, err->code);
            logf_(c, "-> %ld %s: %s (request id %s)", status, err->code, err->message,
                  err->request_id[0] ? err->request_id : "-");
        }
        if (!retryable || attempt >= c->max_attempts)
            break;
        int cost = throttle ? COST_THROTTLE : COST_OTHER;
        (void)timeout;
        if (c->retry_mode == RIP_AWS_RETRY_LEGACY)
            cost = 0;
        if (c->quota < cost) {
            logf_(c, "retry quota exhausted; not retrying");
            break;
        }
        c->quota -= cost;
        acquired = cost;
        long basems = throttle ? 1000 : 50;
        long cap = basems << (attempt - 1);
        if (cap > MAX_BACKOFF_MS)
            cap = MAX_BACKOFF_MS;
        long delay = (long)((double)rand_r(&c->seed) / ((double)RAND_MAX + 1.0) * (double)cap);
        if (x.retry_after_ms >= 0) {
            long ra = x.retry_after_ms;
            if (ra < delay)
                ra = delay;
            if (ra > delay + 5000)
                ra = delay + 5000;
            delay = ra;
        }
        logf_(c, "retrying in %ld ms", delay);
        sleep_ms(c, delay);
    }
    rip_buf_release(&sigpath);
out:
    for (int s = 0; s < 3; s++)
        rip_aws_redact(err->message, sizeof(err->message), scrub[s]);
    if (hl)
        curl->slist_free_all(hl);
    rip_aws_sig_out_release(&sig);
    rip_aws_creds_wipe(&creds);
    rip_buf_release(&base);
    rip_buf_release(&url);
    rip_buf_release(&hostb);
    return rc;
}
