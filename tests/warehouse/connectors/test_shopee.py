"""Shopee order exports through ``pasar ingest``: the real Malaysian sample and generated variants.

Expected values are computed here from the sample's cells (read with python-calamine) or from the
generated rows, never by the code under test. The sample is read-only and never modified.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import duckdb
import pytest
from python_calamine import CalamineWorkbook

from pasar.cli.main import main
from pasar.config import get_settings
from pasar.kit.errors import InputError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import BatchReport, IngestRequest, ingest
from pasar.warehouse.store import Warehouse

SAMPLE = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "data"
    / "formats"
    / "shopee_my_order_export_sample.xlsx"
)
MYT = ZoneInfo("Asia/Kuala_Lumpur")
WIB = ZoneInfo("Asia/Jakarta")
STATUS = {"Shipping": "in_transit", "Completed": "delivered", "Cancelled": "cancelled"}

needs_sample = pytest.mark.skipif(not SAMPLE.exists(), reason=f"{SAMPLE} not present")


def run(
    paths: list[Path],
    *,
    seller: str | None = "my-shop",
    timezone: str | None = None,
    force: bool = False,
) -> BatchReport:
    """Ingest with the Shopee connector (for seller my-shop unless told otherwise)."""
    options = ConnectorOptions(seller_id=seller, timezone=timezone)
    return ingest(IngestRequest(paths, "shopee", options, force=force), get_settings())


def warehouse() -> duckdb.DuckDBPyConnection:
    return Warehouse(get_settings().warehouse_dir).connect()


def rejects(report: BatchReport) -> list[dict[str, Any]]:
    """The batch's rejects as dicts, in file order."""
    if not report.rejects_files:
        return []
    rel = duckdb.read_parquet(str(report.rejects_files[0]))
    return [
        dict(zip(rel.columns, row, strict=True)) for row in rel.order('row, "table"').fetchall()
    ]


def sample_rows() -> tuple[list[str], list[dict[str, Any]]]:
    """The sample's header and its rows as dicts (row numbers as the spreadsheet shows them)."""
    book = CalamineWorkbook.from_path(str(SAMPLE))
    cells = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False)
    header = [str(c) for c in cells[0]]
    rows = []
    for number, values in enumerate(cells[1:], start=2):
        row = dict(zip(header, values, strict=True))
        row["_row"] = number
        rows.append(row)
    return header, rows


def local(text: Any, zone: ZoneInfo) -> dt.datetime | None:
    """A ``2024-12-09 00:12`` cell in ``zone``, as UTC."""
    if text in ("", None):
        return None
    parsed = dt.datetime.strptime(str(text), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
    return parsed.astimezone(dt.UTC)


def sku(row: dict[str, Any]) -> str:
    for column in ("SKU Reference No.", "Parent SKU Reference No."):
        value = row[column]
        if value not in ("", None):
            return str(int(value)) if isinstance(value, float) else str(value)
    return str(row["Product Name"])


def expected_from(rows: list[dict[str, Any]], zone: ZoneInfo) -> dict[str, dict[str, Any]]:
    """Every order of ``rows`` with the values the warehouse must hold (first line's values)."""
    orders: dict[str, dict[str, Any]] = {}
    for row in rows:
        status = STATUS[row["Order Status"]]
        if status == "delivered" and row["Return / Refund Status"] == "Request Approved":
            status = "returned"
        order = orders.setdefault(
            row["Order ID"],
            {
                "_row": row["_row"],
                "buyer_id": row["Username (Buyer)"],
                "created_at": local(row["Order Creation Date"], zone),
                "paid_at": local(row["Order Paid Time"], zone),
                "shipped_at": local(row["Ship Time"], zone),
                "ship_by_at": local(row["Estimated Ship Out Date"], zone),
                "delivered_at": local(row["Order Complete Time"], zone)
                if status in ("delivered", "returned")
                else None,
                "status": status,
                "logistics_provider": row["Shipping Option"],
                "province": row["Province"],
                "gmv": Decimal(0),
                "lines": [],
            },
        )
        order["gmv"] += Decimal(str(row["Product Subtotal"]))
        order["lines"].append(
            (
                sku(row),
                int(row["Quantity"]),
                Decimal(str(row["Deal Price"])).quantize(Decimal("0.01")),
            )
        )
    return orders


def stored(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    columns = [
        "buyer_id",
        "created_at",
        "paid_at",
        "shipped_at",
        "ship_by_at",
        "delivered_at",
        "status",
        "logistics_provider",
        "province",
        "gmv",
    ]
    found = {}
    query = f"SELECT order_id, _source_row, {', '.join(columns)} FROM orders"
    for row in con.execute(query).fetchall():
        values = dict(zip(columns, row[2:], strict=True))
        values = {
            k: v.astimezone(dt.UTC) if isinstance(v, dt.datetime) else v for k, v in values.items()
        }
        values["_row"] = row[1]
        found[str(row[0])] = values
    lines = con.execute(
        "SELECT order_id, product_id, quantity, unit_price FROM order_items "
        "ORDER BY order_id, line_no"
    ).fetchall()
    for order_id, product, quantity, price in lines:
        assert product.startswith("my-shop:")  # shop SKU codes are kept apart per shop
        found[order_id].setdefault("lines", []).append(
            (product.removeprefix("my-shop:"), quantity, price)
        )
    return found


def write_csv(path: Path, header: list[str], rows: list[dict[str, Any]]) -> Path:
    """Rows as an export CSV (floats that are whole written without ``.0``, as Shopee does)."""

    def cell(value: Any) -> str:
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return "" if value is None else str(value)

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(row.get(c, "")) for c in header])
    return path


