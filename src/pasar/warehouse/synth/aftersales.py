"""Reviews and buyer chats derived from a chunk's orders."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pasar.warehouse.synth.arrow_util import timestamps
from pasar.warehouse.synth.ids import make_ids, take_ids
from pasar.warehouse.synth.orders import OrderChunk
from pasar.warehouse.synth.timebase import DAY, HOUR, MINUTE
from pasar.warehouse.synth.world import World


def reviews(world: World, chunk: OrderChunk, rng: np.random.Generator) -> pa.Table:
    """Reviews of delivered orders; late delivery, defects and sloppy sellers pull ratings down."""
    buyers = world.profile.buyers
    delivered = np.flatnonzero(~chunk.delivered_null)
    rows = delivered[rng.random(len(delivered)) < buyers.review_rate]
    weights = np.asarray(buyers.rating_weights) / np.sum(buyers.rating_weights)
    rating = rng.choice(5, size=len(rows), p=weights) + 1
    archetype = world.sellers.archetype[chunk.seller[rows]]
    penalty = (
        world.archetype_param("rating_penalty")[archetype]
        + buyers.late_rating_penalty * chunk.late_delivery[rows]
        + 0.6 * chunk.seller_fault_return[rows]
    )
    unhappy = rng.random(len(rows)) < penalty
    rating = np.where(unhappy, rng.integers(1, 3, len(rows)), rating)
    created = chunk.delivered[rows] + (rng.uniform(0.05, 7, len(rows)) * DAY).astype(np.int64)
    keep = created < world.end_us
    rows, rating, created = rows[keep], rating[keep], created[keep]
    return pa.table(
        {
            "order_id": chunk.orders.column("order_id").combine_chunks().take(pa.array(rows)),
            "seller_id": take_ids(world.sellers.ids, chunk.seller[rows]),
            "product_id": take_ids(world.products.ids, chunk.product[rows]),
            "rating": pa.array(rating, type=pa.int64()),
            "created_at": timestamps(created),
        }
    )


def chats(world: World, chunk: OrderChunk, rng: np.random.Generator) -> pa.Table:
    """Buyer conversations around orders, answered at the seller archetype's pace (or never)."""
    m = len(chunk.seller)
    rows = np.flatnonzero(rng.random(m) < world.profile.buyers.chats_per_order)
    archetype = world.sellers.archetype[chunk.seller[rows]]
    asked = chunk.created[rows] + (rng.uniform(-6, 48, len(rows)) * HOUR).astype(np.int64)
    asked = np.clip(asked, world.start_us, None)
    delay = rng.lognormal(
        np.log(world.archetype_param("chat_response_minutes_median")[archetype]), 1.0
    )
    answered = asked + (delay * MINUTE).astype(np.int64)
    unanswered = rng.random(len(rows)) < world.archetype_param("chat_unanswered_rate")[archetype]
    keep = asked < world.end_us
    rows, asked, answered, unanswered = rows[keep], asked[keep], answered[keep], unanswered[keep]
    n = len(rows)
    ids = make_ids("CV", np.arange(world.counters.chat, world.counters.chat + n), 10)
    world.counters.chat += n
    return pa.table(
        {
            "conversation_id": ids,
            "seller_id": take_ids(world.sellers.ids, chunk.seller[rows]),
            "buyer_message_at": timestamps(asked),
            "first_response_at": timestamps(answered, unanswered | (answered >= world.end_us)),
        }
    )
