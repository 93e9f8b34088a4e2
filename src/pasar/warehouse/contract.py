"""The warehouse data contract (DESIGN 2.3): every fact table, its grain, keys and columns.

Times are UTC, money is DECIMAL(18,2), IDs are strings. Ingestion validates against this
contract and the synthetic generator writes exactly these schemas.

Example:
    >>> CONTRACT["orders"].key
    ('order_id',)
    >>> CONTRACT["orders"].arrow_schema().field("gmv").type
    Decimal128Type(decimal128(18, 2))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pyarrow as pa

ColumnType = Literal["string", "timestamp", "money", "int", "float", "bool"]

_ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "money": pa.decimal128(18, 2),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    """One column: its type, whether it may be null, allowed values and what it refers to."""

    name: str
    type: ColumnType
    required: bool = True
    enum: tuple[str, ...] | None = None
    references: str | None = None  # "table.column"
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    default: str | None = None  # used when a source has no such column or leaves it empty


@dataclass(frozen=True)
class Table:
    """A fact table: grain, primary key, columns and the time order its timestamps obey."""

    name: str
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    time_order: tuple[tuple[str, str], ...] = field(default=())
    whole_by: str | None = None  # a batch carrying a parent carries all its rows (order lines)

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema the Parquet files of this table use."""
        return pa.schema(
            [pa.field(c.name, _ARROW_TYPES[c.type], nullable=not c.required) for c in self.columns]
        )


def _c(name: str, type_: ColumnType = "string", **kw: object) -> Column:
    return Column(name, type_, **kw)  # type: ignore[arg-type]


CHANNELS = ("live", "video", "showcase", "shop")
ORDER_STATUSES = (
    "awaiting_payment",
    "awaiting_shipment",
    "in_transit",
    "delivered",
    "cancelled",
    "returned",
)
CANCEL_INITIATORS = ("buyer", "seller", "system")
RETURN_FAULTS = ("seller", "buyer", "logistics")
VIOLATION_TYPES = ("prohibited", "counterfeit", "ip", "misleading", "wrong_category")
SEVERITIES = ("low", "medium", "high", "critical")

