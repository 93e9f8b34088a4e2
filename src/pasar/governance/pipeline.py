"""The daily governance pipeline: snapshot → policy pack → points ledger → ladder actions.

One day is one transaction: it commits whole or not at all, so a run killed at any point and
run again ends exactly as an uninterrupted run. Every row carries a unique ``dedupe_key``, so
running a day twice writes nothing the second time. Days run in date order (a backfill runs
``--from`` … ``--to``).

For each day, in order:

1. points that reach their expiry date leave the balance (an ``expiry`` entry), unless the
   seller's balance reached the scheme's terminal level on or before that date;
2. on a calendar reset day (quarterly schemes) every open issue is cleared (``reset``);
3. findings of the pack in force become ``issue`` entries (the top of a point range when the
   same policy hit the seller within the repeat window) and policy actions (order caps …);
4. for every seller whose balance moved, the ladder: each step crossed upwards starts its
   action (or queues it for a person: permanent suspension, or a seller above the GMV
   threshold); a warning when the balance comes within the margin of a step; open-ended
   actions end when the balance falls back below their step.

Every entry and action is audited with the scheme and pack versions that produced it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.config import Settings
from pasar.governance.ledger import Move, balances, peak_by
from pasar.governance.linked import flag_banned_owners, warehouse_owners
from pasar.governance.models import EnforcementAction, GovernanceRun, PointsEntry
from pasar.governance.scheme import Scheme, Step, load_schemes, scheme_on
from pasar.kit.db import Database
from pasar.kit.money import format_money
from pasar.metrics.catalog import Catalog
from pasar.metrics.snapshots import build_snapshots, read_snapshot
from pasar.policy.findings import findings_on
from pasar.policy.packs import PolicyLibrary
from pasar.policy.packs import select as select_pack
from pasar.warehouse.store import Warehouse

ACTOR = "pipeline"


@dataclass
class DayReport:
    """What one pipeline day did."""

    day: dt.date
    scheme: str
    pack: str
    findings: int = 0
    issued: int = 0
    points_issued: int = 0
    expired: int = 0
    resets: int = 0
    actions: int = 0
    warnings: int = 0
    queued: int = 0
    ended: int = 0
    sellers_hit: set[str] = field(default_factory=set)


def run_days(
    db: Database,
    settings: Settings,
    catalog: Catalog,
    library: PolicyLibrary,
    scheme_name: str,
    days: Sequence[dt.date],
    schemes: list[Scheme] | None = None,
    engine: str = "duckdb",
) -> list[DayReport]:
    """Run the pipeline for each of ``days`` in date order (each day one transaction).

    ``engine`` computes the seller snapshots: ``duckdb`` or ``spark`` (the same snapshots, so
    the same ledger, actions and report).
    """
    schemes = schemes if schemes is not None else load_schemes(settings.governance_path)
    build_snapshots("seller", sorted(days), settings, catalog, engine=engine)
    return [
        run_day(db, settings, catalog, library, scheme_on(schemes, scheme_name, day), day, engine)
        for day in sorted(days)
    ]


def run_day(
    db: Database,
    settings: Settings,
    catalog: Catalog,
    library: PolicyLibrary,
    scheme: Scheme,
    day: dt.date,
    engine: str = "duckdb",
) -> DayReport:
    """One pipeline day under ``scheme`` (see the module docstring); ``engine`` computes the
    day's seller snapshot when it is not current."""
    selection = select_pack(library, scheme.pack)
    pack = selection.on(day)
    policies = [c for c in selection.policies_on(day) if c.entity == "seller"]
    report = DayReport(day, scheme.ref, pack.ref if pack else "—")
    build_snapshots("seller", [day], settings, catalog, engine=engine)
    longest = max((c.policy.cooldown_days for c in policies), default=0)
    with db.unit_of_work() as session:
        history = _cooldown_history(session, day, longest)
        findings = findings_on(policies, day, settings, catalog, history, build=False)
        # only sellers with findings can start an action (expiries and resets only lower)
        wanted = set(findings["subject"].to_pylist()) if scheme.human_review_gmv_30d else set()
        gmv = _gmv_30d(settings, day, wanted) if wanted else {}
        apply_day(session, scheme, day, findings, gmv, report)
        owners = warehouse_owners(Warehouse(settings.warehouse_dir))
        flagged = flag_banned_owners(session, scheme, owners, day, ACTOR)
        report.queued += len(flagged)
    return report


