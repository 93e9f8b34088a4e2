"""What target forecasts read from the warehouse: every creator order (seller, local day,
GMV) of the history, sellers' categories and first days, and the creator funnel of a window
(content posted by creators, creators active, creator GMV); and from the operational store the
sellers' own pitching pipeline of that window (creators contacted, agreements).

Example::

    con = Warehouse(settings.warehouse_dir).connect()
    orders = load_creator_orders(con, "Asia/Jakarta", start, cutoff)
    series = orders.series(["S000001"])                  # a DailySeries
    reference = orders.series(orders.sellers_in({"beauty"}))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pasar.creators.collaboration_models import Pitch
from pasar.creators.targets import DailySeries, Funnel, Reference, reference_model
from pasar.kit.sqltext import literal

MIN_DAILY_ORDERS = 5.0  # a category with fewer creator orders a day borrows the marketplace's


@dataclass(frozen=True)
class CreatorOrders:
    """Creator orders from ``start`` to ``end`` (exclusive), one row each."""

    start: dt.date
    end: dt.date
    seller: np.ndarray  # index into ``sellers``
    day: np.ndarray  # days since ``start``
    gmv: np.ndarray
    sellers: tuple[str, ...]
    category: dict[str, str]  # seller → category ("" when unknown)
    first_day: dict[str, dt.date]  # seller → first local day with any order

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def sellers_in(self, categories: Collection[str]) -> list[str]:
        """Sellers whose category is one of ``categories``."""
        return [s for s in self.sellers if self.category.get(s, "") in categories]

    def series(self, sellers: Sequence[str] | None = None) -> DailySeries:
        """The daily creator GMV of ``sellers`` together (all sellers when None)."""
        if sellers is None:
            keep = np.ones(len(self.seller), dtype=bool)
            wanted = list(self.sellers)
        else:
            index = {s: i for i, s in enumerate(self.sellers)}
            codes = [index[s] for s in sellers if s in index]
            keep = np.isin(self.seller, np.asarray(codes, dtype=np.int64))
            wanted = list(sellers)
        day, gmv = self.day[keep], self.gmv[keep]
        firsts = [self.first_day[s] for s in wanted if s in self.first_day]
        return DailySeries(
            start=self.start,
            gmv=np.bincount(day, weights=gmv, minlength=self.days).astype(float),
            orders=np.bincount(day, minlength=self.days).astype(np.int64),
            value_day=day,
            value=gmv,
            first_active=min(firsts) if firsts else None,
        )


def _local_day(zone: str, column: str = "created_at") -> str:
    return f"CAST(timezone({literal(zone)}, {column}) AS DATE)"


def load_creator_orders(
    con: duckdb.DuckDBPyConnection, zone: str, start: dt.date, end: dt.date
) -> CreatorOrders:
    """Every creator order placed on local days ``start`` … ``end`` (exclusive)."""
    day = _local_day(zone)
    rows = con.execute(
        f"SELECT seller_id, datediff('day', ?::DATE, {day}) AS d, CAST(gmv AS DOUBLE) "
        f"FROM orders WHERE creator_id IS NOT NULL AND gmv IS NOT NULL AND seller_id IS NOT NULL "
        f"AND {day} >= ? AND {day} < ?",
        [start, start, end],
    ).fetchnumpy()
    firsts = con.execute(
        f"SELECT seller_id, min({day}) FROM orders WHERE {day} < ? GROUP BY 1", [end]
    ).fetchall()
    categories = dict(
        con.execute(
            "SELECT seller_id, coalesce(category, '') FROM sellers WHERE seller_id IS NOT NULL"
        ).fetchall()
    )
    first_day = {str(s): d for s, d in firsts if s is not None}
    names = tuple(sorted(first_day))
    codes = np.searchsorted(np.array(names, dtype=object), np.asarray(rows["seller_id"]))
    return CreatorOrders(
        start=start,
        end=end,
        seller=np.asarray(codes, dtype=np.int64),
        day=np.asarray(rows["d"], dtype=np.int64),
        gmv=np.asarray(rows[list(rows)[2]], dtype=float),
        sellers=names,
        category={s: str(categories.get(s, "")) for s in names},
        first_day=first_day,
    )


def load_funnel(
    con: duckdb.DuckDBPyConnection,
    zone: str,
    sellers: Sequence[str],
    start: dt.date,
    end: dt.date,
    contacts: int | None = None,
    agreements: int | None = None,
    source: str | None = None,
) -> Funnel:
    """The creator funnel of ``sellers`` over local days ``start`` … ``end`` (exclusive):
    videos and LIVE sessions by creators, creators active (content or sales) and creator
    GMV; ``contacts``/``agreements`` come from a pitching pipeline when given (``source``
    says where from)."""
    marks = ", ".join("?" for _ in sellers)
    row = con.execute(
        f"""
        WITH content AS (
            SELECT creator_id FROM videos
            WHERE creator_id IS NOT NULL AND seller_id IN ({marks})
              AND {_local_day(zone, "posted_at")} >= ? AND {_local_day(zone, "posted_at")} < ?
            UNION ALL
            SELECT creator_id FROM live_sessions
            WHERE host_type = 'creator' AND creator_id IS NOT NULL AND seller_id IN ({marks})
              AND {_local_day(zone, "started_at")} >= ?
              AND {_local_day(zone, "started_at")} < ?
        ), sales AS (
            SELECT creator_id, CAST(gmv AS DOUBLE) AS gmv FROM orders
            WHERE creator_id IS NOT NULL AND seller_id IN ({marks})
              AND {_local_day(zone)} >= ? AND {_local_day(zone)} < ?
        )
        SELECT (SELECT count(*) FROM content),
               (SELECT coalesce(sum(gmv), 0) FROM sales),
               (SELECT count(DISTINCT creator_id) FROM
                   (SELECT creator_id FROM content UNION SELECT creator_id FROM sales))
        """,
        [*sellers, start, end, *sellers, start, end, *sellers, start, end],
    ).fetchone()
    content, gmv, creators = row if row else (0, 0.0, 0)
    return Funnel(
        start=start,
        end=end,
        content=int(content),
        gmv=float(gmv),
        creators=int(creators),
        contacts=contacts,
        agreements=agreements,
        source=source
        or ("warehouse" if contacts is None and agreements is None else "warehouse + pipeline"),
    )


@dataclass(frozen=True)
class PipelineCounts:
    """The pitching pipeline of some sellers over local days ``start`` … ``end`` (exclusive):
    pitches first contacted in those days, and pitches agreed in those days (whenever they
    were contacted)."""

    start: dt.date
    end: dt.date
    contacts: int
    agreements: int

    @property
    def used(self) -> bool:
        """Whether the sellers pitched anyone in the window (else the pipeline says nothing
        about them: a seller that does not use it is not a seller that contacted nobody)."""
        return self.contacts > 0 or self.agreements > 0


def count_pitches(
    session: Session, zone: str, sellers: Sequence[str], start: dt.date, end: dt.date
) -> PipelineCounts:
    """Pitches of ``sellers`` contacted, and agreed, on local days ``start`` … ``end``
    (exclusive) of ``zone`` — from ``creator_pitches``' ``contacted_at`` and ``agreed_at``."""
    local = ZoneInfo(zone)
    first = dt.datetime.combine(start, dt.time(), tzinfo=local)
    after = dt.datetime.combine(end, dt.time(), tzinfo=local)
    chosen = sorted(set(sellers))

    def count(column: InstrumentedAttribute[dt.datetime | None]) -> int:
        found = session.scalar(
            select(func.count())
            .select_from(Pitch)
            .where(Pitch.seller_id.in_(chosen), column >= first, column < after)
        )
        return int(found or 0)

    return PipelineCounts(start, end, count(Pitch.contacted_at), count(Pitch.agreed_at))


def reference_for(
    orders: CreatorOrders,
    sellers: Sequence[str],
    cutoff: dt.date,
    cache: dict[tuple[tuple[str, ...], dt.date], Reference] | None = None,
) -> Reference:
    """The reference of ``sellers``: their categories together, with calendar multipliers
    pulled towards the marketplace's, or the whole marketplace when those categories had fewer
    than 5 creator orders a day before ``cutoff``."""
    cache = {} if cache is None else cache
    market_key: tuple[tuple[str, ...], dt.date] = ((), cutoff)
    if market_key not in cache:
        cache[market_key] = reference_model("the marketplace", orders.series(), cutoff)
    categories = tuple(sorted({orders.category.get(s, "") for s in sellers} - {""}))
    key = (categories, cutoff)
    if key not in cache:
        cache[key] = cache[market_key]
        if categories:
            series = orders.series(orders.sellers_in(categories)).until(cutoff)
            sold = np.flatnonzero(series.orders > 0)
            busy = len(sold) and series.orders.sum() / (len(series.orders) - sold[0])
            if busy and busy >= MIN_DAILY_ORDERS:
                cache[key] = reference_model(
                    f"category {' + '.join(categories)}", series, cutoff, cache[market_key].fit
                )
    return cache[key]
