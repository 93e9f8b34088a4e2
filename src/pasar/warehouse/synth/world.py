"""The generator's shared state: profile, calendar, entities and lookup arrays."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pasar.warehouse.synth.calendar import Calendar, build_calendar
from pasar.warehouse.synth.entities import (
    ARCHETYPES,
    PROVINCE_ISLAND,
    Creators,
    Products,
    Sellers,
    make_creators,
    make_products,
    make_sellers,
)
from pasar.warehouse.synth.profile import Channel, Profile
from pasar.warehouse.synth.timebase import DAY, local_midnight_utc_us

CHANNELS: tuple[Channel, ...] = ("live", "video", "showcase", "shop")

# Random streams: each table draws from its own stream so changing one leaves the others alone.
STREAM_ENTITIES, STREAM_ORDERS, STREAM_AFTERSALES, STREAM_LISTINGS, STREAM_TICKETS = range(1, 6)


def stream(seed: int, *keys: int) -> np.random.Generator:
    """A reproducible random generator for one (seed, stream, chunk) combination."""
    return np.random.default_rng(np.random.SeedSequence([seed, *keys]))


@dataclass
class Counters:
    """Next sequence number of each generated ID, carried across chunks."""

    order: int = 1
    live: int = 1
    video: int = 1
    chat: int = 1
    check: int = 1
    ticket: int = 1


@dataclass
class World:
    profile: Profile
    calendar: Calendar
    sellers: Sellers
    products: Products
    creators: Creators
    start_us: int
    end_us: int
    buyer_pool: int
    counters: Counters = field(default_factory=Counters)

    def archetype_param(self, name: str) -> np.ndarray:
        """One archetype parameter as an array indexed by archetype number."""
        params = self.profile.sellers.archetypes
        return np.array([getattr(params[a], name) if a in params else 0.0 for a in ARCHETYPES])

    @property
    def channel_cumulative(self) -> np.ndarray:
        """Per category, the cumulative channel-mix probabilities (categories × channels)."""
        mix = np.array(
            [[c.channel_mix.get(ch, 0.0) for ch in CHANNELS] for c in self.profile.categories]
        )
        return np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)

    @property
    def seller_island(self) -> np.ndarray:
        return np.asarray(PROVINCE_ISLAND[self.sellers.province])

    def day_start(self, day: np.ndarray | int) -> np.ndarray:
        """UTC µs of local (WIB) midnight for day indexes."""
        return np.asarray(self.start_us + np.asarray(day, dtype=np.int64) * DAY)


def build_world(profile: Profile) -> World:
    """Draw all entities and precompute the calendar for ``profile``."""
    rng = stream(profile.seed, STREAM_ENTITIES)
    sellers = make_sellers(profile, rng)
    products = make_products(profile, sellers, rng)
    creators = make_creators(profile, rng)
    calendar = build_calendar(profile)
    start_us = local_midnight_utc_us(profile.start_date)
    expected_orders = float(calendar.demand.sum())
    return World(
        profile=profile,
        calendar=calendar,
        sellers=sellers,
        products=products,
        creators=creators,
        start_us=start_us,
        end_us=start_us + profile.days * DAY,
        buyer_pool=max(int(expected_orders * profile.sizes.buyers_per_order), 10),
    )
