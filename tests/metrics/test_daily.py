"""Snapshots combined from daily partials equal snapshots computed from the rows, and day N+1
after day N computes only the new day (or the days new rows fall on)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest

from pasar.config import Settings
from pasar.metrics.catalog import load_catalog
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from tests.metrics.conftest import Marketplace

DAYS = [dt.date(2026, 3, 31), dt.date(2026, 10, 1), dt.date(2026, 10, 2)]


def _same(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    for name in a.column_names:
        left, right = a[name].to_pylist(), b[name].to_pylist()
        for x, y in zip(left, right, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                assert x == pytest.approx(y, rel=1e-12), name
            else:
                assert x == y, name


def _home(tmp_path: Path, marketplace: Marketplace) -> Settings:
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse").symlink_to(marketplace.settings.warehouse_dir)
    return Settings(home=home)


@pytest.mark.parametrize(
    "entity", ["seller", "merchant", "creator", "product", "center", "marketplace"]
)
def test_daily_partials_give_the_snapshot_computed_from_rows(
    tmp_path: Path, marketplace: Marketplace, entity: str
) -> None:
    settings = _home(tmp_path, marketplace)
    catalog = marketplace.catalog
    build_snapshots(entity, DAYS, settings, catalog)
    combined = {d: read_snapshot(settings, entity, d) for d in DAYS}
    build_snapshots(entity, DAYS, settings, catalog, force=True, full=True)
    for day in DAYS:
        _same(combined[day], read_snapshot(settings, entity, day))


def test_day_after_computes_one_day_per_group(tmp_path: Path, marketplace: Marketplace) -> None:
    settings = _home(tmp_path, marketplace)
    first = build_snapshots("seller", [DAYS[1]], settings, marketplace.catalog)
    groups = first.daily_days_computed
    assert groups > 90  # every group's longest window, once
    second = build_snapshots("seller", [DAYS[2]], settings, marketplace.catalog)
    assert second.daily_days_computed == 7  # one new day in each of the seller's 7 groups
    again = build_snapshots("seller", [DAYS[2]], settings, marketplace.catalog)
    assert again.files[0].computed is False and again.daily_days_computed == 0


HEADER = "order_id,seller_id,buyer_id,created_at,ship_by_at,shipped_at,status,gmv\n"


def _ingest(path: Path, rows: list[str], settings: Settings) -> None:
    path.write_text(HEADER + "".join(r + "\n" for r in rows))
    report = ingest(IngestRequest([path], options=ConnectorOptions(table="orders")), settings)
    assert report.status == "committed" and report.rejected_rows == 0


def test_appended_and_updated_orders_recompute_exactly_what_changed(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    catalog = load_catalog()
    base = [  # due 10-05 .. 10-09, all shipped an hour before the deadline
        f"o{i},s1,b{i},2026-10-0{4 + i % 5} 10:00:00,2026-10-0{5 + i % 5} 10:00:00,"
        f"2026-10-0{5 + i % 5} 09:00:00,delivered,1000"
        for i in range(12)
    ]
    _ingest(tmp_path / "a.csv", base, settings)
    day = dt.date(2026, 10, 10)
    build_snapshots("seller", [day], settings, catalog)

    def check(expected_late: float | None) -> int:
        run = build_snapshots("seller", [day], settings, catalog)
        combined = read_snapshot(settings, "seller", day)
        build_snapshots("seller", [day], settings, catalog, force=True, full=True)
        _same(combined, read_snapshot(settings, "seller", day))
        row = combined.to_pylist()[0]
        assert row["late_dispatch_rate_7d"] == expected_late
        return run.daily_days_computed

    # appended orders: the orders groups recompute the days the new rows fall on (created 10-08,
    # due 10-09, not delivered); order lines read orders through a join, so their 30 days are
    # all recomputed
    extra = [
        f"n{i},s1,c{i},2026-10-08 09:00:00,2026-10-09 09:00:00,,in_transit,500" for i in range(3)
    ]
    _ingest(tmp_path / "b.csv", extra, settings)
    computed = check(3 / 15)
    assert computed == 1 + 1 + 30

    # an update rewrites a segment: every needed day is recomputed, still the same numbers
    fixed = [r.replace(",,in_transit,", ",2026-10-09 08:00:00,delivered,") for r in extra]
    _ingest(tmp_path / "c.csv", fixed, settings)
    computed = check(0 / 15)
    # every group reading orders, over its longest window: created 90, due 7, delivered 90,
    # order lines 30 (the groups of chats, videos, listings and LIVE are untouched)
    assert computed == 90 + 7 + 90 + 30


@pytest.mark.parametrize("entity", ["seller", "merchant"])
def test_a_backfill_slides_each_window_by_a_day_and_stays_exact(
    tmp_path: Path, marketplace: Marketplace, entity: str
) -> None:
    """Twenty consecutive days: after the first, each day's windows move by one day (adding the
    entering day, subtracting the leaving ones) — and still equal the rows' numbers."""
    settings = _home(tmp_path, marketplace)
    days = [dt.date(2026, 8, 20) + dt.timedelta(days=i) for i in range(20)]
    build_snapshots(entity, days, settings, marketplace.catalog)
    slid = {d: read_snapshot(settings, entity, d) for d in days}
    build_snapshots(entity, days, settings, marketplace.catalog, force=True, full=True)
    for day in days:
        _same(slid[day], read_snapshot(settings, entity, day))
