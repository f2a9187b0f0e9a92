/* cmd-incident-show.c — `riposte incident show ID`: one incident with its
 * entities, its findings explained, and its timeline. */
#include <inttypes.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "inventory/graph.h"
#include "util/err.h"
#include "util/timeutil.h"

static const char *when(int64_t ns, char buf[RIP_TIME_FMT_MAX])
{
    return ns ? rip_time_format(ns, buf) : "-";
}

/* Appends text indented by pad on every line. */
static void add_indented(rip_buf *b, const char *text, const char *pad)
{
    rip_buf_adds(b, pad);
    for (const char *p = text; p && *p; p++) {
        if (*p == '\n') {
            rip_buf_addc(b, '\n');
            rip_buf_adds(b, pad);
            continue;
        }
        char one[2] = { *p, 0 };
        rip_incident_cli_safe(b, one);
    }
    rip_buf_addc(b, '\n');
}

/* The assets involved, from the inventory (inventory/graph.h). */
static int write_context(rip_buf *b, rip_store *st, const rip_store_incident *inc)
{
    rip_topo_root roots[64];
    char names[64][256];
    size_t n = 0;
    rip_topology t;
    int rc;
    for (size_t i = 0; i < inc->nentities && n < 64; i++)
        n += rip_topo_root_for_entity(inc->entities[i].type, inc->entities[i].value, names[n],
                                      sizeof(names[n]), &roots[n]);
    if (!n)
        return 0;
    rip_topology_init(&t);
    rc = rip_topology_build(st, roots, n, &t);
    if (rc == 0) {
        rip_buf_adds(b, "\nassets involved (from the inventory):\n");
        if (t.n) {
            rip_buf text = RIP_BUF_INIT;
            rc = rip_topology_text(&t, &text);
            for (size_t i = 0; rc == 0 && i < text.len; i++) {
                if (i == 0 || text.ptr[i - 1] == '\n')
                    rip_buf_adds(b, "  ");
                char one[2] = { text.ptr[i], 0 };
                if (one[0] == '\n')
                    rip_buf_addc(b, '\n');
                else
                    rip_incident_cli_safe(b, one);
            }
            rip_buf_release(&text);
        } else {
            rip_buf_adds(b, "  none of its entities is in the inventory; 'riposte inventory sync'"
                            " fills it\n");
        }
    }
    rip_topology_release(&t);
    return rc;
}

static int write_text(rip_buf *b, const rip_store_incident *inc)
{
    const rip_store_incident_row *r = &inc->row;
    char t1[RIP_TIME_FMT_MAX], t2[RIP_TIME_FMT_MAX];

    rip_buf_addf(b, "incident %" PRId64 ": ", r->id);
    rip_incident_cli_safe(b, r->title);
    rip_buf_adds(b, "\n  severity ");
    rip_incident_cli_safe(b, r->severity);
    rip_buf_adds(b, ", status ");
    rip_incident_cli_safe(b, r->status);
    if (r->merged_into)
        rip_buf_addf(b, " (into incident %" PRId64 ")", r->merged_into);
    rip_buf_adds(b, ", phase ");
    rip_incident_cli_safe(b, r->phase);
    rip_buf_adds(b, ", owner ");
    rip_incident_cli_safe(b, r->owner ? r->owner : "(nobody)");
    rip_buf_addf(b, "\n  first seen %s, last seen %s\n", when(r->first_seen_ns, t1),
                 when(r->last_seen_ns, t2));

    rip_buf_addf(b, "\nentities (%zu):\n", inc->nentities);
    for (size_t i = 0; i < inc->nentities; i++) {
        rip_buf_adds(b, "  ");
        rip_incident_cli_safe(b, inc->entities[i].type);
        size_t n = strlen(inc->entities[i].type);
        rip_buf_addf(b, "%*s", (int)(n < 15 ? 15 - n : 1), "");
        rip_incident_cli_safe(b, inc->entities[i].value);
        rip_buf_addc(b, '\n');
    }

    rip_buf_addf(b, "\nfindings (%zu):\n", inc->nfindings);
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *f = &inc->findings[i];
        rip_buf_addf(b, "  finding %" PRId64 "  %s  ", f->id, when(f->time_ns, t1));
        rip_incident_cli_safe(b, f->severity);
        rip_buf_adds(b, "  ");
        rip_incident_cli_safe(b, f->title);
        rip_buf_adds(b, "\n    source ");
        rip_incident_cli_safe(b, f->source);
        if (f->rule_id) {
            rip_buf_adds(b, ", rule ");
            rip_incident_cli_safe(b, f->rule_id);
        }
        rip_buf_addc(b, '\n');
        if (f->explanation)
            add_indented(b, f->explanation, "    ");
        if (f->nevents) {
            rip_buf_addf(b, "    %zu %s:", f->nevents, f->nevents == 1 ? "event" : "events");
            for (size_t k = 0; k < f->nevents && k < 10; k++) {
                rip_buf_addc(b, ' ');
                rip_incident_cli_safe(b, f->event_ids[k]);
            }
            if (f->nevents > 10)
                rip_buf_addf(b, " ... (%zu more; --format json lists them all)",
                             f->nevents - 10);
            rip_buf_addc(b, '\n');
        }
    }

    rip_buf_addf(b, "\ntimeline (%zu):\n", inc->ntimeline);
    for (size_t i = 0; i < inc->ntimeline; i++) {
        const rip_store_timeline_row *e = &inc->timeline[i];
        rip_buf_addf(b, "  %s  ", when(e->time_ns, t1));
        rip_incident_cli_safe(b, e->actor ? e->actor : "-");
        rip_buf_adds(b, "  ");
        rip_incident_cli_safe(b, e->kind);
        rip_buf_adds(b, "  ");
        rip_incident_cli_safe(b, e->text);
        rip_buf_addc(b, '\n');
    }
    return 0;
}

