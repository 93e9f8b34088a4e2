"""Merchants' LIVE activity per window, from the warehouse, under a program's integrity rules:
the measures targets pay on, in one DuckDB statement for any number of windows.

A merchant's own LIVE sessions (``host_type = 'seller'``) count by the local day they start.
A session is *long enough* when it lasts ``min_minutes`` with ``min_products_pinned``; it is
*valid* when it is also caught by none of the program's exclusions (checked predicates over
the session's columns, e.g. an idle stream). Streaks are runs of consecutive local days with a
valid session. Returns: the shop's own LIVE orders (``channel = 'live'`` without a creator)
created in the window and returned by the window's cut-off day; ``live_gmv`` is the GMV of
valid sessions less the GMV of those returns, never below zero; the refund rate is returned
orders over orders.

All sessions the shop hosted (valid or not) are also summed — ``sessions``, ``hours``,
``gmv_all``, ``views_all``, ``clicks_all``, ``orders_all`` — the definitions of the merchant
LIVE metrics of the catalog (``live_hours_30d``, ``live_gmv_30d`` …).

Example::

    rules = Rules.of(compiled)                                  # the program's integrity rules
    table = measure(con, [Span("2026-10", oct1, oct31, oct31)], rules, "Asia/Jakarta")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from pasar.incentives.programs import CompiledProgram
from pasar.metrics.dialects import dialect_for
from pasar.metrics.expressions import render

# the measures as float64 arrays (money included: amounts are rounded when paid)
NUMERIC = (
    "sessions",
    "hours",
    "gmv_all",
    "views_all",
    "clicks_all",
    "orders_all",
    "short_sessions",
    "valid_sessions",
    "valid_hours",
    "valid_gmv",
    "live_views",
    "product_clicks",
    "live_orders",
    "live_days",
    "longest_streak",
    "own_orders",
    "returned_orders",
    "returned_gmv",
    "live_gmv",
)


@dataclass(frozen=True)
class Span:
    """A window of local days (both included) and the day whose returns are known."""

    label: str
    start: dt.date
    end: dt.date
    cutoff: dt.date


@dataclass(frozen=True)
class Rules:
    """What makes a session valid: its length, pinned products, and no exclusion."""

    min_minutes: float = 60
    min_products_pinned: int = 1
    exclusions: Mapping[str, exp.Expr] = field(default_factory=dict)

    @classmethod
    def of(cls, compiled: CompiledProgram) -> Rules:
        session = compiled.program.integrity.valid_session
        return cls(session.min_minutes, session.min_products_pinned, dict(compiled.exclusions))


def measure(
    con: duckdb.DuckDBPyConnection,
    spans: Sequence[Span],
    rules: Rules,
    zone: str,
    sellers: Sequence[str] | None = None,
) -> pa.Table:
    """One row per (window label, seller) with activity in the window: the columns of
    :data:`NUMERIC`, ``excluded_<rule>`` per exclusion (sessions long enough but excluded),
    and ``refund_rate`` (NULL without orders). ``sellers`` limits the shops read."""
    if not spans:
        return pa.table(
            {"window": pa.array([], pa.string()), "seller_id": pa.array([], pa.string())}
        )
    windows = pa.table(
        {
            "w_label": [s.label for s in spans],
            "w_start": pa.array([s.start for s in spans], pa.date32()),
            "w_end": pa.array([s.end for s in spans], pa.date32()),
            "w_cutoff": pa.array([s.cutoff for s in spans], pa.date32()),
        }
    )
    cursor = con.cursor()
    try:
        cursor.register("__inc_windows", windows)
        if sellers is not None:
            cursor.register(
                "__inc_sellers", pa.table({"seller_id": pa.array(list(sellers), pa.string())})
            )
        return cursor.sql(_statement(rules, zone, sellers is not None)).to_arrow_table()
    finally:
        cursor.close()


def _statement(rules: Rules, zone: str, limited: bool) -> str:
    dialect = dialect_for("duckdb", zone)
    started, ended = exp.column("started_at"), exp.column("ended_at")
    day = dialect.local_date(started).sql("duckdb")
    micros = f"({dialect.micros(ended).sql('duckdb')} - {dialect.micros(started).sql('duckdb')})"
    created = dialect.local_date(exp.column("created_at")).sql("duckdb")
    returned = dialect.local_date(exp.column("returned_at")).sql("duckdb")
    names = list(rules.exclusions)
    flags = "".join(
        f", coalesce(({render(tree, dialect).sql('duckdb')}), false) AS x_{i}"
        for i, tree in enumerate(rules.exclusions.values())
    )
    excluded = " OR ".join(f"x_{i}" for i in range(len(names))) or "false"
    counted = "".join(
        f', count(*) FILTER (WHERE long_enough AND x_{i}) AS "excluded_{name}"'
        for i, name in enumerate(names)
    )
    shown = "".join(f', coalesce(a."excluded_{name}", 0) AS "excluded_{name}"' for name in names)
    only = "AND seller_id IN (SELECT seller_id FROM __inc_sellers)" if limited else ""
    minutes, pinned = float(rules.min_minutes), int(rules.min_products_pinned)
    return f"""
