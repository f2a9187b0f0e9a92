/* sigma.h — riposte's Sigma rule engine: load rules (YAML), compile them
 * once into a ruleset, match events against it.
 *
 * Life of a ruleset
 *   rip_sigma_ruleset_new()            empty ruleset with a diagnostics callback
 *   rip_sigma_load_placeholders()      optional: values for the `expand` modifier
 *   rip_sigma_load_path()/_buffer()    parse rules; a bad rule is reported and
 *                                      skipped, the others are kept
 *   rip_sigma_compile()                resolve correlation references, build the
 *                                      dispatch tables, JIT the regexes; after
 *                                      this the ruleset is read-only
 *   rip_sigma_matcher_new()            one per thread: the per-event state
 *   rip_sigma_match()                  one event, one callback per hit
 *
 * Invariants
 *   - A compiled ruleset is never modified: any number of matchers on any
 *     number of threads may read it at once. A matcher is single-threaded.
 *   - Everything a rule owns (strings, patterns, compiled regexes) lives
 *     until rip_sigma_ruleset_free(); rule and meta pointers stay valid
 *     that long.
 *   - Library code never prints: every problem with a rule is a
 *     rip_sigma_diag handed to the callback, naming file and line.
 *
 * Limits (policy: the rule or file is rejected with a diagnostic): rule file
 * 4 MiB, YAML nesting 64, YAML nodes per document 100000, selections per
 * rule 1024, values per field 65536, condition 8192 bytes and nesting 128,
 * regex 16384 bytes, rules per ruleset 1000000. At match time a field
 * reaching through arrays yields at most 256 values per event (the rest
 * are ignored).
 */
#ifndef RIPOSTE_DETECT_SIGMA_H
#define RIPOSTE_DETECT_SIGMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "normalize/event.h"

typedef struct rip_sigma_ruleset rip_sigma_ruleset;
typedef struct rip_sigma_rule rip_sigma_rule;
typedef struct rip_sigma_matcher rip_sigma_matcher;

typedef enum rip_sigma_level {
    RIP_SIGMA_LEVEL_NONE = 0,        /* no level given */
    RIP_SIGMA_LEVEL_INFORMATIONAL,
    RIP_SIGMA_LEVEL_LOW,
    RIP_SIGMA_LEVEL_MEDIUM,
    RIP_SIGMA_LEVEL_HIGH,
    RIP_SIGMA_LEVEL_CRITICAL,
} rip_sigma_level;

/* "informational", "low", ...; "" for NONE. */
const char *rip_sigma_level_name(rip_sigma_level l);
/* Parses a level name (case-insensitive); 0 or RIP_EINVAL. */
int rip_sigma_level_parse(const char *s, rip_sigma_level *out);

typedef enum rip_sigma_kind {
    RIP_SIGMA_DETECTION = 1,   /* a detection rule matched event by event */
    RIP_SIGMA_AGGREGATION,     /* Sigma v1 `... | count() by f > N` / `near` */
    RIP_SIGMA_CORRELATION,     /* a Sigma correlation rule (no detection) */
} rip_sigma_kind;

typedef enum rip_sigma_corr_type {
    RIP_SIGMA_CORR_NONE = 0,
    RIP_SIGMA_CORR_EVENT_COUNT,
    RIP_SIGMA_CORR_VALUE_COUNT,
    RIP_SIGMA_CORR_TEMPORAL,
    RIP_SIGMA_CORR_TEMPORAL_ORDERED,
} rip_sigma_corr_type;

typedef enum rip_sigma_cmp {
    RIP_SIGMA_CMP_NONE = 0,
    RIP_SIGMA_CMP_GT, RIP_SIGMA_CMP_GTE, RIP_SIGMA_CMP_LT, RIP_SIGMA_CMP_LTE,
    RIP_SIGMA_CMP_EQ,
} rip_sigma_cmp;

/* A list of strings owned by the ruleset. */
typedef struct rip_sigma_strs {
    const char *const *v;
    uint32_t n;
} rip_sigma_strs;

