"""Sustained mixed load on the API and the console: 60 s (10 s with ``--quick``) of 50 clients
on loopback, reading and writing at once, served by uvicorn with 2 workers over PostgreSQL —
and then a count of the rows, so that a write that was answered but not kept shows.

Setup (through Pasar's own code, on a throwaway database ``pasar_bench_load``): the governance
ledger of :func:`benchmarks.bench_api.seed` (2,000 sellers, 120 days; 500 and 30 with
``--quick``), then the sellers with violations still open to appeal or actions lifted by a
plan of action are split into three disjoint groups, so that no two writes of the run touch the
same seller: appeals already waiting for a decision (decided during the run), violations to
appeal, and actions to submit a plan for. Each seller of the last two groups gets a seller
account and a token; a reviewer gets a token and 50 console sessions (one per person at a
browser).

Load: wrk, 50 connections, a Lua script that sends, in a fixed rotation, one write for every
four reads while writes remain, and only reads in the last ``QUIET`` seconds (so every write is
answered before wrk stops and can be counted):

* reads — the seller detail API, a seller's violations API, the appeal queue API, and the
  console's seller search and seller page (server-rendered HTML, session cookie);
* writes — a reviewer accepting or rejecting an appeal, a seller appealing a violation with its
  evidence, a seller submitting a plan of action. Each target is written once.

The script counts the 2xx answers of each kind of write (told apart by their bodies). After
the load and a drain, the rows are counted: decided appeals, new appeals, plans of action and
their audit events must equal the answered writes exactly (nothing lost, nothing twice), and
no request may have failed (non-2xx, socket error, timeout or still open in the database).

Baseline: the same clients and read mix without writes on the same server, for the cost of
writing under load (ratio mixed ÷ reads only).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from unittest import mock

from sqlalchemy import func, select

from benchmarks import bench_api as api
from benchmarks.common import Result, log
from pasar.audit.models import AuditEvent
from pasar.auth import service as auth_service
from pasar.auth.service import create_user, issue_token
from pasar.auth.sessions import COOKIE, open_session
from pasar.governance.appeals import submit as submit_appeal
from pasar.governance.models import Appeal, EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database

NAME = "load"
DATABASE = "pasar_bench_load"
FULL = (2_000, 120, 60, 20)  # sellers, days of ledger, mixed seconds, reads-only seconds
QUICK = (500, 30, 10, 5)
WARMUP = 5
QUIET = 5  # seconds at the end of the mixed run with reads only
READS_PER_WRITE = 4
PER_GROUP = 400  # at most this many targets of each kind of write
SEED = 20261202
PASSWORD = "a long load-test passphrase"


@dataclass(frozen=True)
class Targets:
    """What the load reads and writes, with the tokens and cookies to do it."""

    reads: list[dict[str, str]]  # {"path", "auth"} where auth is "token" or "cookie"
    writes: list[dict[str, str]]  # {"kind", "path", "body", "token"}
    reviewer_token: str
    cookies: list[str]
    decide: list[int]  # appeals waiting for a decision
    seeded_appeals: int
    seeded_events: dict[str, int]


_EVENTS = ("appeal.submitted", "appeal.accepted", "appeal.rejected", "poa.submitted")


def _events(session: Any) -> dict[str, int]:
    rows = session.execute(
        select(AuditEvent.action, func.count())
        .where(AuditEvent.action.in_(_EVENTS))
        .group_by(AuditEvent.action)
    ).all()
    found = {str(action): int(count) for action, count in rows}
    return {action: found.get(action, 0) for action in _EVENTS}


def _evidence(items: Iterable[str]) -> dict[str, str]:
    return {item: f"orders 2611{n:04d}, 2611{n + 1:04d}" for n, item in enumerate(items)}


def prepare(url: str, sellers: int, days: int) -> tuple[api.Seeded, Targets]:
    """Seed the ledger, then the appeals, accounts, tokens and sessions of the run."""
    seeded = api.seed(url, sellers, days)
    today = dt.date.today()
    scheme = scheme_on(load_schemes(), api.SCHEME, today)
    rules = scheme.appeals
    reason = min(rules.reasons, key=lambda r: len(rules.reasons[r].evidence))
    evidence = _evidence(rules.reasons[reason].evidence)
    rng = random.Random(SEED)
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            open_from = today - dt.timedelta(days=rules.first_within_days - 1)
            violations = list(
                session.execute(
                    select(PointsEntry.id, PointsEntry.seller_id)
                    .where(PointsEntry.kind == "issue", PointsEntry.effective_on >= open_from)
                    .where(PointsEntry.effective_on <= today)
                    .order_by(PointsEntry.id)
                ).all()
            )
            liftable = list(
                session.execute(
                    select(EnforcementAction.id, EnforcementAction.seller_id)
                    .where(EnforcementAction.action.in_(scheme.poa_required_for))
                    .where(EnforcementAction.status.in_(("active", "pending_review")))
                    .where(EnforcementAction.source != "warning")
                    .order_by(EnforcementAction.id)
                ).all()
            )
        planners = sorted({seller for _, seller in liftable})
        rest = sorted({seller for _, seller in violations} - set(planners))
        rng.shuffle(rest)
        deciders, appellants = set(rest[: len(rest) // 2]), set(rest[len(rest) // 2 :])
        to_decide = [v for v, s in violations if s in deciders][:PER_GROUP]
        to_appeal = [(v, s) for v, s in violations if s in appellants][:PER_GROUP]
        to_plan = [(a, s) for a, s in liftable][:PER_GROUP]
        # one Argon2 hash for every seeded account: hashing takes ~0.1 s each and is not what
        # this benchmark measures (nobody signs in with a password during the run)
        hashed = auth_service.hash_password(PASSWORD)
        with (
            db.unit_of_work() as session,
            mock.patch.object(auth_service, "hash_password", lambda _password: hashed),
        ):
            decide = [
                submit_appeal(session, scheme, v, reason, evidence, "Courier lost the parcels.",
                              today, "user:load-seed").id
                for v in to_decide
            ]  # fmt: skip
            reviewer = create_user(session, "load-reviewer", "Load reviewer",
                                   "governance_reviewer", PASSWORD)  # fmt: skip
            reviewer_token = issue_token(
                session, reviewer, "load", ["governance:read", "governance:decide"]
            )[1]
            cookies = [open_session(session, reviewer)[0] for _ in range(api.CLIENTS)]
            tokens: dict[str, str] = {}
            for seller in sorted({s for _, s in to_appeal} | {s for _, s in to_plan}):
                user = create_user(session, f"load-{seller.lower()}", seller, "seller", PASSWORD,
                                   seller_id=seller)  # fmt: skip
                scopes = ["governance:read", "governance:appeal"]
                tokens[seller] = issue_token(session, user, "load", scopes)[1]
        with db.unit_of_work() as session:
            seeded_appeals = session.scalar(select(func.count(Appeal.id))) or 0
            seeded_events = _events(session)
    finally:
        db.dispose()
    writes = _writes(decide, to_appeal, to_plan, tokens, reviewer_token, reason, evidence, rng)
    reads = _reads(seeded.sellers)
    targets = Targets(reads, writes, reviewer_token, cookies, decide, seeded_appeals,
                      seeded_events)  # fmt: skip
    return seeded, targets


def _writes(
    decide: list[int],
    to_appeal: list[tuple[int, str]],
    to_plan: list[tuple[int, str]],
    tokens: dict[str, str],
    reviewer_token: str,
    reason: str,
    evidence: dict[str, str],
    rng: random.Random,
) -> list[dict[str, str]]:
    """Every write of the run once, the three kinds interleaved."""
    decisions = [
        {"kind": "decision", "path": f"/api/v1/appeals/{a}/decision", "token": reviewer_token,
         "body": json.dumps({"decision": "accept" if n % 2 else "reject",
                             "reason": "Checked the courier's tracking."})}
        for n, a in enumerate(decide)
    ]  # fmt: skip
    appeals = [
        {"kind": "appeal", "path": "/api/v1/appeals", "token": tokens[seller],
         "body": json.dumps({"violation_id": v, "reason": reason, "evidence": evidence,
                             "statement": "The courier lost these parcels."})}
        for v, seller in to_appeal
    ]  # fmt: skip
    plans = [
        {"kind": "plan", "path": "/api/v1/plans", "token": tokens[seller],
         "body": json.dumps({"action_id": a, "root_causes": ["Stock counts were wrong"],
                             "corrective_actions": ["Recount every SKU weekly"],
                             "preventive_measures": ["Sync stock with the warehouse daily"],
                             "evidence": ["stock audit of 2 Nov"]})}
        for a, seller in to_plan
    ]  # fmt: skip
    mixed = decisions + appeals + plans
    rng.shuffle(mixed)
    return mixed


def _reads(sellers: list[str]) -> list[dict[str, str]]:
    """The read rotation: the seller detail API, a seller's violations API, the appeal queue
    API, and the console's seller search and seller page."""
    reads: list[dict[str, str]] = []
    for n, seller in enumerate(sellers):
        reads.append({"path": f"/api/v1/sellers/{seller}", "auth": "token"})
        reads.append({"path": f"/sellers/{seller}", "auth": "cookie"})
        if n % 2 == 0:
            reads.append({"path": f"/api/v1/violations?seller_id={seller}&limit=20",
                          "auth": "token"})  # fmt: skip
            reads.append({"path": f"/sellers?q={seller[:-1]}", "auth": "cookie"})
        if n % 4 == 0:
            reads.append({"path": "/api/v1/appeals?status=submitted&limit=20", "auth": "token"})
    return reads


