/* test-json.c — unit tests of util/json.h: the parser and its tree, every
 * accessor, string decoding, number conversion, limits and error positions,
 * and the streaming writer. JSONTestSuite is test-json-suite.c; the
 * differential tests against cJSON are test-json-diff.c. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/err.h"
#include "util/json.h"

/* ---- helpers ---- */

static int parse_str(rip_json_doc *d, const char *s, rip_json_error *e)
{
    return rip_json_parse(d, s, strlen(s), e);
}

/* True when s holds exactly the n bytes at want. */
static bool slice_is(rip_slice s, const char *want, size_t n)
{
    return s.ptr && s.len == n && memcmp(s.ptr, want, n) == 0;
}

#define SLICE_IS(s, lit) slice_is((s), (lit), sizeof(lit) - 1)

/* Both trees have the same shape, decoded strings and number text. */
static bool same_tree(rip_json_doc *da, const rip_json_node *a, rip_json_doc *db,
                      const rip_json_node *b)
{
    if (a->skip != b->skip)
        return false;
    for (uint32_t i = 0; i < a->skip; i++) {
        const rip_json_node *x = a + i, *y = b + i;
        if (x->type != y->type || x->skip != y->skip ||
            (x->flags & RIP_JSON_F_KEY) != (y->flags & RIP_JSON_F_KEY))
            return false;
        if (x->type == RIP_JSON_NUMBER && !slice_is(rip_json_text(x), y->ptr, y->len))
            return false;
        if (x->type == RIP_JSON_STRING && !rip_slice_eqs(rip_json_str(da, x), rip_json_str(db, y)))
            return false;
    }
    return true;
}

/* Writes node n of d with rip_jw_node into out (reset first); returns finish's code. */
static int write_node(rip_json_doc *d, const rip_json_node *n, rip_buf *out)
{
    rip_jw w;
    rip_buf_reset(out);
    rip_jw_init(&w, out);
    rip_jw_node(&w, d, n);
    return rip_jw_finish(&w);
}

/* ---- value kinds and the tree ---- */

static void test_kinds(void)
{
    rip_json_doc d;
    rip_json_error e;
    rip_json_doc_init(&d, NULL);
    const char *src = "[null,true,false,0,-1.5e3,\"s\",[],{}]";
    CHECK(parse_str(&d, src, &e) == 0, "kinds: parse %s", src);
    const rip_json_node *r = rip_json_root(&d);
    CHECK(r && r->type == RIP_JSON_ARRAY && r->skip == 9 && d.count == 9,
          "kinds: root array with 9 nodes");
    static const rip_json_type want[] = {
        RIP_JSON_NULL, RIP_JSON_TRUE, RIP_JSON_FALSE, RIP_JSON_NUMBER, RIP_JSON_NUMBER,
        RIP_JSON_STRING, RIP_JSON_ARRAY, RIP_JSON_OBJECT,
    };
    static const char *const text[] = { "null", "true", "false", "0", "-1.5e3", "\"s\"", "[]", "{}" };
    int i = 0, ok = 1;
    RIP_JSON_EACH(c, r) {
        if (i >= 8 || c->type != want[i] || !rip_slice_eq(rip_json_text(c), text[i]))
            ok = 0;
        i++;
    }
    CHECK(ok && i == 8, "kinds: every element has its type and text");
    CHECK(rip_json_is(rip_json_at(r, 3), RIP_JSON_NUMBER) &&
          (rip_json_at(r, 3)->flags & RIP_JSON_F_INT), "kinds: 0 is flagged integer");
    CHECK(!(rip_json_at(r, 4)->flags & RIP_JSON_F_INT), "kinds: -1.5e3 is not flagged integer");
    CHECK(!rip_json_is(NULL, RIP_JSON_NULL), "kinds: rip_json_is(NULL) is false");

    /* Scalars at the root, surrounded by whitespace. */
    static const struct { const char *src; rip_json_type type; const char *text; } roots[] = {
        { " 42 ", RIP_JSON_NUMBER, "42" },
        { "\n\"x\"\t", RIP_JSON_STRING, "\"x\"" },
        { "\r\nnull", RIP_JSON_NULL, "null" },
        { "true ", RIP_JSON_TRUE, "true" },
        { "false", RIP_JSON_FALSE, "false" },
        { " { } ", RIP_JSON_OBJECT, "{ }" },
        { "[ \t ]", RIP_JSON_ARRAY, "[ \t ]" },
    };
    for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
        int rc = parse_str(&d, roots[k].src, &e);
        r = rip_json_root(&d);
        CHECK(rc == 0 && r && r->type == roots[k].type && r->skip == 1 &&
              rip_slice_eq(rip_json_text(r), roots[k].text),
              "kinds: root '%s' parses as itself", roots[k].text);
    }
    rip_json_doc_release(&d);
    rip_json_doc_release(&d);   /* a released document may be released again */
    rip_json_doc_release(NULL);
    CHECK(1, "kinds: rip_json_doc_release accepts NULL and a released document");
}

static void test_access(void)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    const char *src = "{\"a\":{\"b\":{\"c\":3}},\"x\":[10,20,30],\"k\\u0065y\":\"v\","
                      "\"\":1,\"dup\":1,\"dup\":2,\"d.e\":5,\"nul\\u0000\":7}";
    CHECK(parse_str(&d, src, NULL) == 0, "access: parse");
    const rip_json_node *r = rip_json_root(&d);
    int64_t v = 0;

    CHECK(rip_json_is(rip_json_get(r, "a"), RIP_JSON_OBJECT), "access: get 'a' is an object");
    const rip_json_node *x = rip_json_getn(r, "xyz", 1);
    CHECK(rip_json_is(x, RIP_JSON_ARRAY), "access: getn with a length shorter than the string");
    CHECK(rip_json_get(r, "xy") == NULL && rip_json_get(r, "zz") == NULL,
          "access: get absent keys is NULL");
    CHECK(rip_json_i64(rip_json_path(r, "a.b.c"), &v) == 0 && v == 3, "access: path a.b.c is 3");
    CHECK(rip_json_path(r, "a.b") == rip_json_get(rip_json_get(r, "a"), "b"),
          "access: path a.b equals two gets");
    CHECK(rip_json_path(r, "a.z") == NULL, "access: path a.z is NULL");
    CHECK(rip_json_path(r, "a.b.c.d") == NULL, "access: path through a number is NULL");
    CHECK(rip_json_path(r, "x.0") == NULL, "access: path does not index arrays");
    CHECK(rip_json_path(r, "x") == x, "access: one-segment path equals get");
    CHECK(rip_json_path(r, "d.e") == NULL, "access: a dotted path never matches a key with a dot");
    CHECK(rip_json_getn(r, "d.e", 3) != NULL, "access: getn finds the key with a dot");
    CHECK(rip_json_str_eq(rip_json_get(r, "key"), "v"), "access: get matches an escaped key");
    CHECK(rip_json_i64(rip_json_get(r, ""), &v) == 0 && v == 1, "access: get the empty key");
    CHECK(rip_json_i64(rip_json_get(r, "dup"), &v) == 0 && v == 1,
          "access: get returns the first of duplicate keys");
    CHECK(rip_json_i64(rip_json_getn(r, "nul\0", 4), &v) == 0 && v == 7,
          "access: getn matches a key with a decoded NUL");
    CHECK(rip_json_get(r, "nul") == NULL, "access: a key with a NUL is not its prefix");
    CHECK(rip_json_get(x, "a") == NULL && rip_json_get(NULL, "a") == NULL,
          "access: get on an array or NULL is NULL");
    CHECK(rip_json_path(NULL, "a") == NULL, "access: path on NULL is NULL");

    int ok = 1;
    for (uint32_t i = 0; i < 3; i++)
        ok &= rip_json_i64(rip_json_at(x, i), &v) == 0 && v == 10 * (int64_t)(i + 1);
    CHECK(ok, "access: at 0..2");
    CHECK(rip_json_at(x, 3) == NULL && rip_json_at(x, UINT32_MAX) == NULL,
          "access: at past the end is NULL");
    CHECK(rip_json_at(r, 0) == NULL && rip_json_at(NULL, 0) == NULL,
          "access: at on an object or NULL is NULL");
    CHECK(rip_json_at(x, 0) == x + 1, "access: the first element is the node after the array");
    CHECK(rip_json_count(x) == 3 && rip_json_count(r) == 8, "access: count of array and object");
    CHECK(rip_json_count(rip_json_get(r, "")) == 0 && rip_json_count(NULL) == 0,
          "access: count of a number or NULL is 0");
    rip_json_doc_release(&d);
}

