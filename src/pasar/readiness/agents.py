"""The support agents of the regional centers: who must acknowledge documents and who may
sign a handover off (a ``lead``). A roster is kept by hand or imported from a CSV file with
the columns ``ref,name,center,role`` (role optional: agent or lead).

Example::

    add_agent(session, "MKS-001", "Andi Pratama", "Makassar", role="lead", actor="cli")
    import_roster(session, Path("roster.csv"), actor="cli")   # adds new, updates known refs
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.recording import record_new
from pasar.kit.errors import ConflictError, InputError, PasarError, ValidationError
from pasar.kit.text import written
from pasar.readiness import repository as repo
from pasar.readiness.models import AGENT_ROLES, Agent

ROSTER_COLUMNS = ("ref", "name", "center")


def add_agent(
    session: Session, ref: str, name: str, center: str, *, role: str = "agent", actor: str
) -> Agent:
    """A new agent of ``center``; refused when ``ref`` is taken."""
    ref = written(ref, "ref", limit=100, what="an agent's reference")
    if session.scalar(select(Agent.id).where(Agent.ref == ref)) is not None:
        raise ConflictError(f"there is already an agent {ref!r}", field="ref")
    agent = Agent(
        ref=ref,
        name=written(name, "name", limit=200),
        center=written(center, "center", limit=100),
        role=_role(role),
        active=True,
    )
    return record_new(
        session, agent, "readiness_agent", actor=actor, action="readiness.agent.added"
    )


def _role(role: str) -> str:
    if role not in AGENT_ROLES:
        raise ValidationError(f"role {role!r}: use {', '.join(AGENT_ROLES)}", field="role")
    return role


def set_active(session: Session, ref: str, active: bool, *, actor: str) -> Agent:
    """An agent who left (``active=False``) is no longer asked to acknowledge anything."""
    agent = repo.agent_by_ref(session, ref)
    before = snapshot(agent)
    agent.active = active
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.agent." + ("activated" if active else "deactivated"),
        entity_type="readiness_agent",
        entity_id=str(agent.id),
        before=before,
        after=snapshot(agent),
    )
    return agent


@dataclass(frozen=True)
class RosterImport:
    added: int
    updated: int
    unchanged: int


def import_roster(session: Session, path: Path, *, actor: str) -> RosterImport:
    """Agents from a CSV roster: new references added, known ones updated (name, center,
    role). Any bad row stops the import with its row and column; nothing is kept then."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the roster: {exc}", file=str(path)) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ROSTER_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            "the roster needs the columns ref, name, center (and role); "
            f"missing {', '.join(missing)}",
            file=str(path),
            row=1,
            column=missing[0],
        )
    added = updated = unchanged = 0
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        values = {}
        for column in (*ROSTER_COLUMNS, "role"):
            value = (row.get(column) or "").strip()
            if column == "role":
                value = value or "agent"
            try:
                values[column] = (
                    _role(value) if column == "role" else written(value, column, limit=100)
                )
            except PasarError as exc:
                raise InputError(exc.message, file=str(path), row=number, column=column) from exc
        if values["ref"] in seen:
            raise InputError(
                f"agent {values['ref']!r} appears twice", file=str(path), row=number, column="ref"
            )
        seen.add(values["ref"])
        agent = session.scalar(select(Agent).where(Agent.ref == values["ref"]))
        if agent is None:
            add_agent(
                session,
                values["ref"],
                values["name"],
                values["center"],
                role=values["role"],
                actor=actor,
            )
            added += 1
            continue
        wanted = (values["name"], values["center"], values["role"], True)
        if (agent.name, agent.center, agent.role, agent.active) == wanted:
            unchanged += 1
            continue
        before = snapshot(agent)
        agent.name, agent.center, agent.role, agent.active = wanted
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="readiness.agent.updated",
            entity_type="readiness_agent",
            entity_id=str(agent.id),
            before=before,
            after=snapshot(agent),
            context={"file": path.name, "row": number},
        )
        updated += 1
    return RosterImport(added, updated, unchanged)
