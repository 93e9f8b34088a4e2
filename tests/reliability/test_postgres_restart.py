"""PostgreSQL restarted under the pipeline and under the API.

A private PostgreSQL 15 cluster (never the machine's shared server) holds the operational
store. ``pasar run`` over 10 days of the generated marketplace runs once uninterrupted (the
reference); then, in each trial, a run on a fresh database has the cluster stopped under it
(``pg_ctl stop -m immediate``: every backend dies, no checkpoint) at a random moment, either
until the run has ended or restarted at once. The run must end — with one clear error line and
no traceback when it fails — the store must hold whole days only (a day's log entry, ledger
entries and actions all there or none), and a rerun must end with the reference's ledger.

Then ``pasar serve`` takes a stream of appeals and decisions while the cluster is restarted
three times: once while the API is idle (its pooled connections all broken, unknown to it),
twice while writes arrive (requests sent while it is down get a 5xx and are retried). Every
request sent after the cluster is back must succeed at once — stale pooled connections are
replaced, not used — and every write must be in the store exactly once.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.reliability.appeals import (
    AppealStream,
    Write,
    check_complete,
    check_consistent,
    plan_writes,
    read_store,
    seed_world,
)
from tests.reliability.ledger import (
    GovernanceBase,
    check_whole_days,
    complete_run,
    governance_base,
    ledger_state,
    start_run,
)
from tests.reliability.postgres import Cluster, private_postgres
from tests.reliability.server import ApiServer
from tests.reliability.tally import FaultTally

pytestmark = pytest.mark.slow

DAYS = 10
TRIALS = 4
RESTARTS = 2
SELLERS = 24
HANG_GUARD = 300  # seconds a cut run may take to end before it counts as hung


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with private_postgres() as started:
        yield started


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> GovernanceBase:
    return governance_base(tmp_path_factory.mktemp("pg-restart"), DAYS)


def _seed() -> int:
    return int(os.environ.get("PASAR_FAULT_SEED", "20261203"))


def test_a_run_cut_by_a_restart_fails_clearly_and_a_rerun_completes(
    cluster: Cluster,
    base: GovernanceBase,
    tmp_path: Path,
    faults: Callable[[str, str], FaultTally],
) -> None:
    tally = faults("PostgreSQL stopped under `pasar run`", "restart points")
    first, last = base.first, base.last
    reference = tmp_path / "reference"
    shutil.copytree(base.home, reference)
    reference_url = cluster.create_database("reference")
    seconds = complete_run(reference, first, last, reference_url)
    expected = ledger_state(reference_url)
    assert sum(expected.entries.values()) > 0 and sum(expected.actions.values()) > 0
    rng = random.Random(_seed())
    failed = recovered = whole_days = 0
    example = ""
    for trial in range(TRIALS):
        down_until_the_end = trial % 2 == 0
        home = tmp_path / f"trial-{trial}"
        shutil.copytree(base.home, home)
        url = cluster.create_database(f"trial_{trial}")
        delay = rng.uniform(0.3, seconds * 0.9)
        how = "down until the run ended" if down_until_the_end else "restarted at once"
        with tally.case(f"trial {trial}: stopped {delay:.1f} s into a {seconds:.1f} s run, {how}"):
            process = start_run(home, first, last, url)
            time.sleep(delay)
            ended_before = process.poll() is not None
            cluster.stop_immediately()
            if not down_until_the_end:
                cluster.start()
            try:
                _, err = process.communicate(timeout=HANG_GUARD)
            finally:
                if process.poll() is None:
                    process.kill()
                if down_until_the_end:
                    cluster.start()
            message = err.decode()
            assert "Traceback" not in message, message
            if process.returncode != 0:
                failed += 1
                assert process.returncode == 1, message  # an unexpected failure, not bad input
                lines = message.strip().splitlines()
                assert lines and lines[0].startswith("error:"), message
                assert "connection" in message.lower(), message
                example = example or lines[0]
            elif not ended_before:
                recovered += 1
            found = ledger_state(url)
            whole_days += check_whole_days(found, expected, base.days)
            if process.returncode == 0:  # a run that says it succeeded did every day
                assert found == expected, "a successful run differs from the reference"
            complete_run(home, first, last, url)
            assert ledger_state(url) == expected, "the rerun differs from the uninterrupted run"
        shutil.rmtree(home)
    tally.note(
        f"{failed} runs failed with an error line, {recovered} carried on through a restart, "
        f"{whole_days} whole days kept before the reruns; e.g. {example[:200]!r}"
    )
    print(tally.line())
    assert failed >= 1
    tally.assert_clean()


def test_the_api_recovers_when_postgres_comes_back(
    cluster: Cluster, tmp_path: Path, faults: Callable[[str, str], FaultTally]
) -> None:
    tally = faults("PostgreSQL restarted under `pasar serve`", "restarts")
    rng = random.Random(_seed())
    url = cluster.create_database("api")
    world = seed_world(url, SELLERS)
    server = ApiServer(tmp_path / "home", url, tmp_path / "serve.log")
    stream = AppealStream(world, server, lambda record: None, retry_server_errors=True)
    writes = plan_writes(sorted(world.violations), rng)
    third = len(writes) // 3
    server.start()
    try:
        stream.run(writes[:third], {})
        with tally.case("restart while the API is idle"):
            # its pooled connections are now broken, and no request has found out yet
            cluster.stop_immediately()
            cluster.start()
            stream.run(writes[third : 2 * third], {})
            assert not stream.server_errors, "requests failed after PostgreSQL was back"
        _restarts_under_load(cluster, stream, writes[2 * third :], tally, rng)
    finally:
        server.stop()
    with tally.check("after the stream"):
        view = read_store(url)
        check_consistent(view, stream)
        check_complete(view, writes)
    tally.note(
        f"{len(writes)} writes, {len(stream.server_errors)} answered 5xx while the database "
        f"was down and were retried"
    )
    print(tally.line())
    tally.assert_clean()


def _restarts_under_load(
    cluster: Cluster,
    stream: AppealStream,
    writes: list[Write],
    tally: FaultTally,
    rng: random.Random,
) -> None:
    """Send ``writes`` from another thread while the cluster is stopped for 0.1–1 s and
    started again, at random points; a request sent after it is back must not fail."""
    problems: list[BaseException] = []
    done = len(stream.acknowledged)

    def send() -> None:
        try:
            stream.run(writes, {})
        except BaseException as exc:  # handed to the test's thread
            problems.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    for n, mark in enumerate(sorted(rng.sample(range(2, len(writes) - 4), RESTARTS))):
        while len(stream.acknowledged) < done + mark and sender.is_alive():
            time.sleep(0.005)
        with tally.case(f"restart under load after {mark} writes"):
            errors_before = len(stream.server_errors)
            cluster.stop_immediately()
            time.sleep(rng.uniform(0.1, 1.0))  # requests meet a stopped database
            cluster.start()
            back = time.monotonic()
            while len(stream.acknowledged) < done + mark + 2 and sender.is_alive():
                time.sleep(0.005)
            late = [at for at in stream.server_errors[errors_before:] if at > back]
            assert not late, f"restart {n + 1}: {len(late)} requests failed after it was back"
    sender.join(timeout=HANG_GUARD)
    assert not sender.is_alive(), "the client hung"
    if problems:
        raise problems[0]
