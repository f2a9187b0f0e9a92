/* investigate.c — sessions and leftovers of one entity's events (see
 * investigate.h for the invariants). */
#include "cli/investigate.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

#define MAX_PATH_VALUES 64

/* ---- small helpers ---- */

static const char *dup_slice(rip_arena *a, rip_slice s)
{
    if (!s.ptr)
        return NULL;
    return rip_arena_strndup(a, s.ptr, s.len);
}

static int grow(void **items, size_t *alloc, size_t need, size_t size)
{
    if (need <= *alloc)
        return 0;
    size_t n = *alloc ? *alloc * 2 : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*items, n * size);
    if (!p)
        return RIP_ENOMEM;
    *items = p;
    *alloc = n;
    return 0;
}

const char *rip_inv_short_service(const char *s, size_t *len)
{
    static const char *const suffixes[] = { ".amazonaws.com", ".googleapis.com" };
    size_t n = strlen(s);
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        size_t k = strlen(suffixes[i]);
        if (n > k && !strcmp(s + n - k, suffixes[i])) {
            *len = n - k;
            return s;
        }
    }
    *len = n;
    return s;
}

/* ---- tallies ---- */

/* Counts one occurrence of s. Returns the tally's own copy of the value
 * (interned: equal values share one string), or NULL when s is absent or
 * the tally is full (counted in `other`). *err is set on out of memory. */
static const char *tally_add(rip_arena *a, rip_inv_tally *t, const char *s, size_t len,
                             int *err)
{
    if (!s)
        return NULL;
    for (size_t i = 0; i < t->n; i++) {
        const char *v = t->items[i].value;
        if (v == s || (strlen(v) == len && !memcmp(v, s, len))) {
            t->items[i].count++;
            return v;
        }
    }
    if (t->n >= RIP_INV_TALLY_MAX) {
        t->other++;
        return NULL;
    }
    if (grow((void **)&t->items, &t->alloc, t->n + 1, sizeof(*t->items)) < 0) {
        *err = RIP_ENOMEM;
        return NULL;
    }
    char *v = rip_arena_strndup(a, s, len);
    if (!v) {
        *err = RIP_ENOMEM;
        return NULL;
    }
    t->items[t->n++] = (rip_inv_count){ v, 1 };
    return v;
}

static void tally_release(rip_inv_tally *t)
{
    free(t->items);
    memset(t, 0, sizeof(*t));
}

enum { F_SERVICE, F_REGION, F_ACCOUNT, F_IP, F_UA, F_ERROR, F_PRINCIPAL, F_KEY, NFIELDS };

static rip_inv_tally *summary_tally(rip_inv_summary *s, int f)
{
    switch (f) {
    case F_SERVICE:   return &s->services;
    case F_REGION:    return &s->regions;
    case F_ACCOUNT:   return &s->accounts;
    case F_IP:        return &s->source_ips;
    case F_UA:        return &s->user_agents;
    case F_ERROR:     return &s->errors_by_code;
    case F_PRINCIPAL: return &s->principals;
    default:          return &s->access_keys;
    }
}

static void summary_release(rip_inv_summary *s)
{
    for (int f = 0; f < NFIELDS; f++)
        tally_release(summary_tally(s, f));
}

/* Counts the row in s. vals[f] are the row's fields (NULL when absent);
 * each is replaced by the interned copy when one exists. */
static int summary_add(rip_arena *a, rip_inv_summary *s, int64_t t, bool error,
                       const char *vals[NFIELDS], const size_t lens[NFIELDS])
{
    int err = 0;
    if (t && (!s->first_ns || t < s->first_ns))
        s->first_ns = t;
    if (t > s->last_ns)
        s->last_ns = t;
    s->count++;
    s->errors += error;
    for (int f = 0; f < NFIELDS; f++) {
        const char *v = tally_add(a, summary_tally(s, f), vals[f], lens[f], &err);
        if (v)
            vals[f] = v;
    }
    return err;
}

/* ---- reading named fields of the original record ---- */

typedef struct path_values {
    rip_slice v[MAX_PATH_VALUES];
    size_t n;
} path_values;

static void walk(rip_json_doc *d, const rip_json_node *n, const char *path, path_values *out)
{
    if (out->n >= MAX_PATH_VALUES || !n)
        return;
    if (!*path) {
        if (n->type == RIP_JSON_STRING) {
            rip_slice s = rip_json_str(d, n);
            if (s.ptr && s.len)
                out->v[out->n++] = s;
        } else if (n->type == RIP_JSON_NUMBER || n->type == RIP_JSON_TRUE ||
                   n->type == RIP_JSON_FALSE) {
            out->v[out->n++] = rip_slice_make(n->ptr, n->len);
        }
        return;
    }
    const char *dot = strchr(path, '.');
    size_t seg = dot ? (size_t)(dot - path) : strlen(path);
    const char *rest = dot ? dot + 1 : path + seg;
    bool each = seg >= 2 && path[seg - 2] == '[' && path[seg - 1] == ']';
    const rip_json_node *m = rip_json_getn(n, path, each ? seg - 2 : seg);
    if (!m)
        return;
    if (!each) {
        walk(d, m, rest, out);
        return;
    }
    if (m->type != RIP_JSON_ARRAY)
        return;
    RIP_JSON_EACH(e, m)
        walk(d, e, rest, out);
}

