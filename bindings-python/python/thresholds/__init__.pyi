# Type stub of the `thresholds` package (the public API). Checked by mypy in the test run and
# against the runtime module by tests/test_stubs.py.
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Literal, Optional, Tuple, TypedDict, Union

from typing_extensions import NotRequired



__all__ = [
    "Change",
    "Comparison",
    "Decision",
    "Diagnostic",
    "FactsError",
    "RuleError",
    "Ruleset",
    "TestReport",
    "ThresholdsError",
    "compare",
    "default",
]

# <generated> from the engine's Rust types by tests/src/types.rs: do not edit by hand
# A decision: the level, what to do, why, and what is still unknown.
DecisionDict = TypedDict("DecisionDict", {
    "level": Optional[str],
    "could_reach": NotRequired[str],
    "advisory": NotRequired[bool],
    "escalation": NotRequired[Escalated],
    "pathways": List[str],
    "exploitation": Dict[str, str],
    "status": Status,
    "missing": List[Missing],
    "reasons": List[Reason],
    "questions": NotRequired[List[Question]],
    "summary": NotRequired[Summary],
    "explain": NotRequired[Explanation],
    "ruleset": RulesetRef,
})

# An escalation as the decision records it.
Escalated = TypedDict("Escalated", {
    "level": str,
    "reason": str,
    "from": Optional[str],
    "raised": bool,
})

# Whether unknown facts could still change the decision.
Status = Literal["complete", "provisional"]

# An unknown fact that could change the decision.
Missing = TypedDict("Missing", {
    "fact": str,
    "question": str,
    "changes": MissingChanges,
})

# What an unknown fact could change: the level, and which pathways it could add or remove.
MissingChanges = TypedDict("MissingChanges", {
    "level": bool,
    "pathways": List[str],
})

# One fired rule (or matrix result) and why.
Reason = TypedDict("Reason", {
    "rule": str,
    "title": NotRequired[str],
    "set": Effects,
    "facts": Dict[str, Optional[FactValue]],
    "guidance": NotRequired[str],
    "citation": NotRequired[str],
    "reason": str,
})

# What a fired rule set.
Effects = TypedDict("Effects", {
    "level": NotRequired[str],
    "exact": NotRequired[bool],
    "pathways": NotRequired[List[str]],
    "exploitation": NotRequired[Dict[str, str]],
    "advisory": NotRequired[bool],
})

# A fact's value in JSON, for the hosts' generated types: a bool, a whole number, an enum code
# or a set's codes. Facts travel as JSON values; this type only describes them.
FactValue = Union[bool, int, str, List[str]]

# An unanswered question that could still change the decision.
Question = TypedDict("Question", {
    "id": str,
    "text": str,
    "kind": QuestionKind,
    "facts": List[str],
    "items": NotRequired[List[QuestionItem]],
    "changes": MissingChanges,
})

# What kind of control a question is answered with.
QuestionKind = Literal["yes_no", "choice", "number", "checklist", "areas"]

# One item of a checklist or the triage question.
QuestionItem = TypedDict("QuestionItem", {
    "id": str,
    "text": str,
    "facts": List[str],
    "code": NotRequired[str],
})

# What a practitioner reads about a decision, worded once for every host.
Summary = TypedDict("Summary", {
    "level": str,
    "status": str,
    "advisory": NotRequired[str],
    "escalation": NotRequired[str],
    "pathways": List[SummaryLine],
    "exploitation": List[SummaryLine],
    "reasons": List[SummaryReason],
    "answers": List[SummaryLine],
    "missing": List[SummaryLine],
    "ask": List[SummaryAsk],
    "ruleset": str,
    "advice": str,
    "text": str,
})

# One line of a summary: what it is about (an id), its label, and its text.
SummaryLine = TypedDict("SummaryLine", {
    "id": str,
    "label": str,
    "text": str,
})

# Why: one fired rule.
SummaryReason = TypedDict("SummaryReason", {
    "rule": str,
    "title": str,
    "reason": str,
    "citation": NotRequired[str],
    "facts": List[str],
})

# A question to ask next.
SummaryAsk = TypedDict("SummaryAsk", {
    "id": str,
    "question": str,
    "text": str,
    "items": List[str],
})

# What would change a decision.
Explanation = TypedDict("Explanation", {
    "from": str,
    "raise": List[ExplainTarget],
    "lower": NotRequired[ExplainTarget],
    "unavailable": NotRequired[str],
})

