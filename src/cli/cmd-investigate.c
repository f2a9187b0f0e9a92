/* cmd-investigate.c — `riposte investigate`: everything one access key,
 * principal, source IP or resource did, as sessions on a timeline, and what
 * it left behind (cli/investigate.h does the analysis; this file parses the
 * options and prints). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/investigate.h"
#include "cli/safe-text.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define SHOW_VALUES 8       /* values of a tally shown in text output */
#define FIELD_MAX 200       /* bytes of one field shown in text output */

void cmd_investigate_usage(FILE *out)
{
    fputs(
"usage: riposte investigate (--access-key KEY | --principal ARN | --ip IP |\n"
"                            --resource ID) [--since T] [--until T]\n"
"                            [--limit N [--before CURSOR]]\n"
"                            [--format text|jsonl] [--db FILE]\n"
"\n"
"Everything one entity did, across accounts and regions, from the events\n"
"'riposte ingest' stored: a timeline grouped into sessions (a pause of more\n"
"than 30 minutes starts a new one), each with its first and last event,\n"
"services, regions and accounts touched, errors, source IPs and user agents;\n"
"then what the entity left behind that needs cleaning up: access keys,\n"
"users, roles, login profiles, policies it attached, instances, key pairs,\n"
"security group rules it opened, snapshots and images it shared, trails it\n"
"stopped. Only successful calls count there; a later deletion seen in the\n"
"same events is shown as such.\n"
"\n"
"what to investigate (one of):\n"
"  --access-key KEY   events signed with this access key (AKIA..., ASIA...)\n"
"  --principal ARN    events by this user or role ARN; a role's ARN finds\n"
"                     every session of the role\n"
"  --ip IP            events from this source IP address\n"
"  --resource ID      events naming this resource (id or ARN)\n"
"\n"
"options:\n"
"  --since T          only events at or after T\n"
"  --until T          only events before T\n"
"                     T is RFC 3339 (2024-03-01T10:00:00Z), a date\n"
"                     (2024-03-01, midnight UTC) or an age: 90m, 24h, 7d, 2w\n"
"  --limit N          only the newest N events (of the window): a busy\n"
"                     entity answers at once; when there are older ones\n"
"                     the output says which --before shows them\n"
"  --before CURSOR    with --limit: the page older than CURSOR, as the\n"
"                     previous page printed it\n"
"  --format text      for people (default): control bytes shown as '?'\n"
"  --format jsonl     one JSON object per line: the investigation, then each\n"
"                     session followed by its events, then what was left\n"
"                     behind; a \"type\" member says which\n"
"  --db FILE          the database (default: $RIPOSTE_DB, else riposte.db)\n"
"  -h, --help         show this help\n"
"\n"
"At most 100000 events are listed one by one; past that the sessions and\n"
"totals still count every event, and a note says how many were not listed\n"
"(narrow the window with --since and --until).\n"
"\n"
"examples:\n"
"  riposte investigate --access-key AKIAIOSFODNN7EXAMPLE --since 7d\n"
"  riposte investigate --ip 203.0.113.9 --format jsonl | jq .\n"
"  riposte investigate --principal arn:aws:iam::111122223333:role/deploy\n"
"\n"
"exit status:\n"
"  0  events were found\n"
"  1  nothing was found\n"
"  2  usage error, or the database could not be read\n",
          out);
}

static const char *key_label(rip_store_key k)
{
    switch (k) {
    case RIP_STORE_BY_ACCESS_KEY: return "access key";
    case RIP_STORE_BY_PRINCIPAL:  return "principal";
    case RIP_STORE_BY_SOURCE_IP:  return "source IP";
    case RIP_STORE_BY_RESOURCE:   return "resource";
    }
    return "?";
}

/* ---- text ---- */

static void add_time(rip_buf *b, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    rip_buf_adds(b, ns ? rip_time_format(ns, t) : "-");
}

