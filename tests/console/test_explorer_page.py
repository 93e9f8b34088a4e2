"""The metric explorer of the console on SQLite and PostgreSQL, over the small warehouse of
``tests/cli/test_policy_cli.py``: 25 orders of Rp 100.000 placed on 2026-10-05 (WIB), due for
dispatch on 10-06; s1 has 10 (3 late), s2 10 (1 late), s3 5 (below the minimum volume of the
late dispatch rate)."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pasar.api.app import create_app
from pasar.config import Settings
from pasar.kit.db import Database
from pasar.metrics.query import QueryRequest, catalog_for, run_query
from tests.cli.test_metrics_cli import run
from tests.cli.test_policy_cli import _orders
from tests.console.test_policies_page import enter


@pytest.fixture
def console(
    database: Database, pasar_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[TestClient]:
    orders = tmp_path / "orders.csv"
    orders.write_text(_orders())
    code, _, err = run(capsys, "ingest", str(orders))
    assert code == 0, err
    app = create_app(Settings(home=pasar_home, database_url=database.url))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    response = client.get(url + "&download=result&format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _cells(page: str) -> list[list[str]]:
    body = re.search(r'<section class="table" id="result">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert body is not None
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(
            r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body[1], re.S)
    ]  # fmt: skip


def test_nothing_chosen_explains_what_to_do(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/explore")
    assert page.status_code == 200
    assert "Choose one or more metrics to begin." in page.text
    assert '<select name="metric" multiple' in page.text
    assert '<optgroup label="governance">' in page.text
    ldr = catalog_for(Settings()).metric("late_dispatch_rate_7d")
    assert f"late_dispatch_rate_7d — {html.escape(ldr.description)}</option>" in page.text
    assert '<option value="province">' in page.text and '<option value="seller">' in page.text
    assert 'id="result"' not in page.text


def test_metrics_by_seller_read_as_counts_money_and_rates(
    console: TestClient, pasar_home: Path
) -> None:
    enter(console, "ana")
    url = (
        "/explore?metric=orders_7d&metric=gmv_7d&metric=late_dispatch_rate_7d"
        "&by=seller&end=2026-10-10"
    )
    page = console.get(url)
    assert page.status_code == 200, page.text
    assert _cells(page.text) == [
        ["s1", "10", "Rp 1.000.000", "30.0%"],
        ["s2", "10", "Rp 1.000.000", "10.0%"],
        ["s3", "5", "Rp 500.000", "—"],  # below the minimum volume
    ]
    assert page.text.count("<svg") == 3  # a bar chart per metric
    direct = run_query(
        QueryRequest(
            ["orders_7d", "gmv_7d", "late_dispatch_rate_7d"], ["seller"],
            as_of=dt.date(2026, 10, 10),
        ),
        Settings(home=pasar_home),
    ).table.to_pylist()  # fmt: skip
    rows = _csv(console, url)
    assert [r["seller"] for r in rows] == [d["seller"] for d in direct]
    assert [int(r["orders_7d"]) for r in rows] == [d["orders_7d"] for d in direct]
    assert [float(r["gmv_7d"]) for r in rows] == [float(d["gmv_7d"]) for d in direct]
    assert [r["late_dispatch_rate_7d"] for r in rows] == [
        "" if d["late_dispatch_rate_7d"] is None else str(d["late_dispatch_rate_7d"])
        for d in direct
    ]
    assert [r["late_dispatch_rate_7d"] for r in rows] == ["0.3", "0.1", ""]


def test_a_grain_gives_periods_a_line_chart_and_an_xlsx(
    console: TestClient, pasar_home: Path
) -> None:
    enter(console, "ana")
    url = "/explore?metric=orders_7d&grain=day&start=2026-10-04&end=2026-10-06"
    page = console.get(url)
    assert page.status_code == 200, page.text
    assert _cells(page.text) == [["2026-10-04", "0"], ["2026-10-05", "25"], ["2026-10-06", "25"]]
    assert page.text.count("<svg") == 1
    direct = run_query(
        QueryRequest(
            ["orders_7d"], start=dt.date(2026, 10, 4), end=dt.date(2026, 10, 6), grain="day"
        ),
        Settings(home=pasar_home),
    ).table.to_pylist()
    response = console.get(url + "&download=result&format=xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Period", "orders_7d")
    assert [r[1] for r in rows[1:]] == [d["orders_7d"] for d in direct] == [0, 25, 25]
    assert [r[0].date() for r in rows[1:]] == [d["period"] for d in direct]
    by_seller = console.get(url + "&by=seller")
    assert by_seller.status_code == 200
    assert ["2026-10-05", "s3", "5"] in _cells(by_seller.text)


def test_a_grain_without_dates_looks_back_from_the_last_day(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/explore?metric=orders_7d&grain=week")
    assert page.status_code == 200, page.text
    # the last day with orders is 2026-10-05: twelve weeks back
    assert 'name="end" value="2026-10-05"' in page.text
    assert 'name="start" value="2026-07-20"' in page.text
    assert ["2026-10-05", "25"] in _cells(page.text)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("metric=order_7d", "no metric 'order_7d' (did you mean orders_7d?)"),
        ("metric=orders_7d&by=provinse", "has no dimension 'provinse' (did you mean province?)"),
        ("metric=orders_7d&grain=fortnight", "The grain 'fortnight' is not one of: day, week"),
        ("metric=orders_7d&start=yesterday", "The first day 'yesterday' is not a date"),
        (
            "metric=orders_7d&start=2026-10-06&end=2026-10-01",
            "The last day 2026-10-01 is before the first day 2026-10-06.",
        ),
        ("metric=orders_7d&by=<script>alert(1)</script>", "has no dimension"),
    ],
)
def test_errors_are_explained_not_crashes(console: TestClient, query: str, message: str) -> None:
    enter(console, "ana")
    page = console.get("/explore?" + query)
    assert page.status_code == 422
    problems = re.search(r'<p class="error" id="problems">(.*?)</p>', page.text, re.S)
    assert problems is not None and message in html.unescape(problems[1])
    assert "<script>alert(1)</script>" not in page.text


@pytest.mark.parametrize("username", ["shop1", "cr1"])
def test_roles_without_metrics_read_are_refused(console: TestClient, username: str) -> None:
    enter(console, username)
    page = console.get("/explore?metric=orders_7d")
    assert page.status_code == 403 and 'id="result"' not in page.text
