"""Creator GMV targets: a forecast of a seller's (or a campaign's) creator GMV for a future
period with an 80% range, built from its own recent orders and funnel and the Indonesian sale
calendar, and the chance of reaching a target a manager types.

How the forecast is made (every part is shown in ``components``):

1. **Calendar** — multipliers of weekdays, payday, double dates, Ramadan and Lebaran and a
   growth trend, fitted on the creator GMV of the seller's category (or the whole marketplace)
   before the cut-off (:mod:`pasar.creators.seasonality`).
2. **Rate** — the seller's creator orders in the last 84 days divided by the calendar weight
   of those days give its orders per ordinary day; times the calendar weight of the period,
   the expected orders. Half an order is added (Jeffreys' prior), so a quiet seller's forecast
   is small rather than exactly zero.
3. **GMV** — expected orders × the seller's average creator order value.
4. **Range** — 4,000 simulated periods, each drawing (a) the seller's true rate given the
   orders seen (Gamma), (b) a drift of that rate since the recent window (log-normal; its size
   is measured on the seller's own earlier 28-day blocks, shrunk towards the category's),
   (c) the number of orders (Poisson) and (d) their values, resampled from the seller's own
   orders (the category's when it has fewer than 30). The 10th and 90th percentiles are the
   80% range; the share of periods reaching a target is the probability of reaching it.

Example::

    forecast = forecast_period(series, reference, cutoff, start, end, subject=("S000001",))
    forecast.point, forecast.low, forecast.high
    forecast.probability_of_reaching(150_000_000)      # 0.31
    forecast.assess(150_000_000).verdict               # "stretch"
"""

from __future__ import annotations

import calendar as gregorian
import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pasar.creators.calendar import days as calendar_days
from pasar.creators.calendar import label, unknown_years
from pasar.creators.seasonality import CalendarFit, design, fit_calendar
from pasar.kit.errors import ValidationError

MIN_HISTORY_DAYS = 28
BASE_DAYS = 84
BLOCK_DAYS = 28
DRAWS = 4000
RANGE = (0.10, 0.90)
PRIOR_BLOCKS = 2.0  # weight of the category's drift, in blocks of the seller's own history
MIN_BLOCK_ORDERS = 10  # a block with fewer expected orders says little about drift
OWN_SHAPE_ORDERS = 30  # orders a seller needs before its own order values are resampled
EXACT_SUM_ORDERS = 400  # above this many orders a period's GMV is drawn from the normal law
REFERENCE_VALUES = 20_000
JEFFREYS = 0.5
REALISTIC = 0.5  # probability of reaching from which a target is realistic
STRETCH = 0.1  # … a stretch (below: unrealistic)
MAX_DAYS_AHEAD = 400


@dataclass(frozen=True)
class DailySeries:
    """Creator GMV and orders per local day from ``start``, and every order's value."""

    start: dt.date
    gmv: np.ndarray  # float per day
    orders: np.ndarray  # int per day
    value_day: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    first_active: dt.date | None = None  # first day it sold anything (any channel)

    @property
    def end(self) -> dt.date:
        """The day after the last day."""
        return self.start + dt.timedelta(days=len(self.gmv))

    def _index(self, day: dt.date) -> int:
        return min(max((day - self.start).days, 0), len(self.gmv))

    def until(self, cutoff: dt.date) -> DailySeries:
        """The days before ``cutoff``."""
        stop = self._index(cutoff)
        keep = self.value_day < stop
        return DailySeries(
            self.start,
            self.gmv[:stop],
            self.orders[:stop],
            self.value_day[keep],
            self.value[keep],
            self.first_active if self.first_active and self.first_active < cutoff else None,
        )

    def total(self, start: dt.date, end: dt.date) -> tuple[float, int]:
        """GMV and orders from ``start`` to ``end`` (exclusive)."""
        lo, hi = self._index(start), self._index(end)
        return float(self.gmv[lo:hi].sum()), int(self.orders[lo:hi].sum())

    def values(self, start: dt.date, end: dt.date) -> np.ndarray:
        """The values of the orders placed from ``start`` to ``end`` (exclusive)."""
        lo, hi = self._index(start), self._index(end)
        return self.value[(self.value_day >= lo) & (self.value_day < hi)]

    def plus(self, other: DailySeries) -> DailySeries:
        """Two series over the same days added up (a campaign of several shops)."""
        if other.start != self.start or len(other.gmv) != len(self.gmv):
            raise ValueError("series must cover the same days")
        firsts = [d for d in (self.first_active, other.first_active) if d is not None]
        return DailySeries(
            self.start,
            self.gmv + other.gmv,
            self.orders + other.orders,
            np.concatenate([self.value_day, other.value_day]),
            np.concatenate([self.value, other.value]),
            min(firsts) if firsts else None,
        )


