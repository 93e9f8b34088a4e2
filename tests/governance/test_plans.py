"""Plans of action on SQLite and PostgreSQL: revisions, requested changes, lifting, limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.governance.models import EnforcementAction, PlanOfAction
from pasar.governance.plans import review_plan, submit_plan
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def scheme() -> Scheme:
    return scheme_on(load_schemes(), "tokopedia-id", DAY)


def _action(database: Database, action: str = "shop_deactivated", days: int | None = 28) -> int:
    with database.unit_of_work() as session:
        row = EnforcementAction(
            dedupe_key=f"test:{action}",
            seller_id="S1",
            action=action,
            source="ladder",
            step_at=36,
            scheme="tokopedia-id@2",
            starts_on=DAY,
            ends_on=DAY + dt.timedelta(days=days - 1) if days else None,
            status="active",
        )
        session.add(row)
        session.flush()
        return row.id


def _submit(database: Database, scheme: Scheme, action: int, on: dt.date) -> int:
    with database.unit_of_work() as session:
        plan = submit_plan(
            session, scheme, action, ["weekend understaffing"], ["hired two packers"],
            ["weekend rota"], ["rota.pdf"], on, "seller:S1",
        )  # fmt: skip
        return plan.id


def test_changes_requested_then_accepted_lifts_the_action(
    database: Database, scheme: Scheme
) -> None:
    action = _action(database)
    first = _submit(database, scheme, action, DAY + dt.timedelta(days=1))
    with database.unit_of_work() as session:
        review_plan(session, first, "request_changes", "rina", "greater detail on prevention", DAY)
    with (
        pytest.raises(ValidationError, match="at least one preventive measure"),
        database.unit_of_work() as session,
    ):
        submit_plan(session, scheme, action, ["a"], ["b"], ["  "], ["e"], DAY, "seller:S1")
    second = _submit(database, scheme, action, DAY + dt.timedelta(days=3))
    with database.unit_of_work() as session:
        review_plan(session, second, "accept", "rina", "complete", DAY + dt.timedelta(days=5))
    with database.unit_of_work() as session:
        lifted = session.get(EnforcementAction, action)
        assert lifted is not None
        assert (lifted.status, lifted.ends_on) == ("lifted", DAY + dt.timedelta(days=4))
        assert not lifted.in_force(DAY + dt.timedelta(days=5))
        assert lifted.in_force(DAY + dt.timedelta(days=4)) is False  # lifted: no longer active
        history = session.scalars(select(PlanOfAction).order_by(PlanOfAction.revision)).all()
        assert [(p.revision, p.status) for p in history] == [
            (1, "changes_requested"),
            (2, "accepted"),
        ]
        events = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert events[-1] == "action.lifted"


def test_one_plan_under_review_at_a_time_and_final_decisions(
    database: Database, scheme: Scheme
) -> None:
    action = _action(database)
    plan = _submit(database, scheme, action, DAY)
    with pytest.raises(ConflictError, match="still waiting for review"):
        _submit(database, scheme, action, DAY)
    with database.unit_of_work() as session:
        review_plan(session, plan, "reject", "rina", "no evidence of the new rota", DAY)
    with pytest.raises(ConflictError, match="already rejected"):
        _submit(database, scheme, action, DAY)
    with (
        pytest.raises(ConflictError, match="already reviewed"),
        database.unit_of_work() as session,
    ):
        review_plan(session, plan, "accept", "budi", "ok", DAY)


def test_only_the_actions_the_scheme_names_take_a_plan(database: Database, scheme: Scheme) -> None:
    action = _action(database, "campaign_limited", 7)
    with pytest.raises(ValidationError, match="campaign_limited is not lifted by a plan"):
        _submit(database, scheme, action, DAY)
