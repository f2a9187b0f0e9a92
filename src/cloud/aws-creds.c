/* aws-creds.c — the credential chain. See aws-creds.h. */
#include "cloud/aws-creds.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloud/curl-load.h"

#include "cloud/aws-proto.h"
#include "cloud/aws-xml.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/json.h"

#define MAX_FILE (1u << 20)          /* config/credentials/token files */
#define MAX_PROCESS_OUTPUT (64u << 10)
#define MAX_HTTP_BODY (64u << 10)
#define MAX_ROLE_CHAIN 5

void rip_aws_creds_wipe(rip_aws_creds *c)
{
    if (c)
        rip_wipe(c, sizeof(*c));
}

void rip_aws_creds_provider_init(rip_aws_creds_provider *p, const char *profile,
                                 const char *region)
{
    memset(p, 0, sizeof(*p));
    p->profile_explicit = profile && *profile;
    if (!p->profile_explicit)
        profile = getenv("AWS_PROFILE");
    if (!profile || !*profile)
        profile = "default";
    snprintf(p->profile, sizeof(p->profile), "%s", profile);
    if (!region || !*region)
        region = getenv("AWS_REGION");
    if (!region || !*region)
        region = getenv("AWS_DEFAULT_REGION");
    snprintf(p->region, sizeof(p->region), "%s", region && *region ? region : "us-east-1");
    p->imds_timeout_ms = 1000;
}

void rip_aws_creds_provider_release(rip_aws_creds_provider *p)
{
    if (!p)
        return;
    rip_aws_creds_wipe(&p->cached);
    p->have = false;
}

static void seterr(rip_aws_creds_provider *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void seterr(rip_aws_creds_provider *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->error, sizeof(p->error), fmt, ap);
    va_end(ap);
}

/* ---- time ---- */

int rip_aws_parse_time(const char *s, time_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e)
        return RIP_ESYNTAX;
    if (*e == '.') {
        e++;
        while (isdigit((unsigned char)*e))
            e++;
    }
    long off = 0;
    if (*e == 'Z' || *e == 'z') {
        e++;
    } else if (*e == '+' || *e == '-') {
        int hh, mm;
        if (sscanf(e + 1, "%2d:%2d", &hh, &mm) != 2)
            return RIP_ESYNTAX;
        off = (hh * 3600L + mm * 60L) * (*e == '+' ? 1 : -1);
        e += 6;
    }
    if (*e)
        return RIP_ESYNTAX;
    *out = timegm(&tm) - off;
    return 0;
}

/* ---- files ---- */

static int read_file(const char *path, size_t cap, rip_buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? RIP_ENOENT : RIP_EIO;
    char chunk[4096];
    size_t n;
    int rc = 0;
    out->cap = cap;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if ((rc = rip_buf_add(out, chunk, n)) < 0)
            break;
    if (rc == 0 && ferror(f))
        rc = RIP_EIO;
    fclose(f);
    return rc;
}

static void home_path(char *out, size_t cap, const char *env, const char *rel)
{
    const char *v = getenv(env);
    if (v && *v) {
        if (v[0] == '~' && v[1] == '/' && getenv("HOME"))
            snprintf(out, cap, "%s%s", getenv("HOME"), v + 1);
        else
            snprintf(out, cap, "%s", v);
        return;
    }
    const char *home = getenv("HOME");
    snprintf(out, cap, "%s/%s", home ? home : ".", rel);
}

static const char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t l = strlen(s);
    while (l && isspace((unsigned char)s[l - 1]))
        s[--l] = '\0';
    return s;
}

/* Looks key up in section of an INI file's text. Sub-sections (indented
 * lines after "key =") are skipped. 0 / RIP_ENOTFOUND / RIP_ELIMIT. */