CONTRACT: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "sellers",
            "seller",
            ("seller_id",),
            (
                _c("seller_id"),
                _c("shop_name", required=False),
                _c(
                    "owner_ref",
                    required=False,
                    description="hashed ID card/tax/bank number; shared = linked",
                ),
                _c("category", required=False),
                _c("province", required=False),
                _c("city", required=False),
                _c("joined_at", "timestamp", required=False),
                _c("is_mall", "bool", default="false"),
            ),
        ),
        Table(
            "products",
            "listing",
            ("product_id",),
            (
                _c("product_id"),
                _c("seller_id", required=False, references="sellers.seller_id"),
                _c("title", required=False),
                _c("category", required=False),
                _c("price", "money", required=False, minimum=0),
                _c("listed_at", "timestamp", required=False),
                _c("status", enum=("active", "inactive", "banned"), default="active"),
            ),
        ),
        Table(
            "orders",
            "order",
            ("order_id",),
            (
                _c("order_id"),
                _c("seller_id", references="sellers.seller_id"),
                _c("buyer_id"),
                _c("created_at", "timestamp"),
                _c("paid_at", "timestamp", required=False),
                _c("ship_by_at", "timestamp", required=False, description="dispatch deadline"),
                _c("shipped_at", "timestamp", required=False),
                _c("estimated_delivery_at", "timestamp", required=False),
                _c("delivered_at", "timestamp", required=False),
                _c("status", enum=ORDER_STATUSES),
                _c("cancelled_at", "timestamp", required=False),
                _c("cancel_initiator", required=False, enum=CANCEL_INITIATORS),
                _c("cancel_reason", required=False),
                _c("returned_at", "timestamp", required=False),
                _c("return_reason", required=False),
                _c("return_fault", required=False, enum=RETURN_FAULTS),
                _c("gmv", "money", minimum=0),
                _c("channel", enum=CHANNELS, default="shop"),
                _c("creator_id", required=False, references="creators.creator_id"),
                _c("content_id", required=False, description="video_id or live_id"),
                _c("logistics_provider", required=False),
                _c("province", required=False),
            ),
            time_order=(
                ("created_at", "paid_at"),
                ("created_at", "shipped_at"),
                ("shipped_at", "delivered_at"),
                ("created_at", "delivered_at"),
                ("delivered_at", "returned_at"),
                ("created_at", "cancelled_at"),
            ),
        ),
        Table(
            "order_items",
            "order line",
            ("order_id", "line_no"),
            (
                _c("order_id", references="orders.order_id"),
                _c("line_no", "int", minimum=1),
                _c("product_id", references="products.product_id"),
                _c("quantity", "int", minimum=1, default="1"),
                _c("unit_price", "money", minimum=0),
            ),
            whole_by="order_id",
        ),
        Table(
            "reviews",
            "review",
            ("order_id",),
            (
                _c("order_id", references="orders.order_id"),
                _c("seller_id", references="sellers.seller_id"),
                _c("product_id", references="products.product_id"),
                _c("rating", "int", minimum=1, maximum=5),
                _c("created_at", "timestamp"),
            ),
        ),
        Table(
            "chats",
            "buyer conversation",
            ("conversation_id",),
            (
                _c("conversation_id"),
                _c("seller_id", references="sellers.seller_id"),
                _c("buyer_message_at", "timestamp"),
                _c("first_response_at", "timestamp", required=False),
            ),
            time_order=(("buyer_message_at", "first_response_at"),),
        ),
        Table(
            "listing_checks",
            "listing finding",
            ("check_id",),
            (
                _c("check_id"),
                _c("product_id", references="products.product_id"),
                _c("seller_id", references="sellers.seller_id"),
                _c("checked_at", "timestamp"),
                _c("violation_type", enum=VIOLATION_TYPES),
                _c("severity", enum=SEVERITIES),
                _c("source", enum=("automated", "manual", "buyer_report")),
            ),
        ),
        Table(
            "creators",
            "creator",
            ("creator_id",),
            (
                _c("creator_id"),
                _c("handle"),
                _c("followers", "int", minimum=0),
                _c("primary_category"),
                _c("province"),
                _c("joined_at", "timestamp"),
            ),
        ),
        Table(
            "videos",
            "short video",
            ("video_id",),
            (
                _c("video_id"),
                _c("creator_id", required=False, references="creators.creator_id"),
                _c("seller_id", references="sellers.seller_id"),
                _c("product_id", references="products.product_id"),
                _c("posted_at", "timestamp"),
                _c("views", "int", minimum=0),
                _c("likes", "int", minimum=0),
                _c("comments", "int", minimum=0),
                _c("shares", "int", minimum=0),
            ),
        ),
        Table(
            "live_sessions",
            "LIVE session",
            ("live_id",),
            (
                _c("live_id"),
                _c("host_type", enum=("seller", "creator")),
                _c("seller_id", required=False, references="sellers.seller_id"),
                _c("creator_id", required=False, references="creators.creator_id"),
                _c("started_at", "timestamp"),
                _c("ended_at", "timestamp"),
                _c("products_pinned", "int", minimum=0),
                _c("views", "int", minimum=0),
                _c("unique_viewers", "int", minimum=0),
                _c("peak_viewers", "int", minimum=0),
                _c("product_clicks", "int", minimum=0),
                _c("orders", "int", minimum=0),
                _c("gmv", "money", minimum=0),
            ),
            time_order=(("started_at", "ended_at"),),
        ),
        Table(
            "tickets",
            "support contact",
            ("ticket_id",),
            (
                _c("ticket_id"),
                _c("requester_type", enum=("buyer", "seller", "creator")),
                _c("requester_id"),
                _c("center"),
                _c("channel", enum=("chat", "email", "phone")),
                _c("category", description="contact reason"),
                _c("created_at", "timestamp"),
                _c("first_response_at", "timestamp", required=False),
                _c("resolved_at", "timestamp", required=False),
                _c("reopened", "bool"),
                _c("csat", "int", required=False, minimum=1, maximum=5),
            ),
            time_order=(("created_at", "first_response_at"), ("created_at", "resolved_at")),
        ),
    )
}


STUBBABLE = ("sellers", "products", "creators")
"""Tables whose missing rows are created as flagged stubs when another table refers to them.

Exports of orders rarely come with the shop, product or creator master data, and often arrive
before it; refusing those orders would lose real sales. A stub row holds only the key, is marked
``_stub = true``, and is replaced by the real row whenever it is ingested. Other references (an
order line whose order is unknown) are rejected: a line without its order has no meaning.
"""

LINEAGE_COLUMNS: tuple[tuple[str, pa.DataType], ...] = (
    ("_batch_id", pa.string()),
    ("_source_file", pa.string()),
    ("_source_row", pa.int64()),
    ("_stub", pa.bool_()),
)
"""Columns the warehouse adds to every row: which batch, file and row it came from; stub flag."""


def load_order() -> tuple[str, ...]:
    """Table names ordered so that every referenced table comes before the tables citing it.

    Example:
        >>> order = load_order()
        >>> order.index("sellers") < order.index("orders") < order.index("order_items")
        True
    """
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered or name in visiting:
            return
        visiting.add(name)
        for column in CONTRACT[name].columns:
            if column.references:
                visit(column.references.split(".")[0])
        ordered.append(name)

    for name in CONTRACT:
        visit(name)
    return tuple(ordered)
