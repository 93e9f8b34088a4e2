"""Creator issue desk endpoints: raise an issue, respond, resolve with a note, reopen, assign
and reprioritise, escalate breached SLA clocks.

A creator raises issues for itself, sees only its own and may add to and reopen them; an
agent works the issues of its assigned creators; others' issues answer 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.creators import issues
from pasar.creators.collaboration_models import CreatorIssue
from pasar.creators.people import may_see
from pasar.kit.errors import ValidationError

router = APIRouter(tags=["creator issues"], responses=errors(401, 403, 422))
IssueId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubjectId = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=2000)]
Version = Annotated[int | None, Field(None, ge=1, le=MAX_ID, description="The version you saw.")]
Kind = Literal[
    "sample_not_received",
    "defective_sample",
    "wrong_commission",
    "late_payment",
    "content_rejected",
    "missing_content",
    "other",
]
Priority = Literal["urgent", "high", "normal", "low"]


class IssueIn(BaseModel):
    kind: Kind
    title: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
    description: Text
    creator_id: SubjectId | None = Field(None, description="A creator's own id by default.")
    seller_id: SubjectId | None = None
    sample_id: int | None = Field(None, ge=1, le=MAX_ID)
    pitch_id: int | None = Field(None, ge=1, le=MAX_ID)
    priority: Priority | None = None
    point_of_contact: SubjectId | None = None
    raised_by: Literal["seller", "staff"] | None = Field(
        None,
        description="Staff recording a seller's issue say seller (creators and agents "
        "raise issues as themselves).",
    )


class BodyIn(BaseModel):
    body: Text
    version: Version = None


class ResolutionIn(BaseModel):
    note: Text
    version: Version = None


class ReasonIn(BaseModel):
    reason: Text
    version: Version = None


class AssignmentIn(BaseModel):
    point_of_contact: SubjectId | None = None
    priority: Priority | None = None
    version: Version = None


class Clock(BaseModel):
    due: dt.datetime
    met_at: dt.datetime | None
    hours_left: float | None
    breached: bool


class NoteOut(BaseModel):
    kind: str
    author: str
    body: str
    created_at: dt.datetime


class IssueOut(BaseModel):
    id: int
    kind: str
    title: str
    description: str
    creator_id: str | None
    seller_id: str | None
    sample_id: int | None
    pitch_id: int | None
    raised_by_kind: str
    raised_by: str
    point_of_contact: str | None
    priority: str
    status: str
    opened_at: dt.datetime
    first_response: Clock
    resolution: Clock
    resolution_note: str | None
    reopened: int
    escalation_level: int
    escalated_at: dt.datetime | None
    version: int
    notes: list[NoteOut] = []


class EscalationOut(BaseModel):
    escalated: list[int]


def issue_out(issue: CreatorIssue, notes: list[NoteOut] | None = None) -> IssueOut:
    clocks = issues.clocks(issue)
    fields = {c: getattr(issue, c) for c in IssueOut.model_fields if hasattr(issue, c)}
    return IssueOut.model_validate(
        {
            **fields,
            "first_response": clocks["first_response"],
            "resolution": clocks["resolution"],
            "notes": notes or [],
        }
    )


@router.get("/creator-issues", response_model=Page[IssueOut])
def list_creator_issues(
    status: Literal["open", "responded", "resolved", "unresolved"] | None = None,
    priority: Priority | None = None,
    point_of_contact: str | None = Query(None, pattern=NO_NUL, max_length=100),
    creator_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    escalated: bool = False,
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[IssueOut]:
    """Issues the caller may see, most escalated then oldest first."""
    query = issues.issue_query(
        caller.creators,
        status=status,
        priority=priority,
        contact=point_of_contact,
        creator_id=creator_id,
        escalated=escalated,
    )
    sortable = {
        "opened_at": CreatorIssue.opened_at,
        "priority": CreatorIssue.priority,
        "resolution_due_at": CreatorIssue.resolution_due_at,
    }
    order = [CreatorIssue.escalation_level.desc(), CreatorIssue.opened_at, CreatorIssue.id]
    rows, total = paginate(unit, query, page, sortable, order)
    return Page(
        items=[issue_out(i) for i in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/creator-issues/escalation", response_model=EscalationOut)
def escalate_issues(
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> EscalationOut:
    """Escalate every unresolved issue whose SLA clock ran out."""
    raised = issues.escalate_breaches(unit, f"user:{caller.username}")
    return EscalationOut(escalated=[i.id for i in raised if may_see(caller.creators, i.creator_id)])


@router.get("/creator-issues/{issue_id}", response_model=IssueOut, responses=errors(404))
def get_creator_issue(
    issue_id: IssueId,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """One issue with its clocks and its notes."""
    issue = issues.get_issue(unit, issue_id, caller.creators)
    return _with_notes(unit, issue)


@router.post("/creator-issues", response_model=IssueOut, status_code=201, responses=errors(404))
def open_creator_issue(
    body: IssueIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Raise an issue (a creator: about itself)."""
    creator_id = body.creator_id
    if caller.role == "creator":
        creator_id = creator_id or caller.creator_id
        kind = "creator"
    elif caller.role == "agent":
        kind = "agent"
    else:
        kind = body.raised_by or "staff"
    if body.raised_by and caller.role in ("creator", "agent"):
        raise ValidationError("raised_by: you raise issues as yourself", field="raised_by")
    issue = issues.open_issue(
        unit,
        kind=body.kind,
        title=body.title,
        description=body.description,
        raised_by_kind=kind,
        actor=f"user:{caller.username}",
        creator_id=creator_id,
        seller_id=body.seller_id,
        sample_id=body.sample_id,
        pitch_id=body.pitch_id,
        priority=body.priority,
        point_of_contact=body.point_of_contact,
        visible=caller.creators,
    )
    return _with_notes(unit, issue)


