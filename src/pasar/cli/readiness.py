"""``pasar readiness``: launch-readiness programs from the command line — the schedule and its
critical path, what a slip delays, the RAID log, gates over live metrics and marking ready,
SOP and training documents with acknowledgements, service metrics, handovers and the weekly
status report. Programs and tasks are named by name (or id)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from pasar.cli.governance import _store
from pasar.cli.output import console, option_date
from pasar.config import get_settings
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.metrics.query import latest_day
from pasar.readiness import agents as agent_service
from pasar.readiness import documents as document_service
from pasar.readiness import gates as gate_service
from pasar.readiness import handover as handover_service
from pasar.readiness import repository as repo
from pasar.readiness import risks as risk_service
from pasar.readiness import service
from pasar.readiness import service_metrics as metrics
from pasar.readiness.gantt import bars, gantt_png, schedule_xlsx
from pasar.readiness.models import Program, Task
from pasar.readiness.report import build_report, write_report
from pasar.warehouse.store import Warehouse

app = typer.Typer(
    help="Launch readiness: programs, schedule, risks, gates, documents, handovers, reports.",
    no_args_is_help=True,
)
documents_app = typer.Typer(help="SOP and training documents.", no_args_is_help=True)
agents_app = typer.Typer(help="Support agents of the regional centers.", no_args_is_help=True)
app.add_typer(documents_app, name="documents")
app.add_typer(agents_app, name="agents")
ACTOR = "cli"
_PROGRAM = typer.Argument(..., help="Program name or id.")


def _day(text: str | None, option: str, default: dt.date | None = None) -> dt.date:
    return option_date(text, option) or default or dt.date.today()


def _data_day(text: str | None) -> dt.date:
    """``--as-of``, else the last day with data in the warehouse."""
    settings = get_settings()
    given = option_date(text, "--as-of")
    return given or latest_day(Warehouse(settings.warehouse_dir).connect(), settings.timezone)


def _task(session: Session, program: Program, name: str) -> Task:
    for task in repo.tasks_of(session, program.id):
        if task.name == name or str(task.id) == name:
            return task
    raise NotFoundError(f"program {program.name!r} has no task {name!r}")


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


# -- programs, tasks, schedule ------------------------------------------------------------------


@app.command("programs")
def programs_command() -> None:
    """Every program with its launch date, status and pilot centers."""
    with _store() as session:
        table = _table("Programs", "id", "name", "owner", "launch", "status", "centers")
        for p in repo.programs(session):
            table.add_row(
                str(p.id),
                escape(p.name),
                escape(p.owner),
                str(p.launch_on),
                p.status,
                escape(", ".join(p.centers)),
            )
    console.print(table)


@app.command("create")
def create_command(
    name: str = typer.Argument(..., help="Program name."),
    owner: str = typer.Option(..., "--owner", help="Who runs the program."),
    start: str = typer.Option(..., "--start", help="First day (YYYY-MM-DD)."),
    launch: str = typer.Option(..., "--launch", help="Launch date (YYYY-MM-DD)."),
    centers: list[str] = typer.Option([], "--center", help="A pilot center (repeatable)."),
    description: str = typer.Option("", "--description", help="What is launched."),
) -> None:
    """A new program in planning."""
    with _store() as session:
        program = service.create_program(
            session,
            name,
            owner,
            _day(start, "--start"),
            _day(launch, "--launch"),
            centers,
            description=description,
            actor=ACTOR,
        )
        console.print(f"Program {program.id} [bold]{escape(program.name)}[/] created.")


@app.command("task")
def task_command(
    program: str = _PROGRAM,
    name: str = typer.Argument(..., help="Task name."),
    owner: str = typer.Option(..., "--owner"),
    team: str = typer.Option(..., "--team"),
    start: str = typer.Option(..., "--start", help="Planned start (YYYY-MM-DD)."),
    due: str | None = typer.Option(None, "--due", help="Due date (a milestone: none)."),
    milestone: bool = typer.Option(False, "--milestone", help="A milestone (no duration)."),
    after: list[str] = typer.Option([], "--after", help="A task it waits for (repeatable)."),
    effort: float | None = typer.Option(None, "--effort", help="Effort in person-days."),
) -> None:
    """Add a task (a dependency that would close a cycle is refused, naming the cycle)."""
    first = _day(start, "--start")
    last = first if milestone else option_date(due, "--due")
    if last is None:
        raise ValidationError("give --due (or --milestone)", field="due")
    with _store() as session:
        chosen = repo.program_named(session, program)
        waits = [_task(session, chosen, t).id for t in after]
        task = service.add_task(
            session,
            chosen.id,
            name,
            owner,
            team,
            first,
            last,
            milestone=milestone,
            effort_days=effort,
            predecessors=waits,
            actor=ACTOR,
        )
        console.print(f"Task {task.id} [bold]{escape(task.name)}[/] added.")


@app.command("depend")
def depend_command(
    program: str = _PROGRAM,
    successor: str = typer.Argument(..., help="The task that waits."),
    predecessor: str = typer.Argument(..., help="The task it waits for."),
    remove: bool = typer.Option(False, "--remove", help="Remove the dependency instead."),
) -> None:
    """Make a task wait for another (refused, naming the cycle, when it would loop)."""
    with _store() as session:
        chosen = repo.program_named(session, program)
        after, before = _task(session, chosen, successor), _task(session, chosen, predecessor)
        if remove:
            service.remove_dependency(session, before.id, after.id, actor=ACTOR)
            console.print(f"{escape(after.name)} no longer waits for {escape(before.name)}.")
        else:
            service.add_dependency(session, before.id, after.id, actor=ACTOR)
            console.print(f"{escape(after.name)} now waits for {escape(before.name)}.")


@app.command("schedule")
def schedule_command(
    program: str | None = typer.Argument(None, help="Program (default: every program)."),
    today: str | None = typer.Option(None, "--today", help="Status date (default: today)."),
    png: Path | None = typer.Option(None, "--png", help="Write the Gantt chart as PNG."),
    xlsx: Path | None = typer.Option(None, "--xlsx", help="Write the schedule as XLSX."),
) -> None:
    """The forecast schedule: each task's dates, slack, critical path and lateness; the
    master schedule across programs without a program."""
    day = _day(today, "--today")
    with _store() as session:
        chosen = [repo.program_named(session, program)] if program else list(repo.programs(session))
        plans = [service.program_plan(session, p.id, day) for p in chosen]
        for plan in plans:
            table = _table(
                f"{plan.program.name}: finish {plan.finish or '—'}, launch {plan.program.launch_on}"
                f" ({plan.days_to_spare if plan.days_to_spare is not None else '—'} days to spare)",
                "id",
                "task",
                "team",
                "owner",
                "status",
                "start",
                "finish",
                "due",
                "slack",
                "critical",
                "late",
            )
            for p in plan.tasks:
                table.add_row(
                    str(p.task.id),
                    escape(p.task.name),
                    escape(p.task.team),
                    escape(p.task.owner),
                    p.task.status,
                    str(p.start),
                    str(p.finish),
                    str(p.task.due_on),
                    str(p.slack),
                    "yes" if p.critical else "",
                    f"+{p.late_days}" if p.late_days else "",
                )
            console.print(table)
            path = " → ".join(t.name for t in plan.critical_path) or "—"
            console.print(f"Critical path: {escape(path)}")
        rows = bars(plans)
    title = chosen[0].name if len(chosen) == 1 else "Master schedule"
    if png is not None:
        png.write_bytes(gantt_png(rows, title, day))
        console.print(f"Gantt chart written to {escape(str(png))}")
    if xlsx is not None:
        xlsx.write_bytes(schedule_xlsx(rows, title))
        console.print(f"Schedule written to {escape(str(xlsx))}")


@app.command("slip")
def slip_command(
    program: str = _PROGRAM,
    task: str = typer.Argument(..., help="Task name or id."),
    due: str | None = typer.Option(None, "--due", help="New due date."),
    start: str | None = typer.Option(None, "--start", help="New start date."),
    today: str | None = typer.Option(None, "--today", help="Status date (default: today)."),
    save: bool = typer.Option(False, "--save", help="Save the change (default: only show it)."),
    shift: bool = typer.Option(
        False, "--shift-downstream", help="With --save: move the pushed tasks' dates too."
    ),
) -> None:
    """What moving a task's dates delays downstream — shown before anything is saved."""
    day = _day(today, "--today")
    with _store() as session:
        chosen = repo.program_named(session, program)
        target = _task(session, chosen, task)
        new_due, new_start = option_date(due, "--due"), option_date(start, "--start")
        if save:
            impact = service.update_task(
                session,
                target.id,
                actor=ACTOR,
                start_on=new_start,
                due_on=new_due,
                today=day,
                shift_downstream=shift,
            )
        else:
            impact = service.preview_task_change(
                session, target.id, start_on=new_start, due_on=new_due, today=day
            )
        table = _table("What moves", "task", "start", "finish", "days", "late after")
        for m in impact.moved:
            table.add_row(
                escape(m.task.name),
                f"{m.start_before} → {m.start_after}",
                f"{m.finish_before} → {m.finish_after}",
                f"{m.days:+d}",
                f"+{m.late_after}" if m.late_after else "",
            )
        console.print(table if impact.moved else "Nothing else moves.")
        verdict = "misses" if impact.misses_launch else "meets"
        console.print(
            f"Program finish {impact.finish_before} → {impact.finish_after} "
            f"({impact.delay:+d} days); it {verdict} the launch date {impact.launch_on}."
        )
        console.print("Saved." if save else "Nothing saved (add --save to save the change).")


