"""Creator planning endpoints: a seller's creator GMV target (forecast, 80% range, components,
the chance of a typed target) and whom to fund with a budget (optimiser beside greedy).

A seller's target is shown only to callers who may see that seller (a creator or an agent sees
no seller: 404, as for one that does not exist). An agent allocates only among the creators
assigned to them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import NO_NUL, errors
from pasar.creators.allocation import MAX_CANDIDATES, Candidate, Constraints, Plan, allocate
from pasar.creators.target_service import propose_target
from pasar.creators.targets import RANGE, Component, FunnelStep
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["creators"], responses=errors(401, 403, 422))
SellerId = Annotated[str, Path(pattern=NO_NUL, max_length=100)]
Name = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
Category = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)]
Amount = Annotated[Decimal, Field(ge=0, le=10**12, decimal_places=2)]


class ComponentOut(BaseModel):
    name: str
    value: float
    unit: str = Field(description="money, orders, days or percent (a fraction)")
    detail: str


class FunnelStepOut(BaseModel):
    stage: str
    recent: float | None = Field(description="In the recent window (84 days).")
    at_recent_pace: float | None = Field(description="Over the period at the recent pace.")
    needed: float | None = Field(description="What the target needs at the recent rates.")


class AssessmentOut(BaseModel):
    target: float
    probability: float = Field(description="Chance of reaching the target (0–1).")
    verdict: str = Field(description="realistic (≥ 50%), stretch (≥ 10%) or unrealistic")
    funnel: list[FunnelStepOut]


class DayOut(BaseModel):
    day: dt.date
    expected_gmv: float


class TargetOut(BaseModel):
    sellers: list[str]
    period_start: dt.date
    period_end: dt.date = Field(description="The last day of the period.")
    data_until: dt.date
    forecast: float = Field(description="Expected creator GMV of the period.")
    median: float
    low: float = Field(description="10th percentile: the bottom of the 80% range.")
    high: float = Field(description="90th percentile: the top of the 80% range.")
    range_level: float
    proposed_target: float
    stretch_target: float
    components: list[ComponentOut]
    calendar_effects: list[ComponentOut]
    notes: list[str]
    daily: list[DayOut]
    assessment: AssessmentOut | None


def _component(c: Component) -> ComponentOut:
    return ComponentOut(name=c.name, value=float(c.value), unit=c.unit, detail=c.detail)


def _step(s: FunnelStep) -> FunnelStepOut:
    return FunnelStepOut(
        stage=s.stage, recent=s.recent, at_recent_pace=s.at_recent_pace, needed=s.needed
    )


@router.get("/sellers/{seller_id}/creator-target", response_model=TargetOut, responses=errors(404))
def creator_target(
    seller_id: SellerId,
    request: Request,
    period: str | None = Query(
        None, pattern=NO_NUL, max_length=40, description="2026-12 or 2026-12-01..2026-12-15"
    ),
    target: float | None = Query(None, ge=0, le=1e15, description="A target to assess (IDR)."),
    contacts: int | None = Query(None, ge=0, le=10**9, description="Contacts, last 84 days."),
    agreements: int | None = Query(None, ge=0, le=10**9, description="Agreements, 84 days."),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> TargetOut:
    """The seller's creator GMV forecast for a period (default: the next whole month) with
    its 80% range and components, and the chance of reaching ``target``."""
    if not caller.may_see_seller(seller_id):
        raise NotFoundError(f"no seller {seller_id!r}")
    report = propose_target(
        request.app.state.settings, [seller_id], period, target,
        contacts=contacts, agreements=agreements, session=unit,
    )  # fmt: skip
    f = report.forecast
    assessment = report.assessment
    return TargetOut(
        sellers=list(f.subject),
        period_start=f.start,
        period_end=f.end - dt.timedelta(days=1),
        data_until=f.cutoff - dt.timedelta(days=1),
        forecast=round(f.point),
        median=round(f.median),
        low=round(f.low),
        high=round(f.high),
        range_level=RANGE[1] - RANGE[0],
        proposed_target=f.proposed,
        stretch_target=f.stretch,
        components=[_component(c) for c in f.components],
        calendar_effects=[_component(c) for c in f.effects],
        notes=list(f.notes),
        daily=[DayOut(day=d, expected_gmv=round(v)) for d, v in f.daily],
        assessment=None
        if assessment is None
        else AssessmentOut(
            target=assessment.target,
            probability=assessment.probability,
            verdict=assessment.verdict,
            funnel=[_step(s) for s in assessment.funnel],
        ),
    )


class CandidateIn(BaseModel):
    creator_id: Name
    category: Category = ""
    is_new: bool = False
    cost: Amount = Field(gt=0)
    predicted_return: Amount


class AllocationIn(BaseModel):
    budget: Amount = Field(gt=0)
    candidates: list[CandidateIn] = Field(min_length=1, max_length=MAX_CANDIDATES)
    category_caps: dict[Category, Amount] = Field(
        default_factory=dict, max_length=1000, description="The most per category."
    )
    new_share: Decimal = Field(
        Decimal(0), ge=0, le=1, description="Least share of the budget for new creators."
    )
    new_count: int = Field(0, ge=0, le=MAX_CANDIDATES, description="Least new creators.")


class FundedOut(BaseModel):
    creator_id: str
    category: str
    is_new: bool
    cost: float
    predicted_return: float


class PlanOut(BaseModel):
    method: str
    feasible: bool
    reason: str
    value: float = Field(description="Total predicted return of the creators funded.")
    spend: float
    new_spend: float
    new_count: int
    spend_by_category: dict[str, float]
    funded: list[FundedOut]


class AllocationOut(BaseModel):
    budget: float
    optimiser: PlanOut
    greedy: PlanOut
    gain: float | None = Field(description="Optimiser value less greedy value (None: no greedy).")


def _plan(plan: Plan) -> PlanOut:
    return PlanOut(
        method=plan.method,
        feasible=plan.feasible,
        reason=plan.reason,
        value=float(plan.value),
        spend=float(plan.spend),
        new_spend=float(plan.new_spend),
        new_count=plan.new_count,
        spend_by_category={k: float(v) for k, v in plan.spend_by_category().items()},
        funded=[
            FundedOut(
                creator_id=c.creator_id,
                category=c.category,
                is_new=c.is_new,
                cost=float(c.cost),
                predicted_return=float(c.predicted_return),
            )
            for c in plan.chosen
        ],
    )


@router.post("/creators/allocation", response_model=AllocationOut, responses=errors(400, 404))
def allocate_budget(
    body: AllocationIn, caller: Principal = Depends(needs("creators:manage"))
) -> AllocationOut:
    """Whom to fund: the exact optimiser's plan and the greedy ranking's (return per rupiah)
    under the budget, category caps and new-creator minimum; 422 naming the constraint when
    none can be met."""
    for candidate in body.candidates:
        if not caller.may_see_creator(candidate.creator_id):
            raise NotFoundError(f"no creator {candidate.creator_id!r} assigned to you")
    people = [
        Candidate(c.creator_id, c.category, c.is_new, c.cost, c.predicted_return)
        for c in body.candidates
    ]
    rules = Constraints(body.budget, dict(body.category_caps), body.new_share, body.new_count)
    result = allocate(people, rules)
    return AllocationOut(
        budget=float(body.budget),
        optimiser=_plan(result.optimiser),
        greedy=_plan(result.greedy),
        gain=None if result.gain is None else float(result.gain),
    )
