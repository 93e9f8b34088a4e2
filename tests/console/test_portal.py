"""The seller portal through the console on SQLite and PostgreSQL: a seller appeals its own
violation with a PDF, the file is kept under its SHA-256 and served back as an attachment, a
reviewer accepts the appeal (the points are reversed); a plan of action lifts an action; other
shops and roles get nothing; and every table downloads as CSV and XLSX with what it shows.

The helpers here (the ``portal`` fixture, :func:`multipart`, :func:`fingerprint` …) are shared
with ``test_form_fuzzing.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from openpyxl import load_workbook  # type: ignore[import-untyped]
from sqlalchemy import func, select

from pasar.audit.models import AuditEvent
from pasar.auth import service as auth_service
from pasar.auth.models import BrowserSession, User
from pasar.auth.service import create_user
from pasar.governance.ledger import balance
from pasar.governance.models import Appeal, EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.scheme import load_schemes, scheme_on
from pasar.kit.db import Database
from tests.console.test_pages import DAY, PASSWORD, _sign_in
from tests.console.test_pages import console as console  # the fixture, reused
from tests.text import mentions

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
REASON = "logistics_provider"
CHECKLIST = ["impacted order ids", "courier handover proof or tracking", "explanation"]
TEXTS = {"evidence_0": "O-1001, O-1002", "evidence_2": "the courier did not pick up"}
STATEMENT = "The courier missed the pickup window; tracking attached."
BOUNDARY = "pasar-test-boundary-7MA4YWxkTrZu0gW"

# one multipart part: a text field, or a file as (file name, content, media type)
Part = tuple[str, str | bytes | tuple[str | bytes, bytes, str]]


@dataclass
class Portal:
    """The console signed in as nobody yet, and the rows the tests work on."""

    client: TestClient
    database: Database
    home: Path
    violations: dict[str, int]  # seller → its violation
    plan_action: int  # S1's active shop_deactivated: a plan of action lifts it

    @property
    def evidence_dir(self) -> Path:
        path: Path = self.client.app.state.settings.evidence_dir  # type: ignore[attr-defined]
        return path

    def other_client(self) -> TestClient:
        """A second browser on the same server (its own cookies)."""
        return TestClient(self.client.app, follow_redirects=False)


@pytest.fixture
def quick_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id at its cheapest for these tests' users (each sign-in checks a password)."""
    monkeypatch.setattr(
        auth_service, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


@pytest.fixture
def portal(quick_hashing: None, console: TestClient, database: Database, tmp_path: Path) -> Portal:
    """The console of ``test_pages`` (rina the reviewer, shop1 of seller S1) and an active
    action of S1 that needs a plan of action."""
    scheme = scheme_on(load_schemes(), "tokopedia-id", DAY)
    assert "shop_deactivated" in scheme.poa_required_for
    with database.unit_of_work() as session:
        action = EnforcementAction(
            dedupe_key="t:S1:poa",
            seller_id="S1",
            action="shop_deactivated",
            source="policy",
            scheme=scheme.ref,
            starts_on=DAY,
            ends_on=DAY + dt.timedelta(days=27),
            status="active",
            explanation_en="S1 deactivated for late dispatch",
        )
        session.add(action)
        session.flush()
        violations = {
            e.seller_id: e.id
            for e in session.scalars(select(PointsEntry).where(PointsEntry.kind == "issue"))
        }
        plan_action = action.id
    return Portal(console, database, tmp_path / "home", violations, plan_action)


def add_user(portal: Portal, username: str, role: str, seller_id: str | None = None) -> None:
    """One more user of the console (shop2 of seller S2, an analyst, an administrator …)."""
    with portal.database.unit_of_work() as session:
        create_user(session, username, username.title(), role, PASSWORD, seller_id=seller_id)


def multipart(parts: Sequence[Part], boundary: str = BOUNDARY) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body written byte by byte (names are sent exactly as given, so
    a test can send what a browser never would) and its content-type header."""
    chunks = []
    for name, value in parts:
        head = b'Content-Disposition: form-data; name="' + name.encode() + b'"'
        if isinstance(value, tuple):
            filename, data, media_type = value
            raw = filename if isinstance(filename, bytes) else filename.encode()
            head += b'; filename="' + raw + b'"\r\nContent-Type: ' + media_type.encode()
        else:
            data = value if isinstance(value, bytes) else value.encode()
        chunks.append(b"--" + boundary.encode() + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n")
    chunks.append(b"--" + boundary.encode() + b"--\r\n")
    return b"".join(chunks), {"content-type": f"multipart/form-data; boundary={boundary}"}


def appeal_parts(
    csrf: str,
    files: Sequence[Part] = (),
    statement: str = STATEMENT,
    texts: dict[str, str] | None = None,
    reason: str = REASON,
) -> list[Part]:
    """The appeal form as the page sends it: every text field, then the given files."""
    given = TEXTS if texts is None else texts
    parts: list[Part] = [("csrf_token", csrf), ("reason", reason)]
    parts += [(f"evidence_{i}", given.get(f"evidence_{i}", "")) for i in range(len(CHECKLIST))]
    return [*parts, ("statement", statement), *files]


def post_appeal(client: TestClient, violation: int, parts: Sequence[Part]) -> Any:
    body, headers = multipart(parts)
    return client.post(f"/violations/{violation}/appeal", content=body, headers=headers)


def fingerprint(portal: Portal) -> dict[str, Any]:
    """What a refused form must leave as it was: rows, versions, statuses, files."""
    with portal.database.unit_of_work() as session:
        found: dict[str, Any] = {
            "appeals": [
                (a.id, a.status, a.version, a.statement, a.evidence)
                for a in session.scalars(select(Appeal).order_by(Appeal.id))
            ],
            "plans": [
                (p.id, p.status, p.version)
                for p in session.scalars(select(PlanOfAction).order_by(PlanOfAction.id))
            ],
            "actions": [
                (a.id, a.status, a.version, a.ends_on)
                for a in session.scalars(select(EnforcementAction).order_by(EnforcementAction.id))
            ],
            "entries": session.scalar(select(func.count()).select_from(PointsEntry)),
            "users": [
                (u.username, u.language, u.version)
                for u in session.scalars(select(User).order_by(User.id))
            ],
            "sessions": session.scalar(select(func.count()).select_from(BrowserSession)),
            "audit": session.scalar(select(func.count()).select_from(AuditEvent)),
        }
    found["files"] = files_under(portal.home)
    return found


def files_under(root: Path) -> list[str]:
    """Every file below ``root`` (relative paths), hidden partial files included."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def appeals_of(portal: Portal, seller: str) -> list[Appeal]:
    with portal.database.unit_of_work() as session:
        found = list(session.scalars(select(Appeal).where(Appeal.seller_id == seller)))
        session.expunge_all()
    return found


def error_of(html: str) -> str:
    """The message a refused form shows (``<p class="error">``)."""
    found = re.search(r'<p class="error">(.*?)</p>', html, re.S)
    assert found is not None, html[-2000:]
    return found[1]


def decision_form(html: str, kind: str) -> tuple[str, str]:
    """The first decision form on a page: its action and the version it carries."""
    found = re.search(
        rf'action="(/{kind}/\d+/decision)">\s*<input type="hidden" name="csrf_token" '
        r'value="[^"]+">\s*<input type="hidden" name="version" value="(\d+)">',
        html,
    )
    assert found is not None, html[-3000:]
    return found[1], found[2]


def test_a_seller_appeals_with_a_pdf_and_a_reviewer_accepts(portal: Portal) -> None:
    client, violation = portal.client, portal.violations["S1"]
    csrf = _sign_in(client, "shop1")
    shop = client.get("/sellers/S1")
    assert f'href="/violations/{violation}/appeal"' in shop.text
    form = client.get(f"/violations/{violation}/appeal")
    assert form.status_code == 200 and "Logistics provider problem" in form.text
    assert 'type="file"' not in form.text  # no reason picked yet
    form = client.get(f"/violations/{violation}/appeal", params={"reason": REASON})
    assert form.status_code == 200
    for i, item in enumerate(CHECKLIST):
        assert f'name="evidence_{i}"' in form.text and f'name="file_{i}"' in form.text
        assert item in form.text

    done = client.post(
        f"/violations/{violation}/appeal",
        data={
            "csrf_token": csrf,
            "reason": REASON,
            **TEXTS,
            "evidence_1": "",
            "statement": STATEMENT,
        },
        files={"file_1": ("tracking proof.pdf", PDF, "application/pdf")},
    )
    assert (done.status_code, done.headers["location"]) == (303, "/sellers/S1#appeals"), done.text

    stored = f"{hashlib.sha256(PDF).hexdigest()}.pdf"
    (appeal,) = appeals_of(portal, "S1")
    assert (appeal.entry_id, appeal.reason, appeal.status) == (violation, REASON, "submitted")
    assert appeal.statement == STATEMENT
    assert appeal.submitted_by in ("shop1", "user:shop1")  # the actor, with or without its kind
    assert appeal.evidence == [
        {"item": CHECKLIST[0], "given": TEXTS["evidence_0"]},
        {"item": CHECKLIST[2], "given": TEXTS["evidence_2"]},
        {
            "item": CHECKLIST[1],
            "given": "tracking proof.pdf",
            "file": "tracking proof.pdf",
            "stored": stored,
            "media_type": "application/pdf",
            "bytes": len(PDF),
        },
    ]
    assert files_under(portal.evidence_dir) == [stored]
    assert (portal.evidence_dir / stored).read_bytes() == PDF

    shop = client.get("/sellers/S1")
    link = f'<a href="/appeals/{appeal.id}/evidence/0">tracking proof.pdf</a>'
    assert link in shop.text and STATEMENT in shop.text
    assert f'href="/violations/{violation}/appeal"' not in shop.text  # appealed already
    reviewer = _as(portal, "rina")
    for who in (client, reviewer):
        file = who.get(f"/appeals/{appeal.id}/evidence/0")
        assert file.status_code == 200 and file.content == PDF
        assert file.headers["content-type"] == "application/pdf"
        assert file.headers["content-disposition"].startswith("attachment;")
        assert "filename*=utf-8''tracking%20proof.pdf" in file.headers["content-disposition"]
        assert file.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/appeals/{appeal.id}/evidence/1").status_code == 404
    assert client.get(f"/appeals/{appeal.id}/evidence/-1").status_code == 404

    # a reviewer accepts it from /appeals: the 2 points of the violation are reversed
    with portal.database.unit_of_work() as session:
        assert balance(session, "S1", dt.date.today()) == 2
    page = reviewer.get("/appeals")
    assert "tracking proof.pdf" in page.text
    action, version = decision_form(page.text, "appeals")
    assert action == f"/appeals/{appeal.id}/decision"
    token = _csrf_of(reviewer)
    decided = reviewer.post(
        action,
        data={
            "decision": "accept",
            "reason": "tracking shows the courier missed it",
            "version": version,
            "csrf_token": token,
        },
    )
    assert (decided.status_code, decided.headers["location"]) == (303, "/appeals")
    (appeal,) = appeals_of(portal, "S1")
    assert appeal.status == "accepted" and appeal.decided_by in ("rina", "user:rina")
    with portal.database.unit_of_work() as session:
        assert balance(session, "S1", dt.date.today()) == 0
        assert balance(session, "S2", dt.date.today()) == 2
    again = reviewer.post(
        action, data={"decision": "reject", "reason": "x", "version": version, "csrf_token": token}
    )
    assert again.status_code == 409


def test_a_plan_of_action_lifts_the_action(portal: Portal) -> None:
    client, action_id = portal.client, portal.plan_action
    csrf = _sign_in(client, "shop1")
    shop = client.get("/sellers/S1")
    assert f'href="/actions/{action_id}/plan"' in shop.text
    form = client.get(f"/actions/{action_id}/plan")
    assert form.status_code == 200 and 'name="root_causes"' in form.text
    lines = {
        "root_causes": "night shift understaffed\r\n\r\n  courier pickup at 16:00  \n",
        "corrective_actions": "hired two packers\nmoved pickup to 18:00",
        "preventive_measures": "daily dispatch dashboard",
        "evidence": "rota.pdf\ncourier-contract.pdf",
    }
    done = client.post(f"/actions/{action_id}/plan", data={**lines, "csrf_token": csrf})
    assert (done.status_code, done.headers["location"]) == (303, "/sellers/S1#plans"), done.text
    with portal.database.unit_of_work() as session:
        (plan,) = session.scalars(select(PlanOfAction))
        assert plan.root_causes == ["night shift understaffed", "courier pickup at 16:00"]
        assert plan.corrective_actions == ["hired two packers", "moved pickup to 18:00"]
        assert plan.preventive_measures == ["daily dispatch dashboard"]
        assert plan.evidence == ["rota.pdf", "courier-contract.pdf"]
        assert (plan.action_id, plan.seller_id, plan.revision, plan.status) == (
            action_id,
            "S1",
            1,
            "submitted",
        )
        plan_id = plan.id
    shop = client.get("/sellers/S1")
    assert "hired two packers; moved pickup to 18:00" in shop.text
    assert f'href="/actions/{action_id}/plan"' not in shop.text  # waiting for review
    assert client.get("/plans").status_code == 200

    reviewer = _as(portal, "rina")
    page = reviewer.get("/plans")
    action, version = decision_form(page.text, "plans")
    assert action == f"/plans/{plan_id}/decision"
    decided = reviewer.post(
        action,
        data={
            "decision": "accept",
            "reason": "credible and complete",
            "version": version,
            "csrf_token": _csrf_of(reviewer),
        },
    )
    assert (decided.status_code, decided.headers["location"]) == (303, "/plans")
    today = dt.date.today()
    with portal.database.unit_of_work() as session:
        reviewed = session.get(PlanOfAction, plan_id)
        lifted = session.get(EnforcementAction, action_id)
        assert reviewed is not None and lifted is not None
        assert (reviewed.status, reviewed.comment) == ("accepted", "credible and complete")
        assert reviewed.reviewed_by in ("rina", "user:rina")
        assert lifted.status == "lifted"
        assert lifted.ends_on == max(DAY - dt.timedelta(days=1), today - dt.timedelta(days=1))
        assert not lifted.in_force(today)
    # nothing more to lift: the form refuses a second plan with the reason
    again = client.post(f"/actions/{action_id}/plan", data={**lines, "csrf_token": csrf})
    assert again.status_code == 422 and "lifted: nothing to lift" in error_of(again.text)


def test_other_shops_and_roles_get_nothing(portal: Portal) -> None:
    client, mine = portal.client, portal.violations["S1"]
    csrf = _sign_in(client, "shop1")
    done = post_appeal(
        client, mine, appeal_parts(csrf, [("file_1", ("proof.pdf", PDF, "application/pdf"))])
    )
    assert done.status_code == 303
    (appeal,) = appeals_of(portal, "S1")
    add_user(portal, "shop2", "seller", seller_id="S2")
    add_user(portal, "ana", "analyst")
    other, analyst = portal.other_client(), portal.other_client()
    token = _sign_in(other, "shop2")  # seller B: a valid session and token of its own
    analyst_token = _sign_in(analyst, "ana")
    before = fingerprint(portal)

    assert other.get(f"/violations/{mine}/appeal").status_code == 404
    assert other.get(f"/violations/{mine}/appeal?reason={REASON}").status_code == 404
    evidence = other.get(f"/appeals/{appeal.id}/evidence/0")
    assert evidence.status_code == 404 and evidence.content != PDF
    assert other.get(f"/actions/{portal.plan_action}/plan").status_code == 404
    assert "proof.pdf" not in other.get("/appeals").text
    assert not mentions(other.get("/sellers").text, "S1")
    other_pdf = PDF + b"% seller B\n"
    refused = post_appeal(
        other, mine, appeal_parts(token, [("file_1", ("b.pdf", other_pdf, "application/pdf"))])
    )
    assert refused.status_code == 404 and "no violation" in error_of(refused.text)
    plan = other.post(
        f"/actions/{portal.plan_action}/plan",
        data={
            "root_causes": "a",
            "corrective_actions": "b",
            "preventive_measures": "c",
            "evidence": "d",
            "csrf_token": token,
        },
    )
    assert plan.status_code == 404
    decided = other.post(
        f"/appeals/{appeal.id}/decision",
        data={"decision": "accept", "reason": "mine now", "version": "1", "csrf_token": token},
    )
    assert decided.status_code == 403
    # B's own violation is B's to appeal
    assert other.get(f"/violations/{portal.violations['S2']}/appeal").status_code == 200
    assert fingerprint(portal) == before

    for path in (f"/violations/{mine}/appeal", f"/violations/{portal.violations['S2']}/appeal"):
        page = analyst.get(path)
        assert page.status_code == 403 and "Only the shop itself" in page.text
    assert analyst.get(f"/actions/{portal.plan_action}/plan").status_code == 403
    refused = post_appeal(
        analyst,
        portal.violations["S2"],
        appeal_parts(analyst_token, [("file_1", ("a.pdf", other_pdf, "application/pdf"))]),
    )
    assert refused.status_code == 403 and "Only the shop itself" in refused.text
    evidence = analyst.get(f"/appeals/{appeal.id}/evidence/0")  # staff may read
    assert evidence.status_code == 200 and evidence.content == PDF
    assert fingerprint(portal) == before


class _Tables(HTMLParser):
    """Each ``<section class="table" id=…>``: its header labels and the text of its cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, tuple[list[str], list[list[str]]]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and found.get("class") == "table":
            self._table = str(found["id"])
            self.tables[self._table] = ([], [])
        elif self._table is None:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self.tables[self._table][1].append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if self._table is None:
            return
        if tag == "section":
            self._table = None
        elif tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            heads, rows = self.tables[self._table]
            (heads if tag == "th" else rows[-1]).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def _as_text(value: Any) -> str:
    """A downloaded value as the page shows it (dates ISO, nothing as "—")."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_every_table_downloads_as_csv_and_xlsx(portal: Portal) -> None:
    client = portal.client
    csrf = _sign_in(client, "shop1")
    done = post_appeal(
        client,
        portal.violations["S1"],
        appeal_parts(csrf, [("file_1", ("proof.pdf", PDF, "application/pdf"))]),
    )
    assert done.status_code == 303
    plan = client.post(
        f"/actions/{portal.plan_action}/plan",
        data={
            "root_causes": "short staff",
            "corrective_actions": "hired",
            "evidence": "rota",
            "preventive_measures": "dashboard",
            "csrf_token": csrf,
        },
    )
    assert plan.status_code == 303
    reviewer = _as(portal, "rina")
    pages = {
        "/sellers": ["sellers"],
        "/sellers/S1": ["violations", "actions", "metrics", "appeals", "plans"],
        "/appeals": ["appeals"],
        "/plans": ["plans"],
        "/queue": ["queue"],
    }
    checked = 0
    for path, names in pages.items():
        page = reviewer.get(path)
        assert page.status_code == 200, path
        shown = tables_of(page.text)
        assert set(names) <= set(shown), (path, set(shown))
        for name in names:
            heads, cells = shown[name]
            if cells:
                assert f"download={name}&amp;format=csv" in page.text, (path, name)
            got = reviewer.get(path, params={"download": name, "format": "csv"})
            assert got.status_code == 200, (path, name)
            assert got.headers["content-type"] == "text/csv; charset=utf-8"
            assert re.match(
                rf'attachment; filename="{name}-\d{{8}}\.csv"', got.headers["content-disposition"]
            )
            header, *lines = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
            rows = [row[: len(header)] for row in cells]  # without the decision column
            assert header and (heads[: len(header)] == header or not cells), (path, name)
            assert len(heads) - len(header) in (0, 1) or not cells
            assert [[_as_text(v) for v in line] for line in lines] == rows, (path, name)

            got = reviewer.get(path, params={"download": name, "format": "xlsx"})
            assert got.status_code == 200 and got.content[:2] == b"PK"
            sheet = load_workbook(io.BytesIO(got.content), read_only=True).worksheets[0]
            values = [list(r) for r in sheet.iter_rows(values_only=True)]
            assert values[0] == header, (path, name)
            assert [[_as_text(v) for v in r] for r in values[1:]] == rows, (path, name)
            checked += 1
        missing = reviewer.get(path, params={"download": "nope", "format": "csv"})
        assert missing.status_code == 404 and "no table" in missing.text, path
    assert checked == 9

    # real values: S1 and S2 hold 2 points each; S2's suspension waits in the queue
    sellers = reviewer.get("/sellers?download=sellers&format=csv").content.decode("utf-8-sig")
    by_seller = {r["Seller"]: r for r in csv.DictReader(io.StringIO(sellers))}
    assert (by_seller["S1"]["Points"], by_seller["S2"]["Points"]) == ("2", "2")
    book = reviewer.get("/sellers?download=sellers&format=xlsx").content
    sheet = load_workbook(io.BytesIO(book), read_only=True).worksheets[0]
    points = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert points == {"S1": 2, "S2": 2}
    queue = reviewer.get("/queue?download=queue&format=csv").content.decode("utf-8-sig")
    (waiting,) = csv.DictReader(io.StringIO(queue))
    assert (waiting["Seller"], waiting["Action"]) == ("S2", "permanent_suspension")
    appeals = reviewer.get("/appeals?download=appeals&format=csv").content.decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(appeals))
    assert (row["Seller"], row["Statement"], row["Status"]) == ("S1", STATEMENT, "submitted")
    assert "courier handover proof or tracking: proof.pdf" in row["Evidence"]
    assert reviewer.get("/sellers?download=sellers&format=pdf").status_code == 422
    # a seller downloads only what it sees
    mine = client.get("/sellers?download=sellers&format=csv").content.decode("utf-8-sig")
    assert [r["Seller"] for r in csv.DictReader(io.StringIO(mine))] == ["S1"]


