"""What a program will cost before it launches, and what it would have paid on a past period.

**Monte-Carlo** (:func:`simulate`): each draw gives every merchant one of its *own* past
periods (a bootstrap of the merchant's own variability: a merchant streaming 2–20 sessions a
month draws anything in that range, a steady one stays steady), then applies the **response
assumption** — each merchant's activity grows by an uplift drawn from a normal distribution
(``uplift`` ± ``sd``, never below −100%); counts are rounded at random in proportion (7 × 1.1
sessions is 7 or 8, 8 seven times in ten) so thresholds are crossed as often as they would be
— then runs the payout arithmetic itself (:mod:`pasar.incentives.rewards`: schedules, tier
schedules, qualifying minimums, the refund rule, every cap, rounding). Incremental targets
compare with the merchant's last period, the baseline a launch next period would freeze.

It reports the expected cost, its P50 and P95, the chance of exceeding the budget, the
expected realised cost (face value × the reward form's realised share), and the cost per
incremental valid session and per rupiah of incremental LIVE GMV (the program's expected cost
over the expected increase the response assumption produces); :func:`sensitivity` repeats it
over several uplifts with the same draws.

**Backtest** (:func:`backtest`): the program replayed exactly on a past period — the shops
eligible the day before it started, their segments, the holdout drawn as enrolment would, and
the payout engine on that period's data.

Example::

    past = history(ctx, con, compiled, merchants, periods=6)
    result = simulate(compiled.program, past, Response(uplift=0.1, sd=0.05), draws=2000)
    result.expected, result.p95, result.p_over_budget
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np

from pasar.incentives.activity import Rules, Span, aligned, measure
from pasar.incentives.measurement import assign_holdout
from pasar.incentives.payouts import Period, compute, gather_measures, last_complete
from pasar.incentives.programs import CompiledProgram
from pasar.incentives.rewards import by_tier, capped, qualifies
from pasar.incentives.service import Context, candidates, eligibility_on
from pasar.incentives.spec import INCREMENTAL, Program, Window

COUNTS = (
    "valid_sessions",
    "live_days",
    "longest_streak",
    "live_orders",
    "live_views",
    "product_clicks",
)
AMOUNTS = ("valid_hours", "live_gmv")
GROWN = COUNTS + AMOUNTS


@dataclass(frozen=True)
class Response:
    """How merchants respond to the program: their activity grows by ``uplift`` (a fraction)
    on average, ``sd`` from merchant to merchant and period to period."""

    uplift: float = 0.10
    sd: float = 0.05


@dataclass(frozen=True)
class Merchants:
    """Who the simulation pays: sellers with their segment tier and stage."""

    sellers: list[str]
    tiers: list[str]
    stages: list[str]


@dataclass(frozen=True)
class History:
    """Merchants' measures over their last ``K`` periods: each measure an (M × K) array, the
    oldest period first; ``latest`` holds the measures of the last period (the baseline of an
    incremental target)."""

    merchants: Merchants
    windows: list[Window]
    measures: dict[str, np.ndarray]
    days: int  # the length of a period, in days (streaks and LIVE days cannot exceed it)


def history(
    ctx: Context,
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledProgram,
    merchants: Merchants,
    periods: int = 6,
    last_day: dt.date | None = None,
) -> History:
    """The merchants' measures, under the program's integrity rules, over the program's last
    ``periods`` complete periods before ``last_day`` (the warehouse's last day by default)."""
    program = compiled.program
    last_day = last_day or ctx.last_day(con)
    last = program.period.window(last_day)
    if last.end > last_day:
        last = program.period.shifted(last, 1)
    windows = [program.period.shifted(last, k) for k in range(periods - 1, -1, -1)]
    spans = [Span(w.label, w.start, w.end, w.end) for w in windows]
    table = measure(con, spans, Rules.of(compiled), ctx.settings.timezone, merchants.sellers)
    columns = [aligned(table, w.label, merchants.sellers) for w in windows]
    names = list(columns[0]) if columns else []
    found = {name: np.column_stack([c[name] for c in columns]) for name in names}
    return History(merchants, windows, found, max(w.days for w in windows) if windows else 30)


@dataclass(frozen=True)
class Simulation:
    """The distribution of a program's cost over simulated periods."""

    draws: int
    costs: np.ndarray  # per draw
    expected: float
    p50: float
    p95: float
    budget: float | None
    p_over_budget: float | None
    realised: float
    incremental_sessions: float
    incremental_gmv: float
    cost_per_session: float | None
    cost_per_gmv: float | None
    paid_share: float  # expected share of merchants paid
    merchant_cost: np.ndarray  # expected cost per merchant
    merchant_gmv: np.ndarray  # expected incremental LIVE GMV per merchant

    def summary(self) -> dict[str, Any]:
        return {
            "draws": self.draws,
            "expected": self.expected,
            "p50": self.p50,
            "p95": self.p95,
            "budget": self.budget,
            "p_over_budget": self.p_over_budget,
            "realised": self.realised,
            "incremental_sessions": self.incremental_sessions,
            "incremental_gmv": self.incremental_gmv,
            "cost_per_session": self.cost_per_session,
            "cost_per_gmv": self.cost_per_gmv,
            "paid_share": self.paid_share,
        }


def simulate(
    program: Program,
    past: History,
    response: Response,
    draws: int = 2000,
    seed: int = 0,
    currency: str = "IDR",
    scale: float = 1.0,
) -> Simulation:
    """The Monte-Carlo cost of ``program`` for ``past``'s merchants (see the module's
    docstring); ``scale`` multiplies every reward amount and cap (an offer level)."""
    rng = np.random.default_rng(seed)
    base, treated = _draw(past, response, draws, rng)
    return _cost(program, past, base, treated, currency, scale)


def _draw(
    past: History, response: Response, draws: int, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    m = len(past.merchants.sellers)
    k = len(past.windows)
    pick = rng.integers(0, max(k, 1), size=(m, draws))
    rows = np.arange(m)[:, None]
    base = {name: values[rows, pick] for name, values in past.measures.items()} if k else {}
    uplift = np.maximum(rng.normal(response.uplift, response.sd, size=(m, draws)), -1.0)
    chance = rng.random(size=(m, draws))
    treated = dict(base)
    for name in GROWN:
        if name not in base:
            continue
        grown = base[name] * (1 + uplift)
        if name in COUNTS:
            whole = np.floor(grown)
            grown = whole + (chance < grown - whole)
        if name in ("live_days", "longest_streak"):
            grown = np.minimum(grown, past.days)
        treated[name] = grown
    return base, treated


def _cost(
    program: Program,
    past: History,
    base: dict[str, np.ndarray],
    treated: dict[str, np.ndarray],
    currency: str,
    scale: float,
) -> Simulation:
    m = len(past.merchants.sellers)
    draws = next(iter(treated.values())).shape[1] if treated else 0
    latest = {name: values[:, -1:] for name, values in past.measures.items()}
    for name, source in INCREMENTAL.items():
        if source in treated:
            treated[name] = treated[source] - latest[source]
    tiers = np.asarray(past.merchants.tiers, dtype=object)
    shape = (m, draws)
    paid = qualifies(program.target.qualify, treated, shape)
    refund = program.integrity.refund
    if refund is not None and "refund_rate" in treated:
        rate = np.nan_to_num(treated["refund_rate"], nan=0.0)
        paid &= ~((rate >= refund.max_rate - 1e-12) & (treated["own_orders"] >= refund.min_orders))
    value = treated[program.target.metric] if m else np.zeros(shape)
    schedules = {str(tier): schedule for tier, schedule in program.schedules.items()}
    gross, _ = by_tier(schedules, program.schedule, tiers, value, paid)
    caps = program.caps
    if scale != 1.0:
        gross = gross * scale
        caps = caps.model_copy(
            update={
                "merchant": caps.merchant * _dec(scale) if caps.merchant else None,
                "tier": {t: c * _dec(scale) for t, c in caps.tier.items()},
                "pool": caps.pool * _dec(scale) if caps.pool else None,
            }
        )
    _, amount = capped(caps, gross, tiers, currency)
    costs = amount.sum(axis=0) if m else np.zeros(draws)
    budget = float(program.budget) * scale if program.budget is not None else None
    sessions = (treated["valid_sessions"] - base["valid_sessions"]).sum(axis=0) if m else costs * 0
    gmv = (treated["live_gmv"] - base["live_gmv"]).sum(axis=0) if m else costs * 0
    expected = float(costs.mean()) if draws else 0.0
    more_sessions, more_gmv = float(sessions.mean()), float(gmv.mean())
    return Simulation(
        draws=draws,
        costs=costs,
        expected=expected,
        p50=float(np.percentile(costs, 50)) if draws else 0.0,
        p95=float(np.percentile(costs, 95)) if draws else 0.0,
        budget=budget,
        p_over_budget=float((costs > budget).mean()) if budget is not None and draws else None,
        realised=expected * program.reward.realised_share,
        incremental_sessions=more_sessions,
        incremental_gmv=more_gmv,
        cost_per_session=expected / more_sessions if more_sessions > 0 else None,
        cost_per_gmv=expected / more_gmv if more_gmv > 0 else None,
        paid_share=float((amount > 0).mean()) if m and draws else 0.0,
        merchant_cost=amount.mean(axis=1) if draws else np.zeros(m),
        merchant_gmv=(treated["live_gmv"] - base["live_gmv"]).mean(axis=1) if m else np.zeros(0),
    )


def _dec(value: float) -> Any:
    from decimal import Decimal

    return Decimal(repr(value))


def sensitivity(
    program: Program,
    past: History,
    uplifts: Sequence[float] = (0.0, 0.05, 0.10, 0.20, 0.30),
    sd: float = 0.05,
    draws: int = 1000,
    seed: int = 0,
    currency: str = "IDR",
) -> list[dict[str, Any]]:
    """The simulation at each uplift, with the same random draws (common random numbers), so
    the differences come from the response alone."""
    rows = []
    for uplift in uplifts:
        result = simulate(program, past, Response(uplift, sd), draws, seed, currency)
        rows.append({"uplift": uplift, **result.summary()})
    return rows


def merchants_for(
    ctx: Context, con: duckdb.DuckDBPyConnection, compiled: CompiledProgram, day: dt.date
) -> Merchants:
    """The shops a launch on ``day`` would pay: eligible then, less the holdout it would draw."""
    _, _, chosen = candidates(ctx, con, compiled, day)
    program = compiled.program
    sellers = [s["seller_id"] for s in chosen]
    if program.holdout is not None:
        strata = [s["tier"] if program.holdout.stratify == "tier" else f"{s['tier']}/{s['stage']}"
                  for s in chosen]  # fmt: skip
        arms = assign_holdout(sellers, strata, program.holdout.share, program.holdout.seed,
                              program.program)  # fmt: skip
        chosen = [s for s, arm in zip(chosen, arms, strict=True) if arm == "treatment"]
    return Merchants(
        [s["seller_id"] for s in chosen], [s["tier"] for s in chosen], [s["stage"] for s in chosen]
    )


def backtest(
    ctx: Context,
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledProgram,
    window: Window | None = None,
) -> Period:
    """The program replayed on a past period (the last complete one by default) as if it had
    launched then: shops eligible the day before the period, segments and holdout as
    enrolment would draw them, the period's own data, the payout engine."""
    program = compiled.program
    if window is None:
        window = last_complete(compiled, ctx.last_day(con))
        if window is None:
            from pasar.kit.errors import ValidationError

            raise ValidationError("no complete period of the program in the warehouse yet")
    day = window.start - dt.timedelta(days=1)
    _, _, chosen = candidates(ctx, con, compiled, day)
    sellers = [s["seller_id"] for s in chosen]
    tiers = [s["tier"] for s in chosen]
    stages = [s["stage"] for s in chosen]
    arms = ["treatment"] * len(sellers)
    if program.holdout is not None:
        strata = [t if program.holdout.stratify == "tier" else f"{t}/{g}"
                  for t, g in zip(tiers, stages, strict=True)]  # fmt: skip
        arms = assign_holdout(sellers, strata, program.holdout.share, program.holdout.seed,
                              program.program)  # fmt: skip
    measures = gather_measures(ctx, con, compiled, window, window.end, sellers)
    at_end = eligibility_on(ctx, con, compiled, window.end)
    eligible = np.array([at_end.eligible.get(s, False) for s in sellers], dtype=bool)
    return compute(
        program, window, window.end, sellers, tiers, stages, arms, measures, eligible,
        np.zeros(len(sellers), dtype=bool), ctx.settings.currency, "backtest",
    )  # fmt: skip
