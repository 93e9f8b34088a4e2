"""Listing checks: findings against listings, far more often for bad actors."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from pasar.warehouse.contract import SEVERITIES, VIOLATION_TYPES
from pasar.warehouse.synth.arrow_util import labels, timestamps
from pasar.warehouse.synth.ids import make_ids, take_ids
from pasar.warehouse.synth.timebase import DAY
from pasar.warehouse.synth.world import World

_SERIOUS = np.array([VIOLATION_TYPES.index(v) for v in ("counterfeit", "prohibited", "ip")])
_SERIOUS_P = np.array([0.45, 0.30, 0.25])
_MINOR = np.array([VIOLATION_TYPES.index(v) for v in ("misleading", "wrong_category")])
_SOURCES = ("automated", "manual", "buyer_report")


def listing_checks(
    world: World, day_lo: int, day_hi: int, rng: np.random.Generator
) -> tuple[pa.Table, np.ndarray]:
    """Findings in days ``[day_lo, day_hi)``; also returns the products with a critical one."""
    products = world.products
    archetype = world.sellers.archetype[products.seller]
    chunk_start, chunk_end = world.day_start(day_lo), world.day_start(day_hi)
    listed = products.listed_at < chunk_end
    rate = world.archetype_param("listing_findings_per_product_year")[archetype]
    per_product = rng.poisson(rate * listed * (day_hi - day_lo) / 365.0)
    product = np.repeat(np.arange(len(per_product)), per_product)
    n = len(product)
    earliest = np.maximum(products.listed_at[product], chunk_start)
    checked = earliest + (rng.random(n) * (chunk_end - earliest)).astype(np.int64)
    serious = rng.random(n) < world.archetype_param("serious_finding_share")[archetype[product]]
    violation = np.where(serious, rng.choice(_SERIOUS, n, p=_SERIOUS_P), rng.choice(_MINOR, n))
    high = SEVERITIES.index("high")
    severity = np.select(
        [np.isin(violation, _SERIOUS[:2]), violation == _SERIOUS[2], violation == _MINOR[0]],
        [high + (rng.random(n) < 0.5), np.full(n, high), rng.integers(0, 2, n)],
        default=0,
    )
    source = rng.choice(3, n, p=[0.6, 0.25, 0.15])
    keep = checked < world.end_us - DAY // 24
    product, checked, violation, severity, source = (
        a[keep] for a in (product, checked, violation, severity, source)
    )
    n = len(product)
    ids = make_ids("LC", np.arange(world.counters.check, world.counters.check + n), 9)
    world.counters.check += n
    table = pa.table(
        {
            "check_id": ids,
            "product_id": take_ids(products.ids, product),
            "seller_id": take_ids(world.sellers.ids, products.seller[product]),
            "checked_at": timestamps(checked),
            "violation_type": labels(violation, VIOLATION_TYPES),
            "severity": labels(severity, SEVERITIES),
            "source": labels(source, _SOURCES),
        }
    )
    return table, np.unique(product[severity == SEVERITIES.index("critical")])
