"""Hostile uploads and forms against the console on SQLite and PostgreSQL: each is refused with
a message on the page (or a clear status) and leaves nothing behind — no appeal, no plan, no
file — or, for a valid PDF under a nasty name, is kept only under the SHA-256 of its content
inside the evidence folder, its name cleaned and shown escaped.

Every case tried is counted; each test asserts how many it ran.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import delete, select

from pasar.api.app import PREFIX
from pasar.config import Settings
from pasar.console import ROUTERS
from pasar.governance import evidence
from pasar.governance.models import Appeal, PlanOfAction
from tests.console.test_pages import _sign_in
from tests.console.test_pages import console as console  # the fixture, reused
from tests.console.test_portal import (
    PDF,
    Part,
    Portal,
    add_user,
    appeal_parts,
    appeals_of,
    decision_form,
    error_of,
    files_under,
    fingerprint,
    multipart,
    post_appeal,
)
from tests.console.test_portal import portal as portal  # the fixtures, reused
from tests.console.test_portal import quick_hashing as quick_hashing

LIMIT = 4096  # evidence_max_bytes of these tests: small, so that the cases stay fast
SCRIPT = '<script>alert("pwned")</script>'


@dataclass
class Fuzz:
    portal: Portal
    client: TestClient  # signed in as shop1 (seller S1)
    csrf: str
    tmp: Path

    @property
    def violation(self) -> int:
        return self.portal.violations["S1"]

    def outside_evidence(self) -> list[str]:
        """Every file of the test's folder but the evidence folder and the SQLite store."""
        return [
            f
            for f in files_under(self.tmp)
            if not f.startswith("home/evidence/") and not f.startswith("store.db")
        ]


@pytest.fixture
def fuzz(portal: Portal, tmp_path: Path) -> Fuzz:
    """The portal with evidence files of at most :data:`LIMIT` bytes, signed in as shop1."""
    app: Any = portal.client.app
    old: Settings = app.state.settings
    app.state.settings = Settings(
        home=old.home, database_url=old.database_url, evidence_max_bytes=LIMIT
    )
    assert app.state.settings.evidence_dir == tmp_path / "home" / "evidence"
    return Fuzz(portal, portal.client, _sign_in(portal.client, "shop1"), tmp_path)


def _pdf(tag: str, size: int | None = None) -> bytes:
    """A small valid PDF, distinct per ``tag`` (padded to ``size`` bytes when given)."""
    data = PDF + f"% {tag}\n".encode()
    return data if size is None else data + b"%" * (size - len(data))


def _file(name: str | bytes, data: bytes, media_type: str = "application/pdf") -> Any:
    return (name, data, media_type)


def _one(name: str, data: bytes, media_type: str = "application/pdf") -> list[Part]:
    """One file, for the second checklist item (the courier's proof)."""
    return [("file_1", _file(name, data, media_type))]


SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">' + SCRIPT.encode() + b"</svg>"
# (what it is, the files sent after the text fields, the status, words of the message)
REFUSED: list[tuple[str, list[Part], int, str]] = [
    ("over the limit by one byte", _one("big.pdf", _pdf("big", LIMIT + 1)), 422,
     f"big.pdf: {LIMIT + 1:,} bytes is more than the {LIMIT:,} allowed"),
    ("far over the limit", _one("huge.pdf", _pdf("huge", 20 * LIMIT)), 422,
     "bytes is more than the"),
    ("an empty file", _one("empty.pdf", b""), 422, "empty.pdf: the file is empty"),
    ("an ELF binary named .pdf", _one("tool.pdf", b"\x7fELF\x02\x01\x01" + b"\0" * 60), 422,
     "tool.pdf: not a PDF, PNG, JPEG or WebP file"),
    ("a Windows .exe named .pdf", _one("setup.pdf", b"MZ\x90\x00\x03" + b"\0" * 60), 422,
     "setup.pdf: not a PDF"),
    ("HTML named .pdf", _one("page.pdf", b"<html><body>" + SCRIPT.encode()), 422,
     "page.pdf: not a PDF"),
    ("an SVG with a script named .pdf", _one("logo.pdf", SVG), 422, "logo.pdf: not a PDF"),
    ("an SVG as itself", _one("logo.svg", SVG, "image/svg+xml"), 422, "logo.svg: not a PDF"),
    ("a ZIP named .pdf", _one("docs.pdf", b"PK\x03\x04\x14\x00" + b"\0" * 40), 422,
     "docs.pdf: not a PDF"),
    ("text claiming application/pdf", _one("note.pdf", b"just some text\n"), 422,
     "note.pdf: not a PDF"),
    ("a PDF behind a space", _one("late.pdf", b" " + PDF), 422, "late.pdf: not a PDF"),
    ("a name whose CRLFs end the part's headers", _one("a\r\n\r\n.pdf", PDF), 422,
     "a: not a PDF"),
    ("a PDF behind an executable", _one("mz.pdf", b"MZ" + PDF), 422, "mz.pdf: not a PDF"),
    ("RIFF audio named .webp", _one("a.webp", b"RIFF\x24\0\0\0WAVEfmt ", "image/webp"), 422,
     "a.webp: not a PDF"),
    ("a good file beside a bad one",
     [("file_0", _file("good.pdf", _pdf("good"))), *_one("bad.pdf", b"MZ\0\0")], 422,
     "bad.pdf: not a PDF"),
    ("six files when five are allowed",
     [(f"file_{i}", _file(f"p{i}.pdf", _pdf(f"p{i}"))) for i in range(6)], 422,
     f"at most {evidence.MAX_FILES} evidence files"),
    ("seven files", [(f"file_{i}", _file(f"q{i}.pdf", _pdf(f"q{i}"))) for i in range(7)], 413,
     "Too many files"),
    ("a file field past the checklist", [("file_3", _file("extra.pdf", _pdf("extra")))], 422,
     "unexpected file field 'file_3'"),
    ("a file field of another name", [("upload", _file("up.pdf", _pdf("up")))], 422,
     "unexpected file field 'upload'"),
    ("two files for one item", [*_one("one.pdf", _pdf("one")), *_one("two.pdf", _pdf("two"))],
     422, "one file per item"),
]  # fmt: skip


def test_hostile_uploads_are_refused_and_nothing_is_kept(fuzz: Fuzz) -> None:
    tried = 0
    outside = fuzz.outside_evidence()
    for what, files, status, words in REFUSED:
        before = fingerprint(fuzz.portal)
        page = post_appeal(fuzz.client, fuzz.violation, appeal_parts(fuzz.csrf, files))
        assert page.status_code == status, (what, page.text[-1500:])
        assert str(escape(words)) in error_of(page.text), (what, error_of(page.text))
        assert fingerprint(fuzz.portal) == before, what
        assert files_under(fuzz.portal.evidence_dir) == [], what
        tried += 1

    # a valid file with an appeal that breaks a rule is not kept either
    good = [("file_1", _file("proof.pdf", _pdf("proof")))]
    others: list[tuple[str, list[Part], int, str]] = [
        ("no statement", appeal_parts(fuzz.csrf, good, statement="  "), 422, "the statement"),
        ("a statement too long", appeal_parts(fuzz.csrf, good, statement="x" * 5001), 422,
         "at most 5,000 characters"),
        ("an unknown reason", appeal_parts(fuzz.csrf, good, reason="aliens"), 422,
         "unknown appeal reason"),
        ("evidence missing", appeal_parts(fuzz.csrf, good, texts={}), 422, "evidence missing"),
        ("a NUL in the statement", appeal_parts(fuzz.csrf, good, statement="why\x00not"), 422,
         "NUL"),
        ("a NUL in an evidence text",
         appeal_parts(fuzz.csrf, good, texts={"evidence_0": "O1\x00", "evidence_2": "x"}),
         422, "NUL"),
        ("a 200 KB statement", appeal_parts(fuzz.csrf, good, statement="s" * 200_000), 413,
         "exceeded maximum size"),
        ("a 200 KB evidence text",
         appeal_parts(fuzz.csrf, good, texts={"evidence_0": "7" * 200_000}), 413,
         "exceeded maximum size"),
        ("61 fields", [*appeal_parts(fuzz.csrf, good), *[(f"x{i}", "y") for i in range(61)]],
         413, "Too many fields"),
        ("no CSRF token", appeal_parts("", good), 403, ""),
        ("a wrong CSRF token", appeal_parts("forged", good), 403, ""),
    ]  # fmt: skip
    for what, parts, status, words in others:
        before = fingerprint(fuzz.portal)
        page = post_appeal(fuzz.client, fuzz.violation, parts)
        assert page.status_code == status, (what, page.text[-1500:])
        if status == 403:
            assert "this form is stale" in page.text, what  # a page, not JSON
        else:
            assert words in error_of(page.text), (what, error_of(page.text))
        assert fingerprint(fuzz.portal) == before, what
        assert files_under(fuzz.portal.evidence_dir) == [], what
        tried += 1

    # declared and real sizes far above what an appeal may carry: refused before reading it
    most = evidence.MAX_FILES * LIMIT + 1024 * 1024
    body, headers = multipart(appeal_parts(fuzz.csrf, good))
    for what, content, declared in [
        ("a declared Content-Length of 1 GB", body, str(10**9)),
        ("a body just over the request limit", body + b"\0" * (most - len(body) + 1), None),
    ]:
        before = fingerprint(fuzz.portal)
        page = fuzz.client.post(
            f"/violations/{fuzz.violation}/appeal",
            content=content,
            headers={**headers, "content-length": declared or str(len(content))},
        )
        assert page.status_code == 413 and "at most 5 files" in error_of(page.text), what
        assert fingerprint(fuzz.portal) == before, what
        tried += 1
    assert fuzz.outside_evidence() == outside
    assert tried == len(REFUSED) + len(others) + 2 >= 30
    print(f"{tried} hostile appeal forms refused")

    # the file at exactly the limit is accepted
    exact = _pdf("exact", LIMIT)
    parts = appeal_parts(fuzz.csrf, _one("exact.pdf", exact))
    done = post_appeal(fuzz.client, fuzz.violation, parts)
    assert done.status_code == 303, done.text
    stored = f"{hashlib.sha256(exact).hexdigest()}.pdf"
    assert files_under(fuzz.portal.evidence_dir) == [stored]
    assert (fuzz.portal.evidence_dir / stored).stat().st_size == LIMIT


