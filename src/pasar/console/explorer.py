"""The metric explorer of the console: pick catalog metrics, optionally a dimension to group
by and a grain, and read them as a table and a chart — the same query as
``pasar metrics query`` (:func:`pasar.metrics.query.run_query`), so the numbers are the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from pasar.config import Settings
from pasar.console.charts import MAX_SERIES, bar_chart, line_chart
from pasar.console.governance import UNIT_KINDS
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.kit.errors import PasarError
from pasar.kit.issues import IssuesError
from pasar.metrics.catalog import Catalog
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.query import QueryRequest, catalog_for, latest_day, run_query
from pasar.metrics.spec import Metric
from pasar.warehouse.store import Warehouse

router = APIRouter(include_in_schema=False)

GRAINS = ("day", "week", "month")
AREAS = ("governance", "creators", "live", "service", "marketplace")
MAX_METRICS = 12
MAX_CHARTS = 4  # one chart per metric, for the first ones chosen
MAX_BARS = 20
# how far back a grain looks when no dates are given
DEFAULT_SPAN = {"day": dt.timedelta(days=29), "week": dt.timedelta(weeks=11)}

INDONESIAN.update(
    {
        "Metric explorer": "Penjelajah metrik",
        "Period": "Periode",
        "First day": "Hari pertama",
        "Last day": "Hari terakhir",
        "No grouping": "Tanpa pengelompokan",
        "Dimensions": "Dimensi",
        "Entities": "Entitas",
        "No grain: one value per group": "Tanpa rentang: satu nilai per kelompok",
        "day": "hari",
        "week": "minggu",
        "month": "bulan",
        "Query": "Tampilkan",
        "Result": "Hasil",
        "Definitions": "Definisi",
        "No rows: nothing matched in the warehouse.": "Tidak ada baris yang cocok di gudang data.",
        "The query was not run": "Kueri tidak dijalankan",
        "Choose one or more metrics to begin.": "Pilih satu atau beberapa metrik untuk mulai.",
        "Hold Ctrl (⌘ on a Mac) to choose several.": (
            "Tahan Ctrl (⌘ di Mac) untuk memilih beberapa."
        ),
        "other": "lainnya",
        "governance": "tata kelola",
        "creators": "kreator",
        "live": "LIVE",
        "service": "layanan",
        "marketplace": "marketplace",
        "per": "per",
        "by": "menurut",
        "largest groups": "kelompok terbesar",
    }
)
INSTRUCTIONS_EN = (
    "Choose metrics from the catalog (each is defined once, the same as in "
    "`pasar metrics query`). Without dates, windowed metrics are as of the last day with "
    "orders; with a range, as of its last day, and metrics without a window add up the days "
    "of the range. Choose a dimension to compare groups, and a grain to see a trend."
)
INDONESIAN[INSTRUCTIONS_EN] = (
    "Pilih metrik dari katalog (setiap metrik didefinisikan sekali, sama seperti di "
    "`pasar metrics query`). Tanpa tanggal, metrik berjendela dihitung per hari terakhir yang "
    "memiliki pesanan; dengan rentang, per hari terakhirnya, dan metrik tanpa jendela "
    "menjumlahkan hari-hari rentang. Pilih dimensi untuk membandingkan kelompok, dan rentang "
    "waktu untuk melihat tren."
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def metric_choices(catalog: Catalog) -> list[tuple[str, list[Metric]]]:
    """The catalog's metrics grouped by the area that owns them (known areas first)."""
    groups: dict[str, list[Metric]] = {}
    for metric in sorted(catalog.metrics.values(), key=lambda m: m.name):
        groups.setdefault(metric.owner or "other", []).append(metric)
    order = {area: n for n, area in enumerate(AREAS)}
    return sorted(groups.items(), key=lambda item: (order.get(item[0], len(AREAS)), item[0]))


def dimension_choices(catalog: Catalog) -> tuple[list[str], list[str]]:
    """What a query can be grouped by: the datasets' dimensions and the entities with a key."""
    dimensions = sorted({d.name for ds in catalog.datasets.values() for d in ds.dimensions})
    entities = sorted(
        {name for ds in catalog.datasets.values() for name, key in ds.entities.items() if key}
    )
    return dimensions, entities


@router.get("/explore")
def explore_page(
    request: Request,
    metric: list[str] = Query([]),
    by: str = "",
    grain: str = "",
    start: str = "",
    end: str = "",
    view: Page = Depends(page, scope="function"),
) -> Response:
    """Catalog metrics by an optional dimension, as of a day, over a range or per period."""
    if not view.can("metrics:read"):
        return view.error(403, "Not allowed", "Your role cannot read metrics.")
    settings = _settings(request)
    try:
        catalog = catalog_for(settings)
    except IssuesError as exc:
        return view.error(503, "The metric catalog has problems", str(exc))
    chosen = [m for m in dict.fromkeys(metric) if m.strip()]
    form = {"metric": chosen, "by": by, "grain": grain, "start": start, "end": end}
    values: dict[str, Any] = {
        "form": form,
        "areas": metric_choices(catalog),
        "dimensions": dimension_choices(catalog),
        "grains": GRAINS,
        "instructions": INSTRUCTIONS_EN,
        "problems": [],
        "result": None,
        "charts": [],
        "definitions": [],
    }
    if not chosen:
        return view.render("explore.html", "Metric explorer", **values)
    problems: list[str] = []
    query = _request(chosen, by, grain, start, end, settings, form, problems)
    if query is None:
        return view.render(
            "explore.html", "Metric explorer", 422, **{**values, "problems": problems}
        )
    try:
        result = run_query(query, settings, catalog)
    except (PasarError, duckdb.Error) as exc:
        return view.render(
            "explore.html", "Metric explorer", 422, **{**values, "problems": [str(exc)]}
        )
    metrics = [catalog.metric(name) for name in chosen]
    rows = result.table.to_pylist()
    table = Table(
        "result",
        "Result",
        _columns(metrics, by, grain),
        rows,
        empty="No rows: nothing matched in the warehouse.",
        note=query.describe(),
    )
    values |= {
        "result": table,
        "charts": _charts(view, metrics, rows, by, grain),
        "definitions": metrics,
    }
    return view.render("explore.html", "Metric explorer", **values)


