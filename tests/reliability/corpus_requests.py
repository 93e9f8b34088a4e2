"""Hostile request bodies for every write endpoint of the API, generated from its route table.

For each route that takes a body, a good body (``tests/api/test_access.BODIES``) is spoiled one
way at a time: the body as a whole (not JSON, invalid UTF-8, nested 100,000 deep, the wrong JSON
type, unknown fields, a 2 MB document) and each field of the route's model (wrong type, missing,
null, NUL byte, 1 MB of text, a script tag, a path traversal, negative, enormous and fractional
numbers, a long list). A case knows the field at fault so that a refusal can be checked to name
it.

Example:
    >>> [c.name for c in body_cases("r", {"reason": "x"}, {"reason": "string"}, ["reason"])][:2]
    ['not-json', 'invalid-utf8']
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

SCRIPT = '<script>alert("pwned")</script>'
HUGE_TEXT = "x" * 1_000_000
DEEP = 100_000


@dataclass(frozen=True)
class Hostile:
    """One hostile body for one route: the bytes sent and the field at fault (if one is)."""

    route: str
    name: str
    body: bytes
    field: str | None = None
    content_type: str = "application/json"

    @property
    def id(self) -> str:
        return f"{self.route}:{self.name}"


def _json(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _deep() -> bytes:
    return b'{"a": ' + b"[" * DEEP + b"]" * DEEP + b"}"


def field_kinds(schema: dict[str, Any]) -> dict[str, str]:
    """Each property of a model's JSON schema and its JSON type (the first that is not null)."""
    kinds = {}
    for name, spec in schema.get("properties", {}).items():
        options = spec.get("anyOf", [spec])
        types = [o.get("type") for o in options if o.get("type") not in (None, "null")]
        kinds[name] = types[0] if types else "object"
    return kinds


def _spoiled(kind: str) -> list[tuple[str, Any]]:
    """Hostile values for a field of JSON type ``kind``: (name, value)."""
    wrong_type: Any = {"$ne": None} if kind != "object" else [1, 2]
    found: list[tuple[str, Any]] = [("wrong-type", wrong_type), ("null", None)]
    if kind == "string":
        found += [
            ("nul-byte", "a\x00b"),
            ("huge-text", HUGE_TEXT),
            ("script", SCRIPT),
            ("traversal", "../../../../etc/passwd"),
            ("sql", "x'); DROP TABLE users; --"),
            ("number-for-text", 12345),
        ]
    elif kind in ("integer", "number"):
        found += [
            ("negative", -1),
            ("enormous", 10**40),
            ("fraction", 1.5),
            ("infinite", float("inf")),
            ("text-for-number", "12; DROP TABLE users"),
        ]
    elif kind == "array":
        found += [("long-list", ["x"] * 10_000), ("list-of-nul", ["a\x00b"]), ("nested", [[[[]]]])]
    elif kind == "boolean":
        found += [("text-for-boolean", "maybe"), ("number-for-boolean", 2)]
    elif kind == "object":
        found += [("huge-object", {f"k{n}": n for n in range(10_000)}), ("script-key", {SCRIPT: 1})]
    return found


def body_cases(
    route: str,
    good: dict[str, Any],
    kinds: dict[str, str],
    required: list[str],
    full: bool = True,
) -> list[Hostile]:
    """The hostile bodies of one route, from its good body and its model's fields: every
    spoiled value of every field, or (``full=False``) three of the ten whole-body cases and one
    spoiled value per field, a different one from field to field."""
    cases = [
        Hostile(route, "not-json", b"{not json"),
        Hostile(route, "invalid-utf8", b'{"reason": "\xff\xfe\xfd"}'),
        Hostile(route, "deeply-nested", _deep()),
    ]
    if full:
        cases += [
            Hostile(route, "json-array", b"[]"),
            Hostile(route, "unknown-fields", _json({**good, "is_admin": True, "__proto__": {}})),
            Hostile(route, "empty-body", b""),
            Hostile(route, "json-null", b"null"),
            Hostile(route, "json-string", b'"x"'),
            Hostile(route, "two-megabytes", _json({**good, "padding": "p" * 2_000_000})),
            Hostile(route, "form", b"reason=x", content_type="application/x-www-form-urlencoded"),
        ]
    for n, (name, kind) in enumerate(kinds.items()):
        spoiled = _spoiled(kind)
        if not full:  # one spoiled value, a different one from field to field
            spoiled = [spoiled[n % len(spoiled)]]
        for spoil, value in spoiled:
            cases.append(Hostile(route, f"{name}:{spoil}", _json({**good, name: value}), name))
        if name in required and name in good and (full or n % 3 == 0):
            missing = {k: v for k, v in good.items() if k != name}
            cases.append(Hostile(route, f"{name}:missing", _json(missing), name))
    return cases


# program texts for the incentive routes that take one (YAML read like policy packs)
PROGRAM_SOURCES = {
    "yaml-bomb": "lol:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"  {b}: &{b} [" + ", ".join([f"*{a}"] * 10) + "]\n"
        for a, b in zip("abcdefgh", "bcdefghi", strict=True)
    )
    + "program: *i\n",
    "deep-nesting": "program: " + "[" * 5000 + "]" * 5000 + "\n",
    "python-tag": "program: !!python/object/apply:os.system ['touch pwned']\n",
    "february-30": "program: x\nstarts_on: 2026-02-30\n",
    "huge-number": "program: x\nversion: " + "9" * 5000 + "\n",
    "duplicate-keys": "program: x\nprogram: y\n",
    "sql-in-condition": 'program: x\nwhen: "orders_7d > 1; DROP TABLE orders"\n',
}


def program_cases(route: str, good: dict[str, Any]) -> list[Hostile]:
    """Hostile program texts in the ``source`` field of an incentive program route."""
    return [
        Hostile(route, f"source:{name}", _json({**good, "source": text}), "source")
        for name, text in PROGRAM_SOURCES.items()
    ]


__all__ = ["SCRIPT", "Hostile", "body_cases", "field_kinds", "program_cases"]
