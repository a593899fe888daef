"""Measures, in one run: evaluate_frame over 100,000 invented referrals (referrals per second,
and the ratio against a Python loop calling evaluate one dict at a time), and the latency of a
single evaluate call.

    python bench/bench.py [--rows 100000] [--rules PATH] [--loop-sample 5000]

The loop is timed on a sample and scaled per referral. Figures are printed for the full
decision (with the exact missing-fact analysis) and with `missing=False`.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import pandas as pd

import thresholds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
from generate_referrals import generate  # noqa: E402


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f} referrals/s"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rules", help="a .thr file or directory (default: the shipped rules)")
    ap.add_argument("--loop-sample", type=int, default=5_000)
    ap.add_argument("--unknown", type=float, default=0.015, help="share of facts left unknown")
    args = ap.parse_args()
    rs = thresholds.Ruleset.from_path(args.rules) if args.rules else thresholds.default()
    records = generate(args.rows, rs, seed=1, unknown=args.unknown)
    df = pd.DataFrame(records)
    print(f"rule set: {rs.name} {rs.version}; {len(rs.facts)} facts; {args.rows:,} referrals; "
          f"{os.cpu_count()} cores; {args.unknown:.1%} of facts unknown")

    sample = records[: args.loop_sample]
    for missing in (True, False):
        t = time.perf_counter()
        rs.evaluate_frame(df, missing=missing)
        frame_s = time.perf_counter() - t
        t = time.perf_counter()
        for r in sample:
            rs.evaluate(r, missing=missing)
        loop_per = (time.perf_counter() - t) / len(sample)
        label = "full decision" if missing else "missing=False"
        print(f"[{label}] evaluate_frame: {frame_s:.3f} s, {rate(args.rows, frame_s)}; "
              f"Python loop of evaluate: {1 / loop_per:,.0f} referrals/s; "
              f"ratio {loop_per * args.rows / frame_s:.1f}x")

    # Where the frame's time goes: handing the columns over (Python), then converting and
    # evaluating (native), on one thread and on every core.
    import numpy as np

    from thresholds import _column

    t = time.perf_counter()
    columns = [_column(str(name), df[name], np, pd) for name in df.columns]
    prep_s = time.perf_counter() - t
    for missing in (True, False):
        times = []
        for threads in (1, 0):
            t = time.perf_counter()
            rs._evaluate_columns(len(df), columns, missing=missing, threads=threads)
            times.append(time.perf_counter() - t)
        label = "full decision" if missing else "missing=False"
        print(f"[{label}] breakdown: columns handed over in {prep_s:.3f} s; native conversion "
              f"and evaluation {times[0]:.3f} s on 1 thread, {times[1]:.3f} s on every core")

    one = records[0]
    for label, kw in (("full decision", {}), ("missing=False", {"missing": False}),
                      ("missing=False, reasons=False", {"missing": False, "reasons": False})):
        n = 20_000
        t = time.perf_counter()
        for _ in range(n):
            rs.evaluate(one, **kw)
        print(f"single evaluate ({label}): {(time.perf_counter() - t) / n * 1e6:.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
