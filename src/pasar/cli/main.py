"""The ``pasar`` command. Errors print as one line; ``--debug`` shows the traceback."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape
from sqlalchemy.exc import OperationalError

from pasar import __version__
from pasar.cli import (
    creators,
    db,
    governance,
    incentives,
    metrics,
    policy,
    readiness,
    serve,
    users,
    warehouse,
)
from pasar.cli.demo import demo
from pasar.cli.ingest import ingest_command
from pasar.cli.output import errors
from pasar.cli.synth import synth
from pasar.kit.errors import PasarError

app = typer.Typer(
    name="pasar",
    help="Pasar — operations platform for social-commerce marketplaces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(db.app, name="db")
app.add_typer(warehouse.app, name="warehouse")
app.add_typer(metrics.app, name="metrics")
app.add_typer(policy.app, name="policy")
app.add_typer(governance.app, name="governance")
app.add_typer(users.app, name="users")
app.add_typer(creators.app, name="creators")
app.add_typer(readiness.app, name="readiness")
app.add_typer(incentives.app, name="incentives")
app.command()(serve.serve)
app.command(name="run")(governance.run_command)
app.command(name="ingest")(ingest_command)
app.command()(synth)
app.command()(demo)

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pasar {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
) -> None:
    """Pasar — operations platform for social-commerce marketplaces."""
    _state["debug"] = debug


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and turn any failure into one clear line and an exit code.

    Exit codes: 0 success, 1 unexpected failure, 2 bad input or usage.
    """
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        app(args=args, prog_name="pasar")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except PasarError as exc:
        if debug:
            raise
        errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        return 2
    except OperationalError as exc:  # the operational store is down, restarting or locked
        if debug:
            raise
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        errors.print(
            f"[bold red]error:[/] the database did not answer ({escape(reason)}); the step "
            "under way was rolled back: run the command again when the database is back",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    except Exception as exc:
        if debug:
            raise
        errors.print(
            f"[bold red]error:[/] {type(exc).__name__}: {escape(str(exc))} "
            "(run with --debug for details)",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    return 0


def entrypoint() -> None:
    """Console-script entry point."""
    sys.exit(main())
