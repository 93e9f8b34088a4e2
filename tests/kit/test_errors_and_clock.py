"""Errors name where the problem is; the clock can be pinned."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from pasar.kit.clock import fixed_offset, frozen_at, now
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


def test_fixed_offset_only_for_zones_that_never_change_offset() -> None:
    assert fixed_offset("Asia/Jakarta") == timedelta(hours=7)  # WIB
    assert fixed_offset("Asia/Makassar") == timedelta(hours=8)  # WITA
    assert fixed_offset("Asia/Jayapura") == timedelta(hours=9)  # WIT
    assert fixed_offset("Europe/Amsterdam") is None  # daylight saving
    assert fixed_offset("Asia/Singapore", 1970, 2000) is None  # moved from +07:30 in 1982
    assert fixed_offset("Asia/Singapore", 1990, 2100) == timedelta(hours=8)
    with pytest.raises(ValueError, match="unknown time zone"):
        fixed_offset("Mars/Olympus")
