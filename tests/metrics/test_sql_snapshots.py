"""Snapshot tests of the SQL the compiler writes, per dialect.

For a handful of metrics (a ratio with a minimum volume, a filter over a joined column, a median,
a distinct count of a helper, a derived metric, a cumulative metric reading ``as_of_time``, a
percentile), ``Compiler(catalog, dialect, "Asia/Jakarta").snapshot(entity, 2026-10-01, [metric])``
written with ``.sql(dialect, pretty=True)`` must equal the file
``tests/metrics/sql_snapshots/<metric>.<dialect>.sql``. A change to the compiler, the dialects or
the shipped catalog that changes the SQL shows up here as a diff to review.

Updating the snapshots after an intended change::

    PASAR_UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/metrics/test_sql_snapshots.py
    git diff tests/metrics/sql_snapshots/   # review every change before committing it

With ``PASAR_UPDATE_SNAPSHOTS=1`` the comparison tests rewrite the files instead of comparing
(and pass). The DuckDB files are also executed on the generated marketplace
(``marketplace`` fixture of ``conftest.py``), and so is a full snapshot of every entity.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import sqlglot

from pasar.metrics.catalog import load_catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.dialects import DIALECTS
from pasar.metrics.spec import ENTITY_NAMES
from tests.metrics.conftest import Marketplace

SNAPSHOTS = Path(__file__).parent / "sql_snapshots"
UPDATE = os.environ.get("PASAR_UPDATE_SNAPSHOTS") == "1"
ZONE = "Asia/Jakarta"
AS_OF = dt.date(2026, 10, 1)

# metric → the entity its snapshot is compiled for
METRICS = {
    "late_dispatch_rate_7d": "seller",
    "order_defect_rate_60d": "seller",
    "chat_first_response_minutes_p50_30d": "seller",
    "live_days_30d": "merchant",
    "creator_gpm_30d": "creator",
    "backlog": "center",
    "first_response_hours_p90_7d": "center",
}
CASES = [(m, d) for m in METRICS for d in DIALECTS]


def snapshot_path(metric: str, dialect: str) -> Path:
    return SNAPSHOTS / f"{metric}.{dialect}.sql"


def compiled(metric: str, dialect: str) -> str:
    catalog = load_catalog()
    select = Compiler(catalog, dialect, ZONE).snapshot(METRICS[metric], AS_OF, [metric])
    return select.sql(dialect, pretty=True) + "\n"


@pytest.mark.parametrize(("metric", "dialect"), CASES)
def test_sql_matches_snapshot(metric: str, dialect: str) -> None:
    path = snapshot_path(metric, dialect)
    sql = compiled(metric, dialect)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(sql, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}: run with PASAR_UPDATE_SNAPSHOTS=1 to write it"
    expected = path.read_text(encoding="utf-8")
    assert sql == expected, (
        f"{metric} on {dialect} no longer compiles to {path.name}; if the change is intended, "
        "rerun with PASAR_UPDATE_SNAPSHOTS=1 and review the diff"
    )


def test_every_snapshot_file_belongs_to_a_case() -> None:
    """No stale files: each snapshot on disk is one the tests compare."""
    expected = {snapshot_path(m, d).name for m, d in CASES}
    assert {p.name for p in SNAPSHOTS.glob("*.sql")} == expected


def test_compilation_is_deterministic() -> None:
    for metric, dialect in CASES:
        assert compiled(metric, dialect) == compiled(metric, dialect)


@pytest.mark.parametrize(("metric", "dialect"), CASES)
def test_snapshot_sql_reads_back_in_its_dialect(metric: str, dialect: str) -> None:
    """The files are one SELECT each, written for their own engine."""
    text = snapshot_path(metric, dialect).read_text(encoding="utf-8")
    statements = sqlglot.parse(text, read=dialect)
    assert len(statements) == 1
    assert isinstance(statements[0], sqlglot.exp.Select)
    assert "2026-10-01" in text  # the as-of date
    assert "2026-10-01 17:00:00" in text  # the end of the local day in UTC


def test_spark_and_duckdb_differ_where_the_engines_do() -> None:
    duck = snapshot_path("first_response_hours_p90_7d", "duckdb").read_text()
    spark = snapshot_path("first_response_hours_p90_7d", "spark").read_text()
    assert "QUANTILE_CONT(" in duck and "QUANTILE_CONT(" not in spark
    assert "PERCENTILE(" in spark
    assert "EPOCH_US(" in duck and "UNIX_MICROS(" in spark
    live_duck = snapshot_path("live_days_30d", "duckdb").read_text()
    live_spark = snapshot_path("live_days_30d", "spark").read_text()
    assert "MAKE_TIMESTAMP(" in live_duck
    assert "FROM_UTC_TIMESTAMP(" in live_spark and "'Asia/Jakarta'" in live_spark


# -- the DuckDB SQL runs -----------------------------------------------------------------------


@pytest.mark.parametrize("metric", list(METRICS))
def test_duckdb_snapshot_file_executes(marketplace: Marketplace, metric: str) -> None:
    entity = marketplace.catalog.entity(METRICS[metric])
    text = snapshot_path(metric, "duckdb").read_text(encoding="utf-8")
    result = marketplace.con.sql(text)
    assert result.columns == [entity.key, "as_of", metric]
    rows = result.fetchall()
    assert rows, f"{metric}: no rows"
    assert {row[1] for row in rows} == {AS_OF}
    keys = [row[0] for row in rows]
    assert None not in keys
    assert len(keys) == len(set(keys)), f"{metric}: a subject appears twice"
    assert keys == sorted(keys)
    assert any(row[2] is not None for row in rows), f"{metric}: every value is NULL"


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_full_duckdb_snapshot_executes_for_every_entity(
    marketplace: Marketplace, entity: str
) -> None:
    catalog = marketplace.catalog
    spec = catalog.entity(entity)
    names = [m.name for m in catalog.snapshot_metrics(entity)]
    select = Compiler(catalog, "duckdb", ZONE).snapshot(entity, AS_OF)
    result = marketplace.con.sql(select.sql("duckdb", pretty=True))
    key = spec.key or "marketplace"
    assert result.columns == [key, "as_of", *names]
    rows = result.fetchall()
    keys = [row[0] for row in rows]
    assert len(keys) == len(set(keys))
    if spec.table is not None:  # every subject of the entity's table, those without rows too
        subjects = marketplace.con.sql(
            f"SELECT count(DISTINCT {spec.key}) FROM {spec.table}"
        ).fetchall()[0][0]
        assert len(rows) == subjects
    elif spec.key is None:
        assert keys == ["all"]
    else:
        assert rows
    for index, name in enumerate(names, start=2):
        assert any(row[index] is not None for row in rows), f"{entity}.{name}: all NULL"
