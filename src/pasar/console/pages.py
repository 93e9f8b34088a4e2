"""Console pages: sign in and out, the governance overview, a seller's page, the review queue
and appeals with their decision forms.

Every page needs a browser session (else a redirect to ``/login``); every POST carries the
session's CSRF token (else 403); a seller sees only its own shop (another shop is a 404 page).
Text from data is escaped by Jinja2's autoescaping.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pasar.api.access import Principal, _principal, session
from pasar.auth.models import User
from pasar.auth.roles import ROLES
from pasar.auth.service import AuthenticationError, authenticate
from pasar.auth.sessions import COOKIE, check_csrf, close_session, current_user, open_session
from pasar.governance import appeals as appeal_service
from pasar.governance import review
from pasar.governance.ledger import balance, balances
from pasar.governance.linked import warehouse_owners
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.pipeline import latest_run_day
from pasar.governance.scheme import Scheme, load_schemes, scheme_on
from pasar.kit.errors import PasarError
from pasar.warehouse.store import Warehouse

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LOGIN_COOKIE = "pasar_login"

INDONESIAN = {
    "Review queue": "Antrean tinjauan", "Appeals": "Banding", "My shop": "Toko saya",
    "Sign out": "Keluar", "Seller governance": "Tata kelola penjual",
    "Sellers with points": "Penjual dengan poin", "Violations, last 7 days": "Pelanggaran, 7 hari",
    "Actions in force": "Tindakan berlaku", "Waiting for a person": "Menunggu peninjau",
    "Appeals open": "Banding terbuka",
    "Sellers with the most points": "Penjual dengan poin terbanyak",
    "Seller": "Penjual", "Points": "Poin", "Standing": "Posisi", "Next step": "Tahap berikut",
    "At the last step": "Di tahap terakhir", "Violations": "Pelanggaran", "Day": "Hari",
    "Policy": "Kebijakan", "Expires": "Kedaluwarsa", "Why": "Alasan",
    "Actions and warnings": "Tindakan dan peringatan", "From": "Dari", "To": "Sampai",
    "Action": "Tindakan", "Status": "Status", "No violations.": "Tidak ada pelanggaran.",
    "No actions.": "Tidak ada tindakan.", "No appeals.": "Tidak ada banding.",
}  # fmt: skip


class Page:
    """What every page template receives: the user, their scopes, the CSRF token, language."""

    def __init__(self, request: Request, user: User, csrf: str) -> None:
        self.request, self.user, self.csrf = request, user, csrf
        self.lang = user.language if user.language in ("en", "id") else "en"

    def render(self, name: str, title: str, status: int = 200, **values: Any) -> HTMLResponse:
        def t(text: str) -> str:
            return INDONESIAN.get(text, text) if self.lang == "id" else text

        context = {
            "user": self.user,
            "scopes": ROLES[self.user.role],
            "csrf": self.csrf,
            "lang": self.lang,
            "t": t,
            "title": title,
            **values,
        }
        return templates.TemplateResponse(self.request, name, context, status_code=status)


class SignInRequiredError(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


def page(request: Request, unit: Session = Depends(session)) -> Iterator[Page]:
    try:
        user, found = current_user(unit, request.cookies.get(COOKIE))
    except AuthenticationError as exc:
        raise SignInRequiredError from exc
    yield Page(request, user, found.csrf_token)


def _scheme(request: Request, day: dt.date) -> Scheme:
    settings = request.app.state.settings
    return scheme_on(load_schemes(settings.governance_path), request.app.state.scheme, day)


def _caller(view: Page) -> Principal:
    return _principal(view.user, sorted(ROLES[view.user.role]))


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str = "", username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"user": None, "lang": "en", "t": str, "title": "Sign in", "error": error,
         "username": username, "login_csrf": token},
    )  # fmt: skip
    _cookie(request, response, LOGIN_COOKIE, token, max_age=600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(""),
    unit: Session = Depends(session),
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return login_form(request, "This form expired: please sign in again.", username)
    try:
        user = authenticate(unit, username, password)
    except AuthenticationError as exc:
        return login_form(request, str(exc).capitalize() + ".", username)
    cookie, _ = open_session(unit, user)
    response = RedirectResponse("/", status_code=303)
    _cookie(request, response, COOKIE, cookie, max_age=12 * 3600)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, csrf_token: str = Form(""), unit: Session = Depends(session)
) -> Response:
    cookie = request.cookies.get(COOKIE)
    check_csrf(unit, cookie, csrf_token)
    close_session(unit, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request, view: Page = Depends(page), unit: Session = Depends(session)
) -> Response:
    if view.user.role == "seller" and view.user.seller_id:
        return RedirectResponse(f"/sellers/{view.user.seller_id}", status_code=303)
    day = latest_run_day(unit) or dt.date.today()
    scheme = _scheme(request, day)
    points = balances(unit, day)
    actions = unit.scalars(select(EnforcementAction)).all()
    week = day - dt.timedelta(days=6)
    recent = unit.scalar(
        select(func.count()).where(PointsEntry.kind == "issue", PointsEntry.effective_on >= week)
    )
    kpis = [
        ("Sellers with points", sum(1 for p in points.values() if p > 0)),
        ("Violations, last 7 days", recent or 0),
        ("Actions in force", sum(a.in_force(day) for a in actions)),
        ("Waiting for a person", sum(a.status == "pending_review" for a in actions)),
        ("Appeals open", unit.scalar(select(func.count()).where(Appeal.status == "submitted"))),
    ]
    top = sorted(((s, p) for s, p in points.items() if p > 0), key=lambda x: -x[1])[:20]
    rows = [(s, p, scheme.standing(p, view.lang)) for s, p in top]
    return view.render("overview.html", "Overview", as_of=day, kpis=kpis, top=rows)


@router.get("/sellers/{seller_id}", response_class=HTMLResponse)
def seller_page(
    seller_id: str, request: Request, view: Page = Depends(page), unit: Session = Depends(session)
) -> Response:
    caller = _caller(view)
    violations = unit.scalars(
        select(PointsEntry)
        .where(PointsEntry.seller_id == seller_id, PointsEntry.kind == "issue")
        .order_by(PointsEntry.effective_on.desc())
    ).all()
    actions = unit.scalars(
        select(EnforcementAction)
        .where(EnforcementAction.seller_id == seller_id)
        .order_by(EnforcementAction.starts_on.desc())
    ).all()
    if (
        "governance:read" not in caller.scopes
        or not caller.may_see_seller(seller_id)
        or not (violations or actions)
    ):
        return view.render(
            "error.html", "Not found", 404, message=f"There is no seller {seller_id} to show."
        )
    day = latest_run_day(unit) or dt.date.today()
    scheme = _scheme(request, day)
    points = balance(unit, seller_id, day)
    step = scheme.next_step(points)
    return view.render(
        "seller.html",
        seller_id,
        seller_id=seller_id,
        standing=scheme.standing(points, view.lang),
        next_step=f"{scheme.threshold(step, view.lang)}: {step.describe(view.lang)}"
        if step
        else None,
        violations=violations,
        actions=actions,
    )


@router.get("/queue", response_class=HTMLResponse)
def queue_page(view: Page = Depends(page), unit: Session = Depends(session)) -> Response:
    if "governance:decide" not in _caller(view).scopes:
        return view.render("error.html", "Not allowed", 403, message="Your role cannot decide.")
    return view.render("queue.html", "Review queue", actions=review.waiting(unit))


@router.post("/actions/{action_id}/decision")
def decide_action_form(
    action_id: int,
    request: Request,
    decision: str = Form(...),
    reason: str = Form(...),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page),
    unit: Session = Depends(session),
) -> Response:
    refused = _refuse_decision(request, view, unit, csrf_token)
    if refused is not None:
        return refused
    day = dt.date.today()
    try:
        review.decide_action(
            unit, _scheme(request, day), action_id, decision, view.user.username, reason, day,
            warehouse_owners(Warehouse(request.app.state.settings.warehouse_dir)), version,
        )  # fmt: skip
    except PasarError as exc:
        return view.render("queue.html", "Review queue", 409, actions=review.waiting(unit),
                           error=str(exc))  # fmt: skip
    return RedirectResponse("/queue", status_code=303)


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(view: Page = Depends(page), unit: Session = Depends(session)) -> Response:
    caller = _caller(view)
    if "governance:read" not in caller.scopes:
        return view.render("error.html", "Not allowed", 403, message="Your role cannot see this.")
    query = select(Appeal).order_by(Appeal.submitted_on.desc(), Appeal.id.desc())
    if caller.sellers is not None:
        query = query.where(Appeal.seller_id.in_(sorted(caller.sellers)))
    return view.render(
        "appeals.html", "Appeals", appeals=unit.scalars(query).all(),
        can_decide="governance:decide" in caller.scopes,
    )  # fmt: skip


@router.post("/appeals/{appeal_id}/decision")
def decide_appeal_form(
    appeal_id: int,
    request: Request,
    decision: str = Form(...),
    reason: str = Form(...),
    version: int = Form(...),
    csrf_token: str = Form(""),
    view: Page = Depends(page),
    unit: Session = Depends(session),
) -> Response:
    refused = _refuse_decision(request, view, unit, csrf_token)
    if refused is not None:
        return refused
    day = dt.date.today()
    try:
        appeal_service.decide(
            unit, _scheme(request, day), appeal_id, decision, view.user.username, reason, day,
            version,
        )  # fmt: skip
    except PasarError as exc:
        return view.render("error.html", "Not decided", 409, message=str(exc))
    return RedirectResponse("/appeals", status_code=303)


def _refuse_decision(
    request: Request, view: Page, unit: Session, csrf_token: str
) -> Response | None:
    """The answer to a decision form that may not be taken (a wrong CSRF token raises)."""
    check_csrf(unit, request.cookies.get(COOKIE), csrf_token)
    if "governance:decide" in _caller(view).scopes:
        return None
    return view.render("error.html", "Not allowed", 403, message="Your role cannot decide.")


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    secure = bool(getattr(request.app.state.settings, "secure_cookies", False))
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
