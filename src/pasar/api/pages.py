"""Pagination, filtering and sorting shared by every list endpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from pasar.kit.errors import ValidationError
from pasar.kit.issues import did_you_mean

T = TypeVar("T")


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


def page_request(
    limit: int = Query(50, ge=1, le=500, description="Items per page."),
    offset: int = Query(0, ge=0, description="Items to skip."),
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
    if request.sort:
        name = request.sort.lstrip("-")
        if name not in sortable:
            raise ValidationError(
                f"cannot sort by {name!r}{did_you_mean(name, sortable)}; "
                f"sortable: {', '.join(sorted(sortable))}",
                field="sort",
            )
        column = sortable[name]
        order = [column.desc() if request.sort.startswith("-") else column.asc(), *order]
    rows = unit.scalars(query.order_by(*order).limit(request.limit).offset(request.offset))
    return list(rows), int(total)
