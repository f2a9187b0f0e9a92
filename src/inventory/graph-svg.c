/* graph-svg.c — the topology as SVG, laid out by Graphviz (libgvc, dot
 * layout), loaded on first use (gvc-load.h). See graph.h.
 *
 * The graph goes to Graphviz as dot text (rip_topology_dot(): every value
 * already escaped), and the SVG it returns is cut to its <svg> element so
 * it can be embedded in HTML as it is. Graphviz escapes label text for XML
 * itself. Its messages go to a handler that keeps the last one for the
 * caller instead of printing it (library code does not print).
 */
#include <stdio.h>
#include <string.h>

#include "inventory/graph.h"
#include "inventory/gvc-load.h"
#include "util/err.h"

static char last_msg[256];

static int keep_message(char *msg)
{
    snprintf(last_msg, sizeof(last_msg), "%s", msg ? msg : "");
    size_t n = strlen(last_msg);
    while (n && (last_msg[n - 1] == '\n' || last_msg[n - 1] == ' '))
        last_msg[--n] = '\0';
    return 0;
}

int rip_topology_svg(const rip_topology *t, rip_buf *out, char *errmsg, size_t errcap)
{
    rip_buf dot = RIP_BUF_INIT;
    const rip_gvc_api *gv = NULL;
    GVC_t *gvc = NULL;
    Agraph_t *g = NULL;
    char *data = NULL;
    unsigned int len = 0;
    int rc = rip_topology_dot(t, &dot);
    if (errcap)
        errmsg[0] = '\0';
    if (rc < 0)
        goto out;
    rc = RIP_EIO;
    if (!(gv = rip_gvc())) {
        snprintf(errmsg, errcap, "%s", rip_gvc_load_error());
        goto out;
    }
    last_msg[0] = '\0';
    gv->seterr(AGMAX);
    gv->seterrf(keep_message);
    if (!(gvc = gv->context())) {
        snprintf(errmsg, errcap, "graphviz: cannot create a context");
        goto out;
    }
    if (!(g = gv->memread(dot.ptr))) {
        snprintf(errmsg, errcap, "graphviz: the graph was refused: %s", last_msg);
        goto out;
    }
    if (gv->layout(gvc, g, "dot") != 0) {
        snprintf(errmsg, errcap, "graphviz: dot layout failed: %s", last_msg);
        goto out;
    }
    if (gv->render_data(gvc, g, "svg", &data, &len) != 0 || !data) {
        snprintf(errmsg, errcap, "graphviz: SVG rendering failed: %s", last_msg);
        gv->free_layout(gvc, g);
        goto out;
    }
    gv->free_layout(gvc, g);
    const char *start = NULL, *end = NULL;
    for (const char *p = data; p + 4 <= data + len; p++)
        if (!memcmp(p, "<svg", 4)) {
            start = p;
            break;
        }
    for (const char *p = data + len - 6; start && p >= start; p--)
        if (!memcmp(p, "</svg>", 6)) {
            end = p + 6;
            break;
        }
    if (!start || !end) {
        snprintf(errmsg, errcap, "graphviz: the SVG has no <svg> element");
        goto out;
    }
    /* Drop the comments Graphviz writes inside (titles stay). */
    rc = 0;
    for (const char *p = start; p < end && rc == 0;) {
        const char *c = NULL;
        for (const char *q = p; q + 4 <= end; q++)
            if (!memcmp(q, "<!--", 4)) {
                c = q;
                break;
            }
        if (!c) {
            rc = rip_buf_add(out, p, (size_t)(end - p));
            break;
        }
        rc = rip_buf_add(out, p, (size_t)(c - p));
        const char *ce = NULL;
        for (const char *q = c + 4; q + 3 <= end; q++)
            if (!memcmp(q, "-->", 3)) {
                ce = q + 3;
                break;
            }
        p = ce ? ce : end;
    }
out:
    if (data)
        gv->free_render_data(data);
    if (g)
        gv->close(g);
    if (gvc)
        gv->free_context(gvc);
    if (gv)
        gv->seterrf(NULL);
    rip_buf_release(&dot);
    return rc;
}
