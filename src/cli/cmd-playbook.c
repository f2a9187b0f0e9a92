/* cmd-playbook.c — `riposte playbook validate|list|show`: playbooks as code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/embedded.h"
#include "correlate/incident.h"
#include "respond/playbook.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"

#define PLAYBOOK_MAX_PATHS 256

void cmd_playbook_usage(FILE *out)
{
    fputs(
"usage: riposte playbook validate [PATH...]\n"
"       riposte playbook list [--format text|jsonl] [PATH...]\n"
"       riposte playbook show NAME [PATH...]\n"
"\n"
"Work with response playbooks as code (docs/PLAYBOOKS.md). PATH is a playbook\n"
"file or a folder of them (*.yml, *.yaml, read recursively); without PATH,\n"
"riposte's own playbooks (built into the binary) are used.\n"
"\n"
"  validate  load and check every playbook: keys, actions and their parameters,\n"
"            ${{ }} expressions, approvals, the order of the steps. Every problem\n"
"            is printed as 'file' line N: key: what was expected. Exit 0 when all\n"
"            are valid, 1 when some were rejected, 2 when a path cannot be read.\n"
"  list      one line per playbook: name, steps, trigger and description (or\n"
"            jsonl).\n"
"  show      one playbook: its trigger and its steps in the order they run, with\n"
"            what each needs. Exit 2 when there is no playbook NAME.\n"
"\n"
"examples:\n"
"  riposte playbook validate playbooks/\n"
"  riposte playbook list\n"
"  riposte playbook show compromised-access-key\n", out);
}

typedef struct diag_state {
    unsigned errors;
} diag_state;

static void on_diag(void *ud, const rip_pb_diag *d)
{
    diag_state *s = ud;
    s->errors++;
    fprintf(stderr, "riposte: %s\n", d->message);
}

int rip_cli_load_builtin_playbooks(rip_playbook_set *s)
{
    int ret = 0;
    for (size_t i = 0; i < rip_builtin_playbooks_count; i++) {
        char name[512];
        snprintf(name, sizeof(name), "playbooks/%s", rip_builtin_playbooks[i].name);
        int r = rip_playbook_load_text(s, name, rip_builtin_playbooks[i].data,
                                       rip_builtin_playbooks[i].size);
        if (r < 0 && !ret)
            ret = r;
    }
    return ret;
}

/* Loads the paths (or the built-in set). NULL when out of memory;
 * *read_failed is set when a path could not be read. */
static rip_playbook_set *load(char **paths, int npaths, diag_state *ds, int *read_failed)
{
    rip_playbook_set *s = rip_playbook_set_new(on_diag, ds);
    if (!s) {
        rip_cli_error("out of memory");
        return NULL;
    }
    if (npaths == 0)
        rip_cli_load_builtin_playbooks(s);
    for (int i = 0; i < npaths; i++) {
        int r = rip_playbook_load_path(s, paths[i]);
        if (r == RIP_ENOENT || r == RIP_EIO || r == RIP_ENOMEM)
            *read_failed = 1;
    }
    return s;
}

/* Collects PATH arguments; options are the caller's. -1 on a usage error. */
static int add_path(const char *sub, char **paths, int *npaths, const char *arg)
{
    if (arg[0] == '-' && arg[1]) {
        rip_cli_error("playbook %s: unknown option '%s'", sub, arg);
        return -1;
    }
    if (*npaths >= PLAYBOOK_MAX_PATHS) {
        rip_cli_error("playbook %s: more than %d paths", sub, PLAYBOOK_MAX_PATHS);
        return -1;
    }
    paths[(*npaths)++] = (char *)arg;
    return 0;
}

static int pb_validate(int argc, char **argv)
{
    char *paths[PLAYBOOK_MAX_PATHS];
    int npaths = 0;
    for (int i = 1; i < argc; i++)
        if (add_path("validate", paths, &npaths, argv[i]) < 0)
            return RIP_EXIT_ERROR;
    diag_state ds = { 0 };
    int read_failed = 0;
    rip_playbook_set *s = load(paths, npaths, &ds, &read_failed);
    if (!s)
        return RIP_EXIT_ERROR;
    size_t n = rip_playbook_count(s);
    printf("%zu playbook%s valid, %u error%s\n", n, n == 1 ? "" : "s", ds.errors,
           ds.errors == 1 ? "" : "s");
    rip_playbook_set_free(s);
    if (read_failed)
        return RIP_EXIT_ERROR;
    return ds.errors ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
}

