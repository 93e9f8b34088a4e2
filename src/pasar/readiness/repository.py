"""Every query of the readiness domain: rows by id (``NotFoundError`` when missing) and the
lists the services and surfaces read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.kit.errors import NotFoundError
from pasar.readiness.models import (
    Acknowledgement,
    Agent,
    Dependency,
    Document,
    DocumentVersion,
    Gate,
    GateCheck,
    Handover,
    HandoverItem,
    Program,
    Risk,
    Task,
)

Row = TypeVar("Row")

_NAMES: dict[type[Any], str] = {
    Program: "program",
    Task: "task",
    Risk: "risk",
    Gate: "gate",
    Document: "document",
    Agent: "agent",
    Handover: "handover",
    HandoverItem: "checklist item",
}


def get(session: Session, kind: type[Row], row_id: int, *, lock: bool = False) -> Row:
    """Row ``row_id`` of ``kind``, or :class:`NotFoundError` naming what is missing."""
    row = session.get(kind, row_id, with_for_update=lock)
    if row is None:
        raise NotFoundError(f"no {_NAMES.get(kind, kind.__name__.lower())} {row_id}")
    return row


def programs(session: Session) -> Sequence[Program]:
    """Every program, the next launch first."""
    return session.scalars(select(Program).order_by(Program.launch_on, Program.id)).all()


def program_named(session: Session, name: str) -> Program:
    """The program called ``name`` (or whose id ``name`` is)."""
    if name.isdigit():
        found = session.get(Program, int(name))
        if found is not None:
            return found
    program = session.scalar(select(Program).where(Program.name == name))
    if program is None:
        raise NotFoundError(f"no program {name!r}")
    return program


def tasks_of(session: Session, program_id: int) -> Sequence[Task]:
    return session.scalars(
        select(Task).where(Task.program_id == program_id).order_by(Task.start_on, Task.id)
    ).all()


def dependencies_of(session: Session, program_id: int) -> Sequence[Dependency]:
    return session.scalars(
        select(Dependency).where(Dependency.program_id == program_id).order_by(Dependency.id)
    ).all()


def risks_of(session: Session, program_id: int | None = None) -> Sequence[Risk]:
    query = select(Risk).order_by(Risk.id)
    if program_id is not None:
        query = query.where(Risk.program_id == program_id)
    return session.scalars(query).all()


def gates_of(session: Session, program_id: int, *, active_only: bool = True) -> Sequence[Gate]:
    query = select(Gate).where(Gate.program_id == program_id).order_by(Gate.id)
    if active_only:
        query = query.where(Gate.active.is_(True))
    return session.scalars(query).all()


def checks_of(
    session: Session, gate_ids: Sequence[int], since: dt.date | None = None
) -> Sequence[GateCheck]:
    """The stored checks of some gates, oldest first."""
    if not gate_ids:
        return []
    query = select(GateCheck).where(GateCheck.gate_id.in_(list(gate_ids)))
    if since is not None:
        query = query.where(GateCheck.as_of >= since)
    return session.scalars(
        query.order_by(GateCheck.as_of, GateCheck.gate_id, GateCheck.center)
    ).all()


def documents(session: Session, program_id: int | None = None) -> Sequence[Document]:
    query = select(Document).order_by(Document.title)
    if program_id is not None:
        query = query.where(Document.program_id == program_id)
    return session.scalars(query).all()


def document_named(session: Session, title: str) -> Document:
    """The document titled ``title`` (or whose id ``title`` is)."""
    if title.isdigit():
        found = session.get(Document, int(title))
        if found is not None:
            return found
    document = session.scalar(select(Document).where(Document.title == title))
    if document is None:
        raise NotFoundError(f"no document {title!r}")
    return document


def versions_of(session: Session, document_id: int) -> Sequence[DocumentVersion]:
    return session.scalars(
        select(DocumentVersion)
        .where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.number)
    ).all()


def version_of(session: Session, document_id: int, number: int) -> DocumentVersion:
    found = session.scalar(
        select(DocumentVersion).where(
            DocumentVersion.document_id == document_id, DocumentVersion.number == number
        )
    )
    if found is None:
        raise NotFoundError(f"document {document_id} has no version {number}", field="version")
    return found


def agents(
    session: Session, centers: Sequence[str] | None = None, *, active_only: bool = True
) -> Sequence[Agent]:
    """Agents, by center then reference (of ``centers`` when given)."""
    query = select(Agent).order_by(Agent.center, Agent.ref)
    if centers is not None:
        query = query.where(Agent.center.in_(list(centers)))
    if active_only:
        query = query.where(Agent.active.is_(True))
    return session.scalars(query).all()


def agent_by_ref(session: Session, ref: str) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.ref == ref))
    if agent is None:
        raise NotFoundError(f"no agent {ref!r}", field="agent")
    return agent


def acknowledged(session: Session, document_id: int, version: int) -> set[int]:
    """The ids of the agents who acknowledged exactly ``version`` of the document."""
    return set(
        session.scalars(
            select(Acknowledgement.agent_id).where(
                Acknowledgement.document_id == document_id, Acknowledgement.version == version
            )
        )
    )


def handovers_of(session: Session, program_id: int) -> Sequence[Handover]:
    return session.scalars(
        select(Handover).where(Handover.program_id == program_id).order_by(Handover.center)
    ).all()


def items_of(session: Session, handover_id: int) -> Sequence[HandoverItem]:
    return session.scalars(
        select(HandoverItem)
        .where(HandoverItem.handover_id == handover_id)
        .order_by(HandoverItem.position, HandoverItem.id)
    ).all()