# (the name as sent in the multipart header, what the pages show)
NAMES: list[tuple[bytes, str]] = [
    (b"../../etc/passwd.pdf", "passwd.pdf"),
    (b"..\\\\..\\\\win.ini.pdf", "win.ini.pdf"),  # \\ is how a quoted header sends a backslash
    (b"/etc/passwd.pdf", "passwd.pdf"),
    (b"C:\\\\Windows\\\\system.ini.pdf", "system.ini.pdf"),
    (b"..%2F..%2Fescaped.pdf", "2F.._2Fescaped.pdf"),
    (b"nul\x00byte.pdf", "nul_byte.pdf"),
    (b"nul%00byte.pdf", "nul_00byte.pdf"),  # how a browser sends a NUL
    (b"new%0Aline.pdf", "new_0Aline.pdf"),  # … and a newline
    (b"tab\there.pdf", "tab_here.pdf"),
    (b"raw\nnewline.pdf", "raw_newline.pdf"),
    (b"crlf\r\nX-Injected: 1.pdf", "crlf.pdf"),  # the header ends at the CRLF
    (b"semi;colon.pdf", "semi_colon.pdf"),
    (b"a" * 300 + b".pdf", "a" * 116 + ".pdf"),
    (b"<img src=x onerror=alert(1)>.pdf", "img src_x onerror_alert(1)_.pdf"),
    (b"%22><script>alert(1)</script>.pdf", "script_.pdf"),  # the / of </script> is a folder
    (b"..", "evidence.pdf"),
    (b".pdf", "pdf.pdf"),
    ("ｆｕｌｌ／ｗｉｄｔｈ.pdf".encode(), "width.pdf"),  # NFKC makes the slash a slash
    ("\u202egnp.pdf".encode(), "gnp.pdf"),  # a right-to-left override
    (b"Bukti pengiriman (JNE).pdf", "Bukti pengiriman (JNE).pdf"),
    (b"invoice.html", "invoice.html.pdf"),  # downloaded as what it is
    (b"Scan.PDF", "Scan.PDF"),
]