/* Values at the first alternative of `paths` ("a.b|c.items[].d") that has
 * any. Slices borrow from the document. */
static void find_values(rip_json_doc *d, const rip_json_node *root, const char *paths,
                        path_values *out)
{
    char one[160];
    out->n = 0;
    while (paths && *paths && !out->n) {
        const char *bar = strchr(paths, '|');
        size_t len = bar ? (size_t)(bar - paths) : strlen(paths);
        if (len < sizeof(one)) {
            memcpy(one, paths, len);
            one[len] = 0;
            walk(d, root, one, out);
        }
        paths = bar ? bar + 1 : NULL;
    }
}

/* ---- what an entity leaves behind ---- */

typedef struct leftover_rule leftover_rule;

typedef struct leftover_ctx {
    rip_investigation *inv;
    const rip_store_event_row *row;
    const rip_json_node *root;
} leftover_ctx;

struct leftover_rule {
    const char *service;       /* eventSource, exact */
    const char *action;        /* eventName; a trailing '*' matches a prefix */
    const char *type;
    const char *verb;          /* NULL: a deletion of `type` */
    const char *id_paths;      /* one value per thing */
    const char *on_label;
    const char *on_paths;      /* joined with ", " */
    bool need_on;              /* no `on` value: the call did not create it */
    const char *hint;
    /* Replaces the generic id/on reading (security group rules). */
    int (*extract)(leftover_ctx *c, const leftover_rule *r);
};

static int sg_rules(leftover_ctx *c, const leftover_rule *r);

