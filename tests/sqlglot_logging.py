"""SQLGlot's warnings, silenced for tests that feed it hostile or half-known SQL.

SQLGlot logs a warning for each statement it only half knows and falls back on; the tests that
use :func:`quiet_sqlglot` look at the errors Pasar raises, so those warnings are only noise.
Import the fixture into a test module (``from tests.sqlglot_logging import quiet_sqlglot as
quiet_sqlglot``) to apply it to every test there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def quiet_sqlglot() -> Iterator[None]:
    """Raise the ``sqlglot`` logger to ``ERROR`` for the test, then restore its level."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
