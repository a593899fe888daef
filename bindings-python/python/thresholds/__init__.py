"""Thresholds: a children's safeguarding threshold of need and exploitation risk matrices,
evaluated by the same engine that every case system and the partnership's website use.

    >>> import thresholds
    >>> rs = thresholds.default()
    >>> d = rs.evaluate({"immediate_danger": True, "age_years": 9})
    >>> d.level, d.pathways[0]

Decisions are advice for professionals: your judgement stands, and you can always escalate.
The engine's semantics live in the Rust core; this package converts values and maps errors.
pandas (for ``evaluate_frame`` and comparison tables) is optional.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from ._thresholds import Request as _Request
from ._thresholds import Ruleset as _NativeRuleset
from ._thresholds import _compare
from ._thresholds import builtin_sources as _builtin_sources

__all__ = [
    "Change",
    "Comparison",
    "Decision",
    "Diagnostic",
    "FactsError",
    "RequestError",
    "RuleError",
    "Ruleset",
    "TestReport",
    "ThresholdsError",
    "compare",
    "default",
]


@dataclass(frozen=True)
class Diagnostic:
    """One error or warning, with where it is."""

    code: str
    """Stable code, e.g. ``thr::facts::unknown_fact``."""
    message: str
    severity: str
    """``error`` or ``warning``."""
    help: Optional[str] = None
    fact: Optional[str] = None
    """The fact a facts error is about."""
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    related: List[str] = field(default_factory=list)
    """Other places involved, as ``file:line:col: note``."""

    def to_dict(self) -> Dict[str, Any]:
        """The diagnostic as a dict (core's diagnostic JSON shape, every key present)."""
        return dataclasses.asdict(self)

    def __hash__(self) -> int:
        return hash((self.code, self.message, self.severity, self.fact, self.file, self.line))

    def __repr__(self) -> str:
        known = None not in (self.file, self.line, self.column)
        place = f" at {self.file}:{self.line}:{self.column}" if known else ""
        return f"<Diagnostic {self.severity} {self.code}{place}: {self.message}>"


class ThresholdsError(Exception):
    """Base class of every error the engine reports. ``.code`` is the first error's stable code;
    ``.json`` the error as every binding gives it, which the other attributes are read from."""

    code: Optional[str]
    fact: Optional[str]
    kind: str
    error_class: str
    json: str
    diagnostics: List[Diagnostic]


class RuleError(ThresholdsError):
    """The rules do not parse or check. ``.diagnostics`` lists every error and warning."""


class FactsError(ThresholdsError):
    """The facts are not valid for the rule set. ``.fact`` names the first fact at fault."""


class RequestError(ThresholdsError):
    """The request is malformed: an escalation to an unknown level or without a reason."""


_ERRORS = {"rules": RuleError, "facts": FactsError, "request": RequestError}


def _error(message: str, text: str) -> ThresholdsError:
    """The exception for one of core's errors (its message and JSON), raised by the extension."""
    body = json.loads(text)
    e = _ERRORS.get(body["kind"], ThresholdsError)(message)
    e.diagnostics = [Diagnostic(**d) for d in body["diagnostics"]]
    first = next((d for d in e.diagnostics if d.severity == "error"), None)
    e.code = first.code if first else None
    e.fact = first.fact if first else None
    e.kind = body["kind"]
    e.error_class = body["class"]
    e.json = text
    return e


@dataclass(frozen=True)
class TestReport:
    """The results of the tests written in rule files."""

    __test__ = False  # not a pytest test class

    results: List[Dict[str, Any]]
    """One result per test: name, file, line, failures (empty when it passed)."""
    unfired_rules: List[str]
    """Rules that no test fires."""

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if not r["failures"])

    @property
    def failed(self) -> int:
        return len(self.results) - self.passed

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def __repr__(self) -> str:
        return f"<TestReport {self.passed} passed, {self.failed} failed, {len(self.unfired_rules)} rules unfired>"


