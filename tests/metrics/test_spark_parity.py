"""Spark computes every snapshot metric exactly as DuckDB does (the metric layer's parity test).

Each entity's full snapshot (every snapshot metric of the catalog) is compiled for both engines
and run on the generated marketplace as of two dates: the last generated day and a day in the
middle of the period (so month- and quarter-to-date windows are partial). The results must have
the same columns and subjects; counts, money, dates and text equal exactly, doubles to a
relative 1e-9, NULL only where the other engine has NULL.

Spark is optional: without PySpark these tests skip, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pytest
from sqlglot import exp

from pasar.metrics.catalog import load_catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.dialects import dialect_for
from pasar.metrics.engines import duckdb as duck_engine
from pasar.metrics.expressions import parse_expression, render
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.store import Warehouse, stored_columns
from pasar.warehouse.synth.profile import load_profile
from tests.metrics.conftest import Marketplace
from tests.spark import WITH_PYSPARK
from tests.spark import pyspark_available as pyspark_available  # the fixtures
from tests.spark import spark as spark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


pytestmark = [
    pytest.mark.slow,
    WITH_PYSPARK,  # skip before the marketplace is generated; under CI=true spark fails instead
]

ZONE = "Asia/Jakarta"
RELATIVE = 1e-9
EXACT_UNITS = ("count", "money")

_PROFILE = load_profile("small")
LAST_DAY = _PROFILE.end_date - dt.timedelta(days=1)
MID_PERIOD = _PROFILE.start_date + dt.timedelta(days=_PROFILE.days // 2 + 15)
AS_OF_DATES = (LAST_DAY, MID_PERIOD)
ENTITIES = sorted(load_catalog().entities)


@pytest.fixture(scope="module")
def spark_marketplace(spark: SparkSession, marketplace: Marketplace) -> SparkSession:
    """``spark`` with the generated marketplace's tables as views."""
    from pasar.metrics.engines import spark as spark_engine

    spark_engine.register(spark, marketplace.warehouse)
    return spark


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
@pytest.mark.parametrize("entity", ENTITIES)
def test_snapshot_parity(
    entity: str, as_of: dt.date, marketplace: Marketplace, spark_marketplace: SparkSession
) -> None:
    from pasar.metrics.engines import spark as spark_engine

    catalog = marketplace.catalog
    metrics = [m.name for m in catalog.snapshot_metrics(entity)]
    assert metrics, f"{entity} has no snapshot metrics"
    key = catalog.entity(entity).key or "marketplace"
    expected = duck_engine.run(
        marketplace.con, Compiler(catalog, "duckdb", ZONE).snapshot(entity, as_of)
    )
    actual = spark_engine.run(
        spark_marketplace, Compiler(catalog, "spark", ZONE).snapshot(entity, as_of)
    )

    assert actual.column_names == expected.column_names == [key, "as_of", *metrics]
    assert expected.num_rows > 0
    exact = {m for m in metrics if catalog.metric(m).unit in EXACT_UNITS}
    problems = _differences(expected, actual, key, exact)
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/New_York"])
def test_helpers_parity(
    zone: str, marketplace: Marketplace, spark_marketplace: SparkSession
) -> None:
    """The portable time helpers agree on every order, in a fixed-offset zone and a DST one."""
    from pasar.metrics.engines import spark as spark_engine

    columns = CONTRACT["orders"].column_names
    helpers = {
        "weekday": "iso_weekday(created_at)",
        "hour": "local_hour(created_at)",
        "day": "local_date(created_at)",
        "days_to_delivery": "days_between(created_at, delivered_at)",
        "hours_to_ship": "hours_between(created_at, shipped_at)",
        "minutes_to_pay": "minutes_between(created_at, paid_at)",
    }

    def select(dialect: str) -> exp.Select:
        helper = dialect_for(dialect, zone)
        values = [render(parse_expression(text, columns), helper) for text in helpers.values()]
        aliased = [value.as_(name) for value, name in zip(values, helpers, strict=True)]
        return exp.select("order_id", *aliased).from_("orders")

    expected = duck_engine.run(marketplace.con, select("duckdb"))
    actual = spark_engine.run(spark_marketplace, select("spark"))
    assert actual.column_names == expected.column_names
    assert expected.num_rows > 0
    problems = _differences(expected, actual, "order_id", exact=set())
    assert not problems, f"{len(problems)} differences, first ones:\n" + "\n".join(problems[:20])


