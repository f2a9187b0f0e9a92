/* scan-ceiling.c — the floor cost of scanning gzipped CloudTrail objects:
 * read each file, inflate it with libdeflate, search it once for a literal.
 * Nothing can hunt through the same objects faster than this on one thread,
 * so bench/scan.sh reports riposte's throughput as a fraction of it.
 *
 * usage: scan-ceiling LITERAL FILE...     prints matches and bytes inflated */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* memmem */
#endif
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
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
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: scan-ceiling LITERAL FILE...\n");
        return 2;
    }
    const char *lit = argv[1];
    size_t litlen = strlen(lit);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    size_t outcap = 64 << 20;
    unsigned char *out = malloc(outcap);
    uint64_t matches = 0, inflated = 0;
    for (int i = 2; i < argc; i++) {
        size_t len;
        unsigned char *in = read_file(argv[i], &len);
        if (!in) {
            fprintf(stderr, "scan-ceiling: cannot read %s\n", argv[i]);
            return 2;
        }
        /* gzip keeps the inflated size mod 2^32 in its last four bytes. */
        size_t want = len >= 4 ? (size_t)in[len - 4] | (size_t)in[len - 3] << 8 |
                                     (size_t)in[len - 2] << 16 | (size_t)in[len - 1] << 24
                               : 0;
        if (want + 1 > outcap) {
            outcap = want + 1;
            out = realloc(out, outcap);
        }
        size_t actual = 0;
        if (libdeflate_gzip_decompress(d, in, len, out, outcap, &actual) != LIBDEFLATE_SUCCESS) {
            fprintf(stderr, "scan-ceiling: cannot inflate %s\n", argv[i]);
            return 2;
        }
        inflated += actual;
        const unsigned char *p = out, *end = out + actual;
        while ((p = memmem(p, (size_t)(end - p), lit, litlen)) != NULL) {
            matches++;
            p += litlen;
        }
        free(in);
    }
    printf("%llu matches in %llu bytes\n", (unsigned long long)matches,
           (unsigned long long)inflated);
    libdeflate_free_decompressor(d);
    free(out);
    return 0;
}
