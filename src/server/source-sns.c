/* source-sns.c — POST /v1/sns (source-sns.h): the checks in their order,
 * the certificate cache and its fetches, and what each message type does. */
#include "server/source-sns.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/aws-creds.h"
#include "cloud/aws-http.h"
#include "cloud/curl-load.h"
#include "server/sns.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/json.h"

#define NS INT64_C(1000000000)
#define FETCH_BODY_MAX (64 * 1024)
#define REFUSED_TEXT "the message could not be verified"

typedef struct cert_entry {
    char *url;                 /* NULL: a free slot */
    char *pem;
    size_t len;
    int64_t fetched_s;
    uint64_t used;             /* the tick of its last use: the oldest goes first */
} cert_entry;

struct rip_sns_endpoint {
    rip_sns_endpoint_opts o;
    pthread_mutex_t cache_mu;
    cert_entry cache[RIP_SNS_CACHE_MAX];
    uint64_t tick, fetches;
    pthread_mutex_t s3_mu;     /* the S3 client, made on the first Notification */
    int s3_state;              /* 0: not yet, 1: ready, -1: could not be made */
    rip_aws_creds_provider prov;
    rip_aws_client client;
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void elog(rip_sns_endpoint *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    rip_vlogf(e->o.log, e->o.log_ud, NULL, fmt, ap);
    va_end(ap);
}

rip_sns_endpoint *rip_sns_endpoint_new(const rip_sns_endpoint_opts *o)
{
    rip_sns_endpoint *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->o = *o;
    if (e->o.timeout_ms <= 0)
        e->o.timeout_ms = 5000;
    pthread_mutex_init(&e->cache_mu, NULL);
    pthread_mutex_init(&e->s3_mu, NULL);
    return e;
}

void rip_sns_endpoint_free(rip_sns_endpoint *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < RIP_SNS_CACHE_MAX; i++) {
        free(e->cache[i].url);
        free(e->cache[i].pem);
    }
    if (e->s3_state == 1) {
        rip_aws_client_release(&e->client);
        rip_aws_creds_provider_release(&e->prov);
    }
    pthread_mutex_destroy(&e->cache_mu);
    pthread_mutex_destroy(&e->s3_mu);
    free(e);
}

uint64_t rip_sns_endpoint_fetches(rip_sns_endpoint *e)
{
    pthread_mutex_lock(&e->cache_mu);
    uint64_t n = e->fetches;
    pthread_mutex_unlock(&e->cache_mu);
    return n;
}

/* ---- fetching ---- */

/* GETs url (already checked against the patterns): no redirects, http and
 * https only, at most max bytes, within the endpoint's timeout. 0 with
 * *status and body, or RIP_EIO / RIP_ELIMIT / RIP_ENOMEM with err (libcurl's
 * generic text: it names no URL). */
static int http_get(rip_sns_endpoint *e, const char *url, size_t max, rip_buf *body,
                    long *status, char *err, size_t errlen)
{
    const rip_curl_api *curl = rip_curl();
    if (!curl) {
        snprintf(err, errlen, "%s", rip_curl_load_error());
        return RIP_EIO;
    }
    CURL *cu = curl->easy_init();
    if (!cu) {
        snprintf(err, errlen, "cannot start an HTTP transfer");
        return RIP_ENOMEM;
    }
    rip_curl_sink k = { body, max, 0 };
    curl->easy_setopt(cu, CURLOPT_URL, url);
    curl->easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl->easy_setopt(cu, CURLOPT_TIMEOUT_MS, e->o.timeout_ms);
    curl->easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, e->o.timeout_ms);
    curl->easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl->easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
    curl->easy_setopt(cu, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    curl->easy_setopt(cu, CURLOPT_WRITEFUNCTION, rip_curl_sink_write);
    curl->easy_setopt(cu, CURLOPT_WRITEDATA, &k);
    CURLcode cc = curl->easy_perform(cu);
    int rc = 0;
    if (k.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
        rc = RIP_ELIMIT;
        snprintf(err, errlen, "the response is larger than %zu bytes", max);
    } else if (cc != CURLE_OK) {
        rc = RIP_EIO;
        snprintf(err, errlen, "%s", curl->easy_strerror(cc));
    } else {
        *status = 0;
        curl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, status);
    }
    curl->easy_cleanup(cu);
    return rc;
}

/* The certificate at url into pem: from the cache, else fetched, checked
 * and cached. 0; RIP_EIO when it could not be fetched (*why says how);
 * RIP_EINVAL when what came is not a usable certificate. */
