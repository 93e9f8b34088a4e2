"""The cost simulation against closed forms on simple cases (a per-unit expectation, a step
schedule whose cost is binomial, the response's rounding), and the backtest against a payout
actually run on the same period."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from scipy import stats  # type: ignore[import-untyped]

from pasar import migrations
from pasar.incentives import payouts, service, simulation
from pasar.incentives.spec import Program, Window
from pasar.kit.db import Database
from tests.conftest import empty_database
from tests.incentives.conftest import World


def _program(schedule: str, extra: str = "") -> Program:
    text = (
        "program: sim\nversion: 1\nname: Sim\nperiod: {every: month, start: 2026-01-01}\n"
        f"target: {{metric: valid_sessions}}\nschedule: {schedule}\nreward: {{form: cash}}\n{extra}"
    )
    return Program.model_validate(yaml.safe_load(text))


def _history(sessions: np.ndarray) -> simulation.History:
    m, k = sessions.shape
    zeros = np.zeros((m, k))
    measures = {
        "valid_sessions": sessions.astype(float),
        "valid_hours": sessions * 1.5,
        "live_gmv": sessions * 100_000.0,
        "live_days": np.minimum(sessions, 30).astype(float),
        "longest_streak": zeros,
        "live_orders": sessions.astype(float),
        "own_orders": sessions.astype(float),
        "refund_rate": zeros,
    }
    merchants = simulation.Merchants([f"S{i}" for i in range(m)], ["mid"] * m, ["growth"] * m)
    windows = [Window(dt.date(2026, 1, 1), dt.date(2026, 1, 31), f"w{i}") for i in range(k)]
    return simulation.History(merchants, windows, measures, 31)


def test_per_unit_cost_is_the_mean_of_each_merchants_own_history() -> None:
    rng = np.random.default_rng(1)
    sessions = rng.integers(0, 20, size=(30, 6))
    program = _program("{kind: per_unit, rate: 1000}")
    result = simulation.simulate(program, _history(sessions), simulation.Response(0, 0), 20_000, 3)
    exact = 1000 * sessions.mean(axis=1).sum()
    # each draw's cost is a sum of independent per-merchant draws: its sd is known exactly
    sd = 1000 * np.sqrt(sessions.var(axis=1).sum())
    assert abs(result.expected - exact) < 4 * sd / np.sqrt(20_000)
    assert result.costs.std() == pytest.approx(sd, rel=0.03)
    assert result.incremental_sessions == 0 and result.cost_per_session is None


def test_a_step_schedule_costs_a_binomial_and_its_budget_risk_is_exact() -> None:
    # 20 identical merchants whose months were 0 or 10 sessions: each reaches the step with
    # probability 1/2, so the cost is 50,000 × Binomial(20, 1/2)
    sessions = np.tile([0, 10], (20, 1))
    program = _program("{kind: step, steps: [{at: 10, amount: 50000}]}", "budget: 600000\n")
    result = simulation.simulate(program, _history(sessions), simulation.Response(0, 0), 40_000, 7)
    binomial = stats.binom(20, 0.5)
    assert result.expected == pytest.approx(50_000 * binomial.mean(), rel=0.01)
    assert result.p_over_budget == pytest.approx(binomial.sf(12), abs=0.01)  # P(X > 12)
    assert result.p50 == 50_000 * binomial.median()
    assert result.p95 == 50_000 * binomial.ppf(0.95)
    # a pool cap at the budget: the cost never exceeds it
    capped = _program(
        "{kind: step, steps: [{at: 10, amount: 50000}]}", "budget: 600000\ncaps: {pool: 600000}\n"
    )
    result = simulation.simulate(capped, _history(sessions), simulation.Response(0, 0), 5_000, 7)
    assert result.costs.max() <= 600_000 and result.p_over_budget == 0
    low = simulation.simulate(capped, _history(sessions), simulation.Response(0, 0), 5_000, 7)
    assert np.array_equal(low.costs, result.costs)  # same seed, same draws


def test_the_response_grows_counts_by_the_uplift_on_average() -> None:
    sessions = np.array([[5] * 4, [7] * 4, [0] * 4, [12] * 4])
    program = _program("{kind: per_unit, rate: 1000}")
    result = simulation.simulate(
        program, _history(sessions), simulation.Response(0.2, 0), 20_000, 5
    )
    assert result.incremental_sessions == pytest.approx(0.2 * 24, rel=0.02)
    assert result.expected == pytest.approx(1000 * 1.2 * 24, rel=0.01)
    assert result.cost_per_session == pytest.approx(result.expected / result.incremental_sessions)
    # 7 × 1.2 = 8.4: 8 or 9 sessions, never anything else
    rng = np.random.default_rng(0)
    _, treated = simulation._draw(_history(sessions), simulation.Response(0.2, 0), 1000, rng)
    assert set(np.unique(treated["valid_sessions"][1])) == {8.0, 9.0}
    assert set(np.unique(treated["valid_sessions"][0])) == {6.0}
    curve = simulation.sensitivity(program, _history(sessions), (0.0, 0.1, 0.3), sd=0, draws=2000)
    assert [row["expected"] for row in curve] == sorted(row["expected"] for row in curve)


def test_the_backtest_replays_a_past_period_as_a_payout_would(world: World, tmp_path: Path) -> None:
    ctx, con = world.ctx, world.con
    with empty_database("sqlite", tmp_path) as url:
        migrations.upgrade(url)
        database = Database(url)
        with database.unit_of_work() as session:
            row = service.create_from_template(session, ctx, "daily-live-streak", "streak", "t")
            compiled = service.compiled_of(ctx, row)
            september = compiled.program.period.parse("2026-09")
            replayed = simulation.backtest(ctx, con, compiled, september)
            service.set_status(session, "streak", "active", row.version, "t")
            service.enrol(session, ctx, "streak", dt.date(2026, 8, 31), "t", con)
            run = payouts.run_payout(session, ctx, "streak", "2026-09", "t", con)
            stored = {line.seller_id: line for line in payouts.lines_of(session, run.id)}
        database.dispose()
    assert sorted(stored) == sorted(replayed.sellers)
    for i, seller in enumerate(replayed.sellers):
        line = stored[seller]
        found = (line.status, float(line.amount), line.arm, line.explanation_en)
        assert found == (
            replayed.status[i],
            replayed.amount[i],
            replayed.arms[i],
            replayed.explanation_en[i],
        ), seller
    assert float(run.total) == replayed.total > 0
    day = dt.date(2026, 8, 31)
    who = simulation.merchants_for(ctx, con, compiled, day)
    assert len(who.sellers) == sum(1 for line in stored.values() if line.arm == "treatment")
    past = simulation.history(ctx, con, compiled, who, 6, day)
    assert [w.label for w in past.windows] == [f"2026-0{m}" for m in range(3, 9)]
    forecast = simulation.simulate(compiled.program, past, simulation.Response(0.0, 0.0), 2000, 1)
    assert 0.3 * replayed.total < forecast.expected < 3 * replayed.total
