"""Operational store plumbing: declarative base, engine, and the session-as-unit-of-work.

Services receive a ``Session`` and never commit; the caller's :func:`Database.unit_of_work`
commits once at the end or rolls everything back.

Example:
    >>> db = Database("sqlite://")
    >>> with db.unit_of_work() as session:
    ...     session.execute(text("select 1")).scalar_one()
    1
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.types import TypeDecorator

from pasar.kit.clock import now
from pasar.kit.errors import ConflictError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every ORM model in Pasar."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    """Default for created/updated columns (goes through the pinnable clock)."""
    return now()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def stale_conflict() -> ConflictError:
    """What a stale optimistic-version update (:class:`StaleDataError`) means to a user."""
    return ConflictError(
        "this record was changed by someone else since you loaded it; reload and retry"
    )


class Database:
    """An engine plus a session factory for one database URL."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int | None = None) -> None:
        parsed = make_url(url)
        self.url = url
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
            if pool_size is not None:
                kwargs.update(pool_size=pool_size, max_overflow=0)
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session that commits when the block ends and rolls back on any error.

        A stale optimistic-version update anywhere in the block becomes a
        :class:`~pasar.kit.errors.ConflictError`.
        """
        session = self.session_factory()
        try:
            yield session
            session.commit()
        except StaleDataError as exc:
            session.rollback()
            raise stale_conflict() from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()


def claim_row(session: Session, entity: type[Any], key: int) -> bool:
    """Lock row ``key`` of ``entity`` for this transaction unless another transaction holds
    it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one writer at a time anyway):
    whether this transaction may write it without waiting."""
    primary = entity.__mapper__.primary_key[0]
    query = select(primary).where(primary == key).with_for_update(skip_locked=True)
    return session.scalar(query) is not None
