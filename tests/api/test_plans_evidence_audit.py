"""Plans of action, appeal evidence files and the audit log through the API, on SQLite and
PostgreSQL, with the confinement of sellers."""

from __future__ import annotations

import hashlib

from pasar.api.app import PREFIX
from tests.api.test_access import Api, api  # noqa: F401  # the fixture

PDF = b"%PDF-1.4\n% a small proof of handover\n"


def _as(world: Api, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def test_a_seller_attaches_a_file_and_only_it_and_staff_read_it(api: Api) -> None:  # noqa: F811
    appeal = api.ids["S1"]["appeal_id"]
    url = f"{PREFIX}/appeals/{appeal}/evidence"
    sent = api.client.post(
        url,
        headers=_as(api, "seller"),
        data={"item": "tracking"},
        files={"file": ("../../handover.pdf", PDF, "application/pdf")},
    )
    assert sent.status_code == 201, sent.text
    files = [e for e in sent.json()["evidence"] if e["file"]]
    assert files == [
        {
            "item": "tracking",
            "given": "handover.pdf",
            "file": "handover.pdf",
            "media_type": "application/pdf",
            "bytes": len(PDF),
        }
    ]
    got = api.client.get(f"{url}/0", headers=_as(api, "governance_reviewer"))
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(PDF).hexdigest()
    assert api.client.get(f"{url}/0", headers=_as(api, "seller_b")).status_code == 404
    assert api.client.get(f"{url}/1", headers=_as(api, "seller")).status_code == 404
    theirs = f"{PREFIX}/appeals/{api.ids['S2']['appeal_id']}/evidence"
    refused = api.client.post(
        theirs,
        headers=_as(api, "seller"),
        data={"item": "x"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert refused.status_code == 404
    fake = api.client.post(
        url,
        headers=_as(api, "seller"),
        data={"item": "x"},
        files={"file": ("a.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")},
    )
    assert fake.status_code == 422 and fake.json()["error"]["field"] == "evidence"
    audit = api.client.get(
        f"{PREFIX}/audit", params={"action": "appeal.evidence_added"}, headers=_as(api, "admin")
    ).json()
    assert audit["total"] == 1 and audit["items"][0]["entity_id"] == str(appeal)
    assert audit["items"][0]["actor"] == "user:seller"
    assert api.client.get(f"{PREFIX}/audit", headers=_as(api, "seller")).status_code == 403


def test_evidence_closes_with_the_decision(api: Api) -> None:  # noqa: F811
    appeal = api.ids["S1"]["appeal_id"]
    decided = api.client.post(
        f"{PREFIX}/appeals/{appeal}/decision",
        headers=_as(api, "governance_reviewer"),
        json={"decision": "reject", "reason": "no tracking", "version": 1},
    )
    assert decided.status_code == 200
    late = api.client.post(
        f"{PREFIX}/appeals/{appeal}/evidence",
        headers=_as(api, "seller"),
        data={"item": "x"},
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    assert late.status_code == 409 and late.json()["error"]["code"] == "conflict"


def test_plans_are_listed_per_shop_and_decided_once(api: Api) -> None:  # noqa: F811
    staff = api.client.get(f"{PREFIX}/plans", headers=_as(api, "governance_reviewer")).json()
    assert sorted(p["seller_id"] for p in staff["items"]) == ["S1", "S2"]
    mine = api.client.get(f"{PREFIX}/plans", headers=_as(api, "seller")).json()
    assert [p["seller_id"] for p in mine["items"]] == ["S1"] and mine["total"] == 1
    plan = api.ids["S1"]["plan_id"]
    url = f"{PREFIX}/plans/{plan}/decision"
    body = {"decision": "request_changes", "reason": "say how you will prevent it", "version": 1}
    first = api.client.post(url, headers=_as(api, "governance_reviewer"), json=body)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "changes_requested"
    assert first.json()["comment"] == "say how you will prevent it"
    again = api.client.post(url, headers=_as(api, "governance_reviewer"), json=body)
    assert again.status_code == 409
    assert api.client.post(url, headers=_as(api, "seller"), json=body).status_code == 403
