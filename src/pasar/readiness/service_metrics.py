"""Service metrics from support tickets, per center, channel or contact reason: first response
and resolution percentiles, the backlog and its age, the reopen rate, CSAT and contacts per
1,000 orders; a Pareto of contact reasons with the change over the week before; and alerts
when a metric crosses its threshold.

The metrics are the catalog's (``catalog/metrics/service.yml``) queried by dimension through
the metric layer; only the backlog's age (no catalog metric) is computed here, over the same
warehouse. Periods end at the end of the local (Asia/Jakarta) day ``as_of``.

Example::

    rows = service_metrics(settings, dt.date(2026, 10, 8), by="channel")
    pareto = contact_reasons(settings, dt.date(2026, 10, 8))
    [a.describe() for a in alerts(settings, dt.date(2026, 10, 8))]
"""

from __future__ import annotations

import datetime as dt
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import duckdb

from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.metrics.catalog import Catalog
from pasar.metrics.query import QueryRequest, catalog_for, run_query
from pasar.warehouse.store import Warehouse

DIMENSIONS = {"center": "center", "channel": "channel", "reason": "category"}
METRICS = (
    "tickets_7d",
    "tickets_30d",
    "first_response_hours_p50_7d",
    "first_response_hours_p90_7d",
    "resolution_hours_p50_7d",
    "resolution_hours_p90_7d",
    "backlog",
    "reopen_rate_30d",
    "csat_mean_30d",
)
DERIVED = (
    "contacts_per_1000_orders_30d",
    "backlog_days",
    "backlog_age_p50_hours",
    "backlog_age_max_hours",
    "backlog_over_2d",
)
LABELS = {
    "tickets_7d": "Contacts, 7 days",
    "tickets_30d": "Contacts, 30 days",
    "first_response_hours_p50_7d": "First response p50 (h)",
    "first_response_hours_p90_7d": "First response p90 (h)",
    "resolution_hours_p50_7d": "Resolution p50 (h)",
    "resolution_hours_p90_7d": "Resolution p90 (h)",
    "backlog": "Backlog",
    "backlog_days": "Backlog (days of volume)",
    "backlog_age_p50_hours": "Backlog age p50 (h)",
    "backlog_age_max_hours": "Oldest open (h)",
    "backlog_over_2d": "Open over 2 days",
    "reopen_rate_30d": "Reopen rate, 30 days",
    "csat_mean_30d": "CSAT, 30 days",
    "contacts_per_1000_orders_30d": "Contacts per 1,000 orders",
}


