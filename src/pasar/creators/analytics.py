"""Creator analytics over a period, from the warehouse: what each creator sold and through which
channel, how their content converts, what their commission costs, and their Creator Level.

Definitions (../shared/reference/creators.md):

* **GMV** — value of the attributed orders placed in the period, cancelled ones included (as the
  metric catalog's ``gmv_30d``); by channel LIVE, video and showcase.
* **Net GMV** — GMV less cancelled and returned orders: what commission is paid on.
* **Commission** — net GMV × the commission rate of the seller's category (``affiliate.yml``).
* **Views** — views of the videos posted and of the LIVE sessions the creator hosted in the period.
* **GPM** — LIVE + video GMV per 1,000 views. **Conversion** — LIVE + video orders ÷ views.
* **Active days** — days with a video, a LIVE or an attributed order.
* **Level** — from the previous calendar month's GMV and active days (refreshed on the 1st).

Example::

    con = Warehouse(settings.warehouse_dir).connect()
    rows = creator_performance(con, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    by_level = pivot(rows, "level")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import duckdb

from pasar.creators.rules import AffiliateRules, affiliate_rules

SUMMED = (
    "orders",
    "content_orders",
    "gmv",
    "gmv_live",
    "gmv_video",
    "gmv_showcase",
    "cancelled_gmv",
    "returned_gmv",
    "net_gmv",
    "commission",
    "videos",
    "lives",
    "content",
    "views",
)
DIMENSIONS = ("creator", "primary_category", "province", "level", "follower_tier")
FOLLOWER_TIERS = (  # lower bound of followers → tier, highest first
    (1_000_000, "mega (1M+)"),
    (500_000, "macro (500k–1M)"),
    (100_000, "mid (100k–500k)"),
    (10_000, "micro (10k–100k)"),
    (0, "nano (<10k)"),
)


def follower_tier(followers: int | None) -> str:
    """The tier of a follower count.

    >>> follower_tier(25_000)
    'micro (10k–100k)'
    """
    count = followers or 0
    return next(name for floor, name in FOLLOWER_TIERS if count >= floor)


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    first = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return first, after


def _rates_sql(rules: AffiliateRules) -> tuple[str, list[Any]]:
    pairs = [(k, v) for k, v in rules.commission_rates.items() if k != "default"]
    if not pairs:
        return "SELECT NULL::VARCHAR AS category, NULL::DECIMAL(6,4) AS rate WHERE false", []
    values = ", ".join("(?, CAST(? AS DECIMAL(6,4)))" for _ in pairs)
    return f"SELECT * FROM (VALUES {values}) AS r(category, rate)", [
        p for pair in pairs for p in (pair[0], str(pair[1]))
    ]


def creator_performance(
    con: duckdb.DuckDBPyConnection,
    start: dt.date,
    end: dt.date,
    creators: frozenset[str] | None = None,
    rules: AffiliateRules | None = None,
) -> list[dict[str, Any]]:
    """One row per creator (limited to ``creators`` when given) for the days ``start`` to
    ``end`` inclusive, most GMV first. Creators without any activity have zeros."""
    rules = rules or affiliate_rules()
    first, after = _bounds(start, end)
    rates, rate_params = _rates_sql(rules)
    visible = ""
    visible_params: list[Any] = []
    if creators is not None:
        if not creators:
            return []
        visible = f"AND c.creator_id IN ({', '.join('?' for _ in creators)})"
        visible_params = sorted(creators)
    sql = f"""
    WITH rates AS ({rates}),
    o AS (
        SELECT o.creator_id, o.channel, o.gmv,
               o.created_at::DATE AS day,
               o.status = 'cancelled' AS cancelled,
               o.status = 'returned' AS returned,
               coalesce(r.rate, CAST(? AS DECIMAL(6,4))) AS rate
        FROM orders o
        LEFT JOIN sellers s ON s.seller_id = o.seller_id
        LEFT JOIN rates r ON r.category = s.category
        WHERE o.creator_id IS NOT NULL AND o.created_at >= ? AND o.created_at < ?
    ),
    sold AS (
        SELECT creator_id,
               count(*) AS orders,
               count(*) FILTER (WHERE channel IN ('live', 'video')) AS content_orders,
               sum(gmv) AS gmv,
               coalesce(sum(gmv) FILTER (WHERE channel = 'live'), 0) AS gmv_live,
               coalesce(sum(gmv) FILTER (WHERE channel = 'video'), 0) AS gmv_video,
               coalesce(sum(gmv) FILTER (WHERE channel = 'showcase'), 0) AS gmv_showcase,
               coalesce(sum(gmv) FILTER (WHERE cancelled), 0) AS cancelled_gmv,
               coalesce(sum(gmv) FILTER (WHERE returned), 0) AS returned_gmv,
               coalesce(sum(gmv * rate) FILTER (WHERE NOT cancelled AND NOT returned), 0)
                   AS commission
        FROM o GROUP BY creator_id
    ),
    posted AS (
        SELECT creator_id, count(*) AS videos, coalesce(sum(views), 0) AS video_views
        FROM videos WHERE creator_id IS NOT NULL AND posted_at >= ? AND posted_at < ?
        GROUP BY creator_id
    ),
    hosted AS (
        SELECT creator_id, count(*) AS lives, coalesce(sum(views), 0) AS live_views
        FROM live_sessions
        WHERE host_type = 'creator' AND creator_id IS NOT NULL
          AND started_at >= ? AND started_at < ?
        GROUP BY creator_id
    ),
    active AS (
        SELECT creator_id, count(DISTINCT day) AS active_days FROM (
            SELECT creator_id, day FROM o
            UNION ALL SELECT creator_id, posted_at::DATE FROM videos
                WHERE creator_id IS NOT NULL AND posted_at >= ? AND posted_at < ?
            UNION ALL SELECT creator_id, started_at::DATE FROM live_sessions
                WHERE host_type = 'creator' AND creator_id IS NOT NULL
                  AND started_at >= ? AND started_at < ?
        ) GROUP BY creator_id
    )
    SELECT c.creator_id, c.handle, c.followers, c.primary_category, c.province,
           coalesce(sold.orders, 0) AS orders,
           coalesce(sold.content_orders, 0) AS content_orders,
           coalesce(sold.gmv, 0) AS gmv,
           coalesce(sold.gmv_live, 0) AS gmv_live,
           coalesce(sold.gmv_video, 0) AS gmv_video,
           coalesce(sold.gmv_showcase, 0) AS gmv_showcase,
           coalesce(sold.cancelled_gmv, 0) AS cancelled_gmv,
           coalesce(sold.returned_gmv, 0) AS returned_gmv,
           coalesce(sold.commission, 0) AS commission,
           coalesce(posted.videos, 0) AS videos,
           coalesce(hosted.lives, 0) AS lives,
           coalesce(posted.video_views, 0) + coalesce(hosted.live_views, 0) AS views,
           coalesce(active.active_days, 0) AS active_days
    FROM creators c
    LEFT JOIN sold ON sold.creator_id = c.creator_id
    LEFT JOIN posted ON posted.creator_id = c.creator_id
    LEFT JOIN hosted ON hosted.creator_id = c.creator_id
    LEFT JOIN active ON active.creator_id = c.creator_id
    WHERE NOT coalesce(c._stub, false) {visible}
    ORDER BY gmv DESC, c.creator_id
    """
    params = [
        *rate_params,
        str(rules.commission_rates["default"]),
        first,
        after,
        first,
        after,
        first,
        after,
        first,
        after,
        first,
        after,
        *visible_params,
    ]
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    levels = creator_levels(con, end.replace(day=1), rules, creators)
    for row in rows:
        _finish(row)
        row["level"] = levels.get(row["creator_id"], rules.levels[0].level)
        row["follower_tier"] = follower_tier(row["followers"])
    return rows


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value or 0))


def _finish(row: dict[str, Any]) -> None:
    """Derived columns of a row of sums (a creator's, or a group's)."""
    for name in ("gmv", "gmv_live", "gmv_video", "gmv_showcase", "cancelled_gmv"):
        row[name] = _money(row[name])
    row["returned_gmv"] = _money(row["returned_gmv"])
    row["commission"] = _money(row["commission"]).quantize(Decimal("0.01"))
    row["net_gmv"] = row["gmv"] - row["cancelled_gmv"] - row["returned_gmv"]
    row["content"] = int(row["videos"]) + int(row["lives"])
    views = int(row["views"])
    content_gmv = row["gmv_live"] + row["gmv_video"]
    row["gpm"] = (content_gmv * 1000 / views).quantize(Decimal("0.01")) if views else None
    row["conversion"] = int(row["content_orders"]) / views if views else None
    row["commission_ratio"] = float(row["commission"] / row["net_gmv"]) if row["net_gmv"] else None


def creator_levels(
    con: duckdb.DuckDBPyConnection,
    month: dt.date,
    rules: AffiliateRules | None = None,
    creators: frozenset[str] | None = None,
) -> dict[str, str]:
    """Each creator's level for the calendar month starting ``month`` (from the previous
    month's GMV and active days); creators without activity hold the lowest level."""
    rules = rules or affiliate_rules()
    if month.day != 1:
        raise ValueError(f"a level month starts on the 1st, not {month}")
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    first, after = _bounds(previous, month - dt.timedelta(days=1))
    rows = con.execute(
        """
        WITH days AS (
            SELECT creator_id, created_at::DATE AS day, gmv FROM orders
                WHERE creator_id IS NOT NULL AND created_at >= ? AND created_at < ?
            UNION ALL SELECT creator_id, posted_at::DATE, 0 FROM videos
                WHERE creator_id IS NOT NULL AND posted_at >= ? AND posted_at < ?
            UNION ALL SELECT creator_id, started_at::DATE, 0 FROM live_sessions
                WHERE host_type = 'creator' AND creator_id IS NOT NULL
                  AND started_at >= ? AND started_at < ?
        )
        SELECT creator_id, sum(gmv), count(DISTINCT day) FROM days GROUP BY creator_id
        """,
        [first, after] * 3,
    ).fetchall()
    return {
        creator: rules.level_for(_money(gmv), int(active))
        for creator, gmv, active in rows
        if creators is None or creator in creators
    }


