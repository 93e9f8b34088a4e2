"""Governance: the points ledger (append-only, enforced by triggers), enforcement actions and
warnings, and the log of pipeline days.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enforcement_actions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("step_at", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.String(length=100), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("scheme", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("balance", sa.Integer(), nullable=True),
        sa.Column("explanation_en", sa.Text(), nullable=True),
        sa.Column("explanation_id", sa.Text(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_actions")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_enforcement_actions_dedupe_key")),
    )
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_enforcement_actions_seller", ["seller_id", "starts_on"], unique=False
        )
        batch_op.create_index("ix_enforcement_actions_status", ["status"], unique=False)

    op.create_table(
        "governance_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("scheme", sa.String(length=100), nullable=False),
        sa.Column("pack", sa.String(length=100), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.Column("finished_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_runs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_governance_runs_dedupe_key")),
    )
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("offsets_id", sa.Integer(), nullable=True),
        sa.Column("policy_id", sa.String(length=100), nullable=True),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("pack", sa.String(length=100), nullable=True),
        sa.Column("scheme", sa.String(length=100), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("repeat", sa.Boolean(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=True),
        sa.Column("explanation_en", sa.Text(), nullable=True),
        sa.Column("explanation_id", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["offsets_id"],
            ["points_entries.id"],
            name=op.f("fk_points_entries_offsets_id_points_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_points_entries")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_points_entries_dedupe_key")),
    )
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.create_index("ix_points_entries_expires", ["expires_on"], unique=False)
        batch_op.create_index(
            "ix_points_entries_seller_day", ["seller_id", "effective_on"], unique=False
        )
    _forbid_rewrites()


def _forbid_rewrites() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER points_entries_no_{verb.lower()} BEFORE {verb} ON points_entries "
                "BEGIN SELECT RAISE(ABORT, 'points_entries is append-only'); END"
            )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION points_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'points_entries is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER points_entries_no_rewrite BEFORE UPDATE OR DELETE ON points_entries "
            "FOR EACH ROW EXECUTE FUNCTION points_entries_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS points_entries_no_rewrite ON points_entries")
        op.execute("DROP FUNCTION IF EXISTS points_entries_append_only()")
    with op.batch_alter_table("points_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_points_entries_seller_day")
        batch_op.drop_index("ix_points_entries_expires")

    op.drop_table("points_entries")
    op.drop_table("governance_runs")
    with op.batch_alter_table("enforcement_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_enforcement_actions_status")
        batch_op.drop_index("ix_enforcement_actions_seller")

    op.drop_table("enforcement_actions")
