"""Creating users, checking passwords (with lockout), and API tokens.

Passwords are hashed with Argon2id (``argon2-cffi``); a wrong password, an unknown user and a
locked or disabled account all answer the same "invalid username or password" so that
nothing tells an attacker which one it was. After ``MAX_FAILURES`` wrong passwords in a row
an account is locked for ``LOCKOUT``. API tokens are random, shown once, stored as SHA-256.

Example::

    user = create_user(session, "rina", "Rina", "governance_reviewer", "a long passphrase")
    signed_in = authenticate(session, "rina", "a long passphrase")
    token, plain = issue_token(session, user, "etl", ["governance:read"])
    assert verify_token(session, plain)[0].id == user.id
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Sequence
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from pasar.audit.service import audit, snapshot
from pasar.auth.models import ApiToken, User
from pasar.auth.roles import CONFINED, ROLES, SCOPES
from pasar.kit.clock import now
from pasar.kit.db import claim_row
from pasar.kit.errors import ConflictError, NotFoundError, PasarError, ValidationError
from pasar.kit.issues import did_you_mean

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD = 12
LAST_USED_EVERY = dt.timedelta(minutes=1)  # how stale a token's last_used_at may be
TOKEN_PREFIX = "psr_"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_HASHER = PasswordHasher()


class AuthenticationError(PasarError):
    """Sign-in refused; the message never says which part was wrong."""

    code = "unauthenticated"
    status_code = 401


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (salted; never the same twice)."""
    return _HASHER.hash(password)


def create_user(
    session: Session,
    username: str,
    display_name: str,
    role: str,
    password: str,
    *,
    seller_id: str | None = None,
    creator_id: str | None = None,
    linked_shops: Sequence[str] = (),
    language: str = "en",
    actor: str = "cli",
) -> User:
    """A new user; the rules of each role checked (a seller needs its shop …)."""
    if not _USERNAME.match(username):
        raise ValidationError(
            "a username is 2–63 lower-case letters, digits, '.', '_' or '-'", field="username"
        )
    if role not in ROLES:
        raise ValidationError(
            f"unknown role {role!r}{did_you_mean(role, ROLES)}; roles: {', '.join(ROLES)}",
            field="role",
        )
    if len(password) < MIN_PASSWORD:
        raise ValidationError(
            f"a password has at least {MIN_PASSWORD} characters", field="password"
        )
    subject = {"seller_id": seller_id, "creator_id": creator_id}
    needed = CONFINED.get(role)
    if needed and not subject[needed]:
        raise ValidationError(f"a {role} user needs --{needed.replace('_', '-')}", field=needed)
    if not needed and (seller_id or creator_id or linked_shops):
        raise ValidationError(f"a {role} user is not confined to a shop or profile")
    if language not in ("en", "id"):
        raise ValidationError("language is en or id", field="language")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists", field="username")
    user = User(
        username=username,
        display_name=display_name.strip() or username,
        role=role,
        password_hash=hash_password(password),
        seller_id=seller_id,
        creator_id=creator_id,
        linked_shops=list(linked_shops),
        language=language,
    )
    session.add(user)
    session.flush()
    after = {k: v for k, v in snapshot(user).items() if k != "password_hash"}
    audit.record(
        session, actor=actor, action="user.created", entity_type="user",
        entity_id=str(user.id), after=after,
    )  # fmt: skip
    return user


def authenticate(session: Session, username: str, password: str) -> User:
    """The user whose password this is; :class:`AuthenticationError` otherwise (also when
    locked or disabled). Failures count towards a lockout; a success resets them."""
    user = session.scalar(select(User).where(User.username == username))
    moment = now()
    refused = AuthenticationError("invalid username or password")
    if user is None:
        _HASHER.hash(password)  # the same work as a real check: no timing difference
        raise refused
    if user.disabled or (user.locked_until is not None and user.locked_until > moment):
        raise refused
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.locked_until = moment + LOCKOUT
            user.failed_logins = 0
            audit.record(
                session, actor="system", action="user.locked", entity_type="user",
                entity_id=str(user.id), reason=f"{MAX_FAILURES} wrong passwords in a row",
            )  # fmt: skip
        session.flush()
        raise refused from None
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, moment
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    return user


def disable_user(session: Session, username: str, actor: str = "cli") -> User:
    """Disable a user (they can no longer sign in) and revoke their tokens."""
    user = _user(session, username)
    user.disabled = True
    for token in session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        token.revoked_at = token.revoked_at or now()
    audit.record(
        session, actor=actor, action="user.disabled", entity_type="user", entity_id=str(user.id)
    )
    return user


def issue_token(
    session: Session,
    user: User,
    name: str,
    scopes: Sequence[str],
    days: int | None = 90,
    actor: str = "cli",
) -> tuple[ApiToken, str]:
    """A new token for ``user`` with ``scopes`` (each one the user's role has); the stored
    row and the token itself, which is shown once and never stored."""
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationError(
            f"unknown scope {unknown[0]!r}{did_you_mean(unknown[0], SCOPES)}", field="scope"
        )
    beyond = [s for s in scopes if s not in ROLES[user.role]]
    if beyond:
        raise ValidationError(f"a {user.role} cannot hold {', '.join(beyond)}", field="scope")
    if not scopes:
        raise ValidationError("a token needs at least one scope", field="scope")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=token_digest(plain),
        prefix=plain[:10],
        scopes=sorted(set(scopes)),
        expires_at=now() + dt.timedelta(days=days) if days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session, actor=actor, action="token.issued", entity_type="api_token",
        entity_id=str(token.id), context={"user": user.username, "scopes": token.scopes},
    )  # fmt: skip
    return token, plain


# what checking a token reads of it (its hash, name and dates of creation are not needed)
TOKEN_CHECKED = (
    ApiToken.id,
    ApiToken.user_id,
    ApiToken.scopes,
    ApiToken.expires_at,
    ApiToken.revoked_at,
    ApiToken.last_used_at,
)


class VerifiedToken(NamedTuple):
    """What a valid token grants: its user, the scopes the user's role allows, and until when."""

    user: User
    scopes: list[str]
    expires_at: dt.datetime | None


def verify_token(session: Session, plain: str) -> VerifiedToken:
    """The user and scopes of a presented token; :class:`AuthenticationError` when unknown,
    revoked, expired or its user is disabled."""
    refused = AuthenticationError("invalid or expired token")
    found = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_digest(plain))
        .options(load_only(*TOKEN_CHECKED))
    ).first()
    moment = now()
    if found is None:
        raise refused
    token, user = found
    if token.revoked_at is not None or user.disabled:
        raise refused
    if token.expires_at is not None and token.expires_at <= moment:
        raise refused
    stale = token.last_used_at is None or moment - token.last_used_at >= LAST_USED_EVERY
    # at most once a minute (a read must not write each time), and only by a request that gets
    # the row at once: the row stays locked until the request ends, and every request with the
    # token in that minute would otherwise queue behind it
    if stale and claim_row(session, ApiToken, token.id):
        token.last_used_at = moment
    return VerifiedToken(user, [s for s in token.scopes if s in ROLES[user.role]], token.expires_at)


def token_digest(plain: str) -> str:
    """How a token is stored and looked up: its SHA-256, never the token itself."""
    return hashlib.sha256(plain.encode()).hexdigest()


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user
