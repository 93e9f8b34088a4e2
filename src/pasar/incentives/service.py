"""Programs and enrolments in the operational store. Services never commit; every change is
audited.

* A program is stored as its YAML text, checked by the program loader on every save (a
  template copied under a new name, or text edited by hand) with optimistic versioning.
* Enrolment takes the shops that meet the program's eligibility on a day — its condition
  evaluated by the policy engine over the merchant snapshot of that day, and its segment tiers
  and stages — freezes each shop's segment and the values its eligibility read, and draws the
  holdout within each stratum.

Example::

    ctx = Context.of(settings)
    row = create_from_template(session, ctx, "tiered-attainment", "oct-attainment", "user:mira")
    report = enrol(session, ctx, "oct-attainment", dt.date(2026, 10, 1), "user:mira")
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlglot import exp

from pasar.audit.service import audit
from pasar.config import Settings
from pasar.incentives.measurement import assign_holdout
from pasar.incentives.models import PROGRAM_STATUSES, Enrolment, IncentiveProgram
from pasar.incentives.programs import CompiledProgram, ProgramLibrary, check_program, load_templates
from pasar.incentives.segmentation import Segments, load_rules, segment
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.issues import did_you_mean
from pasar.kit.versioning import expect_version
from pasar.metrics.catalog import Catalog
from pasar.metrics.expressions import columns_of
from pasar.metrics.query import catalog_for, latest_day
from pasar.metrics.snapshots import build_snapshots, snapshot_path
from pasar.policy.evaluate import evaluate_conditions
from pasar.policy.packs import PolicyLibrary, load_library
from pasar.warehouse.store import Warehouse

_PROGRAM_LINE = re.compile(r"^program:[^\n]*$", re.M)


@dataclass
class Context:
    """What the incentive services read: settings, the metric catalog, the policy library
    and the program templates (loaded once)."""

    settings: Settings
    catalog: Catalog
    policies: PolicyLibrary

    @classmethod
    def of(cls, settings: Settings) -> Context:
        catalog = catalog_for(settings)
        return cls(settings, catalog, load_library(catalog, settings.policy_path))

    @cached_property
    def templates(self) -> ProgramLibrary:
        return load_templates(self.catalog, self.policies)

    @property
    def warehouse(self) -> Warehouse:
        return Warehouse(self.settings.warehouse_dir)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A connection over the warehouse's committed version."""
        return self.warehouse.connect()

    def last_day(self, con: duckdb.DuckDBPyConnection) -> dt.date:
        """The last local day with orders in the warehouse."""
        return latest_day(con, self.settings.timezone)

    def check(self, source: str, name: str) -> CompiledProgram:
        return check_program(source, name, self.catalog, self.policies)


_CONTEXTS: dict[int, tuple[Settings, Context]] = {}


def context_for(settings: Settings) -> Context:
    """The context of ``settings``, loaded once per settings object (the catalog and policy
    library are read when a server starts, as the console's other pages read them)."""
    kept = _CONTEXTS.get(id(settings))
    if kept is not None and kept[0] is settings:
        return kept[1]
    ctx = Context.of(settings)
    if len(_CONTEXTS) > 16:
        _CONTEXTS.clear()
    _CONTEXTS[id(settings)] = (settings, ctx)
    return ctx


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- programs ---------------------------------------------------------------------------------


def get_program(session: Session, key: str) -> IncentiveProgram:
    """The stored program ``key``; :class:`NotFoundError` naming the known ones."""
    row = session.scalar(select(IncentiveProgram).where(IncentiveProgram.key == key))
    if row is None:
        known = list(session.scalars(select(IncentiveProgram.key)))
        raise NotFoundError(f"no program {key!r}{did_you_mean(key, known)}")
    return row


def compiled_of(ctx: Context, row: IncentiveProgram) -> CompiledProgram:
    """The stored program checked again (the catalog or policies may have changed since)."""
    return ctx.check(row.source, f"program {row.key}")


def list_programs(session: Session) -> list[IncentiveProgram]:
    return list(session.scalars(select(IncentiveProgram).order_by(IncentiveProgram.key)))


def create_program(
    session: Session, ctx: Context, source: str, actor: str, template: str | None = None
) -> IncentiveProgram:
    """Store a new program from its YAML ``source`` (checked; its ``program`` name must be
    new), as a draft."""
    compiled = ctx.check(source, "the new program")
    key = compiled.key
    if session.scalar(select(IncentiveProgram.id).where(IncentiveProgram.key == key)):
        raise ConflictError(f"a program {key!r} exists already: edit it or choose another name")
    now_row = IncentiveProgram(
        key=key,
        name=compiled.program.name,
        template=template or compiled.program.template,
        status="draft",
        source=source,
        digest=digest(source),
        created_by=actor,
        updated_by=actor,
    )
    session.add(now_row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incentive.program_created",
        entity_type="incentive_program",
        entity_id=key,
        context={
            "template": now_row.template,
            "digest": now_row.digest,
            "ref": compiled.program.ref,
        },
    )
    return now_row


