"""Linked accounts on SQLite and PostgreSQL: an approved permanent suspension queues the
owner's other shops; a shop of a suspended owner is flagged by the next pipeline day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import select

from pasar.config import Settings
from pasar.governance.linked import flag_banned_owners, linked_shops, owners_of, warehouse_owners
from pasar.governance.models import EnforcementAction
from pasar.governance.review import decide_action, waiting
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError
from pasar.warehouse.store import Warehouse
from tests.cli.test_metrics_cli import run

DAY = dt.date(2026, 3, 2)
OWNERS = {"S1": "KTP-1", "S2": "KTP-1", "S3": "KTP-1", "S4": "KTP-9"}


@pytest.fixture
def scheme() -> Scheme:
    return scheme_on(load_schemes(), "tokopedia-id", DAY)


def test_owners_come_from_the_sellers_table() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE sellers AS SELECT * FROM (VALUES ('S1', 'KTP-1'), ('S2', 'KTP-1'), "
        "('S3', NULL), ('S4', '  ')) t(seller_id, owner_ref)"
    )
    owners = owners_of(con)
    assert owners == {"S1": "KTP-1", "S2": "KTP-1"}
    assert linked_shops(owners, "S1") == ["S2"]
    assert linked_shops(owners, "S3") == []


def _queued_suspension(database: Database, seller: str = "S1") -> int:
    with database.unit_of_work() as session:
        action = EnforcementAction(
            dedupe_key=f"ladder:test:{seller}:48",
            seller_id=seller,
            action="permanent_suspension",
            source="ladder",
            step_at=48,
            scheme="tokopedia-id@2",
            starts_on=DAY,
            status="pending_review",
            review_reason="permanent_suspension is never applied automatically",
        )
        session.add(action)
        session.flush()
        return action.id


def test_approving_a_suspension_queues_the_linked_shops(database: Database, scheme: Scheme) -> None:
    action = _queued_suspension(database)
    later = DAY + dt.timedelta(days=2)
    with database.unit_of_work() as session:
        linked = decide_action(
            session, scheme, action, "approve", "rina", "48 points", later, OWNERS
        )
        assert sorted(a.seller_id for a in linked) == ["S2", "S3"]
    with database.unit_of_work() as session:
        approved = session.get(EnforcementAction, action)
        assert approved is not None
        assert (approved.status, approved.starts_on, approved.decided_by) == (
            "active",
            later,
            "rina",
        )
        queue = waiting(session)
        assert [(a.seller_id, a.source) for a in queue] == [("S2", "linked"), ("S3", "linked")]
        assert "KTP-1" in (queue[0].review_reason or "")
        # the next pipeline day flags nothing new: the shops are already in the queue
        assert flag_banned_owners(session, scheme, OWNERS, later, "pipeline") == []
    with database.unit_of_work() as session, pytest.raises(ConflictError, match="is active"):
        decide_action(session, scheme, action, "reject", "budi", "no", later, OWNERS)


def test_a_new_shop_of_a_suspended_owner_is_flagged(database: Database, scheme: Scheme) -> None:
    action = _queued_suspension(database)
    with database.unit_of_work() as session:
        decide_action(session, scheme, action, "approve", "rina", "48 points", DAY, {"S1": "KTP-1"})
    owners = {**OWNERS, "S9": "KTP-1"}  # a shop the owner opened afterwards
    with database.unit_of_work() as session:
        flagged = flag_banned_owners(
            session, scheme, owners, DAY + dt.timedelta(days=5), "pipeline"
        )
        assert sorted(a.seller_id for a in flagged) == ["S2", "S3", "S9"]
    with database.unit_of_work() as session:
        again = flag_banned_owners(session, scheme, owners, DAY + dt.timedelta(days=6), "pipeline")
        assert again == []  # flagged once
        rows = session.scalars(
            select(EnforcementAction.seller_id).where(EnforcementAction.source == "linked")
        ).all()
        assert sorted(rows) == ["S2", "S3", "S9"]


def test_rejected_suspension_queues_nothing(database: Database, scheme: Scheme) -> None:
    action = _queued_suspension(database)
    with database.unit_of_work() as session:
        assert decide_action(session, scheme, action, "reject", "rina", "error", DAY, OWNERS) == []
        assert waiting(session) == []


def test_owners_are_read_from_the_warehouse_only_when_needed(
    pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    warehouse = Warehouse(Settings(home=pasar_home).warehouse_dir)
    assert warehouse_owners(warehouse)({"S1"}) == {}  # nothing ingested yet
    sellers = tmp_path / "sellers.csv"
    sellers.write_text(
        "seller_id,shop_name,owner_ref\nS1,One,KTP-1\nS2,Two,KTP-1\nS3,Three,KTP-2\n"
    )
    code, _, err = run(capsys, "ingest", str(sellers))
    assert code == 0, err
    assert warehouse_owners(warehouse)({"S2"}) == {"S1": "KTP-1", "S2": "KTP-1"}
