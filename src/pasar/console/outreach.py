"""Console pages of creator collaboration: the pitching pipeline (a board per stage, a table
with bulk actions, overdue reminders) at ``/outreach``, samples with their deadlines and
overdue flags plus sample vouchers at ``/samples``, the issue desk with SLA clocks at
``/creator-issues``, and the creator portal at ``/my-collaborations`` (a creator's samples
and deadlines, pitches and issues, with what the creator may do on each).

Agents see and act only on their assigned creators, creators only on themselves; every form
carries the CSRF token and the version of the row it acts on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from pasar.api.access import session
from pasar.console.labels import INDONESIAN
from pasar.console.shell import Page, page
from pasar.console.tables import Column, Table
from pasar.creators import issues, pipeline, pitches, sample_rules, samples, vouchers
from pasar.creators.collaboration_models import (
    CreatorIssue,
    Pitch,
    SampleRequest,
    SampleVoucher,
)
from pasar.creators.days import today
from pasar.creators.eligibility import policies_for, standing_of
from pasar.creators.people import usernames_with
from pasar.kit.clock import now
from pasar.kit.errors import PasarError, ValidationError

router = APIRouter(include_in_schema=False)
BOARD_CARDS = 25  # cards shown per stage column (the table below has them all)

INDONESIAN.update(
    {
        "Outreach": "Penjangkauan",
        "Samples": "Sampel",
        "Creator issues": "Masalah kreator",
        "My collaborations": "Kolaborasi saya",
        "Pipeline": "Pipeline",
        "shortlisted": "daftar pendek",
        "contacted": "dihubungi",
        "replied": "membalas",
        "agreed": "setuju",
        "sample_sent": "sampel dikirim",
        "content_posted": "konten diunggah",
        "selling": "berjualan",
        "declined": "ditolak",
        "ghosted": "tidak membalas",
        "Pitches": "Penawaran",
        "Owner": "Penanggung jawab",
        "Stage": "Tahap",
        "Next action": "Tindakan berikut",
        "By": "Paling lambat",
        "Overdue": "Terlambat",
        "Overdue next actions": "Tindakan berikut yang terlambat",
        "My overdue next actions": "Tindakan saya yang terlambat",
        "No next action is overdue.": "Tidak ada tindakan yang terlambat.",
        "Pitch a creator": "Tawarkan kreator",
        "Add": "Tambah",
        "Apply": "Terapkan",
        "With the selected pitches": "Untuk penawaran terpilih",
        "advance": "majukan",
        "assign": "alihkan",
        "decline": "tolak",
        "to": "ke",
        "next stage": "tahap berikut",
        "Outreach this week": "Penjangkauan minggu ini",
        "Product": "Produk",
        "Kind": "Jenis",
        "Waits for": "Menunggu",
        "Due": "Tenggat",
        "Point of contact": "Narahubung",
        "Request a sample": "Minta sampel",
        "Overdue content": "Konten terlambat",
        "Overdue content by point of contact": "Konten terlambat per narahubung",
        "No sample content is overdue.": "Tidak ada konten sampel yang terlambat.",
        "Sample vouchers": "Voucher sampel",
        "Budget": "Anggaran",
        "Spent": "Terpakai",
        "Left": "Sisa",
        "Face value": "Nilai",
        "Redeemed": "Ditukar",
        "Create a voucher": "Buat voucher",
        "Redeem a code": "Tukar kode",
        "Record deadlines": "Catat tenggat",
        "Escalate breached issues": "Eskalasi masalah yang melewati SLA",
        "Open an issue": "Buka masalah",
        "First response": "Respons pertama",
        "Resolution": "Penyelesaian",
        "Level": "Level",
        "Priority": "Prioritas",
        "Title": "Judul",
        "Raised by": "Dilaporkan oleh",
        "Respond": "Tanggapi",
        "Resolve": "Selesaikan",
        "Reopen": "Buka kembali",
        "My samples and deadlines": "Sampel dan tenggat saya",
        "My pitches": "Penawaran saya",
        "My issues": "Masalah saya",
        "extension": "perpanjangan",
        "Notes": "Catatan",
        "No pitches.": "Tidak ada penawaran.",
        "No samples.": "Tidak ada sampel.",
        "No issues.": "Tidak ada masalah.",
        "No vouchers.": "Tidak ada voucher.",
        "requested": "diminta",
        "approved": "disetujui",
        "shipped": "dikirim",
        "delivered": "diterima",
        "posted": "diunggah",
        "expired": "kedaluwarsa",
        "withdrawn": "ditarik",
        "cancelled": "dibatalkan",
        "open": "terbuka",
        "responded": "ditanggapi",
        "resolved": "selesai",
        "urgent": "mendesak",
        "high": "tinggi",
        "normal": "normal",
        "low": "rendah",
    }
)


# --- the pipeline ---------------------------------------------------------------------------


@router.get("/outreach")
def outreach_page(
    stage: str = "",
    owner: str = "",
    seller: str = "",
    overdue: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The pipeline: overdue reminders, a board per stage, the table with bulk actions."""
    if not view.can("creators:read") or view.user.role == "creator":
        return view.error(403, "Not allowed", "Your role cannot see the pitching pipeline.")
    return _outreach(
        view, unit, {"stage": stage, "owner": owner, "seller": seller, "overdue": overdue}
    )


