/* inventory-aws.c — one account's AWS assets into a rip_asset_set. See
 * inventory-aws.h.
 *
 * Ids: EC2 assets by their EC2 id, users and roles by name (what access
 * keys and instance profiles refer to), access keys by key id, buckets by
 * name. Relations (inventory/asset.h) name the target's type and that id:
 *   instance       -> security_group, subnet, vpc, role (through its
 *                     instance profile), instance_profile, volume
 *   security_group -> vpc        subnet -> vpc
 *   network_acl    -> vpc, subnet (the subnets it is associated with)
 *   user           -> access_key, policy     role -> policy
 *   access_key     -> user
 *   trail          -> bucket (where it delivers)
 * Everything else the responder needs (state, public IP, rules, ACL
 * entries, public access block, bucket policy status, last use, whether a
 * trail is logging) is in the asset's detail JSON.
 *
 * "Open to the world" is any IPv4 or IPv6 range with prefix length 0
 * ("0.0.0.0/0", "::/0", but also "203.0.113.7/0", which AWS accepts and
 * which admits every address just the same).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/aws-proto.h"
#include "cloud/aws-xml.h"
#include "cloud/inventory-aws.h"
#include "util/err.h"
#include "util/json.h"
#include "util/timeutil.h"

#define EC2_VERSION "2016-11-15"
#define IAM_VERSION "2010-05-08"
#define STS_VERSION "2011-06-15"
#define CLOUDTRAIL_TARGET "CloudTrail_20131101."

typedef struct profile_role profile_role;
struct profile_role {
    const char *profile_arn, *role;
    profile_role *next;
};

typedef struct snap {
    rip_aws_client *c;
    rip_asset_set *set;
    const char *account, *region;
    char *errmsg;
    size_t errcap;
    int first_err;             /* first failed listing (RIP_E*), 0 when none */
    rip_buf detail;            /* scratch for one asset's detail JSON */
    profile_role *profiles;    /* instance profile ARN -> role names */
} snap;

typedef int (*item_fn)(snap *s, const rip_aws_xml_node *item, void *ud);

static int fatal(int rc)
{
    return rc == RIP_ENOMEM || rc == RIP_ELIMIT;
}

/* Records a failed call; returns rc. */
static int failed(snap *s, int rc, const char *service, const char *op, const rip_aws_error *e)
{
    if (!s->first_err) {
        s->first_err = rc;
        if (e && e->code[0])
            snprintf(s->errmsg, s->errcap, "%s %s: %s: %s", service, op, e->code, e->message);
        else
            snprintf(s->errmsg, s->errcap, "%s %s: %s", service, op,
                     e && e->message[0] ? e->message : rip_strerror(rc));
    }
    return rc;
}

int rip_inventory_aws_account(rip_aws_client *c, char *out, size_t cap, rip_aws_error *err)
{
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_params_init(&p, "GetCallerIdentity", STS_VERSION);
    rip_aws_xml_init(&x);
    int rc = rip_aws_query(c, "sts", &p, &x, err);
    rip_aws_params_release(&p);
    if (rc == 0) {
        const char *a = rip_aws_xml_text(x.root, "GetCallerIdentityResult/Account", "");
        if (!*a || strlen(a) >= cap) {
            memset(err, 0, sizeof(*err));
            snprintf(err->message, sizeof(err->message), "sts GetCallerIdentity returned no account");
            rc = RIP_EIO;
        } else {
            snprintf(out, cap, "%s", a);
        }
    }
    rip_aws_xml_release(&x);
    return rc;
}

/* ---- paging ---- */

/* Calls an EC2 Describe action page by page, fn for every element at
 * list_path ("reservationSet/item"). */
static int ec2_pages(snap *s, const char *action, const char *list_path, item_fn fn, void *ud)
{
    char token[4096] = "";
    for (int page = 0; page < RIP_INVENTORY_AWS_MAX_PAGES; page++) {
        rip_aws_params p;
        rip_aws_xml x;
        rip_aws_error e;
        rip_aws_params_init(&p, action, EC2_VERSION);
        if (token[0])
            rip_aws_params_add(&p, "NextToken", token);
        rip_aws_xml_init(&x);
        int rc = rip_aws_query(s->c, "ec2", &p, &x, &e);
        rip_aws_params_release(&p);
        if (rc < 0) {
            rip_aws_xml_release(&x);
            return failed(s, rc, "ec2", action, &e);
        }
        for (const rip_aws_xml_node *n = rip_aws_xml_path(x.root, list_path); n && rc == 0;
             n = rip_aws_xml_next_same(n))
            rc = fn(s, n, ud);
        const char *next = rip_aws_xml_text(x.root, "nextToken", "");
        int too_long = strlen(next) >= sizeof(token);
        snprintf(token, sizeof(token), "%s", too_long ? "" : next);
        rip_aws_xml_release(&x);
        if (rc < 0)
            return rc;
        if (too_long)
            return failed(s, RIP_ELIMIT, "ec2", action, NULL);
        if (!token[0])
            return 0;
    }
    return failed(s, RIP_ELIMIT, "ec2", action, NULL);
}

/* Calls an IAM List action page by page (Marker / IsTruncated); result is
 * "ListUsersResult", list "Users/member". key/value: one extra parameter
 * (UserName), or NULL. */
