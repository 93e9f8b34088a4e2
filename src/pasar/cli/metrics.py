"""``pasar metrics``: check the catalog, read definitions and SQL, query, build snapshots."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.output import check_format, console, option_date, option_days, write_table
from pasar.config import get_settings
from pasar.kit.errors import ValidationError
from pasar.metrics import export
from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.query import QueryRequest, catalog_for, latest_day, metric_columns, run_query
from pasar.metrics.snapshots import build_snapshots
from pasar.warehouse.store import Warehouse

app = typer.Typer(help="Metric catalog, queries and snapshots.", no_args_is_help=True)

_CATALOG = typer.Option(
    None, "--catalog", help="Extra catalog directory (repeatable); added to PASAR_CATALOG_PATH."
)


def _catalog(extra: list[Path] | None) -> Catalog:
    return catalog_for(get_settings(), extra or [])


@app.command()
def validate(catalog: list[Path] | None = _CATALOG) -> None:
    """Check every catalog file; list every problem with its file and line (exit 2)."""
    found = _catalog(catalog)
    console.print(
        f"Catalog OK: {len(found.entities)} entities, {len(found.datasets)} datasets, "
        f"{len(found.metrics)} metrics from {', '.join(escape(str(d)) for d in found.sources)}"
    )


@app.command("list")
def list_metrics(
    entity: str | None = typer.Option(None, help="Only the metrics of this entity."),
    catalog: list[Path] | None = _CATALOG,
) -> None:
    """Every metric with its entity, type, window, unit, owner and definition."""
    found = _catalog(catalog)
    if entity is not None:
        found.entity(entity)
    table = Table(title="Metrics", title_justify="left")
    for name in ("metric", "entities", "type", "window", "unit", "owner", "definition"):
        table.add_column(name, overflow="fold")
    for metric in found.metrics.values():
        if entity is not None and entity not in metric.entities:
            continue
        window = metric.window or (
            f"{metric.grain_to_date} to date"
            if metric.grain_to_date
            else "all history"
            if metric.type == "cumulative"
            else "—"
        )
        table.add_row(
            metric.name,
            ", ".join(metric.entities),
            metric.type,
            window,
            metric.unit,
            metric.owner,
            escape(metric.description),
        )
    console.print(table)


@app.command("show-sql")
def show_sql(
    name: str = typer.Argument(..., help="Metric name."),
    dialect: str = typer.Option("duckdb", help="duckdb or spark."),
    entity: str | None = typer.Option(None, help="Entity to compute it for (default: its first)."),
    as_of: str | None = typer.Option(None, "--as-of", help="As-of date (default: today)."),
    catalog: list[Path] | None = _CATALOG,
) -> None:
    """The SQL that computes a metric for every subject of an entity, as of a date."""
    if dialect not in ("duckdb", "spark"):
        raise ValidationError(f"unknown dialect {dialect!r}: use duckdb or spark", field="dialect")
    found = _catalog(catalog)
    metric = found.metric(name)
    chosen = entity or metric.entities[0]
    day = option_date(as_of, "--as-of") or dt.date.today()
    select = Compiler(found, dialect, get_settings().timezone).snapshot(chosen, day, [name])
    typer.echo(f"-- {metric.name}: {metric.description}")
    typer.echo(select.sql(dialect=dialect, pretty=True))


@app.command()
def query(
    metrics: list[str] = typer.Argument(..., help="Metric names."),
    by: list[str] | None = typer.Option(None, "--by", help="Dimension or entity (repeatable)."),
    grain: str | None = typer.Option(None, help="day, week, month, quarter or year."),
    start: str | None = typer.Option(None, "--from", help="First date of the range."),
    end: str | None = typer.Option(None, "--to", help="Last date of the range."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="As-of date (default: the last day with orders)."
    ),
    where: str | None = typer.Option(None, help="Filter, e.g. \"province = 'Jawa Barat'\"."),
    format_: str = typer.Option("table", "--format", help="table, csv, xlsx or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File for csv/xlsx/json."),
    chart: Path | None = typer.Option(None, help="Also draw a chart (.svg or .png)."),
    catalog: list[Path] | None = _CATALOG,
) -> None:
    """Metrics by dimension, as of a date, over a range, or per period."""
    check_format(format_)
    if grain is not None and grain not in ("day", "week", "month", "quarter", "year"):
        raise ValidationError(f"--grain {grain!r}: use day, week, month, quarter or year")
    settings = get_settings()
    found = _catalog(catalog)
    request = QueryRequest(
        list(metrics),
        list(by or []),
        as_of=option_date(as_of, "--as-of"),
        start=option_date(start, "--from"),
        end=option_date(end, "--to"),
        grain=grain,  # type: ignore[arg-type]
        where=where,
    )
    result = run_query(request, settings, found)
    formats = {m: found.metric(m).display_format for m in metrics}
    if chart is not None:
        export.chart(result.table, metric_columns(result.table, metrics), chart, request.describe())
        console.print(f"Chart written to {escape(str(chart))}")
    if format_ == "table":
        _print_table(result.table, formats, request.describe(), settings.currency)
        return
    write_table(result.table, format_, output, formats)


@app.command()
def snapshot(
    entity: str = typer.Argument(
        ..., help="seller, merchant, creator, product, center, marketplace"
    ),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (default: last day with orders)."),
    start: str | None = typer.Option(None, "--from", help="First date of a range of snapshots."),
    end: str | None = typer.Option(None, "--to", help="Last date of a range of snapshots."),
    force: bool = typer.Option(False, help="Recompute even when a stored snapshot is current."),
    full: bool = typer.Option(
        False, help="Compute from the rows alone, without the stored daily partials."
    ),
    catalog: list[Path] | None = _CATALOG,
) -> None:
    """Compute and store the snapshot of an entity for a date (or each date of a range)."""
    settings = get_settings()
    found = _catalog(catalog)
    con = engine.connect(Warehouse(settings.warehouse_dir))
    days = option_days(start, end, as_of, lambda: latest_day(con, settings.timezone))
    run = build_snapshots(entity, days, settings, found, con, force=force, full=full)
    files = run.files
    computed = sum(f.computed for f in files)
    console.print(
        f"{entity}: {len(files)} snapshot(s), {computed} computed, {len(files) - computed} "
        f"already current ({run.daily_days_computed} day(s) of daily partials computed); "
        f"{files[-1].rows:,} subjects; latest in {escape(str(files[-1].path))}"
    )


def _print_table(table: pa.Table, formats: dict[str, str], title: str, currency: str) -> None:
    shown = Table(title=escape(title), title_justify="left")
    for name in table.column_names:
        shown.add_column(name, justify="right" if name in formats else "left")
    for row in table.to_pylist():
        shown.add_row(
            *[
                export.show_value(v, formats[k], currency) if k in formats else escape(str(v))
                for k, v in row.items()
            ]
        )
    console.print(shown)
