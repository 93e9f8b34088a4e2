"""Recommendations: the top creators for a product (and products for a creator), each with the
reasons a person can check, and the batched top-k that ranks every product at once.

By default a creator who already collaborated with the product (sold it, posted a video about
it, featured it in a LIVE) is left out — the point is to find new partners; ``include_past``
keeps them.

Example::

    for match in creators_for_product(model, "P0000123", k=5):
        print(match.rank, match.creator_id, "; ".join(match.reasons))
    # 1 C000042 sold 3 similar Beauty & Personal Care products; GPM Rp 41.000 last 30 days; …
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pasar.creators.matching.features import BANDS, TIERS, rupiah
from pasar.creators.matching.model import MatchModel
from pasar.creators.matching.ranking import top_k
from pasar.kit.errors import ValidationError

MAX_K = 500
MIN_BUYERS = 5  # a product's buyers before "where it sells most" means something


@dataclass(frozen=True)
class Match:
    """One recommended creator × product pair."""

    rank: int
    creator_id: str
    handle: str
    product_id: str
    title: str
    category: str | None
    score: float
    followers: int
    tier: str
    gpm_30d: float | None
    price: float
    collaborated: bool
    reasons: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)


def check_k(k: int) -> int:
    """``k`` if it is a sensible list length (1 to MAX_K), else a clear error."""
    if not 1 <= k <= MAX_K:
        raise ValidationError(f"k must be between 1 and {MAX_K}, got {k}", field="k")
    return k


def creators_for_product(
    model: MatchModel,
    product_id: str,
    k: int = 20,
    include_past: bool = False,
    among: frozenset[str] | None = None,
) -> list[Match]:
    """The ``k`` best creators for a product (only creators in ``among`` when given)."""
    check_k(k)
    data = model.data
    j = data.product(product_id)
    scores = model.scores_for_product(j)
    allowed = model.creator_known.copy()
    if among is not None:
        index = data.creator_index
        mask = np.zeros_like(allowed)
        mask[[index[c] for c in among if c in index]] = True
        allowed &= mask
    past = model.collaborated[j].indices
    if not include_past:
        allowed[past] = False
    chosen = _best(scores, allowed, k)
    past_set = set(past.tolist())
    return [
        _match(model, int(i), j, rank, float(scores[i]), int(i) in past_set)
        for rank, i in enumerate(chosen, start=1)
    ]


def products_for_creator(
    model: MatchModel, creator_id: str, k: int = 20, include_past: bool = False
) -> list[Match]:
    """The ``k`` best active products for a creator."""
    check_k(k)
    data = model.data
    i = data.creator(creator_id)
    scores = model.scores_for_creator(i)
    allowed = model.product_known & data.products.active
    past = model.interactions[i].indices
    if not include_past:
        allowed[past] = False
    chosen = _best(scores, allowed, k)
    past_set = set(past.tolist())
    return [
        _match(model, i, int(j), rank, float(scores[j]), int(j) in past_set)
        for rank, j in enumerate(chosen, start=1)
    ]


def _best(scores: np.ndarray, allowed: np.ndarray, k: int) -> np.ndarray:
    """The indices of the ``k`` highest allowed scores, best first."""
    candidates = np.flatnonzero(allowed)
    if len(candidates) > k:
        top = np.argpartition(-scores[candidates], k - 1)[:k]
        candidates = candidates[top]
    order = np.lexsort((candidates, -scores[candidates]))
    return candidates[order]


def top_creators(
    model: MatchModel,
    products: np.ndarray | None = None,
    k: int = 20,
    include_past: bool = False,
    threads: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The top-``k`` creator indices for each product index (every product when None)."""
    rows = np.arange(len(model.data.products.ids)) if products is None else products
    exclude = None if include_past else model.collaborated[rows]
    return top_k(
        model.product_matrix[rows],
        model.creator_matrix,
        k,
        exclude=exclude,
        never=np.flatnonzero(~model.creator_known),
        threads=threads or model.config.threads,
    )