static int cert_get(rip_sns_endpoint *e, const char *url, int64_t now_s, rip_buf *pem,
                    char *why, size_t whylen)
{
    pthread_mutex_lock(&e->cache_mu);
    for (size_t i = 0; i < RIP_SNS_CACHE_MAX; i++) {
        cert_entry *c = &e->cache[i];
        if (c->url && !strcmp(c->url, url) && now_s - c->fetched_s < RIP_SNS_CACHE_TTL_S &&
            now_s >= c->fetched_s) {
            c->used = ++e->tick;
            int rc = rip_buf_add(pem, c->pem, c->len);
            pthread_mutex_unlock(&e->cache_mu);
            return rc;
        }
    }
    pthread_mutex_unlock(&e->cache_mu);

    long status = 0;
    char err[256] = "";
    int rc = http_get(e, url, RIP_SNS_CERT_MAX, pem, &status, err, sizeof(err));
    if (rc) {
        snprintf(why, whylen, "%s", err);
        return rc == RIP_ENOMEM ? RIP_ENOMEM : RIP_EIO;
    }
    if (status != 200) {
        snprintf(why, whylen, "HTTP status %ld", status);
        return RIP_EIO;
    }
    char cwhy[200];
    if (rip_sns_cert_check(pem->ptr, pem->len, now_s, cwhy, sizeof(cwhy))) {
        snprintf(why, whylen, "%s", cwhy);
        return RIP_EINVAL;
    }
    char *u = strdup(url), *p = malloc(pem->len + 1);
    if (!u || !p) {
        free(u);
        free(p);
        return 0;              /* not cached; this request still has it */
    }
    memcpy(p, pem->ptr, pem->len + 1);
    pthread_mutex_lock(&e->cache_mu);
    e->fetches++;
    cert_entry *slot = &e->cache[0];
    for (size_t i = 0; i < RIP_SNS_CACHE_MAX; i++) {
        cert_entry *c = &e->cache[i];
        if (c->url && !strcmp(c->url, url)) {
            slot = c;          /* another thread fetched it meanwhile, or it aged */
            break;
        }
        if (!c->url || (slot->url && c->used < slot->used))
            slot = c;
    }
    free(slot->url);
    free(slot->pem);
    *slot = (cert_entry){ u, p, pem->len, now_s, ++e->tick };
    pthread_mutex_unlock(&e->cache_mu);
    return 0;
}

/* ---- outcomes ---- */

/* s as printable ASCII (others become '?'), at most cap - 1 bytes. */
static const char *printable(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; s && *s && n + 1 < cap; s++)
        out[n++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[n] = '\0';
    return out;
}

/* The first source of kind sns whose topics match topic, or NULL. */
static const rip_config_source *source_for(const rip_sns_endpoint *e, const char *topic)
{
    const rip_config *cfg = e->o.cfg;
    for (size_t i = 0; i < cfg->nsources; i++) {
        const rip_config_source *s = &cfg->sources[i];
        if (s->kind != RIP_SOURCE_SNS)
            continue;
        for (size_t k = 0; k < s->topics.n; k++)
            if (fnmatch(s->topics.v[k], topic, 0) == 0)
                return s;
    }
    return NULL;
}

/* Writes the audit detail: {"remote", "why", "type", "topic", "message_id",
 * "source"} (the values shortened and made printable). */
static void audit_detail(rip_sns_outcome *out, const rip_sns_request *r,
                         const rip_sns_message *m, const char *why, const char *source)
{
    char topic[160], id[80], remote[64], reason[200];
    rip_buf b;
    rip_buf_init(&b, sizeof(out->audit_detail) - 1);
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "remote");
    rip_jw_str(&w, printable(r->remote, remote, sizeof(remote)));
    if (why) {
        rip_jw_key(&w, "why");
        rip_jw_str(&w, printable(why, reason, sizeof(reason)));
    }
    rip_jw_key(&w, "type");
    rip_jw_str(&w, rip_sns_type_name(m->type));
    rip_jw_key(&w, "topic");
    rip_jw_str(&w, printable(m->topic_arn.ptr, topic, sizeof(topic)));
    rip_jw_key(&w, "message_id");
    rip_jw_str(&w, printable(m->message_id.ptr, id, sizeof(id)));
    if (source) {
        rip_jw_key(&w, "source");
        rip_jw_str(&w, source);
    }
    rip_jw_obj_end(&w);
    if (rip_jw_finish(&w) == 0)
        snprintf(out->audit_detail, sizeof(out->audit_detail), "%s", b.ptr);
    else
        snprintf(out->audit_detail, sizeof(out->audit_detail), "{}");
    rip_buf_release(&b);
}

