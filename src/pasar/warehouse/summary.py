"""A one-screen summary of a folder of fact tables, computed with DuckDB.

Example:
    >>> summary = summarise(Path(".pasar/landing/synth"))   # doctest: +SKIP
    >>> summary.orders                                       # doctest: +SKIP
    612345
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import literal
from pasar.warehouse.store import Warehouse


@dataclass(frozen=True)
class MarketplaceSummary:
    orders: int
    gmv: Decimal
    sellers: int
    creators: int
    live_sessions: int
    first_day: date
    last_day: date
    affiliate_share: float
    top_categories: list[tuple[str, Decimal, float]]  # (category, GMV, share of GMV)


def _table(source: Path | Warehouse, name: str) -> str:
    if isinstance(source, Warehouse):
        if not source.manifest().entry(name).segments:
            raise InputError(f"the warehouse has no {name} yet (run pasar ingest)")
        return source.table_sql(name)
    path = source / f"{name}.parquet"
    if not path.exists():
        raise InputError(f"missing fact table {name}", file=str(path))
    return f"read_parquet({literal(path.as_posix())})"


def summarise(
    folder: Path | Warehouse, timezone: str = "Asia/Jakarta", top: int = 5
) -> MarketplaceSummary:
    """Count orders, GMV, sellers, creators, LIVE sessions and the top categories by GMV.

    ``folder`` is a directory of ``<table>.parquet`` files (generator output) or the warehouse.
    """
    con = duckdb.connect()
    try:
        con.execute(f"SET TimeZone = '{timezone}'")
        orders = _table(folder, "orders")
        n, gmv, first, last, affiliate = con.execute(
            f"SELECT count(*), coalesce(sum(gmv), 0), min(created_at)::DATE, "
            f"max(created_at)::DATE, avg((creator_id IS NOT NULL)::INT) FROM {orders}"
        ).fetchone() or (0, 0, None, None, 0.0)
        counts = {
            name: (con.execute(f"SELECT count(*) FROM {_table(folder, name)}").fetchone() or (0,))[
                0
            ]
            for name in ("sellers", "creators", "live_sessions")
        }
        categories = con.execute(
            f"""
            SELECT p.category, sum(i.quantity * i.unit_price) AS gmv,
                   sum(i.quantity * i.unit_price) / sum(sum(i.quantity * i.unit_price)) OVER ()
            FROM {_table(folder, "order_items")} i
            JOIN {_table(folder, "products")} p USING (product_id)
            GROUP BY 1 ORDER BY 2 DESC LIMIT {int(top)}
            """
        ).fetchall()
    finally:
        con.close()
    return MarketplaceSummary(
        orders=int(n),
        gmv=Decimal(gmv),
        sellers=int(counts["sellers"]),
        creators=int(counts["creators"]),
        live_sessions=int(counts["live_sessions"]),
        first_day=first,
        last_day=last,
        affiliate_share=float(affiliate or 0.0),
        top_categories=[(c, Decimal(g), float(share)) for c, g, share in categories],
    )