/* What a correlation (or a v1 aggregation, translated) counts. The engine
 * that evaluates it over windows is a later step; the ruleset keeps it. */
typedef struct rip_sigma_correlation {
    rip_sigma_corr_type type;
    rip_sigma_strs rules;         /* referenced rule names or ids (v2) */
    const rip_sigma_rule *const *resolved; /* same order as rules; after compile */
    rip_sigma_strs group_by;
    int64_t timespan_ns;          /* 0 when absent */
    rip_sigma_cmp cmp;            /* condition operator; NONE for temporal */
    int64_t threshold;
    const char *field;            /* value_count: the field counted; else NULL */
    bool generate;                /* referenced rules also report their own hits */
    uint32_t members;             /* v1 temporal aggregations: how many members
                                     the hits' `member` counts (near: 2) */
} rip_sigma_correlation;

/* Read-only description of a rule; strings are NULL when absent. */
typedef struct rip_sigma_meta {
    const char *title;
    const char *id;
    const char *name;             /* `name:`, used by correlation references */
    const char *status;
    const char *description;
    const char *author;
    const char *date;
    const char *modified;
    rip_sigma_level level;
    rip_sigma_strs tags;
    rip_sigma_strs references;
    rip_sigma_strs falsepositives;
    rip_sigma_strs fields;
    const char *product;          /* logsource */
    const char *service;
    const char *category;
    const char *path;             /* file the rule came from */
    uint32_t line;                /* line of the rule's first key */
    rip_sigma_kind kind;
    const rip_sigma_correlation *correlation; /* AGGREGATION, CORRELATION; else NULL */
} rip_sigma_meta;

/* A problem with a rule. text is the whole git-style line, e.g.
 * "'rules/x.yml' line 12: unknown modifier 'contians' on field 'eventName'";
 * msg is the part after the location. Both valid during the callback. */
typedef struct rip_sigma_diag {
    const char *path;
    uint32_t line;                /* 1-based; 0 when not tied to a line */
    uint32_t column;              /* 1-based; 0 when unknown */
    bool warning;                 /* the rule was still loaded */
    const char *msg;
    const char *text;
} rip_sigma_diag;

typedef void (*rip_sigma_diag_fn)(void *ud, const rip_sigma_diag *d);

/* Returns a new empty ruleset, or NULL when out of memory. diag may be NULL
 * (problems are then only counted). Free with rip_sigma_ruleset_free(). */
rip_sigma_ruleset *rip_sigma_ruleset_new(rip_sigma_diag_fn diag, void *ud);
/* Frees the ruleset and every rule in it. Accepts NULL. Matchers made from
 * it must be freed first. */
void rip_sigma_ruleset_free(rip_sigma_ruleset *rs);

/* Reads a placeholder file for `expand`: a YAML map from placeholder name
 * (with or without the surrounding %) to a value or a list of values.
 * Must be called before the rules that use it are loaded. 0 or RIP_E*
 * (problems also reported as diagnostics). */
int rip_sigma_load_placeholders(rip_sigma_ruleset *rs, const char *path);
/* Adds one placeholder programmatically (the value list is copied). */
int rip_sigma_add_placeholder(rip_sigma_ruleset *rs, const char *name,
                              const char *const *values, size_t n);

/* Loads rules from a file, or from every *.yml / *.yaml file under a folder
 * (recursive, sorted by name). Each YAML document is one rule. Returns 0 when
 * every rule loaded; RIP_ESYNTAX when some were rejected (the rest are kept);
 * RIP_ENOENT / RIP_EIO when the path cannot be read; RIP_EINVAL after
 * compile. Every problem is also a diagnostic. */
int rip_sigma_load_path(rip_sigma_ruleset *rs, const char *path);
/* As rip_sigma_load_path() for YAML text already in memory; name is used in
 * diagnostics. The text is copied as needed; it need not outlive the call. */
int rip_sigma_load_buffer(rip_sigma_ruleset *rs, const char *name,
                          const char *data, size_t len);

