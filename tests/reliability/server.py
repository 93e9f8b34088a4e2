"""``pasar serve`` in a subprocess on a free port: started, waited for, killed, restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.reliability.processes import CLI, cli_env, free_port

STARTUP_SECONDS = 180.0  # a hang guard for a loaded machine, not a performance limit


class ApiServer:
    """One ``pasar serve`` at a time on the same port and store; its output goes to ``log``."""

    def __init__(self, home: Path, database_url: str, log: Path) -> None:
        self.home = home
        self.database_url = database_url
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start_seconds: list[float] = []  # how long each start took to answer

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server and wait until ``/api/health`` answers."""
        assert self.process is None or self.process.poll() is not None, "already running"
        args = [*CLI, "serve", "--port", str(self.port), "--no-access-log"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                args, env=cli_env(self.home, self.database_url), stdout=out, stderr=out
            )
        began = time.monotonic()
        while time.monotonic() < began + STARTUP_SECONDS:
            if self.process.poll() is not None:
                raise AssertionError(f"pasar serve exited at start:\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    self.start_seconds.append(time.monotonic() - began)
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"pasar serve did not answer within {STARTUP_SECONDS} s")

    def kill(self) -> None:
        """SIGKILL the running server (nothing of it runs afterwards)."""
        assert self.process is not None
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)

    def stop(self) -> None:
        """Stop the server as Ctrl+C would."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def tail(self, lines: int = 30) -> str:
        """The end of the server's output (for failure messages)."""
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
