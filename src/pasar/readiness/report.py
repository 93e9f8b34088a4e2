"""The weekly status report of a program: milestones, slipped tasks, top risks and overdue
mitigations, gate status, documents waiting for acknowledgement, and the key service metrics
of its pilot centers week by week — as an Excel workbook and a standalone HTML page (with the
Gantt chart inline, printable to PDF from a browser).

Example::

    report = build_report(session, settings, program.id, dt.date(2026, 11, 27))
    xlsx, html = write_report(report, settings.home / "reports")
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.readiness import repository as repo
from pasar.readiness.documents import by_center, due_for_review
from pasar.readiness.gantt import bars, cell_text, gantt_svg
from pasar.readiness.gates import GateStatus, gate_status
from pasar.readiness.models import Document, Handover, Risk
from pasar.readiness.risks import heat_map, overdue, top
from pasar.readiness.service import ProgramPlan, TaskPlan, program_plan
from pasar.readiness.service_metrics import LABELS, weekly_trend

TREND = ("csat_mean_30d", "first_response_hours_p90_7d", "backlog", "tickets_7d")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass
class StatusReport:
    """Everything the weekly report shows, as of the last day of its week."""

    plan: ProgramPlan
    as_of: dt.date
    milestones: list[TaskPlan]
    slipped: list[TaskPlan]
    due_this_week: list[TaskPlan]
    top_risks: list[Risk]
    overdue_risks: list[Risk]
    risk_counts: list[list[int]]
    gates: list[GateStatus]
    documents: list[tuple[Document, list[Any]]]
    reviews_due: list[Document]
    handovers: list[Handover]
    trend: list[dict[str, Any]] = field(default_factory=list)

    @property
    def program(self) -> Any:
        return self.plan.program

    @property
    def week_start(self) -> dt.date:
        return self.as_of - dt.timedelta(days=6)

    @property
    def gates_passing(self) -> int:
        return sum(1 for g in self.gates if g.passed)

    @property
    def file_stem(self) -> str:
        return f"readiness-{_SAFE.sub('-', self.program.name).strip('-').lower()}-{self.as_of}"


def build_report(
    session: Session,
    settings: Settings,
    program_id: int,
    as_of: dt.date,
    *,
    with_metrics: bool = True,
) -> StatusReport:
    """The report of the week ending ``as_of`` (gates as last checked; metrics read from the
    warehouse unless ``with_metrics`` is off)."""
    plan = program_plan(session, program_id)
    program = plan.program
    week = as_of - dt.timedelta(days=6)
    risks = list(repo.risks_of(session, program.id))
    documents = list(repo.documents(session, program.id))
    trend = (
        weekly_trend(settings, as_of, program.centers, TREND)
        if with_metrics and program.centers
        else []
    )
    return StatusReport(
        plan=plan,
        as_of=as_of,
        milestones=[t for t in plan.tasks if t.task.milestone],
        slipped=sorted(
            (t for t in plan.tasks if t.slipped(as_of)),
            key=lambda t: (-max(t.late_days, t.slip_days), t.start),
        ),
        due_this_week=[t for t in plan.tasks if week <= t.task.due_on <= as_of],
        top_risks=top(risks, 5),
        overdue_risks=overdue(risks, as_of),
        risk_counts=[[len(cell.risks) for cell in row] for row in heat_map(risks)],
        gates=gate_status(session, program.id),
        documents=[(d, by_center(session, d)) for d in documents],
        reviews_due=due_for_review(documents, as_of),
        handovers=list(repo.handovers_of(session, program.id)),
        trend=trend,
    )


def write_report(report: StatusReport, folder: Path) -> tuple[Path, Path]:
    """The report as ``<stem>.xlsx`` and ``<stem>.html`` in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    xlsx = folder / f"{report.file_stem}.xlsx"
    html = folder / f"{report.file_stem}.html"
    xlsx.write_bytes(report_xlsx(report))
    html.write_text(report_html(report), encoding="utf-8")
    return xlsx, html


