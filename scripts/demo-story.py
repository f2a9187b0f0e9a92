#!/usr/bin/env python3
"""demo-story.py — the story `make demo` tells: a root key compromise, seen
and contained by `riposte serve`.

It starts moto's server (the AWS API), seeds it with the AWS CLI as the
attacker would (an SSH key pair, ten large instances), starts riposte serve
with examples/demo/riposte.yaml, sends riposte what AWS would (the CloudTrail
calls as EventBridge events, then a GuardDuty crypto-mining finding), presses
the one button the crypto-mining playbook asks for (terminate), prints the
incident's timeline as riposte saw it, and ends with the line
`alert-to-fix: N ms` — from the GuardDuty finding reaching riposte to the
mining instance cut off. Everything it started is stopped.

Usage: demo-story.py RIPOSTE_BINARY
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACCOUNT = "123456789012"
EVENT_KEY = "demo-eventbridge-key"
RESPONDER_TOKEN = "demo-responder-token"


def say(text):
    print(text, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, headers):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def cloudtrail(n, name, source, when, params, response):
    detail = {
        "eventVersion": "1.08",
        "userIdentity": {"type": "Root", "principalId": ACCOUNT,
                         "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT,
                         "accessKeyId": "AKIADEMOROOTKEY00001"},
        "eventTime": when, "eventSource": source, "eventName": name,
        "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.66",
        "userAgent": "aws-cli/2.15.0 Python/3.11", "requestParameters": params,
        "responseElements": response, "eventID": f"11111111-2222-4333-8444-{n:012d}",
        "eventType": "AwsApiCall", "recipientAccountId": ACCOUNT, "readOnly": False,
        "managementEvent": True,
    }
    return {"version": "0", "id": f"demo-{n}", "detail-type": "AWS API Call via CloudTrail",
            "source": "aws." + source.split(".")[0], "account": ACCOUNT, "time": when,
            "region": "us-east-1", "resources": [], "detail": detail}


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: demo-story.py RIPOSTE_BINARY")
    riposte = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="riposte-demo-")
    procs = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    try:
        port = free_port()
        moto_url = f"http://127.0.0.1:{port}"
        moto_log = open(os.path.join(tmp, "moto.log"), "w")
        procs.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                       "-p", str(port)], stdout=moto_log,
                                      stderr=subprocess.STDOUT))
        for _ in range(150):
            try:
                urllib.request.urlopen(moto_url + "/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        else:
            sys.exit("demo: moto's server did not start")
        env.update({"AWS_ACCESS_KEY_ID": "AKIADEMOROOTKEY00001",
                    "AWS_SECRET_ACCESS_KEY": "demo-secret-not-real",
                    "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                    "AWS_ENDPOINT_URL": moto_url, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.path.join(tmp, "aws-config"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "aws-credentials"),
                    "HOME": tmp, "XDG_STATE_HOME": os.path.join(tmp, "state")})

        def aws(*args):
            p = subprocess.run(["aws", "--output", "json", *args], env=env,
                               capture_output=True, text=True)
            if p.returncode:
                sys.exit(f"demo: aws {' '.join(args)}: {p.stderr.strip()}")
            return json.loads(p.stdout) if p.stdout.strip() else {}

        say(f"$ moto's server stands in for AWS at {moto_url}")
        say("$ the attacker, with the leaked root key (seeded with the AWS CLI):")
        aws("ec2", "create-key-pair", "--key-name", "attacker-key")
        say("    aws ec2 create-key-pair --key-name attacker-key")
        ami = aws("ec2", "describe-images")["Images"][0]["ImageId"]
        run = aws("ec2", "run-instances", "--image-id", ami, "--count", "10",
                  "--instance-type", "c5.24xlarge", "--key-name", "attacker-key")
        ids = [i["InstanceId"] for i in run["Instances"]]
        say(f"    aws ec2 run-instances --count 10 --instance-type c5.24xlarge -> {len(ids)} "
            f"instances ({ids[0]} ... {ids[-1]})")

        db = os.path.join(tmp, "riposte.db")
        with open(os.path.join(ROOT, "examples", "demo", "riposte.yaml")) as f:
            cfg = f.read().replace("@MOTO_URL@", moto_url).replace("@DB@", db)
        cfg_path = os.path.join(tmp, "riposte.yaml")
        with open(cfg_path, "w") as f:
            f.write(cfg)
        log = open(os.path.join(tmp, "serve.log"), "w+")
        serve = subprocess.Popen([riposte, "serve", "--config", cfg_path, "--port", "0"],
                                 env=env, stdout=subprocess.DEVNULL, stderr=log)
        procs.append(serve)
        rport = None
        for _ in range(400):
            log.seek(0)
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)", log.read())
            if m:
                rport = int(m.group(1))
                break
            if serve.poll() is not None:
                break
            time.sleep(0.05)
        if not rport:
            log.seek(0)
            sys.exit("demo: riposte serve did not start:\n" + log.read())
        base = f"http://127.0.0.1:{rport}"
        say(f"$ riposte serve --config examples/demo/riposte.yaml   (listening on {base})")

        # What AWS would deliver to riposte: CloudTrail through EventBridge...
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 600))
        items = [{"instanceId": i, "instanceType": "c5.24xlarge"} for i in ids]
        calls = [
            cloudtrail(1, "ConsoleLogin", "signin.amazonaws.com", now, None,
                       {"ConsoleLogin": "Success"}),
            cloudtrail(2, "CreateKeyPair", "ec2.amazonaws.com", now, {"keyName": "attacker-key"},
                       {"keyName": "attacker-key"}),
            cloudtrail(3, "RunInstances", "ec2.amazonaws.com", now,
                       {"instanceType": "c5.24xlarge", "keyName": "attacker-key",
                        "instancesSet": {"items": [{"imageId": ami, "minCount": 10,
                                                    "maxCount": 10}]}},
                       {"instancesSet": {"items": items}}),
        ]
        headers = {"X-API-Key": EVENT_KEY}
        for c in calls:
            st, body = post(base + "/v1/events", c, headers)
            say(f"    CloudTrail {c['detail']['eventName']:<14} -> POST /v1/events: {st} {body}")
        time.sleep(0.5)
        # ... then GuardDuty sees one of the instances mining.
        miner = ids[3]
        finding = {
            "version": "0", "id": "demo-gd-1", "detail-type": "GuardDuty Finding",
            "source": "aws.guardduty", "account": ACCOUNT,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "region": "us-east-1",
            "resources": [],
            "detail": {
                "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
                "id": "demo-crypto-finding-1", "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS",
                "severity": 8, "title": f"EC2 instance {miner} is querying a Bitcoin-related "
                                        "domain name.",
                "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "updatedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "resource": {"resourceType": "Instance",
                             "instanceDetails": {"instanceId": miner,
                                                 "instanceType": "c5.24xlarge"}},
                "service": {"serviceName": "guardduty", "action": {
                    "actionType": "DNS_REQUEST",
                    "dnsRequestAction": {"domain": "pool.minexmr.example"}}},
            },
        }
        t_alert = time.time_ns()
        st, body = post(base + "/v1/events", finding, headers)
        say(f"    GuardDuty CryptoCurrency:EC2/BitcoinTool.B!DNS on {miner} -> POST /v1/events: "
            f"{st} {body}")

        # The crypto-mining playbook quarantines and snapshots on its own,
        # and asks for one press before it terminates.
        auth = {"Authorization": "Bearer " + RESPONDER_TOKEN}
        run_id, quarantine_end = None, None
        deadline = time.time() + 60
        while time.time() < deadline and not quarantine_end:
            p = subprocess.run([riposte, "runs", "--db", db, "--format", "jsonl"],
                               capture_output=True, text=True, env=env)
            for line in p.stdout.splitlines():
                r = json.loads(line)
                if r["playbook"] == "crypto-mining-instance":
                    run_id = r["id"]
            if run_id:
                show = json.loads(subprocess.run(
                    [riposte, "runs", "show", str(run_id), "--db", db, "--format", "json"],
                    capture_output=True, text=True, env=env).stdout)
                for s in show["steps"]:
                    if s["step"] == "quarantine" and s["state"] == "succeeded":
                        quarantine_end = s["ended_ns"]
                    if s["step"] == "terminate" and s["state"] == "waiting_approval":
                        waiting = True
            time.sleep(0.05)
        if not quarantine_end:
            log.seek(0)
            sys.exit("demo: the mining instance was not quarantined:\n" + log.read()[-2000:])
        for _ in range(200):
            show = json.loads(subprocess.run(
                [riposte, "runs", "show", str(run_id), "--db", db, "--format", "json"],
                capture_output=True, text=True, env=env).stdout)
            if any(s["step"] == "terminate" and s["state"] == "waiting_approval"
                   for s in show["steps"]):
                break
            time.sleep(0.05)
        st, body = post(base + "/v1/approvals", {"run": run_id, "step": "terminate",
                                                  "approve": True}, auth)
        say(f"$ one press: terminate approved by dana -> POST /v1/approvals: {st} {body}")
        inst = aws("ec2", "describe-instances", "--instance-ids", miner)
        i = inst["Reservations"][0]["Instances"][0]
        say(f"$ aws ec2 describe-instances --instance-ids {miner}: state "
            f"{i['State']['Name']}, security groups "
            f"{[g['GroupName'] for g in i['SecurityGroups']]}")

        # The inventory gives the incident its context (groups, subnet, VPC).
        p = subprocess.run([riposte, "inventory", "sync", "--db", db, "--region", "us-east-1"],
                           capture_output=True, text=True, env=env)
        say(f"$ riposte inventory sync   ({p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr.strip()})")
        incident = show.get("incident")
        say(f"\n$ riposte incident show {incident}   (the timeline as riposte saw it)")
        p = subprocess.run([riposte, "incident", "show", str(incident), "--db", db],
                           capture_output=True, text=True, env=env)
        print(p.stdout, end="", flush=True)
        serve.send_signal(signal.SIGTERM)
        serve.wait(30)
        say(f"alert-to-fix: {(quarantine_end - t_alert) / 1e6:.0f} ms")
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
