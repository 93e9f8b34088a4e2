"""TikTok Shop Seller Center "Export orders" (CSV or XLSX) into ``orders`` and ``order_items``.

The export has one row per SKU line; the order's own fields repeat on every line of the order. It
does not name the shop, so ``--seller`` is required and becomes every order's ``seller_id`` (an
unknown shop is created as a flagged stub seller). A real export sometimes has a second header row
of column descriptions ("Platform unique order ID.", "Current order status.", …): the first data
row is skipped, and counted as blank rather than read, when its Order ID cell is prose rather than
an ID. US and Indonesian layouts are both read: the Indonesian one has Province / Regency and
City / Districts / Villages instead of State / City, and Indonesian UI labels for statuses.

Mapping (file column → contract column):

==============================================  ===========================================
Order ID                                        ``order_id`` (text; tabs and blanks trimmed)
(``--seller``)                                  ``seller_id``
Buyer Username                                  ``buyer_id``
Created / Paid / Shipped / Delivered /          ``created_at``, ``paid_at``, ``shipped_at``,
Cancelled Time                                  ``delivered_at``, ``cancelled_at``
Order Status (+ Cancelation/Return Type)        ``status`` (value map below)
Cancel By                                       ``cancel_initiator`` (Buyer/Pembeli → buyer,
                                                Seller/Penjual → seller, System/Sistem → system)
Cancel Reason                                   ``cancel_reason``
Shipping Provider Name                          ``logistics_provider``
Province (Indonesia) or State (US)              ``province``
(constant)                                      ``channel`` = ``shop`` (the export has no channel)
SKU ID                                          ``order_items.product_id``
Quantity                                        ``order_items.quantity``
==============================================  ===========================================

Order status (case, spaces and underscores ignored, so API names like ``AWAITING_SHIPMENT`` work):
Unpaid / Belum dibayar → awaiting_payment; Awaiting Shipment / To ship / Awaiting Collection /
On hold / Partially shipping / Perlu dikirim → awaiting_shipment; In Transit / Shipped / Dikirim /
Dalam pengiriman → in_transit; Delivered / Completed / Selesai / Terkirim → delivered;
Cancelled / Canceled / Dibatalkan → cancelled. A delivered order whose Cancelation/Return Type is a
return or refund (Return/Refund, Refund only, Pengembalian…) is ``returned``, with ``returned_at``
unknown (the export has no return time); a "Cancel" type does not change the status. Any other
label (of Order Status, Cancel By, or a return type on a delivered order) is passed on unchanged,
so validation refuses the order and the rejects show the label: nothing is guessed.

Amounts: **gmv is the sum over the order's lines of SKU Subtotal Before Discount minus SKU Seller
Discount**, i.e. the merchandise value after the seller-funded discounts. Platform-funded discounts
are not deducted (TikTok pays them to the seller), and shipping fees and taxes are not included, so
gmv is *not* the Order Amount the buyer paid. ``unit_price`` is that line amount divided by the
quantity (rounded half up to cents), so an order's gmv equals the sum of quantity × unit_price of
its lines up to that rounding. Amounts like ``Rp 1.234.567``, ``IDR 150000`` and ``12.50`` are
read; an ambiguous ``1.234`` is read the Indonesian way (1234) unless ``--number-style en``.
A line amount that cannot be read refuses the order (at its first line) and that line.

Times without an offset are in WIB (Asia/Jakarta) unless ``--source-tz`` says otherwise; the US
``03/14/2024 08:15:00 PM``, the Indonesian day-first ``14/03/2024 20:15:00`` and ISO forms are read.

Orders are built with ``GROUP BY`` on the Order ID: an order's row number is its first line (so
rejects point there) and each order-level value is taken from the first of its lines that has one.
Order lines are numbered in file order within the order (``line_no`` 1, 2, …).

Example:
    >>> TikTokShopConnector().parse_options(ConnectorOptions()).time_formats[0]
    '%m/%d/%Y %I:%M:%S %p'
"""

from __future__ import annotations

