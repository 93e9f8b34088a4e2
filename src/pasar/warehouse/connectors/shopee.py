"""Shopee Seller Centre order export (XLSX or CSV) into ``orders`` and ``order_items``.

The export (57 columns in the Malaysian layout) has one row per SKU line; the order's own fields
repeat on every line of the order. It does not name the shop, so ``--seller`` is required and
becomes every order's ``seller_id`` (an unknown shop is created as a flagged stub seller). Columns
are found by their English names or, for an Indonesian Seller Centre export, by the Indonesian
ones (No. Pesanan, Status Pesanan, Waktu Pesanan Dibuat, …; matching ignores case, spaces and
punctuation).

Mapping (file column → contract column):

==========================================  ================================================
Order ID / No. Pesanan                      ``order_id``
(``--seller``)                              ``seller_id``
Username (Buyer) / Username (Pembeli)       ``buyer_id``
Order Creation Date / Waktu Pesanan Dibuat  ``created_at``
Order Paid Time                             ``paid_at``
Ship Time                                   ``shipped_at``
Order Complete Time                         ``delivered_at``, only for delivered and returned
                                            orders (Shopee also fills it when a cancelled or
                                            still-shipping order is closed)
Estimated Ship Out Date                     ``ship_by_at`` (the dispatch deadline)
Order Status (+ Return / Refund Status)     ``status`` (value map below)
Cancel reason                               ``cancel_reason``; ``cancel_initiator`` when the
                                            reason says who ("… by buyer", "oleh Pembeli",
                                            "… otomatis oleh sistem"), else empty
Shipping Option                             ``logistics_provider``
Province / Provinsi                         ``province``
(constant)                                  ``channel`` = ``shop`` (the export has no channel)
SKU Reference No., else Parent SKU          ``order_items.product_id`` (the first that is not
Reference No., else Product Name            empty on the line)
Quantity / Jumlah                           ``order_items.quantity``
Deal Price / Harga Setelah Diskon           ``order_items.unit_price``
==========================================  ================================================

Shopee has no cancellation time (``cancelled_at`` stays empty) and no return time (``returned_at``
is unknown). Product IDs are the shop's own SKU references, so they are prefixed with the shop
(``my-shop:KAOS-M``) to keep two shops' codes apart.

Order status (case, spaces and underscores ignored): Unpaid / Belum Bayar → awaiting_payment;
To ship / Ready to ship / Processed / Perlu Dikirim → awaiting_shipment; Shipping / Shipped /
Sedang Dikirim / Dikirim / Telah Dikirim → in_transit; Completed / Delivered / Selesai →
delivered; Cancelled / Canceled / Dibatalkan / Batal → cancelled. A delivered order whose
Return / Refund Status says the return or refund was granted (Request Approved, Refund Paid,
Disetujui, …) is ``returned``; a pending, rejected or withdrawn request (Requested, Request
Rejected, Ditolak, …) leaves it delivered. Any other label is passed on unchanged, so validation
refuses the order and the rejects show the label: nothing is guessed.

Amounts: **gmv is the sum of Product Subtotal over the order's lines**: Deal Price × Quantity, the
merchandise value after the seller's product discounts. Order-level vouchers, coins, bundle
discounts and the shipping fee are not in it, so gmv is *not* the Grand Total the buyer paid; it
equals the sum of quantity × unit_price of the order's lines. Amounts like ``RM 12.50``,
``Rp 150.000`` and ``150000`` are read; an ambiguous ``1.234`` is read the Indonesian way (1234)
unless ``--number-style en``. Times without an offset are in WIB (Asia/Jakarta) unless
``--source-tz`` says otherwise (a Malaysian export is in Asia/Kuala_Lumpur).

Orders are built with ``GROUP BY`` on the Order ID: an order's row number is its first line (so
rejects point there) and each order-level value is taken from the first of its lines that has one.
Order lines are numbered in file order within the order (``line_no`` 1, 2, …).

Example:
    >>> ShopeeConnector().name
    'shopee'
"""

