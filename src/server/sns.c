/* sns.c — SNS messages: parsing, the canonical string, signatures and URL
 * patterns (sns.h). */
#include "server/sns.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util/base64.h"
#include "util/crypto-load.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define SIG_MAX 1024               /* decoded bytes: RSA 8192 */
#define RSA_MIN_BITS 2048

static const char *const type_names[] = { "Notification", "SubscriptionConfirmation",
                                          "UnsubscribeConfirmation" };

const char *rip_sns_type_name(rip_sns_type t)
{
    return (unsigned)t < 3 ? type_names[t] : "?";
}

const char *const rip_sns_default_url_patterns[] = {
    "https://sns.*.amazonaws.com/*",
    "https://sns.*.amazonaws.com.cn/*",
    NULL,
};

void rip_sns_message_init(rip_sns_message *m)
{
    memset(m, 0, sizeof(*m));
    rip_arena_init(&m->arena_, 0);
}

void rip_sns_message_release(rip_sns_message *m)
{
    if (!m)
        return;
    rip_arena_release(&m->arena_);
    rip_sns_message_init(m);
}

/* ---- parsing ---- */

enum {
    F_MESSAGE_TEXT = 1 << 0,   /* may hold control characters (Message, Subject) */
    F_NULLABLE = 1 << 1,       /* null means absent (Subject) */
    F_URL = 1 << 2,            /* at most RIP_SNS_URL_MAX */
};

typedef struct field {
    const char *key;
    size_t off;                /* of its rip_slice in rip_sns_message */
    unsigned flags;
} field;

#define FIELD(k, member, fl) { k, offsetof(rip_sns_message, member), fl }
static const field fields[] = {
    FIELD("Type", type_text, 0),
    FIELD("MessageId", message_id, 0),
    FIELD("TopicArn", topic_arn, 0),
    FIELD("Message", message, F_MESSAGE_TEXT),
    FIELD("Subject", subject, F_MESSAGE_TEXT | F_NULLABLE),
    FIELD("Timestamp", timestamp, 0),
    FIELD("Token", token, 0),
    FIELD("SubscribeURL", subscribe_url, F_URL),
    FIELD("UnsubscribeURL", unsubscribe_url, F_URL),
    FIELD("SignatureVersion", signature_version_text, 0),
    FIELD("Signature", signature, 0),
    FIELD("SigningCertURL", signing_cert_url, F_URL),
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static rip_slice *slot(rip_sns_message *m, const field *f)
{
    return (rip_slice *)(void *)((char *)m + f->off);
}

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return RIP_EFORMAT;
}

static bool has_control(rip_slice s)
{
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c == 0x7f)
            return true;
    }
    return false;
}

/* Reads one member's value into its slot. 0 or RIP_EFORMAT / RIP_ENOMEM. */
static int take(rip_sns_message *m, rip_json_doc *d, const field *f, const rip_json_node *v,
                char *why, size_t whylen)
{
    rip_slice *out = slot(m, f);
    if ((f->flags & F_NULLABLE) && rip_json_is(v, RIP_JSON_NULL))
        return 0;
    if (!rip_json_is(v, RIP_JSON_STRING))
        return fail(why, whylen, "'%s' is not a string", f->key);
    rip_slice s = rip_json_str(d, v);
    if (!s.ptr)
        return RIP_ENOMEM;
    if (!(f->flags & F_MESSAGE_TEXT)) {
        size_t max = f->flags & F_URL ? RIP_SNS_URL_MAX : RIP_SNS_FIELD_MAX;
        if (s.len > max)
            return fail(why, whylen, "'%s' is longer than %zu bytes", f->key, max);
        if (has_control(s))
            return fail(why, whylen, "'%s' holds a control character", f->key);
    }
    char *copy = rip_arena_strndup(&m->arena_, s.ptr, s.len);
    if (!copy)
        return RIP_ENOMEM;
    *out = rip_slice_make(copy, s.len);
    return 0;
}

