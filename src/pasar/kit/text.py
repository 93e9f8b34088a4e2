"""Checks of free text people type (reasons, statements, plan items) before it is stored.

Example:
    >>> written("  courier proof ", "reason")
    'courier proof'
    >>> written("a\\x00b", "reason")
    Traceback (most recent call last):
    ...
    pasar.kit.errors.ValidationError: reason: NUL characters are not allowed
"""

from __future__ import annotations

from pasar.kit.errors import ValidationError

MAX_REASON = 2000


def written(text: str, field: str, *, limit: int = MAX_REASON, what: str | None = None) -> str:
    """``text`` stripped; a :class:`ValidationError` on ``field`` when it is empty, longer
    than ``limit`` characters or holds a NUL (which PostgreSQL text cannot store)."""
    name = what or field
    if "\x00" in text:
        raise ValidationError(f"{name}: NUL characters are not allowed", field=field)
    kept = text.strip()
    if not kept:
        raise ValidationError(f"{name}: write something", field=field)
    if len(kept) > limit:
        raise ValidationError(f"{name}: at most {limit:,} characters", field=field)
    return kept
