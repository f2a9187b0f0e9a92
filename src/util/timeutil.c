#include "util/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/err.h"

#define NS_PER_SEC INT64_C(1000000000)

/* Era-based civil <-> days conversion (proleptic Gregorian calendar):
 * an era is 400 years = 146097 days, so the leap rules become arithmetic
 * on the year of era with March as the first month. */
int64_t rip_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*i]; false if any is not a digit. */
static bool digits(const char *s, size_t len, size_t *i, unsigned n, unsigned *out)
{
    unsigned v = 0;
    if (len - *i < n)
        return false;
    for (unsigned k = 0; k < n; k++) {
        char c = s[*i + k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (unsigned)(c - '0');
    }
    *i += n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t len, size_t *i, char c)
{
    if (*i < len && s[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

int rip_time_parse(const char *s, size_t len, int64_t *ns)
{
    size_t i = 0;
    unsigned year = 0, mon = 0, day = 0, hh = 0, mm = 0, ss = 0, frac = 0, oh = 0, om = 0;
    int sign = 0;

    if (!s)
        return RIP_ESYNTAX;
    if (!digits(s, len, &i, 4, &year) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &mon) || !expect(s, len, &i, '-') ||
        !digits(s, len, &i, 2, &day))
        return RIP_ESYNTAX;
    if (i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return RIP_ESYNTAX;
    i++;
    if (!digits(s, len, &i, 2, &hh) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &mm) || !expect(s, len, &i, ':') ||
        !digits(s, len, &i, 2, &ss))
        return RIP_ESYNTAX;
    if (expect(s, len, &i, '.') || expect(s, len, &i, ',')) {
        unsigned nd = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (nd < 9) {
                frac = frac * 10 + (unsigned)(s[i] - '0');
                nd++;
            }
            i++;
        }
        if (i == start || i - start > 30)
            return RIP_ESYNTAX;
        for (; nd < 9; nd++)
            frac *= 10;
    }
    if (i < len) {
        if (s[i] == 'Z' || s[i] == 'z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            sign = s[i] == '+' ? 1 : -1;
            i++;
            if (!digits(s, len, &i, 2, &oh))
                return RIP_ESYNTAX;
            if (i < len) {
                expect(s, len, &i, ':');
                if (!digits(s, len, &i, 2, &om))
                    return RIP_ESYNTAX;
            }
        }
    }
    if (i != len)
        return RIP_ESYNTAX;
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
        hh > 23 || mm > 59 || ss > 60 || oh > 23 || om > 59)
        return RIP_ERANGE;
    /* int64 nanoseconds span 1677-09-21 .. 2262-04-11; keep whole years. */
    if (year < 1678 || year > 2261)
        return RIP_ERANGE;

    int64_t days = rip_time_days_from_civil(year, mon, day);
    int64_t secs = days * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss;
    secs -= sign * ((int64_t)oh * 3600 + (int64_t)om * 60);
    *ns = secs * NS_PER_SEC + frac;
    return 0;
}

char *rip_time_format(int64_t ns, char out[RIP_TIME_FMT_MAX])
{
    int64_t secs = ns / NS_PER_SEC, frac = ns % NS_PER_SEC;
    if (frac < 0) {
        frac += NS_PER_SEC;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    /* Digits by hand: this runs once per printed hit (no snprintf). The
     * parser's range keeps y within 1678..2261; others print as 0000. */
    unsigned yy = y >= 0 && y <= 9999 ? (unsigned)y : 0;
    unsigned hh = (unsigned)(rem / 3600), mi = (unsigned)(rem / 60 % 60), ss = (unsigned)(rem % 60);
    char *o = out;
    *o++ = (char)('0' + yy / 1000);
    *o++ = (char)('0' + yy / 100 % 10);
    *o++ = (char)('0' + yy / 10 % 10);
    *o++ = (char)('0' + yy % 10);
    *o++ = '-';
    *o++ = (char)('0' + m / 10);
    *o++ = (char)('0' + m % 10);
    *o++ = '-';
    *o++ = (char)('0' + d / 10);
    *o++ = (char)('0' + d % 10);
    *o++ = 'T';
    *o++ = (char)('0' + hh / 10);
    *o++ = (char)('0' + hh % 10);
    *o++ = ':';
    *o++ = (char)('0' + mi / 10);
    *o++ = (char)('0' + mi % 10);
    *o++ = ':';
    *o++ = (char)('0' + ss / 10);
    *o++ = (char)('0' + ss % 10);
    int n = (int)(o - out);
    if (frac) {
        char f[9];
        int64_t v = frac;
        for (int k = 8; k >= 0; k--) {
            f[k] = (char)('0' + v % 10);
            v /= 10;
        }
        int fl = 9;
        while (fl > 0 && f[fl - 1] == '0')
            fl--;
        out[n++] = '.';
        for (int k = 0; k < fl; k++)
            out[n++] = f[k];
    }
    out[n++] = 'Z';
    out[n] = '\0';
    return out;
}

int rip_time_parse_when(const char *s, size_t len, int64_t now_ns, int64_t *ns)
{
    static const struct {
        char unit;
        int64_t ns;
    } units[] = {
        { 's', NS_PER_SEC },
        { 'm', 60 * NS_PER_SEC },
        { 'h', 3600 * NS_PER_SEC },
        { 'd', 86400 * NS_PER_SEC },
        { 'w', 7 * 86400 * NS_PER_SEC },
    };
    size_t i = 0;
    int64_t n = 0;

    if (len == 10 && s[4] == '-' && s[7] == '-') {
        char full[32];
        memcpy(full, s, 10);
        memcpy(full + 10, "T00:00:00Z", 10);
        return rip_time_parse(full, 20, ns);
    }
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (n > (INT64_MAX - 9) / 10)
            return RIP_ERANGE;
        n = n * 10 + (s[i] - '0');
        i++;
    }
    if (i == 0 || i + 1 != len)
        return rip_time_parse(s, len, ns);
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        if (s[i] != units[u].unit)
            continue;
        if (n > INT64_MAX / units[u].ns)
            return RIP_ERANGE;
        /* now_ns - INT64_MIN cannot overflow while now_ns is negative. */
        if (now_ns < 0 && n * units[u].ns > now_ns - INT64_MIN)
            return RIP_ERANGE;
        *ns = now_ns - n * units[u].ns;
        return 0;
    }
    return RIP_ESYNTAX;
}
