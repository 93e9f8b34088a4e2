"""Spark is optional: what the Spark tests share to skip without PySpark, or fail under CI.

Without PySpark (the ``spark`` extra) the Spark tests skip, before any costly fixture is built,
by the :data:`WITH_PYSPARK` mark; under ``CI=true``, where they must run, the mark lets them
through and the :func:`pyspark_available` fixture fails them instead. Import the fixtures into
a test module (``from tests.spark import spark as spark``) to use them there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def _pyspark_missing() -> str | None:
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        return f"PySpark is not installed (the spark extra): {exc}"
    return None


PYSPARK_MISSING = _pyspark_missing()
REQUIRED = os.environ.get("CI") == "true"  # CI runs the Spark tests: no PySpark is a failure
# skip before the costly fixtures are built; under CI=true pyspark_available fails instead
WITH_PYSPARK = pytest.mark.skipif(
    PYSPARK_MISSING is not None and not REQUIRED, reason=str(PYSPARK_MISSING)
)


@pytest.fixture(scope="module")
def pyspark_available(request: pytest.FixtureRequest) -> None:
    """Skip the test without PySpark, or fail it under ``CI=true``."""
    if PYSPARK_MISSING is not None:
        if REQUIRED:
            pytest.fail(
                f"CI=true requires PySpark for {request.module.__name__}: {PYSPARK_MISSING}"
            )
        pytest.skip(PYSPARK_MISSING)


@pytest.fixture(scope="module")
def spark(pyspark_available: None) -> Iterator[SparkSession]:
    """A local Spark session, stopped after the module (see :func:`pyspark_available`)."""
    from pasar.metrics.engines import spark as spark_engine

    session = spark_engine.session()
    yield session
    session.stop()