# -- the real sample -----------------------------------------------------------------------------


@needs_sample
def test_real_sample(pasar_home: Path) -> None:
    """Two of the sample's four orders break the contract, and must be refused, not hidden.

    0CEXA was paid (00:06) before it was created (00:12), and the cancelled 32DKM has no creation
    date at all. Both are defects of the hand-edited sample; their lines go with them.
    """
    _, rows = sample_rows()
    report = run([SAMPLE], timezone="Asia/Kuala_Lumpur")
    expected = expected_from(rows, MYT)

    paid_first = {
        k for k, o in expected.items() if o["created_at"] and o["paid_at"] < o["created_at"]
    }
    no_created = {k for k, o in expected.items() if o["created_at"] is None}
    assert paid_first == {"0CEXA"} and no_created == {"32DKM"}  # the sample's defects
    refused = paid_first | no_created
    good = {k: v for k, v in expected.items() if k not in refused}

    assert report.tables["orders"].inserted == len(good) == 2
    assert report.tables["order_items"].inserted == sum(len(o["lines"]) for o in good.values())
    assert stored(warehouse()) == good
    assert good["Q750V"]["gmv"] == Decimal("81.00") and good["EWWXR"]["status"] == "returned"

    found = rejects(report)
    order_rejects = [
        (r["row"], r["column"], r["check"], r["reason"]) for r in found if r["table"] == "orders"
    ]
    assert order_rejects == [
        (
            expected["0CEXA"]["_row"],
            "Order Paid Time",
            "time order",
            "Order Paid Time (2024-12-09 00:06) is earlier than Order Creation Date "
            "(2024-12-09 00:12)",
        ),
        (expected["32DKM"]["_row"], "Order Creation Date", "required", "required value is empty"),
    ]
    orphan_rows = [r["row"] for r in found if r["table"] == "order_items"]
    assert orphan_rows == [r["_row"] for r in rows if r["Order ID"] in refused]
    assert {r["check"] for r in found if r["table"] == "order_items"} == {"reference"}
    assert report.rejected_rows == len(orphan_rows)


