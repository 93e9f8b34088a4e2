"""TikTok Shop order exports (US and Indonesian layouts, CSV and XLSX) through ``pasar ingest``.

The exports are generated here from plain Python values; every expected number (gmv, unit price,
UTC times, statuses) is computed from those values, not by the code under test.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from openpyxl import Workbook

from pasar.cli.main import main
from pasar.config import get_settings
from pasar.kit.errors import InputError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import BatchReport, IngestRequest, ingest
from pasar.warehouse.ingest.parsing import NumberStyle
from pasar.warehouse.store import Warehouse

US_COLUMNS = [
    "Order ID",
    "Order Status",
    "Order Substatus",
    "Cancelation/Return Type",
    "Normal or Pre-order",
    "SKU ID",
    "Seller SKU",
    "Product Name",
    "Variation",
    "Quantity",
    "Sku Quantity of return",
    "SKU Unit Original Price",
    "SKU Subtotal Before Discount",
    "SKU Platform Discount",
    "SKU Seller Discount",
    "SKU Subtotal After Discount",
    "Shipping Fee After Discount",
    "Original Shipping Fee",
    "Shipping Fee Seller Discount",
    "Shipping Fee Platform Discount",
    "Payment platform discount",
    "Retail Delivery Fee",
    "Taxes",
    "Order Amount",
    "Order Refund Amount",
    "Created Time",
    "Paid Time",
    "RTS Time",
    "Shipped Time",
    "Delivered Time",
    "Cancelled Time",
    "Cancel By",
    "Cancel Reason",
    "Fulfillment Type",
    "Warehouse Name",
    "Tracking ID",
    "Delivery Option Type",
    "Delivery Option",
    "Shipping Provider Name",
    "Buyer Message",
    "Buyer Username",
    "Recipient",
    "Phone #",
    "Country",
    "State",
    "City",
    "Zipcode",
    "Detail Address",
    "Additional address information",
    "House Name or Number",
    "Delivery Instruction",
    "Payment Method",
    "Weight(kg)",
    "Product Category",
    "Package ID",
    "Seller Note",
    "Shipping Information",
]
_STATE = US_COLUMNS.index("State")
ID_COLUMNS = [
    *US_COLUMNS[:_STATE],
    "Province",
    "Regency and City",
    "Districts",
    "Villages",
    *US_COLUMNS[_STATE + 2 :],
]
DESCRIPTIONS = {
    "Order ID": "Platform unique order ID.",
    "Order Status": "Current order status.",
    "Cancelation/Return Type": "The filed to explain the order is in cancellation or in "
    "return/refund.",
    "SKU ID": "Platform SKU ID.",
    "Quantity": "SKU sold quantity in the order.",
    "SKU Unit Original Price": "1 SKU original price.",
    "SKU Subtotal Before Discount": "It equals to SKU Unit Original Price * Sku Quantity.",
    "SKU Seller Discount": "Total seller discount in this SKU ID.",
    "Created Time": "Order created time.",
}

WIB = ZoneInfo("Asia/Jakarta")
PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass
class Line:
    """One SKU line of an export, as plain values (times are local to the export)."""

    order: str
    status: str  # the contract status the labels below mean
    sku: str
    quantity: int
    subtotal: Decimal  # SKU Subtotal Before Discount
    discount: Decimal  # SKU Seller Discount
    created: dt.datetime
    paid: dt.datetime | None = None
    shipped: dt.datetime | None = None
    delivered: dt.datetime | None = None
    cancelled: dt.datetime | None = None
    cancel_by: str | None = None  # contract value
    reason: str = ""
    returned: bool = False
    buyer: str = "buyer"
    province: str = "DKI Jakarta"
    provider: str = "J&T Express"
    extra: dict[str, str] = field(default_factory=dict)  # raw overrides by column name


T0 = dt.datetime(2024, 3, 4, 13, 2, 3)
LINES = [
    Line("576001", "delivered", "1729001", 2, Decimal(250000), Decimal(50000), T0,
         T0 + dt.timedelta(minutes=3), T0 + dt.timedelta(hours=20),
         T0 + dt.timedelta(days=4), buyer="ayu", province="Jawa Barat"),
    Line("576001", "delivered", "1729002", 1, Decimal(125000), Decimal(0), T0,
         T0 + dt.timedelta(minutes=3), T0 + dt.timedelta(hours=20),
         T0 + dt.timedelta(days=4), buyer="ayu", province="Jawa Barat"),
    Line("576002", "in_transit", "1729003", 3, Decimal(99000), Decimal(9000),
         T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=1, minutes=1),
         T0 + dt.timedelta(days=2), buyer="budi", provider="SiCepat"),
    Line("576003", "cancelled", "1729001", 1, Decimal(125000), Decimal(0),
         T0 + dt.timedelta(hours=2), T0 + dt.timedelta(hours=2, minutes=5),
         cancelled=T0 + dt.timedelta(hours=5), cancel_by="buyer", reason="Change of mind",
         buyer="citra", provider=""),
    Line("576004", "returned", "1729004", 1, Decimal(80000), Decimal(5000),
         T0 - dt.timedelta(days=3), T0 - dt.timedelta(days=3), T0 - dt.timedelta(days=2),
         T0 - dt.timedelta(days=1), returned=True, buyer="dewi"),
    Line("576005", "awaiting_payment", "1729002", 1, Decimal(125000), Decimal(0),
         T0 + dt.timedelta(days=3), buyer="eko", provider=""),
    Line("576006", "awaiting_shipment", "1729005", 3, Decimal(100000), Decimal(0),
         T0 + dt.timedelta(days=3, hours=1), T0 + dt.timedelta(days=3, hours=1, minutes=2),
         buyer="fajar", provider=""),
]  # fmt: skip

LABELS = {
    "us": {
        "delivered": "Delivered",
        "in_transit": "In Transit",
        "cancelled": "Cancelled",
        "returned": "Completed",
        "awaiting_payment": "Unpaid",
        "awaiting_shipment": "Awaiting Shipment",
        "buyer": "Buyer",
    },
    "id": {
        "delivered": "Selesai",
        "in_transit": "Dikirim",
        "cancelled": "Dibatalkan",
        "returned": "Terkirim",
        "awaiting_payment": "Belum dibayar",
        "awaiting_shipment": "Perlu dikirim",
        "buyer": "Pembeli",
    },
}


@dataclass(frozen=True)
class Layout:
    """How one kind of export writes its header, times and amounts."""

    name: str
    columns: list[str]
    zone: ZoneInfo
    time: Callable[[dt.datetime], str]
    money: Callable[[Decimal], str]
    province: str


US = Layout(
    "us",
    US_COLUMNS,
    PACIFIC,
    lambda t: t.strftime("%m/%d/%Y %I:%M:%S %p"),
    lambda m: f"{m:,.2f}",
    "State",
)
ID = Layout(
    "id",
    ID_COLUMNS,
    WIB,
    lambda t: t.strftime("%d/%m/%Y %H:%M:%S"),
    lambda m: "Rp " + f"{int(m):,}".replace(",", "."),
    "Province",
)


def record(line: Line, layout: Layout, typed: bool) -> dict[str, object]:
    """The export's cells for ``line``; ``typed`` keeps numbers and times as such (XLSX)."""
    labels = LABELS[layout.name]

    def time(value: dt.datetime | None) -> object:
        if value is None:
            return ""
        return value if typed else layout.time(value)

    def money(value: Decimal) -> object:
        return float(value) if typed else layout.money(value)

    cells: dict[str, object] = {
        "Order ID": line.order if typed else line.order + "\t",  # TikTok pads IDs with a tab
        "Order Status": labels[line.status],
        "Cancelation/Return Type": "Return/Refund"
        if line.returned
        else ("Cancel" if line.status == "cancelled" else ""),
        "SKU ID": line.sku,
        "Quantity": line.quantity if typed else str(line.quantity),
        "SKU Subtotal Before Discount": money(line.subtotal),
        "SKU Seller Discount": money(line.discount),
        "SKU Subtotal After Discount": money(line.subtotal - line.discount),
        "Order Amount": money(line.subtotal * 2),  # deliberately not what gmv is built from
        "Created Time": time(line.created),
        "Paid Time": time(line.paid),
        "Shipped Time": time(line.shipped),
        "Delivered Time": time(line.delivered),
        "Cancelled Time": time(line.cancelled),
        "Cancel By": labels[line.cancel_by] if line.cancel_by else "",
        "Cancel Reason": line.reason,
        "Shipping Provider Name": line.provider,
        "Buyer Username": line.buyer,
        layout.province: line.province,
        "Country": layout.name.upper(),
    }
    cells.update(line.extra)
    return cells


