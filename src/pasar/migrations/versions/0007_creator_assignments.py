"""Creator assignments: which creators an agent looks after, and since when.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "creator_assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("creator_id", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_creator_assignments_agent_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_assignments")),
    )
    with op.batch_alter_table("creator_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_creator_assignments_agent", ["agent_id", "ends_on"], unique=False)
        batch_op.create_index("ix_creator_assignments_creator", ["creator_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("creator_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_creator_assignments_creator")
        batch_op.drop_index("ix_creator_assignments_agent")

    op.drop_table("creator_assignments")
