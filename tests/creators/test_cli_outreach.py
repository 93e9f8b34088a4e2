"""``pasar creators pitches | samples | vouchers | issues`` end to end: every command once,
bad input answered with one clear line and exit code 2."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import typer.main
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.cli import governance
from pasar.cli import main as cli_main
from pasar.cli.output import console
from pasar.config import get_settings
from pasar.creators.days import today
from pasar.kit.clock import frozen_at, now
from pasar.kit.db import Database
from tests.cli.test_metrics_cli import run
from tests.creators.collab_fixtures import add_people, creators_cli, write_snapshot


def test_collaboration_from_the_command_line(
    pasar_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console, "width", 200)  # whole table cells, not wrapped ones
    assert run(capsys, "db", "upgrade")[0] == 0
    monkeypatch.setattr(governance, "upgrade_store", lambda: None)  # once is enough here
    # Typer builds the whole command tree on every call: build it once for the forty calls
    command = typer.main.get_command(cli_main.app)
    monkeypatch.setattr(cli_main, "app", lambda **kwargs: command.main(**kwargs))
    settings = get_settings()
    database = Database(settings.database_url)
    add_people(database, today() - dt.timedelta(days=30))
    for days in (1, 30):
        write_snapshot(
            settings,
            today() - dt.timedelta(days=days),
            [
                {"creator_id": "C1", "followers": 9000, "orders_90d": 12, "gmv_30d": 4_000_000},
                {"creator_id": "C2", "followers": 120, "orders_90d": 0, "gmv_30d": 0},
            ],
        )

    ok, refused = creators_cli(capsys)
    # pitches
    assert "Pitch #1: C1 for S1 (shortlisted), owned by mira." in ok(
        "pitches",
        "add",
        "S1",
        "C1",
        "--owner",
        "mira",
        "--next-on",
        "2026-01-05",
        "--next-action",
        "send brief",
    )
    ok("pitches", "add", "S1", "C2", "--owner", "cm")
    assert "already pitched for seller S1 by mira" in refused(
        "pitches", "add", "S1", "C1", "--owner", "cm"
    )
    assert "is not a date" in refused(
        "pitches", "add", "S2", "C1", "--owner", "mira", "--next-on", "soon"
    )
    assert "S1: 0 of 1 outreaches used" in ok("pitches", "quota", "S1", "--set", "1")
    assert "1 of 2 pitches cannot be advanced" in refused("pitches", "advance", "1", "2")
    assert "Pitch #1: now contacted." in ok("pitches", "advance", "1", "--as", "mira")
    overdue = ok("pitches", "overdue")
    assert "mira: 1 overdue next action(s)" in overdue and "send brief" in overdue
    assert "next action by 2026-01-07" in ok("pitches", "update", "1", "--next-on", "2026-01-07")
    assert "1 pitch(es) now owned by budi." in ok("pitches", "assign", "2", "--owner", "budi")
    assert "1 pitch(es) declined." in ok("pitches", "decline", "2", "--reason", "no reply")
    listed = ok("pitches", "list", "--open")
    assert "C1" in listed and "C2" not in listed

    # samples
    assert "is eligible" in ok("samples", "eligibility", "C1")
    assert "120 followers (at least 1,000)" in ok("samples", "eligibility", "C2")
    with frozen_at(now() - dt.timedelta(days=20)):  # three weeks ago
        out = ok("samples", "request", "C1", "S1", "P1", "--cost", "Rp 85.000", "--as", "mira")
        assert "Sample #1 requested (free, level L0)" in out and "✓" in out
        ok("samples", "decide", "1", "approve")
        ok("samples", "ship", "1", "--tracking", "JNE1", "--shipping-cost", "12000")
        assert "content due" in ok("samples", "deliver", "1")
    assert "not eligible for a free sample" in refused("samples", "request", "C2", "S1", "P1")
    assert "85.000x" in refused("samples", "request", "C1", "S1", "P2", "--cost", "85.000x")
    ok("samples", "request", "C2", "S1", "P1", "--kind", "refundable", "--goal", "2")
    ok("samples", "decide", "2", "approve")
    future = (today() + dt.timedelta(days=1)).isoformat()
    assert "cannot be in the future" in refused("samples", "deliver", "2", "--at", future)
    assert "deadline passed" in refused("samples", "extend", "1", "--reason", "sick")
    overdue = ok("samples", "overdue")
    assert "mira: 1 overdue" in overdue and "(overdue)" in overdue
    assert "content posted (late)" in ok("samples", "post", "1", "https://t.co/v1")
    assert "No sample content is overdue." in ok("samples", "overdue")
    assert "approved" in ok("samples", "list", "--creator", "C2")
    assert "cannot become approved" in refused("samples", "decide", "1", "approve")

    # vouchers
    out = ok(
        "vouchers",
        "create",
        "S1",
        "Seeding",
        "--face-value",
        "40000",
        "--budget",
        "100000",
        "--codes",
        "2",
        "--creator",
        "C1",
    )
    codes = re.findall(r"SV-[A-Z0-9]{5}-[A-Z0-9]{5}", out)
    assert len(codes) == 3
    assert "Rp 60.000 left" in ok("vouchers", "redeem", codes[0], "--sample", "1")
    assert "Rp 20.000 left" in ok("vouchers", "redeem", codes[1], "--order", "O-9")
    assert "budget is never exceeded" in refused("vouchers", "redeem", codes[2])
    assert "Seeding" in ok("vouchers", "list")
    assert "O-9" in ok("vouchers", "list", "--codes", "1")

    # issues
    out = ok(
        "issues",
        "open",
        "sample_not_received",
        "Parcel lost",
        "--description",
        "Stuck at the hub",
        "--sample",
        "1",
        "--priority",
        "urgent",
        "--raised-by",
        "creator",
    )
    assert "Issue #1 (urgent), point of contact mira" in out
    assert "kind: one of" in refused(
        "issues", "open", "angry", "t", "--description", "d", "--creator", "C1"
    )
    ok("issues", "respond", "1", "On it", "--as", "mira")
    listed = ok("issues", "list")
    assert "Parcel lost" in listed and "met" in listed
    assert "0 issue(s) escalated." in ok("issues", "escalate")
    ok("issues", "resolve", "1", "Replacement sent")
    assert "reopened; resolution due" in ok("issues", "reopen", "1", "Never arrived")
    with database.unit_of_work() as session:
        actors = set(session.scalars(select(AuditEvent.actor)))
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"cli", "user:mira"} <= actors
    assert {"pitch.added", "sample.posted", "voucher.redeemed", "creator_issue.reopened"} <= actions
    database.dispose()