@router.post(
    "/creator-issues/{issue_id}/responses", response_model=IssueOut, responses=errors(404, 409)
)
def respond_to_issue(
    issue_id: IssueId,
    body: BodyIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Answer the raiser (the first answer stops the first-response clock)."""
    issue = issues.respond(
        unit,
        issue_id,
        f"user:{caller.username}",
        body.body,
        version=body.version,
        visible=caller.creators,
    )
    return _with_notes(unit, issue)


@router.post("/creator-issues/{issue_id}/notes", response_model=IssueOut, responses=errors(404))
def add_issue_note(
    issue_id: IssueId,
    body: BodyIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Add to an issue (a creator: to its own)."""
    issues.add_note(unit, issue_id, f"user:{caller.username}", body.body, visible=caller.creators)
    return _with_notes(unit, issues.get_issue(unit, issue_id, caller.creators))


@router.post(
    "/creator-issues/{issue_id}/resolution", response_model=IssueOut, responses=errors(404, 409)
)
def resolve_issue(
    issue_id: IssueId,
    body: ResolutionIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Resolve with a resolution note."""
    issue = issues.resolve(
        unit,
        issue_id,
        f"user:{caller.username}",
        body.note,
        version=body.version,
        visible=caller.creators,
    )
    return _with_notes(unit, issue)


@router.post(
    "/creator-issues/{issue_id}/reopening", response_model=IssueOut, responses=errors(404, 409)
)
def reopen_issue(
    issue_id: IssueId,
    body: ReasonIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Reopen a resolved issue (a creator: its own): the resolution clock starts again."""
    issue = issues.reopen(
        unit,
        issue_id,
        f"user:{caller.username}",
        body.reason,
        version=body.version,
        visible=caller.creators,
    )
    return _with_notes(unit, issue)


@router.post(
    "/creator-issues/{issue_id}/assignment", response_model=IssueOut, responses=errors(404, 409)
)
def assign_issue(
    issue_id: IssueId,
    body: AssignmentIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> IssueOut:
    """Change the point of contact and/or the priority."""
    if body.point_of_contact is None and body.priority is None:
        raise ValidationError("give a point_of_contact or a priority", field="point_of_contact")
    actor = f"user:{caller.username}"
    version = body.version
    if body.point_of_contact is not None:
        issue = issues.assign(
            unit, issue_id, body.point_of_contact, actor, version=version, visible=caller.creators
        )
        version = None
    if body.priority is not None:
        issue = issues.set_priority(
            unit, issue_id, body.priority, actor, version=version, visible=caller.creators
        )
    return _with_notes(unit, issue)


def _with_notes(unit: Session, issue: CreatorIssue) -> IssueOut:
    notes = [
        NoteOut.model_validate(n, from_attributes=True) for n in issues.notes_of(unit, issue.id)
    ]
    return issue_out(issue, notes)