import re
from dataclasses import replace

import duckdb

from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import (
    ConnectorOptions,
    find_column,
    require_column,
)
from pasar.warehouse.connectors.sku_lines import (
    SkuLineConnector,
    SkuLines,
    status_columns,
    value_map,
)
from pasar.warehouse.ingest.parsing import (
    DEFAULT_TIME_FORMATS,
    ParseOptions,
)
from pasar.warehouse.ingest.readers import RawFile
from pasar.warehouse.ingest.sources import Field, TableSource

_PROSE = re.compile(r"[^\W\d_]{2,}\s+[^\W\d_]")  # words, as in a description row

# -- TikTok Shop --------------------------------------------------------------------------------

TIME_FORMATS: tuple[str, ...] = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    *(f for f in DEFAULT_TIME_FORMATS if not f.startswith("%d/%m/%Y")),
)
"""US 12-hour month-first, Indonesian 24-hour day-first, then ISO and the other usual forms."""

STATUSES: dict[str, tuple[str, ...]] = {
    "awaiting_payment": ("Unpaid", "Belum dibayar"),
    "awaiting_shipment": (
        "Awaiting Shipment",
        "To ship",
        "Awaiting Collection",
        "On hold",
        "Partially shipping",
        "Perlu dikirim",
    ),
    "in_transit": ("In Transit", "Shipped", "Dikirim", "Dalam pengiriman"),
    "delivered": ("Delivered", "Completed", "Selesai", "Terkirim"),
    "cancelled": ("Cancelled", "Canceled", "Dibatalkan"),
}
CANCELLED_BY: dict[str, tuple[str, ...]] = {
    "buyer": ("Buyer", "Pembeli"),
    "seller": ("Seller", "Penjual"),
    "system": ("System", "Sistem"),
}
RETURN_TYPES = (
    "Return/Refund",
    "Return and Refund",
    "Return & Refund",
    "Refund only",
    "Return",
    "Refund",
    "Pengembalian barang/dana",
    "Pengembalian barang dan dana",
    "Pengembalian dana",
    "Pengembalian barang",
    "Pengembalian",
)
"""Cancelation/Return Type labels that make a delivered order ``returned``."""
CANCEL_TYPES = ("Cancel", "Cancellation", "Pembatalan", "Batal")
"""Cancelation/Return Type labels that leave a delivered order's status as it is."""

_TIMES = {
    "created": ("Created Time",),
    "paid": ("Paid Time",),
    "shipped": ("Shipped Time",),
    "delivered": ("Delivered Time",),
    "cancelled": ("Cancelled Time", "Canceled Time"),
}


