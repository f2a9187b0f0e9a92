/* fuzz-config.c — YAML text → riposte serve's configuration: load, check,
 * run the lookups a request makes (token, Slack id, channel, routes), free.
 * Must never crash, leak or hang, whatever the text. */
#include <stdint.h>
#include <stdlib.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rip_config *cfg = NULL;
    if (rip_config_load_text("fuzz.yaml", (const char *)data, size, NULL, &cfg, NULL, NULL) < 0)
        return 0;
    rip_config_user_by_token(cfg, "token");
    rip_config_user_by_slack(cfg, "U024BE7LH");
    rip_config_event_key_by_key(cfg, "key");
    rip_config_channel(cfg, "security");
    const char *types[] = { "CryptoCurrency:EC2/BitcoinTool.B!DNS" };
    rip_route_tag tags[] = { { "team", "payments" }, { "owner", "alice" } };
    rip_route_subject s = { "111122223333", types, 1, 3, tags, 2, "alice" };
    const rip_config_route *out[4];
    size_t n = rip_config_routes_for(cfg, &s, out, 4);
    for (size_t i = 0; i < n && i < 4; i++)
        for (size_t j = 0; j < out[i]->nchannels; j++)
            (void)out[i]->channels[j]->kind;
    rip_config_free(cfg);
    return 0;
}
