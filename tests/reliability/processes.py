"""Starting Pasar's CLI in a subprocess and killing it at a chosen moment.

Shared by the fault tests: the pipeline and ingestion kill tests, the API server kill test and
the PostgreSQL restart test.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

CLI = [sys.executable, "-c", "from pasar.cli.main import entrypoint; entrypoint()"]


def cli_env(home: Path, database_url: str = "") -> dict[str, str]:
    """The environment of a ``pasar`` subprocess on ``home`` (SQLite there when no URL)."""
    env = {**os.environ, "PASAR_HOME": str(home)}
    env.pop("PASAR_DATABASE_URL", None)
    if database_url:
        env["PASAR_DATABASE_URL"] = database_url
    return env


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kill_after(process: subprocess.Popen[bytes], delay: float) -> bool:
    """SIGKILL ``process`` after ``delay`` seconds unless it ends first; whether it was killed."""
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return process.returncode == -signal.SIGKILL


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` (polled every millisecond); whether it was."""
    while process.poll() is None:
        if ready():
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
            return process.returncode == -signal.SIGKILL
        time.sleep(0.001)
    return False
