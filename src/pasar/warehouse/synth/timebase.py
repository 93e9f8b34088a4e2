"""Time as int64 microseconds since the Unix epoch (UTC), the generator's working unit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np

US = 1
SECOND = 1_000_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WIB_OFFSET = 7 * HOUR  # Western Indonesia Time is UTC+7 all year


def local_midnight_utc_us(day: date) -> int:
    """Microseconds since epoch (UTC) of 00:00 WIB on ``day``."""
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=7)
    return int(moment.timestamp()) * SECOND


def hours(values: np.ndarray | float) -> np.ndarray:
    """Hours (float) to integer microseconds."""
    return np.asarray(np.asarray(values) * HOUR, dtype=np.int64)


def local_weekday(times_us: np.ndarray) -> np.ndarray:
    """Day of week in WIB, Monday = 0."""
    local_days = (times_us + WIB_OFFSET) // DAY
    return np.asarray((local_days + 3) % 7)  # 1970-01-01 was a Thursday
