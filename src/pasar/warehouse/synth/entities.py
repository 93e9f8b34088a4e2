"""Sellers, products and creators: the slowly changing side of the marketplace.

Entity counts are small next to orders, so a loop per seller or product name is acceptable;
everything per order is vectorised elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pasar.warehouse.synth import names
from pasar.warehouse.synth.arrow_util import money
from pasar.warehouse.synth.geography import PROVINCES
from pasar.warehouse.synth.ids import make_ids
from pasar.warehouse.synth.profile import Profile
from pasar.warehouse.synth.timebase import DAY, HOUR, local_midnight_utc_us

ARCHETYPES = ("reliable", "sloppy", "bad_actor")
PROVINCE_NAMES = tuple(p.name for p in PROVINCES)
ISLAND_GROUPS = tuple(sorted({p.island_group for p in PROVINCES}))
PROVINCE_ISLAND = np.array([ISLAND_GROUPS.index(p.island_group) for p in PROVINCES])
POPULATION = np.array([p.population_millions for p in PROVINCES])
# Sellers cluster in Java's cities more than people do.
SELLER_PROVINCE_WEIGHT = POPULATION * np.where(
    ISLAND_GROUPS.index("java") == PROVINCE_ISLAND, 1.6, 1.0
)
_DESCRIPTORS = (
    "Original",
    "Premium",
    "Murah",
    "Viral",
    "Best Seller",
    "Jumbo",
    "Mini",
    "Import",
    "Lokal",
    "Terlaris",
    "Promo",
    "Grosir",
    "Kekinian",
    "Halal",
    "Ready Stock",
)


@dataclass(frozen=True)
class Sellers:
    ids: pa.Array
    category: np.ndarray
    province: np.ndarray
    archetype: np.ndarray
    weight: np.ndarray
    joined_at: np.ndarray  # µs
    active_from_day: np.ndarray  # first day index on which the seller can take orders
    table: pa.Table

    @property
    def count(self) -> int:
        return len(self.category)


@dataclass(frozen=True)
class Products:
    ids: pa.Array
    seller: np.ndarray
    category: np.ndarray
    price: np.ndarray  # whole rupiah
    listed_at: np.ndarray  # µs
    offset: np.ndarray  # per seller: first product index
    count: np.ndarray  # per seller: number of products
    titles: pa.Array
    inactive: np.ndarray


@dataclass(frozen=True)
class Creators:
    ids: pa.Array
    category: np.ndarray
    province: np.ndarray
    followers: np.ndarray
    weight: np.ndarray
    joined_at: np.ndarray
    table: pa.Table

    @property
    def count(self) -> int:
        return len(self.category)


def _normalised(weights: np.ndarray) -> np.ndarray:
    return np.asarray(weights / weights.sum())


def _unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        n = seen.get(label, 0)
        seen[label] = n + 1
        unique.append(label if n == 0 else f"{label} {n + 1}")
    return unique


def _owner_refs(
    rng: np.random.Generator, archetype: np.ndarray, share: float, seed: int
) -> list[str]:
    """Hashed owner IDs; some bad actors (then sloppy sellers) share one across 2-4 shops."""
    n = len(archetype)
    owner = np.arange(n)
    to_link = round(share * n)
    order = np.concatenate(
        [
            rng.permutation(np.flatnonzero(archetype == ARCHETYPES.index("bad_actor"))),
            rng.permutation(np.flatnonzero(archetype == ARCHETYPES.index("sloppy"))),
        ]
    )[:to_link]
    position = 0
    while position < len(order) - 1:
        size = int(rng.integers(2, 5))
        group = order[position : position + size]
        owner[group] = group[0]
        position += size
    return [hashlib.sha256(f"nik:{seed}:{o}".encode()).hexdigest()[:20] for o in owner]


def make_sellers(profile: Profile, rng: np.random.Generator) -> Sellers:
    """Draw sellers with size, archetype, category, location, join date, Mall flag, owner."""
    n = profile.sizes.sellers
    start_us = local_midnight_utc_us(profile.start_date)
    category_share = _normalised(np.array([c.share for c in profile.categories]))
    category = rng.choice(len(profile.categories), size=n, p=category_share)
    province = rng.choice(len(PROVINCES), size=n, p=_normalised(SELLER_PROVINCE_WEIGHT))
    archetype_share = _normalised(
        np.array(
            [
                profile.sellers.archetypes[a].share if a in profile.sellers.archetypes else 0.0
                for a in ARCHETYPES
            ]
        )
    )
    archetype = rng.choice(len(ARCHETYPES), size=n, p=archetype_share)
    weight = rng.lognormal(0.0, profile.sellers.gmv_sigma, size=n)

    is_new = rng.random(n) < profile.sellers.new_during_period_share
    new_join_days = rng.uniform(0, max(profile.days - 30, 1), size=n)
    old_join_days = -rng.uniform(30, 1500, size=n)
    join_days = np.where(is_new, new_join_days, old_join_days)
    joined_at = start_us + (join_days * DAY).astype(np.int64) + rng.integers(8, 22, n) * HOUR
    active_from_day = np.where(is_new, np.ceil(join_days + 2).astype(np.int64), 0)
    # New shops start small; the established largest ones are the Mall brands.
    weight = np.where(is_new, weight * 0.5, weight)
    n_mall = round(profile.sellers.mall_share * n)
    top = np.argsort(-weight)[: max(int(0.15 * n), n_mall)]
    is_mall = np.zeros(n, dtype=bool)
    is_mall[rng.choice(top, size=n_mall, replace=False)] = True

    ids = make_ids("S", np.arange(1, n + 1), 6)
    shop_names = _unique_labels(
        [
            " ".join(
                part
                for part in (
                    names.SHOP_PREFIXES[rng.integers(len(names.SHOP_PREFIXES))],
                    names.SHOP_WORDS[rng.integers(len(names.SHOP_WORDS))],
                    names.SHOP_SUFFIXES[rng.integers(len(names.SHOP_SUFFIXES))],
                )
                if part
            )
            for _ in range(n)
        ]
    )
    cities = [
        PROVINCES[p].cities[min(int(rng.geometric(0.5)) - 1, len(PROVINCES[p].cities) - 1)]
        for p in province
    ]
    table = pa.table(
        {
            "seller_id": ids,
            "shop_name": pa.array(shop_names),
            "owner_ref": pa.array(
                _owner_refs(rng, archetype, profile.sellers.linked_group_share, profile.seed)
            ),
            "category": pa.array([profile.categories[c].name for c in category]),
            "province": pa.array([PROVINCE_NAMES[p] for p in province]),
            "city": pa.array(cities),
            "joined_at": pa.array(joined_at, type=pa.timestamp("us", tz="UTC")),
            "is_mall": pa.array(is_mall),
        }
    )
    return Sellers(ids, category, province, archetype, weight, joined_at, active_from_day, table)


def _psychological_price(raw: np.ndarray) -> np.ndarray:
    """Round to the nearest thousand and end in 900 (Rp59.900), never below Rp1.000."""
    rounded = np.maximum(np.round(raw / 1000.0) * 1000 - 100, 900)
    return rounded.astype(np.int64)


def make_products(profile: Profile, sellers: Sellers, rng: np.random.Generator) -> Products:
    """Listings per seller, mostly in the seller's category, with category price distributions."""
    per_seller = 1 + rng.poisson(
        (profile.sizes.products_per_seller - 1)
        * rng.lognormal(0, 0.5, sellers.count)
        * np.clip(sellers.weight, 0.2, 5) ** 0.3
    )
    seller = np.repeat(np.arange(sellers.count), per_seller)
    n = len(seller)
    other = rng.choice(
        len(profile.categories),
        size=n,
        p=_normalised(np.array([c.share for c in profile.categories])),
    )
    category = np.where(rng.random(n) < 0.85, sellers.category[seller], other)
    median = np.array([c.price_median for c in profile.categories])[category]
    sigma = np.array([c.price_sigma for c in profile.categories])[category]
    price = _psychological_price(median * np.exp(rng.normal(0, 1, n) * sigma))

    start_us = local_midnight_utc_us(profile.start_date)
    joined = sellers.joined_at[seller]
    active_from = start_us + sellers.active_from_day[seller] * DAY
    listed_at = joined + (rng.random(n) * (active_from - joined - HOUR)).astype(np.int64)
    offset = np.concatenate([[0], np.cumsum(per_seller)[:-1]])
    titles = [
        f"{kw} {_DESCRIPTORS[d]}"
        for kw, d in zip(
            (
                profile.categories[c].keywords[rng.integers(len(profile.categories[c].keywords))]
                for c in category
            ),
            rng.integers(len(_DESCRIPTORS), size=n),
            strict=True,
        )
    ]
    return Products(
        ids=make_ids("P", np.arange(1, n + 1), 8),
        seller=seller,
        category=category,
        price=price,
        listed_at=listed_at,
        offset=offset,
        count=per_seller,
        titles=pa.array(titles),
        inactive=rng.random(n) < 0.04,
    )


