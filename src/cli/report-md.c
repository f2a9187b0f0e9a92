/* report-md.c — the post-mortem as Markdown (CommonMark + GitHub tables).
 *
 * Every value from the view goes through md(): made safe (safe-text.h),
 * then each character that could start markup is backslash-escaped and
 * & < > are written as entities, so a title like "<script>" or "*x*" shows
 * as typed and never becomes HTML or emphasis where the Markdown is
 * rendered. In table cells '|' is escaped and newlines become spaces. */
#include "cli/report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "cli/safe-text.h"
#include "util/err.h"

enum { MD_INLINE = 0, MD_BLOCK = 1 };  /* MD_BLOCK keeps line breaks */

static void md(rip_buf *b, const char *s, int mode)
{
    rip_buf safe = RIP_BUF_INIT;
    if (!s || !*s) {
        rip_buf_adds(b, "-");
        return;
    }
    rip_text_add(&safe, s, strlen(s), 0, RIP_TEXT_NEWLINES);
    for (size_t i = 0; i < safe.len; i++) {
        char c = safe.ptr[i];
        switch (c) {
        case '&': rip_buf_adds(b, "&amp;"); break;
        case '<': rip_buf_adds(b, "&lt;"); break;
        case '>': rip_buf_adds(b, "&gt;"); break;
        case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~':
            rip_buf_addc(b, '\\');
            rip_buf_addc(b, c);
            break;
        case '#': case '-': case '+': case '.':
            /* These start headings and lists only at the start of a line. */
            if (i == 0 || safe.ptr[i - 1] == '\n')
                rip_buf_addc(b, '\\');
            rip_buf_addc(b, c);
            break;
        case '\n':
            rip_buf_adds(b, mode == MD_BLOCK ? "\n" : " ");
            break;
        case '\t':
            rip_buf_addc(b, ' ');
            break;
        default:
            rip_buf_addc(b, c);
        }
    }
    rip_buf_release(&safe);
}

static void md_time(rip_buf *b, int64_t ns)
{
    char t[40];
    rip_buf_adds(b, rip_report_time(ns, t));
}

static void md_value(rip_buf *b, const char *s, int as_value)
{
    (void)as_value;
    md(b, s, MD_INLINE);
}

static void who_what_when_how(rip_buf *b, const rip_report_incident *r)
{
    static const char *const labels[] = { "Who", "What", "When", "How" };
    rip_buf_adds(b, "## Who, what, when, how\n\n");
    for (int part = RIP_REPORT_WHO; part <= RIP_REPORT_HOW; part++) {
        rip_buf_addf(b, "- **%s:** ", labels[part]);
        rip_report_wwwh(r, part, b, md_value);
        rip_buf_adds(b, "\n");
    }
    rip_buf_adds(b, "\n");
}

