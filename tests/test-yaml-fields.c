/* test-yaml-fields.c — the typed YAML readers (src/util/yaml-fields.h) that
 * playbooks and riposte.yaml share: each value read as written, each wrong
 * one refused with exactly its message, line and key path, and outputs left
 * alone on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/yaml-fields.h"

typedef struct seen {
    char text[1024];
    char key[256];
    uint32_t line;
    unsigned n;
    bool warning;
} seen;

static void on_problem(void *ud, const yf_problem *p)
{
    seen *s = ud;
    s->n++;
    s->line = p->line;
    s->warning = p->warning;
    snprintf(s->key, sizeof(s->key), "%s", p->key);
    snprintf(s->text, sizeof(s->text), "%s", p->text);
}

/* The value of key "v" in a one-line document "v: TEXT". */
static const yt_node *value(rip_arena *a, const char *text)
{
    char doc[512];
    snprintf(doc, sizeof(doc), "x: 1\nv: %s\n", text);
    yt_limits lim = { 16, 1000, 100 };
    yt_node *root = NULL;
    char err[256];
    uint32_t line = 0;
    if (yt_parse(a, doc, strlen(doc), &lim, &root, err, sizeof(err), &line) < 0)
        return NULL;
    return yf_get(root, "v");
}

/* Reads "v: TEXT" as a size (bytes) or else a duration (seconds) in
 * min..max: "=N", or the message (the output must stay as it was). */
static const char *quantity(rip_arena *a, bool is_size, const char *text, size_t min, size_t max)
{
    static char out[1024];
    seen s = { 0 };
    yf_ctx c = { .a = a, .fn = on_problem, .ud = &s };
    const yt_node *v = value(a, text);
    uint32_t secs = 12345;
    size_t bytes = 12345;
    int rc = is_size ? yf_size(&c, v, "k", min, max, &bytes)
                     : yf_duration(&c, v, "k", (uint32_t)min, (uint32_t)max, &secs);
    if (rc == 0)
        snprintf(out, sizeof(out), "=%zu", is_size ? bytes : secs);
    else
        snprintf(out, sizeof(out), "%s", secs == 12345 && bytes == 12345 ? s.text : "(written)");
    return out;
}

static const char *duration(rip_arena *a, const char *text, uint32_t min, uint32_t max)
{
    return quantity(a, false, text, min, max);
}

static const char *size(rip_arena *a, const char *text, size_t min, size_t max)
{
    return quantity(a, true, text, min, max);
}

static void test_quantities(rip_arena *a)
{
    CHECK(!strcmp(duration(a, "90", 1, 3600), "=90"), "duration: a bare number is seconds");
    CHECK(!strcmp(duration(a, "15m", 1, 3600), "=900"), "duration: 15m is 900 seconds");
    CHECK(!strcmp(duration(a, "1d", 1, 86400), "=86400"), "duration: 1d is 86400 seconds");
    CHECK(!strcmp(duration(a, "0", 0, 20), "=0"), "duration: 0 when the range allows it");
    CHECK(!strcmp(duration(a, "2h", 1, 3600),
                  "duration '2h' is out of range (1s to 3600s)"),
          "duration: above the range");
    CHECK(!strcmp(duration(a, "0s", 1, 3600),
                  "duration '0s' is out of range (1s to 3600s)"),
          "duration: below the range");
    CHECK(!strcmp(duration(a, "99999999999999999999d", 1, 3600),
                  "expected a duration such as 90s, 15m, 2h or 1d, found "
                  "'99999999999999999999d'"),
          "duration: a number too large to read");
    CHECK(!strcmp(duration(a, "4294967296d", 1, 3600),
                  "duration '4294967296d' is out of range (1s to 3600s)"),
          "duration: a product that would overflow is out of range");
    const char *bad[] = { "-5s", "+5s", "' 5s'", "5 s", "5ms", "5S", "s", "1.5h" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char want[256], shown[64];
        snprintf(shown, sizeof(shown), "%s", bad[i][0] == '\'' ? " 5s" : bad[i]);
        snprintf(want, sizeof(want), "expected a duration such as 90s, 15m, 2h or 1d, found '%s'",
                 shown);
        CHECK(!strcmp(duration(a, bad[i], 1, 3600), want), "duration: %s is refused", bad[i]);
    }
    CHECK(!strcmp(size(a, "65536", 1024, (size_t)1 << 20), "=65536"), "size: bytes");
    CHECK(!strcmp(size(a, "64KiB", 1024, (size_t)1 << 20), "=65536"), "size: KiB");
    CHECK(!strcmp(size(a, "64K", 1024, (size_t)1 << 20), "=65536"), "size: K");
    CHECK(!strcmp(size(a, "1M", 1024, (size_t)1 << 20), "=1048576"), "size: M");
    CHECK(!strcmp(size(a, "512B", 1, 1024), "=512"), "size: B");
    CHECK(!strcmp(size(a, "2MiB", 1024, (size_t)1 << 20),
                  "size '2MiB' is out of range (1KiB to 1MiB)"),
          "size: above the range, bounds in their units");
    CHECK(!strcmp(size(a, "10", 1000, 100000),
                  "size '10' is out of range (1000 bytes to 100000 bytes)"),
          "size: below the range, bounds in bytes");
    CHECK(!strcmp(size(a, "1G", 1024, (size_t)1 << 20),
                  "expected a size such as 1MiB, 16KiB or 65536, found '1G'"),
          "size: an unknown unit");
}