def _outreach(
    view: Page, unit: Session, filters: dict[str, str], status: int = 200, error: str = ""
) -> Response:
    day = today()
    visible = view.caller.creators
    query = pitches.pitch_query(
        visible,
        seller_id=filters["seller"] or None,
        stage=filters["stage"] or None,
        owner=filters["owner"] or None,
        overdue_on=day if filters["overdue"] else None,
    )
    rows = list(unit.scalars(query.order_by(Pitch.stage_changed_at.desc(), Pitch.id.desc())))
    board = [
        (
            stage,
            [p for p in rows if p.stage == stage][:BOARD_CARDS],
            sum(1 for p in rows if p.stage == stage),
        )
        for stage in pipeline.STAGES
    ]
    reminders = pitches.overdue(unit, day, visible)
    mine = reminders.get(view.user.username, [])
    can_manage = view.can("creators:manage")
    return view.render(
        "outreach.html",
        "Outreach",
        status,
        board=board,
        pitches=_pitch_table(rows, day),
        mine=_pitch_table(
            mine, day, "mine", "My overdue next actions", "No next action is overdue."
        ),
        owners=[(name, len(ps)) for name, ps in reminders.items()],
        filters=filters,
        stages=pipeline.ALL_STAGES,
        open_stages=pipeline.STAGES,
        channels=pipeline.CHANNELS,
        workers=usernames_with(unit, "creators:manage") if can_manage else [],
        can_manage=can_manage,
        error=error,
        day=day,
    )


def _pitch_table(
    rows: Sequence[Pitch],
    day: dt.date,
    name: str = "pitches",
    title: str = "Pitches",
    empty: str = "No pitches.",
) -> Table:
    return Table(
        name,
        title,
        [
            Column("id", "#", "int"),
            Column("seller_id", "Seller"),
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("product_id", "Product"),
            Column("stage", "Stage", "badge"),
            Column("owner", "Owner"),
            Column("next_action", "Next action"),
            Column("next_action_on", "By", "date"),
            Column("late", "Overdue", "badge"),
        ],
        [
            {
                "id": p.id,
                "version": p.version,
                "seller_id": p.seller_id,
                "creator_id": p.creator_id,
                "product_id": p.product_id,
                "stage": p.stage,
                "owner": p.owner,
                "next_action": p.next_action,
                "next_action_on": p.next_action_on,
                "late": "overdue"
                if pipeline.is_open(p.stage) and p.next_action_on and p.next_action_on < day
                else "",
            }
            for p in rows
        ],
        empty=empty,
    )


@router.post("/outreach/pitches")
def add_pitch_form(
    seller_id: str = Form(""),
    creator_id: str = Form(""),
    owner: str = Form(""),
    product_id: str = Form(""),
    channel: str = Form(""),
    next_action: str = Form(""),
    next_action_on: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Pitch a creator for a seller."""
    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        lambda: pitches.add_pitch(
            unit,
            seller_id=seller_id,
            creator_id=creator_id,
            owner=owner or view.user.username,
            actor=_actor(view),
            product_id=product_id or None,
            channel=channel or None,
            next_action=next_action or None,
            next_action_on=_day(next_action_on, "next_action_on"),
            visible=view.caller.creators,
        ),
        "/outreach",
        lambda error: _outreach(view, unit, _no_filters(), 422, error),
    )


@router.post("/outreach/pitches/{pitch_id}")
def update_pitch_form(
    pitch_id: int,
    next_action: str = Form(""),
    next_action_on: str = Form(""),
    notes: str = Form(""),
    version: int = Form(0),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Set a pitch's next action and its date (and notes), on the version seen."""
    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        lambda: pitches.update_pitch(
            unit,
            pitch_id,
            _actor(view),
            version=version or None,
            notes=notes or None,
            next_action=next_action or None,
            next_action_on=_day(next_action_on, "next_action_on"),
            visible=view.caller.creators,
        ),
        "/outreach",
        lambda error: _outreach(view, unit, _no_filters(), 422, error),
    )


