"""Console pages of seller governance: the overview dashboard, sellers (search and filters),
a seller's page (standing, metrics, points over time, violations, actions, appeals, plans),
the human review queue, and the appeal and plan-of-action reviews with their decision forms.

A seller sees only its own shop (and linked shops it may see): any other shop is "not found".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pyarrow.compute as pc
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.api.governance import scheme_for
from pasar.console.charts import bar_chart, line_chart
from pasar.console.labels import translate
from pasar.console.shell import NAVIGATION, Page, page, roles_of
from pasar.console.tables import Column, Table
from pasar.governance import appeals as appeal_service
from pasar.governance import plans as plan_service
from pasar.governance import review
from pasar.governance.ledger import balance, balances, moves_of
from pasar.governance.linked import warehouse_owners
from pasar.governance.models import Appeal, EnforcementAction, PlanOfAction, PointsEntry
from pasar.governance.pipeline import latest_run_day
from pasar.governance.scheme import Scheme
from pasar.kit.errors import NotFoundError, PasarError
from pasar.metrics.query import catalog_for
from pasar.metrics.snapshots import read_snapshot
from pasar.warehouse.store import Warehouse

router = APIRouter(include_in_schema=False)
UNIT_KINDS = {"money": "money", "ratio": "percent", "count": "int"}


def _today(unit: Session) -> dt.date:
    return latest_run_day(unit) or dt.date.today()


def _explained(row: Any, lang: str) -> str:
    return str((row.explanation_id if lang == "id" else row.explanation_en) or "")


@router.get("/")
def overview(
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """KPIs with their change over the previous week, violations per day, actions by type."""
    if view.user.role == "seller" and view.user.seller_id:
        return RedirectResponse(f"/sellers/{view.user.seller_id}", status_code=303)
    if not view.can("governance:read"):
        return _home_without_governance(view)
    day = _today(unit)
    scheme = scheme_for(request, day)
    points = balances(unit, day)
    actions = unit.scalars(select(EnforcementAction).where(EnforcementAction.source != "warning"))
    in_force = [a for a in actions if a.in_force(day)]
    daily = dict(
        unit.execute(
            select(PointsEntry.effective_on, func.count())
            .where(
                PointsEntry.kind == "issue", PointsEntry.effective_on > day - dt.timedelta(days=30)
            )
            .group_by(PointsEntry.effective_on)
        ).all()
    )
    days = [day - dt.timedelta(days=n) for n in range(29, -1, -1)]
    this_week = sum(daily.get(d, 0) for d in days[-7:])
    last_week = sum(daily.get(d, 0) for d in days[-14:-7])
    kpis = [
        ("Sellers with points", sum(1 for p in points.values() if p > 0), None),
        ("Violations, last 7 days", this_week, this_week - last_week),
        ("Actions in force", len(in_force), None),
        ("Waiting for a person", len(review.waiting(unit)), None),
        (
            "Appeals open",
            unit.scalar(select(func.count()).where(Appeal.status == "submitted")),
            None,
        ),
    ]
    by_type: dict[str, int] = {}
    for action in in_force:
        by_type[action.action] = by_type.get(action.action, 0) + 1
    ranked = sorted(by_type.items(), key=lambda item: -item[1])
    # drawn when the page is (a download of its table draws nothing)
    charts: list[Callable[[], Markup]] = [
        lambda: line_chart(
            {view.t("Violations"): [(d, daily.get(d, 0)) for d in days]},
            view.t("Violations per day"),
        )
    ]
    if ranked:
        charts.append(
            lambda: bar_chart(
                [k for k, _ in ranked], [v for _, v in ranked], view.t("Actions by type")
            )
        )
    top = sorted(((s, p) for s, p in points.items() if p > 0), key=lambda x: -x[1])[:20]
    table = Table(
        "top-sellers",
        "Sellers with the most points",
        [
            Column("seller_id", "Seller", href="/sellers/{seller_id}"),
            Column("points", "Points", "int"),
            Column("standing", "Standing"),
        ],
        [{"seller_id": s, "points": p, "standing": scheme.standing(p, view.lang)} for s, p in top],
        empty="No seller has points yet: run `pasar run`.",
    )
    return view.render("overview.html", "Overview", as_of=day, kpis=kpis, charts=charts, top=table)


def _home_without_governance(view: Page) -> Response:
    """The start page of a role without governance: links to the pages it may open."""
    places = [
        (entry.label, entry.path)
        for entry in NAVIGATION
        if entry.scope and view.can(entry.scope) and view.user.role in roles_of(entry)
    ]
    return view.render("home.html", "Pasar", places=places)


@router.get("/sellers")
def sellers_page(
    request: Request,
    q: str = "",
    category: str = "",
    min_points: int = 0,
    in_force: bool = False,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Every seller with a ledger or an action, searchable by id and filtered by standing."""
    caller = view.caller
    if not view.can("governance:read"):
        return view.error(403, "Not allowed", "Your role cannot see sellers' governance.")
    day = _today(unit)
    scheme = scheme_for(request, day)
    since = day - dt.timedelta(days=90)
    issues = select(
        PointsEntry.seller_id,
        func.count().label("violations"),
        func.max(PointsEntry.effective_on).label("last"),
    ).where(PointsEntry.kind == "issue", PointsEntry.effective_on > since)
    if category:
        issues = issues.where(PointsEntry.category == category)
    counts = {
        r.seller_id: (r.violations, r.last)
        for r in unit.execute(issues.group_by(PointsEntry.seller_id))
    }
    forced: dict[str, int] = {}
    for action in unit.scalars(
        select(EnforcementAction).where(EnforcementAction.source != "warning")
    ):
        if action.in_force(day):
            forced[action.seller_id] = forced.get(action.seller_id, 0) + 1
    points = balances(unit, day)
    ids = set(points) | set(forced)
    if category:
        ids &= set(counts)
    rows = []
    for seller in ids:
        if not caller.may_see_seller(seller) or (q and q.lower() not in seller.lower()):
            continue
        held = points.get(seller, 0)
        if held < min_points or (in_force and not forced.get(seller)):
            continue
        violations, last = counts.get(seller, (0, None))
        rows.append(
            {
                "seller_id": seller,
                "points": held,
                "standing": scheme.standing(held, view.lang),
                "violations": violations,
                "last": last,
                "actions": forced.get(seller, 0),
            }
        )
    rows.sort(key=lambda r: (-r["points"], -r["violations"], r["seller_id"]))
    table = Table(
        "sellers",
        "Sellers",
        [
            Column("seller_id", "Seller", href="/sellers/{seller_id}"),
            Column("points", "Points", "int"),
            Column("standing", "Standing"),
            Column("violations", "Violations, last 90 days", "int"),
            Column("last", "Last violation", "date"),
            Column("actions", "Actions in force", "int"),
        ],
        rows,
        empty="No sellers match.",
    )
    categories = sorted(
        c for c in unit.scalars(select(PointsEntry.category).distinct()) if c is not None
    )
    filters = {"q": q, "category": category, "min_points": min_points, "in_force": in_force}
    return view.render(
        "sellers.html", "Sellers", as_of=day, sellers=table, categories=categories, filters=filters
    )


