#include "util/base64.h"

#include <stdint.h>

#include <nettle/base64.h>

#include "util/err.h"

/* 0..63 for alphabet characters, 64 for '=', 255 for anything else. */
static uint8_t b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return (uint8_t)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (uint8_t)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (uint8_t)(c - '0' + 52);
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    if (c == '=')
        return 64;
    return 255;
}

int rip_base64_decode(const char *s, size_t len, rip_buf *out)
{
    size_t start = out->len, pad = 0;
    int r;

    /* Padding only at the end: up to two '=' completing a 4-char group. */
    while (pad < len && pad < 2 && s[len - 1 - pad] == '=')
        pad++;
    if (pad && len % 4 != 0)
        return RIP_ESYNTAX;
    size_t n = len - pad;
    if (n % 4 == 1)
        return RIP_ESYNTAX;
    r = rip_buf_grow(out, rip_base64_decoded_max(n));
    if (r < 0)
        return r;

    unsigned char *o = (unsigned char *)out->ptr + out->len;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = b64_value((unsigned char)s[i]);
        if (v >= 64) {
            out->len = start;
            out->ptr[start] = '\0';
            return RIP_ESYNTAX;
        }
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    out->len = (size_t)((char *)o - out->ptr);
    out->ptr[out->len] = '\0';
    return 0;
}

size_t rip_base64_encode(char *out, const void *in, size_t len)
{
    size_t n = rip_base64_encoded_size(len);
    if (len)
        base64_encode_raw(out, len, in);
    out[n] = '\0';
    return n;
}