# The script: each wrk thread takes every other write (disjoint halves), writes one request in
# five until its writes run out or the quiet end begins, and counts 2xx writes by their bodies.
LUA = """
local reads = %(reads)s
local writes = %(writes)s
local token = "%(token)s"
local cookies = %(cookies)s
local threads = {}
local started = 0
local stop_writing_at = os.time() + %(writing)d

function setup(thread)
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  counter = id * 7919
  next_write = id + 1
  non2xx = 0
  decisions = 0
  appeals = 0
  plans = 0
  sent = 0
end

function request()
  counter = counter + 1
  if %(mixed)s and counter %% %(every)d == 0 and next_write <= #writes
     and os.time() < stop_writing_at then
    local w = writes[next_write]
    next_write = next_write + 2
    sent = sent + 1
    return wrk.format("POST", w.path, {["Authorization"] = "Bearer " .. w.token,
                                       ["Content-Type"] = "application/json"}, w.body)
  end
  local r = reads[(counter %% #reads) + 1]
  if r.auth == "cookie" then
    local cookie = cookies[(counter %% #cookies) + 1]
    return wrk.format("GET", r.path, {["Cookie"] = "%(cookie_name)s=" .. cookie})
  end
  return wrk.format("GET", r.path, {["Authorization"] = "Bearer " .. token})
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 5 then
      io.stderr:write("PASAR_BAD " .. status .. " " .. body:sub(1, 300) .. "\\n")
    end
  elseif string.find(body, '"root_causes"', 1, true) then
    plans = plans + 1
  elseif status == 201 and string.find(body, '"violation_id"', 1, true) then
    appeals = appeals + 1
  elseif string.find(body, '"violation_id"', 1, true)
         and string.find(body, '"decision_reason":"', 1, true)
         and string.sub(body, 1, 6) == '{"id":' then
    decisions = decisions + 1
  end
end

""" + api.lua_done(
    [
        ("decisions", "decisions"),
        ("appeals", "appeals"),
        ("plans", "plans"),
        ("writes_sent", "sent"),
    ]
)


