"""``pasar run --engine spark`` ends as the DuckDB run ends on the same data.

The small marketplace is generated and ingested once, and its warehouse copied into two homes.
``pasar run --from --to`` over the last days runs in one with the default engine (DuckDB) and
in the other with ``--engine spark`` (a local Spark session of the master named by
``PASAR_SPARK_MASTER``). Then the seller snapshots must match — the stored schema exactly;
counts, money, dates and text exactly; ratios to a relative 1e-9 — and so must what the
pipeline made of them: the points ledger, the actions and warnings, the log of days, the audit
log, and every cell of the workbook. A perturbed copy of each proves the comparisons see a
difference.

Spark is optional: without PySpark the Spark tests skip, except under ``CI=true`` where they
fail.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from pasar.audit.models import AuditEvent
from pasar.cli.main import app
from pasar.config import Settings, get_settings
from pasar.governance.models import EnforcementAction, GovernanceRun, PointsEntry
from pasar.kit.db import Database
from pasar.metrics.catalog import load_catalog
from pasar.metrics.query import latest_day
from pasar.metrics.snapshots import (
    ENGINE_KEY,
    build_snapshots,
    conform,
    snapshot_path,
    write_arrow,
)
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile
from tests.spark import WITH_PYSPARK
from tests.spark import pyspark_available as pyspark_available  # the fixture

DAYS = 3
RELATIVE = 1e-9
# two threads like the default, one task failure allowed: a master URL of its own, so the
# session shows that the run started Spark with the setting
MASTER = "local[2,1]"
VOLATILE = {"id", "created_at", "finished_at", "occurred_at", "decided_at"}

State = dict[str, list[dict[str, Any]]]


@dataclass
class Runs:
    """The two homes after the pipeline ran over ``days``, and how long each run took."""

    duckdb: Path
    spark: Path
    days: list[dt.date]
    seconds: dict[str, float]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, pyspark_available: None) -> Iterator[Runs]:
    from pyspark.sql import SparkSession

    root = tmp_path_factory.mktemp("pipeline-spark")
    generate(load_profile("small"), root / "synth")
    base = Settings(home=root / "base")
    assert ingest(IngestRequest([root / "synth"], source="generic"), base).status == "committed"
    last = latest_day(Warehouse(base.warehouse_dir).connect(), base.timezone)
    days = [last - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    homes = {engine: root / engine for engine in ("duckdb", "spark")}
    for home in homes.values():
        shutil.copytree(base.warehouse_dir, home / "warehouse")
    running = SparkSession.getActiveSession()
    if running is not None:  # the run must start its own session, with the master setting
        running.stop()
    seconds = {}
    for engine, home in homes.items():
        started = time.monotonic()
        _pasar(home, "run", "--from", str(days[0]), "--to", str(days[-1]), "--engine", engine)
        seconds[engine] = time.monotonic() - started
    spark = SparkSession.getActiveSession()
    assert spark is not None and spark.sparkContext.master == MASTER
    yield Runs(homes["duckdb"], homes["spark"], days, seconds)
    spark.stop()


def _pasar(home: Path, *args: str) -> None:
    """Run the CLI on ``home`` (its own SQLite store), as a user would."""
    env = {"PASAR_HOME": str(home), "PASAR_DATABASE_URL": "", "PASAR_SPARK_MASTER": MASTER}
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, list(args), env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    assert "sellers received points or actions" in result.output


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.slow
@WITH_PYSPARK
@pytest.mark.parametrize("day_index", range(DAYS))
def test_spark_snapshots_equal_duckdb_snapshots(runs: Runs, day_index: int) -> None:
    day = runs.days[day_index]
    duck, spark = _snapshot(runs.duckdb, day), _snapshot(runs.spark, day)
    assert duck.schema.metadata[ENGINE_KEY.encode()] == b"duckdb"
    assert spark.schema.metadata[ENGINE_KEY.encode()] == b"spark"  # Spark computed it
    assert duck.num_rows == spark.num_rows > 0
    problems = snapshot_differences(duck, spark)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:20])


@pytest.mark.slow
@WITH_PYSPARK
def test_ledger_actions_and_days_are_the_same(runs: Runs) -> None:
    duck, spark = store_state(runs.duckdb), store_state(runs.spark)
    issues = [e for e in duck["points_entries"] if e["kind"] == "issue"]
    assert len(issues) > 0 and len(duck["enforcement_actions"]) > 0  # the run did something
    assert [r["day"] for r in duck["governance_runs"]] == runs.days
    problems = state_differences(duck, spark)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:20])
    print(
        f"{len(duck['points_entries'])} entries, {len(duck['enforcement_actions'])} actions "
        f"over {DAYS} days; DuckDB run {runs.seconds['duckdb']:.0f} s, "
        f"Spark run {runs.seconds['spark']:.0f} s"
    )


@pytest.mark.slow
@WITH_PYSPARK
def test_reports_have_the_same_cells(runs: Runs) -> None:
    duck, spark = (_workbook(home, runs.days[-1]) for home in (runs.duckdb, runs.spark))
    assert len(duck["Violations by reason"]) > 1  # a header and at least one reason
    problems = workbook_differences(duck, spark)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:20])


@pytest.mark.slow
@WITH_PYSPARK
def test_comparisons_see_a_difference(runs: Runs) -> None:
    """Each comparison above finds a difference the engines could make."""
    day = runs.days[-1]
    duck, spark = _snapshot(runs.duckdb, day), _snapshot(runs.spark, day)
    ratio = next(f.name for f in spark.schema if pa.types.is_floating(f.type))
    row = next(i for i, v in enumerate(spark[ratio].to_pylist()) if v)
    assert _differences_after(duck, spark, ratio, row, lambda v: v * (1 + 1e-7)) == 1
    assert _differences_after(duck, spark, "orders_30d", 0, lambda v: (v or 0) + 1) == 1
    cent = Decimal("0.01")
    assert _differences_after(duck, spark, "gmv_30d", 0, lambda v: (v or 0) + cent) == 1
    index = spark.schema.get_field_index("gmv_30d")
    spark_sum = pa.field("gmv_30d", pa.decimal128(28, 2))  # Spark's own type of the sum
    assert snapshot_differences(duck, spark.cast(spark.schema.set(index, spark_sum))) == [
        "different schemas"
    ]

    state = store_state(runs.spark)
    changed = copy.deepcopy(state)
    changed["points_entries"][0]["points"] += 1
    assert len(state_differences(state, changed)) == 1
    issue = next(e for e in changed["points_entries"] if e["values"])
    metric = next(iter(issue["values"]))
    issue["values"][metric] = _nudged(issue["values"][metric])
    assert len(state_differences(state, changed)) == 2
    changed["enforcement_actions"].pop()
    rows = len(state["enforcement_actions"])
    assert f"enforcement_actions: {rows} rows vs {rows - 1}" in state_differences(state, changed)

    book = _workbook(runs.spark, day)
    changed_book = copy.deepcopy(book)
    changed_book["Levels"][1][1] = _nudged(book["Levels"][1][1])
    assert workbook_differences(book, changed_book) == [
        f"Levels row 2 column 2: {book['Levels'][1][1]!r} vs {changed_book['Levels'][1][1]!r}"
    ]


@pytest.mark.slow
@WITH_PYSPARK
def test_executors_read_the_warehouse_where_the_uri_says(runs: Runs, tmp_path: Path) -> None:
    """``PASAR_SPARK_WAREHOUSE_URI``: Spark reads the segments there, not in PASAR_HOME."""
    day = runs.days[-1]
    elsewhere = tmp_path / "bucket" / "warehouse"
    shutil.copytree(runs.spark / "warehouse", elsewhere)
    settings = Settings(home=runs.spark, spark_warehouse_uri=elsewhere.as_uri())
    built = build_snapshots("seller", [day], settings, load_catalog(), force=True, engine="spark")
    assert built.files[0].computed
    assert not snapshot_differences(_snapshot(runs.duckdb, day), _snapshot(runs.spark, day))
    shutil.rmtree(elsewhere)  # PASAR_HOME/warehouse is still there: Spark must not read it
    from pyspark.errors import AnalysisException

    with pytest.raises(AnalysisException, match="PATH_NOT_FOUND"):
        build_snapshots("seller", [day], settings, load_catalog(), force=True, engine="spark")


def _differences_after(duck: pa.Table, spark: pa.Table, column: str, row: int, change: Any) -> int:
    values = spark[column].to_pylist()
    values[row] = change(values[row])
    index = spark.schema.get_field_index(column)
    field = spark.schema.field(index)
    changed = spark.set_column(index, field, pa.array(values, field.type))
    return len(snapshot_differences(duck, changed))


def _nudged(value: Any) -> Any:
    """``value`` changed just enough to count (a relative 1e-7, or by one)."""
    return value * (1 + 1e-7) if isinstance(value, float) else value + 1


# -- fast: the Spark snapshot takes the stored schema ----------------------------------------


def test_conform_casts_to_the_stored_schema_and_refuses_losses() -> None:
    stored = pa.schema(
        [
            pa.field("seller_id", pa.string(), nullable=False),
            pa.field("orders_7d", pa.int64()),
            pa.field("gmv_7d", pa.decimal128(38, 2)),
        ]
    )
    spark = pa.table(
        {
            "seller_id": ["s1", "s2"],
            "orders_7d": pa.array([3, None], pa.int64()),
            "gmv_7d": pa.array([Decimal("10.50"), None], pa.decimal128(28, 2)),
        }
    )
    conformed = conform(spark, stored)
    assert conformed.schema == stored and not conformed.schema.field("seller_id").nullable
    assert conformed.to_pylist()[0] == {
        "seller_id": "s1",
        "orders_7d": 3,
        "gmv_7d": Decimal("10.50"),
    }
    with pytest.raises(ValueError, match="differ from the stored"):
        conform(spark.select(["orders_7d", "seller_id", "gmv_7d"]), stored)
    with pytest.raises(ValueError, match="seller_id has NULL"):
        conform(spark.set_column(0, "seller_id", pa.array(["s1", None])), stored)
    fractional = spark.set_column(1, "orders_7d", pa.array([2.5, None]))
    with pytest.raises(pa.ArrowInvalid):  # a count that is not whole is not silently truncated
        conform(fractional, stored)


def test_written_snapshot_keeps_schema_and_metadata_only(tmp_path: Path) -> None:
    schema = pa.schema([pa.field("seller_id", pa.string(), nullable=False), ("n", pa.int64())])
    table = pa.table({"seller_id": ["s1"], "n": [1]}, schema=schema)
    path = tmp_path / "seller" / "as_of=2026-10-31" / "snapshot.parquet"
    write_arrow(table, path, {"pasar.source": "abc", ENGINE_KEY: "spark"})
    stored = pq.read_schema(path)
    assert stored.metadata == {b"pasar.source": b"abc", ENGINE_KEY.encode(): b"spark"}
    assert stored.remove_metadata() == schema and not stored.field("seller_id").nullable
    assert [p.name for p in path.parent.iterdir()] == ["snapshot.parquet"]  # no temporary left


# -- comparing ------------------------------------------------------------------------------


def _snapshot(home: Path, day: dt.date) -> pa.Table:
    return pq.read_table(snapshot_path(home / "snapshots", "seller", day))


def snapshot_differences(duck: pa.Table, spark: pa.Table) -> list[str]:
    """What differs between two stored snapshots: their schemas (names, order, types, which
    columns may be NULL), else one line per cell; doubles agree to a relative 1e-9."""
    if not duck.schema.equals(spark.schema, check_metadata=False):
        return ["different schemas"]
    key = duck.column_names[0]
    duck, spark = (t.sort_by(key) for t in (duck, spark))
    if not pc.all(pc.equal(duck[key], spark[key])).as_py() or duck.num_rows != spark.num_rows:
        return ["different subjects"]
    subjects = duck[key].to_pylist()
    return [
        f"{subject} {column}: duckdb {a!r} spark {b!r}"
        for column in duck.column_names
        for subject, a, b in zip(
            subjects, duck[column].to_pylist(), spark[column].to_pylist(), strict=True
        )
        if not same(a, b)
    ]


def same(a: Any, b: Any) -> bool:
    """Whether two values agree: doubles to a relative 1e-9 (NaN only with NaN), JSON objects
    and lists element by element, anything else exactly and of the same type."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=RELATIVE, abs_tol=0.0)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and bool(a == b)


