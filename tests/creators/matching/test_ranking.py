"""recall@k and NDCG@k against hand-computed values, the vectorised means against the
one-query functions, and the batched top-k against a brute-force ranking."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from pasar.creators.matching.evaluate import ndcg_at_k, recall_at_k
from pasar.creators.matching.planted import Planted
from pasar.creators.matching.ranking import mean_scores, relevant_pairs, top_k
from pasar.creators.matching.recommend import popular_creators, top_creators


def test_recall_and_ndcg_by_hand() -> None:
    ranked = [5, 3, 9, 1, 7]
    relevant = {3, 1, 8}
    # k=3: only 3 (rank 2) is found → 1/3; DCG = 1/log2(3) = 0.630930
    # IDCG over min(3, 3) = 3 ranks: 1 + 0.630930 + 0.5 = 2.130930
    assert recall_at_k(ranked, relevant, 3) == pytest.approx(1 / 3)
    assert ndcg_at_k(ranked, relevant, 3) == pytest.approx(0.630930 / 2.130930, abs=1e-6)
    # k=5: 3 (rank 2) and 1 (rank 4) → 2/3; DCG = 0.630930 + 1/log2(5) = 0.630930 + 0.430677
    assert recall_at_k(ranked, relevant, 5) == pytest.approx(2 / 3)
    assert ndcg_at_k(ranked, relevant, 5) == pytest.approx(1.061606 / 2.130930, abs=1e-6)
    # k=1: nothing at rank 1
    assert recall_at_k(ranked, relevant, 1) == 0.0 and ndcg_at_k(ranked, relevant, 1) == 0.0
    # a perfect list scores 1, and one relevant item at rank 1 of k=20 too
    assert ndcg_at_k([3, 1, 8], relevant, 20) == pytest.approx(1.0)
    assert recall_at_k([4], {4}, 20) == 1.0 and ndcg_at_k([4], {4}, 20) == 1.0
    # the ideal counts min(k, |relevant|) ranks: 2 of 4 relevant in the first 2 of k=2 → 1
    assert ndcg_at_k([1, 2, 3], {1, 2, 3, 4}, 2) == pytest.approx(1.0)
    assert recall_at_k([1, 2, 3], {1, 2, 3, 4}, 2) == pytest.approx(0.5)
    assert recall_at_k([1, 2], set(), 5) == 0.0 and ndcg_at_k([1, 2], set(), 5) == 0.0


def test_ndcg_formula_for_one_hit() -> None:
    for rank in range(1, 21):
        ranked = [100 + i for i in range(rank - 1)] + [1]
        expected = (1 / math.log2(rank + 1)) / (1 + 1 / math.log2(3))
        assert ndcg_at_k(ranked, {1, 2}, 20) == pytest.approx(expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.integers(0, 30), max_size=12, unique=True),
            st.sets(st.integers(0, 30), min_size=1, max_size=8),
        ),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 12),
)
def test_mean_scores_equal_the_one_query_functions(
    queries: list[tuple[list[int], set[int]]], k: int
) -> None:
    width = 12
    ranked = np.full((len(queries), width), -1)
    items, rows = [], []
    for row, (ranking, relevant) in enumerate(queries):
        ranked[row, : len(ranking)] = ranking
        items += sorted(relevant)
        rows += [row] * len(relevant)
    relevant_by_query = relevant_pairs(np.array(items), np.array(rows))
    scores = mean_scores(ranked, relevant_by_query, k)
    expected_recall = np.mean([recall_at_k(r, rel, k) for r, rel in queries])
    expected_ndcg = np.mean([ndcg_at_k(r, rel, k) for r, rel in queries])
    assert scores.recall == pytest.approx(expected_recall)
    assert scores.ndcg == pytest.approx(expected_ndcg)


def test_top_k_matches_a_brute_force_ranking() -> None:
    rng = np.random.default_rng(3)
    queries = rng.normal(size=(37, 6)).astype(np.float32)
    items = rng.normal(size=(250, 6)).astype(np.float32)
    exclude = sp.random(37, 250, density=0.1, random_state=4, format="csr")
    never = np.array([0, 5, 17, 249])
    ids, scores = top_k(queries, items, 10, exclude, never, threads=2)
    full = queries @ items.T
    full[exclude.toarray() != 0] = -np.inf
    full[:, never] = -np.inf
    expected = np.argsort(-full, axis=1, kind="stable")[:, :10]
    assert (ids == expected).all()
    assert np.allclose(scores, np.take_along_axis(full, expected, axis=1), rtol=1e-5)


def test_top_k_pads_when_too_few_items_are_left() -> None:
    queries = np.ones((2, 1), dtype=np.float32)
    items = np.arange(4, dtype=np.float32)[:, None]
    exclude = sp.csr_matrix(np.array([[0, 0, 1, 1], [0, 0, 0, 0]]))
    ids, scores = top_k(queries, items, 6, exclude, never=np.array([0]))
    assert ids.tolist() == [[1, -1, -1, -1, -1, -1], [3, 2, 1, -1, -1, -1]]
    assert np.isnan(scores[0, 1:]).all() and scores[1, :3].tolist() == [3.0, 2.0, 1.0]


def test_model_and_baseline_lists_leave_out_past_and_unknown_creators(planted: Planted) -> None:
    from pasar.creators.matching.model import ModelConfig, fit

    model = fit(planted.data, planted.split, ModelConfig(tune=False))
    products = np.arange(0, 1000, 7)
    for ranked in (top_creators(model, products, 20)[0], popular_creators(model, products, 20)[0]):
        for row, product in enumerate(products):
            chosen = ranked[row][ranked[row] >= 0]
            assert len(set(chosen.tolist())) == len(chosen)
            past = set(model.collaborated[product].indices.tolist())
            assert not past & set(chosen.tolist())
            assert model.creator_known[chosen].all()
    full = model.creator_matrix @ model.product_matrix[products].T
    ids, _ = top_creators(model, products, 5)
    for row, product in enumerate(products):
        scores = full[:, row].copy()
        scores[model.collaborated[product].indices] = -np.inf
        scores[~model.creator_known] = -np.inf
        best = np.sort(scores)[::-1][:5]
        assert np.allclose(scores[ids[row]], best, rtol=1e-5)
