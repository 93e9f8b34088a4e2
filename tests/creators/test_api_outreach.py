"""The collaboration API across the lines: creator A cannot read or act on creator B's
samples, pitches or issues; an agent only on its assigned creators — while each does what it
may (a creator requests samples and raises issues for itself)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.app import PREFIX, create_app
from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import issue_token
from pasar.config import Settings
from pasar.creators.days import today
from pasar.kit.db import Database
from tests.creators.collab_fixtures import add_user, collab_rows, store, write_snapshot
from tests.text import mentions

__all__ = ["store"]


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    ids: dict[str, dict[str, object]]

    def call(self, who: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, PREFIX + path, headers=headers, json=body)


@pytest.fixture
def api(store: Database, tmp_path: Path) -> Iterator[Api]:
    add_user(store, "cara", "creator", "C3")
    settings = Settings(home=tmp_path / "home", database_url=store.url)
    write_snapshot(
        settings,
        today() - dt.timedelta(days=1),
        [
            {"creator_id": "C1", "followers": 9000, "orders_90d": 12, "gmv_30d": 4_000_000},
            {"creator_id": "C3", "followers": 400, "orders_90d": 0, "gmv_30d": 0},
        ],
    )
    tokens = {}
    with store.unit_of_work() as session:
        ids = {c: collab_rows(session, c, s, "cm") for c, s in (("C1", "S1"), ("C3", "S3"))}
        for name in ("ayu", "cara", "mira", "cm"):
            user = session.scalars(select(User).where(User.username == name)).one()
            tokens[name] = issue_token(session, user, "t", sorted(ROLES[user.role]))[1]
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens, ids)


def test_creator_a_cannot_reach_creator_bs_rows(api: Api) -> None:
    theirs = api.ids["C3"]
    for path in (
        f"/samples/{theirs['sample_id']}",
        f"/pitches/{theirs['pitch_id']}",
        f"/creator-issues/{theirs['issue_id']}",
        f"/vouchers/{theirs['voucher_id']}",
        "/creators/C3/sample-eligibility",
    ):
        response = api.call("ayu", "GET", path)
        assert response.status_code == 404 and not mentions(
            response.text.replace("no creator C3", ""), "C3"
        ), path
    for path, body in (
        (f"/samples/{theirs['sample_id']}/withdrawal", {}),
        (f"/samples/{theirs['sample_id']}/extension", {"reason": "x"}),
        (f"/creator-issues/{theirs['issue_id']}/notes", {"body": "x"}),
        (f"/creator-issues/{theirs['issue_id']}/reopening", {"reason": "x"}),
        ("/samples", {"creator_id": "C3", "seller_id": "S1", "product_id": "P1"}),
        (
            "/creator-issues",
            {"kind": "other", "title": "t", "description": "d", "creator_id": "C3"},
        ),
    ):
        assert api.call("ayu", "POST", path, body).status_code == 404, path
    for listing in ("/samples", "/pitches", "/creator-issues", "/vouchers", "/samples/overdue"):
        body = api.call("ayu", "GET", listing).json()
        assert not mentions(str(body), "C3") and not mentions(str(body), "S3"), listing
    mine = api.call("ayu", "GET", "/pitches").json()["items"]
    assert [p["creator_id"] for p in mine] == ["C1"] and mine[0]["owner"] is None  # no notes
    assert api.call("cara", "GET", f"/samples/{api.ids['C1']['sample_id']}").status_code == 404
    assert api.call("ayu", "POST", "/samples/sweep").status_code == 403
    assert (
        api.call(
            "ayu",
            "POST",
            f"/samples/{api.ids['C1']['sample_id']}/decision",
            {"decision": "approve"},
        ).status_code
        == 403
    )


def test_an_agent_works_only_its_assigned_creators(api: Api) -> None:
    theirs = api.ids["C3"]
    listed = api.call("mira", "GET", "/samples").json()
    assert [s["creator_id"] for s in listed["items"]] == ["C1"]
    assert api.call("mira", "GET", f"/samples/{theirs['sample_id']}").status_code == 404
    for path, body in (
        (f"/samples/{theirs['sample_id']}/decision", {"decision": "approve"}),
        (f"/pitches/{theirs['pitch_id']}/advance", {}),
        (f"/creator-issues/{theirs['issue_id']}/responses", {"body": "hi"}),
        ("/pitches", {"seller_id": "S1", "creator_id": "C3"}),
        ("/voucher-redemptions", {"code": theirs["code"]}),
        ("/outreach-quotas/S1", {"weekly_limit": 5}),
    ):
        assert api.call("mira", "POST", path, body).status_code == 404, path
    bulk = api.call(
        "mira",
        "POST",
        "/pitches/bulk",
        {
            "action": "advance",
            "pitches": [{"id": api.ids["C1"]["pitch_id"]}, {"id": theirs["pitch_id"]}],
        },
    )
    assert bulk.status_code == 422
    assert bulk.json()["error"]["message"].endswith(f"#{theirs['pitch_id']}: no such pitch")
    added = api.call(
        "mira",
        "POST",
        "/pitches",
        {"seller_id": "S2", "creator_id": "C2", "next_action_on": "2026-01-01"},
    )
    assert added.status_code == 201 and added.json()["owner"] == "mira"
    assert added.json()["overdue"] is True
    reminders = api.call("mira", "GET", "/pitches/overdue").json()
    assert [r["owner"] for r in reminders] == ["mira"]
    edited = api.call(
        "mira",
        "PATCH",
        f"/pitches/{added.json()['id']}",
        {"next_action_on": "2099-01-01", "notes": "prefers WhatsApp", "version": 1},
    )
    assert edited.json()["overdue"] is False and edited.json()["notes"] == "prefers WhatsApp"
    assert api.call("mira", "GET", "/pitches/overdue").json() == []
    assert (
        api.call("mira", "PATCH", f"/pitches/{theirs['pitch_id']}", {"notes": "x"}).status_code
        == 404
    )
    quota = api.call("mira", "GET", "/outreach-quotas/S2").json()
    assert (quota["used"], quota["limit"]) == (0, 100)


def test_a_creator_requests_samples_and_raises_issues_for_itself(api: Api) -> None:
    verdict = api.call("ayu", "GET", "/creators/C1/sample-eligibility").json()
    assert verdict["eligible"] is True and verdict["monthly_cap"] == 5
    assert verdict["used_this_month"] == 1  # the fixture's request
    asked = api.call("ayu", "POST", "/samples", {"seller_id": "S1", "product_id": "P-serum"})
    assert asked.status_code == 201, asked.text
    sample = asked.json()
    assert (sample["creator_id"], sample["status"], sample["next_deadline"]) == (
        "C1",
        "requested",
        "seller decision",
    )
    refused = api.call("cara", "POST", "/samples", {"seller_id": "S1", "product_id": "P1"})
    assert refused.status_code == 422
    assert "400 followers (at least 1,000)" in refused.json()["error"]["message"]
    refundable = api.call(
        "cara", "POST", "/samples", {"seller_id": "S1", "product_id": "P1", "kind": "refundable"}
    )
    assert refundable.status_code == 201 and refundable.json()["refund_goal_orders"] == 1
    decided = api.call(
        "cm", "POST", f"/samples/{sample['id']}/decision", {"decision": "approve", "version": 1}
    )
    assert decided.status_code == 200
    stale = api.call(
        "cm", "POST", f"/samples/{sample['id']}/decision", {"decision": "reject", "version": 1}
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    delivered = api.call("ayu", "POST", f"/samples/{sample['id']}/delivery", {})
    assert delivered.json()["next_deadline"] == "content"
    assert delivered.json()["days_left"] == pytest.approx(14, abs=0.01)
    posted = api.call(
        "ayu",
        "POST",
        f"/samples/{sample['id']}/content",
        {"url": "https://www.tiktok.com/@ayu/video/9", "content_format": "live"},
    )
    assert posted.json()["status"] == "posted" and posted.json()["posted_late"] is False
    issue = api.call(
        "ayu",
        "POST",
        "/creator-issues",
        {
            "kind": "content_rejected",
            "title": "Video rejected",
            "description": "No reason given",
            "sample_id": sample["id"],
        },
    ).json()
    assert (issue["creator_id"], issue["raised_by_kind"], issue["point_of_contact"]) == (
        "C1",
        "creator",
        "cm",
    )  # the owner of the pitch the sample belongs to
    assert issue["first_response"]["hours_left"] == pytest.approx(24, abs=0.01)
    assert (
        api.call(
            "ayu",
            "POST",
            "/creator-issues",
            {"kind": "other", "title": "t", "description": "d", "raised_by": "seller"},
        ).status_code
        == 422
    )
    responded = api.call(
        "mira", "POST", f"/creator-issues/{issue['id']}/responses", {"body": "Looking into it"}
    ).json()
    assert responded["first_response"]["met_at"] is not None
    resolved = api.call(
        "cm", "POST", f"/creator-issues/{issue['id']}/resolution", {"note": "Approved after review"}
    ).json()
    reopened = api.call(
        "ayu",
        "POST",
        f"/creator-issues/{issue['id']}/reopening",
        {"reason": "Rejected again", "version": resolved["version"]},
    ).json()
    assert reopened["status"] == "open" and reopened["reopened"] == 1
    assert [n["kind"] for n in reopened["notes"]] == ["response", "resolution", "reopen"]
    assert api.call("cm", "POST", "/outreach-quotas/S1", {"weekly_limit": 7}).json()["limit"] == 7
