"""Many referrals at once: evaluate_many, evaluate_frame, compare."""

import math
import random

import pytest

import thresholds

pd = pytest.importorskip("pandas")
np = pytest.importorskip("numpy")


def random_records(rs, n, seed=7, unknown=0.3):
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        r = {}
        for f in rs.facts:
            if rnd.random() < unknown:
                continue
            t = f["type"]
            if t == "bool":
                r[f["id"]] = rnd.random() < 0.3
            elif t == "int":
                r[f["id"]] = rnd.randint(f["min"], f["max"])
            elif t == "enum":
                r[f["id"]] = rnd.choice(f["values"])
            else:
                r[f["id"]] = rnd.sample(f["values"], rnd.choice([0, 0, 1, 2]))
        out.append(r)
    return out


def test_evaluate_many_equals_evaluate(tour):
    recs = random_records(tour, 1500)
    many = tour.evaluate_many(iter(recs))
    assert [d.to_json() for d in many] == [tour.evaluate(r).to_json() for r in recs]
    assert [d.to_json() for d in tour.evaluate_many(recs, threads=1)] == [d.to_json() for d in many]
    assert tour.evaluate_many([]) == []


def test_evaluate_many_reports_the_bad_row(tour):
    recs = [{}, {"age_years": 3}, {"age_years": "three"}]
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_many(recs)
    assert e.value.row == 2 and e.value.fact == "age_years" and e.value.code == "thr::facts::wrong_type"


def test_evaluate_frame_reports_the_bad_row(tour):
    # Issue #12: evaluate_frame's errors did not say which row was bad. Rows are positions.
    df = pd.DataFrame(
        {"age_years": [9, 10, 11, 12], "consent": ["given", "refused", "nope", "nope"]},
        index=[40, 41, 42, 43],
    )
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(df)
    assert e.value.row == 2 and e.value.fact == "consent" and e.value.code == "thr::facts::unknown_code"
    # A numeric column: a value out of range.
    df = pd.DataFrame({"age_years": [9, 99, 11]})
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(df)
    assert e.value.row == 1 and e.value.code == "thr::facts::out_of_range"
    # A float column: NaN is unknown, an infinite value an error (never a silently unknown fact).
    df = pd.DataFrame({"age_years": [9.0, float("nan"), float("inf")]})
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(df)
    assert e.value.row == 2 and e.value.fact == "age_years" and e.value.code == "thr::facts::wrong_type"


def test_evaluate_frame_matches_evaluate_row_by_row(tour):
    recs = random_records(tour, 3000)
    df = pd.DataFrame(recs, index=pd.RangeIndex(100, 3100))
    out = tour.evaluate_frame(df)
    assert list(out.columns) == ["level", "pathways", "status", "missing"]
    assert list(out.index) == list(df.index)
    assert list(out["level"].cat.categories) == [lv["id"] for lv in tour.info["levels"]]
    for i, r in enumerate(recs):
        d = tour.evaluate(r)
        row = out.iloc[i]
        assert row["level"] == d.level
        assert row["pathways"] == tuple(d.pathways)
        assert row["status"] == d.status
        assert row["missing"] == tuple(m["fact"] for m in d.missing)
    fast = tour.evaluate_frame(df, missing=False)
    assert all(m == () for m in fast["missing"])


def test_evaluate_frame_unknowns_and_dtypes(tour):
    df = pd.DataFrame(
        {
            "age_years": [9, np.nan, 15, None],
            "immediate_danger": [True, None, False, pd.NA],
            "sexual_activity": pd.Categorical(["none", None, "penetrative", "none"]),
            "cse_indicators": [["late_nights"], None, [], ("sex_exchanged",)],
        }
    )
    out = tour.evaluate_frame(df)
    for i in range(len(df)):
        facts = {}
        for k, v in df.iloc[i].items():
            if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
                continue
            facts[k] = list(v) if isinstance(v, (list, tuple)) else v
        d = tour.evaluate(facts)
        assert (out["level"].iloc[i], out["status"].iloc[i]) == (d.level, d.status), i
        assert out["pathways"].iloc[i] == tuple(d.pathways)
    empty = tour.evaluate_frame(df.iloc[:0])
    assert len(empty) == 0 and list(empty.columns) == ["level", "pathways", "status", "missing"]