static void test_values(rip_arena *a)
{
    seen s = { 0 };
    yf_ctx c = { .a = a, .fn = on_problem, .ud = &s };
    const char *str = yf_scalar(&c, value(a, "''"), "k");
    CHECK(str && !*str && s.n == 0, "scalar: an empty quoted string without a cap");
    c.str_max = 8;
    CHECK(!yf_scalar(&c, value(a, "''"), "k") &&
              !strcmp(s.text, "expected a value, found nothing"),
          "scalar: an empty string refused under a cap");
    CHECK(!yf_scalar(&c, value(a, "123456789"), "k") &&
              !strcmp(s.text, "value is longer than 8 bytes or holds a NUL"),
          "scalar: longer than the cap");
    CHECK(!yf_scalar(&c, value(a, "\"a\\0b\""), "k") &&
              !strcmp(s.text, "value is longer than 8 bytes or holds a NUL"),
          "scalar: a NUL inside");
    CHECK(!yf_scalar(&c, value(a, "~"), "k") && !strcmp(s.text, "expected a value, found nothing"),
          "scalar: null");
    CHECK(!yf_scalar(&c, value(a, "[a]"), "k") && !strcmp(s.text, "expected a string, found a list"),
          "scalar: a list");
    c.str_max = 0;

    const char **v = NULL;
    size_t n = 99;
    CHECK(yf_strs(&c, value(a, "one"), "k", &v, &n) == 0 && n == 1 && !strcmp(v[0], "one"),
          "strs: one string");
    CHECK(yf_strs(&c, value(a, "[a, b]"), "k", &v, &n) == 0 && n == 2 && !strcmp(v[1], "b"),
          "strs: a list");
    const char **keep = v;
    CHECK(yf_strs(&c, value(a, "[a, [b]]"), "k", &v, &n) < 0 && v == keep && n == 2 &&
              !strcmp(s.text, "expected a string, found a list"),
          "strs: a bad item leaves the output alone");
    CHECK(yf_strs(&c, value(a, "[]"), "k", &v, &n) < 0 &&
              !strcmp(s.text, "expected at least one item, found an empty list"),
          "strs: an empty list");
    CHECK(yf_strs(&c, value(a, "{a: b}"), "k", &v, &n) < 0 &&
              !strcmp(s.text, "expected a string or a list of strings, found a map"),
          "strs: a map");

    long l = 0;
    CHECK(yf_number(&c, value(a, "-3"), "k", -5, 5, &l) == 0 && l == -3, "number: negative");
    CHECK(yf_number(&c, value(a, "7"), "k", 1, 5, &l) < 0 &&
              !strcmp(s.text, "7 is out of range (1 to 5)"),
          "number: out of range");
    CHECK(yf_number(&c, value(a, "5x"), "k", 1, 5, &l) < 0 &&
              !strcmp(s.text, "expected a number from 1 to 5, found '5x'"),
          "number: not a number");
    bool b = false;
    CHECK(yf_boolean(&c, value(a, "True"), "k", &b) == 0 && b, "boolean: True");
    CHECK(yf_boolean(&c, value(a, "FALSE"), "k", &b) == 0 && !b, "boolean: FALSE");
    CHECK(yf_boolean(&c, value(a, "yes"), "k", &b) < 0 &&
              !strcmp(s.text, "expected true or false, found 'yes'"),
          "boolean: yes is not a boolean");

    static const char *const names[] = { "reject", "approve", "escalate" };
    int k = -1;
    CHECK(yf_pick(&c, value(a, "approve"), "k", "value", names, 3, &k) == 0 && k == 1,
          "pick: a name");
    CHECK(yf_pick(&c, value(a, "maybe"), "k", "mode", names, 3, &k) < 0 &&
              !strcmp(s.text, "unknown mode 'maybe' (expected reject, approve, escalate)"),
          "pick: an unknown name");
}

