/* fuzz-decode.c — rip_decode_buffer() over arbitrary bytes: sniffing,
 * gunzip, NDJSON recovery, every container and record decoder, and both
 * event writers on whatever comes out. Limits are small so deep or huge
 * inputs hit them quickly. */
#include <stdint.h>
#include <string.h>

#include "normalize/decode.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *ud, const rip_event *ev)
{
    rip_buf *out = ud;
    rip_jw w;
    rip_buf_reset(out);
    rip_jw_init(&w, out);
    rip_event_write_json(&w, ev, 1);
    (void)rip_jw_finish(&w);
    rip_buf_reset(out);
    (void)rip_event_write_text(out, ev);
    return 0;
}

static void on_error(void *ud, const rip_decode_error *e)
{
    (void)ud;
    /* Touch the reason: it must be a valid string during the callback. */
    volatile size_t n = strlen(e->reason);
    (void)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const rip_json_limits lim = {
        .max_size = 1 << 20, .max_depth = 64, .max_members = 4096, .max_nodes = 1 << 16,
    };
    rip_buf out = RIP_BUF_INIT;
    rip_decoder dec;

    rip_decoder_init(&dec, on_event, on_error, &out, &lim);
    dec.max_inflated = 4 << 20;
    (void)rip_decode_buffer(&dec, "fuzz", (const char *)data, size);
    rip_decoder_release(&dec);
    rip_buf_release(&out);
    return 0;
}
