"""Support tickets: contact reasons, centers, channels, response and resolution times, CSAT."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pasar.warehouse.synth.arrow_util import labels, timestamps
from pasar.warehouse.synth.ids import make_ids
from pasar.warehouse.synth.orders import OrderChunk
from pasar.warehouse.synth.profile import Requester, SupportChannel
from pasar.warehouse.synth.timebase import DAY, HOUR, MINUTE
from pasar.warehouse.synth.world import World

_REQUESTERS: tuple[Requester, ...] = ("buyer", "seller", "creator")
_CHANNELS: tuple[SupportChannel, ...] = ("chat", "email", "phone")
_FIRST_RESPONSE_FACTOR = np.array([1.0, 8.0, 0.2])  # email is slow, phone is answered live


def tickets(
    world: World, chunk: OrderChunk, day_lo: int, day_hi: int, rng: np.random.Generator
) -> pa.Table:
    """Contacts in proportion to the chunk's orders, routed to centers and channels."""
    params = world.profile.tickets
    n = int(rng.poisson(len(chunk.seller) * params.per_1000_orders / 1000.0))
    mix = np.array([params.requester_mix.get(r, 0.0) for r in _REQUESTERS])
    requester = rng.choice(3, n, p=mix / mix.sum())
    about = rng.integers(0, max(len(chunk.seller), 1), n)
    creators = world.creators
    eligible = np.flatnonzero(creators.joined_at < world.day_start(day_hi))
    creator = rng.choice(eligible, n) if len(eligible) else np.zeros(n, np.int64)
    requester_id = pa.array(
        np.select(
            [requester == 0, requester == 1],
            [
                np.char.add("B", np.char.zfill((chunk.buyer[about] + 1).astype(str), 8)),
                np.asarray(world.sellers.ids.to_numpy(zero_copy_only=False))[chunk.seller[about]],
            ],
            default=np.asarray(creators.ids.to_numpy(zero_copy_only=False))[creator],
        ),
        type=pa.string(),
    )
    created = np.where(
        requester == 0,
        chunk.created[about] + (rng.uniform(0.1, 5, n) * DAY).astype(np.int64),
        world.day_start(day_lo) + (rng.random(n) * (day_hi - day_lo) * DAY).astype(np.int64),
    )
    # Sellers and creators only contact support once they have joined.
    joined = np.select(
        [requester == 1, requester == 2],
        [world.sellers.joined_at[chunk.seller[about]], creators.joined_at[creator]],
        default=np.iinfo(np.int64).min,
    )
    created = np.maximum(created, joined + HOUR)
    reasons = list(params.reasons)
    reason_p = np.array(list(params.reasons.values()))
    reason = rng.choice(len(reasons), n, p=reason_p / reason_p.sum())
    centers = params.centers
    center_p = np.array([c.share for c in centers])
    center = rng.choice(len(centers), n, p=center_p / center_p.sum())
    channel_p = np.array([params.channel_mix.get(c, 0.0) for c in _CHANNELS])
    channel = rng.choice(3, n, p=channel_p / channel_p.sum())
    first_median = (
        np.array([c.first_response_minutes_median for c in centers])[center]
        * _FIRST_RESPONSE_FACTOR[channel]
    )
    first = created + (rng.lognormal(np.log(first_median), 0.9) * MINUTE).astype(np.int64)
    resolution_hours = rng.lognormal(
        np.log(np.array([c.resolution_hours_median for c in centers])[center]), 1.0
    )
    resolved = first + (resolution_hours * HOUR).astype(np.int64)
    reopened = rng.random(n) < params.reopen_rate
    # Satisfaction falls with the time to resolve and with reopening.
    slow = np.clip(np.log1p(resolution_hours / 24.0), 0, 3)
    score = 5 - rng.poisson(0.3 + 0.8 * slow + 1.2 * reopened)
    csat = np.clip(score, 1, 5)
    keep = created < world.end_us
    created, first, resolved, csat = created[keep], first[keep], resolved[keep], csat[keep]
    reopened, requester, reason = reopened[keep], requester[keep], reason[keep]
    center, channel = center[keep], channel[keep]
    requester_id = requester_id.filter(pa.array(keep))
    n = len(created)
    unresolved = resolved >= world.end_us
    no_csat = unresolved | (rng.random(n) >= params.csat_response_rate)
    ids = make_ids("T", np.arange(world.counters.ticket, world.counters.ticket + n), 9)
    world.counters.ticket += n
    return pa.table(
        {
            "ticket_id": ids,
            "requester_type": labels(requester, _REQUESTERS),
            "requester_id": requester_id,
            "center": labels(center, [c.name for c in centers]),
            "channel": labels(channel, _CHANNELS),
            "category": labels(reason, reasons),
            "created_at": timestamps(created),
            "first_response_at": timestamps(first, first >= world.end_us),
            "resolved_at": timestamps(resolved, unresolved),
            "reopened": pa.array(reopened & ~unresolved),
            "csat": pa.array(csat, type=pa.int64(), mask=no_csat),
        }
    )
