"""Governance endpoints: a seller's standing, violations, actions, appeals.

Sellers see only their own shop (and linked shops their user allows): another shop's id
answers 404, exactly as a shop that does not exist, and lists are filtered to their rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.cached import read_through
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.governance import appeals as appeal_service
from pasar.governance import review
from pasar.governance.ledger import balance_on_run_day
from pasar.governance.linked import warehouse_owners
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.scheme import Scheme, current_schemes, scheme_on
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.warehouse.store import Warehouse

router = APIRouter(tags=["governance"], responses=errors(401, 403, 422))

Text = Annotated[str, StringConstraints(pattern=NO_NUL)]
SellerId = Annotated[str, Path(pattern=NO_NUL)]
ViolationId = Annotated[int, Path(ge=1, le=MAX_ID)]
AppealId = Annotated[int, Path(ge=1, le=MAX_ID)]
ActionId = Annotated[int, Path(ge=1, le=MAX_ID)]


class Violation(BaseModel):
    id: int
    seller_id: str
    day: dt.date
    policy_id: str | None
    policy_version: int | None
    pack: str | None
    points: int
    repeat: bool
    expires_on: dt.date | None
    values: dict[str, Any] | None
    explanation_en: str | None
    explanation_id: str | None


class Action(BaseModel):
    id: int
    seller_id: str
    action: str
    source: str
    starts_on: dt.date
    ends_on: dt.date | None
    status: str
    explanation_en: str | None
    explanation_id: str | None


class Standing(BaseModel):
    seller_id: str
    as_of: dt.date
    scheme: str
    points: int
    standing: str
    next_step: str | None
    points_to_next_step: int | None
    actions_in_force: list[Action]


class Evidence(BaseModel):
    """One piece of an appeal's evidence: text given for a checklist item, or a file (its
    shown name, media type and size; fetch it at ``/appeals/{id}/evidence/{n}``)."""

    item: str
    given: str
    file: str | None = None
    media_type: str | None = None
    bytes: int | None = None


class AppealOut(BaseModel):
    id: int
    violation_id: int
    seller_id: str
    number: int
    reason: str
    status: str
    submitted_on: dt.date
    decided_on: dt.date | None
    decision_reason: str | None
    version: int
    evidence: list[Evidence]


class AppealIn(BaseModel):
    violation_id: int = Field(ge=1, le=MAX_ID)
    reason: Text = Field(max_length=50)
    evidence: dict[Text, Text] = Field(max_length=20)
    statement: Text = Field(max_length=5000)


def scheme_for(request: Request, day: dt.date) -> Scheme:
    """The governance scheme the server runs, in force on ``day``."""
    settings = request.app.state.settings
    return scheme_on(current_schemes(settings.governance_path), request.app.state.scheme, day)


def _visible(caller: Principal, seller_id: str) -> None:
    if not caller.may_see_seller(seller_id):
        raise NotFoundError(f"no seller {seller_id!r}")


# what a standing is read from: a change to any of them ends every cached standing
STANDING_TABLES = ("governance_runs", "points_entries", "enforcement_actions")


@router.get("/sellers/{seller_id}", response_model=Standing, responses=errors(404))
async def seller_standing(
    seller_id: SellerId,
    request: Request,
    as_of: dt.date | None = Query(
        None, description="Date (default: the last day the pipeline ran)."
    ),
    caller: Principal = Depends(needs("governance:read")),
) -> Standing:
    """A seller's points, standing, next step and the actions in force.

    Served from memory while the ledger, actions and runs are unchanged (``pasar.api.cached``).
    """
    _visible(caller, seller_id)
    today = dt.date.today()
    day, points, in_force = await read_through(
        request,
        "standings",
        STANDING_TABLES,
        (seller_id, as_of, today),
        lambda unit: _standing_rows(unit, seller_id, as_of, today),
    )
    scheme = scheme_for(request, day)
    step = scheme.next_step(points)
    return Standing(
        seller_id=seller_id,
        as_of=day,
        scheme=scheme.ref,
        points=points,
        standing=scheme.standing(points),
        next_step=f"{scheme.threshold(step)}: {step.describe('en')}" if step else None,
        points_to_next_step=step.at - points if step else None,
        actions_in_force=list(in_force),
    )


def _standing_rows(
    unit: Session, seller_id: str, as_of: dt.date | None, today: dt.date
) -> tuple[dt.date, int, tuple[Action, ...]]:
    """The day read, the balance on it and the actions in force then (404: an unknown seller)."""
    day, points, has_entries = balance_on_run_day(unit, seller_id, as_of, today)
    actions = unit.scalars(
        select(EnforcementAction).where(EnforcementAction.seller_id == seller_id)
    ).all()
    if not (has_entries or actions):
        raise NotFoundError(f"no seller {seller_id!r}")
    return day, points, tuple(_action(a) for a in actions if a.in_force(day))


@router.get("/violations", response_model=Page[Violation])
def list_violations(
    seller_id: str | None = Query(None, pattern=NO_NUL),
    start: dt.date | None = Query(None, alias="from"),
    end: dt.date | None = Query(None, alias="to"),
    policy_id: str | None = Query(None, pattern=NO_NUL),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[Violation]:
    """Violations, newest first by default; sellers see only their own."""
    query = select(PointsEntry).where(PointsEntry.kind == "issue")
    if seller_id is not None:
        query = query.where(PointsEntry.seller_id == seller_id)
    if caller.sellers is not None:
        query = query.where(PointsEntry.seller_id.in_(sorted(caller.sellers)))
    if start is not None:
        query = query.where(PointsEntry.effective_on >= start)
    if end is not None:
        query = query.where(PointsEntry.effective_on <= end)
    if policy_id is not None:
        query = query.where(PointsEntry.policy_id == policy_id)
    sortable = {
        "day": PointsEntry.effective_on,
        "points": PointsEntry.points,
        "seller_id": PointsEntry.seller_id,
    }
    rows, total = paginate(
        unit, query, page, sortable, [PointsEntry.effective_on.desc(), PointsEntry.id.desc()]
    )
    return Page(
        items=[_violation(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/violations/{violation_id}", response_model=Violation, responses=errors(404))
def get_violation(
    violation_id: ViolationId,
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> Violation:
    """One violation with the values that triggered it and its explanations."""
    entry = unit.get(PointsEntry, violation_id)
    if entry is None or entry.kind != "issue" or not caller.may_see_seller(entry.seller_id):
        raise NotFoundError(f"no violation {violation_id}")
    return _violation(entry)


@router.get("/appeals", response_model=Page[AppealOut])
def list_appeals(
    status: str | None = Query(None, pattern=NO_NUL),
    seller_id: str | None = Query(None, pattern=NO_NUL),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[AppealOut]:
    """Appeals, oldest first by default; sellers see only their own."""
    query = select(Appeal)
    if status is not None:
        query = query.where(Appeal.status == status)
    if seller_id is not None:
        query = query.where(Appeal.seller_id == seller_id)
    if caller.sellers is not None:
        query = query.where(Appeal.seller_id.in_(sorted(caller.sellers)))
    sortable = {"submitted_on": Appeal.submitted_on, "status": Appeal.status}
    rows, total = paginate(unit, query, page, sortable, [Appeal.submitted_on, Appeal.id])
    return Page(
        items=[appeal_out(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/appeals", response_model=AppealOut, status_code=201, responses=errors(400, 404, 409))
def submit_appeal(
    body: AppealIn,
    request: Request,
    caller: Principal = Depends(needs("governance:appeal")),
    unit: Session = Depends(session, scope="function"),
) -> AppealOut:
    """A seller appeals one of its violations, with the evidence its reason requires."""
    entry = unit.get(PointsEntry, body.violation_id)
    if entry is None or entry.kind != "issue" or not caller.may_see_seller(entry.seller_id):
        raise NotFoundError(f"no violation {body.violation_id}")
    day = dt.date.today()
    if entry.effective_on > day:
        raise ValidationError("the violation is dated in the future")
    appeal = appeal_service.submit(
        unit, scheme_for(request, day), entry.id, body.reason, body.evidence, body.statement, day,
        f"user:{caller.username}",
    )  # fmt: skip
    return appeal_out(appeal)


def _violation(entry: PointsEntry) -> Violation:
    return Violation(
        id=entry.id,
        seller_id=entry.seller_id,
        day=entry.effective_on,
        policy_id=entry.policy_id,
        policy_version=entry.policy_version,
        pack=entry.pack,
        points=entry.points,
        repeat=entry.repeat,
        expires_on=entry.expires_on,
        values=entry.values,
        explanation_en=entry.explanation_en,
        explanation_id=entry.explanation_id,
    )


def _action(action: EnforcementAction) -> Action:
    return Action.model_validate(action, from_attributes=True)


def appeal_out(appeal: Appeal) -> AppealOut:
    return AppealOut(
        id=appeal.id,
        violation_id=appeal.entry_id,
        seller_id=appeal.seller_id,
        number=appeal.number,
        reason=appeal.reason,
        status=appeal.status,
        submitted_on=appeal.submitted_on,
        decided_on=appeal.decided_on,
        decision_reason=appeal.decision_reason,
        version=appeal.version,
        evidence=[Evidence.model_validate(e) for e in appeal.evidence],
    )


class Decision(BaseModel):
    decision: Text = Field(
        max_length=20, description="accept or reject (appeals); approve or reject (actions)"
    )
    reason: Text = Field(min_length=1, max_length=2000)
    version: int | None = Field(None, description="The version you reviewed (409 if changed).")


@router.post(
    "/appeals/{appeal_id}/decision", response_model=AppealOut, responses=errors(400, 404, 409)
)
def decide_appeal(
    appeal_id: AppealId,
    body: Decision,
    request: Request,
    caller: Principal = Depends(needs("governance:decide")),
    unit: Session = Depends(session, scope="function"),
) -> AppealOut:
    """Accept (points reversed, later actions recomputed) or reject an appeal; 409 when
    someone decided it first."""
    day = dt.date.today()
    result = appeal_service.decide(
        unit, scheme_for(request, day), appeal_id, body.decision, caller.username, body.reason,
        day, body.version,
    )  # fmt: skip
    return appeal_out(result.appeal)


@router.get("/actions", response_model=Page[Action])
def list_actions(
    seller_id: str | None = Query(None, pattern=NO_NUL),
    status: str | None = Query(
        None, pattern=NO_NUL, description="e.g. pending_review for the review queue"
    ),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[Action]:
    """Actions and warnings, newest first; sellers see only their own."""
    query = select(EnforcementAction)
    if seller_id is not None:
        query = query.where(EnforcementAction.seller_id == seller_id)
    if status is not None:
        query = query.where(EnforcementAction.status == status)
    if caller.sellers is not None:
        query = query.where(EnforcementAction.seller_id.in_(sorted(caller.sellers)))
    sortable = {"starts_on": EnforcementAction.starts_on, "action": EnforcementAction.action}
    order = [EnforcementAction.starts_on.desc(), EnforcementAction.id.desc()]
    rows, total = paginate(unit, query, page, sortable, order)
    return Page(items=[_action(r) for r in rows], total=total, limit=page.limit, offset=page.offset)


@router.post(
    "/actions/{action_id}/decision", response_model=Action, responses=errors(400, 404, 409)
)
def decide_action(
    action_id: ActionId,
    body: Decision,
    request: Request,
    caller: Principal = Depends(needs("governance:decide")),
    unit: Session = Depends(session, scope="function"),
) -> Action:
    """Approve or reject an action waiting in the review queue."""
    day = dt.date.today()
    owners = warehouse_owners(Warehouse(request.app.state.settings.warehouse_dir))
    review.decide_action(
        unit, scheme_for(request, day), action_id, body.decision, caller.username, body.reason,
        day, owners, body.version,
    )  # fmt: skip
    action = unit.get(EnforcementAction, action_id)
    assert action is not None
    return _action(action)
