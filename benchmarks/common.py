"""Shared pieces of the benchmarks: the result row and isolated, measured runs of a callable.

Every measured run happens in a fresh ``spawn`` subprocess so that its peak RSS is its own
(nothing inherited from the parent or from earlier runs) and runs cannot warm each other up.

Example:
    >>> m = run_isolated(sum, [1, 2, 3])  # doctest: +SKIP
    >>> m.value, m.seconds > 0, m.peak_rss_mib > 0  # doctest: +SKIP
    (6, True, True)
"""

from __future__ import annotations

import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """One row of the benchmark table.

    ``ratio`` is oriented so that the direction in ``better`` is the good one: throughput
    ratios are Pasar ÷ baseline (higher is better), cost ratios are baseline ÷ Pasar, and a
    self-comparison such as memory growth is stated in ``measured`` (lower is better).
    ``ok`` says whether ``target`` was met (``None`` when there is no numeric target).
    """

    name: str
    measured: str
    value: float
    unit: str
    baseline: float | None
    ratio: float | None
    better: str
    target: str
    note: str = ""
    ok: bool | None = None


@dataclass(frozen=True)
class Measured(Generic[T]):
    """What a callable returned in its subprocess, how long it took and the peak memory."""

    value: T
    seconds: float  # wall time of the call itself, measured in the child (no startup/imports)
    peak_rss_mib: float  # peak resident set size of the whole child process


def _measure(fn: Callable[..., T], *args: object) -> tuple[T, float, int]:
    start = time.perf_counter()
    value = fn(*args)
    seconds = time.perf_counter() - start
    return value, seconds, peak_rss_kib()


def peak_rss_kib() -> int:
    """This process's own peak resident memory in KiB.

    Linux keeps ``ru_maxrss`` across ``fork`` and ``exec``: a spawned child reports at least
    the RSS its parent had when it started it. The memory map's high-water mark (``VmHWM``)
    starts afresh with the child's own program, so it is read first.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KiB on Linux


def run_isolated(fn: Callable[..., T], *args: object) -> Measured[T]:
    """Run ``fn(*args)`` in a fresh ``spawn`` subprocess; return its result, time and peak RSS.

    ``fn`` and ``args`` must be picklable (``fn`` a module-level function). The peak RSS
    includes the interpreter and the modules the child imports, as any real run would.
    """
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        value, seconds, peak_kib = pool.submit(_measure, fn, *args).result()
    return Measured(value=value, seconds=seconds, peak_rss_mib=peak_kib / 1024)


def log(message: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
