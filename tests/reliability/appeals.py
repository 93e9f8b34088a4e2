"""A stream of governance writes through the API — sellers' appeals and reviewers' decisions —
sent by a client that retries a write whose answer it never got, and the check of the store
the writes landed in.

Each appeal is written with its audit event in one transaction; an accepted decision adds the
decision's audit event, a ``reversal`` ledger entry and that entry's audit event in one more.
The API has no idempotency keys: a retried submit is safe because a violation cannot have two
open appeals (409), a retried decision because an appeal is decided once (409).
"""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import pyarrow as pa
from sqlalchemy import create_engine, text

from pasar import migrations
from pasar.api.app import PREFIX
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.governance.models import PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.policy.evaluate import FINDINGS_SCHEMA
from tests.reliability.server import ApiServer

DAY = dt.date.today() - dt.timedelta(days=3)  # within the 30 days a first appeal may wait
PASSWORD = "a long enough passphrase"
EVIDENCE = {
    "impacted order ids": "O1, O2",
    "courier handover proof or tracking": "JNE 0042",
    "explanation": "the courier's hub was closed",
}
DECIDED = {"accept": "accepted", "reject": "rejected"}
RETRY_PAUSE = 0.1  # seconds between retries of a write answered 5xx


@dataclass(frozen=True)
class AppealWorld:
    """A migrated store holding one violation per seller, a seller user for all the shops and
    a reviewer, with a token each."""

    url: str
    violations: dict[int, str]  # violation (points entry) id → seller
    seller_token: str
    reviewer_token: str


def _findings(sellers: list[str]) -> pa.Table:
    rows = []
    for seller in sellers:
        row: dict[str, Any] = dict.fromkeys(FINDINGS_SCHEMA.names)
        row.update(
            as_of=DAY, pack="tokopedia-id", pack_version=2, policy_id="late-dispatch-points",
            policy_version=2, entity="seller", subject=seller, kind="points", points=2,
            points_max=4, category="fulfilment", values='{"late_dispatch_rate_7d": 0.2}',
            explanation_en=f"{seller} dispatched late", explanation_id=f"{seller} terlambat",
        )  # fmt: skip
        rows.append(row)
    return pa.Table.from_pylist(rows, FINDINGS_SCHEMA)


def seed_world(url: str, sellers: int) -> AppealWorld:
    """Migrate the store at ``url`` and give ``sellers`` shops one violation each."""
    migrations.upgrade(url)
    shops = [f"S{n:04d}" for n in range(sellers)]
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            apply_day(session, scheme, DAY, _findings(shops), {}, DayReport(DAY, "", ""))
            seller = create_user(
                session, "shop-owner", "Owner", "seller", PASSWORD, seller_id=shops[0],
                linked_shops=shops[1:],
            )  # fmt: skip
            reviewer = create_user(session, "rina", "Rina", "governance_reviewer", PASSWORD)
            seller_token = issue_token(session, seller, "faults", sorted(ROLES["seller"]))[1]
            reviewer_token = issue_token(
                session, reviewer, "faults", sorted(ROLES["governance_reviewer"])
            )[1]
            violations = {
                entry.id: entry.seller_id
                for entry in session.query(PointsEntry).filter(PointsEntry.kind == "issue")
            }
    finally:
        db.dispose()
    assert len(violations) == sellers
    return AppealWorld(url, violations, seller_token, reviewer_token)


@dataclass(frozen=True)
class Write:
    """One write of the stream: submit an appeal of a violation, or decide it."""

    kind: Literal["submit", "decide"]
    violation: int
    decision: str = ""


def plan_writes(violations: list[int], rng: random.Random) -> list[Write]:
    """Each violation appealed, and decided (accept or reject at random) one write later."""
    writes: list[Write] = []
    for n, violation in enumerate(violations):
        writes.append(Write("submit", violation))
        if n:
            writes.append(Write("decide", violations[n - 1], rng.choice(list(DECIDED))))
    writes.append(Write("decide", violations[-1], rng.choice(list(DECIDED))))
    return writes


@dataclass
class KillRecord:
    """One SIGKILL of the server and what the client saw of it."""

    armed: Write  # the write after whose sending the kill was timed
    delay: float  # seconds after that write was sent
    hit: Write | None  # the write whose request it cut (None: between two writes)
    resolved: str = ""  # for a cut write: "committed" or "rolled back", as its retry showed


