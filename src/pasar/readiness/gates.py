"""Readiness gates: policies over the live metrics of the program's pilot centers, checked by
the policy engine, with their history; and marking a program ready, which a failing gate
refuses unless someone overrides it with a reason (audited).

A gate is either a policy of a pack in the library (``policy_id``, e.g. ``csat-gate`` of
``service-readiness``, so a new pack version applies from its effective date) or a condition
of its own, checked like a policy's ``when`` against the center snapshot plus the readiness
columns of :data:`READINESS_COLUMNS` (e.g. ``sop_ack_rate >= 0.95``). A gate holds for a
center when the policy fires for it; a metric below its minimum volume gives ``no_data``,
which does not pass. A gate passes when it holds for every one of its centers.

Example::

    gate = add_gate(session, program.id, "CSAT", policy_id="csat-gate", catalog=catalog,
                    library=library, actor="user:dewi")
    results = check_gates(session, settings, program.id, day, actor="user:dewi")
    mark_ready(session, settings, program.id, day, actor="user:dewi",
               override_reason="CSAT sample too small; vendor SLA signed")
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot import exp

from pasar.audit.service import audit, snapshot
from pasar.config import Settings
from pasar.governance.recording import record_new
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version
from pasar.metrics.catalog import Catalog
from pasar.metrics.expressions import ExpressionError
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.policy.evaluate import evaluate, evaluate_conditions
from pasar.policy.packs import CompiledPolicy, PolicyLibrary, load_library, snapshot_columns
from pasar.policy.predicate import parse_when
from pasar.policy.spec import Explanation, Outcome, Pack, Policy
from pasar.policy.template import parse_template
from pasar.readiness import repository as repo
from pasar.readiness.documents import center_rates
from pasar.readiness.models import Gate, GateCheck, Program
from pasar.readiness.service import _centers

ENTITY = "center"
READINESS_COLUMNS = {
    "sop_ack_rate": "lowest share of the center's active agents who acknowledged the current "
    "version of each of the program's documents that require the center",
}
# gates people add often: a policy of the shipped service-readiness pack, or a condition
PRESETS: dict[str, dict[str, str]] = {
    "csat": {"policy_id": "csat-gate", "description": "CSAT over 30 days at least 4.5"},
    "first-response": {
        "policy_id": "first-response-gate",
        "description": "90% of contacts answered within 1 hour (7 days)",
    },
    "backlog": {
        "condition": "backlog <= 2 * tickets_7d / 7",
        "description": "Open contacts at most 2 days of volume",
    },
    "sop-ack": {
        "condition": "sop_ack_rate >= 0.95",
        "description": "The program's SOPs acknowledged by at least 95% of agents",
    },
}


@dataclass
class Context:
    """What checking gates reads: the metric catalog and the policy library (loaded once)."""

    settings: Settings
    catalog: Catalog
    library: PolicyLibrary

    @classmethod
    def of(cls, settings: Settings) -> Context:
        catalog = catalog_for(settings)
        return cls(settings, catalog, load_library(catalog, settings.policy_path))

    @property
    def columns(self) -> list[str]:
        return [*snapshot_columns(self.catalog, ENTITY), *READINESS_COLUMNS]


def add_gate(
    session: Session,
    program_id: int,
    name: str,
    *,
    context: Context,
    policy_id: str | None = None,
    condition: str | None = None,
    centers: Sequence[str] = (),
    description: str = "",
    on: dt.date | None = None,
    actor: str,
) -> Gate:
    """A gate of the program: a policy of the library or a condition of its own (exactly
    one), over ``centers`` (the program's pilot centers when none are given)."""
    program = repo.get(session, Program, program_id)
    name = written(name, "name", limit=200)
    if (policy_id is None) == (condition is None):
        raise ValidationError("a gate needs either a policy_id or a condition", field="policy_id")
    if session.scalar(select(Gate.id).where(Gate.program_id == program.id, Gate.name == name)):
        raise ConflictError(f"program {program.name!r} already has a gate {name!r}", field="name")
    gate = Gate(
        program_id=program.id,
        name=name,
        policy_id=policy_id.strip() if policy_id is not None else None,
        condition=written(condition, "condition", limit=4000) if condition is not None else None,
        description=written(description, "description") if description.strip() else "",
        centers=_centers(centers),
        active=True,
        created_by=actor,
    )
    compile_gate(gate, context, on or dt.date.today())  # refuses what cannot be checked
    return record_new(
        session,
        gate,
        "readiness_gate",
        actor=actor,
        action="readiness.gate.added",
        context={"program": program.id},
    )


def update_gate(
    session: Session,
    gate_id: int,
    *,
    context: Context,
    actor: str,
    seen_version: int | None = None,
    condition: str | None = None,
    centers: Sequence[str] | None = None,
    active: bool | None = None,
    on: dt.date | None = None,
) -> Gate:
    """Change a gate's condition or centers, or retire it (``active=False``)."""
    gate = repo.get(session, Gate, gate_id, lock=True)
    if seen_version is not None:
        expect_version(gate, seen_version)
    before = snapshot(gate)
    if condition is not None:
        if gate.policy_id is not None:
            raise ValidationError(
                f"gate {gate.name!r} follows policy {gate.policy_id}: change the policy pack",
                field="condition",
            )
        gate.condition = written(condition, "condition", limit=4000)
    if centers is not None:
        gate.centers = _centers(centers)
    if active is not None:
        gate.active = active
    compile_gate(gate, context, on or dt.date.today())
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.gate.updated",
        entity_type="readiness_gate",
        entity_id=str(gate.id),
        before=before,
        after=snapshot(gate),
    )
    return gate


