"""Ingestion benchmark: Pasar's DuckDB ingest of an orders CSV against a straightforward pandas job.

The input is a realistic orders export: the synthetic generator's ``orders`` table written as a CSV
with times as local WIB text (``YYYY-MM-DD HH:MM:SS``) and gmv as text, with ~0.55% bad rows
sprinkled in so validation has work to do (see ``BAD_ROWS``): impossible or foreign dates, unknown
statuses, negative gmv, exact duplicate rows and conflicting duplicates of an order id. The file
(5M rows; 500k with ``--quick``) is cached under ``benchmarks/results/`` keyed by size.

Pasar's figure is the wall time of ``ingest()`` of that CSV into an empty warehouse, in a fresh
subprocess (so its peak RSS is its own), reported as rows/s. The baseline, measured in the same run
and under the same conditions, does the same job in vectorised pandas: ``read_csv(dtype=str)``,
trim, the contract's checks (required values, allowed values after the same normalisation, the same
timestamp formats read in WIB and converted to UTC, Indonesian/English amounts, gmv ≥ 0, the time
order of the contract), duplicate keys, then good rows to Parquet (zstd, with lineage columns),
refused rows with their reasons to CSV, and the unknown sellers/creators as stub keys.

Duplicates follow Pasar's rule on both sides: among rows without column errors, an exact copy of an
earlier row is refused and the first kept; copies of a key with different values are all refused.
So both must accept and refuse exactly the same number of rows; the benchmark checks it.

Where Pasar's time goes, per SQL statement: ``python -m benchmarks.bench_ingest --profile``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.bench_synth import DAYS, PROFILE, orders_per_day_for
from benchmarks.common import Measured, Result, log, run_isolated
from pasar.config import Settings
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import ConnectorOptions
from pasar.warehouse.contract import CONTRACT, LINEAGE_COLUMNS, Column
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.ingest.parsing import DEFAULT_TIME_FORMATS, EARLIEST, LATEST, MAX_TEXT
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

NAME = "ingest"
TABLE = "orders"
FULL_ROWS = 5_000_000
QUICK_ROWS = 500_000
SPEEDUP_TARGET = 3.0
ZONE = "Asia/Jakarta"  # the generic connector's default: WIB
CSV_VERSION = 1  # bump when the way the CSV is built changes (invalidates the cache)
CACHE_DIR = Path(__file__).resolve().parent / "results"

# Bad rows, by the (0-based) position ``rn`` of the order in the generated table. The classes are
# disjoint: an order is corrupted at most one way. Duplicates are copies placed further down.
BAD_ROWS = {
    "created_at": (1000, 101),  # every 1000th order: unreadable created_at (3 kinds)
    "status": (1000, 303),  # unknown status
    "gmv": (1000, 505),  # negative gmv
    "delivered_at": (2000, 707),  # impossible date in delivered_at
    "exact_duplicate": (1000, 909),  # the whole row again, 5,000 rows later
    "conflicting_duplicate": (2000, 1411),  # same order id, other gmv, 777 rows later (both out)
}


def cached_csv(rows: int) -> Path:
    return CACHE_DIR / f"ingest-orders-{rows}-v{CSV_VERSION}.csv"


# --- the input file --------------------------------------------------------------------------


def _corrupt(rule: str) -> str:
    modulus, remainder = BAD_ROWS[rule]
    return f"rn % {modulus} = {remainder}"


def _csv_select(orders_parquet: Path, rows: int) -> str:
    """SQL of the CSV's rows: every contract column as an export would write it, bad rows in."""
    spec = CONTRACT[TABLE]
    local = "strftime(timezone({zone}, {col}), '%Y-%m-%d %H:%M:%S')"
    texts = []
    for column in spec.columns:
        c = ident(column.name)
        if column.type == "timestamp":
            text = local.format(zone=literal(ZONE), col=c)
        elif column.type == "money":
            text = f"CAST({c} AS VARCHAR)"
        else:
            text = c
        if column.name == "created_at":
            text = (
                f"CASE WHEN {_corrupt('created_at')} THEN CASE (rn // 1000) % 3 "
                "WHEN 0 THEN '2025-02-30 10:15:00' WHEN 1 THEN '31/13/2025 08:00' "
                f"ELSE 'kemarin' END ELSE {text} END"
            )
        elif column.name == "delivered_at":
            bad = "'2026-06-31 12:00:00'"
            text = f"CASE WHEN {_corrupt('delivered_at')} THEN {bad} ELSE {text} END"
        elif column.name == "status":
            text = (
                f"CASE WHEN {_corrupt('status')} THEN CASE (rn // 1000) % 2 "
                f"WHEN 0 THEN 'refunded' ELSE 'lost in transit' END ELSE {text} END"
            )
        elif column.name == "gmv":
            text = f"CASE WHEN {_corrupt('gmv')} THEN '-' || {text} ELSE {text} END"
        texts.append(f"{text} AS {c}")
    names = ", ".join(ident(c) for c in spec.column_names)
    gmv = ident("gmv")
    return f"""
        WITH base AS (
            SELECT file_row_number AS rn, * EXCLUDE (file_row_number)
            FROM read_parquet({literal(orders_parquet.as_posix())}, file_row_number = true)
            WHERE file_row_number < {rows}
        ),
        exported AS (SELECT rn, {", ".join(texts)} FROM base),
        placed AS (
            SELECT rn * 4 AS pos, * FROM exported
            UNION ALL
            SELECT (rn + 5000) * 4 + 1, * FROM exported WHERE {_corrupt("exact_duplicate")}
            UNION ALL
            SELECT (rn + 777) * 4 + 2,
                   * REPLACE (CAST(CAST({gmv} AS DECIMAL(18,2)) + 1000 AS VARCHAR) AS {gmv})
            FROM exported WHERE {_corrupt("conflicting_duplicate")}
        )
        SELECT {names} FROM placed ORDER BY pos LIMIT {rows}
    """


