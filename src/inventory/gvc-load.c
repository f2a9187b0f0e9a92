/* gvc-load.c — Graphviz, loaded on demand. See gvc-load.h.
 *
 * Invariant: after the pthread_once in rip_gvc() has run, either `loaded`
 * is true and every pointer in `api` is set, or `loaded` is false and `why`
 * holds the reason; neither changes again. */
#include "inventory/gvc-load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The two libraries: the SONAME opened and the Debian package that has it.
 * libcgraph first, which libgvc needs, so that its absence is named. */
static const struct {
    const char *soname;
    const char *package;
} libs[] = {
    { "libcgraph.so.6", "libcgraph6" },
    { "libgvc.so.6", "libgvc6" },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static rip_gvc_api api;
static bool loaded;
static char why[512];

static const struct {
    size_t lib;     /* index in libs[] */
    const char *name;
    size_t offset;  /* of the function pointer in rip_gvc_api */
} symbols[] = {
    { 1, "gvContext", offsetof(rip_gvc_api, context) },
    { 1, "gvFreeContext", offsetof(rip_gvc_api, free_context) },
    { 1, "gvLayout", offsetof(rip_gvc_api, layout) },
    { 1, "gvFreeLayout", offsetof(rip_gvc_api, free_layout) },
    { 1, "gvRenderData", offsetof(rip_gvc_api, render_data) },
    { 1, "gvFreeRenderData", offsetof(rip_gvc_api, free_render_data) },
    { 0, "agmemread", offsetof(rip_gvc_api, memread) },
    { 0, "agclose", offsetof(rip_gvc_api, close) },
    { 0, "agseterr", offsetof(rip_gvc_api, seterr) },
    { 0, "agseterrf", offsetof(rip_gvc_api, seterrf) },
};

#define NLIBS (sizeof(libs) / sizeof(libs[0]))

static void load(void)
{
    void *h[NLIBS] = { NULL };
    rip_gvc_api t;
    for (size_t i = 0; i < NLIBS; i++)
        if (!(h[i] = dlopen(libs[i].soname, RTLD_NOW | RTLD_LOCAL))) {
            snprintf(why, sizeof(why), "cannot load Graphviz (%s): %s; install %s",
                     libs[i].soname, dlerror(), libs[i].package);
            goto fail;
        }
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        size_t l = symbols[i].lib;
        void *fn = dlsym(h[l], symbols[i].name);
        if (!fn) {
            snprintf(why, sizeof(why), "cannot load Graphviz (%s): no function '%s'; "
                     "install %s", libs[l].soname, symbols[i].name, libs[l].package);
            goto fail;
        }
        /* POSIX: a dlsym() result converts to a function pointer. */
        memcpy((char *)&t + symbols[i].offset, &fn, sizeof(fn));
    }
    api = t;
    loaded = true;
    return;
fail:
    for (size_t i = NLIBS; i-- > 0;)
        if (h[i])
            dlclose(h[i]);
}

const rip_gvc_api *rip_gvc(void)
{
    pthread_once(&once, load);
    return loaded ? &api : NULL;
}

const char *rip_gvc_load_error(void)
{
    return why;
}
