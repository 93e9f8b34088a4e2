"""REST API under load: ``GET /api/v1/sellers/{id}`` with 50 concurrent clients on loopback for
30 s (5 s with ``--quick``), served by uvicorn with 2 workers over PostgreSQL.

Setup, through Pasar's own code: a throwaway PostgreSQL database (``pasar_bench_api``, created
on the server of ``PASAR_BENCH_POSTGRES_URL``, default the test server
``postgresql+psycopg://postgres@127.0.0.1:5432/test``) is migrated, then the governance
ledger of 2,000 sellers (500 with ``--quick``) is built by ``apply_day`` over 120 days (30):
each day every seller may be hit by one of the points policies of the shipped
``tokopedia-id`` pack (reliable, sloppy and bad-actor sellers, so some climb the ladder to
order caps, deactivations and queued suspensions, and old points expire). One ``analyst``
user gets an API token. ``uvicorn pasar.api.server:app --workers 2`` then serves that
database on a free loopback port (``PASAR_HOME`` and ``PASAR_DATABASE_URL`` in its
environment, no access log).

Load: `wrk <https://github.com/wg/wrk>`_ (``make bench`` installs Debian's package) with 50
connections (keep-alive), each request with ``Authorization: Bearer <token>`` (one token for
all: one integration with 50 parallel clients) and the next seller of the list (a small Lua
script rotates them; every seller exists, so every answer must be 200). After a warm-up, two
measured runs of the same length and concurrency on the same server:

* Pasar: the seller detail route (token check, standing, next step, actions in force);
* baseline: ``/api/health`` of the same server, which does no database work and no sign-in:
  the floor of HTTP + uvicorn + FastAPI on this machine.

Rows: p99 and p50 latency (ratio = seller detail ÷ baseline: how many times the floor a real
request costs; target p99 < 100 ms) and requests/s (ratio = seller detail ÷ baseline). Any
non-2xx answer, socket error (connect, read, write), timeout (an answer after more than 10 s)
or request still open in the database 15 s after the load stopped (wrk does not count requests
that never get an answer) fails the rows, as does a run without a single answer. The server is
always stopped and the database always dropped, whatever happens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pyarrow as pa
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from benchmarks.common import Result, log
from pasar import migrations
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.metrics.query import catalog_for
from pasar.policy.evaluate import FINDINGS_SCHEMA
from pasar.policy.packs import load_library
from pasar.policy.packs import select as select_pack

NAME = "api"
SCHEME = "tokopedia-id"
TARGET_P99_MS = 100.0
CLIENTS = 50
WORKERS = 2
WRK_THREADS = 2
FULL = (2_000, 120, 30, 5)  # sellers, days of ledger history, measured seconds, warm-up seconds
QUICK = (500, 30, 5, 2)
SEED = 20261207
DATABASE = "pasar_bench_api"
ADMIN_URL = os.environ.get(
    "PASAR_BENCH_POSTGRES_URL",
    os.environ.get("PASAR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
TIMEOUT = 10  # seconds (whole: wrk's unit) after which an answer counts as a timeout
DRAIN = 15  # seconds the requests in flight when the load stops get to finish
SELLER_PATH = "/api/v1/sellers/{}"
BASELINE_PATH = "/api/health"
# share of sellers and the chance that one is hit on a given day
PROFILES = [("reliable", 0.70, 0.005), ("sloppy", 0.25, 0.04), ("bad actor", 0.05, 0.15)]


# --- the database ------------------------------------------------------------------------------


def bench_url(admin_url: str, database: str = DATABASE) -> str:
    """The URL of ``database`` on the server of ``admin_url``."""
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def recreate_database(admin_url: str, create: bool, database: str = DATABASE) -> None:
    """Drop the benchmark database (a leftover of a killed run too), then create it anew."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            if create:
                connection.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        engine.dispose()


@dataclass(frozen=True)
class Seeded:
    sellers: list[str]  # sellers with a ledger, in a shuffled order
    token: str
    entries: int
    actions: int
    days: int


