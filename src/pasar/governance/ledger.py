"""Reading the points ledger: balances and levels as of any date, from the entries alone.

The ledger is append-only; a seller's balance on a date is the sum of the points of the
entries effective on or before it (expiries, reversals and resets are negative entries).

Example:
    >>> import datetime as dt
    >>> day = dt.date(2026, 1, 1)
    >>> moves = [(day, 4), (day + dt.timedelta(days=3), 8), (day + dt.timedelta(days=90), -4)]
    >>> balance_as_of(moves, day + dt.timedelta(days=5))
    12
    >>> peak_by(moves, day + dt.timedelta(days=100))
    12
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import Date, bindparam, case, func, select
from sqlalchemy.orm import Session

from pasar.governance.models import GovernanceRun, PointsEntry

Move = tuple[dt.date, int]  # (effective on, points)


def balance_as_of(moves: Iterable[Move], day: dt.date) -> int:
    """The sum of the points effective on or before ``day``."""
    return sum(points for effective, points in moves if effective <= day)


def peak_by(moves: Iterable[Move], day: dt.date) -> int:
    """The highest end-of-day balance reached on or before ``day`` (0 if never positive)."""
    per_day: dict[dt.date, int] = {}
    for effective, points in moves:
        if effective <= day:
            per_day[effective] = per_day.get(effective, 0) + points
    running = peak = 0
    for effective in sorted(per_day):
        running += per_day[effective]
        peak = max(peak, running)
    return peak


def moves_of(session: Session, seller_id: str) -> list[Move]:
    """Every movement of a seller's points."""
    rows = session.execute(
        select(PointsEntry.effective_on, PointsEntry.points).where(
            PointsEntry.seller_id == seller_id
        )
    )
    return [(row[0], row[1]) for row in rows]


def balance(session: Session, seller_id: str, day: dt.date) -> int:
    """A seller's balance as of ``day``."""
    total = session.execute(
        select(func.coalesce(func.sum(PointsEntry.points), 0)).where(
            PointsEntry.seller_id == seller_id, PointsEntry.effective_on <= day
        )
    ).scalar_one()
    return int(total)


def balance_on_run_day(
    session: Session, seller_id: str, as_of: dt.date | None, today: dt.date
) -> tuple[dt.date, int, bool]:
    """In one statement: the day a standing is read on (``as_of``, else the last day the
    pipeline ran, else ``today``), the seller's balance on it, and whether the seller has any
    entry at all.

    Example::

        day, points, known = balance_on_run_day(session, "S1", None, dt.date.today())
    """
    run_day = select(func.max(GovernanceRun.day)).scalar_subquery()
    day = func.coalesce(
        bindparam("as_of", as_of, type_=Date), run_day, bindparam("today", today, type_=Date)
    )
    row = session.execute(
        select(
            day,
            func.coalesce(func.sum(case((PointsEntry.effective_on <= day, PointsEntry.points))), 0),
            func.count(PointsEntry.id),
        ).where(PointsEntry.seller_id == seller_id)
    ).one()
    read_on = row[0] if isinstance(row[0], dt.date) else dt.date.fromisoformat(str(row[0]))
    return read_on, int(row[1]), row[2] > 0


def balances(
    session: Session, day: dt.date, sellers: Sequence[str] | None = None
) -> dict[str, int]:
    """Balances as of ``day`` of every seller with entries (or of ``sellers``)."""
    query = (
        select(PointsEntry.seller_id, func.sum(PointsEntry.points))
        .where(PointsEntry.effective_on <= day)
        .group_by(PointsEntry.seller_id)
    )
    if sellers is not None:
        query = query.where(PointsEntry.seller_id.in_(list(sellers)))
    return {row[0]: int(row[1]) for row in session.execute(query)}


def entries_of(session: Session, seller_id: str) -> list[PointsEntry]:
    """A seller's entries in the order they took effect."""
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.seller_id == seller_id)
            .order_by(PointsEntry.effective_on, PointsEntry.id)
        )
    )
