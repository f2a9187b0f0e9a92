#!/usr/bin/env python3
"""test-playbooks.py — riposte's run engine against moto's server.

What it checks, always through the real `riposte` binary, with the cloud's
state read back with boto3 (never with riposte's own reads):

1. apply: every shipped playbook runs with --apply on an incident made from
   a GuardDuty finding or a CloudTrail record that names resources created
   in moto; the result is checked resource by resource. Approvals are given
   with `riposte approve`, and refused for a user who may not give them.
2. crash: runs of the shipped playbooks on many generated incidents while
   the engine is killed with SIGKILL at random moments (at least 50 times)
   and restarted; at the end every run has ended, moto shows each side
   effect exactly once (one snapshot per volume, one quarantine group, two
   NACL entries per address), and `riposte audit verify` passes.
3. tamper: `riposte audit verify` fails on an edited, a removed and a
   truncated audit log (edited with sqlite3, not riposte).
4. replay: `riposte replay` over the Stratus Red Team detonation logs plans
   exactly the containment listed in tests/cases/stratus-playbooks.expected.

Usage: test-playbooks.py [RIPOSTE_BINARY] [--only apply,crash,tamper,replay]
Prints tap lines; exits 1 when a check failed.
"""
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import Moto, ok, riposte_binary, skip, summary  # noqa: E402

RIPOSTE = riposte_binary()
CORPUS = os.environ.get("RIPOSTE_CORPUS", os.path.join(ROOT, "..", "shared", "corpus"))
STRATUS = os.path.join(CORPUS, "cloudtrail", "stratus_red_team", "detonation-logs")
EXPECTED = os.path.join(ROOT, "tests", "cases", "stratus-playbooks.expected")
ACCOUNT = "123456789012"
TMP = tempfile.mkdtemp(prefix="riposte-playbooks-")
KILLS = int(os.environ.get("RIPOSTE_CRASH_KILLS", "60"))


def env_for(url):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "HOME": TMP,
        "AWS_CONFIG_FILE": os.path.join(TMP, "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(TMP, "aws-credentials"),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testingsecretkey",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "XDG_STATE_HOME": os.path.join(TMP, "state"),
    })
    return env


