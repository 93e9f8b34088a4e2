"""Every query on the audit log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from pasar.audit.models import AuditEvent


class AuditFilters(TypedDict, total=False):
    """Filters of an audit search; every one given must match."""

    entity_type: str
    entity_id: str
    actor: str
    action: str
    since: datetime
    until: datetime


class AuditRepository:
    """Reads and appends audit events within the caller's session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    @classmethod
    def from_session(cls, session: Session) -> AuditRepository:
        return cls(session)

    def add(self, event: AuditEvent, flush: bool = True) -> AuditEvent:
        """Append ``event``; ``flush=False`` leaves the INSERT to the session's next flush
        (many events at once: one round trip instead of one each)."""
        self.session.add(event)
        if flush:
            self.session.flush()
        return event

    def filtered(self, filters: AuditFilters) -> Select[AuditEvent]:
        """The query of the events matching every filter given (unordered)."""
        statement = select(AuditEvent)
        for name in ("entity_type", "entity_id", "actor", "action"):
            value = filters.get(name)
            if value is not None:
                statement = statement.where(getattr(AuditEvent, name) == value)
        since, until = filters.get("since"), filters.get("until")
        if since is not None:
            statement = statement.where(AuditEvent.occurred_at >= since)
        if until is not None:
            statement = statement.where(AuditEvent.occurred_at < until)
        return statement

    def search(
        self,
        *,
        limit: int = 100,
        offset: int = 0,
        newest_first: bool = True,
        **filters: Unpack[AuditFilters],
    ) -> Sequence[AuditEvent]:
        """Events matching every given filter, newest first unless asked otherwise."""
        order = AuditEvent.id.desc() if newest_first else AuditEvent.id.asc()
        statement = self.filtered(filters).order_by(order).limit(limit).offset(offset)
        return self.session.scalars(statement).all()