def test_evaluate_frame_errors(tour):
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(pd.DataFrame({"age_years": [3], "referral_id": ["r1"]}))
    assert e.value.code == "thr::facts::unknown_fact" and e.value.fact == "referral_id"
    out = tour.evaluate_frame(pd.DataFrame({"age_years": [3], "referral_id": ["r1"]}), strict=False)
    assert len(out) == 1
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(pd.DataFrame({"age_years": [3, 40]}))
    assert e.value.code == "thr::facts::out_of_range" and e.value.fact == "age_years"
    with pytest.raises(thresholds.FactsError) as e:
        tour.evaluate_frame(pd.DataFrame({"sexual_activity": ["some"]}))
    assert e.value.code == "thr::facts::unknown_code"


MOVED = ("tier low { going_missing, late_nights, unexplained_gifts }",
         "tier low { going_missing, unexplained_gifts }")


def test_compare_lists_changes_and_transitions(tour):
    files = [(n, t.replace(*MOVED).replace("tier medium { online_grooming, clipping }",
                                           "tier medium { online_grooming, clipping, late_nights }"))
             for n, t in tour.files]
    assert files != tour.files
    new = thresholds.Ruleset.from_sources(files)
    recs = random_records(tour, 2000, seed=3)
    cmp = thresholds.compare(tour, new, recs)
    assert cmp.total == 2000
    assert sum(cmp.transitions.values()) == 2000
    assert cmp.changes, "moving an indicator up a tier changes some referrals"
    for c in cmp.changes:
        assert (c.old.level, c.old.pathways) != (c.new.level, c.new.pathways)
        assert c.old.to_json() == tour.evaluate(recs[c.index]).to_json()
        assert c.new.to_json() == new.evaluate(recs[c.index]).to_json()
        assert "late_nights" in c.record.get("cse_indicators", [])
    unchanged = set(range(2000)) - {c.index for c in cmp.changes}
    for i in list(unchanged)[:200]:
        a, b = tour.evaluate(recs[i]), new.evaluate(recs[i])
        assert (a.level, a.pathways) == (b.level, b.pathways)
    # No level goes down when an indicator moves up a tier.
    ranks = {lv: i for i, lv in enumerate(cmp.levels)}
    assert all(ranks[b] >= ranks[a] for (a, b), n in cmp.transitions.items() if n)
    table = cmp.transition_table()
    assert int(table.values.sum()) == 2000
    assert list(table.index)[: len(cmp.levels)] == cmp.levels
    # The same answer from a DataFrame, with its index labels.
    df = pd.DataFrame(recs, index=[f"r{i}" for i in range(2000)])
    cmp2 = thresholds.compare(tour, new, df)
    assert [c.index for c in cmp2.changes] == [f"r{c.index}" for c in cmp.changes]
    assert cmp2.transitions == cmp.transitions
    assert [c.new.to_json() for c in cmp2.changes] == [c.new.to_json() for c in cmp.changes]
    frame = cmp.to_frame()
    assert len(frame) == len(cmp.changes) and "new_level" in frame
    assert str(len(cmp.changes)) in cmp._repr_html_()
    # Pathways gained and lost: the engine's counts are those of the changed decisions.
    from collections import Counter

    gained, lost = Counter(), Counter()
    for c in cmp.changes:
        gained.update(set(c.new.pathways) - set(c.old.pathways))
        lost.update(set(c.old.pathways) - set(c.new.pathways))
    assert cmp.pathways, "some pathway is gained or lost"
    assert cmp.pathways == {p: (gained[p], lost[p]) for p in cmp.pathways}
    assert set(cmp.pathways) == set(gained) | set(lost)
    urgency = [p["id"] for p in new.info["pathways"]]
    assert list(cmp.pathways) == sorted(cmp.pathways, key=urgency.index)
    # Transitions come in level order (the engine's), the same as the CLI's JSON.
    order = [cmp.levels.index(a) for a, _ in cmp.transitions]
    assert order == sorted(order)
    assert cmp2.pathways == cmp.pathways
    # The same on several threads.
    assert thresholds.compare(tour, new, recs, threads=3).transitions == cmp.transitions


