/* cli.h — helpers for tests that drive the real riposte binary as a user
 * would: run a command line and capture its output, write input files. */
#ifndef RIPOSTE_TESTS_CLI_H
#define RIPOSTE_TESTS_CLI_H

#include <stdio.h>
#include <sys/wait.h>

#include "util/buf.h"

/* Runs a shell command line; appends its stdout to out (if non-NULL) and
 * returns the exit status, or -1 when it did not exit normally. */
__attribute__((unused))
static int tcli_run(const char *cmd, rip_buf *out)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return -1;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
        if (out)
            rip_buf_add(out, buf, n);
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Writes text to dir/name (best effort: a missing file fails the checks
 * that read it). */
__attribute__((unused))
static void tcli_write(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Number of lines (newlines) in b. */
__attribute__((unused))
static size_t tcli_count_lines(const rip_buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += b->ptr[i] == '\n';
    return n;
}

#endif
