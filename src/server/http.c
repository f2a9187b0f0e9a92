/* http.c — the HTTP server on libmicrohttpd (http.h), loaded when the
 * first server starts (mhd-load.h): a request or a server exists only once
 * it is loaded, so the calls below go through the table unchecked. */
#include "server/http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server/mhd-load.h"
#include "util/err.h"

struct rip_http_server {
    const rip_mhd_api *mhd;
    struct MHD_Daemon *d;
    rip_http_opts o;
    uint16_t port;
    atomic_uint in_flight;
    int quiesced;
};

/* One request's state across libmicrohttpd's calls. */
typedef struct req_state {
    rip_buf body;
    int too_large;
    int counted;
} req_state;

const char *rip_http_header(const rip_http_request *req, const char *name)
{
    return rip_mhd()->lookup_connection_value((struct MHD_Connection *)req->conn,
                                              MHD_HEADER_KIND, name);
}

const char *rip_http_query(const rip_http_request *req, const char *name)
{
    return rip_mhd()->lookup_connection_value((struct MHD_Connection *)req->conn,
                                              MHD_GET_ARGUMENT_KIND, name);
}

void rip_http_add_header(rip_http_response *resp, const char *name, const char *value)
{
    if (resp->nheaders == RIP_HTTP_MAX_HEADERS)
        return;
    resp->header_names[resp->nheaders] = name;
    snprintf(resp->header_values[resp->nheaders], sizeof(resp->header_values[0]), "%s",
             value ? value : "");
    resp->nheaders++;
}

static enum MHD_Result send_plain(const rip_mhd_api *mhd, struct MHD_Connection *c,
                                  unsigned status, const char *json)
{
    struct MHD_Response *r =
        mhd->create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    mhd->add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = mhd->queue_response(c, status, r);
    mhd->destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **con_cls)
{
    rip_http_server *s = cls;
    const rip_mhd_api *mhd = s->mhd;
    req_state *rs = *con_cls;
    (void)version;
    if (!rs) {
        rs = calloc(1, sizeof(*rs));
        if (!rs)
            return MHD_NO;
        rip_buf_init(&rs->body, 0);
        *con_cls = rs;
        atomic_fetch_add(&s->in_flight, 1);
        rs->counted = 1;
        const char *cl = mhd->lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > s->o.max_body)
            rs->too_large = 1;
        return MHD_YES;
    }
    if (*upload_size) {
        if (!rs->too_large && rs->body.len + *upload_size > s->o.max_body)
            rs->too_large = 1;
        if (!rs->too_large && rip_buf_add(&rs->body, upload, *upload_size))
            rs->too_large = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (rs->too_large)
        return send_plain(mhd, c, 413, "{\"error\":\"request body too large\"}");

    const union MHD_ConnectionInfo *ci =
        mhd->get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char remote[INET6_ADDRSTRLEN + 8] = "?";
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, remote,
                      sizeof(remote));
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
                      remote, sizeof(remote));
    }
    if (rip_buf_add(&rs->body, "", 0))
        return MHD_NO;
    rip_http_request req = {
        .method = method,
        .path = url,
        .body = rs->body.ptr ? rs->body.ptr : "",
        .body_len = rs->body.len,
        .remote = remote,
        .conn = c,
    };
    rip_http_response resp;
    memset(&resp, 0, sizeof(resp));
    resp.status = 200;
    rip_buf_init(&resp.body, 0);
    s->o.handler(s->o.ud, &req, &resp);
    struct MHD_Response *r = mhd->create_response_from_buffer(
        resp.body.len, resp.body.ptr ? resp.body.ptr : (void *)"", MHD_RESPMEM_MUST_COPY);
    rip_buf_release(&resp.body);
    if (!r)
        return MHD_NO;
    mhd->add_response_header(r, "Content-Type",
                             resp.content_type ? resp.content_type : "application/json");
    mhd->add_response_header(r, "Cache-Control", "no-store");
    for (size_t i = 0; i < resp.nheaders; i++)
        mhd->add_response_header(r, resp.header_names[i], resp.header_values[i]);
    enum MHD_Result ret = mhd->queue_response(c, (unsigned)resp.status, r);
    mhd->destroy_response(r);
    return ret;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode why)
{
    rip_http_server *s = cls;
    req_state *rs = *con_cls;
    (void)c;
    (void)why;
    if (!rs)
        return;
    if (rs->counted)
        atomic_fetch_sub(&s->in_flight, 1);
    rip_buf_release(&rs->body);
    free(rs);
    *con_cls = NULL;
}