static void test_each(void)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);

    CHECK(parse_str(&d, "{\"k1\":1,\"k2\":[2,3],\"k3\":{\"z\":null},\"k4\":\"s\"}", NULL) == 0,
          "each: parse object");
    const rip_json_node *r = rip_json_root(&d);
    static const char *const keys[] = { "k1", "k2", "k3", "k4" };
    static const rip_json_type vt[] = { RIP_JSON_NUMBER, RIP_JSON_ARRAY, RIP_JSON_OBJECT,
                                        RIP_JSON_STRING };
    int i = 0, ok = 1;
    RIP_JSON_EACH(k, r) {
        if (i >= 4 || !(k->flags & RIP_JSON_F_KEY) || !rip_json_str_eq(k, keys[i]) ||
            (k + 1)->type != vt[i] || k->skip != 1 + (k + 1)->skip)
            ok = 0;
        i++;
    }
    CHECK(ok && i == 4, "each: object keys in order, value at k+1, key skip covers the value");
    CHECK(r->skip == d.count && r->skip == 13, "each: root skip covers all 13 nodes");

    CHECK(parse_str(&d, "[[1,2],[],{\"a\":[3]},[[[]]],4]", NULL) == 0, "each: parse nested");
    r = rip_json_root(&d);
    static const uint32_t skips[] = { 3, 1, 4, 3, 1 };
    i = 0;
    ok = 1;
    RIP_JSON_EACH(c, r) {
        if (i >= 5 || c->skip != skips[i])
            ok = 0;
        i++;
    }
    CHECK(ok && i == 5, "each: nested elements have subtree skips 3,1,4,3,1");
    int inner = 0;
    RIP_JSON_EACH(c, rip_json_at(r, 0))
        inner++;
    CHECK(inner == 2, "each: inner array has 2 elements");
    int empty = 0;
    RIP_JSON_EACH(c, rip_json_at(r, 1))
        empty++;
    RIP_JSON_EACH(c, rip_json_at(r, 4))
        empty++;
    CHECK(empty == 0, "each: an empty array and a leaf run zero times");
    CHECK(rip_json_at(r, 1)->len == 2 && rip_json_at(r, 0)->len > 2,
          "each: len tells an empty container from a full one");
    const rip_json_node *o = rip_json_at(r, 2);
    const rip_json_node *a3 = rip_json_get(o, "a");
    CHECK(a3 == o + 2 && rip_json_count(a3) == 1, "each: value of the only member is obj+2");

    CHECK(parse_str(&d, "{ }", NULL) == 0, "each: parse empty object");
    empty = 0;
    RIP_JSON_EACH(c, rip_json_root(&d))
        empty++;
    CHECK(empty == 0 && rip_json_count(rip_json_root(&d)) == 0, "each: empty object runs zero times");
    rip_json_doc_release(&d);
}

static void test_text(void)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    const char *src = "{\"s\":\"a\\nb\",\"arr\":[1, 2 ,\n3],\"o\":{ \"x\" : {} } }";
    CHECK(parse_str(&d, src, NULL) == 0, "text: parse");
    const rip_json_node *r = rip_json_root(&d);
    CHECK(SLICE_IS(rip_json_text(rip_json_get(r, "s")), "\"a\\nb\""),
          "text: a string's text is raw, with its quotes");
    CHECK(SLICE_IS(rip_json_text(rip_json_get(r, "arr")), "[1, 2 ,\n3]"),
          "text: an array's text spans its brackets");
    CHECK(SLICE_IS(rip_json_text(rip_json_get(r, "o")), "{ \"x\" : {} }"),
          "text: an object's text spans its braces");
    CHECK(rip_json_text(r).ptr == src && rip_json_text(r).len == strlen(src),
          "text: the root's text is the whole input, zero-copy");
    CHECK(SLICE_IS(rip_json_text(r + 1), "\"s\""), "text: a key's text");
    rip_json_doc_release(&d);
}

/* ---- strings ---- */

