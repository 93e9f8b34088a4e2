"""The policy pages of the console on SQLite and PostgreSQL: the library, one pack, and the
backtest of a draft over the small warehouse of ``tests/cli/test_policy_cli.py`` (every order
due for dispatch on 2026-10-06: s1 ships 30% late, s2 10%, s3 is below the minimum volume).
"""

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
from pasar.auth.service import create_user
from pasar.config import Settings
from pasar.kit.db import Database
from pasar.metrics.query import catalog_for
from pasar.policy.backtest import backtest
from pasar.policy.packs import load_library, select, shipped_policy_dir
from tests.cli.test_metrics_cli import run
from tests.cli.test_policy_cli import SHIPPED_PACK, _orders
from tests.console.test_pages import PASSWORD, _sign_in

FIRST, LAST = "2026-10-05", "2026-10-08"
# version 3 of the pack as a draft: LDR points only from 20%, and a point for shops with 5 to 9
# orders in 7 days
DRAFT = """\
pack: tokopedia-id
version: 3
region: ID
entity: seller
effective_from: 2026-11-01
description: Draft <b>tighter</b> rules.
policies:
  - id: late-dispatch-points
    version: 3
    when: late_dispatch_rate_7d >= 0.20
    outcome: {kind: points, points: 2}
    cooldown: 7d
    category: fulfilment
    explain:
      en: "Late dispatch rate {late_dispatch_rate_7d:.1%} is at or above 20%."
      id: "Tingkat keterlambatan pengiriman {late_dispatch_rate_7d:.1%} mencapai 20% atau lebih."
  - id: small-shop-watch
    version: 1
    when: orders_7d >= 5 AND orders_7d < 10
    outcome: {kind: points, points: 1}
    cooldown: 7d
    severity: low
    category: fulfilment
    explain:
      en: "{orders_7d:,d} orders in 7 days, too few to rate."
      id: "{orders_7d:,d} pesanan dalam 7 hari, terlalu sedikit untuk dinilai."
"""


USERS: dict[str, tuple[str, dict[str, str]]] = {
    "ana": ("analyst", {}),
    "pm": ("program_manager", {}),
    "rina": ("governance_reviewer", {}),
    "shop1": ("seller", {"seller_id": "s1"}),
    "cr1": ("creator", {"creator_id": "c1"}),
    "agnes": ("agent", {}),
}


def enter(client: TestClient, username: str) -> str:
    """Create the user ``username`` (its role from :data:`USERS`) and sign in: the CSRF token.
    Only the users a test needs are created (each password hash takes a while)."""
    role, subject = USERS[username]
    database: Database = client.app.state.db  # type: ignore[attr-defined]
    with database.unit_of_work() as session:
        create_user(session, username, username.title(), role, PASSWORD, **subject)
    return _sign_in(client, username)


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


def _post(client: TestClient, csrf: str, draft: str, against: str = "tokopedia-id") -> str:
    response = client.post(
        "/policies/backtest",
        data={"draft": draft, "start": FIRST, "end": LAST, "against": against, "csrf_token": csrf},
    )
    assert response.status_code == 200, response.text
    return str(response.text)


def _download(client: TestClient, page: str, table: str, form: str) -> bytes:
    link = re.search(rf'href="([^"]*download={table}&amp;format={form})"', page)
    assert link is not None, f"no {form} link for {table}"
    response = client.get(html.unescape(link[1]))
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    return bytes(response.content)


def test_the_library_lists_every_pack_version(console: TestClient) -> None:
    enter(console, "pm")
    page = console.get("/policies")
    assert page.status_code == 200
    for ref in ("tokopedia-id/1", "tokopedia-id/2", "live-starter/1", "service-readiness/1"):
        assert f'href="/policies/{ref}"' in page.text
    assert 'class="count">6<' in page.text
    assert "Backtest a draft" not in page.text  # a program manager cannot backtest
    rows = list(csv.DictReader(io.StringIO(console.get("/policies?download=packs").text[1:])))
    found = {(r["Pack"], r["Version"]): r for r in rows}
    assert found[("tokopedia-id", "1")]["In force today"] == "no"  # ended on 2025-11-09
    assert found[("tokopedia-id", "2")]["In force today"] == "yes"
    assert found[("tokopedia-id", "2")]["Policies"] == "9"


