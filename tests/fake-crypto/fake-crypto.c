/* fake-crypto.c — a stand-in libcrypto.so.3 with none of OpenSSL's
 * functions. test-digest runs itself with this directory first in
 * LD_LIBRARY_PATH to see util/crypto-load.c's error path. */
int rip_fake_crypto(void);

int rip_fake_crypto(void)
{
    return 0;
}
