"""``pasar creators analytics | funnel | agents`` over the generated marketplace."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pasar.config import get_settings
from pasar.creators.analytics import creator_performance, pivot
from tests.cli.test_metrics_cli import run
from tests.marketplace import Marketplace


@pytest.fixture
def home(marketplace: Marketplace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Marketplace:
    monkeypatch.setenv("PASAR_HOME", str(marketplace.settings.home))
    monkeypatch.setenv("PASAR_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    get_settings.cache_clear()
    yield marketplace  # type: ignore[misc]
    get_settings.cache_clear()


def test_analytics_by_category_as_json_and_xlsx(
    home: Marketplace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        capsys, "creators", "analytics", "--by", "primary_category",
        "--from", "2026-10-01", "--to", "2026-10-31", "--format", "json",
    )  # fmt: skip
    assert code == 0, err
    got = json.loads(out)
    want = pivot(
        creator_performance(home.con, dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        "primary_category",
    )
    assert [r["primary_category"] for r in got] == [g["primary_category"] for g in want]
    assert [Decimal(str(r["gmv"])) for r in got] == [g["gmv"] for g in want]
    code, _, err = run(
        capsys, "creators", "analytics", "--format", "xlsx", "-o", str(tmp_path / "c.xlsx")
    )
    assert code == 0, err
    assert load_workbook(tmp_path / "c.xlsx").active.max_row > 1  # type: ignore[union-attr]
    code, out, _ = run(capsys, "creators", "analytics")
    assert code == 0 and "total" in out and "M │" in out


def test_funnel_and_agents_read_the_store(
    home: Marketplace, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "db", "upgrade")[0] == 0
    code, out, err = run(capsys, "creators", "funnel", "--format", "csv")
    assert code == 0, err
    assert out.splitlines()[1].startswith('"contacted",0')
    code, out, err = run(capsys, "creators", "agents", "--format", "json")
    assert code == 0 and json.loads(out) == []


def test_bad_options_are_named(home: Marketplace, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "creators", "analytics", "--by", "colour")
    assert code != 0 and "--by 'colour'" in err
    code, _, err = run(
        capsys, "creators", "analytics", "--from", "2026-10-31", "--to", "2026-10-01"
    )
    assert code != 0 and "before --from" in err
