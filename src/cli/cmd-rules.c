/* cmd-rules.c — `riposte rules validate|list|test`: rules as code. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "detect/correlate.h"
#include "detect/rule-tests.h"
#include "detect/sigma.h"
#include "normalize/decode.h"
#include "sources/input.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define RULES_MAX_PATHS 256
#define RULE_FILE_MAX ((size_t)4 << 20)

void cmd_rules_usage(FILE *out)
{
    fputs(
"usage: riposte rules validate [--placeholders FILE] [PATH...]\n"
"       riposte rules list [--format text|jsonl] [PATH...]\n"
"       riposte rules test [PATH...]\n"
"\n"
"Work with Sigma detection rules as code. PATH is a rule file or a folder of\n"
"them (*.yml, *.yaml, read recursively); without PATH, riposte's own rules\n"
"(built into the binary) are used.\n"
"\n"
"  validate  load and compile every rule; print every problem as\n"
"            'file' line N: what was expected. Exit 0 when all are valid,\n"
"            1 when some were rejected, 2 when a path cannot be read.\n"
"  list      one line per rule: level, id, logsource and title (or jsonl).\n"
"  test      run the cases kept in each rule file under 'tests:' — a list of\n"
"            {name, match, event} (one record, fed alone) or\n"
"            {name, match, events} (records fed in order, for correlation\n"
"            rules). Exit 0 when every case passes, 1 when one fails.\n"
"\n"
"examples:\n"
"  riposte rules validate rules/\n"
"  riposte rules validate --placeholders ph.yml sigma/rules/cloud/aws\n"
"  riposte rules test my-rules/\n", out);
}

typedef struct diag_state {
    unsigned errors, warnings;
    int quiet;
} diag_state;

static void on_diag(void *ud, const rip_sigma_diag *d)
{
    diag_state *s = ud;
    if (d->warning)
        s->warnings++;
    else
        s->errors++;
    if (!s->quiet)
        fprintf(stderr, "riposte: %s%s\n", d->warning ? "warning: " : "", d->text);
}

/* Loads the named paths (or the built-in rules) and compiles. Returns the
 * ruleset or NULL; *read_failed is set when a path could not be read. */
static rip_sigma_ruleset *load_rules(char **paths, int npaths, const char *placeholders,
                                     diag_state *ds, int *read_failed)
{
    rip_sigma_ruleset *rs = rip_sigma_ruleset_new(on_diag, ds);
    if (!rs) {
        rip_cli_error("out of memory");
        return NULL;
    }
    if (placeholders && rip_sigma_load_placeholders(rs, placeholders) < 0)
        *read_failed = 1;
    if (npaths == 0)
        rip_cli_load_builtin_rules(rs);
    for (int i = 0; i < npaths; i++) {
        int r = rip_sigma_load_path(rs, paths[i]);
        if (r == RIP_ENOENT || r == RIP_EIO) {
            rip_cli_error("cannot read rules '%s': %s", paths[i], rip_strerror(r));
            *read_failed = 1;
        }
    }
    rip_sigma_compile(rs);
    return rs;
}

static int rules_validate(int argc, char **argv)
{
    const char *placeholders = NULL;
    char *paths[RULES_MAX_PATHS];
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--placeholders") && i + 1 < argc)
            placeholders = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return rip_cli_error("rules validate: unknown option '%s'", argv[i]);
        else if (npaths < RULES_MAX_PATHS)
            paths[npaths++] = argv[i];
        else
            return rip_cli_error("rules validate: too many paths");
    }
    diag_state ds = { 0 };
    int read_failed = 0;
    rip_sigma_ruleset *rs = load_rules(paths, npaths, placeholders, &ds, &read_failed);
    if (!rs)
        return RIP_EXIT_ERROR;
    uint32_t n = rip_sigma_rule_count(rs);
    printf("%u rule%s valid, %u error%s, %u warning%s\n", n, n == 1 ? "" : "s", ds.errors,
           ds.errors == 1 ? "" : "s", ds.warnings, ds.warnings == 1 ? "" : "s");
    rip_sigma_ruleset_free(rs);
    if (read_failed)
        return RIP_EXIT_ERROR;
    return ds.errors ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
}

