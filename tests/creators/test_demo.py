"""The collaboration demo on the small generated marketplace: samples in every state, a live
pipeline with overdue reminders, a voucher within budget and a desk with escalations — all
for the demo agent's creators, and nothing added the second time."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pasar import migrations
from pasar.audit.models import AuditEvent
from pasar.auth.models import User
from pasar.config import Settings
from pasar.creators import pitches, sample_rules, samples
from pasar.creators.agencies import agencies
from pasar.creators.analytics import creator_levels
from pasar.creators.assignments import assign
from pasar.creators.collaboration_models import (
    CreatorIssue,
    Pitch,
    SampleRequest,
    SampleVoucher,
    VoucherCode,
)
from pasar.creators.days import today
from pasar.creators.demo import DEMO_AGENCY, seed_demo
from pasar.creators.eligibility import standing_of
from pasar.creators.profiles import find_creators
from pasar.kit.db import Database
from pasar.metrics.catalog import load_catalog
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.query import latest_day
from pasar.metrics.snapshots import build_snapshots
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile
from tests.creators.collab_fixtures import add_user


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("collab-demo")
    generate(load_profile("small"), root / "synth")
    settings = Settings(home=root / "home")
    assert ingest(IngestRequest([root / "synth"], source="generic"), settings).status == "committed"
    con = engine.connect(Warehouse(settings.warehouse_dir))
    build_snapshots("creator", [latest_day(con, settings.timezone)], settings, load_catalog(), con)
    con.close()
    return settings.home


def test_the_demo_shows_every_state(home: Path, tmp_path: Path) -> None:
    settings = Settings(home=home, database_url=f"sqlite:///{tmp_path / 'store.db'}")
    migrations.upgrade(settings.database_url)
    db = Database(settings.database_url)
    day = today()
    creators = [c["creator_id"] for c in find_creators(settings, None)[:25]]
    add_user(db, "agent", "agent")
    add_user(db, "creator-manager", "creator_manager")
    with db.unit_of_work() as session:
        agent = session.scalars(select(User).where(User.username == "agent")).one()
        assign(session, agent, creators, day - dt.timedelta(days=60), "demo")
    with db.unit_of_work() as session:
        report = seed_demo(session, settings, day)
    assert not report.skipped, report.skipped
    with db.unit_of_work() as session:
        rows = session.scalars(select(SampleRequest)).all()
        assert {s.creator_id for s in rows} <= set(creators)
        statuses = Counter(s.status for s in rows)
        for status in (
            "requested",
            "expired",
            "rejected",
            "withdrawn",
            "approved",
            "shipped",
            "delivered",
            "posted",
            "cancelled",
        ):
            assert statuses[status] >= 1, (status, statuses)
        overdue = [s for s in rows if s.overdue_flagged_at is not None]
        assert overdue and all(s.status == "delivered" for s in overdue)
        assert samples.overdue(session, frozenset(creators))  # flagged to the point of contact
        assert any(s.extended_at is not None and s.status == "delivered" for s in rows)
        assert {s.posted_late for s in rows if s.status == "posted"} == {True, False}
        assert {s.refund_status for s in rows if s.kind == "refundable"} >= {"earned", "pending"}
        live = [s for s in rows if samples.deadline(s)["what"] == "content"]
        assert any(samples.deadline(s)["days_left"] > 0 for s in live)
        stages = Counter(p.stage for p in session.scalars(select(Pitch)))
        assert {"shortlisted", "contacted", "replied", "agreed", "declined", "ghosted"} <= set(
            stages
        )
        assert stages["sample_sent"] + stages["content_posted"] + stages["agreed"] >= 1
        assert pitches.overdue(session, day)
        voucher = session.scalars(select(SampleVoucher)).one()
        redeemed = session.scalars(
            select(VoucherCode).where(VoucherCode.redeemed_at.is_not(None))
        ).all()
        assert voucher.spent == sum(c.amount for c in redeemed if c.amount) <= voucher.budget
        assert len(redeemed) == 2
        desk = session.scalars(select(CreatorIssue)).all()
        assert {i.status for i in desk} == {"open", "responded", "resolved"}
        assert max(i.escalation_level for i in desk) == 2 and any(i.reopened for i in desk)
        assert (session.scalar(select(func.count()).select_from(AuditEvent)) or 0) > 100
        [agency] = agencies(session, day)  # the demo agent works for an outsourced agency
        assert agency["name"] == DEMO_AGENCY and agency["agents"] == ["agent"]
        before = session.scalar(select(func.count()).select_from(SampleRequest))
    with db.unit_of_work() as session:
        again = seed_demo(session, settings, day)
        assert (
            again.skipped
            and session.scalar(select(func.count()).select_from(SampleRequest)) == before
        )
    db.dispose()


def test_levels_and_caps_come_from_creator_analytics(home: Path, tmp_path: Path) -> None:
    """A sample's level is the Creator Level analytics shows for the month (from the previous
    month's GMV and active days), and its cap follows it."""
    settings = Settings(home=home, database_url=f"sqlite:///{tmp_path / 'store.db'}")
    migrations.upgrade(settings.database_url)
    db = Database(settings.database_url)
    con = Warehouse(settings.warehouse_dir).connect()
    november = creator_levels(con, dt.date(2026, 11, 1))  # from October's activity
    con.close()
    ranked = sorted(november, key=lambda c: (-int(november[c][1:]), c))
    assert int(november[ranked[0]][1:]) > 0
    with db.unit_of_work() as session:
        for creator in [*ranked[:3], "C-unknown"]:
            standing = standing_of(session, settings, creator, dt.date(2026, 11, 20))
            expected = int(november.get(creator, "L0")[1:])
            assert (standing.level, standing.level_month) == (expected, dt.date(2026, 11, 1))
            cap = samples.cap_status(session, creator, standing.level, dt.date(2026, 11, 20))
            assert cap.cap == sample_rules.monthly_cap(expected)
    db.dispose()