class TikTokShopConnector(SkuLineConnector):
    """TikTok Shop "Export orders" files (US or Indonesian layout, CSV or XLSX)."""

    name = "tiktok-shop"
    export = "TikTok Shop"

    def parse_options(self, options: ConnectorOptions) -> ParseOptions:
        """WIB and Indonesian-first amounts by default; US and Indonesian time formats."""
        return replace(super().parse_options(options), time_formats=TIME_FORMATS)

    def _sources(
        self, con: duckdb.DuckDBPyConnection, raw: RawFile, seller: str, parse: ParseOptions
    ) -> tuple[TableSource, TableSource]:
        sql = SkuLines(con, raw, parse)
        order_id = require_column(raw, "Order ID")
        status = require_column(raw, "Order Status")
        sku = require_column(raw, "SKU ID")
        quantity = require_column(raw, "Quantity")
        before = require_column(raw, "SKU Subtotal Before Discount")
        buyer = require_column(raw, "Buyer Username")
        times = {name: find_column(raw, *labels) for name, labels in _TIMES.items()}
        times["created"] = require_column(raw, "Created Time")
        discount = find_column(raw, "SKU Seller Discount")
        return_type = find_column(raw, "Cancelation/Return Type", "Cancellation/Return Type")
        cancel_by = find_column(raw, "Cancel By")
        reason = find_column(raw, "Cancel Reason")
        provider = find_column(raw, "Shipping Provider Name", "Shipping Provider")
        province = find_column(raw, "Province", "State")

        amount, bad = sql.money(before)
        amount_label = before
        if discount is not None:
            off, off_bad = sql.money(discount)
            amount = f"({amount} - coalesce(abs({off}), 0))"
            bad = f"coalesce({bad}, {off_bad})"
            amount_label = f"{before} - {discount}"
        columns = {
            "_amount": amount,
            "_amount_bad": bad,
            "_quantity": sql.value(quantity),
            "_count": sql.count(quantity),
            "_product": sql.text(sku),
            "status": sql.text(status),
            "return_type": sql.text(return_type),
            "buyer": sql.text(buyer),
            "cancel_by": sql.text(cancel_by),
            "reason": sql.text(reason),
            "provider": sql.text(provider),
            "province": sql.text(province),
            **{name: sql.value(column) for name, column in times.items()},
        }
        lines = sql.lines(self._relation(con, sql, order_id), order_id, columns)
        firsts = [name for name in columns if not name.startswith("_")]
        optional = {
            "buyer_id": ("buyer", buyer),
            "created_at": ("created", times["created"]),
            "paid_at": ("paid", times["paid"]),
            "shipped_at": ("shipped", times["shipped"]),
            "delivered_at": ("delivered", times["delivered"]),
            "cancelled_at": ("cancelled", times["cancelled"]),
            "cancel_reason": ("reason", reason),
            "logistics_provider": ("provider", provider),
            "province": ("province", province),
        }
        order_fields = {
            "order_id": Field("_order", order_id),
            "seller_id": Field(literal(seller), "--seller"),
            "status": Field("_status", status),
            "gmv": Field("_gmv", amount_label),
            "channel": Field(literal("shop"), "channel (constant)"),
            **{
                target: Field(ident(name), column)
                for target, (name, column) in optional.items()
                if column is not None
            },
        }
        if cancel_by:
            order_fields["cancel_initiator"] = Field(
                value_map(ident("cancel_by"), CANCELLED_BY), cancel_by
            )
        unit_price = (
            "CASE WHEN _amount_bad IS NOT NULL THEN _amount_bad WHEN _amount IS NULL THEN NULL "
            "WHEN _count >= 1 THEN "
            + sql.amount_text(
                "CAST((CAST(_amount * 100 AS BIGINT) * 2 + _count) // (2 * _count) "
                "AS DECIMAL(18, 0)) * 0.01"
            )
            + f" ELSE {sql.amount_text('_amount')} END"
        )
        item_fields = {
            "order_id": Field("_order", order_id),
            "line_no": Field("_line_no", f"{order_id} (line number)"),
            "product_id": Field("_product", sku),
            "quantity": Field("_quantity", quantity),
            "unit_price": Field(unit_price, f"({amount_label}) / {quantity}"),
        }
        return (
            TableSource(
                "orders",
                sql.orders(
                    lines,
                    firsts,
                    status_columns(
                        STATUSES, return_type, "return_type", RETURN_TYPES, CANCEL_TYPES
                    ),
                ),
                order_fields,
                parse,
            ),
            TableSource("order_items", SkuLines.items(lines), item_fields, parse),
        )

    @staticmethod
    def _relation(con: duckdb.DuckDBPyConnection, sql: SkuLines, order_id: str) -> str:
        """The raw table without the description row, when the export has one."""
        table = ident(sql.raw.table)
        if sql.kind(order_id) != "text":
            return table
        first = con.execute(
            f"SELECT _row, {sql.value(order_id)} FROM {table} ORDER BY _row LIMIT 1"
        ).fetchall()
        if first and first[0][1] is not None and _PROSE.search(str(first[0][1])):
            # not data: counted like a blank row, so "rows read" are the export's SKU lines
            sql.raw.rows -= 1
            sql.raw.blank_rows += 1
            return f"(SELECT * FROM {table} WHERE _row <> {int(first[0][0])})"
        return table


__all__ = ["CANCELLED_BY", "STATUSES", "TikTokShopConnector"]
