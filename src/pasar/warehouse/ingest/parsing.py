"""SQL that turns one raw column into its contract type, and the reason when it cannot.

Every rule is vectorised DuckDB SQL: a value expression and an error expression per column, so a
file of millions of rows is checked in one pass. Times without an offset are read in the source's
time zone (WIB by default) and stored in UTC; amounts are read in both Indonesian
(``Rp 1.234.567,50``) and English (``1,234,567.50``) styles.

Example:
    >>> opts = ParseOptions(timezone="Asia/Jakarta")
    >>> col = Column("gmv", "money")
    >>> "DECIMAL(18,2)" in typed_value(col, '"gmv!t"', "text", opts)
    True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pasar.kit.clock import fixed_offset
from pasar.kit.sqltext import literal, literal_list
from pasar.warehouse.contract import Column

NumberStyle = Literal["auto", "id", "en"]
RawKind = Literal["text", "number", "timestamptz", "timestamp", "date", "bool"]

DEFAULT_TIME_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M:%S",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
)
ALLOWED_DIRECTIVES = set("YymdHIMSfpbBjz%")
MAX_TEXT = 4096
EARLIEST, LATEST = "1990-01-01", "2100-01-01"

_ISO_TIME = r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?"
_ISO_LOCAL = r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"
_ISO_OFFSET = _ISO_TIME + r"(Z| UTC|[+-]\d{2}(:?\d{2})?)"  # not a date alone: "-02" is no offset
_CURRENCY_PREFIX = r"^(?i:rp\.?|idr|rm|myr|r\$|us\$|\$|usd)\s*"
_EN = r"-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?"
_ID = r"-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?"
_TRUE = ("true", "t", "yes", "y", "1", "ya", "benar")
_FALSE = ("false", "f", "no", "n", "0", "tidak", "salah")


@dataclass(frozen=True)
class ParseOptions:
    """How a source writes times and amounts."""

    timezone: str = "Asia/Jakarta"
    time_formats: tuple[str, ...] = DEFAULT_TIME_FORMATS
    number_style: NumberStyle = "auto"
    prefer: Literal["id", "en"] = "id"  # for auto: how to read 1.234 or 1,234


def check_time_format(fmt: str) -> str:
    """Refuse strptime formats with directives Pasar does not support (a clear message).

    Example:
        >>> check_time_format("%d/%m/%Y %H:%M")
        '%d/%m/%Y %H:%M'
    """
    for directive in re.findall(r"%(.)", fmt):
        if directive not in ALLOWED_DIRECTIVES:
            raise ValueError(
                f"time format {fmt!r} uses %{directive}; allowed: "
                + " ".join(f"%{d}" for d in sorted(ALLOWED_DIRECTIVES))
            )
    if "%" not in fmt:
        raise ValueError(f"time format {fmt!r} has no % directive")
    return fmt


def raw_kind(duck_type: str) -> RawKind:
    """Classify a DuckDB column type of a source file."""
    upper = duck_type.upper()
    if upper in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        return "timestamptz"
    if upper.startswith("TIMESTAMP"):
        return "timestamp"
    if upper == "DATE":
        return "date"
    if upper == "BOOLEAN":
        return "bool"
    if (
        upper.startswith(("DECIMAL", "DOUBLE", "FLOAT", "REAL"))
        or upper.endswith("INT")
        or upper
        in (
            "BIGINT",
            "INTEGER",
            "SMALLINT",
            "TINYINT",
            "HUGEINT",
            "UBIGINT",
            "UINTEGER",
        )
    ):
        return "number"
    return "text"


def text_value(raw: str, kind: RawKind, column: Column) -> str:
    """The value as read, for checks and rejects: trimmed text (NULL when empty) for text
    sources, the typed value itself otherwise; with the column's default when it has one."""
    if kind == "text":  # readers trim blanks and give NULL for empty values
        text = f"NULLIF({raw}, '')"
    elif column.type == "string" and kind == "number":
        text = (
            f"CASE WHEN {raw} = trunc({raw}) AND abs({raw}) < 1e15 "
            f"THEN CAST(CAST({raw} AS BIGINT) AS VARCHAR) ELSE CAST({raw} AS VARCHAR) END"
        )
    elif column.type == "string" or column.default is not None:
        text = f"CAST({raw} AS VARCHAR)"
    else:
        return raw
    if column.default is not None:
        text = f"coalesce({text}, {literal(column.default)})"
    return text


