"""The creator issue desk: problems raised by sellers, creators or agents (a sample that never
arrived, a wrong commission, rejected content …), each owned by a point of contact and timed by
the two SLA clocks of its priority.

* **First response** is due :data:`SLA` ``[priority][0]`` after the issue opens; a staff
  response (or the resolution) stops it.
* **Resolution** is due :data:`SLA` ``[priority][1]`` after it opens — or after it was last
  reopened, which restarts only this clock.
* **Escalation.** :func:`escalate_breaches` raises an unresolved issue to level 1 when its
  first response is late and to level 2 when its resolution is late (once each; reopening
  starts again from level 0). The desk lists escalated issues first.

Clocks run around the clock (24/7) in UTC; they are shown in Jakarta time. No published SLA
exists for creator desks, so :data:`SLA` holds Pasar's defaults: urgent 1 h / 1 day, high 4 h /
2 days, normal 1 day / 5 days, low 2 days / 10 days.

Example::

    issue = open_issue(session, kind="sample_not_received", title="Parcel lost",
                       description="Tracking stopped at the hub", raised_by_kind="creator",
                       actor="user:ayu", creator_id="C7", sample_id=12)
    respond(session, issue.id, "user:mira", "Asked the courier; replacement on Monday")
    resolve(session, issue.id, "user:mira", "Replacement delivered")
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.auth.models import User
from pasar.creators.collaboration_models import (
    CreatorIssue,
    CreatorIssueNote,
    Pitch,
    SampleRequest,
)
from pasar.creators.days import today
from pasar.creators.models import CreatorAssignment
from pasar.creators.people import Visible, may_see, not_found, subject_id, worker
from pasar.kit.clock import now
from pasar.kit.errors import ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

KINDS = {
    "sample_not_received": "Sample not received",
    "defective_sample": "Defective or wrong sample",
    "wrong_commission": "Wrong commission",
    "late_payment": "Commission paid late",
    "content_rejected": "Content rejected",
    "missing_content": "Content not posted",
    "other": "Other",
}
RAISED_BY = ("seller", "creator", "agent", "staff")
PRIORITIES = ("urgent", "high", "normal", "low")
STATUSES = ("open", "responded", "resolved")
# (first response, resolution) per priority
SLA: dict[str, tuple[dt.timedelta, dt.timedelta]] = {
    "urgent": (dt.timedelta(hours=1), dt.timedelta(days=1)),
    "high": (dt.timedelta(hours=4), dt.timedelta(days=2)),
    "normal": (dt.timedelta(days=1), dt.timedelta(days=5)),
    "low": (dt.timedelta(days=2), dt.timedelta(days=10)),
}
# money problems are high by default; the rest normal
DEFAULT_PRIORITY = {"wrong_commission": "high", "late_payment": "high"}


def open_issue(
    session: Session,
    *,
    kind: str,
    title: str,
    description: str,
    raised_by_kind: str,
    actor: str,
    creator_id: str | None = None,
    seller_id: str | None = None,
    sample_id: int | None = None,
    pitch_id: int | None = None,
    priority: str | None = None,
    point_of_contact: str | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """A new issue about a creator, a seller, a sample or a pitch. The point of contact
    defaults to the sample's, the pitch's owner or the creator's agent."""
    if kind not in KINDS:
        raise ValidationError(f"kind: one of {', '.join(KINDS)}", field="kind")
    if raised_by_kind not in RAISED_BY:
        raise ValidationError(f"raised_by_kind: one of {', '.join(RAISED_BY)}", field="raised_by")
    chosen = priority or DEFAULT_PRIORITY.get(kind, "normal")
    if chosen not in PRIORITIES:
        raise ValidationError(f"priority: one of {', '.join(PRIORITIES)}", field="priority")
    sample = session.get(SampleRequest, sample_id) if sample_id is not None else None
    if sample_id is not None and (sample is None or not may_see(visible, sample.creator_id)):
        raise not_found("sample", sample_id)
    pitch = session.get(Pitch, pitch_id) if pitch_id is not None else None
    if pitch_id is not None and (pitch is None or not may_see(visible, pitch.creator_id)):
        raise not_found("pitch", pitch_id)
    about = sample or pitch
    creator = subject_id(creator_id, "creator_id") if creator_id else None
    seller = subject_id(seller_id, "seller_id") if seller_id else None
    if about is not None:
        for field, given, known in (
            ("creator_id", creator, about.creator_id),
            ("seller_id", seller, about.seller_id),
        ):
            if given is not None and given != known:
                raise ValidationError(f"{field}: {given} is not the {field} of it", field=field)
        creator, seller = about.creator_id, about.seller_id
    if creator is None and seller is None:
        raise ValidationError("say which creator or seller it is about", field="creator_id")
    if not may_see(visible, creator):
        raise not_found("creator", creator or "(none)")
    moment = now()
    first, resolution = SLA[chosen]
    issue = CreatorIssue(
        kind=kind,
        title=written(title, "title", limit=200),
        description=written(description, "description"),
        creator_id=creator,
        seller_id=seller,
        sample_id=sample.id if sample else None,
        pitch_id=pitch.id if pitch else None,
        raised_by_kind=raised_by_kind,
        raised_by=actor,
        point_of_contact=_contact(session, point_of_contact, sample, pitch, creator),
        priority=chosen,
        status="open",
        opened_at=moment,
        first_response_due_at=moment + first,
        resolution_due_at=moment + resolution,
        reopened=0,
        escalation_level=0,
    )
    session.add(issue)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="creator_issue.opened",
        entity_type="creator_issue",
        entity_id=str(issue.id),
        after=snapshot(issue),
    )
    return issue


