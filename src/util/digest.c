/* digest.c — SHA-256, HMAC-SHA256, constant-time comparison and wiping on
 * GNU Nettle. See digest.h. */
#include "util/digest.h"

#include <stdint.h>
#include <string.h>

#include <nettle/memops.h>
#include <nettle/sha2.h>

void rip_sha256(const void *data, size_t len, unsigned char md[RIP_SHA256_SIZE])
{
    struct sha256_ctx c;
    sha256_init(&c);
    if (len)
        sha256_update(&c, len, data);
    sha256_digest(&c, RIP_SHA256_SIZE, md);
}

void rip_sha256_hex(const void *data, size_t len, char hex[2 * RIP_SHA256_SIZE + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char md[RIP_SHA256_SIZE];
    rip_sha256(data, len, md);
    for (size_t i = 0; i < RIP_SHA256_SIZE; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 15];
    }
    hex[2 * RIP_SHA256_SIZE] = '\0';
}

void rip_hmac_sha256_init(rip_hmac_sha256_ctx *c, const void *key, size_t keylen)
{
    static const uint8_t none[1];
    hmac_sha256_set_key(&c->n, keylen, keylen ? key : none);
}

void rip_hmac_sha256_update(rip_hmac_sha256_ctx *c, const void *data, size_t len)
{
    if (len)
        hmac_sha256_update(&c->n, len, data);
}

void rip_hmac_sha256_final(rip_hmac_sha256_ctx *c, unsigned char mac[RIP_SHA256_SIZE])
{
    hmac_sha256_digest(&c->n, RIP_SHA256_SIZE, mac);
    rip_wipe(c, sizeof(*c));
}

void rip_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                     unsigned char mac[RIP_SHA256_SIZE])
{
    rip_hmac_sha256_ctx c;
    rip_hmac_sha256_init(&c, key, keylen);
    rip_hmac_sha256_update(&c, data, len);
    rip_hmac_sha256_final(&c, mac);
}

int rip_ct_memcmp(const void *a, const void *b, size_t n)
{
    /* memeql_sec: 1 when equal, in time independent of the contents. */
    return n ? !memeql_sec(a, b, n) : 0;
}

void rip_wipe(void *p, size_t n)
{
    if (p && n)
        explicit_bzero(p, n);
}
