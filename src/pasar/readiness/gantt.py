"""The master schedule as a Gantt chart: every task of the programs given, drawn on the server
with matplotlib (SVG for pages, PNG to download) and as an Excel sheet with a bar per task.

Bars are the forecast (the earliest dates the dependencies allow); critical tasks are red, a
forecast past the due date shows the late part hatched, milestones are diamonds, the dashed
line is the program's launch date and the dotted one today.

Example::

    rows = bars([program_plan(session, p.id) for p in programs(session)])
    svg = gantt_svg(rows, "Master schedule", today=dt.date.today())
"""

from __future__ import annotations

import datetime as dt
import io
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

from pasar.readiness.service import ProgramPlan

_LOCK = threading.Lock()  # matplotlib's settings are global while a figure is written
_XML_HEADER = re.compile(r"^<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>\s*)?", re.S)
COLOURS = {"normal": "#0f6e5c", "critical": "#b3261e", "done": "#8a94a6", "late": "#e07b39"}
MAX_DAY_COLUMNS = 400  # longer schedules are drawn in weeks in the workbook


@dataclass(frozen=True)
class Bar:
    """One task of the master schedule."""

    program: str
    launch_on: dt.date
    task_id: int
    task: str
    team: str
    owner: str
    status: str
    start: dt.date
    finish: dt.date
    due: dt.date
    baseline_due: dt.date
    milestone: bool
    critical: bool
    slack: int
    late_days: int


def bars(plans: Sequence[ProgramPlan]) -> list[Bar]:
    """The tasks of ``plans``, program by program, each in forecast order."""
    rows = []
    for plan in plans:
        for item in plan.tasks:
            task = item.task
            rows.append(
                Bar(
                    plan.program.name,
                    plan.program.launch_on,
                    task.id,
                    task.name,
                    task.team,
                    task.owner,
                    task.status,
                    item.start,
                    item.finish,
                    task.due_on,
                    task.baseline_due_on,
                    task.milestone,
                    item.critical,
                    item.slack,
                    item.late_days,
                )
            )
    return rows


def _num(day: dt.date) -> float:
    """A date as matplotlib's axis number."""
    import matplotlib.dates as mdates

    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def _text(value: str) -> str:
    """Text as matplotlib shows it literally (``$`` would start mathematics)."""
    return value.replace("\\", "\\\\").replace("$", r"\$")


def _figure(rows: Sequence[Bar], title: str, today: dt.date | None) -> Any:
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    height = max(2.2, 0.32 * len(rows) + 1.3)
    figure = Figure(figsize=(10, height), layout="constrained")
    axis = figure.subplots()
    axis.set_title(_text(title), loc="left", fontsize=10, fontweight="bold")
    for spine in ("top", "right"):
        axis.spines[spine].set_visible(False)
    labels = []
    launches: dict[str, dt.date] = {}
    for y, row in enumerate(rows):
        labels.append(
            _text(f"{row.program} · {row.task}" if len({r.program for r in rows}) > 1 else row.task)
        )
        colour = (
            COLOURS["done"]
            if row.status == "done"
            else COLOURS["critical" if row.critical else "normal"]
        )
        start = _num(row.start)
        if row.milestone:
            axis.plot([start + 0.5], [y], marker="D", markersize=7, color=colour, linestyle="none")
        else:
            on_time_end = min(row.finish, max(row.due, row.start - dt.timedelta(days=1)))
            width = (on_time_end - row.start).days + 1
            if width > 0:
                axis.barh(y, width, left=start, height=0.6, color=colour)
            if row.late_days:
                late_from = _num(row.finish - dt.timedelta(days=row.late_days - 1))
                axis.barh(
                    y,
                    row.late_days,
                    left=late_from,
                    height=0.6,
                    color="white",
                    edgecolor=COLOURS["late"],
                    hatch="////",
                    linewidth=0.8,
                )
        axis.plot([_num(row.due) + 1], [y], marker="|", markersize=9, color="#333333")
        launches[row.program] = row.launch_on
    for launch in launches.values():
        axis.axvline(_num(launch) + 1, color="#3057a8", linestyle="--", linewidth=1)
    if today is not None:
        axis.axvline(_num(today), color="#5b6478", linestyle=":", linewidth=1)
    axis.set_yticks(range(len(rows)), labels, fontsize=8)
    axis.set_ylim(len(rows) - 0.4, -0.6)
    axis.xaxis_date()
    axis.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))  # type: ignore[no-untyped-call]
    axis.grid(axis="x", alpha=0.3)
    axis.legend(
        handles=[
            Patch(color=COLOURS["normal"], label="task"),
            Patch(color=COLOURS["critical"], label="critical path"),
            Patch(facecolor="white", edgecolor=COLOURS["late"], hatch="////", label="late"),
            Patch(color=COLOURS["done"], label="done"),
        ],
        fontsize="small",
        frameon=False,
        loc="lower right",
        bbox_to_anchor=(1.0, 1.0),
        ncols=4,
    )
    if rows:
        left = min(r.start for r in rows) - dt.timedelta(days=1)
        right = max(max(r.finish, r.due, r.launch_on) for r in rows) + dt.timedelta(days=2)
        axis.set_xlim(_num(left), _num(right))
    return figure


