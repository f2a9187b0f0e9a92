/* aws-sigv4.c — AWS Signature Version 4. See aws-sigv4.h.
 *
 * Steps (AWS General Reference, "Create a signed AWS API request"):
 * canonical request -> string to sign -> signing key (HMAC chain over date,
 * region, service, "aws4_request") -> signature. SigV4A replaces the last
 * two steps with an ECDSA P-256 key derived from the credentials. */
#include "cloud/aws-sigv4.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/obj_mac.h>

#include "util/crypto-load.h"
#include "util/digest.h"
#include "util/err.h"

void rip_aws_sig_out_init(rip_aws_sig_out *o)
{
    memset(o, 0, sizeof(*o));
    rip_buf_init(&o->canonical_request, 1 << 20);
    rip_buf_init(&o->string_to_sign, 4096);
    rip_buf_init(&o->authorization, 8192);
    rip_buf_init(&o->query, 1 << 20);
}

void rip_aws_sig_out_release(rip_aws_sig_out *o)
{
    if (!o)
        return;
    rip_buf_release(&o->canonical_request);
    rip_buf_release(&o->string_to_sign);
    rip_buf_release(&o->authorization);
    rip_buf_release(&o->query);
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

void rip_aws_sha256_hex(const void *data, size_t len, char hex[65])
{
    rip_sha256_hex(data, len, hex);
}

void rip_aws_amz_date(time_t t, char buf[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static bool unreserved(unsigned char c)
{
    return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int rip_aws_uri_encode(rip_buf *out, const char *s, size_t len, bool keep_slash)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t start = out->len;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        int rc;
        if (unreserved(c) || (keep_slash && c == '/')) {
            rc = rip_buf_addc(out, (char)c);
        } else {
            char esc[3] = { '%', digits[c >> 4], digits[c & 15] };
            rc = rip_buf_add(out, esc, 3);
        }
        if (rc < 0) {
            out->len = start;
            out->ptr[start] = '\0';
            return rc;
        }
    }
    return 0;
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

/* Percent-decodes s[0..len) and appends to out. '+' is kept as is. */
static int uri_decode(rip_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return RIP_EINVAL;
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return RIP_EINVAL;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        int rc = rip_buf_addc(out, c);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- canonical path ---- */

static int canonical_path(rip_buf *out, const char *path, unsigned flags)
{
    if (!path || !*path)
        path = "/";
    size_t plen = strlen(path);
    rip_buf norm = RIP_BUF_INIT;
    int rc = 0;
    const char *p = path;
    size_t n = plen;

    if (flags & RIP_AWS_SIG_NORMALIZE_PATH) {
        /* Segment stack as offsets into norm. */
        size_t *stack = calloc(plen + 1, sizeof(size_t));
        size_t depth = 0;
        if (!stack)
            return RIP_ENOMEM;
        rc = rip_buf_grow(&norm, plen + 2);
        for (size_t i = 0; rc == 0 && i < plen;) {
            while (i < plen && path[i] == '/')
                i++;
            size_t j = i;
            while (j < plen && path[j] != '/')
                j++;
            size_t seglen = j - i;
            if (seglen == 0 || (seglen == 1 && path[i] == '.')) {
                /* skip */
            } else if (seglen == 2 && path[i] == '.' && path[i + 1] == '.') {
                if (depth > 0) {
                    depth--;
                    norm.len = stack[depth];
                    norm.ptr[norm.len] = '\0';
                }
            } else {
                stack[depth++] = norm.len;
                rc = rip_buf_addc(&norm, '/');
                if (rc == 0)
                    rc = rip_buf_add(&norm, path + i, seglen);
            }
            i = j;
        }
        free(stack);
        if (rc == 0 && (norm.len == 0 || (path[plen - 1] == '/')))
            rc = rip_buf_addc(&norm, '/');
        if (rc < 0)
            goto out;
        p = norm.ptr;
        n = norm.len;
    }
    if (flags & RIP_AWS_SIG_ENCODE_PATH)
        rc = rip_aws_uri_encode(out, p, n, true);
    else
        rc = rip_buf_add(out, p, n);
out:
    rip_buf_release(&norm);
    return rc;
}

/* ---- canonical query ---- */

typedef struct qparam {
    char *key;     /* encoded, malloc'ed */
    char *value;   /* encoded, malloc'ed */
} qparam;

static int qparam_cmp(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

typedef struct qlist {
    qparam *v;
    size_t n;
} qlist;

static void qlist_release(qlist *q)
{
    for (size_t i = 0; i < q->n; i++) {
        free(q->v[i].key);
        free(q->v[i].value);
    }
    free(q->v);
    q->v = NULL;
    q->n = 0;
}

/* Adds an already-decoded key and value, encoding both. */
static int qlist_add(qlist *q, const char *k, size_t klen, const char *v, size_t vlen)
{
    if (q->n >= RIP_AWS_SIG_MAX_PARAMS)
        return RIP_ELIMIT;
    if (!q->v) {
        q->v = calloc(RIP_AWS_SIG_MAX_PARAMS, sizeof(qparam));
        if (!q->v)
            return RIP_ENOMEM;
    }
    rip_buf kb = RIP_BUF_INIT, vb = RIP_BUF_INIT;
    int rc = rip_aws_uri_encode(&kb, k, klen, false);
    if (rc == 0)
        rc = rip_aws_uri_encode(&vb, v, vlen, false);
    if (rc == 0) {
        q->v[q->n].key = rip_buf_take(&kb, NULL);
        q->v[q->n].value = rip_buf_take(&vb, NULL);
        if (!q->v[q->n].key || !q->v[q->n].value) {
            free(q->v[q->n].key);
            free(q->v[q->n].value);
            rc = RIP_ENOMEM;
        } else {
            q->n++;
        }
    }
    rip_buf_release(&kb);
    rip_buf_release(&vb);
    return rc;
}

static int qlist_parse(qlist *q, const char *query)
{
    if (!query)
        return 0;
    rip_buf kb = RIP_BUF_INIT, vb = RIP_BUF_INIT;
    int rc = 0;
    const char *p = query;
    while (*p && rc == 0) {
        const char *amp = strchr(p, '&');
        size_t len = amp ? (size_t)(amp - p) : strlen(p);
        if (len > 0) {
            const char *eq = memchr(p, '=', len);
            size_t klen = eq ? (size_t)(eq - p) : len;
            rip_buf_reset(&kb);
            rip_buf_reset(&vb);
            rc = uri_decode(&kb, p, klen);
            if (rc == 0 && eq)
                rc = uri_decode(&vb, eq + 1, len - klen - 1);
            if (rc == 0)
                rc = qlist_add(q, kb.ptr, kb.len, vb.ptr, vb.len);
        }
        p += len;
        if (*p == '&')
            p++;
    }
    rip_buf_release(&kb);
    rip_buf_release(&vb);
    return rc;
}

static int qlist_write(const qlist *q, rip_buf *out)
{
    for (size_t i = 0; i < q->n; i++) {
        int rc = rip_buf_addf(out, "%s%s=%s", i ? "&" : "", q->v[i].key, q->v[i].value);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* ---- canonical headers ---- */

typedef struct cheader {
    char name[128];     /* lowercase */
    rip_buf value;      /* trimmed, spaces folded, duplicates joined */
} cheader;

static int cheader_cmp(const void *a, const void *b)
{
    return strcmp(((const cheader *)a)->name, ((const cheader *)b)->name);
}

static bool skip_header(const char *lname)
{
    static const char *const skipped[] = {
        "authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256",
        "user-agent", "x-amzn-trace-id", "expect", "connection", "keep-alive",
        "transfer-encoding", "te", "upgrade", "proxy-authorization", "proxy-connection",
    };
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        if (!strcmp(lname, skipped[i]))
            return true;
    return false;
}

/* Appends v trimmed, with runs of blanks folded into one space. */
static int add_folded(rip_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    bool pending = false;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
            pending = true;
            continue;
        }
        if (pending && rip_buf_addc(out, ' ') < 0)
            return RIP_ENOMEM;
        pending = false;
        if (rip_buf_addc(out, *v) < 0)
            return RIP_ENOMEM;
    }
    return 0;
}

typedef struct hlist {
    cheader v[RIP_AWS_SIG_MAX_HEADERS + 4];
    size_t n;
} hlist;

static int hlist_add(hlist *h, const char *name, const char *value)
{
    char lname[128];
    size_t nl = strlen(name);
    if (nl == 0 || nl >= sizeof(lname))
        return RIP_EINVAL;
    for (size_t i = 0; i <= nl; i++)
        lname[i] = (char)tolower((unsigned char)name[i]);
    for (size_t i = 0; i < h->n; i++) {
        if (!strcmp(h->v[i].name, lname)) {
            if (rip_buf_addc(&h->v[i].value, ',') < 0)
                return RIP_ENOMEM;
            return add_folded(&h->v[i].value, value);
        }
    }
    if (h->n >= sizeof(h->v) / sizeof(h->v[0]))
        return RIP_ELIMIT;
    cheader *c = &h->v[h->n++];
    memcpy(c->name, lname, nl + 1);
    rip_buf_init(&c->value, 64 * 1024);
    return add_folded(&c->value, value);
}

static void hlist_release(hlist *h)
{
    for (size_t i = 0; i < h->n; i++)
        rip_buf_release(&h->v[i].value);
    h->n = 0;
}

/* ---- HMAC chain ---- */

static int hmac(const void *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
    rip_hmac_sha256(key, klen, msg, mlen, out);
    return 0;
}

static int signing_key(const char *secret, const char *date8, const char *region,
                       const char *service, unsigned char key[32])
{
    char k0[256];
    int n = snprintf(k0, sizeof(k0), "AWS4%s", secret);
    int rc = RIP_EINVAL;
    unsigned char a[32], b[32];
    if (n < 0 || (size_t)n >= sizeof(k0))
        goto out;
    if ((rc = hmac(k0, (size_t)n, date8, 8, a)) < 0 ||
        (rc = hmac(a, 32, region, strlen(region), b)) < 0 ||
        (rc = hmac(b, 32, service, strlen(service), a)) < 0 ||
        (rc = hmac(a, 32, "aws4_request", 12, key)) < 0)
        goto out;
    rc = 0;
out:
    rip_wipe(k0, sizeof(k0));
    rip_wipe(a, sizeof(a));
    rip_wipe(b, sizeof(b));
    return rc;
}

/* ---- SigV4A: key derivation and ECDSA ---- */

#define V4A_ALGORITHM "AWS4-ECDSA-P256-SHA256"

/* n - 2 for P-256, big-endian: the KDF output c is accepted when c <= n-2,
 * and the private key is c + 1 (so 1 <= d <= n-1). */
static const unsigned char p256_n_minus_2[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x4f,
};

/* The private scalar d (32 bytes, big-endian). 0 or RIP_EINVAL. */
static int v4a_private_key(const char *akid, const char *secret, unsigned char d[32])
{
    char k[256];
    unsigned char fixed[512], c[32];
    int n = snprintf(k, sizeof(k), "AWS4A%s", secret);
    size_t alen = strlen(akid);
    size_t label = sizeof(V4A_ALGORITHM) - 1;
    int rc = RIP_EINVAL;
    if (n < 0 || (size_t)n >= sizeof(k) || 4 + label + 1 + alen + 1 + 4 > sizeof(fixed))
        goto out;
    /* i = 1 (32-bit) || Label || 0x00 || Context (access key id || counter) || L = 256 */
    for (unsigned counter = 1; counter < 255; counter++) {
        size_t f = 0;
        memcpy(fixed + f, "\x00\x00\x00\x01", 4);
        f += 4;
        memcpy(fixed + f, V4A_ALGORITHM, label);
        f += label;
        fixed[f++] = 0;
        memcpy(fixed + f, akid, alen);
        f += alen;
        fixed[f++] = (unsigned char)counter;
        memcpy(fixed + f, "\x00\x00\x01\x00", 4);
        f += 4;
        if (hmac(k, (size_t)n, (const char *)fixed, f, c) < 0)
            goto out;
        if (memcmp(c, p256_n_minus_2, 32) > 0)
            continue;
        /* d = c + 1 */
        unsigned carry = 1;
        for (int i = 31; i >= 0; i--) {
            unsigned v = c[i] + carry;
            d[i] = (unsigned char)v;
            carry = v >> 8;
        }
        rc = 0;
        break;
    }
out:
    rip_wipe(k, sizeof(k));
    rip_wipe(c, sizeof(c));
    return rc;
}

/* The uncompressed public point 04||X||Y of d into pub[65]. RIP_ENOENT
 * when libcrypto cannot be loaded (rip_crypto_load_error() says why). */
static int v4a_public_point(const unsigned char d[32], unsigned char pub[65])
{
    const rip_crypto_api *c = rip_crypto();
    if (!c)
        return RIP_ENOENT;
    EC_GROUP *g = c->ec_group_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *q = g ? c->ec_point_new(g) : NULL;
    BIGNUM *bd = c->bn_bin2bn(d, 32, NULL);
    int rc = RIP_ENOMEM;
    if (q && bd && c->ec_point_mul(g, q, bd, NULL, NULL, NULL) &&
        c->ec_point_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pub, 65, NULL) == 65)
        rc = 0;
    c->bn_clear_free(bd);
    c->ec_point_free(q);
    c->ec_group_free(g);
    return rc;
}

/* An EVP_PKEY for P-256 from the public point and, when given, d. */
static EVP_PKEY *v4a_pkey(const rip_crypto_api *c, const unsigned char pub[65],
                          const unsigned char *d)
{
    OSSL_PARAM_BLD *b = c->ossl_param_bld_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *pc = NULL;
    EVP_PKEY *k = NULL;
    BIGNUM *bd = d ? c->bn_secure_new() : NULL;
    if (!b || (d && (!bd || !c->bn_bin2bn(d, 32, bd))))
        goto out;
    if (!c->ossl_param_bld_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !c->ossl_param_bld_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, 65) ||
        (d && !c->ossl_param_bld_push_bn(b, OSSL_PKEY_PARAM_PRIV_KEY, bd)))
        goto out;
    params = c->ossl_param_bld_to_param(b);
    pc = c->evp_pkey_ctx_new_from_name(NULL, "EC", NULL);
    if (!params || !pc || c->evp_pkey_fromdata_init(pc) <= 0 ||
        c->evp_pkey_fromdata(pc, &k, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        k = NULL;
out:
    c->evp_pkey_ctx_free(pc);
    c->ossl_param_free(params);
    c->ossl_param_bld_free(b);
    c->bn_clear_free(bd);
    return k;
}

int rip_aws_sigv4a_public_key(const char *access_key_id, const char *secret_access_key,
                              char x_hex[65], char y_hex[65])
{
    unsigned char d[32], pub[65];
    if (!access_key_id || !secret_access_key)
        return RIP_EINVAL;
    int rc = v4a_private_key(access_key_id, secret_access_key, d);
    if (rc == 0)
        rc = v4a_public_point(d, pub);
    rip_wipe(d, sizeof(d));
    if (rc == 0) {
        if (x_hex)
            hex_encode(pub + 1, 32, x_hex);
        if (y_hex)
            hex_encode(pub + 33, 32, y_hex);
    }
    return rc;
}

/* Signs SHA-256(msg) with the derived key; hex DER into sig_hex. */
static int v4a_sign(const char *akid, const char *secret, const char *msg, size_t len,
                    char *sig_hex, size_t cap)
{
    unsigned char d[32], pub[65], der[80];
    size_t dlen = sizeof(der);
    EVP_PKEY *k = NULL;
    EVP_MD_CTX *md = NULL;
    const rip_crypto_api *c = NULL;
    int rc = v4a_private_key(akid, secret, d);
    if (rc == 0)
        rc = v4a_public_point(d, pub);  /* loads libcrypto */
    if (rc < 0)
        goto out;
    c = rip_crypto();
    rc = RIP_ENOMEM;
    k = v4a_pkey(c, pub, d);
    md = c->evp_md_ctx_new();
    if (!k || !md || c->evp_digestsigninit(md, NULL, c->evp_sha256(), NULL, k) <= 0 ||
        c->evp_digestsign(md, der, &dlen, (const unsigned char *)msg, len) <= 0 ||
        2 * dlen + 1 > cap)
        goto out;
    hex_encode(der, dlen, sig_hex);
    rc = 0;
out:
    rip_wipe(d, sizeof(d));
    if (c) {
        c->evp_md_ctx_free(md);
        c->evp_pkey_free(k);
    }
    return rc;
}

int rip_aws_sigv4a_verify(const char *x_hex, const char *y_hex, const char *string_to_sign,
                          size_t sts_len, const char *sig_hex)
{
    unsigned char pub[65], der[80];
    size_t slen = sig_hex ? strlen(sig_hex) : 0;
    if (!x_hex || !y_hex || strlen(x_hex) != 64 || strlen(y_hex) != 64 || slen % 2 ||
        slen / 2 > sizeof(der))
        return RIP_EINVAL;
    pub[0] = 4;
    for (size_t i = 0; i < 32; i++) {
        int a = hexval(x_hex[2 * i]), b = hexval(x_hex[2 * i + 1]);
        int c = hexval(y_hex[2 * i]), e = hexval(y_hex[2 * i + 1]);
        if (a < 0 || b < 0 || c < 0 || e < 0)
            return RIP_EINVAL;
        pub[1 + i] = (unsigned char)(a << 4 | b);
        pub[33 + i] = (unsigned char)(c << 4 | e);
    }
    for (size_t i = 0; i < slen / 2; i++) {
        int a = hexval(sig_hex[2 * i]), b = hexval(sig_hex[2 * i + 1]);
        if (a < 0 || b < 0)
            return RIP_EINVAL;
        der[i] = (unsigned char)(a << 4 | b);
    }
    const rip_crypto_api *c = rip_crypto();
    if (!c)
        return RIP_ENOENT;
    EVP_PKEY *k = v4a_pkey(c, pub, NULL);
    EVP_MD_CTX *md = c->evp_md_ctx_new();
    int rc = RIP_EINVAL;
    if (k && md && c->evp_digestverifyinit(md, NULL, c->evp_sha256(), NULL, k) > 0 &&
        c->evp_digestverify(md, der, slen / 2, (const unsigned char *)string_to_sign,
                            sts_len) == 1)
        rc = 0;
    c->evp_md_ctx_free(md);
    c->evp_pkey_free(k);
    return rc;
}

int rip_aws_sigv4_sign(const rip_aws_sig_request *req, const rip_aws_sig_creds *creds,
                       const rip_aws_sig_params *params, rip_aws_sig_out *out)
{
    hlist *h = NULL;
    qlist q = { 0 };
    rip_buf signed_names = RIP_BUF_INIT, scope = RIP_BUF_INIT, tmp = RIP_BUF_INIT;
    unsigned char key[32], sig[32];
    int rc;
    unsigned flags = params->flags;
    bool query_mode = flags & RIP_AWS_SIG_QUERY;
    bool v4a = flags & RIP_AWS_SIG_V4A;
    const char *algorithm = v4a ? V4A_ALGORITHM : "AWS4-HMAC-SHA256";
    const char *token = creds->session_token && *creds->session_token ? creds->session_token : NULL;

    rip_buf_reset(&out->canonical_request);
    rip_buf_reset(&out->string_to_sign);
    rip_buf_reset(&out->authorization);
    rip_buf_reset(&out->query);
    out->signature[0] = '\0';

    if (!req->method || !params->region || !params->service || !creds->access_key_id ||
        !creds->secret_access_key || !*creds->access_key_id)
        return RIP_EINVAL;
    if (req->nheaders > RIP_AWS_SIG_MAX_HEADERS)
        return RIP_ELIMIT;
    h = calloc(1, sizeof(*h));
    if (!h)
        return RIP_ENOMEM;

    rip_aws_amz_date(params->when, out->amz_date);
    if (req->payload_hash)
        snprintf(out->payload_hash, sizeof(out->payload_hash), "%s", req->payload_hash);
    else
        rip_aws_sha256_hex(req->body, req->body_len, out->payload_hash);

    if (v4a)
        rc = rip_buf_addf(&scope, "%.8s/%s/aws4_request", out->amz_date, params->service);
    else
        rc = rip_buf_addf(&scope, "%.8s/%s/%s/aws4_request", out->amz_date, params->region,
                          params->service);
    if (rc < 0)
        goto fail;

    /* Headers to sign. */
    for (size_t i = 0; i < req->nheaders; i++) {
        char lname[128];
        size_t nl = strlen(req->headers[i].name);
        if (nl == 0 || nl >= sizeof(lname)) {
            rc = RIP_EINVAL;
            goto fail;
        }
        for (size_t j = 0; j <= nl; j++)
            lname[j] = (char)tolower((unsigned char)req->headers[i].name[j]);
        if (skip_header(lname))
            continue;
        if ((rc = hlist_add(h, lname, req->headers[i].value ? req->headers[i].value : "")) < 0)
            goto fail;
    }
    if (!query_mode) {
        if ((rc = hlist_add(h, "x-amz-date", out->amz_date)) < 0)
            goto fail;
        if (v4a && (rc = hlist_add(h, "x-amz-region-set", params->region)) < 0)
            goto fail;
        if (token && !(flags & RIP_AWS_SIG_OMIT_TOKEN) &&
            (rc = hlist_add(h, "x-amz-security-token", token)) < 0)
            goto fail;
        if ((flags & RIP_AWS_SIG_CONTENT_SHA256) &&
            (rc = hlist_add(h, "x-amz-content-sha256", out->payload_hash)) < 0)
            goto fail;
    }
    qsort(h->v, h->n, sizeof(h->v[0]), cheader_cmp);
    for (size_t i = 0; i < h->n; i++)
        if ((rc = rip_buf_addf(&signed_names, "%s%s", i ? ";" : "", h->v[i].name)) < 0)
            goto fail;

    /* Query parameters. */
    if ((rc = qlist_parse(&q, req->query)) < 0)
        goto fail;
    if (query_mode) {
        char exp[32];
        rip_buf cred = RIP_BUF_INIT;
        snprintf(exp, sizeof(exp), "%ld", params->expires > 0 ? params->expires : 3600);
        rc = rip_buf_addf(&cred, "%s/%s", creds->access_key_id, scope.ptr);
        if (rc == 0)
            rc = qlist_add(&q, "X-Amz-Algorithm", 15, algorithm, strlen(algorithm));
        if (rc == 0 && v4a)
            rc = qlist_add(&q, "X-Amz-Region-Set", 16, params->region, strlen(params->region));
        if (rc == 0)
            rc = qlist_add(&q, "X-Amz-Credential", 16, cred.ptr, cred.len);
        if (rc == 0)
            rc = qlist_add(&q, "X-Amz-Date", 10, out->amz_date, strlen(out->amz_date));
        if (rc == 0)
            rc = qlist_add(&q, "X-Amz-Expires", 13, exp, strlen(exp));
        if (rc == 0 && token && !(flags & RIP_AWS_SIG_OMIT_TOKEN))
            rc = qlist_add(&q, "X-Amz-Security-Token", 20, token, strlen(token));
        if (rc == 0)
            rc = qlist_add(&q, "X-Amz-SignedHeaders", 19, signed_names.ptr, signed_names.len);
        rip_buf_release(&cred);
        if (rc < 0)
            goto fail;
    }
    if (q.n)
        qsort(q.v, q.n, sizeof(q.v[0]), qparam_cmp);

    /* Canonical request. */
    rip_buf *cr = &out->canonical_request;
    if ((rc = rip_buf_addf(cr, "%s\n", req->method)) < 0 ||
        (rc = canonical_path(cr, req->path, flags)) < 0 ||
        (rc = rip_buf_addc(cr, '\n')) < 0 ||
        (rc = qlist_write(&q, cr)) < 0 ||
        (rc = rip_buf_addc(cr, '\n')) < 0)
        goto fail;
    for (size_t i = 0; i < h->n; i++)
        if ((rc = rip_buf_addf(cr, "%s:%s\n", h->v[i].name, h->v[i].value.ptr)) < 0)
            goto fail;
    if ((rc = rip_buf_addf(cr, "\n%s\n%s", signed_names.ptr, out->payload_hash)) < 0)
        goto fail;

    /* String to sign. */
    char crhash[65];
    rip_aws_sha256_hex(cr->ptr, cr->len, crhash);
    if ((rc = rip_buf_addf(&out->string_to_sign, "%s\n%s\n%s\n%s", algorithm,
                           out->amz_date, scope.ptr, crhash)) < 0)
        goto fail;

    /* Signature. */
    if (v4a) {
        rc = v4a_sign(creds->access_key_id, creds->secret_access_key, out->string_to_sign.ptr,
                      out->string_to_sign.len, out->signature, sizeof(out->signature));
        if (rc < 0)
            goto fail;
    } else {
        if ((rc = signing_key(creds->secret_access_key, out->amz_date, params->region,
                              params->service, key)) < 0)
            goto fail;
        rc = hmac(key, 32, out->string_to_sign.ptr, out->string_to_sign.len, sig);
        rip_wipe(key, sizeof(key));
        if (rc < 0)
            goto fail;
        hex_encode(sig, 32, out->signature);
    }

    if (query_mode) {
        if ((rc = qlist_write(&q, &out->query)) < 0 ||
            (rc = rip_buf_addf(&out->query, "%sX-Amz-Signature=%s", q.n ? "&" : "",
                               out->signature)) < 0)
            goto fail;
        if (token && (flags & RIP_AWS_SIG_OMIT_TOKEN)) {
            if ((rc = rip_buf_adds(&out->query, "&X-Amz-Security-Token=")) < 0 ||
                (rc = rip_aws_uri_encode(&out->query, token, strlen(token), false)) < 0)
                goto fail;
        }
    } else {
        if ((rc = rip_buf_addf(&out->authorization,
                               "%s Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                               algorithm, creds->access_key_id, scope.ptr, signed_names.ptr,
                               out->signature)) < 0)
            goto fail;
    }
    rc = 0;
    goto done;
fail:
    rip_buf_reset(&out->canonical_request);
    rip_buf_reset(&out->string_to_sign);
    rip_buf_reset(&out->authorization);
    rip_buf_reset(&out->query);
    out->signature[0] = '\0';
done:
    rip_wipe(sig, sizeof(sig));
    if (h)
        hlist_release(h);
    free(h);
    qlist_release(&q);
    rip_buf_release(&signed_names);
    rip_buf_release(&scope);
    rip_buf_release(&tmp);
    return rc;
}