def _dimension(by: str) -> str:
    if by not in DIMENSIONS:
        raise ValidationError(f"by {by!r}: use {', '.join(DIMENSIONS)}", field="by")
    return DIMENSIONS[by]


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _end(day: dt.date, zone: str) -> dt.datetime:
    """The UTC instant the local day after ``day`` begins."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(zone))
    return local.astimezone(dt.UTC)


def service_metrics(
    settings: Settings,
    day: dt.date,
    by: str = "center",
    *,
    catalog: Catalog | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """One row per center, channel or contact reason (``by``) with every service metric as
    of ``day``, largest volume first; ``key`` names the group."""
    dimension = _dimension(by)
    catalog = catalog or catalog_for(settings)
    con = con or Warehouse(settings.warehouse_dir).connect()
    table = run_query(
        QueryRequest(list(METRICS), by=[dimension], as_of=day), settings, catalog, con
    )
    orders = run_query(QueryRequest(["orders_30d"], as_of=day), settings, catalog, con)
    orders_30d = (orders.table.to_pylist() or [{"orders_30d": None}])[0]["orders_30d"]
    ages = backlog_ages(con, settings, day, dimension)
    rows = []
    for found in table.table.to_pylist():
        key = found[dimension]
        if key is None:
            continue
        row: dict[str, Any] = {"key": key, **{m: _clean(found[m]) for m in METRICS}}
        per_day = (row["tickets_7d"] or 0) / 7
        row["backlog_days"] = (
            row["backlog"] / per_day if per_day and row["backlog"] is not None else None
        )
        row["contacts_per_1000_orders_30d"] = (
            row["tickets_30d"] * 1000 / orders_30d if orders_30d else None
        )
        row.update(
            ages.get(
                key,
                {
                    "backlog_age_p50_hours": None,
                    "backlog_age_max_hours": None,
                    "backlog_over_2d": 0,
                },
            )
        )
        rows.append(row)
    rows.sort(key=lambda r: (-(r["tickets_7d"] or 0), str(r["key"])))
    return rows


def backlog_ages(
    con: duckdb.DuckDBPyConnection, settings: Settings, day: dt.date, dimension: str
) -> dict[str, dict[str, Any]]:
    """For each group: the median and largest age in hours of the contacts open at the end
    of ``day``, and how many were open for more than two days."""
    if dimension not in DIMENSIONS.values():
        raise ValidationError(f"unknown dimension {dimension!r}", field="by")
    rows = con.execute(
        f"""
        SELECT "{dimension}" AS key,
               quantile_cont(age, 0.5) AS p50, max(age) AS oldest,
               count(*) FILTER (WHERE age > 48) AS over_2d
        FROM (
            SELECT "{dimension}", (epoch_us($end) - epoch_us(created_at)) / 3.6e9 AS age
            FROM tickets
            WHERE created_at < $end AND (resolved_at IS NULL OR resolved_at >= $end)
        )
        GROUP BY 1
        """,
        {"end": _end(day, settings.timezone)},
    ).fetchall()
    return {
        key: {
            "backlog_age_p50_hours": p50,
            "backlog_age_max_hours": oldest,
            "backlog_over_2d": over,
        }
        for key, p50, oldest, over in rows
        if key is not None
    }


@dataclass(frozen=True)
class Reason:
    """One contact reason of the Pareto: contacts this week and the week before."""

    reason: str
    contacts: int
    previous: int
    share: float
    cumulative: float

    @property
    def change(self) -> int:
        return self.contacts - self.previous

    @property
    def change_rate(self) -> float | None:
        """Week-over-week change as a share of the week before (``None`` when it had none)."""
        return self.change / self.previous if self.previous else None


def contact_reasons(
    settings: Settings,
    day: dt.date,
    centers: Sequence[str] | None = None,
    *,
    catalog: Catalog | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[Reason]:
    """Contact reasons by contacts in the 7 days to ``day`` (of ``centers`` when given), the
    largest first, with each one's share, the cumulative share, and the 7 days before."""
    catalog = catalog or catalog_for(settings)
    con = con or Warehouse(settings.warehouse_dir).connect()

    def counts(as_of: dt.date) -> dict[str, int]:
        request = QueryRequest(["tickets_7d"], by=["center", "category"], as_of=as_of)
        totals: dict[str, int] = {}
        for row in run_query(request, settings, catalog, con).table.to_pylist():
            if row["category"] is None or (centers is not None and row["center"] not in centers):
                continue
            totals[row["category"]] = totals.get(row["category"], 0) + int(row["tickets_7d"] or 0)
        return totals

    now, before = counts(day), counts(day - dt.timedelta(days=7))
    total = sum(now.values())
    ranked = sorted(set(now) | set(before), key=lambda r: (-now.get(r, 0), -before.get(r, 0), r))
    reasons, running = [], 0
    for reason in ranked:
        running += now.get(reason, 0)
        reasons.append(
            Reason(
                reason,
                now.get(reason, 0),
                before.get(reason, 0),
                now.get(reason, 0) / total if total else 0.0,
                running / total if total else 0.0,
            )
        )
    return reasons


@dataclass(frozen=True)
class Threshold:
    """A limit on a service metric: ``metric op value`` is where it should stay."""

    metric: str
    op: str  # "<=" or ">="
    value: float

    def ok(self, value: float | None) -> bool | None:
        if value is None:
            return None
        compare: Callable[[float, float], bool] = operator.le if self.op == "<=" else operator.ge
        return compare(value, self.value)

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


