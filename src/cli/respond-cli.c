/* respond-cli.c — the set-up the response commands share (respond-cli.h). */
#include "cli/respond-cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cloud/action-safety.h"
#include "util/err.h"
#include "util/json.h"

void rip_respond_cli_usage_common(FILE *out)
{
    fputs("  --db FILE        the database (default: $RIPOSTE_DB, else riposte.db)\n"
          "  --playbooks PATH a playbook file or folder (repeat); default: riposte's own\n"
          "  --profile P      AWS profile; --region R  AWS region (as 'riposte action run')\n"
          "  --protect-tag K=V  resources with this tag refuse destructive actions\n"
          "                   (default riposte:protected=true)\n"
          "  --max-destructive-per-hour N  blast-radius cap per account (default 10, 0: off)\n"
          "  --state-dir DIR  where that hourly count is kept\n"
          "  --verbose        log each AWS call to stderr (never credentials)\n"
          "  --quiet          print only the summary\n",
          out);
}

int rip_respond_cli_option(rip_respond_cli *c, int argc, char **argv, int *i)
{
    const char *s = argv[*i];
    const char *val = *i + 1 < argc ? argv[*i + 1] : NULL;
    if (!strcmp(s, "--verbose") || !strcmp(s, "-v")) {
        c->verbose = true;
        return 1;
    }
    if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) {
        c->quiet = true;
        return 1;
    }
    static const char *const valued[] = { "--db", "--playbooks", "--profile", "--region",
                                          "--protect-tag", "--state-dir",
                                          "--max-destructive-per-hour", NULL };
    for (const char *const *v = valued; *v; v++) {
        if (strcmp(s, *v))
            continue;
        if (!val)
            return rip_cli_error("'%s' needs a value", s);
        (*i)++;
        if (!strcmp(s, "--db"))
            c->db = val;
        else if (!strcmp(s, "--playbooks")) {
            if (c->nplaybooks == RIP_RESPOND_MAX_PATHS)
                return rip_cli_error("too many '--playbooks' (at most %d)",
                                     RIP_RESPOND_MAX_PATHS);
            c->playbooks[c->nplaybooks++] = val;
        } else if (!strcmp(s, "--profile"))
            c->profile = val;
        else if (!strcmp(s, "--region"))
            c->region = val;
        else if (!strcmp(s, "--protect-tag"))
            c->protect = val;
        else if (!strcmp(s, "--state-dir"))
            c->state_dir = val;
        else
            c->max_destr = val;
        return 1;
    }
    return 0;
}

static void on_pb_diag(void *ud, const rip_pb_diag *d)
{
    (void)ud;
    rip_cli_warn("%s", d->message);
}

static void log_aws(void *ud, const char *line)
{
    (void)ud;
    fprintf(stderr, "riposte: aws: %s\n", line);
}

static void log_engine(void *ud, const char *line)
{
    rip_respond_cli *c = ud;
    if (!c->quiet) {
        printf("%s\n", line);
        fflush(stdout);
    }
}

int rip_respond_cli_run_id(const char *arg, int64_t *id)
{
    const char *p = arg && arg[0] == '#' ? arg + 1 : arg;
    char *end;
    errno = 0;
    long long v = p && *p >= '0' && *p <= '9' ? strtoll(p, &end, 10) : -1;
    if (v <= 0 || errno || *end)
        return rip_cli_error("'%s' is not a run id (a number, as 'riposte runs' shows)",
                             arg ? arg : "");
    *id = (int64_t)v;
    return 0;
}