class Decision:
    """A decision: the level, what to do, why, and what is still unknown. It is the engine's
    decision JSON (``to_json``), read on first use; its summary is the engine's too."""

    __slots__ = ("_decided", "_json", "_dict", "_source")

    def __init__(self, decided: Any, source: Tuple["Ruleset", Any, Any]) -> None:
        self._decided = decided  # the engine's decision, until its JSON is read
        self._json: Optional[str] = None
        self._dict: Optional[Dict[str, Any]] = None
        self._source = source  # the rule set, the facts and the request that decided

    def _get(self, key: str) -> Any:
        if self._dict is None:
            self._dict = json.loads(self.to_json())
        return self._dict.get(key)

    level = property(lambda self: self._get("level"), doc="The level's id, or None.")
    could_reach = property(lambda self: self._get("could_reach"),
                           doc="On a provisional decision, the highest level the unknowns could still lead to.")
    status = property(lambda self: self._get("status"), doc="``complete`` or ``provisional``.")
    pathways = property(lambda self: list(self._get("pathways")), doc="Pathway ids, most urgent first.")
    escalation = property(lambda self: self.to_dict().get("escalation"),
                          doc="The practitioner's escalation: ``{level, reason, from, raised}``, or None.")
    missing = property(lambda self: self.to_dict()["missing"],
                       doc="Unknown facts that could change the decision, most decisive first.")
    reasons = property(lambda self: self.to_dict()["reasons"], doc="The rules that fired, with their facts.")
    exploitation = property(lambda self: self.to_dict()["exploitation"],
                            doc="Each matrix's category, e.g. ``{\"cse\": \"medium\"}``.")
    ruleset = property(lambda self: self.to_dict()["ruleset"], doc="The rule set that decided: name, version, hash.")

    def to_dict(self) -> Dict[str, Any]:
        """The decision JSON as a new dict."""
        return json.loads(self.to_json())

    def to_json(self) -> str:
        """The decision JSON (byte-identical to every other host's)."""
        if self._json is None:
            self._json = self._decided.to_json()
        return self._json

    def summary(self) -> str:
        """The practitioner's summary as plain text (the CLI's and the checker's). Raises
        ``RequestError`` for a decision made with ``reasons=False``: a summary says why."""
        rs, facts, request = self._source
        return rs._summary(facts, request, False)

    def _repr_html_(self) -> Optional[str]:
        rs, facts, request = self._source
        try:
            return rs._summary(facts, request, True)
        except RequestError:
            return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decision) and other.to_json() == self.to_json()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Decision level={self.level} pathways=[{', '.join(self.pathways)}] status={self.status}>"


@functools.lru_cache(maxsize=64)
def _request(reasons: bool, missing: bool, questions: bool, summary: bool, explain: bool) -> Any:
    return _Request(json.dumps({"reasons": reasons, "missing": missing, "questions": questions,
                                "summary": summary, "explain": explain}))


