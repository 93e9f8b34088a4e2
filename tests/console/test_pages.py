"""The console on SQLite and PostgreSQL: sign in, cookies, CSRF, seller confinement, escaping,
and a reviewer deciding from the queue."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.app import create_app
from pasar.auth.service import create_user
from pasar.config import Settings
from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from tests.api.test_access import _findings
from tests.text import mentions

PASSWORD = "a long enough passphrase"
DAY = dt.date.today() - dt.timedelta(days=3)


@pytest.fixture
def console(database: Database, tmp_path: Any) -> Iterator[TestClient]:
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    with database.unit_of_work() as session:
        for seller in ("S1", "S2"):
            apply_day(session, scheme, DAY, _findings(seller), {}, DayReport(DAY, "", ""))
        entry = session.scalars(select(PointsEntry).where(PointsEntry.seller_id == "S2")).one()
        session.add(
            EnforcementAction(
                dedupe_key="t:S2", seller_id="S2", action="permanent_suspension",
                source="ladder", step_at=48, scheme=scheme.ref, starts_on=DAY,
                status="pending_review", review_reason="never automatic",
                explanation_en="<script>alert(1)</script>",
            )
        )  # fmt: skip
        assert entry.id
        create_user(session, "rina", "Rina", "governance_reviewer", PASSWORD)
        create_user(session, "shop1", "Shop 1", "seller", PASSWORD, seller_id="S1")
    app = create_app(Settings(home=tmp_path / "home", database_url=database.url))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _sign_in(client: TestClient, username: str) -> str:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = client.get(response.headers["location"], follow_redirects=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    return csrf[1]


def test_pages_need_a_session(console: TestClient) -> None:
    for path in ("/", "/sellers/S1", "/queue", "/appeals"):
        response = console.get(path)
        assert (response.status_code, response.headers["location"]) == (303, "/login")


def test_sign_in_needs_the_form_token_and_the_password(console: TestClient) -> None:
    refused = console.post("/login", data={"username": "rina", "password": PASSWORD})
    assert refused.status_code == 200 and "This form expired" in refused.text
    form = console.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    wrong = console.post(
        "/login", data={"username": "rina", "password": "nope-nope-nope", "csrf_token": token[1]}
    )
    assert "Invalid username or password" in wrong.text


def test_a_seller_sees_only_its_shop(console: TestClient) -> None:
    _sign_in(console, "shop1")
    assert console.get("/").headers["location"] == "/sellers/S1"
    mine = console.get("/sellers/S1")
    assert mine.status_code == 200 and "S1 late" in mine.text
    theirs = console.get("/sellers/S2")
    assert theirs.status_code == 404 and "S2 late" not in theirs.text
    assert not mentions(console.get("/appeals").text, "S2")
    assert console.get("/queue").status_code == 403


def test_reviewer_decides_from_the_queue_with_csrf(console: TestClient) -> None:
    csrf = _sign_in(console, "rina")
    queue = console.get("/queue")
    assert queue.status_code == 200
    page = console.get("/sellers/S2")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    action = re.search(r'action="/actions/(\d+)/decision"', queue.text)
    assert action is not None
    form = {"decision": "approve", "reason": "48 points", "version": "1"}
    forged = console.post(f"/actions/{action[1]}/decision", data=form)
    assert forged.status_code == 403
    done = console.post(f"/actions/{action[1]}/decision", data={**form, "csrf_token": csrf})
    assert done.status_code == 303
    assert "Nothing is waiting for a person" in console.get("/queue").text


def test_sign_out_ends_the_session(console: TestClient) -> None:
    csrf = _sign_in(console, "rina")
    assert console.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert console.get("/").status_code == 303
