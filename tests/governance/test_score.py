"""A score that falls (account health 0–1000) runs through the same ledger and ladder as
points that rise: deductions are points, the score is 1000 minus the balance."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import select

from pasar.governance.ledger import balance
from pasar.governance.models import EnforcementAction
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.policy.evaluate import FINDINGS_SCHEMA

DAY = dt.date(2026, 3, 2)


@pytest.fixture
def scheme() -> Scheme:
    return scheme_on(load_schemes(), "account-health", DAY)


def _deduct(database: Database, scheme: Scheme, day: dt.date, points: int) -> None:
    row = {name: None for name in FINDINGS_SCHEMA.names}
    row.update(
        as_of=day, pack="account-health", pack_version=1, policy_id=f"p{day.day}",
        policy_version=1, entity="seller", subject="S1", kind="points", points=points,
        category="fulfilment", values="{}", explanation_en="x", explanation_id="y",
    )  # fmt: skip
    with database.unit_of_work() as session:
        findings = pa.Table.from_pylist([row], FINDINGS_SCHEMA)
        apply_day(session, scheme, day, findings, {}, DayReport(day, "", ""))


def test_steps_apply_as_the_score_falls(database: Database, scheme: Scheme) -> None:
    assert [(s.score_at, s.at) for s in scheme.ladder] == [
        (150, 850), (100, 900), (50, 950), (0, 1000)
    ]  # fmt: skip
    _deduct(database, scheme, DAY, 800)  # score 200: within 50 of 150 → a warning
    _deduct(database, scheme, DAY + dt.timedelta(days=1), 60)  # 140: restricted, warned of 100
    _deduct(database, scheme, DAY + dt.timedelta(days=2), 200)  # score 0 (floored): all steps
    with database.unit_of_work() as session:
        assert balance(session, "S1", DAY + dt.timedelta(days=2)) == 1060
        actions = session.scalars(select(EnforcementAction).order_by(EnforcementAction.id)).all()
        seen = [(a.action, a.starts_on.day, a.status) for a in actions]
    assert seen == [
        ("warning", 2, "active"),
        ("listing_restricted", 3, "active"),
        ("warning", 3, "active"),
        ("campaign_limited", 4, "active"),
        ("shop_deactivated", 4, "active"),
        ("permanent_suspension", 4, "pending_review"),
    ]
    assert actions[0].explanation_en.startswith(
        "Warning: score 200 / 1000, 50 points away from score 150"
    )
    assert actions[1].explanation_en == (
        "score 140 / 1000 reached score 150: New listings restricted (14 days)."
    )
    assert scheme.standing(1060) == "score 0 / 1000"


def test_a_score_scheme_needs_score_steps() -> None:
    with pytest.raises(ValueError, match="needs score_start"):
        Scheme.model_validate(
            {"scheme": "s", "version": 1, "region": "US", "effective_from": DAY, "pack": "p",
             "expiry_days": 180, "model": "score", "ladder": [{"score_at": 100, "action": "a"}]}
        )  # fmt: skip
    with pytest.raises(ValueError, match="needs `at`"):
        Scheme.model_validate(
            {"scheme": "s", "version": 1, "region": "US", "effective_from": DAY, "pack": "p",
             "expiry_days": 180, "ladder": [{"score_at": 100, "action": "a"}]}
        )  # fmt: skip