static int iam_pages(snap *s, const char *action, const char *key, const char *value,
                     const char *result, const char *list, item_fn fn, void *ud)
{
    char marker[4096] = "";
    for (int page = 0; page < RIP_INVENTORY_AWS_MAX_PAGES; page++) {
        rip_aws_params p;
        rip_aws_xml x;
        rip_aws_error e;
        rip_aws_params_init(&p, action, IAM_VERSION);
        if (key)
            rip_aws_params_add(&p, key, value);
        if (marker[0])
            rip_aws_params_add(&p, "Marker", marker);
        rip_aws_xml_init(&x);
        int rc = rip_aws_query(s->c, "iam", &p, &x, &e);
        rip_aws_params_release(&p);
        if (rc < 0) {
            rip_aws_xml_release(&x);
            return failed(s, rc, "iam", action, &e);
        }
        const rip_aws_xml_node *res = rip_aws_xml_child(x.root, result);
        for (const rip_aws_xml_node *n = rip_aws_xml_path(res, list); n && rc == 0;
             n = rip_aws_xml_next_same(n))
            rc = fn(s, n, ud);
        int more = !strcmp(rip_aws_xml_text(res, "IsTruncated", "false"), "true");
        const char *next = rip_aws_xml_text(res, "Marker", "");
        int too_long = strlen(next) >= sizeof(marker);
        snprintf(marker, sizeof(marker), "%s", too_long ? "" : next);
        rip_aws_xml_release(&x);
        if (rc < 0)
            return rc;
        if (more && (too_long || !marker[0]))
            return failed(s, RIP_ELIMIT, "iam", action, NULL);
        if (!more)
            return 0;
    }
    return failed(s, RIP_ELIMIT, "iam", action, NULL);
}

/* ---- helpers ---- */

static rip_asset *add(snap *s, rip_asset_type t, const char *id, const char *region, int *rc)
{
    *rc = 0;
    if (!id || !*id)
        return NULL;
    return rip_asset_add(s->set, t, id, region, rc);
}

/* EC2 tagSet into tags; the Name tag also names the asset. */
static int ec2_tags(snap *s, rip_asset *a, const rip_aws_xml_node *item)
{
    for (const rip_aws_xml_node *t = rip_aws_xml_path(item, "tagSet/item"); t;
         t = rip_aws_xml_next_same(t)) {
        const char *k = rip_aws_xml_text(t, "key", ""), *v = rip_aws_xml_text(t, "value", "");
        int rc = rip_asset_add_tag(s->set, a, k, v);
        if (rc < 0)
            return rc;
        if (!strcmp(k, "Name") && !a->name)
            a->name = rip_asset_strdup(s->set, v);
    }
    return 0;
}

static void jw_text(rip_jw *w, const char *key, const rip_aws_xml_node *n, const char *path)
{
    const rip_aws_xml_node *v = rip_aws_xml_path(n, path);
    rip_jw_key(w, key);
    if (v && v->text_len)
        rip_jw_strn(w, v->text, v->text_len);
    else
        rip_jw_null(w);
}

static void jw_bool(rip_jw *w, const char *key, const rip_aws_xml_node *n, const char *path)
{
    const rip_aws_xml_node *v = rip_aws_xml_path(n, path);
    rip_jw_key(w, key);
    if (v && v->text_len)
        rip_jw_bool(w, !strcmp(v->text, "true"));
    else
        rip_jw_null(w);
}

static void jw_int(rip_jw *w, const char *key, const rip_aws_xml_node *n, const char *path)
{
    const rip_aws_xml_node *v = rip_aws_xml_path(n, path);
    char *end;
    long long x = v && v->text_len ? strtoll(v->text, &end, 10) : 0;
    rip_jw_key(w, key);
    if (v && v->text_len && !*end)
        rip_jw_i64(w, x);
    else
        rip_jw_null(w);
}

static void detail_begin(snap *s, rip_jw *w)
{
    rip_buf_reset(&s->detail);
    rip_jw_init(w, &s->detail);
    rip_jw_obj_begin(w);
}

static int detail_end(snap *s, rip_jw *w, rip_asset *a)
{
    rip_jw_obj_end(w);
    int rc = rip_jw_finish(w);
    return rc < 0 ? rc : rip_asset_set_detail(s->set, a, s->detail.ptr, s->detail.len);
}

static int set_arn(snap *s, rip_asset *a, const char *fmt_service, const char *kind)
{
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:aws:%s:%s:%s:%s/%s", fmt_service, s->region, s->account,
             kind, a->id);
    a->arn = rip_asset_strdup(s->set, arn);
    return a->arn ? 0 : RIP_ENOMEM;
}

/* ---- EC2 ---- */

static int on_profile(snap *s, const rip_aws_xml_node *ip, void *ud)
{
    (void)ud;
    const char *arn = rip_aws_xml_text(ip, "Arn", "");
    for (const rip_aws_xml_node *r = rip_aws_xml_path(ip, "Roles/member"); r;
         r = rip_aws_xml_next_same(r)) {
        profile_role *pr = rip_arena_calloc(&s->set->arena, 1, sizeof(*pr));
        if (!pr)
            return RIP_ENOMEM;
        pr->profile_arn = rip_asset_strdup(s->set, arn);
        pr->role = rip_asset_strdup(s->set, rip_aws_xml_text(r, "RoleName", ""));
        if (!pr->profile_arn || !pr->role)
            return RIP_ENOMEM;
        pr->next = s->profiles;
        s->profiles = pr;
    }
    return 0;
}

