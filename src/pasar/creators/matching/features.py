"""Content features of creators and products as of a cut-off: category affinity, price band,
audience province, follower tier and GPM over the last 30 days.

Every feature reads only what happened strictly before the cut-off, so that a model as of a
day never sees that day's future. Each is a small dense block whose dot product with the
product's block is one part of the match score (see :mod:`pasar.creators.matching.model`):

* category — how much the creator has done in each category: log(1 + weighted interactions),
  with their primary category counted as PRIOR interactions, scaled so that the 99th
  percentile of creators' busiest category is 1 · the product's category (one-hot) — both the
  creator's taste and their volume in the category;
* price band — the creator's share in each price band (smoothed towards the marketplace) · the
  product's band (one-hot);
* audience province — the buyer provinces of the creator's orders (smoothed towards their home
  province) · the buyer provinces of the product's orders (towards the seller's), both
  L2-normalised, so their dot product is a cosine;
* follower tier — how much more (or less) than average creators of the tier take up products
  of each price band (a lift learned from the interactions), · the product's band;
* GPM — GMV of the creator's LIVE and video orders per 1,000 views over the last 30 days, as a
  score in [0, 1] (log scale, capped at the 99th percentile).

Example::

    features = build_features(data, data.latest_day())
    features.gpm[data.creator("C000001")]     # IDR per 1,000 views, NaN without content sales
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

import numpy as np

from pasar.creators.matching.interactions import KINDS, ORDER, WEIGHTS, MatchingData
from pasar.kit.money import format_money

# Price bands in IDR (upper edges) and follower tiers (lower edges of the next tier), the tiers
# the reference uses for creator mix by product stage (creators.md §3).
BAND_EDGES = (50_000.0, 150_000.0, 500_000.0, 1_500_000.0)
TIER_EDGES = (10_000, 100_000, 500_000, 1_000_000)
TIERS = ("nano", "micro", "mid-tier", "macro", "mega")
GPM_DAYS = 30
PRIOR = 2.0  # pseudo-interactions pulling a creator with little history towards their profile


def rupiah(amount: float) -> str:
    """IDR as a person here reads it: ``Rp 41.000`` (pasar.kit.money, Indonesian grouping)."""
    return format_money(amount, "IDR", "id").replace("Rp", "Rp ", 1)


def band_labels() -> tuple[str, ...]:
    """Readable price bands: ``under Rp 50.000`` … ``Rp 1.500.000 and more``."""
    edges = [rupiah(e) for e in BAND_EDGES]
    middle = [f"{lo}–{hi}" for lo, hi in itertools.pairwise(edges)]
    return (f"under {edges[0]}", *middle, f"{edges[-1]} and more")


BANDS = band_labels()


def price_band(price: np.ndarray) -> np.ndarray:
    """The band index of each price."""
    return np.searchsorted(np.asarray(BAND_EDGES), price, side="right").astype(np.int32)


def follower_tier(followers: np.ndarray) -> np.ndarray:
    """The tier index of each follower count (nano under 10k … mega from 1M)."""
    return np.searchsorted(np.asarray(TIER_EDGES), followers, side="right").astype(np.int32)


@dataclass(frozen=True)
class Features:
    """Creator and product features as of ``as_of`` (events before ``cutoff``)."""

    as_of: dt.date
    cutoff: int
    creator_category: np.ndarray  # (creators, categories) log volume, about 0 to 1
    category_share: np.ndarray  # (creators, categories) share of interactions, rows sum to 1
    creator_band: np.ndarray  # (creators, bands) shares
    creator_audience: np.ndarray  # (creators, provinces) L2-normalised
    creator_tier: np.ndarray  # (creators,) tier index
    product_category: np.ndarray  # (products,) index, -1 unknown
    product_band: np.ndarray  # (products,)
    product_market: np.ndarray  # (products, provinces) L2-normalised
    tier_fit: np.ndarray  # (tiers, bands) in (0, 1); 0.5 = as often as average
    gpm: np.ndarray  # (creators,) IDR per 1,000 views over GPM_DAYS, NaN when undefined
    gpm_score: np.ndarray  # (creators,) in [0, 1]
    sold: np.ndarray  # (creators, categories) distinct products sold before the cut-off
    audience_share: np.ndarray  # (creators, provinces) share of the creator's buyers
    market_share: np.ndarray  # (products, provinces) share of the product's buyers
    market_size: np.ndarray  # (products,) order lines with a known buyer province


def build_features(data: MatchingData, as_of: dt.date) -> Features:
    """The features of every creator and product from what happened up to local day ``as_of``."""
    cutoff = data.cutoff(as_of)
    n_c, n_p = len(data.creators.ids), len(data.products.ids)
    n_k, n_b, n_r = len(data.categories), len(BANDS), max(len(data.provinces), 1)
    events = data.events.select(data.events.at < cutoff)
    weight = np.array([WEIGHTS[k] for k in KINDS])[events.kind]
    product_category = data.products.category
    product_band = price_band(data.products.price)
    known = product_category[events.product] >= 0

    in_category = _sums(
        events.creator[known],
        product_category[events.product[known]],
        weight[known],
        (n_c, n_k),
    )
    primary = _one_hot(data.creators.category, n_k)
    volume = np.log1p(in_category + PRIOR * primary)
    top = np.quantile(volume.max(axis=1), 0.99) if n_c else 1.0
    category = volume / max(float(top), 1e-9)
    category_share = _normalised_rows(in_category + PRIOR * primary)
    overall_band = np.bincount(product_band[events.product], weights=weight, minlength=n_b)
    band_prior = np.tile(_normalised(overall_band + 1.0), (n_c, 1))
    band = _shares(events.creator, product_band[events.product], weight, band_prior, (n_c, n_b))

    orders = events.select((events.kind == ORDER) & (events.province >= 0))
    audience_counts = _counts(orders.creator, orders.province, (n_c, n_r))
    audience = _unit_rows(audience_counts + PRIOR * _one_hot(data.creators.province, n_r))
    buyers = data.buyers.at < cutoff
    market_counts = _counts(data.buyers.subject[buyers], data.buyers.value[buyers], (n_p, n_r))
    market = _unit_rows(market_counts + PRIOR * _one_hot(data.products.province, n_r))

    tier = follower_tier(data.creators.followers)
    pairs = np.unique(events.creator.astype(np.int64) * n_p + events.product)
    pair_tier, pair_band = tier[pairs // n_p], product_band[pairs % n_p]
    taken = _counts(pair_tier, pair_band, (len(TIERS), n_b)) + 1.0
    lift = taken * taken.sum() / np.outer(taken.sum(axis=1), taken.sum(axis=0))
    tier_fit = lift / (1.0 + lift)

    gpm = creator_gpm(data, cutoff)
    gpm_score = _gpm_score(gpm)

    sold_pairs = np.unique(
        events.creator[events.kind == ORDER].astype(np.int64) * n_p
        + events.product[events.kind == ORDER]
    )
    sold_category = product_category[sold_pairs % n_p]
    ok = sold_category >= 0
    sold = _counts((sold_pairs // n_p)[ok], sold_category[ok], (n_c, n_k)).astype(np.int32)
    totals = audience_counts.sum(axis=1, keepdims=True)
    audience_share = np.divide(
        audience_counts, totals, out=np.zeros_like(audience_counts), where=totals > 0
    )
    sold_to = market_counts.sum(axis=1, keepdims=True)
    market_share = np.divide(
        market_counts, sold_to, out=np.zeros_like(market_counts), where=sold_to > 0
    )
    return Features(
        as_of=as_of,
        cutoff=cutoff,
        creator_category=category.astype(np.float32),
        category_share=category_share.astype(np.float32),
        creator_band=band.astype(np.float32),
        creator_audience=audience.astype(np.float32),
        creator_tier=tier,
        product_category=product_category,
        product_band=product_band,
        product_market=market.astype(np.float32),
        tier_fit=tier_fit.astype(np.float32),
        gpm=gpm,
        gpm_score=gpm_score.astype(np.float32),
        sold=sold,
        audience_share=audience_share.astype(np.float32),
        market_share=market_share.astype(np.float32),
        market_size=sold_to.ravel().astype(np.int64),
    )


def creator_gpm(data: MatchingData, cutoff: int, days: int = GPM_DAYS) -> np.ndarray:
    """GMV of each creator's LIVE and video orders per 1,000 views of their videos and LIVE
    sessions over the ``days`` days before ``cutoff`` (NaN without such an order or views) —
    the metric catalog's ``creator_gpm_30d``."""
    start = cutoff - days * 86_400_000_000
    n_c = len(data.creators.ids)
    sales = (data.sales.at >= start) & (data.sales.at < cutoff)
    seen = (data.exposure.at >= start) & (data.exposure.at < cutoff)
    gmv = np.bincount(data.sales.subject[sales], weights=data.sales.value[sales], minlength=n_c)
    orders = np.bincount(data.sales.subject[sales], minlength=n_c)
    views = np.bincount(
        data.exposure.subject[seen], weights=data.exposure.value[seen], minlength=n_c
    )
    gpm = np.full(n_c, np.nan)
    defined = (orders > 0) & (views > 0)
    gpm[defined] = gmv[defined] * 1000.0 / views[defined]
    return gpm


