"""Creator endpoints: find creators and read one creator's profile and metrics.

A creator sees only its own profile and an agent only the creators assigned to them; any
other creator answers 404, exactly as one that does not exist, and lists are filtered.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from pasar.api.access import Principal, needs
from pasar.api.pages import NO_NUL, Page, PageRequest, errors, page_request
from pasar.creators.profiles import creator_profile, find_creators
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.kit.issues import did_you_mean

router = APIRouter(tags=["creators"], responses=errors(401, 403, 422))
CreatorId = Annotated[str, Path(pattern=NO_NUL, max_length=100)]
SORTABLE = ("creator_id", "handle", "followers", "primary_category", "province")


class Creator(BaseModel):
    creator_id: str
    handle: str
    followers: int
    primary_category: str | None
    province: str | None


class CreatorDetail(Creator):
    as_of: dt.date | None
    metrics: dict[str, float | int | None]


@router.get("/creators", response_model=Page[Creator])
def list_creators(
    request: Request,
    q: str = Query("", pattern=NO_NUL, max_length=100, description="Part of the id or handle."),
    category: str = Query("", pattern=NO_NUL, max_length=100, description="Primary category."),
    page: PageRequest = Depends(page_request),
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """Creators the caller may see, most followed first (``sort`` by any field)."""
    rows = find_creators(request.app.state.settings, caller.creators, q, category)
    if page.sort:
        name = page.sort.lstrip("-")
        if name not in SORTABLE:
            raise ValidationError(
                f"cannot sort by {name!r}{did_you_mean(name, SORTABLE)}; "
                f"sortable: {', '.join(SORTABLE)}",
                field="sort",
            )
        rows.sort(key=lambda r: (r[name] is None, r[name]), reverse=page.sort.startswith("-"))
    items = rows[page.offset : page.offset + page.limit]
    return {"items": items, "total": len(rows), "limit": page.limit, "offset": page.offset}


@router.get("/creators/{creator_id}", response_model=CreatorDetail, responses=errors(404))
def get_creator(
    creator_id: CreatorId,
    request: Request,
    caller: Principal = Depends(needs("creators:read")),
) -> dict[str, Any]:
    """One creator's profile and the metrics of the latest creator snapshot."""
    if not caller.may_see_creator(creator_id):
        raise NotFoundError(f"no creator {creator_id}")
    profile = creator_profile(request.app.state.settings, creator_id)
    return {**profile.__dict__, "metrics": {k: _plain(v) for k, v in profile.metrics.items()}}


def _plain(value: Any) -> float | int | None:
    if value is None or isinstance(value, int | float):
        return value
    return float(value)
