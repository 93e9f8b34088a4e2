"""Shared console, progress bars, option parsing and summary rendering for CLI commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.kit.money import format_compact, format_money
from pasar.warehouse.summary import MarketplaceSummary

console = Console()
errors = Console(stderr=True)


def option_date(text: str | None, option: str) -> dt.date | None:
    """A ``YYYY-MM-DD`` option value, or a clear error naming the option."""
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"{option} {text!r} is not a date like 2026-10-31", field=option
        ) from exc


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Progress]:
    """A Rich progress bar; call ``bar.update(task, completed=n)`` through the yielded object."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        bar.add_task(description, total=total)
        yield bar


def summary_table(summary: MarketplaceSummary, settings: Settings) -> Table:
    """The marketplace summary as a Rich table."""
    money = settings.currency
    table = Table(title="Marketplace summary", show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value", justify="right")
    table.add_row("Period", f"{summary.first_day} → {summary.last_day}")
    table.add_row("Orders", f"{summary.orders:,}")
    table.add_row(
        "GMV",
        f"{format_money(summary.gmv, money, settings.locale)} "
        f"({format_compact(summary.gmv, money, settings.locale)})",
    )
    table.add_row("Sellers", f"{summary.sellers:,}")
    table.add_row("Creators", f"{summary.creators:,}")
    table.add_row("LIVE sessions", f"{summary.live_sessions:,}")
    table.add_row("Affiliate share of orders", f"{summary.affiliate_share:.1%}")
    for rank, (category, gmv, share) in enumerate(summary.top_categories, start=1):
        table.add_row(
            f"Top category {rank}",
            f"{category}: {format_compact(gmv, money, settings.locale)} ({share:.1%})",
        )
    return table
