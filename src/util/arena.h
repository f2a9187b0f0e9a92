/* arena.h — bump allocator freed as one block.
 *
 * Invariants: memory handed out by an arena lives until rip_arena_reset()
 * or rip_arena_release(); individual allocations are never freed. One arena
 * per ingested batch, per event or per HTTP request (STYLE.md "Memory").
 * An arena has a cap (bytes across all blocks); an allocation past the cap
 * fails with NULL, as does one that malloc cannot satisfy.
 */
#ifndef RIPOSTE_UTIL_ARENA_H
#define RIPOSTE_UTIL_ARENA_H

#include <stddef.h>

typedef struct rip_arena_block rip_arena_block;

typedef struct rip_arena {
    rip_arena_block *head;   /* current block; older blocks chained behind */
    char *cur, *end;         /* free space in the current block */
    size_t total;            /* bytes malloc'ed for blocks */
    size_t cap;              /* 0 means no cap */
} rip_arena;

#define RIP_ARENA_INIT { 0 }

/* Sets up an empty arena; cap 0 means unlimited. Allocates nothing. */
void rip_arena_init(rip_arena *a, size_t cap);
/* Frees every block. The arena may be reused after rip_arena_init(). */
void rip_arena_release(rip_arena *a);
/* Forgets all allocations but keeps the largest block for reuse. */
void rip_arena_reset(rip_arena *a);

/* Overwrites every block with zeros in a way the compiler keeps (for
 * arenas that held secrets, before they are released). */
void rip_arena_wipe(rip_arena *a);

/* Returns n bytes aligned to 16, or NULL (cap or out of memory). */
void *rip_arena_alloc(rip_arena *a, size_t n);
/* As rip_arena_alloc(), zero-filled. */
void *rip_arena_calloc(rip_arena *a, size_t count, size_t size);
/* Copies n bytes into the arena and NUL-terminates; NULL on failure. */
char *rip_arena_strndup(rip_arena *a, const char *s, size_t n);

#endif