WITH s AS (
    SELECT w.w_label AS "window", l.seller_id, {day} AS day, {micros} AS micros,
           l.products_pinned, l.views, l.product_clicks, l.orders, l.gmv
           {flags}
    FROM live_sessions AS l
    JOIN __inc_windows AS w ON {day} BETWEEN w.w_start AND w.w_end
    WHERE l.host_type = 'seller' AND l.seller_id IS NOT NULL {only}
), f AS (
    SELECT *, micros >= {minutes * 60_000_000} AND products_pinned >= {pinned} AS long_enough,
           ({excluded}) AS excluded
    FROM s
), v AS (
    SELECT *, long_enough AND NOT excluded AS valid FROM f
), a AS (
    SELECT "window", seller_id,
           count(*) AS sessions,
           sum(micros) AS micros_all,
           sum(gmv) AS gmv_all,
           sum(views) AS views_all,
           sum(product_clicks) AS clicks_all,
           sum(orders) AS orders_all,
           count(*) FILTER (WHERE NOT long_enough) AS short_sessions,
           count(*) FILTER (WHERE valid) AS valid_sessions,
           coalesce(sum(micros) FILTER (WHERE valid), 0) AS valid_micros,
           coalesce(sum(gmv) FILTER (WHERE valid), 0) AS valid_gmv,
           coalesce(sum(views) FILTER (WHERE valid), 0) AS live_views,
           coalesce(sum(product_clicks) FILTER (WHERE valid), 0) AS product_clicks,
           coalesce(sum(orders) FILTER (WHERE valid), 0) AS live_orders,
           count(DISTINCT day) FILTER (WHERE valid) AS live_days
           {counted}
    FROM v GROUP BY ALL
), d AS (
    SELECT DISTINCT "window", seller_id, day FROM v WHERE valid
), runs AS (
    SELECT "window", seller_id,
           day - CAST(row_number() OVER (PARTITION BY "window", seller_id ORDER BY day) AS INTEGER)
               AS run
    FROM d
), streak AS (
    SELECT "window", seller_id, max(n) AS longest_streak
    FROM (SELECT "window", seller_id, run, count(*) AS n FROM runs GROUP BY ALL)
    GROUP BY ALL
), r AS (
    SELECT w.w_label AS "window", o.seller_id,
           count(*) AS own_orders,
           count(*) FILTER (WHERE o.returned_at IS NOT NULL AND {returned} <= w.w_cutoff)
               AS returned_orders,
           coalesce(sum(o.gmv) FILTER (
               WHERE o.returned_at IS NOT NULL AND {returned} <= w.w_cutoff), 0) AS returned_gmv
    FROM orders AS o
    JOIN __inc_windows AS w ON {created} BETWEEN w.w_start AND w.w_end
    WHERE o.channel = 'live' AND o.creator_id IS NULL AND o.seller_id IS NOT NULL {only}
    GROUP BY ALL
), k AS (
    SELECT "window", seller_id FROM a UNION SELECT "window", seller_id FROM r
)
SELECT k."window", k.seller_id,
       CAST(coalesce(a.sessions, 0) AS DOUBLE) AS sessions,
       coalesce(a.micros_all, 0) / 3.6e9 AS hours,
       CAST(coalesce(a.gmv_all, 0) AS DOUBLE) AS gmv_all,
       CAST(coalesce(a.views_all, 0) AS DOUBLE) AS views_all,
       CAST(coalesce(a.clicks_all, 0) AS DOUBLE) AS clicks_all,
       CAST(coalesce(a.orders_all, 0) AS DOUBLE) AS orders_all,
       CAST(coalesce(a.short_sessions, 0) AS DOUBLE) AS short_sessions,
       CAST(coalesce(a.valid_sessions, 0) AS DOUBLE) AS valid_sessions,
       coalesce(a.valid_micros, 0) / 3.6e9 AS valid_hours,
       CAST(coalesce(a.valid_gmv, 0) AS DOUBLE) AS valid_gmv,
       CAST(coalesce(a.live_views, 0) AS DOUBLE) AS live_views,
       CAST(coalesce(a.product_clicks, 0) AS DOUBLE) AS product_clicks,
       CAST(coalesce(a.live_orders, 0) AS DOUBLE) AS live_orders,
       CAST(coalesce(a.live_days, 0) AS DOUBLE) AS live_days,
       CAST(coalesce(streak.longest_streak, 0) AS DOUBLE) AS longest_streak,
       CAST(coalesce(r.own_orders, 0) AS DOUBLE) AS own_orders,
       CAST(coalesce(r.returned_orders, 0) AS DOUBLE) AS returned_orders,
       CAST(coalesce(r.returned_gmv, 0) AS DOUBLE) AS returned_gmv,
       CAST(greatest(coalesce(a.valid_gmv, 0) - coalesce(r.returned_gmv, 0), 0) AS DOUBLE)
           AS live_gmv,
       CASE WHEN coalesce(r.own_orders, 0) > 0
            THEN CAST(r.returned_orders AS DOUBLE) / r.own_orders END AS refund_rate
       {shown}
