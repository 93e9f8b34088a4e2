"""The seller portal's forms: appeal a violation (with evidence files) and submit a plan of
action for an action that needs one; and evidence files opened by those who may see them.

Uploads are checked by :mod:`pasar.governance.evidence` (type by content, size, count) and
refused with the reason on the form; no file is kept unless the whole appeal is valid.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from pasar.api.access import session
from pasar.api.governance import scheme_for
from pasar.console.shell import Page, page
from pasar.governance import appeals as appeal_service
from pasar.governance import evidence
from pasar.governance import plans as plan_service
from pasar.governance.models import Appeal, EnforcementAction, PointsEntry
from pasar.governance.scheme import Scheme
from pasar.kit.errors import PasarError, ValidationError

router = APIRouter(include_in_schema=False)
FORM_FIELD_BYTES = 64 * 1024


def _violation(view: Page, unit: Session, violation_id: int) -> PointsEntry | Response:
    """The violation the user may appeal, or the page refusing it (403 without the scope, 404
    for one it may not see)."""
    if not view.can("governance:appeal"):
        return view.error(403, "Not allowed", "Only the shop itself appeals its violations.")
    entry = unit.get(PointsEntry, violation_id)
    if entry is None or entry.kind != "issue" or not view.caller.may_see_seller(entry.seller_id):
        return view.error(404, "Not found", f"There is no violation {violation_id} to appeal.")
    return entry


@router.get("/violations/{violation_id}/appeal")
def appeal_form(
    violation_id: int,
    request: Request,
    reason: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The appeal form: pick a reason, then give each piece of evidence it needs."""
    entry = _violation(view, unit, violation_id)
    if isinstance(entry, Response):
        return entry
    return _render_form(view, scheme_for(request, dt.date.today()), entry, reason)


def _render_form(
    view: Page,
    scheme: Scheme,
    entry: PointsEntry,
    reason: str,
    status: int = 200,
    error: str = "",
    given: dict[str, str] | None = None,
    statement: str = "",
) -> Response:
    rules = scheme.appeals
    reasons = {} if rules is None else rules.reasons
    chosen = reasons.get(reason)
    return view.render(
        "appeal_form.html",
        view.t("Appeal"),
        status,
        entry=entry,
        why=(entry.explanation_id if view.lang == "id" else entry.explanation_en) or "",
        reasons=[
            (name, r.label.get("id" if view.lang == "id" else "en", name))
            for name, r in reasons.items()
        ],
        reason=reason if chosen else "",
        checklist=chosen.evidence if chosen else [],
        error=error,
        given=given or {},
        statement=statement,
        max_files=evidence.MAX_FILES,
        max_mb=request_limit_mb(view),
    )


def request_limit_mb(view: Page) -> float:
    return float(view.request.app.state.settings.evidence_max_bytes) / 1024 / 1024


