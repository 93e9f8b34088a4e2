"""Mapping files: bring any CSV or spreadsheet into a contract table without code.

A mapping names, for each contract column, the source column it comes from and how to read it
(time format, time zone, number style, a map of values), or a constant. Everything a user writes
becomes a quoted SQL identifier or literal, never SQL text. See docs/ingestion.md for the format.

Example:
    >>> m = Mapping.model_validate({"table": "orders", "columns": {"order_id": "No. Pesanan"}})
    >>> m.columns["order_id"].source
    'No. Pesanan'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pasar.kit.clock import known_zone
from pasar.kit.errors import InputError
from pasar.kit.issues import Issues
from pasar.kit.yamlfile import parse_yaml
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.ingest.parsing import NumberStyle, check_time_format


def _zone(value: str | None) -> str | None:
    return None if value is None else known_zone(value)


def _formats(value: str | list[str] | None) -> list[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    return [check_time_format(v) for v in items]


class ColumnMapping(BaseModel):
    """Where one contract column comes from."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str | None = Field(default=None, alias="from")
    constant: str | None = None
    values: dict[str, str] | None = None
    time_format: list[str] | None = None
    timezone: str | None = None
    number_style: NumberStyle | None = None

    _check_zone = field_validator("timezone")(lambda cls, v: _zone(v))
    _check_formats = field_validator("time_format", mode="before")(lambda cls, v: _formats(v))

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": data}
        if isinstance(data, int | float | bool):
            return {"constant": str(data).lower() if isinstance(data, bool) else str(data)}
        return data

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMapping:
        if (self.source is None) == (self.constant is None):
            raise ValueError("give exactly one of 'from' (a source column) or 'constant'")
        return self


class Mapping(BaseModel):
    """A mapping file: the target table, source-wide reading rules, and the columns."""

    model_config = ConfigDict(extra="forbid")

    table: str | None = None
    timezone: str | None = None
    number_style: NumberStyle | None = None
    time_format: list[str] | None = None
    columns: dict[str, ColumnMapping]

    _check_zone = field_validator("timezone")(lambda cls, v: _zone(v))
    _check_formats = field_validator("time_format", mode="before")(lambda cls, v: _formats(v))

    @field_validator("table")
    @classmethod
    def _known_table(cls, value: str | None) -> str | None:
        if value is not None and value not in CONTRACT:
            raise ValueError(f"unknown table {value!r}; tables: {', '.join(CONTRACT)}")
        return value

    @model_validator(mode="after")
    def _known_columns(self) -> Mapping:
        if self.table:
            unknown = sorted(set(self.columns) - set(CONTRACT[self.table].column_names))
            if unknown:
                raise ValueError(
                    f"{self.table} has no column(s) {', '.join(unknown)}; columns: "
                    + ", ".join(CONTRACT[self.table].column_names)
                )
        return self


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; every problem names the file and the field."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the mapping file: {exc.strerror}", file=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"the mapping file is not UTF-8 text: {exc}", file=str(path)) from exc
    unreadable = Issues()  # the YAML reader of catalogs: duplicate keys, deep nesting … refused
    data = parse_yaml(str(path), text, unreadable)
    if unreadable:
        where = [f"line {i.line}: {i.message}" if i.line else i.message for i in unreadable]
        raise InputError("; ".join(where), file=str(path))
    if not isinstance(data, dict):
        raise InputError("a mapping file must be a YAML mapping with 'columns'", file=str(path))
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(f"invalid mapping: {problems}", file=str(path)) from exc
