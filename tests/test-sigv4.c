/* test-sigv4.c — runs every case of both SigV4 suites in corpus/sigv4 and
 * compares canonical request, string to sign and Authorization header (or,
 * for query signing, the signature) byte for byte.
 *
 *   botocore_aws4_testsuite/<case>/<case>.{req,creq,sts,authz} (recursive)
 *   aws_c_auth_signing_test_suite/v4/<case>/{context.json,request.txt,
 *       header-*.txt,query-*.txt}, and the same for v4a/<case>: the
 *       canonical request and string to sign byte for byte; the ECDSA
 *       signature is randomized, so (as aws-c-auth's own tests do) the key
 *       derived from the credentials must give public-key.json, and both
 *       riposte's signature and the suite's recorded one must verify with it.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cloud/aws-sigv4.h"
#include "tests/tap.h"
#include "util/err.h"
#include "util/json.h"

/* Reads a whole file (capped); NULL when absent. '\r' removed when strip_cr. */
static char *slurp(const char *path, size_t *len, bool strip_cr)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rip_buf b;
    rip_buf_init(&b, 16 << 20);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        for (size_t i = 0; i < n; i++)
            if (!(strip_cr && chunk[i] == '\r'))
                rip_buf_addc(&b, chunk[i]);
    }
    fclose(f);
    return rip_buf_take(&b, len);
}

typedef struct parsed_req {
    char method[16];
    char *path;
    char *query;
    rip_aws_header headers[RIP_AWS_SIG_MAX_HEADERS];
    char *names[RIP_AWS_SIG_MAX_HEADERS];
    rip_buf values[RIP_AWS_SIG_MAX_HEADERS];
    size_t nheaders;
    const char *body;
    size_t body_len;
    char *raw;
} parsed_req;

static void req_release(parsed_req *r)
{
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->names[i]);
        rip_buf_release(&r->values[i]);
    }
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

/* Parses "METHOD SP target SP HTTP/1.1\n" headers "\n" body. The target is
 * what lies between the first and the last space (it may hold spaces). */
static int req_parse(parsed_req *r, const char *path)
{
    size_t len;
    memset(r, 0, sizeof(*r));
    r->raw = slurp(path, &len, true);
    if (!r->raw)
        return -1;
    char *p = r->raw, *end = r->raw + len;
    char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    char *sp1 = memchr(p, ' ', (size_t)(eol - p));
    char *sp2 = eol;
    while (sp2 > p && sp2[-1] != ' ')
        sp2--;
    if (!sp1 || sp2 <= sp1 + 1 || (size_t)(sp1 - p) >= sizeof(r->method))
        return -1;
    sp2--;
    memcpy(r->method, p, (size_t)(sp1 - p));
    char *target = sp1 + 1;
    size_t tlen = (size_t)(sp2 - target);
    char *q = memchr(target, '?', tlen);
    r->path = strndup(target, q ? (size_t)(q - target) : tlen);
    if (q)
        r->query = strndup(q + 1, (size_t)(sp2 - q - 1));
    p = eol < end ? eol + 1 : end;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol == p) { /* blank line: body follows */
            p++;
            break;
        }
        if ((*p == ' ' || *p == '\t') && r->nheaders > 0) {
            rip_buf *v = &r->values[r->nheaders - 1];
            rip_buf_addc(v, ' ');
            rip_buf_add(v, p, (size_t)(eol - p));
        } else {
            char *colon = memchr(p, ':', (size_t)(eol - p));
            if (!colon || r->nheaders >= RIP_AWS_SIG_MAX_HEADERS)
                return -1;
            size_t i = r->nheaders++;
            r->names[i] = strndup(p, (size_t)(colon - p));
            rip_buf_init(&r->values[i], 0);
            rip_buf_add(&r->values[i], colon + 1, (size_t)(eol - colon - 1));
        }
        p = eol < end ? eol + 1 : end;
    }
    r->body = p;
    r->body_len = (size_t)(end - p);
    for (size_t i = 0; i < r->nheaders; i++) {
        r->headers[i].name = r->names[i];
        r->headers[i].value = r->values[i].ptr;
    }
    return 0;
}

