/* crypto-load.c — libcrypto, loaded on demand. See crypto-load.h.
 *
 * Invariant: after the pthread_once in rip_crypto() has run, either
 * `loaded` is true and every pointer in `api` is set, or `loaded` is false
 * and `why` holds the reason; neither changes again. */
#include "util/crypto-load.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CRYPTO_SONAME "libcrypto.so.3"
#define CRYPTO_PACKAGE "libssl3"

/* X(field, OpenSSL function) for every entry of rip_crypto_api. */
#define RIP_CRYPTO_SYMBOLS(X)                                         \
    X(evp_sha1, EVP_sha1)                                             \
    X(evp_sha256, EVP_sha256)                                         \
    X(bn_bin2bn, BN_bin2bn)                                           \
    X(bn_secure_new, BN_secure_new)                                   \
    X(bn_clear_free, BN_clear_free)                                   \
    X(ec_group_new_by_curve_name, EC_GROUP_new_by_curve_name)         \
    X(ec_group_free, EC_GROUP_free)                                   \
    X(ec_point_new, EC_POINT_new)                                     \
    X(ec_point_free, EC_POINT_free)                                   \
    X(ec_point_mul, EC_POINT_mul)                                     \
    X(ec_point_point2oct, EC_POINT_point2oct)                         \
    X(ossl_param_bld_new, OSSL_PARAM_BLD_new)                         \
    X(ossl_param_bld_free, OSSL_PARAM_BLD_free)                       \
    X(ossl_param_bld_push_utf8_string, OSSL_PARAM_BLD_push_utf8_string) \
    X(ossl_param_bld_push_octet_string, OSSL_PARAM_BLD_push_octet_string) \
    X(ossl_param_bld_push_bn, OSSL_PARAM_BLD_push_BN)                 \
    X(ossl_param_bld_to_param, OSSL_PARAM_BLD_to_param)               \
    X(ossl_param_free, OSSL_PARAM_free)                               \
    X(evp_pkey_ctx_new_from_name, EVP_PKEY_CTX_new_from_name)         \
    X(evp_pkey_ctx_free, EVP_PKEY_CTX_free)                           \
    X(evp_pkey_fromdata_init, EVP_PKEY_fromdata_init)                 \
    X(evp_pkey_fromdata, EVP_PKEY_fromdata)                           \
    X(evp_pkey_free, EVP_PKEY_free)                                   \
    X(evp_pkey_get_base_id, EVP_PKEY_get_base_id)                     \
    X(evp_pkey_get_bits, EVP_PKEY_get_bits)                           \
    X(evp_md_ctx_new, EVP_MD_CTX_new)                                 \
    X(evp_md_ctx_free, EVP_MD_CTX_free)                               \
    X(evp_digestsigninit, EVP_DigestSignInit)                         \
    X(evp_digestsign, EVP_DigestSign)                                 \
    X(evp_digestverifyinit, EVP_DigestVerifyInit)                     \
    X(evp_digestverify, EVP_DigestVerify)                             \
    X(bio_new_mem_buf, BIO_new_mem_buf)                               \
    X(bio_free, BIO_free)                                             \
    X(pem_read_bio_x509, PEM_read_bio_X509)                           \
    X(x509_free, X509_free)                                           \
    X(x509_cmp_time, X509_cmp_time)                                   \
    X(x509_get0_notbefore, X509_get0_notBefore)                       \
    X(x509_get0_notafter, X509_get0_notAfter)                         \
    X(x509_get_pubkey, X509_get_pubkey)

/* Each entry has exactly the type of the function the headers declare. */
#define CHECK_TYPE(field, fn)                                                      \
    _Static_assert(__builtin_types_compatible_p(__typeof__(&fn),                   \
                                                __typeof__(((rip_crypto_api *)0)->field)), \
                   "rip_crypto_api." #field " does not match " #fn);
RIP_CRYPTO_SYMBOLS(CHECK_TYPE)
#undef CHECK_TYPE

static pthread_once_t once = PTHREAD_ONCE_INIT;
static rip_crypto_api api;
static bool loaded;
static char why[512];

static const struct {
    const char *name;
    size_t offset;  /* of the function pointer in rip_crypto_api */
} symbols[] = {
#define ENTRY(field, fn) { #fn, offsetof(rip_crypto_api, field) },
    RIP_CRYPTO_SYMBOLS(ENTRY)
#undef ENTRY
};

static void load(void)
{
    const char *soname = CRYPTO_SONAME;
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(why, sizeof(why), "cannot load libcrypto (%s): %s; install %s", soname,
                 dlerror(), CRYPTO_PACKAGE);
        return;
    }
    rip_crypto_api t;
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        void *fn = dlsym(h, symbols[i].name);
        if (!fn) {
            snprintf(why, sizeof(why), "cannot load libcrypto (%s): no function '%s'; "
                     "install %s", soname, symbols[i].name, CRYPTO_PACKAGE);
            dlclose(h);
            return;
        }
        /* POSIX: a dlsym() result converts to a function pointer. */
        memcpy((char *)&t + symbols[i].offset, &fn, sizeof(fn));
    }
    api = t;
    loaded = true;
}

const rip_crypto_api *rip_crypto(void)
{
    pthread_once(&once, load);
    return loaded ? &api : NULL;
}

const char *rip_crypto_load_error(void)
{
    return why;
}
