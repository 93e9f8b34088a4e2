"""Plans of action to lift severe actions, one row per revision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans_of_action",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("root_causes", sa.JSON(), nullable=False),
        sa.Column("corrective_actions", sa.JSON(), nullable=False),
        sa.Column("preventive_measures", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_on", sa.Date(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["enforcement_actions.id"],
            name=op.f("fk_plans_of_action_action_id_enforcement_actions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plans_of_action")),
    )
    with op.batch_alter_table("plans_of_action", schema=None) as batch_op:
        batch_op.create_index("ix_plans_of_action_action", ["action_id", "revision"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("plans_of_action", schema=None) as batch_op:
        batch_op.drop_index("ix_plans_of_action_action")

    op.drop_table("plans_of_action")
