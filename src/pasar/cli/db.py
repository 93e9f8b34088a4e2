"""``pasar db``: migrate and inspect the operational store."""

from __future__ import annotations

import typer

from pasar import migrations
from pasar.cli.output import console
from pasar.config import get_settings
from pasar.kit.db import Database

app = typer.Typer(help="Operational store: migrations and status.", no_args_is_help=True)


def upgrade_store() -> tuple[str | None, str]:
    """Migrate the configured database to the newest revision; returns (before, after)."""
    url = get_settings().database_url
    database = Database(url)  # creates the SQLite folder when needed
    try:
        before = migrations.current_revision(url)
        migrations.upgrade(url)
        return before, migrations.current_revision(url) or ""
    finally:
        database.dispose()


@app.command()
def upgrade() -> None:
    """Bring the store to the newest schema. Safe to run again: it changes nothing then."""
    before, after = upgrade_store()
    if before == after:
        console.print(f"Store already at revision [bold]{after}[/] — nothing to do.")
    else:
        console.print(f"Store upgraded from [bold]{before or 'empty'}[/] to [bold]{after}[/].")


@app.command()
def current() -> None:
    """Show the store's revision and the newest one this version ships."""
    url = get_settings().database_url
    revision = migrations.current_revision(url)
    head = migrations.head_revision()
    state = "up to date" if revision == head else "needs `pasar db upgrade`"
    console.print(f"Store at revision {revision or 'none'}; newest is {head} ({state}).")
