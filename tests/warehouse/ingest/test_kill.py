"""A batch is atomic even when its process is killed: the warehouse is the state before or after.

A warehouse holds an earlier batch (state A). A second, larger CSV (new orders, updated orders
and new sellers) is ingested by ``pasar ingest`` in a subprocess that is SIGKILLed after a
random delay, many times over, each from a fresh copy of state A. After every kill the
warehouse must be exactly A or exactly the whole new batch (B) in every table: row counts and a
checksum of keys and amounts, compared with A as measured and B as computed from the CSVs. The
manifest must parse, and ingesting the same file again must complete with B, once (no key
twice, one batch id for the new rows).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pasar.config import Settings
from pasar.kit.sqltext import literal
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Manifest, Warehouse

CLI = [sys.executable, "-c", "from pasar.cli.main import entrypoint; entrypoint()"]
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


def start(home: Path, csv: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PASAR_HOME": str(home)}
    env.pop("PASAR_DATABASE_URL", None)
    return subprocess.Popen(
        [*CLI, "ingest", str(csv), "--table", "orders"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def kill_after(process: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL ``process`` after ``delay`` seconds unless it ends first; whether it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode == -signal.SIGKILL


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` (polled every millisecond); whether it was."""
    while process.poll() is None:
        if ready():
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            return process.returncode == -signal.SIGKILL
        time.sleep(0.001)
    return False


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


def kill_many(tmp_path: Path, sc: Scenario, kills: int, seed: int) -> list[tuple[float, str]]:
    """One full run to time the batch, then ``kills`` runs killed at random moments of it."""
    full = tmp_path / "full"
    shutil.copytree(sc.before, full)
    began = time.monotonic()
    process = start(full, sc.new)
    _, err = process.communicate(timeout=600)
    took = time.monotonic() - began
    assert process.returncode == 0, err.decode()
    assert state(full) == sc.b
    check_rerun(full, sc, "after an uninterrupted run")

    rng = random.Random(seed)
    delays = sorted(rng.uniform(0.05, took * 1.05) for _ in range(kills - 1))
    delays.append(took * rng.uniform(0.9, 1.0))  # late: merging or committing
    outcomes = []
    for n, delay in enumerate(delays):
        home = tmp_path / f"kill{n}"
        shutil.copytree(sc.before, home)
        process = start(home, sc.new)
        killed = kill_after(process, delay)
        note = f"seed {seed}, kill {n} after {delay:.2f} s of {took:.2f} s (killed: {killed})"
        raw = (home / "warehouse" / "manifest.json").read_bytes()
        Manifest.model_validate_json(raw)  # never half written
        now = state(home)
        assert now in (sc.a, sc.b), f"{note}: state {now} is neither {sc.a} nor {sc.b}"
        if not killed:
            assert now == sc.b, note
        outcomes.append((delay, "before" if now == sc.a else "after"))
        check_rerun(home, sc, note)
        shutil.rmtree(home)
    return outcomes


def test_killed_ingest_leaves_the_earlier_state_or_the_whole_batch(tmp_path: Path) -> None:
    sc = scenario(tmp_path, earlier_rows=20_000, new_rows=60_000)
    seed = int(os.environ.get("PASAR_KILL_SEED", random.randrange(1 << 30)))
    outcomes = kill_many(tmp_path, sc, kills=3, seed=seed)
    assert len(outcomes) == 3


def test_kill_after_segments_are_written_but_before_the_commit(tmp_path: Path) -> None:
    # the moment a writer has new Parquet files on disk that no manifest lists yet
    sc = scenario(tmp_path, earlier_rows=20_000, new_rows=60_000)
    home = tmp_path / "home"
    shutil.copytree(sc.before, home)
    tables = home / "warehouse"
    listed = {p for p in tables.rglob("*.parquet")}

    def new_segment() -> bool:
        return any(p not in listed for p in tables.glob("orders/*.parquet"))

    killed = kill_when(start(home, sc.new), new_segment)
    assert killed, "the batch ended before its first orders segment was seen"
    Manifest.model_validate_json((tables / "manifest.json").read_bytes())
    assert state(home) == sc.a  # the manifest goes last
    assert any(p not in listed for p in tables.rglob("*.parquet"))  # orphans, unlisted
    check_rerun(home, sc, "killed at the first new segment")


@pytest.mark.slow
def test_killed_large_ingest_many_times(tmp_path: Path) -> None:
    sc = scenario(tmp_path, earlier_rows=150_000, new_rows=300_000)
    seed = int(os.environ.get("PASAR_KILL_SEED", random.randrange(1 << 30)))
    outcomes = kill_many(tmp_path, sc, kills=8, seed=seed)
    assert any(o == "before" for _, o in outcomes), outcomes


@pytest.mark.slow
def test_killed_first_ingest_leaves_an_empty_or_complete_warehouse(tmp_path: Path) -> None:
    new = tmp_path / "orders.csv"
    write_orders(new, 0, 300_000, "0", sellers=131)
    rng = random.Random(int(os.environ.get("PASAR_KILL_SEED", random.randrange(1 << 30))))
    empty = (0, 0, "None", 0, 0)
    for n in range(4):
        home = tmp_path / f"kill{n}"
        killed = kill_after(start(home, new), rng.uniform(0.5, 6.0))
        manifest = home / "warehouse" / "manifest.json"
        if manifest.exists():
            Manifest.model_validate_json(manifest.read_bytes())
        now = state(home)
        assert now == empty or now[:2] == (300_000, 300_000), (n, killed, now)
        assert ingest_orders(new, home) in ("committed", "unchanged")
        assert state(home)[:2] == (300_000, 300_000)
