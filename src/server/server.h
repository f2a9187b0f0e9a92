/* server.h — `riposte serve`: the daemon (docs/SERVE.md).
 *
 * One process: the HTTP endpoints (http.h) take events in, the pipeline
 * stores, detects and folds them into incidents, and a worker thread starts
 * the routed playbooks, posts to Slack with one button per step waiting for
 * a press, executes presses verified against the signing secret and who may
 * approve, updates the message, and delivers the notification outbox.
 *
 *   POST /v1/events            EventBridge events / GuardDuty, Security Hub
 *                              findings, CloudTrail records (API key in
 *                              X-API-Key, or a bearer token of a responder)
 *   POST /v1/sns               an SNS subscription (source-sns.h; the message's
 *                              signature, SignatureVersion 1 or 2)
 *   POST /v1/slack/interactions  button presses (Slack's v0 signature)
 *   GET  /v1/incidents, /v1/runs   JSON (bearer token, viewer)
 *   POST /v1/approvals         {"run","step","approve","reason"} (responder)
 *   GET  /metrics              Prometheus text format
 *   GET  /healthz, /readyz
 *
 * Acknowledged means durable: POST /v1/events answers 202 only after the
 * events are committed to the store.
 *
 * Threads: the HTTP server's handler threads and one worker; the store's
 * caller-side connection is used under one mutex. Actions (AWS calls) run
 * on the worker, never on an HTTP thread.
 */
#ifndef RIPOSTE_SERVER_SERVER_H
#define RIPOSTE_SERVER_SERVER_H

#include <stdint.h>

#include "cloud/aws-http.h"
#include "detect/sigma.h"
#include "server/config.h"

typedef struct rip_server rip_server;

typedef struct rip_server_deps {
    rip_config *cfg;                    /* borrowed; its playbook_set is used */
    const rip_sigma_ruleset *rules;     /* NULL: findings from providers only */
    rip_aws_client *client;             /* NULL: runs are planned, never called */
    void (*log)(void *ud, const char *line);   /* one line per event of note */
    void *log_ud;
    int listen_fd;                      /* > 0: a listening socket to serve on
                                           (a reload's); else bind the config's */
} rip_server_deps;

/* Opens the store and starts listening and working. 0 and *out, or a
 * negative RIP_E* with err. */
int rip_server_start(const rip_server_deps *deps, rip_server **out, char *err, size_t errlen);
/* The port the HTTP server listens on. */
uint16_t rip_server_port(const rip_server *s);
/* Graceful stop: stop accepting, finish requests and queued work within
 * drain_ms, commit, close. Accepts NULL. */
void rip_server_stop(rip_server *s, unsigned drain_ms);
/* As rip_server_stop(), but the listening socket stays open and is
 * returned (connections arriving meanwhile wait in its backlog): start the
 * next server with it as deps.listen_fd. -1 when there is none. */
int rip_server_stop_keep_socket(rip_server *s, unsigned drain_ms);

#endif
