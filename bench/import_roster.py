"""Roster import at union scale: 50,000 members in 2,000 studios, with mentor pairs.

    python -m bench.import_roster [--members 50000] [--studios 2000] [--postgres URL]

Runs `workshop-bot import-roster` as a subprocess on a fresh database (the embedded
SQLite by default), then again on the same file (nothing to change), and prints the
times. The goal: the first import in under 60 s on SQLite.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_roster(path: Path, members: int, studios: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["studio", "name", "employee_no", "role", "mentor_employee_no", "phone"])
        w.writerow(["", "管理员", "A000001", "admin", "", "13800000000"])
        per = max(members // studios, 3)
        for i in range(members - 1):
            s = i // per
            first = s * per
            role = "leader" if i == first else "member"
            # Every third member is the apprentice of the studio's second member.
            mentor = f"E{first + 1:07d}" if i % 3 == 2 and i > first + 1 else ""
            w.writerow([f"第{s:04d}创新工作室", f"职工{i:05d}", f"E{i:07d}", role, mentor,
                        f"139{i:08d}"])


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    summary = proc.stdout.strip().splitlines()[-1]
    return elapsed, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=50_000)
    ap.add_argument("--studios", type=int, default=2_000)
    ap.add_argument("--postgres", metavar="URL", help="also run on this (emptied) PostgreSQL URL")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wb-import-"))
    roster = work / "roster.csv"
    make_roster(roster, args.members, args.studios)
    cli = [sys.executable, "-m", "bot"]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WECHAT_", "DATABASE_URL"))}
    targets = [("SQLite", base)]
    if args.postgres:
        targets.append(("PostgreSQL", {**base, "DATABASE_URL": args.postgres}))
    rows = []
    for label, env in targets:
        if label == "PostgreSQL":
            subprocess.run([*cli, "db", "upgrade"], cwd=work, env=env, check=True,
                           capture_output=True)
        first, summary = timed([*cli, "import-roster", str(roster)], work, env)
        again, summary2 = timed([*cli, "import-roster", str(roster)], work, env)
        rows.append((label, first, again, summary, summary2))
    print(f"\nroster import: {args.members:,} lines, {args.studios:,} studios "
          "(times include process start-up)")
    print(f"{'database':>10}  {'first import':>12}  {'re-import':>9}  lines/s (first)")
    for label, first, again, _s, _s2 in rows:
        print(f"{label:>10}  {first:>11.1f}s  {again:>8.1f}s  {args.members / first:>10,.0f}")
    for label, _f, _a, summary, summary2 in rows:
        print(f"{label} first:  {summary}\n{label} second: {summary2}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