static void test_strings(void)
{
    static const struct {
        const char *json, *want;
        size_t wantlen;
        const char *name;
    } cases[] = {
#define S(j, w, n) { j, w, sizeof(w) - 1, n }
        S("\"\\n\\\"\\\\\\/\"", "\n\"\\/", "short escapes n \" \\ /"),
        S("\"\\b\\f\\r\\t\"", "\b\f\r\t", "short escapes b f r t"),
        S("\"x\\u00e9y\"", "x\xc3\xa9y", "\\u00e9 to 2-byte UTF-8"),
        S("\"\\u00E9\"", "\xc3\xa9", "upper-case hex digits"),
        S("\"\\u20ac\"", "\xe2\x82\xac", "\\u20ac to 3-byte UTF-8"),
        S("\"\\u0041\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
          "A\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", "UTF-8 length boundaries"),
        S("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80", "surrogate pair to 4-byte UTF-8"),
        S("\"\\uD800\\uDC00\\uDBFF\\uDFFF\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf",
          "lowest and highest surrogate pairs"),
        S("\"\\ud83dx\"", "\xef\xbf\xbdx", "lone high surrogate then a letter is U+FFFD"),
        S("\"a\\ud83d\"", "a\xef\xbf\xbd", "lone high surrogate at the end is U+FFFD"),
        S("\"\\ude00\"", "\xef\xbf\xbd", "lone low surrogate is U+FFFD"),
        S("\"\\ud800\\ud800\"", "\xef\xbf\xbd\xef\xbf\xbd", "two high surrogates are two U+FFFD"),
        S("\"\\ud800\\n\"", "\xef\xbf\xbd\n", "high surrogate then \\n keeps the \\n"),
        S("\"\\ud800\\u0041\"", "\xef\xbf\xbd" "A", "high surrogate then \\u0041 keeps the A"),
        S("\"\\ude00\\ud83d\"", "\xef\xbf\xbd\xef\xbf\xbd", "reversed pair is two U+FFFD"),
        S("\"\\u0000\"", "\0", "\\u0000 is one NUL byte"),
        S("\"a\\u0000b\"", "a\0b", "NUL inside a string"),
        S("\"caf\xc3\xa9 \\\"\xe2\x82\xac\\\"\"", "caf\xc3\xa9 \"\xe2\x82\xac\"",
          "raw UTF-8 kept around escapes"),
#undef S
    };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse_str(&d, cases[i].json, NULL);
        const rip_json_node *n = rip_json_root(&d);
        rip_slice s = rc == 0 ? rip_json_str(&d, n) : RIP_SLICE_NULL;
        CHECK(rc == 0 && (n->flags & RIP_JSON_F_ESCAPED) &&
              slice_is(s, cases[i].want, cases[i].wantlen), "str: %s", cases[i].name);
        rip_buf b = RIP_BUF_INIT;
        rip_buf_adds(&b, "pre");
        rc = rc == 0 ? rip_json_unescape(n->ptr, n->len, &b) : -1;
        CHECK(rc == 0 && b.len == 3 + cases[i].wantlen && memcmp(b.ptr, "pre", 3) == 0 &&
              memcmp(b.ptr + 3, cases[i].want, cases[i].wantlen) == 0 && b.ptr[b.len] == '\0',
              "unescape: %s (appends)", cases[i].name);
        rip_buf_release(&b);
    }

    const char *src = "[\"plain\",\"caf\xc3\xa9\",\"\",\"with\\\\escape\"]";
    CHECK(parse_str(&d, src, NULL) == 0, "str: parse zero-copy cases");
    const rip_json_node *r = rip_json_root(&d);
    rip_slice s0 = rip_json_str(&d, rip_json_at(r, 0));
    rip_slice s1 = rip_json_str(&d, rip_json_at(r, 1));
    rip_slice s2 = rip_json_str(&d, rip_json_at(r, 2));
    rip_slice s3 = rip_json_str(&d, rip_json_at(r, 3));
    CHECK(s0.ptr == src + 2 && s0.len == 5, "str: no escapes is zero-copy (pointer into input)");
    CHECK(s1.ptr == rip_json_at(r, 1)->ptr && SLICE_IS(s1, "caf\xc3\xa9"),
          "str: raw UTF-8 without escapes is zero-copy");
    CHECK(s2.ptr == src + 18 && s2.len == 0, "str: the empty string is present, zero-copy");
    CHECK(SLICE_IS(s3, "with\\escape") && (s3.ptr < src || s3.ptr > src + strlen(src)),
          "str: escaped string is decoded outside the input");
    CHECK(s3.ptr[s3.len] == '\0', "str: a decoded string is NUL-terminated");
    CHECK(!(rip_json_at(r, 0)->flags & RIP_JSON_F_ESCAPED) &&
          (rip_json_at(r, 3)->flags & RIP_JSON_F_ESCAPED), "str: F_ESCAPED flag");
    CHECK(!rip_json_str(&d, r).ptr && !rip_json_str(&d, NULL).ptr,
          "str: non-string and NULL give RIP_SLICE_NULL");
    CHECK(SLICE_IS(s3, "with\\escape"), "str: earlier decoded strings stay valid");

    /* rip_json_str_eq */
    CHECK(parse_str(&d, "[\"ABC\",\"\\u0041BC\",\"\\ud83d\\ude00\",\"\",\"a\\u0000b\",1]", NULL) == 0,
          "str_eq: parse");
    r = rip_json_root(&d);
    CHECK(rip_json_str_eq(rip_json_at(r, 0), "ABC"), "str_eq: plain equal");
    CHECK(!rip_json_str_eq(rip_json_at(r, 0), "AB") && !rip_json_str_eq(rip_json_at(r, 0), "ABCD"),
          "str_eq: plain prefix and extension differ");
    CHECK(rip_json_str_eq(rip_json_at(r, 1), "ABC"), "str_eq: escaped equal");
    CHECK(!rip_json_str_eq(rip_json_at(r, 1), "AB") && !rip_json_str_eq(rip_json_at(r, 1), "ABCD") &&
          !rip_json_str_eq(rip_json_at(r, 1), "\\u0041BC"), "str_eq: escaped differs");
    CHECK(rip_json_str_eq(rip_json_at(r, 2), "\xf0\x9f\x98\x80"), "str_eq: surrogate pair");
    CHECK(rip_json_str_eq(rip_json_at(r, 3), "") && !rip_json_str_eq(rip_json_at(r, 0), ""),
          "str_eq: empty string");
    CHECK(!rip_json_str_eq(rip_json_at(r, 4), "a"), "str_eq: a string with NUL is not its prefix");
    CHECK(!rip_json_str_eq(rip_json_at(r, 5), "1") && !rip_json_str_eq(NULL, ""),
          "str_eq: number and NULL are false");
    rip_json_doc_release(&d);
}

/* ---- numbers ---- */

static void test_numbers(void)
{
    static const struct {
        const char *json;
        int i64rc;
        int64_t i64;
        int f64rc;
        double f64;
    } cases[] = {
        { "0", 0, 0, 0, 0.0 },
        { "-0", 0, 0, 0, -0.0 },
        { "42", 0, 42, 0, 42.0 },
        { "-17", 0, -17, 0, -17.0 },
        { "9223372036854775807", 0, INT64_MAX, 0, 9223372036854775807.0 },
        { "-9223372036854775808", 0, INT64_MIN, 0, -9223372036854775808.0 },
        { "9223372036854775808", RIP_ERANGE, 0, 0, 9223372036854775808.0 },
        { "-9223372036854775809", RIP_ERANGE, 0, 0, -9223372036854775809.0 },
        { "18446744073709551616", RIP_ERANGE, 0, 0, 18446744073709551616.0 },
        { "99999999999999999999", RIP_ERANGE, 0, 0, 1e20 },
        { "1.0", RIP_ERANGE, 0, 0, 1.0 },
        { "1e2", RIP_ERANGE, 0, 0, 100.0 },
        { "-1.5E+3", RIP_ERANGE, 0, 0, -1500.0 },
        { "0.1", RIP_ERANGE, 0, 0, 0.1 },
        { "2.5e-3", RIP_ERANGE, 0, 0, 0.0025 },
        { "1e308", RIP_ERANGE, 0, 0, 1e308 },
        { "1e400", RIP_ERANGE, 0, RIP_ERANGE, 0 },
        { "-1e400", RIP_ERANGE, 0, RIP_ERANGE, 0 },
        { "1e-400", RIP_ERANGE, 0, 0, 0.0 },
        { "123456789012345678901234567890123456789012345678901234567890123456789.5",
          RIP_ERANGE, 0, 0, 123456789012345678901234567890123456789012345678901234567890123456789.5 },
        { "0.000000000000000000000000000000000000000000000000000000000000000000000001",
          RIP_ERANGE, 0, 0, 1e-72 },
    };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = parse_str(&d, cases[i].json, NULL);
        const rip_json_node *n = rip_json_root(&d);
        int64_t iv = 12345;
        double fv = 12345.0;
        int ri = rc == 0 ? rip_json_i64(n, &iv) : -1;
        int rf = rc == 0 ? rip_json_f64(n, &fv) : -1;
        CHECK(ri == cases[i].i64rc && iv == (ri == 0 ? cases[i].i64 : 12345),
              "i64: %s gives %s", cases[i].json, rip_errname(cases[i].i64rc));
        CHECK(rf == cases[i].f64rc && (rf == 0 ? fv == cases[i].f64 &&
                                                     signbit(fv) == signbit(cases[i].f64)
                                               : fv == 12345.0),
              "f64: %s gives %s", cases[i].json, rip_errname(cases[i].f64rc));
    }
    CHECK(parse_str(&d, "[true,\"1\",null]", NULL) == 0, "numbers: parse non-numbers");
    int64_t iv = 5;
    double fv = 5;
    int ok = 1;
    RIP_JSON_EACH(c, rip_json_root(&d))
        ok &= rip_json_i64(c, &iv) == RIP_ETYPE && rip_json_f64(c, &fv) == RIP_ETYPE;
    CHECK(ok && iv == 5 && fv == 5, "numbers: non-numbers give RIP_ETYPE and leave out alone");
    CHECK(rip_json_i64(NULL, &iv) == RIP_ETYPE && rip_json_f64(NULL, &fv) == RIP_ETYPE,
          "numbers: NULL gives RIP_ETYPE");
    rip_json_doc_release(&d);
}