_ENV = Environment(
    loader=PackageLoader("pasar.readiness", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def report_html(report: StatusReport) -> str:
    """A standalone page (styles inline, chart inline): readable offline and printable."""
    chart = gantt_svg(bars([report.plan]), f"{report.program.name} — schedule", report.as_of)
    centers = sorted({r["center"] for r in report.trend})
    weeks = sorted({r["period"] for r in report.trend})
    values = {(r["period"], r["center"]): r for r in report.trend}
    return _ENV.get_template("status_report.html").render(
        r=report,
        chart=chart,
        centers=centers,
        weeks=weeks,
        values=values,
        labels=LABELS,
        trend_metrics=TREND,
    )


def report_xlsx(report: StatusReport) -> bytes:
    """The report as a workbook: a summary sheet, then one sheet per section."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    program = report.program
    plan = report.plan
    summary.append([cell_text(f"Weekly status: {program.name}")])
    summary["A1"].font = Font(bold=True, size=13)
    for label, value in [
        ("Week", f"{report.week_start} – {report.as_of}"),
        ("Owner", program.owner),
        ("Status", program.status),
        ("Pilot centers", ", ".join(program.centers)),
        ("Launch date", program.launch_on),
        ("Forecast finish", plan.finish),
        ("Days to spare", plan.days_to_spare),
        ("Critical path", " → ".join(t.name for t in plan.critical_path)),
        (
            "Tasks done",
            f"{sum(1 for t in plan.tasks if t.task.status == 'done')} of {len(plan.tasks)}",
        ),
        ("Slipped tasks", len(report.slipped)),
        ("Open risks, top score", max((r.score for r in report.top_risks), default=0)),
        ("Overdue mitigations", len(report.overdue_risks)),
        ("Gates passing", f"{report.gates_passing} of {len(report.gates)}"),
    ]:
        summary.append([label, cell_text(value)])
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 60
    _sheet(
        book,
        "Milestones",
        ["Milestone", "Due", "Forecast", "Late (days)", "Status"],
        [
            [t.task.name, t.task.due_on, t.finish, t.late_days, t.task.status]
            for t in report.milestones
        ],
    )
    _sheet(
        book,
        "Slipped tasks",
        [
            "Task",
            "Team",
            "Owner",
            "Baseline due",
            "Due",
            "Forecast finish",
            "Slipped (days)",
            "Late (days)",
            "Status",
        ],
        [
            [
                t.task.name,
                t.task.team,
                t.task.owner,
                t.task.baseline_due_on,
                t.task.due_on,
                t.finish,
                t.slip_days,
                t.late_days,
                t.task.status,
            ]
            for t in report.slipped
        ],
    )
    _sheet(
        book,
        "Top risks",
        [
            "Kind",
            "Title",
            "Probability",
            "Impact",
            "Score",
            "Owner",
            "Mitigation",
            "Due",
            "Status",
            "Overdue",
        ],
        [
            [
                r.kind,
                r.title,
                r.probability,
                r.impact,
                r.score,
                r.owner,
                r.mitigation,
                r.due_on,
                r.status,
                "yes" if r in report.overdue_risks else "",
            ]
            for r in [
                *report.top_risks,
                *(o for o in report.overdue_risks if o not in report.top_risks),
            ]
        ],
    )
    gate_rows: list[list[Any]] = []
    for status in report.gates:
        if not status.latest:
            gate_rows.append([status.gate.name, None, "not checked", None, None])
        for check in status.latest:
            shown = ", ".join(f"{k}={v}" for k, v in check.values.items())
            gate_rows.append([status.gate.name, check.as_of, check.result, check.center, shown])
    _sheet(book, "Gates", ["Gate", "Checked as of", "Result", "Center", "Values"], gate_rows)
    _sheet(
        book,
        "Documents",
        ["Document", "Version", "Center", "Agents", "Acknowledged", "Rate"],
        [
            [d.title, d.current_version, c.center, c.required, c.acknowledged, c.rate]
            for d, rows in report.documents
            for c in rows
        ],
    )
    _sheet(
        book,
        "Key metrics",
        ["Week", "Center", *(LABELS[m] for m in TREND)],
        [[r["period"], r["center"], *(r.get(m) for m in TREND)] for r in report.trend],
    )
    sink = io.BytesIO()
    book.save(sink)
    return sink.getvalue()


def _sheet(book: Any, title: str, headers: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font

    sheet = book.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([cell_text(v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, float) and title == "Documents":
                cell.number_format = "0.0%"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(
            12, len(header) + 4
        )
    sheet.freeze_panes = "A2"
