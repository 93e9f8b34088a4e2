"""What a seller reads about one violation: the rule and its version, the metric values and
threshold, the orders or listings behind it, the points, when they expire, where the seller
stands on the ladder, the next step and its distance, and what to do.

Example::

    text = explain_violation(session, 41, settings, catalog, library, scheme, day)
    text.orders["late_dispatch_rate_7d"]     # ["O0000629968", "O0000629478", …]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.config import Settings
from pasar.governance.ledger import balance, moves_of, peak_by
from pasar.governance.models import PointsEntry
from pasar.governance.scheme import Scheme
from pasar.kit.errors import NotFoundError
from pasar.metrics.catalog import Catalog
from pasar.metrics.compiler import Compiler
from pasar.policy.packs import CompiledPolicy, PolicyLibrary
from pasar.warehouse.store import Warehouse

SHOWN_ROWS = 20


@dataclass
class ViolationExplanation:
    """Everything the seller reads about one violation, in one language."""

    entry: PointsEntry
    policy: CompiledPolicy | None
    explanation: str
    values: dict[str, object]
    orders: dict[str, list[str]] = field(default_factory=dict)  # metric → row ids behind it
    expires: str = ""
    standing: str = ""
    next_step: str = ""
    advice: str = ""
    offset_by: str | None = None


def explain_violation(
    session: Session,
    entry_id: int,
    settings: Settings,
    catalog: Catalog,
    library: PolicyLibrary,
    scheme: Scheme,
    as_of: dt.date,
    language: str = "en",
) -> ViolationExplanation:
    """The explanation of violation ``entry_id`` as of ``as_of``."""
    entry = session.get(PointsEntry, entry_id)
    if entry is None or entry.kind != "issue":
        raise NotFoundError(f"no violation {entry_id}")
    compiled = _policy(library, entry)
    text = entry.explanation_id if language == "id" else entry.explanation_en
    result = ViolationExplanation(entry, compiled, text or "", dict(entry.values or {}))
    if compiled is not None:
        result.orders = _rows_behind(compiled, entry, settings, catalog)
        advice = compiled.policy.advice
        if advice is not None:
            result.advice = advice.id if language == "id" else advice.en
    offset = session.scalar(select(PointsEntry).where(PointsEntry.offsets_id == entry.id))
    if offset is not None:
        result.offset_by = f"{offset.kind} on {offset.effective_on}"
    result.expires = _expiry(session, scheme, entry, offset, language)
    points = balance(session, entry.seller_id, as_of)
    result.standing = scheme.standing(points, language)
    step = scheme.next_step(points)
    if step is None:
        result.next_step = "—"
    else:
        away = step.at - points
        unit = "poin lagi" if language == "id" else "points away"
        where = scheme.threshold(step, language)
        result.next_step = f"{where}: {step.describe(language)} ({away} {unit})"
    return result


def _policy(library: PolicyLibrary, entry: PointsEntry) -> CompiledPolicy | None:
    if not entry.pack or "@" not in entry.pack:
        return None
    name, _, version = entry.pack.partition("@")
    try:
        pack = library.version(name, int(version))
    except (NotFoundError, ValueError):
        return None  # the pack is no longer installed: the stored explanation still stands
    return next((c for c in library.policies(pack) if c.policy.id == entry.policy_id), None)


def _rows_behind(
    compiled: CompiledPolicy, entry: PointsEntry, settings: Settings, catalog: Catalog
) -> dict[str, list[str]]:
    """For each metric the policy's condition reads, the ids of the rows it counted."""
    compiler = Compiler(catalog, "duckdb", settings.timezone)
    con = Warehouse(settings.warehouse_dir).connect()
    found: dict[str, list[str]] = {}
    for name in compiled.used:
        metric = catalog.metrics.get(name)
        if metric is None or compiled.entity not in metric.entities:
            continue
        if metric.type not in ("ratio", "simple") or metric.percentile is not None:
            continue
        select_rows = compiler.rows(
            name, compiled.entity, entry.seller_id, entry.effective_on, SHOWN_ROWS
        )
        rows = con.execute(select_rows.sql("duckdb")).fetchall()
        found[name] = ["/".join(str(v) for v in row[:-1]) for row in rows]
    return found


def _expiry(
    session: Session,
    scheme: Scheme,
    entry: PointsEntry,
    offset: PointsEntry | None,
    language: str,
) -> str:
    if offset is not None:
        return f"{offset.kind} {offset.effective_on}"
    terminal, expires = scheme.terminal_points, entry.expires_on
    if (
        terminal is not None
        and expires is not None
        and peak_by(moves_of(session, entry.seller_id), expires) >= terminal
    ):
        if language == "id":
            return "tidak kedaluwarsa (level akhir tercapai)"
        return "does not expire (terminal level reached)"
    return str(expires or "—")