@dataclass
class LostAnswer:
    """A 2xx the client threw away, as if the connection had dropped, to retry the write."""

    write: Write
    resolved: str = ""  # what the retry showed: "committed" (409), as it must be


@dataclass
class AppealStream:
    """The client: sends writes in order, kills the server at chosen writes and restarts it,
    and retries a write it got no answer for (or a 5xx, with ``retry_server_errors``)."""

    world: AppealWorld
    server: ApiServer
    after_kill: Callable[[KillRecord], None]  # called with the server down, before restarting
    appeals: dict[int, int] = field(default_factory=dict)  # violation → appeal id
    acknowledged: dict[Write, int] = field(default_factory=dict)  # write → its 2xx status
    kills: list[KillRecord] = field(default_factory=list)
    lost: list[LostAnswer] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    retry_server_errors: bool = False  # a 5xx (the database is down) is retried, not an error
    server_errors: list[float] = field(default_factory=list)  # when each 5xx's request was sent
    _timer: threading.Timer | None = None
    _armed: tuple[Write, float] | None = None
    _killed_at: float | None = None

    def run(
        self, writes: list[Write], kill_at: dict[int, float], lose: frozenset[int] = frozenset()
    ) -> None:
        """Send every write; SIGKILL the server ``kill_at[n]`` seconds after write ``n`` is sent
        (a kill still pending when the next one is due lands first, between two writes); throw
        away the answer to each write of ``lose`` (unless a kill is pending) and send it again."""
        with httpx.Client(base_url=self.server.url, timeout=120) as client:
            for n, write in enumerate(writes):
                if self._timer is not None and (n in kill_at or not self._timer.is_alive()):
                    self._recover(None, 0.0)
                if n in kill_at:
                    self._arm(write, kill_at[n])
                self._send(client, write, n in lose)
        if self._timer is not None:
            self._recover(None, 0.0)

    def _arm(self, write: Write, delay: float) -> None:
        self._killed_at, self._armed = None, (write, delay)
        self._timer = threading.Timer(delay, self._kill)
        self._timer.start()

    def _kill(self) -> None:
        self._killed_at = time.monotonic()
        self.server.kill()

    def _recover(self, cut: Write | None, sent_at: float) -> KillRecord:
        """Wait for the armed kill, check the store with the server down, restart it."""
        assert self._timer is not None and self._armed is not None
        self._timer.join()
        assert self._killed_at is not None
        in_flight = cut is not None and self._killed_at > sent_at
        record = KillRecord(*self._armed, cut if in_flight else None)
        self._timer = self._armed = None
        self.kills.append(record)
        self.after_kill(record)
        self.server.start()
        return record

    def _send(self, client: httpx.Client, write: Write, lose: bool) -> None:
        doubt: KillRecord | LostAnswer | None = None  # why this write's outcome was unknown
        in_doubt = False  # an attempt may have committed without the client hearing of it
        while True:
            sent_at = time.monotonic()
            try:
                response = self._request(client, write)
            except httpx.TransportError:
                if self._timer is None:
                    raise AssertionError(
                        f"{write}: the server failed unkilled:\n{self.server.tail()}"
                    ) from None
                record = self._recover(write, sent_at)
                if record.hit is not None:
                    doubt, in_doubt = record, True
                continue
            if response.status_code >= 500 and self.retry_server_errors:
                self.server_errors.append(sent_at)
                in_doubt = True
                time.sleep(RETRY_PAUSE)
                continue
            if not in_doubt:
                self.latencies.append(time.monotonic() - sent_at)
            if lose and response.is_success and doubt is None and self._timer is None:
                doubt, in_doubt = LostAnswer(write), True
                self.lost.append(doubt)
                continue
            resolved = self._settle(client, write, response, in_doubt)
            if doubt is not None:
                doubt.resolved = resolved
            return

    def _request(self, client: httpx.Client, write: Write) -> httpx.Response:
        if write.kind == "submit":
            body = {
                "violation_id": write.violation,
                "reason": "logistics_provider",
                "evidence": EVIDENCE,
                "statement": f"appeal of violation {write.violation}",
            }
            return client.post(f"{PREFIX}/appeals", json=body, headers=self._as("seller"))
        appeal = self.appeals[write.violation]
        body = {"decision": write.decision, "reason": "checked the courier", "version": 1}
        return client.post(
            f"{PREFIX}/appeals/{appeal}/decision", json=body, headers=self._as("reviewer")
        )

    def _settle(
        self, client: httpx.Client, write: Write, response: httpx.Response, in_doubt: bool
    ) -> str:
        """Take in the answer: after an attempt in doubt, "committed" when the retry's 409
        shows the attempt had been written, else "rolled back"; a 409 otherwise is an error."""
        if response.is_success:
            self.acknowledged[write] = response.status_code
            if write.kind == "submit":
                self.appeals[write.violation] = int(response.json()["id"])
            return "rolled back" if in_doubt else ""
        conflict = response.status_code == 409 and response.json()["error"]["code"] == "conflict"
        if not (in_doubt and conflict):
            raise AssertionError(f"{write}: {response.status_code} {response.text}")
        seller = self.world.violations[write.violation]
        listed = client.get(
            f"{PREFIX}/appeals", params={"seller_id": seller}, headers=self._as("seller")
        )
        assert listed.status_code == 200, listed.text
        mine = [a for a in listed.json()["items"] if a["violation_id"] == write.violation]
        assert len(mine) == 1, mine
        self.appeals[write.violation] = int(mine[0]["id"])
        if write.kind == "decide":
            assert mine[0]["status"] == DECIDED[write.decision], mine[0]
        return "committed"

    def _as(self, who: str) -> dict[str, str]:
        token = self.world.seller_token if who == "seller" else self.world.reviewer_token
        return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class StoreView:
    """What the store holds of the stream's writes."""

    appeals: dict[int, tuple[int, str]]  # appeal id → (violation, status)
    audit: Counter[tuple[str, str, str]]  # (action, entity_type, entity_id)
    reversals: dict[int, int]  # reversal entry id → the violation it offsets


