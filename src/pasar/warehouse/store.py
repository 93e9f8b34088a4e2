"""The warehouse: fact tables as Parquet segments listed by one manifest, queried with DuckDB.

A table is the union of the segment files its manifest entry lists. Writers never touch a listed
file: they write new segments, then replace ``manifest.json`` in one atomic rename. A reader (or a
writer killed half-way) therefore sees the whole of a batch or none of it. One writer at a time
holds ``.lock``; files no manifest lists (left by a killed writer or superseded by a rewrite) are
removed by the next writer once they are older than a grace period readers may still need. A
writer that fails (a full disk, a bad batch) or does not commit removes the files it wrote.

Example:
    >>> wh = Warehouse(Path(".pasar/warehouse"))            # doctest: +SKIP
    >>> con = wh.connect()                                   # doctest: +SKIP
    >>> con.execute("SELECT count(*) FROM orders").fetchone() # doctest: +SKIP
    (634512,)
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
from pydantic import BaseModel, Field

from pasar.kit.errors import ConflictError, InputError, PasarError
from pasar.kit.sqltext import ident, literal, literal_list
from pasar.warehouse.contract import CONTRACT, LINEAGE_COLUMNS

MANIFEST = "manifest.json"
LOCK = ".lock"
GRACE_SECONDS = 600.0
MAX_SEGMENTS = 24  # a table with more segments is compacted into one by the next batch touching it

_DUCK_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "money": "DECIMAL(18,2)",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
}
_LINEAGE_DUCK_TYPES = {"_batch_id": "VARCHAR", "_source_file": "VARCHAR", "_source_row": "BIGINT"}


def duck_type(table: str, column: str) -> str:
    """The DuckDB type of a contract or lineage column."""
    if column == "_stub":
        return "BOOLEAN"
    if column in _LINEAGE_DUCK_TYPES:
        return _LINEAGE_DUCK_TYPES[column]
    return _DUCK_TYPES[CONTRACT[table].column(column).type]


def stored_columns(table: str) -> tuple[str, ...]:
    """Every column a stored segment of ``table`` has: the contract's, then lineage."""
    return CONTRACT[table].column_names + tuple(name for name, _ in LINEAGE_COLUMNS)


class Segment(BaseModel):
    """One Parquet file of a table, relative to the warehouse root."""

    file: str
    rows: int


class TableEntry(BaseModel):
    segments: list[Segment] = Field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.segments)


class FileRecord(BaseModel):
    """One input file of a batch and what became of its rows."""

    path: str
    sha256: str
    size: int
    tables: list[str]
    rows_read: int
    rejected: int
    blank: int = 0


