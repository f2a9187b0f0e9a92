"""harness.py — what the moto-driven integration tests share.

tap-style counting (ok/skip, printed like tests/tap.h), moto's server on a
free loopback port (`python3 -m moto.server`, started and stopped by the
test), where the riposte binary under test is, and how the `riposte serve`
tests run it (its environment, started on a free port, stopped), and the
small local HTTP servers that stand in for services these machines cannot
reach (Slack, PagerDuty, SNS's certificate host).
"""
import hashlib
import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Counts:
    passed = 0
    failed = 0
    skipped = 0


counts = Counts()


def ok(cond, name, why=""):
    if cond:
        counts.passed += 1
        print(f"ok - {name}", flush=True)
    else:
        counts.failed += 1
        print(f"not ok - {name}: {why}", flush=True)
    return cond


def skip(name, why):
    counts.skipped += 1
    print(f"skip - {name} # {why}", flush=True)


def summary():
    """Prints the closing count line; returns the exit status."""
    print(f"# {counts.passed} passed, {counts.failed} failed, {counts.skipped} skipped")
    return 1 if counts.failed else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """moto's server on a free loopback port; extra_env for its settings
    (e.g. INITIAL_NO_AUTH_ACTION_COUNT)."""

    def __init__(self, extra_env=None):
        self.port = free_port()
        env = dict(os.environ)
        env.update(extra_env or {})
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                urllib.request.urlopen(self.url + "/moto-api/", timeout=1)
                return
            except Exception:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("moto server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def riposte_binary():
    """argv[1], else $RIPOSTE, else build/riposte next to the source tree."""
    if len(sys.argv) > 1:
        return sys.argv[1]
    if os.environ.get("RIPOSTE"):
        return os.environ["RIPOSTE"]
    return os.path.join(ROOT, "build", "riposte")


def serve_env(tmp, extra=None):
    """The environment `riposte serve` runs with in the tests: no AWS_*
    variable or RIPOSTE_DB from outside, moto's test credentials, no AWS
    config files, HOME and the state folder under tmp; extra on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.pop("RIPOSTE_DB", None)
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testingsecret",
                "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                "HOME": tmp, "XDG_STATE_HOME": os.path.join(tmp, "state"),
                "AWS_CONFIG_FILE": os.path.join(tmp, "none"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(tmp, "none")})
    env.update(extra or {})
    return env


def start_serve(riposte, cfg, env, log_path, timeout=30, scheme="http"):
    """Starts `riposte serve --config cfg --port 0`, its stderr to log_path,
    and waits for it to say where it serves. Returns (proc, port, log file);
    port is None when it did not (the log says why)."""
    log = open(log_path, "w+")
    proc = subprocess.Popen([riposte, "serve", "--config", cfg, "--port", "0"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)
    pattern = r"serving on " + scheme + r"://127\.0\.0\.1:(\d+)"
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        log.seek(0)
        m = re.search(pattern, log.read())
        if m:
            return proc, int(m.group(1)), log
        time.sleep(0.05)
    log.seek(0)
    return proc, None, log


def stop_serve(proc, timeout=20):
    """SIGTERM, then the exit status (None when it had to be killed)."""
    if proc is None or proc.poll() is not None:
        return proc.returncode if proc else None
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return None


def sha(s):
    """SHA-256 of s as hex: what riposte.yaml holds for tokens and keys."""
    return hashlib.sha256(s.encode()).hexdigest()


def call(method, url, body=None, headers=None, timeout=20):
    """One HTTP request; (status, body text), an error status included."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A stub server's request handler that logs nothing."""

    def log_message(self, *a):
        pass

    def reply(self, status, data=b"", ctype="application/json"):
        """Answers with status and data (bytes) as its whole body."""
        self.send_response(status)
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:
            self.wfile.write(data)


def serve_http(handler):
    """Serves handler (a QuietHandler subclass) on a free loopback port in a
    daemon thread; returns the server (port: server_address[1];
    stop with shutdown())."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv
