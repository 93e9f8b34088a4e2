"""The sale calendar: known dates, and every event of the synthetic marketplace's default
profile (what the generator multiplies demand by) falls on exactly the days this calendar
gives it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from pasar.creators.calendar import (
    MONTH_END_DAYS,
    PAYDAY_DAYS,
    RAMADAN,
    WEEKDAYS,
    days,
    effects_on,
    unknown_years,
)
from pasar.warehouse.synth.profile import load_profile

# the default profile's event names → this calendar's effect keys
PROFILE_EFFECT = {
    "11.11": "double:11.11",
    "12.12 Harbolnas": "double:12.12",
    "Year-end sale": "year_end",
    "Ramadan": "ramadan",
    "Pre-Lebaran rush": "pre_lebaran",
    "Lebaran holiday": "lebaran",
    **{f"{m}.{m}": f"double:{m}.{m}" for m in range(1, 11)},
}


def test_every_event_of_the_generator_falls_on_the_same_days() -> None:
    profile = load_profile("default")
    season = profile.seasonality
    assert {e.name for e in season.events} == set(PROFILE_EFFECT)
    assert tuple(season.payday_days) == PAYDAY_DAYS
    checked = 0
    for day in days(profile.start_date, profile.end_date):
        expected = {PROFILE_EFFECT[e.name] for e in season.events if e.start <= day <= e.end}
        expected |= {"payday"} if day.day in season.payday_days else set()
        ours = set(effects_on(day)) - {f"weekday:{w}" for w in WEEKDAYS} - {"month_end"}
        assert ours == expected, day
        checked += 1
    assert checked == 365


@pytest.mark.parametrize(
    ("day", "effects"),
    [
        (dt.date(2026, 11, 11), ("weekday:Wed", "double:11.11")),
        (dt.date(2025, 12, 12), ("weekday:Fri", "double:12.12")),
        (dt.date(2026, 12, 26), ("weekday:Sat", "payday", "year_end")),
        (dt.date(2027, 1, 1), ("weekday:Fri", "month_end", "double:1.1")),
        (dt.date(2026, 3, 20), ("weekday:Fri", "lebaran")),  # Idul Fitri (Muhammadiyah)
        (dt.date(2026, 3, 19), ("weekday:Thu", "ramadan", "lebaran")),
        (dt.date(2025, 3, 31), ("weekday:Mon", "month_end", "lebaran")),  # Idul Fitri 1446 H
        (dt.date(2025, 3, 1), ("weekday:Sat", "month_end", "ramadan")),  # 1 Ramadan 1446 H
        (dt.date(2024, 4, 10), ("weekday:Wed", "lebaran")),  # Idul Fitri 1445 H
        (dt.date(2027, 3, 1), ("weekday:Mon", "month_end", "ramadan", "pre_lebaran")),
        (dt.date(2026, 7, 15), ("weekday:Wed",)),
    ],
)
def test_known_days(day: dt.date, effects: tuple[str, ...]) -> None:
    assert effects_on(day) == effects


def test_ramadan_lasts_29_or_30_days_and_moves_earlier_each_year() -> None:
    years = sorted(RAMADAN)
    for year in years:
        ramadan = RAMADAN[year]
        assert (ramadan.idul_fitri - ramadan.first_day).days in (29, 30), year
        assert sum("ramadan" in effects_on(d) for d in days(ramadan.first_day,
                   ramadan.idul_fitri + dt.timedelta(days=2))) in (29, 30)  # fmt: skip
    for earlier, later in itertools.pairwise(years):
        shift = RAMADAN[earlier].first_day.replace(year=later) - RAMADAN[later].first_day
        assert 9 <= shift.days <= 12, (earlier, later)
    assert [y for y in years if RAMADAN[y].estimated] == [2027, 2028, 2029, 2030]


def test_payday_and_month_end_days() -> None:
    assert PAYDAY_DAYS == (25, 26, 27, 28) and MONTH_END_DAYS == (29, 30, 31, 1)
    february = [d for d in days(dt.date(2026, 2, 1), dt.date(2026, 3, 2)) if "month_end" in
                effects_on(d)]  # fmt: skip
    assert february == [dt.date(2026, 2, 1), dt.date(2026, 3, 1)]


def test_years_without_known_ramadan_are_named() -> None:
    assert unknown_years(dt.date(2030, 12, 1), dt.date(2031, 1, 31)) == [2031]
    assert unknown_years(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == []
