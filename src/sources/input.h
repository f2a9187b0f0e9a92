/* input.h — where log bytes come from: paths given on a command line,
 * whole files read into memory with a size cap, and gzip inflation.
 *
 * Invariants
 *   - A list owns its path strings (malloc'ed); rip_input_list_release()
 *     frees them. Expansion never stops at a bad path: the path is kept in
 *     the list with its error code so the caller can report it in order.
 *   - A directory expands recursively to the data files under it (see
 *     rip_input_is_data_name()), each directory's entries in byte order
 *     (strcmp), hidden entries skipped, symbolic links to directories not
 *     followed (no loops). Depth and entry counts are capped.
 *   - "-" names standard input.
 *   - Nothing here prints; callers report errors.
 */
#ifndef RIPOSTE_SOURCES_INPUT_H
#define RIPOSTE_SOURCES_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define RIP_INPUT_MAX_DEPTH 64            /* directory nesting */
#define RIP_INPUT_MAX_ENTRIES 1000000      /* paths in one list */
#define RIP_INPUT_DEFAULT_MAX_FILE ((size_t)1 << 30)      /* 1 GiB read */
#define RIP_INPUT_DEFAULT_MAX_INFLATED ((size_t)1 << 30)  /* 1 GiB gunzipped */

typedef struct rip_input {
    char *path;     /* owned, as given or joined with '/' */
    int err;        /* 0, or why the path cannot be read (RIP_ENOENT, RIP_EIO,
                       RIP_ELIMIT for a too deep tree) */
} rip_input;

typedef struct rip_input_list {
    rip_input *items;
    size_t count;
    size_t alloc;
} rip_input_list;

void rip_input_list_init(rip_input_list *l);
/* Frees every path and the array. Accepts NULL. */
void rip_input_list_release(rip_input_list *l);

/* Appends path to l: "-" and files as they are, directories expanded
 * (see above). A path that does not exist or cannot be listed is appended
 * with its err set. Returns 0, or RIP_ENOMEM / RIP_ELIMIT (too many
 * entries) when the list itself cannot grow. */
int rip_input_expand(rip_input_list *l, const char *path);

/* As rip_input_expand(), but a directory keeps the files whose name want()
 * accepts (rule and playbook folders: *.yml, *.yaml). Same order, limits
 * and link policy. */
int rip_input_expand_names(rip_input_list *l, const char *path, bool (*want)(const char *name));

/* True for *.yml and *.yaml: rule and playbook files. */
bool rip_input_is_yaml_name(const char *name);

/* True for names riposte reads when walking a directory: *.json, *.jsonl,
 * *.ndjson, and any of them with .gz (CloudTrail's S3 objects are
 * *.json.gz), plus bare *.gz. Named files are read whatever their name. */
bool rip_input_is_data_name(const char *name);

/* Reads the whole file at path ("-" is standard input) and appends it to
 * out. Returns 0, RIP_ENOENT, RIP_EIO, RIP_ELIMIT (larger than max bytes),
 * RIP_ENOMEM. On failure out holds what it held before. */
int rip_input_read(const char *path, size_t max, rip_buf *out);

/* A file read piece by piece (large NDJSON files, standard input), so that
 * memory does not grow with the input. */
typedef struct rip_input_reader {
    int fd;
    bool owned;     /* close fd when done (not for standard input) */
    bool eof;
} rip_input_reader;

/* Opens path ("-" is standard input). 0, RIP_ENOENT or RIP_EIO. */
int rip_input_open(rip_input_reader *r, const char *path);
/* Appends up to n bytes to out, reading until n bytes or end of file.
 * Sets r->eof at end of file. Returns 0, RIP_EIO, RIP_ELIMIT (out's cap)
 * or RIP_ENOMEM; on failure out may hold part of what was read. */
int rip_input_read_some(rip_input_reader *r, rip_buf *out, size_t n);
/* Closes the file. Accepts a reader that failed to open. */
void rip_input_close(rip_input_reader *r);

/* True when data starts with the gzip magic bytes 1f 8b. */
bool rip_input_is_gzip(const void *data, size_t len);

/* Inflates gzip data (one or more concatenated members, as `cat a.gz b.gz`
 * makes; trailing zero padding is ignored) and appends the result to out.
 * Returns 0, RIP_ETRUNC (a member shorter than a gzip header and trailer),
 * RIP_ESYNTAX (corrupt or cut-off deflate data, bad checksum, or bytes after
 * the last member that are not a member), RIP_ELIMIT (more than max_out bytes), RIP_ENOMEM. On failure out
 * holds what it held before. */
int rip_input_gunzip(const void *data, size_t len, size_t max_out, rip_buf *out);

#endif
