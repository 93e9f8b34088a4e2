"""The pitching pipeline: pitch creators for sellers, move pitches through the stages, keep
within each seller's weekly outreach quota, never pitch a creator twice for one seller, act on
many pitches at once, and remind owners of overdue next actions.

Rules:

* **Deduplication.** One open pitch per seller and creator: a second one is a
  :class:`ConflictError` naming who holds it. The partial unique index
  ``uq_creator_pitches_open`` enforces it when two agents add the same pitch at once.
* **Weekly outreach quota.** Reaching a creator (moving a pitch past ``shortlisted``) uses one
  outreach of the seller's week (Sunday to Saturday, Jakarta), except for creators already
  *connected* to the seller (they replied to an earlier pitch). A pitch counts once.
  :data:`DEFAULT_WEEKLY_QUOTA` unless :func:`set_quota` gave the seller its own.
* **Bulk actions** (advance, assign, decline) check every row first and change nothing when
  any row is refused: :class:`BulkError` lists each refused row with its reason.

Services never commit; every change is audited.

Example::

    pitch = add_pitch(session, seller_id="S1", creator_id="C7", owner="mira", actor="user:mira")
    advance(session, pitch.id, "contacted", "user:mira", next_action_on=today + 2days)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.creators import pipeline
from pasar.creators.collaboration_models import OutreachQuota, Pitch
from pasar.creators.days import today, week_of
from pasar.creators.people import Visible, may_see, not_found, subject_id, worker
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

DEFAULT_WEEKLY_QUOTA = 100
MAX_WEEKLY_QUOTA = 100_000
BULK_ACTIONS = ("advance", "assign", "decline")
MAX_BULK = 500


@dataclass(frozen=True)
class Quota:
    """A seller's outreach in one week: the limit, how much is used, what is left."""

    seller_id: str
    week: dt.date  # the Sunday it starts
    limit: int
    used: int
    configured: bool  # the seller has its own limit (else the default)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def week_end(self) -> dt.date:
        return self.week + dt.timedelta(days=6)


class BulkError(ValidationError):
    """A bulk action refused: nothing was changed; ``rows`` maps each refused pitch id to why."""

    def __init__(self, action: str, rows: dict[int, str], total: int) -> None:
        listed = "; ".join(f"#{pid}: {why}" for pid, why in rows.items())
        super().__init__(
            f"{len(rows)} of {total} pitches cannot be {_PAST[action]}, so none was: {listed}",
            field="pitches",
        )
        self.rows = rows


_PAST = {"advance": "advanced", "assign": "assigned", "decline": "declined"}


def add_pitch(
    session: Session,
    *,
    seller_id: str,
    creator_id: str,
    owner: str,
    actor: str,
    product_id: str | None = None,
    campaign: str | None = None,
    stage: str = "shortlisted",
    channel: str | None = None,
    notes: str | None = None,
    next_action: str | None = None,
    next_action_on: dt.date | None = None,
    visible: Visible = None,
) -> Pitch:
    """A new open pitch of ``creator_id`` for ``seller_id`` owned by ``owner``; a
    :class:`ConflictError` when the creator is already pitched for the seller."""
    seller_id = subject_id(seller_id, "seller_id")
    creator_id = subject_id(creator_id, "creator_id")
    if not may_see(visible, creator_id):
        raise not_found("creator", creator_id)
    if stage not in pipeline.STAGES:
        raise ValidationError(
            f"a new pitch starts at one of {', '.join(pipeline.STAGES)}, not {stage!r}",
            field="stage",
        )
    worker(session, owner, "owner", creator_id)
    held = _open_pitch(session, seller_id, creator_id)
    if held is not None:
        raise _duplicate(held)
    moment = now()
    pitch = Pitch(
        seller_id=seller_id,
        creator_id=creator_id,
        product_id=subject_id(product_id, "product_id") if product_id else None,
        campaign=written(campaign, "campaign", limit=200) if campaign else None,
        stage="shortlisted",
        owner=owner,
        channel=_channel(channel),
        notes=written(notes, "notes") if notes else None,
        next_action=written(next_action, "next_action", limit=300) if next_action else None,
        next_action_on=next_action_on,
        created_by=actor,
        created_at=moment,
        stage_changed_at=moment,
    )
    if stage != "shortlisted":
        counted: dict[str, int] = {}
        error = _check_move(session, pitch, stage, None, counted)
        if error:
            raise ValidationError(error, field="stage")
        _move(pitch, stage, None, moment, session)
    session.add(pitch)
    try:
        session.flush()
    except IntegrityError as exc:  # another agent's pitch was committed since the check
        raise ConflictError(
            f"creator {creator_id} was pitched for seller {seller_id} by someone else at the "
            "same moment; two agents never pitch the same creator for the same seller",
            field="creator_id",
        ) from exc
    audit.record(
        session,
        actor=actor,
        action="pitch.added",
        entity_type="pitch",
        entity_id=str(pitch.id),
        after=snapshot(pitch),
        context={"seller_id": seller_id, "creator_id": creator_id, "owner": owner},
    )
    return pitch


def get_pitch(session: Session, pitch_id: int, visible: Visible = None) -> Pitch:
    """Pitch ``pitch_id`` if the caller may see it (else :class:`NotFoundError`)."""
    pitch = session.get(Pitch, pitch_id)
    if pitch is None or not may_see(visible, pitch.creator_id):
        raise not_found("pitch", pitch_id)
    return pitch


def advance(
    session: Session,
    pitch_id: int,
    to: str | None,
    actor: str,
    *,
    version: int | None = None,
    reason: str | None = None,
    next_action: str | None = None,
    next_action_on: dt.date | None = None,
    visible: Visible = None,
) -> Pitch:
    """Move a pitch to ``to`` (its next stage when None), ``declined`` or ``ghosted``."""
    pitch = get_pitch(session, pitch_id, visible)
    if version is not None:
        expect_version(pitch, version)
    target = to or pipeline.next_stage(pitch.stage)
    if target is None:
        raise ValidationError(f"pitch {pitch_id} at {pitch.stage} has no next stage", field="stage")
    error = _check_move(session, pitch, target, reason, {})
    if error:
        raise ValidationError(error, field="stage")
    _apply(session, pitch, target, reason, actor, next_action, next_action_on)
    return pitch


def update_pitch(
    session: Session,
    pitch_id: int,
    actor: str,
    *,
    version: int | None = None,
    notes: str | None = None,
    next_action: str | None = None,
    next_action_on: dt.date | None = None,
    channel: str | None = None,
    visible: Visible = None,
) -> Pitch:
    """Change a pitch's notes, next action (and its date) or channel (what is given)."""
    pitch = get_pitch(session, pitch_id, visible)
    if version is not None:
        expect_version(pitch, version)
    before = snapshot(pitch)
    if notes is not None:
        pitch.notes = written(notes, "notes")
    if next_action is not None:
        pitch.next_action = written(next_action, "next_action", limit=300)
    if next_action_on is not None:
        pitch.next_action_on = next_action_on
    if channel is not None:
        pitch.channel = _channel(channel)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pitch.updated",
        entity_type="pitch",
        entity_id=str(pitch.id),
        before=before,
        after=snapshot(pitch),
    )
    return pitch


