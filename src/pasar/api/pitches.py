"""Pitching pipeline endpoints: list and read pitches, add one, move it, act on many at once,
overdue reminders per owner, and sellers' weekly outreach quotas.

An agent sees and acts only on pitches of creators assigned to them; a creator sees the
pitches addressed to it (without the team's notes). Others' pitches answer 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.creators import pipeline, pitches
from pasar.creators.collaboration_models import Pitch
from pasar.creators.days import today
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["creator pipeline"], responses=errors(401, 403, 422))
PitchId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubjectId = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(pattern=NO_NUL, max_length=2000)]
Stage = Literal[
    "shortlisted",
    "contacted",
    "replied",
    "agreed",
    "sample_sent",
    "content_posted",
    "selling",
    "declined",
    "ghosted",
]
Channel = Literal["tiktok_im", "tc_invite", "whatsapp", "email", "phone"]


class PitchIn(BaseModel):
    seller_id: SubjectId
    creator_id: SubjectId
    product_id: SubjectId | None = None
    campaign: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=200)] | None = None
    stage: Stage = "shortlisted"
    owner: SubjectId | None = Field(None, description="Username; the caller by default.")
    channel: Channel | None = None
    notes: Text | None = None
    next_action: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=300)] | None = None
    next_action_on: dt.date | None = None


class PitchMove(BaseModel):
    to: Stage | None = Field(None, description="The stage to reach; the next one by default.")
    version: int | None = Field(None, ge=1, le=MAX_ID, description="The version you saw.")
    reason: Text | None = Field(None, description="Why it is declined or ghosted.")
    next_action: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=300)] | None = None
    next_action_on: dt.date | None = None


class PitchEdit(BaseModel):
    notes: Text | None = None
    next_action: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=300)] | None = None
    next_action_on: dt.date | None = None
    channel: Channel | None = None
    version: int | None = Field(None, ge=1, le=MAX_ID, description="The version you saw.")


class BulkRow(BaseModel):
    id: int = Field(ge=1, le=MAX_ID)
    version: int | None = Field(None, ge=1, le=MAX_ID)


class BulkIn(BaseModel):
    action: Literal["advance", "assign", "decline"]
    pitches: list[BulkRow] = Field(min_length=1, max_length=pitches.MAX_BULK)
    to: Stage | None = None
    owner: SubjectId | None = None
    reason: Text | None = None


class PitchOut(BaseModel):
    id: int
    seller_id: str
    creator_id: str
    product_id: str | None
    campaign: str | None
    stage: str
    owner: str | None
    channel: str | None
    notes: str | None
    next_action: str | None
    next_action_on: dt.date | None
    overdue: bool
    decline_reason: str | None
    quota_week: dt.date | None
    created_at: dt.datetime
    stage_changed_at: dt.datetime
    contacted_at: dt.datetime | None
    replied_at: dt.datetime | None
    agreed_at: dt.datetime | None
    sample_sent_at: dt.datetime | None
    content_posted_at: dt.datetime | None
    selling_at: dt.datetime | None
    closed_at: dt.datetime | None
    version: int


class PitchList(BaseModel):
    items: list[PitchOut]


class OwnerReminders(BaseModel):
    owner: str
    pitches: list[PitchOut]


class QuotaOut(BaseModel):
    seller_id: str
    week: dt.date
    week_end: dt.date
    limit: int
    used: int
    remaining: int
    configured: bool


class QuotaIn(BaseModel):
    weekly_limit: int = Field(ge=0, le=pitches.MAX_WEEKLY_QUOTA)
    version: int | None = Field(None, ge=1, le=MAX_ID)


def pitch_out(pitch: Pitch, caller: Principal, day: dt.date | None = None) -> PitchOut:
    """A pitch as the caller may read it: a creator does not see the team's notes."""
    out = PitchOut.model_validate(
        {
            **{c: getattr(pitch, c) for c in PitchOut.model_fields if hasattr(pitch, c)},
            "overdue": pipeline.is_open(pitch.stage)
            and pitch.next_action_on is not None
            and pitch.next_action_on < (day or today()),
        }
    )
    if caller.role == "creator":
        out.notes = out.decline_reason = out.next_action = out.owner = None
    return out


