/* cmd-report.c — `riposte report`: an incident's post-mortem as Markdown or
 * one self-contained HTML file. Loads the incident from the store, fills the
 * plain view of cli/report.h (the adapter below), adds what the incident's
 * identities did and left behind (cli/investigate.h), and renders. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/investigate.h"
#include "cli/report.h"
#include "inventory/graph.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "config.h"

/* Identities whose events are read for "how" and "left behind", and the
 * window around the incident's activity they are read in. */
#define MAX_IDENTITIES 4
#define AROUND_NS (INT64_C(6) * 3600 * 1000000000)
#define TOP_ACTIONS 6

void cmd_report_usage(FILE *out)
{
    fputs(
"usage: riposte report ID [--format md|html] [-o FILE] [--db FILE]\n"
"\n"
"The post-mortem of incident ID: a summary; who, what, when and how; the\n"
"timeline; the entities; each finding with its plain-language explanation\n"
"and member events; the assets involved as the inventory knows them (their\n"
"tags and owners, security groups with rules open to the world, subnet,\n"
"VPC, role, what else is exposed the same way; in HTML also as a graph\n"
"laid out by Graphviz); what the identities involved created, attached, shared\n"
"or changed (read from their events from 6 hours before the incident's\n"
"first activity to 6 hours after its last); the actions taken and by whom;\n"
"and the follow-ups still open.\n"
"\n"
"No raw record is copied into a report: only named fields (who, what,\n"
"where), so credentials in a log record never reach it.\n"
"\n"
"options:\n"
"  --format md      Markdown (default; GitHub tables)\n"
"  --format html    one self-contained HTML file: inline CSS, no scripts, no\n"
"                   external resources; prints cleanly (File > Print)\n"
"  -o FILE          write to FILE instead of standard output (a name ending\n"
"                   in .html picks --format html)\n"
"  --db FILE        the database (default: $RIPOSTE_DB, else riposte.db)\n"
"  -h, --help       show this help\n"
"\n"
"examples:\n"
"  riposte report 12 > incident-12.md\n"
"  riposte report 12 -o incident-12.html\n"
"\n"
"exit status:\n"
"  0  the report was written\n"
"  1  there is no incident ID\n"
"  2  usage error, or the database or output file could not be used\n",
          out);
}

/* Everything the view borrows from, freed together. */
typedef struct report_data {
    rip_arena arena;
    rip_store_incident *inc;
    rip_investigation inv[MAX_IDENTITIES];
    size_t ninv;
} report_data;

static const char *tally_text(rip_arena *a, const rip_inv_tally *t, size_t max, bool services)
{
    rip_buf b = RIP_BUF_INIT;
    const char *out = NULL;
    for (size_t i = 0; i < t->n && i < max; i++) {
        size_t n = strlen(t->items[i].value);
        const char *v = services ? rip_inv_short_service(t->items[i].value, &n) : t->items[i].value;
        rip_buf_adds(&b, i ? ", " : "");
        rip_buf_add(&b, v, n);
        if (t->n > 1)
            rip_buf_addf(&b, " (%" PRIu64 ")", t->items[i].count);
    }
    if (t->n > max)
        rip_buf_addf(&b, " and %zu more", t->n - max);
    if (b.len)
        out = rip_arena_strndup(a, b.ptr, b.len);
    rip_buf_release(&b);
    return out;
}

/* The most frequent write calls (then any calls) the identity made. */
static const char *top_actions(rip_arena *a, const rip_investigation *inv)
{
    rip_inv_tally t = { 0 };
    int err = 0;
    const char *out;
    for (int pass = 0; pass < 2 && t.n < TOP_ACTIONS; pass++)
        for (size_t i = 0; i < inv->nevents; i++) {
            const rip_inv_event *e = &inv->events[i];
            if (!e->action || (pass == 0 && e->read_only != 0) || (pass == 1 && e->read_only == 0))
                continue;
            /* Counting by hand: tally_add is private to investigate.c. */
            size_t k;
            for (k = 0; k < t.n && strcmp(t.items[k].value, e->action); k++)
                ;
            if (k < t.n) {
                t.items[k].count++;
                continue;
            }
            if (t.n >= TOP_ACTIONS * 4)
                continue;
            rip_inv_count *items = realloc(t.items, (t.n + 1) * sizeof(*items));
            if (!items) {
                err = 1;
                break;
            }
            t.items = items;
            t.items[t.n++] = (rip_inv_count){ e->action, 1 };
        }
    /* Most frequent first (stable: insertion sort). */
    for (size_t i = 1; i < t.n; i++)
        for (size_t k = i; k > 0 && t.items[k].count > t.items[k - 1].count; k--) {
            rip_inv_count tmp = t.items[k];
            t.items[k] = t.items[k - 1];
            t.items[k - 1] = tmp;
        }
    out = err ? NULL : tally_text(a, &t, TOP_ACTIONS, false);
    free(t.items);
    return out;
}

