"""Users, passwords and tokens on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from pasar.audit.models import AuditEvent
from pasar.auth.models import ApiToken, User
from pasar.auth.roles import ROLES, allows
from pasar.auth.service import (
    LOCKOUT,
    MAX_FAILURES,
    AuthenticationError,
    authenticate,
    create_user,
    disable_user,
    issue_token,
    verify_token,
)
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError

PASSWORD = "correct horse battery"
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _user(database: Database, role: str = "governance_reviewer", **kwargs: object) -> int:
    with database.unit_of_work() as session:
        return create_user(session, "rina", "Rina", role, PASSWORD, **kwargs).id  # type: ignore[arg-type]


def test_passwords_are_argon2_hashes_never_the_password(database: Database) -> None:
    _user(database)
    with database.unit_of_work() as session:
        stored = session.scalar(select(User.password_hash))
        assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
        assert authenticate(session, "rina", PASSWORD).username == "rina"
        events = session.scalars(select(AuditEvent)).all()
        assert [e.action for e in events] == ["user.created"]
        assert "password_hash" not in (events[0].after or {})


def test_wrong_unknown_and_locked_all_say_the_same(database: Database) -> None:
    _user(database)
    with frozen_at(T0):
        for _ in range(MAX_FAILURES):
            with database.unit_of_work() as session, pytest.raises(AuthenticationError) as info:
                authenticate(session, "rina", "wrong password!")
            assert str(info.value) == "invalid username or password"
        with database.unit_of_work() as session, pytest.raises(AuthenticationError) as info:
            authenticate(session, "rina", PASSWORD)  # locked: even the right password
        assert str(info.value) == "invalid username or password"
        with database.unit_of_work() as session, pytest.raises(AuthenticationError) as info:
            authenticate(session, "nobody", PASSWORD)
        assert str(info.value) == "invalid username or password"
    with frozen_at(T0 + LOCKOUT + dt.timedelta(seconds=1)), database.unit_of_work() as session:
        assert authenticate(session, "rina", PASSWORD).failed_logins == 0
        assert (
            session.scalar(select(AuditEvent.action).where(AuditEvent.action == "user.locked"))
            == "user.locked"
        )


def test_role_rules(database: Database) -> None:
    with database.unit_of_work() as session:
        with pytest.raises(ValidationError, match="a seller user needs --seller-id"):
            create_user(session, "shop", "Shop", "seller", PASSWORD)
        with pytest.raises(ValidationError, match="did you mean analyst"):
            create_user(session, "ana", "Ana", "analist", PASSWORD)
        with pytest.raises(ValidationError, match="at least 12 characters"):
            create_user(session, "ana", "Ana", "analyst", "short")
        with pytest.raises(ValidationError, match="not confined"):
            create_user(session, "ana", "Ana", "analyst", PASSWORD, seller_id="S1")
        create_user(session, "shop", "Shop", "seller", PASSWORD, seller_id="S000062")
    with database.unit_of_work() as session, pytest.raises(ConflictError, match="exists"):
        create_user(session, "shop", "Shop", "seller", PASSWORD, seller_id="S2")
    assert allows("seller", "governance:appeal") and not allows("seller", "governance:decide")
    assert set(ROLES) == {
        "admin", "analyst", "governance_reviewer", "creator_manager", "agent", "live_ops",
        "program_manager", "seller", "creator",
    }  # fmt: skip


def test_tokens_are_shown_once_scoped_and_revocable(database: Database) -> None:
    _user(database)
    with database.unit_of_work() as session:
        user = session.scalars(select(User)).one()
        with pytest.raises(ValidationError, match="cannot hold users:manage"):
            issue_token(session, user, "etl", ["users:manage"])
        row, plain = issue_token(session, user, "etl", ["governance:read"], days=30)
        assert plain.startswith("psr_") and row.token_hash != plain and plain not in row.prefix
        stored = session.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
        assert plain not in stored
    with database.unit_of_work() as session:
        found, scopes, _expires = verify_token(session, plain)
        assert (found.username, scopes) == ("rina", ["governance:read"])
        with pytest.raises(AuthenticationError):
            verify_token(session, plain + "x")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    with frozen_at(later), database.unit_of_work() as session, pytest.raises(AuthenticationError):
        verify_token(session, plain)  # expired
    with database.unit_of_work() as session:
        disable_user(session, "rina")
    with database.unit_of_work() as session:
        with pytest.raises(AuthenticationError):
            verify_token(session, plain)
        with pytest.raises(AuthenticationError):
            authenticate(session, "rina", PASSWORD)
        assert session.scalar(select(ApiToken.revoked_at)) is not None


def test_a_token_records_its_use_at_most_once_a_minute(database: Database) -> None:
    with frozen_at(T0), database.unit_of_work() as session:
        user = create_user(session, "etl", "ETL", "analyst", PASSWORD)
        plain = issue_token(session, user, "etl", ["metrics:read"])[1]
    seen = []
    for seconds in (0, 30, 59, 60, 61, 125):
        with frozen_at(T0 + dt.timedelta(seconds=seconds)), database.unit_of_work() as session:
            verify_token(session, plain)
        with database.unit_of_work() as session:
            seen.append(session.scalars(select(ApiToken.last_used_at)).one())
    first, minute, two = T0, T0 + dt.timedelta(seconds=60), T0 + dt.timedelta(seconds=125)
    assert seen == [first, first, first, minute, minute, two]


def test_a_request_never_waits_for_another_to_record_the_tokens_use(database: Database) -> None:
    with frozen_at(T0), database.unit_of_work() as session:
        user = create_user(session, "etl", "ETL", "analyst", PASSWORD)
        plain = issue_token(session, user, "etl", ["metrics:read"])[1]
    later = T0 + dt.timedelta(minutes=5)
    first = database.session_factory()
    try:
        with frozen_at(later):
            verify_token(first, plain)  # records the use: the token's row is now locked
            first.flush()
            if database.engine.dialect.name == "postgresql":  # SQLite: one writer at a time
                with database.unit_of_work() as second:  # another request, same token
                    second.execute(text("SET LOCAL lock_timeout = '2s'"))  # a wait fails
                    assert verify_token(second, plain)[1] == ["metrics:read"]
                    second.flush()
        first.commit()
    finally:
        first.close()
    with database.unit_of_work() as session:
        assert session.scalars(select(ApiToken.last_used_at)).one() == later
