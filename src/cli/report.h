/* report.h — the post-mortem of one incident, as a plain view that the
 * renderers (report-md.c, report-html.c) turn into Markdown or one
 * self-contained HTML file.
 *
 * Invariants
 *   - The view is plain data: strings and arrays the caller owns (the
 *     report command fills it from the store in cmd-report.c; tests fill it
 *     by hand). Renderers only read it. A NULL string is "absent"; arrays
 *     may be empty.
 *   - Renderers never print and never read the store: they append to a
 *     rip_buf. Every string from the view is treated as hostile: control
 *     bytes and malformed UTF-8 are replaced, and in HTML & < > " ' become
 *     character references, in Markdown the characters that would start
 *     markup are escaped. The HTML needs nothing outside itself: inline
 *     CSS, no scripts, no external resources.
 *   - The view holds no raw records: only named fields (who, what, where),
 *     so credentials in a record never reach a report.
 *   - rip_report_derive() fills the derived parts (actions from the
 *     timeline, open follow-ups) from the rest; renderers call nothing.
 */
#ifndef RIPOSTE_CLI_REPORT_H
#define RIPOSTE_CLI_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"

typedef struct rip_report_entity {
    const char *type;          /* access_key, principal, instance, source_ip, ... */
    const char *value;
    int64_t first_ns, last_ns; /* 0: unknown */
} rip_report_entity;

typedef struct rip_report_finding {
    int64_t id;
    const char *rule;          /* rule id or finding type */
    const char *source;        /* sigma, guardduty, securityhub, ... */
    const char *title;
    const char *severity;
    const char *explanation;   /* plain language; may hold newlines */
    const char *account, *region;
    int64_t time_ns;
    const char *const *event_ids;  /* provider ids of the member events */
    size_t nevent_ids;
} rip_report_finding;

/* One line of the incident's timeline (finding added, status change, note,
 * action planned/taken/failed), in order. */
typedef struct rip_report_entry {
    int64_t time_ns;
    const char *who;           /* a user, "riposte", a playbook run */
    const char *kind;
    const char *text;
} rip_report_entry;

/* A response action: from the timeline's action_* entries. */
typedef struct rip_report_action {
    int64_t time_ns;
    const char *who;
    const char *state;         /* planned, taken, failed */
    const char *text;
} rip_report_action;

/* Something the attacker's identities left behind (investigate.h). */
typedef struct rip_report_leftover {
    const char *what;          /* "access key" */
    const char *verb;          /* "created" */
    const char *id;
    const char *on_label, *on; /* "for user", "backdoor" */
    const char *detail;
    const char *hint;          /* how to clean it up */
    int64_t time_ns;
    int64_t removed_ns;        /* 0: still there */
} rip_report_leftover;

/* What one identity of the incident did (from its events). */
typedef struct rip_report_activity {
    const char *entity_type, *entity;
    uint64_t events, errors, sessions;
    int64_t first_ns, last_ns;
    const char *services;      /* "iam (12), ec2 (3)" */
    const char *regions, *accounts, *source_ips, *user_agents;
    const char *top_actions;   /* "CreateUser, AttachUserPolicy, ..." */
} rip_report_activity;

typedef struct rip_report_followup {
    const char *text;
} rip_report_followup;

typedef struct rip_report_incident {
    int64_t id;
    const char *title, *severity, *status, *phase;
    const char *owner;         /* NULL: unassigned */
    int64_t first_ns, last_ns, created_ns, updated_ns;
    int64_t generated_ns;      /* when the report was made */
    const char *generator;     /* "riposte 0.1.0" */

    const rip_report_entity *entities;
    size_t nentities;
    const rip_report_finding *findings;
    size_t nfindings;
    const rip_report_entry *timeline;
    size_t ntimeline;
    const rip_report_activity *activity;
    size_t nactivity;
    const rip_report_leftover *leftovers;
    size_t nleftovers;

    /* The assets involved, from the inventory (inventory/graph.h): their
     * topology as indented text, and as an SVG image laid out by Graphviz.
     * NULL when none is known. The SVG is trusted markup made by riposte
     * (every value in it was escaped before layout) and is embedded as it
     * is; the text is escaped like every other string. */
    const char *context_text;
    const char *context_svg;

    /* Derived by rip_report_derive(); a caller may also set them. */
    const rip_report_action *actions;
    size_t nactions;
    const rip_report_followup *followups;
    size_t nfollowups;
} rip_report_incident;

/* Fills r->actions from the timeline's action_planned/taken/failed entries
 * (unless the caller set actions) and r->followups with what is still to
 * do: containment not done for the phase, failed actions, leftovers not
 * removed, access keys to rotate, an owner to assign (unless the caller set
 * followups). Arrays and strings go into a (owned by the caller); the
 * view's strings are borrowed, so they must outlive r. 0 or RIP_ENOMEM. */
int rip_report_derive(rip_report_incident *r, rip_arena *a);

/* Appends the report as Markdown (CommonMark with GitHub tables). 0 or
 * RIP_E* (b then holds a partial report). */
int rip_report_md(const rip_report_incident *r, rip_buf *b);

/* Appends the report as one self-contained HTML5 document. 0 or RIP_E*. */
int rip_report_html(const rip_report_incident *r, rip_buf *b);

/* Shared by the renderers: the one-paragraph summary sentence, written as
 * plain text (unescaped; the renderer escapes it). */
int rip_report_summary(const rip_report_incident *r, rip_buf *b);

/* Appends s escaped for the output format; as_value marks it up as an
 * identifier (monospace in HTML), else it is prose. */
typedef void (*rip_report_esc_fn)(rip_buf *b, const char *s, int as_value);

enum { RIP_REPORT_WHO, RIP_REPORT_WHAT, RIP_REPORT_WHEN, RIP_REPORT_HOW };

/* Shared by the renderers: one part of "who, what, when, how" as a
 * sentence or two. The words are plain ASCII without markup characters;
 * every value from the view goes through esc. */
void rip_report_wwwh(const rip_report_incident *r, int part, rip_buf *b,
                     rip_report_esc_fn esc);

/* "2024-03-01 10:00:05 UTC", or "-" for 0. */
char *rip_report_time(int64_t ns, char out[40]);

/* "42m13s"-style length of [a, b]. */
void rip_report_duration(rip_buf *b, int64_t ns);

/* Human names for timeline kinds: "action taken" for "action_taken". */
const char *rip_report_kind_label(const char *kind);

/* Human names for entity types: "access key" for "access_key". */
const char *rip_report_entity_label(const char *type);

#endif
