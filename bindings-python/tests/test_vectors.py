"""Runs every conformance vector (tests/vectors/*.json; format in tests/README.md).

The decision JSON must be byte-identical to the expectation serialised compactly; errors are
compared by code. THR_TEST=substr runs only the vectors whose name contains substr.
"""

import json
import os

import pytest

import thresholds
from conftest import REPO

# Vectors known to fail here. Must stay empty.
SKIP: list = []


def _vectors():
    out = []
    for path in sorted((REPO / "tests" / "vectors").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for v in doc["vectors"]:
            out.append(pytest.param(v, id=f"{path.name}:{v['name']}"))
    return out


VECTORS = _vectors()


def _text(field):
    """A string, or generated text (prefix, `repeat` `times` times with {n} numbered, suffix)."""
    if isinstance(field, str):
        return field
    unit = field.get("repeat", "")
    body = "".join(unit.replace("{n}", str(n)) for n in range(field["times"]))
    return field.get("prefix", "") + body + field.get("suffix", "")


def _sources(v):
    if "source" in v:
        return [("inline.thr", _text(v["source"]))]
    path = REPO / v["rules"]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix == ".thr")
        return [(str(p.relative_to(REPO)), p.read_text(encoding="utf-8")) for p in files]
    return [(v["rules"], path.read_text(encoding="utf-8"))]


def _facts_text(v):
    if "factsText" in v:
        return _text(v["factsText"])
    return json.dumps(v.get("facts"), separators=(",", ":"), ensure_ascii=False)


def test_there_are_vectors():
    assert len(VECTORS) > 10


@pytest.mark.parametrize("v", VECTORS)
def test_vector(v):
    if v["name"] in SKIP or os.environ.get("THR_TEST", "") not in v["name"]:
        pytest.skip("filtered")
    expect = v["expect"]
    try:
        rs = thresholds.Ruleset.from_sources(_sources(v))
        if "request" in v:
            request = json.dumps(v["request"], separators=(",", ":"), ensure_ascii=False)
            out = rs.evaluate_json(_facts_text(v), request=request)
        else:
            out = rs.evaluate_json(_facts_text(v))
    except thresholds.ThresholdsError as e:
        assert "errorCodes" in expect, f"expected a decision, got {e.json}"
        got = [d.code for d in e.diagnostics if d.severity == "error"]
        assert got == expect["errorCodes"]
        return
    assert "decision" in expect, f"expected errors, got a decision: {out}"
    want = json.dumps(expect["decision"], separators=(",", ":"), ensure_ascii=False)
    assert out == want
    # The dict entry point gives the same bytes as the JSON one.
    if "facts" in v and isinstance(v["facts"], dict):
        request = v.get("request", {})
        kwargs = {k: request[k] for k in ("reasons", "missing", "questions", "answered", "summary", "explain") if k in request}
        if request.get("escalation"):
            kwargs["escalate"] = (request["escalation"]["level"], request["escalation"]["reason"])
        assert rs.evaluate(v["facts"], **kwargs).to_json() == want
