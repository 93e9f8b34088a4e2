"""Evidence files sellers attach to appeals: what is accepted (PDF, PNG, JPEG, WebP — told
by their first bytes, not by the name they claim), how large, and where they are kept.

A file is stored once under the SHA-256 of its content (``<hex>.<ext>``), never under the
uploaded name, so a name like ``../../etc/passwd`` cannot choose where it lands; the name is
kept, cleaned, only to be shown.

Example::

    kept = prepare("proof.pdf", data, settings.evidence_max_bytes)   # checked, named
    kept.as_evidence("courier handover proof or tracking")          # the appeal's entry
    keep(settings.evidence_dir, kept, data)                         # once the appeal is valid
    # {"item": "...", "given": "proof.pdf", "file": "proof.pdf", "stored": "9f86….pdf", ...}
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pasar.kit.errors import NotFoundError, ValidationError

MAX_FILES = 5
# media type → (extension, leading bytes that identify it)
ACCEPTED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "application/pdf": ("pdf", (b"%PDF-",)),
    "image/png": ("png", (b"\x89PNG\r\n\x1a\n",)),
    "image/jpeg": ("jpg", (b"\xff\xd8\xff",)),
    "image/webp": ("webp", (b"RIFF",)),
}
_STORED = re.compile(r"^[0-9a-f]{64}\.(pdf|png|jpg|webp)$")
_UNSAFE = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class StoredFile:
    """An evidence file kept on disk: its shown name, stored name, media type and size."""

    name: str
    stored: str
    media_type: str
    size: int

    def as_evidence(self, item: str) -> dict[str, Any]:
        """The appeal's evidence entry for checklist ``item`` given by this file."""
        return {"item": item, "given": self.name, "file": self.name, "stored": self.stored,
                "media_type": self.media_type, "bytes": self.size}  # fmt: skip


def clean_name(name: str) -> str:
    """The uploaded name reduced to something safe to show: no directories, no control or
    markup characters, at most 120 characters (``../../x<script>.pdf`` → ``x_script_.pdf``)."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name or ""))[-1]
    base = _UNSAFE.sub("_", base).strip(" ._") or "evidence"
    return base[-120:]


def media_type_of(data: bytes) -> str | None:
    """The accepted media type whose signature ``data`` starts with, if any."""
    for media_type, (_ext, signatures) in ACCEPTED.items():
        if any(data.startswith(s) for s in signatures):
            if media_type == "image/webp" and data[8:12] != b"WEBP":
                continue
            return media_type
    return None


def check(name: str, data: bytes, max_bytes: int) -> str:
    """The media type of an upload, or a :class:`ValidationError` saying why it is refused."""
    shown = clean_name(name)
    if not data:
        raise ValidationError(f"{shown}: the file is empty", field="evidence")
    if len(data) > max_bytes:
        raise ValidationError(
            f"{shown}: {len(data):,} bytes is more than the {max_bytes:,} allowed", field="evidence"
        )
    media_type = media_type_of(data)
    if media_type is None:
        raise ValidationError(
            f"{shown}: not a PDF, PNG, JPEG or WebP file (its content says otherwise)",
            field="evidence",
        )
    return media_type


def shown_name(name: str, media_type: str) -> str:
    """The cleaned name, ending as its content is (``page.html`` holding a PDF is shown and
    downloaded as ``page.html.pdf``: a saved copy never opens as something else)."""
    shown = clean_name(name)
    extension = ACCEPTED[media_type][0]
    endings = (".jpg", ".jpeg") if extension == "jpg" else (f".{extension}",)
    if shown.lower().endswith(endings):
        return shown
    return f"{shown[: 120 - len(extension) - 1]}.{extension}"


def prepare(name: str, data: bytes, max_bytes: int) -> StoredFile:
    """Check an upload and name it by its content (nothing is written yet)."""
    media_type = check(name, data, max_bytes)
    stored = f"{hashlib.sha256(data).hexdigest()}.{ACCEPTED[media_type][0]}"
    return StoredFile(shown_name(name, media_type), stored, media_type, len(data))


def keep(root: Path, file: StoredFile, data: bytes) -> Path:
    """Write a prepared file under ``root`` (atomically; once per content)."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / file.stored
    if not target.exists():
        partial = root / f".{file.stored}.{os.getpid()}.part"
        partial.write_bytes(data)
        partial.replace(target)
    return target


def open_stored(root: Path, stored: str) -> Path:
    """The path of a stored file named in an appeal (only names :func:`prepare` makes)."""
    path = root / stored
    if not _STORED.match(stored) or not path.is_file():
        raise NotFoundError("no such evidence file")
    return path
