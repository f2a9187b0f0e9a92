#include "util/log.h"

#include <stdio.h>

void rip_vlogf(rip_log_fn log, void *ud, const char *prefix, const char *fmt, va_list ap)
{
    if (!log)
        return;
    char line[RIP_LOG_LINE_MAX];
    int n = prefix ? snprintf(line, sizeof(line), "%s", prefix) : 0;
    if (n < 0 || (size_t)n >= sizeof(line))
        n = 0;
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    log(ud, line);
}