def rip(env, *args, timeout=300):
    return subprocess.run([RIPOSTE, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def boto(url, service):
    import boto3
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testingsecretkey")


# ---- inputs: GuardDuty findings and CloudTrail records naming moto's resources ----

def hour(h, m=0):
    return f"2026-11-2{1 + h // 24}T{h % 24:02d}:{m:02d}:00Z"


def gd_finding(n, ftype, h, resource, action=None, severity=8.0):
    detail = {
        "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
        "id": f"gdfinding{n:04d}", "type": ftype, "severity": severity,
        "title": ftype, "description": ftype,
        "createdAt": hour(h), "updatedAt": hour(h, 1),
        "arn": f"arn:aws:guardduty:us-east-1:{ACCOUNT}:detector/d/finding/gdfinding{n:04d}",
        "resource": resource,
        "service": {"serviceName": "guardduty", "action": action or {},
                    "eventFirstSeen": hour(h), "eventLastSeen": hour(h, 1), "count": 1},
    }
    return {"version": "0", "id": f"evb-{n:04d}", "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty", "account": ACCOUNT, "time": hour(h, 1),
            "region": "us-east-1", "resources": [], "detail": detail}


def ct_record(n, source, name, h, actor, params, response=None, ip="203.0.113.9"):
    if actor == "root":
        ident = {"type": "Root", "principalId": ACCOUNT,
                 "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
    else:
        ident = {"type": "IAMUser", "principalId": f"AIDA{n:012d}",
                 "arn": f"arn:aws:iam::{ACCOUNT}:user/{actor}", "accountId": ACCOUNT,
                 "accessKeyId": f"AKIAACTOR{n:011d}", "userName": actor}
    return {"eventVersion": "1.08", "userIdentity": ident, "eventTime": hour(h, 5),
            "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
            "sourceIPAddress": ip, "userAgent": "aws-cli/2", "requestParameters": params,
            "responseElements": response, "eventID": f"00000000-0000-4000-8000-{n:012d}",
            "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT,
            "readOnly": False, "managementEvent": True}


def write_inputs(folder, findings, records):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "guardduty.jsonl"), "w") as f:
        for x in findings:
            f.write(json.dumps(x) + "\n")
    with open(os.path.join(folder, "cloudtrail.json"), "w") as f:
        json.dump({"Records": records}, f)


# ---- moto state ----

class World:
    """Resources in moto for one scenario (n: a distinct index)."""

    def __init__(self, url):
        self.url = url
        self.ec2 = boto(url, "ec2")
        self.iam = boto(url, "iam")
        self.s3 = boto(url, "s3")
        self.ct = boto(url, "cloudtrail")
        vpcs = self.ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])
        self.vpc = vpcs["Vpcs"][0]["VpcId"]
        self.subnet = self.ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])["Subnets"][0]["SubnetId"]
        self.ami = self.ec2.describe_images()["Images"][0]["ImageId"]

    def user_with_key(self, name):
        self.iam.create_user(UserName=name)
        return self.iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]

    def key_status(self, user, key):
        for k in self.iam.list_access_keys(UserName=user)["AccessKeyMetadata"]:
            if k["AccessKeyId"] == key:
                return k["Status"]
        return None

    def sg(self, name, port, world=True):
        g = self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)
        gid = g["GroupId"]
        self.ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": "0.0.0.0/0" if world else "10.0.0.0/8"}]}])
        return gid

    def world_rules(self, gid):
        g = self.ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
        return [(p.get("IpProtocol"), p.get("FromPort")) for p in g["IpPermissions"]
                if any(r.get("CidrIp") == "0.0.0.0/0" for r in p.get("IpRanges", []))]

    def instance(self, sgs):
        r = self.ec2.run_instances(ImageId=self.ami, MinCount=1, MaxCount=1,
                                   InstanceType="t3.micro", SubnetId=self.subnet,
                                   SecurityGroupIds=sgs)
        return r["Instances"][0]["InstanceId"]

    def inst(self, iid):
        return self.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]

    def volumes(self, iid):
        return [b["Ebs"]["VolumeId"] for b in self.inst(iid).get("BlockDeviceMappings", [])
                if "Ebs" in b]

    def snapshots(self, incident):
        return self.ec2.describe_snapshots(OwnerIds=["self"], Filters=[
            {"Name": "tag:riposte:incident", "Values": [str(incident)]}])["Snapshots"]

    def nacl_denies(self, ip):
        acls = self.ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [self.subnet]}])["NetworkAcls"]
        return [e for a in acls for e in a["Entries"]
                if e.get("CidrBlock") == f"{ip}/32" and e["RuleAction"] == "deny"]

    def quarantine_groups(self):
        gs = self.ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])["SecurityGroups"]
        return [g for g in gs if g["GroupName"].startswith("riposte-quarantine")]


def runs(env, db):
    p = rip(env, "runs", "--db", db, "--format", "jsonl")
    return [json.loads(x) for x in p.stdout.splitlines() if x.strip()]


def incidents_by_title(env, db):
    p = rip(env, "incident", "list", "--db", db, "--format", "jsonl")
    out = {}
    for line in p.stdout.splitlines():
        if line.strip():
            x = json.loads(line)
            out.setdefault(x["title"], []).append(x["id"])
    return out


def approve_waiting(env, db, role="responder"):
    n = 0
    for r in runs(env, db):
        if r["state"] != "waiting_approval":
            continue
        show = json.loads(rip(env, "runs", "show", str(r["id"]), "--db", db,
                              "--format", "json").stdout)
        for s in show["steps"]:
            if s["state"] == "waiting_approval":
                p = rip(env, "approve", str(r["id"]), s["step"], "--db", db, "--role", role,
                        "--max-destructive-per-hour", "10000")
                n += p.returncode == 0
    return n


# ---- 1. every shipped playbook with --apply ----

