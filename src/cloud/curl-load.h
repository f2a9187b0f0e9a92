/* curl-load.h — libcurl, loaded on demand.
 *
 * The riposte program does not link libcurl: only the cloud layer talks
 * HTTP, and libcurl with its TLS, Kerberos, LDAP, SSH and IDN libraries is
 * some 25 shared objects whose loading and relocation every command would
 * pay at startup (~15 ms of CPU), `riposte scan` included. The first rip_curl() call
 * dlopen()s libcurl.so.4 (the ABI the headers are compiled against), looks
 * up the functions below and runs curl_global_init(), once per process
 * (pthread_once, so any thread may make the first call). The library stays
 * loaded until exit. Headers and types still come from <curl/curl.h>.
 *
 * The functions are called through the table: rip_curl()->easy_setopt(...).
 * The setopt and getinfo entries are libcurl's own variadic functions, so
 * pass values of the type the option documents (long, pointer, curl_off_t
 * or a callback), as with libcurl itself; gcc's curl typecheck macros do not
 * apply through the table.
 */
#ifndef RIPOSTE_CLOUD_CURL_LOAD_H
#define RIPOSTE_CLOUD_CURL_LOAD_H

#include <curl/curl.h>
#include <stddef.h>

#include "util/buf.h"

typedef struct rip_curl_api {
    CURL *(*easy_init)(void);
    void (*easy_cleanup)(CURL *cu);
    void (*easy_reset)(CURL *cu);
    CURLcode (*easy_setopt)(CURL *cu, CURLoption opt, ...);
    CURLcode (*easy_perform)(CURL *cu);
    CURLcode (*easy_getinfo)(CURL *cu, CURLINFO info, ...);
    const char *(*easy_strerror)(CURLcode cc);
    struct curl_slist *(*slist_append)(struct curl_slist *list, const char *line);
    void (*slist_free_all)(struct curl_slist *list);
} rip_curl_api;

/* Returns libcurl's entry points, loading libcurl on the first call. The
 * table is static and valid until exit. Returns NULL when libcurl cannot be
 * loaded (or lacks a function, or curl_global_init() fails); every later
 * call returns NULL too, and rip_curl_load_error() says why. Thread-safe. */
const rip_curl_api *rip_curl(void);

/* Returns why libcurl could not be loaded, as one line without a prefix:
 * "cannot load libcurl (libcurl.so.4): <dlerror>; install libcurl4". ""
 * before the first rip_curl() call and after a successful one. Static. */
const char *rip_curl_load_error(void);

/* A response body into a buffer: pass rip_curl_sink_write as
 * CURLOPT_WRITEFUNCTION and a sink as CURLOPT_WRITEDATA. Past max bytes in
 * all (0: only the buffer's own cap), or when the buffer cannot grow, it
 * sets too_big and stops the transfer (CURLE_WRITE_ERROR). */
typedef struct rip_curl_sink {
    rip_buf *body;
    size_t max;
    int too_big;
} rip_curl_sink;

size_t rip_curl_sink_write(char *p, size_t size, size_t nmemb, void *sink);

#endif
