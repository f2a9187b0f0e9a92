/* cmd-incident-note.c — `riposte incident note ID TEXT`: append a note to
 * an incident's timeline. */
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "correlate/incident.h"
#include "util/buf.h"
#include "util/err.h"

#define NOTE_MAX ((size_t)64 << 10)

int cmd_incident_note(int argc, char **argv)
{
    const char *db_flag = NULL, *by = NULL, *idarg = NULL;
    rip_buf text = RIP_BUF_INIT;
    rip_store *st = NULL;
    int64_t id = 0;
    int ret = RIP_INCIDENT_EXIT_ERROR, rc, opts = 1;

    rip_buf_init(&text, NOTE_MAX);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
#define OPT(name) (!strcmp(a, name) ? (i + 1 < argc ? (val = argv[++i]) != NULL : 0) \
                   : !strncmp(a, name "=", sizeof(name)) ? (val = a + sizeof(name)) != NULL : 0)
        if (opts && !strcmp(a, "--")) {
            opts = 0;
        } else if (opts && OPT("--db")) {
            db_flag = val;
        } else if (opts && OPT("--by")) {
            by = val;
        } else if (opts && (!strcmp(a, "--db") || !strcmp(a, "--by"))) {
            rip_cli_error("option '%s' needs a value", a);
            goto out;
        } else if (opts && a[0] == '-' && a[1] == '-') {
            rip_cli_error("unknown option '%s'; see 'riposte incident --help'", a);
            goto out;
        } else if (!idarg) {
            idarg = a;
        } else {
            /* The words of the note, joined by spaces. */
            if ((text.len && rip_buf_addc(&text, ' ') < 0) || rip_buf_adds(&text, a) < 0) {
                rip_cli_error("the note is longer than %zu bytes", NOTE_MAX);
                goto out;
            }
        }
#undef OPT
    }
    if (!idarg || !text.len) {
        rip_cli_error("usage: riposte incident note ID TEXT [--by WHO] [--db FILE]");
        goto out;
    }
    if (rip_incident_cli_id(idarg, &id))
        goto out;
    if (rip_incident_cli_open(db_flag, &st))
        goto out;
    rc = rip_incident_note(st, id, text.ptr, rip_incident_cli_who(by), 0);
    if (rc < 0) {
        ret = rip_incident_cli_fail(st, rc, id, "adding a note to");
        goto out;
    }
    ret = RIP_INCIDENT_EXIT_OK;
out:
    rip_buf_release(&text);
    rip_store_close(st);
    return ret;
}