FROM k
LEFT JOIN a ON a."window" = k."window" AND a.seller_id = k.seller_id
LEFT JOIN streak ON streak."window" = k."window" AND streak.seller_id = k.seller_id
LEFT JOIN r ON r."window" = k."window" AND r.seller_id = k.seller_id
ORDER BY k."window", k.seller_id
"""


def aligned(table: pa.Table, window: str, sellers: Sequence[str]) -> dict[str, np.ndarray]:
    """The measures of ``window`` for ``sellers`` in that order (zero for a seller without
    activity; ``refund_rate`` NaN without orders)."""
    rows = table.filter(pc.equal(table["window"], window)) if table.num_rows else table
    position = {s: i for i, s in enumerate(sellers)}
    index = np.array([position.get(s, -1) for s in rows["seller_id"].to_pylist()], dtype=np.int64)
    keep = index >= 0
    found: dict[str, np.ndarray] = {}
    names = [n for n in table.column_names if n not in ("window", "seller_id")]
    for name in names or [*NUMERIC, "refund_rate"]:
        fill = np.nan if name == "refund_rate" else 0.0
        values = np.full(len(sellers), fill)
        if name in rows.column_names and rows.num_rows:
            column = rows[name].to_numpy(zero_copy_only=False).astype(np.float64)
            values[index[keep]] = column[keep]
        found[name] = values
    return found