/* A refusal: 403 with the one text; why goes to the log and the audit log. */
static void refuse(rip_sns_outcome *out, const rip_sns_request *r, const rip_sns_message *m,
                   const char *why)
{
    char topic[160], remote[64];
    out->status = 403;
    snprintf(out->error, sizeof(out->error), REFUSED_TEXT);
    snprintf(out->log, sizeof(out->log), "POST /v1/sns from %s refused: %s (%s, topic '%s')",
             printable(r->remote, remote, sizeof(remote)), why, rip_sns_type_name(m->type),
             printable(m->topic_arn.ptr, topic, sizeof(topic)));
    out->audit_action = "sns_refused";
    audit_detail(out, r, m, why, NULL);
}

/* The S3 client for Notifications that carry S3 notifications; made on
 * first use. Call with s3_mu held. NULL when it cannot be made (logged). */
static rip_aws_client *s3_client(rip_sns_endpoint *e)
{
    if (e->s3_state)
        return e->s3_state > 0 ? &e->client : NULL;
    const rip_config_aws *aws = &e->o.cfg->aws;
    rip_aws_creds_provider_init(&e->prov, aws->profile, aws->region);
    int rc = rip_aws_client_init(&e->client, aws->region);
    if (rc) {
        elog(e, "POST /v1/sns: no S3 client: %s", rip_aws_client_init_error(rc));
        rip_aws_creds_provider_release(&e->prov);
        e->s3_state = -1;
        return NULL;
    }
    e->client.provider = &e->prov;
    char perr[512];
    if (rip_aws_client_use_profile(&e->client, aws->profile, perr, sizeof(perr)) < 0) {
        elog(e, "POST /v1/sns: no S3 client: %s", perr);
        rip_aws_client_release(&e->client);
        rip_aws_creds_provider_release(&e->prov);
        e->s3_state = -1;
        return NULL;
    }
    if (aws->endpoint_url)
        snprintf(e->client.endpoint_url, sizeof(e->client.endpoint_url), "%s",
                 aws->endpoint_url);
    e->s3_state = 1;
    return &e->client;
}

static void notification(rip_sns_endpoint *e, const rip_sns_request *r, const rip_sns_message *m,
                         const rip_config_source *src, rip_sns_outcome *out)
{
    pthread_mutex_lock(&e->s3_mu);
    rip_sqs_content c = { src->name, NULL, r->ingest, r->ud, e->o.log, e->o.log_ud, 0 };
    c.client = s3_client(e);   /* made once; only S3 notifications use it */
    int rc = rip_sqs_ingest_content(&c, m->message.ptr, m->message.len);
    pthread_mutex_unlock(&e->s3_mu);
    char id[80];
    printable(m->message_id.ptr, id, sizeof(id));
    switch (rc) {
    case 0:
        out->status = 200;
        return;
    case RIP_ESYNTAX:
        out->status = 400;
        snprintf(out->error, sizeof(out->error), "the SNS message's 'Message' is not JSON");
        break;
    case RIP_EFORMAT:
        out->status = 400;
        snprintf(out->error, sizeof(out->error), "no event in the SNS message's 'Message' "
                 "could be decoded");
        break;
    case RIP_EINVAL:
        out->status = 400;
        snprintf(out->error, sizeof(out->error), "an S3 record in the SNS message's 'Message' "
                 "has no bucket or key");
        break;
    default:
        out->status = 503;
        snprintf(out->error, sizeof(out->error), "the events could not be stored; send them "
                 "again");
        break;
    }
    snprintf(out->log, sizeof(out->log), "POST /v1/sns: message %s of source %s not taken: %s",
             id, src->name, out->error);
}

static void subscribe(rip_sns_endpoint *e, const rip_sns_request *r, const rip_sns_message *m,
                      const rip_config_source *src, rip_sns_outcome *out)
{
    char topic[160], shown[200], err[256] = "";
    printable(m->topic_arn.ptr, topic, sizeof(topic));
    rip_sns_url_for_log(m->subscribe_url.ptr, shown, sizeof(shown));
    rip_buf body;
    rip_buf_init(&body, 0);
    long status = 0;
    int rc = http_get(e, m->subscribe_url.ptr, FETCH_BODY_MAX, &body, &status, err, sizeof(err));
    rip_buf_release(&body);
    if (rc || status < 200 || status > 299) {
        if (!rc)
            snprintf(err, sizeof(err), "HTTP status %ld", status);
        out->status = 502;
        snprintf(out->error, sizeof(out->error), "the subscription could not be confirmed");
        snprintf(out->log, sizeof(out->log), "POST /v1/sns: topic '%s' (source %s): confirming "
                 "the subscription at %s failed: %s", topic, src->name, shown, err);
        return;
    }
    out->status = 200;
    snprintf(out->log, sizeof(out->log), "POST /v1/sns: topic '%s' (source %s): subscription "
             "confirmed at %s", topic, src->name, shown);
    out->audit_action = "sns_subscription_confirmed";
    audit_detail(out, r, m, NULL, src->name);
}

