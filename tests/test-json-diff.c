/* test-json-diff.c — riposte's parser against cJSON over the whole corpus.
 *
 * Every file under the corpus root whose name ends in .json, and every line
 * of every .jsonl file, is parsed by both. Where cJSON accepts, riposte
 * must accept and build the same tree: same types, object members in order
 * with the same decoded keys, strings byte-equal after decoding (cJSON stops
 * a string at a decoded NUL, so such strings are not compared), numbers
 * equal as doubles (rip_json_f64 against valuedouble; both use strtod, so
 * only a tolerance of one part in 10^15 beyond 2^53). Where cJSON rejects,
 * riposte must reject too, unless the document is one of the known
 * differences below, each named in the tap line:
 *
 * cJSON 1.7.15 is more lenient than RFC 8259 (it accepts, riposte rejects):
 *   - it does not validate UTF-8, in strings or outside them;
 *   - it accepts raw control characters (0x00-0x1F) inside strings;
 *   - it does not check that the 4 characters after \u are hex digits;
 *   - it takes every byte <= 0x20 as whitespace (\f, \v, NUL, ...);
 *   - it skips a UTF-8 byte order mark before the value;
 *   - it reads numbers with strtod over the run of [0-9+-.eE], so "01",
 *     "-01", "1." and "2.e3" pass;
 *   - its nesting limit is 1000, riposte's default is 256.
 * cJSON is stricter in two places (it rejects, riposte accepts):
 *   - a \u escape of a lone UTF-16 surrogate fails the whole document;
 *     RFC 8259 allows it and riposte decodes it to U+FFFD (json.h);
 *   - it copies a number into a 64-byte buffer, so a number of 64 or more
 *     characters is cut and the rest is a syntax error.
 *
 * One tap line per file; a .jsonl file's lines are aggregated into one line
 * that reports the first mismatch with its line number and JSON path. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tap.h"
#include "util/err.h"
#include "util/json.h"

/* ---- reading files ---- */

/* Reads path into a malloc'ed buffer (NUL-terminated for convenience;
 * each document is copied to an exact-size allocation before parsing). */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rip_buf b = RIP_BUF_INIT;
    char chunk[65536];
    size_t n;
    int ok = 1;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (rip_buf_add(&b, chunk, n) < 0)
            ok = 0;
    ok = ok && !ferror(f);
    fclose(f);
    if (!ok) {
        rip_buf_release(&b);
        return NULL;
    }
    if (b.len == 0)
        rip_buf_grow(&b, 1);
    return rip_buf_take(&b, len);
}

/* ---- the known differences ---- */

static bool json_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool num_char(char c)
{
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || c == 'e' || c == 'E';
}

/* RFC 8259 number grammar over exactly s[0..n). */
static bool json_number_ok(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-')
        i++;
    if (i >= n || s[i] < '0' || s[i] > '9')
        return false;
    if (s[i] == '0')
        i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        if (i >= n || s[i] < '0' || s[i] > '9')
            return false;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
    }
    return i == n;
}

/* Why riposte may reject a document that cJSON accepts, or NULL when no
 * known cJSON leniency explains riposte's error e. */
