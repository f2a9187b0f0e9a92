/* buf.h — growable byte buffer with a cap (after curl's dynbuf, git's strbuf).
 *
 * Invariants: b->ptr is never NULL and always NUL-terminated (it points at a
 * shared empty string until the first append); b->len < allocated size; a
 * failed append (cap or out of memory) returns a negative RIP_E* code and
 * leaves the contents exactly as they were.
 */
#ifndef RIPOSTE_UTIL_BUF_H
#define RIPOSTE_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct rip_buf {
    char *ptr;
    size_t len;
    size_t alloc;   /* 0 while ptr is the shared empty string */
    size_t cap;     /* maximum len; 0 means no cap */
} rip_buf;

extern char rip_buf_empty[];
#define RIP_BUF_INIT { rip_buf_empty, 0, 0, 0 }

void rip_buf_init(rip_buf *b, size_t cap);
/* Frees the storage; the buffer is empty and usable again afterwards. */
void rip_buf_release(rip_buf *b);
/* Empties the buffer, keeping its storage. */
void rip_buf_reset(rip_buf *b);
/* Ensures room for n more bytes (plus NUL). 0 or RIP_ELIMIT/RIP_ENOMEM. */
int rip_buf_grow(rip_buf *b, size_t n);
int rip_buf_add(rip_buf *b, const void *p, size_t n);
int rip_buf_addc_slow(rip_buf *b, char c);
/* Inline: the JSON writer appends a byte per separator, brace and colon. */
static inline int rip_buf_addc(rip_buf *b, char c)
{
    if (b->len + 1 < b->alloc && (!b->cap || b->len < b->cap)) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return 0;
    }
    return rip_buf_addc_slow(b, c);
}
int rip_buf_adds(rip_buf *b, const char *s);
int rip_buf_addf(rip_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int rip_buf_vaddf(rip_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* Hands the storage to the caller (free() it) and empties the buffer.
 * Never returns NULL unless out of memory. */
char *rip_buf_take(rip_buf *b, size_t *len);

#endif