/* ---- prefix parsing ---- */

static void test_prefix(void)
{
    rip_json_doc d;
    rip_json_error e;
    rip_json_doc_init(&d, NULL);
    const char *src = "{\"a\":1} [2]\n3 \"x\"\r\n";
    static const struct { size_t consumed; rip_json_type type; const char *text; } want[] = {
        { 8, RIP_JSON_OBJECT, "{\"a\":1}" },
        { 4, RIP_JSON_ARRAY, "[2]" },
        { 2, RIP_JSON_NUMBER, "3" },
        { 5, RIP_JSON_STRING, "\"x\"" },
    };
    size_t off = 0, len = strlen(src);
    int ok = 1;
    for (size_t i = 0; i < 4; i++) {
        size_t used = 0;
        int rc = rip_json_parse_prefix(&d, src + off, len - off, &used, &e);
        const rip_json_node *r = rip_json_root(&d);
        if (rc != 0 || used != want[i].consumed || r->type != want[i].type ||
            !rip_slice_eq(rip_json_text(r), want[i].text)) {
            ok = 0;
            tap_diag("prefix step %zu: rc %d used %zu", i, rc, used);
        }
        off += used;
    }
    CHECK(ok && off == len, "prefix: four concatenated values with their trailing whitespace");

    size_t used = 99;
    CHECK(rip_json_parse_prefix(&d, "12", 2, &used, NULL) == 0 && used == 2,
          "prefix: a number running to the end is consumed whole");
    used = 99;
    CHECK(rip_json_parse_prefix(&d, "1 2", 3, &used, NULL) == 0 && used == 2,
          "prefix: stops after the first number and its whitespace");
    used = 99;
    CHECK(rip_json_parse_prefix(&d, "[1]x", 4, &used, NULL) == 0 && used == 3,
          "prefix: stops before trailing garbage");
    CHECK(rip_json_parse_prefix(&d, "[1]", 3, NULL, NULL) == 0,
          "prefix: consumed may be NULL");
    used = 99;
    CHECK(rip_json_parse_prefix(&d, " \n ", 3, &used, &e) == RIP_ETRUNC && used == 99 &&
          e.code == RIP_ETRUNC && e.offset == 3, "prefix: only whitespace is ETRUNC, consumed untouched");
    used = 99;
    CHECK(rip_json_parse_prefix(&d, "[1,]{}", 6, &used, &e) == RIP_ESYNTAX && used == 99 &&
          e.offset == 3 && rip_json_root(&d) == NULL, "prefix: a bad first value is an error");
    CHECK(rip_json_parse(&d, "[1] [2]", 7, &e) == RIP_ESYNTAX && e.offset == 4,
          "prefix: rip_json_parse rejects the same concatenation at the second value");
    rip_json_doc_release(&d);
}

/* ---- limits ---- */

static void test_limits(void)
{
    rip_json_doc d;
    rip_json_error e;
    rip_json_limits lim = rip_json_default_limits;

    CHECK(lim.max_size == (size_t)256 << 20 && lim.max_depth == 256 &&
          lim.max_members == 4u << 20 && lim.max_nodes == 32u << 20,
          "limits: documented defaults");

    lim.max_size = 10;
    rip_json_doc_init(&d, &lim);
    CHECK(parse_str(&d, "[1,2,3,44]", &e) == 0, "limits: max_size 10 accepts 10 bytes");
    int rc = parse_str(&d, "[1,2,3,4,5]", &e);
    CHECK(rc == RIP_ELIMIT && e.code == RIP_ELIMIT && e.offset == 10 && e.line == 1 &&
          e.column == 11 && strstr(e.msg, "size"), "limits: max_size 10 rejects 11 bytes at offset 10 (%s)",
          e.msg);
    rip_json_doc_release(&d);

    lim = rip_json_default_limits;
    lim.max_depth = 3;
    rip_json_doc_init(&d, &lim);
    CHECK(parse_str(&d, "[[[1]]]", &e) == 0, "limits: max_depth 3 accepts depth 3");
    rc = parse_str(&d, "[[[[1]]]]", &e);
    CHECK(rc == RIP_ELIMIT && e.offset == 3 && strstr(e.msg, "depth"),
          "limits: max_depth 3 rejects the 4th '[' at offset 3 (got %zu: %s)", e.offset, e.msg);
    const char *deep = "{\"a\":[{\"b\":{\"c\":1}}]}";
    rc = parse_str(&d, deep, &e);
    CHECK(rc == RIP_ELIMIT && e.offset == (size_t)(strstr(deep, "{\"c\"") - deep),
          "limits: max_depth 3 rejects the 4th container of mixed nesting at its '{'");
    CHECK(parse_str(&d, "[[],[[]],{\"a\":[]}]", &e) == 0,
          "limits: depth counts nesting, not the number of containers");
    rip_json_doc_release(&d);

    lim = rip_json_default_limits;
    lim.max_members = 3;
    rip_json_doc_init(&d, &lim);
    CHECK(parse_str(&d, "[1,2,3]", &e) == 0 && parse_str(&d, "{\"a\":1,\"b\":2,\"c\":3}", &e) == 0,
          "limits: max_members 3 accepts 3 elements and 3 members");
    CHECK(parse_str(&d, "[[1,2,3],[4,5,6],[7,8,9]]", &e) == 0,
          "limits: max_members is per container");
    rc = parse_str(&d, "[1,2,3,4]", &e);
    CHECK(rc == RIP_ELIMIT && strstr(e.msg, "member"), "limits: max_members 3 rejects 4 elements (%s)",
          e.msg);
    CHECK(rc == RIP_ELIMIT && (e.offset == 7 || e.offset == 8),
          "limits: the 4th element's error is at it (offset %zu)", e.offset);
    const char *obj = "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}";
    rc = parse_str(&d, obj, &e);
    size_t at_d = (size_t)(strstr(obj, "\"d\"") - obj);
    CHECK(rc == RIP_ELIMIT && e.offset >= at_d && e.offset <= at_d + 5,
          "limits: max_members 3 rejects the 4th member near it (offset %zu)", e.offset);
    /* The error names the member that is one too many, not the end of it. */
    const char *nested = "{\"a\":1,\"b\":2,\"c\":3,\"d\":{\"x\":[1,2]}}";
    rc = parse_str(&d, nested, &e);
    at_d = (size_t)(strstr(nested, "\"d\"") - nested);
    CHECK(rc == RIP_ELIMIT && e.offset == at_d,
          "limits: max_members 3 rejects a 4th member that is a container at its start "
          "(offset %zu, got %zu)", at_d, e.offset);
    rip_json_doc_release(&d);

    lim = rip_json_default_limits;
    lim.max_nodes = 4;
    rip_json_doc_init(&d, &lim);
    CHECK(parse_str(&d, "[1,2,3]", &e) == 0 && d.count == 4, "limits: max_nodes 4 accepts 4 nodes");
    rc = parse_str(&d, "[1,2,3,4]", &e);
    CHECK(rc == RIP_ELIMIT && e.offset == 7 && strstr(e.msg, "node"),
          "limits: max_nodes 4 rejects the 5th node at offset 7 (got %zu: %s)", e.offset, e.msg);
    rc = parse_str(&d, "{\"a\":{\"b\":1}}", &e);
    CHECK(rc == RIP_ELIMIT && e.offset == 10, "limits: a key counts as a node (offset %zu)", e.offset);
    CHECK(parse_str(&d, "[1,2,3]", &e) == 0, "limits: the document is usable after a limit error");
    rip_json_doc_release(&d);

    /* A caller's "no limit" depth must not overflow the stack's size. */
    lim = rip_json_default_limits;
    lim.max_depth = UINT32_MAX;
    rip_json_doc_init(&d, &lim);
    char deep300[600];
    memset(deep300, '[', 300);
    memset(deep300 + 300, ']', 300);
    CHECK(rip_json_parse(&d, deep300, 600, &e) == 0 && d.count == 300,
          "limits: max_depth UINT32_MAX parses 300 levels");
    rip_json_doc_release(&d);
    lim.max_depth = 0;
    rip_json_doc_init(&d, &lim);
    CHECK(parse_str(&d, "1", &e) == 0 && parse_str(&d, "[]", &e) == RIP_ELIMIT && e.offset == 0,
          "limits: max_depth 0 allows only scalars");
    rip_json_doc_release(&d);

    /* The default depth limit: 256 accepted, 257 rejected. */
    rip_json_doc_init(&d, NULL);
    char nest[600];
    memset(nest, '[', 257);
    memset(nest + 257, ']', 257);
    CHECK(rip_json_parse(&d, nest + 1, 512, &e) == 0, "limits: default depth accepts 256 levels");
    rc = rip_json_parse(&d, nest, 514, &e);
    CHECK(rc == RIP_ELIMIT && e.offset == 256, "limits: default depth rejects level 257 at offset 256");
    rip_json_doc_release(&d);
}

