"""``pasar creators analytics | funnel | agents | campaigns`` and ``pasar creators samples
returns``: creator performance pivoted by a dimension, the affiliate growth funnel, agents'
scorecards (per agent or per agency), campaign efficiency and sample returns per creator, as a
table or a file."""

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
from pasar.creators.agencies import agency_of_agents, agents_of
from pasar.creators.analytics import DIMENSIONS, creator_performance, last_order_day, pivot, totals
from pasar.creators.funnel import (
    agency_scorecard,
    agent_scorecard,
    campaign_efficiency,
    creator_sample_returns,
    funnel,
)
from pasar.kit.errors import ValidationError
from pasar.kit.money import format_compact
from pasar.warehouse.store import MANIFEST, Warehouse

START = typer.Option(None, "--from", help="First day (default: 30 days before --to).")
END = typer.Option(None, "--to", help="Last day (default: the day of the latest order).")
FORMAT = typer.Option("table", "--format", help="table, csv, json or xlsx.")
OUTPUT = typer.Option(None, "--output", "-o", help="Write to this file instead.")
SORT = typer.Option(None, "--sort", help="A column; -column for descending.")
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
        table.add_row(*(_shown(row.get(c), c) for c in columns))
    console.print(table)


def _plain(value: Any) -> Any:
    return float(value) if hasattr(value, "as_tuple") else value


# ratios that are not shares: shown as numbers (2.35), never as percentages
NUMBERS = frozenset({"roi", "sample_roi", "incremental_per_rupiah", "contacts_per_week"})


def _shown(value: Any, column: str = "") -> str:
    if value is None:
        return "—"
    if hasattr(value, "as_tuple"):
        return format_compact(value)
    if isinstance(value, float):
        return f"{value:.2%}" if value <= 1 and column not in NUMBERS else f"{value:,.2f}"
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


AGENT_COLUMNS = (
    "contacted", "contacts_per_week", "reply_rate", "agreement_rate", "posted", "posting_rate",
    "selling", "gmv", "gmv_per_agreement", "overdue",
)  # fmt: skip


def agents_command(
    agency: str | None = typer.Option(None, "--agency", help="Only this agency's agents."),
    by: str = typer.Option("agent", "--by", help="agent, or agency (summed per agency)."),
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Agents' throughput and quality: contacts, replies, agreements, content, GMV generated —
    per agent, or summed per agency (``--by agency``)."""
    if by not in ("agent", "agency"):
        raise ValidationError(f"--by {by!r}: use agent or agency", field="by")
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        with _store() as session:
            owners = frozenset(agents_of(session, agency)) if agency is not None else None
            agencies = agency_of_agents(session)
            cards = agent_scorecard(session, con, first, last, owners, agencies=agencies)
    finally:
        con.close()
    within = f" of {agency}" if agency is not None else ""
    if by == "agency":
        groups = agency_scorecard(cards, agencies)
        _out(groups, ["agency", "agents", *AGENT_COLUMNS], format_, output,
             f"Agencies{within}, {first} – {last}")  # fmt: skip
    else:
        _out(cards, ["owner", "agency", *AGENT_COLUMNS], format_, output,
             f"Agents{within}, {first} – {last}")  # fmt: skip


SAMPLE_COLUMNS = (
    "creator_id", "handle", "sellers", "delivered", "posted", "sample_to_content_rate", "selling",
    "orders", "gmv", "net_gmv", "sample_cost", "commission", "cost", "roi",
)  # fmt: skip
SAMPLE_TERMINAL = (
    "creator_id", "delivered", "posted", "sample_to_content_rate", "net_gmv", "sample_cost",
    "commission", "roi",
)  # fmt: skip


def _sort(rows: list[dict[str, Any]], sort: str | None, columns: tuple[str, ...]) -> None:
    """Sort ``rows`` by ``--sort`` (``-name`` for descending; rows without a value last)."""
    if not sort:
        return
    name = sort.lstrip("-")
    if name not in columns:
        raise ValidationError(f"--sort {name!r}: use one of {', '.join(columns)}", field="sort")
    known = [r for r in rows if r.get(name) is not None]
    known.sort(key=lambda r: r[name], reverse=sort.startswith("-"))
    rows[:] = known + [r for r in rows if r.get(name) is None]


def sample_returns_command(
    creator: str | None = typer.Option(None, "--creator", help="Only this creator's samples."),
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's samples."),
    sort: str | None = SORT,
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Per creator, the samples delivered in a period: content posted, the sample-to-content
    rate, net GMV in the 30 days after delivery, sample + shipping, commission and the sample
    ROI = net GMV ÷ (sample + shipping + commission); most samples first."""
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        visible = frozenset([creator]) if creator is not None else None
        with _store() as session:
            rows, summary = creator_sample_returns(session, con, first, last, visible, seller)
    finally:
        con.close()
    _sort(rows, sort, SAMPLE_COLUMNS)
    title = f"Sample returns per creator, {first} – {last}"
    if format_ == "table":
        total = {"creator_id": "total", **summary}
        _out([*rows, total], list(SAMPLE_TERMINAL), format_, output, title)
    else:
        _out(rows, list(SAMPLE_COLUMNS), format_, output, title)


CAMPAIGN_COLUMNS = (
    "seller_id", "campaign", "creators", "gmv", "baseline_gmv", "incremental_gmv", "samples",
    "commission", "vouchers", "spend", "incremental_per_rupiah", "samples_delivered",
    "content_posted", "sample_to_content_rate", "sample_net_gmv", "sample_cost",
    "sample_commission", "sample_roi",
)  # fmt: skip
CAMPAIGN_TERMINAL = (
    "seller_id", "campaign", "creators", "incremental_gmv", "spend", "incremental_per_rupiah",
    "samples_delivered", "sample_to_content_rate", "sample_roi",
)  # fmt: skip


def campaigns_command(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's campaigns."),
    campaign: str | None = typer.Option(None, "--campaign", help="Only this campaign."),
    sort: str | None = SORT,
    start: str | None = START,
    end: str | None = END,
    format_: str = FORMAT,
    output: Path | None = OUTPUT,
) -> None:
    """Campaign efficiency: per seller and campaign with agreed creators, incremental GMV per
    rupiah of samples, commission and vouchers, and the returns of its samples (delivered,
    content posted, sample-to-content rate, sample ROI)."""
    con = _warehouse().connect()
    try:
        first, last = _period(con, start, end)
        with _store() as session:
            rows = campaign_efficiency(
                session, con, first, last, seller_id=seller, campaign=campaign
            )
    finally:
        con.close()
    _sort(rows, sort, CAMPAIGN_COLUMNS)
    columns = CAMPAIGN_TERMINAL if format_ == "table" else CAMPAIGN_COLUMNS
    _out(rows, list(columns), format_, output, f"Campaigns, {first} – {last}")
