"""Migrations: idempotent upgrade, and models and migrations describe the same schema."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from pasar import migrations
from pasar.models import metadata


def test_upgrade_twice_changes_nothing(database_url: str) -> None:
    assert migrations.current_revision(database_url) is None
    migrations.upgrade(database_url)
    engine = create_engine(database_url)
    tables_after_first = set(inspect(engine).get_table_names())
    migrations.upgrade(database_url)
    assert set(inspect(create_engine(database_url)).get_table_names()) == tables_after_first
    assert "audit_events" in tables_after_first
    assert migrations.current_revision(database_url) == migrations.head_revision()
    engine.dispose()


def test_models_and_migrations_agree(database_url: str) -> None:
    migrations.upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == [], f"models differ from migrations: {differences}"


def test_every_table_tells_listeners_of_its_changes_on_postgresql(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("change notifications are a PostgreSQL feature")
    migrations.upgrade(database_url)
    engine = create_engine(database_url)
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names()) - {"alembic_version"}
        watched = set(
            connection.scalars(
                text(
                    "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname = 'pasar_notify_change' "
                    "AND c.relnamespace = current_schema()::regnamespace"
                )
            )
        )
    engine.dispose()
    assert tables and tables - watched == set(), "tables without the change trigger (0011)"
