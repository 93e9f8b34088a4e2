"""The creator analytics page over the generated marketplace: the pivot's numbers are the
analytics service's, an agent sees only the creators assigned to them, downloads work."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pasar.api.app import create_app
from pasar.auth.models import User
from pasar.config import Settings
from pasar.creators.analytics import creator_performance, pivot
from pasar.creators.assignments import assign
from pasar.creators.collaboration_models import Pitch
from pasar.kit.db import Database
from tests.console.test_pages import _sign_in
from tests.console.test_policies_page import enter
from tests.marketplace import Marketplace

START, END = "2026-10-01", "2026-10-31"


@pytest.fixture
def console(database: Database, marketplace: Marketplace) -> Iterator[TestClient]:
    settings = Settings(home=marketplace.settings.home, database_url=database.url)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield client


def _rows(client: TestClient, query: str) -> list[dict[str, str]]:
    response = client.get(f"/creators/analytics?{query}&download=creator_analytics&format=csv")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_pivot_by_level_matches_the_service(console: TestClient, marketplace: Marketplace) -> None:
    enter(console, "ana")
    page = console.get(f"/creators/analytics?start={START}&end={END}&by=level")
    assert page.status_code == 200
    assert "Creator analytics" in page.text and "<svg" in page.text
    expected = pivot(
        creator_performance(marketplace.con, dt.date(2026, 10, 1), dt.date(2026, 10, 31)), "level"
    )
    rows = _rows(console, f"start={START}&end={END}&by=level")
    assert [r["Creator level"] for r in rows] == [g["level"] for g in expected]
    for row, group in zip(rows, expected, strict=True):
        assert int(row["Creators"]) == group["creators"]
        assert Decimal(row["GMV"]) == group["gmv"]
    xlsx = console.get(
        f"/creators/analytics?start={START}&end={END}&by=level"
        "&download=creator_analytics&format=xlsx"
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None and sheet.max_row == len(expected) + 1


def test_an_agent_sees_only_assigned_creators(
    console: TestClient, marketplace: Marketplace
) -> None:
    enter(console, "agnes")
    database: Database = console.app.state.db  # type: ignore[attr-defined]
    mine = ["C000001", "C000002"]
    with database.unit_of_work() as session:
        agent = session.query(User).filter_by(username="agnes").one()
        assign(session, agent, mine, on=dt.date.today(), actor="test")
    rows = _rows(console, f"start={START}&end={END}&by=creator")
    assert {r["Creator"] for r in rows} == set(mine)
    totals = _rows(console, f"start={START}&end={END}&by=province")
    assert sum(int(r["Creators"]) for r in totals) == 2


def test_bad_input_is_explained(console: TestClient) -> None:
    enter(console, "ana")
    assert console.get("/creators/analytics?by=colour").status_code == 422
    page = console.get("/creators/analytics?start=2026-10-31&end=2026-10-01")
    assert page.status_code == 422 and "before it starts" in page.text
    assert console.get("/creators/analytics?start=yesterday").status_code == 422


def _csv_of(client: TestClient, url: str, table: str) -> list[dict[str, str]]:
    response = client.get(f"{url}&download={table}&format=csv")
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_funnel_page_counts_and_confines_an_agent(console: TestClient) -> None:
    enter(console, "ana")
    enter(console, "agnes")
    database: Database = console.app.state.db  # type: ignore[attr-defined]
    at = dt.datetime(2026, 10, 3, 3, tzinfo=dt.UTC)
    with database.unit_of_work() as session:
        agent = session.query(User).filter_by(username="agnes").one()
        assign(session, agent, ["C000001"], on=dt.date.today(), actor="test")
        session.add_all(
            [
                Pitch(seller_id="S000001", creator_id="C000001", stage="agreed", owner="agnes",
                      created_by="t", contacted_at=at, replied_at=at, agreed_at=at),
                Pitch(seller_id="S000002", creator_id="C000002", stage="contacted", owner="budi",
                      created_by="t", contacted_at=at),
            ]
        )  # fmt: skip
    url = f"/creators/funnel?start={START}&end={END}"
    steps = _csv_of(console, url, "funnel")  # signed in as agnes (the last to enter)
    assert [int(r["Pitches"]) for r in steps][:3] == [1, 1, 1]
    assert [r["Owner"] for r in _csv_of(console, url, "agents")] == ["agnes"]
    assert console.get(url + "&download=campaigns&format=csv").status_code == 404
    _sign_in(console, "ana")
    steps = _csv_of(console, url, "funnel")
    assert [int(r["Pitches"]) for r in steps][:3] == [2, 1, 1]
    assert {r["Owner"] for r in _csv_of(console, url, "agents")} == {"agnes", "budi"}
    page = console.get(url)
    assert page.status_code == 200 and "Campaign efficiency" in page.text
