"""A private PostgreSQL 15 cluster for one test, to stop and start without touching the
machine's shared server: initdb'd in a temporary folder, on a free port, its socket in that
folder. As root, the server runs as the ``postgres`` OS user (initdb refuses root).

Example::

    with private_postgres() as cluster:
        cluster.create_database("ref")
        url = cluster.url("ref")
        cluster.stop_immediately()   # what a crash of the server looks like to clients
        cluster.start()
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.reliability.processes import free_port

BIN = Path(os.environ.get("PASAR_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
SERVER_USER = "postgres"


class Cluster:
    """One PostgreSQL server process over one data folder."""

    def __init__(self, folder: Path, as_user: list[str]) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.port = free_port()
        self._as_user = as_user

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` (over TCP, trust authentication)."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=300, check=False
        )
        assert done.returncode == 0, f"{args[0]} failed: {done.stdout}{done.stderr}"

    def init(self) -> None:
        self._run(
            str(BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--no-sync", "-E", "UTF8", "--locale=C",
        )  # fmt: skip

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._run(
            str(BIN / "pg_ctl"), "start", "-w", "-D", str(self.data), "-l", str(self.log),
            "-o", options,
        )  # fmt: skip

    def stop_immediately(self) -> None:
        """``pg_ctl stop -m immediate``: every backend ends at once, no checkpoint (recovery
        replays the WAL at the next start), as after a crash of the server."""
        self._run(str(BIN / "pg_ctl"), "stop", "-w", "-D", str(self.data), "-m", "immediate")

    def create_database(self, name: str) -> str:
        """A new empty database; its URL."""
        engine = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as con:
                con.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        return self.url(name)


def _as_server_user() -> list[str]:
    """The command prefix that runs PostgreSQL's programs (as ``postgres`` when root)."""
    if os.geteuid() != 0:
        return []
    return ["runuser", "-u", SERVER_USER, "--"]


def unavailable() -> str | None:
    """Why a private cluster cannot run here, or ``None``."""
    if not (BIN / "initdb").exists():
        return f"no PostgreSQL binaries in {BIN} (set PASAR_TEST_POSTGRES_BIN)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} OS user to run PostgreSQL"
    return None


@contextmanager
def private_postgres() -> Iterator[Cluster]:
    """A started private cluster, stopped and deleted afterwards (required under ``CI=true``,
    else skipped with the reason when PostgreSQL's binaries are missing)."""
    reason = unavailable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true requires a private PostgreSQL cluster: {reason}")
        pytest.skip(reason)
    # not under pytest's tmp_path: its parents are private to root, the server user must enter
    folder = Path(tempfile.mkdtemp(prefix="pasar-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER, SERVER_USER)
    cluster = Cluster(folder, _as_server_user())
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        subprocess.run(
            [*_as_server_user(), str(BIN / "pg_ctl"), "stop", "-D", str(cluster.data),
             "-m", "immediate"],
            capture_output=True, check=False, timeout=120,
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)
