"""Start-up costs: importing the app, `workshop-bot --help`, and `serve` until ready.

    python -m bench.startup [--runs 5]

Each is a fresh process; the table shows the best and the median of the runs.
Targets: import and --help under 1 s, serve ready under 2 s on the embedded default.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def import_seconds() -> float:
    code = "import time; t=time.perf_counter(); import bot.app, handlers; print(time.perf_counter()-t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


def help_seconds() -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bot", "--help"], capture_output=True, check=True)
    return time.perf_counter() - t0


def serve_seconds() -> float:
    """From exec to the "ready" line, on a fresh embedded database (migrations included)."""
    work = tempfile.mkdtemp(prefix="wb-start-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(free_port())],
        cwd=Path(work), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if "ready" in line:
                return time.perf_counter() - t0
        raise SystemExit("serve exited before it was ready")
    finally:
        proc.terminate()
        proc.wait()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    rows = []
    for label, fn, target in (("import bot.app + handlers", import_seconds, 1.0),
                              ("workshop-bot --help", help_seconds, 1.0),
                              ("serve → ready (fresh SQLite)", serve_seconds, 2.0)):
        times = [fn() for _ in range(args.runs)]
        rows.append((label, min(times), statistics.median(times), target))
    print(f"\nstart-up, {args.runs} fresh processes each")
    print(f"{'what':<30} {'best':>7} {'median':>7} {'target':>7}")
    for label, best, median, target in rows:
        print(f"{label:<30} {best:>6.2f}s {median:>6.2f}s {target:>6.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
