"""Reads of the operational store outside a route's unit of work, and reads served from memory
while the tables they came from are unchanged.

A server process keeps, per app, a few :class:`~pasar.kit.memo.VersionedCache` (``app.state``):
each entry is stored with the :class:`~pasar.kit.changes.ChangeFeed` version of its tables taken
before the read, so any commit to one of them — by this process, another worker, ``pasar run``
or a hand-written statement — makes it a miss once PostgreSQL has delivered the notification
(milliseconds). On SQLite, or while the feed is not listening, nothing is cached.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

from anyio import to_thread
from fastapi import Request
from sqlalchemy.orm import Session

from pasar.kit.changes import ChangeFeed, Version
from pasar.kit.db import Database
from pasar.kit.memo import VersionedCache

T = TypeVar("T")

CACHE_SIZES = {"principals": 10_000, "standings": 50_000}  # entries per server process


def add_caches(state: Any, database_url: str, enabled: bool = True) -> None:
    """Give an app's ``state`` its change feed (none when ``enabled`` is false: nothing is
    cached) and empty caches."""
    state.changes = ChangeFeed.for_url(database_url) if enabled else None
    state.caches = {name: VersionedCache[Hashable, Any](size) for name, size in CACHE_SIZES.items()}


def version_of(request: Request, tables: Sequence[str]) -> Version | None:
    """The current version of ``tables`` (``None``: do not cache)."""
    feed: ChangeFeed | None = request.app.state.changes
    return feed.version(tables) if feed is not None else None


def cache(request: Request, name: str) -> VersionedCache[Hashable, Any]:
    """The app's cache called ``name`` (one of :data:`CACHE_SIZES`)."""
    caches: dict[str, VersionedCache[Hashable, Any]] = request.app.state.caches
    return caches[name]


async def in_unit(request: Request, work: Callable[[Session], T]) -> T:
    """``work`` in a unit of work of its own (committed when it returns), in a worker thread,
    admitted like a route's unit (:func:`pasar.api.access.session`)."""
    db: Database = request.app.state.db
    async with request.app.state.admission:
        return await to_thread.run_sync(_run, db, work)


def _run(db: Database, work: Callable[[Session], T]) -> T:
    with db.unit_of_work() as unit:
        return work(unit)


async def read_through(
    request: Request,
    name: str,
    tables: Sequence[str],
    key: Hashable,
    read: Callable[[Session], T],
) -> T:
    """What ``read`` gives, from the cache ``name`` while ``tables`` are unchanged since it was
    read for ``key``; otherwise read now (an error is raised, never cached)."""
    version = version_of(request, tables)  # before reading: a change during the read is a miss
    store = cache(request, name)
    found: T | None = store.get(key, version)
    if found is not None:
        return found
    value = await in_unit(request, read)
    store.put(key, version, value)
    return value
