"""harness.py — what the moto-driven integration tests share.

tap-style counting (ok/skip, printed like tests/tap.h), moto's server on a
free loopback port (`python3 -m moto.server`, started and stopped by the
test), and where the riposte binary under test is.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
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
