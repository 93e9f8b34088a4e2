"""Ingestion batches: updates by key, idempotency, stubs, references, atomic failure, batch log."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pasar.config import Settings
from pasar.kit.errors import ConflictError, InputError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, RejectRateExceededError, ingest
from pasar.warehouse.store import Warehouse

ORDER_HEADER = ["order_id", "seller_id", "buyer_id", "created_at", "status", "gmv", "channel"]


def write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def order(n: int, status: str = "in_transit", seller: str = "s1", gmv: str = "100000") -> list[str]:
    return [f"o{n}", seller, f"b{n}", "2026-10-01 10:00:00", status, gmv, "live"]


def orders_file(path: Path, rows: list[list[str]]) -> Path:
    return write_csv(path, ORDER_HEADER, rows)


def query(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    con = Warehouse(settings.warehouse_dir).connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_a_newer_export_updates_changed_rows_by_key(settings: Settings, tmp_path: Path) -> None:
    first = orders_file(tmp_path / "orders-1.csv", [order(n) for n in range(1, 6)])
    report = ingest(IngestRequest([first]), settings)
    assert report.tables["orders"].inserted == 5
    newer = orders_file(
        tmp_path / "orders-2.csv",
        [order(1, "delivered"), *[order(n) for n in range(2, 6)], order(6)],
    )
    report = ingest(IngestRequest([newer]), settings)
    counts = report.tables["orders"]
    assert (counts.inserted, counts.updated, counts.unchanged) == (1, 1, 4)
    assert query(settings, "SELECT status FROM orders WHERE order_id = 'o1'") == [("delivered",)]
    assert query(settings, "SELECT count(*), count(DISTINCT order_id) FROM orders") == [(6, 6)]
    log = Warehouse(settings.warehouse_dir).manifest().batches
    assert [b.tables["orders"].updated for b in log] == [0, 1]
    assert log[1].files[0].sha256 and log[1].files[0].rows_read == 6
    assert log[1].finished_at >= log[1].started_at


def test_the_same_file_twice_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    path = orders_file(tmp_path / "orders.csv", [order(n) for n in range(1, 4)])
    ingest(IngestRequest([path]), settings)
    before = Warehouse(settings.warehouse_dir).manifest()
    again = ingest(IngestRequest([path]), settings)
    assert again.status == "unchanged"
    assert Warehouse(settings.warehouse_dir).manifest() == before
    forced = ingest(IngestRequest([path], force=True), settings)
    assert forced.tables["orders"].unchanged == 3 and forced.tables["orders"].inserted == 0
    assert query(settings, "SELECT count(*) FROM orders") == [(3,)]


def test_unknown_seller_becomes_a_flagged_stub_that_the_real_row_fills(
    settings: Settings, tmp_path: Path
) -> None:
    ingest(IngestRequest([orders_file(tmp_path / "orders.csv", [order(1, seller="s9")])]), settings)
    assert query(settings, "SELECT seller_id, _stub, shop_name FROM sellers") == [
        ("s9", True, None)
    ]
    sellers = write_csv(tmp_path / "sellers.csv", ["seller_id", "shop_name"], [["s9", "Toko"]])
    report = ingest(IngestRequest([sellers]), settings)
    assert report.tables["sellers"].stubs_filled == 1
    assert query(settings, "SELECT seller_id, _stub, shop_name FROM sellers") == [
        ("s9", False, "Toko")
    ]


def test_lines_of_unknown_orders_are_refused_not_stubbed(
    settings: Settings, tmp_path: Path
) -> None:
    ingest(IngestRequest([orders_file(tmp_path / "orders.csv", [order(1)])]), settings)
    lines = write_csv(
        tmp_path / "order_items.csv",
        ["order_id", "line_no", "product_id", "quantity", "unit_price"],
        [["o1", "1", "p1", "2", "50000"], ["o404", "1", "p1", "1", "50000"]],
    )
    report = ingest(IngestRequest([lines]), settings)
    assert report.tables["order_items"].inserted == 1
    assert report.tables["products"].stubs_created == 1  # products may be stubs
    rejects = pd.read_csv(report.rejects_files[1])
    assert rejects[["row", "column", "value", "check"]].values.tolist() == [
        [3, "order_id", "o404", "reference"]
    ]


def test_above_max_reject_rate_nothing_is_stored(settings: Settings, tmp_path: Path) -> None:
    ingest(IngestRequest([orders_file(tmp_path / "orders-1.csv", [order(1)])]), settings)
    manifest = (settings.warehouse_dir / "manifest.json").read_bytes()
    bad = orders_file(
        tmp_path / "orders-2.csv", [order(1, "delivered"), order(2, "lost"), order(3, gmv="x")]
    )
    with pytest.raises(RejectRateExceededError, match="2 of 3 rows refused") as caught:
        ingest(IngestRequest([bad], max_reject_rate=0.5), settings)
    assert (settings.warehouse_dir / "manifest.json").read_bytes() == manifest
    assert query(settings, "SELECT status FROM orders") == [("in_transit",)]
    assert caught.value.report.rejects_files[0].exists()  # the reasons are kept to act on
    report = ingest(IngestRequest([bad], max_reject_rate=0.7), settings)
    assert report.tables["orders"].updated == 1


def test_dry_run_validates_without_storing(settings: Settings, tmp_path: Path) -> None:
    report = ingest(
        IngestRequest([orders_file(tmp_path / "orders.csv", [order(1)])], dry_run=True), settings
    )
    assert report.status == "dry-run" and report.tables["orders"].inserted == 1
    assert not (settings.warehouse_dir / "manifest.json").exists()


def test_a_later_file_of_the_batch_wins_for_the_same_key(
    settings: Settings, tmp_path: Path
) -> None:
    a = orders_file(tmp_path / "a.csv", [order(1, "in_transit"), order(2)])
    b = orders_file(tmp_path / "b.csv", [order(1, "delivered")])
    report = ingest(IngestRequest([a, b], options=ConnectorOptions(table="orders")), settings)
    assert report.tables["orders"].superseded == 1
    assert query(settings, "SELECT status FROM orders WHERE order_id = 'o1'") == [("delivered",)]


def test_conflicting_duplicates_in_one_file_are_all_refused(
    settings: Settings, tmp_path: Path
) -> None:
    path = orders_file(
        tmp_path / "orders.csv", [order(1), order(1, "delivered"), order(2), order(2), order(3)]
    )
    report = ingest(IngestRequest([path]), settings)
    rejects = pd.read_parquet(report.rejects_files[0]).sort_values("row")
    assert rejects["row"].tolist() == [2, 3, 5]
    assert "appears on rows 2, 3 with different values" in rejects["reason"].iloc[0]
    assert rejects["reason"].iloc[2] == "exact duplicate of row 4 (that row was kept)"
    assert query(settings, "SELECT order_id FROM orders ORDER BY 1") == [("o2",), ("o3",)]


def test_values_are_stored_typed_in_utc(settings: Settings, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "orders.csv",
        ORDER_HEADER,
        [["o1", "s1", "b1", "01/10/2026 10:00", "Delivered", "Rp 1.234.567,50", "LIVE"]],
        delimiter=";",
    )
    ingest(IngestRequest([path]), settings)
    assert query(settings, "SELECT created_at, status, gmv, channel FROM orders") == [
        (datetime(2026, 10, 1, 3, 0, tzinfo=UTC), "delivered", Decimal("1234567.50"), "live")
    ]


def test_a_file_without_a_required_column_stops_with_file_and_column(
    settings: Settings, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "orders.csv", ["order_id", "seller_id"], [["o1", "s1"]])
    with pytest.raises(InputError) as caught:
        ingest(IngestRequest([path]), settings)
    assert str(path) in str(caught.value) and "buyer_id" in str(caught.value)
    assert not (settings.warehouse_dir / "manifest.json").exists()


def test_a_second_writer_is_told_the_warehouse_is_busy(settings: Settings, tmp_path: Path) -> None:
    path = orders_file(tmp_path / "orders.csv", [order(1)])
    with (
        Warehouse(settings.warehouse_dir).writer(),
        pytest.raises(ConflictError, match="being written by pid"),
    ):
        ingest(IngestRequest([path]), settings)


def test_a_newer_export_of_an_order_replaces_its_lines(settings: Settings, tmp_path: Path) -> None:
    ingest(IngestRequest([orders_file(tmp_path / "orders.csv", [order(1), order(2)])]), settings)
    header = ["order_id", "line_no", "product_id", "quantity", "unit_price"]
    first = write_csv(
        tmp_path / "order_items-1.csv",
        header,
        [
            ["o1", "1", "p1", "1", "10"],
            ["o1", "2", "p2", "1", "10"],
            ["o1", "3", "p3", "1", "10"],
            ["o2", "1", "p1", "1", "10"],
        ],
    )
    ingest(IngestRequest([first]), settings)
    newer = write_csv(
        tmp_path / "order_items-2.csv",
        header,
        [["o1", "1", "p1", "1", "10"], ["o1", "2", "p2", "2", "10"]],
    )
    report = ingest(IngestRequest([newer]), settings)
    counts = report.tables["order_items"]
    assert (counts.unchanged, counts.updated, counts.removed) == (1, 1, 1)
    assert query(settings, "SELECT order_id, line_no, quantity FROM order_items ORDER BY 1, 2") == [
        ("o1", 1, 1),
        ("o1", 2, 2),
        ("o2", 1, 1),
    ]