def write_export(
    path: Path,
    lines: list[Line],
    layout: Layout,
    *,
    description: bool = False,
    drop: str | None = None,
) -> Path:
    """Write ``lines`` as an export at ``path`` (.csv or .xlsx), optionally with descriptions."""
    columns = [c for c in layout.columns if c != drop]
    typed = path.suffix == ".xlsx"
    rows: list[list[object]] = [list(columns)]
    if description:
        rows.append([DESCRIPTIONS.get(c, "") for c in columns])
    for line in lines:
        cells = record(line, layout, typed)
        rows.append([cells.get(c, "") for c in columns])
    if typed:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "OrderSKUList"
        for row in rows:
            sheet.append(row)
        book.save(path)
    else:
        with path.open("w", newline="", encoding="utf-8-sig") as handle:
            csv.writer(handle).writerows(rows)
    return path


def run(
    paths: list[Path],
    *,
    seller: str | None = "shop-1",
    timezone: str | None = None,
    number_style: NumberStyle | None = None,
    force: bool = False,
) -> BatchReport:
    """Ingest with the TikTok Shop connector (for seller shop-1 unless told otherwise)."""
    options = ConnectorOptions(seller_id=seller, timezone=timezone, number_style=number_style)
    return ingest(IngestRequest(paths, "tiktok-shop", options, force=force), get_settings())


