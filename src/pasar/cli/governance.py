"""``pasar run`` (the daily governance pipeline) and ``pasar governance``: a seller's standing,
violations, and the human review queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.cli.db import upgrade_store
from pasar.cli.output import (
    check_format,
    console,
    last_day,
    option_date,
    option_days,
    write_table,
)
from pasar.config import get_settings
from pasar.governance import appeals as appeal_service
from pasar.governance import plans
from pasar.governance import review as review_queue
from pasar.governance.explain import explain_violation
from pasar.governance.ledger import balance, entries_of
from pasar.governance.linked import warehouse_owners
from pasar.governance.models import Appeal, EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.pipeline import latest_run_day, run_days
from pasar.governance.rca import root_causes
from pasar.governance.report import write_report
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.errors import NotFoundError, ValidationError
from pasar.metrics import export
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import check_engine
from pasar.policy.packs import load_library
from pasar.warehouse.store import Warehouse

app = typer.Typer(
    help="Seller governance: standing, violations, review queue.", no_args_is_help=True
)
_SCHEME = typer.Option("tokopedia-id", "--scheme", help="Governance scheme (points and ladder).")


def run_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Day to run (default: last day)."),
    start: str | None = typer.Option(None, "--from", help="First day of a backfill."),
    end: str | None = typer.Option(None, "--to", help="Last day of a backfill."),
    scheme: str = _SCHEME,
    report_file: bool = typer.Option(
        True, "--report/--no-report", help="Write the governance workbook of the last day."
    ),
    engine: str = typer.Option(
        "duckdb",
        "--engine",
        help="What computes the seller snapshots: duckdb, or spark (PASAR_SPARK_MASTER).",
    ),
) -> None:
    """The daily pipeline: snapshots → policy pack → points ledger → ladder actions →
    explanations → report. Running a day again changes nothing; an interrupted day is rolled
    back and runs whole next time."""
    check_engine(engine)  # before any work: an unknown engine, or Spark without PySpark
    settings = get_settings()
    days = option_days(start, end, as_of, lambda: last_day(settings))
    upgrade_store()
    catalog = catalog_for(settings)
    library = load_library(catalog, settings.policy_path)
    db = Database(settings.database_url)
    try:
        schemes = load_schemes(settings.governance_path)
        reports = run_days(db, settings, catalog, library, scheme, days, schemes, engine)
    finally:
        db.dispose()
    table = Table(title=f"Governance pipeline ({scheme})", title_justify="left")
    for name in ("day", "pack", "findings", "issued", "points", "expired", "actions", "queued"):
        table.add_column(name, justify="right" if name not in ("day", "pack") else "left")
    table.add_column("warnings", justify="right")
    for r in reports:
        table.add_row(
            str(r.day),
            r.pack,
            f"{r.findings:,}",
            f"{r.issued:,}",
            f"{r.points_issued:,}",
            f"{r.expired:,}",
            f"{r.actions:,}",
            f"{r.queued:,}",
            f"{r.warnings:,}",
        )
    console.print(table)
    hit = set().union(*(r.sellers_hit for r in reports)) if reports else set()
    console.print(f"{len(hit):,} sellers received points or actions.")
    if report_file:
        last = days[-1]
        path = settings.home / "reports" / f"governance-{last.isoformat()}.xlsx"
        db = Database(settings.database_url)
        try:
            write_report(db, settings, catalog, _scheme_today(scheme, last), last, path)
        finally:
            db.dispose()
        console.print(f"Report: {escape(str(path))}")


def _db() -> Database:
    upgrade_store()
    return Database(get_settings().database_url)


@contextmanager
def _store() -> Iterator[Session]:
    """A unit of work on the migrated operational store, closed afterwards."""
    db = _db()
    try:
        with db.unit_of_work() as session:
            yield session
    finally:
        db.dispose()


@app.command()
def seller(
    seller_id: str = typer.Argument(..., help="Seller id."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Date (default: the last day the pipeline ran)."
    ),
    lang: str = typer.Option("en", "--lang", help="en or id."),
    scheme: str = _SCHEME,
) -> None:
    """A seller's standing as of a date: balance, level, next step, actions in force, and
    every violation with its explanation and expiry."""
    if lang not in ("en", "id"):
        raise ValidationError(f"--lang {lang!r}: use en or id", field="lang")
    settings = get_settings()
    with _store() as session:
        day = option_date(as_of, "--as-of") or latest_run_day(session) or dt.date.today()
        chosen = scheme_on(load_schemes(settings.governance_path), scheme, day)
        entries = entries_of(session, seller_id)
        actions = list(
            session.scalars(
                select(EnforcementAction)
                .where(EnforcementAction.seller_id == seller_id)
                .order_by(EnforcementAction.starts_on, EnforcementAction.id)
            )
        )
        if not entries and not actions:
            raise NotFoundError(f"seller {seller_id!r} has no violations or actions")
        points = balance(session, seller_id, day)
    reached = [s for s in chosen.ladder if s.at == chosen.level(points)]
    level = chosen.threshold(reached[0]) if reached else "no step reached"
    step = chosen.next_step(points)
    following = (
        f"next step at {chosen.threshold(step)} ({step.describe(lang)}), "
        f"{step.at - points} points away"
        if step
        else "at the last step"
    )
    console.print(
        f"[bold]{escape(seller_id)}[/] as of {day}: [bold]{chosen.standing(points, lang)}[/], "
        f"level {level}; {following}"
    )
    table = Table(title="Points ledger", title_justify="left")
    for name in ("effective", "kind", "points", "policy", "expires", "explanation"):
        table.add_column(name, overflow="fold")
    for entry in entries:
        if entry.effective_on > day:
            continue
        text = entry.explanation_id if lang == "id" else entry.explanation_en
        table.add_row(
            str(entry.effective_on),
            entry.kind + (" (repeat)" if entry.repeat else ""),
            f"{entry.points:+d}",
            entry.policy_id or "—",
            str(entry.expires_on or "—"),
            escape(text or entry.reason or ""),
        )
    console.print(table)
    shown = Table(title="Actions and warnings", title_justify="left")
    for name in ("id", "from", "to", "action", "status", "explanation"):
        shown.add_column(name, overflow="fold")
    for action in actions:
        if action.starts_on > day:
            continue
        text = action.explanation_id if lang == "id" else action.explanation_en
        state = "in force" if action.in_force(day) else action.status
        shown.add_row(
            str(action.id),
            str(action.starts_on),
            str(action.ends_on or "open"),
            action.action,
            state,
            escape(text or ""),
        )
    console.print(shown)


@app.command()
def violations(
    seller_id: str | None = typer.Option(None, "--seller", help="Only this seller."),
    start: str | None = typer.Option(None, "--from", help="First day."),
    end: str | None = typer.Option(None, "--to", help="Last day."),
    format_: str = typer.Option("table", "--format", help="table, csv, xlsx or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File for csv/xlsx/json."),
) -> None:
    """Points issued, with the policy, values and explanation of each."""
    check_format(format_)
    first, last = option_date(start, "--from"), option_date(end, "--to")
    with _store() as session:
        query = select(PointsEntry).where(PointsEntry.kind == "issue")
        if seller_id:
            query = query.where(PointsEntry.seller_id == seller_id)
        if first:
            query = query.where(PointsEntry.effective_on >= first)
        if last:
            query = query.where(PointsEntry.effective_on <= last)
        rows = list(session.scalars(query.order_by(PointsEntry.effective_on, PointsEntry.id)))
    table = pa.table(
        {
            "id": pa.array([r.id for r in rows], pa.int64()),
            "day": pa.array([r.effective_on for r in rows], pa.date32()),
            "seller_id": [r.seller_id for r in rows],
            "policy_id": [r.policy_id for r in rows],
            "points": pa.array([r.points for r in rows], pa.int64()),
            "repeat": pa.array([r.repeat for r in rows], pa.bool_()),
            "expires_on": pa.array([r.expires_on for r in rows], pa.date32()),
            "pack": [r.pack for r in rows],
            "explanation_en": [r.explanation_en for r in rows],
            "explanation_id": [r.explanation_id for r in rows],
        }
    )
    if format_ == "table":
        shown = Table(title=f"Violations: {len(rows):,}", title_justify="left")
        for name in ("id", "day", "seller", "policy", "points", "explanation"):
            shown.add_column(name, overflow="fold")
        for r in rows[:100]:
            shown.add_row(
                str(r.id),
                str(r.effective_on),
                r.seller_id,
                r.policy_id or "",
                str(r.points),
                escape(r.explanation_en or ""),
            )
        console.print(shown)
        return
    write_table(table, format_, output)


@app.command()
def queue() -> None:
    """Actions waiting for a person: permanent suspensions and actions on large sellers."""
    with _store() as session:
        waiting = review_queue.waiting(session)
    table = Table(title=f"Human review queue: {len(waiting):,}", title_justify="left")
    for name in ("id", "since", "seller", "action", "why a person decides", "explanation"):
        table.add_column(name, overflow="fold")
    for action in waiting:
        table.add_row(
            str(action.id),
            str(action.starts_on),
            action.seller_id,
            action.action,
            escape(action.review_reason or ""),
            escape(action.explanation_en or ""),
        )
    console.print(table)


@app.command("decide")
def decide_queued(
    action_id: int = typer.Argument(..., help="Id of the queued action (see `queue`)."),
    decision: str = typer.Argument(..., help="approve or reject"),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    reviewer: str = typer.Option(..., "--by", help="Who decides."),
    on: str | None = typer.Option(None, "--on", help="Decision date (default: today)."),
    version: int | None = typer.Option(None, "--version", help="Version you reviewed."),
    scheme: str = _SCHEME,
) -> None:
    """Approve (the action takes effect from the decision day) or reject a queued action;
    approving a permanent suspension queues the owner's other shops."""
    day = option_date(on, "--on") or dt.date.today()
    owners = warehouse_owners(Warehouse(get_settings().warehouse_dir))
    with _store() as session:
        linked = review_queue.decide_action(
            session, _scheme_today(scheme, day), action_id, decision, reviewer, reason,
            day, owners, version,
        )  # fmt: skip
        shops = [a.seller_id for a in linked]
    console.print(f"Action {action_id} {decision}d by {escape(reviewer)}.")
    if shops:
        console.print(f"Linked shops queued for review: {', '.join(shops)}")


