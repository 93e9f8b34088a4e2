"""Funnel, agent scorecards, sample returns and campaign efficiency on SQLite and PostgreSQL,
over pitches and samples written here and the generated marketplace's orders, checked against
pandas over the same Parquet files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from pasar.creators.collaboration_models import Pitch, SampleRequest
from pasar.creators.funnel import (
    agent_scorecard,
    campaign_efficiency,
    funnel,
    sample_returns,
    sample_summary,
)
from pasar.creators.rules import affiliate_rules
from pasar.kit.db import Database
from tests.marketplace import Marketplace

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def _at(day: int, month: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, 3, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def orders(marketplace: Marketplace) -> pd.DataFrame:
    frame = pd.read_parquet(marketplace.synth / "orders.parquet")
    frame = frame[frame.creator_id.notna()].copy()
    frame["gmv"] = frame.gmv.map(Decimal)
    return frame


def _busiest(orders: pd.DataFrame, n: int) -> list[tuple[str, str]]:
    october = orders[(orders.created_at >= "2026-10-05") & (orders.created_at < "2026-11-01")]
    top = october.groupby(["creator_id", "seller_id"]).size().sort_values(ascending=False)
    return [(str(c), str(s)) for c, s in top.index[:n]]


def _pitch(creator: str, seller: str, owner: str, **stamps: dt.datetime) -> Pitch:
    stage = "contacted"
    for name in ("replied", "agreed", "sample_sent", "content_posted"):
        if f"{name}_at" in stamps:
            stage = name
    return Pitch(
        seller_id=seller,
        creator_id=creator,
        stage=stage,
        owner=owner,
        created_by="test",
        campaign="11.11 warm-up",
        **stamps,
    )


def test_funnel_scorecard_and_sample_returns(
    database: Database, marketplace: Marketplace, orders: pd.DataFrame
) -> None:
    (c1, s1), (c2, s2), (c3, s3) = _busiest(orders, 3)
    with database.unit_of_work() as session:
        session.add_all(
            [
                _pitch(c1, s1, "agent-a", contacted_at=_at(2), replied_at=_at(3),
                       agreed_at=_at(4), sample_sent_at=_at(5), content_posted_at=_at(8)),
                _pitch(c2, s2, "agent-b", contacted_at=_at(3), replied_at=_at(4)),
                _pitch(c3, s3, "agent-a", contacted_at=_at(5)),
                _pitch(c2, s1, "agent-b", contacted_at=_at(20, 9), agreed_at=_at(21, 9)),
            ]
        )  # fmt: skip
        session.add(
            SampleRequest(
                creator_id=c1, seller_id=s1, product_id="P1", kind="free", status="delivered",
                quantity=1, requested_by="test", requested_at=_at(4), decision_due_at=_at(11),
                level=3, delivered_at=_at(6), content_posted_at=_at(8), shipped_at=_at(5),
                sample_cost=Decimal("80000"), shipping_cost=Decimal("15000"),
            )
        )  # fmt: skip
    con = marketplace.con
    with database.unit_of_work() as session:
        steps = {s.step: s for s in funnel(session, con, START, END)}
        cards = {c["owner"]: c for c in agent_scorecard(session, con, START, END, today=END)}
        returns = sample_returns(session, con, START, END)
        campaigns = campaign_efficiency(session, con, START, END)

    assert [steps[n].count for n in ("contacted", "replied", "agreed", "sampled", "posted")] == [
        3, 2, 1, 1, 1,
    ]  # fmt: skip
    assert steps["selling"].count == 1  # c1 sold for s1 after agreeing on 10-04
    assert steps["replied"].from_first == pytest.approx(2 / 3)
    assert steps["agreed"].from_previous == pytest.approx(1 / 2)

    pair = orders[(orders.creator_id == c1) & (orders.seller_id == s1)]
    after_agreement = pair[(pair.created_at >= _at(4)) & (pair.created_at < _at(1, 11))]
    assert cards["agent-a"]["gmv"] == sum(after_agreement.gmv, Decimal(0))
    assert cards["agent-a"]["contacted"] == 2 and cards["agent-a"]["agreed"] == 1
    assert cards["agent-b"]["contacted"] == 1 and cards["agent-b"]["gmv"] == 0
    assert cards["agent-a"]["contacts_per_week"] == pytest.approx(2 / (31 / 7))

    window = pair[(pair.created_at >= _at(6)) & (pair.created_at < _at(6) + dt.timedelta(30))]
    net = sum(window[~window.status.isin(["cancelled", "returned"])].gmv, Decimal(0))
    category = (
        pd.read_parquet(marketplace.synth / "sellers.parquet").set_index("seller_id").category[s1]
    )
    commission = (net * affiliate_rules().commission_rate(category)).quantize(Decimal("0.01"))
    [only] = returns
    assert only["net_gmv"] == net and only["commission"] == commission
    assert only["roi"] == pytest.approx(float(net / (Decimal("95000") + commission)))
    summary = sample_summary(returns)
    assert summary["sample_to_content_rate"] == 1.0 and summary["delivered"] == 1

    [campaign] = [c for c in campaigns if c["seller_id"] == s1]
    october = pair[(pair.created_at >= _at(1)) & (pair.created_at < _at(1, 11))]
    october = october[october.created_at >= pd.Timestamp("2026-10-01", tz="UTC")]
    september = pair[
        (pair.created_at >= pd.Timestamp("2026-08-31", tz="UTC"))
        & (pair.created_at < pd.Timestamp("2026-10-01", tz="UTC"))
    ]
    assert campaign["gmv"] == sum(october.gmv, Decimal(0))
    assert campaign["baseline_gmv"] == sum(september.gmv, Decimal(0))
    assert campaign["samples"] == Decimal("95000")


def test_a_confined_user_counts_only_their_creators(
    database: Database, marketplace: Marketplace, orders: pd.DataFrame
) -> None:
    (c1, s1), (c2, s2) = _busiest(orders, 2)
    with database.unit_of_work() as session:
        session.add_all(
            [
                _pitch(c1, s1, "agent-a", contacted_at=_at(2)),
                _pitch(c2, s2, "agent-b", contacted_at=_at(3)),
            ]
        )
    with database.unit_of_work() as session:
        mine = funnel(session, marketplace.con, START, END, creators=frozenset([c1]))
        nobody = funnel(session, marketplace.con, START, END, creators=frozenset())
    assert mine[0].count == 1 and nobody[0].count == 0
