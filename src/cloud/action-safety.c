/* action-safety.c — blast-radius cap and allow lists. See action-safety.h. */
#include "cloud/action-safety.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"

int rip_action_state_dir(char *out, size_t cap)
{
    const char *x = getenv("XDG_STATE_HOME");
    const char *h = getenv("HOME");
    int n;
    if (x && *x == '/')
        n = snprintf(out, cap, "%s/riposte", x);
    else if (h && *h)
        n = snprintf(out, cap, "%s/.local/state/riposte", h);
    else
        return RIP_ENOENT;
    return n < 0 || (size_t)n >= cap ? RIP_ELIMIT : 0;
}

/* mkdir -p, 0700 for the directories it creates. */
static int mkdirs(const char *dir)
{
    char p[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof(p))
        return -1;
    memcpy(p, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == '\0') {
            char c = p[i];
            p[i] = '\0';
            if (mkdir(p, 0700) < 0 && errno != EEXIST)
                return -1;
            p[i] = c;
        }
    }
    return 0;
}

static int fail(char *why, size_t cap, int rc, const char *fmt, const char *a, const char *b)
{
    snprintf(why, cap, fmt, a, b);
    return rc;
}

int rip_action_budget_take(const char *dir, const char *account, const char *action, int cap,
                           time_t now, bool take, int *used, time_t *next_free, char *why,
                           size_t whycap)
{
    char path[4200];
    rip_buf text, kept;
    int fd = -1, rc = 0, count = 0;
    time_t oldest = 0;

    *used = 0;
    *next_free = 0;
    if (!account || !*account || strpbrk(account, " \n") || strpbrk(action, " \n"))
        return fail(why, whycap, RIP_EINVAL, "invalid account '%s' or action '%s'",
                    account ? account : "", action);
    if (mkdirs(dir) < 0)
        return fail(why, whycap, RIP_EIO, "cannot create state directory '%s': %s", dir,
                    strerror(errno));
    snprintf(path, sizeof(path), "%s/%s", dir, RIP_ACTION_BUDGET_FILE);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(why, whycap, RIP_EIO, "cannot open '%s': %s", path, strerror(errno));
    rip_buf_init(&text, RIP_ACTION_BUDGET_MAX_BYTES + 1);
    rip_buf_init(&kept, RIP_ACTION_BUDGET_MAX_BYTES + 512);
    if (flock(fd, LOCK_EX) < 0) {
        rc = fail(why, whycap, RIP_EIO, "cannot lock '%s': %s", path, strerror(errno));
        goto out;
    }
    char chunk[8192];
    ssize_t got;
    while ((got = read(fd, chunk, sizeof(chunk))) > 0)
        if (rip_buf_add(&text, chunk, (size_t)got) < 0) {
            rc = fail(why, whycap, RIP_ELIMIT, "'%s' is larger than 1 MiB%s; remove it", path, "");
            goto out;
        }
    if (got < 0) {
        rc = fail(why, whycap, RIP_EIO, "cannot read '%s': %s", path, strerror(errno));
        goto out;
    }
    unsigned lineno = 0;
    for (char *line = text.ptr; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char acct[128], act[128];
        long long t;
        if (sscanf(line, "%lld %127s %127s", &t, acct, act) != 3) {
            char where[32];
            snprintf(where, sizeof(where), "%u", lineno);
            rc = fail(why, whycap, RIP_ESYNTAX,
                      "'%s' line %s: expected '<unix time> <account> <action>'", path, where);
            goto out;
        }
        if ((time_t)t > now - RIP_ACTION_BUDGET_WINDOW && (time_t)t <= now + 60) {
            rip_buf_adds(&kept, line);
            rip_buf_addc(&kept, '\n');
            if (!strcmp(acct, account)) {
                if (count == 0 || (time_t)t < oldest)
                    oldest = (time_t)t;
                count++;
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    *used = count;
    if (cap > 0 && count >= cap) {
        *next_free = oldest + RIP_ACTION_BUDGET_WINDOW;
        rc = 1;
    } else if (take) {
        rip_buf_addf(&kept, "%lld %s %s\n", (long long)now, account, action);
    }
    if (kept.len != text.len || memcmp(kept.ptr, text.ptr, kept.len)) {
        if (ftruncate(fd, 0) < 0 || pwrite(fd, kept.ptr, kept.len, 0) != (ssize_t)kept.len ||
            fsync(fd) < 0)
            rc = fail(why, whycap, RIP_EIO, "cannot write '%s': %s", path, strerror(errno));
    }
out:
    if (fd >= 0)
        close(fd); /* releases the lock */
    rip_buf_release(&text);
    rip_buf_release(&kept);
    return rc;
}

bool rip_action_allowed(const char *action, const char *const *patterns, size_t n)
{
    for (size_t i = 0; patterns && i < n; i++)
        if (patterns[i] && fnmatch(patterns[i], action, 0) == 0)
            return true;
    return false;
}
