#!/usr/bin/env python3
"""serve-bench.py — alert-to-fix latency of `riposte serve` (issue 7).

Measured as whole processes on this machine, in one run:
  * latency: a GuardDuty finding about an access key is POSTed to
    /v1/events; the clock stops when the first action request for it
    reaches the AWS endpoint (the issue's measure: the playbook's
    iam.disable_access_key starts with its safety reads, ListAccessKeys and
    ListUserTags, sent together), and is read again when the change itself,
    UpdateAccessKey, arrives (the first request that changes anything: it
    also waits for moto to answer both reads, which moto serves one after
    the other at about 4 ms each). The endpoint is moto's server behind a
    small recording proxy (this script), which timestamps each request on
    arrival, before forwarding it over a kept connection. One incident at a
    time, N of them (distinct users and keys), idle, then again while a
    background thread POSTs benign CloudTrail events at RATE events/s.
  * soak: events POSTed as fast as one client can for SOAK seconds (batches
    of 500); the sustained ingest rate, and riposte's memory sampled every
    10 s (VmRSS, RssAnon, and VmHWM at the end): memory must stay flat once
    the caches are warm (second fifth of the run vs the last fifth).
Targets (issue 7): p50 <= 10 ms and p99 <= 50 ms, idle and loaded, for the
first action request. Figures are printed, never asserted.

Usage: serve-bench.py RIPOSTE [--incidents N] [--rate R] [--soak S]
Environment: SERVE_INCIDENTS (1000), SERVE_RATE (1000), SERVE_SOAK (300).
"""
import hashlib
import http.client
import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ACCOUNT = "123456789012"
KEY = "bench-event-key"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    """Forwards every request to moto; records when the first request
    naming a given user arrives, and when an UpdateAccessKey for a given
    key arrives."""

    def __init__(self, upstream_port):
        self.arrivals = {}
        self.first = {}       # UserName -> arrival ns of its first request
        self.trace = []       # (arrival ns, AWS action) of every request
        self.cond = threading.Condition()
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body leave in two writes: without NODELAY,
                # Nagle and the client's delayed ACK add 40 ms to each reply.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.up = None   # a kept connection to moto, one per client connection

            def upstream(self, method, body, hdrs):
                # A kept connection that moto closed meanwhile fails before
                # the request reaches it: only then is it sent once more, on
                # a new connection (never after a timeout or a reply).
                reused = self.up is not None
                if self.up is None:
                    self.up = http.client.HTTPConnection("127.0.0.1", upstream_port,
                                                         timeout=30)
                    self.up.connect()
                    self.up.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                try:
                    self.up.request(method, self.path, body=body, headers=hdrs)
                    r = self.up.getresponse()
                    data = r.read()
                except (http.client.RemoteDisconnected, BrokenPipeError,
                        ConnectionResetError):
                    self.up.close()
                    self.up = None
                    if not reused:
                        raise
                    return self.upstream(method, body, hdrs)
                except Exception:
                    self.up.close()
                    self.up = None
                    raise
                if r.will_close:   # moto said Connection: close
                    self.up.close()
                    self.up = None
                return r, data

            def handle_one(self, method):
                t = time.perf_counter_ns()
                n = int(self.headers.get("Content-Length", "0") or 0)
                body = self.rfile.read(n) if n else b""
                m = re.search(rb"Action=(\w+)", body)
                with outer.cond:
                    outer.trace.append((t, m.group(1).decode() if m else method + " " + self.path))
                q = urllib.parse.parse_qs(body.decode(errors="replace"))
                user = q.get("UserName", [""])[0]
                with outer.cond:
                    if user:
                        outer.first.setdefault(user, t)
                    if b"Action=UpdateAccessKey" in body:
                        outer.arrivals.setdefault(q.get("AccessKeyId", [""])[0], t)
                    outer.cond.notify_all()
                hdrs = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                r, data = self.upstream(method, body, hdrs)
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "content-length", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                self.handle_one("POST")

            def do_GET(self):
                self.handle_one("GET")

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def wait(self, key, timeout=30):
        deadline = time.time() + timeout
        with self.cond:
            while key not in self.arrivals and time.time() < deadline:
                self.cond.wait(0.5)
            return self.arrivals.get(key)


