/* test-sns.c — src/server/sns.c and the offline half of source-sns.c: the
 * canonical strings of the three message types (against strings written
 * out here from AWS's documented layout), parsing and its refusals,
 * SignatureVersion 1 and 2 verification with an RSA key and self-signed
 * certificates made here with OpenSSL (tampered fields, wrong keys,
 * expired, not yet valid, EC and short keys refused), the URL patterns
 * (the default's refusals of look-alike hosts), the sns source's keys in
 * riposte.yaml, and the endpoint's refusals that happen before anything
 * is fetched. No network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "server/config.h"
#include "server/sns.h"
#include "server/source-sns.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define TOPIC "arn:aws:sns:us-east-1:123456789012:riposte-alerts"
#define CERT_URL "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem"
#define SUB_URL "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" \
                TOPIC "&Token=2336412f37fb687f5d51e6e2425c464de12884"

/* ---- keys and certificates ---- */

static EVP_PKEY *rsa_key(int bits)
{
    EVP_PKEY *k = EVP_RSA_gen((unsigned)bits);
    if (!k) {
        fprintf(stderr, "cannot make an RSA key\n");
        exit(2);
    }
    return k;
}

/* A self-signed certificate for k valid from now+from_s to now+to_s, as PEM
 * text (malloc'ed). */
static char *cert_pem(EVP_PKEY *k, long from_s, long to_s)
{
    X509 *x = X509_new();
    BIO *b = BIO_new(BIO_s_mem());
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), from_s);
    X509_gmtime_adj(X509_getm_notAfter(x), to_s);
    X509_set_pubkey(x, k);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"sns.test", -1, -1,
                               0);
    X509_set_issuer_name(x, n);
    if (!X509_sign(x, k, EVP_sha256()) || !PEM_write_bio_X509(b, x)) {
        fprintf(stderr, "cannot make a certificate\n");
        exit(2);
    }
    char *data;
    long len = BIO_get_mem_data(b, &data);
    char *out = malloc((size_t)len + 1);
    memcpy(out, data, (size_t)len);
    out[len] = '\0';
    BIO_free(b);
    X509_free(x);
    return out;
}

/* ---- messages ---- */

typedef struct kv {
    const char *k, *v;         /* v NULL: written as JSON null */
} kv;

/* The JSON object of the n pairs, into out (reset first). */
static void to_json(const kv *f, size_t n, rip_buf *out)
{
    rip_buf_reset(out);
    rip_jw w;
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    for (size_t i = 0; i < n; i++) {
        rip_jw_key(&w, f[i].k);
        rip_jw_str(&w, f[i].v);
    }
    rip_jw_obj_end(&w);
    rip_jw_finish(&w);
}

static const char *get(const kv *f, size_t n, const char *k)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].k, k))
            return f[i].v;
    return NULL;
}

/* The string to sign, written here independently of sns.c from AWS's
 * documented key lists. */
static void string_to_sign(const kv *f, size_t n, rip_buf *out)
{
    static const char *const notif[] = { "Message", "MessageId", "Subject", "Timestamp",
                                         "TopicArn", "Type", NULL };
    static const char *const conf[] = { "Message", "MessageId", "SubscribeURL", "Timestamp",
                                        "Token", "TopicArn", "Type", NULL };
    const char *type = get(f, n, "Type");
    const char *const *keys = type && !strcmp(type, "Notification") ? notif : conf;
    rip_buf_reset(out);
    for (; *keys; keys++) {
        const char *v = get(f, n, *keys);
        if (!v)
            continue;
        rip_buf_addf(out, "%s\n%s\n", *keys, v);
    }
}

/* Signs the pairs with k (sha1 for version 1, sha256 for 2) and returns the
 * base64 signature (static buffer). */
static const char *sign(EVP_PKEY *k, int version, const kv *f, size_t n)
{
    static char b64[2048];
    rip_buf s = RIP_BUF_INIT;
    string_to_sign(f, n, &s);
    unsigned char sig[1024];
    size_t slen = sizeof(sig);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (EVP_DigestSignInit(ctx, NULL, version == 1 ? EVP_sha1() : EVP_sha256(), NULL, k) != 1 ||
        EVP_DigestSign(ctx, sig, &slen, (const unsigned char *)s.ptr, s.len) != 1) {
        fprintf(stderr, "cannot sign\n");
        exit(2);
    }
    EVP_MD_CTX_free(ctx);
    rip_buf_release(&s);
    EVP_EncodeBlock((unsigned char *)b64, sig, (int)slen);
    return b64;
}

static char now_text[40];

static kv *notification(size_t *n, const char *subject)
{
    static kv f[12];
    size_t i = 0;
    f[i++] = (kv){ "Type", "Notification" };
    f[i++] = (kv){ "MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324" };
    f[i++] = (kv){ "TopicArn", TOPIC };
    if (subject)
        f[i++] = (kv){ "Subject", subject };
    f[i++] = (kv){ "Message", "{\"detail-type\":\"GuardDuty Finding\",\n\"x\":\"caf\xc3\xa9\"}" };
    f[i++] = (kv){ "Timestamp", now_text };
    f[i++] = (kv){ "SignatureVersion", "1" };
    f[i++] = (kv){ "Signature", "" };
    f[i++] = (kv){ "SigningCertURL", CERT_URL };
    f[i++] = (kv){ "UnsubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe" };
    *n = i;
    return f;
}

