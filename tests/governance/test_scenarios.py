"""Governance scenarios on SQLite and PostgreSQL: points, expiry, terminal level, repeat
offences, the ladder with warnings and human review, quarterly resets, idempotent days,
the append-only ledger and its audit trail.

Every expected date and number is written out by hand from the scheme's rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from pasar.audit.models import AuditEvent
from pasar.governance.ledger import balance, balance_as_of, moves_of
from pasar.governance.models import EnforcementAction, GovernanceRun, PointsEntry
from pasar.governance.review import waiting
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.errors import ValidationError
from tests.governance._helpers import (
    action,
    actions,
    entries,
    make_scheme,
    points,
    run_day,
)

D = dt.date


def _shipped(version: int) -> Scheme:
    [scheme] = [s for s in load_schemes() if s.scheme == "tokopedia-id" and s.version == version]
    return scheme


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# --- the ladder -----------------------------------------------------------------------------


def test_crossing_12_then_24_starts_each_step_once_with_a_warning_before(
    database: Database,
) -> None:
    scheme = _shipped(2)  # 12 (7 days) / 24 (two open-ended) / 36 / 48, margin 5
    hits = {
        D(2026, 3, 2): [points(D(2026, 3, 2), "S1", "late_dispatch", 4)],  # 4
        D(2026, 3, 4): [points(D(2026, 3, 4), "S1", "cancel_rate", 3)],  # 7: warning for 12
        D(2026, 3, 5): [points(D(2026, 3, 5), "S1", "chat_reply", 3)],  # 10
        D(2026, 3, 9): [points(D(2026, 3, 9), "S1", "fake_stock", 3)],  # 13: crosses 12
        D(2026, 3, 10): [points(D(2026, 3, 10), "S1", "counterfeit", 6)],  # 19: warning for 24
        D(2026, 3, 12): [points(D(2026, 3, 12), "S1", "prohibited", 6)],  # 25: crosses 24
        D(2026, 3, 13): [points(D(2026, 3, 13), "S1", "off_platform", 2)],  # 27
        D(2026, 3, 20): [points(D(2026, 3, 20), "S1", "misleading", 1)],  # 28
    }
    for day in _days(D(2026, 3, 1), D(2026, 3, 25)):
        report = run_day(database, scheme, day, hits.get(day, []))
        if day == D(2026, 3, 12):
            assert (report.issued, report.points_issued, report.actions) == (1, 6, 2)
            assert report.warnings == 0
    # a later day keeping the balance above every crossed step changes nothing
    for day in (D(2026, 3, 12), D(2026, 3, 13)):  # and re-running days writes nothing
        run_day(database, scheme, day, hits[day])

    with database.unit_of_work() as session:
        got = actions(session, "S1")
        assert [balance(session, "S1", d) for d in (D(2026, 3, 1), D(2026, 3, 4))] == [0, 7]
        assert balance(session, "S1", D(2026, 3, 25)) == 28
    assert got == [
        ("warning", "warning", 12, D(2026, 3, 4), D(2026, 3, 4), "active", 7),
        ("campaign_limited", "ladder", 12, D(2026, 3, 9), D(2026, 3, 15), "active", 13),
        ("warning", "warning", 24, D(2026, 3, 10), D(2026, 3, 10), "active", 19),
        ("campaign_and_affiliate_removed", "ladder", 24, D(2026, 3, 12), None, "active", 25),
        ("new_listings_capped", "ladder", 24, D(2026, 3, 12), None, "active", 25),
    ]


def test_a_jump_over_two_steps_starts_both_and_warns_only_for_the_next(
    database: Database,
) -> None:
    scheme = make_scheme(
        ladder=[
            {"at": 12, "action": "campaign_limited", "days": 7},
            {"at": 24, "action": "campaign_and_affiliate_removed"},
            {"at": 36, "action": "shop_deactivated", "days": 28},
        ]
    )
    run_day(database, scheme, D(2026, 5, 4), [points(D(2026, 5, 4), "S1", "fraud", 31)])
    with database.unit_of_work() as session:
        got = actions(session, "S1")
    assert got == [
        ("campaign_limited", "ladder", 12, D(2026, 5, 4), D(2026, 5, 10), "active", 31),
        ("campaign_and_affiliate_removed", "ladder", 24, D(2026, 5, 4), None, "active", 31),
        ("warning", "warning", 36, D(2026, 5, 4), D(2026, 5, 4), "active", 31),
    ]


# --- expiry ---------------------------------------------------------------------------------


def test_points_expire_exactly_90_days_after_issue_under_tokopedia_id_2(
    database: Database,
) -> None:
    scheme = _shipped(2)
    assert scheme.expiry_days == 90
    run_day(database, scheme, D(2025, 11, 3), [points(D(2025, 11, 3), "S1", "late_dispatch", 5)])
    run_day(database, scheme, D(2026, 1, 31))
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2026, 1, 31)) == 5  # the day before expiry
    run_day(database, scheme, D(2026, 2, 1))
    run_day(database, scheme, D(2026, 2, 2))
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2026, 1, 31)) == 5
        assert balance(session, "S1", D(2026, 2, 1)) == 0  # issue day + 90
        assert balance(session, "S1", D(2026, 2, 2)) == 0
        [issue, expiry] = entries(session, "S1")
    assert (issue.kind, issue.effective_on, issue.expires_on) == (
        "issue",
        D(2025, 11, 3),
        D(2026, 2, 1),
    )
    assert (expiry.kind, expiry.points, expiry.effective_on, expiry.offsets_id) == (
        "expiry",
        -5,
        D(2026, 2, 1),
        issue.id,
    )


def test_points_issued_under_tokopedia_id_1_expire_after_180_days(database: Database) -> None:
    schemes = load_schemes()
    issued = D(2025, 7, 1)
    scheme = scheme_on(schemes, "tokopedia-id", issued)
    assert (scheme.version, scheme.expiry_days) == (1, 180)
    run_day(database, scheme, issued, [points(issued, "S1", "late_dispatch", 3)])
    # a day in version 1 that is 90 days later: the points are still there
    run_day(database, scheme, D(2025, 9, 29))
    # later days run under the version then in force (version 2, 90-day expiry for new points)
    for day in (D(2025, 12, 27), D(2025, 12, 28)):
        run_day(database, scheme_on(schemes, "tokopedia-id", day), day)
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2025, 9, 29)) == 3
        assert balance(session, "S1", D(2025, 12, 27)) == 3  # the day before issue + 180
        assert balance(session, "S1", D(2025, 12, 28)) == 0  # issue + 180
        [issue, expiry] = entries(session, "S1")
    assert issue.expires_on == D(2025, 12, 28)
    assert (expiry.effective_on, expiry.points, expiry.scheme) == (
        D(2025, 12, 28),
        -3,
        "tokopedia-id@2",
    )


def test_the_terminal_level_stops_expiry_and_suspension_waits_for_a_person(
    database: Database,
) -> None:
    scheme = _shipped(2)
    run_day(database, scheme, D(2026, 1, 5), [points(D(2026, 1, 5), "S1", "counterfeit", 20)])
    run_day(database, scheme, D(2026, 1, 6), [points(D(2026, 1, 6), "S1", "prohibited", 20)])
    run_day(database, scheme, D(2026, 1, 7), [points(D(2026, 1, 7), "S1", "fake_stock", 8)])
    for day in (*_days(D(2026, 4, 4), D(2026, 4, 8)), D(2026, 7, 1), D(2026, 12, 31)):
        run_day(database, scheme, day)
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2026, 1, 7)) == 48
        assert balance(session, "S1", D(2026, 4, 5)) == 48  # 90 days after the first issue
        assert balance(session, "S1", D(2026, 12, 31)) == 48
        assert [e.kind for e in entries(session, "S1")] == ["issue", "issue", "issue"]
        suspension = session.scalars(
            select(EnforcementAction).where(EnforcementAction.action == "permanent_suspension")
        ).one()
        queue = [a.action for a in waiting(session)]
        got = actions(session, "S1")
    assert (suspension.status, suspension.starts_on, suspension.balance) == (
        "pending_review",
        D(2026, 1, 7),
        48,
    )
    assert suspension.review_reason == "permanent_suspension is never applied automatically"
    assert queue == ["permanent_suspension"]
    assert ("permanent_suspension", "active") not in {(a[0], a[5]) for a in got}
    assert got == [
        ("campaign_limited", "ladder", 12, D(2026, 1, 5), D(2026, 1, 11), "active", 20),
        ("warning", "warning", 24, D(2026, 1, 5), D(2026, 1, 5), "active", 20),
        ("campaign_and_affiliate_removed", "ladder", 24, D(2026, 1, 6), None, "active", 40),
        ("new_listings_capped", "ladder", 24, D(2026, 1, 6), None, "active", 40),
        ("shop_deactivated", "ladder", 36, D(2026, 1, 6), D(2026, 2, 2), "active", 40),
        ("benefits_removed", "ladder", 36, D(2026, 1, 6), D(2026, 3, 6), "active", 40),
        ("permanent_suspension", "ladder", 48, D(2026, 1, 7), None, "pending_review", 48),
    ]


def test_below_the_terminal_level_points_expire_on_schedule(database: Database) -> None:
    scheme = make_scheme(expiry_days=10, terminal_points=10)
    run_day(database, scheme, D(2026, 6, 1), [points(D(2026, 6, 1), "S1", "late", 9)])
    run_day(database, scheme, D(2026, 6, 1), [points(D(2026, 6, 1), "S2", "late", 10)])
    for day in _days(D(2026, 6, 2), D(2026, 6, 12)):
        run_day(database, scheme, day)
    with database.unit_of_work() as session:
        assert [balance(session, "S1", d) for d in (D(2026, 6, 10), D(2026, 6, 11))] == [9, 0]
        assert [balance(session, "S2", d) for d in (D(2026, 6, 10), D(2026, 6, 11))] == [10, 10]


# --- repeat offences ------------------------------------------------------------------------


def test_a_repeat_within_the_window_takes_points_max(database: Database) -> None:
    scheme = make_scheme(
        repeat_window_days=10, expiry_days=200, ladder=[{"at": 100, "action": "x"}]
    )
    plan = {
        D(2026, 3, 1): [points(D(2026, 3, 1), "S1", "late", 2, 4)],  # first: 2
        D(2026, 3, 11): [  # 10 days later: a repeat (4); another policy is not a repeat
            points(D(2026, 3, 11), "S1", "late", 2, 4),
            points(D(2026, 3, 11), "S1", "cancel", 2, 4),
        ],
        D(2026, 3, 22): [points(D(2026, 3, 22), "S1", "late", 2, 4)],  # 11 days after: 2
        D(2026, 3, 25): [points(D(2026, 3, 25), "S1", "late", 3)],  # repeat, no range: 3
        D(2026, 3, 26): [points(D(2026, 3, 26), "S2", "late", 2, 4)],  # other seller: 2
    }
    for day, rows in plan.items():
        run_day(database, scheme, day, rows)
    with database.unit_of_work() as session:
        got = [
            (e.effective_on, e.policy_id, e.points, e.repeat)
            for e in [*entries(session, "S1"), *entries(session, "S2")]
        ]
    assert got == [
        (D(2026, 3, 1), "late", 2, False),
        (D(2026, 3, 11), "late", 4, True),
        (D(2026, 3, 11), "cancel", 2, False),
        (D(2026, 3, 22), "late", 2, False),
        (D(2026, 3, 25), "late", 3, True),
        (D(2026, 3, 26), "late", 2, False),
    ]


# --- human review ---------------------------------------------------------------------------


def test_a_seller_at_or_above_the_gmv_threshold_goes_to_review(database: Database) -> None:
    scheme = make_scheme(human_review_gmv_30d=1_000_000)
    day = D(2026, 8, 3)
    gmv = {"BIG": 2_500_000.0, "EDGE": 1_000_000.0, "SMALL": 999_999.0}
    rows = [points(day, seller, "late", 12) for seller in ("BIG", "EDGE", "SMALL")]
    rows.append(action(day, "BIG", "order_cap", "order_cap", 14, 50.0))
    rows.append(action(day, "SMALL", "order_cap", "order_cap", 14, 50.0))
    report = run_day(database, scheme, day, rows, gmv)
    assert (report.actions, report.queued) == (5, 3)
    with database.unit_of_work() as session:
        got = {
            (a.seller_id, a.action): (a.status, a.review_reason, a.starts_on, a.ends_on, a.value)
            for a in session.scalars(select(EnforcementAction))
        }
    big = "30-day GMV"
    assert got[("BIG", "campaign_limited")][0] == "pending_review"
    assert big in (got[("BIG", "campaign_limited")][1] or "")
    assert got[("EDGE", "campaign_limited")][0] == "pending_review"
    assert got[("SMALL", "campaign_limited")] == ("active", None, day, D(2026, 8, 9), None)
    assert got[("BIG", "order_cap")][0] == "pending_review"
    assert got[("BIG", "order_cap")][2:] == (day, D(2026, 8, 16), 50.0)
    assert got[("SMALL", "order_cap")] == ("active", None, day, D(2026, 8, 16), 50.0)


# --- open-ended actions end -----------------------------------------------------------------


def test_an_open_ended_action_ends_when_expiries_bring_the_balance_below(
    database: Database,
) -> None:
    scheme = make_scheme(expiry_days=10)
    plan = {
        D(2026, 3, 1): [points(D(2026, 3, 1), "S1", "late", 14)],  # 14: crosses 12
        D(2026, 3, 3): [points(D(2026, 3, 3), "S1", "fraud", 12)],  # 26: crosses 24
    }
    for day in _days(D(2026, 3, 1), D(2026, 3, 14)):
        run_day(database, scheme, day, plan.get(day))
    with database.unit_of_work() as session:
        assert [
            balance(session, "S1", d)
            for d in (D(2026, 3, 10), D(2026, 3, 11), D(2026, 3, 12), D(2026, 3, 13))
        ] == [26, 12, 12, 0]
        got = actions(session, "S1")
        [ended] = session.scalars(
            select(EnforcementAction).where(EnforcementAction.status == "ended")
        ).all()
        trail = session.scalars(
            select(AuditEvent).where(
                AuditEvent.entity_type == "enforcement_action",
                AuditEvent.entity_id == str(ended.id),
            )
        ).all()
    assert got == [
        ("campaign_limited", "ladder", 12, D(2026, 3, 1), D(2026, 3, 7), "active", 14),
        (
            "campaign_and_affiliate_removed",
            "ladder",
            24,
            D(2026, 3, 3),
            D(2026, 3, 10),
            "ended",
            26,
        ),
    ]
    assert [e.action for e in trail] == ["action.started", "action.ended"]
    assert trail[1].context == {"scheme": "test-scheme@1", "day": "2026-03-11"}
    assert trail[1].before is not None and trail[1].before["status"] == "active"
    assert trail[1].after is not None and trail[1].after["ends_on"] == "2026-03-10"


# --- quarterly resets -----------------------------------------------------------------------


def test_a_quarterly_reset_clears_the_balance_and_cleared_points_never_expire(
    database: Database,
) -> None:
    scheme = make_scheme(reset="quarterly", expiry_days=60)
    plan = {
        D(2025, 12, 22): [points(D(2025, 12, 22), "S1", "late", 5)],  # would expire 2026-02-20
        D(2026, 1, 1): [points(D(2026, 1, 1), "S1", "cancel", 3)],  # after the reset; 03-02
        D(2026, 3, 22): [points(D(2026, 3, 22), "S1", "late", 4)],  # would expire 05-21
        D(2026, 6, 21): [points(D(2026, 6, 21), "S1", "late", 6)],  # would expire 08-20
        D(2026, 9, 21): [points(D(2026, 9, 21), "S1", "late", 7)],  # would expire 11-20
    }
    expected = {
        D(2025, 12, 22): 5,
        D(2025, 12, 31): 5,
        D(2026, 1, 1): 3,  # reset (−5), then 3 new
        D(2026, 2, 1): 3,  # not a quarter start
        D(2026, 2, 20): 3,  # the reset 5 points do not expire again
        D(2026, 3, 2): 0,  # the 3 points of 1 Jan expire normally
        D(2026, 3, 22): 4,
        D(2026, 3, 31): 4,
        D(2026, 4, 1): 0,
        D(2026, 5, 1): 0,
        D(2026, 5, 21): 0,
        D(2026, 6, 21): 6,
        D(2026, 6, 30): 6,
        D(2026, 7, 1): 0,
        D(2026, 8, 20): 0,
        D(2026, 9, 21): 7,
        D(2026, 9, 30): 7,
        D(2026, 10, 1): 0,
        D(2026, 11, 20): 0,
        D(2026, 12, 31): 0,
    }
    for day in expected:
        run_day(database, scheme, day, plan.get(day))
    with database.unit_of_work() as session:
        got = {day: balance(session, "S1", day) for day in expected}
        moves = moves_of(session, "S1")
        kinds = [(e.kind, e.effective_on, e.points) for e in entries(session, "S1")]
    assert got == expected
    assert min(balance_as_of(moves, d) for d in _days(D(2025, 12, 1), D(2027, 1, 31))) == 0
    assert [k for k in kinds if k[0] != "issue"] == [
        ("reset", D(2026, 1, 1), -5),
        ("expiry", D(2026, 3, 2), -3),
        ("reset", D(2026, 4, 1), -4),
        ("reset", D(2026, 7, 1), -6),
        ("reset", D(2026, 10, 1), -7),
    ]


# --- idempotency ----------------------------------------------------------------------------


def _counts(database: Database) -> tuple[int, int, int, int]:
    with database.unit_of_work() as session:
        return (
            session.scalar(select(func.count()).select_from(PointsEntry)) or 0,
            session.scalar(select(func.count()).select_from(EnforcementAction)) or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            session.scalar(select(func.count()).select_from(GovernanceRun)) or 0,
        )


def test_running_a_day_twice_adds_nothing(database: Database) -> None:
    scheme = make_scheme(
        expiry_days=5, reset="quarterly", repeat_window_days=3, human_review_gmv_30d=100.0
    )
    gmv = {"S2": 500.0}
    plan = {
        D(2026, 3, 28): [
            points(D(2026, 3, 28), "S1", "late", 10, 13),
            points(D(2026, 3, 28), "S2", "late", 25),
            action(D(2026, 3, 28), "S2", "order_cap", "order_cap", 7, 20.0),
        ],
        D(2026, 3, 30): [points(D(2026, 3, 30), "S1", "late", 2, 20)],  # repeat → 20
        D(2026, 4, 1): [points(D(2026, 4, 1), "S3", "late", 8)],  # reset day
        D(2026, 4, 6): [],  # expiry of 1 Apr's points
    }
    last = (0, 0, 0, 0)
    for day, rows in plan.items():
        first = run_day(database, scheme, day, rows, gmv)
        after_first = _counts(database)
        assert after_first != last  # every day of the plan writes something
        again = run_day(database, scheme, day, rows, gmv)
        assert _counts(database) == after_first
        assert (again.issued, again.expired, again.resets, again.actions, again.warnings) == (
            0,
            0,
            0,
            0,
            0,
        )
        assert (first.issued, first.expired, first.resets) == {
            D(2026, 3, 28): (2, 0, 0),
            D(2026, 3, 30): (1, 0, 0),
            D(2026, 4, 1): (1, 0, 3),
            D(2026, 4, 6): (0, 1, 0),
        }[day]
        last = after_first
    # the whole sequence again, in order, writes nothing either
    for day, rows in plan.items():
        run_day(database, scheme, day, rows, gmv)
    assert _counts(database) == last
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2026, 3, 30)) == 30
        assert balance(session, "S1", D(2026, 4, 1)) == 0
        assert balance(session, "S3", D(2026, 4, 5)) == 8
        assert balance(session, "S3", D(2026, 4, 6)) == 0


# --- the ledger is append-only and audited --------------------------------------------------


EVENT_OF_KIND = {"issue": "points.issued", "expiry": "points.expired", "reset": "points.reset"}


def _one_entry(database: Database) -> int:
    scheme = make_scheme()
    run_day(database, scheme, D(2026, 2, 2), [points(D(2026, 2, 2), "S1", "late", 3)])
    with database.unit_of_work() as session:
        return session.scalars(select(PointsEntry.id)).one()


def test_the_orm_refuses_to_change_or_delete_an_entry(database: Database) -> None:
    entry_id = _one_entry(database)
    with pytest.raises(ValidationError, match="append-only"), database.unit_of_work() as s:
        s.get_one(PointsEntry, entry_id).points = 1
    with pytest.raises(ValidationError, match="append-only"), database.unit_of_work() as s:
        s.delete(s.get_one(PointsEntry, entry_id))
    with database.unit_of_work() as session:
        assert session.get_one(PointsEntry, entry_id).points == 3


@pytest.mark.parametrize(
    "statement",
    ["UPDATE points_entries SET points = 1", "DELETE FROM points_entries"],
)
def test_the_database_refuses_raw_rewrites_of_the_ledger(
    database: Database, statement: str
) -> None:
    entry_id = _one_entry(database)
    with pytest.raises(DatabaseError, match="append-only"), database.engine.begin() as conn:
        conn.execute(text(statement))
    with database.unit_of_work() as session:
        assert session.get_one(PointsEntry, entry_id).points == 3


def test_every_entry_and_action_is_audited_with_its_scheme(database: Database) -> None:
    scheme = make_scheme(
        expiry_days=4, reset="quarterly", human_review_gmv_30d=1_000.0, terminal_points=None
    )
    gmv = {"BIG": 5_000.0}
    plan = {
        D(2026, 3, 27): [
            points(D(2026, 3, 27), "S1", "late", 8),  # warning for 12
            points(D(2026, 3, 27), "BIG", "fraud", 30),  # both steps, queued
            action(D(2026, 3, 27), "S1", "order_cap", "order_cap", 3, 10.0),
        ],
        D(2026, 3, 28): [points(D(2026, 3, 28), "S1", "fraud", 20)],  # 28: 12 and 24
        D(2026, 3, 29): [],
        D(2026, 3, 30): [],
        D(2026, 3, 31): [points(D(2026, 3, 31), "S2", "late", 1)],  # S1: 8 expire, 28 → 20: ends 24
        D(2026, 4, 1): [],  # quarterly reset
    }
    for day, rows in plan.items():
        run_day(database, scheme, day, rows, gmv)
    with database.unit_of_work() as session:
        events = session.scalars(select(AuditEvent)).all()
        by_entity: dict[tuple[str, str], list[AuditEvent]] = {}
        for event in events:
            by_entity.setdefault((event.entity_type, event.entity_id), []).append(event)
        ledger = session.scalars(select(PointsEntry)).all()
        acts = session.scalars(select(EnforcementAction)).all()
    assert {e.kind for e in ledger} == {"issue", "expiry", "reset"}
    assert {a.source for a in acts} == {"ladder", "policy", "warning"}
    assert {a.status for a in acts} == {"active", "pending_review", "ended"}
    for entry in ledger:
        [event] = by_entity[("points_entry", str(entry.id))]
        assert event.action == EVENT_OF_KIND[entry.kind]
        assert event.context is not None and event.context["scheme"] == "test-scheme@1"
        assert event.after is not None and event.after["points"] == entry.points
    for act in acts:
        trail = by_entity[("enforcement_action", str(act.id))]
        assert trail[0].action in ("action.started", "action.queued", "warning.sent")
        assert all(e.context is not None and e.context["scheme"] == "test-scheme@1" for e in trail)
        assert len(trail) == (2 if act.status == "ended" else 1)
    assert len(events) == len(ledger) + len(acts) + sum(a.status == "ended" for a in acts)


# --- days the pipeline did not run ----------------------------------------------------------


def test_an_expiry_caught_up_after_a_skipped_day_still_ends_open_ended_actions(
    database: Database,
) -> None:
    scheme = make_scheme(expiry_days=10)
    run_day(database, scheme, D(2026, 3, 1), [points(D(2026, 3, 1), "S1", "late", 14)])
    run_day(database, scheme, D(2026, 3, 3), [points(D(2026, 3, 3), "S1", "fraud", 12)])
    report = run_day(database, scheme, D(2026, 3, 12))  # 11 March (the expiry day) not run
    with database.unit_of_work() as session:
        assert [balance(session, "S1", d) for d in (D(2026, 3, 10), D(2026, 3, 11))] == [26, 12]
        [removed] = session.scalars(
            select(EnforcementAction).where(EnforcementAction.step_at == 24)
        ).all()
    assert report.expired == 1  # the 14 points of 1 March leave the balance on 11 March ...
    assert removed.status == "ended"  # ... so the 24-step action must not stay in force
    assert removed.ends_on is not None and removed.ends_on <= D(2026, 3, 11)


def test_a_quarterly_reset_is_caught_up_when_the_first_day_was_not_run(
    database: Database,
) -> None:
    scheme = make_scheme(reset="quarterly", expiry_days=60)
    run_day(database, scheme, D(2026, 3, 20), [points(D(2026, 3, 20), "S1", "late", 5)])
    run_day(database, scheme, D(2026, 3, 31))
    run_day(database, scheme, D(2026, 4, 2))  # 1 April not run
    with database.unit_of_work() as session:
        assert balance(session, "S1", D(2026, 3, 31)) == 5
        assert balance(session, "S1", D(2026, 4, 2)) == 0
