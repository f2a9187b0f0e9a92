/* fuzz-slack-interaction.c — a form body → rip_slack_parse_interaction(),
 * then the button value it carries → rip_slack_parse_button_value(), and
 * the same bytes as a signed request → rip_slack_verify(). Must never
 * crash, leak or read out of bounds, whatever the bytes. */
#include <stdint.h>
#include <string.h>

#include "notify/slack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rip_slack_interaction in;
    char why[256];
    if (rip_slack_parse_interaction((const char *)data, size, &in, why, sizeof(why)) == 0) {
        int64_t run;
        char step[128];
        rip_slack_parse_button_value(in.value, &run, step, sizeof(step));
    }
    rip_slack_verify("fuzz-secret", "1700000000",
                     "v0=0000000000000000000000000000000000000000000000000000000000000000",
                     (const char *)data, size, 1700000000, why, sizeof(why));
    return 0;
}
