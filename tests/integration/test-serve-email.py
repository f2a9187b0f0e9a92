#!/usr/bin/env python3
"""test-serve-email.py — `riposte serve` mailing incidents over SMTP.

A real SMTP relay cannot be reached from the machines these tests run on, so
the test runs its own small SMTP server (Python's socketserver, on a free
loopback port) that records every transaction it receives — the envelope,
the AUTH credentials, the message — and answers from a plan the test sets:
250 to all, 451 after DATA once, or 550 to every RCPT. moto stands in for
AWS, and the real `riposte serve` runs on a free port with an email channel
as the default route's channel.

  1. A GuardDuty finding POSTed to /v1/events → the playbook runs (moto) and
     its notify step is mailed: MAIL FROM and RCPT TO as configured, AUTH
     LOGIN with the credentials from the environment, headers (Subject,
     Message-ID, References for the incident's thread, quoted-printable
     UTF-8) and a body naming the incident, the key and the run.
  2. The server answers 451 → riposte retries after its backoff (30 s) and
     the same message (same Message-ID) is delivered.
  3. The server answers 550 → the failure is on the incident's timeline
     (`riposte incident show`), and the notification is still in the outbox.
  4. The username and password never appear in riposte's log (stderr).

Usage: test-serve-email.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on
failure.
"""
import base64
import email
import email.policy
import json
import os
import re
import shutil
import signal
import socketserver
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import (Moto, call, ok, riposte_binary, serve_env, sha, skip,  # noqa: E402
                     start_serve, summary)

RIPOSTE = riposte_binary()
TMP = tempfile.mkdtemp(prefix="riposte-email-")
EVENT_KEY = "test-event-key-email-1"
BOB_TOKEN = "bob-token-email-1"
SMTP_USER = "riposte-mailer-7781"
SMTP_PASS = "Sm7p-PaSS-do-not-log-4412"
ACCOUNT = "123456789012"
FROM = "riposte@alerts.example.com"
TO = ["secops@example.com", "oncall@example.org"]


class FakeSMTP:
    """Records transactions; answers as self.plan says.

    plan: {"data": [codes...]} answers DATA's end with each code in turn (then
    250); {"rcpt_always": code} answers every RCPT TO with code; {"auth": "AUTH
    LOGIN"} is the AUTH line of the EHLO reply (default: AUTH LOGIN PLAIN)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.transactions = []   # dicts: mail_from, rcpts, data, auth, reply
        self.plan = {}
        outer = self

        class H(socketserver.StreamRequestHandler):
            def line(self):
                raw = self.rfile.readline(65536)
                if not raw:
                    raise EOFError
                return raw.decode("utf-8", "replace").rstrip("\r\n")

            def say(self, text):
                self.wfile.write(text.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self):
                tx = {"mail_from": None, "rcpts": [], "data": None, "auth": None,
                      "reply": None}
                self.say("220 fake-relay.test ESMTP")
                try:
                    while True:
                        cmd = self.line()
                        up = cmd.upper()
                        if up.startswith("EHLO") or up.startswith("HELO"):
                            with outer.lock:
                                mechs = outer.plan.get("auth", "AUTH LOGIN PLAIN")
                            self.wfile.write(b"250-fake-relay.test\r\n250-" + mechs.encode() +
                                             b"\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                            self.wfile.flush()
                        elif up.startswith("AUTH LOGIN"):
                            self.say("334 VXNlcm5hbWU6")
                            user = base64.b64decode(self.line()).decode()
                            self.say("334 UGFzc3dvcmQ6")
                            pw = base64.b64decode(self.line()).decode()
                            tx["auth"] = ("LOGIN", user, pw)
                            self.say("235 2.7.0 accepted")
                        elif up.startswith("AUTH PLAIN"):
                            rest = cmd[10:].strip()
                            if not rest:
                                self.say("334 ")
                                rest = self.line()
                            parts = base64.b64decode(rest).split(b"\0")
                            tx["auth"] = ("PLAIN", parts[1].decode(), parts[2].decode())
                            self.say("235 2.7.0 accepted")
                        elif up.startswith("MAIL FROM:"):
                            # The address, without parameters (SIZE=...).
                            tx["mail_from"] = cmd[10:].strip().split(" ")[0]
                            tx["rcpts"] = []
                            self.say("250 2.1.0 ok")
                        elif up.startswith("RCPT TO:"):
                            tx["rcpts"].append(cmd[8:].strip().split(" ")[0])
                            with outer.lock:
                                code = outer.plan.get("rcpt_always")
                            if code:
                                tx["reply"] = code
                                with outer.lock:
                                    outer.transactions.append(dict(tx))
                                self.say(f"{code} 5.1.1 mailbox unavailable")
                            else:
                                self.say("250 2.1.5 ok")
                        elif up == "DATA":
                            self.say("354 end with <CRLF>.<CRLF>")
                            lines = []
                            while True:
                                raw = self.rfile.readline(1 << 20)
                                if not raw or raw == b".\r\n":
                                    break
                                if raw.startswith(b".."):
                                    raw = raw[1:]   # dot-unstuffing
                                lines.append(raw)
                            tx["data"] = b"".join(lines)
                            with outer.lock:
                                codes = outer.plan.get("data", [])
                                code = codes.pop(0) if codes else 250
                                tx["reply"] = code
                                outer.transactions.append(dict(tx))
                            self.say(f"{code} " + ("2.0.0 queued" if code == 250
                                                   else "4.3.0 try again later"))
                        elif up == "QUIT":
                            self.say("221 bye")
                            return
                        elif up in ("RSET", "NOOP"):
                            self.say("250 ok")
                        else:
                            self.say("502 5.5.1 unknown command")
                except (EOFError, ConnectionError, ValueError):
                    return

        class S(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.srv = S(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def set_plan(self, plan):
        with self.lock:
            self.plan = plan

    def wait(self, pred, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                got = [t for t in self.transactions if pred(t)]
            if got:
                return got
            time.sleep(0.1)
        return []

    def stop(self):
        self.srv.shutdown()



def write_config(moto_url, smtp_port, db):
    cfg = f"""
