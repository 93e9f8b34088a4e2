"""A pipeline run killed at any point and run again ends exactly as an uninterrupted run.

The small marketplace is ingested once and its seller snapshots built. ``pasar run --from
--to`` over 10 days runs once to completion (the reference). Then, many times over, a fresh
copy is run in a subprocess SIGKILLed after a random delay, and run again to completion. The
points ledger, the actions and warnings, the audit log and the log of days must then equal the
reference's — nothing missing, nothing twice — compared by content, not by row ids.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from pasar.config import Settings
from pasar.metrics.catalog import load_catalog
from pasar.metrics.query import latest_day
from pasar.metrics.snapshots import build_snapshots
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-c", "from pasar.cli.main import entrypoint; entrypoint()"]
TRIALS = 12
DAYS = 10

State = tuple[Counter[tuple[object, ...]], ...]


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dt.date, dt.date]]:
    root = tmp_path_factory.mktemp("governance-kill")
    synth = root / "synth"
    generate(load_profile("small"), synth)
    home = root / "home"
    settings = Settings(home=home)
    assert ingest(IngestRequest([synth], source="generic"), settings).status == "committed"
    last = latest_day(Warehouse(settings.warehouse_dir).connect(), settings.timezone)
    first = last - dt.timedelta(days=DAYS - 1)
    days = [first + dt.timedelta(days=i) for i in range(DAYS)]
    build_snapshots("seller", days, settings, load_catalog())  # kills land on the ledger work
    yield home, first, last


def _run(home: Path, first: dt.date, last: dt.date) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PASAR_HOME": str(home), "PASAR_DATABASE_URL": ""}
    args = [*CLI, "run", "--from", first.isoformat(), "--to", last.isoformat(), "--no-report"]
    return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _complete(home: Path, first: dt.date, last: dt.date) -> float:
    started = time.monotonic()
    process = _run(home, first, last)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()
    return time.monotonic() - started


def _state(home: Path) -> State:
    """The stores' content without row ids or clock times."""
    con = sqlite3.connect(home / "pasar.db")
    try:
        keys = dict(con.execute("SELECT id, dedupe_key FROM points_entries").fetchall())
        rows = con.execute(
            "SELECT dedupe_key, seller_id, kind, points, effective_on, expires_on, "
            "offsets_id, policy_id, repeat FROM points_entries"
        ).fetchall()
        entries = Counter((*row[:6], keys.get(row[6]), *row[7:]) for row in rows)
        action_keys = dict(con.execute("SELECT id, dedupe_key FROM enforcement_actions").fetchall())
        actions = Counter(
            con.execute(
                "SELECT dedupe_key, seller_id, action, status, starts_on, ends_on, balance "
                "FROM enforcement_actions"
            ).fetchall()
        )
        names = {"points_entry": keys, "enforcement_action": action_keys}
        audit = Counter(
            (action, entity_type, names.get(entity_type, {}).get(int(entity_id), entity_id))
            for action, entity_type, entity_id in con.execute(
                "SELECT action, entity_type, entity_id FROM audit_events"
            )
        )
        runs = Counter(con.execute("SELECT dedupe_key, findings FROM governance_runs").fetchall())
    finally:
        con.close()
    return entries, actions, audit, runs


def test_killed_runs_end_as_an_uninterrupted_run(
    base: tuple[Path, dt.date, dt.date], tmp_path: Path
) -> None:
    home, first, last = base
    reference = tmp_path / "reference"
    shutil.copytree(home, reference)
    seconds = _complete(reference, first, last)
    expected = _state(reference)
    assert sum(expected[0].values()) > 0 and sum(expected[1].values()) > 0  # it did something
    chooser = random.Random(20261201)
    killed = 0
    for trial in range(TRIALS):
        copy = tmp_path / f"trial-{trial}"
        shutil.copytree(home, copy)
        process = _run(copy, first, last)
        time.sleep(chooser.uniform(0.3, seconds))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=600)
        _complete(copy, first, last)
        assert _state(copy) == expected, f"trial {trial} differs from the uninterrupted run"
        shutil.rmtree(copy)
    print(f"{TRIALS} trials, {killed} killed mid-run, all equal to the uninterrupted run")
    assert killed >= TRIALS // 2
