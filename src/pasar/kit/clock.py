"""One source of 'now' so tests and backfills can pin time.

Example:
    >>> from datetime import datetime, UTC
    >>> with frozen_at(datetime(2026, 1, 2, tzinfo=UTC)):
    ...     now().isoformat()
    '2026-01-02T00:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_frozen: datetime | None = None


def now() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Make :func:`now` return ``moment`` inside the block."""
    global _frozen
    if moment.tzinfo is None:
        raise ValueError("frozen_at needs a timezone-aware datetime")
    previous, _frozen = _frozen, moment.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def known_zone(name: str) -> str:
    """``name`` if it is an IANA time zone, else ``ValueError`` with an example of one.

    Example:
        >>> known_zone("Asia/Jakarta")
        'Asia/Jakarta'
    """
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Asia/Jakarta)"
        ) from exc
    return name


@lru_cache(maxsize=64)
def fixed_offset(name: str, first_year: int = 1990, last_year: int = 2100) -> timedelta | None:
    """The zone's one UTC offset over ``first_year``–``last_year``, or ``None`` if it changes
    (daylight saving, or a change of standard time) within those years.

    Times in a fixed-offset zone convert to UTC by subtraction, much faster than a time zone
    lookup per value. The offset is sampled every three days, shorter than any offset period.

    Example:
        >>> fixed_offset("Asia/Jakarta")
        datetime.timedelta(seconds=25200)
        >>> fixed_offset("Europe/Amsterdam") is None
        True
    """
    zone = ZoneInfo(known_zone(name))
    moment = datetime(first_year, 1, 1, tzinfo=UTC)
    end = datetime(last_year, 1, 1, tzinfo=UTC)
    offset = moment.astimezone(zone).utcoffset()
    while moment < end:
        if moment.astimezone(zone).utcoffset() != offset:
            return None
        moment += timedelta(days=3)
    return offset
