"""Shared builders for governance tests: findings tables, schemes and one pipeline day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.governance.models import EnforcementAction, PointsEntry
from pasar.governance.pipeline import DayReport, apply_day
from pasar.governance.scheme import Scheme
from pasar.kit.db import Database
from pasar.policy.evaluate import FINDINGS_SCHEMA

PACK = "tokopedia-id"


def _row(day: dt.date, seller: str, policy: str, **fields: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(FINDINGS_SCHEMA.names)
    row.update(
        as_of=day,
        pack=PACK,
        pack_version=1,
        policy_id=policy,
        policy_version=1,
        entity="seller",
        subject=seller,
        severity="minor",
        category="fulfilment",
        values="{}",
        explanation_en=f"{policy} fired for {seller}",
        explanation_id=f"{policy} berlaku untuk {seller}",
    )
    row.update(fields)
    return row


def points(
    day: dt.date, seller: str, policy: str, pts: int, pts_max: int | None = None
) -> dict[str, Any]:
    """A ``kind="points"`` finding."""
    return _row(day, seller, policy, kind="points", points=pts, points_max=pts_max)


def action(
    day: dt.date, seller: str, policy: str, name: str, days: int | None, value: float | None
) -> dict[str, Any]:
    """A ``kind="action"`` finding."""
    return _row(
        day, seller, policy, kind="action", action=name, action_days=days, action_value=value
    )


def findings(rows: list[dict[str, Any]]) -> pa.Table:
    """A findings table with the evaluation's schema."""
    return pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA)


def make_scheme(**overrides: Any) -> Scheme:
    """A small scheme for short scenarios (every field overridable)."""
    fields: dict[str, Any] = {
        "scheme": "test-scheme",
        "version": 1,
        "region": "ID",
        "effective_from": dt.date(2025, 1, 1),
        "pack": PACK,
        "expiry_days": 60,
        "terminal_points": None,
        "repeat_window_days": 0,
        "warning_margin": 5,
        "reset": "none",
        "ladder": [
            {"at": 12, "action": "campaign_limited", "days": 7},
            {"at": 24, "action": "campaign_and_affiliate_removed"},
        ],
    }
    fields.update(overrides)
    return Scheme.model_validate(fields)


def run_day(
    db: Database,
    scheme: Scheme,
    day: dt.date,
    rows: list[dict[str, Any]] | None = None,
    gmv: dict[str, float] | None = None,
) -> DayReport:
    """One pipeline day in its own unit of work, as the pipeline runs it."""
    report = DayReport(day, scheme.ref, "test")
    with db.unit_of_work() as session:
        apply_day(session, scheme, day, findings(rows or []), gmv or {}, report)
    return report


def entries(session: Session, seller: str) -> list[PointsEntry]:
    return list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.seller_id == seller)
            .order_by(PointsEntry.effective_on, PointsEntry.id)
        )
    )


ActionRow = tuple[str, str, int | None, dt.date, dt.date | None, str, int | None]


def actions(session: Session, seller: str) -> list[ActionRow]:
    """(action, source, step_at, starts_on, ends_on, status, balance) in start order."""
    rows = session.scalars(
        select(EnforcementAction)
        .where(EnforcementAction.seller_id == seller)
        .order_by(EnforcementAction.starts_on, EnforcementAction.id)
    )
    return [
        (a.action, a.source, a.step_at, a.starts_on, a.ends_on, a.status, a.balance) for a in rows
    ]
