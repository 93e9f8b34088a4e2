"""The matching model: an implicit-feedback factorisation (``implicit``'s ALS, or BPR) of the
creator × product interactions, blended with the content features
(:mod:`pasar.creators.matching.features`).

A creator and a product are each one vector; their match score is the dot product::

    score = cf · (u_c · v_p)                      collaborative filtering (scaled so that a
                                                  typical past pair scores about 1)
          + category · c's log volume in p's category
          + band     · c's share in p's price band
          + province · c's buyers' provinces · p's buyers' provinces (unit vectors, over the
                       PROVINCES busiest provinces)
          + tier     · fit of c's follower tier with p's price band
          + gpm      · c's GPM score over the last 30 days

so that ranking every creator for 50k products is one matrix product per batch
(:func:`pasar.creators.matching.ranking.top_k`). The content weights are fitted on the last
``tune_days`` days before the as-of day (:func:`tune_blend`).

**Cold start.** A product nobody has collaborated with yet takes the average factors of the
products of its category and price band (else its category); a creator without history the
average of creators of their primary category and follower tier. The content features need no
history (primary category, home province, followers, the product's category, price and seller
province).

Example::

    model = fit(data, as_of=dt.date(2026, 10, 31))
    model.scores_for_product(data.product("P0000001"))   # one score per creator
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Literal

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from pasar.creators.matching.features import BANDS, TIERS, Features, build_features
from pasar.creators.matching.interactions import MatchingData, interaction_matrix
from pasar.creators.matching.ranking import mean_scores, new_pairs, relevant_pairs, top_k

BLOCKS = ("cf", "category", "band", "province", "tier", "gpm")
SHARED = {"tier": "band"}  # the tier block meets the product's price band, as the band does
STEPS = (0.0, 0.25, 0.5, 2.0, 4.0)
MIN_TUNE_PAIRS = 30
PARALLEL_NNZ = 500_000
PROVINCES = 16
ROUNDS = 3


@dataclass(frozen=True)
class Blend:
    """How much each part of the score counts (see the module docstring)."""

    cf: float = 1.0
    category: float = 2.0
    band: float = 0.2
    province: float = 0.4
    tier: float = 0.4
    gpm: float = 0.2

    def weight(self, block: str) -> float:
        value: float = getattr(self, block)
        return value


@dataclass(frozen=True)
class ModelConfig:
    """The factorisation's settings and the blend. ``threads`` stays at 1 or 2 on a shared
    machine; ``random_state`` makes a fit reproducible (ALS is deterministic with it at any
    thread count; BPR only with one thread)."""

    algorithm: Literal["als", "bpr"] = "als"
    factors: int = 32
    iterations: int = 15
    regularization: float = 0.05
    alpha: float = 4.0  # ALS: confidence of an observed pair = alpha × log(1 + weight)
    learning_rate: float = 0.05  # BPR
    threads: int = 2
    random_state: int = 20261031
    blend: Blend = field(default_factory=Blend)
    tune: bool = True  # fit the blend on the last tune_days days before the as-of day
    tune_days: int = 28
    tune_queries: int = 1000  # products scored per trial blend (a seeded sample)
    tune_k: int = 20


class MatchModel:
    """A fitted model as of a day: factors, features and the training interactions."""

    def __init__(
        self,
        data: MatchingData,
        features: Features,
        config: ModelConfig,
        interactions: sp.csr_matrix,
        cf_creators: np.ndarray,
        cf_products: np.ndarray,
    ) -> None:
        self.data, self.features, self.config = data, features, config
        self.interactions = interactions  # creators × products, events before the cut-off
        self.cf_creators, self.cf_products = cf_creators, cf_products
        self.warm_creators = np.asarray(interactions.getnnz(axis=1) > 0)
        self.warm_products = np.asarray(interactions.getnnz(axis=0) > 0)
        self.creator_popularity = np.asarray(interactions.sum(axis=1)).ravel()
        self.product_popularity = np.asarray(interactions.sum(axis=0)).ravel()
        # who exists on the day: creators who joined and products listed before the cut-off
        self.creator_known = data.creators.joined_at < features.cutoff
        self.product_known = data.products.listed_at < features.cutoff

    @property
    def as_of(self) -> dt.date:
        return self.features.as_of

    @property
    def cutoff(self) -> int:
        return self.features.cutoff

    @cached_property
    def provinces(self) -> np.ndarray:
        """The provinces the province part compares: the PROVINCES busiest by buyers before
        the cut-off (the rest are small markets; leaving them out keeps the vectors short)."""
        f = self.features
        buyers = f.market_share * f.market_size[:, None]
        busiest = np.argsort(-buyers.sum(axis=0), kind="stable")[:PROVINCES]
        return np.sort(busiest)

    @cached_property
    def collaborated(self) -> sp.csr_matrix:
        """Products × creators: the pairs that interacted before the cut-off."""
        past = self.interactions.T.tocsr().astype(np.float32)
        past.data[:] = 1.0
        return past

    @cached_property
    def creator_blocks(self) -> dict[str, np.ndarray]:
        """Each block of the creator vectors, unweighted."""
        f = self.features
        return {
            "cf": self.cf_creators,
            "category": f.creator_category,
            "band": f.creator_band,
            "province": f.creator_audience[:, self.provinces],
            "tier": f.tier_fit[f.creator_tier],
            "gpm": f.gpm_score[:, None],
        }

    @cached_property
    def product_blocks(self) -> dict[str, np.ndarray]:
        """Each block of the product vectors (the partner of the creator block)."""
        f = self.features
        n_p = len(f.product_band)
        band = _one_hot(f.product_band, len(BANDS))
        return {
            "cf": self.cf_products,
            "category": _one_hot(f.product_category, f.creator_category.shape[1]),
            "band": band,
            "province": f.product_market[:, self.provinces],
            "tier": band,
            "gpm": np.ones((n_p, 1), dtype=np.float32),
        }

    @cached_property
    def creator_matrix(self) -> np.ndarray:
        """Every creator as one float32 row (blocks weighted by the blend)."""
        return creator_rows(self.creator_blocks, self.config.blend)

    @cached_property
    def product_matrix(self) -> np.ndarray:
        """Every product as one float32 row: ``creator_matrix @ product_matrix.T`` scores."""
        return np.ascontiguousarray(
            np.hstack([self.product_blocks[b] for b in BLOCKS if b not in SHARED]),
            dtype=np.float32,
        )

    def scores_for_product(self, product: int) -> np.ndarray:
        """The score of every creator for one product."""
        scores: np.ndarray = self.creator_matrix @ self.product_matrix[product]
        return scores

    def scores_for_creator(self, creator: int) -> np.ndarray:
        """The score of every product for one creator."""
        scores: np.ndarray = self.product_matrix @ self.creator_matrix[creator]
        return scores

    def parts(self, creator: int, product: int) -> dict[str, float]:
        """The weighted contribution of each block to one pair's score."""
        blend = self.config.blend
        return {
            block: float(
                blend.weight(block)
                * np.dot(self.creator_blocks[block][creator], self.product_blocks[block][product])
            )
            for block in BLOCKS
        }


