"""Orders batches for warehouse fault tests: CSV files, the state they lead to, and the check
that ingesting a batch again ends with all of it exactly once.

A scenario is an earlier batch (state A) committed in a warehouse and a new, overlapping file
whose whole batch leads to state B, computed from the two files alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from pasar.config import Settings
from pasar.kit.sqltext import literal
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse

State = tuple[int, int, str, int, int]  # orders, distinct keys, sum(gmv), checksum, sellers


def write_orders(path: Path, first: int, count: int, shift: str, sellers: int) -> None:
    """``count`` valid orders from key ``first``; ``shift`` changes every amount of a batch."""
    duckdb.execute(
        f"""
        COPY (
            SELECT 'o' || lpad(CAST(i AS VARCHAR), 8, '0') AS order_id,
                   'S' || CAST(i % {sellers} AS VARCHAR) AS seller_id,
                   'B' || CAST(i % 5003 AS VARCHAR) AS buyer_id,
                   strftime(TIMESTAMP '2025-01-01' + to_seconds(i % 9000000),
                            '%Y-%m-%d %H:%M:%S') AS created_at,
                   'delivered' AS status,
                   CAST(CAST((i * 7919) % 10000000 AS DECIMAL(18, 2)) / 100 + {shift}
                        AS VARCHAR) AS gmv
            FROM range({first}, {first + count}) t(i)
        ) TO {literal(path.as_posix())} (FORMAT csv, HEADER true)
        """
    )


def state(home: Path) -> State:
    """What the warehouse under ``home`` holds, as counts and checksums."""
    con = Warehouse(Settings(home=home).warehouse_dir).connect()
    try:
        orders = con.execute(
            "SELECT count(*), count(DISTINCT order_id), CAST(sum(gmv) AS VARCHAR), "
            "CAST(sum(hash(order_id, gmv) % 1000000007) AS BIGINT) FROM orders"
        ).fetchall()[0]
        sellers = con.execute("SELECT count(*) FROM sellers").fetchall()[0][0]
    finally:
        con.close()
    return (int(orders[0]), int(orders[1]), str(orders[2]), int(orders[3] or 0), int(sellers))


def expected_after(earlier: Path, new: Path) -> State:
    """The state after the new batch, computed from the two files alone."""

    def read(path: Path) -> str:
        return (
            f"(SELECT order_id, seller_id, CAST(gmv AS DECIMAL(18, 2)) AS gmv "
            f"FROM read_csv({literal(path.as_posix())}, all_varchar = true))"
        )

    found = duckdb.execute(
        f"""
        WITH a AS {read(earlier)}, b AS {read(new)},
             s AS (SELECT * FROM a WHERE order_id NOT IN (SELECT order_id FROM b)
                   UNION ALL SELECT * FROM b)
        SELECT count(*), count(DISTINCT order_id), CAST(sum(gmv) AS VARCHAR),
               CAST(sum(hash(order_id, gmv) % 1000000007) AS BIGINT),
               (SELECT count(DISTINCT seller_id) FROM (SELECT seller_id FROM a
                                                        UNION ALL SELECT seller_id FROM b))
        FROM s
        """
    ).fetchall()[0]
    return (int(found[0]), int(found[1]), str(found[2]), int(found[3]), int(found[4]))


def ingest_orders(path: Path, home: Path) -> str:
    """Ingest ``path`` in this process; the batch status."""
    request = IngestRequest([path], options=ConnectorOptions(table="orders"))
    return ingest(request, Settings(home=home)).status


@dataclass
class Scenario:
    earlier: Path
    new: Path
    before: Path  # a PASAR_HOME holding the earlier batch
    a: State
    b: State


def scenario(root: Path, earlier_rows: int, new_rows: int) -> Scenario:
    """An earlier batch in a warehouse, and a new file overlapping half of it."""
    earlier, new = root / "orders_earlier.csv", root / "orders_new.csv"
    write_orders(earlier, 0, earlier_rows, "0", sellers=97)
    write_orders(new, earlier_rows // 2, new_rows, "1.25", sellers=131)
    before = root / "before"
    ingest_orders(earlier, before)
    a = state(before)
    assert a[0] == earlier_rows
    b = expected_after(earlier, new)
    assert b != a
    return Scenario(earlier, new, before, a, b)


def check_rerun(home: Path, sc: Scenario, note: str) -> None:
    """Ingesting the same file again completes with the whole new batch, exactly once."""
    assert ingest_orders(sc.new, home) in ("committed", "unchanged"), note
    assert state(home) == sc.b, note
    con = Warehouse(Settings(home=home).warehouse_dir).connect()
    try:
        batches = con.execute(
            "SELECT count(DISTINCT _batch_id) FROM orders WHERE _source_file = ?", [str(sc.new)]
        ).fetchall()[0][0]
    finally:
        con.close()
    assert batches == 1, note
    manifest = Warehouse(Settings(home=home).warehouse_dir).manifest()
    assert sum(1 for b in manifest.batches if str(sc.new) in {f.path for f in b.files}) == 1, note
