"""A small typed use of the public API; mypy checks it against thresholds/__init__.pyi."""

from typing import Any, Dict, List, Optional

import thresholds


def levels(rs: thresholds.Ruleset, referrals: List[Dict[str, Any]]) -> List[Optional[str]]:
    return [d.level for d in rs.evaluate_many(referrals)]


def first_question(d: thresholds.Decision) -> Optional[str]:
    return d.missing[0]["question"] if d.missing else None


def check(text: str) -> List[str]:
    try:
        thresholds.Ruleset.from_source(text)
    except thresholds.RuleError as e:
        return [f"{d.file}:{d.line}:{d.column}: {d.code}" for d in e.diagnostics]
    return []


rs: thresholds.Ruleset = thresholds.default()
d: thresholds.Decision = rs.evaluate({"age_years": 9})
pathways: List[str] = d.pathways
report: thresholds.TestReport = rs.test()
ok: bool = report.ok
cmp: thresholds.Comparison = thresholds.compare(rs, rs, [{"age_years": 9}])
n: int = len(cmp.changes)