int rip_report_md(const rip_report_incident *r, rip_buf *b)
{
    rip_buf sum = RIP_BUF_INIT;
    size_t start = b->len;

    rip_buf_addf(b, "# Incident %" PRId64 ": ", r->id);
    md(b, r->title, MD_INLINE);
    rip_buf_adds(b, "\n\n| Severity | Status | Phase | Owner | First seen | Last seen |\n"
                    "| --- | --- | --- | --- | --- | --- |\n| ");
    md(b, r->severity, MD_INLINE);
    rip_buf_adds(b, " | ");
    md(b, r->status, MD_INLINE);
    rip_buf_adds(b, " | ");
    md(b, r->phase, MD_INLINE);
    rip_buf_adds(b, " | ");
    md(b, r->owner ? r->owner : "unassigned", MD_INLINE);
    rip_buf_adds(b, " | ");
    md_time(b, r->first_ns);
    rip_buf_adds(b, " | ");
    md_time(b, r->last_ns);
    rip_buf_adds(b, " |\n\n## Summary\n\n");
    rip_report_summary(r, &sum);
    md(b, sum.ptr, MD_INLINE);
    rip_buf_release(&sum);
    rip_buf_adds(b, "\n\n");

    who_what_when_how(b, r);

    rip_buf_adds(b, "## Timeline\n\n");
    if (!r->ntimeline) {
        rip_buf_adds(b, "No entries.\n\n");
    } else {
        rip_buf_adds(b, "| Time | Who | Kind | What |\n| --- | --- | --- | --- |\n");
        for (size_t i = 0; i < r->ntimeline; i++) {
            const rip_report_entry *e = &r->timeline[i];
            rip_buf_adds(b, "| ");
            md_time(b, e->time_ns);
            rip_buf_adds(b, " | ");
            md(b, e->who, MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, rip_report_kind_label(e->kind), MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, e->text, MD_INLINE);
            rip_buf_adds(b, " |\n");
        }
        rip_buf_adds(b, "\n");
    }

    rip_buf_adds(b, "## Entities\n\n");
    if (!r->nentities) {
        rip_buf_adds(b, "None.\n\n");
    } else {
        rip_buf_adds(b, "| Type | Value | First seen | Last seen |\n| --- | --- | --- | --- |\n");
        for (size_t i = 0; i < r->nentities; i++) {
            const rip_report_entity *e = &r->entities[i];
            rip_buf_adds(b, "| ");
            md(b, rip_report_entity_label(e->type), MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, e->value, MD_INLINE);
            rip_buf_adds(b, " | ");
            md_time(b, e->first_ns);
            rip_buf_adds(b, " | ");
            md_time(b, e->last_ns);
            rip_buf_adds(b, " |\n");
        }
        rip_buf_adds(b, "\n");
    }

    if (r->context_text) {
        /* A fenced block: the text is shown as it is, so a fence inside it
         * (hostile tag values) is broken up first. */
        rip_buf_adds(b, "## Assets involved\n\n```text\n");
        for (const char *p = r->context_text; *p; p++) {
            if (*p == '`')
                rip_buf_adds(b, "'");
            else
                rip_buf_addc(b, *p);
        }
        rip_buf_adds(b, "```\n\n");
    }

    rip_buf_adds(b, "## Findings\n\n");
    if (!r->nfindings)
        rip_buf_adds(b, "None.\n\n");
    for (size_t i = 0; i < r->nfindings; i++) {
        const rip_report_finding *f = &r->findings[i];
        rip_buf_addf(b, "### %zu\\. ", i + 1);
        md(b, f->title, MD_INLINE);
        rip_buf_adds(b, "\n\n**");
        md(b, f->severity, MD_INLINE);
        rip_buf_adds(b, "** · ");
        md_time(b, f->time_ns);
        rip_buf_adds(b, " · rule ");
        md(b, f->rule, MD_INLINE);
        if (f->source) {
            rip_buf_adds(b, " (");
            md(b, f->source, MD_INLINE);
            rip_buf_adds(b, ")");
        }
        if (f->account || f->region) {
            rip_buf_adds(b, " · ");
            md(b, f->account, MD_INLINE);
            rip_buf_adds(b, " ");
            md(b, f->region, MD_INLINE);
        }
        rip_buf_adds(b, "\n\n");
        if (f->explanation) {
            /* Each line of the explanation as a quoted line. */
            rip_buf ex = RIP_BUF_INIT;
            md(&ex, f->explanation, MD_BLOCK);
            rip_buf_adds(b, "> ");
            for (size_t k = 0; k < ex.len; k++) {
                rip_buf_addc(b, ex.ptr[k]);
                if (ex.ptr[k] == '\n')
                    rip_buf_adds(b, "> ");
            }
            rip_buf_release(&ex);
            rip_buf_adds(b, "\n\n");
        }
        if (f->nevent_ids) {
            rip_buf_adds(b, "Events: ");
            for (size_t k = 0; k < f->nevent_ids && k < 20; k++) {
                if (k)
                    rip_buf_adds(b, ", ");
                md(b, f->event_ids[k], MD_INLINE);
            }
            if (f->nevent_ids > 20)
                rip_buf_addf(b, " and %zu more", f->nevent_ids - 20);
            rip_buf_adds(b, "\n\n");
        }
    }

    if (r->nleftovers) {
        rip_buf_adds(b, "## Left behind\n\nWhat the identities involved created, attached, shared or "
                        "changed with successful calls.\n\n"
                        "| What | Id | When | State | To do |\n| --- | --- | --- | --- | --- |\n");
        for (size_t i = 0; i < r->nleftovers; i++) {
            const rip_report_leftover *l = &r->leftovers[i];
            rip_buf_adds(b, "| ");
            md(b, l->what, MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, l->id, MD_INLINE);
            if (l->on) {
                rip_buf_addc(b, ' ');
                md(b, l->on_label ? l->on_label : "on", MD_INLINE);
                rip_buf_addc(b, ' ');
                md(b, l->on, MD_INLINE);
            }
            if (l->detail) {
                rip_buf_adds(b, " (");
                md(b, l->detail, MD_INLINE);
                rip_buf_adds(b, ")");
            }
            rip_buf_adds(b, " | ");
            md(b, l->verb, MD_INLINE);
            rip_buf_addc(b, ' ');
            md_time(b, l->time_ns);
            rip_buf_adds(b, " | ");
            if (l->removed_ns) {
                rip_buf_adds(b, "removed ");
                md_time(b, l->removed_ns);
            } else {
                rip_buf_adds(b, "**still there**");
            }
            rip_buf_adds(b, " | ");
            md(b, l->removed_ns ? "-" : l->hint, MD_INLINE);
            rip_buf_adds(b, " |\n");
        }
        rip_buf_adds(b, "\n");
    }

    rip_buf_adds(b, "## Actions taken\n\n");
    if (!r->nactions) {
        rip_buf_adds(b, "None yet.\n\n");
    } else {
        rip_buf_adds(b, "| Time | By | State | Action |\n| --- | --- | --- | --- |\n");
        for (size_t i = 0; i < r->nactions; i++) {
            const rip_report_action *a = &r->actions[i];
            rip_buf_adds(b, "| ");
            md_time(b, a->time_ns);
            rip_buf_adds(b, " | ");
            md(b, a->who, MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, a->state, MD_INLINE);
            rip_buf_adds(b, " | ");
            md(b, a->text, MD_INLINE);
            rip_buf_adds(b, " |\n");
        }
        rip_buf_adds(b, "\n");
    }

    rip_buf_adds(b, "## Open follow-ups\n\n");
    if (!r->nfollowups)
        rip_buf_adds(b, "None.\n");
    for (size_t i = 0; i < r->nfollowups; i++) {
        rip_buf_adds(b, "- [ ] ");
        md(b, r->followups[i].text, MD_INLINE);
        rip_buf_adds(b, "\n");
    }
    rip_buf_adds(b, "\n---\n\n*Generated by ");
    md(b, r->generator ? r->generator : "riposte", MD_INLINE);
    rip_buf_adds(b, " at ");
    md_time(b, r->generated_ns);
    rip_buf_adds(b, ".*\n");

    /* A failed append leaves the buffer as it was: check it all arrived. */
    return b->len > start && b->ptr[b->len - 1] == '\n' ? 0 : RIP_ENOMEM;
}