def test_compare_names_the_bad_record(tour):
    recs = [{"age_years": 9}, {"age_years": 9}, {"age_years": "nine"}]
    with pytest.raises(thresholds.FactsError) as e:
        thresholds.compare(tour, tour, recs)
    assert e.value.row == 2


def _frame_rows(out):
    return [
        (None if isinstance(lv, float) else lv, p, s, m)
        for lv, p, s, m in zip(out["level"].astype(object), out["pathways"], out["status"].astype(str), out["missing"])
    ]


def test_evaluate_frame_threads_give_identical_frames():
    rs = thresholds.default()
    recs = random_records(rs, 6000, seed=11, unknown=0.2)
    df = pd.DataFrame(recs)
    one = rs.evaluate_frame(df, threads=1)
    two = rs.evaluate_frame(df, threads=2)
    pd.testing.assert_frame_equal(one, two)
    assert _frame_rows(one) == _frame_rows(rs.evaluate_frame(df))
    fast1 = rs.evaluate_frame(df, missing=False, threads=1)
    pd.testing.assert_frame_equal(fast1, rs.evaluate_frame(df, missing=False, threads=2))
    # Row by row, against evaluate, on a few hundred of them (threaded run included).
    for i in range(0, 6000, 15):
        d = rs.evaluate(recs[i])
        want = (d.level, tuple(d.pathways), d.status, tuple(m["fact"] for m in d.missing))
        assert _frame_rows(two.iloc[i : i + 1])[0] == want, i
        f = rs.evaluate(recs[i], missing=False)
        assert (fast1["level"].iloc[i], fast1["status"].iloc[i]) == (f.level, f.status), i
        assert fast1["pathways"].iloc[i] == tuple(f.pathways)


def test_evaluate_frame_column_kinds_agree():
    """Numeric, nullable, categorical, object and text-from-JSON columns give the same rows."""
    import json

    rs = thresholds.default()
    recs = random_records(rs, 400, seed=5, unknown=0.25)
    df = pd.DataFrame(recs)
    base = _frame_rows(rs.evaluate_frame(df))
    for i in range(0, 400, 7):
        d = rs.evaluate(recs[i])
        assert base[i] == (d.level, tuple(d.pathways), d.status, tuple(m["fact"] for m in d.missing)), i
    # Every string a separate object (as after reading a file).
    again = pd.DataFrame(json.loads(json.dumps(recs)))
    assert _frame_rows(rs.evaluate_frame(again)) == base
    converted = df.copy()
    for f in rs.facts:
        name, t = f["id"], f["type"]
        if name not in converted:
            continue
        col = converted[name]
        if t == "bool":
            converted[name] = col.astype("boolean")
        elif t == "int":
            converted[name] = col.astype("Int64")
        elif t == "enum":
            converted[name] = col.astype("category")
        else:
            converted[name] = col.map(lambda v: v if not isinstance(v, list) else frozenset(v))
    assert _frame_rows(rs.evaluate_frame(converted)) == base
    # With nothing unknown, int and bool columns are numpy int64 and bool.
    full = random_records(rs, 300, seed=9, unknown=0.0)
    typed = pd.DataFrame(full)
    assert {str(t) for t in typed.dtypes} >= {"int64", "bool"}
    objects = typed.astype(object)
    assert _frame_rows(rs.evaluate_frame(typed)) == _frame_rows(rs.evaluate_frame(objects))
    assert _frame_rows(rs.evaluate_frame(typed)) == [
        (d.level, tuple(d.pathways), d.status, tuple(m["fact"] for m in d.missing))
        for d in rs.evaluate_many(full)
    ]
