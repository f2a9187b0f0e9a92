/* report-html.c — the post-mortem as one self-contained HTML5 file.
 *
 * Self-contained: inline CSS, no scripts, no fonts, images or links to
 * anything outside the file; a Content-Security-Policy meta element forbids
 * loading anything, so even a browser that met an escaping mistake would run
 * nothing. Every value from the view goes through h() (safe-text.h with
 * RIP_TEXT_HTML): control bytes and bad UTF-8 replaced, & < > " ' as
 * character references. Class names are chosen from fixed lists, never
 * copied from the view. Reads on screen (cards, a timeline) and in print
 * (@media print: no backgrounds, no page breaks inside a finding or row).
 */
#include "cli/report.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/safe-text.h"
#include "util/err.h"

static const char css[] =
    ":root{--fg:#1c2430;--muted:#5d6776;--line:#e2e6ec;--bg:#f3f5f8;--card:#fff;"
    "--accent:#2457c5;--critical:#7b1020;--high:#c62828;--medium:#d97706;--low:#2e7d32;"
    "--informational:#546e7a;--unknown:#6b7280}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans','Liberation Sans',sans-serif}\n"
    ".wrap{max-width:1080px;margin:0 auto;padding:0 32px}\n"
    "header.top{background:#18202c;color:#fff;padding:30px 0 64px}\n"
    ".kicker{text-transform:uppercase;letter-spacing:.09em;font-size:12px;color:#9fb0c8;"
    "font-weight:600}\n"
    "h1{font-size:28px;line-height:1.25;margin:8px 0 16px;font-weight:700;overflow-wrap:anywhere}\n"
    ".badges{display:flex;flex-wrap:wrap;gap:8px}\n"
    ".badge,.pill{display:inline-block;border-radius:999px;padding:3px 12px;font-size:13px;"
    "font-weight:600;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    ".pill{background:rgba(255,255,255,.12);color:#e6ecf5;border:1px solid rgba(255,255,255,.18)}\n"
    ".badge{color:#fff;text-transform:uppercase;letter-spacing:.04em}\n"
    ".sev-critical{background:var(--critical)}.sev-high{background:var(--high)}"
    ".sev-medium{background:var(--medium)}.sev-low{background:var(--low)}"
    ".sev-informational{background:var(--informational)}.sev-unknown{background:var(--unknown)}\n"
    "main.wrap{margin-top:-44px;padding-bottom:40px}\n"
    ".facts{display:grid;grid-template-columns:repeat(5,1fr);gap:12px;margin-bottom:18px}\n"
    ".fact{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:12px 14px;box-shadow:0 1px 2px rgba(16,24,40,.05)}\n"
    ".fact b{display:block;font-size:11.5px;text-transform:uppercase;letter-spacing:.06em;"
    "color:var(--muted);font-weight:600}\n"
    ".fact span{display:block;font-size:15px;font-weight:600;margin-top:2px}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:10px;"
    "padding:20px 24px;margin:0 0 18px;box-shadow:0 1px 2px rgba(16,24,40,.05)}\n"
    "h2{font-size:17px;margin:0 0 12px;padding-bottom:8px;border-bottom:1px solid var(--line)}\n"
    "p{margin:0 0 10px}\n"
    ".summary p{font-size:16px}\n"
    "dl.w{display:grid;grid-template-columns:90px 1fr;gap:8px 16px;margin:0}\n"
    "dl.w dt{font-weight:700;color:var(--accent)}dl.w dd{margin:0}\n"
    ".v,code{font-family:ui-monospace,SFMono-Regular,'DejaVu Sans Mono',Menlo,Consolas,monospace;"
    "font-size:.86em;background:#eef1f6;border-radius:4px;padding:1px 5px;overflow-wrap:anywhere}\n"
    "table{width:100%;border-collapse:collapse;font-size:13.5px}\n"
    "th{text-align:left;color:var(--muted);font-weight:600;font-size:12px;text-transform:uppercase;"
    "letter-spacing:.05em;border-bottom:2px solid var(--line);padding:6px 8px}\n"
    "td{border-bottom:1px solid var(--line);padding:7px 8px;vertical-align:top;overflow-wrap:anywhere}\n"
    "tr:last-child td{border-bottom:none}\n"
    "td.t,th.t{white-space:nowrap;color:var(--muted);width:1%}\n"
    "ol.tl{list-style:none;margin:0;padding:0 0 0 22px;border-left:2px solid var(--line)}\n"
    "ol.tl li{position:relative;padding:0 0 14px 12px}\n"
    "ol.tl li:last-child{padding-bottom:0}\n"
    "ol.tl li::before{content:'';position:absolute;left:-30px;top:5px;width:12px;height:12px;"
    "border-radius:50%;background:#9aa5b5;border:2px solid #fff;box-shadow:0 0 0 1px #cfd6e0;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    "ol.tl li.k-finding::before{background:var(--medium)}"
    "ol.tl li.k-taken::before{background:var(--low)}"
    "ol.tl li.k-failed::before{background:var(--high)}"
    "ol.tl li.k-planned::before{background:var(--accent)}"
    "ol.tl li.k-status::before{background:#6d28d9}\n"
    ".tl .when{font-size:12.5px;color:var(--muted)}\n"
    ".tl .kind{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);"
    "margin-left:6px}\n"
    ".finding{border:1px solid var(--line);border-left:5px solid var(--unknown);border-radius:8px;"
    "padding:12px 16px;margin:0 0 12px;-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
    ".finding.sev-critical{border-left-color:var(--critical);background:none}"
    ".finding.sev-high{border-left-color:var(--high);background:none}"
    ".finding.sev-medium{border-left-color:var(--medium);background:none}"
    ".finding.sev-low{border-left-color:var(--low);background:none}"
    ".finding.sev-informational{border-left-color:var(--informational);background:none}"
    ".finding.sev-unknown{background:none}\n"
    ".finding h3{font-size:15.5px;margin:0 0 4px}\n"
    ".finding .meta{font-size:12.5px;color:var(--muted);margin-bottom:8px}\n"
    ".finding .ex{white-space:pre-line;margin:0 0 8px}\n"
    ".finding .ev{font-size:12.5px;color:var(--muted)}\n"
    ".state{font-weight:700}.state-taken{color:var(--low)}.state-failed{color:var(--high)}"
    ".state-planned{color:var(--accent)}.still{color:var(--high);font-weight:600}"
    ".gone{color:var(--low)}\n"
    "ul.todo{list-style:none;margin:0;padding:0}\n"
    "ul.todo li{padding:6px 0 6px 30px;position:relative;border-bottom:1px solid var(--line)}\n"
    "ul.todo li:last-child{border-bottom:none}\n"
    "ul.todo li::before{content:'';position:absolute;left:2px;top:9px;width:14px;height:14px;"
    "border:2px solid var(--muted);border-radius:3px}\n"
    ".none{color:var(--muted);font-style:italic}\n"
    "figure.topology{margin:0 0 12px;overflow-x:auto}\n"
    "figure.topology svg{max-width:100%;height:auto}\n"
    "pre.topology{white-space:pre-wrap;font-size:12px;margin:0}\n"
    "footer{color:var(--muted);font-size:12.5px;text-align:center;padding:8px 0 0}\n"
    "@media (max-width:760px){.facts{grid-template-columns:repeat(2,1fr)}.wrap{padding:0 16px}}\n"
    "@media print{@page{margin:16mm 14mm}\n"
    "body{background:#fff;font-size:10.5pt;color:#000}\n"
    "header.top{background:none;color:#000;padding:0 0 8px;border-bottom:2px solid #000}\n"
    ".kicker{color:#444}.pill{background:none;color:#000;border:1px solid #888}\n"
    "main.wrap{margin-top:12px;padding-bottom:0}.wrap{max-width:none;padding:0}\n"
    ".fact,section{box-shadow:none;border-color:#bbb}\n"
    "section{padding:10px 0 0;border:none;border-top:1px solid #bbb;border-radius:0}\n"
    ".finding,tr,ol.tl li,ul.todo li,.fact{break-inside:avoid}\n"
    "h2{break-after:avoid;border-bottom:none}\n"
    ".v,code{background:none;padding:0}}\n";

/* Escaped text. */
static void h(rip_buf *b, const char *s)
{
    if (!s) {
        rip_buf_adds(b, "-");
        return;
    }
    rip_text_add(b, s, strlen(s), 0, RIP_TEXT_HTML | RIP_TEXT_NEWLINES);
}

/* An escaped value, marked up as one (monospace). */
static void hv(rip_buf *b, const char *s)
{
    rip_buf_adds(b, "<span class=\"v\">");
    h(b, s);
    rip_buf_adds(b, "</span>");
}

/* For rip_report_wwwh(): identifiers as values, the rest as prose. */
static void hw(rip_buf *b, const char *s, int as_value)
{
    if (as_value)
        hv(b, s);
    else
        h(b, s);
}

static void ht(rip_buf *b, int64_t ns)
{
    char t[40];
    rip_buf_adds(b, rip_report_time(ns, t));
}

/* A class name for a severity: one of a fixed list, never the input. */
static const char *sev_class(const char *sev)
{
    static const char *const known[] = { "critical", "high", "medium", "low", "informational" };
    for (size_t i = 0; sev && i < sizeof(known) / sizeof(known[0]); i++)
        if (!strcmp(sev, known[i]))
            return known[i];
    return "unknown";
}

static const char *kind_class(const char *kind)
{
    if (!kind)
        return "other";
    if (!strcmp(kind, "finding_added"))
        return "finding";
    if (!strcmp(kind, "action_taken"))
        return "taken";
    if (!strcmp(kind, "action_failed"))
        return "failed";
    if (!strcmp(kind, "action_planned"))
        return "planned";
    if (!strcmp(kind, "status_change") || !strcmp(kind, "assigned"))
        return "status";
    return "other";
}

static const char *state_class(const char *state)
{
    if (state && !strcmp(state, "taken"))
        return "taken";
    if (state && !strcmp(state, "failed"))
        return "failed";
    return "planned";
}

static void fact(rip_buf *b, const char *label, const char *value)
{
    rip_buf_addf(b, "<div class=\"fact\"><b>%s</b><span>", label);
    h(b, value);
    rip_buf_adds(b, "</span></div>\n");
}

static void head(rip_buf *b, const rip_report_incident *r)
{
    rip_buf_addf(b,
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'\">\n<meta name=\"referrer\" content=\"no-referrer\">\n"
                 "<title>Incident %" PRId64 ": ", r->id);
    h(b, r->title);
    rip_buf_adds(b, " - post-mortem</title>\n<style>\n");
    rip_buf_adds(b, css);
    rip_buf_adds(b, "</style>\n</head>\n<body>\n");

    rip_buf_addf(b, "<header class=\"top\"><div class=\"wrap\">\n"
                    "<div class=\"kicker\">Post-mortem &middot; incident %" PRId64 "</div>\n<h1>",
                 r->id);
    h(b, r->title);
    rip_buf_addf(b, "</h1>\n<div class=\"badges\"><span class=\"badge sev-%s\">",
                 sev_class(r->severity));
    h(b, r->severity);
    rip_buf_adds(b, "</span><span class=\"pill\">status: ");
    h(b, r->status);
    rip_buf_adds(b, "</span><span class=\"pill\">phase: ");
    h(b, r->phase);
    rip_buf_adds(b, "</span><span class=\"pill\">owner: ");
    h(b, r->owner ? r->owner : "unassigned");
    rip_buf_adds(b, "</span></div>\n</div></header>\n<main class=\"wrap\">\n");
}

static void facts(rip_buf *b, const rip_report_incident *r)
{
    char t[40], n[64];
    rip_buf dur = RIP_BUF_INIT;
    size_t taken = 0;
    for (size_t i = 0; i < r->nactions; i++)
        taken += r->actions[i].state && !strcmp(r->actions[i].state, "taken");
    rip_buf_adds(b, "<div class=\"facts\">\n");
    fact(b, "First seen", rip_report_time(r->first_ns, t));
    fact(b, "Last seen", rip_report_time(r->last_ns, t));
    rip_report_duration(&dur, r->last_ns - r->first_ns);
    fact(b, "Duration", r->first_ns ? dur.ptr : "-");
    rip_buf_release(&dur);
    snprintf(n, sizeof(n), "%zu", r->nfindings);
    fact(b, "Findings", n);
    snprintf(n, sizeof(n), "%zu taken, %zu open", taken, r->nfollowups);
    fact(b, "Actions / to do", n);
    rip_buf_adds(b, "</div>\n");
}

static void timeline(rip_buf *b, const rip_report_incident *r)
{
    rip_buf_adds(b, "<section id=\"timeline\"><h2>Timeline</h2>\n");
    if (!r->ntimeline)
        rip_buf_adds(b, "<p class=\"none\">No entries.</p>\n");
    else
        rip_buf_adds(b, "<ol class=\"tl\">\n");
    for (size_t i = 0; i < r->ntimeline; i++) {
        const rip_report_entry *e = &r->timeline[i];
        rip_buf_addf(b, "<li class=\"k-%s\"><div class=\"when\">", kind_class(e->kind));
        ht(b, e->time_ns);
        rip_buf_adds(b, " &middot; ");
        h(b, e->who ? e->who : "riposte");
        rip_buf_adds(b, "<span class=\"kind\">");
        h(b, rip_report_kind_label(e->kind));
        rip_buf_adds(b, "</span></div><div>");
        h(b, e->text);
        rip_buf_adds(b, "</div></li>\n");
    }
    if (r->ntimeline)
        rip_buf_adds(b, "</ol>\n");
    rip_buf_adds(b, "</section>\n");
}

static void findings(rip_buf *b, const rip_report_incident *r)
{
    rip_buf_adds(b, "<section id=\"findings\"><h2>Findings, explained</h2>\n");
    if (!r->nfindings)
        rip_buf_adds(b, "<p class=\"none\">None.</p>\n");
    for (size_t i = 0; i < r->nfindings; i++) {
        const rip_report_finding *f = &r->findings[i];
        rip_buf_addf(b, "<div class=\"finding sev-%s\"><h3>%zu. ", sev_class(f->severity), i + 1);
        h(b, f->title);
        rip_buf_addf(b, "</h3>\n<div class=\"meta\"><span class=\"badge sev-%s\">",
                     sev_class(f->severity));
        h(b, f->severity);
        rip_buf_adds(b, "</span> &middot; ");
        ht(b, f->time_ns);
        rip_buf_adds(b, " &middot; rule ");
        hv(b, f->rule);
        if (f->source) {
            rip_buf_adds(b, " (");
            h(b, f->source);
            rip_buf_adds(b, ")");
        }
        if (f->account || f->region) {
            rip_buf_adds(b, " &middot; ");
            h(b, f->account);
            rip_buf_adds(b, " ");
            h(b, f->region);
        }
        rip_buf_adds(b, "</div>\n");
        if (f->explanation) {
            rip_buf_adds(b, "<p class=\"ex\">");
            h(b, f->explanation);
            rip_buf_adds(b, "</p>\n");
        }
        if (f->nevent_ids) {
            rip_buf_adds(b, "<div class=\"ev\">Events: ");
            for (size_t k = 0; k < f->nevent_ids && k < 20; k++) {
                if (k)
                    rip_buf_adds(b, " ");
                hv(b, f->event_ids[k]);
            }
            if (f->nevent_ids > 20)
                rip_buf_addf(b, " and %zu more", f->nevent_ids - 20);
            rip_buf_adds(b, "</div>\n");
        }
        rip_buf_adds(b, "</div>\n");
    }
    rip_buf_adds(b, "</section>\n");
}

static void entities(rip_buf *b, const rip_report_incident *r)
{
    rip_buf_adds(b, "<section id=\"entities\"><h2>Entities</h2>\n");
    if (!r->nentities) {
        rip_buf_adds(b, "<p class=\"none\">None.</p></section>\n");
        return;
    }
    rip_buf_adds(b, "<table><thead><tr><th>Type</th><th>Value</th><th class=\"t\">First seen</th>"
                    "<th class=\"t\">Last seen</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->nentities; i++) {
        const rip_report_entity *e = &r->entities[i];
        rip_buf_adds(b, "<tr><td>");
        h(b, rip_report_entity_label(e->type));
        rip_buf_adds(b, "</td><td>");
        hv(b, e->value);
        rip_buf_adds(b, "</td><td class=\"t\">");
        ht(b, e->first_ns);
        rip_buf_adds(b, "</td><td class=\"t\">");
        ht(b, e->last_ns);
        rip_buf_adds(b, "</td></tr>\n");
    }
    rip_buf_adds(b, "</tbody></table></section>\n");
}

static void context(rip_buf *b, const rip_report_incident *r)
{
    if (!r->context_text && !r->context_svg)
        return;
    rip_buf_adds(b, "<section id=\"assets\"><h2>Assets involved</h2>\n<p>What the incident's "
                    "entities are and where they sit, from the inventory: security groups "
                    "with rules open to the world in red, owners from tags, and what else is "
                    "exposed the same way.</p>\n");
    if (r->context_svg) {
        rip_buf_adds(b, "<figure class=\"topology\">");
        rip_buf_adds(b, r->context_svg);
        rip_buf_adds(b, "</figure>\n");
    }
    if (r->context_text) {
        rip_buf_adds(b, "<pre class=\"topology\">");
        h(b, r->context_text);
        rip_buf_adds(b, "</pre>\n");
    }
    rip_buf_adds(b, "</section>\n");
}

static void leftovers(rip_buf *b, const rip_report_incident *r)
{
    if (!r->nleftovers)
        return;
    rip_buf_adds(b, "<section id=\"left-behind\"><h2>Left behind</h2>\n<p>What the identities "
                    "involved created, attached, shared or changed with successful calls.</p>\n"
                    "<table><thead><tr><th>What</th><th>Id</th><th class=\"t\">When</th>"
                    "<th>State</th><th>To do</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->nleftovers; i++) {
        const rip_report_leftover *l = &r->leftovers[i];
        rip_buf_adds(b, "<tr><td>");
        h(b, l->what);
        rip_buf_adds(b, "</td><td>");
        hv(b, l->id);
        if (l->on) {
            rip_buf_adds(b, " ");
            h(b, l->on_label ? l->on_label : "on");
            rip_buf_adds(b, " ");
            hv(b, l->on);
        }
        if (l->detail) {
            rip_buf_adds(b, "<br>");
            h(b, l->detail);
        }
        rip_buf_adds(b, "</td><td class=\"t\">");
        h(b, l->verb);
        rip_buf_adds(b, "<br>");
        ht(b, l->time_ns);
        rip_buf_adds(b, "</td><td>");
        if (l->removed_ns) {
            rip_buf_adds(b, "<span class=\"gone\">removed</span><br>");
            ht(b, l->removed_ns);
            rip_buf_adds(b, "</td><td>-");
        } else {
            rip_buf_adds(b, "<span class=\"still\">still there</span></td><td>");
            h(b, l->hint);
        }
        rip_buf_adds(b, "</td></tr>\n");
    }
    rip_buf_adds(b, "</tbody></table></section>\n");
}

static void actions(rip_buf *b, const rip_report_incident *r)
{
    rip_buf_adds(b, "<section id=\"actions\"><h2>Actions taken, and by whom</h2>\n");
    if (!r->nactions) {
        rip_buf_adds(b, "<p class=\"none\">None yet.</p></section>\n");
        return;
    }
    rip_buf_adds(b, "<table><thead><tr><th class=\"t\">Time</th><th>By</th><th>State</th>"
                    "<th>Action</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < r->nactions; i++) {
        const rip_report_action *a = &r->actions[i];
        rip_buf_adds(b, "<tr><td class=\"t\">");
        ht(b, a->time_ns);
        rip_buf_adds(b, "</td><td>");
        h(b, a->who);
        rip_buf_addf(b, "</td><td><span class=\"state state-%s\">", state_class(a->state));
        h(b, a->state);
        rip_buf_adds(b, "</span></td><td>");
        h(b, a->text);
        rip_buf_adds(b, "</td></tr>\n");
    }
    rip_buf_adds(b, "</tbody></table></section>\n");
}

int rip_report_html(const rip_report_incident *r, rip_buf *b)
{
    static const char *const labels[] = { "Who", "What", "When", "How" };
    rip_buf sum = RIP_BUF_INIT;
    size_t start = b->len;

    head(b, r);
    facts(b, r);

    rip_buf_adds(b, "<section class=\"summary\" id=\"summary\"><h2>Summary</h2>\n<p>");
    rip_report_summary(r, &sum);
    h(b, sum.ptr);
    rip_buf_release(&sum);
    rip_buf_adds(b, "</p>\n</section>\n");

    rip_buf_adds(b, "<section id=\"wwwh\"><h2>Who, what, when, how</h2>\n<dl class=\"w\">\n");
    for (int part = RIP_REPORT_WHO; part <= RIP_REPORT_HOW; part++) {
        rip_buf_addf(b, "<dt>%s</dt><dd>", labels[part]);
        rip_report_wwwh(r, part, b, hw);
        rip_buf_adds(b, "</dd>\n");
    }
    rip_buf_adds(b, "</dl>\n</section>\n");

    timeline(b, r);
    findings(b, r);
    entities(b, r);
    context(b, r);
    leftovers(b, r);
    actions(b, r);

    rip_buf_adds(b, "<section id=\"follow-ups\"><h2>Open follow-ups</h2>\n");
    if (!r->nfollowups)
        rip_buf_adds(b, "<p class=\"none\">None.</p>\n");
    else
        rip_buf_adds(b, "<ul class=\"todo\">\n");
    for (size_t i = 0; i < r->nfollowups; i++) {
        rip_buf_adds(b, "<li>");
        h(b, r->followups[i].text);
        rip_buf_adds(b, "</li>\n");
    }
    if (r->nfollowups)
        rip_buf_adds(b, "</ul>\n");
    rip_buf_adds(b, "</section>\n<footer>Generated by ");
    h(b, r->generator ? r->generator : "riposte");
    rip_buf_adds(b, " at ");
    ht(b, r->generated_ns);
    rip_buf_adds(b, "</footer>\n</main>\n</body>\n</html>\n");

    return b->len > start && b->ptr[b->len - 1] == '\n' ? 0 : RIP_ENOMEM;
}
