/* graph.c — the topology around assets, as text and Graphviz dot. See
 * graph.h; the SVG rendering is graph-svg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inventory/graph.h"
#include "util/err.h"
#include "util/json.h"

/* Longest label text kept from one value. */
#define MAX_VALUE 80

/* Relations of a node, as stored (kept beside the public node array). */
typedef struct node_rels {
    rip_store_asset_rel *rels;
    size_t n;
} node_rels;

typedef struct builder {
    rip_store *st;
    rip_topology *t;
    node_rels *rels;           /* parallel to t->nodes */
    size_t rels_cap;
} builder;

int rip_topo_root_for_entity(const char *type, const char *value, char *buf, size_t cap,
                             rip_topo_root *out)
{
    static const char *const same[] = { "instance", "bucket", "access_key", "security_group" };
    if (!type || !value || !*value || !cap)
        return 0;
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        if (!strcmp(type, same[i])) {
            *out = (rip_topo_root){ same[i], value };
            return 1;
        }
    if (strcmp(type, "principal") && strcmp(type, "role"))
        return 0;
    const char *res = strrchr(value, ':');
    if (!res)
        return 0;
    res++;
    const char *kind = NULL, *name = NULL;
    size_t len = 0;
    if (!strncmp(res, "user/", 5)) {
        kind = "user";
        name = strrchr(res, '/') + 1;
        len = strlen(name);
    } else if (!strncmp(res, "role/", 5)) {
        kind = "role";
        name = strrchr(res, '/') + 1;
        len = strlen(name);
    } else if (!strncmp(res, "assumed-role/", 13)) {
        kind = "role";
        name = res + 13;
        const char *slash = strchr(name, '/');
        len = slash ? (size_t)(slash - name) : strlen(name);
    }
    if (!kind || !len || len >= cap)
        return 0;
    memcpy(buf, name, len);
    buf[len] = '\0';
    *out = (rip_topo_root){ kind, buf };
    return 1;
}

void rip_topology_init(rip_topology *t)
{
    memset(t, 0, sizeof(*t));
    rip_arena_init(&t->arena, 64u << 20);
}

void rip_topology_release(rip_topology *t)
{
    if (!t)
        return;
    rip_arena_release(&t->arena);
    t->nodes = NULL;
    t->edges = NULL;
    t->n = t->nedges = t->cap = t->edge_cap = 0;
}

static const char *sdup(rip_topology *t, const char *s)
{
    return s ? rip_arena_strndup(&t->arena, s, strlen(s)) : NULL;
}

static const char *buf_dup(rip_topology *t, const rip_buf *b)
{
    return b->len ? rip_arena_strndup(&t->arena, b->ptr, b->len) : NULL;
}

static long find_node(const rip_topology *t, const char *type, const char *id)
{
    for (size_t i = 0; i < t->n; i++)
        if (!strcmp(t->nodes[i].type, type) && !strcmp(t->nodes[i].id, id))
            return (long)i;
    return -1;
}

/* Appends a node (type, id), unknown until filled; its index, or -1 past
 * the cap (counted), -2 out of memory. */
static long new_node(builder *b, const char *type, const char *id, int depth, size_t parent)
{
    rip_topology *t = b->t;
    if (t->n >= RIP_TOPO_MAX_NODES) {
        t->nodes_dropped++;
        return -1;
    }
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        rip_topo_node *nv = rip_arena_calloc(&t->arena, ncap, sizeof(*nv));
        node_rels *nr = rip_arena_calloc(&t->arena, ncap, sizeof(*nr));
        if (!nv || !nr)
            return -2;
        if (t->n) {
            memcpy(nv, t->nodes, t->n * sizeof(*nv));
            memcpy(nr, b->rels, t->n * sizeof(*nr));
        }
        t->nodes = nv;
        b->rels = nr;
        t->cap = ncap;
    }
    rip_topo_node *n = &t->nodes[t->n];
    memset(n, 0, sizeof(*n));
    memset(&b->rels[t->n], 0, sizeof(b->rels[t->n]));
    n->type = sdup(t, type);
    n->id = sdup(t, id);
    if (!n->type || !n->id)
        return -2;
    n->depth = depth;
    n->parent = parent == (size_t)-1 ? t->n : parent;
    return (long)t->n++;
}

