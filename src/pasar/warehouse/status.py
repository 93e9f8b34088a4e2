"""What the warehouse holds: per table rows, stubs, segments and time range; recent batches.

Example:
    >>> s = warehouse_status(Path(".pasar/warehouse"))   # doctest: +SKIP
    >>> [t.name for t in s.tables][:2]                    # doctest: +SKIP
    ['sellers', 'products']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pasar.kit.sqltext import ident, literal
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import Warehouse


@dataclass(frozen=True)
class TableStatus:
    name: str
    rows: int
    stubs: int
    segments: int
    first: str | None
    last: str | None
    last_batch: str | None


@dataclass(frozen=True)
class BatchStatus:
    batch_id: str
    source: str
    finished: str
    files: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int


@dataclass(frozen=True)
class WarehouseStatus:
    tables: list[TableStatus]
    batches: list[BatchStatus]
    rejected_total: int


def _time_column(table: str) -> str | None:
    return next((c.name for c in CONTRACT[table].columns if c.type == "timestamp"), None)


def warehouse_status(
    root: Path, timezone: str = "Asia/Jakarta", batches: int = 5
) -> WarehouseStatus:
    """Row counts, stub counts and date ranges (in ``timezone``) of every table; last batches."""
    warehouse = Warehouse(root)
    manifest = warehouse.manifest()
    con = warehouse.connect()
    con.execute(f"SET TimeZone = {literal(timezone)}")
    tables = []
    for name in CONTRACT:
        time_column = _time_column(name)
        span = (
            f"strftime(min({ident(time_column)}), '%Y-%m-%d'), "
            f"strftime(max({ident(time_column)}), '%Y-%m-%d')"
            if time_column
            else "NULL, NULL"
        )
        rows, stubs, first, last, batch = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE _stub), {span}, max(_batch_id) "
            f"FROM {ident(name)}"
        ).fetchall()[0]
        tables.append(
            TableStatus(
                name, int(rows), int(stubs), len(manifest.entry(name).segments), first, last, batch
            )
        )
    con.close()
    recent = [
        BatchStatus(
            b.batch_id,
            b.source,
            b.finished_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
            len(b.files),
            sum(c.inserted for c in b.tables.values()),
            sum(c.updated for c in b.tables.values()),
            sum(c.unchanged for c in b.tables.values()),
            b.rejected_rows,
        )
        for b in reversed(manifest.batches[-batches:] if batches else [])
    ]
    return WarehouseStatus(tables, recent, sum(b.rejected_rows for b in manifest.batches))
