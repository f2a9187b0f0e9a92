/* cmd-incident-list.c — `riposte incident list`: incidents, newest activity
 * first, as a table or as JSON lines. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "correlate/incident.h"
#include "util/err.h"
#include "util/timeutil.h"

#define LIST_MAX_IDS ((size_t)1 << 20)

typedef struct list_ctx {
    int64_t *ids;
    size_t n, alloc;
    int jsonl;
    rip_buf line;
} list_ctx;

static int on_row(void *ud, const rip_store_incident_row *r)
{
    list_ctx *c = ud;
    if (c->jsonl) {
        /* The JSON needs the incident's members: load them after the list. */
        if (c->n == LIST_MAX_IDS)
            return RIP_ELIMIT;
        if (c->n == c->alloc) {
            size_t na = c->alloc ? c->alloc * 2 : 64;
            int64_t *nv = realloc(c->ids, na * sizeof(*nv));
            if (!nv)
                return RIP_ENOMEM;
            c->ids = nv;
            c->alloc = na;
        }
        c->ids[c->n++] = r->id;
        return 0;
    }
    char t[RIP_TIME_FMT_MAX];
    rip_buf_reset(&c->line);
    rip_buf_addf(&c->line, "%5" PRId64 "  %-13s %-14s %-10s %-20s %-3" PRIu64 " ", r->id,
                 r->severity ? r->severity : "?", r->status ? r->status : "?",
                 r->phase ? r->phase : "?", r->last_seen_ns ? rip_time_format(r->last_seen_ns, t) : "-",
                 r->nfindings);
    rip_buf_addc(&c->line, ' ');
    rip_incident_cli_safe(&c->line, r->owner ? r->owner : "-");
    rip_buf_adds(&c->line, "  ");
    rip_incident_cli_safe(&c->line, r->title);
    if (r->merged_into)
        rip_buf_addf(&c->line, " (merged into %" PRId64 ")", r->merged_into);
    rip_buf_addc(&c->line, '\n');
    fwrite(c->line.ptr, 1, c->line.len, stdout);
    return 0;
}

int cmd_incident_list(int argc, char **argv)
{
    const char *db_flag = NULL, *status = NULL, *format = "text";
    uint64_t limit = 0;
    rip_store *st = NULL;
    list_ctx c = { .line = RIP_BUF_INIT };
    int ret = RIP_INCIDENT_EXIT_ERROR, rc;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) ? (i + 1 < argc ? (val = argv[++i]) != NULL : 0) \
                   : !strncmp(a, name "=", sizeof(name)) ? (val = a + sizeof(name)) != NULL : 0)
        if (OPT("--db")) {
            db_flag = val;
        } else if (OPT("--status")) {
            status = val;
        } else if (OPT("--format")) {
            format = val;
        } else if (OPT("--limit")) {
            char *end;
            errno = 0;
            long long v = strtoll(val, &end, 10);
            if (errno || *end || v <= 0)
                return rip_cli_error("--limit: expected a positive number, got '%s'", val);
            limit = (uint64_t)v;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--status") || !strcmp(a, "--format") ||
                   !strcmp(a, "--limit")) {
            return rip_cli_error("option '%s' needs a value", a);
        } else {
            return rip_cli_error("unexpected '%s'; usage: riposte incident list [--status S] "
                                 "[--limit N] [--format text|jsonl] [--db FILE]", a);
        }
#undef OPT
    }
    if (strcmp(format, "text") && strcmp(format, "jsonl"))
        return rip_cli_error("--format: unknown format '%s' (expected text or jsonl)", format);
    if (status && rip_incident_state_kind(status) != RIP_STATE_STATUS && strcmp(status, "merged"))
        return rip_cli_error("--status: unknown status '%s' (expected open, acknowledged, "
                             "resolved, false_positive or merged)", status);
    c.jsonl = !strcmp(format, "jsonl");
    if (rip_incident_cli_open(db_flag, &st))
        return RIP_INCIDENT_EXIT_ERROR;

    if (!c.jsonl)
        printf("%5s  %-13s %-14s %-10s %-20s %-3s  %s  %s\n", "ID", "SEVERITY", "STATUS",
               "PHASE", "LAST SEEN", "FND", "OWNER", "TITLE");
    rip_store_incident_filter f = { .status = status, .limit = limit };
    rc = rip_store_list_incidents(st, &f, on_row, &c);
    if (rc < 0) {
        rip_cli_error("listing incidents: %s", rc == RIP_ELIMIT ? "too many incidents; use --limit"
                      : *rip_store_errmsg(st) ? rip_store_errmsg(st) : rip_strerror(rc));
        goto out;
    }
    for (size_t i = 0; i < c.n; i++) {
        rip_store_incident *inc = NULL;
        rc = rip_store_incident_get(st, c.ids[i], &inc);
        if (rc < 0) {
            rip_incident_cli_fail(st, rc, c.ids[i], "loading");
            goto out;
        }
        rip_buf_reset(&c.line);
        rc = rip_incident_cli_json(&c.line, inc, 0);
        rip_store_incident_free(inc);
        if (rc == 0)
            rc = rip_buf_addc(&c.line, '\n');
        if (rc < 0) {
            rip_cli_error("writing incident %" PRId64 ": %s", c.ids[i], rip_strerror(rc));
            goto out;
        }
        fwrite(c.line.ptr, 1, c.line.len, stdout);
    }
    ret = fflush(stdout) == 0 ? RIP_INCIDENT_EXIT_OK : RIP_INCIDENT_EXIT_ERROR;
out:
    free(c.ids);
    rip_buf_release(&c.line);
    rip_store_close(st);
    return ret;
}