static int on_instance(snap *s, const rip_aws_xml_node *in, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_INSTANCE, rip_aws_xml_text(in, "instanceId", ""), s->region,
                       &rc);
    if (!a)
        return rc;
    if ((rc = ec2_tags(s, a, in)) < 0 || (rc = set_arn(s, a, "ec2", "instance")) < 0)
        return rc;
    for (const rip_aws_xml_node *g = rip_aws_xml_path(in, "groupSet/item"); g && rc == 0;
         g = rip_aws_xml_next_same(g))
        rc = rip_asset_add_rel(s->set, a, "security_group", rip_aws_xml_text(g, "groupId", ""));
    if (rc == 0)
        rc = rip_asset_add_rel(s->set, a, "subnet", rip_aws_xml_text(in, "subnetId", ""));
    if (rc == 0)
        rc = rip_asset_add_rel(s->set, a, "vpc", rip_aws_xml_text(in, "vpcId", ""));
    const char *profile = rip_aws_xml_text(in, "iamInstanceProfile/arn", "");
    if (rc == 0 && *profile) {
        rc = rip_asset_add_rel(s->set, a, "instance_profile", profile);
        for (const profile_role *p = s->profiles; p && rc == 0; p = p->next)
            if (!strcmp(p->profile_arn, profile))
                rc = rip_asset_add_rel(s->set, a, "role", p->role);
    }
    for (const rip_aws_xml_node *b = rip_aws_xml_path(in, "blockDeviceMapping/item");
         b && rc == 0; b = rip_aws_xml_next_same(b))
        rc = rip_asset_add_rel(s->set, a, "volume", rip_aws_xml_text(b, "ebs/volumeId", ""));
    if (rc < 0)
        return rc;

    detail_begin(s, &w);
    jw_text(&w, "state", in, "instanceState/name");
    jw_text(&w, "instance_type", in, "instanceType");
    jw_text(&w, "image_id", in, "imageId");
    jw_text(&w, "launch_time", in, "launchTime");
    jw_text(&w, "availability_zone", in, "placement/availabilityZone");
    jw_text(&w, "private_ip", in, "privateIpAddress");
    jw_text(&w, "public_ip", in, "ipAddress");
    jw_text(&w, "public_dns", in, "dnsName");
    jw_text(&w, "key_name", in, "keyName");
    jw_text(&w, "subnet_id", in, "subnetId");
    jw_text(&w, "vpc_id", in, "vpcId");
    jw_text(&w, "instance_profile", in, "iamInstanceProfile/arn");
    rip_jw_key(&w, "security_groups");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *g = rip_aws_xml_path(in, "groupSet/item"); g;
         g = rip_aws_xml_next_same(g)) {
        rip_jw_obj_begin(&w);
        jw_text(&w, "id", g, "groupId");
        jw_text(&w, "name", g, "groupName");
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "volumes");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *b = rip_aws_xml_path(in, "blockDeviceMapping/item"); b;
         b = rip_aws_xml_next_same(b)) {
        rip_jw_obj_begin(&w);
        jw_text(&w, "device", b, "deviceName");
        jw_text(&w, "volume_id", b, "ebs/volumeId");
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    return detail_end(s, &w, a);
}

static int on_reservation(snap *s, const rip_aws_xml_node *r, void *ud)
{
    int rc = 0;
    for (const rip_aws_xml_node *in = rip_aws_xml_path(r, "instancesSet/item"); in && rc == 0;
         in = rip_aws_xml_next_same(in))
        rc = on_instance(s, in, ud);
    return rc;
}

/* One permission (rule) of a security group; *open is set when it admits
 * the whole internet. */
static void sg_rule(rip_jw *w, const rip_aws_xml_node *p, bool *open)
{
    bool world = false;
    rip_jw_obj_begin(w);
    jw_text(w, "protocol", p, "ipProtocol");
    jw_int(w, "from_port", p, "fromPort");
    jw_int(w, "to_port", p, "toPort");
    rip_jw_key(w, "cidrs");
    rip_jw_arr_begin(w);
    for (const rip_aws_xml_node *r = rip_aws_xml_path(p, "ipRanges/item"); r;
         r = rip_aws_xml_next_same(r)) {
        const char *cidr = rip_aws_xml_text(r, "cidrIp", "");
        world |= rip_asset_cidr_world(cidr);
        rip_jw_str(w, cidr);
    }
    rip_jw_arr_end(w);
    rip_jw_key(w, "ipv6_cidrs");
    rip_jw_arr_begin(w);
    for (const rip_aws_xml_node *r = rip_aws_xml_path(p, "ipv6Ranges/item"); r;
         r = rip_aws_xml_next_same(r)) {
        const char *cidr = rip_aws_xml_text(r, "cidrIpv6", "");
        world |= rip_asset_cidr_world(cidr);
        rip_jw_str(w, cidr);
    }
    rip_jw_arr_end(w);
    rip_jw_key(w, "groups");
    rip_jw_arr_begin(w);
    for (const rip_aws_xml_node *g = rip_aws_xml_path(p, "groups/item"); g;
         g = rip_aws_xml_next_same(g))
        rip_jw_str(w, rip_aws_xml_text(g, "groupId", ""));
    rip_jw_arr_end(w);
    rip_jw_key(w, "open_to_world");
    rip_jw_bool(w, world);
    rip_jw_obj_end(w);
    *open |= world;
}

static int on_group(snap *s, const rip_aws_xml_node *g, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    bool open = false, egress_open = false;
    rip_asset *a = add(s, RIP_ASSET_SECURITY_GROUP, rip_aws_xml_text(g, "groupId", ""),
                       s->region, &rc);
    if (!a)
        return rc;
    if ((rc = ec2_tags(s, a, g)) < 0 || (rc = set_arn(s, a, "ec2", "security-group")) < 0)
        return rc;
    if (!a->name)
        a->name = rip_asset_strdup(s->set, rip_aws_xml_text(g, "groupName", ""));
    if ((rc = rip_asset_add_rel(s->set, a, "vpc", rip_aws_xml_text(g, "vpcId", ""))) < 0)
        return rc;
    detail_begin(s, &w);
    jw_text(&w, "group_name", g, "groupName");
    jw_text(&w, "description", g, "groupDescription");
    jw_text(&w, "vpc_id", g, "vpcId");
    rip_jw_key(&w, "ingress");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *p = rip_aws_xml_path(g, "ipPermissions/item"); p;
         p = rip_aws_xml_next_same(p))
        sg_rule(&w, p, &open);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "egress");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *p = rip_aws_xml_path(g, "ipPermissionsEgress/item"); p;
         p = rip_aws_xml_next_same(p))
        sg_rule(&w, p, &egress_open);
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "open_to_world");
    rip_jw_bool(&w, open);
    return detail_end(s, &w, a);
}

