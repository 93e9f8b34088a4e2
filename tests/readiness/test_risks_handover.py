"""The RAID log (heat map, overdue mitigations, top risks) and handovers (checklist lines
blocked by their gate or document, the receiving lead's sign-off, the audited override), on
SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from pasar.audit.service import audit
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError
from pasar.readiness import agents, documents, gates, handover, risks, service
from pasar.readiness import repository as repo
from pasar.readiness.models import Handover
from tests.readiness.conftest import DAY, Market, center_metrics


def test_the_raid_log(store: Database) -> None:
    today = dt.date(2026, 11, 20)
    with store.unit_of_work() as s:
        program = service.create_program(s, "RAID", "dewi", today, today, [], actor="t")
        task = service.add_task(s, program.id, "Hire", "sari", "WFM", today, today, actor="t")
        spec = [  # title, kind, probability, impact, due, status
            ("hiring lags", "risk", 3, 4, today - dt.timedelta(days=2), "open"),
            ("vendor SLA", "risk", 2, 5, today + dt.timedelta(days=5), "mitigating"),
            ("phone habit", "assumption", 3, 4, today - dt.timedelta(days=9), "mitigating"),
            ("app release", "dependency", 5, 5, None, "open"),
            ("old issue", "issue", 4, 4, today - dt.timedelta(days=30), "closed"),
        ]
        made = {}
        for title, kind, p, i, due, status in spec:
            risk = risks.add_risk(
                s,
                program.id,
                title,
                kind=kind,
                probability=p,
                impact=i,
                owner="o",
                due_on=due,
                task_ids=[task.id],
                actor="t",
            )
            if status != "open":
                risks.update_risk(s, risk.id, actor="t", status=status, reason="reviewed")
            made[title] = risk
        every = list(repo.risks_of(s, program.id))
        assert [r.title for r in risks.overdue(every, today)] == ["phone habit", "hiring lags"]
        assert [r.title for r in risks.top(every, 3)] == [
            "app release",
            "phone habit",
            "hiring lags",
        ]
        grid = risks.heat_map(every)
        counts = {(c.impact, c.probability): len(c.risks) for row in grid for c in row if c.risks}
        assert counts == {(4, 3): 2, (5, 2): 1, (5, 5): 1}  # the closed issue is not shown
        assert [row[0].impact for row in grid] == [5, 4, 3, 2, 1]
        assert (grid[0][4].band, grid[1][2].band, grid[4][0].band) == ("critical", "high", "low")
        with pytest.raises(ValidationError, match="probability must be 1 to 5"):
            risks.add_risk(s, program.id, "x", probability=6, impact=1, owner="o", actor="t")
        with pytest.raises(ValidationError, match="not a task of program"):
            risks.add_risk(
                s, program.id, "x", probability=1, impact=1, owner="o", task_ids=[10**6], actor="t"
            )
        with pytest.raises(ConflictError, match="changed by someone else"):
            risks.update_risk(s, made["vendor SLA"].id, actor="t", seen_version=1, impact=1)
        events = audit.history(s, "readiness_risk", str(made["old issue"].id))
        assert [e.action for e in events] == ["readiness.risk.added", "readiness.risk.updated"]
        assert events[1].reason == "reviewed" and events[1].after["status"] == "closed"  # type: ignore[index]


def test_a_handover_is_signed_off_when_nothing_blocks_it(
    database: Database, market: Market
) -> None:
    # a fresh store: the check counts every agent of the real centers
    context = gates.Context.of(market.settings)
    truth = center_metrics(market.tickets, DAY)
    failing = next(c for c in truth.index if not (truth.loc[c, "csat_mean_30d"] or 0) >= 4.5)
    with database.unit_of_work() as s:
        program = service.create_program(
            s, "Handover", "dewi", DAY, DAY, ["Makassar", failing], actor="t"
        )
        for ref, center, role in [
            ("HO-M1", "Makassar", "lead"),
            ("HO-M2", "Makassar", "agent"),
            ("HO-F1", failing, "lead"),
        ]:
            agents.add_agent(s, ref, ref, center, role=role, actor="t")
        sop = documents.create_document(
            s, "Handover SOP", "dewi", "v1", centers=["Makassar", failing], on=DAY, actor="t"
        )
        csat = gates.add_gate(
            s, program.id, "CSAT", context=context, policy_id="csat-gate", actor="t"
        )
        ids = {"program": program.id, "sop": sop.id, "gate": csat.id}
        for center in ("Makassar", failing):
            made = handover.open_handover(
                s,
                program.id,
                center,
                actor="t",
                items=[
                    "On-call rota agreed",
                    ("CSAT passes", csat.id, None),
                    ("SOP read", None, sop.id),
                ],
            )
            ids[center] = made.id
        with pytest.raises(ConflictError, match="already has a handover"):
            handover.open_handover(s, program.id, "Makassar", actor="t")
        with pytest.raises(ValidationError, match="not required of Surabaya"):
            other = handover.open_handover(s, program.id, "Surabaya", actor="t")
            handover.add_item(s, other.id, "read", document_id=sop.id, actor="t")

    def blockers(center: str) -> list[str | None]:
        with database.unit_of_work() as s:
            found = repo.get(s, Handover, ids[center])
            return [line.blocker for line in handover.checklist(s, found)]

    assert blockers("Makassar") == [
        "not ticked",
        "not ticked; gate 'CSAT' not checked for Makassar",
        "not ticked; 2 agent(s) of Makassar have not acknowledged 'Handover SOP' v1: HO-M1, HO-M2",
    ]
    with database.unit_of_work() as s:
        gates.check_gates(s, market.settings, ids["program"], DAY, actor="t", context=context)
        for item in repo.items_of(s, ids["Makassar"]):
            handover.tick(s, item.id, done=True, on=DAY, actor="user:andi")
        documents.acknowledge(s, ids["sop"], "HO-M1", actor="t")
    assert blockers("Makassar") == [
        None,
        None,
        "1 agent(s) of Makassar have not acknowledged 'Handover SOP' v1: HO-M2",
    ]
    with (
        database.unit_of_work() as s,
        pytest.raises(ConflictError, match="cannot be signed off: SOP read"),
    ):
        handover.sign_off(s, ids["Makassar"], "HO-M1", on=DAY, actor="user:andi")
    with database.unit_of_work() as s:
        with pytest.raises(ValidationError, match="not an active lead of Makassar"):
            handover.sign_off(s, ids["Makassar"], "HO-M2", on=DAY, actor="t")
        with pytest.raises(ValidationError, match="not an active lead of Makassar"):
            handover.sign_off(s, ids["Makassar"], "HO-F1", on=DAY, actor="t")
        documents.acknowledge(s, ids["sop"], "HO-M2", actor="t")
        done = handover.sign_off(s, ids["Makassar"], "HO-M1", on=DAY, actor="user:andi")
        assert (done.status, done.signed_on, done.override_reason) == ("signed_off", DAY, None)
        with pytest.raises(ConflictError, match="already signed off"):
            handover.sign_off(s, ids["Makassar"], "HO-M1", on=DAY, actor="t")
        with pytest.raises(ConflictError, match="checklist is closed"):
            handover.tick(s, repo.items_of(s, ids["Makassar"])[0].id, done=False, on=DAY, actor="t")
    # the other center fails the CSAT gate: only an override signs it off, and it is audited
    assert f"gate 'CSAT' fail for {failing} as of {DAY}" in str(blockers(failing)[1])
    reason = "CSAT recovers after the first month; agreed with the regional head"
    with database.unit_of_work() as s:
        forced = handover.sign_off(
            s, ids[failing], "HO-F1", on=DAY, actor="user:rina", override_reason=reason
        )
        assert forced.override_reason == reason
        (event,) = [
            e
            for e in audit.history(s, "readiness_handover", str(ids[failing]))
            if e.action.startswith("readiness.handover.signed_off")
        ]
        assert (event.action, event.reason, event.actor) == (
            "readiness.handover.signed_off_overridden",
            reason,
            "user:rina",
        )
        assert event.context is not None and len(event.context["blocked"]) == 3
