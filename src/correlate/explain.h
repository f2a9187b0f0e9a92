/* explain.h — plain-language explanations of findings: what was seen, why
 * it matters, what to check.
 *
 * Sigma rule hits are explained from the rule (title, description) and the
 * event; GuardDuty findings from a table of common finding types written
 * for responders (a type missing from the table falls back on GuardDuty's
 * own description); Security Hub findings from their description.
 *
 * Every function appends to a rip_buf (a failed append leaves the buffer as
 * it was and returns RIP_E*) and prints nothing. Values from the event are
 * copied with control bytes replaced by '?', so an explanation is safe to
 * print on a terminal.
 */
#ifndef RIPOSTE_CORRELATE_EXPLAIN_H
#define RIPOSTE_CORRELATE_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "detect/sigma.h"
#include "normalize/event.h"
#include "util/buf.h"

/* One row of the GuardDuty table. type is exact, or a prefix ending in '*'
 * ("Trojan:EC2/" then a star). */
typedef struct rip_guardduty_type {
    const char *type;
    const char *why;           /* why it matters */
    const char *check;         /* what to check first */
} rip_guardduty_type;

/* The row for a finding type (exact rows first, then the longest prefix
 * row), or NULL. The table is static. */
const rip_guardduty_type *rip_explain_guardduty_type(rip_slice type);

/* Rows in the table, and row i (for tests and `--help`). */
size_t rip_explain_guardduty_count(void);
const rip_guardduty_type *rip_explain_guardduty_at(size_t i);

/* A Sigma rule hit on ev. 0 or RIP_E*. */
int rip_explain_sigma(rip_buf *out, const rip_sigma_meta *m, const rip_event *ev);

/* A GuardDuty or Security Hub finding passed through. 0 or RIP_E*. */
int rip_explain_provider(rip_buf *out, const rip_event *ev);

/* A Sigma correlation hit: nevents events of group between first_ns and
 * last_ns. 0 or RIP_E*. */
int rip_explain_correlation(rip_buf *out, const rip_sigma_meta *m, const char *group,
                            size_t nevents, int64_t first_ns, int64_t last_ns);

#endif
