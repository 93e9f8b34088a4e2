"""The audit log over the API: who changed what, when and why, newest first."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.pages import NO_NUL, Page, PageRequest, errors, page_request, paginate
from pasar.audit.models import AuditEvent
from pasar.audit.repository import AuditFilters, AuditRepository

router = APIRouter(tags=["audit"], responses=errors(401, 403, 422))


class AuditEventOut(BaseModel):
    id: int
    occurred_at: dt.datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    context: dict[str, Any] | None


@router.get("/audit", response_model=Page[AuditEventOut])
def list_events(
    actor: str | None = Query(None, pattern=NO_NUL, max_length=200),
    action: str | None = Query(
        None, pattern=NO_NUL, max_length=100, description="e.g. appeal.decided"
    ),
    entity_type: str | None = Query(None, pattern=NO_NUL, max_length=100),
    entity_id: str | None = Query(None, pattern=NO_NUL, max_length=200),
    since: dt.datetime | None = Query(None, description="From this moment (inclusive)."),
    until: dt.datetime | None = Query(None, description="Until this moment (exclusive)."),
    page: PageRequest = Depends(page_request),
    _caller: Principal = Depends(needs("audit:read")),
    unit: Session = Depends(session, scope="function"),
) -> Page[AuditEventOut]:
    """Audit events matching every filter given, newest first."""
    filters: AuditFilters = {}
    for name, value in (
        ("actor", actor),
        ("action", action),
        ("entity_type", entity_type),
        ("entity_id", entity_id),
        ("since", since),
        ("until", until),
    ):
        if value is not None:
            filters[name] = value  # type: ignore[literal-required]
    query = AuditRepository(unit).filtered(filters)
    sortable = {"occurred_at": AuditEvent.occurred_at, "action": AuditEvent.action}
    rows, total = paginate(unit, query, page, sortable, [AuditEvent.id.desc()])
    items = [AuditEventOut.model_validate(r, from_attributes=True) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
