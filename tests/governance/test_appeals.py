"""Appeals on SQLite and PostgreSQL: the limits and deadlines of the shipped scheme, evidence
checklists, reversal of points with recomputed actions, and two reviewers at once.

The seller's history is written with ``apply_day`` from hand-made findings: 4 points a day
(a repeat offence after the first day) so the balance crosses the ladder on known dates.
"""

from __future__ import annotations

import datetime as dt
import threading

import pyarrow as pa
import pytest
from sqlalchemy import func, select

from pasar.audit.models import AuditEvent
from pasar.governance import appeals
from pasar.governance.ledger import balance
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.policy.evaluate import FINDINGS_SCHEMA

START = dt.date(2026, 3, 2)
EVIDENCE = {
    "impacted order ids": "O1, O2",
    "courier handover proof or tracking": "handover.pdf",
    "explanation": "the courier missed two pickups",
}


@pytest.fixture
def scheme() -> Scheme:
    return scheme_on(load_schemes(), "tokopedia-id", START)


def _findings(day: dt.date, seller: str, points: int, points_max: int) -> pa.Table:
    row = {name: None for name in FINDINGS_SCHEMA.names}
    row.update(
        as_of=day,
        pack="tokopedia-id",
        pack_version=2,
        policy_id="late-dispatch-points",
        policy_version=2,
        entity="seller",
        subject=seller,
        kind="points",
        severity="medium",
        category="fulfilment",
        points=points,
        points_max=points_max,
        explanation_en="Late dispatch rate 25.0% …",
        explanation_id="Tingkat keterlambatan 25,0% …",
        values='{"late_dispatch_rate_7d": 0.25}',
    )
    return pa.Table.from_pylist([row], FINDINGS_SCHEMA)


def _history(database: Database, scheme: Scheme, days: int, seller: str = "S1") -> list[int]:
    """``days`` daily violations from START: 2 points, then 4 (repeats); the entry ids."""
    for offset in range(days):
        day = START + dt.timedelta(days=offset)
        with database.unit_of_work() as session:
            apply_day(
                session, scheme, day, _findings(day, seller, 2, 4), {}, DayReport(day, "", "")
            )
    with database.unit_of_work() as session:
        query = select(PointsEntry.id).where(PointsEntry.kind == "issue").order_by(PointsEntry.id)
        return list(session.scalars(query))


def _submit(database: Database, scheme: Scheme, entry: int, on: dt.date) -> int:
    with database.unit_of_work() as session:
        appeal = appeals.submit(
            session, scheme, entry, "logistics_provider", EVIDENCE, "courier fault", on, "seller:S1"
        )
        return appeal.id


def _decide(database: Database, scheme: Scheme, appeal: int, decision: str, on: dt.date) -> None:
    with database.unit_of_work() as session:
        appeals.decide(session, scheme, appeal, decision, "rina", "checked the tracking", on)


def test_accepted_appeal_reverses_points_and_recomputes_actions(
    database: Database, scheme: Scheme
) -> None:
    # balances: 2, 6, 10, 14 (12 crossed on day 4 = 5 Mar), 18, 22 (warning: 19 ≥ 24-5)
    entries = _history(database, scheme, 6)
    appeal = _submit(database, scheme, entries[0], START + dt.timedelta(days=10))
    _decide(database, scheme, appeal, "accept", START + dt.timedelta(days=12))
    with database.unit_of_work() as session:
        assert balance(session, "S1", START + dt.timedelta(days=5)) == 20  # 22 − 2
        assert balance(session, "S1", START + dt.timedelta(days=2)) == 8  # corrected history
        reversal = session.scalars(select(PointsEntry).where(PointsEntry.kind == "reversal")).one()
        assert (reversal.points, reversal.effective_on, reversal.offsets_id) == (
            -2,
            START,
            entries[0],
        )
        actions = {
            (a.action, a.starts_on): a
            for a in session.scalars(select(EnforcementAction).order_by(EnforcementAction.id))
        }
        # 12 first reached on 5 Mar; without the 2 points it is still reached that day (12)
        limited = actions[("campaign_limited", dt.date(2026, 3, 5))]
        assert limited.status == "active"
        # the warning of 7 Mar (balance 22 ≥ 19) still holds with 20
        assert actions[("warning", dt.date(2026, 3, 7))].status == "active"
        events = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "appeal.accepted" in events and "points.reversed" in events