static const char *cjson_leniency(const char *src, size_t len, const rip_json_error *e)
{
    if (e->code == RIP_EUTF8)
        return "cJSON does not validate UTF-8";
    if (e->code == RIP_ELIMIT && strstr(e->msg, "depth"))
        return "cJSON's nesting limit is 1000, riposte's 256";
    if (strstr(e->msg, "control character"))
        return "cJSON accepts raw control characters in strings";
    if (strstr(e->msg, "hexadecimal"))
        return "cJSON does not check the hex digits of \\u escapes";
    if (e->offset == 0 && len >= 3 && memcmp(src, "\xef\xbb\xbf", 3) == 0)
        return "cJSON skips a UTF-8 byte order mark";
    if (e->offset < len && (uint8_t)src[e->offset] <= 0x20 && !json_ws((uint8_t)src[e->offset]))
        return "cJSON takes every byte <= 0x20 as whitespace";
    /* A run of number characters around the error that strtod reads but
     * the JSON grammar does not. */
    size_t s = e->offset, t = e->offset;
    while (s > 0 && num_char(src[s - 1]))
        s--;
    while (t < len && num_char(src[t]))
        t++;
    if (t > s && (src[s] == '-' || (src[s] >= '0' && src[s] <= '9')) &&
        !json_number_ok(src + s, t - s))
        return "cJSON reads numbers with strtod (leading zeros, '1.', '2.e3')";
    return NULL;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int h = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* True when a validated raw string holds a \u escape of a lone surrogate. */
static bool has_lone_surrogate(const char *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] != '\\')
            continue;
        if (p[i + 1] != 'u') {
            i++;
            continue;
        }
        int cp = hex4(p + i + 2);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = i + 12 <= n && p[i + 6] == '\\' && p[i + 7] == 'u' ? hex4(p + i + 8) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                return true;
            i += 11;
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return true;
        } else {
            i += 5;
        }
    }
    return false;
}

/* Why cJSON may reject a document that riposte accepted, or NULL. */
static const char *cjson_strictness(const rip_json_doc *d)
{
    for (uint32_t i = 0; i < d->count; i++) {
        const rip_json_node *n = &d->nodes[i];
        if (n->type == RIP_JSON_STRING && (n->flags & RIP_JSON_F_ESCAPED) &&
            has_lone_surrogate(n->ptr, n->len))
            return "cJSON rejects a \\u escape of a lone surrogate";
        if (n->type == RIP_JSON_NUMBER && n->len >= 64)
            return "cJSON cuts numbers of 64 or more characters";
    }
    return NULL;
}

/* ---- tree comparison ---- */

typedef struct cmp_ctx {
    rip_json_doc *d;
    char path[512];
    size_t plen;
    char why[600];
} cmp_ctx;

static const char *cjson_type_name(const cJSON *c)
{
    if (cJSON_IsNull(c)) return "null";
    if (cJSON_IsFalse(c)) return "false";
    if (cJSON_IsTrue(c)) return "true";
    if (cJSON_IsNumber(c)) return "number";
    if (cJSON_IsString(c)) return "string";
    if (cJSON_IsArray(c)) return "array";
    if (cJSON_IsObject(c)) return "object";
    return "other";
}

static const char *rip_type_name(const rip_json_node *n)
{
    static const char *const names[] = { "?", "null", "false", "true", "number", "string",
                                         "array", "object" };
    return n->type <= RIP_JSON_OBJECT ? names[n->type] : "?";
}

/* Appends a path segment; returns the previous length to restore. */
static size_t path_push(cmp_ctx *x, const char *fmt, const char *s, size_t n, uint32_t idx)
{
    size_t old = x->plen;
    int w = s ? snprintf(x->path + x->plen, sizeof(x->path) - x->plen, fmt, (int)n, s)
              : snprintf(x->path + x->plen, sizeof(x->path) - x->plen, fmt, idx);
    if (w > 0)
        x->plen += (size_t)w < sizeof(x->path) - x->plen ? (size_t)w : sizeof(x->path) - x->plen - 1;
    return old;
}

static bool mismatch(cmp_ctx *x, const char *what)
{
    snprintf(x->why, sizeof(x->why), "%.120s at %.400s", what, x->path);
    return false;
}

static bool same_string(rip_slice s, const char *cs)
{
    if (memchr(s.ptr, '\0', s.len))
        return true;   /* cJSON stops at the NUL; not compared */
    return strlen(cs) == s.len && memcmp(cs, s.ptr, s.len) == 0;
}

