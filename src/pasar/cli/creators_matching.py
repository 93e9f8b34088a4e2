"""``pasar creators recommend`` and ``pasar creators match-eval``: creators for a product (or
products for a creator) with their reasons, and the matching model's offline evaluation on a
time split of the current warehouse."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.output import console, option_date
from pasar.config import get_settings
from pasar.creators.matching.cache import current_model
from pasar.creators.matching.evaluate import HORIZON_DAYS, evaluate
from pasar.creators.matching.features import rupiah
from pasar.creators.matching.interactions import load_warehouse
from pasar.creators.matching.recommend import (
    Match,
    check_k,
    creators_for_product,
    products_for_creator,
)
from pasar.kit.errors import ValidationError
from pasar.metrics import export
from pasar.warehouse.store import Warehouse

FORMATS = ("table", "csv", "json")
COLUMNS = (
    "rank",
    "creator_id",
    "handle",
    "product_id",
    "title",
    "category",
    "score",
    "followers",
    "tier",
    "gpm_30d",
    "price",
    "collaborated",
    "reasons",
)


def recommend_command(
    product: str | None = typer.Option(None, "--product", help="Creators for this product."),
    creator: str | None = typer.Option(None, "--creator", help="Products for this creator."),
    k: int = typer.Option(20, "--k", help="How many to list (1-500)."),
    format_: str = typer.Option("table", "--format", help="table, csv or json."),
    include_past: bool = typer.Option(
        False, "--include-past", help="Keep pairs that already collaborated."
    ),
) -> None:
    """Recommend creators for a product (--product) or products for a creator (--creator),
    each with the reasons behind it."""
    if (product is None) == (creator is None):
        raise ValidationError("give one of --product or --creator", field="product")
    if format_ not in FORMATS:
        raise ValidationError(f"--format {format_!r}: use {', '.join(FORMATS)}", field="format")
    check_k(k)
    model = current_model(get_settings())
    if product is not None:
        matches = creators_for_product(model, product, k, include_past)
        title = f"Creators for {product} · as of {model.as_of}"
    else:
        matches = products_for_creator(model, str(creator), k, include_past)
        title = f"Products for {creator} · as of {model.as_of}"
    if format_ == "json":
        typer.echo(
            json.dumps([_row(m, joined=False) for m in matches], ensure_ascii=False, indent=1)
        )
    elif format_ == "csv":
        rows = [_row(m, joined=True) for m in matches]
        typer.echo(export.to_csv(pa.Table.from_pylist(rows, schema=_schema())))
    else:
        console.print(_table(title, matches, by_product=product is not None))


def _row(match: Match, joined: bool) -> dict[str, Any]:
    row = {name: getattr(match, name) for name in COLUMNS}
    if joined:
        row["reasons"] = "; ".join(match.reasons)
    return row


def _schema() -> pa.Schema:
    types = {
        "rank": pa.int64(),
        "score": pa.float64(),
        "followers": pa.int64(),
        "gpm_30d": pa.float64(),
        "price": pa.float64(),
        "collaborated": pa.bool_(),
    }
    return pa.schema([(name, types.get(name, pa.string())) for name in COLUMNS])


def _table(title: str, matches: list[Match], by_product: bool) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("creator" if by_product else "product", style="bold")
    table.add_column("score", justify="right")
    table.add_column("followers" if by_product else "price", justify="right")
    table.add_column("GPM 30d" if by_product else "category", justify="right")
    table.add_column("reasons")
    for m in matches:
        who = f"{m.creator_id} {m.handle}" if by_product else f"{m.product_id} {m.title}"
        fact = f"{m.followers:,} ({m.tier})" if by_product else rupiah(m.price)
        other = (
            (rupiah(m.gpm_30d) if m.gpm_30d is not None else "—")
            if by_product
            else (m.category or "—")
        )
        reasons = "\n".join(f"• {r}" for r in m.reasons) or "—"
        table.add_row(
            str(m.rank), escape(who), f"{m.score:.3f}", fact, escape(other), escape(reasons)
        )
    if not matches:
        table.caption = "No match: every candidate already collaborated, or none is known yet."
    return table


def match_eval_command(
    split_date: str | None = typer.Option(
        None, "--split-date", help=f"First test day (default: the last {HORIZON_DAYS} days)."
    ),
    k: int = typer.Option(20, "--k", help="List length scored (recall@k, NDCG@k)."),
    days: int = typer.Option(HORIZON_DAYS, "--days", help="Days in the test window."),
) -> None:
    """Evaluate the matching model on a time split of the warehouse: train before the split
    date, test on the new creator × product pairs of the following days, against the
    popularity baseline."""
    settings = get_settings()
    check_k(k)
    split = option_date(split_date, "--split-date")
    data = load_warehouse(Warehouse(settings.warehouse_dir), settings.timezone)
    if not data.creators.ids or not data.products.ids:
        raise ValidationError("the warehouse has no creators or products yet: ingest data first")
    result = evaluate(data, split, k, days)
    table = Table(
        title=f"Matching on a time split · train before {result.split}, test "
        f"{result.split} to {result.end_day}",
        title_justify="left",
    )
    table.add_column("", style="bold")
    table.add_column(f"recall@{k}", justify="right")
    table.add_column(f"NDCG@{k}", justify="right")
    table.add_row("model", f"{result.model.recall:.4f}", f"{result.model.ndcg:.4f}")
    table.add_row(
        "popularity baseline", f"{result.baseline.recall:.4f}", f"{result.baseline.ndcg:.4f}"
    )
    ratio = result.ratio
    ndcg_ratio = result.model.ndcg / result.baseline.ndcg if result.baseline.ndcg else None
    table.add_row(
        "model ÷ baseline",
        f"{ratio:.2f}×" if ratio is not None else "—",
        f"{ndcg_ratio:.2f}×" if ndcg_ratio is not None else "—",
    )
    console.print(table)
    blend = ", ".join(f"{name} {value:g}" for name, value in vars(result.blend).items())
    console.print(
        f"{result.products:,} products with new creators in the test window "
        f"({result.cold_products:,} without any before it), {result.test_pairs:,} new pairs; "
        f"{result.train_pairs:,} creator × product pairs before the split.\n"
        f"Blend fitted on the 28 days before the split: {blend}. {result.seconds:.1f} s."
    )
