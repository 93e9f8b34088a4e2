"""Change notifications: on PostgreSQL every table tells listeners when it changed.

Servers cache reads (a token's user, a seller's standing) for as long as the tables they came
from are unchanged; ``pasar.kit.changes.ChangeFeed`` hears the notifications. Nothing on SQLite.
A table added by a later migration needs the same trigger (``notify_trigger``); a test checks
that every table has it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pasar.kit.changes import NOTIFY_FUNCTION, notify_trigger

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

UNWATCHED = {"alembic_version"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(NOTIFY_FUNCTION)
    inspector = sa.inspect(bind)
    for table in sorted(set(inspector.get_table_names()) - UNWATCHED):
        columns = [c["name"] for c in inspector.get_columns(table)]
        op.execute(notify_trigger(table, columns))


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table in sorted(set(sa.inspect(bind).get_table_names()) - UNWATCHED):
        op.execute(f"DROP TRIGGER IF EXISTS pasar_notify_change ON {table}")
    op.execute("DROP FUNCTION IF EXISTS pasar_notify_change()")
