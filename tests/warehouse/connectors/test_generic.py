"""The generic connector: contract-named files, and any file through a mapping YAML."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

from pasar.config import Settings
from pasar.kit.errors import InputError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse

MAPPING = """
table: orders
timezone: Asia/Jakarta
number_style: id
columns:
  order_id: No. Pesanan
  seller_id: {constant: toko-01}
  buyer_id: Username (Pembeli)
  created_at: {from: Waktu Pesanan Dibuat, time_format: "%d-%m-%Y %H:%M"}
  status:
    from: Status Pesanan
    values: {Selesai: delivered, "Sedang Dikirim": in_transit, Batal: cancelled}
  gmv: Total Pembayaran
  channel: {constant: shop}
  province: Provinsi
"""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def rows(settings: Settings, sql: str) -> list[tuple[object, ...]]:
    con = Warehouse(settings.warehouse_dir).connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def spreadsheet(path: Path, header: list[str], body: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in body:
        sheet.append(row)
    book.save(path)
    return path


def test_a_mapping_brings_in_a_seller_center_spreadsheet(
    settings: Settings, tmp_path: Path
) -> None:
    mapping = tmp_path / "pesanan.yml"
    mapping.write_text(MAPPING)
    export = spreadsheet(
        tmp_path / "pesanan.xlsx",
        [
            "No. Pesanan",
            "Username (Pembeli)",
            "Waktu Pesanan Dibuat",
            "Status Pesanan",
            "Total Pembayaran",
            "Provinsi",
        ],
        [
            ["240101AB", "budi", "01-10-2026 21:30", "Selesai", "Rp 1.250.000", "Jawa Barat"],
            ["240101AC", "sari", "02-10-2026 08:00", "Sedang Dikirim", "Rp 99.500,50", "Bali"],
            ["240101AD", "eko", "not a date", "Selesai", "Rp 10.000", "Aceh"],
            ["240101AE", "dewi", "03-10-2026 08:00", "Hilang", "Rp 10.000", "Aceh"],
        ],
    )
    report = ingest(IngestRequest([export], options=ConnectorOptions(mapping=mapping)), settings)
    assert report.tables["orders"].inserted == 2
    assert rows(
        settings,
        "SELECT order_id, seller_id, created_at, status, gmv, province FROM orders ORDER BY 1",
    ) == [
        (
            "240101AB",
            "toko-01",
            datetime(2026, 10, 1, 14, 30, tzinfo=UTC),
            "delivered",
            Decimal("1250000.00"),
            "Jawa Barat",
        ),
        (
            "240101AC",
            "toko-01",
            datetime(2026, 10, 2, 1, 0, tzinfo=UTC),
            "in_transit",
            Decimal("99500.50"),
            "Bali",
        ),
    ]
    reasons = {(r.column, r.check) for r in report.reasons}
    assert reasons == {("Waktu Pesanan Dibuat", "format"), ("Status Pesanan", "allowed values")}


def test_mapping_problems_name_the_file_and_field(settings: Settings, tmp_path: Path) -> None:
    mapping = tmp_path / "bad.yml"
    mapping.write_text(
        "table: orders\ncolumns:\n  order_id: {from: a, constant: b}\n"
        "  created_at: {from: c, time_format: '%Y-%Q'}\n  gmv: {from: d, number_style: roman}\n"
    )
    data = tmp_path / "orders.csv"
    data.write_text("a,c,d\n1,2,3\n")
    with pytest.raises(InputError) as caught:
        ingest(IngestRequest([data], options=ConnectorOptions(mapping=mapping)), settings)
    message = str(caught.value)
    assert str(mapping) in message
    assert "columns.order_id" in message and "exactly one of 'from'" in message
    assert "%Q" in message and "columns.gmv.number_style" in message


def test_a_mapped_column_missing_from_the_file_suggests_the_closest(
    settings: Settings, tmp_path: Path
) -> None:
    mapping = tmp_path / "m.yml"
    mapping.write_text(MAPPING)
    data = tmp_path / "pesanan.csv"
    data.write_text(
        "No Pesanan,Username (Pembeli),Waktu Pesanan Dibuat,Status Pesanan,Total Pembayaran,"
        "Propinsi\n"
    )
    with pytest.raises(
        InputError, match=r"reads province from is missing \(did you mean 'Propinsi'"
    ) as caught:
        ingest(IngestRequest([data], options=ConnectorOptions(mapping=mapping)), settings)
    assert str(data) in str(caught.value) and "column Provinsi" in str(caught.value)


def test_contract_named_files_load_by_name_and_directories_skip_the_unknown(
    settings: Settings, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "sellers.csv").write_text("SELLER ID,Shop Name\ns1,Toko Satu\n")
    (folder / "creators-2026-10.csv").write_text(
        "creator_id,handle,followers,primary_category,province,joined_at\n"
        "c1,@ani,15000,Beauty,Bali,2026-01-01\n"
    )
    (folder / "notes.txt").write_text("hello")
    (folder / "readme.md").write_text("# not data")
    report = ingest(IngestRequest([folder]), settings)
    assert set(report.tables) == {"sellers", "creators"}
    assert {p.name for p, _ in report.skipped} == {"notes.txt", "readme.md"}
    assert rows(settings, "SELECT seller_id, shop_name FROM sellers") == [("s1", "Toko Satu")]


def test_a_file_named_after_no_table_needs_table(settings: Settings, tmp_path: Path) -> None:
    data = tmp_path / "export.csv"
    data.write_text("seller_id\ns1\n")
    with pytest.raises(InputError, match="pass --table"):
        ingest(IngestRequest([data]), settings)
    report = ingest(IngestRequest([data], options=ConnectorOptions(table="sellers")), settings)
    assert report.tables["sellers"].inserted == 1