def typed_value(column: Column, text: str, kind: RawKind, opts: ParseOptions, raw: str = "") -> str:
    """SQL for the contract-typed value of a column, NULL when it cannot be read.

    ``text`` is what ``text_value`` gave; ``raw`` the source value when the source is typed.
    A typed source of the wrong kind (a number for a time) is read as its text, and fails.
    """
    readable = {
        "timestamp": ("timestamptz", "timestamp", "date"),
        "money": ("number",),
        "int": ("number",),
        "float": ("number",),
        "bool": ("bool",),
        "string": ("number", "timestamptz", "timestamp", "date", "bool"),
    }
    if kind != "text" and kind not in readable[column.type]:
        return typed_value(column, f"CAST({raw} AS VARCHAR)", "text", opts)
    if column.type == "string":
        if column.enum:  # most values are already right; only the others are normalised
            return (
                f"CASE WHEN {text} IN {_tuple(column.enum)} THEN {text} "
                f"ELSE regexp_replace(lower({text}), '[\\s-]+', '_', 'g') END"
            )
        return text
    if column.type == "timestamp":
        if kind == "timestamptz":
            return raw
        if kind in ("timestamp", "date"):
            return _local_to_utc(f"CAST({raw} AS TIMESTAMP)", opts)
        return _timestamp_from_text(text, opts)
    if column.type == "money":
        if kind == "number":
            return f"TRY_CAST({raw} AS DECIMAL(18,2))"
        return _money_from_text(text, opts)
    if column.type == "int":
        if kind == "number":
            return f"CASE WHEN {raw} = trunc({raw}) THEN TRY_CAST({raw} AS BIGINT) END"
        return (
            f"CASE WHEN regexp_full_match({text}, '[+-]?\\d+(\\.0+)?') "
            f"THEN TRY_CAST(regexp_replace({text}, '\\.0+$', '') AS BIGINT) END"
        )
    if column.type == "float":
        if kind == "number":
            return f"CAST({raw} AS DOUBLE)"
        return f"TRY_CAST(replace({text}, ',', '.') AS DOUBLE)"
    if column.type == "bool":
        if kind == "bool":
            return raw
        return (
            f"CASE WHEN lower({text}) IN {_tuple(_TRUE)} THEN true "
            f"WHEN lower({text}) IN {_tuple(_FALSE)} THEN false END"
        )
    raise AssertionError(f"unhandled column type {column.type}")


def error_reason(column: Column, value: str, text: str, kind: RawKind) -> str:
    """SQL for why a value is refused (NULL when it is fine)."""
    checks = [
        f"WHEN {text} IS NULL THEN " + ("'required value is empty'" if column.required else "NULL")
    ]
    checks.append(f"WHEN {value} IS NULL THEN {literal(_unreadable(column, kind))}")
    if column.enum:
        allowed = ", ".join(column.enum)
        checks.append(f"WHEN {value} NOT IN {_tuple(column.enum)} THEN 'not one of: {allowed}'")
    if column.type == "string":
        checks.append(f"WHEN length({text}) > {MAX_TEXT} THEN 'longer than {MAX_TEXT} characters'")
    if column.type == "timestamp":
        checks.append(
            f"WHEN {value} < TIMESTAMPTZ '{EARLIEST} 00:00:00+00' OR {value} >= "
            f"TIMESTAMPTZ '{LATEST} 00:00:00+00' THEN 'outside {EARLIEST[:4]}–{LATEST[:4]}'"
        )
    if column.minimum is not None:
        checks.append(
            f"WHEN {value} < {column.minimum} THEN 'below the minimum {_num(column.minimum)}'"
        )
    if column.maximum is not None:
        checks.append(
            f"WHEN {value} > {column.maximum} THEN 'above the maximum {_num(column.maximum)}'"
        )
    return "CASE " + " ".join(checks) + " END"


def _unreadable(column: Column, kind: RawKind) -> str:
    if column.type == "timestamp":
        if kind == "number":
            return "a number, not a date and time"
        return "not a date and time (expected e.g. 2026-10-31 14:05:00 or 31/10/2026 14:05)"
    if column.type == "money":
        return "not an amount (expected e.g. Rp 1.234.567,50 or 1,234,567.50)"
    if column.type == "int":
        return "not a whole number"
    if column.type == "float":
        return "not a number"
    if column.type == "bool":
        return "not yes/no (expected true/false, yes/no, ya/tidak or 1/0)"
    return "unreadable value"


