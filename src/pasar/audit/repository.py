"""Every query on the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pasar.audit.models import AuditEvent


class AuditRepository:
    """Reads and appends audit events within the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: Session) -> AuditRepository:
        return cls(session)

    def add(self, event: AuditEvent) -> AuditEvent:
        self.session.add(event)
        self.session.flush()
        return event

    def _filtered(
        self,
        *,
        entity_type: str | None,
        entity_id: str | None,
        actor: str | None,
        action: str | None,
        since: datetime | None,
        until: datetime | None,
    ) -> Select[AuditEvent]:
        statement = select(AuditEvent)
        if entity_type is not None:
            statement = statement.where(AuditEvent.entity_type == entity_type)
        if entity_id is not None:
            statement = statement.where(AuditEvent.entity_id == entity_id)
        if actor is not None:
            statement = statement.where(AuditEvent.actor == actor)
        if action is not None:
            statement = statement.where(AuditEvent.action == action)
        if since is not None:
            statement = statement.where(AuditEvent.occurred_at >= since)
        if until is not None:
            statement = statement.where(AuditEvent.occurred_at < until)
        return statement

    def search(
        self,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
    ) -> Sequence[AuditEvent]:
        statement = self._filtered(
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
        order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
        return self.session.scalars(statement.order_by(order).limit(limit).offset(offset)).all()

    def count(
        self,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        action: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        statement = self._filtered(
            entity_type=entity_type,
            entity_id=entity_id,
            actor=actor,
            action=action,
            since=since,
            until=until,
        )
        return self.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
