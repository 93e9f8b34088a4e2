"""Launch readiness: programs, tasks, dependencies, risks (RAID), gates and their checks, documents
with versions and acknowledgements, support agents, handovers.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pasar.kit.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "readiness_agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ref", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("center", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_agents")),
        sa.UniqueConstraint("ref", name=op.f("uq_readiness_agents_ref")),
    )
    with op.batch_alter_table("readiness_agents", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_agents_center", ["center", "active"], unique=False)

    op.create_table(
        "readiness_programs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("launch_on", sa.Date(), nullable=False),
        sa.Column("centers", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("ready_on", sa.Date(), nullable=True),
        sa.Column("ready_by", sa.String(length=200), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_programs")),
        sa.UniqueConstraint("name", name=op.f("uq_readiness_programs_name")),
    )
    op.create_table(
        "readiness_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=True),
        sa.Column("centers", sa.JSON(), nullable=False),
        sa.Column("review_every_days", sa.Integer(), nullable=False),
        sa.Column("next_review_on", sa.Date(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_documents_program_id_readiness_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_documents")),
        sa.UniqueConstraint("title", name=op.f("uq_readiness_documents_title")),
    )
    op.create_table(
        "readiness_gates",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("policy_id", sa.String(length=100), nullable=True),
        sa.Column("condition", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("centers", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_gates_program_id_readiness_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_gates")),
        sa.UniqueConstraint("program_id", "name", name="uq_readiness_gates_program_name"),
    )
    op.create_table(
        "readiness_handovers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("center", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("signed_by_agent_id", sa.Integer(), nullable=True),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_handovers_program_id_readiness_programs"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_agent_id"],
            ["readiness_agents.id"],
            name=op.f("fk_readiness_handovers_signed_by_agent_id_readiness_agents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_handovers")),
        sa.UniqueConstraint("program_id", "center", name="uq_readiness_handovers_center"),
    )
    op.create_table(
        "readiness_risks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("impact", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("task_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_risks_program_id_readiness_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_risks")),
    )
    with op.batch_alter_table("readiness_risks", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_risks_program", ["program_id", "status"], unique=False)

    op.create_table(
        "readiness_tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=100), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("baseline_due_on", sa.Date(), nullable=False),
        sa.Column("milestone", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("effort_days", sa.Float(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_tasks_program_id_readiness_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_tasks")),
        sa.UniqueConstraint("program_id", "name", name="uq_readiness_tasks_program_name"),
    )
    with op.batch_alter_table("readiness_tasks", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_tasks_program", ["program_id"], unique=False)

    op.create_table(
        "readiness_acknowledgements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["readiness_agents.id"],
            name=op.f("fk_readiness_acknowledgements_agent_id_readiness_agents"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["readiness_documents.id"],
            name=op.f("fk_readiness_acknowledgements_document_id_readiness_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_acknowledgements")),
        sa.UniqueConstraint(
            "document_id", "version", "agent_id", name="uq_readiness_acknowledgements_once"
        ),
    )
    op.create_table(
        "readiness_dependencies",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("program_id", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=False),
        sa.Column("successor_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["predecessor_id"],
            ["readiness_tasks.id"],
            name=op.f("fk_readiness_dependencies_predecessor_id_readiness_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["readiness_programs.id"],
            name=op.f("fk_readiness_dependencies_program_id_readiness_programs"),
        ),
        sa.ForeignKeyConstraint(
            ["successor_id"],
            ["readiness_tasks.id"],
            name=op.f("fk_readiness_dependencies_successor_id_readiness_tasks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_dependencies")),
        sa.UniqueConstraint(
            "predecessor_id", "successor_id", name="uq_readiness_dependencies_pair"
        ),
    )
    with op.batch_alter_table("readiness_dependencies", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_dependencies_program", ["program_id"], unique=False)

    op.create_table(
        "readiness_document_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["readiness_documents.id"],
            name=op.f("fk_readiness_document_versions_document_id_readiness_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_document_versions")),
        sa.UniqueConstraint("document_id", "number", name="uq_readiness_document_versions_number"),
    )
    op.create_table(
        "readiness_gate_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("center", sa.String(length=100), nullable=False),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=True),
        sa.Column("checked_by", sa.String(length=200), nullable=False),
        sa.Column("checked_at", pasar.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["readiness_gates.id"],
            name=op.f("fk_readiness_gate_checks_gate_id_readiness_gates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_gate_checks")),
        sa.UniqueConstraint("gate_id", "as_of", "center", name="uq_readiness_gate_checks_day"),
    )
    op.create_table(
        "readiness_handover_items",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("handover_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("gate_id", sa.Integer(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["readiness_documents.id"],
            name=op.f("fk_readiness_handover_items_document_id_readiness_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["readiness_gates.id"],
            name=op.f("fk_readiness_handover_items_gate_id_readiness_gates"),
        ),
        sa.ForeignKeyConstraint(
            ["handover_id"],
            ["readiness_handovers.id"],
            name=op.f("fk_readiness_handover_items_handover_id_readiness_handovers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_readiness_handover_items")),
    )
    with op.batch_alter_table("readiness_handover_items", schema=None) as batch_op:
        batch_op.create_index("ix_readiness_handover_items_handover", ["handover_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("readiness_handover_items", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_handover_items_handover")

    op.drop_table("readiness_handover_items")
    op.drop_table("readiness_gate_checks")
    op.drop_table("readiness_document_versions")
    with op.batch_alter_table("readiness_dependencies", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_dependencies_program")

    op.drop_table("readiness_dependencies")
    op.drop_table("readiness_acknowledgements")
    with op.batch_alter_table("readiness_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_tasks_program")

    op.drop_table("readiness_tasks")
    with op.batch_alter_table("readiness_risks", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_risks_program")

    op.drop_table("readiness_risks")
    op.drop_table("readiness_handovers")
    op.drop_table("readiness_gates")
    op.drop_table("readiness_documents")
    op.drop_table("readiness_programs")
    with op.batch_alter_table("readiness_agents", schema=None) as batch_op:
        batch_op.drop_index("ix_readiness_agents_center")

    op.drop_table("readiness_agents")
