"""``pasar creators analytics | funnel | agents``: creator performance pivoted by a dimension,
the affiliate growth funnel and agents' scorecards, as a table or a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import typer
from rich.table import Table

from pasar.cli.governance import _store
from pasar.cli.output import check_format, console, option_date, write_table
from pasar.config import get_settings
from pasar.creators.analytics import DIMENSIONS, creator_performance, last_order_day, pivot, totals
from pasar.creators.funnel import agent_scorecard, funnel
from pasar.kit.errors import ValidationError
from pasar.kit.money import format_compact
from pasar.warehouse.store import MANIFEST, Warehouse

START = typer.Option(None, "--from", help="First day (default: 30 days before --to).")
END = typer.Option(None, "--to", help="Last day (default: the day of the latest order).")
FORMAT = typer.Option("table", "--format", help="table, csv, json or xlsx.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead.")
PIVOT_COLUMNS = (
    "creators", "selling", "orders", "gmv", "gmv_live", "gmv_video", "gmv_showcase", "net_gmv",
    "commission", "content", "views", "gpm", "conversion",
)  # fmt: skip

TERMINAL_COLUMNS = ("creators", "orders", "gmv", "net_gmv", "commission", "gpm", "conversion")


def _warehouse() -> Warehouse:
    warehouse = Warehouse(get_settings().warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        raise ValidationError("the warehouse is empty: run `pasar synth` or `pasar ingest` first")
    return warehouse


def _period(con: Any, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    last = option_date(end, "--to") or last_order_day(con) or dt.date.today()
    first = option_date(start, "--from") or last - dt.timedelta(days=29)
    if last < first:
        raise ValidationError(f"--to {last} is before --from {first}")
    return first, last


def _out(rows: list[dict[str, Any]], columns: list[str], format_: str, output: Path | None,
         title: str) -> None:  # fmt: skip
    if format_ != "table":
        check_format(format_)
        data = {c: [_plain(r.get(c)) for r in rows] for c in columns}
        write_table(pa.table(data), format_, output)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(
            column, justify="left" if column in columns[:1] else "right", overflow="fold"
        )
    for row in rows:
        table.add_row(*(_shown(row.get(c)) for c in columns))
    console.print(table)


def _plain(value: Any) -> Any:
    return float(value) if hasattr(value, "as_tuple") else value


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "as_tuple"):
        return format_compact(value)
    if isinstance(value, float):
        return f"{value:.2%}" if value <= 1 else f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def analytics_command(
    by: str = typer.Option("level", "--by", help=f"One of {', '.join(DIMENSIONS)}."),
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Creators' GMV by channel, net GMV, commission, content, views, GPM and conversion for a
    period, summed by a dimension (ratios recomputed from the sums)."""
    if by not in DIMENSIONS:
        raise ValidationError(f"--by {by!r}: use one of {', '.join(DIMENSIONS)}", field="by")
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        groups = pivot(creator_performance(con, first, last), by)
    finally:
        con.close()
    title = f"Creators by {by}, {first} – {last}"
    if format_ == "table":  # the columns a terminal has room for; files get every column
        rows = [*groups, {by: "total", **totals(groups)}]
        _out(rows, [by, *TERMINAL_COLUMNS], format_, output, title)
    else:
        _out(groups, [by, *PIVOT_COLUMNS], format_, output, title)


def funnel_command(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's pitches."),
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign."),
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """The affiliate growth funnel of the pitches first contacted in a period."""
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        with _store() as session:
            steps = funnel(session, con, first, last, seller, campaign)
    finally:
        con.close()
    rows = [s.__dict__ for s in steps]
    _out(rows, ["step", "count", "from_previous", "from_first"], format_, output,
         f"Affiliate growth funnel, {first} – {last}")  # fmt: skip


def agents_command(
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Agents' throughput and quality: contacts, replies, agreements, content, GMV generated."""
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        with _store() as session:
            cards = agent_scorecard(session, con, first, last)
    finally:
        con.close()
    columns = [
        "owner", "contacted", "contacts_per_week", "reply_rate", "agreement_rate", "posted",
        "posting_rate", "selling", "gmv", "gmv_per_agreement", "overdue",
    ]  # fmt: skip
    _out(cards, columns, format_, output, f"Agents, {first} – {last}")