static bool same_leftover(const rip_report_leftover *x, const rip_inv_leftover *y)
{
    return !strcmp(x->what, y->type) && !strcmp(x->id, y->id) &&
           ((!x->on && !y->on) || (x->on && y->on && !strcmp(x->on, y->on)));
}

/* The adapter: store incident -> report view. */
static int fill_context(rip_store *st, report_data *d, rip_report_incident *r);

static int fill_view(rip_store *st, report_data *d, rip_report_incident *r)
{
    const rip_store_incident *inc = d->inc;
    rip_arena *a = &d->arena;
    size_t nleft = 0;
    int rc;

    memset(r, 0, sizeof(*r));
    r->id = inc->row.id;
    r->title = inc->row.title;
    r->severity = inc->row.severity;
    r->status = inc->row.status;
    r->phase = inc->row.phase;
    r->owner = inc->row.owner;
    r->first_ns = inc->row.first_seen_ns;
    r->last_ns = inc->row.last_seen_ns;
    r->created_ns = inc->row.created_ns;
    r->updated_ns = inc->row.updated_ns;
    r->generator = "riposte " RIPOSTE_VERSION;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->generated_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;

    rip_report_entity *ents = rip_arena_calloc(a, inc->nentities + 1, sizeof(*ents));
    rip_report_finding *fs = rip_arena_calloc(a, inc->nfindings + 1, sizeof(*fs));
    rip_report_entry *tl = rip_arena_calloc(a, inc->ntimeline + 1, sizeof(*tl));
    rip_report_activity *act = rip_arena_calloc(a, MAX_IDENTITIES, sizeof(*act));
    if (!ents || !fs || !tl || !act)
        return RIP_ENOMEM;
    for (size_t i = 0; i < inc->nentities; i++)
        ents[i] = (rip_report_entity){ inc->entities[i].type, inc->entities[i].value,
                                       inc->entities[i].first_seen_ns,
                                       inc->entities[i].last_seen_ns };
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *f = &inc->findings[i];
        fs[i] = (rip_report_finding){
            .id = f->id, .rule = f->rule_id, .source = f->source, .title = f->title,
            .severity = f->severity, .explanation = f->explanation, .account = f->account,
            .region = f->region, .time_ns = f->time_ns, .event_ids = f->event_ids,
            .nevent_ids = f->nevents,
        };
    }
    for (size_t i = 0; i < inc->ntimeline; i++)
        tl[i] = (rip_report_entry){ inc->timeline[i].time_ns, inc->timeline[i].actor,
                                    inc->timeline[i].kind, inc->timeline[i].text };
    r->entities = ents;
    r->nentities = inc->nentities;
    r->findings = fs;
    r->nfindings = inc->nfindings;
    r->timeline = tl;
    r->ntimeline = inc->ntimeline;

    /* Access keys first (what a stolen key did), then principals. */
    static const struct {
        const char *type;
        rip_store_key by;
    } kinds[] = {
        { "access_key", RIP_STORE_BY_ACCESS_KEY },
        { "principal", RIP_STORE_BY_PRINCIPAL },
        { "role", RIP_STORE_BY_PRINCIPAL },
    };
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
        for (size_t i = 0; i < inc->nentities && d->ninv < MAX_IDENTITIES; i++) {
            const rip_store_entity *e = &inc->entities[i];
            if (strcmp(e->type, kinds[k].type))
                continue;
            rip_investigation *inv = &d->inv[d->ninv];
            rip_store_query q = { .by = kinds[k].by, .value = e->value };
            q.since_ns = r->first_ns > AROUND_NS ? r->first_ns - AROUND_NS : 0;
            q.until_ns = r->last_ns ? r->last_ns + AROUND_NS : 0;
            rip_inv_init(inv, NULL);
            d->ninv++;
            rc = rip_inv_run(inv, st, &q);
            if (rc < 0)
                return rc;
            if (!inv->total.count)
                continue;
            /* A principal whose events are exactly its key's says nothing new. */
            bool same = false;
            for (size_t p = 0; p < r->nactivity && !same; p++)
                same = act[p].events == inv->total.count && act[p].first_ns == inv->total.first_ns &&
                       act[p].last_ns == inv->total.last_ns && act[p].errors == inv->total.errors;
            if (same)
                continue;
            rip_report_activity *ac = &act[r->nactivity++];
            *ac = (rip_report_activity){
                .entity_type = e->type, .entity = e->value, .events = inv->total.count,
                .errors = inv->total.errors, .sessions = inv->nsessions,
                .first_ns = inv->total.first_ns, .last_ns = inv->total.last_ns,
                .services = tally_text(a, &inv->total.services, 5, true),
                .regions = tally_text(a, &inv->total.regions, 5, false),
                .accounts = tally_text(a, &inv->total.accounts, 5, false),
                .source_ips = tally_text(a, &inv->total.source_ips, 3, false),
                .user_agents = tally_text(a, &inv->total.user_agents, 2, false),
                .top_actions = top_actions(a, inv),
            };
            nleft += inv->nleftovers;
        }
    r->activity = act;

    rip_report_leftover *left = rip_arena_calloc(a, nleft + 1, sizeof(*left));
    if (!left)
        return RIP_ENOMEM;
    for (size_t v = 0; v < d->ninv; v++)
        for (size_t i = 0; i < d->inv[v].nleftovers; i++) {
            const rip_inv_leftover *l = &d->inv[v].leftovers[i];
            bool dup = false;
            for (size_t k = 0; k < r->nleftovers && !dup; k++)
                dup = same_leftover(&left[k], l);
            if (dup)
                continue;
            left[r->nleftovers++] = (rip_report_leftover){
                .what = l->type, .verb = l->verb, .id = l->id, .on_label = l->on_label,
                .on = l->on, .detail = l->detail, .hint = l->hint, .time_ns = l->time_ns,
                .removed_ns = l->removed_ns,
            };
        }
    r->leftovers = left;
    if ((rc = fill_context(st, d, r)) < 0)
        return rc;
    return rip_report_derive(r, a);
}

