"""Snapshots combined from daily partials equal snapshots computed from the rows, and day N+1
after day N computes only the new day (or the days new rows fall on)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from pasar.config import Settings
from pasar.metrics.catalog import load_catalog
from pasar.metrics.daily import (
    WINDOWS,
    _from_integers,
    _integers,
    _Partials,
    _Slide,
    _sources,
    daily_groups,
)
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from tests.metrics.conftest import Marketplace

DAYS = [dt.date(2026, 3, 31), dt.date(2026, 10, 1), dt.date(2026, 10, 2)]
DEC = pa.decimal128(38, 2)


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


DESK_CATALOG = """\
entities:
  - name: desk
    key: desk
    description: A support desk, known only from its tickets (no table of its own).
datasets:
  - name: desk_tickets
    table: tickets
    time: created_at
    description: Tickets per desk.
    entities:
      desk: center
metrics:
  - name: desk_tickets_7d
    entity: desk
    type: simple
    dataset: desk_tickets
    agg: count
    window: 7d
    description: Tickets opened in the last 7 days.
  - name: desk_csat_points_7d
    entity: desk
    type: simple
    dataset: desk_tickets
    agg: sum
    expr: csat
    window: 7d
    description: CSAT points of the tickets of the last 7 days (NULL ones too).
  - name: desk_response_hours_p50_7d
    entity: desk
    type: simple
    dataset: desk_tickets
    agg: median
    expr: hours_between(created_at, first_response_at)
    filter: first_response_at IS NOT NULL
    window: 7d
    description: Median hours to the first response.
"""
TICKETS = "ticket_id,requester_type,requester_id,center,channel,category,created_at,"
TICKETS += "first_response_at,resolved_at,reopened,csat\n"


def test_subjects_entering_and_leaving_the_windows_stay_exact(tmp_path: Path) -> None:
    """A desk known only from its tickets leaves the snapshot the day its last ticket leaves
    every window, and a new one enters with its first ticket, while the windows slide."""
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "desk.yml").write_text(DESK_CATALOG)
    catalog = load_catalog(extra=[folder])
    settings = Settings(home=tmp_path / "home")
    rows = [  # gone: one ticket on 09-20; steady: every day; late: from 10-01
        "t0,buyer,b0,gone,chat,refund,2026-09-20 03:00:00,2026-09-20 05:00:00,,false,",
        *(
            f"s{d},buyer,b{d},steady,chat,refund,2026-09-{d:02d} 03:00:00,"
            f"2026-09-{d:02d} {4 + d % 5:02d}:30:00,,false,{d % 5 + 1}"
            for d in range(15, 31)
        ),
        *(
            f"l{d},buyer,c{d},late,email,refund,2026-10-{d:02d} 02:00:00,,,false,{d % 3 + 1}"
            for d in range(1, 4)
        ),
    ]
    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS + "".join(r + "\n" for r in rows))
    options = ConnectorOptions(table="tickets")
    report = ingest(IngestRequest([path], options=options), settings)
    assert report.status == "committed" and report.rejected_rows == 0
    days = [dt.date(2026, 9, 25) + dt.timedelta(days=i) for i in range(9)]  # 09-25 … 10-03
    for day in days:  # one day at a time, as a daily run does: each slides the windows
        build_snapshots("desk", [day], settings, catalog)
    slid = {d: read_snapshot(settings, "desk", d) for d in days}
    build_snapshots("desk", days, settings, catalog, force=True, full=True)
    for day in days:
        _same(slid[day], read_snapshot(settings, "desk", day))
    desks = {d: slid[d]["desk"].to_pylist() for d in days}
    assert desks[dt.date(2026, 9, 26)] == ["gone", "steady"]
    assert desks[dt.date(2026, 9, 27)] == ["steady"]
    assert desks[dt.date(2026, 10, 1)] == ["late", "steady"]


def test_an_unreadable_windows_file_is_combined_again(
    tmp_path: Path, marketplace: Marketplace
) -> None:
    settings = _home(tmp_path, marketplace)
    build_snapshots("seller", [DAYS[1]], settings, marketplace.catalog)
    stored = settings.snapshots_dir / "_daily" / "seller" / WINDOWS
    stored.write_bytes(b"not an Arrow file")
    run = build_snapshots("seller", [DAYS[2]], settings, marketplace.catalog)
    assert run.daily_days_computed == 7
    combined = read_snapshot(settings, "seller", DAYS[2])
    build_snapshots("seller", [DAYS[2]], settings, marketplace.catalog, force=True, full=True)
    _same(combined, read_snapshot(settings, "seller", DAYS[2]))


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([0, 5, None, -7, 2**62], pa.int64()),
        ([3, None, 1], pa.int32()),
        ([Decimal("12.34"), None, Decimal("-0.01"), Decimal("92233720368547758.07")], DEC),
    ],
)
def test_window_values_move_as_exact_integers(values: list[object], kind: pa.DataType) -> None:
    array = pa.array(values, type=kind)
    integers = _integers(array, spare=2)
    assert integers is not None and len(integers) == len(values) + 2
    assert list(integers[len(values) :]) == [0, 0]
    back = _from_integers(integers[: len(values)], kind)
    assert back.to_pylist() == [v if v is not None else kind_zero(kind) for v in values]


def kind_zero(kind: pa.DataType) -> object:
    return Decimal("0.00") if pa.types.is_decimal(kind) else 0


def test_values_beyond_64_bits_or_not_whole_are_not_moved() -> None:
    assert _integers(pa.array([Decimal("92233720368547758.08")], type=DEC)) is None
    assert _integers(pa.array([1.5])) is None
    assert _integers(pa.array([2**64 - 1], type=pa.uint64())) is None


def test_a_slide_that_could_leave_64_bits_is_not_made() -> None:
    group = next(g for g in daily_groups(load_catalog(), "seller") if g.dataset == "videos")
    source = _sources(group)
    spans = {int(leaf.span.days or 1) for leaf in group.leaves}

    def day(value: int) -> _Partials:
        values = {p: np.array([value], dtype=np.int64) for p in set(source.values())}
        return _Partials(pa.array(["s1"]), 1, values, {p: pa.int64() for p in values})

    def slide(stored: int) -> _Slide:
        base = {c: np.array([stored], dtype=np.int64) for c in source}
        types = {c: pa.int64() for c in source}
        return _Slide(day(5), {span: day(1) for span in spans}, source, base, types)

    assert slide(2**40).fits(group)
    assert not slide(2**63 - 4).fits(group)
