"""Alembic migrations of the operational store, runnable from code and from ``pasar db``.

Example:
    >>> upgrade("sqlite://")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

_HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """An Alembic ``Config`` pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(_HERE))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; running it again changes nothing."""
    command.upgrade(alembic_config(database_url), revision)


def head_revision() -> str:
    """The newest revision shipped with this version of Pasar."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