def compile_gate(gate: Gate, context: Context, day: dt.date) -> CompiledPolicy:
    """The gate as a policy the engine evaluates: the library's policy in force on ``day``,
    or the gate's own condition checked against the center snapshot's columns."""
    if gate.policy_id is not None:
        try:
            compiled = context.library.find_policy(gate.policy_id, day)
        except NotFoundError as exc:
            raise ValidationError(exc.message, field="policy_id") from exc
        if compiled.entity != ENTITY:
            raise ValidationError(
                f"policy {gate.policy_id} is about {compiled.entity}s; a gate checks centers",
                field="policy_id",
            )
        return compiled
    assert gate.condition is not None
    columns = context.columns
    try:
        when = parse_when(gate.condition, columns)
    except ExpressionError as exc:
        raise ValidationError(f"condition: {exc}", field="condition") from exc
    used = sorted({c.name for c in when.find_all(exp.Column)})
    sentence = ", ".join(f"{c} {{{c}}}" for c in used) or "always"
    explain = {lang: parse_template(sentence, columns) for lang in ("en", "id")}
    policy = Policy.model_construct(
        id=f"gate-{gate.id or 0}",
        version=gate.version or 1,
        when=gate.condition,
        outcome=Outcome(kind="gate"),
        explain=Explanation(en=sentence, id=sentence),
        severity="info",
        category="readiness",
        cooldown=None,
    )
    pack = Pack.model_construct(
        pack="readiness-gates",
        version=1,
        region="ID",
        entity=ENTITY,
        effective_from=dt.date(2000, 1, 1),
        effective_to=None,
        policies=[policy],
    )
    return CompiledPolicy(pack, policy, ENTITY, when, None, explain)


# -- checking -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CenterResult:
    """A gate for one center: ``pass``, ``fail`` or ``no_data``, and the values it read."""

    center: str
    result: str
    values: dict[str, Any]
    explanation: str = ""


@dataclass(frozen=True)
class GateResult:
    """A gate as of one day: the condition checked and its result for every center."""

    gate: Gate
    as_of: dt.date
    condition: str
    policy_version: int | None
    centers: list[CenterResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.centers) and all(c.result == "pass" for c in self.centers)

    @property
    def failing(self) -> list[CenterResult]:
        return [c for c in self.centers if c.result != "pass"]

    def summary(self) -> str:
        """``CSAT: Makassar fail (csat_mean_30d 4.21)`` — what a refusal lists."""
        parts = []
        for c in self.failing:
            shown = ", ".join(f"{k} {short_value(v)}" for k, v in c.values.items())
            parts.append(
                f"{c.center} {c.result.replace('_', ' ')}" + (f" ({shown})" if shown else "")
            )
        if not self.centers:
            parts.append("no center to check")
        return f"{self.gate.name}: " + "; ".join(parts)


def short_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return "—" if value is None else str(value)


def centers_of(gate: Gate, program: Program) -> list[str]:
    return list(gate.centers or program.centers)


def check_gates(
    session: Session,
    settings: Settings,
    program_id: int,
    day: dt.date,
    *,
    actor: str,
    context: Context | None = None,
    record: bool = True,
) -> list[GateResult]:
    """Every active gate of the program as of ``day`` over the center snapshot (built when
    missing or stale), stored as the day's checks when ``record``."""
    program = repo.get(session, Program, program_id)
    gates = list(repo.gates_of(session, program.id))
    if not gates:
        return []
    context = context or Context.of(settings)
    compiled = [compile_gate(g, context, day) for g in gates]
    centers = sorted({c for g in gates for c in centers_of(g, program)})
    table = _snapshot(session, context, program, centers, day)
    con = duckdb.connect()
    try:
        # one policy per id: two gates may follow the same pack policy
        unique = list({c.policy.id: c for c in compiled}.values())
        found = evaluate(con, unique, table, day, "center", currency=settings.currency)
        trees = {f"g{i}": c.when for i, c in enumerate(compiled)}
        held = evaluate_conditions(con, table, trees).to_pylist()
    finally:
        con.close()
    passes = {
        (row["policy_id"], row["subject"]): row["explanation_en"] for row in found.to_pylist()
    }
    rows = table.to_pylist()
    results = []
    for i, (gate, policy) in enumerate(zip(gates, compiled, strict=True)):
        wanted = set(centers_of(gate, program))
        outcome = []
        for row, truth in zip(rows, held, strict=True):
            center = row["center"]
            if center not in wanted:
                continue
            values = {name: _plain(row.get(name)) for name in policy.used}
            explanation = passes.get((policy.policy.id, center))
            result = (
                "pass"
                if explanation is not None
                else "no_data"
                if truth[f"g{i}"] is None
                else "fail"
            )
            outcome.append(CenterResult(center, result, values, explanation or ""))
        version = policy.policy.version if gate.policy_id else gate.version
        results.append(GateResult(gate, day, policy.when.sql("duckdb"), version, outcome))
    if record:
        _record(session, results, actor)
    return results


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _snapshot(
    session: Session, context: Context, program: Program, centers: list[str], day: dt.date
) -> pa.Table:
    """One row per center: its metrics as of ``day`` (missing when it had no contacts) and
    the readiness columns."""
    build_snapshots(ENTITY, [day], context.settings, context.catalog)
    stored = read_snapshot(context.settings, ENTITY, day)
    by_center = {row["center"]: row for row in stored.to_pylist()}
    documents = repo.documents(session, program.id)
    rates = center_rates(session, documents, centers)
    names = stored.column_names
    rows = []
    for center in centers:
        row = dict(by_center.get(center) or {n: None for n in names})
        row.update(center=center, as_of=day, sop_ack_rate=rates.get(center))
        rows.append(row)
    schema = stored.schema.append(pa.field("sop_ack_rate", pa.float64()))
    return pa.Table.from_pylist(rows, schema=schema)


