"""What every endpoint shares: pagination, filtering and sorting of lists, the bounds of ids
and text, and the error body."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pasar.kit.errors import ValidationError
from pasar.kit.issues import did_you_mean

T = TypeVar("T")

# Ids are 32-bit integers on PostgreSQL (and no table holds more rows): a larger id or offset
# answers 422 instead of failing in the database.
MAX_ID = 2**31 - 1
# PostgreSQL text cannot hold NUL characters: text with one answers 422.
NO_NUL = r"^[^\x00]*$"


class ErrorDetail(BaseModel):
    code: str = Field(description="e.g. unauthenticated, forbidden, not_found, conflict, invalid")
    message: str
    field: str | None = Field(description="The parameter or body field at fault, if one is.")


class ErrorBody(BaseModel):
    """What the API answers when it refuses a request."""

    error: ErrorDetail


ERRORS = {
    400: "The body could not be read.",
    401: "No valid token: send Authorization: Bearer <token>.",
    403: "The role of the token does not allow this.",
    404: "No such thing, or not one the caller may see.",
    409: "Someone changed it first, or it is already waiting or decided.",
    422: "A parameter or body field is invalid (`field` names it).",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` of a route that may refuse with ``statuses``."""
    return {status: {"model": ErrorBody, "description": ERRORS[status]} for status in statuses}


class Page(BaseModel, Generic[T]):
    """One page of a list: the items, how many there are in all, and where this page is."""

    items: list[T]
    total: int
    limit: int
    offset: int


class PageRequest(BaseModel):
    limit: int
    offset: int
    sort: str | None


async def page_request(
    limit: int = Query(50, ge=1, le=500, description="Items per page."),
    offset: int = Query(0, ge=0, le=MAX_ID, description="Items to skip."),
    sort: str | None = Query(None, description="A field; '-field' for descending."),
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset, sort=sort)


def paginate(
    unit: Session,
    query: Select[Any],
    request: PageRequest,
    sortable: dict[str, Any],
    default: Sequence[Any],
) -> tuple[list[Any], int]:
    """The rows of ``query`` for ``request`` and the total count."""
    total = unit.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    order = list(default)
    asked = sort_order(request.sort, tuple(sorted(sortable)))
    if asked is not None:
        name, descending = asked
        order = [sortable[name].desc() if descending else sortable[name].asc(), *order]
    rows = unit.scalars(query.order_by(*order).limit(request.limit).offset(request.offset))
    return list(rows), int(total)


def sort_order(sort: str | None, sortable: tuple[str, ...]) -> tuple[str, bool] | None:
    """The field ``sort`` names and whether it is descending (``-field``), or ``None`` when no
    sort is asked for; :class:`ValidationError` when the field is not one of ``sortable``."""
    if not sort:
        return None
    name = sort.lstrip("-")
    if name not in sortable:
        raise ValidationError(
            f"cannot sort by {name!r}{did_you_mean(name, sortable)}; "
            f"sortable: {', '.join(sortable)}",
            field="sort",
        )
    return name, sort.startswith("-")


def page_of(
    rows: list[dict[str, Any]], page: PageRequest, sortable: tuple[str, ...]
) -> dict[str, Any]:
    """One page of ``rows`` (already in their default order), sorted by ``page.sort`` when
    given (rows without a value last, whichever the direction)."""
    order = sort_order(page.sort, sortable)
    if order is not None:
        name, descending = order
        known = [r for r in rows if r[name] is not None]
        known.sort(key=lambda r: r[name], reverse=descending)
        rows = known + [r for r in rows if r[name] is None]
    return page_window(rows, page)


def page_window(rows: list[dict[str, Any]], page: PageRequest) -> dict[str, Any]:
    """The page ``page`` asks for of ``rows`` already in order, as a :class:`Page` body."""
    items = rows[page.offset : page.offset + page.limit]
    return {"items": items, "total": len(rows), "limit": page.limit, "offset": page.offset}
