"""Snapshots: every metric of one entity as of one date, stored as Parquet partitioned by date.

Policies and programs read snapshots. A snapshot file is
``PASAR_HOME/snapshots/<entity>/as_of=<YYYY-MM-DD>/snapshot.parquet``; its Parquet metadata
records what it was computed from (catalog definitions, warehouse version), so an up-to-date
snapshot is reused and a stale one rebuilt. Files are replaced atomically.

Example:
    >>> snapshot_path(Path("/p/snapshots"), "seller", dt.date(2026, 10, 1)).as_posix()
    '/p/snapshots/seller/as_of=2026-10-01/snapshot.parquet'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pasar.config import Settings
from pasar.kit.errors import NotFoundError
from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.daily import DailyGroup, DailyStore, daily_groups, window_days
from pasar.metrics.engines import duckdb as engine
from pasar.warehouse.store import Manifest, Warehouse

_SOURCE_KEY = b"pasar.source"
T = TypeVar("T")


@dataclass(frozen=True)
class SnapshotRun:
    """What one build did: the snapshots, and how many days of daily partials it computed."""

    files: list[SnapshotFile]
    daily_days_computed: int


@dataclass(frozen=True)
class SnapshotFile:
    """One stored snapshot and whether this run computed it or found it current."""

    entity: str
    as_of: dt.date
    path: Path
    rows: int
    computed: bool


def snapshot_path(root: Path, entity: str, as_of: dt.date) -> Path:
    return root / entity / f"as_of={as_of.isoformat()}" / "snapshot.parquet"


def source_fingerprint(catalog: Catalog, entity: str, manifest: Manifest, zone: str) -> str:
    """What a snapshot of ``entity`` depends on: its metric definitions, the zone, the
    warehouse contents (manifest version and batches)."""
    metrics = [m for m in catalog.metrics.values() if entity in m.entities]
    definitions = [m.model_dump(mode="json", exclude={"origin"}) for m in metrics]
    used = {m.dataset for m in metrics}
    datasets = [
        d.model_dump(mode="json", exclude={"origin"})
        for d in catalog.datasets.values()
        if d.name in used
    ]
    payload = {
        "entity": entity,
        "zone": zone,
        "metrics": definitions,
        "datasets": datasets,
        "warehouse": [manifest.version, [b.batch_id for b in manifest.batches]],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def build_snapshots(
    entity: str,
    days: Sequence[dt.date],
    settings: Settings,
    catalog: Catalog,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    force: bool = False,
    full: bool = False,
) -> SnapshotRun:
    """Compute (or reuse, when current) the snapshot of ``entity`` for each of ``days``.

    Windowed counts and sums come from daily partials (:mod:`pasar.metrics.daily`), computed
    only for the days that are missing; ``full`` computes everything from the rows instead.
    """
    catalog.entity(entity)
    warehouse = Warehouse(settings.warehouse_dir)
    manifest = warehouse.manifest()
    con = warehouse.connect(con, manifest)  # every read below sees this one version
    compiler = Compiler(catalog, "duckdb", settings.timezone)
    fingerprint = source_fingerprint(catalog, entity, manifest, settings.timezone)
    todo = [
        d
        for d in days
        if force or not _current(snapshot_path(settings.snapshots_dir, entity, d), fingerprint)
    ]
    store = DailyStore(settings.snapshots_dir, entity, catalog, compiler, warehouse)
    groups = daily_groups(catalog, entity) if todo and not full else []
    # the biggest groups first, so that the threads finish together
    groups.sort(key=lambda g: len(g.leaves), reverse=True)
    ready: dict[dt.date, list[Path]] = {}

    def prepare(group: DailyGroup, cursor: duckdb.DuckDBPyConnection) -> Path | None:
        store.prepare(group, window_days(todo, group.longest), cursor, manifest)
        # one day (the usual next day): its window right away, in the same thread
        return store.window(group, todo[0], cursor) if len(todo) == 1 else None

    prepared = _each(groups, prepare, con)
    if len(todo) == 1 and groups:
        ready[todo[0]] = [p for p in prepared if p is not None]
    done: list[SnapshotFile] = []
    for day in days:
        path = snapshot_path(settings.snapshots_dir, entity, day)
        if day not in todo:
            rows = pq.ParquetFile(path).metadata.num_rows
            done.append(SnapshotFile(entity, day, path, rows, False))
            continue
        windows = ready.get(day) or _each(groups, partial(_window_of, store, day), con)
        daily = {(g.dataset, g.time): w.as_posix() for g, w in zip(groups, windows, strict=True)}
        select = compiler.snapshot(entity, day, daily=daily or None)
        rows = engine.write_parquet(
            con, select, path, {_SOURCE_KEY.decode(): fingerprint}, sync=True
        )
        done.append(SnapshotFile(entity, day, path, rows, True))
    return SnapshotRun(done, store.computed_days)


def _window_of(
    store: DailyStore, day: dt.date, group: DailyGroup, con: duckdb.DuckDBPyConnection
) -> Path:
    return store.window(group, day, con)


def _each(
    groups: Sequence[DailyGroup],
    work: Callable[[DailyGroup, duckdb.DuckDBPyConnection], T],
    con: duckdb.DuckDBPyConnection,
) -> list[T]:
    """``work`` for every group, the groups in parallel threads (each with its own cursor on
    ``con``): most of a day's work is many small queries and file writes that leave cores
    idle when run one after another."""
    if len(groups) <= 1:
        return [work(g, con) for g in groups]

    def run(group: DailyGroup) -> T:
        cursor = con.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            return work(group, cursor)
        finally:
            cursor.close()

    with ThreadPoolExecutor(max_workers=min(len(groups), os.cpu_count() or 1)) as pool:
        return list(pool.map(run, groups))


def read_snapshot(settings: Settings, entity: str, as_of: dt.date) -> pa.Table:
    """The stored snapshot of ``entity`` as of ``as_of``."""
    path = snapshot_path(settings.snapshots_dir, entity, as_of)
    if not path.exists():
        raise NotFoundError(
            f"no {entity} snapshot as of {as_of}: run `pasar metrics snapshot {entity} "
            f"--as-of {as_of}`"
        )
    return pq.read_table(path)


def _current(path: Path, fingerprint: str) -> bool:
    if not path.exists():
        return False
    metadata = pq.read_schema(path).metadata or {}
    return metadata.get(_SOURCE_KEY) == fingerprint.encode()
