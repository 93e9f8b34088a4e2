"""Reward schedules and caps with hand-computed amounts, one case per schedule type; the
caps in their order; rank-table ties; and a property: the 2-D (simulation) arithmetic is the
1-D (payout) arithmetic column by column."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pasar.incentives.rewards import amounts, by_tier, capped, round_down
from pasar.incentives.spec import Caps, Schedule

TOKOPEDIA_BANDS = [  # Tokopedia Merchant Reward Program batch 7 (reference §1.2)
    {"from": 50, "rate": 100},
    {"from": 1501, "rate": 200},
    {"from": 5001, "rate": 300},
    {"from": 15001, "rate": 350},
]


def _pay(schedule: Schedule, values: list[float]) -> list[float]:
    reward, _ = amounts(schedule, np.array(values), np.ones(len(values), dtype=bool))
    return [float(v) for v in reward]


def test_per_unit_pays_whole_units_from_the_minimum_up_to_the_most() -> None:
    schedule = Schedule(kind="per_unit", rate=25000, min=2, max_units=12)
    # 1 unit: below the minimum; 7.9: seven whole units; 15: twelve at most
    assert _pay(schedule, [1, 2, 7.9, 15]) == [0, 50_000, 175_000, 300_000]


def test_step_pays_the_highest_step_reached_once() -> None:
    schedule = Schedule(
        kind="step",
        steps=[
            {"at": 3, "amount": 75000},
            {"at": 5, "amount": 150000},
            {"at": 7, "amount": 300000},
        ],
    )
    assert _pay(schedule, [2, 3, 6, 30]) == [0, 75_000, 150_000, 300_000]
    _, level = amounts(schedule, np.array([2.0, 3.0, 6.0, 30.0]), np.ones(4, dtype=bool))
    assert level.tolist() == [-1, 0, 1, 2]


def test_all_units_prices_every_unit_at_the_band_reached() -> None:
    schedule = Schedule(kind="all_units", bands=TOKOPEDIA_BANDS)
    # the reference's worked example: 3,000 visits × Rp200 = Rp600,000; the cliff at 1,501
    assert _pay(schedule, [49, 50, 1500, 1501, 3000, 15001]) == [
        0, 5_000, 150_000, 300_200, 600_000, 5_250_350,
    ]  # fmt: skip


def test_marginal_prices_each_part_at_its_own_band() -> None:
    schedule = Schedule(kind="marginal", bands=TOKOPEDIA_BANDS)
    first = (1501 - 50) * 100
    assert _pay(schedule, [49, 50, 3000, 6000]) == [
        0,
        0,
        first + (3000 - 1501) * 200,
        first + (5001 - 1501) * 200 + (6000 - 5001) * 300,
    ]
    # no cliff: 1,500 → 1,501 adds a unit at 100, 1,501 → 1,502 one at 200
    low, high = _pay(schedule, [1500, 1502])
    assert high - low == pytest.approx(100 + 200)


def test_rank_table_prizes_and_ties_sharing_the_ranks_they_hold() -> None:
    schedule = Schedule(
        kind="rank_table",
        min_value=10,
        ranks=[
            {"to": 1, "amount": 1_000_000},
            {"to": 3, "amount": 500_000},
            {"to": 5, "amount": 100_000},
        ],
    )
    # A 50, B/C tied for ranks 2–3, D rank 4, E below the minimum, F rank 5
    reward, rank = amounts(
        schedule, np.array([50.0, 40.0, 40.0, 30.0, 9.0, 20.0]), np.ones(6, dtype=bool)
    )
    assert reward.tolist() == [1_000_000, 500_000, 500_000, 100_000, 0, 100_000]
    assert rank.tolist() == [1, 2, 2, 4, -1, 5]
    across = Schedule(
        kind="rank_table",
        ranks=[
            {"to": 1, "amount": 1_000_000},
            {"to": 2, "amount": 600_000},
            {"to": 3, "amount": 200_000},
        ],
    )
    # B and C hold ranks 2 and 3 together: (600,000 + 200,000) / 2 each
    assert _pay(across, [50, 40, 40]) == [1_000_000, 400_000, 400_000]
    # more merchants than prizes; those not paid do not compete
    reward, _ = amounts(
        across, np.array([5.0, 50.0, 40.0, 30.0]), np.array([True, False, True, True])
    )
    assert reward.tolist() == [200_000, 0, 1_000_000, 600_000]


def test_pct_pays_a_share_of_money_from_the_minimum() -> None:
    schedule = Schedule(kind="pct", rate=0.02, min=1_000_000)
    reward = _pay(schedule, [999_999, 1_000_000, 12_345_678])
    assert reward[:2] == [0, 20_000]
    assert round_down(np.array(reward[2:])).tolist() == [246_913]  # 246,913.56 rounded down


def test_nobody_not_payable_is_paid() -> None:
    schedule = Schedule(kind="per_unit", rate=1000)
    reward, level = amounts(schedule, np.array([5.0, 5.0, np.nan]), np.array([True, False, True]))
    assert reward.tolist() == [5000, 0, 0] and level.tolist() == [0, -1, -1]


def test_caps_apply_merchant_then_tier_then_pool_and_never_exceed_by_rounding() -> None:
    caps = Caps(merchant=500_000, tier={"mid": 600_000}, pool=1_000_000)
    tiers = np.array(["top", "top", "mid", "mid", "long_tail"], dtype=object)
    gross = np.array([700_000, 300_000, 400_000, 400_000, 200_000], dtype=float)
    own, final = capped(caps, gross, tiers)
    assert own.tolist() == [500_000, 300_000, 400_000, 400_000, 200_000]
    # mid 800,000 → 600,000 (×0.75): 300,000 each; total 1.6M → pool 1M (×0.625)
    assert final.tolist() == [312_500, 187_500, 187_500, 187_500, 125_000]
    assert final.sum() == 1_000_000
    # thirds: each rounded down, so the pool holds
    _, split = capped(Caps(pool=100), np.array([100.0, 100.0, 100.0]), np.array(["a"] * 3))
    assert split.tolist() == [33, 33, 33] and split.sum() <= 100


def test_tier_schedules_override_the_default_for_their_tier() -> None:
    default = Schedule(kind="step", steps=[{"at": 4, "amount": 100}])
    top = Schedule(kind="step", steps=[{"at": 8, "amount": 100}])
    reward, _ = by_tier(
        {"top": top}, default, np.array(["top", "mid", "top"], dtype=object),
        np.array([6.0, 6.0, 9.0]), np.ones(3, dtype=bool),
    )  # fmt: skip
    assert reward.tolist() == [0, 100, 100]


SCHEDULES = [
    Schedule(kind="per_unit", rate=1000, min=2, max_units=9),
    Schedule(kind="step", steps=[{"at": 3, "amount": 50}, {"at": 6, "amount": 90}]),
    Schedule(kind="all_units", bands=[{"from": 2, "rate": 10}, {"from": 5, "rate": 20}]),
    Schedule(kind="marginal", bands=[{"from": 2, "rate": 10}, {"from": 5, "rate": 20}]),
    Schedule(
        kind="rank_table", min_value=1, ranks=[{"to": 2, "amount": 70}, {"to": 4, "amount": 30}]
    ),
    Schedule(kind="pct", rate=0.1, min=2),
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(SCHEDULES),
    st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=1, max_size=8),
)
def test_many_draws_at_once_equal_one_draw_at_a_time(
    schedule: Schedule, rows: list[list[int]]
) -> None:
    values = np.array(rows, dtype=float)  # merchants × draws
    paid = values % 2 == 0
    caps = Caps(merchant=150, pool=400)
    tiers = np.array(["mid"] * len(rows), dtype=object)
    together, _ = amounts(schedule, values, paid)
    _, together_final = capped(caps, together, tiers)
    for j in range(values.shape[1]):
        alone, _ = amounts(schedule, values[:, j], paid[:, j])
        _, alone_final = capped(caps, alone, tiers)
        assert np.array_equal(together[:, j], alone)
        assert np.array_equal(together_final[:, j], alone_final)
        assert alone_final.sum() <= 400 and (alone_final <= 150).all()
