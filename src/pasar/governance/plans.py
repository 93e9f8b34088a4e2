"""Plans of action: how a seller asks to lift a severe action early.

A plan answers the three questions reviewers ask (``../shared/reference/governance.md`` §3.2):
the root cause of each issue, the corrective actions taken, and the measures that prevent it
happening again, with evidence. Each submission is a new revision (history kept); a reviewer
``accept``s it (the action is lifted from the review day), ``request_changes`` (with a comment
saying what is missing; the seller sends the next revision) or ``reject``s it.

Example::

    plan = submit_plan(session, scheme, action_id=7, root_causes=["…"],
                       corrective_actions=["…"], preventive_measures=["…"],
                       evidence=["warehouse-rota.pdf"], on=day, actor="seller:S000062")
    review_plan(session, plan.id, "request_changes", reviewer="rina",
                comment="greater detail on the preventive steps", on=day)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.models import EnforcementAction, PlanOfAction
from pasar.governance.recording import record_new
from pasar.governance.scheme import Scheme
from pasar.kit.errors import ConflictError, NotFoundError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version

DECISIONS = ("accept", "request_changes", "reject")
MAX_ITEM = 2000


def _items(name: str, values: Sequence[str]) -> list[str]:
    kept = [written(v, name, limit=MAX_ITEM, what=f"each {name}") for v in values if v.strip()]
    if not kept:
        raise ValidationError(f"a plan of action needs at least one {name}", field=name)
    return kept


def submit_plan(
    session: Session,
    scheme: Scheme,
    action_id: int,
    root_causes: Sequence[str],
    corrective_actions: Sequence[str],
    preventive_measures: Sequence[str],
    evidence: Sequence[str],
    on: dt.date,
    actor: str,
) -> PlanOfAction:
    """A new revision of the plan for ``action_id``."""
    action = session.get(EnforcementAction, action_id)
    if action is None or action.source == "warning":
        raise NotFoundError(f"no action {action_id}")
    if action.action not in scheme.poa_required_for:
        raise ValidationError(
            f"{action.action} is not lifted by a plan of action under {scheme.ref} "
            f"(those are: {', '.join(scheme.poa_required_for) or 'none'})"
        )
    if action.status not in ("active", "pending_review"):
        raise ConflictError(f"action {action_id} is {action.status}: nothing to lift")
    earlier = list(
        session.scalars(
            select(PlanOfAction)
            .where(PlanOfAction.action_id == action_id)
            .order_by(PlanOfAction.revision)
        )
    )
    if earlier and earlier[-1].status == "submitted":
        raise ConflictError("the last plan of action is still waiting for review")
    if earlier and earlier[-1].status in ("accepted", "rejected"):
        raise ConflictError(f"the plan of action was already {earlier[-1].status}")
    plan = PlanOfAction(
        action_id=action_id,
        seller_id=action.seller_id,
        revision=len(earlier) + 1,
        root_causes=_items("root cause", root_causes),
        corrective_actions=_items("corrective action", corrective_actions),
        preventive_measures=_items("preventive measure", preventive_measures),
        evidence=_items("evidence", evidence),
        status="submitted",
        submitted_on=on,
        submitted_by=actor,
    )
    record_new(
        session,
        plan,
        "plan_of_action",
        actor=actor,
        action="poa.submitted",
        context={"scheme": scheme.ref, "action": action_id},
    )
    return plan


def review_plan(
    session: Session,
    plan_id: int,
    decision: str,
    reviewer: str,
    comment: str,
    on: dt.date,
    seen_version: int | None = None,
) -> PlanOfAction:
    """Decide a submitted plan; accepting it lifts its action from ``on``."""
    if decision not in DECISIONS:
        raise ValidationError(f"decision {decision!r}: use {', '.join(DECISIONS)}")
    comment = written(comment, "comment", what="a review's comment")
    plan = session.get(PlanOfAction, plan_id, with_for_update=True)
    if plan is None:
        raise NotFoundError(f"no plan of action {plan_id}")
    if seen_version is not None:
        expect_version(plan, seen_version)
    if plan.status != "submitted":
        raise ConflictError(f"plan of action {plan_id} was already reviewed ({plan.status})")
    before = snapshot(plan)
    plan.status = {"accept": "accepted", "request_changes": "changes_requested"}.get(
        decision, "rejected"
    )
    plan.reviewed_by, plan.reviewed_on, plan.comment = reviewer, on, comment.strip()
    session.flush()
    audit.record(
        session,
        actor=f"user:{reviewer}",
        action=f"poa.{plan.status}",
        entity_type="plan_of_action",
        entity_id=str(plan.id),
        reason=comment,
        before=before,
        after=snapshot(plan),
    )
    if plan.status == "accepted":
        action = session.get(EnforcementAction, plan.action_id)
        assert action is not None
        was = snapshot(action)
        action.status = "lifted"
        action.ends_on = max(action.starts_on - dt.timedelta(days=1), on - dt.timedelta(days=1))
        audit.record(
            session,
            actor=f"user:{reviewer}",
            action="action.lifted",
            entity_type="enforcement_action",
            entity_id=str(action.id),
            reason=f"plan of action {plan.id} accepted",
            before=was,
            after=snapshot(action),
        )
    return plan
