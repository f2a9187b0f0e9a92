/* cmd-audit.c — `riposte audit`: read and verify the hash-chained audit
 * log (store.h "the audit log"). */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/safe-text.h"
#include "store/store.h"
#include "util/err.h"
#include "util/json.h"

void cmd_audit_usage(FILE *out)
{
    fputs("usage: riposte audit verify [--db FILE]\n"
          "       riposte audit list [--format text|jsonl] [--db FILE]\n"
          "\n"
          "Every action riposte plans, every approval, every call and its result is an\n"
          "entry in the audit log. Entries are append-only (the database refuses UPDATE\n"
          "and DELETE) and hash-chained: each entry's SHA-256 covers the previous entry's\n"
          "hash and all of its own fields, and the newest (id, hash) is kept apart.\n"
          "\n"
          "  verify  walk the chain: an edited entry, a removed or reordered one, or\n"
          "          entries cut from the end are reported with the first entry found\n"
          "          wrong. Prints the newest hash: keep it elsewhere (a ticket, a chat\n"
          "          message) to detect a rewrite of the whole log later.\n"
          "  list    the entries, oldest first\n"
          "\n"
          "exit status: 0 intact; 1 tampered (verify); 2 usage or database errors.\n",
          out);
}

static int print_entry(void *ud, const rip_store_audit_row *r)
{
    bool json = *(bool *)ud;
    if (json) {
        rip_buf b = RIP_BUF_INIT;
        rip_jw w;
        rip_jw_init(&w, &b);
        rip_jw_obj_begin(&w);
        rip_jw_key(&w, "id");
        rip_jw_i64(&w, r->id);
        rip_jw_key(&w, "time_ns");
        rip_jw_i64(&w, r->time_ns);
        rip_jw_key(&w, "actor");
        rip_jw_str(&w, r->actor);
        rip_jw_key(&w, "action");
        rip_jw_str(&w, r->action);
        rip_jw_key(&w, "target");
        rip_jw_str(&w, r->target);
        rip_jw_key(&w, "detail");
        if (r->detail)
            rip_jw_raw(&w, r->detail, strlen(r->detail));
        else
            rip_jw_null(&w);
        rip_jw_key(&w, "prev_hash");
        rip_jw_str(&w, r->prev_hash);
        rip_jw_key(&w, "hash");
        rip_jw_str(&w, r->hash);
        rip_jw_obj_end(&w);
        if (rip_jw_finish(&w) == 0)
            printf("%s\n", b.ptr);
        rip_buf_release(&b);
        return 0;
    }
    char t[32];
    time_t s = (time_t)(r->time_ns / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
    rip_buf line = RIP_BUF_INIT;
    rip_text_adds(&line, r->actor, "-", 0);
    rip_buf_add(&line, "  ", 2);
    rip_text_adds(&line, r->action, "-", 0);
    rip_buf_add(&line, "  ", 2);
    rip_text_adds(&line, r->target, "-", 0);
    printf("%6" PRId64 "  %s  %s  %.12s\n", r->id, t, line.ptr ? line.ptr : "",
           r->hash ? r->hash : "");
    rip_buf_release(&line);
    return 0;
}

int cmd_audit(int argc, char **argv)
{
    const char *db = NULL, *format = NULL, *sub = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--db") || !strcmp(s, "--format")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--db"))
                db = val;
            else
                format = val;
            i++;
        } else if (s[0] == '-') {
            return rip_cli_error("unknown option '%s' for 'audit'; see 'riposte audit --help'",
                                 s);
        } else if (!sub) {
            sub = s;
        } else {
            return rip_cli_error("unexpected argument '%s'", s);
        }
    }
    if (!sub || (strcmp(sub, "verify") && strcmp(sub, "list")))
        return rip_cli_error("'audit' needs a subcommand: verify or list; see 'riposte audit "
                             "--help'");
    bool json = false;
    if (format && !strcmp(format, "jsonl"))
        json = true;
    else if (format && strcmp(format, "text"))
        return rip_cli_error("'--format' expects text or jsonl, got '%s'", format);
    rip_store *st = NULL;
    rip_store_error err;
    const char *path = rip_store_path(db);
    rip_store_options o;
    rip_store_options_init(&o);
    o.read_only = 1;
    if (rip_store_open(path, &o, &st, &err) < 0)
        return rip_cli_error("cannot open database '%s': %s", path, err.msg);
    int exit_code = RIP_EXIT_OK;
    if (!strcmp(sub, "list")) {
        if (rip_store_list_audit(st, print_entry, &json) < 0)
            exit_code = rip_cli_error("%s", rip_store_errmsg(st));
    } else {
        rip_store_audit_check chk;
        int rc = rip_store_audit_verify(st, &chk);
        if (rc == RIP_EINVAL) {
            printf("audit log TAMPERED: %s (%" PRIu64 " entries before it verified)\n",
                   chk.problem, chk.entries);
            exit_code = RIP_EXIT_PARTIAL;
        } else if (rc < 0) {
            exit_code = rip_cli_error("%s", rip_store_errmsg(st));
        } else {
            printf("audit log intact: %" PRIu64 " entr%s, newest hash %s\n", chk.entries,
                   chk.entries == 1 ? "y" : "ies", chk.head[0] ? chk.head : "(empty log)");
        }
    }
    rip_store_close(st);
    return exit_code;
}