def reassign(
    session: Session,
    pitch_id: int,
    owner: str,
    actor: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> Pitch:
    """Give a pitch to another owner (an agent must have the creator assigned)."""
    return bulk(session, "assign", [(pitch_id, version)], actor, owner=owner, visible=visible)[0]


def bulk(
    session: Session,
    action: str,
    rows: Sequence[tuple[int, int | None]],
    actor: str,
    *,
    to: str | None = None,
    owner: str | None = None,
    reason: str | None = None,
    visible: Visible = None,
) -> list[Pitch]:
    """Advance (to ``to``, else each to its next stage), assign (to ``owner``) or decline
    (with ``reason``) the pitches ``rows`` — (id, version seen or None) — all or none."""
    if action not in BULK_ACTIONS:
        raise ValidationError(
            f"unknown bulk action {action!r}; use {', '.join(BULK_ACTIONS)}", field="action"
        )
    if not rows:
        raise ValidationError("choose at least one pitch", field="pitches")
    if len(rows) > MAX_BULK:
        raise ValidationError(f"at most {MAX_BULK} pitches at once", field="pitches")
    if action == "assign" and not owner:
        raise ValidationError("assign to whom? give the new owner", field="owner")
    if action == "decline":
        reason = written(reason or "", "reason")
    errors: dict[int, str] = {}
    planned: list[tuple[Pitch, str]] = []
    counted: dict[str, int] = {}
    seen: set[int] = set()
    for pitch_id, version in rows:
        if pitch_id in seen:
            errors[pitch_id] = "listed twice"
            continue
        seen.add(pitch_id)
        pitch = session.get(Pitch, pitch_id)
        if pitch is None or not may_see(visible, pitch.creator_id):
            errors[pitch_id] = "no such pitch"
            continue
        if version is not None and pitch.version != version:
            errors[pitch_id] = (
                f"changed by someone else (you saw version {version}, it is {pitch.version})"
            )
            continue
        if action == "assign":
            assert owner is not None
            if not pipeline.is_open(pitch.stage):
                errors[pitch_id] = f"it is {pitch.stage}"
                continue
            try:
                worker(session, owner, "owner", pitch.creator_id)
            except ValidationError as exc:
                errors[pitch_id] = exc.message.removeprefix("owner: ")
                continue
            planned.append((pitch, owner))
            continue
        target = "declined" if action == "decline" else to or pipeline.next_stage(pitch.stage)
        if target is None:
            errors[pitch_id] = f"at {pitch.stage} there is no next stage"
            continue
        error = _check_move(session, pitch, target, reason, counted)
        if error:
            errors[pitch_id] = error
            continue
        planned.append((pitch, target))
    if errors:
        raise BulkError(action, errors, len(rows))
    for pitch, value in planned:
        if action == "assign":
            _assign(session, pitch, value, actor)
        else:
            _apply(session, pitch, value, reason, actor, None, None)
    return [pitch for pitch, _ in planned]


def quota(session: Session, seller_id: str, day: dt.date | None = None) -> Quota:
    """The seller's outreach quota in the week of ``day`` (today by default)."""
    week = week_of(day or today())
    row = session.get(OutreachQuota, seller_id)
    used = session.scalar(
        select(func.count())
        .select_from(Pitch)
        .where(Pitch.seller_id == seller_id, Pitch.quota_week == week)
    )
    limit = row.weekly_limit if row else DEFAULT_WEEKLY_QUOTA
    return Quota(seller_id, week, limit, int(used or 0), row is not None)


def set_quota(
    session: Session, seller_id: str, weekly_limit: int, actor: str, version: int | None = None
) -> OutreachQuota:
    """Give a seller its own weekly outreach quota."""
    seller_id = subject_id(seller_id, "seller_id")
    if not 0 <= weekly_limit <= MAX_WEEKLY_QUOTA:
        raise ValidationError(
            f"weekly_limit: between 0 and {MAX_WEEKLY_QUOTA:,}, not {weekly_limit}",
            field="weekly_limit",
        )
    row = session.get(OutreachQuota, seller_id, with_for_update=True)
    before = snapshot(row) if row else None
    if row is None:
        row = OutreachQuota(seller_id=seller_id, weekly_limit=weekly_limit, updated_by=actor)
        session.add(row)
    else:
        if version is not None:
            expect_version(row, version)
        row.weekly_limit, row.updated_by, row.updated_at = weekly_limit, actor, now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pitch.quota_set",
        entity_type="seller",
        entity_id=seller_id,
        before=before,
        after=snapshot(row),
    )
    return row


def pitch_query(
    visible: Visible = None,
    *,
    seller_id: str | None = None,
    creator_id: str | None = None,
    stage: str | None = None,
    owner: str | None = None,
    overdue_on: dt.date | None = None,
    open_only: bool = False,
) -> Select[Pitch]:
    """Pitches the caller may see, filtered; ``overdue_on``: open pitches whose next action
    was due before that day."""
    query = select(Pitch)
    if visible is not None:
        query = query.where(Pitch.creator_id.in_(sorted(visible)))
    for column, value in (
        (Pitch.seller_id, seller_id),
        (Pitch.creator_id, creator_id),
        (Pitch.stage, stage),
        (Pitch.owner, owner),
    ):
        if value:
            query = query.where(column == value)
    if open_only or overdue_on is not None:
        query = query.where(Pitch.stage.in_(pipeline.STAGES))
    if overdue_on is not None:
        query = query.where(Pitch.next_action_on < overdue_on)
    return query


def overdue(
    session: Session, day: dt.date | None = None, visible: Visible = None, owner: str | None = None
) -> dict[str, list[Pitch]]:
    """Open pitches whose next action was due before ``day``, by owner (most overdue first)."""
    query = pitch_query(visible, owner=owner, overdue_on=day or today()).order_by(
        Pitch.owner, Pitch.next_action_on, Pitch.id
    )
    found: dict[str, list[Pitch]] = {}
    for pitch in session.scalars(query):
        found.setdefault(pitch.owner, []).append(pitch)
    return found


def funnel(
    session: Session, visible: Visible = None, seller_id: str | None = None
) -> dict[str, int]:
    """How many pitches are at each stage (closed ones included)."""
    query = select(Pitch.stage, func.count()).group_by(Pitch.stage)
    if visible is not None:
        query = query.where(Pitch.creator_id.in_(sorted(visible)))
    if seller_id:
        query = query.where(Pitch.seller_id == seller_id)
    counts = {stage: int(n) for stage, n in session.execute(query).all()}
    return {stage: counts.get(stage, 0) for stage in pipeline.ALL_STAGES}