static kv *confirmation(size_t *n, const char *type)
{
    static kv f[12];
    size_t i = 0;
    f[i++] = (kv){ "Type", type };
    f[i++] = (kv){ "MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b" };
    f[i++] = (kv){ "Token", "2336412f37fb687f5d51e6e2425c464de12884" };
    f[i++] = (kv){ "TopicArn", TOPIC };
    f[i++] = (kv){ "Message", "You have chosen to subscribe to the topic " TOPIC ".\n"
                              "To confirm the subscription, visit the SubscribeURL included "
                              "in this message." };
    f[i++] = (kv){ "SubscribeURL", SUB_URL };
    f[i++] = (kv){ "Timestamp", now_text };
    f[i++] = (kv){ "SignatureVersion", "2" };
    f[i++] = (kv){ "Signature", "" };
    f[i++] = (kv){ "SigningCertURL", CERT_URL };
    *n = i;
    return f;
}

static void set(kv *f, size_t n, const char *k, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(f[i].k, k))
            f[i].v = v;
}

/* Signs f with k under version (setting SignatureVersion and Signature). */
static void sign_into(EVP_PKEY *k, int version, kv *f, size_t n)
{
    set(f, n, "SignatureVersion", version == 1 ? "1" : "2");
    static char copy[2048];
    snprintf(copy, sizeof(copy), "%s", sign(k, version, f, n));
    set(f, n, "Signature", copy);
}

/* Parses f, then verifies it against pem. 0, or the first failing RIP_E*. */
static int parse_verify(const kv *f, size_t n, const char *pem, char *why, size_t whylen)
{
    rip_buf body = RIP_BUF_INIT;
    rip_sns_message m;
    rip_sns_message_init(&m);
    to_json(f, n, &body);
    int rc = rip_sns_parse(&m, body.ptr, body.len, NULL, why, whylen);
    if (!rc)
        rc = rip_sns_verify(&m, pem, strlen(pem), time(NULL), why, whylen);
    rip_sns_message_release(&m);
    rip_buf_release(&body);
    return rc;
}

/* ---- canonical strings ---- */

static void canonical_case(const char *name, const char *json, const char *want)
{
    rip_sns_message m;
    rip_sns_message_init(&m);
    rip_buf out = RIP_BUF_INIT;
    char why[256] = "";
    int rc = rip_sns_parse(&m, json, strlen(json), NULL, why, sizeof(why));
    if (!rc)
        rc = rip_sns_canonical(&m, &out);
    tap_check(rc == 0 && out.len == strlen(want) && !memcmp(out.ptr, want, out.len),
              "canonical: %s%s%s", name, rc ? ": " : "", rc ? why : "");
    if (rc == 0 && strcmp(out.ptr, want))
        tap_diag("got:\n%s", out.ptr);
    rip_buf_release(&out);
    rip_sns_message_release(&m);
}

static void test_canonical(void)
{
    canonical_case("Notification with a Subject",
                   "{\"Type\":\"Notification\",\"MessageId\":\"m-1\",\"TopicArn\":\"" TOPIC "\","
                   "\"Subject\":\"Alert\",\"Message\":\"line1\\nline2 \\\"q\\\" \\u00e9\","
                   "\"Timestamp\":\"2024-05-01T12:00:00.000Z\",\"SignatureVersion\":\"1\","
                   "\"Signature\":\"AAAA\",\"SigningCertURL\":\"" CERT_URL "\","
                   "\"UnsubscribeURL\":\"https://sns.us-east-1.amazonaws.com/?Action=Unsub\"}",
                   "Message\nline1\nline2 \"q\" \xc3\xa9\nMessageId\nm-1\nSubject\nAlert\n"
                   "Timestamp\n2024-05-01T12:00:00.000Z\nTopicArn\n" TOPIC "\nType\n"
                   "Notification\n");
    canonical_case("Notification without a Subject (absent)",
                   "{\"Type\":\"Notification\",\"MessageId\":\"m-2\",\"TopicArn\":\"" TOPIC "\","
                   "\"Message\":\"{}\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                   "\"SignatureVersion\":\"2\",\"Signature\":\"AAAA\","
                   "\"SigningCertURL\":\"" CERT_URL "\"}",
                   "Message\n{}\nMessageId\nm-2\nTimestamp\n2024-05-01T12:00:00Z\nTopicArn\n"
                   TOPIC "\nType\nNotification\n");
    canonical_case("Notification with \"Subject\": null (absent)",
                   "{\"Subject\":null,\"Type\":\"Notification\",\"MessageId\":\"m-3\","
                   "\"TopicArn\":\"" TOPIC "\",\"Message\":\"x\","
                   "\"Timestamp\":\"2024-05-01T12:00:00Z\",\"SignatureVersion\":\"2\","
                   "\"Signature\":\"AAAA\",\"SigningCertURL\":\"" CERT_URL "\"}",
                   "Message\nx\nMessageId\nm-3\nTimestamp\n2024-05-01T12:00:00Z\nTopicArn\n"
                   TOPIC "\nType\nNotification\n");
    canonical_case("SubscriptionConfirmation (Token and SubscribeURL, no Subject)",
                   "{\"Type\":\"SubscriptionConfirmation\",\"MessageId\":\"m-4\","
                   "\"Token\":\"tok\",\"TopicArn\":\"" TOPIC "\",\"Message\":\"confirm\","
                   "\"SubscribeURL\":\"" SUB_URL "\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                   "\"Subject\":\"ignored\",\"SignatureVersion\":\"1\",\"Signature\":\"AAAA\","
                   "\"SigningCertURL\":\"" CERT_URL "\"}",
                   "Message\nconfirm\nMessageId\nm-4\nSubscribeURL\n" SUB_URL "\nTimestamp\n"
                   "2024-05-01T12:00:00Z\nToken\ntok\nTopicArn\n" TOPIC "\nType\n"
                   "SubscriptionConfirmation\n");
    canonical_case("UnsubscribeConfirmation",
                   "{\"Type\":\"UnsubscribeConfirmation\",\"MessageId\":\"m-5\","
                   "\"Token\":\"tok\",\"TopicArn\":\"" TOPIC "\",\"Message\":\"bye\","
                   "\"SubscribeURL\":\"" SUB_URL "\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                   "\"SignatureVersion\":\"2\",\"Signature\":\"AAAA\","
                   "\"SigningCertURL\":\"" CERT_URL "\"}",
                   "Message\nbye\nMessageId\nm-5\nSubscribeURL\n" SUB_URL "\nTimestamp\n"
                   "2024-05-01T12:00:00Z\nToken\ntok\nTopicArn\n" TOPIC "\nType\n"
                   "UnsubscribeConfirmation\n");
}

