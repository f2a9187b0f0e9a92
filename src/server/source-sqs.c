/* source-sqs.c — SQS long polling for `riposte serve` (source-sqs.h). */
#include "server/source-sqs.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/aws-creds.h"
#include "cloud/aws-http.h"
#include "cloud/aws-proto.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/log.h"
#include "util/json.h"

#define SQS_TARGET "AmazonSQS."

struct rip_sqs_poller {
    rip_sqs_opts o;
    pthread_t thread;
    atomic_int stop;
    pthread_mutex_t mu;
    rip_sqs_stats stats;
    rip_aws_creds_provider prov;
    rip_aws_client client;
};

/* "source NAME: " before the line. */
static void source_vlogf(rip_log_fn log, void *ud, const char *name, const char *fmt,
                         va_list ap) __attribute__((format(printf, 4, 0)));
static void source_vlogf(rip_log_fn log, void *ud, const char *name, const char *fmt,
                         va_list ap)
{
    if (!log)
        return;
    char prefix[RIP_LOG_LINE_MAX];
    snprintf(prefix, sizeof(prefix), "source %s: ", name);
    rip_vlogf(log, ud, prefix, fmt, ap);
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void plog(rip_sqs_poller *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    source_vlogf(p->o.log, p->o.log_ud, p->o.name, fmt, ap);
    va_end(ap);
}

static void count(rip_sqs_poller *p, uint64_t *field, uint64_t n)
{
    pthread_mutex_lock(&p->mu);
    *field += n;
    pthread_mutex_unlock(&p->mu);
}

/* Sleeps ms, waking early when asked to stop. */
static void nap(rip_sqs_poller *p, long ms)
{
    struct timespec ts = { 0, 100 * 1000000 };
    for (long t = 0; t < ms && !atomic_load(&p->stop); t += 100)
        nanosleep(&ts, NULL);
}

static int sqs_call(rip_sqs_poller *p, const char *op, const rip_buf *body,
                    rip_aws_response *resp, rip_json_doc *doc, rip_aws_error *err)
{
    char target[64];
    snprintf(target, sizeof(target), SQS_TARGET "%s", op);
    return rip_aws_json_call(&p->client, "sqs", "1.0", target, body->ptr, body->len, resp, doc,
                             err);
}

/* %XX and '+' of an S3 notification's object key, decoded into out. */
static int url_decode(rip_slice in, rip_buf *out)
{
    for (size_t i = 0; i < in.len; i++) {
        char ch = in.ptr[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < in.len) {
            char hex[3] = { in.ptr[i + 1], in.ptr[i + 2], 0 };
            char *end;
            long v = strtol(hex, &end, 16);
            if (*end)
                return RIP_EINVAL;
            ch = (char)v;
            i += 2;
        }
        if (rip_buf_addc(out, ch))
            return RIP_ENOMEM;
    }
    return 0;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void content_log(rip_sqs_content *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    source_vlogf(c->log, c->log_ud, c->name, fmt, ap);
    va_end(ap);
}

static int fetch_and_ingest(rip_sqs_content *c, rip_json_doc *d, const rip_json_node *rec)
{
    const rip_json_node *b = rip_json_path(rec, "s3.bucket.name");
    const rip_json_node *k = rip_json_path(rec, "s3.object.key");
    if (!b || !k || !rip_json_is(b, RIP_JSON_STRING) || !rip_json_is(k, RIP_JSON_STRING))
        return RIP_EINVAL;
    rip_slice bs = rip_json_str(d, b), ks = rip_json_str(d, k);
    rip_buf bucket = RIP_BUF_INIT, key = RIP_BUF_INIT, path = RIP_BUF_INIT, name = RIP_BUF_INIT;
    int rc = rip_buf_add(&bucket, bs.ptr, bs.len) ? RIP_ENOMEM : url_decode(ks, &key);
    if (!rc)
        rc = rip_aws_s3_path(&path, bucket.ptr, key.ptr);
    if (!rc)
        rc = rip_buf_addf(&name, "s3://%s/%s", bucket.ptr, key.ptr) ? RIP_ENOMEM : 0;
    if (!rc) {
        rip_aws_response resp;
        rip_aws_error err;
        rip_aws_response_init(&resp);
        if (!c->client) {
            rc = RIP_EIO;
            content_log(c, "%s: no AWS client to fetch it with", name.ptr);
        } else if ((rc = rip_aws_rest(c->client, "s3", "GET", path.ptr, NULL, NULL, 0, NULL, 0,
                                      &resp, &err))) {
            content_log(c, "%s: GetObject failed: %s %s", name.ptr, err.code, err.message);
        } else {
            size_t events = 0;
            c->objects++;
            rc = c->ingest(c->ud, name.ptr, resp.body.ptr, resp.body.len, &events);
        }
        rip_aws_response_release(&resp);
    }
    rip_buf_release(&bucket);
    rip_buf_release(&key);
    rip_buf_release(&path);
    rip_buf_release(&name);
    return rc;
}

/* One message's content: 0 when it was ingested (or needs nothing), so
 * that it may be deleted. */
static int handle(rip_sqs_content *c, const char *body, size_t len, int depth)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    int rc = rip_json_parse(&d, body, len, NULL);
    if (rc) {
        rip_json_doc_release(&d);
        return RIP_ESYNTAX;
    }
    const rip_json_node *root = rip_json_root(&d);
    const rip_json_node *type = rip_json_get(root, "Type");
    const rip_json_node *msg = rip_json_get(root, "Message");
    const rip_json_node *recs = rip_json_get(root, "Records");
    const rip_json_node *ev = rip_json_get(root, "Event");
    const rip_json_node *first = recs && rip_json_is(recs, RIP_JSON_ARRAY) ? rip_json_at(recs, 0)
                                                                           : NULL;
    if (type && rip_json_is(type, RIP_JSON_STRING) && rip_json_str_eq(type, "Notification") &&
        msg &&
        rip_json_is(msg, RIP_JSON_STRING) && depth == 0) {
        /* SNS around it. */
        rip_slice m = rip_json_str(&d, msg);
        rip_buf copy = RIP_BUF_INIT;
        rc = rip_buf_add(&copy, m.ptr, m.len) ? RIP_ENOMEM : handle(c, copy.ptr, copy.len, 1);
        rip_buf_release(&copy);
    } else if (ev && rip_json_is(ev, RIP_JSON_STRING) && rip_json_str_eq(ev, "s3:TestEvent")) {
        rc = 0;
    } else if (first && rip_json_get(first, "s3") && rip_json_get(first, "eventSource") &&
               rip_json_str_eq(rip_json_get(first, "eventSource"), "aws:s3")) {
        rc = 0;
        RIP_JSON_EACH(r, recs) {
            int one = fetch_and_ingest(c, &d, r);
            if (one && !rc)
                rc = one;
        }
    } else {
        size_t events = 0;
        rc = c->ingest(c->ud, c->name, body, len, &events);
    }
    rip_json_doc_release(&d);
    return rc;
}

int rip_sqs_ingest_content(rip_sqs_content *c, const char *body, size_t len)
{
    return handle(c, body, len, 0);
}

static void *poll_main(void *ud)
{
    rip_sqs_poller *p = ud;
    long backoff_ms = 0;
    while (!atomic_load(&p->stop)) {
        rip_buf req = RIP_BUF_INIT;
        rip_jw w;
        rip_jw_init(&w, &req);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "QueueUrl");
        rip_jw_str(&w, p->o.queue_url);
        rip_jw_key(&w, "MaxNumberOfMessages");
        rip_jw_u64(&w, p->o.max_messages ? p->o.max_messages : 10);
        rip_jw_key(&w, "WaitTimeSeconds");
        rip_jw_u64(&w, p->o.wait_s);
        rip_jw_key(&w, "VisibilityTimeout");
        rip_jw_u64(&w, p->o.visibility_timeout_s ? p->o.visibility_timeout_s : 300);
        rip_jw_obj_end(&w);
        rip_jw_finish(&w);
        rip_aws_response resp;
        rip_aws_error err;
        rip_json_doc doc;
        rip_aws_response_init(&resp);
        rip_json_doc_init(&doc, NULL);
        int rc = sqs_call(p, "ReceiveMessage", &req, &resp, &doc, &err);
        rip_buf_release(&req);
        if (rc) {
            count(p, &p->stats.errors, 1);
            long max = (long)(p->o.backoff_max_s ? p->o.backoff_max_s : 300) * 1000;
            backoff_ms = backoff_ms ? backoff_ms * 2 : 1000;
            if (backoff_ms > max)
                backoff_ms = max;
            plog(p, "ReceiveMessage failed (%s%s%s); next try in %ld s", err.code,
                 err.code[0] ? ": " : "", err.message, backoff_ms / 1000);
            rip_json_doc_release(&doc);
            rip_aws_response_release(&resp);
            nap(p, backoff_ms);
            continue;
        }
        backoff_ms = 0;
        const rip_json_node *msgs = rip_json_get(rip_json_root(&doc), "Messages");
        if (msgs && rip_json_is(msgs, RIP_JSON_ARRAY)) {
            RIP_JSON_EACH(m, msgs) {
                const rip_json_node *b = rip_json_get(m, "Body");
                const rip_json_node *rh = rip_json_get(m, "ReceiptHandle");
                const rip_json_node *id = rip_json_get(m, "MessageId");
                if (!b || !rh || !rip_json_is(b, RIP_JSON_STRING))
                    continue;
                count(p, &p->stats.received, 1);
                rip_slice bs = rip_json_str(&doc, b);
                rip_buf body = RIP_BUF_INIT;
                rip_sqs_content content = { p->o.name, &p->client, p->o.ingest, p->o.ud,
                                            p->o.log, p->o.log_ud, 0 };
                int hrc = rip_buf_add(&body, bs.ptr, bs.len)
                              ? RIP_ENOMEM
                              : rip_sqs_ingest_content(&content, body.ptr, body.len);
                count(p, &p->stats.objects, content.objects);
                rip_buf_release(&body);
                rip_slice ids = id ? rip_json_str(&doc, id) : RIP_SLICE_NULL;
                if (hrc) {
                    count(p, &p->stats.unreadable, 1);
                    plog(p, "message %.*s not taken (%s): left to SQS (retried after the "
                         "visibility timeout, then its dead-letter queue)",
                         (int)(ids.len > 100 ? 100 : ids.len), ids.ptr ? ids.ptr : "?",
                         rip_strerror(hrc));
                    continue;
                }
                /* Committed: now it may go. */
                rip_slice rhs = rip_json_str(&doc, rh);
                rip_buf del = RIP_BUF_INIT;
                rip_jw dw;
                rip_jw_init(&dw, &del);
                rip_jw_obj_begin(&dw);
                rip_jw_key(&dw, "QueueUrl");
                rip_jw_str(&dw, p->o.queue_url);
                rip_jw_key(&dw, "ReceiptHandle");
                rip_jw_strn(&dw, rhs.ptr, rhs.len);
                rip_jw_obj_end(&dw);
                rip_jw_finish(&dw);
                rip_aws_response dresp;
                rip_json_doc ddoc;
                rip_aws_response_init(&dresp);
                rip_json_doc_init(&ddoc, NULL);
                if (sqs_call(p, "DeleteMessage", &del, &dresp, &ddoc, &err) == 0)
                    count(p, &p->stats.deleted, 1);
                else
                    plog(p, "DeleteMessage failed (%s): the message will come back and be "
                         "stored again as duplicates (harmless)", err.code);
                rip_json_doc_release(&ddoc);
                rip_aws_response_release(&dresp);
                rip_buf_release(&del);
            }
        }
        rip_json_doc_release(&doc);
        rip_aws_response_release(&resp);
    }
    return NULL;
}