def creator_rows(blocks: dict[str, np.ndarray], blend: Blend) -> np.ndarray:
    """The creator matrix of ``blocks`` under ``blend``: weighted blocks side by side, and a
    block whose product partner is another's (``SHARED``) added into that one (one dot
    product, fewer columns to multiply)."""
    weighted = {b: blend.weight(b) * blocks[b] for b in BLOCKS}
    for block, partner in SHARED.items():
        weighted[partner] = weighted[partner] + weighted.pop(block)
    return np.ascontiguousarray(np.hstack(list(weighted.values())), dtype=np.float32)


def fit(data: MatchingData, as_of: dt.date, config: ModelConfig | None = None) -> MatchModel:
    """Fit the model on everything that happened up to local day ``as_of`` (first the blend,
    when ``config.tune``: see :func:`tune_blend`)."""
    config = config or ModelConfig()
    if config.tune:
        config = replace(config, blend=tune_blend(data, as_of, config), tune=False)
    return _fit(data, as_of, config)


def tune_blend(data: MatchingData, as_of: dt.date, config: ModelConfig) -> Blend:
    """The blend that best ranks the creators who were new to a product in the last
    ``tune_days`` days up to ``as_of``, by a model fitted before them (so the validation
    window is itself a time split, and everything it reads is up to ``as_of``).

    Coordinate search with ``cf`` fixed at 1: each content weight in turn is multiplied by
    0, ¼, ½, 2 and 4 (a zero weight tries 0.1), keeping a change only when recall@k (then
    NDCG@k) over the window improves; ROUNDS rounds at most. With fewer than MIN_TUNE_PAIRS new
    pairs in the window the configured blend stays.
    """
    first = as_of - dt.timedelta(days=config.tune_days - 1)
    base = _fit(data, first - dt.timedelta(days=1), replace(config, tune=False))
    creators, products = new_pairs(data, base.cutoff, data.cutoff(as_of))
    if len(products) < MIN_TUNE_PAIRS or base.interactions.nnz == 0:
        return config.blend
    relevant = relevant_pairs(creators, products)
    if len(relevant.queries) > config.tune_queries:
        rng = np.random.default_rng(config.random_state)
        keep = np.sort(rng.choice(len(relevant.queries), config.tune_queries, replace=False))
        relevant = relevant.subset(keep)
    queries = relevant.queries
    rows = base.product_matrix[queries]
    exclude = base.collaborated[queries]
    never = np.flatnonzero(~base.creator_known)
    k = config.tune_k

    def quality(blend: Blend) -> tuple[float, float]:
        matrix = creator_rows(base.creator_blocks, blend)
        ranked, _ = top_k(rows, matrix, k, exclude, never, config.threads)
        scores = mean_scores(ranked, relevant, k)
        return scores.recall, scores.ndcg

    best = replace(config.blend, cf=1.0)
    best_value = quality(best)
    for _ in range(ROUNDS):
        improved = False
        for block in BLOCKS[1:]:
            current = best.weight(block)
            trials = sorted({current * step for step in STEPS} | ({0.1} if current == 0 else set()))
            for weight in trials:
                if weight == current:
                    continue
                trial = replace(best, **{block: weight})
                value = quality(trial)
                if value > best_value:
                    best, best_value, improved = trial, value, True
        if not improved:
            break
    return best


