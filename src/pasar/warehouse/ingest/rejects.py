"""Rejected rows: written per batch to ``PASAR_HOME/rejects`` as Parquet and CSV, and summarised.

Each reject names the table, source file, row number, column (as the file calls it), the contract
field, the value, the kind of problem, the reason in words, and the row's values as JSON.

Example:
    >>> paths = write_rejects(con, Path(".pasar/rejects"), "20261122T101500-3fa2")  # doctest: +SKIP
    >>> [p.suffix for p in paths]                                                  # doctest: +SKIP
    ['.parquet', '.csv']
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pasar.kit.sqltext import literal

ORDER = 'ORDER BY file, "row", "table", "column"'


@dataclass(frozen=True)
class RejectSummary:
    """One line of the reasons table: how many rows failed one kind of check on one column."""

    table: str
    column: str
    check: str
    rows: int
    example: str


def write_rejects(con: duckdb.DuckDBPyConnection, folder: Path, batch_id: str) -> list[Path]:
    """Write the batch's rejects as ``<batch_id>.parquet`` and ``<batch_id>.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    parquet, csv = folder / f"{batch_id}.parquet", folder / f"{batch_id}.csv"
    query = f"SELECT * FROM rejects {ORDER}"
    con.execute(f"COPY ({query}) TO {literal(parquet.as_posix())} (FORMAT parquet)")
    con.execute(f"COPY ({query}) TO {literal(csv.as_posix())} (FORMAT csv, HEADER true)")
    return [parquet, csv]


def summarise_rejects(con: duckdb.DuckDBPyConnection) -> list[RejectSummary]:
    """Rejects grouped by table, column and kind of problem, most frequent first."""
    found = con.execute(
        """
        SELECT "table", coalesce("column", '(whole row)'), "check",
               count(DISTINCT (file, "row")), min(reason)
        FROM rejects GROUP BY ALL ORDER BY 4 DESC, 1, 2
        """
    ).fetchall()
    return [RejectSummary(str(t), str(c), str(k), int(n), str(e)) for t, c, k, n, e in found]