# --- internals ------------------------------------------------------------------------------


def _open_pitch(session: Session, seller_id: str, creator_id: str) -> Pitch | None:
    return session.scalar(
        select(Pitch).where(
            Pitch.seller_id == seller_id,
            Pitch.creator_id == creator_id,
            Pitch.stage.in_(pipeline.STAGES),
        )
    )


def _duplicate(held: Pitch) -> ConflictError:
    return ConflictError(
        f"creator {held.creator_id} is already pitched for seller {held.seller_id} by "
        f"{held.owner} (pitch #{held.id}, {held.stage}); two agents never pitch the same "
        "creator for the same seller",
        field="creator_id",
    )


def _channel(channel: str | None) -> str | None:
    if channel is None or channel == "":
        return None
    if channel not in pipeline.CHANNELS:
        raise ValidationError(
            f"unknown channel {channel!r}; use {', '.join(pipeline.CHANNELS)}", field="channel"
        )
    return channel


def _connected(session: Session, pitch: Pitch) -> bool:
    """Whether the creator already replied to an earlier pitch of this seller."""
    query = select(func.count()).where(
        Pitch.seller_id == pitch.seller_id,
        Pitch.creator_id == pitch.creator_id,
        Pitch.replied_at.is_not(None),
    )
    if pitch.id is not None:
        query = query.where(Pitch.id != pitch.id)
    return bool(session.scalar(query))


def _check_move(
    session: Session, pitch: Pitch, to: str, reason: str | None, counted: dict[str, int]
) -> str | None:
    """Why ``pitch`` cannot move to ``to`` (None when it can). ``counted`` holds the outreach
    already planned per seller in the same request, so a bulk advance respects the quota."""
    try:
        pipeline.check_move(pitch.stage, to)
    except ValidationError as exc:
        return exc.message
    if to == "declined" and not (reason or "").strip():
        return "say why it is declined"
    if _uses_quota(session, pitch, to):
        status = quota(session, pitch.seller_id)
        planned = counted.get(pitch.seller_id, 0)
        if status.used + planned >= status.limit:
            return (
                f"seller {pitch.seller_id} has used its weekly outreach quota "
                f"({status.used + planned:,} of {status.limit:,}, week {status.week} to "
                f"{status.week_end}); it refreshes on Sunday"
            )
        counted[pitch.seller_id] = planned + 1
    return None


def _uses_quota(session: Session, pitch: Pitch, to: str) -> bool:
    return (
        pitch.stage == "shortlisted"
        and to in pipeline.CONTACTED
        and pitch.quota_week is None
        and not _connected(session, pitch)
    )


def _move(pitch: Pitch, to: str, reason: str | None, moment: dt.datetime, session: Session) -> None:
    if _uses_quota(session, pitch, to):
        pitch.quota_week = week_of(today())
    if to in pipeline.CLOSED:
        pitch.closed_at = moment
        pitch.decline_reason = written(reason, "reason") if reason else None
        pitch.next_action, pitch.next_action_on = None, None
    else:
        # reaching a stage implies the ones before it (a reply implies a contact)
        for stage in pipeline.STAGES[1 : pipeline.STAGES.index(to) + 1]:
            column = pipeline.STAMPS[stage]
            if getattr(pitch, column) is None:
                setattr(pitch, column, moment)
    pitch.stage = to
    pitch.stage_changed_at = moment


def _apply(
    session: Session,
    pitch: Pitch,
    to: str,
    reason: str | None,
    actor: str,
    next_action: str | None,
    next_action_on: dt.date | None,
) -> None:
    before = pitch.stage
    _move(pitch, to, reason, now(), session)
    if to not in pipeline.CLOSED:
        if next_action:
            pitch.next_action = written(next_action, "next_action", limit=300)
        if next_action_on:
            pitch.next_action_on = next_action_on
    session.flush()
    context: dict[str, Any] = {"from": before, "to": to}
    if pitch.quota_week is not None:
        context["quota_week"] = pitch.quota_week
    audit.record(
        session,
        actor=actor,
        action="pitch.declined" if to in pipeline.CLOSED else "pitch.advanced",
        entity_type="pitch",
        entity_id=str(pitch.id),
        reason=reason,
        context=context,
    )


def _assign(session: Session, pitch: Pitch, owner: str, actor: str) -> None:
    before = pitch.owner
    pitch.owner = owner
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="pitch.assigned",
        entity_type="pitch",
        entity_id=str(pitch.id),
        context={"from": before, "to": owner},
    )