@dataclass(frozen=True)
class Reference:
    """What a seller's forecast borrows from its category (or the marketplace)."""

    name: str
    fit: CalendarFit
    drift: float  # relative variance of a level over a 28-day block, beyond sampling noise
    shape: np.ndarray  # order values divided by their mean
    mean_value: float


@dataclass(frozen=True)
class Funnel:
    """One window of the creator funnel: contacts → agreements → content → GMV.

    From the warehouse, ``creators`` counts the creators who posted content or sold for the
    seller (what agreements turned into); ``contacts`` and ``agreements`` come from a pitching
    pipeline when one is given.
    """

    start: dt.date
    end: dt.date
    content: int
    gmv: float
    creators: int
    contacts: int | None = None
    agreements: int | None = None
    source: str = "warehouse"

    @property
    def days(self) -> int:
        return max((self.end - self.start).days, 1)


@dataclass(frozen=True)
class Component:
    """One line of the explanation of a forecast."""

    name: str
    value: float
    unit: str  # money, orders, ratio, percent, days, text
    detail: str = ""


@dataclass(frozen=True)
class FunnelStep:
    """One stage of the funnel: what the recent window had, what the period would get at
    that pace, and what the target needs at the seller's own conversion rates."""

    stage: str
    recent: float | None
    at_recent_pace: float | None
    needed: float | None


@dataclass(frozen=True)
class Assessment:
    """A manager's target against the forecast."""

    target: float
    probability: float
    verdict: str  # realistic, stretch, unrealistic
    funnel: tuple[FunnelStep, ...]


@dataclass(frozen=True)
class TargetForecast:
    """The forecast of creator GMV of ``subject`` from ``start`` to ``end`` (exclusive)."""

    subject: tuple[str, ...]
    cutoff: dt.date
    start: dt.date
    end: dt.date
    point: float
    median: float
    low: float
    high: float
    draws: np.ndarray  # sorted simulated period totals
    components: tuple[Component, ...]
    effects: tuple[Component, ...]
    daily: tuple[tuple[dt.date, float], ...]  # expected GMV per day of the period
    funnel: Funnel | None
    notes: tuple[str, ...] = ()

    @property
    def proposed(self) -> float:
        """The proposed (realistic) target: the median, rounded down to 3 significant
        digits."""
        return round_down(self.median)

    @property
    def stretch(self) -> float:
        """A stretch target: reached in 1 period of 4."""
        return round_down(float(np.quantile(self.draws, 0.75)))

    def probability_of_reaching(self, target: float) -> float:
        """The share of simulated periods whose GMV reaches ``target``."""
        if not math.isfinite(target):
            raise ValidationError("the target must be a number", field="target")
        if target <= 0:
            return 1.0
        below = np.searchsorted(self.draws, target, side="left")
        return float(len(self.draws) - below) / len(self.draws)

    def assess(self, target: float) -> Assessment:
        """Whether ``target`` is realistic, a stretch or unrealistic, and what it needs."""
        probability = self.probability_of_reaching(target)
        verdict = (
            "realistic"
            if probability >= REALISTIC
            else "stretch"
            if probability >= STRETCH
            else "unrealistic"
        )
        return Assessment(float(target), probability, verdict, funnel_needs(self, target))


def round_down(value: float, digits: int = 3) -> float:
    """``value`` rounded down to ``digits`` significant digits (152_345_678 → 152_000_000)."""
    if value <= 0:
        return 0.0
    step = 10 ** max(math.floor(math.log10(value)) - digits + 1, 0)
    return float(math.floor(value / step) * step)


# -- the reference: calendar, drift and order values of a category -------------------------