def test_views_have_the_stored_schema_when_empty(spark: SparkSession, tmp_path: Path) -> None:
    """An empty warehouse still has every table, typed, and snapshots run on it."""
    from pasar.metrics.engines import spark as spark_engine

    isolated = spark.newSession()  # its own temporary views: the marketplace's stay
    isolated.conf.set("spark.sql.session.timeZone", "UTC")
    warehouse = Warehouse(tmp_path / "warehouse")
    spark_engine.register(isolated, warehouse)
    spark_types = {
        "string": "string",
        "timestamp": "timestamp",
        "money": "decimal(18,2)",
        "int": "bigint",
        "float": "double",
        "bool": "boolean",
    }
    for name, table in CONTRACT.items():
        view = isolated.table(name)
        assert view.columns == list(stored_columns(name))
        types = dict(view.dtypes)
        for column in table.columns:
            assert types[column.name] == spark_types[column.type], f"{name}.{column.name}"
        assert view.count() == 0
    catalog = load_catalog()
    con = duck_engine.connect(warehouse)
    try:
        for entity in ("seller", "marketplace"):
            expected = duck_engine.run(
                con, Compiler(catalog, "duckdb", ZONE).snapshot(entity, LAST_DAY)
            )
            actual = spark_engine.run(
                isolated, Compiler(catalog, "spark", ZONE).snapshot(entity, LAST_DAY)
            )
            assert actual.column_names == expected.column_names
            assert actual.num_rows == expected.num_rows == (entity == "marketplace")
            key = catalog.entity(entity).key or "marketplace"
            exact = {m.name for m in catalog.snapshot_metrics(entity) if m.unit in EXACT_UNITS}
            assert not _differences(expected, actual, key, exact)
    finally:
        con.close()


def test_session_is_utc_and_reused(spark: SparkSession) -> None:
    """The active session is reused, its time zone set back to UTC."""
    from pyspark.sql import SparkSession

    from pasar.metrics.engines import spark as spark_engine

    active = SparkSession.getActiveSession()
    assert active is not None
    active.conf.set("spark.sql.session.timeZone", "Asia/Jakarta")
    try:
        again = spark_engine.session()
        assert again.sparkContext is spark.sparkContext
        assert again._jsparkSession.equals(active._jsparkSession)
        assert active.conf.get("spark.sql.session.timeZone") == "UTC"
        assert again.conf.get("spark.sql.timestampType") == "TIMESTAMP_LTZ"
    finally:
        active.conf.set("spark.sql.session.timeZone", "UTC")


# -- comparing ------------------------------------------------------------------------------


def _differences(duck: pa.Table, spark: pa.Table, key: str, exact: set[str]) -> list[str]:
    """What differs between two results of one query, one line per cell (subjects first)."""
    duck_rows, spark_rows = _by_key(duck, key), _by_key(spark, key)
    if duck_rows.keys() != spark_rows.keys():
        only_duck = sorted(duck_rows.keys() - spark_rows.keys(), key=str)[:5]
        only_spark = sorted(spark_rows.keys() - duck_rows.keys(), key=str)[:5]
        return [f"different subjects: only duckdb {only_duck}, only spark {only_spark}"]
    return [
        f"{subject} {column}: duckdb {duck_rows[subject][column]!r} "
        f"spark {spark_rows[subject][column]!r}"
        for subject in sorted(duck_rows, key=str)
        for column in duck.column_names
        if not _same(duck_rows[subject][column], spark_rows[subject][column], column in exact)
    ]


def _by_key(table: pa.Table, key: str) -> dict[Any, dict[str, Any]]:
    rows = {row[key]: row for row in table.to_pylist()}
    assert len(rows) == table.num_rows, f"duplicate {key} values"
    return rows


def _same(duck: Any, spark: Any, exact: bool) -> bool:
    """Whether two values of a result cell agree (``exact``: a count or an amount of money)."""
    if duck is None or spark is None:
        return duck is None and spark is None
    if isinstance(duck, float) or isinstance(spark, float):
        if exact and not (isinstance(duck, float) and isinstance(spark, float)):
            return False  # a count or amount must not become a double on one engine only
        a, b = float(duck), float(spark)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b if exact else math.isclose(a, b, rel_tol=RELATIVE, abs_tol=0.0)
    if isinstance(duck, int | Decimal) and isinstance(spark, int | Decimal):
        return Decimal(duck) == Decimal(spark)
    return bool(duck == spark) and type(duck) is type(spark)
