#include "sources/input.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

void rip_input_list_init(rip_input_list *l)
{
    memset(l, 0, sizeof(*l));
}

void rip_input_list_release(rip_input_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->count; i++)
        free(l->items[i].path);
    free(l->items);
    memset(l, 0, sizeof(*l));
}

static int errno_to_rip(int e)
{
    switch (e) {
    case ENOENT:
    case ENOTDIR:
        return RIP_ENOENT;
    case ENOMEM:
        return RIP_ENOMEM;
    case EFBIG:
    case EOVERFLOW:
        return RIP_ELIMIT;
    default:
        return RIP_EIO;
    }
}

/* Takes ownership of path on success only. */
static int list_push(rip_input_list *l, char *path, int err)
{
    if (l->count >= RIP_INPUT_MAX_ENTRIES)
        return RIP_ELIMIT;
    if (l->count == l->alloc) {
        size_t na = l->alloc ? l->alloc * 2 : 16;
        rip_input *p = realloc(l->items, na * sizeof(*p));
        if (!p)
            return RIP_ENOMEM;
        l->items = p;
        l->alloc = na;
    }
    l->items[l->count].path = path;
    l->items[l->count].err = err;
    l->count++;
    return 0;
}

static int push_copy(rip_input_list *l, const char *path, int err)
{
    char *p = strdup(path);
    if (!p)
        return RIP_ENOMEM;
    int r = list_push(l, p, err);
    if (r < 0)
        free(p);
    return r;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t k = strlen(suffix);
    return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

bool rip_input_is_yaml_name(const char *name)
{
    size_t l = strlen(name);
    return (l > 4 && !strcmp(name + l - 4, ".yml")) || (l > 5 && !strcmp(name + l - 5, ".yaml"));
}

bool rip_input_is_data_name(const char *name)
{
    size_t n = strlen(name);
    if (ends_with(name, n, ".gz"))
        return true;
    return ends_with(name, n, ".json") || ends_with(name, n, ".jsonl") ||
           ends_with(name, n, ".ndjson");
}

/* Each name read from a directory is kept as its d_type byte followed by
 * the name: readdir says what most entries are, which spares an lstat of
 * each file's full path, a walk of every component of it again (600 such
 * lstats of S3-style object paths cost about 2.3 ms here). */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 1, *(char *const *)b + 1);
}

static int expand_dir(rip_input_list *l, const char *dir, unsigned depth,
                      bool (*want)(const char *name))
{
    char **names = NULL;
    size_t n = 0, alloc = 0;
    int r = 0;
    DIR *d;
    struct dirent *e;

    if (depth >= RIP_INPUT_MAX_DEPTH)
        return push_copy(l, dir, RIP_ELIMIT);
    d = opendir(dir);
    if (!d)
        return push_copy(l, dir, errno_to_rip(errno));
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (n >= RIP_INPUT_MAX_ENTRIES) {
            r = RIP_ELIMIT;
            goto out;
        }
        if (n == alloc) {
            size_t na = alloc ? alloc * 2 : 32;
            char **p = realloc(names, na * sizeof(*p));
            if (!p) {
                r = RIP_ENOMEM;
                goto out;
            }
            names = p;
            alloc = na;
        }
        size_t len = strlen(e->d_name);
        names[n] = malloc(len + 2);
        if (names[n]) {
            names[n][0] = (char)e->d_type;
            memcpy(names[n] + 1, e->d_name, len + 1);
        }
        if (!names[n]) {
            r = RIP_ENOMEM;
            goto out;
        }
        n++;
    }
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *name = names[i] + 1;
        unsigned char type = (unsigned char)names[i][0];
        size_t dl = strlen(dir), nl = strlen(name);
        bool slash = dl && dir[dl - 1] == '/';
        char *full = malloc(dl + nl + 2);
        struct stat st;
        if (!full) {
            r = RIP_ENOMEM;
            break;
        }
        memcpy(full, dir, dl);
        if (!slash)
            full[dl++] = '/';
        memcpy(full + dl, name, nl + 1);
        if (type == DT_REG || type == DT_DIR) {
            st.st_mode = type == DT_REG ? S_IFREG : S_IFDIR;
        } else if (lstat(full, &st) != 0) {   /* a link, or a type not given */
            r = list_push(l, full, errno_to_rip(errno));
            if (r < 0)
                free(full);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            r = expand_dir(l, full, depth + 1, want);
            free(full);
            continue;
        }
        /* Follow a link to a file, never one to a directory. */
        if (S_ISLNK(st.st_mode) && (stat(full, &st) != 0 || !S_ISREG(st.st_mode))) {
            free(full);
            continue;
        }
        if (!S_ISREG(st.st_mode) || !want(name)) {
            free(full);
            continue;
        }
        r = list_push(l, full, 0);
        if (r < 0)
            free(full);
    }
out:
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    closedir(d);
    return r;
}

int rip_input_expand_names(rip_input_list *l, const char *path, bool (*want)(const char *name))
{
    struct stat st;

    if (!strcmp(path, "-"))
        return push_copy(l, path, 0);
    if (stat(path, &st) != 0)
        return push_copy(l, path, errno_to_rip(errno));
    if (S_ISDIR(st.st_mode))
        return expand_dir(l, path, 0, want);
    return push_copy(l, path, 0);
}

