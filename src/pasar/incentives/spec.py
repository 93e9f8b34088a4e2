"""What a LIVE incentive program file holds, checked for shape (pydantic).

A program is one YAML document: who may join (``eligibility``, a policy-engine condition over
the merchant snapshot and the merchant's frozen segment), what counts (``target``: a program
measure over each period, or its increase over a baseline period), what it pays
(``schedule``: per unit, step, all-units, marginal, rank table or % of GMV; ``reward``: the
form and its realised cost), the caps (per merchant, per segment tier, the program's pool per
period), the integrity rules (the valid-session definition, excluded sessions, refund-rate
disqualification), the clawback window, the settlement lag and the holdout kept for
measurement::

    program: daily-live-streak
    version: 1
    name: Daily LIVE streak
    period: {every: month, start: 2026-01-01}
    eligibility: {when: "valid_live_sessions_30d >= 4", tiers: [mid, long_tail]}
    target: {metric: longest_streak}
    schedule:
      kind: step
      steps:
        - {at: 7, amount: 100000, name: Bronze}
        - {at: 14, amount: 250000, name: Silver}
    reward: {form: voucher, realised_share: 0.6}
    caps: {pool: 50000000}
    integrity:
      exclude_sessions: {idle: "orders = 0 AND product_clicks <= 5"}
      refund: {max_rate: 0.30, min_orders: 10}
    clawback: {window_days: 30}
    settlement: {lag_days: 10}
    holdout: {share: 0.1, stratify: tier, seed: 7}

What the text inside means (snapshot columns, session columns, the policy referred to) is
checked by :mod:`pasar.incentives.programs`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pasar.metrics.spec import Origin

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$")
TIERS = ("top", "mid", "long_tail")
STAGES = ("onboarding", "retention", "growth", "scaling")
Tier = Literal["top", "mid", "long_tail"]
Stage = Literal["onboarding", "retention", "growth", "scaling"]

# The measures a program can target, computed per merchant and period from the warehouse by
# :mod:`pasar.incentives.activity` under the program's integrity rules.
MEASURES: dict[str, tuple[str, str]] = {
    "valid_sessions": (
        "count",
        "valid LIVE sessions (long enough, a product pinned, not excluded)",
    ),
    "valid_hours": ("hours", "hours streamed in valid LIVE sessions"),
    "live_days": ("days", "local days with at least one valid LIVE session"),
    "longest_streak": ("days", "the longest run of consecutive days with a valid LIVE session"),
    "live_gmv": ("money", "GMV of valid sessions less the shop's LIVE orders returned by cut-off"),
    "live_orders": ("count", "orders in valid LIVE sessions"),
    "live_views": ("count", "views of valid LIVE sessions"),
    "product_clicks": ("count", "product clicks in valid LIVE sessions"),
    "incremental_gmv": ("money", "live_gmv of the period less live_gmv of the baseline period"),
    "incremental_sessions": ("count", "valid_sessions of the period less the baseline's"),
}
INCREMENTAL = {"incremental_gmv": "live_gmv", "incremental_sessions": "valid_sessions"}
ScheduleKind = Literal["per_unit", "step", "all_units", "marginal", "rank_table", "pct"]
RewardForm = Literal["ads_credit", "voucher", "traffic", "commission_rebate", "cash"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _measure(value: str) -> str:
    if value not in MEASURES:
        raise ValueError(f"unknown measure {value!r}; the measures are {', '.join(MEASURES)}")
    return value


@dataclass(frozen=True, order=True)
class Window:
    """One period of a program: ``start`` to ``end`` (local days, both included)."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return self.label


