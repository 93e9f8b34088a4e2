"""Matching endpoints: the best creators for a product and the best products for a creator,
each with the reasons behind it, from the model of the current warehouse (fitted once per
warehouse state, see :mod:`pasar.creators.matching.cache`).

An agent gets only the creators assigned to them in a product's list, and a creator only
itself; a creator reads only its own product list and an agent only those of its creators —
any other creator answers 404, as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from pasar.api.access import Principal, needs
from pasar.api.pages import NO_NUL, errors
from pasar.creators.matching.cache import current_model
from pasar.creators.matching.recommend import (
    MAX_K,
    Match,
    creators_for_product,
    products_for_creator,
)
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["creator matching"], responses=errors(401, 403, 422))
SubjectId = Annotated[str, Path(pattern=NO_NUL, max_length=100)]


class Recommendation(BaseModel):
    rank: int
    creator_id: str
    handle: str
    product_id: str
    title: str
    category: str | None
    score: float = Field(description="The model's match score (higher is better).")
    followers: int
    tier: str = Field(description="Follower tier: nano, micro, mid-tier, macro or mega.")
    gpm_30d: float | None = Field(description="GMV per 1,000 views, last 30 days (IDR).")
    price: float
    collaborated: bool = Field(description="The pair worked together before.")
    reasons: list[str]


class Recommendations(BaseModel):
    as_of: dt.date = Field(description="The last day of data the model learned from.")
    items: list[Recommendation]


def _out(as_of: dt.date, matches: list[Match]) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "items": [
            {name: getattr(m, name) for name in Recommendation.model_fields} for m in matches
        ],
    }


@router.get(
    "/products/{product_id}/creators", response_model=Recommendations, responses=errors(404)
)
def recommend_creators(
    product_id: SubjectId,
    request: Request,
    k: int = Query(20, ge=1, le=MAX_K, description="How many creators."),
    include_past: bool = Query(False, description="Keep creators who worked with it before."),
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """The best creators for a product with their reasons (only those the caller may see)."""
    model = current_model(request.app.state.settings)
    matches = creators_for_product(model, product_id, k, include_past, among=caller.creators)
    return _out(model.as_of, matches)


@router.get(
    "/creators/{creator_id}/products", response_model=Recommendations, responses=errors(404)
)
def recommend_products(
    creator_id: SubjectId,
    request: Request,
    k: int = Query(20, ge=1, le=MAX_K, description="How many products."),
    include_past: bool = Query(False, description="Keep products it worked with before."),
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """The best products for a creator the caller may see, with their reasons."""
    if not caller.may_see_creator(creator_id):
        raise NotFoundError(f"no creator {creator_id}")
    model = current_model(request.app.state.settings)
    return _out(model.as_of, products_for_creator(model, creator_id, k, include_past))
