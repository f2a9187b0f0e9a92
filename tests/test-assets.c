/* test-assets.c — the inventory's asset model (src/inventory/asset.c) and
 * the store's asset API (src/store/store-assets.c): put, relations replaced
 * on every put, listing with filters, snapshot saves that prune what a
 * snapshot no longer sees (per region for EC2 types, per account for IAM
 * and S3), the set's cap, and the JSON form; the topology around assets
 * (src/inventory/graph.c): what it walks, the open-group exposure, hostile
 * text in dot, text and SVG; and the policy and CIDR helpers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inventory/asset.h"
#include "inventory/graph.h"
#include "store/store.h"
#include "tap.h"
#include "util/err.h"
#include "util/json.h"

static char tmpdir[256];

typedef struct collected {
    char ids[64][64];
    char rels[64][256];
    size_t n;
    char json[4096];
} collected;

static int collect(void *ud, const rip_store_asset_row *r)
{
    collected *c = ud;
    if (c->n >= 64)
        return -1;
    snprintf(c->ids[c->n], sizeof(c->ids[0]), "%s:%s", r->type, r->resource_id);
    size_t off = 0;
    c->rels[c->n][0] = '\0';
    for (size_t i = 0; i < r->nrels && off < sizeof(c->rels[0]); i++)
        off += (size_t)snprintf(c->rels[c->n] + off, sizeof(c->rels[0]) - off, "%s%s=%s",
                                i ? "," : "", r->rels[i].target_type, r->rels[i].target_id);
    if (c->n == 0) {
        rip_buf b = RIP_BUF_INIT;
        if (rip_inventory_asset_json(&b, r) == 0)
            snprintf(c->json, sizeof(c->json), "%s", b.ptr);
        rip_buf_release(&b);
    }
    c->n++;
    return 0;
}

static collected list(rip_store *st, const char *type, const char *id, const char *region)
{
    collected c;
    memset(&c, 0, sizeof(c));
    rip_store_asset_filter f = { .type = type, .resource_id = id, .region = region };
    if (rip_store_list_assets(st, &f, collect, &c) < 0)
        c.n = (size_t)-1;
    return c;
}

static void test_store_api(rip_store *st)
{
    rip_store_asset_rel r1[] = { { "vpc", "vpc-1" }, { "security_group", "sg-1" } };
    rip_store_asset a = {
        .cloud = "aws", .account = "111111111111", .region = "us-east-1",
        .type = "instance", .resource_id = "i-1", .name = "web", .tags = "{\"Owner\":\"alice\"}",
        .detail = "{\"state\":\"running\"}", .updated_ns = 100, .rels = r1, .nrels = 2,
    };
    int64_t id1 = 0, id2 = 0;
    CHECK(rip_store_put_asset(st, &a, &id1) == 0 && id1 > 0, "put: a new asset gets an id");
    collected c = list(st, NULL, "i-1", NULL);
    CHECK(c.n == 1 && !strcmp(c.rels[0], "security_group=sg-1,vpc=vpc-1"),
          "list: relations sorted by type (%s)", c.rels[0]);
    rip_store_asset_rel r2[] = { { "vpc", "vpc-2" } };
    a.rels = r2;
    a.nrels = 1;
    a.updated_ns = 200;
    CHECK(rip_store_put_asset(st, &a, &id2) == 0 && id2 == id1,
          "put: the same (cloud, account, type, id) updates the row");
    c = list(st, NULL, "i-1", NULL);
    CHECK(c.n == 1 && !strcmp(c.rels[0], "vpc=vpc-2"), "put: relations are replaced (%s)",
          c.rels[0]);
    rip_json_doc d;
    rip_json_doc_init(&d, NULL);
    rip_json_error je;
    int parsed = rip_json_parse(&d, c.json, strlen(c.json), &je) == 0;
    const rip_json_node *root = parsed ? rip_json_root(&d) : NULL;
    CHECK(parsed && rip_json_str_eq(rip_json_get(root, "id"), "i-1") &&
              rip_json_str_eq(rip_json_path(root, "tags.Owner"), "alice") &&
              rip_json_str_eq(rip_json_path(root, "detail.state"), "running") &&
              rip_json_count(rip_json_get(root, "relations")) == 1,
          "json: id, tags, detail and relations (%s)", c.json);
    rip_json_doc_release(&d);

    a.account = NULL;
    CHECK(rip_store_put_asset(st, &a, NULL) == RIP_EINVAL && *rip_store_errmsg(st),
          "put: an asset without an account is refused with a message");
    a.account = "222222222222";
    CHECK(rip_store_put_asset(st, &a, NULL) == 0 && list(st, "instance", NULL, NULL).n == 2,
          "put: the same id in another account is another asset");

    uint64_t removed = 0;
    CHECK(rip_store_prune_assets(st, "aws", "111111111111", "us-east-1", "instance", 150,
                                 &removed) == 0 && removed == 0,
          "prune: an asset updated after the cut is kept");
    CHECK(rip_store_prune_assets(st, "aws", "111111111111", "eu-west-1", "instance", 1000,
                                 &removed) == 0 && removed == 0,
          "prune: another region's assets are kept");
    CHECK(rip_store_prune_assets(st, "aws", "111111111111", "us-east-1", "instance", 1000,
                                 &removed) == 0 && removed == 1 &&
              list(st, "instance", NULL, NULL).n == 1,
          "prune: an asset of the scope not seen since the cut is removed");
    CHECK(rip_store_prune_assets(st, "aws", NULL, NULL, "instance", 1000, &removed) == 0 &&
              removed == 1, "prune: NULL account and region mean any");
    uint64_t n = 99;
    CHECK(rip_store_count_assets(st, &n) == 0 && n == 0, "count: empty again");
}

static rip_asset *add(rip_asset_set *s, rip_asset_type t, const char *id, const char *region)
{
    int rc;
    rip_asset *a = rip_asset_add(s, t, id, region, &rc);
    if (!a)
        abort();
    return a;
}

static void test_save(rip_store *st)
{
    rip_asset_set s;
    rip_inventory_save_stats stats;
    rip_asset_set_init(&s, 0);
    rip_asset *i = add(&s, RIP_ASSET_INSTANCE, "i-a", "us-east-1");
    rip_asset_add_tag(&s, i, "Owner", "bob");
    rip_asset_add_rel(&s, i, "security_group", "sg-a");
    rip_asset_add_rel(&s, i, "security_group", "sg-a");
    rip_asset_add_rel(&s, i, "vpc", "vpc-a");
    add(&s, RIP_ASSET_INSTANCE, "i-b", "us-east-1");
    rip_asset *u = add(&s, RIP_ASSET_USER, "alice", NULL);
    rip_asset_add_rel(&s, u, "access_key", "AKIA1");
    s.synced[RIP_ASSET_INSTANCE] = s.synced[RIP_ASSET_USER] = true;
    CHECK(i->nrels == 2, "set: a repeated relation is kept once");
    CHECK(rip_inventory_save(st, &s, "333333333333", "us-east-1", 1000, &stats) == 0 &&
              stats.stored[RIP_ASSET_INSTANCE] == 2 && stats.stored[RIP_ASSET_USER] == 1 &&
              stats.removed == 0, "save: every asset stored");
    collected c = list(st, "user", NULL, "global");
    CHECK(c.n == 1 && !strcmp(c.ids[0], "user:alice"), "save: IAM assets are in region global");
    rip_asset_set_release(&s);

    /* The next snapshot of us-east-1 no longer sees i-b; an eu-west-1 one
     * must not touch us-east-1's instances; users are per account. */
    rip_asset_set_init(&s, 0);
    add(&s, RIP_ASSET_INSTANCE, "i-c", "eu-west-1");
    s.synced[RIP_ASSET_INSTANCE] = true;
    CHECK(rip_inventory_save(st, &s, "333333333333", "eu-west-1", 2000, &stats) == 0 &&
              stats.removed == 0 && list(st, "instance", NULL, NULL).n == 3,
          "save: a snapshot of another region removes nothing of this one");
    rip_asset_set_release(&s);

    rip_asset_set_init(&s, 0);
    add(&s, RIP_ASSET_INSTANCE, "i-a", "us-east-1");
    s.synced[RIP_ASSET_INSTANCE] = true;   /* users not listed: keep them */
    CHECK(rip_inventory_save(st, &s, "333333333333", "us-east-1", 3000, &stats) == 0 &&
              stats.removed == 1 && list(st, "instance", "i-b", NULL).n == 0 &&
              list(st, "user", NULL, NULL).n == 1,
          "save: what the region's snapshot no longer sees is removed, unsynced types kept");
    rip_asset_set_release(&s);

    rip_asset_set_init(&s, 0);
    s.synced[RIP_ASSET_USER] = true;
    CHECK(rip_inventory_save(st, &s, "333333333333", "eu-west-1", 4000, &stats) == 0 &&
              stats.removed == 1 && list(st, "user", NULL, NULL).n == 0,
          "save: global types are pruned across the account from any region");
    rip_asset_set_release(&s);

    rip_asset_set_init(&s, 2);
    int rc = 0;
    add(&s, RIP_ASSET_VPC, "vpc-1", "us-east-1");
    add(&s, RIP_ASSET_VPC, "vpc-2", "us-east-1");
    CHECK(!rip_asset_add(&s, RIP_ASSET_VPC, "vpc-3", "us-east-1", &rc) && rc == RIP_ELIMIT,
          "set: past its cap an add fails with RIP_ELIMIT");
    rip_asset_set_release(&s);
}

