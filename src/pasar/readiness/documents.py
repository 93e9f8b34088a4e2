"""SOP and training documents: Markdown texts published as numbered versions (never edited),
the differences between two versions, an owner and a review date, and the acknowledgement
each agent of each required center gives to the current version.

An acknowledgement is of one version: publishing version n+1 puts every agent back on the
pending list until they acknowledge n+1 (having acknowledged n does not count).

Example::

    sop = create_document(session, "Live chat SOP", "dewi", body, centers=["Makassar"],
                          on=day, actor="user:dewi")
    publish_version(session, sop.id, new_body, note="refund wording", on=day, actor="user:dewi")
    [a.ref for a in pending(session, sop)]   # every Makassar agent: nobody has read v2
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from pasar.audit.service import audit, snapshot
from pasar.governance.recording import record_new
from pasar.kit.clock import now
from pasar.kit.errors import ConflictError, ValidationError
from pasar.kit.text import written
from pasar.kit.versioning import expect_version
from pasar.readiness import repository as repo
from pasar.readiness.models import (
    DOCUMENT_KINDS,
    Acknowledgement,
    Agent,
    Document,
    DocumentVersion,
    Program,
)
from pasar.readiness.service import _centers

MAX_BODY = 200_000
REVIEW_DAYS = range(7, 3661)


def _body(text: str) -> str:
    body = written(text, "body", limit=MAX_BODY, what="the document's text")
    return body.replace("\r\n", "\n") + "\n"


def create_document(
    session: Session,
    title: str,
    owner: str,
    body: str,
    *,
    centers: Sequence[str],
    on: dt.date,
    actor: str,
    kind: str = "sop",
    program_id: int | None = None,
    review_every_days: int = 180,
    note: str = "first version",
) -> Document:
    """A new document with its version 1 (its first review due ``review_every_days`` on)."""
    title = written(title, "title", limit=300)
    if kind not in DOCUMENT_KINDS:
        raise ValidationError(f"kind {kind!r}: use {', '.join(DOCUMENT_KINDS)}", field="kind")
    if review_every_days not in REVIEW_DAYS:
        raise ValidationError(
            "review_every_days must be 7 to 3,660 days", field="review_every_days"
        )
    if program_id is not None:
        repo.get(session, Program, program_id)
    if session.scalar(select(Document.id).where(Document.title == title)) is not None:
        raise ConflictError(f"there is already a document {title!r}", field="title")
    document = Document(
        title=title,
        kind=kind,
        owner=written(owner, "owner", limit=200),
        program_id=program_id,
        centers=_centers(centers),
        review_every_days=review_every_days,
        next_review_on=on + dt.timedelta(days=review_every_days),
        current_version=1,
        created_by=actor,
    )
    record_new(
        session, document, "readiness_document", actor=actor, action="readiness.document.created"
    )
    first = DocumentVersion(
        document_id=document.id,
        number=1,
        body=_body(body),
        note=_note(note),
        published_on=on,
        created_by=actor,
    )
    record_new(
        session,
        first,
        "readiness_document_version",
        actor=actor,
        action="readiness.document.published",
        context={"document": document.id, "version": 1},
    )
    return document


def _note(text: str) -> str:
    return written(text, "note", limit=2000) if text.strip() else ""


def publish_version(
    session: Session,
    document_id: int,
    body: str,
    *,
    note: str,
    on: dt.date,
    actor: str,
    seen_version: int | None = None,
) -> DocumentVersion:
    """Version n+1 of a document: it becomes current (so every required agent must
    acknowledge it) and the next review is due a full cycle later."""
    document = repo.get(session, Document, document_id, lock=True)
    if seen_version is not None:
        expect_version(document, seen_version)
    text = _body(body)
    current = repo.version_of(session, document.id, document.current_version)
    if current.body == text:
        raise ValidationError(
            f"the text is the same as version {current.number}: nothing to publish", field="body"
        )
    before = snapshot(document)
    version = DocumentVersion(
        document_id=document.id,
        number=document.current_version + 1,
        body=text,
        note=_note(note),
        published_on=on,
        created_by=actor,
    )
    record_new(
        session,
        version,
        "readiness_document_version",
        actor=actor,
        action="readiness.document.published",
        context={"document": document.id, "version": version.number},
    )
    document.current_version = version.number
    document.next_review_on = on + dt.timedelta(days=document.review_every_days)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.document.updated",
        entity_type="readiness_document",
        entity_id=str(document.id),
        before=before,
        after=snapshot(document),
    )
    return version


def update_document(
    session: Session,
    document_id: int,
    *,
    actor: str,
    seen_version: int | None = None,
    owner: str | None = None,
    centers: Sequence[str] | None = None,
    review_every_days: int | None = None,
    reviewed_on: dt.date | None = None,
) -> Document:
    """Change the owner, required centers or review cycle; ``reviewed_on`` records a review
    that kept the text (the next review is then due a cycle after it)."""
    document = repo.get(session, Document, document_id, lock=True)
    if seen_version is not None:
        expect_version(document, seen_version)
    before = snapshot(document)
    if owner is not None:
        document.owner = written(owner, "owner", limit=200)
    if centers is not None:
        document.centers = _centers(centers)
    if review_every_days is not None:
        if review_every_days not in REVIEW_DAYS:
            raise ValidationError(
                "review_every_days must be 7 to 3,660 days", field="review_every_days"
            )
        document.review_every_days = review_every_days
    if reviewed_on is not None:
        document.next_review_on = reviewed_on + dt.timedelta(days=document.review_every_days)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="readiness.document.updated",
        entity_type="readiness_document",
        entity_id=str(document.id),
        before=before,
        after=snapshot(document),
    )
    return document


def due_for_review(documents: Sequence[Document], today: dt.date) -> list[Document]:
    """Documents whose review date has come, the longest overdue first."""
    return sorted(
        (d for d in documents if d.next_review_on <= today), key=lambda d: d.next_review_on
    )


# -- acknowledgements ---------------------------------------------------------------------------


def acknowledge(
    session: Session,
    document_id: int,
    agent_ref: str,
    *,
    version: int | None = None,
    actor: str,
) -> tuple[Acknowledgement, bool]:
    """Agent ``agent_ref`` acknowledges the current version (``version``, when given, must be
    it: an old version can no longer be acknowledged). Returns the acknowledgement and
    whether it is new (acknowledging twice keeps the first)."""
    document = repo.get(session, Document, document_id)
    agent = repo.agent_by_ref(session, agent_ref)
    number = document.current_version if version is None else version
    if number != document.current_version:
        raise ConflictError(
            f"version {number} of {document.title!r} is not the current one "
            f"(version {document.current_version} is): read and acknowledge that",
            field="version",
        )
    if not agent.active:
        raise ValidationError(f"agent {agent.ref} is no longer active", field="agent")
    found = session.scalar(
        select(Acknowledgement).where(
            Acknowledgement.document_id == document.id,
            Acknowledgement.version == number,
            Acknowledgement.agent_id == agent.id,
        )
    )
    if found is not None:
        return found, False
    made = Acknowledgement(
        document_id=document.id, version=number, agent_id=agent.id, acknowledged_at=now()
    )
    record_new(
        session,
        made,
        "readiness_acknowledgement",
        actor=actor,
        action="readiness.document.acknowledged",
        context={
            "document": document.id,
            "version": number,
            "agent": agent.ref,
            "center": agent.center,
        },
    )
    return made, True


def required_agents(session: Session, document: Document) -> list[Agent]:
    """The active agents of the document's required centers."""
    return list(repo.agents(session, document.centers)) if document.centers else []