def apply_day(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    findings: pa.Table,
    gmv: dict[str, float],
    report: DayReport,
) -> DayReport:
    """Steps 1–4 of the module docstring for one day's ``findings`` (the evaluation's table),
    in the caller's transaction; ``gmv``: sellers' 30-day GMV for the review threshold."""
    report.findings = findings.num_rows
    # balances before this run: entries written now may be dated earlier (a catch-up expiry
    # or reset after a day that did not run), so the day before would already count them
    before = balances(session, day)
    touched = _expire(session, scheme, day, report)
    touched |= _reset(session, scheme, day, report)
    touched |= _issue(session, scheme, day, findings, report)
    _policy_actions(session, scheme, day, findings, gmv, report)
    session.flush()
    _ladder(session, scheme, day, touched, before, gmv, report)
    key = f"run:{scheme.scheme}:{day.isoformat()}"
    if session.scalar(select(GovernanceRun.id).where(GovernanceRun.dedupe_key == key)) is None:
        session.add(
            GovernanceRun(
                dedupe_key=key,
                day=day,
                scheme=scheme.ref,
                pack=report.pack,
                findings=report.findings,
                entries=report.issued + report.expired + report.resets,
                actions=report.actions + report.warnings,
            )
        )
    return report


def latest_run_day(session: Session) -> dt.date | None:
    """The last day the pipeline completed: what "now" means for standings (a later date
    would count points whose expiry no run has written yet)."""
    return session.scalar(select(func.max(GovernanceRun.day)))


# --- inputs ---------------------------------------------------------------------------------


def _gmv_30d(settings: Settings, day: dt.date, sellers: set[str]) -> dict[str, float]:
    """The 30-day GMV of ``sellers`` in the day's snapshot."""
    table = read_snapshot(settings, "seller", day).select(["seller_id", "gmv_30d"])
    table = table.filter(pc.is_in(table["seller_id"], pa.array(sorted(sellers), pa.string())))
    values = pc.cast(table["gmv_30d"], pa.float64()).fill_null(0.0).to_pylist()
    return dict(zip(table["seller_id"].to_pylist(), values, strict=True))


def _cooldown_history(session: Session, day: dt.date, longest: int) -> pa.Table | None:
    """Earlier findings that can still hold a policy back: issues and policy actions."""
    if not longest:
        return None
    since = day - dt.timedelta(days=longest)
    issued = session.execute(
        select(PointsEntry.policy_id, PointsEntry.seller_id, PointsEntry.effective_on).where(
            PointsEntry.kind == "issue",
            PointsEntry.effective_on > since,
            PointsEntry.effective_on < day,
        )
    ).all()
    acted = session.execute(
        select(
            EnforcementAction.policy_id, EnforcementAction.seller_id, EnforcementAction.starts_on
        ).where(
            EnforcementAction.source == "policy",
            EnforcementAction.starts_on > since,
            EnforcementAction.starts_on < day,
        )
    ).all()
    rows = [*issued, *acted]
    return pa.table(
        {
            "policy_id": pa.array([r[0] for r in rows], pa.string()),
            "subject": pa.array([r[1] for r in rows], pa.string()),
            "as_of": pa.array([r[2] for r in rows], pa.date32()),
        }
    )


# --- ledger ---------------------------------------------------------------------------------


def _open_issues(
    session: Session, before: dt.date, expiring_by: dt.date | None = None
) -> list[PointsEntry]:
    """Issues effective before ``before`` that no expiry, reversal or reset has offset (and
    that expire by ``expiring_by``, when given)."""
    offset = select(PointsEntry.offsets_id).where(PointsEntry.offsets_id.is_not(None))
    query = select(PointsEntry).where(
        PointsEntry.kind == "issue",
        PointsEntry.effective_on < before,
        PointsEntry.id.not_in(offset),
    )
    if expiring_by is not None:
        query = query.where(PointsEntry.expires_on <= expiring_by)
    return list(session.scalars(query.order_by(PointsEntry.effective_on, PointsEntry.id)))


