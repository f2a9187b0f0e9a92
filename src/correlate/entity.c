/* entity.c — entity kinds and their extraction from events (entity.h). */
#include "correlate/entity.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "util/json.h"

static const char *const kind_names[RIP_ENTITY__COUNT] = {
    [RIP_ENTITY_ACCESS_KEY] = "access_key",
    [RIP_ENTITY_PRINCIPAL] = "principal",
    [RIP_ENTITY_ROLE] = "role",
    [RIP_ENTITY_INSTANCE] = "instance",
    [RIP_ENTITY_BUCKET] = "bucket",
    [RIP_ENTITY_SECURITY_GROUP] = "security_group",
    [RIP_ENTITY_SOURCE_IP] = "source_ip",
};

const char *rip_entity_kind_name(rip_entity_kind k)
{
    return (unsigned)k < RIP_ENTITY__COUNT ? kind_names[k] : "?";
}

int rip_entity_kind_parse(const char *s, rip_entity_kind *out)
{
    for (int k = 0; s && k < RIP_ENTITY__COUNT; k++)
        if (!strcmp(s, kind_names[k])) {
            *out = (rip_entity_kind)k;
            return 0;
        }
    return RIP_EINVAL;
}

void rip_entity_set_init(rip_entity_set *s)
{
    s->n = 0;
    s->dropped = 0;
}

void rip_entity_set_release(rip_entity_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i].value);
    s->n = 0;
    s->dropped = 0;
}

static int acceptable(rip_slice v)
{
    if (!v.ptr || v.len == 0 || v.len > RIP_ENTITY_VALUE_MAX)
        return 0;
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.ptr[i] < 0x20 || v.ptr[i] == 0x7f)
            return 0;
    return 1;
}

int rip_entity_set_add(rip_entity_set *s, rip_entity_kind kind, rip_slice value)
{
    if (!acceptable(value))
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].kind == kind && strlen(s->v[i].value) == value.len &&
            !memcmp(s->v[i].value, value.ptr, value.len))
            return 0;
    if (s->n >= RIP_ENTITY_MAX) {
        s->dropped++;
        return 0;
    }
    char *copy = malloc(value.len + 1);
    if (!copy)
        return RIP_ENOMEM;
    memcpy(copy, value.ptr, value.len);
    copy[value.len] = '\0';
    s->v[s->n].kind = kind;
    s->v[s->n].value = copy;
    s->n++;
    return 0;
}

int rip_entity_set_merge(rip_entity_set *s, const rip_entity_set *src)
{
    for (size_t i = 0; i < src->n; i++) {
        int rc = rip_entity_set_add(s, src->v[i].kind, rip_slice_cstr(src->v[i].value));
        if (rc)
            return rc;
    }
    return 0;
}

int rip_entity_set_has(const rip_entity_set *s, rip_entity_kind kind, const char *value)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].kind == kind && !strcmp(s->v[i].value, value))
            return 1;
    return 0;
}

/* An IPv4 or IPv6 address, not a service name ("ec2.amazonaws.com",
 * "AWS Internal") that CloudTrail writes when a service made the call. */
static int looks_like_ip(rip_slice v)
{
    int colons = 0, dots = 0;
    if (!v.ptr || v.len < 2 || v.len > 45)
        return 0;
    for (size_t i = 0; i < v.len; i++) {
        char c = v.ptr[i];
        if (c == ':')
            colons++;
        else if (c == '.')
            dots++;
        else if (!((c >= '0' && c <= '9') || (colons && ((c >= 'a' && c <= 'f') ||
                                                          (c >= 'A' && c <= 'F')))))
            return 0;
    }
    return colons >= 2 || dots == 3;
}

static int prefixed(rip_slice v, const char *p)
{
    return rip_slice_starts(v, p) && v.len > strlen(p);
}

/* Adds a value as the kind its shape says (instance "i-", security group
 * "sg-"); anything else is ignored. */
static int add_shaped(rip_entity_set *s, rip_slice v)
{
    if (prefixed(v, "i-"))
        return rip_entity_set_add(s, RIP_ENTITY_INSTANCE, v);
    if (prefixed(v, "sg-"))
        return rip_entity_set_add(s, RIP_ENTITY_SECURITY_GROUP, v);
    return 0;
}

static rip_slice str_of(const rip_event *ev, const rip_json_node *n)
{
    if (!rip_json_is(n, RIP_JSON_STRING))
        return RIP_SLICE_NULL;
    if (!(n->flags & RIP_JSON_F_ESCAPED))
        return (rip_slice){ n->ptr, n->len };
    return ev->doc ? rip_json_str(ev->doc, n) : RIP_SLICE_NULL;
}