def _timestamp_from_text(text: str, opts: ParseOptions) -> str:
    naive = f"try_strptime({text}, {literal_list(opts.time_formats)})"
    iso = any(f.startswith("%Y-%m-%d") for f in opts.time_formats)
    if iso:
        # ISO text is by far the most common; the cast is much faster than strptime. Only text
        # that is ISO to the end takes it: the cast reads "10:00 PM" or "10:00 UTC" as 10:00.
        naive = (
            f"coalesce(CASE WHEN regexp_full_match({text}, {literal(_ISO_LOCAL)}) "
            f"THEN TRY_CAST({text} AS TIMESTAMP) END, {naive})"
        )
    # "YYYY-MM-DD", "YYYY-MM-DD HH:MM" and "YYYY-MM-DD HH:MM:SS" (most values) are cast at
    # once; shapes matched with LIKE are much cheaper than a regular expression
    plain_iso = " OR ".join(f"{text} LIKE '{shape}'" for shape in _PLAIN_ISO) if iso else "false"
    # the shortest text with an offset is "YYYY-MM-DD HH:MMZ"; most values skip the regex
    return (
        f"CASE WHEN {plain_iso} THEN {_local_to_utc(f'TRY_CAST({text} AS TIMESTAMP)', opts)} "
        f"WHEN length({text}) > 16 AND regexp_full_match({text}, {literal(_ISO_OFFSET)}) "
        f"THEN TRY_CAST({text} AS TIMESTAMPTZ) "
        f"ELSE {_local_to_utc(naive, opts)} END"
    )


# the commonest first: OR stops at the first shape that matches
_PLAIN_ISO = (
    "____-__-__ __:__:__",
    "____-__-__T__:__:__",
    "____-__-__ __:__",
    "____-__-__T__:__",
    "____-__-__",
)


def _local_to_utc(naive: str, opts: ParseOptions) -> str:
    """SQL for the UTC instant of the local wall time ``naive`` in the source's zone.

    A zone with one offset over the years accepted (WIB, WITA, WIT, Singapore) converts by
    subtracting it, several times faster than a time zone lookup per value.
    """
    offset = fixed_offset(opts.timezone, int(EARLIEST[:4]), int(LATEST[:4]))
    if offset is None:
        return f"timezone({literal(opts.timezone)}, {naive})"
    micros = int(offset.total_seconds()) * 1_000_000
    return f"make_timestamptz(epoch_us({naive}) - {micros})"


def _money_from_text(text: str, opts: ParseOptions) -> str:
    amount = f"regexp_replace({text}, {literal(_CURRENCY_PREFIX)}, '')"
    as_en = f"replace({amount}, ',', '')"
    as_id = f"replace(replace({amount}, '.', ''), ',', '.')"
    is_en = f"regexp_full_match({amount}, {literal(_EN)})"
    is_id = f"regexp_full_match({amount}, {literal(_ID)})"
    if opts.number_style == "en":
        chosen = f"CASE WHEN {is_en} THEN {as_en} END"
    elif opts.number_style == "id":
        chosen = f"CASE WHEN {is_id} THEN {as_id} END"
    else:
        preferred, other = (as_id, as_en) if opts.prefer == "id" else (as_en, as_id)
        is_preferred, is_other = (is_id, is_en) if opts.prefer == "id" else (is_en, is_id)
        chosen = f"CASE WHEN {is_preferred} THEN {preferred} WHEN {is_other} THEN {other} END"
    # a plain number (no separators, at most cents) reads the same in every style: cast it
    plain = r"-?\d+" if opts.number_style == "id" else r"-?\d+(\.\d{1,2})?"
    return (
        f"CASE WHEN regexp_full_match({text}, {literal(plain)}) "
        f"THEN TRY_CAST({text} AS DECIMAL(18,2)) ELSE TRY_CAST({chosen} AS DECIMAL(18,2)) END"
    )


def _tuple(values: tuple[str, ...]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


__all__ = [
    "DEFAULT_TIME_FORMATS",
    "ParseOptions",
    "check_time_format",
    "error_reason",
    "raw_kind",
    "text_value",
    "typed_value",
]
