"""Migrations: idempotent upgrade, and models and migrations describe the same schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

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