def _findings(day: dt.date, hits: list[tuple[str, Any, str, int]]) -> pa.Table:
    """The findings table ``apply_day`` takes: one points finding per (seller, policy)."""
    rows = []
    for seller, policy, pack, version in hits:
        row: dict[str, Any] = {name: None for name in FINDINGS_SCHEMA.names}
        row.update(
            as_of=day, pack=pack, pack_version=version, policy_id=policy.id,
            policy_version=policy.version, entity="seller", subject=seller, kind="points",
            severity=policy.severity, category=policy.category,
            points=policy.outcome.points, points_max=policy.outcome.points_max,
            values=json.dumps({"rate_7d": 0.12}),
            explanation_en=f"{seller}: {policy.description}",
            explanation_id=f"{seller}: {policy.id}",
        )  # fmt: skip
        rows.append(row)
    return pa.Table.from_pylist(rows, FINDINGS_SCHEMA)


def seed(url: str, sellers: int, days: int) -> Seeded:
    """Migrate the store, build ``days`` of governance ledger for ``sellers``, issue a token."""
    migrations.upgrade(url)
    settings = Settings(home=Path(tempfile.gettempdir()), database_url=url)
    library = load_library(catalog_for(settings))
    selection = select_pack(library, SCHEME)
    schemes = load_schemes()
    rng = random.Random(SEED)
    ids = [f"S{n:06d}" for n in range(1, sellers + 1)]
    chance: dict[str, float] = {}
    for seller in ids:
        pick = rng.random()
        for _label, share, daily in PROFILES:
            if pick < share:
                chance[seller] = daily
                break
            pick -= share
        else:
            chance[seller] = PROFILES[-1][2]
    last = dt.date.today() - dt.timedelta(days=1)
    db = Database(url)
    try:
        for back in range(days - 1, -1, -1):
            day = last - dt.timedelta(days=back)
            pack = selection.on(day)
            assert pack is not None, f"no {SCHEME} pack in force on {day}"
            policies = [
                c.policy
                for c in selection.policies_on(day)
                if c.entity == "seller" and c.policy.outcome.kind == "points"
            ]
            hits = [
                (seller, rng.choice(policies), pack.pack, pack.version)
                for seller in ids
                if rng.random() < chance[seller]
            ]
            scheme = scheme_on(schemes, SCHEME, day)
            with db.unit_of_work() as session:
                apply_day(session, scheme, day, _findings(day, hits), {}, DayReport(day, "", ""))
        with db.unit_of_work() as session:
            user = create_user(session, "bench-analyst", "Bench", "analyst", "a long passphrase!")
            token = issue_token(session, user, "bench", ["governance:read"])[1]
            known = list(session.scalars(select(PointsEntry.seller_id).distinct()))
            entries = session.scalar(select(func.count(PointsEntry.id))) or 0
            actions = session.scalar(select(func.count(EnforcementAction.id))) or 0
    finally:
        db.dispose()
    known.sort()
    rng.shuffle(known)
    return Seeded(known, token, entries, actions, days)