def pending(session: Session, document: Document) -> list[Agent]:
    """Exactly the required agents who have not acknowledged the current version."""
    done = repo.acknowledged(session, document.id, document.current_version)
    return [a for a in required_agents(session, document) if a.id not in done]


@dataclass(frozen=True)
class CenterAcknowledgement:
    """How far one center is with the current version of a document."""

    center: str
    required: int
    acknowledged: int

    @property
    def rate(self) -> float | None:
        return self.acknowledged / self.required if self.required else None

    @property
    def pending(self) -> int:
        return self.required - self.acknowledged


def by_center(session: Session, document: Document) -> list[CenterAcknowledgement]:
    """For each required center: its active agents and how many acknowledged the current
    version (a center without agents has no rate)."""
    done = repo.acknowledged(session, document.id, document.current_version)
    agents = required_agents(session, document)
    return [
        CenterAcknowledgement(
            center,
            sum(1 for a in agents if a.center == center),
            sum(1 for a in agents if a.center == center and a.id in done),
        )
        for center in document.centers
    ]


def center_rates(
    session: Session, documents: Sequence[Document], centers: Sequence[str]
) -> dict[str, float | None]:
    """For each center, the lowest acknowledgement rate of the current versions of
    ``documents`` that require it (``None``: no such document, or no agents)."""
    rates: dict[str, list[float | None]] = {c: [] for c in centers}
    for document in documents:
        for row in by_center(session, document):
            if row.center in rates:
                rates[row.center].append(row.rate)
    return {
        c: (None if not r or any(v is None for v in r) else min(v for v in r if v is not None))
        for c, r in rates.items()
    }


