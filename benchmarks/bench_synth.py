"""Generator benchmark: Pasar's chunked, vectorised generator against a per-order Python loop.

Pasar runs ``generate(load_profile("default").with_overrides(orders_per_day=…, days=365), out)``
at ~1M and ~10M orders; each run is a fresh subprocess, so its peak RSS is its own. The
chunked generator should keep memory flat in the size of the marketplace: peak(10M) ÷
peak(1M) ≤ 1.5.

The baseline, measured in the same run, is what one would write first: a ``random``-module
loop building one dict per order (ids, seller, buyer, created/paid/shipped/delivered
timestamps, gmv, channel, status), then ``pa.Table.from_pylist`` and ``pq.write_table``.
It writes only the orders table, while Pasar also writes order items, live sessions, videos,
reviews, chats, listing checks, tickets, sellers, creators and products — so the throughput
ratio understates Pasar's advantage per row written.
"""

from __future__ import annotations

import itertools
import math
import random
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from benchmarks.common import Measured, Result, log, run_isolated
from pasar.warehouse.synth.calendar import build_calendar
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

NAME = "synth"
PROFILE = "default"
DAYS = 365
FULL_SIZES = (1_000_000, 10_000_000)
QUICK_SIZES = (100_000, 400_000)
FULL_BASELINE = 200_000
QUICK_BASELINE = 50_000
BASELINE_REPEATS = 3  # the baseline run is short and noisy: take the median of a few runs
# Pasar writes all 11 tables (~5 rows per order) while the baseline writes only orders.
SPEEDUP_TARGET = 3.0
GROWTH_TARGET = 1.5


def orders_per_day_for(total_orders: int) -> float:
    """The ``orders_per_day`` that makes the default profile expect ``total_orders`` in a year.

    Expected demand is linear in ``orders_per_day`` (seasonality multiplies it), so one
    calendar of the default profile gives the scale.
    """
    profile = load_profile(PROFILE).with_overrides(days=DAYS)
    expected = float(build_calendar(profile).demand.sum())
    return round(total_orders * profile.sizes.orders_per_day / expected, 2)


def pasar_job(orders_per_day: float, days: int, out: str) -> int:
    """Generate the whole marketplace into ``out``; return the number of orders written."""
    profile = load_profile(PROFILE).with_overrides(orders_per_day=orders_per_day, days=days)
    result = generate(profile, Path(out))
    return result.rows["orders"]


# --- baseline: the straightforward per-order loop -----------------------------------------

_CHANNELS = ("live", "video", "showcase", "shop")
_CHANNEL_WEIGHTS = (0.40, 0.29, 0.10, 0.21)
_START = datetime(2025, 10, 31, 17, 0, tzinfo=UTC)  # 2025-11-01 00:00 WIB
_SELLERS = 3000


def baseline_job(n_orders: int, out: str, seed: int = 7) -> int:
    """Generate ``n_orders`` orders one Python dict at a time and write them to Parquet."""
    rng = random.Random(seed)
    sellers = [f"S{i:06d}" for i in range(1, _SELLERS + 1)]
    seller_cumulative = list(
        itertools.accumulate(rng.lognormvariate(0.0, 1.8) for _ in range(_SELLERS))
    )
    buyers = max(int(n_orders * 0.4), 1)
    period_seconds = DAYS * 86_400
    rows: list[dict[str, object]] = []
    for number in range(1, n_orders + 1):
        created = _START + timedelta(seconds=rng.uniform(0, period_seconds))
        seller = rng.choices(sellers, cum_weights=seller_cumulative)[0]
        buyer = f"B{rng.randrange(1, buyers + 1):08d}"
        channel = rng.choices(_CHANNELS, weights=_CHANNEL_WEIGHTS)[0]
        gmv = round(rng.lognormvariate(math.log(70_000), 0.8), 2)
        paid: datetime | None = None
        shipped: datetime | None = None
        delivered: datetime | None = None
        draw = rng.random()
        if draw < 0.02:
            status = "cancelled"  # never paid
        else:
            paid = created + timedelta(minutes=rng.expovariate(1 / 15))
            if draw < 0.06:
                status = "cancelled"
            else:
                shipped = paid + timedelta(hours=rng.lognormvariate(math.log(16), 0.6))
                delivered = shipped + timedelta(days=rng.lognormvariate(math.log(2.5), 0.4))
                status = "returned" if draw > 0.985 else "delivered"
        rows.append(
            {
                "order_id": f"O{number:010d}",
                "seller_id": seller,
                "buyer_id": buyer,
                "created_at": created,
                "paid_at": paid,
                "shipped_at": shipped,
                "delivered_at": delivered,
                "gmv": gmv,
                "channel": channel,
                "status": status,
            }
        )
    table = pa.Table.from_pylist(rows)
    pq.write_table(table, out, compression="zstd")
    return int(table.num_rows)