int cmd_incident_show(int argc, char **argv)
{
    const char *db_flag = NULL, *format = "text", *idarg = NULL;
    rip_store *st = NULL;
    rip_store_incident *inc = NULL;
    rip_buf out = RIP_BUF_INIT;
    int64_t id = 0;
    int ret = RIP_INCIDENT_EXIT_ERROR, rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) ? (i + 1 < argc ? (val = argv[++i]) != NULL : 0) \
                   : !strncmp(a, name "=", sizeof(name)) ? (val = a + sizeof(name)) != NULL : 0)
        if (OPT("--db")) {
            db_flag = val;
        } else if (OPT("--format")) {
            format = val;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--format")) {
            return rip_cli_error("option '%s' needs a value", a);
        } else if (a[0] == '-' && a[1] == '-') {
            return rip_cli_error("unknown option '%s'; see 'riposte incident --help'", a);
        } else if (!idarg) {
            idarg = a;
        } else {
            return rip_cli_error("unexpected '%s'; usage: riposte incident show ID "
                                 "[--format text|json] [--db FILE]", a);
        }
#undef OPT
    }
    if (!idarg)
        return rip_cli_error("which incident? usage: riposte incident show ID "
                             "[--format text|json] [--db FILE]");
    if (rip_incident_cli_id(idarg, &id))
        return RIP_INCIDENT_EXIT_ERROR;
    if (strcmp(format, "text") && strcmp(format, "json"))
        return rip_cli_error("--format: unknown format '%s' (expected text or json)", format);
    if (rip_incident_cli_open(db_flag, &st))
        return RIP_INCIDENT_EXIT_ERROR;
    rc = rip_store_incident_get(st, id, &inc);
    if (rc < 0) {
        ret = rip_incident_cli_fail(st, rc, id, "loading");
        goto out;
    }
    if (!strcmp(format, "json")) {
        rc = rip_incident_cli_json(&out, inc, 1);
        if (rc == 0)
            rc = rip_buf_addc(&out, '\n');
    } else {
        rc = write_text(&out, inc);
        if (rc == 0 && (rc = write_context(&out, st, inc)) < 0)
            rip_cli_warn("incident %" PRId64 ": the assets involved are left out: %s", id,
                         rip_store_errmsg(st));
        rc = rc == RIP_ENOMEM ? rc : 0;
    }
    if (rc < 0) {
        rip_cli_error("writing incident %" PRId64 ": %s", id, rip_strerror(rc));
        goto out;
    }
    fwrite(out.ptr, 1, out.len, stdout);
    ret = fflush(stdout) == 0 ? RIP_INCIDENT_EXIT_OK : RIP_INCIDENT_EXIT_ERROR;
out:
    rip_store_incident_free(inc);
    rip_buf_release(&out);
    rip_store_close(st);
    return ret;
}
