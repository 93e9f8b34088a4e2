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
from typing import Any
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

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(show=show, local_time=local_time)

STAFF = {role for role in ROLES if role not in CONFINED}
# (label, path, scope needed or None, roles it is for or None)
NAVIGATION: list[tuple[str, str, str | None, set[str] | None]] = [
    ("Overview", "/", "governance:read", STAFF),
    ("Sellers", "/sellers", "governance:read", STAFF),
    ("Review queue", "/queue", "governance:decide", None),
    ("Appeals", "/appeals", "governance:read", None),
    ("Plans of action", "/plans", "governance:read", None),
    ("Creators", "/creators", "creators:read", None),
    ("Policies", "/policies", "policies:read", None),
    ("Metrics", "/explore", "metrics:read", None),
    ("Audit log", "/audit", "audit:read", None),
]


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
        navigation = [
            (label, path)
            for label, path, scope, roles in NAVIGATION
            if (scope is None or scope in self.scopes)
            and (roles is None or self.user.role in roles)
        ]
        context = {
            "user": self.user,
            "scopes": self.scopes,
            "csrf": self.csrf,
            "lang": self.lang,
            "t": self.t,
            "title": title,
            "navigation": navigation,
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
    titles = {403: "Not allowed", 404: "Not found", 409: "Not done", 413: "Too large"}
    context = {
        "user": None,
        "lang": "en",
        "t": str,
        "title": titles.get(status, "Not done"),
        "message": message,
    }
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


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
