"""One referral at a time: decisions, attributes, HTML, facts, rule-file tests, errors."""

import json
import math

import pytest

import thresholds
from conftest import TOUR

DANGER = {"immediate_danger": True, "age_years": 9}

INLINE = """
ruleset "inline" version "7"
levels { low "Low <needs>" -> watch  high "High" -> act }
pathways {
  act "Act now" "Do <b>this</b> & that."
  watch "Watch" "Keep watching."
}
fact danger: bool { question "Is there \\"danger\\"?" }
fact kind: set { a, b } { question "Which kinds?" }
rule r1 "Danger" { when danger then level high because "Danger <script>." }
"""


def test_default_rules_evaluate():
    rs = thresholds.default()
    assert rs is thresholds.default()
    assert rs.name and rs.version and rs.hash.startswith("sha256:")
    d = rs.evaluate({})
    assert d.level in [lv["id"] for lv in rs.info["levels"]]
    assert d.status in ("complete", "provisional")


def test_decision_attributes_match_json(tour):
    d = tour.evaluate(DANGER)
    doc = json.loads(d.to_json())
    assert d.level == doc["level"] == "acute"
    assert d.pathways == doc["pathways"] and d.pathways[0] == "call_999"
    assert d.status == doc["status"]
    assert d.missing == doc["missing"]
    assert d.reasons == doc["reasons"]
    assert d.exploitation == doc["exploitation"] == {"cse": "none"}
    assert d.ruleset == {"name": "Language tour", "version": "1", "hash": tour.hash}
    assert d.to_dict() == doc
    # DANGER leaves facts unknown: the decision is provisional, with its upper bound beside the level.
    assert d.status == "provisional" and d.could_reach == doc["could_reach"] == "acute"
    assert all(set(m["changes"]) == {"level", "pathways"} for m in d.missing)
    assert list(d.to_dict()) == ["level", "could_reach", "pathways", "exploitation", "status", "missing", "reasons", "ruleset"]
    assert d.to_json() == tour.evaluate_json(json.dumps(DANGER))
    assert d == tour.evaluate(dict(DANGER))
    assert "acute" in repr(d)


def test_options_leave_out_reasons_and_missing(tour):
    d = tour.evaluate({}, reasons=False, missing=False)
    assert d.reasons == [] and d.missing == []
    assert d.status == "provisional"
    full = tour.evaluate({})
    assert [m["fact"] for m in full.missing][0] == "immediate_danger"


def test_unknown_values_none_nan_and_numpy():
    import numpy as np

    rs = thresholds.Ruleset.from_path(TOUR)
    base = rs.evaluate({}).to_json()
    assert rs.evaluate({"age_years": None, "immediate_danger": float("nan")}).to_json() == base
    assert rs.evaluate({"age_years": np.int64(9), "immediate_danger": np.bool_(True)}).to_json() == rs.evaluate(DANGER).to_json()
    assert rs.evaluate({"age_years": 9.0, "immediate_danger": True}).to_json() == rs.evaluate(DANGER).to_json()
    s1 = rs.evaluate({"cse_indicators": {"late_nights", "going_missing"}}).to_json()
    s2 = rs.evaluate({"cse_indicators": ("going_missing", "late_nights")}).to_json()
    assert s1 == s2


def test_repr_html_is_a_practitioner_summary_and_escaped():
    rs = thresholds.Ruleset.from_source(INLINE)
    h = rs.evaluate({"danger": True})._repr_html_()
    assert "Level: High" in h
    assert "Act now" in h and "Do &lt;b&gt;this&lt;/b&gt; &amp; that." in h
    assert "Danger &lt;script&gt;." in h and "<script>" not in h
    h = rs.evaluate({})._repr_html_()
    assert "Provisional" in h and "Is there &quot;danger&quot;?" in h and 'data-fact="danger"' in h
    # Provisional: the lowest level as "at least", and how high the unknowns could take it.
    assert "Level: at least Low &lt;needs&gt; — could still be High" in h