static int ini_lookup(const char *text, const char *section, const char *key, char *out,
                      size_t outlen)
{
    const char *p = text;
    bool in = false;
    char line[4096];
    while (*p) {
        size_t l = strcspn(p, "\n");
        bool indented = (*p == ' ' || *p == '\t');
        if (l >= sizeof(line)) {
            p += l + (p[l] == '\n');
            continue;
        }
        memcpy(line, p, l);
        line[l] = '\0';
        p += l + (p[l] == '\n');
        char *t = (char *)trim(line);
        if (!*t || *t == '#' || *t == ';')
            continue;
        if (*t == '[') {
            char *end = strrchr(t, ']');
            if (!end)
                continue;
            *end = '\0';
            /* "[ profile  x ]" -> "profile x" */
            char norm[512];
            size_t n = 0;
            bool sp = false;
            for (const char *s = trim(t + 1); *s && n + 1 < sizeof(norm); s++) {
                if (isspace((unsigned char)*s)) {
                    sp = true;
                    continue;
                }
                if (sp && n)
                    norm[n++] = ' ';
                sp = false;
                norm[n++] = *s;
            }
            norm[n] = '\0';
            in = !strcmp(norm, section);
            continue;
        }
        if (!in || indented)
            continue;
        char *eq = strchr(t, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *k = trim(t);
        const char *v = trim(eq + 1);
        if (strcasecmp(k, key))
            continue;
        if (strlen(v) >= outlen)
            return RIP_ELIMIT;
        strcpy(out, v);
        return 0;
    }
    return RIP_ENOTFOUND;
}

/* Profile key: credentials file [name] first, then config [profile name]
 * (or [default]). */
static int profile_get(const char *profile, const char *key, char *out, size_t outlen)
{
    char path[4096], section[300];
    rip_buf b = RIP_BUF_INIT;
    int rc = RIP_ENOTFOUND;
    home_path(path, sizeof(path), "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    if (read_file(path, MAX_FILE, &b) == 0)
        rc = ini_lookup(b.ptr, profile, key, out, outlen);
    rip_wipe(b.ptr, b.len);
    rip_buf_release(&b);
    if (rc != RIP_ENOTFOUND)
        return rc;
    home_path(path, sizeof(path), "AWS_CONFIG_FILE", ".aws/config");
    if (read_file(path, MAX_FILE, &b) == 0) {
        if (!strcmp(profile, "default"))
            snprintf(section, sizeof(section), "default");
        else
            snprintf(section, sizeof(section), "profile %s", profile);
        rc = ini_lookup(b.ptr, section, key, out, outlen);
        if (rc == RIP_ENOTFOUND && !strcmp(profile, "default"))
            rc = ini_lookup(b.ptr, "profile default", key, out, outlen);
    }
    rip_wipe(b.ptr, b.len);
    rip_buf_release(&b);
    return rc;
}

int rip_aws_config_get(const char *profile, const char *key, char *out, size_t outlen)
{
    if (!profile || !*profile)
        profile = getenv("AWS_PROFILE");
    if (!profile || !*profile)
        profile = "default";
    char tmp[1024];
    int rc = profile_get(profile, key, tmp, sizeof(tmp));
    if (rc < 0)
        return rc;
    if (strlen(tmp) >= outlen)
        return RIP_ELIMIT;
    strcpy(out, tmp);
    return 0;
}

/* ---- JSON credential documents (process, container, IMDS) ---- */

static int json_field(rip_json_doc *d, const rip_json_node *root, const char *key, char *out,
                      size_t cap, bool required)
{
    const rip_json_node *n = rip_json_get(root, key);
    if (!n || n->type == RIP_JSON_NULL) {
        out[0] = '\0';
        return required ? RIP_ENOTFOUND : 0;
    }
    if (n->type != RIP_JSON_STRING)
        return RIP_ETYPE;
    rip_slice s = rip_json_str(d, n);
    if (!s.ptr || s.len >= cap)
        return RIP_ELIMIT;
    memcpy(out, s.ptr, s.len);
    out[s.len] = '\0';
    return 0;
}

/* {AccessKeyId, SecretAccessKey, SessionToken|Token, Expiration}. */
static int creds_from_json(const char *text, size_t len, rip_aws_creds *out, const char *why,
                           rip_aws_creds_provider *p)
{
    rip_json_doc d;
    rip_json_limits lim = rip_json_default_limits;
    lim.max_size = MAX_HTTP_BODY;
    lim.max_depth = 8;
    rip_json_doc_init(&d, &lim);
    rip_aws_creds c;
    memset(&c, 0, sizeof(c));
    char exp[64] = "";
    int rc = rip_json_parse(&d, text, len, NULL);
    if (rc < 0) {
        seterr(p, "%s: output is not JSON", why);
        goto out;
    }
    const rip_json_node *root = rip_json_root(&d);
    if ((rc = json_field(&d, root, "AccessKeyId", c.access_key_id, sizeof(c.access_key_id), true)) < 0 ||
        (rc = json_field(&d, root, "SecretAccessKey", c.secret_access_key,
                         sizeof(c.secret_access_key), true)) < 0) {
        seterr(p, "%s: missing or bad AccessKeyId/SecretAccessKey", why);
        goto out;
    }
    if ((rc = json_field(&d, root, "SessionToken", c.session_token, sizeof(c.session_token), false)) < 0 ||
        (!c.session_token[0] &&
         (rc = json_field(&d, root, "Token", c.session_token, sizeof(c.session_token), false)) < 0) ||
        (rc = json_field(&d, root, "Expiration", exp, sizeof(exp), false)) < 0) {
        seterr(p, "%s: bad SessionToken/Token/Expiration", why);
        goto out;
    }
    if (exp[0] && (rc = rip_aws_parse_time(exp, &c.expiration)) < 0) {
        seterr(p, "%s: bad Expiration '%s'", why, exp);
        goto out;
    }
    *out = c;
    rc = 0;
out:
    rip_aws_creds_wipe(&c);
    rip_json_doc_release(&d);
    return rc;
}

/* ---- credential_process ---- */

static int from_process(rip_aws_creds_provider *p, const char *cmd, rip_aws_creds *out)
{
    rip_buf b;
    rip_buf_init(&b, MAX_PROCESS_OUTPUT);
    FILE *f = popen(cmd, "r");
    int rc = 0;
    if (!f) {
        seterr(p, "profile '%s': cannot run credential_process", p->profile);
        return RIP_EIO;
    }
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rc == 0 && rip_buf_add(&b, chunk, n) < 0)
            rc = RIP_ELIMIT;   /* keep draining so the child can exit */
    int st = pclose(f);
    if (rc == 0 && (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
        seterr(p, "profile '%s': credential_process exited with status %d", p->profile,
               st == -1 ? -1 : WEXITSTATUS(st));
        rc = RIP_EIO;
    } else if (rc < 0) {
        seterr(p, "profile '%s': credential_process output over %u bytes", p->profile,
               MAX_PROCESS_OUTPUT);
    } else {
        char why[200];
        snprintf(why, sizeof(why), "profile '%s': credential_process", p->profile);
        rc = creds_from_json(b.ptr, b.len, out, why, p);
    }
    rip_wipe(b.ptr, b.len);
    rip_buf_release(&b);
    return rc;
}

/* ---- plain HTTP for container and IMDS ---- */

static size_t http_body(char *d, size_t s, size_t n, void *ud)
{
    return rip_buf_add(ud, d, s * n) < 0 ? 0 : s * n;
}

static int http_plain(const char *method, const char *url, const char *hdr1, const char *hdr2,
                      long timeout_ms, rip_buf *out, long *status)
{
    const rip_curl_api *curl = rip_curl();
    if (!curl)
        return RIP_EIO;  /* rip_curl_load_error() says why */
    CURL *cu = curl->easy_init();
    struct curl_slist *hl = NULL;
    if (!cu)
        return RIP_ENOMEM;
    if (hdr1)
        hl = curl->slist_append(hl, hdr1);
    if (hdr2)
        hl = curl->slist_append(hl, hdr2);
    out->cap = MAX_HTTP_BODY;
    curl->easy_setopt(cu, CURLOPT_URL, url);
    curl->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(cu, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl->easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl->easy_setopt(cu, CURLOPT_HTTPHEADER, hl);
    curl->easy_setopt(cu, CURLOPT_WRITEFUNCTION, http_body);
    curl->easy_setopt(cu, CURLOPT_WRITEDATA, out);
    curl->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(cu, CURLOPT_NOPROXY, "*");
    if (!strcmp(method, "PUT")) {
        curl->easy_setopt(cu, CURLOPT_CUSTOMREQUEST, "PUT");
        curl->easy_setopt(cu, CURLOPT_POSTFIELDS, "");
        curl->easy_setopt(cu, CURLOPT_POSTFIELDSIZE, 0L);
    }
    CURLcode cc = curl->easy_perform(cu);
    *status = 0;
    curl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
    curl->slist_free_all(hl);
    curl->easy_cleanup(cu);
    return cc == CURLE_OK ? 0 : (cc == CURLE_WRITE_ERROR ? RIP_ELIMIT : RIP_EIO);
}

static bool loopback_http(const char *url)
{
    if (!strncmp(url, "https://", 8))
        return true;
    static const char *const ok[] = {
        "http://127.", "http://localhost:", "http://localhost/", "http://[::1]",
        "http://169.254.170.2", "http://169.254.170.23", "http://[fd00:ec2::23]",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!strncmp(url, ok[i], strlen(ok[i])))
            return true;
    return false;
}

static int from_container(rip_aws_creds_provider *p, rip_aws_creds *out)
{
    const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    char url[2048], auth[4200] = "";
    if (rel && *rel) {
        snprintf(url, sizeof(url), "http://169.254.170.2%s", rel);
    } else if (full && *full) {
        if (!loopback_http(full)) {
            seterr(p, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https or a loopback http URL");
            return RIP_EINVAL;
        }
        snprintf(url, sizeof(url), "%s", full);
    } else {
        return RIP_ENOENT;
    }
    const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    const char *tokfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    rip_buf tb = RIP_BUF_INIT;
    int rc;
    if (tokfile && *tokfile) {
        if ((rc = read_file(tokfile, 16384, &tb)) < 0) {
            seterr(p, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE '%s'", tokfile);
            rip_buf_release(&tb);
            return rc;
        }
        while (tb.len && isspace((unsigned char)tb.ptr[tb.len - 1]))
            tb.ptr[--tb.len] = '\0';
        tok = tb.ptr;
    }
    if (tok && *tok) {
        if (strchr(tok, '\r') || strchr(tok, '\n')) {
            seterr(p, "container authorization token holds a line break");
            rip_buf_release(&tb);
            return RIP_EINVAL;
        }
        snprintf(auth, sizeof(auth), "Authorization: %s", tok);
    }
    rip_buf body = RIP_BUF_INIT;
    long status = 0;
    rc = http_plain("GET", url, auth[0] ? auth : NULL, NULL, 2000, &body, &status);
    rip_wipe(auth, sizeof(auth));
    rip_wipe(tb.ptr, tb.len);
    rip_buf_release(&tb);
    if (rc < 0 || status != 200) {
        seterr(p, "container credentials endpoint: %s", rc < 0 ? "unreachable" : "HTTP error");
        if (rc == 0)
            rc = RIP_EIO;
    } else {
        rc = creds_from_json(body.ptr, body.len, out, "container credentials", p);
    }
    rip_wipe(body.ptr, body.len);
    rip_buf_release(&body);
    return rc;
}

static int from_imds(rip_aws_creds_provider *p, rip_aws_creds *out)
{
    const char *dis = getenv("AWS_EC2_METADATA_DISABLED");
    if (dis && !strcasecmp(dis, "true"))
        return RIP_ENOENT;
    const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
    if (!ep || !*ep)
        ep = "http://169.254.169.254";
    size_t el = strlen(ep);
    while (el && ep[el - 1] == '/')
        el--;
    char url[1024], tokhdr[1200], role[256];
    rip_buf b = RIP_BUF_INIT;
    long status;
    int rc;

    snprintf(url, sizeof(url), "%.*s/latest/api/token", (int)el, ep);
    rc = http_plain("PUT", url, "X-aws-ec2-metadata-token-ttl-seconds: 21600", NULL,
                    p->imds_timeout_ms, &b, &status);
    if (rc < 0 || status != 200 || b.len == 0 || b.len > 1000 || strpbrk(b.ptr, "\r\n")) {
        seterr(p, "no instance metadata service (IMDSv2 token request failed)");
        rc = RIP_ENOENT;
        goto out;
    }
    snprintf(tokhdr, sizeof(tokhdr), "X-aws-ec2-metadata-token: %s", b.ptr);
    rip_buf_reset(&b);
    snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/", (int)el, ep);
    rc = http_plain("GET", url, tokhdr, NULL, p->imds_timeout_ms, &b, &status);
    if (rc < 0 || status != 200 || b.len == 0) {
        seterr(p, "instance metadata: no IAM role attached");
        rc = RIP_ENOENT;
        goto out;
    }
    size_t rl = strcspn(b.ptr, "\r\n");
    if (rl == 0 || rl >= sizeof(role)) {
        seterr(p, "instance metadata: bad role name");
        rc = RIP_ESYNTAX;
        goto out;
    }
    memcpy(role, b.ptr, rl);
    role[rl] = '\0';
    for (size_t i = 0; i < rl; i++)
        if (!isalnum((unsigned char)role[i]) && !strchr("+=,.@_-", role[i])) {
            seterr(p, "instance metadata: bad role name");
            rc = RIP_ESYNTAX;
            goto out;
        }
    rip_buf_reset(&b);
    snprintf(url, sizeof(url), "%.*s/latest/meta-data/iam/security-credentials/%s", (int)el, ep,
             role);
    rc = http_plain("GET", url, tokhdr, NULL, p->imds_timeout_ms, &b, &status);
    if (rc < 0 || status != 200) {
        seterr(p, "instance metadata: cannot read credentials of role '%s'", role);
        rc = RIP_EIO;
        goto out;
    }
    rc = creds_from_json(b.ptr, b.len, out, "instance metadata credentials", p);
out:
    rip_wipe(tokhdr, sizeof(tokhdr));
    rip_wipe(b.ptr, b.len);
    rip_buf_release(&b);
    return rc;
}

/* ---- STS ---- */

static int sts_call(rip_aws_creds_provider *p, const rip_aws_creds *src, rip_aws_params *params,
                    const char *result, rip_aws_creds *out)
{
    rip_aws_client c;
    rip_aws_xml x;
    rip_aws_error err;
    int rc = rip_aws_client_init(&c, p->region);
    if (rc < 0)
        return rc;
    c.creds = src;
    c.log = p->log;
    c.log_ctx = p->log_ctx;
    rip_aws_xml_init(&x);
    if (!src) {
        /* AssumeRoleWithWebIdentity is unsigned. */
        static const rip_aws_header h[] = {
            { "Content-Type", "application/x-www-form-urlencoded; charset=utf-8" },
        };
        rip_aws_response resp;
        rip_aws_response_init(&resp);
        rip_aws_request r = { .service = "sts", .method = "POST", .path = "/", .headers = h,
                              .nheaders = 1, .body = params->body.ptr,
                              .body_len = params->body.len, .anonymous = true };
        rc = params->err ? params->err : rip_aws_send(&c, &r, &resp, &err);
        if (rc == 0 && (rc = rip_aws_xml_parse(&x, resp.body.ptr, resp.body.len, NULL)) < 0)
            snprintf(err.message, sizeof(err.message), "unreadable response");
        rip_wipe(resp.body.ptr, resp.body.len);
        rip_aws_response_release(&resp);
    } else {
        rc = rip_aws_query(&c, "sts", params, &x, &err);
    }
    if (rc < 0) {
        seterr(p, "sts %s failed: %s%s%s (request id %s)", result, err.code,
               err.code[0] ? ": " : "", err.message, err.request_id[0] ? err.request_id : "-");
        goto out;
    }
    char path[128];
    snprintf(path, sizeof(path), "%sResult/Credentials", result);
    const rip_aws_xml_node *cn = rip_aws_xml_path(x.root, path);
    const char *akid = rip_aws_xml_text(cn, "AccessKeyId", NULL);
    const char *sk = rip_aws_xml_text(cn, "SecretAccessKey", NULL);
    const char *tok = rip_aws_xml_text(cn, "SessionToken", "");
    const char *exp = rip_aws_xml_text(cn, "Expiration", NULL);
    rip_aws_creds nc;
    memset(&nc, 0, sizeof(nc));
    if (!akid || !sk || strlen(akid) >= sizeof(nc.access_key_id) ||
        strlen(sk) >= sizeof(nc.secret_access_key) || strlen(tok) >= sizeof(nc.session_token) ||
        (exp && rip_aws_parse_time(exp, &nc.expiration) < 0)) {
        seterr(p, "sts %s: response lacks credentials", result);
        rc = RIP_ESYNTAX;
        goto out;
    }
    strcpy(nc.access_key_id, akid);
    strcpy(nc.secret_access_key, sk);
    strcpy(nc.session_token, tok);
    *out = nc;
    rip_aws_creds_wipe(&nc);
out:
    /* The tree held the secret key and the session token: wipe, then free. */
    rip_arena_wipe(&x.arena);
    rip_aws_xml_release(&x);
    rip_aws_client_release(&c);
    return rc;
}

static int assume_role(rip_aws_creds_provider *p, const rip_aws_creds *src, const char *role_arn,
                       const char *session, const char *external_id, const char *duration,
                       rip_aws_creds *out)
{
    rip_aws_params q;
    char name[128];
    if (!session || !*session)
        snprintf(name, sizeof(name), "riposte-%ld", (long)time(NULL));
    else
        snprintf(name, sizeof(name), "%s", session);
    rip_aws_params_init(&q, "AssumeRole", "2011-06-15");
    rip_aws_params_add(&q, "RoleArn", role_arn);
    rip_aws_params_add(&q, "RoleSessionName", name);
    if (external_id && *external_id)
        rip_aws_params_add(&q, "ExternalId", external_id);
    if (duration && *duration)
        rip_aws_params_add(&q, "DurationSeconds", duration);
    int rc = sts_call(p, src, &q, "AssumeRole", out);
    rip_aws_params_release(&q);
    return rc;
}

static int web_identity(rip_aws_creds_provider *p, const char *token_file, const char *role_arn,
                        const char *session, rip_aws_creds *out)
{
    rip_buf tok = RIP_BUF_INIT;
    int rc = read_file(token_file, 64u << 10, &tok);
    if (rc < 0) {
        seterr(p, "cannot read web identity token file '%s'", token_file);
        rip_buf_release(&tok);
        return rc;
    }
    while (tok.len && isspace((unsigned char)tok.ptr[tok.len - 1]))
        tok.ptr[--tok.len] = '\0';
    char name[128];
    if (!session || !*session)
        snprintf(name, sizeof(name), "riposte-%ld", (long)time(NULL));
    else
        snprintf(name, sizeof(name), "%s", session);
    rip_aws_params q;
    rip_aws_params_init(&q, "AssumeRoleWithWebIdentity", "2011-06-15");
    rip_aws_params_add(&q, "RoleArn", role_arn);
    rip_aws_params_add(&q, "RoleSessionName", name);
    rip_aws_params_add(&q, "WebIdentityToken", tok.ptr);
    rip_wipe(tok.ptr, tok.len);
    rip_buf_release(&tok);
    rc = sts_call(p, NULL, &q, "AssumeRoleWithWebIdentity", out);
    rip_wipe(q.body.ptr, q.body.len);
    rip_aws_params_release(&q);
    return rc;
}

/* ---- the chain ---- */

static int from_env(rip_aws_creds *out)
{
    const char *ak = getenv("AWS_ACCESS_KEY_ID");
    const char *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tk = getenv("AWS_SESSION_TOKEN");
    if (!ak || !*ak || !sk || !*sk)
        return RIP_ENOENT;
    if (strlen(ak) >= sizeof(out->access_key_id) || strlen(sk) >= sizeof(out->secret_access_key) ||
        (tk && strlen(tk) >= sizeof(out->session_token)))
        return RIP_ELIMIT;
    memset(out, 0, sizeof(*out));
    strcpy(out->access_key_id, ak);
    strcpy(out->secret_access_key, sk);
    if (tk)
        strcpy(out->session_token, tk);
    snprintf(out->source, sizeof(out->source), "environment");
    return 0;
}

static int from_profile(rip_aws_creds_provider *p, const char *profile, int depth,
                        rip_aws_creds *out)
{
    char role_arn[512] = "", source[128] = "", csrc[64] = "", ext[512] = "", sess[128] = "";
    char dur[16] = "", wif[1024] = "", proc[2048] = "";
    char ak[128] = "", sk[128] = "", tk[4096] = "";
    int rc;
    if (depth > MAX_ROLE_CHAIN) {
        seterr(p, "profile '%s': source_profile chain longer than %d", profile, MAX_ROLE_CHAIN);
        return RIP_ELIMIT;
    }
    profile_get(profile, "role_arn", role_arn, sizeof(role_arn));
    profile_get(profile, "source_profile", source, sizeof(source));
    profile_get(profile, "credential_source", csrc, sizeof(csrc));
    profile_get(profile, "external_id", ext, sizeof(ext));
    profile_get(profile, "role_session_name", sess, sizeof(sess));
    profile_get(profile, "duration_seconds", dur, sizeof(dur));
    profile_get(profile, "web_identity_token_file", wif, sizeof(wif));
    profile_get(profile, "credential_process", proc, sizeof(proc));
    profile_get(profile, "aws_access_key_id", ak, sizeof(ak));
    profile_get(profile, "aws_secret_access_key", sk, sizeof(sk));
    profile_get(profile, "aws_session_token", tk, sizeof(tk));

    char sso[512] = "";
    if (profile_get(profile, "sso_session", sso, sizeof(sso)) != 0)
        profile_get(profile, "sso_start_url", sso, sizeof(sso));
    if (sso[0] && !(ak[0] && sk[0]) && !proc[0] && !(role_arn[0] && (source[0] || csrc[0]))) {
        seterr(p, "profile '%s' uses AWS IAM Identity Center (SSO), which riposte does not "
                  "support: give it credential_process = aws configure export-credentials "
                  "--profile %s --format process, or use another profile", profile, profile);
        rc = RIP_EINVAL;
        goto done;
    }

    if (role_arn[0] && wif[0]) {
        rc = web_identity(p, wif, role_arn, sess, out);
        if (rc == 0)
            snprintf(out->source, sizeof(out->source), "web-identity");
        goto done;
    }
    if (role_arn[0]) {
        rip_aws_creds src;
        memset(&src, 0, sizeof(src));
        if (source[0]) {
            if (!strcmp(source, profile) && ak[0] && sk[0]) {
                snprintf(src.access_key_id, sizeof(src.access_key_id), "%s", ak);
                snprintf(src.secret_access_key, sizeof(src.secret_access_key), "%s", sk);
                snprintf(src.session_token, sizeof(src.session_token), "%s", tk);
                rc = 0;
            } else {
                rc = from_profile(p, source, depth + 1, &src);
                if (rc == RIP_ENOENT)
                    seterr(p, "profile '%s': source_profile '%s' has no credentials", profile,
                           source);
            }
        } else if (csrc[0]) {
            if (!strcmp(csrc, "Environment"))
                rc = from_env(&src);
            else if (!strcmp(csrc, "Ec2InstanceMetadata"))
                rc = from_imds(p, &src);
            else if (!strcmp(csrc, "EcsContainer"))
                rc = from_container(p, &src);
            else {
                seterr(p, "profile '%s': unknown credential_source '%s'", profile, csrc);
                rc = RIP_EINVAL;
            }
            if (rc == RIP_ENOENT)
                seterr(p, "profile '%s': credential_source '%s' has no credentials", profile, csrc);
        } else {
            seterr(p, "profile '%s': role_arn needs source_profile or credential_source", profile);
            rc = RIP_EINVAL;
        }
        if (rc == 0)
            rc = assume_role(p, &src, role_arn, sess, ext, dur, out);
        if (rc == 0)
            snprintf(out->source, sizeof(out->source), "assume-role");
        rip_aws_creds_wipe(&src);
        goto done;
    }
    if (ak[0] && sk[0]) {
        memset(out, 0, sizeof(*out));
        snprintf(out->access_key_id, sizeof(out->access_key_id), "%s", ak);
        snprintf(out->secret_access_key, sizeof(out->secret_access_key), "%s", sk);
        snprintf(out->session_token, sizeof(out->session_token), "%s", tk);
        snprintf(out->source, sizeof(out->source), "profile");
        rc = 0;
        goto done;
    }
    if (proc[0]) {
        rc = from_process(p, proc, out);
        if (rc == 0)
            snprintf(out->source, sizeof(out->source), "process");
        goto done;
    }
    rc = RIP_ENOENT;
done:
    rip_wipe(sk, sizeof(sk));
    rip_wipe(tk, sizeof(tk));
    return rc;
}

static int resolve(rip_aws_creds_provider *p, rip_aws_creds *out)
{
    int rc;
    if (!p->profile_explicit) {
        rc = from_env(out);
        if (rc != RIP_ENOENT)
            return rc;
    }
    rc = from_profile(p, p->profile, 0, out);
    if (rc != RIP_ENOENT)
        return rc;
    if (p->profile_explicit) {
        seterr(p, "profile '%s' not found or has no credentials", p->profile);
        return RIP_ENOENT;
    }
    const char *wif = getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
    const char *role = getenv("AWS_ROLE_ARN");
    if (wif && *wif && role && *role) {
        rc = web_identity(p, wif, role, getenv("AWS_ROLE_SESSION_NAME"), out);
        if (rc == 0)
            snprintf(out->source, sizeof(out->source), "web-identity");
        return rc;
    }
    rc = from_container(p, out);
    if (rc == 0)
        snprintf(out->source, sizeof(out->source), "container");
    if (rc != RIP_ENOENT)
        return rc;
    rc = from_imds(p, out);
    if (rc == 0)
        snprintf(out->source, sizeof(out->source), "imds");
    if (rc == RIP_ENOENT)
        seterr(p, "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                  "configure a profile, or run where container or instance credentials exist");
    return rc;
}

int rip_aws_creds_get(rip_aws_creds_provider *p, time_t now, rip_aws_creds *out)
{
    if (p->have && (p->cached.expiration == 0 ||
                    p->cached.expiration - now > RIP_AWS_CREDS_REFRESH_SECONDS)) {
        *out = p->cached;
        return 0;
    }
    rip_aws_creds c;
    memset(&c, 0, sizeof(c));
    p->error[0] = '\0';
    int rc = resolve(p, &c);
    if (rc == 0 && p->assume_role_arn && *p->assume_role_arn) {
        rip_aws_creds base = c;
        rc = assume_role(p, &base, p->assume_role_arn, NULL, p->external_id, NULL, &c);
        if (rc == 0)
            snprintf(c.source, sizeof(c.source), "assume-role");
        rip_aws_creds_wipe(&base);
    }
    if (rc < 0) {
        rip_aws_creds_wipe(&c);
        /* Still-valid cached credentials beat none while a refresh fails. */
        if (p->have && p->cached.expiration > now) {
            *out = p->cached;
            return 0;
        }
        return rc;
    }
    p->cached = c;
    p->have = true;
    *out = c;
    rip_aws_creds_wipe(&c);
    return 0;
}

/* ---- client settings from the profile ---- */

int rip_aws_client_use_profile(rip_aws_client *c, const char *profile, char *err, size_t errcap)
{
    char v[1024], name[160];
    if (!profile || !*profile)
        profile = getenv("AWS_PROFILE");
    if (!profile || !*profile)
        profile = "default";
    snprintf(name, sizeof(name), "%s", profile);
    err[0] = '\0';

    /* endpoint_url: below AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL. */
    bool ignore = false;
    const char *ig = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (ig && *ig)
        ignore = !strcasecmp(ig, "true");
    else if (profile_get(name, "ignore_configured_endpoint_urls", v, sizeof(v)) == 0)
        ignore = !strcasecmp(v, "true");
    if (!ignore && profile_get(name, "endpoint_url", v, sizeof(v)) == 0 && v[0]) {
        if ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
            strlen(v) >= sizeof(c->endpoint_url)) {
            snprintf(err, errcap, "profile '%s': endpoint_url must be an http:// or https:// URL "
                     "shorter than %zu characters", name, sizeof(c->endpoint_url));
            return RIP_EINVAL;
        }
        snprintf(c->endpoint_url, sizeof(c->endpoint_url), "%s", v);
    }

    /* retry_mode, then max_attempts: the environment wins over the profile. */
    const char *mode = getenv("AWS_RETRY_MODE");
    if ((!mode || !*mode) && profile_get(name, "retry_mode", v, sizeof(v)) == 0)
        mode = v;
    if (mode && *mode) {
        if (!strcmp(mode, "legacy")) {
            c->retry_mode = RIP_AWS_RETRY_LEGACY;
            c->max_attempts = 5;
        } else if (!strcmp(mode, "standard") || !strcmp(mode, "adaptive")) {
            /* adaptive = standard + a client-side rate limiter riposte does
             * not have; one responder's calls are far below any limit. */
            c->retry_mode = RIP_AWS_RETRY_STANDARD;
        } else {
            snprintf(err, errcap, "%s: retry_mode '%s' is not one of standard, adaptive, legacy",
                     getenv("AWS_RETRY_MODE") && *getenv("AWS_RETRY_MODE")
                         ? "AWS_RETRY_MODE" : "profile", mode);
            return RIP_EINVAL;
        }
    }
    const char *ma = getenv("AWS_MAX_ATTEMPTS");
    const char *src = "AWS_MAX_ATTEMPTS";
    char mav[32];
    if ((!ma || !*ma) && profile_get(name, "max_attempts", mav, sizeof(mav)) == 0) {
        ma = mav;
        src = "max_attempts";
    }
    if (ma && *ma) {
        char *end;
        long n = strtol(ma, &end, 10);
        if (*end || n < 1 || n > 20) {
            snprintf(err, errcap, "profile '%s': %s '%s' is not a number from 1 to 20", name, src,
                     ma);
            return RIP_EINVAL;
        }
        c->max_attempts = (int)n;
    }
    return 0;
}