static const leftover_rule leftover_rules[] = {
    /* IAM: identities, credentials and the permissions given to them. */
    { "iam.amazonaws.com", "CreateAccessKey", "access key", "created",
      "responseElements.accessKey.accessKeyId", "for user",
      "responseElements.accessKey.userName|requestParameters.userName", false,
      "deactivate, then delete the key", NULL },
    { "iam.amazonaws.com", "DeleteAccessKey", "access key", NULL,
      "requestParameters.accessKeyId", NULL, NULL, false, NULL, NULL },
    { "iam.amazonaws.com", "CreateUser", "user", "created",
      "responseElements.user.userName|requestParameters.userName", NULL, NULL, false,
      "delete the user with its keys, login profile and policies", NULL },
    { "iam.amazonaws.com", "DeleteUser", "user", NULL,
      "requestParameters.userName", NULL, NULL, false, NULL, NULL },
    { "iam.amazonaws.com", "CreateRole", "role", "created",
      "responseElements.role.roleName|requestParameters.roleName", NULL, NULL, false,
      "delete the role, or remove who may assume it", NULL },
    { "iam.amazonaws.com", "DeleteRole", "role", NULL,
      "requestParameters.roleName", NULL, NULL, false, NULL, NULL },
    { "iam.amazonaws.com", "CreateLoginProfile", "login profile", "created",
      "responseElements.loginProfile.userName|requestParameters.userName", NULL, NULL, false,
      "delete the login profile (console password)", NULL },
    { "iam.amazonaws.com", "UpdateLoginProfile", "login profile", "changed",
      "requestParameters.userName", NULL, NULL, false,
      "reset the password or delete the login profile", NULL },
    { "iam.amazonaws.com", "DeleteLoginProfile", "login profile", NULL,
      "requestParameters.userName", NULL, NULL, false, NULL, NULL },
    { "iam.amazonaws.com", "AttachUserPolicy", "policy attachment", "attached",
      "requestParameters.policyArn", "to user", "requestParameters.userName", false,
      "detach the policy", NULL },
    { "iam.amazonaws.com", "DetachUserPolicy", "policy attachment", NULL,
      "requestParameters.policyArn", NULL, "requestParameters.userName", false, NULL, NULL },
    { "iam.amazonaws.com", "AttachRolePolicy", "policy attachment", "attached",
      "requestParameters.policyArn", "to role", "requestParameters.roleName", false,
      "detach the policy", NULL },
    { "iam.amazonaws.com", "DetachRolePolicy", "policy attachment", NULL,
      "requestParameters.policyArn", NULL, "requestParameters.roleName", false, NULL, NULL },
    { "iam.amazonaws.com", "AttachGroupPolicy", "policy attachment", "attached",
      "requestParameters.policyArn", "to group", "requestParameters.groupName", false,
      "detach the policy", NULL },
    { "iam.amazonaws.com", "PutUserPolicy", "inline policy", "attached",
      "requestParameters.policyName", "to user", "requestParameters.userName", false,
      "delete the inline policy", NULL },
    { "iam.amazonaws.com", "PutRolePolicy", "inline policy", "attached",
      "requestParameters.policyName", "to role", "requestParameters.roleName", false,
      "delete the inline policy", NULL },
    { "iam.amazonaws.com", "AddUserToGroup", "group membership", "added",
      "requestParameters.groupName", "for user", "requestParameters.userName", false,
      "remove the user from the group", NULL },
    { "iam.amazonaws.com", "RemoveUserFromGroup", "group membership", NULL,
      "requestParameters.groupName", NULL, "requestParameters.userName", false, NULL, NULL },
    { "iam.amazonaws.com", "CreatePolicy", "policy", "created",
      "responseElements.policy.arn|requestParameters.policyName", NULL, NULL, false,
      "delete the policy", NULL },
    { "iam.amazonaws.com", "CreatePolicyVersion", "policy version", "created",
      "responseElements.policyVersion.versionId", "of", "requestParameters.policyArn", false,
      "set the previous version as default and delete this one", NULL },
    { "iam.amazonaws.com", "UpdateAssumeRolePolicy", "trust policy", "changed",
      "requestParameters.roleName", NULL, NULL, false,
      "restore the role's previous trust policy", NULL },
    { "iam.amazonaws.com", "CreateVirtualMFADevice", "MFA device", "created",
      "responseElements.virtualMFADevice.serialNumber", NULL, NULL, false,
      "delete the MFA device", NULL },
    { "iam.amazonaws.com", "CreateSAMLProvider", "identity provider", "created",
      "responseElements.sAMLProviderArn|requestParameters.name", NULL, NULL, false,
      "delete the identity provider", NULL },
    { "iam.amazonaws.com", "CreateOpenIDConnectProvider", "identity provider", "created",
      "responseElements.openIDConnectProviderArn|requestParameters.url", NULL, NULL, false,
      "delete the identity provider", NULL },
    { "sts.amazonaws.com", "GetFederationToken", "federation token", "created",
      "responseElements.credentials.accessKeyId", "named", "requestParameters.name", false,
      "revoke the issuing user's sessions (deny-all before the token's time)", NULL },
    { "rolesanywhere.amazonaws.com", "CreateTrustAnchor", "trust anchor", "created",
      "responseElements.trustAnchor.trustAnchorId|responseElements.trustAnchor.name", NULL,
      NULL, false, "delete the trust anchor", NULL },
    { "rolesanywhere.amazonaws.com", "CreateProfile", "Roles Anywhere profile", "created",
      "responseElements.profile.profileId|responseElements.profile.name", NULL, NULL, false,
      "delete the profile", NULL },

    /* EC2: compute, access paths and shared data. */
    { "ec2.amazonaws.com", "RunInstances", "instance", "created",
      "responseElements.instancesSet.items[].instanceId", NULL, NULL, false,
      "terminate the instance (snapshot its volumes first if evidence is needed)", NULL },
    { "ec2.amazonaws.com", "TerminateInstances", "instance", NULL,
      "responseElements.instancesSet.items[].instanceId|requestParameters.instancesSet.items[].instanceId",
      NULL, NULL, false, NULL, NULL },
    { "ec2.amazonaws.com", "CreateKeyPair", "key pair", "created",
      "responseElements.keyName|requestParameters.keyName", NULL, NULL, false,
      "delete the key pair", NULL },
    { "ec2.amazonaws.com", "ImportKeyPair", "key pair", "created",
      "responseElements.keyName|requestParameters.keyName", NULL, NULL, false,
      "delete the key pair", NULL },
    { "ec2.amazonaws.com", "DeleteKeyPair", "key pair", NULL,
      "requestParameters.keyName", NULL, NULL, false, NULL, NULL },
    { "ec2.amazonaws.com", "CreateSecurityGroup", "security group", "created",
      "responseElements.groupId", NULL, NULL, false, "delete the security group", NULL },
    { "ec2.amazonaws.com", "DeleteSecurityGroup", "security group", NULL,
      "requestParameters.groupId", NULL, NULL, false, NULL, NULL },
    { "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", "security group rule", "opened",
      NULL, "in", NULL, false, "revoke the rule", sg_rules },
    { "ec2.amazonaws.com", "AuthorizeSecurityGroupEgress", "security group rule", "opened",
      NULL, "in", NULL, false, "revoke the rule", sg_rules },
    { "ec2.amazonaws.com", "RevokeSecurityGroupIngress", "security group rule", NULL,
      "requestParameters.securityGroupRuleIds.items[].securityGroupRuleId", NULL, NULL, false,
      NULL, NULL },
    { "ec2.amazonaws.com", "ModifySnapshotAttribute", "snapshot share", "shared",
      "requestParameters.snapshotId", "with",
      "requestParameters.createVolumePermission.add.items[].userId|"
      "requestParameters.createVolumePermission.add.items[].group", true,
      "remove the create-volume permission", NULL },
    { "ec2.amazonaws.com", "ModifyImageAttribute", "image share", "shared",
      "requestParameters.imageId", "with",
      "requestParameters.launchPermission.add.items[].userId|"
      "requestParameters.launchPermission.add.items[].group", true,
      "remove the launch permission", NULL },
    { "ec2.amazonaws.com", "CreateSnapshot", "snapshot", "created",
      "responseElements.snapshotId", "of", "requestParameters.volumeId", false,
      "delete the snapshot once it is not evidence", NULL },
    { "ec2.amazonaws.com", "CreateImage", "image", "created",
      "responseElements.imageId", "of", "requestParameters.instanceId", false,
      "deregister the image", NULL },
    { "ec2.amazonaws.com", "EnableSerialConsoleAccess", "serial console access", "changed",
      "recipientAccountId", NULL, NULL, false, "disable serial console access", NULL },
    { "ec2.amazonaws.com", "DeleteFlowLogs", "flow logs", "deleted",
      "requestParameters.DeleteFlowLogsRequest.FlowLogId.content", NULL, NULL, false,
      "recreate the flow logs", NULL },
    { "rds.amazonaws.com", "ModifyDBSnapshotAttribute", "DB snapshot share", "shared",
      "requestParameters.dBSnapshotIdentifier", "with", "requestParameters.valuesToAdd[]", true,
      "remove the restore permission", NULL },

    /* Storage, functions and logging. */
    { "s3.amazonaws.com", "CreateBucket", "bucket", "created",
      "requestParameters.bucketName", NULL, NULL, false, "empty and delete the bucket", NULL },
    { "s3.amazonaws.com", "DeleteBucket", "bucket", NULL,
      "requestParameters.bucketName", NULL, NULL, false, NULL, NULL },
    { "s3.amazonaws.com", "PutBucketPolicy", "bucket policy", "changed",
      "requestParameters.bucketName", NULL, NULL, false, "restore the previous bucket policy", NULL },
    { "s3.amazonaws.com", "PutBucketAcl", "bucket ACL", "changed",
      "requestParameters.bucketName", NULL, NULL, false, "restore a private ACL", NULL },
    { "s3.amazonaws.com", "DeleteBucketPublicAccessBlock", "public access block", "deleted",
      "requestParameters.bucketName", NULL, NULL, false, "block public access again", NULL },
    { "lambda.amazonaws.com", "CreateFunction*", "function", "created",
      "responseElements.functionName|requestParameters.functionName", NULL, NULL, false,
      "delete the function", NULL },
    { "lambda.amazonaws.com", "DeleteFunction*", "function", NULL,
      "requestParameters.functionName", NULL, NULL, false, NULL, NULL },
    { "lambda.amazonaws.com", "AddPermission*", "function permission", "added",
      "requestParameters.statementId", "on", "requestParameters.functionName", false,
      "remove the permission statement", NULL },
    { "lambda.amazonaws.com", "UpdateFunctionCode*", "function code", "changed",
      "responseElements.functionName|requestParameters.functionName", NULL, NULL, false,
      "redeploy the known-good code", NULL },
    { "lambda.amazonaws.com", "UpdateFunctionConfiguration*", "function configuration",
      "changed", "responseElements.functionName|requestParameters.functionName", NULL, NULL,
      false, "restore the configuration (layers, environment, role)", NULL },
    { "cloudtrail.amazonaws.com", "StopLogging", "trail", "stopped",
      "requestParameters.name", NULL, NULL, false, "start logging again", NULL },
    { "cloudtrail.amazonaws.com", "DeleteTrail", "trail", "deleted",
      "requestParameters.name", NULL, NULL, false, "recreate the trail", NULL },
    { "cloudtrail.amazonaws.com", "PutEventSelectors", "trail event selectors", "changed",
      "requestParameters.trailName", NULL, NULL, false, "restore the event selectors", NULL },
    { "guardduty.amazonaws.com", "DeleteDetector", "GuardDuty detector", "deleted",
      "requestParameters.detectorId", NULL, NULL, false, "re-enable GuardDuty", NULL },
    { "route53resolver.amazonaws.com", "DeleteResolverQueryLogConfig", "DNS query logging",
      "deleted", "requestParameters.resolverQueryLogConfigId", NULL, NULL, false,
      "recreate the query log configuration", NULL },
    { "organizations.amazonaws.com", "LeaveOrganization", "organization membership", "left",
      "recipientAccountId", NULL, NULL, false, "rejoin the organization", NULL },

    /* GCP. */
    { "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccountKey",
      "service account key", "created",
      "protoPayload.response.name|protoPayload.resourceName", NULL, NULL, false,
      "delete the key", NULL },
    { "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccount", "service account",
      "created", "protoPayload.response.email|protoPayload.resourceName", NULL, NULL, false,
      "delete the service account", NULL },
    { "compute.googleapis.com", "v1.compute.instances.insert", "instance", "created",
      "protoPayload.resourceName", NULL, NULL, false, "delete the instance", NULL },
    { "compute.googleapis.com", "v1.compute.firewalls.insert", "firewall rule", "created",
      "protoPayload.resourceName", NULL, NULL, false, "delete the firewall rule", NULL },
};

