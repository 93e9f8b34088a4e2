"""Sample and sample-voucher endpoints.

A creator sees only its own samples, requests samples for itself, confirms their delivery,
posts their content and asks for the one extension; staff (agents: for their assigned
creators) decide, ship, cancel and track goals. Eligibility and the monthly cap are checked
when a sample is requested, from the latest creator snapshot. Vouchers are staff budgets; a
confined caller sees only vouchers with codes issued to its creators, and only those codes.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import MAX_ID, NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.creators import samples, vouchers
from pasar.creators.collaboration_models import SampleRequest, SampleVoucher, VoucherCode
from pasar.creators.days import today
from pasar.creators.eligibility import policies_for, standing_of
from pasar.creators.people import may_see
from pasar.kit.clock import now
from pasar.kit.errors import NotFoundError, ValidationError

router = APIRouter(tags=["creator samples"], responses=errors(401, 403, 422))
SampleId = Annotated[int, Path(ge=1, le=MAX_ID)]
VoucherId = Annotated[int, Path(ge=1, le=MAX_ID)]
SubjectId = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=2000)]
Version = Annotated[int | None, Field(None, ge=1, le=MAX_ID, description="The version you saw.")]
Money = Annotated[Decimal, Field(ge=0, le=10_000_000_000, decimal_places=0)]


class SampleIn(BaseModel):
    creator_id: SubjectId | None = Field(None, description="A creator's own id by default.")
    seller_id: SubjectId
    product_id: SubjectId
    kind: Literal["free", "refundable"] = "free"
    quantity: int = Field(1, ge=1, le=samples.MAX_QUANTITY)
    pitch_id: int | None = Field(None, ge=1, le=MAX_ID)
    point_of_contact: SubjectId | None = None
    refund_goal_orders: int | None = Field(None, ge=1, le=3)
    sample_cost: Money | None = None


class DecisionIn(BaseModel):
    decision: Literal["approve", "reject"]
    reason: Text | None = None
    reject_code: Literal["not_match", "offline", "out_of_stock", "other"] | None = None
    version: Version = None


class ShipIn(BaseModel):
    tracking_number: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)] | None = None
    shipping_cost: Money | None = None
    version: Version = None


class DeliveryIn(BaseModel):
    delivered_at: dt.datetime | None = Field(None, description="When it arrived (now).")
    version: Version = None


class ContentIn(BaseModel):
    url: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=8, max_length=500)]
    content_format: Literal["video", "live"] = "video"
    posted_at: dt.datetime | None = None
    version: Version = None


class ReasonIn(BaseModel):
    reason: Text
    version: Version = None


class VersionIn(BaseModel):
    version: Version = None


class GoalIn(BaseModel):
    orders: int = Field(ge=0, le=1_000_000)


class SampleOut(BaseModel):
    id: int
    creator_id: str
    seller_id: str
    product_id: str
    pitch_id: int | None
    kind: str
    status: str
    effective_status: str
    quantity: int
    point_of_contact: str | None
    requested_at: dt.datetime
    decision_due_at: dt.datetime
    decided_at: dt.datetime | None
    decision_reason: str | None
    reject_code: str | None
    shipped_at: dt.datetime | None
    tracking_number: str | None
    delivered_at: dt.datetime | None
    content_due_at: dt.datetime | None
    extended_at: dt.datetime | None
    content_posted_at: dt.datetime | None
    content_url: str | None
    content_format: str | None
    posted_late: bool | None
    overdue: bool
    overdue_flagged_at: dt.datetime | None
    next_deadline: str
    days_left: float | None
    level: int
    eligibility: dict[str, Any] | None
    sample_cost: Decimal | None
    shipping_cost: Decimal | None
    refund_goal_orders: int | None
    goal_orders: int
    goal_due_at: dt.datetime | None
    refund_status: str | None
    version: int


class ContactOverdue(BaseModel):
    point_of_contact: str | None
    samples: list[SampleOut]


class SweepOut(BaseModel):
    expired: list[int]
    flagged: list[int]
    missed: list[int]


class EligibilityOut(BaseModel):
    creator_id: str
    day: dt.date
    eligible: bool
    pack: str | None
    snapshot_as_of: dt.date | None
    checks: list[dict[str, Any]]
    level: int
    monthly_cap: int
    used_this_month: int
    remaining_this_month: int


class VoucherIn(BaseModel):
    seller_id: SubjectId
    name: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=200)]
    face_value: Money
    budget: Money
    valid_until: dt.date | None = None
    codes: int = Field(0, ge=0, le=vouchers.MAX_CODES)
    creators: list[SubjectId] = Field(default_factory=list, max_length=500)


class CodesIn(BaseModel):
    count: int = Field(1, ge=1, le=vouchers.MAX_CODES)
    creator_id: SubjectId | None = None


class RedeemIn(BaseModel):
    code: Annotated[str, StringConstraints(pattern=NO_NUL, min_length=1, max_length=40)]
    amount: Money | None = None
    sample_id: int | None = Field(None, ge=1, le=MAX_ID)
    order_ref: Annotated[str, StringConstraints(pattern=NO_NUL, max_length=100)] | None = None


class CodeOut(BaseModel):
    code: str
    creator_id: str | None
    redeemed_at: dt.datetime | None
    redeemed_by: str | None
    amount: Decimal | None
    sample_id: int | None
    order_ref: str | None


class VoucherOut(BaseModel):
    id: int
    seller_id: str
    name: str
    face_value: Decimal
    budget: Decimal
    spent: Decimal
    remaining: Decimal
    redemptions: int
    valid_until: dt.date | None
    status: str
    version: int
    codes: list[CodeOut] = []


def sample_out(sample: SampleRequest) -> SampleOut:
    """A sample with its next deadline and whether it is overdue now."""
    shown = samples.deadline(sample)
    fields = {c: getattr(sample, c) for c in SampleOut.model_fields if hasattr(sample, c)}
    return SampleOut.model_validate(
        {
            **fields,
            "effective_status": shown["status"],
            "overdue": shown["overdue"],
            "next_deadline": shown["what"],
            "days_left": shown["days_left"],
        }
    )


@router.get("/samples", response_model=Page[SampleOut])
def list_samples(
    creator_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    seller_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    status: str | None = Query(None, pattern=NO_NUL, max_length=20),
    point_of_contact: str | None = Query(None, pattern=NO_NUL, max_length=100),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[SampleOut]:
    """Samples the caller may see, newest request first."""
    query = samples.sample_query(
        caller.creators,
        creator_id=creator_id,
        seller_id=seller_id,
        status=status,
        contact=point_of_contact,
    )
    sortable = {
        "requested_at": SampleRequest.requested_at,
        "content_due_at": SampleRequest.content_due_at,
        "status": SampleRequest.status,
    }
    rows, total = paginate(
        unit, query, page, sortable, [SampleRequest.requested_at.desc(), SampleRequest.id.desc()]
    )
    return Page(
        items=[sample_out(s) for s in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/samples/overdue", response_model=list[ContactOverdue])
def overdue_samples(
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> list[ContactOverdue]:
    """Delivered samples past their content deadline, by point of contact."""
    return [
        ContactOverdue(point_of_contact=contact or None, samples=[sample_out(s) for s in rows])
        for contact, rows in samples.overdue(unit, caller.creators).items()
    ]


@router.post("/samples/sweep", response_model=SweepOut)
def sweep_samples(
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SweepOut:
    """Record what time decided: expired requests, overdue content, missed refund goals."""
    report = samples.sweep(unit, f"user:{caller.username}")
    return SweepOut(
        expired=[s.id for s in report.expired if may_see(caller.creators, s.creator_id)],
        flagged=[s.id for s in report.flagged if may_see(caller.creators, s.creator_id)],
        missed=[s.id for s in report.missed if may_see(caller.creators, s.creator_id)],
    )


@router.get("/samples/{sample_id}", response_model=SampleOut, responses=errors(404))
def get_sample(
    sample_id: SampleId,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """One sample with its deadlines."""
    return sample_out(samples.get_sample(unit, sample_id, caller.creators))


@router.get(
    "/creators/{creator_id}/sample-eligibility",
    response_model=EligibilityOut,
    responses=errors(404),
)
def sample_eligibility(
    creator_id: Annotated[str, Path(pattern=NO_NUL, max_length=100)],
    request: Request,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> EligibilityOut:
    """Whether the creator may request a free sample today, why, and its monthly cap."""
    if not may_see(caller.creators, creator_id):
        raise NotFoundError(f"no creator {creator_id}")
    settings = request.app.state.settings
    day = today()
    standing = standing_of(unit, settings, creator_id, day, now())
    verdict = policies_for(settings).evaluate(standing, day, settings.currency)
    cap = samples.cap_status(unit, creator_id, standing.level, day)
    shown = verdict.to_json()
    return EligibilityOut(
        creator_id=creator_id,
        day=day,
        eligible=verdict.eligible,
        pack=verdict.pack,
        snapshot_as_of=verdict.as_of,
        checks=shown["checks"],
        level=standing.level,
        monthly_cap=cap.cap,
        used_this_month=cap.used,
        remaining_this_month=cap.remaining,
    )


@router.post("/samples", response_model=SampleOut, status_code=201, responses=errors(404, 409))
def request_sample(
    body: SampleIn,
    request: Request,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """Request a sample (a creator for itself); a free one must be eligible and within the
    monthly cap of the creator's level (422 says why not)."""
    creator_id = body.creator_id or caller.creator_id
    if not creator_id:
        raise ValidationError("creator_id: say which creator asks", field="creator_id")
    if not may_see(caller.creators, creator_id):
        raise NotFoundError(f"no creator {creator_id}")
    settings = request.app.state.settings
    standing = standing_of(unit, settings, creator_id, today(), now())
    sample = samples.request_sample(
        unit,
        creator_id=creator_id,
        seller_id=body.seller_id,
        product_id=body.product_id,
        actor=f"user:{caller.username}",
        standing=standing,
        policies=policies_for(settings),
        kind=body.kind,
        quantity=body.quantity,
        pitch_id=body.pitch_id,
        point_of_contact=body.point_of_contact,
        refund_goal_orders=body.refund_goal_orders,
        sample_cost=body.sample_cost,
        visible=caller.creators,
        currency=settings.currency,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/decision", response_model=SampleOut, responses=errors(404, 409))
def decide_sample(
    sample_id: SampleId,
    body: DecisionIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """The seller's decision, within 7 days of the request."""
    sample = samples.decide(
        unit,
        sample_id,
        body.decision,
        f"user:{caller.username}",
        version=body.version,
        reason=body.reason,
        reject_code=body.reject_code,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/shipment", response_model=SampleOut, responses=errors(404, 409))
def ship_sample(
    sample_id: SampleId,
    body: ShipIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """The seller shipped the sample."""
    sample = samples.ship(
        unit,
        sample_id,
        f"user:{caller.username}",
        version=body.version,
        tracking_number=body.tracking_number,
        shipping_cost=body.shipping_cost,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/delivery", response_model=SampleOut, responses=errors(404, 409))
def deliver_sample(
    sample_id: SampleId,
    body: DeliveryIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """The sample arrived: content is due 14 days later."""
    sample = samples.deliver(
        unit,
        sample_id,
        f"user:{caller.username}",
        version=body.version,
        delivered_at=body.delivered_at,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/content", response_model=SampleOut, responses=errors(404, 409))
def post_sample_content(
    sample_id: SampleId,
    body: ContentIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """The creator posted the content it owes."""
    sample = samples.post_content(
        unit,
        sample_id,
        f"user:{caller.username}",
        body.url,
        content_format=body.content_format,
        posted_at=body.posted_at,
        version=body.version,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/extension", response_model=SampleOut, responses=errors(404, 409))
def extend_sample(
    sample_id: SampleId,
    body: ReasonIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """The one 7-day extension of the content deadline."""
    sample = samples.extend(
        unit,
        sample_id,
        f"user:{caller.username}",
        body.reason,
        version=body.version,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post(
    "/samples/{sample_id}/withdrawal", response_model=SampleOut, responses=errors(404, 409)
)
def withdraw_sample(
    sample_id: SampleId,
    body: VersionIn,
    caller: Principal = Depends(needs("creators:request")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """Take back a request the seller has not decided."""
    sample = samples.withdraw(
        unit, sample_id, f"user:{caller.username}", version=body.version, visible=caller.creators
    )
    return sample_out(sample)


@router.post(
    "/samples/{sample_id}/cancellation", response_model=SampleOut, responses=errors(404, 409)
)
def cancel_sample(
    sample_id: SampleId,
    body: ReasonIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """Cancel an approved, shipped or delivered sample."""
    sample = samples.cancel(
        unit,
        sample_id,
        f"user:{caller.username}",
        body.reason,
        version=body.version,
        visible=caller.creators,
    )
    return sample_out(sample)


@router.post("/samples/{sample_id}/goal-orders", response_model=SampleOut, responses=errors(404))
def record_goal_orders(
    sample_id: SampleId,
    body: GoalIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> SampleOut:
    """Orders counted towards a refundable sample's goal."""
    sample = samples.record_goal_orders(
        unit, sample_id, body.orders, f"user:{caller.username}", visible=caller.creators
    )
    return sample_out(sample)


# --- vouchers -------------------------------------------------------------------------------


def voucher_out(voucher: SampleVoucher, codes: list[VoucherCode] | None = None) -> VoucherOut:
    return VoucherOut(
        id=voucher.id,
        seller_id=voucher.seller_id,
        name=voucher.name,
        face_value=voucher.face_value,
        budget=voucher.budget,
        spent=voucher.spent,
        remaining=voucher.budget - voucher.spent,
        redemptions=voucher.redemptions,
        valid_until=voucher.valid_until,
        status=voucher.status,
        version=voucher.version,
        codes=[CodeOut.model_validate(c, from_attributes=True) for c in codes or []],
    )


@router.get("/vouchers", response_model=Page[VoucherOut])
def list_vouchers(
    seller_id: str | None = Query(None, pattern=NO_NUL, max_length=100),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[VoucherOut]:
    """Sample vouchers (a confined caller: those with codes issued to its creators)."""
    query = vouchers.voucher_query(caller.creators, seller_id)
    sortable = {"created_at": SampleVoucher.created_at, "seller_id": SampleVoucher.seller_id}
    rows, total = paginate(unit, query, page, sortable, [SampleVoucher.id.desc()])
    return Page(
        items=[voucher_out(v) for v in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.get("/vouchers/{voucher_id}", response_model=VoucherOut, responses=errors(404))
def get_voucher(
    voucher_id: VoucherId,
    caller: Principal = Depends(needs("creators:read")),
    unit: Session = Depends(session, scope="function"),
) -> VoucherOut:
    """A voucher with its codes (a confined caller: only its creators' codes)."""
    voucher = vouchers.get_voucher(unit, voucher_id)
    codes = vouchers.codes_of(unit, voucher_id, caller.creators)
    if caller.creators is not None and not codes:
        raise NotFoundError(f"no voucher {voucher_id}")
    return voucher_out(voucher, codes)


@router.post("/vouchers", response_model=VoucherOut, status_code=201, responses=errors(404))
def create_voucher(
    body: VoucherIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> VoucherOut:
    """A voucher budget with codes (one issued to each creator listed)."""
    if not caller.may_see_seller(body.seller_id):
        raise NotFoundError(f"no seller {body.seller_id}")
    voucher = vouchers.create_voucher(
        unit,
        seller_id=body.seller_id,
        name=body.name,
        face_value=body.face_value,
        budget=body.budget,
        actor=f"user:{caller.username}",
        valid_until=body.valid_until,
        codes=body.codes,
        creators=body.creators,
    )
    return voucher_out(voucher, vouchers.codes_of(unit, voucher.id))


@router.post(
    "/vouchers/{voucher_id}/codes",
    response_model=VoucherOut,
    status_code=201,
    responses=errors(404),
)
def issue_voucher_codes(
    voucher_id: VoucherId,
    body: CodesIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> VoucherOut:
    """More codes (an agent issues them only to its creators)."""
    if caller.creators is not None and body.creator_id is None:
        raise ValidationError(
            "creator_id: issue the codes to one of your creators", field="creator_id"
        )
    vouchers.issue_codes(
        unit,
        voucher_id,
        body.count,
        f"user:{caller.username}",
        creator_id=body.creator_id,
        visible=caller.creators,
    )
    voucher = vouchers.get_voucher(unit, voucher_id)
    return voucher_out(voucher, vouchers.codes_of(unit, voucher_id, caller.creators))


@router.post(
    "/voucher-redemptions", response_model=CodeOut, status_code=201, responses=errors(404, 409)
)
def redeem_voucher_code(
    body: RedeemIn,
    caller: Principal = Depends(needs("creators:manage")),
    unit: Session = Depends(session, scope="function"),
) -> CodeOut:
    """Redeem a code once; 422 when it would exceed the voucher's budget."""
    row = vouchers.redeem(
        unit,
        body.code,
        f"user:{caller.username}",
        amount=body.amount,
        sample_id=body.sample_id,
        order_ref=body.order_ref,
        visible=caller.creators,
    )
    return CodeOut.model_validate(row, from_attributes=True)