static bool same_number(const rip_json_node *n, const cJSON *c, cmp_ctx *x)
{
    double v = 0;
    int r = rip_json_f64(n, &v);
    double cv = c->valuedouble;
    if (r == RIP_ERANGE)
        return isinf(cv) ? true : mismatch(x, "number out of range for riposte only");
    if (r < 0)
        return mismatch(x, "rip_json_f64 failed");
    if (v == cv)
        return true;
    if (fabs(v) > 9007199254740992.0 && fabs(v - cv) <= fabs(v) * 1e-15)
        return true;
    char m[120];
    snprintf(m, sizeof(m), "number %.17g (riposte) vs %.17g (cJSON)", v, cv);
    return mismatch(x, m);
}

static bool same_tree(cmp_ctx *x, const rip_json_node *n, const cJSON *c)
{
    static const struct { uint8_t rip; int cj; } types[] = {
        { RIP_JSON_NULL, cJSON_NULL }, { RIP_JSON_FALSE, cJSON_False },
        { RIP_JSON_TRUE, cJSON_True }, { RIP_JSON_NUMBER, cJSON_Number },
        { RIP_JSON_STRING, cJSON_String }, { RIP_JSON_ARRAY, cJSON_Array },
        { RIP_JSON_OBJECT, cJSON_Object },
    };
    bool type_ok = false;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (n->type == types[i].rip && (c->type & 0xFF) == types[i].cj)
            type_ok = true;
    if (!type_ok) {
        char m[80];
        snprintf(m, sizeof(m), "type %s (riposte) vs %s (cJSON)", rip_type_name(n),
                 cjson_type_name(c));
        return mismatch(x, m);
    }
    switch (n->type) {
    case RIP_JSON_NUMBER:
        return same_number(n, c, x);
    case RIP_JSON_STRING: {
        rip_slice s = rip_json_str(x->d, n);
        if (!s.ptr)
            return mismatch(x, "rip_json_str failed");
        return same_string(s, c->valuestring) ? true : mismatch(x, "string value differs");
    }
    case RIP_JSON_ARRAY: {
        const cJSON *e = c->child;
        uint32_t i = 0;
        RIP_JSON_EACH(k, n) {
            size_t old = path_push(x, "[%u]", NULL, 0, i);
            if (!e)
                return mismatch(x, "element missing in cJSON");
            if (!same_tree(x, k, e))
                return false;
            x->plen = old;
            x->path[old] = '\0';
            e = e->next;
            i++;
        }
        return e ? mismatch(x, "cJSON has more elements") : true;
    }
    case RIP_JSON_OBJECT: {
        const cJSON *e = c->child;
        RIP_JSON_EACH(k, n) {
            rip_slice key = rip_json_str(x->d, k);
            if (!key.ptr)
                return mismatch(x, "rip_json_str failed on a key");
            size_t old = path_push(x, ".%.*s", key.ptr, key.len > 64 ? 64 : key.len, 0);
            if (!e)
                return mismatch(x, "member missing in cJSON");
            if (!e->string || !same_string(key, e->string))
                return mismatch(x, "key differs");
            if (!same_tree(x, k + 1, e))
                return false;
            x->plen = old;
            x->path[old] = '\0';
            e = e->next;
        }
        return e ? mismatch(x, "cJSON has more members") : true;
    }
    default:
        return true;
    }
}

/* ---- one document ---- */

typedef enum verdict {
    V_SAME,        /* both accept, same tree */
    V_BOTH_REJECT,
    V_KNOWN,       /* a known difference; why names it */
    V_MISMATCH,    /* a failure; why says what */
} verdict;

