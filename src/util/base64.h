/* base64.h — RFC 4648 base64 decoding (standard and URL-safe alphabets)
 * and encoding (standard alphabet, padded).
 *
 * Pub/Sub push envelopes carry the log entry base64-encoded in
 * "message.data". Padding is optional; whitespace is not accepted; a
 * character outside both alphabets or misplaced padding is RIP_ESYNTAX.
 * Non-zero trailing bits are accepted (decoders in the wild do).
 */
#ifndef RIPOSTE_UTIL_BASE64_H
#define RIPOSTE_UTIL_BASE64_H

#include <stddef.h>

#include "util/buf.h"

/* Upper bound of the decoded size of len bytes of base64. */
static inline size_t rip_base64_decoded_max(size_t len)
{
    return len / 4 * 3 + 3;
}

/* Decodes len bytes of s and appends the result to out. Returns 0, or
 * RIP_ESYNTAX (bad character or padding), RIP_ELIMIT / RIP_ENOMEM (out's cap
 * or memory). On failure out holds what it held before. */
int rip_base64_decode(const char *s, size_t len, rip_buf *out);

/* Size of the base64 of len bytes, padding included (NUL excluded). */
static inline size_t rip_base64_encoded_size(size_t len)
{
    return (len + 2) / 3 * 4;
}

/* Writes the padded standard base64 of len bytes of in and a NUL to out,
 * which holds rip_base64_encoded_size(len) + 1 bytes. Returns the length
 * written, the NUL excluded. */
size_t rip_base64_encode(char *out, const void *in, size_t len);

#endif