@app.command("status")
def status_command(
    program: str = _PROGRAM,
    task: str = typer.Argument(..., help="Task name or id."),
    status: str = typer.Argument(..., help="todo, in_progress, blocked or done."),
    on: str | None = typer.Option(None, "--on", help="Day it was done (default: today)."),
) -> None:
    """Set a task's status (done: on a day)."""
    with _store() as session:
        chosen = repo.program_named(session, program)
        target = _task(session, chosen, task)
        service.update_task(session, target.id, actor=ACTOR, status=status, on=_day(on, "--on"))
        console.print(f"{escape(target.name)}: {status}.")


# -- risks ---------------------------------------------------------------------------------------


@app.command("risks")
def risks_command(
    program: str = _PROGRAM,
    today: str | None = typer.Option(None, "--today", help="Day (default: today)."),
) -> None:
    """The RAID log, its heat map of open entries, and the overdue mitigations."""
    day = _day(today, "--today")
    with _store() as session:
        chosen = repo.program_named(session, program)
        risks = list(repo.risks_of(session, chosen.id))
        late = risk_service.overdue(risks, day)
        table = _table(
            "RAID log",
            "id",
            "kind",
            "title",
            "P",
            "I",
            "score",
            "owner",
            "due",
            "status",
            "mitigation",
        )
        for r in sorted(risks, key=lambda r: (-r.score, r.id)):
            due = f"[red]{r.due_on} overdue[/]" if r in late else str(r.due_on or "—")
            table.add_row(
                str(r.id),
                r.kind,
                escape(r.title),
                str(r.probability),
                str(r.impact),
                str(r.score),
                escape(r.owner),
                due,
                r.status,
                escape(r.mitigation),
            )
        console.print(table)
        heat = _table("Heat map (open entries)", "impact \\ probability", "1", "2", "3", "4", "5")
        for row in risk_service.heat_map(risks):
            heat.add_row(str(row[0].impact), *(str(len(c.risks) or "") for c in row))
        console.print(heat)
        console.print(f"{len(late)} mitigation(s) overdue.")


