"""How values read on screen: IDR money (``Rp 1.234.567``), grouped numbers, rates, dates and
times in the marketplace's zone (Asia/Jakarta), in English or Indonesian.

Example:
    >>> show(1234567, "money", "en"), show(0.0712, "percent", "id"), show(12500, "int", "id")
    ('Rp 1.234.567', '7,1%', '12.500')
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from pasar.kit.money import format_money

JAKARTA = ZoneInfo("Asia/Jakarta")
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}
KINDS = ("text", "int", "number", "money", "percent", "date", "datetime", "badge")


def _grouped(value: float, decimals: int, lang: str) -> str:
    text = f"{value:,.{decimals}f}"
    if lang == "id":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def local_time(moment: dt.datetime, zone: ZoneInfo = JAKARTA) -> str:
    """A stored UTC moment as the marketplace reads it: ``2026-12-01 17:35 WIB``."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    here = aware.astimezone(zone)
    return f"{here:%Y-%m-%d %H:%M} {ZONE_NAMES.get(str(zone), here.tzname() or '')}".rstrip()


def show(value: Any, kind: str = "text", lang: str = "en", currency: str = "IDR") -> str:
    """``value`` as text for a cell of ``kind`` (one of :data:`KINDS`); empty values read "—"."""
    if value is None or value == "":
        return "—"
    if kind == "money":
        return format_money(Decimal(str(value)), currency, "id").replace("Rp", "Rp ", 1)
    if kind == "int":
        return _grouped(float(value), 0, lang)
    if kind == "number":
        number = float(value)
        return _grouped(number, 0 if number.is_integer() else 2, lang)
    if kind == "percent":
        return _grouped(float(value) * 100, 1, lang) + "%"
    if kind == "datetime" and isinstance(value, dt.datetime):
        return local_time(value)
    if kind == "date" and isinstance(value, dt.datetime):
        return local_time(value)[:10]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
