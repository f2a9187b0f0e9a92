/* yaml-fields.h — typed values read out of a yaml-tree (util/yaml-tree.h),
 * each problem reported with its line and key path.
 *
 * The readers of riposte's YAML files (playbooks, riposte.yaml) share these
 * so that a value means the same and is refused with the same words
 * wherever it is written. A reader does not print: every problem goes to
 * the context's callback as (line, key path, text), and the caller adds its
 * own prefix ("playbook 'F' line N: KEY: TEXT", yf_message()).
 *
 * Invariants: a reader that fails reports exactly why (or sets nomem) and
 * leaves its output untouched; key paths and string lists live in the
 * context's arena, strings are the tree's own (borrowed).
 */
#ifndef RIPOSTE_UTIL_YAML_FIELDS_H
#define RIPOSTE_UTIL_YAML_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/yaml-tree.h"

/* Longest key path ("steps.isolate.params.instance_id"); longer ones are cut. */
#define YF_PATH_MAX 256

/* One problem: its line (1-based; 0 for the whole file), the key path ("" for
 * the document) and what is wrong, lowercase, without the prefix. */
typedef struct yf_problem {
    uint32_t line;
    const char *key;
    const char *text;
    bool warning;              /* the value is used anyway */
} yf_problem;

typedef void (*yf_problem_fn)(void *ud, const yf_problem *p);

typedef struct yf_ctx {
    rip_arena *a;              /* key paths and string lists */
    yf_problem_fn fn;          /* every problem; may be NULL */
    void *ud;
    size_t str_max;            /* 0: any string, "" too; else strings are 1..str_max bytes
                                  without a NUL */
    bool nomem;                /* an allocation failed (set, never cleared) */
} yf_ctx;

/* Reads the file at path whole into out (initialized here with cap max;
 * the caller releases it, also on failure). 0, or RIP_ENOENT / RIP_EIO /
 * RIP_ELIMIT (larger than max bytes, or out of memory) with the reason in
 * err: "cannot open: ...", "read error", "file is larger than N bytes".
 * Nothing of the file is left on the stack: it may hold secrets. */
int yf_read_file(const char *path, size_t max, rip_buf *out, char *err, size_t errlen);

/* Formats text into a problem and hands it to c->fn. */
void yf_err(yf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void yf_warn(yf_ctx *c, uint32_t line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes "WHAT 'FILE' line N: KEY: TEXT" into out (cap bytes, always
 * NUL-terminated), leaving out the line when 0 and the key when empty. */
void yf_message(char *out, size_t cap, const char *what, const char *file, uint32_t line,
                const char *key, const char *text);

/* "a map", "a list" or "a string", for "found %s". */
const char *yf_kind_name(const yt_node *n);

/* The first n of names (fewer if one is NULL) joined by ", " into out (cap
 * bytes, cut when full). */
void yf_join(char *out, size_t cap, const char *const *names, size_t n);

/* The number of names before the NULL that ends them. */
size_t yf_count(const char *const *names);

/* The value of key in map, or NULL when map is NULL, not a map or has no
 * such key. The value's kline is the key's line. */
const yt_node *yf_get(const yt_node *map, const char *key);

/* "BASE.KEY" ("KEY" when base is empty), in the arena; key itself when out
 * of memory (nomem set). */
const char *yf_path(yf_ctx *c, const char *base, const char *key);

/* Reports every key of map that is not in allowed (NULL-terminated):
 * "unknown key 'x' (expected a, b, c)", or with what ("an sqs source")
 * "unknown key 'x' for an sqs source (expected ...)". */
void yf_check_keys(yf_ctx *c, const yt_node *map, const char *path,
                   const char *const *allowed, const char *what);

/* v as a map section: v, or NULL when v is null (the key with nothing after
 * it, no error) or not a map (reported). When keys is set, the section's
 * keys are checked against it (yf_check_keys()). */
const yt_node *yf_map_section(yf_ctx *c, const yt_node *v, const char *path,
                              const char *const *keys);

/* The same for a list section. */
const yt_node *yf_list_section(yf_ctx *c, const yt_node *v, const char *path);

/* A scalar's string (the tree's), or NULL (reported) when v is not a
 * scalar, is null, or breaks c->str_max. */
const char *yf_scalar(yf_ctx *c, const yt_node *v, const char *path);

/* A string or a non-empty list of strings: sets *v (an arena array) and *n.
 * 0, or -1 (reported, or nomem) with *v and *n untouched. */
int yf_strs(yf_ctx *c, const yt_node *node, const char *path, const char ***v, size_t *n);

/* "90", "90s", "15m", "2h", "1d" → seconds in min..max. 0 or -1 (reported). */
int yf_duration(yf_ctx *c, const yt_node *v, const char *path, uint32_t min, uint32_t max,
                uint32_t *out);

/* "65536", "65536B", "64K", "64KiB", "1M", "1MiB" → bytes in min..max. 0 or
 * -1 (reported). */
int yf_size(yf_ctx *c, const yt_node *v, const char *path, size_t min, size_t max,
            size_t *out);

/* A whole number in min..max. 0 or -1 (reported). */
int yf_number(yf_ctx *c, const yt_node *v, const char *path, long min, long max, long *out);

/* true/True/TRUE or false/False/FALSE. 0 or -1 (reported). */
int yf_boolean(yf_ctx *c, const yt_node *v, const char *path, bool *out);

/* One of names (count of them): its index in *out. noun names the thing in
 * "unknown NOUN 'x' (expected a, b)". 0 or -1 (reported). */
int yf_pick(yf_ctx *c, const yt_node *v, const char *path, const char *noun,
            const char *const *names, int count, int *out);

#endif
