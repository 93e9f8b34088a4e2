"""The pitching pipeline: stages, deduplication across agents (also under concurrency, on
SQLite and PostgreSQL), the weekly outreach quota, all-or-nothing bulk actions, reminders."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from pasar import migrations
from pasar.audit.models import AuditEvent
from pasar.creators import pitches
from pasar.creators.collaboration_models import Pitch
from pasar.creators.days import ZONE
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from tests.creators.collab_fixtures import T0, add_people, at, store

__all__ = ["store"]


@pytest.fixture
def both(database_url: str) -> Iterator[Database]:
    """The people of the collaboration tests on SQLite and on PostgreSQL."""
    migrations.upgrade(database_url)
    db = Database(database_url)
    add_people(db, dt.date(2026, 10, 1))
    yield db
    db.dispose()


def _add(db: Database, creator: str, owner: str = "mira", seller: str = "S1", **kw: object) -> int:
    with db.unit_of_work() as session:
        return pitches.add_pitch(
            session,
            seller_id=seller,
            creator_id=creator,
            owner=owner,
            actor=f"user:{owner}",
            **kw,  # type: ignore[arg-type]
        ).id


def _stage(db: Database, pitch_id: int) -> str:
    with db.unit_of_work() as session:
        pitch = session.get(Pitch, pitch_id)
        assert pitch is not None
        return pitch.stage


def test_two_agents_never_pitch_the_same_creator_for_a_seller(both: Database) -> None:
    with frozen_at(T0):
        first = _add(both, "C2", "mira")
        with pytest.raises(ConflictError, match="already pitched for seller S1 by mira"):
            _add(both, "C2", "budi")
        other_seller = _add(both, "C2", "budi", seller="S2")  # another seller: fine
        with both.unit_of_work() as session:
            pitches.advance(session, first, "declined", "user:mira", reason="not our audience")
        again = _add(both, "C2", "budi")  # a closed pitch no longer holds the creator
    assert len({first, other_seller, again}) == 3


def test_the_database_refuses_a_second_open_pitch(both: Database) -> None:
    with frozen_at(T0):
        first = _add(both, "C1")
    duplicate = {"seller_id": "S1", "creator_id": "C1", "owner": "budi", "created_by": "x"}
    with pytest.raises(IntegrityError), both.unit_of_work() as session:
        session.add(Pitch(stage="contacted", **duplicate))
    with both.unit_of_work() as session:  # closed pitches may repeat
        session.add(Pitch(stage="declined", **duplicate))
        session.add(Pitch(stage="ghosted", **duplicate))
    with both.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(Pitch)) == 3
        assert session.get(Pitch, first) is not None


def test_concurrent_pitches_of_one_creator_leave_one(both: Database) -> None:
    """Two agents add the same pitch at the same moment: one wins, the other gets a conflict
    (from the check or from the unique index), never two open pitches."""
    inserted = threading.Event()
    release = threading.Event()
    results: dict[str, object] = {}

    def first() -> None:
        try:
            with frozen_at(T0), both.unit_of_work() as session:
                pitches.add_pitch(
                    session, seller_id="S1", creator_id="C2", owner="mira", actor="user:mira"
                )
                inserted.set()
                release.wait(10)
            results["mira"] = "ok"
        except Exception as exc:  # recorded for the assertion below
            results["mira"] = exc
            inserted.set()

    def second() -> None:
        try:
            with frozen_at(T0), both.unit_of_work() as session:
                pitches.add_pitch(
                    session, seller_id="S1", creator_id="C2", owner="budi", actor="user:budi"
                )
            results["budi"] = "ok"
        except Exception as exc:
            results["budi"] = exc

    one = threading.Thread(target=first)
    one.start()
    assert inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # budi is now waiting on mira's uncommitted row (or already refused)
    release.set()
    one.join(20)
    two.join(20)
    assert results["mira"] == "ok"
    assert isinstance(results["budi"], ConflictError), results["budi"]
    with both.unit_of_work() as session:
        rows = session.scalars(select(Pitch)).all()
    assert [(p.creator_id, p.owner) for p in rows] == [("C2", "mira")]


def test_stages_move_forward_and_stamp_what_they_imply(store: Database) -> None:
    with frozen_at(T0):
        pid = _add(store, "C1", channel="whatsapp", next_action_on=dt.date(2026, 11, 4))
    with frozen_at(at(1)), store.unit_of_work() as session:
        pitch = pitches.advance(session, pid, None, "user:mira")
        assert pitch.stage == "contacted" and pitch.contacted_at == at(1)
        pitch = pitches.advance(session, pid, "agreed", "user:mira")
        assert pitch.replied_at == pitch.agreed_at == at(1)  # an agreement implies a reply
        with pytest.raises(ValidationError, match="cannot move to contacted"):
            pitches.advance(session, pid, "contacted", "user:mira")
        with pytest.raises(ValidationError, match="say why"):
            pitches.advance(session, pid, "declined", "user:mira")
        with pytest.raises(ValidationError, match="unknown stage"):
            pitches.advance(session, pid, "won", "user:mira")
    with frozen_at(at(2)), store.unit_of_work() as session:
        with pytest.raises(ConflictError):
            pitches.advance(session, pid, "sample_sent", "user:mira", version=1)
        pitch = pitches.advance(session, pid, "ghosted", "user:mira", version=3)
        assert pitch.closed_at == at(2) and pitch.next_action_on is None
        with pytest.raises(ValidationError, match="nowhere"):
            pitches.advance(session, pid, "selling", "user:mira")
    with store.unit_of_work() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "pitch")
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["pitch.added", "pitch.advanced", "pitch.advanced", "pitch.declined"]


def test_owners_and_agents_are_confined(store: Database) -> None:
    with frozen_at(T0), store.unit_of_work() as session:
        with pytest.raises(ValidationError, match="C3 is not assigned to agent mira"):
            pitches.add_pitch(session, seller_id="S1", creator_id="C3", owner="mira", actor="t")
        with pytest.raises(ValidationError, match="cannot manage creator work"):
            pitches.add_pitch(session, seller_id="S1", creator_id="C3", owner="ayu", actor="t")
        with pytest.raises(NotFoundError):
            pitches.add_pitch(
                session,
                seller_id="S1",
                creator_id="C3",
                owner="cm",
                actor="t",
                visible=frozenset({"C1", "C2"}),
            )
        pitch = pitches.add_pitch(session, seller_id="S1", creator_id="C3", owner="cm", actor="t")
        with pytest.raises(NotFoundError):
            pitches.get_pitch(session, pitch.id, frozenset({"C1"}))
        assert pitches.reassign(session, pitch.id, "budi", "t").owner == "budi"


def test_the_weekly_quota_counts_new_contacts_once(store: Database) -> None:
    with frozen_at(T0), store.unit_of_work() as session:
        pitches.set_quota(session, "S1", 2, "user:cm")
    with frozen_at(T0):  # Monday 2 Nov 2026: the week of Sunday 1 Nov
        ids = [_add(store, c, "cm") for c in ("C1", "C2", "C3", "C4")]
        with store.unit_of_work() as session:
            for pid in ids[:2]:
                pitches.advance(session, pid, "contacted", "user:cm")
            pitches.advance(session, ids[0], "replied", "user:cm")  # not a new contact
            status = pitches.quota(session, "S1")
            assert (status.week, status.used, status.remaining) == (dt.date(2026, 11, 1), 2, 0)
            with pytest.raises(ValidationError, match=r"weekly outreach quota \(2 of 2"):
                pitches.advance(session, ids[2], "contacted", "user:cm")
            # C1 replied before: pitching it again for S1 uses no quota (it is connected)
            pitches.advance(session, ids[0], "declined", "user:cm", reason="budget cut")
    with frozen_at(at(1)):
        again = _add(store, "C1", "cm", stage="contacted")
    # Saturday 7 Nov 23:30 WIB is still the same week; Sunday 8 Nov 00:30 WIB is a new one
    saturday = dt.datetime(2026, 11, 7, 23, 30, tzinfo=ZONE)
    with (
        frozen_at(saturday),
        store.unit_of_work() as session,
        pytest.raises(ValidationError, match="quota"),
    ):
        pitches.advance(session, ids[2], "contacted", "user:cm")
    with frozen_at(saturday + dt.timedelta(hours=1)), store.unit_of_work() as session:
        pitches.advance(session, ids[2], "contacted", "user:cm")
        assert pitches.quota(session, "S1").week == dt.date(2026, 11, 8)
        assert pitches.quota(session, "S1").used == 1
        assert session.get(Pitch, again).quota_week is None  # type: ignore[union-attr]


def test_bulk_actions_are_all_or_nothing(store: Database) -> None:
    with frozen_at(T0):
        ids = [_add(store, c, "cm") for c in ("C1", "C2", "C3")]
    with frozen_at(T0), store.unit_of_work() as session:
        pitches.set_quota(session, "S1", 2, "user:cm")
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    rows = [(pid, 1) for pid in ids]
    with frozen_at(T0), store.unit_of_work() as session:
        with pytest.raises(pitches.BulkError) as refused:
            pitches.bulk(session, "advance", rows, "user:cm")
        assert list(refused.value.rows) == [ids[2]]  # the third contact is over the quota
        assert "weekly outreach quota" in refused.value.rows[ids[2]]
        assert "1 of 3 pitches cannot be advanced, so none was" in str(refused.value)
    with store.unit_of_work() as session:
        assert {_stage(store, pid) for pid in ids} == {"shortlisted"}
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
    with frozen_at(T0), store.unit_of_work() as session:
        stale = [(ids[0], 1), (ids[1], 7), (999, None), (ids[0], 1)]
        with pytest.raises(pitches.BulkError) as refused:
            pitches.bulk(session, "assign", stale, "user:cm", owner="mira")
        assert refused.value.rows == {
            ids[1]: "changed by someone else (you saw version 7, it is 1)",
            999: "no such pitch",
            ids[0]: "listed twice",
        }
        with pytest.raises(pitches.BulkError) as refused:
            pitches.bulk(session, "assign", rows, "user:cm", owner="mira")
        assert refused.value.rows == {ids[2]: "creator C3 is not assigned to agent mira"}
        with pytest.raises(ValidationError, match="reason"):
            pitches.bulk(session, "decline", rows, "user:cm")
    with frozen_at(T0), store.unit_of_work() as session:
        done = pitches.bulk(session, "advance", rows[:2], "user:cm")
        assert [p.stage for p in done] == ["contacted", "contacted"]
        fresh = [(pid, None) for pid in ids]
        done = pitches.bulk(session, "decline", fresh, "user:cm", reason="season over")
        assert {p.stage for p in done} == {"declined"}
        assert done[0].version == 3 and done[2].version == 2


def test_overdue_next_actions_are_listed_per_owner(store: Database) -> None:
    day = dt.date(2026, 11, 10)
    with frozen_at(T0):
        late = _add(
            store, "C1", "mira", next_action="follow up", next_action_on=day - dt.timedelta(days=3)
        )
        _add(store, "C2", "mira", next_action_on=day)  # due today: not overdue yet
        budi = _add(store, "C3", "budi", next_action_on=day - dt.timedelta(days=1))
        closed = _add(store, "C2", "budi", seller="S2", next_action_on=day - dt.timedelta(days=9))
        with store.unit_of_work() as session:
            pitches.advance(session, closed, "declined", "user:budi", reason="no")
    with store.unit_of_work() as session:
        found = pitches.overdue(session, day)
        assert {owner: [p.id for p in ps] for owner, ps in found.items()} == {
            "budi": [budi],
            "mira": [late],
        }
        assert list(pitches.overdue(session, day, visible=frozenset({"C1"}))) == ["mira"]
        assert pitches.overdue(session, day, owner="budi")["budi"][0].id == budi
        funnel = pitches.funnel(session)
        assert funnel["shortlisted"] == 3 and funnel["declined"] == 1


def test_bad_input_is_named(store: Database, tmp_path: Path) -> None:
    with frozen_at(T0), store.unit_of_work() as session:
        for kwargs, field in (
            ({"seller_id": " "}, "seller_id"),
            ({"creator_id": "C\x001"}, "creator_id"),
            ({"channel": "pigeon"}, "channel"),
            ({"stage": "declined"}, "stage"),
            ({"notes": "\x00"}, "notes"),
        ):
            args = {"seller_id": "S1", "creator_id": "C1", "owner": "cm", "actor": "t", **kwargs}
            with pytest.raises(ValidationError) as refused:
                pitches.add_pitch(session, **args)  # type: ignore[arg-type]
            assert refused.value.field == field
        with pytest.raises(ValidationError, match="weekly_limit"):
            pitches.set_quota(session, "S1", -1, "t")