/* ---- parsing ---- */

static void parse_refused(const char *name, const char *json, const char *header, int want_rc,
                          const char *want_why)
{
    rip_sns_message m;
    rip_sns_message_init(&m);
    char why[256] = "";
    int rc = rip_sns_parse(&m, json, strlen(json), header, why, sizeof(why));
    tap_check(rc == want_rc && strstr(why, want_why) && !m.topic_arn.ptr,
              "parse refuses %s (%s)", name, why);
    rip_sns_message_release(&m);
}

static void test_parse(void)
{
    size_t n;
    kv *f = notification(&n, "Subject here");
    set(f, n, "Signature", "AAAA");
    rip_buf b = RIP_BUF_INIT;
    to_json(f, n, &b);
    rip_sns_message m;
    rip_sns_message_init(&m);
    char why[256] = "";
    int rc = rip_sns_parse(&m, b.ptr, b.len, "Notification", why, sizeof(why));
    tap_check(rc == 0 && m.type == RIP_SNS_NOTIFICATION && m.signature_version == 1 &&
                  m.has_subject && !strcmp(m.topic_arn.ptr, TOPIC) &&
                  !strcmp(m.signing_cert_url.ptr, CERT_URL) && m.timestamp_ns > 0 &&
                  strstr(m.message.ptr, "GuardDuty Finding"),
              "parse: a Notification's fields (%s)", why);
    /* Reusing the message: the earlier fields are gone. */
    f = confirmation(&n, "SubscriptionConfirmation");
    set(f, n, "Signature", "AAAA");
    to_json(f, n, &b);
    rc = rip_sns_parse(&m, b.ptr, b.len, NULL, why, sizeof(why));
    tap_check(rc == 0 && m.type == RIP_SNS_SUBSCRIPTION_CONFIRMATION && !m.has_subject &&
                  m.signature_version == 2 && !strcmp(m.subscribe_url.ptr, SUB_URL),
              "parse: a SubscriptionConfirmation into the same message (%s)", why);
    rip_sns_message_release(&m);
    rip_buf_release(&b);

    static const char base[] = "\"MessageId\":\"m\",\"TopicArn\":\"" TOPIC "\",\"Message\":\"x\","
                               "\"Timestamp\":\"2024-05-01T12:00:00Z\",\"SignatureVersion\":\"1\","
                               "\"Signature\":\"AAAA\",\"SigningCertURL\":\"" CERT_URL "\"";
    char j[2048];
    parse_refused("what is not JSON", "{\"Type\":", NULL, RIP_ESYNTAX, "not JSON");
    parse_refused("an array", "[1,2]", NULL, RIP_ESYNTAX, "not a JSON object");
    parse_refused("an empty body", "", NULL, RIP_ESYNTAX, "not JSON");
    snprintf(j, sizeof(j), "{%s}", base);
    parse_refused("a body without Type", j, NULL, RIP_EFORMAT, "'Type' is missing");
    snprintf(j, sizeof(j), "{\"Type\":\"Spam\",%s}", base);
    parse_refused("an unknown Type", j, NULL, RIP_EFORMAT, "'Type' is not");
    snprintf(j, sizeof(j), "{\"Type\":\"Notification\",%s}", base);
    parse_refused("a header naming another type", j, "SubscriptionConfirmation", RIP_EFORMAT,
                  "x-amz-sns-message-type");
    snprintf(j, sizeof(j), "{\"Type\":\"Notification\",\"TopicArn\":\"" TOPIC "\",%s}", base);
    parse_refused("a key given twice", j, NULL, RIP_EFORMAT, "'TopicArn' is given twice");
    snprintf(j, sizeof(j), "{\"Type\":\"Notification\",\"T\\u006fpicArn\":\"x\",%s}", base);
    parse_refused("a key given twice, once escaped", j, NULL, RIP_EFORMAT, "given twice");
    snprintf(j, sizeof(j), "{\"Type\":\"Notification\",\"Subject\":7,%s}", base);
    parse_refused("a Subject that is a number", j, NULL, RIP_EFORMAT,
                  "'Subject' is not a string");
    parse_refused("a Notification without TopicArn",
                  "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"Message\":\"x\","
                  "\"Timestamp\":\"2024-05-01T12:00:00Z\",\"SignatureVersion\":\"1\","
                  "\"Signature\":\"AAAA\",\"SigningCertURL\":\"" CERT_URL "\"}",
                  NULL, RIP_EFORMAT, "'TopicArn' is missing");
    snprintf(j, sizeof(j), "{\"Type\":\"SubscriptionConfirmation\",%s}", base);
    parse_refused("a SubscriptionConfirmation without Token", j, NULL, RIP_EFORMAT,
                  "'Token' is missing");
    snprintf(j, sizeof(j), "{\"Type\":\"UnsubscribeConfirmation\",\"Token\":\"t\",%s}", base);
    parse_refused("an UnsubscribeConfirmation without SubscribeURL", j, NULL, RIP_EFORMAT,
                  "'SubscribeURL' is missing");
    parse_refused("a TopicArn with a control character",
                  "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"" TOPIC
                  "\\u0000x\",\"Message\":\"x\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                  "\"SignatureVersion\":\"1\",\"Signature\":\"AAAA\","
                  "\"SigningCertURL\":\"" CERT_URL "\"}",
                  NULL, RIP_EFORMAT, "'TopicArn' holds a control character");
    parse_refused("a Timestamp that is not a date-time",
                  "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"" TOPIC "\","
                  "\"Message\":\"x\",\"Timestamp\":\"yesterday\",\"SignatureVersion\":\"1\","
                  "\"Signature\":\"AAAA\",\"SigningCertURL\":\"" CERT_URL "\"}",
                  NULL, RIP_EFORMAT, "'Timestamp' is not a date-time");
    parse_refused("an empty MessageId",
                  "{\"Type\":\"Notification\",\"MessageId\":\"\",\"TopicArn\":\"" TOPIC "\","
                  "\"Message\":\"x\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                  "\"SignatureVersion\":\"1\",\"Signature\":\"AAAA\","
                  "\"SigningCertURL\":\"" CERT_URL "\"}",
                  NULL, RIP_EFORMAT, "'MessageId' is empty");
    char *longurl = malloc(RIP_SNS_URL_MAX + 1024);
    int k = snprintf(longurl, 1024, "{\"Type\":\"Notification\",\"MessageId\":"
                     "\"m\",\"TopicArn\":\"" TOPIC "\",\"Message\":\"x\",\"Timestamp\":"
                     "\"2024-05-01T12:00:00Z\",\"SignatureVersion\":\"1\",\"Signature\":\"A\","
                     "\"SigningCertURL\":\"https://sns.us-east-1.amazonaws.com/");
    memset(longurl + k, 'a', RIP_SNS_URL_MAX);
    strcpy(longurl + k + RIP_SNS_URL_MAX, "\"}");
    parse_refused("a SigningCertURL over the cap", longurl, NULL, RIP_EFORMAT, "longer than");
    free(longurl);
    /* An unknown SignatureVersion parses (version 0) and is refused by verify. */
    rip_sns_message_init(&m);
    static const char v3[] = "{\"Type\":\"Notification\",\"MessageId\":\"m\",\"TopicArn\":\"x\","
                             "\"Message\":\"x\",\"Timestamp\":\"2024-05-01T12:00:00Z\","
                             "\"SignatureVersion\":\"3\",\"Signature\":\"AAAA\","
                             "\"SigningCertURL\":\"" CERT_URL "\"}";
    rc = rip_sns_parse(&m, v3, strlen(v3), NULL, why, sizeof(why));
    tap_check(rc == 0 && m.signature_version == 0, "parse: SignatureVersion 3 is version 0 (%s)",
              why);
    rip_sns_message_release(&m);
}