class Period(_Spec):
    """How a program's time is cut: calendar months, ISO weeks, or one window (``once``)."""

    every: Literal["month", "week", "once"] = "month"
    start: dt.date
    end: dt.date | None = None

    @model_validator(mode="after")
    def _aligned(self) -> Period:
        if self.every == "month" and self.start.day != 1:
            raise ValueError("a monthly program starts on the 1st of a month")
        if self.every == "week" and self.start.isoweekday() != 1:
            raise ValueError("a weekly program starts on a Monday")
        if self.every == "once" and self.end is None:
            raise ValueError("a program run once needs an end date")
        if self.end is not None and self.end < self.start:
            raise ValueError("period end is before its start")
        return self

    def window(self, day: dt.date) -> Window:
        """The period holding ``day`` (which may be before the program starts or after it
        ends: baselines are such periods)."""
        if self.every == "once":
            assert self.end is not None
            length = (self.end - self.start).days + 1
            shift = (day - self.start).days // length
            start = self.start + dt.timedelta(days=shift * length)
            end = start + dt.timedelta(days=length - 1)
            return Window(start, end, f"{start.isoformat()}..{end.isoformat()}")
        if self.every == "week":
            start = day - dt.timedelta(days=day.isoweekday() - 1)
            year, week, _ = start.isocalendar()
            return Window(start, start + dt.timedelta(days=6), f"{year}-W{week:02d}")
        last = calendar.monthrange(day.year, day.month)[1]
        start = day.replace(day=1)
        return Window(start, day.replace(day=last), f"{day:%Y-%m}")

    def shifted(self, window: Window, periods: int) -> Window:
        """The period ``periods`` before ``window``."""
        current = window
        for _ in range(periods):
            current = self.window(current.start - dt.timedelta(days=1))
        return current

    def parse(self, label: str) -> Window:
        """The program period named ``label`` (``2026-10``, ``2026-W43`` or the once window)."""
        try:
            if self.every == "month":
                day = dt.date.fromisoformat(f"{label}-01")
            elif self.every == "week":
                year, week = label.split("-W")
                day = dt.date.fromisocalendar(int(year), int(week), 1)
            else:
                day = dt.date.fromisoformat(label.split("..")[0])
        except ValueError as exc:
            example = {"month": "2026-10", "week": "2026-W43", "once": self.start.isoformat()}
            raise ValueError(
                f"period {label!r} is not a {self.every} like {example[self.every]}"
            ) from exc
        window = self.window(day)
        if window.label != label:
            raise ValueError(f"{label!r} is not the start of a period (try {window.label})")
        return window

    def windows(self, last_day: dt.date) -> list[Window]:
        """The program's periods that ended on or before ``last_day``, oldest first."""
        found: list[Window] = []
        window = self.window(self.start)
        while window.end <= last_day and (self.end is None or window.start <= self.end):
            found.append(window)
            if self.every == "once":
                break
            window = self.window(window.end + dt.timedelta(days=1))
        return found

    def covers(self, window: Window) -> bool:
        """Whether ``window`` is one of the program's periods (within its dates)."""
        if window.start < self.start:
            return False
        if self.every == "once":
            return window.start == self.start
        return self.end is None or window.start <= self.end


class Eligibility(_Spec):
    """Who may join and stays eligible: a condition over the merchant snapshot (written here
    or a policy of the policy library by id) and the segment tiers and stages admitted."""

    when: str | None = None
    policy: str | None = None
    tiers: list[Tier] | None = None
    stages: list[Stage] | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Eligibility:
        if self.when is not None and self.policy is not None:
            raise ValueError("give either when or policy, not both")
        return self


class Baseline(_Spec):
    """The period an incremental target compares with: ``periods_before`` periods earlier."""

    periods_before: int = Field(default=1, ge=1, le=24)


class Target(_Spec):
    """The measure the schedule pays on, and minimums other measures must reach to qualify."""

    metric: str
    baseline: Baseline | None = None
    qualify: dict[str, float] = Field(default_factory=dict)

    _metric = field_validator("metric")(_measure)

    @field_validator("qualify")
    @classmethod
    def _measures(cls, value: dict[str, float]) -> dict[str, float]:
        for name in value:
            _measure(name)
        return value

    @model_validator(mode="after")
    def _baseline_when_incremental(self) -> Target:
        if self.metric in INCREMENTAL and self.baseline is None:
            raise ValueError(f"an {self.metric} target needs a baseline (periods_before)")
        if self.metric not in INCREMENTAL and self.baseline is not None:
            raise ValueError(f"a baseline is only used by incremental measures, not {self.metric}")
        return self


