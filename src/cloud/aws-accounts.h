/* aws-accounts.h — the `accounts:` list of riposte's configuration: how
 * riposte reaches each AWS account and what it may do there.
 *
 *   accounts:
 *     - id: "123456789012"                 # 12 digits, required, unique
 *       role_arn: arn:aws:iam::123456789012:role/riposte-responder
 *       external_id: riposte-prod          # needs role_arn
 *       regions: [us-east-1, eu-west-1]    # the first is the default
 *       allow: [iam.*, ec2.quarantine_instance]   # allow list (globs)
 *       max_destructive_per_hour: 5        # overrides the global cap
 *
 * Only `accounts:` is read; other top-level keys are left to the parts of
 * riposte that own them. Keys inside an account entry are checked (a typo
 * is an error). Every error names the file and line.
 *
 * Limits: the file is at most 1 MiB, RIP_AWS_MAX_ACCOUNTS entries,
 * RIP_AWS_ACCOUNT_MAX_LIST regions or allow patterns per entry, and each
 * value fits its field; over a limit is an error, never a truncation.
 */
#ifndef RIPOSTE_CLOUD_AWS_ACCOUNTS_H
#define RIPOSTE_CLOUD_AWS_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#define RIP_AWS_MAX_ACCOUNTS 1024
#define RIP_AWS_ACCOUNT_MAX_LIST 64

typedef struct rip_aws_account {
    char id[13];
    char role_arn[2048];                  /* "" when none */
    char external_id[1224];               /* "" when none */
    char regions[RIP_AWS_ACCOUNT_MAX_LIST][32];
    size_t nregions;
    char allow_buf[RIP_AWS_ACCOUNT_MAX_LIST][128];
    const char *allow[RIP_AWS_ACCOUNT_MAX_LIST];   /* points into allow_buf */
    size_t nallow;
    bool has_allow;                       /* an allow: key was given (maybe empty) */
    int max_destructive;                  /* -1 when not set */
    unsigned line;                        /* where the entry starts */
} rip_aws_account;

typedef struct rip_aws_accounts {
    rip_aws_account *v;                   /* owned */
    size_t n;
} rip_aws_accounts;

/* Reads the accounts list of the YAML file at path into *out (which is
 * emptied first). Returns 0, or RIP_EIO (unreadable), RIP_ESYNTAX
 * (malformed YAML, wrong shape or value), RIP_ELIMIT, RIP_ENOMEM with
 * err[] set to "'<path>' line N: <what was expected>". A file without an
 * accounts key gives an empty list. */
int rip_aws_accounts_load(rip_aws_accounts *out, const char *path, char *err, size_t errcap);

/* Frees the list. Accepts NULL. */
void rip_aws_accounts_release(rip_aws_accounts *a);

/* The entry with that id, or NULL. Borrowed from a. */
const rip_aws_account *rip_aws_accounts_find(const rip_aws_accounts *a, const char *id);

#endif