def test_explain_says_what_would_change_the_level():
    rs = thresholds.Ruleset.from_source(INLINE)
    d = rs.evaluate({"danger": False}, explain=True).to_dict()
    # Low now: answering danger yes is the one change that makes it high.
    [target] = d["explain"]["raise"]
    assert target["level"] == "high"
    assert target["ways"][0]["sets"] == [
        [{"fact": "danger", "value": True, "from": False, "text": "danger: yes (now no)"}]
    ]
    assert target["ways"][0]["rules"] == ["r1"]
    # The same as the JSON route with "explain": true, and absent unless asked for.
    same = json.loads(rs.evaluate_json('{"danger": false}', request='{"explain": true}'))
    assert same["explain"] == d["explain"]
    assert "explain" not in rs.evaluate({"danger": False}).to_dict()


def test_the_summary_is_the_cores_as_every_host_words_it():
    rs = thresholds.Ruleset.from_path(TOUR)
    d = rs.evaluate(DANGER)
    text = d.summary()
    assert text.startswith("Level: ") and "Answers given:" in text
    # The same text the JSON route gives with "summary": true (the CLI prints it, the checker copies it).
    full = json.loads(rs.evaluate_json(json.dumps(DANGER), request='{"summary": true}'))
    assert full["summary"]["text"] == text
    # The notebook's HTML is the same summary.
    assert full["summary"]["level"] in d._repr_html_()
    # Without its reasons a decision has no summary: it would say "no rule applies".
    bare = rs.evaluate(DANGER, reasons=False)
    with pytest.raises(thresholds.RequestError):
        bare.summary()
    assert bare._repr_html_() is None


def test_facts_are_declared_with_types_and_questions(tour):
    facts = {f["id"]: f for f in tour.facts}
    assert facts["age_years"]["type"] == "int" and (facts["age_years"]["min"], facts["age_years"]["max"]) == (0, 25)
    assert facts["sexual_activity"]["values"] == ["none", "non_penetrative", "penetrative"]
    assert facts["cse_indicators"]["type"] == "set"
    assert all(f["question"] for f in tour.facts)
    assert tour.info["name"] == "Language tour"


def test_rule_file_tests_run(tour):
    report = tour.test()
    assert report.ok and report.passed == len(report.results) > 0
    failing = thresholds.Ruleset.from_source(
        INLINE + '\ntest "wrong" { given { danger: true } expect level low }\n'
    ).test()
    assert failing.failed == 1 and not failing.ok
    assert failing.results[0]["name"] == "wrong" and failing.results[0]["failures"]


def test_from_path_file_and_directory(tmp_path):
    one = thresholds.Ruleset.from_path(TOUR / "tour.thr")
    assert one.hash == thresholds.Ruleset.from_path(str(TOUR)).hash
    (tmp_path / "x.thr").write_text(INLINE, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not rules", encoding="utf-8")
    assert thresholds.Ruleset.from_path(tmp_path).name == "inline"
    with pytest.raises(FileNotFoundError):
        thresholds.Ruleset.from_path(tmp_path / "nothing-here")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError):
        thresholds.Ruleset.from_path(empty)


def test_facts_errors_carry_code_and_fact(tour):
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate({"imediate_danger": True})
    assert isinstance(e.value, thresholds.ThresholdsError)
    assert e.value.code == "thr::facts::unknown_fact" and e.value.fact == "imediate_danger"
    assert e.value.kind == "facts"
    assert "immediate_danger" in (e.value.diagnostics[0].help or "")
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate({"age_years": -1, "sexual_activity": "some"})
    assert [d.code for d in e.value.diagnostics] == ["thr::facts::out_of_range", "thr::facts::unknown_code"]
    assert [d.fact for d in e.value.diagnostics] == ["age_years", "sexual_activity"]
    assert json.loads(e.value.json)["kind"] == "facts"
    for bad, code in [
        ([1, 2], "thr::facts::not_an_object"),
        ({"age_years": 2.5}, "thr::facts::wrong_type"),
        ({"age_years": 10**30}, "thr::facts::wrong_type"),
        # Past any float too, or infinite: an error, never a silently unknown fact.
        ({"age_years": 10**400}, "thr::facts::wrong_type"),
        ({"age_years": float("inf")}, "thr::facts::wrong_type"),
        ({"age_years": object()}, "thr::facts::wrong_type"),
        ({"sexual_activity": ["some"]}, "thr::facts::wrong_type"),
        ({1: True}, "thr::facts::wrong_type"),
    ]:
        with pytest.raises(thresholds.FactsError) as e:
            tour.evaluate(bad)
        assert e.value.code == code, bad
        # Values Python cannot pass on (object(), a non-string key) are shaped by core too.
        body = json.loads(e.value.json)
        assert (body["kind"], body["class"], body["code"]) == ("facts", "facts_invalid", code), bad
        assert [d["code"] for d in body["diagnostics"]] == [d.code for d in e.value.diagnostics]
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_json('{"age_years": ')
    assert e.value.code == "thr::facts::invalid_json"


