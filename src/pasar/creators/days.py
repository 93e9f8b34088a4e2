"""Days as creator collaboration counts them: local days in Asia/Jakarta (WIB), outreach weeks
that start on Sunday (when the platform refreshes seller outreach quotas), calendar months.

Example:
    >>> import datetime as dt
    >>> local_day(dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC))  # 01:00 WIB next day
    datetime.date(2026, 12, 1)
    >>> week_of(dt.date(2026, 12, 3)), month_of(dt.date(2026, 12, 3))
    (datetime.date(2026, 11, 29), datetime.date(2026, 12, 1))
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from pasar.kit.clock import now

ZONE = ZoneInfo("Asia/Jakarta")


def local_day(moment: dt.datetime) -> dt.date:
    """The day in Jakarta of a UTC moment."""
    return moment.astimezone(ZONE).date()


def today() -> dt.date:
    """Today in Jakarta (follows :func:`pasar.kit.clock.now`, so tests can freeze it)."""
    return local_day(now())


def start_of(day: dt.date) -> dt.datetime:
    """00:00 in Jakarta on ``day``, as a UTC moment."""
    return dt.datetime.combine(day, dt.time(), ZONE).astimezone(dt.UTC)


def week_of(day: dt.date) -> dt.date:
    """The Sunday that starts the outreach week of ``day``."""
    return day - dt.timedelta(days=(day.weekday() + 1) % 7)


def month_of(day: dt.date) -> dt.date:
    """The first day of the month of ``day``."""
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    first = month_of(day)
    return (first + dt.timedelta(days=32)).replace(day=1)
