"""Who may request a free sample: the ``creator-samples`` policy pack evaluated by the policy
engine over a creator's standing on the day of the request.

A creator's *standing* is its row of the latest creator snapshot on or before the day
(followers, orders, GMV …) plus what only the operational store knows: its sample fulfilment
over the last 90 days and its Creator Level for the month (L0–L8, from the previous month's GMV
and active days, as creator analytics computes it). The pack's policies
are ``eligibility`` outcomes; the creator is eligible when every policy in force fires. Each
policy's explanation is rendered for passed and failed checks alike, so a refusal says why.

The pack ships in ``pasar/creators/policies`` (see the comment at its top) and more versions
can be added there; the version in force on the day is used.

Example::

    policies = SamplePolicies.load(catalog_for(settings))
    standing = standing_of(session, settings, "C000001", day)
    verdict = policies.evaluate(standing, day)
    verdict.eligible, verdict.refusals("en")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlglot import exp

from pasar.config import Settings
from pasar.creators import sample_rules
from pasar.creators.analytics import creator_levels
from pasar.creators.collaboration_models import SampleRequest
from pasar.creators.days import month_of, start_of
from pasar.kit.issues import Issues, IssuesError
from pasar.metrics.catalog import Catalog, load_catalog
from pasar.metrics.expressions import ExpressionError
from pasar.metrics.snapshots import snapshot_path
from pasar.policy.evaluate import evaluate, evaluate_conditions
from pasar.policy.packs import LANGUAGES, CompiledPolicy, read_pack, snapshot_columns
from pasar.policy.predicate import parse_amount, parse_when
from pasar.policy.spec import Pack
from pasar.policy.template import Part, parse_template, render_sql
from pasar.warehouse.store import MANIFEST, Warehouse

POLICY_DIR = Path(__file__).parent / "policies"
ENTITY = "creator"
KEY = "creator_id"
# columns the pack may read besides the creator snapshot's, computed per request
OPERATIONAL: dict[str, pa.DataType] = {
    "sample_fulfilment_rate_90d": pa.float64(),
    "samples_due_90d": pa.int64(),
    "samples_on_time_90d": pa.int64(),
    "creator_level": pa.int64(),
}


@dataclass(frozen=True)
class Standing:
    """What eligibility and caps are judged on, for one creator on one day."""

    creator_id: str
    as_of: dt.date | None  # the snapshot read (None: no snapshot on or before the day)
    row: pa.Table | None  # that snapshot's row of the creator (None when absent)
    level: int  # the Creator Level of the month (0–8)
    level_month: dt.date | None  # the month it holds for (None: no warehouse to read it from)
    samples_due: int
    samples_on_time: int

    @property
    def fulfilment_rate(self) -> float | None:
        return self.samples_on_time / self.samples_due if self.samples_due else None

    def operational(self) -> dict[str, Any]:
        return {
            "sample_fulfilment_rate_90d": self.fulfilment_rate,
            "samples_due_90d": self.samples_due,
            "samples_on_time_90d": self.samples_on_time,
            "creator_level": self.level,
        }


@dataclass(frozen=True)
class Check:
    """One policy of the pack for one creator: passed or not, and its sentence."""

    policy_id: str
    passed: bool
    explanation: dict[str, str]


@dataclass(frozen=True)
class Eligibility:
    """The verdict of the pack in force on ``day`` for one creator."""

    creator_id: str
    day: dt.date
    pack: str | None  # name@version, None when no version is in force
    as_of: dt.date | None
    checks: list[Check]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def eligible(self) -> bool:
        return all(c.passed for c in self.checks)

    def refusals(self, lang: str = "en") -> list[str]:
        """The sentences of the checks that failed."""
        return [c.explanation.get(lang, c.explanation["en"]) for c in self.checks if not c.passed]

    def to_json(self) -> dict[str, Any]:
        """What a sample request keeps of the verdict it was made under."""
        return {
            "pack": self.pack,
            "day": self.day.isoformat(),
            "snapshot_as_of": self.as_of.isoformat() if self.as_of else None,
            "eligible": self.eligible,
            "checks": [
                {"policy": c.policy_id, "passed": c.passed, **c.explanation} for c in self.checks
            ],
            "values": {k: _plain(v) for k, v in self.values.items()},
        }


class SamplePolicies:
    """The checked versions of the sample eligibility pack."""

    def __init__(self, packs: list[tuple[Pack, list[CompiledPolicy]]]) -> None:
        self.packs = sorted(packs, key=lambda p: p[0].effective_from)
        # an in-memory DuckDB whose cursors (cheap, one per evaluation, thread-safe to open)
        # evaluate the one-row tables
        self._duckdb = duckdb.connect()

    @classmethod
    def load(cls, catalog: Catalog, directory: Path = POLICY_DIR) -> SamplePolicies:
        """Every pack file of ``directory`` compiled against the creator snapshot's columns
        plus :data:`OPERATIONAL`; :class:`IssuesError` lists every problem with file:line."""
        issues = Issues()
        columns = [*snapshot_columns(catalog, ENTITY), *OPERATIONAL]
        packs = []
        for path in sorted(directory.glob("*.y*ml")):
            pack = read_pack(path, issues)
            if pack is None:
                continue
            compiled = _compile(pack, columns, issues)
            if compiled is not None:
                packs.append((pack, compiled))
        if not packs and not issues:
            issues.add(str(directory), 0, "no sample eligibility pack found")
        if issues:
            raise IssuesError("the sample eligibility pack has problems", issues)
        return cls(packs)

    def in_force(self, day: dt.date) -> tuple[Pack, list[CompiledPolicy]] | None:
        found = [(p, c) for p, c in self.packs if p.in_force(day)]
        return found[-1] if found else None

    def evaluate(self, standing: Standing, day: dt.date, currency: str = "IDR") -> Eligibility:
        """The verdict on ``standing`` by the pack version in force on ``day`` (no version in
        force: no rule applies, the creator is eligible)."""
        chosen = self.in_force(day)
        if chosen is None:
            return Eligibility(standing.creator_id, day, None, standing.as_of, [])
        pack, compiled = chosen
        policies = [c for c in compiled if c.policy.in_force(day)]
        table = _subject(standing, policies)
        con = self._duckdb.cursor()
        try:
            fired = evaluate(con, policies, table, day, KEY, currency=currency)
            passed = set(fired["policy_id"].to_pylist())
            trees: dict[str, exp.Expr] = {}
            for i, c in enumerate(policies):
                for language in LANGUAGES:
                    trees[f"{i}_{language}"] = render_sql(c.explain[language], language, currency)
            rendered = evaluate_conditions(con, table, trees).to_pylist()[0]
        finally:
            con.close()
        checks = [
            Check(
                c.policy.id,
                c.policy.id in passed,
                {language: rendered[f"{i}_{language}"] for language in LANGUAGES},
            )
            for i, c in enumerate(policies)
        ]
        row = table.to_pylist()[0]
        values = {name: row[name] for c in policies for name in c.used if name in row}
        return Eligibility(standing.creator_id, day, pack.ref, standing.as_of, checks, values)


def standing_of(
    session: Session,
    settings: Settings,
    creator_id: str,
    day: dt.date,
    moment: dt.datetime | None = None,
) -> Standing:
    """A creator's standing on ``day``: its latest creator snapshot row on or before the day,
    its Creator Level for the month of ``day`` (from the warehouse; the lowest level when there
    is none) and its sample fulfilment as of ``moment`` (the end of the day by default)."""
    as_of = _latest(snapshot_days(settings), day)
    row = _row(settings, creator_id, as_of) if as_of else None
    level, month = creator_level(settings, creator_id, day)
    moment = moment or start_of(day + dt.timedelta(days=1))
    due, on_time = fulfilment(session, creator_id, moment)
    return Standing(
        creator_id=creator_id,
        as_of=as_of if row is not None else None,
        row=row,
        level=level,
        level_month=month,
        samples_due=due,
        samples_on_time=on_time,
    )


def creator_level(settings: Settings, creator_id: str, day: dt.date) -> tuple[int, dt.date | None]:
    """The creator's Creator Level for the month of ``day`` and that month — the level creator
    analytics shows (:func:`pasar.creators.analytics.creator_levels`, from the previous month's
    GMV and active days); ``(0, None)`` without a warehouse."""
    warehouse = Warehouse(settings.warehouse_dir)
    if not (warehouse.root / MANIFEST).exists():
        return 0, None
    month = month_of(day)
    levels = _month_levels(str(warehouse.root), warehouse.manifest().version, month)
    return int(levels.get(creator_id, "L0").removeprefix("L")), month


@lru_cache(maxsize=16)
def _month_levels(root: str, version: int, month: dt.date) -> dict[str, str]:
    """Every creator's level of ``month``, read once per warehouse version and month."""
    con = Warehouse(Path(root)).connect()
    try:
        return creator_levels(con, month)
    finally:
        con.close()


