#!/usr/bin/env python3
"""test-inventory.py — `riposte inventory sync/list/show` against moto's server.

Starts `python3 -m moto.server` on a free loopback port and fills it with
the AWS CLI (`aws ... --endpoint-url MOTO`): instances in two VPCs (one with
an instance profile), security groups with rules open to the world and
closed ones, a network ACL, users with access keys, a role, public and
private buckets, trails. Runs the real `riposte inventory sync`, then
`riposte inventory list --format jsonl`, and compares with what the AWS CLI
lists (never with riposte's own reads): the same assets of every type, the
same relations (instance -> security groups, subnet, VPC; security group and
subnet -> VPC; network ACL -> VPC, subnets; trail -> bucket; user <-> access
keys), and the facts a responder needs (open rules, public buckets, tags,
instance state, trail logging as `aws cloudtrail get-trail-status` says).
Then deletes assets in moto and checks a second sync removes them (the
inventory compared with the AWS CLI again). The events and GuardDuty suites
that follow drive moto with boto3.

Usage: test-inventory.py [RIPOSTE_BINARY]   (default: $RIPOSTE, then
build/riposte next to the source tree). Prints tap lines like tests/tap.h;
exits 1 when a check failed, 0 otherwise (all skips when moto, boto3 or the
AWS CLI is missing, unless CI is set).
"""
import html as html_text
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


def aws(env, *args):
    """Runs the AWS CLI against moto with the test's credentials and region;
    returns its parsed JSON output ({} when it prints nothing)."""
    p = subprocess.run(["aws", *args, "--output", "json", "--endpoint-url",
                        env["AWS_ENDPOINT_URL"], "--region", env["AWS_REGION"]],
                       env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"aws {' '.join(args[:2])}: rc {p.returncode}: {p.stderr.strip()}")
    return json.loads(p.stdout) if p.stdout.strip() else {}


