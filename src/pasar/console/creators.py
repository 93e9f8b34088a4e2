"""Console pages of creators: find creators (an agent sees those assigned to them, a creator
only itself) and a creator's profile with its metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from pasar.console.governance import UNIT_KINDS, MetricTable
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.creators.profiles import creator_profile, find_creators
from pasar.kit.errors import NotFoundError
from pasar.metrics.query import catalog_for

router = APIRouter(include_in_schema=False)


@router.get("/creators")
def creators_page(
    request: Request, q: str = "", category: str = "", view: Page = Depends(page, scope="function")
) -> Response:
    """Creators the user may see, searchable by id or handle and filtered by category."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see creators.")
    if view.user.role == "creator" and view.user.creator_id:
        return RedirectResponse(f"/creators/{view.user.creator_id}", status_code=303)
    settings = request.app.state.settings
    visible = view.caller.creators
    everyone = find_creators(settings, visible)
    rows = find_creators(settings, visible, q, category) if q or category else everyone
    table = Table(
        "creators",
        "Creators",
        [
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("handle", "Handle"),
            Column("followers", "Followers", "int"),
            Column("primary_category", "Category"),
            Column("province", "Province"),
        ],
        rows,
        empty="No creators match."
        if visible is None or visible
        else "No creator is assigned to you yet.",
    )
    categories = sorted({r["primary_category"] for r in everyone if r["primary_category"]})
    return view.render(
        "creators.html",
        "Creators",
        creators=table,
        categories=categories,
        filters={"q": q, "category": category},
    )


@router.get("/creators/{creator_id}")
def creator_page(
    creator_id: str, request: Request, view: Page = Depends(page, scope="function")
) -> Response:
    """One creator: who they are and their metrics from the latest snapshot."""
    missing = view.error(404, "Not found", f"There is no creator {creator_id} to show.")
    if not view.can("creators:read") or not view.caller.may_see_creator(creator_id):
        return missing
    settings = request.app.state.settings
    try:
        profile = creator_profile(settings, creator_id)
    except NotFoundError:
        return missing
    catalog = catalog_for(settings)
    rows: list[dict[str, Any]] = [
        {
            "metric": name,
            "value": value,
            "definition": catalog.metrics[name].description,
            "kind": UNIT_KINDS.get(catalog.metrics[name].unit, "number"),
        }
        for name, value in profile.metrics.items()
        if name in catalog.metrics
    ]
    metrics = MetricTable(
        "metrics",
        "Creator metrics",
        [
            Column("metric", "Metric"),
            Column("value", "Value", "number"),
            Column("definition", "Definition"),
        ],
        rows,
        empty="No metric snapshot yet.",
        note=f"{view.t('as of')} {profile.as_of}" if profile.as_of else "",
    )
    return view.render("creator.html", profile.handle, profile=profile, metrics=metrics)
