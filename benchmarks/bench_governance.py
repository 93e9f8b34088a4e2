"""Governance benchmark: one day of ``pasar run`` on 20M orders and 200k sellers, split into
the metric snapshot and the governance work on top of it (policy pack, ledger, ladder).

The warehouse is the snapshot benchmark's cached one. Days N−2 and N−1 run first (not
measured) so the ledger holds a realistic history; then day N runs in a fresh process:
the seller snapshot of day N (incremental, from the daily partials of N−1), then the
governance day. Target: the governance work adds at most 50% to the snapshot's time.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.bench_snapshot import FULL, QUICK, _scratch, as_of_days, ensure_home
from benchmarks.common import Measured, Result, log, run_isolated
from pasar import migrations
from pasar.governance.pipeline import run_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import build_snapshots
from pasar.policy.packs import load_library

NAME = "governance"
SCHEME = "tokopedia-id"
TARGET = 0.5  # governance time ÷ snapshot time, at most


def one_day(home: str, scratch: str, day: dt.date) -> tuple[float, float, int, int]:
    """Snapshot then governance for ``day``: (snapshot s, governance s, findings, issued)."""
    settings = _scratch(home, scratch)
    catalog = catalog_for(settings)
    migrations.upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        started = time.perf_counter()
        build_snapshots("seller", [day], settings, catalog)
        snapshot = time.perf_counter() - started
        started = time.perf_counter()
        library = load_library(catalog)
        scheme = scheme_on(load_schemes(), SCHEME, day)
        report = run_day(db, settings, catalog, library, scheme, day)
        governance = time.perf_counter() - started
    finally:
        db.dispose()
    return snapshot, governance, report.findings, report.issued


def run(quick: bool = False) -> list[Result]:
    orders, sellers = QUICK if quick else FULL
    home = str(ensure_home(orders, sellers))
    _, last = as_of_days(home)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-governance-"))
    try:
        for back in (2, 1):
            day = last - dt.timedelta(days=back)
            log(f"governance: preparing {day} (snapshot and ledger, not measured)")
            run_isolated(one_day, home, str(scratch), day)
        log(f"governance: day {last} in a fresh process")
        measured: Measured[tuple[float, float, int, int]] = run_isolated(
            one_day, home, str(scratch), last
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    snapshot, governance, findings, issued = measured.value
    share = governance / snapshot
    size = f"{orders / 1e6:g}M orders, {sellers / 1e3:g}k sellers"
    print(
        f"governance: day of `pasar run` {snapshot + governance:.2f} s = snapshot {snapshot:.2f} s "
        f"+ governance {governance:.2f} s ({share:.0%} on top; {findings:,} findings, "
        f"{issued:,} violations issued)"
    )
    return [
        Result(
            name=NAME,
            measured=f"one day of `pasar run` ({SCHEME}), {size}",
            value=governance,
            unit="s",
            baseline=snapshot,
            ratio=share,
            better="lower (governance ÷ the day's metric snapshot)",
            target=f"≤ {TARGET:g}",
            note=(
                f"Snapshot {snapshot:.2f} s (DuckDB, incremental), governance {governance:.2f} s "
                f"(policy pack, ledger, ladder, audit on SQLite); {findings:,} findings, "
                f"{issued:,} violations issued. Peak RSS {measured.peak_rss_mib:,.0f} MiB."
            ),
            ok=share <= TARGET,
        )
    ]
