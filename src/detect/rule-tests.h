/* rule-tests.h — the test cases riposte keeps inside its own rule files.
 *
 * A rule file may carry, beside the Sigma keys, a riposte key `tests:`: a
 * list of cases {name, match, event} (one record that must or must not make
 * the rule fire on its own) or {name, match, events} (records fed in order,
 * for correlation rules). This module reads those cases and gives each
 * record as JSON text, so the caller can turn it into an event.
 *
 * YAML scalars become JSON values the way YAML 1.2's core schema types them:
 * plain null/~ → null, true/false → booleans, plain numbers → numbers,
 * everything else (and every quoted scalar) → strings.
 */
#ifndef RIPOSTE_DETECT_RULE_TESTS_H
#define RIPOSTE_DETECT_RULE_TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct rip_rule_test {
    char *name;          /* owned */
    bool match;          /* the rule must fire (true) or stay silent (false) */
    bool sequence;       /* events: a list of records fed in order */
    char **records;      /* owned JSON texts, one per record */
    size_t nrecords;
    uint32_t line;       /* line of the case in the file */
} rip_rule_test;

typedef struct rip_rule_tests {
    rip_rule_test *v;
    size_t n;
    char *rule_id;       /* owned: the `id:` of the file's first rule, or NULL */
} rip_rule_tests;

/* Reads the cases of the first YAML document of data (a rule file) into
 * *out (emptied first). A file without `tests:` gives zero cases. Returns 0,
 * or RIP_ESYNTAX / RIP_ELIMIT / RIP_ENOMEM with a message naming the line in
 * err (always NUL-terminated). */
int rip_rule_tests_read(const char *data, size_t len, rip_rule_tests *out,
                        char *err, size_t errlen);
/* Frees every case. Accepts an empty list. */
void rip_rule_tests_release(rip_rule_tests *t);

#endif
