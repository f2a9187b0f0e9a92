/* fold.h — folding findings into incidents, and the merge rules that say
 * how (DESIGN.md "Correlate").
 *
 * A finding joins an open incident when they share entities and the
 * finding's time is within the window of the incident's activity
 * ([first_seen - window, last_seen + window]). What "share" means is the
 * merge rules, one mode per entity kind:
 *
 *   link      one shared value is enough (access_key, principal, instance,
 *             bucket, security_group by default)
 *   support   shared values of two different support kinds are needed
 *             (role and source_ip by default: NAT gateways and VPNs put many
 *             people behind one IP, and one role has many sessions, but the
 *             same role from the same IP within the window is one actor)
 *   ignore    recorded on the incident, never links
 *
 * A finding that qualifies for two or more open incidents merges them: the
 * oldest (lowest id) takes the others' entities and findings, the others
 * become status "merged" with merged_into set, and both timelines say so.
 * The incident's severity is the highest of its findings; its title is the
 * title of its first finding of that severity.
 *
 * The rules are data: rip_merge_rules_default(), or a YAML file
 * (`riposte ingest --correlation FILE`) read by rip_merge_rules_load():
 *
 *   window: 1h              # 30s, 10m, 1h, 2d; at most 30d
 *   min_severity: low       # findings below are stored, not folded
 *                           # (default: informational, i.e. all)
 *   entities:               # kinds not named keep their default mode
 *     access_key: link
 *     principal: link
 *     role: support
 *     instance: link
 *     bucket: link
 *     security_group: link
 *     source_ip: support    # or ignore, or link
 */
#ifndef RIPOSTE_CORRELATE_FOLD_H
#define RIPOSTE_CORRELATE_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "correlate/entity.h"
#include "correlate/finding.h"
#include "store/store.h"

typedef enum rip_link_mode {
    RIP_LINK_IGNORE = 0,
    RIP_LINK_SUPPORT,
    RIP_LINK_LINK,
} rip_link_mode;

/* "ignore", "support", "link". */
const char *rip_link_mode_name(rip_link_mode m);

#define RIP_MERGE_WINDOW_DEFAULT ((int64_t)3600 * 1000000000)
#define RIP_MERGE_WINDOW_MAX ((int64_t)30 * 86400 * 1000000000)
#define RIP_MERGE_FILE_MAX ((size_t)64 << 10)

typedef struct rip_merge_rules {
    rip_link_mode mode[RIP_ENTITY__COUNT];
    int64_t window_ns;
    int min_severity;          /* rank (correlate/incident.h) */
} rip_merge_rules;

/* The defaults described above. */
void rip_merge_rules_default(rip_merge_rules *r);

/* Reads a merge-rules file over the defaults. Returns 0 and fills *r, or
 * RIP_ENOENT / RIP_EIO (cannot read), RIP_ELIMIT (larger than
 * RIP_MERGE_FILE_MAX), RIP_ESYNTAX (not YAML, an unknown key, a bad value);
 * err (always NUL-terminated) then says where and what, git style:
 * "line 3: unknown entity kind 'ip'". *r is written only on success. */
int rip_merge_rules_load(rip_merge_rules *r, const char *path, char *err, size_t errlen);

typedef struct rip_fold_result {
    int64_t finding_id;
    int finding_new;           /* 0: the key was stored already; nothing done */
    int64_t incident_id;       /* 0: not folded (duplicate, below min_severity) */
    int incident_new;
    size_t merged;             /* other incidents merged into incident_id */
} rip_fold_result;

/* Stores finding f and folds it into an incident by the rules r, within
 * the caller's transaction (rip_store_begin()): the finding, the incident
 * it creates or joins, entities, merges and timeline entries. now_ns is the
 * time of the bookkeeping (0: the clock). A finding already stored (same
 * key) changes nothing, so folding the same input twice is harmless.
 * Returns 0 and fills *res, or the store's RIP_E* (rip_store_errmsg()). */
int rip_fold_finding(rip_store *st, const rip_merge_rules *r, const rip_finding *f,
                     int64_t now_ns, rip_fold_result *res);

#endif