def store_state(home: Path) -> State:
    """The pipeline's rows in the operational store of ``home``, without row ids or clock
    times (references to other rows as their ``dedupe_key``), in ``dedupe_key`` order."""
    db = Database(f"sqlite:///{home / 'pasar.db'}")
    try:
        with db.unit_of_work() as session:
            entries = _records(session, PointsEntry)
            actions = _records(session, EnforcementAction)
            days = _records(session, GovernanceRun)
            events = _records(session, AuditEvent)
    finally:
        db.dispose()
    entry_keys = {r["id"]: r["dedupe_key"] for r in entries}
    for entry in entries:
        entry["offsets_id"] = entry_keys.get(entry["offsets_id"])
    names = {  # audited rows by their id as text
        "points_entry": {str(i): key for i, key in entry_keys.items()},
        "enforcement_action": {str(r["id"]): r["dedupe_key"] for r in actions},
    }
    audit = Counter(
        (e["action"], e["entity_type"], names.get(e["entity_type"], {}).get(e["entity_id"]))
        for e in events
    )
    state: State = {
        "points_entries": entries,
        "enforcement_actions": actions,
        "governance_runs": days,
    }
    for rows in state.values():
        for row in rows:
            for name in VOLATILE:
                row.pop(name, None)
        rows.sort(key=lambda r: str(r["dedupe_key"]))
    state["audit_events"] = [{"event": list(k), "count": n} for k, n in sorted(audit.items())]
    return state


