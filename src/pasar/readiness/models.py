"""ORM models of launch readiness: programs and their tasks and dependencies, the RAID log,
gates and their checks, SOP and training documents with versions and acknowledgements, the
support agents who acknowledge them, and handovers to regional teams.

Everything people edit is :class:`~pasar.kit.versioning.Versioned` (a stale edit loses with a
conflict) and every change is audited by the service that makes it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pasar.kit.db import Base, utcnow
from pasar.kit.versioning import Versioned

PROGRAM_STATUSES = ("planning", "ready", "launched", "cancelled")
TASK_STATUSES = ("todo", "in_progress", "blocked", "done")
RAID_KINDS = ("risk", "assumption", "issue", "dependency")
RISK_STATUSES = ("open", "mitigating", "accepted", "closed")
DOCUMENT_KINDS = ("sop", "training")
AGENT_ROLES = ("agent", "lead")
GATE_RESULTS = ("pass", "fail", "no_data")
HANDOVER_STATUSES = ("open", "signed_off")


class Program(Base, Versioned):
    """A launch-readiness program: a new product or service made ready for its pilot
    centers by ``launch_on``. ``ready`` is set only when every gate passes, or with an
    override reason."""

    __tablename__ = "readiness_programs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    starts_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    launch_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    centers: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="planning")
    ready_on: Mapped[dt.date | None] = mapped_column(Date)
    ready_by: Mapped[str | None] = mapped_column(String(200))
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Task(Base, Versioned):
    """One piece of work of a program, planned from ``start_on`` through ``due_on``
    (a milestone is one day with no duration). ``baseline_due_on`` is the first plan."""

    __tablename__ = "readiness_tasks"
    __table_args__ = (
        UniqueConstraint("program_id", "name", name="uq_readiness_tasks_program_name"),
        Index("ix_readiness_tasks_program", "program_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("readiness_programs.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    team: Mapped[str] = mapped_column(String(100), nullable=False)
    start_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    baseline_due_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    milestone: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="todo")
    effort_days: Mapped[float | None] = mapped_column(Float)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)

    @property
    def duration(self) -> int:
        """Days of work: 0 for a milestone, else the planned days, both ends included."""
        return 0 if self.milestone else (self.due_on - self.start_on).days + 1


class Dependency(Base):
    """``successor`` cannot start before ``predecessor`` is finished (finish-to-start)."""

    __tablename__ = "readiness_dependencies"
    __table_args__ = (
        UniqueConstraint("predecessor_id", "successor_id", name="uq_readiness_dependencies_pair"),
        Index("ix_readiness_dependencies_program", "program_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("readiness_programs.id"), nullable=False)
    predecessor_id: Mapped[int] = mapped_column(ForeignKey("readiness_tasks.id"), nullable=False)
    successor_id: Mapped[int] = mapped_column(ForeignKey("readiness_tasks.id"), nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Risk(Base, Versioned):
    """One entry of the RAID log (risk, assumption, issue or dependency): probability and
    impact from 1 to 5, an owner, a mitigation due by ``due_on``, linked tasks."""

    __tablename__ = "readiness_risks"
    __table_args__ = (Index("ix_readiness_risks_program", "program_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("readiness_programs.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="risk")
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    probability: Mapped[int] = mapped_column(Integer, nullable=False)
    impact: Mapped[int] = mapped_column(Integer, nullable=False)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    mitigation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    task_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)

    @property
    def score(self) -> int:
        """Probability × impact, 1 to 25."""
        return self.probability * self.impact


class Gate(Base, Versioned):
    """A readiness gate: a policy (``policy_id`` of a pack in the library) or a condition of
    its own over the center snapshot (and readiness columns such as ``sop_ack_rate``), which
    must hold for each of ``centers`` (the program's pilot centers when empty)."""

    __tablename__ = "readiness_gates"
    __table_args__ = (
        UniqueConstraint("program_id", "name", name="uq_readiness_gates_program_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("readiness_programs.id"), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    policy_id: Mapped[str | None] = mapped_column(String(100))
    condition: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, nullable=False, default="")
    centers: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class GateCheck(Base):
    """What a gate found for one center as of one day: pass, fail or no data (a metric below
    its minimum volume), the values it read and the condition and policy version checked.
    Checking the same day again replaces the day's row."""

    __tablename__ = "readiness_gate_checks"
    __table_args__ = (
        UniqueConstraint("gate_id", "as_of", "center", name="uq_readiness_gate_checks_day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    gate_id: Mapped[int] = mapped_column(ForeignKey("readiness_gates.id"), nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    center: Mapped[str] = mapped_column(String(100), nullable=False)
    result: Mapped[str] = mapped_column(String(10), nullable=False)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    condition: Mapped[str] = mapped_column(Text, nullable=False)
    policy_version: Mapped[int | None] = mapped_column(Integer)
    checked_by: Mapped[str] = mapped_column(String(200), nullable=False)
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Document(Base, Versioned):
    """An SOP or training document in Markdown, with an owner and a review cycle; agents of
    each center in ``centers`` must acknowledge its current version."""

    __tablename__ = "readiness_documents"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(300), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False, default="sop")
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    program_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_programs.id"))
    centers: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    review_every_days: Mapped[int] = mapped_column(Integer, nullable=False, default=180)
    next_review_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class DocumentVersion(Base):
    """One published text of a document (never edited: a change is a new version)."""

    __tablename__ = "readiness_document_versions"
    __table_args__ = (
        UniqueConstraint("document_id", "number", name="uq_readiness_document_versions_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("readiness_documents.id"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Agent(Base, Versioned):
    """A support agent (or team lead) of a regional center, who acknowledges documents."""

    __tablename__ = "readiness_agents"
    __table_args__ = (Index("ix_readiness_agents_center", "center", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    ref: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    center: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False, default="agent")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Acknowledgement(Base):
    """Agent ``agent_id`` read and acknowledged version ``version`` of a document (only that
    version: a new version needs a new acknowledgement)."""

    __tablename__ = "readiness_acknowledgements"
    __table_args__ = (
        UniqueConstraint(
            "document_id", "version", "agent_id", name="uq_readiness_acknowledgements_once"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("readiness_documents.id"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    agent_id: Mapped[int] = mapped_column(ForeignKey("readiness_agents.id"), nullable=False)
    acknowledged_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class Handover(Base, Versioned):
    """Handing a program's operations over to one receiving regional center: a checklist,
    then the sign-off of one of that center's leads."""

    __tablename__ = "readiness_handovers"
    __table_args__ = (
        UniqueConstraint("program_id", "center", name="uq_readiness_handovers_center"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("readiness_programs.id"), nullable=False)
    center: Mapped[str] = mapped_column(String(100), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="open")
    signed_by_agent_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_agents.id"))
    signed_on: Mapped[dt.date | None] = mapped_column(Date)
    override_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow, nullable=False)


class HandoverItem(Base, Versioned):
    """One line of a handover checklist, optionally standing for a gate (it must pass for
    the center) or a document (the center's agents must all acknowledge its current
    version)."""

    __tablename__ = "readiness_handover_items"
    __table_args__ = (Index("ix_readiness_handover_items_handover", "handover_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    handover_id: Mapped[int] = mapped_column(ForeignKey("readiness_handovers.id"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    gate_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_gates.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("readiness_documents.id"))
    done: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    done_by: Mapped[str | None] = mapped_column(String(200))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
