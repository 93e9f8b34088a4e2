"""Creator analytics over the API on SQLite and PostgreSQL: the numbers are the service's, an
agent and a creator get only their own creators, bad periods and groupings are refused."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from pasar.api.app import create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.creators.analytics import creator_performance, pivot
from pasar.creators.assignments import assign
from pasar.creators.collaboration_models import Pitch
from pasar.kit.db import Database
from tests.marketplace import Marketplace

PASSWORD = "a long enough passphrase"
PERIOD = "start=2026-10-01&end=2026-10-31"
Client = tuple[TestClient, dict[str, str]]  # the client and a token per user


@pytest.fixture
def api(
    database: Database, marketplace: Marketplace
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens = {}
    at = dt.datetime(2026, 10, 3, 3, tzinfo=dt.UTC)
    with database.unit_of_work() as session:
        for name, role, subject in [
            ("ana", "analyst", {}),
            ("agnes", "agent", {}),
            ("cici", "creator", {"creator_id": "C000003"}),
        ]:
            user = create_user(session, name, name, role, PASSWORD, **subject)
            tokens[name] = issue_token(session, user, "test", sorted(ROLES[role]))[1]
            if role == "agent":
                assign(session, user, ["C000001", "C000002"], on=dt.date.today(), actor="t")
        session.add_all(
            [
                Pitch(seller_id="S000001", creator_id="C000001", stage="agreed", owner="agnes",
                      created_by="t", contacted_at=at, replied_at=at, agreed_at=at),
                Pitch(seller_id="S000002", creator_id="C000009", stage="contacted", owner="budi",
                      created_by="t", contacted_at=at),
                Pitch(seller_id="S000003", creator_id="C000003", stage="replied", owner="budi",
                      created_by="t", contacted_at=at, replied_at=at),
            ]
        )  # fmt: skip
    settings = Settings(home=marketplace.settings.home, database_url=database.url)
    with TestClient(create_app(settings)) as client:
        yield client, tokens


def _get(api: Client, who: str, path: str) -> dict:  # type: ignore[type-arg]
    client, tokens = api
    response = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _steps(body: dict) -> dict[str, int]:  # type: ignore[type-arg]
    return {s["step"]: s["count"] for s in body["steps"]}


def test_pivot_is_the_services(api: Client, marketplace: Marketplace) -> None:
    body = _get(api, "ana", f"/api/v1/analytics/creators?{PERIOD}&by=follower_tier")
    rows = creator_performance(marketplace.con, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    expected = pivot(rows, "follower_tier")
    assert [g["key"] for g in body["groups"]] == [g["follower_tier"] for g in expected]
    assert [Decimal(g["gmv"]) for g in body["groups"]] == [g["gmv"] for g in expected]
    assert sum(g["creators"] for g in body["groups"]) == len(rows)


def test_agents_and_creators_see_only_their_own(api: Client) -> None:
    mine = _get(api, "agnes", f"/api/v1/analytics/creators?{PERIOD}&by=creator")
    assert {g["key"] for g in mine["groups"]} == {"C000001", "C000002"}
    own = _get(api, "cici", f"/api/v1/analytics/creators?{PERIOD}&by=creator")
    assert [g["key"] for g in own["groups"]] == ["C000003"]
    steps = {
        s["step"]: s["count"]
        for s in _get(api, "agnes", f"/api/v1/analytics/funnel?{PERIOD}")["steps"]
    }
    assert steps["contacted"] == 1 and steps["agreed"] == 1
    everyone = {
        s["step"]: s["count"]
        for s in _get(api, "ana", f"/api/v1/analytics/funnel?{PERIOD}")["steps"]
    }
    assert everyone["contacted"] == 3 and everyone["replied"] == 2
    cards = _get(api, "agnes", f"/api/v1/analytics/agents?{PERIOD}")["agents"]
    assert [c["owner"] for c in cards] == ["agnes"]
    assert _get(api, "cici", f"/api/v1/analytics/agents?{PERIOD}")["agents"] == []
    creator_steps = _get(api, "cici", f"/api/v1/analytics/funnel?{PERIOD}")["steps"]
    assert creator_steps[0]["count"] == 1  # the one pitch made to C000003


def test_bad_requests_name_the_field(api: Client) -> None:
    client, tokens = api
    headers = {"Authorization": f"Bearer {tokens['ana']}"}
    wrong = client.get("/api/v1/analytics/creators?by=colour", headers=headers)
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "by"
    backwards = client.get(
        "/api/v1/analytics/funnel?start=2026-10-31&end=2026-10-01", headers=headers
    )
    assert backwards.status_code == 422 and backwards.json()["error"]["field"] == "end"
    assert client.get("/api/v1/analytics/agents?start=nope", headers=headers).status_code == 422
