"""Who may hold creator work (owners of pitches, points of contact) and what a caller may see.

``visible`` throughout creator collaboration is what :class:`pasar.api.access.Principal`
calls ``creators``: ``None`` for every creator, else the creators the caller may see (a
creator itself, an agent's assigned creators). Rows of other creators answer "not found",
exactly like rows that do not exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.auth.models import User
from pasar.auth.roles import allows
from pasar.creators.assignments import assigned_to
from pasar.creators.days import today
from pasar.kit.errors import NotFoundError, ValidationError

Visible = frozenset[str] | None
MAX_ID_TEXT = 100


def may_see(visible: Visible, creator_id: str | None) -> bool:
    """Whether a caller confined to ``visible`` may see rows about ``creator_id``."""
    return visible is None or (creator_id is not None and creator_id in visible)


def subject_id(value: str, field: str) -> str:
    """A seller, creator or product id as typed: stripped, present, short, without NUL."""
    kept = (value or "").strip()
    if not kept:
        raise ValidationError(f"{field}: give an id", field=field)
    if len(kept) > MAX_ID_TEXT or "\x00" in kept:
        raise ValidationError(
            f"{field}: at most {MAX_ID_TEXT} characters, without NUL", field=field
        )
    return kept


def worker(session: Session, username: str, field: str, creator_id: str | None = None) -> User:
    """The enabled user ``username`` who may manage creator work (and, if an agent, has
    ``creator_id`` assigned today); a :class:`ValidationError` on ``field`` otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or user.disabled:
        raise ValidationError(f"{field}: no active user {username!r}", field=field)
    if not allows(user.role, "creators:manage"):
        raise ValidationError(
            f"{field}: {username} has the role {user.role}, which cannot manage creator work",
            field=field,
        )
    if (
        user.role == "agent"
        and creator_id is not None
        and creator_id not in assigned_to(session, user.id, today())
    ):
        raise ValidationError(
            f"{field}: creator {creator_id} is not assigned to agent {username}", field=field
        )
    return user


def usernames_with(session: Session, scope: str) -> list[str]:
    """Enabled users whose role has ``scope`` (for pickers in forms)."""
    users: Iterable[User] = session.scalars(
        select(User).where(User.disabled.is_(False)).order_by(User.username)
    )
    return [u.username for u in users if allows(u.role, scope)]


def not_found(what: str, key: object) -> NotFoundError:
    return NotFoundError(f"no {what} {key}")
