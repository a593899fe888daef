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

# The decision's parts are typed by the stub's generated TypedDicts.
rules_fired: List[str] = [r["rule"] for r in d.reasons]
read: Dict[str, Optional[thresholds.FactValue]] = d.reasons[0]["facts"] if d.reasons else {}
esc = d.escalation
raised: Optional[bool] = esc["raised"] if esc else None
first_fact: str = rs.facts[0]["id"]
level_ids: List[str] = [lv["id"] for lv in rs.info["levels"]]
as_dict: thresholds.DecisionDict = d.to_dict()
status: str = as_dict["status"]
