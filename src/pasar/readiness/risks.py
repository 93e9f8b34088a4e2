"""The RAID log: risks, assumptions, issues and dependencies, each scored probability ×
impact (1–5 each), with an owner, a mitigation due by a date, and linked tasks; a 5 × 5 heat
map of what is still open, and the mitigations that are overdue.

Example::

    risk = add_risk(session, program.id, "Chat vendor SLA not signed", probability=3,
                    impact=5, owner="rudi", mitigation="escalate to procurement",
                    due_on=dt.date(2026, 11, 20), task_ids=[contract.id], actor="user:rudi")
    heat_map(risks_of(session, program.id))[5][3]   # open risks of impact 5, probability 3
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.recording import record_new
from pasar.kit.errors import ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version
from pasar.readiness import repository as repo
from pasar.readiness.models import RAID_KINDS, RISK_STATUSES, Program, Risk

OPEN = ("open", "mitigating")
LEVELS = range(1, 6)


def _level(value: int, name: str) -> int:
    if value not in LEVELS:
        raise ValidationError(f"{name} must be 1 to 5, not {value}", field=name)
    return value


def _task_ids(session: Session, program_id: int, task_ids: Sequence[int]) -> list[int]:
    known = {t.id for t in repo.tasks_of(session, program_id)}
    unknown = sorted(set(task_ids) - known)
    if unknown:
        raise ValidationError(
            f"task {unknown[0]} is not a task of program {program_id}", field="task_ids"
        )
    return sorted(set(task_ids))


def add_risk(
    session: Session,
    program_id: int,
    title: str,
    *,
    probability: int,
    impact: int,
    owner: str,
    kind: str = "risk",
    description: str = "",
    mitigation: str = "",
    due_on: dt.date | None = None,
    task_ids: Sequence[int] = (),
    actor: str,
) -> Risk:
    """A new open entry of the program's RAID log."""
    program = repo.get(session, Program, program_id)
    if kind not in RAID_KINDS:
        raise ValidationError(f"kind {kind!r}: use {', '.join(RAID_KINDS)}", field="kind")
    risk = Risk(
        program_id=program.id,
        kind=kind,
        title=written(title, "title", limit=300),
        description=_optional(description, "description"),
        probability=_level(probability, "probability"),
        impact=_level(impact, "impact"),
        owner=written(owner, "owner", limit=200),
        mitigation=_optional(mitigation, "mitigation"),
        due_on=due_on,
        status="open",
        task_ids=_task_ids(session, program.id, task_ids),
        created_by=actor,
    )
    return record_new(
        session,
        risk,
        "readiness_risk",
        actor=actor,
        action="readiness.risk.added",
        context={"program": program.id, "score": risk.score},
    )


def _optional(text: str, field: str) -> str:
    return written(text, field, limit=10_000) if text.strip() else ""


def update_risk(
    session: Session,
    risk_id: int,
    *,
    actor: str,
    seen_version: int | None = None,
    probability: int | None = None,
    impact: int | None = None,
    owner: str | None = None,
    mitigation: str | None = None,
    due_on: dt.date | None = None,
    status: str | None = None,
    task_ids: Sequence[int] | None = None,
    reason: str | None = None,
) -> Risk:
    """Re-score, re-assign, close … a RAID entry."""
    risk = repo.get(session, Risk, risk_id, lock=True)
    if seen_version is not None:
        expect_version(risk, seen_version)
    before = snapshot(risk)
    if probability is not None:
        risk.probability = _level(probability, "probability")
    if impact is not None:
        risk.impact = _level(impact, "impact")
    if owner is not None:
        risk.owner = written(owner, "owner", limit=200)
    if mitigation is not None:
        risk.mitigation = _optional(mitigation, "mitigation")
    if due_on is not None:
        risk.due_on = due_on
    if status is not None:
        if status not in RISK_STATUSES:
            raise ValidationError(
                f"status {status!r}: use {', '.join(RISK_STATUSES)}", field="status"
            )
        risk.status = status
    if task_ids is not None:
        risk.task_ids = _task_ids(session, risk.program_id, task_ids)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.risk.updated",
        entity_type="readiness_risk",
        entity_id=str(risk.id),
        reason=reason and written(reason, "reason"),
        before=before,
        after=snapshot(risk),
    )
    return risk


def is_open(risk: Risk) -> bool:
    return risk.status in OPEN


def overdue(risks: Sequence[Risk], today: dt.date) -> list[Risk]:
    """Open entries whose mitigation was due before ``today``, most overdue first."""
    late = [r for r in risks if is_open(r) and r.due_on is not None and r.due_on < today]
    return sorted(late, key=lambda r: (r.due_on, -r.score, r.id))


def top(risks: Sequence[Risk], n: int = 5) -> list[Risk]:
    """The ``n`` open entries with the highest score (then the earliest due)."""
    ranked = sorted(
        (r for r in risks if is_open(r)),
        key=lambda r: (-r.score, r.due_on or dt.date.max, r.id),
    )
    return ranked[:n]


@dataclass(frozen=True)
class HeatCell:
    """One cell of the heat map: the open entries of one impact and probability."""

    impact: int
    probability: int
    risks: list[Risk]

    @property
    def score(self) -> int:
        return self.impact * self.probability

    @property
    def band(self) -> str:
        """low (1–4), medium (5–9), high (10–16) or critical (20–25)."""
        if self.score >= 20:
            return "critical"
        if self.score >= 10:
            return "high"
        return "medium" if self.score >= 5 else "low"


def heat_map(risks: Sequence[Risk]) -> list[list[HeatCell]]:
    """Rows of impact 5 down to 1, columns of probability 1 to 5, each with its open
    entries."""
    return [
        [
            HeatCell(
                impact,
                probability,
                [
                    r
                    for r in risks
                    if is_open(r) and (r.impact, r.probability) == (impact, probability)
                ],
            )
            for probability in LEVELS
        ]
        for impact in reversed(LEVELS)
    ]
