"""Unit of work, UTC timestamps and optimistic versioning on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from pasar.kit.db import Database, UTCDateTime, claim_row
from pasar.kit.errors import ConflictError
from pasar.kit.versioning import Versioned, expect_version


class _TestBase(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class Case(Versioned, _TestBase):
    __tablename__ = "test_cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    due_at: Mapped[datetime | None]


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    _TestBase.metadata.create_all(database.engine)
    yield database
    _TestBase.metadata.drop_all(database.engine)
    database.dispose()


def _count(db: Database) -> int:
    with db.unit_of_work() as session:
        return len(session.scalars(select(Case)).all())


def test_unit_of_work_commits_when_the_block_ends(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
    with db.unit_of_work() as session:
        assert session.get(Case, 1) is not None


def test_unit_of_work_rolls_everything_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError, match="boom"), db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
        session.flush()  # written to the database inside the transaction ...
        raise RuntimeError("boom")
    assert _count(db) == 0  # ... and gone after the rollback


def test_timestamps_come_back_timezone_aware_in_utc(db: Database) -> None:
    wib = timezone(timedelta(hours=7))
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open", due_at=datetime(2026, 3, 20, 9, 0, tzinfo=wib)))
    with db.unit_of_work() as session:
        due = session.get_one(Case, 1).due_at
    assert due == datetime(2026, 3, 20, 2, 0, tzinfo=UTC)
    assert due is not None and due.utcoffset() == timedelta(0)


def test_naive_timestamps_are_refused(db: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"), db.unit_of_work() as session:
        session.add(Case(id=1, status="open", due_at=datetime(2026, 1, 1)))
        session.flush()


def test_every_update_bumps_the_version(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
    for status in ("review", "closed"):
        with db.unit_of_work() as session:
            session.get_one(Case, 1).status = status
    with db.unit_of_work() as session:
        case = session.get_one(Case, 1)
        assert (case.status, case.version) == ("closed", 3)


def test_a_stale_concurrent_update_raises_conflict_and_the_winner_is_kept(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
    loser = db.session_factory()
    try:
        stale = loser.get_one(Case, 1)  # loaded at version 1
        with db.unit_of_work() as session:  # someone else saves first
            session.get_one(Case, 1).status = "accepted"
        with (
            pytest.raises(ConflictError, match="changed by someone else"),
            db.unit_of_work() as session,
        ):
            mine = session.merge(stale, load=False)
            mine.status = "rejected"
    finally:
        loser.close()
    with db.unit_of_work() as session:
        case = session.get_one(Case, 1)
        assert (case.status, case.version) == ("accepted", 2)


def test_expect_version_refuses_an_edit_of_an_old_version(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
    with db.unit_of_work() as session:
        session.get_one(Case, 1).status = "review"
    with pytest.raises(ConflictError) as caught, db.unit_of_work() as session:
        expect_version(session.get_one(Case, 1), seen_version=1)
    assert caught.value.field == "version"
    assert "version 1" in caught.value.message and "now version 2" in caught.value.message


def test_a_claimed_row_is_skipped_by_others_not_waited_for(db: Database) -> None:
    with db.unit_of_work() as session:
        session.add(Case(id=1, status="open"))
    holder = db.session_factory()
    try:
        assert claim_row(holder, Case, 1)
        if db.engine.dialect.name == "postgresql":  # SQLite has one writer at a time anyway
            with db.unit_of_work() as other:
                other.execute(text("SET LOCAL lock_timeout = '2s'"))  # a wait fails
                assert not claim_row(other, Case, 1)  # at once, not after the holder ends
        assert not claim_row(holder, Case, 2)  # no such row
    finally:
        holder.rollback()
        holder.close()
    with db.unit_of_work() as other:
        assert claim_row(other, Case, 1)  # free again