static int parse_fields(rip_sns_message *m, rip_json_doc *d, const rip_json_node *root,
                        char *why, size_t whylen)
{
    bool seen[NFIELDS] = { false };
    RIP_JSON_EACH(k, root) {
        for (size_t i = 0; i < NFIELDS; i++) {
            if (!rip_json_str_eq(k, fields[i].key))
                continue;
            if (seen[i])
                return fail(why, whylen, "'%s' is given twice", fields[i].key);
            seen[i] = true;
            int rc = take(m, d, &fields[i], k + 1, why, whylen);
            if (rc)
                return rc;
            break;
        }
    }
    return 0;
}

static int check_message(rip_sns_message *m, const char *header_type, char *why, size_t whylen)
{
    if (!m->type_text.ptr)
        return fail(why, whylen, "'Type' is missing");
    int type = -1;
    for (int i = 0; i < 3; i++)
        if (!strcmp(m->type_text.ptr, type_names[i]))
            type = i;
    if (type < 0)
        return fail(why, whylen, "'Type' is not Notification, SubscriptionConfirmation or "
                    "UnsubscribeConfirmation");
    m->type = (rip_sns_type)type;
    if (header_type && strcmp(header_type, m->type_text.ptr))
        return fail(why, whylen, "the x-amz-sns-message-type header does not name the "
                    "body's 'Type' (%s)", type_names[type]);
    static const char *const always[] = { "MessageId", "TopicArn", "Message", "Timestamp",
                                          "SignatureVersion", "Signature", "SigningCertURL",
                                          NULL };
    static const char *const confirm[] = { "Token", "SubscribeURL", NULL };
    for (int pass = 0; pass < 2; pass++) {
        const char *const *need = pass ? confirm : always;
        if (pass && m->type == RIP_SNS_NOTIFICATION)
            break;
        for (; *need; need++)
            for (size_t i = 0; i < NFIELDS; i++) {
                if (strcmp(fields[i].key, *need))
                    continue;
                const rip_slice *s = slot(m, &fields[i]);
                if (!s->ptr)
                    return fail(why, whylen, "'%s' is missing (a %s needs it)", *need,
                                type_names[type]);
                if (!s->len && strcmp(*need, "Message"))
                    return fail(why, whylen, "'%s' is empty", *need);
            }
    }
    m->has_subject = m->subject.ptr != NULL;
    int64_t ns;
    if (rip_time_parse(m->timestamp.ptr, m->timestamp.len, &ns))
        return fail(why, whylen, "'Timestamp' is not a date-time (such as "
                    "2024-05-01T12:00:00.000Z)");
    m->timestamp_ns = ns;
    m->signature_version = !strcmp(m->signature_version_text.ptr, "1")   ? 1
                           : !strcmp(m->signature_version_text.ptr, "2") ? 2
                                                                         : 0;
    return 0;
}

int rip_sns_parse(rip_sns_message *m, const char *body, size_t len, const char *header_type,
                  char *why, size_t whylen)
{
    static const rip_json_limits lim = { .max_size = (size_t)64 << 20,
                                         .max_depth = RIP_SNS_MAX_DEPTH,
                                         .max_members = 4096,
                                         .max_nodes = RIP_SNS_MAX_NODES };
    char tmp[8];
    if (!why || !whylen) {
        why = tmp;
        whylen = sizeof(tmp);
    }
    rip_sns_message_release(m);
    why[0] = '\0';
    rip_json_doc d;
    rip_json_error je;
    rip_json_doc_init(&d, &lim);
    int rc = rip_json_parse(&d, body ? body : "", body ? len : 0, &je);
    if (rc) {
        if (rc != RIP_ENOMEM) {
            snprintf(why, whylen, "not JSON: %s at line %u column %u", je.msg, je.line,
                     je.column);
            rc = RIP_ESYNTAX;
        }
        goto out;
    }
    const rip_json_node *root = rip_json_root(&d);
    if (!rip_json_is(root, RIP_JSON_OBJECT)) {
        snprintf(why, whylen, "not a JSON object");
        rc = RIP_ESYNTAX;
        goto out;
    }
    rc = parse_fields(m, &d, root, why, whylen);
    if (!rc)
        rc = check_message(m, header_type, why, whylen);
out:
    if (rc == RIP_ENOMEM)
        snprintf(why, whylen, "out of memory");
    rip_json_doc_release(&d);
    if (rc)
        rip_sns_message_release(m);
    return rc;
}

