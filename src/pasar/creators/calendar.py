"""The Indonesian sale calendar that moves creator GMV: weekdays, payday, the double-date sales
(1.1 … 11.11, 12.12 Harbolnas), the year-end sale, Ramadan, the pre-Lebaran rush and the
Lebaran holiday.

The dates are the ones the synthetic marketplace uses (``pasar/catalog/synth/default.yml``,
read by ``pasar.warehouse.synth.calendar``): payday on the 25th–28th, the pre-Lebaran rush from
12 to 4 days before Idul Fitri, the Lebaran holiday from the day before Idul Fitri to 5 days
after, the year-end sale on 24–31 December. The tests check that every event of the default
profile falls on the days this module gives it. Ramadan moves about 11 days earlier each year:
:data:`RAMADAN` lists its first day and Idul Fitri per year (2027 on are astronomical
estimates until the government's sidang isbat confirms them). Days after the 28th up to the 1st
get their own effect ("month end"): salaries paid late in the month are still being spent.

Example:
    >>> import datetime as dt
    >>> effects_on(dt.date(2026, 11, 11))
    ('weekday:Wed', 'double:11.11')
    >>> effects_on(dt.date(2026, 3, 10))
    ('weekday:Tue', 'ramadan', 'pre_lebaran')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PAYDAY_DAYS = (25, 26, 27, 28)
MONTH_END_DAYS = (29, 30, 31, 1)
YEAR_END = ((12, 24), (12, 31))
PRE_LEBARAN = (-12, -4)  # days relative to Idul Fitri, both inclusive
LEBARAN = (-1, 5)


@dataclass(frozen=True)
class RamadanYear:
    """Ramadan of one Gregorian year: its first day and Idul Fitri (1 Syawal)."""

    first_day: dt.date
    idul_fitri: dt.date
    estimated: bool  # True until the government confirms the dates


# 2026 follows the synthetic marketplace (Muhammadiyah's hisab: 1 Ramadan 18 Feb, 1 Syawal
# 20 Mar); the government's sidang isbat set 19 Feb and 21 Mar.
RAMADAN: dict[int, RamadanYear] = {
    2023: RamadanYear(dt.date(2023, 3, 23), dt.date(2023, 4, 22), estimated=False),
    2024: RamadanYear(dt.date(2024, 3, 12), dt.date(2024, 4, 10), estimated=False),
    2025: RamadanYear(dt.date(2025, 3, 1), dt.date(2025, 3, 31), estimated=False),
    2026: RamadanYear(dt.date(2026, 2, 18), dt.date(2026, 3, 20), estimated=False),
    2027: RamadanYear(dt.date(2027, 2, 8), dt.date(2027, 3, 10), estimated=True),
    2028: RamadanYear(dt.date(2028, 1, 28), dt.date(2028, 2, 26), estimated=True),
    2029: RamadanYear(dt.date(2029, 1, 16), dt.date(2029, 2, 14), estimated=True),
    2030: RamadanYear(dt.date(2030, 1, 6), dt.date(2030, 2, 5), estimated=True),
}

# effect key → how it reads on screen
LABELS = {
    **{f"weekday:{d}": d for d in WEEKDAYS},
    "payday": "Payday (25th–28th)",
    "month_end": "Month end (29th–1st)",
    **{f"double:{m}.{m}": f"{m}.{m} sale" for m in range(1, 13)},
    "year_end": "Year-end sale (24–31 Dec)",
    "ramadan": "Ramadan",
    "pre_lebaran": "Pre-Lebaran rush",
    "lebaran": "Lebaran holiday",
}
EFFECTS = tuple(LABELS)


def label(effect: str) -> str:
    """How an effect key reads: ``double:11.11`` → ``11.11 sale``."""
    return LABELS.get(effect, effect)


def ramadan_of(year: int) -> RamadanYear | None:
    """Ramadan of ``year``, or ``None`` when its dates are not known."""
    return RAMADAN.get(year)


def effects_on(day: dt.date) -> tuple[str, ...]:
    """The calendar effects in force on ``day`` (always one weekday)."""
    found = [f"weekday:{WEEKDAYS[day.weekday()]}"]
    if day.day in PAYDAY_DAYS:
        found.append("payday")
    if day.day in MONTH_END_DAYS:
        found.append("month_end")
    if day.day == day.month:
        found.append(f"double:{day.month}.{day.month}")
    if YEAR_END[0] <= (day.month, day.day) <= YEAR_END[1]:
        found.append("year_end")
    for year in (day.year, day.year + 1):  # Lebaran early in January counts for that year
        ramadan = RAMADAN.get(year)
        if ramadan is None:
            continue
        offset = (day - ramadan.idul_fitri).days
        if ramadan.first_day <= day < ramadan.idul_fitri:
            found.append("ramadan")
        if PRE_LEBARAN[0] <= offset <= PRE_LEBARAN[1]:
            found.append("pre_lebaran")
        if LEBARAN[0] <= offset <= LEBARAN[1]:
            found.append("lebaran")
    return tuple(found)


def unknown_years(start: dt.date, end: dt.date) -> list[int]:
    """Years between ``start`` and ``end`` (inclusive) whose Ramadan dates are not known."""
    return [y for y in range(start.year, end.year + 1) if y not in RAMADAN]


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Every day from ``start`` up to, not including, ``end``."""
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]
