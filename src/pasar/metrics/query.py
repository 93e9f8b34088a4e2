"""Asking the warehouse for metrics: by dimension, as of a date or per period, in any format.

Example:
    >>> import datetime as dt
    >>> request = QueryRequest(["orders_30d"], by=["province"], as_of=dt.date(2026, 10, 1))
    >>> request.describe()
    'orders_30d by province as of 2026-10-01'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pasar.config import Settings
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.loader import path_list
from pasar.metrics.spec import Grain
from pasar.warehouse.store import Warehouse


@dataclass
class QueryRequest:
    """What ``pasar metrics query`` asks for."""

    metrics: list[str]
    by: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    grain: Grain | None = None
    where: str | None = None

    def describe(self) -> str:
        text = ", ".join(self.metrics)
        if self.by:
            text += " by " + ", ".join(self.by)
        if self.grain:
            text += f" per {self.grain}"
        if self.start and self.end:
            text += f" from {self.start} to {self.end}"
        elif self.as_of:
            text += f" as of {self.as_of}"
        if self.where:
            text += f" where {self.where}"
        return text


@dataclass
class QueryResult:
    request: QueryRequest
    table: pa.Table
    sql: str


def latest_day(con: duckdb.DuckDBPyConnection, zone: str) -> dt.date:
    """The last local day with orders in the warehouse (yesterday when it holds none)."""
    row = con.execute(
        "SELECT CAST(timezone(?, max(created_at)) AS DATE) FROM orders", [zone]
    ).fetchall()[0]
    if row[0] is None:
        return dt.date.today() - dt.timedelta(days=1)
    day: dt.date = row[0]
    return day


def catalog_for(settings: Settings, extra: Sequence[Path] = ()) -> Catalog:
    """The shipped catalog plus the directories of ``PASAR_CATALOG_PATH``, then ``extra``."""
    return load_catalog([*path_list(settings.catalog_path), *extra])


def run_query(
    request: QueryRequest,
    settings: Settings,
    catalog: Catalog | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> QueryResult:
    """Compile and run ``request`` on DuckDB over the warehouse."""
    catalog = catalog or catalog_for(settings)
    con = con or engine.connect(Warehouse(settings.warehouse_dir))
    if request.as_of is None and request.start is None and request.end is None:
        request.as_of = latest_day(con, settings.timezone)
    compiler = Compiler(catalog, "duckdb", settings.timezone)
    select = compiler.query(
        request.metrics,
        request.by,
        as_of=request.as_of,
        start=request.start,
        end=request.end,
        grain=request.grain,
        where=request.where,
    )
    return QueryResult(request, engine.run(con, select), select.sql("duckdb", pretty=True))


def metric_columns(table: pa.Table, metrics: Sequence[str]) -> list[str]:
    """The columns of ``table`` that hold metric values (the rest are keys and periods)."""
    return [c for c in table.column_names if c in set(metrics)]