static int on_subnet(snap *s, const rip_aws_xml_node *n, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_SUBNET, rip_aws_xml_text(n, "subnetId", ""), s->region, &rc);
    if (!a)
        return rc;
    if ((rc = ec2_tags(s, a, n)) < 0 || (rc = set_arn(s, a, "ec2", "subnet")) < 0 ||
        (rc = rip_asset_add_rel(s->set, a, "vpc", rip_aws_xml_text(n, "vpcId", ""))) < 0)
        return rc;
    detail_begin(s, &w);
    jw_text(&w, "vpc_id", n, "vpcId");
    jw_text(&w, "cidr", n, "cidrBlock");
    jw_text(&w, "availability_zone", n, "availabilityZone");
    jw_bool(&w, "map_public_ip_on_launch", n, "mapPublicIpOnLaunch");
    jw_bool(&w, "default_for_az", n, "defaultForAz");
    jw_text(&w, "state", n, "state");
    return detail_end(s, &w, a);
}

static int on_vpc(snap *s, const rip_aws_xml_node *n, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_VPC, rip_aws_xml_text(n, "vpcId", ""), s->region, &rc);
    if (!a)
        return rc;
    if ((rc = ec2_tags(s, a, n)) < 0 || (rc = set_arn(s, a, "ec2", "vpc")) < 0)
        return rc;
    detail_begin(s, &w);
    jw_text(&w, "cidr", n, "cidrBlock");
    jw_bool(&w, "is_default", n, "isDefault");
    jw_text(&w, "state", n, "state");
    return detail_end(s, &w, a);
}

/* A network ACL: its entries in rule order as AWS lists them, and whether
 * an ingress rule allows the whole internet in (ingress_allows_world: the
 * first matching rule wins in a NACL, so this says "a rule admits it", not
 * "all traffic is admitted"; the entries tell the rest). */
static int on_nacl(snap *s, const rip_aws_xml_node *n, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    bool world_in = false;
    rip_asset *a = add(s, RIP_ASSET_NETWORK_ACL, rip_aws_xml_text(n, "networkAclId", ""),
                       s->region, &rc);
    if (!a)
        return rc;
    if ((rc = ec2_tags(s, a, n)) < 0 || (rc = set_arn(s, a, "ec2", "network-acl")) < 0 ||
        (rc = rip_asset_add_rel(s->set, a, "vpc", rip_aws_xml_text(n, "vpcId", ""))) < 0)
        return rc;
    for (const rip_aws_xml_node *as = rip_aws_xml_path(n, "associationSet/item"); as && rc == 0;
         as = rip_aws_xml_next_same(as))
        rc = rip_asset_add_rel(s->set, a, "subnet", rip_aws_xml_text(as, "subnetId", ""));
    if (rc < 0)
        return rc;
    detail_begin(s, &w);
    jw_text(&w, "vpc_id", n, "vpcId");
    jw_bool(&w, "is_default", n, "default");
    rip_jw_key(&w, "entries");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *e = rip_aws_xml_path(n, "entrySet/item"); e;
         e = rip_aws_xml_next_same(e)) {
        const char *v4 = rip_aws_xml_text(e, "cidrBlock", "");
        const char *v6 = rip_aws_xml_text(e, "ipv6CidrBlock", "");
        bool egress = !strcmp(rip_aws_xml_text(e, "egress", "false"), "true");
        bool allow = !strcmp(rip_aws_xml_text(e, "ruleAction", ""), "allow");
        bool world = rip_asset_cidr_world(v4) || rip_asset_cidr_world(v6);
        world_in |= !egress && allow && world;
        rip_jw_obj_begin(&w);
        jw_int(&w, "rule_number", e, "ruleNumber");
        jw_text(&w, "protocol", e, "protocol");
        jw_text(&w, "action", e, "ruleAction");
        rip_jw_key(&w, "egress");
        rip_jw_bool(&w, egress);
        jw_text(&w, "cidr", e, "cidrBlock");
        jw_text(&w, "ipv6_cidr", e, "ipv6CidrBlock");
        jw_int(&w, "from_port", e, "portRange/from");
        jw_int(&w, "to_port", e, "portRange/to");
        rip_jw_key(&w, "open_to_world");
        rip_jw_bool(&w, world);
        rip_jw_obj_end(&w);
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "subnets");
    rip_jw_arr_begin(&w);
    for (const rip_aws_xml_node *as = rip_aws_xml_path(n, "associationSet/item"); as;
         as = rip_aws_xml_next_same(as))
        rip_jw_str(&w, rip_aws_xml_text(as, "subnetId", ""));
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "ingress_allows_world");
    rip_jw_bool(&w, world_in);
    return detail_end(s, &w, a);
}

/* ---- IAM ---- */

static int on_tag(snap *s, const rip_aws_xml_node *t, void *ud)
{
    return rip_asset_add_tag(s->set, ud, rip_aws_xml_text(t, "Key", ""),
                             rip_aws_xml_text(t, "Value", ""));
}

static int on_policy(snap *s, const rip_aws_xml_node *p, void *ud)
{
    return rip_asset_add_rel(s->set, ud, "policy", rip_aws_xml_text(p, "PolicyArn", ""));
}

/* The extra list calls of a user or role: a failure is recorded (the
 * snapshot reports it) without dropping the asset. */
static int soft(int rc)
{
    return fatal(rc) ? rc : 0;
}

