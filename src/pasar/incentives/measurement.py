"""Measuring what a program did: holdout assignment stratified by segment, the
sample-ratio-mismatch check, Welch t-tests (absolute and relative), CUPED with the pre-period,
ratio metrics (GPM, conversion) by the delta method, the Bayesian chance to win, sequential
(always-valid) intervals, and difference-in-differences when there is no holdout.

Everything works from **sufficient statistics** per arm — ``n, Σy, Σy²`` (and ``Σx, Σx², Σxy``
for CUPED, or the numerator's and denominator's sums and cross-product for a ratio) — with
the merchant as the unit. The formulas are those of GrowthBook's engine (gbstats 0.8.0), so
the tests can compare the two to 1e-9:

* mean variance ``(Σy² − (Σy)²/n)/(n − 1)``; absolute effect ``m_b − m_a`` with variance
  ``v_b/n_b + v_a/n_a``; relative effect ``(m_b − m_a)/m_a`` with the delta-method variance
  ``v_b/(m_a² n_b) + v_a m_b²/(m_a⁴ n_a)``; Welch–Satterthwaite degrees of freedom on the
  statistics' variances; the p-value and interval from Student's t (0.8.0 divides by the
  signed control mean, as here).
* CUPED: ``θ = cov(y, x)/var(x)`` pooled over both arms, each arm's mean ``ȳ − θx̄`` and
  variance ``v_y + θ²v_x − 2θ cov``; the relative effect divides by the *unadjusted* control
  mean. With no pre-period variance it falls back to the plain test.
* Ratio ``Σm/Σd`` per arm with variance
  ``v_m/d̄² − 2 cov(m,d) m̄/d̄³ + m̄² v_d/d̄⁴`` (per unit; the test divides by n).
* Bayesian with a flat prior: the effect is normal with the estimate as mean and its
  standard error; chance to win ``P(effect > 0)``, a normal credible interval.
* Sequential: the asymptotic confidence sequence of Waudby-Smith et al. (tuning τ = 5000).
* SRM: Pearson's chi-square of the arms' counts against their expected shares.

Example:
    >>> a = MeanStats.of([1.0, 2.0, 3.0, 4.0]); b = MeanStats.of([2.0, 3.0, 4.0, 6.0])
    >>> round(welch(a, b).effect, 6), round(welch(a, b, relative=True).effect, 6)
    (1.25, 0.5)
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats  # type: ignore[import-untyped]

SRM_ALPHA = 0.001  # an SRM p-value below this flags broken assignment
BASELINE_ZERO = "the control mean is zero: a relative effect is undefined"
NO_VARIANCE = "a variance is zero or negative (too few merchants, or all the same)"


# -- sufficient statistics ------------------------------------------------------------------


@dataclass(frozen=True)
class MeanStats:
    """``n``, ``Σy`` and ``Σy²`` of one arm."""

    n: int
    sum: float
    sum_squares: float

    @classmethod
    def of(cls, values: Sequence[float] | np.ndarray) -> MeanStats:
        y = np.asarray(values, dtype=np.float64)
        return cls(int(y.size), float(y.sum()), float((y * y).sum()))

    @property
    def mean(self) -> float:
        return self.sum / self.n if self.n else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.sum_squares - self.sum**2 / self.n) / (self.n - 1)


@dataclass(frozen=True)
class RatioStats:
    """A ratio of sums per arm (e.g. GPM = 1000·ΣGMV/Σviews): numerator and denominator
    statistics and ``Σ m·d``."""

    n: int
    m: MeanStats
    d: MeanStats
    m_d_sum_of_products: float

    @classmethod
    def of(cls, numerator: np.ndarray, denominator: np.ndarray) -> RatioStats:
        m = np.asarray(numerator, dtype=np.float64)
        d = np.asarray(denominator, dtype=np.float64)
        return cls(int(m.size), MeanStats.of(m), MeanStats.of(d), float((m * d).sum()))

    @property
    def mean(self) -> float:
        return self.m.sum / self.d.sum if self.d.sum else 0.0

    @property
    def unadjusted_mean(self) -> float:
        return self.mean

    @property
    def covariance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.m_d_sum_of_products - self.m.sum * self.d.sum / self.n) / (self.n - 1)

    @property
    def variance(self) -> float:
        dm = self.d.mean
        if dm == 0 or self.n <= 1:
            return 0.0
        mm = self.m.mean
        return (
            self.m.variance / dm**2
            - 2 * self.covariance * mm / dm**3
            + mm**2 * self.d.variance / dm**4
        )


@dataclass(frozen=True)
class CupedStats:
    """The outcome (``post``) and its pre-period covariate (``pre``) of one arm, and
    ``Σ post·pre``."""

    n: int
    post: MeanStats
    pre: MeanStats
    post_pre_sum_of_products: float

    @classmethod
    def of(cls, post: np.ndarray, pre: np.ndarray) -> CupedStats:
        y = np.asarray(post, dtype=np.float64)
        x = np.asarray(pre, dtype=np.float64)
        return cls(int(y.size), MeanStats.of(y), MeanStats.of(x), float((y * x).sum()))

    @property
    def covariance(self) -> float:
        if self.n <= 1:
            return 0.0
        return (self.post_pre_sum_of_products - self.post.sum * self.pre.sum / self.n) / (
            self.n - 1
        )

    def adjusted(self, theta: float) -> Adjusted:
        variance = (
            self.post.variance + theta**2 * self.pre.variance - 2 * theta * self.covariance
            if self.n > 1
            else 0.0
        )
        return Adjusted(self.n, self.post.mean - theta * self.pre.mean, variance, self.post.mean)


@dataclass(frozen=True)
class Adjusted:
    """An arm's CUPED-adjusted mean and variance, and its unadjusted mean."""

    n: int
    mean: float
    variance: float
    unadjusted_mean: float