static void add_list(rip_buf *b, const char *label, const rip_pb_strs *l)
{
    if (!l->n)
        return;
    rip_buf_addf(b, "%s%s=", b->len ? " " : "", label);
    for (size_t i = 0; i < l->n; i++)
        rip_buf_addf(b, "%s%s", i ? "," : "", l->v[i]);
}

static void trigger_text(rip_buf *b, const rip_pb_trigger *t)
{
    add_list(b, "finding_types", &t->finding_types);
    add_list(b, "rule_ids", &t->rule_ids);
    add_list(b, "tags", &t->tags);
    if (t->min_severity >= 0)
        rip_buf_addf(b, " min_severity=%s", rip_severity_name(t->min_severity));
    add_list(b, "accounts", &t->accounts);
    for (size_t i = 0; i < t->nresource_tags; i++)
        rip_buf_addf(b, " resource_tag:%s=%s", t->resource_tags[i].key,
                     t->resource_tags[i].value);
}

static void jw_strs(rip_jw *w, const char *key, const rip_pb_strs *l)
{
    rip_jw_key(w, key);
    rip_jw_arr_begin(w);
    for (size_t i = 0; i < l->n; i++)
        rip_jw_str(w, l->v[i]);
    rip_jw_arr_end(w);
}

static int pb_list(int argc, char **argv)
{
    char *paths[PLAYBOOK_MAX_PATHS];
    int npaths = 0, jsonl = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--format") && i + 1 < argc) {
            const char *f = argv[++i];
            if (!strcmp(f, "jsonl"))
                jsonl = 1;
            else if (strcmp(f, "text"))
                return rip_cli_error("playbook list: unknown format '%s' (expected text or jsonl)",
                                     f);
        } else if (add_path("list", paths, &npaths, argv[i]) < 0) {
            return RIP_EXIT_ERROR;
        }
    }
    diag_state ds = { 0 };
    int read_failed = 0;
    rip_playbook_set *s = load(paths, npaths, &ds, &read_failed);
    if (!s)
        return RIP_EXIT_ERROR;
    rip_buf b;
    rip_buf_init(&b, 0);
    for (size_t i = 0; i < rip_playbook_count(s); i++) {
        const rip_playbook *pb = rip_playbook_at(s, i);
        rip_buf_reset(&b);
        if (jsonl) {
            rip_jw w;
            rip_jw_init(&w, &b);
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "name");
            rip_jw_str(&w, pb->name);
            rip_jw_key(&w, "description");
            rip_jw_str(&w, pb->description);
            rip_jw_key(&w, "file");
            rip_jw_str(&w, pb->file);
            rip_jw_key(&w, "steps");
            rip_jw_arr_begin(&w);
            for (size_t k = 0; k < pb->nsteps; k++)
                rip_jw_str(&w, pb->steps[k].id);
            rip_jw_arr_end(&w);
            rip_jw_key(&w, "trigger");
            rip_jw_obj_begin(&w);
            jw_strs(&w, "finding_types", &pb->trigger.finding_types);
            jw_strs(&w, "rule_ids", &pb->trigger.rule_ids);
            jw_strs(&w, "tags", &pb->trigger.tags);
            rip_jw_key(&w, "min_severity");
            if (pb->trigger.min_severity >= 0)
                rip_jw_str(&w, rip_severity_name(pb->trigger.min_severity));
            else
                rip_jw_null(&w);
            jw_strs(&w, "accounts", &pb->trigger.accounts);
            rip_jw_obj_end(&w);
            rip_jw_obj_end(&w);
            if (rip_jw_finish(&w) == 0)
                printf("%s\n", b.ptr);
        } else {
            printf("%-32s %2zu step%s  %s\n", pb->name, pb->nsteps, pb->nsteps == 1 ? " " : "s",
                   pb->description ? pb->description : "");
        }
    }
    rip_buf_release(&b);
    int ret = read_failed ? RIP_EXIT_ERROR : ds.errors ? RIP_EXIT_PARTIAL : RIP_EXIT_OK;
    rip_playbook_set_free(s);
    return ret;
}