THRESHOLDS = (
    Threshold("first_response_hours_p90_7d", "<=", 1.0),
    Threshold("resolution_hours_p90_7d", "<=", 48.0),
    Threshold("csat_mean_30d", ">=", 4.5),
    Threshold("reopen_rate_30d", "<=", 0.10),
    Threshold("backlog_days", "<=", 2.0),
)


def parse_threshold(text: str) -> Threshold:
    """``first_response_hours_p90_7d<=1.5`` as a :class:`Threshold`."""
    for op in ("<=", ">="):
        name, found, number = text.partition(op)
        if found:
            name = name.strip()
            if name not in (*METRICS, *DERIVED):
                raise ValidationError(
                    f"threshold {text!r}: unknown metric {name!r}", field="threshold"
                )
            try:
                return Threshold(name, op, float(number))
            except ValueError as exc:
                raise ValidationError(
                    f"threshold {text!r}: {number.strip()!r} is not a number", field="threshold"
                ) from exc
    raise ValidationError(
        f"threshold {text!r}: write metric<=number or metric>=number", field="threshold"
    )


@dataclass(frozen=True)
class Alert:
    """A metric of one group outside its threshold: ``crossed`` this week (it was within
    it, or had no value, a week before) or ``still`` outside; ``recovered`` when it is back."""

    key: str
    threshold: Threshold
    value: float | None
    previous: float | None
    state: str

    def describe(self) -> str:
        was = "—" if self.previous is None else f"{self.previous:.3g}"
        now = "—" if self.value is None else f"{self.value:.3g}"
        limit = self.threshold.describe()
        metric = self.threshold.metric
        return f"{self.key}: {metric} {now} (a week before {was}); {limit}: {self.state}"


def alerts(
    settings: Settings,
    day: dt.date,
    by: str = "center",
    thresholds: Sequence[Threshold] = THRESHOLDS,
    *,
    catalog: Catalog | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    rows: list[dict[str, Any]] | None = None,
) -> list[Alert]:
    """Every metric outside its threshold as of ``day`` (or back inside since a week
    before), newly crossed first."""
    catalog = catalog or catalog_for(settings)
    con = con or Warehouse(settings.warehouse_dir).connect()
    now = {
        r["key"]: r for r in (rows or service_metrics(settings, day, by, catalog=catalog, con=con))
    }
    week = day - dt.timedelta(days=7)
    before = {r["key"]: r for r in service_metrics(settings, week, by, catalog=catalog, con=con)}
    found = []
    for key, row in now.items():
        for limit in thresholds:
            value, previous = row.get(limit.metric), before.get(key, {}).get(limit.metric)
            inside, was_inside = limit.ok(value), limit.ok(previous)
            if inside is False:
                state = "still" if was_inside is False else "crossed"
            elif inside is True and was_inside is False:
                state = "recovered"
            else:
                continue
            found.append(Alert(key, limit, value, previous, state))
    order = {"crossed": 0, "still": 1, "recovered": 2}
    return sorted(found, key=lambda a: (order[a.state], a.key, a.threshold.metric))


def weekly_trend(
    settings: Settings,
    day: dt.date,
    centers: Sequence[str],
    metrics: Sequence[str] = (
        "csat_mean_30d",
        "first_response_hours_p90_7d",
        "backlog",
        "tickets_7d",
    ),
    weeks: int = 6,
    *,
    catalog: Catalog | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> list[dict[str, Any]]:
    """The metrics of ``centers`` week by week up to ``day``: one row per week and center
    (``period`` is the week's Monday; values as of its last day)."""
    catalog = catalog or catalog_for(settings)
    con = con or Warehouse(settings.warehouse_dir).connect()
    start = day - dt.timedelta(days=7 * weeks - 1)
    request = QueryRequest(list(metrics), by=["center"], start=start, end=day, grain="week")
    rows = run_query(request, settings, catalog, con).table.to_pylist()
    wanted = set(centers)
    return [{k: _clean(v) for k, v in row.items()} for row in rows if row["center"] in wanted]