def _expire(session: Session, scheme: Scheme, day: dt.date, report: DayReport) -> set[str]:
    due = [
        issue
        for issue in _open_issues(session, day + dt.timedelta(days=1), expiring_by=day)
        if not _reset_first(scheme, issue, day)
    ]
    moves = _moves(session, {e.seller_id for e in due})
    entries = []
    for issue in due:
        assert issue.expires_on is not None
        terminal = scheme.terminal_points
        if terminal is not None and peak_by(moves[issue.seller_id], issue.expires_on) >= terminal:
            continue  # points no longer expire once the terminal level is reached
        reason = (
            f"{issue.points} points of {issue.effective_on} expired after {scheme.expiry_days} days"
        )
        entries.append(issue.offset("expiry", issue.expires_on, scheme.ref, reason, ACTOR))
    added = _add_new(session, entries, lambda _: "points.expired")
    report.expired += len(added)
    return {e.seller_id for e in added}


def _moves(session: Session, sellers: set[str]) -> dict[str, list[Move]]:
    """Every movement of the points of ``sellers``, by seller (one query per 500 sellers)."""
    found: dict[str, list[Move]] = {seller: [] for seller in sellers}
    for chunk in _chunks(sorted(sellers)):
        rows = session.execute(
            select(PointsEntry.seller_id, PointsEntry.effective_on, PointsEntry.points).where(
                PointsEntry.seller_id.in_(chunk)
            )
        )
        for seller, effective, points in rows:
            found[seller].append((effective, points))
    return found


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _reset_first(scheme: Scheme, issue: PointsEntry, day: dt.date) -> bool:
    """Whether a quarterly reset on or before ``day`` clears ``issue`` before it expires."""
    if scheme.reset != "quarterly" or issue.expires_on is None:
        return False
    reset_on = quarter_start_after(issue.effective_on)
    return reset_on <= day and reset_on < issue.expires_on


def quarter_start_after(day: dt.date) -> dt.date:
    """The first day of the quarter after the one ``day`` is in.

    Example:
        >>> quarter_start_after(dt.date(2026, 3, 31)), quarter_start_after(dt.date(2026, 4, 1))
        (datetime.date(2026, 4, 1), datetime.date(2026, 7, 1))
    """
    month = (day.month - 1) // 3 * 3 + 4
    return dt.date(day.year + (month > 12), (month - 1) % 12 + 1, 1)


def _reset(session: Session, scheme: Scheme, day: dt.date, report: DayReport) -> set[str]:
    """Quarterly schemes clear every open issue on the first day of the next quarter (also
    when that day did not run: the reset is dated on it)."""
    if scheme.reset != "quarterly":
        return set()
    entries = []
    for issue in _open_issues(session, day):
        reset_on = quarter_start_after(issue.effective_on)
        if reset_on > day:
            continue  # not yet (an issue that expired before its reset is no longer open)
        reason = f"quarterly reset on {reset_on}"
        entries.append(issue.offset("reset", reset_on, scheme.ref, reason, ACTOR))
    added = _add_new(session, entries, lambda _: "points.reset")
    report.resets += len(added)
    return {e.seller_id for e in added}