# One level and the ways to reach it.
ExplainTarget = TypedDict("ExplainTarget", {
    "level": str,
    "label": str,
    "ways": List[ExplainWay],
    "more": int,
    "truncated": NotRequired[bool],
})

# Change sets with the same effect: the same rules would start (to raise) or stop (to lower)
# deciding the level.
ExplainWay = TypedDict("ExplainWay", {
    "title": str,
    "rules": List[str],
    "exploitation": Dict[str, str],
    "sets": List[List[ExplainChange]],
    "more": int,
})

# One fact's new answer.
ExplainChange = TypedDict("ExplainChange", {
    "fact": str,
    "value": FactValue,
    "up_to": NotRequired[int],
    "from": NotRequired[FactValue],
    "text": str,
})

# Which rule set made a decision.
RulesetRef = TypedDict("RulesetRef", {
    "name": str,
    "version": str,
    "hash": str,
})

# A declared fact, for building forms.
FactInfo = TypedDict("FactInfo", {
    "id": str,
    "type": str,
    "min": NotRequired[int],
    "max": NotRequired[int],
    "values": NotRequired[List[str]],
    "question": str,
    "help": NotRequired[str],
    "domain": NotRequired[str],
    "benign": NotRequired[FactValue],
})

# What a rule set contains.
RulesetInfo = TypedDict("RulesetInfo", {
    "name": str,
    "version": str,
    "hash": str,
    "levels": List[LevelInfo],
    "pathways": List[PathwayInfo],
    "matrices": List[MatrixInfo],
    "guidance": List[GuidanceInfo],
    "rules": int,
})

# A level.
LevelInfo = TypedDict("LevelInfo", {
    "id": str,
    "label": str,
    "pathways": List[str],
})

# A pathway.
PathwayInfo = TypedDict("PathwayInfo", {
    "id": str,
    "label": str,
    "todo": str,
})

# A matrix.
MatrixInfo = TypedDict("MatrixInfo", {
    "id": str,
    "label": str,
    "categories": List[str],
    "facts": List[str],
})

# A guidance document.
GuidanceInfo = TypedDict("GuidanceInfo", {
    "id": str,
    "title": str,
})

# One diagnostic as JSON: the `DetailedError` shape every binding returns.
DetailedError = TypedDict("DetailedError", {
    "code": str,
    "message": str,
    "severity": str,
    "help": NotRequired[str],
    "fact": NotRequired[str],
    "file": NotRequired[str],
    "line": NotRequired[int],
    "column": NotRequired[int],
    "related": NotRequired[List[str]],
})

# What changes when `new` replaces `old`, over a set of referrals.
ComparisonDict = TypedDict("ComparisonDict", {
    "total": int,
    "changed": int,
    "transitions": List[Transition],
    "pathways": List[PathwayChange],
    "changes": List[ComparisonChange],
})

# How many referrals go from one level to another.
Transition = TypedDict("Transition", {
    "from": Optional[str],
    "to": Optional[str],
    "count": int,
})

# How many referrals gain or lose one pathway.
PathwayChange = TypedDict("PathwayChange", {
    "pathway": str,
    "added": int,
    "removed": int,
})

# One referral whose level or pathways change.
ComparisonChange = TypedDict("ComparisonChange", {
    "index": int,
    "facts": Dict[str, FactValue],
    "old": DecisionDict,
    "new": DecisionDict,
})

# </generated>

@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, with where it is."""

    code: str
    message: str
    severity: str
    help: Optional[str] = None
    fact: Optional[str] = None
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    related: List[str] = field(default_factory=list)
    def to_dict(self) -> Dict[str, Any]: ...

class ThresholdsError(Exception):
    code: Optional[str]
    fact: Optional[str]
    kind: str
    error_class: str
    """The engine's class of the failure: ``rules_syntax``, ``facts_invalid``, ``request``, ..."""
    json: str
    """The error as JSON, the same in every binding: ``kind``, ``class``, ``code``, ``message``, ``diagnostics``."""
    diagnostics: List[Diagnostic]

class RuleError(ThresholdsError): ...

class FactsError(ThresholdsError):
    row: int

class RequestError(ThresholdsError): ...

