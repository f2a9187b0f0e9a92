/* yaml-tree.h — YAML text → a tree of scalars, lists and maps that keeps
 * every node's line, for riposte's own files (playbooks, riposte.yaml).
 * util/yaml-fields.h reads typed values out of it.
 *
 * Only what configuration needs: one document, anchors and aliases are
 * rejected (no alias bombs), tags are ignored, keys are scalars and unique.
 * Limits are the caller's (depth, node count, items per list or map).
 * Every node lives in the arena given to yt_parse().
 */
#ifndef RIPOSTE_UTIL_YAML_TREE_H
#define RIPOSTE_UTIL_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"

typedef enum yt_kind { YT_SCALAR = 0, YT_SEQ, YT_MAP } yt_kind;

typedef struct yt_node yt_node;
struct yt_node {
    yt_kind kind;
    uint32_t line;             /* 1-based */
    uint32_t kline;            /* a map value: its key's line; else line */
    bool plain;                /* a plain (unquoted) scalar */
    const char *str;           /* SCALAR: NUL-terminated */
    size_t len;
    yt_node **kids;            /* SEQ: n items; MAP: key, value pairs (2n) */
    uint32_t n;
};

typedef struct yt_limits {
    uint32_t max_depth;
    uint32_t max_nodes;
    uint32_t max_items;        /* per list or map */
} yt_limits;

/* Parses one document of data (len bytes) into *root (NULL for an empty
 * document). 0, or RIP_ESYNTAX / RIP_ELIMIT with the reason in err and its
 * line in *errline, or RIP_ENOMEM. *root is written only on success. */
int yt_parse(rip_arena *a, const char *data, size_t len, const yt_limits *lim,
             yt_node **root, char *err, size_t errlen, uint32_t *errline);

/* A plain scalar spelling null (empty, ~, null). */
bool yt_is_null(const yt_node *n);

#endif