def _issue(
    session: Session, scheme: Scheme, day: dt.date, findings: pa.Table, report: DayReport
) -> set[str]:
    rows = findings.filter(pc.equal(findings["kind"], "points")).to_pylist()
    since = day - dt.timedelta(days=scheme.repeat_window_days)
    earlier: set[tuple[str, str | None]] = set()
    for chunk in _chunks(sorted({r["subject"] for r in rows})):
        earlier |= {
            (seller, policy)
            for seller, policy in session.execute(
                select(PointsEntry.seller_id, PointsEntry.policy_id).where(
                    PointsEntry.kind == "issue",
                    PointsEntry.seller_id.in_(chunk),
                    PointsEntry.effective_on >= since,
                    PointsEntry.effective_on < day,
                )
            )
        }
    entries = []
    for row in rows:
        seller, policy = row["subject"], row["policy_id"]
        repeat = (seller, policy) in earlier
        heavier = repeat and row["points_max"] is not None
        entries.append(
            PointsEntry(
                dedupe_key=f"issue:{scheme.scheme}:{seller}:{policy}:{day.isoformat()}",
                seller_id=seller,
                kind="issue",
                points=int(row["points_max"] if heavier else row["points"]),
                effective_on=day,
                expires_on=day + dt.timedelta(days=scheme.expiry_days),
                policy_id=policy,
                policy_version=row["policy_version"],
                pack=f"{row['pack']}@{row['pack_version']}",
                scheme=scheme.ref,
                category=row["category"],
                repeat=repeat,
                values=json.loads(row["values"]),
                explanation_en=row["explanation_en"],
                explanation_id=row["explanation_id"],
                actor=ACTOR,
            )
        )
    added = _add_new(session, entries, lambda _: "points.issued")
    report.issued += len(added)
    report.points_issued += sum(e.points for e in added)
    report.sellers_hit |= {e.seller_id for e in added}
    return {e.seller_id for e in added}


# --- actions --------------------------------------------------------------------------------


def _review_reason(scheme: Scheme, seller: str, gmv: dict[str, float], step: Step | None) -> str:
    """Why an action must wait for a person ("" when it need not)."""
    if step is not None and step.human_review:
        return f"{step.action} is never applied automatically"
    threshold = scheme.human_review_gmv_30d
    if threshold is not None and gmv.get(seller, 0.0) >= threshold:
        shown = format_money(gmv[seller], "IDR", "en")
        return f"30-day GMV {shown} is above the review threshold"
    return ""


def _policy_actions(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    findings: pa.Table,
    gmv: dict[str, float],
    report: DayReport,
) -> None:
    actions = []
    for row in findings.filter(pc.equal(findings["kind"], "action")).to_pylist():
        seller = row["subject"]
        days = row["action_days"]
        review = _review_reason(scheme, seller, gmv, None)
        actions.append(
            EnforcementAction(
                dedupe_key=f"policy:{scheme.scheme}:{seller}:{row['policy_id']}:{day.isoformat()}",
                seller_id=seller,
                action=row["action"],
                source="policy",
                policy_id=row["policy_id"],
                policy_version=row["policy_version"],
                scheme=scheme.ref,
                value=row["action_value"],
                starts_on=day,
                ends_on=day + dt.timedelta(days=days - 1) if days else None,
                status="pending_review" if review else "active",
                review_reason=review or None,
                explanation_en=row["explanation_en"],
                explanation_id=row["explanation_id"],
            )
        )
    added = _add_new(session, actions, _action_event)
    report.actions += len(added)
    report.queued += sum(a.status == "pending_review" for a in added)
    report.sellers_hit |= {a.seller_id for a in added}


def _action_event(action: PointsEntry | EnforcementAction) -> str:
    queued = isinstance(action, EnforcementAction) and action.status == "pending_review"
    return "action.queued" if queued else "action.started"


def _ladder(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    sellers: set[str],
    before: dict[str, int],
    gmv: dict[str, float],
    report: DayReport,
) -> None:
    if not sellers:
        return
    after = balances(session, day, sorted(sellers))
    for seller in sorted(sellers):
        old, new = before.get(seller, 0), after.get(seller, 0)
        for step in scheme.ladder:
            if old < step.at <= new:
                _start_step(session, scheme, day, seller, step, new, gmv, report)
            elif new < step.at <= old and step.days is None:
                _end_step(session, scheme, day, seller, step, new, report)
        for at in sorted({s.at for s in scheme.ladder}):
            near = at - scheme.warning_margin
            if scheme.warning_margin and old < near <= new < at:
                _warn(session, scheme, day, seller, at, new, report)


