"""Browser sessions for the console: a random cookie token (only its SHA-256 stored), a CSRF
token per session that every form must send back, an absolute lifetime and an idle timeout.

Example::

    cookie, csrf = open_session(session, user)        # after authenticate()
    user = current_user(session, cookie)              # on each request
    check_csrf(session, cookie, form["csrf_token"])   # on each POST
    close_session(session, cookie)                    # sign out
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pasar.auth.models import BrowserSession, User
from pasar.auth.service import AuthenticationError
from pasar.kit.clock import now
from pasar.kit.db import claim_row
from pasar.kit.errors import PasarError

LIFETIME = dt.timedelta(hours=12)
IDLE = dt.timedelta(hours=2)
SEEN_EVERY = dt.timedelta(minutes=1)  # how stale a session's last_seen_at may be
COOKIE = "pasar_session"


class CsrfError(PasarError):
    """A form posted without the session's CSRF token."""

    code = "csrf"
    status_code = 403


def open_session(session: Session, user: User) -> tuple[str, str]:
    """A new session for ``user``: the cookie value and the CSRF token for its forms."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    moment = now()
    session.add(
        BrowserSession(
            user_id=user.id,
            token_hash=_digest(cookie),
            csrf_token=csrf,
            created_at=moment,
            last_seen_at=moment,
            expires_at=moment + LIFETIME,
        )
    )
    session.flush()
    return cookie, csrf


def current_user(session: Session, cookie: str | None) -> tuple[User, BrowserSession]:
    """The signed-in user of a cookie (and its session); :class:`AuthenticationError` when
    missing, unknown, expired, idle too long, or the user is disabled."""
    refused = AuthenticationError("sign in again")
    if not cookie:
        raise refused
    found = session.scalar(
        select(BrowserSession).where(BrowserSession.token_hash == _digest(cookie))
    )
    moment = now()
    if found is None or found.expires_at <= moment or found.last_seen_at + IDLE <= moment:
        raise refused
    user = session.get(User, found.user_id)
    if user is None or user.disabled:
        raise refused
    if moment - found.last_seen_at >= SEEN_EVERY and claim_row(session, BrowserSession, found.id):
        found.last_seen_at = moment  # see verify_token: at most once a minute, never waiting
    return user, found


def check_csrf(session: Session, cookie: str | None, token: str | None) -> None:
    """Refuse a form whose CSRF token is not its session's (compared in constant time)."""
    _, found = current_user(session, cookie)
    if not token or not hmac.compare_digest(found.csrf_token, token):
        raise CsrfError("this form is stale or did not come from Pasar: reload the page")


def close_session(session: Session, cookie: str | None) -> None:
    """Sign out: the session is deleted (its cookie no longer works)."""
    if cookie:
        session.execute(delete(BrowserSession).where(BrowserSession.token_hash == _digest(cookie)))


def _digest(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()