static void add_duration(rip_buf *b, int64_t ns)
{
    int64_t s = ns / 1000000000;
    if (s >= 86400)
        rip_buf_addf(b, "%" PRId64 "d%" PRId64 "h", s / 86400, s % 86400 / 3600);
    else if (s >= 3600)
        rip_buf_addf(b, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
    else if (s >= 60)
        rip_buf_addf(b, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
    else
        rip_buf_addf(b, "%" PRId64 "s", s);
}

static void add_service(rip_buf *b, const char *svc)
{
    size_t n;
    if (!svc) {
        rip_buf_addc(b, '-');
        return;
    }
    const char *s = rip_inv_short_service(svc, &n);
    rip_text_add(b, s, n, FIELD_MAX, 0);
}

static void add_tally(rip_buf *b, const char *label, const rip_inv_tally *t, bool services)
{
    if (!t->n)
        return;
    rip_buf_addf(b, "  %-13s", label);
    for (size_t i = 0; i < t->n && i < SHOW_VALUES; i++) {
        if (i)
            rip_buf_adds(b, ", ");
        if (services)
            add_service(b, t->items[i].value);
        else
            rip_text_add(b, t->items[i].value, strlen(t->items[i].value), FIELD_MAX, 0);
        rip_buf_addf(b, " (%" PRIu64 ")", t->items[i].count);
    }
    if (t->n > SHOW_VALUES)
        rip_buf_addf(b, ", and %zu more", t->n - SHOW_VALUES);
    if (t->other)
        rip_buf_addf(b, " (+%" PRIu64 " events with other values)", t->other);
    rip_buf_addc(b, '\n');
}

static void add_summary(rip_buf *b, const rip_inv_summary *s, rip_store_key by)
{
    if (by != RIP_STORE_BY_PRINCIPAL)
        add_tally(b, "principals", &s->principals, false);
    if (by != RIP_STORE_BY_ACCESS_KEY)
        add_tally(b, "access keys", &s->access_keys, false);
    add_tally(b, "accounts", &s->accounts, false);
    add_tally(b, "regions", &s->regions, false);
    add_tally(b, "services", &s->services, true);
    if (by != RIP_STORE_BY_SOURCE_IP)
        add_tally(b, "source IPs", &s->source_ips, false);
    add_tally(b, "user agents", &s->user_agents, false);
    add_tally(b, "errors", &s->errors_by_code, false);
}

static void add_span(rip_buf *b, const rip_inv_summary *s)
{
    add_time(b, s->first_ns);
    if (s->last_ns != s->first_ns) {
        rip_buf_adds(b, " to ");
        add_time(b, s->last_ns);
        rip_buf_adds(b, " (");
        add_duration(b, s->last_ns - s->first_ns);
        rip_buf_addc(b, ')');
    }
    rip_buf_addf(b, ", %" PRIu64 " %s", s->count, s->count == 1 ? "event" : "events");
    if (s->errors)
        rip_buf_addf(b, ", %" PRIu64 " %s", s->errors, s->errors == 1 ? "error" : "errors");
}

static bool opt_same(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

/* Consecutive events that differ only in time are one line ("x 56"). */
static bool same_call(const rip_inv_event *a, const rip_inv_event *b)
{
    return opt_same(a->action, b->action) && opt_same(a->service, b->service) &&
           opt_same(a->account, b->account) && opt_same(a->region, b->region) &&
           opt_same(a->source_ip, b->source_ip) && opt_same(a->actor_arn, b->actor_arn) &&
           opt_same(a->error_code, b->error_code);
}

static void add_event_line(rip_buf *b, const rip_inv_event *e, rip_store_key by, size_t repeat,
                           int64_t last_ns)
{
    rip_buf_adds(b, "  ");
    add_time(b, e->time_ns);
    rip_buf_adds(b, "  ");
    rip_text_adds(b, e->account, "-", 0);
    rip_buf_addc(b, ' ');
    rip_text_adds(b, e->region, "-", 0);
    rip_buf_adds(b, "  ");
    add_service(b, e->service);
    rip_buf_addc(b, ' ');
    rip_text_add(b, e->action ? e->action : "-", e->action ? strlen(e->action) : 1, FIELD_MAX, 0);
    if (by != RIP_STORE_BY_SOURCE_IP && e->source_ip) {
        rip_buf_adds(b, "  from ");
        rip_text_adds(b, e->source_ip, NULL, 0);
    }
    if (by == RIP_STORE_BY_SOURCE_IP || by == RIP_STORE_BY_RESOURCE) {
        rip_buf_adds(b, "  by ");
        rip_text_adds(b, e->actor_arn, "-", 0);
    }
    if (e->error_code) {
        rip_buf_adds(b, "  ERROR ");
        rip_text_add(b, e->error_code, strlen(e->error_code), FIELD_MAX, 0);
    }
    if (repeat > 1) {
        rip_buf_addf(b, "  x%zu until ", repeat);
        add_time(b, last_ns);
    }
    rip_buf_addc(b, '\n');
}

static void add_leftover(rip_buf *b, const rip_inv_leftover *l)
{
    rip_buf_adds(b, "  ");
    rip_buf_adds(b, l->type);
    rip_buf_addc(b, ' ');
    rip_text_add(b, l->id, strlen(l->id), FIELD_MAX, 0);
    if (l->on) {
        rip_buf_addf(b, " %s ", l->on_label ? l->on_label : "on");
        rip_text_add(b, l->on, strlen(l->on), FIELD_MAX, 0);
    }
    if (l->detail) {
        rip_buf_adds(b, " (");
        rip_text_add(b, l->detail, strlen(l->detail), FIELD_MAX, 0);
        rip_buf_addc(b, ')');
    }
    rip_buf_addf(b, "\n      %s ", l->verb);
    add_time(b, l->time_ns);
    rip_buf_adds(b, " by ");
    rip_text_adds(b, l->action, "-", 0);
    rip_buf_adds(b, " in ");
    rip_text_adds(b, l->account, "-", 0);
    rip_buf_addc(b, ' ');
    rip_text_adds(b, l->region, "-", 0);
    if (l->provider_id) {
        rip_buf_adds(b, " (event ");
        rip_text_adds(b, l->provider_id, NULL, 0);
        rip_buf_addc(b, ')');
    }
    rip_buf_addc(b, '\n');
    if (l->removed_ns) {
        rip_buf_adds(b, "      removed ");
        add_time(b, l->removed_ns);
        rip_buf_adds(b, " by ");
        rip_text_adds(b, l->removed_by, "-", 0);
        rip_buf_addc(b, '\n');
    } else if (l->hint) {
        rip_buf_addf(b, "      to do: %s\n", l->hint);
    }
}

/* "TIME_NS:ID": where the next (older) page starts. */
static void add_cursor(rip_buf *b, const rip_inv_page *page)
{
    rip_buf_addf(b, "%" PRId64 ":%" PRId64, page->oldest_time_ns, page->oldest_id);
}

static void format_text(rip_buf *b, const rip_investigation *inv, rip_store_key by,
                        const char *value, int64_t since, int64_t until,
                        const rip_inv_page *page)
{
    size_t open = 0;
    rip_buf_addf(b, "investigation of %s ", key_label(by));
    rip_text_add(b, value, strlen(value), FIELD_MAX, 0);
    if (since || until) {
        rip_buf_adds(b, ", events ");
        if (since) {
            rip_buf_adds(b, "from ");
            add_time(b, since);
        }
        if (until) {
            rip_buf_adds(b, since ? " " : "");
            rip_buf_adds(b, "before ");
            add_time(b, until);
        }
    }
    rip_buf_addc(b, '\n');
    if (page && page->more) {
        rip_buf_addf(b, "the newest %zu events only; older ones: --before ", page->rows);
        add_cursor(b, page);
        rip_buf_addc(b, '\n');
    }
    rip_buf_addf(b, "%zu %s: ", inv->nsessions, inv->nsessions == 1 ? "session" : "sessions");
    add_span(b, &inv->total);
    rip_buf_addc(b, '\n');
    add_summary(b, &inv->total, by);

    for (size_t i = 0; i < inv->nsessions; i++) {
        const rip_inv_session *s = &inv->sessions[i];
        rip_buf_addf(b, "\nsession %zu of %zu: ", i + 1, inv->nsessions);
        add_span(b, &s->sum);
        rip_buf_addc(b, '\n');
        if (inv->nsessions > 1)
            add_summary(b, &s->sum, by);  /* one session: the totals above */
        rip_buf_addc(b, '\n');
        for (size_t k = 0; k < s->event_count;) {
            const rip_inv_event *e = &inv->events[s->event_first + k];
            size_t n = 1;
            while (k + n < s->event_count && same_call(e, e + n))
                n++;
            add_event_line(b, e, by, n, e[n - 1].time_ns);
            k += n;
        }
        if (s->event_count < s->sum.count)
            rip_buf_addf(b, "  ... %" PRIu64 " more events not listed (narrow with --since/--until)\n",
                         s->sum.count - s->event_count);
    }

    for (size_t i = 0; i < inv->nleftovers; i++)
        open += !inv->leftovers[i].removed_ns;
    if (inv->nleftovers) {
        rip_buf_addf(b, "\nleft behind: %zu %s to check and clean up", open,
                     open == 1 ? "thing" : "things");
        if (open != inv->nleftovers)
            rip_buf_addf(b, " (%zu already removed)", inv->nleftovers - open);
        rip_buf_adds(b, "\n");
        for (size_t i = 0; i < inv->nleftovers; i++)
            add_leftover(b, &inv->leftovers[i]);
        if (inv->leftovers_dropped)
            rip_buf_addf(b, "  ... and %" PRIu64 " more not listed (at most %d are; narrow with --since/--until)\n",
                         inv->leftovers_dropped, RIP_INV_MAX_LEFTOVERS);
    } else {
        rip_buf_adds(b, "\nleft behind: nothing created, shared or changed by a successful call\n");
    }
}

/* ---- jsonl ---- */

static void jw_time(rip_jw *w, const char *key, int64_t ns)
{
    char t[RIP_TIME_FMT_MAX];
    rip_jw_key(w, key);
    if (ns)
        rip_jw_str(w, rip_time_format(ns, t));
    else
        rip_jw_null(w);
}

static void jw_tally(rip_jw *w, const char *key, const rip_inv_tally *t)
{
    rip_jw_key(w, key);
    rip_jw_obj_begin(w);
    for (size_t i = 0; i < t->n; i++) {
        rip_jw_key(w, t->items[i].value);
        rip_jw_u64(w, t->items[i].count);
    }
    rip_jw_obj_end(w);
}

static void jw_summary(rip_jw *w, const rip_inv_summary *s)
{
    jw_time(w, "first_seen", s->first_ns);
    jw_time(w, "last_seen", s->last_ns);
    rip_jw_key(w, "duration_s");
    rip_jw_i64(w, (s->last_ns - s->first_ns) / 1000000000);
    rip_jw_key(w, "events");
    rip_jw_u64(w, s->count);
    rip_jw_key(w, "errors");
    rip_jw_u64(w, s->errors);
    jw_tally(w, "principals", &s->principals);
    jw_tally(w, "access_keys", &s->access_keys);
    jw_tally(w, "accounts", &s->accounts);
    jw_tally(w, "regions", &s->regions);
    jw_tally(w, "services", &s->services);
    jw_tally(w, "source_ips", &s->source_ips);
    jw_tally(w, "user_agents", &s->user_agents);
    jw_tally(w, "error_codes", &s->errors_by_code);
}

static void jw_kv(rip_jw *w, const char *key, const char *v)
{
    rip_jw_key(w, key);
    rip_jw_str(w, v);
}

static int end_line(rip_buf *b, rip_jw *w)
{
    int rc = rip_jw_finish(w);
    if (rc == 0)
        rc = rip_buf_addc(b, '\n');
    return rc;
}

static int format_jsonl(rip_buf *b, const rip_investigation *inv, rip_store_key by,
                        const char *value, int64_t since, int64_t until,
                        const rip_inv_page *page)
{
    rip_jw w;
    int rc;
    rip_jw_init(&w, b);
    rip_jw_obj_begin(&w);
    jw_kv(&w, "type", "investigation");
    jw_kv(&w, "by", rip_store_key_name(by));
    jw_kv(&w, "value", value);
    jw_time(&w, "since", since);
    jw_time(&w, "until", until);
    rip_jw_key(&w, "sessions");
    rip_jw_u64(&w, inv->nsessions);
    jw_summary(&w, &inv->total);
    rip_jw_key(&w, "events_not_listed");
    rip_jw_u64(&w, inv->events_dropped);
    rip_jw_key(&w, "left_behind");
    rip_jw_u64(&w, inv->nleftovers);
    if (page) {
        /* With --limit: the --before of the next (older) page, or null. */
        char cur[48];
        snprintf(cur, sizeof(cur), "%" PRId64 ":%" PRId64, page->oldest_time_ns,
                 page->oldest_id);
        jw_kv(&w, "next_before", page->more ? cur : NULL);
    }
    rip_jw_obj_end(&w);
    if ((rc = end_line(b, &w)) < 0)
        return rc;

    for (size_t i = 0; i < inv->nsessions; i++) {
        const rip_inv_session *s = &inv->sessions[i];
        rip_jw_init(&w, b);
        rip_jw_obj_begin(&w);
        jw_kv(&w, "type", "session");
        rip_jw_key(&w, "session");
        rip_jw_u64(&w, i + 1);
        jw_summary(&w, &s->sum);
        rip_jw_obj_end(&w);
        if ((rc = end_line(b, &w)) < 0)
            return rc;
        for (size_t k = 0; k < s->event_count; k++) {
            const rip_inv_event *e = &inv->events[s->event_first + k];
            rip_jw_init(&w, b);
            rip_jw_obj_begin(&w);
            jw_kv(&w, "type", "event");
            rip_jw_key(&w, "session");
            rip_jw_u64(&w, i + 1);
            rip_jw_key(&w, "id");
            rip_jw_i64(&w, e->id);
            jw_kv(&w, "provider_id", e->provider_id);
            jw_time(&w, "time", e->time_ns);
            jw_kv(&w, "account", e->account);
            jw_kv(&w, "region", e->region);
            jw_kv(&w, "service", e->service);
            jw_kv(&w, "action", e->action);
            rip_jw_key(&w, "read_only");
            if (e->read_only < 0)
                rip_jw_null(&w);
            else
                rip_jw_bool(&w, e->read_only);
            jw_kv(&w, "actor", e->actor_arn);
            jw_kv(&w, "access_key", e->access_key);
            jw_kv(&w, "source_ip", e->source_ip);
            jw_kv(&w, "user_agent", e->user_agent);
            jw_kv(&w, "error_code", e->error_code);
            jw_kv(&w, "error_message", e->error_message);
            rip_jw_obj_end(&w);
            if ((rc = end_line(b, &w)) < 0)
                return rc;
        }
    }

    for (size_t i = 0; i < inv->nleftovers; i++) {
        const rip_inv_leftover *l = &inv->leftovers[i];
        rip_jw_init(&w, b);
        rip_jw_obj_begin(&w);
        jw_kv(&w, "type", "left_behind");
        jw_kv(&w, "what", l->type);
        jw_kv(&w, "verb", l->verb);
        jw_kv(&w, "id", l->id);
        jw_kv(&w, "relation", l->on ? l->on_label : NULL);
        jw_kv(&w, "on", l->on);
        jw_kv(&w, "detail", l->detail);
        jw_kv(&w, "hint", l->hint);
        jw_time(&w, "time", l->time_ns);
        rip_jw_key(&w, "event_id");
        rip_jw_i64(&w, l->event_id);
        jw_kv(&w, "provider_id", l->provider_id);
        jw_kv(&w, "action", l->action);
        jw_kv(&w, "account", l->account);
        jw_kv(&w, "region", l->region);
        jw_time(&w, "removed", l->removed_ns);
        jw_kv(&w, "removed_by", l->removed_by);
        rip_jw_obj_end(&w);
        if ((rc = end_line(b, &w)) < 0)
            return rc;
    }
    return 0;
}

/* ---- the command ---- */

static const char *opt_value(int argc, char **argv, int *a, const char *name)
{
    size_t n = strlen(name);
    const char *arg = argv[*a];
    if (strncmp(arg, name, n))
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] == 0)
        return *a + 1 < argc ? argv[++*a] : "";
    return NULL;
}

/* A page size: 1 to RIP_INV_PAGE_MAX. */
static int parse_limit(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || *s == '-' || v == 0 || v > RIP_INV_PAGE_MAX)
        return RIP_EINVAL;
    *out = v;
    return 0;
}