static void test_types(void)
{
    rip_asset_type t;
    int all = 1;
    for (int i = 0; i < RIP_ASSET_NTYPES; i++)
        all &= rip_asset_type_parse(rip_asset_type_name((rip_asset_type)i), &t) == 0 &&
               t == (rip_asset_type)i;
    CHECK(all, "types: every name parses back to its type");
    CHECK(rip_asset_type_parse("printer", &t) == RIP_EINVAL, "types: unknown name refused");
    CHECK(rip_asset_type_global(RIP_ASSET_BUCKET) && !rip_asset_type_global(RIP_ASSET_SUBNET),
          "types: buckets are per account, subnets per region");
}

static void put(rip_store *st, const char *type, const char *id, const char *name,
                const char *tags, const char *detail, const rip_store_asset_rel *rels,
                size_t nrels)
{
    rip_store_asset a = {
        .cloud = "aws", .account = "333333333333", .region = "us-east-1", .type = type,
        .resource_id = id, .name = name, .tags = tags, .detail = detail, .updated_ns = 500,
        .rels = rels, .nrels = nrels,
    };
    if (rip_store_put_asset(st, &a, NULL) < 0)
        abort();
}

static void test_topology(rip_store *st)
{
    static const char *const open_sg =
        "{\"ingress\":[{\"protocol\":\"tcp\",\"from_port\":22,\"to_port\":22,"
        "\"cidrs\":[\"0.0.0.0/0\"],\"ipv6_cidrs\":[],\"groups\":[],"
        "\"open_to_world\":true}],\"open_to_world\":true}";
    rip_store_asset_rel miner[] = { { "security_group", "sg-open" }, { "subnet", "subnet-1" },
                                    { "vpc", "vpc-1" } };
    rip_store_asset_rel other[] = { { "security_group", "sg-open" } };
    rip_store_asset_rel in_vpc[] = { { "vpc", "vpc-1" } };
    put(st, "instance", "i-miner", "x\"y\\z\n<script>alert(1)</script>",
        "{\"Owner\":\"bob\",\"Team\":\"ml\"}", "{\"state\":\"running\"}", miner, 3);
    put(st, "instance", "i-other", "other", "{}", "{\"state\":\"stopped\"}", other, 1);
    put(st, "security_group", "sg-open", "web", "{}", open_sg, in_vpc, 1);
    put(st, "subnet", "subnet-1", NULL, "{}", "{\"cidr\":\"10.0.1.0/24\"}", in_vpc, 1);
    put(st, "vpc", "vpc-1", "prod", "{}", "{\"cidr\":\"10.0.0.0/16\"}", NULL, 0);

    rip_topology t;
    rip_topo_root roots[] = { { "instance", "i-miner" }, { "bucket", "no-such-bucket" } };
    rip_topology_init(&t);
    int rc = rip_topology_build(st, roots, 2, &t);
    CHECK(rc == 0 && t.n == 5, "topology: the instance, its group, subnet and VPC, and the "
          "other instance behind the open group (%zu nodes)", t.n);
    bool shared = false, owner = false;
    for (size_t i = 0; i < t.n; i++) {
        shared |= !strcmp(t.nodes[i].id, "i-other") && t.nodes[i].shared;
        owner |= !strcmp(t.nodes[i].id, "i-miner") && t.nodes[i].owner &&
                 !strcmp(t.nodes[i].owner, "bob") && t.nodes[i].team &&
                 !strcmp(t.nodes[i].team, "ml");
    }
    CHECK(shared, "topology: the other instance is marked as exposed the same way");
    CHECK(owner, "topology: owner and team from the tags");

    rip_buf text = RIP_BUF_INIT, dot = RIP_BUF_INIT, svg = RIP_BUF_INIT;
    char err[256];
    CHECK(rip_topology_text(&t, &text) == 0 && strstr(text.ptr, "!! open to the world: tcp 22 "
          "from 0.0.0.0/0") && !strstr(text.ptr, "\n<script") && strstr(text.ptr, "z?<script>"),
          "topology text: the open rule flagged, control bytes made '?' (%s)", text.ptr);
    CHECK(rip_topology_dot(&t, &dot) == 0 && strstr(dot.ptr, "x\\\"y\\\\z?<script>") &&
          strstr(dot.ptr, "same open group"),
          "topology dot: quotes and backslashes escaped, newline made '?'");
    rc = rip_topology_svg(&t, &svg, err, sizeof(err));
    CHECK(rc == 0 && !strncmp(svg.ptr, "<svg", 4) && strstr(svg.ptr, "</svg>") &&
          !strstr(svg.ptr, "<script") && !strstr(svg.ptr, "<!--") &&
          strstr(svg.ptr, "i&#45;miner"),
          "topology svg: an <svg> element, hostile text escaped, no comments (%s)", err);
    rip_buf_release(&text);
    rip_buf_release(&dot);
    rip_buf_release(&svg);
    rip_topology_release(&t);

    rip_topology_init(&t);
    rip_topo_root none = { NULL, "i-nothing" };
    CHECK(rip_topology_build(st, &none, 1, &t) == 0 && t.n == 0,
          "topology: an id not in the inventory gives no node");
    rip_topology_release(&t);

    char buf[64];
    rip_topo_root r;
    CHECK(rip_topo_root_for_entity("principal", "arn:aws:iam::1:user/ops/alice", buf, sizeof(buf),
                                   &r) == 1 && !strcmp(r.type, "user") && !strcmp(r.id, "alice"),
          "entity: a user ARN is the user");
    CHECK(rip_topo_root_for_entity("principal", "arn:aws:sts::1:assumed-role/admin/s1", buf,
                                   sizeof(buf), &r) == 1 && !strcmp(r.type, "role") &&
          !strcmp(r.id, "admin"), "entity: a session is its role");
    CHECK(rip_topo_root_for_entity("source_ip", "203.0.113.7", buf, sizeof(buf), &r) == 0,
          "entity: a source IP is not an asset");

    int removed = 0;
    CHECK(rip_store_delete_asset(st, "aws", "333333333333", "security_group", "sg-open",
                                 &removed) == 0 && removed == 1 &&
          !strstr(list(st, "instance", "i-other", NULL).rels[0], "sg-open"),
          "delete: the asset and the relations pointing at it are gone");
}

