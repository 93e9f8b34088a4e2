"""Access control of the API on SQLite and PostgreSQL.

The matrix is generated from the route table: every ``/api/v1`` route × every role (and no
token at all) gets 401 without a token, 403 when the role lacks the route's scope, and neither
otherwise. Then a crawler signed in as seller A asks every route for seller B's rows and gets
nothing of B's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.access import ROUTE_SCOPES
from pasar.api.app import PREFIX, api_routes, create_app
from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.creators.assignments import assign
from pasar.governance import appeals
from pasar.governance.models import EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.policy.evaluate import FINDINGS_SCHEMA
from tests.creators.collab_fixtures import collab_rows
from tests.text import mentions

DAY = dt.date.today() - dt.timedelta(days=3)
PASSWORD = "a long enough passphrase"
SUBJECTS = {"seller": {"seller_id": "S1"}, "creator": {"creator_id": "C1"}}


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # role → token with every scope of the role
    ids: dict[str, dict[str, object]]  # seller → the path parameters of its rows

    @property
    def violations(self) -> dict[str, int]:
        return {seller: int(str(ids["violation_id"])) for seller, ids in self.ids.items()}


BODIES: dict[str, dict[str, object]] = {
    "decide_appeal": {"decision": "reject", "reason": "not enough evidence"},
    "decide_action": {"decision": "reject", "reason": "not warranted"},
    "decide_plan": {"decision": "reject", "reason": "not enough", "version": 1},
    # creator collaboration (pitches, samples, vouchers, issues)
    "add_pitch": {"seller_id": "S1", "creator_id": "C1"},
    "bulk_pitches": {"action": "advance", "pitches": [{"id": 1}]},
    "advance_pitch": {},
    "update_pitch": {"notes": "prefers WhatsApp"},
    "set_outreach_quota": {"weekly_limit": 50},
    "request_sample": {"seller_id": "S1", "product_id": "P-new"},
    "decide_sample": {"decision": "reject", "reason": "not our audience"},
    "ship_sample": {},
    "deliver_sample": {},
    "post_sample_content": {"url": "https://www.tiktok.com/@c1/video/1"},
    "extend_sample": {"reason": "travelling"},
    "withdraw_sample": {},
    "cancel_sample": {"reason": "out of stock"},
    "record_goal_orders": {"orders": 1},
    "create_voucher": {"seller_id": "S1", "name": "v", "face_value": 1000, "budget": 5000},
    "issue_voucher_codes": {"count": 1, "creator_id": "C1"},
    "redeem_voucher_code": {"code": "SV-NONE"},
    "open_creator_issue": {"kind": "other", "title": "t", "description": "d", "creator_id": "C1"},
    "respond_to_issue": {"body": "on it"},
    "add_issue_note": {"body": "more"},
    "resolve_issue": {"note": "done"},
    "reopen_issue": {"reason": "not done"},
    # agencies and assignments
    "assign_creators": {"agent": "agent", "creators": ["C1"]},
    "create_agency": {"name": "Agency A"},
    "join_agency": {"agency": "Agency A", "agents": ["agent"]},
    "assign_issue": {"priority": "low"},
    "allocate_budget": {
        "budget": 1000,
        "candidates": [
            {"creator_id": "C1", "category": "beauty", "cost": 400, "predicted_return": 900}
        ],
    },
    # readiness
    "create_program": {
        "name": "Pilot",
        "owner": "dewi",
        "starts_on": "2026-11-02",
        "launch_on": "2026-12-14",
        "centers": ["Makassar"],
    },
    "update_program": {"version": 1, "owner": "rudi"},
    "add_task": {
        "name": "SOP",
        "owner": "dewi",
        "team": "Service design",
        "start_on": "2026-11-02",
        "due_on": "2026-11-06",
    },
    "preview_task": {"due_on": "2026-11-09"},
    "update_task": {"version": 1, "due_on": "2026-11-09"},
    "add_dependency": {"predecessor_id": 1, "successor_id": 2},
    "add_risk": {"title": "hiring lags", "probability": 3, "impact": 4, "owner": "sari"},
    "update_risk": {"version": 1, "status": "closed"},
    "add_gate": {"name": "CSAT", "preset": "csat"},
    "check_gates": {},
    "mark_program_ready": {"version": 1, "override_reason": "pilot only"},
    "create_document": {"title": "SOP", "owner": "dewi", "body": "# SOP", "centers": ["Makassar"]},
    "publish_document_version": {"version": 1, "body": "# SOP v2"},
    "acknowledge_document": {"agent_ref": "MKS-001"},
    "add_agent": {"ref": "MKS-001", "name": "Andi", "center": "Makassar", "role": "lead"},
    "open_handover": {"center": "Makassar"},
    "add_handover_item": {"text": "rota agreed"},
    "tick_handover_item": {"done": True, "version": 1},
    "sign_off_handover": {"lead_ref": "MKS-001", "version": 1},
    # incentives
    "create_incentive_program": {"template": "tiered-attainment", "key": "access-check"},
    "edit_incentive_program": {"source": "program: access-check", "version": 1},
    "set_incentive_program_status": {"status": "active", "version": 1},
    "enrol_merchants": {},
    "simulate_incentive_program": {"draws": 10},
    "backtest_incentive_program": {},
    "optimise_incentive_budget": {"draws": 10},
    "run_incentive_payout": {},
    "run_incentive_clawback": {"period": "2026-10"},
    "measure_incentive_program": {"period": "2026-10"},
}
PDF = b"%PDF-1.4 evidence"
EVIDENCE = {
    "impacted order ids": "O1",
    "courier handover proof or tracking": "r.pdf",
    "explanation": "courier strike",
}


def _findings(seller: str) -> pa.Table:
    row: dict[str, Any] = {name: None for name in FINDINGS_SCHEMA.names}
    row.update(
        as_of=DAY,
        pack="tokopedia-id",
        pack_version=2,
        policy_id="late-dispatch-points",
        policy_version=2,
        entity="seller",
        subject=seller,
        kind="points",
        points=2,
        points_max=4,
        category="fulfilment",
        values='{"late_dispatch_rate_7d": 0.2}',
        explanation_en=f"{seller} late",
        explanation_id=f"{seller} terlambat",
    )
    return pa.Table.from_pylist([row], FINDINGS_SCHEMA)


@pytest.fixture
def api(database: Database, tmp_path: Any) -> Iterator[Api]:
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    tokens: dict[str, str] = {}
    with database.unit_of_work() as session:
        for seller in ("S1", "S2"):
            apply_day(session, scheme, DAY, _findings(seller), {}, DayReport(DAY, "", ""))
        for role in ROLES:
            user = create_user(
                session, role.replace("_", "-"), role, role, PASSWORD, **SUBJECTS.get(role, {})
            )  # type: ignore[arg-type]
            tokens[role] = issue_token(session, user, "test", sorted(ROLES[role]))[1]
        other = create_user(session, "seller-b", "B", "seller", PASSWORD, seller_id="S2")
        tokens["seller_b"] = issue_token(session, other, "test", sorted(ROLES["seller"]))[1]
    ids: dict[str, dict[str, object]] = {}
    with database.unit_of_work() as session:
        for entry in session.scalars(select(PointsEntry)):
            seller = entry.seller_id
            appeal = appeals.submit(
                session, scheme, entry.id, "logistics_provider", EVIDENCE, "why", DAY, "t"
            )
            action = EnforcementAction(
                dedupe_key=f"test:{seller}",
                seller_id=seller,
                action="permanent_suspension",
                source="ladder",
                step_at=48,
                scheme=scheme.ref,
                starts_on=DAY,
                status="pending_review",
            )
            session.add(action)
            session.flush()
            plan = PlanOfAction(
                action_id=action.id,
                seller_id=seller,
                revision=1,
                root_causes=["r"],
                corrective_actions=["c"],
                preventive_measures=["p"],
                evidence=["e"],
                status="submitted",
                submitted_on=DAY,
                submitted_by="t",
            )
            session.add(plan)
            session.flush()
            ids[seller] = {
                "seller_id": seller,
                "violation_id": entry.id,
                "appeal_id": appeal.id,
                "action_id": action.id,
                "plan_id": plan.id,
                "index": 0,
                "creator_id": "C1",
            }
    with database.unit_of_work() as session:  # creator C1's rows with S1's, C2's with S2's
        for seller, creator in (("S1", "C1"), ("S2", "C2")):
            ids[seller] |= {**collab_rows(session, creator, seller, "admin"), "creator_id": creator}
        agent = session.scalars(select(User).where(User.username == "agent")).one()
        assign(session, agent, ["C1"], DAY, "test")
    settings = Settings(home=tmp_path / "home", database_url=database.url)
    app = create_app(settings)
    with TestClient(app) as client:
        yield Api(client, tokens, ids)


Route = tuple[str, APIRoute]


def _routes(api: Api) -> list[tuple[Route, str]]:
    found = []
    for path, route in api_routes():
        calls = [d.call for d in route.dependant.dependencies]
        scopes = [ROUTE_SCOPES[c] for c in calls if c in ROUTE_SCOPES]
        assert len(scopes) == 1, f"{path} must declare exactly one scope"
        found.append(((path, route), scopes[0]))
    assert len(found) >= 8, "the API routes were not found"
    return found


def _call(api: Api, where: Route, token: str | None, seller: str = "S1") -> Any:
    path, route = where
    for name, value in api.ids[seller].items():
        path = path.replace("{" + name + "}", str(value))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    method = sorted(route.methods)[0]
    body = BODIES.get(route.name)
    if route.name == "submit_appeal":
        body = {
            "violation_id": api.violations[seller],
            "reason": "logistics_provider",
            "evidence": EVIDENCE,
            "statement": "again",
        }
    if route.name == "submit_plan":
        body = {
            "action_id": api.ids[seller]["action_id"],
            "root_causes": ["a"],
            "corrective_actions": ["b"],
            "preventive_measures": ["c"],
            "evidence": ["d"],
        }
    if route.name == "attach_evidence":
        files = {"file": ("proof.pdf", PDF, "application/pdf")}
        return api.client.post(path, headers=headers, files=files, data={"item": "tracking"})
    return api.client.request(method, path, headers=headers, json=body)


def test_every_route_against_every_role(api: Api) -> None:
    tried = 0
    for route, scope in _routes(api):
        response = _call(api, route, None)
        assert response.status_code == 401, route[0]
        assert response.json()["error"]["code"] == "unauthenticated"
        for role in ROLES:
            response = _call(api, route, api.tokens[role])
            tried += 1
            if scope in ROLES[role]:
                assert response.status_code not in (401, 403), (route[0], role, response.text)
            else:
                assert response.status_code == 403, (route[0], role, response.text)
                assert response.json()["error"]["code"] == "forbidden"
    assert tried == len(_routes(api)) * len(ROLES)


def test_seller_a_gets_nothing_of_seller_b(api: Api) -> None:
    token = api.tokens["seller"]  # seller S1
    for route, scope in _routes(api):
        if scope not in ROLES["seller"]:
            continue
        response = _call(api, route, token, seller="S2")
        assert not mentions(response.text, "S2") or response.status_code in (404, 422), route[0]
        if route[0].endswith("}") or sorted(route[1].methods)[0] == "POST":
            assert response.status_code == 404, route[0]
    headers = {"Authorization": f"Bearer {token}"}
    listed = api.client.get(f"{PREFIX}/violations", params={"seller_id": "S2"}, headers=headers)
    assert listed.json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    mine = api.client.get(f"{PREFIX}/violations", headers=headers).json()
    assert [v["seller_id"] for v in mine["items"]] == ["S1"]
    staff = {"Authorization": f"Bearer {api.tokens['analyst']}"}
    assert api.client.get(f"{PREFIX}/violations", headers=staff).json()["total"] == 2


def test_errors_have_one_shape(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.tokens['analyst']}"}
    bad_sort = api.client.get(f"{PREFIX}/violations?sort=colour", headers=headers)
    assert bad_sort.status_code == 422
    assert bad_sort.json()["error"]["field"] == "sort"
    bad_limit = api.client.get(f"{PREFIX}/violations?limit=0", headers=headers)
    assert bad_limit.status_code == 422 and bad_limit.json()["error"]["field"] == "limit"
    missing = api.client.get(f"{PREFIX}/sellers/S9", headers=headers)
    assert missing.status_code == 404
    assert missing.json() == {
        "error": {"code": "not_found", "message": "no seller 'S9'", "field": None}
    }
    assert api.client.get("/api/openapi.json").status_code == 200


def test_a_seller_appeals_its_own_violation(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.tokens['seller']}"}
    evidence = {
        "impacted order ids": "O1",
        "courier handover proof or tracking": "r.pdf",
        "explanation": "courier strike",
    }
    body = {
        "violation_id": api.violations["S1"],
        "reason": "logistics_provider",
        "evidence": evidence,
        "statement": "the courier did not come",
    }
    waiting = api.client.post(f"{PREFIX}/appeals", json=body, headers=headers)
    assert waiting.status_code == 409  # the fixture's appeal is still waiting
    reviewer = {"Authorization": f"Bearer {api.tokens['governance_reviewer']}"}
    first = api.ids["S1"]["appeal_id"]
    decided = api.client.post(
        f"{PREFIX}/appeals/{first}/decision",
        json={"decision": "reject", "reason": "no tracking", "version": 1},
        headers=reviewer,
    )
    assert decided.status_code == 200 and decided.json()["status"] == "rejected", decided.text
    again = api.client.post(
        f"{PREFIX}/appeals/{first}/decision",
        json={"decision": "accept", "reason": "changed my mind", "version": 1},
        headers=reviewer,
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    created = api.client.post(f"{PREFIX}/appeals", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "submitted" and created.json()["number"] == 2
    theirs = {**body, "violation_id": api.violations["S2"]}
    assert api.client.post(f"{PREFIX}/appeals", json=theirs, headers=headers).status_code == 404
    page = api.client.get(f"{PREFIX}/appeals", headers=headers).json()
    assert [a["seller_id"] for a in page["items"]] == ["S1", "S1"]
    other = {"Authorization": f"Bearer {api.tokens['seller_b']}"}
    assert [
        a["seller_id"] for a in api.client.get(f"{PREFIX}/appeals", headers=other).json()["items"]
    ] == ["S2"]


COLLABORATION = ("pasar.api.pitches", "pasar.api.samples", "pasar.api.creator_issues")


def test_creators_and_agents_get_nothing_of_another_creator(api: Api) -> None:
    """Creator C1 and an agent looking after C1 ask every creator route for creator C2's
    pitch, sample, issue and voucher (C2's ids in paths, C2 in bodies) and get nothing of C2's;
    then each lists only C1's rows."""
    theirs = api.ids["S2"]
    crossing: dict[str, object] = {
        "add_pitch": {"seller_id": "S3", "creator_id": "C2"},
        "request_sample": {"creator_id": "C2", "seller_id": "S2", "product_id": "P9"},
        "open_creator_issue": {**BODIES["open_creator_issue"], "creator_id": "C2"},
        "issue_voucher_codes": {"count": 1, "creator_id": "C2"},
        "redeem_voucher_code": {"code": theirs["code"]},
        "bulk_pitches": {"action": "advance", "pitches": [{"id": theirs["pitch_id"]}]},
    }
    for role in ("creator", "agent"):
        headers = {"Authorization": f"Bearer {api.tokens[role]}"}
        for (path, route), scope in _routes(api):
            if scope not in ROLES[role] or not scope.startswith("creators:"):
                continue
            for name, value in theirs.items():
                path = path.replace("{" + name + "}", str(value))
            method = sorted(route.methods)[0]
            body = crossing.get(route.name, BODIES.get(route.name))
            response = api.client.request(method, path, headers=headers, json=body)
            where = (role, method, path)
            assert not mentions(response.text, "C2") or response.status_code in (404, 422), where
            if route.endpoint.__module__ not in COLLABORATION:
                continue
            by_id = ("pitch_id", "sample_id", "issue_id", "voucher_id", "creator_id")
            if any(f"{{{p}}}" in route.path for p in by_id) or route.name in crossing:
                expected = 422 if route.name == "bulk_pitches" else 404
                assert response.status_code == expected, (where, response.text)
        for listing in ("/pitches", "/samples", "/creator-issues", "/vouchers"):
            page = api.client.get(PREFIX + listing, headers=headers).json()
            assert page["total"] >= 1, (role, listing)
            assert not mentions(str(page), "C2") and "C1" in str(page), (role, listing)
        mine = api.ids["S1"]["voucher_id"]
        voucher = api.client.get(f"{PREFIX}/vouchers/{mine}", headers=headers).json()
        assert [c["creator_id"] for c in voucher["codes"]] == ["C1"]
    staff = {"Authorization": f"Bearer {api.tokens['creator_manager']}"}
    assert api.client.get(f"{PREFIX}/samples", headers=staff).json()["total"] == 2
