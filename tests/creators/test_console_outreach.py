"""The collaboration pages: the pipeline board with bulk actions and reminders, samples with
deadlines and vouchers, the issue desk with SLA clocks, and the creator portal — each person
confined to what they may see, forms guarded by CSRF and versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.app import create_app
from pasar.config import Settings
from pasar.creators import issues, pitches, samples, vouchers
from pasar.creators.collaboration_models import CreatorIssue, Pitch, SampleRequest
from pasar.creators.days import today
from pasar.kit.db import Database
from tests.creators.collab_fixtures import collab_rows, sign_in, store, write_snapshot
from tests.text import mentions

__all__ = ["store"]


@dataclass
class Console:
    client: TestClient
    db: Database
    ids: dict[str, dict[str, object]]


@pytest.fixture
def console(store: Database, tmp_path: Path) -> Iterator[Console]:
    settings = Settings(home=tmp_path / "home", database_url=store.url)
    write_snapshot(
        settings,
        today() - dt.timedelta(days=1),
        [
            {"creator_id": c, "followers": 9000, "orders_90d": 12, "gmv_30d": 4_000_000}
            for c in ("C1", "C2", "C3")
        ],
    )
    with store.unit_of_work() as session:
        ids = {c: collab_rows(session, c, s, "cm") for c, s in (("C1", "S1"), ("C3", "S3"))}
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield Console(client, store, ids)


def test_each_person_sees_their_own_part(console: Console) -> None:
    client = console.client
    sign_in(console, "cm")
    board = client.get("/outreach")
    assert board.status_code == 200
    assert 'data-stage="shortlisted"' in board.text and "C3" in board.text
    assert "Outreach" in board.text and 'href="/my-collaborations"' not in board.text
    assert client.get("/samples").status_code == 200
    desk = client.get("/creator-issues")
    assert desk.status_code == 200 and "h left" in desk.text
    assert client.get("/my-collaborations").status_code == 404

    sign_in(console, "mira")  # agent of C1 and C2
    for path in ("/outreach", "/samples", "/creator-issues"):
        page = client.get(path)
        assert page.status_code == 200 and "C1" in page.text and not mentions(page.text, "C3"), path
    csv = client.get("/samples?download=samples&format=csv").text
    assert [line.split(",")[1] for line in csv.strip().splitlines()[1:]] == ["C1"]
    theirs = console.ids["C3"]["issue_id"]
    assert client.get(f"/creator-issues/{theirs}").status_code == 404

    sign_in(console, "ayu")  # creator C1
    assert client.get("/outreach").status_code == 403
    assert client.get("/samples").headers["location"] == "/my-collaborations"
    portal = client.get("/my-collaborations")
    assert portal.status_code == 200 and 'href="/my-collaborations"' in portal.text
    assert "My samples and deadlines" in portal.text and "P-C1" in portal.text
    assert not mentions(portal.text, "C3") and not mentions(portal.text, "S3")
    assert client.get(f"/creator-issues/{console.ids['C1']['issue_id']}").status_code == 200


def test_bulk_actions_from_the_board_are_all_or_nothing(console: Console) -> None:
    with console.db.unit_of_work() as session:
        for creator in ("C2", "C3"):
            pitches.add_pitch(session, seller_id="S1", creator_id=creator, owner="cm", actor="t")
        rows = session.scalars(select(Pitch).where(Pitch.seller_id == "S1")).all()
        ticked = [f"{p.id}:{p.version}" for p in rows]
    csrf = sign_in(console, "cm")
    stale = [*ticked[:-1], ticked[-1].split(":")[0] + ":9"]
    refused = console.client.post(
        "/outreach/bulk", data={"csrf_token": csrf, "action": "advance", "pitch": stale}
    )
    assert refused.status_code == 422
    assert "1 of 3 pitches cannot be advanced, so none was" in refused.text
    with console.db.unit_of_work() as session:
        assert {p.stage for p in session.scalars(select(Pitch))} == {"shortlisted"}
    done = console.client.post(
        "/outreach/bulk", data={"csrf_token": csrf, "action": "advance", "pitch": ticked}
    )
    assert (done.status_code, done.headers["location"]) == (303, "/outreach")
    forged = console.client.post(
        "/outreach/bulk", data={"action": "decline", "pitch": ticked, "reason": "x"}
    )
    assert forged.status_code == 403
    with console.db.unit_of_work() as session:
        stages = {p.stage for p in session.scalars(select(Pitch).where(Pitch.seller_id == "S1"))}
        assert stages == {"contacted"}
    first = ticked[0].split(":")[0]
    saved = console.client.post(
        f"/outreach/pitches/{first}",
        data={
            "csrf_token": csrf,
            "version": 2,
            "next_action": "call",
            "next_action_on": "2026-01-02",
        },
    )
    assert saved.status_code == 303
    assert "call" in console.client.get("/outreach?overdue=1").text
    added = console.client.post(
        "/outreach/pitches",
        data={"csrf_token": csrf, "seller_id": "S1", "creator_id": "C2", "owner": "cm"},
    )
    assert added.status_code == 422 and "already pitched for seller S1 by cm" in added.text


def test_a_creator_works_its_samples_and_issues_from_the_portal(console: Console) -> None:
    csrf = sign_in(console, "ayu")
    asked = console.client.post(
        "/samples/request",
        data={
            "csrf_token": csrf,
            "seller_id": "S9",
            "product_id": "P-lip",
            "kind": "free",
            "back": "/my-collaborations",
        },
    )
    assert asked.status_code == 303, asked.text
    with console.db.unit_of_work() as session:
        sample = session.scalars(
            select(SampleRequest).where(SampleRequest.product_id == "P-lip")
        ).one()
        samples.decide(session, sample.id, "approve", "user:seller")
        sample_id = sample.id
    theirs = console.ids["C3"]["sample_id"]
    for sid, expected in ((sample_id, 303), (theirs, 422)):
        done = console.client.post(
            f"/samples/{sid}/action",
            data={
                "csrf_token": csrf,
                "action": "deliver",
                "version": 2,
                "back": "/my-collaborations",
            },
        )
        assert done.status_code == expected, done.text
    portal = console.client.get("/my-collaborations")
    assert 'value="extend"' in portal.text and 'value="post"' in portal.text
    extended = console.client.post(
        f"/samples/{sample_id}/action",
        data={
            "csrf_token": csrf,
            "action": "extend",
            "version": 3,
            "reason": "sick",
            "back": "/my-collaborations",
        },
    )
    assert extended.status_code == 303
    again = console.client.post(
        f"/samples/{sample_id}/action",
        data={
            "csrf_token": csrf,
            "action": "extend",
            "version": 4,
            "reason": "still sick",
            "back": "/my-collaborations",
        },
    )
    assert again.status_code == 422 and "already had its one extension" in again.text
    approve = console.client.post(
        f"/samples/{sample_id}/action",
        data={"csrf_token": csrf, "action": "cancel", "version": 4, "reason": "x"},
    )
    assert approve.status_code == 403  # a creator does not cancel
    opened = console.client.post(
        "/creator-issues",
        data={
            "csrf_token": csrf,
            "kind": "wrong_commission",
            "title": "<script>alert(1)</script>",
            "description": "Paid 5% instead of 12%",
            "seller_id": "S9",
            "back": "/my-collaborations#issues",
        },
    )
    assert opened.status_code == 303
    with console.db.unit_of_work() as session:
        issue = session.scalars(select(CreatorIssue).where(CreatorIssue.seller_id == "S9")).one()
        assert (issue.creator_id, issue.raised_by_kind, issue.priority) == ("C1", "creator", "high")
        issues.resolve(session, issue.id, "user:cm", "Corrected in the next settlement")
    page = console.client.get(f"/creator-issues/{issue.id}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    reopened = console.client.post(
        f"/creator-issues/{issue.id}/action",
        data={"csrf_token": csrf, "action": "reopen", "version": 2, "body": "still 5%"},
    )
    assert reopened.status_code == 303


def test_staff_decide_ship_and_redeem_from_the_samples_page(console: Console) -> None:
    csrf = sign_in(console, "cm")
    sample_id = console.ids["C1"]["sample_id"]
    for action, version, extra in (("approve", 1, {}), ("ship", 2, {"tracking_number": "JNE1"})):
        done = console.client.post(
            f"/samples/{sample_id}/action",
            data={"csrf_token": csrf, "action": action, "version": version, **extra},
        )
        assert done.status_code == 303, done.text
    stale = console.client.post(
        f"/samples/{sample_id}/action",
        data={"csrf_token": csrf, "action": "cancel", "version": 1, "reason": "lost"},
    )
    assert stale.status_code == 422 and "changed by someone else" in stale.text
    made = console.client.post(
        "/vouchers",
        data={
            "csrf_token": csrf,
            "seller_id": "S1",
            "name": "Desember",
            "face_value": "40.000",
            "budget": "Rp 100.000",
            "codes": "3",
        },
    )
    assert made.status_code == 303, made.text
    with console.db.unit_of_work() as session:
        voucher_id = max(v.id for v in session.scalars(vouchers.voucher_query()))
        codes = [c.code for c in vouchers.codes_of(session, voucher_id) if c.creator_id is None]
    for code, expected in ((codes[0], 303), (codes[1], 303), (codes[2], 422)):
        redeemed = console.client.post("/vouchers/redeem", data={"csrf_token": csrf, "code": code})
        assert redeemed.status_code == expected
    assert "20,000 of its 100,000 budget left" in redeemed.text
    page = console.client.get("/samples")
    assert "Rp 80.000" in page.text and "Rp 20.000" in page.text
    swept = console.client.post("/samples/sweep", data={"csrf_token": csrf})
    escalated = console.client.post("/creator-issues/escalate", data={"csrf_token": csrf})
    assert swept.status_code == escalated.status_code == 303
    with console.db.unit_of_work() as session:
        assert session.get(SampleRequest, sample_id).status == "shipped"  # type: ignore[union-attr]
        assert vouchers.get_voucher(session, voucher_id).spent == Decimal(80_000)
