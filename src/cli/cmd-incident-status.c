/* cmd-incident-status.c — `riposte incident status ID STATUS`: set an
 * incident's status or NIST phase (correlate/incident.h says how the two
 * move together) and record who did it. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "correlate/incident.h"
#include "util/err.h"

typedef struct merged_ud {
    int64_t into;
    int merged;
} merged_ud;

static int on_row(void *ud, const rip_store_incident_row *r)
{
    merged_ud *m = ud;
    m->merged = r->status && !strcmp(r->status, "merged");
    m->into = r->merged_into;
    return 0;
}

int cmd_incident_status(int argc, char **argv)
{
    const char *db_flag = NULL, *by = NULL, *idarg = NULL, *state = NULL;
    rip_store *st = NULL;
    int64_t id = 0;
    int ret = RIP_INCIDENT_EXIT_ERROR, rc, changed = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) ? (i + 1 < argc ? (val = argv[++i]) != NULL : 0) \
                   : !strncmp(a, name "=", sizeof(name)) ? (val = a + sizeof(name)) != NULL : 0)
        if (OPT("--db")) {
            db_flag = val;
        } else if (OPT("--by")) {
            by = val;
        } else if (!strcmp(a, "--db") || !strcmp(a, "--by")) {
            return rip_cli_error("option '%s' needs a value", a);
        } else if (a[0] == '-' && a[1] == '-') {
            return rip_cli_error("unknown option '%s'; see 'riposte incident --help'", a);
        } else if (!idarg) {
            idarg = a;
        } else if (!state) {
            state = a;
        } else {
            return rip_cli_error("unexpected '%s'; usage: riposte incident status ID STATUS "
                                 "[--by WHO] [--db FILE]", a);
        }
#undef OPT
    }
    if (!idarg || !state)
        return rip_cli_error("usage: riposte incident status ID STATUS [--by WHO] [--db FILE]");
    if (rip_incident_cli_id(idarg, &id))
        return RIP_INCIDENT_EXIT_ERROR;
    if (rip_incident_state_kind(state) == RIP_STATE_UNKNOWN)
        return rip_cli_error("unknown status '%s': expected a status (open, acknowledged, "
                             "resolved, false_positive) or a phase (detected, contained, "
                             "eradicated, recovered, closed)", state);
    if (rip_incident_cli_open(db_flag, &st))
        return RIP_INCIDENT_EXIT_ERROR;
    merged_ud m = { 0 };
    rip_store_incident_filter f = { .id = id };
    rc = rip_store_list_incidents(st, &f, on_row, &m);
    if (rc == 0 && m.merged) {
        rip_cli_error("incident %" PRId64 " was merged into incident %" PRId64
                      "; change that one", id, m.into);
        goto out;
    }
    if (rc == 0)
        rc = rip_incident_set_state(st, id, state, rip_incident_cli_who(by), 0, &changed);
    if (rc < 0) {
        ret = rip_incident_cli_fail(st, rc, id, "changing");
        goto out;
    }
    if (changed)
        printf("riposte: incident %" PRId64 " is now %s\n", id, state);
    else
        printf("riposte: incident %" PRId64 " already is %s; nothing recorded\n", id, state);
    ret = RIP_INCIDENT_EXIT_OK;
out:
    rip_store_close(st);
    return ret;
}
