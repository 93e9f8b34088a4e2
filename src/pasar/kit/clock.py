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
from datetime import UTC, datetime
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
