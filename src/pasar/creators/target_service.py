"""Target proposals from the warehouse: the seller's (or campaign's) creator orders, its
category's calendar, its funnel, the forecast of a period and a manager's target assessed.

Example::

    report = propose_target(settings, ["S000001"], "2026-12", target=150_000_000)
    report.forecast.point, report.forecast.low, report.forecast.high
    report.assessment.probability, report.assessment.verdict
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from pasar.config import Settings
from pasar.creators.target_data import load_creator_orders, load_funnel, reference_for
from pasar.creators.targets import (
    BASE_DAYS,
    DRAWS,
    Assessment,
    TargetForecast,
    forecast_period,
    parse_period,
)
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.metrics.query import latest_day
from pasar.warehouse.store import Warehouse

HISTORY_DAYS = 730  # two years: each sale event seen twice when the data has them


@dataclass(frozen=True)
class TargetReport:
    """A forecast and, when a target was typed, its assessment."""

    forecast: TargetForecast
    assessment: Assessment | None


def propose_target(
    settings: Settings,
    sellers: Sequence[str],
    period: str | None = None,
    target: float | None = None,
    *,
    contacts: int | None = None,
    agreements: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    draws: int = DRAWS,
) -> TargetReport:
    """Forecast the creator GMV of ``sellers`` (one shop, or several as a campaign) for
    ``period`` (``2026-12``; default: the next whole month after the data) and assess
    ``target``. ``contacts``/``agreements`` of the recent 84 days come from a pitching pipeline
    when known; the rest of the funnel comes from the warehouse."""
    chosen = list(dict.fromkeys(s.strip() for s in sellers if s.strip()))
    if not chosen:
        raise ValidationError("name at least one seller", field="seller")
    if target is not None and (not math.isfinite(target) or target < 0):
        raise ValidationError("the target must be a positive amount", field="target")
    for name, value in (("contacts", contacts), ("agreements", agreements)):
        if value is not None and value < 0:
            raise ValidationError(f"{name} cannot be negative", field=name)
    own = con is None
    con = con or Warehouse(settings.warehouse_dir).connect()
    try:
        cutoff = latest_day(con, settings.timezone) + dt.timedelta(days=1)
        orders = load_creator_orders(
            con, settings.timezone, cutoff - dt.timedelta(days=HISTORY_DAYS), cutoff
        )
        for seller in chosen:
            if seller not in orders.first_day:
                raise NotFoundError(f"no seller {seller!r} with orders in the warehouse")
        start, end = parse_period(period, cutoff)
        series = orders.series(chosen)
        reference = reference_for(orders, chosen, cutoff)
        window = max(cutoff - dt.timedelta(days=BASE_DAYS), series.first_active or cutoff)
        funnel = load_funnel(
            con, settings.timezone, chosen, window, cutoff, contacts=contacts, agreements=agreements
        )
        forecast = forecast_period(
            series, reference, cutoff, start, end, subject=chosen, funnel=funnel, draws=draws
        )
    finally:
        if own:
            con.close()
    return TargetReport(forecast, forecast.assess(target) if target is not None else None)
