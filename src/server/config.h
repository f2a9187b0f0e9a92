/* config.h — the configuration of `riposte serve`: one YAML file
 * (docs/CONFIG.md), read into one plain struct.
 *
 * Invariants
 *   - A loaded configuration is valid: every key at every level is known,
 *     every value has its type and range, every name a route gives (channel,
 *     playbook) exists, every secret named by an environment variable was
 *     set when it was loaded. A file with any error gives no configuration.
 *   - Everything a rip_config holds (strings, lists, the resolved secrets,
 *     the playbook set) lives in it and is freed by rip_config_free(), which
 *     first overwrites the secrets. It is never changed after loading: a
 *     reload (SIGHUP) loads a new one and swaps the pointer.
 *   - Problems are reported through the callback, one per problem, in git's
 *     style: "config 'FILE' line N: KEY: what was expected" (KEY is a dotted
 *     path: "channels.oncall.kind", "routes.by-team.channels"). Warnings
 *     (a secret written inline) go the same way with warning set. The text
 *     of a problem never holds a secret. Library code prints nothing.
 *   - Relative paths in the file (store.path, server.tls_cert, tls_key,
 *     playbooks.path) are relative to the folder of the configuration file
 *     and are stored resolved.
 *
 * Limits (policy when hit: the file is rejected with a message naming the
 * limit): RIP_CONFIG_FILE_MAX bytes, RIP_CONFIG_MAX_DEPTH levels of nesting,
 * RIP_CONFIG_MAX_NODES YAML nodes, RIP_CONFIG_MAX_LIST items per list or map,
 * RIP_CONFIG_MAX_ERRORS messages (the rest are counted, not shown).
 */
#ifndef RIPOSTE_SERVER_CONFIG_H
#define RIPOSTE_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloud/aws-accounts.h"
#include "notify/email.h"

#define RIP_CONFIG_FILE_MAX ((size_t)1 << 20)
#define RIP_CONFIG_MAX_DEPTH 12
#define RIP_CONFIG_MAX_NODES 100000
#define RIP_CONFIG_MAX_LIST 1024
#define RIP_CONFIG_MAX_ERRORS 50
#define RIP_CONFIG_NAME_MAX 64              /* channel, route, source, user names */
#define RIP_CONFIG_MAX_BODY_CAP ((size_t)16 << 20)
#define RIP_CONFIG_MAX_HEADER_CAP ((size_t)1 << 20)

struct rip_playbook_set;

typedef struct rip_config_strs {
    const char **v;
    size_t n;
} rip_config_strs;

typedef enum rip_config_sync { RIP_CONFIG_SYNC_NORMAL = 0, RIP_CONFIG_SYNC_FULL } rip_config_sync;
typedef enum rip_source_kind { RIP_SOURCE_SQS = 0, RIP_SOURCE_HTTP, RIP_SOURCE_SNS } rip_source_kind;
typedef enum rip_channel_kind {
    RIP_CHANNEL_SLACK = 0,
    RIP_CHANNEL_PAGERDUTY,
    RIP_CHANNEL_WEBHOOK,
    RIP_CHANNEL_EMAIL,
} rip_channel_kind;
typedef enum rip_route_mode { RIP_ROUTE_AUTO = 0, RIP_ROUTE_APPROVE } rip_route_mode;

/* Roles are a bit set; each role can do what the ones below it can. */
enum {
    RIP_ROLE_VIEWER = 1u << 0,
    RIP_ROLE_RESPONDER = 1u << 1,
    RIP_ROLE_ADMIN = 1u << 2,
};

/* "normal", "full"; "sqs", "http", "sns"; "slack", "pagerduty", "webhook",
 * "email"; "auto", "approve". "?" for anything else. */
const char *rip_config_sync_name(rip_config_sync v);
const char *rip_source_kind_name(rip_source_kind v);
const char *rip_channel_kind_name(rip_channel_kind v);
const char *rip_route_mode_name(rip_route_mode v);

typedef struct rip_config_server {
    const char *listen;            /* "127.0.0.1:8088", "[::1]:8088" */
    const char *listen_host;       /* "127.0.0.1", "::1" */
    uint16_t listen_port;
    const char *tls_cert, *tls_key;   /* both or neither; NULL: plain HTTP */
    size_t max_body;               /* default 1 MiB, at most 16 MiB */
    size_t max_header;             /* default 16 KiB, at most 1 MiB */
    uint32_t max_connections;      /* default 256 */
    uint32_t connection_timeout_s; /* default 30 */
    uint32_t drain_timeout_s;      /* default 20 */
} rip_config_server;