@router.get("/sellers/{seller_id}")
def seller_page(
    seller_id: str,
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """One seller: standing, metrics, points over time, violations, actions, appeals, plans."""
    caller = view.caller
    missing = view.error(404, "Not found", f"There is no seller {seller_id} to show.")
    if not view.can("governance:read") or not caller.may_see_seller(seller_id):
        return missing
    entries = unit.scalars(
        select(PointsEntry)
        .where(PointsEntry.seller_id == seller_id)
        .order_by(PointsEntry.effective_on.desc(), PointsEntry.id.desc())
    ).all()
    actions = unit.scalars(
        select(EnforcementAction)
        .where(EnforcementAction.seller_id == seller_id)
        .order_by(EnforcementAction.starts_on.desc(), EnforcementAction.id.desc())
    ).all()
    if not entries and not actions:
        return missing
    day = _today(unit)
    scheme = scheme_for(request, day)
    points = balance(unit, seller_id, day)
    step = scheme.next_step(points)
    own = view.user.role == "seller"
    appealed = {
        a.entry_id for a in unit.scalars(select(Appeal).where(Appeal.seller_id == seller_id))
    }
    violations = Table(
        "violations",
        "Violations",
        [
            Column("effective_on", "Day", "date"),
            Column("policy_id", "Policy"),
            Column("category", "Category"),
            Column("points", "Points", "int"),
            Column("expires_on", "Expires", "date"),
            Column("why", "Why"),
        ],
        [
            {
                "id": e.id,
                "effective_on": e.effective_on,
                "policy_id": e.policy_id,
                "category": e.category,
                "points": e.points,
                "expires_on": e.expires_on,
                "why": _explained(e, view.lang),
                "appealable": own and e.id not in appealed,
                "appeal_until": _appeal_until(scheme, e.effective_on),
            }
            for e in entries
            if e.kind == "issue"
        ],
        empty="No violations.",
    )
    plans = unit.scalars(
        select(PlanOfAction)
        .where(PlanOfAction.seller_id == seller_id)
        .order_by(PlanOfAction.submitted_on.desc(), PlanOfAction.id.desc())
    ).all()
    waiting_plan = {p.action_id for p in plans if p.status in ("submitted", "accepted", "rejected")}
    action_table = Table(
        "actions",
        "Actions and warnings",
        [
            Column("starts_on", "From", "date"),
            Column("ends_on", "To", "date"),
            Column("action", "Action"),
            Column("status", "Status", "badge"),
            Column("why", "Why"),
        ],
        [
            {
                "id": a.id,
                "starts_on": a.starts_on,
                "ends_on": a.ends_on,
                "action": a.action,
                "status": a.status,
                "why": _explained(a, view.lang),
                "needs_plan": own
                and a.action in scheme.poa_required_for
                and a.source != "warning"
                and a.status in ("active", "pending_review")
                and a.id not in waiting_plan,
            }
            for a in actions
        ],
        empty="No actions.",
    )
    moves = sorted(moves_of(unit, seller_id))
    timeline = _running_balance(moves, day)
    return view.render(
        "seller.html",
        seller_id,
        seller_id=seller_id,
        as_of=day,
        today=dt.date.today(),
        points=points,
        standing=scheme.standing(points, view.lang),
        next_step=f"{scheme.threshold(step, view.lang)}: {step.describe(view.lang)}"
        if step
        else None,
        chart=(lambda: line_chart({view.t("Points"): timeline}, view.t("Points over time")))
        if timeline
        else None,
        metrics=_seller_metrics(request, seller_id, day, view.lang),
        violations=violations,
        actions=action_table,
        appeals=_appeals_table(
            unit.scalars(
                select(Appeal).where(Appeal.seller_id == seller_id).order_by(Appeal.id.desc())
            ).all(),
            _reason_labels(scheme, view.lang),
            "Appeals of this shop",
        ),
        plans=_plans_table(plans, "Plans of action of this shop"),
    )


def _appeal_until(scheme: Scheme, day: dt.date) -> dt.date | None:
    """The last day a first appeal against a violation of ``day`` is accepted."""
    rules = scheme.appeals
    return None if rules is None else day + dt.timedelta(days=rules.first_within_days)


def _running_balance(moves: list[tuple[dt.date, int]], day: dt.date) -> list[tuple[dt.date, int]]:
    """End-of-day balances on every day something moved, through ``day``."""
    per_day: dict[dt.date, int] = {}
    for effective, points in moves:
        if effective <= day:
            per_day[effective] = per_day.get(effective, 0) + points
    running, line = 0, []
    for effective in sorted(per_day):
        running += per_day[effective]
        line.append((effective, running))
    if line and line[-1][0] < day:
        line.append((day, running))
    return line


def _seller_metrics(request: Request, seller_id: str, day: dt.date, lang: str) -> Table:
    """The seller's row of the latest metric snapshot on or before ``day``."""
    settings = request.app.state.settings
    rows: list[dict[str, Any]] = []
    note = ""
    for back in range(0, 8):
        as_of = day - dt.timedelta(days=back)
        try:
            snapshot = read_snapshot(settings, "seller", as_of)
        except NotFoundError:
            continue
        found = snapshot.filter(pc.equal(snapshot["seller_id"], seller_id)).to_pylist()
        if found:
            catalog = catalog_for(settings)
            for name, value in found[0].items():
                if name in catalog.metrics:
                    metric = catalog.metrics[name]
                    rows.append(
                        {
                            "metric": name,
                            "value": value,
                            "kind": UNIT_KINDS.get(metric.unit, "number"),
                            "definition": metric.description,
                        }
                    )
            note = f"{translate('as of', lang)} {as_of}"
        break
    return MetricTable(
        "metrics",
        "Seller metrics",
        [
            Column("metric", "Metric"),
            Column("value", "Value", "number"),
            Column("definition", "Definition"),
        ],
        rows,
        empty="No metric snapshot yet.",
        note=note,
    )


class MetricTable(Table):
    """Values read by each row's own unit (a rate as %, money as Rp)."""

    def cell(self, row: Any, column: Column, lang: str) -> str:
        if column.key == "value":
            return super().cell(row, Column("value", "Value", row["kind"]), lang)
        return super().cell(row, column, lang)


def _appeals_table(appeals: Any, reasons: dict[str, str], title: str = "Appeals") -> Table:
    """Appeals with their reason's label (``reasons``: key → label in the user's language)."""
    return Table(
        "appeals",
        title,
        [
            Column("submitted_on", "Submitted", "date"),
            Column("seller_id", "Seller", href="/sellers/{seller_id}"),
            Column("entry_id", "Violation", "int"),
            Column("reason", "Reason"),
            Column("statement", "Statement"),
            Column("evidence", "Evidence"),
            Column("status", "Status", "badge"),
            Column("decision_reason", "Decided because"),
        ],
        [
            {
                "id": a.id,
                "version": a.version,
                "submitted_on": a.submitted_on,
                "seller_id": a.seller_id,
                "entry_id": a.entry_id,
                "reason": reasons.get(a.reason, a.reason),
                "statement": a.statement,
                "evidence": "; ".join(f"{e['item']}: {e['given']}" for e in a.evidence),
                "files": [e for e in a.evidence if e.get("file")],
                "status": a.status,
                "decision_reason": a.decision_reason,
            }
            for a in appeals
        ],
        empty="No appeals.",
    )


def _reason_labels(scheme: Scheme, lang: str) -> dict[str, str]:
    rules = scheme.appeals
    if rules is None:
        return {}
    return {key: reason.label.get(lang, key) for key, reason in rules.reasons.items()}  # type: ignore[call-overload]


def _plans_table(plans: Any, title: str = "Plans of action") -> Table:
    return Table(
        "plans",
        title,
        [
            Column("submitted_on", "Submitted", "date"),
            Column("seller_id", "Seller", href="/sellers/{seller_id}"),
            Column("action_id", "Action", "int"),
            Column("revision", "Revision", "int"),
            Column("root_causes", "Root causes"),
            Column("corrective_actions", "Corrective actions taken"),
            Column("preventive_measures", "Preventive measures"),
            Column("evidence", "Evidence"),
            Column("status", "Status", "badge"),
            Column("comment", "Comment"),
        ],
        [
            {
                "id": p.id,
                "version": p.version,
                "submitted_on": p.submitted_on,
                "seller_id": p.seller_id,
                "action_id": p.action_id,
                "revision": p.revision,
                "status": p.status,
                "comment": p.comment,
                **{
                    k: "; ".join(getattr(p, k))
                    for k in (
                        "root_causes",
                        "corrective_actions",
                        "preventive_measures",
                        "evidence",
                    )
                },
            }
            for p in plans
        ],
        empty="No plans of action.",
    )


@router.get("/queue")
def queue_page(
    view: Page = Depends(page, scope="function"), unit: Session = Depends(session, scope="function")
) -> Response:
    """Actions a person must approve or reject before they take effect."""
    if not view.can("governance:decide"):
        return view.error(403, "Not allowed", "Your role cannot decide.")
    return view.render("queue.html", "Review queue", queue=_queue_table(unit, view.lang))


def _queue_table(unit: Session, lang: str) -> Table:
    return Table(
        "queue",
        "Review queue",
        [
            Column("starts_on", "Since", "date"),
            Column("seller_id", "Seller", href="/sellers/{seller_id}"),
            Column("action", "Action"),
            Column("balance", "Points", "int"),
            Column("review_reason", "Why a person decides"),
            Column("why", "Why"),
        ],
        [
            {
                "id": a.id,
                "version": a.version,
                "starts_on": a.starts_on,
                "seller_id": a.seller_id,
                "action": a.action,
                "balance": a.balance,
                "review_reason": a.review_reason,
                "why": _explained(a, lang),
            }
            for a in review.waiting(unit)
        ],
        empty="Nothing is waiting for a person.",
    )


class DecisionForm:
    """The fields of every decision form: the decision, its reason, the version decided on."""

    def __init__(
        self,
        decision: str = Form(...),
        reason: str = Form(...),
        version: int = Form(...),
        csrf_token: str = Form(""),
    ) -> None:
        self.decision, self.reason, self.version = decision, reason, version
        self.csrf_token = csrf_token


def _decide(
    view: Page,
    unit: Session,
    form: DecisionForm,
    run: Callable[[], object],
    back: str,
    failed: Callable[[str], Response] | None = None,
) -> Response:
    """Check the form's CSRF token and the reviewer's scope, run the decision, then go
    ``back``; a refused decision (someone decided first, a bad reason …) is explained."""
    view.check_csrf(unit, form.csrf_token)
    if not view.can("governance:decide"):
        return view.error(403, "Not allowed", "Your role cannot decide.")
    try:
        run()
    except PasarError as exc:
        unit.rollback()
        return failed(str(exc)) if failed else view.error(409, "Not decided", str(exc))
    return RedirectResponse(back, status_code=303)


@router.post("/actions/{action_id}/decision")
def decide_action_form(
    action_id: int,
    request: Request,
    form: DecisionForm = Depends(),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Approve or reject an action waiting for a person."""
    day = dt.date.today()
    owners = warehouse_owners(Warehouse(request.app.state.settings.warehouse_dir))
    return _decide(
        view,
        unit,
        form,
        lambda: review.decide_action(
            unit,
            scheme_for(request, day),
            action_id,
            form.decision,
            view.user.username,
            form.reason,
            day,
            owners,
            form.version,
        ),
        "/queue",
        lambda error: view.render(
            "queue.html", "Review queue", 409, queue=_queue_table(unit, view.lang), error=error
        ),
    )


@router.get("/appeals")
def appeals_page(
    request: Request,
    status: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Appeals, newest first (a seller sees its own); reviewers decide the submitted ones."""
    caller = view.caller
    if not view.can("governance:read"):
        return view.error(403, "Not allowed", "Your role cannot see this.")
    query = select(Appeal).order_by(Appeal.submitted_on.desc(), Appeal.id.desc())
    if caller.sellers is not None:
        query = query.where(Appeal.seller_id.in_(sorted(caller.sellers)))
    if status:
        query = query.where(Appeal.status == status)
    return view.render(
        "appeals.html",
        "Appeals",
        appeals=_appeals_table(
            unit.scalars(query).all(),
            _reason_labels(scheme_for(request, dt.date.today()), view.lang),
        ),
        can_decide=view.can("governance:decide"),
        status_filter=status,
    )


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal_form(
    appeal_id: int,
    request: Request,
    form: DecisionForm = Depends(),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Accept or reject a submitted appeal."""
    day = dt.date.today()
    return _decide(
        view,
        unit,
        form,
        lambda: appeal_service.decide(
            unit,
            scheme_for(request, day),
            appeal_id,
            form.decision,
            view.user.username,
            form.reason,
            day,
            form.version,
        ),
        "/appeals",
    )


@router.get("/plans")
def plans_page(
    view: Page = Depends(page, scope="function"), unit: Session = Depends(session, scope="function")
) -> Response:
    """Plans of action, newest first (a seller sees its own); reviewers decide submitted ones."""
    caller = view.caller
    if not view.can("governance:read"):
        return view.error(403, "Not allowed", "Your role cannot see this.")
    query = select(PlanOfAction).order_by(PlanOfAction.submitted_on.desc(), PlanOfAction.id.desc())
    if caller.sellers is not None:
        query = query.where(PlanOfAction.seller_id.in_(sorted(caller.sellers)))
    return view.render(
        "plans.html",
        "Plans of action",
        plans=_plans_table(unit.scalars(query).all()),
        can_decide=view.can("governance:decide"),
    )


@router.post("/plans/{plan_id}/decision")
def decide_plan_form(
    plan_id: int,
    form: DecisionForm = Depends(),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Accept, request changes to or reject a submitted plan of action."""
    return _decide(
        view,
        unit,
        form,
        lambda: plan_service.review_plan(
            unit,
            plan_id,
            form.decision,
            view.user.username,
            form.reason,
            dt.date.today(),
            form.version,
        ),
        "/plans",
    )
