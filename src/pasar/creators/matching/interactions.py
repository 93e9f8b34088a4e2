"""Creator × product implicit feedback, read from the warehouse (or built by
:mod:`pasar.creators.matching.planted`): every order line a creator sold, every video a creator
posted about a product, and every LIVE session of a creator in which a product sold — each an
*event* with its time, so that any cut-off date splits them without leaking the future.

Example::

    data = load_warehouse(Warehouse(settings.warehouse_dir), settings.timezone)
    matrix = interaction_matrix(data, data.cutoff(data.latest_day()))   # creators × products
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import scipy.sparse as sp  # type: ignore[import-untyped]

from pasar.kit.errors import NotFoundError
from pasar.warehouse.store import Warehouse

ORDER, VIDEO, LIVE = 0, 1, 2
KINDS = ("order", "video", "live")
# What one event says about a creator × product pair: a paid order line says most (the
# creator sold it), a LIVE session that sold it next, a video about it least (reference
# creators.md 4.1: content posted < paid orders).
WEIGHTS = {"order": 3.0, "video": 1.0, "live": 2.0}
NEVER = np.iinfo(np.int64).min  # a creator or product whose start is unknown: always known
MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Creators:
    """Creator attributes (row ``i`` is creator index ``i``)."""

    ids: list[str]
    handles: list[str]
    followers: np.ndarray  # int64
    category: np.ndarray  # int32 index into MatchingData.categories, -1 unknown
    province: np.ndarray  # int32 index into MatchingData.provinces, -1 unknown
    joined_at: np.ndarray  # int64 µs UTC (NEVER when unknown)


@dataclass(frozen=True)
class Products:
    """Product attributes (row ``j`` is product index ``j``)."""

    ids: list[str]
    titles: list[str]
    sellers: list[str]
    category: np.ndarray  # int32, -1 unknown
    price: np.ndarray  # float64, IDR
    province: np.ndarray  # int32: the seller's province, -1 unknown
    listed_at: np.ndarray  # int64 µs UTC
    active: np.ndarray  # bool: may be recommended to creators


@dataclass(frozen=True)
class Events:
    """Creator × product events: ``kind`` ORDER (one order line), VIDEO or LIVE."""

    creator: np.ndarray  # int32
    product: np.ndarray  # int32
    at: np.ndarray  # int64 µs UTC
    kind: np.ndarray  # int8
    gmv: np.ndarray  # float64: the line's value for orders, 0 otherwise
    province: np.ndarray  # int32: the buyer's province for orders, -1 otherwise

    def __len__(self) -> int:
        return len(self.at)

    def select(self, rows: np.ndarray) -> Events:
        """The events at ``rows`` (an index or boolean mask)."""
        return Events(
            self.creator[rows],
            self.product[rows],
            self.at[rows],
            self.kind[rows],
            self.gmv[rows],
            self.province[rows],
        )


@dataclass(frozen=True)
class Stream:
    """A per-subject time series of one amount (GMV of sales, views of content, buyers)."""

    subject: np.ndarray  # int32 creator or product index
    at: np.ndarray  # int64 µs UTC
    value: np.ndarray  # float64 (views, GMV) or int32 (province index)


@dataclass
class MatchingData:
    """Everything matching reads: attributes, events and the streams behind the features.

    ``sales`` are the creator's orders through their LIVE sessions and videos (GMV, for GPM),
    ``exposure`` the views of their videos and LIVE sessions, ``buyers`` the buyer province of
    every order line of each product (its market, whoever sold it).
    """

    creators: Creators
    products: Products
    events: Events
    sales: Stream
    exposure: Stream
    buyers: Stream
    categories: tuple[str, ...]
    provinces: tuple[str, ...]
    zone: str = "Asia/Jakarta"

    @cached_property
    def creator_index(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.creators.ids)}

    @cached_property
    def product_index(self) -> dict[str, int]:
        return {p: j for j, p in enumerate(self.products.ids)}

    def creator(self, creator_id: str) -> int:
        """The index of ``creator_id`` (NotFoundError when the warehouse has no such creator)."""
        try:
            return self.creator_index[creator_id]
        except KeyError:
            raise NotFoundError(f"no creator {creator_id}", field="creator_id") from None

    def product(self, product_id: str) -> int:
        """The index of ``product_id`` (NotFoundError when there is no such product)."""
        try:
            return self.product_index[product_id]
        except KeyError:
            raise NotFoundError(f"no product {product_id}", field="product_id") from None

    def cutoff(self, as_of: dt.date) -> int:
        """The first instant (µs UTC) after local day ``as_of``: what a model as of that day
        may use is strictly before it."""
        return day_start(as_of + dt.timedelta(days=1), self.zone)

    def latest_day(self) -> dt.date:
        """The last local day with an event, a sale, a view or a buyer (yesterday when there
        is none)."""
        stamps = [
            s for s in (self.events.at, self.sales.at, self.exposure.at, self.buyers.at) if len(s)
        ]
        if not stamps:
            return dt.date.today() - dt.timedelta(days=1)
        last = max(int(s.max()) for s in stamps)
        moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=last)
        return moment.astimezone(ZoneInfo(self.zone)).date()


def day_start(day: dt.date, zone: str) -> int:
    """Local midnight of ``day`` in ``zone`` as µs since the epoch (UTC)."""
    moment = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone))
    return int(moment.timestamp()) * 1_000_000


def interaction_matrix(
    data: MatchingData, cutoff: int, weights: dict[str, float] | None = None
) -> sp.csr_matrix:
    """Creators × products: the summed weight of each pair's events before ``cutoff``."""
    events = data.events.select(data.events.at < cutoff)
    table = weights or WEIGHTS
    per_kind = np.array([table[k] for k in KINDS], dtype=np.float32)
    matrix = sp.csr_matrix(
        (per_kind[events.kind], (events.creator, events.product)),
        shape=(len(data.creators.ids), len(data.products.ids)),
        dtype=np.float32,
    )
    matrix.sum_duplicates()
    return matrix