def popular_creators(
    model: MatchModel, products: np.ndarray, k: int = 20, include_past: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """The popularity baseline: the creators with the most interactions before the cut-off,
    the same list for every product (minus its past creators unless ``include_past``)."""
    popularity = model.creator_popularity.astype(np.float32)[:, None]
    # a tiny decreasing tie-break keeps the order stable (lower index first among equals)
    popularity = popularity + np.linspace(1e-3, 0, len(popularity), dtype=np.float32)[:, None]
    return top_k(
        np.ones((len(products), 1), dtype=np.float32),
        popularity,
        k,
        exclude=None if include_past else model.collaborated[products],
        never=np.flatnonzero(~model.creator_known),
        threads=model.config.threads,
    )


# -- reasons ---------------------------------------------------------------------------------


def _match(
    model: MatchModel, creator: int, product: int, rank: int, score: float, past: bool
) -> Match:
    data, features = model.data, model.features
    category = int(features.product_category[product])
    gpm = float(features.gpm[creator])
    parts = model.parts(creator, product)
    return Match(
        rank=rank,
        creator_id=data.creators.ids[creator],
        handle=data.creators.handles[creator],
        product_id=data.products.ids[product],
        title=data.products.titles[product],
        category=data.categories[category] if category >= 0 else None,
        score=round(score, 6),
        followers=int(data.creators.followers[creator]),
        tier=TIERS[int(features.creator_tier[creator])],
        gpm_30d=round(gpm, 2) if np.isfinite(gpm) else None,
        price=float(data.products.price[product]),
        collaborated=past,
        reasons=reasons(model, creator, product, parts),
        parts={k: round(v, 6) for k, v in parts.items()},
    )


def reasons(
    model: MatchModel, creator: int, product: int, parts: dict[str, float] | None = None
) -> list[str]:
    """Why ``creator`` suits ``product``, strongest part of the score first: sentences whose
    numbers come straight from the features (products sold, GPM, buyers' provinces …)."""
    data, f = model.data, model.features
    parts = parts or model.parts(creator, product)
    said: dict[str, str] = {}
    category = int(f.product_category[product])
    name = data.categories[category] if category >= 0 else None
    if name is not None:
        sold = int(f.sold[creator, category])
        share = float(f.category_share[creator, category])
        if sold:
            said["category"] = f"sold {sold} similar {name} product{'s' * (sold != 1)}"
        elif model.warm_creators[creator] and share >= 0.3:
            said["category"] = f"{share:.0%} of their collaborations are {name}"
        elif int(data.creators.category[creator]) == category:
            said["category"] = f"{name} is their main category"
    gpm = float(f.gpm[creator])
    if np.isfinite(gpm):
        said["gpm"] = f"GPM {rupiah(gpm)} last {30} days"
    similar = _similar_past_product(model, creator, product)
    if similar is not None:
        said["cf"] = f"promoted a similar product: {data.products.titles[similar]}"
    elif not model.warm_products[product]:
        said["cf"] = "new product: no creator has worked with it yet, matched on its profile"
    elif not model.warm_creators[creator]:
        said["cf"] = "new creator: matched on their profile"
    province = _province_reason(model, creator, product)
    if province:
        said["province"] = province
    band = int(f.product_band[product])
    band_share = float(f.creator_band[creator, band])
    if model.warm_creators[creator] and band_share >= 0.4:
        said["band"] = f"{band_share:.0%} of their collaborations are priced {BANDS[band]}"
    fit = float(f.tier_fit[f.creator_tier[creator], band])
    lift = fit / (1.0 - fit)
    if lift >= 1.2:
        tier = TIERS[int(f.creator_tier[creator])]
        said["tier"] = (
            f"{tier} creator ({int(data.creators.followers[creator]):,} followers): "
            f"{tier} creators take up products priced {BANDS[band]} "
            f"{lift:.1f}× as often as average"
        )
    order = sorted(said, key=lambda block: -parts.get(block, 0.0))
    return [said[block] for block in order]


def _similar_past_product(model: MatchModel, creator: int, product: int) -> int | None:
    """The creator's past product closest to ``product`` in the factor space (cosine ≥ 0.5)."""
    past = model.interactions[creator].indices
    past = past[past != product]
    if not len(past) or not model.warm_products[product]:
        return None
    vectors = model.cf_products[past]
    target = model.cf_products[product]
    norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(target)
    cosine = np.divide(vectors @ target, norms, out=np.zeros(len(past)), where=norms > 0)
    best = int(np.argmax(cosine))
    return int(past[best]) if cosine[best] >= 0.5 else None


def _province_reason(model: MatchModel, creator: int, product: int) -> str | None:
    """The province most of the product's buyers are in, when the creator's buyers (or, for a
    creator who has sold nothing, their home) are there too."""
    data, f = model.data, model.features
    market = f.market_share[product]
    if f.market_size[product] < MIN_BUYERS:
        return None
    top = int(np.argmax(market))
    if (market >= market[top]).sum() > 1:  # a tie: no province sells most
        return None
    share = float(f.audience_share[creator, top])
    if share >= 0.2:
        return f"{share:.0%} of their buyers are in {data.provinces[top]}, where it sells most"
    if not f.audience_share[creator].any() and int(data.creators.province[creator]) == top:
        return f"based in {data.provinces[top]}, where it sells most"
    return None
