"""Creator and agent confinement, through the API and the console, on SQLite and PostgreSQL:
a creator sees only its own profile, an agent only the creators assigned to it (and no
longer once unassigned), a creator manager every creator."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pasar.api.app import PREFIX, create_app
from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.creators.assignments import assign, assigned_to, unassign
from pasar.creators.profiles import find_creators
from pasar.kit.db import Database
from pasar.metrics.catalog import load_catalog
from pasar.metrics.engines import duckdb as engine
from pasar.metrics.query import latest_day
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from pasar.warehouse.store import Warehouse
from pasar.warehouse.synth.generator import generate
from pasar.warehouse.synth.profile import load_profile

PASSWORD = "a long enough passphrase"
TODAY = dt.date.today()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small generated marketplace with its creator snapshot, shared by the module."""
    root = tmp_path_factory.mktemp("creators")
    generate(load_profile("small"), root / "synth")
    settings = Settings(home=root / "home")
    assert ingest(IngestRequest([root / "synth"], source="generic"), settings).status == "committed"
    con = engine.connect(Warehouse(settings.warehouse_dir))
    build_snapshots("creator", [latest_day(con, settings.timezone)], settings, load_catalog(), con)
    con.close()
    return settings.home


@dataclass
class World:
    client: TestClient
    settings: Settings
    tokens: dict[str, str]
    creators: list[str]  # every creator, most followed first
    agent: User


@pytest.fixture
def world(home: Path, database: Database) -> Iterator[World]:
    settings = Settings(home=home, database_url=database.url)
    creators = [c["creator_id"] for c in find_creators(settings, None)]
    tokens = {}
    with database.unit_of_work() as session:
        users = {
            "creator": create_user(
                session, "cr", "Cr", "creator", PASSWORD, creator_id=creators[0]
            ),
            "agent": create_user(session, "ag", "Ag", "agent", PASSWORD),
            "creator_manager": create_user(session, "cm", "Cm", "creator_manager", PASSWORD),
        }
        assign(session, users["agent"], creators[1:3], TODAY - dt.timedelta(days=10), "test")
        for role, user in users.items():
            tokens[role] = issue_token(session, user, "t", sorted(ROLES[role]))[1]
        session.expunge(users["agent"])
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield World(client, settings, tokens, creators, users["agent"])


def _get(world: World, role: str, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = world.client.get(
        PREFIX + path, headers={"Authorization": f"Bearer {world.tokens[role]}"}
    )
    return response.status_code, response.json()


def test_a_creator_sees_only_its_own_profile(world: World) -> None:
    own = world.creators[0]
    handles = {c["creator_id"]: c["handle"] for c in find_creators(world.settings, None)}
    status, body = _get(world, "creator", f"/creators/{own}")
    assert status == 200 and body["creator_id"] == own
    snapshot = read_snapshot(world.settings, "creator", dt.date.fromisoformat(body["as_of"]))
    row = next(r for r in snapshot.to_pylist() if r["creator_id"] == own)
    assert body["handle"] == handles[own]
    for name in ("gmv_30d", "orders_30d", "followers"):
        expected = row[name]
        wanted = None if expected is None else pytest.approx(float(expected))
        assert body["metrics"][name] == wanted, name
    for creator in world.creators[1:6]:
        status, body = _get(world, "creator", f"/creators/{creator}")
        assert (status, body["error"]["code"]) == (404, "not_found")
        assert handles[creator] not in str(body)
    status, listed = _get(world, "creator", "/creators?limit=500")
    assert [c["creator_id"] for c in listed["items"]] == [own] and listed["total"] == 1


def test_an_agent_sees_only_the_creators_assigned_to_it(world: World) -> None:
    mine = set(world.creators[1:3])
    status, listed = _get(world, "agent", "/creators?limit=500")
    assert status == 200 and {c["creator_id"] for c in listed["items"]} == mine
    for creator in world.creators[:8]:
        status, _ = _get(world, "agent", f"/creators/{creator}")
        assert status == (200 if creator in mine else 404), creator
    status, listed = _get(world, "creator_manager", "/creators?limit=500")
    assert listed["total"] == len(world.creators)


def test_unassigning_ends_the_agents_view(world: World, database: Database) -> None:
    first = world.creators[1]
    with database.unit_of_work() as session:
        agent = session.get(User, world.agent.id)
        assert agent is not None
        assert unassign(session, agent, [first], TODAY, "test") == 1
        assert assigned_to(session, agent.id, TODAY) == frozenset([world.creators[2]])
        assert first in assigned_to(session, agent.id, TODAY - dt.timedelta(days=1))
    status, _ = _get(world, "agent", f"/creators/{first}")
    assert status == 404


def _sign_in(client: TestClient, username: str) -> None:
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": token[1]})  # fmt: skip
    assert done.status_code == 303


def test_console_pages_keep_the_same_lines(world: World) -> None:
    _sign_in(world.client, "ag")
    page = world.client.get("/creators")
    assert page.status_code == 200
    shown = set(re.findall(r'href="/creators/(C\d+)"', page.text))
    assert shown == set(world.creators[1:3])
    assert world.client.get(f"/creators/{world.creators[0]}").status_code == 404
    assert world.client.get(f"/creators/{world.creators[1]}").status_code == 200
    csv = world.client.get("/creators?download=creators&format=csv").text
    assert sorted(line.split(",")[0] for line in csv.strip().splitlines()[1:]) == sorted(
        world.creators[1:3]
    )
    world.client.cookies.clear()
    _sign_in(world.client, "cr")
    assert world.client.get("/creators").headers["location"] == f"/creators/{world.creators[0]}"
    assert world.client.get(f"/creators/{world.creators[1]}").status_code == 404
    assert world.client.get("/sellers/S000001").status_code == 404
