"""Agencies: outsourced outreach agencies and the agency each agent works for.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db
from pasar.kit.changes import notify_trigger

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC_TIME = pasar.kit.db.UTCDateTime(timezone=True)
TABLES = ("agencies", "agency_agents")


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
        sa.UniqueConstraint("name", name=op.f("uq_agencies_name")),
    )
    op.create_table(
        "agency_agents",
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_agency_agents_agency_id_agencies")
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_agency_agents_agent_id_users")
        ),
        sa.PrimaryKeyConstraint("agent_id", name=op.f("pk_agency_agents")),
    )
    with op.batch_alter_table("agency_agents", schema=None) as batch_op:
        batch_op.create_index("ix_agency_agents_agency", ["agency_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":  # every table tells caches when it changed (0011)
        inspector = sa.inspect(bind)
        for table in TABLES:
            columns = [c["name"] for c in inspector.get_columns(table)]
            op.execute(notify_trigger(table, columns))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS pasar_notify_change ON {table}")
    with op.batch_alter_table("agency_agents", schema=None) as batch_op:
        batch_op.drop_index("ix_agency_agents_agency")
    op.drop_table("agency_agents")
    op.drop_table("agencies")