static int add_edge(rip_topology *t, size_t from, size_t to, const char *label)
{
    for (size_t i = 0; i < t->nedges; i++)
        if ((t->edges[i].from == from && t->edges[i].to == to) ||
            (t->edges[i].from == to && t->edges[i].to == from))
            return 0;
    if (t->nedges == t->edge_cap) {
        size_t ncap = t->edge_cap ? t->edge_cap * 2 : 32;
        rip_topo_edge *ne = rip_arena_calloc(&t->arena, ncap, sizeof(*ne));
        if (!ne)
            return RIP_ENOMEM;
        if (t->nedges)
            memcpy(ne, t->edges, t->nedges * sizeof(*ne));
        t->edges = ne;
        t->edge_cap = ncap;
    }
    t->edges[t->nedges++] = (rip_topo_edge){ from, to, label };
    return 0;
}

/* ---- facts from the detail JSON ---- */

static void add_sep(rip_buf *b, const char *sep)
{
    if (b->len)
        rip_buf_adds(b, sep);
}

static void add_str(rip_buf *b, rip_json_doc *d, const rip_json_node *n)
{
    rip_slice s = rip_json_is(n, RIP_JSON_STRING) ? rip_json_str(d, n) : RIP_SLICE_NULL;
    if (s.ptr)
        rip_buf_add(b, s.ptr, s.len < MAX_VALUE ? s.len : MAX_VALUE);
}

static bool is_true(const rip_json_node *n)
{
    return rip_json_is(n, RIP_JSON_TRUE);
}

/* "tcp 22 from 0.0.0.0/0" for every ingress rule open to the world. */
static void open_rules(rip_buf *b, rip_json_doc *d, const rip_json_node *root)
{
    const rip_json_node *in = rip_json_get(root, "ingress");
    bool first = true;
    if (!rip_json_is(in, RIP_JSON_ARRAY))
        return;
    RIP_JSON_EACH(r, in) {
        if (!is_true(rip_json_get(r, "open_to_world")))
            continue;
        if (!first)
            rip_buf_adds(b, "; ");
        first = false;
        const rip_json_node *p = rip_json_get(r, "protocol");
        if (rip_json_str_eq(p, "-1"))
            rip_buf_adds(b, "all traffic");
        else {
            int64_t from = -1, to = -1;
            add_str(b, d, p);
            rip_json_i64(rip_json_get(r, "from_port"), &from);
            rip_json_i64(rip_json_get(r, "to_port"), &to);
            if (from >= 0 && from == to)
                rip_buf_addf(b, " %lld", (long long)from);
            else if (from >= 0)
                rip_buf_addf(b, " %lld-%lld", (long long)from, (long long)to);
        }
        rip_buf_adds(b, " from");
        static const char *const lists[] = { "cidrs", "ipv6_cidrs" };
        for (int k = 0; k < 2; k++) {
            const rip_json_node *l = rip_json_get(r, lists[k]);
            if (!rip_json_is(l, RIP_JSON_ARRAY))
                continue;
            RIP_JSON_EACH(c, l) {
                rip_buf_addc(b, ' ');
                add_str(b, d, c);
            }
        }
    }
}

