"""Target proposals are calibrated: on a generated year of history, forecasts of the next month
(and the one after) made with only what was known at each cut-off have the real creator GMV
inside their 80% range 70–90% of the time — and each tail holds a fair share of the misses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import duckdb
import pandas as pd  # type: ignore[import-untyped]
import pytest

from pasar.config import Settings
from pasar.creators.target_backtest import Calibration, backtest, month_starts, size_band
from pasar.creators.target_data import CreatorOrders, load_creator_orders
from pasar.warehouse.store import Warehouse
from tests.creators.planning.conftest import Market

ZONE = "Asia/Jakarta"
FIRST, END = dt.date(2025, 11, 1), dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def con(market: Market) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = Warehouse(Settings(home=market.home).warehouse_dir).connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def orders(con: duckdb.DuckDBPyConnection) -> CreatorOrders:
    return load_creator_orders(con, ZONE, FIRST, END)


@pytest.fixture(scope="module")
def calibration(orders: CreatorOrders) -> Calibration:
    cutoffs = month_starts(dt.date(2026, 1, 1), dt.date(2026, 10, 1))
    return backtest(orders, cutoffs, horizons=(1, 2), draws=1000)


def test_the_80_percent_range_covers_70_to_90_percent_of_outcomes(
    calibration: Calibration,
) -> None:
    outcomes = calibration.outcomes
    above = sum(o.actual > o.high for o in outcomes) / len(outcomes)
    below = sum(o.actual < o.low for o in outcomes) / len(outcomes)
    print(
        f"\ncalibration: {calibration.coverage:.1%} of {len(outcomes):,} outcomes inside the "
        f"80% range ({below:.1%} below, {above:.1%} above)"
    )
    for name, groups in (
        ("horizon (months)", calibration.by(lambda o: o.horizon)),
        ("seller size", calibration.by(size_band)),
    ):
        print(
            f"  by {name}: " + ", ".join(f"{k}: {c:.1%} of {n:,}" for k, (c, n) in groups.items())
        )
    assert len(outcomes) >= 3000
    assert len({o.seller for o in outcomes}) >= 300
    assert 0.70 <= calibration.coverage <= 0.90
    assert 0.03 <= above <= 0.17 and 0.02 <= below <= 0.17
    for horizon, (coverage, count) in calibration.by(lambda o: o.horizon).items():
        assert count >= 1000 and 0.70 <= coverage <= 0.90, horizon


def test_forecasts_are_unbiased_overall(calibration: Calibration) -> None:
    actual = sum(o.actual for o in calibration.outcomes)
    forecast = sum(o.point for o in calibration.outcomes)
    print(f"\nactual / forecast GMV over all outcomes: {actual / forecast:.3f}")
    assert 0.9 <= actual / forecast <= 1.1


def test_outcomes_match_the_orders_counted_independently(
    market: Market, calibration: Calibration
) -> None:
    frame = pd.read_parquet(market.synth / "orders.parquet", columns=["seller_id", "created_at",
                            "creator_id", "gmv"])  # fmt: skip
    frame = frame[frame["creator_id"].notna()]
    local = frame["created_at"].dt.tz_convert(ZONE)
    frame = frame.assign(month=local.dt.strftime("%Y-%m"), gmv=frame["gmv"].astype(float))
    totals = frame.groupby(["seller_id", "month"])["gmv"].sum()
    sample = calibration.outcomes[:: max(len(calibration.outcomes) // 200, 1)]
    for outcome in sample:
        expected = totals.get((outcome.seller, f"{outcome.start:%Y-%m}"), 0.0)
        assert outcome.actual == pytest.approx(expected), outcome
    assert len(sample) >= 100


def test_history_is_loaded_in_local_days(
    orders: CreatorOrders, con: duckdb.DuckDBPyConnection
) -> None:
    total = con.execute(
        "SELECT count(*), sum(gmv) FROM orders WHERE creator_id IS NOT NULL "
        "AND created_at >= TIMESTAMPTZ '2025-10-31 17:00:00+00' "
        "AND created_at < TIMESTAMPTZ '2026-10-31 17:00:00+00'"
    ).fetchone()
    assert total is not None
    series = orders.series()
    assert int(series.orders.sum()) == total[0]
    assert float(series.gmv.sum()) == pytest.approx(float(total[1]))
    first_day = con.execute(
        "SELECT count(*) FROM orders WHERE creator_id IS NOT NULL "
        "AND created_at >= TIMESTAMPTZ '2025-10-31 17:00:00+00' "
        "AND created_at < TIMESTAMPTZ '2025-11-01 17:00:00+00'"
    ).fetchone()
    assert first_day is not None and int(series.orders[0]) == first_day[0]