typedef struct rip_config_store {
    const char *path;              /* default "riposte.db" beside the file */
    rip_config_sync sync;
} rip_config_store;

typedef struct rip_config_aws {
    const char *profile, *region, *endpoint_url;   /* NULL when not set */
} rip_config_aws;

typedef struct rip_config_source {
    const char *name;
    rip_source_kind kind;
    uint32_t line;
    const char *queue_url;         /* SQS */
    const char *region;            /* SQS; NULL: aws.region */
    uint32_t wait_s;               /* SQS long poll 0..20, default 20 */
    uint32_t max_messages;         /* SQS 1..10, default 10 */
    uint32_t visibility_timeout_s; /* SQS, default 300 */
    uint32_t backoff_max_s;        /* default 300 */
    rip_config_strs topics;        /* SNS: TopicArn patterns accepted (at least one) */
    rip_config_strs cert_url_patterns;   /* SNS: URLs that may be fetched (server/sns.h);
                                            empty: rip_sns_default_url_patterns */
    uint32_t max_age_s;            /* SNS: the oldest Timestamp taken, default 3600 */
} rip_config_source;

/* A secret: its value (resolved from the environment at load when env is
 * set) and where it came from. value is NULL when not configured. */
typedef struct rip_config_secret_ref {
    const char *value;
    const char *env;               /* the variable's name, or NULL: inline */
} rip_config_secret_ref;

typedef struct rip_channel_config {
    const char *name;
    rip_channel_kind kind;
    uint32_t line;
    /* slack */
    rip_config_secret_ref bot_token;
    rip_config_secret_ref webhook_url;   /* an incoming webhook (a secret URL) */
    const char *channel;                 /* needed with bot_token */
    rip_config_secret_ref signing_secret;
    const char *api_base;                /* default https://slack.com/api */
    /* pagerduty */
    rip_config_secret_ref routing_key;
    /* pagerduty (default https://events.pagerduty.com/v2/enqueue) and webhook */
    const char *url;
    /* webhook: the HMAC key of the signature header (optional) */
    rip_config_secret_ref secret;
    /* email */
    const char *smtp_url, *from;
    rip_config_strs to;
    rip_config_secret_ref username, password;    /* env only */
    rip_email_starttls starttls;         /* smtp://: default required, off on loopback */
    const char *subject_prefix;          /* NULL: "[riposte]" */
} rip_channel_config;

typedef struct rip_config_tag_glob {
    const char *key;
    const char *glob;
} rip_config_tag_glob;

/* A route: all the match's criteria that are given must hold; inside a
 * list, any item is enough. Patterns are shell wildcards (fnmatch). */
typedef struct rip_config_route {
    const char *name;
    uint32_t line;
    bool is_default;               /* catches what no other route matched */
    rip_config_strs accounts;      /* patterns over the account id */
    rip_config_strs finding_types; /* patterns */
    int severity_min;              /* 0..4, -1: any */
    rip_config_tag_glob *tags;     /* value patterns over the assets' tags */
    size_t ntags;
    const char *owner;             /* a pattern over the incident's owner */
    const rip_channel_config **channels;   /* resolved; borrowed from the config */
    size_t nchannels;
    rip_config_strs playbooks;     /* names, checked against the playbook set */
    rip_route_mode mode;           /* approve: every action step waits for a press */
    const char *team;              /* NULL when not set */
} rip_config_route;

typedef struct rip_config_safety {
    int max_destructive_per_hour;  /* default 10; 0: no cap */
    const char *protect_key;       /* default "riposte:protected" */
    const char *protect_value;     /* default "true" */
    bool dry_run;                  /* the whole daemon plans only */
} rip_config_safety;

typedef struct rip_config_user {
    const char *name;
    unsigned roles;                /* RIP_ROLE_* bits */
    const char *slack_id;          /* "U…", or NULL */
    bool has_token;
    unsigned char token_sha256[32];
    uint32_t line;
} rip_config_user;

typedef struct rip_config_event_key {
    const char *name;
    unsigned char key_sha256[32];
    uint32_t line;
} rip_config_event_key;

typedef struct rip_config {
    const char *file;              /* the name it was loaded under */
    rip_config_server server;
    rip_config_store store;
    rip_aws_accounts accounts;     /* the same model `riposte action --config` reads */
    const char **account_names;    /* parallel to accounts.v; NULL entries: no name */
    rip_config_aws aws;
    rip_config_source *sources;
    size_t nsources;
    rip_channel_config *channels;
    size_t nchannels;
    rip_config_route *routes;      /* in file order, the default one included */
    size_t nroutes;
    const char *playbooks_path;    /* NULL: riposte's own */
    struct rip_playbook_set *playbook_set;   /* owned; NULL when none was loaded */
    rip_config_safety safety;
    rip_config_user *users;
    size_t nusers;
    rip_config_event_key *event_keys;
    size_t nevent_keys;
    struct rip_config_priv *priv;  /* the arena */
} rip_config;

