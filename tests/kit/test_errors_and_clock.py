"""Errors name where the problem is; the clock can be pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pasar.kit.clock import frozen_at, now
from pasar.kit.errors import ConflictError, InputError, NotFoundError


def test_input_error_names_file_row_and_column() -> None:
    error = InputError("not a date: '31/02/2026'", file="orders.csv", row=7, column="created_at")
    assert str(error) == "orders.csv row 7 column created_at: not a date: '31/02/2026'"
    assert error.to_dict() == {"code": "bad_input", "message": str(error), "field": "created_at"}
    assert str(InputError("empty file", file="a.csv")) == "a.csv: empty file"


def test_errors_carry_http_status() -> None:
    assert (NotFoundError("x").status_code, ConflictError("x").status_code) == (404, 409)


def test_frozen_clock_returns_utc_and_restores() -> None:
    wib = timezone(timedelta(hours=7))
    frozen = datetime(2026, 3, 20, 0, 0, tzinfo=UTC)
    with frozen_at(datetime(2026, 3, 20, 7, 0, tzinfo=wib)):
        assert now() == frozen
    assert now() > frozen and now().tzinfo is UTC


def test_frozen_clock_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"), frozen_at(datetime(2026, 1, 1)):
        pass