def fulfilment(session: Session, creator_id: str, moment: dt.datetime) -> tuple[int, int]:
    """(due, on time): samples delivered to the creator in the 90 days before ``moment`` whose
    content was owed by then (posted, or past the deadline), and those posted on time."""
    since = moment - dt.timedelta(days=sample_rules.FULFILMENT_DAYS)
    rows = session.execute(
        select(SampleRequest.status, SampleRequest.content_due_at, SampleRequest.posted_late).where(
            SampleRequest.creator_id == creator_id,
            SampleRequest.delivered_at >= since,
            SampleRequest.delivered_at < moment,
            SampleRequest.status.in_(("delivered", "posted")),
        )
    ).all()
    due = on_time = 0
    for status, content_due_at, late in rows:
        if status == "posted":
            due += 1
            on_time += 0 if late else 1
        elif content_due_at is not None and content_due_at < moment:
            due += 1
    return due, on_time


def snapshot_days(settings: Settings) -> list[dt.date]:
    """The days with a stored creator snapshot, oldest first."""
    root = settings.snapshots_dir / ENTITY
    if not root.is_dir():
        return []
    days = []
    for folder in root.glob("as_of=*"):
        try:
            day = dt.date.fromisoformat(folder.name.removeprefix("as_of="))
        except ValueError:
            continue
        if snapshot_path(settings.snapshots_dir, ENTITY, day).exists():
            days.append(day)
    return sorted(days)