/* Every string under key `field` of the objects in `items` (an EC2 "set":
 * {"items": [{"instanceId": ...}, ...]}), at most 64. */
static int add_items(rip_entity_set *s, const rip_event *ev, const rip_json_node *set,
                     const char *field)
{
    const rip_json_node *items = rip_json_get(set, "items");
    unsigned k = 0;
    if (!rip_json_is(items, RIP_JSON_ARRAY))
        return 0;
    RIP_JSON_EACH(it, items) {
        if (k++ >= 64)
            break;
        int rc = add_shaped(s, str_of(ev, rip_json_get(it, field)));
        if (rc)
            return rc;
    }
    return 0;
}

static int from_cloudtrail(rip_entity_set *s, const rip_event *ev)
{
    static const char *const sides[] = { "requestParameters", "responseElements" };
    int rc = 0;
    for (size_t i = 0; i < 2 && rc == 0; i++) {
        const rip_json_node *p = rip_json_get(ev->raw, sides[i]);
        if (!rip_json_is(p, RIP_JSON_OBJECT))
            continue;
        rc = add_shaped(s, str_of(ev, rip_json_get(p, "instanceId")));
        if (rc == 0)
            rc = add_shaped(s, str_of(ev, rip_json_get(p, "target")));
        if (rc == 0)
            rc = add_shaped(s, str_of(ev, rip_json_get(p, "groupId")));
        if (rc == 0)
            rc = add_items(s, ev, rip_json_get(p, "instancesSet"), "instanceId");
        if (rc == 0)
            rc = add_items(s, ev, rip_json_get(p, "groupSet"), "groupId");
        const rip_json_node *ids = rip_json_get(p, "instanceIds");
        if (rc == 0 && rip_json_is(ids, RIP_JSON_ARRAY)) {
            unsigned k = 0;
            RIP_JSON_EACH(it, ids) {
                if (k++ >= 64 || rc)
                    break;
                rc = add_shaped(s, str_of(ev, it));
            }
        }
        if (rc == 0 && i == 0)
            rc = rip_entity_set_add(s, RIP_ENTITY_BUCKET,
                                    str_of(ev, rip_json_get(p, "bucketName")));
    }
    return rc;
}

static int from_guardduty(rip_entity_set *s, const rip_event *ev)
{
    const rip_json_node *nis = rip_json_path(ev->raw, "resource.instanceDetails.networkInterfaces");
    unsigned k = 0;
    if (!rip_json_is(nis, RIP_JSON_ARRAY))
        return 0;
    RIP_JSON_EACH(ni, nis) {
        const rip_json_node *sgs = rip_json_get(ni, "securityGroups");
        if (!rip_json_is(sgs, RIP_JSON_ARRAY))
            continue;
        RIP_JSON_EACH(sg, sgs) {
            if (k++ >= 64)
                return 0;
            int rc = add_shaped(s, str_of(ev, rip_json_get(sg, "groupId")));
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int contains(rip_slice s, const char *needle)
{
    size_t n = strlen(needle);
    return s.ptr && s.len >= n && memmem(s.ptr, s.len, needle, n) != NULL;
}

int rip_entities_from_event(rip_entity_set *s, const rip_event *ev)
{
    int rc = rip_entity_set_add(s, RIP_ENTITY_ACCESS_KEY, ev->actor.access_key);
    if (rc == 0)
        rc = rip_entity_set_add(s, RIP_ENTITY_PRINCIPAL, ev->actor.arn);
    if (rc == 0 && rip_slice_present(ev->actor.session_issuer) &&
        !rip_slice_eqs(ev->actor.session_issuer, ev->actor.arn))
        rc = rip_entity_set_add(s, RIP_ENTITY_ROLE, ev->actor.session_issuer);
    if (rc == 0 && looks_like_ip(ev->source.ip))
        rc = rip_entity_set_add(s, RIP_ENTITY_SOURCE_IP, ev->source.ip);
    for (uint32_t i = 0; rc == 0 && i < ev->nresources && i < 256; i++) {
        const rip_resource *r = &ev->resources[i];
        if (contains(r->type, "S3") && contains(r->type, "Bucket"))
            rc = rip_entity_set_add(s, RIP_ENTITY_BUCKET, r->id);
        else if (contains(r->type, "Instance") || contains(r->type, "SecurityGroup"))
            rc = add_shaped(s, r->id);
    }
    if (rc == 0 && ev->raw && rip_json_is(ev->raw, RIP_JSON_OBJECT)) {
        if (ev->format == RIP_FORMAT_CLOUDTRAIL)
            rc = from_cloudtrail(s, ev);
        else if (ev->format == RIP_FORMAT_GUARDDUTY)
            rc = from_guardduty(s, ev);
    }
    return rc;
}