def build_csv(rows: int, out: str) -> int:
    """Generate a marketplace, export ``rows`` orders (with the bad rows) as CSV to ``out``."""
    target = Path(out)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-ingest-gen-"))
    try:
        wanted = int(rows * 1.03) + 2_000  # expected demand is only expected: keep a margin
        profile = load_profile(PROFILE).with_overrides(
            orders_per_day=orders_per_day_for(wanted), days=DAYS
        )
        generated = generate(profile, scratch / "synth")
        if generated.rows[TABLE] < rows:
            raise RuntimeError(f"generated {generated.rows[TABLE]:,} orders, need {rows:,}")
        partial = target.with_suffix(".csv.partial")
        con = duckdb.connect()
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET preserve_insertion_order = true")
            select = _csv_select(scratch / "synth" / f"{TABLE}.parquet", rows)
            con.execute(
                f"COPY ({select}) TO {literal(partial.as_posix())} (FORMAT csv, HEADER true)"
            )
        finally:
            con.close()
        partial.replace(target)
        return rows
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def ensure_csv(rows: int) -> Path:
    """The cached CSV of ``rows`` orders, built (in a subprocess) when missing."""
    path = cached_csv(rows)
    if path.is_file():
        log(f"ingest: using cached {path.name} ({path.stat().st_size / 2**20:,.0f} MiB)")
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    log(f"ingest: building {path.name} ({_size(rows)} orders; cached for later runs)")
    built = run_isolated(build_csv, rows, str(path))
    log(f"  built in {built.seconds:.0f} s ({path.stat().st_size / 2**20:,.0f} MiB)")
    return path


# --- what each side reports ------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Rows read, accepted and refused by one run, the stub keys made and its phase times."""

    rows: int
    accepted: int
    rejected: int
    stub_sellers: int
    phases: list[tuple[str, float]] = field(default_factory=list)


# --- Pasar ----------------------------------------------------------------------------------