class Step(_Spec):
    """A level of a step schedule: reaching ``at`` pays ``amount`` (the highest level reached
    pays, once)."""

    at: float = Field(gt=0)
    amount: Decimal = Field(ge=0)
    name: str | None = None


class Band(_Spec):
    """A band of an all-units or marginal schedule: from ``from`` units on, ``rate`` each."""

    start: float = Field(alias="from", ge=0)
    rate: Decimal = Field(ge=0)
    name: str | None = None


class Prize(_Spec):
    """Ranks down to ``to`` (after the previous prize's) receive ``amount`` each."""

    to: int = Field(ge=1)
    amount: Decimal = Field(ge=0)


class Schedule(_Spec):
    """How the target measure turns into a reward.

    * ``per_unit``: ``rate`` per unit; nothing below ``min`` units; at most ``max_units``.
    * ``step``: the ``amount`` of the highest step reached.
    * ``all_units``: every unit at the ``rate`` of the highest band reached (nothing below the
      first band).
    * ``marginal``: each unit at the rate of the band it falls in.
    * ``rank_table``: merchants ranked on the measure (those with at least ``min_value``);
      tied merchants share the prizes of the ranks they hold.
    * ``pct``: ``rate`` (a fraction) of the measure, a money measure; nothing below ``min``.
    """

    kind: ScheduleKind
    rate: Decimal | None = Field(default=None, ge=0)
    min: float | None = Field(default=None, ge=0)
    max_units: float | None = Field(default=None, gt=0)
    steps: list[Step] | None = None
    bands: list[Band] | None = None
    ranks: list[Prize] | None = None
    min_value: float | None = None

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Schedule:
        wanted = {
            "per_unit": {"rate", "min", "max_units"},
            "step": {"steps"},
            "all_units": {"bands"},
            "marginal": {"bands"},
            "rank_table": {"ranks", "min_value"},
            "pct": {"rate", "min"},
        }[self.kind]
        given = {
            name
            for name in ("rate", "min", "max_units", "steps", "bands", "ranks", "min_value")
            if getattr(self, name) is not None
        }
        if stray := sorted(given - wanted):
            raise ValueError(f"a {self.kind} schedule does not take {', '.join(stray)}")
        required = {
            "per_unit": "rate",
            "pct": "rate",
            "step": "steps",
            "all_units": "bands",
            "marginal": "bands",
            "rank_table": "ranks",
        }[self.kind]
        if not getattr(self, required):
            raise ValueError(f"a {self.kind} schedule needs {required}")
        if self.kind == "pct" and self.rate is not None and self.rate > 1:
            raise ValueError(
                f"a pct rate is a fraction of the measure (0.02 is 2%), not {self.rate}"
            )
        for name, key in (("steps", "at"), ("bands", "start"), ("ranks", "to")):
            items = getattr(self, name) or []
            keys = [getattr(item, key) for item in items]
            if any(b <= a for a, b in itertools.pairwise(keys)):
                label = "from" if key == "start" else key
                raise ValueError(f"{name} must be in increasing order of {label}")
        return self

    def levels(self) -> list[tuple[float, str]]:
        """The thresholds of the schedule and their names (``Level n`` when unnamed)."""
        if self.steps:
            return [(s.at, s.name or f"Level {i}") for i, s in enumerate(self.steps, 1)]
        if self.bands:
            return [(b.start, b.name or f"Band {i}") for i, b in enumerate(self.bands, 1)]
        if self.kind in ("per_unit", "pct") and self.min:
            return [(self.min, "Minimum")]
        return []


class Reward(_Spec):
    """What the reward is paid in, who funds it, and the share of face value it is expected
    to cost once redeemed (vouchers and credits expire unused: breakage)."""

    form: RewardForm
    funding: Literal["platform", "seller", "co_funded"] = "platform"
    realised_share: float = Field(default=1.0, gt=0, le=1)


