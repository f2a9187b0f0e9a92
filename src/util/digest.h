/* digest.h — SHA-256, HMAC-SHA256, constant-time comparison and wiping.
 *
 * On GNU Nettle (libnettle, Debian nettle-dev), which is small and cheap to
 * load, so that only the commands that need OpenSSL's public-key code
 * (SigV4A signing, SNS certificates: util/crypto-load.h) load libcrypto.
 * None of these functions fails.
 */
#ifndef RIPOSTE_UTIL_DIGEST_H
#define RIPOSTE_UTIL_DIGEST_H

#include <stddef.h>

#include <nettle/hmac.h>

#define RIP_SHA256_SIZE 32

/* md = SHA-256(data[0..len)). data may be NULL when len is 0. */
void rip_sha256(const void *data, size_t len, unsigned char md[RIP_SHA256_SIZE]);

/* The lowercase hex of SHA-256(data) into hex[65], NUL-terminated. */
void rip_sha256_hex(const void *data, size_t len, char hex[2 * RIP_SHA256_SIZE + 1]);

/* mac = HMAC-SHA256(key, data) (RFC 2104). key and data may be NULL when
 * their length is 0. */
void rip_hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
                     unsigned char mac[RIP_SHA256_SIZE]);

/* Incremental HMAC-SHA256: init, any number of updates, final. final writes
 * the MAC and wipes the context (which holds key material). */
typedef struct rip_hmac_sha256_ctx {
    struct hmac_sha256_ctx n;
} rip_hmac_sha256_ctx;

void rip_hmac_sha256_init(rip_hmac_sha256_ctx *c, const void *key, size_t keylen);
void rip_hmac_sha256_update(rip_hmac_sha256_ctx *c, const void *data, size_t len);
void rip_hmac_sha256_final(rip_hmac_sha256_ctx *c, unsigned char mac[RIP_SHA256_SIZE]);

/* 0 when the n bytes at a and b are equal, else non-zero; the time taken
 * depends on n only, not on the contents (for MACs and token hashes). */
int rip_ct_memcmp(const void *a, const void *b, size_t n);

/* Overwrites n bytes at p with zeros in a way the compiler may not elide
 * (for keys and secrets about to be freed or go out of scope). p may be
 * NULL when n is 0. */
void rip_wipe(void *p, size_t n);

#endif