/* Finishes the ruleset: resolves correlation references, builds dispatch
 * tables and JIT-compiles regexes. 0, RIP_ESYNTAX (an unresolvable
 * reference, reported), RIP_ENOMEM. Call once; loading afterwards fails. */
int rip_sigma_compile(rip_sigma_ruleset *rs);

/* Rules in load order (rejected rules are not counted). */
uint32_t rip_sigma_rule_count(const rip_sigma_ruleset *rs);
const rip_sigma_rule *rip_sigma_rule_at(const rip_sigma_ruleset *rs, uint32_t i);
const rip_sigma_meta *rip_sigma_rule_meta(const rip_sigma_rule *r);
/* Number of diagnostics that were errors (rejected rules or files). */
uint32_t rip_sigma_error_count(const rip_sigma_ruleset *rs);

/* Loads every rule under each path, compiles, reports every problem, and
 * frees the result: the body of `riposte rules validate`. placeholders may
 * be NULL. *nrules (optional) receives the rules that loaded. Returns 0
 * when everything is valid, RIP_ESYNTAX when any rule was rejected, or
 * another RIP_E* when a path could not be read. */
int rip_sigma_validate(const char *const *paths, size_t npaths,
                       const char *placeholders, rip_sigma_diag_fn diag,
                       void *ud, uint32_t *nrules);

/* ---- matching ---- */

/* One hit. report is false for hits that only feed a correlation (the
 * searches of v1 aggregations and of rules referenced with generate: false):
 * the correlation engine consumes them; a scan prints only report hits. */
typedef struct rip_sigma_hit {
    const rip_sigma_rule *rule;
    const rip_sigma_meta *meta;
    bool report;
    /* For v1 temporal aggregations: which part matched (`a | near b`: 0 for
     * a, 1 for b; `a and b` with a timeframe: the selection's position). */
    /* 0: the rule's condition matched. 1: the `near` part of a v1
     * aggregation (`a | near b`) matched; such hits never report, they only
     * feed the temporal correlation the aggregation translates to. */
    uint32_t member;
} rip_sigma_hit;

/* Return a negative value to stop matching this event (it is propagated). */
typedef int (*rip_sigma_hit_fn)(void *ud, const rip_sigma_hit *hit, const rip_event *ev);

/* A matcher holds the per-event state (field cache, regex match data) for
 * one thread. NULL when out of memory or rs is not compiled. */
rip_sigma_matcher *rip_sigma_matcher_new(const rip_sigma_ruleset *rs);
void rip_sigma_matcher_free(rip_sigma_matcher *m);

/* Matches ev (its raw record, format and kind) against every rule whose
 * logsource admits it; calls hit once per matching rule, in load order.
 * Returns the number of hits (>= 0), or the negative value hit returned.
 * ev and its document are only read, and only during the call. */
int rip_sigma_match(rip_sigma_matcher *m, const rip_event *ev,
                    rip_sigma_hit_fn hit, void *ud);

/* Matching statistics of a matcher since it was made. */
typedef struct rip_sigma_match_stats {
    uint64_t events;
    uint64_t rules_evaluated;     /* rule evaluations after dispatch */
    uint64_t hits;
    uint64_t regex_errors;        /* `re` evaluations that hit the match limit
                                     (or another PCRE2 error): counted as no
                                     match, so callers must report them */
} rip_sigma_match_stats;

/* PCRE2 match limit for rule regexes (steps of the matcher per evaluation). */
#define RIP_SIGMA_REGEX_MATCH_LIMIT 1000000
void rip_sigma_matcher_stats(const rip_sigma_matcher *m, rip_sigma_match_stats *out);

/* ---- condition parser (exposed for tests and fuzzing) ----
 * Parses a condition against the given selection names without a rule:
 * 0, or RIP_ESYNTAX with a message like "position 12: expected selection
 * name or '(' after 'and'" in err (always NUL-terminated). */
int rip_sigma_condition_check(const char *cond, const char *const *selections,
                              size_t nselections, char *err, size_t errlen);

#endif
