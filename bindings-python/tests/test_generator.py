"""The synthetic year: spread over the levels as the published statistics say, and seeded."""

import sys
from pathlib import Path

import pandas as pd

import thresholds

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import generate_referrals  # noqa: E402


def test_a_synthetic_year_has_the_published_shares_of_each_level():
    rs = thresholds.default()
    records = generate_referrals.generate(20_000, rs, seed=2026)
    decided = rs.evaluate_frame(pd.DataFrame(records))
    levels = [lv["id"] for lv in rs.info["levels"]]
    shares = decided["level"].value_counts(normalize=True).reindex(levels).fillna(0).tolist()
    assert len(shares) == len(generate_referrals.TARGET_SHARES)
    for level, got, want in zip(levels, shares, generate_referrals.TARGET_SHARES):
        assert abs(got - want) <= 0.03, f"{level}: {got:.3f}, published {want:.2f}"
    # Some answers are left out, so some decisions stay provisional, as in real data.
    assert 0.05 < (decided["status"] == "provisional").mean() < 0.6


def test_the_same_seed_gives_the_same_year_and_every_record_fits_the_rules():
    rs = thresholds.default()
    a = generate_referrals.generate(500, rs, seed=11)
    assert a == generate_referrals.generate(500, rs, seed=11)
    assert a != generate_referrals.generate(500, rs, seed=12)
    rs.evaluate_many(a)  # raises FactsError on a record that does not fit
