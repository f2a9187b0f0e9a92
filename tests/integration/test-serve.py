#!/usr/bin/env python3
"""test-serve.py — `riposte serve` end to end, with moto as AWS.

Started by the test: moto's server (AWS), a small local HTTP server that
stands in for Slack's Web API (chat.postMessage, chat.update: Slack itself
cannot be reached from these machines; it records what it receives), and the
real `riposte serve` on a free loopback port. A GuardDuty finding about an
access key is POSTed to /v1/events; a Slack message with buttons must arrive;
interactions are POSTed as Slack would send them, signed with the signing
secret: a wrong signature, a stale timestamp and a user who may not approve
are refused (logged, nothing done); a responder's press disables the key in
moto (checked with boto3) and the message is updated. Then the API, limits,
metrics, and a graceful SIGTERM.

Usage: test-serve.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on failure.
"""
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import (Moto, QuietHandler, call, ok, riposte_binary, serve_env,  # noqa: E402
                     serve_http, sha, skip, start_serve, summary)

RIPOSTE = riposte_binary()
TMP = tempfile.mkdtemp(prefix="riposte-serve-")
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-riposte-test-token-0001"
EVENT_KEY = "test-event-key-0001"
BOB_TOKEN = "bob-token-0001"
ACCOUNT = "123456789012"


class FakeSlack:
    """Records POSTs to /api/<method>; answers like Slack's Web API."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()
        outer = self

        class H(QuietHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n).decode()
                with outer.lock:
                    outer.calls.append({"path": self.path, "auth": self.headers.get(
                        "Authorization", ""), "body": body})
                reply = {"ok": True, "channel": "C0SECURITY", "ts": "1700000000.000100"}
                self.reply(200, json.dumps(reply).encode())

        self.srv = serve_http(H)
        self.port = self.srv.server_address[1]

    def wait(self, method, n=1, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                got = [c for c in self.calls if c["path"].endswith("/" + method)]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        return got

    def stop(self):
        self.srv.shutdown()



def write_config(moto_url, slack_port, db):
    cfg = f"""
server:
  listen: 127.0.0.1:8088
  max_body: 64KiB
  drain_timeout: 10s
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
routes:
  - name: everything
    default: true
    channels: [security]
    playbooks: [compromised-access-key]
    mode: approve
safety:
  max_destructive_per_hour: 100
users:
  - name: bob
    roles: [responder]
    slack_id: U0BOB
    token_sha256: {sha(BOB_TOKEN)}
  - name: carol
    roles: [viewer]
    slack_id: U0CAROL
api:
  event_keys:
    - name: test
      key_sha256: {sha(EVENT_KEY)}