def reference_model(
    name: str, series: DailySeries, cutoff: dt.date, prior: CalendarFit | None = None
) -> Reference:
    """Fit the calendar, the drift and the order values of ``series`` before ``cutoff``
    (calendar coefficients pulled towards ``prior``'s when given)."""
    history = series.until(cutoff)
    sold = np.flatnonzero(history.gmv > 0)
    if len(sold) == 0 or (cutoff - (history.start + dt.timedelta(days=int(sold[0])))).days < 14:
        raise ValidationError(
            f"{name}: fewer than 14 days of creator sales before {cutoff}; no forecast yet",
            field="period",
        )
    first = history.start + dt.timedelta(days=int(sold[0]))
    values = history.values(cutoff - dt.timedelta(days=365), cutoff)
    mean_value = float(values.mean()) if len(values) else 1.0
    fit = fit_calendar(first, history.gmv[int(sold[0]) :], unit=mean_value, prior=prior)
    if len(values) > REFERENCE_VALUES:  # an even spread of the values keeps their shape
        values = np.sort(values)[np.linspace(0, len(values) - 1, REFERENCE_VALUES).astype(int)]
    shape = values / mean_value if len(values) else np.ones(1)
    errors = _block_errors(history, fit, cutoff, float(shape.var()), first)
    drift = max(float(np.mean(errors)), 0.0) if errors else 0.0
    return Reference(name, fit, drift, shape, mean_value)


def _block_errors(
    history: DailySeries, fit: CalendarFit, cutoff: dt.date, cv2: float, first: dt.date
) -> list[float]:
    """For each earlier 28-day block, the squared relative error of predicting it from the 84
    days before it, less what sampling noise alone explains (so the mean estimates drift)."""
    found = []
    block_end = cutoff
    while (block_end - dt.timedelta(days=BLOCK_DAYS + BASE_DAYS)) >= first:
        block_start = block_end - dt.timedelta(days=BLOCK_DAYS)
        base_start = block_start - dt.timedelta(days=BASE_DAYS)
        gmv, orders = history.total(base_start, block_start)
        if orders > 0:
            ratio = float(
                fit.multipliers(block_start, block_end).sum()
                / fit.multipliers(base_start, block_start).sum()
            )
            expected_orders = orders * ratio
            if expected_orders >= MIN_BLOCK_ORDERS:
                predicted = gmv * ratio
                actual, _ = history.total(block_start, block_end)
                noise = (1 + cv2) * (1 / expected_orders + 1 / orders)
                found.append((actual - predicted) ** 2 / predicted**2 - noise)
        block_end = block_start
    return found


# -- the forecast -------------------------------------------------------------------------