appeal_app = typer.Typer(help="Appeals against violations.", no_args_is_help=True)
app.add_typer(appeal_app, name="appeal")


def _scheme_today(name: str, day: dt.date) -> Scheme:
    return scheme_on(load_schemes(get_settings().governance_path), name, day)


@appeal_app.command("submit")
def appeal_submit(
    violation: int = typer.Argument(..., help="Violation id (see `governance violations`)."),
    reason: str = typer.Option(..., "--reason", help="Appeal reason of the scheme."),
    evidence: list[str] = typer.Option(
        ..., "--evidence", help='Checklist item and what is given: "item=value" (repeatable).'
    ),
    statement: str = typer.Option(..., "--statement", help="Why the violation is wrong."),
    by: str = typer.Option(..., "--by", help="Who submits (e.g. seller:S000062)."),
    on: str | None = typer.Option(None, "--on", help="Submission date (default: today)."),
    scheme: str = _SCHEME,
) -> None:
    """Appeal a violation, with the evidence its reason requires."""
    day = option_date(on, "--on") or dt.date.today()
    given: dict[str, str] = {}
    for item in evidence:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValidationError(f'--evidence {item!r}: write "item=value"', field="evidence")
        given[name.strip()] = value.strip()
    with _store() as session:
        appeal = appeal_service.submit(
            session, _scheme_today(scheme, day), violation, reason, given, statement, day, by
        )
        number, appeal_id = appeal.number, appeal.id
    console.print(f"Appeal {appeal_id} (number {number} for violation {violation}) submitted.")


