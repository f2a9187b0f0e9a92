#!/usr/bin/env python3
"""test-serve-routes.py — `riposte serve` routes an incident to the team that
owns its assets, and keeps its Slack message across a restart.

Started by the test: moto's server (AWS), a small local HTTP server standing
in for Slack's Web API (Slack itself cannot be reached from these machines;
it records what it receives; test-serve.py's FakeSlack), and the real
`riposte serve` on a free loopback port.

moto holds two IAM users: pay-alice tagged team=payments-api and dev-carl
without tags. `riposte inventory sync` (the real command, against moto) puts
them in the database the daemon then opens. A GuardDuty finding about
pay-alice's key must reach the payments team's Slack channel (the route
matching the tag team=payments*, found through the key's user in the
inventory) and make the team the incident's owner; one about dev-carl's key
must fall to the default route's channel with no owner. Then the daemon is
stopped and started again, and a second finding about pay-alice's key joins
the same incident: the daemon must update the message it posted before the
restart (chat.update with its ts), not post a second one.

Usage: test-serve-routes.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on
failure.
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import (Moto, QuietHandler, call, ok, riposte_binary, serve_env,  # noqa: E402
                     serve_http, sha, skip, start_serve, stop_serve, summary)

_spec = importlib.util.spec_from_file_location("serve_test", os.path.join(HERE, "test-serve.py"))
serve_test = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve_test)
shutil.rmtree(serve_test.TMP, ignore_errors=True)   # its own scratch folder: unused here
FakeSlack, finding = serve_test.FakeSlack, serve_test.finding

RIPOSTE = riposte_binary()
TMP = tempfile.mkdtemp(prefix="riposte-serve-routes-")
BOT_TOKEN = "xoxb-riposte-routes-0001"
SIGNING_SECRET = "routes-signing-secret-0001"
EVENT_KEY = "routes-event-key-0001"
PD_KEY = "routes-pd-routing-key-0001"


def write_config(moto_url, slack_port, pd_port, db):
    cfg = f"""
server:
  listen: 127.0.0.1:8088
store:
  path: {db}
aws:
  region: us-east-1
  endpoint_url: {moto_url}
channels:
  security:
    kind: slack
    bot_token_env: TEST_SLACK_BOT_TOKEN
    signing_secret_env: TEST_SLACK_SIGNING_SECRET
    channel: C0SECURITY
    api_base: http://127.0.0.1:{slack_port}/api
  payments:
    kind: slack
    bot_token_env: TEST_SLACK_BOT_TOKEN
    signing_secret_env: TEST_SLACK_SIGNING_SECRET
    channel: C0PAYMENTS
    api_base: http://127.0.0.1:{slack_port}/api
  oncall:
    kind: pagerduty
    routing_key_env: TEST_PD_ROUTING_KEY
    url: http://127.0.0.1:{pd_port}/v2/enqueue
routes:
  - name: ops-assets
    match:
      tags: {{team: ops}}
    channels: [oncall]
    team: ops
    playbooks: [compromised-access-key]
    mode: auto
  - name: payments-assets
    match:
      tags: {{team: "payments*"}}
    channels: [payments]
    team: payments
    playbooks: [compromised-access-key]
    mode: approve
  - name: everything
    default: true
    channels: [security]
    playbooks: [compromised-access-key]
    mode: approve
api:
  event_keys:
    - name: test
      key_sha256: {sha(EVENT_KEY)}