class Ruleset(_NativeRuleset):
    """A checked, compiled rule set. Immutable, thread-safe, picklable (rebuilt from sources).

    Build one with :func:`default`, :meth:`from_path`, :meth:`from_source`,
    :meth:`from_sources` or :meth:`from_precompiled`; a rule set that does not parse or check
    raises :class:`RuleError`.
    """

    __slots__ = ()

    @classmethod
    def from_source(cls, text: str, name: str = "inline.thr") -> "Ruleset":
        """A rule set from one rule file's text."""
        return cls([(name, text)])

    @classmethod
    def from_sources(cls, files: Iterable[Tuple[str, str]]) -> "Ruleset":
        """A rule set from ``(file name, text)`` pairs."""
        return cls([(str(n), str(t)) for n, t in files])

    @classmethod
    def from_precompiled(cls, data: bytes) -> "Ruleset":
        """A rule set precompiled by ``thresholds compile`` or :meth:`to_precompiled`, loaded
        without parsing or checking (this engine version only; other bytes raise
        :class:`RuleError` with code ``thr::precompiled::invalid``)."""
        return cls(bytes(data))

    @classmethod
    def from_path(cls, path: Union[str, "Path"]) -> "Ruleset":
        """A rule set from a ``.thr`` file, or from every ``.thr`` file in a directory."""
        p = Path(path)
        if p.is_dir():
            paths = sorted(x for x in p.iterdir() if x.suffix == ".thr" and x.is_file())
            if not paths:
                raise FileNotFoundError(f"no .thr files in {p}")
        else:
            paths = [p]
        return cls([(str(x), x.read_text(encoding="utf-8")) for x in paths])

    @property
    def warnings(self) -> List[Diagnostic]:
        """Warnings found while checking the rules, with their places when the rule set has
        its sources (a precompiled one keeps none)."""
        return [Diagnostic(**d) for d in json.loads(self._warnings)]

    def test(self) -> TestReport:
        """Runs the tests written in the rule files."""
        r = self._run_tests()
        return TestReport(results=r["results"], unfired_rules=r["unfired_rules"])

    def evaluate(
        self,
        facts: Any,
        *,
        reasons: bool = True,
        missing: bool = True,
        escalate: Optional[Tuple[str, str]] = None,
        questions: bool = False,
        answered: Sequence[str] = (),
        summary: bool = False,
        explain: bool = False,
    ) -> Decision:
        """Evaluates one referral's facts (a dict; a missing key, None or NaN is unknown).
        ``escalate=(level, reason)`` applies a practitioner's escalation (the engine's rule: it
        never lowers the level); a bad one raises :class:`RequestError`. ``questions=True`` adds
        the ranked open questions (``answered``: question ids answered); ``summary=True`` adds
        the practitioner's summary to the decision's JSON; ``explain=True`` adds what would
        change the level (per level above, the smallest sets of answers or changes that reach
        it; and what would lower it)."""
        if isinstance(answered, str):
            raise TypeError("answered is a list of question ids, not one string")
        request = _request(reasons, missing, questions, summary, explain)
        if escalate is not None or answered:
            body: Dict[str, Any] = {"reasons": reasons, "missing": missing, "questions": questions,
                                    "summary": summary, "explain": explain, "answered": list(answered)}
            if escalate is not None:
                level, reason = escalate
                body["escalation"] = {"level": level, "reason": reason}
            request = _Request(json.dumps(body))
        if isinstance(facts, dict):
            facts = dict(facts)  # the decision's summary reads these facts, as they are now
        return Decision(self._evaluate(facts, request), (self, facts, request))

    def evaluate_many(
        self,
        records: Any,
        *,
        reasons: bool = True,
        missing: bool = True,
        threads: int = 0,
    ) -> List[Decision]:
        """Evaluates an iterable of facts dicts (or a DataFrame's rows), in order, on every core."""
        records = _frame_records(records) if _is_frame(records) else list(records)
        texts = self._evaluate_many(records, reasons=reasons, missing=missing, threads=threads)
        request = _request(reasons, missing, False, False, False)
        return [Decision(t, (self, r, request)) for t, r in zip(texts, records)]

    def evaluate_frame(
        self, df: Any, *, missing: bool = True, strict: bool = True, threads: int = 0
    ) -> Any:
        """Evaluates a pandas DataFrame: one row per referral, one column per fact (NaN, None
        and pandas.NA are unknown; a set fact's cells are lists, tuples or sets). Returns a
        DataFrame with the same index and columns ``level`` (ordered categorical of level ids),
        ``pathways`` (tuples of pathway ids, most urgent first), ``status`` (categorical:
        ``complete`` / ``provisional``) and ``missing`` (tuples of fact ids, most decisive
        first). Rows with equal pathways (or missing facts) share one tuple object.

        The engine evaluates without the GIL, on up to ``threads`` threads (0: every core) for
        large frames; the result is the same for any thread count. Numeric columns are read
        as arrays; other columns are converted once per distinct cell object.

        With ``missing=False`` the engine skips working out exactly which unknown facts matter
        (much faster on rows with many unknowns): ``missing`` is then empty, and a row whose
        unknown facts leave some rule undecided is ``provisional``. With ``strict=False``,
        columns that are not declared facts are ignored; otherwise they raise
        :class:`FactsError`.
        """
        import numpy as np
        import pandas as pd

        declared = self._declared()
        columns = [
            _column(str(name), df[name], np, pd)
            for name in df.columns
            if strict or name in declared
        ]
        n = len(df)
        out = self._evaluate_columns(n, columns, missing=missing, threads=threads)
        levels = out["levels"]
        codes = np.frombuffer(out["level"], dtype="<i4")
        level = (
            pd.Categorical.from_codes(codes, categories=levels, ordered=True)
            if levels
            else pd.Categorical([None] * n)
        )
        status = pd.Categorical.from_codes(
            np.frombuffer(out["status"], dtype=np.uint8).astype(np.int8),
            categories=["complete", "provisional"],
        )
        return pd.DataFrame(
            {
                "level": level,
                "pathways": _take(np, out["pathway_sets"], out["pathways"], n),
                "status": status,
                "missing": _take(np, out["missing_sets"], out["missing"], n),
            },
            index=df.index,
        )

    def _declared(self) -> frozenset:
        return frozenset(f["id"] for f in self.facts)


def _take(np: Any, table: Sequence[Any], ids: bytes, n: int) -> Any:
    """Per-row objects from a table of distinct ones: rows share the table's tuples."""
    if not n:
        return np.empty(0, dtype=object)
    arr = np.empty(len(table), dtype=object)
    arr[:] = table
    return arr[np.frombuffer(ids, dtype="<i4")]


def _column(name: str, col: Any, np: Any, pd: Any) -> Tuple[str, str, Any, Optional[bytes]]:
    """A column for the native evaluator: numeric numpy columns go over as bytes, categoricals
    as distinct values and codes, anything else as a list of its cells (converted once per
    distinct object)."""
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
        values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
        return (name, "codes", values, np.asarray(codes, dtype="<i8").tobytes())
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b":
            return (name, "bool", None, np.ascontiguousarray(col.to_numpy(), dtype=np.uint8).tobytes())
        if dtype.kind == "i" or (dtype.kind == "u" and dtype.itemsize < 8):
            return (name, "int64", None, np.asarray(col.to_numpy(), dtype="<i8").tobytes())
        if dtype.kind == "f":
            return (name, "float64", None, np.asarray(col.to_numpy(), dtype="<f8").tobytes())
    return (name, "objects", col.to_numpy(dtype=object).tolist(), None)