def _phases(marks: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Consecutive progress marks as (phase, seconds): each phase runs until the next mark."""
    return [(label, later - at) for (label, at), (_, later) in itertools.pairwise(marks)]


def pasar_job(csv: str, home: str) -> Outcome:
    """``ingest()`` the CSV into an empty warehouse under ``home``."""
    marks: list[tuple[str, float]] = [("hash + setup", time.perf_counter())]

    def progress(message: str) -> None:
        label = "read CSV" if message.startswith("reading ") else message
        marks.append((label, time.perf_counter()))

    report = ingest(
        IngestRequest(paths=[Path(csv)], source="generic", options=ConnectorOptions(table=TABLE)),
        Settings(home=Path(home)),
        progress=progress,
    )
    marks.append(("end", time.perf_counter()))
    phases = _phases(marks)
    if phases:
        phases[-1] = (f"{phases[-1][0]} + commit", phases[-1][1])
    counts = report.tables[TABLE]
    sellers = report.tables.get("sellers")
    return Outcome(
        rows=report.rows_read,
        accepted=counts.inserted + counts.updated + counts.unchanged,
        rejected=report.rejected_rows,
        stub_sellers=sellers.stubs_created if sellers else 0,
        phases=phases,
    )


# --- baseline: vectorised pandas ---------------------------------------------------------------

_ISO_TIME = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?"
_ISO_LOCAL = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?"
_ISO_OFFSET = _ISO_TIME + r"(?:Z| UTC|[+-]\d{2}(?::?\d{2})?)"  # a date alone has no offset
_BLANKS = " \t\n\r\u00a0\ufeff"  # what Pasar trims, incl. no-break space and BOM
_CURRENCY_PREFIX = r"^(?i:rp\.?|idr|rm|myr|r\$|us\$|\$|usd)\s*"
_EN = r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?"
_ID = r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
_PLAIN = r"-?\d+\.\d{2}"  # neither Indonesian nor ambiguous: read directly
_EARLIEST = pd.Timestamp(EARLIEST, tz="UTC")
_LATEST = pd.Timestamp(LATEST, tz="UTC")
_UTC = "datetime64[us, UTC]"


def _to_utc(naive: pd.Series) -> pd.Series:
    local = naive.dt.tz_localize(ZONE, ambiguous="NaT", nonexistent="NaT")
    return local.dt.tz_convert("UTC").astype(_UTC)


def parse_times(text: pd.Series) -> pd.Series:
    """Text to UTC timestamps: the common format first, the other formats on what is left."""
    result = _to_utc(pd.to_datetime(text, format=DEFAULT_TIME_FORMATS[0], errors="coerce"))
    todo = result.isna() & text.notna()
    if not todo.any():
        return result
    sub = text[todo]
    aware = sub.str.fullmatch(_ISO_OFFSET).fillna(False).astype(bool)
    fixed = pd.Series(pd.NaT, index=sub.index, dtype=_UTC)
    if aware.any():
        zoned = sub[aware].str.replace(" UTC", "Z", regex=False)
        fixed[aware] = pd.to_datetime(zoned, format="ISO8601", utc=True, errors="coerce")
    naive = pd.Series(pd.NaT, index=sub.index, dtype="datetime64[us]")
    iso = ~aware & sub.str.fullmatch(_ISO_LOCAL).fillna(False).astype(bool)
    if iso.any():
        naive[iso] = pd.to_datetime(sub[iso], format="ISO8601", errors="coerce")
    for fmt in DEFAULT_TIME_FORMATS:
        left = ~aware & naive.isna()
        if not left.any():
            break
        naive[left] = pd.to_datetime(sub[left], format=fmt, errors="coerce")
    fixed[~aware] = _to_utc(naive[~aware])
    result[todo] = fixed
    return result


def parse_money(text: pd.Series) -> pd.Series:
    """Amounts as Pasar reads them (auto style, Indonesian preferred); NaN when unreadable."""
    plain = text.str.fullmatch(_PLAIN).fillna(False).astype(bool)
    value = pd.to_numeric(text.where(plain), errors="coerce")
    rest = ~plain & text.notna()
    if rest.any():
        amount = text[rest].str.replace(_CURRENCY_PREFIX, "", regex=True)
        is_id = amount.str.fullmatch(_ID).fillna(False).astype(bool)
        is_en = amount.str.fullmatch(_EN).fillna(False).astype(bool) & ~is_id
        as_id = amount.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        as_en = amount.str.replace(",", "", regex=False)
        chosen = as_id.where(is_id, as_en.where(is_en))
        value[rest] = pd.to_numeric(chosen, errors="coerce")
    return value.round(2)


@dataclass
class _Checks:
    """Per column, in order, the masks of rows refused and why (first failing check wins)."""

    n: int
    found: list[tuple[str, str, np.ndarray]] = field(default_factory=list)
    _taken: dict[str, np.ndarray] = field(default_factory=dict)

    def add(self, column: str, reason: str, mask: pd.Series | np.ndarray) -> None:
        values = np.asarray(mask, dtype=bool)
        taken = self._taken.setdefault(column, np.zeros(self.n, dtype=bool))
        values = values & ~taken
        taken |= values
        if values.any():
            self.found.append((column, reason, values))

    def any(self) -> np.ndarray:
        bad = np.zeros(self.n, dtype=bool)
        for _, _, mask in self.found:
            bad |= mask
        return bad


def _check_column(column: Column, text: pd.Series, checks: _Checks) -> Any:
    """Typed value of one column (Series), recording its refusals in ``checks``."""
    name = column.name
    missing = text.isna()
    if column.required:
        checks.add(name, "required value is empty", missing)
    if column.type == "string":
        value = text
        if column.enum:
            value = text.str.lower().str.replace(r"[\s-]+", "_", regex=True)
            allowed = ", ".join(column.enum)
            checks.add(name, f"not one of: {allowed}", ~missing & ~value.isin(column.enum))
        checks.add(name, f"longer than {MAX_TEXT} characters", text.str.len().gt(MAX_TEXT))
        return value
    if column.type == "timestamp":
        value = parse_times(text)
        checks.add(name, "not a date and time", ~missing & value.isna())
        out = (value < _EARLIEST) | (value >= _LATEST)
        checks.add(name, f"outside {EARLIEST[:4]}–{LATEST[:4]}", out)
        return value
    if column.type == "money":
        value = parse_money(text)
        checks.add(name, "not an amount", ~missing & value.isna())
        if column.minimum is not None:
            checks.add(name, f"below the minimum {column.minimum:g}", value < column.minimum)
        return value
    raise AssertionError(f"the baseline does not handle {column.type} columns")


def baseline_job(csv: str, out: str) -> Outcome:
    """The same job in vectorised pandas: read, validate, write good/bad rows and stub keys."""
    spec = CONTRACT[TABLE]
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    marks: list[tuple[str, float]] = [("read CSV", time.perf_counter())]

    raw = pd.read_csv(csv, dtype=str, keep_default_na=False, na_values=[""])
    n = len(raw)
    marks.append(("validate", time.perf_counter()))

    checks = _Checks(n)
    typed: dict[str, Any] = {}
    for column in spec.columns:
        if column.name in raw:
            text = raw[column.name].str.strip(_BLANKS)
            text = text.where(text != "")
        else:
            text = pd.Series(np.nan, index=raw.index, dtype="str")
        if column.default is not None:
            text = text.fillna(column.default)
        typed[column.name] = _check_column(column, text, checks)
    column_bad = checks.any()
    clean = ~column_bad

    order_bad = np.zeros(n, dtype=bool)
    for earlier, later in spec.time_order:
        # NaT compares False: an absent time is no conflict
        order_bad |= clean & (typed[earlier] > typed[later]).to_numpy()

    key = typed[spec.key[0]]
    candidates = clean & key.where(clean).duplicated(keep=False).to_numpy()
    dup_bad = np.zeros(n, dtype=bool)
    if candidates.any():
        copies = pd.DataFrame({c: typed[c][candidates] for c in spec.column_names})
        content = pd.util.hash_pandas_object(copies, index=False)
        variants = content.groupby(copies[spec.key[0]]).transform("nunique")
        first_copy = ~copies[spec.key[0]].duplicated(keep="first")
        dup_bad[np.flatnonzero(candidates)] = ((variants > 1) | ~first_copy).to_numpy()

    rejected = column_bad | order_bad | dup_bad
    good = ~rejected
    marks.append(("write Parquet + rejects", time.perf_counter()))

    rows = pd.Series(np.arange(n, dtype=np.int64) + 2, index=raw.index)  # header is row 1
    arrays: dict[str, pa.Array] = {}
    schema = spec.arrow_schema()
    for column in spec.columns:
        values = typed[column.name][good]
        arrow = pa.array(values, from_pandas=True)
        arrays[column.name] = arrow.cast(schema.field(column.name).type)
    kept = int(good.sum())
    lineage = {
        "_batch_id": pa.repeat(pa.scalar("baseline", pa.string()), kept),
        "_source_file": pa.repeat(pa.scalar(csv, pa.string()), kept),
        "_source_row": pa.array(rows[good], pa.int64()),
        "_stub": pa.array(np.zeros(kept, dtype=bool), pa.bool_()),
    }
    full_schema = pa.schema([*schema, *(pa.field(n_, t) for n_, t in LINEAGE_COLUMNS)])
    table = pa.table({**arrays, **lineage}, schema=full_schema)
    pq.write_table(table, folder / f"{TABLE}.parquet", compression="zstd", row_group_size=122880)

    reasons = [
        pd.Series(f"{column}: {reason}", index=raw.index[mask])
        for column, reason, mask in checks.found
    ]
    reasons.append(pd.Series("time order", index=raw.index[order_bad & clean]))
    reasons.append(pd.Series("duplicate order_id", index=raw.index[dup_bad]))
    why = pd.concat(reasons).groupby(level=0).agg("; ".join)
    bad_rows = raw[rejected].assign(_row=rows[rejected], _reasons=why)
    bad_rows.to_csv(folder / "rejects.csv", index=False)

    stubs: dict[str, int] = {}
    for ref_column in ("seller_id", "creator_id"):  # the warehouse is empty: every key is new
        ids = typed[ref_column][good].dropna().unique()
        pq.write_table(pa.table({ref_column: pa.array(ids)}), folder / f"{ref_column}_stubs.pq")
        stubs[ref_column] = len(ids)
    marks.append(("end", time.perf_counter()))
    return Outcome(
        rows=n,
        accepted=kept,
        rejected=int(rejected.sum()),
        stub_sellers=stubs["seller_id"],
        phases=_phases(marks),
    )


# --- the benchmark -------------------------------------------------------------------------


def _size(n: float) -> str:
    return f"{n / 1e6:.1f}M" if n >= 950_000 else f"{n / 1e3:.0f}k"


def _log_run(who: str, measured: Measured[Outcome]) -> None:
    o = measured.value
    phases = ", ".join(f"{label} {seconds:.1f} s" for label, seconds in o.phases)
    log(
        f"  {who}: {o.rows:,} rows in {measured.seconds:.1f} s "
        f"({o.rows / measured.seconds:,.0f} rows/s), peak {measured.peak_rss_mib:,.0f} MiB; "
        f"accepted {o.accepted:,}, rejected {o.rejected:,}, stub sellers {o.stub_sellers:,}"
    )
    log(f"    phases: {phases}")


def _measure(job: Callable[[str, str], Outcome], csv: Path, scratch: Path) -> Measured[Outcome]:
    out = Path(tempfile.mkdtemp(prefix="run-", dir=scratch))
    try:
        return run_isolated(job, str(csv), str(out))
    finally:
        shutil.rmtree(out, ignore_errors=True)


def run(quick: bool = False) -> list[Result]:
    """Build (or reuse) the CSV, then measure the pandas baseline and Pasar on it."""
    rows = QUICK_ROWS if quick else FULL_ROWS
    csv = ensure_csv(rows)
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-ingest-"))
    try:
        log(f"ingest: pandas baseline, {_size(rows)} rows")
        base = _measure(baseline_job, csv, scratch)
        _log_run("baseline", base)
        log(f"ingest: Pasar ingest(), {_size(rows)} rows")
        pasar = _measure(pasar_job, csv, scratch)
        _log_run("Pasar", pasar)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    p, b = pasar.value, base.value
    print(
        f"ingest counts: Pasar read {p.rows:,}, accepted {p.accepted:,}, rejected {p.rejected:,}; "
        f"pandas read {b.rows:,}, accepted {b.accepted:,}, rejected {b.rejected:,}"
    )
    if (p.rows, p.accepted, p.rejected) != (b.rows, b.accepted, b.rejected):
        raise AssertionError(
            "Pasar and the pandas baseline disagree on the rows to accept: the comparison is "
            "unfair (did a validation rule change? mirror it in baseline_job)"
        )
    rate, base_rate = p.rows / pasar.seconds, b.rows / base.seconds
    ratio = rate / base_rate
    note = (
        f"ingest: {_size(rows)}-row orders CSV ({csv.stat().st_size / 2**20:,.0f} MiB, "
        f"{p.rejected:,} bad rows) into an empty warehouse; baseline = vectorised pandas "
        f"(read_csv dtype=str, same checks, Parquet + rejects CSV): {base.seconds:.1f} s, "
        f"peak RSS {base.peak_rss_mib:,.0f} MiB. Both accept {p.accepted:,} rows. "
        "One run each on a shared 2-core machine: timings are noisy."
    )
    print(
        f"ingest: Pasar {rate:,.0f} rows/s vs pandas {base_rate:,.0f} rows/s = {ratio:.2f}× "
        f"(target ≥ {SPEEDUP_TARGET:g}×); peak RSS Pasar {pasar.peak_rss_mib:,.0f} MiB, "
        f"pandas {base.peak_rss_mib:,.0f} MiB"
    )
    return [
        Result(
            name=NAME,
            measured=f"throughput, {_size(rows)}-row orders CSV → warehouse",
            value=rate,
            unit="rows/s",
            baseline=base_rate,
            ratio=ratio,
            better="higher (Pasar ÷ baseline)",
            target=f"≥ {SPEEDUP_TARGET:g}×",
            note=note,
            ok=ratio >= SPEEDUP_TARGET,
        ),
        Result(
            name=NAME,
            measured=f"peak RSS, {_size(rows)} rows ({pasar.seconds:.0f} s)",
            value=pasar.peak_rss_mib,
            unit="MiB",
            baseline=base.peak_rss_mib,
            ratio=base.peak_rss_mib / pasar.peak_rss_mib,
            better="lower (baseline ÷ Pasar)",
            target="—",
            note="Peak RSS is the whole child process: interpreter, imports and data.",
        ),
    ]


# --- profiling: where Pasar's time goes, per SQL statement -----------------------------------


class _TimedConnection:
    """A DuckDB connection that records the wall time of every ``execute``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, spent: list[tuple[float, str]]) -> None:
        self._con = con
        self._spent = spent

    def execute(self, query: str, *args: Any) -> Any:
        start = time.perf_counter()
        result = self._con.execute(query, *args)
        self._spent.append((time.perf_counter() - start, query))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def profile(rows: int, top: int = 15) -> None:
    """Ingest the cached CSV with every SQL statement timed; print the slowest ones."""
    from pasar.warehouse.ingest import batch

    csv = ensure_csv(rows)
    spent: list[tuple[float, str]] = []
    real = duckdb
    batch.duckdb = SimpleNamespace(  # type: ignore[assignment]
        connect=lambda *a, **k: _TimedConnection(real.connect(*a, **k), spent), Error=real.Error
    )
    home = Path(tempfile.mkdtemp(prefix="pasar-bench-ingest-profile-"))
    try:
        start = time.perf_counter()
        outcome = pasar_job(str(csv), str(home))
        total = time.perf_counter() - start
    finally:
        shutil.rmtree(home, ignore_errors=True)
    in_sql = sum(s for s, _ in spent)
    print(f"{outcome.rows:,} rows in {total:.1f} s; {len(spent)} statements, {in_sql:.1f} s in SQL")
    print("phases: " + json.dumps({k: round(v, 2) for k, v in outcome.phases}))
    for seconds, query in sorted(spent, key=lambda x: x[0], reverse=True)[:top]:
        flat = " ".join(query.split())
        print(f"{seconds:7.2f} s  {flat[:220]}{'…' if len(flat) > 220 else ''}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ingest")
    parser.add_argument("--profile", action="store_true", help="time Pasar's SQL statements")
    parser.add_argument("--quick", action="store_true", help="the 500k-row file")
    args = parser.parse_args(argv)
    rows = QUICK_ROWS if args.quick else FULL_ROWS
    if args.profile:
        profile(rows)
    else:
        for result in run(args.quick):
            print(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
