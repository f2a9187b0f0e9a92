/* aws-fake-server.h — a tiny scripted HTTP/1.1 server on a loopback port
 * for the AWS client tests (test-aws-http.c, test-aws-creds.c).
 *
 * fake_start() forks a child that serves requests one at a time with
 * keep-alive. Each request is matched against the routes in order (method
 * and path prefix; a route with times > 0 is used that many times, -1 means
 * forever) and answered with its status, extra headers and body. The body
 * may contain "{AUTH}", replaced by the request's Authorization header (to
 * test that clients scrub echoed secrets). Every request is appended to a
 * log file: "=== <conn#> METHOD TARGET\n<headers>\n<body>\n".
 */
#ifndef RIPOSTE_TESTS_AWS_FAKE_SERVER_H
#define RIPOSTE_TESTS_AWS_FAKE_SERVER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct fake_route {
    const char *method;
    const char *path;      /* prefix of the request target */
    int status;
    const char *headers;   /* extra header lines, each ending in \r\n, or NULL */
    const char *body;
    int times;             /* -1 forever */
} fake_route;

typedef struct fake_server {
    pid_t pid;
    int port;
    char log[256];
} fake_server;

static void fake_serve_conn_(int c, fake_route *routes, size_t n, const char *log, int conn)
{
    static char buf[1 << 20];
    size_t have = 0;
    for (;;) {
        char *end;
        while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
            ssize_t r = recv(c, buf + have, sizeof(buf) - 1 - have, 0);
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        size_t hlen = (size_t)(end - buf) + 4;
        buf[hlen - 1] = '\0';
        size_t clen = 0;
        char *cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl)
            clen = strtoul(cl + 17, NULL, 10);
        while (have < hlen + clen) {
            ssize_t r = recv(c, buf + have, sizeof(buf) - 1 - have, 0);
            if (r <= 0)
                return;
            have += (size_t)r;
        }
        char method[16] = "", target[2048] = "";
        sscanf(buf, "%15s %2047s", method, target);
        FILE *f = fopen(log, "a");
        if (f) {
            fprintf(f, "=== %d %s %s\n%s\n%.*s\n", conn, method, target, buf, (int)clen, buf + hlen);
            fclose(f);
        }
        char auth[4096] = "";
        char *a = strcasestr(buf, "\r\nauthorization:");
        if (a) {
            a += 16;
            while (*a == ' ')
                a++;
            snprintf(auth, sizeof(auth), "%.*s", (int)strcspn(a, "\r\n"), a);
        }
        fake_route *r = NULL;
        for (size_t i = 0; i < n && !r; i++)
            if (routes[i].times != 0 && !strcmp(routes[i].method, method) &&
                !strncmp(target, routes[i].path, strlen(routes[i].path)))
                r = &routes[i];
        char body[16384];
        int status = 404;
        const char *hdrs = "";
        snprintf(body, sizeof(body), "not found");
        if (r) {
            if (r->times > 0)
                r->times--;
            status = r->status;
            hdrs = r->headers ? r->headers : "";
            const char *p = strstr(r->body, "{AUTH}");
            if (p)
                snprintf(body, sizeof(body), "%.*s%s%s", (int)(p - r->body), r->body, auth, p + 6);
            else
                snprintf(body, sizeof(body), "%s", r->body);
        }
        char head[2048];
        int hl = snprintf(head, sizeof(head),
                          "HTTP/1.1 %d X\r\nContent-Length: %zu\r\n%s\r\n", status,
                          strlen(body), hdrs);
        if (send(c, head, (size_t)hl, MSG_NOSIGNAL) < 0 ||
            (strcmp(method, "HEAD") && send(c, body, strlen(body), MSG_NOSIGNAL) < 0))
            return;
        memmove(buf, buf + hlen + clen, have - hlen - clen);
        have -= hlen + clen;
    }
}

/* Starts the server; 0 or -1. The log file is truncated. */
__attribute__((unused))
static int fake_start(fake_server *s, fake_route *routes, size_t n)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) < 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    snprintf(s->log, sizeof(s->log), "/tmp/riposte-fake-%d-%d.log", (int)getpid(), s->port);
    FILE *f = fopen(s->log, "w");
    if (f)
        fclose(f);
    fflush(NULL);
    s->pid = fork();
    if (s->pid < 0)
        return -1;
    if (s->pid == 0) {
        int conn = 0;
        for (;;) {
            int c = accept(fd, NULL, NULL);
            if (c < 0)
                continue;
            fake_serve_conn_(c, routes, n, s->log, ++conn);
            close(c);
        }
    }
    close(fd);
    return 0;
}

__attribute__((unused))
static void fake_stop(fake_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
    unlink(s->log);
}

/* The log so far (malloc'ed, NUL-terminated). */
__attribute__((unused))
static char *fake_log(const fake_server *s)
{
    FILE *f = fopen(s->log, "rb");
    if (!f)
        return strdup("");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = calloc(1, (size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n)
        p[0] = '\0';
    fclose(f);
    return p;
}

/* Occurrences of needle in hay. */
__attribute__((unused))
static int fake_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

#endif
