/* scan-output.h — how a rule hit is written: text, jsonl or OCSF.
 * Shared by `riposte scan` and the commands that report hits later
 * (ingest, replay). Every writer appends to a buffer and never prints. */
#ifndef RIPOSTE_CLI_SCAN_OUTPUT_H
#define RIPOSTE_CLI_SCAN_OUTPUT_H

#include <stdint.h>

#include "detect/sigma.h"
#include "normalize/event.h"
#include "util/buf.h"

typedef enum rip_scan_format {
    RIP_SCAN_TEXT = 0,
    RIP_SCAN_JSONL,
    RIP_SCAN_OCSF,
} rip_scan_format;

typedef struct rip_scan_summary {
    uint64_t files, events, hits, errors, bytes;
    uint32_t rules;
    double seconds;
} rip_scan_summary;

/* "text", "jsonl", "ocsf" → format. 0 or RIP_EINVAL. */
int rip_scan_format_parse(const char *s, rip_scan_format *out);

/* What every jsonl hit of one rule, or from one input, repeats: the rule
 * object and the quoted path, written once and copied into each line (most
 * of a hit's bytes; a hunt over busy logs has a hit for most records). One
 * per thread: rip_scan_fmt_cache_init(), then rip_scan_fmt_cache_release().
 * Rules are known by their meta pointer: a cache must not outlive the
 * ruleset it served. */
#define RIP_SCAN_FMT_CACHE_RULES 64
typedef struct rip_scan_fmt_cache {
    const rip_sigma_meta *meta[RIP_SCAN_FMT_CACHE_RULES];
    rip_buf rule[RIP_SCAN_FMT_CACHE_RULES];   /* {"id":…,"path":…} of meta[i] */
    rip_buf path;                             /* the last path, as given */
    rip_buf qpath;                            /* the same, quoted */
} rip_scan_fmt_cache;

void rip_scan_fmt_cache_init(rip_scan_fmt_cache *c);
void rip_scan_fmt_cache_release(rip_scan_fmt_cache *c);

/* Appends one hit (a full line, newline included). path names the input the
 * event came from. with_raw adds the original record (jsonl only). cache
 * may be NULL. 0 or RIP_E* (the buffer is left as it was). */
int rip_scan_format_hit(rip_buf *out, rip_scan_format fmt, const rip_sigma_meta *meta,
                        const rip_event *ev, const char *path, int with_raw,
                        rip_scan_fmt_cache *cache);

/* Appends one correlation hit: the rule, the group, and the events it
 * correlates (as {id, time} pairs). */
typedef struct rip_scan_corr_event {
    const char *id;       /* provider event id */
    int64_t time_ns;
    const char *path;
    uint64_t index;
} rip_scan_corr_event;

int rip_scan_format_corr(rip_buf *out, rip_scan_format fmt, const rip_sigma_meta *meta,
                         const char *group, const rip_scan_corr_event *evs, size_t nevs,
                         int64_t first_ns, int64_t last_ns);

/* Appends the closing summary line. */
int rip_scan_format_summary(rip_buf *out, const rip_scan_summary *s);

#endif
