"""Shared fixtures: a migrated operational store on SQLite and on PostgreSQL.

PostgreSQL tests run in a fresh schema per test (dropped afterwards). When PostgreSQL is not
reachable they skip with the reason, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from pasar import migrations
from pasar.config import get_settings
from pasar.kit.db import Database
from tests.marketplace import Marketplace, build_marketplace

POSTGRES_URL = os.environ.get(
    "PASAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite", "postgresql"]


@cache
def postgres_unavailable() -> str | None:
    """``None`` when PostgreSQL answers, else why not."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # any driver or network failure means "not reachable"
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}"
    finally:
        engine.dispose()
    return None


def pytest_configure(config: pytest.Config) -> None:
    """An xdist controller collects nothing, so it never imports ``tests/reliability/conftest``
    whose terminal summary prints the counts of cases tried: it is loaded here instead."""
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        from tests.reliability import conftest as reliability

        if not config.pluginmanager.is_registered(reliability):
            config.pluginmanager.register(reliability, "tests.reliability.conftest")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL on each backend (a fresh schema on PostgreSQL)."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty database on ``backend``: a SQLite file in ``folder``, or a fresh PostgreSQL
    schema dropped afterwards (required under ``CI=true``, else skipped when unreachable)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
        return
    reason = postgres_unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires PostgreSQL: {reason}")
        pytest.skip(reason)
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A migrated operational store on each backend."""
    migrations.upgrade(database_url)
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def pasar_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point PASAR_HOME (and so the default SQLite store) at a temporary folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("PASAR_HOME", str(home))
    monkeypatch.delenv("PASAR_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Marketplace]:
    """The generated ``small`` marketplace, ingested once per test worker."""
    built = build_marketplace(tmp_path_factory.mktemp("marketplace"))
    yield built
    built.con.close()