def test_a_pack_shows_its_source_and_policies(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/policies/tokopedia-id/2")
    assert page.status_code == 200
    source = re.search(r'<pre class="code">(.*?)</pre>', page.text, re.S)
    assert source is not None and html.unescape(source[1]) == SHIPPED_PACK.read_text()
    assert "late_dispatch_rate_7d &gt;= 0.10 AND late_dispatch_rate_7d &lt; 0.30" in page.text
    assert "order_cap for 7 days (0.9)" in page.text and "2–4 points" in page.text
    assert "Tingkat keterlambatan pengiriman" in page.text
    assert 'href="/policies/backtest?pack=tokopedia-id%402"' in page.text
    assert console.get("/policies/tokopedia-id/9").status_code == 404
    assert console.get("/policies/nope/1").status_code == 404


@pytest.mark.parametrize("username", ["shop1", "cr1"])
def test_roles_without_the_scopes_are_refused(console: TestClient, username: str) -> None:
    csrf = enter(console, username)
    for path in ("/policies", "/policies/tokopedia-id/2", "/policies/backtest"):
        assert console.get(path).status_code == 403, path
    refused = console.post(
        "/policies/backtest",
        data={"draft": DRAFT, "start": FIRST, "end": LAST, "csrf_token": csrf},
    )
    assert refused.status_code == 403 and 'id="backtest-result"' not in refused.text


def test_reading_is_not_backtesting(console: TestClient) -> None:
    csrf = enter(console, "pm")
    assert console.get("/policies/tokopedia-id/2").status_code == 200
    assert console.get("/policies/backtest").status_code == 403
    posted = console.post(
        "/policies/backtest",
        data={"draft": DRAFT, "start": FIRST, "end": LAST, "csrf_token": csrf},
    )
    assert posted.status_code == 403


def test_the_form_starts_from_the_pack_and_the_last_two_weeks(console: TestClient) -> None:
    enter(console, "ana")
    page = console.get("/policies/backtest")
    assert page.status_code == 200
    text = re.search(r'<textarea class="code" id="draft" name="draft"[^>]*>\n(.*?)</textarea>',
                     page.text, re.S)  # fmt: skip
    assert text is not None and html.unescape(text[1]) == SHIPPED_PACK.read_text()
    # the last order was placed on 2026-10-05 (WIB)
    assert 'name="end" value="2026-10-05"' in page.text
    assert 'name="start" value="2026-09-22"' in page.text
    assert '<option value="tokopedia-id" selected>' in page.text
    assert 'type="hidden" name="csrf_token"' in page.text
    assert '<button class="primary" type="submit">Run the backtest</button>' in page.text
    older = console.get("/policies/backtest?pack=tokopedia-id@1")
    assert "effective_to: 2025-11-09" in older.text
    assert console.get("/policies/backtest?pack=nope").status_code == 404


def test_a_backtest_shows_what_the_draft_changes(
    console: TestClient, pasar_home: Path, tmp_path: Path
) -> None:
    library_files = sorted(p.name for p in shipped_policy_dir().iterdir())
    csrf = enter(console, "ana")
    page = _post(console, csrf, DRAFT)
    # the draft never joins the library
    assert sorted(p.name for p in shipped_policy_dir().iterdir()) == library_files
    assert not list(pasar_home.rglob("*.yml"))
    assert 'href="/policies/tokopedia-id/3"' not in console.get("/policies").text
    assert 'id="backtest-result"' in page and "<svg" in page
    assert "<b>tighter</b>" not in page and "&lt;b&gt;tighter&lt;/b&gt;" in page
    # the same backtest, run directly
    draft = tmp_path / "draft.yml"
    draft.write_text(DRAFT)
    settings = Settings(home=pasar_home)
    catalog = catalog_for(settings)
    library = load_library(catalog, "", [draft])
    first, last = dt.date.fromisoformat(FIRST), dt.date.fromisoformat(LAST)
    direct = backtest(
        select(library, str(draft)), first, last, settings, catalog,
        against=select(library, "tokopedia-id"),
    )  # fmt: skip
    days = list(csv.DictReader(io.StringIO(_download(console, page, "days", "csv").decode()[1:])))
    assert [r["Day"] for r in days] == [str(d) for d in direct.days["day"].to_pylist()]
    assert [int(r["Findings, draft"]) for r in days] == direct.days["findings"].to_pylist()
    assert [int(r["Findings, against"]) for r in days] == direct.days["other_findings"].to_pylist()
    assert [int(r["Difference"]) for r in days] == [
        a - b
        for a, b in zip(
            direct.days["findings"].to_pylist(), direct.days["other_findings"].to_pylist(),
            strict=True,
        )
    ]  # fmt: skip
    # by hand: s3's 5 orders (placed 10-05) count from 10-05; on 10-06 the draft finds s1 (LDR
    # 30%), the pack s1 and s2 (points and a cap each); 7-day cooldowns hold the rest back
    by_day = {r["Day"]: (int(r["Findings, draft"]), int(r["Findings, against"])) for r in days}
    assert by_day["2026-10-05"] == (1, 0)
    assert by_day["2026-10-06"] == (1, 4)
    assert sum(a for a, _ in by_day.values()) == 2 and sum(b for _, b in by_day.values()) == 4
    book = load_workbook(io.BytesIO(_download(console, page, "subjects", "xlsx")))
    rows = list(book.active.iter_rows(values_only=True))
    header = rows[0]
    subjects = {r[header.index("Subject")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert subjects["s1"]["Change"] == "flagged differently"
    assert subjects["s2"]["Change"] == "no longer flagged"
    assert subjects["s3"]["Change"] == "newly flagged"
    assert (subjects["s2"]["Points, draft"], subjects["s2"]["Points, against"]) == (0, 2)
    assert subjects["s3"]["Points difference"] == 1
    book = load_workbook(io.BytesIO(_download(console, page, "days", "xlsx")))
    assert [r[1] for r in book.active.iter_rows(min_row=2, values_only=True)] == (
        direct.days["findings"].to_pylist()
    )


def test_a_draft_alone_is_replayed_too(console: TestClient) -> None:
    csrf = enter(console, "ana")
    page = _post(console, csrf, DRAFT, against="")
    assert 'id="backtest-result"' in page
    days = list(csv.DictReader(io.StringIO(_download(console, page, "days", "csv").decode()[1:])))
    assert "Findings, against" not in days[0]
    assert sum(int(r["Findings, draft"]) for r in days) == 2


@pytest.mark.parametrize(
    ("when", "message"),
    [
        (
            '"1=1; DROP TABLE x"',
            "line 10: policy late-dispatch-points: when must be one expression",
        ),
        (
            "orders_7d > (SELECT count(*) FROM orders)",
            "line 10: policy late-dispatch-points: when may not use a subquery",
        ),
        (
            "read_csv('/etc/passwd') IS NOT NULL",
            "line 10: policy late-dispatch-points: when may not use function read_csv()",
        ),
        ("late_dispatch_rat_7d > 0.2", "did you mean late_dispatch_rate_7d?"),
        ('"<script>alert(1)</script> > 1"', "line 10: policy late-dispatch-points"),
    ],
)
def test_a_hostile_or_wrong_draft_is_refused_with_the_loader_message(
    console: TestClient, when: str, message: str
) -> None:
    csrf = enter(console, "ana")
    draft = DRAFT.replace("when: late_dispatch_rate_7d >= 0.20", f"when: {when}")
    response = console.post(
        "/policies/backtest",
        data={"draft": draft, "start": FIRST, "end": LAST, "against": "tokopedia-id",
              "csrf_token": csrf},
    )  # fmt: skip
    assert response.status_code == 422
    problems = re.search(r'<p class="error" id="problems">(.*?)</p>', response.text, re.S)
    assert problems is not None and message in html.unescape(problems[1])
    assert "<script>" not in response.text
    assert 'id="backtest-result"' not in response.text
    kept = re.search(r'name="draft"[^>]*>\n(.*?)</textarea>', response.text, re.S)
    assert kept is not None and html.unescape(kept[1]) == draft
    assert f"{shipped_policy_dir()}" not in problems[1]  # only the draft's problems


def test_every_problem_is_listed_with_its_line(console: TestClient) -> None:
    csrf = enter(console, "ana")
    draft = DRAFT.replace("points: 1}", "points: 1, action: order_cap}").replace(
        "{orders_7d:,d} pesanan", "{order_7d} pesanan"
    )
    response = console.post(
        "/policies/backtest",
        data={"draft": draft, "start": FIRST, "end": LAST, "csrf_token": csrf},
    )
    assert response.status_code == 422
    text = html.unescape(response.text)
    assert "line 20: policy small-shop-watch: outcome: a points outcome does not take action" in (
        text
    )
    broken = console.post(
        "/policies/backtest",
        data={"draft": "pack: [unclosed", "start": FIRST, "end": LAST, "csrf_token": csrf},
    )
    assert broken.status_code == 422 and "line 1" in broken.text


def test_bad_dates_and_forged_forms_are_refused(console: TestClient) -> None:
    csrf = enter(console, "ana")
    form = {"draft": DRAFT, "start": LAST, "end": FIRST, "csrf_token": csrf}
    backwards = console.post("/policies/backtest", data=form)
    assert backwards.status_code == 422
    assert "The last day 2026-10-05 is before the first day 2026-10-08." in backwards.text
    garbage = console.post("/policies/backtest", data={**form, "start": "yesterday"})
    assert garbage.status_code == 422 and "is not a date like 2026-10-31" in garbage.text
    unknown = console.post(
        "/policies/backtest", data={**form, "start": FIRST, "end": LAST, "against": "tokopedia-idd"}
    )
    assert unknown.status_code == 422 and "did you mean tokopedia-id?" in unknown.text
    forged = console.post("/policies/backtest", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403


def test_a_draft_no_longer_kept_asks_to_run_again(console: TestClient) -> None:
    enter(console, "ana")
    gone = console.get("/policies/backtest?draft=" + "0" * 64)
    assert gone.status_code == 404 and "no longer kept" in gone.text
    assert console.get("/policies/backtest?draft=../../etc/passwd").status_code == 404