@needs_sample
def test_real_sample_through_the_cli(pasar_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["ingest", str(SAMPLE), "--source", "shopee"])
    assert code == 2
    assert "--seller is required" in capsys.readouterr().err

    code = main(
        [
            "ingest",
            str(SAMPLE),
            "--source",
            "shopee",
            "--seller",
            "my-shop",
            "--source-tz",
            "Asia/Kuala_Lumpur",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "5 of 9 rows refused" in out
    con = warehouse()
    assert con.execute("SELECT seller_id, count(*) FROM orders GROUP BY 1").fetchall() == [
        ("my-shop", 2)
    ]
    assert con.execute("SELECT _stub FROM sellers").fetchall() == [(True,)]


@needs_sample
def test_corrected_sample_then_newer_export(pasar_home: Path, tmp_path: Path) -> None:
    """A CSV copy of the sample with its defects fixed loads whole; a later export updates one."""
    header, rows = sample_rows()
    for row in rows:
        if row["Order ID"] == "0CEXA":
            row["Order Paid Time"] = "2024-12-09 00:13"
        if row["Order ID"] == "32DKM":
            row["Order Creation Date"] = row["Order Paid Time"] = "2024-12-09 01:00"
    first = run([write_csv(tmp_path / "day1.csv", header, rows)], timezone="Asia/Kuala_Lumpur")
    assert first.rejected_rows == 0, rejects(first)
    expected = expected_from(rows, MYT)
    assert stored(warehouse()) == expected
    # Shopee fills Order Complete Time on cancelled and still-shipping orders: not a delivery
    assert expected["32DKM"]["delivered_at"] is None
    assert expected["0CEXA"]["delivered_at"] is None

    again = run([tmp_path / "day1.csv"], timezone="Asia/Kuala_Lumpur")
    assert again.status == "unchanged"

    for row in rows:
        if row["Order ID"] == "0CEXA":
            row["Order Status"] = "Completed"
    newer = run([write_csv(tmp_path / "day2.csv", header, rows)], timezone="Asia/Kuala_Lumpur")
    orders = newer.tables["orders"]
    assert (orders.inserted, orders.updated, orders.unchanged) == (0, 1, 3)
    assert newer.tables["order_items"].updated == 0
    assert warehouse().execute(
        "SELECT status, delivered_at FROM orders WHERE order_id = '0CEXA'"
    ).fetchall() == [("delivered", dt.datetime(2024, 12, 13, 16, 41, tzinfo=dt.UTC))]


# -- generated Indonesian export -----------------------------------------------------------------

ID_HEADER = [
    "No. Pesanan",
    "Status Pesanan",
    "Alasan Pembatalan",
    "Status Pembatalan/ Pengembalian",
    "No. Resi",
    "Opsi Pengiriman",
    "Pesanan Harus Dikirimkan Sebelum (Menghindari keterlambatan)",
    "Waktu Pengiriman Diatur",
    "Waktu Pesanan Dibuat",
    "Waktu Pembayaran Dilakukan",
    "SKU Induk",
    "Nama Produk",
    "Nomor Referensi SKU",
    "Nama Variasi",
    "Harga Awal",
    "Harga Setelah Diskon",
    "Jumlah",
    "Total Harga Produk",
    "Username (Pembeli)",
    "Kota/Kabupaten",
    "Provinsi",
    "Waktu Pesanan Selesai",
]


def id_line(
    order: str,
    status: str,
    created: str,
    *,
    sku: str = "",
    parent: str = "",
    name: str = "Kaos Polos",
    quantity: int = 1,
    price: int = 50000,
    subtotal: str | None = None,
    reason: str = "",
    returns: str = "",
    completed: str = "",
) -> dict[str, Any]:
    return {
        "No. Pesanan": order,
        "Status Pesanan": status,
        "Alasan Pembatalan": reason,
        "Status Pembatalan/ Pengembalian": returns,
        "Opsi Pengiriman": "SPX Standard",
        "Waktu Pesanan Dibuat": created,
        "Waktu Pembayaran Dilakukan": created,
        "SKU Induk": parent,
        "Nama Produk": name,
        "Nomor Referensi SKU": sku,
        "Harga Awal": f"Rp {price:,}".replace(",", "."),
        "Harga Setelah Diskon": f"Rp {price:,}".replace(",", "."),
        "Jumlah": str(quantity),
        "Total Harga Produk": subtotal or f"Rp {price * quantity:,}".replace(",", "."),
        "Username (Pembeli)": f"user_{order.lower()}",
        "Provinsi": "Jawa Timur",
        "Waktu Pesanan Selesai": completed,
    }


def test_indonesian_export(pasar_home: Path, tmp_path: Path) -> None:
    lines = [
        id_line("P1", "Selesai", "2024-11-11 00:05", sku="KAOS-M", parent="KAOS", quantity=2,
                price=75000, completed="2024-11-14 10:00"),
        id_line("P1", "Selesai", "2024-11-11 00:05", parent="TOPI", price=50000,
                completed="2024-11-14 10:00"),
        id_line("P2", "Dibatalkan", "2024-11-11 08:00", name="Gelang Manik",
                reason="Dibatalkan oleh Pembeli. Alasan: Ingin mengubah pesanan"),
        id_line("P3", "Sedang Dikirim", "2024-11-12 09:30", sku="KAOS-L"),
        id_line("P4", "Perlu Dikirim", "2024-11-12 10:00", sku="KAOS-L"),
        id_line("P5", "Belum Bayar", "2024-11-12 11:00", sku="KAOS-S"),
        id_line("P6", "Batal", "2024-11-12 12:00", sku="KAOS-S",
                reason="Dibatalkan secara otomatis oleh sistem Shopee"),
        id_line("P7", "Selesai", "2024-11-01 12:00", sku="KAOS-M",
                returns="Permintaan Disetujui", completed="2024-11-05 12:00"),
        id_line("P8", "Hilang", "2024-11-12 13:00", sku="KAOS-M"),
        id_line("P9", "Selesai", "2024-11-12 14:00", sku="KAOS-M", subtotal="dua ratus ribu"),
    ]  # fmt: skip
    report = run([write_csv(tmp_path / "pesanan.csv", ID_HEADER, lines)])  # WIB by default

    con = warehouse()
    orders = {
        row[0]: row[1:]
        for row in con.execute(
            "SELECT order_id, status, gmv, created_at, delivered_at, cancel_initiator, "
            "cancel_reason, logistics_provider, province FROM orders"
        ).fetchall()
    }
    assert {k: v[0] for k, v in orders.items()} == {
        "P1": "delivered",
        "P2": "cancelled",
        "P3": "in_transit",
        "P4": "awaiting_shipment",
        "P5": "awaiting_payment",
        "P6": "cancelled",
        "P7": "returned",
    }
    assert orders["P1"][1] == Decimal(2 * 75000 + 50000)
    assert orders["P1"][2] == dt.datetime(2024, 11, 10, 17, 5, tzinfo=dt.UTC)  # WIB - 7 h
    assert orders["P1"][3] == dt.datetime(2024, 11, 14, 3, 0, tzinfo=dt.UTC)
    assert orders["P2"][4:6] == ("buyer", lines[2]["Alasan Pembatalan"])
    assert orders["P6"][4] == "system"
    assert orders["P3"][4] is None
    assert orders["P1"][6:] == ("SPX Standard", "Jawa Timur")
    items = con.execute(
        "SELECT order_id, line_no, product_id, quantity, unit_price FROM order_items "
        "WHERE order_id IN ('P1', 'P2') ORDER BY ALL"
    ).fetchall()
    assert items == [
        ("P1", 1, "my-shop:KAOS-M", 2, Decimal(75000)),  # the SKU reference first
        ("P1", 2, "my-shop:TOPI", 1, Decimal(50000)),  # then the parent SKU
        ("P2", 1, "my-shop:Gelang Manik", 1, Decimal(50000)),  # then the product name
    ]

    found = {(r["table"], r["row"], r["column"]): r for r in rejects(report)}
    status = found[("orders", 10, "Status Pesanan")]
    assert (status["value"], status["check"]) == ("Hilang", "allowed values")
    amount = found[("orders", 11, "Total Harga Produk")]
    assert (amount["value"], amount["check"]) == ("dua ratus ribu", "format")
    assert report.rejected_rows == 2


def test_needs_the_seller(pasar_home: Path, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "pesanan.csv", ID_HEADER, [id_line("P1", "Selesai", "2024-11-11 00:05")]
    )
    for seller in (None, "  "):
        with pytest.raises(InputError, match="--seller is required"):
            run([path], seller=seller)


def test_missing_required_column_names_file_and_column(pasar_home: Path, tmp_path: Path) -> None:
    header = [c for c in ID_HEADER if c != "Harga Setelah Diskon"]
    path = write_csv(
        tmp_path / "pesanan.csv", header, [id_line("P1", "Selesai", "2024-11-11 00:05")]
    )
    with pytest.raises(InputError) as caught:
        run([path])
    message = str(caught.value)
    assert str(path) in message and "column Deal Price" in message
