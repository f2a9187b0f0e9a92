#include "util/buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

char rip_buf_empty[1];

void rip_buf_init(rip_buf *b, size_t cap)
{
    b->ptr = rip_buf_empty;
    b->len = 0;
    b->alloc = 0;
    b->cap = cap;
}

void rip_buf_release(rip_buf *b)
{
    if (!b)
        return;
    if (b->alloc)
        free(b->ptr);
    b->ptr = rip_buf_empty;
    b->len = 0;
    b->alloc = 0;
}

void rip_buf_reset(rip_buf *b)
{
    b->len = 0;
    b->ptr[0] = '\0';
}

int rip_buf_grow(rip_buf *b, size_t n)
{
    if (n > SIZE_MAX - b->len - 1)
        return RIP_ELIMIT;
    size_t need = b->len + n + 1;
    if (b->cap && need - 1 > b->cap)
        return RIP_ELIMIT;
    if (need <= b->alloc)
        return 0;
    size_t na = b->alloc ? b->alloc : 64;
    while (na < need)
        na = na > SIZE_MAX / 2 ? need : na * 2;
    char *p = realloc(b->alloc ? b->ptr : NULL, na);
    if (!p)
        return RIP_ENOMEM;
    if (!b->alloc)
        p[0] = '\0';
    b->ptr = p;
    b->alloc = na;
    return 0;
}

int rip_buf_add(rip_buf *b, const void *p, size_t n)
{
    int r = rip_buf_grow(b, n);
    if (r < 0)
        return r;
    if (n)
        memcpy(b->ptr + b->len, p, n);
    b->len += n;
    b->ptr[b->len] = '\0';
    return 0;
}

int rip_buf_addc_slow(rip_buf *b, char c)
{
    return rip_buf_add(b, &c, 1);
}

int rip_buf_adds(rip_buf *b, const char *s)
{
    return rip_buf_add(b, s, strlen(s));
}

int rip_buf_vaddf(rip_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return RIP_EINVAL;
    if ((size_t)n < sizeof(small))
        return rip_buf_add(b, small, (size_t)n);
    int r = rip_buf_grow(b, (size_t)n);
    if (r < 0)
        return r;
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int rip_buf_addf(rip_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = rip_buf_vaddf(b, fmt, ap);
    va_end(ap);
    return r;
}

char *rip_buf_take(rip_buf *b, size_t *len)
{
    char *p;
    if (b->alloc) {
        p = b->ptr;
    } else {
        p = malloc(1);
        if (!p)
            return NULL;
        p[0] = '\0';
    }
    if (len)
        *len = b->len;
    b->ptr = rip_buf_empty;
    b->len = 0;
    b->alloc = 0;
    return p;
}