def warehouse() -> duckdb.DuckDBPyConnection:
    return Warehouse(get_settings().warehouse_dir).connect()


def rejects(report: BatchReport) -> list[dict[str, object]]:
    """The batch's rejects as dicts, in file order."""
    if not report.rejects_files:
        return []
    rel = duckdb.read_parquet(str(report.rejects_files[0]))
    names = rel.columns
    return [dict(zip(names, row, strict=True)) for row in rel.order('row, "table"').fetchall()]


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def utc(local: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    return None if local is None else local.replace(tzinfo=zone).astimezone(dt.UTC)


def expected_orders(lines: list[Line], zone: ZoneInfo) -> dict[str, dict[str, object]]:
    """What the orders table must hold, computed from the plain values."""
    found: dict[str, dict[str, object]] = {}
    gmv: dict[str, Decimal] = {}
    for line in lines:
        gmv[line.order] = gmv.get(line.order, Decimal(0)) + line.subtotal - line.discount
        found.setdefault(
            line.order,
            {
                "seller_id": "shop-1",
                "buyer_id": line.buyer,
                "created_at": utc(line.created, zone),
                "paid_at": utc(line.paid, zone),
                "shipped_at": utc(line.shipped, zone),
                "delivered_at": utc(line.delivered, zone),
                "cancelled_at": utc(line.cancelled, zone),
                "returned_at": None,
                "status": line.status,
                "cancel_initiator": line.cancel_by,
                "cancel_reason": line.reason or None,
                "channel": "shop",
                "logistics_provider": line.provider or None,
                "province": line.province,
            },
        )
    for order, total in gmv.items():
        found[order]["gmv"] = cents(total)
    return found


def stored_orders(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    columns = [
        "seller_id",
        "buyer_id",
        "created_at",
        "paid_at",
        "shipped_at",
        "delivered_at",
        "cancelled_at",
        "returned_at",
        "status",
        "cancel_initiator",
        "cancel_reason",
        "gmv",
        "channel",
        "logistics_provider",
        "province",
    ]
    rows = con.execute(f"SELECT order_id, {', '.join(columns)} FROM orders").fetchall()
    return {
        str(row[0]): {
            name: (value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value)
            for name, value in zip(columns, row[1:], strict=True)
        }
        for row in rows
    }


def expected_items(lines: list[Line]) -> list[tuple[str, int, str, int, Decimal]]:
    numbers: dict[str, int] = {}
    items = []
    for line in lines:
        numbers[line.order] = numbers.get(line.order, 0) + 1
        price = cents((line.subtotal - line.discount) / line.quantity)
        items.append((line.order, numbers[line.order], line.sku, line.quantity, price))
    return sorted(items)


# -- the layouts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layout", "suffix", "description"),
    [(US, ".csv", True), (US, ".xlsx", False), (ID, ".csv", False), (ID, ".xlsx", True)],
    ids=["us-csv-described", "us-xlsx", "id-csv", "id-xlsx-described"],
)
def test_export_becomes_orders_and_lines(
    pasar_home: Path, tmp_path: Path, layout: Layout, suffix: str, description: bool
) -> None:
    path = write_export(tmp_path / f"orders{suffix}", LINES, layout, description=description)
    zone = "America/Los_Angeles" if layout is US else None  # ID: WIB by default
    report = run([path], timezone=zone)

    assert report.status == "committed"
    assert report.rejected_rows == 0, rejects(report)
    assert report.rows_read == len(LINES)  # the description row is not an order line
    assert report.files[0].blank == (1 if description else 0)
    orders = expected_orders(LINES, layout.zone)
    assert report.tables["orders"].inserted == len(orders)
    assert report.tables["order_items"].inserted == len(LINES)
    assert report.tables["sellers"].stubs_created == 1
    assert report.tables["products"].stubs_created == len({line.sku for line in LINES})

    con = warehouse()
    assert stored_orders(con) == orders
    items = con.execute(
        "SELECT order_id, line_no, product_id, quantity, unit_price FROM order_items ORDER BY ALL"
    ).fetchall()
    assert items == expected_items(LINES)
    # gmv is the sum of the lines (up to the cent rounding of a unit price)
    assert con.execute(
        "SELECT count(*) FROM orders o JOIN (SELECT order_id, sum(quantity * unit_price) s "
        "FROM order_items GROUP BY 1) i USING (order_id) WHERE abs(o.gmv - i.s) > 0.05"
    ).fetchall() == [(0,)]


def test_indonesian_times_are_wib_and_amounts_rupiah(pasar_home: Path, tmp_path: Path) -> None:
    line = replace(
        LINES[0],
        extra={
            "Created Time": "14/03/2024 20:15:00",
            "Paid Time": "2024-03-14 20:16:00",
            "SKU Subtotal Before Discount": "Rp 1.234.567",
            "SKU Seller Discount": "IDR 34567",
        },
    )
    line.shipped = line.delivered = None
    report = run([write_export(tmp_path / "id.csv", [line], ID)])
    assert report.rejected_rows == 0, rejects(report)
    row = warehouse().execute("SELECT created_at, paid_at, gmv FROM orders").fetchall()[0]
    assert row[0] == dt.datetime(2024, 3, 14, 13, 15, tzinfo=dt.UTC)  # WIB - 7 h
    assert row[1] == dt.datetime(2024, 3, 14, 13, 16, tzinfo=dt.UTC)
    assert row[2] == Decimal("1200000.00")


@pytest.mark.parametrize(
    ("style", "gmv", "unit_price"),
    [(None, "1499.75", "749.88"), ("en", "1.25", "0.63")],
)
def test_ambiguous_amounts_follow_the_number_style(
    pasar_home: Path, tmp_path: Path, style: NumberStyle | None, gmv: str, unit_price: str
) -> None:
    """``1.500`` is Rp 1500 the Indonesian way (the default) and 1.50 with --number-style en."""
    line = replace(
        LINES[0],
        quantity=2,
        extra={"SKU Subtotal Before Discount": "1.500", "SKU Seller Discount": "0.25"},
    )
    report = run([write_export(tmp_path / "orders.csv", [line], ID)], number_style=style)
    assert report.rejected_rows == 0, rejects(report)
    con = warehouse()
    assert con.execute("SELECT gmv FROM orders").fetchall() == [(Decimal(gmv),)]
    assert con.execute("SELECT unit_price FROM order_items").fetchall() == [(Decimal(unit_price),)]


# -- refusals ------------------------------------------------------------------------------------


def test_cli_needs_the_seller(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_export(tmp_path / "orders.csv", LINES, ID)
    code = main(["ingest", str(path), "--source", "tiktok-shop"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--seller is required" in err and "TikTok Shop" in err
    assert Warehouse(get_settings().warehouse_dir).manifest().batches == []


def test_cli_ingests_with_the_seller(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_export(tmp_path / "orders.csv", LINES, ID, description=True)
    code = main(["ingest", str(path), "--source", "tiktok-shop", "--seller", "shop-1"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"All {len(LINES)} rows accepted" in out
    con = warehouse()
    assert con.execute("SELECT DISTINCT seller_id FROM orders").fetchall() == [("shop-1",)]
    assert stored_orders(con) == expected_orders(LINES, WIB)


def test_missing_required_column_names_file_and_column(pasar_home: Path, tmp_path: Path) -> None:
    path = write_export(tmp_path / "orders.csv", LINES, US, drop="Created Time")
    with pytest.raises(InputError) as caught:
        run([path])
    assert str(path) in str(caught.value)
    assert "column Created Time" in str(caught.value)
    assert "required column is missing" in str(caught.value)


def test_bad_values_reach_the_rejects_with_the_column_name(
    pasar_home: Path, tmp_path: Path
) -> None:
    good = LINES[2]
    bad_time = replace(LINES[4], order="700001", extra={"Created Time": "31/31/2024 99:00:00"})
    bad_status = replace(LINES[5], order="700002", extra={"Order Status": "Teleported"})
    bad_cancel = replace(LINES[3], order="700003", extra={"Cancel By": "Alien"})
    first = replace(LINES[0], order="700004")
    bad_amount = replace(LINES[1], order="700004", extra={"SKU Subtotal Before Discount": "abc"})
    bad_return = replace(LINES[0], order="700005", extra={"Cancelation/Return Type": "Exchange"})
    lines = [good, bad_time, bad_status, bad_cancel, first, bad_amount, bad_return]
    report = run([write_export(tmp_path / "orders.csv", lines, ID)])

    assert report.tables["orders"].inserted == 1
    assert report.tables["order_items"].inserted == 1
    assert warehouse().execute("SELECT order_id FROM orders").fetchall() == [(good.order,)]
    found = {(r["table"], r["row"], r["column"]): r for r in rejects(report)}
    amount_label = "SKU Subtotal Before Discount - SKU Seller Discount"
    expected = {
        ("orders", 3, "Created Time"): ("31/31/2024 99:00:00", "format"),
        ("orders", 4, "Order Status"): ("Teleported", "allowed values"),
        ("orders", 5, "Cancel By"): ("Alien", "allowed values"),
        ("orders", 6, amount_label): ("abc", "format"),  # the order, at its first line
        ("order_items", 7, f"({amount_label}) / Quantity"): ("abc", "format"),
        (
            "orders",
            8,
            "Order Status",
        ): ("Selesai with Cancelation/Return Type Exchange", "allowed values"),
    }
    for key, (value, check) in expected.items():
        assert key in found, (key, sorted(found))
        assert (found[key]["value"], found[key]["check"]) == (value, check)
    assert "not a date and time" in str(found[("orders", 3, "Created Time")]["reason"])
    # every line of a refused order is refused too: there is no order to attach it to
    orphans = {r for (t, r, c) in found if t == "order_items" and c == "Order ID"}
    assert orphans == {3, 4, 5, 6, 8}
    assert report.rejected_rows == len(lines) - 1


# -- re-ingestion --------------------------------------------------------------------------------


def test_same_file_again_changes_nothing(pasar_home: Path, tmp_path: Path) -> None:
    path = write_export(tmp_path / "orders.csv", LINES, ID)
    run([path])
    before = stored_orders(warehouse())
    assert run([path]).status == "unchanged"
    again = run([path], force=True)
    assert again.status == "committed"
    orders, items = again.tables["orders"], again.tables["order_items"]
    assert (orders.inserted, orders.updated, orders.unchanged) == (0, 0, len(before))
    assert (items.inserted, items.updated, items.unchanged) == (0, 0, len(LINES))
    assert stored_orders(warehouse()) == before


def test_newer_export_updates_the_delivered_order(pasar_home: Path, tmp_path: Path) -> None:
    run([write_export(tmp_path / "monday.xlsx", LINES, US)], timezone="America/Los_Angeles")
    delivered_at = T0 + dt.timedelta(days=3)
    newer = [
        replace(line, status="delivered", delivered=delivered_at)
        if line.status == "in_transit"
        else line
        for line in LINES
    ]
    report = run(
        [write_export(tmp_path / "tuesday.xlsx", newer, US)], timezone="America/Los_Angeles"
    )
    orders = report.tables["orders"]
    assert (orders.inserted, orders.updated, orders.unchanged) == (0, 1, 5)
    assert report.tables["order_items"].updated == 0
    row = (
        warehouse()
        .execute("SELECT status, delivered_at FROM orders WHERE order_id = '576002'")
        .fetchall()
    )
    assert row == [("delivered", utc(delivered_at, PACIFIC))]
