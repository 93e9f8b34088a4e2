"""Alembic environment: runs migrations on a given connection or on ``sqlalchemy.url``.

Every pending migration runs in one transaction, on PostgreSQL and on SQLite alike: an
upgrade killed half-way leaves the database as it was, and the next one starts again.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, Engine, create_engine, event

from pasar.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _transactional_sqlite(engine: Engine) -> None:
    """SQLite can roll DDL back, but the Python driver commits before each CREATE: let
    SQLAlchemy issue BEGIN itself."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


def run_migrations_online() -> None:
    """Open a connection from ``sqlalchemy.url`` and migrate."""
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    if engine.dialect.name == "sqlite":
        _transactional_sqlite(engine)
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


run_migrations_online()
