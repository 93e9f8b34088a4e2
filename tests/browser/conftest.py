"""Browser tests: the real console served by uvicorn in a thread, driven by Playwright in
Debian's headless Chromium (``make browser`` installs it; Playwright never downloads one).

One server and one browser serve the whole suite (``xdist_group("browser")`` keeps the tests on
one worker): a migrated SQLite store seeded with three sellers' violations, a submitted appeal,
actions waiting for review and a plan of action, plus a small warehouse (late dispatch rates
known, as in ``tests/cli/test_policy_cli.py``) and a seller snapshot for the shop pages' metrics.

Screenshots land in ``tests/browser/artifacts/`` (or ``$PASAR_ARTIFACTS``), also of the page a
failed test was on. ``PASAR_SKIP_BROWSER=1`` skips the suite; otherwise a missing Chromium fails
it, saying how to install it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Response,
    ViewportSize,
    expect,
    sync_playwright,
)
from sqlalchemy import select

from pasar import migrations
from pasar.api.app import create_app
from pasar.auth.service import create_user
from pasar.config import Settings
from pasar.governance import appeals, plans
from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import build_snapshots
from pasar.warehouse.ingest.batch import IngestRequest, ingest
from tests.api.test_access import DAY, EVIDENCE, _findings
from tests.cli.test_policy_cli import _orders as october_orders

CHROMIUM = Path(os.environ.get("PASAR_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(os.environ.get("PASAR_ARTIFACTS") or Path(__file__).parent / "artifacts")
PASSWORD = "a long enough passphrase"
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# generous: the suite shares the machine with the rest of the test run
NAVIGATION_TIMEOUT_MS = 20_000
expect.set_options(timeout=10_000)
SELLERS = ("S1", "S2", "S3")
# username → (display name, role, shop)
USERS = {
    "rina": ("Rina Reviewer", "governance_reviewer", None),
    "dewi": ("Dewi Reviewer", "governance_reviewer", None),  # switches to Indonesian
    "ana": ("Ana Analyst", "analyst", None),
    "shop1": ("Toko Satu", "seller", "S1"),
}


@dataclass
class Console:
    """The running console: its address, store and settings, and the seeded rows' ids."""

    url: str
    settings: Settings
    db: Database
    violations: dict[str, int] = field(default_factory=dict)  # seller → its violation
    appeal_id: int = 0  # S2's submitted appeal

    def context(self, browser: Browser) -> BrowserContext:
        """A fresh browser context (no cookies) on the console."""
        context = browser.new_context(base_url=self.url, viewport=VIEWPORT, accept_downloads=True)
        context.set_default_timeout(NAVIGATION_TIMEOUT_MS)
        return context

    def submit(self, page: Page, button: Locator, lands_on: str | None = None) -> None:
        """Click a form's submit ``button`` and wait for the page its redirect lands on
        (``lands_on``, a path, when known).
        """
        url = f"{self.url}{lands_on}" if lands_on else None
        with page.expect_navigation(url=url):
            button.click()

    def sign_in(self, page: Page, username: str) -> None:
        """Sign ``username`` in through the form, as a person would."""
        page.goto(f"{self.url}/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.locator("header .who").count() == 1, page.content()

    def open(self, page: Page, path: str) -> Response:
        """Go to ``path``, which must answer 200 with a page free of server errors."""
        response = page.goto(f"{self.url}{path}")
        assert response is not None, f"{path}: no response"
        assert response.status == 200, f"{path}: HTTP {response.status}"
        body = response.text()
        for bad in ("Traceback", "Internal Server Error"):
            assert bad not in body, f"{path}: {bad!r} in the page"
        return response


def _warehouse_csv(path: Path) -> Path:
    """October's orders of s1–s3 (for the backtest) and ten of S1's around ``DAY`` (for its
    shop page): 3 late of 10 due, Rp 150.000 each."""
    created, due = DAY - dt.timedelta(days=2), DAY - dt.timedelta(days=1)
    rows = []
    for i in range(10):
        shipped = f"{DAY} 09:00:00" if i < 3 else f"{due} 09:00:00"
        rows.append(
            f"S1-{i},S1,b{i},{created} 10:00:00,{due} 10:00:00,{shipped},delivered,150000,Bali\n"
        )
    path.write_text(october_orders() + "".join(rows))
    return path


def _seed(db: Database) -> tuple[dict[str, int], int]:
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    with db.unit_of_work() as session:
        for seller in SELLERS:
            apply_day(session, scheme, DAY, _findings(seller), {}, DayReport(DAY, "", ""))
        for seller in ("S2", "S3"):  # S2's is reversed when its appeal is accepted
            session.add(
                EnforcementAction(
                    dedupe_key=f"browser:{seller}", seller_id=seller, source="ladder",
                    action="permanent_suspension", step_at=48, scheme=scheme.ref,
                    starts_on=DAY, status="pending_review", review_reason="never automatic",
                    explanation_en=f"{seller} reached 48 points",
                    explanation_id=f"{seller} mencapai 48 poin",
                )
            )  # fmt: skip
        for username, (name, role, shop) in USERS.items():
            create_user(session, username, name, role, PASSWORD, seller_id=shop)
    with db.unit_of_work() as session:
        entries = session.scalars(select(PointsEntry).where(PointsEntry.kind == "issue")).all()
        violations = {e.seller_id: e.id for e in entries}
        appeal = appeals.submit(
            session, scheme, violations["S2"], "logistics_provider", EVIDENCE,
            "The courier was on strike that week.", DAY, "seller-s2",
        )  # fmt: skip
        suspension = session.scalars(
            select(EnforcementAction).where(EnforcementAction.dedupe_key == "browser:S3")
        ).one()
        plans.submit_plan(
            session, scheme, suspension.id, ["one packer for two shifts"],
            ["a second packer from 1 Dec"], ["daily dispatch check at 15:00"],
            ["rota.pdf"], DAY, "seller-s3",
        )  # fmt: skip
        return violations, appeal.id


def _serve(app: object) -> tuple[uvicorn.Server, threading.Thread, str]:
    """Serve ``app`` on a free local port from a thread; its server, thread and address."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the console server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The console over a seeded store and warehouse, served until the session ends."""
    root = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{root / 'store.db'}"
    migrations.upgrade(url)
    settings = Settings(home=root / "home", database_url=url)
    report = ingest(IngestRequest(paths=[_warehouse_csv(root / "orders.csv")]), settings)
    assert report.status == "committed", report
    build_snapshots("seller", [DAY], settings, catalog_for(settings))
    db = Database(url)
    violations, appeal_id = _seed(db)
    server, thread, address = _serve(create_app(settings))
    try:
        yield Console(address, settings, db, violations, appeal_id)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        db.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright."""
    if os.environ.get("PASAR_SKIP_BROWSER") == "1":
        pytest.skip("PASAR_SKIP_BROWSER=1: browser tests skipped")
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: run `make browser` (Debian's chromium "
            "package), or set PASAR_SKIP_BROWSER=1 to skip the browser tests.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots are saved (kept after the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call":
        item.stash[_FAILED] = report.failed


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(
    browser: Browser, console: Console, artifacts: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context (no cookies) with one page; a screenshot if the test failed."""
    context = console.context(browser)
    opened = context.new_page()
    yield opened
    if request.node.stash.get(_FAILED, False):
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        opened.screenshot(path=str(artifacts / f"failed-{name}.png"), full_page=True)
    context.close()
