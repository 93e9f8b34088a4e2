"""Target proposals from the warehouse and the pitching pipeline: the seller's (or
campaign's) creator orders, its category's calendar, its funnel, the forecast of a period and a
manager's target assessed.

The funnel's contacts and agreements are the seller's own: the pitches of its pipeline
(``creator_pitches``) contacted and agreed in the recent window the forecast is built from.
Numbers typed by the manager override them; a seller that pitched nobody in the window has
none (the funnel then shows the creators active instead of agreements).

Example::

    report = propose_target(settings, ["S000001"], "2026-12", target=150_000_000)
    report.forecast.point, report.forecast.low, report.forecast.high
    report.assessment.probability, report.assessment.verdict
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
from sqlalchemy import inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.creators.collaboration_models import Pitch
from pasar.creators.target_data import (
    PipelineCounts,
    count_pitches,
    load_creator_orders,
    load_funnel,
    reference_for,
)
from pasar.creators.targets import (
    BASE_DAYS,
    DRAWS,
    Assessment,
    TargetForecast,
    forecast_period,
    parse_period,
)
from pasar.kit.db import Database
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
    session: Session | None = None,
) -> TargetReport:
    """Forecast the creator GMV of ``sellers`` (one shop, or several as a campaign) for
    ``period`` (``2026-12``; default: the next whole month after the data) and assess
    ``target``.

    ``contacts``/``agreements`` of the recent window (84 days, or fewer for a newer seller)
    are counted from the sellers' pitching pipeline — in ``session``, else in the operational
    store of ``settings`` — unless given, which overrides the count; the rest of the funnel
    comes from the warehouse."""
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
        notes: list[str] = []
        pipeline: PipelineCounts | None = None
        if contacts is None or agreements is None:
            pipeline = pipeline_counts(settings, chosen, window, cutoff, session, notes)
        funnel_contacts, funnel_agreements, source = _funnel_counts(
            contacts, agreements, pipeline, notes
        )
        funnel = load_funnel(
            con,
            settings.timezone,
            chosen,
            window,
            cutoff,
            contacts=funnel_contacts,
            agreements=funnel_agreements,
            source=source,
        )
        forecast = forecast_period(
            series, reference, cutoff, start, end, subject=chosen, funnel=funnel, draws=draws
        )
    finally:
        if own:
            con.close()
    if notes:
        forecast = dataclasses.replace(forecast, notes=(*forecast.notes, *notes))
    return TargetReport(forecast, forecast.assess(target) if target is not None else None)


def _funnel_counts(
    contacts: int | None,
    agreements: int | None,
    pipeline: PipelineCounts | None,
    notes: list[str],
) -> tuple[int | None, int | None, str]:
    """Contacts and agreements for the funnel — typed ones win over the pipeline's counts —
    and where they came from; a note says what was counted in the pipeline."""
    sources = ["warehouse"]
    typed = contacts is not None or agreements is not None
    if pipeline is not None and pipeline.used:
        parts = []
        if contacts is None:
            contacts = pipeline.contacts
            parts.append(f"{pipeline.contacts:,} creator(s) contacted")
        if agreements is None:
            agreements = pipeline.agreements
            parts.append(f"{pipeline.agreements:,} agreement(s)")
        sources.append("pitching pipeline")
        notes.append(
            f"from the pitching pipeline, {pipeline.start} to "
            f"{pipeline.end - dt.timedelta(days=1)}: {' and '.join(parts)}"
        )
    if typed:
        sources.append("typed")
    return contacts, agreements, " + ".join(sources)


def pipeline_counts(
    settings: Settings,
    sellers: Sequence[str],
    start: dt.date,
    end: dt.date,
    session: Session | None = None,
    notes: list[str] | None = None,
) -> PipelineCounts | None:
    """The sellers' pitches contacted and agreed on local days ``start`` … ``end``
    (exclusive), from ``session`` or else the operational store of ``settings``; ``None``
    when there is no pipeline to count (a store never created or migrated, or one that does
    not answer — said in ``notes``)."""
    if session is not None:
        return count_pitches(session, settings.timezone, sellers, start, end)
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and not (
        url.database and url.database != ":memory:" and Path(url.database).exists()
    ):
        return None  # no store yet: nothing was ever pitched
    db = Database(settings.database_url)
    try:
        if not inspect(db.engine).has_table(Pitch.__tablename__):
            return None
        with db.session_factory() as store:
            return count_pitches(store, settings.timezone, sellers, start, end)
    except OperationalError as exc:
        if notes is not None:
            reason = str(exc.orig or exc).splitlines()[0][:200]
            notes.append(f"the pitching pipeline could not be read ({reason}); contacts and "
                         "agreements are left out")  # fmt: skip
        return None
    finally:
        db.dispose()
