/* test-aws-xml.c — the expat tree against botocore's response parsing
 * corpus (every XML parses; string fields of the expected parsed JSON are
 * found as element text), AWS error shapes, and the parser's limits. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cloud/aws-http.h"
#include "cloud/aws-xml.h"
#include "tests/tap.h"
#include "util/err.h"
#include "util/json.h"

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rip_buf b = RIP_BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rip_buf_add(&b, chunk, n);
    fclose(f);
    return rip_buf_take(&b, len);
}

static bool text_is(const rip_aws_xml_node *n, rip_slice text)
{
    if (n->text_len == text.len && !memcmp(n->text, text.ptr, text.len))
        return true;
    /* Blob members (e.g. Base32StringSeed) are base64 on the wire. */
    if (n->text_len > 0 && n->text_len % 4 == 0 && n->text_len < 4096) {
        unsigned char dec[4096];
        int dl = EVP_DecodeBlock(dec, (const unsigned char *)n->text, (int)n->text_len);
        while (dl > 0 && n->text_len >= 1 && n->text[n->text_len - 1] == '=' && dec[dl - 1] == 0 &&
               (size_t)dl > text.len)
            dl--;
        if (dl >= 0 && (size_t)dl == text.len && !memcmp(dec, text.ptr, text.len))
            return true;
    }
    return false;
}

/* Any element at or below n holding text. */
static bool below_has(const rip_aws_xml_node *n, rip_slice text)
{
    if (text_is(n, text))
        return true;
    for (const rip_aws_xml_node *c = n->first; c; c = c->next)
        if (below_has(c, text))
            return true;
    return false;
}

/* Does any element named name hold exactly text (a list: any of its
 * <member>/<item> descendants)? */
static bool has_text(const rip_aws_xml_node *n, const char *name, rip_slice text, bool *seen)
{
    if (!strcmp(n->name, name)) {
        *seen = true;
        if (n->first ? below_has(n, text) : text_is(n, text))
            return true;
    }
    for (const rip_aws_xml_node *c = n->first; c; c = c->next)
        if (has_text(c, name, text, seen))
            return true;
    return false;
}

/* Walks the expected JSON; every string leaf whose key names an element
 * present in the XML must equal that element's text somewhere. */
static void compare(rip_json_doc *d, const rip_json_node *n, const char *key,
                    const rip_aws_xml_node *root, int *checked, int *bad, char *first_bad,
                    size_t cap)
{
    if (n->type == RIP_JSON_OBJECT) {
        RIP_JSON_EACH(k, n) {
            rip_slice ks = rip_json_str(d, k);
            char kb[128];
            snprintf(kb, sizeof(kb), "%.*s", (int)ks.len, ks.ptr);
            compare(d, k + 1, kb, root, checked, bad, first_bad, cap);
        }
    } else if (n->type == RIP_JSON_ARRAY) {
        RIP_JSON_EACH(e, n)
            compare(d, e, key, root, checked, bad, first_bad, cap);
    } else if (n->type == RIP_JSON_STRING && key && strcmp(key, "RequestId")) {
        rip_slice v = rip_json_str(d, n);
        bool seen = false;
        bool ok = has_text(root, key, v, &seen);
        if (!seen)
            return;   /* renamed member (locationName) or derived value */
        (*checked)++;
        if (!ok) {
            (*bad)++;
            if (!first_bad[0])
                snprintf(first_bad, cap, "%s='%.*s'", key, (int)v.len, v.ptr);
        }
    }
}

