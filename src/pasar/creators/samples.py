"""Sample requests from request to content: eligibility, monthly caps, the seller's 7-day
decision, shipping and delivery, the 14-day content deadline with its single 7-day extension,
overdue content flagged to the point of contact, and refundable-sample goals.

The rules and numbers are in :mod:`pasar.creators.sample_rules`; eligibility is the policy
pack of :mod:`pasar.creators.eligibility`. Deadlines are checked on every change; :func:`sweep`
records what time alone decides (requests expired undecided, content overdue, refund goals
missed) — `pasar creators samples sweep` runs it, as do the overdue commands and pages.

Services never commit; every change is audited; edits carry the version the user saw.

Example::

    standing = standing_of(session, settings, "C7", today)
    sample = request_sample(session, creator_id="C7", seller_id="S1", product_id="P9",
                            actor="user:mira", standing=standing, policies=policies)
    decide(session, sample.id, "approve", "user:seller-ops")
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.auth.models import User
from pasar.creators import pipeline, sample_rules
from pasar.creators.collaboration_models import Pitch, SampleRequest
from pasar.creators.days import ZONE, month_of, next_month, start_of
from pasar.creators.eligibility import Eligibility, SamplePolicies, Standing
from pasar.creators.models import CreatorAssignment
from pasar.creators.people import Visible, may_see, not_found, subject_id, worker
from pasar.creators.pitches import advance as advance_pitch
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

REAPPLY_DAYS = 30  # after a rejection, expiry or cancellation (reference §1.4)
MAX_QUANTITY = 10
MAX_COST = Decimal(1_000_000_000)


class IneligibleError(ValidationError):
    """A free sample refused by the eligibility pack; ``verdict`` says which checks failed."""

    def __init__(self, verdict: Eligibility) -> None:
        reasons = "; ".join(verdict.refusals("en"))
        super().__init__(
            f"creator {verdict.creator_id} is not eligible for a free sample on {verdict.day} "
            f"({verdict.pack}): {reasons}",
            field="creator_id",
        )
        self.verdict = verdict


@dataclass(frozen=True)
class CapStatus:
    """Free-sample requests of a creator in a month against the cap of its level."""

    creator_id: str
    month: dt.date
    level: int
    cap: int
    used: int

    @property
    def remaining(self) -> int:
        return max(0, self.cap - self.used)


def request_sample(
    session: Session,
    *,
    creator_id: str,
    seller_id: str,
    product_id: str,
    actor: str,
    standing: Standing,
    policies: SamplePolicies,
    kind: str = "free",
    quantity: int = 1,
    pitch_id: int | None = None,
    point_of_contact: str | None = None,
    refund_goal_orders: int | None = None,
    sample_cost: Decimal | None = None,
    visible: Visible = None,
    currency: str = "IDR",
) -> SampleRequest:
    """A new request; a free one must pass the eligibility pack and stay within the monthly
    cap of the creator's level. One open request per creator and product; after a rejection,
    expiry or cancellation the creator asks again after :data:`REAPPLY_DAYS` days."""
    creator_id = subject_id(creator_id, "creator_id")
    seller_id = subject_id(seller_id, "seller_id")
    product_id = subject_id(product_id, "product_id")
    if not may_see(visible, creator_id):
        raise not_found("creator", creator_id)
    if standing.creator_id != creator_id:
        raise ValidationError("the standing given is another creator's", field="creator_id")
    if kind not in sample_rules.KINDS:
        raise ValidationError(
            f"kind: {kind!r} is not one of {', '.join(sample_rules.KINDS)}", field="kind"
        )
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValidationError(f"quantity: between 1 and {MAX_QUANTITY}", field="quantity")
    goal = _goal(kind, refund_goal_orders)
    moment = now()
    day = moment.astimezone(ZONE).date()
    _check_reapply(session, creator_id, product_id, moment)
    verdict = policies.evaluate(standing, day, currency)
    if kind == "free":
        if not verdict.eligible:
            raise IneligibleError(verdict)
        cap = cap_status(session, creator_id, standing.level, day)
        if cap.used >= cap.cap:
            raise ValidationError(
                f"creator {creator_id} has made {cap.used} of the {cap.cap} free-sample requests "
                f"level L{cap.level} allows in {cap.month:%B %Y}; ask again from "
                f"{next_month(day)} or request a refundable sample",
                field="creator_id",
            )
    pitch = _pitch(session, pitch_id, seller_id, creator_id)
    sample = SampleRequest(
        creator_id=creator_id,
        seller_id=seller_id,
        product_id=product_id,
        pitch_id=pitch.id if pitch else None,
        kind=kind,
        status="requested",
        quantity=quantity,
        point_of_contact=_contact(session, point_of_contact, pitch, creator_id, actor, day),
        requested_by=actor,
        requested_at=moment,
        decision_due_at=sample_rules.decision_due(moment),
        level=standing.level,
        eligibility=verdict.to_json(),
        sample_cost=_money(sample_cost, "sample_cost"),
        refund_goal_orders=goal,
    )
    session.add(sample)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="sample.requested",
        entity_type="sample",
        entity_id=str(sample.id),
        after=snapshot(sample),
        context={"eligible": verdict.eligible, "level": standing.level},
    )
    return sample


def cap_status(session: Session, creator_id: str, level: int, day: dt.date) -> CapStatus:
    """Free-sample requests the creator made in the month of ``day`` (withdrawn ones do not
    count) against the cap of ``level``."""
    first = month_of(day)
    used = session.scalar(
        select(func.count()).where(
            SampleRequest.creator_id == creator_id,
            SampleRequest.kind == "free",
            SampleRequest.status != "withdrawn",
            SampleRequest.requested_at >= start_of(first),
            SampleRequest.requested_at < start_of(next_month(first)),
        )
    )
    return CapStatus(creator_id, first, level, sample_rules.monthly_cap(level), int(used or 0))


def get_sample(session: Session, sample_id: int, visible: Visible = None) -> SampleRequest:
    """Sample ``sample_id`` if the caller may see it (else :class:`NotFoundError`)."""
    sample = session.get(SampleRequest, sample_id)
    if sample is None or not may_see(visible, sample.creator_id):
        raise not_found("sample", sample_id)
    return sample


def decide(
    session: Session,
    sample_id: int,
    decision: str,
    actor: str,
    *,
    version: int | None = None,
    reason: str | None = None,
    reject_code: str | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The seller approves or rejects a request within :data:`DECISION_DAYS` days of it."""
    if decision not in ("approve", "reject"):
        raise ValidationError("decision: approve or reject", field="decision")
    sample, before = _edit(session, sample_id, version, visible)
    moment = now()
    if sample.status == "requested" and moment > sample.decision_due_at:
        raise ValidationError(
            f"the seller's {sample_rules.DECISION_DAYS}-day decision window closed at "
            f"{_shown(sample.decision_due_at)}; the request has expired",
            field="decision",
        )
    target = "approved" if decision == "approve" else "rejected"
    sample_rules.check_move(sample.status, target)
    if target == "rejected":
        code = reject_code or "other"
        if code not in sample_rules.REJECT_CODES:
            raise ValidationError(
                f"reject_code: one of {', '.join(sample_rules.REJECT_CODES)}", field="reject_code"
            )
        sample.reject_code = code
        sample.closed_at = moment
    sample.status = target
    sample.decided_at, sample.decided_by = moment, actor
    sample.decision_reason = written(reason, "reason") if reason else None
    return _done(session, sample, before, actor, f"sample.{target}", reason)


