"""Plans of action: a seller submits one to lift an action that needs it; a reviewer
accepts it (the action is lifted), asks for changes (the seller sends a new revision) or
rejects it. Sellers see and submit only their own."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.governance import scheme_for
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.governance import plans as plan_service
from pasar.governance.models import EnforcementAction, PlanOfAction
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["governance"], responses=errors(401, 403, 422))
Item = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=2000)]
Items = Annotated[list[Item], Field(max_length=50)]
PlanId = Annotated[int, Path(ge=1, le=MAX_ID)]


class PlanIn(BaseModel):
    action_id: int = Field(ge=1, le=MAX_ID)
    root_causes: Items
    corrective_actions: Items
    preventive_measures: Items
    evidence: Items


class PlanDecision(BaseModel):
    decision: Literal["accept", "request_changes", "reject"]
    reason: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=2000)]
    version: int = Field(ge=1, le=MAX_ID)


class PlanOut(BaseModel):
    id: int
    action_id: int
    seller_id: str
    revision: int
    root_causes: list[str]
    corrective_actions: list[str]
    preventive_measures: list[str]
    evidence: list[str]
    status: str
    submitted_on: dt.date
    submitted_by: str
    reviewed_by: str | None
    reviewed_on: dt.date | None
    comment: str | None
    version: int


def _out(plan: PlanOfAction) -> PlanOut:
    return PlanOut.model_validate(plan, from_attributes=True)


@router.get("/plans", response_model=Page[PlanOut])
def list_plans(
    status: str | None = Query(None, pattern=NO_NUL, description="submitted, accepted …"),
    seller_id: str | None = Query(None, pattern=NO_NUL),
    action_id: int | None = Query(None, ge=1, le=MAX_ID),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[PlanOut]:
    """Plans of action, newest first; sellers see only their own."""
    query = select(PlanOfAction)
    for column, value in ((PlanOfAction.status, status), (PlanOfAction.seller_id, seller_id),
                          (PlanOfAction.action_id, action_id)):  # fmt: skip
        if value is not None:
            query = query.where(column == value)
    if caller.sellers is not None:
        query = query.where(PlanOfAction.seller_id.in_(sorted(caller.sellers)))
    sortable = {"submitted_on": PlanOfAction.submitted_on, "status": PlanOfAction.status}
    order = [PlanOfAction.submitted_on.desc(), PlanOfAction.id.desc()]
    rows, total = paginate(unit, query, page, sortable, order)
    return Page(items=[_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.post("/plans", response_model=PlanOut, status_code=201, responses=errors(400, 404, 409))
def submit_plan(
    body: PlanIn,
    request: Request,
    caller: Principal = Depends(needs("governance:appeal")),
    unit: Session = Depends(session, scope="function"),
) -> PlanOut:
    """A seller's new revision of the plan for one of its actions."""
    action = unit.get(EnforcementAction, body.action_id)
    if action is None or not caller.may_see_seller(action.seller_id):
        raise NotFoundError(f"no action {body.action_id}")
    day = dt.date.today()
    plan = plan_service.submit_plan(
        unit, scheme_for(request, day), action.id, body.root_causes, body.corrective_actions,
        body.preventive_measures, body.evidence, day, f"user:{caller.username}",
    )  # fmt: skip
    return _out(plan)


@router.post("/plans/{plan_id}/decision", response_model=PlanOut, responses=errors(400, 404, 409))
def decide_plan(
    plan_id: PlanId,
    body: PlanDecision,
    caller: Principal = Depends(needs("governance:decide")),
    unit: Session = Depends(session, scope="function"),
) -> PlanOut:
    """Accept (the action is lifted), request changes or reject; 409 when someone decided
    it first."""
    plan = plan_service.review_plan(
        unit, plan_id, body.decision, caller.username, body.reason, dt.date.today(), body.version
    )
    return _out(plan)
