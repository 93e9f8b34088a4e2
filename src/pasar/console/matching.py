"""Console page of creator matching (``/creators/match``): pick a product to see the best
creators for it, or a creator to see the best products, each with the reasons behind it;
the list downloads as CSV or XLSX.

An agent sees only the creators assigned to them (in a product's list, and as the creator
picked); a creator sees only itself in a product's list and its own product list, which the
page opens with.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.creators.matching.cache import current_model
from pasar.creators.matching.recommend import (
    MAX_K,
    Match,
    creators_for_product,
    products_for_creator,
)
from pasar.kit.errors import NotFoundError, PasarError

router = APIRouter(include_in_schema=False)
TITLE = "Creator matching"

INDONESIAN.update(
    {
        "Creator matching": "Pencocokan kreator",
        "Creators for a product": "Kreator untuk produk",
        "Products for a creator": "Produk untuk kreator",
        "Product id": "ID produk",
        "Creator id": "ID kreator",
        "How many": "Jumlah",
        "Include past partners": "Termasuk mitra lama",
        "Match": "Cocokkan",
        "Score": "Skor",
        "Tier": "Tingkat",
        "GPM 30 days": "GPM 30 hari",
        "Reasons": "Alasan",
        "Worked together": "Pernah bekerja sama",
        "Model data up to": "Data model sampai",
        "Pick a product to find creators for it, or a creator to find products.": (
            "Pilih produk untuk mencari kreatornya, atau kreator untuk mencari produknya."
        ),
        "No creator to recommend: every candidate worked with it already, or none is "
        "assigned to you.": (
            "Tidak ada kreator untuk direkomendasikan: semua kandidat sudah pernah bekerja "
            "sama, atau belum ada yang ditugaskan kepada Anda."
        ),
        "No product to recommend.": "Tidak ada produk untuk direkomendasikan.",
    }
)


@router.get("/creators/match")
def match_page(
    request: Request,
    product: str = "",
    creator: str = "",
    k: str = "20",
    past: str = "",
    view: Page = Depends(page, scope="function"),
) -> Response:
    """The form; with a product its best creators, with a creator its best products."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see creator matching.")
    caller = view.caller
    own = view.user.creator_id if view.user.role == "creator" else None
    if own and not product and not creator:
        creator = str(own)
    product, creator = product.strip(), creator.strip()
    form = {"product": product, "creator": creator, "k": k, "past": past}
    size = int(k) if k.isdigit() and 1 <= int(k) <= MAX_K else None
    if size is None:
        problem = f"How many must be a whole number from 1 to {MAX_K}, not {k!r}."
        return view.render("creators_match.html", TITLE, 422, form=form, problems=[problem])
    if not product and not creator:
        return view.render("creators_match.html", TITLE, form=form)
    if creator and not caller.may_see_creator(creator):
        return view.error(404, "Not found", f"There is no creator {creator} to show.")
    try:
        model = current_model(request.app.state.settings)
        if product:
            matches = creators_for_product(model, product, size, bool(past), caller.creators)
            table = _creators_table(product, matches)
        else:
            matches = products_for_creator(model, creator, size, bool(past))
            table = _products_table(creator, matches)
    except PasarError as exc:
        status = 404 if isinstance(exc, NotFoundError) else 422
        return view.render("creators_match.html", TITLE, status, form=form, problems=[str(exc)])
    return view.render("creators_match.html", TITLE, form=form, results=table, as_of=model.as_of)


def _rows(matches: list[Match]) -> list[dict[str, Any]]:
    return [
        {
            **vars(m),
            "reasons": "; ".join(m.reasons),
            "collaborated": "yes" if m.collaborated else "",
        }
        for m in matches
    ]


def _creators_table(product: str, matches: list[Match]) -> Table:
    columns = [
        Column("rank", "#", "int"),
        Column("creator_id", "Creator", href="/creators/{creator_id}"),
        Column("handle", "Handle"),
        Column("followers", "Followers", "int"),
        Column("tier", "Tier"),
        Column("gpm_30d", "GPM 30 days", "money"),
        Column("score", "Score", "number"),
        Column("collaborated", "Worked together"),
        Column("reasons", "Reasons"),
    ]
    title = f"Creators for {product}"
    if matches:
        title += f" · {matches[0].title} ({matches[0].category or '—'})"
    return Table(
        "matches",
        title,
        columns,
        _rows(matches),
        empty="No creator to recommend: every candidate worked with it already, or none is "
        "assigned to you.",
    )


def _products_table(creator: str, matches: list[Match]) -> Table:
    columns = [
        Column("rank", "#", "int"),
        Column("product_id", "Product"),
        Column("title", "Title"),
        Column("category", "Category"),
        Column("price", "Price", "money"),
        Column("score", "Score", "number"),
        Column("collaborated", "Worked together"),
        Column("reasons", "Reasons"),
    ]
    title = f"Products for {creator}"
    if matches:
        title += f" · {matches[0].handle}"
    return Table("matches", title, columns, _rows(matches), empty="No product to recommend.")
