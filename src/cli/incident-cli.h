/* incident-cli.h — what the `riposte incident` subcommands share: their
 * table (cmd-incident.c dispatches), opening the store, parsing an incident
 * id, and writing an incident as text or JSON. One file per subcommand:
 * cmd-incident-list.c, -show.c, -note.c, -assign.c, -status.c.
 */
#ifndef RIPOSTE_CLI_INCIDENT_CLI_H
#define RIPOSTE_CLI_INCIDENT_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "store/store.h"
#include "util/buf.h"

/* Exit codes of `riposte incident` (documented in its help). */
enum {
    RIP_INCIDENT_EXIT_OK = 0,
    RIP_INCIDENT_EXIT_NOTFOUND = 1,   /* no incident with that id */
    RIP_INCIDENT_EXIT_ERROR = 2,      /* usage, database, invalid value */
};

int cmd_incident_list(int argc, char **argv);
int cmd_incident_show(int argc, char **argv);
int cmd_incident_note(int argc, char **argv);
int cmd_incident_assign(int argc, char **argv);
int cmd_incident_status(int argc, char **argv);

/* Opens the database --db names (NULL: $RIPOSTE_DB, else riposte.db).
 * Prints the error and returns RIP_INCIDENT_EXIT_ERROR when it cannot; 0
 * otherwise. */
int rip_incident_cli_open(const char *db_flag, rip_store **st);

/* Parses "12" or "#12" (1 .. 2^63-1). 0, or prints an error naming the
 * argument and returns RIP_INCIDENT_EXIT_ERROR. */
int rip_incident_cli_id(const char *arg, int64_t *id);

/* Who is acting: by when given, else $USER, else "unknown". Static or
 * borrowed. */
const char *rip_incident_cli_who(const char *by);

/* Reports a failed store call on incident id as the user should read it
 * and returns the exit code (NOTFOUND or ERROR). */
int rip_incident_cli_fail(rip_store *st, int rc, int64_t id, const char *doing);

/* Appends s with control bytes written as '?', so stored text cannot
 * drive the terminal. 0 or RIP_E*. */
int rip_incident_cli_safe(rip_buf *out, const char *s);

/* Appends inc as one JSON object: id, title, severity, status, phase,
 * owner, first_seen/last_seen, merged_into, entities, finding_ids,
 * event_ids (provider ids of the member events), findings; with
 * full also each finding's explanation and detail, and the timeline.
 * Compact, no newline. 0 or RIP_E*. */
int rip_incident_cli_json(rip_buf *out, const rip_store_incident *inc, int full);

#endif