/* ---- errors ---- */

static void test_errors(void)
{
    static const struct {
        const char *src;
        int code;
        size_t offset;
        uint32_t line, column;
        const char *msg;   /* a word the message must contain */
    } cases[] = {
        { "{\"a\":1,}", RIP_ESYNTAX, 7, 1, 8, "key" },
        { "{\n  \"a\": 1,\n  \"b\": tru\n}", RIP_ESYNTAX, 19, 3, 8, "value" },
        { "[\r\n1,\r\n x]", RIP_ESYNTAX, 8, 3, 2, "value" },
        { "[1 2]", RIP_ESYNTAX, 3, 1, 4, "','" },
        { "{\"a\" 1}", RIP_ESYNTAX, 5, 1, 6, "':'" },
        { "{\"a\":1 \"b\":2}", RIP_ESYNTAX, 7, 1, 8, "'}'" },
        { "{1:2}", RIP_ESYNTAX, 1, 1, 2, "key" },
        { "[1,]", RIP_ESYNTAX, 3, 1, 4, "value" },
        { "\"abc", RIP_ETRUNC, 4, 1, 5, "unterminated" },
        { "", RIP_ETRUNC, 0, 1, 1, "end of input" },
        { "  \n", RIP_ETRUNC, 3, 2, 1, "end of input" },
        { "[1,2", RIP_ETRUNC, 4, 1, 5, "unterminated" },
        { "{\"a\":", RIP_ETRUNC, 5, 1, 6, "value" },
        { "\"\\x\"", RIP_ESYNTAX, 2, 1, 3, "escape" },
        { "\"\\u12g4\"", RIP_ESYNTAX, 5, 1, 6, "hexadecimal" },
        { "\"a\xff\"", RIP_EUTF8, 2, 1, 3, "UTF-8" },
        { "\"a\tb\"", RIP_ESYNTAX, 2, 1, 3, "control" },
        { "01", RIP_ESYNTAX, 1, 1, 2, "after" },
        { "-", RIP_ETRUNC, 1, 1, 2, "digit" },
        { "-a", RIP_ESYNTAX, 1, 1, 2, "digit" },
        { "1.e5", RIP_ESYNTAX, 2, 1, 3, "decimal" },
        { "1e", RIP_ETRUNC, 2, 1, 3, "exponent" },
        { "nul", RIP_ETRUNC, 3, 1, 4, "end of input" },   /* a literal cut short is truncation */
        { "[\xff]", RIP_EUTF8, 1, 1, 2, "UTF-8" },
        { "\xef\xbb\xbf{}", RIP_ESYNTAX, 0, 1, 1, "value" },
        { "é\n\n   @", RIP_ESYNTAX, 0, 1, 1, "value" },
        { "[\n\n\n   @]", RIP_ESYNTAX, 7, 4, 4, "value" },
    };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rip_json_error e;
        memset(&e, 0x55, sizeof(e));
        int rc = parse_str(&d, cases[i].src, &e);
        int ok = rc == cases[i].code && e.code == rc && e.offset == cases[i].offset &&
                 e.line == cases[i].line && e.column == cases[i].column &&
                 strstr(e.msg, cases[i].msg) != NULL && rip_json_root(&d) == NULL;
        CHECK(ok, "error: case %zu gives %s at %zu (%u:%u) mentioning \"%s\" (got %s at %zu (%u:%u) \"%s\")",
              i, rip_errname(cases[i].code), cases[i].offset, cases[i].line, cases[i].column,
              cases[i].msg, rip_errname(rc), e.offset, e.line, e.column,
              memchr(e.msg, 0, sizeof(e.msg)) ? e.msg : "?");
    }
    CHECK(parse_str(&d, "[", NULL) == RIP_ETRUNC, "error: err may be NULL");
    CHECK(rip_json_parse(&d, NULL, 0, NULL) == RIP_ETRUNC, "error: NULL input of length 0 is ETRUNC");
    CHECK(rip_json_parse(&d, "[1]\0", 4, NULL) == RIP_ESYNTAX, "error: a NUL byte after the value");
    rip_json_doc_release(&d);
}

static void test_reuse(void)
{
    rip_json_doc d, d2;
    rip_json_doc_init(&d, NULL);
    rip_json_doc_init(&d2, NULL);
    rip_buf big = RIP_BUF_INIT;
    rip_buf_addc(&big, '[');
    for (int i = 0; i < 3000; i++)
        rip_buf_addf(&big, "%s{\"k\\u0031\":\"v%d\\n\"}", i ? "," : "", i);
    rip_buf_addc(&big, ']');
    CHECK(rip_json_parse(&d, big.ptr, big.len, NULL) == 0 && d.count == 1 + 3000 * 3,
          "reuse: a document of 9001 nodes grows its storage");
    rip_slice last = rip_json_str(&d, rip_json_get(rip_json_at(rip_json_root(&d), 2999), "k1"));
    CHECK(SLICE_IS(last, "v2999\n"), "reuse: decoded string in the big document");

    CHECK(parse_str(&d, "{\"a\":\"\\u0041\"}", NULL) == 0 && d.count == 3,
          "reuse: a second parse into the same document");
    CHECK(rip_json_str_eq(rip_json_get(rip_json_root(&d), "a"), "A") &&
          SLICE_IS(rip_json_str(&d, rip_json_get(rip_json_root(&d), "a")), "A"),
          "reuse: the second document's values");
    CHECK(parse_str(&d, "[1,", NULL) < 0 && rip_json_root(&d) == NULL && d.count == 0,
          "reuse: a failed parse leaves no root");
    CHECK(parse_str(&d, "7", NULL) == 0 && rip_json_is(rip_json_root(&d), RIP_JSON_NUMBER),
          "reuse: parsing works after a failure");

    CHECK(rip_json_parse(&d, big.ptr, big.len, NULL) == 0 &&
          rip_json_parse(&d2, big.ptr, big.len, NULL) == 0 &&
          same_tree(&d, rip_json_root(&d), &d2, rip_json_root(&d2)),
          "reuse: a reused document builds the same tree as a fresh one");
    rip_buf_release(&big);
    rip_json_doc_release(&d);
    rip_json_doc_release(&d2);
}