int rip_input_expand(rip_input_list *l, const char *path)
{
    return rip_input_expand_names(l, path, rip_input_is_data_name);
}

int rip_input_read(const char *path, size_t max, rip_buf *out)
{
    size_t start = out->len;
    int fd, r = 0;
    bool is_stdin = !strcmp(path, "-");
    struct stat st;

    fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno_to_rip(errno);
    if (fstat(fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            r = RIP_EIO;
            goto out;
        }
        if (S_ISREG(st.st_mode)) {
            if ((uint64_t)st.st_size > max) {
                r = RIP_ELIMIT;
                goto out;
            }
            r = rip_buf_grow(out, (size_t)st.st_size);
            if (r < 0)
                goto out;
        }
    }
    for (;;) {
        if (out->len - start >= max) {
            /* At the cap: one more byte means the input is too large. */
            char c;
            ssize_t k = read(fd, &c, 1);
            if (k > 0)
                r = RIP_ELIMIT;
            else if (k < 0 && errno != EINTR)
                r = RIP_EIO;
            else if (k < 0)
                continue;
            break;
        }
        size_t want = 65536;
        if (want > max - (out->len - start))
            want = max - (out->len - start);
        r = rip_buf_grow(out, want);
        if (r < 0)
            goto out;
        ssize_t k = read(fd, out->ptr + out->len, want);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            r = RIP_EIO;
            goto out;
        }
        if (k == 0)
            break;
        out->len += (size_t)k;
        out->ptr[out->len] = '\0';
    }
out:
    if (r < 0) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    if (!is_stdin)
        close(fd);
    return r;
}

bool rip_input_is_gzip(const void *data, size_t len)
{
    const unsigned char *p = data;
    return len >= 2 && p[0] == 0x1f && p[1] == 0x8b;
}

#define GZIP_MIN_MEMBER 18   /* 10-byte header + 8-byte trailer */

int rip_input_gunzip(const void *data, size_t len, size_t max_out, rip_buf *out)
{
    const unsigned char *in = data;
    size_t start = out->len, pos = 0;
    int r = 0;
    struct libdeflate_decompressor *z = libdeflate_alloc_decompressor();

    if (!z)
        return RIP_ENOMEM;
    while (pos < len) {
        size_t rest = len - pos;
        /* Zero padding after the last member (some writers pad blocks). */
        size_t k = 0;
        while (k < rest && in[pos + k] == 0)
            k++;
        if (k == rest && pos > 0)
            break;
        if (!rip_input_is_gzip(in + pos, rest)) {
            r = RIP_ESYNTAX;
            goto out;
        }
        if (rest < GZIP_MIN_MEMBER) {
            r = RIP_ETRUNC;
            goto out;
        }
        /* First guess: the trailer's ISIZE (size mod 2^32) of the last
         * member, at least 4x the input; doubled on each shortfall. */
        const unsigned char *t = in + len - 4;
        size_t guess = (size_t)t[0] | (size_t)t[1] << 8 | (size_t)t[2] << 16 |
                       (size_t)t[3] << 24;
        if (guess < rest * 4)
            guess = rest * 4;
        if (guess < 4096)
            guess = 4096;
        for (;;) {
            size_t produced = out->len - start;
            size_t room = max_out - produced;
            if (guess > room)
                guess = room;
            r = rip_buf_grow(out, guess);
            if (r < 0)
                goto out;
            size_t in_used = 0, out_made = 0;
            enum libdeflate_result res = libdeflate_gzip_decompress_ex(
                z, in + pos, rest, out->ptr + out->len, guess, &in_used, &out_made);
            if (res == LIBDEFLATE_SUCCESS) {
                out->len += out_made;
                out->ptr[out->len] = '\0';
                pos += in_used;
                break;
            }
            if (res != LIBDEFLATE_INSUFFICIENT_SPACE) {
                r = RIP_ESYNTAX;
                goto out;
            }
            if (guess >= room) {
                r = RIP_ELIMIT;
                goto out;
            }
            guess = guess > SIZE_MAX / 2 ? SIZE_MAX : guess * 2;
        }
    }
out:
    if (r < 0) {
        out->len = start;
        out->ptr[start] = '\0';
    }
    libdeflate_free_decompressor(z);
    return r;
}

int rip_input_open(rip_input_reader *r, const char *path)
{
    r->eof = false;
    if (!strcmp(path, "-")) {
        r->fd = 0;
        r->owned = false;
        return 0;
    }
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    r->owned = r->fd >= 0;
    if (r->fd < 0)
        return errno == ENOENT || errno == ENOTDIR ? RIP_ENOENT : RIP_EIO;
    return 0;
}

int rip_input_read_some(rip_input_reader *r, rip_buf *out, size_t n)
{
    int rc = rip_buf_grow(out, n);
    if (rc < 0)
        return rc;
    size_t got = 0;
    while (got < n && !r->eof) {
        ssize_t k = read(r->fd, out->ptr + out->len, n - got);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            out->ptr[out->len] = '\0';
            return RIP_EIO;
        }
        if (k == 0) {
            r->eof = true;
            break;
        }
        out->len += (size_t)k;
        got += (size_t)k;
    }
    out->ptr[out->len] = '\0';
    return 0;
}

void rip_input_close(rip_input_reader *r)
{
    if (r->owned && r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    r->owned = false;
}
