"""Who is calling and what they may see: the principal of a request, scope checks, and the
confinement of sellers (and creators) to their own rows.

A route declares its scope with ``Depends(needs("governance:read"))``; the route table keeps
it (``ROUTE_SCOPES``) so that tests can check every route against every role.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from pasar.api.cached import cache, in_unit, version_of
from pasar.auth.models import User
from pasar.auth.service import LAST_USED_EVERY, AuthenticationError, token_digest, verify_token
from pasar.creators.assignments import assigned_to
from pasar.kit.clock import now
from pasar.kit.db import Database, stale_conflict
from pasar.kit.errors import PasarError


class ForbiddenError(PasarError):
    """Signed in, but the role does not allow this."""

    code = "forbidden"
    status_code = 403


@dataclass(frozen=True)
class Principal:
    """The signed-in user of a request and the scopes it holds."""

    user_id: int
    username: str
    role: str
    scopes: frozenset[str]
    sellers: frozenset[str] | None  # None: every seller; else only these
    creator_id: str | None
    creators: frozenset[str] | None = None  # None: every creator; else only these

    def may_see_seller(self, seller_id: str) -> bool:
        return self.sellers is None or seller_id in self.sellers

    def may_see_creator(self, creator_id: str) -> bool:
        return self.creators is None or creator_id in self.creators


async def session(request: Request) -> AsyncIterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back on error.

    At most ``api_threads`` units are open at once in a server worker (the others wait here,
    holding neither a thread nor a connection): each open unit holds one pooled connection and
    needs a thread for each blocking step, so with as many threads as connections no step ever
    waits for a connection while holding the thread another unit needs to finish.
    """
    db: Database = request.app.state.db
    async with request.app.state.admission:
        unit = db.session_factory()
        try:
            yield unit
            await to_thread.run_sync(_commit_and_close, unit)
        except StaleDataError as exc:  # in the route's flushes or in the commit
            await to_thread.run_sync(_roll_back_and_close, unit)
            raise stale_conflict() from exc
        except BaseException:
            await to_thread.run_sync(_roll_back_and_close, unit)
            raise


def _commit_and_close(unit: Session) -> None:
    try:
        unit.commit()
    finally:
        unit.close()


def _roll_back_and_close(unit: Session) -> None:
    try:
        unit.rollback()
    finally:
        unit.close()


# what a signed-in principal is read from: a change to any of them ends every cached sign-in
SIGN_IN_TABLES = ("users", "api_tokens", "creator_assignments")


@dataclass(frozen=True)
class SignedIn:
    """A token's principal as verified at ``checked_at`` (for ``today``'s assignments)."""

    principal: Principal
    expires_at: dt.datetime | None
    checked_at: dt.datetime
    today: dt.date

    def holds(self, moment: dt.datetime, today: dt.date) -> bool:
        """Whether it may still be used at ``moment`` on ``today`` without checking the token
        again: not expired, the same day (an agent's assignments are by day), and checked within
        :data:`LAST_USED_EVERY` (so that the token's ``last_used_at`` keeps being written)."""
        return (
            (self.expires_at is None or moment < self.expires_at)
            and moment - self.checked_at < LAST_USED_EVERY
            and today == self.today
        )


async def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 without a valid one.

    A verified token is remembered (by its digest) while the users, tokens and assignments are
    unchanged, for at most :data:`LAST_USED_EVERY` (``pasar.api.cached``).
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("sign in: send Authorization: Bearer <token>")
    plain = token.strip()
    key = token_digest(plain)
    version = version_of(request, SIGN_IN_TABLES)  # before reading (pasar.api.cached)
    signed_in = cache(request, "principals")
    found: SignedIn | None = signed_in.get(key, version)
    moment = now()
    if found is not None and found.holds(moment, dt.date.today()):
        return found.principal
    verified = await in_unit(request, lambda unit: _sign_in(unit, plain))
    signed_in.put(key, version, verified)
    return verified.principal


def _sign_in(unit: Session, plain: str) -> SignedIn:
    moment, today = now(), dt.date.today()
    user, scopes, expires_at = verify_token(unit, plain)
    return SignedIn(principal_of(unit, user, scopes, today), expires_at, moment, today)


def principal_of(
    unit: Session, user: User, scopes: list[str], today: dt.date | None = None
) -> Principal:
    """What ``user`` may see with ``scopes``: a seller its shops, a creator its own profile, an
    agent the creators assigned to them today; everyone else every row their scopes allow."""
    sellers: frozenset[str] | None = None
    creators: frozenset[str] | None = None
    if user.role == "seller":
        sellers = frozenset([str(user.seller_id), *map(str, user.linked_shops or [])])
        creators = frozenset()
    elif user.role == "creator":
        sellers, creators = frozenset(), frozenset([str(user.creator_id)])
    elif user.role == "agent":
        sellers, creators = frozenset(), assigned_to(unit, user.id, today or dt.date.today())
    return Principal(
        user.id, user.username, user.role, frozenset(scopes), sellers, user.creator_id, creators
    )


ScopeCheck = Callable[..., Awaitable[Principal]]
ROUTE_SCOPES: dict[ScopeCheck, str] = {}


def needs(scope: str) -> ScopeCheck:
    """A dependency giving the principal when it holds ``scope`` (403 otherwise)."""

    async def check(caller: Principal = Depends(principal)) -> Principal:
        if scope not in caller.scopes:
            raise ForbiddenError(f"your role ({caller.role}) cannot {scope.replace(':', ' ')}")
        return caller

    ROUTE_SCOPES[check] = scope
    return check
