"""The full default profile (the demo's marketplace): every integrity and realism check.

Marked slow: it generates ~634k orders. CI runs it in the `make test-slow` step.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile
from tests.warehouse.synth.conftest import open_market
from tests.warehouse.synth.test_generator import EXPECTED_SQL, broken, integrity_violations, scalar

pytestmark = pytest.mark.slow


def test_default_marketplace_is_whole_and_realistic(tmp_path: Path) -> None:
    profile = load_profile("default")
    result = generate(profile, tmp_path / "market")
    assert result.rows["orders"] > 500_000
    con = open_market(result.out)
    assert broken(integrity_violations(con, profile)) == {}
    measured = {metric: float(scalar(con, sql)) for metric, sql in EXPECTED_SQL.items()}
    outside = {
        metric: value
        for metric, value in measured.items()
        if not getattr(profile.expected, metric)[0] <= value <= getattr(profile.expected, metric)[1]
    }
    assert outside == {}, f"outside the profile's expected ranges: {outside}"