static int on_key(snap *s, const rip_aws_xml_node *k, void *ud)
{
    rip_asset *user = ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_ACCESS_KEY, rip_aws_xml_text(k, "AccessKeyId", ""), NULL,
                       &rc);
    if (!a)
        return rc;
    if ((rc = rip_asset_add_rel(s->set, a, "user", user->id)) < 0 ||
        (rc = rip_asset_add_rel(s->set, user, "access_key", a->id)) < 0)
        return rc;
    a->name = user->id;

    /* Last use: GetAccessKeyLastUsed. */
    rip_aws_params p;
    rip_aws_xml x;
    rip_aws_error e;
    rip_aws_params_init(&p, "GetAccessKeyLastUsed", IAM_VERSION);
    rip_aws_params_add(&p, "AccessKeyId", a->id);
    rip_aws_xml_init(&x);
    rc = rip_aws_query(s->c, "iam", &p, &x, &e);
    rip_aws_params_release(&p);
    if (rc < 0)
        failed(s, rc, "iam", "GetAccessKeyLastUsed", &e);
    const rip_aws_xml_node *lu =
        rc == 0 ? rip_aws_xml_path(x.root, "GetAccessKeyLastUsedResult/AccessKeyLastUsed") : NULL;

    detail_begin(s, &w);
    rip_jw_key(&w, "user");
    rip_jw_str(&w, user->id);
    jw_text(&w, "status", k, "Status");
    jw_text(&w, "create_date", k, "CreateDate");
    rip_jw_key(&w, "last_used");
    if (lu && rip_aws_xml_child(lu, "LastUsedDate")) {
        rip_jw_obj_begin(&w);
        jw_text(&w, "date", lu, "LastUsedDate");
        jw_text(&w, "service", lu, "ServiceName");
        jw_text(&w, "region", lu, "Region");
        rip_jw_obj_end(&w);
    } else {
        rip_jw_null(&w);
    }
    rip_aws_xml_release(&x);
    return detail_end(s, &w, a);
}

static int on_user(snap *s, const rip_aws_xml_node *u, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_USER, rip_aws_xml_text(u, "UserName", ""), NULL, &rc);
    if (!a)
        return rc;
    a->arn = rip_asset_strdup(s->set, rip_aws_xml_text(u, "Arn", ""));
    a->name = a->id;
    detail_begin(s, &w);
    jw_text(&w, "user_id", u, "UserId");
    jw_text(&w, "path", u, "Path");
    jw_text(&w, "create_date", u, "CreateDate");
    jw_text(&w, "password_last_used", u, "PasswordLastUsed");
    if ((rc = detail_end(s, &w, a)) < 0)
        return rc;
    if ((rc = soft(iam_pages(s, "ListUserTags", "UserName", a->id, "ListUserTagsResult",
                             "Tags/member", on_tag, a))) < 0 ||
        (rc = soft(iam_pages(s, "ListAttachedUserPolicies", "UserName", a->id,
                             "ListAttachedUserPoliciesResult", "AttachedPolicies/member",
                             on_policy, a))) < 0)
        return rc;
    /* Keys are a type of their own: a failed listing leaves keys unsynced. */
    rc = iam_pages(s, "ListAccessKeys", "UserName", a->id, "ListAccessKeysResult",
                   "AccessKeyMetadata/member", on_key, a);
    if (rc < 0 && !fatal(rc))
        s->set->synced[RIP_ASSET_ACCESS_KEY] = false;
    return soft(rc);
}

static int on_role(snap *s, const rip_aws_xml_node *r, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_asset *a = add(s, RIP_ASSET_ROLE, rip_aws_xml_text(r, "RoleName", ""), NULL, &rc);
    if (!a)
        return rc;
    a->arn = rip_asset_strdup(s->set, rip_aws_xml_text(r, "Arn", ""));
    a->name = a->id;
    detail_begin(s, &w);
    jw_text(&w, "role_id", r, "RoleId");
    jw_text(&w, "path", r, "Path");
    jw_text(&w, "description", r, "Description");
    jw_text(&w, "create_date", r, "CreateDate");
    if ((rc = detail_end(s, &w, a)) < 0)
        return rc;
    if ((rc = soft(iam_pages(s, "ListRoleTags", "RoleName", a->id, "ListRoleTagsResult",
                             "Tags/member", on_tag, a))) < 0)
        return rc;
    return soft(iam_pages(s, "ListAttachedRolePolicies", "RoleName", a->id,
                          "ListAttachedRolePoliciesResult", "AttachedPolicies/member",
                          on_policy, a));
}

/* ---- S3 ---- */

/* GET /bucket?sub= into *resp. RIP_ENOTFOUND when the error code is
 * absent_code (no such configuration); other failures are recorded. */
static int s3_fetch(snap *s, const char *bucket, const char *sub, const char *op,
                    const char *absent_code, rip_aws_response *resp)
{
    rip_buf path = RIP_BUF_INIT;
    rip_aws_error e;
    memset(&e, 0, sizeof(e));
    int rc = rip_aws_s3_path(&path, bucket, NULL);
    if (rc == 0)
        rc = rip_aws_rest(s->c, "s3", "GET", path.ptr, sub, NULL, 0, NULL, 0, resp, &e);
    if (rc < 0 && absent_code && !strcmp(e.code, absent_code))
        rc = RIP_ENOTFOUND;
    else if (rc < 0)
        failed(s, rc, "s3", op, &e);
    rip_buf_release(&path);
    return rc;
}

/* GET /bucket?sub=; parses the XML into *x. RIP_ENOTFOUND when the error
 * code is absent_code (no such configuration). */
static int s3_get(snap *s, const char *bucket, const char *sub, const char *op,
                  const char *absent_code, rip_aws_xml *x)
{
    rip_aws_response resp;
    rip_aws_response_init(&resp);
    int rc = s3_fetch(s, bucket, sub, op, absent_code, &resp);
    if (rc == 0 && (rc = rip_aws_xml_parse(x, resp.body.ptr, resp.body.len, NULL)) < 0)
        failed(s, rc, "s3", op, NULL);
    rip_aws_response_release(&resp);
    return rc;
}

