"""Calibration of target forecasts: forecast every seller's creator GMV of the month after
each cut-off with only what was known before it, then count how often the real GMV fell inside
the 80% range. A calibrated forecast covers about 80% of outcomes.

Example::

    orders = load_creator_orders(con, "Asia/Jakarta", dt.date(2025, 11, 1), dt.date(2026, 11, 1))
    result = backtest(orders, month_starts(dt.date(2026, 1, 1), dt.date(2026, 10, 1)))
    print(f"{result.coverage:.1%} of {len(result.outcomes)} outcomes inside the 80% range")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pasar.creators.target_data import CreatorOrders, reference_for
from pasar.creators.targets import (
    BASE_DAYS,
    MIN_HISTORY_DAYS,
    DailySeries,
    Reference,
    forecast_period,
    parse_period,
)
from pasar.kit.errors import ValidationError


@dataclass(frozen=True)
class Outcome:
    """One forecast of the backtest and what really happened."""

    seller: str
    cutoff: dt.date
    start: dt.date
    horizon: int  # 1: the month right after the cut-off, 2: the one after …
    recent_orders: int
    point: float
    low: float
    high: float
    actual: float
    probability_of_actual: float  # chance the forecast gave of reaching the actual GMV

    @property
    def inside(self) -> bool:
        return self.low <= self.actual <= self.high


@dataclass(frozen=True)
class Calibration:
    """Every outcome of a backtest; ``coverage`` is the share inside the 80% range."""

    outcomes: tuple[Outcome, ...]

    @property
    def coverage(self) -> float:
        return coverage(self.outcomes)

    def by(self, key: Callable[[Outcome], object]) -> dict[object, tuple[float, int]]:
        """Coverage and count of outcomes grouped by ``key``."""
        groups: dict[object, list[Outcome]] = {}
        for outcome in self.outcomes:
            groups.setdefault(key(outcome), []).append(outcome)
        return {
            k: (coverage(v), len(v)) for k, v in sorted(groups.items(), key=lambda kv: str(kv[0]))
        }


def coverage(outcomes: Sequence[Outcome]) -> float:
    """The share of ``outcomes`` inside their 80% range (0 when there are none)."""
    return sum(o.inside for o in outcomes) / len(outcomes) if outcomes else 0.0


def size_band(outcome: Outcome) -> str:
    """Sellers grouped by their creator orders in the recent window."""
    n = outcome.recent_orders
    return "0-9 orders" if n < 10 else "10-99 orders" if n < 100 else "100+ orders"


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first day of every month from ``first``'s month to ``last``'s."""
    found, day = [], first.replace(day=1)
    while day <= last:
        found.append(day)
        day = parse_period(None, day + dt.timedelta(days=1))[0]
    return found


def backtest(
    orders: CreatorOrders,
    cutoffs: Sequence[dt.date],
    *,
    horizons: Sequence[int] = (1,),
    sellers: Sequence[str] | None = None,
    min_recent_orders: int = 1,
    draws: int = 2000,
) -> Calibration:
    """Forecast each seller's month ``h`` after each cut-off (``h`` in ``horizons``) from the
    history before the cut-off and compare with what it sold. Sellers with fewer than
    ``min_recent_orders`` creator orders in the 84 days before a cut-off are left out."""
    chosen = list(sellers) if sellers is not None else list(orders.sellers)
    every: dict[str, DailySeries] = {s: orders.series([s]) for s in chosen}
    cache: dict[tuple[tuple[str, ...], dt.date], Reference] = {}
    found: list[Outcome] = []
    for cutoff in cutoffs:
        for seller, series in every.items():
            first = series.first_active
            if first is None or (cutoff - first).days < MIN_HISTORY_DAYS:
                continue
            recent = series.total(max(cutoff - dt.timedelta(days=BASE_DAYS), first), cutoff)[1]
            if recent < min_recent_orders:
                continue
            start, end = parse_period(None, cutoff)
            for horizon in range(1, max(horizons) + 1):
                if horizon > 1:
                    start, end = parse_period(None, end)
                if horizon not in horizons:
                    continue
                if end > orders.end:
                    break
                try:
                    reference = reference_for(orders, [seller], cutoff, cache)
                    forecast = forecast_period(
                        series, reference, cutoff, start, end, subject=[seller],
                        draws=draws, seed=len(found),
                    )  # fmt: skip
                except ValidationError:
                    continue
                actual = series.total(start, end)[0]
                found.append(
                    Outcome(
                        seller,
                        cutoff,
                        start,
                        horizon,
                        recent,
                        forecast.point,
                        forecast.low,
                        forecast.high,
                        actual,
                        forecast.probability_of_reaching(actual),
                    )
                )
    return Calibration(tuple(found))