def finding(i, key, user):
    return json.dumps({
        "version": "0", "id": f"bench-{i}", "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty", "account": ACCOUNT, "time": "2026-11-22T10:00:00Z",
        "region": "us-east-1", "resources": [],
        "detail": {
            "schemaVersion": "2.0", "accountId": ACCOUNT, "region": "us-east-1",
            "id": f"bench-finding-{i}", "type": "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
            "severity": 8, "title": "bench", "createdAt": "2026-11-22T10:00:00Z",
            "updatedAt": "2026-11-22T10:00:00Z",
            "resource": {"resourceType": "AccessKey", "accessKeyDetails": {
                "accessKeyId": key, "principalId": f"AIDABENCH{i}", "userName": user,
                "userType": "IAMUser"}},
            "service": {"serviceName": "guardduty", "action": {}},
        }}).encode()


def benign(n, i):
    recs = []
    for k in range(n):
        recs.append(json.dumps({
            "eventVersion": "1.08", "eventTime": "2026-11-22T10:00:00Z",
            "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
            "awsRegion": "us-east-1", "sourceIPAddress": "10.0.0.1", "userAgent": "bench",
            "userIdentity": {"type": "IAMUser", "userName": "reader",
                             "arn": f"arn:aws:iam::{ACCOUNT}:user/reader",
                             "accessKeyId": "AKIABENCHREADER00001", "accountId": ACCOUNT},
            "eventID": f"bench-bg-{i}-{k}", "eventType": "AwsApiCall", "readOnly": True,
            "recipientAccountId": ACCOUNT, "requestParameters": None,
            "responseElements": None}))
    return ("\n".join(recs) + "\n").encode()


def moto_floor(port, user, n=200):
    """moto's own time for the safety reads of iam.disable_access_key, with
    riposte and the proxy out of the way: ListAccessKeys alone, and it with
    ListUserTags sent at the same moment on two kept connections (as
    riposte sends them). What the change waits for beyond riposte's part."""
    hdr = {"Content-Type": "application/x-www-form-urlencoded",
           "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/"
                            "aws4_request, SignedHeaders=host, Signature=0"}
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(2)]
    bodies = [f"Action=ListAccessKeys&Version=2010-05-08&UserName={user}",
              f"Action=ListUserTags&Version=2010-05-08&UserName={user}"]

    def one(k):
        conns[k].request("POST", "/", body=bodies[k], headers=hdr)
        r = conns[k].getresponse()
        r.read()

    alone, pair = [], []
    for _ in range(n):
        t = time.perf_counter_ns()
        one(0)
        alone.append((time.perf_counter_ns() - t) / 1e6)
        t = time.perf_counter_ns()
        th = threading.Thread(target=one, args=(1,))
        th.start()
        one(0)
        th.join()
        pair.append((time.perf_counter_ns() - t) / 1e6)
    for c in conns:
        c.close()
    print(f"serve-bench: moto alone answers ListAccessKeys in p50 {pct(alone, 50):.2f} ms, and "
          f"it with ListUserTags sent together in p50 {pct(pair, 50):.2f} ms ({n} each)",
          flush=True)


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")


