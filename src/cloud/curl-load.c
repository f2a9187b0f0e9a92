/* curl-load.c — libcurl, loaded on demand. See curl-load.h.
 *
 * Invariant: after the pthread_once in rip_curl() has run, either `loaded`
 * is true and every pointer in `api` is set, or `loaded` is false and
 * `why` holds the reason; neither changes again. */
#include "cloud/curl-load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define CURL_SONAME "libcurl.so.4"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static rip_curl_api api;
static bool loaded;
static char why[512];

static const struct {
    const char *name;
    size_t offset;  /* of the function pointer in rip_curl_api */
} symbols[] = {
    { "curl_easy_init", offsetof(rip_curl_api, easy_init) },
    { "curl_easy_cleanup", offsetof(rip_curl_api, easy_cleanup) },
    { "curl_easy_reset", offsetof(rip_curl_api, easy_reset) },
    { "curl_easy_setopt", offsetof(rip_curl_api, easy_setopt) },
    { "curl_easy_perform", offsetof(rip_curl_api, easy_perform) },
    { "curl_easy_getinfo", offsetof(rip_curl_api, easy_getinfo) },
    { "curl_easy_strerror", offsetof(rip_curl_api, easy_strerror) },
    { "curl_slist_append", offsetof(rip_curl_api, slist_append) },
    { "curl_slist_free_all", offsetof(rip_curl_api, slist_free_all) },
};

static void load(void)
{
    void *h = dlopen(CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof(why), "cannot load libcurl (%s): %s; install libcurl4", CURL_SONAME,
                 dlerror());
        return;
    }
    rip_curl_api t;
    CURLcode (*global_init)(long flags);
    void *gi;
    CURLcode cc;
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *fn = dlsym(h, symbols[i].name);
        if (!fn) {
            snprintf(why, sizeof(why), "cannot load libcurl (%s): no function '%s'; "
                     "install libcurl4", CURL_SONAME, symbols[i].name);
            goto fail;
        }
        /* POSIX: a dlsym() result converts to a function pointer. */
        memcpy((char *)&t + symbols[i].offset, &fn, sizeof(fn));
    }
    gi = dlsym(h, "curl_global_init");
    if (!gi) {
        snprintf(why, sizeof(why), "cannot load libcurl (%s): no function 'curl_global_init'; "
                 "install libcurl4", CURL_SONAME);
        goto fail;
    }
    memcpy(&global_init, &gi, sizeof(gi));
    cc = global_init(CURL_GLOBAL_DEFAULT);
    if (cc != CURLE_OK) {
        snprintf(why, sizeof(why), "cannot load libcurl (%s): curl_global_init: %s", CURL_SONAME,
                 t.easy_strerror(cc));
        goto fail;
    }
    api = t;
    loaded = true;
    return;
fail:
    dlclose(h);
}

const rip_curl_api *rip_curl(void)
{
    pthread_once(&once, load);
    return loaded ? &api : NULL;
}

const char *rip_curl_load_error(void)
{
    return why;
}

size_t rip_curl_sink_write(char *p, size_t size, size_t nmemb, void *sink)
{
    rip_curl_sink *k = sink;
    size_t n = size * nmemb;
    if ((k->max && (k->body->len > k->max || n > k->max - k->body->len)) ||
        rip_buf_add(k->body, p, n) < 0) {
        k->too_big = 1;
        return 0;
    }
    return n;
}
