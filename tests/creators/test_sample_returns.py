"""Sample returns per creator and per campaign, on SQLite and PostgreSQL: the service, the API
(``/analytics/samples``, ``/analytics/campaigns``) and the CLI (``pasar creators samples
returns``, ``pasar creators campaigns``) against an independent pandas computation over the
generated marketplace's Parquet files — and confined exactly as the other analytics: an agent
gets only its assigned creators' rows, a creator only its own."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from pasar.api.app import create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.cli import governance
from pasar.cli.output import console
from pasar.config import Settings, get_settings
from pasar.creators.assignments import assign
from pasar.creators.collaboration_models import Pitch, SampleRequest
from pasar.creators.funnel import campaign_efficiency, sample_returns, samples_by_creator
from pasar.creators.rules import affiliate_rules
from pasar.kit.db import Database
from tests.cli.test_metrics_cli import run
from tests.marketplace import Marketplace

START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)
PERIOD = "start=2026-10-01&end=2026-10-31"
PASSWORD = "a long enough passphrase"
RETURN_DAYS = 30


def _at(day: int, month: int = 10, hour: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Sample:
    """A sample as the scenario writes it (what pandas recomputes from)."""

    creator: str
    seller: str
    delivered: dt.datetime | None
    posted: bool
    cost: Decimal
    shipping: Decimal
    campaign_pitch: str | None = None  # the campaign of the pitch it was sent for


@dataclass
class Scenario:
    pairs: list[tuple[str, str]]  # (creator, seller) A, B, C, D
    samples: list[Sample]
    campaigns: dict[tuple[str, str], set[str]]  # (seller, campaign) → agreed creators


@pytest.fixture(scope="module")
def frames(marketplace: Marketplace) -> dict[str, pd.DataFrame]:
    orders = pd.read_parquet(marketplace.synth / "orders.parquet")
    orders = orders[orders.creator_id.notna()].copy()
    orders["gmv"] = orders.gmv.map(Decimal)
    sellers = pd.read_parquet(marketplace.synth / "sellers.parquet")
    return {"orders": orders, "sellers": sellers}


def _pairs(orders: pd.DataFrame) -> list[tuple[str, str]]:
    """Four (creator, seller) pairs with the most October orders, four different creators
    and four different sellers."""
    october = orders[(orders.created_at >= "2026-10-01") & (orders.created_at < "2026-11-01")]
    top = october.groupby(["creator_id", "seller_id"]).size().sort_values(ascending=False)
    found: list[tuple[str, str]] = []
    for creator, seller in top.index:
        if creator not in {c for c, _ in found} and seller not in {s for _, s in found}:
            found.append((str(creator), str(seller)))
        if len(found) == 4:
            return found
    raise AssertionError("the generated month has fewer than four selling creators")


@pytest.fixture
def scenario(database: Database, frames: dict[str, pd.DataFrame]) -> Scenario:
    """Creator A: two samples from seller 1 (one posted), agreed to the "11.11 warm-up";
    B: one sample sent for B's "12.12 push" pitch of seller 2; C: one sample delivered on the
    last evening of October and one in September (outside), agreed without a campaign; D: a
    sample requested and never delivered, and no pitch."""
    (a, s1), (b, s2), (c, s3), (d, s4) = pairs = _pairs(frames["orders"])
    k = Decimal
    samples = [
        Sample(a, s1, _at(6), True, k(80_000), k(15_000)),
        Sample(a, s1, _at(20), False, k(50_000), k(10_000)),
        Sample(b, s2, _at(10), True, k(120_000), k(20_000), "12.12 push"),
        Sample(c, s3, _at(31, hour=23), True, k(70_000), k(0)),
        Sample(c, s3, _at(25, 9), True, k(60_000), k(9_000)),
        Sample(d, s4, None, False, k(40_000), k(8_000)),
    ]
    with database.unit_of_work() as session:
        pitches = {
            (a, s1): Pitch(seller_id=s1, creator_id=a, stage="agreed", owner="mira",
                           created_by="t", campaign="11.11 warm-up", contacted_at=_at(2),
                           agreed_at=_at(4)),
            (b, s2): Pitch(seller_id=s2, creator_id=b, stage="agreed", owner="mira",
                           created_by="t", campaign="12.12 push", contacted_at=_at(3),
                           agreed_at=_at(5)),
            (c, s3): Pitch(seller_id=s3, creator_id=c, stage="agreed", owner="budi",
                           created_by="t", contacted_at=_at(4), agreed_at=_at(8)),
        }  # fmt: skip
        session.add_all(pitches.values())
        session.flush()
        for n, sample in enumerate(samples):
            pitch = pitches[(sample.creator, sample.seller)] if sample.campaign_pitch else None
            session.add(
                SampleRequest(
                    creator_id=sample.creator, seller_id=sample.seller, product_id=f"P{n}",
                    kind="free", status="delivered" if sample.delivered else "approved",
                    quantity=1, requested_by="t", requested_at=_at(1, 9),
                    decision_due_at=_at(8, 9), level=2, shipped_at=_at(1, 9),
                    delivered_at=sample.delivered,
                    content_posted_at=sample.delivered if sample.posted else None,
                    sample_cost=sample.cost, shipping_cost=sample.shipping,
                    pitch_id=pitch.id if pitch is not None else None,
                )
            )  # fmt: skip
    campaigns = {(s1, "11.11 warm-up"): {a}, (s2, "12.12 push"): {b}, (s3, "(no campaign)"): {c}}
    return Scenario(pairs, samples, campaigns)


def _expected_per_sample(frames: dict[str, pd.DataFrame], scenario: Scenario) -> pd.DataFrame:
    """Each sample delivered in October with its 30-day net GMV, commission and cost,
    computed from the Parquet files."""
    orders, sellers = frames["orders"], frames["sellers"].set_index("seller_id")
    rules = affiliate_rules()
    rows = []
    for sample in scenario.samples:
        if sample.delivered is None or not START <= sample.delivered.date() <= END:
            continue
        pair = orders[(orders.creator_id == sample.creator) & (orders.seller_id == sample.seller)]
        stamp = pd.Timestamp(sample.delivered)
        window = pair[
            (pair.created_at >= stamp) & (pair.created_at < stamp + pd.Timedelta(days=RETURN_DAYS))
        ]
        kept = window[~window.status.isin(["cancelled", "returned"])]
        net = sum(kept.gmv, Decimal(0))
        rate = rules.commission_rate(sellers.category.get(sample.seller))
        rows.append(
            {
                "creator_id": sample.creator,
                "seller_id": sample.seller,
                "posted": sample.posted,
                "orders": len(window),
                "net_gmv": net,
                "sample_cost": sample.cost + sample.shipping,
                "commission": (net * rate).quantize(Decimal("0.01")),
                "campaign": sample.campaign_pitch,
            }
        )
    return pd.DataFrame(rows)


def _expected_per_creator(per_sample: pd.DataFrame) -> dict[str, dict[str, Any]]:
    found = {}
    for creator, group in per_sample.groupby("creator_id"):
        net = sum(group.net_gmv, Decimal(0))
        cost = sum(group.sample_cost, Decimal(0)) + sum(group.commission, Decimal(0))
        found[str(creator)] = {
            "delivered": len(group),
            "posted": int(group.posted.sum()),
            "sample_to_content_rate": group.posted.sum() / len(group),
            "orders": int(group.orders.sum()),
            "net_gmv": net,
            "sample_cost": sum(group.sample_cost, Decimal(0)),
            "commission": sum(group.commission, Decimal(0)),
            "roi": float(net / cost),
        }
    return found


def test_per_creator_and_per_campaign_match_pandas(
    database: Database,
    marketplace: Marketplace,
    frames: dict[str, pd.DataFrame],
    scenario: Scenario,
) -> None:
    per_sample = _expected_per_sample(frames, scenario)
    expected = _expected_per_creator(per_sample)
    (a, _), (b, _), (c, _), _ = scenario.pairs
    assert set(expected) == {a, b, c}  # D's sample never arrived; C's September one is out
    assert per_sample.net_gmv.sum() > 0  # the scenario's creators really sold afterwards
    with database.unit_of_work() as session:
        rows = samples_by_creator(sample_returns(session, marketplace.con, START, END))
        campaigns = campaign_efficiency(session, marketplace.con, START, END)
    got = {r["creator_id"]: r for r in rows}
    assert set(got) == set(expected)
    for creator, want in expected.items():
        row = got[creator]
        for name, value in want.items():
            assert row[name] == (pytest.approx(value) if isinstance(value, float) else value), (
                creator,
                name,
            )
        assert row["cost"] == row["sample_cost"] + row["commission"]
    assert rows[0]["creator_id"] == a  # two samples: first
    assert got[a]["sample_to_content_rate"] == 0.5

    by_campaign = {(r["seller_id"], r["campaign"]): r for r in campaigns}
    assert set(by_campaign) == set(scenario.campaigns)
    for key, members in scenario.campaigns.items():
        seller, name = key
        theirs = per_sample[
            (per_sample.seller_id == seller)
            & (
                (per_sample.campaign == name)
                | (per_sample.campaign.isna() & per_sample.creator_id.isin(members))
            )
        ]
        row = by_campaign[key]
        net = sum(theirs.net_gmv, Decimal(0))
        cost = sum(theirs.sample_cost, Decimal(0)) + sum(theirs.commission, Decimal(0))
        assert row["samples_delivered"] == len(theirs) > 0, key
        assert row["content_posted"] == int(theirs.posted.sum()), key
        assert row["sample_net_gmv"] == net, key
        assert row["sample_roi"] == pytest.approx(float(net / cost)), key


# -- the API and its confinement ---------------------------------------------------------


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    scenario: Scenario

    def get(self, who: str, path: str) -> dict[str, Any]:
        response = self.client.get(path, headers={"Authorization": f"Bearer {self.tokens[who]}"})
        assert response.status_code == 200, (who, path, response.text)
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def api(database: Database, marketplace: Marketplace, scenario: Scenario) -> Iterator[Api]:
    (a, _), (b, _), (c, _), _ = scenario.pairs
    tokens = {}
    with database.unit_of_work() as session:
        for name, role, subject in [
            ("cm", "creator_manager", {}),
            ("mira", "agent", {}),
            ("cici", "creator", {"creator_id": c}),
        ]:
            user = create_user(session, name, name, role, PASSWORD, **subject)
            tokens[name] = issue_token(session, user, "test", sorted(ROLES[role]))[1]
            if role == "agent":
                assign(session, user, [a, b], on=dt.date.today(), actor="t")
    settings = Settings(home=marketplace.settings.home, database_url=database.url)
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens, scenario)


def test_the_samples_endpoint_pages_sorts_filters_and_confines(
    api: Api, frames: dict[str, pd.DataFrame]
) -> None:
    expected = _expected_per_creator(_expected_per_sample(frames, api.scenario))
    (a, s1), (b, _), (c, _), _ = api.scenario.pairs
    everyone = api.get("cm", f"/api/v1/analytics/samples?{PERIOD}")
    assert everyone["total"] == 3 and everyone["summary"]["delivered"] == 4
    for item in everyone["items"]:
        want = expected[item["creator_id"]]
        assert item["delivered"] == want["delivered"] and item["posted"] == want["posted"]
        assert Decimal(str(item["net_gmv"])) == want["net_gmv"]
        assert item["roi"] == pytest.approx(want["roi"])
        assert item["handle"]  # from the warehouse's creators
    by_roi = api.get("cm", f"/api/v1/analytics/samples?{PERIOD}&sort=-roi")["items"]
    assert [i["creator_id"] for i in by_roi] == sorted(
        expected, key=lambda k: expected[k]["roi"], reverse=True
    )
    second = api.get("cm", f"/api/v1/analytics/samples?{PERIOD}&sort=-roi&limit=1&offset=1")
    assert [i["creator_id"] for i in second["items"]] == [by_roi[1]["creator_id"]]
    assert second["total"] == 3
    one = api.get("cm", f"/api/v1/analytics/samples?{PERIOD}&seller_id={s1}")
    assert [i["creator_id"] for i in one["items"]] == [a] and one["summary"]["delivered"] == 2
    bad = api.client.get(
        f"/api/v1/analytics/samples?{PERIOD}&sort=colour",
        headers={"Authorization": f"Bearer {api.tokens['cm']}"},
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "sort"

    agent = api.get("mira", f"/api/v1/analytics/samples?{PERIOD}")
    assert {i["creator_id"] for i in agent["items"]} == {a, b}
    assert agent["summary"]["delivered"] == 3  # A's two and B's one
    assert api.get("mira", f"/api/v1/analytics/samples?{PERIOD}&creator_id={c}")["total"] == 0
    creator = api.get("cici", f"/api/v1/analytics/samples?{PERIOD}")
    assert [i["creator_id"] for i in creator["items"]] == [c]
    assert creator["summary"]["delivered"] == 1
    assert api.get("cici", f"/api/v1/analytics/samples?{PERIOD}&creator_id={a}")["total"] == 0


def test_the_campaigns_endpoint_confines_to_the_callers_creators(api: Api) -> None:
    (_, s1), (_, s2), (_, s3), _ = api.scenario.pairs
    everyone = api.get("cm", f"/api/v1/analytics/campaigns?{PERIOD}")
    keys = {(i["seller_id"], i["campaign"]) for i in everyone["items"]}
    assert keys == set(api.scenario.campaigns)
    named = api.get("cm", f"/api/v1/analytics/campaigns?{PERIOD}&campaign=12.12%20push")
    assert [(i["seller_id"], i["samples_delivered"]) for i in named["items"]] == [(s2, 1)]
    ranked = api.get("cm", f"/api/v1/analytics/campaigns?{PERIOD}&sort=-samples_delivered")
    assert ranked["items"][0]["seller_id"] == s1  # A's two samples
    agent = api.get("mira", f"/api/v1/analytics/campaigns?{PERIOD}")
    assert {i["seller_id"] for i in agent["items"]} == {s1, s2}
    creator = api.get("cici", f"/api/v1/analytics/campaigns?{PERIOD}")
    assert [(i["seller_id"], i["campaign"], i["creators"]) for i in creator["items"]] == [
        (s3, "(no campaign)", 1)
    ]


# -- the command line ---------------------------------------------------------------------


def test_the_commands_print_the_services_numbers(
    database: Database,
    marketplace: Marketplace,
    scenario: Scenario,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(console, "width", 250)  # whole table cells, not wrapped ones
    monkeypatch.setenv("PASAR_HOME", str(marketplace.settings.home))
    monkeypatch.setenv("PASAR_DATABASE_URL", database.url)
    monkeypatch.setattr(governance, "upgrade_store", lambda: None)  # migrated by the fixture
    get_settings.cache_clear()
    try:
        dates = ("--from", "2026-10-01", "--to", "2026-10-31")
        code, out, err = run(capsys, "creators", "samples", "returns", *dates, "--format", "csv")
        assert code == 0, err
        listed = pd.read_csv(io.StringIO(out))
        with database.unit_of_work() as session:
            rows = samples_by_creator(sample_returns(session, marketplace.con, START, END))
        assert list(listed.creator_id) == [r["creator_id"] for r in rows]
        assert list(listed.delivered) == [r["delivered"] for r in rows]
        assert list(listed.roi) == pytest.approx([r["roi"] for r in rows])
        code, out, err = run(capsys, "creators", "samples", "returns", *dates, "--sort", "x")
        assert code == 2 and "--sort 'x'" in err
        code, out, err = run(capsys, "creators", "samples", "returns", *dates)
        assert code == 0 and "Sample returns per creator" in out and "total" in out, err
        code, out, err = run(capsys, "creators", "campaigns", *dates, "--format", "json")
        assert code == 0, err
        found = {(r["seller_id"], r["campaign"]): r for r in json.loads(out)}
        assert set(found) == set(scenario.campaigns)
        (_, s1), *_ = scenario.pairs
        assert found[(s1, "11.11 warm-up")]["samples_delivered"] == 2
        code, out, err = run(capsys, "creators", "campaigns", *dates)
        assert code == 0 and "11.11 warm-up" in out, err
    finally:
        get_settings.cache_clear()
