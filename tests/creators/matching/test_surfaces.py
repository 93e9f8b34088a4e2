"""The API, console page and CLI of matching, on SQLite and PostgreSQL: an agent gets only
the creators assigned to them, a creator only itself and its own product list; the page is
not taken for a creator's page; the commands print and export what the model says."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pasar.api.app import PREFIX, create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.config import Settings
from pasar.creators.assignments import assign
from pasar.creators.matching.model import MatchModel
from pasar.creators.matching.recommend import creators_for_product
from pasar.kit.db import Database
from tests.cli.test_metrics_cli import run
from tests.marketplace import Marketplace

PASSWORD = "a long enough passphrase"


@dataclass
class Surfaces:
    client: TestClient
    model: MatchModel
    tokens: dict[str, str]
    own: str  # the creator user's creator
    assigned: frozenset[str]  # the agent's creators
    product: str  # a product none of them worked with


@pytest.fixture
def surfaces(
    marketplace: Marketplace, synth_model: MatchModel, database: Database
) -> Iterator[Surfaces]:
    model = synth_model
    data = model.data
    busy = model.interactions.getnnz(axis=1).argsort()[::-1]
    own, *mine = [data.creators.ids[i] for i in busy[:4]]
    product = next(
        data.products.ids[j]
        for j in model.interactions.getnnz(axis=0).argsort()[::-1]
        if not {data.creator(c) for c in (own, *mine)} & set(model.collaborated[j].indices)
    )
    tokens = {}
    with database.unit_of_work() as session:
        users = {
            "creator": create_user(session, "cr", "Cr", "creator", PASSWORD, creator_id=own),
            "agent": create_user(session, "ag", "Ag", "agent", PASSWORD),
            "creator_manager": create_user(session, "cm", "Cm", "creator_manager", PASSWORD),
            "seller": create_user(session, "se", "Se", "seller", PASSWORD, seller_id="S000001"),
        }
        assign(session, users["agent"], mine, dt.date.today() - dt.timedelta(days=3), "test")
        for role, user in users.items():
            tokens[role] = issue_token(session, user, "t", sorted(ROLES[role]))[1]
    settings = Settings(home=marketplace.settings.home, database_url=database.url)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield Surfaces(client, model, tokens, own, frozenset(mine), product)


def _get(s: Surfaces, role: str, path: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    response = s.client.get(PREFIX + path, headers={"Authorization": f"Bearer {s.tokens[role]}"})
    return response.status_code, response.json()


def test_the_api_confines_agents_and_creators(surfaces: Surfaces) -> None:
    s = surfaces
    status, body = _get(s, "creator_manager", f"/products/{s.product}/creators?k=20")
    assert status == 200 and len(body["items"]) == 20
    assert body["as_of"] == s.model.as_of.isoformat()
    expected = creators_for_product(s.model, s.product, 20)
    assert [i["creator_id"] for i in body["items"]] == [m.creator_id for m in expected]
    assert body["items"][0]["reasons"] == expected[0].reasons

    status, body = _get(s, "agent", f"/products/{s.product}/creators?k=20")
    shown = [i["creator_id"] for i in body["items"]]
    assert status == 200 and set(shown) == s.assigned  # all three, none of anyone else's
    ranked = creators_for_product(s.model, s.product, 20, among=s.assigned)
    assert shown == [m.creator_id for m in ranked]

    status, body = _get(s, "creator", f"/products/{s.product}/creators?k=50")
    assert status == 200 and [i["creator_id"] for i in body["items"]] == [s.own]

    status, body = _get(s, "creator", f"/creators/{s.own}/products?k=5")
    assert status == 200 and {i["creator_id"] for i in body["items"]} == {s.own}
    for other in sorted(s.assigned):
        status, body = _get(s, "creator", f"/creators/{other}/products")
        assert (status, body["error"]["code"]) == (404, "not_found")
        status, body = _get(s, "agent", f"/creators/{other}/products?k=3")
        assert status == 200 and len(body["items"]) == 3
    status, body = _get(s, "agent", f"/creators/{s.own}/products")
    assert status == 404 and s.own in body["error"]["message"]
    assert "items" not in body

    status, body = _get(s, "seller", f"/products/{s.product}/creators")
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, body = _get(s, "creator_manager", "/products/P-none/creators")
    assert status == 404 and body["error"]["message"] == "no product P-none"
    status, body = _get(s, "creator_manager", f"/products/{s.product}/creators?k=501")
    assert status == 422 and body["error"]["field"] == "k"


def _sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token is not None
    done = client.post(
        "/login", data={"username": username, "password": PASSWORD, "csrf_token": token[1]}
    )
    assert done.status_code == 303


def test_the_console_page_keeps_the_same_lines(surfaces: Surfaces) -> None:
    s = surfaces
    _sign_in(s.client, "cm")
    blank = s.client.get("/creators/match")  # the page, not creator "match"
    assert blank.status_code == 200 and "Creator matching" in blank.text
    page = s.client.get(f"/creators/match?product={s.product}&k=10")
    assert page.status_code == 200
    expected = [m.creator_id for m in creators_for_product(s.model, s.product, 10)]
    assert re.findall(r'href="/creators/(C\d+)"', page.text) == expected
    download = s.client.get(f"/creators/match?product={s.product}&k=10&download=matches&format=csv")
    rows = list(csv.reader(io.StringIO(download.text.lstrip("\ufeff"))))
    assert [r[1] for r in rows[1:]] == expected and rows[0][-1] == "Reasons"
    xlsx = s.client.get(f"/creators/match?product={s.product}&download=matches&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    assert s.client.get("/creators/match?product=P-none").status_code == 404
    assert s.client.get("/creators/match?product=x&k=0").status_code == 422

    _sign_in(s.client, "ag")
    page = s.client.get(f"/creators/match?product={s.product}&k=50")
    assert set(re.findall(r'href="/creators/(C\d+)"', page.text)) == s.assigned
    assert s.client.get(f"/creators/match?creator={s.own}").status_code == 404
    assert s.client.get(f"/creators/match?creator={min(s.assigned)}").status_code == 200

    _sign_in(s.client, "cr")
    mine = s.client.get("/creators/match")  # opens with its own products
    assert mine.status_code == 200 and f"Products for {s.own}" in mine.text
    page = s.client.get(f"/creators/match?product={s.product}&k=50")
    assert set(re.findall(r'href="/creators/(C\d+)"', page.text)) == {s.own}
    assert s.client.get(f"/creators/match?creator={min(s.assigned)}").status_code == 404


def test_the_commands(
    marketplace: Marketplace,
    synth_model: MatchModel,
    pasar_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pasar_home.mkdir(parents=True)
    (pasar_home / "warehouse").symlink_to(marketplace.settings.warehouse_dir.resolve())
    product = synth_model.data.products.ids[0]
    code, out, err = run(
        capsys, "creators", "recommend", "--product", product, "--k", "5", "--format", "json"
    )
    assert code == 0, err
    listed = json.loads(out)
    expected = creators_for_product(synth_model, product, 5)
    assert [r["creator_id"] for r in listed] == [m.creator_id for m in expected]
    assert listed[0]["reasons"] == expected[0].reasons
    code, out, err = run(
        capsys, "creators", "recommend", "--product", product, "--k", "5", "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["creator_id"] for r in rows] == [m.creator_id for m in expected]
    assert rows[0]["reasons"] == "; ".join(expected[0].reasons)
    code, out, err = run(capsys, "creators", "recommend", "--creator", expected[0].creator_id)
    assert code == 0 and "Products for" in out, err
    code, _, err = run(capsys, "creators", "recommend", "--product", product, "--creator", "C1")
    assert code == 2 and "give one of --product or --creator" in err
    code, _, err = run(capsys, "creators", "recommend", "--product", "P-none")
    assert code == 2 and "no product P-none" in err
    code, out, err = run(capsys, "creators", "match-eval", "--k", "20")
    assert code == 0, err
    assert "recall@20" in out and "popularity baseline" in out and "model ÷ baseline" in out
    code, _, err = run(capsys, "creators", "match-eval", "--split-date", "2030-01-01")
    assert code == 2 and "no new creator × product pair" in err
