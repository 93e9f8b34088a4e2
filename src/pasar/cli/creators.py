"""``pasar creators``: which creators an outsourced agent looks after (what the agent may see
in the console and the API)."""

from __future__ import annotations

import datetime as dt

import typer
from rich.markup import escape
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
from pasar.creators.assignments import assign, assigned_to, unassign
from pasar.kit.errors import NotFoundError

app = typer.Typer(
    help="Creators: analytics, matching, outreach, samples, issues, targets, agents.",
    no_args_is_help=True,
)
app.command("analytics")(creators_analytics.analytics_command)
app.command("funnel")(creators_analytics.funnel_command)
app.command("agents")(creators_analytics.agents_command)
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
    agent: str = typer.Argument(..., help="The agent's login name."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: today)."),
) -> None:
    """The creators an agent looks after on a day."""
    day = option_date(as_of, "--as-of") or dt.date.today()
    with _store() as session:
        creators = sorted(assigned_to(session, _agent(session, agent).id, day))
    console.print(f"{escape(agent)} looks after {len(creators):,} creator(s).")
    for creator in creators:
        typer.echo(creator)