def test_deep_nesting_is_an_error_not_a_crash(tour):
    deep: list = []
    for _ in range(10_000):
        deep = [deep]
    with pytest.raises(thresholds.FactsError):
        tour.evaluate({"cse_indicators": deep})
    with pytest.raises(thresholds.FactsError):
        tour.evaluate_json("[" * 100_000)


def test_rule_errors_carry_diagnostics_with_places():
    with pytest.raises(thresholds.RuleError) as e:
        thresholds.Ruleset.from_sources([("a.thr", 'ruleset "x" version "1"\nrule r { when nope then level x because "y" }\n')])
    err = e.value
    assert isinstance(err, thresholds.ThresholdsError) and err.kind == "rules"
    errors = [d for d in err.diagnostics if d.severity == "error"]
    assert errors and err.code == errors[0].code and err.code.startswith("thr::")
    first = errors[0]
    assert first.file == "a.thr" and first.line == 2 and first.column >= 1 and first.message
    assert first.to_dict()["line"] == 2
    with pytest.raises(thresholds.RuleError) as e:
        thresholds.Ruleset.from_source("rule x {")
    assert e.value.code == "thr::parse::syntax"
    assert e.value.diagnostics[0].line == 1


def test_bad_arguments_are_type_errors_not_crashes(tour):
    with pytest.raises(TypeError):
        tour.evaluate_json(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        thresholds.Ruleset([("a.thr", 3)])  # type: ignore[list-item]
    assert math.isfinite(len(tour.files))


def test_an_escalation_is_decided_by_the_engine(tour):
    plain = tour.evaluate({"age_years": 9})
    d = tour.evaluate({"age_years": 9}, escalate=("acute", "Disclosure on the phone"))
    assert d.level == "acute" and plain.level != "acute"
    assert d.escalation == {
        "level": "acute",
        "reason": "Disclosure on the phone",
        "from": plain.level,
        "raised": True,
    }
    # The JSON route with the same request gives the same bytes.
    request = json.dumps({"escalation": {"level": "acute", "reason": "Disclosure on the phone"}})
    assert tour.evaluate_json('{"age_years": 9}', request=request) == d.to_json()
    assert plain.escalation is None
    # Never lowered: recorded, nothing changes.
    down = tour.evaluate(DANGER, escalate=("universal", "I disagree"))
    assert down.level == "acute" and down.escalation["raised"] is False
    with pytest.raises(thresholds.RequestError) as e:
        tour.evaluate({}, escalate=("acutee", "x"))
    assert e.value.code == "thr::request::invalid" and e.value.kind == "request"
    with pytest.raises(thresholds.RequestError):
        tour.evaluate({}, escalate=("acute", "   "))


def test_errors_carry_the_engines_class():
    with pytest.raises(thresholds.RuleError) as e:
        thresholds.Ruleset.from_source("ruleset \"x\" version \"1\"\nrule {")
    assert e.value.error_class == "rules_syntax"
    assert json.loads(e.value.json)["class"] == "rules_syntax"
    rs = thresholds.Ruleset.from_path(TOUR)
    with pytest.raises(thresholds.FactsError) as e:
        rs.evaluate({"no_such_fact": True})
    assert e.value.error_class == "facts_invalid"
    with pytest.raises(thresholds.FactsError) as e:
        rs.evaluate_json("{")
    assert e.value.error_class == "facts_invalid_json"
    with pytest.raises(thresholds.RequestError) as e:
        rs.evaluate({}, summary=True, reasons=False)
    assert e.value.error_class == "request"
