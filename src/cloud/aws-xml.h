/* aws-xml.h — AWS XML responses (query and REST-XML protocols) parsed with
 * libexpat into a small read-only tree.
 *
 * Invariants
 *   - A document owns every node and string in one arena; nothing is valid
 *     after rip_aws_xml_release() or the next parse.
 *   - Element names are local names: a namespace prefix ("s3:Key") is
 *     dropped. Attributes are ignored except xsi:type-free reading of text.
 *   - Text is the concatenated character data directly inside an element
 *     (entities decoded, UTF-8); leaf values in AWS responses are exactly
 *     that. Whitespace is kept as is.
 *   - DOCTYPE declarations are refused (AWS never sends them), so no entity
 *     expansion can happen; limits cap input size, depth, nodes and text.
 */
#ifndef RIPOSTE_CLOUD_AWS_XML_H
#define RIPOSTE_CLOUD_AWS_XML_H

#include <stdbool.h>
#include <stddef.h>

#include "util/arena.h"

typedef struct rip_aws_xml_node rip_aws_xml_node;
struct rip_aws_xml_node {
    const char *name;             /* local name, NUL-terminated */
    const char *text;             /* character data, NUL-terminated, never NULL */
    size_t text_len;
    rip_aws_xml_node *parent;
    rip_aws_xml_node *first;      /* first child element */
    rip_aws_xml_node *next;       /* next sibling element */
};

typedef struct rip_aws_xml_limits {
    size_t max_size;      /* bytes of input */
    unsigned max_depth;   /* element nesting */
    unsigned max_nodes;   /* elements in the document */
    size_t max_text;      /* bytes of text in one element */
} rip_aws_xml_limits;

/* 16 MiB, depth 64, 1M elements, 4 MiB of text per element. */
extern const rip_aws_xml_limits rip_aws_xml_default_limits;

typedef struct rip_aws_xml {
    rip_arena arena;
    rip_aws_xml_node *root;
    char error[160];      /* why the last parse failed: "line 3: mismatched tag" */
} rip_aws_xml;

void rip_aws_xml_init(rip_aws_xml *x);
/* Frees the tree. Accepts NULL. */
void rip_aws_xml_release(rip_aws_xml *x);

/* Parses src (not NUL-terminated). Returns 0 and sets x->root, or
 * RIP_ESYNTAX (malformed, DOCTYPE), RIP_ELIMIT, RIP_ENOMEM with x->error
 * set and x->root NULL. lim NULL means the defaults. Invalidates the
 * previous tree. */
int rip_aws_xml_parse(rip_aws_xml *x, const char *src, size_t len,
                      const rip_aws_xml_limits *lim);

/* First child element named name, or NULL (n may be NULL). */
const rip_aws_xml_node *rip_aws_xml_child(const rip_aws_xml_node *n, const char *name);
/* Next sibling with the same name as n, or NULL. */
const rip_aws_xml_node *rip_aws_xml_next_same(const rip_aws_xml_node *n);
/* Follows "A/B/C" through first children of those names; NULL if absent. */
const rip_aws_xml_node *rip_aws_xml_path(const rip_aws_xml_node *n, const char *path);
/* First element named name anywhere below n (n included), pre-order. */
const rip_aws_xml_node *rip_aws_xml_find(const rip_aws_xml_node *n, const char *name);
/* Text of the element at path below n, or dflt when absent. */
const char *rip_aws_xml_text(const rip_aws_xml_node *n, const char *path, const char *dflt);

#endif