@appeal_app.command("decide")
def appeal_decide(
    appeal_id: int = typer.Argument(..., help="Appeal id."),
    decision: str = typer.Argument(..., help="accept or reject"),
    reason: str = typer.Option(..., "--reason", help="Why (the seller reads it)."),
    by: str = typer.Option(..., "--by", help="Reviewer."),
    on: str | None = typer.Option(None, "--on", help="Decision date (default: today)."),
    version: int | None = typer.Option(None, "--version", help="Version you reviewed."),
    scheme: str = _SCHEME,
) -> None:
    """Accept (points reversed, later actions recomputed) or reject an appeal."""
    day = option_date(on, "--on") or dt.date.today()
    with _store() as session:
        result = appeal_service.decide(
            session, _scheme_today(scheme, day), appeal_id, decision, by, reason, day, version
        )
        status = result.appeal.status
        reversed_points = -result.reversal.points if result.reversal else 0
        lifted = [f"{a.action} ({a.starts_on})" for a in result.reversed_actions]
    console.print(f"Appeal {appeal_id} {status}.")
    if reversed_points:
        console.print(f"{reversed_points} points reversed.")
    if lifted:
        console.print("Reversed: " + ", ".join(lifted))


@app.command("appeals")
def list_appeals(
    status: str | None = typer.Option(None, help="submitted, accepted or rejected."),
    seller_id: str | None = typer.Option(None, "--seller", help="Only this seller."),
) -> None:
    """Appeals with their state and time to decision (service level)."""
    with _store() as session:
        query = select(Appeal).order_by(Appeal.submitted_on, Appeal.id)
        if status:
            query = query.where(Appeal.status == status)
        if seller_id:
            query = query.where(Appeal.seller_id == seller_id)
        rows = list(session.scalars(query))
    table = Table(title=f"Appeals: {len(rows):,}", title_justify="left")
    for name in ("id", "violation", "seller", "#", "reason", "submitted", "status", "days"):
        table.add_column(name)
    for appeal in rows:
        waited = (appeal.decided_on or dt.date.today()) - appeal.submitted_on
        table.add_row(
            str(appeal.id),
            str(appeal.entry_id),
            appeal.seller_id,
            str(appeal.number),
            appeal.reason,
            str(appeal.submitted_on),
            appeal.status,
            str(waited.days),
        )
    console.print(table)
    days = appeal_service.decision_days(rows)
    if days:
        within = sum(d <= 2 for d in days)
        console.print(
            f"Decided: {len(days):,}; median {sorted(days)[len(days) // 2]} days to a decision; "
            f"{within:,} within 2 days."
        )


