"""Reward schedules and caps as array arithmetic: the one implementation the payout engine and
the cost simulation both use (a 1-D array is one period's merchants; a 2-D array has one
column per simulated draw, merchants down the rows).

Schedules (``value`` is the target measure, ``paid`` marks who may be paid):

* ``per_unit``: ``rate`` × whole units; nothing below ``min`` units; at most ``max_units``.
* ``step``: the amount of the highest step whose ``at`` the value reaches.
* ``all_units``: the whole value × the rate of the highest band whose ``from`` it reaches
  (nothing below the first band): the tier reached prices every unit, so the reward jumps at
  each band's start.
* ``marginal``: the part of the value inside each band (from its ``from`` to the next band's)
  × that band's rate; nothing below the first band's ``from``.
* ``rank_table``: ranks 1, 2, … by value (highest first) among those paid with at least
  ``min_value``; rank r wins the amount of the first prize whose ``to`` ≥ r; merchants tied on
  a value share equally the prizes of the ranks they hold together.
* ``pct``: ``rate`` × the value (money), from ``min`` on.

Caps, in this order: each merchant at most ``merchant``; the merchants of a segment tier
together at most ``tier[t]`` (everyone of the tier scaled down by the same factor); the whole
program at most ``pool`` (likewise). Amounts are then rounded down to the currency's unit, so
that no cap is ever exceeded by rounding.

Example:
    >>> import numpy as np
    >>> from pasar.incentives.spec import Schedule
    >>> bands = [{"from": 50, "rate": 100}, {"from": 1501, "rate": 200}]
    >>> s = Schedule(kind="all_units", bands=bands)
    >>> amounts(s, np.array([40.0, 1500.0, 3000.0]), np.array([True, True, True]))[0].tolist()
    [0.0, 150000.0, 600000.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

import numpy as np

from pasar.incentives.spec import Caps, Schedule

NO_MINOR_UNITS = {"IDR", "VND", "JPY", "KRW"}
_EPSILON = 1e-6  # float noise tolerated when a value sits exactly on a threshold


def amounts(
    schedule: Schedule, value: np.ndarray, paid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(reward before caps, level) for each value; the level is the index of the step, band or
    prize reached (or the rank for a rank table), -1 when nothing is earned."""
    value = np.asarray(value, dtype=np.float64)
    paid = np.asarray(paid, dtype=bool) & np.isfinite(value)
    value = np.where(np.isfinite(value), value, 0.0)
    if schedule.kind == "rank_table":
        return _ranked(schedule, value, paid)
    reward = np.zeros_like(value)
    level = np.full(value.shape, -1, dtype=np.int64)
    if schedule.kind == "per_unit":
        assert schedule.rate is not None
        units = np.floor(value + _EPSILON)
        reached = units >= (schedule.min or 0) - _EPSILON
        if schedule.max_units is not None:
            units = np.minimum(units, schedule.max_units)
        reward = np.where(reached & (units > 0), units * float(schedule.rate), 0.0)
        level = np.where(reward > 0, 0, -1)
    elif schedule.kind == "pct":
        assert schedule.rate is not None
        reached = (value >= (schedule.min or 0) - _EPSILON) & (value > 0)
        reward = np.where(reached, value * float(schedule.rate), 0.0)
        level = np.where(reward > 0, 0, -1)
    elif schedule.kind == "step":
        assert schedule.steps
        thresholds = np.array([s.at for s in schedule.steps])
        prizes = np.array([float(s.amount) for s in schedule.steps] + [0.0])
        level = np.searchsorted(thresholds - _EPSILON, value, side="right") - 1
        reward = prizes[level]  # level -1 reads the trailing 0
    else:
        assert schedule.bands
        starts = np.array([b.start for b in schedule.bands])
        rates = np.array([float(b.rate) for b in schedule.bands])
        level = np.searchsorted(starts - _EPSILON, value, side="right") - 1
        if schedule.kind == "all_units":
            reward = np.where(level >= 0, value * rates[np.maximum(level, 0)], 0.0)
        else:
            ends = np.append(starts[1:], np.inf)
            inside = np.clip(value[..., None] - starts, 0, ends - starts)
            reward = (inside * rates).sum(axis=-1)
            reward = np.where(level >= 0, reward, 0.0)
    reward = np.where(paid, reward, 0.0)
    level = np.where(paid & (reward > 0), level, -1)
    return reward, level