static void show_step(const rip_pb_step *st)
{
    printf("\n  %s (%s)%s%s\n", st->id, rip_pb_step_kind_name(st->kind), st->name ? ": " : "",
           st->name ? st->name : "");
    if (st->nneeds) {
        printf("    needs:      ");
        for (size_t i = 0; i < st->nneeds; i++)
            printf("%s%s", i ? ", " : "", st->needs[i]);
        printf("\n");
    }
    if (st->when)
        printf("    when:       %s\n", st->when);
    if (st->kind == RIP_PB_STEP_ACTION) {
        printf("    action:     %s\n", st->action);
        for (size_t i = 0; i < st->nparams; i++)
            printf("      %-16s %s\n", st->params[i].key, st->params[i].value);
    } else {
        printf("    notify:     %s at %s\n", st->notify_channel,
               rip_severity_name(st->notify_severity));
        printf("    message:    %s\n", st->notify_message);
    }
    if (st->approval.required) {
        printf("    approval:   ");
        for (size_t i = 0; i < st->approval.who.n; i++)
            printf("%s%s", i ? ", " : "", st->approval.who.v[i]);
        printf(" within %us, else %s\n", st->approval.timeout_s,
               rip_pb_on_timeout_name(st->approval.on_timeout));
    }
    if (st->retry_attempts > 1)
        printf("    retry:      %u attempts, backoff %us\n", st->retry_attempts,
               st->retry_backoff_s);
    printf("    timeout:    %us\n", st->timeout_s);
    printf("    on_failure: %s\n", rip_pb_on_failure_name(st->on_failure));
    if (st->verify_fact)
        printf("    verify:     %s == %s\n", st->verify_fact, st->verify_equals);
}

static int pb_show(int argc, char **argv)
{
    char *paths[PLAYBOOK_MAX_PATHS];
    int npaths = 0;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!name && argv[i][0] != '-')
            name = argv[i];
        else if (add_path("show", paths, &npaths, argv[i]) < 0)
            return RIP_EXIT_ERROR;
    }
    if (!name)
        return rip_cli_error("playbook show: which playbook? (see 'riposte playbook list')");
    diag_state ds = { 0 };
    int read_failed = 0;
    rip_playbook_set *s = load(paths, npaths, &ds, &read_failed);
    if (!s)
        return RIP_EXIT_ERROR;
    const rip_playbook *pb = rip_playbook_find(s, name);
    int ret = RIP_EXIT_OK;
    if (!pb) {
        ret = rip_cli_error("no playbook '%s' (see 'riposte playbook list')", name);
        goto out;
    }
    rip_buf b;
    rip_buf_init(&b, 0);
    trigger_text(&b, &pb->trigger);
    printf("%s — %s\n", pb->name, pb->description ? pb->description : "");
    printf("file:    %s\n", pb->file);
    printf("trigger: %s\n", b.ptr);
    rip_buf_release(&b);
    printf("steps, in the order they run (steps that do not need each other may run in "
           "parallel):\n");
    for (size_t i = 0; i < pb->nsteps; i++)
        show_step(&pb->steps[pb->order[i]]);
out:
    rip_playbook_set_free(s);
    return ret;
}

int cmd_playbook(int argc, char **argv)
{
    if (argc < 2) {
        cmd_playbook_usage(stderr);
        return RIP_EXIT_ERROR;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "validate"))
        return pb_validate(argc - 1, argv + 1);
    if (!strcmp(sub, "list"))
        return pb_list(argc - 1, argv + 1);
    if (!strcmp(sub, "show"))
        return pb_show(argc - 1, argv + 1);
    return rip_cli_error("playbook: unknown subcommand '%s' (expected validate, list or show)",
                         sub);
}
