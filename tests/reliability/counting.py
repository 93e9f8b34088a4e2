"""How many bad-input cases were tried and how many failed, per category, for one test session.

Each case of the bad-input suite calls :func:`record`; the terminal summary prints
:func:`summary_lines`. Under pytest-xdist every worker counts its own cases: the worker hands
its counts over with :func:`snapshot` and the controller adds them up with :func:`merge`.

Example:
    >>> reset()
    >>> record("policy", True); record("policy", False)
    >>> summary_lines()
    ['bad input: policy: 2 cases tried, 1 failures', 'bad input: total: 2 cases tried, 1 failures']
    >>> reset()
"""

from __future__ import annotations

from collections.abc import Mapping

_COUNTS: dict[str, list[int]] = {}  # category -> [tried, failures]


def record(category: str, ok: bool) -> None:
    """Count one case of ``category``: tried, and failed unless ``ok``."""
    counts = _COUNTS.setdefault(category, [0, 0])
    counts[0] += 1
    counts[1] += 0 if ok else 1


def snapshot() -> dict[str, tuple[int, int]]:
    """The counts so far: category -> (tried, failures)."""
    return {category: (tried, failed) for category, (tried, failed) in _COUNTS.items()}


def merge(counts: Mapping[str, tuple[int, int] | list[int]]) -> None:
    """Add counts taken elsewhere (another process's :func:`snapshot`)."""
    for category, (tried, failed) in counts.items():
        mine = _COUNTS.setdefault(category, [0, 0])
        mine[0] += int(tried)
        mine[1] += int(failed)


def reset() -> None:
    """Forget every count."""
    _COUNTS.clear()


def summary_lines() -> list[str]:
    """``bad input: <category>: N cases tried, F failures`` per category, then the total;
    nothing when no case was tried."""
    if not _COUNTS:
        return []
    lines = [
        f"bad input: {category}: {tried} cases tried, {failed} failures"
        for category, (tried, failed) in sorted(_COUNTS.items())
    ]
    tried = sum(t for t, _ in _COUNTS.values())
    failed = sum(f for _, f in _COUNTS.values())
    return [*lines, f"bad input: total: {tried} cases tried, {failed} failures"]


__all__ = ["merge", "record", "reset", "snapshot", "summary_lines"]
