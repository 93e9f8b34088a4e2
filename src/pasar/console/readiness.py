"""Console pages of launch readiness: the master schedule (a Gantt chart drawn on the server,
also as PNG and XLSX), a program's schedule with what a change would delay before it is
saved, the RAID log and its heat map, gates with their values and history and marking ready,
documents with their versions, differences and acknowledgements, service metrics with the
Pareto of contact reasons and alerts, handovers, and the weekly status report.

Reading needs ``readiness:read``; every form ``readiness:manage`` and the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.api.readiness import data_day, gate_context
from pasar.config import Settings
from pasar.console.charts import bar_chart, line_chart
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import DOWNLOADS, Column, Table
from pasar.kit.errors import NotFoundError, PasarError, ValidationError
from pasar.readiness import documents as document_service
from pasar.readiness import gates as gate_service
from pasar.readiness import handover as handover_service
from pasar.readiness import repository as repo
from pasar.readiness import risks as risk_service
from pasar.readiness import service
from pasar.readiness import service_metrics as metrics
from pasar.readiness.gantt import bars, gantt_png, gantt_svg, schedule_xlsx
from pasar.readiness.models import Document, Handover, Program, Risk, Task
from pasar.readiness.report import build_report, report_html, report_xlsx

router = APIRouter(include_in_schema=False)
READ, MANAGE = "readiness:read", "readiness:manage"

INDONESIAN.update(
    {
        "Readiness": "Kesiapan",
        "Launch readiness": "Kesiapan peluncuran",
        "Programs": "Program",
        "Program": "Program",
        "Master schedule": "Jadwal induk",
        "Schedule": "Jadwal",
        "Risks": "Risiko",
        "Gates": "Gerbang",
        "Documents": "Dokumen",
        "Handover": "Serah terima",
        "Status report": "Laporan status",
        "Service metrics": "Metrik layanan",
        "Task": "Tugas",
        "Team": "Tim",
        "Owner": "Pemilik",
        "Start": "Mulai",
        "Finish": "Selesai",
        "Due": "Tenggat",
        "Slack (days)": "Kelonggaran (hari)",
        "Critical": "Kritis",
        "Late (days)": "Terlambat (hari)",
        "Launch": "Peluncuran",
        "Critical path": "Jalur kritis",
        "Preview the change": "Pratinjau perubahan",
        "Save the change": "Simpan perubahan",
        "Overdue mitigations": "Mitigasi terlambat",
        "Gates passing": "Gerbang lolos",
        "Slipped tasks": "Tugas tergelincir",
        "Mark ready": "Tandai siap",
        "Check the gates now": "Periksa gerbang sekarang",
        "Override reason": "Alasan pengecualian",
        "Pending acknowledgement": "Belum dikonfirmasi",
        "Acknowledge": "Konfirmasi",
        "Contact reasons": "Alasan kontak",
        "Alerts": "Peringatan",
        "Sign off": "Tanda tangani",
        "Heat map": "Peta panas",
        "Impact": "Dampak",
        "Probability": "Kemungkinan",
        "Versions": "Versi",
        "Differences": "Perbedaan",
        "Search documents": "Cari dokumen",
    }
)

STATUS_BADGES = {"done": "ok", "pass": "ok", "fail": "rejected", "no_data": "pending_review"}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _refuse(view: Page) -> Response:
    return view.error(403, "Not allowed", "Your role cannot see launch readiness.")


def _program(unit: Session, program_id: int) -> Program:
    return repo.get(unit, Program, program_id)


def _day(text: str, field: str) -> dt.date | None:
    """A date typed in a form (empty: none), or a message naming the field."""
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValidationError(
            f"{field}: {text!r} is not a date like 2026-11-30", field=field
        ) from exc


def _schedule_table(plan: service.ProgramPlan, today: dt.date) -> Table:
    rows = [
        {
            "id": p.task.id,
            "version": p.task.version,
            "task": p.task.name,
            "team": p.task.team,
            "owner": p.task.owner,
            "status": p.task.status,
            "start": p.start,
            "finish": p.finish,
            "due": p.task.due_on,
            "baseline": p.task.baseline_due_on,
            "slack": p.slack,
            "critical": "critical" if p.critical else "",
            "late": p.late_days or None,
            "overdue": p.overdue(today),
            "start_on": p.task.start_on,
            "milestone": p.task.milestone,
        }
        for p in plan.tasks
    ]
    return Table(
        f"schedule-{plan.program.id}",
        "Schedule",
        [
            Column("task", "Task"),
            Column("team", "Team"),
            Column("owner", "Owner"),
            Column("status", "Status", "badge"),
            Column("start", "Start", "date"),
            Column("finish", "Finish", "date"),
            Column("due", "Due", "date"),
            Column("baseline", "Baseline due", "date"),
            Column("slack", "Slack (days)", "int"),
            Column("critical", "Critical", "badge"),
            Column("late", "Late (days)", "int"),
        ],
        rows,
        empty="No tasks yet: add them with `pasar readiness task` or the API.",
        note="Start and finish are the forecast: the earliest dates the dependencies and today "
        "allow.",
    )


# -- master schedule --------------------------------------------------------------------------


@router.get("/readiness")
def readiness_home(
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Every program, the master schedule across them, and what needs attention."""
    if not view.can(READ):
        return _refuse(view)
    today = dt.date.today()
    programs = list(repo.programs(unit))
    plans = [service.program_plan(unit, p.id, today) for p in programs]
    risks = list(repo.risks_of(unit))
    statuses = {p.id: gate_service.gate_status(unit, p.id) for p in programs}
    rows: list[dict[str, Any]] = []
    for plan in plans:
        gates = statuses[plan.program.id]
        rows.append(
            {
                "id": plan.program.id,
                "name": plan.program.name,
                "owner": plan.program.owner,
                "status": plan.program.status,
                "launch": plan.program.launch_on,
                "finish": plan.finish,
                "spare": plan.days_to_spare,
                "centers": ", ".join(plan.program.centers),
                "slipped": sum(1 for t in plan.tasks if t.slipped(today)),
                "gates": f"{sum(1 for g in gates if g.passed)} / {len(gates)}",
            }
        )
    table = Table(
        "programs",
        "Programs",
        [
            Column("name", "Program", href="/readiness/programs/{id}"),
            Column("owner", "Owner"),
            Column("status", "Status", "badge"),
            Column("centers", "Pilot centers"),
            Column("launch", "Launch", "date"),
            Column("finish", "Forecast finish", "date"),
            Column("spare", "Days to spare", "int"),
            Column("slipped", "Slipped tasks", "int"),
            Column("gates", "Gates passing"),
        ],
        rows,
        empty="No programs yet: create one with `pasar readiness create` or the API.",
    )
    kpis = [
        ("Programs", len(programs)),
        ("Slipped tasks", sum(r["slipped"] for r in rows)),
        ("Overdue mitigations", len(risk_service.overdue(risks, today))),
        ("Gates failing", sum(1 for g in statuses.values() for s in g if s.passed is False)),
    ]
    chart: Callable[[], Markup] = lambda: gantt_svg(bars(plans), view.t("Master schedule"), today)  # noqa: E731
    return view.render(
        "readiness_home.html",
        "Launch readiness",
        kpis=kpis,
        programs=table,
        chart=chart if any(p.tasks for p in plans) else None,
    )


