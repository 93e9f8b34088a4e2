"""LIVE sessions and short videos, built around the orders they sold so the numbers agree.

A LIVE session is one host (seller or creator) streaming on one day; its orders, GMV and
pinned products are computed from the orders table, and views and clicks from funnel rates.
Sessions and videos that sold nothing are added too, as on any real platform.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pasar.warehouse.synth.arrow_util import labels, money, timestamps
from pasar.warehouse.synth.ids import make_ids, take_ids
from pasar.warehouse.synth.timebase import DAY, HOUR, SECOND
from pasar.warehouse.synth.world import World

# When LIVE sessions start (WIB hour): lunch and evening peaks.
_LIVE_START_WEIGHTS = np.array(
    [
        0,
        0,
        0,
        0,
        0,
        0,
        0.2,
        0.4,
        0.6,
        1.0,
        1.2,
        1.4,
        1.6,
        1.4,
        1.2,
        1.2,
        1.4,
        1.8,
        2.6,
        3.4,
        3.6,
        2.8,
        1.4,
        0.4,
    ]
)
_LIVE_START_P = _LIVE_START_WEIGHTS / _LIVE_START_WEIGHTS.sum()


def _host_span(world: World) -> int:
    return max(world.sellers.count, world.creators.count) + 1


def _session_key(
    world: World, is_creator: np.ndarray, host: np.ndarray, day: np.ndarray
) -> np.ndarray:
    """One integer per (host type, host, day): a host streams at most once a day."""
    return np.asarray(
        (is_creator.astype(np.int64) * _host_span(world) + host) * world.profile.days + day
    )


@dataclass(frozen=True)
class LivePlan:
    """Sessions that sold something, and each live order's session and time."""

    is_creator: np.ndarray
    host: np.ndarray
    day: np.ndarray
    started: np.ndarray
    ended: np.ndarray
    session_of_order: np.ndarray
    order_created: np.ndarray