/* The assets involved (inventory/graph.h): topology text and SVG into the
 * arena. An inventory that knows none of the entities leaves both NULL; a
 * Graphviz failure leaves the SVG out and keeps the text. */
static int fill_context(rip_store *st, report_data *d, rip_report_incident *r)
{
    const rip_store_incident *inc = d->inc;
    rip_topo_root *roots = rip_arena_calloc(&d->arena, inc->nentities + 1, sizeof(*roots));
    rip_topology t;
    rip_buf text, svg;
    size_t n = 0;
    char err[256];
    int rc;
    if (!roots)
        return RIP_ENOMEM;
    for (size_t i = 0; i < inc->nentities; i++) {
        char *buf = rip_arena_alloc(&d->arena, 256);
        if (!buf)
            return RIP_ENOMEM;
        n += rip_topo_root_for_entity(inc->entities[i].type, inc->entities[i].value, buf, 256,
                                      &roots[n]);
    }
    rip_topology_init(&t);
    rip_buf_init(&text, 16u << 20);
    rip_buf_init(&svg, 64u << 20);
    rc = rip_topology_build(st, roots, n, &t);
    if (rc == 0 && t.n) {
        rc = rip_topology_text(&t, &text);
        if (rc == 0 && text.len)
            r->context_text = rip_arena_strndup(&d->arena, text.ptr, text.len);
        if (rc == 0 && rip_topology_svg(&t, &svg, err, sizeof(err)) == 0 && svg.len)
            r->context_svg = rip_arena_strndup(&d->arena, svg.ptr, svg.len);
        else if (rc == 0)
            rip_cli_warn("incident %" PRId64 ": the assets graph is left out: %s", r->id,
                         err[0] ? err : "no SVG");
        if (rc == 0 && ((text.len && !r->context_text) || (svg.len && !r->context_svg)))
            rc = RIP_ENOMEM;
    }
    rip_buf_release(&text);
    rip_buf_release(&svg);
    rip_topology_release(&t);
    return rc;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int cmd_report(int argc, char **argv)
{
    rip_store_options opt;
    rip_store_error serr;
    rip_store *st = NULL;
    report_data d;
    rip_report_incident view;
    rip_buf out = RIP_BUF_INIT;
    const char *db_flag = NULL, *db, *outfile = NULL, *format = NULL, *id_arg = NULL;
    int exit_code = RIP_EXIT_ERROR, rc;
    int64_t id = 0;

    memset(&d, 0, sizeof(d));
    rip_arena_init(&d.arena, 0);
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        const char **dst = NULL;
        size_t n = 0;
        if (!strncmp(arg, "--format", 8) && (arg[8] == 0 || arg[8] == '=')) {
            dst = &format;
            n = 8;
        } else if (!strncmp(arg, "--db", 4) && (arg[4] == 0 || arg[4] == '=')) {
            dst = &db_flag;
            n = 4;
        } else if (!strcmp(arg, "-o") || !strncmp(arg, "--output", 8)) {
            dst = &outfile;
            n = arg[1] == 'o' ? 2 : 8;
            if (arg[1] != 'o' && arg[8] != 0 && arg[8] != '=')
                dst = NULL;
        }
        if (dst) {
            const char *v = arg[n] == '=' ? arg + n + 1 : (a + 1 < argc ? argv[++a] : NULL);
            if (!v || !*v) {
                rip_cli_error("%.*s needs a value", (int)n, arg);
                goto out;
            }
            *dst = v;
            continue;
        }
        if (arg[0] == '-' && arg[1]) {
            rip_cli_error("unknown option '%s'; see 'riposte report --help'", arg);
            goto out;
        }
        if (id_arg) {
            rip_cli_error("one incident at a time: '%s' and '%s'", id_arg, arg);
            goto out;
        }
        id_arg = arg;
    }
    if (!id_arg) {
        rip_cli_error("which incident? give its number: riposte report ID");
        goto out;
    }
    char *end;
    long long v = strtoll(id_arg, &end, 10);
    if (*end || v <= 0) {
        rip_cli_error("'%s' is not an incident number", id_arg);
        goto out;
    }
    id = v;
    if (!format)
        format = outfile && (ends_with(outfile, ".html") || ends_with(outfile, ".htm")) ? "html" : "md";
    if (strcmp(format, "md") && strcmp(format, "html")) {
        rip_cli_error("unknown format '%s'; use md or html", format);
        goto out;
    }

    db = rip_store_path(db_flag);
    rip_store_options_init(&opt);
    opt.read_only = 1;
    rc = rip_store_open(db, &opt, &st, &serr);
    if (rc < 0) {
        rip_cli_error("cannot open database '%s': %s", db, serr.msg);
        goto out;
    }
    rc = rip_store_incident_get(st, id, &d.inc);
    if (rc == RIP_ENOTFOUND) {
        rip_cli_error("no incident %" PRId64 " in '%s'; 'riposte incident list' shows them", id, db);
        exit_code = RIP_EXIT_PARTIAL;
        goto out;
    }
    if (rc < 0) {
        rip_cli_error("reading incident %" PRId64 " from '%s': %s", id, db, rip_store_errmsg(st));
        goto out;
    }
    rc = fill_view(st, &d, &view);
    if (rc < 0) {
        rip_cli_error("reading the events of incident %" PRId64 ": %s", id,
                      rc == RIP_ENOMEM ? rip_strerror(rc) : rip_store_errmsg(st));
        goto out;
    }
    rc = !strcmp(format, "html") ? rip_report_html(&view, &out) : rip_report_md(&view, &out);
    if (rc < 0) {
        rip_cli_error("rendering the report: %s", rip_strerror(rc));
        goto out;
    }
    if (outfile) {
        FILE *f = fopen(outfile, "w");
        if (!f) {
            rip_cli_error("cannot write '%s': %m", outfile);
            goto out;
        }
        bool ok = fwrite(out.ptr, 1, out.len, f) == out.len;
        if (fclose(f) != 0 || !ok) {
            rip_cli_error("cannot write '%s': %m", outfile);
            goto out;
        }
    } else if (fwrite(out.ptr, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rip_cli_error("writing the report failed");
        goto out;
    }
    exit_code = RIP_EXIT_OK;
out:
    for (size_t i = 0; i < d.ninv; i++)
        rip_inv_release(&d.inv[i]);
    rip_store_incident_free(d.inc);
    rip_store_close(st);
    rip_arena_release(&d.arena);
    rip_buf_release(&out);
    return exit_code;
}
