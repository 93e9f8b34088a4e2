"""Shared console, progress bars, option parsing and summary rendering for CLI commands."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pasar.config import Settings
from pasar.kit.errors import ValidationError
from pasar.kit.money import format_compact, format_money
from pasar.metrics import export
from pasar.metrics.query import latest_day
from pasar.warehouse.store import Warehouse
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


def check_format(format_: str) -> None:
    """A ``--format`` value of :data:`pasar.metrics.export.FORMATS`, or a clear error."""
    if format_ not in export.FORMATS:
        raise ValidationError(
            f"--format {format_!r}: use {', '.join(export.FORMATS)}", field="format"
        )


def write_table(
    table: pa.Table,
    format_: str,
    output: Path | None,
    formats: Mapping[str, str] | None = None,
    sheets: Mapping[str, pa.Table] | None = None,
) -> None:
    """A table out as csv/json on stdout, or to ``output`` as csv/json/xlsx (``sheets``: every
    table of an XLSX workbook, when there are several)."""
    if output is None:
        if format_ == "xlsx":
            raise ValidationError("--format xlsx needs --output FILE.xlsx", field="output")
        typer.echo(export.to_json(table) if format_ == "json" else export.to_csv(table))
        return
    path = output if output.suffix else output.with_suffix(f".{format_}")
    if format_ == "xlsx" and sheets:
        export.write_workbook(sheets, path, formats or {})
    else:
        export.write(table, path, formats or {})
    console.print(f"{table.num_rows:,} rows written to {escape(str(path))}")


def option_days(
    start: str | None, end: str | None, as_of: str | None, default: Callable[[], dt.date]
) -> list[dt.date]:
    """The days of ``--from``/``--to`` (both or neither), else ``--as-of``, else ``default()``."""
    first, last = option_date(start, "--from"), option_date(end, "--to")
    if (first is None) != (last is None):
        raise ValidationError("give both --from and --to, or --as-of")
    if first is not None and last is not None:
        if last < first:
            raise ValidationError(f"--to {last} is before --from {first}")
        return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [option_date(as_of, "--as-of") or default()]


def last_day(settings: Settings) -> dt.date:
    """The last local day with orders in the warehouse (what commands default to)."""
    return latest_day(Warehouse(settings.warehouse_dir).connect(), settings.timezone)