static void check_text(const char *name, const char *what, const char *got, const char *want)
{
    if (!want) {
        tap_check(0, "%s %s: expected file missing", name, what);
        return;
    }
    if (!CHECK(strcmp(got, want) == 0, "%s %s", name, what)) {
        tap_diag("got:\n%s", got);
        tap_diag("want:\n%s", want);
    }
}

static time_t when_2015(void)
{
    /* 2015-08-30T12:36:00Z */
    struct tm tm = { .tm_year = 115, .tm_mon = 7, .tm_mday = 30, .tm_hour = 12, .tm_min = 36 };
    return timegm(&tm);
}

/* ---- botocore ---- */

static void botocore_case(const char *dir, const char *name)
{
    char path[8192];
    parsed_req r;
    snprintf(path, sizeof(path), "%s/%s.req", dir, name);
    if (req_parse(&r, path) < 0) {
        tap_check(0, "botocore %s: cannot parse request", name);
        req_release(&r);
        return;
    }
    char *creq, *sts, *authz;
    snprintf(path, sizeof(path), "%s/%s.creq", dir, name);
    creq = slurp(path, NULL, true);
    snprintf(path, sizeof(path), "%s/%s.sts", dir, name);
    sts = slurp(path, NULL, true);
    snprintf(path, sizeof(path), "%s/%s.authz", dir, name);
    authz = slurp(path, NULL, true);

    /* The session token, when signed, shows in the canonical request. */
    char *token = NULL;
    const char *t = creq ? strstr(creq, "\nx-amz-security-token:") : NULL;
    if (t) {
        t += strlen("\nx-amz-security-token:");
        token = strndup(t, strcspn(t, "\n"));
    }
    rip_aws_sig_request sr = {
        .method = r.method, .path = r.path, .query = r.query,
        .headers = r.headers, .nheaders = r.nheaders,
        .body = r.body, .body_len = r.body_len,
    };
    rip_aws_sig_creds cr = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token };
    rip_aws_sig_params sp = { "us-east-1", "service", when_2015(), RIP_AWS_SIG_DEFAULT, 0 };
    rip_aws_sig_out out;
    rip_aws_sig_out_init(&out);
    int rc = rip_aws_sigv4_sign(&sr, &cr, &sp, &out);
    char label[512];
    snprintf(label, sizeof(label), "botocore %s", name);
    if (CHECK(rc == 0, "%s signs (%s)", label, rip_strerror(rc))) {
        check_text(label, "canonical request", out.canonical_request.ptr, creq);
        check_text(label, "string to sign", out.string_to_sign.ptr, sts);
        check_text(label, "authorization", out.authorization.ptr, authz);
    }
    rip_aws_sig_out_release(&out);
    free(token);
    free(creq);
    free(sts);
    free(authz);
    req_release(&r);
}

static void botocore_walk(const char *dir, int *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char sub[4096], req[8400];
        struct stat st;
        snprintf(sub, sizeof(sub), "%s/%s", dir, names[i]);
        if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            snprintf(req, sizeof(req), "%s/%s.req", sub, names[i]);
            if (stat(req, &st) == 0) {
                botocore_case(sub, names[i]);
                (*count)++;
            } else {
                botocore_walk(sub, count);
            }
        }
        free(names[i]);
    }
    free(names);
}

/* ---- aws-c-auth ---- */

static bool json_bool(const rip_json_node *root, const char *key)
{
    const rip_json_node *n = rip_json_get(root, key);
    return n && n->type == RIP_JSON_TRUE;
}

static char *json_strdup(rip_json_doc *d, const rip_json_node *root, const char *path)
{
    const rip_json_node *n = rip_json_path(root, path);
    if (!rip_json_is(n, RIP_JSON_STRING))
        return NULL;
    rip_slice s = rip_json_str(d, n);
    return strndup(s.ptr, s.len);
}