void rip_sns_endpoint_handle(rip_sns_endpoint *e, const rip_sns_request *r,
                             rip_sns_outcome *out)
{
    memset(out, 0, sizeof(*out));
    rip_sns_message m;
    rip_sns_message_init(&m);
    rip_buf pem;
    rip_buf_init(&pem, RIP_SNS_CERT_MAX);
    char why[256] = "", remote[64], msg[300];
    int64_t now_s = r->now_ns / NS;
    int rc = rip_sns_parse(&m, r->body, r->len, r->message_type, why, sizeof(why));
    if (rc) {
        out->status = rc == RIP_ENOMEM ? 503 : 400;
        snprintf(out->error, sizeof(out->error), "not an SNS message: %s", why);
        snprintf(out->log, sizeof(out->log), "POST /v1/sns from %s: %s",
                 printable(r->remote, remote, sizeof(remote)), out->error);
        goto out;
    }
    out->type = m.type;
    const rip_config_source *src = source_for(e, m.topic_arn.ptr);
    if (!src) {
        refuse(out, r, &m, "the topic is not one of the sns sources' topics");
        goto out;
    }
    if (now_s - m.timestamp_ns / NS > (int64_t)src->max_age_s) {
        snprintf(msg, sizeof(msg), "stale Timestamp (older than max_age, %us)", src->max_age_s);
        refuse(out, r, &m, msg);
        goto out;
    }
    if (m.timestamp_ns / NS - now_s > RIP_SNS_FUTURE_S) {
        refuse(out, r, &m, "Timestamp in the future");
        goto out;
    }
    if (!m.signature_version) {
        refuse(out, r, &m, "unknown SignatureVersion (expected 1 or 2)");
        goto out;
    }
    const char *const *pats = src->cert_url_patterns.n ? src->cert_url_patterns.v
                                                       : rip_sns_default_url_patterns;
    size_t npats = src->cert_url_patterns.n ? src->cert_url_patterns.n : 2;
    if (!rip_sns_url_allowed(m.signing_cert_url.ptr, m.signing_cert_url.len, pats, npats)) {
        char shown[200];
        snprintf(msg, sizeof(msg), "SigningCertURL %s is not allowed by the certificate URL "
                 "patterns (not fetched)",
                 rip_sns_url_for_log(m.signing_cert_url.ptr, shown, sizeof(shown)));
        refuse(out, r, &m, msg);
        goto out;
    }
    if (m.type == RIP_SNS_SUBSCRIPTION_CONFIRMATION &&
        !rip_sns_url_allowed(m.subscribe_url.ptr, m.subscribe_url.len, pats, npats)) {
        refuse(out, r, &m, "SubscribeURL is not allowed by the URL patterns (not fetched)");
        goto out;
    }
    rc = cert_get(e, m.signing_cert_url.ptr, now_s, &pem, why, sizeof(why));
    if (rc == RIP_EINVAL) {
        snprintf(msg, sizeof(msg), "the signing certificate is refused: %s", why);
        refuse(out, r, &m, msg);
        goto out;
    }
    if (rc) {
        char shown[200];
        out->status = 503;
        snprintf(out->error, sizeof(out->error), "the signing certificate could not be "
                 "fetched; send again");
        snprintf(out->log, sizeof(out->log), "POST /v1/sns: the signing certificate %s could "
                 "not be fetched: %s",
                 rip_sns_url_for_log(m.signing_cert_url.ptr, shown, sizeof(shown)),
                 rc == RIP_ENOMEM ? "out of memory" : why);
        goto out;
    }
    rc = rip_sns_verify(&m, pem.ptr, pem.len, now_s, why, sizeof(why));
    if (rc) {
        snprintf(msg, sizeof(msg), "bad signature: %s", why);
        refuse(out, r, &m, msg);
        goto out;
    }
    switch (m.type) {
    case RIP_SNS_NOTIFICATION:
        notification(e, r, &m, src, out);
        break;
    case RIP_SNS_SUBSCRIPTION_CONFIRMATION:
        subscribe(e, r, &m, src, out);
        break;
    case RIP_SNS_UNSUBSCRIBE_CONFIRMATION: {
        char topic[160];
        out->status = 200;
        snprintf(out->log, sizeof(out->log), "POST /v1/sns: topic '%s' (source %s): "
                 "unsubscribed; SNS delivers nothing more from it",
                 printable(m.topic_arn.ptr, topic, sizeof(topic)), src->name);
        out->audit_action = "sns_unsubscribed";
        audit_detail(out, r, &m, NULL, src->name);
        break;
    }
    }
out:
    rip_buf_release(&pem);
    rip_sns_message_release(&m);
}