def _session_window(
    world: World, rng: np.random.Generator, day: np.ndarray, median_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    k = len(day)
    start_hour = np.minimum(rng.choice(24, size=k, p=_LIVE_START_P) + rng.random(k), 23.5)
    duration = np.clip(rng.lognormal(np.log(median_hours), 0.5, k), 0.25, 8.0)
    midnight = world.day_start(day)
    started = midnight + (start_hour * HOUR).astype(np.int64)
    ended = np.minimum(started + (duration * HOUR).astype(np.int64), midnight + DAY - SECOND)
    return started, ended


def plan_live_sessions(
    world: World,
    rng: np.random.Generator,
    day: np.ndarray,
    seller: np.ndarray,
    creator: np.ndarray,
    is_live: np.ndarray,
) -> LivePlan:
    """Group live orders into one session per host and day; place each order inside it."""
    rows = np.flatnonzero(is_live)
    by_creator = creator[rows] >= 0
    host = np.where(by_creator, creator[rows], seller[rows])
    span = _host_span(world)
    key = _session_key(world, by_creator, host, day[rows])
    unique_key, session_of_order = np.unique(key, return_inverse=True)
    s_day = unique_key % world.profile.days
    rest = unique_key // world.profile.days
    started, ended = _session_window(world, rng, s_day, world.profile.channels.live_hours_median)
    position = rng.random(len(rows))
    created = started[session_of_order] + (position * (ended - started)[session_of_order]).astype(
        np.int64
    )
    return LivePlan(rest >= span, rest % span, s_day, started, ended, session_of_order, created)


def live_sessions_table(
    world: World,
    rng: np.random.Generator,
    plan: LivePlan,
    order_gmv: np.ndarray,
    order_product: np.ndarray,
    day_lo: int,
    day_hi: int,
) -> tuple[pa.Table, pa.Array]:
    """Selling sessions (metrics from their orders) plus idle ones; returns (table, ids)."""
    channels = world.profile.channels
    k = len(plan.day)
    orders = np.bincount(plan.session_of_order, minlength=k)
    gmv = np.bincount(plan.session_of_order, weights=order_gmv, minlength=k).astype(np.int64)
    pairs = np.unique(plan.session_of_order * len(world.products.ids) + order_product)
    distinct_products = np.bincount(pairs // len(world.products.ids), minlength=k)
    click_to_order = np.clip(channels.live_click_to_order * rng.lognormal(0, 0.4, k), 0.01, 0.6)
    clicks = np.maximum(np.ceil(orders / click_to_order), orders).astype(np.int64)
    view_to_click = np.clip(channels.live_view_to_click * rng.lognormal(0, 0.4, k), 0.005, 0.5)
    views = np.maximum(np.ceil(clicks / view_to_click), clicks).astype(np.int64)
    pinned = distinct_products + rng.poisson(3, k)

    # Idle sessions: hosts who streamed that day and sold nothing (often short, some unpinned).
    days = day_hi - day_lo
    eligible_creators = np.flatnonzero(world.creators.joined_at < world.day_start(day_lo))
    n_idle_creators = rng.poisson(
        world.profile.creators.idle_lives_per_day_share * len(eligible_creators) * days
    )
    active_sellers = np.flatnonzero(world.sellers.active_from_day <= day_lo)
    n_idle_sellers = rng.poisson(0.01 * len(active_sellers) * days)
    idle_is_creator = np.concatenate(
        [np.ones(n_idle_creators, bool), np.zeros(n_idle_sellers, bool)]
    )
    idle_host = np.concatenate(
        [
            rng.choice(eligible_creators, n_idle_creators)
            if len(eligible_creators)
            else np.zeros(0, np.int64),
            rng.choice(active_sellers, n_idle_sellers)
            if len(active_sellers)
            else np.zeros(0, np.int64),
        ]
    ).astype(np.int64)
    idle_day = rng.integers(day_lo, day_hi, len(idle_host))
    # A host streams at most once a day: drop idle draws on a day the host already streams.
    idle_key = _session_key(world, idle_is_creator, idle_host, idle_day)
    fresh = np.zeros(len(idle_key), dtype=bool)
    fresh[np.unique(idle_key, return_index=True)[1]] = True
    fresh &= ~np.isin(idle_key, _session_key(world, plan.is_creator, plan.host, plan.day))
    idle_is_creator, idle_host, idle_day = idle_is_creator[fresh], idle_host[fresh], idle_day[fresh]
    n_idle = len(idle_host)
    idle_start, idle_end = _session_window(world, rng, idle_day, 0.8)
    idle_views = rng.poisson(150, n_idle) + 1
    idle_clicks = rng.binomial(idle_views, 0.02)
    idle_pinned = np.where(rng.random(n_idle) < 0.2, 0, 1 + rng.poisson(2, n_idle))

    is_creator = np.concatenate([plan.is_creator, idle_is_creator])
    host = np.concatenate([plan.host, idle_host])
    views_all = np.concatenate([views, idle_views])
    unique_viewers = np.maximum((views_all * rng.uniform(0.55, 0.8, len(views_all))), 1).astype(
        np.int64
    )
    peak = np.maximum(unique_viewers * rng.uniform(0.08, 0.25, len(views_all)), 1).astype(np.int64)
    total = k + n_idle
    ids = make_ids("L", np.arange(world.counters.live, world.counters.live + total), 9)
    world.counters.live += total
    table = pa.table(
        {
            "live_id": ids,
            "host_type": labels(is_creator.astype(np.int64), ("seller", "creator")),
            "seller_id": take_ids(world.sellers.ids, host, is_creator),
            "creator_id": take_ids(world.creators.ids, host, ~is_creator),
            "started_at": timestamps(np.concatenate([plan.started, idle_start])),
            "ended_at": timestamps(np.concatenate([plan.ended, idle_end])),
            "products_pinned": pa.array(np.concatenate([pinned, idle_pinned]), type=pa.int64()),
            "views": pa.array(views_all, type=pa.int64()),
            "unique_viewers": pa.array(unique_viewers, type=pa.int64()),
            "peak_viewers": pa.array(peak, type=pa.int64()),
            "product_clicks": pa.array(np.concatenate([clicks, idle_clicks]), type=pa.int64()),
            "orders": pa.array(
                np.concatenate([orders, np.zeros(n_idle, np.int64)]), type=pa.int64()
            ),
            "gmv": money(np.concatenate([gmv, np.zeros(n_idle, np.int64)])),
        }
    )
    return table, ids


def videos_for_orders(
    world: World,
    rng: np.random.Generator,
    rows: np.ndarray,
    seller: np.ndarray,
    creator: np.ndarray,
    product: np.ndarray,
    created: np.ndarray,
    day_lo: int,
    day_hi: int,
) -> tuple[pa.Table, np.ndarray]:
    """One video per (host, product) that sold in this chunk, plus videos that sold nothing.

    Returns the videos table and, for each video order in ``rows``, its row in that table.
    """
    channels, products = world.profile.channels, world.products
    by_creator = creator[rows] >= 0
    host = np.where(by_creator, creator[rows], seller[rows])
    span = _host_span(world)
    key = (by_creator.astype(np.int64) * span + host) * len(products.ids) + product[rows]
    unique_key, video_of_order = np.unique(key, return_inverse=True)
    k = len(unique_key)
    v_product = unique_key % len(products.ids)
    rest = unique_key // len(products.ids)
    v_is_creator, v_host = rest >= span, rest % span
    first_sale = np.full(k, np.iinfo(np.int64).max)
    np.minimum.at(first_sale, video_of_order, created[rows])
    floor = np.maximum(
        products.listed_at[v_product],
        np.where(v_is_creator, world.creators.joined_at[np.where(v_is_creator, v_host, 0)], 0),
    )
    posted = np.maximum(first_sale - (rng.uniform(0, 5, k) * DAY).astype(np.int64), floor)
    orders = np.bincount(video_of_order, minlength=k)
    rate = np.clip(channels.video_view_to_order * rng.lognormal(0, 0.6, k), 1e-5, 0.2)
    views = np.maximum(np.ceil(orders / rate), orders).astype(np.int64)

    # Videos that sold nothing: creators posting about products in their category.
    eligible = np.flatnonzero(world.creators.joined_at < world.day_start(day_lo))
    n_idle = (
        rng.poisson(
            world.profile.creators.idle_videos_per_creator_month
            * len(eligible)
            * (day_hi - day_lo)
            / 30.0
        )
        if len(eligible)
        else 0
    )
    idle_creator = rng.choice(eligible, n_idle) if n_idle else np.zeros(0, np.int64)
    idle_product = _product_in_category(world, world.creators.category[idle_creator], rng)
    idle_posted = world.day_start(rng.integers(day_lo, day_hi, n_idle)) + (
        rng.random(n_idle) * DAY
    ).astype(np.int64)
    idle_posted = np.maximum(idle_posted, products.listed_at[idle_product] + HOUR)
    keep = idle_posted < world.end_us
    idle_creator, idle_product, idle_posted = (
        idle_creator[keep],
        idle_product[keep],
        idle_posted[keep],
    )
    idle_views = rng.lognormal(np.log(300), 1.2, len(idle_creator)).astype(np.int64)

    is_creator = np.concatenate([v_is_creator, np.ones(len(idle_creator), bool)])
    host_all = np.concatenate([v_host, idle_creator])
    product_all = np.concatenate([v_product, idle_product])
    views_all = np.concatenate([views, idle_views])
    total = len(host_all)
    ids = make_ids("V", np.arange(world.counters.video, world.counters.video + total), 9)
    world.counters.video += total
    table = pa.table(
        {
            "video_id": ids,
            "creator_id": take_ids(world.creators.ids, host_all, ~is_creator),
            "seller_id": take_ids(world.sellers.ids, products.seller[product_all]),
            "product_id": take_ids(products.ids, product_all),
            "posted_at": timestamps(np.concatenate([posted, idle_posted])),
            "views": pa.array(views_all, type=pa.int64()),
            "likes": pa.array((views_all * rng.uniform(0.03, 0.09, total)).astype(np.int64)),
            "comments": pa.array((views_all * rng.uniform(0.002, 0.01, total)).astype(np.int64)),
            "shares": pa.array((views_all * rng.uniform(0.001, 0.006, total)).astype(np.int64)),
        }
    )
    return table, video_of_order


def _product_in_category(
    world: World, category: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random listing of each requested category (any category if it has none)."""
    products = world.products
    chosen = rng.integers(0, len(products.ids), len(category))
    for cat in np.unique(category):
        rows = np.flatnonzero(category == cat)
        pool = np.flatnonzero(products.category == cat)
        if len(pool):
            chosen[rows] = pool[rng.integers(0, len(pool), len(rows))]
    return chosen
