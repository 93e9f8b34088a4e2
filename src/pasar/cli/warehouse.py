"""``pasar warehouse status``: what the warehouse holds and what the last batches did."""

from __future__ import annotations

import typer
from rich.table import Table

from pasar.cli.output import console
from pasar.config import get_settings
from pasar.warehouse.status import warehouse_status

app = typer.Typer(help="Inspect the warehouse.", no_args_is_help=True)


@app.command()
def status(
    batches: int = typer.Option(
        5, "--batches", "-n", min=0, help="How many recent batches to list."
    ),
) -> None:
    """Tables with row counts and date ranges, the last batches, and reject counts."""
    settings = get_settings()
    found = warehouse_status(settings.warehouse_dir, settings.timezone, batches)
    tables = Table(title=f"Warehouse {settings.warehouse_dir}", title_justify="left")
    for name in ("table", "rows", "stubs", "segments", "from", "to", "last batch"):
        tables.add_column(
            name, justify="right" if name in ("rows", "stubs", "segments") else "left"
        )
    for t in found.tables:
        tables.add_row(
            t.name,
            f"{t.rows:,}",
            f"{t.stubs:,}",
            f"{t.segments}",
            t.first or "",
            t.last or "",
            t.last_batch or "",
        )
    console.print(tables)
    recent = Table(title="Recent batches", title_justify="left")
    for name in (
        "batch",
        "source",
        "finished",
        "files",
        "inserted",
        "updated",
        "unchanged",
        "refused",
    ):
        recent.add_column(
            name, justify="left" if name in ("batch", "source", "finished") else "right"
        )
    for b in found.batches:
        recent.add_row(
            b.batch_id,
            b.source,
            b.finished,
            f"{b.files}",
            f"{b.inserted:,}",
            f"{b.updated:,}",
            f"{b.unchanged:,}",
            f"{b.rejected:,}",
        )
    console.print(recent)
    console.print(
        f"{found.rejected_total:,} rows refused in all; reject files in {settings.rejects_dir}"
    )
