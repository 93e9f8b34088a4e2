"""Money formatting in English and Indonesian conventions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pasar.kit.money import format_compact, format_money


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (Decimal("1234567.5"), "IDR", "id", "Rp1.234.568"),
        (Decimal("1234567.5"), "IDR", "en", "IDR 1,234,568"),
        (Decimal("-59900"), "IDR", "id", "Rp-59.900"),
        (Decimal("1234.5"), "MYR", "id", "RM1.234,50"),
        (Decimal("1234.5"), "MYR", "en", "MYR 1,234.50"),
        (0, "IDR", "en", "IDR 0"),
    ],
)
def test_format_money(amount: Decimal, currency: str, locale: str, expected: str) -> None:
    assert format_money(amount, currency, locale) == expected


@pytest.mark.parametrize(
    ("amount", "locale", "expected"),
    [
        (Decimal("2500000000"), "id", "Rp2,5 M"),
        (Decimal("2500000000"), "en", "IDR 2.5B"),
        (Decimal("41000"), "id", "Rp41 rb"),
        (Decimal("3200000"), "id", "Rp3,2 jt"),
        (Decimal("999"), "en", "IDR 999"),
        (Decimal("50000000"), "id", "Rp50 jt"),  # a round figure, not Rp5E+1 jt
        (Decimal("20000000000"), "en", "IDR 20B"),
        (Decimal("100000"), "en", "IDR 100K"),
    ],
)
def test_format_compact(amount: Decimal, locale: str, expected: str) -> None:
    assert format_compact(amount, "IDR", locale) == expected


@given(st.integers(min_value=0, max_value=10**15))
def test_indonesian_grouping_round_trips(rupiah: int) -> None:
    text = format_money(rupiah, "IDR", "id")
    assert text.startswith("Rp")
    assert int(text[2:].replace(".", "")) == rupiah


@given(st.integers(min_value=1000, max_value=10**15))
def test_compact_figures_are_plain_decimals(rupiah: int) -> None:
    text = format_compact(rupiah, "IDR", "en")
    number = text.removeprefix("IDR ").rstrip("KMBT")
    assert "E" not in number
    assert float(number) > 0
