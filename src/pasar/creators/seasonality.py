"""Calendar multipliers of a daily GMV series: a log-linear (quasi-Poisson) model

    E[GMV on day d] = level × exp(trend × years(d) + Σ effect coefficients in force on d)

fitted by iteratively reweighted least squares, one coefficient per effect of
:mod:`pasar.creators.calendar` seen in the history (weekdays, payday, month end, each double
date, the year-end sale, Ramadan, the pre-Lebaran rush, the Lebaran holiday). An effect the
history never saw keeps a multiplier of 1 and is listed in ``unseen``. Weekday multipliers are
scaled to a geometric mean of 1, so the level is the GMV of an ordinary day at the trend origin.

Example:
    >>> import datetime as dt, numpy as np
    >>> start = dt.date(2025, 11, 1)
    >>> every = days(start, dt.date(2026, 5, 1))
    >>> ramadan = np.array([1.5 if "ramadan" in effects_on(d) else 1.0 for d in every])
    >>> round(fit_calendar(start, ramadan, trend=False).multiplier("ramadan"), 2)
    1.5
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from pasar.creators.calendar import EFFECTS, WEEKDAYS, days, effects_on
from pasar.kit.errors import ValidationError

RIDGE = 1e-3  # in orders: a safeguard (an effect whose days sold nothing), not a prior
PRIOR_ORDERS = 20.0  # how many orders a prior's multiplier is worth
MIN_TREND_DAYS = 120  # a shorter history cannot tell growth from seasonality
MAX_ITERATIONS = 100
_WEEKDAY_KEYS = tuple(f"weekday:{d}" for d in WEEKDAYS)


@dataclass(frozen=True)
class CalendarFit:
    """Fitted calendar multipliers; the trend is 0 at ``origin`` (the end of the history)."""

    coefficients: dict[str, float]  # log multiplier of every effect seen in the history
    trend: float  # log growth per year (0 when the history is too short)
    origin: dt.date
    days_seen: dict[str, int] = field(default_factory=dict)
    first_day: dt.date | None = None  # the fitted history: first_day … origin - 1 day

    def multiplier(self, effect: str) -> float:
        """The multiplier of one effect (1 for an effect the history did not see)."""
        return math.exp(self.coefficients.get(effect, 0.0))

    @property
    def unseen(self) -> tuple[str, ...]:
        """Effects the history never saw (their multiplier is taken as 1)."""
        return tuple(e for e in EFFECTS if e not in self.coefficients)

    def log_multipliers(
        self, start: dt.date, end: dt.date, without: Sequence[str] = ()
    ) -> np.ndarray:
        """Log multiplier of every day from ``start`` to ``end`` (exclusive), trend included;
        ``without`` leaves some effects out (what the period would be without them)."""
        matrix, present = design(start, end)
        coefficients = np.array(
            [0.0 if e in without else self.coefficients.get(e, 0.0) for e in present]
        )
        offset = (start - self.origin).days
        trend = self.trend * np.arange(offset, offset + len(matrix)) / 365.25
        if not present:
            return np.asarray(trend, dtype=float)
        return np.asarray(matrix @ coefficients + trend, dtype=float)

    def multipliers(self, start: dt.date, end: dt.date, without: Sequence[str] = ()) -> np.ndarray:
        """Multiplier of every day from ``start`` to ``end`` (exclusive)."""
        return np.asarray(np.exp(self.log_multipliers(start, end, without)), dtype=float)


@lru_cache(maxsize=4096)
def design(start: dt.date, end: dt.date) -> tuple[np.ndarray, tuple[str, ...]]:
    """The 0/1 matrix (days × effects) of the calendar effects in force each day, and the
    effects it has columns for (those in force on at least one day). Read-only: cached."""
    every = days(start, end)
    found = [effects_on(day) for day in every]
    present = tuple(e for e in EFFECTS if any(e in f for f in found))
    column = {e: i for i, e in enumerate(present)}
    matrix = np.zeros((len(every), len(present)))
    for row, effects in enumerate(found):
        for effect in effects:
            matrix[row, column[effect]] = 1.0
    matrix.setflags(write=False)
    return matrix, present


def fit_calendar(
    start: dt.date,
    values: np.ndarray,
    *,
    trend: bool | None = None,
    unit: float | None = None,
    prior: CalendarFit | None = None,
    strength: float = PRIOR_ORDERS,
) -> CalendarFit:
    """Fit the calendar multipliers of the daily ``values`` starting on ``start``.

    ``unit`` is the value of one order (the average order value): the fit then weighs each
    day by its orders, so a quiet series says less than a busy one. With a ``prior`` (the
    marketplace's fit, for a category) every coefficient is pulled towards the prior's as if
    ``strength`` orders had shown it: a category with few orders on 11.11 borrows the
    marketplace's 11.11. ``trend=None`` fits a growth trend when the history is at least 120
    days long.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    end = start + dt.timedelta(days=n)
    if n < 14 or not np.isfinite(y).all() or (y < 0).any():
        raise ValidationError("a calendar fit needs 14 or more days of non-negative values")
    mean = float(y.mean())
    if mean <= 0:
        return CalendarFit({}, 0.0, end, {}, start)
    y = y / (unit if unit and unit > 0 else mean)
    effects, present = design(start, end)
    # weekdays are coded against Monday (an intercept carries the mean); Monday keeps 0
    keep = [i for i, e in enumerate(present) if e != "weekday:Mon"]
    effects, names = effects[:, keep], [present[i] for i in keep]
    fit_trend = trend if trend is not None else n >= MIN_TREND_DAYS
    columns = [np.ones(n), *([np.arange(-n, 0) / 365.25] if fit_trend else [])]
    x = np.column_stack([*columns, effects])
    fixed = len(columns)
    penalty = np.full(x.shape[1], RIDGE)
    penalty[0] = 0.0
    target = np.zeros(x.shape[1])
    if fit_trend:
        penalty[1] = 0.0
    if prior is not None:
        monday = prior.coefficients.get("weekday:Mon", 0.0)
        for i, name in enumerate(names, start=fixed):
            if name in prior.coefficients:
                shift = monday if name.startswith("weekday:") else 0.0
                target[i] = prior.coefficients[name] - shift
                penalty[i] = strength
        if fit_trend:
            target[1], penalty[1] = prior.trend, strength
    beta = target.copy()
    beta[0] = math.log(max(float(y.mean()), 1e-12))
    for _ in range(MAX_ITERATIONS):
        eta = np.clip(x @ beta, -30.0, 30.0)
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        weighted = x * mu[:, None]
        hessian = x.T @ weighted + np.diag(penalty)
        new = np.linalg.solve(hessian, weighted.T @ z + penalty * target)
        converged = np.max(np.abs(new - beta)) < 1e-10
        beta = new
        if converged:
            break
    coefficients = {name: float(b) for name, b in zip(names, beta[fixed:], strict=True)}
    coefficients.setdefault("weekday:Mon", 0.0)
    weekdays = [coefficients[k] for k in _WEEKDAY_KEYS if k in coefficients]
    centre = sum(weekdays) / len(weekdays)
    for key in _WEEKDAY_KEYS:
        if key in coefficients:
            coefficients[key] -= centre
    seen = {name: int(effects[:, i].sum()) for i, name in enumerate(names)}
    seen["weekday:Mon"] = sum(1 for d in days(start, end) if d.weekday() == 0)
    return CalendarFit(
        coefficients=coefficients,
        trend=float(beta[1]) if fit_trend else 0.0,
        origin=end,
        days_seen=seen,
        first_day=start,
    )