/* The bucket policy's status into the detail: "policy": {"exists",
 * "public", "source": "aws"|"riposte"} or null when it could not be read.
 * *pub is set when the policy makes the bucket public. */
static void bucket_policy(snap *s, rip_jw *w, const char *name, bool *pub)
{
    rip_aws_response resp;
    rip_aws_xml x;
    const char *source = "riposte";
    int exists = 0, is_public = 0;

    rip_aws_response_init(&resp);
    rip_aws_xml_init(&x);
    int rc = s3_fetch(s, name, "policy=", "GetBucketPolicy", "NoSuchBucketPolicy", &resp);
    if (rc == 0) {
        exists = 1;
        is_public = rip_asset_policy_public(resp.body.ptr, resp.body.len);
        if (is_public < 0) {
            failed(s, RIP_EFORMAT, "s3", "GetBucketPolicy", NULL);
            rc = RIP_EFORMAT;
        }
    }
    if (rc == 0) {
        /* AWS's verdict, when the endpoint knows the call: an answer without
         * a PolicyStatus root (an endpoint that ignored the query) or an
         * error leaves riposte's own reading. */
        rip_aws_response_release(&resp);
        rip_aws_response_init(&resp);
        rip_aws_error e;
        rip_buf path = RIP_BUF_INIT;
        if (rip_aws_s3_path(&path, name, NULL) == 0 &&
            rip_aws_rest(s->c, "s3", "GET", path.ptr, "policyStatus=", NULL, 0, NULL, 0, &resp,
                         &e) == 0 &&
            rip_aws_xml_parse(&x, resp.body.ptr, resp.body.len, NULL) == 0 && x.root &&
            !strcmp(x.root->name, "PolicyStatus") && rip_aws_xml_child(x.root, "IsPublic")) {
            is_public = !strcmp(rip_aws_xml_text(x.root, "IsPublic", "false"), "true");
            source = "aws";
        }
        rip_buf_release(&path);
    }
    rip_jw_key(w, "policy");
    if (rc == 0 || rc == RIP_ENOTFOUND) {
        rip_jw_obj_begin(w);
        rip_jw_key(w, "exists");
        rip_jw_bool(w, exists);
        rip_jw_key(w, "public");
        rip_jw_bool(w, is_public > 0);
        rip_jw_key(w, "source");
        rip_jw_str(w, exists ? source : NULL);
        rip_jw_obj_end(w);
    } else {
        rip_jw_null(w);
    }
    *pub = is_public > 0;
    rip_aws_xml_release(&x);
    rip_aws_response_release(&resp);
}

static int on_bucket(snap *s, const rip_aws_xml_node *b, void *ud)
{
    (void)ud;
    int rc;
    rip_jw w;
    rip_aws_xml x;
    const char *name = rip_aws_xml_text(b, "Name", "");
    char region[64] = "";
    bool pab_all = false, acl_public = false, pol_public = false;
    bool pab_on[4] = { false, false, false, false };

    rip_aws_xml_init(&x);
    if (s3_get(s, name, "location=", "GetBucketLocation", NULL, &x) == 0) {
        const char *loc = x.root ? x.root->text : "";
        snprintf(region, sizeof(region), "%s",
                 !*loc ? "us-east-1" : !strcmp(loc, "EU") ? "eu-west-1" : loc);
    }
    rip_asset *a = add(s, RIP_ASSET_BUCKET, name, region[0] ? region : s->region, &rc);
    if (!a)
        goto out;
    a->name = a->id;
    char arn[512];
    snprintf(arn, sizeof(arn), "arn:aws:s3:::%s", name);
    if (!(a->arn = rip_asset_strdup(s->set, arn))) {
        rc = RIP_ENOMEM;
        goto out;
    }
    if (s3_get(s, name, "tagging=", "GetBucketTagging", "NoSuchTagSet", &x) == 0)
        for (const rip_aws_xml_node *t = rip_aws_xml_path(x.root, "TagSet/Tag"); t && rc == 0;
             t = rip_aws_xml_next_same(t))
            rc = rip_asset_add_tag(s->set, a, rip_aws_xml_text(t, "Key", ""),
                                   rip_aws_xml_text(t, "Value", ""));
    if (rc < 0)
        goto out;

    detail_begin(s, &w);
    jw_text(&w, "creation_date", b, "CreationDate");
    rip_jw_key(&w, "public_access_block");
    int pab = s3_get(s, name, "publicAccessBlock=", "GetPublicAccessBlock",
                     "NoSuchPublicAccessBlockConfiguration", &x);
    if (pab == 0) {
        static const char *const f[] = { "BlockPublicAcls", "IgnorePublicAcls",
                                         "BlockPublicPolicy", "RestrictPublicBuckets" };
        static const char *const k[] = { "block_public_acls", "ignore_public_acls",
                                         "block_public_policy", "restrict_public_buckets" };
        pab_all = true;
        rip_jw_obj_begin(&w);
        for (int i = 0; i < 4; i++) {
            bool on = !strcmp(rip_aws_xml_text(x.root, f[i], "false"), "true");
            pab_on[i] = on;
            pab_all &= on;
            rip_jw_key(&w, k[i]);
            rip_jw_bool(&w, on);
        }
        rip_jw_obj_end(&w);
    } else {
        rip_jw_null(&w);
    }
    rip_jw_key(&w, "acl_grants");
    rip_jw_arr_begin(&w);
    if (s3_get(s, name, "acl=", "GetBucketAcl", NULL, &x) == 0) {
        for (const rip_aws_xml_node *g = rip_aws_xml_path(x.root, "AccessControlList/Grant"); g;
             g = rip_aws_xml_next_same(g)) {
            const char *uri = rip_aws_xml_text(g, "Grantee/URI", "");
            const char *id = rip_aws_xml_text(g, "Grantee/ID", "");
            acl_public |= strstr(uri, "/global/AllUsers") || strstr(uri, "/global/AuthenticatedUsers");
            rip_jw_obj_begin(&w);
            rip_jw_key(&w, "grantee");
            rip_jw_str(&w, *uri ? uri : id);
            jw_text(&w, "permission", g, "Permission");
            rip_jw_obj_end(&w);
        }
    }
    rip_jw_arr_end(&w);
    rip_jw_key(&w, "acl_public");
    rip_jw_bool(&w, acl_public);
    bucket_policy(s, &w, name, &pol_public);
    rip_jw_key(&w, "blocks_public_access");
    rip_jw_bool(&w, pab_all);
    /* Public: an ACL grant to everyone that IgnorePublicAcls does not
     * cancel, or a public policy that RestrictPublicBuckets does not. */
    rip_jw_key(&w, "public");
    rip_jw_bool(&w, (acl_public && !pab_on[1]) || (pol_public && !pab_on[3]));
    rc = detail_end(s, &w, a);
out:
    rip_aws_xml_release(&x);
    return rc;
}

