/* sigma-int.h — the Sigma engine's private structures, shared by its files:
 *   sigma-yaml.c     YAML text → a small tree that keeps every node's line
 *   sigma-cond.c     condition strings → condition trees
 *   sigma-rule.c     one YAML document → one rule (metadata, selections,
 *                    modifiers table, values → patterns)
 *   sigma-ruleset.c  files, folders, placeholders, diagnostics, compile and
 *                    dispatch tables
 *   sigma-match.c    matching an event: field cache, patterns, conditions
 *
 * Invariants: everything here is allocated in the ruleset's arena except
 * compiled regexes (listed in rs->res, freed with the ruleset) and the
 * growable arrays of the ruleset itself (malloc'ed, freed with it).
 */
#ifndef RIPOSTE_DETECT_SIGMA_INT_H
#define RIPOSTE_DETECT_SIGMA_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdbool.h>
#include <stdint.h>

#include "detect/sigma.h"
#include "util/arena.h"

/* ---- limits (see sigma.h) ---- */
#define SG_MAX_FILE        ((size_t)4 << 20)
#define SG_MAX_YAML_DEPTH  64
#define SG_MAX_YAML_NODES  100000
#define SG_MAX_MAP_KEYS    4096
#define SG_MAX_SELECTIONS  1024
#define SG_MAX_VALUES      65536
#define SG_MAX_COND_LEN    8192
#define SG_MAX_COND_DEPTH  128
#define SG_MAX_REGEX       16384
#define SG_MAX_RULES       1000000
#define SG_MAX_FIELD_VALUES 256
#define SG_MAX_EXPANDED    4096

/* ---- YAML tree (sigma-yaml.c) ---- */
typedef enum sy_kind { SY_SCALAR = 1, SY_SEQ, SY_MAP } sy_kind;

typedef struct sy_node {
    uint8_t kind;          /* sy_kind */
    uint8_t plain;         /* scalar written without quotes */
    uint32_t line, col;    /* 1-based */
    const char *str;       /* scalar text, NUL-terminated */
    uint32_t len;
    struct sy_node **kids; /* SEQ: n items; MAP: 2n (key, value, key, value...) */
    uint32_t n;
} sy_node;

/* Parses every document of a YAML stream into the arena. 0, or RIP_ESYNTAX /
 * RIP_ELIMIT / RIP_ENOMEM with err and *errline set. */
int sy_parse(rip_arena *a, const char *data, size_t len, sy_node ***docs,
             uint32_t *ndocs, char *err, size_t errlen, uint32_t *errline);
/* A plain scalar null, ~, or empty. */
bool sy_is_null(const sy_node *n);
/* Value of key in a map, or NULL. */
const sy_node *sy_get(const sy_node *map, const char *key);
/* A plain scalar true/false: 1/0; -1 otherwise. */
int sy_bool(const sy_node *n);

/* ---- patterns (one compiled value) ---- */
typedef enum sg_pm {
    PM_NEVER = 0,   /* matches nothing (e.g. an empty expansion) */
    PM_ANY,         /* matches any present value ('*') */
    PM_EQ, PM_PREFIX, PM_SUFFIX, PM_CONTAINS,
    PM_GLOB,        /* '*' / '?' wildcards */
    PM_RE,
    PM_CIDR,
    PM_NUM,
    PM_NULL,        /* field absent or null */
    PM_EXISTS,
    PM_FIELDREF,
} sg_pm;

#define SG_GLOB_STAR  (-1)
#define SG_GLOB_QMARK (-2)

typedef struct sg_pat {
    uint8_t type;          /* sg_pm */
    uint8_t cased;         /* compare bytes exactly (else ASCII-folded: lit is lowercase) */
    uint8_t cmp;           /* PM_NUM: rip_sigma_cmp; PM_FIELDREF: PM_EQ..PM_CONTAINS */
    uint8_t exists;        /* PM_EXISTS: wanted */
    uint32_t group;        /* index of the rule value this pattern came from */
    const char *lit;       /* EQ/PREFIX/SUFFIX/CONTAINS */
    uint32_t len;
    const int16_t *glob;   /* PM_GLOB: bytes 0..255 or SG_GLOB_* */
    uint32_t glen;
    pcre2_code *re;
    const char *relit;     /* PM_RE: bytes every match contains (a prefilter), or NULL */
    uint32_t relit_len;
    double num;
    uint32_t ref_field;    /* PM_FIELDREF */
    uint8_t family;        /* PM_CIDR: 4 or 6 */
    uint8_t bits;
    uint8_t addr[16];
} sg_pat;

#define SG_FIELD_KEYWORDS UINT32_MAX

typedef struct sg_item {      /* one `field|mods: values` */
    uint32_t field;           /* interned field id, or SG_FIELD_KEYWORDS */
    const char *name;         /* field as written (for messages) */
    bool all;                 /* every value must match (else any) */
    uint32_t ngroups;         /* values as written */
    sg_pat *pats;             /* sorted by group */
    uint32_t npats;
} sg_item;

