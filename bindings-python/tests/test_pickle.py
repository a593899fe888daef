"""Rule sets pickle as their sources (or, loaded precompiled, as their bytes) and work in process pools."""

import multiprocessing
import pickle

import thresholds


def _level(args):
    rs, facts = args
    return rs.evaluate(facts).to_json()


def test_pickle_round_trip(tour):
    back = pickle.loads(pickle.dumps(tour))
    assert isinstance(back, thresholds.Ruleset)
    assert back.hash == tour.hash and back.files == tour.files
    assert back.evaluate({"immediate_danger": True}).to_json() == tour.evaluate({"immediate_danger": True}).to_json()
    d = thresholds.default()
    assert pickle.loads(pickle.dumps(d)).hash == d.hash


def test_process_pool(tour):
    facts = [{"age_years": a, "immediate_danger": a % 3 == 0} for a in range(20)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        got = pool.map(_level, [(tour, f) for f in facts])
    assert got == [tour.evaluate(f).to_json() for f in facts]


def test_errors_pickle_with_their_diagnostics(tour):
    # An error raised in a worker process (multiprocessing, dask) travels back by pickle.
    try:
        tour.evaluate({"age_years": "nine", "no_such_fact": 1})
    except thresholds.FactsError as e:
        back = pickle.loads(pickle.dumps(e))
        assert type(back) is thresholds.FactsError
        assert str(back) == str(e)
        assert back.code == e.code and back.error_class == e.error_class == "facts_invalid"
        assert [d.to_dict() for d in back.diagnostics] == [d.to_dict() for d in e.diagnostics]
        assert len(back.diagnostics) == 2
    else:
        raise AssertionError("bad facts raise FactsError")


def test_precompiled_round_trip(tour, tmp_path):
    data = tour.to_precompiled()
    assert isinstance(data, bytes) and data[:4] == b"THRC"
    back = thresholds.Ruleset.from_precompiled(data)
    assert isinstance(back, thresholds.Ruleset)
    assert back.hash == tour.hash and back.files == []
    facts = {"immediate_danger": True, "age_years": 9}
    assert back.evaluate(facts).to_json() == tour.evaluate(facts).to_json()
    assert back.evaluate({}, questions=True).to_json() == tour.evaluate({}, questions=True).to_json()
    # A rule set loaded precompiled pickles as its bytes (it has no sources to send).
    again = pickle.loads(pickle.dumps(back))
    assert again.evaluate(facts).to_json() == tour.evaluate(facts).to_json()
    # Bytes that are not a precompiled rule set: a coded rule error, never a crash.
    for bad in (b"", b"THRC", data[:-1], data[:-1] + bytes([data[-1] ^ 1])):
        try:
            thresholds.Ruleset.from_precompiled(bad)
        except thresholds.RuleError as e:
            assert e.code == "thr::precompiled::invalid"
        else:
            raise AssertionError("damaged bytes are refused")
