"""Root causes of the late dispatch rate on a warehouse whose numbers are computed by hand.

Previous window (1–7 Oct): X 10 due, 1 late; Y 10 due, 5 late → 30.0%.
Current window (8–14 Oct): X 30 due, 3 late; Y 10 due, 6 late → 22.5%.
Shares w₀ = (.5, .5), w₁ = (.75, .25); rates r₀ = (.1, .5), r₁ = (.1, .6).
Mix: X (.75−.5)·.1 = +.025, Y (.25−.5)·.5 = −.125. Rate: X .75·0 = 0, Y .25·.1 = +.025.
Sum −.075 = 22.5% − 30%. Level: excess X 3 − 30·.225 = −3.75, Y +3.75; share moved 7.5/18.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pasar.config import get_settings
from pasar.governance.rca import root_causes
from pasar.kit.errors import ValidationError
from pasar.metrics.query import catalog_for
from tests.cli.test_metrics_cli import run

HEADER = (
    "order_id,seller_id,buyer_id,created_at,ship_by_at,shipped_at,status,gmv,province,"
    "logistics_provider\n"
)
# provider: [(due day, orders due, of which late)]
ORDERS = {"X": [(3, 10, 1), (10, 30, 3)], "Y": [(3, 10, 5), (10, 10, 6)]}


@pytest.fixture
def warehouse(pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    rows = []
    for provider, batches in ORDERS.items():
        for day, count, late in batches:
            for i in range(count):
                due = f"2026-10-{day:02d} 12:00:00"
                shipped = (
                    f"2026-10-{day + 1:02d} 09:00:00" if i < late else f"2026-10-{day:02d} 09:00:00"
                )
                rows.append(
                    f"{provider}{day}-{i},s{i % 3},b{i},2026-10-{day - 1:02d} 10:00:00,{due},"
                    f"{shipped},delivered,100000,Bali,{provider}\n"
                )
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "".join(rows))
    code, _, err = run(capsys, "ingest", str(path))
    assert code == 0, err
    return pasar_home


def test_level_and_change_match_the_hand_computation(warehouse: Path) -> None:
    settings = get_settings()
    result = root_causes(
        "late_dispatch_rate_7d", dt.date(2026, 10, 14), settings, catalog_for(settings),
        ["logistics_provider"], vs_previous=True,
    )  # fmt: skip
    assert result.rate == pytest.approx(0.225)
    assert result.previous_rate == pytest.approx(0.30)
    segments = {s.value: s for s in result.segments}
    assert set(segments) == {"X", "Y"}
    x, y = segments["X"], segments["Y"]
    assert (x.share, y.share) == (pytest.approx(0.75), pytest.approx(0.25))
    assert (x.excess, y.excess) == (pytest.approx(-3.75), pytest.approx(3.75))
    assert (x.mix, y.mix) == (pytest.approx(0.025), pytest.approx(-0.125))
    assert (x.rate_effect, y.rate_effect) == (pytest.approx(0.0), pytest.approx(0.025))
    score = result.dimensions[0]
    assert score.level_share == pytest.approx(7.5 / 18)
    assert (score.mix or 0) + (score.rate_effect or 0) == pytest.approx(0.225 - 0.30)
    assert score.largest_change == pytest.approx(-0.1)


def test_the_cli_prints_the_decomposition(
    warehouse: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "governance", "rca", "late_dispatch_rate_7d", "--as-of", "2026-10-14",
        "--vs-previous", "--by", "logistics_provider",
    )  # fmt: skip
    assert code == 0, err
    flat = " ".join(out.split())
    assert "22.5%, previous window 30.0% (-7.50 points)" in flat
    assert "mix -10.00 pt + rate +2.50 pt" in flat


def test_only_windowed_ratios_and_known_dimensions(warehouse: Path) -> None:
    settings = get_settings()
    catalog = catalog_for(settings)
    with pytest.raises(ValidationError, match="not a windowed ratio"):
        root_causes("orders_7d", dt.date(2026, 10, 14), settings, catalog)
    with pytest.raises(ValidationError, match="not a dimension of orders"):
        root_causes("late_dispatch_rate_7d", dt.date(2026, 10, 14), settings, catalog, ["colour"])
