/* fuzz-playbook.c — YAML text → a playbook: load, check, match a fixed
 * subject against whatever loaded, and render every template and `when`
 * condition of it as the run engine does (each reference resolving to a
 * fixed value). Must never crash, leak or hang, whatever the text. */
#include <stdint.h>
#include <stdlib.h>

#include "respond/playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int resolve(void *ud, const char *const *parts, size_t nparts, rip_buf *out)
{
    (void)ud;
    (void)parts;
    return nparts > 2 && rip_buf_add(out, "v", 1) ? -1 : 0;
}

static void render(const char *t)
{
    rip_buf b = RIP_BUF_INIT;
    if (t)
        rip_pb_template_render(t, resolve, NULL, &b);
    rip_buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rip_playbook_set *s = rip_playbook_set_new(NULL, NULL);
    if (!s)
        return 0;
    rip_playbook_load_text(s, "fuzz.yml", (const char *)data, size);
    const char *types[] = { "CryptoCurrency:EC2/BitcoinTool.B!DNS" };
    const char *ids[] = { "x" };
    rip_pb_kv tags[] = { { "env", "prod", 0 } };
    rip_pb_subject sub = { types, 1, ids, 1, NULL, 0, 3, "111122223333", tags, 1 };
    for (size_t i = 0; i < rip_playbook_count(s); i++) {
        const rip_playbook *pb = rip_playbook_at(s, i);
        rip_playbook_matches(pb, &sub);
        for (size_t k = 0; k < pb->nsteps; k++) {
            const rip_pb_step *st = &pb->steps[k];
            for (size_t j = 0; j < st->nparams; j++)
                render(st->params[j].value);
            render(st->notify_message);
            render(st->verify_equals);
            bool v;
            if (st->when)
                rip_pb_condition_eval(st->when, resolve, NULL, &v);
        }
    }
    rip_playbook_set_free(s);
    return 0;
}
