#!/usr/bin/env python3
"""test-inventory.py — `riposte inventory sync/list/show` against moto's server.

Starts `python3 -m moto.server` on a free loopback port and fills it with
boto3: instances in two VPCs (one with an instance profile), security groups
with rules open to the world and closed ones, users with access keys, a role,
a public and a private bucket. Runs the real `riposte inventory sync`, then
`riposte inventory list --format jsonl`, and compares with what boto3 lists
(never with riposte's own reads): the same assets of every type, the same
relations (instance -> security groups, subnet, VPC; security group and
subnet -> VPC; user <-> access keys), and the facts a responder needs (open
rules, public buckets, tags, instance state). Then deletes assets in moto and
checks a second sync removes them.

Usage: test-inventory.py [RIPOSTE_BINARY]   (default: $RIPOSTE, then
build/riposte next to the source tree). Prints tap lines like tests/tap.h;
exits 1 when a check failed, 0 otherwise (all skips when moto or boto3 is
missing, unless CI is set).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import Moto, counts, free_port, ok, riposte_binary, skip, summary  # noqa: E402


RIPOSTE = riposte_binary()
TMP = tempfile.mkdtemp(prefix="riposte-inventory-")
DB = os.path.join(TMP, "inventory.db")


def base_env(url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("RIPOSTE_DB", None)
    env.update({
        "HOME": TMP,
        "AWS_CONFIG_FILE": os.path.join(TMP, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(TMP, "credentials"),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testingsecretkey",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def riposte(env, *args):
    return subprocess.run([RIPOSTE, "inventory", *args, "--db", DB], env=env,
                          capture_output=True, text=True, timeout=300)


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def rels(asset, kind):
    return sorted(r["id"] for r in asset["relations"] if r["type"] == kind)


def fill(kw, boto3):
    """The state of the test: returns the ids the checks need."""
    ec2 = boto3.client("ec2", **kw)
    iam = boto3.client("iam", **kw)
    s3 = boto3.client("s3", **kw)
    ids = {}
    vpc_a = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    vpc_b = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_a], Tags=[{"Key": "Name", "Value": "prod"}])
    sub_a = ec2.create_subnet(VpcId=vpc_a, CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    sub_b = ec2.create_subnet(VpcId=vpc_b, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    web = ec2.create_security_group(GroupName="web-open", Description="ssh from anywhere",
                                    VpcId=vpc_a)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    db = ec2.create_security_group(GroupName="db-closed", Description="postgres inside",
                                   VpcId=vpc_a)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
        "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}])
    batch = ec2.create_security_group(GroupName="batch-closed", Description="nothing in",
                                      VpcId=vpc_b)["GroupId"]
    spare = ec2.create_security_group(GroupName="spare", Description="deleted later",
                                      VpcId=vpc_b)["GroupId"]
    iam.create_role(RoleName="web-role", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    iam.create_instance_profile(InstanceProfileName="web-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="web-profile", RoleName="web-role")
    i_web = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=sub_a,
        SecurityGroupIds=[web, db], IamInstanceProfile={"Name": "web-profile"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": "web-1"}, {"Key": "Owner", "Value": "alice"}]}],
    )["Instances"][0]["InstanceId"]
    i_batch = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                                SubnetId=sub_b, SecurityGroupIds=[batch],
                                )["Instances"][0]["InstanceId"]
    for user, nkeys in (("alice", 2), ("bob", 1), ("carol", 0)):
        iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "sec"}])
        for _ in range(nkeys):
            iam.create_access_key(UserName=user)
    s3.create_bucket(Bucket="public-site")
    s3.put_bucket_acl(Bucket="public-site", ACL="public-read")
    s3.create_bucket(Bucket="private-data")
    s3.put_public_access_block(Bucket="private-data", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_tagging(Bucket="private-data",
                          Tagging={"TagSet": [{"Key": "owner", "Value": "data-team"}]})
    ids.update(vpc_a=vpc_a, vpc_b=vpc_b, sub_a=sub_a, sub_b=sub_b, web=web, db=db,
               batch=batch, spare=spare, i_web=i_web, i_batch=i_batch)
    return ids


def boto_view(kw, boto3):
    """What boto3 lists: {type: {id: {relation type: sorted ids}}}."""
    ec2 = boto3.client("ec2", **kw)
    iam = boto3.client("iam", **kw)
    s3 = boto3.client("s3", **kw)
    view = {t: {} for t in ("instance", "security_group", "subnet", "vpc", "user", "role",
                            "access_key", "bucket")}
    for r in ec2.describe_instances()["Reservations"]:
        for i in r["Instances"]:
            view["instance"][i["InstanceId"]] = {
                "security_group": sorted(g["GroupId"] for g in i["SecurityGroups"]),
                "subnet": [i["SubnetId"]], "vpc": [i["VpcId"]]}
    for g in ec2.describe_security_groups()["SecurityGroups"]:
        view["security_group"][g["GroupId"]] = {"vpc": [g["VpcId"]]}
    for s in ec2.describe_subnets()["Subnets"]:
        view["subnet"][s["SubnetId"]] = {"vpc": [s["VpcId"]]}
    for v in ec2.describe_vpcs()["Vpcs"]:
        view["vpc"][v["VpcId"]] = {}
    for u in iam.list_users()["Users"]:
        keys = iam.list_access_keys(UserName=u["UserName"])["AccessKeyMetadata"]
        view["user"][u["UserName"]] = {"access_key": sorted(k["AccessKeyId"] for k in keys)}
        for k in keys:
            view["access_key"][k["AccessKeyId"]] = {"user": [u["UserName"]]}
    for r in iam.list_roles()["Roles"]:
        view["role"][r["RoleName"]] = {}
    for b in s3.list_buckets()["Buckets"]:
        view["bucket"][b["Name"]] = {}
    return view


def compare(assets, view, label):
    """Same assets per type, same relations of the kinds boto3 shows."""
    by_type = {t: {} for t in view}
    for a in assets:
        by_type.setdefault(a["type"], {})[a["id"]] = a
    for t in view:
        ok(sorted(by_type[t]) == sorted(view[t]), f"{label}: same {t} assets as boto3 lists",
           f"riposte {sorted(by_type[t])} != boto3 {sorted(view[t])}")
        bad = []
        for aid, want in view[t].items():
            got = by_type[t].get(aid)
            if got is None:
                continue
            for kind, ids in want.items():
                if rels(got, kind) != ids:
                    bad.append(f"{aid} -> {kind}: {rels(got, kind)} != {ids}")
        ok(not bad, f"{label}: same {t} relations as boto3 lists", "; ".join(bad[:5]))
    return {t: by_type[t] for t in by_type}


def suite(boto3):
    moto = Moto()
    try:
        kw = dict(endpoint_url=moto.url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testingsecretkey")
        env = base_env(moto.url)
        ids = fill(kw, boto3)

        p = riposte(env, "sync")
        ok(p.returncode == 0 and "inventory: account 123456789012 region us-east-1" in p.stdout,
           "sync: exit 0 and a summary", f"rc {p.returncode}: {p.stdout} {p.stderr}")
        p = riposte(env, "list", "--format", "jsonl")
        ok(p.returncode == 0, "list --format jsonl: exit 0", p.stderr)
        try:
            assets = jsonl(p.stdout)
            ok(True, "list --format jsonl: one JSON object per line")
        except ValueError as e:
            ok(False, "list --format jsonl: one JSON object per line", str(e))
            return
        keys = {"id", "type", "account", "region", "tags", "relations"}
        ok(all(keys <= set(a) and a["account"] == "123456789012" for a in assets),
           "list: every asset has id, type, account, region, tags and relations",
           json.dumps(assets[:1]))
        got = compare(assets, boto_view(kw, boto3), "first sync")

        inst = got["instance"].get(ids["i_web"], {})
        ok(inst.get("tags") == {"Name": "web-1", "Owner": "alice"} and inst.get("name") == "web-1",
           "instance: tags and Name", json.dumps(inst.get("tags")))
        ok(inst.get("detail", {}).get("state") == "running", "instance: state running",
           json.dumps(inst.get("detail")))
        ok(rels(inst, "role") == ["web-role"] and len(rels(inst, "instance_profile")) == 1,
           "instance: role through its instance profile", json.dumps(inst.get("relations")))
        ok(rels(inst, "volume") and inst["detail"].get("volumes"), "instance: its volumes",
           json.dumps(inst.get("detail")))
        sg = got["security_group"]
        ok(sg.get(ids["web"], {}).get("detail", {}).get("open_to_world") is True,
           "security group: open rule flagged open to the world",
           json.dumps(sg.get(ids["web"], {}).get("detail")))
        ok(sg.get(ids["db"], {}).get("detail", {}).get("open_to_world") is False and
           sg.get(ids["batch"], {}).get("detail", {}).get("open_to_world") is False,
           "security group: closed rules not flagged", json.dumps(sg.get(ids["db"])))
        rule = (sg.get(ids["web"], {}).get("detail", {}).get("ingress") or [{}])[0]
        ok(rule.get("from_port") == 22 and rule.get("cidrs") == ["0.0.0.0/0"],
           "security group: rule ports and CIDRs", json.dumps(rule))
        b = got["bucket"]
        ok(b.get("public-site", {}).get("detail", {}).get("public") is True,
           "bucket: public-read ACL without a public access block is public",
           json.dumps(b.get("public-site")))
        priv = b.get("private-data", {})
        ok(priv.get("detail", {}).get("public") is False and
           priv["detail"].get("blocks_public_access") is True and
           priv.get("tags") == {"owner": "data-team"},
           "bucket: private bucket blocks public access, with its tags", json.dumps(priv))
        ok(got["user"].get("alice", {}).get("tags") == {"team": "sec"}, "user: tags",
           json.dumps(got["user"].get("alice")))
        key = next(iter(got["access_key"].values()), {})
        ok(key.get("detail", {}).get("status") == "Active", "access key: status",
           json.dumps(key))

        p = riposte(env, "list", "--type", "instance", "--format", "jsonl")
        only = jsonl(p.stdout) if p.returncode == 0 else []
        ok(sorted(a["id"] for a in only) == sorted(got["instance"]) and
           all(a["type"] == "instance" for a in only), "list --type instance: instances only",
           p.stdout[:300])
        p = riposte(env, "list")
        ok(p.returncode == 0 and ids["i_web"] in p.stdout and "web-1" in p.stdout,
           "list (text): a line per asset", p.stdout[:300])
        p = riposte(env, "list", "--type", "printer")
        ok(p.returncode == 2 and "unknown asset type 'printer'" in p.stderr,
           "list --type: an unknown type is refused", p.stderr)
        p = riposte(env, "show", ids["i_web"], "--format", "json")
        shown = jsonl(p.stdout) if p.returncode == 0 else []
        ok(len(shown) == 1 and shown[0]["id"] == ids["i_web"] and
           rels(shown[0], "security_group") == sorted([ids["web"], ids["db"]]),
           "show ID --format json: the asset and its relations", p.stdout[:300])
        p = riposte(env, "show", ids["i_web"])
        ok(p.returncode == 0 and "security_group " + ids["web"] in p.stdout and
           "Owner" in p.stdout, "show ID: text with relations and tags", p.stdout[:400])
        p = riposte(env, "show", "i-doesnotexist")
        ok(p.returncode == 1 and "no asset 'i-doesnotexist'" in p.stderr,
           "show: an unknown id exits 1 and says so", p.stderr)

        p = riposte(env, "sync", "--account", "999999999999")
        ok(p.returncode == 2 and "not '999999999999'" in p.stderr,
           "sync --account: credentials of another account are refused", p.stderr)
        p = riposte(env, "sync", "--account", "123456789012")
        ok(p.returncode == 0 and "0 removed" in p.stdout,
           "sync again: same account, nothing removed", p.stdout + p.stderr)
        p = riposte(env, "list", "--format", "jsonl")
        ok(len(jsonl(p.stdout)) == len(assets), "sync again: no duplicates",
           f"{len(jsonl(p.stdout))} != {len(assets)}")

        # Gone from AWS, gone from the inventory.
        ec2 = boto3.client("ec2", **kw)
        iam = boto3.client("iam", **kw)
        s3 = boto3.client("s3", **kw)
        ec2.delete_security_group(GroupId=ids["spare"])
        s3.delete_bucket(Bucket="public-site")
        bob_key = iam.list_access_keys(UserName="bob")["AccessKeyMetadata"][0]["AccessKeyId"]
        iam.delete_access_key(UserName="bob", AccessKeyId=bob_key)
        p = riposte(env, "sync")
        ok(p.returncode == 0 and "3 removed" in p.stdout,
           "sync after deletes: removed assets counted", p.stdout + p.stderr)
        p = riposte(env, "list", "--format", "jsonl")
        compare(jsonl(p.stdout), boto_view(kw, boto3), "after deletes")
    finally:
        moto.stop()


def main():
    try:
        import boto3
        import moto  # noqa: F401
    except ImportError as e:
        skip("inventory against moto", f"python module missing: {e.name}")
        return 1 if os.environ.get("CI") else 0
    if not os.access(RIPOSTE, os.X_OK):
        skip("inventory against moto", f"riposte binary not found at {RIPOSTE}")
        return 1 if os.environ.get("CI") else 0
    try:
        try:
            suite(boto3)
        except Exception as e:  # a crash in setup is a failure, not a skip
            ok(False, "inventory suite ran to the end", f"{type(e).__name__}: {e}")
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
