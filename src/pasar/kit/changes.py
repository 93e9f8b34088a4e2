"""Which tables of the operational store changed, told to every process that caches reads.

On PostgreSQL every table carries a statement-level trigger (migration 0011) that sends the
table's name on the channel :data:`CHANNEL` with ``pg_notify``. PostgreSQL delivers a
notification when the writing transaction commits, to every listening session on any host, so
any writer is seen: the API, ``pasar run``, the console, a hand-written ``UPDATE``.
:class:`ChangeFeed` listens on a connection of its own in a daemon thread and counts the
notifications per table; a cache stores each value with the :meth:`ChangeFeed.version` of the
tables it was read from, taken *before* reading, and uses it only while the version is the same.

A cached value is therefore at most one notification's delivery old (milliseconds). While the
feed is not listening (SQLite, or the connection was lost) :meth:`ChangeFeed.version` is
``None`` and callers read the store every time; reconnecting starts a new epoch, so nothing
cached before the gap is used after it.

Example::

    feed = ChangeFeed.for_url("postgresql+psycopg://postgres@127.0.0.1/test")
    seen = feed.version(["points_entries"])   # None until the listener is connected
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

import psycopg
from sqlalchemy import TextClause, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import ORMExecuteState, Session

CHANNEL = "pasar_changes"
ANY_TABLE = "*"  # a change whose table is not known: every cached read ends
RETRY_SECONDS = 1.0  # between attempts to (re)connect the listener
POLL_SECONDS = 1.0  # how often the listener looks whether it was asked to stop

log = logging.getLogger(__name__)

Version = tuple[int, ...]


class ChangeFeed:
    """Per-table change counters of one PostgreSQL store, kept by a listener thread.

    One feed per database URL and process (:meth:`for_url`): uvicorn's worker processes each
    start their own listener the first time they ask for a version.
    """

    _feeds: ClassVar[dict[tuple[int, str], ChangeFeed]] = {}  # by process and database
    _feeds_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, dsn: str) -> None:
        self._dsn = dsn
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._epoch = 0
        self._listening = False
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._attempts = 0  # connections tried, for tests and diagnostics

    @classmethod
    def for_url(cls, url: str) -> ChangeFeed | None:
        """The feed of the store at SQLAlchemy ``url`` in this process, started on first use;
        ``None`` for a store without notifications (SQLite).

        Notifications belong to a database, not to a schema, so stores in several schemas of
        one database share a listener (each hears the others' changes: a needless miss, never
        a stale hit)."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            return None
        query = {k: v for k, v in parsed.query.items() if k != "options"}
        dsn = parsed.set(drivername="postgresql", query=query).render_as_string(hide_password=False)
        key = (os.getpid(), dsn)
        with cls._feeds_lock:
            feed = cls._feeds.get(key)
            if feed is None:
                feed = cls._feeds[key] = ChangeFeed(dsn)
                feed.start()
            return feed

    def start(self) -> None:
        """Start listening in a daemon thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._listen, name="pasar-changes", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop listening; :meth:`version` is ``None`` from now on."""
        self._stopped.set()
        with self._lock:
            self._listening = False
        if self._thread is not None:
            self._thread.join(timeout=POLL_SECONDS * 5)

    @property
    def listening(self) -> bool:
        """Whether changes are being heard now (versions are meaningful)."""
        return self._listening

    def version(self, tables: Iterable[str]) -> Version | None:
        """A value that changes whenever one of ``tables`` changes (or the feed reconnects);
        ``None`` while the feed is not listening, when nothing may be cached."""
        with self._lock:
            if not self._listening:
                return None
            return (self._epoch, *(self._counts[t] for t in tables))

    @classmethod
    def committed(cls, tables: Iterable[str]) -> None:
        """Count a commit of this process to ``tables`` (``"*"``: any table) in every feed at
        once, so that a process reads its own writes without waiting for the notification."""
        with cls._feeds_lock:
            feeds = list(cls._feeds.values())
        for feed in feeds:
            feed._count(tables)

    def _count(self, tables: Iterable[str]) -> None:
        with self._lock:
            for table in tables:
                if table == ANY_TABLE:
                    self._epoch += 1
                else:
                    self._counts[table] += 1

    def _listen(self) -> None:
        failing = False  # said once per outage, not at every retry
        while not self._stopped.is_set():
            self._attempts += 1
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as con:
                    con.execute(f"LISTEN {CHANNEL}")
                    with self._lock:
                        self._epoch += 1
                        self._listening = not self._stopped.is_set()
                    if failing:
                        log.warning("change feed: listening again; reads are cached again")
                        failing = False
                    self._hear(con)
            except psycopg.Error as exc:
                if not failing:
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
                    log.warning("change feed: %s; reads are not cached until it reconnects", reason)
                failing = True
            finally:
                with self._lock:
                    self._listening = False
            self._stopped.wait(RETRY_SECONDS)

    def _hear(self, con: psycopg.Connection[tuple[object, ...]]) -> None:
        while not self._stopped.is_set():
            for note in con.notifies(timeout=POLL_SECONDS):
                self._count([note.payload])
        with contextlib.suppress(psycopg.Error):
            con.execute(f"UNLISTEN {CHANNEL}")


NOTIFY_FUNCTION = f"""
CREATE OR REPLACE FUNCTION pasar_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$
"""

# columns written on reads (when a token or a browser session was last used): a change to them
# alone changes nothing a cache holds, and notifying it would empty the caches every minute
BOOKKEEPING = frozenset({"last_used_at", "last_seen_at"})


def notify_trigger(table: str, columns: Iterable[str]) -> str:
    """The statement that makes every change to ``table`` (a table of ``columns``) notify
    :data:`CHANNEL` with its name at commit: a statement-level trigger, so a bulk insert
    notifies once, and PostgreSQL folds equal notifications of one transaction into one.

    Example:
        >>> print(notify_trigger("users", ["id", "last_seen_at", "role"]))
        CREATE TRIGGER pasar_notify_change AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF id, role ON users FOR EACH STATEMENT EXECUTE FUNCTION pasar_notify_change()
    """  # noqa: E501
    watched = ", ".join(c for c in columns if c not in BOOKKEEPING)
    return (
        f"CREATE TRIGGER pasar_notify_change AFTER INSERT OR DELETE OR TRUNCATE OR UPDATE OF "
        f"{watched} ON {table} FOR EACH STATEMENT EXECUTE FUNCTION pasar_notify_change()"
    )


# --- this process's own commits ------------------------------------------------------------------

_CHANGED = "pasar.changed_tables"


def _written_in_flush(session: Session, _context: object) -> None:
    changed = session.info.setdefault(_CHANGED, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        changed.add(getattr(instance, "__tablename__", ANY_TABLE))


def _written_by_statement(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete or _is_text_write(state)):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    state.session.info.setdefault(_CHANGED, set()).add(name if isinstance(name, str) else ANY_TABLE)


def _is_text_write(state: ORMExecuteState) -> bool:
    if not isinstance(state.statement, TextClause):
        return False
    verb = state.statement.text.lstrip().split(None, 1)[:1]
    return bool(verb) and verb[0].lower() != "select"


# a rolled-back transaction leaves its tables recorded: the next commit counts them too (a needless
# miss, never a stale hit), which is simpler than telling savepoints from the whole transaction
def _after_commit(session: Session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed:
        ChangeFeed.committed(changed)


event.listen(Session, "after_flush", _written_in_flush)
event.listen(Session, "do_orm_execute", _written_by_statement)
event.listen(Session, "after_commit", _after_commit)
