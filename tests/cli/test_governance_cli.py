"""``pasar run`` and ``pasar governance`` end to end on the warehouse of known late dispatch
rates (s1 30%, s2 10%, s3 below the minimum volume; every order due on 6 Oct 2026)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.test_metrics_cli import run
from tests.cli.test_policy_cli import _json, warehouse  # noqa: F401 (fixture)

DAY = "2026-10-06"


def plain(out: str) -> str:
    """Console output as one line of words: table borders and wrapping removed."""
    return " ".join(re.sub(r"[│┃┌┐└┘├┤─━┏┓┗┛┡┩]", " ", out).split())


@pytest.fixture
def ran(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> Path:  # noqa: F811
    code, out, err = run(capsys, "run", "--from", DAY, "--to", DAY, "--no-report")
    assert code == 0, err
    assert "2 sellers received points or actions" in " ".join(out.split())
    return warehouse


def test_run_issues_points_and_actions_once(ran: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "governance", "violations", "--format", "json")
    assert code == 0, err
    rows = _json(out)
    assert sorted((r["seller_id"], r["policy_id"], r["points"]) for r in rows) == [
        ("s1", "late-dispatch-points", 2),
        ("s2", "late-dispatch-points", 2),
    ]
    assert rows[0]["expires_on"] == "2027-01-04"  # 90 days (tokopedia-id@2)
    code, _, err = run(capsys, "run", "--from", DAY, "--to", DAY, "--no-report")  # again
    assert code == 0, err
    con = sqlite3.connect(ran / "pasar.db")
    counts = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "points_entries", "enforcement_actions", "governance_runs")]  # fmt: skip
    assert counts == [2, 2, 1]  # 2 issues; the order caps of s1 (70%) and s2 (90%); one day


def test_violation_shows_the_orders_behind_it(
    ran: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "governance", "violations", "--seller", "s1", "--format", "json")
    entry = _json(out)[0]["id"]
    code, out, err = run(capsys, "governance", "violation", str(entry), "--as-of", DAY)
    assert code == 0, err
    flat = plain(out)
    # the 3 late orders of s1 (they share their due time, so in any order)
    behind = flat.split("late_dispatch_rate_7d: ")[1].split(" Points")[0]
    assert sorted(behind.split(", ")) == ["s1-0", "s1-1", "s1-2"]
    assert "Late dispatch rate 30.0% over the last 7 days" in flat
    assert "2 points" in flat and "2027-01-04" in flat
    assert (
        "12 points: Limited access to campaigns and seller benefits (7 days) (10 points away)"
        in flat
    )
    code, out, _ = run(
        capsys, "governance", "violation", str(entry), "--as-of", DAY, "--lang", "id"
    )
    assert "Serahkan setiap pesanan ke kurir" in plain(out)


def test_seller_standing_and_report(
    ran: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "governance", "seller", "s1", "--as-of", DAY)
    assert code == 0, err
    flat = plain(out)
    assert "s1 as of 2026-10-06: 2 points, level no step reached; next step at 12 points" in flat
    assert "order_cap" in flat
    code, out, _ = run(capsys, "governance", "seller", "s1")  # as of the last day run
    assert "s1 as of 2026-10-06: 2 points" in plain(out)
    code, _, err = run(capsys, "governance", "seller", "s9", "--as-of", DAY)
    assert code == 2 and "seller 's9' has no violations or actions" in err
    book = tmp_path / "report.xlsx"
    code, _, err = run(capsys, "governance", "report", "--as-of", DAY, "-o", str(book))
    assert code == 0, err
    summary = dict(load_workbook(book)["Summary"].iter_rows(min_row=2, max_col=2, values_only=True))
    assert summary["Sellers with points"] == 2
    assert summary["Violations, last 7 days"] == 2
    assert summary["Actions in force"] == 2


def test_adjustments_are_new_entries_with_a_reason(
    ran: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adjust = ["governance", "adjust", "s1", "--on", DAY, "--by", "admin", "--points"]
    code, out, err = run(capsys, *adjust, "-2", "--reason", "dispatch scans arrived late")
    assert code == 0 and "-2 points for s1" in out, err
    code, out, _ = run(capsys, "governance", "seller", "s1", "--as-of", DAY)
    assert "s1 as of 2026-10-06: 0 points" in plain(out)
    code, _, err = run(capsys, *adjust, "-1", "--reason", "another correction")
    assert code == 2 and "would make the balance negative" in err
    code, _, err = run(
        capsys, "governance", "adjust", "s2", "--points", "1", "--reason", "why", "--by", "a"
    )
    assert code == 2 and "at least 10 characters" in err


def test_the_run_writes_the_report(ran: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "run", "--as-of", DAY)  # the day again: only the report
    assert code == 0, err
    assert "0 sellers received points or actions" in plain(out)
    assert (ran / "reports" / f"governance-{DAY}.xlsx").is_file()


def test_queue_and_decisions(ran: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "governance", "queue")
    assert code == 0 and "Human review queue: 0" in out, err
    code, _, err = run(capsys, "governance", "decide", "1", "approve", "--reason", "x", "--by", "r")
    assert code == 2 and "action 1 is active, not waiting for review" in err
    code, out, err = run(capsys, "governance", "rca", "late_dispatch_rate_7d", "--as-of", DAY,
                         "--format", "json")  # fmt: skip
    assert code == 0, err
    segments = json.loads(out[out.index("[") :])
    assert {s["dimension"] for s in segments} >= {"province", "channel"}
