"""Questions, answers and the interview protocol, from Python (one engine: the core's)."""

import json
from pathlib import Path

import pytest

import thresholds

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def rs():
    return thresholds.default()


def test_questions_start_with_triage_and_cover_the_missing_facts(rs):
    qs = rs.questions({"age_years": 15})
    assert qs[0]["id"] == "triage"
    assert qs[0]["kind"] == "areas"
    missing = {m["fact"] for m in rs.evaluate({"age_years": 15}).missing}
    covered = {f for q in qs[1:] for f in q["facts"]}
    assert missing <= covered, "every missing fact is asked by some question"
    assert all(f in missing for q in qs[1:] for f in q["facts"] if q["kind"] != "checklist")
    # Answered, triage is not asked again.
    assert all(q["id"] != "triage" for q in rs.questions({"age_years": 15}, answered=["triage"]))


def test_answer_applies_the_triage_question_and_checklists(rs):
    facts = rs.answer({"age_years": 15}, "triage", ["criminal_exploitation"])
    assert facts["fgm"] == "none" and "cce_indicators" not in facts
    facts = rs.answer(facts, "cce_signs", ["cce_indicators:county_lines_travel"], answered=["triage"])
    assert facts["cce_indicators"] == ["county_lines_travel"]
    assert facts["found_out_of_area"] is False
    with pytest.raises(thresholds.RequestError) as e:
        rs.answer({}, "no_such_question", True)
    assert e.value.code == "thr::request::invalid"


def test_interview_ends_on_each_case_level_in_a_handful_of_answers(rs):
    cases = json.loads((ROOT / "tests/interview/cases.json").read_text())[:8]
    runs = [rs.interview(c["facts"]) for c in cases]
    for c, r in zip(cases, runs):
        assert r["level"] == c["level"], c["id"]
        assert r["answers_to_level"] <= r["answers_to_complete"] <= len(r["asked"])
        assert r["asked"][0] == "triage"
        assert r["answers_to_complete"] <= 15
