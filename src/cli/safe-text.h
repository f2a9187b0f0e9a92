/* safe-text.h — text from hostile records made safe to print or embed.
 *
 * What is replaced: C0 control characters (except newline and tab when
 * RIP_TEXT_NEWLINES is given), DEL, C1 control characters (U+0080..U+009F,
 * which some terminals obey) and bytes that are not well-formed UTF-8. Each
 * becomes one '?' (RIP_TEXT_NEWLINES: a newline stays, a tab stays). So a
 * log record cannot move the cursor, recolour the terminal or hide text.
 */
#ifndef RIPOSTE_CLI_SAFE_TEXT_H
#define RIPOSTE_CLI_SAFE_TEXT_H

#include <stddef.h>

#include "util/buf.h"

enum {
    RIP_TEXT_NEWLINES = 1 << 0,  /* keep '\n' and '\t' */
    RIP_TEXT_HTML = 1 << 1,      /* also & < > " ' as character references */
};

/* Appends len bytes of s, made safe as above. max > 0 keeps at most max
 * bytes of s (cut at a character boundary) and appends "..." when it cuts.
 * s NULL appends nothing. 0 or RIP_ELIMIT/RIP_ENOMEM (b unchanged then is
 * not guaranteed: part of s may be appended). */
int rip_text_add(rip_buf *b, const char *s, size_t len, size_t max, unsigned flags);

/* rip_text_add() of a NUL-terminated string; NULL appends `absent`. */
int rip_text_adds(rip_buf *b, const char *s, const char *absent, unsigned flags);

#endif