/* ---- writer ---- */

static void test_writer_calls(void)
{
    rip_buf b = RIP_BUF_INIT;
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "s");
    rip_jw_str(&w, "x");
    rip_jw_keyn(&w, "nn", 1);
    rip_jw_strn(&w, "a\0b", 3);
    rip_jw_key(&w, "null");
    rip_jw_str(&w, NULL);
    rip_jw_key(&w, "sl");
    rip_jw_slice(&w, RIP_SLICE_LIT("yz"));
    rip_jw_key(&w, "abs");
    rip_jw_slice(&w, RIP_SLICE_NULL);
    rip_jw_key(&w, "empty");
    rip_jw_slice(&w, rip_slice_make("", 0));
    rip_jw_key(&w, "i");
    rip_jw_arr_begin(&w);
    rip_jw_i64(&w, INT64_MIN);
    rip_jw_i64(&w, 0);
    rip_jw_i64(&w, INT64_MAX);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "u");
    rip_jw_u64(&w, UINT64_MAX);
    rip_jw_key(&w, "f");
    rip_jw_arr_begin(&w);
    rip_jw_f64(&w, 0.1);
    rip_jw_f64(&w, 100.0);
    rip_jw_f64(&w, -0.0);
    rip_jw_f64(&w, 1.0 / 3.0);
    rip_jw_f64(&w, 1e300);
    rip_jw_f64(&w, NAN);
    rip_jw_f64(&w, INFINITY);
    rip_jw_f64(&w, -INFINITY);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "b");
    rip_jw_arr_begin(&w);
    rip_jw_bool(&w, true);
    rip_jw_bool(&w, false);
    rip_jw_null(&w);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "raw");
    rip_jw_raw(&w, "{\"r\": [1, 2]}", 13);
    rip_jw_key(&w, "nest");
    rip_jw_arr_begin(&w);
    rip_jw_arr_begin(&w);
    rip_jw_arr_end(&w);
    rip_jw_obj_begin(&w);
    rip_jw_obj_end(&w);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "k");
    rip_jw_arr_begin(&w);
    rip_jw_obj_begin(&w);
    rip_jw_obj_end(&w);
    rip_jw_arr_end(&w);
    rip_jw_obj_end(&w);
    rip_jw_arr_end(&w);
    rip_jw_obj_end(&w);
    const char *want =
        "{\"s\":\"x\",\"n\":\"a\\u0000b\",\"null\":null,\"sl\":\"yz\",\"abs\":null,\"empty\":\"\","
        "\"i\":[-9223372036854775808,0,9223372036854775807],\"u\":18446744073709551615,"
        "\"f\":[0.1,100,-0,0.33333333333333331,1e+300,null,null,null],"
        "\"b\":[true,false,null],\"raw\":{\"r\": [1, 2]},\"nest\":[[],{},{\"k\":[{}]}]}";
    CHECK(rip_jw_finish(&w) == 0, "writer: every call, finish 0");
    if (!CHECK(strcmp(b.ptr, want) == 0, "writer: every call writes compact JSON"))
        tap_diag("got  %s\n# want %s", b.ptr, want);
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    CHECK(rip_json_parse(&d, b.ptr, b.len, NULL) == 0, "writer: the output parses");
    double f = 0;
    CHECK(rip_json_f64(rip_json_at(rip_json_get(rip_json_root(&d), "f"), 3), &f) == 0 &&
          f == 1.0 / 3.0, "writer: f64 reads back exactly");
    rip_json_doc_release(&d);

    /* A scalar at the top level, and a reinitialised writer for the next. */
    rip_buf_reset(&b);
    rip_jw_init(&w, &b);
    rip_jw_str(&w, "top");
    CHECK(rip_jw_finish(&w) == 0 && strcmp(b.ptr, "\"top\"") == 0, "writer: a top-level string");
    rip_jw_init(&w, &b);
    rip_jw_i64(&w, 5);
    CHECK(rip_jw_finish(&w) == 0 && strcmp(b.ptr, "\"top\"5") == 0,
          "writer: rip_jw_init starts a new value after the buffer's contents");
    rip_buf_release(&b);
}