/* One problem found while loading. */
typedef struct rip_config_diag {
    const char *file;
    uint32_t line;                 /* 0 when the problem has no line */
    const char *key;               /* "channels.oncall.kind"; "" for the file */
    const char *text;              /* "unknown kind 'pagerdutty' (expected ...)" */
    const char *message;           /* "config 'F' line N: KEY: TEXT" */
    bool warning;                  /* true: the file is still valid */
} rip_config_diag;

typedef void (*rip_config_diag_fn)(void *ud, const rip_config_diag *d);

typedef struct rip_config_opts {
    /* Loads riposte's own playbooks into s, for a file without
     * playbooks.path (the CLI passes rip_cli_load_builtin_playbooks: the
     * layers below it do not hold them). NULL: route playbook names are not
     * checked then. 0 or a negative RIP_E*. */
    int (*builtin_playbooks)(struct rip_playbook_set *s);
} rip_config_opts;

/* Loads the file at path. 0 and *out (free it with rip_config_free()); or
 * RIP_EINVAL (errors, each reported), RIP_ELIMIT (a limit, reported),
 * RIP_ENOENT / RIP_EIO (unreadable, reported with no line), RIP_ENOMEM.
 * *out is written only on success. fn may be NULL. */
int rip_config_load(const char *path, rip_config **out, rip_config_diag_fn fn, void *ud);
/* As rip_config_load(), with options (opts may be NULL). */
int rip_config_load_with(const char *path, const rip_config_opts *opts, rip_config **out,
                         rip_config_diag_fn fn, void *ud);
/* As rip_config_load_with(), from data (len bytes, need not be
 * NUL-terminated) under the name file. */
int rip_config_load_text(const char *file, const char *data, size_t len,
                         const rip_config_opts *opts, rip_config **out,
                         rip_config_diag_fn fn, void *ud);

/* Frees the configuration, overwriting its secrets first. Accepts NULL. */
void rip_config_free(rip_config *cfg);

/* The user whose token_sha256 is the SHA-256 of token, or NULL. Every
 * user's hash is compared, in constant time. Borrowed from cfg. */
const rip_config_user *rip_config_user_by_token(const rip_config *cfg, const char *token);
/* The user with that Slack id ("U024BE7LH"), or NULL. */
const rip_config_user *rip_config_user_by_slack(const rip_config *cfg, const char *slack_id);
/* The API key of POST /v1/events whose key_sha256 is the SHA-256 of key,
 * or NULL; compared like rip_config_user_by_token(). */
const rip_config_event_key *rip_config_event_key_by_key(const rip_config *cfg, const char *key);
/* true when the user holds role or one above it (admin ⊇ responder ⊇ viewer). */
bool rip_config_user_can(const rip_config_user *u, unsigned role);
/* The channel with that name, or NULL. */
const rip_channel_config *rip_config_channel(const rip_config *cfg, const char *name);

/* What a route is matched against (all borrowed; NULL / 0 when unknown). */
typedef struct rip_route_tag {
    const char *key, *value;
} rip_route_tag;

typedef struct rip_route_subject {
    const char *account;
    const char *const *finding_types;
    size_t nfinding_types;
    int severity;                  /* 0..4 */
    const rip_route_tag *tags;     /* the owner/team tags of the incident's assets */
    size_t ntags;
    const char *owner;
} rip_route_subject;

/* Writes the routes matching s, in file order, to out (at most cap) and
 * returns how many match (which may be more than cap). The default route
 * is the answer only when no other route matches. Borrowed from cfg. */
size_t rip_config_routes_for(const rip_config *cfg, const rip_route_subject *s,
                             const rip_config_route **out, size_t cap);

/* A secret given inline or by the name of an environment variable: the
 * inline value when set, else the variable's value copied into cfg (and
 * wiped with it), else NULL (unset or empty). The loader resolves every
 * *_env key this way; a later call allocates in cfg, so it is not safe
 * while other threads read cfg. */
const char *rip_config_secret(rip_config *cfg, const char *inline_value, const char *env_name);

/* The lowercase hex SHA-256 of data into hex (65 bytes). 0 or RIP_ENOMEM. */
int rip_config_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
