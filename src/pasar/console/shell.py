"""What every console page shares: the signed-in user (else a redirect to ``/login``), the
CSRF token for its forms, the language, the navigation, and rendering — including answering
``?download=<table>&format=csv|xlsx`` with that table as a file.

Example::

    @router.get("/sellers")
    def sellers(view: Page = Depends(page, scope="function")) -> Response:
        return view.render("sellers.html", "Sellers", sellers=Table(...))
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from pasar.api.access import Principal, principal_of, session
from pasar.auth.models import User
from pasar.auth.roles import CONFINED, ROLES
from pasar.auth.service import AuthenticationError
from pasar.auth.sessions import COOKIE, check_csrf, current_user
from pasar.console.formats import local_time, show
from pasar.console.labels import translate
from pasar.console.tables import download as download_table
from pasar.console.tables import find, turn_pages
from pasar.kit.errors import ValidationError

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(show=show, local_time=local_time)

STAFF = {role for role in ROLES if role not in CONFINED}


class NavEntry(NamedTuple):
    """A page in the menu: its section, label, path, the scope it needs (or None) and the roles
    it is for (or None: every role with the scope)."""

    section: str
    label: str
    path: str
    scope: str | None
    roles: set[str] | None


NAVIGATION: list[NavEntry] = [
    NavEntry("Governance", "Overview", "/", "governance:read", STAFF),
    NavEntry("Governance", "Sellers", "/sellers", "governance:read", STAFF),
    NavEntry("Governance", "Review queue", "/queue", "governance:decide", None),
    NavEntry("Governance", "Appeals", "/appeals", "governance:read", None),
    NavEntry("Governance", "Plans of action", "/plans", "governance:read", None),
    NavEntry("Creators", "Creators", "/creators", "creators:read", None),
    NavEntry("Creators", "Analytics", "/creators/analytics", "creators:read", STAFF),
    NavEntry("Creators", "Funnel and agents", "/creators/funnel", "creators:read", STAFF),
    NavEntry("Creators", "Agents and agencies", "/creators/agents", "creators:assign", None),
    NavEntry("Creators", "Matching", "/creators/match", "creators:read", None),
    NavEntry("Creators", "Outreach", "/outreach", "creators:read", STAFF),
    NavEntry("Creators", "Samples", "/samples", "creators:read", STAFF),
    NavEntry("Creators", "Creator issues", "/creator-issues", "creators:read", STAFF),
    NavEntry("Creators", "My collaborations", "/my-collaborations", "creators:read", {"creator"}),
    NavEntry("Creators", "Targets", "/creators/targets", "creators:read", STAFF - {"agent"}),
    NavEntry("Creators", "Budget allocation", "/creators/allocation", "creators:manage", None),
    NavEntry("Incentives", "Incentives", "/incentives", "incentives:read", None),
    NavEntry("Incentives", "My programs", "/incentives/mine", "incentives:own", {"seller"}),
    NavEntry("Readiness", "Readiness", "/readiness", "readiness:read", None),
    NavEntry("Platform", "Policies", "/policies", "policies:read", None),
    NavEntry("Platform", "Metrics", "/explore", "metrics:read", None),
    NavEntry("Platform", "Audit log", "/audit", "audit:read", None),
]


class MenuLink(NamedTuple):
    label: str
    path: str
    here: bool


def menu(scopes: frozenset[str], role: str, path: str) -> tuple[list[MenuLink], list[MenuLink]]:
    """The menu of a user on ``path``: a link to the first page of each section it may open
    (the top row), and the pages of the section ``path`` belongs to (the second row, shown when
    the section has more than one page).

    Example::

        sections, pages = menu(ROLES["analyst"], "analyst", "/creators/funnel")
        # sections: Governance, Creators (here), Incentives, Readiness, Platform
        # pages: Creators, Analytics, Funnel and agents (here), Matching, …
    """
    visible = [
        entry
        for entry in NAVIGATION
        if (entry.scope is None or entry.scope in scopes) and role in roles_of(entry)
    ]
    here = max(
        (e for e in visible if path == e.path or (e.path != "/" and path.startswith(e.path))),
        key=lambda e: len(e.path),
        default=None,
    )
    firsts: dict[str, NavEntry] = {}
    for entry in visible:
        firsts.setdefault(entry.section, entry)
    current = here.section if here else None
    sections = [MenuLink(name, e.path, name == current) for name, e in firsts.items()]
    pages = [MenuLink(e.label, e.path, e is here) for e in visible if e.section == current]
    return sections, pages if len(pages) > 1 else []


def roles_of(entry: NavEntry) -> set[str]:
    return entry.roles if entry.roles is not None else set(ROLES)


class SignInRequiredError(Exception):
    """No valid session: the page answers with a redirect to the sign-in form."""


class Page:
    """A page being answered for a signed-in user: their scopes, CSRF token and language."""

    def __init__(self, request: Request, user: User, csrf: str, caller: Principal) -> None:
        self.request, self.user, self.csrf = request, user, csrf
        self.lang = user.language if user.language in ("en", "id") else "en"
        self.scopes = ROLES[user.role]
        self._caller = caller

    @property
    def caller(self) -> Principal:
        """The user as the API sees them (scopes, and the shops or creators they are confined
        to)."""
        return self._caller

    def t(self, text: str) -> str:
        return translate(text, self.lang)

    def can(self, scope: str) -> bool:
        return scope in self.scopes

    def check_csrf(self, unit: Session, token: str) -> None:
        """Refuse (403) a form that does not carry this session's CSRF token."""
        check_csrf(unit, self.request.cookies.get(COOKIE), token)

    def download_url(self, table: str, form: str) -> str:
        """This page's address asking for ``table`` as a ``form`` file."""
        return self.url(download=table, format=form)

    def url(self, **changes: str | int) -> str:
        """This page's address with some query parameters changed."""
        query = {
            k: v for k, v in self.request.query_params.items() if k not in ("download", "format")
        }
        query.update({k: str(v) for k, v in changes.items()})
        return f"{self.request.url.path}?{urlencode(query)}"

    def render(self, name: str, title: str, status: int = 200, **values: Any) -> Response:
        """The page from template ``name`` — or, when asked, one of its tables as a file."""
        wanted = self.request.query_params.get("download")
        if wanted and name != "error.html":
            table = find(values, wanted)
            if table is None:
                return self.error(404, "Not found", f"This page has no table {wanted!r}.")
            return download_table(table, self.request.query_params.get("format", "csv"), self.t)
        turn_pages(values, self.request.query_params)
        sections, pages = menu(self.scopes, self.user.role, self.request.url.path)
        context = {
            "user": self.user,
            "scopes": self.scopes,
            "csrf": self.csrf,
            "lang": self.lang,
            "t": self.t,
            "title": title,
            "sections": sections,
            "pages": pages,
            "view": self,
            "path": self.request.url.path,
            **values,
        }
        return templates.TemplateResponse(self.request, name, context, status_code=status)

    def error(self, status: int, title: str, message: str) -> Response:
        """A page explaining why nothing is shown (403 not allowed, 404 not found …)."""
        return self.render("error.html", title, status, message=message)