"""
    path = os.path.join(TMP, "riposte.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


def start(cfg, env, name):
    return start_serve(RIPOSTE, cfg, env, os.path.join(TMP, name))


def incident_for(env, db, key):
    """The incident whose entities hold key, as `riposte incident show` says."""
    p = subprocess.run([RIPOSTE, "incident", "list", "--format", "jsonl", "--db", db],
                       capture_output=True, text=True, env=env)
    for line in p.stdout.splitlines():
        inc_id = json.loads(line)["id"]
        q = subprocess.run([RIPOSTE, "incident", "show", str(inc_id), "--format", "json",
                            "--db", db], capture_output=True, text=True, env=env)
        if q.returncode == 0 and key in q.stdout:
            return json.loads(q.stdout)
    return None


class FakePagerDuty:
    """Stands in for PagerDuty's Events API v2 (it cannot be reached from
    these machines): records each event POSTed to /v2/enqueue and answers
    202 as PagerDuty does."""

    def __init__(self):
        import threading
        self.events = []
        self.lock = threading.Lock()
        outer = self

        class H(QuietHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(n).decode() or "{}")
                with outer.lock:
                    outer.events.append(body)
                self.reply(202, json.dumps({"status": "success", "message": "Event processed",
                                            "dedup_key": body.get("dedup_key")}).encode())

        self.srv = serve_http(H)
        self.port = self.srv.server_address[1]

    def wait(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.events) >= n:
                    break
            time.sleep(0.05)
        with self.lock:
            return list(self.events)

    def stop(self):
        self.srv.shutdown()


def posted_to(calls, channel):
    return [c for c in calls if json.loads(c["body"]).get("channel") == channel]


def main():
    try:
        import boto3
    except ImportError:
        skip("serve routes", "boto3 is not installed")
        return summary()
    moto = Moto()
    slack = FakeSlack()
    pd = FakePagerDuty()
    proc = None
    try:
        iam = boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testingsecret")
        iam.create_user(UserName="pay-alice", Tags=[{"Key": "team", "Value": "payments-api"}])
        iam.create_user(UserName="dev-carl")
        iam.create_user(UserName="ops-dana", Tags=[{"Key": "team", "Value": "ops"}])
        key_ops = iam.create_access_key(UserName="ops-dana")["AccessKey"]["AccessKeyId"]
        key_pay = iam.create_access_key(UserName="pay-alice")["AccessKey"]["AccessKeyId"]
        key_dev = iam.create_access_key(UserName="dev-carl")["AccessKey"]["AccessKeyId"]

        db = os.path.join(TMP, "routes.db")
        cfg = write_config(moto.url, slack.port, pd.port, db)
        env = serve_env(TMP, {"TEST_SLACK_BOT_TOKEN": BOT_TOKEN,
                              "TEST_SLACK_SIGNING_SECRET": SIGNING_SECRET,
                              "TEST_PD_ROUTING_KEY": PD_KEY})
        p = subprocess.run([RIPOSTE, "config", "check", cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 0, "config check: routes by tag and team are valid",
           p.stdout + p.stderr)

        sync_env = dict(env, AWS_ENDPOINT_URL=moto.url)
        p = subprocess.run([RIPOSTE, "inventory", "sync", "--db", db], env=sync_env,
                           capture_output=True, text=True, timeout=300)
        ok(p.returncode == 0, "inventory sync from moto into the daemon's database",
           p.stdout[-300:] + p.stderr[-300:])
        p = subprocess.run([RIPOSTE, "inventory", "show", "pay-alice", "--db", db,
                            "--format", "json"], env=env, capture_output=True, text=True)
        ok("payments-api" in p.stdout, "the inventory holds pay-alice's team tag",
           p.stdout[-300:] + p.stderr[-300:])

        proc, port, log = start(cfg, env, "serve1.log")
        ok(port is not None, "serve: listening", log.read()[-500:])
        if port is None:
            return summary()
        base = f"http://127.0.0.1:{port}"
        hdr = {"X-API-Key": EVENT_KEY, "Content-Type": "application/json"}

        f1 = finding(key_pay, "pay-alice")
        st, body = call("POST", base + "/v1/events", json.dumps(f1).encode(), hdr)
        ok(st == 202, "the finding about pay-alice's key is accepted", f"{st} {body}")
        posts = slack.wait("chat.postMessage")
        ok(len(posts) == 1 and posted_to(posts, "C0PAYMENTS"),
           "its Slack message goes to the payments team's channel (route by asset tag)",
           str([json.loads(c["body"]).get("channel") for c in posts]))
        inc = incident_for(env, db, key_pay)
        ok(inc is not None and inc.get("owner") == "payments",
           "the route's team becomes the incident's owner", str(inc and inc.get("owner")))
        assigned = [t for t in (inc or {}).get("timeline", []) if t.get("kind") == "assigned"]
        ok(len(assigned) == 1 and "payments-assets" in assigned[0].get("text", ""),
           "the assignment is on the timeline, naming the route",
           str([t.get("text") for t in assigned]))
        planned = [t for t in (inc or {}).get("timeline", []) if t.get("kind") ==
                   "action_planned"]
        rtags = planned[0].get("detail", {}).get("context", {}).get("resource_tags") \
            if planned else None
        ok(rtags == {"team": "payments-api"},
           "the run's context holds the user's tags (incident.resource_tags)", str(rtags))
        kept = [t for t in (inc or {}).get("timeline", []) if t.get("kind") == "notification"
                and "1700000000.000100" in json.dumps(t)]
        ok(len(kept) == 1, "the Slack message's id is kept on the incident's timeline",
           str((inc or {}).get("timeline", [])[-3:]))

        f2 = finding(key_dev, "dev-carl")
        f2["id"] = "evb-routes-2"
        f2["detail"]["id"] = "gd-routes-0002"
        f2["detail"]["service"]["action"]["awsApiCallAction"]["remoteIpDetails"][
            "ipAddressV4"] = "198.51.100.77"
        st, body = call("POST", base + "/v1/events", json.dumps(f2).encode(), hdr)
        ok(st == 202, "the finding about dev-carl's key is accepted", f"{st} {body}")
        posts = slack.wait("chat.postMessage", n=2)
        ok(len(posts) == 2 and len(posted_to(posts, "C0SECURITY")) == 1,
           "an untagged user's incident goes to the default route's channel",
           str([json.loads(c["body"]).get("channel") for c in posts]))
        inc2 = incident_for(env, db, key_dev)
        ok(inc2 is not None and not inc2.get("owner"),
           "the default route (no team) leaves the owner unset", str(inc2 and inc2.get("owner")))

        # ops-dana's key: the ops route is automatic and pages PagerDuty:
        # triggered when the incident opens, resolved once the playbook has
        # disabled the key (phase contained), one dedup key for both.
        f4 = finding(key_ops, "ops-dana")
        f4["id"] = "evb-routes-4"
        f4["detail"]["id"] = "gd-routes-0004"
        f4["detail"]["service"]["action"]["awsApiCallAction"]["remoteIpDetails"][
            "ipAddressV4"] = "198.51.100.88"
        st, body = call("POST", base + "/v1/events", json.dumps(f4).encode(), hdr)
        ok(st == 202, "the finding about ops-dana's key is accepted", f"{st} {body}")
        events = pd.wait(2)
        acts = [e.get("event_action") for e in events]
        ok(acts[:1] == ["trigger"] and "resolve" in acts,
           "PagerDuty: the ops route's page is triggered, then resolved when contained",
           str(acts))
        keys = {e.get("dedup_key") for e in events}
        inc4 = incident_for(env, db, key_ops)
        ok(inc4 is not None and keys == {f"riposte-incident-{inc4['id']}"},
           "PagerDuty: one dedup key, the incident's", str(keys))
        ok(all(e.get("routing_key") == PD_KEY for e in events),
           "PagerDuty: events carry the routing key")
        status = iam.list_access_keys(UserName="ops-dana")["AccessKeyMetadata"][0]["Status"]
        ok(status == "Inactive", "the ops route's playbook disabled the key in moto", status)
        ok(inc4 is not None and inc4.get("phase") == "contained" and inc4.get("owner") == "ops",
           "the ops incident is contained and owned by ops",
           str(inc4 and (inc4.get("phase"), inc4.get("owner"))))
        time.sleep(1)
        ok(len(pd.wait(99, timeout=0.1)) == 2, "PagerDuty: each event is sent once",
           str([e.get("event_action") for e in pd.wait(99, timeout=0.1)]))

        stop_serve(proc)
        proc = None

        # A restart: the second finding about pay-alice's key joins the same
        # incident; the message posted before is updated, not posted again.
        updates_before = len(slack.wait("chat.update", n=99, timeout=0.1))
        pay_posts_before = [c for c in slack.wait("chat.postMessage", n=99, timeout=0.1)
                            if key_pay in c["body"]]
        proc, port, log = start(cfg, env, "serve2.log")
        ok(port is not None, "serve: listening again after a restart", log.read()[-500:])
        if port is None:
            return summary()
        base = f"http://127.0.0.1:{port}"
        f3 = finding(key_pay, "pay-alice")
        f3["id"] = "evb-routes-3"
        f3["detail"]["id"] = "gd-routes-0003"
        f3["detail"]["updatedAt"] = "2026-11-22T10:05:00Z"
        f3["time"] = "2026-11-22T10:05:00Z"
        st, body = call("POST", base + "/v1/events", json.dumps(f3).encode(), hdr)
        ok(st == 202, "after the restart, a second finding about pay-alice's key", f"{st} {body}")
        updates = slack.wait("chat.update", n=updates_before + 1)
        posts = slack.wait("chat.postMessage", n=99, timeout=1)
        upd = [json.loads(c["body"]) for c in updates[updates_before:]]
        ok(len(upd) >= 1 and upd[-1].get("ts") == "1700000000.000100",
           "the daemon updates the message it posted before the restart (chat.update, its ts)",
           str(upd)[:300])
        pay_posts = [c for c in posts if key_pay in c["body"]]
        ok(len(pay_posts_before) == 1 and len(pay_posts) == 1,
           "no second message is posted for the same incident",
           f"{len(pay_posts_before)} then {len(pay_posts)}")
        inc3 = incident_for(env, db, key_pay)
        ok(inc3 is not None and inc is not None and inc3["id"] == inc["id"],
           "the second finding joined the same incident")
        stop_serve(proc)
        proc = None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        slack.stop()
        pd.stop()
        moto.stop()
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