def _records(session: Any, model: Any) -> list[dict[str, Any]]:
    return [dict(row) for row in session.execute(select(model.__table__)).mappings()]


def state_differences(duck: State, spark: State) -> list[str]:
    """One line per table whose row count differs, else per differing value."""
    problems = []
    for name, rows in duck.items():
        others = spark[name]
        if len(rows) != len(others):
            problems.append(f"{name}: {len(rows)} rows vs {len(others)}")
            continue
        problems += [
            f"{name} {row.get('dedupe_key', i)} {column}: {row[column]!r} vs {other[column]!r}"
            for i, (row, other) in enumerate(zip(rows, others, strict=True))
            for column in row
            if not same(row[column], other[column])
        ]
    return problems


def _workbook(home: Path, day: dt.date) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, row by row."""
    book = load_workbook(home / "reports" / f"governance-{day.isoformat()}.xlsx")
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def workbook_differences(
    duck: dict[str, list[list[Any]]], spark: dict[str, list[list[Any]]]
) -> list[str]:
    """The sheets, then one line per differing cell."""
    if list(duck) != list(spark):
        return [f"sheets {list(duck)} vs {list(spark)}"]
    problems = []
    for title, rows in duck.items():
        if len(rows) != len(spark[title]):
            problems.append(f"{title}: {len(rows)} rows vs {len(spark[title])}")
            continue
        for r, (row, other) in enumerate(zip(rows, spark[title], strict=True), start=1):
            if len(row) != len(other):
                problems.append(f"{title} row {r}: {len(row)} cells vs {len(other)}")
                continue
            problems += [
                f"{title} row {r} column {c}: {a!r} vs {b!r}"
                for c, (a, b) in enumerate(zip(row, other, strict=True), start=1)
                if not same(a, b)
            ]
    return problems