static const char *kind_name(const rip_sigma_meta *m)
{
    switch (m->kind) {
    case RIP_SIGMA_CORRELATION: return "correlation";
    case RIP_SIGMA_AGGREGATION: return "aggregation";
    default: return "detection";
    }
}

static int rules_list(int argc, char **argv)
{
    char *paths[RULES_MAX_PATHS];
    int npaths = 0, jsonl = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "jsonl"))
                jsonl = 1;
            else if (strcmp(f, "text"))
                return rip_cli_error("rules list: unknown format '%s' (expected text or jsonl)", f);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return rip_cli_error("rules list: unknown option '%s'", argv[i]);
        } else if (npaths < RULES_MAX_PATHS) {
            paths[npaths++] = argv[i];
        }
    }
    diag_state ds = { 0 };
    int read_failed = 0;
    rip_sigma_ruleset *rs = load_rules(paths, npaths, NULL, &ds, &read_failed);
    if (!rs)
        return RIP_EXIT_ERROR;
    rip_buf b = RIP_BUF_INIT;
    for (uint32_t i = 0; i < rip_sigma_rule_count(rs); i++) {
        const rip_sigma_meta *m = rip_sigma_rule_meta(rip_sigma_rule_at(rs, i));
        rip_buf_reset(&b);
        if (jsonl) {
            rip_jw w;
            rip_jw_init(&w, &b);
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "id");
            rip_jw_str(&w, m->id);
            rip_jw_key(&w, "name");
            rip_jw_str(&w, m->name);
            rip_jw_key(&w, "title");
            rip_jw_str(&w, m->title);
            rip_jw_key(&w, "level");
            rip_jw_str(&w, m->level ? rip_sigma_level_name(m->level) : NULL);
            rip_jw_key(&w, "kind");
            rip_jw_str(&w, kind_name(m));
            rip_jw_key(&w, "product");
            rip_jw_str(&w, m->product);
            rip_jw_key(&w, "service");
            rip_jw_str(&w, m->service);
            rip_jw_key(&w, "tags");
            rip_jw_arr_begin(&w);
            for (uint32_t k = 0; k < m->tags.n; k++)
                rip_jw_str(&w, m->tags.v[k]);
            rip_jw_arr_end(&w);
            rip_jw_key(&w, "path");
            rip_jw_str(&w, m->path);
            rip_jw_obj_end(&w);
            rip_jw_finish(&w);
            rip_buf_addc(&b, '\n');
        } else {
            char src[64];
            snprintf(src, sizeof(src), "%s/%s", m->product ? m->product : "-",
                     m->service ? m->service : (m->kind == RIP_SIGMA_CORRELATION ? "correlation" : "-"));
            rip_buf_addf(&b, "%-13s %-36s %-20s %s\n",
                         m->level ? rip_sigma_level_name(m->level) : "-", m->id ? m->id : "-",
                         src, m->title ? m->title : "(untitled)");
        }
        fputs(b.ptr, stdout);
    }
    rip_buf_release(&b);
    rip_sigma_ruleset_free(rs);
    return read_failed || ds.errors ? RIP_EXIT_ERROR : RIP_EXIT_OK;
}

/* ---- rules test ---- */

typedef struct test_run {
    const rip_sigma_rule *target;
    rip_sigma_matcher *m;
    rip_corr_engine *corr;
    int fired;
    int failed;
} test_run;

static int corr_fired(void *ud, const rip_corr_hit *hit)
{
    test_run *t = ud;
    if (hit->rule == t->target)
        t->fired = 1;
    return 0;
}

static int corr_obs(void *ud, const rip_corr_obs *o)
{
    test_run *t = ud;
    return rip_corr_observe(t->corr, o, corr_fired, t);
}

static int test_hit(void *ud, const rip_sigma_hit *hit, const rip_event *ev)
{
    test_run *t = ud;
    if (hit->rule == t->target)
        t->fired = 1;
    if (t->corr)
        return rip_corr_extract(t->corr, hit, ev, "test", corr_obs, t);
    return 0;
}

