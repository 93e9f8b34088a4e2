"""Gates over generated ticket data, on SQLite and PostgreSQL: each center's pass, fail or no
data and the values read agree with the metrics computed independently by pandas from the
raw tickets; a program cannot be marked ready while a gate fails unless overridden, and the
override is audited with its reason and the failing gates."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from pasar.audit.service import audit
from pasar.kit.db import Database
from pasar.kit.errors import ConflictError, ValidationError
from pasar.readiness import agents, documents, gates, service
from pasar.readiness.models import GateCheck, Program
from tests.readiness.conftest import DAY, Market, center_metrics

CENTERS = ["Jakarta", "Makassar", "Medan", "Surabaya", "Yogyakarta"]
CENTER = "SOP test center"


def expected_result(value: Any, holds: bool) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no_data"
    return "pass" if holds else "fail"


def test_gates_agree_with_pandas(store: Database, market: Market) -> None:
    context = gates.Context.of(market.settings)
    truth = {day: center_metrics(market.tickets, day) for day in (DAY - dt.timedelta(days=7), DAY)}
    now = truth[DAY]
    median = float(now["csat_mean_30d"].dropna().median())
    with store.unit_of_work() as s:
        program = service.create_program(
            s,
            "Pilot",
            "dewi",
            DAY - dt.timedelta(days=40),
            DAY + dt.timedelta(days=20),
            CENTERS,
            actor="t",
        )
        made = {
            "csat": gates.add_gate(
                s, program.id, "CSAT", context=context, policy_id="csat-gate", actor="t"
            ),
            "first": gates.add_gate(
                s,
                program.id,
                "First response",
                context=context,
                policy_id="first-response-gate",
                actor="t",
            ),
            "median": gates.add_gate(
                s,
                program.id,
                "CSAT above the median",
                context=context,
                condition=f"csat_mean_30d >= {median!r}",
                actor="t",
            ),
            "backlog": gates.add_gate(
                s,
                program.id,
                "Backlog",
                context=context,
                condition="backlog <= 2 * tickets_7d / 7",
                actor="t",
            ),
        }
        ids = {name: gate.id for name, gate in made.items()}
        program_id = program.id
    found: dict[dt.date, dict[tuple[int, str], Any]] = {}
    for day in truth:
        with store.unit_of_work() as s:
            results = gates.check_gates(
                s, market.settings, program_id, day, actor="t", context=context
            )
            found[day] = {(r.gate.id, c.center): c for r in results for c in r.centers}
    for day, frame in truth.items():
        for center, row in frame.iterrows():
            csat, first = row["csat_mean_30d"], row["first_response_hours_p90_7d"]
            backlog, week = int(row["backlog"]), int(row["tickets_7d"])
            expected = {
                "csat": expected_result(csat, csat is not None and csat >= 4.5),
                "first": expected_result(first, first is not None and first <= 1),
                "median": expected_result(csat, csat is not None and csat >= median),
                "backlog": "pass" if backlog <= 2 * week / 7 else "fail",
            }
            for name, result in expected.items():
                got = found[day][(ids[name], str(center))]
                assert got.result == result, (day, center, name, got.values)
            got_csat = found[day][(ids["csat"], str(center))].values["csat_mean_30d"]
            assert (got_csat is None) == (csat is None or math.isnan(csat))
            if got_csat is not None:
                assert got_csat == pytest.approx(csat)
            got_first = found[day][(ids["first"], str(center))].values
            if first is not None and not math.isnan(first):
                assert got_first["first_response_hours_p90_7d"] == pytest.approx(first)
            assert found[day][(ids["backlog"], str(center))].values == {
                "backlog": backlog,
                "tickets_7d": week,
            }
    outcomes = {c.result for per_day in found.values() for c in per_day.values()}
    assert {"pass", "fail"} <= outcomes  # the data exercises both outcomes
    assert truth[DAY].loc["Makassar", "csat_mean_30d"] >= 4.5  # the excellent center passes
    with store.unit_of_work() as s:
        stored = s.query(GateCheck).filter(GateCheck.gate_id == ids["csat"]).count()
        assert stored == 2 * len(CENTERS)
        statuses = {st.gate.name: st for st in gates.gate_status(s, program_id)}
        assert set(statuses["CSAT"].history) == set(truth)
        assert statuses["CSAT"].as_of == DAY and statuses["CSAT"].passed is False
        # checking the same day again replaces that day's checks
        gates.check_gates(s, market.settings, program_id, DAY, actor="t", context=context)
        assert s.query(GateCheck).filter(GateCheck.gate_id == ids["csat"]).count() == stored


def test_a_failing_gate_refuses_ready_unless_overridden(store: Database, market: Market) -> None:
    context = gates.Context.of(market.settings)
    truth = center_metrics(market.tickets, DAY)
    failing = [c for c in CENTERS if not (truth.loc[c, "csat_mean_30d"] or 0) >= 4.5]
    assert failing and truth.loc["Makassar", "csat_mean_30d"] >= 4.5
    start, launch = DAY - dt.timedelta(days=40), DAY + dt.timedelta(days=20)
    with store.unit_of_work() as s:
        wide = service.create_program(
            s, "Wide", "dewi", start, launch, ["Makassar", failing[0]], actor="t"
        )
        gates.add_gate(s, wide.id, "CSAT", context=context, policy_id="csat-gate", actor="t")
        narrow = service.create_program(s, "Narrow", "dewi", start, launch, ["Makassar"], actor="t")
        gates.add_gate(s, narrow.id, "CSAT", context=context, policy_id="csat-gate", actor="t")
        ids = wide.id, narrow.id
    with store.unit_of_work() as s, pytest.raises(ConflictError) as refused:
        gates.mark_ready(s, market.settings, ids[0], DAY, actor="user:dewi", context=context)
    message = str(refused.value)
    assert "cannot be marked ready" in message and f"CSAT: {failing[0]} fail" in message
    assert "Makassar" not in message.split("CSAT:")[1]  # only the failing center is named
    with store.unit_of_work() as s:
        assert s.get(Program, ids[0]).status == "planning"  # type: ignore[union-attr]
        with pytest.raises(ValidationError):
            gates.mark_ready(
                s,
                market.settings,
                ids[0],
                DAY,
                actor="user:dewi",
                context=context,
                override_reason="   ",
            )
    reason = "CSAT is measured on 3 weeks of pilot data; the vendor SLA covers the gap"
    with store.unit_of_work() as s:
        program, results = gates.mark_ready(
            s,
            market.settings,
            ids[0],
            DAY,
            actor="user:dewi",
            override_reason=reason,
            context=context,
        )
        assert (program.status, program.override_reason, program.ready_on) == ("ready", reason, DAY)
        assert [r.passed for r in results] == [False]
    with store.unit_of_work() as s:
        events = audit.history(s, "readiness_program", str(ids[0]))
        ready = [e for e in events if e.action.startswith("readiness.program.ready")]
        assert len(ready) == 1
        event = ready[0]
        assert (event.action, event.actor, event.reason) == (
            "readiness.program.ready_overridden",
            "user:dewi",
            reason,
        )
        assert event.context is not None and event.context["gates"] == {"CSAT": False}
        assert failing[0] in event.context["failing"][0]
        assert event.before is not None and event.before["status"] == "planning"
        with pytest.raises(ConflictError, match="already ready"):
            gates.mark_ready(s, market.settings, ids[0], DAY, actor="t", context=context)
    with store.unit_of_work() as s:  # every gate passes: ready without a reason
        program, _ = gates.mark_ready(
            s, market.settings, ids[1], DAY, actor="user:dewi", context=context
        )
        assert (program.status, program.override_reason) == ("ready", None)
        actions = [e.action for e in audit.history(s, "readiness_program", str(ids[1]))]
        assert "readiness.program.ready" in actions
        assert "readiness.program.ready_overridden" not in actions


def test_the_sop_gate_counts_only_the_current_version(store: Database, market: Market) -> None:
    # a center of its own (no tickets: only its agents count), apart from other tests' agents
    context = gates.Context.of(market.settings)
    with store.unit_of_work() as s:
        program = service.create_program(
            s, "SOP", "dewi", DAY, DAY + dt.timedelta(days=9), [CENTER], actor="t"
        )
        for n in range(1, 5):
            agents.add_agent(s, f"MKS-{n}", f"Agent {n}", CENTER, actor="t")
        agents.add_agent(s, "JKT-1", "Elsewhere", "Jakarta", actor="t")
        sop = documents.create_document(
            s,
            "Chat SOP",
            "dewi",
            "v1",
            centers=[CENTER],
            on=DAY,
            actor="t",
            program_id=program.id,
        )
        gate = gates.add_gate(
            s, program.id, "SOP read", context=context, condition="sop_ack_rate >= 0.95", actor="t"
        )
        ids = program.id, sop.id, gate.id

    def check() -> tuple[str, Any]:
        with store.unit_of_work() as s:
            (result,) = gates.check_gates(
                s, market.settings, ids[0], DAY, actor="t", context=context
            )
            (center,) = result.centers
            return center.result, center.values["sop_ack_rate"]

    with store.unit_of_work() as s:
        for n in (1, 2, 3):
            documents.acknowledge(s, ids[1], f"MKS-{n}", actor="t")
    assert check() == ("fail", 0.75)
    with store.unit_of_work() as s:
        documents.acknowledge(s, ids[1], "MKS-4", actor="t")
    assert check() == ("pass", 1.0)
    with store.unit_of_work() as s:
        documents.publish_version(s, ids[1], "v2", note="", on=DAY, actor="t")
        documents.acknowledge(s, ids[1], "MKS-1", actor="t")
    assert check() == ("fail", 0.25)


def test_a_gate_that_cannot_be_checked_is_refused(store: Database, market: Market) -> None:
    context = gates.Context.of(market.settings)
    with store.unit_of_work() as s:
        program = service.create_program(s, "Bad", "dewi", DAY, DAY, ["Makassar"], actor="t")
        cases: list[tuple[dict[str, Any], str]] = [
            ({"condition": "csat_mean_30d >= 4.5; DROP TABLE x"}, "one expression"),
            ({"condition": "colour = 'red'"}, "unknown column"),
            ({"condition": "csat_mean_30d"}, "must be a condition"),
            ({"policy_id": "late-dispatch-points"}, "about sellers"),
            ({"policy_id": "no-such-policy"}, "no policy"),
            ({}, "either a policy_id or a condition"),
            ({"policy_id": "csat-gate", "condition": "backlog < 1"}, "either a policy_id"),
        ]
        for given, words in cases:
            with pytest.raises(ValidationError, match=words):
                gates.add_gate(s, program.id, "g", context=context, actor="t", **given)
        gates.add_gate(s, program.id, "ok", context=context, policy_id="csat-gate", actor="t")
        with pytest.raises(ConflictError, match="already has a gate"):
            gates.add_gate(s, program.id, "ok", context=context, policy_id="csat-gate", actor="t")
