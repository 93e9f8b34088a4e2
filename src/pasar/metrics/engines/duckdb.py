"""Running compiled metric SQL on DuckDB over the warehouse's Parquet files."""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pyarrow as pa
from sqlglot import exp

from pasar.kit.sqltext import ident, literal
from pasar.warehouse.store import Warehouse


def connect(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """A connection with one view per warehouse table (session time zone UTC)."""
    return warehouse.connect()


def run(con: duckdb.DuckDBPyConnection, select: exp.Expr) -> pa.Table:
    """The result of ``select`` (a compiled metric query) as an Arrow table."""
    return con.sql(select.sql(dialect="duckdb")).to_arrow_table()


def write_parquet(
    con: duckdb.DuckDBPyConnection,
    select: exp.Expr,
    path: Path,
    metadata: Mapping[str, str] | None = None,
    sync: bool = False,
) -> int:
    """Write the result of ``select`` to ``path`` as Parquet (zstd), with ``metadata`` as
    key-value pairs, atomically (a temporary file renamed over ``path``); the number of rows.

    DuckDB's own writer: no Arrow copy of the rows in Python, and it writes in parallel.
    ``sync`` flushes the file to disk before the rename (for files others rely on).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    options = ["FORMAT parquet", "COMPRESSION snappy"]
    if metadata:
        pairs = ", ".join(f"{literal(k)}: {literal(v)}" for k, v in metadata.items())
        options.append(f"KV_METADATA {{{pairs}}}")
    # sums of whole numbers: Parquet has no 128-bit integer (DuckDB would write DOUBLE)
    query = _narrowed(con, select.sql(dialect="duckdb"))
    target = literal(temporary.as_posix())
    sql = f"COPY ({query}) TO {target} ({', '.join(options)})"
    row = con.execute(sql).fetchone()
    if sync:
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
    os.replace(temporary, path)
    return int(row[0]) if row else 0


def to_arrow(con: duckdb.DuckDBPyConnection, select: exp.Expr) -> pa.Table:
    """The result of ``select`` as an Arrow table, whole-number sums as BIGINT (as
    :func:`write_parquet` stores them; Arrow would get a 38-digit decimal)."""
    return con.sql(_narrowed(con, select.sql(dialect="duckdb"))).to_arrow_table()


def _narrowed(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """``query`` with its HUGEINT columns (DuckDB's sums of integers) cast to BIGINT, which
    fails rather than wraps when a value does not fit."""
    relation = con.sql(query)  # bound, not run: the column types
    wide = [c for c, t in zip(relation.columns, relation.types, strict=True) if str(t) == "HUGEINT"]
    if not wide:
        return query
    casts = ", ".join(f"CAST({ident(c)} AS BIGINT) AS {ident(c)}" for c in wide)
    return f"SELECT * REPLACE ({casts}) FROM ({query})"