/* "TIME_NS:ID" (add_cursor()); the id is positive. */
static int parse_cursor(const char *s, int64_t *time_ns, int64_t *id)
{
    char *end;
    errno = 0;
    long long t = strtoll(s, &end, 10);
    if (errno || end == s || *end != ':')
        return RIP_EINVAL;
    const char *p = end + 1;
    long long i = strtoll(p, &end, 10);
    if (errno || end == p || *end || i <= 0)
        return RIP_EINVAL;
    *time_ns = t;
    *id = i;
    return 0;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cmd_investigate(int argc, char **argv)
{
    static const struct {
        const char *flag;
        rip_store_key key;
    } selectors[] = {
        { "--access-key", RIP_STORE_BY_ACCESS_KEY },
        { "--principal", RIP_STORE_BY_PRINCIPAL },
        { "--ip", RIP_STORE_BY_SOURCE_IP },
        { "--resource", RIP_STORE_BY_RESOURCE },
    };
    rip_store_query q = { 0 };
    rip_store_options opt;
    rip_store_error serr;
    rip_store *st = NULL;
    rip_investigation inv;
    rip_buf out = RIP_BUF_INIT;
    const char *db_flag = NULL, *db, *v, *since_arg = NULL, *until_arg = NULL;
    const char *selector_flag = NULL, *limit_arg = NULL, *before_arg = NULL;
    rip_inv_page page = { 0 };
    bool jsonl = false;
    int exit_code = RIP_EXIT_ERROR, rc;
    int64_t now = now_ns();

    rip_inv_init(&inv, NULL);
    for (int a = 1; a < argc; a++) {
        bool matched = false;
        for (size_t i = 0; i < sizeof(selectors) / sizeof(selectors[0]) && !matched; i++) {
            if (!(v = opt_value(argc, argv, &a, selectors[i].flag)))
                continue;
            matched = true;
            if (!*v) {
                rip_cli_error("%s needs a value", selectors[i].flag);
                goto out;
            }
            if (selector_flag) {
                rip_cli_error("%s and %s: give one thing to investigate", selector_flag,
                              selectors[i].flag);
                goto out;
            }
            selector_flag = selectors[i].flag;
            q.by = selectors[i].key;
            q.value = v;
        }
        if (matched)
            continue;
        if ((v = opt_value(argc, argv, &a, "--since"))) {
            since_arg = v;
        } else if ((v = opt_value(argc, argv, &a, "--until"))) {
            until_arg = v;
        } else if ((v = opt_value(argc, argv, &a, "--limit"))) {
            limit_arg = v;
        } else if ((v = opt_value(argc, argv, &a, "--before"))) {
            before_arg = v;
        } else if ((v = opt_value(argc, argv, &a, "--db"))) {
            if (!*v) {
                rip_cli_error("--db needs a file name");
                goto out;
            }
            db_flag = v;
        } else if ((v = opt_value(argc, argv, &a, "--format"))) {
            if (!strcmp(v, "jsonl")) {
                jsonl = true;
            } else if (!strcmp(v, "text")) {
                jsonl = false;
            } else {
                rip_cli_error("unknown format '%s'; use text or jsonl", v);
                goto out;
            }
        } else {
            rip_cli_error("unknown argument '%s'; see 'riposte investigate --help'", argv[a]);
            goto out;
        }
    }
    if (!selector_flag) {
        rip_cli_error("what to investigate? give --access-key, --principal, --ip or --resource");
        goto out;
    }
    if (since_arg && rip_time_parse_when(since_arg, strlen(since_arg), now, &q.since_ns) < 0) {
        rip_cli_error("--since '%s': expected a date-time (2024-03-01T10:00:00Z), a date or an "
                      "age (24h, 7d)", since_arg);
        goto out;
    }
    if (until_arg && rip_time_parse_when(until_arg, strlen(until_arg), now, &q.until_ns) < 0) {
        rip_cli_error("--until '%s': expected a date-time (2024-03-01T10:00:00Z), a date or an "
                      "age (24h, 7d)", until_arg);
        goto out;
    }
    if (q.since_ns && q.until_ns && q.until_ns <= q.since_ns) {
        rip_cli_error("--until is not after --since: the window is empty");
        goto out;
    }
    if (limit_arg && parse_limit(limit_arg, &q.limit) < 0) {
        rip_cli_error("--limit '%s': expected a number of events from 1 to %d", limit_arg,
                      RIP_INV_PAGE_MAX);
        goto out;
    }
    if (before_arg && !limit_arg) {
        rip_cli_error("--before pages through --limit: give --limit too");
        goto out;
    }
    if (before_arg && parse_cursor(before_arg, &q.after_time_ns, &q.after_id) < 0) {
        rip_cli_error("--before '%s': expected TIME_NS:ID as a previous page printed it",
                      before_arg);
        goto out;
    }

    db = rip_store_path(db_flag);
    rip_store_options_init(&opt);
    opt.read_only = 1;
    rc = rip_store_open(db, &opt, &st, &serr);
    if (rc < 0) {
        rip_cli_error("cannot open database '%s': %s", db, serr.msg);
        goto out;
    }
    rc = q.limit ? rip_inv_run_newest(&inv, st, &q, &page) : rip_inv_run(&inv, st, &q);
    if (rc < 0) {
        rip_cli_error("reading '%s': %s", db,
                      rc == RIP_ENOMEM ? rip_strerror(rc) : rip_store_errmsg(st));
        goto out;
    }
    if (!inv.total.count) {
        if (!jsonl) {
            fprintf(stderr, "riposte: investigate: no events for %s '", key_label(q.by));
            rip_text_adds(&out, q.value, NULL, 0);
            fprintf(stderr, "%s'%s in '%s'\n", out.ptr,
                    q.since_ns || q.until_ns ? " in that window" : "", db);
        }
        exit_code = RIP_EXIT_PARTIAL;
        goto out;
    }
    if (jsonl) {
        rc = format_jsonl(&out, &inv, q.by, q.value, q.since_ns, q.until_ns,
                          q.limit ? &page : NULL);
    } else {
        format_text(&out, &inv, q.by, q.value, q.since_ns, q.until_ns, q.limit ? &page : NULL);
        rc = 0;
    }
    if (rc < 0) {
        rip_cli_error("formatting the investigation: %s", rip_strerror(rc));
        goto out;
    }
    if (fwrite(out.ptr, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
        rip_cli_error("writing the output failed");
        goto out;
    }
    if (inv.events_dropped)
        rip_cli_warn("investigate: %" PRIu64 " events were counted but not listed (more than "
                     "%zu); narrow with --since/--until", inv.events_dropped, inv.max_events);
    exit_code = RIP_EXIT_OK;
out:
    rip_store_close(st);
    rip_inv_release(&inv);
    rip_buf_release(&out);
    return exit_code;
}