/* ---- the canonical string ---- */

int rip_sns_canonical(const rip_sns_message *m, rip_buf *out)
{
    typedef struct line {
        const char *key;
        const rip_slice *v;
    } line;
    line notif[] = { { "Message", &m->message },     { "MessageId", &m->message_id },
                     { "Subject", &m->subject },     { "Timestamp", &m->timestamp },
                     { "TopicArn", &m->topic_arn },  { "Type", &m->type_text } };
    line conf[] = { { "Message", &m->message },        { "MessageId", &m->message_id },
                    { "SubscribeURL", &m->subscribe_url }, { "Timestamp", &m->timestamp },
                    { "Token", &m->token },            { "TopicArn", &m->topic_arn },
                    { "Type", &m->type_text } };
    bool n = m->type == RIP_SNS_NOTIFICATION;
    const line *v = n ? notif : conf;
    size_t count = n ? sizeof(notif) / sizeof(notif[0]) : sizeof(conf) / sizeof(conf[0]);
    size_t start = out->len;
    for (size_t i = 0; i < count; i++) {
        if (v[i].v == &m->subject && !m->has_subject)
            continue;
        int rc = rip_buf_adds(out, v[i].key);
        if (!rc)
            rc = rip_buf_addc(out, '\n');
        if (!rc)
            rc = rip_buf_add(out, v[i].v->ptr ? v[i].v->ptr : "", v[i].v->len);
        if (!rc)
            rc = rip_buf_addc(out, '\n');
        if (rc) {
            out->len = start;
            out->ptr[start] = '\0';
            return rc;
        }
    }
    return 0;
}

/* ---- certificates and signatures ---- */

/* No passphrase: a certificate is never encrypted, and nothing may prompt. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return 0;
}

/* The certificate's RSA key when pem passes rip_sns_cert_check(), else NULL
 * with why. The caller frees the key. */
static EVP_PKEY *cert_key(const rip_crypto_api *c, const char *pem, size_t pem_len,
                          int64_t now_s, char *why, size_t whylen)
{
    EVP_PKEY *pk = NULL;
    X509 *x = NULL;
    BIO *b = NULL;
    if (!pem || !pem_len || pem_len > INT_MAX) {
        snprintf(why, whylen, "no certificate");
        return NULL;
    }
    if (!(b = c->bio_new_mem_buf(pem, (int)pem_len)) ||
        !(x = c->pem_read_bio_x509(b, NULL, no_password, NULL))) {
        snprintf(why, whylen, "the certificate is not a PEM X.509 certificate");
        goto out;
    }
    time_t t = (time_t)now_s;
    int nb = c->x509_cmp_time(c->x509_get0_notbefore(x), &t);
    int na = c->x509_cmp_time(c->x509_get0_notafter(x), &t);
    if (nb == 0 || na == 0) {
        snprintf(why, whylen, "the certificate's validity dates cannot be read");
        goto out;
    }
    if (nb > 0 || na < 0) {
        snprintf(why, whylen, "the certificate is %s", nb > 0 ? "not valid yet" : "expired");
        goto out;
    }
    pk = c->x509_get_pubkey(x);
    if (!pk || c->evp_pkey_get_base_id(pk) != EVP_PKEY_RSA) {
        snprintf(why, whylen, "the certificate's key is not an RSA key");
        c->evp_pkey_free(pk);
        pk = NULL;
        goto out;
    }
    if (c->evp_pkey_get_bits(pk) < RSA_MIN_BITS) {
        snprintf(why, whylen, "the certificate's RSA key is shorter than %d bits",
                 RSA_MIN_BITS);
        c->evp_pkey_free(pk);
        pk = NULL;
    }
out:
    c->x509_free(x);
    c->bio_free(b);
    return pk;
}