# -- reading the warehouse ------------------------------------------------------------------

_CREATORS = """
SELECT creator_id, coalesce(handle, creator_id), coalesce(followers, 0), primary_category,
       province, coalesce(epoch_us(joined_at), {never}) AS joined
FROM creators WHERE NOT coalesce(_stub, false) ORDER BY creator_id
"""
_PRODUCTS = """
SELECT p.product_id, coalesce(p.title, p.product_id), p.seller_id, p.category,
       coalesce(CAST(p.price AS DOUBLE), 0), s.province,
       coalesce(epoch_us(p.listed_at), {never}), coalesce(p.status, 'active') = 'active'
FROM products p LEFT JOIN sellers s USING (seller_id)
WHERE NOT coalesce(p._stub, false) ORDER BY p.product_id
"""
# Order lines sold by a creator (cancelled orders sold nothing).
_ORDER_EVENTS = """
SELECT c.i, p.j, epoch_us(o.created_at), 0,
       CAST(i.quantity * i.unit_price AS DOUBLE), coalesce(r.k, -1)
FROM orders o JOIN order_items i USING (order_id)
JOIN _c c ON c.id = o.creator_id JOIN _p p ON p.id = i.product_id
LEFT JOIN _province r ON r.name = o.province
WHERE o.creator_id IS NOT NULL AND o.status IS DISTINCT FROM 'cancelled'
"""
_VIDEO_EVENTS = """
SELECT c.i, p.j, epoch_us(v.posted_at), 1, 0.0, NULL
FROM videos v JOIN _c c ON c.id = v.creator_id JOIN _p p ON p.id = v.product_id
WHERE v.posted_at IS NOT NULL
"""
# A LIVE session features the products its orders bought (once per session and product).
_LIVE_EVENTS = """
SELECT c.i, p.j, epoch_us(min(l.started_at)), 2, 0.0, NULL
FROM live_sessions l JOIN orders o ON o.content_id = l.live_id
JOIN order_items i USING (order_id)
JOIN _c c ON c.id = l.creator_id JOIN _p p ON p.id = i.product_id
WHERE l.host_type = 'creator' AND l.started_at IS NOT NULL
GROUP BY l.live_id, c.i, p.j
"""
# GPM as the metric catalog defines it (creators.yml creator_gpm_30d): GMV of the creator's
# LIVE and video orders per 1,000 views of their videos and LIVE sessions.
_SALES = """
SELECT c.i, epoch_us(o.created_at), CAST(o.gmv AS DOUBLE)
FROM orders o JOIN _c c ON c.id = o.creator_id
WHERE o.channel IN ('live', 'video') AND o.created_at IS NOT NULL AND o.gmv IS NOT NULL
"""
_EXPOSURE = """
SELECT c.i, epoch_us(v.posted_at), CAST(v.views AS DOUBLE)
FROM videos v JOIN _c c ON c.id = v.creator_id
WHERE v.posted_at IS NOT NULL AND v.views IS NOT NULL
UNION ALL
SELECT c.i, epoch_us(l.started_at), CAST(l.views AS DOUBLE)
FROM live_sessions l JOIN _c c ON c.id = l.creator_id
WHERE l.host_type = 'creator' AND l.started_at IS NOT NULL AND l.views IS NOT NULL
"""
_BUYERS = """
SELECT p.j, epoch_us(o.created_at), r.k
FROM orders o JOIN order_items i USING (order_id) JOIN _p p ON p.id = i.product_id
JOIN _province r ON r.name = o.province
WHERE o.province IS NOT NULL AND o.status IS DISTINCT FROM 'cancelled'
"""