int rip_http_start(const rip_http_opts *o, rip_http_server **out, char *err, size_t errlen)
{
    const rip_mhd_api *mhd = rip_mhd();
    if (!mhd) {
        snprintf(err, errlen, "%s", rip_mhd_load_error());
        return RIP_EIO;
    }
    rip_http_server *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return RIP_ENOMEM;
    }
    s->mhd = mhd;
    s->o = *o;
    if (!s->o.max_body)
        s->o.max_body = (size_t)1 << 20;
    if (!s->o.max_header)
        s->o.max_header = (size_t)16 << 10;
    if (!s->o.max_connections)
        s->o.max_connections = 256;
    if (!s->o.timeout_s)
        s->o.timeout_s = 30;
    if (!s->o.threads)
        s->o.threads = 4;
    atomic_init(&s->in_flight, 0);

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;
    const char *host = o->host && *o->host ? o->host : "127.0.0.1";
    struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)(void *)&ss;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(o->port);
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(o->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "listen address '%s' is not an IPv4 or IPv6 address", host);
        free(s);
        return RIP_EINVAL;
    }
    if ((o->tls_cert_pem != NULL) != (o->tls_key_pem != NULL)) {
        snprintf(err, errlen, "TLS needs both a certificate and a key");
        free(s);
        return RIP_EINVAL;
    }
    if (o->tls_cert_pem)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[13];
    size_t n = 0;
    if (o->listen_fd > 0)
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, o->listen_fd, NULL };
    else
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, s->o.max_connections,
                                         NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, s->o.timeout_s, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                         (intptr_t)s->o.max_header, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE, s->o.threads, NULL };
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_done, s };
    if (o->tls_cert_pem) {
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
                                             (void *)o->tls_cert_pem };
        opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
                                             (void *)o->tls_key_pem };
    }
    opts[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
    s->d = mhd->start_daemon(flags, o->port, NULL, NULL, on_request, s, MHD_OPTION_ARRAY, opts,
                             MHD_OPTION_END);
    if (!s->d) {
        snprintf(err, errlen, "cannot listen on %s port %u (in use, or not allowed)", host,
                 (unsigned)o->port);
        free(s);
        return RIP_EIO;
    }
    const union MHD_DaemonInfo *di = mhd->get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : o->port;
    *out = s;
    return 0;
}

uint16_t rip_http_port(const rip_http_server *s)
{
    return s->port;
}

unsigned rip_http_in_flight(const rip_http_server *s)
{
    return atomic_load(&((rip_http_server *)s)->in_flight);
}

int rip_http_quiesce(rip_http_server *s)
{
    if (!s || !s->d || s->quiesced)
        return -1;
    s->quiesced = 1;
    return (int)s->mhd->quiesce_daemon(s->d);
}

void rip_http_stop(rip_http_server *s, unsigned drain_ms)
{
    if (!s)
        return;
    int fd = rip_http_quiesce(s);
    if (fd >= 0)
        close(fd);
    struct timespec ts = { 0, 10 * 1000000 };
    for (unsigned waited = 0; waited < drain_ms && atomic_load(&s->in_flight); waited += 10)
        nanosleep(&ts, NULL);
    s->mhd->stop_daemon(s->d);
    free(s);
}
