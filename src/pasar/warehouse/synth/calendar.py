"""Day-level seasonality: weekday, payday, sale events, Ramadan, growth, logistics slowdowns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np

from pasar.warehouse.synth.profile import Profile


@dataclass(frozen=True)
class Calendar:
    """Per-day arrays over the profile's period (index 0 = ``start_date``)."""

    demand: np.ndarray  # expected orders that day
    ramadan: np.ndarray  # bool: category Ramadan boosts apply
    slowdown: np.ndarray  # logistics slowdown factor (>= 1)
    sale_day: np.ndarray  # bool: a sale event with multiplier >= 1.5 (deeper discounts)
    hourly: np.ndarray  # probability of each WIB hour


def build_calendar(profile: Profile) -> Calendar:
    """Compute the expected demand and flags of every day in the profile."""
    season = profile.seasonality
    days = profile.days
    dates = [profile.start_date + timedelta(days=i) for i in range(days)]
    weekday = np.array([season.weekday[d.weekday()] for d in dates])
    payday = np.array(
        [season.payday_multiplier if d.day in season.payday_days else 1.0 for d in dates]
    )
    growth = 1.0 + season.yearly_growth * np.arange(days) / 365.0
    events = np.ones(days)
    ramadan = np.zeros(days, dtype=bool)
    slowdown = np.ones(days)
    sale_day = np.zeros(days, dtype=bool)
    for event in season.events:
        first = (event.start - profile.start_date).days
        last = (event.end - profile.start_date).days
        lo, hi = max(first, 0), min(last + 1, days)
        if lo >= hi:
            continue
        events[lo:hi] *= event.multiplier
        slowdown[lo:hi] = np.maximum(slowdown[lo:hi], event.logistics_slowdown)
        if event.ramadan:
            ramadan[lo:hi] = True
        if event.multiplier >= 1.5:
            sale_day[lo:hi] = True
    demand = profile.sizes.orders_per_day * weekday * payday * growth * events
    hourly = np.asarray(season.hourly_wib, dtype=float)
    return Calendar(demand, ramadan, slowdown, sale_day, hourly / hourly.sum())


def chunk_boundaries(calendar: Calendar, chunk_orders: int) -> list[tuple[int, int]]:
    """Split the period into runs of whole days with at most ~``chunk_orders`` expected orders."""
    chunks: list[tuple[int, int]] = []
    start, running = 0, 0.0
    for day, expected in enumerate(calendar.demand):
        if running > 0 and running + expected > chunk_orders:
            chunks.append((start, day))
            start, running = day, 0.0
        running += float(expected)
    chunks.append((start, len(calendar.demand)))
    return chunks