/* ---- verification ---- */

static void test_verify(void)
{
    EVP_PKEY *key = rsa_key(2048), *other = rsa_key(2048);
    char *pem = cert_pem(key, -3600, 86400);
    char *other_pem = cert_pem(other, -3600, 86400);
    char *expired = cert_pem(key, -7200, -3600);
    char *future = cert_pem(key, 3600, 86400);
    char why[256];
    size_t n;

    for (int v = 1; v <= 2; v++) {
        kv *f = notification(&n, "GuardDuty finding");
        sign_into(key, v, f, n);
        int rc = parse_verify(f, n, pem, why, sizeof(why));
        tap_check(rc == 0, "verify: a Notification signed with version %d (%s)", v, why);
        f = notification(&n, NULL);
        sign_into(key, v, f, n);
        rc = parse_verify(f, n, pem, why, sizeof(why));
        tap_check(rc == 0, "verify: a Notification without Subject, version %d (%s)", v, why);
        f = confirmation(&n, "SubscriptionConfirmation");
        sign_into(key, v, f, n);
        rc = parse_verify(f, n, pem, why, sizeof(why));
        tap_check(rc == 0, "verify: a SubscriptionConfirmation, version %d (%s)", v, why);
        f = confirmation(&n, "UnsubscribeConfirmation");
        sign_into(key, v, f, n);
        rc = parse_verify(f, n, pem, why, sizeof(why));
        tap_check(rc == 0, "verify: an UnsubscribeConfirmation, version %d (%s)", v, why);
    }

    /* Every signed field changed after signing is refused. */
    static const char *const notif_fields[] = { "Message", "MessageId", "Subject", "Timestamp",
                                                "TopicArn", NULL };
    for (int v = 1; v <= 2; v++)
        for (const char *const *fl = notif_fields; *fl; fl++) {
            kv *f = notification(&n, "GuardDuty finding");
            sign_into(key, v, f, n);
            char changed[512];
            const char *old = get(f, n, *fl);
            if (!strcmp(*fl, "Timestamp")) {
                snprintf(changed, sizeof(changed), "%s", old);
                changed[3] = changed[3] == '9' ? '8' : (char)(changed[3] + 1);   /* the year */
            } else {
                snprintf(changed, sizeof(changed), "%sX", old);
            }
            set(f, n, *fl, changed);
            int rc = parse_verify(f, n, pem, why, sizeof(why));
            tap_check(rc == RIP_EINVAL && strstr(why, "does not match"),
                      "verify v%d refuses a Notification whose %s changed (%s)", v, *fl, why);
        }
    static const char *const conf_fields[] = { "Token", "SubscribeURL", "Message", NULL };
    for (const char *const *fl = conf_fields; *fl; fl++) {
        kv *f = confirmation(&n, "SubscriptionConfirmation");
        sign_into(key, 2, f, n);
        char changed[512];
        const char *was = get(f, n, *fl);
        snprintf(changed, sizeof(changed), "%s1", was ? was : "");
        set(f, n, *fl, changed);
        int rc = parse_verify(f, n, pem, why, sizeof(why));
        tap_check(rc == RIP_EINVAL, "verify refuses a SubscriptionConfirmation whose %s changed",
                  *fl);
    }
    kv *f = notification(&n, NULL);
    sign_into(key, 2, f, n);
    kv g[13];
    memcpy(g, f, n * sizeof(kv));
    g[n] = (kv){ "Subject", "added after signing" };
    tap_check(parse_verify(g, n + 1, pem, why, sizeof(why)) == RIP_EINVAL,
              "verify refuses a Subject added after signing");
    f = notification(&n, NULL);
    sign_into(key, 2, f, n);
    set(f, n, "Type", "SubscriptionConfirmation");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) != 0,
              "verify refuses a Notification relabelled as a confirmation");

    /* The version must be the one it was signed with. */
    f = notification(&n, "s");
    sign_into(key, 2, f, n);
    set(f, n, "SignatureVersion", "1");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) == RIP_EINVAL,
              "verify refuses a SHA-256 signature presented as version 1");
    f = notification(&n, "s");
    sign_into(key, 1, f, n);
    set(f, n, "SignatureVersion", "2");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) == RIP_EINVAL,
              "verify refuses a SHA-1 signature presented as version 2");
    f = notification(&n, "s");
    sign_into(key, 2, f, n);
    set(f, n, "SignatureVersion", "3");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "SignatureVersion"),
              "verify refuses SignatureVersion 3 (%s)", why);

    /* Keys and certificates. */
    f = notification(&n, "s");
    sign_into(key, 2, f, n);
    tap_check(parse_verify(f, n, other_pem, why, sizeof(why)) == RIP_EINVAL,
              "verify refuses a signature made with another key");
    tap_check(parse_verify(f, n, expired, why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "expired"),
              "verify refuses an expired certificate (%s)", why);
    tap_check(parse_verify(f, n, future, why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "not valid yet"),
              "verify refuses a certificate not valid yet (%s)", why);
    tap_check(parse_verify(f, n, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                           why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "not a PEM X.509"),
              "verify refuses a PEM that is not a certificate (%s)", why);
    tap_check(parse_verify(f, n, "", why, sizeof(why)) == RIP_EINVAL,
              "verify refuses an empty certificate");
    EVP_PKEY *ec = EVP_EC_gen("P-256");
    char *ec_pem = cert_pem(ec, -3600, 86400);
    tap_check(rip_sns_cert_check(ec_pem, strlen(ec_pem), time(NULL), why, sizeof(why)) ==
                      RIP_EINVAL && strstr(why, "not an RSA key"),
              "a certificate with an EC key is refused (%s)", why);
    EVP_PKEY *small = rsa_key(1024);
    char *small_pem = cert_pem(small, -3600, 86400);
    tap_check(rip_sns_cert_check(small_pem, strlen(small_pem), time(NULL), why, sizeof(why)) ==
                      RIP_EINVAL && strstr(why, "shorter than"),
              "a certificate with a 1024-bit RSA key is refused (%s)", why);
    tap_check(rip_sns_cert_check(pem, strlen(pem), time(NULL), why, sizeof(why)) == 0,
              "a valid certificate passes the check");
    f = notification(&n, "s");
    sign_into(key, 2, f, n);
    set(f, n, "Signature", "not base64!");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "base64"),
              "verify refuses a Signature that is not base64 (%s)", why);
    set(f, n, "Signature", "AAAA");
    tap_check(parse_verify(f, n, pem, why, sizeof(why)) == RIP_EINVAL,
              "verify refuses a short Signature");

    free(pem);
    free(other_pem);
    free(expired);
    free(future);
    free(ec_pem);
    free(small_pem);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other);
    EVP_PKEY_free(ec);
    EVP_PKEY_free(small);
}

