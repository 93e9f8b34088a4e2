"""Creator operations: pitches and outreach quotas, samples, sample vouchers and their codes,
the creator issue desk and its notes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_TIME = pasar.kit.db.UTCDateTime(timezone=True)
OPEN_PITCH = sa.text("stage NOT IN ('declined', 'ghosted')")  # two agents never pitch twice


def upgrade() -> None:
    op.create_table(
        "creator_outreach_quotas",
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("weekly_limit", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_creator_outreach_quotas")),
    )
    op.create_table(
        "creator_pitches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("creator_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_action", sa.String(length=300), nullable=True),
        sa.Column("next_action_on", sa.Date(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("quota_week", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("stage_changed_at", UTC_TIME, nullable=False),
        sa.Column("contacted_at", UTC_TIME, nullable=True),
        sa.Column("replied_at", UTC_TIME, nullable=True),
        sa.Column("agreed_at", UTC_TIME, nullable=True),
        sa.Column("sample_sent_at", UTC_TIME, nullable=True),
        sa.Column("content_posted_at", UTC_TIME, nullable=True),
        sa.Column("selling_at", UTC_TIME, nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_pitches")),
    )
    op.create_index("ix_creator_pitches_creator", "creator_pitches", ["creator_id"], unique=False)
    op.create_index(
        "ix_creator_pitches_owner", "creator_pitches", ["owner", "next_action_on"], unique=False
    )
    op.create_index(
        "ix_creator_pitches_seller_week",
        "creator_pitches",
        ["seller_id", "quota_week"],
        unique=False,
    )
    op.create_index(
        "uq_creator_pitches_open",
        "creator_pitches",
        ["seller_id", "creator_id"],
        unique=True,
        sqlite_where=OPEN_PITCH,
        postgresql_where=OPEN_PITCH,
    )
    op.create_table(
        "creator_sample_vouchers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("face_value", sa.BigInteger(), nullable=False),
        sa.Column("budget", sa.BigInteger(), nullable=False),
        sa.Column("spent", sa.BigInteger(), nullable=False),
        sa.Column("redemptions", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_sample_vouchers")),
    )
    op.create_index(
        "ix_creator_sample_vouchers_seller", "creator_sample_vouchers", ["seller_id"], unique=False
    )
    op.create_table(
        "creator_samples",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("creator_id", sa.String(length=100), nullable=False),
        sa.Column("seller_id", sa.String(length=100), nullable=False),
        sa.Column("product_id", sa.String(length=100), nullable=False),
        sa.Column("pitch_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("point_of_contact", sa.String(length=100), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", UTC_TIME, nullable=False),
        sa.Column("decision_due_at", UTC_TIME, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("eligibility", sa.JSON(), nullable=True),
        sa.Column("decided_at", UTC_TIME, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("reject_code", sa.String(length=20), nullable=True),
        sa.Column("shipped_at", UTC_TIME, nullable=True),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("delivered_at", UTC_TIME, nullable=True),
        sa.Column("content_due_at", UTC_TIME, nullable=True),
        sa.Column("extended_at", UTC_TIME, nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("content_posted_at", UTC_TIME, nullable=True),
        sa.Column("content_url", sa.String(length=500), nullable=True),
        sa.Column("content_format", sa.String(length=10), nullable=True),
        sa.Column("posted_late", sa.Boolean(), nullable=True),
        sa.Column("overdue_flagged_at", UTC_TIME, nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("sample_cost", sa.BigInteger(), nullable=True),
        sa.Column("shipping_cost", sa.BigInteger(), nullable=True),
        sa.Column("refund_goal_orders", sa.Integer(), nullable=True),
        sa.Column("goal_orders", sa.Integer(), nullable=False),
        sa.Column("goal_due_at", UTC_TIME, nullable=True),
        sa.Column("refund_status", sa.String(length=10), nullable=True),
        sa.Column("refund_settled_at", UTC_TIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["creator_pitches.id"],
            name=op.f("fk_creator_samples_pitch_id_creator_pitches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_samples")),
    )
    op.create_index(
        "ix_creator_samples_creator",
        "creator_samples",
        ["creator_id", "requested_at"],
        unique=False,
    )
    op.create_index("ix_creator_samples_seller", "creator_samples", ["seller_id"], unique=False)
    op.create_index("ix_creator_samples_status", "creator_samples", ["status"], unique=False)
    op.create_table(
        "creator_issues",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("creator_id", sa.String(length=100), nullable=True),
        sa.Column("seller_id", sa.String(length=100), nullable=True),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("pitch_id", sa.Integer(), nullable=True),
        sa.Column("raised_by_kind", sa.String(length=10), nullable=False),
        sa.Column("raised_by", sa.String(length=200), nullable=False),
        sa.Column("point_of_contact", sa.String(length=100), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("first_response_due_at", UTC_TIME, nullable=False),
        sa.Column("first_response_at", UTC_TIME, nullable=True),
        sa.Column("resolution_due_at", UTC_TIME, nullable=False),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Integer(), nullable=False),
        sa.Column("reopened_at", UTC_TIME, nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("escalated_at", UTC_TIME, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pitch_id"],
            ["creator_pitches.id"],
            name=op.f("fk_creator_issues_pitch_id_creator_pitches"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["creator_samples.id"],
            name=op.f("fk_creator_issues_sample_id_creator_samples"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_issues")),
    )
    op.create_index(
        "ix_creator_issues_contact", "creator_issues", ["point_of_contact"], unique=False
    )
    op.create_index("ix_creator_issues_creator", "creator_issues", ["creator_id"], unique=False)
    op.create_index(
        "ix_creator_issues_status", "creator_issues", ["status", "priority"], unique=False
    )
    op.create_table(
        "creator_voucher_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("creator_id", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("redeemed_at", UTC_TIME, nullable=True),
        sa.Column("redeemed_by", sa.String(length=200), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=True),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("order_ref", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["sample_id"],
            ["creator_samples.id"],
            name=op.f("fk_creator_voucher_codes_sample_id_creator_samples"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["creator_sample_vouchers.id"],
            name=op.f("fk_creator_voucher_codes_voucher_id_creator_sample_vouchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_voucher_codes")),
        sa.UniqueConstraint("code", name="uq_creator_voucher_codes_code"),
    )
    op.create_index(
        "ix_creator_voucher_codes_creator", "creator_voucher_codes", ["creator_id"], unique=False
    )
    op.create_index(
        "ix_creator_voucher_codes_voucher", "creator_voucher_codes", ["voucher_id"], unique=False
    )
    op.create_table(
        "creator_issue_notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["creator_issues.id"],
            name=op.f("fk_creator_issue_notes_issue_id_creator_issues"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_creator_issue_notes")),
    )
    op.create_index(
        "ix_creator_issue_notes_issue",
        "creator_issue_notes",
        ["issue_id", "created_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_creator_issue_notes_issue", table_name="creator_issue_notes")
    op.drop_table("creator_issue_notes")
    op.drop_index("ix_creator_voucher_codes_voucher", table_name="creator_voucher_codes")
    op.drop_index("ix_creator_voucher_codes_creator", table_name="creator_voucher_codes")
    op.drop_table("creator_voucher_codes")
    op.drop_index("ix_creator_issues_status", table_name="creator_issues")
    op.drop_index("ix_creator_issues_creator", table_name="creator_issues")
    op.drop_index("ix_creator_issues_contact", table_name="creator_issues")
    op.drop_table("creator_issues")
    op.drop_index("ix_creator_samples_status", table_name="creator_samples")
    op.drop_index("ix_creator_samples_seller", table_name="creator_samples")
    op.drop_index("ix_creator_samples_creator", table_name="creator_samples")
    op.drop_table("creator_samples")
    op.drop_index("ix_creator_sample_vouchers_seller", table_name="creator_sample_vouchers")
    op.drop_table("creator_sample_vouchers")
    op.drop_index(
        "uq_creator_pitches_open",
        table_name="creator_pitches",
        sqlite_where=OPEN_PITCH,
        postgresql_where=OPEN_PITCH,
    )
    op.drop_index("ix_creator_pitches_seller_week", table_name="creator_pitches")
    op.drop_index("ix_creator_pitches_owner", table_name="creator_pitches")
    op.drop_index("ix_creator_pitches_creator", table_name="creator_pitches")
    op.drop_table("creator_pitches")
    op.drop_table("creator_outreach_quotas")