# -- differences, search, display ---------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    """One line of a difference: ``add``, ``remove``, ``same`` or ``hunk`` (a header)."""

    kind: str
    text: str
    old: int | None = None
    new: int | None = None


def diff(
    session: Session, document_id: int, old: int, new: int, context: int = 3
) -> list[DiffLine]:
    """The lines that changed from version ``old`` to version ``new`` (with ``context``
    unchanged lines around each change)."""
    document = repo.get(session, Document, document_id)
    before = repo.version_of(session, document.id, old).body.splitlines()
    after = repo.version_of(session, document.id, new).body.splitlines()
    return diff_lines(before, after, context)


def diff_lines(before: list[str], after: list[str], context: int = 3) -> list[DiffLine]:
    """The difference of two texts' lines, as :class:`DiffLine` with line numbers."""
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        lines.append(
            DiffLine(
                "hunk",
                f"@@ -{first[1] + 1},{last[2] - first[1]} +{first[3] + 1},{last[4] - first[3]} @@",
            )
        )
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [
                    DiffLine("same", before[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)
                ]
                continue
            if tag in ("replace", "delete"):
                lines += [DiffLine("remove", before[i], i + 1, None) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                lines += [DiffLine("add", after[j], None, j + 1) for j in range(j1, j2)]
    return lines


def unified(session: Session, document_id: int, old: int, new: int) -> str:
    """The difference as a unified diff (what ``pasar readiness documents diff`` prints)."""
    document = repo.get(session, Document, document_id)
    before = repo.version_of(session, document.id, old).body.splitlines(keepends=True)
    after = repo.version_of(session, document.id, new).body.splitlines(keepends=True)
    return "".join(
        difflib.unified_diff(before, after, f"{document.title} v{old}", f"{document.title} v{new}")
    )


@dataclass(frozen=True)
class Hit:
    """A document matching a search, with a line of its current text around the match."""

    document: Document
    matches: int
    snippet: str


def search(session: Session, query: str, limit: int = 50) -> list[Hit]:
    """Documents whose title or current text contains every word of ``query`` (any case),
    the most matches first."""
    words = [w.casefold() for w in re.findall(r"\w+", written(query, "q", limit=200))]
    if not words:
        raise ValidationError("search for at least one word", field="q")
    hits = []
    for document in repo.documents(session):
        body = repo.version_of(session, document.id, document.current_version).body
        text = f"{document.title}\n{body}".casefold()
        if not all(w in text for w in words):
            continue
        count = sum(text.count(w) for w in words)
        hits.append(Hit(document, count, _snippet(body, words[0])))
    hits.sort(key=lambda h: (-h.matches, h.document.title))
    return hits[:limit]


def _snippet(body: str, word: str, width: int = 160) -> str:
    for line in body.splitlines():
        at = line.casefold().find(word)
        if at >= 0:
            start = max(0, at - width // 2)
            return ("…" if start else "") + line[start : start + width].strip()
    return body.strip().splitlines()[0][:width] if body.strip() else ""


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    # raw HTML in a document is shown as text, never run; links are checked by markdown-it
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render(body: str) -> Markup:
    """A document's Markdown as safe HTML (raw HTML escaped, ``javascript:`` links dropped)."""
    return Markup(_markdown().render(body))
