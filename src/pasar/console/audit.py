"""The audit log in the console: every recorded state change, newest first, filtered by who
did it, what they did, to which entity and when (local days of the marketplace), with a
compact before → after of what changed. The table downloads with the same filters."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.audit.models import AuditEvent
from pasar.audit.repository import AuditFilters, AuditRepository
from pasar.config import Settings
from pasar.console.formats import local_time
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table

router = APIRouter(include_in_schema=False)

MAX_EVENTS = 5000  # newest events shown (and downloaded) for one set of filters
MAX_CHANGES = 8  # changed keys listed in "what changed" before "… and N more"
MAX_CREATED = 5  # values listed for a creation
BOOKKEEPING = {"id", "version", "created_at", "updated_at"}  # not news when a row is created
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")  # an ISO time stored by snapshot()
MAX_VALUE = 40  # characters of one value in "what changed"
MAX_SUGGESTIONS = 200

INDONESIAN.update(
    {
        "Audit events": "Peristiwa audit",
        "Entity type": "Jenis entitas",
        "Entity id": "ID entitas",
        "What changed": "Yang berubah",
        "No event matches these filters.": "Tidak ada peristiwa yang cocok dengan saringan ini.",
        "The filters were not applied": "Saringan tidak diterapkan",
        "Clear": "Hapus saringan",
        "Every change to the operational store, newest first. Times are in WIB (Asia/Jakarta).": (
            "Setiap perubahan pada penyimpanan operasional, terbaru lebih dulu. Waktu dalam WIB "
            "(Asia/Jakarta)."
        ),
    }
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def changes(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """What an event changed, compactly: ``status: submitted → accepted; version: 1 → 2``; a
    creation lists the first values it set (``created: status=submitted, …``). Stored times
    read in WIB."""
    if before is None and after is None:
        return ""
    if before is None:
        assert after is not None
        parts = [
            f"{k}={_short(v)}"
            for k, v in after.items()
            if v not in (None, "", [], {}) and k not in BOOKKEEPING
        ]
        return "created: " + _some(parts, ", ", MAX_CREATED) if parts else "created"
    if after is None:
        return "removed"
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    parts = [f"{k}: {_short(before.get(k))} → {_short(after.get(k))}" for k in keys]
    return _some(parts, "; ", MAX_CHANGES)


def _some(parts: list[str], glue: str, most: int) -> str:
    shown = glue.join(parts[:most])
    return shown + (f"{glue}… and {len(parts) - most} more" if len(parts) > most else "")


def _short(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and _MOMENT.match(value):
        with contextlib.suppress(ValueError):
            return local_time(dt.datetime.fromisoformat(value))
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


@router.get("/audit")
def audit_page(
    request: Request,
    actor: str = "",
    action: str = "",
    entity_type: str = "",
    entity_id: str = "",
    start: str = "",
    end: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Audit events matching every filter given, newest first."""
    if not view.can("audit:read"):
        return view.error(403, "Not allowed", "Your role cannot read the audit log.")
    zone = _settings(request).zone
    form = {
        "actor": actor.strip(),
        "action": action.strip(),
        "entity_type": entity_type.strip(),
        "entity_id": entity_id.strip(),
        "start": start.strip(),
        "end": end.strip(),
    }
    problems: list[str] = []
    first = _date(form["start"], "from", problems)
    last = _date(form["end"], "to", problems)
    if first and last and last < first:
        problems.append(f"The day to ({last}) is before the day from ({first}).")
    filters: AuditFilters = {}
    if form["actor"]:
        filters["actor"] = form["actor"]
    if form["action"]:
        filters["action"] = form["action"]
    if form["entity_type"]:
        filters["entity_type"] = form["entity_type"]
    if form["entity_id"]:
        filters["entity_id"] = form["entity_id"]
    if first is not None:
        filters["since"] = dt.datetime.combine(first, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    if last is not None:
        next_day = last + dt.timedelta(days=1)
        filters["until"] = dt.datetime.combine(next_day, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    events = (
        []
        if problems
        else AuditRepository.from_session(unit).search(limit=MAX_EVENTS + 1, **filters)
    )
    rows = [
        {
            "id": e.id,
            "occurred_at": e.occurred_at.astimezone(zone),
            "actor": e.actor,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "reason": e.reason or "",
            "changes": changes(e.before, e.after),
        }
        for e in events[:MAX_EVENTS]
    ]
    note = "Every change to the operational store, newest first. Times are in WIB (Asia/Jakarta)."
    if len(events) > MAX_EVENTS:
        note = (
            f"The newest {MAX_EVENTS:,} events are shown and downloaded: narrow the filters "
            "to see older ones."
        )
    table = Table(
        "events",
        "Audit events",
        [
            Column("occurred_at", "Time", "datetime"),
            Column("actor", "Actor"),
            Column("action", "Action"),
            Column("entity_type", "Entity type"),
            Column("entity_id", "Entity id"),
            Column("reason", "Reason"),
            Column("changes", "What changed"),
        ],
        rows,
        empty="No event matches these filters.",
        note=view.t(note),
    )
    suggestions = {
        name: unit.scalars(
            select(getattr(AuditEvent, name)).distinct().order_by(getattr(AuditEvent, name))
            .limit(MAX_SUGGESTIONS)
        ).all()
        for name in ("actor", "action", "entity_type")
    }  # fmt: skip
    return view.render(
        "audit.html",
        "Audit log",
        422 if problems else 200,
        events=table,
        form=form,
        problems=problems,
        suggestions=suggestions,
    )


def _date(text: str, what: str, problems: list[str]) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"The day {what} {text!r} is not a date like 2026-10-31.")
        return None
