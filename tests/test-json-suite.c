/* test-json-suite.c — JSONTestSuite (../shared/corpus/json_test_suite).
 *
 * test_parsing: every y_ file is accepted (and its tree survives
 * write → parse unchanged), every n_ file is rejected, every i_ file is
 * parsed without crashing and the line says which way it went. test_transform:
 * every file parses or is rejected without crashing; what parses round-trips
 * through the writer. One tap line per file. Each file is read into an
 * allocation of its exact size so the sanitizers see any overread. */
#include <dirent.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/err.h"
#include "util/json.h"

/* Reads path into a malloc'ed buffer of exactly its size (1 byte for an
 * empty file). Returns NULL when it cannot. */
static char *read_exact(const char *path, size_t *len)
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
    char *exact = ok ? malloc(b.len ? b.len : 1) : NULL;
    if (exact) {
        memcpy(exact, b.ptr, b.len);
        *len = b.len;
    }
    rip_buf_release(&b);
    return exact;
}

/* Same shape, decoded strings and number text. */
static bool same_tree(rip_json_doc *da, const rip_json_node *a, rip_json_doc *db,
                      const rip_json_node *b)
{
    if (a->skip != b->skip)
        return false;
    for (uint32_t i = 0; i < a->skip; i++) {
        const rip_json_node *x = a + i, *y = b + i;
        if (x->type != y->type || x->skip != y->skip)
            return false;
        if (x->type == RIP_JSON_NUMBER &&
            (x->len != y->len || memcmp(x->ptr, y->ptr, x->len) != 0))
            return false;
        if (x->type == RIP_JSON_STRING &&
            !rip_slice_eqs(rip_json_str(da, x), rip_json_str(db, y)))
            return false;
    }
    return true;
}

/* Writes d's tree, parses the output and compares. Returns NULL on success
 * or what went wrong. */
static const char *roundtrip(rip_json_doc *d)
{
    rip_buf out = RIP_BUF_INIT;
    rip_json_doc d2;
    rip_jw w;
    const char *why = NULL;

    rip_json_doc_init(&d2, NULL);
    rip_jw_init(&w, &out);
    rip_jw_node(&w, d, rip_json_root(d));
    if (rip_jw_finish(&w) != 0)
        why = "the writer failed";
    else if (rip_json_parse(&d2, out.ptr, out.len, NULL) != 0)
        why = "the writer's output does not parse";
    else if (!same_tree(d, rip_json_root(d), &d2, rip_json_root(&d2)))
        why = "the re-parsed tree differs";
    rip_json_doc_release(&d2);
    rip_buf_release(&out);
    return why;
}

static int is_json_file(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return n > 5 && strcmp(e->d_name + n - 5, ".json") == 0;
}

static void test_parsing(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, is_json_file, alphasort);
    if (!CHECK(n > 0, "test_parsing: %s has .json files", dir))
        return;
    int counts[3][2] = { { 0 } };   /* [y, n, i][accepted] */
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        size_t len = 0;
        char *src = read_exact(path, &len);
        if (!src) {
            CHECK(0, "%s: cannot read", name);
            free(list[i]);
            continue;
        }
        rip_json_error e;
        int rc = rip_json_parse(&d, src, len, &e);
        int kind = name[0] == 'y' ? 0 : name[0] == 'n' ? 1 : 2;
        counts[kind][rc == 0]++;
        if (kind == 0) {
            const char *why = rc == 0 ? roundtrip(&d) : NULL;
            if (rc != 0)
                CHECK(0, "%s: accepted (rejected: %s at offset %zu: %s)", name, rip_errname(rc),
                      e.offset, e.msg);
            else
                CHECK(why == NULL, "%s: accepted%s%s", name, why ? ", but " : "", why ? why : "");
        } else if (kind == 1) {
            CHECK(rc != 0, "%s: rejected (%s at offset %zu: %s)", name,
                  rc ? rip_errname(rc) : "accepted", rc ? e.offset : 0, rc ? e.msg : "");
        } else if (rc == 0) {
            const char *why = roundtrip(&d);
            CHECK(why == NULL, "%s: no crash, accepted%s%s", name, why ? ", but " : "",
                  why ? why : "");
        } else {
            CHECK(1, "%s: no crash, rejected (%s at offset %zu: %s)", name, rip_errname(rc),
                  e.offset, e.msg);
        }
        free(src);
        free(list[i]);
    }
    free(list);
    rip_json_doc_release(&d);
    tap_diag("test_parsing: y_ %d accepted %d rejected; n_ %d accepted %d rejected; "
             "i_ %d accepted %d rejected",
             counts[0][1], counts[0][0], counts[1][1], counts[1][0], counts[2][1], counts[2][0]);
}

static void test_transform(const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, is_json_file, alphasort);
    if (!CHECK(n > 0, "test_transform: %s has .json files", dir))
        return;
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        char path[8192];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        size_t len = 0;
        char *src = read_exact(path, &len);
        if (!src) {
            CHECK(0, "transform %s: cannot read", name);
            free(list[i]);
            continue;
        }
        rip_json_error e;
        int rc = rip_json_parse(&d, src, len, &e);
        if (rc == 0) {
            const char *why = roundtrip(&d);
            CHECK(why == NULL, "transform %s: accepted and round-trips%s%s", name,
                  why ? ": " : "", why ? why : "");
        } else {
            CHECK(1, "transform %s: no crash, rejected (%s at offset %zu: %s)", name,
                  rip_errname(rc), e.offset, e.msg);
        }
        free(src);
        free(list[i]);
    }
    free(list);
    rip_json_doc_release(&d);
}

int main(void)
{
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("JSONTestSuite # no corpus (set RIPOSTE_CORPUS or provide ../shared/corpus)");
        return tap_done();
    }
    char dir[4200];
    snprintf(dir, sizeof(dir), "%s/json_test_suite/test_parsing", corpus);
    test_parsing(dir);
    snprintf(dir, sizeof(dir), "%s/json_test_suite/test_transform", corpus);
    test_transform(dir);
    return tap_done();
}
