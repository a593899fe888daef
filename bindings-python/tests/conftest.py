"""Shared paths and rule sets for the tests."""

from pathlib import Path

import pytest

import thresholds

REPO = Path(__file__).resolve().parents[2]
TOUR = REPO / "rules" / "examples" / "tour"


@pytest.fixture(scope="session")
def tour() -> thresholds.Ruleset:
    return thresholds.Ruleset.from_path(TOUR)