def _render(rows: Sequence[Bar], title: str, today: dt.date | None, form: str) -> bytes:
    import matplotlib

    with _LOCK, matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9}):
        figure = _figure(rows, title, today)
        sink = io.BytesIO()
        figure.savefig(sink, format=form, dpi=120)
    return sink.getvalue()


def gantt_svg(rows: Sequence[Bar], title: str, today: dt.date | None = None) -> Markup:
    """The chart as inline SVG (text stays text; matplotlib escaped it)."""
    text = _XML_HEADER.sub("", _render(rows, title, today, "svg").decode("utf-8"))
    return Markup(text.replace("<svg ", '<svg class="chart gantt" role="img" ', 1))


def gantt_png(rows: Sequence[Bar], title: str, today: dt.date | None = None) -> bytes:
    """The chart as a PNG image."""
    return _render(rows, title, today, "png")


def schedule_xlsx(rows: Sequence[Bar], title: str = "Master schedule") -> bytes:
    """The schedule as a workbook: one row per task with its dates, and a bar drawn in the
    day (or week) columns of its forecast."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.title = "Schedule"
    headers = [
        "Program",
        "Task",
        "Team",
        "Owner",
        "Status",
        "Start",
        "Finish",
        "Due",
        "Baseline due",
        "Slack (days)",
        "Critical",
        "Late (days)",
    ]
    sheet.append([cell_text(title)])
    sheet["A1"].font = Font(bold=True, size=12)
    sheet.append(headers)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    fills = {k: PatternFill("solid", fgColor=v.lstrip("#")) for k, v in COLOURS.items()}
    first = min((r.start for r in rows), default=dt.date.today())
    last = max((max(r.finish, r.due) for r in rows), default=first)
    step = 1 if (last - first).days < MAX_DAY_COLUMNS else 7
    columns = [first + dt.timedelta(days=d) for d in range(0, (last - first).days + 1, step)]
    offset = len(headers) + 1
    for index, day in enumerate(columns):
        cell = sheet.cell(row=2, column=offset + index, value=day.strftime("%d %b"))
        cell.font = Font(bold=True, size=7)
        sheet.column_dimensions[get_column_letter(offset + index)].width = 3.2 if step == 1 else 6
    for number, row in enumerate(rows, start=3):
        values = [
            row.program,
            row.task,
            row.team,
            row.owner,
            row.status,
            row.start,
            row.finish,
            row.due,
            row.baseline_due,
            row.slack,
            "yes" if row.critical else "",
            row.late_days,
        ]
        for col, value in enumerate(values, start=1):
            cell = sheet.cell(row=number, column=col, value=cell_text(value))
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        kind = "done" if row.status == "done" else "critical" if row.critical else "normal"
        for index, day in enumerate(columns):
            end = day + dt.timedelta(days=step - 1)
            if row.start <= end and day <= row.finish:
                late = row.late_days and day > row.due
                sheet.cell(row=number, column=offset + index).fill = fills["late" if late else kind]
    for col, width in enumerate([28, 34, 16, 16, 11, 11, 11, 11, 12, 10, 8, 9], start=1):
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = sheet.cell(row=3, column=offset)
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # what a worksheet cannot hold


def cell_text(value: Any) -> Any:
    """Text as a cell holds it: control characters dropped, and text starting like a
    formula kept as text, never run by the spreadsheet."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL.sub("", value)
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