#define NRULES (sizeof(leftover_rules) / sizeof(leftover_rules[0]))

static bool rule_matches(const leftover_rule *r, rip_slice service, rip_slice action)
{
    size_t n = strlen(r->action);
    if (!rip_slice_eq(service, r->service))
        return false;
    if (n && r->action[n - 1] == '*')
        return action.len >= n - 1 && !memcmp(action.ptr, r->action, n - 1);
    return rip_slice_eq(action, r->action);
}

static bool opt_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Records one thing left behind (or, for a deletion rule, marks the
 * matching earlier one removed). Strings are copied into the arena. */
static uint64_t leftover_hash(const char *type, const char *id, const char *on)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *parts[3] = { type, id, on ? on : "" };
    for (int k = 0; k < 3; k++) {
        for (const unsigned char *p = (const unsigned char *)parts[k]; *p; p++)
            h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL;
    }
    return h;
}

/* The listed, not yet removed leftover with this (type, id, on), or NULL.
 * Constant time through the index (a linear scan was quadratic). */
static rip_inv_leftover *leftover_find(rip_investigation *inv, const char *type, const char *id,
                                       const char *on)
{
    if (!inv->leftover_index_cap)
        return NULL;
    size_t mask = inv->leftover_index_cap - 1;
    for (size_t h = leftover_hash(type, id, on) & mask;; h = (h + 1) & mask) {
        uint32_t v = inv->leftover_index[h];
        if (!v)
            return NULL;
        rip_inv_leftover *l = &inv->leftovers[v - 1];
        if (!l->removed_ns && !strcmp(l->type, type) && !strcmp(l->id, id) && opt_eq(l->on, on))
            return l;
    }
}

