"""Browser sessions on SQLite and PostgreSQL: cookie tokens, CSRF, lifetime, idle, sign out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pasar.auth.models import BrowserSession, User
from pasar.auth.service import AuthenticationError, create_user, disable_user
from pasar.auth.sessions import (
    IDLE,
    LIFETIME,
    CsrfError,
    check_csrf,
    close_session,
    current_user,
    open_session,
)
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database

T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _open(database: Database) -> tuple[str, str]:
    with frozen_at(T0), database.unit_of_work() as session:
        user = create_user(session, "rina", "Rina", "analyst", "a long enough passphrase")
        return open_session(session, user)


def test_a_session_and_its_csrf_token(database: Database) -> None:
    cookie, csrf = _open(database)
    with frozen_at(T0 + dt.timedelta(minutes=5)), database.unit_of_work() as session:
        assert current_user(session, cookie)[0].username == "rina"
        check_csrf(session, cookie, csrf)
        with pytest.raises(CsrfError, match="reload the page"):
            check_csrf(session, cookie, csrf[:-1] + "x")
        with pytest.raises(CsrfError):
            check_csrf(session, cookie, None)
        stored = session.scalar(select(BrowserSession.token_hash))
        assert stored is not None and cookie not in stored
    with database.unit_of_work() as session, pytest.raises(AuthenticationError):
        current_user(session, "forged-cookie")


def test_idle_and_lifetime_end_a_session(database: Database) -> None:
    cookie, _ = _open(database)
    step = IDLE - dt.timedelta(minutes=1)
    moment = T0
    while moment + step < T0 + LIFETIME:  # kept alive by activity …
        moment += step
        with frozen_at(moment), database.unit_of_work() as session:
            current_user(session, cookie)
    ended = pytest.raises(AuthenticationError)  # … until its lifetime ends
    with frozen_at(T0 + LIFETIME), database.unit_of_work() as session, ended:
        current_user(session, cookie)
    cookie, _ = _open_again(database)
    idle = pytest.raises(AuthenticationError)  # idle too long
    with frozen_at(T0 + IDLE), database.unit_of_work() as session, idle:
        current_user(session, cookie)


def _open_again(database: Database) -> tuple[str, str]:
    with frozen_at(T0), database.unit_of_work() as session:
        user = session.scalars(select(User)).one()
        return open_session(session, user)


def test_sign_out_and_disabling_end_sessions(database: Database) -> None:
    cookie, _ = _open(database)
    other, _ = _open_again(database)
    with database.unit_of_work() as session:
        close_session(session, cookie)
    with frozen_at(T0), database.unit_of_work() as session:
        with pytest.raises(AuthenticationError):
            current_user(session, cookie)
        assert current_user(session, other)[0].username == "rina"
        disable_user(session, "rina")
    with frozen_at(T0), database.unit_of_work() as session, pytest.raises(AuthenticationError):
        current_user(session, other)
