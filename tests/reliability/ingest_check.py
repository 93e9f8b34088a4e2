"""Running one malformed-ingestion case and checking it met its outcome.

Every case starts from a copy of the same warehouse (a committed baseline batch of other
sellers' orders), so each can check that what was committed before is untouched: the baseline
rows' count and checksum per table. The reference is the good export ingested the same way;
a case's stored rows are compared with it row for row (lineage aside: files and row numbers
differ between cases).

Example:
    >>> sorted(BASELINE_TABLES)
    ['orders', 'sellers']
"""

from __future__ import annotations

import hashlib
import shutil
import traceback
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pasar.config import Settings
from pasar.kit.errors import InputError, PasarError
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.ingest.batch import BatchReport, IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from tests.reliability.corpus import (
    Accept,
    Case,
    Layout,
    RefuseFile,
    RefuseRow,
    StoreNothing,
    good_files,
    write_case,
)

LINEAGE = ("_batch_id", "_source_file", "_source_row")
BASELINE_TABLES = {
    "sellers": "seller_id,shop_name,is_mall\nBASE-S1,Toko Lama,yes\nBASE-S2,Warung Dua,no\n",
    "orders": (
        "order_id,seller_id,buyer_id,created_at,status,gmv\n"
        "BASE-O1,BASE-S1,b1,2025-12-01 10:00:00,delivered,150000\n"
        "BASE-O2,BASE-S1,b2,2025-12-02 11:00:00,cancelled,99000\n"
        "BASE-O3,BASE-S2,b3,2025-12-03 12:00:00,in_transit,5000\n"
    ),
}

Row = tuple[tuple[str, Any], ...]  # (column, value) pairs of one stored row


def build_baseline(home: Path) -> str:
    """A warehouse under ``home`` holding one committed batch; returns its batch id."""
    folder = home.parent / "baseline-files"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table, text in BASELINE_TABLES.items():
        path = folder / f"{table}.csv"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    report = ingest(IngestRequest(paths), Settings(home=home))
    assert report.status == "committed" and report.rejected_rows == 0
    return report.batch_id


def baseline_state(home: Path, batch_id: str) -> dict[str, tuple[int, str]]:
    """Per table, the number of rows the baseline batch committed and their checksum."""
    return Stored.read(home).baseline(batch_id)


@dataclass
class Stored:
    """Every stored row of a warehouse, each with its batch, file and row number."""

    rows: dict[str, list[tuple[str, str, int, Row]]]  # table -> (batch, file, row, values)

    @classmethod
    def read(cls, home: Path) -> Stored:
        con = Warehouse(Settings(home=home).warehouse_dir).connect()
        try:
            found: dict[str, list[tuple[str, str, int, Row]]] = {}
            for table in CONTRACT:
                cursor = con.execute(f"SELECT * FROM {table}")
                names = [d[0] for d in cursor.description or []]
                for values in cursor.fetchall():
                    row = dict(zip(names, values, strict=True))
                    lineage = (str(row["_batch_id"]), str(row["_source_file"]))
                    kept = tuple((n, v) for n, v in row.items() if n not in LINEAGE)
                    number = int(row["_source_row"]) if row["_source_row"] is not None else 0
                    found.setdefault(table, []).append((*lineage, number, kept))  # 0: a stub
            return cls(found)
        finally:
            con.close()

    def baseline(self, batch_id: str) -> dict[str, tuple[int, str]]:
        state = {}
        for table, rows in self.rows.items():
            mine = sorted((r for b, _, _, r in rows if b == batch_id), key=repr)
            if mine:
                state[table] = (len(mine), hashlib.sha256(repr(mine).encode()).hexdigest())
        return state

    def since(self, batch_id: str) -> dict[str, list[Row]]:
        """Rows of every batch after the baseline."""
        found = {t: [r for b, _, _, r in rows if b != batch_id] for t, rows in self.rows.items()}
        return {t: rows for t, rows in found.items() if rows}

    def of_file(self, table: str, file: Path) -> dict[int, Row]:
        """Rows of ``table`` from ``file``, by row number."""
        return {n: r for _, f, n, r in self.rows.get(table, []) if f == str(file)}


def _key(table: str, row: Row) -> tuple[Any, ...]:
    values = dict(row)
    return tuple(values[c] for c in CONTRACT[table].key)


@dataclass
class Reference:
    """What the good export stores on top of the baseline, and the victim's key."""

    rows: dict[str, list[Row]]
    victim_key: tuple[Any, ...]