def theta(a: CupedStats, b: CupedStats) -> float:
    """CUPED's θ pooled over both arms (0 when either period has no variance)."""
    n = a.n + b.n
    post = MeanStats(n, a.post.sum + b.post.sum, a.post.sum_squares + b.post.sum_squares)
    pre = MeanStats(n, a.pre.sum + b.pre.sum, a.pre.sum_squares + b.pre.sum_squares)
    if pre.variance == 0 or post.variance == 0:
        return 0.0
    joint = CupedStats(n, post, pre, a.post_pre_sum_of_products + b.post_pre_sum_of_products)
    return joint.covariance / pre.variance


# -- tests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A treatment (b) against control (a) comparison."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    dof: float
    control_mean: float
    treatment_mean: float
    n_control: int
    n_treatment: int
    relative: bool
    error: str | None = None

    def covers(self, value: float) -> bool:
        return self.ci_low <= value <= self.ci_high

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class Bayesian:
    """The effect's posterior under a flat prior: mean, sd, chance to win, credible interval
    and the expected loss (risk) of choosing control or treatment."""

    mean: float
    sd: float
    chance_to_win: float
    ci_low: float
    ci_high: float
    risk_control: float
    risk_treatment: float
    error: str | None = None


def _moments(stat: Any) -> tuple[int, float, float, float]:
    return stat.n, stat.mean, stat.variance, stat.unadjusted_mean


def welch(a: Any, b: Any, relative: bool = False, alpha: float = 0.05) -> Estimate:
    """Welch's t-test of ``b`` against ``a`` (statistics with n, mean, variance and
    unadjusted_mean: :class:`MeanStats`, :class:`RatioStats` or CUPED-:class:`Adjusted`)."""
    n_a, m_a, v_a, u_a = _moments(a)
    n_b, m_b, v_b, u_b = _moments(b)
    empty = Estimate(0.0, 0.0, 0.0, 0.0, 1.0, 0.0, m_a, m_b, n_a, n_b, relative)
    if m_a == 0 or u_a == 0:
        return _with_error(empty, BASELINE_ZERO)
    if v_a <= 0 or v_b <= 0 or n_a <= 1 or n_b <= 1:
        return _with_error(empty, NO_VARIANCE)
    effect = (m_b - m_a) / u_a if relative else m_b - m_a
    variance = (
        v_b / (u_a**2 * n_b) + v_a * u_b**2 / (u_a**4 * n_a) if relative else v_b / n_b + v_a / n_a
    )
    dof = (v_b / n_b + v_a / n_a) ** 2 / (
        v_b**2 / (n_b**2 * (n_b - 1)) + v_a**2 / (n_a**2 * (n_a - 1))
    )
    se = math.sqrt(variance)
    width = float(stats.t.ppf(1 - alpha / 2, dof)) * se
    p_value = float(2 * (1 - stats.t.cdf(abs(effect / se), dof)))
    return Estimate(
        effect, se, effect - width, effect + width, p_value, dof, m_a, m_b, n_a, n_b, relative
    )


