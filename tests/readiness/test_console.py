"""The readiness console on SQLite and PostgreSQL: an analyst reads every page (the Gantt
chart drawn on the server, its PNG and XLSX, the heat map, gates, a document's differences,
service metrics, the report) but cannot change anything; a program manager previews a slip
(what moves downstream) before saving it, checks gates, overrides a failing one with a
reason, records an acknowledgement and signs a handover off; forms need the CSRF token and
names are shown escaped."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from pasar.api.app import create_app
from pasar.audit.service import audit
from pasar.auth.service import create_user
from pasar.config import Settings
from pasar.kit.db import Database
from pasar.readiness import agents, documents, gates, handover, risks, service
from pasar.readiness.models import Program, Task
from tests.console.test_pages import PASSWORD, _sign_in
from tests.readiness.conftest import DAY, Market

_runs = itertools.count()
SCRIPT = "<script>alert(1)</script>"


@dataclass
class Console:
    app: object
    store: Database
    tag: str
    ids: dict[str, int]

    def client(self, role: str) -> tuple[TestClient, str]:
        client = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        return client, _sign_in(client, f"{self.tag}-{role}")


@pytest.fixture
def console(store: Database, market: Market) -> Iterator[Console]:
    tag = f"c{next(_runs)}"
    context = gates.Context.of(market.settings)
    start = dt.date.today() + dt.timedelta(days=1)  # the console plans as of today
    with store.unit_of_work() as s:
        for role in ("analyst", "program_manager", "seller"):
            create_user(
                s,
                f"{tag}-{role}",
                role,
                role,
                PASSWORD,
                **({"seller_id": "S1"} if role == "seller" else {}),
            )
        program = service.create_program(
            s,
            f"{tag} pilot {SCRIPT}",
            "dewi",
            start,
            start + dt.timedelta(days=30),
            ["Makassar"],
            actor="t",
        )
        sop = service.add_task(
            s,
            program.id,
            f"{tag} SOP {SCRIPT}",
            "dewi",
            "Design",
            start,
            start + dt.timedelta(days=4),
            actor="t",
        )
        train = service.add_task(
            s,
            program.id,
            f"{tag} Train agents",
            "lina",
            "Training",
            start + dt.timedelta(days=5),
            start + dt.timedelta(days=7),
            predecessors=[sop.id],
            actor="t",
        )
        risks.add_risk(
            s,
            program.id,
            f"{tag} hiring lags",
            probability=4,
            impact=5,
            owner="sari",
            due_on=start - dt.timedelta(days=3),
            actor="t",
        )
        center = f"{tag}-Makassar"  # its own: the store holds other tests' agents
        lead = agents.add_agent(s, f"{tag}-L", "Andi", center, role="lead", actor="t")
        doc = documents.create_document(
            s,
            f"{tag} chat SOP",
            "dewi",
            "Greet.\nClose.\n",
            centers=[center],
            on=start,
            actor="t",
        )
        documents.publish_version(
            s, doc.id, "Greet by name.\nClose.\n", note="", on=start, actor="t"
        )
        csat = gates.add_gate(
            s, program.id, "CSAT", context=context, policy_id="csat-gate", actor="t"
        )
        slow = gates.add_gate(
            s,
            program.id,
            "Slow",
            context=context,
            condition="first_response_hours_p90_7d >= 5",
            actor="t",
        )
        gates.check_gates(s, market.settings, program.id, DAY, actor="t", context=context)
        made = handover.open_handover(s, program.id, center, items=["rota"], actor="t")
        ids = {
            "program": program.id,
            "sop": sop.id,
            "train": train.id,
            "doc": doc.id,
            "csat": csat.id,
            "slow": slow.id,
            "handover": made.id,
            "lead": lead.id,
        }
    app = create_app(Settings(home=market.settings.home, database_url=store.url))
    with TestClient(app):
        yield Console(app, store, tag, ids)


def test_an_analyst_reads_every_page_and_changes_nothing(console: Console) -> None:
    pid = console.ids["program"]
    anonymous = TestClient(console.app, follow_redirects=False)  # type: ignore[arg-type]
    assert anonymous.get("/readiness").headers["location"] == "/login"
    client, csrf = console.client("analyst")
    home = client.get("/readiness")
    assert home.status_code == 200 and 'href="/readiness"' in home.text  # in the navigation
    assert "<svg" in home.text and f"{console.tag} Train agents" in home.text  # the Gantt chart
    assert SCRIPT not in home.text and "&lt;script&gt;" in home.text
    png = client.get("/readiness/schedule.png")
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    sheet = client.get(f"/readiness/schedule.xlsx?program={pid}")
    assert sheet.status_code == 200 and sheet.content.startswith(b"PK")
    program = client.get(f"/readiness/programs/{pid}")
    assert program.status_code == 200 and "Critical path" in program.text
    assert "Preview the change" not in program.text  # no forms for a reader
    download = client.get(f"/readiness/programs/{pid}?download=schedule-{pid}&format=csv")
    assert f"{console.tag} Train agents" in download.text
    risks_page = client.get(f"/readiness/programs/{pid}/risks")
    assert 'id="heat-map"' in risks_page.text and "overdue" in risks_page.text
    heat = re.search(r"<tr><th>5</th>(.*?)</tr>", risks_page.text, re.S)
    assert heat is not None and re.findall(r"<td[^>]*>(\d*)</td>", heat[1]) == ["", "", "", "1", ""]
    gates_page = client.get(f"/readiness/programs/{pid}/gates")
    assert "csat_mean_30d" in gates_page.text and "Mark ready" not in gates_page.text
    doc = client.get(f"/readiness/documents/{console.ids['doc']}")
    assert '<span class="remove">- Greet.</span>' in doc.text
    assert '<span class="add">+ Greet by name.</span>' in doc.text
    assert f"{console.tag}-L" in doc.text  # pending: the lead has not acknowledged v2
    found = client.get("/readiness/documents", params={"q": f"{console.tag} greet"})
    assert f"{console.tag} chat SOP" in found.text
    metrics = client.get("/readiness/metrics", params={"by": "reason", "as_of": DAY.isoformat()})
    assert (
        metrics.status_code == 200 and "Contact reasons" in metrics.text and "<svg" in metrics.text
    )
    assert client.get("/readiness/metrics", params={"by": "planet"}).status_code == 422
    report = client.get(f"/readiness/programs/{pid}/report")
    assert report.status_code == 200 and f"{console.tag} Train agents" in report.text
    refused = client.post(
        f"/readiness/tasks/{console.ids['sop']}/preview",
        data={"due_on": "2030-01-01", "version": "1", "csrf_token": csrf},
    )
    assert refused.status_code == 403 and "cannot change" in refused.text
    seller, _ = console.client("seller")
    assert seller.get("/readiness").status_code == 403
    assert 'href="/readiness"' not in seller.get("/readiness").text


def test_a_program_manager_previews_saves_overrides_and_signs_off(console: Console) -> None:
    pid, sop = console.ids["program"], console.ids["sop"]
    client, csrf = console.client("program_manager")
    page = client.get(f"/readiness/programs/{pid}")
    assert f'action="/readiness/tasks/{sop}/preview"' in page.text
    with console.store.unit_of_work() as s:
        task = s.get(Task, sop)
        assert task is not None
        late_due = (task.due_on + dt.timedelta(days=3)).isoformat()
    form = {"start_on": "", "due_on": late_due, "version": "1", "csrf_token": csrf}
    forged = client.post(f"/readiness/tasks/{sop}/preview", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403 and "this form is stale" in forged.text
    preview = client.post(f"/readiness/tasks/{sop}/preview", data=form)
    assert preview.status_code == 200 and "What moves" in preview.text
    assert f"{console.tag} Train agents" in preview.text and "+3" in preview.text
    assert "Save the change" in preview.text
    with console.store.unit_of_work() as s:
        assert s.get(Task, sop).version == 1  # type: ignore[union-attr]  # nothing saved yet
    saved = client.post(f"/readiness/tasks/{sop}", data={**form, "shift": "on"})
    assert saved.status_code == 303 and saved.headers["location"] == f"/readiness/programs/{pid}"
    with console.store.unit_of_work() as s:
        first, second = s.get(Task, sop), s.get(Task, console.ids["train"])
        assert first is not None and second is not None
        assert (
            first.due_on.isoformat() == late_due
            and second.start_on > second.baseline_due_on - dt.timedelta(days=3)
        )
    stale = client.post(f"/readiness/tasks/{sop}", data=form)
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    bad = client.post(f"/readiness/tasks/{sop}/preview", data={**form, "due_on": "soon"})
    assert bad.status_code == 422 and "not a date" in bad.text

    checked = client.post(f"/readiness/programs/{pid}/gates/check", data={"csrf_token": csrf})
    assert checked.status_code == 303
    ready = {"override_reason": "", "version": "1", "csrf_token": csrf}
    refused = client.post(f"/readiness/programs/{pid}/ready", data=ready)
    assert (
        refused.status_code == 409
        and "cannot be marked ready" in refused.text
        and "Slow" in refused.text
    )
    done = client.post(
        f"/readiness/programs/{pid}/ready",
        data={**ready, "override_reason": f"pilot only {SCRIPT}"},
    )
    assert done.status_code == 303
    with console.store.unit_of_work() as s:
        program = s.get(Program, pid)
        assert program is not None and program.status == "ready"
        actions = [(e.action, e.reason) for e in audit.history(s, "readiness_program", str(pid))]
        assert ("readiness.program.ready_overridden", f"pilot only {SCRIPT}") in actions
    gates_page = client.get(f"/readiness/programs/{pid}/gates")
    assert SCRIPT not in gates_page.text and "pilot only &lt;script&gt;" in gates_page.text

    doc = console.ids["doc"]
    acked = client.post(
        f"/readiness/documents/{doc}/acknowledge",
        data={"agent": f"{console.tag}-L", "version": "1", "csrf_token": csrf},
    )
    assert acked.status_code == 409 and "not the current one" in acked.text  # v1 is old
    acked = client.post(
        f"/readiness/documents/{doc}/acknowledge",
        data={"agent": f"{console.tag}-L", "version": "2", "csrf_token": csrf},
    )
    assert acked.status_code == 303
    assert "Every required agent has acknowledged" in client.get(f"/readiness/documents/{doc}").text
    page = client.get(f"/readiness/programs/{pid}/handover")
    item = re.search(r'action="/readiness/handover-items/(\d+)"', page.text)
    assert item is not None and "not ticked" in page.text
    sign = {"lead": f"{console.tag}-L", "override_reason": "", "version": "1", "csrf_token": csrf}
    blocked = client.post(f"/readiness/handovers/{console.ids['handover']}/sign-off", data=sign)
    assert blocked.status_code == 409 and "rota: not ticked" in blocked.text
    ticked = client.post(
        f"/readiness/handover-items/{item[1]}",
        data={"done": "on", "version": "1", "csrf_token": csrf},
    )
    assert ticked.status_code == 303
    signed = client.post(f"/readiness/handovers/{console.ids['handover']}/sign-off", data=sign)
    assert signed.status_code == 303
    assert "signed off" in client.get(f"/readiness/programs/{pid}/handover").text


def test_every_readiness_form_needs_the_session_token(console: Console) -> None:
    from pasar.console.readiness import router

    client, csrf = console.client("program_manager")
    other, _ = console.client("analyst")
    tried = 0
    for route in router.routes:
        if "POST" not in getattr(route, "methods", ()):
            continue
        path = re.sub(r"{\w+}", "1", route.path)  # type: ignore[attr-defined]
        form = {
            "version": "1",
            "due_on": "2030-01-01",
            "status": "closed",
            "lead": "x",
            "agent": "x",
            "done": "on",
            "override_reason": "x",
        }
        for token in (None, "forged-token", csrf):
            who = other if token == csrf else client  # a token of another session
            answer = who.post(path, data=form if token is None else {**form, "csrf_token": token})
            assert answer.status_code == 403, (path, token, answer.text[:200])
            assert "this form is stale" in answer.text
            tried += 1
    assert tried == 3 * 8