@app.command("risk")
def risk_command(
    program: str = _PROGRAM,
    title: str = typer.Argument(..., help="What could go wrong (or is assumed, or blocks)."),
    probability: int = typer.Option(
        ..., "--probability", "-p", help="1 (rare) to 5 (almost sure)."
    ),
    impact: int = typer.Option(..., "--impact", "-i", help="1 (minor) to 5 (severe)."),
    owner: str = typer.Option(..., "--owner"),
    kind: str = typer.Option("risk", "--kind", help="risk, assumption, issue or dependency."),
    mitigation: str = typer.Option("", "--mitigation"),
    due: str | None = typer.Option(None, "--due", help="Mitigation due date."),
    tasks: list[str] = typer.Option([], "--task", help="A linked task (repeatable)."),
) -> None:
    """Add an entry to the RAID log."""
    with _store() as session:
        chosen = repo.program_named(session, program)
        linked = [_task(session, chosen, t).id for t in tasks]
        risk = risk_service.add_risk(
            session,
            chosen.id,
            title,
            probability=probability,
            impact=impact,
            owner=owner,
            kind=kind,
            mitigation=mitigation,
            due_on=option_date(due, "--due"),
            task_ids=linked,
            actor=ACTOR,
        )
        console.print(f"{risk.kind.title()} {risk.id} added (score {risk.score}).")


