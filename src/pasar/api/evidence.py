"""Evidence files of appeals over the API: a seller attaches a file (PDF, PNG, JPEG or WebP,
told by its content; at most ``PASAR_EVIDENCE_MAX_BYTES``) to its appeal while it waits, and
whoever may see the appeal downloads its files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from pasar.api.access import Principal, needs, session
from pasar.api.governance import AppealOut, appeal_out
from pasar.api.pages import MAX_ID, NO_NUL, errors
from pasar.governance import appeals as appeal_service
from pasar.governance import evidence
from pasar.governance.models import Appeal
from pasar.kit.errors import NotFoundError

router = APIRouter(tags=["governance"], responses=errors(401, 403, 422))
AppealId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _appeal(unit: Session, caller: Principal, appeal_id: int) -> Appeal:
    appeal = unit.get(Appeal, appeal_id)
    if appeal is None or not caller.may_see_seller(appeal.seller_id):
        raise NotFoundError(f"no appeal {appeal_id}")
    return appeal


@router.post(
    "/appeals/{appeal_id}/evidence",
    response_model=AppealOut,
    status_code=201,
    responses=errors(400, 404, 409),
)
def attach_evidence(
    appeal_id: AppealId,
    request: Request,
    file: UploadFile = File(..., description="PDF, PNG, JPEG or WebP"),
    item: str = Form(..., min_length=1, max_length=200, pattern=NO_NUL),
    caller: Principal = Depends(needs("governance:appeal")),
    unit: Session = Depends(session, scope="function"),
) -> AppealOut:
    """Attach a file for checklist ``item`` to one of the caller's waiting appeals."""
    appeal = _appeal(unit, caller, appeal_id)
    settings = request.app.state.settings
    data = file.file.read(settings.evidence_max_bytes + 1)
    prepared = evidence.prepare(file.filename or "evidence", data, settings.evidence_max_bytes)
    appeal_service.attach(unit, appeal.id, item, prepared, f"user:{caller.username}")
    evidence.keep(settings.evidence_dir, prepared, data)
    return appeal_out(appeal)


@router.get(
    "/appeals/{appeal_id}/evidence/{index}",
    response_class=FileResponse,
    responses={**errors(404), 200: {"content": {t: {} for t in evidence.ACCEPTED}}},
)
def evidence_file(
    appeal_id: AppealId,
    index: Annotated[int, Path(ge=0, le=100)],
    request: Request,
    caller: Principal = Depends(needs("governance:read")),
    unit: Session = Depends(session, scope="function"),
) -> FileResponse:
    """The ``index``-th file of an appeal (counting files only, from 0)."""
    appeal = _appeal(unit, caller, appeal_id)
    files = [e for e in appeal.evidence if e.get("stored")]
    if index >= len(files):
        raise NotFoundError(f"appeal {appeal_id} has no file {index}")
    chosen = files[index]
    path = evidence.open_stored(request.app.state.settings.evidence_dir, chosen["stored"])
    return FileResponse(
        path,
        media_type=chosen["media_type"],
        filename=chosen["file"],
        headers={"x-content-type-options": "nosniff"},
    )
