"""The payout engine's arithmetic on hand-made merchants (no warehouse): integrity exclusions,
qualifying minimums, tier schedules with caps, clawbacks, progress and the explanations, with
every amount computed by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import yaml

from pasar.incentives.payouts import compute
from pasar.incentives.spec import Program, Window

OCTOBER = Window(dt.date(2026, 10, 1), dt.date(2026, 10, 31), "2026-10")

ATTAINMENT = """
program: scenario
version: 1
name: Scenario
period: {every: month, start: 2026-01-01}
target: {metric: valid_sessions, qualify: {valid_hours: 5}}
schedule:
  kind: step
  steps:
    - {at: 4, amount: 100000, name: Bronze}
    - {at: 8, amount: 250000, name: Silver}
    - {at: 15, amount: 500000, name: Gold}
schedules:
  top:
    kind: step
    steps: [{at: 8, amount: 100000, name: Bronze}, {at: 15, amount: 250000, name: Silver}]
reward: {form: ads_credit, realised_share: 0.8}
caps: {merchant: 400000, tier: {mid: 300000}, pool: 1000000}
integrity:
  refund: {max_rate: 0.30, min_orders: 10}
  one_strike: true
settlement: {lag_days: 10}
"""


def _program(text: str = ATTAINMENT, **changes: Any) -> Program:
    document = yaml.safe_load(text)
    document.update(changes)
    return Program.model_validate(document)


def _measures(**columns: list[float]) -> dict[str, np.ndarray]:
    n = len(next(iter(columns.values())))
    base = {
        "valid_sessions": [0.0] * n,
        "valid_hours": [0.0] * n,
        "refund_rate": [np.nan] * n,
        "own_orders": [0.0] * n,
        "live_gmv": [0.0] * n,
    }
    base.update(columns)
    return {name: np.array(values, dtype=float) for name, values in base.items()}


def _run(program: Program, measures: dict[str, np.ndarray], **kwargs: Any) -> Any:
    n = len(measures["valid_sessions"])
    options: dict[str, Any] = {
        "sellers": [f"S{i}" for i in range(n)],
        "tiers": ["mid"] * n,
        "stages": ["growth"] * n,
        "arms": ["treatment"] * n,
        "eligible": np.ones(n, dtype=bool),
        "struck": np.zeros(n, dtype=bool),
    }
    options.update(kwargs)
    return compute(
        program, OCTOBER, OCTOBER.end, options.pop("sellers"), options.pop("tiers"),
        options.pop("stages"), options.pop("arms"), measures, options.pop("eligible"),
        options.pop("struck"), **options,
    )  # fmt: skip


def test_integrity_exclusions_in_their_order() -> None:
    measures = _measures(
        valid_sessions=[9, 9, 9, 9, 9, 9, 9],
        valid_hours=[20, 20, 20, 20, 20, 20, 20],
        refund_rate=[0.30, 0.35, 0.29, 0.50, 0.50, np.nan, 0.0],
        own_orders=[10, 9, 20, 40, 40, 0, 12],
    )
    period = _run(
        _program(caps={}),
        measures,
        arms=["treatment"] * 3 + ["holdout"] + ["treatment"] * 3,
        eligible=np.array([True, True, True, True, False, True, True]),
        struck=np.array([False, False, False, False, False, True, False]),
    )
    assert period.exclusion == [
        "refund rate",  # 30% of 10 orders: at the limit
        None,  # 35% of only 9 orders: too few to judge
        None,  # 29%
        "holdout",  # before anything else
        "not eligible",
        "one strike",  # disqualified in an earlier period
        None,
    ]
    assert period.status == [
        "excluded", "paid", "paid", "holdout", "excluded", "excluded", "paid"
    ]  # fmt: skip
    assert period.amount.tolist() == [0, 250_000, 250_000, 0, 0, 0, 250_000]
    assert "refund rate is at or above 30% (with 10 or more orders)" in period.explanation_en[0]
    assert "30.0% of 10 LIVE orders" in period.explanation_en[0]
    assert "Kelompok kontrol" in period.explanation_id[3]
    assert "no longer meets the program's eligibility" in period.explanation_en[4].lower()
    assert "(one strike)" in period.explanation_en[5]


def test_one_strike_only_when_the_program_says_so() -> None:
    program = _program(integrity={"refund": {"max_rate": 0.3, "min_orders": 10}})
    period = _run(program, _measures(valid_sessions=[9], valid_hours=[9]), struck=np.array([True]))
    assert period.status == ["paid"] and period.amount.tolist() == [250_000]


def test_qualifying_minimum_levels_tier_schedules_and_the_three_caps() -> None:
    measures = _measures(
        valid_sessions=[23, 16, 16, 9, 3, 30, 8],
        valid_hours=[41.5, 30, 30, 12, 9, 40, 4.9],
    )
    tiers = ["top", "top", "mid", "mid", "mid", "long_tail", "long_tail"]
    period = _run(_program(), measures, tiers=tiers)
    # gross: top uses its own steps (16 → Silver 250k, 23 → Silver 250k); mid 16 → Gold 500k,
    # 9 → Silver 250k, 3 → nothing; long tail 30 → Gold 500k, 8 sessions but 4.9 h: unqualified
    assert period.gross.tolist() == [250_000, 250_000, 500_000, 250_000, 0, 500_000, 0]
    assert period.level == ["Silver", "Silver", "Gold", "Silver", None, "Gold", None]
    # merchant cap 400k: 500k → 400k; mid tier 400k + 250k = 650k → 300k (×6/13);
    # pool: 250 + 250 + 184,615.38 + 115,384.61 + 400 = 1,200k → 1M (×5/6), rounded down
    assert period.capped.tolist() == [250_000, 250_000, 400_000, 250_000, 0, 400_000, 0]
    mid_factor = 300_000 / 650_000
    pool_factor = 1_000_000 / (250_000 + 250_000 + 300_000 + 400_000)
    expected = [
        250_000 * pool_factor,
        250_000 * pool_factor,
        400_000 * mid_factor * pool_factor,
        250_000 * mid_factor * pool_factor,
        0,
        400_000 * pool_factor,
        0,
    ]
    assert period.amount.tolist() == [float(int(v + 1e-6)) for v in expected]
    assert period.amount.sum() <= 1_000_000
    assert period.status[4] == period.status[6] == "not_reached"
    assert "Bronze needs 4 valid sessions (1 more)" in period.explanation_en[4]
    assert "needs at least 4.9 h LIVE" not in period.explanation_en[6]
    assert "Needs at least 5.0 h LIVE to qualify." in period.explanation_en[6]
    assert period.explanation_en[0].startswith("Silver: 23 valid sessions, 41.5 h LIVE.")
    assert "paid on 2026-11-10" in period.explanation_en[0]
    assert "(capped from IDR 500,000)" in period.explanation_en[2]
    assert period.explanation_id[0].startswith("Silver: 23 sesi valid, 41,5 jam LIVE.")
    # progress: to the next level not reached (top: 23 of 15 reached, all reached → of 15)
    assert period.progress[0] == 23 / 15
    assert period.progress[4] == 3 / 4
    assert period.progress[3] == 9 / 15


def test_clawback_keeps_at_most_what_was_paid() -> None:
    program = _program(caps={})
    measures = _measures(valid_sessions=[9, 5, 9], valid_hours=[10, 10, 10])
    period = _run(
        program, measures, kind="clawback", paid_before=np.array([250_000.0, 250_000.0, 0.0])
    )
    # now Silver (kept), Bronze 100k (150k back), and 250k newly earned but never paid
    assert period.amount.tolist() == [250_000, 100_000, 0]
    assert period.clawback.tolist() == [0, 150_000, 0]
    assert period.status == ["kept", "clawed_back", "not_reached"]
    assert "IDR 150,000 clawed back" in period.explanation_en[1]
    assert "keeps IDR 100,000" in period.explanation_en[1]


def test_refund_found_in_the_clawback_window_takes_everything_back() -> None:
    measures = _measures(valid_sessions=[9], valid_hours=[10], refund_rate=[0.4], own_orders=[20])
    period = _run(_program(caps={}), measures, kind="clawback", paid_before=np.array([250_000.0]))
    assert period.exclusion == ["refund rate"]
    assert (period.amount[0], period.clawback[0]) == (0, 250_000)
    assert period.status == ["clawed_back"]


def test_lines_hold_decimal_money_and_the_measures_shown() -> None:
    period = _run(_program(caps={}), _measures(valid_sessions=[9], valid_hours=[12.25]))
    (line,) = period.lines()
    assert line["amount"] == Decimal("250000") and isinstance(line["amount"], Decimal)
    assert line["measures"]["valid_hours"] == 12.25
    assert line["level"] == "Silver" and line["status"] == "paid"


def test_pct_on_incremental_gmv_and_a_rank_table() -> None:
    pct = _program(
        target={"metric": "incremental_gmv", "baseline": {"periods_before": 1}},
        schedule={"kind": "pct", "rate": 0.05, "min": 1_000_000},
        schedules={},
        caps={"merchant": 200_000},
    )
    measures = _measures(valid_sessions=[5, 5, 5])
    measures["incremental_gmv"] = np.array([999_999.0, 2_345_678.0, 9_000_000.0])
    period = _run(pct, measures)
    assert period.amount.tolist() == [0, 117_283, 200_000]  # 5% of 2,345,678 = 117,283.9
    assert "LIVE GMV +IDR 2,345,678 on the baseline period" in period.explanation_en[1]
    ranked = _program(
        target={"metric": "incremental_gmv", "baseline": {"periods_before": 1}},
        schedule={"kind": "rank_table", "min_value": 500_000,
                  "ranks": [{"to": 1, "amount": 2_000_000}, {"to": 2, "amount": 1_000_000}]},
        schedules={},
        caps={},
    )  # fmt: skip
    period = _run(ranked, measures, arms=["treatment", "treatment", "holdout"])
    # the holdout merchant (9M) does not compete: 2,345,678 ranks first, 999,999 second
    assert period.amount.tolist() == [1_000_000, 2_000_000, 0]
    assert period.level == ["Rank 2", "Rank 1", None]