static void test_keys(rip_arena *a)
{
    seen s = { 0 };
    yf_ctx c = { .a = a, .fn = on_problem, .ud = &s };
    static const char *const allowed[] = { "name", "kind", NULL };
    const yt_node *m = value(a, "\n  name: x\n  knd: y");
    yf_check_keys(&c, m, "sources[0]", allowed, NULL);
    CHECK(s.n == 1 && s.line == 4 && !strcmp(s.key, "sources[0]") &&
              !strcmp(s.text, "unknown key 'knd' (expected name, kind)"),
          "check_keys: an unknown key with its line and path");
    yf_check_keys(&c, m, "sources[0]", allowed, "an http source");
    CHECK(!strcmp(s.text, "unknown key 'knd' for an http source (expected name, kind)"),
          "check_keys: what the map is");
    s.n = 0;
    CHECK(yf_map_section(&c, value(a, "~"), "server", allowed) == NULL && s.n == 0,
          "map section: a null section is empty, no error");
    CHECK(yf_map_section(&c, value(a, "[a]"), "server", allowed) == NULL &&
              !strcmp(s.text, "expected a map, found a list"),
          "map section: a list");
    CHECK(yf_map_section(&c, m, "server", allowed) == m && s.n == 2,
          "map section: its keys are checked");
    CHECK(yf_list_section(&c, value(a, "{a: b}"), "users") == NULL &&
              !strcmp(s.text, "expected a list, found a map"),
          "list section: a map");
    CHECK(!strcmp(yf_path(&c, "steps.a", "params"), "steps.a.params") &&
              !strcmp(yf_path(&c, "", "name"), "name"),
          "path: joined with a dot, none at the top");
    CHECK(yf_get(m, "kind") == NULL && yf_get(NULL, "name") == NULL &&
              !strcmp(yf_get(m, "name")->str, "x") && yf_get(m, "name")->kline == 3,
          "get: a value, its key's line, NULL when absent");
    yf_warn(&c, 7, "k", "careful %d", 1);
    CHECK(s.warning && s.line == 7 && !strcmp(s.text, "careful 1"), "warn: marked as a warning");
}

static void test_message(void)
{
    char m[256];
    yf_message(m, sizeof(m), "config", "f.yaml", 3, "server.listen", "bad");
    CHECK(!strcmp(m, "config 'f.yaml' line 3: server.listen: bad"), "message: line and key");
    yf_message(m, sizeof(m), "playbook", "p.yml", 3, "", "bad");
    CHECK(!strcmp(m, "playbook 'p.yml' line 3: bad"), "message: line only");
    yf_message(m, sizeof(m), "config", "f.yaml", 0, "playbooks", "bad");
    CHECK(!strcmp(m, "config 'f.yaml': playbooks: bad"), "message: key only");
    yf_message(m, sizeof(m), "config", "f.yaml", 0, NULL, "bad");
    CHECK(!strcmp(m, "config 'f.yaml': bad"), "message: the whole file");
}

static void test_read_file(void)
{
    char path[] = "/tmp/riposte-yf-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && write(fd, "a: 1\n", 5) == 5, "read file: a temporary file");
    if (fd >= 0)
        close(fd);
    rip_buf b;
    char err[256] = "";
    CHECK(yf_read_file(path, 5, &b, err, sizeof(err)) == 0 && b.len == 5 &&
              !strcmp(b.ptr, "a: 1\n"),
          "read file: exactly at the cap");
    rip_buf_release(&b);
    CHECK(yf_read_file(path, 4, &b, err, sizeof(err)) == RIP_ELIMIT &&
              !strcmp(err, "file is larger than 4 bytes"),
          "read file: over the cap");
    rip_buf_release(&b);
    unlink(path);
    CHECK(yf_read_file(path, 4, &b, err, sizeof(err)) == RIP_ENOENT &&
              !strcmp(err, "cannot open: No such file or directory"),
          "read file: missing");
    rip_buf_release(&b);
}

int main(void)
{
    rip_arena a;
    rip_arena_init(&a, 0);
    test_quantities(&a);
    test_values(&a);
    test_keys(&a);
    test_message();
    test_read_file();
    rip_arena_release(&a);
    return tap_done();
}
