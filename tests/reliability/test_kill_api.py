"""The API server SIGKILLed at random moments of a stream of writes loses and duplicates nothing.

On SQLite and on PostgreSQL, ``pasar serve`` runs in a subprocess while a client sends a
stream of writes: a seller appeals each of 30 violations and a reviewer accepts or rejects each
appeal. At random writes (seeded; ``PASAR_FAULT_SEED`` replays a run) the server is SIGKILLed a
random fraction of a request's time after the write was sent — before, while or after the
server handles it. With the server down the store is checked: each appeal has its audit event
and each decision its audit event (and, when accepted, its reversal entry and that entry's
event) — never one without the other — and every write the client got a 2xx for is there.
The server is restarted and the client retries the write it got no answer for: a 409 tells it
the cut attempt had committed. A few answers are also thrown away by the client, as if the
connection had dropped after the commit: the retry must answer 409, never write twice. At the
end every write is in the store exactly once.
"""

from __future__ import annotations

import os
import random
import statistics
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, empty_database
from tests.reliability.appeals import (
    AppealStream,
    KillRecord,
    check_complete,
    check_consistent,
    plan_writes,
    read_store,
    seed_world,
)
from tests.reliability.server import ApiServer
from tests.reliability.tally import FaultTally

pytestmark = pytest.mark.slow

SELLERS = 30
KILLS = 3
LOST = 4  # answers the client throws away (a dropped connection) before retrying
WARM_UP = 3  # writes sent before the first kill, to measure how long one takes


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_server_loses_and_duplicates_no_write(
    backend: str, tmp_path: Path, faults: Callable[[str, str], FaultTally]
) -> None:
    tally = faults(f"API server SIGKILLed ({backend})", "kill points")
    seed = int(os.environ.get("PASAR_FAULT_SEED", "20261202"))
    rng = random.Random(seed)
    with empty_database(backend, tmp_path) as url:
        world = seed_world(url, SELLERS)
        server = ApiServer(tmp_path / "home", url, tmp_path / "serve.log")
        writes = plan_writes(sorted(world.violations), rng)

        def after_kill(record: KillRecord) -> None:
            where = f"kill {len(stream.kills)} (seed {seed}) {record}"
            with tally.case(where):
                check_consistent(read_store(url), stream)

        stream = AppealStream(world, server, after_kill)
        server.start()
        try:
            stream.run(writes[:WARM_UP], {})
            typical = statistics.median(stream.latencies)
            kills = rng.sample(range(len(writes) - WARM_UP), KILLS)
            kill_at = {n: rng.uniform(0, 2 * typical) for n in kills}
            near = {k + d for k in kills for d in range(4)}  # a kill may land a write or two on
            lose = rng.sample(sorted(set(range(len(writes) - WARM_UP)) - near), LOST)
            stream.run(writes[WARM_UP:], kill_at, frozenset(lose))
        finally:
            server.stop()
        with tally.check("after the stream"):
            view = read_store(url)
            check_consistent(view, stream)
            check_complete(view, writes)
    cut = [k for k in stream.kills if k.hit is not None]
    tally.note(
        f"seed {seed}, {len(writes)} writes, typical write {typical * 1000:.0f} ms, "
        f"{len(cut)} kills cut a request ({sum(k.resolved == 'committed' for k in cut)} had "
        f"committed, {sum(k.resolved == 'rolled back' for k in cut)} had not), "
        f"{len(stream.lost)} answers dropped and retried, server restarts took "
        f"{min(server.start_seconds):.1f}–{max(server.start_seconds):.1f} s"
    )
    print(tally.line())
    assert len(stream.kills) == KILLS
    assert all(k.resolved for k in cut)
    assert stream.lost and all(lost.resolved == "committed" for lost in stream.lost)
    tally.assert_clean()