class Caps(_Spec):
    """Per period: the most one merchant earns, the most all merchants of a segment tier earn
    together, and the program's whole pool. Over a tier or pool cap, awards shrink pro rata."""

    merchant: Decimal | None = Field(default=None, gt=0)
    tier: dict[Tier, Decimal] = Field(default_factory=dict)
    pool: Decimal | None = Field(default=None, gt=0)

    @field_validator("tier")
    @classmethod
    def _positive(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for tier, cap in value.items():
            if cap <= 0:
                raise ValueError(f"the {tier} cap must be above 0")
        return value


class ValidSession(_Spec):
    """A LIVE session counts when it lasts ``min_minutes`` with ``min_products_pinned``."""

    min_minutes: float = Field(default=60, ge=0, le=24 * 60)
    min_products_pinned: int = Field(default=1, ge=0)


class Refund(_Spec):
    """A merchant whose LIVE orders of the period were returned at ``max_rate`` or more (with
    at least ``min_orders`` orders) is disqualified for the period."""

    max_rate: float = Field(gt=0, le=1)
    min_orders: int = Field(default=10, ge=1)


class Integrity(_Spec):
    """What does not count: sessions that are too short or unpinned, sessions an exclusion
    (a condition over the session's columns, e.g. idle streams) catches, and merchants with a
    high refund rate; ``one_strike``: a merchant disqualified once stays out."""

    valid_session: ValidSession = Field(default_factory=ValidSession)
    exclude_sessions: dict[str, str] = Field(default_factory=dict)
    refund: Refund | None = None
    one_strike: bool = False

    @field_validator("exclude_sessions")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not SLUG.match(name):
                raise ValueError(f"exclusion name {name!r} must be lower-case words like idle")
        return value


class Clawback(_Spec):
    """Rewards are checked again ``window_days`` after a period with the returns known then."""

    window_days: int = Field(default=30, ge=0, le=365)


class Settlement(_Spec):
    """Rewards are paid ``lag_days`` after the period ends."""

    lag_days: int = Field(default=10, ge=0, le=180)


class Holdout(_Spec):
    """A random share of eligible merchants kept out (not paid) to measure the program's
    effect; drawn within each stratum (segment tier, or tier and stage) with ``seed``."""

    share: float = Field(gt=0, le=0.5)
    stratify: Literal["tier", "tier_stage"] = "tier"
    seed: int = Field(default=0, ge=0)


class Program(_Spec):
    """One version of a LIVE incentive program."""

    program: str
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    template: str | None = None
    period: Period
    eligibility: Eligibility = Field(default_factory=Eligibility)
    target: Target
    schedule: Schedule
    schedules: dict[Tier, Schedule] = Field(default_factory=dict)
    reward: Reward
    caps: Caps = Field(default_factory=Caps)
    budget: Decimal | None = Field(default=None, gt=0)
    integrity: Integrity = Field(default_factory=Integrity)
    clawback: Clawback = Field(default_factory=Clawback)
    settlement: Settlement = Field(default_factory=Settlement)
    holdout: Holdout | None = None
    origin: Origin | None = Field(default=None, exclude=True)

    @field_validator("program")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value) or len(value) > 100:
            raise ValueError(f"program {value!r} must be lower-case words joined by - or _")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Program:
        for schedule in (self.schedule, *self.schedules.values()):
            if schedule.kind == "pct" and MEASURES[self.target.metric][0] != "money":
                raise ValueError(
                    f"a pct schedule pays a share of money, not of {self.target.metric}"
                )
        return self

    @property
    def ref(self) -> str:
        return f"{self.program}@{self.version}"

    def schedule_of(self, tier: str) -> Schedule:
        """The schedule that applies to merchants of segment ``tier``."""
        found: Schedule = self.schedules.get(tier, self.schedule)  # type: ignore[call-overload]
        return found

    def measures_used(self) -> list[str]:
        """Every measure the program reads (target, qualifying minimums, their bases)."""
        names = [self.target.metric, *self.target.qualify]
        names += [INCREMENTAL[n] for n in names if n in INCREMENTAL]
        return list(dict.fromkeys(names))
