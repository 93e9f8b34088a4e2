"""Cross-check against GrowthBook's engine, gbstats 0.8.0 (pinned: its API and one variance
formula changed after it). gbstats pins numpy<2 and pandas<2, so it is not in the lock file;
``make test`` installs it beside the project without its pins (``make gbstats``); without it
these tests skip, except under ``CI=true`` where they fail.

The same sufficient statistics go into both; every figure must agree to 1e-9 (relative):
absolute and relative Welch, CUPED (pooled θ), ratios by the delta method, the flat-prior
Bayesian chance to win with its interval and risk, the sequential interval, and the SRM check.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest

if os.environ.get("CI") == "true":
    import gbstats  # type: ignore[import-untyped]  # CI must run the cross-check
else:
    gbstats = pytest.importorskip(
        "gbstats", reason="gbstats 0.8.0 is not installed: `make gbstats`"
    )
from gbstats.bayesian.tests import (  # type: ignore[import-untyped]
    EffectBayesianABTest,
    EffectBayesianConfig,
)
from gbstats.frequentist.tests import (  # type: ignore[import-untyped]
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import (  # type: ignore[import-untyped]
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)
from gbstats.utils import check_srm  # type: ignore[import-untyped]

from pasar.incentives import measurement as ours

TOLERANCE = 1e-9
VERSION = "0.8.0"


def _close(mine: float, theirs: float) -> None:
    assert mine == pytest.approx(theirs, rel=TOLERANCE, abs=1e-12)


def _version() -> str:
    from importlib.metadata import version

    return version("gbstats")


def test_the_pinned_version_is_installed() -> None:
    assert _version() == VERSION


def _merchants(seed: int, n_a: int = 1800, n_b: int = 2200) -> dict[str, Any]:
    """Merchant-level GMV (heavy tails, zero-GMV long tail), pre-period GMV and LIVE views."""
    rng = np.random.default_rng(seed)
    found = {}
    for arm, n, lift in (("a", n_a, 0.0), ("b", n_b, 0.05)):
        pre = rng.lognormal(13, 1.2, n) * (rng.random(n) > 0.15)
        post = pre * rng.lognormal(lift, 0.5, n) + rng.exponential(50_000, n)
        views = rng.poisson(pre / 2000 + 20) + 1
        found[arm] = (pre, post, views)
    return found


def _mean(values: np.ndarray) -> tuple[ours.MeanStats, SampleMeanStatistic]:
    stat = ours.MeanStats.of(values)
    return stat, SampleMeanStatistic(n=stat.n, sum=stat.sum, sum_squares=stat.sum_squares)


def _frequentist(mine: ours.Estimate, theirs: Any) -> None:
    assert theirs.error_message is None and mine.error is None
    _close(mine.effect, theirs.expected)
    _close(mine.ci_low, theirs.ci[0])
    _close(mine.ci_high, theirs.ci[1])
    _close(mine.p_value, theirs.p_value)
    _close(mine.se, theirs.uplift.stddev)


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("difference", ["absolute", "relative"])
def test_welch(seed: int, difference: str) -> None:
    arms = _merchants(seed)
    mine_a, theirs_a = _mean(arms["a"][1])
    mine_b, theirs_b = _mean(arms["b"][1])
    relative = difference == "relative"
    theirs = TwoSidedTTest(theirs_a, theirs_b, FrequentistConfig(difference_type=difference))
    _frequentist(ours.welch(mine_a, mine_b, relative), theirs.compute_result())


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("difference", ["absolute", "relative"])
def test_cuped(seed: int, difference: str) -> None:
    arms = _merchants(seed)
    mine, theirs = [], []
    for arm in ("a", "b"):
        pre, post, _ = arms[arm]
        stat = ours.CupedStats.of(post, pre)
        mine.append(stat)
        theirs.append(
            RegressionAdjustedStatistic(
                n=stat.n,
                post_statistic=SampleMeanStatistic(
                    n=stat.n, sum=stat.post.sum, sum_squares=stat.post.sum_squares
                ),
                pre_statistic=SampleMeanStatistic(
                    n=stat.n, sum=stat.pre.sum, sum_squares=stat.pre.sum_squares
                ),
                post_pre_sum_of_products=stat.post_pre_sum_of_products,
                theta=0.0,
            )
        )
    test = TwoSidedTTest(theirs[0], theirs[1], FrequentistConfig(difference_type=difference))
    result = test.compute_result()
    _close(ours.theta(mine[0], mine[1]), theirs[0].theta)
    _frequentist(ours.cuped(mine[0], mine[1], difference == "relative"), result)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("difference", ["absolute", "relative"])
def test_ratio_gpm(seed: int, difference: str) -> None:
    arms = _merchants(seed)
    mine, theirs = [], []
    for arm in ("a", "b"):
        _, gmv, views = arms[arm]
        stat = ours.RatioStats.of(gmv * 1000, views)
        mine.append(stat)
        theirs.append(
            RatioStatistic(
                n=stat.n,
                m_statistic=SampleMeanStatistic(
                    n=stat.n, sum=stat.m.sum, sum_squares=stat.m.sum_squares
                ),
                d_statistic=SampleMeanStatistic(
                    n=stat.n, sum=stat.d.sum, sum_squares=stat.d.sum_squares
                ),
                m_d_sum_of_products=stat.m_d_sum_of_products,
            )
        )
    test = TwoSidedTTest(theirs[0], theirs[1], FrequentistConfig(difference_type=difference))
    _frequentist(ours.welch(mine[0], mine[1], difference == "relative"), test.compute_result())


@pytest.mark.parametrize("seed", [1, 4])
@pytest.mark.parametrize("difference", ["absolute", "relative"])
def test_bayesian_chance_to_win(seed: int, difference: str) -> None:
    arms = _merchants(seed)
    mine_a, theirs_a = _mean(arms["a"][1])
    mine_b, theirs_b = _mean(arms["b"][1])
    relative = difference == "relative"
    config = EffectBayesianConfig(difference_type=difference, prior_type=difference)
    theirs = EffectBayesianABTest(theirs_a, theirs_b, config).compute_result()
    mine = ours.bayesian(ours.welch(mine_a, mine_b, relative))
    assert theirs.error_message is None and mine.error is None
    _close(mine.chance_to_win, theirs.chance_to_win)
    _close(mine.mean, theirs.expected)
    _close(mine.ci_low, theirs.ci[0])
    _close(mine.ci_high, theirs.ci[1])
    _close(mine.risk_control, theirs.risk[0])
    _close(mine.risk_treatment, theirs.risk[1])


@pytest.mark.parametrize("difference", ["absolute", "relative"])
def test_sequential(difference: str) -> None:
    arms = _merchants(5)
    mine_a, theirs_a = _mean(arms["a"][1])
    mine_b, theirs_b = _mean(arms["b"][1])
    config = SequentialConfig(difference_type=difference, sequential_tuning_parameter=5000)
    theirs = SequentialTwoSidedTTest(theirs_a, theirs_b, config).compute_result()
    _frequentist(ours.sequential(mine_a, mine_b, difference == "relative"), theirs)


def test_srm() -> None:
    for counts, weights in (([1795, 205], [0.9, 0.1]), ([5000, 4830, 0], [0.5, 0.5, 0.0])):
        _close(ours.srm_p_value(counts, weights), check_srm(counts, weights))


def test_the_same_guard_rails() -> None:
    zero_a, theirs_zero = _mean(np.zeros(50))
    mine_b, theirs_b = _mean(np.arange(50.0))
    result = TwoSidedTTest(theirs_zero, theirs_b, FrequentistConfig(difference_type="relative"))
    assert result.compute_result().error_message is not None
    assert ours.welch(zero_a, mine_b, relative=True).error == ours.BASELINE_ZERO
