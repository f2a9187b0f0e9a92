#!/usr/bin/env python3
"""test-serve-sns.py — POST /v1/sns of `riposte serve`, end to end.

Started by the test: a small local HTTP server that stands in for SNS's
side (it serves the signing certificate and the SubscribeURL, and records
every request it gets), moto's server for S3 (an S3 notification of a new
CloudTrail object), and the real `riposte serve` on a free loopback port.
The test makes its own RSA key and self-signed certificate (python3's
`cryptography` when importable, else the openssl program) and signs SNS
messages with it the way SNS does (SignatureVersion 1: SHA1withRSA, 2:
SHA256withRSA, over AWS's canonical string); the configuration's
cert_url_pattern allows exactly the loopback certificate URL (and the
confirmation path).

Checked: a signed SubscriptionConfirmation makes riposte GET the
SubscribeURL (recorded by the local server), the token is in no log line;
signed v1 and v2 Notifications carrying GuardDuty EventBridge findings from
../shared/corpus/eventbridge become incidents (GET /v1/incidents with a
token); an S3 notification makes riposte fetch the object from moto;
refusals (403, nothing stored, in the audit log): a tampered Message, a
certificate URL outside the pattern (never fetched), another topic, a
stale Timestamp, an unknown SignatureVersion; a body that is not an SNS
message is 400 naming what was wrong; the certificate is fetched once.

Usage: test-serve-sns.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on failure.
"""
import base64
import gzip
import hashlib
import io
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

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import (ROOT, Moto, QuietHandler, call, ok, riposte_binary,  # noqa: E402
                     serve_env, serve_http, skip, start_serve, summary)

RIPOSTE = riposte_binary()
TMP = tempfile.mkdtemp(prefix="riposte-sns-")
TOPIC = "arn:aws:sns:us-east-1:123456789012:riposte-alerts"
TOKEN = "2336412f37fb687f5d51e6e2425c464de12884f1c2e0a5d1b7c0"
VIEWER_TOKEN = "viewer-token-sns-0001"
CORPUS = os.environ.get("RIPOSTE_CORPUS") or os.path.join(ROOT, "..", "shared", "corpus")


class Signer:
    """An RSA key and a self-signed certificate made for the test, and
    SHA1withRSA / SHA256withRSA signatures with that key."""

    def __init__(self):
        self.key_path = os.path.join(TMP, "sns.key")
        try:
            from cryptography import x509
            from cryptography.hazmat.primitives import hashes, serialization
            from cryptography.hazmat.primitives.asymmetric import padding, rsa
            from cryptography.x509.oid import NameOID
            import datetime
            self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.test")])
            now = datetime.datetime.now(datetime.timezone.utc)
            cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                    .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                    .not_valid_before(now - datetime.timedelta(hours=1))
                    .not_valid_after(now + datetime.timedelta(days=1))
                    .sign(self.key, hashes.SHA256()))
            self.pem = cert.public_bytes(serialization.Encoding.PEM)
            self._hashes, self._padding = hashes, padding
            self.how = "cryptography"
        except ImportError:
            self.key = None
            crt = os.path.join(TMP, "sns.crt")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", self.key_path, "-out", crt, "-days", "1",
                            "-subj", "/CN=sns.test"], check=True, capture_output=True)
            with open(crt, "rb") as fh:
                self.pem = fh.read()
            self.how = "openssl"

    def sign(self, data, version):
        if self.key is not None:
            h = self._hashes.SHA1() if version == 1 else self._hashes.SHA256()
            sig = self.key.sign(data, self._padding.PKCS1v15(), h)
        else:
            p = subprocess.run(["openssl", "dgst", "-sha1" if version == 1 else "-sha256",
                                "-sign", self.key_path], input=data, capture_output=True,
                               check=True)
            sig = p.stdout
        return base64.b64encode(sig).decode()


def canonical(msg):
    """AWS's string to sign: "Key\\nValue\\n" for its keys, in order."""
    if msg["Type"] == "Notification":
        keys = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        keys = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{k}\n{msg[k]}\n" for k in keys if msg.get(k) is not None).encode()


def now_iso(delta=0):
    t = time.time() + delta
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % (int(t * 1000) % 1000)