/* ---- URL patterns ---- */

static void url_case(const char *url, const char *const *pats, size_t n, bool want)
{
    bool got = rip_sns_url_allowed(url, strlen(url), pats, n);
    tap_check(got == want, "url: '%s' %s", url, want ? "allowed" : "refused");
}

static void test_urls(void)
{
    const char *const *d = rip_sns_default_url_patterns;
    url_case("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0000.pem", d, 2, true);
    url_case("https://sns.eu-west-3.amazonaws.com/?Action=ConfirmSubscription&Token=abc", d, 2,
             true);
    url_case("https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-1.pem", d, 2,
             true);
    url_case("HTTPS://SNS.US-EAST-1.AMAZONAWS.COM/x.pem", d, 2, true);
    url_case("http://sns.us-east-1.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com.evil.com/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com.cn.evil.com/x.pem", d, 2, false);
    url_case("https://sns.evil.s3.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com@evil.com/x.pem", d, 2, false);
    url_case("https://evil.com@sns.us-east-1.amazonaws.com/x.pem", d, 2, false);
    url_case("https://evil.com/sns.us-east-1.amazonaws.com/x.pem", d, 2, false);
    url_case("https://evil.com/https://sns.us-east-1.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.evil.com?.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.evil.com#.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.evil.com\\.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.%65vil.amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com:8443/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com", d, 2, false);
    url_case("https://sns..amazonaws.com/x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com./x.pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com/x .pem", d, 2, false);
    url_case("https://sns.us-east-1.amazonaws.com/x\\y.pem", d, 2, false);
    url_case("https://amazonaws.com/x.pem", d, 2, false);
    url_case("ftp://sns.us-east-1.amazonaws.com/x.pem", d, 2, false);
    url_case("", d, 2, false);
    tap_check(!rip_sns_url_allowed(NULL, 0, d, 2), "url: NULL refused");
    tap_check(!rip_sns_url_allowed(CERT_URL, strlen(CERT_URL), d, 0),
              "url: no patterns, nothing allowed");

    const char *const local[] = { "http://127.0.0.1:8080/cert.pem",
                                  "http://127.0.0.1:8080/confirm*" };
    url_case("http://127.0.0.1:8080/cert.pem", local, 2, true);
    url_case("http://127.0.0.1:8080/confirm?Action=ConfirmSubscription&Token=x", local, 2, true);
    url_case("http://127.0.0.1:8080/cert.pem2", local, 2, false);
    url_case("http://127.0.0.1:8081/cert.pem", local, 2, false);
    url_case("http://localhost:8080/cert.pem", local, 2, false);
    url_case("https://127.0.0.1:8080/cert.pem", local, 2, false);
    const char *const q[] = { "https://sns.?" "?-east-1.amazonaws.com/*" };
    url_case("https://sns.us-east-1.amazonaws.com/x", q, 1, true);
    url_case("https://sns.u.s-east-1.amazonaws.com/x", q, 1, false);

    char why[256];
    tap_check(rip_sns_pattern_check("https://sns.*.amazonaws.com/*", why, sizeof(why)) == 0,
              "pattern: the default's shape is accepted");
    tap_check(rip_sns_pattern_check("sns.amazonaws.com/*", why, sizeof(why)) == RIP_EINVAL &&
                  strstr(why, "https://"),
              "pattern: no scheme is refused (%s)", why);
    tap_check(rip_sns_pattern_check("https://sns.*.amazonaws.com", why, sizeof(why)) ==
                  RIP_EINVAL,
              "pattern: no '/' after the host is refused");
    tap_check(rip_sns_pattern_check("https://user@sns.amazonaws.com/*", why, sizeof(why)) ==
                  RIP_EINVAL,
              "pattern: user info is refused");
    tap_check(rip_sns_pattern_check("https:///x", why, sizeof(why)) == RIP_EINVAL,
              "pattern: an empty host is refused");

    char shown[128];
    rip_sns_url_for_log(SUB_URL, shown, sizeof(shown));
    tap_check(!strcmp(shown, "https://sns.us-east-1.amazonaws.com/") && !strstr(shown, "Token"),
              "url for the log drops the query, where the token is ('%s')", shown);
    rip_sns_url_for_log("https://a.b/c\x01\xff#frag", shown, sizeof(shown));
    tap_check(!strcmp(shown, "https://a.b/c??"), "url for the log: printable only ('%s')",
              shown);
}

