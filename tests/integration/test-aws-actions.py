#!/usr/bin/env python3
"""test-aws-actions.py — riposte's AWS actions against moto's server.

Starts `python3 -m moto.server` on a free loopback port, creates state with
boto3, runs each action through the real `riposte action run`, and checks
the result with boto3 (never with riposte's own reads): a dry run leaves the
state unchanged, a run changes it, a second run is a no-op that says so.
A second moto server with INITIAL_NO_AUTH_ACTION_COUNT checks that signed
calls are accepted with the right secret and refused with a wrong one, and
that no secret or signature reaches riposte's output. A third checks the
safety limits (the hourly cap across separate runs, the protected tag on S3
buckets, per-account allow lists), the accounts list of --config with
--account (assume-role per account), and the profile's endpoint_url.

Usage: test-aws-actions.py [RIPOSTE_BINARY]   (default: $RIPOSTE, then
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
HOME = tempfile.mkdtemp(prefix="riposte-aws-home-")


def base_env(url, key="testing", secret="testingsecretkey"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "HOME": HOME,
        "AWS_CONFIG_FILE": os.path.join(HOME, "config"),
        "AWS_SHARED_CREDENTIALS_FILE": os.path.join(HOME, "credentials"),
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def run(env, action, params, dry=False, extra=()):
    cmd = [RIPOSTE, "action", "run", action]
    for k, v in params.items():
        cmd += ["--param", f"{k}={v}"]
    if dry:
        cmd.append("--dry-run")
    cmd += list(extra)
    if "--max-destructive-per-hour" not in extra:
        # The suites run more destructive actions than the default cap of
        # 10 per hour; safety_suite checks the cap itself.
        cmd += ["--max-destructive-per-hour", "1000"]
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    try:
        out = json.loads(p.stdout)
    except ValueError:
        out = {"status": "unparsable", "stdout": p.stdout}
    out["_rc"] = p.returncode
    out["_stderr"] = p.stderr
    return out


def triple(env, name, action, params, read, want_before, want_after):
    """dry run (state unchanged), run (changed, verified), run again (no-op)."""
    before = read()
    ok(before == want_before, f"{name}: initial state", f"{before!r} != {want_before!r}")
    r = run(env, action, params, dry=True)
    ok(r["status"] == "dry-run" and r["_rc"] == 0 and r.get("calls") and
       not any(c.get("made") for c in r["calls"]),
       f"{name}: dry run lists calls, makes none", json.dumps(r)[:600])
    ok(read() == before, f"{name}: dry run left the state unchanged", repr(read()))
    r = run(env, action, params)
    ok(r["status"] == "done" and r.get("verified") is True and r["_rc"] == 0,
       f"{name}: run done and verified", json.dumps(r)[:600])
    after = read()
    ok(after == want_after, f"{name}: state changed as intended (boto3)",
       f"{after!r} != {want_after!r}")
    r = run(env, action, params)
    ok(r["status"] == "noop" and r["_rc"] == 0 and r["message"].startswith("already done") and
       not r["calls"], f"{name}: second run is a no-op that says so", json.dumps(r)[:600])
    ok(read() == want_after, f"{name}: second run left the state alone")


def actions_suite(boto3):
    moto = Moto()
    try:
        env = base_env(moto.url)
        kw = dict(endpoint_url=moto.url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testingsecretkey")
        iam = boto3.client("iam", **kw)
        ec2 = boto3.client("ec2", **kw)
        s3 = boto3.client("s3", **kw)
        ct = boto3.client("cloudtrail", **kw)

        # action list
        p = subprocess.run([RIPOSTE, "action", "list", "--json"], capture_output=True,
                           text=True, env=env)
        names = [a["name"] for a in json.loads(p.stdout)] if p.returncode == 0 else []
        ok("iam.disable_access_key" in names and "ec2.quarantine_instance" in names,
           "action list --json", p.stderr)

        # iam.disable_access_key
        iam.create_user(UserName="alice")
        key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]

        def key_status():
            return [k["Status"] for k in iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]
                    if k["AccessKeyId"] == key]
        triple(env, "iam.disable_access_key", "iam.disable_access_key",
               {"user": "alice", "access_key_id": key}, key_status, ["Active"], ["Inactive"])
        triple(env, "iam.enable_access_key (undo)", "iam.enable_access_key",
               {"user": "alice", "access_key_id": key}, key_status, ["Inactive"], ["Active"])

        # iam.delete_login_profile
        iam.create_login_profile(UserName="alice", Password="Sup3r-secret-pw!")

        def has_login():
            try:
                iam.get_login_profile(UserName="alice")
                return True
            except iam.exceptions.NoSuchEntityException:
                return False
        triple(env, "iam.delete_login_profile", "iam.delete_login_profile", {"user": "alice"},
               has_login, True, False)

        # iam.attach_deny_all (user and role)
        def user_policies():
            return iam.list_user_policies(UserName="alice")["PolicyNames"]
        triple(env, "iam.attach_deny_all user", "iam.attach_deny_all", {"user": "alice"},
               user_policies, [], ["riposte-deny-all"])
        doc = iam.get_user_policy(UserName="alice", PolicyName="riposte-deny-all")["PolicyDocument"]
        st = doc["Statement"][0] if isinstance(doc, dict) else json.loads(doc)["Statement"][0]
        ok(st["Effect"] == "Deny" and st["Action"] == "*", "deny-all policy denies everything",
           repr(doc))
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole"}]})
        iam.create_role(RoleName="app", AssumeRolePolicyDocument=trust)

        def role_policies():
            return sorted(iam.list_role_policies(RoleName="app")["PolicyNames"])
        triple(env, "iam.attach_deny_all role", "iam.attach_deny_all", {"role": "app"},
               role_policies, [], ["riposte-deny-all"])
        triple(env, "iam.detach_deny_all (undo)", "iam.detach_deny_all", {"role": "app"},
               role_policies, ["riposte-deny-all"], [])

        # protected IAM user refuses destructive actions
        iam.create_user(UserName="breakglass",
                        Tags=[{"Key": "riposte:protected", "Value": "true"}])
        k2 = iam.create_access_key(UserName="breakglass")["AccessKey"]["AccessKeyId"]
        r = run(env, "iam.disable_access_key", {"user": "breakglass", "access_key_id": k2})
        st2 = iam.list_access_keys(UserName="breakglass")["AccessKeyMetadata"][0]["Status"]
        ok(r["status"] == "refused" and r["_rc"] == 1 and st2 == "Active" and
           "protected" in r["message"], "protected user: disable_access_key refused",
           json.dumps(r)[:400])

        # EC2 state
        ami = ec2.describe_images()["Images"][0]["ImageId"]
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        sg1 = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
        sg2 = ec2.create_security_group(GroupName="ssh", Description="ssh", VpcId=vpc)["GroupId"]

        def launch(**extra):
            return ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                     SecurityGroupIds=[sg1, sg2], **extra)["Instances"][0]["InstanceId"]
        inst = launch()

        def groups():
            i = ec2.describe_instances(InstanceIds=[inst])["Reservations"][0]["Instances"][0]
            return sorted(g["GroupId"] for g in i["SecurityGroups"])

        def qgroup():
            gs = ec2.describe_security_groups(Filters=[
                {"Name": "group-name", "Values": ["riposte-quarantine"]},
                {"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
            return gs[0] if gs else None

        before = groups()
        r = run(env, "ec2.quarantine_instance", {"instance_id": inst}, dry=True)
        ok(r["status"] == "dry-run" and qgroup() is None and groups() == before,
           "ec2.quarantine_instance: dry run changes nothing (no group created)", json.dumps(r)[:400])
        r = run(env, "ec2.quarantine_instance", {"instance_id": inst})
        q = qgroup()
        ok(r["status"] == "done" and q is not None and groups() == [q["GroupId"]],
           "ec2.quarantine_instance: only the quarantine group remains", json.dumps(r)[:600])
        ok(q is not None and not q["IpPermissions"] and not q["IpPermissionsEgress"],
           "quarantine group has no inbound and no outbound rules", repr(q))
        tags = {t["Key"]: t["Value"] for t in ec2.describe_tags(
            Filters=[{"Name": "resource-id", "Values": [inst]}])["Tags"]}
        ok(sorted(tags.get("riposte:quarantine-previous-groups", "").split(",")) == before,
           "previous groups recorded on the instance", repr(tags))
        r = run(env, "ec2.quarantine_instance", {"instance_id": inst})
        ok(r["status"] == "noop", "ec2.quarantine_instance: second run is a no-op", json.dumps(r)[:400])
        inst_b = inst
        inst = launch()
        r = run(env, "ec2.quarantine_instance", {"instance_id": inst})
        ok(r["status"] == "done" and groups() == [q["GroupId"]] and
           len([g for g in ec2.describe_security_groups()["SecurityGroups"]
                if g["GroupName"] == "riposte-quarantine"]) == 1,
           "quarantine group reused for a second instance", json.dumps(r)[:400])
        inst = inst_b
        triple(env, "ec2.unquarantine_instance", "ec2.unquarantine_instance", {"instance_id": inst},
               groups, [q["GroupId"]], before)

        # ec2.snapshot_volumes
        def incident_snaps():
            return len(ec2.describe_snapshots(OwnerIds=["self"], Filters=[
                {"Name": "tag:riposte:incident", "Values": ["INC-42"]}])["Snapshots"])
        nvol = len(ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id",
                                                  "Values": [inst]}])["Volumes"])
        triple(env, "ec2.snapshot_volumes", "ec2.snapshot_volumes",
               {"instance_id": inst, "incident": "INC-42"}, incident_snaps, 0, nvol)

        # ec2.tag
        def tagval():
            t = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst]},
                                           {"Name": "key", "Values": ["incident"]}])["Tags"]
            return t[0]["Value"] if t else None
        triple(env, "ec2.tag", "ec2.tag", {"resource_id": inst, "key": "incident", "value": "INC-42"},
               tagval, None, "INC-42")

        # ec2.revoke_sg_rule
        ec2.authorize_security_group_ingress(GroupId=sg2, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

        def ssh_open():
            sg = ec2.describe_security_groups(GroupIds=[sg2])["SecurityGroups"][0]
            return any(p.get("FromPort") == 22 and any(r["CidrIp"] == "0.0.0.0/0" for r in p["IpRanges"])
                       for p in sg["IpPermissions"])
        triple(env, "ec2.revoke_sg_rule", "ec2.revoke_sg_rule",
               {"group_id": sg2, "protocol": "tcp", "port": "22", "cidr": "0.0.0.0/0"},
               ssh_open, True, False)

        # ec2.nacl_deny_ip
        subnet = ec2.describe_instances(InstanceIds=[inst])["Reservations"][0]["Instances"][0]["SubnetId"]

        def denies():
            acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                                      "Values": [subnet]}])["NetworkAcls"][0]
            ent = [e for e in acl["Entries"] if e.get("CidrBlock") == "203.0.113.7/32"
                   and e["RuleAction"] == "deny"]
            allows = [e["RuleNumber"] for e in acl["Entries"] if e["RuleAction"] == "allow"]
            below = all(e["RuleNumber"] < min(allows) for e in ent) if allows else True
            return (sorted(e["Egress"] for e in ent), below)
        triple(env, "ec2.nacl_deny_ip", "ec2.nacl_deny_ip", {"instance_id": inst, "ip": "203.0.113.7"},
               denies, ([], True), ([False, True], True))

        # ec2.stop_instance, protected and termination-protected instances
        def state(i=None):
            return ec2.describe_instances(InstanceIds=[i or inst])["Reservations"][0]["Instances"][0]["State"]["Name"]
        triple(env, "ec2.stop_instance", "ec2.stop_instance", {"instance_id": inst}, state,
               "running", "stopped")
        prot = launch(TagSpecifications=[{"ResourceType": "instance", "Tags": [
            {"Key": "riposte:protected", "Value": "true"}]}])
        r = run(env, "ec2.terminate_instance", {"instance_id": prot})
        ok(r["status"] == "refused" and r["_rc"] == 1 and state(prot) == "running",
           "protected tag refuses ec2.terminate_instance", json.dumps(r)[:400])
        r = run(env, "ec2.stop_instance", {"instance_id": prot})
        ok(r["status"] == "refused" and state(prot) == "running",
           "protected tag refuses ec2.stop_instance", json.dumps(r)[:400])
        tp = launch()
        ec2.modify_instance_attribute(InstanceId=tp, DisableApiTermination={"Value": True})
        r = run(env, "ec2.terminate_instance", {"instance_id": tp})
        ok(r["status"] == "refused" and "termination protection" in r["message"] and
           state(tp) == "running", "termination protection refuses ec2.terminate_instance",
           json.dumps(r)[:400])
        victim = launch()
        triple(env, "ec2.terminate_instance", "ec2.terminate_instance", {"instance_id": victim},
               lambda: state(victim) in ("shutting-down", "terminated"), False, True)

        # s3.block_public_access
        s3.create_bucket(Bucket="leaky")

        def pab():
            try:
                c = s3.get_public_access_block(Bucket="leaky")["PublicAccessBlockConfiguration"]
                return all(c.values()) and len(c) == 4
            except s3.exceptions.ClientError:
                return None
        triple(env, "s3.block_public_access", "s3.block_public_access", {"bucket": "leaky"}, pab,
               None, True)

        # s3.private_acl
        s3.create_bucket(Bucket="open-acl")
        s3.put_bucket_acl(Bucket="open-acl", ACL="public-read")

        def public_grants():
            return sorted(g["Grantee"].get("URI", "").rsplit("/", 1)[-1]
                          for g in s3.get_bucket_acl(Bucket="open-acl")["Grants"]
                          if "URI" in g["Grantee"])
        triple(env, "s3.private_acl", "s3.private_acl", {"bucket": "open-acl"}, public_grants,
               ["AllUsers"], [])

        # s3.account_block_public_access
        from botocore.config import Config
        s3c = boto3.client("s3control", config=Config(inject_host_prefix=False), **kw)

        def path_style(request, **_):
            # boto3 puts the account id into the host; moto serves it by path.
            request.url = request.url.replace("://" + acct_id[0] + ".", "://")
        acct_id = [boto3.client("sts", **kw).get_caller_identity()["Account"]]
        s3c.meta.events.register("before-send.s3-control.*", path_style)
        acct = boto3.client("sts", **kw).get_caller_identity()["Account"]

        def acct_pab():
            try:
                c = s3c.get_public_access_block(AccountId=acct)["PublicAccessBlockConfiguration"]
                return all(c.values()) and len(c) == 4
            except s3c.exceptions.ClientError:
                return None
        triple(env, "s3.account_block_public_access", "s3.account_block_public_access", {},
               acct_pab, None, True)

        # cloudtrail.start_logging
        s3.create_bucket(Bucket="trail-logs")
        ct.create_trail(Name="main", S3BucketName="trail-logs")
        ct.start_logging(Name="main")
        ct.stop_logging(Name="main")

        def logging():
            return ct.get_trail_status(Name="main")["IsLogging"]
        triple(env, "cloudtrail.start_logging", "cloudtrail.start_logging", {"trail": "main"},
               logging, False, True)

        # iam.revoke_sessions
        cutoff = "2030-01-01T00:00:00Z"

        def revoke_policy():
            try:
                d = iam.get_role_policy(RoleName="app", PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
                d = d if isinstance(d, dict) else json.loads(d)
                return d["Statement"][0]["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
            except iam.exceptions.NoSuchEntityException:
                return None
        triple(env, "iam.revoke_sessions", "iam.revoke_sessions", {"role": "app", "before": cutoff},
               revoke_policy, None, cutoff)

        # per-account access: assume a role (with external id) before acting
        role_arn = iam.get_role(RoleName="app")["Role"]["Arn"]
        r = run(env, "ec2.tag", {"resource_id": inst, "key": "via", "value": "assumed-role"},
                extra=["--role-arn", role_arn, "--external-id", "ext-42", "--verbose"])
        t = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst]},
                                       {"Name": "key", "Values": ["via"]}])["Tags"]
        ok(r["status"] == "done" and t and t[0]["Value"] == "assumed-role" and
           "aws: sts POST" in r["_stderr"] and "Signature=" not in r["_stderr"],
           "--role-arn/--external-id: AssumeRole first, then the action", json.dumps(r)[:600])

        # errors: unknown resource gives a clear message, not a crash
        r = run(env, "iam.disable_access_key", {"user": "nobody", "access_key_id": "AKIAXXXXXXXXXXXXXXXX"})
        ok(r["status"] == "failed" and r["_rc"] == 1 and "'nobody' not found" in r["message"],
           "unknown user: clear failure", json.dumps(r)[:400])
        p = subprocess.run([RIPOSTE, "action", "run", "ec2.tag", "--param", "colour=red"],
                           capture_output=True, text=True, env=env)
        ok(p.returncode == 2 and "no parameter 'colour'" in p.stderr, "unknown parameter is a usage error",
           p.stderr)
    finally:
        moto.stop()


def auth_suite(boto3):
    """moto with authentication: right secret accepted, wrong one refused."""
    moto = Moto({"INITIAL_NO_AUTH_ACTION_COUNT": "5"})
    try:
        kw = dict(endpoint_url=moto.url, region_name="us-east-1",
                  aws_access_key_id="bootstrap", aws_secret_access_key="bootstrapsecret")
        iam = boto3.client("iam", **kw)
        iam.create_user(UserName="responder")                                   # 1
        k = iam.create_access_key(UserName="responder")["AccessKey"]            # 2
        pol = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                          "Action": ["iam:*"], "Resource": "*"}]})
        arn = iam.create_policy(PolicyName="responder-iam", PolicyDocument=pol)["Policy"]["Arn"]  # 3
        iam.attach_user_policy(UserName="responder", PolicyArn=arn)              # 4
        iam.create_user(UserName="victim")                                      # 5
        good = dict(kw, aws_access_key_id=k["AccessKeyId"], aws_secret_access_key=k["SecretAccessKey"])
        iam2 = boto3.client("iam", **good)
        vk = iam2.create_access_key(UserName="victim")["AccessKey"]["AccessKeyId"]

        env = base_env(moto.url, k["AccessKeyId"], k["SecretAccessKey"])
        r = run(env, "iam.disable_access_key", {"user": "victim", "access_key_id": vk})
        st = iam2.list_access_keys(UserName="victim")["AccessKeyMetadata"][0]["Status"]
        ok(r["status"] == "done" and st == "Inactive",
           "auth: signed calls with the right secret are accepted", json.dumps(r)[:600])

        wrong_secret = "WrongSecretKeyThatMustNeverBePrinted0123"
        env = base_env(moto.url, k["AccessKeyId"], wrong_secret)
        r = run(env, "iam.enable_access_key", {"user": "victim", "access_key_id": vk},
                extra=["--verbose"])
        st = iam2.list_access_keys(UserName="victim")["AccessKeyMetadata"][0]["Status"]
        err = r.get("error") or {}
        ok(r["status"] == "failed" and r["_rc"] == 1 and st == "Inactive" and
           err.get("code") in ("SignatureDoesNotMatch", "InvalidClientTokenId") and
           "SignatureDoesNotMatch" in r["_stderr"] + r["message"],
           "auth: a wrong secret is refused with a clear error",
           json.dumps(r)[:600])
        everything = json.dumps(r) + r["_stderr"]
        ok(wrong_secret not in everything and "Signature=" not in everything and
           "Authorization" not in everything,
           "auth: neither the secret nor the signature appears in output or --verbose log",
           everything[:600])
        env = base_env(moto.url, "AKIAUNKNOWNKEY000000", "whatever-secret-value")
        r = run(env, "iam.enable_access_key", {"user": "victim", "access_key_id": vk})
        ok(r["status"] == "failed" and (r.get("error") or {}).get("code") == "InvalidClientTokenId",
           "auth: an unknown access key is refused with InvalidClientTokenId", json.dumps(r)[:400])
    finally:
        moto.stop()


def safety_suite(boto3):
    """Blast-radius cap, protected buckets, allow lists, --config/--account,
    profile endpoint_url and SSO profiles."""
    moto = Moto()
    state = tempfile.mkdtemp(prefix="riposte-state-")
    try:
        env = base_env(moto.url)
        kw = dict(endpoint_url=moto.url, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testingsecretkey")
        iam = boto3.client("iam", **kw)
        s3 = boto3.client("s3", **kw)
        ec2 = boto3.client("ec2", **kw)
        acct = boto3.client("sts", **kw).get_caller_identity()["Account"]

        # The cap counts destructive runs across separate processes.
        keys = {}
        for u in ("cap1", "cap2", "cap3"):
            iam.create_user(UserName=u)
            keys[u] = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]

        def status(u):
            return iam.list_access_keys(UserName=u)["AccessKeyMetadata"][0]["Status"]
        cap = ["--max-destructive-per-hour", "2", "--state-dir", state]
        r1 = run(env, "iam.disable_access_key", {"user": "cap1", "access_key_id": keys["cap1"]},
                 extra=cap)
        r2 = run(env, "iam.disable_access_key", {"user": "cap2", "access_key_id": keys["cap2"]},
                 extra=cap)
        ok(r1["status"] == "done" and r2["status"] == "done" and
           r1.get("facts", {}).get("account") == acct,
           "cap: two destructive runs under a cap of 2 are done", json.dumps(r2)[:400])
        r = run(env, "iam.disable_access_key", {"user": "cap3", "access_key_id": keys["cap3"]},
                dry=True, extra=cap)
        ok(r["status"] == "refused" and "blast-radius cap" in r["message"],
           "cap: a dry run says the third would be refused", json.dumps(r)[:400])
        r = run(env, "iam.disable_access_key", {"user": "cap3", "access_key_id": keys["cap3"]},
                extra=cap)
        ok(r["status"] == "refused" and r["_rc"] == 1 and status("cap3") == "Active" and
           "blast-radius cap reached: 2 destructive actions in account '%s'" % acct in r["message"]
           and "next is allowed at" in r["message"],
           "cap: the third run in the hour is refused with a clear message; key still active (boto3)",
           json.dumps(r)[:500])
        ok("refused" in r["_stderr"] and "blast-radius cap" in r["_stderr"],
           "cap: the refusal is on stderr too", r["_stderr"][:300])
        r = run(env, "iam.disable_access_key", {"user": "cap1", "access_key_id": keys["cap1"]},
                extra=cap)
        ok(r["status"] == "noop", "cap: a no-op is not refused and takes no slot", json.dumps(r)[:300])
        r = run(env, "ec2.tag", {"resource_id": "i-00000000", "key": "k", "value": "v"},
                dry=True, extra=cap)
        ok(r["status"] != "refused", "cap: non-destructive actions are not capped",
           json.dumps(r)[:300])
        with open(os.path.join(state, "destructive-actions.log")) as f:
            lines = f.read().splitlines()
        ok(len(lines) == 2 and all(l.split()[1:] == [acct, "iam.disable_access_key"] for l in lines),
           "cap: the state file holds one line per counted run", repr(lines))
        r = run(env, "iam.disable_access_key", {"user": "cap3", "access_key_id": keys["cap3"]},
                extra=["--max-destructive-per-hour", "0", "--state-dir", state])
        ok(r["status"] == "done" and status("cap3") == "Inactive",
           "cap: --max-destructive-per-hour 0 turns it off", json.dumps(r)[:300])
        xdg = tempfile.mkdtemp(prefix="riposte-xdg-")
        env_x = dict(env, XDG_STATE_HOME=xdg)
        iam.update_access_key(UserName="cap3", AccessKeyId=keys["cap3"], Status="Active")
        r = run(env_x, "iam.disable_access_key", {"user": "cap3", "access_key_id": keys["cap3"]},
                extra=["--max-destructive-per-hour", "5"])
        ok(r["status"] == "done" and
           os.path.exists(os.path.join(xdg, "riposte", "destructive-actions.log")),
           "cap: the default state is under $XDG_STATE_HOME/riposte", json.dumps(r)[:300])
        shutil.rmtree(xdg, ignore_errors=True)

        # The protected tag on S3 buckets (bucket tagging).
        s3.create_bucket(Bucket="protected-site")
        s3.put_bucket_acl(Bucket="protected-site", ACL="public-read")
        s3.put_bucket_tagging(Bucket="protected-site", Tagging={"TagSet": [
            {"Key": "team", "Value": "web"}, {"Key": "riposte:protected", "Value": "true"}]})

        def grants():
            return sorted(g["Grantee"].get("URI", "").rsplit("/", 1)[-1]
                          for g in s3.get_bucket_acl(Bucket="protected-site")["Grants"]
                          if "URI" in g["Grantee"])
        r = run(env, "s3.private_acl", {"bucket": "protected-site"})
        ok(r["status"] == "refused" and r["_rc"] == 1 and grants() == ["AllUsers"] and
           "bucket 'protected-site' carries the protected tag" in r["message"],
           "protected bucket: s3.private_acl refused, ACL unchanged (boto3)", json.dumps(r)[:400])
        r = run(env, "s3.block_public_access", {"bucket": "protected-site"})
        try:
            s3.get_public_access_block(Bucket="protected-site")
            pab = True
        except s3.exceptions.ClientError:
            pab = False
        ok(r["status"] == "refused" and not pab,
           "protected bucket: s3.block_public_access refused, no block set (boto3)",
           json.dumps(r)[:400])
        s3.create_bucket(Bucket="tagged-other")
        s3.put_bucket_acl(Bucket="tagged-other", ACL="public-read")
        s3.put_bucket_tagging(Bucket="tagged-other", Tagging={"TagSet": [
            {"Key": "riposte:protected", "Value": "false"}]})
        r = run(env, "s3.private_acl", {"bucket": "tagged-other"})
        ok(r["status"] == "done", "bucket with another tag value is not protected",
           json.dumps(r)[:300])

        # --config accounts: assume-role per account, allow lists, regions.
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                            "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]})
        role_arn = iam.create_role(RoleName="riposte-responder",
                                   AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        cfg = os.path.join(HOME, "riposte.yaml")
        with open(cfg, "w") as f:
            f.write("# riposte.yaml (only accounts: is read by action run)\n"
                    "store: {path: riposte.db}\n"
                    "accounts:\n"
                    f"  - id: \"{acct}\"\n"
                    f"    role_arn: {role_arn}\n"
                    "    external_id: ext-7\n"
                    "    regions: [us-east-1]\n"
                    "    allow: [\"iam.*\", \"s3.*\"]\n"
                    "  - id: \"210987654321\"\n"
                    "    regions: [eu-west-1]\n")
        iam.create_user(UserName="cfg-user")
        ck = iam.create_access_key(UserName="cfg-user")["AccessKey"]["AccessKeyId"]
        r = run(env, "iam.disable_access_key", {"user": "cfg-user", "access_key_id": ck},
                extra=["--config", cfg, "--account", acct, "--verbose"])
        ok(r["status"] == "done" and status("cfg-user") == "Inactive" and
           "aws: sts POST" in r["_stderr"] and "Signature=" not in r["_stderr"],
           "--config/--account: the account's role is assumed, then the action runs",
           json.dumps(r)[:500] + r["_stderr"][:300])
        inst = ec2.run_instances(ImageId=ec2.describe_images()["Images"][0]["ImageId"],
                                 MinCount=1, MaxCount=1)["Instances"][0]["InstanceId"]
        r = run(env, "ec2.tag", {"resource_id": inst, "key": "x", "value": "y"},
                extra=["--config", cfg, "--account", acct])
        tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst]},
                                          {"Name": "key", "Values": ["x"]}])["Tags"]
        ok(r["status"] == "refused" and r["_rc"] == 1 and not tags and not r["calls"] and
           f"action 'ec2.tag' is not allowed in account '{acct}' (allowed: iam.*, s3.*)"
           in r["message"], "allow list: an action outside it is refused before any call",
           json.dumps(r)[:400])
        p = subprocess.run([RIPOSTE, "action", "run", "ec2.tag", "--param", "resource_id=i-1",
                            "--param", "key=a", "--param", "value=b", "--config", cfg,
                            "--account", "999999999999"], capture_output=True, text=True, env=env)
        ok(p.returncode == 2 and "account '999999999999' is not in the accounts list" in p.stderr,
           "--account not in the config: usage error", p.stderr)
        p = subprocess.run([RIPOSTE, "action", "run", "ec2.tag", "--param", "resource_id=i-1",
                            "--param", "key=a", "--param", "value=b", "--config", cfg,
                            "--account", "210987654321", "--region", "us-west-2"],
                           capture_output=True, text=True, env=env)
        ok(p.returncode == 2 and "region 'us-west-2' is not among the regions of account" in p.stderr
           and "line 9" in p.stderr, "--region outside the account's regions: error names file:line",
           p.stderr)
        bad = os.path.join(HOME, "bad.yaml")
        with open(bad, "w") as f:
            f.write("accounts:\n  - id: \"123\"\n")
        p = subprocess.run([RIPOSTE, "action", "run", "ec2.tag", "--config", bad, "--account",
                            "123"], capture_output=True, text=True, env=env)
        ok(p.returncode == 2 and "bad.yaml' line 2: 'id' must be a 12-digit account id" in p.stderr,
           "bad config: the error names file and line", p.stderr)

        # The profile's endpoint_url (no AWS_ENDPOINT_URL) and SSO profiles.
        env_p = {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"}
        with open(os.path.join(HOME, "config"), "w") as f:
            f.write(f"[profile moto]\nregion = us-east-1\nendpoint_url = {moto.url}\n"
                    "max_attempts = 2\nretry_mode = standard\n"
                    "[profile corp]\nsso_session = corp\nsso_account_id = 123456789012\n"
                    "sso_role_name = Responder\nregion = us-east-1\n"
                    "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n")
        with open(os.path.join(HOME, "credentials"), "w") as f:
            f.write("[moto]\naws_access_key_id = testing\naws_secret_access_key = testingsecretkey\n")
        iam.create_user(UserName="prof-user")
        pk = iam.create_access_key(UserName="prof-user")["AccessKey"]["AccessKeyId"]
        r = run(env_p, "iam.disable_access_key", {"user": "prof-user", "access_key_id": pk},
                extra=["--profile", "moto", "--verbose"])
        ok(r["status"] == "done" and status("prof-user") == "Inactive" and
           moto.url in r["_stderr"], "profile endpoint_url: the call goes to the profile's endpoint",
           json.dumps(r)[:400] + r["_stderr"][:300])
        r = run(env_p, "iam.enable_access_key", {"user": "prof-user", "access_key_id": pk},
                extra=["--profile", "corp"])
        ok(r["status"] == "failed" and "IAM Identity Center (SSO)" in r["message"] and
           "not support" in r["message"], "SSO profile: a clear 'not supported'",
           json.dumps(r)[:400])
    finally:
        shutil.rmtree(state, ignore_errors=True)
        moto.stop()


def main():
    try:
        import boto3  # noqa: F401
        import moto  # noqa: F401
    except ImportError as e:
        skip("aws actions against moto", f"python module missing: {e.name}")
        return 1 if os.environ.get("CI") else 0
    if not os.access(RIPOSTE, os.X_OK):
        skip("aws actions against moto", f"riposte binary not found at {RIPOSTE}")
        return 1 if os.environ.get("CI") else 0
    try:
        for suite in (actions_suite, auth_suite, safety_suite):
            try:
                suite(boto3)
            except Exception as e:  # a crash in setup is a failure, not a skip
                ok(False, f"{suite.__name__} ran to the end", f"{type(e).__name__}: {e}")
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