static int leftover_index_add(rip_investigation *inv, size_t i)
{
    if ((i + 1) * 2 > inv->leftover_index_cap) {
        size_t ncap = inv->leftover_index_cap ? inv->leftover_index_cap * 2 : 256;
        while ((i + 1) * 2 > ncap)
            ncap *= 2;
        uint32_t *nt = calloc(ncap, sizeof(*nt));
        if (!nt)
            return RIP_ENOMEM;
        free(inv->leftover_index);
        inv->leftover_index = nt;
        inv->leftover_index_cap = ncap;
        for (size_t k = 0; k < i; k++)   /* rebuild with the entries so far */
            if (leftover_index_add(inv, k) < 0)
                return RIP_ENOMEM;
    }
    const rip_inv_leftover *l = &inv->leftovers[i];
    size_t mask = inv->leftover_index_cap - 1;
    size_t h = leftover_hash(l->type, l->id, l->on) & mask;
    while (inv->leftover_index[h])
        h = (h + 1) & mask;
    inv->leftover_index[h] = (uint32_t)(i + 1);
    return 0;
}

static int emit(leftover_ctx *c, const leftover_rule *r, rip_slice id, const char *on,
                const char *detail)
{
    rip_investigation *inv = c->inv;
    const rip_store_event_row *row = c->row;
    char *idz = rip_arena_strndup(&inv->arena, id.ptr, id.len);
    if (!idz)
        return RIP_ENOMEM;
    rip_inv_leftover *found = leftover_find(inv, r->type, idz, on);
    if (found) {
        if (!r->verb) {
            found->removed_ns = row->time_ns ? row->time_ns : 1;
            found->removed_by = dup_slice(&inv->arena, row->action);
        }
        return 0;  /* already listed */
    }
    if (!r->verb)
        return 0;
    if (inv->nleftovers >= RIP_INV_MAX_LEFTOVERS) {
        inv->leftovers_dropped++;
        return 0;
    }
    if (grow((void **)&inv->leftovers, &inv->leftovers_alloc, inv->nleftovers + 1,
             sizeof(*inv->leftovers)) < 0)
        return RIP_ENOMEM;
    rip_inv_leftover *l = &inv->leftovers[inv->nleftovers];
    *l = (rip_inv_leftover){
        .type = r->type, .verb = r->verb, .id = idz, .on_label = r->on_label, .on = on,
        .detail = detail, .hint = r->hint, .time_ns = row->time_ns, .event_id = row->id,
        .provider_id = dup_slice(&inv->arena, row->provider_id),
        .action = dup_slice(&inv->arena, row->action),
        .account = dup_slice(&inv->arena, row->account),
        .region = dup_slice(&inv->arena, row->region),
    };
    inv->nleftovers++;
    return leftover_index_add(inv, inv->nleftovers - 1);
}

