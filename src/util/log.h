/* log.h — one formatted line to a caller's log callback.
 *
 * The daemon's parts (server, sources, engine, AWS client) report through
 * a `void (*log)(void *ud, const char *line)` their owner gives them; each
 * wraps this to format a line of at most RIP_LOG_LINE_MAX bytes (longer
 * text is cut) with an optional prefix.
 */
#ifndef RIPOSTE_UTIL_LOG_H
#define RIPOSTE_UTIL_LOG_H

#include <stdarg.h>

#define RIP_LOG_LINE_MAX 1024

typedef void (*rip_log_fn)(void *ud, const char *line);

/* Formats prefix (NULL: none) and fmt/ap into one line and passes it to
 * log; does nothing when log is NULL. */
void rip_vlogf(rip_log_fn log, void *ud, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
