"""What the creator-collaboration tests share: a migrated store, staff and creators, frozen
time, creator snapshots written as the metric pipeline writes them, the sample policies, a
console sign-in and ``pasar creators`` run in process.

Import the fixtures a module uses (``from tests.creators.collab_fixtures import store``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar import migrations
from pasar.auth.models import User
from pasar.auth.service import hash_password
from pasar.auth.sessions import COOKIE, open_session
from pasar.config import Settings
from pasar.creators.assignments import assign
from pasar.creators.days import ZONE
from pasar.creators.eligibility import SamplePolicies, Standing
from pasar.kit.db import Database
from pasar.metrics.catalog import load_catalog
from pasar.metrics.snapshots import snapshot_path
from tests.cli.test_metrics_cli import run

PASSWORD = "a long enough passphrase"
# a Monday in WIB, well after the packs' effective dates
T0 = dt.datetime(2026, 11, 2, 10, 0, tzinfo=ZONE).astimezone(dt.UTC)
AGENT_CREATORS = {"mira": ["C1", "C2"], "budi": ["C2", "C3"]}


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def add_user(db: Database, username: str, role: str, creator_id: str | None = None) -> None:
    """A user without paying Argon2 for each (one hash shared by every test user)."""
    with db.unit_of_work() as session:
        session.add(
            User(
                username=username,
                display_name=username.title(),
                role=role,
                password_hash=password_hash(),
                creator_id=creator_id,
                linked_shops=[],
            )
        )


def add_people(db: Database, on: dt.date) -> None:
    """Agents mira (C1, C2) and budi (C2, C3), creator manager cm, creators ayu (C1), bima (C2)."""
    add_user(db, "cm", "creator_manager")
    add_user(db, "ayu", "creator", "C1")
    add_user(db, "bima", "creator", "C2")
    for agent, creators in AGENT_CREATORS.items():
        add_user(db, agent, "agent")
        with db.unit_of_work() as session:
            user = session.query(User).filter_by(username=agent).one()
            assign(session, user, creators, on - dt.timedelta(days=30), "test")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite store with the people of :func:`add_people` (assigned from before
    any frozen day the tests use)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    migrations.upgrade(url)
    db = Database(url)
    add_people(db, dt.date(2026, 10, 1))
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def policies() -> SamplePolicies:
    return SamplePolicies.load(load_catalog())


def standing(
    creator_id: str,
    *,
    followers: int = 5000,
    orders_90d: int = 10,
    gmv_30d: float = 2_000_000,
    level: int = 2,
    due: int = 0,
    on_time: int = 0,
    as_of: dt.date = dt.date(2026, 10, 31),
) -> Standing:
    """A standing built by hand (the snapshot row and what the store knows)."""
    row = pa.table(
        {
            "creator_id": [creator_id],
            "as_of": pa.array([as_of], pa.date32()),
            "followers": pa.array([followers], pa.int64()),
            "orders_90d": pa.array([orders_90d], pa.int64()),
            "gmv_30d": pa.array([Decimal(str(gmv_30d))], pa.decimal128(38, 2)),
        }
    )
    return Standing(creator_id, as_of, row, level, as_of.replace(day=1), due, on_time)


def write_snapshot(settings: Settings, as_of: dt.date, rows: list[Mapping[str, Any]]) -> Path:
    """A creator snapshot file where the metric pipeline puts it, with the snapshot's types
    for the columns given (creator_id, followers, orders_90d, gmv_30d …)."""
    types = {
        "creator_id": pa.string(),
        "as_of": pa.date32(),
        "followers": pa.int64(),
        "orders_90d": pa.int64(),
        "orders_30d": pa.int64(),
        "gmv_30d": pa.decimal128(38, 2),
    }
    names = ["creator_id", "as_of", *(k for k in rows[0] if k != "creator_id")]
    table = pa.table(
        {
            name: pa.array(
                [
                    as_of
                    if name == "as_of"
                    else (Decimal(str(r[name])) if name == "gmv_30d" else r[name])
                    for r in rows
                ],
                types[name],
            )
            for name in names
        }
    )
    path = snapshot_path(settings.snapshots_dir, "creator", as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def at(days: float = 0, hours: float = 0) -> dt.datetime:
    """A moment ``days`` and ``hours`` after :data:`T0`."""
    return T0 + dt.timedelta(days=days, hours=hours)


def collab_rows(session: Any, creator_id: str, seller_id: str, owner: str) -> dict[str, object]:
    """A pitch, a sample, an issue and a voucher with a code issued to ``creator_id`` (what
    access tests ask for by id); returns their path parameters and the code."""
    from pasar.creators import issues, pitches, samples, vouchers

    pitch = pitches.add_pitch(
        session, seller_id=seller_id, creator_id=creator_id, owner=owner, actor="test"
    )
    sample = samples.request_sample(
        session,
        creator_id=creator_id,
        seller_id=seller_id,
        product_id=f"P-{creator_id}",
        actor="test",
        standing=standing(creator_id),
        policies=SamplePolicies.load(load_catalog()),
    )
    issue = issues.open_issue(
        session,
        kind="other",
        title=f"about {creator_id}",
        description=f"{creator_id} asks",
        raised_by_kind="staff",
        actor="test",
        creator_id=creator_id,
    )
    voucher = vouchers.create_voucher(
        session,
        seller_id=seller_id,
        name=f"for {creator_id}",
        face_value=Decimal(1000),
        budget=Decimal(5000),
        actor="test",
        creators=[creator_id],
    )
    code = vouchers.codes_of(session, voucher.id)[0].code
    return {
        "pitch_id": pitch.id,
        "sample_id": sample.id,
        "issue_id": issue.id,
        "voucher_id": voucher.id,
        "code": code,
    }


class Browser(Protocol):
    """A test client of the app and the store behind it."""

    client: TestClient
    db: Database


def sign_in(browser: Browser, username: str) -> str:
    """A browser session for ``username`` (the sign-in form itself is tested elsewhere): the
    cookie set on the client, the CSRF token returned."""
    with browser.db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        cookie, csrf = open_session(session, user)
    browser.client.cookies.clear()
    browser.client.cookies.set(COOKIE, cookie)
    return csrf


def creators_cli(
    capsys: pytest.CaptureFixture[str],
) -> tuple[Callable[..., str], Callable[..., str]]:
    """``pasar creators …`` in process: ``ok(*args)`` gives the output of a command that must
    succeed (exit code 0), ``refused(*args)`` the error, on one line, of one that must fail
    (exit code 2)."""

    def ok(*args: str) -> str:
        code, out, err = run(capsys, "creators", *args)
        assert code == 0, (args, err)
        return out

    def refused(*args: str) -> str:
        code, _, err = run(capsys, "creators", *args)
        assert code == 2, args
        return " ".join(err.split())

    return ok, refused
