"""``pasar creators``: which creators an outsourced agent looks after (what the agent may see
in the console and the API), and the agencies agents work for (``pasar creators agencies``)."""

from __future__ import annotations

import datetime as dt

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.auth.models import User
from pasar.cli import (
    creators_analytics,
    creators_issues,
    creators_matching,
    creators_pitches,
    creators_planning,
    creators_samples,
)
from pasar.cli.governance import _store
from pasar.cli.output import console, option_date
from pasar.creators import agencies as agency_service
from pasar.creators.assignments import agent_named, assign, assigned_to, assignment_rows, unassign
from pasar.kit.errors import NotFoundError, ValidationError

app = typer.Typer(
    help="Creators: analytics, matching, outreach, samples, issues, targets, agents.",
    no_args_is_help=True,
)
app.command("analytics")(creators_analytics.analytics_command)
app.command("funnel")(creators_analytics.funnel_command)
app.command("agents")(creators_analytics.agents_command)
app.command("campaigns")(creators_analytics.campaigns_command)
creators_samples.app.command("returns")(creators_analytics.sample_returns_command)
app.command("target")(creators_planning.target_command)
app.command("allocate")(creators_planning.allocate_command)
app.add_typer(creators_pitches.app, name="pitches")
app.add_typer(creators_samples.app, name="samples")
app.add_typer(creators_samples.vouchers_app, name="vouchers")
app.add_typer(creators_issues.app, name="issues")
app.command("recommend")(creators_matching.recommend_command)
app.command("match-eval")(creators_matching.match_eval_command)


def _agent(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


@app.command("assign")
def assign_command(
    agent: str = typer.Argument(..., help="The agent's login name."),
    creators: list[str] = typer.Argument(..., help="Creator ids."),
    start: str | None = typer.Option(None, "--from", help="First day (default: today)."),
) -> None:
    """Let an agent look after creators from a day on (already assigned ones are kept)."""
    first = option_date(start, "--from") or dt.date.today()
    with _store() as session:
        made = assign(session, _agent(session, agent), creators, first, "cli")
    console.print(f"{len(made):,} creator(s) assigned to {escape(agent)}.")


@app.command("unassign")
def unassign_command(
    agent: str = typer.Argument(..., help="The agent's login name."),
    creators: list[str] = typer.Argument(..., help="Creator ids."),
) -> None:
    """End an agent's assignments of creators (from today they no longer see them)."""
    with _store() as session:
        ended = unassign(session, _agent(session, agent), creators, dt.date.today(), "cli")
    console.print(f"{ended:,} assignment(s) of {escape(agent)} ended.")


@app.command("assigned")
def assigned_command(
    agent: str | None = typer.Argument(None, help="The agent's login name."),
    agency: str | None = typer.Option(None, "--agency", help="Every agent of this agency."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: today)."),
) -> None:
    """The creators an agent (or each agent of an agency) looks after on a day."""
    day = option_date(as_of, "--as-of") or dt.date.today()
    if (agent is None) == (agency is None):
        raise ValidationError("name an agent, or an agency with --agency", field="agent")
    if agent is not None:
        with _store() as session:
            creators = sorted(assigned_to(session, _agent(session, agent).id, day))
        console.print(f"{escape(agent)} looks after {len(creators):,} creator(s).")
        for creator in creators:
            typer.echo(creator)
        return
    assert agency is not None
    with _store() as session:
        found = agency_service.agency_named(session, agency)
        members = agency_service.agents_of(session, found.name)
        rows = assignment_rows(session, day, agency=found.name)
    console.print(
        f"{escape(found.name)}: {len(members):,} agent(s) look after "
        f"{len({r['creator_id'] for r in rows}):,} creator(s)."
    )
    for row in rows:
        typer.echo(f"{row['agent']}\t{row['creator_id']}")


agencies_app = typer.Typer(
    help="Outsourced outreach agencies and the agents who work for them.", no_args_is_help=True
)
app.add_typer(agencies_app, name="agencies")


@agencies_app.command("create")
def create_agency_command(
    name: str = typer.Argument(..., help="The agency's name (unique)."),
    contact: str | None = typer.Option(None, "--contact", help="Who to reach there."),
    agents: list[str] = typer.Option([], "--agent", help="An agent working for it; repeat."),
) -> None:
    """A new agency, with the agents who work for it."""
    with _store() as session:
        members = [agent_named(session, a) for a in dict.fromkeys(agents)]
        agency = agency_service.create_agency(session, name, "cli", contact)
        if members:
            agency_service.join_agency(session, agency.name, members, dt.date.today(), "cli")
        created = agency.name
    console.print(f"Agency {escape(created)} created with {len(members):,} agent(s).")


@agencies_app.command("list")
def list_agencies_command(
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: today)."),
) -> None:
    """Every agency: its contact, agents and the creators they look after."""
    day = option_date(as_of, "--as-of") or dt.date.today()
    with _store() as session:
        rows = agency_service.agencies(session, day)
    table = Table(title=f"Agencies on {day}", title_justify="left")
    for column in ("agency", "contact", "agents", "creators"):
        table.add_column(column, justify="right" if column == "creators" else "left")
    for row in rows:
        table.add_row(
            escape(row["name"]),
            escape(row["contact"] or "—"),
            escape(", ".join(row["agents"]) or "—"),
            f"{row['creators']:,}",
        )
    console.print(table if rows else "No agency yet: `pasar creators agencies create NAME`.")


@agencies_app.command("add")
def add_agents_command(
    agency: str = typer.Argument(..., help="The agency's name."),
    agents: list[str] = typer.Argument(..., help="Agents' login names."),
) -> None:
    """Agents start working for an agency (leaving the one they were in)."""
    with _store() as session:
        members = [agent_named(session, a) for a in dict.fromkeys(agents)]
        found = agency_service.agency_named(session, agency)
        changed = agency_service.join_agency(session, found.name, members, dt.date.today(), "cli")
        name = found.name
    console.print(f"{changed:,} agent(s) moved to {escape(name)}.")


@agencies_app.command("remove")
def remove_agents_command(
    agents: list[str] = typer.Argument(..., help="Agents' login names."),
) -> None:
    """Agents no longer work for their agency."""
    with _store() as session:
        left = sum(
            agency_service.leave_agency(session, agent_named(session, a), "cli")
            for a in dict.fromkeys(agents)
        )
    console.print(f"{left:,} agent(s) left their agency.")
