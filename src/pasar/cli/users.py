"""``pasar users``: create, list and disable users; issue API tokens."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import select

from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, disable_user, issue_token
from pasar.cli.governance import _store
from pasar.cli.output import console
from pasar.kit.errors import NotFoundError, ValidationError

app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    first = typer.prompt("Password", hide_input=True)
    if typer.prompt("Again", hide_input=True) != first:
        raise ValidationError("the passwords differ", field="password")
    return str(first)


@app.command()
def create(
    username: str = typer.Argument(..., help="Login name (lower case)."),
    role: str = typer.Option(..., "--role", help=", ".join(ROLES)),
    name: str = typer.Option("", "--name", help="Display name."),
    seller: str | None = typer.Option(None, "--seller-id", help="A seller user's shop."),
    creator: str | None = typer.Option(None, "--creator-id", help="A creator user's profile."),
    linked: list[str] | None = typer.Option(None, "--linked-shop", help="Another shop allowed."),
    language: str = typer.Option("en", "--language", help="en or id."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
) -> None:
    """Create a user (the password is asked twice, or read from stdin)."""
    password = _password(password_stdin)
    with _store() as session:
        user = create_user(
            session, username, name or username, role, password, seller_id=seller,
            creator_id=creator, linked_shops=linked or [], language=language,
        )  # fmt: skip
        console.print(f"User {escape(user.username)} ({user.role}) created.")


@app.command("list")
def list_users() -> None:
    """Every user with their role, scope and state."""
    with _store() as session:
        users = list(session.scalars(select(User).order_by(User.username)))
        table = Table(title=f"Users: {len(users):,}", title_justify="left")
        for column in ("username", "name", "role", "confined to", "state", "last sign-in"):
            table.add_column(column)
        for user in users:
            scope = user.seller_id or user.creator_id or "—"
            state = "disabled" if user.disabled else "locked" if user.locked_until else "active"
            table.add_row(
                user.username, escape(user.display_name), user.role, scope, state,
                str(user.last_login_at or "never"),
            )  # fmt: skip
    console.print(table)


@app.command()
def disable(username: str = typer.Argument(..., help="Login name.")) -> None:
    """Disable a user and revoke their tokens."""
    with _store() as session:
        disable_user(session, username)
    console.print(f"User {escape(username)} disabled; their tokens are revoked.")


@app.command()
def token(
    username: str = typer.Argument(..., help="Login name."),
    name: str = typer.Option(..., "--name", help="What the token is for."),
    scope: list[str] = typer.Option(..., "--scope", help="A scope of the user's role."),
    days: int = typer.Option(90, "--days", help="Valid for this many days."),
) -> None:
    """Issue an API token; it is printed once and never stored."""
    with _store() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFoundError(f"no user {username!r}")
        row, plain = issue_token(session, user, name, scope, days)
        scopes = ", ".join(row.scopes)
    console.print(f"Token {escape(name)} ({scopes}), valid {days} days — copy it now:")
    typer.echo(plain)