def create_from_template(
    session: Session, ctx: Context, template: str, key: str, actor: str
) -> IncentiveProgram:
    """A new draft program ``key`` copied from a shipped template (its text kept, comments
    included, with only the ``program:`` line renamed)."""
    found = ctx.templates.template(template)
    source = _PROGRAM_LINE.sub(f"program: {key}", found.source, count=1)
    return create_program(session, ctx, source, actor, template=template)


def update_program(
    session: Session, ctx: Context, key: str, source: str, seen_version: int, actor: str
) -> IncentiveProgram:
    """Save new YAML for program ``key`` (checked; it must keep its name) if nobody saved
    since version ``seen_version`` (:class:`ConflictError` otherwise). A program that has paid
    must change its ``version`` field so that runs keep telling versions apart."""
    row = get_program(session, key)
    expect_version(row, seen_version)
    if row.status == "closed":
        raise ValidationError(f"program {key} is closed: copy it to a new program", field="status")
    compiled = ctx.check(source, f"program {key}")
    if compiled.key != key:
        raise ValidationError(
            f"the program is named {compiled.key!r} in the text but is {key!r}: keep its name",
            field="source",
        )
    before = {"digest": row.digest, "ref": ctx.check(row.source, key).program.ref}
    if compiled.program.ref == before["ref"] and _has_runs(session, row.id):
        raise ValidationError(
            f"{compiled.program.ref} has paid already: raise its version to change it",
            field="source",
        )
    row.source, row.digest, row.name = source, digest(source), compiled.program.name
    row.updated_by, row.updated_at = actor, now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incentive.program_edited",
        entity_type="incentive_program",
        entity_id=key,
        before=before,
        after={"digest": row.digest, "ref": compiled.program.ref},
    )
    return row


def set_status(
    session: Session, key: str, status: str, seen_version: int, actor: str
) -> IncentiveProgram:
    """Make a program ``active`` (it enrols and pays), ``closed`` (no more) or back to
    ``draft``."""
    if status not in PROGRAM_STATUSES:
        raise ValidationError(
            f"status {status!r}: use {', '.join(PROGRAM_STATUSES)}", field="status"
        )
    row = get_program(session, key)
    expect_version(row, seen_version)
    if row.status == "closed" and status != "closed":
        raise ValidationError(f"program {key} is closed for good", field="status")
    before = row.status
    row.status, row.updated_by, row.updated_at = status, actor, now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="incentive.program_status",
        entity_type="incentive_program",
        entity_id=key,
        before={"status": before},
        after={"status": status},
    )
    return row


def _has_runs(session: Session, program_id: int) -> bool:
    from .models import PayoutRun

    return bool(session.scalar(select(func.count()).where(PayoutRun.program_id == program_id)))


# -- eligibility and enrolment ---------------------------------------------------------------


@dataclass(frozen=True)
class Eligible:
    """Who meets a program's eligibility on a day: ``eligible`` per seller of the merchant
    snapshot, and the snapshot values its condition read."""

    day: dt.date
    eligible: dict[str, bool]
    values: dict[str, dict[str, Any]]


def eligibility_on(
    ctx: Context, con: duckdb.DuckDBPyConnection, compiled: CompiledProgram, day: dt.date
) -> Eligible:
    """The program's eligibility condition evaluated by the policy engine over the merchant
    snapshot as of ``day`` (built if missing): a shop whose condition is NULL (a metric below
    its minimum volume) is not eligible. Without a condition every shop is."""
    build_snapshots("merchant", [day], ctx.settings, ctx.catalog, con)
    path = snapshot_path(ctx.settings.snapshots_dir, "merchant", day).as_posix()
    tree = _condition(ctx, compiled, day)
    trees: dict[str, exp.Expr] = {"seller_id": exp.column("seller_id")}
    used = sorted(columns_of(tree)) if tree is not None else []
    for name in used:
        trees[f"v:{name}"] = exp.column(name)
    if tree is not None:
        trees["eligible"] = tree
    table = evaluate_conditions(con, path, trees)
    eligible: dict[str, bool] = {}
    values: dict[str, dict[str, Any]] = {}
    for row in table.to_pylist():
        seller = str(row["seller_id"])
        eligible[seller] = bool(row.get("eligible", True))
        values[seller] = {name: _json(row[f"v:{name}"]) for name in used}
    return Eligible(day, eligible, values)


def _condition(ctx: Context, compiled: CompiledProgram, day: dt.date) -> exp.Expr | None:
    if compiled.policy is not None:
        return ctx.policies.find_policy(compiled.policy, day).when
    return compiled.eligibility


