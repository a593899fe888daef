"""Generates invented referrals for analysis examples and benchmarks. Seeded: the same seed
gives the same referrals. No real child's data is used or resembled.

The referrals follow the facts a rule set declares (so they stay valid when the rules change):
most answers are the ordinary one, a few show a concern, and a small share are unknown.

    python generate_referrals.py --count 20000 --seed 2026 --out referrals.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any, Dict, List, Optional

import thresholds


def _value(rnd: random.Random, fact: Dict[str, Any]) -> Any:
    t = fact["type"]
    if t == "bool":
        return rnd.random() < 0.05
    if t == "int":
        lo, hi = fact["min"], fact["max"]
        if fact["id"] == "age_years":
            return rnd.randint(lo, min(hi, 17)) if rnd.random() < 0.95 else rnd.randint(lo, hi)
        return lo if rnd.random() < 0.85 else rnd.randint(lo, min(hi, lo + 8))
    if t == "enum":
        codes = fact["values"]
        return codes[0] if rnd.random() < 0.85 or len(codes) == 1 else rnd.choice(codes[1:])
    codes = fact["values"]
    if rnd.random() < 0.85:
        return []
    return sorted(rnd.sample(codes, rnd.randint(1, min(3, len(codes)))))


def generate(
    count: int = 20_000,
    ruleset: Optional[thresholds.Ruleset] = None,
    seed: int = 2026,
    unknown: float = 0.015,
) -> List[Dict[str, Any]]:
    """`count` invented referrals as facts dicts; each fact is left out (unknown) with
    probability `unknown`."""
    rs = ruleset if ruleset is not None else thresholds.default()
    facts = rs.facts
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        r: Dict[str, Any] = {}
        for f in facts:
            v = _value(rnd, f)
            if rnd.random() >= unknown:
                r[f["id"]] = v
        out.append(r)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--rules", help="a .thr file or directory (default: the shipped rules)")
    ap.add_argument("--out", help="JSON Lines file (default: standard output)")
    args = ap.parse_args(argv)
    rs = thresholds.Ruleset.from_path(args.rules) if args.rules else thresholds.default()
    lines = (json.dumps(r, separators=(",", ":")) + "\n" for r in generate(args.count, rs, args.seed))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.writelines(lines)
    else:
        sys.stdout.writelines(lines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