def _is_frame(x: Any) -> bool:
    return type(x).__name__ == "DataFrame" and hasattr(x, "to_dict")


def _frame_records(df: Any) -> List[Dict[str, Any]]:
    return df.to_dict(orient="records")


@functools.lru_cache(maxsize=1)
def default() -> Ruleset:
    """The shipped rule set (the partnership's threshold of need), built once and shared."""
    return Ruleset(_builtin_sources())


@dataclass(frozen=True)
class Change:
    """One referral whose level or pathways differ between two rule sets."""

    index: Any
    """The record's position, or its DataFrame index label."""
    record: Dict[str, Any]
    """The facts."""
    old: Decision
    """The decision under the old rule set."""
    new: Decision
    """The decision under the new rule set."""


@dataclass(frozen=True)
class Comparison:
    """What changes when ``new`` replaces ``old``, over a set of records (worked out by the
    engine: the same as ``thresholds compare`` and every other host's compare)."""

    total: int
    """How many records were compared."""
    changes: List[Change]
    """The records whose level or pathways differ, in input order."""
    transitions: Dict[Tuple[Optional[str], Optional[str]], int] = field(default_factory=dict)
    """Counts of (old level, new level) over every record, unchanged ones included; lowest
    old level first, then the new (no level last)."""
    levels: List[str] = field(default_factory=list)
    """Level ids, lowest first (for ordering tables)."""
    pathways: Dict[str, Tuple[int, int]] = field(default_factory=dict)
    """Per pathway that some record gains or loses (most urgent first): (gained, lost)."""

    def transition_table(self) -> Any:
        """A pandas table: rows are old levels, columns new levels, cells counts."""
        import pandas as pd

        labels: List[Any] = list(self.levels)
        for a, b in self.transitions:
            for x in (a, b):
                if x not in labels:
                    labels.append(x)
        table = pd.DataFrame(0, index=labels, columns=labels, dtype="int64")
        for (a, b), n in self.transitions.items():
            table.loc[a, b] = n
        table.index.name = "old level"
        table.columns.name = "new level"
        return table

    def to_frame(self) -> Any:
        """The changed records as a pandas DataFrame: old and new level and pathways."""
        import pandas as pd

        return pd.DataFrame(
            {
                "old_level": [c.old.level for c in self.changes],
                "new_level": [c.new.level for c in self.changes],
                "old_pathways": [tuple(c.old.pathways) for c in self.changes],
                "new_pathways": [tuple(c.new.pathways) for c in self.changes],
            },
            index=pd.Index([c.index for c in self.changes]),
        )

    def __repr__(self) -> str:
        return f"<Comparison {len(self.changes)} of {self.total} records change>"

    def _repr_html_(self) -> str:
        def esc(x: Any) -> str:
            return html.escape(str(x))

        rows = "".join(
            f"<tr><td>{esc(a)}</td><td>{esc(b)}</td><td>{n}</td></tr>"
            for (a, b), n in self.transitions.items()
        )
        paths = "".join(
            f"<tr><td>{esc(p)}</td><td>{gained}</td><td>{lost}</td></tr>"
            for p, (gained, lost) in self.pathways.items()
        )
        table = f"<table><tr><th>old level</th><th>new level</th><th>referrals</th></tr>{rows}</table>"
        if paths:
            table += f"<table><tr><th>pathway</th><th>gained</th><th>lost</th></tr>{paths}</table>"
        return f"<p>{len(self.changes)} of {self.total} referrals change level or pathways.</p>{table}"


def compare(old: Ruleset, new: Ruleset, records: Any, *, threads: int = 0) -> Comparison:
    """Evaluates every record under ``old`` and ``new`` (in the engine, on ``threads`` threads,
    0 meaning every core); returns the records whose level or pathways differ (with both full
    decisions), the counts of level transitions and the pathways gained and lost.

    ``records`` is an iterable of facts dicts or a pandas DataFrame (one row per referral; a
    change's ``index`` is then the row's index label). A bad record raises ``FactsError`` with
    ``.row`` set.
    """
    if _is_frame(records):
        labels: Sequence[Any] = list(records.index)
        recs = _frame_records(records)
    else:
        recs = [dict(r) if isinstance(r, Mapping) else r for r in records]
        labels = range(len(recs))
    counts, changed = _compare(old, new, recs, threads=threads)
    request = _request(True, True, False, False, False)
    return Comparison(
        total=counts["total"],
        changes=[Change(labels[i], recs[i], Decision(a, (old, recs[i], request)),
                        Decision(b, (new, recs[i], request))) for i, a, b in changed],
        transitions={(t["from"], t["to"]): t["count"] for t in counts["transitions"]},
        levels=[lv["id"] for lv in new.info["levels"]],
        pathways={p["pathway"]: (p["added"], p["removed"]) for p in counts["pathways"]},
    )
