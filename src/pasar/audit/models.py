"""ORM model of the audit log. Rows are never updated or deleted (enforced in ORM and database)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, event
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from pasar.kit.db import Base, utcnow
from pasar.kit.errors import ValidationError


class AuditEvent(Base):
    """One state change: ``actor`` did ``action`` on ``entity_type``/``entity_id``."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id"),
        Index("ix_audit_events_occurred_at", "occurred_at"),
        Index("ix_audit_events_actor", "actor"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(100), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(200), nullable=False)
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return (
            f"AuditEvent({self.id}, {self.actor} {self.action} {self.entity_type}:{self.entity_id})"
        )


@event.listens_for(Session, "before_flush")
def _refuse_audit_rewrites(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise ValidationError("the audit log is append-only: events cannot be changed")
