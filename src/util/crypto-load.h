/* crypto-load.h — OpenSSL's libcrypto, loaded on demand.
 *
 * The riposte program does not link libcrypto: digests, HMAC and the like
 * come from Nettle (util/digest.h), and libcrypto's loading, relocation and
 * initialisation (~3.7 ms of CPU) would otherwise be paid at the start of
 * every command, `riposte scan` included. Only SigV4A's ECDSA P-256 keys
 * and signatures (cloud/aws-sigv4.c) and SNS certificates and RSA
 * signatures (server/sns.c) need it. The first rip_crypto() call dlopen()s
 * libcrypto.so.3 (the ABI the headers are compiled against) and looks up
 * the functions below, once per process (pthread_once, so any thread may
 * make the first call). The library stays loaded until exit. Headers and
 * types still come from <openssl/...>.
 *
 * The functions are called through the table: rip_crypto()->evp_sha256().
 * Each entry has the type of the OpenSSL function it is named after (the
 * name in lower case; crypto-load.c checks the types at compile time).
 */
#ifndef RIPOSTE_UTIL_CRYPTO_LOAD_H
#define RIPOSTE_UTIL_CRYPTO_LOAD_H

#include <stddef.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

typedef struct rip_crypto_api {
    /* digests */
    const EVP_MD *(*evp_sha1)(void);
    const EVP_MD *(*evp_sha256)(void);
    /* big numbers and P-256 points (SigV4A) */
    BIGNUM *(*bn_bin2bn)(const unsigned char *s, int len, BIGNUM *ret);
    BIGNUM *(*bn_secure_new)(void);
    void (*bn_clear_free)(BIGNUM *a);
    EC_GROUP *(*ec_group_new_by_curve_name)(int nid);
    void (*ec_group_free)(EC_GROUP *group);
    EC_POINT *(*ec_point_new)(const EC_GROUP *group);
    void (*ec_point_free)(EC_POINT *point);
    int (*ec_point_mul)(const EC_GROUP *group, EC_POINT *r, const BIGNUM *n,
                        const EC_POINT *q, const BIGNUM *m, BN_CTX *ctx);
    size_t (*ec_point_point2oct)(const EC_GROUP *group, const EC_POINT *p,
                                 point_conversion_form_t form, unsigned char *buf,
                                 size_t len, BN_CTX *ctx);
    /* keys from parameters (SigV4A) */
    OSSL_PARAM_BLD *(*ossl_param_bld_new)(void);
    void (*ossl_param_bld_free)(OSSL_PARAM_BLD *bld);
    int (*ossl_param_bld_push_utf8_string)(OSSL_PARAM_BLD *bld, const char *key,
                                           const char *buf, size_t bsize);
    int (*ossl_param_bld_push_octet_string)(OSSL_PARAM_BLD *bld, const char *key,
                                            const void *buf, size_t bsize);
    int (*ossl_param_bld_push_bn)(OSSL_PARAM_BLD *bld, const char *key, const BIGNUM *bn);
    OSSL_PARAM *(*ossl_param_bld_to_param)(OSSL_PARAM_BLD *bld);
    void (*ossl_param_free)(OSSL_PARAM *p);
    EVP_PKEY_CTX *(*evp_pkey_ctx_new_from_name)(OSSL_LIB_CTX *libctx, const char *name,
                                                const char *propquery);
    void (*evp_pkey_ctx_free)(EVP_PKEY_CTX *ctx);
    int (*evp_pkey_fromdata_init)(EVP_PKEY_CTX *ctx);
    int (*evp_pkey_fromdata)(EVP_PKEY_CTX *ctx, EVP_PKEY **ppkey, int selection,
                             OSSL_PARAM params[]);
    /* keys, signatures */
    void (*evp_pkey_free)(EVP_PKEY *pkey);
    int (*evp_pkey_get_base_id)(const EVP_PKEY *pkey);
    int (*evp_pkey_get_bits)(const EVP_PKEY *pkey);
    EVP_MD_CTX *(*evp_md_ctx_new)(void);
    void (*evp_md_ctx_free)(EVP_MD_CTX *ctx);
    int (*evp_digestsigninit)(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type,
                              ENGINE *e, EVP_PKEY *pkey);
    int (*evp_digestsign)(EVP_MD_CTX *ctx, unsigned char *sigret, size_t *siglen,
                          const unsigned char *tbs, size_t tbslen);
    int (*evp_digestverifyinit)(EVP_MD_CTX *ctx, EVP_PKEY_CTX **pctx, const EVP_MD *type,
                                ENGINE *e, EVP_PKEY *pkey);
    int (*evp_digestverify)(EVP_MD_CTX *ctx, const unsigned char *sigret, size_t siglen,
                            const unsigned char *tbs, size_t tbslen);
    /* PEM certificates (SNS) */
    BIO *(*bio_new_mem_buf)(const void *buf, int len);
    int (*bio_free)(BIO *a);
    X509 *(*pem_read_bio_x509)(BIO *bp, X509 **x, pem_password_cb *cb, void *u);
    void (*x509_free)(X509 *a);
    int (*x509_cmp_time)(const ASN1_TIME *s, time_t *t);
    const ASN1_TIME *(*x509_get0_notbefore)(const X509 *x);
    const ASN1_TIME *(*x509_get0_notafter)(const X509 *x);
    EVP_PKEY *(*x509_get_pubkey)(X509 *x);
} rip_crypto_api;

/* Returns libcrypto's entry points, loading libcrypto on the first call.
 * The table is static and valid until exit. Returns NULL when libcrypto
 * cannot be loaded (or lacks a function); every later call returns NULL
 * too, and rip_crypto_load_error() says why. Thread-safe. */
const rip_crypto_api *rip_crypto(void);

/* Returns why libcrypto could not be loaded, as one line without a prefix:
 * "cannot load libcrypto (libcrypto.so.3): <dlerror>; install libssl3". ""
 * before the first rip_crypto() call and after a successful one. Static. */
const char *rip_crypto_load_error(void);

#endif