def _record(session: Session, results: Sequence[GateResult], actor: str) -> None:
    """Store each result as the day's check (replacing an earlier check of the same day)."""
    for result in results:
        existing = {
            c.center: c
            for c in session.scalars(
                select(GateCheck).where(
                    GateCheck.gate_id == result.gate.id, GateCheck.as_of == result.as_of
                )
            )
        }
        for center in result.centers:
            row = existing.get(center.center) or GateCheck(
                gate_id=result.gate.id, as_of=result.as_of, center=center.center
            )
            row.result, row.values, row.condition = center.result, center.values, result.condition
            row.policy_version, row.checked_by = result.policy_version, actor
            session.add(row)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="readiness.gate.checked",
            entity_type="readiness_gate",
            entity_id=str(result.gate.id),
            context={
                "as_of": result.as_of,
                "passed": result.passed,
                "centers": {c.center: c.result for c in result.centers},
            },
        )


@dataclass(frozen=True)
class GateStatus:
    """A gate's latest stored check (``None`` before its first) and its history by day."""

    gate: Gate
    latest: list[GateCheck]
    history: dict[dt.date, bool]

    @property
    def as_of(self) -> dt.date | None:
        return self.latest[0].as_of if self.latest else None

    @property
    def passed(self) -> bool | None:
        if not self.latest:
            return None
        return all(c.result == "pass" for c in self.latest)


def gate_status(
    session: Session, program_id: int, since: dt.date | None = None
) -> list[GateStatus]:
    """Every active gate of a program with its latest check and pass/fail per day."""
    gates = list(repo.gates_of(session, program_id))
    checks = repo.checks_of(session, [g.id for g in gates], since)
    statuses = []
    for gate in gates:
        mine = [c for c in checks if c.gate_id == gate.id]
        days: dict[dt.date, list[GateCheck]] = {}
        for check in mine:
            days.setdefault(check.as_of, []).append(check)
        history = {d: all(c.result == "pass" for c in cs) for d, cs in sorted(days.items())}
        latest = days[max(days)] if days else []
        statuses.append(GateStatus(gate, latest, history))
    return statuses


# -- ready ----------------------------------------------------------------------------------------


def mark_ready(
    session: Session,
    settings: Settings,
    program_id: int,
    day: dt.date,
    *,
    actor: str,
    override_reason: str | None = None,
    seen_version: int | None = None,
    context: Context | None = None,
) -> tuple[Program, list[GateResult]]:
    """Check every gate as of ``day`` and mark the program ready when all pass. A failing
    gate refuses it (:class:`ConflictError` listing the gates) unless ``override_reason``
    says why it is ready anyway: the override is audited with the failing gates."""
    program = repo.get(session, Program, program_id, lock=True)
    if seen_version is not None:
        expect_version(program, seen_version)
    if program.status != "planning":
        raise ConflictError(f"program {program.name!r} is already {program.status}", field="status")
    reason = written(override_reason, "override_reason") if override_reason is not None else None
    results = check_gates(session, settings, program.id, day, actor=actor, context=context)
    failing = [r for r in results if not r.passed]
    if failing and reason is None:
        raise ConflictError(
            f"program {program.name!r} cannot be marked ready, "
            f"{len(failing)} gate(s) not passing as of {day}: "
            + " | ".join(r.summary() for r in failing)
            + " — give an override reason to mark it ready anyway",
            field="override_reason",
        )
    before = snapshot(program)
    program.status, program.ready_on, program.ready_by = "ready", day, actor
    program.override_reason = reason if failing else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.program.ready_overridden" if failing else "readiness.program.ready",
        entity_type="readiness_program",
        entity_id=str(program.id),
        reason=reason if failing else None,
        before=before,
        after=snapshot(program),
        context={
            "as_of": day,
            "gates": {r.gate.name: r.passed for r in results},
            "failing": [r.summary() for r in failing],
        },
    )
    return program, results
