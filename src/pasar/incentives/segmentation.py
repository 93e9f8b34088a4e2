"""Merchant segments: a tier by trailing GMV (Pareto within the shop's category) and a LIVE
lifecycle stage, as of a day; the population by tier × stage with LIVE supply and conversion;
and the movement between stages month over month.

The rules are configuration (``pasar/catalog/incentives/segmentation.yml``):

* **tier** — within each category, shops ranked by the trailing GMV metric of the merchant
  snapshot (``gmv_90d``): *top* is the smallest set covering ``top.cumulative_share`` of the
  category's GMV, at most ``max_count_share`` of its shops (at least one); *mid* the shops up to
  ``mid.cumulative_share``; the rest, and every shop without GMV, *long_tail*.
* **stage** — *onboarding*: a shop at most ``shop_age_days`` old or with fewer than
  ``min_sessions_ever`` valid LIVE sessions ever; *retention* (at risk): no valid session for
  more than ``recency_days``, or a shop active in the 30 days before (``active_sessions_30d``
  valid sessions) whose LIVE GMV fell by more than ``gmv_drop``; of the other (active) shops,
  *scaling* those at or above their tier's median on every ``at_least_median`` measure,
  *growth* the rest.

The 30-day LIVE measures are the catalog's merchant metrics (``valid_live_sessions_30d``,
``live_hours_30d``, ``live_gmv_30d``, ``live_views_30d``, ``live_gpm_30d``, ``live_days_30d``),
computed by :mod:`pasar.incentives.activity` with the configured valid-session rule; with the
default rule they equal the merchant snapshot's values. Enrolment freezes a shop's segment.

Example::

    table = segment(con, settings, catalog, dt.date(2026, 10, 31))
    population(table)        # tier × stage rows with supply and conversion
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, model_validator

from pasar.config import Settings
from pasar.incentives.activity import Rules, Span, measure
from pasar.incentives.spec import STAGES, TIERS, ValidSession
from pasar.kit.issues import Issues, IssuesError
from pasar.kit.yamlfile import LineMapping, parse_yaml, validate_model
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import build_snapshots, snapshot_path

SEGMENT_MEASURES = (
    "valid_live_sessions_30d",
    "live_hours_30d",
    "live_gmv_30d",
    "live_views_30d",
    "live_gpm_30d",
    "live_days_30d",
    "live_orders_30d",
    "live_product_clicks_30d",
    "live_click_to_order_30d",
)


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TopRule(_Spec):
    cumulative_share: float = Field(gt=0, lt=1)
    max_count_share: float = Field(default=1.0, gt=0, le=1)


class MidRule(_Spec):
    cumulative_share: float = Field(gt=0, le=1)


class TierRules(_Spec):
    metric: str = "gmv_90d"
    within: Literal["category", "marketplace"] = "category"
    top: TopRule
    mid: MidRule

    @model_validator(mode="after")
    def _ordered(self) -> TierRules:
        if self.mid.cumulative_share <= self.top.cumulative_share:
            raise ValueError("mid.cumulative_share must be above top.cumulative_share")
        return self


class Onboarding(_Spec):
    shop_age_days: int = Field(default=30, ge=0)
    min_sessions_ever: int = Field(default=3, ge=0)


class Retention(_Spec):
    recency_days: int = Field(default=14, ge=1)
    active_sessions_30d: int = Field(default=4, ge=1)
    gmv_drop: float = Field(default=0.5, gt=0, lt=1)


class Scaling(_Spec):
    at_least_median: list[str] = Field(default_factory=lambda: ["live_hours_30d", "live_gpm_30d"])

    @model_validator(mode="after")
    def _known(self) -> Scaling:
        for name in self.at_least_median:
            if name not in SEGMENT_MEASURES:
                raise ValueError(f"unknown measure {name!r}; use {', '.join(SEGMENT_MEASURES)}")
        return self


class StageRules(_Spec):
    valid_session: ValidSession = Field(default_factory=ValidSession)
    onboarding: Onboarding = Field(default_factory=Onboarding)
    retention: Retention = Field(default_factory=Retention)
    scaling: Scaling = Field(default_factory=Scaling)


class Segmentation(_Spec):
    """The segmentation rules (see the module's docstring)."""

    tiers: TierRules
    stages: StageRules = Field(default_factory=StageRules)


def shipped_rules_file() -> Path:
    return Path(str(resources.files("pasar.catalog").joinpath("incentives/segmentation.yml")))


def load_rules(path: Path | None = None) -> Segmentation:
    """The segmentation rules of ``path`` (the shipped file by default); every problem with
    its file and line as an :class:`IssuesError`."""
    path = path or shipped_rules_file()
    issues = Issues()
    document = parse_yaml(str(path), path.read_text(encoding="utf-8"), issues)
    rules = None
    if isinstance(document, LineMapping):
        rules = validate_model(
            Segmentation, document, str(path), issues, 1, {}, label=lambda _: "segmentation"
        )
    elif not issues:
        issues.add(str(path), 1, "the segmentation file is a mapping with tiers and stages")
    if rules is None or issues:
        raise IssuesError("segmentation rules have problems", issues)
    return rules


@dataclass(frozen=True)
class Segments:
    """Every shop's segment as of a day: ``table`` has seller_id, category, joined_on,
    trailing_gmv, tier, stage, sessions_ever, last_live_day, the valid sessions and LIVE GMV
    of the 30 days before the last 30 (``…_before_30d``) and :data:`SEGMENT_MEASURES`."""

    as_of: dt.date
    table: pa.Table

    def by_seller(self) -> dict[str, dict[str, Any]]:
        return {row["seller_id"]: row for row in self.table.to_pylist()}


def segment(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    catalog: Catalog,
    as_of: dt.date,
    rules: Segmentation | None = None,
) -> Segments:
    """Every shop of the sellers table that had joined by ``as_of``, with its tier and stage
    as of the end of that local day."""
    rules = rules or load_rules()
    catalog.metric(rules.tiers.metric)
    build_snapshots("merchant", [as_of], settings, catalog, con)
    snapshot = snapshot_path(settings.snapshots_dir, "merchant", as_of).as_posix()
    valid = Rules(
        rules.stages.valid_session.min_minutes, rules.stages.valid_session.min_products_pinned
    )
    day = dt.timedelta(days=1)
    spans = [
        Span("now", as_of - 29 * day, as_of, as_of),
        Span("before", as_of - 59 * day, as_of - 30 * day, as_of),
        Span("ever", dt.date(1970, 1, 1), as_of, as_of),
    ]
    activity = measure(con, spans, valid, settings.timezone)
    cursor = con.cursor()
    try:
        cursor.register("__seg_activity", activity)
        table = cursor.sql(_statement(rules, as_of, settings.timezone, snapshot)).to_arrow_table()
    finally:
        cursor.close()
    return Segments(as_of, table)


def _statement(rules: Segmentation, as_of: dt.date, zone: str, snapshot: str) -> str:
    tiers, stages = rules.tiers, rules.stages
    partition = "PARTITION BY category" if tiers.within == "category" else ""
    scaling = (
        " AND ".join(
            f"{name} IS NOT NULL AND {name} >= median_{i}"
            for i, name in enumerate(stages.scaling.at_least_median)
        )
        or "true"
    )
    medians = (
        ", ".join(
            f"quantile_cont({name}, 0.5) FILTER (WHERE stage0 = 'active') "
            f"OVER (PARTITION BY tier) AS median_{i}"
            for i, name in enumerate(stages.scaling.at_least_median)
        )
        or "NULL AS median_none"
    )
    day = f"DATE '{as_of.isoformat()}'"
    return f"""
WITH shops AS (
    SELECT s.seller_id, coalesce(s.category, '(none)') AS category,
           CAST(timezone('{zone}', s.joined_at) AS DATE) AS joined_on
    FROM sellers AS s
    WHERE s.seller_id IS NOT NULL
      AND (s.joined_at IS NULL OR CAST(timezone('{zone}', s.joined_at) AS DATE) <= {day})
), g AS (
    SELECT seller_id, CAST({tiers.metric} AS DOUBLE) AS trailing_gmv
    FROM read_parquet('{snapshot}')
), base AS (
    SELECT shops.*, coalesce(g.trailing_gmv, 0) AS trailing_gmv
    FROM shops LEFT JOIN g USING (seller_id)
), ranked AS (
    SELECT *,
           sum(trailing_gmv) OVER ({partition}) AS group_gmv,
           count(*) OVER ({partition}) AS group_shops,
           coalesce(sum(trailing_gmv) OVER ({partition} ORDER BY trailing_gmv DESC, seller_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS gmv_before,
           row_number() OVER ({partition} ORDER BY trailing_gmv DESC, seller_id) AS gmv_rank
    FROM base
), tiered AS (
    SELECT *,
           CASE WHEN trailing_gmv <= 0 THEN 'long_tail'
                WHEN gmv_before < {tiers.top.cumulative_share} * group_gmv
                     AND gmv_rank <= greatest(1, ceil({tiers.top.max_count_share} * group_shops))
                     THEN 'top'
                WHEN gmv_before < {tiers.mid.cumulative_share} * group_gmv THEN 'mid'
                ELSE 'long_tail' END AS tier
    FROM ranked
), act AS (
    SELECT t.*,
           coalesce(n.valid_sessions, 0) AS valid_live_sessions_30d,
           coalesce(n.hours, 0) AS live_hours_30d,
           coalesce(n.gmv_all, 0) AS live_gmv_30d,
           coalesce(n.views_all, 0) AS live_views_30d,
           CASE WHEN coalesce(n.views_all, 0) > 0 THEN n.gmv_all * 1000 / n.views_all END
               AS live_gpm_30d,
           coalesce(n.live_days, 0) AS live_days_30d,
           coalesce(n.orders_all, 0) AS live_orders_30d,
           coalesce(n.clicks_all, 0) AS live_product_clicks_30d,
           CASE WHEN coalesce(n.clicks_all, 0) > 0 THEN n.orders_all / n.clicks_all END
               AS live_click_to_order_30d,
           coalesce(b.valid_sessions, 0) AS sessions_before,
           coalesce(b.gmv_all, 0) AS gmv_before_30d,
           coalesce(e.valid_sessions, 0) AS sessions_ever
    FROM tiered AS t
    LEFT JOIN __seg_activity AS n ON n."window" = 'now' AND n.seller_id = t.seller_id
    LEFT JOIN __seg_activity AS b ON b."window" = 'before' AND b.seller_id = t.seller_id
    LEFT JOIN __seg_activity AS e ON e."window" = 'ever' AND e.seller_id = t.seller_id
), last_day AS (
    SELECT seller_id, max(day) AS last_live_day FROM (
        SELECT seller_id, CAST(timezone('{zone}', started_at) AS DATE) AS day,
               (epoch_us(ended_at) - epoch_us(started_at)) / 60000000.0 AS minutes,
               products_pinned
        FROM live_sessions WHERE host_type = 'seller' AND seller_id IS NOT NULL)
    WHERE day <= {day} AND minutes >= {float(stages.valid_session.min_minutes)}
      AND products_pinned >= {int(stages.valid_session.min_products_pinned)}
    GROUP BY seller_id
), staged AS (
    SELECT act.*, l.last_live_day,
           CASE WHEN (joined_on IS NOT NULL
                      AND {day} - joined_on <= {stages.onboarding.shop_age_days})
                     OR sessions_ever < {stages.onboarding.min_sessions_ever} THEN 'onboarding'
                WHEN l.last_live_day IS NULL
                     OR {day} - l.last_live_day > {stages.retention.recency_days}
                     OR (sessions_before >= {stages.retention.active_sessions_30d}
                         AND gmv_before_30d > 0
                         AND live_gmv_30d < {1 - stages.retention.gmv_drop} * gmv_before_30d)
                     THEN 'retention'
                ELSE 'active' END AS stage0
    FROM act LEFT JOIN last_day AS l USING (seller_id)
), medians AS (
    SELECT *, {medians} FROM staged
)
SELECT seller_id, category, joined_on, trailing_gmv, tier,
       CASE WHEN stage0 <> 'active' THEN stage0 WHEN {scaling} THEN 'scaling' ELSE 'growth' END
           AS stage,
       CAST(sessions_ever AS BIGINT) AS sessions_ever, last_live_day,
       sessions_before AS valid_live_sessions_before_30d, gmv_before_30d AS live_gmv_before_30d,
       {", ".join(SEGMENT_MEASURES)}
FROM medians
ORDER BY seller_id
"""


def month_before(day: dt.date) -> dt.date:
    """The same day a calendar month earlier (the month's last day when it is shorter)."""
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def population(segments: Segments) -> list[dict[str, Any]]:
    """Tier × stage: shops, and their LIVE supply and conversion over 30 days — valid
    sessions (in all, per shop), hours, GMV, GPM (GMV per 1,000 views, of the sums) and
    click-to-order (orders over product clicks, of the sums)."""
    groups: dict[tuple[str, str], dict[str, float]] = {}
    for row in segments.table.to_pylist():
        key = (row["tier"], row["stage"])
        sums = groups.setdefault(
            key,
            dict.fromkeys(
                ("shops", "live_shops", "sessions", "hours", "gmv", "views", "orders", "clicks"),
                0.0,
            ),
        )
        sums["shops"] += 1
        sums["live_shops"] += 1 if row["valid_live_sessions_30d"] else 0
        sums["sessions"] += row["valid_live_sessions_30d"]
        sums["hours"] += row["live_hours_30d"]
        sums["gmv"] += row["live_gmv_30d"]
        sums["views"] += row["live_views_30d"]
        sums["orders"] += row["live_orders_30d"]
        sums["clicks"] += row["live_product_clicks_30d"]
    rows = []
    for tier in TIERS:
        for stage in STAGES:
            found = groups.get((tier, stage))
            if found is None:
                continue
            sums = found
            rows.append(
                {
                    "tier": tier,
                    "stage": stage,
                    "shops": int(sums["shops"]),
                    "live_shops": int(sums["live_shops"]),
                    "valid_sessions": int(sums["sessions"]),
                    "sessions_per_shop": sums["sessions"] / sums["shops"],
                    "hours": sums["hours"],
                    "gmv": sums["gmv"],
                    "gpm": sums["gmv"] * 1000 / sums["views"] if sums["views"] else None,
                    "click_to_order": sums["orders"] / sums["clicks"] if sums["clicks"] else None,
                }
            )
    return rows


def movement(before: Segments, after: Segments, what: str = "stage") -> list[dict[str, Any]]:
    """How many shops went from each ``what`` (stage or tier) as of ``before.as_of`` to each
    as of ``after.as_of``; shops new since then come ``from`` ``new``."""
    names = STAGES if what == "stage" else TIERS
    earlier = {r["seller_id"]: r[what] for r in before.table.to_pylist()}
    counts: dict[tuple[str, str], int] = {}
    for row in after.table.to_pylist():
        key = (earlier.get(row["seller_id"], "new"), row[what])
        counts[key] = counts.get(key, 0) + 1
    rows = []
    for start in ("new", *names):
        line: dict[str, Any] = {"from": start}
        total = 0
        for end in names:
            line[end] = counts.get((start, end), 0)
            total += line[end]
        if total:
            line["total"] = total
            line["stayed"] = line.get(start, 0) / total if start != "new" else None
            rows.append(line)
    return rows


def tiers_of(segments: Segments, sellers: Sequence[str]) -> list[str]:
    """The tier of each of ``sellers`` (long_tail for a shop not segmented)."""
    found = {
        r["seller_id"]: r["tier"] for r in segments.table.select(["seller_id", "tier"]).to_pylist()
    }
    return [found.get(s, "long_tail") for s in sellers]
