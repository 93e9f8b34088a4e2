"""The daily governance workbook: where sellers stand, what was issued, what is in force, how
appeals are served, whether enforcement works (repeat offenders, defect trend), and what
explains the late dispatch rate.

Example::

    path = write_report(db, settings, catalog, scheme, day, Path("governance.xlsx"))
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.governance import appeals as appeal_service
from pasar.governance.ledger import balances
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.rca import root_causes
from pasar.governance.scheme import Scheme
from pasar.kit.db import Database
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import build_snapshots, read_snapshot

TREND_DAYS = 30
TREND_METRICS = (
    "order_defect_rate_60d",
    "late_dispatch_rate_7d",
    "seller_fault_cancellation_rate_7d",
)
RCA_METRIC = "late_dispatch_rate_7d"


def write_report(
    db: Database,
    settings: Settings,
    catalog: Catalog,
    scheme: Scheme,
    day: dt.date,
    path: Path,
) -> Path:
    """Write the workbook for ``day`` to ``path`` (its folder is created)."""
    with db.unit_of_work() as session:
        sheets = _ledger_sheets(session, scheme, day)
    sheets["Defect trend"] = _trend(settings, catalog, day)
    sheets["Root causes"] = _root_causes(settings, catalog, day)
    _write(sheets, path, scheme, day)
    return path


Sheet = tuple[list[str], list[list[Any]]]


def _ledger_sheets(session: Session, scheme: Scheme, day: dt.date) -> dict[str, Sheet]:
    points = balances(session, day)
    levels = Counter(scheme.level(p) for p in points.values() if p > 0)
    week = day - dt.timedelta(days=6)
    issues = session.scalars(
        select(PointsEntry).where(PointsEntry.kind == "issue", PointsEntry.effective_on <= day)
    ).all()
    recent = [e for e in issues if e.effective_on >= day - dt.timedelta(days=29)]
    by_reason: dict[str, list[int]] = {}
    for entry in recent:
        counts = by_reason.setdefault(entry.policy_id or "—", [0, 0, 0])
        counts[0] += entry.effective_on >= week
        counts[1] += 1
        counts[2] += entry.points
    offenders = {e.seller_id for e in recent}
    repeat = {e.seller_id for e in recent if e.repeat}
    actions = session.scalars(
        select(EnforcementAction).order_by(EnforcementAction.starts_on, EnforcementAction.id)
    ).all()
    in_force = [a for a in actions if a.in_force(day)]
    queued = [a for a in actions if a.status == "pending_review"]
    appeals = session.scalars(select(Appeal).order_by(Appeal.submitted_on, Appeal.id)).all()
    decided = appeal_service.decision_days(list(appeals))
    sla = scheme.appeals.decision_sla_days if scheme.appeals else 2
    summary: list[list[Any]] = [
        ["As of", day.isoformat()],
        ["Scheme", scheme.ref],
        ["Sellers with points", sum(1 for p in points.values() if p > 0)],
        ["Violations, last 7 days", sum(c[0] for c in by_reason.values())],
        ["Violations, last 30 days", len(recent)],
        ["Repeat-offender rate, 30 days", len(repeat) / len(offenders) if offenders else 0.0],
        ["Actions in force", len(in_force)],
        ["Waiting for a person", len(queued)],
        ["Appeals open", sum(a.status == "submitted" for a in appeals)],
        ["Appeals decided", len(decided)],
        [f"Appeals decided within {sla} days", sum(d <= sla for d in decided)],
    ]
    ladder = sorted({s.at for s in scheme.ladder})
    return {
        "Summary": (["measure", "value"], summary),
        "Levels": (
            ["level", "sellers"],
            [[f"below {ladder[0]}", levels.get(0, 0)]]
            + [[f"{at}+", levels.get(at, 0)] for at in ladder],
        ),
        "Violations by reason": (
            ["policy", "last 7 days", "last 30 days", "points, 30 days"],
            [[k, *v] for k, v in sorted(by_reason.items(), key=lambda kv: -kv[1][1])],
        ),
        "Actions in force": (
            ["id", "seller", "action", "from", "to", "source", "explanation"],
            [
                [a.id, a.seller_id, a.action, a.starts_on, a.ends_on, a.source, a.explanation_en]
                for a in in_force
            ],
        ),
        "Review queue": (
            ["id", "seller", "action", "since", "why a person decides"],
            [[a.id, a.seller_id, a.action, a.starts_on, a.review_reason] for a in queued],
        ),
        "Appeals": (
            ["id", "violation", "seller", "number", "reason", "submitted", "status", "days"],
            [
                [
                    a.id,
                    a.entry_id,
                    a.seller_id,
                    a.number,
                    a.reason,
                    a.submitted_on,
                    a.status,
                    ((a.decided_on or day) - a.submitted_on).days,
                ]
                for a in appeals
            ],
        ),
    }


def _trend(settings: Settings, catalog: Catalog, day: dt.date) -> Sheet:
    days = [day - dt.timedelta(days=i) for i in range(TREND_DAYS - 1, -1, -1)]
    build_snapshots("marketplace", days, settings, catalog)
    rows = []
    for each in days:
        row = read_snapshot(settings, "marketplace", each).to_pylist()[0]
        rows.append([each, *(row.get(m) for m in TREND_METRICS)])
    return (["day", *TREND_METRICS], rows)


def _root_causes(settings: Settings, catalog: Catalog, day: dt.date) -> Sheet:
    result = root_causes(RCA_METRIC, day, settings, catalog, vs_previous=True)
    rows = [
        [s.dimension, s.value, s.rate, s.share, s.excess, s.previous_rate, s.mix, s.rate_effect]
        for s in result.segments
    ]
    return (
        ["dimension", "value", "rate", "share", "excess", "previous rate", "mix", "rate effect"],
        rows,
    )


def _write(sheets: dict[str, Sheet], path: Path, scheme: Scheme, day: dt.date) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.chart import BarChart, LineChart, Reference  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    percent = {"Repeat-offender rate, 30 days"}
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, name in enumerate(header, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            width = max([len(str(name)), *(len(str(r[index - 1])) for r in rows[:200])])
            sheet.column_dimensions[letter].width = min(60, max(10, width + 2))
            rate_column = "rate" in name or name in TREND_METRICS or name in ("share", "mix")
            if rate_column:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = "0.0%"
        if title == "Summary":
            for row in sheet.iter_rows(min_row=2):
                if row[0].value in percent:
                    row[1].number_format = "0.0%"
        sheet.freeze_panes = "A2"
    _bar(book["Levels"], BarChart, Reference, "Sellers by level", "E2")
    _bar(book["Violations by reason"], BarChart, Reference, "Violations, last 30 days", "F2", 3)
    trend = book["Defect trend"]
    if trend.max_row > 1:
        chart = LineChart()
        chart.title = "Marketplace rates, last 30 days"
        chart.y_axis.number_format = "0%"
        data = Reference(trend, min_col=2, max_col=1 + len(TREND_METRICS), min_row=1,
                         max_row=trend.max_row)  # fmt: skip
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(trend, min_col=1, min_row=2, max_row=trend.max_row))
        chart.width, chart.height = 22, 10
        trend.add_chart(chart, "F2")
    book["Summary"]["D1"] = f"Governance report {day} — {scheme.ref}"
    book["Summary"]["D1"].font = Font(bold=True, size=14)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    book.save(temporary)
    os.replace(temporary, path)  # a reader never sees half a workbook


def _bar(sheet: Any, bar: Any, reference: Any, title: str, anchor: str, column: int = 2) -> None:
    if sheet.max_row < 2:
        return
    chart = bar()
    chart.title = title
    chart.add_data(
        reference(sheet, min_col=column, min_row=1, max_row=sheet.max_row), titles_from_data=True
    )
    chart.set_categories(reference(sheet, min_col=1, min_row=2, max_row=sheet.max_row))
    chart.width, chart.height = 18, 9
    sheet.add_chart(chart, anchor)
