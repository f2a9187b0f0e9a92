/* json-bench.c — riposte's JSON parser against cJSON on the same CloudTrail
 * objects, in the same run.
 *
 * Input: a file of {"Records":[...]} objects, one per line, as written by
 * `bench/gen-cloudtrail.py --records-json FILE --mb M`. Each line is copied
 * into its own heap buffer (as S3 objects arrive one by one), up to --mb
 * megabytes. Every buffer is then parsed by
 *   riposte: rip_json_parse() into one reused rip_json_doc;
 *   cJSON:   cJSON_ParseWithLength() + cJSON_Delete();
 * for --rounds rounds each, and the best round is reported. The "parse +
 * touch" variant also reads eventName, eventSource and userIdentity.arn of
 * every record (decoded strings), as a detector does at minimum; the two
 * parsers' field checksums must agree.
 *
 * Prints figures only; it never asserts timing (exit 0 unless the input is
 * unusable or the parsers disagree).
 *
 * usage: json-bench [--mb M] [--rounds N] FILE */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/json.h"

typedef struct bench_input {
    char **buf;
    size_t *len;
    size_t count;
    size_t bytes;
} bench_input;

typedef struct touch_sum {
    uint64_t records;
    uint64_t chars;   /* sum of decoded lengths of the touched fields */
    uint64_t hash;    /* sum of their first bytes, to keep the reads live */
} touch_sum;

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int load_input(const char *path, size_t max_bytes, bench_input *in)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "json-bench: cannot open '%s'\n", path);
        return -1;
    }
    size_t cap = 0;
    char *line = NULL;
    ssize_t n;
    size_t alloc = 0;
    memset(in, 0, sizeof(*in));
    while (in->bytes < max_bytes && (n = getline(&line, &cap, f)) > 0) {
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (n == 0)
            continue;
        if (in->count == alloc) {
            alloc = alloc ? alloc * 2 : 1024;
            char **nb = realloc(in->buf, alloc * sizeof(*nb));
            size_t *nl = nb ? realloc(in->len, alloc * sizeof(*nl)) : NULL;
            if (!nb || !nl) {
                fprintf(stderr, "json-bench: out of memory\n");
                fclose(f);
                free(line);
                return -1;
            }
            in->buf = nb;
            in->len = nl;
        }
        char *b = malloc((size_t)n + 1);
        if (!b) {
            fprintf(stderr, "json-bench: out of memory\n");
            fclose(f);
            free(line);
            return -1;
        }
        memcpy(b, line, (size_t)n);
        b[n] = '\0';
        in->buf[in->count] = b;
        in->len[in->count] = (size_t)n;
        in->count++;
        in->bytes += (size_t)n;
    }
    free(line);
    fclose(f);
    if (in->count == 0) {
        fprintf(stderr, "json-bench: '%s' holds no JSON objects\n", path);
        return -1;
    }
    return 0;
}

static void add_str(touch_sum *s, rip_slice v)
{
    s->chars += v.len;
    if (v.len)
        s->hash += (unsigned char)v.ptr[0];
}

/* One pass of riposte over every buffer. Returns seconds, or < 0 on a
 * parse error (reported). */
static double run_riposte(const bench_input *in, rip_json_doc *d, int touch, touch_sum *sum)
{
    rip_json_error err;
    double t0 = now_sec();
    for (size_t i = 0; i < in->count; i++) {
        int rc = rip_json_parse(d, in->buf[i], in->len[i], &err);
        if (rc != 0) {
            fprintf(stderr, "json-bench: riposte: object %zu: line %u column %u: %s\n", i, err.line,
                    err.column, err.msg);
            return -1;
        }
        if (!touch)
            continue;
        const rip_json_node *recs = rip_json_get(rip_json_root(d), "Records");
        if (!rip_json_is(recs, RIP_JSON_ARRAY))
            continue;
        RIP_JSON_EACH(rec, recs) {
            sum->records++;
            add_str(sum, rip_json_str(d, rip_json_get(rec, "eventName")));
            add_str(sum, rip_json_str(d, rip_json_get(rec, "eventSource")));
            add_str(sum, rip_json_str(d, rip_json_path(rec, "userIdentity.arn")));
        }
    }
    return now_sec() - t0;
}