/* ---- the sns source in riposte.yaml ---- */

typedef struct diags {
    char text[4096];
    int errors, warnings;
} diags;

static void on_diag(void *ud, const rip_config_diag *d)
{
    diags *g = ud;
    size_t l = strlen(g->text);
    snprintf(g->text + l, sizeof(g->text) - l, "%s\n", d->message);
    if (d->warning)
        g->warnings++;
    else
        g->errors++;
}

static rip_config *load(const char *yaml, diags *g)
{
    rip_config *cfg = NULL;
    memset(g, 0, sizeof(*g));
    rip_config_load_text("r.yaml", yaml, strlen(yaml), NULL, &cfg, on_diag, g);
    return cfg;
}

static void test_config(void)
{
    diags g;
    rip_config *cfg = load("sources:\n"
                           "  - kind: sns\n"
                           "    name: alerts\n"
                           "    topics: [\"arn:aws:sns:us-east-1:123456789012:riposte-*\"]\n"
                           "    max_age: 30m\n"
                           "  - kind: sns\n"
                           "    name: loopback\n"
                           "    topics: arn:aws:sns:*:111122223333:*\n"
                           "    cert_url_pattern: [\"http://127.0.0.1:8080/cert.pem\",\n"
                           "                       \"https://sns.*.amazonaws.com/*\"]\n",
                           &g);
    if (!tap_check(cfg && cfg->nsources == 2 && cfg->sources[0].kind == RIP_SOURCE_SNS &&
                       cfg->sources[0].topics.n == 1 && cfg->sources[0].max_age_s == 1800 &&
                       cfg->sources[0].cert_url_patterns.n == 0 &&
                       cfg->sources[1].max_age_s == 3600 &&
                       cfg->sources[1].cert_url_patterns.n == 2 && g.warnings == 1 &&
                       strstr(g.text, "line 9: sources.loopback.cert_url_pattern: "
                                      "'http://127.0.0.1:8080/cert.pem' allows plain http"),
                   "config: sns sources are read, a plain-http pattern warned about"))
        tap_diag("%s", g.text);
    tap_check(cfg && !strcmp(rip_source_kind_name(cfg->sources[0].kind), "sns"),
              "config: the kind's name is sns");
    rip_config_free(cfg);

    static const struct {
        const char *name, *yaml, *want;
    } bad[] = {
        { "no topics", "sources:\n  - kind: sns\n    name: a\n",
          "line 2: sources.a: an sns source needs 'topics'" },
        { "a topic that is not an ARN",
          "sources:\n  - kind: sns\n    name: a\n    topics: [riposte-alerts]\n",
          "line 4: sources.a.topics: expected a topic ARN pattern" },
        { "a cert_url_pattern without a scheme",
          "sources:\n  - kind: sns\n    name: a\n    topics: arn:aws:sns:*\n"
          "    cert_url_pattern: sns.amazonaws.com/*\n",
          "line 5: sources.a.cert_url_pattern: expected a URL pattern starting with https://" },
        { "a cert_url_pattern with user info",
          "sources:\n  - kind: sns\n    name: a\n    topics: arn:aws:sns:*\n"
          "    cert_url_pattern: \"https://x@sns.amazonaws.com/*\"\n",
          "line 5: sources.a.cert_url_pattern: expected SCHEME://HOST[:PORT]/PATH" },
        { "a max_age under a minute",
          "sources:\n  - kind: sns\n    name: a\n    topics: arn:aws:sns:*\n    max_age: 10s\n",
          "line 5: sources.a.max_age:" },
        { "an sqs key on an sns source",
          "sources:\n  - kind: sns\n    name: a\n    topics: arn:aws:sns:*\n"
          "    queue_url: https://sqs.us-east-1.amazonaws.com/1/q\n",
          "line 5: sources.a: unknown key 'queue_url' for an sns source" },
        { "an sns key on an sqs source",
          "sources:\n  - kind: sqs\n    name: a\n    queue_url: https://sqs.x.amazonaws.com/1/q\n"
          "    topics: arn:aws:sns:*\n",
          "line 5: sources.a: unknown key 'topics' for an sqs source" },
        { "an unknown kind", "sources:\n  - kind: snss\n    name: a\n",
          "line 2: sources.a.kind: unknown kind 'snss' (expected sqs, http, sns)" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = load(bad[i].yaml, &g);
        if (!tap_check(!cfg && g.errors >= 1 && strstr(g.text, bad[i].want),
                       "config refuses %s, with its line", bad[i].name))
            tap_diag("%s", g.text);
        rip_config_free(cfg);
    }
}

/* ---- the endpoint's refusals before any fetch ---- */

static int ingested;

static int count_ingest(void *ud, const char *name, const char *data, size_t len,
                        size_t *events)
{
    (void)ud;
    (void)name;
    (void)data;
    (void)len;
    ingested++;
    *events = 1;
    return 0;
}

static void endpoint_case(rip_sns_endpoint *e, const char *name, kv *f, size_t n,
                          int want_status, const char *want_log)
{
    rip_buf body = RIP_BUF_INIT;
    to_json(f, n, &body);
    rip_sns_request r = { NULL, body.ptr, body.len, "192.0.2.7",
                          (int64_t)time(NULL) * 1000000000, count_ingest, NULL };
    rip_sns_outcome o;
    rip_sns_endpoint_handle(e, &r, &o);
    bool audit = want_status == 403 ? o.audit_action && !strcmp(o.audit_action, "sns_refused") &&
                                          strstr(o.audit_detail, "\"remote\":\"192.0.2.7\"")
                                    : !o.audit_action;
    tap_check(o.status == want_status && strstr(o.log, want_log) && audit &&
                  !strstr(o.log, "2336412f37fb687f5d51e6e2425c464de12884") &&
                  !strstr(o.audit_detail, "2336412f37fb687f5d51e6e2425c464de12884"),
              "endpoint: %s: %d (%s)", name, o.status, o.log);
    if (want_status == 403)
        tap_check(!strcmp(o.error, "the message could not be verified"),
                  "endpoint: %s: the client gets the one refusal text", name);
    rip_buf_release(&body);
}

static void test_endpoint(void)
{
    diags g;
    rip_config *cfg = load("sources:\n"
                           "  - kind: sns\n"
                           "    name: alerts\n"
                           "    topics: \"arn:aws:sns:us-east-1:123456789012:riposte-*\"\n"
                           "    max_age: 10m\n"
                           "  - kind: sns\n"
                           "    name: down\n"
                           "    topics: \"arn:aws:sns:us-east-1:123456789012:down\"\n"
                           "    cert_url_pattern: \"http://127.0.0.1:9/*\"\n",
                           &g);
    if (!tap_check(cfg != NULL, "endpoint: its configuration loads")) {
        tap_diag("%s", g.text);
        return;
    }
    rip_sns_endpoint_opts o = { .cfg = cfg, .timeout_ms = 2000 };
    rip_sns_endpoint *e = rip_sns_endpoint_new(&o);
    EVP_PKEY *key = rsa_key(2048);
    size_t n;
    kv *f = notification(&n, NULL);
    sign_into(key, 2, f, n);
    set(f, n, "TopicArn", "arn:aws:sns:us-east-1:999999999999:riposte-alerts");
    endpoint_case(e, "another account's topic", f, n, 403, "topic is not one of");

    char old[40];
    time_t t = time(NULL) - 3600;
    strftime(old, sizeof(old), "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&t));
    f = notification(&n, NULL);
    set(f, n, "Timestamp", old);
    sign_into(key, 2, f, n);
    endpoint_case(e, "a Timestamp older than max_age", f, n, 403, "stale Timestamp");
    t = time(NULL) + 3600;
    strftime(old, sizeof(old), "%Y-%m-%dT%H:%M:%S.000Z", gmtime(&t));
    set(f, n, "Timestamp", old);
    endpoint_case(e, "a Timestamp an hour ahead", f, n, 403, "in the future");

    f = notification(&n, NULL);
    sign_into(key, 2, f, n);
    set(f, n, "SignatureVersion", "3");
    endpoint_case(e, "SignatureVersion 3", f, n, 403, "unknown SignatureVersion");

    f = notification(&n, NULL);
    set(f, n, "SigningCertURL", "https://sns.us-east-1.amazonaws.com.evil.com/x.pem");
    sign_into(key, 2, f, n);
    endpoint_case(e, "a SigningCertURL off the default pattern", f, n, 403,
                  "SigningCertURL https://sns.us-east-1.amazonaws.com.evil.com/x.pem is not "
                  "allowed");

    f = confirmation(&n, "SubscriptionConfirmation");
    set(f, n, "SubscribeURL", "https://evil.example/?Token=2336412f37fb687f5d51e6e2425c464de12884");
    sign_into(key, 2, f, n);
    endpoint_case(e, "a SubscribeURL off the pattern", f, n, 403, "SubscribeURL is not allowed");

    endpoint_case(e, "a body that is not an SNS message", (kv[]){ { "Type", "Notification" } },
                  1, 400, "not an SNS message: 'MessageId' is missing");

    /* Allowed, but nothing listens there: 503, send again; no refusal. */
    f = notification(&n, NULL);
    set(f, n, "TopicArn", "arn:aws:sns:us-east-1:123456789012:down");
    set(f, n, "SigningCertURL", "http://127.0.0.1:9/cert.pem");
    sign_into(key, 2, f, n);
    endpoint_case(e, "a certificate that cannot be fetched", f, n, 503, "could not be fetched");

    tap_check(rip_sns_endpoint_fetches(e) == 0 && ingested == 0,
              "endpoint: nothing was fetched or ingested for any of them");
    rip_sns_endpoint_free(e);
    rip_config_free(cfg);
    EVP_PKEY_free(key);
}

int main(void)
{
    time_t t = time(NULL);
    strftime(now_text, sizeof(now_text), "%Y-%m-%dT%H:%M:%S.123Z", gmtime(&t));
    test_canonical();
    test_parse();
    test_verify();
    test_urls();
    test_config();
    test_endpoint();
    return tap_done();
}