@router.post("/violations/{violation_id}/appeal")
async def submit_appeal_form(
    violation_id: int,
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Check the CSRF token, the evidence and the files, then record the appeal."""
    settings = request.app.state.settings
    limit = settings.evidence_max_bytes
    declared = int(request.headers.get("content-length") or 0)
    if declared > evidence.MAX_FILES * limit + 1024 * 1024:
        return view.error(
            413,
            "Too large",
            f"An appeal carries at most {evidence.MAX_FILES} "
            f"files of {request_limit_mb(view):.0f} MB.",
        )
    form = await _read_form(
        request,
        view,
        max_files=evidence.MAX_FILES + 1,
        max_fields=60,
        max_part_size=FORM_FIELD_BYTES,
    )
    if isinstance(form, Response):
        return form
    view.check_csrf(unit, _text(form, "csrf_token"))
    return await run_in_threadpool(_submit_appeal, violation_id, request, form, view, unit)


async def _read_form(request: Request, view: Page, **limits: int) -> FormData | Response:
    """The posted form, or a page saying why the parser refused it (a field or a file too
    large, too many of them, a malformed body)."""
    try:
        return await request.form(**limits)
    except HTTPException as exc:  # Starlette's answer to its parser's refusal
        message = str(exc.detail)
        status = 413 if "maximum" in message.lower() else 400
        return view.error(status, "Not accepted", f"The form was refused: {message}")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _submit_appeal(
    violation_id: int, request: Request, form: FormData, view: Page, unit: Session
) -> Response:
    entry = _violation(view, unit, violation_id)
    if isinstance(entry, Response):
        return entry
    settings = request.app.state.settings
    day = dt.date.today()
    scheme = scheme_for(request, day)
    reason, statement = _text(form, "reason"), _text(form, "statement")
    checklist = (
        scheme.appeals.reasons[reason].evidence
        if scheme.appeals and reason in scheme.appeals.reasons
        else []
    )
    given = {item: _text(form, f"evidence_{i}") for i, item in enumerate(checklist)}
    try:
        _no_nul({"statement": statement, **given})
        # no checklist: an unknown reason, which the appeal service refuses by name
        uploads = _uploads(form, checklist, settings.evidence_max_bytes) if checklist else {}
        prepared = {
            item: evidence.prepare(name, data, settings.evidence_max_bytes)
            for item, (name, data) in uploads.items()
        }
        appeal_service.submit(
            unit,
            scheme,
            entry.id,
            reason,
            given,
            statement,
            day,
            f"user:{view.user.username}",
            prepared,
        )
        for item, file in prepared.items():  # kept only once the appeal is valid
            evidence.keep(settings.evidence_dir, file, uploads[item][1])
    except PasarError as exc:
        unit.rollback()
        return _render_form(view, scheme, entry, reason, 422, str(exc), given, statement)
    return RedirectResponse(f"/sellers/{entry.seller_id}#appeals", status_code=303)


def _no_nul(texts: dict[str, str]) -> None:
    """Refuse text holding a NUL character (no database text column can keep one)."""
    for name, text in texts.items():
        if "\x00" in text:
            raise ValidationError(f"{name}: NUL characters are not allowed", field=name)


def _uploads(form: FormData, checklist: list[str], limit: int) -> dict[str, tuple[str, bytes]]:
    """Checklist item → (name, bytes) of each file given, checked before anything is stored."""
    fields = {f"file_{i}": item for i, item in enumerate(checklist)}
    files = [(k, v) for k, v in form.multi_items() if isinstance(v, UploadFile)]
    given = [(k, v) for k, v in files if v.filename]  # an empty file input sends no name
    if len(given) > evidence.MAX_FILES:
        raise ValidationError(f"at most {evidence.MAX_FILES} evidence files", field="evidence")
    extra = [k for k, _ in files if k not in fields]
    if extra:
        raise ValidationError(f"unexpected file field {extra[0]!r}", field="evidence")
    names = [k for k, _ in given]
    twice = sorted({k for k in names if names.count(k) > 1})
    if twice:
        raise ValidationError(f"one file per item ({fields[twice[0]]})", field="evidence")
    found: dict[str, tuple[str, bytes]] = {}
    for name, upload in given:
        assert upload.filename
        upload.file.seek(0)
        data = upload.file.read(limit + 1)
        evidence.check(upload.filename, data, limit)
        found[fields[name]] = (upload.filename, data)
    return found


@router.get("/appeals/{appeal_id}/evidence/{index}")
def evidence_file(
    appeal_id: int,
    index: int,
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """One evidence file of an appeal, as an attachment, to those who may see the appeal."""
    appeal = unit.get(Appeal, appeal_id)
    files: list[dict[str, Any]] = [
        e for e in (appeal.evidence if appeal else []) if e.get("stored")
    ]
    if (
        appeal is None
        or not view.can("governance:read")
        or not view.caller.may_see_seller(appeal.seller_id)
        or not 0 <= index < len(files)
    ):
        return view.error(404, "Not found", "There is no such evidence file.")
    chosen = files[index]
    try:
        path = evidence.open_stored(request.app.state.settings.evidence_dir, chosen["stored"])
    except PasarError:
        return view.error(404, "Not found", "The evidence file is no longer kept.")
    return FileResponse(
        path,
        media_type=chosen["media_type"],
        filename=chosen["file"],
        headers={"x-content-type-options": "nosniff"},
    )


def _action(view: Page, unit: Session, action_id: int) -> EnforcementAction | Response:
    """The action the user may submit a plan for, or the page refusing it."""
    if not view.can("governance:appeal"):
        return view.error(403, "Not allowed", "Only the shop itself submits its plan of action.")
    action = unit.get(EnforcementAction, action_id)
    if (
        action is None
        or action.source == "warning"
        or not view.caller.may_see_seller(action.seller_id)
    ):
        return view.error(404, "Not found", f"There is no action {action_id}.")
    return action


PLAN_FIELDS = ("root_causes", "corrective_actions", "preventive_measures", "evidence")


@router.get("/actions/{action_id}/plan")
def plan_form(
    action_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The plan-of-action form: root causes, corrective actions, prevention, evidence."""
    action = _action(view, unit, action_id)
    if isinstance(action, Response):
        return action
    return view.render("plan_form.html", view.t("Submit a plan of action"), action=action, given={})


@router.post("/actions/{action_id}/plan")
async def submit_plan_form(
    action_id: int,
    request: Request,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Record a new revision of the plan (one item per line in each field)."""
    form = await _read_form(
        request, view, max_files=0, max_fields=20, max_part_size=FORM_FIELD_BYTES
    )
    if isinstance(form, Response):
        return form
    view.check_csrf(unit, _text(form, "csrf_token"))
    return await run_in_threadpool(_submit_plan, action_id, request, form, view, unit)


def _submit_plan(
    action_id: int, request: Request, form: FormData, view: Page, unit: Session
) -> Response:
    action = _action(view, unit, action_id)
    if isinstance(action, Response):
        return action
    given = {name: _text(form, name) for name in PLAN_FIELDS}
    lines = {
        name: [line.strip() for line in text.splitlines() if line.strip()]
        for name, text in given.items()
    }
    day = dt.date.today()
    try:
        _no_nul({name.replace("_", " "): text for name, text in given.items()})
        plan_service.submit_plan(
            unit,
            scheme_for(request, day),
            action_id,
            lines["root_causes"],
            lines["corrective_actions"],
            lines["preventive_measures"],
            lines["evidence"],
            day,
            f"user:{view.user.username}",
        )
    except PasarError as exc:
        unit.rollback()
        return view.render(
            "plan_form.html",
            view.t("Submit a plan of action"),
            422,
            action=action,
            given=given,
            error=str(exc),
        )
    return RedirectResponse(f"/sellers/{action.seller_id}#plans", status_code=303)
