/* replay.c — runs LLVMFuzzerTestOneInput over files and folders given on
 * the command line, so the committed corpora and crash inputs are replayed
 * by every `make check` without libFuzzer. Prints a tap line per target. */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* When an input crashes the target, say which one: from the sanitizers'
 * death callback when they are linked in, else from a signal handler (which
 * would hide ASan's own report, so it is only installed without them). */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

static const char *current_input;

static void say_current_input(void)
{
    if (!current_input)
        return;
    static const char msg[] = "replay: crashing input: ";
    (void)!write(2, msg, sizeof(msg) - 1);
    (void)!write(2, current_input, strlen(current_input));
    (void)!write(2, "\n", 1);
}

static void on_fatal_signal(int sig)
{
    say_current_input();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void watch_for_crashes(void)
{
    if (__sanitizer_set_death_callback) {
        __sanitizer_set_death_callback(say_current_input);
        return;
    }
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], on_fatal_signal);
}

static long run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open '%s'\n", path);
        return -1;
    }
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return -1;
    /* Copy to an exact-size allocation so ASan sees overreads. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    current_input = path;
    LLVMFuzzerTestOneInput(exact, len);
    current_input = NULL;
    free(exact);
    return 1;
}

static long run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: cannot stat '%s'\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    long total = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char sub[4096];
        snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
        long r = run_path(sub);
        if (r < 0) {
            total = -1;
            break;
        }
        total += r;
    }
    closedir(d);
    return total;
}

int main(int argc, char **argv)
{
    long total = 0;
    watch_for_crashes();
    for (int i = 1; i < argc; i++) {
        long r = run_path(argv[i]);
        if (r < 0) {
            printf("not ok - replay %s\n", argv[i]);
            return 1;
        }
        total += r;
    }
    printf("ok - replayed %ld inputs\n", total);
    return total > 0 ? 0 : 1;
}