def _start_step(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    seller: str,
    step: Step,
    balance: int,
    gmv: dict[str, float],
    report: DayReport,
) -> None:
    review = _review_reason(scheme, seller, gmv, step)
    action = EnforcementAction(
        dedupe_key=f"ladder:{scheme.scheme}:{seller}:{step.at}:{step.action}:{day.isoformat()}",
        seller_id=seller,
        action=step.action,
        source="ladder",
        step_at=step.at,
        scheme=scheme.ref,
        starts_on=day,
        ends_on=day + dt.timedelta(days=step.days - 1) if step.days else None,
        status="pending_review" if review else "active",
        balance=balance,
        review_reason=review or None,
        explanation_en=(
            f"{scheme.standing(balance, 'en')} reached {scheme.threshold(step)}: "
            f"{step.describe('en')}."
        ),
        explanation_id=(
            f"{scheme.standing(balance, 'id')} mencapai {scheme.threshold(step, 'id')}: "
            f"{step.describe('id')}."
        ),
    )
    if _add_new(session, [action], _action_event):
        report.actions += 1
        report.queued += bool(review)


def _end_step(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    seller: str,
    step: Step,
    balance: int,
    report: DayReport,
) -> None:
    """Open-ended actions of a step end when the balance falls back below it."""
    open_actions = session.scalars(
        select(EnforcementAction).where(
            EnforcementAction.seller_id == seller,
            EnforcementAction.source == "ladder",
            EnforcementAction.step_at == step.at,
            EnforcementAction.action == step.action,
            EnforcementAction.status.in_(("active", "pending_review")),
            EnforcementAction.ends_on.is_(None),
            EnforcementAction.starts_on < day,
        )
    )
    for action in open_actions:
        before = snapshot(action)
        action.ends_on = day - dt.timedelta(days=1)
        action.status = "ended"
        audit.record(
            session,
            actor=ACTOR,
            action="action.ended",
            entity_type="enforcement_action",
            entity_id=str(action.id),
            reason=f"balance {balance} fell below {step.at}",
            before=before,
            after=snapshot(action),
            context={"scheme": scheme.ref, "day": day.isoformat()},
        )
        report.ended += 1


def _warn(
    session: Session,
    scheme: Scheme,
    day: dt.date,
    seller: str,
    at: int,
    balance: int,
    report: DayReport,
) -> None:
    steps = [s for s in scheme.ladder if s.at == at]
    en = "; ".join(s.describe("en") for s in steps)
    id_ = "; ".join(s.describe("id") for s in steps)
    warning = EnforcementAction(
        dedupe_key=f"warning:{scheme.scheme}:{seller}:{at}:{day.isoformat()}",
        seller_id=seller,
        action="warning",
        source="warning",
        step_at=at,
        scheme=scheme.ref,
        starts_on=day,
        ends_on=day,
        status="active",
        balance=balance,
        explanation_en=(
            f"Warning: {scheme.standing(balance, 'en')}, {at - balance} points away from "
            f"{scheme.threshold(steps[0])}: {en}."
        ),
        explanation_id=(
            f"Peringatan: {scheme.standing(balance, 'id')}, {at - balance} poin lagi menuju "
            f"{scheme.threshold(steps[0], 'id')}: {id_}."
        ),
    )
    if _add_new(session, [warning], lambda _: "warning.sent"):
        report.warnings += 1


Row = TypeVar("Row", PointsEntry, EnforcementAction)


def _add_new(
    session: Session, rows: list[Row], event: Callable[[PointsEntry | EnforcementAction], str]
) -> list[Row]:
    """Add the ``rows`` whose dedupe key is not stored yet, each with its audit event; the
    rows added. One lookup per 500 keys and one flush: a day with 10k findings stays fast."""
    if not rows:
        return []
    model = type(rows[0])
    stored: set[str] = set()
    for chunk in _chunks([r.dedupe_key for r in rows]):
        stored |= set(session.scalars(select(model.dedupe_key).where(model.dedupe_key.in_(chunk))))
    new: list[Row] = []
    for row in rows:
        if row.dedupe_key not in stored:
            stored.add(row.dedupe_key)
            new.append(row)
    session.add_all(new)
    session.flush()
    entity = "points_entry" if model is PointsEntry else "enforcement_action"
    for row in new:
        audit.record(
            session,
            actor=ACTOR,
            action=event(row),
            entity_type=entity,
            entity_id=str(row.id),
            after=snapshot(row),
            context={"scheme": row.scheme, "policy": row.policy_id},
            flush=False,
        )
    session.flush()
    return new
