"""The demo program over generated tickets, its weekly status report (XLSX and HTML) and the
Gantt chart (SVG, PNG, XLSX): the files are produced and hold the expected tasks."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape
from pathlib import Path

from openpyxl import load_workbook  # type: ignore[import-untyped]

from pasar import migrations
from pasar.config import Settings
from pasar.kit.db import Database
from pasar.readiness import documents, gates, service
from pasar.readiness import repository as repo
from pasar.readiness.demo import NAME, seed_demo
from pasar.readiness.gantt import Bar, gantt_png, gantt_svg, schedule_xlsx
from pasar.readiness.report import build_report, write_report
from tests.readiness.conftest import DAY, Market

TASKS = [
    "Scope and success criteria",
    "Chat vendor contract signed",
    "Write the live chat SOP",
    "Configure chat routing for the seller queue",
    "Recruit Makassar chat agents",
    "SOP v2: refunds and escalation",
    "Train Makassar agents",
    "Dry run with 50 sellers",
    "Go-live readiness review",
    "Pilot go-live",
]


def test_the_demo_report_and_gantt(database: Database, market: Market, tmp_path: Path) -> None:
    # a fresh store: the demo's pending list counts every Makassar agent
    today = DAY  # the gates are checked weekly up to it (snapshots shared with test_gates)
    with database.unit_of_work() as s:
        program = seed_demo(s, market.settings, today)
        assert seed_demo(s, market.settings, today).id == program.id  # once only
        program_id = program.id
    with database.unit_of_work() as s:
        plan = service.program_plan(s, program_id, today)
        assert sorted(t.task.name for t in plan.tasks) == sorted(TASKS)
        assert [t.name for t in plan.critical_path][-3:] == [
            "Dry run with 50 sellers",
            "Go-live readiness review",
            "Pilot go-live",
        ]
        recruit = next(t for t in plan.tasks if t.task.name == "Recruit Makassar chat agents")
        assert recruit.slip_days == 10 and recruit.critical
        statuses = gates.gate_status(s, program_id)
        assert [len(g.history) for g in statuses] == [4, 4, 4, 4]  # four weekly checks
        assert statuses[0].as_of == today
        sop, _training = sorted(repo.documents(s, program_id), key=lambda d: d.title)
        assert (sop.title, sop.current_version) == ("Live chat SOP for seller support", 2)
        assert [a.ref for a in documents.pending(s, sop)] == ["MKS-006", "MKS-007", "MKS-008"]
        report = build_report(s, market.settings, program_id, today)
        xlsx, html = write_report(report, tmp_path / "reports")
    assert xlsx.name == f"readiness-live-chat-for-sellers-in-sulawesi-pilot-{today}.xlsx"
    book = load_workbook(xlsx)
    assert book.sheetnames == [
        "Summary",
        "Milestones",
        "Slipped tasks",
        "Top risks",
        "Gates",
        "Documents",
        "Key metrics",
    ]
    cells = {
        name: [[c for c in row] for row in book[name].iter_rows(values_only=True)]
        for name in book.sheetnames
    }
    assert cells["Summary"][0][0] == f"Weekly status: {NAME}"
    assert [r[0] for r in cells["Milestones"][1:]] == ["Pilot go-live"]
    slipped = [r[0] for r in cells["Slipped tasks"][1:]]
    assert "Recruit Makassar chat agents" in slipped
    assert "Makassar hiring lags the plan" in [r[1] for r in cells["Top risks"][1:]]
    assert {r[0] for r in cells["Gates"][1:]} == {g.gate.name for g in statuses}
    assert [r[2] for r in cells["Key metrics"][1:]] and {
        r[1] for r in cells["Key metrics"][1:]
    } == {"Makassar"}
    page = html.read_text(encoding="utf-8")
    text = unescape(re.sub(r"<[^>]+>", " ", page))
    for task in TASKS:
        assert task in text, task  # in the chart and the tables
    assert "Recruit Makassar chat agents → Train Makassar agents" in text  # the critical path
    assert "<svg" in page and "MKS-006" not in page  # agents are counted, not listed
    chart = page[page.index("<svg") : page.index("</svg>")]
    chart_text = unescape(re.sub(r"<[^>]+>", " ", chart))
    assert all(task in chart_text for task in TASKS)  # the Gantt chart names every task


def bar(task: str, start: int, days: int, **changes: object) -> Bar:
    first = dt.date(2026, 11, 2) + dt.timedelta(days=start)
    finish = first + dt.timedelta(days=max(days - 1, 0))
    values: dict[str, object] = {
        "program": "Chat pilot",
        "launch_on": dt.date(2026, 11, 20),
        "task_id": start,
        "task": task,
        "team": "t",
        "owner": "o",
        "status": "todo",
        "start": first,
        "finish": finish,
        "due": finish,
        "baseline_due": finish,
        "milestone": days == 0,
        "critical": False,
        "slack": 0,
        "late_days": 0,
    }
    values.update(changes)
    return Bar(**values)  # type: ignore[arg-type]


def test_the_gantt_chart_files() -> None:
    rows = [
        bar("Write the SOP", 0, 5, critical=True),
        bar("Hire $5 agents <fast>", 2, 6, late_days=2, due=dt.date(2026, 11, 5)),
        bar("Go-live", 9, 0, critical=True),
    ]
    svg = str(gantt_svg(rows, "Master schedule", dt.date(2026, 11, 4)))
    text = unescape(re.sub(r"<[^>]+>", " ", svg))
    assert svg.startswith("<svg") and "<fast>" not in svg  # text escaped
    for name in ("Write the SOP", "Hire $5 agents <fast>", "Go-live", "Master schedule"):
        assert name in text, name
    png = gantt_png(rows, "Master schedule")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5_000
    grid = load_workbook(io.BytesIO(schedule_xlsx(rows)))["Schedule"]
    assert [row[1].value for row in grid.iter_rows(min_row=3)] == [r.task for r in rows]
    days = [c.value for c in grid[2][12:]]
    assert days[0] == "02 Nov" and days[-1] == "11 Nov"  # one column a day, first to last
    painted = [
        [c.column - 13 for c in row[12:] if c.fill.fgColor.rgb not in (None, "00000000")]
        for row in grid.iter_rows(min_row=3)
    ]
    assert painted == [[0, 1, 2, 3, 4], [2, 3, 4, 5, 6, 7], [9]]
    late = {
        c.column - 13 for c in grid[4][12:] if str(c.fill.fgColor.rgb).upper().endswith("E07B39")
    }
    assert late == {4, 5, 6, 7}  # the days after its due date (5 November)
    odd = load_workbook(io.BytesIO(schedule_xlsx([bar("=HYPERLINK(1)\x1b[31m\x00", 0, 1)])))
    assert odd["Schedule"]["B3"].value == "'=HYPERLINK(1)[31m"  # kept as text, no controls


def test_the_demo_without_a_warehouse(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    migrations.upgrade(url)
    database = Database(url)
    settings = Settings(home=tmp_path / "empty", database_url=url)
    try:
        with database.unit_of_work() as s:
            program = seed_demo(s, settings, dt.date(2026, 12, 1))
            assert program.launch_on == dt.date(2026, 12, 17)
            assert all(not g.history for g in gates.gate_status(s, program.id))  # no data
            report = build_report(s, settings, program.id, dt.date(2026, 12, 1))
            assert report.trend == [] and len(report.gates) == 4
            assert len(report.slipped) >= 1 and len(report.overdue_risks) == 1
    finally:
        database.dispose()
