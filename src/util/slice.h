/* slice.h — borrowed byte ranges {ptr,len}; never owns, never NUL-terminated
 * by contract. A slice with ptr NULL and len 0 means "absent". */
#ifndef RIPOSTE_UTIL_SLICE_H
#define RIPOSTE_UTIL_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct rip_slice {
    const char *ptr;
    size_t len;
} rip_slice;

#define RIP_SLICE_NULL ((rip_slice){ NULL, 0 })
#define RIP_SLICE_LIT(s) ((rip_slice){ (s), sizeof(s) - 1 })

static inline rip_slice rip_slice_make(const char *p, size_t n)
{
    return (rip_slice){ p, n };
}

static inline rip_slice rip_slice_cstr(const char *s)
{
    return s ? (rip_slice){ s, strlen(s) } : RIP_SLICE_NULL;
}

static inline bool rip_slice_eq(rip_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len == n && (n == 0 || memcmp(a.ptr, lit, n) == 0);
}

static inline bool rip_slice_eqs(rip_slice a, rip_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool rip_slice_starts(rip_slice a, const char *lit)
{
    size_t n = strlen(lit);
    return a.len >= n && memcmp(a.ptr, lit, n) == 0;
}

static inline bool rip_slice_present(rip_slice a)
{
    return a.ptr != NULL;
}

#endif