/* The value of "key":"..." in a small JSON text (public-key.json). */
static char *json_text_field(const char *text, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    const char *p = text ? strstr(text, pat) : NULL;
    if (!p || !(p = strchr(p + strlen(pat), '"')))
        return NULL;
    p++;
    return strndup(p, strcspn(p, "\""));
}

static void trim_nl(char *s)
{
    size_t n = s ? strlen(s) : 0;
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
        s[--n] = '\0';
}

/* SigV4A: the key pair derived from the credentials is the suite's. */
static void v4a_key_check(const char *dir, const char *name, const char *akid, const char *secret,
                          char x[65], char y[65])
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/public-key.json", dir);
    char *pk = slurp(path, NULL, true);
    char *wx = json_text_field(pk, "X"), *wy = json_text_field(pk, "Y");
    int rc = rip_aws_sigv4a_public_key(akid, secret, x, y);
    CHECK(rc == 0 && wx && wy && !strcmp(x, wx) && !strcmp(y, wy),
          "aws-c-auth v4a %s derived public key is the suite's", name);
    free(pk);
    free(wx);
    free(wy);
}

/* SigV4A: riposte's signature and the suite's recorded one verify with the
 * public key; the Authorization header matches up to the signature. */
static void v4a_check_sig(const char *dir, const char *label, const char *m,
                          const rip_aws_sig_out *out, const char *signed_req, const char *x,
                          const char *y, bool header)
{
    char path[8192];
    CHECK(rip_aws_sigv4a_verify(x, y, out->string_to_sign.ptr, out->string_to_sign.len,
                                out->signature) == 0,
          "%s riposte's ECDSA signature verifies with the public key", label);
    snprintf(path, sizeof(path), "%s/%s-signature.txt", dir, m);
    char *theirs = slurp(path, NULL, true);
    trim_nl(theirs);
    snprintf(path, sizeof(path), "%s/%s-string-to-sign.txt", dir, m);
    char *sts = slurp(path, NULL, true);
    CHECK(theirs && sts && rip_aws_sigv4a_verify(x, y, sts, strlen(sts), theirs) == 0,
          "%s the suite's recorded signature verifies too", label);
    char tampered[sizeof(out->signature)];
    snprintf(tampered, sizeof(tampered), "%s", out->signature);
    size_t tl = strlen(tampered);
    if (tl > 20)
        tampered[tl - 3] = tampered[tl - 3] == '0' ? '1' : '0';
    CHECK(rip_aws_sigv4a_verify(x, y, out->string_to_sign.ptr, out->string_to_sign.len,
                                tampered) != 0, "%s a tampered signature does not verify", label);
    if (header) {
        const char *line = signed_req ? strstr(signed_req, "\nAuthorization:") : NULL;
        char *a = line ? strndup(line + 15, strcspn(line + 15, "\n")) : NULL;
        char *cut = a ? strstr(a, "Signature=") : NULL;
        const char *ours = strstr(out->authorization.ptr, "Signature=");
        if (cut)
            cut[10] = '\0';
        CHECK(a && cut && ours &&
                  !strncmp(out->authorization.ptr, a, (size_t)(ours - out->authorization.ptr) + 10),
              "%s authorization up to the signature", label);
        free(a);
    }
    free(theirs);
    free(sts);
}

