/* tap.h — the tiny test protocol every riposte test binary speaks.
 *
 * Each check prints one line: "ok - NAME", "not ok - NAME: why" or
 * "skip - NAME # why". tests/run counts them; the binary's exit status is 1
 * when any check failed. A check that needs ../shared/corpus and cannot find
 * it is a skip, which tests/run turns into a failure when CI is set.
 */
#ifndef RIPOSTE_TESTS_TAP_H
#define RIPOSTE_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int tap_failed_, tap_passed_, tap_skipped_;

__attribute__((format(printf, 2, 3), unused))
static int tap_check(int cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(cond ? "ok - " : "not ok - ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    if (cond)
        tap_passed_++;
    else
        tap_failed_++;
    fflush(stdout);
    return cond;
}

__attribute__((format(printf, 1, 2), unused))
static void tap_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("skip - ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    tap_skipped_++;
    fflush(stdout);
}

/* Prints a diagnostic line (ignored by the counter). */
__attribute__((format(printf, 1, 2), unused))
static void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("# ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

/* The corpus root: $RIPOSTE_CORPUS, else ../shared/corpus relative to the
 * source tree (RIPOSTE_SOURCE_ROOT is set by meson), or NULL if absent. */
__attribute__((unused))
static const char *tap_corpus(void)
{
    static char path[4096];
    const char *env = getenv("RIPOSTE_CORPUS");
    struct stat st;
    if (env && *env) {
        snprintf(path, sizeof(path), "%s", env);
    } else {
#ifdef RIPOSTE_SOURCE_ROOT
        snprintf(path, sizeof(path), "%s/../shared/corpus", RIPOSTE_SOURCE_ROOT);
#else
        snprintf(path, sizeof(path), "../shared/corpus");
#endif
    }
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return NULL;
    return path;
}

__attribute__((unused))
static int tap_done(void)
{
    printf("# %d passed, %d failed, %d skipped\n", tap_passed_, tap_failed_, tap_skipped_);
    return tap_failed_ ? 1 : 0;
}

#define CHECK(cond, ...) tap_check(!!(cond), __VA_ARGS__)

#endif