@app.command("risk-update")
def risk_update_command(
    risk_id: int = typer.Argument(..., help="RAID entry id."),
    status: str | None = typer.Option(None, "--status", help="open, mitigating, accepted, closed."),
    probability: int | None = typer.Option(None, "--probability", "-p"),
    impact: int | None = typer.Option(None, "--impact", "-i"),
    due: str | None = typer.Option(None, "--due"),
    reason: str | None = typer.Option(None, "--reason", help="Why (kept in the audit log)."),
) -> None:
    """Re-score, re-date or close a RAID entry."""
    with _store() as session:
        risk = risk_service.update_risk(
            session,
            risk_id,
            actor=ACTOR,
            status=status,
            probability=probability,
            impact=impact,
            due_on=option_date(due, "--due"),
            reason=reason,
        )
        console.print(f"Entry {risk.id}: {risk.status}, score {risk.score}.")


# -- gates ----------------------------------------------------------------------------------------


@app.command("gate")
def gate_command(
    program: str = _PROGRAM,
    name: str = typer.Argument(..., help="Gate name."),
    preset: str | None = typer.Option(
        None, "--preset", help=f"One of {', '.join(gate_service.PRESETS)}."
    ),
    policy: str | None = typer.Option(None, "--policy", help="A center policy of the library."),
    condition: str | None = typer.Option(
        None, "--condition", help="A condition over the center snapshot, e.g. 'backlog <= 20'."
    ),
    centers: list[str] = typer.Option([], "--center", help="Centers (default: pilot centers)."),
) -> None:
    """Add a gate: a preset, a policy of the library, or a condition of its own."""
    spec: dict[str, str] = {}
    if preset is not None:
        if preset not in gate_service.PRESETS:
            raise ValidationError(f"--preset {preset!r}: use {', '.join(gate_service.PRESETS)}")
        spec = gate_service.PRESETS[preset]
    settings = get_settings()
    with _store() as session:
        chosen = repo.program_named(session, program)
        gate = gate_service.add_gate(
            session,
            chosen.id,
            name,
            context=gate_service.Context.of(settings),
            policy_id=spec.get("policy_id", policy),
            condition=spec.get("condition", condition),
            centers=centers,
            description=spec.get("description", ""),
            actor=ACTOR,
        )
        console.print(f"Gate {gate.id} [bold]{escape(gate.name)}[/] added.")


