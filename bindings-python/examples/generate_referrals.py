"""Generates invented referrals for analysis examples and benchmarks. Seeded: the same seed
gives the same referrals. No real child's data is used or resembled.

The referrals follow the facts a rule set declares (so they stay valid when the rules change),
and a year of them is spread over the levels as referrals to children's social care are in
England. The proportions come from the Department for Education's *Children in need* statistics
for the reporting year 2023 (1 April 2022 to 31 March 2023): 640,430 referrals, of which 7.1%
led to no further action and 29.9% to an assessment that found the child not in need, and about
225,000 section 47 enquiries (217,800 in 2021-22, up 3.5%), about 35% of referrals. Read as
levels of need: no further action is universal (7%), assessed and not in need is early help
(30%), a section 47 enquiry is acute (35%), and the rest were in need without one, complex (28%).

How: each referral is first drawn as one of the levels (weights `LEVEL_WEIGHTS`), then given
one to three concerns: one that on its own puts a child of that age at that level, and others
that on their own sit at or below it (what each answer leads to alone is asked of the rules, so
it follows them). Together, concerns can step a referral up, as the threshold means them to;
the weights allow for that, so the decided levels land near the published shares (a test
checks they are within 3 points). Ages are spread evenly over 0-17, with a few older; a small
share of answers is left out (unknown).

    python generate_referrals.py --count 20000 --seed 2026 --out referrals.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any, Dict, List, Optional, Tuple

import thresholds

#: The published shares the generator aims at, by level rank (lowest first).
TARGET_SHARES = (0.07, 0.30, 0.28, 0.35)
#: The level each referral is drawn as, before its concerns step any of them up.
LEVEL_WEIGHTS = (0.062, 0.332, 0.257, 0.349)

Concern = Tuple[str, Any]


def _ordinary(fact: Dict[str, Any]) -> Any:
    """The answer that raises no concern."""
    t = fact["type"]
    if t == "bool":
        return False
    if t == "set":
        return []
    if t == "int":
        return fact["min"]
    return fact.get("benign") or fact["values"][0]


def _concerns(fact: Dict[str, Any]) -> List[Any]:
    """The answers of a fact that raise a concern."""
    t = fact["type"]
    if t == "bool":
        return [True]
    if t == "set":
        return [[c] for c in fact["values"]]
    if t == "int":
        lo, hi = fact["min"], fact["max"]
        return [v for v in (lo + 1, lo + 2, lo + 4) if v <= hi]
    return [c for c in fact["values"] if c != _ordinary(fact)]


def _by_level(rs: thresholds.Ruleset, ages: List[int]) -> Dict[int, List[List[Concern]]]:
    """Per age, per level rank (0: no level): the concerns that alone lead there."""
    facts = [f for f in rs.facts if f["id"] != "age_years"]
    base = {f["id"]: _ordinary(f) for f in facts}
    levels = [lv["id"] for lv in rs.info["levels"]]
    cases: List[Tuple[int, Concern]] = []
    records = []
    for age in ages:
        for f in facts:
            for v in _concerns(f):
                cases.append((age, (f["id"], v)))
                records.append({**base, "age_years": age, f["id"]: v})
    out = {age: [[] for _ in range(len(levels) + 1)] for age in ages}
    for (age, c), d in zip(cases, rs.evaluate_many(records, reasons=False, missing=False)):
        rank = levels.index(d.level) + 1 if d.level in levels else 0
        out[age][rank].append(c)
    return out


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
    age_fact = next((f for f in facts if f["id"] == "age_years"), None)
    lo, hi = (age_fact["min"], age_fact["max"]) if age_fact else (0, 0)
    ages = list(range(lo, hi + 1))
    pools = _by_level(rs, ages)
    n_levels = len(rs.info["levels"])
    weights = list(LEVEL_WEIGHTS[:n_levels]) or [1.0]
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        age = rnd.randint(lo, min(hi, 17)) if rnd.random() < 0.95 else rnd.randint(lo, hi)
        pool = pools[age]
        rank = rnd.choices(range(1, len(weights) + 1), weights=weights)[0]
        # Fall back to the nearest lower level that some concern reaches alone at this age.
        while rank > 1 and not pool[rank]:
            rank -= 1
        chosen: List[Concern] = []
        if rank > 1:
            chosen.append(rnd.choice(pool[rank]))
        below = [c for r in range(0, rank + 1) for c in pool[r]]
        for _ in range(rnd.choice((0, 0, 1, 2))):
            if below:
                chosen.append(rnd.choice(below))
        r: Dict[str, Any] = {f["id"]: _ordinary(f) for f in facts}
        if age_fact:
            r["age_years"] = age
        for fid, v in chosen:
            if isinstance(v, list):
                r[fid] = sorted(set(r[fid]) | set(v))
            else:
                r[fid] = v
        out.append({k: v for k, v in r.items() if rnd.random() >= unknown})
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