server:
  listen: 127.0.0.1:8088
  drain_timeout: 10s
store:
  path: {db}
aws:
  region: us-east-1
  endpoint_url: {moto_url}
channels:
  mail:
    kind: email
    smtp_url: smtp://127.0.0.1:{smtp_port}
    from: {FROM}
    to: [{", ".join(TO)}]
    username_env: TEST_SMTP_USER
    password_env: TEST_SMTP_PASS
    subject_prefix: "[riposte-test]"
routes:
  - name: everything
    default: true
    channels: [mail]
    playbooks: [compromised-access-key]
    mode: auto
safety:
  max_destructive_per_hour: 100
users:
  - name: bob
    roles: [responder]
    token_sha256: {sha(BOB_TOKEN)}
api:
  event_keys:
    - name: test
      key_sha256: {sha(EVENT_KEY)}
"""
    path = os.path.join(TMP, "riposte.yaml")
    with open(path, "w") as f:
        f.write(cfg)
    return path


def finding(n, key, user, ip):
    return {
        "version": "0", "id": f"evb-email-{n}", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": ACCOUNT, "time": "2026-11-22T10:01:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
            "id": f"gd-email-000{n}",
            "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
            "severity": 8, "title": "API called from a known malicious IP",
            "createdAt": "2026-11-22T10:00:00Z", "updatedAt": "2026-11-22T10:01:00Z",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": key, "principalId": f"AIDAEMAIL{n}", "userName": user,
                "userType": "IAMUser"}},
            "service": {"serviceName": "guardduty", "action": {
                "actionType": "AWS_API_CALL", "awsApiCallAction": {
                    "api": "ListBuckets", "remoteIpDetails": {"ipAddressV4": ip}}}},
        },
    }



def mentions(key):
    """A predicate: a transaction whose message names the access key."""
    return lambda t: t["data"] is not None and key.encode() in decoded_body(t["data"]).encode()


def step_mail(key):
    """A predicate: the playbook's notify step's mail naming the key (not
    the mail that tells the route's channel the incident opened)."""
    return lambda t: mentions(key)(t) and "step incident:" not in decoded_body(t["data"])


def opened_mail(key):
    """A predicate: the route's "incident opened" mail naming the key."""
    return lambda t: mentions(key)(t) and "step incident:opened" in decoded_body(t["data"])


def decoded_body(data):
    try:
        return email.message_from_bytes(data, policy=email.policy.default).get_content()
    except Exception:
        return ""


def main():
    try:
        import boto3
    except ImportError:
        skip("serve email", "boto3 is not installed")
        return summary()
    moto = Moto()
    smtp = FakeSMTP()
    proc = None
    errlog = None
    try:
        iam = boto3.client("iam", endpoint_url=moto.url, region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testingsecret")
        keys = []
        for u in ("dev-alice", "dev-bob", "dev-carol"):
            iam.create_user(UserName=u)
            keys.append(iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"])

        db = os.path.join(TMP, "serve.db")
        cfg = write_config(moto.url, smtp.port, db)
        env = serve_env(TMP, {"TEST_SMTP_USER": SMTP_USER, "TEST_SMTP_PASS": SMTP_PASS})
        p = subprocess.run([RIPOSTE, "config", "check", cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 0, "config check: an email channel as the default route's channel",
           p.stdout + p.stderr)
        ok(SMTP_PASS not in p.stdout + p.stderr and SMTP_USER not in p.stdout + p.stderr,
           "config check prints neither the SMTP username nor the password")

        proc, port, errlog = start_serve(RIPOSTE, cfg, env, os.path.join(TMP, "serve.log"))
        ok(port is not None, "serve: listening", open(errlog.name).read()[-500:])
        if port is None:
            return summary()
        base = f"http://127.0.0.1:{port}"
        hdrs = {"X-API-Key": EVENT_KEY, "Content-Type": "application/json"}
        auth = {"Authorization": "Bearer " + BOB_TOKEN}

        def incident_of(key):
            st, body = call("GET", base + "/v1/incidents", headers=auth)
            for inc in json.loads(body) if st == 200 else []:
                if key in json.dumps(inc):
                    return inc["id"]
            # The list may not carry entities: the newest incident is ours.
            incs = json.loads(body) if st == 200 else []
            return incs[0]["id"] if incs else None

        # 1. Delivered.
        st, body = call("POST", base + "/v1/events",
                        json.dumps(finding(1, keys[0], "dev-alice", "198.51.100.7")).encode(),
                        hdrs)
        ok(st == 202 and '"accepted":1' in body, "POST /v1/events: the finding is accepted",
           f"{st} {body}")
        got = smtp.wait(step_mail(keys[0]), 30)
        ok(len(got) == 1 and got[0]["reply"] == 250, "a mail arrives for the incident",
           f"{len(got)} transactions")
        opened = smtp.wait(opened_mail(keys[0]), 30)
        ok(len(opened) == 1 and opened[0]["reply"] == 250,
           "the route's channel is also told, once, that the incident opened",
           f"{len(opened)} transactions")
        if not got:
            errlog.seek(0)
            print("# " + errlog.read()[-800:].replace("\n", "\n# "))
            return summary()
        t = got[0]
        inc1 = incident_of(keys[0])
        ok(t["mail_from"] == f"<{FROM}>" and t["rcpts"] == [f"<{a}>" for a in TO],
           "the envelope: MAIL FROM the sender, RCPT TO both recipients",
           f"{t['mail_from']} {t['rcpts']}")
        ok(t["auth"] is not None and t["auth"][1:] == (SMTP_USER, SMTP_PASS),
           "AUTH carried the username and password from the environment",
           str(t["auth"] and t["auth"][0]))
        print(f"# AUTH mechanism libcurl chose: {t['auth'] and t['auth'][0]}", flush=True)
        msg = email.message_from_bytes(t["data"], policy=email.policy.default)
        subject = str(msg["Subject"])
        ok(subject.startswith(f"[riposte-test] HIGH incident #{inc1}: "),
           "Subject: prefix, severity and the incident's number", subject)
        ok(msg["From"] == f"riposte <{FROM}>" and msg["To"] == ", ".join(TO),
           "From and To headers", f"{msg['From']} / {msg['To']}")
        mid = msg["Message-ID"]
        ok(re.fullmatch(rf"<riposte\.incident-{inc1}\.notification-\d+@alerts\.example\.com>",
                        mid or "") is not None,
           "Message-ID names the incident and the notification", str(mid))
        ok(msg["References"] == f"<riposte.incident-{inc1}@alerts.example.com>" and
           msg["In-Reply-To"] == msg["References"],
           "In-Reply-To and References thread the incident's mails", str(msg["References"]))
        ok(msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8" and
           msg["Content-Transfer-Encoding"] == "quoted-printable" and msg["Date"],
           "text/plain; charset=UTF-8, quoted-printable, dated")
        text = msg.get_content()
        if os.environ.get("SHOW_MAIL"):
            print("# " + t["data"].decode().replace("\n", "\n# "))
            print("# " + text.replace("\n", "\n# "))
        ok(keys[0] in text and f"Incident #{inc1}:" in text and
           "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom" in text and
           "compromised-access-key" in text and "disable-key (iam.disable_access_key)" in text
           and "198.51.100.7" in text,
           "the body names the key, the incident, the finding and the run's steps",
           text[:600])
        raw_lines = t["data"].split(b"\r\n")
        ok(all(len(ln) <= 998 for ln in raw_lines) and b"\n" not in t["data"].replace(
            b"\r\n", b""), "every line CRLF and at most 998 octets")

        # 2. 451 after DATA once: retried after the backoff, same Message-ID.
        smtp.set_plan({"data": [451], "auth": "AUTH LOGIN"})
        st, _ = call("POST", base + "/v1/events",
                     json.dumps(finding(2, keys[1], "dev-bob", "198.51.100.8")).encode(), hdrs)
        ok(st == 202, "a second finding (another key) is accepted", str(st))
        # The 451 falls on the first of the incident's two mails, whichever.
        first = smtp.wait(lambda t: mentions(keys[1])(t) and t["reply"] == 451, 30)
        ok(len(first) == 1, "the server answers 451 to the first try")
        t0 = time.time()

        def mid_of(t):
            return email.message_from_bytes(t["data"], policy=email.policy.default)[
                "Message-ID"]

        first_mid = mid_of(first[0]) if first else None
        later = smtp.wait(lambda t: mentions(keys[1])(t) and t["reply"] == 250 and
                          mid_of(t) == first_mid, 60)
        ok(len(later) == 1, "after the backoff riposte tries again and the mail is delivered",
           f"{len(later)} deliveries")
        if first and later:
            m1 = email.message_from_bytes(first[0]["data"], policy=email.policy.default)
            m2 = email.message_from_bytes(later[0]["data"], policy=email.policy.default)
            ok(later[0]["auth"] == ("LOGIN", SMTP_USER, SMTP_PASS),
               "AUTH LOGIN (the only mechanism offered this time) carried them too",
               str(later[0]["auth"] and later[0]["auth"][0]))
            ok(m1["Message-ID"] == m2["Message-ID"],
               "the retry carries the same Message-ID (recognisable as the same mail)",
               f"{m1['Message-ID']} {m2['Message-ID']}")
            print(f"# 451 -> delivered after {time.time() - t0 + 0.0:.1f} s more", flush=True)
        con = sqlite3.connect(db)
        rows = con.execute("SELECT attempts, delivered_ns FROM notifications ORDER BY id"
                           ).fetchall()
        con.close()
        ok(len(rows) == 6 and all(r[1] for r in rows) and
           sorted(r[0] for r in rows) == [1, 1, 1, 1, 1, 2], "the outbox: six mails (for each "
           "of two incidents: opened, the notify step's, contained), all delivered, one of them "
           "on a second try", str(rows))

        # 3. 550 to every RCPT: on the incident's timeline, nothing lost.
        smtp.set_plan({"rcpt_always": 550})
        st, _ = call("POST", base + "/v1/events",
                     json.dumps(finding(3, keys[2], "dev-carol", "198.51.100.9")).encode(),
                     hdrs)
        ok(st == 202, "a third finding (another key) is accepted", str(st))
        refused = smtp.wait(lambda t: t["reply"] == 550, 30)
        ok(len(refused) >= 1, "the server answers 550 to RCPT")
        inc3 = None
        shown = ""
        deadline = time.time() + 20
        while time.time() < deadline:
            inc3 = incident_of(keys[2])
            if inc3:
                p = subprocess.run([RIPOSTE, "incident", "show", str(inc3), "--format", "json",
                                    "--db", db], capture_output=True, text=True, env=env)
                shown = p.stdout
                if "notification_failed" in shown:
                    break
            time.sleep(0.2)
        entries = []
        try:
            entries = [e for e in json.loads(shown).get("timeline", [])
                       if e.get("kind") == "notification_failed"]
        except ValueError:
            pass
        ok(len(entries) >= 1 and all("(email) was refused" in e.get("text", "") and
                                     "SMTP 550" in e.get("text", "") for e in entries),
           "the 550 is on the incident's timeline at once (riposte incident show)",
           shown[-600:])
        con = sqlite3.connect(db)
        pend = con.execute("SELECT incident_id, attempts, last_error FROM notifications "
                           "WHERE delivered_ns IS NULL").fetchall()
        con.close()
        ok(len(pend) >= 1 and all(p[0] == inc3 and "SMTP 550" in (p[2] or "") for p in pend),
           "the refused notification stays in the outbox, kept for later tries", str(pend))

        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            rc = None
        proc = None
        errlog.seek(0)
        log = errlog.read()
        ok(rc == 0, "SIGTERM: stopped with exit 0", f"rc={rc} {log[-300:]}")
        ok(re.search(r"notifications: \d+ delivered", log) and
           "failed (kept for a later try)" in log,
           "the log counts deliveries and failures", log[-600:])
        ok(SMTP_PASS not in log and SMTP_USER not in log and
           base64.b64encode(SMTP_PASS.encode()).decode() not in log,
           "the SMTP username and password are not in riposte's log")
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        smtp.stop()
        moto.stop()
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
