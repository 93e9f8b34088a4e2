"""``pasar creators issues``: the creator issue desk — open, respond, resolve, reopen, list
with SLA clocks, and escalate breached ones."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.governance import _store
from pasar.cli.output import console
from pasar.console.formats import local_time
from pasar.creators import issues
from pasar.creators.collaboration_models import CreatorIssue

app = typer.Typer(
    help="The creator issue desk: SLA clocks, escalation, resolution notes.", no_args_is_help=True
)
_ACTOR = typer.Option("cli", "--as", help="Who acts (a username), for the audit log.")


def _actor(name: str) -> str:
    return name if name == "cli" else f"user:{name}"


@app.command("open")
def open_command(
    kind: str = typer.Argument(..., help=f"One of {', '.join(issues.KINDS)}."),
    title: str = typer.Argument(..., help="A short title."),
    description: str = typer.Option(..., "--description", help="What happened."),
    creator: str | None = typer.Option(None, "--creator", help="Creator id."),
    seller: str | None = typer.Option(None, "--seller", help="Seller id."),
    sample: int | None = typer.Option(None, "--sample", help="The sample it is about."),
    pitch: int | None = typer.Option(None, "--pitch", help="The pitch it is about."),
    priority: str | None = typer.Option(None, "--priority", help="urgent, high, normal, low."),
    contact: str | None = typer.Option(None, "--contact", help="Point of contact (username)."),
    raised_by: str = typer.Option("staff", "--raised-by", help="seller, creator, agent, staff."),
    actor: str = _ACTOR,
) -> None:
    """Open an issue; prints its SLA deadlines."""
    with _store() as session:
        issue = issues.open_issue(
            session,
            kind=kind,
            title=title,
            description=description,
            raised_by_kind=raised_by,
            actor=_actor(actor),
            creator_id=creator,
            seller_id=seller,
            sample_id=sample,
            pitch_id=pitch,
            priority=priority,
            point_of_contact=contact,
        )
        console.print(
            f"Issue #{issue.id} ({issue.priority}), point of contact "
            f"{escape(issue.point_of_contact or 'none yet')}: first response by "
            f"{local_time(issue.first_response_due_at)}, resolution by "
            f"{local_time(issue.resolution_due_at)}."
        )


@app.command("respond")
def respond_command(
    issue_id: int = typer.Argument(..., help="Issue id."),
    body: str = typer.Argument(..., help="The response."),
    actor: str = _ACTOR,
) -> None:
    """Answer the raiser (the first answer stops the first-response clock)."""
    with _store() as session:
        issue = issues.respond(session, issue_id, _actor(actor), body)
        console.print(f"Issue #{issue.id}: responded.")


@app.command("resolve")
def resolve_command(
    issue_id: int = typer.Argument(..., help="Issue id."),
    note: str = typer.Argument(..., help="The resolution note."),
    actor: str = _ACTOR,
) -> None:
    """Resolve an issue with a resolution note."""
    with _store() as session:
        issue = issues.resolve(session, issue_id, _actor(actor), note)
        late = " (after its deadline)" if issues.clocks(issue)["resolution"]["breached"] else ""
        console.print(f"Issue #{issue.id}: resolved{late}.")


@app.command("reopen")
def reopen_command(
    issue_id: int = typer.Argument(..., help="Issue id."),
    reason: str = typer.Argument(..., help="Why it is not solved."),
    actor: str = _ACTOR,
) -> None:
    """Reopen a resolved issue (its resolution clock starts again)."""
    with _store() as session:
        issue = issues.reopen(session, issue_id, _actor(actor), reason)
        console.print(
            f"Issue #{issue.id}: reopened; resolution due {local_time(issue.resolution_due_at)}."
        )


@app.command("escalate")
def escalate_command(actor: str = _ACTOR) -> None:
    """Escalate every unresolved issue whose SLA clock ran out."""
    with _store() as session:
        raised = issues.escalate_breaches(session, _actor(actor))
        console.print(f"{len(raised)} issue(s) escalated.")
        for issue in raised:
            console.print(f"  #{issue.id} level {issue.escalation_level}: {escape(issue.title)}")


@app.command("list")
def list_command(
    status: str | None = typer.Option(
        "unresolved", "--status", help="open, responded, resolved or unresolved."
    ),
    priority: str | None = typer.Option(None, "--priority", help="Only this priority."),
    contact: str | None = typer.Option(None, "--contact", help="Only this point of contact's."),
    escalated: bool = typer.Option(False, "--escalated", help="Only escalated issues."),
) -> None:
    """Issues with their SLA clocks, most escalated then oldest first."""
    with _store() as session:
        query = issues.issue_query(
            status=status, priority=priority, contact=contact, escalated=escalated
        )
        order = [CreatorIssue.escalation_level.desc(), CreatorIssue.opened_at]
        rows = list(session.scalars(query.order_by(*order)))
    table = Table(title="Creator issues", title_justify="left")
    for name in (
        "id",
        "kind",
        "title",
        "creator",
        "seller",
        "priority",
        "status",
        "contact",
        "first response",
        "resolution",
        "level",
    ):
        table.add_column(name, justify="right" if name in ("id", "level") else "left")
    for issue in rows:
        clocks = issues.clocks(issue)
        table.add_row(
            str(issue.id),
            issue.kind,
            escape(issue.title),
            escape(issue.creator_id or ""),
            escape(issue.seller_id or ""),
            issue.priority,
            issue.status,
            escape(issue.point_of_contact or ""),
            _clock(clocks["first_response"]),
            _clock(clocks["resolution"]),
            str(issue.escalation_level),
        )
    console.print(table)
    if not rows:
        console.print("No issues.")


def _clock(clock: dict[str, object]) -> str:
    if clock["met_at"] is not None:
        return "[red]met late[/]" if clock["breached"] else "met"
    hours = float(clock["hours_left"])  # type: ignore[arg-type]
    if hours < 0:
        return f"[red]{-hours:.1f} h late[/]"
    return f"{hours:.1f} h left"