def rss_kb(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    riposte = os.path.abspath(sys.argv[1])
    n_inc = int(os.environ.get("SERVE_INCIDENTS", "1000"))
    rate = int(os.environ.get("SERVE_RATE", "1000"))
    soak = int(os.environ.get("SERVE_SOAK", "300"))
    tmp = tempfile.mkdtemp(prefix="riposte-serve-bench-")
    procs = []
    try:
        mport = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1",
                                       "-p", str(mport)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        for _ in range(150):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{mport}/moto-api/", timeout=1)
                break
            except Exception:
                time.sleep(0.2)
        proxy = Proxy(mport)
        import boto3
        iam = boto3.client("iam", endpoint_url=f"http://127.0.0.1:{mport}", region_name="us-east-1",
                           aws_access_key_id="testing", aws_secret_access_key="testingsecret")
        total = 2 * n_inc
        users = []
        t = time.time()
        for i in range(total):
            u = f"bench-user-{i}"
            iam.create_user(UserName=u)
            users.append((u, iam.create_access_key(UserName=u)["AccessKey"]["AccessKeyId"]))
        print(f"serve-bench: {total} IAM users with keys created in moto in "
              f"{time.time() - t:.1f} s", flush=True)
        moto_floor(mport, users[0][0])
        db = os.path.join(tmp, "bench.db")
        cfg = os.path.join(tmp, "riposte.yaml")
        with open(cfg, "w") as f:
            f.write(f"""server:
  listen: 127.0.0.1:8088
  max_body: 16MiB
store:
  path: {db}
aws:
  region: us-east-1
  endpoint_url: http://127.0.0.1:{proxy.port}
routes:
  - name: all
    default: true
    playbooks: [compromised-access-key]
    mode: auto
safety:
  max_destructive_per_hour: 0
api:
  event_keys:
    - name: bench
      key_sha256: {hashlib.sha256(KEY.encode()).hexdigest()}
""")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testingsecret",
                    "AWS_REGION": "us-east-1", "HOME": tmp, "AWS_EC2_METADATA_DISABLED": "true",
                    "AWS_CONFIG_FILE": os.path.join(tmp, "x"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "x"),
                    "XDG_STATE_HOME": tmp})
        log = open(os.path.join(tmp, "serve.log"), "w+")
        serve = subprocess.Popen([riposte, "serve", "--config", cfg, "--port", "0"], env=env,
                                 stdout=subprocess.DEVNULL, stderr=log)
        procs.append(serve)
        port = None
        for _ in range(400):
            log.seek(0)
            m = re.search(r"serving on http://127\.0\.0\.1:(\d+)", log.read())
            if m:
                port = int(m.group(1))
                break
            time.sleep(0.05)
        if not port:
            log.seek(0)
            sys.exit("serve-bench: riposte serve did not start: " + log.read()[-1000:])

        def post(conn, body):
            conn.request("POST", "/v1/events", body=body,
                         headers={"X-API-Key": KEY, "Content-Type": "application/json"})
            r = conn.getresponse()
            r.read()
            return r.status

        posted = {}   # key -> wall-clock ns of its POST

        def measure(label, base):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            lat, change, lost, unseen = [], [], 0, 0
            steps = {}   # (position, AWS action) -> arrival ms after the POST
            for i in range(n_inc):
                user, key = users[base + i]
                posted[key] = (time.time_ns(), label)
                t0 = time.perf_counter_ns()
                st = post(conn, finding(base + i, key, user))
                arr = proxy.wait(key) if st == 202 else None
                if arr is None:
                    lost += 1
                    continue
                with proxy.cond:
                    first = proxy.first.get(user)
                    seq = [(a, (t - t0) / 1e6) for t, a in proxy.trace if t0 <= t <= arr]
                if first is None or first < t0:   # cannot be: the change names the user
                    unseen += 1
                    first = arr
                lat.append((first - t0) / 1e6)
                change.append((arr - t0) / 1e6)
                for pos, (a, ms) in enumerate(seq):
                    steps.setdefault((pos, a), []).append(ms)
                # Let the run finish (verify, notify) before the next
                # incident: one incident at a time, not a queue behind it.
                time.sleep(0.05)
            conn.close()
            print(f"  {label:<34} n={len(lat)}  p50 {pct(lat, 50):7.2f} ms  p99 "
                  f"{pct(lat, 99):7.2f} ms  max {max(lat) if lat else float('nan'):7.2f} ms"
                  f"{'  (' + str(lost) + ' never acted on)' if lost else ''}"
                  f"{'  (' + str(unseen) + ' without a first request: counted at the change)' if unseen else ''}",
                  flush=True)
            print(f"    the change (UpdateAccessKey)       p50 {pct(change, 50):7.2f} ms  p99 "
                  f"{pct(change, 99):7.2f} ms  max "
                  f"{max(change) if change else float('nan'):7.2f} ms", flush=True)
            print("    requests reaching the endpoint, median ms after the POST: " + ", ".join(
                f"{a} {pct(v, 50):.2f}" for (pos, a), v in sorted(steps.items())
                if len(v) * 2 >= len(lat)), flush=True)
            return pct(lat, 50), pct(lat, 99), pct(change, 50), pct(change, 99)

        print(f"serve-bench: event POSTed -> first action request at the AWS endpoint "
              f"({n_inc} incidents each)", flush=True)
        idle = measure("idle", 0)
        stop = threading.Event()
        sent = [0]

        def background():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            per = max(1, rate // 20)     # 20 POSTs a second
            i = 0
            next_t = time.perf_counter()
            while not stop.is_set():
                post(conn, benign(per, i))
                sent[0] += per
                i += 1
                next_t += per / rate
                d = next_t - time.perf_counter()
                if d > 0:
                    time.sleep(d)
            conn.close()

        bg = threading.Thread(target=background, daemon=True)
        t_bg = time.time()
        bg.start()
        loaded = measure(f"under {rate} events/s background", n_inc)
        stop.set()
        bg.join()
        bg_rate = sent[0] / (time.time() - t_bg)
        print(f"  (background achieved {bg_rate:.0f} events/s)", flush=True)

        # riposte's own part: POST -> the step's intent committed, just
        # before the action's first call (its reads of the cloud's state,
        # then the change); from the audit log's timestamps (same clock).
        import sqlite3
        own = {}
        con = sqlite3.connect(db)
        for t, det in con.execute("SELECT time_ns, detail FROM audit_log WHERE action = "
                                  "'executing'"):
            k = json.loads(det).get("intent", {}).get("params", {}).get("access_key_id")
            if k in posted:
                own.setdefault(posted[k][1], []).append((t - posted[k][0]) / 1e6)
        con.close()
        print("serve-bench: event POSTed -> the disable-key intent committed (riposte's own "
              "part; the rest is the action reading the cloud's state through the proxy)")
        for label, v in own.items():
            print(f"  {label:<34} n={len(v)}  p50 {pct(v, 50):7.2f} ms  p99 {pct(v, 99):7.2f} ms",
                  flush=True)

        # Soak: sustained ingest and memory.
        print(f"serve-bench: soak for {soak} s, batches of 500 events", flush=True)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        t_end = time.time() + soak
        n, i, samples, anon = 0, 10 ** 6, [], []
        next_sample = time.time()
        t0 = time.time()
        while time.time() < t_end:
            if post(conn, benign(500, i)) == 202:
                n += 500
            i += 1
            if time.time() >= next_sample:
                samples.append(rss_kb(serve.pid))
                anon.append(rss_kb(serve.pid, "RssAnon"))
                next_sample += 10
        el = time.time() - t0
        conn.close()
        hwm = rss_kb(serve.pid, "VmHWM")
        first = samples[: max(1, len(samples) // 5)]
        last = samples[-max(1, len(samples) // 5):]
        print(f"  sustained ingest: {n / el:.0f} events/s ({n} events in {el:.0f} s, one client)")
        print(f"  RSS: first fifth avg {sum(first) / len(first) / 1024:.1f} MB, last fifth avg "
              f"{sum(last) / len(last) / 1024:.1f} MB, peak (VmHWM) {hwm / 1024:.1f} MB "
              f"({len(samples)} samples)")
        print("against the targets of issue 7:")
        print("  event POSTed -> first action request received by the AWS endpoint:")
        for label, (p50, p99, c50, c99) in (("idle", idle), ("loaded", loaded)):
            print(f"  {label:<7} p50 {p50:7.2f} ms  target <= 10 ms  "
                  f"{'ok' if p50 <= 10 else 'MISS'};  p99 {p99:7.2f} ms  target <= 50 ms  "
                  f"{'ok' if p99 <= 50 else 'MISS'}")
        print("  (the change, UpdateAccessKey, after moto has answered both safety reads: "
              + "; ".join(f"{label} p50 {c50:.2f} ms, p99 {c99:.2f} ms"
                          for label, (_, _, c50, c99) in (("idle", idle), ("loaded", loaded)))
              + ")")
        # The caches (64 MiB of SQLite pages per connection, the batch
        # buffers) fill during the first minute: flat means the second fifth
        # of the run and the last fifth agree.
        k = max(1, len(anon) // 5)
        afirst = anon[k: 2 * k] or anon[:1]
        alast = anon[-k:]
        print(f"  RssAnon (heap, without the database's mapped pages): second fifth avg "
              f"{sum(afirst) / len(afirst) / 1024:.1f} MB, last fifth avg "
              f"{sum(alast) / len(alast) / 1024:.1f} MB")
        grow = (sum(alast) / len(alast)) / max(1, sum(afirst) / len(afirst))
        print(f"  RssAnon last/first {grow:.2f}x  target flat (<= 1.2x)  "
              f"{'ok' if grow <= 1.2 else 'MISS'}")
        return 0
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
