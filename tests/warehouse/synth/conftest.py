"""Fixtures for the synthetic marketplace tests: one small market, generated once per session.

Every number the tests check is computed independently from the Parquet output with DuckDB;
``open_market`` gives a connection with one view per fact table of the data contract.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.synth.generator import SynthResult, generate
from pasar.warehouse.synth.profile import load_profile

# The small market is generated once per process even when another test folder imports the
# ``small_market`` fixture (pytest then registers a second copy of the same fixture).
_MARKETS: dict[str, SynthResult] = {}


def open_market(folder: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection (UTC) with a view per contract table and a ``wib(ts)`` macro.

    ``wib(ts)`` turns a UTC timestamp into Western Indonesia Time (UTC+7, no daylight saving).
    """
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name in CONTRACT:
        path = (folder / f"{name}.parquet").as_posix()
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    con.execute("CREATE MACRO wib(ts) AS ts::TIMESTAMP + INTERVAL 7 HOUR")
    return con


@pytest.fixture(scope="session")
def small_market(tmp_path_factory: pytest.TempPathFactory) -> SynthResult:
    """The shipped ``small`` profile (~100k orders over a year), generated once."""
    if "small" not in _MARKETS:
        _MARKETS["small"] = generate(load_profile("small"), tmp_path_factory.mktemp("market"))
    return _MARKETS["small"]


@pytest.fixture(scope="session")
def con(small_market: SynthResult) -> Iterator[duckdb.DuckDBPyConnection]:
    """DuckDB over the small market: ``SELECT count(*) FROM orders`` works."""
    connection = open_market(small_market.out)
    yield connection
    connection.close()
