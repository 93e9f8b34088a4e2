"""``pasar creators pitches``: the pitching pipeline from the command line — add pitches, move
one or many (all or none), list them, overdue reminders per owner, sellers' weekly quotas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import typer
from rich.markup import escape
from rich.table import Table

from pasar.cli.governance import _store
from pasar.cli.output import console, option_date
from pasar.creators import pitches
from pasar.creators.collaboration_models import Pitch
from pasar.creators.days import today
from pasar.creators.pipeline import ALL_STAGES

app = typer.Typer(
    help="The pitching pipeline: pitches, stages, quotas, reminders.", no_args_is_help=True
)
_ACTOR = typer.Option("cli", "--as", help="Who acts (a username), for the audit log.")


def _actor(name: str) -> str:
    return name if name == "cli" else f"user:{name}"


@app.command("add")
def add_command(
    seller: str = typer.Argument(..., help="Seller id."),
    creator: str = typer.Argument(..., help="Creator id."),
    owner: str = typer.Option(..., "--owner", help="Who works the pitch (a username)."),
    product: str | None = typer.Option(None, "--product", help="Product id."),
    campaign: str | None = typer.Option(None, "--campaign", help="Campaign name."),
    stage: str = typer.Option("shortlisted", "--stage", help="Where the pitch starts."),
    channel: str | None = typer.Option(None, "--channel", help="tiktok_im, whatsapp, email …"),
    notes: str | None = typer.Option(None, "--notes", help="Notes for the team."),
    next_action: str | None = typer.Option(None, "--next-action", help="What to do next."),
    next_on: str | None = typer.Option(None, "--next-on", help="By when (YYYY-MM-DD)."),
    actor: str = _ACTOR,
) -> None:
    """Pitch a creator for a seller (refused when another agent already pitches it)."""
    with _store() as session:
        pitch = pitches.add_pitch(
            session,
            seller_id=seller,
            creator_id=creator,
            owner=owner,
            actor=_actor(actor),
            product_id=product,
            campaign=campaign,
            stage=stage,
            channel=channel,
            notes=notes,
            next_action=next_action,
            next_action_on=option_date(next_on, "--next-on"),
        )
        console.print(
            f"Pitch #{pitch.id}: {escape(creator)} for {escape(seller)} ({pitch.stage}), "
            f"owned by {escape(owner)}."
        )


@app.command("advance")
def advance_command(
    pitch_ids: list[int] = typer.Argument(..., help="Pitch ids (several: all or none)."),
    to: str | None = typer.Option(None, "--to", help=f"Stage to reach: {', '.join(ALL_STAGES)}."),
    reason: str | None = typer.Option(None, "--reason", help="Why (declined, ghosted)."),
    next_action: str | None = typer.Option(None, "--next-action", help="What to do next."),
    next_on: str | None = typer.Option(None, "--next-on", help="By when (YYYY-MM-DD)."),
    actor: str = _ACTOR,
) -> None:
    """Move pitches to their next stage (or --to a stage); several are moved all or none."""
    with _store() as session:
        if len(pitch_ids) == 1:
            moved = [
                pitches.advance(
                    session,
                    pitch_ids[0],
                    to,
                    _actor(actor),
                    reason=reason,
                    next_action=next_action,
                    next_action_on=option_date(next_on, "--next-on"),
                )
            ]
        else:
            rows = [(pid, None) for pid in pitch_ids]
            moved = pitches.bulk(session, "advance", rows, _actor(actor), to=to, reason=reason)
        for pitch in moved:
            console.print(f"Pitch #{pitch.id}: now {pitch.stage}.")


@app.command("update")
def update_command(
    pitch_id: int = typer.Argument(..., help="Pitch id."),
    notes: str | None = typer.Option(None, "--notes", help="New notes."),
    next_action: str | None = typer.Option(None, "--next-action", help="What to do next."),
    next_on: str | None = typer.Option(None, "--next-on", help="By when (YYYY-MM-DD)."),
    channel: str | None = typer.Option(None, "--channel", help="tiktok_im, whatsapp, email …"),
    actor: str = _ACTOR,
) -> None:
    """Change a pitch's notes, next action (and its date) or channel."""
    with _store() as session:
        pitch = pitches.update_pitch(
            session,
            pitch_id,
            _actor(actor),
            notes=notes,
            next_action=next_action,
            next_action_on=option_date(next_on, "--next-on"),
            channel=channel,
        )
        due = f", next action by {pitch.next_action_on}" if pitch.next_action_on else ""
        console.print(f"Pitch #{pitch.id} updated{due}.")