def _json(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return float(value) if hasattr(value, "__float__") else str(value)


def candidates(
    ctx: Context,
    con: duckdb.DuckDBPyConnection,
    compiled: CompiledProgram,
    day: dt.date,
    sellers: Sequence[str] | None = None,
) -> tuple[Segments, Eligible, list[dict[str, Any]]]:
    """The shops eligible for the program on ``day`` (among ``sellers`` when given): its
    condition over the merchant snapshot, then its tiers and stages; with every shop's segment
    and the eligibility values."""
    program = compiled.program
    segments = segment(con, ctx.settings, ctx.catalog, day, load_rules())
    found = eligibility_on(ctx, con, compiled, day)
    wanted = set(sellers) if sellers is not None else None
    chosen = []
    for shop in segments.table.to_pylist():
        seller = shop["seller_id"]
        if wanted is not None and seller not in wanted:
            continue
        if not found.eligible.get(seller, False):
            continue
        if program.eligibility.tiers and shop["tier"] not in program.eligibility.tiers:
            continue
        if program.eligibility.stages and shop["stage"] not in program.eligibility.stages:
            continue
        chosen.append(shop)
    return segments, found, chosen


@dataclass(frozen=True)
class EnrolmentReport:
    """What one enrolment did."""

    program: str
    day: dt.date
    considered: int
    eligible: int
    already: int
    enrolled: int
    holdout: int
    by_tier: dict[str, int]


def enrol(
    session: Session,
    ctx: Context,
    key: str,
    day: dt.date,
    actor: str,
    con: duckdb.DuckDBPyConnection | None = None,
    sellers: Sequence[str] | None = None,
) -> EnrolmentReport:
    """Enrol every shop eligible on ``day`` (or those of ``sellers`` that are) that is not
    enrolled yet: segment frozen, eligibility values kept, holdout drawn per stratum."""
    row = get_program(session, key)
    if row.status == "closed":
        raise ValidationError(f"program {key} is closed", field="status")
    compiled = compiled_of(ctx, row)
    program = compiled.program
    if program.period.end is not None and day > program.period.end:
        raise ValidationError(f"program {key} ended on {program.period.end}", field="day")
    con = con or ctx.connect()
    last = ctx.last_day(con)
    if day > last:
        raise ValidationError(
            f"the warehouse holds data up to {last}: enrol on that day or earlier", field="day"
        )
    segments, found, chosen = candidates(ctx, con, compiled, day, sellers)
    wanted = set(sellers) if sellers is not None else None
    already = set(
        session.scalars(select(Enrolment.seller_id).where(Enrolment.program_id == row.id))
    )
    considered = segments.table.num_rows if wanted is None else len(wanted)
    new = [shop for shop in chosen if shop["seller_id"] not in already]
    strata = [_stratum(program.holdout.stratify if program.holdout else "tier", s) for s in new]
    arms = (
        assign_holdout(
            [s["seller_id"] for s in new],
            strata,
            program.holdout.share,
            program.holdout.seed,
            program.program,
        )
        if program.holdout
        else ["treatment"] * len(new)
    )
    by_tier: dict[str, int] = {}
    for shop, stratum, arm in zip(new, strata, arms, strict=True):
        session.add(
            Enrolment(
                program_id=row.id,
                seller_id=shop["seller_id"],
                enrolled_on=day,
                category=shop["category"],
                tier=shop["tier"],
                stage=shop["stage"],
                trailing_gmv=float(shop["trailing_gmv"]),
                arm=arm,
                stratum=stratum,
                segment=_segment_values(shop),
                eligibility=found.values.get(shop["seller_id"], {}),
                program_digest=row.digest,
                enrolled_by=actor,
            )
        )
        by_tier[shop["tier"]] = by_tier.get(shop["tier"], 0) + 1
    session.flush()
    held = arms.count("holdout")
    report = EnrolmentReport(
        key, day, considered, len(chosen), len(chosen) - len(new), len(new), held, by_tier
    )
    audit.record(
        session,
        actor=actor,
        action="incentive.enrolled",
        entity_type="incentive_program",
        entity_id=key,
        context={
            "day": day,
            "eligible": report.eligible,
            "enrolled": report.enrolled,
            "holdout": held,
            "by_tier": by_tier,
            "sellers": [s["seller_id"] for s in new][:1000],
        },
    )
    return report


def _stratum(stratify: str, shop: dict[str, Any]) -> str:
    return shop["tier"] if stratify == "tier" else f"{shop['tier']}/{shop['stage']}"


def _segment_values(shop: dict[str, Any]) -> dict[str, Any]:
    return {k: _json(v) for k, v in shop.items() if k not in ("seller_id",)}


def enrolments_of(session: Session, program_id: int) -> list[Enrolment]:
    return list(
        session.scalars(
            select(Enrolment)
            .where(Enrolment.program_id == program_id)
            .order_by(Enrolment.seller_id)
        )
    )


def segments_on(
    ctx: Context, day: dt.date, con: duckdb.DuckDBPyConnection | None = None
) -> Segments:
    """Every shop's segment as of ``day`` (the merchant snapshot built if missing)."""
    return segment(con or ctx.connect(), ctx.settings, ctx.catalog, day, load_rules())
