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
import subprocess
import time
from pathlib import Path

import pytest

from pasar.warehouse.store import Manifest
from tests.reliability.orders import (
    Scenario,
    check_rerun,
    ingest_orders,
    scenario,
    state,
    write_orders,
)
from tests.reliability.processes import CLI, cli_env, kill_after, kill_when


def start(home: Path, csv: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, "ingest", str(csv), "--table", "orders"],
        env=cli_env(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


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