/* Values joined with ", " into the arena; NULL when there are none. */
static const char *join_values(rip_arena *a, const path_values *pv)
{
    rip_buf b = RIP_BUF_INIT;
    const char *out = NULL;
    for (size_t i = 0; i < pv->n; i++) {
        if (i)
            rip_buf_adds(&b, ", ");
        rip_buf_add(&b, pv->v[i].ptr, pv->v[i].len);
    }
    if (pv->n)
        out = rip_arena_strndup(a, b.ptr, b.len);
    rip_buf_release(&b);
    return out;
}

static int generic(leftover_ctx *c, const leftover_rule *r)
{
    rip_investigation *inv = c->inv;
    path_values ids, ons;
    const char *on = NULL;
    int rc = 0;
    if (r->on_paths) {
        find_values(&inv->doc, c->root, r->on_paths, &ons);
        if (!ons.n && r->need_on)
            return 0;
        on = join_values(&inv->arena, &ons);
    }
    find_values(&inv->doc, c->root, r->id_paths, &ids);
    for (size_t i = 0; i < ids.n && rc == 0; i++)
        rc = emit(c, r, ids.v[i], on, NULL);
    return rc;
}

static void add_node_text(rip_buf *b, rip_json_doc *d, const rip_json_node *n)
{
    if (!n)
        return;
    if (n->type == RIP_JSON_STRING) {
        rip_slice s = rip_json_str(d, n);
        rip_buf_add(b, s.ptr, s.len);
    } else if (n->type == RIP_JSON_NUMBER) {
        rip_buf_add(b, n->ptr, n->len);
    }
}

/* "tcp 22 from 0.0.0.0/0" for one rule description (a response's
 * securityGroupRuleSet item, or the request's own fields). */
static const char *sg_detail(rip_arena *a, rip_json_doc *d, const rip_json_node *o,
                             bool egress)
{
    rip_buf b = RIP_BUF_INIT;
    const rip_json_node *proto = rip_json_get(o, "ipProtocol");
    const rip_json_node *from = rip_json_get(o, "fromPort");
    const rip_json_node *to = rip_json_get(o, "toPort");
    const rip_json_node *peer = rip_json_get(o, "cidrIpv4");
    if (!peer)
        peer = rip_json_get(o, "cidrIp");
    if (!peer)
        peer = rip_json_get(o, "cidrIpv6");
    if (!peer)
        peer = rip_json_path(o, "referencedGroupInfo.groupId");
    if (!peer)
        peer = rip_json_get(o, "prefixListId");
    if (proto && rip_json_str_eq(proto, "-1"))
        rip_buf_adds(&b, "all traffic");
    else
        add_node_text(&b, d, proto);
    if (from && !(proto && rip_json_str_eq(proto, "-1"))) {
        rip_buf_addc(&b, ' ');
        add_node_text(&b, d, from);
        if (to && (to->len != from->len || memcmp(to->ptr, from->ptr, from->len))) {
            rip_buf_addc(&b, '-');
            add_node_text(&b, d, to);
        }
    }
    if (peer) {
        rip_buf_adds(&b, egress ? " to " : " from ");
        add_node_text(&b, d, peer);
    }
    const char *out = b.len ? rip_arena_strndup(a, b.ptr, b.len) : NULL;
    rip_buf_release(&b);
    return out;
}

static int sg_rules(leftover_ctx *c, const leftover_rule *r)
{
    rip_investigation *inv = c->inv;
    rip_json_doc *d = &inv->doc;
    bool egress = rip_slice_eq(c->row->action, "AuthorizeSecurityGroupEgress");
    const rip_json_node *set = rip_json_path(c->root, "responseElements.securityGroupRuleSet.items");
    const rip_json_node *req = rip_json_get(c->root, "requestParameters");
    int rc = 0;
    if (rip_json_is(set, RIP_JSON_ARRAY) && set->len > 2) {
        RIP_JSON_EACH(item, set) {
            const rip_json_node *id = rip_json_get(item, "securityGroupRuleId");
            const rip_json_node *grp = rip_json_get(item, "groupId");
            if (!rip_json_is(id, RIP_JSON_STRING))
                continue;
            const char *on = NULL;
            if (rip_json_is(grp, RIP_JSON_STRING))
                on = dup_slice(&inv->arena, rip_json_str(d, grp));
            rc = emit(c, r, rip_json_str(d, id), on, sg_detail(&inv->arena, d, item, egress));
            if (rc < 0)
                return rc;
        }
        return 0;
    }
    /* Older records: no rule ids; the group is what to look at. */
    const rip_json_node *grp = rip_json_get(req, "groupId");
    if (!rip_json_is(grp, RIP_JSON_STRING))
        grp = rip_json_get(req, "groupName");
    if (!rip_json_is(grp, RIP_JSON_STRING))
        return 0;
    const rip_json_node *perm = rip_json_path(req, "ipPermissions.items");
    const rip_json_node *desc = req;
    if (rip_json_is(perm, RIP_JSON_ARRAY) && perm->len > 2)
        desc = perm + 1;
    const char *detail = sg_detail(&inv->arena, d, desc, egress);
    if (!detail && desc != req)
        detail = sg_detail(&inv->arena, d, req, egress);
    if (desc != req && !rip_json_get(desc, "cidrIp")) {
        const rip_json_node *range = rip_json_path(desc, "ipRanges.items");
        if (rip_json_is(range, RIP_JSON_ARRAY) && range->len > 2) {
            rip_buf b = RIP_BUF_INIT;
            rip_buf_adds(&b, detail ? detail : "");
            rip_buf_adds(&b, egress ? " to " : " from ");
            add_node_text(&b, d, rip_json_get(range + 1, "cidrIp"));
            detail = rip_arena_strndup(&inv->arena, b.ptr, b.len);
            rip_buf_release(&b);
        }
    }
    return emit(c, r, rip_json_str(d, grp), NULL, detail);
}