static void facts_of(const char *type, rip_json_doc *d, const rip_json_node *root,
                     rip_buf *facts, rip_buf *alert)
{
    if (!strcmp(type, "instance")) {
        add_str(facts, d, rip_json_get(root, "state"));
        const rip_json_node *ip = rip_json_get(root, "public_ip");
        if (rip_json_is(ip, RIP_JSON_STRING)) {
            add_sep(facts, ", ");
            rip_buf_adds(facts, "public IP ");
            add_str(facts, d, ip);
        }
        const rip_json_node *it = rip_json_get(root, "instance_type");
        if (rip_json_is(it, RIP_JSON_STRING)) {
            add_sep(facts, ", ");
            add_str(facts, d, it);
        }
    } else if (!strcmp(type, "security_group")) {
        if (is_true(rip_json_get(root, "open_to_world"))) {
            rip_buf_adds(alert, "open to the world: ");
            open_rules(alert, d, root);
        }
    } else if (!strcmp(type, "network_acl")) {
        if (is_true(rip_json_get(root, "ingress_allows_world")))
            rip_buf_adds(alert, "a rule allows ingress from the world");
    } else if (!strcmp(type, "bucket")) {
        if (is_true(rip_json_get(root, "public"))) {
            rip_buf_adds(alert, "public");
            bool acl = is_true(rip_json_get(root, "acl_public"));
            bool pol = is_true(rip_json_path(root, "policy.public"));
            if (acl || pol)
                rip_buf_addf(alert, " (%s%s%s)", acl ? "ACL grants everyone" : "",
                             acl && pol ? ", " : "", pol ? "policy allows everyone" : "");
        } else {
            rip_buf_adds(facts, "not public");
        }
        if (is_true(rip_json_get(root, "blocks_public_access")))
            rip_buf_adds(facts, ", public access blocked");
    } else if (!strcmp(type, "trail")) {
        const rip_json_node *l = rip_json_get(root, "logging");
        if (rip_json_is(l, RIP_JSON_FALSE))
            rip_buf_adds(alert, "not logging");
        else if (is_true(l))
            rip_buf_adds(facts, "logging");
    } else if (!strcmp(type, "access_key")) {
        add_str(facts, d, rip_json_get(root, "status"));
        const rip_json_node *lu = rip_json_path(root, "last_used.date");
        if (rip_json_is(lu, RIP_JSON_STRING)) {
            add_sep(facts, ", ");
            rip_buf_adds(facts, "last used ");
            add_str(facts, d, lu);
        }
    } else if (!strcmp(type, "subnet") || !strcmp(type, "vpc")) {
        add_str(facts, d, rip_json_get(root, "cidr"));
        if (is_true(rip_json_get(root, "map_public_ip_on_launch")))
            rip_buf_adds(facts, ", public IPs on launch");
    }
}