static void crt_case(const char *dir, const char *name, bool v4a)
{
    char path[8192];
    snprintf(path, sizeof(path), "%s/context.json", dir);
    size_t clen;
    char *ctx = slurp(path, &clen, false);
    rip_json_doc doc;
    rip_json_doc_init(&doc, NULL);
    parsed_req r = { 0 };
    if (!ctx || rip_json_parse(&doc, ctx, clen, NULL) < 0) {
        tap_check(0, "aws-c-auth %s: cannot read context.json", name);
        goto out;
    }
    const rip_json_node *root = rip_json_root(&doc);
    char *akid = json_strdup(&doc, root, "credentials.access_key_id");
    char *secret = json_strdup(&doc, root, "credentials.secret_access_key");
    char *token = json_strdup(&doc, root, "credentials.token");
    char *region = json_strdup(&doc, root, "region");
    char *service = json_strdup(&doc, root, "service");
    char *ts = json_strdup(&doc, root, "timestamp");
    int64_t expires = 3600;
    const rip_json_node *en = rip_json_get(root, "expiration_in_seconds");
    if (en)
        rip_json_i64(en, &expires);
    struct tm tm = { 0 };
    if (!ts || !strptime(ts, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        tap_check(0, "aws-c-auth %s: bad timestamp", name);
    } else {
        snprintf(path, sizeof(path), "%s/request.txt", dir);
        if (req_parse(&r, path) < 0) {
            tap_check(0, "aws-c-auth %s: cannot parse request", name);
        } else {
            unsigned flags = RIP_AWS_SIG_ENCODE_PATH | (v4a ? RIP_AWS_SIG_V4A : 0);
            char px[65] = "", py[65] = "";
            snprintf(path, sizeof(path), "%s/header-canonical-request.txt", dir);
            struct stat st;
            /* Two v4a cases upstream ship only context.json and request.txt:
             * there, sign and verify with the derived key. */
            bool expected = stat(path, &st) == 0;
            if (v4a && expected)
                v4a_key_check(dir, name, akid, secret, px, py);
            else if (v4a)
                rip_aws_sigv4a_public_key(akid, secret, px, py);
            if (json_bool(root, "normalize"))
                flags |= RIP_AWS_SIG_NORMALIZE_PATH;
            if (json_bool(root, "sign_body"))
                flags |= RIP_AWS_SIG_CONTENT_SHA256;
            if (json_bool(root, "omit_session_token"))
                flags |= RIP_AWS_SIG_OMIT_TOKEN;
            rip_aws_sig_request sr = {
                .method = r.method, .path = r.path, .query = r.query,
                .headers = r.headers, .nheaders = r.nheaders,
                .body = r.body, .body_len = r.body_len,
            };
            rip_aws_sig_creds cr = { akid, secret, token };
            for (int mode = 0; mode < 2; mode++) {
                const char *m = mode ? "query" : "header";
                rip_aws_sig_params sp = { region, service, timegm(&tm),
                                          flags | (mode ? RIP_AWS_SIG_QUERY : 0), (long)expires };
                rip_aws_sig_out out;
                rip_aws_sig_out_init(&out);
                int rc = rip_aws_sigv4_sign(&sr, &cr, &sp, &out);
                char label[512];
                snprintf(label, sizeof(label), "aws-c-auth %s %s %s", v4a ? "v4a" : "v4", name, m);
                if (CHECK(rc == 0, "%s signs (%s)", label, rip_strerror(rc)) && !expected) {
                    CHECK(v4a && rip_aws_sigv4a_verify(px, py, out.string_to_sign.ptr,
                                                       out.string_to_sign.len, out.signature) == 0 &&
                              strstr(out.canonical_request.ptr, r.path) != NULL,
                          "%s (no expected files upstream) signature verifies with the derived key",
                          label);
                } else if (rc == 0) {
                    char *want;
                    snprintf(path, sizeof(path), "%s/%s-canonical-request.txt", dir, m);
                    want = slurp(path, NULL, true);
                    check_text(label, "canonical request", out.canonical_request.ptr, want);
                    free(want);
                    snprintf(path, sizeof(path), "%s/%s-string-to-sign.txt", dir, m);
                    want = slurp(path, NULL, true);
                    check_text(label, "string to sign", out.string_to_sign.ptr, want);
                    free(want);
                    snprintf(path, sizeof(path), "%s/%s-signed-request.txt", dir, m);
                    want = slurp(path, NULL, true);
                    if (v4a) {
                        v4a_check_sig(dir, label, m, &out, want, px, py, mode == 0);
                    } else if (mode == 0) {
                        /* The Authorization line of the signed request. */
                        char *line = want ? strstr(want, "\nAuthorization:") : NULL;
                        char *a = line ? strndup(line + 15, strcspn(line + 15, "\n")) : NULL;
                        check_text(label, "authorization", out.authorization.ptr, a);
                        free(a);
                    } else {
                        char *sig = want ? strstr(want, "X-Amz-Signature=") : NULL;
                        char *s = sig ? strndup(sig + 16, strcspn(sig + 16, "& \n")) : NULL;
                        check_text(label, "signature", out.signature, s);
                        free(s);
                    }
                    free(want);
                }
                rip_aws_sig_out_release(&out);
            }
        }
    }
    free(akid);
    free(secret);
    free(token);
    free(region);
    free(service);
    free(ts);
out:
    req_release(&r);
    rip_json_doc_release(&doc);
    free(ctx);
}

static int crt_walk(const char *dir, bool v4a)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    int count = 0;
    if (n < 0)
        return 0;
    for (int i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            char sub[4096];
            struct stat st;
            snprintf(sub, sizeof(sub), "%s/%s", dir, list[i]->d_name);
            if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
                crt_case(sub, list[i]->d_name, v4a);
                count++;
            }
        }
        free(list[i]);
    }
    free(list);
    return count;
}