def forecast_period(
    series: DailySeries,
    reference: Reference,
    cutoff: dt.date,
    start: dt.date,
    end: dt.date,
    *,
    subject: Sequence[str],
    funnel: Funnel | None = None,
    draws: int = DRAWS,
    seed: int = 0,
) -> TargetForecast:
    """Forecast the creator GMV of ``series`` from ``start`` to ``end`` (exclusive) with what
    was known before ``cutoff``."""
    if start < cutoff:
        raise ValidationError(
            f"the period starts {start}, before the data ends ({cutoff - dt.timedelta(days=1)})",
            field="period",
        )
    if end <= start:
        raise ValidationError("the period ends before it starts", field="period")
    if (end - cutoff).days > MAX_DAYS_AHEAD:
        raise ValidationError(
            f"the period ends more than {MAX_DAYS_AHEAD} days after the data; too far ahead",
            field="period",
        )
    history = series.until(cutoff)
    first = max(history.first_active or history.start, history.start)
    base_start = max(cutoff - dt.timedelta(days=BASE_DAYS), first)
    if (cutoff - base_start).days < MIN_HISTORY_DAYS:
        raise ValidationError(
            f"{', '.join(subject)} has {max((cutoff - base_start).days, 0)} days of history "
            f"before {cutoff}; a forecast needs {MIN_HISTORY_DAYS}",
            field="seller",
        )
    fit = reference.fit
    base_weight = float(fit.multipliers(base_start, cutoff).sum())
    period = fit.multipliers(start, end)
    ratio = float(period.sum()) / base_weight
    base_gmv, base_orders = history.total(base_start, cutoff)

    year_ago = cutoff - dt.timedelta(days=365)
    own = history.values(max(year_ago, first), cutoff)
    recent = history.values(base_start, cutoff)
    values = recent if len(recent) >= OWN_SHAPE_ORDERS else own
    mean_value = float(values.mean()) if len(values) else reference.mean_value
    own_shape = len(own) >= OWN_SHAPE_ORDERS
    shape = own / float(own.mean()) if own_shape else reference.shape
    cv2 = float(shape.var())

    errors = _block_errors(history, fit, cutoff, cv2, first)
    drift = max((sum(errors) + PRIOR_BLOCKS * reference.drift) / (len(errors) + PRIOR_BLOCKS), 0.0)
    middle = (start - cutoff).days + (end - start).days / 2 + (cutoff - base_start).days / 2
    horizon = max(middle / ((BLOCK_DAYS + BASE_DAYS) / 2), 1.0)

    totals = _simulate(
        base_orders + JEFFREYS, ratio, drift * horizon, mean_value, max(len(values), 1),
        shape, draws, seed,
    )  # fmt: skip
    expected_orders = (base_orders + JEFFREYS) * ratio
    point = expected_orders * mean_value
    low, median, high = (float(q) for q in np.quantile(totals, [RANGE[0], 0.5, RANGE[1]]))
    per_order_day = (base_orders + JEFFREYS) / base_weight * mean_value
    daily = tuple(
        (day, float(per_order_day * m))
        for day, m in zip(calendar_days(start, end), period, strict=True)
    )
    notes = []
    unseen = [e for e in design(start, end)[1] if e not in fit.coefficients]
    if unseen:
        notes.append("not in the history, so taken as ×1: " + ", ".join(label(e) for e in unseen))
    if unknown_years(start, end - dt.timedelta(days=1)):
        notes.append("Ramadan dates are not known for the period's year; no Ramadan effect")
    if base_orders == 0:
        notes.append(
            f"no creator orders in the last {(cutoff - base_start).days} days: the forecast "
            "is what half an order would give; new creators are needed"
        )
    components = (
        Component(
            "Creator orders in the recent window",
            base_orders,
            "orders",
            f"{base_start} to {cutoff - dt.timedelta(days=1)} ({(cutoff - base_start).days} days)",
        ),
        Component(
            "Creator GMV in the recent window", base_gmv, "money", "cancelled orders included"
        ),
        Component(
            "Orders per ordinary day",
            (base_orders + JEFFREYS) / base_weight,
            "orders",
            "recent orders (+½) ÷ the calendar weight of the recent days",
        ),
        Component(
            "Calendar weight of the period",
            float(period.sum()),
            "days",
            f"{len(period)} days; ordinary days count 1, sale days more, Lebaran less",
        ),
        Component(
            "Growth trend",
            math.exp(fit.trend) - 1,
            "percent",
            f"per year, from {reference.name}; included in the calendar weight",
        ),
        Component("Expected creator orders", expected_orders, "orders", "rate × calendar"),
        Component(
            "Average creator order value",
            mean_value,
            "money",
            f"from {len(values)} orders" if len(values) else f"of {reference.name}",
        ),
        Component("Forecast (expected GMV)", point, "money", "expected orders × order value"),
        Component(
            "Level drift per 4 weeks",
            math.sqrt(drift),
            "percent",
            f"from {len(errors)} earlier 4-week block(s) of its own and {reference.name}",
        ),
        Component(
            "Order value spread",
            math.sqrt(cv2),
            "percent",
            "coefficient of variation, "
            + ("own orders" if own_shape else f"orders of {reference.name}"),
        ),
        Component(
            "Width of the 80% range",
            high - low,
            "money",
            f"{draws:,} simulated periods: rate, drift, order count and values",
        ),
    )
    return TargetForecast(
        subject=tuple(subject),
        cutoff=cutoff,
        start=start,
        end=end,
        point=point,
        median=median,
        low=low,
        high=high,
        draws=np.sort(totals),
        components=components,
        effects=_effect_parts(fit, start, end, point),
        daily=daily,
        funnel=funnel,
        notes=tuple(notes),
    )