def last_order_day(con: duckdb.DuckDBPyConnection) -> dt.date | None:
    """The day of the latest order in the warehouse (where "the last 30 days" end)."""
    found = con.execute("SELECT max(created_at)::DATE FROM orders").fetchone()
    return found[0] if found else None


def pivot(rows: Iterable[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    """Creators' rows summed by a dimension (``creator`` keeps one row per creator), ratios
    recomputed from the sums (never averaged), most GMV first; ``creators`` counts each
    group's creators and ``selling`` those with at least one order."""
    if by not in DIMENSIONS:
        raise ValueError(f"cannot group by {by!r}; choose one of {', '.join(DIMENSIONS)}")
    key = "creator_id" if by == "creator" else by
    groups: dict[Any, dict[str, Any]] = {}
    for row in rows:
        group = groups.setdefault(
            row[key],
            {by: row[key], "creators": 0, "selling": 0, **{name: 0 for name in SUMMED}},
        )
        if by == "creator":
            group["handle"] = row["handle"]
        group["creators"] += 1
        group["selling"] += 1 if row["orders"] else 0
        for name in SUMMED:
            group[name] += row[name]
    result = list(groups.values())
    for group in result:
        _finish(group)
    result.sort(key=lambda g: (-g["gmv"], str(g[by])))
    return result


def totals(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The sums of all ``rows`` with their ratios (the bottom line of a pivot)."""
    total: dict[str, Any] = {"creators": 0, "selling": 0, **{name: 0 for name in SUMMED}}
    for row in rows:
        total["creators"] += row.get("creators", 1)
        total["selling"] += row.get("selling", 1 if row["orders"] else 0)
        for name in SUMMED:
            total[name] += row[name]
    _finish(total)
    return total