typedef struct sg_map {       /* AND of items */
    sg_item *items;
    uint32_t n;
} sg_map;

typedef struct sg_sel {       /* OR of maps */
    const char *name;
    uint32_t line;
    sg_map *maps;
    uint32_t n;
} sg_sel;

/* ---- conditions (sigma-cond.c) ---- */
typedef enum sg_op { CN_SEL = 1, CN_AND, CN_OR, CN_NOT, CN_TRUE, CN_FALSE } sg_op;

typedef struct sg_cond {
    uint8_t op;
    uint32_t sel;             /* CN_SEL */
    struct sg_cond **kids;    /* AND/OR: n; NOT: 1 */
    uint32_t n;
} sg_cond;

/* The part after '|' in a Sigma v1 condition. */
typedef struct sg_agg {
    bool near;                /* `| near ...` */
    sg_cond *near_cond;
    const char *field;        /* count(field) */
    const char *group_by;     /* by field */
    rip_sigma_cmp cmp;
    int64_t threshold;
} sg_agg;

/* Parses cond over the selection names. On success *out (and *agg when the
 * condition has a '|' part; agg may be NULL to reject it) are set. On error
 * err gets "position N: ...". Allocates in a. */
int sg_cond_parse(rip_arena *a, const char *cond, const char *const *names,
                  uint32_t nnames, sg_cond **out, sg_agg **agg,
                  char *err, size_t errlen);

/* ---- rules ---- */
struct rip_sigma_rule {
    rip_sigma_meta meta;
    uint32_t index;
    uint32_t formats;         /* bit (1 << rip_format) per admitted format */
    sg_sel *sels;
    uint32_t nsel;
    sg_cond **conds;          /* a list of conditions is their OR */
    uint32_t ncond;
    rip_sigma_correlation corr;
    sg_cond *near_cond;       /* v1 `near` */
    /* v1 `timeframe` with `a and b [and ...]`: each selection is a member of
     * a temporal correlation (the events are different ones). */
    sg_cond **members;
    uint32_t nmembers;
    bool report;
    uint32_t dispatch_field;  /* field id used for dispatch, or UINT32_MAX */
};

typedef struct sg_field {
    const char *path;         /* dotted, as used */
    const char **seg;         /* path split at dots */
    uint32_t *seglen;
    uint32_t nseg;
} sg_field;

/* A string → uint32 open-addressing table (keys owned by the arena). */
typedef struct sg_strtab {
    const char **keys;
    uint32_t *vals;
    uint32_t cap, n;          /* cap is 0 or a power of two */
} sg_strtab;

int sg_strtab_put(sg_strtab *t, const char *key, uint32_t val);
/* Value for key (len bytes), or UINT32_MAX. fold: compare key lowercased. */
uint32_t sg_strtab_get(const sg_strtab *t, const char *key, size_t len, bool fold);
void sg_strtab_release(sg_strtab *t);

typedef struct sg_placeholder {
    const char *name;         /* without % */
    const char **vals;
    uint32_t n;
} sg_placeholder;

typedef struct sg_rulelist {
    uint32_t *v;
    uint32_t n, alloc;
} sg_rulelist;

struct rip_sigma_ruleset {
    rip_arena arena;
    rip_sigma_diag_fn diag;
    void *ud;
    rip_sigma_rule **rules;
    uint32_t n, alloc;
    uint32_t nerrors;
    bool compiled;

    sg_placeholder *ph;
    uint32_t nph, phalloc;

    sg_field *fields;
    uint32_t nfields, falloc;
    sg_strtab fieldtab;

    pcre2_code **res;
    uint32_t nres, resalloc;

    /* dispatch (after compile) */
    uint32_t f_event_name, f_event_source;      /* field ids (interned at compile) */
    sg_rulelist always[RIP_FORMAT__COUNT];     /* rules that see every event of a format */
    sg_strtab by_name, by_source;              /* lowercase literal → index into lists */
    sg_rulelist *lists;
    uint32_t nlists, listalloc;
    uint32_t max_sel;
};

/* sigma-ruleset.c */
void sg_diag(rip_sigma_ruleset *rs, const char *path, uint32_t line, uint32_t col,
             bool warning, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Interns a dotted field path; returns its id or UINT32_MAX (out of memory). */
uint32_t sg_field_intern(rip_sigma_ruleset *rs, const char *path);
const sg_placeholder *sg_placeholder_find(const rip_sigma_ruleset *rs, const char *name, size_t len);
int sg_keep_regex(rip_sigma_ruleset *rs, pcre2_code *re);

/* sigma-rule.c: parses one document into a rule (not yet added). 0 or an
 * error (already reported through sg_diag). */
int sg_rule_parse(rip_sigma_ruleset *rs, const char *path, const sy_node *doc,
                  rip_sigma_rule **out);

/* sigma-match.c: the ASCII fold table. */
extern const unsigned char sg_fold[256];

#endif
