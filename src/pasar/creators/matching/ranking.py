"""Ranking primitives shared by fitting, recommending and evaluating: the batched top-k, the
new pairs of a time window, and recall@k / NDCG@k.

Metrics use binary relevance and are averaged over queries:

* recall@k = |relevant ∩ top k| / |relevant| — the share of the relevant items found;
* NDCG@k = Σ_{hits at rank r ≤ k} 1/log2(r + 1) ÷ Σ_{r=1}^{min(k, |relevant|)} 1/log2(r + 1).

(``implicit``'s own "precision@k" divides by min(k, |relevant|) instead; this is plain recall.)

Example:
    >>> recall_at_k([3, 1, 2], {1, 9}, 2)
    0.5
    >>> round(ndcg_at_k([3, 1, 2], {1, 9}, 2), 4)  # hit at rank 2: (1/log2 3) / (1 + 1/log2 3)
    0.3869
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp  # type: ignore[import-untyped]
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from pasar.creators.matching.interactions import MatchingData

_FILTERED = -1e37  # implicit's top-k scores a filtered item -FLT_MAX


@dataclass(frozen=True)
class Scores:
    """Mean recall@k and NDCG@k over the queries of an evaluation."""

    recall: float
    ndcg: float


def recall_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Share of ``relevant`` among the first ``k`` of ``ranked`` (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[int], relevant: set[int], k: int) -> float:
    """Binary-relevance NDCG of the first ``k`` of ``ranked`` (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    gain = sum(1.0 / np.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / np.log2(r + 2) for r in range(min(k, len(relevant))))
    return float(gain / ideal)


@dataclass(frozen=True)
class Relevant:
    """The relevant items of each query: pair ``i`` says item ``items[i]`` is relevant to
    query row ``rows[i]`` (rows index ``queries``)."""

    queries: np.ndarray
    rows: np.ndarray
    items: np.ndarray

    def subset(self, keep: np.ndarray) -> Relevant:
        """Only the query rows ``keep`` (sorted indices), renumbered."""
        position = np.full(len(self.queries), -1, dtype=np.int64)
        position[keep] = np.arange(len(keep))
        mine = position[self.rows] >= 0
        return Relevant(self.queries[keep], position[self.rows[mine]], self.items[mine])

    def sets(self) -> list[set[int]]:
        """The relevant items of each query as a set."""
        out: list[set[int]] = [set() for _ in self.queries]
        for row, item in zip(self.rows.tolist(), self.items.tolist(), strict=True):
            out[row].add(item)
        return out


def relevant_pairs(items: np.ndarray, queries: np.ndarray) -> Relevant:
    """Group (item, query) pairs by query — e.g. the test's (creator, product) pairs."""
    unique, rows = np.unique(queries, return_inverse=True)
    return Relevant(unique, rows.astype(np.int64), items.astype(np.int64))


def mean_scores(ranked: np.ndarray, relevant: Relevant, k: int) -> Scores:
    """Mean recall@k and NDCG@k of ranked rows (one per query; -1 = padding), computed for all
    queries at once (the same numbers as :func:`recall_at_k` and :func:`ndcg_at_k`)."""
    n_q = len(relevant.queries)
    if n_q == 0:
        return Scores(0.0, 0.0)
    top = np.asarray(ranked)[:, :k].astype(np.int64)
    width = int(max(top.max(initial=0), relevant.items.max(initial=0))) + 1
    pairs = np.unique(relevant.rows * width + relevant.items)
    keys = np.arange(n_q)[:, None] * width + top
    hits = np.isin(keys, pairs) & (top >= 0)
    wanted = np.bincount(relevant.rows, minlength=n_q)
    discount = 1.0 / np.log2(np.arange(k) + 2.0)
    ideal = np.concatenate([[0.0], np.cumsum(discount)])[np.minimum(wanted, k)]
    recall = hits.sum(axis=1) / np.maximum(wanted, 1)
    ndcg = (hits * discount[: top.shape[1]]).sum(axis=1) / np.where(ideal > 0, ideal, 1.0)
    return Scores(float(recall.mean()), float(ndcg.mean()))


def top_k(
    queries: np.ndarray,
    items: np.ndarray,
    k: int,
    exclude: sp.csr_matrix | None = None,
    never: np.ndarray | None = None,
    threads: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query row the ``k`` items with the highest dot product, best first, as
    (indices, scores); a query with fewer than ``k`` eligible items is padded with -1 (NaN).

    ``exclude`` (queries × items, any non-zero) removes items per query and ``never`` removes
    items for every query. implicit's top-k multiplies in batches and keeps a heap per query in
    native threads, so the queries × items score matrix never exists whole.
    """
    from implicit.cpu.topk import topk  # type: ignore[import-untyped]

    kept: np.ndarray | None = None
    if never is not None and len(never):
        # leave those items out of the multiplication rather than mask them in every batch
        keep = np.ones(items.shape[0], dtype=bool)
        keep[np.asarray(never, dtype=np.int64)] = False
        kept = np.flatnonzero(keep)
        if exclude is not None:
            exclude = _columns(sp.csr_matrix(exclude), kept, items.shape[0])
        items = items[kept]
    n_items = items.shape[0]
    if n_items == 0 or queries.shape[0] == 0:
        empty = np.full((queries.shape[0], k), -1, dtype=np.int32)
        return empty, np.full((queries.shape[0], k), np.nan, dtype=np.float32)
    wanted = min(k, n_items)
    with threadpool_limits(1, "blas"):  # top-k's own threads; nested BLAS threads only thrash
        ids, scores = topk(
            np.ascontiguousarray(items, dtype=np.float32),
            np.ascontiguousarray(queries, dtype=np.float32),
            wanted,
            filter_query_items=_RowView(exclude) if exclude is not None else None,
            num_threads=threads if n_items * queries.shape[0] > 20_000_000 else 1,
        )
    found = scores > _FILTERED
    if kept is not None:
        ids = kept[ids]
    ids = np.where(found, ids, -1).astype(np.int32)
    scores = np.where(ids >= 0, scores, np.nan).astype(np.float32)
    if wanted < k:
        ids = np.pad(ids, ((0, 0), (0, k - wanted)), constant_values=-1)
        scores = np.pad(scores, ((0, 0), (0, k - wanted)), constant_values=np.nan)
    return ids, scores


def _columns(matrix: sp.csr_matrix, kept: np.ndarray, width: int) -> sp.csr_matrix:
    """``matrix`` with only the columns ``kept``, renumbered."""
    position = np.full(width, -1, dtype=np.int64)
    position[kept] = np.arange(len(kept))
    coo = matrix.tocoo()
    mine = position[coo.col] >= 0
    return sp.csr_matrix(
        (coo.data[mine], (coo.row[mine], position[coo.col[mine]])),
        shape=(matrix.shape[0], len(kept)),
    )


class _Row:
    __slots__ = ("indices",)

    def __init__(self, indices: np.ndarray) -> None:
        self.indices = indices


class _RowView:
    """The rows of a CSR matrix as implicit's top-k reads them (``view[row].indices``),
    without building a scipy matrix per row (which costs ~100 µs a row: 5 s for 50k)."""

    def __init__(self, matrix: sp.csr_matrix) -> None:
        csr = sp.csr_matrix(matrix)
        self.indptr, self.indices = csr.indptr, csr.indices

    def __getitem__(self, row: int) -> _Row:
        return _Row(self.indices[self.indptr[row] : self.indptr[row + 1]])


def new_pairs(data: MatchingData, cutoff: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """(creators, products) of the pairs with a first event in ``[cutoff, end)`` — none before
    the cut-off — whose creator joined and product was listed before the cut-off (what a model
    as of the cut-off could have recommended)."""
    events = data.events
    n_p = np.int64(len(data.products.ids))
    early = events.at < cutoff
    before = np.unique(events.creator[early].astype(np.int64) * n_p + events.product[early])
    window = (events.at >= cutoff) & (events.at < end)
    pairs = np.unique(events.creator[window].astype(np.int64) * n_p + events.product[window])
    pairs = pairs[~np.isin(pairs, before, assume_unique=True)]
    creators, products = (pairs // n_p).astype(np.int32), (pairs % n_p).astype(np.int32)
    known = (data.creators.joined_at[creators] < cutoff) & (
        data.products.listed_at[products] < cutoff
    )
    return creators[known], products[known]
