"""End-to-end CLI: help, version, store migration, synth, demo, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pasar import __version__, migrations
from pasar.cli.main import main
from pasar.config import get_settings
from pasar.warehouse.store import Warehouse


def run(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("--help", capsys=capsys)
    assert code == 0
    for command in ("db", "synth", "demo"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--version", capsys=capsys)[:2] == (0, f"pasar {__version__}\n")


def test_db_upgrade_is_idempotent(pasar_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run("db", "upgrade", capsys=capsys)
    assert code == 0 and "upgraded from empty" in out
    code, out, _ = run("db", "upgrade", capsys=capsys)
    assert code == 0 and "nothing to do" in out
    url = f"sqlite:///{pasar_home / 'pasar.db'}"
    assert migrations.current_revision(url) == migrations.head_revision()
    code, out, _ = run("db", "current", capsys=capsys)
    assert "up to date" in out


def test_synth_writes_every_table_with_overrides(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "market"
    code, out, err = run(
        "synth",
        "--profile",
        "small",
        "--seed",
        "11",
        "--days",
        "20",
        "--out",
        str(out_dir),
        capsys=capsys,
    )
    assert code == 0, err
    manifest = json.loads((out_dir / "manifest.json").read_text())
    assert manifest["seed"] == 11 and manifest["end_date"] == "2025-11-21"
    [(orders,)] = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{out_dir / 'orders.parquet'}')"
    ).fetchall()
    assert orders == manifest["rows"]["orders"] > 0
    assert f"{manifest['rows']['orders']:,} orders" in out


def test_bad_input_is_one_line_with_exit_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "mine.yml"
    profile.write_text("extends: small\nsizes:\n  sellers: -5\n")
    code, _, err = run(
        "synth", "--profile", str(profile), "--out", str(tmp_path / "o"), capsys=capsys
    )
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "mine.yml" in lines[0] and "sizes.sellers" in lines[0]
    code, _, err = run("synth", "--profile", "no-such-profile", capsys=capsys)
    assert code == 2 and "shipped profiles: default, small" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run("synth", "--start", "2025-13-01", capsys=capsys)
    assert code == 2 and "--start" in err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from pasar.cli.main import entrypoint; entrypoint()",
            "--debug",
            "synth",
            "--profile",
            str(tmp_path / "missing.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "profile file not found" in result.stderr


def test_demo_generates_migrates_and_summarises(
    pasar_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run("demo", "--profile", "small", "--no-serve", capsys=capsys)
    assert code == 0, err
    assert "reviewer         demo-reviewer-2026" in out  # demo sign-ins, one per role
    orders_file = pasar_home / "landing" / "synth" / "orders.parquet"
    [(total,)] = duckdb.sql(f"SELECT count(*) FROM read_parquet('{orders_file}')").fetchall()
    assert f"{total:,}" in out
    assert "Marketplace summary" in out and "Top category 1" in out
    assert migrations.current_revision(f"sqlite:///{pasar_home / 'pasar.db'}") is not None
    stored = Warehouse(pasar_home / "warehouse").connect()
    assert stored.execute("SELECT count(*) FROM orders").fetchall() == [(total,)]
    assert "All " in out and "rows accepted" in out
    code, out, _ = run("demo", "--profile", "small", "--no-serve", capsys=capsys)
    assert code == 0 and "reusing it" in out and "Warehouse already holds" in out


def test_a_database_that_does_not_answer_is_one_line(
    pasar_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(
        "PASAR_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/test?connect_timeout=2"
    )
    get_settings.cache_clear()
    code = main(["users", "list"])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: the database did not answer (")
    assert "run the command again when the database is back" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 3  # one line, wrapped
