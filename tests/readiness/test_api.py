"""The readiness API on SQLite and PostgreSQL: a program manager plans a launch end to end
(a cycle refused by name, a slip previewed then saved, a stale edit refused, gates checked
over generated tickets, ready refused then overridden, documents acknowledged version by
version, a handover, service metrics, the report), an analyst reads but cannot change."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pasar.api.app import PREFIX, create_app
from pasar.audit.service import audit
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.kit.db import Database
from tests.readiness.conftest import DAY, Market, center_metrics, window

API = f"{PREFIX}/readiness"
_runs = itertools.count()


@dataclass
class Client:
    http: TestClient
    store: Database
    tokens: dict[str, str]
    users: dict[str, str]

    def call(self, method: str, path: str, role: str = "program_manager", **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return self.http.request(method, f"{API}{path}", headers=headers, **kwargs)


@pytest.fixture
def api(store: Database, market: Market) -> Iterator[Client]:
    run = next(_runs)
    tokens, users = {}, {}
    with store.unit_of_work() as s:
        for role in ("program_manager", "analyst", "seller"):
            extra = {"seller_id": "S1"} if role == "seller" else {}
            user = create_user(
                s, f"api{run}-{role}", role, role, "a long enough passphrase", **extra
            )
            tokens[role] = issue_token(s, user, "test", sorted(ROLES[role]))[1]
            users[role] = user.username
    settings = Settings(home=market.settings.home, database_url=store.url)
    with TestClient(create_app(settings)) as http:
        yield Client(http, store, tokens, users)


def test_a_launch_planned_through_the_api(api: Client, market: Market) -> None:
    body = {
        "name": f"API pilot {id(api)}",
        "owner": "dewi",
        "starts_on": "2026-11-02",
        "launch_on": "2026-11-20",
        "centers": ["Makassar"],
    }
    assert api.http.post(f"{API}/programs", json=body).status_code == 401
    assert api.call("POST", "/programs", "analyst", json=body).status_code == 403
    assert api.call("POST", "/programs", "seller", json=body).status_code == 403
    made = api.call("POST", "/programs", json=body)
    assert made.status_code == 201, made.text
    program = made.json()
    assert api.call("POST", "/programs", json=body).status_code == 409
    pid = program["id"]

    def task(name: str, start: str, due: str, after: list[int]) -> dict[str, Any]:
        answer = api.call(
            "POST",
            f"/programs/{pid}/tasks",
            json={
                "name": name,
                "owner": "o",
                "team": "t",
                "start_on": start,
                "due_on": due,
                "predecessors": after,
            },
        )
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    sop = task("Write SOP", "2026-11-02", "2026-11-04", [])
    hire = task("Hire", "2026-11-02", "2026-11-06", [])
    train = task("Train", "2026-11-07", "2026-11-08", [sop["id"], hire["id"]])
    loop = api.call(
        "POST", "/dependencies", json={"predecessor_id": train["id"], "successor_id": sop["id"]}
    )
    assert loop.status_code == 422
    assert loop.json()["error"] == {
        "code": "invalid",
        "message": "'Write SOP' cannot wait for 'Train': that would make a cycle "
        "Train → Write SOP → Train",
        "field": "predecessor",
    }
    plan = api.call(
        "GET", f"/programs/{pid}/schedule", "analyst", params={"today": "2026-11-02"}
    ).json()
    assert plan["critical_path"] == [hire["id"], train["id"]]
    assert (plan["forecast_finish"], plan["days_to_spare"]) == ("2026-11-08", 12)
    slack = {t["name"]: t["slack_days"] for t in plan["tasks"]}
    assert slack == {"Write SOP": 2, "Hire": 0, "Train": 0}
    change = {"due_on": "2026-11-09", "today": "2026-11-02"}
    preview = api.call("POST", f"/tasks/{hire['id']}/preview", "analyst", json=change).json()
    assert [(m["name"], m["days"]) for m in preview["moved"]] == [("Hire", 3), ("Train", 3)]
    assert (preview["delay_days"], preview["misses_launch"]) == (3, False)
    unsaved = api.call("GET", f"/programs/{pid}/schedule", params={"today": "2026-11-02"}).json()
    assert unsaved["forecast_finish"] == "2026-11-08"  # a preview saves nothing
    assert (
        api.call(
            "PATCH", f"/tasks/{hire['id']}", "analyst", json={**change, "version": 1}
        ).status_code
        == 403
    )
    saved = api.call("PATCH", f"/tasks/{hire['id']}", json={**change, "version": 1})
    assert saved.status_code == 200 and saved.json()["task"]["baseline_due_on"] == "2026-11-06"
    stale = api.call("PATCH", f"/tasks/{hire['id']}", json={"due_on": "2026-11-10", "version": 1})
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"

    risk = api.call(
        "POST",
        f"/programs/{pid}/risks",
        json={
            "title": "hiring lags",
            "probability": 4,
            "impact": 4,
            "owner": "sari",
            "due_on": "2026-01-01",
            "task_ids": [hire["id"]],
        },
    )
    assert risk.status_code == 201 and risk.json()["score"] == 16 and risk.json()["overdue"]
    raid = api.call("GET", f"/programs/{pid}/risks", "analyst").json()
    assert raid["heat_map"][1][3] == 1 and raid["overdue"] == [risk.json()["id"]]

    truth = center_metrics(market.tickets, DAY).loc["Makassar"]
    for gate in (
        {"name": "CSAT", "preset": "csat"},
        {"name": "Slow first response", "condition": "first_response_hours_p90_7d >= 5"},
    ):
        added = api.call("POST", f"/programs/{pid}/gates", json=gate)
        assert added.status_code == 201, added.text
    bad = api.call(
        "POST", f"/programs/{pid}/gates", json={"name": "x", "condition": "drop table x"}
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "condition"
    checked = api.call("POST", f"/programs/{pid}/gates/check", json={"as_of": DAY.isoformat()})
    assert checked.status_code == 200, checked.text
    by_name = {g["name"]: g for g in checked.json()}
    assert by_name["CSAT"]["passed"] is bool(truth["csat_mean_30d"] >= 4.5)
    assert by_name["CSAT"]["centers"][0]["values"]["csat_mean_30d"] == pytest.approx(
        truth["csat_mean_30d"]
    )
    assert by_name["Slow first response"]["passed"] is False  # Makassar answers fast
    listed = api.call("GET", f"/programs/{pid}/gates", "analyst").json()
    assert {g["name"]: g["history"] for g in listed}["CSAT"] == {DAY.isoformat(): True}
    ready = {"version": program["version"], "as_of": DAY.isoformat()}
    refused = api.call("POST", f"/programs/{pid}/ready", json=ready)
    assert refused.status_code == 409
    assert "Slow first response: Makassar fail" in refused.json()["error"]["message"]
    overridden = api.call(
        "POST",
        f"/programs/{pid}/ready",
        json={**ready, "override_reason": "first response is fine"},
    )
    assert overridden.status_code == 200, overridden.text
    assert overridden.json()["overridden"] and overridden.json()["program"]["status"] == "ready"
    with api.store.unit_of_work() as s:
        actions = [
            (e.action, e.reason, e.actor) for e in audit.history(s, "readiness_program", str(pid))
        ]
    manager = "user:" + api.users["program_manager"]
    assert ("readiness.program.ready_overridden", "first response is fine", manager) in actions


def test_documents_handover_metrics_and_report_through_the_api(api: Client, market: Market) -> None:
    tag = f"doc{id(api)}"
    center = f"{tag}-Makassar"  # a center of its own: the store holds other tests' agents
    program = api.call(
        "POST",
        "/programs",
        json={
            "name": tag,
            "owner": "dewi",
            "starts_on": "2026-11-02",
            "launch_on": "2026-11-20",
            "centers": ["Makassar"],
        },
    ).json()
    for n, role in ((1, "lead"), (2, "agent")):
        made = api.call(
            "POST",
            "/agents",
            json={"ref": f"{tag}-{n}", "name": f"A{n}", "center": center, "role": role},
        )
        assert made.status_code == 201, made.text
    document = api.call(
        "POST",
        "/documents",
        json={
            "title": f"{tag} SOP",
            "owner": "dewi",
            "body": "# SOP\n\nGreet.\n",
            "centers": [center],
            "program_id": program["id"],
        },
    )
    assert document.status_code == 201, document.text
    did = document.json()["id"]
    ack = api.call("POST", f"/documents/{did}/acknowledgements", json={"agent_ref": f"{tag}-1"})
    assert ack.status_code == 200 and ack.json()["new"] and ack.json()["version"] == 1
    detail = api.call("GET", f"/documents/{did}", "analyst").json()
    assert [a["ref"] for a in detail["pending"]] == [f"{tag}-2"]
    published = api.call(
        "POST",
        f"/documents/{did}/versions",
        json={"version": 1, "body": "# SOP\n\nGreet by name.\n"},
    )
    assert published.status_code == 201 and published.json()["number"] == 2
    old = api.call(
        "POST", f"/documents/{did}/acknowledgements", json={"agent_ref": f"{tag}-2", "version": 1}
    )
    assert old.status_code == 409
    detail = api.call("GET", f"/documents/{did}").json()
    assert [a["ref"] for a in detail["pending"]] == [f"{tag}-1", f"{tag}-2"]  # v1 does not count
    assert detail["centers_acknowledged"] == [
        {"center": center, "required": 2, "acknowledged": 0, "rate": 0.0}
    ]
    diff = api.call("GET", f"/documents/{did}/diff", params={"old": 1, "new": 2}).json()
    assert [(x["kind"], x["text"]) for x in diff if x["kind"] in ("add", "remove")] == [
        ("remove", "Greet."),
        ("add", "Greet by name."),
    ]
    hits = api.call("GET", "/documents", params={"q": f"{tag} greet"}).json()
    assert [h["document"]["id"] for h in hits] == [did]

    handover = api.call(
        "POST",
        f"/programs/{program['id']}/handovers",
        json={
            "center": center,
            "items": [{"text": "rota agreed"}, {"text": "SOP read", "document_id": did}],
        },
    )
    assert handover.status_code == 201, handover.text
    lines = handover.json()["items"]
    assert [x["blocker"] for x in lines] == [
        "not ticked",
        f"not ticked; 2 agent(s) of {center} have not acknowledged '{tag} SOP' v2: "
        f"{tag}-1, {tag}-2",
    ]
    for line in lines:
        assert (
            api.call(
                "PATCH", f"/handover-items/{line['id']}", json={"done": True, "version": 1}
            ).status_code
            == 200
        )
    blocked = api.call(
        "POST",
        f"/handovers/{handover.json()['id']}/sign-off",
        json={"lead_ref": f"{tag}-1", "version": 1},
    )
    assert blocked.status_code == 409 and "SOP read" in blocked.json()["error"]["message"]
    for n in (1, 2):
        api.call("POST", f"/documents/{did}/acknowledgements", json={"agent_ref": f"{tag}-{n}"})
    signed = api.call(
        "POST",
        f"/handovers/{handover.json()['id']}/sign-off",
        json={"lead_ref": f"{tag}-1", "version": 1},
    )
    assert signed.status_code == 200 and signed.json()["status"] == "signed_off"
    assert signed.json()["signed_by"] == f"{tag}-1"

    metrics = api.call(
        "GET", "/metrics", "analyst", params={"by": "channel", "as_of": DAY.isoformat()}
    ).json()
    assert {r["key"] for r in metrics["rows"]} == {"chat", "email", "phone"}
    week = window(market.tickets, DAY, 7)
    assert sum(r["tickets_7d"] for r in metrics["rows"]) == len(week)
    reasons = api.call(
        "GET", "/metrics/reasons", params={"as_of": DAY.isoformat(), "center": ["Makassar"]}
    ).json()
    assert sum(r["contacts"] for r in reasons) == int((week["center"] == "Makassar").sum())
    alerts = api.call("GET", "/metrics/alerts", params={"as_of": DAY.isoformat()})
    assert alerts.status_code == 200 and all(
        a["state"] in ("crossed", "still", "recovered") for a in alerts.json()
    )
    assert api.call("GET", "/metrics", params={"as_of": "1900-01-01"}).status_code == 422
    xlsx = api.call(
        "GET", f"/programs/{program['id']}/report", params={"format": "xlsx", "as_of": "2026-11-06"}
    )
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    assert "spreadsheetml" in xlsx.headers["content-type"]
    html = api.call("GET", f"/programs/{program['id']}/report", "analyst")
    assert html.status_code == 200 and f"{tag} SOP" in html.text and "signed off" in html.text