static void corpus_dir(const char *dir, bool errors)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    int parsed = 0, files = 0, fields = 0;
    if (n < 0) {
        tap_skip("%s # cannot open", dir);
        return;
    }
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        size_t l = strlen(name);
        if (l > 4 && !strcmp(name + l - 4, ".xml")) {
            char path[4096];
            size_t xlen, jlen;
            snprintf(path, sizeof(path), "%s/%s", dir, name);
            char *xml = slurp(path, &xlen);
            snprintf(path, sizeof(path), "%s/%.*s.json", dir, (int)(l - 4), name);
            char *json = slurp(path, &jlen);
            rip_aws_xml x;
            rip_aws_xml_init(&x);
            files++;
            int rc = xml ? rip_aws_xml_parse(&x, xml, xlen, NULL) : RIP_EIO;
            if (xml && xml[0] == '{') {
                /* GetBucketPolicy: the payload is the policy document itself. */
                CHECK(rc == RIP_ESYNTAX && json && strstr(json, "\"Policy\""),
                      "%s is a JSON payload, refused as XML", name);
                parsed++;
                rip_aws_xml_release(&x);
                free(xml);
                free(json);
                free(list[i]);
                continue;
            }
            if (!CHECK(rc == 0, "parse %s", name))
                tap_diag("%s", x.error);
            else
                parsed++;
            rip_json_doc d;
            rip_json_doc_init(&d, NULL);
            if (rc == 0 && json && rip_json_parse(&d, json, jlen, NULL) == 0) {
                int checked = 0, bad = 0;
                char first_bad[256] = "";
                compare(&d, rip_json_root(&d), NULL, x.root, &checked, &bad, first_bad,
                        sizeof(first_bad));
                fields += checked;
                CHECK(bad == 0, "%s: %d fields match the expected parse%s%s", name, checked,
                      bad ? ", first mismatch " : "", first_bad);
                if (errors) {
                    rip_aws_error e;
                    memset(&e, 0, sizeof(e));
                    rip_aws_parse_error(xml, xlen, "text/xml", NULL, &e);
                    const rip_json_node *code = rip_json_path(rip_json_root(&d), "Error.Code");
                    const rip_json_node *rid =
                        rip_json_path(rip_json_root(&d), "ResponseMetadata.RequestId");
                    CHECK((!code || rip_json_str_eq(code, e.code)) &&
                          (!rid || rip_json_str_eq(rid, e.request_id)),
                          "%s: error code '%s' and request id '%s'", name, e.code, e.request_id);
                }
            }
            rip_json_doc_release(&d);
            rip_aws_xml_release(&x);
            free(xml);
            free(json);
        }
        free(list[i]);
    }
    free(list);
    CHECK(files > 0 && parsed == files, "%s: %d/%d XML files parsed, %d fields compared", dir,
          parsed, files, fields);
}