class TableCounts(BaseModel):
    """What a batch did to one table."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0  # rows replaced by a later file of the same batch
    stubs_created: int = 0
    stubs_filled: int = 0
    removed: int = 0  # lines of an order in the batch that its newer export no longer lists


class BatchRecord(BaseModel):
    """The batch log entry written with the data it describes."""

    batch_id: str
    source: str
    started_at: datetime
    finished_at: datetime
    files: list[FileRecord]
    tables: dict[str, TableCounts]
    rejected_rows: int
    rejects_file: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)


class Manifest(BaseModel):
    format: int = 1
    version: int = 0
    tables: dict[str, TableEntry] = Field(default_factory=dict)
    batches: list[BatchRecord] = Field(default_factory=list)

    def entry(self, table: str) -> TableEntry:
        return self.tables.get(table, TableEntry())


class WarehouseFullError(PasarError):
    """The disk filled up while a batch was written; nothing of the batch was stored."""

    code = "disk_full"
    status_code = 507


def _disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or an error it came from) is "no space left on device"."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno == errno.ENOSPC:
            return True
        if isinstance(seen, duckdb.Error) and "No space left on device" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Warehouse:
    """The Parquet warehouse under one root directory (``PASAR_HOME/warehouse``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    # -- reading -------------------------------------------------------------------------------

    def manifest(self) -> Manifest:
        """The committed manifest (empty when nothing was ever ingested)."""
        path = self.root / MANIFEST
        if not path.exists():
            return Manifest()
        try:
            return Manifest.model_validate_json(path.read_bytes())
        except ValueError as exc:
            raise InputError(
                f"the warehouse manifest is unreadable: {exc}", file=str(path)
            ) from exc

    def table_sql(self, table: str, manifest: Manifest | None = None) -> str:
        """A FROM-able SQL expression for a table's current rows (typed, empty when no data)."""
        entry = (manifest or self.manifest()).entry(table)
        if entry.segments:
            files = [(self.root / s.file).as_posix() for s in entry.segments]
            return f"read_parquet({literal_list(files)}, union_by_name = true)"
        columns = ", ".join(
            f"NULL::{duck_type(table, c)} AS {ident(c)}" for c in stored_columns(table)
        )
        return f"(SELECT {columns} WHERE false)"

    def connect(
        self, con: duckdb.DuckDBPyConnection | None = None, manifest: Manifest | None = None
    ) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per fact table over the committed manifest (or the
        one given, so that a reader sees exactly the version it has read)."""
        con = con or duckdb.connect()
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET enable_progress_bar = false")  # long queries must not draw on stderr
        manifest = manifest or self.manifest()
        for table in CONTRACT:
            con.execute(
                f"CREATE OR REPLACE VIEW {ident(table)} AS SELECT * FROM "
                f"{self.table_sql(table, manifest)}"
            )
        return con

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def writer(self) -> Iterator[WarehouseWriter]:
        """Hold the single-writer lock; collect garbage; yield a writer for one batch."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock_path = self.root / LOCK
        with lock_path.open("a+") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                lock.seek(0)
                holder = lock.read().strip() or "another process"
                raise ConflictError(
                    f"the warehouse is being written by {holder}; try again when it finishes"
                ) from exc
            lock.seek(0)
            lock.truncate()
            lock.write(f"pid {os.getpid()}")
            lock.flush()
            writer = None
            try:
                manifest = self.manifest()
                self._collect_garbage(manifest)
                writer = WarehouseWriter(self, manifest)
                yield writer
            except Exception as exc:
                if _disk_full(exc):
                    raise WarehouseFullError(
                        f"no space left on the device while writing the warehouse {self.root}: "
                        "the batch was not stored and the warehouse is unchanged; free some "
                        "space and run it again"
                    ) from exc
                raise
            finally:
                if writer is not None and not writer.committed:
                    writer.discard()  # never listed by a manifest, so no reader can need them
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def _collect_garbage(self, manifest: Manifest) -> None:
        listed = {s.file for entry in manifest.tables.values() for s in entry.segments}
        cutoff = time.time() - GRACE_SECONDS
        for path in self.root.glob("*/*.parquet"):
            relative = path.relative_to(self.root).as_posix()
            if relative not in listed and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)


class WarehouseWriter:
    """Writes the segments of one batch and commits them with its batch record."""

    def __init__(self, warehouse: Warehouse, manifest: Manifest) -> None:
        self.warehouse = warehouse
        self.base = manifest
        self.tables: dict[str, TableEntry] = {
            name: entry.model_copy(deep=True) for name, entry in manifest.tables.items()
        }
        self._written: list[Path] = []
        self.committed = False

    def write_segment(
        self, con: duckdb.DuckDBPyConnection, table: str, select_sql: str, name: str
    ) -> Segment | None:
        """Write the rows of ``select_sql`` (stored columns, in order) as a new segment."""
        relative = f"{table}/{name}.parquet"
        path = self.warehouse.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        self._written.append(path)  # before writing: a failed COPY may leave part of it
        columns = ", ".join(
            f"CAST({ident(c)} AS {duck_type(table, c)}) AS {ident(c)}"
            for c in stored_columns(table)
        )
        con.execute(
            f"COPY (SELECT {columns} FROM ({select_sql})) TO {literal(path.as_posix())} "
            "(FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880)"
        )
        rows = con.execute(
            f"SELECT count(*) FROM read_parquet({literal(path.as_posix())})"
        ).fetchall()[0][0]
        if rows == 0:
            path.unlink()
            self._written.remove(path)
            return None
        return Segment(file=relative, rows=int(rows))

    def replace_segments(self, table: str, removed: set[str], added: list[Segment]) -> None:
        """Drop the listed segments of a table and add new ones (takes effect at commit)."""
        entry = self.tables.setdefault(table, TableEntry())
        entry.segments = [s for s in entry.segments if s.file not in removed] + added

    def commit(self, batch: BatchRecord) -> Manifest:
        """Make the batch visible: fsync its files, then atomically replace the manifest."""
        for path in self._written:
            if path.exists():
                _fsync(path)
        manifest = Manifest(
            version=self.base.version + 1,
            tables=self.tables,
            batches=[*self.base.batches, batch],
        )
        root = self.warehouse.root
        tmp = root / f".{MANIFEST}.{os.getpid()}.tmp"
        try:
            tmp.write_text(json.dumps(manifest.model_dump(mode="json"), indent=1))
            _fsync(tmp)
            os.replace(tmp, root / MANIFEST)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        self.committed = True
        _fsync(root)
        return manifest

    def discard(self) -> None:
        """Remove the segments this writer wrote (for a batch that is not committed)."""
        for path in self._written:
            path.unlink(missing_ok=True)
        self._written.clear()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
