"""``pasar incentives`` end to end on the generated marketplace (a program from a template,
enrolled, paid, replayed, its file, simulated, measured), a broken program file refused with
its line, and the demo's seed run twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pasar import migrations
from pasar.cli.main import main
from pasar.config import Settings, get_settings
from pasar.incentives.demo import DEMO_PROGRAM, seed_demo
from pasar.kit.db import Database
from tests.conftest import empty_database
from tests.incentives.conftest import LAST_DAY, World


def test_the_command_line(
    world: World,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PASAR_HOME", str(world.settings.home))
    monkeypatch.setenv("COLUMNS", "200")  # rich: no wrapping of the tables
    monkeypatch.setenv("PASAR_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    get_settings.cache_clear()
    try:
        bad = tmp_path / "bad.yml"
        bad.write_text(
            "program: bad\nversion: 1\nname: Bad\nperiod: {every: month, start: 2026-01-05}\n"
        )
        assert main(["incentives", "check", str(bad)]) == 2
        assert "bad.yml:4: program bad: period: " in capsys.readouterr().err.replace("\n", "")
        assert main(["incentives", "templates"]) == 0
        assert "incremental-gmv-sprint" in capsys.readouterr().out
        assert main(["incentives", "create", "cli-streak", "--template", "daily-live-streak"]) == 0
        assert main(["incentives", "status", "cli-streak", "active"]) == 0
        assert main(["incentives", "enrol", "cli-streak", "--on", "2026-08-31"]) == 0
        assert "eligible of" in capsys.readouterr().out
        assert main(["incentives", "pay", "cli-streak", "--period", "2026-09"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Run 1 (payout) 2026-09:")
        assert main(["incentives", "replay", "1"]) == 0
        assert "identical" in capsys.readouterr().out
        assert main(["incentives", "lines", "1", "--lang", "id", "--limit", "3"]) == 0
        assert "sesi valid" in capsys.readouterr().out
        target = tmp_path / "payout.csv"
        assert main(["incentives", "file", "1", "--output", str(target)]) == 0
        assert target.read_text(encoding="utf-8-sig").startswith("program,period,kind")
        assert (
            main(["incentives", "simulate", "cli-streak", "--draws", "200", "--periods", "3"]) == 0
        )
        assert "chance of exceeding it" in capsys.readouterr().out
        assert main(["incentives", "measure", "cli-streak", "--period", "2026-09", "--save"]) == 0
        assert "Kept as experiment 1." in capsys.readouterr().out
        assert main(["incentives", "pay", "cli-streak", "--period", "2026-12"]) == 2
        assert "warehouse holds data up to 2026-10-31" in capsys.readouterr().err
    finally:
        get_settings.cache_clear()


def test_the_demo_seed_is_idempotent(world: World, tmp_path: Path) -> None:
    with empty_database("sqlite", tmp_path) as url:
        migrations.upgrade(url)
        database = Database(url)
        settings = Settings(home=world.settings.home, database_url=url)
        with database.unit_of_work() as session:
            first = seed_demo(session, settings, LAST_DAY)
        with database.unit_of_work() as session:
            second = seed_demo(session, settings, LAST_DAY)
        database.dispose()
    assert first == second
    assert (first.program, first.period) == (DEMO_PROGRAM, "2026-10")
    assert first.enrolled > 100 and first.holdout == pytest.approx(0.1 * first.enrolled, abs=3)
    assert first.paid_merchants > 10 and first.total > 0
    assert seed_demo.__doc__ and dt.date(2026, 10, 31) == LAST_DAY