@app.command("assign")
def assign_command(
    pitch_ids: list[int] = typer.Argument(..., help="Pitch ids (all or none)."),
    owner: str = typer.Option(..., "--owner", help="The new owner."),
    actor: str = _ACTOR,
) -> None:
    """Give pitches to another owner (an agent must have their creators assigned)."""
    with _store() as session:
        done = pitches.bulk(
            session, "assign", [(p, None) for p in pitch_ids], _actor(actor), owner=owner
        )
    console.print(f"{len(done):,} pitch(es) now owned by {escape(owner)}.")


@app.command("decline")
def decline_command(
    pitch_ids: list[int] = typer.Argument(..., help="Pitch ids (all or none)."),
    reason: str = typer.Option(..., "--reason", help="Why they are declined."),
    actor: str = _ACTOR,
) -> None:
    """Close pitches as declined."""
    with _store() as session:
        done = pitches.bulk(
            session, "decline", [(p, None) for p in pitch_ids], _actor(actor), reason=reason
        )
    console.print(f"{len(done):,} pitch(es) declined.")


@app.command("list")
def list_command(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's."),
    creator: str | None = typer.Option(None, "--creator", help="Only this creator's."),
    stage: str | None = typer.Option(None, "--stage", help="Only at this stage."),
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's."),
    open_only: bool = typer.Option(False, "--open", help="Only open pitches."),
) -> None:
    """Pitches, most recently moved first."""
    with _store() as session:
        query = pitches.pitch_query(
            seller_id=seller, creator_id=creator, stage=stage, owner=owner, open_only=open_only
        )
        rows = session.scalars(query.order_by(Pitch.stage_changed_at.desc(), Pitch.id.desc()))
        _print(list(rows), "Pitches")


@app.command("overdue")
def overdue_command(
    owner: str | None = typer.Option(None, "--owner", help="Only this owner's."),
    as_of: str | None = typer.Option(None, "--as-of", help="Day (default: today, Jakarta)."),
) -> None:
    """Reminders: open pitches whose next action is late, per owner."""
    day = option_date(as_of, "--as-of") or today()
    with _store() as session:
        found = pitches.overdue(session, day, owner=owner)
        if not found:
            console.print(f"No next action is overdue on {day}.")
        for name, rows in found.items():
            _print(rows, f"{name}: {len(rows)} overdue next action(s) on {day}", day)


@app.command("quota")
def quota_command(
    seller: str = typer.Argument(..., help="Seller id."),
    weekly: int | None = typer.Option(None, "--set", help="Give the seller this weekly quota."),
    actor: str = _ACTOR,
) -> None:
    """A seller's outreach this week against its quota (--set N changes the quota)."""
    with _store() as session:
        if weekly is not None:
            pitches.set_quota(session, seller, weekly, _actor(actor))
        status = pitches.quota(session, seller)
    kind = "own quota" if status.configured else f"default quota ({pitches.DEFAULT_WEEKLY_QUOTA})"
    console.print(
        f"{escape(seller)}: {status.used:,} of {status.limit:,} outreaches used in the week "
        f"{status.week} to {status.week_end} ({kind}); {status.remaining:,} left."
    )


def _print(rows: Sequence[Pitch], title: str, day: dt.date | None = None) -> None:
    table = Table(title=title, title_justify="left")
    for name in ("id", "seller", "creator", "product", "stage", "owner", "next action", "by"):
        table.add_column(name, justify="right" if name == "id" else "left")
    late = day or today()
    for pitch in rows:
        due = pitch.next_action_on
        shown = "" if due is None else (f"[red]{due}[/]" if due < late else str(due))
        table.add_row(
            str(pitch.id),
            escape(pitch.seller_id),
            escape(pitch.creator_id),
            escape(pitch.product_id or ""),
            pitch.stage,
            escape(pitch.owner),
            escape(pitch.next_action or ""),
            shown,
        )
    console.print(table)
    if not rows:
        console.print("No pitches.")