static void test_writer_escaping(void)
{
    rip_buf b = RIP_BUF_INIT;
    char all[32];
    for (int i = 0; i < 32; i++)
        all[i] = (char)i;
    CHECK(rip_json_quote(&b, all, 32) == 0, "quote: control characters");
    const char *want =
        "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f"
        "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c"
        "\\u001d\\u001e\\u001f\"";
    if (!CHECK(strcmp(b.ptr, want) == 0, "quote: every control character is escaped"))
        tap_diag("got  %s", b.ptr);

    static const struct { const char *in; size_t len; const char *want; const char *name; } cases[] = {
#define Q(in, want, name) { in, sizeof(in) - 1, want, name }
        Q("a\"b\\c/d\x7f", "\"a\\\"b\\\\c/d\\u007f\"", "quote, backslash, DEL; slash kept"),
        Q("", "\"\"", "empty string"),
        Q("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
          "valid UTF-8 passes through"),
        Q("a\xff" "b", "\"a\xef\xbf\xbd" "b\"", "0xff is U+FFFD"),
        Q("\xc3", "\"\xef\xbf\xbd\"", "truncated 2-byte sequence at the end"),
        Q("\xc3(", "\"\xef\xbf\xbd(\"", "bad continuation byte"),
        Q("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong '/' is two U+FFFD"),
        Q("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "UTF-8 surrogate is U+FFFD each byte"),
        Q("\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "above U+10FFFF"),
        Q("\x80", "\"\xef\xbf\xbd\"", "lone continuation byte"),
        Q("\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\"", "truncated 3-byte sequence"),
        Q("\xf0\x9f\x98", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "truncated 4-byte sequence"),
        Q("\xef\xbf\xbf\xf4\x8f\xbf\xbf", "\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\"", "U+FFFF and U+10FFFF kept"),
#undef Q
    };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rip_buf_reset(&b);
        rip_buf_adds(&b, "<");
        int rc = rip_json_quote(&b, cases[i].in, cases[i].len);
        int ok = rc == 0 && b.ptr[0] == '<' && strcmp(b.ptr + 1, cases[i].want) == 0;
        ok = ok && rip_json_parse(&d, b.ptr + 1, b.len - 1, NULL) == 0;
        CHECK(ok, "quote: %s (appends; output parses)", cases[i].name);
    }
    /* Through the writer the same escaping applies to keys. */
    rip_buf_reset(&b);
    rip_jw w;
    rip_jw_init(&w, &b);
    rip_jw_obj_begin(&w);
    rip_jw_keyn(&w, "k\"\n\xff", 4);
    rip_jw_str(&w, "\x7f");
    rip_jw_obj_end(&w);
    CHECK(rip_jw_finish(&w) == 0 && strcmp(b.ptr, "{\"k\\\"\\n\xef\xbf\xbd\":\"\\u007f\"}") == 0,
          "writer: keys are escaped as strings are");

    /* Every byte value at every position of a 24-byte ASCII run: the
     * word-at-a-time scan must stop for each one wherever it falls. */
    int bad = 0;
    for (int c = 0; c < 256 && !bad; c++) {
        for (int pos = 0; pos < 24 && !bad; pos++) {
            char in[24], want1[64];
            memset(in, 'x', sizeof(in));
            in[pos] = (char)c;
            rip_buf_reset(&b);
            rip_json_quote(&b, in, sizeof(in));
            /* The reference: one byte alone, quoted, between the x's. */
            rip_buf one = RIP_BUF_INIT;
            rip_json_quote(&one, in + pos, 1);
            snprintf(want1, sizeof(want1), "\"%.*s%.*s%.*s\"", pos, in, (int)one.len - 2,
                     one.ptr + 1, 23 - pos, in + pos + 1);
            bad = strcmp(b.ptr, want1) != 0;
            if (bad)
                tap_diag("byte 0x%02x at %d: got %s want %s", c, pos, b.ptr, want1);
            rip_buf_release(&one);
        }
    }
    CHECK(!bad, "quote: each byte value at each position of a long run is escaped alike");

    /* A capped buffer: quote fails whole and leaves the buffer as it was. */
    rip_buf small;
    rip_buf_init(&small, 8);
    rip_buf_adds(&small, "ab");
    int rc = rip_json_quote(&small, "0123456789", 10);
    CHECK(rc == RIP_ELIMIT && small.len == 2 && strcmp(small.ptr, "ab") == 0,
          "quote: over the cap fails and leaves the buffer unchanged");
    rc = rip_json_quote(&small, "\x01\x01", 2);
    CHECK(rc == RIP_ELIMIT && small.len == 2 && strcmp(small.ptr, "ab") == 0,
          "quote: escapes growing past the cap fail and leave the buffer unchanged");
    rip_buf_release(&small);
    rip_json_doc_release(&d);
    rip_buf_release(&b);
}

static void test_writer_errors(void)
{
    rip_buf b;
    rip_jw w;

    /* Sticky: after the cap is hit nothing more is written. */
    rip_buf_init(&b, 16);
    rip_jw_init(&w, &b);
    rip_jw_arr_begin(&w);
    rip_jw_str(&w, "0123456789abcdef");
    size_t len_at_error = b.len;
    rip_jw_i64(&w, 1);
    rip_jw_str(&w, "x");
    rip_jw_arr_end(&w);
    CHECK(rip_jw_finish(&w) == RIP_ELIMIT, "writer: a cap error is returned by finish");
    CHECK(b.len == len_at_error && strcmp(b.ptr, "[") == 0,
          "writer: after an error every call is a no-op (buffer '%s')", b.ptr);
    rip_buf_release(&b);

    static const struct { const char *name; int steps[6]; int want; } misuse[] = {
        /* 1 arr_begin, 2 arr_end, 3 obj_begin, 4 obj_end, 5 key, 6 int, 0 end */
        { "unclosed array", { 1, 6, 0 }, RIP_EINVAL },
        { "unclosed object", { 3, 0 }, RIP_EINVAL },
        { "key without a value", { 3, 5, 0 }, RIP_EINVAL },
        { "close after a key", { 3, 5, 4, 0 }, RIP_EINVAL },
        { "close at the top level", { 2, 0 }, RIP_EINVAL },
        { "key at the top level", { 5, 6, 0 }, RIP_EINVAL },
        { "two keys in a row", { 3, 5, 5, 6, 4, 0 }, RIP_EINVAL },
        { "two top-level values", { 6, 6, 0 }, RIP_EINVAL },
        { "error stays after closing", { 2, 1, 2, 0 }, RIP_EINVAL },
        { "array closed with obj_end", { 1, 4, 0 }, RIP_EINVAL },
        { "object closed with arr_end", { 3, 2, 0 }, RIP_EINVAL },
        { "key in an array", { 1, 5, 6, 2, 0 }, RIP_EINVAL },
        { "value without a key in an object", { 3, 6, 4, 0 }, RIP_EINVAL },
        { "balanced", { 3, 5, 1, 2, 4, 0 }, 0 },
    };
    for (size_t i = 0; i < sizeof(misuse) / sizeof(misuse[0]); i++) {
        rip_buf_init(&b, 0);
        rip_jw_init(&w, &b);
        for (int s = 0; s < 6 && misuse[i].steps[s]; s++) {
            switch (misuse[i].steps[s]) {
            case 1: rip_jw_arr_begin(&w); break;
            case 2: rip_jw_arr_end(&w); break;
            case 3: rip_jw_obj_begin(&w); break;
            case 4: rip_jw_obj_end(&w); break;
            case 5: rip_jw_key(&w, "k"); break;
            case 6: rip_jw_i64(&w, 1); break;
            }
        }
        int rc = rip_jw_finish(&w);
        CHECK(rc == misuse[i].want, "writer: %s gives %s (got %s)", misuse[i].name,
              rip_errname(misuse[i].want), rip_errname(rc));
        rip_buf_release(&b);
    }

    /* Depth: the parser's default depth (256) must be writable. */
    rip_buf_init(&b, 0);
    rip_jw_init(&w, &b);
    for (int i = 0; i < 255; i++)
        rip_jw_arr_begin(&w);
    for (int i = 0; i < 255; i++)
        rip_jw_arr_end(&w);
    CHECK(rip_jw_finish(&w) == 0 && b.len == 510, "writer: 255 nested arrays");
    rip_buf_reset(&b);
    rip_jw_init(&w, &b);
    for (int i = 0; i < RIP_JW_MAX_DEPTH + 1; i++)
        rip_jw_arr_begin(&w);
    CHECK(rip_jw_finish(&w) == RIP_ELIMIT, "writer: nesting past RIP_JW_MAX_DEPTH is ELIMIT");
    rip_buf_release(&b);

    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    char nest[512];
    memset(nest, '[', 256);
    memset(nest + 256, ']', 256);
    rip_buf_init(&b, 0);
    int rc = rip_json_parse(&d, nest, 512, NULL);
    int wr = rc == 0 ? write_node(&d, rip_json_root(&d), &b) : rc;
    CHECK(rc == 0 && wr == 0 && b.len == 512,
          "writer: rip_jw_node re-serializes a document at the parser's default depth 256 "
          "(parse %s, write %s)", rip_errname(rc), rip_errname(wr));
    rip_buf_release(&b);
    rip_json_doc_release(&d);
}

static void test_writer_roundtrip(void)
{
    const char *src =
        " { \"Records\" : [ {\"eventName\":\"Get\\u004fbject\", \"n\": -1.50e+3, \"i\": 0,\n"
        "  \"esc\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f\", \"u\":\"\\ud83d\\ude00 \xc3\xa9\","
        "  \"lone\":\"\\udc00\", \"nul\":\"a\\u0000\", \"t\":true, \"f\":false, \"z\":null,"
        "  \"e\":[], \"o\":{}, \"k\\u00e9y\":[[1],[2,[3]]] } ], \"\":\"\" } ";
    const char *want =
        "{\"Records\":[{\"eventName\":\"GetObject\",\"n\":-1.50e+3,\"i\":0,"
        "\"esc\":\"\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f\",\"u\":\"\xf0\x9f\x98\x80 \xc3\xa9\","
        "\"lone\":\"\xef\xbf\xbd\",\"nul\":\"a\\u0000\",\"t\":true,\"f\":false,\"z\":null,"
        "\"e\":[],\"o\":{},\"k\xc3\xa9y\":[[1],[2,[3]]]}],\"\":\"\"}";
    rip_json_doc d, d2;
    rip_buf b = RIP_BUF_INIT, b2 = RIP_BUF_INIT;
    rip_json_doc_init(&d, NULL);
    rip_json_doc_init(&d2, NULL);
    CHECK(parse_str(&d, src, NULL) == 0, "roundtrip: parse");
    CHECK(write_node(&d, rip_json_root(&d), &b) == 0, "roundtrip: write");
    if (!CHECK(strcmp(b.ptr, want) == 0, "roundtrip: compact output with normalized escapes"))
        tap_diag("got  %s", b.ptr);
    CHECK(rip_json_parse(&d2, b.ptr, b.len, NULL) == 0 &&
          same_tree(&d, rip_json_root(&d), &d2, rip_json_root(&d2)),
          "roundtrip: parse → write → parse gives an equal tree");
    CHECK(write_node(&d2, rip_json_root(&d2), &b2) == 0 && strcmp(b.ptr, b2.ptr) == 0,
          "roundtrip: writing the re-parsed tree gives the same bytes");

    /* A subtree, and raw text of a node. */
    const rip_json_node *rec = rip_json_at(rip_json_get(rip_json_root(&d), "Records"), 0);
    CHECK(write_node(&d, rip_json_get(rec, "k\xc3\xa9y"), &b) == 0 &&
          strcmp(b.ptr, "[[1],[2,[3]]]") == 0, "roundtrip: a subtree is written alone");
    rip_jw w;
    rip_buf_reset(&b);
    rip_jw_init(&w, &b);
    rip_jw_arr_begin(&w);
    rip_slice t = rip_json_text(rip_json_get(rec, "esc"));
    rip_jw_raw(&w, t.ptr, t.len);
    rip_jw_node(&w, &d, rip_json_get(rec, "o"));
    rip_jw_arr_end(&w);
    if (!CHECK(rip_jw_finish(&w) == 0 &&
               strcmp(b.ptr, "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u0001\\u007f\",{}]") == 0,
               "roundtrip: rip_jw_raw copies a string's text verbatim"))
        tap_diag("got  %s", b.ptr);
    rip_buf_release(&b);
    rip_buf_release(&b2);
    rip_json_doc_release(&d);
    rip_json_doc_release(&d2);
}

/* ---- strings across the scan window ----
 *
 * The parser finds the end of a plain string run from a bitmap of the
 * special bytes (quote, backslash, control, non-ASCII) of a 64-byte window,
 * reused while the next string starts inside it (json-parse.c,
 * scan_plain_win), and near the end of the input from a 16-byte scan. Here a
 * string S of every length up to 150 bytes, shifted across a window by
 * leading whitespace, with an escape, a two-byte UTF-8 character or a raw
 * control byte at each position, sits in {"S":["T","S"]}: as a key and as a
 * value at other places in the window, after a string T of another length.
 * Each document lies in a heap block of exactly its size (a read past its
 * end is an ASan error), and the nodes or the error must be those its
 * construction says. A count of failures keeps this to a few tap lines. */

enum { W_PLAIN, W_ESCAPE, W_UTF8, W_CONTROL };

/* Parses the len bytes at src from an exact-size copy. */
static int parse_exact(rip_json_doc *d, const char *src, size_t len, rip_json_error *e)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        return RIP_ENOMEM;
    memcpy(copy, src, len);
    int rc = rip_json_parse(d, copy, len, e);
    if (rc != 0)   /* on success d->src is the copy; the caller frees it */
        free(copy);
    return rc;
}

