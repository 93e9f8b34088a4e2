"""The incentive API on SQLite and PostgreSQL over the generated marketplace: a program from a
template, activated, enrolled, paid, its lines, file and replay; simulation, backtest,
optimiser and measurement; edits refused with their lines or as stale; scopes; and a seller
seeing only its own programs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.app import PREFIX, create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.incentives.models import Enrolment
from pasar.kit.db import Database
from tests.incentives.conftest import World

PASSWORD = "a long enough passphrase"
KEY = "api-attainment"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    database: Database

    def call(self, role: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        return self.client.request(
            method, PREFIX + path, headers=headers, json=body, params=params or None
        )


@pytest.fixture
def api(world: World, database: Database) -> Iterator[Api]:
    settings = Settings(home=world.settings.home, database_url=database.url)
    tokens = {}
    with database.unit_of_work() as session:
        for role in ("live_ops", "analyst", "creator", "admin"):
            extra = {"creator_id": "C000001"} if role == "creator" else {}
            user = create_user(session, role.replace("_", "-"), role, role, PASSWORD, **extra)
            tokens[role] = issue_token(session, user, "t", sorted(ROLES[role]))[1]
    with TestClient(create_app(settings)) as client:
        yield Api(client, tokens, database)


def _seller_tokens(api: Api, sellers: list[str]) -> None:
    with api.database.unit_of_work() as session:
        for i, seller in enumerate(sellers):
            user = create_user(session, f"shop{i}", seller, "seller", PASSWORD, seller_id=seller)
            api.tokens[f"seller{i}"] = issue_token(session, user, "t", sorted(ROLES["seller"]))[1]


def test_a_program_through_the_api(api: Api) -> None:
    created = api.call("live_ops", "POST", "/incentives/programs",
                       {"template": "tiered-attainment", "key": KEY})  # fmt: skip
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["status"], body["schedule"], body["ref"]) == ("draft", "step", f"{KEY}@1")
    assert api.call("analyst", "POST", "/incentives/programs", {"source": "x"}).status_code == 403
    assert api.call("creator", "GET", "/incentives/programs").status_code == 403
    again = api.call("live_ops", "POST", "/incentives/programs",
                     {"template": "tiered-attainment", "key": KEY})  # fmt: skip
    assert again.status_code == 409
    active = api.call("live_ops", "POST", f"/incentives/programs/{KEY}/status",
                      {"status": "active", "version": body["version"]})  # fmt: skip
    assert active.status_code == 200 and active.json()["status"] == "active"
    enrolled = api.call(
        "live_ops", "POST", f"/incentives/programs/{KEY}/enrol", {"day": "2026-08-31"}
    )
    assert enrolled.status_code == 200, enrolled.text
    report = enrolled.json()
    assert report["enrolled"] == report["eligible"] > 100 and report["holdout"] > 0
    listed = api.call(
        "analyst", "GET", f"/incentives/programs/{KEY}/enrolments", tier="mid", limit=500
    )
    assert listed.json()["total"] == report["by_tier"]["mid"]

    paid = api.call(
        "live_ops", "POST", f"/incentives/programs/{KEY}/payouts", {"period": "2026-09"}
    )
    assert paid.status_code == 201, paid.text
    run = paid.json()
    assert run["merchants"] == report["enrolled"] and float(run["total"]) > 0
    lines = api.call(
        "analyst", "GET", f"/incentives/payouts/{run['id']}/lines", status="paid", limit=500
    )
    items = lines.json()["items"]
    assert len(items) == run["paid_merchants"]
    assert sum(float(i["amount"]) for i in items) == float(run["total"])
    assert all(i["explanation_en"].startswith(i["level"]) for i in items)
    file = api.call("analyst", "GET", f"/incentives/payouts/{run['id']}/file", format="xlsx")
    assert file.status_code == 200 and file.headers["content-type"].startswith("application/vnd")
    replayed = api.call("live_ops", "POST", f"/incentives/payouts/{run['id']}/replay")
    assert replayed.json()["identical"] is True
    backtest = api.call(
        "live_ops", "POST", f"/incentives/programs/{KEY}/backtest", {"period": "2026-09"}
    )
    assert backtest.status_code == 200 and backtest.json()["total"] == float(run["total"])

    simulated = api.call("live_ops", "POST", f"/incentives/programs/{KEY}/simulate", {"draws": 200})
    assert simulated.status_code == 200, simulated.text
    summary = simulated.json()["summary"]
    assert summary["p95"] >= summary["p50"] > 0 and 0 <= summary["p_over_budget"] <= 1
    assert [r["uplift"] for r in simulated.json()["sensitivity"]] == [0.0, 0.05, 0.1, 0.2, 0.3]
    optimised = api.call("live_ops", "POST", f"/incentives/programs/{KEY}/optimise",
                         {"draws": 50, "min_share": {"long_tail": 0.2}})  # fmt: skip
    assert optimised.status_code == 200, optimised.text
    result = optimised.json()
    assert (
        result["optimiser"]["feasible"] and result["optimiser"]["cost"] <= result["budget"] + 1e-6
    )
    if result["greedy"]["feasible"]:
        assert result["optimiser"]["value"] >= result["greedy"]["value"] - 1e-6
    measured = api.call("live_ops", "POST", f"/incentives/programs/{KEY}/measure",
                        {"period": "2026-09", "save": True})  # fmt: skip
    assert measured.status_code == 200, measured.text
    report_body = measured.json()
    assert report_body["design"] == "holdout" and report_body["experiment_id"] is not None
    assert {r["segment"] for r in report_body["report"]["results"]} >= {"all", "tier:mid"}
    assert report_body["report"]["srm"]["mismatch"] is False

    source = api.call("analyst", "GET", f"/incentives/programs/{KEY}").json()
    broken = source["source"].replace("kind: step", "kind: stepp", 1)
    refused = api.call("live_ops", "POST", f"/incentives/programs/{KEY}",
                       {"source": broken, "version": source["version"]})  # fmt: skip
    assert refused.status_code == 422
    assert f"program {KEY}:" in refused.json()["error"]["message"]
    line = broken.splitlines().index("  kind: stepp") + 1
    assert f":{line}: program {KEY}: schedule.kind: " in refused.json()["error"]["message"]
    renamed = source["source"].replace("version: 1", "version: 2", 1)
    saved = api.call("live_ops", "POST", f"/incentives/programs/{KEY}",
                     {"source": renamed, "version": source["version"]})  # fmt: skip
    assert saved.status_code == 200 and saved.json()["ref"] == f"{KEY}@2"
    stale = api.call("live_ops", "POST", f"/incentives/programs/{KEY}",
                     {"source": renamed, "version": source["version"]})  # fmt: skip
    assert stale.status_code == 409
    segments = api.call("analyst", "GET", "/incentives/segments", as_of="2026-10-31")
    assert segments.status_code == 200 and segments.json()["shops"] == 400

    with api.database.unit_of_work() as session:
        mine, theirs = session.scalars(
            select(Enrolment.seller_id)
            .where(Enrolment.arm == "treatment")
            .order_by(Enrolment.seller_id)
            .limit(2)
        ).all()
        held = session.scalars(
            select(Enrolment.seller_id).where(Enrolment.arm == "holdout")
        ).first()
    assert held is not None
    _seller_tokens(api, [mine, theirs, held])
    own = api.call("seller0", "GET", "/incentives/mine")
    assert own.status_code == 200, own.text
    (item,) = own.json()
    assert item["program"] == KEY and item["payouts"][0]["period"] == "2026-09"
    assert theirs not in own.text
    assert api.call("seller0", "GET", "/incentives/mine", seller_id=theirs).status_code == 404
    assert api.call("seller1", "GET", "/incentives/mine").json()[0]["program"] == KEY
    assert api.call("seller2", "GET", "/incentives/mine").json() == []  # holdout: not shown
    assert api.call("seller0", "GET", f"/incentives/payouts/{run['id']}/lines").status_code == 403
    staff = api.call("admin", "GET", "/incentives/mine", seller_id=mine)
    assert staff.status_code == 200 and staff.json()[0]["program"] == KEY
    assert api.call("admin", "GET", "/incentives/mine").status_code == 422
    assert dt.date.fromisoformat(item["enrolled_on"]) == dt.date(2026, 8, 31)
