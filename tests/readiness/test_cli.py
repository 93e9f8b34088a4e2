"""``pasar readiness`` end to end on the default SQLite store (an empty warehouse): plan,
refuse a cycle, preview and save a slip, draw the schedule, log a risk, publish and
acknowledge a document, gate and override, hand over, report."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from tests.cli.test_metrics_cli import run


def test_a_program_from_the_command_line(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def ok(*args: str) -> str:
        code, out, err = run(capsys, "readiness", *args)
        assert code == 0, (args, err)
        return " ".join(out.split())  # rich wraps long lines

    def refused(*args: str) -> str:
        code, _, err = run(capsys, "readiness", *args)
        assert code == 2, args
        return " ".join(err.split())

    assert run(capsys, "db", "upgrade")[0] == 0
    ok(
        "create",
        "Chat pilot",
        "--owner",
        "dewi",
        "--start",
        "2026-11-02",
        "--launch",
        "2026-11-13",
        "--center",
        "Makassar",
    )
    ok(
        "task",
        "Chat pilot",
        "SOP",
        "--owner",
        "dewi",
        "--team",
        "Design",
        "--start",
        "2026-11-02",
        "--due",
        "2026-11-04",
    )
    ok(
        "task",
        "Chat pilot",
        "Hire",
        "--owner",
        "sari",
        "--team",
        "WFM",
        "--start",
        "2026-11-02",
        "--due",
        "2026-11-06",
    )
    ok(
        "task",
        "Chat pilot",
        "Train",
        "--owner",
        "lina",
        "--team",
        "Training",
        "--start",
        "2026-11-07",
        "--due",
        "2026-11-08",
        "--after",
        "SOP",
        "--after",
        "Hire",
    )
    ok(
        "task",
        "Chat pilot",
        "Go-live",
        "--owner",
        "dewi",
        "--team",
        "PMO",
        "--start",
        "2026-11-09",
        "--milestone",
        "--after",
        "Train",
    )
    assert "that would make a cycle Go-live → SOP → Train → Go-live" in refused(
        "depend", "Chat pilot", "SOP", "Go-live"
    )
    png, xlsx = tmp_path / "plan.png", tmp_path / "plan.xlsx"
    shown = ok(
        "schedule", "Chat pilot", "--today", "2026-11-02", "--png", str(png), "--xlsx", str(xlsx)
    )
    assert "Critical path: Hire → Train → Go-live" in shown
    assert png.read_bytes().startswith(b"\x89PNG")
    assert [r[1].value for r in load_workbook(xlsx)["Schedule"].iter_rows(min_row=3)] == [
        "SOP",
        "Hire",
        "Train",
        "Go-live",
    ]
    preview = ok("slip", "Chat pilot", "Hire", "--due", "2026-11-10", "--today", "2026-11-02")
    assert "(+4 days); it misses the launch date 2026-11-13" not in preview
    assert "Program finish 2026-11-09 → 2026-11-13 (+4 days); it meets the launch date" in preview
    assert "Nothing saved" in preview
    saved = ok(
        "slip", "Chat pilot", "Hire", "--due", "2026-11-11", "--today", "2026-11-02", "--save"
    )
    assert "it misses the launch date 2026-11-13" in saved and "Saved." in saved
    ok(
        "risk",
        "Chat pilot",
        "hiring lags",
        "-p",
        "4",
        "-i",
        "4",
        "--owner",
        "sari",
        "--due",
        "2020-01-01",
        "--task",
        "Hire",
    )
    assert "1 mitigation(s) overdue." in ok("risks", "Chat pilot")

    roster = tmp_path / "roster.csv"
    roster.write_text("ref,name,center,role\nMKS-1,Andi,Makassar,lead\nMKS-2,Nurul,Makassar,\n")
    assert "2 added, 0 updated, 0 unchanged." in ok("agents", "import", str(roster))
    roster.write_text("ref,name,center,role\nMKS-3,Sari,Makassar,chief\n")
    assert "row 2 column role: role 'chief'" in refused("agents", "import", str(roster))
    v1, v2 = tmp_path / "v1.md", tmp_path / "v2.md"
    v1.write_text("# SOP\nGreet.\n")
    v2.write_text("# SOP\nGreet by name.\n")
    ok(
        "documents",
        "add",
        "Chat SOP",
        str(v1),
        "--owner",
        "dewi",
        "--center",
        "Makassar",
        "--program",
        "Chat pilot",
    )
    ok("documents", "ack", "Chat SOP", "MKS-1", "MKS-2")
    assert "Everyone has acknowledged" in ok("documents", "pending", "Chat SOP")
    ok("documents", "publish", "Chat SOP", str(v2), "--note", "names")
    assert "version 1 of 'Chat SOP' is not the current one" in refused(
        "documents", "ack", "Chat SOP", "MKS-1", "--version", "1"
    )
    pending = ok("documents", "pending", "Chat SOP")
    assert "Makassar: 0 of 2 (0%)" in pending and "MKS-1" in pending and "MKS-2" in pending
    code, out, _ = run(capsys, "readiness", "documents", "diff", "Chat SOP", "1")
    assert code == 0 and "-Greet.\n+Greet by name.\n" in out
    assert "Chat SOP" in ok("documents", "list", "-q", "greet")

    ok("gate", "Chat pilot", "SOP read", "--preset", "sop-ack")
    checked = ok("gates", "Chat pilot", "--check", "--as-of", "2026-11-02")
    assert "SOP read" in checked and "fail" in checked and "sop_ack_rate 0" in checked
    assert "cannot be marked ready" in refused("ready", "Chat pilot", "--as-of", "2026-11-02")
    assert "is ready by override" in ok(
        "ready",
        "Chat pilot",
        "--as-of",
        "2026-11-02",
        "--override",
        "pilot; SOP read at the kick-off",
    )
    ok("handover", "Chat pilot", "Makassar", "--item", "rota", "--document", "Chat SOP")
    lines = ok("handovers", "Chat pilot")
    assert "ticked" in lines and "MKS-1, MKS-2" in lines  # (in a table: words wrap)
    assert "cannot be signed off" in refused("sign-off", "1", "--lead", "MKS-1")
    assert "signed off by MKS-1" in ok("sign-off", "1", "--lead", "MKS-1", "--override", "trained")
    report = ok("report", "Chat pilot", "--as-of", "2026-11-06", "--output", str(tmp_path / "r"))
    assert report.startswith("Report written to")
    written = sorted(p.name for p in (tmp_path / "r").iterdir())
    assert written == [
        "readiness-chat-pilot-2026-11-06.html",
        "readiness-chat-pilot-2026-11-06.xlsx",
    ]
    assert "No metric outside its threshold." in ok("alerts", "--as-of", "2026-11-02")