def read_store(url: str) -> StoreView:
    """The appeals, their audit events and the reversal entries, read directly (not via API)."""
    engine = create_engine(url)
    try:
        with engine.connect() as con:
            appeals = {
                int(i): (int(entry), str(status))
                for i, entry, status in con.execute(
                    text("SELECT id, entry_id, status FROM appeals")
                )
            }
            audit = Counter(
                (str(a), str(t), str(e))
                for a, t, e in con.execute(
                    text(
                        "SELECT action, entity_type, entity_id FROM audit_events "
                        "WHERE entity_type IN ('appeal', 'points_entry')"
                    )
                )
            )
            reversals = {
                int(i): int(offsets)
                for i, offsets in con.execute(
                    text("SELECT id, offsets_id FROM points_entries WHERE kind = 'reversal'")
                )
            }
    finally:
        engine.dispose()
    return StoreView(appeals, audit, reversals)


def check_consistent(view: StoreView, stream: AppealStream) -> None:
    """No half-written write and nothing twice; every acknowledged write is there."""
    per_violation = Counter(violation for violation, _ in view.appeals.values())
    twice = {v: n for v, n in per_violation.items() if n > 1}
    assert not twice, f"violations appealed more than once: {twice}"
    for appeal, (_violation, status) in view.appeals.items():
        ref = str(appeal)
        assert view.audit[("appeal.submitted", "appeal", ref)] == 1, f"appeal {appeal} audit"
        for decided in DECIDED.values():
            wanted = 1 if status == decided else 0
            found = view.audit[(f"appeal.{decided}", "appeal", ref)]
            assert found == wanted, f"appeal {appeal} ({status}): {found} appeal.{decided}"
    orphans = {key for key in view.audit if key[1] == "appeal" and int(key[2]) not in view.appeals}
    assert not orphans, f"audit events of appeals that do not exist: {orphans}"
    accepted = sorted(v for v, status in view.appeals.values() if status == "accepted")
    assert sorted(view.reversals.values()) == accepted, "reversals ≠ accepted appeals"
    for entry in view.reversals:
        assert view.audit[("points.reversed", "points_entry", str(entry))] == 1, entry
    for write in stream.acknowledged:
        appeal = stream.appeals[write.violation]
        assert appeal in view.appeals, f"acknowledged {write} is not in the store"
        violation, status = view.appeals[appeal]
        assert violation == write.violation, (write, violation)
        if write.kind == "decide":
            assert status == DECIDED[write.decision], (write, status)


def check_complete(view: StoreView, writes: list[Write]) -> None:
    """Every write of the stream is in the store exactly once."""
    wanted = {w.violation: DECIDED[w.decision] for w in writes if w.kind == "decide"}
    found = {violation: status for violation, status in view.appeals.values()}
    assert len(view.appeals) == len(wanted), (len(view.appeals), len(wanted))
    assert found == wanted
