"""Reads served from memory (``pasar.api.cached``) never outlive what they were read from.

On PostgreSQL a seller's standing and a token's sign-in are kept in memory while their tables
are unchanged. Each test changes the store the way another process would — through a raw
connection, outside this process's sessions — and requires the API to show the change as soon
as PostgreSQL has told the server (a few milliseconds; the tests allow 10 s), or at once for a
change this process committed itself. SQLite caches nothing: every change shows at once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from pasar import migrations
from pasar.api.app import create_app
from pasar.auth.service import create_user, disable_user, issue_token
from pasar.config import Settings
from pasar.governance.models import PointsEntry
from pasar.kit.changes import CHANNEL
from pasar.kit.db import Database

WAIT = 10.0  # seconds a notification may take to arrive before a test fails
SELLER = "S1"


@dataclass
class Served:
    client: TestClient
    db: Database
    url: str
    token: str
    backend: str

    def points(self) -> int:
        response = self.client.get(f"/api/v1/sellers/{SELLER}", headers=self.auth)
        assert response.status_code == 200, response.text
        return int(response.json()["points"])

    def status(self) -> int:
        return self.client.get(f"/api/v1/sellers/{SELLER}", headers=self.auth).status_code

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def raw(self, *statements: str, notify: bool = True) -> None:
        """Run ``statements`` on a connection of their own, as another process would; with
        ``notify=False`` (PostgreSQL) the change-notification triggers do not fire."""
        if self.backend == "sqlite":
            with sqlite3.connect(str(make_url(self.url).database)) as con:
                for statement in statements:
                    con.execute(statement)
            return
        parsed = make_url(self.url)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(dsn, autocommit=False) as con:
            if not notify:
                con.execute("SET LOCAL session_replication_role = replica")
            for statement in statements:
                con.execute(statement)


def _entry(points: int, key: str) -> str:
    day = (dt.date.today() - dt.timedelta(days=3)).isoformat()
    return (
        "INSERT INTO points_entries (dedupe_key, seller_id, kind, points, effective_on, scheme, "
        f"repeat, actor, created_at) VALUES ('{key}', '{SELLER}', 'issue', {points}, '{day}', "
        "'tokopedia-id', false, 'test', CURRENT_TIMESTAMP)"
    )


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[Served]:
    migrations.upgrade(database_url)
    db = Database(database_url)
    with db.unit_of_work() as session:
        user = create_user(session, "ana", "Ana", "analyst", "a long passphrase!")
        token = issue_token(session, user, "t", ["governance:read"])[1]
    backend = make_url(database_url).get_backend_name()
    app = create_app(Settings(home=tmp_path / "home", database_url=database_url))
    with TestClient(app) as client:
        found = Served(client, db, database_url, token, backend)
        found.raw(_entry(5, "first"))
        if backend == "postgresql":
            eventually(lambda: app.state.changes.listening, "the change feed listens")
        yield found
    db.dispose()


def eventually(check: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {WAIT} s: {what}")
        time.sleep(0.02)


def test_another_process_writing_the_ledger_shows_in_the_next_answers(served: Served) -> None:
    assert served.points() == 5
    assert served.points() == 5  # the second answer may come from memory
    served.raw(_entry(3, "second"))
    eventually(lambda: served.points() == 8, "the new entry shows")


def test_this_process_writing_the_ledger_shows_at_once(served: Served) -> None:
    assert served.points() == 5
    with served.db.unit_of_work() as session:
        day = dt.date.today() - dt.timedelta(days=2)
        session.add(
            PointsEntry(dedupe_key="orm", seller_id=SELLER, kind="issue", points=4,
                        effective_on=day, scheme="tokopedia-id")
        )  # fmt: skip
    assert served.points() == 9  # no wait: the commit itself ends what was cached


def test_a_revoked_token_or_a_disabled_user_is_refused(served: Served) -> None:
    assert served.status() == 200
    served.raw("UPDATE api_tokens SET revoked_at = CURRENT_TIMESTAMP")
    eventually(lambda: served.status() == 401, "the revoked token is refused")
    served.raw("UPDATE api_tokens SET revoked_at = NULL")
    eventually(lambda: served.status() == 200, "the token is accepted again")
    served.raw("UPDATE users SET disabled = true")
    eventually(lambda: served.status() == 401, "the disabled user is refused")


def test_disabling_a_user_in_this_process_refuses_its_token_at_once(served: Served) -> None:
    assert served.status() == 200
    with served.db.unit_of_work() as session:
        disable_user(session, "ana")
    assert served.status() == 401


@pytest.fixture
def on_postgresql(served: Served) -> Served:
    if served.backend != "postgresql":
        pytest.skip("only PostgreSQL tells servers what changed; SQLite caches nothing")
    return served


def test_answers_come_from_memory_until_a_change_is_told(on_postgresql: Served) -> None:
    served = on_postgresql
    assert served.points() == 5
    # a write that tells no one (triggers off): the answer stays the one held in memory …
    served.raw(_entry(3, "silent"), notify=False)
    assert served.points() == 5
    # … until PostgreSQL says the ledger changed
    served.raw(f"SELECT pg_notify('{CHANNEL}', 'points_entries')")
    eventually(lambda: served.points() == 8, "the told change shows")


def test_a_change_to_another_table_keeps_the_answer(on_postgresql: Served) -> None:
    served = on_postgresql
    assert served.points() == 5
    served.raw(_entry(3, "silent"), notify=False)
    served.raw(f"SELECT pg_notify('{CHANNEL}', 'creator_pitches')")
    time.sleep(0.5)  # time for the notification to arrive: it must change nothing here
    assert served.points() == 5


def test_nothing_held_before_the_feed_lost_its_connection_is_used_after(
    on_postgresql: Served,
) -> None:
    served = on_postgresql
    feed = served.client.app.state.changes  # type: ignore[attr-defined]
    assert served.points() == 5
    served.raw(_entry(3, "silent"), notify=False)  # missed by the feed, as in a gap
    before = feed.version(["points_entries"])
    served.raw(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE query = 'LISTEN {CHANNEL}' AND pid <> pg_backend_pid()"
    )
    eventually(lambda: feed.version(["points_entries"]) not in (None, before), "a new epoch")
    assert served.points() == 8
