"""A pipeline run killed at any point and run again ends exactly as an uninterrupted run.

The small marketplace is ingested once and its seller snapshots built. ``pasar run --from
--to`` over 10 days runs once to completion (the reference). Then, many times over, a fresh
copy is run in a subprocess SIGKILLed after a random delay, and run again to completion. The
points ledger, the actions and warnings, the audit log and the log of days must then equal the
reference's — nothing missing, nothing twice — compared by content, not by row ids.
"""

from __future__ import annotations

import random
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.ledger import (
    GovernanceBase,
    complete_run,
    governance_base,
    ledger_state,
    sqlite_url,
    start_run,
)

pytestmark = pytest.mark.slow

TRIALS = 12
DAYS = 10


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GovernanceBase]:
    yield governance_base(tmp_path_factory.mktemp("governance-kill"), DAYS)


def test_killed_runs_end_as_an_uninterrupted_run(base: GovernanceBase, tmp_path: Path) -> None:
    first, last = base.first, base.last
    reference = tmp_path / "reference"
    shutil.copytree(base.home, reference)
    seconds = complete_run(reference, first, last)
    expected = ledger_state(sqlite_url(reference))
    assert sum(expected.entries.values()) > 0 and sum(expected.actions.values()) > 0
    chooser = random.Random(20261201)
    killed = tried = 0
    # a run can finish before its kill when it is faster than the reference was (a busy
    # machine): keep trying until half of the trials, at least, were killed mid-run
    while tried < TRIALS or (killed < TRIALS // 2 and tried < 3 * TRIALS):
        trial, tried = tried, tried + 1
        copy = tmp_path / f"trial-{trial}"
        shutil.copytree(base.home, copy)
        process = start_run(copy, first, last)
        time.sleep(chooser.uniform(0.3, seconds))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            killed += 1
        process.wait(timeout=600)
        complete_run(copy, first, last)
        assert ledger_state(sqlite_url(copy)) == expected, (
            f"trial {trial} differs from the uninterrupted run"
        )
        shutil.rmtree(copy)
    print(f"{tried} trials, {killed} killed mid-run, all equal to the uninterrupted run")
    assert killed >= TRIALS // 2
