# Type stub of the `thresholds` package (the public API). Checked by mypy in the test run and
# against the runtime module by tests/test_stubs.py.
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple, TypedDict, Union



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

class MissingChanges(TypedDict):
    level: bool
    pathways: List[str]

class Missing(TypedDict):
    fact: str
    question: str
    changes: MissingChanges

class RulesetRef(TypedDict):
    name: str
    version: str
    hash: str

class Diagnostic:
    """One error or warning, with where it is."""

    def __init__(
        self,
        code: str,
        message: str,
        severity: str,
        help: Optional[str] = ...,
        fact: Optional[str] = ...,
        file: Optional[str] = ...,
        line: Optional[int] = ...,
        column: Optional[int] = ...,
        related: List[str] = ...,
    ) -> None: ...

    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def help(self) -> Optional[str]: ...
    @property
    def fact(self) -> Optional[str]: ...
    @property
    def file(self) -> Optional[str]: ...
    @property
    def line(self) -> Optional[int]: ...
    @property
    def column(self) -> Optional[int]: ...
    @property
    def related(self) -> List[str]: ...
    def to_dict(self) -> Dict[str, Any]: ...

class ThresholdsError(Exception):
    code: Optional[str]
    fact: Optional[str]
    kind: str
    error_class: str
    """The engine's class of the failure: ``rules_syntax``, ``facts_invalid``, ``request``, ..."""
    json: Optional[str]
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
    def escalation(self) -> Optional[Dict[str, Any]]:
        """The practitioner's escalation: ``{level, reason, from, raised}``, or None."""
        ...
    @property
    def pathways(self) -> List[str]: ...
    @property
    def status(self) -> str: ...
    @property
    def missing(self) -> List[Missing]: ...
    @property
    def reasons(self) -> List[Dict[str, Any]]: ...
    @property
    def exploitation(self) -> Dict[str, str]: ...
    @property
    def ruleset(self) -> RulesetRef: ...
    def to_dict(self) -> Dict[str, Any]: ...
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

    def __init__(self, files: List[Tuple[str, str]]) -> None: ...
    @classmethod
    def from_source(cls, text: str, name: str = ...) -> "Ruleset": ...
    @classmethod
    def from_sources(cls, files: Iterable[Tuple[str, str]]) -> "Ruleset": ...
    @classmethod
    def from_path(cls, path: Union[str, Path]) -> "Ruleset": ...
    def questions(self, facts: Facts, *, answered: List[str] = ...) -> List[Dict[str, Any]]:
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
    def facts(self) -> List[Dict[str, Any]]: ...
    @property
    def info(self) -> Dict[str, Any]: ...
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
