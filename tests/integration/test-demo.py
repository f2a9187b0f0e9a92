#!/usr/bin/env python3
"""test-demo.py — `make demo`'s story stays true: scripts/demo-story.py runs
against moto and the real `riposte serve`, the mining instance ends
quarantined and terminated (the script reads it back with the AWS CLI), the
timeline shows the playbook, and the last line is `alert-to-fix: N ms`.

Usage: test-demo.py [RIPOSTE_BINARY]. Prints tap lines; exits 1 on failure.
"""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from harness import ok, riposte_binary, skip, summary  # noqa: E402


def main():
    try:
        import moto  # noqa: F401
    except ImportError:
        skip("demo story", "moto is not installed")
        return summary()
    p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo-story.py"),
                        riposte_binary()], capture_output=True, text=True, timeout=300)
    out = p.stdout
    ok(p.returncode == 0, "the story runs to the end", (out + p.stderr)[-800:])
    lines = [x for x in out.splitlines() if x.strip()]
    ok(lines and re.fullmatch(r"alert-to-fix: \d+ ms", lines[-1]),
       "it ends with one line 'alert-to-fix: N ms'", lines[-1] if lines else "no output")
    ok(re.search(r"state (shutting-down|terminated), security groups \['riposte-quarantine", out),
       "the mining instance is quarantined and terminated (read back with the AWS CLI)",
       out[-1200:])
    ok("playbook crypto-mining-instance started" in out and "approved by api:dana" in out,
       "the timeline shows the playbook and the press")
    ok("phase contained" in out, "the incident is contained")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