def _fit(data: MatchingData, as_of: dt.date, config: ModelConfig) -> MatchModel:
    features = build_features(data, as_of)
    interactions = interaction_matrix(data, features.cutoff)
    users, items = _factorise(interactions, config)
    users, items = _scaled(interactions, users, items)
    warm_c = np.asarray(interactions.getnnz(axis=1) > 0)
    warm_p = np.asarray(interactions.getnnz(axis=0) > 0)
    tiers = features.creator_tier
    creator_groups = [
        data.creators.category.astype(np.int64) * len(TIERS) + tiers,
        data.creators.category.astype(np.int64),
    ]
    product_groups = [
        features.product_category.astype(np.int64) * len(BANDS) + features.product_band,
        features.product_category.astype(np.int64),
    ]
    users = _fill_cold(users, warm_c, creator_groups)
    items = _fill_cold(items, warm_p, product_groups)
    return MatchModel(data, features, config, interactions, users, items)


def _factorise(interactions: sp.csr_matrix, config: ModelConfig) -> tuple[np.ndarray, np.ndarray]:
    """Creator and product factors of the log-scaled interactions (zeros without any)."""
    n_c, n_p = interactions.shape
    if interactions.nnz == 0:
        return (
            np.zeros((n_c, config.factors), dtype=np.float32),
            np.zeros((n_p, config.factors), dtype=np.float32),
        )
    confidence = interactions.astype(np.float32)
    confidence.data = np.log1p(confidence.data)
    # implicit warns unless BLAS runs one thread (its own threads do the work); importing it
    # first loads every BLAS library, so that the limit reaches them all
    from implicit.cpu.als import AlternatingLeastSquares  # type: ignore[import-untyped]
    from implicit.cpu.bpr import BayesianPersonalizedRanking  # type: ignore[import-untyped]

    # a second thread pays only on large matrices (and costs on small ones, or a busy machine)
    threads = config.threads if interactions.nnz >= PARALLEL_NNZ else 1
    with threadpool_limits(1, "blas"):
        model: AlternatingLeastSquares | BayesianPersonalizedRanking
        if config.algorithm == "als":
            model = AlternatingLeastSquares(
                factors=config.factors,
                regularization=config.regularization,
                alpha=config.alpha,
                iterations=config.iterations,
                num_threads=threads,
                random_state=config.random_state,
            )
        elif config.algorithm == "bpr":
            model = BayesianPersonalizedRanking(
                factors=config.factors,
                learning_rate=config.learning_rate,
                regularization=config.regularization,
                iterations=config.iterations,
                num_threads=threads,
                random_state=config.random_state,
            )
        else:
            raise ValueError(f"unknown algorithm {config.algorithm!r}: use als or bpr")
        model.fit(confidence, show_progress=False)
    users = np.asarray(model.user_factors, dtype=np.float32)
    items = np.asarray(model.item_factors, dtype=np.float32)
    return users, items


def _scaled(
    interactions: sp.csr_matrix, users: np.ndarray, items: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Factors scaled so that the median score of the past pairs is 1 (the blend's unit)."""
    coo = interactions.tocoo()
    if coo.nnz == 0:
        return users, items
    take = np.linspace(0, coo.nnz - 1, min(coo.nnz, 100_000)).astype(np.int64)
    scores = np.einsum("ij,ij->i", users[coo.row[take]], items[coo.col[take]])
    median = float(np.median(scores))
    if not np.isfinite(median) or median <= 0:
        return users, items
    factor = np.float32(1.0 / np.sqrt(median))
    return users * factor, items * factor


def _fill_cold(factors: np.ndarray, warm: np.ndarray, groupings: list[np.ndarray]) -> np.ndarray:
    """Rows without history take the mean factors of the warm rows of their group — the first
    grouping with warm members wins; rows with none stay zero."""
    out = factors.copy()
    cold = ~warm
    out[cold] = 0.0
    pending = cold.copy()
    for groups in groupings:
        if not pending.any():
            break
        valid = groups >= 0
        keys, inverse = np.unique(np.where(valid, groups, -1), return_inverse=True)
        members = warm & valid
        counts = np.bincount(inverse[members], minlength=len(keys)).astype(np.float32)
        sums = np.zeros((len(keys), factors.shape[1]), dtype=np.float32)
        np.add.at(sums, inverse[members], factors[members])
        filled = pending & valid & (counts[inverse] > 0)
        out[filled] = sums[inverse[filled]] / counts[inverse[filled]][:, None]
        pending &= ~filled
    return out


def _one_hot(index: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(index), width), dtype=np.float32)
    ok = (index >= 0) & (index < width)
    out[np.flatnonzero(ok), index[ok]] = 1.0
    return out
