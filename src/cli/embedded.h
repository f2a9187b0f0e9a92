/* embedded.h — data files compiled into the binary (scripts/embed-files).
 * riposte's default rules live here so that one binary is the whole program. */
#ifndef RIPOSTE_CLI_EMBEDDED_H
#define RIPOSTE_CLI_EMBEDDED_H

#include <stddef.h>

typedef struct rip_embedded_file {
    const char *name;    /* path relative to the folder it came from: "aws/x.yml" */
    const char *data;    /* NUL-terminated; size bytes before the NUL */
    size_t size;
} rip_embedded_file;

/* The rules under rules/ at build time; the list ends with a zero row. */
extern const rip_embedded_file rip_builtin_rules[];
extern const size_t rip_builtin_rules_count;

/* The playbooks under playbooks/ at build time; the list ends with a zero row. */
extern const rip_embedded_file rip_builtin_playbooks[];
extern const size_t rip_builtin_playbooks_count;

#endif
