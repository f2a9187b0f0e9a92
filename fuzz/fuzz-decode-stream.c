/* fuzz-decode-stream.c — differential check of the record-by-record path of
 * rip_decode_buffer() (decode.c, decode_records_stream()) against the
 * whole-document path: the same input decoded with on_rollback set and
 * without must deliver the same events and record errors, in the same
 * order, with the same return value and stats. What the stream delivered
 * before a rollback is dropped, as `riposte scan` drops it. Runs under two
 * sets of limits (small, and tiny so that the depth, member and node limits
 * are reached at every position). A difference aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize/decode.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct transcript {
    rip_buf text;       /* one line per event or record error */
    rip_buf line;
    int rollbacks;
} transcript;

static int on_event(void *ud, const rip_event *ev)
{
    transcript *t = ud;
    rip_jw w;
    rip_buf_reset(&t->line);
    rip_jw_init(&w, &t->line);
    rip_event_write_json(&w, ev, 1);
    (void)rip_jw_finish(&w);
    rip_buf_addf(&t->text, "event %llu %s\n", (unsigned long long)ev->input_index, t->line.ptr);
    return 0;
}

static void on_error(void *ud, const rip_decode_error *e)
{
    transcript *t = ud;
    rip_buf_addf(&t->text, "error %llu %llu %llu %d %s\n", (unsigned long long)e->index,
                 (unsigned long long)e->line, (unsigned long long)e->column, e->whole_input,
                 e->reason);
}

static void on_rollback(void *ud)
{
    transcript *t = ud;
    rip_buf_reset(&t->text);   /* one rip_decode_buffer() call per transcript */
    t->rollbacks++;
}

static int run(const uint8_t *data, size_t size, const rip_json_limits *lim, bool stream,
               transcript *t, rip_decode_stats *stats)
{
    rip_decoder dec;
    rip_decoder_init(&dec, on_event, on_error, t, lim);
    dec.max_inflated = 4 << 20;
    if (stream)
        dec.on_rollback = on_rollback;
    int rc = rip_decode_buffer(&dec, "fuzz", (const char *)data, size);
    *stats = dec.stats;
    rip_decoder_release(&dec);
    return rc;
}

static void compare(const uint8_t *data, size_t size, const rip_json_limits *lim)
{
    transcript a = { RIP_BUF_INIT, RIP_BUF_INIT, 0 }, b = { RIP_BUF_INIT, RIP_BUF_INIT, 0 };
    rip_decode_stats sa, sb;
    int ra = run(data, size, lim, false, &a, &sa);
    int rb = run(data, size, lim, true, &b, &sb);
    if (ra != rb || strcmp(a.text.ptr, b.text.ptr) != 0 || sa.decoded != sb.decoded ||
        sa.skipped != sb.skipped || sa.errors != sb.errors || b.rollbacks > 1) {
        fprintf(stderr, "decode-stream: the paths differ (rc %d/%d, rollbacks %d)\n"
                "--- whole document:\n%s--- record by record:\n%s", ra, rb, b.rollbacks,
                a.text.ptr, b.text.ptr);
        abort();
    }
    rip_buf_release(&a.text);
    rip_buf_release(&a.line);
    rip_buf_release(&b.text);
    rip_buf_release(&b.line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const rip_json_limits small = {
        .max_size = 1 << 20, .max_depth = 64, .max_members = 4096, .max_nodes = 1 << 16,
    };
    static const rip_json_limits tiny = {
        .max_size = 1 << 20, .max_depth = 4, .max_members = 3, .max_nodes = 24,
    };
    compare(data, size, &small);
    compare(data, size, &tiny);
    return 0;
}