def _ranked(
    schedule: Schedule, value: np.ndarray, paid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    assert schedule.ranks
    reward = np.zeros_like(value)
    rank = np.full(value.shape, -1, dtype=np.int64)
    columns = value.reshape(value.shape[0], -1)
    allowed = paid.reshape(value.shape[0], -1)
    out_reward = reward.reshape(value.shape[0], -1)
    out_rank = rank.reshape(value.shape[0], -1)
    prizes = _prize_per_rank(schedule)
    floor = schedule.min_value
    for j in range(columns.shape[1]):
        competing = allowed[:, j] & (
            columns[:, j] >= floor - _EPSILON if floor is not None else True
        )
        who = np.flatnonzero(competing)
        if not len(who):
            continue
        scores = columns[who, j]
        order = np.argsort(-scores, kind="stable")
        sorted_scores = scores[order]
        # ranks of a tie group: first rank = 1 + how many score strictly higher
        starts = np.searchsorted(-sorted_scores, -sorted_scores, side="left")
        ends = np.searchsorted(-sorted_scores, -sorted_scores, side="right")
        padded = np.concatenate([prizes, np.zeros(max(0, len(who) - len(prizes)))])
        cumulative = np.concatenate([[0.0], np.cumsum(padded)])
        shared = (cumulative[ends] - cumulative[starts]) / (ends - starts)
        out_reward[who[order], j] = shared
        out_rank[who[order], j] = starts + 1
    return reward, np.where(reward > 0, rank, -1)


def _prize_per_rank(schedule: Schedule) -> np.ndarray:
    assert schedule.ranks
    prizes: list[float] = []
    for prize in schedule.ranks:
        prizes += [float(prize.amount)] * (prize.to - len(prizes))
    return np.array(prizes)


def by_tier(
    schedules: Mapping[str, Schedule],
    default: Schedule,
    tiers: np.ndarray,
    value: np.ndarray,
    paid: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`amounts` with each merchant's tier schedule (``schedules`` overrides ``default``
    for some tiers; a rank table ranks the merchants of each schedule among themselves)."""
    if not schedules:
        return amounts(default, value, paid)
    tiers = np.asarray(tiers)
    mask_shape = (-1,) + (1,) * (np.ndim(value) - 1)
    reward = np.zeros(np.shape(value))
    level = np.full(np.shape(value), -1, dtype=np.int64)
    groups = {tier: schedule for tier, schedule in schedules.items()}
    rest = ~np.isin(tiers, list(groups))
    parts = [(np.asarray(tiers == tier), schedule) for tier, schedule in groups.items()]
    parts.append((rest, default))
    for mask, schedule in parts:
        if not mask.any():
            continue
        in_group = np.broadcast_to(mask.reshape(mask_shape), np.shape(value))
        part_reward, part_level = amounts(schedule, value, np.asarray(paid) & in_group)
        reward = np.where(in_group, part_reward, reward)
        level = np.where(in_group, part_level, level)
    return reward, level


def capped(
    caps: Caps, reward: np.ndarray, tiers: np.ndarray, currency: str = "IDR"
) -> tuple[np.ndarray, np.ndarray]:
    """(after the merchant cap, after every cap and rounding down to the currency's unit)."""
    reward = np.asarray(reward, dtype=np.float64)
    own = np.minimum(reward, float(caps.merchant)) if caps.merchant is not None else reward.copy()
    scaled = own.copy()
    mask_shape = (-1,) + (1,) * (reward.ndim - 1)
    tiers = np.asarray(tiers)
    for tier, cap in caps.tier.items():
        mask = (tiers == tier).reshape(mask_shape)
        total = np.where(mask, scaled, 0.0).sum(axis=0)
        factor = np.where(total > float(cap), float(cap) / np.where(total > 0, total, 1.0), 1.0)
        scaled = np.where(mask, scaled * factor, scaled)
    if caps.pool is not None:
        total = scaled.sum(axis=0)
        factor = np.where(
            total > float(caps.pool), float(caps.pool) / np.where(total > 0, total, 1.0), 1.0
        )
        scaled = scaled * factor
    return own, round_down(scaled, currency)


def round_down(values: np.ndarray, currency: str = "IDR") -> np.ndarray:
    """Amounts rounded down to the currency's unit (whole rupiah; cents elsewhere), with
    float noise just below a whole unit read as the unit."""
    unit = 1.0 if currency in NO_MINOR_UNITS else 0.01
    return np.floor(np.asarray(values) / unit + _EPSILON) * unit


def to_money(value: float, currency: str = "IDR") -> Decimal:
    """A rounded amount as the :class:`Decimal` stored and paid."""
    places = Decimal(1) if currency in NO_MINOR_UNITS else Decimal("0.01")
    return Decimal(repr(float(value))).quantize(places)


def qualifies(
    qualify: Mapping[str, float], measures: Mapping[str, np.ndarray], shape: Sequence[int]
) -> np.ndarray:
    """Whether every qualifying minimum is reached."""
    ok = np.ones(tuple(shape), dtype=bool)
    for name, least in qualify.items():
        ok &= np.asarray(measures[name]) >= least - _EPSILON
    return ok
