"""What a connector hands to validation: for each contract table, where each column comes from.

A ``TableSource`` is a relation over the raw files (written by trusted connector code, or
generated from a mapping file with every user-given name quoted) and, per contract column, the
SQL expression that reads it and the name the user knows it by.

Example:
    >>> src = TableSource("sellers", "raw_1", {"seller_id": Field('"id"', "id")})
    >>> src.label("seller_id")
    'id'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pasar.warehouse.ingest.parsing import ParseOptions


@dataclass(frozen=True)
class Field:
    """A contract column's origin: a SQL expression over the relation and the user's name."""

    expr: str
    label: str
    options: ParseOptions | None = None  # overrides the source's options for this column


@dataclass
class TableSource:
    """Rows for one contract table from one file (or a connector's join of several)."""

    table: str
    relation: str  # FROM-able SQL with _file, _row and the columns the field expressions use
    fields: dict[str, Field]
    options: ParseOptions = field(default_factory=ParseOptions)

    def label(self, column: str) -> str:
        found = self.fields.get(column)
        return found.label if found else column