poa_app = typer.Typer(help="Plans of action to lift severe actions.", no_args_is_help=True)
app.add_typer(poa_app, name="poa")


@poa_app.command("submit")
def poa_submit(
    action_id: int = typer.Argument(..., help="The action to lift (see `governance seller`)."),
    root_cause: list[str] = typer.Option(..., "--root-cause", help="One per issue (repeatable)."),
    corrective: list[str] = typer.Option(..., "--corrective", help="Action taken (repeatable)."),
    preventive: list[str] = typer.Option(..., "--preventive", help="Prevention (repeatable)."),
    evidence: list[str] = typer.Option(..., "--evidence", help="Evidence (repeatable)."),
    by: str = typer.Option(..., "--by", help="Who submits."),
    on: str | None = typer.Option(None, "--on", help="Date (default: today)."),
    scheme: str = _SCHEME,
) -> None:
    """Submit (or resubmit after requested changes) a plan of action."""
    day = option_date(on, "--on") or dt.date.today()
    with _store() as session:
        plan = plans.submit_plan(
            session, _scheme_today(scheme, day), action_id, root_cause, corrective,
            preventive, evidence, day, by,
        )  # fmt: skip
        plan_id, revision = plan.id, plan.revision
    console.print(f"Plan of action {plan_id} (revision {revision}) submitted for {action_id}.")


@poa_app.command("review")
def poa_review(
    plan_id: int = typer.Argument(..., help="Plan of action id."),
    decision: str = typer.Argument(..., help="accept, request_changes or reject"),
    comment: str = typer.Option(..., "--comment", help="What the seller reads."),
    by: str = typer.Option(..., "--by", help="Reviewer."),
    on: str | None = typer.Option(None, "--on", help="Date (default: today)."),
    version: int | None = typer.Option(None, "--version", help="Version you reviewed."),
) -> None:
    """Review a plan of action; accepting it lifts the action."""
    day = option_date(on, "--on") or dt.date.today()
    with _store() as session:
        plan = plans.review_plan(session, plan_id, decision, by, comment, day, version)
        status = plan.status
    console.print(f"Plan of action {plan_id}: {status}.")


