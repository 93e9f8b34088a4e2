"""Running compiled metric SQL on Spark over the warehouse's Parquet files (scale-out engine).

PySpark is optional (the ``spark`` extra): this module imports it only inside its functions, so
it can be imported, and type-checked, without it. The session always uses time zone UTC, as the
DuckDB engine does: the warehouse stores instants, and the metric SQL converts them to the
marketplace's local time itself.

Example:
    >>> spark = session()                                       # doctest: +SKIP
    >>> register(spark, Warehouse(Path(".pasar/warehouse")))    # doctest: +SKIP
    >>> select = Compiler(load_catalog(), "spark", "Asia/Jakarta").snapshot(
    ...     "seller", dt.date(2026, 10, 31))                    # doctest: +SKIP
    >>> run(spark, select).num_rows                             # doctest: +SKIP
    400
"""

from __future__ import annotations

import atexit
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pyarrow as pa
from sqlglot import exp

from pasar.kit.errors import PasarError
from pasar.warehouse.contract import CONTRACT, LINEAGE_COLUMNS
from pasar.warehouse.store import Manifest, Warehouse, stored_columns

# PySpark is typed; without it (the default environment) mypy sees these names as Any
if TYPE_CHECKING:
    from pyspark.sql import (  # type: ignore[import-not-found, unused-ignore]
        DataFrame,
        SparkSession,
    )

DEFAULT_MASTER = "local[2]"
LOCAL_SHUFFLE_PARTITIONS = 4

_SPARK_TYPES = {
    "string": "STRING",
    "timestamp": "TIMESTAMP",
    "money": "DECIMAL(18,2)",
    "int": "BIGINT",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
}
_LINEAGE_SPARK_TYPES = {
    "_batch_id": "STRING",
    "_source_file": "STRING",
    "_source_row": "BIGINT",
    "_stub": "BOOLEAN",
}
assert set(_LINEAGE_SPARK_TYPES) == {name for name, _ in LINEAGE_COLUMNS}

# the driver JVM logs errors only (Spark's default prints INFO and WARN lines to the console)
_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.submit.name = org.apache.spark.api.python.PythonGatewayServer
logger.submit.level = error
"""


def spark_type(table: str, column: str) -> str:
    """The Spark SQL type of a contract or lineage column (timestamps are instants)."""
    if column in _LINEAGE_SPARK_TYPES:
        return _LINEAGE_SPARK_TYPES[column]
    return _SPARK_TYPES[CONTRACT[table].column(column).type]


def table_schema(table: str) -> str:
    """The DDL schema of a stored table: the contract's columns, then lineage."""
    return ", ".join(f"`{c}` {spark_type(table, c)}" for c in stored_columns(table))


def require() -> None:
    """Refuse, saying what to install, when PySpark is not installed."""
    try:
        import pyspark  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
    except ImportError as exc:
        raise PasarError(
            "the spark engine needs PySpark, which is not installed: install the spark extra "
            "(`pip install 'pasar[spark]'`, or `uv sync --extra spark` in a checkout)"
        ) from exc


def session(master: str | None = None, app_name: str = "pasar") -> SparkSession:
    """A Spark session for metric SQL: SQL time zone UTC, ``TIMESTAMP`` meaning an instant.

    With no ``master``, the active session is reused when there is one, else a local one with
    two cores (``local[2]``) is started; ``master`` may be any Spark master URL (``local[4]``,
    ``spark://host:7077``). A local session runs few shuffle partitions and no web UI. When
    this function starts Spark it logs errors only, unless ``SPARK_CONF_DIR`` names the
    logging configuration to use.
    """
    from pyspark.sql import SparkSession  # type: ignore[import-not-found, unused-ignore]

    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        spark = active
    else:
        url = master or DEFAULT_MASTER
        builder = SparkSession.builder.appName(app_name).master(url)
        builder = builder.config("spark.sql.session.timeZone", "UTC")
        builder = builder.config("spark.ui.showConsoleProgress", "false")
        if url.startswith("local"):
            builder = builder.config("spark.sql.shuffle.partitions", str(LOCAL_SHUFFLE_PARTITIONS))
            builder = builder.config("spark.ui.enabled", "false")
        quiet = not _jvm_running() and not os.environ.get("SPARK_CONF_DIR")
        if quiet:
            options = f"-Dlog4j2.configurationFile={_log_config().as_uri()}"
            builder = builder.config("spark.driver.extraJavaOptions", options)
        spark = builder.getOrCreate()
        if quiet:
            spark.sparkContext.setLogLevel("ERROR")
    # what the metric SQL and the registered views rely on, whoever made the session
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set("spark.sql.timestampType", "TIMESTAMP_LTZ")
    return spark


def _jvm_running() -> bool:
    from pyspark import SparkContext  # type: ignore[import-not-found, unused-ignore]

    return SparkContext._active_spark_context is not None


def _log_config() -> Path:
    """A log4j2 configuration file that logs errors only (removed when Python exits)."""
    fd, name = tempfile.mkstemp(prefix="pasar-log4j2-", suffix=".properties")
    with os.fdopen(fd, "w") as handle:
        handle.write(_LOG4J2)
    path = Path(name)
    atexit.register(path.unlink, missing_ok=True)
    return path


def register(
    spark: SparkSession,
    warehouse: Warehouse,
    manifest: Manifest | None = None,
    root_uri: str = "",
) -> None:
    """One temporary view per warehouse table over the segments of ``manifest`` (default: the
    committed one).

    Every view has the stored schema (contract columns, then lineage), an empty table too.
    Segments are read under ``root_uri`` (e.g. ``s3a://bucket/pasar/warehouse``, the same files
    where a cluster's executors see them), by default the warehouse directory as a ``file:``
    URI: then a cluster's executors must see it at the same path (a shared filesystem).
    """
    manifest = manifest if manifest is not None else warehouse.manifest()
    root = root_uri.rstrip("/") or warehouse.root.resolve().as_uri()
    for table in CONTRACT:
        schema = table_schema(table)
        files = [f"{root}/{s.file}" for s in manifest.entry(table).segments]
        frame: DataFrame = (
            spark.read.schema(schema).parquet(*files)
            if files
            else spark.createDataFrame([], schema=schema)
        )
        frame.createOrReplaceTempView(table)


def run(spark: SparkSession, select: exp.Expression) -> pa.Table:
    """The result of ``select`` (a compiled metric query) as an Arrow table.

    Columns are named and typed as Spark computes them: counts BIGINT (int64), money DECIMAL,
    ratios DOUBLE, dates date32, instants ``timestamp[us, tz=UTC]``.
    """
    frame = spark.sql(select.sql(dialect="spark"))
    return to_arrow(frame)


def to_arrow(frame: DataFrame) -> pa.Table:
    """A DataFrame's rows as an Arrow table (``toArrow`` from Spark 4, the Arrow batches the
    pandas conversion collects before)."""
    to_arrow_method = getattr(type(frame), "toArrow", None)  # on the class: not a column
    if to_arrow_method is not None:
        table: pa.Table = to_arrow_method(frame)
        return table
    from pyspark.sql.pandas.types import (  # type: ignore[import-not-found, unused-ignore]
        to_arrow_schema,
    )

    schema = to_arrow_schema(frame.schema)
    batches = cast(Any, frame)._collect_as_arrow()  # Spark 3.5: what toPandas collects
    return pa.Table.from_batches(batches, schema=schema)