def cuped(a: CupedStats, b: CupedStats, relative: bool = False, alpha: float = 0.05) -> Estimate:
    """Welch's test on CUPED-adjusted means (θ pooled); the plain test when θ is 0."""
    t = theta(a, b)
    if t == 0:
        return welch(a.post, b.post, relative, alpha)
    return welch(a.adjusted(t), b.adjusted(t), relative, alpha)


def bayesian(estimate: Estimate, alpha: float = 0.05) -> Bayesian:
    """The flat-prior Gaussian posterior of an estimate (what gbstats reports with an improper
    prior): the chance that treatment beats control, the credible interval and the risk."""
    if estimate.error is not None or estimate.se <= 0:
        return Bayesian(0.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, estimate.error or NO_VARIANCE)
    mu, sd = estimate.effect, estimate.se
    low, high = stats.norm.ppf([alpha / 2, 1 - alpha / 2], mu, sd)
    p_control_better = float(stats.norm.cdf(0.0, mu, sd))
    mean_negative = _truncated_mean(mu, sd, -math.inf, 0.0)
    mean_positive = _truncated_mean(mu, sd, 0.0, math.inf)
    return Bayesian(
        mu,
        sd,
        float(stats.norm.sf(0, mu, sd)),
        float(low),
        float(high),
        float((1 - p_control_better) * mean_positive),
        -float(p_control_better * mean_negative),
    )


def _truncated_mean(mu: float, sigma: float, a: float, b: float) -> float:
    alpha, beta = (a - mu) / sigma, (b - mu) / sigma
    return float(stats.truncnorm.stats(alpha, beta, loc=mu, scale=sigma, moments="m"))


def sequential(
    a: Any, b: Any, relative: bool = False, alpha: float = 0.05, tuning: float = 5000
) -> Estimate:
    """An always-valid interval and p-value (asymptotic confidence sequence, Waudby-Smith et
    al. 2023): it may be looked at every day without inflating false positives."""
    fixed = welch(a, b, relative, alpha)
    if fixed.error is not None:
        return fixed
    n = fixed.n_control + fixed.n_treatment
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    s2 = fixed.se**2 * n
    width = math.sqrt(s2) * math.sqrt(
        2 * (n * rho**2 + 1) * math.log(math.sqrt(n * rho**2 + 1) / alpha) / (n * rho) ** 2
    )
    st2 = fixed.effect**2 * n / fixed.se**2
    tr2p1 = n * rho**2 + 1
    e_value = math.exp(rho**2 * st2 / (2 * tr2p1)) / math.sqrt(tr2p1)
    return Estimate(
        fixed.effect, fixed.se, fixed.effect - width, fixed.effect + width, min(1 / e_value, 1.0),
        fixed.dof, fixed.control_mean, fixed.treatment_mean, fixed.n_control, fixed.n_treatment,
        relative,
    )  # fmt: skip


def srm_p_value(counts: Sequence[int], weights: Sequence[float]) -> float:
    """The chi-square p-value of the arms' ``counts`` against their expected ``weights``
    (arms with no weight skipped); 1 when there is nobody."""
    total = sum(counts)
    if not total:
        return 1.0
    weight = sum(weights)
    statistic = 0.0
    for observed, share in zip(counts, weights, strict=True):
        if share <= 0:
            continue
        expected = share / weight * total
        statistic += (observed - expected) ** 2 / expected
    return float(stats.chi2.sf(statistic, len(counts) - 1))


