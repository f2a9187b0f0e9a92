#include "util/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct rip_arena_block {
    rip_arena_block *prev;
    size_t size;               /* usable bytes after the header */
    _Alignas(16) char data[];
};

#define ARENA_MIN_BLOCK ((size_t)64 * 1024)
#define ARENA_ALIGN 16

void rip_arena_init(rip_arena *a, size_t cap)
{
    memset(a, 0, sizeof(*a));
    a->cap = cap;
}

void rip_arena_release(rip_arena *a)
{
    if (!a)
        return;
    rip_arena_block *b = a->head;
    while (b) {
        rip_arena_block *prev = b->prev;
        free(b);
        b = prev;
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->total = 0;
}

void rip_arena_reset(rip_arena *a)
{
    rip_arena_block *keep = NULL, *b = a->head;
    while (b) {
        rip_arena_block *prev = b->prev;
        if (!keep || b->size > keep->size) {
            if (keep) {
                a->total -= keep->size + sizeof(*keep);
                free(keep);
            }
            keep = b;
        } else {
            a->total -= b->size + sizeof(*b);
            free(b);
        }
        b = prev;
    }
    a->head = keep;
    if (keep) {
        keep->prev = NULL;
        a->cur = keep->data;
        a->end = keep->data + keep->size;
    } else {
        a->cur = a->end = NULL;
    }
}

static void *arena_grow(rip_arena *a, size_t n)
{
    size_t size = ARENA_MIN_BLOCK;
    if (a->head && a->head->size * 2 > size && a->head->size < ((size_t)1 << 26))
        size = a->head->size * 2;
    if (n > size)
        size = n;
    if (size > SIZE_MAX - sizeof(rip_arena_block))
        return NULL;
    if (a->cap && a->total + size + sizeof(rip_arena_block) > a->cap) {
        /* Try the smallest block that fits before giving up. */
        size = n;
        if (a->total + size + sizeof(rip_arena_block) > a->cap)
            return NULL;
    }
    rip_arena_block *b = malloc(sizeof(*b) + size);
    if (!b)
        return NULL;
    b->prev = a->head;
    b->size = size;
    a->head = b;
    a->total += size + sizeof(*b);
    a->cur = b->data + n;
    a->end = b->data + size;
    return b->data;
}

void rip_arena_wipe(rip_arena *a)
{
    for (rip_arena_block *b = a->head; b; b = b->prev)
        explicit_bzero(b->data, b->size);
}

void *rip_arena_alloc(rip_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX - ARENA_ALIGN)
        return NULL;
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    if (a->cur && (size_t)(a->end - a->cur) >= n) {
        void *p = a->cur;
        a->cur += n;
        return p;
    }
    return arena_grow(a, n);
}

void *rip_arena_calloc(rip_arena *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = rip_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

char *rip_arena_strndup(rip_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = rip_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