def error_page(request: Request, status: int, message: str) -> Response:
    """An error page for a console request refused before its page could be built (a stale
    form, a field the form lacks): said in words, with a way back, never as JSON."""
    titles = {
        403: "Not allowed",
        404: "Not found",
        409: "Not done",
        413: "Too large",
        503: "Try again in a moment",
    }
    context = {
        "user": None,
        "lang": "en",
        "t": str,
        "title": titles.get(status, "Not done"),
        "message": message,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


FORM_ENCODED = "application/x-www-form-urlencoded"


async def refuse_nul_characters(request: Request) -> None:
    """Console forms: a field holding a NUL character is refused on every store alike
    (PostgreSQL text cannot keep one). Only URL-encoded forms: FastAPI has read them already;
    multipart forms are read by their pages with their own limits (and check NUL there)."""
    content_type = request.headers.get("content-type", "")
    if request.method != "POST" or not content_type.startswith(FORM_ENCODED):
        return
    for name, value in (await request.form()).multi_items():
        if isinstance(value, str) and "\x00" in value:
            raise ValidationError(f"{name}: NUL characters are not allowed", field=name)


def page(request: Request, unit: Session = Depends(session, scope="function")) -> Page:
    """The dependency of every console page: the signed-in user's :class:`Page`."""
    try:
        user, found = current_user(unit, request.cookies.get(COOKIE))
    except AuthenticationError as exc:
        raise SignInRequiredError from exc
    return Page(request, user, found.csrf_token, principal_of(unit, user, sorted(ROLES[user.role])))


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie (Secure when the server runs behind HTTPS)."""
    secure = bool(getattr(request.app.state.settings, "secure_cookies", False))
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