def test_nasty_names_are_kept_only_under_the_content_hash(fuzz: Fuzz) -> None:
    outside = fuzz.outside_evidence()
    reviewer = fuzz.portal.other_client()
    _sign_in(reviewer, "rina")
    tried = 0
    for raw, shown in NAMES:
        data = _pdf(repr(raw))
        if raw.endswith(b".html"):  # a PDF that is HTML too: served as a PDF, never sniffed
            data += b"<html><script>alert(1)</script></html>"
        parts = appeal_parts(fuzz.csrf, [("file_1", (raw, data, "application/pdf"))])
        done = post_appeal(fuzz.client, fuzz.violation, parts)
        assert done.status_code == 303, (raw, done.text[-1500:])
        (appeal,) = appeals_of(fuzz.portal, "S1")
        (kept,) = [e for e in appeal.evidence if "stored" in e]
        stored = f"{hashlib.sha256(data).hexdigest()}.pdf"
        assert (kept["file"], kept["given"], kept["stored"]) == (shown, shown, stored), raw
        assert (fuzz.portal.evidence_dir / stored).read_bytes() == data
        pages = [fuzz.client.get("/appeals"), reviewer.get("/appeals")]
        if b"<" in raw:  # the shop page too (it is slower: it draws a chart)
            pages.append(fuzz.client.get("/sellers/S1"))
        for page in pages:
            assert f'/evidence/0">{escape(shown)}</a>' in page.text, raw
            assert "<img" not in page.text and "<script" not in page.text, raw
        file = fuzz.client.get(f"/appeals/{appeal.id}/evidence/0")
        assert file.status_code == 200 and file.content == data
        assert file.headers["content-type"] == "application/pdf"
        assert file.headers["x-content-type-options"] == "nosniff"
        disposition = file.headers["content-disposition"]
        assert disposition.startswith("attachment;"), disposition
        named = disposition.split("filename", 1)[1].lstrip("*=").strip('"')
        assert not re.search(r'[\\/"<>\n\r\0]', named), disposition
        with fuzz.portal.database.unit_of_work() as session:
            session.execute(delete(Appeal))  # so that the violation may be appealed again
        tried += 1
    kept_files = files_under(fuzz.portal.evidence_dir)
    assert len(kept_files) == len(NAMES) and all(
        re.fullmatch(r"[0-9a-f]{64}\.pdf", f) for f in kept_files
    )
    assert fuzz.outside_evidence() == outside
    for escaped in ("/etc/passwd.pdf", "win.ini.pdf", "../win.ini.pdf"):
        assert not (fuzz.tmp / "home" / escaped.lstrip("/")).exists()
    assert not Path("/etc/passwd.pdf").exists()
    assert tried == len(NAMES) >= 15
    print(f"{tried} nasty file names kept under their hash")


def test_script_in_every_text_field_is_shown_escaped(fuzz: Fuzz) -> None:
    client, portal = fuzz.client, fuzz.portal
    texts = {"evidence_0": f"O1 {SCRIPT}", "evidence_1": "JNE-1", "evidence_2": f"{SCRIPT} x"}
    parts = appeal_parts(fuzz.csrf, texts={}, statement=SCRIPT)
    refused = post_appeal(client, fuzz.violation, parts)
    assert refused.status_code == 422
    assert "<script" not in refused.text and escape(SCRIPT) in refused.text
    done = post_appeal(
        client, fuzz.violation, appeal_parts(fuzz.csrf, statement=f"why {SCRIPT}", texts=texts)
    )
    assert done.status_code == 303, done.text
    plan_fields = {
        name: f"{SCRIPT}\n{name} <img src=x onerror=alert(2)>"
        for name in ("root_causes", "corrective_actions", "preventive_measures", "evidence")
    }
    bad_plan = client.post(
        f"/actions/{portal.plan_action}/plan",
        data={**plan_fields, "evidence": "", "csrf_token": fuzz.csrf},
    )
    assert bad_plan.status_code == 422 and "at least one evidence" in error_of(bad_plan.text)
    assert "<script" not in bad_plan.text and escape(SCRIPT) in bad_plan.text
    plan = client.post(
        f"/actions/{portal.plan_action}/plan", data={**plan_fields, "csrf_token": fuzz.csrf}
    )
    assert plan.status_code == 303, plan.text

    reviewer = portal.other_client()
    token = _sign_in(reviewer, "rina")
    action, version = decision_form(reviewer.get("/appeals").text, "appeals")
    decided = reviewer.post(
        action,
        data={"decision": "reject", "reason": f"no {SCRIPT}", "version": version,
              "csrf_token": token},
    )  # fmt: skip
    assert decided.status_code == 303
    action, version = decision_form(reviewer.get("/plans").text, "plans")
    reviewed = reviewer.post(
        action,
        data={"decision": "request_changes", "reason": f"more {SCRIPT}", "version": version,
              "csrf_token": token},
    )  # fmt: skip
    assert reviewed.status_code == 303
    with portal.database.unit_of_work() as session:
        (appeal,) = session.scalars(select(Appeal))
        (stored_plan,) = session.scalars(select(PlanOfAction))
        assert appeal.statement == f"why {SCRIPT}" and appeal.decision_reason == f"no {SCRIPT}"
        assert stored_plan.root_causes[0] == SCRIPT and stored_plan.comment == f"more {SCRIPT}"
    pages = 0
    for who, path in [(client, "/sellers/S1"), (client, "/appeals"), (client, "/plans"),
                      (reviewer, "/sellers/S1"), (reviewer, "/appeals"), (reviewer, "/plans"),
                      (client, f"/actions/{portal.plan_action}/plan")]:  # fmt: skip
        page = who.get(path)
        assert page.status_code == 200, path
        assert "<script" not in page.text and "<img" not in page.text, path
        assert "&lt;script&gt;" in page.text or path.endswith("/plan"), path
        pages += 1
    shop = client.get("/sellers/S1").text
    for text in (f"why {SCRIPT}", f"no {SCRIPT}", f"more {SCRIPT}", f"O1 {SCRIPT}"):
        assert str(escape(text)) in shop, text
    assert pages == 7


