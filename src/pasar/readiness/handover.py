"""Handing a program over to a receiving regional center: a checklist whose lines may stand
for a gate (it must pass for that center) or a document (every active agent of the center
must have acknowledged its current version), then the sign-off of one of the center's leads.

Sign-off is refused, listing what is missing, while a line is not ticked, a linked gate does
not pass for the center, or a linked document is not fully acknowledged there — unless an
override reason is given, which is audited with what was missing.

Example::

    handover = open_handover(session, program.id, "Makassar", actor="user:dewi",
                             items=["On-call rota agreed", ("CSAT gate", gate.id, None),
                                    ("Live chat SOP read", None, sop.id)])
    tick(session, item.id, done=True, on=day, actor="user:andi")
    sign_off(session, handover.id, "MKS-001", on=day, actor="user:andi")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.recording import record_new
from pasar.kit.errors import ConflictError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version
from pasar.readiness import repository as repo
from pasar.readiness.documents import pending
from pasar.readiness.gates import gate_status
from pasar.readiness.models import Document, Gate, Handover, HandoverItem, Program

ItemSpec = str | tuple[str, int | None, int | None]  # text, or (text, gate id, document id)


def open_handover(
    session: Session,
    program_id: int,
    center: str,
    *,
    items: Sequence[ItemSpec] = (),
    actor: str,
) -> Handover:
    """A handover of the program to ``center`` with its checklist."""
    program = repo.get(session, Program, program_id)
    center = written(center, "center", limit=100)
    if any(h.center == center for h in repo.handovers_of(session, program.id)):
        raise ConflictError(
            f"program {program.name!r} already has a handover to {center}", field="center"
        )
    handover = Handover(program_id=program.id, center=center, status="open", created_by=actor)
    record_new(
        session,
        handover,
        "readiness_handover",
        actor=actor,
        action="readiness.handover.opened",
        context={"program": program.id},
    )
    for item in items:
        text, gate_id, document_id = (item, None, None) if isinstance(item, str) else item
        add_item(session, handover.id, text, gate_id=gate_id, document_id=document_id, actor=actor)
    return handover


def add_item(
    session: Session,
    handover_id: int,
    text: str,
    *,
    gate_id: int | None = None,
    document_id: int | None = None,
    actor: str,
) -> HandoverItem:
    """A checklist line, optionally standing for a gate of the program or a document."""
    handover = repo.get(session, Handover, handover_id)
    if handover.status != "open":
        raise ConflictError("the handover is signed off: its checklist is closed", field="text")
    if gate_id is not None and repo.get(session, Gate, gate_id).program_id != handover.program_id:
        raise ValidationError(f"gate {gate_id} is not a gate of this program", field="gate_id")
    if document_id is not None:
        document = repo.get(session, Document, document_id)
        if handover.center not in document.centers:
            raise ValidationError(
                f"document {document.title!r} is not required of {handover.center}: add the "
                "center to the document first",
                field="document_id",
            )
    position = len(repo.items_of(session, handover.id)) + 1
    item = HandoverItem(
        handover_id=handover.id,
        position=position,
        text=written(text, "text", limit=500),
        gate_id=gate_id,
        document_id=document_id,
        done=False,
    )
    return record_new(
        session,
        item,
        "readiness_handover_item",
        actor=actor,
        action="readiness.handover.item_added",
        context={"handover": handover.id},
    )


def tick(
    session: Session,
    item_id: int,
    *,
    done: bool,
    on: dt.date,
    actor: str,
    seen_version: int | None = None,
) -> HandoverItem:
    """Tick (or untick) a checklist line."""
    item = repo.get(session, HandoverItem, item_id, lock=True)
    if seen_version is not None:
        expect_version(item, seen_version)
    if repo.get(session, Handover, item.handover_id).status != "open":
        raise ConflictError("the handover is signed off: its checklist is closed", field="done")
    before = snapshot(item)
    item.done, item.done_by, item.done_on = done, (actor if done else None), (on if done else None)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.handover.item_" + ("done" if done else "undone"),
        entity_type="readiness_handover_item",
        entity_id=str(item.id),
        before=before,
        after=snapshot(item),
    )
    return item


@dataclass(frozen=True)
class Line:
    """A checklist line and whether what it stands for holds (``blocker`` says why not)."""

    item: HandoverItem
    blocker: str | None


def checklist(session: Session, handover: Handover) -> list[Line]:
    """Each line with what still blocks it: not ticked, its gate not passing for the center
    at its latest check, or agents of the center who have not acknowledged its document."""
    statuses = {s.gate.id: s for s in gate_status(session, handover.program_id)}
    lines = []
    for item in repo.items_of(session, handover.id):
        reasons = []
        if not item.done:
            reasons.append("not ticked")
        if item.gate_id is not None:
            status = statuses.get(item.gate_id)
            mine = [c for c in status.latest if c.center == handover.center] if status else []
            if status is None:
                reasons.append("the gate is retired")
            elif not mine:
                reasons.append(f"gate {status.gate.name!r} not checked for {handover.center}")
            elif mine[0].result != "pass":
                reasons.append(
                    f"gate {status.gate.name!r} {mine[0].result.replace('_', ' ')} "
                    f"for {handover.center} as of {mine[0].as_of}"
                )
        if item.document_id is not None:
            document = repo.get(session, Document, item.document_id)
            waiting = [a for a in pending(session, document) if a.center == handover.center]
            if waiting:
                reasons.append(
                    f"{len(waiting)} agent(s) of {handover.center} have not acknowledged "
                    f"{document.title!r} v{document.current_version}: "
                    + ", ".join(a.ref for a in waiting[:10])
                    + (" …" if len(waiting) > 10 else "")
                )
        lines.append(Line(item, "; ".join(reasons) or None))
    return lines


def sign_off(
    session: Session,
    handover_id: int,
    lead_ref: str,
    *,
    on: dt.date,
    actor: str,
    override_reason: str | None = None,
    seen_version: int | None = None,
) -> Handover:
    """The receiving center's lead signs the handover off; refused while a line is blocked,
    unless ``override_reason`` says why (audited with the blocked lines)."""
    handover = repo.get(session, Handover, handover_id, lock=True)
    if seen_version is not None:
        expect_version(handover, seen_version)
    if handover.status != "open":
        raise ConflictError(
            f"the handover to {handover.center} is already signed off", field="status"
        )
    lead = repo.agent_by_ref(session, lead_ref)
    if lead.center != handover.center or lead.role != "lead" or not lead.active:
        raise ValidationError(
            f"{lead.ref} is not an active lead of {handover.center}: the receiving center's "
            "lead signs the handover off",
            field="lead",
        )
    lines = checklist(session, handover)
    if not lines:
        raise ValidationError("the checklist is empty: add what must be ready first", field="items")
    blocked = [f"{line.item.text}: {line.blocker}" for line in lines if line.blocker]
    reason = written(override_reason, "override_reason") if override_reason is not None else None
    if blocked and reason is None:
        raise ConflictError(
            f"the handover to {handover.center} cannot be signed off: "
            + " | ".join(blocked)
            + " — give an override reason to sign it off anyway",
            field="override_reason",
        )
    before = snapshot(handover)
    handover.status, handover.signed_by_agent_id, handover.signed_on = "signed_off", lead.id, on
    handover.override_reason = reason if blocked else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.handover.signed_off_overridden"
        if blocked
        else "readiness.handover.signed_off",
        entity_type="readiness_handover",
        entity_id=str(handover.id),
        reason=reason if blocked else None,
        before=before,
        after=snapshot(handover),
        context={"lead": lead.ref, "blocked": blocked},
    )
    return handover