/* Fills node i from a stored row. */
static int fill(builder *b, size_t i, const rip_store_asset_row *r)
{
    rip_topology *t = b->t;
    rip_topo_node *n = &t->nodes[i];
    rip_json_doc d;
    rip_buf facts, alert, tags;
    int rc = 0;
    n->known = true;
    if (!*n->type && !(n->type = sdup(t, r->type)))   /* a root found by id alone */
        return RIP_ENOMEM;
    n->name = r->name && strcmp(r->name, r->resource_id) ? sdup(t, r->name) : NULL;
    n->account = sdup(t, r->account);
    n->region = sdup(t, r->region);
    rip_json_doc_init(&d, NULL);
    rip_buf_init(&facts, 1u << 16);
    rip_buf_init(&alert, 1u << 16);
    rip_buf_init(&tags, 1u << 16);
    if (r->tags && rip_json_parse(&d, r->tags, strlen(r->tags), NULL) == 0) {
        int ntags = 0;
        RIP_JSON_EACH(k, rip_json_root(&d)) {
            rip_slice key = rip_json_str(&d, k);
            rip_slice val = rip_json_str(&d, k + 1);
            if (!key.ptr || !val.ptr)
                continue;
            const char *v = rip_arena_strndup(&t->arena, val.ptr,
                                              val.len < MAX_VALUE ? val.len : MAX_VALUE);
            if ((key.len == 5 && !strncasecmp(key.ptr, "owner", 5)) ||
                (key.len == 10 && !strncasecmp(key.ptr, "created-by", 10)))
                n->owner = n->owner ? n->owner : v;
            else if (key.len == 4 && !strncasecmp(key.ptr, "team", 4))
                n->team = v;
            if (ntags++ < 10) {
                add_sep(&tags, ", ");
                rip_buf_add(&tags, key.ptr, key.len < MAX_VALUE ? key.len : MAX_VALUE);
                rip_buf_addc(&tags, '=');
                rip_buf_add(&tags, val.ptr, val.len < MAX_VALUE ? val.len : MAX_VALUE);
            }
        }
        if (ntags > 10)
            rip_buf_addf(&tags, " and %d more", ntags - 10);
    }
    if (r->detail && rip_json_parse(&d, r->detail, strlen(r->detail), NULL) == 0)
        facts_of(r->type, &d, rip_json_root(&d), &facts, &alert);
    n->facts = buf_dup(t, &facts);
    n->alert = buf_dup(t, &alert);
    n->tags = buf_dup(t, &tags);
    if (facts.len && !n->facts)
        rc = RIP_ENOMEM;
    /* Its relations, for the walk. */
    node_rels *nr = &b->rels[i];
    nr->rels = r->nrels ? rip_arena_calloc(&t->arena, r->nrels, sizeof(*nr->rels)) : NULL;
    for (size_t k = 0; k < r->nrels && rc == 0; k++) {
        nr->rels[k].target_type = sdup(t, r->rels[k].target_type);
        nr->rels[k].target_id = sdup(t, r->rels[k].target_id);
        if (!nr->rels[k].target_type || !nr->rels[k].target_id)
            rc = RIP_ENOMEM;
    }
    if (rc == 0)
        nr->n = r->nrels;
    rip_buf_release(&facts);
    rip_buf_release(&alert);
    rip_buf_release(&tags);
    rip_json_doc_release(&d);
    return rc;
}

typedef struct fill_ud {
    builder *b;
    size_t i;
    bool done;
} fill_ud;

static int on_fill(void *ud, const rip_store_asset_row *r)
{
    fill_ud *f = ud;
    if (f->done)
        return 0;
    f->done = true;
    return fill(f->b, f->i, r);
}

/* Loads node i's asset (of account, when given). */
static int load(builder *b, size_t i, const char *account)
{
    rip_topo_node *n = &b->t->nodes[i];
    rip_store_asset_filter f = { .type = *n->type ? n->type : NULL, .resource_id = n->id,
                                 .account = account };
    fill_ud ud = { b, i, false };
    return rip_store_list_assets(b->st, &f, on_fill, &ud);
}

typedef struct ref_ud {
    builder *b;
    size_t target;
    const char *label;
    bool shared;
    size_t count;
    int err;
} ref_ud;

static int on_referrer(void *ud, const rip_store_asset_row *r)
{
    ref_ud *u = ud;
    rip_topology *t = u->b->t;
    long j = find_node(t, r->type, r->resource_id);
    if (j < 0) {
        if (u->count >= RIP_TOPO_MAX_SHARED) {
            t->nodes_dropped++;
            return 0;
        }
        j = new_node(u->b, r->type, r->resource_id, t->nodes[u->target].depth + 1, u->target);
        if (j == -2)
            return RIP_ENOMEM;
        if (j < 0)
            return 0;
        int rc = fill(u->b, (size_t)j, r);
        if (rc < 0)
            return rc;
        t->nodes[j].shared = u->shared;
        u->count++;
    }
    return add_edge(t, (size_t)j, u->target, u->label);
}

/* Adds the assets of type (NULL: any) that point at node i. */
static int referrers(builder *b, size_t i, const char *type, const char *label, bool shared)
{
    rip_topo_node *n = &b->t->nodes[i];
    rip_store_asset_filter f = { .type = type, .account = n->account, .related_type = n->type,
                                 .related_id = n->id };
    ref_ud u = { b, i, label, shared, 0, 0 };
    return rip_store_list_assets(b->st, &f, on_referrer, &u);
}

