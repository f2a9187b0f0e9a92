/* mhd-load.c — libmicrohttpd, loaded on demand. See mhd-load.h.
 *
 * Invariant: after the pthread_once in rip_mhd() has run, either `loaded`
 * is true and every pointer in `api` is set, or `loaded` is false and `why`
 * holds the reason; neither changes again. */
#include "server/mhd-load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MHD_SONAME "libmicrohttpd.so.12"
#define MHD_PACKAGE "libmicrohttpd12"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static rip_mhd_api api;
static bool loaded;
static char why[512];

static const struct {
    const char *name;
    size_t offset;  /* of the function pointer in rip_mhd_api */
} symbols[] = {
    { "MHD_start_daemon", offsetof(rip_mhd_api, start_daemon) },
    { "MHD_stop_daemon", offsetof(rip_mhd_api, stop_daemon) },
    { "MHD_quiesce_daemon", offsetof(rip_mhd_api, quiesce_daemon) },
    { "MHD_get_daemon_info", offsetof(rip_mhd_api, get_daemon_info) },
    { "MHD_get_connection_info", offsetof(rip_mhd_api, get_connection_info) },
    { "MHD_lookup_connection_value", offsetof(rip_mhd_api, lookup_connection_value) },
    { "MHD_create_response_from_buffer", offsetof(rip_mhd_api, create_response_from_buffer) },
    { "MHD_add_response_header", offsetof(rip_mhd_api, add_response_header) },
    { "MHD_queue_response", offsetof(rip_mhd_api, queue_response) },
    { "MHD_destroy_response", offsetof(rip_mhd_api, destroy_response) },
};

static void load(void)
{
    void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof(why), "cannot load libmicrohttpd (%s): %s; install %s",
                 MHD_SONAME, dlerror(), MHD_PACKAGE);
        return;
    }
    rip_mhd_api t;
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *fn = dlsym(h, symbols[i].name);
        if (!fn) {
            snprintf(why, sizeof(why), "cannot load libmicrohttpd (%s): no function '%s'; "
                     "install %s", MHD_SONAME, symbols[i].name, MHD_PACKAGE);
            dlclose(h);
            return;
        }
        /* POSIX: a dlsym() result converts to a function pointer. */
        memcpy((char *)&t + symbols[i].offset, &fn, sizeof(fn));
    }
    api = t;
    loaded = true;
}

const rip_mhd_api *rip_mhd(void)
{
    pthread_once(&once, load);
    return loaded ? &api : NULL;
}

const char *rip_mhd_load_error(void)
{
    return why;
}
