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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from pasar.config import Settings
from pasar.kit.errors import NotFoundError
from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.engines import duckdb as engine
from pasar.warehouse.store import Warehouse

_SOURCE_KEY = b"pasar.source"


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


def source_fingerprint(catalog: Catalog, entity: str, warehouse: Warehouse, zone: str) -> str:
    """What a snapshot of ``entity`` depends on: its metric definitions, the zone, the
    warehouse contents (manifest version and batches)."""
    manifest = warehouse.manifest()
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
) -> list[SnapshotFile]:
    """Compute (or reuse, when current) the snapshot of ``entity`` for each of ``days``."""
    catalog.entity(entity)
    warehouse = Warehouse(settings.warehouse_dir)
    con = con or engine.connect(warehouse)
    compiler = Compiler(catalog, "duckdb", settings.timezone)
    fingerprint = source_fingerprint(catalog, entity, warehouse, settings.timezone)
    done: list[SnapshotFile] = []
    for day in days:
        path = snapshot_path(settings.snapshots_dir, entity, day)
        if not force and _current(path, fingerprint):
            done.append(
                SnapshotFile(entity, day, path, pq.ParquetFile(path).metadata.num_rows, False)
            )
            continue
        table = engine.run(con, compiler.snapshot(entity, day))
        _write(table, path, fingerprint)
        done.append(SnapshotFile(entity, day, path, table.num_rows, True))
    return done


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


def _write(table: pa.Table, path: Path, fingerprint: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    metadata = dict(table.schema.metadata or {})
    metadata[_SOURCE_KEY] = fingerprint.encode()
    temporary = path.with_suffix(f".tmp-{os.getpid()}")
    pq.write_table(table.replace_schema_metadata(metadata), temporary, compression="zstd")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