def fill(env):
    """The state of the test, made with the AWS CLI: returns the ids the
    checks need."""
    def ec2(*a):
        return aws(env, "ec2", *a)

    def iam(*a):
        return aws(env, "iam", *a)

    def s3(*a):
        return aws(env, "s3api", *a)

    vpc_a = ec2("create-vpc", "--cidr-block", "10.10.0.0/16", "--tag-specifications",
                json.dumps([{"ResourceType": "vpc",
                             "Tags": [{"Key": "Name", "Value": "prod"}]}]))["Vpc"]["VpcId"]
    vpc_b = ec2("create-vpc", "--cidr-block", "10.20.0.0/16")["Vpc"]["VpcId"]
    sub_a = ec2("create-subnet", "--vpc-id", vpc_a,
                "--cidr-block", "10.10.1.0/24")["Subnet"]["SubnetId"]
    sub_b = ec2("create-subnet", "--vpc-id", vpc_b,
                "--cidr-block", "10.20.1.0/24")["Subnet"]["SubnetId"]

    def group(name, description, vpc, port=None, cidr=None):
        gid = ec2("create-security-group", "--group-name", name, "--description",
                  description, "--vpc-id", vpc)["GroupId"]
        if port:
            ec2("authorize-security-group-ingress", "--group-id", gid, "--ip-permissions",
                json.dumps([{"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                             "IpRanges": [{"CidrIp": cidr}]}]))
        return gid
    web = group("web-open", "ssh from anywhere", vpc_a, 22, "0.0.0.0/0")
    db = group("db-closed", "postgres inside", vpc_a, 5432, "10.10.0.0/16")
    batch = group("batch-closed", "nothing in", vpc_b)
    spare = group("spare", "deleted later", vpc_b)
    iam("create-role", "--role-name", "web-role", "--assume-role-policy-document",
        json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    iam("create-instance-profile", "--instance-profile-name", "web-profile")
    iam("add-role-to-instance-profile", "--instance-profile-name", "web-profile",
        "--role-name", "web-role")
    i_web = ec2("run-instances", "--image-id", "ami-12c6146b", "--count", "1",
                "--subnet-id", sub_a, "--security-group-ids", web, db,
                "--iam-instance-profile", "Name=web-profile", "--tag-specifications",
                json.dumps([{"ResourceType": "instance", "Tags": [
                    {"Key": "Name", "Value": "web-1"}, {"Key": "Owner", "Value": "alice"}]}]),
                )["Instances"][0]["InstanceId"]
    i_batch = ec2("run-instances", "--image-id", "ami-12c6146b", "--count", "1",
                  "--subnet-id", sub_b, "--security-group-ids", batch,
                  )["Instances"][0]["InstanceId"]
    for user, nkeys in (("alice", 2), ("bob", 1), ("carol", 0)):
        iam("create-user", "--user-name", user, "--tags", "Key=team,Value=sec")
        for _ in range(nkeys):
            iam("create-access-key", "--user-name", user)
    s3("create-bucket", "--bucket", "public-site", "--acl", "public-read")
    s3("create-bucket", "--bucket", "private-data")
    s3("put-public-access-block", "--bucket", "private-data",
       "--public-access-block-configuration", json.dumps({
           "BlockPublicAcls": True, "IgnorePublicAcls": True,
           "BlockPublicPolicy": True, "RestrictPublicBuckets": True}))
    s3("put-bucket-tagging", "--bucket", "private-data",
       "--tagging", json.dumps({"TagSet": [{"Key": "owner", "Value": "data-team"}]}))
    # A network ACL of our own on subnet A, with a rule open to the world.
    nacl = ec2("create-network-acl", "--vpc-id", vpc_a)["NetworkAcl"]["NetworkAclId"]
    ec2("create-network-acl-entry", "--network-acl-id", nacl, "--rule-number", "100",
        "--protocol", "6", "--rule-action", "allow", "--ingress",
        "--cidr-block", "0.0.0.0/0", "--port-range", "From=22,To=22")
    ec2("create-network-acl-entry", "--network-acl-id", nacl, "--rule-number", "200",
        "--protocol", "6", "--rule-action", "deny", "--ingress",
        "--cidr-block", "10.0.0.0/8", "--port-range", "From=23,To=23")
    assoc = next(a["NetworkAclAssociationId"]
                 for n in ec2("describe-network-acls", "--filters",
                              f"Name=association.subnet-id,Values={sub_a}")["NetworkAcls"]
                 for a in n["Associations"] if a["SubnetId"] == sub_a)
    ec2("replace-network-acl-association", "--association-id", assoc,
        "--network-acl-id", nacl)
    # Buckets whose policy makes them public, or not (a Condition narrows it).
    s3("create-bucket", "--bucket", "policy-public")
    s3("put-bucket-policy", "--bucket", "policy-public", "--policy", json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::policy-public/*"}]}))
    s3("create-bucket", "--bucket", "policy-narrow")
    s3("put-bucket-policy", "--bucket", "policy-narrow", "--policy", json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::policy-narrow/*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}}]}))
    # Trails: one logging, one created and never started.
    s3("create-bucket", "--bucket", "trail-logs")
    aws(env, "cloudtrail", "create-trail", "--name", "main-trail",
        "--s3-bucket-name", "trail-logs")
    aws(env, "cloudtrail", "start-logging", "--name", "main-trail")
    aws(env, "cloudtrail", "create-trail", "--name", "idle-trail",
        "--s3-bucket-name", "trail-logs")
    return dict(vpc_a=vpc_a, vpc_b=vpc_b, sub_a=sub_a, sub_b=sub_b, web=web, db=db,
                batch=batch, spare=spare, i_web=i_web, i_batch=i_batch, nacl=nacl)


def cli_view(env):
    """What the AWS CLI lists: {type: {id: {relation type: sorted ids}}}.
    One describe/list call per type for all its assets (the CLI follows the
    pages); the access keys one call per user, as IAM lists them."""
    def cli(*a):
        return aws(env, *a)

    view = {t: {} for t in ("instance", "security_group", "subnet", "vpc", "network_acl",
                            "user", "role", "access_key", "bucket", "trail")}
    for r in cli("ec2", "describe-instances")["Reservations"]:
        for i in r["Instances"]:
            view["instance"][i["InstanceId"]] = {
                "security_group": sorted(g["GroupId"] for g in i["SecurityGroups"]),
                "subnet": [i["SubnetId"]], "vpc": [i["VpcId"]]}
    for g in cli("ec2", "describe-security-groups")["SecurityGroups"]:
        view["security_group"][g["GroupId"]] = {"vpc": [g["VpcId"]]}
    for s in cli("ec2", "describe-subnets")["Subnets"]:
        view["subnet"][s["SubnetId"]] = {"vpc": [s["VpcId"]]}
    for v in cli("ec2", "describe-vpcs")["Vpcs"]:
        view["vpc"][v["VpcId"]] = {}
    for n in cli("ec2", "describe-network-acls")["NetworkAcls"]:
        view["network_acl"][n["NetworkAclId"]] = {
            "vpc": [n["VpcId"]], "subnet": sorted(a["SubnetId"] for a in n["Associations"])}
    for t in cli("cloudtrail", "describe-trails", "--no-include-shadow-trails")["trailList"]:
        view["trail"][t["Name"]] = {"bucket": [t["S3BucketName"]]}
    for u in cli("iam", "list-users")["Users"]:
        keys = cli("iam", "list-access-keys", "--user-name", u["UserName"])["AccessKeyMetadata"]
        view["user"][u["UserName"]] = {"access_key": sorted(k["AccessKeyId"] for k in keys)}
        for k in keys:
            view["access_key"][k["AccessKeyId"]] = {"user": [u["UserName"]]}
    for r in cli("iam", "list-roles")["Roles"]:
        view["role"][r["RoleName"]] = {}
    for b in cli("s3api", "list-buckets")["Buckets"]:
        view["bucket"][b["Name"]] = {}
    return view


def compare(assets, view, label):
    """Same assets per type, same relations of the kinds the AWS CLI shows."""
    by_type = {t: {} for t in view}
    for a in assets:
        by_type.setdefault(a["type"], {})[a["id"]] = a
    for t in view:
        ok(sorted(by_type[t]) == sorted(view[t]), f"{label}: same {t} assets as the AWS CLI lists",
           f"riposte {sorted(by_type[t])} != aws {sorted(view[t])}")
        bad = []
        for aid, want in view[t].items():
            got = by_type[t].get(aid)
            if got is None:
                continue
            for kind, ids in want.items():
                if rels(got, kind) != ids:
                    bad.append(f"{aid} -> {kind}: {rels(got, kind)} != {ids}")
        ok(not bad, f"{label}: same {t} relations as the AWS CLI lists", "; ".join(bad[:5]))
    return {t: by_type[t] for t in by_type}


CORPUS = os.environ.get("RIPOSTE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
STRATUS = os.path.join(CORPUS, "cloudtrail", "stratus_red_team", "detonation-logs")
ACCOUNT = "123456789012"


def ct_time(offset):
    """RFC 3339 UTC time offset seconds from now."""
    import datetime
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def ct_record(name, source, offset, req, resp=None, error=None):
    """A CloudTrail record as AWS writes one for a call riposte's test made."""
    r = {"eventVersion": "1.10", "eventTime": ct_time(offset), "eventName": name,
         "eventSource": source, "eventID": f"test-{name}-{offset}-{os.getpid()}",
         "eventType": "AwsApiCall", "awsRegion": "us-east-1", "recipientAccountId": ACCOUNT,
         "sourceIPAddress": "198.51.100.7", "userAgent": "boto3",
         "userIdentity": {"type": "IAMUser", "accountId": ACCOUNT, "userName": "alice",
                          "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
                          "accessKeyId": "AKIAEXAMPLEEXAMPLE01"},
         "requestParameters": req, "responseElements": resp}
    if error:
        r["errorCode"] = error
        r["errorMessage"] = "denied"
    return r


def ingest(env, records, db=None):
    path = os.path.join(TMP, f"events-{len(os.listdir(TMP))}.json")
    with open(path, "w") as f:
        json.dump({"Records": records}, f)
    return subprocess.run([RIPOSTE, "ingest", "--no-detect", "--db", db or DB, path], env=env,
                          capture_output=True, text=True, timeout=300)


def listed(env, db=None):
    p = subprocess.run([RIPOSTE, "inventory", "list", "--format", "jsonl", "--db", db or DB],
                       env=env, capture_output=True, text=True, timeout=300)
    return {(a["type"], a["id"]): a for a in jsonl(p.stdout)} if p.returncode == 0 else {}


def boto_rules(ec2, group):
    """A group's ingress as {(proto, from, to): sorted cidrs}, from boto3."""
    g = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]
    return {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")):
            sorted(r["CidrIp"] for r in p.get("IpRanges", [])) for p in g["IpPermissions"]}


def riposte_rules(asset):
    return {(r["protocol"], r["from_port"], r["to_port"]): sorted(r["cidrs"])
            for r in asset.get("detail", {}).get("ingress", [])}


def events_suite(kw, boto3, env, ids):
    """Events between snapshots: each call is made in moto with boto3, its
    CloudTrail record ingested, and the inventory compared with what boto3
    lists now (no sync in between)."""
    ec2 = boto3.client("ec2", **kw)
    iam = boto3.client("iam", **kw)
    ct = boto3.client("cloudtrail", **kw)
    s3 = boto3.client("s3", **kw)

    # RunInstances adds the instance with its groups, subnet, VPC and tags.
    inst = ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1,
                             SubnetId=ids["sub_b"], SecurityGroupIds=[ids["batch"]],
                             TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                 {"Key": "Owner", "Value": "miner-team"}]}])["Instances"][0]
    item = {"instanceId": inst["InstanceId"], "imageId": inst["ImageId"],
            "instanceState": {"code": 0, "name": "pending"},
            "instanceType": inst["InstanceType"], "subnetId": inst["SubnetId"],
            "vpcId": inst["VpcId"], "privateIpAddress": inst.get("PrivateIpAddress"),
            "placement": {"availabilityZone": inst["Placement"]["AvailabilityZone"]},
            "groupSet": {"items": [{"groupId": g["GroupId"], "groupName": g["GroupName"]}
                                   for g in inst["SecurityGroups"]]},
            "tagSet": {"items": [{"key": t["Key"], "value": t["Value"]}
                                 for t in inst.get("Tags", [])]}}
    sg_rule = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
               "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}
    ec2.authorize_security_group_ingress(GroupId=ids["db"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.revoke_security_group_ingress(GroupId=ids["web"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ct.stop_logging(Name="main-trail")
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=iam.list_access_keys(
        UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"], Status="Inactive")
    alice_key = iam.list_access_keys(UserName="alice")["AccessKeyMetadata"][0]["AccessKeyId"]
    s3.put_bucket_acl(Bucket="private-data", ACL="public-read")
    s3.delete_public_access_block(Bucket="private-data")
    records = [
        ct_record("RunInstances", "ec2.amazonaws.com", 10,
                  {"instancesSet": {"items": [{"imageId": inst["ImageId"]}]}},
                  {"instancesSet": {"items": [item]}, "ownerId": ACCOUNT}),
        ct_record("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", 11,
                  {"groupId": ids["db"], "ipPermissions": {"items": [sg_rule]}},
                  {"_return": True}),
        ct_record("RevokeSecurityGroupIngress", "ec2.amazonaws.com", 12,
                  {"groupId": ids["web"], "ipPermissions": {"items": [
                      {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
                       "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
                  {"_return": True}),
        ct_record("StopLogging", "cloudtrail.amazonaws.com", 13,
                  {"name": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main-trail"}),
        ct_record("CreateAccessKey", "iam.amazonaws.com", 14, {"userName": "carol"},
                  {"accessKey": {"accessKeyId": key["AccessKeyId"], "status": "Active",
                                 "userName": "carol", "createDate": "Jan 1, 2030 1:00:00 AM"}}),
        ct_record("UpdateAccessKey", "iam.amazonaws.com", 15,
                  {"userName": "alice", "accessKeyId": alice_key, "status": "Inactive"}),
        ct_record("PutBucketAcl", "s3.amazonaws.com", 16,
                  {"bucketName": "private-data", "acl": [""], "x-amz-acl": ["public-read"]}),
        ct_record("DeleteBucketPublicAccessBlock", "s3.amazonaws.com", 17,
                  {"bucketName": "private-data", "publicAccessBlock": [""]}),
        # A failed call changes nothing; an old event does not undo newer knowledge.
        ct_record("StopLogging", "cloudtrail.amazonaws.com", 18, {"name": "idle-trail"},
                  error="AccessDenied"),
        ct_record("AuthorizeSecurityGroupIngress", "ec2.amazonaws.com", -3600,
                  {"groupId": ids["batch"], "ipPermissions": {"items": [
                      {"ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389,
                       "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
                  {"_return": True}),
    ]
    p = ingest(env, records)
    ok(p.returncode == 0 and "inventory: 8 events applied, 1 older" in p.stdout,
       "events: ingest applies 8 events to the inventory and counts the stale one",
       p.stdout + p.stderr)
    inv = listed(env)
    got = inv.get(("instance", inst["InstanceId"]))
    want = ec2.describe_instances(InstanceIds=[inst["InstanceId"]])["Reservations"][0][
        "Instances"][0]
    ok(got is not None and rels(got, "security_group") ==
       sorted(g["GroupId"] for g in want["SecurityGroups"]) and
       rels(got, "subnet") == [want["SubnetId"]] and rels(got, "vpc") == [want["VpcId"]] and
       got.get("tags") == {"Owner": "miner-team"},
       "events: RunInstances adds the instance with the groups, subnet, VPC and tags boto3 lists",
       json.dumps(got))
    ok(got is not None and got.get("last_event", {}).get("id") == records[0]["eventID"],
       "events: the instance remembers the event that changed it", json.dumps(got))
    db = inv.get(("security_group", ids["db"]), {})
    ok(riposte_rules(db) == boto_rules(ec2, ids["db"]) and
       db.get("detail", {}).get("open_to_world") is True,
       "events: AuthorizeSecurityGroupIngress opens the rule boto3 lists, flagged open",
       f"riposte {riposte_rules(db)} boto3 {boto_rules(ec2, ids['db'])}")
    web = inv.get(("security_group", ids["web"]), {})
    ok(riposte_rules(web) == boto_rules(ec2, ids["web"]) and
       web.get("detail", {}).get("open_to_world") is False,
       "events: RevokeSecurityGroupIngress closes the rule",
       f"riposte {riposte_rules(web)} boto3 {boto_rules(ec2, ids['web'])}")
    trail = inv.get(("trail", "main-trail"), {})
    ok(trail.get("detail", {}).get("logging") is False and
       ct.get_trail_status(Name="main-trail")["IsLogging"] is False and
       trail.get("last_event", {}).get("id") == records[3]["eventID"],
       "events: StopLogging marks the trail as not logging", json.dumps(trail.get("detail")))
    idle = inv.get(("trail", "idle-trail"), {})
    ok(idle.get("last_event") is None, "events: a failed call changes nothing",
       json.dumps(idle))
    batch = inv.get(("security_group", ids["batch"]), {})
    ok(riposte_rules(batch) == boto_rules(ec2, ids["batch"]),
       "events: an event older than the snapshot does not change the asset",
       json.dumps(batch.get("detail")))
    k = inv.get(("access_key", key["AccessKeyId"]), {})
    carol = inv.get(("user", "carol"), {})
    ok(rels(k, "user") == ["carol"] and k.get("detail", {}).get("status") == "Active" and
       rels(carol, "access_key") == [key["AccessKeyId"]],
       "events: CreateAccessKey adds the key and links it to its user", json.dumps(k))
    ak = inv.get(("access_key", alice_key), {})
    ok(ak.get("detail", {}).get("status") == "Inactive", "events: UpdateAccessKey sets the status",
       json.dumps(ak.get("detail")))
    b = inv.get(("bucket", "private-data"), {}).get("detail", {})
    ok(b.get("public") is True and b.get("acl_public") is True and
       b.get("public_access_block") is None,
       "events: PutBucketAcl public-read without a public access block makes the bucket public",
       json.dumps(b))

    # A snapshot now agrees with what the events said.
    p = riposte(env, "sync")
    after = listed(env)
    same = [t for t in (("security_group", ids["db"]), ("security_group", ids["web"]),
                        ("instance", inst["InstanceId"]))
            if rels(after.get(t, {"relations": []}), "security_group") !=
            rels(inv.get(t, {"relations": []}), "security_group") or
            riposte_rules(after.get(t, {})) != riposte_rules(inv.get(t, {}))]
    ok(p.returncode == 0 and not same and
       after.get(("trail", "main-trail"), {}).get("detail", {}).get("logging") is False and
       after.get(("bucket", "private-data"), {}).get("detail", {}).get("public") is True,
       "events: the next sync finds what the events said", f"{same} {p.stderr}")

    # The corpus: real records of attacks (Stratus Red Team) into an empty inventory.
    if not os.path.isdir(STRATUS):
        skip("events: Stratus Red Team corpus", f"{STRATUS} not found (set RIPOSTE_CORPUS)")
        return
    cdb = os.path.join(TMP, "corpus.db")
    files = [os.path.join(STRATUS, f) for f in (
        "aws.defense-evasion.cloudtrail-stop.json",
        "aws.exfiltration.ec2-security-group-open-port-22-ingress.json",
        "aws.persistence.iam-backdoor-user.json",
        "aws.execution.ec2-launch-unusual-instances.json")]
    recs = []
    for f in files:
        with open(f) as fh:
            d = json.load(fh)
        recs += d if isinstance(d, list) else d.get("Records", [])
    p = subprocess.run([RIPOSTE, "ingest", "--no-detect", "--db", cdb, *files], env=env,
                       capture_output=True, text=True, timeout=300)
    inv = listed(env, cdb)
    stop = next(r for r in recs if r["eventName"] == "StopLogging")
    t = inv.get(("trail", stop["requestParameters"]["name"]), {})
    ok(p.returncode == 0 and t.get("detail", {}).get("logging") is False and
       t.get("account") == stop["recipientAccountId"],
       "corpus: StopLogging marks the Stratus trail as not logging", json.dumps(t) + p.stderr)
    auth = next(r for r in recs if r["eventName"] == "AuthorizeSecurityGroupIngress")
    g = inv.get(("security_group", auth["requestParameters"]["groupId"]), {})
    ok(g.get("detail", {}).get("open_to_world") is True and
       riposte_rules(g) == {("tcp", 22, 22): [auth["requestParameters"]["cidrIp"]]},
       "corpus: AuthorizeSecurityGroupIngress opens port 22 (a /0 range is the world)",
       json.dumps(g.get("detail")))
    made = [r for r in recs if r["eventName"] == "CreateAccessKey" and not r.get("errorCode")]
    keys = {r["responseElements"]["accessKey"]["accessKeyId"] for r in made}
    ok(keys and all(("access_key", k) in inv for k in keys),
       "corpus: CreateAccessKey adds the backdoor key", f"{keys} {sorted(inv)}")
    ok(not any(t == "instance" for t, _ in inv),
       "corpus: a RunInstances that failed (UnauthorizedOperation) adds no instance",
       f"{sorted(inv)}")


def guardduty_finding(instance, offset):
    """A GuardDuty crypto-mining finding on an instance, in the API shape of
    ../shared/corpus/guardduty (aws_samples_automated_response), naming the
    instance's network interface as GuardDuty does."""
    ni = instance["NetworkInterfaces"][0] if instance.get("NetworkInterfaces") else {}
    now = ct_time(offset)
    return {
        "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
        "partition": "aws", "id": f"cryptominer{os.getpid()}",
        "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/d1/finding/cm{os.getpid()}",
        "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        "resource": {"resourceType": "Instance", "instanceDetails": {
            "instanceId": instance["InstanceId"], "instanceType": instance["InstanceType"],
            "networkInterfaces": [{
                "subnetId": instance["SubnetId"], "vpcId": instance["VpcId"],
                "privateIpAddress": ni.get("PrivateIpAddress", instance.get("PrivateIpAddress")),
                "securityGroups": [{"groupName": g["GroupName"], "groupId": g["GroupId"]}
                                   for g in instance["SecurityGroups"]]}],
            "tags": [{"key": t["Key"], "value": t["Value"]} for t in instance.get("Tags", [])],
            "instanceState": "running", "availabilityZone": "us-east-1a",
            "imageId": instance["ImageId"]}},
        "service": {"serviceName": "guardduty", "detectorId": "d1",
                    "action": {"actionType": "DNS_REQUEST", "dnsRequestAction": {
                        "domain": "pool.minexmr.example", "protocol": "UDP", "blocked": False}},
                    "resourceRole": "TARGET", "eventFirstSeen": now, "eventLastSeen": now,
                    "archived": False, "count": 3},
        "severity": 8, "createdAt": now, "updatedAt": now,
        "title": "EC2 instance is querying a domain name that is associated with Bitcoin",
        "description": "The instance is querying a Bitcoin mining pool."}


def incident_suite(kw, boto3, env, ids):
    """An incident from a GuardDuty crypto-mining finding on an instance in
    moto carries the instance's context: tags and owner, security groups
    and their open rules, subnet, VPC, and what else sits behind the same
    open group; in `incident show` and in the HTML report with its SVG."""
    ec2 = boto3.client("ec2", **kw)
    miner = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=ids["sub_a"],
        SecurityGroupIds=[ids["db"]],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "Name", "Value": "gpu-worker"}, {"Key": "Owner", "Value": "bob"},
            {"Key": "Team", "Value": "ml-platform"}]}])["Instances"][0]
    p = riposte(env, "sync")
    ok(p.returncode == 0, "incident: sync with the mining instance", p.stderr)
    want = ec2.describe_instances(InstanceIds=[miner["InstanceId"]])["Reservations"][0][
        "Instances"][0]
    path = os.path.join(TMP, "guardduty-miner.json")
    with open(path, "w") as f:
        json.dump(guardduty_finding(want, 60), f)
    p = subprocess.run([RIPOSTE, "ingest", "--db", DB, path], env=env, capture_output=True,
                       text=True, timeout=300)
    ok(p.returncode == 0 and "1 opened" in p.stdout, "incident: the finding opens an incident",
       p.stdout + p.stderr)
    p = subprocess.run([RIPOSTE, "incident", "list", "--format", "jsonl", "--db", DB], env=env,
                       capture_output=True, text=True, timeout=60)
    incs = [i for i in jsonl(p.stdout) if "Bitcoin" in json.dumps(i)] if p.returncode == 0 else []
    if not ok(len(incs) == 1, "incident: listed", p.stdout + p.stderr):
        return
    inc = str(incs[0]["id"])
    p = subprocess.run([RIPOSTE, "incident", "show", inc, "--db", DB], env=env,
                       capture_output=True, text=True, timeout=60)
    out = p.stdout
    ctx = out[out.find("assets involved"):] if "assets involved" in out else ""
    groups = [g["GroupId"] for g in want["SecurityGroups"]]
    ok(p.returncode == 0 and miner["InstanceId"] in ctx and "Owner=bob" in ctx and
       "owner bob, team ml-platform" in ctx,
       "incident show: the instance with its tags, owner and team", out[-1500:])
    ok(all(g in ctx for g in groups) and want["SubnetId"] in ctx and want["VpcId"] in ctx,
       "incident show: its security groups, subnet and VPC as boto3 lists them",
       f"{groups} {want['SubnetId']} {want['VpcId']} in {ctx[:1500]}")
    ok("open to the world: tcp 443 from 0.0.0.0/0" in ctx,
       "incident show: the open rule highlighted", ctx[:1500])
    ok(ids["i_web"] in ctx and "behind the same open group" in ctx,
       "incident show: the other instance behind the same open group", ctx[:1500])

    html = os.path.join(TMP, "incident.html")
    p = subprocess.run([RIPOSTE, "report", inc, "--db", DB, "-o", html], env=env,
                       capture_output=True, text=True, timeout=120)
    page = open(html).read() if p.returncode == 0 and os.path.exists(html) else ""
    # Graphviz writes some characters as references ("i&#45;0abc"): read it as text.
    svg = html_text.unescape(page[page.find("<svg"):page.find("</svg>") + 6]) \
        if "<svg" in page else ""
    ok(p.returncode == 0 and svg and miner["InstanceId"] in svg and ids["db"] in svg and
       "open to the world" in svg and "owner bob" in svg,
       "report: the HTML embeds the assets graph (SVG) with the instance, its group and owner",
       p.stderr + page[:300])
    ok("<script" not in page.lower() and "<?xml" not in page and "<!DOCTYPE svg" not in page,
       "report: the SVG brings no script, prolog or doctype", svg[:300])
    md = subprocess.run([RIPOSTE, "report", inc, "--db", DB], env=env, capture_output=True,
                        text=True, timeout=120)
    ok(md.returncode == 0 and "## Assets involved" in md.stdout and "Owner=bob" in md.stdout,
       "report (Markdown): the assets involved as text", md.stdout[:300])

    # Graphviz is dlopen()ed on first use (src/inventory/gvc-load.c): an unloadable libgvc
    # (an empty file found first through LD_LIBRARY_PATH) is one clear error, not a crash.
    p = riposte(env, "graph", miner["InstanceId"], "--format", "svg")
    ok(p.returncode == 0 and p.stdout.startswith("<svg") and "open to the world" in p.stdout,
       "graph --format svg: laid out by Graphviz", p.stderr[-300:])
    broken = os.path.join(TMP, "broken-lib")
    os.makedirs(broken, exist_ok=True)
    open(os.path.join(broken, "libgvc.so.6"), "w").close()
    benv = dict(env, LD_LIBRARY_PATH=broken + os.pathsep + env.get("LD_LIBRARY_PATH", ""))
    p = riposte(benv, "graph", miner["InstanceId"], "--format", "svg")
    ok(p.returncode > 0 and "cannot load Graphviz (libgvc.so.6)" in p.stderr and
       "install libgvc6" in p.stderr and "Sanitizer" not in p.stderr and not p.stdout,
       "no libgvc: graph --format svg stops with one line naming the library and the package",
       f"exit {p.returncode}: {p.stderr[-400:]}")
    html2 = os.path.join(TMP, "incident-nogvc.html")
    p = subprocess.run([RIPOSTE, "report", inc, "--db", DB, "-o", html2], env=benv,
                       capture_output=True, text=True, timeout=120)
    page2 = open(html2).read() if p.returncode == 0 and os.path.exists(html2) else ""
    ok(p.returncode == 0 and "<svg" not in page2 and "Owner=bob" in page2 and
       "the assets graph is left out: cannot load Graphviz" in p.stderr and
       "Sanitizer" not in p.stderr,
       "no libgvc: the HTML report is written without its graph, with a warning saying why",
       f"exit {p.returncode}: {p.stderr[-400:]}")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        skip("report in headless Chromium", "chromium is not installed "
             "(scripts/install-deps installs it)")
        return
    png = os.path.join(TMP, "incident.png")
    profile = tempfile.mkdtemp(prefix="riposte-chromium-")
    try:
        c = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                            "--disable-background-networking", "--disable-component-update",
                            "--disable-sync", "--no-first-run", "--disable-quic",
                            f"--user-data-dir={profile}", f"--screenshot={png}",
                            "--window-size=1200,1600", "file://" + html],
                           capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        c = None
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    ok(c is not None and c.returncode == 0 and os.path.exists(png),
       "report: headless Chromium renders the report with its graph",
       c.stderr[-500:] if c else "timed out")
    chk = subprocess.run([sys.executable, os.path.join(ROOT, "tests", "check-png.py"), png,
                          "1200", "1600"], capture_output=True, text=True)
    ok(chk.returncode == 0, "report: the screenshot is not blank", chk.stdout + chk.stderr)


def suite(boto3):
    moto = Moto()
    try:
        kw = dict(endpoint_url=moto.url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testingsecretkey")
        env = base_env(moto.url)
        ids = fill(env)

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
        got = compare(assets, cli_view(env), "first sync")

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
        ok(b.get("policy-public", {}).get("detail", {}).get("public") is True and
           b["policy-public"]["detail"].get("policy", {}).get("public") is True,
           "bucket: a policy allowing everyone makes it public",
           json.dumps(b.get("policy-public", {}).get("detail")))
        narrow = b.get("policy-narrow", {}).get("detail", {})
        ok(narrow.get("public") is False and narrow.get("policy", {}).get("exists") is True,
           "bucket: a policy with a Condition is not counted public", json.dumps(narrow))
        ok(priv.get("detail", {}).get("policy") == {"exists": False, "public": False,
                                                    "source": None},
           "bucket: no policy", json.dumps(priv.get("detail")))
        nacl = got["network_acl"].get(ids["nacl"], {})
        entries = nacl.get("detail", {}).get("entries", [])
        ok(nacl.get("detail", {}).get("ingress_allows_world") is True and
           any(e.get("rule_number") == 100 and e.get("open_to_world") and e.get("from_port") == 22
               for e in entries) and
           any(e.get("rule_number") == 200 and e.get("action") == "deny" and
               not e.get("open_to_world") for e in entries),
           "network ACL: entries with ports, actions and the world-open rule flagged",
           json.dumps(nacl.get("detail")))
        bad = []
        for name, t in got["trail"].items():
            want = aws(env, "cloudtrail", "get-trail-status", "--name", name)["IsLogging"]
            if t.get("detail", {}).get("logging") is not want:
                bad.append(f"{name}: riposte {t.get('detail', {}).get('logging')} != {want}")
        ok(len(got["trail"]) == 2 and not bad, "trail: logging status as GetTrailStatus says",
           "; ".join(bad) or json.dumps(got["trail"]))
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
        compare(jsonl(p.stdout), cli_view(env), "after deletes")

        events_suite(kw, boto3, env, ids)
        incident_suite(kw, boto3, env, ids)
    finally:
        moto.stop()


def main():
    try:
        import boto3
        import moto  # noqa: F401
    except ImportError as e:
        skip("inventory against moto", f"python module missing: {e.name}")
        return 1 if os.environ.get("CI") else 0
    if not shutil.which("aws"):
        skip("inventory against moto", "the AWS CLI (aws) is not installed")
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
