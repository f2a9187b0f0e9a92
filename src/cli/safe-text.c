/* safe-text.c — see safe-text.h. */
#include "cli/safe-text.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
            return 0;
        return 4;
    }
    return 0;
}

int rip_text_add(rip_buf *b, const char *s, size_t len, size_t max, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, n = len;
    int cut = 0, rc = 0;
    if (!s)
        return 0;
    if (max && n > max) {
        n = max;
        cut = 1;
    }
    while (i < n && rc == 0) {
        unsigned char c = p[i];
        const char *rep = NULL;
        size_t k = 1;
        if (c >= 0x20 && c < 0x7f) {
            if (flags & RIP_TEXT_HTML) {
                switch (c) {
                case '&':  rep = "&amp;"; break;
                case '<':  rep = "&lt;"; break;
                case '>':  rep = "&gt;"; break;
                case '"':  rep = "&quot;"; break;
                case '\'': rep = "&#39;"; break;
                default:   break;
                }
            }
        } else if (c < 0x80) {
            if (!((flags & RIP_TEXT_NEWLINES) && (c == '\n' || c == '\t')))
                rep = "?";
        } else {
            k = utf8_len(p + i, len - i);
            if (k == 0) {
                k = 1;
                rep = "?";
            } else if (i + k > n) {
                break;  /* a character the cap would split */
            } else if (k == 2 && c == 0xc2 && p[i + 1] < 0xa0) {
                rep = "?";  /* C1 control */
            }
        }
        if (rep) {
            rc = rip_buf_add(b, s + run, i - run);
            if (rc == 0)
                rc = rip_buf_adds(b, rep);
            run = i + k;
        }
        i += k;
    }
    if (rc == 0)
        rc = rip_buf_add(b, s + run, i - run);
    if (rc == 0 && (cut || i < n))
        rc = rip_buf_adds(b, "...");
    return rc;
}

int rip_text_adds(rip_buf *b, const char *s, const char *absent, unsigned flags)
{
    if (!s)
        return absent ? rip_buf_adds(b, absent) : 0;
    return rip_text_add(b, s, strlen(s), 0, flags);
}
