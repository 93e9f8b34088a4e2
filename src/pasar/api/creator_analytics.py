"""Creator analytics endpoints: creators' performance pivoted by a dimension, the affiliate
growth funnel, agents' and agencies' scorecards, sample returns per creator and campaign
efficiency over a period.

An agent gets only the creators assigned to it (and only its own scorecard, so only its own
part of its agency's), a creator only itself (the funnel of the pitches made to it, its own
samples and its own part of campaigns, and no scorecard).
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
from pasar.api.pages import NO_NUL, PageRequest, errors, page_of, page_request
from pasar.creators.agencies import agency_of_agents, agents_of
from pasar.creators.analytics import DIMENSIONS, creator_performance, last_order_day, pivot
from pasar.creators.funnel import (
    agency_scorecard,
    agent_scorecard,
    campaign_efficiency,
    creator_sample_returns,
    funnel,
)
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


class Throughput(BaseModel):
    """What an agent's scorecard and an agency's (its agents' summed) have in common."""

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


# Throughput is the first base so that the fields of the second (who) come first in the JSON:
# pydantic orders fields from the last base to the first.
class _Agent(BaseModel):
    owner: str
    agency: str | None


class Scorecard(Throughput, _Agent):
    pass


class Scorecards(Period):
    agents: list[Scorecard]


class _Agency(BaseModel):
    agency: str
    agents: int


class AgencyCard(Throughput, _Agency):
    pass


class AgencyCards(Period):
    agencies: list[AgencyCard]


class SampleTotals(BaseModel):
    delivered: int
    posted: int
    sample_to_content_rate: float | None
    selling: int
    orders: int
    gmv: Decimal
    net_gmv: Decimal
    sample_cost: Decimal
    commission: Decimal
    cost: Decimal
    roi: float | None


class CreatorSamples(SampleTotals):
    creator_id: str
    handle: str | None
    sellers: int


class CreatorSamplesPage(Period):
    items: list[CreatorSamples]
    total: int
    limit: int
    offset: int
    summary: SampleTotals


class Campaign(BaseModel):
    seller_id: str
    campaign: str
    creators: int
    gmv: Decimal
    baseline_gmv: Decimal
    incremental_gmv: Decimal
    samples: Decimal
    commission: Decimal
    vouchers: Decimal
    spend: Decimal
    incremental_per_rupiah: float | None
    samples_delivered: int
    content_posted: int
    sample_to_content_rate: float | None
    sample_net_gmv: Decimal
    sample_cost: Decimal
    sample_commission: Decimal
    sample_roi: float | None


class CampaignsPage(Period):
    items: list[Campaign]
    total: int
    limit: int
    offset: int


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
SELLER = Query(None, max_length=100, pattern=NO_NUL, description="Only this seller's.")
CAMPAIGN = Query(None, max_length=200, pattern=NO_NUL, description="Only this campaign.")
AGENCY = Query(None, max_length=100, pattern=NO_NUL, description="Only this agency's agents.")


def _owners(caller: Principal, unit: Session, agency: str | None) -> frozenset[str] | None:
    """Whose scorecards the caller may see (an agent only its own, a creator none), within
    ``agency`` when one is named."""
    owners: frozenset[str] | None = None
    if caller.role == "agent":
        owners = frozenset([caller.username])
    elif caller.creators is not None:  # a creator owns no pitch
        owners = frozenset()
    if agency is not None:
        members = frozenset(agents_of(unit, agency))
        owners = members if owners is None else owners & members
    return owners


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


@router.get("/analytics/agents", response_model=Scorecards, responses=errors(404))
def agents_scorecards(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    agency: str | None = AGENCY,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Per owner of pitches: agency, throughput, steps reached, rates, GMV generated, overdue
    next actions (an agent gets only its own)."""
    owners = _owners(caller, unit, agency)
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        cards = agent_scorecard(unit, con, first, last, owners, agencies=agency_of_agents(unit))
    return {"start": first, "end": last, "agents": cards}


@router.get("/analytics/agencies", response_model=AgencyCards)
def agencies_scorecards(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Agents' scorecards summed per agency (owners in none as "(no agency)"), rates
    recomputed from the sums (an agent gets only its own part of its agency)."""
    owners = _owners(caller, unit, None)
    agencies = agency_of_agents(unit)
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        cards = agent_scorecard(unit, con, first, last, owners)
    return {"start": first, "end": last, "agencies": agency_scorecard(cards, agencies)}


SAMPLE_SORTABLE = (
    "creator_id", "handle", "sellers", "delivered", "posted", "sample_to_content_rate",
    "selling", "orders", "gmv", "net_gmv", "sample_cost", "commission", "cost", "roi",
)  # fmt: skip


@router.get("/analytics/samples", response_model=CreatorSamplesPage)
def samples_per_creator(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    creator_id: str | None = Query(None, max_length=100, pattern=NO_NUL),
    seller_id: str | None = SELLER,
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Per creator, the samples delivered in the period: content posted and the
    sample-to-content rate, orders, GMV and net GMV in the 30 days after each delivery, sample
    + shipping, commission on that GMV and the sample ROI (net GMV ÷ (sample + shipping +
    commission)); most samples first (``sort`` by any field). ``summary`` sums every page."""
    visible = caller.creators
    if creator_id is not None:
        visible = frozenset([creator_id]) & (visible if visible is not None else {creator_id})
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        rows, summary = creator_sample_returns(unit, con, first, last, visible, seller_id)
    listed = page_of(rows, page, SAMPLE_SORTABLE)
    return {"start": first, "end": last, **listed, "summary": summary}


CAMPAIGN_SORTABLE = tuple(Campaign.model_fields)


@router.get("/analytics/campaigns", response_model=CampaignsPage)
def campaigns(
    request: Request,
    start: dt.date | None = START,
    end: dt.date | None = END,
    seller_id: str | None = SELLER,
    campaign: str | None = CAMPAIGN,
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> dict[str, Any]:
    """Per seller and campaign with agreed creators: GMV, the period before, incremental GMV,
    spend (samples + shipping, commission, vouchers) and incremental GMV per rupiah; and the
    returns of the samples its creators received (delivered, content posted, sample-to-content
    rate, net GMV, sample ROI). A confined caller gets only its creators' part."""
    with _warehouse(request) as con:
        first, last = _period(con, start, end)
        rows = campaign_efficiency(
            unit, con, first, last, creators=caller.creators, seller_id=seller_id,
            campaign=campaign,
        )  # fmt: skip
    return {"start": first, "end": last, **page_of(rows, page, CAMPAIGN_SORTABLE)}