int rip_respond_cli_open(rip_respond_cli *c, bool lock, bool aws)
{
    c->lock_fd = -1;
    c->max_destructive = RIP_ACTION_DEFAULT_MAX_DESTRUCTIVE;
    if (c->max_destr) {
        char *end;
        long n = strtol(c->max_destr, &end, 10);
        if (!*c->max_destr || *end || n < 0 || n > 100000)
            return rip_cli_error("'--max-destructive-per-hour' expects a number from 0 (no cap) "
                                 "to 100000, got '%s'", c->max_destr);
        c->max_destructive = (int)n;
    }
    if (c->protect) {
        const char *eq = strchr(c->protect, '=');
        if (!eq || eq == c->protect || strlen(c->protect) >= sizeof(c->protect_buf))
            return rip_cli_error("'--protect-tag' expects KEY=VALUE");
        memcpy(c->protect_buf, c->protect, strlen(c->protect) + 1);
        c->protect_buf[eq - c->protect] = '\0';
        c->protect_key = c->protect_buf;
        c->protect_value = c->protect_buf + (eq - c->protect) + 1;
    }
    const char *db = rip_store_path(c->db);
    if (lock) {
        /* One engine per database: a second waits for the first. */
        char path[4200];
        snprintf(path, sizeof(path), "%s.engine-lock", db);
        c->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (c->lock_fd < 0)
            return rip_cli_error("cannot create the engine lock '%s': %s", path,
                                 strerror(errno));
        if (flock(c->lock_fd, LOCK_EX) < 0) {
            close(c->lock_fd);
            c->lock_fd = -1;
            return rip_cli_error("cannot take the engine lock '%s': %s", path, strerror(errno));
        }
    }
    rip_store_error err;
    if (rip_store_open(db, NULL, &c->st, &err) < 0) {
        c->st = NULL;
        return rip_cli_error("cannot open database '%s': %s", db, err.msg);
    }
    c->set = rip_playbook_set_new(on_pb_diag, c);
    if (!c->set)
        return rip_cli_error("out of memory");
    if (!c->nplaybooks) {
        if (rip_cli_load_builtin_playbooks(c->set) < 0)
            return rip_cli_error("riposte's own playbooks did not load");
    }
    for (size_t i = 0; i < c->nplaybooks; i++) {
        int rc = rip_playbook_load_path(c->set, c->playbooks[i]);
        if (rc == RIP_ENOENT || rc == RIP_EIO)
            return rip_cli_error("cannot read playbooks at '%s'", c->playbooks[i]);
        if (rc < 0)
            return rip_cli_error("playbooks at '%s' have errors (above); fix them or check "
                                 "with 'riposte playbook validate'", c->playbooks[i]);
    }
    if (aws) {
        const char *region = c->region;
        char region_buf[64] = "";
        if (!region || !*region)
            region = getenv("AWS_REGION");
        if (!region || !*region)
            region = getenv("AWS_DEFAULT_REGION");
        if ((!region || !*region) &&
            rip_aws_config_get(c->profile, "region", region_buf, sizeof(region_buf)) == 0)
            region = region_buf;
        if (!c->state_dir && c->max_destructive > 0) {
            if (rip_action_state_dir(c->state_buf, sizeof(c->state_buf)) < 0)
                return rip_cli_error("cannot keep the hourly count of destructive actions: "
                                     "set XDG_STATE_HOME or HOME, or pass '--state-dir DIR'");
            c->state_dir = c->state_buf;
        }
        rip_aws_creds_provider_init(&c->prov, c->profile, region);
        int client_rc = rip_aws_client_init(&c->client, region);
        if (client_rc < 0) {
            rip_aws_creds_provider_release(&c->prov);
            return rip_cli_error("%s", rip_aws_client_init_error(client_rc));
        }
        c->have_client = true;
        c->client.provider = &c->prov;
        if (c->verbose) {
            c->client.log = log_aws;
            c->prov.log = log_aws;
        }
        char perr[512];
        if (rip_aws_client_use_profile(&c->client, c->profile, perr, sizeof(perr)) < 0)
            return rip_cli_error("%s", perr);
    }
    rip_engine_opts o = {
        .st = c->st,
        .playbooks = c->set,
        .client = c->have_client ? &c->client : NULL,
        .protect_key = c->protect_key,
        .protect_value = c->protect_value,
        .max_destructive = c->max_destructive,
        .state_dir = c->state_dir,
        .log = log_engine,
        .log_ud = c,
    };
    c->engine = rip_engine_new(&o);
    if (!c->engine)
        return rip_cli_error("out of memory");
    return 0;
}

void rip_respond_cli_close(rip_respond_cli *c)
{
    rip_engine_free(c->engine);
    c->engine = NULL;
    if (c->have_client) {
        rip_aws_client_release(&c->client);
        rip_aws_creds_provider_release(&c->prov);
        c->have_client = false;
    }
    rip_playbook_set_free(c->set);
    c->set = NULL;
    if (c->st)
        rip_store_close(c->st);
    c->st = NULL;
    if (c->lock_fd >= 0)
        close(c->lock_fd);
    c->lock_fd = -1;
}

void rip_respond_cli_steps_json(rip_jw *w, const rip_store_run *run)
{
    rip_jw_key(w, "steps");
    rip_jw_arr_begin(w);
    for (size_t i = 0; i < run->nsteps; i++) {
        const rip_store_step_row *s = &run->steps[i];
        rip_jw_obj_begin(w);
        rip_jw_key(w, "step");
        rip_jw_str(w, s->step);
        rip_jw_key(w, "kind");
        rip_jw_str(w, s->kind);
        rip_jw_key(w, "action");
        rip_jw_str(w, s->action);
        rip_jw_key(w, "state");
        rip_jw_str(w, s->state);
        rip_jw_key(w, "attempts");
        rip_jw_u64(w, s->attempts);
        rip_jw_key(w, "idempotency_key");
        rip_jw_str(w, s->idempotency_key);
        rip_jw_key(w, "decided_by");
        rip_jw_str(w, s->decided_by);
        rip_jw_key(w, "reason");
        rip_jw_str(w, s->reason);
        rip_jw_key(w, "started_ns");
        rip_jw_i64(w, s->started_ns);
        rip_jw_key(w, "ended_ns");
        rip_jw_i64(w, s->ended_ns);
        rip_jw_key(w, "intent");
        if (s->intent)
            rip_jw_raw(w, s->intent, strlen(s->intent));
        else
            rip_jw_null(w);
        rip_jw_key(w, "result");
        if (s->result)
            rip_jw_raw(w, s->result, strlen(s->result));
        else
            rip_jw_null(w);
        rip_jw_obj_end(w);
    }
    rip_jw_arr_end(w);
}

int rip_id_list_push(rip_id_list *l, int64_t id)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        int64_t *nv = realloc(l->v, nc * sizeof(*nv));
        if (!nv)
            return RIP_ENOMEM;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = id;
    return 0;
}

int rip_id_list_on_incident(void *ud, const rip_store_incident_row *row)
{
    return rip_id_list_push(ud, row->id);
}

int rip_id_list_on_run(void *ud, const rip_store_run_row *row)
{
    return rip_id_list_push(ud, row->id);
}