@dataclass
class Bench:
    """A baseline warehouse to copy for every case, and where the cases run."""

    base_home: Path
    batch_id: str
    state: dict[str, tuple[int, str]]
    work: Path
    runs: int = 0

    def fresh_home(self) -> Path:
        self.runs += 1
        home = self.work / f"run-{self.runs}" / "home"
        shutil.copytree(self.base_home, home)
        return home


def make_bench(root: Path) -> Bench:
    home = root / "base" / "home"
    batch = build_baseline(home)
    return Bench(home, batch, baseline_state(home, batch), root / "cases")


def _request(layout: Layout, path: Path) -> IngestRequest:
    return IngestRequest([path], layout.source, ConnectorOptions(seller_id=layout.seller))


def reference(bench: Bench, layout: Layout) -> Reference:
    """Ingest the good export and note what it stores and which row is the victim."""
    home = bench.fresh_home()
    path, target = write_case(home.parent / "files", layout, good_files(layout))
    report = ingest(_request(layout, path), Settings(home=home))
    assert report.status == "committed", report
    stored = Stored.read(home)
    by_row = stored.of_file(layout.table, target)
    assert layout.victim_row in by_row, f"{layout.name}: the victim row is not stored"
    return Reference(stored.since(bench.batch_id), _key(layout.table, by_row[layout.victim_row]))


def run_case(bench: Bench, case: Case, good: Reference) -> list[str]:
    """Ingest one case; the ways it broke its promise (empty when it kept it)."""
    home = bench.fresh_home()
    path, target = write_case(home.parent / "files", case.layout, case.files)
    settings = Settings(home=home)
    manifest_before = Warehouse(settings.warehouse_dir).manifest()
    problems: list[str] = []
    report: BatchReport | None = None
    error: PasarError | None = None
    try:
        report = ingest(_request(case.layout, path), settings)
    except PasarError as exc:
        error = exc
    except Exception as exc:  # what a user would see as a traceback
        lines = traceback.format_exception(exc)
        return [f"unexpected {type(exc).__name__}: {exc} at {lines[-2].strip()}"]
    after = Stored.read(home)
    state = after.baseline(bench.batch_id)
    if state != bench.state:
        problems.append(f"the baseline batch changed: {bench.state} -> {state}")
    outcome = case.outcome
    if isinstance(outcome, RefuseFile):
        problems += _check_refused_file(outcome, error, path, target)
        if Warehouse(settings.warehouse_dir).manifest() != manifest_before:
            problems.append("a refused batch changed the warehouse")
        return problems
    if error is not None:
        return [*problems, f"refused as a whole ({type(error).__name__}): {error}"]
    assert report is not None
    problems += _check_rejects(report)
    stored = after.since(bench.batch_id)
    table = case.layout.table
    if isinstance(outcome, StoreNothing):
        if after.of_file(table, target):
            problems.append("rows of a header-only file were stored")
        if any(f.path == str(target) and f.rejected for f in report.files):
            problems.append("rows of a header-only file were refused")
    elif isinstance(outcome, Accept):
        problems += _check_accepted(outcome, stored, good, table)
    else:
        problems += _check_refused_row(outcome, report, stored, good, case, target)
    return problems


def _check_refused_file(
    outcome: RefuseFile, error: PasarError | None, path: Path, target: Path
) -> list[str]:
    if error is None:
        return ["the batch was accepted; expected the file to be refused"]
    if not isinstance(error, InputError):
        return [f"refused with {type(error).__name__}, not InputError: {error}"]
    problems = []
    named = str(path) if outcome.file == "" else str(target)
    if named not in str(error) or (error.file not in (named, None) and named != str(path)):
        problems.append(f"the message does not name {named}: {error}")
    if outcome.column is not None and error.column != outcome.column:
        problems.append(f"column {error.column!r}, expected {outcome.column!r}: {error}")
    if not any(word in str(error) for word in outcome.words):
        problems.append(f"no reason with {outcome.words}: {error}")
    if "\n" in str(error) or "Traceback" in str(error):
        problems.append(f"not one line: {error!r}")
    return problems


def _check_rejects(report: BatchReport) -> list[str]:
    """Every reject names a file, a row and a reason."""
    if not report.rejects_files:
        return [] if report.rejected_rows == 0 else ["rows refused but no rejects file"]
    parquet = next(p for p in report.rejects_files if p.suffix == ".parquet")
    bad = duckdb.execute(
        'SELECT count(*) FROM read_parquet(?) WHERE file IS NULL OR "row" IS NULL '
        "OR coalesce(reason, '') = ''",
        [str(parquet)],
    ).fetchall()[0][0]
    return [f"{bad} rejects without file, row or reason"] if bad else []


