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
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.governance import appeals
from pasar.governance.models import EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.policy.evaluate import FINDINGS_SCHEMA

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
        assert "S2" not in response.text or response.status_code in (404, 422), route[0]
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