"""
    path = os.path.join(TMP, "riposte.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


def finding(key, user):
    return {
        "version": "0", "id": "evb-serve-1", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": ACCOUNT, "time": "2026-11-22T10:01:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
            "id": "gd-serve-0001", "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
            "severity": 8, "title": "API called from a known malicious IP",
            "createdAt": "2026-11-22T10:00:00Z", "updatedAt": "2026-11-22T10:01:00Z",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": key, "principalId": "AIDASERVE", "userName": user,
                "userType": "IAMUser"}},
            "service": {"serviceName": "guardduty", "action": {
                "actionType": "AWS_API_CALL", "awsApiCallAction": {
                    "api": "ListBuckets", "remoteIpDetails": {"ipAddressV4": "198.51.100.7"}}}},
        },
    }



def interaction(run, step, user, action="riposte_approve"):
    payload = {
        "type": "block_actions", "user": {"id": user, "username": user.lower()},
        "team": {"id": "T0TEST"}, "channel": {"id": "C0SECURITY"},
        "container": {"type": "message", "message_ts": "1700000000.000100",
                      "channel_id": "C0SECURITY"},
        "response_url": "https://hooks.slack.com/actions/T0TEST/1/x",
        "actions": [{"action_id": action, "value": f"{run}:{step}", "type": "button"}],
    }
    return ("payload=" + urllib.parse.quote(json.dumps(payload))).encode()


def signed(body, ts=None, secret=SIGNING_SECRET):
    ts = str(int(time.time()) if ts is None else ts)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:".encode() + body,
                           hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig,
            "Content-Type": "application/x-www-form-urlencoded"}


def main():
    try:
        import boto3
    except ImportError:
        skip("serve", "boto3 is not installed")
        return summary()
    moto = Moto()
    slack = FakeSlack()
    proc = None
    try:
        iam = boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testingsecret")
        iam.create_user(UserName="dev-alice")
        key = iam.create_access_key(UserName="dev-alice")["AccessKey"]["AccessKeyId"]

        def key_status():
            return iam.list_access_keys(UserName="dev-alice")["AccessKeyMetadata"][0]["Status"]

        db = os.path.join(TMP, "serve.db")
        cfg = write_config(moto.url, slack.port, db)
        env = serve_env(TMP, {"TEST_SLACK_BOT_TOKEN": BOT_TOKEN,
                              "TEST_SLACK_SIGNING_SECRET": SIGNING_SECRET})
        p = subprocess.run([RIPOSTE, "config", "check", cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 0, "config check: the test's configuration is valid",
           p.stdout + p.stderr)
        ok(BOT_TOKEN not in p.stdout + p.stderr and SIGNING_SECRET not in p.stdout + p.stderr,
           "config check prints no secret")

        proc, port, errlog = start_serve(RIPOSTE, cfg, env, os.path.join(TMP, "serve.log"))
        ok(port is not None, "serve: listening", open(errlog.name).read()[-500:])
        if port is None:
            return summary()
        base = f"http://127.0.0.1:{port}"

        st, body = call("GET", base + "/healthz")
        ok(st == 200 and "ok" in body, "GET /healthz", f"{st} {body}")
        st, _ = call("POST", base + "/v1/events", json.dumps(finding(key, "dev-alice")).encode(),
                     {"Content-Type": "application/json"})
        ok(st == 401, "POST /v1/events without a key is refused", str(st))
        st, _ = call("POST", base + "/v1/events", b"x" * (70 * 1024),
                     {"X-API-Key": EVENT_KEY})
        ok(st == 413, "a body over max_body is refused with 413", str(st))

        t0 = time.time()
        st, body = call("POST", base + "/v1/events", json.dumps(finding(key, "dev-alice")).encode(),
                        {"X-API-Key": EVENT_KEY, "Content-Type": "application/json"})
        ok(st == 202 and '"accepted":1' in body, "POST /v1/events: the finding is accepted",
           f"{st} {body}")
        posts = slack.wait("chat.postMessage")
        ok(len(posts) == 1, "a Slack message arrives", str(len(posts)))
        if not posts:
            return summary()
        msg = json.loads(posts[0]["body"])
        ok(posts[0]["auth"] == "Bearer " + BOT_TOKEN, "chat.postMessage carries the bot token")
        buttons = [e for b in msg.get("blocks", []) if b.get("type") == "actions"
                   for e in b.get("elements", [])]
        approve = [b for b in buttons if b.get("action_id") == "riposte_approve"]
        ok(approve and approve[0]["value"].endswith(":disable-key"),
           "the message has an approve button for disable-key",
           json.dumps(buttons)[:400])
        ok(any(b.get("action_id") == "riposte_reject" for b in buttons),
           "and a reject button")
        ok(key in posts[0]["body"], "the message names the access key")
        print(f"# event POSTed -> Slack message: {(time.time() - t0) * 1000:.1f} ms", flush=True)
        run = approve[0]["value"].split(":")[0] if approve else "0"
        ok(key_status() == "Active", "nothing is done before a press")

        # Refused presses: logged, nothing done.
        body = interaction(run, "disable-key", "U0BOB")
        h = signed(body, secret="not-the-secret")
        st, _ = call("POST", base + "/v1/slack/interactions", body, h)
        ok(st == 401, "a press with a wrong signature is refused", str(st))
        h = signed(body, ts=int(time.time()) - 600)
        st, _ = call("POST", base + "/v1/slack/interactions", body, h)
        ok(st == 401, "a press with a stale timestamp is refused", str(st))
        tampered = body.replace(b"U0BOB", b"U0EVE")
        h = signed(body)
        st, _ = call("POST", base + "/v1/slack/interactions", tampered, h)
        ok(st == 401, "a body changed after signing is refused", str(st))
        body_carol = interaction(run, "disable-key", "U0CAROL")
        st, _ = call("POST", base + "/v1/slack/interactions", body_carol, signed(body_carol))
        ok(st == 200, "a viewer's signed press is taken (and then refused)", str(st))
        time.sleep(1.5)
        ok(key_status() == "Active", "no press so far disabled the key")
        a = subprocess.run([RIPOSTE, "audit", "list", "--db", db, "--format", "jsonl"],
                           capture_output=True, text=True, env=env).stdout
        ok('"approval_refused"' in a and "slack:U0CAROL" in a,
           "the viewer's refusal is in the audit log")
        ok(a.count('"interaction_refused"') == 3,
           "the three forged presses are in the audit log",
           str(a.count('"interaction_refused"')))

        # The responder's press.
        t1 = time.time()
        st, _ = call("POST", base + "/v1/slack/interactions", body, signed(body))
        ok(st == 200, "the responder's press is accepted", str(st))
        deadline = time.time() + 15
        while time.time() < deadline and key_status() != "Inactive":
            time.sleep(0.05)
        ok(key_status() == "Inactive", "the access key is inactive in moto (boto3)")
        print(f"# press -> key inactive: {(time.time() - t1) * 1000:.1f} ms", flush=True)
        upd = slack.wait("chat.update")
        ok(upd and "U0BOB" in upd[-1]["body"] and "Approved" in upd[-1]["body"],
           "the Slack message is updated with who approved",
           upd[-1]["body"][:300] if upd else "no chat.update")

        posts = slack.wait("chat.postMessage", n=2)
        ok(len(posts) >= 2 and "Key disabled: succeeded" in posts[-1]["body"],
           "the playbook's notify step is delivered to Slack from the outbox",
           posts[-1]["body"][:300] if posts else "none")
        con = __import__("sqlite3").connect(db)
        pend = con.execute("SELECT COUNT(*) FROM notifications WHERE delivered_ns IS NULL"
                           ).fetchone()[0]
        con.close()
        ok(pend == 0, "the outbox is empty: every notification delivered", str(pend))

        st, body = call("GET", base + "/v1/incidents", headers={"Authorization": "Bearer " +
                                                                 BOB_TOKEN})
        ok(st == 200 and json.loads(body) and json.loads(body)[0]["id"] >= 1,
           "GET /v1/incidents with a token", f"{st} {body[:200]}")
        st, _ = call("GET", base + "/v1/incidents")
        ok(st == 401, "GET /v1/incidents without a token is refused", str(st))
        st, body = call("GET", base + "/v1/runs", headers={"Authorization": "Bearer " +
                                                            BOB_TOKEN})
        runs = json.loads(body) if st == 200 else []
        ok(runs and runs[0]["playbook"] == "compromised-access-key",
           "GET /v1/runs lists the run", body[:200])
        st, body = call("GET", base + "/metrics")
        ok(st == 200 and re.search(r"^riposte_events_total 1$", body, re.M) and
           "riposte_detection_to_action_seconds_count" in body, "GET /metrics",
           body[:400])

        # SIGHUP: a new user appears without a restart; a broken file is
        # refused and the running configuration stays.
        dave = {"Authorization": "Bearer dave-token-0001"}
        st, _ = call("GET", base + "/v1/incidents", headers=dave)
        ok(st == 401, "reload: dave is not a user yet", str(st))
        with open(cfg) as fh:
            good = fh.read()
        with open(cfg, "w") as fh:
            fh.write(good.replace("users:\n", "users:\n  - name: dave\n    roles: [viewer]\n"
                                  f"    token_sha256: {sha('dave-token-0001')}\n", 1))
        proc.send_signal(signal.SIGHUP)

        def log_has(text, timeout=15):
            end = time.time() + timeout
            while time.time() < end:
                errlog.seek(0)
                if text in errlog.read():
                    return True
                time.sleep(0.05)
            return False
        ok(log_has("configuration reloaded"), "reload: SIGHUP reloads the configuration")
        st, _ = call("GET", base + "/v1/incidents", headers=dave)
        ok(st == 200, "reload: dave's token works, on the same port", str(st))
        with open(cfg, "w") as fh:
            fh.write(good.replace("mode: approve", "mode: sometimes"))
        proc.send_signal(signal.SIGHUP)
        ok(log_has("still serving with the previous configuration"),
           "reload: a file with errors is refused")
        st, _ = call("GET", base + "/v1/incidents", headers=dave)
        ok(st == 200 and proc.poll() is None, "reload: the running configuration stays", str(st))
        with open(cfg, "w") as fh:
            fh.write(good)

        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            rc = None
        errlog.seek(0)
        log = errlog.read()
        ok(rc == 0 and "stopped" in log, "SIGTERM: drained and stopped with exit 0",
           f"rc={rc} {log[-300:]}")
        ok(BOT_TOKEN not in log and SIGNING_SECRET not in log, "no secret in the daemon's log")
        p = subprocess.run([RIPOSTE, "audit", "verify", "--db", db], capture_output=True,
                           text=True, env=env)
        ok(p.returncode == 0, "audit verify after the daemon", p.stdout)
        proc = None

        # Recovery: an incident stored while the daemon was down (here by
        # `riposte ingest`, as after a crash between the 202 and the worker)
        # gets its playbooks when the daemon starts.
        iam.create_user(UserName="dev-bob")
        key2 = iam.create_access_key(UserName="dev-bob")["AccessKey"]["AccessKeyId"]
        f2 = finding(key2, "dev-bob")
        f2["detail"]["id"] = "gd-serve-0002"
        f2["detail"]["service"]["action"]["awsApiCallAction"]["remoteIpDetails"][
            "ipAddressV4"] = "198.51.100.99"
        path2 = os.path.join(TMP, "later.json")
        with open(path2, "w") as fh:
            json.dump(f2, fh)
        p = subprocess.run([RIPOSTE, "ingest", "--db", db, path2], capture_output=True,
                           text=True, env=env)
        ok(p.returncode == 0, "recovery: a finding stored while the daemon is down", p.stderr)
        before = len(slack.wait("chat.postMessage", n=99, timeout=0.1))
        errlog2 = open(os.path.join(TMP, "serve2.log"), "w+")
        proc = subprocess.Popen([RIPOSTE, "serve", "--config", cfg, "--port", "0"], env=env,
                                stdout=subprocess.DEVNULL, stderr=errlog2)
        posts = slack.wait("chat.postMessage", n=before + 1)
        ok(len(posts) > before and key2 in posts[-1]["body"],
           "recovery: on start the daemon works the stored incident (a message for its key)",
           f"{len(posts)} messages")
        errlog2.seek(0)
        ok("recovery:" in errlog2.read(), "recovery: the log says so")
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        proc = None

        # TLS: riposte serves HTTPS itself with a certificate of ours.
        crt, key_pem = os.path.join(TMP, "tls.crt"), os.path.join(TMP, "tls.key")
        p = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key_pem, "-out", crt, "-days", "1",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           capture_output=True, text=True)
        ok(p.returncode == 0, "tls: a self-signed certificate for the test", p.stderr[-300:])
        with open(cfg) as fh:
            text = fh.read()
        tls_cfg = os.path.join(TMP, "tls.yaml")
        with open(tls_cfg, "w") as fh:
            fh.write(text.replace("  max_body: 64KiB\n", f"  max_body: 64KiB\n  tls_cert: {crt}\n"
                                  f"  tls_key: {key_pem}\n"))
        errlog3 = open(os.path.join(TMP, "serve3.log"), "w+")
        proc = subprocess.Popen([RIPOSTE, "serve", "--config", tls_cfg, "--port", "0"], env=env,
                                stdout=subprocess.DEVNULL, stderr=errlog3)
        tport = None
        deadline = time.time() + 20
        while time.time() < deadline and tport is None and proc.poll() is None:
            errlog3.seek(0)
            m = re.search(r"serving on https://127\.0\.0\.1:(\d+)", errlog3.read())
            tport = int(m.group(1)) if m else None
            time.sleep(0.05)
        ok(tport is not None, "tls: serving on https", open(errlog3.name).read()[-300:])
        if tport:
            import ssl
            ctx = ssl.create_default_context(cafile=crt)
            with urllib.request.urlopen(f"https://127.0.0.1:{tport}/healthz", context=ctx,
                                        timeout=10) as r:
                ok(r.status == 200, "tls: GET /healthz over HTTPS, certificate verified")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{tport}/healthz", timeout=5)
                plain = True
            except Exception:
                plain = False
            ok(not plain, "tls: plain HTTP is not answered")
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        proc = None

        # libmicrohttpd is dlopen()ed when the server starts (src/server/mhd-load.c): an
        # unloadable one (an empty file found first through LD_LIBRARY_PATH) is one clear
        # error, not a crash.
        broken = os.path.join(TMP, "broken-lib")
        os.makedirs(broken, exist_ok=True)
        open(os.path.join(broken, "libmicrohttpd.so.12"), "w").close()
        benv = dict(env, LD_LIBRARY_PATH=broken + os.pathsep + env.get("LD_LIBRARY_PATH", ""))
        p = subprocess.run([RIPOSTE, "serve", "--config", cfg, "--port", "0"], env=benv,
                           capture_output=True, text=True, timeout=60)
        ok(p.returncode > 0 and "cannot load libmicrohttpd (libmicrohttpd.so.12)" in p.stderr
           and "install libmicrohttpd12" in p.stderr and "Sanitizer" not in p.stderr,
           "no libmicrohttpd: serve stops with one line naming the library and the package",
           f"exit {p.returncode}: {p.stderr[-400:]}")
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        slack.stop()
        moto.stop()
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
