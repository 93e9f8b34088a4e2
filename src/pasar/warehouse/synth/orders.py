"""Orders and order lines for one chunk of days, fully vectorised (no loop per order)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pasar.warehouse.contract import CANCEL_INITIATORS, ORDER_STATUSES, RETURN_FAULTS
from pasar.warehouse.synth import content
from pasar.warehouse.synth.arrow_util import labels, money, timestamps
from pasar.warehouse.synth.entities import ARCHETYPES, POPULATION, PROVINCE_ISLAND, PROVINCE_NAMES
from pasar.warehouse.synth.ids import make_ids, take_ids
from pasar.warehouse.synth.timebase import DAY, HOUR, MINUTE, hours, local_weekday
from pasar.warehouse.synth.world import CHANNELS, World

CANCEL_REASONS = (
    "Payment not completed",  # system, unpaid
    "Changed my mind",
    "Found a cheaper price",
    "Need to change address",  # buyer
    "Out of stock",
    "Pricing error",  # seller
    "Seller did not ship before the deadline",  # system, seller fault
)
RETURN_REASONS = (
    "Item not as described",
    "Damaged or defective item",
    "Wrong item sent",
    "Counterfeit item",
    "Changed my mind",
    "Wrong size ordered",
    "Damaged in transit",
    "Failed delivery, returned to sender",
)
_CUMULATIVE_POPULATION = np.cumsum(POPULATION / POPULATION.sum())
_GOLDEN = 0.6180339887498949


@dataclass(frozen=True)
class OrderChunk:
    """What later tables of the same chunk need to know about its orders."""

    orders: pa.Table
    items: pa.Table
    live_sessions: pa.Table
    videos: pa.Table
    seller: np.ndarray
    product: np.ndarray  # product of line 1
    buyer: np.ndarray
    created: np.ndarray
    delivered: np.ndarray
    delivered_null: np.ndarray
    late_delivery: np.ndarray
    seller_fault_return: np.ndarray


def _pick_sellers(
    world: World, day_lo: int, day_hi: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    sellers = world.sellers
    boosts = np.array([c.ramadan_boost for c in world.profile.categories])[sellers.category]
    counts = rng.poisson(world.calendar.demand[day_lo:day_hi])
    days, picked = [], []
    for offset, count in enumerate(counts):  # one draw per day, vectorised over its orders
        day = day_lo + offset
        weight = sellers.weight * (sellers.active_from_day <= day)
        if world.calendar.ramadan[day]:
            weight = weight * boosts
        picked.append(rng.choice(sellers.count, size=int(count), p=weight / weight.sum()))
        days.append(np.full(int(count), day, dtype=np.int64))
    return np.concatenate(days), np.concatenate(picked)


def _pick_creators(
    world: World, category: np.ndarray, wanted: np.ndarray, day_lo: int, rng: np.random.Generator
) -> np.ndarray:
    creators = world.creators
    creator = np.full(len(category), -1, dtype=np.int64)
    eligible = creators.joined_at < world.day_start(day_lo)
    if not eligible.any():
        return creator
    focused = rng.random(len(category)) < world.profile.creators.category_focus
    target = np.where(focused, category, -1)
    for cat in range(-1, len(world.profile.categories)):
        rows = np.flatnonzero(wanted & (target == cat))
        if len(rows) == 0:
            continue
        pool = eligible & (creators.category == cat) if cat >= 0 else eligible
        pool_idx = np.flatnonzero(pool if pool.any() else eligible)
        cumulative = np.cumsum(creators.weight[pool_idx])
        draws = rng.random(len(rows)) * cumulative[-1]
        creator[rows] = pool_idx[
            np.searchsorted(cumulative, draws, side="right").clip(0, len(pool_idx) - 1)
        ]
    return creator


def _order_lines(
    world: World,
    seller: np.ndarray,
    first_local: np.ndarray,
    day: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, ...]:
    products = world.products
    count = products.count[seller]
    n_lines = np.minimum(np.minimum(rng.geometric(0.75, len(seller)), count), 5)
    order_of_line = np.repeat(np.arange(len(seller)), n_lines)
    line_start = np.cumsum(n_lines) - n_lines
    line_no = np.arange(len(order_of_line)) - line_start[order_of_line] + 1
    local = (first_local[order_of_line] + line_no - 1) % count[order_of_line]
    product = products.offset[seller[order_of_line]] + local
    quantity = np.minimum(rng.geometric(0.7, len(product)), 10)
    max_discount = np.where(world.calendar.sale_day[day[order_of_line]], 0.30, 0.12)
    unit_price = np.maximum(
        np.round(products.price[product] * (1 - rng.random(len(product)) * max_discount) / 100)
        * 100,
        100,
    ).astype(np.int64)
    gmv = np.bincount(order_of_line, weights=quantity * unit_price, minlength=len(seller)).astype(
        np.int64
    )
    return order_of_line, line_no, product, quantity, unit_price, gmv


def generate_orders(world: World, day_lo: int, day_hi: int, rng: np.random.Generator) -> OrderChunk:
    """All orders created on days ``[day_lo, day_hi)`` with their lines, LIVE and videos."""
    profile, products, sellers = world.profile, world.products, world.sellers
    day, seller = _pick_sellers(world, day_lo, day_hi, rng)
    m = len(seller)
    first_local = (products.count[seller] * rng.random(m) ** 2).astype(np.int64)
    product = products.offset[seller] + first_local
    category = products.category[product]
    channel = (rng.random(m)[:, None] > world.channel_cumulative[category]).sum(axis=1)
    channel = np.minimum(channel, len(CHANNELS) - 1)
    affiliate_share = np.array([profile.channels.affiliate_share.get(c, 0.0) for c in CHANNELS])
    wants_creator = rng.random(m) < affiliate_share[channel]
    creator = _pick_creators(world, category, wants_creator, day_lo, rng)

    buyer = (world.buyer_pool * rng.random(m) ** 1.6).astype(np.int64)
    province = np.searchsorted(_CUMULATIVE_POPULATION, (buyer * _GOLDEN) % 1.0, side="right")
    province = np.minimum(province, len(PROVINCE_NAMES) - 1)

    created = (
        world.day_start(day)
        + rng.choice(24, size=m, p=world.calendar.hourly) * HOUR
        + (rng.random(m) * HOUR).astype(np.int64)
    )
    is_live = channel == CHANNELS.index("live")
    live = content.plan_live_sessions(world, rng, day, seller, creator, is_live)
    created[is_live] = live.order_created

    order_of_line, line_no, line_product, quantity, unit_price, gmv = _order_lines(
        world, seller, first_local, day, rng
    )
    timeline = _fulfilment(world, rng, day, seller, created, province)

    order_numbers = np.arange(world.counters.order, world.counters.order + m)
    world.counters.order += m
    order_ids = make_ids("O", order_numbers, 10)

    is_video = channel == CHANNELS.index("video")
    videos, video_of_order = content.videos_for_orders(
        world, rng, np.flatnonzero(is_video), seller, creator, product, created, day_lo, day_hi
    )
    live_table, live_ids = content.live_sessions_table(
        world, rng, live, gmv[is_live], product[is_live], day_lo, day_hi
    )
    # content_id points into LIVE sessions for live orders and into videos for video orders
    all_content = pa.concat_arrays([live_ids, videos.column("video_id").combine_chunks()])
    content_index = np.full(m, 0, dtype=np.int64)
    content_index[is_live] = live.session_of_order
    content_index[is_video] = len(live_ids) + video_of_order
    content_ids = take_ids(all_content, content_index, ~(is_live | is_video))

    orders = pa.table(
        {
            "order_id": order_ids,
            "seller_id": take_ids(sellers.ids, seller),
            "buyer_id": make_ids("B", buyer + 1, 8),
            "created_at": timestamps(created),
            **timeline.columns,
            "gmv": money(gmv),
            "channel": labels(channel, CHANNELS),
            "creator_id": take_ids(world.creators.ids, creator, creator < 0),
            "content_id": content_ids,
            "logistics_provider": timeline.provider_column,
            "province": labels(province, PROVINCE_NAMES),
        }
    )
    items = pa.table(
        {
            "order_id": order_ids.take(pa.array(order_of_line)),
            "line_no": pa.array(line_no, type=pa.int64()),
            "product_id": take_ids(products.ids, line_product),
            "quantity": pa.array(quantity, type=pa.int64()),
            "unit_price": money(unit_price),
        }
    )
    return OrderChunk(
        orders=orders,
        items=items,
        live_sessions=live_table,
        videos=videos,
        seller=seller,
        product=product,
        buyer=buyer,
        created=created,
        delivered=timeline.delivered,
        delivered_null=timeline.delivered_null,
        late_delivery=timeline.late_delivery,
        seller_fault_return=timeline.seller_fault_return,
    )


@dataclass(frozen=True)
class _Timeline:
    columns: dict[str, pa.Array]
    provider_column: pa.Array
    delivered: np.ndarray
    delivered_null: np.ndarray
    late_delivery: np.ndarray
    seller_fault_return: np.ndarray


def _fulfilment(
    world: World,
    rng: np.random.Generator,
    day: np.ndarray,
    seller: np.ndarray,
    created: np.ndarray,
    province: np.ndarray,
) -> _Timeline:
    """Payment, dispatch, cancellation, delivery and return times, cut off at the period end."""
    profile, m = world.profile, len(seller)
    buyers, logistics = profile.buyers, profile.logistics
    archetype = world.sellers.archetype[seller]
    slowdown = world.calendar.slowdown[day]

    unpaid = rng.random(m) < buyers.unpaid_rate
    paid = created + (rng.lognormal(np.log(10.0), 1.0, m) * MINUTE).astype(np.int64)
    ship_by = paid + hours(logistics.dispatch_sla_hours)
    ship_by = np.where(local_weekday(ship_by) == 6, ship_by + DAY, ship_by)  # Sunday off
    median = world.archetype_param("dispatch_hours_median")[archetype] * slowdown
    sigma = world.archetype_param("dispatch_sigma")[archetype]
    dispatch = rng.lognormal(np.log(median), sigma)
    shipped = paid + hours(dispatch)

    draw = rng.random(m)
    buyer_cancel = ~unpaid & (draw < buyers.buyer_cancel_rate)
    seller_cancel = (
        ~unpaid
        & ~buyer_cancel
        & (draw < buyers.buyer_cancel_rate + world.archetype_param("seller_cancel_rate")[archetype])
    )
    auto_cancel = ~unpaid & ~buyer_cancel & ~seller_cancel & (shipped > ship_by + 72 * HOUR)
    cancelled = unpaid | buyer_cancel | seller_cancel | auto_cancel
    before_ship = rng.uniform(0.05, 0.9, m)
    cancelled_at = np.select(
        [unpaid, buyer_cancel, seller_cancel],
        [
            created + 24 * HOUR,
            paid + hours(before_ship * np.minimum(dispatch, 24.0)),
            paid + hours(before_ship * dispatch),
        ],
        default=ship_by + 72 * HOUR,
    )
    initiator = np.select([buyer_cancel, seller_cancel], [0, 1], default=2)
    reason = np.select(
        [unpaid, buyer_cancel, seller_cancel],
        [0, 1 + rng.integers(0, 3, m), 4 + rng.integers(0, 2, m)],
        default=6,
    )

    providers = logistics.providers
    share = np.array([p.share for p in providers])
    provider = rng.choice(len(providers), size=m, p=share / share.sum())
    seller_island = world.seller_island[seller]
    buyer_island = PROVINCE_ISLAND[province]
    local_only = np.array([p.same_island_only for p in providers])
    far = seller_island != buyer_island
    redo = far & local_only[provider]
    if redo.any():
        national = np.flatnonzero(~local_only)
        provider[redo] = rng.choice(
            national, size=int(redo.sum()), p=share[national] / share[national].sum()
        )
    transit_median = np.array([p.transit_days_median for p in providers])[provider] * np.where(
        far, logistics.outer_island_factor, 1.0
    )
    estimated_days = np.maximum(np.ceil(transit_median * logistics.estimate_buffer), 1)
    estimated = shipped + (estimated_days * DAY).astype(np.int64)
    transit = rng.lognormal(
        np.log(transit_median * slowdown), np.array([p.transit_sigma for p in providers])[provider]
    )
    delivered = shipped + (transit * DAY).astype(np.int64)
    failed = ~cancelled & (rng.random(m) < np.array([p.failure_rate for p in providers])[provider])

    draw = rng.random(m)
    sf_rate = world.archetype_param("seller_fault_return_rate")[archetype]
    seller_fault = ~cancelled & ~failed & (draw < sf_rate)
    buyer_fault = ~cancelled & ~failed & ~seller_fault & (draw < sf_rate + buyers.buyer_return_rate)
    transit_damage = (
        ~cancelled
        & ~failed
        & ~seller_fault
        & ~buyer_fault
        & (draw < sf_rate + buyers.buyer_return_rate + 0.003)
    )
    returned_after_delivery = seller_fault | buyer_fault | transit_damage
    returned_at = np.where(
        failed, delivered, delivered + (rng.uniform(1, 6, m) * DAY).astype(np.int64)
    )
    counterfeit = (archetype == ARCHETYPES.index("bad_actor")) & (rng.random(m) < 0.4)
    return_reason = np.select(
        [failed, seller_fault & counterfeit, seller_fault, buyer_fault],
        [7, 3, rng.integers(0, 3, m), 4 + rng.integers(0, 2, m)],
        default=6,
    )
    fault = np.select([seller_fault, buyer_fault], [0, 1], default=2)

    # What has happened by the end of the period; later events are not known yet.
    end = world.end_us
    paid_null = unpaid | (paid >= end)
    cancel_null = ~cancelled | (cancelled_at >= end)
    shipped_null = cancelled | paid_null | (shipped >= end)
    delivered_null = shipped_null | failed | (delivered >= end)
    returned_null = ~(returned_after_delivery | failed) | shipped_null | (returned_at >= end)
    returned_null |= returned_after_delivery & delivered_null
    status = np.select(
        [~cancel_null, ~returned_null, ~delivered_null, ~shipped_null, ~paid_null],
        [
            ORDER_STATUSES.index(status)
            for status in ("cancelled", "returned", "delivered", "in_transit", "awaiting_shipment")
        ],
        default=ORDER_STATUSES.index("awaiting_payment"),
    )
    columns = {
        "paid_at": timestamps(paid, paid_null),
        "ship_by_at": timestamps(ship_by, paid_null),
        "shipped_at": timestamps(shipped, shipped_null),
        "estimated_delivery_at": timestamps(estimated, shipped_null),
        "delivered_at": timestamps(delivered, delivered_null),
        "status": labels(status, ORDER_STATUSES),
        "cancelled_at": timestamps(cancelled_at, cancel_null),
        "cancel_initiator": labels(initiator, CANCEL_INITIATORS, cancel_null),
        "cancel_reason": labels(reason, CANCEL_REASONS, cancel_null),
        "returned_at": timestamps(returned_at, returned_null),
        "return_reason": labels(return_reason, RETURN_REASONS, returned_null),
        "return_fault": labels(fault, RETURN_FAULTS, returned_null),
    }
    return _Timeline(
        columns=columns,
        provider_column=labels(provider, [p.name for p in providers], shipped_null),
        delivered=delivered,
        delivered_null=delivered_null,
        late_delivery=~delivered_null & (delivered > estimated),
        seller_fault_return=seller_fault & ~returned_null,
    )