int rip_topology_build(rip_store *st, const rip_topo_root *roots, size_t nroots,
                       rip_topology *t)
{
    builder b = { .st = st, .t = t };
    int rc = 0;

    for (size_t r = 0; r < nroots && rc == 0; r++) {
        const char *type = roots[r].type ? roots[r].type : "";
        if (!roots[r].id || !*roots[r].id)
            continue;
        long i = find_node(t, type, roots[r].id);
        if (i >= 0) {
            t->nodes[i].root = true;
            continue;
        }
        i = new_node(&b, type, roots[r].id, 0, (size_t)-1);
        if (i == -2)
            rc = RIP_ENOMEM;
        if (i < 0)
            continue;
        t->nodes[i].root = true;
        if ((rc = load(&b, (size_t)i, NULL)) < 0)
            break;
        if (!t->nodes[i].known)
            t->n--;   /* not in the inventory: no node */
    }

    /* Breadth first: nodes are appended in depth order. */
    for (size_t i = 0; i < t->n && rc == 0; i++) {
        rip_topo_node *n = &t->nodes[i];
        if (!n->known || n->depth >= RIP_TOPO_DEPTH)
            continue;
        node_rels nr = b.rels[i];
        const char *account = n->account;
        int depth = n->depth;
        for (size_t k = 0; k < nr.n && rc == 0; k++) {
            long j = find_node(t, nr.rels[k].target_type, nr.rels[k].target_id);
            if (j < 0) {
                j = new_node(&b, nr.rels[k].target_type, nr.rels[k].target_id, depth + 1, i);
                if (j == -2) {
                    rc = RIP_ENOMEM;
                    break;
                }
                if (j < 0)
                    continue;
                if ((rc = load(&b, (size_t)j, account)) < 0)
                    break;
            }
            rc = add_edge(t, i, (size_t)j, NULL);
        }
    }

    /* What points at a root (the keys of a user, the instances in a
     * group), and what else sits behind every group open to the world. */
    size_t nbefore = t->n;
    for (size_t i = 0; i < nbefore && rc == 0; i++) {
        rip_topo_node *n = &t->nodes[i];
        bool open_group = !strcmp(n->type, "security_group") && n->alert;
        bool root = n->root && strcmp(n->type, "vpc") && strcmp(n->type, "subnet");
        if (open_group)
            rc = referrers(&b, i, "instance", "same open group", true);
        if (rc == 0 && root)
            rc = referrers(&b, i, NULL, NULL, false);
    }
    if (rc < 0)
        return rc;
    return 0;
}

/* ---- text ---- */

/* Hostile text: printable ASCII kept, the rest '?'. */
static void safe(rip_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
        rip_buf_addc(b, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
}

static void text_node(const rip_topology *t, size_t i, int indent, rip_buf *b)
{
    const rip_topo_node *n = &t->nodes[i];
    rip_buf_addf(b, "%*s", indent * 2, "");
    safe(b, n->type);
    rip_buf_addc(b, ' ');
    safe(b, n->id);
    if (n->name) {
        rip_buf_adds(b, " \"");
        safe(b, n->name);
        rip_buf_addc(b, '"');
    }
    if (n->root) {
        rip_buf_adds(b, "  (");
        safe(b, n->region);
        rip_buf_adds(b, ", account ");
        safe(b, n->account);
        rip_buf_addc(b, ')');
    }
    if (!n->known)
        rip_buf_adds(b, "  (not in the inventory)");
    if (n->facts) {
        rip_buf_adds(b, "  ");
        safe(b, n->facts);
    }
    if (n->alert) {
        rip_buf_adds(b, "  !! ");
        safe(b, n->alert);
    }
    if (n->owner || n->team) {
        rip_buf_adds(b, "  owner ");
        safe(b, n->owner ? n->owner : "-");
        if (n->team) {
            rip_buf_adds(b, ", team ");
            safe(b, n->team);
        }
    }
    if (n->shared)
        rip_buf_adds(b, "  (behind the same open group)");
    rip_buf_addc(b, '\n');
    if (n->root && n->tags) {
        rip_buf_addf(b, "%*s  tags: ", indent * 2, "");
        safe(b, n->tags);
        rip_buf_addc(b, '\n');
    }
    for (size_t k = 0; k < t->n; k++)
        if (k != i && t->nodes[k].parent == i && !t->nodes[k].root)
            text_node(t, k, indent + 1, b);
}

int rip_topology_text(const rip_topology *t, rip_buf *out)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->nodes[i].root)
            text_node(t, i, 0, out);
    if (t->nodes_dropped)
        rip_buf_addf(out, "(%zu more assets left out)\n", t->nodes_dropped);
    return out->len || !t->n ? 0 : RIP_ENOMEM;
}

