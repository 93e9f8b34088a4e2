"""The incentive console pages over the generated marketplace: the population by tier × stage
with its chart and movement, a program made from a template and edited in the YAML editor
(refused with the loader's lines), enrolled and paid through forms, the run with its
explanations and file, the simulation with its sensitivity chart, the optimiser, the
measurement report, and a seller's own programs — but nobody else's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from pasar import migrations
from pasar.api.app import create_app
from pasar.auth.service import create_user
from pasar.config import Settings
from pasar.incentives.models import Enrolment, PayoutRun
from pasar.kit.db import Database
from tests.conftest import empty_database
from tests.console.test_pages import PASSWORD, _sign_in
from tests.incentives.conftest import World


@pytest.fixture
def console(world: World, tmp_path: Path) -> Iterator[tuple[TestClient, Database]]:
    with empty_database("sqlite", tmp_path) as url:
        migrations.upgrade(url)
        database = Database(url)
        with database.unit_of_work() as session:
            create_user(session, "mira", "Mira", "live_ops", PASSWORD)
            create_user(session, "ana", "Ana", "analyst", PASSWORD)
        app = create_app(Settings(home=world.settings.home, database_url=url))
        with TestClient(app, follow_redirects=False) as client:
            yield client, database
        database.dispose()


def test_the_incentive_pages(console: tuple[TestClient, Database]) -> None:
    client, database = console
    csrf = _sign_in(client, "mira")
    home = client.get("/incentives?as_of=2026-10-31")
    assert home.status_code == 200
    for words in ("Merchant population", "Stage movement", "Program templates", "<svg"):
        assert words in home.text, words
    created = client.post(
        "/incentives/programs",
        data={"template": "tiered-attainment", "key": "web-attainment", "csrf_token": csrf},
    )
    assert (created.status_code, created.headers["location"]) == (
        303,
        "/incentives/programs/web-attainment",
    )
    page = client.get("/incentives/programs/web-attainment")
    assert page.status_code == 200 and "<textarea" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version is not None
    source = re.search(r"<textarea[^>]*>\n?(.*?)</textarea>", page.text, re.S)
    assert source is not None
    text = (
        source[1]
        .replace("&#39;", "'")
        .replace("&#34;", '"')
        .replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&amp;", "&")
    )
    bad = text.replace('when: "gmv_90d > 0"', 'when: "gmv_90d > 0; DROP TABLE sellers"')
    refused = client.post(
        "/incentives/programs/web-attainment",
        data={"source": bad, "version": version[1], "csrf_token": csrf},
    )
    assert refused.status_code == 422
    line = bad.splitlines().index('  when: "gmv_90d > 0; DROP TABLE sellers"') + 1
    assert f"line {line}:" in refused.text and "found 2 statements" in refused.text
    stale = client.post(
        "/incentives/programs/web-attainment/status",
        data={"status": "active", "version": "99", "csrf_token": csrf},
    )
    assert stale.status_code == 409
    activated = client.post(
        "/incentives/programs/web-attainment/status",
        data={"status": "active", "version": version[1], "csrf_token": csrf},
    )
    assert activated.status_code == 303
    enrolled = client.post(
        "/incentives/programs/web-attainment/enrol", data={"day": "2026-08-31", "csrf_token": csrf}
    )
    assert enrolled.status_code == 303
    paid = client.post(
        "/incentives/programs/web-attainment/pay",
        data={"period": "2026-09", "kind": "payout", "csrf_token": csrf},
    )
    assert paid.status_code == 303 and paid.headers["location"].startswith("/incentives/runs/")
    run_id = paid.headers["location"].rsplit("/", 1)[1]
    run = client.get(f"/incentives/runs/{run_id}?status=paid")
    assert run.status_code == 200 and "valid sessions" in run.text
    assert "Reward IDR" in run.text and "as ads credit, paid on 2026-10-10" in run.text
    csv = client.get(f"/incentives/runs/{run_id}/file?format=csv")
    assert csv.status_code == 200 and csv.text.lstrip("\ufeff").startswith("program,period")
    download = client.get(f"/incentives/runs/{run_id}?download=lines&format=xlsx")
    assert download.status_code == 200
    replay = client.post(f"/incentives/runs/{run_id}/replay", data={"csrf_token": csrf})
    assert replay.headers["location"].endswith("replayed=identical")
    simulated = client.get("/incentives/programs/web-attainment/simulate?draws=200")
    assert simulated.status_code == 200
    assert "Sensitivity to the uplift" in simulated.text and simulated.text.count("<svg") >= 2
    assert client.get("/incentives/programs/web-attainment/simulate?draws=abc").status_code == 422
    optimised = client.get("/incentives/programs/web-attainment/optimise?long_tail=0.2")
    assert optimised.status_code == 200 and "greedy" in optimised.text and "<svg" in optimised.text
    measured = client.get("/incentives/programs/web-attainment/measure?period=2026-09")
    assert measured.status_code == 200 and "SRM" in measured.text and "tier:mid" in measured.text
    kept = client.post(
        "/incentives/programs/web-attainment/measure",
        data={"period": "2026-09", "csrf_token": csrf},
    )
    assert kept.status_code == 303

    with database.unit_of_work() as session:
        shop, other = session.scalars(
            select(Enrolment.seller_id)
            .where(Enrolment.arm == "treatment")
            .order_by(Enrolment.seller_id)
            .limit(2)
        ).all()
        assert session.scalar(select(PayoutRun.id)) == int(run_id)
        create_user(session, "shopkeeper", "Shop", "seller", PASSWORD, seller_id=shop)
    client.cookies.clear()
    _sign_in(client, "shopkeeper")
    assert client.get("/incentives").headers["location"] == "/incentives/mine"
    mine = client.get("/incentives/mine")
    assert mine.status_code == 200 and "Tiered LIVE attainment" in mine.text
    assert other not in mine.text
    for path in (f"/incentives/runs/{run_id}", "/incentives/programs/web-attainment",
                 f"/incentives/runs/{run_id}/file"):  # fmt: skip
        assert client.get(path).status_code == 403, path
    client.cookies.clear()
    _sign_in(client, "ana")
    assert client.get("/incentives/programs/web-attainment").status_code == 200
    assert client.get("/incentives/programs/web-attainment/simulate").status_code == 403
