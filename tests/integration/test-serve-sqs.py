#!/usr/bin/env python3
"""test-serve-sqs.py — `riposte serve` reading an SQS queue (moto).

moto's server stands in for SQS, S3, IAM and CloudTrail. The queue gets:
an EventBridge GuardDuty finding about a key; the same kind of finding
wrapped by SNS; an S3 notification for a gzipped CloudTrail file in which a
trail is stopped; an s3:TestEvent; and a message that is not JSON. riposte
must act on the first three (keys disabled, trail logging again — checked
with boto3), delete every message it took, and leave the unreadable one to
SQS (it comes back after the visibility timeout).

Usage: test-serve-sqs.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on failure.
"""
import gzip
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import Moto, ok, riposte_binary, skip, summary  # noqa: E402

RIPOSTE = riposte_binary()
ACCOUNT = "123456789012"


def finding(n, key, user):
    return {
        "version": "0", "id": f"evb-sqs-{n}", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": ACCOUNT, "time": "2026-11-22T10:01:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
            "id": f"gd-sqs-{n}", "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom",
            "severity": 8, "title": "API called from a known malicious IP",
            "createdAt": "2026-11-22T10:00:00Z", "updatedAt": "2026-11-22T10:01:00Z",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": key, "principalId": f"AIDASQS{n}", "userName": user,
                "userType": "IAMUser"}},
            "service": {"serviceName": "guardduty", "action": {}},
        },
    }


def main():
    try:
        import boto3
    except ImportError:
        skip("serve sqs", "boto3 is not installed")
        return summary()
    tmp = tempfile.mkdtemp(prefix="riposte-sqs-")
    moto = Moto()
    proc = None
    try:
        kw = dict(endpoint_url=moto.url, region_name="us-east-1", aws_access_key_id="testing",
                  aws_secret_access_key="testingsecret")
        sqs, s3 = boto3.client("sqs", **kw), boto3.client("s3", **kw)
        iam, ct = boto3.client("iam", **kw), boto3.client("cloudtrail", **kw)
        q = sqs.create_queue(QueueName="riposte-events")["QueueUrl"]
        keys = {}
        for u in ("sqs-alice", "sqs-bob"):
            iam.create_user(UserName=u)
            keys[u] = iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]
        s3.create_bucket(Bucket="trail-logs")
        ct.create_trail(Name="org-trail", S3BucketName="trail-logs")
        ct.stop_logging(Name="org-trail")
        record = {
            "eventVersion": "1.08", "eventTime": "2026-11-22T10:05:00Z",
            "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
            "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5", "userAgent": "aws-cli",
            "userIdentity": {"type": "IAMUser", "userName": "mallory",
                             "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
                             "accessKeyId": "AKIAMALLORY000000001", "accountId": ACCOUNT},
            "requestParameters": {"name": "org-trail"}, "responseElements": None,
            "eventID": "5b5b5b5b-0000-4000-8000-000000000001", "eventType": "AwsApiCall",
            "recipientAccountId": ACCOUNT, "readOnly": False}
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb") as gz:
            gz.write(json.dumps({"Records": [record]}).encode())
        obj_key = f"AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2026/11/22/x y.json.gz"
        s3.put_object(Bucket="trail-logs", Key=obj_key, Body=buf.getvalue())

        cfg = os.path.join(tmp, "riposte.yaml")
        with open(cfg, "w") as fh:
            fh.write(f"""server:
  listen: 127.0.0.1:8088
store:
  path: {tmp}/sqs.db
aws:
  region: us-east-1
  endpoint_url: {moto.url}
sources:
  - kind: sqs
    name: events
    queue_url: {q}
    wait: 1s
    visibility_timeout: 2s
    backoff_max: 5s
routes:
  - name: all
    default: true
    playbooks: [compromised-access-key, cloudtrail-stopped]
    mode: auto
safety:
  max_destructive_per_hour: 100
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testingsecret",
                    "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                    "HOME": tmp, "XDG_STATE_HOME": tmp,
                    "AWS_CONFIG_FILE": os.path.join(tmp, "none"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none")})
        p = subprocess.run([RIPOSTE, "config", "check", cfg], env=env, capture_output=True,
                           text=True)
        ok(p.returncode == 0, "config check", p.stdout + p.stderr)

        # The messages, before riposte starts: it must drain what waits.
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps(finding(1, keys["sqs-alice"],
                                                                      "sqs-alice")))
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps({
            "Type": "Notification", "MessageId": "sns-1", "TopicArn":
            f"arn:aws:sns:us-east-1:{ACCOUNT}:findings",
            "Message": json.dumps(finding(2, keys["sqs-bob"], "sqs-bob"))}))
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
            "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "trail-logs"},
                   "object": {"key": obj_key.replace(" ", "+")}}}]}))
        sqs.send_message(QueueUrl=q, MessageBody=json.dumps({"Service": "Amazon S3",
                                                             "Event": "s3:TestEvent"}))
        sqs.send_message(QueueUrl=q, MessageBody="this is not JSON")

        log = open(os.path.join(tmp, "serve.log"), "w+")
        proc = subprocess.Popen([RIPOSTE, "serve", "--config", cfg, "--port", "0"], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)

        def status(u):
            return iam.list_access_keys(UserName=u)["AccessKeyMetadata"][0]["Status"]

        deadline = time.time() + 30
        while time.time() < deadline and not (
                status("sqs-alice") == "Inactive" and status("sqs-bob") == "Inactive" and
                ct.get_trail_status(Name="org-trail")["IsLogging"]):
            time.sleep(0.2)
        ok(status("sqs-alice") == "Inactive", "an EventBridge finding from SQS disables the key")
        ok(status("sqs-bob") == "Inactive", "an SNS-wrapped finding from SQS disables the key")
        ok(ct.get_trail_status(Name="org-trail")["IsLogging"] is True,
           "a gzipped CloudTrail object from an S3 notification restarts the stopped trail")

        # Only the unreadable message is left, and it keeps coming back.
        time.sleep(5)
        attrs = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["All"])["Attributes"]
        left = int(attrs["ApproximateNumberOfMessages"]) + int(
            attrs["ApproximateNumberOfMessagesNotVisible"])
        ok(left == 1, "every message taken is deleted; the unreadable one stays", str(attrs))
        log.seek(0)
        text = log.read()
        ok("not taken" in text and "left to SQS" in text,
           "the unreadable message is logged", text[-600:])
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(30)
        ok(rc == 0, "SIGTERM: the poller stops and the daemon exits 0", str(rc))
        proc = None
        p = subprocess.run([RIPOSTE, "incident", "list", "--db", f"{tmp}/sqs.db", "--format",
                            "jsonl"], capture_output=True, text=True, env=env)
        n = len([x for x in p.stdout.splitlines() if x.strip()])
        ok(n == 3, "three incidents from the queue", str(n))
    finally:
        if proc and proc.poll() is None:
            proc.kill()
            proc.wait()
        moto.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