/* ---- unit checks beyond the suites ---- */

static void s3_rules(void)
{
    rip_aws_header hs[] = { { "Host", "bucket.s3.amazonaws.com" } };
    rip_aws_sig_request sr = { .method = "PUT", .path = "/my-object//example//photo%20a.user",
                               .headers = hs, .nheaders = 1,
                               .payload_hash = RIP_AWS_UNSIGNED_PAYLOAD };
    rip_aws_sig_creds cr = { "AKIDEXAMPLE", "secret", NULL };
    rip_aws_sig_params sp = { "us-east-1", "s3", when_2015(), RIP_AWS_SIG_S3, 0 };
    rip_aws_sig_out out;
    rip_aws_sig_out_init(&out);
    int rc = rip_aws_sigv4_sign(&sr, &cr, &sp, &out);
    CHECK(rc == 0, "s3 signs");
    CHECK(strstr(out.canonical_request.ptr, "\n/my-object//example//photo%20a.user\n") != NULL,
          "s3 path kept as sent (no normalization, no double encoding)");
    CHECK(strstr(out.canonical_request.ptr, "x-amz-content-sha256:UNSIGNED-PAYLOAD\n") != NULL,
          "s3 payload hash header signed");
    CHECK(strstr(out.authorization.ptr, "SignedHeaders=host;x-amz-content-sha256;x-amz-date,") != NULL,
          "s3 signed headers");
    /* Non-S3 services encode the path once more. */
    sp.flags = RIP_AWS_SIG_DEFAULT;
    sp.service = "service";
    rc = rip_aws_sigv4_sign(&sr, &cr, &sp, &out);
    CHECK(rc == 0 && strstr(out.canonical_request.ptr, "\n/my-object/example/photo%2520a.user\n"),
          "non-s3 path normalized and encoded twice");
    sr.query = "a=%zz";
    CHECK(rip_aws_sigv4_sign(&sr, &cr, &sp, &out) == RIP_EINVAL && out.canonical_request.len == 0,
          "bad percent-encoding refused, outputs emptied");
    rip_aws_sig_out_release(&out);
}

int main(void)
{
    const char *corpus = tap_corpus();
    s3_rules();
    if (!corpus) {
        tap_skip("sigv4 suites # corpus not found");
        return tap_done();
    }
    char dir[8192];
    int count = 0;
    snprintf(dir, sizeof(dir), "%s/sigv4/botocore_aws4_testsuite", corpus);
    botocore_walk(dir, &count);
    CHECK(count >= 30, "botocore suite ran %d cases", count);
    snprintf(dir, sizeof(dir), "%s/sigv4/aws_c_auth_signing_test_suite/v4", corpus);
    count = crt_walk(dir, false);
    CHECK(count >= 38, "aws-c-auth v4 suite ran %d cases", count);
    snprintf(dir, sizeof(dir), "%s/sigv4/aws_c_auth_signing_test_suite/v4a", corpus);
    count = crt_walk(dir, true);
    CHECK(count >= 38, "aws-c-auth v4a suite ran %d cases", count);
    return tap_done();
}
