/* fuzz-aws-accounts.c — the accounts list of riposte.yaml (aws-accounts.c)
 * on hostile bytes: it must load or fail with a file:line message, within
 * its limits. The loader reads a path, so each input goes through a
 * temporary file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/aws-accounts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/riposte-fuzz-accounts-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    rip_aws_accounts a = { 0 };
    char err[1024];
    if (rip_aws_accounts_load(&a, path, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < a.n; i++)
            if (strlen(a.v[i].id) != 12 || a.v[i].nregions > RIP_AWS_ACCOUNT_MAX_LIST ||
                a.v[i].nallow > RIP_AWS_ACCOUNT_MAX_LIST)
                abort();
    } else if (!strstr(err, "riposte-fuzz-accounts")) {
        abort(); /* every error names the file */
    }
    rip_aws_accounts_release(&a);
    unlink(path);
    return 0;
}
