"""Sample lifecycle scenarios: the seller's 7-day decision and its expiry, the 14-day content
deadline and its single 7-day extension, overdue content flagged to the point of contact,
monthly caps by level (with Jakarta month boundaries), eligibility that changes with the
creator's metrics, refundable goals — and the 90-day fulfilment rate checked against pandas."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from pasar.audit.models import AuditEvent
from pasar.config import Settings
from pasar.creators import pitches, sample_rules, samples
from pasar.creators.collaboration_models import Pitch, SampleRequest
from pasar.creators.days import ZONE
from pasar.creators.eligibility import SamplePolicies, fulfilment, standing_of
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from tests.creators.collab_fixtures import T0, at, policies, standing, store, write_snapshot

__all__ = ["policies", "store"]


def _request(
    db: Database, policies: SamplePolicies, product: str = "P1", creator: str = "C1", **kw: object
) -> SampleRequest:
    level = int(kw.pop("level", 2))  # type: ignore[call-overload]
    with db.unit_of_work() as session:
        return samples.request_sample(
            session,
            creator_id=creator,
            seller_id="S1",
            product_id=product,
            actor="user:mira",
            standing=standing(creator, level=level),
            policies=policies,
            **kw,  # type: ignore[arg-type]
        )


def _run(
    db: Database, moment: dt.datetime, action: str, sample_id: int, *args: object, **kw: object
) -> SampleRequest:
    with frozen_at(moment), db.unit_of_work() as session:
        return getattr(samples, action)(session, sample_id, *args, **kw)  # type: ignore[no-any-return]


def test_deadlines_the_single_extension_and_overdue_flags(
    store: Database, policies: SamplePolicies
) -> None:
    with frozen_at(T0), store.unit_of_work() as session:
        pitch = pitches.add_pitch(
            session,
            seller_id="S1",
            creator_id="C1",
            owner="mira",
            actor="user:mira",
            stage="agreed",
        )
        pitch_id = pitch.id
    with frozen_at(T0):
        sample = _request(store, policies, sample_cost=Decimal(85_000))
    assert sample.decision_due_at == at(7) and sample.point_of_contact == "mira"
    assert sample.pitch_id == pitch_id and (sample.eligibility or {})["eligible"] is True
    _run(store, at(3), "decide", sample.id, "approve", "user:seller")
    _run(
        store,
        at(4),
        "ship",
        sample.id,
        "user:seller",
        tracking_number="JNE123",
        shipping_cost=Decimal(12_000),
    )
    delivered = _run(store, at(6), "deliver", sample.id, "user:mira", delivered_at=at(5, 3))
    assert delivered.content_due_at == at(19, 3)  # 14 days after it arrived
    with frozen_at(at(10)):
        assert samples.deadline(delivered)["what"] == "content"
        assert samples.deadline(delivered)["days_left"] == pytest.approx(9.125)
    extended = _run(store, at(10), "extend", sample.id, "user:ayu", "travelling")
    assert extended.content_due_at == at(26, 3)  # one 7-day extension
    with pytest.raises(ValidationError, match="already had its one extension"):
        _run(store, at(11), "extend", sample.id, "user:ayu", "still travelling")
    # not overdue on the new deadline itself, overdue a minute later
    with frozen_at(at(26, 3)), store.unit_of_work() as session:
        assert samples.overdue(session) == {}
        assert samples.sweep(session).flagged == []
    with frozen_at(at(26, 3) + dt.timedelta(minutes=1)), store.unit_of_work() as session:
        assert {k: [s.id for s in v] for k, v in samples.overdue(session).items()} == {
            "mira": [sample.id]
        }
        report = samples.sweep(session)
        assert [s.id for s in report.flagged] == [sample.id]
        assert samples.sweep(session).flagged == []  # flagged once
        assert samples.overdue(session, visible=frozenset({"C2"})) == {}
    posted = _run(
        store, at(28), "post_content", sample.id, "user:ayu", "https://www.tiktok.com/@ayu/video/1"
    )
    assert posted.status == "posted" and posted.posted_late is True
    with store.unit_of_work() as session:
        assert session.get(Pitch, pitch_id).stage == "content_posted"  # type: ignore[union-attr]
        events = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.entity_type == "sample", AuditEvent.entity_id == str(sample.id))
            .order_by(AuditEvent.id)
        ).all()
    assert events == [
        "sample.requested",
        "sample.approved",
        "sample.shipped",
        "sample.delivered",
        "sample.extended",
        "sample.content_overdue",
        "sample.posted",
    ]


def test_an_extension_is_asked_for_before_the_deadline(
    store: Database, policies: SamplePolicies
) -> None:
    with frozen_at(T0):
        sample = _request(store, policies)
    with pytest.raises(ValidationError, match="only a delivered sample"):
        _run(store, at(1), "extend", sample.id, "user:ayu", "why not")
    _run(store, at(1), "decide", sample.id, "approve", "user:seller")
    _run(store, at(2), "deliver", sample.id, "user:mira")
    with pytest.raises(ValidationError, match="deadline passed"):
        _run(store, at(16, 1), "extend", sample.id, "user:ayu", "too late")
    with pytest.raises(ValidationError, match="url"):
        _run(store, at(15), "post_content", sample.id, "user:ayu", "javascript:alert(1)")
    on_time = _run(
        store,
        at(15),
        "post_content",
        sample.id,
        "user:ayu",
        "https://t.co/v",
        content_format="live",
    )
    assert on_time.posted_late is False


def test_the_seller_decides_within_seven_days_or_the_request_expires(
    store: Database, policies: SamplePolicies
) -> None:
    with frozen_at(T0):
        sample = _request(store, policies)
    with frozen_at(at(7)):
        assert samples.deadline(sample)["status"] == "requested"
    with frozen_at(at(7) + dt.timedelta(seconds=1)):
        assert samples.deadline(sample)["status"] == "expired"
    with pytest.raises(ValidationError, match="7-day decision window closed"):
        _run(store, at(7, 1), "decide", sample.id, "approve", "user:seller")
    with frozen_at(at(8)), store.unit_of_work() as session:
        assert [s.id for s in samples.sweep(session).expired] == [sample.id]
    with store.unit_of_work() as session:
        assert session.get(SampleRequest, sample.id).status == "expired"  # type: ignore[union-attr]
    # the creator asks again 30 days after the expiry, not before
    with frozen_at(at(30)), pytest.raises(ValidationError, match="may ask again from"):
        _request(store, policies)
    with frozen_at(at(38, 1)):
        again = _request(store, policies)
    with frozen_at(at(38, 2)), pytest.raises(ConflictError, match="already has sample"):
        _request(store, policies)
    rejected = _run(
        store,
        at(39),
        "decide",
        again.id,
        "reject",
        "user:seller",
        reject_code="out_of_stock",
        reason="sold out",
    )
    assert (rejected.status, rejected.reject_code) == ("rejected", "out_of_stock")
    with pytest.raises(ValidationError, match="cannot become approved"):
        _run(store, at(39), "decide", again.id, "approve", "user:seller")


@pytest.mark.parametrize("level", [0, 4, 5, 8])
def test_monthly_caps_follow_the_level(
    store: Database, policies: SamplePolicies, level: int
) -> None:
    cap = sample_rules.monthly_cap(level)
    assert cap == {0: 5, 4: 5, 5: 20, 8: 50}[level]
    # 23:30 WIB on 30 November is still November in Jakarta (16:30 UTC)
    late_november = dt.datetime(2026, 11, 30, 23, 30, tzinfo=ZONE)
    with frozen_at(late_november - dt.timedelta(days=1)):
        withdrawn = _request(store, policies, "P-w", level=level)
    _run(store, late_november - dt.timedelta(days=1), "withdraw", withdrawn.id, "user:ayu")
    with store.unit_of_work() as session:  # all but the last request of the month, as rows
        for i in range(cap - 1):
            session.add(
                SampleRequest(
                    creator_id="C1",
                    seller_id="S1",
                    product_id=f"P{i}",
                    kind="free",
                    status="requested",
                    requested_by="t",
                    level=level,
                    requested_at=dt.datetime(2026, 11, 1, 0, 5, tzinfo=ZONE)
                    + dt.timedelta(hours=i),
                    decision_due_at=late_november,
                )
            )
    with frozen_at(late_november):
        _request(store, policies, "P-last", level=level)
        with pytest.raises(ValidationError) as refused:
            _request(store, policies, "P-over", level=level)
        assert (
            f"{cap} of the {cap} free-sample requests level L{level} allows in November 2026"
            in (str(refused.value))
        )
        refundable = _request(store, policies, "P-refund", level=level, kind="refundable")
        assert refundable.refund_goal_orders == 1  # refundable samples are not capped
    with frozen_at(dt.datetime(2026, 12, 1, 0, 10, tzinfo=ZONE)):  # a new month in Jakarta
        _request(store, policies, "P-december", level=level)
        with store.unit_of_work() as session:
            status = samples.cap_status(session, "C1", level, dt.date(2026, 12, 1))
    assert (status.used, status.remaining) == (1, cap - 1)


def test_caps_by_level() -> None:
    assert [sample_rules.monthly_cap(lv) for lv in range(9)] == [5] * 5 + [20] * 3 + [50]
    with pytest.raises(ValidationError):
        sample_rules.monthly_cap(9)


def test_eligibility_changes_with_the_creators_metrics(
    store: Database, policies: SamplePolicies, tmp_path: Path
) -> None:
    """Eligible in November on October's snapshot; refused in December once November's
    snapshot shows no sales, with the reason."""
    settings = Settings(home=tmp_path / "home", database_url=store.url)
    write_snapshot(
        settings,
        dt.date(2026, 10, 31),
        [
            {"creator_id": "C1", "followers": 5200, "orders_90d": 14, "gmv_30d": 95_000_000},
            {"creator_id": "C2", "followers": 300, "orders_90d": 40, "gmv_30d": 1_000},
        ],
    )
    write_snapshot(
        settings,
        dt.date(2026, 11, 30),
        [
            {"creator_id": "C1", "followers": 5300, "orders_90d": 0, "gmv_30d": 0},
        ],
    )
    with frozen_at(at(10)), store.unit_of_work() as session:
        good = standing_of(session, settings, "C1", dt.date(2026, 11, 12))
        # without a warehouse the level is the lowest; test_demo reads it from one
        assert (good.as_of, good.level, good.level_month) == (dt.date(2026, 10, 31), 0, None)
        sample = samples.request_sample(
            session,
            creator_id="C1",
            seller_id="S1",
            product_id="P1",
            actor="user:mira",
            standing=good,
            policies=policies,
        )
        assert (sample.eligibility or {})["snapshot_as_of"] == "2026-10-31"
        low = standing_of(session, settings, "C2", dt.date(2026, 11, 12))
        with pytest.raises(samples.IneligibleError, match="300 followers"):
            samples.request_sample(
                session,
                creator_id="C2",
                seller_id="S1",
                product_id="P1",
                actor="user:budi",
                standing=low,
                policies=policies,
            )
    december = dt.datetime(2026, 12, 5, 10, tzinfo=ZONE)
    with frozen_at(december), store.unit_of_work() as session:
        now_standing = standing_of(session, settings, "C1", dt.date(2026, 12, 5))
        assert now_standing.as_of == dt.date(2026, 11, 30)
        with pytest.raises(samples.IneligibleError) as refused:
            samples.request_sample(
                session,
                creator_id="C1",
                seller_id="S1",
                product_id="P2",
                actor="user:mira",
                standing=now_standing,
                policies=policies,
            )
        verdict = refused.value.verdict
        assert [c.policy_id for c in verdict.checks if not c.passed] == ["sample-recent-sales"]
        assert verdict.refusals("id") == [
            "0 pesanan melalui kreator dalam 90 hari terakhir (minimal 1)."
        ]
        assert "0 orders through the creator in the last 90 days" in str(refused.value)
        # a refundable sample is still possible, recorded with the verdict it was made under
        refundable = samples.request_sample(
            session,
            creator_id="C1",
            seller_id="S1",
            product_id="P2",
            actor="user:mira",
            standing=now_standing,
            policies=policies,
            kind="refundable",
            refund_goal_orders=3,
        )
        assert (refundable.eligibility or {})["eligible"] is False
    with frozen_at(december), store.unit_of_work() as session:
        missing = standing_of(session, settings, "C9", dt.date(2026, 12, 5))
        verdict = policies.evaluate(missing, dt.date(2026, 12, 5))
        assert missing.row is None and not verdict.eligible  # no metrics: cannot be shown


def test_unfulfilled_samples_make_a_creator_ineligible(
    store: Database, policies: SamplePolicies
) -> None:
    ids = []
    for i in range(2):
        with frozen_at(at(i)):
            ids.append(_request(store, policies, f"P{i}").id)
        _run(store, at(i, 1), "decide", ids[-1], "approve", "user:seller")
        _run(store, at(i, 2), "deliver", ids[-1], "user:mira")
    _run(store, at(14), "post_content", ids[0], "user:ayu", "https://t.co/a")
    with frozen_at(at(20)), store.unit_of_work() as session:
        due, on_time = fulfilment(session, "C1", at(20))
        assert (due, on_time) == (2, 1)  # the second is past due without content
        verdict = policies.evaluate(standing("C1", due=due, on_time=on_time), dt.date(2026, 11, 22))
        assert verdict.eligible  # 50% is enough
        verdict = policies.evaluate(standing("C1", due=3, on_time=1), dt.date(2026, 11, 22))
        assert not verdict.eligible
        assert verdict.refusals()[0].startswith("Content on time for 1 of 3 samples due")


def test_refundable_goals(store: Database, policies: SamplePolicies) -> None:
    with frozen_at(T0):
        with pytest.raises(ValidationError, match="between 1 and 3"):
            _request(store, policies, kind="refundable", refund_goal_orders=4)
        with pytest.raises(ValidationError, match="only refundable"):
            _request(store, policies, refund_goal_orders=2)
        goal = _request(store, policies, "P1", kind="refundable", refund_goal_orders=2)
        missed = _request(store, policies, "P2", kind="refundable")
    for sample in (goal, missed):
        _run(store, at(1), "decide", sample.id, "approve", "user:seller")
        delivered = _run(store, at(2), "deliver", sample.id, "user:mira")
        assert delivered.content_due_at == delivered.goal_due_at == at(92)  # 90 days, not 14
    with pytest.raises(ValidationError, match="without extension"):
        _run(store, at(3), "extend", goal.id, "user:ayu", "busy")
    with frozen_at(at(30)), store.unit_of_work() as session:
        assert samples.overdue(session) == {}
    progress = _run(store, at(20), "record_goal_orders", goal.id, 1, "user:mira")
    assert (progress.goal_orders, progress.refund_status) == (1, "pending")
    earned = _run(store, at(40), "record_goal_orders", goal.id, 2, "user:mira")
    assert (earned.refund_status, earned.refund_settled_at) == ("earned", at(40))
    with frozen_at(at(92, 1)), store.unit_of_work() as session:
        assert [s.id for s in samples.sweep(session).missed] == [missed.id]
    late = _run(store, at(95), "record_goal_orders", missed.id, 5, "user:mira")
    assert late.refund_status == "missed"


def test_creators_only_reach_their_own_samples(store: Database, policies: SamplePolicies) -> None:
    with frozen_at(T0):
        sample = _request(store, policies)
    mine, theirs = frozenset({"C1"}), frozenset({"C2"})
    with frozen_at(at(1)), store.unit_of_work() as session:
        assert samples.get_sample(session, sample.id, mine).id == sample.id
        with pytest.raises(NotFoundError):
            samples.get_sample(session, sample.id, theirs)
        with pytest.raises(NotFoundError):
            samples.withdraw(session, sample.id, "t", visible=theirs)
        with pytest.raises(NotFoundError):
            samples.decide(session, sample.id, "approve", "t", visible=theirs)
        assert session.scalars(samples.sample_query(theirs)).all() == []
        with pytest.raises(NotFoundError):
            samples.request_sample(
                session,
                creator_id="C1",
                seller_id="S1",
                product_id="P7",
                actor="t",
                standing=standing("C1"),
                policies=policies,
                visible=theirs,
            )


# --- the 90-day fulfilment rate against an independent computation --------------------------

OUTCOMES = st.sampled_from(["posted_on_time", "posted_late", "cancelled", "delivered"])


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.integers(0, 130), OUTCOMES), max_size=12))
def test_fulfilment_matches_pandas(store: Database, history: list[tuple[int, str]]) -> None:
    moment = at(130)
    with store.unit_of_work() as session:
        session.execute(delete(SampleRequest))
        for i, (days_before, outcome) in enumerate(history):
            delivered = moment - dt.timedelta(days=days_before, hours=1)
            due = delivered + dt.timedelta(days=14)
            status = {"posted_on_time": "posted", "posted_late": "posted"}.get(outcome, outcome)
            session.add(
                SampleRequest(
                    creator_id="C1",
                    seller_id="S1",
                    product_id=f"P{i}",
                    kind="free",
                    status=status,
                    requested_by="t",
                    requested_at=delivered - dt.timedelta(days=3),
                    decision_due_at=delivered,
                    level=0,
                    delivered_at=delivered,
                    content_due_at=due,
                    posted_late=(outcome == "posted_late") if status == "posted" else None,
                )
            )
        got = fulfilment(session, "C1", moment)
    frame = pd.DataFrame(
        {"days": [d for d, _ in history], "outcome": [o for _, o in history]}
    ).astype({"days": "int64", "outcome": "object"})
    age_hours = frame["days"] * 24 + 1
    counted = frame["outcome"].isin(["posted_on_time", "posted_late", "delivered"])
    window = frame[(age_hours <= 90 * 24) & counted]
    past_due = (window["days"] * 24 + 1) > 14 * 24
    owed = window["outcome"].str.startswith("posted") | (
        (window["outcome"] == "delivered") & past_due
    )
    on_time = window["outcome"] == "posted_on_time"
    assert got == (int(owed.sum()), int(on_time.sum()))
