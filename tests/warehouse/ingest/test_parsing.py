"""Reading values as contract types: amounts in both styles, local times to UTC, enums, yes/no."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pasar.kit.sqltext import literal
from pasar.warehouse.contract import Column
from pasar.warehouse.ingest.parsing import (
    ParseOptions,
    check_time_format,
    error_reason,
    text_value,
    typed_value,
)


def read(
    column: Column, raw: str | None, opts: ParseOptions | None = None
) -> tuple[object, object]:
    """(typed value, error reason) of one text value, through the same SQL ingestion runs."""
    opts = opts or ParseOptions()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    source = "NULL::VARCHAR" if raw is None else f"{literal(raw)}::VARCHAR"
    text = text_value("raw", "text", column)
    value = typed_value(column, "t", "text", opts)
    error = error_reason(column, "v", "t", "text")
    row = con.execute(
        f"SELECT v, {error} FROM (SELECT t, {value} AS v FROM "
        f"(SELECT {text} AS t FROM (SELECT {source} AS raw)))"
    ).fetchall()[0]
    con.close()
    return row[0], row[1]


MONEY = Column("gmv", "money", minimum=0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rp 1.234.567,50", "1234567.50"),
        ("Rp1.234.567", "1234567.00"),
        ("IDR 150000", "150000.00"),
        ("1,234,567.50", "1234567.50"),
        ("1.234.567,50", "1234567.50"),
        ("199.9", "199.90"),
        ("12,5", "12.50"),
        ("RM 12.50", "12.50"),
        ("1.234", "1234.00"),  # ambiguous: Indonesian thousands by default
        ("0", "0.00"),
    ],
)
def test_amounts_in_indonesian_and_english_styles(text: str, expected: str) -> None:
    value, error = read(MONEY, text)
    assert error is None
    assert value == Decimal(expected)


def test_ambiguous_amounts_follow_the_preferred_style() -> None:
    value, _ = read(MONEY, "1.234", ParseOptions(prefer="en"))
    assert value == Decimal("1.23")  # 1.234 rounds to cents when read the English way
    value, _ = read(MONEY, "1,234", ParseOptions(prefer="en"))
    assert value == Decimal("1234")


@pytest.mark.parametrize("text", ["abc", "1.2.3,4,5", "Rp", "12 ribu", "1,23,4.5.6"])
def test_garbage_amounts_are_refused_with_an_example_of_what_works(text: str) -> None:
    value, error = read(MONEY, text)
    assert value is None
    assert "Rp 1.234.567,50" in str(error)


def test_negative_amount_is_below_the_minimum() -> None:
    assert read(MONEY, "-5")[1] == "below the minimum 0"


@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99))
@settings(max_examples=40, deadline=None)
def test_any_amount_round_trips_in_both_styles(units: int, cents: int) -> None:
    expected = Decimal(units) + Decimal(cents) / 100
    english = f"{units:,}.{cents:02d}"
    indonesian = "Rp " + f"{units:,}".replace(",", ".") + f",{cents:02d}"
    assert read(MONEY, english)[0] == expected
    assert read(MONEY, indonesian)[0] == expected


CREATED = Column("created_at", "timestamp")


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-10-31 14:05:00", datetime(2026, 10, 31, 7, 5, tzinfo=UTC)),
        ("2026-10-31T14:05:00", datetime(2026, 10, 31, 7, 5, tzinfo=UTC)),
        ("31/10/2026 14:05", datetime(2026, 10, 31, 7, 5, tzinfo=UTC)),
        ("31/10/2026 14:05:30", datetime(2026, 10, 31, 7, 5, 30, tzinfo=UTC)),
        ("31-10-2026 14:05", datetime(2026, 10, 31, 7, 5, tzinfo=UTC)),
        ("2026-10-31", datetime(2026, 10, 30, 17, 0, tzinfo=UTC)),
        ("2026-10-31 14:05:00+08:00", datetime(2026, 10, 31, 6, 5, tzinfo=UTC)),
        ("2026-10-31T07:05:00Z", datetime(2026, 10, 31, 7, 5, tzinfo=UTC)),
    ],
)
def test_times_without_offset_are_wib_and_stored_in_utc(text: str, utc: datetime) -> None:
    value, error = read(CREATED, text)
    assert error is None
    assert value == utc


def test_source_time_zone_is_configurable() -> None:
    value, _ = read(CREATED, "2026-10-31 14:05:00", ParseOptions(timezone="Asia/Makassar"))
    assert value == datetime(2026, 10, 31, 6, 5, tzinfo=UTC)  # WITA is UTC+8


@settings(max_examples=60, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2099, 12, 30)),
    zone=st.sampled_from(
        ["Asia/Jakarta", "Asia/Jayapura", "Europe/Amsterdam", "America/Sao_Paulo"]
    ),
)
def test_local_times_convert_like_zoneinfo_in_fixed_and_daylight_saving_zones(
    moment: datetime, zone: str
) -> None:
    """Fixed-offset zones convert by subtraction, others by a zone lookup: both agree with
    Python's zoneinfo (away from the ambiguous hour when clocks go back)."""
    wall = moment.replace(microsecond=0)
    local = wall.replace(tzinfo=ZoneInfo(zone))
    assume(local.utcoffset() == local.replace(fold=1).utcoffset())  # not in a DST overlap
    assume(local.astimezone(UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None) == wall)  # gap
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    value, error = read(CREATED, text, ParseOptions(timezone=zone))
    assert error is None
    assert value == local.astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2023-02-30 10:00:00", "not a date and time"),
        ("yesterday", "not a date and time"),
        ("1899-01-01 00:00:00", "outside 1990–2100"),
        ("", "required value is empty"),
    ],
)
def test_bad_times_are_refused(text: str, reason: str) -> None:
    assert str(read(CREATED, text)[1]).startswith(reason)


def test_us_formats_can_be_given() -> None:
    opts = ParseOptions(time_formats=("%m/%d/%Y %I:%M:%S %p",))
    value, _ = read(CREATED, "10/31/2026 02:05:00 PM", opts)
    assert value == datetime(2026, 10, 31, 7, 5, tzinfo=UTC)


def test_unsupported_time_format_directive_is_refused() -> None:
    with pytest.raises(ValueError, match="%Q"):
        check_time_format("%Y-%Q")


def test_enums_are_normalised_and_checked() -> None:
    status = Column("status", "string", enum=("in_transit", "delivered"))
    assert read(status, "In Transit") == ("in_transit", None)  # readers have trimmed blanks
    assert read(status, "in-transit") == ("in_transit", None)
    assert read(status, "lost")[1] == "not one of: in_transit, delivered"


@pytest.mark.parametrize(
    ("text", "value"), [("ya", True), ("Tidak", False), ("1", True), ("no", False)]
)
def test_yes_no_in_english_and_indonesian(text: str, value: bool) -> None:
    assert read(Column("is_mall", "bool"), text) == (value, None)


def test_defaults_fill_empty_values() -> None:
    assert read(Column("is_mall", "bool", default="false"), None) == (False, None)


def test_whole_numbers_accept_spreadsheet_floats_only_when_whole() -> None:
    quantity = Column("quantity", "int", minimum=1)
    assert read(quantity, "51.0") == (51, None)
    assert read(quantity, "2.5")[1] == "not a whole number"
    assert read(quantity, "0")[1] == "below the minimum 1"