class Decision:
    """A decision: the level, what to do, why, and what is still unknown."""

    @property
    def level(self) -> Optional[str]: ...
    @property
    def could_reach(self) -> Optional[str]: ...
    @property
    def escalation(self) -> Optional[Escalated]:
        """The practitioner's escalation: ``{level, reason, from, raised}``, or None."""
        ...
    @property
    def pathways(self) -> List[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def missing(self) -> List[Missing]: ...
    @property
    def reasons(self) -> List[Reason]: ...
    @property
    def exploitation(self) -> Dict[str, str]: ...
    @property
    def ruleset(self) -> RulesetRef: ...
    def to_dict(self) -> DecisionDict: ...
    def to_json(self) -> str: ...
    def summary(self) -> str:
        """The practitioner's summary as plain text (the CLI's, and the checker's "copy summary").
        Raises ``RequestError`` for a decision made with ``reasons=False``."""
        ...
    def _repr_html_(self) -> Optional[str]: ...

class TestReport:
    results: List[Dict[str, Any]]
    unfired_rules: List[str]
    def __init__(self, results: List[Dict[str, Any]], unfired_rules: List[str]) -> None: ...
    @property
    def passed(self) -> int: ...
    @property
    def failed(self) -> int: ...
    @property
    def ok(self) -> bool: ...

Facts = Dict[str, Any]

class Ruleset:
    """A checked, compiled rule set. Immutable, thread-safe, picklable."""

    def __init__(self, files: Union[List[Tuple[str, str]], bytes]) -> None: ...
    @classmethod
    def from_source(cls, text: str, name: str = ...) -> "Ruleset": ...
    @classmethod
    def from_sources(cls, files: Iterable[Tuple[str, str]]) -> "Ruleset": ...
    @classmethod
    def from_precompiled(cls, data: bytes) -> "Ruleset": ...
    def to_precompiled(self) -> bytes:
        """The rule set precompiled, for :meth:`from_precompiled` (this engine version only)."""
        ...
    @classmethod
    def from_path(cls, path: Union[str, Path]) -> "Ruleset": ...
    def questions(self, facts: Facts, *, answered: List[str] = ...) -> List[Question]:
        """The unanswered questions that could still change the decision, best first."""
        ...
    def answer(
        self, facts: Facts, question: str, answer: Any, *, answered: List[str] = ...
    ) -> Facts:
        """The facts with an answer to one open question applied."""
        ...
    def interview(self, facts: Facts) -> Dict[str, Any]:
        """The interview protocol on one child's truth: answers to a final level and to complete."""
        ...
    def evaluate(
        self,
        facts: Facts,
        *,
        reasons: bool = ...,
        missing: bool = ...,
        escalate: Optional[Tuple[str, str]] = ...,
        questions: bool = ...,
        answered: List[str] = ...,
        summary: bool = ...,
        explain: bool = ...,
    ) -> Decision: ...
    def evaluate_json(
        self,
        facts_json: str,
        *,
        reasons: bool = ...,
        missing: bool = ...,
        request: Optional[str] = ...,
    ) -> str: ...
    def evaluate_many(
        self, records: Any, *, reasons: bool = ..., missing: bool = ..., threads: int = ...
    ) -> List[Decision]: ...
    def evaluate_frame(
        self, df: Any, *, missing: bool = ..., strict: bool = ..., threads: int = ...
    ) -> Any:
        """A DataFrame (same index) with columns ``level`` (ordered categorical of level ids),
        ``pathways`` (tuples of pathway ids), ``status`` (categorical) and ``missing`` (tuples
        of fact ids); identical for any ``threads``."""
        ...
    def test(self) -> TestReport: ...
    @property
    def facts(self) -> List[FactInfo]: ...
    @property
    def info(self) -> RulesetInfo: ...
    @property
    def files(self) -> List[Tuple[str, str]]: ...
    @property
    def warnings(self) -> List[Diagnostic]: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def hash(self) -> str: ...

def default() -> Ruleset: ...

class Change:
    index: Any
    record: Dict[str, Any]
    old: Decision
    new: Decision

class Comparison:
    total: int
    changes: List[Change]
    transitions: Dict[Tuple[Optional[str], Optional[str]], int]
    levels: List[str]
    pathways: Dict[str, Tuple[int, int]]
    def transition_table(self) -> Any: ...
    def to_frame(self) -> Any: ...
    def _repr_html_(self) -> str: ...

def compare(old: Ruleset, new: Ruleset, records: Any, *, threads: int = ...) -> Comparison: ...
