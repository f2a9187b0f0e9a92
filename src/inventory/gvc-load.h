/* gvc-load.h — Graphviz (libgvc and libcgraph), loaded on demand.
 *
 * The riposte program does not link Graphviz: only the SVG topology
 * (graph-svg.c: `riposte inventory graph --format svg` and the HTML report)
 * lays out a graph, and libgvc with libcgraph, libcdt, libpathplan and
 * libltdl would otherwise be loaded and relocated by every command at
 * startup, `riposte scan` included. The first rip_gvc() call dlopen()s
 * libcgraph.so.6 and libgvc.so.6 (the ABI the headers are compiled against)
 * and looks up the functions below, once per process (pthread_once, so any
 * thread may make the first call). The libraries stay loaded until exit.
 * Headers and types still come from <graphviz/gvc.h>. Same scheme as
 * cloud/curl-load.h.
 *
 * Graphviz's own plugins (the dot layout, the SVG renderer) are found as
 * before, at run time through its configuration file: gvContext() reads
 * it and libltdl opens the plugins, which link libgvc.so.6 and so share the
 * copy opened here.
 *
 * The functions are called through the table: rip_gvc()->layout(gvc, g,
 * "dot"). The first six are libgvc's (gvContext, gvFreeContext, ...), the
 * last four libcgraph's (agmemread, agclose, agseterr, agseterrf).
 */
#ifndef RIPOSTE_INVENTORY_GVC_LOAD_H
#define RIPOSTE_INVENTORY_GVC_LOAD_H

#include <graphviz/cgraph.h>
#include <graphviz/gvc.h>

typedef struct rip_gvc_api {
    GVC_t *(*context)(void);
    int (*free_context)(GVC_t *gvc);
    int (*layout)(GVC_t *gvc, Agraph_t *g, const char *engine);
    int (*free_layout)(GVC_t *gvc, Agraph_t *g);
    int (*render_data)(GVC_t *gvc, Agraph_t *g, const char *format, char **result,
                       unsigned int *length);
    void (*free_render_data)(char *data);
    Agraph_t *(*memread)(const char *cp);
    int (*close)(Agraph_t *g);
    agerrlevel_t (*seterr)(agerrlevel_t level);
    agusererrf (*seterrf)(agusererrf f);
} rip_gvc_api;

/* Returns Graphviz's entry points, loading libgvc and libcgraph on the
 * first call. The table is static and valid until exit. Returns NULL when
 * either cannot be loaded (or lacks a function); every later call returns
 * NULL too, and rip_gvc_load_error() says why. Thread-safe. */
const rip_gvc_api *rip_gvc(void);

/* Returns why Graphviz could not be loaded, as one line without a prefix:
 * "cannot load Graphviz (libgvc.so.6): <dlerror>; install libgvc6" (or
 * libcgraph.so.6 and libcgraph6). "" before the first rip_gvc() call and
 * after a successful one. Static. */
const char *rip_gvc_load_error(void);

#endif