static verdict compare_doc(rip_json_doc *d, const char *text, size_t len, char *why, size_t whysz)
{
    /* Exact-size copy so the sanitizers see overreads by either parser. */
    char *src = malloc(len ? len : 1);
    if (!src) {
        snprintf(why, whysz, "out of memory");
        return V_MISMATCH;
    }
    memcpy(src, text, len);
    const char *end = NULL;
    cJSON *c = cJSON_ParseWithLengthOpts(src, len, &end, 0);
    if (c && end) {
        /* cJSON stops after the value and its whitespace; anything left is
         * a second value, which makes the document invalid. */
        while (end < src + len && (uint8_t)*end <= 0x20)
            end++;
        if (end != src + len) {
            cJSON_Delete(c);
            c = NULL;
        }
    }
    rip_json_error e;
    int r = rip_json_parse(d, src, len, &e);
    verdict v;
    if (c && r == 0) {
        cmp_ctx x = { .d = d, .path = "$", .plen = 1 };
        v = same_tree(&x, rip_json_root(d), c) ? V_SAME : V_MISMATCH;
        if (v == V_MISMATCH)
            snprintf(why, whysz, "%s", x.why);
    } else if (c) {
        const char *k = cjson_leniency(src, len, &e);
        v = k ? V_KNOWN : V_MISMATCH;
        snprintf(why, whysz, "%s%s: riposte %s at offset %zu (%u:%u): %s", k ? "" : "cJSON accepts, ",
                 k ? k : "riposte rejects", rip_errname(r), e.offset, e.line, e.column, e.msg);
    } else if (r == 0) {
        const char *k = cjson_strictness(d);
        v = k ? V_KNOWN : V_MISMATCH;
        snprintf(why, whysz, "%s", k ? k : "cJSON rejects, riposte accepts");
    } else {
        v = V_BOTH_REJECT;
        snprintf(why, whysz, "both reject (riposte: %s at offset %zu: %s)", rip_errname(r),
                 e.offset, e.msg);
    }
    cJSON_Delete(c);
    free(src);
    return v;
}

/* ---- walking the corpus ---- */

typedef struct totals {
    long files, docs, same, both_reject, known, mismatch;
} totals;

static void count(totals *t, verdict v)
{
    t->docs++;
    switch (v) {
    case V_SAME: t->same++; break;
    case V_BOTH_REJECT: t->both_reject++; break;
    case V_KNOWN: t->known++; break;
    case V_MISMATCH: t->mismatch++; break;
    }
}

static void check_json_file(rip_json_doc *d, const char *path, const char *rel, totals *t)
{
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!CHECK(text != NULL, "%s: readable", rel))
        return;
    char why[700];
    verdict v = compare_doc(d, text, len, why, sizeof(why));
    count(t, v);
    t->files++;
    switch (v) {
    case V_SAME: CHECK(1, "%s: same tree as cJSON", rel); break;
    case V_BOTH_REJECT: CHECK(1, "%s: %s", rel, why); break;
    case V_KNOWN: CHECK(1, "%s: known difference: %s", rel, why); break;
    case V_MISMATCH: CHECK(0, "%s: %s", rel, why); break;
    }
    free(text);
}

static void check_jsonl_file(rip_json_doc *d, const char *path, const char *rel, totals *t)
{
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!CHECK(text != NULL, "%s: readable", rel))
        return;
    long lines = 0, same = 0, rejected = 0, known = 0, bad = 0, first_bad = 0;
    char first_why[700] = "", known_why[700] = "";
    const char *p = text, *end = text + len;
    for (long lineno = 1; p < end; lineno++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *q = p;
        while (q < le && json_ws((uint8_t)*q))
            q++;
        if (q < le) {
            char why[700];
            verdict v = compare_doc(d, p, (size_t)(le - p), why, sizeof(why));
            count(t, v);
            lines++;
            if (v == V_SAME) {
                same++;
            } else if (v == V_BOTH_REJECT) {
                rejected++;
            } else if (v == V_KNOWN) {
                if (known++ == 0)
                    snprintf(known_why, sizeof(known_why), "line %ld: %.600s", lineno, why);
            } else if (bad++ == 0) {
                first_bad = lineno;
                snprintf(first_why, sizeof(first_why), "%s", why);
            }
        }
        p = nl ? nl + 1 : end;
    }
    t->files++;
    if (bad)
        CHECK(0, "%s: %ld of %ld lines differ from cJSON; first at line %ld: %s", rel, bad, lines,
              first_bad, first_why);
    else
        CHECK(lines > 0, "%s: %ld lines, %ld same tree as cJSON, %ld rejected by both, %ld known "
              "differences%s%s", rel, lines, same, rejected, known, known ? " (first: " : "",
              known ? known_why : "");
    if (known && !bad)
        tap_diag("%s: first known difference: %s", rel, known_why);
    free(text);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void walk(rip_json_doc *d, const char *dir, size_t rootlen, totals *t)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        char path[4096];
        struct stat st;
        if (name[0] == '.' || (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
            stat(path, &st) != 0) {
            free(list[i]);
            continue;
        }
        const char *rel = path + rootlen + 1;
        if (S_ISDIR(st.st_mode))
            walk(d, path, rootlen, t);
        else if (S_ISREG(st.st_mode) && ends_with(name, ".json"))
            check_json_file(d, path, rel, t);
        else if (S_ISREG(st.st_mode) && ends_with(name, ".jsonl"))
            check_jsonl_file(d, path, rel, t);
        free(list[i]);
    }
    free(list);
}

