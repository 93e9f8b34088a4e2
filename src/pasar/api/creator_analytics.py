"""Creator analytics endpoints: creators' performance pivoted by a dimension, the affiliate
growth funnel and agents' scorecards over a period.

An agent gets only the creators assigned to it (and only its own scorecard), a creator only
itself (the funnel of the pitches made to it, and no scorecard).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import errors
from pasar.creators.analytics import DIMENSIONS, creator_performance, last_order_day, pivot
from pasar.creators.funnel import agent_scorecard, funnel
from pasar.kit.errors import ConflictError, ValidationError
from pasar.warehouse.store import MANIFEST, Warehouse

router = APIRouter(tags=["creator analytics"], responses=errors(401, 403, 409, 422))


class Period(BaseModel):
    start: dt.date
    end: dt.date


class Group(BaseModel):
    key: str
    creators: int
    selling: int
    orders: int
    gmv: Decimal
    gmv_live: Decimal
    gmv_video: Decimal
    gmv_showcase: Decimal
    net_gmv: Decimal
    commission: Decimal
    content: int
    views: int
    gpm: Decimal | None
    conversion: float | None


class Pivot(Period):
    by: str
    groups: list[Group]


class FunnelStep(BaseModel):
    step: str
    count: int
    from_previous: float | None
    from_first: float | None


class Funnel(Period):
    steps: list[FunnelStep]


class Scorecard(BaseModel):
    owner: str
    contacted: int
    replied: int
    agreed: int
    sampled: int
    posted: int
    selling: int
    gmv: Decimal
    contacts_per_week: float
    reply_rate: float | None
    agreement_rate: float | None
    posting_rate: float | None
    gmv_per_agreement: Decimal | None
    overdue: int


class Scorecards(Period):
    agents: list[Scorecard]


@contextmanager
def _warehouse(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    warehouse = Warehouse(request.app.state.settings.warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        raise ConflictError("the warehouse is empty: ingest or generate data first")
    con = warehouse.connect()
    try:
        yield con
    finally:
        con.close()


def _period(
    con: duckdb.DuckDBPyConnection, start: dt.date | None, end: dt.date | None
) -> tuple[dt.date, dt.date]:
    last = end or last_order_day(con) or dt.date.today()
    first = start or last - dt.timedelta(days=29)
    if last < first:
        raise ValidationError(f"the period ends ({last}) before it starts ({first})", field="end")
    return first, last


START = Query(None, description="First day (default: 30 days before the last).")
END = Query(None, description="Last day (default: the day of the latest order).")


@router.get("/analytics/creators", response_model=Pivot)
def creators_pivot(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    by: str = Query("level", description=f"One of {', '.join(DIMENSIONS)}."),
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """Creators' GMV by channel, net GMV, commission, content, views, GPM and conversion for
    the period, summed by ``by`` (ratios recomputed from the sums)."""
    if by not in DIMENSIONS:
        raise ValidationError(f"by is one of {', '.join(DIMENSIONS)}", field="by")
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        rows = creator_performance(con, first, last, caller.creators)
    groups = [{**g, "key": str(g[by])} for g in pivot(rows, by)]
    return {"start": first, "end": last, "by": by, "groups": groups}


@router.get("/analytics/funnel", response_model=Funnel)
def creators_funnel(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    seller_id: str | None = Query(None, max_length=100, pattern=r"^[^\x00]*$"),
    campaign: str | None = Query(None, max_length=200, pattern=r"^[^\x00]*$"),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Pitches first contacted in the period and how many reached each later step."""
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        steps = funnel(unit, con, first, last, seller_id, campaign, caller.creators)
    return {"start": first, "end": last, "steps": [s.__dict__ for s in steps]}


@router.get("/analytics/agents", response_model=Scorecards)
def agents_scorecards(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Per owner of pitches: throughput, steps reached, rates, GMV generated, overdue next
    actions (an agent gets only its own)."""
    owners: frozenset[str] | None = None
    if caller.role == "agent":
        owners = frozenset([caller.username])
    elif caller.creators is not None:  # a creator owns no pitch
        owners = frozenset()
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        cards = agent_scorecard(unit, con, first, last, owners)
    return {"start": first, "end": last, "agents": cards}
