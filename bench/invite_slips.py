"""Invite slips: rendering a studio's slips as HTML and as a PDF, with and without QR codes.

    python -m bench.invite_slips [--members 50] [--runs 5]

Renders in this process (what `invite --studio --pdf` and the console do after the codes
are issued and WeChat has answered for the QR codes), at 8 and 10 slips a page. The first
PDF of a process also pays for importing WeasyPrint and loading the CJK fonts: shown apart.
Goal: a studio of 50 under 3 s for its PDF, warm.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.inbound import table
from domain.invites import Slip
from domain.slips import slips_html, slips_pdf
from locales import words_for

NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Shanghai")


def slips(n: int, *, qr: bool) -> list[Slip]:
    return [Slip("陈秀英焊接技能大师工作室", f"焊工{i:02d}", f"C3{i:04d}", f"K{i:07d}",
                 NOW + timedelta(days=14), True,
                 f"http://weixin.qq.com/q/02{i:020d}" if qr else None) for i in range(n)]


def seconds(work: object, runs: int) -> tuple[float, float]:
    """(best, median) of `runs` calls."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=50)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    words = words_for(None)

    t0 = time.perf_counter()
    slips_pdf(slips(1, qr=True), words=words, tz=TZ)
    first = time.perf_counter() - t0
    print(f"first PDF of the process (import WeasyPrint, load fonts; 1 slip): {first:.2f} s\n")

    rows = []
    for per_page in (8, 10):
        for qr in (True, False):
            some = slips(args.members, qr=qr)
            html = seconds(lambda some=some, per_page=per_page: slips_html(
                some, words=words, tz=TZ, per_page=per_page), args.runs)
            pdf = seconds(lambda some=some, per_page=per_page: slips_pdf(
                some, words=words, tz=TZ, per_page=per_page), args.runs)
            size = len(slips_pdf(some, words=words, tz=TZ, per_page=per_page))
            rows.append([str(args.members), str(per_page), "yes" if qr else "no",
                         f"{html[1] * 1000:.0f} ms", f"{pdf[0]:.2f} s", f"{pdf[1]:.2f} s",
                         f"{size / 1024:.0f} KiB"])
    print(table(["members", "a page", "QR", "HTML median", "PDF best", "PDF median", "PDF size"],
                rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