def _request(
    metrics: list[str],
    by: str,
    grain: str,
    start: str,
    end: str,
    settings: Settings,
    form: dict[str, Any],
    problems: list[str],
) -> QueryRequest | None:
    """The query the form asks for (missing dates filled in, and shown in ``form``), or
    ``None`` with what is wrong in ``problems``."""
    if len(metrics) > MAX_METRICS:
        problems.append(f"Choose at most {MAX_METRICS} metrics at a time.")
    if grain and grain not in GRAINS:
        problems.append(f"The grain {grain!r} is not one of: {', '.join(GRAINS)}.")
    first = _date(start, "first day", problems)
    last = _date(end, "last day", problems)
    if problems:
        return None
    if last is None and (first is not None or grain):
        last = _last_day(settings)
        form["end"] = last.isoformat()
    if grain and first is None and last is not None:
        first = _span_start(last, grain)
        form["start"] = first.isoformat()
    if first is not None and last is not None and last < first:
        problems.append(f"The last day {last} is before the first day {first}.")
        return None
    return QueryRequest(
        metrics,
        [by] if by else [],
        as_of=last if first is None else None,
        start=first,
        end=last if first is not None else None,
        grain=grain or None,  # type: ignore[arg-type]
    )


def _span_start(last: dt.date, grain: str) -> dt.date:
    if grain in DEFAULT_SPAN:
        return last - DEFAULT_SPAN[grain]
    month = last.month - 11
    year = last.year + (month - 1) // 12
    return dt.date(year, (month - 1) % 12 + 1, 1)


def _date(text: str, what: str, problems: list[str]) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        problems.append(f"The {what} {text!r} is not a date like 2026-10-31.")
        return None


def _last_day(settings: Settings) -> dt.date:
    con = engine.connect(Warehouse(settings.warehouse_dir))
    try:
        return latest_day(con, settings.timezone)
    finally:
        con.close()


def kind_of(metric: Metric) -> str:
    """How a metric's values read: money as Rp, ratios as %, counts as whole numbers."""
    return UNIT_KINDS.get(metric.unit, "number")


def _columns(metrics: Sequence[Metric], by: str, grain: str) -> list[Column]:
    columns = [Column("period", "Period", "date")] if grain else []
    if by:
        columns.append(Column(by, by))
    return columns + [Column(m.name, m.name, kind_of(m)) for m in metrics]


def _group(row: dict[str, Any], by: str) -> str:
    value = row.get(by) if by else None
    return "—" if value is None or value == "" else str(value)


def _charts(
    view: Page, metrics: Sequence[Metric], rows: list[dict[str, Any]], by: str, grain: str
) -> list[Markup]:
    """A line per group over the periods, or bars per group; one chart per metric."""
    charts: list[Markup] = []
    if not rows or (not grain and not by):
        return charts
    for metric in metrics[:MAX_CHARTS]:
        name, ratio = metric.name, metric.unit == "ratio"
        totals: dict[str, float] = {}
        for row in rows:
            group = _group(row, by)
            totals[group] = totals.get(group, 0.0) + abs(float(row[name] or 0))
        ranked = sorted(totals, key=lambda g: (-totals[g], g))
        if grain:
            charts.append(_trend(view, name, ratio, rows, by, grain, ranked))
        else:
            values = {_group(row, by): row[name] for row in rows}
            kept = [g for g in ranked if values.get(g) is not None][:MAX_BARS]
            scale = 100.0 if ratio else 1.0
            title = f"{name} {view.t('by')} {by}" + (" (%)" if ratio else "")
            if len(ranked) > MAX_BARS:
                title += f" ({MAX_BARS} {view.t('largest groups')})"
            charts.append(bar_chart(kept, [float(values[g]) * scale for g in kept], title))
    return charts


def _trend(
    view: Page,
    name: str,
    ratio: bool,
    rows: list[dict[str, Any]],
    by: str,
    grain: str,
    ranked: list[str],
) -> Markup:
    """One line per group (the largest ones) over every period; a missing value is a gap."""
    periods = sorted({row["period"] for row in rows})
    kept = ranked[:MAX_SERIES]
    values: dict[str, dict[Any, float | None]] = {g: {} for g in kept}
    for row in rows:
        group = _group(row, by)
        if group in values:
            value = row[name]
            values[group][row["period"]] = None if value is None else float(value)
    series = {
        (group if by else name): [(p, values[group].get(p)) for p in periods] for group in kept
    }
    title = f"{name} {view.t('per')} {view.t(grain)}"
    if by and len(ranked) > MAX_SERIES:
        title += f" ({MAX_SERIES} {view.t('largest groups')})"
    return line_chart(series, title, percent=ratio)
