"""The measurement statistics against independent references — scipy's Welch test and
chi-square, hand-written delta-method and CUPED formulas, numerical integration, an OLS with
a cluster-robust sandwich written out (and statsmodels when installed) — then simulated
experiments with a planted effect: 95% intervals cover it in 93–97% of 400 runs, and a broken
assignment is caught by the sample-ratio check."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats  # type: ignore[import-untyped]

from pasar.incentives.measurement import (
    CupedStats,
    MeanStats,
    RatioStats,
    assign_holdout,
    bayesian,
    cuped,
    did,
    sequential,
    srm_p_value,
    theta,
    welch,
)

RNG_SEED = 20261031


def _arms(n_a: int = 900, n_b: int = 1100, seed: int = 1) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    pre_a = rng.lognormal(13, 1.0, n_a)
    pre_b = rng.lognormal(13, 1.0, n_b)
    post_a = pre_a * rng.lognormal(0, 0.4, n_a)
    post_b = pre_b * rng.lognormal(0.05, 0.4, n_b)
    return pre_a, pre_b, post_a, post_b


def test_welch_equals_scipy_and_the_delta_method() -> None:
    _, _, y_a, y_b = _arms()
    a, b = MeanStats.of(y_a), MeanStats.of(y_b)
    result = welch(a, b)
    reference = stats.ttest_ind(y_b, y_a, equal_var=False)
    assert result.effect == pytest.approx(y_b.mean() - y_a.mean(), rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.dof == pytest.approx(reference.df, rel=1e-9)
    se = math.sqrt(y_a.var(ddof=1) / len(y_a) + y_b.var(ddof=1) / len(y_b))
    assert result.se == pytest.approx(se, rel=1e-12)
    low, high = reference.confidence_interval(0.95)
    assert result.ci_low == pytest.approx(low, rel=1e-9)
    assert result.ci_high == pytest.approx(high, rel=1e-9)
    relative = welch(a, b, relative=True)
    m_a, m_b = y_a.mean(), y_b.mean()
    v_a, v_b = y_a.var(ddof=1), y_b.var(ddof=1)
    delta = math.sqrt(v_b / (m_a**2 * len(y_b)) + v_a * m_b**2 / (m_a**4 * len(y_a)))
    assert relative.effect == pytest.approx(m_b / m_a - 1, rel=1e-12)
    assert relative.se == pytest.approx(delta, rel=1e-12)
    t = relative.effect / delta
    assert relative.p_value == pytest.approx(2 * stats.t.sf(abs(t), reference.df), rel=1e-9)


def test_cuped_is_welch_on_the_adjusted_outcome_with_a_pooled_theta() -> None:
    x_a, x_b, y_a, y_b = _arms()
    x, y = np.concatenate([x_a, x_b]), np.concatenate([y_a, y_b])
    pooled = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1)
    a, b = CupedStats.of(y_a, x_a), CupedStats.of(y_b, x_b)
    assert theta(a, b) == pytest.approx(pooled, rel=1e-12)
    adjusted = cuped(a, b)
    reference = stats.ttest_ind(y_b - pooled * x_b, y_a - pooled * x_a, equal_var=False)
    assert adjusted.p_value == pytest.approx(reference.pvalue, rel=1e-8)
    assert adjusted.effect == pytest.approx(
        (y_b - pooled * x_b).mean() - (y_a - pooled * x_a).mean(), rel=1e-9
    )
    plain = welch(MeanStats.of(y_a), MeanStats.of(y_b))
    assert adjusted.se < 0.7 * plain.se  # the pre-period explains most of the variance
    relative = cuped(a, b, relative=True)
    assert relative.effect == pytest.approx(adjusted.effect / y_a.mean(), rel=1e-9)
    # no pre-period variance: the plain test
    flat = cuped(CupedStats.of(y_a, np.ones_like(y_a)), CupedStats.of(y_b, np.ones_like(y_b)))
    assert flat.effect == pytest.approx(plain.effect) and flat.se == pytest.approx(plain.se)


def test_ratio_by_the_delta_method() -> None:
    rng = np.random.default_rng(3)
    views_a, views_b = rng.poisson(800, 700) + 1, rng.poisson(820, 650) + 1
    gmv_a = views_a * rng.gamma(4, 150, 700)
    gmv_b = views_b * rng.gamma(4, 160, 650)
    a, b = RatioStats.of(gmv_a * 1000, views_a), RatioStats.of(gmv_b * 1000, views_b)
    result = welch(a, b)
    gpm_a = gmv_a.sum() * 1000 / views_a.sum()
    gpm_b = gmv_b.sum() * 1000 / views_b.sum()
    assert result.effect == pytest.approx(gpm_b - gpm_a, rel=1e-12)

    def variance(m: np.ndarray, d: np.ndarray) -> float:  # of the ratio of means, per unit
        r = m.mean() / d.mean()
        c = np.cov(m, d, ddof=1)
        return float((c[0, 0] - 2 * r * c[0, 1] + r**2 * c[1, 1]) / d.mean() ** 2)

    se = math.sqrt(variance(gmv_a * 1000, views_a) / 700 + variance(gmv_b * 1000, views_b) / 650)
    assert result.se == pytest.approx(se, rel=1e-9)


def test_bayesian_chance_to_win_and_risk() -> None:
    _, _, y_a, y_b = _arms(seed=5)
    estimate = welch(MeanStats.of(y_a), MeanStats.of(y_b), relative=True)
    posterior = bayesian(estimate)
    mu, sd = estimate.effect, estimate.se
    assert posterior.chance_to_win == pytest.approx(1 - stats.norm.cdf(-mu / sd), rel=1e-12)
    assert posterior.ci_low == pytest.approx(mu - stats.norm.ppf(0.975) * sd, rel=1e-9)
    density = stats.norm(mu, sd).pdf
    gain = integrate.quad(lambda x: x * density(x), 0, mu + 12 * sd)[0]
    loss = integrate.quad(lambda x: -x * density(x), mu - 12 * sd, 0)[0]
    assert posterior.risk_control == pytest.approx(gain, rel=1e-6)
    assert posterior.risk_treatment == pytest.approx(loss, rel=1e-6, abs=1e-15)


def test_sequential_interval_is_wider_and_follows_its_formula() -> None:
    _, _, y_a, y_b = _arms(seed=7)
    a, b = MeanStats.of(y_a), MeanStats.of(y_b)
    fixed, always = welch(a, b), sequential(a, b)
    assert always.ci_high - always.ci_low > fixed.ci_high - fixed.ci_low
    n, alpha, tau = len(y_a) + len(y_b), 0.05, 5000.0
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tau
    half = (
        fixed.se
        * math.sqrt(n)
        * math.sqrt(2 * (n * rho2 + 1) / (n**2 * rho2) * math.log(math.sqrt(n * rho2 + 1) / alpha))
    )
    assert always.ci_high - always.effect == pytest.approx(half, rel=1e-12)


def test_srm_equals_scipy_chisquare_and_catches_broken_assignment() -> None:
    counts = [1795, 205]
    reference = stats.chisquare(counts, [1800, 200])
    assert srm_p_value(counts, [0.9, 0.1]) == pytest.approx(reference.pvalue, rel=1e-12)
    sellers = [f"S{i:05d}" for i in range(3000)]
    strata = ["top" if i % 20 == 0 else "mid" if i % 3 == 0 else "long_tail" for i in range(3000)]
    arms = assign_holdout(sellers, strata, 0.1, seed=7, salt="program")
    for stratum in ("top", "mid", "long_tail"):
        members = [a for a, s in zip(arms, strata, strict=True) if s == stratum]
        assert members.count("holdout") == round(0.1 * len(members))
    assert arms == assign_holdout(sellers[::-1], strata[::-1], 0.1, seed=7, salt="program")[::-1]
    fair = [arms.count("treatment"), arms.count("holdout")]
    assert srm_p_value(fair, [0.9, 0.1]) > 0.5
    # assignment broken: a quarter of the holdout dropped out of the data
    broken = [fair[0], fair[1] - fair[1] // 4]
    assert srm_p_value(broken, [0.9, 0.1]) < 0.001
    assert srm_p_value([0, 0], [0.9, 0.1]) == 1.0


def test_did_against_cell_means_and_a_written_out_cluster_sandwich() -> None:
    rng = np.random.default_rng(11)
    n = 400
    treated = rng.random(n) < 0.3
    level = rng.lognormal(12, 0.8, n)
    pre = level * rng.lognormal(0, 0.3, n)
    post = level * rng.lognormal(0.02, 0.3, n) + treated * 150_000
    result = did(pre, post, treated)
    cells = (post[treated].mean() - pre[treated].mean()) - (
        post[~treated].mean() - pre[~treated].mean()
    )
    assert result.effect == pytest.approx(cells, rel=1e-9)
    # y = a + b·treated + c·post + d·treated·post, clustered by unit (CR1)
    y = np.concatenate([pre, post])
    t = np.concatenate([treated, treated]).astype(float)
    p = np.concatenate([np.zeros(n), np.ones(n)])
    x = np.column_stack([np.ones(2 * n), t, p, t * p])
    beta = np.linalg.lstsq(x, y, rcond=None)[0]
    residual = y - x @ beta
    bread = np.linalg.inv(x.T @ x)
    meat = np.zeros((4, 4))
    for unit in range(n):
        rows = [unit, unit + n]
        score = x[rows].T @ residual[rows]
        meat += np.outer(score, score)
    factor = n / (n - 1) * (2 * n - 1) / (2 * n - 4)
    se = math.sqrt((factor * bread @ meat @ bread)[3, 3])
    assert result.se == pytest.approx(se, rel=1e-9)
    assert result.ci_low < 150_000 < result.ci_high


def test_did_matches_statsmodels() -> None:
    import statsmodels.api as sm  # type: ignore[import-untyped]  # a dev dependency

    rng = np.random.default_rng(12)
    n = 300
    treated = rng.random(n) < 0.4
    pre = rng.normal(100, 20, n)
    post = pre + rng.normal(3, 10, n) + 5 * treated
    result = did(pre, post, treated)
    y = np.concatenate([pre, post])
    t = np.concatenate([treated, treated]).astype(float)
    p = np.concatenate([np.zeros(n), np.ones(n)])
    x = np.column_stack([np.ones(2 * n), t, p, t * p])
    groups = np.concatenate([np.arange(n), np.arange(n)])
    fit = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": groups})
    assert result.effect == pytest.approx(fit.params[3], rel=1e-9)
    assert result.se == pytest.approx(fit.bse[3], rel=1e-9)
    assert result.p_value == pytest.approx(fit.pvalues[3], rel=1e-6)


def test_intervals_cover_a_planted_effect_in_93_to_97_percent_of_400_runs() -> None:
    """Each method simulated on its own stream of 400 experiments. With 400 runs the coverage
    of a true 95% interval has a Monte-Carlo sd of about 1.1 points: 93–97% is ±1.8 sd (the
    band the issue asks for; the seed is fixed, so the figures are the same on every run)."""
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(RNG_SEED).spawn(4)]
    runs, n = 400, 500
    effect, ratio_effect = 20_000.0, 40.0
    truth = effect / (np.exp(13 + 0.6**2 / 2) * np.exp(0.3**2 / 2))  # relative, over E[control]
    covered = {"welch": 0, "relative": 0, "cuped": 0, "ratio": 0}
    for _ in range(runs):
        for name, rng in zip(("welch", "relative", "cuped"), streams, strict=False):
            pre = rng.lognormal(13, 0.6, (2, n))
            post = pre * rng.lognormal(0, 0.3, (2, n))
            post[1] += effect
            a, b = MeanStats.of(post[0]), MeanStats.of(post[1])
            if name == "welch":
                covered[name] += welch(a, b).covers(effect)
            elif name == "relative":
                covered[name] += welch(a, b, relative=True).covers(truth)
            else:
                pair = CupedStats.of(post[0], pre[0]), CupedStats.of(post[1], pre[1])
                covered[name] += cuped(*pair).covers(effect)
        rng = streams[3]
        views = rng.poisson(rng.lognormal(6, 0.5, (2, n))) + 1
        gpm = rng.normal(500, 120, (2, n))
        gpm[1] += ratio_effect
        control = RatioStats.of(views[0] * gpm[0], views[0])
        treatment = RatioStats.of(views[1] * gpm[1], views[1])
        covered["ratio"] += welch(control, treatment).covers(ratio_effect)
    coverage = {name: count / runs for name, count in covered.items()}
    print(f"95% interval coverage over {runs} runs: {coverage}")
    for name, share in coverage.items():
        assert 0.93 <= share <= 0.97, (name, share)