# --- the server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def start_server(
    url: str, home: Path, port: int, log_path: Path, **settings: str
) -> subprocess.Popen[bytes]:
    """``pasar serve`` with 2 workers on ``port`` (and ``settings`` as ``PASAR_*`` variables),
    answering (or an error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASAR_")}
    env.update(PASAR_HOME=str(home), PASAR_DATABASE_URL=url)
    env.update({f"PASAR_{name.upper()}": value for name, value in settings.items()})
    command = [
        str(Path(sys.executable).parent / "pasar"), "serve", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(WORKERS), "--no-access-log",
    ]  # fmt: skip
    with log_path.open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"uvicorn exited with {server.returncode}:\n{tail}")
        try:
            if http_get(f"http://127.0.0.1:{port}{BASELINE_PATH}")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server)
    raise RuntimeError(f"uvicorn did not answer on port {port} within 60 s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to uvicorn's process group (supervisor and workers), SIGKILL if it lingers."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # workers left behind, if any
    server.wait()


# --- the load ----------------------------------------------------------------------------------


def lua_done(counters: Sequence[tuple[str, str]] = ()) -> str:
    """The wrk script's ``done``, which writes one ``PASAR_WRK {json}`` line (read by
    :func:`run_wrk`): wrk's figures, the non-2xx answers (the threads' ``non2xx`` summed) and,
    for each ``(key, variable)`` of ``counters``, the threads' ``variable`` summed under ``key``.
    Each counter's sum is a local named by its variable's first letter, so these must differ.
    A fragment of a ``%``-template (its ``%`` doubled), like the scripts it ends."""
    names = [variable[0] for _, variable in counters]
    if len(set(names)) != len(names):
        raise ValueError(f"counters need distinct first letters: {counters}")
    sums = "".join(
        f'\n    {name} = {name} + thread:get("{variable}")'
        for name, (_, variable) in zip(names, counters, strict=True)
    )
    if counters:
        locals_ = ", ".join(["bad", *names]) + " = " + ", ".join(["0"] * (len(names) + 1))
        loop = f'do\n    bad = bad + thread:get("non2xx"){sums}\n  end'
        keys = ", ".join(f'"{key}": %%.0f' for key, _ in counters)
        tail = f", ' ..\n    '{keys}}}\\n',"
    else:  # the same on one line
        locals_ = "bad = 0"
        loop = 'do bad = bad + thread:get("non2xx") end'
        tail = "}\\n',"
    extra = "".join(f", {name}" for name in names)
    return f"""function done(summary, latency, requests)
  local {locals_}
  for _, thread in ipairs(threads) {loop}
  local e = summary.errors
  io.write(string.format(
    'PASAR_WRK {{"requests": %%.0f, "duration_us": %%.0f, "bytes": %%.0f, "non2xx": %%.0f, ' ..
    '"connect": %%.0f, "read": %%.0f, "write": %%.0f, "status": %%.0f, "timeout": %%.0f, ' ..
    '"p50_us": %%.0f, "p90_us": %%.0f, "p99_us": %%.0f, "max_us": %%.0f, "mean_us": %%.1f{tail}
    summary.requests, summary.duration, summary.bytes, bad, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean{extra}))
end
"""


LUA = """
local paths = {%(paths)s}
local threads = {}
local started = 0
wrk.headers["Authorization"] = "Bearer %(token)s"

function setup(thread)
  thread:set("id", started)
  started = started + 1
  table.insert(threads, thread)
end

function init(args)
  counter = id * 7919
  non2xx = 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

""" + lua_done()


@dataclass(frozen=True)
class Load:
    """What one wrk run measured."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int  # connect, read and write errors
    timeouts: int  # requests answered after more than ``timeout`` seconds
    timeout: int
    stuck: int = 0  # requests still in a database transaction ``DRAIN`` s after the load stopped

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def clean(self) -> bool:
        failed = self.non2xx or self.socket_errors or self.timeouts or self.stuck
        return not failed and self.requests > 0

    def problems(self) -> str:
        stuck = f", {self.stuck} stuck (> {DRAIN} s after the end)" if self.stuck else ""
        return (
            f"{self.non2xx} non-2xx, {self.socket_errors} socket errors, {self.timeouts} "
            f"timeouts (> {self.timeout} s){stuck}"
        )

    def describe(self) -> str:
        return (
            f"{self.per_second:,.0f} req/s, p50 {self.p50_ms:.1f} ms, p90 {self.p90_ms:.1f} ms, "
            f"p99 {self.p99_ms:.1f} ms, max {self.max_ms:.1f} ms ({self.requests:,} requests; "
            f"{self.problems()})"
        )


def wrk(port: int, paths: list[str], token: str, seconds: int, scratch: Path) -> Load:
    """``seconds`` of ``CLIENTS`` connections rotating through ``paths``. A request answered
    after more than ``TIMEOUT`` seconds counts as a timeout; one never answered is not counted
    by wrk at all (see :func:`stuck_requests`)."""
    quoted = ", ".join(json.dumps(p) for p in paths)
    return load_of(run_wrk(port, LUA % {"paths": quoted, "token": token}, seconds, scratch))