@router.get("/pitches", response_model=Page[PitchOut])
def list_pitches(
    seller_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    creator_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    stage: Stage | None = None,
    owner: str | None = Query(None, pattern=NO_NUL, max_length=100),
    overdue: bool = Query(False, description="Only open pitches whose next action is late."),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[PitchOut]:
    """Pitches the caller may see, most recently moved first."""
    query = pitches.pitch_query(
        caller.creators,
        seller_id=seller_id,
        creator_id=creator_id,
        stage=stage,
        owner=owner,
        overdue_on=today() if overdue else None,
    )
    sortable = {
        "stage_changed_at": Pitch.stage_changed_at,
        "next_action_on": Pitch.next_action_on,
        "seller_id": Pitch.seller_id,
        "creator_id": Pitch.creator_id,
        "stage": Pitch.stage,
    }
    rows, total = paginate(
        unit, query, page, sortable, [Pitch.stage_changed_at.desc(), Pitch.id.desc()]
    )
    items = [pitch_out(p, caller) for p in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/pitches/overdue", response_model=list[OwnerReminders])
def overdue_pitches(
    owner: str | None = Query(None, pattern=NO_NUL, max_length=100),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> list[OwnerReminders]:
    """Reminders: open pitches whose next action is late, by owner."""
    found = pitches.overdue(unit, today(), caller.creators, owner)
    if caller.role == "creator":
        return []
    return [
        OwnerReminders(owner=name, pitches=[pitch_out(p, caller) for p in rows])
        for name, rows in found.items()
    ]


@router.get("/pitches/{pitch_id}", response_model=PitchOut, responses=errors(404))
def get_pitch(
    pitch_id: PitchId,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> PitchOut:
    """One pitch."""
    return pitch_out(pitches.get_pitch(unit, pitch_id, caller.creators), caller)


@router.post("/pitches", response_model=PitchOut, status_code=201, responses=errors(404, 409))
def add_pitch(
    body: PitchIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> PitchOut:
    """Pitch a creator for a seller; 409 when someone already pitches it for that seller."""
    pitch = pitches.add_pitch(
        unit,
        **body.model_dump(exclude={"owner"}),
        owner=body.owner or caller.username,
        actor=f"user:{caller.username}",
        visible=caller.creators,
    )
    return pitch_out(pitch, caller)


@router.post("/pitches/bulk", response_model=PitchList, responses=errors(409))
def bulk_pitches(
    body: BulkIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> PitchList:
    """Advance, assign or decline many pitches at once: all of them, or none (422 lists each
    refused pitch with its reason)."""
    done = pitches.bulk(
        unit,
        body.action,
        [(row.id, row.version) for row in body.pitches],
        f"user:{caller.username}",
        to=body.to,
        owner=body.owner,
        reason=body.reason,
        visible=caller.creators,
    )
    return PitchList(items=[pitch_out(p, caller) for p in done])


@router.post("/pitches/{pitch_id}/advance", response_model=PitchOut, responses=errors(404, 409))
def advance_pitch(
    pitch_id: PitchId,
    body: PitchMove,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> PitchOut:
    """Move a pitch forward (or close it as declined/ghosted)."""
    pitch = pitches.advance(
        unit,
        pitch_id,
        body.to,
        f"user:{caller.username}",
        version=body.version,
        reason=body.reason,
        next_action=body.next_action,
        next_action_on=body.next_action_on,
        visible=caller.creators,
    )
    return pitch_out(pitch, caller)


@router.patch("/pitches/{pitch_id}", response_model=PitchOut, responses=errors(404, 409))
def update_pitch(
    pitch_id: PitchId,
    body: PitchEdit,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> PitchOut:
    """Change a pitch's notes, next action and its date, or channel (what is given)."""
    pitch = pitches.update_pitch(
        unit,
        pitch_id,
        f"user:{caller.username}",
        version=body.version,
        notes=body.notes,
        next_action=body.next_action,
        next_action_on=body.next_action_on,
        channel=body.channel,
        visible=caller.creators,
    )
    return pitch_out(pitch, caller)


@router.get("/outreach-quotas/{seller_id}", response_model=QuotaOut)
def get_outreach_quota(
    seller_id: Annotated[str, Path(pattern=NO_NUL, max_length=100)],
    day: dt.date | None = Query(None, description="A day of the week asked about."),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> QuotaOut:
    """A seller's outreach this week (Sunday to Saturday, Jakarta) against its quota."""
    return _quota_out(pitches.quota(unit, seller_id, day))


@router.post("/outreach-quotas/{seller_id}", response_model=QuotaOut, responses=errors(404, 409))
def set_outreach_quota(
    seller_id: Annotated[str, Path(pattern=NO_NUL, max_length=100)],
    body: QuotaIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> QuotaOut:
    """Give a seller its own weekly outreach quota (not agents: they see no seller's
    settings, so the seller answers 404)."""
    if not caller.may_see_seller(seller_id):
        raise NotFoundError(f"no seller {seller_id}")
    pitches.set_quota(unit, seller_id, body.weekly_limit, f"user:{caller.username}", body.version)
    return _quota_out(pitches.quota(unit, seller_id))


def _quota_out(status: pitches.Quota) -> QuotaOut:
    data: dict[str, Any] = {
        "seller_id": status.seller_id,
        "week": status.week,
        "week_end": status.week_end,
        "limit": status.limit,
        "used": status.used,
        "remaining": status.remaining,
        "configured": status.configured,
    }
    return QuotaOut(**data)