def withdraw(
    session: Session,
    sample_id: int,
    actor: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The creator takes back a request the seller has not decided (it leaves the cap)."""
    sample, before = _edit(session, sample_id, version, visible)
    sample_rules.check_move(sample.status, "withdrawn")
    sample.status, sample.closed_at = "withdrawn", now()
    return _done(session, sample, before, actor, "sample.withdrawn")


def ship(
    session: Session,
    sample_id: int,
    actor: str,
    *,
    version: int | None = None,
    tracking_number: str | None = None,
    shipping_cost: Decimal | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The seller ships an approved sample (its pitch, if any, reaches ``sample_sent``)."""
    sample, before = _edit(session, sample_id, version, visible)
    sample_rules.check_move(sample.status, "shipped")
    sample.status, sample.shipped_at = "shipped", now()
    if tracking_number:
        sample.tracking_number = written(tracking_number, "tracking_number", limit=100)
    if shipping_cost is not None:
        sample.shipping_cost = _money(shipping_cost, "shipping_cost")
    _pitch_reaches(session, sample, "sample_sent", actor)
    return _done(session, sample, before, actor, "sample.shipped")


def deliver(
    session: Session,
    sample_id: int,
    actor: str,
    *,
    version: int | None = None,
    delivered_at: dt.datetime | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The creator received the sample: content is due :data:`CONTENT_DAYS` days later (a
    refundable sample's content and goal :data:`REFUND_GOAL_DAYS` days later)."""
    sample, before = _edit(session, sample_id, version, visible)
    sample_rules.check_move(sample.status, "delivered")
    moment = now()
    received = delivered_at or moment
    if received > moment:
        raise ValidationError("delivered_at: cannot be in the future", field="delivered_at")
    earliest = sample.shipped_at or sample.decided_at or sample.requested_at
    if received < earliest:
        raise ValidationError(
            f"delivered_at: before the sample was sent ({_shown(earliest)})", field="delivered_at"
        )
    if sample.shipped_at is None:
        sample.shipped_at = received
        _pitch_reaches(session, sample, "sample_sent", actor)
    sample.status, sample.delivered_at = "delivered", received
    if sample.kind == "refundable":  # 90 days to post and sell, no 14-day deadline
        sample.goal_due_at, sample.refund_status = sample_rules.goal_due(received), "pending"
        sample.content_due_at = sample.goal_due_at
    else:
        sample.content_due_at = sample_rules.content_due(received)
    return _done(session, sample, before, actor, "sample.delivered")


def extend(
    session: Session,
    sample_id: int,
    actor: str,
    reason: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The one :data:`EXTENSION_DAYS`-day extension of a free sample's content deadline, asked
    for before the deadline passes."""
    sample, before = _edit(session, sample_id, version, visible)
    why = written(reason, "reason")
    if sample.status != "delivered" or sample.content_due_at is None:
        raise ValidationError(
            f"only a delivered sample that owes content gets an extension; this one is "
            f"{sample.status}",
            field="status",
        )
    if sample.kind == "refundable":
        raise ValidationError(
            f"sample {sample.id} is refundable: it has {sample_rules.REFUND_GOAL_DAYS} days to "
            "post and sell, without extension",
            field="extension",
        )
    if sample.extended_at is not None:
        raise ValidationError(
            f"sample {sample.id} already had its one extension (on {_shown(sample.extended_at)}); "
            f"content is due {_shown(sample.content_due_at)}",
            field="extension",
        )
    moment = now()
    if moment > sample.content_due_at:
        raise ValidationError(
            f"the content deadline passed at {_shown(sample.content_due_at)}; an extension is "
            "asked for before it",
            field="extension",
        )
    sample.extended_at, sample.extension_reason = moment, why
    sample.content_due_at += dt.timedelta(days=sample_rules.EXTENSION_DAYS)
    return _done(session, sample, before, actor, "sample.extended", why)


def post_content(
    session: Session,
    sample_id: int,
    actor: str,
    url: str,
    *,
    content_format: str = "video",
    posted_at: dt.datetime | None = None,
    version: int | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """The creator posted the content (late content completes the sample but does not count
    as fulfilled); its pitch, if any, reaches ``content_posted``."""
    sample, before = _edit(session, sample_id, version, visible)
    sample_rules.check_move(sample.status, "posted")
    if content_format not in sample_rules.FORMATS:
        raise ValidationError(
            f"content_format: one of {', '.join(sample_rules.FORMATS)}", field="content_format"
        )
    link = written(url, "url", limit=500)
    if not link.startswith(("https://", "http://")):
        raise ValidationError("url: a link starting with https://", field="url")
    moment = now()
    posted = posted_at or moment
    if posted > moment or (sample.delivered_at and posted < sample.delivered_at):
        raise ValidationError("posted_at: between delivery and now", field="posted_at")
    assert sample.content_due_at is not None
    sample.status, sample.content_posted_at, sample.closed_at = "posted", posted, moment
    sample.content_url, sample.content_format = link, content_format
    sample.posted_late = posted > sample.content_due_at
    _pitch_reaches(session, sample, "content_posted", actor)
    return _done(session, sample, before, actor, "sample.posted")


def cancel(
    session: Session,
    sample_id: int,
    actor: str,
    reason: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> SampleRequest:
    """Cancel an approved, shipped or delivered sample (out of stock, lost parcel …)."""
    sample, before = _edit(session, sample_id, version, visible)
    why = written(reason, "reason")
    sample_rules.check_move(sample.status, "cancelled")
    sample.status, sample.closed_at = "cancelled", now()
    if sample.refund_status == "pending":
        sample.refund_status = None
    return _done(session, sample, before, actor, "sample.cancelled", why)


def record_goal_orders(
    session: Session, sample_id: int, orders: int, actor: str, *, visible: Visible = None
) -> SampleRequest:
    """Orders the creator brought for a refundable sample's product; reaching the goal within
    :data:`REFUND_GOAL_DAYS` days of delivery earns the refund."""
    sample = get_sample(session, sample_id, visible)
    if sample.kind != "refundable" or sample.refund_status is None:
        raise ValidationError(
            f"sample {sample_id} is not a delivered refundable sample", field="sample_id"
        )
    if orders < 0:
        raise ValidationError("orders: not negative", field="orders")
    if sample.refund_status != "pending":
        return sample
    before = snapshot(sample)
    moment = now()
    sample.goal_orders = max(sample.goal_orders, orders)
    assert sample.refund_goal_orders is not None and sample.goal_due_at is not None
    if sample.goal_orders >= sample.refund_goal_orders and moment <= sample.goal_due_at:
        sample.refund_status, sample.refund_settled_at = "earned", moment
        return _done(session, sample, before, actor, "sample.refund_earned")
    return _done(session, sample, before, actor, "sample.goal_progress")


@dataclass
class SweepReport:
    """What one sweep recorded."""

    expired: list[SampleRequest]
    flagged: list[SampleRequest]
    missed: list[SampleRequest]


def sweep(session: Session, actor: str = "system:samples") -> SweepReport:
    """Record what time decided: requests left undecided past the seller's window expire,
    content past its deadline is flagged to the point of contact (once), refundable goals not
    reached in time are missed."""
    moment = now()
    report = SweepReport([], [], [])
    for sample in session.scalars(
        select(SampleRequest)
        .where(SampleRequest.status == "requested", SampleRequest.decision_due_at < moment)
        .with_for_update()
    ):
        before = snapshot(sample)
        sample.status, sample.closed_at = "expired", moment
        _done(session, sample, before, actor, "sample.expired")
        report.expired.append(sample)
    for sample in session.scalars(
        select(SampleRequest)
        .where(
            SampleRequest.status == "delivered",
            SampleRequest.content_due_at < moment,
            SampleRequest.overdue_flagged_at.is_(None),
        )
        .with_for_update()
    ):
        before = snapshot(sample)
        sample.overdue_flagged_at = moment
        _done(
            session,
            sample,
            before,
            actor,
            "sample.content_overdue",
            context={"point_of_contact": sample.point_of_contact},
        )
        report.flagged.append(sample)
    for sample in session.scalars(
        select(SampleRequest)
        .where(SampleRequest.refund_status == "pending", SampleRequest.goal_due_at < moment)
        .with_for_update()
    ):
        before = snapshot(sample)
        sample.refund_status = "missed"
        _done(session, sample, before, actor, "sample.refund_missed")
        report.missed.append(sample)
    return report


def sample_query(
    visible: Visible = None,
    *,
    creator_id: str | None = None,
    seller_id: str | None = None,
    status: str | None = None,
    contact: str | None = None,
) -> Select[SampleRequest]:
    """Samples the caller may see, filtered."""
    query = select(SampleRequest)
    if visible is not None:
        query = query.where(SampleRequest.creator_id.in_(sorted(visible)))
    for column, value in (
        (SampleRequest.creator_id, creator_id),
        (SampleRequest.seller_id, seller_id),
        (SampleRequest.status, status),
        (SampleRequest.point_of_contact, contact),
    ):
        if value:
            query = query.where(column == value)
    return query


def overdue(
    session: Session, visible: Visible = None, moment: dt.datetime | None = None
) -> dict[str, list[SampleRequest]]:
    """Delivered samples past their content deadline, by point of contact ("" when none)."""
    query = (
        sample_query(visible, status="delivered")
        .where(SampleRequest.content_due_at < (moment or now()))
        .order_by(SampleRequest.content_due_at, SampleRequest.id)
    )
    found: dict[str, list[SampleRequest]] = {}
    for sample in session.scalars(query):
        found.setdefault(sample.point_of_contact or "", []).append(sample)
    return found


def deadline(sample: SampleRequest, moment: dt.datetime | None = None) -> dict[str, Any]:
    """What a sample waits for next and by when: ``what``, ``due`` (UTC), ``days_left``
    (negative when overdue), ``overdue`` and the status as time has made it."""
    moment = moment or now()
    status = sample.status
    due: dt.datetime | None = None
    what = ""
    if status == "requested":
        what, due = "seller decision", sample.decision_due_at
        if moment > due:
            status = "expired"
    elif status == "delivered":
        what, due = "content", sample.content_due_at
    elif status in ("approved", "shipped"):
        what = "delivery"
    overdue_now = sample_rules.content_overdue(sample.status, sample.content_due_at, moment) or (
        sample.status == "requested" and moment > sample.decision_due_at
    )
    days_left = None if due is None else (due - moment).total_seconds() / 86400
    return {
        "status": status,
        "what": what,
        "due": due,
        "days_left": days_left,
        "overdue": overdue_now,
        "extended": sample.extended_at is not None,
    }


# --- internals ------------------------------------------------------------------------------


def _edit(
    session: Session, sample_id: int, version: int | None, visible: Visible
) -> tuple[SampleRequest, dict[str, Any]]:
    sample = get_sample(session, sample_id, visible)
    if version is not None:
        expect_version(sample, version)
    return sample, snapshot(sample)


def _done(
    session: Session,
    sample: SampleRequest,
    before: dict[str, Any],
    actor: str,
    action: str,
    reason: str | None = None,
    context: dict[str, Any] | None = None,
) -> SampleRequest:
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="sample",
        entity_id=str(sample.id),
        reason=reason,
        before=before,
        after=snapshot(sample),
        context=context,
    )
    return sample


def _goal(kind: str, goal: int | None) -> int | None:
    if kind == "free":
        if goal is not None:
            raise ValidationError(
                "refund_goal_orders: only refundable samples have a goal",
                field="refund_goal_orders",
            )
        return None
    goal = sample_rules.REFUND_GOAL_DEFAULT if goal is None else goal
    low, high = sample_rules.REFUND_GOAL_RANGE
    if not low <= goal <= high:
        raise ValidationError(
            f"refund_goal_orders: between {low} and {high} orders", field="refund_goal_orders"
        )
    return goal


def _money(value: Decimal | None, field: str) -> Decimal | None:
    if value is None:
        return None
    amount = Decimal(value)
    if amount < 0 or amount > MAX_COST or amount != amount.to_integral_value():
        raise ValidationError(f"{field}: whole rupiah between 0 and {MAX_COST:,}", field=field)
    return amount


def _check_reapply(session: Session, creator_id: str, product_id: str, moment: dt.datetime) -> None:
    """One sample of each product per creator; after a rejection, expiry or cancellation the
    creator waits :data:`REAPPLY_DAYS` days (a withdrawn request can be made again at once)."""
    rows = session.scalars(
        select(SampleRequest)
        .where(SampleRequest.creator_id == creator_id, SampleRequest.product_id == product_id)
        .order_by(SampleRequest.requested_at.desc())
    ).all()
    for row in rows:
        state = _state(row, moment)
        if state in sample_rules.OPEN or state == "posted":
            raise ConflictError(
                f"creator {creator_id} already has sample #{row.id} of {product_id} ({state}); "
                "one sample of each product",
                field="product_id",
            )
        if state in ("rejected", "expired", "cancelled"):
            closed = row.closed_at or row.decision_due_at
            again = closed + dt.timedelta(days=REAPPLY_DAYS)
            if moment < again:
                raise ValidationError(
                    f"sample #{row.id} of {product_id} was {state}; creator {creator_id} may "
                    f"ask again from {_shown(again)}",
                    field="product_id",
                )


def _state(row: SampleRequest, moment: dt.datetime) -> str:
    """The status as time has made it (an undecided request past its window is expired)."""
    if row.status == "requested" and moment > row.decision_due_at:
        return "expired"
    return row.status


def _pitch(session: Session, pitch_id: int | None, seller_id: str, creator_id: str) -> Pitch | None:
    if pitch_id is None:
        return session.scalar(
            select(Pitch).where(
                Pitch.seller_id == seller_id,
                Pitch.creator_id == creator_id,
                Pitch.stage.in_(pipeline.STAGES),
            )
        )
    pitch = session.get(Pitch, pitch_id)
    if pitch is None or (pitch.seller_id, pitch.creator_id) != (seller_id, creator_id):
        raise ValidationError(
            f"pitch_id: pitch {pitch_id} is not of creator {creator_id} for seller {seller_id}",
            field="pitch_id",
        )
    return pitch


def _contact(
    session: Session,
    given: str | None,
    pitch: Pitch | None,
    creator_id: str,
    actor: str,
    day: dt.date,
) -> str | None:
    """The point of contact: as given, else the pitch's owner, else the creator's agent, else
    the staff member making the request."""
    if given:
        return worker(session, given, "point_of_contact", creator_id).username
    if pitch is not None:
        return pitch.owner
    agent = session.scalar(
        select(CreatorAssignment.agent_id)
        .where(
            CreatorAssignment.creator_id == creator_id,
            CreatorAssignment.open_on(day),
        )
        .order_by(CreatorAssignment.starts_on.desc())
    )
    if agent is not None:
        user = session.get(User, agent)
        if user is not None:
            return user.username
    if actor.startswith("user:"):
        try:
            return worker(session, actor.removeprefix("user:"), "point_of_contact").username
        except ValidationError:
            return None
    return None


def _pitch_reaches(session: Session, sample: SampleRequest, stage: str, actor: str) -> None:
    """Move the sample's pitch forward to ``stage`` when it is open, contacted and behind."""
    if sample.pitch_id is None:
        return
    pitch = session.get(Pitch, sample.pitch_id)
    if pitch is None or pitch.stage not in pipeline.CONTACTED:
        return
    if pipeline.STAGES.index(pitch.stage) >= pipeline.STAGES.index(stage):
        return
    advance_pitch(session, pitch.id, stage, actor)


def _shown(moment: dt.datetime) -> str:
    return f"{moment.astimezone(ZONE):%Y-%m-%d %H:%M} WIB"