# -- assignment -------------------------------------------------------------------------------


def assign_holdout(
    sellers: Sequence[str], strata: Sequence[Hashable], share: float, seed: int, salt: str = ""
) -> list[str]:
    """``holdout`` or ``treatment`` for each seller: within each stratum, the sellers ordered
    by a hash of (seed, salt, seller) and the first ``round(share × n)`` held out — an exact
    share per stratum, reproducible, and independent of the order given."""
    arms = ["treatment"] * len(sellers)
    groups: dict[Hashable, list[int]] = {}
    for i, stratum in enumerate(strata):
        groups.setdefault(stratum, []).append(i)
    for members in groups.values():
        ranked = sorted(members, key=lambda i: _draw(seed, salt, sellers[i]))
        for i in ranked[: round(share * len(members))]:
            arms[i] = "holdout"
    return arms


def _draw(seed: int, salt: str, seller: str) -> str:
    return hashlib.sha256(f"{seed}:{salt}:{seller}".encode()).hexdigest()


# -- difference-in-differences ---------------------------------------------------------------


@dataclass(frozen=True)
class DiD:
    """The difference-in-differences of a two-period panel: the effect (treated units' change
    less control units' change), its cluster-robust standard error (units as clusters), z
    interval and p-value, and the four cell means."""

    effect: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_treated: int
    n_control: int
    means: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        return {k: _plain(v) if not isinstance(v, dict) else v for k, v in self.__dict__.items()}


def ols_cluster(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OLS coefficients and their cluster-robust covariance (CR1: the sandwich with the
    small-sample factor G/(G−1)·(N−1)/(N−K), as statsmodels' ``cov_type="cluster"``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, k = x.shape
    bread = np.linalg.inv(x.T @ x)
    beta = bread @ (x.T @ y)
    residual = y - x @ beta
    _, group_index = np.unique(groups, return_inverse=True)
    g = int(group_index.max()) + 1
    scores = np.zeros((g, k))
    np.add.at(scores, group_index, x * residual[:, None])
    meat = scores.T @ scores
    factor = g / (g - 1) * (n - 1) / (n - k)
    return beta, factor * bread @ meat @ bread


def did(pre: np.ndarray, post: np.ndarray, treated: np.ndarray, alpha: float = 0.05) -> DiD:
    """Difference-in-differences of each unit's outcome before (``pre``) and during
    (``post``), treated units against the others: ``y ~ 1 + treated + post + treated·post``
    on the two-period panel, the interaction being the effect, clustered by unit."""
    pre = np.asarray(pre, dtype=np.float64)
    post = np.asarray(post, dtype=np.float64)
    t = np.asarray(treated, dtype=bool)
    units = np.arange(len(pre))
    y = np.concatenate([pre, post])
    period = np.concatenate([np.zeros(len(pre)), np.ones(len(post))])
    group = np.concatenate([t, t]).astype(np.float64)
    x = np.column_stack([np.ones_like(y), group, period, group * period])
    beta, covariance = ols_cluster(x, y, np.concatenate([units, units]))
    effect, se = float(beta[3]), float(math.sqrt(covariance[3, 3]))
    z = float(stats.norm.ppf(1 - alpha / 2))
    p_value = float(2 * stats.norm.sf(abs(effect / se))) if se > 0 else 1.0
    means = {
        "treated_before": float(pre[t].mean()) if t.any() else 0.0,
        "treated_during": float(post[t].mean()) if t.any() else 0.0,
        "control_before": float(pre[~t].mean()) if (~t).any() else 0.0,
        "control_during": float(post[~t].mean()) if (~t).any() else 0.0,
    }
    return DiD(
        effect, se, effect - z * se, effect + z * se, p_value, int(t.sum()), int((~t).sum()), means
    )


def _with_error(estimate: Estimate, error: str) -> Estimate:
    return Estimate(**{**estimate.__dict__, "error": error})


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.floating | np.integer):
        return value.item()
    return value