@poa_app.command("list")
def poa_list(
    seller_id: str | None = typer.Option(None, "--seller", help="Only this seller."),
) -> None:
    """Plans of action with every revision and review."""
    with _store() as session:
        query = select(PlanOfAction).order_by(PlanOfAction.action_id, PlanOfAction.revision)
        if seller_id:
            query = query.where(PlanOfAction.seller_id == seller_id)
        rows = list(session.scalars(query))
    table = Table(title=f"Plans of action: {len(rows):,}", title_justify="left")
    for name in ("id", "action", "seller", "rev", "submitted", "status", "comment"):
        table.add_column(name, overflow="fold")
    for plan in rows:
        table.add_row(
            str(plan.id), str(plan.action_id), plan.seller_id, str(plan.revision),
            str(plan.submitted_on), plan.status, escape(plan.comment or ""),
        )  # fmt: skip
    console.print(table)


@app.command()
def rca(
    metric: str = typer.Argument(..., help="A windowed ratio, e.g. late_dispatch_rate_7d."),
    as_of: str | None = typer.Option(None, "--as-of", help="Date (default: last day)."),
    vs_previous: bool = typer.Option(False, "--vs-previous", help="Explain the change too."),
    by: list[str] | None = typer.Option(None, "--by", help="Dimensions (default: several)."),
    top: int = typer.Option(5, help="Values shown per dimension."),
    format_: str = typer.Option("table", "--format", help="table, csv, xlsx or json."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File for csv/xlsx/json."),
) -> None:
    """Which dimension values explain a rate (and its change against the previous window)."""
    check_format(format_)
    settings = get_settings()
    day = option_date(as_of, "--as-of") or last_day(settings)
    result = root_causes(metric, day, settings, catalog_for(settings), by or [], vs_previous)
    if format_ != "table":
        percents = {"rate": "percent", "previous_rate": "percent"}
        write_table(result.table(), format_, output, percents)
        return
    shown = export.show_value(result.rate, "percent")
    head = f"{metric} as of {day} ({result.window} days): {shown}"
    if vs_previous:
        before = export.show_value(result.previous_rate, "percent")
        change = (result.rate or 0) - (result.previous_rate or 0)
        head += f", previous window {before} ({change * 100:+.2f} points)"
    console.print(head)
    console.print("Dimensions, most explanatory first:")
    for score in result.dimensions:
        line = f"  {score.name}: values away from the average move {score.level_share:.1%}"
        if vs_previous:
            line += (
                f"; change = mix {(score.mix or 0) * 100:+.2f} pt + rate "
                f"{(score.rate_effect or 0) * 100:+.2f} pt, largest single value "
                f"{(score.largest_change or 0) * 100:+.2f} pt"
            )
        console.print(line)
    table = Table(title_justify="left")
    columns = ["dimension", "value", "rate", "share of volume", "excess"]
    if vs_previous:
        columns += ["previous rate", "mix effect", "rate effect"]
    for name in columns:
        table.add_column(name, justify="left" if name in ("dimension", "value") else "right")
    shown_per: dict[str, int] = {}
    for s in result.segments:
        if shown_per.get(s.dimension, 0) >= top:
            continue
        shown_per[s.dimension] = shown_per.get(s.dimension, 0) + 1
        cells = [
            s.dimension,
            escape(s.value),
            export.show_value(s.rate, "percent"),
            f"{s.share:.1%}",
            f"{s.excess:+,.0f}",
        ]
        if vs_previous:
            cells += [
                export.show_value(s.previous_rate, "percent"),
                f"{(s.mix or 0) * 100:+.2f} pt",
                f"{(s.rate_effect or 0) * 100:+.2f} pt",
            ]
        table.add_row(*cells)
    console.print(table)


@app.command()
def report(
    as_of: str | None = typer.Option(None, "--as-of", help="Date (default: last day)."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="XLSX file (default: PASAR_HOME/reports/governance-D.xlsx)."
    ),
    scheme: str = _SCHEME,
) -> None:
    """The daily governance workbook: levels, violations by reason, actions in force, review
    queue, appeals and their service level, defect trend, root causes (sheets and charts)."""
    settings = get_settings()
    day = option_date(as_of, "--as-of") or last_day(settings)
    path = output or settings.home / "reports" / f"governance-{day.isoformat()}.xlsx"
    db = _db()
    try:
        write_report(db, settings, catalog_for(settings), _scheme_today(scheme, day), day, path)
    finally:
        db.dispose()
    console.print(f"Governance report for {day} written to {escape(str(path))}")


@app.command()
def violation(
    entry_id: int = typer.Argument(..., help="Violation id (see `governance violations`)."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Standing as of (default: the last day the pipeline ran)."
    ),
    lang: str = typer.Option("en", "--lang", help="en or id."),
    scheme: str = _SCHEME,
) -> None:
    """What the seller reads about one violation: rule, values, the orders behind it, points,
    expiry, standing, next step and what to do."""
    if lang not in ("en", "id"):
        raise ValidationError(f"--lang {lang!r}: use en or id", field="lang")
    settings = get_settings()
    catalog = catalog_for(settings)
    library = load_library(catalog, settings.policy_path)
    with _store() as session:
        day = option_date(as_of, "--as-of") or latest_run_day(session) or dt.date.today()
        text = explain_violation(
            session, entry_id, settings, catalog, library, _scheme_today(scheme, day), day,
            lang,
        )  # fmt: skip
        entry = text.entry
        header = (
            f"[bold]Violation {entry.id}[/] of {escape(entry.seller_id)} on "
            f"{entry.effective_on}: {escape(entry.policy_id or '')} "
            f"v{entry.policy_version} ({escape(entry.pack or '')})"
        )
    labels = {
        "en": ("Why", "Values", "Behind it", "Points", "Expires", "Standing", "Next step", "To do"),
        "id": ("Alasan", "Nilai", "Pesanan", "Poin", "Kedaluwarsa", "Posisi", "Tahap berikut",
               "Yang perlu dilakukan"),
    }[lang]  # fmt: skip
    console.print(header)
    table = Table(show_header=False)
    table.add_column("", style="bold")
    table.add_column("", overflow="fold")
    table.add_row(labels[0], escape(text.explanation))
    if text.policy is not None:
        table.add_row("", f"when: {escape(text.policy.policy.when)}")
    table.add_row(labels[1], ", ".join(f"{k} = {v}" for k, v in text.values.items()))
    for metric, ids in text.orders.items():
        table.add_row(labels[2], f"{metric}: " + (", ".join(ids) or "—"))
    table.add_row(labels[3], f"{entry.points}" + (" (repeat)" if entry.repeat else ""))
    table.add_row(labels[4], text.expires)
    table.add_row(labels[5], text.standing)
    table.add_row(labels[6], escape(text.next_step))
    if text.advice:
        table.add_row(labels[7], escape(text.advice))
    console.print(table)


@app.command()
def adjust(
    seller_id: str = typer.Argument(..., help="Seller id."),
    points: int = typer.Option(..., "--points", help="Points to add (negative to remove)."),
    reason: str = typer.Option(..., "--reason", help="Why (at least 10 characters; audited)."),
    by: str = typer.Option(..., "--by", help="Administrator."),
    on: str | None = typer.Option(None, "--on", help="Effective date (default: today)."),
    scheme: str = _SCHEME,
) -> None:
    """Correct a seller's balance with an adjustment entry (the ledger is never edited)."""
    day = option_date(on, "--on") or dt.date.today()
    with _store() as session:
        entry = appeal_service.adjust(
            session, _scheme_today(scheme, day), seller_id, points, reason, day, f"user:{by}"
        )
        entry_id = entry.id
    console.print(f"Adjustment {entry_id}: {points:+d} points for {escape(seller_id)} on {day}.")
