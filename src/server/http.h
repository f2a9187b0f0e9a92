/* http.h — riposte's HTTP server: libmicrohttpd behind one small interface.
 *
 * The server reads a whole request body (up to max_body; a larger
 * Content-Length is answered 413 before the body is read, a body that grows
 * past it is answered 413 and dropped), then calls the handler once on one
 * of its threads; the handler fills a response. Limits: max_body, the
 * connection's memory for headers (max_header), connections at once
 * (max_connections, beyond which new ones are refused) and an idle timeout
 * (timeout_s: a client that sends nothing for that long is dropped, so
 * slow clients cannot hold the server). Optional TLS from PEM files.
 *
 * rip_http_quiesce() stops accepting and rip_http_stop() waits for the
 * requests in flight (graceful drain, up to a deadline) then frees.
 */
#ifndef RIPOSTE_SERVER_HTTP_H
#define RIPOSTE_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct rip_http_server rip_http_server;

typedef struct rip_http_request {
    const char *method;        /* "GET", "POST", ... */
    const char *path;          /* "/v1/events" (no query) */
    const char *body;          /* NUL-terminated; "" when none */
    size_t body_len;
    const char *remote;        /* the peer's address, for logs */
    void *conn;                /* private */
} rip_http_request;

/* A request header by name (case-insensitive), or NULL. */
const char *rip_http_header(const rip_http_request *req, const char *name);
/* A query argument by name, or NULL. */
const char *rip_http_query(const rip_http_request *req, const char *name);

#define RIP_HTTP_MAX_HEADERS 8

typedef struct rip_http_response {
    int status;                /* default 200 */
    const char *content_type;  /* default "application/json" */
    rip_buf body;              /* what to send; the server frees it */
    const char *header_names[RIP_HTTP_MAX_HEADERS];   /* static strings */
    char header_values[RIP_HTTP_MAX_HEADERS][256];
    size_t nheaders;
} rip_http_response;

/* Adds a response header (name static, value copied, cut at 255 bytes). */
void rip_http_add_header(rip_http_response *resp, const char *name, const char *value);

typedef void (*rip_http_handler)(void *ud, const rip_http_request *req, rip_http_response *resp);

typedef struct rip_http_opts {
    const char *host;          /* "127.0.0.1", "0.0.0.0", "::1" */
    uint16_t port;             /* 0: any free port (rip_http_port() says which) */
    size_t max_body;           /* bytes; 0: 1 MiB */
    size_t max_header;         /* bytes of a connection's memory; 0: 16 KiB */
    unsigned max_connections;  /* 0: 256 */
    unsigned timeout_s;        /* idle connections; 0: 30 */
    unsigned threads;          /* handler threads; 0: 4 */
    const char *tls_cert_pem, *tls_key_pem;   /* PEM text, both or neither */
    int listen_fd;             /* > 0: serve on this bound, listening socket
                                  (from rip_http_quiesce() of a previous
                                  server: a reload drops no connection) */
    rip_http_handler handler;
    void *ud;
} rip_http_opts;

/* Starts listening. 0 and *out, or RIP_EIO with err (bind failed, ...). */
int rip_http_start(const rip_http_opts *o, rip_http_server **out, char *err, size_t errlen);
/* The port it listens on. */
uint16_t rip_http_port(const rip_http_server *s);
/* Requests being handled now. */
unsigned rip_http_in_flight(const rip_http_server *s);
/* Stops accepting new connections; those open are served. Returns the
 * listening socket, which the server no longer owns: pass it to the next
 * server (listen_fd) or close it. -1 when already quiesced. */
int rip_http_quiesce(rip_http_server *s);
/* Quiesces (closing the listening socket unless it was handed out), waits
 * up to drain_ms for the requests in flight, then stops and frees. Accepts
 * NULL. */
void rip_http_stop(rip_http_server *s, unsigned drain_ms);

#endif
