"""Appeals — a seller contests a violation; a reviewer accepts or rejects it with a reason —
and administrators' adjustments of a balance (:func:`adjust`).

Rules come from the scheme (``appeals:``): at most ``max_per_violation`` appeals per violation,
the first within ``first_within_days`` of the violation, each next one within
``next_within_days`` of the rejection before it, never while one is open, never after an
acceptance; each reason has an evidence checklist that must be complete.

An accepted appeal reverses the violation's points with a compensating ``reversal`` entry
effective on the violation's own date (the ledger then tells the corrected history), and every
later ladder action or warning that the corrected balance no longer reaches is marked
``reversed`` from the decision day. Restrictions do not pause while an appeal is open.

Example::

    appeal = submit(session, scheme, entry_id=41, reason="logistics_provider",
                    evidence={"impacted order ids": "O1, O2", ...}, statement="…",
                    on=dt.date(2026, 10, 20), actor="seller:S000062")
    decide(session, scheme, appeal.id, "accept", reviewer="rina", reason="courier proof",
           on=dt.date(2026, 10, 21))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.evidence import MAX_FILES, StoredFile
from pasar.governance.ledger import balance, balance_as_of, moves_of
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.recording import record_new
from pasar.governance.scheme import AppealRules, Scheme
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.issues import did_you_mean
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

MAX_STATEMENT = 5000


def _rules(scheme: Scheme) -> AppealRules:
    if scheme.appeals is None:
        raise ValidationError(f"scheme {scheme.ref} takes no appeals")
    return scheme.appeals


def submit(
    session: Session,
    scheme: Scheme,
    entry_id: int,
    reason: str,
    evidence: Mapping[str, str],
    statement: str,
    on: dt.date,
    actor: str,
    files: Mapping[str, StoredFile] | None = None,
) -> Appeal:
    """Record an appeal against violation ``entry_id`` (``evidence``: checklist item → what
    was given, e.g. order ids; ``files``: checklist item → a stored evidence file); a
    :class:`ValidationError` naming the rule it breaks otherwise."""
    files = dict(files or {})
    if len(files) > MAX_FILES:
        raise ValidationError(f"at most {MAX_FILES} evidence files", field="evidence")
    rules = _rules(scheme)
    entry = session.get(PointsEntry, entry_id)
    if entry is None or entry.kind != "issue":
        raise NotFoundError(f"no violation {entry_id}")
    if reason not in rules.reasons:
        hint = did_you_mean(reason, rules.reasons)
        raise ValidationError(
            f"unknown appeal reason {reason!r}{hint}; reasons: {', '.join(rules.reasons)}",
            field="reason",
        )
    required = rules.reasons[reason].evidence
    missing = [
        item for item in required if not str(evidence.get(item, "")).strip() and item not in files
    ]
    if missing:
        raise ValidationError(
            f"evidence missing for a {reason} appeal: {', '.join(missing)}", field="evidence"
        )
    statement = written(statement, "statement", limit=MAX_STATEMENT, what="the statement")
    for item, given in evidence.items():
        if str(given).strip():
            written(str(given), "evidence", what=item)
    earlier = list(
        session.scalars(select(Appeal).where(Appeal.entry_id == entry_id).order_by(Appeal.number))
    )
    _check_window(rules, entry, earlier, on)
    appeal = Appeal(
        entry_id=entry_id,
        seller_id=entry.seller_id,
        number=len(earlier) + 1,
        reason=reason,
        statement=statement.strip(),
        evidence=[{"item": k, "given": str(v)} for k, v in evidence.items() if str(v).strip()]
        + [stored.as_evidence(item) for item, stored in files.items()],
        status="submitted",
        submitted_on=on,
        submitted_by=actor,
    )
    record_new(
        session,
        appeal,
        "appeal",
        actor=actor,
        action="appeal.submitted",
        context={"scheme": scheme.ref, "violation": entry_id},
    )
    return appeal


def _check_window(
    rules: AppealRules, entry: PointsEntry, earlier: list[Appeal], on: dt.date
) -> None:
    if on < entry.effective_on:
        raise ValidationError(f"{on} is before the violation of {entry.effective_on}")
    if any(a.status == "submitted" for a in earlier):
        raise ConflictError("an appeal of this violation is already waiting for a decision")
    if any(a.status == "accepted" for a in earlier):
        raise ConflictError("an appeal of this violation was already accepted")
    if len(earlier) >= rules.max_per_violation:
        raise ValidationError(
            f"a violation can be appealed at most {rules.max_per_violation} times; "
            "the last decision is final"
        )
    if not earlier:
        last_day = entry.effective_on + dt.timedelta(days=rules.first_within_days)
        if on > last_day:
            raise ValidationError(
                f"the first appeal was due within {rules.first_within_days} days of the "
                f"violation ({entry.effective_on}), by {last_day}"
            )
        return
    rejected = earlier[-1].decided_on
    assert rejected is not None
    last_day = rejected + dt.timedelta(days=rules.next_within_days)
    if on > last_day:
        raise ValidationError(
            f"the next appeal was due within {rules.next_within_days} days of the rejection "
            f"({rejected}), by {last_day}"
        )


@dataclass(frozen=True)
class Decision:
    """What deciding an appeal did."""

    appeal: Appeal
    reversal: PointsEntry | None
    reversed_actions: list[EnforcementAction]


def decide(
    session: Session,
    scheme: Scheme,
    appeal_id: int,
    decision: str,
    reviewer: str,
    reason: str,
    on: dt.date,
    seen_version: int | None = None,
) -> Decision:
    """Accept or reject appeal ``appeal_id``; a :class:`ConflictError` when someone decided it
    first (or changed it since ``seen_version``)."""
    if decision not in ("accept", "reject"):
        raise ValidationError(f"decision {decision!r}: use accept or reject", field="decision")
    reason = written(reason, "reason", what="a decision's reason")
    appeal = session.get(Appeal, appeal_id, with_for_update=True)
    if appeal is None:
        raise NotFoundError(f"no appeal {appeal_id}")
    if seen_version is not None:
        expect_version(appeal, seen_version)
    if appeal.status != "submitted":
        raise ConflictError(
            f"appeal {appeal_id} was already {appeal.status} by {appeal.decided_by}"
        )
    before = snapshot(appeal)
    appeal.status = "accepted" if decision == "accept" else "rejected"
    appeal.decided_by, appeal.decided_at, appeal.decided_on = reviewer, now(), on
    appeal.decision_reason = reason.strip()
    session.flush()  # the version check happens here: a concurrent decision fails
    audit.record(
        session,
        actor=f"user:{reviewer}",
        action=f"appeal.{appeal.status}",
        entity_type="appeal",
        entity_id=str(appeal.id),
        reason=reason,
        before=before,
        after=snapshot(appeal),
        context={"scheme": scheme.ref},
    )
    if appeal.status == "rejected":
        return Decision(appeal, None, [])
    entry = session.get(PointsEntry, appeal.entry_id)
    assert entry is not None
    reversal = _reverse(session, scheme, entry, appeal, reviewer)
    return Decision(appeal, reversal, _recompute(session, scheme, entry, on, reviewer))


def _reverse(
    session: Session, scheme: Scheme, entry: PointsEntry, appeal: Appeal, reviewer: str
) -> PointsEntry:
    offset = session.scalar(select(PointsEntry).where(PointsEntry.offsets_id == entry.id))
    if offset is not None:
        raise ConflictError(
            f"violation {entry.id} was already offset by {offset.kind} on {offset.effective_on}"
        )
    reason = f"appeal {appeal.id} accepted: {appeal.decision_reason}"
    reversal = entry.offset("reversal", entry.effective_on, scheme.ref, reason, f"user:{reviewer}")
    record_new(
        session,
        reversal,
        "points_entry",
        actor=f"user:{reviewer}",
        action="points.reversed",
        reason=reversal.reason,
        context={"scheme": scheme.ref, "appeal": appeal.id},
    )
    return reversal


def _recompute(
    session: Session, scheme: Scheme, entry: PointsEntry, on: dt.date, reviewer: str
) -> list[EnforcementAction]:
    """Ladder actions and warnings from the violation's day on that the corrected balance
    no longer reaches: reversed from the decision day (their past stays on record)."""
    later = session.scalars(
        select(EnforcementAction).where(
            EnforcementAction.seller_id == entry.seller_id,
            EnforcementAction.source.in_(("ladder", "warning")),
            EnforcementAction.starts_on >= entry.effective_on,
            EnforcementAction.status.in_(("active", "pending_review", "ended")),
        )
    )
    reversed_actions = []
    for action in later:
        assert action.step_at is not None
        needed = action.step_at - (scheme.warning_margin if action.source == "warning" else 0)
        if balance(session, entry.seller_id, action.starts_on) >= needed:
            continue
        before = snapshot(action)
        last_day = on - dt.timedelta(days=1)
        if action.ends_on is None or action.ends_on > last_day:
            action.ends_on = max(last_day, action.starts_on - dt.timedelta(days=1))
        action.status = "reversed"
        audit.record(
            session,
            actor=f"user:{reviewer}",
            action="action.reversed",
            entity_type="enforcement_action",
            entity_id=str(action.id),
            reason=f"violation {entry.id} reversed on appeal",
            before=before,
            after=snapshot(action),
            context={"scheme": scheme.ref},
        )
        reversed_actions.append(action)
    _replay_crossings(session, scheme, entry, on, reviewer)
    return reversed_actions


def _replay_crossings(
    session: Session, scheme: Scheme, entry: PointsEntry, on: dt.date, reviewer: str
) -> None:
    """Steps the corrected balance crossed on another day than recorded (e.g. 12 reached a
    week later once 2 points are gone): their actions start on the decision day for what is
    left of their period."""
    moves = moves_of(session, entry.seller_id)
    day = entry.effective_on
    while day < on:
        old, new = balance_as_of(moves, day - dt.timedelta(days=1)), balance_as_of(moves, day)
        for step in scheme.ladder:
            if not old < step.at <= new:
                continue
            ends = day + dt.timedelta(days=step.days - 1) if step.days else None
            if ends is not None and ends < on:
                continue  # that period is over: nothing left to apply
            key = f"ladder:{scheme.scheme}:{entry.seller_id}:{step.at}:{step.action}:{day}"
            if session.scalar(
                select(EnforcementAction.id).where(EnforcementAction.dedupe_key == key)
            ):
                continue
            action = EnforcementAction(
                dedupe_key=key,
                seller_id=entry.seller_id,
                action=step.action,
                source="ladder",
                step_at=step.at,
                scheme=scheme.ref,
                starts_on=on,
                ends_on=ends,
                status="pending_review" if step.human_review else "active",
                balance=new,
                review_reason=f"{step.action} is never applied automatically"
                if step.human_review
                else None,
                explanation_en=(
                    f"{scheme.standing(new)} reached {scheme.threshold(step)} on {day} once "
                    f"violation {entry.id} was reversed: {step.describe('en')}."
                ),
                explanation_id=(
                    f"{scheme.standing(new, 'id')} mencapai {scheme.threshold(step, 'id')} pada "
                    f"{day} setelah pelanggaran {entry.id} dibatalkan: {step.describe('id')}."
                ),
            )
            record_new(
                session,
                action,
                "enforcement_action",
                actor=f"user:{reviewer}",
                action="action.recomputed",
                reason=f"violation {entry.id} reversed on appeal",
                context={"scheme": scheme.ref},
            )
        day += dt.timedelta(days=1)


def attach(session: Session, appeal_id: int, item: str, file: StoredFile, actor: str) -> Appeal:
    """Add an evidence file to an appeal still waiting for its decision (at most
    :data:`MAX_FILES` files in all); audited with the appeal's evidence before and after."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFoundError(f"no appeal {appeal_id}")
    if appeal.status != "submitted":
        raise ConflictError(f"appeal {appeal_id} is {appeal.status}: its evidence is closed")
    if not item.strip() or len(item) > 200:
        raise ValidationError("name the evidence item (1 to 200 characters)", field="item")
    files = [e for e in appeal.evidence if e.get("stored")]
    if len(files) >= MAX_FILES:
        raise ValidationError(f"at most {MAX_FILES} evidence files", field="evidence")
    before = snapshot(appeal)
    appeal.evidence = [*appeal.evidence, file.as_evidence(item.strip())]
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="appeal.evidence_added",
        entity_type="appeal",
        entity_id=str(appeal.id),
        before=before,
        after=snapshot(appeal),
    )
    return appeal


