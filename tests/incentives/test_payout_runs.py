"""Payout runs on the generated marketplace, on SQLite and PostgreSQL: a program made from a
template, enrolment with frozen segments and a stratified holdout, a period paid and stored
(audited), paid again (the same run), replayed line for line, checked for clawbacks, its
payout file; and the lines checked against an independent computation from the raw rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.incentives import payouts, service
from pasar.incentives.models import Enrolment, PayoutLine
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError
from tests.incentives.conftest import World

KEY = "sep-attainment"


def test_a_period_paid_replayed_and_clawed_back(world: World, database: Database) -> None:
    ctx, settings = world.ctx, world.settings
    with database.unit_of_work() as session:
        row = service.create_from_template(session, ctx, "tiered-attainment", KEY, "user:test")
        assert row.source.startswith("# Tiered attainment") and f"program: {KEY}" in row.source
        with pytest.raises(ValidationError, match="activate it to pay"):
            payouts.run_payout(session, ctx, KEY, "2026-09", "user:test", world.con)
        service.set_status(session, KEY, "active", row.version, "user:test")
        report = service.enrol(session, ctx, KEY, dt.date(2026, 8, 31), "user:test", world.con)
    assert report.enrolled == report.eligible > 100 and report.already == 0
    with database.unit_of_work() as session:
        enrolled = list(session.scalars(select(Enrolment)))
        again = service.enrol(session, ctx, KEY, dt.date(2026, 8, 31), "user:test", world.con)
    assert again.enrolled == 0 and again.already == report.eligible
    # the holdout: round(10% of each tier), drawn within the tier
    for tier, count in report.by_tier.items():
        held = sum(1 for e in enrolled if e.tier == tier and e.arm == "holdout")
        assert held == round(0.1 * count), tier
    frozen = {e.seller_id: (e.tier, e.stage) for e in enrolled}

    with database.unit_of_work() as session:
        run = payouts.run_payout(session, ctx, KEY, "2026-09", "user:test", world.con)
        run_id, total = run.id, run.total
        lines = payouts.lines_of(session, run.id)
        assert run.merchants == len(enrolled) and run.cutoff == dt.date(2026, 9, 30)
        assert run.pay_on == dt.date(2026, 10, 10)
        assert total == sum((line.amount for line in lines), Decimal(0)) > 0
        assert {line.seller_id: (line.tier, line.stage) for line in lines} == frozen
        for line in lines:
            assert line.amount <= Decimal(500_000)  # the merchant cap
            assert (line.arm == "holdout") == (line.status == "holdout")
            if line.status == "paid":
                assert line.level in ("Bronze", "Silver", "Gold")
                assert line.measures["valid_hours"] >= 5
        paid = [line for line in lines if line.status == "paid"]
        assert paid and paid[0].explanation_en.startswith(f"{paid[0].level}: ")
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "incentive.payout_run")
        ).all()
        assert [e.entity_id for e in events] == [str(run_id)]
        assert events[0].context is not None and events[0].context["program"] == KEY
    with database.unit_of_work() as session:
        same = payouts.run_payout(session, ctx, KEY, "2026-09", "user:other", world.con)
        assert (same.id, same.total) == (run_id, total)
        replayed = payouts.replay(session, ctx, run_id, world.con)
        assert replayed.identical and not replayed.differences
        assert replayed.replayed_digest == replayed.stored_digest
        # a line changed behind the engine's back is found by the replay
        tampered = session.scalars(
            select(PayoutLine).where(PayoutLine.run_id == run_id, PayoutLine.status == "paid")
        ).first()
        assert tampered is not None
        tampered.amount = tampered.amount + 1
        session.flush()
        broken = payouts.replay(session, ctx, run_id, world.con)
        assert not broken.identical
        assert [d["seller_id"] for d in broken.differences] == [tampered.seller_id]
        session.rollback()

    with database.unit_of_work() as session:
        claw = payouts.run_clawback(session, ctx, KEY, "2026-09", "user:test", world.con)
        claw_lines = {line.seller_id: line for line in payouts.lines_of(session, claw.id)}
        assert claw.cutoff == dt.date(2026, 10, 30)
        for line in payouts.lines_of(session, run_id):
            later = claw_lines[line.seller_id]
            assert later.amount + later.clawback == line.amount
            assert later.amount <= line.amount
        assert claw.clawback == sum((c.clawback for c in claw_lines.values()), Decimal(0))
        assert payouts.replay(session, ctx, claw.id, world.con).identical
        with pytest.raises(ValidationError, match="warehouse holds data up to 2026-10-31"):
            payouts.run_payout(session, ctx, KEY, "2026-11", "user:test", world.con)
        with pytest.raises(ValidationError, match="clawback window of 2026-10 closes on"):
            payouts.run_payout(session, ctx, KEY, "2026-10", "user:test", world.con)
            payouts.run_clawback(session, ctx, KEY, "2026-10", "user:test", world.con)

    with database.unit_of_work() as session:
        body, media, name = payouts.payout_file(session, run_id, "csv")
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert media.startswith("text/csv") and name == f"payout-{KEY}-2026-09-payout.csv"
        assert len(rows) == len(enrolled) and rows[0]["form"] == "ads_credit"
        assert sum(Decimal(r["amount"]) for r in rows) == total
        book, _, _ = payouts.payout_file(session, run_id, "xlsx")
        sheet = load_workbook(io.BytesIO(book)).active
        assert sheet.max_row == len(enrolled) + 1
        # a paid program cannot change under the same version
        current = service.get_program(session, KEY)
        edited = current.source.replace("amount: 100000, name: Bronze", "amount: 90000, name: X")
        with pytest.raises(ValidationError, match="raise its version"):
            service.update_program(session, ctx, KEY, edited, current.version, "user:test")
        bumped = edited.replace("version: 1", "version: 2", 1)
        stale = current.version
        saved = service.update_program(session, ctx, KEY, bumped, stale, "user:test")
        assert saved.version == stale + 1
    with database.unit_of_work() as session, pytest.raises(ConflictError):
        service.update_program(session, ctx, KEY, bumped, stale, "user:late")
    assert settings.currency == "IDR"


def test_payout_lines_match_an_independent_count(world: World, database: Database) -> None:
    """Valid sessions, hours and the level of every paid merchant recomputed with pandas
    from the raw LIVE sessions (≥ 60 min, ≥ 1 pinned, not idle by the template's rule)."""
    import pandas as pd  # type: ignore[import-untyped]

    ctx = world.ctx
    with database.unit_of_work() as session:
        row = service.create_from_template(session, ctx, "tiered-attainment", "check", "t")
        service.set_status(session, "check", "active", row.version, "t")
        service.enrol(session, ctx, "check", dt.date(2026, 9, 30), "t", world.con)
        run = payouts.run_payout(session, ctx, "check", "2026-10", "t", world.con)
        lines = {line.seller_id: line for line in payouts.lines_of(session, run.id)}
    frame = pd.read_parquet(world.synth / "live_sessions.parquet")
    frame = frame[frame["host_type"] == "seller"]
    local = frame["started_at"].dt.tz_convert("Asia/Jakarta")
    minutes = (frame["ended_at"] - frame["started_at"]).dt.total_seconds() / 60
    october = (local.dt.date >= dt.date(2026, 10, 1)) & (local.dt.date <= dt.date(2026, 10, 31))
    idle = (frame["orders"] == 0) & (frame["product_clicks"] <= 5)
    valid = frame[october & (minutes >= 60) & (frame["products_pinned"] >= 1) & ~idle]
    counts = valid.groupby("seller_id").size()
    hours = (minutes[valid.index] / 60).groupby(valid["seller_id"]).sum()
    checked = 0
    for seller, line in lines.items():
        assert line.measures["valid_sessions"] == counts.get(seller, 0), seller
        assert line.measures["valid_hours"] == pytest.approx(hours.get(seller, 0.0), abs=1e-5)
        if line.status == "paid" and line.tier != "top":
            sessions = counts[seller]
            level = "Gold" if sessions >= 15 else "Silver" if sessions >= 8 else "Bronze"
            assert line.level == level
            checked += 1
    assert checked > 10