static void test_string_windows(void)
{
    static const unsigned leads[] = { 0, 1, 13, 31, 50, 63 };
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_buf doc = RIP_BUF_INIT;
    char str[160], t[128];
    unsigned docs = 0, wrong = 0, truncs = 0, wrong_trunc = 0;
    char first[200] = "";
    for (size_t li = 0; li < sizeof(leads) / sizeof(leads[0]); li++) {
        for (unsigned len = 0; len <= 150; len++) {
            unsigned tlen = (len * 5 + leads[li]) % 97;
            memset(t, 'b', tlen);
            for (int kind = W_PLAIN; kind <= W_CONTROL; kind++) {
                for (unsigned pos = 0; pos < (kind == W_PLAIN ? 1 : len); pos++) {
                    memset(str, 'a', len);
                    if (kind == W_ESCAPE || kind == W_UTF8) {
                        if (pos + 2 > len)
                            continue;
                        memcpy(str + pos, kind == W_ESCAPE ? "\\n" : "\xc3\xa9", 2);
                    } else if (kind == W_CONTROL) {
                        str[pos] = '\x01';
                    }
                    rip_buf_reset(&doc);
                    for (unsigned i = 0; i < leads[li]; i++)
                        rip_buf_addc(&doc, ' ');
                    size_t k_off = doc.len + 2;
                    rip_buf_add(&doc, "{\"", 2);
                    rip_buf_add(&doc, str, len);
                    rip_buf_add(&doc, "\":[\"", 4);
                    size_t t_off = doc.len;
                    rip_buf_add(&doc, t, tlen);
                    rip_buf_add(&doc, "\",\"", 3);
                    size_t v_off = doc.len;
                    rip_buf_add(&doc, str, len);
                    rip_buf_add(&doc, "\"]}", 3);
                    rip_json_error e;
                    int rc = parse_exact(&d, doc.ptr, doc.len, &e);
                    bool ok;
                    docs++;
                    if (kind == W_CONTROL) {
                        ok = rc == RIP_ESYNTAX && e.offset == k_off + pos;
                    } else {
                        uint8_t esc = kind == W_ESCAPE ? RIP_JSON_F_ESCAPED : 0;
                        const rip_json_node *n = d.nodes;
                        const char *base = d.src;
                        ok = rc == 0 && d.count == 5 && n[0].type == RIP_JSON_OBJECT &&
                             n[1].ptr == base + k_off && n[1].len == len &&
                             n[1].flags == (RIP_JSON_F_KEY | esc) &&
                             n[2].type == RIP_JSON_ARRAY && n[2].skip == 3 &&
                             n[3].ptr == base + t_off && n[3].len == tlen && n[3].flags == 0 &&
                             n[4].ptr == base + v_off && n[4].len == len && n[4].flags == esc;
                    }
                    if (rc == 0)
                        free((void *)d.src);
                    if (!ok && wrong++ == 0)
                        snprintf(first, sizeof(first), "lead %u, length %u, kind %d, position %u",
                                 leads[li], len, kind, pos);
                    /* Cut inside the key: the string never ends. */
                    if (kind == W_PLAIN) {
                        for (size_t cut = k_off; cut <= k_off + len; cut++) {
                            truncs++;
                            rc = parse_exact(&d, doc.ptr, cut, &e);
                            if (rc == 0)
                                free((void *)d.src);
                            if (rc != RIP_ETRUNC || e.offset != cut)
                                wrong_trunc++;
                        }
                    }
                }
            }
        }
    }
    CHECK(wrong == 0, "%u documents with strings across the scan window give their nodes or "
          "error (%u wrong%s%s)", docs, wrong, wrong ? "; first: " : "", first);
    CHECK(wrong_trunc == 0, "%u documents cut inside a string end in 'unterminated' at "
          "their end (%u wrong)", truncs, wrong_trunc);
    rip_buf_release(&doc);
    rip_json_doc_release(&d);
}

int main(void)
{
    test_kinds();
    test_access();
    test_each();
    test_text();
    test_strings();
    test_numbers();
    test_prefix();
    test_limits();
    test_errors();
    test_string_windows();
    test_reuse();
    test_writer_calls();
    test_writer_escaping();
    test_writer_errors();
    test_writer_roundtrip();
    return tap_done();
}
