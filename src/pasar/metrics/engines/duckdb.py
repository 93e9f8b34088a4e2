"""Running compiled metric SQL on DuckDB over the warehouse's Parquet files."""

from __future__ import annotations

import duckdb
import pyarrow as pa
from sqlglot import exp

from pasar.warehouse.store import Warehouse


def connect(warehouse: Warehouse) -> duckdb.DuckDBPyConnection:
    """A connection with one view per warehouse table (session time zone UTC)."""
    return warehouse.connect()


def run(con: duckdb.DuckDBPyConnection, select: exp.Expr) -> pa.Table:
    """The result of ``select`` (a compiled metric query) as an Arrow table."""
    return con.sql(select.sql(dialect="duckdb")).to_arrow_table()