static int find_leftovers(rip_investigation *inv, const rip_store_event_row *row)
{
    if (rip_slice_present(row->error_code) || !row->raw.ptr || !row->service.ptr ||
        !row->action.ptr)
        return 0;
    for (size_t i = 0; i < NRULES; i++) {
        const leftover_rule *r = &leftover_rules[i];
        if (!rule_matches(r, row->service, row->action))
            continue;
        /* A record that does not parse names nothing we can trust. */
        if (rip_json_parse(&inv->doc, row->raw.ptr, row->raw.len, NULL) < 0)
            return 0;
        leftover_ctx c = { inv, row, rip_json_root(&inv->doc) };
        return r->extract ? r->extract(&c, r) : generic(&c, r);
    }
    return 0;
}

/* ---- the investigation ---- */

void rip_inv_init(rip_investigation *inv, const rip_inv_options *opt)
{
    memset(inv, 0, sizeof(*inv));
    inv->gap_ns = opt && opt->gap_ns > 0 ? opt->gap_ns : RIP_INV_DEFAULT_GAP_NS;
    inv->max_events = opt && opt->max_events ? opt->max_events : RIP_INV_DEFAULT_MAX_EVENTS;
    rip_arena_init(&inv->arena, 0);
    static const rip_json_limits lim = { 16u << 20, 128, 1u << 20, 4u << 20 };
    rip_json_doc_init(&inv->doc, &lim);
}

void rip_inv_release(rip_investigation *inv)
{
    if (!inv)
        return;
    summary_release(&inv->total);
    for (size_t i = 0; i < inv->nsessions; i++)
        summary_release(&inv->sessions[i].sum);
    free(inv->sessions);
    free(inv->events);
    free(inv->leftovers);
    free(inv->leftover_index);
    rip_json_doc_release(&inv->doc);
    rip_arena_release(&inv->arena);
    memset(inv, 0, sizeof(*inv));
}

int rip_inv_add(rip_investigation *inv, const rip_store_event_row *row)
{
    const char *vals[NFIELDS];
    size_t lens[NFIELDS];
    rip_slice f[NFIELDS] = {
        [F_SERVICE] = row->service, [F_REGION] = row->region, [F_ACCOUNT] = row->account,
        [F_IP] = row->source_ip, [F_UA] = row->user_agent, [F_ERROR] = row->error_code,
        [F_PRINCIPAL] = row->actor_arn.ptr ? row->actor_arn : row->user_name,
        [F_KEY] = row->access_key,
    };
    bool error = rip_slice_present(row->error_code);
    int rc;

    for (int i = 0; i < NFIELDS; i++) {
        vals[i] = f[i].ptr;
        lens[i] = f[i].len;
    }
    rc = summary_add(&inv->arena, &inv->total, row->time_ns, error, vals, lens);
    if (rc < 0)
        return rc;

    rip_inv_session *s = inv->nsessions ? &inv->sessions[inv->nsessions - 1] : NULL;
    int64_t gap = 0;   /* saturates: times span 1678..2261, their difference may not fit */
    bool new_session = !s || (row->time_ns && s->sum.last_ns &&
                              (__builtin_sub_overflow(row->time_ns, s->sum.last_ns, &gap) ||
                               gap > inv->gap_ns));
    if (new_session) {
        if (grow((void **)&inv->sessions, &inv->sessions_alloc, inv->nsessions + 1,
                 sizeof(*inv->sessions)) < 0)
            return RIP_ENOMEM;
        s = &inv->sessions[inv->nsessions++];
        memset(s, 0, sizeof(*s));
        s->event_first = inv->nevents;
    }
    /* The interned copies from the total (same lengths) are reused by the
     * session's tallies. */
    rc = summary_add(&inv->arena, &s->sum, row->time_ns, error, vals, lens);
    if (rc < 0)
        return rc;

    if (inv->nevents >= inv->max_events) {
        inv->events_dropped++;
    } else {
        if (grow((void **)&inv->events, &inv->events_alloc, inv->nevents + 1,
                 sizeof(*inv->events)) < 0)
            return RIP_ENOMEM;
        rip_arena *a = &inv->arena;
        for (int i = 0; i < NFIELDS; i++)
            if (f[i].ptr && vals[i] == f[i].ptr)  /* not interned: tally full */
                vals[i] = dup_slice(a, f[i]);
        inv->events[inv->nevents++] = (rip_inv_event){
            .id = row->id, .time_ns = row->time_ns,
            .provider_id = dup_slice(a, row->provider_id),
            .account = vals[F_ACCOUNT], .region = vals[F_REGION], .service = vals[F_SERVICE],
            .action = dup_slice(a, row->action), .error_code = vals[F_ERROR],
            .error_message = dup_slice(a, row->error_message), .source_ip = vals[F_IP],
            .user_agent = vals[F_UA], .actor_arn = vals[F_PRINCIPAL],
            .access_key = vals[F_KEY], .read_only = row->read_only,
            .session = inv->nsessions - 1,
        };
        s->event_count++;
    }
    return find_leftovers(inv, row);
}