def load_warehouse(warehouse: Warehouse, zone: str = "Asia/Jakarta") -> MatchingData:
    """Read creators, products, creator events and the feature streams from ``warehouse``."""
    con = warehouse.connect()
    try:
        creators = con.execute(_CREATORS.format(never=NEVER)).fetchall()
        products = con.execute(_PRODUCTS.format(never=NEVER)).fetchall()
        categories = tuple(
            sorted({r[3] for r in creators if r[3]} | {r[3] for r in products if r[3]})
        )
        provinces = tuple(
            sorted(
                {r[4] for r in creators if r[4]}
                | {r[5] for r in products if r[5]}
                | {
                    r[0]
                    for r in con.execute(
                        "SELECT DISTINCT province FROM orders WHERE province IS NOT NULL"
                    ).fetchall()
                }
            )
        )
        for name, key, ids in (
            ("_c", "i", [r[0] for r in creators]),
            ("_p", "j", [r[0] for r in products]),
            ("_province", "k", list(provinces)),
        ):
            column = "name" if name == "_province" else "id"
            con.register(name, pa.table({column: ids, key: np.arange(len(ids), dtype=np.int32)}))
        events = _events(con)
        sales = _stream(con, _SALES, np.float64)
        exposure = _stream(con, _EXPOSURE, np.float64)
        buyers = _stream(con, _BUYERS, np.int32)
    finally:
        con.close()
    category_of = {c: k for k, c in enumerate(categories)}
    province_of = {p: k for k, p in enumerate(provinces)}
    return MatchingData(
        creators=Creators(
            ids=[r[0] for r in creators],
            handles=[r[1] for r in creators],
            followers=np.array([r[2] for r in creators], dtype=np.int64),
            category=np.array([category_of.get(r[3], -1) for r in creators], dtype=np.int32),
            province=np.array([province_of.get(r[4], -1) for r in creators], dtype=np.int32),
            joined_at=np.array([r[5] for r in creators], dtype=np.int64),
        ),
        products=Products(
            ids=[r[0] for r in products],
            titles=[r[1] for r in products],
            sellers=[r[2] for r in products],
            category=np.array([category_of.get(r[3], -1) for r in products], dtype=np.int32),
            price=np.array([r[4] for r in products], dtype=np.float64),
            province=np.array([province_of.get(r[5], -1) for r in products], dtype=np.int32),
            listed_at=np.array([r[6] for r in products], dtype=np.int64),
            active=np.array([r[7] for r in products], dtype=bool),
        ),
        events=events,
        sales=sales,
        exposure=exposure,
        buyers=buyers,
        categories=categories,
        provinces=provinces,
        zone=zone,
    )


def _events(con: duckdb.DuckDBPyConnection) -> Events:
    parts = [
        _fetch(con, _ORDER_EVENTS),
        _fetch(con, _VIDEO_EVENTS),
        _fetch(con, _LIVE_EVENTS),
    ]
    table = pa.concat_tables(parts, promote_options="permissive")
    columns = [c.to_numpy(zero_copy_only=False) for c in table.columns]
    order = np.lexsort((columns[1], columns[0], columns[2]))  # by time, then creator, product
    province = np.nan_to_num(columns[5].astype(np.float64), nan=-1.0)
    return Events(
        creator=columns[0].astype(np.int32)[order],
        product=columns[1].astype(np.int32)[order],
        at=columns[2].astype(np.int64)[order],
        kind=columns[3].astype(np.int8)[order],
        gmv=columns[4].astype(np.float64)[order],
        province=province.astype(np.int32)[order],
    )


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    names = ["creator", "product", "at", "kind", "gmv", "province"]
    table: pa.Table = con.sql(sql).to_arrow_table()
    return pa.table(
        {
            "creator": table.column(0).cast(pa.int32()),
            "product": table.column(1).cast(pa.int32()),
            "at": table.column(2).cast(pa.int64()),
            "kind": table.column(3).cast(pa.int8()),
            "gmv": table.column(4).cast(pa.float64()),
            "province": table.column(5).cast(pa.int32()),
        }
    ).rename_columns(names)


def _stream(con: duckdb.DuckDBPyConnection, sql: str, dtype: type[np.generic]) -> Stream:
    table: pa.Table = con.sql(sql).to_arrow_table()
    subject, at, value = (c.to_numpy(zero_copy_only=False) for c in table.columns)
    return Stream(
        subject=subject.astype(np.int32),
        at=at.astype(np.int64),
        value=np.asarray(value).astype(dtype),
    )
