"""Money formatting for the marketplace currency and the user's locale.

Example:
    >>> format_money(Decimal("1234567.5"), "IDR", "id")
    'Rp1.234.568'
    >>> format_money(Decimal("1234567.5"), "IDR", "en")
    'IDR 1,234,568'
    >>> format_compact(Decimal("2500000000"), "IDR", "id")
    'Rp2,5 M'
    >>> format_compact(50_000_000), format_compact(20_000_000_000, "IDR", "id")
    ('IDR 50M', 'Rp20 M')
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

# Currencies shown without minor units (ISO 4217 exponent 0 in practice).
_NO_MINOR_UNITS = {"IDR", "VND", "JPY", "KRW"}
_SYMBOLS = {"IDR": "Rp", "MYR": "RM", "SGD": "S$", "THB": "฿", "PHP": "₱", "VND": "₫", "USD": "$"}
# Indonesian short scales: ribu (thousand), juta (million), miliar (billion), triliun.
_COMPACT = {
    "id": (
        (Decimal(10) ** 12, "T"),
        (Decimal(10) ** 9, "M"),
        (Decimal(10) ** 6, "jt"),
        (Decimal(10) ** 3, "rb"),
    ),
    "en": (
        (Decimal(10) ** 12, "T"),
        (Decimal(10) ** 9, "B"),
        (Decimal(10) ** 6, "M"),
        (Decimal(10) ** 3, "K"),
    ),
}


def _group(number: Decimal, decimals: int, thousands: str, point: str) -> str:
    text = f"{abs(number):,.{decimals}f}"
    text = text.replace(",", "\0").replace(".", point).replace("\0", thousands)
    return f"-{text}" if number < 0 else text


def format_money(amount: Decimal | int | float, currency: str = "IDR", locale: str = "en") -> str:
    """Format an amount with grouping; IDR has no minor units shown."""
    value = Decimal(str(amount))
    decimals = 0 if currency in _NO_MINOR_UNITS else 2
    value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if locale == "id":
        return f"{_SYMBOLS.get(currency, currency + ' ')}{_group(value, decimals, '.', ',')}"
    return f"{currency} {_group(value, decimals, ',', '.')}"


def format_compact(amount: Decimal | int | float, currency: str = "IDR", locale: str = "en") -> str:
    """Short form for dashboards: ``Rp2,5 M`` (miliar) in Indonesian, ``IDR 2.5B`` in English."""
    value = Decimal(str(amount))
    for size, label in _COMPACT["id" if locale == "id" else "en"]:
        if abs(value) >= size:
            rounded = (value / size).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
            short = f"{rounded.normalize():f}"  # 50.0 reads 50, never 5E+1
            if locale == "id":
                symbol = _SYMBOLS.get(currency, currency + " ")
                return f"{symbol}{short.replace('.', ',')} {label}"
            return f"{currency} {short}{label}"
    return format_money(value, currency, locale)
