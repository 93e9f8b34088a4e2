"""Which creators an agent looks after.

Example::

    assign(session, agent, ["C000001", "C000002"], on=today, actor="user:mira")
    assigned_to(session, agent.id, today)      # frozenset({"C000001", "C000002"})
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit
from pasar.auth.models import User
from pasar.creators.models import CreatorAssignment
from pasar.kit.errors import ValidationError


def assign(
    session: Session, agent: User, creators: Sequence[str], on: dt.date, actor: str
) -> list[CreatorAssignment]:
    """Assign ``creators`` to ``agent`` from ``on`` (creators already assigned are kept once)."""
    if agent.role != "agent":
        raise ValidationError(
            f"{agent.username} has the role {agent.role}, not agent", field="agent"
        )
    held = assigned_to(session, agent.id, on)
    made = []
    for creator in dict.fromkeys(c.strip() for c in creators if c.strip()):
        if creator in held:
            continue
        row = CreatorAssignment(
            agent_id=agent.id, creator_id=creator, starts_on=on, assigned_by=actor
        )
        session.add(row)
        made.append(row)
    session.flush()
    for row in made:
        audit.record(
            session,
            actor=actor,
            action="creator.assigned",
            entity_type="creator",
            entity_id=row.creator_id,
            context={"agent": agent.username},
        )
    return made


def unassign(
    session: Session, agent: User, creators: Sequence[str], on: dt.date, actor: str
) -> int:
    """End the agent's assignments of ``creators`` (the last day is the day before ``on``)."""
    ended = 0
    for row in _open(session, agent.id, on):
        if row.creator_id in creators:
            row.ends_on = on - dt.timedelta(days=1)
            ended += 1
            audit.record(
                session,
                actor=actor,
                action="creator.unassigned",
                entity_type="creator",
                entity_id=row.creator_id,
                context={"agent": agent.username},
            )
    return ended


def assigned_to(session: Session, agent_id: int, on: dt.date) -> frozenset[str]:
    """The creators ``agent_id`` looks after on ``on``."""
    return frozenset(row.creator_id for row in _open(session, agent_id, on))


def _open(session: Session, agent_id: int, on: dt.date) -> list[CreatorAssignment]:
    return list(
        session.scalars(
            select(CreatorAssignment).where(
                CreatorAssignment.agent_id == agent_id,
                CreatorAssignment.starts_on <= on,
                or_(CreatorAssignment.ends_on.is_(None), CreatorAssignment.ends_on >= on),
            )
        )
    )