def _post_routes(routes: Sequence[Any], prefix: str = "") -> list[tuple[str, APIRoute]]:
    """Every route taking POST, with its full path, through included routers too."""
    found = []
    for route in routes:
        if isinstance(route, APIRoute):
            if "POST" in (route.methods or ()):
                found.append((prefix + route.path, route))
        elif hasattr(route, "original_router"):  # FastAPI keeps an included router whole
            inner = prefix + getattr(route.include_context, "prefix", "")
            found += _post_routes(route.original_router.routes, inner)
    return found


def _body_fields(dependant: Any) -> list[Any]:
    """The form fields of a route, its dependencies' included (e.g. a decision form)."""
    return [*dependant.body_params, *(f for d in dependant.dependencies for f in _body_fields(d))]


def _filled(template: str, route: APIRoute, ids: dict[str, int]) -> tuple[str, dict[str, str]]:
    """The route's path with real ids, and a value for each of its form fields."""
    path = template
    for name in re.findall(r"{(\w+)}", path):
        path = path.replace("{" + name + "}", str(ids.get(name, 1)))
    known = {"decision": "accept", "reason": "because", "version": "1", "language": "id",
             "back": "/", "root_causes": "a", "corrective_actions": "b",
             "preventive_measures": "c", "evidence": "d", "statement": "s"}  # fmt: skip
    form = {}
    for field in _body_fields(route.dependant):
        name = field.alias
        kind = field.field_info.annotation
        form[name] = known.get(name, "1" if kind in (int, float) else "x")
    form.pop("csrf_token", None)
    return path, form


