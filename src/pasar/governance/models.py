"""ORM models of governance: the points ledger (append-only), enforcement actions and
warnings, and the log of pipeline days.

Every row a pipeline day writes carries a ``dedupe_key`` that is unique: running a day again
writes nothing new, and a day interrupted half-way is rolled back as a whole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from pasar.kit.db import Base, utcnow
from pasar.kit.errors import ValidationError
from pasar.kit.versioning import Versioned

ENTRY_KINDS = ("issue", "expiry", "adjustment", "reversal", "reset")
ACTION_STATUSES = ("active", "pending_review", "rejected", "ended", "lifted", "reversed")


class PointsEntry(Base):
    """One movement of a seller's points: an issue (positive), its expiry or reversal
    (negative, pointing at the issue), an adjustment or a calendar reset."""

    __tablename__ = "points_entries"
    __table_args__ = (
        Index("ix_points_entries_seller_day", "seller_id", "effective_on"),
        Index("ix_points_entries_expires", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    effective_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    offsets_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"))
    policy_id: Mapped[str | None] = mapped_column(String(100))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    pack: Mapped[str | None] = mapped_column(String(100))
    scheme: Mapped[str] = mapped_column(String(100), nullable=False)
    category: Mapped[str | None] = mapped_column(String(100))
    repeat: Mapped[bool] = mapped_column(default=False, nullable=False)
    values: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    explanation_en: Mapped[str | None] = mapped_column(Text)
    explanation_id: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200), nullable=False, default="pipeline")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)

    def offset(
        self, kind: str, effective_on: dt.date, scheme: str, reason: str, actor: str
    ) -> PointsEntry:
        """The entry that takes this issue's points back (``expiry``, ``reset`` or
        ``reversal``): one per issue, so its dedupe key is the kind and the issue's id."""
        return PointsEntry(
            dedupe_key=f"{kind}:{self.id}",
            seller_id=self.seller_id,
            kind=kind,
            points=-self.points,
            effective_on=effective_on,
            offsets_id=self.id,
            policy_id=self.policy_id,
            policy_version=self.policy_version,
            pack=self.pack,
            scheme=scheme,
            category=self.category,
            reason=reason,
            actor=actor,
        )


class EnforcementAction(Base, Versioned):
    """An action on a seller: from a ladder step (``step_at``), from a policy finding, or a
    warning before a step. ``pending_review`` waits in the human review queue."""

    __tablename__ = "enforcement_actions"
    __table_args__ = (
        Index("ix_enforcement_actions_seller", "seller_id", "starts_on"),
        Index("ix_enforcement_actions_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    source: Mapped[str] = mapped_column(String(20), nullable=False)  # ladder, policy, warning
    step_at: Mapped[int | None] = mapped_column(Integer)
    policy_id: Mapped[str | None] = mapped_column(String(100))
    policy_version: Mapped[int | None] = mapped_column(Integer)
    scheme: Mapped[str] = mapped_column(String(100), nullable=False)
    value: Mapped[float | None] = mapped_column()
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)  # last day in force; None: open
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    balance: Mapped[int | None] = mapped_column(Integer)  # points when it was decided
    explanation_en: Mapped[str | None] = mapped_column(Text)
    explanation_id: Mapped[str | None] = mapped_column(Text)
    review_reason: Mapped[str | None] = mapped_column(Text)  # why a person must decide
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decision_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)

    def in_force(self, day: dt.date) -> bool:
        """Whether the action applies on ``day`` (active, started, not ended)."""
        if self.status not in ("active", "ended") or self.source == "warning":
            return False
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class GovernanceRun(Base):
    """One pipeline day that completed: what it read and what it wrote."""

    __tablename__ = "governance_runs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    day: Mapped[dt.date] = mapped_column(Date, nullable=False)
    scheme: Mapped[str] = mapped_column(String(100), nullable=False)
    pack: Mapped[str] = mapped_column(String(100), nullable=False)
    findings: Mapped[int] = mapped_column(Integer, nullable=False)
    entries: Mapped[int] = mapped_column(Integer, nullable=False)
    actions: Mapped[int] = mapped_column(Integer, nullable=False)
    finished_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


@event.listens_for(Session, "before_flush")
def _refuse_ledger_rewrites(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, PointsEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise ValidationError(
                "the points ledger is append-only: add an adjustment or reversal instead"
            )


class Appeal(Base, Versioned):
    """A seller's appeal against one violation (an ``issue`` entry): ``submitted``, then
    ``accepted`` or ``rejected`` by a reviewer with a reason."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_entry", "entry_id"),
        Index("ix_appeals_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("points_entries.id"), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)  # 1st, 2nd … for the entry
    reason: Mapped[str] = mapped_column(String(50), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    submitted_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column()
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decision_reason: Mapped[str | None] = mapped_column(Text)


class PlanOfAction(Base, Versioned):
    """A seller's plan to lift a severe action: root causes, corrective actions taken,
    preventive measures and evidence. Each submission is a revision; a reviewer accepts
    (the action is lifted), requests changes (the seller sends a new revision) or rejects."""

    __tablename__ = "plans_of_action"
    __table_args__ = (Index("ix_plans_of_action_action", "action_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("enforcement_actions.id"), nullable=False)
    seller_id: Mapped[str] = mapped_column(String(100), nullable=False)
    revision: Mapped[int] = mapped_column(Integer, nullable=False)
    root_causes: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    corrective_actions: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    preventive_measures: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    evidence: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    submitted_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    submitted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    reviewed_by: Mapped[str | None] = mapped_column(String(200))
    reviewed_on: Mapped[dt.date | None] = mapped_column(Date)
    comment: Mapped[str | None] = mapped_column(Text)