def _simulate(
    shape_orders: float,
    ratio: float,
    drift: float,
    mean_value: float,
    value_orders: int,
    values: np.ndarray,
    draws: int,
    seed: int,
) -> np.ndarray:
    """Simulated period GMVs: rate (Gamma) × drift (log-normal) → orders (Poisson) → values."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(shape_orders, 1.0, draws) * ratio
    if drift > 0:
        sigma2 = math.log1p(drift)
        rate *= np.exp(rng.normal(-sigma2 / 2, math.sqrt(sigma2), draws))
    orders = rng.poisson(rate)
    cv2 = float(values.var())
    value = mean_value * np.maximum(
        1 + math.sqrt(cv2 / value_orders) * rng.standard_normal(draws), 0.05
    )
    sums = np.zeros(draws)
    small = orders <= EXACT_SUM_ORDERS
    counts = orders[small]
    if counts.sum() > 0:
        owner = np.repeat(np.arange(len(counts)), counts)
        picked = values[rng.integers(0, len(values), int(counts.sum()))]
        sums[small] = np.bincount(owner, weights=picked, minlength=len(counts))
    large = orders[~small].astype(float)
    sums[~small] = np.maximum(large + np.sqrt(large * cv2) * rng.standard_normal(len(large)), 0)
    return np.asarray(value * sums)


def _effect_parts(
    fit: CalendarFit, start: dt.date, end: dt.date, point: float
) -> tuple[Component, ...]:
    """Each calendar effect in the period: its multiplier, days, and the GMV it adds (the
    forecast less the forecast without that effect)."""
    matrix, present = design(start, end)
    total = float(fit.multipliers(start, end).sum())
    found = []
    for effect, count in zip(present, matrix.sum(axis=0), strict=True):
        if effect.startswith("weekday:"):
            continue
        without = float(fit.multipliers(start, end, without=[effect]).sum())
        seen = effect in fit.coefficients
        found.append(
            Component(
                label(effect),
                point * (1 - without / total),
                "money",
                f"×{fit.multiplier(effect):.2f} on {int(count)} day(s)"
                + ("" if seen else " (not in the history: ×1)"),
            )
        )
    return tuple(found)


# -- the funnel behind a target -----------------------------------------------------------


def funnel_needs(forecast: TargetForecast, target: float) -> tuple[FunnelStep, ...]:
    """Contacts, agreements, content and GMV: the recent window, the period at that pace, and
    what ``target`` needs at the recent conversion rates (None where a rate is unknown)."""
    funnel = forecast.funnel
    if funnel is None:
        return ()
    scale = (forecast.end - forecast.start).days / funnel.days
    agreements = funnel.agreements if funnel.agreements is not None else funnel.creators
    per_content = funnel.gmv / funnel.content if funnel.content else None
    content_needed = target / per_content if per_content else None
    per_agreement = funnel.content / agreements if agreements else None
    agreements_needed = (
        content_needed / per_agreement if content_needed is not None and per_agreement else None
    )
    rate = agreements / funnel.contacts if funnel.contacts else None
    contacts_needed = agreements_needed / rate if agreements_needed is not None and rate else None

    def pace(value: float | None) -> float | None:
        return None if value is None else value * scale

    agreement_stage = "Agreements" if funnel.agreements is not None else "Creators active"
    return (
        FunnelStep("Contacts", funnel.contacts, pace(funnel.contacts), contacts_needed),
        FunnelStep(agreement_stage, agreements, pace(agreements), agreements_needed),
        FunnelStep("Content posted", funnel.content, pace(funnel.content), content_needed),
        FunnelStep("Creator GMV", funnel.gmv, forecast.point, target),
    )


# -- periods --------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


def parse_period(text: str | None, cutoff: dt.date) -> tuple[dt.date, dt.date]:
    """``2026-12`` (a month) or ``2026-12-01..2026-12-15`` (both days included) as
    ``(start, end exclusive)``; nothing gives the first whole month from ``cutoff``."""
    if not text:
        first = cutoff if cutoff.day == 1 else _next_month(cutoff.replace(day=1))
        return first, _next_month(first)
    text = text.strip()
    month = _MONTH.match(text)
    try:
        if month:
            first = dt.date(int(month[1]), int(month[2]), 1)
            return first, _next_month(first)
        both = _RANGE.match(text)
        if both:
            start, last = dt.date.fromisoformat(both[1]), dt.date.fromisoformat(both[2])
            if last < start:
                raise ValidationError(f"period {text!r} ends before it starts", field="period")
            return start, last + dt.timedelta(days=1)
    except ValueError as exc:
        raise ValidationError(f"period {text!r} is not a real date: {exc}", field="period") from exc
    raise ValidationError(
        f"period {text!r}: give a month like 2026-12 or days like 2026-12-01..2026-12-15",
        field="period",
    )


def _next_month(first: dt.date) -> dt.date:
    days_in = gregorian.monthrange(first.year, first.month)[1]
    return first.replace(day=1) + dt.timedelta(days=days_in)