def test_every_post_route_needs_the_session_csrf_token(fuzz: Fuzz) -> None:
    portal = fuzz.portal
    app: Any = portal.client.app
    routes = [(path, r) for path, r in _post_routes(app.routes) if path != "/login"]
    console_routes = [(path, r) for path, r in routes if not path.startswith(PREFIX)]
    declared = {path for router in ROUTERS for path, _ in _post_routes(router.routes)}
    assert declared - {"/login"} == {path for path, _ in console_routes}
    expected = {
        "/logout", "/language", "/violations/{violation_id}/appeal",
        "/actions/{action_id}/plan", "/actions/{action_id}/decision",
        "/appeals/{appeal_id}/decision", "/plans/{plan_id}/decision", "/policies/backtest",
    }  # fmt: skip
    assert expected <= {path for path, _ in console_routes}
    # something for every decision form to decide
    texts = {"evidence_0": "O1", "evidence_1": "JNE-1", "evidence_2": "strike"}
    done = post_appeal(fuzz.client, fuzz.violation, appeal_parts(fuzz.csrf, texts=texts))
    plan = fuzz.client.post(
        f"/actions/{portal.plan_action}/plan",
        data={"root_causes": "a", "corrective_actions": "b", "preventive_measures": "c",
              "evidence": "d", "csrf_token": fuzz.csrf},
    )  # fmt: skip
    assert (done.status_code, plan.status_code) == (303, 303)
    with portal.database.unit_of_work() as session:
        ids = {
            "violation_id": fuzz.violation,
            "action_id": portal.plan_action,
            "appeal_id": session.scalars(select(Appeal.id)).one(),
            "plan_id": session.scalars(select(PlanOfAction.id)).one(),
        }
    add_user(portal, "root", "admin")
    admin = portal.other_client()
    users: list[tuple[str, TestClient, str]] = [
        ("shop1", fuzz.client, fuzz.csrf),
        ("root", admin, _sign_in(admin, "root")),  # may do everything: only the token is wrong
    ]
    before = fingerprint(portal)
    tried = 0
    for index, (name, client, own) in enumerate(users):
        others = users[(index + 1) % len(users)][2]
        for template, route in console_routes:
            path, form = _filled(template, route, ids)
            for token in (None, "forged-" + own[7:], others):  # none, a wrong one, another's
                data = form if token is None else {**form, "csrf_token": token}
                if template == "/violations/{violation_id}/appeal":
                    body, headers = multipart(_appeal_with(token))
                    answer = client.post(path, content=body, headers=headers)
                else:
                    answer = client.post(path, data=data)
                assert answer.status_code == 403, (name, template, token, answer.text[:300])
                assert "this form is stale" in answer.text, (name, template, token)
                assert answer.headers["content-type"].startswith("text/html")
                tried += 1
        # the API never reads the console's cookie: without a bearer token it is not signed in
        for template, route in routes:
            if template.startswith(PREFIX):
                path, _ = _filled(template, route, ids)
                answer = client.post(path, json={}, headers={"x-csrf-token": own})
                assert answer.status_code == 401, (template, answer.text[:300])
                tried += 1
    assert fingerprint(portal) == before
    assert tried >= len(users) * 3 * len(expected)
    print(f"{tried} forged or token-less POSTs refused")


def _appeal_with(token: str | None) -> list[Part]:
    """The appeal form with a valid PDF, and ``token`` as its CSRF token (none when None)."""
    parts = appeal_parts(token or "", [("file_1", _file("csrf.pdf", _pdf("csrf")))])
    return parts[1:] if token is None else parts


NASTY = [
    "\x00", "a\x00b", SCRIPT, "]]><!--", "\r\n\r\n--boundary--", "\u202e\u200b", "   ",
    "x" * 5001, "&amp; &lt;", "\x1b[31mred", "\ud7ff\ue000\U0010ffff", "{{ 7*7 }}{% raw %}",
]  # fmt: skip


def test_any_statement_is_kept_escaped_or_refused_with_a_message(fuzz: Fuzz) -> None:
    kept: list[str] = []
    refused: list[str] = []
    texts = {"evidence_0": "O1", "evidence_1": "JNE-1", "evidence_2": "the courier was late"}

    @settings(max_examples=25, deadline=None, database=None)
    @given(statement=st.one_of(st.text(max_size=120), st.sampled_from(NASTY)))
    @example(statement="\x00")
    @example(statement=SCRIPT)
    @example(statement="x" * 5001)
    def check(statement: str) -> None:
        parts = appeal_parts(fuzz.csrf, statement=statement, texts=texts)
        page = post_appeal(fuzz.client, fuzz.violation, parts)
        assert page.status_code < 500
        found = appeals_of(fuzz.portal, "S1")
        if page.status_code == 303:
            (appeal,) = found
            assert appeal.statement == statement.strip()
            shown = fuzz.client.get("/appeals")
            assert shown.status_code == 200 and str(escape(appeal.statement)) in shown.text
            assert SCRIPT not in shown.text
            with fuzz.portal.database.unit_of_work() as session:
                session.execute(delete(Appeal))
            kept.append(statement)
        else:
            assert page.status_code in (413, 422), page.text[-500:]
            assert error_of(page.text).strip() and found == []
            assert SCRIPT not in page.text
            refused.append(statement)

    check()
    assert len(kept) + len(refused) >= 25 and SCRIPT in kept and "x" * 5001 in refused
    assert "\x00" in refused  # PostgreSQL cannot keep a NUL: refused on every store alike
    print(f"{len(kept)} statements kept, {len(refused)} refused")