typedef struct run_ctx {
    rip_investigation *inv;
    int err;
} run_ctx;

static int on_row(void *ud, const rip_store_event_row *row)
{
    run_ctx *c = ud;
    int rc = rip_inv_add(c->inv, row);
    if (rc < 0) {
        c->err = rc;
        return rc;
    }
    return 0;
}

int rip_inv_run(rip_investigation *inv, rip_store *st, const rip_store_query *q)
{
    rip_store_query qq = *q;
    run_ctx c = { inv, 0 };
    qq.with_raw = 1;
    int rc = rip_store_query_events(st, &qq, on_row, &c);
    return c.err ? c.err : rc;
}

/* The rows of a newest-first page, copied out of the store (a row's slices
 * only live during its callback) so that they can be added oldest first. */
typedef struct page_ctx {
    rip_store_event_row *rows;
    size_t n, cap;             /* cap: the page size */
    int more;                  /* a row past the page was seen */
    rip_arena arena;
    int err;
} page_ctx;

static rip_slice copy_slice(rip_arena *a, rip_slice s, int *ok)
{
    if (!s.ptr)
        return s;
    char *p = rip_arena_strndup(a, s.ptr, s.len);
    if (!p) {
        *ok = 0;
        return RIP_SLICE_NULL;
    }
    return (rip_slice){ p, s.len };
}

static int on_page_row(void *ud, const rip_store_event_row *row)
{
    page_ctx *c = ud;
    if (c->n == c->cap) {
        c->more = 1;
        return -1;             /* one past the page: stop reading */
    }
    rip_store_event_row *r = &c->rows[c->n];
    rip_arena *a = &c->arena;
    int ok = 1;
    *r = *row;
    rip_slice *f[] = { &r->cloud, &r->kind, &r->format, &r->provider_id, &r->account,
                       &r->region, &r->actor_type, &r->actor_arn, &r->principal_id,
                       &r->user_name, &r->access_key, &r->session_issuer, &r->service,
                       &r->action, &r->error_code, &r->error_message, &r->source_ip,
                       &r->user_agent, &r->detail_type, &r->raw };
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        *f[i] = copy_slice(a, *f[i], &ok);
    if (!ok) {
        c->err = RIP_ENOMEM;
        return RIP_ENOMEM;
    }
    c->n++;
    return 0;
}

int rip_inv_run_newest(rip_investigation *inv, rip_store *st, const rip_store_query *q,
                       rip_inv_page *page)
{
    rip_store_query qq = *q;
    page_ctx c = { 0 };
    int rc;

    if (!q->limit || q->limit > RIP_INV_PAGE_MAX)
        return RIP_EINVAL;
    c.cap = (size_t)q->limit;
    c.rows = calloc(c.cap, sizeof(*c.rows));
    if (!c.rows)
        return RIP_ENOMEM;
    rip_arena_init(&c.arena, 0);
    qq.with_raw = 1;
    qq.newest_first = 1;
    qq.limit = q->limit + 1;   /* one more: are there older rows? */
    rc = rip_store_query_events(st, &qq, on_page_row, &c);
    if (c.err) {
        rc = c.err;
        goto out;
    }
    if (rc < 0 && !c.more)
        goto out;
    rc = 0;
    for (size_t i = c.n; i-- > 0 && rc == 0;)
        rc = rip_inv_add(inv, &c.rows[i]);
    if (rc == 0) {
        page->rows = c.n;
        page->more = c.more;
        page->oldest_time_ns = c.n ? c.rows[c.n - 1].time_ns : 0;
        page->oldest_id = c.n ? c.rows[c.n - 1].id : 0;
    }
out:
    rip_arena_release(&c.arena);
    free(c.rows);
    return rc;
}
