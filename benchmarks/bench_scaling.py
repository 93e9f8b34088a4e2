"""How the main job grows with size: the full seller snapshot (all seller metrics of the
catalog as of one day) at 1M, 5M and 20M orders (100k, 300k and 1M with ``--quick``), one seller
per 100 orders, against the hand-written DuckDB query of the same columns at each size.

Each warehouse is generated and loaded once and cached under ``benchmarks/results/`` (the 20M
one is the snapshot benchmark's). Every measured run is a fresh subprocess, so its peak
resident memory is its own. The figures per size go to ``benchmarks/results/scaling.json``;
``python -m benchmarks.scaling_chart`` (``make bench-chart``) draws them as
``docs/performance-scaling.svg``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from benchmarks.bench_snapshot import (
    CACHE_DIR,
    as_of_days,
    ensure_home,
    hand_written,
    pasar_full,
)
from benchmarks.common import Measured, Result, log, run_isolated

NAME = "scaling"
FULL = (1_000_000, 5_000_000, 20_000_000)
QUICK = (100_000, 300_000, 1_000_000)
ORDERS_PER_SELLER = 100
FIGURES = CACHE_DIR / "scaling.json"
GROWTH_TARGET = 1.5  # time per order at the largest size ÷ at the smallest, at most


def _size(n: int) -> str:
    return f"{n / 1e6:g}M" if n >= 1_000_000 else f"{n / 1e3:g}k"


def measure(orders: int) -> dict[str, float]:
    """Pasar's full seller snapshot and the hand-written query at one size."""
    home = ensure_home(orders, orders // ORDERS_PER_SELLER)
    day = as_of_days(str(home))[0]
    scratch = Path(tempfile.mkdtemp(prefix="pasar-bench-scaling-"))
    try:
        pasar: Measured[pa.Table] = run_isolated(pasar_full, str(home), str(scratch), day)
        hand: Measured[pa.Table] = run_isolated(hand_written, str(home), day)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if pasar.value.num_rows != hand.value.num_rows:
        raise RuntimeError(
            f"{_size(orders)}: Pasar gave {pasar.value.num_rows:,} sellers, the hand-written "
            f"query {hand.value.num_rows:,}"
        )
    log(
        f"scaling: {_size(orders)} orders: Pasar {pasar.seconds:.2f} s "
        f"(peak {pasar.peak_rss_mib:,.0f} MiB), hand-written {hand.seconds:.2f} s "
        f"(peak {hand.peak_rss_mib:,.0f} MiB)"
    )
    return {
        "orders": orders,
        "sellers": pasar.value.num_rows,
        "pasar_seconds": pasar.seconds,
        "pasar_peak_mib": pasar.peak_rss_mib,
        "hand_seconds": hand.seconds,
        "hand_peak_mib": hand.peak_rss_mib,
    }


def run(quick: bool = False) -> list[Result]:
    sizes = QUICK if quick else FULL
    figures = [measure(orders) for orders in sizes]
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps({"quick": quick, "sizes": figures}, indent=2) + "\n")
    small, large = figures[0], figures[-1]
    growth = (large["pasar_seconds"] / large["orders"]) / (small["pasar_seconds"] / small["orders"])
    memory_growth = large["pasar_peak_mib"] / small["pasar_peak_mib"]
    note = (
        f"Scaling: {' / '.join(_size(int(f['orders'])) for f in figures)} orders, one seller per "
        f"{ORDERS_PER_SELLER}; time per order at {_size(int(large['orders']))} is "
        f"{growth:.2f}× that at {_size(int(small['orders']))} and peak memory "
        f"{memory_growth:.1f}× for {large['orders'] / small['orders']:.0f}× the orders "
        f"(figures in {FIGURES.name}; chart: make bench-chart)."
    )
    rows = [
        Result(
            name=f"{NAME} {_size(int(f['orders']))}",
            measured=(
                f"full seller snapshot, {_size(int(f['orders']))} orders, "
                f"{int(f['sellers']):,} sellers (peak {f['pasar_peak_mib']:,.0f} MiB vs "
                f"{f['hand_peak_mib']:,.0f} MiB)"
            ),
            value=f["pasar_seconds"],
            unit="s",
            baseline=f["hand_seconds"],
            ratio=f["pasar_seconds"] / f["hand_seconds"],
            better="lower (Pasar ÷ hand-written DuckDB)",
            target="≤ 1.5× at the largest size" if f is large else "— (fixed costs weigh more)",
            note=note,
            ok=f["pasar_seconds"] / f["hand_seconds"] <= 1.5 if f is large else None,
        )
        for f in figures
    ]
    rows.append(
        Result(
            name=f"{NAME} growth",
            measured=(
                f"time per order, {_size(int(large['orders']))} ÷ {_size(int(small['orders']))}"
            ),
            value=growth,
            unit="×",
            baseline=None,
            ratio=None,
            better="lower (linear or better is ≤ 1)",
            target=f"≤ {GROWTH_TARGET:g}× (no worse than linear, give or take)",
            note=note,
            ok=growth <= GROWTH_TARGET,
        )
    )
    return rows