static int list_buckets(snap *s)
{
    rip_aws_response resp;
    rip_aws_error e;
    rip_aws_xml x;
    rip_aws_response_init(&resp);
    rip_aws_xml_init(&x);
    int rc = rip_aws_rest(s->c, "s3", "GET", "/", NULL, NULL, 0, NULL, 0, &resp, &e);
    if (rc < 0)
        failed(s, rc, "s3", "ListBuckets", &e);
    else if ((rc = rip_aws_xml_parse(&x, resp.body.ptr, resp.body.len, NULL)) < 0)
        failed(s, rc, "s3", "ListBuckets", NULL);
    for (const rip_aws_xml_node *b = rc == 0 ? rip_aws_xml_path(x.root, "Buckets/Bucket") : NULL;
         b && rc == 0; b = rip_aws_xml_next_same(b))
        rc = on_bucket(s, b, NULL);
    rip_aws_xml_release(&x);
    rip_aws_response_release(&resp);
    return rc;
}

/* ---- CloudTrail ---- */

static int trail_call(snap *s, const char *op, const char *body, rip_aws_response *resp,
                      rip_json_doc *d)
{
    char target[96];
    rip_aws_error e;
    snprintf(target, sizeof(target), CLOUDTRAIL_TARGET "%s", op);
    int rc = rip_aws_json_call(s->c, "cloudtrail", "1.1", target, body, strlen(body), resp, d,
                               &e);
    return rc < 0 ? failed(s, rc, "cloudtrail", op, &e) : 0;
}

static void jw_jstr(rip_jw *w, const char *key, rip_json_doc *d, const rip_json_node *obj,
                    const char *name)
{
    const rip_json_node *n = rip_json_get(obj, name);
    rip_jw_key(w, key);
    if (rip_json_is(n, RIP_JSON_STRING))
        rip_jw_slice(w, rip_json_str(d, n));
    else if (n && (n->type == RIP_JSON_NUMBER))
        rip_jw_raw(w, n->ptr, n->len);
    else
        rip_jw_null(w);
}

/* A CloudTrail time (epoch seconds as a number, or text) as RFC 3339. */
static void jw_jtime(rip_jw *w, const char *key, rip_json_doc *d, const rip_json_node *obj,
                     const char *name)
{
    const rip_json_node *n = rip_json_get(obj, name);
    double secs;
    char out[RIP_TIME_FMT_MAX];
    if (n && n->type == RIP_JSON_NUMBER && rip_json_f64(n, &secs) == 0 && secs > 0 &&
        secs < 1e11) {
        rip_jw_key(w, key);
        rip_jw_str(w, rip_time_format((int64_t)(secs * 1e9), out));
    } else {
        jw_jstr(w, key, d, obj, name);
    }
}

static void jw_jbool(rip_jw *w, const char *key, const rip_json_node *obj, const char *name)
{
    const rip_json_node *n = rip_json_get(obj, name);
    rip_jw_key(w, key);
    if (n && (n->type == RIP_JSON_TRUE || n->type == RIP_JSON_FALSE))
        rip_jw_bool(w, n->type == RIP_JSON_TRUE);
    else
        rip_jw_null(w);
}

/* A copy of a JSON string member into the set's arena ("" when absent). */
static const char *jdup(snap *s, rip_json_doc *d, const rip_json_node *obj, const char *name)
{
    const rip_json_node *n = rip_json_get(obj, name);
    rip_slice v = rip_json_is(n, RIP_JSON_STRING) ? rip_json_str(d, n) : (rip_slice){ "", 0 };
    return rip_arena_strndup(&s->set->arena, v.ptr ? v.ptr : "", v.ptr ? v.len : 0);
}

/* One trail and its status (GetTrailStatus: IsLogging and when it last
 * started, stopped and delivered). A failed status call keeps the trail
 * with "logging": null. */
