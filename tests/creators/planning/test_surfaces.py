"""The target and allocation surfaces end to end on the generated marketplace: the CLI, the
API (who may see a seller's target, who may allocate among which creators) and the console
pages (route order, forms with CSRF, tables as CSV/XLSX, the chart).
"""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]

from pasar import migrations
from pasar.api.app import PREFIX, create_app
from pasar.auth.roles import ROLES
from pasar.auth.service import create_user, issue_token
from pasar.cli.main import main
from pasar.config import Settings, get_settings
from pasar.creators.assignments import assign
from pasar.creators.target_service import propose_target
from pasar.kit.db import Database
from pasar.warehouse.store import Warehouse
from tests.console.test_pages import _sign_in
from tests.creators.planning.conftest import Market

PASSWORD = "a long enough passphrase"
CSV = (
    "creator_id,category,is_new,cost,predicted_return\n"
    "C1,beauty,false,600000,900000\n"
    "C2,beauty,true,500000,700000\n"
    "C3,food,false,500000,740000\n"
)


@pytest.fixture(scope="module")
def sellers(market: Market) -> list[str]:
    """Sellers with the most creator orders, most first."""
    con = Warehouse(Settings(home=market.home).warehouse_dir).connect()
    try:
        rows = con.execute(
            "SELECT seller_id FROM orders WHERE creator_id IS NOT NULL GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 LIMIT 3"
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


# -- CLI ---------------------------------------------------------------------------------------


@pytest.fixture
def cli_home(market: Market, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("PASAR_HOME", str(market.home))
    get_settings.cache_clear()
    yield market.home
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_the_target_command(
    cli_home: Path, sellers: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    seller = sellers[0]
    code, out, err = run(
        capsys, "creators", "target", "--seller", seller, "--period", "2026-12",
        "--target", "150000000",
    )  # fmt: skip
    assert code == 0, err
    report = propose_target(get_settings(), [seller], "2026-12", 150_000_000)
    for expected in (
        "Forecast (expected)",
        "80% range",
        "How the forecast is made",
        "12.12 sale",
        "Year-end sale",
        "Payday",
        "The funnel the target needs",
    ):
        assert expected in out, expected  # fmt: skip
    assert f"{round(report.forecast.point):,}" in out
    assert report.assessment is not None
    assert f"{report.assessment.verdict} — {report.assessment.probability:.0%}" in out
    code, _, err = run(capsys, "creators", "target", "--seller", "S999999")
    assert code == 2 and "no seller 'S999999' with orders" in err
    code, _, err = run(capsys, "creators", "target", "--seller", seller, "--period", "2025-12")
    assert code == 2 and "before the data ends (2026-10-31)" in err
    code, out, err = run(capsys, "creators", "target", "--seller", seller, "--seller",
                         sellers[1])  # fmt: skip
    assert code == 0 and "2026-11-01 to 2026-11-30" in out and sellers[1] in out, err


def test_the_allocate_command(
    cli_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "candidates.csv"
    path.write_text(CSV)
    code, out, err = run(capsys, "creators", "allocate", str(path), "--budget", "1000000")
    assert code == 0, err
    assert "IDR 1,440,000" in out and "IDR 900,000" in out
    assert "The optimiser returns IDR 540,000 more than the greedy ranking (+60.0%)." in out
    code, out, err = run(capsys, "creators", "allocate", str(path), "--budget", "1100000",
                         "--new-share", "0.9")  # fmt: skip
    assert code == 2 and "new-share: 90% of the budget" in err
    code, out, err = run(capsys, "creators", "allocate", str(path), "--budget", "1000000",
                         "--category-cap", "food=0")  # fmt: skip
    assert code == 0 and "IDR 900,000" in out, err
    path.write_text(CSV + "C4,food,true,lots,5\n")
    code, _, err = run(capsys, "creators", "allocate", str(path), "--budget", "1000000")
    assert code == 2 and "candidates.csv row 5 column cost: 'lots' is not a number" in err
    code, _, err = run(capsys, "creators", "allocate", str(tmp_path / "none.csv"), "--budget", "1")
    assert code == 2 and "file not found" in err


# -- API and console ---------------------------------------------------------------------------


@dataclass
class World:
    client: TestClient
    tokens: dict[str, str]
    settings: Settings


@pytest.fixture(scope="module")
def world(market: Market, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app over the generated marketplace and a SQLite store with a user of each role
    (the store only signs people in here; its behaviour is tested on both backends
    elsewhere)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
    migrations.upgrade(url)
    database = Database(url)
    settings = Settings(home=market.home, database_url=url)
    tokens = {}
    with database.unit_of_work() as session:
        subjects: dict[str, dict[str, str]] = {"seller": {"seller_id": "S000001"},
                                               "creator": {"creator_id": "C1"}}  # fmt: skip
        for role in ("analyst", "creator_manager", "agent", "creator", "seller"):
            user = create_user(
                session, role.replace("_", "-"), role, role, PASSWORD, **subjects.get(role, {})
            )
            if role == "agent":
                assign(session, user, ["C1", "C2"], dt.date.today() - dt.timedelta(days=1), "t")
            tokens[role] = issue_token(session, user, "t", sorted(ROLES[role]))[1]
    database.dispose()
    with TestClient(create_app(settings), follow_redirects=False) as client:
        yield World(client, tokens, settings)


def _api(world: World, role: str, method: str, path: str, **kw: object) -> tuple[int, dict]:  # type: ignore[type-arg]
    headers = {"Authorization": f"Bearer {world.tokens[role]}"}
    response = world.client.request(method, PREFIX + path, headers=headers, **kw)  # type: ignore[arg-type]
    return response.status_code, response.json()


def test_the_target_endpoint(world: World, sellers: list[str]) -> None:
    seller = sellers[0]
    path = f"/sellers/{seller}/creator-target"
    status, body = _api(world, "analyst", "GET", path,
                        params={"period": "2026-12", "target": 150_000_000})  # fmt: skip
    assert status == 200, body
    report = propose_target(world.settings, [seller], "2026-12", 150_000_000)
    assert body["forecast"] == round(report.forecast.point)
    assert body["low"] <= body["median"] <= body["high"] and body["range_level"] == 0.8
    assert (body["period_start"], body["period_end"]) == ("2026-12-01", "2026-12-31")
    assert body["data_until"] == "2026-10-31" and len(body["daily"]) == 31
    assert sum(d["expected_gmv"] for d in body["daily"]) == pytest.approx(
        body["forecast"], rel=1e-3
    )
    assert {c["name"] for c in body["calendar_effects"]} >= {
        "12.12 sale",
        "Year-end sale (24–31 Dec)",
    }
    assessment = body["assessment"]
    assert report.assessment is not None
    assert assessment["probability"] == report.assessment.probability
    assert assessment["verdict"] == report.assessment.verdict
    stages = [s["stage"] for s in assessment["funnel"]]
    assert stages == ["Contacts", "Creators active", "Content posted", "Creator GMV"]
    status, body = _api(world, "creator_manager", "GET", path,
                        params={"contacts": 300, "agreements": 30, "target": 1})  # fmt: skip
    assert status == 200 and body["assessment"]["verdict"] == "realistic"
    assert body["assessment"]["funnel"][0]["recent"] == 300
    # confined roles see no seller: exactly as a seller that does not exist
    for role in ("agent", "creator"):
        status, body = _api(world, role, "GET", path)
        assert (status, body["error"]["code"]) == (404, "not_found"), role
        assert seller in body["error"]["message"] and "forecast" not in body
    assert _api(world, "seller", "GET", "/sellers/S000001/creator-target")[0] == 403
    status, body = _api(world, "analyst", "GET", "/sellers/S999999/creator-target")
    assert status == 404
    for params, field in (({"period": "2026-13"}, "period"), ({"target": -1}, "target"),
                          ({"period": "2025-01"}, "period")):  # fmt: skip
        status, body = _api(world, "analyst", "GET", path, params=params)
        assert (status, body["error"]["field"]) == (422, field), params


def test_the_allocation_endpoint(world: World) -> None:
    candidates = [
        {"creator_id": "C1", "category": "beauty", "cost": 600000, "predicted_return": 900000},
        {"creator_id": "C2", "category": "beauty", "is_new": True, "cost": 500000,
         "predicted_return": 700000},
        {"creator_id": "C3", "category": "food", "cost": 500000, "predicted_return": 740000},
    ]  # fmt: skip
    body = {"budget": 1000000, "candidates": candidates}
    status, answer = _api(world, "creator_manager", "POST", "/creators/allocation", json=body)
    assert status == 200, answer
    assert answer["optimiser"]["value"] == 1440000 and answer["greedy"]["value"] == 900000
    assert answer["gain"] == 540000
    assert {f["creator_id"] for f in answer["optimiser"]["funded"]} == {"C2", "C3"}
    assert answer["optimiser"]["spend_by_category"] == {"beauty": 500000, "food": 500000}
    infeasible = {**body, "new_share": 0.9}
    status, answer = _api(world, "creator_manager", "POST", "/creators/allocation",
                          json=infeasible)  # fmt: skip
    assert (status, answer["error"]["field"]) == (422, "new_share")
    assert "new-share" in answer["error"]["message"]
    bad = {**body, "candidates": [{**candidates[0], "cost": 0}]}
    status, answer = _api(world, "creator_manager", "POST", "/creators/allocation", json=bad)
    assert status == 422 and "cost" in answer["error"]["field"]
    # an agent allocates only among the creators assigned to it (C1, C2)
    status, answer = _api(world, "agent", "POST", "/creators/allocation", json=body)
    assert status == 404 and "C3" in answer["error"]["message"]
    mine = {**body, "candidates": candidates[:2]}
    status, answer = _api(world, "agent", "POST", "/creators/allocation", json=mine)
    assert status == 200 and answer["optimiser"]["value"] == 900000
    for role in ("creator", "seller", "analyst"):
        assert _api(world, role, "POST", "/creators/allocation", json=body)[0] == 403, role


def _signed_in(world: World, role: str) -> str:
    world.client.cookies.clear()
    return _sign_in(world.client, role.replace("_", "-"))


def test_the_targets_page(world: World, sellers: list[str]) -> None:
    _signed_in(world, "creator_manager")
    empty = world.client.get("/creators/targets")
    assert empty.status_code == 200 and 'action="/creators/targets"' in empty.text
    assert "There is no creator" not in empty.text  # not taken for /creators/{creator_id}
    seller = sellers[0]
    query = {"seller": seller, "period": "2026-12", "target": "Rp 150.000.000"}
    page = world.client.get("/creators/targets", params=query)
    assert page.status_code == 200, page.text[-500:]
    report = propose_target(world.settings, [seller], "2026-12", 150_000_000)
    assert report.assessment is not None
    text = html.unescape(page.text)
    assert f"Rp {round(report.forecast.low):,}".replace(",", ".") in text
    assert report.assessment.verdict in text and "<svg" in page.text and "80%" in text
    for table in ("components", "effects", "funnel", "daily"):
        assert f'id="{table}"' in page.text, table
    csv = world.client.get("/creators/targets", params={**query, "download": "daily",
                           "format": "csv"})  # fmt: skip
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert len(lines) == 32 and lines[1].startswith("2026-12-01,")
    xlsx = world.client.get("/creators/targets", params={**query, "download": "components",
                            "format": "xlsx"})  # fmt: skip
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.cell(1, 1).value == "Component" and sheet.max_row == 1 + len(
        report.forecast.components
    )
    bad = world.client.get("/creators/targets", params={"seller": seller, "period": "2026-13"})
    assert bad.status_code == 422 and "2026-13" in bad.text
    missing = world.client.get("/creators/targets", params={"seller": "S999999"})
    assert missing.status_code == 404


def test_confined_roles_get_no_targets_page(world: World, sellers: list[str]) -> None:
    for role in ("agent", "creator"):
        _signed_in(world, role)
        page = world.client.get("/creators/targets", params={"seller": sellers[0]})
        assert page.status_code == 403 and "Rp" not in page.text, role
    csrf = _signed_in(world, "seller")
    assert world.client.get("/creators/targets").status_code == 403
    assert world.client.get("/creators/allocation").status_code == 403
    form = {"candidates_csv": CSV, "budget": "1000000"}
    forged = world.client.post("/creators/allocation", data=form)
    assert forged.status_code == 403 and "this form is stale" in forged.text
    refused = world.client.post("/creators/allocation", data={**form, "csrf_token": csrf})
    assert refused.status_code == 403 and "cannot allocate" in refused.text


def test_the_allocation_page(world: World) -> None:
    csrf = _signed_in(world, "creator_manager")
    form = world.client.get("/creators/allocation")
    assert form.status_code == 200 and 'name="candidates_csv"' in form.text
    fields = {"budget": "1.000.000", "caps": "", "new_share": "", "new_count": ""}
    forged = world.client.post("/creators/allocation", data={**fields, "candidates_csv": CSV})
    assert forged.status_code == 403 and "this form is stale" in forged.text
    page = world.client.post(
        "/creators/allocation", data={**fields, "candidates_csv": CSV, "csrf_token": csrf}
    )
    assert page.status_code == 200, page.text[-500:]
    for table in ("comparison", "categories", "optimiser", "greedy"):
        assert f'id="{table}"' in page.text, table
    assert "Rp 1.440.000" in page.text and "Rp 900.000" in page.text
    link = re.search(r'href="([^"]*download=optimiser[^"]*format=csv[^"]*)"', page.text)
    assert link is not None
    download = world.client.get(html.unescape(link[1]))
    assert download.status_code == 200
    rows = download.text.strip().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["C3", "C2"]
    upload = world.client.post(
        "/creators/allocation",
        data={**fields, "csrf_token": csrf, "new_share": "40", "budget": "1100000"},
        files={"file": ("c.csv", CSV.encode(), "text/csv")},
    )
    assert upload.status_code == 200 and "Rp 1.600.000" in upload.text
    bad = world.client.post(
        "/creators/allocation",
        data={**fields, "candidates_csv": CSV + "C4,x,yes,abc,1\n", "csrf_token": csrf},
    )
    assert bad.status_code == 422 and "row 5 column cost" in bad.text
    stale = world.client.get("/creators/allocation", params={"candidates": "0" * 64})
    assert stale.status_code == 404 and "no longer kept" in stale.text


def test_an_agent_allocates_only_among_its_creators(world: World) -> None:
    csrf = _signed_in(world, "agent")
    fields = {"budget": "1000000", "csrf_token": csrf}
    refused = world.client.post("/creators/allocation", data={**fields, "candidates_csv": CSV})
    assert refused.status_code == 404 and "not assigned to you: C3" in refused.text
    mine = "\n".join(CSV.splitlines()[:3]) + "\n"
    page = world.client.post("/creators/allocation", data={**fields, "candidates_csv": mine})
    assert page.status_code == 200 and "Rp 900.000" in page.text


def test_duckdb_is_left_unlocked(market: Market) -> None:
    con = duckdb.connect()
    con.close()  # the pages above closed every warehouse connection they opened
    assert Warehouse(Settings(home=market.home).warehouse_dir).manifest().tables