def run_wrk(port: int, lua: str, seconds: int, scratch: Path) -> dict[str, Any]:
    """Run wrk with the script ``lua``, whose ``done`` writes one ``PASAR_WRK {json}`` line;
    that line's figures."""
    script = scratch / "load.lua"
    script.write_text(lua, encoding="utf-8")
    command = [
        "wrk", "-t", str(WRK_THREADS), "-c", str(CLIENTS), "-d", f"{seconds}s",
        "--timeout", f"{TIMEOUT}s", "-s", str(script), f"http://127.0.0.1:{port}",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("PASAR_WRK ")), None)
    for bad in (x for x in done.stderr.splitlines() if x.startswith("PASAR_BAD ")):
        log(f"wrk: a failed answer: {bad.removeprefix('PASAR_BAD ')}")
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return dict(json.loads(line.removeprefix("PASAR_WRK ")))


def load_of(got: dict[str, Any]) -> Load:
    """The :class:`Load` of a ``PASAR_WRK`` line's figures."""
    timeout = TIMEOUT
    errors = sum(int(got[k]) for k in ("connect", "read", "write"))
    return Load(
        requests=int(got["requests"]),
        seconds=got["duration_us"] / 1e6,
        p50_ms=got["p50_us"] / 1e3,
        p90_ms=got["p90_us"] / 1e3,
        p99_ms=got["p99_us"] / 1e3,
        max_ms=got["max_us"] / 1e3,
        non2xx=int(got["non2xx"]),
        socket_errors=errors,
        timeouts=int(got["timeout"]),
        timeout=timeout,
    )


def stuck_requests(database: str = DATABASE) -> int:
    """Requests of the server still inside a database transaction ``DRAIN`` seconds after the
    load stopped (0 when every request finished): wrk neither waits for nor counts a request
    that never gets an answer, so a server that stalls would otherwise only look slow."""
    engine = create_engine(ADMIN_URL)
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
        "AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
    )
    try:
        deadline = time.monotonic() + DRAIN
        while True:
            with engine.connect() as connection:
                left = int(connection.execute(query, {"name": database}).scalar_one())
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.5)
    finally:
        engine.dispose()


# --- the benchmark -----------------------------------------------------------------------------


def check_prerequisites() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: `make /usr/bin/wrk` (or `make bench`)")
    engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    except Exception as exc:  # any driver or network failure means "not reachable"
        raise RuntimeError(
            f"PostgreSQL not reachable at {ADMIN_URL} (set PASAR_BENCH_POSTGRES_URL): {exc}"
        ) from exc
    finally:
        engine.dispose()


def terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # so that `finally` stops the server and drops the database


def run(quick: bool = False) -> list[Result]:
    sellers, days, seconds, warmup = QUICK if quick else FULL
    check_prerequisites()
    url = bench_url(ADMIN_URL)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-api-"))
    server: subprocess.Popen[bytes] | None = None
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        recreate_database(ADMIN_URL, create=True)
        log(f"api: seeding {DATABASE}: {sellers:,} sellers, {days} days of governance ledger")
        started = time.perf_counter()
        seeded = seed(url, sellers, days)
        log(
            f"api: {len(seeded.sellers):,} sellers with a ledger, {seeded.entries:,} entries, "
            f"{seeded.actions:,} actions ({time.perf_counter() - started:.1f} s)"
        )
        port = free_port()
        server = start_server(url, scratch / "home", port, scratch / "uvicorn.log")
        paths = [SELLER_PATH.format(s) for s in seeded.sellers]
        status, body = http_get(f"http://127.0.0.1:{port}{paths[0]}", seeded.token)
        if status != 200 or "standing" not in json.loads(body):
            raise RuntimeError(f"seller detail answered {status}: {body[:500]!r}")
        log(f"api: warming up both endpoints ({warmup} s each)")
        wrk(port, [BASELINE_PATH], seeded.token, warmup, scratch)
        wrk(port, paths, seeded.token, warmup, scratch)
        load = os.getloadavg()[0]
        log(f"api: baseline {BASELINE_PATH}, {CLIENTS} clients, {seconds} s")
        baseline = wrk(port, [BASELINE_PATH], seeded.token, seconds, scratch)
        log(f"api: seller detail, {CLIENTS} clients, {seconds} s")
        pasar = wrk(port, paths, seeded.token, seconds, scratch)
        pasar = replace(pasar, stuck=stuck_requests())
        stop_server(server)
        log(f"api: seller detail without the cache (PASAR_API_CACHE=false), {seconds} s")
        server = start_server(
            url, scratch / "home", port, scratch / "uvicorn-uncached.log", api_cache="false"
        )
        wrk(port, paths, seeded.token, warmup, scratch)
        uncached = wrk(port, paths, seeded.token, seconds, scratch)
        uncached = replace(uncached, stuck=stuck_requests())
    finally:
        if server is not None:
            stop_server(server)
        recreate_database(ADMIN_URL, create=False)
        shutil.rmtree(scratch, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)
    return _results(pasar, baseline, uncached, seeded, seconds, load)