static void shapes(void)
{
    rip_aws_error e;
    const char *ec2 = "<Response><Errors><Error><Code>InvalidInstanceID.NotFound</Code>"
                      "<Message>The instance ID 'i-1' does not exist</Message></Error></Errors>"
                      "<RequestID>req-1</RequestID></Response>";
    memset(&e, 0, sizeof(e));
    rip_aws_parse_error(ec2, strlen(ec2), NULL, NULL, &e);
    CHECK(!strcmp(e.code, "InvalidInstanceID.NotFound") && !strcmp(e.request_id, "req-1") &&
          strstr(e.message, "does not exist"), "ec2 error shape");
    const char *s3 = "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>gone</Message>"
                     "<RequestId>r2</RequestId></Error>";
    memset(&e, 0, sizeof(e));
    rip_aws_parse_error(s3, strlen(s3), NULL, NULL, &e);
    CHECK(!strcmp(e.code, "NoSuchBucket") && !strcmp(e.request_id, "r2"), "s3 error shape");
    const char *js = "{\"__type\":\"com.amazonaws.cloudtrail#TrailNotFoundException\","
                     "\"message\":\"Unknown trail\"}";
    memset(&e, 0, sizeof(e));
    rip_aws_parse_error(js, strlen(js), NULL, NULL, &e);
    CHECK(!strcmp(e.code, "TrailNotFoundException") && !strcmp(e.message, "Unknown trail"),
          "json error shape");
    memset(&e, 0, sizeof(e));
    rip_aws_parse_error("{}", 2, NULL, "FooError:http://internal", &e);
    CHECK(!strcmp(e.code, "FooError"), "x-amzn-ErrorType header");
    CHECK(rip_aws_is_throttling(400, "Throttling") && rip_aws_is_throttling(429, "") &&
          !rip_aws_is_throttling(400, "AccessDenied"), "throttling codes");
    CHECK(rip_aws_is_transient(503, "") && !rip_aws_is_transient(403, "AccessDenied"),
          "transient statuses");
    char msg[64] = "bad signature abcdef0123456789 here";
    rip_aws_redact(msg, sizeof(msg), "abcdef0123456789");
    CHECK(!strcmp(msg, "bad signature <redacted> here"), "redact");
    /* A message truncated in the middle of a long secret (a session token)
     * must not keep the part it has. */
    char cut[64] = "token FQoGZXIvYXdzEJr//////////wEaDNrZ";
    rip_aws_redact(cut, sizeof(cut), "FQoGZXIvYXdzEJr//////////wEaDNrZxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    CHECK(!strcmp(cut, "token <redacted>"), "redact a secret cut off at the end (%s)", cut);
    char safe[64] = "short FQoG prefix only";
    rip_aws_redact(safe, sizeof(safe), "FQoGZXIvYXdzEJr//////////wEaDNrZxxxx");
    CHECK(!strcmp(safe, "short FQoG prefix only"), "a short common prefix is left alone");
}

static void limits(void)
{
    rip_aws_xml x;
    rip_aws_xml_init(&x);
    const char *bomb = "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                       "<!ENTITY lol2 \"&lol;&lol;&lol;\">]><a>&lol2;</a>";
    CHECK(rip_aws_xml_parse(&x, bomb, strlen(bomb), NULL) == RIP_ESYNTAX && !x.root,
          "DOCTYPE refused (%s)", x.error);
    char deep[2000] = "";
    for (int i = 0; i < 100; i++)
        strcat(deep, "<a>");
    CHECK(rip_aws_xml_parse(&x, deep, strlen(deep), NULL) == RIP_ELIMIT, "depth limit (%s)",
          x.error);
    rip_aws_xml_limits lim = rip_aws_xml_default_limits;
    lim.max_nodes = 3;
    const char *many = "<a><b/><b/><b/></a>";
    CHECK(rip_aws_xml_parse(&x, many, strlen(many), &lim) == RIP_ELIMIT, "node limit");
    lim = rip_aws_xml_default_limits;
    lim.max_size = 5;
    CHECK(rip_aws_xml_parse(&x, many, strlen(many), &lim) == RIP_ELIMIT, "size limit");
    CHECK(rip_aws_xml_parse(&x, "<a><b></a>", 10, NULL) == RIP_ESYNTAX, "mismatched tag");
    const char *ok = "<s3:R xmlns:s3=\"x\"><s3:K>a&amp;b</s3:K><K>c</K></s3:R>";
    CHECK(rip_aws_xml_parse(&x, ok, strlen(ok), NULL) == 0 && !strcmp(x.root->name, "R") &&
          !strcmp(rip_aws_xml_text(x.root, "K", ""), "a&b") &&
          !strcmp(rip_aws_xml_next_same(rip_aws_xml_child(x.root, "K"))->text, "c"),
          "prefixes dropped, entities decoded, siblings");
    rip_aws_xml_release(&x);
}

int main(void)
{
    shapes();
    limits();
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("botocore response parsing # corpus not found");
        return tap_done();
    }
    char dir[8192];
    snprintf(dir, sizeof(dir), "%s/aws_api_responses/botocore_response_parsing/responses", corpus);
    corpus_dir(dir, false);
    snprintf(dir, sizeof(dir), "%s/aws_api_responses/botocore_response_parsing/errors", corpus);
    corpus_dir(dir, true);
    return tap_done();
}