def test_reversal_lifts_an_action_the_corrected_balance_no_longer_reaches(
    database: Database, scheme: Scheme
) -> None:
    # balances: 2, 6, 10, 14: 12 crossed on 5 Mar; without day 4's 4 points: 10 (not reached)
    entries = _history(database, scheme, 4)
    appeal = _submit(database, scheme, entries[3], dt.date(2026, 3, 6))
    _decide(database, scheme, appeal, "accept", dt.date(2026, 3, 7))
    with database.unit_of_work() as session:
        limited = session.scalars(
            select(EnforcementAction).where(EnforcementAction.action == "campaign_limited")
        ).one()
        # it was in force on 5 and 6 March, reversed from the decision day
        assert (limited.status, limited.ends_on) == ("reversed", dt.date(2026, 3, 6))
        assert balance(session, "S1", dt.date(2026, 3, 7)) == 10


def test_second_appeal_only_after_a_rejection_and_within_15_days(
    database: Database, scheme: Scheme
) -> None:
    entries = _history(database, scheme, 1)
    first = _submit(database, scheme, entries[0], START + dt.timedelta(days=30))  # last day
    with pytest.raises(ConflictError, match="already waiting"):
        _submit(database, scheme, entries[0], START + dt.timedelta(days=30))
    rejected_on = START + dt.timedelta(days=31)
    _decide(database, scheme, first, "reject", rejected_on)
    with pytest.raises(ValidationError, match="within 15 days of the rejection"):
        _submit(database, scheme, entries[0], rejected_on + dt.timedelta(days=16))
    second = _submit(database, scheme, entries[0], rejected_on + dt.timedelta(days=15))
    _decide(database, scheme, second, "reject", rejected_on + dt.timedelta(days=16))
    with pytest.raises(ValidationError, match="at most 2 times"):
        _submit(database, scheme, entries[0], rejected_on + dt.timedelta(days=17))
    with database.unit_of_work() as session:
        numbers = session.scalars(select(Appeal.number).order_by(Appeal.id)).all()
        assert numbers == [1, 2]
        assert balance(session, "S1", START + dt.timedelta(days=60)) == 2  # nothing reversed


def test_first_appeal_after_30_days_is_late(database: Database, scheme: Scheme) -> None:
    entries = _history(database, scheme, 1)
    with pytest.raises(ValidationError, match=r"within 30 days .* by 2026-04-01"):
        _submit(database, scheme, entries[0], START + dt.timedelta(days=31))


def test_evidence_checklist_and_reasons(database: Database, scheme: Scheme) -> None:
    entries = _history(database, scheme, 1)
    with database.unit_of_work() as session:
        with pytest.raises(ValidationError, match="courier handover proof or tracking"):
            appeals.submit(
                session, scheme, entries[0], "logistics_provider",
                {"impacted order ids": "O1", "explanation": "x"}, "why", START, "seller:S1",
            )  # fmt: skip
        with pytest.raises(ValidationError, match="did you mean logistics_provider"):
            appeals.submit(
                session, scheme, entries[0], "logistic_provider", EVIDENCE, "why", START, "s"
            )
        with pytest.raises(NotFoundError, match="no violation 999"):
            appeals.submit(session, scheme, 999, "logistics_provider", EVIDENCE, "w", START, "s")


def test_an_accepted_appeal_is_final(database: Database, scheme: Scheme) -> None:
    entries = _history(database, scheme, 1)
    appeal = _submit(database, scheme, entries[0], START)
    _decide(database, scheme, appeal, "accept", START + dt.timedelta(days=1))
    with pytest.raises(ConflictError, match="already accepted"):
        _submit(database, scheme, entries[0], START + dt.timedelta(days=2))
    with pytest.raises(ConflictError, match="already accepted by rina"):
        _decide(database, scheme, appeal, "reject", START + dt.timedelta(days=2))


def test_two_reviewers_at_once_one_decision_wins(database: Database, scheme: Scheme) -> None:
    entries = _history(database, scheme, 1)
    appeal = _submit(database, scheme, entries[0], START)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(decision: str, reviewer: str) -> None:
        try:
            with database.unit_of_work() as session:
                found = session.get(Appeal, appeal)
                assert found is not None
                seen = found.version
                session.expire_all()
                barrier.wait(timeout=10)
                appeals.decide(session, scheme, appeal, decision, reviewer, "checked", START, seen)
            outcomes.append(f"{reviewer}:ok")
        except ConflictError:
            outcomes.append(f"{reviewer}:conflict")

    threads = [
        threading.Thread(target=review, args=("accept", "rina")),
        threading.Thread(target=review, args=("reject", "budi")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(o.split(":")[1] for o in outcomes) == ["conflict", "ok"], outcomes
    with database.unit_of_work() as session:
        decided = session.get(Appeal, appeal)
        assert decided is not None and decided.status in ("accepted", "rejected")
        winner = next(o.split(":")[0] for o in outcomes if o.endswith("ok"))
        assert decided.decided_by == winner
        reversals = session.scalar(select(func.count()).where(PointsEntry.kind == "reversal"))
        assert reversals == (1 if decided.status == "accepted" else 0)
