/* fuzz-sigma-cond.c — Sigma condition strings against a fixed set of
 * selection names. Must never crash or recurse without bound. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "detect/sigma.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {
        "selection", "selection_a", "selection_b", "filter_main_x", "filter_optional",
        "keywords", "_private", "sel.with-dash",
    };
    char *cond = malloc(size + 1);
    if (!cond)
        return 0;
    memcpy(cond, data, size);
    cond[size] = '\0';
    char err[256];
    rip_sigma_condition_check(cond, names, sizeof(names) / sizeof(names[0]), err, sizeof(err));
    free(cond);
    return 0;
}