def get_issue(session: Session, issue_id: int, visible: Visible = None) -> CreatorIssue:
    """Issue ``issue_id`` if the caller may see it (confined callers: only their creators')."""
    issue = session.get(CreatorIssue, issue_id)
    if issue is None or not may_see(visible, issue.creator_id):
        raise not_found("issue", issue_id)
    return issue


def respond(
    session: Session,
    issue_id: int,
    actor: str,
    body: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """A staff response to the raiser; the first one stops the first-response clock."""
    issue, before = _edit(session, issue_id, version, visible)
    if issue.status == "resolved":
        raise ValidationError("the issue is resolved; reopen it first", field="status")
    text = written(body, "body")
    if issue.first_response_at is None:
        issue.first_response_at = now()
    issue.status = "responded"
    _note(session, issue, "response", actor, text)
    return _done(session, issue, before, actor, "creator_issue.responded")


def add_note(
    session: Session, issue_id: int, actor: str, body: str, *, visible: Visible = None
) -> CreatorIssueNote:
    """A note on the issue (it stops no clock)."""
    issue = get_issue(session, issue_id, visible)
    note = _note(session, issue, "note", actor, written(body, "body"))
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="creator_issue.noted",
        entity_type="creator_issue",
        entity_id=str(issue.id),
        context={"note_id": note.id},
    )
    return note


