"""``pasar ingest``: bring files into the warehouse, with a table of what was refused and why."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.output import console
from pasar.config import get_settings
from pasar.warehouse.connectors.base import SOURCES, ConnectorOptions
from pasar.warehouse.ingest.batch import BatchReport, IngestRequest, RejectRateExceededError, ingest
from pasar.warehouse.ingest.parsing import NumberStyle


def ingest_command(
    paths: list[Path] = typer.Argument(..., help="Files or directories (CSV, XLSX, Parquet)."),
    table: str | None = typer.Option(None, "--table", "-t", help="Contract table to load into."),
    source: str = typer.Option(
        "generic", "--source", "-s", help=f"Kind of export: {', '.join(SOURCES)}."
    ),
    mapping: Path | None = typer.Option(
        None, "--mapping", "-m", help="Mapping YAML (generic source): source column → contract."
    ),
    timezone: str | None = typer.Option(
        None, "--source-tz", help="Time zone of times without an offset (default: the source's)."
    ),
    number_style: str | None = typer.Option(
        None, "--number-style", help="How amounts are written: auto, id (1.234,50), en (1,234.50)."
    ),
    seller: str | None = typer.Option(
        None, "--seller", help="Shop ID for single-shop exports (TikTok Shop, Shopee)."
    ),
    max_reject_rate: float | None = typer.Option(
        None,
        "--max-reject-rate",
        min=0.0,
        max=1.0,
        help="Fail the whole batch (store nothing) if more than this share of rows is refused.",
    ),
    force: bool = typer.Option(False, "--force", help="Process files even if already ingested."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; store nothing."),
) -> None:
    """Validate files against the data contract and merge them into the warehouse by key."""
    if number_style not in (None, "auto", "id", "en"):
        raise typer.BadParameter("choose auto, id or en", param_hint="--number-style")
    style: NumberStyle | None = number_style  # type: ignore[assignment]
    request = IngestRequest(
        paths=paths,
        source=source,
        options=ConnectorOptions(
            table=table, timezone=timezone, number_style=style, seller_id=seller, mapping=mapping
        ),
        max_reject_rate=max_reject_rate,
        force=force,
        dry_run=dry_run,
    )
    try:
        with console.status("Ingesting…") as status:
            report = ingest(
                request, get_settings(), lambda m: status.update(f"Ingesting: {escape(m)}")
            )
    except RejectRateExceededError as exc:
        print_report(exc.report)
        raise
    print_report(report)


def print_report(report: BatchReport) -> None:
    """Files, table counts and the reasons rows were refused."""
    if report.status == "unchanged":
        console.print(
            f"Nothing to do: these files were already ingested in batch "
            f"[bold]{report.previous_batch}[/] (--force processes them again)."
        )
        return
    for path, why in report.skipped:
        console.print(f"[dim]skipped {escape(str(path))}: {escape(why)}[/]")
    files = Table(title=f"Batch {report.batch_id} ({report.status})", title_justify="left")
    for name in ("file", "tables", "rows", "refused", "blank"):
        files.add_column(name, justify="left" if name in ("file", "tables") else "right")
    for f in report.files:
        files.add_row(
            escape(f.path),
            ", ".join(f.tables),
            f"{f.rows_read:,}",
            f"{f.rejected:,}",
            f"{f.blank:,}",
        )
    console.print(files)
    if report.tables:
        tables = Table(title="Warehouse changes", title_justify="left")
        tables.add_column("table")
        for name in (
            "inserted",
            "updated",
            "unchanged",
            "superseded",
            "stubs created",
            "stubs filled",
            "lines removed",
        ):
            tables.add_column(name, justify="right")
        for name, c in report.tables.items():
            tables.add_row(
                name,
                *(
                    f"{n:,}"
                    for n in (
                        c.inserted,
                        c.updated,
                        c.unchanged,
                        c.superseded,
                        c.stubs_created,
                        c.stubs_filled,
                        c.removed,
                    )
                ),
            )
        console.print(tables)
    if report.reasons:
        reasons = Table(title="Refused rows by reason", title_justify="left")
        for name in ("table", "column", "problem", "rows", "example"):
            reasons.add_column(name, justify="right" if name == "rows" else "left")
        for r in report.reasons:
            reasons.add_row(r.table, escape(r.column), r.check, f"{r.rows:,}", escape(r.example))
        console.print(reasons)
        console.print(
            f"{report.rejected_rows:,} of {report.rows_read:,} rows refused "
            f"({report.reject_rate:.2%}); every one is in "
            + " and ".join(escape(str(p)) for p in report.rejects_files)
        )
    else:
        console.print(f"All {report.rows_read:,} rows accepted.")
    console.print(f"Done in {report.seconds:.1f} s.")