int rip_sns_cert_check(const char *pem, size_t pem_len, int64_t now_s, char *why,
                       size_t whylen)
{
    char tmp[8];
    if (!why || !whylen) {
        why = tmp;
        whylen = sizeof(tmp);
    }
    const rip_crypto_api *c = rip_crypto();
    if (!c) {
        snprintf(why, whylen, "%s", rip_crypto_load_error());
        return RIP_ENOENT;
    }
    EVP_PKEY *pk = cert_key(c, pem, pem_len, now_s, why, whylen);
    if (!pk)
        return RIP_EINVAL;
    c->evp_pkey_free(pk);
    return 0;
}

int rip_sns_verify(const rip_sns_message *m, const char *pem, size_t pem_len, int64_t now_s,
                   char *why, size_t whylen)
{
    char tmp[8];
    if (!why || !whylen) {
        why = tmp;
        whylen = sizeof(tmp);
    }
    why[0] = '\0';
    if (m->signature_version != 1 && m->signature_version != 2) {
        snprintf(why, whylen, "unknown SignatureVersion (expected 1 or 2)");
        return RIP_EINVAL;
    }
    const rip_crypto_api *c = rip_crypto();
    if (!c) {
        snprintf(why, whylen, "%s", rip_crypto_load_error());
        return RIP_ENOENT;
    }
    const EVP_MD *md = m->signature_version == 1 ? c->evp_sha1() : c->evp_sha256();
    rip_buf sig, canon;
    rip_buf_init(&sig, SIG_MAX);
    rip_buf_init(&canon, 0);
    EVP_MD_CTX *ctx = NULL;
    EVP_PKEY *pk = NULL;
    int rc = RIP_EINVAL;
    if (!m->signature.ptr ||
        rip_base64_decode(m->signature.ptr, m->signature.len, &sig) || !sig.len) {
        snprintf(why, whylen, "the signature is not base64 of at most %d bytes", SIG_MAX);
        goto out;
    }
    if (!(pk = cert_key(c, pem, pem_len, now_s, why, whylen)))
        goto out;
    int crc = rip_sns_canonical(m, &canon);
    if (crc) {
        rc = crc == RIP_ENOMEM ? RIP_ENOMEM : RIP_EINVAL;
        snprintf(why, whylen, "%s", rip_strerror(crc));
        goto out;
    }
    if (!(ctx = c->evp_md_ctx_new())) {
        rc = RIP_ENOMEM;
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    if (c->evp_digestverifyinit(ctx, NULL, md, NULL, pk) != 1 ||
        c->evp_digestverify(ctx, (const unsigned char *)sig.ptr, sig.len,
                         (const unsigned char *)canon.ptr, canon.len) != 1) {
        snprintf(why, whylen, "the signature does not match the message");
        goto out;
    }
    rc = 0;
out:
    c->evp_md_ctx_free(ctx);
    c->evp_pkey_free(pk);
    rip_buf_release(&sig);
    rip_buf_release(&canon);
    return rc;
}

/* ---- URL patterns ---- */

static bool is_host_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '.';
}

static bool is_rest_char(char c)
{
    return c > 0x20 && c < 0x7f && c != '\\';
}

/* The length of "scheme://" at the start of s (http or https, any case), or 0. */
static size_t scheme_len(const char *s, size_t len)
{
    if (len >= 8 && !strncasecmp(s, "https://", 8))
        return 8;
    if (len >= 7 && !strncasecmp(s, "http://", 7))
        return 7;
    return 0;
}

/* Splits a URL (pattern false) or a pattern (true) at the '/' that ends
 * its authority: *auth is the length of "scheme://host[:port]". false when
 * its shape is wrong. */