from __future__ import annotations

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import find_column, require_column
from pasar.warehouse.connectors.sku_lines import (
    SkuLineConnector,
    SkuLines,
    status_columns,
)
from pasar.warehouse.ingest.parsing import ParseOptions
from pasar.warehouse.ingest.readers import RawFile
from pasar.warehouse.ingest.sources import Field, TableSource

STATUSES: dict[str, tuple[str, ...]] = {
    "awaiting_payment": ("Unpaid", "Belum Bayar", "Belum Dibayar"),
    "awaiting_shipment": ("To ship", "Ready to ship", "Processed", "Perlu Dikirim"),
    "in_transit": ("Shipping", "Shipped", "Sedang Dikirim", "Dikirim", "Telah Dikirim"),
    "delivered": ("Completed", "Delivered", "Selesai"),
    "cancelled": ("Cancelled", "Canceled", "Dibatalkan", "Batal"),
}
RETURN_GRANTED = (
    "Request Approved",
    "Approved",
    "Return Approved",
    "Refund Paid",
    "Refunded",
    "Returned",
    "Disetujui",
    "Permintaan Disetujui",
    "Dana Dikembalikan",
    "Pengembalian Dana Berhasil",
)
"""Return / Refund Status labels that make a delivered order ``returned``."""
RETURN_NOT_GRANTED = (
    "Requested",
    "Pending",
    "Processing",
    "In Dispute",
    "Request Rejected",
    "Rejected",
    "Request Cancelled",
    "Request Canceled",
    "Cancelled",
    "Canceled",
    "Request Withdrawn",
    "Withdrawn",
    "Diajukan",
    "Diproses",
    "Ditolak",
    "Permintaan Ditolak",
    "Dibatalkan",
    "Permintaan Dibatalkan",
)
"""Return / Refund Status labels that leave a delivered order delivered."""
CANCELLED_BY = (
    ("buyer", r"\b(by|oleh)\s+(the\s+)?(buyer|pembeli)\b"),
    ("seller", r"\b(by|oleh)\s+(the\s+)?(seller|penjual)\b"),
    ("system", r"system|sistem|automatic|otomatis"),
)
"""Who cancelled, from the words of the Cancel reason (first match wins)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "order_id": ("Order ID", "No. Pesanan"),
    "status": ("Order Status", "Status Pesanan"),
    "reason": ("Cancel reason", "Alasan Pembatalan"),
    "return_status": (
        "Return / Refund Status",
        "Status Pembatalan/ Pengembalian",
        "Status Pengembalian",
    ),
    "shipping": ("Shipping Option", "Opsi Pengiriman"),
    "ship_by": (
        "Estimated Ship Out Date",
        "Pesanan Harus Dikirimkan Sebelum (Menghindari keterlambatan)",
    ),
    "shipped": ("Ship Time", "Waktu Pengiriman Diatur"),
    "created": ("Order Creation Date", "Waktu Pesanan Dibuat"),
    "paid": ("Order Paid Time", "Waktu Pembayaran Dilakukan"),
    "completed": ("Order Complete Time", "Waktu Pesanan Selesai"),
    "buyer": ("Username (Buyer)", "Username (Pembeli)"),
    "province": ("Province", "Provinsi"),
    "sku": ("SKU Reference No.", "Nomor Referensi SKU"),
    "parent_sku": ("Parent SKU Reference No.", "SKU Induk"),
    "product_name": ("Product Name", "Nama Produk"),
    "deal_price": ("Deal Price", "Harga Setelah Diskon"),
    "quantity": ("Quantity", "Jumlah"),
    "subtotal": ("Product Subtotal", "Total Harga Produk"),
}
"""Where each value is: the English column name first, then the Indonesian one."""
REQUIRED = ("order_id", "status", "created", "buyer", "deal_price", "quantity", "subtotal")


class ShopeeConnector(SkuLineConnector):
    """Shopee order exports (English or Indonesian headers, XLSX or CSV)."""

    name = "shopee"
    export = "Shopee"

    def _sources(
        self, con: duckdb.DuckDBPyConnection, raw: RawFile, seller: str, parse: ParseOptions
    ) -> tuple[TableSource, TableSource]:
        sql = SkuLines(con, raw, parse)
        found = {name: find_column(raw, *labels) for name, labels in COLUMNS.items()}
        for name in REQUIRED:
            found[name] = _require(raw, COLUMNS[name])
        products = [c for n in ("sku", "parent_sku", "product_name") if (c := found[n])]
        if not products:
            _require(raw, COLUMNS["sku"])

        def at(name: str) -> str:
            column = found[name]
            assert column is not None  # a required column, or checked before use
            return column

        amount, bad = sql.money(at("subtotal"))
        text_columns = ("status", "return_status", "buyer", "reason", "shipping", "province")
        value_columns = ("created", "paid", "shipped", "completed", "ship_by")
        columns = {
            "_amount": amount,
            "_amount_bad": bad,
            # SKU references are the shop's own codes: prefixed with the shop to stay unique
            "_product": f"{literal(seller + ':')} || coalesce("
            + ", ".join(sql.text(c) for c in products)
            + ")",
            "_quantity": sql.value(at("quantity")),
            "_price": sql.value(at("deal_price")),
            **{name: sql.text(found[name]) for name in text_columns},
            **{name: sql.value(found[name]) for name in value_columns},
        }
        lines = sql.lines(ident(raw.table), at("order_id"), columns)
        firsts = [name for name in columns if not name.startswith("_")]
        optional = {
            "paid_at": "paid",
            "shipped_at": "shipped",
            "ship_by_at": "ship_by",
            "cancel_reason": "reason",
            "logistics_provider": "shipping",
            "province": "province",
        }
        order_fields = {
            "order_id": Field("_order", at("order_id")),
            "seller_id": Field(literal(seller), "--seller"),
            "buyer_id": Field(ident("buyer"), at("buyer")),
            "created_at": Field(ident("created"), at("created")),
            "status": Field("_status", at("status")),
            "gmv": Field("_gmv", at("subtotal")),
            "channel": Field(literal("shop"), "channel (constant)"),
            **{
                target: Field(ident(name), column)
                for target, name in optional.items()
                if (column := found[name]) is not None
            },
        }
        if found["completed"]:
            order_fields["delivered_at"] = Field(
                f"CASE WHEN _status IN ('delivered', 'returned') THEN {ident('completed')} END",
                found["completed"],
            )
        if found["reason"]:
            reason = f"lower({ident('reason')})"
            who = " ".join(
                f"WHEN regexp_matches({reason}, {literal(pattern)}) THEN {literal(initiator)}"
                for initiator, pattern in CANCELLED_BY
            )
            order_fields["cancel_initiator"] = Field(f"CASE {who} END", found["reason"])
        item_fields = {
            "order_id": Field("_order", at("order_id")),
            "line_no": Field("_line_no", f"{at('order_id')} (line number)"),
            "product_id": Field("_product", " / ".join(products)),
            "quantity": Field("_quantity", at("quantity")),
            "unit_price": Field("_price", at("deal_price")),
        }
        return (
            TableSource(
                "orders",
                sql.orders(
                    lines,
                    firsts,
                    status_columns(
                        STATUSES,
                        found["return_status"],
                        "return_status",
                        RETURN_GRANTED,
                        RETURN_NOT_GRANTED,
                    ),
                ),
                order_fields,
                parse,
            ),
            TableSource("order_items", SkuLines.items(lines), item_fields, parse),
        )


def _require(raw: RawFile, labels: tuple[str, ...]) -> str:
    """The file's column for ``labels`` (English, Indonesian); a clear error naming both."""
    try:
        return require_column(raw, *labels)
    except InputError as exc:
        raise InputError(
            f"{exc.reason}; an Indonesian export calls it {labels[1]!r}",
            file=raw.label,
            column=labels[0],
        ) from None


__all__ = ["CANCELLED_BY", "COLUMNS", "STATUSES", "ShopeeConnector"]