def assign(
    session: Session,
    issue_id: int,
    contact: str,
    actor: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """Make ``contact`` the issue's point of contact."""
    issue, before = _edit(session, issue_id, version, visible)
    issue.point_of_contact = worker(session, contact, "point_of_contact", issue.creator_id).username
    return _done(session, issue, before, actor, "creator_issue.assigned")


def set_priority(
    session: Session,
    issue_id: int,
    priority: str,
    actor: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """Change the priority: both clocks are recomputed from when they started."""
    if priority not in PRIORITIES:
        raise ValidationError(f"priority: one of {', '.join(PRIORITIES)}", field="priority")
    issue, before = _edit(session, issue_id, version, visible)
    first, resolution = SLA[priority]
    issue.priority = priority
    issue.first_response_due_at = issue.opened_at + first
    issue.resolution_due_at = (issue.reopened_at or issue.opened_at) + resolution
    return _done(session, issue, before, actor, "creator_issue.reprioritised")


def resolve(
    session: Session,
    issue_id: int,
    actor: str,
    note: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """Resolve with a resolution note (which also counts as the first response if none was
    given)."""
    issue, before = _edit(session, issue_id, version, visible)
    if issue.status == "resolved":
        raise ValidationError("the issue is already resolved", field="status")
    text = written(note, "note")
    moment = now()
    issue.first_response_at = issue.first_response_at or moment
    issue.status, issue.resolved_at, issue.resolved_by = "resolved", moment, actor
    issue.resolution_note = text
    _note(session, issue, "resolution", actor, text)
    return _done(session, issue, before, actor, "creator_issue.resolved", text)


def reopen(
    session: Session,
    issue_id: int,
    actor: str,
    reason: str,
    *,
    version: int | None = None,
    visible: Visible = None,
) -> CreatorIssue:
    """Reopen a resolved issue: the resolution clock starts again, escalation from level 0."""
    issue, before = _edit(session, issue_id, version, visible)
    if issue.status != "resolved":
        raise ValidationError(
            f"only a resolved issue is reopened; it is {issue.status}", field="status"
        )
    text = written(reason, "reason")
    moment = now()
    issue.status, issue.resolved_at, issue.resolved_by = "open", None, None
    issue.reopened += 1
    issue.reopened_at = moment
    issue.resolution_due_at = moment + SLA[issue.priority][1]
    issue.escalation_level, issue.escalated_at = 0, None
    _note(session, issue, "reopen", actor, text)
    return _done(session, issue, before, actor, "creator_issue.reopened", text)


def escalate_breaches(session: Session, actor: str = "system:issue-desk") -> list[CreatorIssue]:
    """Escalate every unresolved issue whose clock ran out beyond its current level."""
    moment = now()
    raised = []
    query = (
        select(CreatorIssue)
        .where(CreatorIssue.status != "resolved", CreatorIssue.escalation_level < 2)
        .with_for_update()
    )
    for issue in session.scalars(query):
        level, clock = _breach_level(issue, moment)
        if level <= issue.escalation_level:
            continue
        before = snapshot(issue)
        issue.escalation_level, issue.escalated_at = level, moment
        _note(
            session,
            issue,
            "escalation",
            actor,
            f"Escalated to level {level}: the {clock} deadline passed "
            f"({_due(issue, clock):%Y-%m-%d %H:%M} UTC).",
        )
        _done(session, issue, before, actor, "creator_issue.escalated", context={"clock": clock})
        raised.append(issue)
    return raised


def clocks(issue: CreatorIssue, moment: dt.datetime | None = None) -> dict[str, dict[str, Any]]:
    """Both SLA clocks: due, when met (None while running), hours left (negative when late),
    breached."""
    moment = moment or now()
    shown = {}
    for name, due, met in (
        ("first_response", issue.first_response_due_at, issue.first_response_at),
        ("resolution", issue.resolution_due_at, issue.resolved_at),
    ):
        until = met or moment
        shown[name] = {
            "due": due,
            "met_at": met,
            "hours_left": None if met else (due - moment).total_seconds() / 3600,
            "breached": until > due,
        }
    return shown


def issue_query(
    visible: Visible = None,
    *,
    status: str | None = None,
    priority: str | None = None,
    contact: str | None = None,
    creator_id: str | None = None,
    escalated: bool = False,
) -> Select[CreatorIssue]:
    """Issues the caller may see, filtered (``status="unresolved"``: open or responded)."""
    query = select(CreatorIssue)
    if visible is not None:
        query = query.where(CreatorIssue.creator_id.in_(sorted(visible)))
    if status == "unresolved":
        query = query.where(CreatorIssue.status != "resolved")
    elif status:
        query = query.where(CreatorIssue.status == status)
    for column, value in (
        (CreatorIssue.priority, priority),
        (CreatorIssue.point_of_contact, contact),
        (CreatorIssue.creator_id, creator_id),
    ):
        if value:
            query = query.where(column == value)
    if escalated:
        query = query.where(CreatorIssue.escalation_level > 0)
    return query


def notes_of(session: Session, issue_id: int) -> list[CreatorIssueNote]:
    return list(
        session.scalars(
            select(CreatorIssueNote)
            .where(CreatorIssueNote.issue_id == issue_id)
            .order_by(CreatorIssueNote.created_at, CreatorIssueNote.id)
        )
    )


# --- internals ------------------------------------------------------------------------------


def _breach_level(issue: CreatorIssue, moment: dt.datetime) -> tuple[int, str]:
    if moment > issue.resolution_due_at:
        return 2, "resolution"
    if issue.first_response_at is None and moment > issue.first_response_due_at:
        return 1, "first response"
    return 0, ""


def _due(issue: CreatorIssue, clock: str) -> dt.datetime:
    return issue.resolution_due_at if clock == "resolution" else issue.first_response_due_at


def _edit(
    session: Session, issue_id: int, version: int | None, visible: Visible
) -> tuple[CreatorIssue, dict[str, Any]]:
    issue = get_issue(session, issue_id, visible)
    if version is not None:
        expect_version(issue, version)
    return issue, snapshot(issue)


def _note(
    session: Session, issue: CreatorIssue, kind: str, author: str, body: str
) -> CreatorIssueNote:
    note = CreatorIssueNote(
        issue_id=issue.id, kind=kind, author=author, body=body, created_at=now()
    )
    session.add(note)
    return note


def _done(
    session: Session,
    issue: CreatorIssue,
    before: dict[str, Any],
    actor: str,
    action: str,
    reason: str | None = None,
    context: dict[str, Any] | None = None,
) -> CreatorIssue:
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type="creator_issue",
        entity_id=str(issue.id),
        reason=reason,
        before=before,
        after=snapshot(issue),
        context=context,
    )
    return issue


def _contact(
    session: Session,
    given: str | None,
    sample: SampleRequest | None,
    pitch: Pitch | None,
    creator_id: str | None,
) -> str | None:
    if given:
        return worker(session, given, "point_of_contact", creator_id).username
    if sample is not None and sample.point_of_contact:
        return sample.point_of_contact
    if pitch is not None:
        return pitch.owner
    if creator_id is None:
        return None
    day = today()
    agent = session.scalar(
        select(User.username)
        .join(CreatorAssignment, CreatorAssignment.agent_id == User.id)
        .where(
            CreatorAssignment.creator_id == creator_id,
            CreatorAssignment.open_on(day),
        )
        .order_by(CreatorAssignment.starts_on.desc())
    )
    return agent
