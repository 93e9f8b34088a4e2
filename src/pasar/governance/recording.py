"""Adding a governance row together with its audit event, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot

Row = TypeVar("Row")


def record_new(
    session: Session,
    row: Row,
    entity_type: str,
    *,
    actor: str,
    action: str,
    reason: str | None = None,
    context: Mapping[str, Any] | None = None,
) -> Row:
    """Add ``row`` (flushed, so it has its id) and the audit event of its creation.

    Example: ``record_new(session, appeal, "appeal", actor="seller:S1",
    action="appeal.submitted", context={"violation": 41})``
    """
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=str(row.id),  # type: ignore[attr-defined]
        reason=reason,
        after=snapshot(row),
        context=context,
    )
    return row
