/* fuzz-playbook.c — YAML text → a playbook: load, check, and match a fixed
 * subject against whatever loaded. Must never crash, leak or hang, whatever
 * the text. */
#include <stdint.h>
#include <stdlib.h>

#include "respond/playbook.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
    for (size_t i = 0; i < rip_playbook_count(s); i++)
        rip_playbook_matches(rip_playbook_at(s, i), &sub);
    rip_playbook_set_free(s);
    return 0;
}