# --- the benchmark -------------------------------------------------------------------------


def _size(n: float) -> str:
    return f"{n / 1e6:.2f}M" if n >= 950_000 else f"{n / 1e3:.0f}k"


def _log_run(measured: Measured[int]) -> None:
    log(
        f"  {measured.value:,} orders in {measured.seconds:.1f} s, "
        f"peak {measured.peak_rss_mib:.0f} MiB"
    )


def run(quick: bool = False) -> list[Result]:
    """Measure the baseline (median of a few runs) and Pasar at two sizes; return the rows."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    baseline_orders = QUICK_BASELINE if quick else FULL_BASELINE
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-synth-"))
    try:
        repeats = 1 if quick else BASELINE_REPEATS
        base_runs: list[Measured[int]] = []
        for attempt in range(1, repeats + 1):
            log(f"synth: baseline loop, {_size(baseline_orders)} orders ({attempt}/{repeats})")
            measured = run_isolated(
                baseline_job, baseline_orders, str(scratch / "baseline.parquet")
            )
            _log_run(measured)
            base_runs.append(measured)
        base = sorted(base_runs, key=lambda m: m.seconds)[len(base_runs) // 2]  # median time
        base_rate = base.value / base.seconds
        runs: list[Measured[int]] = []
        for target in sizes:
            per_day = orders_per_day_for(target)
            log(f"synth: Pasar generate, ~{_size(target)} orders (orders_per_day={per_day})")
            out = scratch / f"pasar-{target}"
            measured = run_isolated(pasar_job, per_day, DAYS, str(out))
            shutil.rmtree(out, ignore_errors=True)
            _log_run(measured)
            runs.append(measured)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    base_note = (
        f"synth baseline: per-order Python loop (random + dicts + from_pylist + write_table), "
        f"orders table only, {base.value:,} orders in {base.seconds:.1f} s "
        f"(median of {len(base_runs)}), "
        f"peak RSS {base.peak_rss_mib:.0f} MiB; Pasar writes all 11 tables."
    )
    rows: list[Result] = []
    for measured in runs:
        rate = measured.value / measured.seconds
        ratio = rate / base_rate
        rows.append(
            Result(
                name=NAME,
                measured=f"throughput, {_size(measured.value)} orders over {DAYS} days",
                value=rate,
                unit="orders/s",
                baseline=base_rate,
                ratio=ratio,
                better="higher (Pasar ÷ baseline)",
                target=f"≥ {SPEEDUP_TARGET:g}×",
                note=base_note,
                ok=ratio >= SPEEDUP_TARGET,
            )
        )
    for measured in runs:
        rows.append(
            Result(
                name=NAME,
                measured=f"peak RSS, {_size(measured.value)} orders ({measured.seconds:.0f} s)",
                value=measured.peak_rss_mib,
                unit="MiB",
                baseline=None,
                ratio=None,
                better="lower",
                target="—",
                note="Peak RSS is the whole child process: interpreter, imports and data.",
            )
        )
    small, large = runs
    growth = large.peak_rss_mib / small.peak_rss_mib
    rows.append(
        Result(
            name=NAME,
            measured=(
                f"memory growth: peak RSS {_size(large.value)} ÷ {_size(small.value)} orders "
                f"({large.value / small.value:.1f}× the orders)"
            ),
            value=growth,
            unit="×",
            baseline=None,
            ratio=growth,
            better="lower (large ÷ small)",
            target=f"≤ {GROWTH_TARGET:g} (chunked: memory flat in size)",
            note=(
                "Quick sizes fit in one or two chunks (chunk_orders=250,000), so growth is "
                "only meaningful in the full run."
                if quick
                else ""
            ),
            ok=growth <= GROWTH_TARGET,
        )
    )
    return rows
