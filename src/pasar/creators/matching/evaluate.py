"""Offline evaluation on a time split: fit on everything before day T, then for each product
that found new creators in the ``horizon`` days from T, rank every creator known at T (minus
the product's creators before T) and score the list against those new creators, for the model
and for a popularity baseline (the creators with the most interactions before T).

Metrics: recall@k and NDCG@k with binary relevance (:mod:`pasar.creators.matching.ranking`).

Example::

    result = evaluate(data, split=dt.date(2026, 10, 1), k=20)
    result.model.recall, result.baseline.recall, result.ratio
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

import numpy as np

from pasar.creators.matching.interactions import MatchingData, day_start
from pasar.creators.matching.model import Blend, MatchModel, ModelConfig, fit
from pasar.creators.matching.ranking import (
    Scores,
    mean_scores,
    ndcg_at_k,
    new_pairs,
    recall_at_k,
    relevant_pairs,
)
from pasar.creators.matching.recommend import check_k, popular_creators, top_creators
from pasar.kit.errors import ValidationError

__all__ = [
    "Evaluation",
    "Scores",
    "TimeSplit",
    "evaluate",
    "ndcg_at_k",
    "recall_at_k",
    "time_split",
]

HORIZON_DAYS = 28  # the test window: T to T + 28 days (reference creators.md §4.3)


@dataclass(frozen=True)
class TimeSplit:
    """Training is everything before ``cutoff``; the test is the new (creator, product) pairs
    of ``[cutoff, end)`` whose creator and product existed at the cut-off."""

    split: dt.date
    end_day: dt.date
    cutoff: int
    end: int
    test_creators: np.ndarray
    test_products: np.ndarray


@dataclass(frozen=True)
class Evaluation:
    split: dt.date
    end_day: dt.date  # last day of the test window
    k: int
    products: int  # products evaluated (with at least one new creator in the window)
    cold_products: int  # … of which had no interaction before the split
    test_pairs: int
    train_pairs: int
    model: Scores
    baseline: Scores
    seconds: float
    blend: Blend

    @property
    def ratio(self) -> float | None:
        """Model recall@k ÷ baseline recall@k (None when the baseline found nothing)."""
        return self.model.recall / self.baseline.recall if self.baseline.recall > 0 else None


def time_split(data: MatchingData, split: dt.date, horizon_days: int = HORIZON_DAYS) -> TimeSplit:
    """The test pairs from ``split`` on that a model as of the day before could have found:
    new pairs (no event before the cut-off) of creators who joined and products listed
    before it."""
    cutoff = day_start(split, data.zone)
    end_day = split + dt.timedelta(days=horizon_days - 1)
    end = day_start(end_day + dt.timedelta(days=1), data.zone)
    creators, products = new_pairs(data, cutoff, end)
    return TimeSplit(split, end_day, cutoff, end, creators, products)


def default_split(data: MatchingData, horizon_days: int = HORIZON_DAYS) -> dt.date:
    """The split leaving the last ``horizon_days`` days of data for the test."""
    return data.latest_day() - dt.timedelta(days=horizon_days - 1)


def evaluate(
    data: MatchingData,
    split: dt.date | None = None,
    k: int = 20,
    horizon_days: int = HORIZON_DAYS,
    config: ModelConfig | None = None,
) -> Evaluation:
    """Fit as of the day before ``split`` and score model and baseline on the test window."""
    check_k(k)
    if horizon_days < 1:
        raise ValidationError("the test window needs at least one day", field="horizon_days")
    split = split or default_split(data, horizon_days)
    started = time.perf_counter()
    test = time_split(data, split, horizon_days)
    if not len(test.test_products):
        raise ValidationError(
            f"no new creator × product pair from {split} to {test.end_day}: pick an earlier "
            "split date",
            field="split_date",
        )
    model = fit(data, split - dt.timedelta(days=1), config)
    if model.interactions.nnz == 0:
        raise ValidationError(
            f"no interaction before {split}: pick a later split date", field="split_date"
        )
    model_scores, baseline_scores, products = score_split(model, test, k)
    return Evaluation(
        split=split,
        end_day=test.end_day,
        k=k,
        products=len(products),
        cold_products=int((~model.warm_products[products]).sum()),
        test_pairs=len(test.test_products),
        train_pairs=int(model.interactions.nnz),
        model=model_scores,
        baseline=baseline_scores,
        seconds=time.perf_counter() - started,
        blend=model.config.blend,
    )


def score_split(model: MatchModel, test: TimeSplit, k: int) -> tuple[Scores, Scores, np.ndarray]:
    """Mean recall@k and NDCG@k of the model and the baseline over the test products."""
    relevant = relevant_pairs(test.test_creators, test.test_products)
    products = relevant.queries
    ranked_model, _ = top_creators(model, products, k)
    ranked_base, _ = popular_creators(model, products, k)
    return mean_scores(ranked_model, relevant, k), mean_scores(ranked_base, relevant, k), products
