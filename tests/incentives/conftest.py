"""A small generated marketplace (the ``small`` profile: 400 shops, a year ending 2026-10-31)
shared by the incentive tests of one worker, and helpers to build programs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pasar.config import Settings
from pasar.incentives.programs import CompiledProgram
from pasar.incentives.service import Context
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

LAST_DAY = dt.date(2026, 10, 31)


@dataclass
class World:
    """The generated marketplace ingested in a warehouse, with an incentive context."""

    synth: Path
    settings: Settings
    ctx: Context
    con: duckdb.DuckDBPyConnection


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("incentives")
    generate(load_profile("small"), root / "synth")
    settings = Settings(home=root / "home")
    report = ingest(IngestRequest([root / "synth"], source="generic"), settings)
    assert report.status == "committed"
    ctx = Context.of(settings)
    con = Warehouse(settings.warehouse_dir).connect()
    assert ctx.last_day(con) == LAST_DAY
    yield World(root / "synth", settings, ctx, con)
    con.close()


def program_text(body: str, key: str = "test-program") -> str:
    """A program file: the given YAML body (schedule, target …) under a standard header."""
    return (
        f"program: {key}\nversion: 1\nname: Test program\n"
        "period: {every: month, start: 2026-01-01}\n" + body
    )


def compiled(ctx: Context, body: str, key: str = "test-program") -> CompiledProgram:
    return ctx.check(program_text(body, key), "test.yml")
