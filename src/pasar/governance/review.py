"""The human review queue: actions the pipeline never applies by itself (permanent
suspensions, actions on sellers above the GMV threshold, linked shops) wait here for a
reviewer, who approves (from the decision day) or rejects them with a reason.

Approving a permanent suspension queues the owner's other shops (:mod:`.linked`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.linked import SUSPENSION, Owners, queue_linked
from pasar.governance.models import EnforcementAction
from pasar.governance.scheme import Scheme
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version


def waiting(session: Session) -> list[EnforcementAction]:
    """Every action waiting for a person, oldest first."""
    return list(
        session.scalars(
            select(EnforcementAction)
            .where(EnforcementAction.status == "pending_review")
            .order_by(EnforcementAction.starts_on, EnforcementAction.id)
        )
    )


def decide_action(
    session: Session,
    scheme: Scheme,
    action_id: int,
    decision: str,
    reviewer: str,
    reason: str,
    on: dt.date,
    owners: Owners,
    seen_version: int | None = None,
) -> list[EnforcementAction]:
    """Approve or reject queued action ``action_id``; the linked shops queued as a result."""
    if decision not in ("approve", "reject"):
        raise ValidationError(f"decision {decision!r}: use approve or reject", field="decision")
    reason = written(reason, "reason", what="a decision's reason")
    action = session.get(EnforcementAction, action_id, with_for_update=True)
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    if seen_version is not None:
        expect_version(action, seen_version)
    if action.status != "pending_review":
        raise ConflictError(f"action {action_id} is {action.status}, not waiting for review")
    before = snapshot(action)
    action.status = "active" if decision == "approve" else "rejected"
    action.decided_by, action.decided_at, action.decision_reason = reviewer, now(), reason
    if decision == "approve":
        action.starts_on = max(action.starts_on, on)
    session.flush()
    audit.record(
        session,
        actor=f"user:{reviewer}",
        action=f"action.{decision}d",
        entity_type="enforcement_action",
        entity_id=str(action.id),
        reason=reason,
        before=before,
        after=snapshot(action),
        context={"scheme": scheme.ref},
    )
    if decision == "approve" and action.action == SUSPENSION:
        return queue_linked(session, scheme, action, owners, on, f"user:{reviewer}")
    return []