def _check_accepted(
    outcome: Accept, stored: dict[str, list[Row]], good: Reference, table: str
) -> list[str]:
    if outcome.changed is None:
        return _diff(stored, good.rows, "")
    field, value = outcome.changed
    victim = [r for r in stored.get(table, []) if _key(table, r) == good.victim_key]
    if len(victim) != 1:
        return [f"the victim {good.victim_key} is stored {len(victim)} times"]
    problems = []
    if dict(victim[0])[field] != value:
        problems.append(f"{field} stored as {dict(victim[0])[field]!r}, expected {value!r}")
    others = {
        t: [r for r in rows if t != table or _key(t, r) != good.victim_key]
        for t, rows in stored.items()
    }
    expected = {
        t: [r for r in rows if t != table or _key(t, r) != good.victim_key]
        for t, rows in good.rows.items()
    }
    problems += _diff({table: others.get(table, [])}, {table: expected.get(table, [])}, "")
    for t in set(good.rows) | set(stored):
        if t != table and len(stored.get(t, [])) != len(good.rows.get(t, [])):
            problems.append(f"{t}: {len(stored.get(t, []))} rows, expected {len(good.rows[t])}")
    want = {k: v for k, v in dict(_victim(good, table)).items() if k != field}
    got = {k: v for k, v in dict(victim[0]).items() if k != field}
    if got != want:
        problems.append(f"the victim's other fields changed: {got} != {want}")
    return problems


def _victim(good: Reference, table: str) -> Row:
    return next(r for r in good.rows[table] if _key(table, r) == good.victim_key)


def _check_refused_row(
    outcome: RefuseRow,
    report: BatchReport,
    stored: dict[str, list[Row]],
    good: Reference,
    case: Case,
    target: Path,
) -> list[str]:
    layout = case.layout
    problems = []
    if not _rejects_of(report, target, layout.victim_row):
        problems.append(f"row {layout.victim_row} of {target.name} was not refused")
    # the reason may be given for the row the victim feeds (an Olist item's date is its order's)
    rejects = _rejects_of(report)
    fitting = [
        r
        for r in rejects
        if (outcome.column is None or outcome.column in str(r["column"]))
        and any(word in str(r["reason"]) for word in outcome.words)
    ]
    if not fitting:
        problems.append(f"no reject with column {outcome.column!r} and {outcome.words}: {rejects}")
    table = layout.table
    kept = [r for r in good.rows.get(table, []) if _key(table, r) != good.victim_key]
    problems += _diff({table: stored.get(table, [])}, {table: kept}, "")
    for t, rows in stored.items():  # rows derived from the victim (a product's price) may differ
        extra = {_key(t, r) for r in rows} - {_key(t, r) for r in good.rows.get(t, [])}
        if extra:
            problems.append(f"{t}: keys not in the good export's result: {sorted(extra)[:2]}")
    return problems


def _rejects_of(
    report: BatchReport, target: Path | None = None, row: int | None = None
) -> list[dict[str, Any]]:
    """The batch's rejects (of one row of one file)."""
    if not report.rejects_files:
        return []
    parquet = next(p for p in report.rejects_files if p.suffix == ".parquet")
    cursor = duckdb.execute(
        'SELECT * FROM read_parquet(?) WHERE (? IS NULL OR file = ?) AND (? IS NULL OR "row" = ?)',
        [str(parquet), *[str(target) if target else None] * 2, row, row],
    )
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def _diff(got: dict[str, list[Row]], want: dict[str, list[Row]], what: str) -> list[str]:
    problems = []
    for table in sorted(set(got) | set(want)):
        missing = Counter(want.get(table, [])) - Counter(got.get(table, []))
        extra = Counter(got.get(table, [])) - Counter(want.get(table, []))
        if missing or extra:
            problems.append(
                f"{table}{what}: {sum(missing.values())} rows missing "
                f"(e.g. {_short(next(iter(missing), None))}), {sum(extra.values())} unexpected "
                f"(e.g. {_short(next(iter(extra), None))})"
            )
    return problems


def _short(row: Row | None) -> str:
    if row is None:
        return "-"
    return ", ".join(f"{k}={str(v)[:40]}" for k, v in row if v is not None)[:300]
