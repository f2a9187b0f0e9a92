/* aws-creds.h — AWS credentials: the SDK's default chain, cached and
 * refreshed before they expire.
 *
 * Order (as the AWS SDKs and CLI resolve them):
 *   1. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 *      AWS_SESSION_TOKEN (skipped when a profile was named explicitly);
 *   2. the shared config and credentials files (AWS_CONFIG_FILE,
 *      AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/config and
 *      ~/.aws/credentials), profile from the argument, AWS_PROFILE or
 *      "default": role_arn with source_profile or credential_source
 *      (+ external_id, role_session_name, duration_seconds) through STS
 *      AssumeRole; web_identity_token_file; credential_process; static keys;
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN
 *      (+ AWS_ROLE_SESSION_NAME) through STS AssumeRoleWithWebIdentity;
 *   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI
 *      (http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https,
 *      or http to a loopback address), with AWS_CONTAINER_AUTHORIZATION_TOKEN
 *      or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE;
 *   5. IMDSv2 (unless AWS_EC2_METADATA_DISABLED=true): PUT a session token,
 *      then GET the role and its credentials; AWS_EC2_METADATA_SERVICE_ENDPOINT
 *      overrides http://169.254.169.254.
 *
 * Invariants: secrets live in rip_aws_creds only and are wiped by
 * rip_aws_creds_wipe(); error texts name files, profiles and steps, never
 * values. All input (files, process output, HTTP bodies) is size-capped.
 */
#ifndef RIPOSTE_CLOUD_AWS_CREDS_H
#define RIPOSTE_CLOUD_AWS_CREDS_H

#include <stdbool.h>
#include <time.h>

#include "cloud/aws-http.h"

struct rip_aws_creds {
    char access_key_id[128];
    char secret_access_key[128];
    char session_token[4096];      /* "" when none */
    time_t expiration;             /* 0: does not expire */
    char source[32];               /* "environment", "profile", "assume-role", ... */
};

/* Overwrites every byte of c. */
void rip_aws_creds_wipe(rip_aws_creds *c);

/* Refresh this long before expiry. */
#define RIP_AWS_CREDS_REFRESH_SECONDS 300

struct rip_aws_creds_provider {
    char profile[128];             /* "" : AWS_PROFILE or "default" */
    bool profile_explicit;
    char region[64];               /* for STS calls */
    rip_aws_creds cached;
    bool have;
    char error[512];               /* why the last resolution failed */
    long imds_timeout_ms;          /* default 1000 */
    /* Per-account access (riposte.yaml accounts): when set, the chain's
     * credentials are used to AssumeRole into this role, with external_id
     * when given. Both borrowed. */
    const char *assume_role_arn;
    const char *external_id;
    rip_aws_log_fn log;            /* passed to the clients it creates */
    void *log_ctx;
};

/* profile NULL: AWS_PROFILE, else "default". region: for STS (NULL: us-east-1
 * unless AWS_REGION says otherwise). Does no I/O. */
void rip_aws_creds_provider_init(rip_aws_creds_provider *p, const char *profile,
                                 const char *region);
/* Wipes the cache. Accepts NULL. */
void rip_aws_creds_provider_release(rip_aws_creds_provider *p);

/* Current credentials: the cache while it is more than
 * RIP_AWS_CREDS_REFRESH_SECONDS from expiry at now, else the chain is
 * walked again. Returns 0 and copies into *out, or RIP_ENOENT (nothing in
 * the chain), RIP_EIO / RIP_ESYNTAX (a step failed) with p->error set. */
int rip_aws_creds_get(rip_aws_creds_provider *p, time_t now, rip_aws_creds *out);

/* Reads key from profile in the shared config file ("profile NAME"
 * sections; "default") then the credentials file. Returns 0 and copies the
 * value into out, or RIP_ENOTFOUND / RIP_ELIMIT. For region, output, etc. */
int rip_aws_config_get(const char *profile, const char *key, char *out, size_t outlen);

/* Applies the profile's client settings to c (profile NULL: AWS_PROFILE,
 * else "default"), as the AWS SDKs read them:
 *   - endpoint_url (unless ignore_configured_endpoint_urls = true or
 *     AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), used after the
 *     AWS_ENDPOINT_URL_<SERVICE> and AWS_ENDPOINT_URL variables; the
 *     per-service `services` sections are not read;
 *   - retry_mode (AWS_RETRY_MODE first): standard; adaptive (run as
 *     standard: no client-side rate limiter); legacy (5 attempts, no retry
 *     quota);
 *   - max_attempts (AWS_MAX_ATTEMPTS first), 1 to 20.
 * The region is read by the caller (rip_aws_config_get(profile, "region")).
 * SSO profiles are refused by the credential chain with a clear error.
 * Returns 0, or RIP_EINVAL with err[] naming the profile and the setting. */
int rip_aws_client_use_profile(rip_aws_client *c, const char *profile, char *err,
                               size_t errcap);

/* Parses an ISO 8601 UTC time ("2024-01-02T03:04:05Z", fractional seconds
 * and "+00:00" accepted). 0 or RIP_ESYNTAX. */
int rip_aws_parse_time(const char *s, time_t *out);

#endif
