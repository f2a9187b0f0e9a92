/* timeutil.h — timestamps as int64 nanoseconds since the Unix epoch, UTC.
 *
 * Parsing accepts RFC 3339 / ISO 8601 date-times as cloud logs write them:
 *   YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM|±HH]
 * 'T' may be 't' or a space; 'Z' may be 'z'; no offset at all means UTC
 * (Panther and Athena dumps write "2023-01-10 21:04:02"). Up to 9 fraction
 * digits are kept, further digits are ignored. A leap second (:60) is
 * accepted and counted as the next second. Years outside 1678..2261 do not
 * fit in int64 nanoseconds and are RIP_ERANGE. Nothing is allocated.
 */
#ifndef RIPOSTE_UTIL_TIMEUTIL_H
#define RIPOSTE_UTIL_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Longest text rip_time_format() writes, NUL included. */
#define RIP_TIME_FMT_MAX 40

/* Parses exactly len bytes of s. Returns 0 and sets *ns, RIP_ESYNTAX when
 * the text is not a date-time, RIP_ERANGE when a field is out of range or
 * the instant does not fit. *ns is written only on success. */
int rip_time_parse(const char *s, size_t len, int64_t *ns);

/* Parses a point in time as a person gives it on a command line: an RFC
 * 3339 date-time (as rip_time_parse()), a date alone "YYYY-MM-DD" (midnight
 * UTC), or an age before now_ns: a whole number and a unit, s, m, h, d or w
 * ("90m", "24h", "7d"). Returns 0 and sets *ns, RIP_ESYNTAX when the text is
 * none of these, RIP_ERANGE when it does not fit. *ns is written only on
 * success. */
int rip_time_parse_when(const char *s, size_t len, int64_t now_ns, int64_t *ns);

/* Writes ns as RFC 3339 UTC ("2024-03-01T12:00:05.25Z": the fraction is
 * present only when non-zero, trailing zeros trimmed) into out, which holds
 * RIP_TIME_FMT_MAX bytes. Returns out. */
char *rip_time_format(int64_t ns, char out[RIP_TIME_FMT_MAX]);

/* Days since 1970-01-01 of a proleptic Gregorian date (no range check). */
int64_t rip_time_days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
