"""Signing in and out of the console, and choosing its language.

The sign-in form carries its own CSRF token (a short-lived cookie) because there is no
session yet; after sign-in every form carries the session's token.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.auth.service import AuthenticationError, authenticate
from pasar.auth.sessions import COOKIE, check_csrf, close_session, open_session
from pasar.console.shell import Page, page, set_cookie, templates

router = APIRouter(include_in_schema=False)
LOGIN_COOKIE = "pasar_login"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, error: str = "", username: str = "") -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {"user": None, "lang": "en", "t": str, "title": "Sign in", "error": error,
         "username": username, "login_csrf": token},
    )  # fmt: skip
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=600)
    return response


@router.post("/login")
def login(
    request: Request,
    username: str = Form(...),
    password: str = Form(...),
    csrf_token: str = Form(""),
    unit: Session = Depends(session, scope="function"),
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
    set_cookie(request, response, COOKIE, cookie, max_age=12 * 3600)
    response.delete_cookie(LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(
    request: Request, csrf_token: str = Form(""), unit: Session = Depends(session, scope="function")
) -> Response:
    cookie = request.cookies.get(COOKIE)
    check_csrf(unit, cookie, csrf_token)
    close_session(unit, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.post("/language")
def choose_language(
    language: str = Form(...),
    back: str = Form("/"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Switch the signed-in user's console between English and Indonesian."""
    view.check_csrf(unit, csrf_token)
    if language in ("en", "id"):
        view.user.language = language
    target = back if back.startswith("/") and not back.startswith("//") else "/"
    return RedirectResponse(target, status_code=303)
