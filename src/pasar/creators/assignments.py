"""Which creators an agent looks after, and the list of assignments managers work from.

Example::

    assign(session, agent, ["C000001", "C000002"], on=today, actor="user:mira")
    assigned_to(session, agent.id, today)      # frozenset({"C000001", "C000002"})
    assignment_rows(session, today, agency="Kreasi Nusantara")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit
from pasar.auth.models import User
from pasar.creators.agencies import find_agency
from pasar.creators.models import Agency, AgencyAgent, CreatorAssignment
from pasar.kit.errors import NotFoundError, ValidationError

MAX_CREATOR_ID = 100


def creator_ids(values: Iterable[str], field: str = "creators") -> list[str]:
    """Creator ids as typed (stripped, each once, in order): at least one, each at most 100
    characters without NUL or whitespace inside."""
    found = list(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    if not found:
        raise ValidationError(f"{field}: give at least one creator id", field=field)
    for value in found:
        if len(value) > MAX_CREATOR_ID or "\x00" in value or any(c.isspace() for c in value):
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise ValidationError(
                f"{field}: {shown!r} is not a creator id (at most {MAX_CREATOR_ID} characters, "
                "no spaces)",
                field=field,
            )
    return found


def agent_named(session: Session, username: str, field: str = "agent") -> User:
    """The user ``username`` with the agent role (:class:`NotFoundError` when there is none,
    :class:`ValidationError` when the user is not an agent)."""
    name = (username or "").strip()
    if not name:
        raise ValidationError(f"{field}: name the agent", field=field)
    user = session.scalar(select(User).where(User.username == name)) if len(name) <= 100 else None
    if user is None:
        shown = name if len(name) <= 40 else name[:40] + "…"
        raise NotFoundError(f"no user {shown!r}")
    if user.role != "agent":
        raise ValidationError(f"{user.username} has the role {user.role}, not agent", field=field)
    return user


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
    for creator in creator_ids(creators):
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
            context={"agent": agent.username, "starts_on": on.isoformat()},
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
                context={"agent": agent.username, "ends_on": row.ends_on.isoformat()},
            )
    return ended


def assigned_to(session: Session, agent_id: int, on: dt.date) -> frozenset[str]:
    """The creators ``agent_id`` looks after on ``on``."""
    return frozenset(row.creator_id for row in _open(session, agent_id, on))


def assignment_rows(
    session: Session,
    on: dt.date,
    *,
    agent: str | None = None,
    agency: str | None = None,
    creator_id: str | None = None,
) -> list[dict[str, Any]]:
    """The assignments open on ``on`` (of one agent, the agents of one agency, or one
    creator), each with its agent and the agent's agency; by agent, then creator."""
    query = (
        select(CreatorAssignment, User.username, Agency.name)
        .join(User, User.id == CreatorAssignment.agent_id)
        .outerjoin(AgencyAgent, AgencyAgent.agent_id == User.id)
        .outerjoin(Agency, Agency.id == AgencyAgent.agency_id)
        .where(CreatorAssignment.open_on(on))
        .order_by(User.username, CreatorAssignment.creator_id, CreatorAssignment.id)
    )
    if agent:
        query = query.where(User.username == agent)
    if agency:
        found = find_agency(session, agency)
        query = query.where(AgencyAgent.agency_id == (found.id if found is not None else -1))
    if creator_id:
        query = query.where(CreatorAssignment.creator_id == creator_id)
    return [
        {
            "id": row.id,
            "agent": username,
            "agency": agency_name,
            "creator_id": row.creator_id,
            "starts_on": row.starts_on,
            "ends_on": row.ends_on,
            "assigned_by": row.assigned_by,
        }
        for row, username, agency_name in session.execute(query)
    ]


def _open(session: Session, agent_id: int, on: dt.date) -> list[CreatorAssignment]:
    return list(
        session.scalars(
            select(CreatorAssignment).where(
                CreatorAssignment.agent_id == agent_id, CreatorAssignment.open_on(on)
            )
        )
    )
