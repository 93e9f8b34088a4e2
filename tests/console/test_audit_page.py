"""The audit log page of the console on SQLite and PostgreSQL: filters return exactly the
matching events, newest first, times in WIB, a compact before → after, escaping, downloads."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pasar.api.app import create_app
from pasar.audit.service import audit
from pasar.config import Settings
from pasar.console.audit import changes
from pasar.kit.clock import frozen_at
from pasar.kit.db import Database
from tests.console.test_policies_page import enter

UTC = dt.UTC
# (UTC moment, actor, action, entity type, entity id, reason, before, after), oldest first
EVENTS = [
    (
        dt.datetime(2026, 10, 1, 16, 30, tzinfo=UTC),  # 2026-10-01 23:30 WIB
        "user:rina", "appeal.decided", "appeal", "7", "<script>alert(1)</script>",
        {"status": "submitted", "version": 1, "seller_id": "S1"},
        {"status": "accepted", "version": 2, "seller_id": "S1"},
    ),
    (
        dt.datetime(2026, 10, 1, 17, 30, tzinfo=UTC),  # 2026-10-02 00:30 WIB
        "user:rina", "action.approved", "enforcement_action", "3", "48 points", None, None,
    ),
    (
        dt.datetime(2026, 10, 2, 3, 0, tzinfo=UTC),  # 2026-10-02 10:00 WIB
        "seller:S1", "appeal.submitted", "appeal", "7", None,
        None, {"status": "submitted", "statement": None, "seller_id": "S1"},
    ),
    (
        dt.datetime(2026, 10, 3, 2, 0, tzinfo=UTC),  # 2026-10-03 09:00 WIB
        "system", "appeal.decided", "appeal", "8", "expired",
        {"status": "submitted"}, {"status": "rejected"},
    ),
]  # fmt: skip


@pytest.fixture
def console(database: Database, pasar_home: Path) -> Iterator[TestClient]:
    with database.unit_of_work() as session:
        for moment, actor, action, kind, key, reason, before, after in EVENTS:
            with frozen_at(moment):
                audit.record(
                    session, actor=actor, action=action, entity_type=kind, entity_id=key,
                    reason=reason, before=before, after=after,
                )  # fmt: skip
    app = create_app(Settings(home=pasar_home, database_url=database.url))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _rows(client: TestClient, query: str) -> list[dict[str, str]]:
    response = client.get(f"/audit?{query}&download=events&format=csv")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _shown(client: TestClient, query: str) -> list[tuple[str, str, str]]:
    """(actor, action, entity id) of every row of the page's table, in order."""
    page = client.get(f"/audit?{query}")
    assert page.status_code == 200, page.text
    body = re.search(r'<section class="table" id="events">.*?<tbody>(.*?)</tbody>', page.text, re.S)
    if body is None:
        assert "No event matches these filters." in page.text
        return []
    found = []
    for row in re.findall(r"<tr>(.*?)</tr>", body[1], re.S):
        cells = [html.unescape(c.strip()) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        found.append((cells[1], cells[2], cells[4]))
    return found


def test_events_newest_first_in_wib_with_what_changed(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/audit?entity_type=appeal")
    assert page.status_code == 200
    assert "2026-10-01 23:30 WIB" in page.text and "2026-10-03 09:00 WIB" in page.text
    assert "status: submitted → accepted; version: 1 → 2" in page.text
    assert "created: status=submitted, seller_id=S1" in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert _shown(console, "entity_type=appeal") == [
        ("system", "appeal.decided", "8"),
        ("seller:S1", "appeal.submitted", "7"),
        ("user:rina", "appeal.decided", "7"),
    ]
    everything = _shown(console, "")
    assert everything[0][:2] == ("cli", "user.created")  # ana, just before signing in
    assert everything[1:] == [(a, b, c) for _, a, b, _, c, *_ in reversed(EVENTS)]


DECIDED_7 = ("user:rina", "appeal.decided", "7")
APPROVED_3 = ("user:rina", "action.approved", "3")
SUBMITTED_7 = ("seller:S1", "appeal.submitted", "7")
DECIDED_8 = ("system", "appeal.decided", "8")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=user:rina", [APPROVED_3, DECIDED_7]),
        ("action=appeal.decided", [DECIDED_8, DECIDED_7]),
        ("entity_type=appeal&entity_id=7", [SUBMITTED_7, DECIDED_7]),
        # local days: 10-01 23:30 WIB is not on 10-02, 10-02 00:30 WIB is
        ("start=2026-10-02&end=2026-10-02", [SUBMITTED_7, APPROVED_3]),
        ("end=2026-10-01", [DECIDED_7]),
        ("actor=user:rina&start=2026-10-02", [APPROVED_3]),
        ("actor=nobody", []),
    ],
)
def test_filters_return_exactly_the_matching_events(
    console: TestClient, query: str, expected: list[tuple[str, str, str]]
) -> None:
    enter(console, "ana")
    assert _shown(console, query) == expected
    rows = _rows(console, query)
    assert [(r["Actor"], r["Action"], r["Entity id"]) for r in rows] == expected


def test_downloads_carry_the_filtered_rows(console: TestClient) -> None:
    enter(console, "ana")
    rows = _rows(console, "actor=user:rina")
    assert list(rows[0]) == [
        "Time", "Actor", "Action", "Entity type", "Entity id", "Reason", "What changed"
    ]  # fmt: skip
    assert rows[1]["Time"] == "2026-10-01 23:30:00"  # WIB, as on the page
    assert rows[1]["Reason"] == "<script>alert(1)</script>"
    response = console.get("/audit?action=appeal.decided&download=events&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("Time", "Actor", "Action")
    assert [(r[1], r[4]) for r in values[1:]] == [("system", "8"), ("user:rina", "7")]
    assert values[1][0] == dt.datetime(2026, 10, 3, 9, 0)
    assert values[1][6] == "status: submitted → rejected"


def test_bad_dates_are_explained(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/audit?start=2026-10-05&end=2026-10-01")
    assert page.status_code == 422
    assert "The day to (2026-10-01) is before the day from (2026-10-05)." in page.text
    page = console.get("/audit?start=last+week")
    assert page.status_code == 422 and "is not a date like 2026-10-31" in page.text
    assert 'id="events"' not in page.text


@pytest.mark.parametrize("username", ["shop1", "cr1"])
def test_roles_without_audit_read_are_refused(console: TestClient, username: str) -> None:
    enter(console, username)
    page = console.get("/audit")
    assert page.status_code == 403 and "appeal.decided" not in page.text


def test_changes_are_compact() -> None:
    assert changes(None, None) == ""
    assert changes({"a": 1}, None) == "removed"
    assert changes({"a": 1, "b": "x"}, {"a": 2, "b": "x", "c": [1]}) == "a: 1 → 2; c: — → [1]"
    long = changes({"text": "x" * 100}, {"text": "y"})
    assert long == "text: " + "x" * 39 + "… → y"
    assert changes(None, {"id": 3, "version": 1, "status": "new"}) == "created: status=new"
    many = changes(None, {f"k{n}": n + 1 for n in range(10)})
    assert many == "created: k0=1, k1=2, k2=3, k3=4, k4=5, … and 5 more"
    decided = changes({"decided_at": None}, {"decided_at": "2026-10-01T16:30:00.5+00:00"})
    assert decided == "decided_at: — → 2026-10-01 23:30 WIB"