def decision_days(appeals: list[Appeal]) -> list[int]:
    """Days from submission to decision of the decided ``appeals`` (service level)."""
    return [(a.decided_on - a.submitted_on).days for a in appeals if a.decided_on is not None]


def adjust(
    session: Session,
    scheme: Scheme,
    seller_id: str,
    points: int,
    reason: str,
    on: dt.date,
    actor: str,
) -> PointsEntry:
    """An administrator's correction of a seller's balance: a new ``adjustment`` entry (never
    an edit), with its reason in the ledger and the audit log."""
    if points == 0:
        raise ValidationError("an adjustment of 0 points changes nothing", field="points")
    reason = written(reason, "reason", what="an adjustment's reason")
    if len(reason) < 10:
        raise ValidationError("say why in at least 10 characters", field="reason")
    if balance(session, seller_id, on) + points < 0:
        raise ValidationError(
            f"{seller_id} has {balance(session, seller_id, on)} points on {on}: an adjustment "
            f"of {points} would make the balance negative",
            field="points",
        )
    count = session.scalar(
        select(func.count()).where(
            PointsEntry.seller_id == seller_id, PointsEntry.kind == "adjustment"
        )
    )
    entry = PointsEntry(
        dedupe_key=f"adjustment:{seller_id}:{on.isoformat()}:{(count or 0) + 1}",
        seller_id=seller_id,
        kind="adjustment",
        points=points,
        effective_on=on,
        scheme=scheme.ref,
        reason=reason.strip(),
        actor=actor,
    )
    record_new(
        session,
        entry,
        "points_entry",
        actor=actor,
        action="points.adjusted",
        reason=reason,
        context={"scheme": scheme.ref},
    )
    return entry
