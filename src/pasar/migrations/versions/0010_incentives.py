"""LIVE incentives: programs, enrolments, payouts, experiments.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incentive_programs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_programs")),
        sa.UniqueConstraint("key", name=op.f("uq_incentive_programs_key")),
    )
    op.create_table(
        "incentive_enrolments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=200), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("trailing_gmv", sa.Float(), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.Column("stratum", sa.String(length=100), nullable=False),
        sa.Column("segment", sa.JSON(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("program_digest", sa.String(length=64), nullable=False),
        sa.Column("enrolled_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_enrolments_program_id_incentive_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_enrolments")),
    )
    with op.batch_alter_table("incentive_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incentive_enrolments_program", ["program_id", "seller_id"], unique=True
        )
        batch_op.create_index("ix_incentive_enrolments_seller", ["seller_id"], unique=False)

    op.create_table(
        "incentive_payout_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dedupe_key", sa.String(length=300), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("cutoff", sa.Date(), nullable=False),
        sa.Column("pay_on", sa.Date(), nullable=False),
        sa.Column("program_source", sa.Text(), nullable=False),
        sa.Column("program_digest", sa.String(length=64), nullable=False),
        sa.Column("warehouse_version", sa.Integer(), nullable=False),
        sa.Column("lines_digest", sa.String(length=64), nullable=False),
        sa.Column("merchants", sa.Integer(), nullable=False),
        sa.Column("paid_merchants", sa.Integer(), nullable=False),
        sa.Column("gross", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("realised_cost", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("clawback", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_payout_runs_program_id_incentive_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_payout_runs")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_incentive_payout_runs_dedupe_key")),
    )
    with op.batch_alter_table("incentive_payout_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incentive_payout_runs_program", ["program_id", "period_start"], unique=False
        )

    op.create_table(
        "incentive_payout_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("arm", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("exclusion", sa.String(length=200), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=False),
        sa.Column("level", sa.String(length=100), nullable=True),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("measures", sa.JSON(), nullable=False),
        sa.Column("gross", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("capped", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("clawback", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("explanation_en", sa.Text(), nullable=False),
        sa.Column("explanation_id", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["incentive_payout_runs.id"],
            name=op.f("fk_incentive_payout_lines_run_id_incentive_payout_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_payout_lines")),
    )
    with op.batch_alter_table("incentive_payout_lines", schema=None) as batch_op:
        batch_op.create_index("ix_incentive_payout_lines_run", ["run_id", "seller_id"], unique=True)
        batch_op.create_index("ix_incentive_payout_lines_seller", ["seller_id"], unique=False)

    op.create_table(
        "incentive_experiments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("design", sa.String(length=20), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("pre_start", sa.Date(), nullable=False),
        sa.Column("pre_end", sa.Date(), nullable=False),
        sa.Column("srm_p_value", sa.Float(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["incentive_programs.id"],
            name=op.f("fk_incentive_experiments_program_id_incentive_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incentive_experiments")),
    )
    with op.batch_alter_table("incentive_experiments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_incentive_experiments_program", ["program_id", "period_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("incentive_experiments", schema=None) as batch_op:
        batch_op.drop_index("ix_incentive_experiments_program")
    op.drop_table("incentive_experiments")
    with op.batch_alter_table("incentive_payout_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_incentive_payout_lines_seller")
        batch_op.drop_index("ix_incentive_payout_lines_run")
    op.drop_table("incentive_payout_lines")
    with op.batch_alter_table("incentive_payout_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_incentive_payout_runs_program")
    op.drop_table("incentive_payout_runs")
    with op.batch_alter_table("incentive_enrolments", schema=None) as batch_op:
        batch_op.drop_index("ix_incentive_enrolments_seller")
        batch_op.drop_index("ix_incentive_enrolments_program")
    op.drop_table("incentive_enrolments")
    op.drop_table("incentive_programs")