def _gpm_score(gpm: np.ndarray) -> np.ndarray:
    known = gpm[np.isfinite(gpm) & (gpm > 0)]
    if not len(known):
        return np.zeros(len(gpm))
    top = np.log1p(np.quantile(known, 0.99))
    score = np.log1p(np.nan_to_num(gpm, nan=0.0).clip(min=0)) / max(top, 1e-9)
    return np.asarray(score.clip(0.0, 1.0))


def _counts(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    flat = rows.astype(np.int64) * shape[1] + cols.astype(np.int64)
    return np.bincount(flat, minlength=shape[0] * shape[1]).reshape(shape).astype(np.float64)


def _sums(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, shape: tuple[int, int]
) -> np.ndarray:
    flat = rows.astype(np.int64) * shape[1] + cols.astype(np.int64)
    return np.bincount(flat, weights=weights, minlength=shape[0] * shape[1]).reshape(shape)


def _shares(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    prior: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Weighted shares per row, plus PRIOR pseudo-weight spread as ``prior`` (rows sum to 1;
    a row with neither falls back to uniform)."""
    return _normalised_rows(_sums(rows, cols, weights, shape) + PRIOR * prior)


def _one_hot(index: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(index), width))
    ok = (index >= 0) & (index < width)
    out[np.flatnonzero(ok), index[ok]] = 1.0
    return out


def _normalised(vector: np.ndarray) -> np.ndarray:
    total = vector.sum()
    return vector / total if total > 0 else np.full(len(vector), 1.0 / max(len(vector), 1))


def _normalised_rows(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=1, keepdims=True)
    uniform = np.full_like(matrix, 1.0 / max(matrix.shape[1], 1))
    return np.where(totals > 0, matrix / np.where(totals > 0, totals, 1.0), uniform)


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.sqrt((matrix**2).sum(axis=1, keepdims=True))
    unit: np.ndarray = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return unit
