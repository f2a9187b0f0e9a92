/* cmd-incident.c — `riposte incident`: a table of subcommands (list, show,
 * note, assign, status), one file each, and what they share
 * (incident-cli.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/incident-cli.h"
#include "correlate/incident.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

typedef struct incident_sub {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} incident_sub;

static const incident_sub subs[] = {
    { "list", "list incidents, newest activity first", cmd_incident_list },
    { "show", "one incident: entities, findings explained, timeline", cmd_incident_show },
    { "note", "add a note to an incident's timeline", cmd_incident_note },
    { "assign", "set who owns an incident", cmd_incident_assign },
    { "status", "set an incident's status or NIST phase", cmd_incident_status },
};

#define NSUBS (sizeof(subs) / sizeof(subs[0]))

void cmd_incident_usage(FILE *out)
{
    fputs(
"usage: riposte incident list [--status S] [--limit N] [--format text|jsonl] [--db FILE]\n"
"       riposte incident show ID [--format text|json] [--db FILE]\n"
"       riposte incident note ID TEXT [--by WHO] [--db FILE]\n"
"       riposte incident assign ID WHO [--by WHO] [--db FILE]\n"
"       riposte incident status ID STATUS [--by WHO] [--db FILE]\n"
"\n"
"Incidents are what 'riposte ingest' makes of findings: rule hits, Sigma\n"
"correlations and GuardDuty / Security Hub findings that share an entity\n"
"(access key, principal, instance, bucket, security group; a role or a\n"
"source IP only together with another) within an hour fold into one\n"
"incident, so one attacker session is one incident, not one per event.\n"
"An incident has a severity (the highest of its findings), a status, a\n"
"NIST phase, an owner, its entities and findings, and a timeline that is\n"
"append-only: every finding added, note, assignment and status change is\n"
"recorded with who did it and when, and is never rewritten.\n"
"\n"
"subcommands:\n", out);
    for (size_t i = 0; i < NSUBS; i++)
        fprintf(out, "  %-8s %s\n", subs[i].name, subs[i].summary);
    fputs(
"\n"
"STATUS is a status or a phase; the other follows:\n"
"  status  open, acknowledged, resolved, false_positive\n"
"  phase   detected, contained, eradicated, recovered, closed\n"
"  resolving (or false_positive) closes the phase, closing the phase\n"
"  resolves the incident; open, or a phase other than closed, reopens it.\n"
"  An incident merged into another (status merged) takes notes only.\n"
"\n"
"options:\n"
"  --db FILE        the database (default: $RIPOSTE_DB, else riposte.db)\n"
"  --format FMT     list: text (default) or jsonl, one incident per line;\n"
"                   show: text (default) or json. The JSON carries id,\n"
"                   title, severity, status, phase, owner, entities, the\n"
"                   finding ids and the provider event ids of the member\n"
"                   events (CloudTrail eventID, finding id); show adds each\n"
"                   finding's explanation and the timeline\n"
"  --status S       list: only incidents with this status\n"
"  --limit N        list: at most N incidents\n"
"  --by WHO         who is acting, for the timeline (default: $USER)\n"
"\n"
"examples:\n"
"  riposte ingest AWSLogs/ && riposte incident list\n"
"  riposte incident show 3\n"
"  riposte incident assign 3 alice\n"
"  riposte incident note 3 'key AKIA... disabled by hand, user notified'\n"
"  riposte incident status 3 contained\n"
"  riposte incident list --format jsonl | jq -r .title\n"
"\n"
"exit status: 0 done, 1 no incident with that ID, 2 usage error, invalid\n"
"value or database error.\n", out);
}

int cmd_incident(int argc, char **argv)
{
    if (argc < 2) {
        cmd_incident_usage(stderr);
        return RIP_INCIDENT_EXIT_ERROR;
    }
    for (size_t i = 0; i < NSUBS; i++)
        if (!strcmp(argv[1], subs[i].name))
            return subs[i].run(argc - 1, argv + 1);
    return rip_cli_error("'%s' is not an incident subcommand (list, show, note, assign, "
                         "status); see 'riposte incident --help'", argv[1]);
}

int rip_incident_cli_open(const char *db_flag, rip_store **st)
{
    rip_store_error err;
    const char *db = rip_store_path(db_flag);
    int rc = rip_store_open(db, NULL, st, &err);
    if (rc < 0)
        return rip_cli_error("cannot open database '%s': %s", db, err.msg);
    return 0;
}

int rip_incident_cli_id(const char *arg, int64_t *id)
{
    const char *p = arg && arg[0] == '#' ? arg + 1 : arg;
    char *end;
    errno = 0;
    long long v = p && *p >= '0' && *p <= '9' ? strtoll(p, &end, 10) : -1;
    if (v <= 0 || errno || *end)
        return rip_cli_error("'%s' is not an incident id (a number, as 'riposte incident "
                             "list' shows)", arg ? arg : "");
    *id = (int64_t)v;
    return 0;
}

const char *rip_incident_cli_who(const char *by)
{
    const char *u = getenv("USER");
    if (by && *by)
        return by;
    return u && *u ? u : "unknown";
}

int rip_incident_cli_fail(rip_store *st, int rc, int64_t id, const char *doing)
{
    if (rc == RIP_ENOTFOUND) {
        rip_cli_error("no incident %" PRId64 "; see 'riposte incident list'", id);
        return RIP_INCIDENT_EXIT_NOTFOUND;
    }
    return rip_cli_error("%s incident %" PRId64 ": %s", doing, id,
                         *rip_store_errmsg(st) ? rip_store_errmsg(st) : rip_strerror(rc));
}

int rip_incident_cli_safe(rip_buf *out, const char *s)
{
    int rc = 0;
    for (; s && *s && rc == 0; s++) {
        unsigned char c = (unsigned char)*s;
        rc = rip_buf_addc(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
    return rc;
}

static void jw_time(rip_jw *w, const char *key, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    rip_jw_key(w, key);
    if (ns)
        rip_jw_str(w, rip_time_format(ns, t));
    else
        rip_jw_null(w);
}

int rip_incident_cli_json(rip_buf *out, const rip_store_incident *inc, int full)
{
    rip_jw w;
    const rip_store_incident_row *r = &inc->row;
    rip_jw_init(&w, out);
    rip_jw_obj_begin(&w);
    rip_jw_key(&w, "id");
    rip_jw_i64(&w, r->id);
    rip_jw_key(&w, "title");
    rip_jw_str(&w, r->title);
    rip_jw_key(&w, "severity");
    rip_jw_str(&w, r->severity);
    rip_jw_key(&w, "status");
    rip_jw_str(&w, r->status);
    rip_jw_key(&w, "phase");
    rip_jw_str(&w, r->phase);
    rip_jw_key(&w, "owner");
    rip_jw_str(&w, r->owner);
    jw_time(&w, "first_seen", r->first_seen_ns);
    jw_time(&w, "last_seen", r->last_seen_ns);
    rip_jw_key(&w, "merged_into");
    if (r->merged_into)
        rip_jw_i64(&w, r->merged_into);
    else
        rip_jw_null(&w);
    rip_jw_key(&w, "entities");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < inc->nentities; i++) {
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "type");
        rip_jw_str(&w, inc->entities[i].type);
        rip_jw_key(&w, "value");
        rip_jw_str(&w, inc->entities[i].value);
        jw_time(&w, "first_seen", inc->entities[i].first_seen_ns);
        jw_time(&w, "last_seen", inc->entities[i].last_seen_ns);
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "finding_ids");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < inc->nfindings; i++)
        rip_jw_i64(&w, inc->findings[i].id);
    rip_jw_arr_end(&w);
    /* Provider event ids of every member event, once each, in finding
     * order. */
    rip_jw_key(&w, "event_ids");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *f = &inc->findings[i];
        for (size_t k = 0; k < f->nevents; k++) {
            int seen = 0;
            for (size_t j = 0; j <= i && !seen; j++) {
                const rip_store_finding_row *g = &inc->findings[j];
                size_t lim = j == i ? k : g->nevents;
                for (size_t m = 0; m < lim && !seen; m++)
                    seen = g->event_rowids[m] == f->event_rowids[k];
            }
            if (!seen)
                rip_jw_str(&w, f->event_ids[k]);
        }
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "findings");
    rip_jw_arr_begin(&w);
    for (size_t i = 0; i < inc->nfindings; i++) {
        const rip_store_finding_row *f = &inc->findings[i];
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "id");
        rip_jw_i64(&w, f->id);
        rip_jw_key(&w, "source");
        rip_jw_str(&w, f->source);
        rip_jw_key(&w, "rule_id");
        rip_jw_str(&w, f->rule_id);
        rip_jw_key(&w, "title");
        rip_jw_str(&w, f->title);
        rip_jw_key(&w, "severity");
        rip_jw_str(&w, f->severity);
        jw_time(&w, "time", f->time_ns);
        rip_jw_key(&w, "account");
        rip_jw_str(&w, f->account);
        rip_jw_key(&w, "region");
        rip_jw_str(&w, f->region);
        rip_jw_key(&w, "event_ids");
        rip_jw_arr_begin(&w);
        for (size_t k = 0; k < f->nevents; k++)
            rip_jw_str(&w, f->event_ids[k]);
        rip_jw_arr_end(&w);
        if (full) {
            rip_jw_key(&w, "explanation");
            rip_jw_str(&w, f->explanation);
            rip_jw_key(&w, "detail");
            if (f->detail)
                rip_jw_raw(&w, f->detail, strlen(f->detail));
            else
                rip_jw_null(&w);
        }
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    if (full) {
        rip_jw_key(&w, "timeline");
        rip_jw_arr_begin(&w);
        for (size_t i = 0; i < inc->ntimeline; i++) {
            const rip_store_timeline_row *t = &inc->timeline[i];
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "id");
            rip_jw_i64(&w, t->id);
            jw_time(&w, "time", t->time_ns);
            rip_jw_key(&w, "kind");
            rip_jw_str(&w, t->kind);
            rip_jw_key(&w, "actor");
            rip_jw_str(&w, t->actor);
            rip_jw_key(&w, "text");
            rip_jw_str(&w, t->text);
            rip_jw_key(&w, "detail");
            if (t->detail)
                rip_jw_raw(&w, t->detail, strlen(t->detail));
            else
                rip_jw_null(&w);
            rip_jw_obj_end(&w);
        }
        rip_jw_arr_end(&w);
    }
    rip_jw_obj_end(&w);
    return rip_jw_finish(&w);
}
