"""Outsourced outreach agencies: the firms agents work for, which agent belongs to which, and
what each agency looks after.

An agent belongs to at most one agency (moving it to another ends the first membership);
agents' scorecards are summed per agency by :func:`pasar.creators.funnel.agency_scorecard`
with the membership of today. Every change is audited.

Example::

    agency = create_agency(session, "Kreasi Nusantara", "user:cm", contact="ops@kreasi.id")
    join_agency(session, "Kreasi Nusantara", [mira, budi], today, "user:cm")
    agency_of_agents(session)          # {"budi": "Kreasi Nusantara", "mira": "Kreasi Nusantara"}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pasar.audit.service import audit
from pasar.auth.models import User
from pasar.creators.funnel import NO_AGENCY
from pasar.creators.models import Agency, AgencyAgent, CreatorAssignment
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError

MAX_NAME = 100
MAX_CONTACT = 200


def _text(value: str | None, field: str, longest: int, required: bool) -> str | None:
    kept = " ".join((value or "").split())  # one line, single spaces
    if not kept:
        if required:
            raise ValidationError(f"{field}: give a {field}", field=field)
        return None
    if len(kept) > longest or "\x00" in kept:
        raise ValidationError(f"{field}: at most {longest} characters, without NUL", field=field)
    return kept


def create_agency(session: Session, name: str, actor: str, contact: str | None = None) -> Agency:
    """A new agency named ``name`` (unique regardless of case)."""
    kept = _text(name, "name", MAX_NAME, required=True)
    assert kept is not None
    if kept == NO_AGENCY or kept.startswith("("):  # "(no agency)" groups in-house owners
        raise ValidationError(f"name: {kept!r} is reserved", field="name")
    if find_agency(session, kept) is not None:
        raise ConflictError(f"there is already an agency {kept!r}", field="name")
    agency = Agency(
        name=kept, contact=_text(contact, "contact", MAX_CONTACT, False), created_by=actor
    )
    session.add(agency)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agency.created",
        entity_type="agency",
        entity_id=str(agency.id),
        after={"name": agency.name, "contact": agency.contact},
    )
    return agency


def find_agency(session: Session, name: str) -> Agency | None:
    """The agency called ``name`` in any case, or ``None`` (compared in Python: agencies are
    few, and every database lowers letters its own way)."""
    wanted = " ".join(name.split()).casefold()
    return next((a for a in session.scalars(select(Agency)) if a.name.casefold() == wanted), None)


def agency_named(session: Session, name: str, field: str = "agency") -> Agency:
    """The agency called ``name`` (any case); :class:`NotFoundError` when there is none."""
    kept = _text(name, field, MAX_NAME, required=True)
    assert kept is not None
    found = find_agency(session, kept)
    if found is None:
        raise NotFoundError(f"no agency {kept!r}")
    return found


def join_agency(
    session: Session, agency: str, agents: Sequence[User], on: dt.date, actor: str
) -> int:
    """Make ``agents`` work for ``agency`` from ``on`` (leaving any agency they were in);
    the number of agents whose agency changed."""
    target = agency_named(session, agency)
    changed = 0
    for agent in agents:
        if agent.role != "agent":
            raise ValidationError(
                f"{agent.username} has the role {agent.role}, not agent", field="agents"
            )
        member = session.get(AgencyAgent, agent.id)
        if member is not None and member.agency_id == target.id:
            continue
        previous = session.get(Agency, member.agency_id) if member is not None else None
        if member is None:
            session.add(
                AgencyAgent(agent_id=agent.id, agency_id=target.id, joined_on=on, added_by=actor)
            )
        else:
            member.agency_id, member.joined_on, member.added_by = target.id, on, actor
        try:
            session.flush()
        except IntegrityError as exc:  # the same agent moved by someone else at this moment
            raise ConflictError(
                f"{agent.username} was moved to an agency by someone else; reload and retry",
                field="agents",
            ) from exc
        changed += 1
        audit.record(
            session,
            actor=actor,
            action="agency.joined",
            entity_type="user",
            entity_id=agent.username,
            before={"agency": previous.name} if previous is not None else None,
            after={"agency": target.name, "joined_on": on.isoformat()},
        )
    session.flush()
    return changed


def leave_agency(session: Session, agent: User, actor: str) -> bool:
    """The agent no longer works for an agency (``False`` when it was in none)."""
    member = session.get(AgencyAgent, agent.id)
    if member is None:
        return False
    previous = session.get(Agency, member.agency_id)
    session.delete(member)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="agency.left",
        entity_type="user",
        entity_id=agent.username,
        before={"agency": previous.name if previous is not None else None},
    )
    return True


def agency_of_agents(session: Session) -> dict[str, str]:
    """Each agent's agency by username (agents in none are left out)."""
    rows = session.execute(
        select(User.username, Agency.name)
        .join(AgencyAgent, AgencyAgent.agent_id == User.id)
        .join(Agency, Agency.id == AgencyAgent.agency_id)
    )
    return {username: name for username, name in rows}


def agents_of(session: Session, agency: str) -> list[str]:
    """The usernames of the agents of ``agency``, sorted."""
    found = agency_named(session, agency)
    return list(
        session.scalars(
            select(User.username)
            .join(AgencyAgent, AgencyAgent.agent_id == User.id)
            .where(AgencyAgent.agency_id == found.id)
            .order_by(User.username)
        )
    )


def agencies(session: Session, on: dt.date) -> list[dict[str, Any]]:
    """Every agency with its contact, agents and the creators its agents look after on
    ``on`` (a creator looked after by two of its agents counts once); by name."""
    members: dict[int, list[str]] = {}
    for agency_id, username in session.execute(
        select(AgencyAgent.agency_id, User.username)
        .join(User, User.id == AgencyAgent.agent_id)
        .order_by(User.username)
    ):
        members.setdefault(agency_id, []).append(username)
    creators: dict[int, set[str]] = {}
    for agency_id, creator in session.execute(
        select(AgencyAgent.agency_id, CreatorAssignment.creator_id)
        .join(CreatorAssignment, CreatorAssignment.agent_id == AgencyAgent.agent_id)
        .where(CreatorAssignment.open_on(on))
    ):
        creators.setdefault(agency_id, set()).add(creator)
    return [
        {
            "id": agency.id,
            "name": agency.name,
            "contact": agency.contact,
            "agents": members.get(agency.id, []),
            "creators": len(creators.get(agency.id, ())),
            "created_at": agency.created_at,
        }
        for agency in sorted(session.scalars(select(Agency)), key=lambda a: a.name.casefold())
    ]


def agents(session: Session, on: dt.date) -> list[dict[str, Any]]:
    """Every user with the agent role: display name, disabled or not, agency and how many
    creators it looks after on ``on``; by username."""
    agency = agency_of_agents(session)
    counts = dict(
        session.execute(
            select(CreatorAssignment.agent_id, func.count(CreatorAssignment.id))
            .where(CreatorAssignment.open_on(on))
            .group_by(CreatorAssignment.agent_id)
        ).all()
    )
    return [
        {
            "username": user.username,
            "display_name": user.display_name,
            "disabled": user.disabled,
            "agency": agency.get(user.username),
            "creators": int(counts.get(user.id, 0)),
        }
        for user in session.scalars(
            select(User).where(User.role == "agent").order_by(User.username)
        )
    ]
