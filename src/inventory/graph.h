/* graph.h — the topology around assets: what an instance, a user, a bucket
 * sits in and what else shares it, as a small graph read from the stored
 * inventory, and its three renderings (text for chat and terminals,
 * Graphviz dot, and SVG laid out by Graphviz's libgvc).
 *
 * Invariants
 *   - A rip_topology owns every node, edge and string in one arena; nothing
 *     is valid after rip_topology_release().
 *   - Bounded: at most RIP_TOPO_MAX_NODES nodes, relations followed to
 *     RIP_TOPO_DEPTH steps from a root, and at most RIP_TOPO_MAX_SHARED
 *     other assets listed per shared exposure; what is left out is counted
 *     (nodes_dropped), never silently lost.
 *   - Facts come from the assets' detail JSON as the snapshot and events
 *     wrote it (inventory-aws.c, apply.c): "open to the world", "public",
 *     "not logging", ... A target that is not in the inventory is a node
 *     too, marked unknown.
 *   - Every string from the inventory is hostile: the dot writer escapes
 *     it and replaces control bytes and non-ASCII with '?'; the text writer
 *     does the same. Library code: nothing is printed.
 */
#ifndef RIPOSTE_INVENTORY_GRAPH_H
#define RIPOSTE_INVENTORY_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "util/arena.h"
#include "util/buf.h"

#define RIP_TOPO_MAX_NODES 200
#define RIP_TOPO_DEPTH 3
#define RIP_TOPO_MAX_SHARED 20

typedef struct rip_topo_node {
    const char *type, *id;
    const char *name;          /* NULL when none */
    const char *account, *region;
    const char *owner, *team;  /* from tags (Owner/owner/team/Team/...), or NULL */
    const char *tags;          /* "k=v, k=v", or NULL */
    const char *facts;         /* "running, public IP 203.0.113.7", or NULL */
    const char *alert;         /* "open to the world: tcp 22 from 0.0.0.0/0", or NULL */
    bool known;                /* in the inventory */
    bool root;                 /* one of the assets asked about */
    bool shared;               /* found as "exposed the same way" */
    int depth;
    size_t parent;             /* the node it was reached from (roots: itself) */
} rip_topo_node;

typedef struct rip_topo_edge {
    size_t from, to;
    const char *label;         /* NULL, or "same open group" */
} rip_topo_edge;

typedef struct rip_topology {
    rip_arena arena;
    rip_topo_node *nodes;
    size_t n, cap;
    rip_topo_edge *edges;
    size_t nedges, edge_cap;
    size_t nodes_dropped;      /* left out past RIP_TOPO_MAX_NODES or the shared cap */
} rip_topology;

/* A root to start from: an asset type and id ("instance", "i-0abc"); type
 * NULL finds the id among all types. */
typedef struct rip_topo_root {
    const char *type, *id;
} rip_topo_root;

/* The asset an incident entity names (correlate's entity types): instance,
 * bucket, access_key, security_group as they are; principal and role ARNs
 * as the user or role name ("arn:aws:iam::1:user/alice" -> user alice,
 * "...:assumed-role/admin/session" -> role admin). Names are copied into
 * buf (cap bytes); out borrows value and buf. 1 when mapped, 0 when the
 * entity is not an asset (a source IP). */
int rip_topo_root_for_entity(const char *type, const char *value, char *buf, size_t cap,
                             rip_topo_root *out);

void rip_topology_init(rip_topology *t);
/* Frees everything. Accepts NULL. */
void rip_topology_release(rip_topology *t);

/* Builds into t (initialized, empty) the topology around roots: each root
 * that is in the inventory, the assets its relations lead to (depth
 * RIP_TOPO_DEPTH), the assets that point at a root, and for every security
 * group open to the world the other instances behind it. Returns 0 (t->n
 * may be 0 when no root is in the inventory), or the store's RIP_E* with
 * rip_store_errmsg() set. */
int rip_topology_build(rip_store *st, const rip_topo_root *roots, size_t nroots,
                       rip_topology *t);

/* Appends the topology as indented text, one line per node, for chats and
 * terminals. 0 or RIP_E*. */
int rip_topology_text(const rip_topology *t, rip_buf *out);

/* Appends the topology as a Graphviz digraph. 0 or RIP_E*. */
int rip_topology_dot(const rip_topology *t, rip_buf *out);

/* Appends the topology as an SVG image laid out by Graphviz (dot layout),
 * from "<svg" to "</svg>" (no XML prolog, no doctype, no comments: ready
 * to embed in HTML). 0, or RIP_EIO with errmsg filled when Graphviz
 * refused the graph, RIP_ENOMEM. */
int rip_topology_svg(const rip_topology *t, rip_buf *out, char *errmsg, size_t errcap);

#endif