def apply_suite(moto):
    env = env_for(moto.url)
    w = World(moto.url)
    d = os.path.join(TMP, "apply")
    db = os.path.join(d, "riposte.db")
    # compromised-access-key: a GuardDuty finding on alice's key
    k_alice = w.user_with_key("alice")
    # crypto-mining-instance
    sg_app = w.sg("app", 8080, world=False)
    i_miner = w.instance([sg_app])
    # ssh-brute-force: SSH open to the world on the victim's group
    sg_ssh = w.sg("ssh", 22)
    i_ssh = w.instance([sg_ssh])
    # security-group-open-to-world (CloudTrail)
    sg_rdp = w.sg("rdp", 3389)
    # bucket-made-public
    w.s3.create_bucket(Bucket="public-bucket")
    w.s3.put_bucket_acl(Bucket="public-bucket", ACL="public-read")
    # cloudtrail-stopped
    w.s3.create_bucket(Bucket="trail-bucket")
    w.ct.create_trail(Name="main-trail", S3BucketName="trail-bucket")
    w.ct.start_logging(Name="main-trail")
    w.ct.stop_logging(Name="main-trail")
    # iam-backdoor-credentials: mallory made a key for bob
    k_bob = w.user_with_key("bob")

    findings = [
        gd_finding(1, "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom", 0,
                   {"resourceType": "AccessKey", "accessKeyDetails": {
                       "accessKeyId": k_alice, "principalId": "AIDAALICE", "userName": "alice",
                       "userType": "IAMUser"}},
                   {"actionType": "AWS_API_CALL", "awsApiCallAction": {
                       "api": "ListBuckets", "serviceName": "s3.amazonaws.com",
                       "remoteIpDetails": {"ipAddressV4": "198.51.100.1"}}}),
        gd_finding(2, "CryptoCurrency:EC2/BitcoinTool.B!DNS", 3,
                   {"resourceType": "Instance", "instanceDetails": {
                       "instanceId": i_miner, "instanceType": "t3.micro"}}),
        gd_finding(3, "UnauthorizedAccess:EC2/SSHBruteForce", 6,
                   {"resourceType": "Instance", "instanceDetails": {
                       "instanceId": i_ssh, "networkInterfaces": [{
                           "subnetId": w.subnet, "vpcId": w.vpc,
                           "securityGroups": [{"groupId": sg_ssh, "groupName": "ssh"}]}]}},
                   {"actionType": "NETWORK_CONNECTION", "networkConnectionAction": {
                       "connectionDirection": "INBOUND", "protocol": "TCP",
                       "remoteIpDetails": {"ipAddressV4": "198.51.100.77"},
                       "localPortDetails": {"port": 22}}}, severity=2.0),
    ]
    records = [
        ct_record(11, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", 9, "eve",
                  {"groupId": sg_rdp, "ipPermissions": {"items": [{
                      "ipProtocol": "tcp", "fromPort": 3389, "toPort": 3389,
                      "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}}, ip="203.0.113.11"),
        ct_record(12, "s3.amazonaws.com", "PutBucketAcl", 12, "frank",
                  {"bucketName": "public-bucket", "x-amz-acl": ["public-read"],
                   "AccessControlPolicy": {"AccessControlList": {"Grant": [{
                       "Grantee": {"URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                       "Permission": "READ"}]}}}, ip="203.0.113.12"),
        ct_record(13, "cloudtrail.amazonaws.com", "StopLogging", 15, "grace",
                  {"name": "main-trail"}, ip="203.0.113.13"),
        ct_record(14, "iam.amazonaws.com", "CreateAccessKey", 18, "mallory",
                  {"userName": "bob"},
                  {"accessKey": {"accessKeyId": k_bob, "status": "Active", "userName": "bob"}},
                  ip="203.0.113.14"),
        ct_record(15, "signin.amazonaws.com", "ConsoleLogin", 21, "root", None,
                  {"ConsoleLogin": "Success"}, ip="203.0.113.15"),
    ]
    write_inputs(os.path.join(d, "in"), findings, records)
    p = rip(env, "ingest", "--db", db, os.path.join(d, "in"))
    ok(p.returncode == 0, "apply: ingest", p.stderr[-500:])

    p = rip(env, "respond", "--db", db, "--apply", "--max-destructive-per-hour", "10000")
    ok(p.returncode == 0, "apply: respond --apply exits 0", p.stdout[-800:] + p.stderr[-800:])
    rs = runs(env, db)
    by_pb = {r["playbook"]: r for r in rs}
    want = {"compromised-access-key", "crypto-mining-instance", "ssh-brute-force",
            "security-group-open-to-world", "bucket-made-public", "cloudtrail-stopped",
            "iam-backdoor-credentials", "root-account-used"}
    ok(set(by_pb) == want, "apply: one run per shipped playbook",
       f"{sorted(by_pb)} != {sorted(want)}")
    ok(all(not r["dry_run"] for r in rs), "apply: the runs are live")

    # Results before approvals.
    ok(w.key_status("alice", k_alice) == "Inactive", "compromised-access-key: key inactive",
       str(w.key_status("alice", k_alice)))
    ok(w.key_status("bob", k_bob) == "Inactive", "iam-backdoor-credentials: bob's new key "
       "inactive", str(w.key_status("bob", k_bob)))
    ok(w.world_rules(sg_rdp) == [], "security-group-open-to-world: 3389 rule revoked",
       str(w.world_rules(sg_rdp)))
    pab = w.s3.get_public_access_block(Bucket="public-bucket")["PublicAccessBlockConfiguration"]
    ok(all(pab.values()), "bucket-made-public: all four Block Public Access settings on", str(pab))
    grants = w.s3.get_bucket_acl(Bucket="public-bucket")["Grants"]
    ok(not any("AllUsers" in g["Grantee"].get("URI", "") for g in grants),
       "bucket-made-public: ACL no longer grants AllUsers", str(grants))
    ok(w.ct.get_trail_status(Name="main-trail")["IsLogging"] is True,
       "cloudtrail-stopped: trail logging again")
    miner = w.inst(i_miner)
    qg = [g["GroupName"] for g in miner["SecurityGroups"]]
    ok(len(qg) == 1 and qg[0].startswith("riposte-quarantine"),
       "crypto-mining-instance: only the quarantine group left", str(qg))
    inc_miner = [i for t, ids in incidents_by_title(env, db).items() for i in ids
                 if "CryptoCurrency" in t]
    snaps = w.snapshots(inc_miner[0]) if inc_miner else []
    ok(len(snaps) == len(w.volumes(i_miner)) and snaps,
       "crypto-mining-instance: one tagged snapshot per volume", f"{len(snaps)} snapshots")
    ok(miner["State"]["Name"] == "running", "crypto-mining-instance: not terminated before "
       "approval", miner["State"]["Name"])
    ok(len(w.nacl_denies("198.51.100.77")) == 2, "ssh-brute-force: NACL denies the attacker "
       "in and out", str(w.nacl_denies("198.51.100.77")))
    ok(w.world_rules(sg_ssh) == [("tcp", 22)], "ssh-brute-force: SSH rule kept until approved")
    waiting = {r["playbook"] for r in runs(env, db) if r["state"] == "waiting_approval"}
    ok(waiting == {"crypto-mining-instance", "ssh-brute-force"},
       "apply: the two approval steps wait", str(waiting))

    # A user who may not approve is refused, on the record, nothing done.
    run_ssh = by_pb["ssh-brute-force"]["id"]
    p = rip(env, "approve", str(run_ssh), "close-ssh", "--db", db, "--as", "slack:UINTRUDER",
            "--role", "viewer")
    ok(p.returncode == 1 and "may not approve" in p.stderr, "approve: refused for a viewer",
       p.stderr)
    audit = rip(env, "audit", "list", "--db", db, "--format", "jsonl").stdout
    ok('"approval_refused"' in audit and "slack:UINTRUDER" in audit,
       "approve: the refusal is in the audit log")
    ok(w.world_rules(sg_ssh) == [("tcp", 22)], "approve: refused approval changed nothing")
    p = rip(env, "reject", str(run_ssh), "close-ssh", "--db", db)
    ok(p.returncode == 2 and "--reason" in p.stderr, "reject: needs a reason", p.stderr)

    # Approvals by responders.
    n = approve_waiting(env, db)
    ok(n == 2, "approve: two steps approved", str(n))
    ok(w.world_rules(sg_ssh) == [], "ssh-brute-force: SSH to the world closed after approval",
       str(w.world_rules(sg_ssh)))
    st = w.inst(i_miner)["State"]["Name"]
    ok(st in ("shutting-down", "terminated"), "crypto-mining-instance: terminated after "
       "approval", st)
    rs = runs(env, db)
    ok(all(r["state"] == "succeeded" for r in rs), "apply: every run succeeded",
       str([(r["playbook"], r["state"]) for r in rs]))

    con = sqlite3.connect(db)
    pages = con.execute("SELECT severity, message FROM notifications WHERE message LIKE "
                        "'%root%'").fetchall()
    ok(any(s == "critical" for s, _ in pages), "root-account-used: a critical page queued",
       str(pages))
    nnot = con.execute("SELECT COUNT(*) FROM notifications").fetchone()[0]
    ok(nnot >= 8, "apply: every playbook's notification queued", str(nnot))
    phases = con.execute("SELECT phase, COUNT(*) FROM incidents GROUP BY phase").fetchall()
    con.close()
    ok(dict(phases).get("contained", 0) == 7, "apply: the 7 incidents acted on are contained",
       str(phases))
    p = rip(env, "audit", "verify", "--db", db)
    ok(p.returncode == 0 and "intact" in p.stdout, "apply: audit verify passes", p.stdout)
    p = rip(env, "incident", "show", str(inc_miner[0]), "--db", db)
    ok("approved by" in p.stdout and "terminate" in p.stdout,
       "apply: the approval is on the incident's timeline", p.stdout[-600:])
    # A second respond finds nothing to do and changes nothing.
    before = rip(env, "audit", "list", "--db", db, "--format", "jsonl").stdout.count("\n")
    p = rip(env, "respond", "--db", db, "--apply")
    after = rip(env, "audit", "list", "--db", db, "--format", "jsonl").stdout.count("\n")
    ok(p.returncode == 0 and before == after, "apply: a second respond adds nothing",
       f"{before} -> {after}")
    return db


# ---- 2. kill -9 at random moments ----

def crash_suite(moto):
    env = env_for(moto.url)
    w = World(moto.url)
    d = os.path.join(TMP, "crash")
    db = os.path.join(d, "riposte.db")
    findings, records, expect = [], [], []
    h = 0
    for i in range(6):
        k = w.user_with_key(f"crash-user-{i}")
        findings.append(gd_finding(100 + i, "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
                                   h, {"resourceType": "AccessKey", "accessKeyDetails": {
                                       "accessKeyId": k, "principalId": f"AIDACRASH{i}",
                                       "userName": f"crash-user-{i}", "userType": "IAMUser"}}))
        expect.append(("key", f"crash-user-{i}", k))
        h += 2
    for i in range(5):
        iid = w.instance([w.sg(f"crash-app-{i}", 8000 + i, world=False)])
        findings.append(gd_finding(200 + i, "CryptoCurrency:EC2/BitcoinTool.B!DNS", h,
                                   {"resourceType": "Instance",
                                    "instanceDetails": {"instanceId": iid}}))
        # Counted now: a terminated instance lists no volumes.
        expect.append(("miner", iid, len(w.volumes(iid))))
        h += 2
    for i in range(5):
        gid = w.sg(f"crash-ssh-{i}", 22)
        iid = w.instance([gid])
        ip = f"198.51.100.{100 + i}"
        findings.append(gd_finding(300 + i, "UnauthorizedAccess:EC2/SSHBruteForce", h,
                                   {"resourceType": "Instance", "instanceDetails": {
                                       "instanceId": iid, "networkInterfaces": [{
                                           "subnetId": w.subnet, "vpcId": w.vpc,
                                           "securityGroups": [{"groupId": gid}]}]}},
                                   {"actionType": "NETWORK_CONNECTION",
                                    "networkConnectionAction": {
                                        "connectionDirection": "INBOUND",
                                        "remoteIpDetails": {"ipAddressV4": ip}}}, severity=2.0))
        expect.append(("ssh", gid, ip))
        h += 2
    for i in range(5):
        gid = w.sg(f"crash-open-{i}", 5000 + i)
        records.append(ct_record(400 + i, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
                                 h, f"crash-actor-{i}",
                                 {"groupId": gid, "ipPermissions": {"items": [{
                                     "ipProtocol": "tcp", "fromPort": 5000 + i,
                                     "toPort": 5000 + i,
                                     "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]}},
                                 ip=f"203.0.113.{50 + i}"))
        expect.append(("open", gid, 5000 + i))
        h += 2
    write_inputs(os.path.join(d, "in"), findings, records)
    p = rip(env, "ingest", "--db", db, os.path.join(d, "in"))
    ok(p.returncode == 0, "crash: ingest", p.stderr[-300:])

    rng = random.Random(int(os.environ.get("RIPOSTE_CRASH_SEED", "6")))
    kills = 0
    cmd = [RIPOSTE, "respond", "--db", db, "--apply", "--quiet", "--max-wait", "0",
           "--max-destructive-per-hour", "10000"]
    # A kill lands at a random moment within how long a respond lasts: the
    # longest recent one that ended by itself (short once the work is done,
    # so the kills keep landing inside the process).
    span = 0.6
    for it in range(KILLS * 20):
        if kills >= KILLS:
            break
        if it % 7 == 6:
            # Approvals arrive while the engine is being killed; an approve
            # runs the approved step itself, so it is killed too sometimes.
            for r in runs(env, db):
                if r["state"] != "waiting_approval":
                    continue
                show = json.loads(rip(env, "runs", "show", str(r["id"]), "--db", db,
                                      "--format", "json").stdout)
                for s in show["steps"]:
                    if s["state"] == "waiting_approval":
                        a = subprocess.Popen([RIPOSTE, "approve", str(r["id"]), s["step"],
                                              "--db", db, "--role", "responder",
                                              "--max-destructive-per-hour", "10000"],
                                             env=env, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL)
                        time.sleep(rng.uniform(0.0, 0.3))
                        if a.poll() is None:
                            a.send_signal(signal.SIGKILL)
                            kills += 1
                        a.wait()
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.0, span)
        while proc.poll() is None and time.monotonic() - t0 < delay:
            time.sleep(0.002)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        else:
            span = max(0.005, min(0.6, (time.monotonic() - t0) * 0.9))
        proc.wait()
    ok(kills >= min(50, KILLS), f"crash: engine killed with SIGKILL {kills} times")

    # Finish: respond, approve what waits, respond again.
    for _ in range(3):
        rip(env, "respond", "--db", db, "--apply", "--max-destructive-per-hour", "10000")
        approve_waiting(env, db)
    rs = runs(env, db)
    ok(len(rs) == len(expect), "crash: one run per incident", f"{len(rs)} != {len(expect)}")
    ended = [r for r in rs if r["ended_ns"]]
    ok(len(ended) == len(rs), "crash: every run ended",
       str([(r["id"], r["state"]) for r in rs if not r["ended_ns"]]))
    ok(all(r["state"] == "succeeded" for r in rs), "crash: every run succeeded",
       str([(r["id"], r["playbook"], r["state"]) for r in rs if r["state"] != "succeeded"]))

    con = sqlite3.connect(db)
    inc_of_instance = {}
    for iid, inc in con.execute("SELECT e.value, e.incident_id FROM incident_entities e "
                                "WHERE e.type = 'instance'"):
        inc_of_instance[iid] = inc
    reconciled = con.execute("SELECT COUNT(*) FROM audit_log WHERE action = "
                             "'reconciling'").fetchone()[0]
    con.close()
    bad = []
    for kind, a, b in expect:
        if kind == "key" and w.key_status(a, b) != "Inactive":
            bad.append(f"key {b} {w.key_status(a, b)}")
        if kind == "miner":
            snaps = w.snapshots(inc_of_instance.get(a))
            if len(snaps) != b or not b:
                bad.append(f"{a}: {len(snaps)} snapshots for {b} volumes")
            if w.inst(a)["State"]["Name"] not in ("shutting-down", "terminated"):
                bad.append(f"{a} {w.inst(a)['State']['Name']}")
        if kind == "ssh":
            if len(w.nacl_denies(b)) != 2:
                bad.append(f"nacl {b}: {len(w.nacl_denies(b))} deny entries")
            if w.world_rules(a):
                bad.append(f"{a} still open: {w.world_rules(a)}")
        if kind == "open" and w.world_rules(a):
            bad.append(f"{a} still open: {w.world_rules(a)}")
    ok(not bad, "crash: each side effect exactly once in moto", "; ".join(bad))
    qg = w.quarantine_groups()
    ok(len(qg) == 1, "crash: one quarantine group in the VPC", str([g["GroupName"] for g in qg]))
    p = rip(env, "audit", "verify", "--db", db)
    ok(p.returncode == 0 and "intact" in p.stdout, "crash: audit verify passes", p.stdout)
    print(f"# crash: {kills} kills, {reconciled} interrupted steps reconciled", flush=True)
    return db


# ---- 3. tampering ----

def tamper_suite(db):
    env = env_for("http://127.0.0.1:1")
    p = rip(env, "audit", "verify", "--db", db)
    ok(p.returncode == 0, "tamper: the untouched log verifies", p.stdout + p.stderr)

    def copy_and(sql, name, want):
        t = os.path.join(TMP, f"tamper-{name}.db")
        src = sqlite3.connect(db)
        dst = sqlite3.connect(t)
        src.backup(dst)
        src.close()
        dst.execute("DROP TRIGGER audit_log_no_update")
        dst.execute("DROP TRIGGER audit_log_no_delete")
        dst.execute(sql)
        dst.commit()
        dst.close()
        p = rip(env, "audit", "verify", "--db", t)
        ok(p.returncode == 1 and "TAMPERED" in p.stdout and want in p.stdout,
           f"tamper: {name} detected", p.stdout + p.stderr)

    con = sqlite3.connect(db)
    n = con.execute("SELECT MAX(id) FROM audit_log").fetchone()[0]
    con.close()
    mid = n // 2
    copy_and(f"UPDATE audit_log SET detail = replace(detail, 'run', 'nur') WHERE id = {mid}",
             "edited detail", f"entry {mid} was edited")
    copy_and(f"UPDATE audit_log SET actor = 'someone-else' WHERE id = {mid}", "edited actor",
             f"entry {mid} was edited")
    copy_and(f"DELETE FROM audit_log WHERE id = {mid}", "removed entry", f"entry {mid + 1}")
    copy_and(f"DELETE FROM audit_log WHERE id = {n}", "removed newest entry", "head")
    copy_and(f"UPDATE audit_log SET time_ns = time_ns + 1 WHERE id = 1", "edited first entry",
             "entry 1 was edited")
    # The database itself refuses edits while its triggers stand.
    con = sqlite3.connect(db)
    try:
        con.execute("UPDATE audit_log SET actor = 'x' WHERE id = 1")
        refused = False
    except sqlite3.DatabaseError as e:
        refused = "append-only" in str(e)
    con.close()
    ok(refused, "tamper: UPDATE on audit_log is refused by the database")


# ---- 4. replay over Stratus ----

def replay_suite():
    if not os.path.isdir(STRATUS):
        skip("replay", f"no Stratus corpus at {STRATUS}")
        return
    env = env_for("http://127.0.0.1:1")
    p = rip(env, "replay", "--format", "jsonl", STRATUS)
    ok(p.returncode in (0, 1), "replay: runs", p.stderr[-500:])
    technique_of = {}
    for f in sorted(os.listdir(STRATUS)):
        if not f.endswith(".json"):
            continue
        with open(os.path.join(STRATUS, f)) as fh:
            d = json.load(fh)
        recs = d["Records"] if isinstance(d, dict) and "Records" in d else d
        for r in recs:
            technique_of[r["eventID"]] = f[:-5]
    got = set()
    for line in p.stdout.splitlines():
        x = json.loads(line)
        techs = {technique_of.get(e) for e in x["event_ids"]}
        ok(len(techs) == 1 and None not in techs, f"replay: run {x['run']} is one technique",
           str(techs))
        tech = next(iter(techs))
        for s in x["steps"]:
            if s["action"] and s["state"] == "succeeded":
                params = ",".join(f"{k}={v}" for k, v in sorted(s["intent"]["params"].items()))
                got.add(f"{tech} {x['playbook']} {s['step']} {s['action']} {params}")
            ok(s["state"] in ("succeeded", "skipped"), f"replay: {tech} step {s['step']} "
               "planned or skipped", s["state"])
        ok(x["dry_run"] is True, f"replay: {tech} is a dry run")
    want = set()
    with open(EXPECTED) as fh:
        for line in fh:
            line = line.strip()
            if line and not line.startswith("#"):
                want.add(line)
    ok(got == want, "replay: the planned containment is exactly the expected list",
       f"missing {sorted(want - got)}; unexpected {sorted(got - want)}")


def main():
    only = None
    for a in sys.argv[2:]:
        if a.startswith("--only="):
            only = set(a[7:].split(","))
    try:
        import boto3  # noqa: F401
        import moto  # noqa: F401
        have = True
    except ImportError:
        have = False
    if (only is None or "replay" in only):
        replay_suite()
    if not have:
        skip("playbooks against moto", "boto3 or moto is not installed")
        return summary()
    # One moto server per suite: each starts from an empty cloud.
    try:
        db = None
        if only is None or "apply" in only or "tamper" in only:
            moto = Moto()
            try:
                db = apply_suite(moto)
            finally:
                moto.stop()
        if only is None or "crash" in only:
            moto = Moto()
            try:
                db = crash_suite(moto)
            finally:
                moto.stop()
        if db and (only is None or "tamper" in only):
            tamper_suite(db)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