class FakeSNS:
    """Serves /cert.pem and /confirm; records every request's path."""

    def __init__(self, pem):
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class H(QuietHandler):
            def do_GET(self):
                with outer.lock:
                    outer.requests.append(self.path)
                if self.path == "/cert.pem":
                    data, ctype = pem, "application/x-pem-file"
                elif self.path.startswith("/confirm"):
                    data = (b"<ConfirmSubscriptionResponse><ConfirmSubscriptionResult>"
                            b"<SubscriptionArn>" + TOPIC.encode() + b":1</SubscriptionArn>"
                            b"</ConfirmSubscriptionResult></ConfirmSubscriptionResponse>")
                    ctype = "text/xml"
                else:
                    self.reply(404)
                    return
                self.reply(200, data, ctype)

        self.srv = serve_http(H)
        self.port = self.srv.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def paths(self):
        with self.lock:
            return list(self.requests)

    def stop(self):
        self.srv.shutdown()



def main():
    signer = Signer()
    print(f"# key and certificate made with {signer.how}", flush=True)
    sns = FakeSNS(signer.pem)
    cert_url = sns.base + "/cert.pem"
    try:
        import boto3
        moto = Moto()
    except Exception as e:  # boto3 or moto missing: the S3 case is skipped
        boto3, moto = None, None
        print(f"# no moto: {e}", flush=True)
    proc = None
    try:
        db = os.path.join(TMP, "sns.db")
        cfg = os.path.join(TMP, "riposte.yaml")
        with open(cfg, "w") as fh:
            fh.write(f"""
server:
  listen: 127.0.0.1:8088
  drain_timeout: 10s
store:
  path: {db}
aws:
  region: us-east-1
{f"  endpoint_url: {moto.url}" if moto else ""}
safety:
  dry_run: true
sources:
  - kind: sns
    name: alerts
    topics: ["{TOPIC}"]
    cert_url_pattern: ["{cert_url}", "{sns.base}/confirm?*"]
    max_age: 15m
users:
  - name: viewer
    roles: [viewer]
    token_sha256: {hashlib.sha256(VIEWER_TOKEN.encode()).hexdigest()}
""")
        env = serve_env(TMP)
        p = subprocess.run([RIPOSTE, "config", "check", cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 0 and "allows plain http" in p.stderr,
           "config check: valid, with a warning for the plain-http pattern",
           p.stdout + p.stderr)
        bad_cfg = os.path.join(TMP, "bad.yaml")
        with open(bad_cfg, "w") as fh:
            fh.write("sources:\n  - kind: sns\n    name: a\n    topics: [alerts]\n"
                     "    cert_url_pattern: \"https://x@sns.amazonaws.com/*\"\n")
        p = subprocess.run([RIPOSTE, "config", "check", bad_cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 1 and "line 4: sources.a.topics" in p.stderr and
           "line 5: sources.a.cert_url_pattern" in p.stderr,
           "config check: bad sns values are named with file:line", p.stderr)

        proc, port, errlog = start_serve(RIPOSTE, cfg, env, os.path.join(TMP, "serve.log"))
        ok(port is not None, "serve: listening", open(errlog.name).read()[-500:])
        if port is None:
            return summary()
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": "Bearer " + VIEWER_TOKEN}

        def post(msg, mtype=None, raw=None):
            body = raw if raw is not None else json.dumps(msg).encode()
            h = {"Content-Type": "text/plain; charset=UTF-8",
                 "x-amz-sns-message-type": mtype or (msg or {}).get("Type", "Notification")}
            return call("POST", base + "/v1/sns", body, h)

        def incidents():
            st, body = call("GET", base + "/v1/incidents", headers=auth)
            return json.loads(body) if st == 200 else None

        def events_total():
            _, body = call("GET", base + "/metrics")
            m = re.search(r"^riposte_events_total (\d+)$", body, re.M)
            return int(m.group(1)) if m else -1

        n = [0]

        def notification(message, version=1, **over):
            n[0] += 1
            msg = {"Type": "Notification", "MessageId": f"sns-test-{n[0]:04d}", "TopicArn": TOPIC,
                   "Subject": "GuardDuty finding", "Message": message, "Timestamp": now_iso(),
                   "SignatureVersion": str(version), "SigningCertURL": cert_url,
                   "UnsubscribeURL": sns.base + "/unsubscribe?SubscriptionArn=x"}
            msg.update({k: v for k, v in over.items() if k != "Subject" or v is not None})
            if over.get("Subject", "") is None:
                del msg["Subject"]
            msg["Signature"] = signer.sign(canonical(msg), version)
            return msg

        # SubscriptionConfirmation: verified, then the SubscribeURL is fetched.
        sub_url = f"{sns.base}/confirm?Action=ConfirmSubscription&TopicArn={TOPIC}&Token={TOKEN}"
        conf = {"Type": "SubscriptionConfirmation", "MessageId": "sns-test-sub", "Token": TOKEN,
                "TopicArn": TOPIC, "Message": f"You have chosen to subscribe to the topic {TOPIC}."
                "\nTo confirm the subscription, visit the SubscribeURL included in this message.",
                "SubscribeURL": sub_url, "Timestamp": now_iso(), "SignatureVersion": "1",
                "SigningCertURL": cert_url}
        conf["Signature"] = signer.sign(canonical(conf), 1)
        st, body = post(conf)
        ok(st == 200, "SubscriptionConfirmation: 200", f"{st} {body}")
        got = sns.paths()
        ok("/cert.pem" in got, "the signing certificate was fetched from the allowed URL", got)
        ok(any(p.startswith("/confirm?Action=ConfirmSubscription") and TOKEN in p for p in got),
           "riposte GET the SubscribeURL (recorded by the local server)", got)

        # Notifications: v1 and v2, GuardDuty findings from the corpus.
        path1 = os.path.join(CORPUS, "eventbridge", "cloud_custodian", "iam-duty-event.json")
        path2 = os.path.join(CORPUS, "eventbridge", "cloud_custodian", "ec2-duty-event.json")
        if not (os.path.exists(path1) and os.path.exists(path2)):
            skip("sns notifications", f"corpus not found at {CORPUS}")
            return summary()
        with open(path1) as fh:
            finding1 = json.load(fh)
        with open(path2) as fh:
            finding2 = json.load(fh)
        title1 = finding1["detail"]["title"]
        title2 = finding2["detail"]["title"]
        ok(incidents() == [], "no incident before the notifications")
        st, body = post(notification(json.dumps(finding1), 1))
        ok(st == 200 and '"accepted":1' in body and '"incidents":1' in body,
           "Notification v1 (SHA1withRSA) with a GuardDuty finding: 200 once stored",
           f"{st} {body}")
        inc = incidents() or []
        ok(any(i["title"] == title1 for i in inc), "the v1 finding is an incident (GET /v1/incidents)",
           json.dumps(inc)[:300])
        st, body = post(notification(json.dumps(finding2), 2, Subject=None))
        ok(st == 200 and '"accepted":1' in body,
           "Notification v2 (SHA256withRSA), no Subject: 200 once stored", f"{st} {body}")
        inc = incidents() or []
        ok(any(i["title"] == title2 for i in inc) and len(inc) == 2,
           "the v2 finding is an incident too", json.dumps(inc)[:300])
        ok(sns.paths().count("/cert.pem") == 1, "the certificate was fetched once (cached)",
           sns.paths())

        # Refusals: 403, nothing stored, no fetch outside the pattern.
        before_events, before_inc = events_total(), len(incidents() or [])
        f3 = dict(finding1, id="evb-sns-tampered")
        f3["detail"] = dict(finding1["detail"], id="gd-sns-tampered", title="tampered finding")
        m = notification(json.dumps(f3), 2)
        m["Message"] = m["Message"].replace("tampered finding", "changed finding")
        st, body = post(m)
        ok(st == 403 and "could not be verified" in body, "a tampered Message is refused (403)",
           f"{st} {body}")
        m = notification(json.dumps(f3), 1, SigningCertURL=f"http://localhost:{sns.port}/cert.pem")
        st, body = post(m)
        ok(st == 403, "a SigningCertURL outside the pattern is refused (403)", f"{st} {body}")
        m = notification(json.dumps(f3), 2, SigningCertURL=sns.base + "/other.pem")
        st, _ = post(m)
        ok(st == 403, "another path on the allowed host is refused too (403)", str(st))
        ok(sns.paths().count("/cert.pem") == 1 and "/other.pem" not in sns.paths(),
           "the refused certificate URLs were never fetched", sns.paths())
        m = notification(json.dumps(f3), 2,
                         TopicArn="arn:aws:sns:us-east-1:999999999999:riposte-alerts")
        st, _ = post(m)
        ok(st == 403, "a message from another topic is refused (403)", str(st))
        m = notification(json.dumps(f3), 2, Timestamp=now_iso(-3600))
        st, _ = post(m)
        ok(st == 403, "a stale Timestamp (an hour old, max_age 15m) is refused (403)", str(st))
        m = notification(json.dumps(f3), 2)
        m["SignatureVersion"] = "3"
        st, _ = post(m)
        ok(st == 403, "an unknown SignatureVersion is refused (403)", str(st))
        m = notification(json.dumps(f3), 2)
        st, body = post(m, mtype="SubscriptionConfirmation")
        ok(st == 400 and "x-amz-sns-message-type" in body,
           "a header naming another type than the body: 400 naming it", f"{st} {body}")
        st, body = post(None, raw=b'{"Type": "Notification", "Message": "x"}')
        ok(st == 400 and "'MessageId' is missing" in body,
           "a body that is not a whole SNS message: 400 naming the missing field",
           f"{st} {body}")
        st, body = post(None, raw=b"Action=Publish")
        ok(st == 400 and "not JSON" in body, "a body that is not JSON: 400", f"{st} {body}")
        m = notification("this is not an event", 2)
        st, body = post(m)
        ok(st == 400 and "Message" in body, "a verified Message that is not an event: 400",
           f"{st} {body}")
        ok(events_total() == before_events and len(incidents() or []) == before_inc and
           not any(i["title"] == "tampered finding" for i in incidents() or []),
           "nothing from the refused messages was stored",
           f"{events_total()} vs {before_events}")

        # An S3 notification of a new CloudTrail object: fetched from moto.
        if moto:
            s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1",
                              aws_access_key_id="testing", aws_secret_access_key="testingsecret")
            s3.create_bucket(Bucket="trail-logs")
            record = {"eventVersion": "1.08", "eventTime": "2026-11-22T10:05:00Z",
                      "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
                      "awsRegion": "us-east-1", "sourceIPAddress": "198.51.100.7",
                      "userIdentity": {"type": "IAMUser", "accountId": "123456789012",
                                       "arn": "arn:aws:iam::123456789012:user/mallory",
                                       "userName": "mallory"},
                      "requestParameters": {"name": "org-trail"}, "eventID": "ct-sns-0001",
                      "eventType": "AwsApiCall", "recipientAccountId": "123456789012"}
            buf = io.BytesIO()
            with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
                gz.write(json.dumps({"Records": [record]}).encode())
            key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/x_CloudTrail.json.gz"
            s3.put_object(Bucket="trail-logs", Key=key, Body=buf.getvalue())
            s3note = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3",
                                   "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
                                   "s3": {"bucket": {"name": "trail-logs"},
                                          "object": {"key": key}}}]}
            before = events_total()
            st, body = post(notification(json.dumps(s3note), 2))
            ok(st == 200 and '"accepted":1' in body,
               "an S3 notification: the CloudTrail object is fetched from moto and stored",
               f"{st} {body}")
            ok(events_total() == before + 1, "and counted as one more event",
               f"{events_total()} vs {before}")
        else:
            skip("sns s3 notification", "boto3 or moto is not installed")

        # UnsubscribeConfirmation: verified and recorded.
        unsub = dict(conf, Type="UnsubscribeConfirmation", MessageId="sns-test-unsub",
                     Timestamp=now_iso(), SignatureVersion="2")
        unsub["Signature"] = signer.sign(canonical(unsub), 2)
        st, body = post(unsub)
        ok(st == 200, "UnsubscribeConfirmation: 200", f"{st} {body}")

        st, _ = call("GET", base + "/v1/sns")
        ok(st == 405, "GET /v1/sns: 405", str(st))

        a = subprocess.run([RIPOSTE, "audit", "list", "--db", db, "--format", "jsonl"],
                           capture_output=True, text=True, env=env).stdout
        ok(a.count('"sns_refused"') == 6,
           "the six refused messages are in the audit log", str(a.count('"sns_refused"')))
        ok('"sns_subscription_confirmed"' in a and '"sns_unsubscribed"' in a,
           "the confirmation and the unsubscription are in the audit log")
        ok(TOKEN not in a, "the audit log holds no subscription token")

        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(20)
        except subprocess.TimeoutExpired:
            rc = None
        errlog.seek(0)
        log = errlog.read()
        ok(rc == 0, "SIGTERM: stopped with exit 0", f"rc={rc} {log[-300:]}")
        ok("subscription confirmed" in log and "refused" in log,
           "the log says what was confirmed and refused", log[-600:])
        for why in ("bad signature: the signature does not match",
                    f"SigningCertURL http://localhost:{sns.port}/cert.pem is not allowed",
                    "the topic is not one of", "stale Timestamp", "unknown SignatureVersion"):
            ok(why in log, f"the log names the refusal: {why}", log[-800:])
        ok(TOKEN not in log, "no subscription token in the daemon's log")
        p = subprocess.run([RIPOSTE, "audit", "verify", "--db", db], capture_output=True,
                           text=True, env=env)
        ok(p.returncode == 0, "audit verify after the daemon", p.stdout + p.stderr)
        proc = None
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        sns.stop()
        if moto:
            moto.stop()
        shutil.rmtree(TMP, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
