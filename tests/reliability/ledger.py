"""A governance pipeline to interrupt: a generated marketplace ready for ``pasar run`` over a
few days, the run as a subprocess, and the stores' content to compare runs by.

Shared by the pipeline kill test (SQLite) and the PostgreSQL restart test.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import create_engine, inspect, text

from pasar.config import Settings
from pasar.metrics.catalog import load_catalog
from pasar.metrics.query import latest_day
from pasar.metrics.snapshots import build_snapshots
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile
from tests.reliability.processes import CLI, cli_env

Rows = Counter[tuple[Any, ...]]


@dataclass(frozen=True)
class GovernanceBase:
    """A PASAR_HOME holding the ``small`` marketplace and the snapshots of ``first``–``last``."""

    home: Path
    first: dt.date
    last: dt.date

    @property
    def days(self) -> list[dt.date]:
        count = (self.last - self.first).days + 1
        return [self.first + dt.timedelta(days=n) for n in range(count)]


class LedgerState(NamedTuple):
    """The stores' content without row ids or clock times (comparable across runs)."""

    entries: Rows  # (dedupe_key, seller, kind, points, effective_on, expires_on, offsets, …)
    actions: Rows  # (dedupe_key, seller, action, status, starts_on, ends_on, balance)
    audit: Rows  # (action, entity_type, the entity's dedupe key)
    runs: Rows  # (dedupe_key, day, findings)


def governance_base(root: Path, days: int) -> GovernanceBase:
    """Generate and ingest the ``small`` marketplace under ``root``; build the seller snapshots
    of its last ``days`` days so that a run's time goes to the ledger work."""
    synth = root / "synth"
    generate(load_profile("small"), synth)
    home = root / "home"
    settings = Settings(home=home)
    assert ingest(IngestRequest([synth], source="generic"), settings).status == "committed"
    last = latest_day(Warehouse(settings.warehouse_dir).connect(), settings.timezone)
    base = GovernanceBase(home, last - dt.timedelta(days=days - 1), last)
    build_snapshots("seller", base.days, settings, load_catalog())
    return base


def start_run(
    home: Path, first: dt.date, last: dt.date, database_url: str = ""
) -> subprocess.Popen[bytes]:
    """``pasar run --from first --to last`` in a subprocess (its stderr piped)."""
    args = [*CLI, "run", "--from", first.isoformat(), "--to", last.isoformat(), "--no-report"]
    return subprocess.Popen(
        args, env=cli_env(home, database_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def complete_run(home: Path, first: dt.date, last: dt.date, database_url: str = "") -> float:
    """Run the pipeline to completion (asserting it succeeds); the seconds it took."""
    started = time.monotonic()
    process = start_run(home, first, last, database_url)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()
    return time.monotonic() - started


def sqlite_url(home: Path) -> str:
    """The default operational store of ``home``."""
    return f"sqlite:///{home / 'pasar.db'}"


def _plain(value: Any) -> Any:
    """One spelling of a value on every backend (SQLite returns dates as text, 0/1 for bools)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def ledger_state(url: str) -> LedgerState:
    """The ledger, actions, audit log and log of days in the store at ``url`` (empty before
    the store is migrated: a run may be cut while it creates the tables)."""
    engine = create_engine(url)
    try:
        with engine.connect() as con:
            tables = set(inspect(con).get_table_names())

            def rows(table: str, columns: str) -> list[tuple[Any, ...]]:
                if table not in tables:
                    return []
                found = con.execute(text(f"SELECT {columns} FROM {table}"))
                return [tuple(_plain(v) for v in row) for row in found]

            keys = dict(rows("points_entries", "id, dedupe_key"))
            entries = Counter(
                (*row[:6], keys.get(row[6]), *row[7:])
                for row in rows(
                    "points_entries",
                    "dedupe_key, seller_id, kind, points, effective_on, expires_on, offsets_id, "
                    "policy_id, repeat",
                )
            )
            action_keys = dict(rows("enforcement_actions", "id, dedupe_key"))
            actions = Counter(
                rows(
                    "enforcement_actions",
                    "dedupe_key, seller_id, action, status, starts_on, ends_on, balance",
                )
            )
            names = {"points_entry": keys, "enforcement_action": action_keys}
            audit = Counter(
                (action, kind, names[kind].get(int(ref)) if kind in names else ref)
                for action, kind, ref in rows("audit_events", "action, entity_type, entity_id")
            )
            runs = Counter(rows("governance_runs", "dedupe_key, day, findings"))
    finally:
        engine.dispose()
    return LedgerState(entries, actions, audit, runs)


def check_whole_days(found: LedgerState, expected: LedgerState, days: list[dt.date]) -> int:
    """Each day is in ``found`` whole (its log entry, ledger entries and actions as in the
    uninterrupted ``expected``) or not at all, the days present are the first ones, and every
    audit event is of a row that exists; the number of whole days."""
    logged = {day for _key, day, _findings in found.runs}
    present = [day.isoformat() in logged for day in days]
    assert present == sorted(present, reverse=True), f"days logged out of order: {present}"
    for day in days:
        iso = day.isoformat()
        entries = Counter({k: n for k, n in found.entries.items() if k[4] == iso})
        actions = {k[0] for k in found.actions if k[4] == iso}
        if iso in logged:
            assert entries == Counter({k: n for k, n in expected.entries.items() if k[4] == iso})
            assert actions == {k[0] for k in expected.actions if k[4] == iso}, f"{iso} actions"
        else:
            assert not entries and not actions, f"half of {iso}: {len(entries)} entries, {actions}"
    orphans = [event for event in found.audit if event[2] is None]
    assert not orphans, f"audit events of rows that are not there: {orphans}"
    return sum(present)