static int test_event(void *ud, const rip_event *ev)
{
    test_run *t = ud;
    return rip_sigma_match(t->m, ev, test_hit, t) < 0 ? -1 : 0;
}

/* The format a bare record of this rule's logsource is (for records the
 * decoder does not recognize, such as partial findings). */
static void bare_event(const rip_sigma_meta *m, rip_json_doc *doc, rip_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->actor.mfa = -1;
    ev->action.read_only = -1;
    ev->doc = doc;
    ev->raw = rip_json_root(doc);
    ev->cloud = RIP_CLOUD_AWS;
    ev->kind = RIP_EVENT_API_CALL;
    ev->format = RIP_FORMAT_CLOUDTRAIL;
    const char *svc = m->service ? m->service : "";
    if (!strcmp(svc, "guardduty")) {
        ev->kind = RIP_EVENT_FINDING;
        ev->format = RIP_FORMAT_GUARDDUTY;
    } else if (!strcmp(svc, "securityhub")) {
        ev->kind = RIP_EVENT_FINDING;
        ev->format = RIP_FORMAT_ASFF;
    } else if (m->product && !strcmp(m->product, "gcp")) {
        ev->cloud = RIP_CLOUD_GCP;
        ev->format = RIP_FORMAT_GCP_AUDIT;
    }
    rip_slice t = rip_json_str(doc, rip_json_get(ev->raw, "eventTime"));
    if (t.ptr)
        rip_time_parse(t.ptr, t.len, &ev->time_ns);
}

static void quiet_error(void *ud, const rip_decode_error *e)
{
    (void)ud;
    (void)e;
}

/* The logsource a correlation's records come from: its first referenced rule's. */
static const rip_sigma_meta *source_meta(const rip_sigma_meta *m)
{
    if (m->kind == RIP_SIGMA_CORRELATION && m->correlation && m->correlation->resolved &&
        m->correlation->rules.n && m->correlation->resolved[0])
        return rip_sigma_rule_meta(m->correlation->resolved[0]);
    return m;
}

/* Runs the cases of one file; returns failures, or -1 if the file is bad. */
static int run_file_tests(rip_sigma_ruleset *rs, const char *name, const char *data, size_t len,
                          unsigned *passed, unsigned *cases)
{
    rip_rule_tests tests = { 0 };
    char err[256];
    if (rip_rule_tests_read(data, len, &tests, err, sizeof(err)) < 0) {
        rip_cli_error("'%s' %s", name, err);
        return -1;
    }
    if (tests.n == 0) {
        rip_rule_tests_release(&tests);
        return 0;
    }
    const rip_sigma_rule *target = NULL;
    for (uint32_t i = 0; tests.rule_id && i < rip_sigma_rule_count(rs); i++) {
        const rip_sigma_meta *m = rip_sigma_rule_meta(rip_sigma_rule_at(rs, i));
        if (m->id && !strcmp(m->id, tests.rule_id))
            target = rip_sigma_rule_at(rs, i);
    }
    if (!target) {
        rip_cli_error("'%s': has tests but its rule did not load (see the errors above)", name);
        rip_rule_tests_release(&tests);
        return -1;
    }
    const rip_sigma_meta *meta = rip_sigma_rule_meta(target);
    int failures = 0;
    rip_json_doc doc;
    rip_json_doc_init(&doc, NULL);
    for (size_t i = 0; i < tests.n; i++) {
        const rip_rule_test *t = &tests.v[i];
        test_run run = { .target = target };
        run.m = rip_sigma_matcher_new(rs);
        run.corr = rip_corr_new(rs, 0);
        rip_decoder dec;
        rip_decoder_init(&dec, test_event, quiet_error, &run, NULL);
        for (size_t k = 0; run.m && k < t->nrecords; k++) {
            uint64_t before = dec.stats.decoded;
            rip_decode_buffer(&dec, name, t->records[k], strlen(t->records[k]));
            if (dec.stats.decoded == before) {
                /* Not a record the decoder recognizes alone: match it bare. */
                if (rip_json_parse(&doc, t->records[k], strlen(t->records[k]), NULL) == 0) {
                    rip_event ev;
                    bare_event(source_meta(meta), &doc, &ev);
                    ev.input_index = k;
                    test_event(&run, &ev);
                }
            }
        }
        if (run.corr)
            rip_corr_flush(run.corr, corr_fired, &run);
        (*cases)++;
        if (run.fired == (int)t->match) {
            (*passed)++;
            printf("ok      %s line %u: %s\n", name, t->line, t->name);
        } else {
            failures++;
            printf("FAILED  %s line %u: %s: expected the rule to %s, it %s\n", name, t->line,
                   t->name, t->match ? "fire" : "stay silent", run.fired ? "fired" : "stayed silent");
        }
        rip_decoder_release(&dec);
        rip_corr_free(run.corr);
        rip_sigma_matcher_free(run.m);
    }
    rip_json_doc_release(&doc);
    rip_rule_tests_release(&tests);
    return failures;
}

