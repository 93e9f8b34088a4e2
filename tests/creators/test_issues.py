"""The creator issue desk: SLA clocks per priority, escalation when they are breached,
responses, resolution notes, reopening, and who may see what."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from pasar.audit.models import AuditEvent
from pasar.creators import issues, samples
from pasar.creators.collaboration_models import CreatorIssue
from pasar.creators.eligibility import SamplePolicies
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from tests.creators.collab_fixtures import T0, at, policies, standing, store

__all__ = ["policies", "store"]


def _open(db: Database, **kw: object) -> CreatorIssue:
    args: dict[str, object] = {
        "kind": "sample_not_received",
        "title": "Parcel lost",
        "creator_id": "C1",
        "description": "Tracking stopped at the Cikarang hub",
        "raised_by_kind": "creator",
        "actor": "user:ayu",
        **kw,
    }
    with frozen_at(T0), db.unit_of_work() as session:
        return issues.open_issue(session, **args)  # type: ignore[arg-type]


def _escalate(db: Database, moment: dt.datetime) -> list[int]:
    with frozen_at(moment), db.unit_of_work() as session:
        return [i.id for i in issues.escalate_breaches(session)]


def test_sla_breaches_escalate_once_per_clock(store: Database) -> None:
    urgent = _open(store, priority="urgent")
    normal = _open(store, creator_id="C2")
    assert (urgent.first_response_due_at, urgent.resolution_due_at) == (at(0, 1), at(1))
    assert (normal.first_response_due_at, normal.resolution_due_at) == (at(1), at(5))
    assert urgent.point_of_contact == "mira"  # the creator's agent
    with frozen_at(at(0, 0.5)), store.unit_of_work() as session:
        clocks = issues.clocks(session.get(CreatorIssue, urgent.id))  # type: ignore[arg-type]
        assert clocks["first_response"]["hours_left"] == pytest.approx(0.5)
        assert clocks["first_response"]["breached"] is False
    assert _escalate(store, at(0, 1)) == []  # due, not yet late
    assert _escalate(store, at(0, 1.01)) == [urgent.id]
    assert _escalate(store, at(0, 2)) == []  # level 1 once
    with frozen_at(at(0, 3)), store.unit_of_work() as session:
        issue = issues.respond(
            session, urgent.id, "user:mira", "Asked JNE for the parcel", version=2
        )
        assert issue.first_response_at == at(0, 3) and issue.status == "responded"
        assert issues.clocks(issue)["first_response"]["breached"] is True  # met, but late
    assert _escalate(store, at(1, 0.1)) == [urgent.id, normal.id]  # resolution / first response
    with frozen_at(at(1, 1)), store.unit_of_work() as session:
        escalated = session.get(CreatorIssue, urgent.id)
        assert escalated is not None and escalated.escalation_level == 2
        assert session.get(CreatorIssue, normal.id).escalation_level == 1  # type: ignore[union-attr]
        levels = [i.id for i in session.scalars(issues.issue_query(escalated=True))]
        assert sorted(levels) == [urgent.id, normal.id]
        with pytest.raises(ValidationError, match="note"):
            issues.resolve(session, urgent.id, "user:mira", "  ")
        issues.resolve(session, urgent.id, "user:mira", "Replacement delivered on 3 Nov")
    with frozen_at(at(2)), store.unit_of_work() as session:
        with pytest.raises(ValidationError, match="reopen it first"):
            issues.respond(session, urgent.id, "user:mira", "more")
        issue = issues.reopen(session, urgent.id, "user:ayu", "The replacement is the wrong shade")
        assert (issue.status, issue.reopened, issue.escalation_level) == ("open", 1, 0)
        assert issue.resolution_due_at == at(3)  # the resolution clock restarted
    assert _escalate(store, at(2, 5)) == []  # first response was given: no level 1 again
    assert _escalate(store, at(3, 0.5)) == [urgent.id]
    with store.unit_of_work() as session:
        kinds = [n.kind for n in issues.notes_of(session, urgent.id)]
        assert kinds == [
            "escalation",
            "response",
            "escalation",
            "resolution",
            "reopen",
            "escalation",
        ]
        actions = session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.entity_type == "creator_issue", AuditEvent.entity_id == str(urgent.id)
            )
            .order_by(AuditEvent.id)
        ).all()
    assert actions == [
        "creator_issue.opened",
        "creator_issue.escalated",
        "creator_issue.responded",
        "creator_issue.escalated",
        "creator_issue.resolved",
        "creator_issue.reopened",
        "creator_issue.escalated",
    ]


def test_priority_sets_both_clocks(store: Database) -> None:
    money = _open(store, kind="wrong_commission", raised_by_kind="seller", actor="user:cm")
    assert money.priority == "high" and money.resolution_due_at == at(2)
    with frozen_at(at(0, 2)), store.unit_of_work() as session:
        issue = issues.set_priority(session, money.id, "low", "user:cm", version=1)
        assert (issue.first_response_due_at, issue.resolution_due_at) == (at(2), at(10))
        with pytest.raises(ConflictError):
            issues.set_priority(session, money.id, "urgent", "user:cm", version=1)
        with pytest.raises(ValidationError, match="priority"):
            issues.set_priority(session, money.id, "asap", "user:cm")
        assert issue.point_of_contact == "mira"
        with pytest.raises(ValidationError, match="C1 is not assigned to agent budi"):
            issues.assign(session, money.id, "budi", "user:cm")
        assert issues.assign(session, money.id, "cm", "user:cm").point_of_contact == "cm"


def test_issues_about_samples_take_their_people(store: Database, policies: SamplePolicies) -> None:
    with frozen_at(T0), store.unit_of_work() as session:
        sample = samples.request_sample(
            session,
            creator_id="C2",
            seller_id="S7",
            product_id="P1",
            actor="user:cm",
            standing=standing("C2"),
            policies=policies,
            point_of_contact="budi",
            sample_cost=Decimal(50_000),
        )
    issue = _open(store, sample_id=sample.id, creator_id=None, kind="defective_sample")
    assert (issue.creator_id, issue.seller_id, issue.point_of_contact) == ("C2", "S7", "budi")
    with pytest.raises(ValidationError, match="creator_id: C1 is not"):
        _open(store, sample_id=sample.id, creator_id="C1")
    with pytest.raises(ValidationError, match="which creator or seller"):
        _open(store, creator_id=None)
    with pytest.raises(ValidationError, match="kind"):
        _open(store, kind="angry")


def test_creators_and_agents_see_only_their_issues(store: Database) -> None:
    mine = _open(store, creator_id="C1")
    theirs = _open(store, creator_id="C3")
    seller_only = _open(store, creator_id=None, seller_id="S1", raised_by_kind="seller", actor="t")
    ayu, mira = frozenset({"C1"}), frozenset({"C1", "C2"})
    with frozen_at(at(0, 1)), store.unit_of_work() as session:
        assert [i.id for i in session.scalars(issues.issue_query(ayu))] == [mine.id]
        assert [i.id for i in session.scalars(issues.issue_query(mira))] == [mine.id]
        assert len(session.scalars(issues.issue_query()).all()) == 3
        for issue_id in (theirs.id, seller_only.id):
            with pytest.raises(NotFoundError):
                issues.get_issue(session, issue_id, ayu)
            with pytest.raises(NotFoundError):
                issues.respond(session, issue_id, "user:mira", "hi", visible=mira)
        with pytest.raises(NotFoundError):
            issues.open_issue(
                session,
                kind="other",
                title="t",
                description="d",
                raised_by_kind="creator",
                actor="user:ayu",
                creator_id="C3",
                visible=ayu,
            )
        with pytest.raises(NotFoundError):  # a confined caller names one of its creators
            issues.open_issue(
                session,
                kind="other",
                title="t",
                description="d",
                raised_by_kind="creator",
                actor="user:ayu",
                seller_id="S1",
                visible=ayu,
            )