def _ratio(value: float, baseline: float) -> float | None:
    return value / baseline if baseline else None  # no baseline figure when nothing answered


def _results(
    pasar: Load, baseline: Load, uncached: Load, seeded: Seeded, seconds: int, load: float
) -> list[Result]:
    print(f"api: GET {SELLER_PATH.format('{id}')}: {pasar.describe()}")
    print(f"api: baseline GET {BASELINE_PATH}: {baseline.describe()}")
    print(f"api: GET {SELLER_PATH.format('{id}')} without the cache: {uncached.describe()}")
    print(f"api: load average before the measured runs {load:.1f} on {os.cpu_count()} CPUs")
    failures = [
        f"{what}: {run.requests:,} requests; {run.problems()}"
        for what, run in (
            ("seller detail", pasar),
            ("baseline", baseline),
            ("without the cache", uncached),
        )
        if not run.clean
    ]
    clean = not failures
    setup = (
        f"{CLIENTS} clients, {seconds} s, uvicorn {WORKERS} workers, PostgreSQL, "
        f"{len(seeded.sellers):,} sellers"
    )
    note = (
        f"API: wrk {CLIENTS} connections on loopback after a warm-up; Pasar = GET "
        f"{SELLER_PATH.format('{id}')} rotating through {len(seeded.sellers):,} sellers "
        f"({seeded.entries:,} ledger entries, {seeded.actions:,} actions, {seeded.days} days); "
        f"baseline = GET {BASELINE_PATH} (no database work) on the same server and load; "
        f"'without the cache' = seller detail on a server started with PASAR_API_CACHE=false "
        f"(every request reads the database). "
        f"Latency ratios are seller detail ÷ baseline (times the HTTP floor). Load average "
        f"{load:.1f} on {os.cpu_count()} CPUs before the measured runs."
    )
    if failures:
        note += " FAILED: " + "; ".join(failures) + "."
    route = f"GET {SELLER_PATH.format('{id}')}"
    rows = [  # (figure, unit, Pasar's, the baseline's, which way is better, target, ok)
        ("p99", "ms", pasar.p99_ms, baseline.p99_ms, "lower (seller detail ÷ health p99)",
         f"p99 < {TARGET_P99_MS:g} ms", clean and pasar.p99_ms < TARGET_P99_MS),
        ("p50", "ms", pasar.p50_ms, baseline.p50_ms, "lower (seller detail ÷ health p50)",
         "every request answered 2xx", clean),
        ("throughput", "req/s", pasar.per_second, baseline.per_second,
         "higher (seller detail ÷ health)", "every request answered 2xx", clean),
        ("uncached p99", "ms", uncached.p99_ms, pasar.p99_ms,
         "lower (without ÷ with the cache)", "— (what the cache saves)", clean),
        ("uncached throughput", "req/s", uncached.per_second, pasar.per_second,
         "higher (without ÷ with the cache)", "— (what the cache saves)", clean),
    ]  # fmt: skip
    return [
        Result(
            name=f"{NAME} {figure}",
            measured=f"{route} {_MEASURED[figure]}, {setup}",
            value=value,
            unit=unit,
            baseline=base,
            ratio=_ratio(value, base),
            better=better,
            target=target,
            note=note,
            ok=ok,
        )
        for figure, unit, value, base, better, target, ok in rows
    ]


_MEASURED = {
    "p99": "p99 latency",
    "p50": "p50 latency",
    "throughput": "requests/s",
    "uncached p99": "p99 latency without the cache",
    "uncached throughput": "requests/s without the cache",
}
