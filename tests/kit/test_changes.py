"""The change feed: which stores have one, and a process's own commits counted at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, text

from pasar.kit.changes import ChangeFeed, notify_trigger
from pasar.kit.db import Database

ENTRIES = Table("points_entries", MetaData(), Column("id", Integer, primary_key=True))


@pytest.fixture
def feed() -> Iterator[ChangeFeed]:
    """A feed that is never started, made to listen by hand, among this process's feeds."""
    made = ChangeFeed("postgresql://unused")
    made._listening = True
    ChangeFeed._feeds[(-1, "test")] = made
    yield made
    del ChangeFeed._feeds[(-1, "test")]


@pytest.fixture
def db() -> Iterator[Database]:
    made = Database("sqlite://")
    ENTRIES.metadata.create_all(made.engine)
    yield made
    made.dispose()


def test_sqlite_has_no_feed_so_nothing_is_cached() -> None:
    assert ChangeFeed.for_url("sqlite:///x.db") is None


def test_a_commit_changes_the_version_of_its_tables_only(feed: ChangeFeed, db: Database) -> None:
    entries, users = feed.version(["points_entries"]), feed.version(["users"])
    with db.unit_of_work() as session:
        session.execute(insert(ENTRIES).values(id=1))
    assert feed.version(["points_entries"]) != entries
    assert feed.version(["users"]) == users


def test_a_rolled_back_write_is_counted_with_the_next_commit(
    feed: ChangeFeed, db: Database
) -> None:
    before = feed.version(["points_entries"])
    session = db.session_factory()
    session.execute(insert(ENTRIES).values(id=1))
    session.rollback()
    assert feed.version(["points_entries"]) == before
    session.commit()  # a needless miss, never a missed change
    assert feed.version(["points_entries"]) != before
    session.close()


def test_a_write_in_plain_sql_changes_every_version(feed: ChangeFeed, db: Database) -> None:
    users = feed.version(["users"])
    with db.unit_of_work() as session:
        session.execute(text("INSERT INTO points_entries (id) VALUES (2)"))
    assert feed.version(["users"]) != users


def test_reading_changes_nothing(feed: ChangeFeed, db: Database) -> None:
    before = feed.version(["points_entries"])
    with db.unit_of_work() as session:
        session.execute(text("SELECT * FROM points_entries")).all()
    assert feed.version(["points_entries"]) == before


def test_a_feed_that_does_not_listen_has_no_version(feed: ChangeFeed) -> None:
    feed._listening = False
    assert feed.version(["users"]) is None


def test_bookkeeping_columns_do_not_notify() -> None:
    sql = notify_trigger("api_tokens", ["id", "revoked_at", "last_used_at"])
    assert "UPDATE OF id, revoked_at ON api_tokens" in sql
    assert "last_used_at" not in sql


def test_a_store_that_does_not_answer_is_said_once_and_nothing_is_cached(
    caplog: pytest.LogCaptureFixture,
) -> None:
    feed = ChangeFeed("postgresql://postgres@127.0.0.1:1/test?connect_timeout=1")
    with caplog.at_level(logging.WARNING, logger="pasar.kit.changes"):
        feed.start()
        deadline = time.monotonic() + 30
        while feed._attempts < 3 and time.monotonic() < deadline:  # three refused connections
            time.sleep(0.05)
        feed.stop()
    assert feed._attempts >= 3
    said = [r.getMessage() for r in caplog.records if r.name == "pasar.kit.changes"]
    assert len(said) == 1 and "not cached until it reconnects" in said[0], said
    assert feed.version(["users"]) is None