def _show_results(results: list[gate_service.GateResult]) -> None:
    table = _table("Gates", "gate", "as of", "passed", "center", "result", "values")
    for result in results:
        passed = "[green]yes[/]" if result.passed else "[red]no[/]"
        if not result.centers:
            table.add_row(escape(result.gate.name), str(result.as_of), passed, "—", "—", "")
        for c in result.centers:
            values = ", ".join(f"{k} {gate_service.short_value(v)}" for k, v in c.values.items())
            table.add_row(
                escape(result.gate.name), str(result.as_of), passed, escape(c.center), c.result,
                escape(values),
            )  # fmt: skip
    console.print(table)


@app.command("gates")
def gates_command(
    program: str = _PROGRAM,
    check: bool = typer.Option(False, "--check", help="Check them now over the metrics."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day of the metrics (with --check)."),
) -> None:
    """The gates with their latest check; ``--check`` checks them over the live metrics."""
    settings = get_settings()
    with _store() as session:
        chosen = repo.program_named(session, program)
        if check:
            day = _data_day(as_of)
            _show_results(gate_service.check_gates(session, settings, chosen.id, day, actor=ACTOR))
            return
        table = _table("Gates", "id", "gate", "rule", "last checked", "passed", "history")
        for s in gate_service.gate_status(session, chosen.id):
            rule = s.gate.policy_id or s.gate.condition or ""
            history = "".join("✓" if ok else "✗" for ok in list(s.history.values())[-12:])
            passed = "—" if s.passed is None else "[green]yes[/]" if s.passed else "[red]no[/]"
            table.add_row(
                str(s.gate.id),
                escape(s.gate.name),
                escape(rule),
                str(s.as_of or "never"),
                passed,
                history,
            )
        console.print(table)


@app.command("ready")
def ready_command(
    program: str = _PROGRAM,
    as_of: str | None = typer.Option(None, "--as-of", help="Day of the metrics."),
    override: str | None = typer.Option(
        None, "--override", help="Why it is ready although a gate fails (audited)."
    ),
) -> None:
    """Mark a program ready: refused while a gate fails, unless overridden with a reason."""
    settings = get_settings()
    day = _data_day(as_of)
    with _store() as session:
        chosen = repo.program_named(session, program)
        done, results = gate_service.mark_ready(
            session, settings, chosen.id, day, actor=ACTOR, override_reason=override
        )
        _show_results(results)
        how = " by override" if done.override_reason else ""
        console.print(f"[bold]{escape(done.name)}[/] is ready{how} as of {day}.")


# -- documents and agents ------------------------------------------------------------------------


@documents_app.command("list")
def documents_list(
    query: str | None = typer.Option(None, "--search", "-q", help="Words to look for."),
) -> None:
    """Documents with their version, owner and review date (``-q``: a search)."""
    with _store() as session:
        table = _table(
            "Documents", "id", "title", "kind", "version", "owner", "next review", "match"
        )
        if query:
            for hit in document_service.search(session, query):
                d = hit.document
                table.add_row(
                    str(d.id),
                    escape(d.title),
                    d.kind,
                    f"v{d.current_version}",
                    escape(d.owner),
                    str(d.next_review_on),
                    escape(hit.snippet),
                )
        else:
            for d in repo.documents(session):
                table.add_row(
                    str(d.id),
                    escape(d.title),
                    d.kind,
                    f"v{d.current_version}",
                    escape(d.owner),
                    str(d.next_review_on),
                    "",
                )
    console.print(table)


@documents_app.command("add")
def documents_add(
    title: str = typer.Argument(..., help="Document title."),
    file: Path = typer.Argument(
        ..., help="Markdown file with the text.", exists=True, dir_okay=False
    ),
    owner: str = typer.Option(..., "--owner"),
    centers: list[str] = typer.Option(
        [], "--center", help="A center whose agents must acknowledge it."
    ),
    kind: str = typer.Option("sop", "--kind", help="sop or training."),
    program: str | None = typer.Option(None, "--program", help="The program it belongs to."),
    review_days: int = typer.Option(180, "--review-days", help="Days between reviews."),
) -> None:
    """A new document from a Markdown file (version 1)."""
    with _store() as session:
        program_id = repo.program_named(session, program).id if program else None
        document = document_service.create_document(
            session,
            title,
            owner,
            file.read_text(encoding="utf-8"),
            centers=centers,
            on=dt.date.today(),
            actor=ACTOR,
            kind=kind,
            program_id=program_id,
            review_every_days=review_days,
        )
        console.print(f"Document {document.id} [bold]{escape(document.title)}[/] v1 published.")


@documents_app.command("publish")
def documents_publish(
    document: str = typer.Argument(..., help="Document title or id."),
    file: Path = typer.Argument(
        ..., help="Markdown file with the new text.", exists=True, dir_okay=False
    ),
    note: str = typer.Option("", "--note", help="What changed."),
) -> None:
    """Publish the next version (everyone must acknowledge it again)."""
    with _store() as session:
        found = repo.document_named(session, document)
        version = document_service.publish_version(
            session,
            found.id,
            file.read_text(encoding="utf-8"),
            note=note,
            on=dt.date.today(),
            actor=ACTOR,
        )
        console.print(f"{escape(found.title)} v{version.number} published.")


@documents_app.command("show")
def documents_show(
    document: str = typer.Argument(..., help="Document title or id."),
    version: int | None = typer.Option(None, "--version", help="A version (default: current)."),
) -> None:
    """Print a version's Markdown text."""
    with _store() as session:
        found = repo.document_named(session, document)
        text = repo.version_of(session, found.id, version or found.current_version).body
    typer.echo(text, nl=False)


@documents_app.command("diff")
def documents_diff(
    document: str = typer.Argument(..., help="Document title or id."),
    old: int = typer.Argument(..., help="Older version."),
    new: int | None = typer.Argument(None, help="Newer version (default: current)."),
) -> None:
    """The changes between two versions as a unified diff."""
    with _store() as session:
        found = repo.document_named(session, document)
        text = document_service.unified(session, found.id, old, new or found.current_version)
    typer.echo(text or "(no differences)", nl=not text)


@documents_app.command("ack")
def documents_ack(
    document: str = typer.Argument(..., help="Document title or id."),
    agents: list[str] = typer.Argument(..., help="Agent references."),
    version: int | None = typer.Option(None, "--version", help="Must be the current version."),
) -> None:
    """Record that agents acknowledged the current version."""
    with _store() as session:
        found = repo.document_named(session, document)
        new = sum(
            document_service.acknowledge(session, found.id, ref, version=version, actor=ACTOR)[1]
            for ref in agents
        )
        console.print(
            f"{new} new acknowledgement(s) of {escape(found.title)} v{found.current_version}."
        )


@documents_app.command("pending")
def documents_pending(document: str = typer.Argument(..., help="Document title or id.")) -> None:
    """Exactly the agents who have not acknowledged the current version, by center."""
    with _store() as session:
        found = repo.document_named(session, document)
        for row in document_service.by_center(session, found):
            rate = "—" if row.rate is None else f"{row.rate:.0%}"
            console.print(f"{escape(row.center)}: {row.acknowledged} of {row.required} ({rate})")
        waiting = document_service.pending(session, found)
        table = _table(f"Not yet acknowledged: v{found.current_version}", "agent", "name", "center")
        for a in waiting:
            table.add_row(escape(a.ref), escape(a.name), escape(a.center))
    console.print(table if waiting else "Everyone has acknowledged the current version.")


@agents_app.command("list")
def agents_list(center: str | None = typer.Option(None, "--center")) -> None:
    """Active agents (of one center)."""
    with _store() as session:
        table = _table("Agents", "ref", "name", "center", "role")
        for a in repo.agents(session, [center] if center else None):
            table.add_row(escape(a.ref), escape(a.name), escape(a.center), a.role)
    console.print(table)


@agents_app.command("add")
def agents_add(
    ref: str = typer.Argument(..., help="Agent reference, e.g. MKS-001."),
    name: str = typer.Argument(...),
    center: str = typer.Option(..., "--center"),
    role: str = typer.Option("agent", "--role", help="agent or lead."),
) -> None:
    """Add an agent to a center's roster."""
    with _store() as session:
        agent = agent_service.add_agent(session, ref, name, center, role=role, actor=ACTOR)
        console.print(f"Agent {escape(agent.ref)} added to {escape(agent.center)}.")


@agents_app.command("import")
def agents_import(
    file: Path = typer.Argument(
        ..., help="CSV with ref,name,center[,role].", exists=True, dir_okay=False
    ),
) -> None:
    """Add or update agents from a CSV roster (a bad row stops it, naming row and column)."""
    with _store() as session:
        result = agent_service.import_roster(session, file, actor=ACTOR)
    console.print(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged.")


@agents_app.command("leave")
def agents_leave(ref: str = typer.Argument(..., help="Agent reference.")) -> None:
    """An agent left: no longer asked to acknowledge anything."""
    with _store() as session:
        agent_service.set_active(session, ref, False, actor=ACTOR)
    console.print(f"Agent {escape(ref)} deactivated.")


# -- service metrics ------------------------------------------------------------------------------


def _number(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


@app.command("metrics")
def metrics_command(
    by: str = typer.Option("center", "--by", help="center, channel or reason."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: last day of data)."),
) -> None:
    """Service metrics from tickets per center, channel or contact reason."""
    day = _data_day(as_of)
    rows = metrics.service_metrics(get_settings(), day, by)
    shown = [
        "tickets_7d",
        "first_response_hours_p90_7d",
        "resolution_hours_p90_7d",
        "backlog",
        "backlog_age_max_hours",
        "reopen_rate_30d",
        "csat_mean_30d",
        "contacts_per_1000_orders_30d",
    ]
    table = _table(f"Service metrics by {by} as of {day}", by, *(metrics.LABELS[m] for m in shown))
    for row in rows:
        table.add_row(escape(str(row["key"])), *(_number(row[m]) for m in shown))
    console.print(table)


@app.command("reasons")
def reasons_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: last day of data)."),
    centers: list[str] = typer.Option([], "--center", help="Only these centers."),
) -> None:
    """The Pareto of contact reasons over 7 days, with the change from the week before."""
    day = _data_day(as_of)
    reasons = metrics.contact_reasons(get_settings(), day, centers or None)
    table = _table(
        f"Contact reasons, 7 days to {day}",
        "reason",
        "contacts",
        "share",
        "cumulative",
        "week before",
        "change",
    )
    for r in reasons:
        rate = f" ({r.change_rate:+.0%})" if r.change_rate is not None else ""
        table.add_row(
            escape(r.reason),
            f"{r.contacts:,}",
            f"{r.share:.1%}",
            f"{r.cumulative:.1%}",
            f"{r.previous:,}",
            f"{r.change:+,}{rate}",
        )
    console.print(table)


@app.command("alerts")
def alerts_command(
    by: str = typer.Option("center", "--by", help="center, channel or reason."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: last day of data)."),
    thresholds: list[str] = typer.Option(
        [], "--threshold", help="metric<=value or metric>=value (default: the shipped ones)."
    ),
) -> None:
    """Metrics outside their thresholds: newly crossed this week, still outside, recovered."""
    day = _data_day(as_of)
    limits = [metrics.parse_threshold(t) for t in thresholds] or list(metrics.THRESHOLDS)
    found = metrics.alerts(get_settings(), day, by, limits)
    table = _table(f"Alerts as of {day}", by, "metric", "value", "a week before", "limit", "state")
    for a in found:
        table.add_row(
            escape(a.key),
            a.threshold.metric,
            _number(a.value),
            _number(a.previous),
            a.threshold.describe(),
            a.state,
        )
    console.print(table if found else "No metric outside its threshold.")


# -- handovers and report -------------------------------------------------------------------------


@app.command("handover")
def handover_command(
    program: str = _PROGRAM,
    center: str = typer.Argument(..., help="The receiving center."),
    items: list[str] = typer.Option([], "--item", help="A checklist line (repeatable)."),
    gates: list[str] = typer.Option([], "--gate", help="A gate that must pass (name; repeatable)."),
    documents: list[str] = typer.Option(
        [], "--document", help="A document to acknowledge (title)."
    ),
) -> None:
    """Open a handover to a receiving center with its checklist."""
    with _store() as session:
        chosen = repo.program_named(session, program)
        by_name = {g.name: g for g in repo.gates_of(session, chosen.id)}
        lines: list[handover_service.ItemSpec] = list(items)
        for name in gates:
            if name not in by_name:
                raise NotFoundError(f"program {chosen.name!r} has no gate {name!r}")
            lines.append((f"Gate passes: {name}", by_name[name].id, None))
        for title in documents:
            document = repo.document_named(session, title)
            lines.append((f"Acknowledged: {document.title}", None, document.id))
        made = handover_service.open_handover(session, chosen.id, center, items=lines, actor=ACTOR)
        console.print(f"Handover {made.id} to {escape(center)} opened with {len(lines)} line(s).")


@app.command("handovers")
def handovers_command(program: str = _PROGRAM) -> None:
    """Each handover's checklist with what still blocks each line."""
    with _store() as session:
        chosen = repo.program_named(session, program)
        for h in repo.handovers_of(session, chosen.id):
            table = _table(
                f"Handover {h.id} to {h.center}: {h.status.replace('_', ' ')}",
                "item",
                "line",
                "done",
                "blocked by",
            )
            for line in handover_service.checklist(session, h):
                table.add_row(
                    str(line.item.id),
                    escape(line.item.text),
                    "yes" if line.item.done else "",
                    escape(line.blocker or ""),
                )
            console.print(table)


@app.command("tick")
def tick_command(
    item_id: int = typer.Argument(..., help="Checklist item id."),
    undo: bool = typer.Option(False, "--undo", help="Untick it."),
) -> None:
    """Tick a handover checklist line."""
    with _store() as session:
        item = handover_service.tick(
            session, item_id, done=not undo, on=dt.date.today(), actor=ACTOR
        )
        console.print(f"{escape(item.text)}: {'done' if item.done else 'not done'}.")


@app.command("sign-off")
def sign_off_command(
    handover_id: int = typer.Argument(..., help="Handover id."),
    lead: str = typer.Option(..., "--lead", help="The receiving center's lead (agent ref)."),
    override: str | None = typer.Option(None, "--override", help="Why, although blocked."),
) -> None:
    """The receiving lead signs the handover off (refused while a line is blocked)."""
    with _store() as session:
        done = handover_service.sign_off(
            session, handover_id, lead, on=dt.date.today(), actor=ACTOR, override_reason=override
        )
        console.print(f"Handover to {escape(done.center)} signed off by {escape(lead)}.")


@app.command("report")
def report_command(
    program: str = _PROGRAM,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Last day of the week (default: today)."
    ),
    output: Path | None = typer.Option(
        None, "--output", help="Folder (default: PASAR_HOME/reports)."
    ),
    check: bool = typer.Option(False, "--check", help="Check the gates first."),
) -> None:
    """The weekly status report as XLSX and HTML."""
    settings = get_settings()
    day = _day(as_of, "--as-of")
    with _store() as session:
        chosen = repo.program_named(session, program)
        if check:
            gate_service.check_gates(session, settings, chosen.id, _data_day(None), actor=ACTOR)
        report = build_report(session, settings, chosen.id, day)
        xlsx, html = write_report(report, output or settings.home / "reports")
    console.print(f"Report written to {escape(str(xlsx))} and {escape(str(html))}")