def _latest(days: Sequence[dt.date], day: dt.date) -> dt.date | None:
    before = [d for d in days if d <= day]
    return before[-1] if before else None


def _row(settings: Settings, creator_id: str, as_of: dt.date | None) -> pa.Table | None:
    if as_of is None:
        return None
    path = snapshot_path(settings.snapshots_dir, ENTITY, as_of)
    table = pq.read_table(path, filters=[(KEY, "=", creator_id)])
    return table.slice(0, 1) if table.num_rows else None


def _subject(standing: Standing, policies: Sequence[CompiledPolicy]) -> pa.Table:
    """The one-row table the policies are evaluated on: the creator's snapshot columns they
    read (NULL when unknown) and the operational columns."""
    names: list[str] = []
    for c in policies:
        names += [n for n in c.used if n not in names and n != KEY]
    columns: dict[str, pa.Array] = {KEY: pa.array([standing.creator_id], pa.string())}
    operational = standing.operational()
    for name in names:
        if name in OPERATIONAL:
            columns[name] = pa.array([operational[name]], OPERATIONAL[name])
        elif standing.row is not None and name in standing.row.column_names:
            columns[name] = standing.row[name].combine_chunks()
        else:
            columns[name] = pa.nulls(1, pa.float64())
    return pa.table(columns)


def _compile(pack: Pack, columns: list[str], issues: Issues) -> list[CompiledPolicy] | None:
    """The pack's policies with their checked trees (what the policy library does for shipped
    packs, over the wider column set)."""
    assert pack.origin is not None
    file = pack.origin.file
    if pack.entity != ENTITY:
        issues.add(file, pack.origin.line_of("entity"), f"the pack's entity must be {ENTITY}")
        return None
    compiled = []
    for policy in pack.policies:
        assert policy.origin is not None
        label = f"policy {policy.id}"
        if policy.outcome.kind != "eligibility" or policy.entity not in (None, ENTITY):
            issues.add(file, policy.origin.line_of("outcome"), f"{label}: must be an eligibility")
            continue
        try:
            when = parse_when(policy.when, columns)
        except ExpressionError as exc:
            issues.add(file, policy.origin.line_of("when"), f"{label}: {exc}")
            continue
        amount = None
        templates: dict[str, list[Part]] = {}
        try:
            if policy.outcome.amount:
                amount = parse_amount(policy.outcome.amount, columns)
            for language in LANGUAGES:
                text = getattr(policy.explain, language)
                templates[language] = parse_template(text, columns, f"explain.{language}")
        except ExpressionError as exc:
            issues.add(file, policy.origin.line_of("explain"), f"{label}: {exc}")
            continue
        compiled.append(CompiledPolicy(pack, policy, ENTITY, when, amount, templates))
    return compiled if len(compiled) == len(pack.policies) else None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@lru_cache(maxsize=8)
def _loaded(catalog_path: str) -> SamplePolicies:
    return SamplePolicies.load(load_catalog(catalog_path))


def policies_for(settings: Settings) -> SamplePolicies:
    """The sample policies checked against the catalog of ``settings`` (read once)."""
    return _loaded(settings.catalog_path)