def products_table(
    profile: Profile, products: Products, sellers: Sellers, banned: np.ndarray
) -> pa.Table:
    """The products fact table; ``banned`` marks listings taken down after serious findings."""
    status = np.where(banned, "banned", np.where(products.inactive, "inactive", "active"))
    return pa.table(
        {
            "product_id": products.ids,
            "seller_id": sellers.ids.take(pa.array(products.seller)),
            "title": products.titles,
            "category": pa.array([profile.categories[c].name for c in products.category]),
            "price": money(products.price),
            "listed_at": pa.array(products.listed_at, type=pa.timestamp("us", tz="UTC")),
            "status": pa.array(status.tolist()),
        }
    )


def make_creators(profile: Profile, rng: np.random.Generator) -> Creators:
    """Creators with power-law followers, a category focus and a home province."""
    n = profile.sizes.creators
    params = profile.creators
    category = rng.choice(
        len(profile.categories),
        size=n,
        p=_normalised(np.array([c.share for c in profile.categories])),
    )
    province = rng.choice(len(PROVINCES), size=n, p=_normalised(POPULATION))
    followers = np.minimum(
        params.followers_min * (1.0 - rng.random(n)) ** (-1.0 / params.followers_alpha),
        60_000_000,
    ).astype(np.int64)
    weight = np.sqrt(followers) * rng.lognormal(0, 1.0, n)
    start_us = local_midnight_utc_us(profile.start_date)
    is_new = rng.random(n) < params.new_during_period_share
    join_days = np.where(
        is_new, rng.uniform(0, max(profile.days - 30, 1), n), -rng.uniform(10, 1200, n)
    )
    joined_at = start_us + (join_days * DAY).astype(np.int64) + rng.integers(8, 23, n) * HOUR
    handles = _unique_labels(
        [
            f"{names.HANDLE_FIRST[rng.integers(len(names.HANDLE_FIRST))]}"
            f"{('.', '_', '')[rng.integers(3)]}"
            f"{names.HANDLE_TAILS[rng.integers(len(names.HANDLE_TAILS))]}"
            for _ in range(n)
        ]
    )
    handles = ["@" + h.replace(" ", "") for h in handles]
    ids = make_ids("C", np.arange(1, n + 1), 6)
    table = pa.table(
        {
            "creator_id": ids,
            "handle": pa.array(handles),
            "followers": pa.array(followers),
            "primary_category": pa.array([profile.categories[c].name for c in category]),
            "province": pa.array([PROVINCE_NAMES[p] for p in province]),
            "joined_at": pa.array(joined_at, type=pa.timestamp("us", tz="UTC")),
        }
    )
    return Creators(ids, category, province, followers, weight, joined_at, table)
