"""The audit log: appended inside the caller's unit of work, never rewritten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from pasar.audit.models import AuditEvent
from pasar.audit.service import audit
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ValidationError

T0 = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def _record(db: Database, **overrides: object) -> int:
    fields: dict[str, object] = {
        "actor": "user:rina",
        "action": "appeal.decided",
        "entity_type": "appeal",
        "entity_id": "A-1",
        "reason": "courier proof attached",
        "before": {"status": "open", "points": Decimal("4")},
        "after": {"status": "accepted", "decided_at": T0},
        "context": {"policy": "tiktok-sea", "version": 3},
    }
    fields.update(overrides)
    with db.unit_of_work() as session:
        return audit.record(session, **fields).id  # type: ignore[arg-type]


def test_an_event_keeps_who_what_when_why_and_before_after(database: Database) -> None:
    with frozen_at(T0):
        _record(database)
    with database.unit_of_work() as session:
        [event] = audit.history(session, "appeal", "A-1")
    assert (event.actor, event.action, event.reason) == (
        "user:rina",
        "appeal.decided",
        "courier proof attached",
    )
    assert event.occurred_at == T0
    assert event.before == {"status": "open", "points": "4"}
    assert event.after == {"status": "accepted", "decided_at": T0.isoformat()}
    assert event.context == {"policy": "tiktok-sea", "version": 3}


def test_history_is_oldest_first_and_only_for_that_entity(database: Database) -> None:
    for minute, entity in enumerate(("A-1", "A-2", "A-1")):
        with frozen_at(T0 + timedelta(minutes=minute)):
            _record(database, entity_id=entity, action=f"step{minute}")
    with database.unit_of_work() as session:
        actions = [e.action for e in audit.history(session, "appeal", "A-1")]
    assert actions == ["step0", "step2"]


def test_search_filters_and_pages_newest_first(database: Database) -> None:
    for i in range(5):
        with frozen_at(T0 + timedelta(hours=i)):
            _record(
                database, actor="user:rina" if i % 2 == 0 else "system:pipeline", entity_id=f"A-{i}"
            )
    with database.unit_of_work() as session:
        rina = audit.search(session, actor="user:rina")
        assert [e.entity_id for e in rina] == ["A-4", "A-2", "A-0"]
        later = audit.search(session, since=T0 + timedelta(hours=3))
        assert [e.entity_id for e in later] == ["A-4", "A-3"]
        page = audit.search(session, limit=2, offset=2)
        assert [e.entity_id for e in page] == ["A-2", "A-1"]


def test_an_event_rolls_back_with_the_change_it_describes(database: Database) -> None:
    with pytest.raises(RuntimeError), database.unit_of_work() as session:
        audit.record(
            session,
            actor="user:rina",
            action="appeal.decided",
            entity_type="appeal",
            entity_id="A-1",
        )
        raise RuntimeError("decision failed")
    with database.unit_of_work() as session:
        assert audit.history(session, "appeal", "A-1") == []


@pytest.mark.parametrize("missing", ["actor", "action", "entity_type", "entity_id"])
def test_an_event_without_who_or_what_is_refused(database: Database, missing: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _record(database, **{missing: "  "})
    assert caught.value.field == missing


def test_the_orm_refuses_to_change_or_delete_an_event(database: Database) -> None:
    event_id = _record(database)
    with pytest.raises(ValidationError, match="append-only"), database.unit_of_work() as s:
        s.get_one(AuditEvent, event_id).reason = "rewritten"
    with pytest.raises(ValidationError, match="append-only"), database.unit_of_work() as s:
        s.delete(s.get_one(AuditEvent, event_id))
    with database.unit_of_work() as session:
        assert session.get_one(AuditEvent, event_id).reason == "courier proof attached"


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET reason = 'rewritten'",
        "DELETE FROM audit_events",
    ],
)
def test_the_database_refuses_raw_rewrites(database: Database, statement: str) -> None:
    _record(database)
    with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    with database.unit_of_work() as session:
        events = session.scalars(select(AuditEvent)).all()
    assert [e.reason for e in events] == ["courier proof attached"]
