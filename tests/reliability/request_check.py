"""Checking one hostile request: no 5xx, the one error shape naming the field at fault, nothing
stored changed when it was refused, and nothing of another party in the answer.

Example:
    >>> error_shape({"error": {"code": "invalid", "message": "too long", "field": "reason"}})
    []
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import Engine, select

from pasar.models import metadata
from tests.text import mentions

# written by every signed-in request at most once a minute: not stored data a request changes
VOLATILE = {("api_tokens", "last_used_at"), ("browser_sessions", "last_seen_at")}


def error_shape(body: Any) -> list[str]:
    """Problems with an error body: exactly ``{"error": {"code", "message", "field"}}``."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return [f"not the error shape: {str(body)[:200]}"]
    error = body["error"]
    if not isinstance(error, dict) or set(error) != {"code", "message", "field"}:
        return [f"not the error shape: {str(body)[:200]}"]
    problems = []
    if not isinstance(error["code"], str) or not error["code"]:
        problems.append("no code")
    if not isinstance(error["message"], str) or not error["message"].strip():
        problems.append("no message")
    if error["field"] is not None and not isinstance(error["field"], str):
        problems.append(f"field is {error['field']!r}")
    if len(str(error["message"])) > 2_000:
        problems.append(f"a message of {len(str(error['message'])):,} characters")
    return problems


def names_field(body: dict[str, Any], field: str) -> bool:
    """Whether a 422's error names ``field`` (``reason``, ``evidence.x``, ``pitches.0.id`` …)."""
    at = body["error"]["field"] or ""
    return field in at.split(".") or at.startswith(field)


def store_fingerprint(engine: Engine) -> dict[str, str]:
    """A checksum of every row of every table of the operational store."""
    found = {}
    with engine.connect() as connection:
        for table in metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
            rows = connection.execute(select(*columns)).fetchall()
            digest = hashlib.sha256(repr(sorted(map(repr, rows))).encode()).hexdigest()
            found[table.name] = f"{len(rows)}:{digest[:16]}"
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


def leaks(text: str, status: int, others: tuple[str, ...]) -> list[str]:
    """Another party's ids in an answer that is not a plain refusal of them."""
    if status in (404, 422):
        return []
    return [f"mentions {o}" for o in others if mentions(text, o)]


__all__ = ["changed", "error_shape", "leaks", "names_field", "store_fingerprint"]