static void add_cjson(touch_sum *s, const cJSON *v)
{
    if (cJSON_IsString(v) && v->valuestring) {
        size_t n = strlen(v->valuestring);
        s->chars += n;
        if (n)
            s->hash += (unsigned char)v->valuestring[0];
    }
}

static double run_cjson(const bench_input *in, int touch, touch_sum *sum)
{
    double t0 = now_sec();
    for (size_t i = 0; i < in->count; i++) {
        cJSON *root = cJSON_ParseWithLength(in->buf[i], in->len[i]);
        if (!root) {
            fprintf(stderr, "json-bench: cJSON: object %zu does not parse\n", i);
            return -1;
        }
        if (touch) {
            const cJSON *recs = cJSON_GetObjectItemCaseSensitive(root, "Records");
            const cJSON *rec;
            cJSON_ArrayForEach(rec, recs) {
                sum->records++;
                add_cjson(sum, cJSON_GetObjectItemCaseSensitive(rec, "eventName"));
                add_cjson(sum, cJSON_GetObjectItemCaseSensitive(rec, "eventSource"));
                add_cjson(sum, cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(rec, "userIdentity"), "arn"));
            }
        }
        cJSON_Delete(root);
    }
    return now_sec() - t0;
}

static void usage(void)
{
    fprintf(stderr, "usage: json-bench [--mb M] [--rounds N] FILE\n"
                    "FILE: {\"Records\":[...]} objects, one per line "
                    "(bench/gen-cloudtrail.py --records-json FILE --mb M)\n");
}

int main(int argc, char **argv)
{
    double mb = 200;
    int rounds = 5;
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
            mb = atof(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = atoi(argv[++i]);
        else if (argv[i][0] == '-') {
            usage();
            return 2;
        } else
            path = argv[i];
    }
    if (!path || mb <= 0 || rounds < 1) {
        usage();
        return 2;
    }

    bench_input in;
    if (load_input(path, (size_t)(mb * 1e6), &in) != 0)
        return 2;

    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    int status = 0;
    printf("json-bench: %zu objects, %.1f MB of CloudTrail JSON, best of %d rounds, one core\n",
           in.count, (double)in.bytes / 1e6, rounds);

    static const char *const names[2] = { "parse", "parse + touch" };
    for (int touch = 0; touch < 2 && status == 0; touch++) {
        double best_r = 1e30, best_c = 1e30;
        touch_sum sr = { 0 }, sc = { 0 };
        for (int round = 0; round < rounds; round++) {
            /* Alternate the order so neither parser always runs on a warm cache. */
            for (int k = 0; k < 2; k++) {
                touch_sum tmp = { 0 };
                double t;
                if ((round + k) % 2 == 0) {
                    t = run_riposte(&in, &d, touch, &tmp);
                    if (t >= 0 && t < best_r)
                        best_r = t;
                    sr = tmp;
                } else {
                    t = run_cjson(&in, touch, &tmp);
                    if (t >= 0 && t < best_c)
                        best_c = t;
                    sc = tmp;
                }
                if (t < 0) {
                    status = 2;
                    goto out;
                }
            }
        }
        if (touch && (sr.records != sc.records || sr.chars != sc.chars || sr.hash != sc.hash)) {
            fprintf(stderr,
                    "json-bench: parsers disagree: riposte %llu records %llu chars, "
                    "cJSON %llu records %llu chars\n",
                    (unsigned long long)sr.records, (unsigned long long)sr.chars,
                    (unsigned long long)sc.records, (unsigned long long)sc.chars);
            status = 1;
        }
        double r = (double)in.bytes / 1e6 / best_r, c = (double)in.bytes / 1e6 / best_c;
        printf("%-14s riposte-json %7.1f MB/s   cJSON %6.1f MB/s   ratio %5.2fx", names[touch], r, c, r / c);
        if (touch)
            printf("   (%llu records)", (unsigned long long)sr.records);
        printf("\n");
    }
    printf("target (issue 2): riposte-json >= 1000 MB/s and >= 2.5x cJSON on one core\n");
out:
    rip_json_doc_release(&d);
    for (size_t i = 0; i < in.count; i++)
        free(in.buf[i]);
    free(in.buf);
    free(in.len);
    return status;
}
