/* cmd-incident-assign.c — `riposte incident assign ID WHO`: set an
 * incident's owner and record the assignment in its timeline. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "correlate/incident.h"
#include "util/err.h"

#define OWNER_MAX 256

int cmd_incident_assign(int argc, char **argv)
{
    const char *db_flag = NULL, *by = NULL, *idarg = NULL, *owner = NULL;
    rip_store *st = NULL;
    int64_t id = 0;
    int ret = RIP_INCIDENT_EXIT_ERROR, rc;

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
        } else if (!owner) {
            owner = a;
        } else {
            return rip_cli_error("unexpected '%s'; usage: riposte incident assign ID WHO "
                                 "[--by WHO] [--db FILE]", a);
        }
#undef OPT
    }
    if (!idarg || !owner || !*owner)
        return rip_cli_error("usage: riposte incident assign ID WHO [--by WHO] [--db FILE]");
    if (rip_incident_cli_id(idarg, &id))
        return RIP_INCIDENT_EXIT_ERROR;
    if (strlen(owner) > OWNER_MAX)
        return rip_cli_error("the owner is longer than %d bytes", OWNER_MAX);
    for (const char *p = owner; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return rip_cli_error("the owner contains a control character");
    if (rip_incident_cli_open(db_flag, &st))
        return RIP_INCIDENT_EXIT_ERROR;
    rc = rip_incident_assign(st, id, owner, rip_incident_cli_who(by), 0);
    if (rc < 0) {
        ret = rip_incident_cli_fail(st, rc, id, "assigning");
        goto out;
    }
    printf("riposte: incident %" PRId64 " assigned to %s\n", id, owner);
    ret = RIP_INCIDENT_EXIT_OK;
out:
    rip_store_close(st);
    return ret;
}
