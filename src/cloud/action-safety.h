/* action-safety.h — the safety limits around response actions, besides the
 * protected tag each action checks on its resource:
 *
 *   - a blast-radius cap: at most N destructive runs per account in any
 *     sliding hour. The count lives in a small file so that separate
 *     `riposte action run` processes share it:
 *         <state dir>/destructive-actions.log
 *     one line per destructive run that was let through:
 *         <unix time> <account> <action>
 *     The file is locked (flock) while it is read and rewritten, lines older
 *     than the window are dropped on every rewrite, and it is capped
 *     (RIP_ACTION_BUDGET_MAX_BYTES; a bigger file is an error, not truncated
 *     silently). A slot is taken before the mutating calls are made, so a
 *     failed attempt still counts: the cap bounds attempts, not successes.
 *   - per-account allow lists: glob patterns ("iam.*", "ec2.tag") of the
 *     actions an account accepts; an action outside them is refused.
 *
 * Library code: nothing is printed; errors come back as RIP_E* and text.
 */
#ifndef RIPOSTE_CLOUD_ACTION_SAFETY_H
#define RIPOSTE_CLOUD_ACTION_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define RIP_ACTION_BUDGET_FILE "destructive-actions.log"
#define RIP_ACTION_BUDGET_WINDOW 3600
#define RIP_ACTION_BUDGET_MAX_BYTES (1u << 20)
#define RIP_ACTION_DEFAULT_MAX_DESTRUCTIVE 10

/* The default state directory: $XDG_STATE_HOME/riposte, else
 * $HOME/.local/state/riposte. 0, or RIP_ENOENT when neither is set, or
 * RIP_ELIMIT when it does not fit in cap. */
int rip_action_state_dir(char *out, size_t cap);

/* Counts the destructive runs of account in (now - window, now] in
 * dir/RIP_ACTION_BUDGET_FILE (dir is created, mode 0700, when missing).
 * When fewer than cap, and take is set, records one for action at now.
 * Returns 0 when a slot was free (and taken, if asked), 1 when the cap is
 * reached (nothing recorded), or RIP_EIO / RIP_ELIMIT / RIP_ESYNTAX with
 * why[] set. *used is the count before this run; *next_free the time the
 * oldest counted run leaves the window (0 when under the cap). */
int rip_action_budget_take(const char *dir, const char *account, const char *action, int cap,
                           time_t now, bool take, int *used, time_t *next_free, char *why,
                           size_t whycap);

/* Whether action matches one of the glob patterns (fnmatch). An empty or
 * NULL list allows nothing; callers pass NULL limits for "no list". */
bool rip_action_allowed(const char *action, const char *const *patterns, size_t n);

#endif
