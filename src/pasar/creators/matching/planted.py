"""A creator × product world with a planted ground truth, for the benchmark and the tests.

Each creator and product has a hidden taste vector; how much creator ``c`` likes product ``p``
is::

    affinity(c, p) = u_c · v_p / √dim                      hidden taste
                   + 0.5 · [p's category is c's]           category focus
                   − 0.4 · max(0, |band(p) − tier(c) − ½| − ½)  a tier suits two price bands
                   + 0.3 · [p's seller is in c's province] local audience

Taste vectors are drawn around one centre per category, so the category is a visible but
partial clue. A creator draws candidate products (mostly in their category, in proportion to
each product's popularity), then each event picks one candidate with probability
∝ exp(``sharpness`` · affinity). Events are spread uniformly over the days after both the
creator joined and the product was listed; some creators and products appear only during
the period (cold start). Order events carry GMV and the buyer's province (often the
creator's audience), and the creator's videos and LIVE sessions carry views such that GMV
per 1,000 views follows a hidden quality that also makes the creator more active.

A model that recovers the taste (from co-interactions) and uses the visible features should
beat "recommend the most active creators" by a wide margin; one that learns nothing does not.

Example::

    world = generate(PlantedConfig(creators=2000, products=1000, seed=7))
    evaluate(world.data, world.split)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np

from pasar.creators.matching.features import follower_tier, price_band
from pasar.creators.matching.interactions import (
    LIVE,
    MICROS_PER_DAY,
    ORDER,
    VIDEO,
    Creators,
    Events,
    MatchingData,
    Products,
    Stream,
    day_start,
)
from pasar.warehouse.synth.geography import PROVINCES

CATEGORIES = (
    ("Beauty & Personal Care", 0.20, 60_000),
    ("Muslim Fashion", 0.14, 150_000),
    ("Womenswear & Underwear", 0.14, 120_000),
    ("Menswear", 0.08, 140_000),
    ("Phones & Electronics", 0.10, 450_000),
    ("Home & Living", 0.10, 90_000),
    ("Food & Beverage", 0.10, 35_000),
    ("Mother & Baby", 0.08, 110_000),
    ("Health", 0.06, 80_000),
)
START = dt.date(2026, 1, 1)
ZONE = "Asia/Jakarta"


@dataclass(frozen=True)
class PlantedConfig:
    """The size and shape of a planted world."""

    creators: int = 2000
    products: int = 1000
    days: int = 180
    test_days: int = 28
    events_per_creator: float = 14.0  # mean over the period (activity is skewed)
    candidates: int = 80  # products a creator considers
    dim: int = 8
    sharpness: float = 2.5
    focus: float = 0.75  # share of candidates from the creator's own category
    new_share: float = 0.1  # creators and products appearing during the period
    seed: int = 7


@dataclass(frozen=True)
class Planted:
    """A planted world: the data, its hidden taste vectors and the suggested split day."""

    data: MatchingData
    config: PlantedConfig
    creator_taste: np.ndarray
    product_taste: np.ndarray
    split: dt.date

    def affinity(self, creators: np.ndarray, products: np.ndarray) -> np.ndarray:
        """The planted affinity of each (creator, product) pair."""
        return _affinity(self, creators, products)


def generate(config: PlantedConfig | None = None) -> Planted:
    """A reproducible planted world (same config, same world)."""
    config = config or PlantedConfig()
    rng = np.random.default_rng(config.seed)
    n_c, n_p, n_k = config.creators, config.products, len(CATEGORIES)
    n_r = len(PROVINCES)
    population = np.array([p.population_millions for p in PROVINCES])
    population /= population.sum()
    start = day_start(START, ZONE)
    span = config.days * MICROS_PER_DAY

    centres = rng.normal(0, 1.0, (n_k, config.dim))
    shares = np.array([c[1] for c in CATEGORIES])
    c_category = rng.choice(n_k, n_c, p=shares / shares.sum()).astype(np.int32)
    p_category = rng.choice(n_k, n_p, p=shares / shares.sum()).astype(np.int32)
    creator_taste = centres[c_category] + rng.normal(0, 1.0, (n_c, config.dim))
    product_taste = centres[p_category] + rng.normal(0, 1.0, (n_p, config.dim))
    followers = np.minimum(1000 * (1 - rng.random(n_c)) ** (-1 / 0.9), 20_000_000).astype(np.int64)
    c_province = rng.choice(n_r, n_c, p=population).astype(np.int32)
    p_province = rng.choice(n_r, n_p, p=population).astype(np.int32)
    medians = np.array([c[2] for c in CATEGORIES], dtype=np.float64)
    price = np.round(medians[p_category] * rng.lognormal(0, 0.8, n_p), -2).clip(1000)
    quality = rng.lognormal(0, 0.6, n_c)
    popularity = rng.lognormal(0, 1.0, n_p)
    c_joined = np.where(
        rng.random(n_c) < config.new_share,
        start + (rng.uniform(0.1, 0.9, n_c) * span).astype(np.int64),
        start - (rng.uniform(10, 600, n_c) * MICROS_PER_DAY).astype(np.int64),
    )
    p_listed = np.where(
        rng.random(n_p) < config.new_share,
        start + (rng.uniform(0.1, 0.9, n_p) * span).astype(np.int64),
        start - (rng.uniform(5, 300, n_p) * MICROS_PER_DAY).astype(np.int64),
    )
    creators = Creators(
        ids=[f"C{i + 1:06d}" for i in range(n_c)],
        handles=[f"@creator{i + 1}" for i in range(n_c)],
        followers=followers,
        category=c_category,
        province=c_province,
        joined_at=c_joined,
    )
    products = Products(
        ids=[f"P{j + 1:07d}" for j in range(n_p)],
        titles=[f"{CATEGORIES[k][0].split(' ')[0]} item {j + 1}" for j, k in enumerate(p_category)],
        sellers=[f"S{(j // 8) + 1:06d}" for j in range(n_p)],
        category=p_category,
        price=price,
        province=p_province,
        listed_at=p_listed,
        active=np.ones(n_p, dtype=bool),
    )
    skeleton = Planted(
        data=MatchingData(
            creators=creators,
            products=products,
            events=_no_events(),
            sales=_empty_stream(np.float64),
            exposure=_empty_stream(np.float64),
            buyers=_empty_stream(np.int32),
            categories=tuple(c[0] for c in CATEGORIES),
            provinces=tuple(p.name for p in PROVINCES),
            zone=ZONE,
        ),
        config=config,
        creator_taste=creator_taste,
        product_taste=product_taste,
        split=START + dt.timedelta(days=config.days - config.test_days),
    )
    activity = quality**0.5 * (followers / 1000.0) ** 0.5
    activity *= config.events_per_creator / activity.mean()
    events = _draw_events(skeleton, rng, activity, popularity, start, start + span)
    sales, exposure, buyers = _streams(skeleton, rng, events, quality)
    data = replace(skeleton.data, events=events, sales=sales, exposure=exposure, buyers=buyers)
    return replace(skeleton, data=data)


def _affinity(world: Planted, creators: np.ndarray, products: np.ndarray) -> np.ndarray:
    data, dim = world.data, world.config.dim
    taste = np.einsum(
        "ij,ij->i", world.creator_taste[creators], world.product_taste[products]
    ) / np.sqrt(dim)
    same_category = data.creators.category[creators] == data.products.category[products]
    tier = follower_tier(data.creators.followers[creators]).astype(np.float64)
    band = price_band(data.products.price[products]).astype(np.float64)
    local = data.creators.province[creators] == data.products.province[products]
    mismatch = np.maximum(np.abs(band - tier - 0.5) - 0.5, 0.0)
    return np.asarray(taste + 0.5 * same_category - 0.4 * mismatch + 0.3 * local)


def _draw_events(
    world: Planted,
    rng: np.random.Generator,
    activity: np.ndarray,
    popularity: np.ndarray,
    start: int,
    end: int,
) -> Events:
    """Each creator's events: candidates by popularity (mostly in their category), then one
    candidate per event with probability ∝ exp(sharpness · affinity)."""
    config, data = world.config, world.data
    n_c, n_p, m = len(data.creators.ids), len(data.products.ids), config.candidates
    by_category = [np.flatnonzero(data.products.category == k) for k in range(len(CATEGORIES))]
    cumulative = [np.cumsum(popularity[pool]) for pool in by_category]
    everywhere = np.cumsum(popularity)
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    chunk = 4096
    for lo in range(0, n_c, chunk):
        rows = np.arange(lo, min(lo + chunk, n_c))
        candidates = np.empty((len(rows), m), dtype=np.int64)
        has_pool = np.array([pool.size > 0 for pool in by_category])
        own = (rng.random((len(rows), m)) < config.focus) & has_pool[data.creators.category[rows]][
            :, None
        ]
        for k, pool in enumerate(by_category):
            mask = own & (data.creators.category[rows] == k)[:, None]
            if mask.any():
                draws = rng.random(int(mask.sum())) * cumulative[k][-1]
                candidates[mask] = pool[
                    np.searchsorted(cumulative[k], draws, side="right").clip(0, pool.size - 1)
                ]
        other = ~own
        draws = rng.random(int(other.sum())) * everywhere[-1]
        candidates[other] = np.searchsorted(everywhere, draws, side="right").clip(0, n_p - 1)
        logits = config.sharpness * world.affinity(np.repeat(rows, m), candidates.ravel()).reshape(
            len(rows), m
        )
        weights = np.exp(logits - logits.max(axis=1, keepdims=True))
        cdf = np.cumsum(weights, axis=1)
        cdf /= cdf[:, -1:]
        counts = rng.poisson(activity[rows])
        owner = np.repeat(np.arange(len(rows)), counts)
        pick = (cdf[owner] < rng.random(len(owner))[:, None]).sum(axis=1).clip(0, m - 1)
        parts.append((rows[owner], candidates[owner, pick]))
    creator = np.concatenate([p[0] for p in parts]).astype(np.int32)
    product = np.concatenate([p[1] for p in parts]).astype(np.int32)
    first = np.maximum(data.creators.joined_at[creator], data.products.listed_at[product])
    first = np.maximum(first, start)
    ok = first < end
    creator, product, first = creator[ok], product[ok], first[ok]
    at = first + (rng.random(len(first)) * (end - first)).astype(np.int64)
    kind = rng.choice(np.array([ORDER, VIDEO, LIVE], dtype=np.int8), len(at), p=[0.6, 0.25, 0.15])
    quantity = rng.geometric(0.7, len(at))
    gmv = np.where(kind == ORDER, data.products.price[product] * quantity, 0.0)
    buyer = np.where(
        rng.random(len(at)) < 0.6,
        data.creators.province[creator],
        np.where(
            rng.random(len(at)) < 0.5,
            data.products.province[product],
            rng.integers(0, len(data.provinces), len(at)),
        ),
    ).astype(np.int32)
    buyer = np.where(kind == ORDER, buyer, -1).astype(np.int32)
    order = np.lexsort((product, creator, at))
    return Events(creator[order], product[order], at[order], kind[order], gmv[order], buyer[order])


def _streams(
    world: Planted, rng: np.random.Generator, events: Events, quality: np.ndarray
) -> tuple[Stream, Stream, Stream]:
    """Sales through content (GMV), views of content, and buyers' provinces per product."""
    orders = events.kind == ORDER
    through_content = orders & (rng.random(len(events)) < 0.7)  # LIVE or video, not showcase
    sales = Stream(
        events.creator[through_content], events.at[through_content], events.gmv[through_content]
    )
    content = events.kind != ORDER
    mean_gmv = float(events.gmv[orders].mean()) if orders.any() else 100_000.0
    # GMV per 1,000 views ≈ 40,000 × quality: views sized so that GPM follows the quality
    per_content = 2.5 * mean_gmv * 1000 / (40_000 * quality[events.creator[content]])
    views = np.maximum(per_content * rng.lognormal(0, 0.4, int(content.sum())), 1).round()
    exposure = Stream(events.creator[content], events.at[content], views)
    buyers = Stream(events.product[orders], events.at[orders], events.province[orders])
    return sales, exposure, buyers


def _no_events() -> Events:
    empty_i = np.zeros(0, dtype=np.int32)
    return Events(
        empty_i,
        empty_i,
        np.zeros(0, dtype=np.int64),
        np.zeros(0, dtype=np.int8),
        np.zeros(0),
        empty_i,
    )


def _empty_stream(dtype: type[np.generic]) -> Stream:
    return Stream(np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64), np.zeros(0, dtype))