int rip_sqs_start(const rip_sqs_opts *o, rip_sqs_poller **out, char *err, size_t errlen)
{
    rip_sqs_poller *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return RIP_ENOMEM;
    }
    p->o = *o;
    pthread_mutex_init(&p->mu, NULL);
    atomic_init(&p->stop, 0);
    rip_aws_creds_provider_init(&p->prov, o->profile, o->region);
    int rc = rip_aws_client_init(&p->client, o->region);
    if (rc) {
        snprintf(err, errlen, "source %s: %s", o->name, rip_aws_client_init_error(rc));
        rip_aws_creds_provider_release(&p->prov);
        free(p);
        return rc;
    }
    p->client.provider = &p->prov;
    p->client.timeout_ms = ((long)o->wait_s + 15) * 1000;
    char perr[512];
    if (rip_aws_client_use_profile(&p->client, o->profile, perr, sizeof(perr)) < 0) {
        snprintf(err, errlen, "source %s: %s", o->name, perr);
        rip_aws_client_release(&p->client);
        rip_aws_creds_provider_release(&p->prov);
        free(p);
        return RIP_EINVAL;
    }
    if (o->endpoint_url)
        snprintf(p->client.endpoint_url, sizeof(p->client.endpoint_url), "%s", o->endpoint_url);
    if (pthread_create(&p->thread, NULL, poll_main, p)) {
        snprintf(err, errlen, "source %s: cannot start its thread", o->name);
        rip_aws_client_release(&p->client);
        rip_aws_creds_provider_release(&p->prov);
        free(p);
        return RIP_ENOMEM;
    }
    *out = p;
    return 0;
}

void rip_sqs_get_stats(rip_sqs_poller *p, rip_sqs_stats *out)
{
    pthread_mutex_lock(&p->mu);
    *out = p->stats;
    pthread_mutex_unlock(&p->mu);
}

void rip_sqs_stop(rip_sqs_poller *p)
{
    if (!p)
        return;
    atomic_store(&p->stop, 1);
    pthread_join(p->thread, NULL);
    rip_aws_client_release(&p->client);
    rip_aws_creds_provider_release(&p->prov);
    pthread_mutex_destroy(&p->mu);
    free(p);
}