/* Runs the tests of every rule file under path (files sorted, recursive,
 * walked like every other input). */
static int test_path(rip_sigma_ruleset *rs, const char *path, unsigned *passed,
                     unsigned *cases, int *bad)
{
    rip_input_list files;
    rip_input_list_init(&files);
    int failures = 0;
    if (rip_input_expand_names(&files, path, rip_input_is_yaml_name) < 0) {
        rip_cli_error("cannot list '%s'", path);
        *bad = 1;
    }
    for (size_t i = 0; i < files.count; i++) {
        const rip_input *in = &files.items[i];
        rip_buf data = RIP_BUF_INIT;
        if (in->err || rip_input_read(in->path, RULE_FILE_MAX, &data) < 0) {
            rip_cli_error("cannot read '%s'", in->path);
            *bad = 1;
        } else {
            int f = run_file_tests(rs, in->path, data.ptr, data.len, passed, cases);
            if (f < 0)
                *bad = 1;
            else
                failures += f;
        }
        rip_buf_release(&data);
    }
    rip_input_list_release(&files);
    return failures;
}

static int rules_test(int argc, char **argv)
{
    char *paths[RULES_MAX_PATHS];
    int npaths = 0;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            return rip_cli_error("rules test: unknown option '%s'", argv[i]);
        if (npaths < RULES_MAX_PATHS)
            paths[npaths++] = argv[i];
    }
    diag_state ds = { 0 };
    int bad = 0;
    rip_sigma_ruleset *rs = load_rules(paths, npaths, NULL, &ds, &bad);
    if (!rs)
        return RIP_EXIT_ERROR;
    unsigned passed = 0, cases = 0;
    int failures = 0;
    if (npaths == 0) {
        for (size_t i = 0; i < rip_builtin_rules_count; i++) {
            char name[512];
            snprintf(name, sizeof(name), "rules/%s", rip_builtin_rules[i].name);
            int f = run_file_tests(rs, name, rip_builtin_rules[i].data, rip_builtin_rules[i].size,
                                   &passed, &cases);
            if (f < 0)
                bad = 1;
            else
                failures += f;
        }
    }
    for (int i = 0; i < npaths; i++)
        failures += test_path(rs, paths[i], &passed, &cases, &bad);
    printf("%u of %u rule test case%s passed\n", passed, cases, cases == 1 ? "" : "s");
    rip_sigma_ruleset_free(rs);
    if (bad || ds.errors)
        return RIP_EXIT_ERROR;
    return failures ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
}

int cmd_rules(int argc, char **argv)
{
    if (argc < 2) {
        cmd_rules_usage(stderr);
        return RIP_EXIT_ERROR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "validate"))
        return rules_validate(argc - 1, argv + 1);
    if (!strcmp(sub, "list"))
        return rules_list(argc - 1, argv + 1);
    if (!strcmp(sub, "test"))
        return rules_test(argc - 1, argv + 1);
    return rip_cli_error("rules: unknown subcommand '%s' (expected validate, list or test)", sub);
}
