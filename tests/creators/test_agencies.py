"""Outsourced agents and agencies, on SQLite and PostgreSQL: agencies and memberships
(audited, names unique in any case), scorecards summed per agency, creator assignments managed
from the API (``creators:assign``: creator managers, never agents), the console page with
CSRF-guarded forms and the ``pasar creators agencies`` commands."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar.api.app import PREFIX, create_app
from pasar.audit.models import AuditEvent
from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import issue_token
from pasar.cli import governance
from pasar.cli.output import console
from pasar.config import Settings, get_settings
from pasar.creators import agencies
from pasar.creators.assignments import assigned_to, assignment_rows
from pasar.creators.collaboration_models import Pitch
from pasar.creators.funnel import FUNNEL_STEPS, agency_scorecard, agent_scorecard
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from tests.creators.collab_fixtures import add_people, add_user, creators_cli, sign_in
from tests.marketplace import Marketplace

TODAY = dt.date.today()
START, END = dt.date(2026, 10, 1), dt.date(2026, 10, 31)


def _user(db: Database, name: str) -> User:
    with db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == name)).one()
        session.expunge(user)
    return user


def _actions(db: Database, prefix: str) -> list[tuple[str, str, str]]:
    with db.unit_of_work() as session:
        return [
            (e.action, e.entity_id, e.actor)
            for e in session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like(f"{prefix}%"))
                .order_by(AuditEvent.id)
            )
        ]


def test_agencies_and_their_agents(database: Database) -> None:
    add_people(database, TODAY)  # agents mira (C1, C2) and budi (C2, C3), manager cm
    mira, budi, cm = (_user(database, n) for n in ("mira", "budi", "cm"))
    with database.unit_of_work() as session:
        agencies.create_agency(session, "Kreasi  Nusantara", "user:cm", contact="ops@kreasi.id")
        agencies.create_agency(session, "Suara Muda", "user:cm")
    with database.unit_of_work() as session, pytest.raises(ConflictError):
        agencies.create_agency(session, "kreasi nusantara", "user:cm")  # any case, any spacing
    for bad in ("", "   ", "(no agency)", "x" * 101):
        with database.unit_of_work() as session, pytest.raises(ValidationError):
            agencies.create_agency(session, bad, "user:cm")
    with database.unit_of_work() as session:
        both = [mira, budi]
        assert agencies.join_agency(session, "KREASI NUSANTARA", both, TODAY, "user:cm") == 2
        assert agencies.join_agency(session, "Kreasi Nusantara", [mira], TODAY, "user:cm") == 0
    with database.unit_of_work() as session, pytest.raises(ValidationError, match="not agent"):
        agencies.join_agency(session, "Suara Muda", [cm], TODAY, "user:cm")
    with database.unit_of_work() as session, pytest.raises(NotFoundError):
        agencies.join_agency(session, "Nobody", [mira], TODAY, "user:cm")
    with database.unit_of_work() as session:
        listed = {a["name"]: a for a in agencies.agencies(session, TODAY)}
        assert listed["Kreasi Nusantara"]["agents"] == ["budi", "mira"]
        assert listed["Kreasi Nusantara"]["creators"] == 3  # C1, C2, C3: C2 counted once
        assert listed["Kreasi Nusantara"]["contact"] == "ops@kreasi.id"
        assert listed["Suara Muda"]["agents"] == [] and listed["Suara Muda"]["creators"] == 0
        rows = assignment_rows(session, TODAY, agency="kreasi nusantara")
        assert sorted((r["agent"], r["creator_id"]) for r in rows) == [
            ("budi", "C2"), ("budi", "C3"), ("mira", "C1"), ("mira", "C2"),
        ]  # fmt: skip
        assert {r["agency"] for r in rows} == {"Kreasi Nusantara"}
        assert agencies.join_agency(session, "Suara Muda", [budi], TODAY, "user:cm") == 1
    with database.unit_of_work() as session:
        assert agencies.agency_of_agents(session) == {
            "mira": "Kreasi Nusantara",
            "budi": "Suara Muda",
        }
        assert agencies.leave_agency(session, mira, "user:cm") is True
        assert agencies.leave_agency(session, mira, "user:cm") is False
        assert agencies.agency_of_agents(session) == {"budi": "Suara Muda"}
        assert assignment_rows(session, TODAY, agency="Kreasi Nusantara") == []
    assert [a for a, _, _ in _actions(database, "agency.")] == [
        "agency.created", "agency.created", "agency.joined", "agency.joined",
        "agency.joined", "agency.left",
    ]  # fmt: skip


def test_scorecards_sum_per_agency(database: Database, marketplace: Marketplace) -> None:
    add_people(database, TODAY)
    at = dt.datetime(2026, 10, 3, 3, tzinfo=dt.UTC)
    with database.unit_of_work() as session:
        agencies.create_agency(session, "Kreasi", "t")
        members = [session.scalars(select(User).where(User.username == n)).one()
                   for n in ("mira", "budi")]  # fmt: skip
        agencies.join_agency(session, "Kreasi", members, TODAY, "t")
        for n, (owner, agreed) in enumerate(
            [("mira", True), ("mira", False), ("budi", True), ("cm", True), ("cm", False)]
        ):
            session.add(
                Pitch(seller_id=f"S00000{n + 1}", creator_id=f"C00000{n + 1}", owner=owner,
                      stage="agreed" if agreed else "contacted", created_by="t",
                      contacted_at=at, replied_at=at if agreed else None,
                      agreed_at=at if agreed else None)
            )  # fmt: skip
    with database.unit_of_work() as session:
        mapping = agencies.agency_of_agents(session)
        cards = agent_scorecard(session, marketplace.con, START, END, today=END, agencies=mapping)
    assert {c["owner"]: c["agency"] for c in cards} == {
        "mira": "Kreasi", "budi": "Kreasi", "cm": None,
    }  # fmt: skip
    groups = {g["agency"]: g for g in agency_scorecard(cards, mapping)}
    assert set(groups) == {"Kreasi", "(no agency)"}
    kreasi = groups["Kreasi"]
    mine = [c for c in cards if c["owner"] in ("mira", "budi")]
    assert kreasi["agents"] == 2
    for step in (*FUNNEL_STEPS, "gmv", "overdue"):
        assert kreasi[step] == sum(c[step] for c in mine), step
    assert (kreasi["contacted"], kreasi["agreed"]) == (3, 2)
    assert kreasi["agreement_rate"] == pytest.approx(2 / 3)  # from the sums, not averaged
    assert kreasi["contacts_per_week"] == pytest.approx(3 / (31 / 7))
    assert groups["(no agency)"]["agents"] == 1 and groups["(no agency)"]["contacted"] == 2


# -- the API ------------------------------------------------------------------------------


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]
    db: Database

    def call(self, who: str, method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.request(method, PREFIX + path, headers=headers, **kw)


@pytest.fixture
def api(database: Database, marketplace: Marketplace) -> Iterator[Api]:
    """Agents mira and budi (mira looks after C1, C2 — not creators of the warehouse), a
    creator manager cm, and a token each, over the generated marketplace."""
    add_people(database, TODAY)
    tokens = {}
    with database.unit_of_work() as session:
        for name in ("cm", "mira", "budi", "ayu"):
            user = session.scalars(select(User).where(User.username == name)).one()
            tokens[name] = issue_token(session, user, "t", sorted(ROLES[user.role]))[1]
    settings = Settings(home=marketplace.settings.home, database_url=database.url)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield Api(client, tokens, database)


def test_creator_managers_assign_from_the_api_and_agents_see_it_at_once(api: Api) -> None:
    body = {"agent": "mira", "creators": ["C000001", "C000002", "C000001"]}
    assert api.call("mira", "GET", "/creators/C000001").status_code == 404
    made = api.call("cm", "POST", "/assignments", json=body)
    assert made.status_code == 201, made.text
    assert made.json() == {"agent": "mira", "assigned": ["C000001", "C000002"],
                           "starts_on": TODAY.isoformat()}  # fmt: skip
    again = api.call("cm", "POST", "/assignments", json=body)
    assert again.status_code == 201 and again.json()["assigned"] == []  # kept once
    assert api.call("mira", "GET", "/creators/C000001").status_code == 200
    assert api.call("budi", "GET", "/creators/C000001").status_code == 404

    listed = api.call("cm", "GET", "/assignments", params={"agent": "mira"}).json()
    assert [i["creator_id"] for i in listed["items"]] == ["C000001", "C000002", "C1", "C2"]
    assert listed["items"][0]["assigned_by"] == "user:cm" and listed["total"] == 4
    newest = api.call("cm", "GET", "/assignments", params={"sort": "-starts_on", "limit": 2})
    assert [i["starts_on"] for i in newest.json()["items"]] == [TODAY.isoformat()] * 2
    assert ("creator.assigned", "C000001", "user:cm") in _actions(api.db, "creator.")

    ended = api.call("cm", "DELETE", "/assignments",
                     params={"agent": "mira", "creator_id": ["C000001", "C9"]})  # fmt: skip
    assert ended.status_code == 200 and ended.json() == {"agent": "mira", "ended": 1}
    assert api.call("mira", "GET", "/creators/C000001").status_code == 404
    assert ("creator.unassigned", "C000001", "user:cm") in _actions(api.db, "creator.")

    for who in ("mira", "ayu"):  # an agent never assigns (not even to itself), nor a creator
        assert api.call(who, "POST", "/assignments", json=body).status_code == 403, who
        assert api.call(who, "GET", "/assignments").status_code == 403, who
        assert api.call(who, "GET", "/agencies").status_code == 403, who
    for wrong, status, field in (
        ({"agent": "nobody", "creators": ["C000001"]}, 404, None),
        ({"agent": "cm", "creators": ["C000001"]}, 422, "agent"),
        ({"agent": "mira", "creators": ["C999999"]}, 404, "creators"),
        ({"agent": "mira", "creators": ["two words"]}, 422, "creators"),
        ({"agent": "mira", "creators": []}, 422, "creators"),
    ):
        answer = api.call("cm", "POST", "/assignments", json=wrong)
        assert answer.status_code == status, (wrong, answer.text)
        if field:
            assert field in str(answer.json()["error"]["field"]), (wrong, answer.text)
    with api.db.unit_of_work() as session:
        mira = session.scalars(select(User).where(User.username == "mira")).one()
        assert assigned_to(session, mira.id, TODAY) == frozenset({"C000002", "C1", "C2"})


def test_agencies_from_the_api(api: Api) -> None:
    body = {"name": "Kreasi", "contact": "ops@kreasi.id", "agents": ["mira"]}
    created = api.call("cm", "POST", "/agencies", json=body)
    assert created.status_code == 201, created.text
    assert created.json()["agents"] == ["mira"] and created.json()["creators"] == 2
    assert api.call("cm", "POST", "/agencies", json={"name": "KREASI"}).status_code == 409
    refused = api.call("cm", "POST", "/agencies", json={"name": "Other", "agents": ["cm"]})
    assert refused.status_code == 422  # cm is no agent: nothing is created
    assert [a["name"] for a in api.call("cm", "GET", "/agencies").json()] == ["Kreasi"]
    moved = api.call("cm", "POST", "/agencies/members",
                     json={"agency": "kreasi", "agents": ["budi", "mira"]})  # fmt: skip
    assert moved.json() == {"agency": "Kreasi", "changed": 1}
    assert api.call("cm", "POST", "/agencies/members",
                    json={"agency": "Nope", "agents": ["budi"]}).status_code == 404  # fmt: skip
    listed = api.call("cm", "GET", "/assignments", params={"agency": "Kreasi"}).json()
    assert {i["agent"] for i in listed["items"]} == {"mira", "budi"} and listed["total"] == 4
    assert api.call("cm", "GET", "/assignments", params={"agency": "Nope"}).status_code == 404
    left = api.call("cm", "DELETE", "/agencies/members", params={"agent": "budi"})
    assert left.json() == {"agency": "Kreasi", "changed": 1}
    assert api.call("cm", "GET", "/agencies").json()[0]["agents"] == ["mira"]
    cards = api.call("cm", "GET", "/analytics/agencies",
                     params={"start": "2026-10-01", "end": "2026-10-31"})  # fmt: skip
    assert cards.status_code == 200 and cards.json()["agencies"] == []  # nobody pitched
    filtered = api.call("cm", "GET", "/analytics/agents", params={"agency": "Nope"})
    assert filtered.status_code == 404


# -- the console --------------------------------------------------------------------------


def test_the_agents_page_assigns_and_ends_with_csrf(api: Api) -> None:
    client = api.client
    csrf = sign_in(api, "mira")
    assert client.get("/creators/agents").status_code == 403  # agents do not manage agents
    assert client.post("/creators/agents/assign",
                       data={"agent": "mira", "creators": "C000003", "csrf_token": csrf}
                       ).status_code == 403  # fmt: skip
    csrf = sign_in(api, "cm")
    page = client.get("/creators/agents")
    assert page.status_code == 200 and 'action="/creators/agents/assign"' in page.text
    assert "Manage agents and agencies" in client.get("/creators/funnel").text
    stale = client.post("/creators/agents/assign", data={"agent": "mira", "creators": "C000003"})
    assert stale.status_code == 403
    done = client.post("/creators/agents/assign", data={
        "agent": "mira", "creators": "C000003, C000004\nC000005", "starts_on": "",
        "csrf_token": csrf})  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/creators/agents"
    shown = client.get("/creators/agents", params={"agent": "mira"}).text
    assert set(re.findall(r'href="/creators/(C0+\d+)"', shown)) == {
        "C000003", "C000004", "C000005",
    }  # fmt: skip
    unknown = {"agent": "mira", "creators": "C999999", "csrf_token": csrf}
    refused = client.post("/creators/agents/assign", data=unknown)
    assert refused.status_code == 404 and 'class="error"' in refused.text
    assert "no creator C999999" in refused.text
    assert client.post("/creators/agents/agencies",
                       data={"name": "Kreasi", "contact": "", "csrf_token": csrf}
                       ).status_code == 303  # fmt: skip
    twice = client.post("/creators/agents/agencies",
                        data={"name": "kreasi", "contact": "", "csrf_token": csrf})  # fmt: skip
    assert twice.status_code == 409 and "already an agency" in twice.text
    assert client.post("/creators/agents/membership",
                       data={"agent": "mira", "agency": "Kreasi", "csrf_token": csrf}
                       ).status_code == 303  # fmt: skip
    assert "Kreasi" in client.get("/creators/agents", params={"agency": "Kreasi"}).text
    end = {"agent": "mira", "creator_id": "C000004", "csrf_token": csrf}
    assert client.post("/creators/agents/unassign", data=end).status_code == 303
    again = client.post("/creators/agents/unassign", data=end)
    assert again.status_code == 404 and "does not look after C000004" in again.text
    with api.db.unit_of_work() as session:
        mira = session.scalars(select(User).where(User.username == "mira")).one()
        assert assigned_to(session, mira.id, TODAY) == frozenset({"C000003", "C000005", "C1", "C2"})
    actions = _actions(api.db, "")
    assert ("creator.assigned", "C000005", "user:cm") in actions
    assert ("creator.unassigned", "C000004", "user:cm") in actions
    assert ("agency.joined", "mira", "user:cm") in actions


# -- the command line ---------------------------------------------------------------------


def test_agencies_from_the_command_line(
    database: Database,
    marketplace: Marketplace,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_people(database, TODAY)
    add_user(database, "rina", "agent")
    monkeypatch.setattr(console, "width", 200)
    monkeypatch.setenv("PASAR_HOME", str(marketplace.settings.home))
    monkeypatch.setenv("PASAR_DATABASE_URL", database.url)
    monkeypatch.setattr(governance, "upgrade_store", lambda: None)  # migrated by the fixture
    get_settings.cache_clear()
    at = dt.datetime(2026, 10, 3, 3, tzinfo=dt.UTC)
    with database.unit_of_work() as session:
        session.add_all([
            Pitch(seller_id="S000001", creator_id="C000001", owner="mira", stage="agreed",
                  created_by="t", contacted_at=at, agreed_at=at),
            Pitch(seller_id="S000002", creator_id="C000002", owner="budi", stage="contacted",
                  created_by="t", contacted_at=at),
        ])  # fmt: skip

    ok, refused = creators_cli(capsys)
    try:
        assert "Agency Kreasi created with 2 agent(s)." in ok(
            "agencies", "create", "Kreasi", "--contact", "ops@kreasi.id",
            "--agent", "mira", "--agent", "budi",
        )  # fmt: skip
        assert "already an agency" in refused("agencies", "create", "KREASI")
        assert "not agent" in refused("agencies", "add", "Kreasi", "cm")
        assert "1 agent(s) moved to Kreasi." in ok("agencies", "add", "kreasi", "rina", "mira")
        listed = ok("agencies", "list")
        assert "Kreasi" in listed and "budi, mira, rina" in listed
        assert "1 agent(s) left their agency." in ok("agencies", "remove", "rina")
        out = ok("assigned", "--agency", "Kreasi")
        assert "Kreasi: 2 agent(s) look after 3 creator(s)." in out and "budi\tC3" in out
        assert "name an agent, or an agency" in refused("assigned")
        period = ("--from", "2026-10-01", "--to", "2026-10-31", "--format", "json")
        cards = json.loads(ok("agents", *period))
        assert {c["owner"]: c["agency"] for c in cards} == {"mira": "Kreasi", "budi": "Kreasi"}
        [group] = json.loads(ok("agents", "--by", "agency", *period))
        assert (group["agency"], group["agents"], group["contacted"], group["posted"]) == (
            "Kreasi", 2, 2, 0,
        )  # fmt: skip
        assert group["agreement_rate"] == 0.5  # one agreement of two contacts, summed
        mine = json.loads(ok("agents", "--agency", "Kreasi", *period))
        assert len(mine) == 2
        assert "no agency 'Nope'" in refused("agents", "--agency", "Nope", *period)
        assert "--by 'team'" in refused("agents", "--by", "team", *period)
    finally:
        get_settings.cache_clear()
