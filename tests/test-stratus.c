/* test-stratus.c — detection case test over Stratus Red Team detonations.
 *
 * 1. The SigmaHQ AWS rules (corpus sigma/rules + sigma/unsupported) fire on
 *    exactly the (technique, rule id) pairs in tests/cases/stratus-sigmahq.expected.
 * 2. riposte's own rules (rules/) detect at least 25 of the 35 techniques.
 *
 * Each technique file is decoded and matched alone (correlations see only
 * that file's events), as `riposte scan FILE` does. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/correlate.h"
#include "detect/sigma.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "tap.h"

#define MAX_PAIRS 1024

typedef struct pairset {
    char *v[MAX_PAIRS];
    size_t n;
} pairset;

static void pairs_add(pairset *s, const char *tech, const char *rule)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s %s", tech, rule ? rule : "(no id)");
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], buf))
            return;
    if (s->n < MAX_PAIRS)
        s->v[s->n++] = strdup(buf);
}

static int pairs_has(const pairset *s, const char *p)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i], p))
            return 1;
    return 0;
}

typedef struct run {
    rip_sigma_matcher *m;
    rip_corr_engine *c;
    pairset *pairs;
    const char *tech;
} run;

static int on_fire(void *ud, const rip_corr_hit *hit)
{
    run *r = ud;
    pairs_add(r->pairs, r->tech, hit->meta->id);
    return 0;
}

static int on_obs(void *ud, const rip_corr_obs *o)
{
    run *r = ud;
    return rip_corr_observe(r->c, o, on_fire, r);
}

static int on_hit(void *ud, const rip_sigma_hit *hit, const rip_event *ev)
{
    run *r = ud;
    if (hit->report)
        pairs_add(r->pairs, r->tech, hit->meta->id);
    return rip_corr_extract(r->c, hit, ev, r->tech, on_obs, r);
}

static int on_event(void *ud, const rip_event *ev)
{
    run *r = ud;
    return rip_sigma_match(r->m, ev, on_hit, r) < 0 ? -1 : 0;
}

static void on_diag(void *ud, const rip_sigma_diag *d)
{
    (void)ud;
    tap_diag("rule problem: %s", d->text);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every technique file under dir against rs; fills pairs. */
static int run_all(const char *dir, rip_sigma_ruleset *rs, pairset *pairs, int *ntech)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), cmp_str);
    *ntech = (int)n;
    for (size_t i = 0; i < n; i++) {
        char path[4096], tech[256];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        snprintf(tech, sizeof(tech), "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        run r = { .m = rip_sigma_matcher_new(rs), .c = rip_corr_new(rs, 0), .pairs = pairs,
                  .tech = tech };
        rip_decoder dec;
        rip_decoder_init(&dec, on_event, NULL, &r, NULL);
        rip_buf data = RIP_BUF_INIT;
        if (rip_input_read(path, (size_t)64 << 20, &data) == 0)
            rip_decode_buffer(&dec, path, data.ptr, data.len);
        rip_corr_flush(r.c, on_fire, &r);
        rip_buf_release(&data);
        rip_decoder_release(&dec);
        rip_corr_free(r.c);
        rip_sigma_matcher_free(r.m);
        free(names[i]);
    }
    return 0;
}

static rip_sigma_ruleset *load(const char *const *paths, size_t n)
{
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, NULL);
    for (size_t i = 0; i < n; i++)
        if (rip_sigma_load_path(rs, paths[i]) < 0)
            tap_diag("could not load all of %s", paths[i]);
    rip_sigma_compile(rs);
    return rs;
}

int main(void)
{
    const char *corpus = tap_corpus();
    if (!corpus) {
        tap_skip("stratus case test # corpus not found (set RIPOSTE_CORPUS)");
        return tap_done();
    }
    if (strlen(corpus) > 2048)
        return tap_check(0, "corpus path too long"), tap_done();
    char dir[4200], rules[4200], unsupported[4200], expected[4200], own[4200];
    snprintf(dir, sizeof(dir), "%s/cloudtrail/stratus_red_team/detonation-logs", corpus);
    snprintf(rules, sizeof(rules), "%s/sigma/rules", corpus);
    snprintf(unsupported, sizeof(unsupported), "%s/sigma/unsupported", corpus);
    snprintf(expected, sizeof(expected), "%s/tests/cases/stratus-sigmahq.expected",
             RIPOSTE_SOURCE_ROOT);
    snprintf(own, sizeof(own), "%s/rules", RIPOSTE_SOURCE_ROOT);

    /* 1. SigmaHQ rules: exact pairs. */
    const char *sigma_paths[] = { rules, unsupported };
    rip_sigma_ruleset *rs = load(sigma_paths, 2);
    CHECK(rip_sigma_rule_count(rs) == 65 && rip_sigma_error_count(rs) == 0,
          "the 57 SigmaHQ rules and 8 v1-aggregation rules load (%u, %u errors)",
          rip_sigma_rule_count(rs), rip_sigma_error_count(rs));
    pairset got = { 0 }, want = { 0 };
    int ntech = 0;
    int ran = run_all(dir, rs, &got, &ntech);
    CHECK(ran == 0 && ntech == 35, "35 technique files scanned (%d)", ntech);
    FILE *f = fopen(expected, "r");
    if (!CHECK(f != NULL, "expectations file %s", expected))
        return tap_done();
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char tech[512], id[128];
        if (line[0] == '#' || sscanf(line, "%511s %127s", tech, id) != 2)
            continue;
        pairs_add(&want, tech, id);
    }
    fclose(f);
    for (size_t i = 0; i < want.n; i++)
        CHECK(pairs_has(&got, want.v[i]), "fires: %s", want.v[i]);
    size_t unexpected = 0;
    for (size_t i = 0; i < got.n; i++) {
        if (!pairs_has(&want, got.v[i])) {
            unexpected++;
            tap_diag("unexpected hit: %s", got.v[i]);
        }
    }
    CHECK(unexpected == 0, "no SigmaHQ hit outside the expected %zu pairs (%zu unexpected)",
          want.n, unexpected);
    rip_sigma_ruleset_free(rs);

    /* 2. riposte's own rules: at least 25 of 35 techniques. */
    const char *own_paths[] = { own };
    rs = load(own_paths, 1);
    CHECK(rip_sigma_error_count(rs) == 0, "riposte's own rules load without errors");
    pairset own_got = { 0 };
    run_all(dir, rs, &own_got, &ntech);
    char seen[64][256];
    size_t nseen = 0;
    for (size_t i = 0; i < own_got.n; i++) {
        char tech[256];
        sscanf(own_got.v[i], "%255s", tech);
        int dup = 0;
        for (size_t k = 0; k < nseen; k++)
            dup |= !strcmp(seen[k], tech);
        if (!dup && nseen < 64)
            snprintf(seen[nseen++], sizeof(seen[0]), "%s", tech);
    }
    tap_diag("riposte's rules detect %zu of %d techniques", nseen, ntech);
    CHECK(nseen >= 25, "riposte's own rules detect at least 25 of 35 techniques (%zu)", nseen);
    rip_sigma_ruleset_free(rs);
    for (size_t i = 0; i < got.n; i++)
        free(got.v[i]);
    for (size_t i = 0; i < want.n; i++)
        free(want.v[i]);
    for (size_t i = 0; i < own_got.n; i++)
        free(own_got.v[i]);
    return tap_done();
}