static int on_trail(snap *s, rip_json_doc *d, const rip_json_node *t)
{
    int rc;
    rip_jw w;
    const char *name = jdup(s, d, t, "Name"), *arn = jdup(s, d, t, "TrailARN");
    const char *home = jdup(s, d, t, "HomeRegion"), *bucket = jdup(s, d, t, "S3BucketName");
    if (!name || !arn || !home || !bucket)
        return RIP_ENOMEM;
    rip_asset *a = add(s, RIP_ASSET_TRAIL, name, *home ? home : s->region, &rc);
    if (!a)
        return rc;
    a->name = a->id;
    a->arn = *arn ? arn : NULL;
    if ((rc = rip_asset_add_rel(s->set, a, "bucket", bucket)) < 0)
        return rc;

    rip_buf body = RIP_BUF_INIT;
    rip_aws_response resp;
    rip_json_doc sd;
    rip_jw bw;
    rip_aws_response_init(&resp);
    rip_json_doc_init(&sd, NULL);
    rip_jw_init(&bw, &body);
    rip_jw_obj_begin(&bw);
    rip_jw_key(&bw, "Name");
    rip_jw_str(&bw, *arn ? arn : name);
    rip_jw_obj_end(&bw);
    rc = rip_jw_finish(&bw);
    const rip_json_node *st = NULL;
    if (rc == 0 && trail_call(s, "GetTrailStatus", body.ptr, &resp, &sd) == 0)
        st = rip_json_root(&sd);
    if (rc == 0) {
        detail_begin(s, &w);
        jw_jstr(&w, "s3_bucket", d, t, "S3BucketName");
        jw_jstr(&w, "s3_key_prefix", d, t, "S3KeyPrefix");
        jw_jstr(&w, "home_region", d, t, "HomeRegion");
        jw_jbool(&w, "multi_region", t, "IsMultiRegionTrail");
        jw_jbool(&w, "organization", t, "IsOrganizationTrail");
        jw_jbool(&w, "include_global_events", t, "IncludeGlobalServiceEvents");
        jw_jbool(&w, "log_file_validation", t, "LogFileValidationEnabled");
        jw_jstr(&w, "kms_key", d, t, "KmsKeyId");
        jw_jstr(&w, "cloudwatch_log_group", d, t, "CloudWatchLogsLogGroupArn");
        jw_jbool(&w, "logging", st, "IsLogging");
        jw_jtime(&w, "start_logging_time", &sd, st, "StartLoggingTime");
        jw_jtime(&w, "stop_logging_time", &sd, st, "StopLoggingTime");
        jw_jtime(&w, "latest_delivery_time", &sd, st, "LatestDeliveryTime");
        jw_jstr(&w, "latest_delivery_error", &sd, st, "LatestDeliveryError");
        rc = detail_end(s, &w, a);
    }
    rip_json_doc_release(&sd);
    rip_aws_response_release(&resp);
    rip_buf_release(&body);
    return rc;
}

/* The trails whose home is this region (DescribeTrails without shadow
 * trails: a multi-region trail is listed once, in its home region). */
static int list_trails(snap *s)
{
    rip_aws_response resp;
    rip_json_doc d;
    rip_aws_response_init(&resp);
    rip_json_doc_init(&d, NULL);
    int rc = trail_call(s, "DescribeTrails", "{\"includeShadowTrails\":false}", &resp, &d);
    const rip_json_node *list = rc == 0 ? rip_json_get(rip_json_root(&d), "trailList") : NULL;
    if (list && list->type == RIP_JSON_ARRAY) {
        RIP_JSON_EACH(t, list) {
            if (rc < 0)
                break;
            if (rip_json_is(t, RIP_JSON_OBJECT))
                rc = on_trail(s, &d, t);
        }
    }
    rip_json_doc_release(&d);
    rip_aws_response_release(&resp);
    return rc;
}

/* ---- the snapshot ---- */

int rip_inventory_aws_snapshot(rip_aws_client *c, const char *account, rip_asset_set *set,
                               char *errmsg, size_t errcap)
{
    snap s = {
        .c = c, .set = set, .account = account, .region = c->region,
        .errmsg = errmsg, .errcap = errcap,
    };
    int rc;
    if (errcap)
        errmsg[0] = '\0';
    rip_buf_init(&s.detail, 16u << 20);

    /* Per type: list it, and mark it synced when the listing is complete. */
#define STEP(type, call)                                  \
    do {                                                  \
        set->synced[type] = true;                         \
        rc = (call);                                      \
        if (rc < 0)                                       \
            set->synced[type] = false;                    \
        if (fatal(rc))                                    \
            goto out;                                     \
    } while (0)

    /* Profiles first: instances name their role through them. A failure
     * only loses the instance -> role edges. */
    rc = iam_pages(&s, "ListInstanceProfiles", NULL, NULL, "ListInstanceProfilesResult",
                   "InstanceProfiles/member", on_profile, NULL);
    if (fatal(rc))
        goto out;
    STEP(RIP_ASSET_VPC, ec2_pages(&s, "DescribeVpcs", "vpcSet/item", on_vpc, NULL));
    STEP(RIP_ASSET_SUBNET, ec2_pages(&s, "DescribeSubnets", "subnetSet/item", on_subnet, NULL));
    STEP(RIP_ASSET_SECURITY_GROUP,
         ec2_pages(&s, "DescribeSecurityGroups", "securityGroupInfo/item", on_group, NULL));
    STEP(RIP_ASSET_NETWORK_ACL,
         ec2_pages(&s, "DescribeNetworkAcls", "networkAclSet/item", on_nacl, NULL));
    STEP(RIP_ASSET_INSTANCE,
         ec2_pages(&s, "DescribeInstances", "reservationSet/item", on_reservation, NULL));
    set->synced[RIP_ASSET_ACCESS_KEY] = true;   /* cleared by a failed ListAccessKeys */
    STEP(RIP_ASSET_USER, iam_pages(&s, "ListUsers", NULL, NULL, "ListUsersResult",
                                   "Users/member", on_user, NULL));
    if (!set->synced[RIP_ASSET_USER])
        set->synced[RIP_ASSET_ACCESS_KEY] = false;
    STEP(RIP_ASSET_ROLE, iam_pages(&s, "ListRoles", NULL, NULL, "ListRolesResult",
                                   "Roles/member", on_role, NULL));
    STEP(RIP_ASSET_BUCKET, list_buckets(&s));
    STEP(RIP_ASSET_TRAIL, list_trails(&s));
#undef STEP
    rc = s.first_err;
out:
    rip_buf_release(&s.detail);
    if (rc < 0 && errcap && !errmsg[0])
        snprintf(errmsg, errcap, "%s", rip_strerror(rc));
    return rc;
}