def _chosen_plans(unit: Session, program: int | None, today: dt.date) -> tuple[str, list[Any]]:
    chosen = [_program(unit, program)] if program else list(repo.programs(unit))
    title = chosen[0].name if program else "Master schedule"
    return title, [service.program_plan(unit, p.id, today) for p in chosen]


@router.get("/readiness/schedule.png")
def schedule_png(
    program: int | None = None,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The master schedule (or one program's) as a PNG image."""
    if not view.can(READ):
        return _refuse(view)
    today = dt.date.today()
    title, plans = _chosen_plans(unit, program, today)
    return Response(
        gantt_png(bars(plans), title, today),
        media_type="image/png",
        headers={"content-disposition": f'attachment; filename="schedule-{today:%Y%m%d}.png"'},
    )


@router.get("/readiness/schedule.xlsx")
def schedule_workbook(
    program: int | None = None,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The master schedule (or one program's) as a workbook with a bar per task."""
    if not view.can(READ):
        return _refuse(view)
    today = dt.date.today()
    title, plans = _chosen_plans(unit, program, today)
    return Response(
        schedule_xlsx(bars(plans), title),
        media_type=DOWNLOADS["xlsx"],
        headers={"content-disposition": f'attachment; filename="schedule-{today:%Y%m%d}.xlsx"'},
    )


# -- a program's schedule and task changes ----------------------------------------------------


@router.get("/readiness/programs/{program_id}")
def program_page(
    program_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A program's forecast schedule, its critical path, and a form per task to move it."""
    if not view.can(READ):
        return _refuse(view)
    today = dt.date.today()
    plan = service.program_plan(unit, program_id, today)
    chart: Callable[[], Markup] = lambda: gantt_svg(bars([plan]), plan.program.name, today)  # noqa: E731
    return view.render(
        "readiness_program.html",
        plan.program.name,
        program=plan.program,
        plan=plan,
        schedule=_schedule_table(plan, today),
        chart=chart if plan.tasks else None,
        can_manage=view.can(MANAGE),
        tab="schedule",
        today=today,
    )


class TaskForm:
    """The fields of the task form (dates as typed: checked after the CSRF token)."""

    def __init__(
        self,
        start_on: str = Form(""),
        due_on: str = Form(""),
        status: str = Form(""),
        shift: str = Form(""),
        version: int = Form(...),
        csrf_token: str = Form(""),
    ) -> None:
        self.start_on, self.due_on, self.status, self.shift = start_on, due_on, status, shift
        self.version, self.csrf_token = version, csrf_token


def _checked(view: Page, unit: Session, token: str) -> Response | None:
    """Refuse a form without this session's CSRF token (403), or from a role that may not
    manage readiness; ``None`` when it may go on."""
    view.check_csrf(unit, token)
    if not view.can(MANAGE):
        return view.error(403, "Not allowed", "Your role cannot change launch readiness.")
    return None


def _not_done(view: Page, unit: Session, exc: PasarError, back: str) -> Response:
    unit.rollback()
    status = exc.status_code if exc.status_code in (404, 409, 422) else 409
    return view.render("readiness_refused.html", "Not done", status, message=str(exc), back=back)


@router.post("/readiness/tasks/{task_id}/preview")
def preview_task_form(
    task_id: int,
    form: TaskForm = Depends(),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """What the typed change would delay downstream, with a button to save it."""
    refused = _checked(view, unit, form.csrf_token)
    if refused:
        return refused
    task = repo.get(unit, Task, task_id)
    back = f"/readiness/programs/{task.program_id}"
    try:
        impact = service.preview_task_change(
            unit,
            task.id,
            start_on=_day(form.start_on, "start_on"),
            due_on=_day(form.due_on, "due_on"),
            today=dt.date.today(),
        )
    except PasarError as exc:
        return _not_done(view, unit, exc, back)
    return view.render(
        "readiness_preview.html",
        "Preview the change",
        impact=impact,
        form=form,
        program=_program(unit, task.program_id),
        back=back,
    )


@router.post("/readiness/tasks/{task_id}")
def save_task_form(
    task_id: int,
    form: TaskForm = Depends(),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Save a task's new dates or status (the preview showed what it delays)."""
    refused = _checked(view, unit, form.csrf_token)
    if refused:
        return refused
    task = repo.get(unit, Task, task_id)
    back = f"/readiness/programs/{task.program_id}"
    try:
        service.update_task(
            unit,
            task.id,
            actor=f"user:{view.user.username}",
            seen_version=form.version,
            start_on=_day(form.start_on, "start_on"),
            due_on=_day(form.due_on, "due_on"),
            status=form.status or None,
            today=dt.date.today(),
            shift_downstream=form.shift == "on",
        )
    except PasarError as exc:
        return _not_done(view, unit, exc, back)
    return RedirectResponse(back, status_code=303)


# -- risks --------------------------------------------------------------------------------------


@router.get("/readiness/programs/{program_id}/risks")
def risks_page(
    program_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The RAID log, its heat map of open entries and the overdue mitigations."""
    if not view.can(READ):
        return _refuse(view)
    program = _program(unit, program_id)
    today = dt.date.today()
    risks = list(repo.risks_of(unit, program.id))
    late = {r.id for r in risk_service.overdue(risks, today)}
    names = {t.id: t.name for t in repo.tasks_of(unit, program.id)}
    table = _risks_table(risks, late, names)
    return view.render(
        "readiness_risks.html",
        f"{program.name}: risks",
        program=program,
        raid=table,
        heat=risk_service.heat_map(risks),
        overdue=len(late),
        can_manage=view.can(MANAGE),
        tab="risks",
        statuses=(*risk_service.OPEN, "accepted", "closed"),
    )


def _risks_table(risks: list[Risk], late: set[int], names: dict[int, str]) -> Table:
    rows = [
        {
            "id": r.id,
            "version": r.version,
            "kind": r.kind,
            "title": r.title,
            "probability": r.probability,
            "impact": r.impact,
            "score": r.score,
            "owner": r.owner,
            "mitigation": r.mitigation,
            "due": r.due_on,
            "status": r.status,
            "overdue": "overdue" if r.id in late else "",
            "tasks": ", ".join(names.get(t, str(t)) for t in r.task_ids),
        }
        for r in sorted(risks, key=lambda r: (-r.score, r.id))
    ]
    return Table(
        "raid",
        "RAID log",
        [
            Column("kind", "Kind"),
            Column("title", "Title"),
            Column("probability", "Probability", "int"),
            Column("impact", "Impact", "int"),
            Column("score", "Score", "int"),
            Column("owner", "Owner"),
            Column("mitigation", "Mitigation"),
            Column("due", "Due", "date"),
            Column("overdue", "Overdue", "badge"),
            Column("status", "Status", "badge"),
            Column("tasks", "Linked tasks"),
        ],
        rows,
        empty="The RAID log is empty.",
    )


@router.post("/readiness/risks/{risk_id}")
def risk_form(
    risk_id: int,
    status: str = Form(...),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Change a RAID entry's status."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    risk = repo.get(unit, Risk, risk_id)
    back = f"/readiness/programs/{risk.program_id}/risks"
    try:
        risk_service.update_risk(
            unit, risk.id, actor=f"user:{view.user.username}", seen_version=version, status=status
        )
    except PasarError as exc:
        return _not_done(view, unit, exc, back)
    return RedirectResponse(back, status_code=303)


# -- gates --------------------------------------------------------------------------------------


def _gates_view(
    view: Page, unit: Session, program: Program, status: int = 200, error: str = ""
) -> Response:
    statuses = gate_service.gate_status(unit, program.id)
    rows: list[dict[str, Any]] = []
    for s in statuses:
        rule = s.gate.policy_id or s.gate.condition
        if not s.latest:
            rows.append(
                {
                    "gate": s.gate.name,
                    "rule": rule,
                    "center": "—",
                    "as_of": None,
                    "result": "not checked",
                    "values": "",
                }
            )
        for check in s.latest:
            shown = ", ".join(f"{k} {gate_service.short_value(v)}" for k, v in check.values.items())
            rows.append(
                {
                    "gate": s.gate.name,
                    "rule": rule,
                    "center": check.center,
                    "as_of": check.as_of,
                    "result": check.result,
                    "values": shown,
                }
            )
    table = Table(
        "gates",
        "Gates",
        [
            Column("gate", "Gate"),
            Column("rule", "Policy or condition"),
            Column("center", "Center"),
            Column("as_of", "Checked as of", "date"),
            Column("result", "Result", "badge"),
            Column("values", "Values"),
        ],
        rows,
        empty="No gates yet: add them with `pasar readiness gate` or the API.",
    )
    days = sorted({d for s in statuses for d in s.history})
    history = {s.gate.name: [(d, 1.0 if s.history.get(d) else 0.0) for d in days] for s in statuses}
    chart: Callable[[], Markup] | None = (
        (lambda: line_chart(history, view.t("Gates passing") + " (1 = pass)", height=2.2))
        if days
        else None
    )
    return view.render(
        "readiness_gates.html",
        f"{program.name}: gates",
        status,
        program=program,
        gates=table,
        statuses=statuses,
        chart=chart,
        can_manage=view.can(MANAGE),
        tab="gates",
        error=error,
    )


@router.get("/readiness/programs/{program_id}/gates")
def gates_page(
    program_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Each gate with its current values per center and its pass/fail history."""
    if not view.can(READ):
        return _refuse(view)
    return _gates_view(view, unit, _program(unit, program_id))


@router.post("/readiness/programs/{program_id}/gates/check")
def check_gates_form(
    program_id: int,
    request: Request,
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Check every gate over the metrics of the last day of data."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    program = _program(unit, program_id)
    try:
        gate_service.check_gates(
            unit,
            _settings(request),
            program.id,
            data_day(request),
            actor=f"user:{view.user.username}",
            context=gate_context(request),
        )
    except PasarError as exc:
        unit.rollback()
        return _gates_view(view, unit, program, 409, str(exc))
    return RedirectResponse(f"/readiness/programs/{program.id}/gates", status_code=303)


@router.post("/readiness/programs/{program_id}/ready")
def ready_form(
    program_id: int,
    request: Request,
    override_reason: str = Form(""),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Mark the program ready: refused while a gate fails, unless a reason overrides it."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    program = _program(unit, program_id)
    try:
        gate_service.mark_ready(
            unit,
            _settings(request),
            program.id,
            data_day(request),
            actor=f"user:{view.user.username}",
            override_reason=override_reason.strip() or None,
            seen_version=version,
            context=gate_context(request),
        )
    except PasarError as exc:
        unit.rollback()
        return _gates_view(view, unit, _program(unit, program_id), 409, str(exc))
    return RedirectResponse(f"/readiness/programs/{program.id}/gates", status_code=303)


# -- handovers ----------------------------------------------------------------------------------


@router.get("/readiness/programs/{program_id}/handover")
def handover_page(
    program_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Each handover's checklist, what blocks each line, and the sign-off."""
    if not view.can(READ):
        return _refuse(view)
    program = _program(unit, program_id)
    handovers = [
        (h, handover_service.checklist(unit, h)) for h in repo.handovers_of(unit, program.id)
    ]
    leads = {
        h.id: [a for a in repo.agents(unit, [h.center]) if a.role == "lead"] for h, _ in handovers
    }
    return view.render(
        "readiness_handover.html",
        f"{program.name}: handover",
        program=program,
        handovers=handovers,
        leads=leads,
        can_manage=view.can(MANAGE),
        tab="handover",
    )


@router.post("/readiness/handover-items/{item_id}")
def tick_form(
    item_id: int,
    done: str = Form(""),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Tick or untick a checklist line."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    try:
        item = handover_service.tick(
            unit,
            item_id,
            done=done == "on",
            on=dt.date.today(),
            actor=f"user:{view.user.username}",
            seen_version=version,
        )
        handover = repo.get(unit, Handover, item.handover_id)
    except PasarError as exc:
        return _not_done(view, unit, exc, "/readiness")
    return RedirectResponse(f"/readiness/programs/{handover.program_id}/handover", status_code=303)


@router.post("/readiness/handovers/{handover_id}/sign-off")
def sign_off_form(
    handover_id: int,
    lead: str = Form(...),
    override_reason: str = Form(""),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The receiving lead signs the handover off."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    handover = repo.get(unit, Handover, handover_id)
    back = f"/readiness/programs/{handover.program_id}/handover"
    try:
        handover_service.sign_off(
            unit,
            handover.id,
            lead,
            on=dt.date.today(),
            actor=f"user:{view.user.username}",
            override_reason=override_reason.strip() or None,
            seen_version=version,
        )
    except PasarError as exc:
        return _not_done(view, unit, exc, back)
    return RedirectResponse(back, status_code=303)


# -- report -------------------------------------------------------------------------------------


@router.get("/readiness/programs/{program_id}/report")
def report_page(
    program_id: int,
    request: Request,
    format: str = "html",
    as_of: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The weekly status report (a standalone page, or ``format=xlsx``)."""
    if not view.can(READ):
        return _refuse(view)
    try:
        day = _day(as_of, "as_of") or dt.date.today()
    except ValidationError as exc:
        return view.error(422, "Not done", str(exc))
    report = build_report(unit, _settings(request), program_id, day)
    if format == "xlsx":
        name = f"{report.file_stem}.xlsx"
        return Response(
            report_xlsx(report),
            media_type=DOWNLOADS["xlsx"],
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
    return Response(report_html(report), media_type="text/html; charset=utf-8")


# -- documents ----------------------------------------------------------------------------------


@router.get("/readiness/documents")
def documents_page(
    q: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Every document with its version, review date and acknowledgement; a search."""
    if not view.can(READ):
        return _refuse(view)
    today = dt.date.today()
    error = ""
    if q.strip():
        try:
            hits = [(h.document, h.snippet) for h in document_service.search(unit, q)]
        except ValidationError as exc:
            hits, error = [], str(exc)
    else:
        hits = [(d, "") for d in repo.documents(unit)]
    rows: list[dict[str, Any]] = []
    for document, snippet in hits:
        centers = document_service.by_center(unit, document)
        required = sum(c.required for c in centers)
        done = sum(c.acknowledged for c in centers)
        rows.append(
            {
                "id": document.id,
                "title": document.title,
                "kind": document.kind,
                "version": f"v{document.current_version}",
                "owner": document.owner,
                "review": document.next_review_on,
                "review_due": "review due" if document.next_review_on <= today else "",
                "acknowledged": done / required if required else None,
                "pending": required - done,
                "match": snippet,
            }
        )
    table = Table(
        "documents",
        "Documents",
        [
            Column("title", "Document", href="/readiness/documents/{id}"),
            Column("kind", "Kind"),
            Column("version", "Version"),
            Column("owner", "Owner"),
            Column("review", "Next review", "date"),
            Column("review_due", "Review", "badge"),
            Column("acknowledged", "Acknowledged", "percent"),
            Column("pending", "Pending acknowledgement", "int"),
            *([Column("match", "Match")] if q.strip() else []),
        ],
        rows,
        empty="No documents match." if q.strip() else "No documents yet.",
    )
    return view.render(
        "readiness_documents.html",
        "Documents",
        documents=table,
        q=q,
        error=error,
        status=422 if error else 200,
    )


@router.get("/readiness/documents/{document_id}")
def document_page(
    document_id: int,
    old: int = 0,
    new: int = 0,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A document's current text, its versions, the differences between two of them, and
    exactly who has not acknowledged the current version."""
    if not view.can(READ):
        return _refuse(view)
    document = repo.get(unit, Document, document_id)
    versions = list(repo.versions_of(unit, document.id))
    current = versions[-1]
    newer = new or document.current_version
    older = old or max(1, newer - 1)
    lines: list[document_service.DiffLine] = []
    if older != newer:
        try:
            lines = document_service.diff(unit, document.id, older, newer)
        except NotFoundError as exc:
            return view.error(404, "Not found", str(exc))
    waiting = document_service.pending(unit, document)
    pending = Table(
        "pending",
        "Pending acknowledgement",
        [Column("ref", "Agent"), Column("name", "Name"), Column("center", "Center")],
        [{"ref": a.ref, "name": a.name, "center": a.center} for a in waiting],
        empty="Every required agent has acknowledged the current version.",
    )
    centers = Table(
        "centers",
        "Acknowledgement by center",
        [
            Column("center", "Center"),
            Column("required", "Agents", "int"),
            Column("acknowledged", "Acknowledged", "int"),
            Column("rate", "Rate", "percent"),
        ],
        [
            {
                "center": c.center,
                "required": c.required,
                "acknowledged": c.acknowledged,
                "rate": c.rate,
            }
            for c in document_service.by_center(unit, document)
        ],
        empty="No center must acknowledge this document.",
    )
    return view.render(
        "readiness_document.html",
        document.title,
        document=document,
        versions=versions,
        body=document_service.render(current.body),
        lines=lines,
        older=older,
        newer=newer,
        pending=pending,
        centers=centers,
        waiting=waiting,
        can_manage=view.can(MANAGE),
    )


@router.post("/readiness/documents/{document_id}/acknowledge")
def acknowledge_form(
    document_id: int,
    agent: str = Form(...),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Record that an agent acknowledged the version shown (refused when it is no longer
    the current one)."""
    refused = _checked(view, unit, csrf_token)
    if refused:
        return refused
    back = f"/readiness/documents/{document_id}"
    try:
        document_service.acknowledge(
            unit, document_id, agent, version=version, actor=f"user:{view.user.username}"
        )
    except PasarError as exc:
        return _not_done(view, unit, exc, back)
    return RedirectResponse(back, status_code=303)


# -- service metrics ----------------------------------------------------------------------------


@router.get("/readiness/metrics")
def metrics_page(
    request: Request,
    by: str = "center",
    as_of: str = "",
    view: Page = Depends(page, scope="function"),
) -> Response:
    """Service metrics per center, channel or contact reason, the Pareto of contact reasons
    with the change over the week before, and the alerts."""
    if not view.can(READ):
        return _refuse(view)
    if by not in metrics.DIMENSIONS:
        return view.error(422, "Not done", f"by {by!r}: use {', '.join(metrics.DIMENSIONS)}")
    try:
        day = _day(as_of, "as_of") or data_day(request)
    except ValidationError as exc:
        return view.error(422, "Not done", str(exc))
    settings = _settings(request)
    rows = metrics.service_metrics(settings, day, by)
    kinds = {
        "tickets_7d": "int",
        "backlog": "int",
        "backlog_over_2d": "int",
        "reopen_rate_30d": "percent",
        "contacts_per_1000_orders_30d": "number",
    }
    shown = [
        "tickets_7d",
        "first_response_hours_p50_7d",
        "first_response_hours_p90_7d",
        "resolution_hours_p50_7d",
        "resolution_hours_p90_7d",
        "backlog",
        "backlog_days",
        "backlog_age_p50_hours",
        "backlog_age_max_hours",
        "backlog_over_2d",
        "reopen_rate_30d",
        "csat_mean_30d",
        "contacts_per_1000_orders_30d",
    ]
    table = Table(
        f"service-{by}",
        "Service metrics",
        [
            Column("key", by.title()),
            *(Column(m, metrics.LABELS[m], kinds.get(m, "number")) for m in shown),
        ],
        rows,
        empty="No contacts in the warehouse yet.",
    )
    reasons = metrics.contact_reasons(settings, day)
    pareto = Table(
        "reasons",
        "Contact reasons",
        [
            Column("reason", "Reason"),
            Column("contacts", "Contacts, 7 days", "int"),
            Column("share", "Share", "percent"),
            Column("cumulative", "Cumulative", "percent"),
            Column("previous", "Week before", "int"),
            Column("change", "Change", "int"),
            Column("change_rate", "Change (%)", "percent"),
        ],
        [
            {
                "reason": r.reason,
                "contacts": r.contacts,
                "share": r.share,
                "cumulative": r.cumulative,
                "previous": r.previous,
                "change": r.change,
                "change_rate": r.change_rate,
            }
            for r in reasons
        ],
        empty="No contacts in these 7 days.",
    )
    found = metrics.alerts(settings, day, by, rows=rows)
    alerts = Table(
        "alerts",
        "Alerts",
        [
            Column("key", by.title()),
            Column("metric", "Metric"),
            Column("value", "Value", "number"),
            Column("previous", "A week before", "number"),
            Column("limit", "Limit"),
            Column("state", "State", "badge"),
        ],
        [
            {
                "key": a.key,
                "metric": metrics.LABELS.get(a.threshold.metric, a.threshold.metric),
                "value": a.value,
                "previous": a.previous,
                "limit": a.threshold.describe(),
                "state": a.state,
            }
            for a in found
        ],
        empty="Every metric is within its threshold.",
    )
    top = [r for r in reasons if r.contacts][:12]
    chart: Callable[[], Markup] | None = (
        (
            lambda: bar_chart(
                [r.reason for r in top],
                [r.contacts for r in top],
                view.t("Contact reasons") + f", 7 days to {day}",
            )
        )
        if top
        else None
    )
    return view.render(
        "readiness_metrics.html",
        "Service metrics",
        as_of=day,
        by=by,
        dimensions=list(metrics.DIMENSIONS),
        service_table=table,
        pareto=pareto,
        alerts=alerts,
        chart=chart,
    )
