/* test-digest.c — util/digest.h against published vectors (FIPS 180-2
 * SHA-256, RFC 4231 HMAC-SHA256, RFC 4648 base64), and util/crypto-load.h:
 * libcrypto loads, and a libcrypto.so.3 that lacks OpenSSL's functions
 * gives the one-line error (the test re-runs itself with a stand-in
 * library, tests/fake-crypto, first in LD_LIBRARY_PATH). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/tap.h"
#include "util/base64.h"
#include "util/crypto-load.h"
#include "util/digest.h"

static void hex(const unsigned char *md, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void sha256_case(const char *msg, const char *want)
{
    unsigned char md[RIP_SHA256_SIZE];
    char got[65], got2[65];
    rip_sha256(msg, strlen(msg), md);
    hex(md, sizeof(md), got);
    rip_sha256_hex(msg, strlen(msg), got2);
    CHECK(!strcmp(got, want) && !strcmp(got2, want), "SHA-256(\"%.20s\") = %s", msg, got);
}

static void hmac_case(const char *name, const void *key, size_t klen, const char *data,
                      const char *want)
{
    unsigned char mac[RIP_SHA256_SIZE];
    char got[65];
    rip_hmac_sha256(key, klen, data, strlen(data), mac);
    hex(mac, sizeof(mac), got);
    CHECK(!strcmp(got, want), "HMAC-SHA256 %s one-shot = %s", name, got);
    /* The same in pieces of every size. */
    for (size_t step = 1; step <= 7; step++) {
        rip_hmac_sha256_ctx c;
        rip_hmac_sha256_init(&c, key, klen);
        for (size_t i = 0; i < strlen(data); i += step) {
            size_t n = strlen(data) - i < step ? strlen(data) - i : step;
            rip_hmac_sha256_update(&c, data + i, n);
        }
        rip_hmac_sha256_update(&c, NULL, 0);
        rip_hmac_sha256_final(&c, mac);
        hex(mac, sizeof(mac), got);
        if (!CHECK(!strcmp(got, want), "HMAC-SHA256 %s in pieces of %zu", name, step))
            break;
    }
}

/* Run in the child, with the stand-in libcrypto.so.3 first in the path. */
static int missing_crypto(void)
{
    const rip_crypto_api *c = rip_crypto();
    const char *why = rip_crypto_load_error();
    CHECK(c == NULL, "a libcrypto.so.3 without EVP_sha1: rip_crypto() is NULL");
    CHECK(rip_crypto() == NULL, "and stays NULL");
    CHECK(strstr(why, "cannot load libcrypto (libcrypto.so.3): no function 'EVP_sha1'") == why &&
              strstr(why, "; install libssl3") && !strchr(why, '\n'),
          "the error names the function and the package: %s", why);
    return tap_done();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--missing-crypto"))
        return missing_crypto();

    /* FIPS 180-2 appendix B.1 and B.2; the empty message. */
    sha256_case("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256_case("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha256_case("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    unsigned char md[RIP_SHA256_SIZE], md0[RIP_SHA256_SIZE];
    rip_sha256(NULL, 0, md);
    rip_sha256("", 0, md0);
    CHECK(!memcmp(md, md0, sizeof(md)), "SHA-256 of NULL, 0 is that of \"\"");

    /* RFC 4231 test cases 1, 2 and 6 (a key longer than the block). */
    unsigned char k1[20], k6[131];
    memset(k1, 0x0b, sizeof(k1));
    memset(k6, 0xaa, sizeof(k6));
    hmac_case("RFC 4231 case 1", k1, sizeof(k1), "Hi There",
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_case("RFC 4231 case 2", "Jefe", 4, "what do ya want for nothing?",
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    hmac_case("RFC 4231 case 6", k6, sizeof(k6),
              "Test Using Larger Than Block-Size Key - Hash Key First",
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    unsigned char mac[RIP_SHA256_SIZE];
    char got[65];
    rip_hmac_sha256(NULL, 0, NULL, 0, mac);
    hex(mac, sizeof(mac), got);
    CHECK(!strcmp(got, "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"),
          "HMAC-SHA256 with an empty key of nothing = %s", got);

    /* RFC 4648 section 10. */
    static const char *const b64[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
    };
    for (size_t i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
        char out[16];
        memset(out, 'x', sizeof(out));
        size_t n = rip_base64_encode(out, b64[i][0], strlen(b64[i][0]));
        CHECK(n == strlen(b64[i][1]) && n == rip_base64_encoded_size(strlen(b64[i][0])) &&
                  !strcmp(out, b64[i][1]),
              "base64(\"%s\") = \"%s\"", b64[i][0], out);
    }

    CHECK(rip_ct_memcmp("abcdef", "abcdef", 6) == 0, "ct_memcmp: equal");
    CHECK(rip_ct_memcmp("abcdef", "abcdeg", 6) != 0, "ct_memcmp: last byte differs");
    CHECK(rip_ct_memcmp("Abcdef", "abcdef", 6) != 0, "ct_memcmp: first byte differs");
    CHECK(rip_ct_memcmp("a", "b", 0) == 0, "ct_memcmp: no bytes are equal");

    char secret[] = "hunter2hunter2";
    rip_wipe(secret, sizeof(secret));
    int zero = 1;
    for (size_t i = 0; i < sizeof(secret); i++)
        zero &= secret[i] == 0;
    CHECK(zero, "rip_wipe zeroes");
    rip_wipe(NULL, 0);

    /* libcrypto, on demand. */
    CHECK(!strcmp(rip_crypto_load_error(), ""), "no load error before loading");
    const rip_crypto_api *c = rip_crypto();
    CHECK(c && c->evp_sha256() && c->evp_sha1(), "libcrypto loads: %s", rip_crypto_load_error());
    CHECK(rip_crypto() == c && !strcmp(rip_crypto_load_error(), ""),
          "the same table again, no error");

    /* The error path, in a child whose libcrypto.so.3 is the stand-in. */
#ifdef FAKE_CRYPTO_DIR
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        const char *old = getenv("LD_LIBRARY_PATH");
        char path[4096];
        snprintf(path, sizeof(path), "%s%s%s", FAKE_CRYPTO_DIR, old && *old ? ":" : "",
                 old ? old : "");
        setenv("LD_LIBRARY_PATH", path, 1);
        execl("/proc/self/exe", argv[0], "--missing-crypto", (char *)NULL);
        _exit(127);
    }
    int st = 0;
    CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
          "the loader's error path (child exit status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
#else
    tap_skip("the loader's error path: FAKE_CRYPTO_DIR not set");
#endif
    return tap_done();
}
