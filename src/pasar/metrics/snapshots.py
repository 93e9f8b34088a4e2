"""Snapshots: every metric of one entity as of one date, stored as Parquet partitioned by date.

Policies and programs read snapshots. A snapshot file is
``PASAR_HOME/snapshots/<entity>/as_of=<YYYY-MM-DD>/snapshot.parquet``; its Parquet metadata
records what it was computed from (catalog definitions, warehouse version), so an up-to-date
snapshot is reused and a stale one rebuilt, and which engine computed it. Files are replaced
atomically.

Engines: DuckDB (the default) adds up daily partials; Spark (``engine="spark"``, the scale-out
engine) computes each snapshot from the rows and stores it with exactly the schema DuckDB
stores, so whatever reads snapshots cannot tell the engines apart.

Example:
    >>> snapshot_path(Path("/p/snapshots"), "seller", dt.date(2026, 10, 1)).as_posix()
    '/p/snapshots/seller/as_of=2026-10-01/snapshot.parquet'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pasar.config import Settings
from pasar.kit.errors import NotFoundError, PasarError, ValidationError
from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.daily import (
    DailyGroup,
    DailyStore,
    Windows,
    WindowStep,
    daily_groups,
    window_days,
)
from pasar.metrics.engines import duckdb as duck_engine
from pasar.metrics.engines import spark as spark_engine
from pasar.warehouse.store import Manifest, Warehouse

# PySpark is optional and typed; without it mypy sees the session as Any
if TYPE_CHECKING:
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

_SOURCE_KEY = b"pasar.source"
ENGINE_KEY = "pasar.engine"
Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")
_WINDOWS_VIEW = "__pasar_windows"  # the windows as the snapshot query reads them
_WINDOWS_BATCH = 32_768  # rows
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


def check_engine(name: str) -> Engine:
    """``name`` as a snapshot engine: ``duckdb`` or ``spark`` (which needs PySpark installed);
    anything else is refused, saying what to use.

    Example:
        >>> check_engine("duckdb")
        'duckdb'
    """
    if name not in ENGINES:
        raise ValidationError(f"unknown engine {name!r}: use duckdb or spark", field="engine")
    if name == "spark":
        spark_engine.require()
    return name


def build_snapshots(
    entity: str,
    days: Sequence[dt.date],
    settings: Settings,
    catalog: Catalog,
    con: duckdb.DuckDBPyConnection | None = None,
    *,
    force: bool = False,
    full: bool = False,
    engine: str = "duckdb",
) -> SnapshotRun:
    """Compute (or reuse, when current) the snapshot of ``entity`` for each of ``days``.

    Windowed counts and sums come from daily partials (:mod:`pasar.metrics.daily`), computed
    only for the days that are missing; ``full`` computes everything from the rows instead.
    ``engine="spark"`` computes the missing snapshots on Spark, from the rows (the master of
    ``settings.spark_master``), stored as DuckDB stores them. A current snapshot is reused
    whichever engine computed it.
    """
    chosen = check_engine(engine)
    catalog.entity(entity)
    warehouse = Warehouse(settings.warehouse_dir)
    manifest = warehouse.manifest()
    con = warehouse.connect(con, manifest)  # every read below sees this one version
    fingerprint = source_fingerprint(catalog, entity, manifest, settings.timezone)
    todo = [
        d
        for d in days
        if force or not _current(snapshot_path(settings.snapshots_dir, entity, d), fingerprint)
    ]
    if chosen == "spark":
        return _build_on_spark(entity, days, todo, settings, catalog, con, manifest, fingerprint)
    compiler = Compiler(catalog, "duckdb", settings.timezone)
    store = DailyStore(settings.snapshots_dir, entity, catalog, compiler, warehouse)
    groups = daily_groups(catalog, entity) if todo and not full else []
    # the groups reading the most rows first, so that the threads finish together
    groups.sort(key=lambda g: (_rows_read(catalog, manifest, g), len(g.leaves)), reverse=True)
    windows = store.load() if groups else None
    steps: list[WindowStep] = []

    def prepare(group: DailyGroup, cursor: duckdb.DuckDBPyConnection) -> WindowStep | None:
        store.prepare(group, window_days(todo, group.longest), cursor, manifest)
        # one day (the usual next day): how its windows move, right away in the same thread
        return store.step(group, todo[0], windows, cursor) if len(todo) == 1 else None

    if groups:
        steps = [s for s in _each(groups, prepare, con) if s is not None]
    metadata = {_SOURCE_KEY.decode(): fingerprint, ENGINE_KEY: "duckdb"}

    def compute(day: dt.date, path: Path) -> int:
        nonlocal windows, steps
        if not groups:
            return duck_engine.write_parquet(
                con, compiler.snapshot(entity, day), path, metadata, sync=True
            )
        if not steps:
            steps = _each(groups, partial(_step_of, store, day, windows), con)
        windows, steps = store.advance(day, windows, steps), []
        daily = {(g.dataset, g.time): _WINDOWS_VIEW for g in groups}
        table = windows.table()  # in batches: DuckDB reads one batch on one thread
        batches = table.to_batches(max_chunksize=_WINDOWS_BATCH)
        con.register(_WINDOWS_VIEW, pa.Table.from_batches(batches, table.schema))
        try:
            select = compiler.snapshot(entity, day, daily=daily)
            return duck_engine.write_parquet(con, select, path, metadata, sync=True)
        finally:
            con.unregister(_WINDOWS_VIEW)

    try:
        files = _store_each(entity, days, todo, settings.snapshots_dir, compute)
    finally:
        store.stored()
    return SnapshotRun(files, store.computed_days)


def _rows_read(catalog: Catalog, manifest: Manifest, group: DailyGroup) -> int:
    """How many rows the tables a group reads hold (its dataset's and the joined ones)."""
    dataset = catalog.datasets[group.dataset]
    tables = {dataset.table, *(join.table for join in dataset.joins)}
    return sum(manifest.entry(table).rows for table in tables)


def _store_each(
    entity: str,
    days: Sequence[dt.date],
    todo: Sequence[dt.date],
    root: Path,
    compute: Callable[[dt.date, Path], int],
) -> list[SnapshotFile]:
    """The snapshot of each of ``days``: those in ``todo`` stored by ``compute(day, path)``
    (which returns the rows written), the others found current and reused."""
    done: list[SnapshotFile] = []
    for day in days:
        path = snapshot_path(root, entity, day)
        if day in todo:
            done.append(SnapshotFile(entity, day, path, compute(day, path), True))
        else:
            done.append(_reused(entity, day, path))
    return done


def _reused(entity: str, day: dt.date, path: Path) -> SnapshotFile:
    return SnapshotFile(entity, day, path, pq.ParquetFile(path).metadata.num_rows, False)


def _build_on_spark(
    entity: str,
    days: Sequence[dt.date],
    todo: Sequence[dt.date],
    settings: Settings,
    catalog: Catalog,
    con: duckdb.DuckDBPyConnection,
    manifest: Manifest,
    fingerprint: str,
) -> SnapshotRun:
    """The snapshots of ``todo`` computed by Spark (one query per day over the rows of
    ``manifest``), each stored with the schema DuckDB gives the same snapshot."""
    if not todo:
        paths = [(d, snapshot_path(settings.snapshots_dir, entity, d)) for d in days]
        return SnapshotRun([_reused(entity, d, path) for d, path in paths], 0)
    spark = _spark_session(settings.spark_master)
    warehouse = Warehouse(settings.warehouse_dir)
    spark_engine.register(spark, warehouse, manifest, settings.spark_warehouse_uri)
    compiler = Compiler(catalog, "spark", settings.timezone)
    schema = duckdb_schema(con, Compiler(catalog, "duckdb", settings.timezone), entity, todo[0])
    metadata = {_SOURCE_KEY.decode(): fingerprint, ENGINE_KEY: "spark"}

    def compute(day: dt.date, path: Path) -> int:
        table = conform(spark_engine.run(spark, compiler.snapshot(entity, day)), schema)
        write_arrow(table, path, metadata)
        rows: int = table.num_rows
        return rows

    return SnapshotRun(_store_each(entity, days, todo, settings.snapshots_dir, compute), 0)


def _spark_session(master: str) -> SparkSession:
    """The Spark session of ``master`` (empty: the running one, else local); a failure to
    start names the master setting (PySpark's own message is a Java stack trace, or less)."""
    try:
        return spark_engine.session(master or None)
    except Exception as exc:  # whatever PySpark or the JVM raised: the master is the likely cause
        shown = master or f"{spark_engine.DEFAULT_MASTER} (the default)"
        first = next((line for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise PasarError(
            f"Spark did not start with master {shown} (PASAR_SPARK_MASTER): {first}"
        ) from exc


def duckdb_schema(
    con: duckdb.DuckDBPyConnection, compiler: Compiler, entity: str, day: dt.date
) -> pa.Schema:
    """The schema DuckDB stores the snapshot of ``entity`` with: its writer's column types
    (written for the snapshot with no rows, so nothing is computed), the subject key and
    ``as_of`` never NULL (DuckDB's writer marks them so, knowing the key is filtered and the
    date a constant; an empty result no longer tells it)."""
    with tempfile.TemporaryDirectory(prefix="pasar-schema-") as folder:
        probe = Path(folder) / "snapshot.parquet"
        duck_engine.write_parquet(con, compiler.snapshot(entity, day).limit(0), probe)
        schema = pq.read_schema(probe).remove_metadata()
    required = {compiler.catalog.entity(entity).key or "marketplace", "as_of"}
    return pa.schema([f.with_nullable(f.name not in required) for f in schema])


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with exactly ``schema``: the same columns in the same order, each cast to its
    type (a cast that would lose a value fails), NULL nowhere the schema forbids it."""
    if table.column_names != schema.names:
        raise ValueError(f"columns {table.column_names} differ from the stored {schema.names}")
    for field in schema:
        if not field.nullable and table[field.name].null_count:
            raise ValueError(f"{field.name} has NULL values where the stored snapshot has none")
    columns = [pc.cast(table[f.name], f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def write_arrow(table: pa.Table, path: Path, metadata: Mapping[str, str]) -> None:
    """Write ``table`` to ``path`` as DuckDB writes snapshots (Parquet, snappy, ``metadata`` as
    key-value pairs, no Arrow schema of its own), flushed to disk and renamed over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    with pq.ParquetWriter(temporary, table.schema, compression="snappy", store_schema=False) as w:
        w.write_table(table)
        w.add_key_value_metadata(dict(metadata))
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def _step_of(
    store: DailyStore,
    day: dt.date,
    windows: Windows | None,
    group: DailyGroup,
    con: duckdb.DuckDBPyConnection,
) -> WindowStep:
    return store.step(group, day, windows, con)


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
