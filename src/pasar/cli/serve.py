"""``pasar serve``: the console and the API over HTTP."""

from __future__ import annotations

import typer

from pasar.cli.db import upgrade_store
from pasar.cli.output import console


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port."),
    workers: int = typer.Option(1, help="Worker processes."),
    access_log: bool = typer.Option(True, help="Log every request."),
) -> None:
    """Serve the console and the API (OpenAPI at /api/docs) until stopped."""
    import uvicorn

    upgrade_store()
    console.print(f"Pasar on http://{host}:{port} — API docs at /api/docs (Ctrl+C stops)")
    uvicorn.run(
        "pasar.api.server:app",
        host=host,
        port=port,
        workers=workers,
        factory=False,
        # httptools parses requests several times faster than h11; uvloop is the faster
        # event loop and sets TCP_NODELAY on each connection, which uvicorn's worker processes
        # otherwise lack (uvicorn#3149: every keep-alive answer waited ~40 ms for an ACK)
        http="httptools",
        loop="uvloop",
        access_log=access_log,
    )