def _as(portal: Portal, username: str) -> TestClient:
    """Another browser signed in as ``username``."""
    client = portal.other_client()
    _sign_in(client, username)
    return client


def _csrf_of(client: TestClient, path: str = "/appeals") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found[1]


def test_the_appeal_button_shows_only_while_the_window_is_open(portal: Portal) -> None:
    old_day = dt.date.today() - dt.timedelta(days=45)
    with portal.database.unit_of_work() as session:
        session.add(
            PointsEntry(
                dedupe_key="t:S1:old",
                seller_id="S1",
                kind="issue",
                points=2,
                effective_on=old_day,
                scheme="tokopedia-id@2",
                policy_id="old-points",
                explanation_en="an old violation",
            )
        )
    _sign_in(portal.client, "shop1")
    page = portal.client.get("/sellers/S1").text
    recent, old = portal.violations["S1"], _old_violation(portal)
    assert f'href="/violations/{recent}/appeal"' in page
    assert f"until {DAY + dt.timedelta(days=30)}" in page
    assert f'href="/violations/{old}/appeal"' not in page
    assert f"Appeals closed on {old_day + dt.timedelta(days=30)}" in page


def _old_violation(portal: Portal) -> int:
    with portal.database.unit_of_work() as session:
        found = session.scalar(select(PointsEntry.id).where(PointsEntry.policy_id == "old-points"))
    assert found is not None
    return found