static bool split(const char *s, size_t len, bool pattern, size_t *auth)
{
    size_t i = scheme_len(s, len);
    if (!i || len > (pattern ? RIP_SNS_PATTERN_MAX : RIP_SNS_URL_MAX))
        return false;
    size_t host = i, label = 0;
    for (; i < len && s[i] != '/' && s[i] != ':'; i++) {
        char c = s[i];
        if (c == '.') {
            if (!label && !pattern)
                return false;            /* an empty label */
            label = 0;
        } else if (is_host_char(c) || (pattern && (c == '*' || c == '?'))) {
            label++;
        } else {
            return false;
        }
    }
    if (i == host || (!label && !pattern))
        return false;                    /* no host, or it ends with '.' */
    if (i < len && s[i] == ':') {
        size_t digits = 0;
        for (i++; i < len && s[i] != '/'; i++, digits++)
            if (!isdigit((unsigned char)s[i]) && !(pattern && (s[i] == '*' || s[i] == '?')))
                return false;
        if (!digits || digits > 5)
            return false;
    }
    if (i >= len || s[i] != '/')
        return false;
    *auth = i;
    for (; i < len; i++)
        if (!is_rest_char(s[i]))
            return false;
    return true;
}

/* Does pattern p (pn bytes) match s (sn)? '*' matches a run of characters
 * none of which is in stops, '?' one such character. O(pn * sn), no
 * recursion: a row of the match table per character of s. */
static bool glob(const char *p, size_t pn, const char *s, size_t sn, const char *stops,
                 bool icase)
{
    bool a[RIP_SNS_PATTERN_MAX + 1], b[RIP_SNS_PATTERN_MAX + 1];
    bool *prev = a, *cur = b;
    if (pn > RIP_SNS_PATTERN_MAX)
        return false;
    prev[0] = true;
    for (size_t j = 1; j <= pn; j++)
        prev[j] = prev[j - 1] && p[j - 1] == '*';
    for (size_t i = 0; i < sn; i++) {
        char c = s[i];
        bool stop = c == '\0' || (stops && strchr(stops, c));
        bool any = false;
        cur[0] = false;
        for (size_t j = 1; j <= pn; j++) {
            char pc = p[j - 1];
            if (pc == '*')
                cur[j] = cur[j - 1] || (prev[j] && !stop);
            else if (pc == '?')
                cur[j] = prev[j - 1] && !stop;
            else
                cur[j] = prev[j - 1] &&
                         (icase ? tolower((unsigned char)pc) == tolower((unsigned char)c)
                                : pc == c);
            any |= cur[j];
        }
        if (!any)
            return false;
        bool *t = prev;
        prev = cur;
        cur = t;
    }
    return prev[pn];
}

bool rip_sns_url_allowed(const char *url, size_t len, const char *const *patterns, size_t n)
{
    size_t ua;
    if (!url || !split(url, len, false, &ua))
        return false;
    for (size_t i = 0; i < n; i++) {
        const char *p = patterns[i];
        size_t pl = p ? strlen(p) : 0, pa;
        if (!p || !split(p, pl, true, &pa))
            continue;
        if (glob(p, pa, url, ua, "./:", true) && glob(p + pa, pl - pa, url + ua, len - ua, NULL,
                                                      false))
            return true;
    }
    return false;
}

int rip_sns_pattern_check(const char *pattern, char *why, size_t whylen)
{
    size_t len = pattern ? strlen(pattern) : 0, auth;
    if (!scheme_len(pattern ? pattern : "", len)) {
        snprintf(why, whylen, "expected a URL pattern starting with https:// (or http://)");
        return RIP_EINVAL;
    }
    if (len > RIP_SNS_PATTERN_MAX) {
        snprintf(why, whylen, "longer than %d characters", RIP_SNS_PATTERN_MAX);
        return RIP_EINVAL;
    }
    if (!split(pattern, len, true, &auth)) {
        snprintf(why, whylen, "expected SCHEME://HOST[:PORT]/PATH: a host of letters, digits, "
                 "'-', '.', '*', '?', then '/' and printable characters");
        return RIP_EINVAL;
    }
    return 0;
}

char *rip_sns_url_for_log(const char *url, char *out, size_t cap)
{
    size_t n = 0;
    if (!cap)
        return out;
    for (const char *p = url ? url : ""; *p && *p != '?' && *p != '#' && n + 1 < cap; p++)
        out[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
    out[n] = '\0';
    return out;
}
