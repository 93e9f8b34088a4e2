"""Quoting for SQL that Pasar writes itself: every name and value from a user goes through here.

Example:
    >>> ident('Phone #')
    '"Phone #"'
    >>> literal("O'Brien")
    "'O''Brien'"
"""

from __future__ import annotations

from collections.abc import Iterable


def ident(name: str) -> str:
    """A double-quoted SQL identifier; embedded quotes are doubled."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A single-quoted SQL string literal; embedded quotes are doubled, NUL bytes refused."""
    if "\x00" in value:
        raise ValueError("a SQL literal cannot contain a NUL byte")
    return "'" + value.replace("'", "''") + "'"


def literal_list(values: Iterable[str]) -> str:
    """A SQL list literal ``['a', 'b']`` of string literals."""
    return "[" + ", ".join(literal(v) for v in values) + "]"
