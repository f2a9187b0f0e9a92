/* cmd-serve.c — `riposte serve`: the daemon (server/server.h). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cloud/aws-creds.h"
#include "cloud/aws-http.h"
#include "server/config.h"
#include "server/server.h"
#include "util/err.h"

void cmd_serve_usage(FILE *out)
{
    fputs("usage: riposte serve --config FILE [--port N]\n"
          "\n"
          "Runs riposte as a daemon: events come in over HTTP (POST /v1/events: EventBridge\n"
          "events, GuardDuty and Security Hub findings, CloudTrail records), are stored,\n"
          "checked with riposte's rules and folded into incidents; the routes of the\n"
          "configuration pick the playbooks and the channels; Slack gets a message with\n"
          "one button per step waiting for a press, and a press (verified with the\n"
          "signing secret, checked against who may approve) runs the step and updates\n"
          "the message. docs/CONFIG.md is the reference of the file, docs/SERVE.md of\n"
          "the endpoints; `riposte config check FILE` validates it.\n"
          "\n"
          "  --config FILE    the configuration (riposte.yaml)\n"
          "  --port N         listen on this port instead of the file's (0: any free port;\n"
          "                   the port is printed on standard error)\n"
          "\n"
          "SIGTERM or SIGINT: stop accepting, finish the requests and the queued work\n"
          "(up to server.drain_timeout), commit, exit 0. SIGHUP: read the file again; with\n"
          "errors, keep the running configuration; else hand the listening socket to a\n"
          "server with the new one (no connection refused meanwhile). The aws: section\n"
          "and the rules are read at start only.\n"
          "\n"
          "exit status: 0 stopped cleanly; 2 the configuration, the database or the\n"
          "listening address is unusable.\n",
          out);
}


static void on_diag(void *ud, const rip_config_diag *d)
{
    (void)ud;
    if (d->warning)
        rip_cli_warn("%s", d->message);
    else
        rip_cli_error("%s", d->message);
}

static void log_line(void *ud, const char *line)
{
    (void)ud;
    char t[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s riposte: %s\n", t, line);
}

static void on_rule_diag(void *ud, const rip_sigma_diag *d)
{
    (void)ud;
    rip_cli_error("%s", d->text ? d->text : d->msg);
}

int cmd_serve(int argc, char **argv)
{
    const char *config = NULL, *port_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(s, "--config") || !strcmp(s, "--port")) {
            if (!val)
                return rip_cli_error("'%s' needs a value", s);
            if (!strcmp(s, "--config"))
                config = val;
            else
                port_arg = val;
            i++;
        } else {
            return rip_cli_error("unknown argument '%s' for 'serve'; see 'riposte serve --help'",
                                 s);
        }
    }
    if (!config)
        return rip_cli_error("'serve' needs '--config FILE'; see docs/CONFIG.md and "
                             "examples/riposte.yaml");
    rip_config_opts co = { .builtin_playbooks = rip_cli_load_builtin_playbooks };
    rip_config *cfg = NULL;
    if (rip_config_load_with(config, &co, &cfg, on_diag, NULL) < 0)
        return rip_cli_error("the configuration has errors (above); check it with 'riposte "
                             "config check %s'", config);
    if (port_arg) {
        char *end;
        long p = strtol(port_arg, &end, 10);
        if (*end || p < 0 || p > 65535) {
            rip_config_free(cfg);
            return rip_cli_error("'--port' expects 0 to 65535, got '%s'", port_arg);
        }
        cfg->server.listen_port = (uint16_t)p;
    }

    rip_sigma_ruleset *rules = rip_sigma_ruleset_new(on_rule_diag, NULL);
    if (!rules || rip_cli_load_builtin_rules(rules) < 0 || rip_sigma_compile(rules) < 0) {
        rip_sigma_ruleset_free(rules);
        rip_config_free(cfg);
        return rip_cli_error("riposte's own rules did not load");
    }

    /* The AWS client: none when the daemon only plans. */
    rip_aws_creds_provider prov;
    rip_aws_client client;
    bool have_client = false;
    int exit_code = RIP_EXIT_OK;
    if (!cfg->safety.dry_run) {
        const char *region = cfg->aws.region;
        if (!region || !*region)
            region = getenv("AWS_REGION");
        if (!region || !*region)
            region = getenv("AWS_DEFAULT_REGION");
        rip_aws_creds_provider_init(&prov, cfg->aws.profile, region);
        int crc = rip_aws_client_init(&client, region);
        if (crc < 0) {
            rip_aws_creds_provider_release(&prov);
            exit_code = rip_cli_error("cannot set up the AWS client (%s)", rip_strerror(crc));
            goto out;
        }
        have_client = true;
        client.provider = &prov;
        char perr[512];
        if (rip_aws_client_use_profile(&client, cfg->aws.profile, perr, sizeof(perr)) < 0) {
            exit_code = rip_cli_error("%s", perr);
            goto out;
        }
        if (cfg->aws.endpoint_url)
            snprintf(client.endpoint_url, sizeof(client.endpoint_url), "%s",
                     cfg->aws.endpoint_url);
    }

    rip_server_deps deps = {
        .cfg = cfg,
        .rules = rules,
        .client = have_client ? &client : NULL,
        .log = log_line,
    };
    /* The signals are blocked before any thread starts (threads inherit
     * the mask), and the main thread takes them with sigwait(): a signal
     * can never land on a server thread and be missed. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    rip_server *srv = NULL;
    char err[512];
    if (rip_server_start(&deps, &srv, err, sizeof(err)) < 0) {
        exit_code = rip_cli_error("%s", err);
        goto out;
    }
    int stop_signal = 0;
    fprintf(stderr, "riposte: serving on %s://%s:%u (%s)\n",
            cfg->server.tls_cert ? "https" : "http",
            cfg->server.listen_host ? cfg->server.listen_host : "127.0.0.1",
            (unsigned)rip_server_port(srv), cfg->safety.dry_run ? "dry run: nothing is changed"
                                                                : "acting");
    fflush(stderr);
    while (!stop_signal) {
        int sig = 0;
        if (sigwait(&sigs, &sig) != 0)
            continue;
        if (sig != SIGHUP) {
            stop_signal = sig;
            break;
        }
        /* SIGHUP: a new configuration, checked first; the old one keeps
         * serving when it has errors. The listening socket passes from the
         * old server to the new one, so a connection arriving meanwhile
         * waits in its backlog: no event is refused, and the old server
         * finishes what it acknowledged before it goes. */
        rip_config *next = NULL;
        if (rip_config_load_with(config, &co, &next, on_diag, NULL) < 0) {
            rip_cli_error("SIGHUP: '%s' has errors (above): still serving with the previous "
                          "configuration", config);
            continue;
        }
        if (port_arg)
            next->server.listen_port = cfg->server.listen_port;
        int fd = rip_server_stop_keep_socket(srv, cfg->server.drain_timeout_s * 1000);
        deps.cfg = next;
        deps.listen_fd = fd;
        if (rip_server_start(&deps, &srv, err, sizeof(err)) < 0) {
            rip_cli_error("SIGHUP: the new configuration cannot start (%s): back to the "
                          "previous one", err);
            rip_config_free(next);
            deps.cfg = cfg;
            if (rip_server_start(&deps, &srv, err, sizeof(err)) < 0) {
                exit_code = rip_cli_error("%s", err);
                srv = NULL;
                break;
            }
            continue;
        }
        rip_config_free(cfg);
        cfg = next;
        fprintf(stderr, "riposte: SIGHUP: configuration reloaded from %s\n", config);
        fflush(stderr);
    }
    if (srv) {
        fprintf(stderr, "riposte: %s: draining\n", stop_signal == SIGTERM ? "SIGTERM" : "SIGINT");
        rip_server_stop(srv, cfg->server.drain_timeout_s * 1000);
    }
    fprintf(stderr, "riposte: stopped\n");
out:
    if (have_client) {
        rip_aws_client_release(&client);
        rip_aws_creds_provider_release(&prov);
    }
    rip_sigma_ruleset_free(rules);
    rip_config_free(cfg);
    return exit_code;
}
