"""The audit service every domain calls when it changes state.

Example:
    with db.unit_of_work() as session:
        before = snapshot(appeal)
        appeal.status = "accepted"
        audit.record(session, actor="user:rina", action="appeal.decided",
                     entity_type="appeal", entity_id=str(appeal.id), reason="courier proof",
                     before=before, after=snapshot(appeal))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from pasar.audit.models import AuditEvent
from pasar.audit.repository import AuditRepository
from pasar.kit.clock import now
from pasar.kit.errors import ValidationError


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    return value


def snapshot(record: object) -> dict[str, Any]:
    """The column values of an ORM object as a JSON-safe dict (for before/after)."""
    mapper = inspect(type(record))
    return {attr.key: _json_safe(getattr(record, attr.key)) for attr in mapper.column_attrs}


class AuditService:
    """Appends events; there is deliberately no update or delete."""

    def record(
        self,
        session: Session,
        *,
        actor: str,
        action: str,
        entity_type: str,
        entity_id: str,
        reason: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        context: Mapping[str, Any] | None = None,
        flush: bool = True,
    ) -> AuditEvent:
        """Append one event in the caller's unit of work (it commits or rolls back with it)."""
        for name, value in (
            ("actor", actor),
            ("action", action),
            ("entity_type", entity_type),
            ("entity_id", entity_id),
        ):
            if not value or not value.strip():
                raise ValidationError(f"an audit event needs a non-empty {name}", field=name)
        audit_event = AuditEvent(
            occurred_at=now(),
            actor=actor,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            reason=reason,
            before=_json_safe(before) if before is not None else None,
            after=_json_safe(after) if after is not None else None,
            context=_json_safe(context) if context is not None else None,
        )
        return AuditRepository.from_session(session).add(audit_event, flush=flush)

    def history(self, session: Session, entity_type: str, entity_id: str) -> Sequence[AuditEvent]:
        """Every event of one entity, oldest first."""
        return AuditRepository.from_session(session).search(
            entity_type=entity_type, entity_id=entity_id, limit=10_000, newest_first=False
        )

    def search(self, session: Session, **filters: Any) -> Sequence[AuditEvent]:
        """Filter by entity_type, entity_id, actor, action, since, until; newest first."""
        return AuditRepository.from_session(session).search(**filters)


audit = AuditService()