/* ---- dot ---- */

/* A dot string body: quotes and backslashes escaped, control bytes and
 * non-ASCII as '?', at most MAX_VALUE bytes. */
static void dot_esc(rip_buf *b, const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; p && *p && n < MAX_VALUE; p++, n++) {
        if (*p == '"' || *p == '\\')
            rip_buf_addc(b, '\\');
        rip_buf_addc(b, *p >= 0x20 && *p < 0x7f ? (char)*p : '?');
    }
    if (s && strlen(s) > MAX_VALUE)
        rip_buf_adds(b, "...");
}

int rip_topology_dot(const rip_topology *t, rip_buf *b)
{
    rip_buf_adds(b, "digraph riposte {\n"
                    "  graph [rankdir=LR, fontname=\"Helvetica\", bgcolor=\"white\"];\n"
                    "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f7f7f7\","
                    " fontname=\"Helvetica\", fontsize=10];\n"
                    "  edge [color=\"#777777\", fontname=\"Helvetica\", fontsize=9];\n");
    for (size_t i = 0; i < t->n; i++) {
        const rip_topo_node *n = &t->nodes[i];
        rip_buf_addf(b, "  n%zu [label=\"", i);
        dot_esc(b, n->type);
        rip_buf_adds(b, "\\n");
        dot_esc(b, n->id);
        if (n->name) {
            rip_buf_adds(b, "\\n");
            dot_esc(b, n->name);
        }
        if (n->facts) {
            rip_buf_adds(b, "\\n");
            dot_esc(b, n->facts);
        }
        if (n->alert) {
            rip_buf_adds(b, "\\n");
            dot_esc(b, n->alert);
        }
        if (n->owner || n->team) {
            rip_buf_adds(b, "\\nowner ");
            dot_esc(b, n->owner ? n->owner : "-");
            if (n->team) {
                rip_buf_adds(b, ", team ");
                dot_esc(b, n->team);
            }
        }
        rip_buf_addc(b, '"');
        if (n->alert)
            rip_buf_adds(b, ", color=\"#c0392b\", fillcolor=\"#fdecea\", penwidth=2");
        else if (n->root)
            rip_buf_adds(b, ", fillcolor=\"#e8f0fe\", penwidth=2");
        if (!n->known)
            rip_buf_adds(b, ", style=\"rounded,dashed\"");
        rip_buf_adds(b, "];\n");
    }
    for (size_t i = 0; i < t->nedges; i++) {
        const rip_topo_edge *e = &t->edges[i];
        rip_buf_addf(b, "  n%zu -> n%zu", e->from, e->to);
        if (e->label) {
            rip_buf_adds(b, " [label=\"");
            dot_esc(b, e->label);
            rip_buf_adds(b, "\", style=dashed, color=\"#c0392b\"]");
        }
        rip_buf_adds(b, ";\n");
    }
    return rip_buf_adds(b, "}\n");
}