def _lua_value(value: object) -> str:
    """A Lua literal of strings, lists and string-keyed dicts (JSON strings are Lua strings)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "{" + ", ".join(_lua_value(v) for v in value) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_lua_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def script(targets: Targets, seconds: int, mixed: bool) -> str:
    """The wrk script of a run (``mixed``: with the writes; else the reads only)."""
    return LUA % {
        "reads": _lua_value(targets.reads),
        "writes": _lua_value(targets.writes),
        "token": targets.reviewer_token,
        "cookies": _lua_value(targets.cookies),
        "cookie_name": COOKIE,
        "writing": max(1, seconds - QUIET),
        "mixed": "true" if mixed else "false",
        "every": READS_PER_WRITE + 1,
    }


@dataclass(frozen=True)
class Counted:
    """Writes answered 2xx against the rows found afterwards."""

    answered: dict[str, int]
    stored: dict[str, int]
    sent: int

    @property
    def lost_or_doubled(self) -> dict[str, tuple[int, int]]:
        return {k: (self.answered[k], self.stored[k]) for k in self.answered
                if self.answered[k] != self.stored[k]}  # fmt: skip


def count_rows(url: str, targets: Targets, got: dict[str, Any]) -> Counted:
    """The rows each kind of write left, and their audit events, against the 2xx answers."""
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            decided = session.scalar(
                select(func.count(Appeal.id))
                .where(Appeal.id.in_(targets.decide))
                .where(Appeal.status != "submitted")
            )
            appeals = (session.scalar(select(func.count(Appeal.id))) or 0) - targets.seeded_appeals
            plans = session.scalar(select(func.count(PlanOfAction.id))) or 0
            events = _events(session)
    finally:
        db.dispose()
    new = {k: events[k] - targets.seeded_events[k] for k in _EVENTS}
    answered = {
        "decided appeals": int(got["decisions"]),
        "appeal.decided events": int(got["decisions"]),
        "new appeals": int(got["appeals"]),
        "appeal.submitted events": int(got["appeals"]),
        "plans of action": int(got["plans"]),
        "poa.submitted events": int(got["plans"]),
    }
    stored = {
        "decided appeals": int(decided or 0),
        "appeal.decided events": new["appeal.accepted"] + new["appeal.rejected"],
        "new appeals": int(appeals),
        "appeal.submitted events": new["appeal.submitted"],
        "plans of action": int(plans),
        "poa.submitted events": new["poa.submitted"],
    }
    return Counted(answered, stored, int(got["writes_sent"]))


def run(quick: bool = False) -> list[Result]:
    sellers, days, seconds, baseline_seconds = QUICK if quick else FULL
    api.check_prerequisites()
    url = api.bench_url(api.ADMIN_URL, DATABASE)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-load-"))
    server: subprocess.Popen[bytes] | None = None
    previous = signal.signal(signal.SIGTERM, api.terminated)
    try:
        api.recreate_database(api.ADMIN_URL, create=True, database=DATABASE)
        log(f"load: seeding {DATABASE}: {sellers:,} sellers, {days} days of ledger")
        started = time.perf_counter()
        seeded, targets = prepare(url, sellers, days)
        kinds = {
            k: sum(w["kind"] == k for w in targets.writes) for k in ("decision", "appeal", "plan")
        }
        log(f"load: {len(targets.reads):,} reads, writes {kinds} "
            f"({time.perf_counter() - started:.1f} s)")  # fmt: skip
        port = api.free_port()
        server = api.start_server(url, scratch / "home", port, scratch / "uvicorn.log")
        log(f"load: warm-up, reads only ({WARMUP} s)")
        api.run_wrk(port, script(targets, WARMUP, mixed=False), WARMUP, scratch)
        log(f"load: reads only, {api.CLIENTS} clients, {baseline_seconds} s")
        reads = api.load_of(
            api.run_wrk(port, script(targets, baseline_seconds, False), baseline_seconds, scratch)
        )
        log(f"load: mixed reads and writes, {api.CLIENTS} clients, {seconds} s")
        got = api.run_wrk(port, script(targets, seconds, mixed=True), seconds, scratch)
        mixed = replace(api.load_of(got), stuck=api.stuck_requests(DATABASE))
        counted = count_rows(url, targets, got)
    finally:
        if server is not None:
            api.stop_server(server)
        api.recreate_database(api.ADMIN_URL, create=False, database=DATABASE)
        shutil.rmtree(scratch, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
    return _results(mixed, reads, counted, seeded, seconds, baseline_seconds)


def _results(
    mixed: api.Load,
    reads: api.Load,
    counted: Counted,
    seeded: api.Seeded,
    seconds: int,
    baseline_seconds: int,
) -> list[Result]:
    writes = counted.answered["decided appeals"] + counted.answered["new appeals"]
    writes += counted.answered["plans of action"]
    print(f"load: mixed: {mixed.describe()}")
    print(f"load: reads only: {reads.describe()}")
    print(f"load: writes sent {counted.sent:,}, answered 2xx {writes:,}")
    for what in counted.answered:
        print(f"load:   {what}: answered {counted.answered[what]:,}, "
              f"stored {counted.stored[what]:,}")  # fmt: skip
    failures = [f"{what}: {run.problems()}" for what, run in (("mixed", mixed), ("reads", reads))
                if not run.clean]  # fmt: skip
    failures += [f"{k}: answered {a:,} but stored {s:,}"
                 for k, (a, s) in counted.lost_or_doubled.items()]  # fmt: skip
    if counted.sent != writes:
        failures.append(f"{counted.sent:,} writes sent but {writes:,} answered 2xx")
    clean = not failures and writes > 0
    setup = (
        f"{api.CLIENTS} clients, {seconds} s, uvicorn {api.WORKERS} workers, PostgreSQL, "
        f"{len(seeded.sellers):,} sellers"
    )
    note = (
        f"Load: {seconds} s of wrk with {api.CLIENTS} connections, one write in "
        f"{READS_PER_WRITE + 1} (appeal decisions, appeals, plans of action; {writes:,} writes, "
        f"every one found stored once with its audit event) among API and console reads; "
        f"baseline = the same reads without writes for {baseline_seconds} s on the same server."
    )
    if failures:
        note += " FAILED: " + "; ".join(failures) + "."
    rows = [
        ("p99", "ms", mixed.p99_ms, reads.p99_ms, "lower (mixed ÷ reads only)"),
        ("p50", "ms", mixed.p50_ms, reads.p50_ms, "lower (mixed ÷ reads only)"),
        ("throughput", "req/s", mixed.per_second, reads.per_second, "higher (mixed ÷ reads only)"),
    ]
    return [
        Result(
            name=f"{NAME} {figure}",
            measured=f"mixed API + console read/write, {figure}, {setup}",
            value=value,
            unit=unit,
            baseline=base,
            ratio=value / base if base else None,
            better=better,
            target="no failed request, no lost or doubled write",
            note=note,
            ok=clean,
        )
        for figure, unit, value, base, better in rows
    ]
