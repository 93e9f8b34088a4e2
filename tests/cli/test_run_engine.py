"""``pasar run --engine``: an unknown engine, Spark without PySpark and a Spark that does not
start are refused with one line saying what to do, before the pipeline changes anything.
(That the Spark engine gives the DuckDB results: tests/governance/test_pipeline_spark.py.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pasar.config import get_settings
from pasar.metrics.engines import spark as spark_engine
from tests.cli.test_metrics_cli import run
from tests.cli.test_policy_cli import warehouse  # noqa: F401 (fixture)

DAY = "2026-10-06"


def test_an_unknown_engine_is_refused(pasar_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "run", "--as-of", DAY, "--engine", "flink")
    assert code == 2
    assert err.strip() == "error: unknown engine 'flink': use duckdb or spark"
    assert not pasar_home.exists()  # refused before the store was even created


def test_spark_without_pyspark_says_what_to_install(
    pasar_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # `import pyspark` fails as if absent
    code, _, err = run(capsys, "run", "--as-of", DAY, "--engine", "spark")
    assert code == 2
    message = " ".join(err.split())
    assert "the spark engine needs PySpark, which is not installed" in message
    assert "pasar[spark]" in message and "uv sync --extra spark" in message
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2  # one (wrapped) line
    assert not pasar_home.exists()


def test_a_spark_that_does_not_start_names_the_master_setting(
    warehouse: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(master: str | None = None, app_name: str = "pasar") -> None:
        assert master == "spark://nowhere:7077"  # the setting reaches the session
        raise RuntimeError(
            "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number."
            "\n\tat org.apache.spark.deploy.SparkSubmit.error(SparkSubmit.scala:1045)"
        )

    monkeypatch.setattr(spark_engine, "require", lambda: None)  # PySpark is optional here
    monkeypatch.setattr(spark_engine, "session", refuse)
    monkeypatch.setenv("PASAR_SPARK_MASTER", "spark://nowhere:7077")
    get_settings.cache_clear()  # the pasar_home fixture clears it again afterwards
    code, _, err = run(capsys, "run", "--as-of", DAY, "--engine", "spark", "--no-report")
    assert code == 2
    assert " ".join(err.split()) == (
        "error: Spark did not start with master spark://nowhere:7077 (PASAR_SPARK_MASTER): "
        "[JAVA_GATEWAY_EXITED] Java gateway process exited before sending its port number."
    )
    snapshots = warehouse / "snapshots" / "seller"
    assert not snapshots.exists() or not any(snapshots.rglob("*.parquet"))