static void test_helpers(void)
{
    CHECK(rip_asset_cidr_world("0.0.0.0/0") && rip_asset_cidr_world("::/0") &&
          rip_asset_cidr_world("208.236.235.254/0") && !rip_asset_cidr_world("10.0.0.0/8") &&
          !rip_asset_cidr_world("10.0.0.0/10"), "cidr: prefix length 0 is the world");
    static const char *const pub = "{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":"
                                   "{\"AWS\":[\"*\"]},\"Action\":\"s3:GetObject\"}]}";
    static const char *const cond = "{\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                                    "\"Condition\":{\"IpAddress\":{}}}}";
    static const char *const deny = "{\"Statement\":{\"Effect\":\"Deny\",\"Principal\":\"*\"}}";
    CHECK(rip_asset_policy_public(pub, strlen(pub)) == 1, "policy: Allow to everyone is public");
    CHECK(rip_asset_policy_public(cond, strlen(cond)) == 0, "policy: with a Condition it is not");
    CHECK(rip_asset_policy_public(deny, strlen(deny)) == 0, "policy: a Deny is not");
    CHECK(rip_asset_policy_public("nope", 4) == -1, "policy: not JSON is -1");
}

int main(void)
{
    char path[512];
    rip_store *st = NULL;
    snprintf(tmpdir, sizeof(tmpdir), "%s/riposte-assets-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        CHECK(0, "mkdtemp");
        return tap_done();
    }
    snprintf(path, sizeof(path), "%s/a.db", tmpdir);
    test_types();
    test_helpers();
    if (CHECK(rip_store_open(path, NULL, &st, NULL) == 0, "open a fresh store")) {
        test_store_api(st);
        test_save(st);
        test_topology(st);
    }
    rip_store_close(st);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        tap_diag("could not remove %s", tmpdir);
    return tap_done();
}