/* ---- the comparison itself, on inputs whose outcome is known ---- */

static void self_test(rip_json_doc *d)
{
    static const struct { const char *src; verdict want; } cases[] = {
        { "{\"a\":[1,2.5,\"x\\u00e9\",true,false,null,{}]}", V_SAME },
        { "[1e400]", V_SAME },
        { "[\"a\\u0000b\"]", V_SAME },
        { "[1,]", V_BOTH_REJECT },
        { "[01]", V_KNOWN },
        { "[\"\x01\"]", V_KNOWN },
        { "[\"\xff\"]", V_KNOWN },
        { "\xef\xbb\xbf[]", V_KNOWN },
        { "[\f1]", V_KNOWN },
        { "[\"\\udc00\"]", V_KNOWN },
        { "[1.]", V_KNOWN },
        { "[\"\\uqqqq\"]", V_KNOWN },
        { "[1 2]", V_BOTH_REJECT },
        { "[1] x", V_BOTH_REJECT },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char why[700];
        verdict v = compare_doc(d, cases[i].src, strlen(cases[i].src), why, sizeof(why));
        CHECK(v == cases[i].want, "self-test %zu: verdict %d, want %d (%s)", i, v, cases[i].want, why);
    }
}

/* The comparison must notice a difference and name its path. */
static void self_test_mismatch(rip_json_doc *d)
{
    static const struct { const char *rip, *cj, *want; } cases[] = {
        { "{\"a\":[1,{\"b\":2}]}", "{\"a\":[1,{\"b\":3}]}", "number 2 (riposte) vs 3 (cJSON) at $.a[1].b" },
        { "{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", "key differs at $.a" },
        { "[\"x\"]", "[\"y\"]", "string value differs at $[0]" },
        { "[1]", "[1,2]", "cJSON has more elements at $" },
        { "[null]", "[false]", "type null (riposte) vs false (cJSON) at $[0]" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *c = cJSON_Parse(cases[i].cj);
        int r = rip_json_parse(d, cases[i].rip, strlen(cases[i].rip), NULL);
        cmp_ctx x = { .d = d, .path = "$", .plen = 1 };
        bool same = c && r == 0 && same_tree(&x, rip_json_root(d), c);
        CHECK(c && r == 0 && !same && strcmp(x.why, cases[i].want) == 0,
              "self-test: a difference is found and named (%s)", x.why);
        cJSON_Delete(c);
    }
}

int main(void)
{
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    self_test(&d);
    self_test_mismatch(&d);
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("cJSON differential # no corpus (set RIPOSTE_CORPUS or provide ../shared/corpus)");
        rip_json_doc_release(&d);
        return tap_done();
    }
    totals t = { 0 };
    walk(&d, corpus, strlen(corpus), &t);
    CHECK(t.files > 0, "corpus: found .json/.jsonl files under %s", corpus);
    tap_diag("%ld files, %ld documents: %ld same tree, %ld rejected by both, %ld known differences, "
             "%ld mismatches", t.files, t.docs, t.same, t.both_reject, t.known, t.mismatch);
    rip_json_doc_release(&d);
    return tap_done();
}