@router.post("/outreach/bulk")
def bulk_form(
    action: str = Form(""),
    pitch: list[str] = Form(default_factory=list),
    to: str = Form(""),
    owner: str = Form(""),
    reason: str = Form(""),
    back: str = Form("/outreach"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Advance, assign or decline the ticked pitches: all of them or none."""

    def run() -> object:
        rows = [_id_version(value) for value in pitch]
        return pitches.bulk(
            unit,
            action,
            rows,
            _actor(view),
            to=to or None,
            owner=owner or None,
            reason=reason or None,
            visible=view.caller.creators,
        )

    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        run,
        _back(back, "/outreach"),
        lambda error: _outreach(view, unit, _no_filters(), 422, error),
    )


# --- samples and vouchers -------------------------------------------------------------------


@router.get("/samples")
def samples_page(
    status: str = "",
    creator: str = "",
    contact: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Samples with their next deadline and overdue flags, overdue content per point of
    contact, and the sample vouchers."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see samples.")
    if view.user.role == "creator":
        return RedirectResponse("/my-collaborations", status_code=303)
    return _samples(view, unit, {"status": status, "creator": creator, "contact": contact})


def _samples(
    view: Page, unit: Session, filters: dict[str, str], status: int = 200, error: str = ""
) -> Response:
    visible = view.caller.creators
    query = samples.sample_query(
        visible,
        status=filters["status"] or None,
        creator_id=filters["creator"] or None,
        contact=filters["contact"] or None,
    ).order_by(SampleRequest.requested_at.desc(), SampleRequest.id.desc())
    rows = list(unit.scalars(query))
    overdue = samples.overdue(unit, visible)
    voucher_rows = list(unit.scalars(vouchers.voucher_query(visible).order_by(SampleVoucher.id)))
    can_manage = view.can("creators:manage")
    return view.render(
        "creator_samples.html",
        "Samples",
        status,
        samples=_sample_table(rows),
        overdue=[
            (contact or "—", _sample_table(ss, f"overdue_{i}", contact or "—"))
            for i, (contact, ss) in enumerate(overdue.items())
        ],
        vouchers=_voucher_table(voucher_rows),
        filters=filters,
        statuses=sample_rules.STATUSES,
        can_manage=can_manage,
        can_request=view.can("creators:request"),
        workers=usernames_with(unit, "creators:manage") if can_manage else [],
        error=error,
    )


def _sample_table(
    rows: Sequence[SampleRequest], name: str = "samples", title: str = "Samples"
) -> Table:
    moment = now()
    shown = []
    for s in rows:
        deadline = samples.deadline(s, moment)
        flag = "overdue" if deadline["overdue"] else ("extension" if deadline["extended"] else "")
        shown.append(
            {
                "id": s.id,
                "version": s.version,
                "creator_id": s.creator_id,
                "seller_id": s.seller_id,
                "product_id": s.product_id,
                "kind": s.kind,
                "status": deadline["status"],
                "raw_status": s.status,
                "what": deadline["what"],
                "due": deadline["due"],
                "flag": flag,
                "contact": s.point_of_contact,
                "extended": deadline["extended"],
                "content_url": s.content_url,
            }
        )
    return Table(
        name,
        title,
        [
            Column("id", "#", "int"),
            Column("creator_id", "Creator", href="/creators/{creator_id}"),
            Column("seller_id", "Seller"),
            Column("product_id", "Product"),
            Column("kind", "Kind"),
            Column("status", "Status", "badge"),
            Column("what", "Waits for"),
            Column("due", "Due", "datetime"),
            Column("flag", "Overdue", "badge"),
            Column("contact", "Point of contact"),
        ],
        shown,
        empty="No samples.",
    )


def _voucher_table(rows: Sequence[SampleVoucher]) -> Table:
    return Table(
        "vouchers",
        "Sample vouchers",
        [
            Column("id", "#", "int"),
            Column("seller_id", "Seller"),
            Column("name", "Name"),
            Column("face_value", "Face value", "money"),
            Column("budget", "Budget", "money"),
            Column("spent", "Spent", "money"),
            Column("left", "Left", "money"),
            Column("redemptions", "Redeemed", "int"),
            Column("status", "Status", "badge"),
        ],
        [
            {
                "id": v.id,
                "seller_id": v.seller_id,
                "name": v.name,
                "face_value": v.face_value,
                "budget": v.budget,
                "spent": v.spent,
                "left": v.budget - v.spent,
                "redemptions": v.redemptions,
                "status": v.status,
            }
            for v in rows
        ],
        empty="No vouchers.",
    )


@router.post("/samples/request")
def request_sample_form(
    request: Request,
    creator_id: str = Form(""),
    seller_id: str = Form(""),
    product_id: str = Form(""),
    kind: str = Form("free"),
    refund_goal_orders: str = Form(""),
    back: str = Form("/samples"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Request a sample (a creator for itself); refusals explain the eligibility checks."""
    settings = request.app.state.settings
    creator = creator_id or (view.user.creator_id or "")

    def run() -> object:
        if view.caller.creators is not None and creator not in view.caller.creators:
            raise ValidationError(f"creator_id: no creator {creator} of yours", field="creator_id")
        standing = standing_of(unit, settings, creator, today(), now())
        return samples.request_sample(
            unit,
            creator_id=creator,
            seller_id=seller_id,
            product_id=product_id,
            actor=_actor(view),
            standing=standing,
            policies=policies_for(settings),
            kind=kind,
            refund_goal_orders=_int(refund_goal_orders, "refund_goal_orders"),
            visible=view.caller.creators,
            currency=settings.currency,
        )

    return _act(
        view,
        unit,
        csrf_token,
        "creators:request",
        run,
        _back(back, "/samples"),
        _refused(view, unit, back),
    )


# what each sample action needs: the scope, and the service call
_SAMPLE_ACTIONS: dict[str, str] = {
    "approve": "creators:manage",
    "reject": "creators:manage",
    "ship": "creators:manage",
    "cancel": "creators:manage",
    "deliver": "creators:request",
    "post": "creators:request",
    "extend": "creators:request",
    "withdraw": "creators:request",
}


@router.post("/samples/{sample_id}/action")
def sample_action_form(
    sample_id: int,
    action: str = Form(""),
    version: int = Form(0),
    reason: str = Form(""),
    url: str = Form(""),
    content_format: str = Form("video"),
    tracking_number: str = Form(""),
    back: str = Form("/samples"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """One step of a sample's life, on the version the user saw."""
    view.check_csrf(unit, csrf_token)
    if action not in _SAMPLE_ACTIONS:
        return view.error(422, "Not done", f"Unknown action {action!r}.")
    actor, seen, visible = _actor(view), version or None, view.caller.creators

    def run() -> object:
        if action in ("approve", "reject"):
            return samples.decide(
                unit, sample_id, action, actor, version=seen, reason=reason or None, visible=visible
            )
        if action == "ship":
            return samples.ship(
                unit,
                sample_id,
                actor,
                version=seen,
                tracking_number=tracking_number or None,
                visible=visible,
            )
        if action == "cancel":
            return samples.cancel(unit, sample_id, actor, reason, version=seen, visible=visible)
        if action == "deliver":
            return samples.deliver(unit, sample_id, actor, version=seen, visible=visible)
        if action == "post":
            return samples.post_content(
                unit,
                sample_id,
                actor,
                url,
                content_format=content_format,
                version=seen,
                visible=visible,
            )
        if action == "extend":
            return samples.extend(unit, sample_id, actor, reason, version=seen, visible=visible)
        return samples.withdraw(unit, sample_id, actor, version=seen, visible=visible)

    return _act(
        view,
        unit,
        csrf_token,
        _SAMPLE_ACTIONS[action],
        run,
        _back(back, "/samples"),
        _refused(view, unit, back),
    )


@router.post("/samples/sweep")
def sweep_form(
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Record what time decided (expired requests, overdue content, missed goals)."""
    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        lambda: samples.sweep(unit, _actor(view)),
        "/samples",
        _refused(view, unit, "/samples"),
    )


@router.post("/vouchers")
def create_voucher_form(
    seller_id: str = Form(""),
    name: str = Form(""),
    face_value: str = Form(""),
    budget: str = Form(""),
    codes: str = Form("0"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A voucher budget with codes (staff who may see sellers)."""

    def run() -> object:
        if not view.caller.may_see_seller(seller_id):
            raise ValidationError("seller_id: not a seller you manage", field="seller_id")
        return vouchers.create_voucher(
            unit,
            seller_id=seller_id,
            name=name,
            face_value=_money(face_value, "face_value"),
            budget=_money(budget, "budget"),
            actor=_actor(view),
            codes=_int(codes, "codes") or 0,
        )

    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        run,
        "/samples#vouchers",
        _refused(view, unit, "/samples"),
    )


@router.post("/vouchers/redeem")
def redeem_form(
    code: str = Form(""),
    amount: str = Form(""),
    sample_id: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Redeem a code once, within its voucher's budget."""
    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        lambda: vouchers.redeem(
            unit,
            code,
            _actor(view),
            amount=_money(amount, "amount") if amount else None,
            sample_id=_int(sample_id, "sample_id"),
            visible=view.caller.creators,
        ),
        "/samples#vouchers",
        _refused(view, unit, "/samples"),
    )


# --- the issue desk -------------------------------------------------------------------------


@router.get("/creator-issues")
def issues_page(
    status: str = "unresolved",
    priority: str = "",
    contact: str = "",
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """The desk: issues with their SLA clocks, most escalated then oldest first."""
    if not view.can("creators:read"):
        return view.error(403, "Not allowed", "Your role cannot see creator issues.")
    if view.user.role == "creator":
        return RedirectResponse("/my-collaborations#issues", status_code=303)
    return _issues(view, unit, {"status": status, "priority": priority, "contact": contact})


def _issues(
    view: Page, unit: Session, filters: dict[str, str], status: int = 200, error: str = ""
) -> Response:
    query = issues.issue_query(
        view.caller.creators,
        status=filters["status"] or None,
        priority=filters["priority"] or None,
        contact=filters["contact"] or None,
    ).order_by(CreatorIssue.escalation_level.desc(), CreatorIssue.opened_at, CreatorIssue.id)
    rows = list(unit.scalars(query))
    can_manage = view.can("creators:manage")
    return view.render(
        "creator_issues.html",
        "Creator issues",
        status,
        issues=_issue_table(rows, view.lang),
        filters=filters,
        kinds=issues.KINDS,
        priorities=issues.PRIORITIES,
        can_manage=can_manage,
        can_request=view.can("creators:request"),
        workers=usernames_with(unit, "creators:manage") if can_manage else [],
        error=error,
    )


def _issue_table(rows: Sequence[CreatorIssue], lang: str, name: str = "issues") -> Table:
    moment = now()
    shown = []
    for i in rows:
        clocks = issues.clocks(i, moment)
        shown.append(
            {
                "id": i.id,
                "version": i.version,
                "kind": issues.KINDS.get(i.kind, i.kind),
                "title": i.title,
                "creator_id": i.creator_id,
                "seller_id": i.seller_id,
                "priority": i.priority,
                "status": i.status,
                "contact": i.point_of_contact,
                "first_response": _clock(clocks["first_response"], lang),
                "resolution": _clock(clocks["resolution"], lang),
                "level": f"L{i.escalation_level}" if i.escalation_level else "",
                "raised_by": i.raised_by_kind,
            }
        )
    return Table(
        name,
        "Creator issues",
        [
            Column("id", "#", "int", href="/creator-issues/{id}"),
            Column("title", "Title", href="/creator-issues/{id}"),
            Column("kind", "Kind"),
            Column("creator_id", "Creator"),
            Column("seller_id", "Seller"),
            Column("priority", "Priority", "badge"),
            Column("status", "Status", "badge"),
            Column("contact", "Point of contact"),
            Column("first_response", "First response"),
            Column("resolution", "Resolution"),
            Column("level", "Level", "badge"),
            Column("raised_by", "Raised by"),
        ],
        shown,
        empty="No issues.",
    )


def _clock(clock: dict[str, Any], lang: str) -> str:
    if clock["met_at"] is not None:
        return (
            ("met late" if clock["breached"] else "met")
            if lang == "en"
            else ("terpenuhi terlambat" if clock["breached"] else "terpenuhi")
        )
    hours = float(clock["hours_left"])
    if hours < 0:
        return f"{-hours:.1f} h late" if lang == "en" else f"terlambat {-hours:.1f} jam"
    return f"{hours:.1f} h left" if lang == "en" else f"sisa {hours:.1f} jam"


@router.get("/creator-issues/{issue_id}")
def issue_page(
    issue_id: int,
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """One issue: its clocks, its thread of notes, and what may be done next."""
    if not view.can("creators:read"):
        return view.error(404, "Not found", f"There is no issue {issue_id} to show.")
    try:
        issue = issues.get_issue(unit, issue_id, view.caller.creators)
    except PasarError:
        return view.error(404, "Not found", f"There is no issue {issue_id} to show.")
    clocks = issues.clocks(issue)
    return view.render(
        "creator_issue.html",
        issue.title,
        issue=issue,
        kind=issues.KINDS.get(issue.kind, issue.kind),
        clocks={k: _clock(v, view.lang) for k, v in clocks.items()},
        due=clocks,
        notes=issues.notes_of(unit, issue.id),
        can_manage=view.can("creators:manage"),
        can_request=view.can("creators:request"),
        workers=usernames_with(unit, "creators:manage") if view.can("creators:manage") else [],
        priorities=issues.PRIORITIES,
    )


@router.post("/creator-issues")
def open_issue_form(
    kind: str = Form(""),
    title: str = Form(""),
    description: str = Form(""),
    creator_id: str = Form(""),
    seller_id: str = Form(""),
    sample_id: str = Form(""),
    priority: str = Form(""),
    raised_by: str = Form(""),
    back: str = Form("/creator-issues"),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Raise an issue (a creator: about itself; staff may record a seller's)."""
    role = view.user.role
    who = role if role in ("creator", "agent") else ("seller" if raised_by == "seller" else "staff")
    creator = creator_id or (view.user.creator_id if role == "creator" else "") or None
    return _act(
        view,
        unit,
        csrf_token,
        "creators:request",
        lambda: issues.open_issue(
            unit,
            kind=kind,
            title=title,
            description=description,
            raised_by_kind=who,
            actor=_actor(view),
            creator_id=creator,
            seller_id=seller_id or None,
            sample_id=_int(sample_id, "sample_id"),
            priority=priority or None,
            visible=view.caller.creators,
        ),
        _back(back, "/creator-issues"),
        _refused(view, unit, back),
    )


_ISSUE_ACTIONS = {
    "respond": "creators:manage",
    "resolve": "creators:manage",
    "assign": "creators:manage",
    "priority": "creators:manage",
    "reopen": "creators:request",
    "note": "creators:request",
}


@router.post("/creator-issues/{issue_id}/action")
def issue_action_form(
    issue_id: int,
    action: str = Form(""),
    version: int = Form(0),
    body: str = Form(""),
    contact: str = Form(""),
    priority: str = Form(""),
    back: str = Form(""),
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Respond, note, resolve, reopen, assign or reprioritise, on the version seen."""
    view.check_csrf(unit, csrf_token)
    if action not in _ISSUE_ACTIONS:
        return view.error(422, "Not done", f"Unknown action {action!r}.")
    actor, seen, visible = _actor(view), version or None, view.caller.creators

    def run() -> object:
        if action == "respond":
            return issues.respond(unit, issue_id, actor, body, version=seen, visible=visible)
        if action == "resolve":
            return issues.resolve(unit, issue_id, actor, body, version=seen, visible=visible)
        if action == "reopen":
            return issues.reopen(unit, issue_id, actor, body, version=seen, visible=visible)
        if action == "assign":
            return issues.assign(unit, issue_id, contact, actor, version=seen, visible=visible)
        if action == "priority":
            return issues.set_priority(
                unit, issue_id, priority, actor, version=seen, visible=visible
            )
        return issues.add_note(unit, issue_id, actor, body, visible=visible)

    where = _back(back, f"/creator-issues/{issue_id}")
    return _act(
        view, unit, csrf_token, _ISSUE_ACTIONS[action], run, where, _refused(view, unit, where)
    )


@router.post("/creator-issues/escalate")
def escalate_form(
    csrf_token: str = Form(""),
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """Escalate every unresolved issue whose SLA clock ran out."""
    return _act(
        view,
        unit,
        csrf_token,
        "creators:manage",
        lambda: issues.escalate_breaches(unit, _actor(view)),
        "/creator-issues",
        _refused(view, unit, "/creator-issues"),
    )


# --- the creator portal ---------------------------------------------------------------------


@router.get("/my-collaborations")
def portal_page(
    view: Page = Depends(page, scope="function"),
    unit: Session = Depends(session, scope="function"),
) -> Response:
    """A creator's samples and deadlines, pitches and issues."""
    return _portal(view, unit)


def _portal(view: Page, unit: Session, status: int = 200, error: str = "") -> Response:
    if view.user.role != "creator" or not view.user.creator_id:
        return view.error(404, "Not found", "This page is a creator's own.")
    mine = frozenset([view.user.creator_id])
    sample_rows = list(
        unit.scalars(samples.sample_query(mine).order_by(SampleRequest.requested_at.desc()))
    )
    pitch_rows = list(
        unit.scalars(pitches.pitch_query(mine).order_by(Pitch.stage_changed_at.desc()))
    )
    issue_rows = list(
        unit.scalars(issues.issue_query(mine).order_by(CreatorIssue.opened_at.desc()))
    )
    pitch_table = Table(
        "my_pitches",
        "My pitches",
        [
            Column("id", "#", "int"),
            Column("seller_id", "Seller"),
            Column("product_id", "Product"),
            Column("campaign", "Campaign"),
            Column("stage", "Stage", "badge"),
            Column("stage_changed_at", "Since", "date"),
        ],
        [
            {
                "id": p.id,
                "seller_id": p.seller_id,
                "product_id": p.product_id,
                "campaign": p.campaign,
                "stage": p.stage,
                "stage_changed_at": p.stage_changed_at,
            }
            for p in pitch_rows
        ],
        empty="No pitches.",
    )
    return view.render(
        "my_collaborations.html",
        "My collaborations",
        status,
        samples=_sample_table(sample_rows, "my_samples", "My samples and deadlines"),
        pitches=pitch_table,
        issues=_issue_table(issue_rows, view.lang, "my_issues"),
        kinds=issues.KINDS,
        error=error,
    )


# --- shared ---------------------------------------------------------------------------------


def _act(
    view: Page,
    unit: Session,
    csrf_token: str,
    scope: str,
    run: Callable[[], object],
    back: str,
    failed: Callable[[str], Response],
) -> Response:
    """Check the form's CSRF token and the scope, run the change, then go ``back``; a
    refused change is shown on the page it came from, with the reason."""
    view.check_csrf(unit, csrf_token)
    if not view.can(scope):
        return view.error(403, "Not allowed", "Your role cannot do this.")
    try:
        run()
    except PasarError as exc:
        unit.rollback()
        return failed(str(exc))
    return RedirectResponse(back, status_code=303)


def _refused(view: Page, unit: Session, back: str) -> Callable[[str], Response]:
    """The page to show a refusal on: the one the form came from."""

    def show(error: str) -> Response:
        path = _back(back, "/samples").split("#")[0].split("?")[0]
        if path == "/my-collaborations":
            return _portal(view, unit, 422, error)
        if path.startswith("/creator-issues"):
            return _issues(
                view, unit, {"status": "unresolved", "priority": "", "contact": ""}, 422, error
            )
        return _samples(view, unit, {"status": "", "creator": "", "contact": ""}, 422, error)

    return show


def _back(path: str, default: str) -> str:
    """Only the console's own pages are places to go back to."""
    return path if path.startswith("/") and not path.startswith("//") else default


def _no_filters() -> dict[str, str]:
    return {"stage": "", "owner": "", "seller": "", "overdue": ""}


def _actor(view: Page) -> str:
    return f"user:{view.user.username}"


def _id_version(value: str) -> tuple[int, int | None]:
    """``"12:3"`` (a pitch and the version seen) or ``"12"``."""
    pid, _, version = value.partition(":")
    try:
        return int(pid), int(version) if version else None
    except ValueError as exc:
        raise ValidationError(f"pitch {value!r} is not a pitch id", field="pitches") from exc


def _int(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise ValidationError(f"{field}: {text!r} is not a whole number", field=field) from exc


def _money(text: str, field: str) -> Decimal:
    cleaned = text.replace("Rp", "").replace(".", "").replace(",", "").replace(" ", "")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:
        raise ValidationError(f"{field}: {text!r} is not an amount in rupiah", field=field) from exc


def _day(text: str, field: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(
            f"{field}: {text!r} is not a date like 2026-11-30", field=field
        ) from exc
